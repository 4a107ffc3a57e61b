"""Exercise 1 (the RNN step forward and backward, and an "ab" detector set by hand): the
partial marks its rubric is designed to give, and the hints that name each usual mistake.

Each wrong submission is the solution notebook with one or two graded cells edited the way
learners get them wrong (every edit must apply once, so the table follows the solution); the
grader must give exactly the designed points, fail exactly the tests the mistake breaks, and
say why in the hint. A mistake in Part 1 or 2 shares its graded run with a mistake, or a right
answer written another way, in Part 3 (the detector is judged on its own, so the two cannot
blur). The runs are made in this process by the grader's own harness and judges, hidden tests
included, with what the learner's functions return sent through the wire as JSON
(:func:`grade_in_process`); one case is also graded as a notebook in a child process, as the
class grader does. The class of 30 submissions of ``grading_fixtures.py`` (graded in
``test_grade_cli.py``) and ``test_grading.py`` grade ex01 in child processes: the
transposed gradients, a missing bias gradient, the wrong state cached and a bias averaged;
full marks for the solution and zero for the blank exercise are checked for every exercise in
``test_grading.py``.
"""
import json
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading import check as check_module
from course_pkg.grading import harness, wire
from course_pkg.grading.judge import score as score_messages
from course_pkg.grading.rubric import CallResult, CheckFailed, plan
from course_pkg.grading.rubrics import ex01_rnn_step as ex01
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex01_rnn_step.ipynb"
RUBRIC = rubric_for("ex01_rnn_step")
FORWARD = set(fx.FORWARD_TESTS)
BACKWARD = set(fx.BACKWARD_TESTS)
DETECTOR = {"detector_pairs", "detector_start", "detector_fours", "detector_long"}
AFTER_STEP_1 = DETECTOR - {"detector_pairs"}
BEYOND_PAIRS = {"detector_fours", "detector_long"}
FWD, BWD, DET = ex01.FORWARD, ex01.BACKWARD, ex01.DETECTOR

# Part 1
NO_BIAS_HH = [(FWD, ' + params["bias_hh"])', ")")]
NO_BIASES = [(FWD, ' + params["bias_ih"]\n', "\n"), (FWD, ' + params["bias_hh"])', ")")]
HH_UNTRANSPOSED = [(FWD, 'h_prev @ params["weight_hh"].T', 'h_prev @ params["weight_hh"]')]
IH_UNTRANSPOSED = [(FWD, 'x @ params["weight_ih"].T', 'x @ params["weight_ih"]')]
NO_RECURRENCE = [(FWD, '+ h_prev @ params["weight_hh"].T ', "")]
SIGMOID = [(FWD, "h_next = np.tanh(a)", "h_next = 1 / (1 + np.exp(-a))")]
LINEAR = [(FWD, "h_next = np.tanh(a)", "h_next = a")]

# Part 2
NO_TANH = [(BWD, "da = dh_next * (1 - h_next * h_next)", "da = dh_next")]
TANH_TWICE = [(BWD, "da = dh_next * (1 - h_next * h_next)", "da = dh_next * (1 - np.tanh(h_next) ** 2)")]
ONE_MINUS_H = [(BWD, "da = dh_next * (1 - h_next * h_next)", "da = dh_next * (1 - h_next)")]
WRONG_STATE = [(BWD, "da.T @ h_prev,", "da.T @ h_next,")]
HH_GRAD_TRANSPOSED = [(BWD, "da.T @ h_prev,", "h_prev.T @ da,")]
DH_PREV_TRANSPOSED = [(BWD, 'dh_prev = da @ params["weight_hh"]', 'dh_prev = da @ params["weight_hh"].T')]
SLOPE_OF_H_PREV = [(BWD, "da = dh_next * (1 - h_next * h_next)", "da = dh_next * (1 - h_prev * h_prev)")]
BIAS_MEAN = [(BWD, '"bias_ih": da.sum(axis=0)', '"bias_ih": da.mean(axis=0)')]

