"""The grader of exercise 7 gives each usual mistake the marks its rubric's docstring promises.

A wrong submission here is ``solutions/ex07_lstm.ipynb`` with a few lines of its graded cells
rewritten (a road into the cell state forgotten, CS231n's gate order, memory weights whose
forget gate is too small...). It is graded in a child Python like a learner's notebook; the
test checks the score, the set of failed tests and a fragment of each hint. To keep the time
down, one graded run carries a mistake in the backward step and another in the memory's
weights (they touch different functions, so their marks add up: each one's own marks are in
the rubric's docstring). The judges' signatures of every variant are also checked in this
process, without a child. Full marks for the solution and zero for the blank exercise are
``test_grading.py``'s business.
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

import course_pkg
from course_pkg.grading.rubric import CallResult, CheckFailed
from course_pkg.grading.rubrics import ex07_lstm as ex07
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
EX07 = "ex07_lstm"
SOLUTION = ROOT / "solutions" / f"{EX07}.ipynb"
RUBRIC = rubric_for(EX07)
TESTS = {t.id: t for t in RUBRIC.tests}
FORWARD = {"forward_one", "forward_batch", "forward_pure", "forward_square"}
BACKWARD = {"dx", "dh_prev", "dc_prev", "dweights", "dbias", "no_dc_next", "no_dh_next",
            "centred_differences", "backward_one"}
MEMORY = {"memory_short", "memory_long", "memory_rewrite", "memory_quiet", "memory_hidden"}

TWO_ROADS = "dc = dc_next + dh_next * o * (1 - tanh_c ** 2)"
BIASES = "bias_ih = np.array([-10.0, 10.0, 0.0, -10.0])"
ROW_I, ROW_F = "[[0.0, 20.0, 0.0],     # i", "[0.0, -20.0, 0.0],    # f"
ROW_G, ROW_O = "[3.0, 0.0, 0.0],      # g", "[0.0, 0.0, 20.0]])    # o"
CS231N_FORWARD = [("forward", "o = sigmoid(a[:, 3 * H:])", "o = sigmoid(a[:, 2 * H:3 * H])"),
                  ("forward", "g = np.tanh(a[:, 2 * H:3 * H])", "g = np.tanh(a[:, 3 * H:])")]
CS231N_BACKWARD = [("backward", "dg * (1 - g ** 2), do * o * (1 - o)])",
                    "do * o * (1 - o), dg * (1 - g ** 2)])")]
CS231N_MEMORY = [("memory", ROW_G, "[0.0, 0.0, 20.0],     # o"), ("memory", ROW_O, "[3.0, 0.0, 0.0]])     # g"),
                 ("memory", BIASES, "bias_ih = np.array([-10.0, 10.0, -10.0, 0.0])")]

# name: ([(cell id, old text, new text), ...], tests that fail, score out of 19, hint fragments)
MISTAKES = {
    "backward-forgets-dc_next; memory-forget-bias-4": (
        [("backward", TWO_ROADS, "dc = dh_next * o * (1 - tanh_c ** 2)"),
         ("memory", BIASES, "bias_ih = np.array([-10.0, 4.0, 0.0, -10.0])")],
        BACKWARD - {"no_dc_next"} | {"memory_long", "memory_hidden"}, 8.0,
        {"dc_prev": "dc_next = 0: one road into dc is missing",
         "centred_differences": "against centred differences: the values are those of dc_next = 0",
         "memory_long": "100 steps after the write of +1, h = 0.16: the bit fades: between write and "
                        "read the forget gate is 0.9820 on average, so after 100 steps 0.16"}),
    "backward-forgets-tanh-derivative; memory-output-gate-always-open": (
        [("backward", TWO_ROADS, "dc = dc_next + dh_next * o"),
         ("memory", ROW_O, "[0.0, 0.0, 0.0]])     # o"),
         ("memory", BIASES, "bias_ih = np.array([-10.0, 10.0, 0.0, 10.0])")],
        BACKWARD - {"no_dh_next"} | {"memory_quiet", "memory_hidden"}, 9.0,
        {"dx": "lacks the derivative of the tanh", "memory_quiet": "step 10 is no read, yet h = 0.76: "
                                                                 "the output gate is 1.00 there"}),
    "backward-forgets-the-road-through-h; memory-keeps-the-old-bit": (
        [("backward", TWO_ROADS, "dc = dc_next"), ("memory", ROW_F, "[0.0, 0.0, 0.0],      # f")],
        BACKWARD - {"no_dh_next"} | {"memory_rewrite", "memory_hidden"}, 9.0,
        {"dweights": "one road into dc is missing, the one through h_t",
         "memory_rewrite": "at that write the forget gate is 1.00, so the bit written before stays"}),
    "backward-dc_prev-from-dc_next-only; memory-in-cs231n-order": (
        [("backward", "dc_prev = dc * f", "dc_prev = dc_next * f")] + CS231N_MEMORY,
        {"dc_prev", "no_dc_next", "centred_differences", "backward_one"} | MEMORY, 9.0,
        {"dc_prev": "dc_prev passes on only dc_next",
         "memory_short": "row blocks read as i, f, o, g (CS231n's order): row 2 as o, row 3 as g"}),
    "backward-gates-stacked-i-f-o-g; memory-input-gate-always-open": (
        CS231N_BACKWARD + [("memory", ROW_I, "[[0.0, 0.0, 0.0],      # i"),
                           ("memory", BIASES, "bias_ih = np.array([10.0, 10.0, 0.0, -10.0])")],
        BACKWARD - {"dc_prev"} | MEMORY - {"memory_quiet"}, 6.0,
        {"dbias": "in the order i, f, o, g (CS231n's order): the blocks of dL/da",
         "memory_short": "the input gate reaches 1.00, so the distractor bits are written too"}),
    "cs231n-gate-order-in-both-steps; memory-input-gate-leaks": (
        CS231N_FORWARD + CS231N_BACKWARD + [("memory", ROW_I, "[[0.0, 12.0, 0.0],     # i"),
                                            ("memory", BIASES, "bias_ih = np.array([-6.0, 10.0, 0.0, -10.0])")],
        FORWARD | BACKWARD | {"memory_long"}, 4.0,
        {"forward_batch": "those of the row blocks read as i, f, o, g (CS231n's order): rows 2H:3H as o",
         "dx": "lstm_step_forward is wrong too", "centred_differences": "fix Part 1 first",
         "memory_long": "the input gate reaches 2.5e-03, so the distractor bits are written too"}),
    "no-tanh-on-c-in-both-steps; memory-bit-with-the-wrong-sign": (
        [("forward", "tanh_c = np.tanh(c_next)", "tanh_c = c_next"),
         ("memory", ROW_G, "[-3.0, 0.0, 0.0],     # g")],
        FORWARD | BACKWARD - {"no_dh_next"} | MEMORY - {"memory_quiet"}, 2.0,
        {"forward_one": "h_next is o times c_next itself", "dh_prev": "fix Part 1 first",
         "memory_long": "at the write the candidate g is -1.00; it should carry the bit, with its sign"}),
    "course_pkg-reference": (
        [("backward", "    return dx, dh_prev, dc_prev, grads",
          "    return dx, dh_prev, dc_prev, grads\n\n\n"
          "from course_pkg import lstm_step_backward, lstm_step_forward")],
        FORWARD | BACKWARD, 6.0,
        {"forward_batch": "expected your own lstm_step_forward, got course_pkg's reference"}),
}

# Right answers written other ways, all in one run: a dict cache, a backward that adds the
# roads in two lines, memory weights of other sizes, with biases in bias_hh and a list.
OTHER_WAYS = [
    ("forward", "cache = (x, h_prev, c_prev, params, i, f, g, o, tanh_c)",
     'cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "params": params,\n'
     '             "gates": (i, f, g, o), "tanh_c": tanh_c}'),
    ("backward", "x, h_prev, c_prev, params, i, f, g, o, tanh_c = cache",
     'x, h_prev, c_prev, params = (cache[k] for k in ("x", "h_prev", "c_prev", "params"))\n'
     '    (i, f, g, o), tanh_c = cache["gates"], cache["tanh_c"]'),
    ("backward", TWO_ROADS, "dc = dh_next * o * (1 - tanh_c ** 2)\n    dc = dc + dc_next"),
    ("memory", '''    params = {"weight_ih": weight_ih, "weight_hh": np.zeros((4, 1)),
              "bias_ih": bias_ih, "bias_hh": np.zeros(4)}''',
     '''    params = {"weight_ih": 2.5 * weight_ih, "weight_hh": [[0.0]] * 4,
              "bias_ih": np.zeros(4), "bias_hh": 2.5 * bias_ih}'''),
]


def submission(tmp_path, edits):
    """The solution with each ``(cell id, old, new)`` edit applied once."""
    return fx.with_edits(tmp_path, SOLUTION, edits)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usual_mistake_gets_its_designed_partial_marks(tmp_path, mistake):
    edits, failing, score, hints = MISTAKES[mistake]
    fx.assert_designed_score(submission(tmp_path, edits), RUBRIC, failing, score, hints)


def test_right_answers_written_other_ways_get_full_marks(tmp_path):
    fx.assert_designed_score(submission(tmp_path, OTHER_WAYS), RUBRIC, set(), RUBRIC.max_points)


def test_the_points_are_those_the_notebook_announces():
    parts = {"lstm_step_forward": 4, "lstm_step_backward": 9, "bit_memory_params": 6}
    assert {part: sum(t.points for t in RUBRIC.tests if t.grade_id == part) for part in parts} == parts
    assert RUBRIC.max_points == sum(parts.values())
    assert set(TESTS) == FORWARD | BACKWARD | MEMORY
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"forward_square", "backward_one", "memory_hidden"}
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert "Part 1 is worth 4 points, Part 2 9 points and Part 3 6 points; three of the tests are hidden" in said
    assert "The three written answers are read by hand" in said
    assert [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source] == [
        a.id for a in RUBRIC.answers]


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice: the backward step derived without the gradient of
    the cell state given (9) and the memory's weights chosen (6), 15 of the 19."""
    points = {t.id: t.points for t in RUBRIC.tests}
    assert ex07.UNDERSTANDING <= set(points) and ex07.UNDERSTANDING == BACKWARD | MEMORY
    understood = sum(points[i] for i in ex07.UNDERSTANDING)
    assert (understood, sum(points.values())) == (15, 19)
    assert 3 * understood >= 2 * sum(points.values())