# Part 3
HH_ROWS = '''    weight_hh = np.array([[0.0, 4.0],           # unit 0 reads unit 1 of h_{t-1}
                          [0.0, 0.0]])'''
NO_MEMORY = [(DET, HH_ROWS, "    weight_hh = np.zeros((2, 2))"),
             (DET, "bias_ih = np.array([-6.0, -2.0])", "bias_ih = np.array([-2.0, -2.0])")]
DETECTOR_TRANSPOSED = [(DET, HH_ROWS, "    weight_hh = np.array([[0.0, 0.0], [4.0, 0.0]])")]
REVERSED = [(DET, "[[0.0, 4.0, 0.0],      # unit 0 reads b", "[[4.0, 0.0, 0.0],"),
            (DET, "[4.0, 0.0, 0.0]])     # unit 1 reads a", "[0.0, 4.0, 0.0]])")]
EITHER = [(DET, "bias_ih = np.array([-6.0, -2.0])", "bias_ih = np.array([-2.0, -2.0])")]
SMALL = [(DET, "[[0.0, 4.0, 0.0],      # unit 0 reads b", "[[0.0, 1.0, 0.0],"),
         (DET, "[4.0, 0.0, 0.0]])     # unit 1 reads a", "[2.0, 0.0, 0.0]])"),
         (DET, HH_ROWS, "    weight_hh = np.array([[0.0, 1.0], [0.0, 0.0]])"),
         (DET, "bias_ih = np.array([-6.0, -2.0])", "bias_ih = np.array([-1.5, -1.0])")]
STARTS_FIRING = [(DET, "[[0.0, 4.0, 0.0],      # unit 0 reads b", "[[0.0, 6.0, 0.0],"),   # 6 - 4 - 5 < 0,
                 (DET, "bias_ih = np.array([-6.0, -2.0])", "bias_ih = np.array([-5.0, -2.0])")]  # but 6 - 5 > 0
A_REMEMBERED = [(DET, HH_ROWS, "    weight_hh = np.array([[0.0, 4.0], [0.0, 4.0]])")]

THREE_UNITS = '''def ab_detector():
    # unit 0: "ab"; unit 1: "previous letter was a"; unit 2: the letter c, unused
    weight_ih = np.array([[0, 5, 0], [6, 0, 0], [0, 0, 3]])      # ints
    weight_hh = np.array([[0, 5, 0], [0, 0, 0], [0, 0, 0]])
    return {"weight_ih": weight_ih, "weight_hh": weight_hh,
            "bias_ih": np.array([-7.0, -3.0, 0.0]), "bias_hh": np.zeros(3)}'''
ROLES_SWAPPED = '''def ab_detector():
    # unit 0: "this letter is a"; unit 1: "this letter is b and unit 0 was on"
    weight_ih = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    weight_hh = np.array([[0.0, 0.0], [4.0, 0.0]])
    return {"weight_ih": weight_ih, "weight_hh": weight_hh,
            "bias_ih": np.array([-2.0, -6.0]), "bias_hh": np.zeros(2)}'''
WRONG_SIGN = [(DET, "[0.0, 4.0],           # unit 0 reads unit 1 of h_{t-1}",
               "[0.0, -4.0],          # unit 0 reads unit 1 of h_{t-1}")]

# Parts 1 and 2 right, written another way: the cache a dict, the products with einsum and dot
STEP_ANOTHER_WAY = {
    FWD: '''def rnn_step_forward(x, h_prev, params):
    pre = np.dot(x, params["weight_ih"].T) + np.dot(h_prev, params["weight_hh"].T)
    h = np.tanh(pre + params["bias_ih"] + params["bias_hh"])
    return h, {"x": x, "h_prev": h_prev, "params": params, "h": h}''',
    BWD: '''def rnn_step_backward(dh_next, cache):
    da = dh_next * (1 - cache["h"] ** 2)
    W_ih, W_hh = cache["params"]["weight_ih"], cache["params"]["weight_hh"]
    grads = {"weight_ih": np.einsum("nh,nd->hd", da, cache["x"]),
             "weight_hh": np.einsum("nh,nk->hk", da, cache["h_prev"]),
             "bias_ih": np.sum(da, 0), "bias_hh": da.sum(axis=0).copy()}
    return np.einsum("nh,hd->nd", da, W_ih), da.dot(W_hh), grads'''}

NOT_A_UNIT = '''def ab_detector():
    # unit 1 is high when the letter is NOT a; unit 0 reads it with a minus sign,
    # the biases in bias_hh this time, the arrays as lists
    return {"weight_ih": [[0.0, 4.0, 0.0], [-4.0, 0.0, 0.0]],
            "weight_hh": [[0.0, -4.0], [0.0, 0.0]],
            "bias_ih": [0.0, 0.0], "bias_hh": [-6.0, 2.0]}'''

# name: (edits, sources in place of whole cells, tests that fail, score out of 30,
#        {test: hint fragment})
CASES = {
    "forward-weight_ih-untransposed + detector-three-units": (
        IH_UNTRANSPOSED, {DET: THREE_UNITS}, FORWARD | BACKWARD, 20.0,
        {"forward_one": "rnn_step_forward raised ValueError",
         "forward_square": "with D = H, weight_ih acts on x the wrong way",
         "dx": "needs rnn_step_forward, which failed"}),
    "backward-no-tanh-slope + detector-without-memory": (
        NO_TANH + NO_MEMORY, {}, BACKWARD | DETECTOR, 4.0,
        {"dx": "skip tanh's derivative", "dbias": "grads['bias_ih']: the values skip tanh's derivative",
         "detector_pairs": "fires on every 'b', whatever came before",
         "detector_start": "fires at step 1 on 'b'"}),
    "backward-tanh-twice + detector-weight_hh-transposed": (
        TANH_TWICE + DETECTOR_TRANSPOSED, {}, BACKWARD | {"detector_pairs"} | BEYOND_PAIRS, 8.0,
        {"dh_prev": "tanh's slope was taken at h_t", "detector_pairs": "work with weight_hh transposed",
         "detector_fours": "one row per unit it feeds"}),
    "backward-one-minus-h + detector-order-reversed": (
        ONE_MINUS_H + REVERSED, {}, BACKWARD | {"detector_pairs"} | BEYOND_PAIRS, 8.0,
        {"dweight_ih": "1 - h_t as tanh's slope", "detector_pairs": "fires after 'ba' instead of 'ab'"}),
    "backward-slope-of-h_prev + detector-in-unit-1": (
        SLOPE_OF_H_PREV, {DET: ROLES_SWAPPED}, BACKWARD | DETECTOR, 4.0,
        {"dx": "tanh's slope was taken at h_{t-1}, the state the step read",
         "detector_pairs": "unit 1 of your state answers the question at every step, but the grader reads unit 0",
         "detector_start": "unit 1 of your state answers"}),
    "backward-wrong-state + detector-either-condition": (
        WRONG_STATE + EITHER, {}, {"dweight_hh", "backward_one"} | DETECTOR, 8.0,
        {"dweight_hh": "the cache of the wrong state", "detector_pairs": "fires after 'aa' too"}),
    "backward-weight_hh-grad-transposed + detector-too-small": (
        HH_GRAD_TRANSPOSED + SMALL, {}, {"dweight_hh", "backward_one"} | DETECTOR, 8.0,
        {"dweight_hh": "transposed; (H, H) is square",
         "detector_pairs": "on the right side of 0 at every step, but not beyond ±0.5"}),
    "backward-dh_prev-transposed + detector-fires-at-step-1": (
        DH_PREV_TRANSPOSED + STARTS_FIRING, {}, {"dh_prev", "backward_one"} | AFTER_STEP_1, 16.0,
        {"dh_prev": "weight_hh enters the wrong way round", "detector_start": "the state starts at h_0 = 0",
         "detector_fours": "fires at step 1 on 'b'"}),
    "backward-bias-mean + detector-remembers-a-too-long": (
        BIAS_MEAN + A_REMEMBERED, {}, {"dbias"} | BEYOND_PAIRS, 21.0,
        {"dbias": "N times too small", "detector_fours": "the memory of an 'a' lasts more than one step"}),
    "step-written-another-way + detector-memory-of-the-wrong-sign": (
        WRONG_SIGN, STEP_ANOTHER_WAY, {"detector_pairs"} | BEYOND_PAIRS, 14.0,
        {"detector_pairs": "not after 'a': unit 0 reads the memory of an 'a' with the wrong sign",
         "detector_fours": "with the wrong sign", "detector_long": "with the wrong sign"}),
}
IN_A_CHILD = "forward-weight_ih-untransposed + detector-three-units"