def test_the_notebook_hands_over_neither_the_roads_nor_the_weights():
    """The exercise and the chapter's hints do not state the gradient of the cell state (the
    review's finding), and the memory's weights are in the solution only."""
    def text(path):
        return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)

    exercise, chapter = text(ROOT / "exercises" / f"{EX07}.ipynb"), text(ROOT / "notebooks" / "ch07_lstm.ipynb")
    for shown in (exercise, chapter):
        assert "dc_next + dh_next" not in shown and "{\\partial \\mathbf{h}_t} \\odot \\mathbf{o}_t" not in shown
        assert "*plus* what comes through" not in shown and "20.0" not in shown
    assert "dc = dc_next + dh_next" in fx.solution_cell(SOLUTION, ex07.BACKWARD)
    assert 'course_pkg.check("ex07_lstm", "bit_memory_params")' in exercise


# --------------------------------------------------------------------------- the judges, in process

def forward_result(call, variant=None):
    x, h_prev, c_prev, params = call.args
    v = ex07.forward_values(x, h_prev, c_prev, params, variant)
    return CallResult(ex07.FORWARD, value=(v["h"], v["c"], "cache"))


def backward_results(test, variant=None, forward_variant=None):
    """What a forward of ``forward_variant`` and a backward of ``variant`` return for ``test``."""
    x, h_prev, c_prev, params = test.calls[0].args
    dh_next, dc_next = test.calls[1].args[:2]
    g = ex07.backward_values(x, h_prev, c_prev, params, dh_next, dc_next, variant)
    grads = {k: g[k] for k in ex07.PARAM_KEYS}
    return [forward_result(test.calls[0], forward_variant),
            CallResult(ex07.BACKWARD, value=(g["dx"], g["dh_prev"], g["dc_prev"], grads))]