# Part 1's other mistakes, checked in this process by course_pkg.check's own machinery (the
# grader's judges, public tests only): name: (edits, {test: hint fragment})
FORWARD_HINTS = {
    "no-bias_hh": (NO_BIAS_HH, {"forward_one": "without bias_hh", "forward_pure": "without bias_hh"}),
    "no-biases": (NO_BIASES, {"forward_batch": "without either bias"}),
    "weight_hh-untransposed": (HH_UNTRANSPOSED, {"forward_one": "weight_hh acts on h_prev the wrong way round"}),
    "no-recurrence": (NO_RECURRENCE, {"forward_batch": "ignores h_prev"}),
    "relu": ([(FWD, "h_next = np.tanh(a)", "h_next = np.maximum(a, 0)")], {"forward_one": "the values of ReLU"}),
    "sigmoid": (SIGMOID, {"forward_one": "the sigmoid", "forward_pure": "the sigmoid"}),
    "no-nonlinearity": (LINEAR, {"forward_batch": "no nonlinearity was applied"}),
}


@cache
def solution_cell(grade_id):
    """The source of the solution's graded cell ``grade_id`` (the notebook is read once a cell)."""
    return fx.solution_cell(SOLUTION, grade_id)


def edited_sources(edits):
    """``{grade_id: source}`` of the solution's graded cells with each edit applied once."""
    sources = {}
    for grade_id, old, new in edits:
        source = sources.get(grade_id, solution_cell(grade_id))
        assert source.count(old) == 1, f"{old!r} is not once in {grade_id}: the solution changed"
        sources[grade_id] = source.replace(old, new)
    return sources


@pytest.mark.parametrize("mistake", list(FORWARD_HINTS))
def test_each_forward_mistake_is_named_by_the_public_tests(mistake):
    """A wrong forward fails every public test of Parts 1 and 2, each forward test naming its
    cause, every backward test sending the learner back to Part 1."""
    edits, hints = FORWARD_HINTS[mistake]
    namespace = {"np": np}
    for grade_id in (FWD, BWD, DET):
        exec(edited_sources(edits).get(grade_id, solution_cell(grade_id)), namespace)
    _, graded = check_module.run_check("ex01_rnn_step", namespace)
    hint = {r.test.id: r.hint for r in graded.results}
    assert {t for t, h in hint.items() if h} == {t.id for t in RUBRIC.public() if t.grade_id in (FWD, BWD)}
    assert {t: hint[t] for t, fragment in hints.items() if fragment not in hint[t]} == {}
    assert all(hint[t].startswith("h_next: ") for t in ("forward_one", "forward_batch", "forward_pure"))
    assert all(hint[t].endswith("fix Part 1 first") for t in ("dx", "dh_prev", "dbias"))