def hint_of(test, results):
    try:
        test.judge(test.calls, results)
    except CheckFailed as err:
        return str(err)
    return None


def test_the_variants_references_are_course_pkgs():
    x, h_prev, c_prev, params, dh_next, dc_next = ex07.make_inputs(3, 4, 5, seed=30)
    h, c, cache = course_pkg.lstm_step_forward(x, h_prev, c_prev, params)
    v = ex07.forward_values(x, h_prev, c_prev, params)
    assert np.allclose(v["h"], h, rtol=1e-12, atol=1e-14) and np.allclose(v["c"], c, rtol=1e-12, atol=1e-14)
    dx, dh, dc, grads = course_pkg.lstm_step_backward(dh_next, dc_next, cache)
    mine = ex07.backward_values(x, h_prev, c_prev, params, dh_next, dc_next)
    for name, want in {"dx": dx, "dh_prev": dh, "dc_prev": dc, **grads}.items():
        assert ex07.rel_error(mine[name], want) < 1e-12, name


@pytest.mark.parametrize("variant, fragment", [
    *ex07.FORWARD_MISTAKES.items(),
    ("order:ifog", "read as i, f, o, g (CS231n's order): rows 2H:3H as o, rows 3H:4H as g; torch.nn.LSTM's"),
    ("order:fiog", "read as f, i, o, g (the order of the chapter's seed cell): rows 0:H as f, rows H:2H as i"),
    ("order:iofg", "read as i, o, f, g: rows H:2H as o, rows 2H:3H as f, rows 3H:4H as g;"),
])
def test_each_forward_mistake_is_named_by_its_values(variant, fragment):
    for test_id in ("forward_one", "forward_batch", "forward_square"):
        test = TESTS[test_id]
        assert fragment in hint_of(test, [forward_result(test.calls[0], variant)]), test_id


@pytest.mark.parametrize("variant, passes, fragment", [
    ("no_dc_next", {"no_dc_next"}, "one road into dc is missing, the one along the cell state"),
    ("no_h_road", {"no_dh_next"}, "one road into dc is missing, the one through h_t"),
    ("no_tanh_derivative", {"no_dh_next"}, "lacks the derivative of the tanh"),
    ("derivative_at_c", {"no_dh_next"}, "1 - c_t**2"),
    ("dc_prev_one_road", {"dx", "dh_prev", "dweights", "dbias", "no_dh_next"}, "dc_prev passes on only dc_next"),
    ("da_order:ifog", {"dc_prev"}, "order i, f, o, g (CS231n's order): the blocks of dL/da"),
    ("da_order:ofgi", {"dc_prev"}, "order o, f, g, i: the blocks of dL/da"),
])
def test_each_backward_mistake_fails_its_tests_and_is_named(variant, passes, fragment):
    """A road forgotten passes the test where that road carries nothing, and only that one (as
    BPTT without the t+1 term passes T = 1); every failing test names the mistake."""
    for test_id in BACKWARD:
        hint = hint_of(TESTS[test_id], backward_results(TESTS[test_id], variant))
        assert (hint is None) == (test_id in passes), test_id
        if hint is not None:
            assert fragment in hint, (test_id, hint)


def test_a_gate_whose_derivative_is_off_is_named_by_its_rows():
    """A gradient wrong in one block only (o's, here through a tanh it does not have) is named
    by the rows of grads['bias_ih'] that disagree; the δ_c blocks together point at c_t."""
    test = TESTS["dbias"]
    results = backward_results(test)
    dx, dh, dc, grads = results[1].value
    grads = dict(grads, bias_ih=grads["bias_ih"].copy())
    H = len(grads["bias_ih"]) // 4
    grads["bias_ih"][3 * H:] *= 1.5
    hint = hint_of(test, [results[0], CallResult(ex07.BACKWARD, value=(dx, dh, dc, grads))])
    assert "the rows of o (rows 3H:4H) are wrong, the others right" in hint
    grads["bias_ih"] = grads["bias_ih"] * np.repeat([0.5, 0.5, 0.5, 1 / 1.5], H)
    hint = hint_of(test, [results[0], CallResult(ex07.BACKWARD, value=(dx, dh, dc, grads))])
    assert "the gradients of i, f and g, which all come through c_t, are wrong" in hint