def graded_sources(edits, sources):
    """``{grade_id: source}`` of the three graded cells: the solution's, with each edit applied
    once, then whole cells replaced by ``sources``."""
    cells = {g: solution_cell(g) for g in (FWD, BWD, DET)}
    return {**cells, **edited_sources(edits), **sources}


def grade_in_process(sources):
    """Every test of the rubric, hidden ones too, on the graded cells ``sources``: run in this
    process by the grader's harness (its calls, its time limit per call, the wire) and scored
    by its judges, as the child process and the parent of ``grade_notebook`` do."""
    namespace = {"np": np}
    for source in sources.values():
        exec(source, namespace)
    loaded = {"kind": "loaded", "cell_errors": [], "memory_error": False, "timed_out": False,
              "functions": harness.describe_functions(namespace, list(RUBRIC.signatures))}
    messages = [loaded, *harness.run_tests(plan(RUBRIC.tests), namespace, RUBRIC.check_seconds), {"kind": "done"}]
    return score_messages(RUBRIC, RUBRIC.tests, json.loads(json.dumps(messages)))


@pytest.mark.parametrize("case", list(CASES))
def test_each_designed_mistake_scores_its_marks_with_its_hint(case):
    edits, sources, failing, score, hints = CASES[case]
    result = grade_in_process(graded_sources(edits, sources))
    assert result.status == "ok", (result.status, result.reason)
    assert fx.failed_ids(result) == failing
    assert (result.score, result.max_score) == (score, RUBRIC.max_points)
    hint = {r.test.id: r.hint for r in result.results}
    assert {t: hint[t] for t, fragment in hints.items() if fragment not in hint[t]} == {}


def test_a_designed_mistake_graded_as_a_notebook_in_a_child_scores_the_same(tmp_path):
    """The grader itself, in a child process, on the notebook with the edited cells."""
    edits, sources, failing, score, hints = CASES[IN_A_CHILD]
    path = SOLUTION
    for i, (grade_id, source) in enumerate(graded_sources(edits, sources).items()):
        (tmp_path / str(i)).mkdir()
        path = fx.with_graded_cell(tmp_path / str(i), path, grade_id, source)
    fx.assert_designed_score(path, RUBRIC, failing, score, hints)


def test_the_intro_announces_the_rubrics_points_tests_and_answers():
    part = {FWD: 1, BWD: 2, DET: 3}
    points = [sum(t.points for t in RUBRIC.tests if part[t.grade_id] == k) for k in (1, 2, 3)]
    hidden = sorted(t.id for t in RUBRIC.tests if t.hidden)
    assert (points, hidden) == ([4, 6, 20], ["backward_one", "detector_long", "forward_square"])
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Parts 1 and 2 practise what chapter 1 shows: Part 1 is worth 4 points and Part 2 6 points. "
            "Part 3, a design of your own, is worth 20 points. Three of the tests are hidden" in said
            and "The two written answers are read by hand" in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]