@pytest.mark.parametrize("change, own_test, fragment", [
    (lambda grads, N: {**grads, "bias_ih": grads["bias_ih"] / N, "bias_hh": grads["bias_hh"] / N},
     "dbias", "grads['bias_ih'] is 1/N of the gradient, the batch's mean"),
    (lambda grads, N: {**grads, "weight_ih": grads["weight_ih"] / N}, "dweights", "grads['weight_ih'] is 1/N"),
    (lambda grads, N: {**grads, "bias_hh": 0 * grads["bias_hh"]},
     "dbias", "grads['bias_hh'] is zero everywhere, yet bias_hh enters every pre-activation"),
])
def test_a_parameter_gradient_averaged_or_left_zero_is_named(change, own_test, fragment):
    """The batch's mean for a sum, or a bias_hh left out, is named in every test it fails (with
    dh_next = 0 too, where the output gate's block is zero and says nothing); with N = 1 the
    mean is the sum and passes."""
    every = {"no_dc_next", "no_dh_next", "centred_differences", "backward_one"}
    for test_id in BACKWARD:
        results = backward_results(TESTS[test_id])
        dx, dh, dc, grads = results[1].value
        N = dx.shape[0]
        hint = hint_of(TESTS[test_id], [results[0], CallResult(ex07.BACKWARD, value=(dx, dh, dc, change(grads, N)))])
        fails = test_id in every | {own_test} and not (N == 1 and "1/N" in fragment)
        assert (hint is not None) == fails, test_id
        assert hint is None or fragment in hint, (test_id, hint)


def test_the_memory_self_check_runs_with_weights_the_grader_accepts():
    """Integer arrays and lists pass the grader (it converts them); the self-check cell that
    then runs them in course_pkg's LSTM converts them too, instead of stopping with an error."""
    cell = next(c for c in nbformat.read(SOLUTION, as_version=4).cells if c.get("id") == "check-memory")
    solution = weights()
    for value in ({k: v.astype(int) for k, v in solution.items()},
                  {k: v.astype(int).tolist() for k, v in solution.items()}):
        printed = []
        namespace = {"np": np, "sigmoid": ex07.sigmoid, "bit_memory_params": lambda value=value: value,
                     "course_pkg": type("Stub", (), {"check": staticmethod(lambda *args: None),
                                                     "lstm_forward": staticmethod(course_pkg.lstm_forward)}),
                     "print": lambda *args, **kwargs: printed.append(" ".join(map(str, args)))}
        exec(cell.source, namespace)
        assert "[ 0.758  0.756 -0.757 -0.755]" in printed[1], printed


def test_a_wrong_forward_takes_the_blame_for_the_backward():
    for test_id in ("dx", "centred_differences"):
        hint = hint_of(TESTS[test_id], backward_results(TESTS[test_id], "no_dc_next", "order:ifog"))
        assert "lstm_step_forward is wrong too" in hint and "fix Part 1 first" in hint


def test_the_centred_differences_agree_with_the_reference_backward():
    x, h_prev, c_prev, params, dh_next, dc_next = ex07.make_inputs(2, 3, 4, 14)
    numerical = ex07.numerical_gradients(x, h_prev, c_prev, params, dh_next, dc_next)
    dx, dh, dc, grads = ex07.reference_backward(dh_next, dc_next,
                                                ex07.reference_forward(x, h_prev, c_prev, params)[2])
    analytic = {"dx": dx, "dh_prev": dh, "dc_prev": dc, **grads}
    for name, value in analytic.items():
        assert np.allclose(numerical[name], value, rtol=1e-6, atol=1e-8), name
    assert np.array_equal(x, ex07.make_inputs(2, 3, 4, 14)[0])      # the inputs are left as they were


# --------------------------------------------------------------------------- Part 3, in process

def weights(b_f=10.0, f_write=-20.0, order="ifgo", **rows):
    """The solution's memory weights, one of them changed, blocks written in ``order``."""
    table = {"i": ([0.0, 20.0, 0.0], -10.0), "f": ([0.0, f_write, 0.0], b_f), "g": ([3.0, 0.0, 0.0], 0.0),
             "o": ([0.0, 0.0, 20.0], -10.0), **rows}
    return {"weight_ih": np.array([table[k][0] for k in order]), "weight_hh": np.zeros((4, 1)),
            "bias_ih": np.array([table[k][1] for k in order]), "bias_hh": np.zeros(4)}


def memory_hints(params):
    return {t: hint_of(TESTS[t], [CallResult(ex07.MEMORY, value=params)]) for t in sorted(MEMORY)}


def test_the_cell_the_grader_runs_is_course_pkgs_lstm():
    x = ex07.random_sequences(4, 60, seed=3)
    rng = np.random.default_rng(0)
    params = {k: v + rng.standard_normal(np.shape(v)) for k, v in weights().items()}
    trace = ex07.run_cell(params, x)
    h, c_T, _ = course_pkg.lstm_forward(x, np.zeros((4, 1)), np.zeros((4, 1)), params)
    assert np.abs(trace["h"] - h[..., 0]).max() < 1e-12 and np.abs(trace["c"][:, -1] - c_T[:, 0]).max() < 1e-12
    stacked = {k: np.stack([v, 2 * v]) for k, v in params.items()}      # two weight sets at once
    assert np.abs(ex07.run_cell(stacked, x)["h"][0] - trace["h"]).max() == 0


def test_the_graders_sequences_are_what_the_notebook_promises():
    """A read only after a first write and never at a write; gaps up to 390 steps, and in two
    of those sequences every later bit the opposite of the stored one; in the rewrite test half
    the second bits are the opposite of the first."""
    for test_id in MEMORY:
        x = TESTS[test_id].judge.keywords["x"]
        reads, writes = x[..., ex07.READ] > 0, x[..., ex07.WRITE] > 0
        assert not (reads & writes).any() and (ex07.latest_write(x)[reads] >= 0).all()
        assert set(np.unique(x[..., ex07.BIT])) == {-1.0, 1.0}
    gaps = np.arange(400) - ex07.latest_write(TESTS["memory_long"].judge.keywords["x"])[0]
    assert gaps[[105, 250, 395]].tolist() == [100, 245, 390]
    x = TESTS["memory_long"].judge.keywords["x"]
    assert x[:2, 5, 0].tolist() == [1.0, -1.0] and (x[:2, 6:, 0] == -x[:2, 5:6, 0]).all()
    x = TESTS["memory_rewrite"].judge.keywords["x"]
    assert (x[:, 3, 0] != x[:, 30, 0]).sum() == 4
    hidden = TESTS["memory_hidden"].judge.keywords["x"]
    assert hidden[..., ex07.WRITE].sum(axis=1).min() >= 2 and hidden[..., ex07.READ].sum() > 200


def test_the_solutions_weights_pass_with_a_margin():
    """At every read of every test |h| >= 0.744 (0.744 where 390 distractors of the other sign
    follow the write), at every other step |h| < 1e-4."""
    for test_id in MEMORY:
        x = TESTS[test_id].judge.keywords["x"]
        trace = ex07.run_cell(weights(), x)
        reads = x[..., ex07.READ] > 0
        assert np.abs(trace["h"][reads]).min() > 0.74 and np.abs(trace["h"][~reads]).max() < 1e-4