def test_each_self_check_runs_its_own_function_and_no_notebook_code_judges():
    """After each graded cell, a check of that function alone; then only what the learner
    reads (the worked example, the gradient check's numbers side by side, the detector at
    work): no verdict printed by notebook code."""
    cells = nbformat.read(SOLUTION, as_version=4).cells
    checks = [c.source for c in cells if c.cell_type == "code" and 'course_pkg.check("ex01_rnn_step"' in c.source]
    assert [s.split("course_pkg.check(")[1].split(")")[0] for s in checks] == [
        f'"ex01_rnn_step", "{FWD}"', f'"ex01_rnn_step", "{BWD}"', f'"ex01_rnn_step", "{DET}"', '"ex01_rnn_step"']
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    for judging in ("rel_error", "allclose", " OK", "✓", "agrees", "assert"):
        assert judging not in code


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice. The detector is a design (20 of the 30); the
    forward step is chapter 1's cell ch01-10 and the backward step the one the chapter takes
    apart (the tanh's slope, then a dense layer's backward)."""
    points = {t.id: t.points for t in RUBRIC.tests}
    assert ex01.UNDERSTANDING <= set(points)
    assert ex01.UNDERSTANDING == DETECTOR
    understood = sum(points[i] for i in ex01.UNDERSTANDING)
    assert (understood, sum(points.values())) == (20, 30)
    assert 3 * understood >= 2 * sum(points.values())


def test_the_steps_are_what_the_chapter_shows():
    """Why Parts 1 and 2 count as what the chapter shows: its cell ch01-10 computes the forward
    step, and its section on fit's gradients takes one step's backward apart."""
    cells = {c.id: c.source for c in nbformat.read(ROOT / "notebooks" / "ch01_rnn_basics.ipynb",
                                                   as_version=4).cells}
    assert "a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh" in cells["ch01-10"]
    assert "np.tanh(a)" in cells["ch01-10"]
    assert "dense.backward(dh * (1 - h_dense**2))" in cells["ch01-out-9"]
    said = " ".join(cells["ch01-write-md2"].split())
    assert "So **one step's backward is a dense layer's backward**, taken after the tanh's" in said


def test_the_detector_is_not_a_cell_of_the_chapter():
    """No code of chapter 1 sets an RNN's weights by hand (its exercise boxes name the task)."""
    chapter = " ".join("".join(c.source) for c in nbformat.read(
        ROOT / "notebooks" / "ch01_rnn_basics.ipynb", as_version=4).cells if c.cell_type == "code")
    assert "detector" not in chapter.lower() and "weight_hh = np.array" not in chapter
    assert "weight_hh = np.array([[0.0, 4.0]" in solution_cell(DET)


def test_fires_and_the_words_by_hand():
    ids = np.array([[2, 0, 1, 1, 0, 1]])                          # "cabbab"
    assert ex01.fires(ids).tolist() == [[False, False, True, False, False, True]]
    assert ex01.word(ids[0]) == "cabbab" and ex01.word(ids[0], 2) == "cab"
    assert ex01.all_words(2).shape == (9, 2) and ex01.all_words(4).shape == (81, 4)
    assert len({ex01.word(w) for w in ex01.all_words(4)}) == 81
    long = ex01.long_words()
    assert long.shape == (43, 30) and ex01.fires(long).sum() > 40       # "ab" occurs often
    assert [ex01.word(w) for w in long[-3:]] == ["a" * 29 + "b", "b" * 30, "c" * 27 + "cab"]


def solution_detector():
    namespace = {"np": np}
    exec(solution_cell(DET), namespace)
    return namespace[DET]()


def test_the_solutions_detector_keeps_a_margin_of_0_95_on_every_word():
    """The rubric's docstring: every unit at least 0.95 away from 0 at every step."""
    params = ex01.detector_params(solution_detector())
    for ids in (ex01.all_words(4), ex01.long_words()):
        x = np.eye(3)[ids]
        h, _ = ex01.reference_rnn_forward(x, np.zeros((len(ids), 2)), params)
        assert np.abs(h).min() >= 0.95
        assert np.array_equal(h[..., 0] > 0, ex01.fires(ids))


def judge(test_id, value):
    test = next(t for t in RUBRIC.tests if t.id == test_id)
    return test.judge(test.calls, [CallResult(c.function, value=v, module="__notebook__")
                                   for c, v in zip(test.calls, value)])


@pytest.mark.parametrize("value, fragment", [
    (None, "return a dict of weight_ih"), ([1, 2], "got a list"),
    ({"weight_ih": np.zeros((2, 3))}, "no key 'weight_hh'"),
    ({"weight_ih": np.zeros((3, 2)), "weight_hh": np.zeros((2, 2)), "bias_ih": np.zeros(2),
      "bias_hh": np.zeros(2)}, "weight_ih of shape (H, D) with D = 3"),
    ({"weight_ih": np.zeros((2, 3)), "weight_hh": np.zeros((3, 3)), "bias_ih": np.zeros(2),
      "bias_hh": np.zeros(2)}, "weight_hh of shape (H, H) = (2, 2)"),
    ({"weight_ih": np.zeros((2, 3)), "weight_hh": np.zeros((2, 2)), "bias_ih": np.zeros(2),
      "bias_hh": np.zeros((1, 2))}, "bias_hh of shape (H,) = (2,)"),
    ({"weight_ih": np.zeros((0, 3)), "weight_hh": np.zeros((0, 0)), "bias_ih": np.zeros(0),
      "bias_hh": np.zeros(0)}, "got H = 0"),
    ({"weight_ih": np.full((2, 3), np.nan), "weight_hh": np.zeros((2, 2)), "bias_ih": np.zeros(2),
      "bias_hh": np.zeros(2)}, "weight_ih holds NaN"),
    ({"weight_ih": "zeros", "weight_hh": np.zeros((2, 2)), "bias_ih": np.zeros(2),
      "bias_hh": np.zeros(2)}, "weight_ih to be a NumPy array"),
    ({"weight_ih": np.zeros((2, 3)), "weight_hh": np.zeros((2, 2)), "bias_ih": np.array(["a", "b"]),
      "bias_hh": np.zeros(2)}, "bias_ih to hold real numbers"),
    ({"weight_ih": np.zeros((2, 3)), "weight_hh": np.zeros((2, 2)), "bias_ih": np.zeros(2),
      "bias_hh": np.zeros(2)}, "does not fire after 'ab' (+0.00 at step"),       # h = 0 everywhere
])
def test_odd_detectors_get_a_hint_not_an_error(value, fragment):
    """Whatever a learner's ab_detector returns, the judge answers with a hint (CheckFailed)."""
    for test_id in ("detector_pairs", "detector_fours"):
        with pytest.raises(CheckFailed, match=None) as err:
            judge(test_id, (value,))
        assert fragment in str(err.value), (test_id, str(err.value))


def test_a_right_detector_written_another_way_passes_every_test():
    """Larger weights, more units, unit 1 high for "not a" with the biases in bias_hh and the
    arrays as lists (through the wire, as the grader receives them); the solution's way with
    three units and integer arrays is graded whole in the designed cases."""
    namespace = {"np": np}
    exec(NOT_A_UNIT, namespace)
    not_a = wire.decode(json.loads(json.dumps(wire.encode(namespace[DET]()))))
    right = solution_detector()
    big = {k: 3 * np.asarray(v) for k, v in right.items()}             # saturates harder
    wide = {"weight_ih": np.vstack([right["weight_ih"], np.ones((5, 3))]),
            "weight_hh": np.pad(right["weight_hh"], ((0, 5), (0, 5)), constant_values=0.1),
            "bias_ih": np.concatenate([right["bias_ih"], np.zeros(5)]), "bias_hh": np.zeros(7)}
    wide["weight_hh"][:2, 2:] = 0.0                                   # units 2-6 feed neither 0 nor 1
    for params in (big, wide, not_a):
        for test in RUBRIC.tests:
            if test.grade_id == DET:
                judge(test.id, (params,))


@pytest.mark.parametrize("variant", list(ex01.FORWARD_MISTAKES))
def test_each_forward_mistake_differs_from_the_step_where_it_is_tested(variant):
    """Every forward variant changes h_next on the test that names it (untransposed weight_ih
    only where D = H: the hidden test), so its hint can be reached."""
    tests = [t for t in RUBRIC.tests if t.grade_id == FWD]
    moved = []
    for test in tests:
        x, h_prev, params = test.calls[0].args
        value = ex01.forward_variant(x, h_prev, params, variant)
        if value is not None:
            moved.append(ex01.rel_error(value, ex01.forward_variant(x, h_prev, params)) > 1e-3)
    assert moved and all(moved)
    assert (variant == "ih_untransposed") == (len(moved) == 1)