@pytest.mark.parametrize("change, fails, fragment", [
    ({"b_f": 6.0}, {"memory_long"}, "the bit fades: between write and read the forget gate is 0.9975"),
    ({"b_f": 4.0}, {"memory_long", "memory_hidden"}, "the bit fades"),
    ({"f_write": 0.0}, {"memory_rewrite", "memory_hidden"}, "at that write the forget gate is 1.00"),
    ({"o": ([0.0, 0.0, 0.0], 10.0)}, {"memory_quiet", "memory_hidden"}, "the output gate is 1.00 there"),
    ({"o": ([0.0, 0.0, 20.0], -21.0)}, MEMORY - {"memory_quiet"}, "at the read the output gate is 0.27"),
    ({"i": ([0.0, 0.0, 0.0], 10.0)}, MEMORY - {"memory_quiet"}, "the distractor bits are written too"),
    ({"i": ([0.0, 12.0, 0.0], -6.0)}, {"memory_long"}, "the input gate reaches 2.5e-03, so the distractor "
     "bits are written too: over 245 steps they moved c to 0.38 from the 0.98 that the forget gate kept"),
    ({"i": ([0.0, 14.0, 0.0], -7.0), "b_f": 8.0}, {"memory_long"}, "input gate reaches 9.1e-04"),
    ({"i": ([0.0, 16.0, 0.0], -8.0)}, set(), ""),
    ({"i": ([0.0, 20.0, 0.0], -30.0)}, MEMORY - {"memory_quiet"}, "at the write the input gate is 0.00"),
    ({"g": ([-3.0, 0.0, 0.0], 0.0)}, MEMORY - {"memory_quiet"}, "the candidate g is"),
    ({"order": "ifog"}, MEMORY, "read as i, f, o, g (CS231n's order): row 2 as o, row 3 as g"),
    ({"order": "fiog"}, MEMORY, "read as f, i, o, g (the order of the chapter's seed cell)"),
    ({"order": "fgio"}, MEMORY - {"memory_quiet"}, "read as f, g, i, o: row 0 as f, row 1 as g, row 2 as i"),
])
def test_each_memory_mistake_fails_its_tests_and_is_named(change, fails, fragment):
    """Each mistake fails its tests with its hint. An input gate that lets in 2.5e-3 of each
    distractor (the pre-activation -6) fails where 245 distractors of the other sign follow the
    write, one at -7 fails by a hair beside a forget-gate bias of 8, and -8 passes."""
    hints = memory_hints(weights(**change))
    assert {t for t, hint in hints.items() if hint} == fails
    assert all(fragment in hints[t] for t in fails), hints
    assert all(hint is None for hint in memory_hints(weights()).values())


def test_gates_at_plus_or_minus_five_both_fade_and_leak():
    """Pre-activations of +-5 look saturated (sigma(5) = 0.993) and fail twice over 100 steps:
    the forget gate keeps 0.51 of the bit, and 100 distractors of the other sign, let in at
    6.7e-3 each, take the rest; the hint says both."""
    hints = memory_hints(weights(i=([0.0, 10.0, 0.0], -5.0), f=([0.0, -10.0, 0.0], 5.0),
                                 o=([0.0, 0.0, 10.0], -5.0)))
    assert {t for t, hint in hints.items() if hint} == {"memory_long", "memory_hidden"}
    assert ("the input gate reaches 6.7e-03, so the distractor bits are written too: over 100 steps "
            "they moved c to 0.02 from the 0.51 that the forget gate kept of the bit") in hints["memory_long"]
    assert "the bit fades: between write and read the forget gate is 0.9933" in hints["memory_hidden"]


@pytest.mark.parametrize("value, fragment", [
    (None, "to return a dict of four arrays"), ([1, 2], "to return a dict"),
    ({"weight_ih": np.zeros((4, 3))}, "no key 'weight_hh'"),
    ({**weights(), "weight_ih": np.zeros((3, 4))}, "params['weight_ih'] of shape (4H, D) = (4, 3)"),
    ({**weights(), "bias_hh": np.zeros(8)}, "(4H,) = (4,)"),
    ({**weights(), "bias_ih": np.full(4, np.nan)}, "NaN or infinite"),
    ({**weights(), "weight_hh": "zeros"}, "to be an array of numbers"),
])
def test_odd_memory_returns_get_a_hint_not_an_error(value, fragment):
    for test_id in ("memory_short", "memory_hidden"):
        assert fragment in hint_of(TESTS[test_id], [CallResult(ex07.MEMORY, value=value)])