@pytest.mark.parametrize("variant", list(ex01.BACKWARD_MISTAKES))
def test_the_backward_reference_and_its_variants(variant):
    """With no variant, :func:`backward_variant` is course_pkg's backward; each variant changes
    at least one gradient of the public backward tests' inputs."""
    x, h_prev, params, dh_next = ex01.make_inputs(4, 3, 5, 10)
    right = ex01.backward_variant(dh_next, x, h_prev, params)
    dx, dh_prev, grads = ex01.reference_backward(dh_next, ex01.reference_forward(x, h_prev, params)[1])
    for name, want in {"dx": dx, "dh_prev": dh_prev, **grads}.items():
        assert ex01.rel_error(right[name], want) < 1e-12, name
    wrong = ex01.backward_variant(dh_next, x, h_prev, params, variant)
    assert any(wrong[n].shape != right[n].shape or ex01.rel_error(wrong[n], right[n]) > 1e-3 for n in right)


def test_question_2s_answer_agrees_with_the_stored_run_from_another_start():
    """The solution's answer says where its detector fires from h_0 = (1, 1): "bcab" at steps
    1 and 4 (step 1 wrongly), "cbab" at 4, "abab" at 2 and 4, "aabb" at 3."""
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    out = "".join(o.get("text", "") for o in cells["other-start"].outputs).splitlines()
    fired = {line.split()[0]: [t + 1 for t, v in enumerate(line.split()[3:]) if float(v) > 0.5] for line in out}
    assert fired == {"bcab": [1, 4], "cbab": [4], "abab": [2, 4], "aabb": [3]}
    answer = " ".join(cells["question-detector"].source.split())
    assert '"bcab" fires at steps 1 and 4' in answer and '"aabb" at step 3 alone' in answer


def test_a_unit_0_that_reads_its_own_past_is_told_so():
    """An odd design, found by a search over unit 0's weights: unit 0 reads its own past
    (``weight_hh[0, 0] = 6``) and stays on the step after "ab"; the words of four letters show
    it, and where no cause fits, the hint says where unit 0 is wrong and what it should be."""
    odd = {"weight_ih": np.array([[8.0, 4.0, 2.0], [4.0, 0.0, 0.0]]),
           "weight_hh": np.array([[6.0, 4.0], [0.0, 0.0]]),
           "bias_ih": np.array([-8.0, -2.0]), "bias_hh": np.zeros(2)}
    with pytest.raises(CheckFailed, match=r"stays on the step after 'ab' \(\+0\.97 at step 4 of 'aaba'\): "
                                          "unit 0 keeps its own past"):
        judge("detector_fours", (odd,))
    with pytest.raises(CheckFailed, match=r"unit 0 is \+0\.00 at step 1 of 'a', where it should be below -0\.5"):
        judge("detector_start", (odd,))


def test_a_unit_0_undecided_at_step_1_is_told_what_it_reads_there():
    """A 'b' weight equal to the bias's size leaves unit 0 at tanh(0) = 0 on a first 'b': no
    cause fits (it does not fire), so the hint says where, and what step 1 reads."""
    undecided = {"weight_ih": np.array([[-3.0, 3.0, -3.0], [3.0, -3.0, -3.0]]),
                 "weight_hh": np.array([[0.0, 3.0], [0.0, 0.0]]),
                 "bias_ih": np.array([-3.0, 0.0]), "bias_hh": np.zeros(2)}
    judge("detector_pairs", (undecided,))
    with pytest.raises(CheckFailed, match=r"unit 0 is \+0\.00 at step 1 of 'b', where it should be below -0\.5: "
                                          "at step 1 it reads the letter and h_0 = 0 alone"):
        judge("detector_start", (undecided,))
