"""Exercise 8 (the GRU step, its backward pass, a probe, a hand-set adder, the LSTM on a budget):
the partial marks its rubric is designed to give, and its references checked.

Each usual mistake is the solution notebook with a few lines of one graded cell rewritten; the
grader must fail exactly the tests that the mistake breaks, give exactly the points the rubric
promises and say why in the hint. Mistakes in different functions share one graded run (one
child Python, which trains the LSTM), so each run checks the union of its mistakes' failures
and the sum of their losses; the failures of the mistakes of one run never overlap. (The full
marks of the solution and the zero of the blank exercise are checked for every exercise in
``test_grading.py``.)
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.gradcheck import numerical_gradient, rel_error
from course_pkg.grading.judge import grade_notebook
from course_pkg.grading.loader import load_graded
from course_pkg.grading.rubric import CallResult, CheckFailed
from course_pkg.grading.rubrics import ex08_gru as ex08
from course_pkg.grading.rubrics import rubric_for
from course_pkg.gru import gru_step_backward, gru_step_forward

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex08_gru.ipynb"
RUBRIC = rubric_for("ex08_gru")
FORWARD = {"forward_batch", "forward_one", "forward_square"}
BACKWARD = {"dx", "dh_prev", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh", "backward_one"}
PROBE = {"probe_reset", "probe_blend", "probe_order"}
ADDER = {"adder_short", "adder_long", "adder_anywhere"}
LSTM = {"lstm_budget", "lstm_seed"}
POINTS = {t.id: t.points for t in RUBRIC.tests}

PAPER = ('n = np.tanh(xw[:, 2 * H:] + (r * h_prev) @ params["weight_hh"][2 * H:].T\n'
         '                + params["bias_hh"][2 * H:])')
BHN_OUTSIDE = ('n = np.tanh(xw[:, 2 * H:]\n'
               '                + r * (h_prev @ params["weight_hh"][2 * H:].T)\n'
               '                + params["bias_hh"][2 * H:])')
R_Z = ("r = sigmoid(xw[:, :H] + hw[:, :H])\n    z = sigmoid(xw[:, H:2 * H] + hw[:, H:2 * H])")
Z_R = ("z = sigmoid(xw[:, :H] + hw[:, :H])\n    r = sigmoid(xw[:, H:2 * H] + hw[:, H:2 * H])")
RANDOM_PROBE = '''
def probe_step():
    rng = np.random.default_rng(0)
    x, h_prev = rng.standard_normal((1, 1)), np.array([[0.3]])
    params = {"weight_ih": rng.standard_normal((3, 1)),
              "weight_hh": rng.standard_normal((3, 1)),
              "bias_ih": rng.standard_normal(3), "bias_hh": rng.standard_normal(3)}
    return x, h_prev, params
'''
FIVE_EPOCHS = '''
def train_lstm(data, seed):
    x, y, x_val, y_val = data
    model = cp.SequenceClassifier(cp.LSTM(2, 13, batch_first=True, seed=seed),
                                  1, seed=seed + 1)
    train.fit(model, (x, y), val_data=(x_val, y_val), loss="mse", epochs=5,
              lr=0.02, batch_size=32, clip_norm=1.0, seed=seed)
    return dict(model.state_dict())
'''
PROBE_BIASES = ('"bias_ih": np.array([0.0, -4.0, -6.0]),\n'
                '              "bias_hh": np.array([0.0, -6.0, 6.0])}')

# name: (edits [(grade_id, old, new); old None: the whole cell], tests failed, {test: hint fragment})
MISTAKES = {
    "forward-paper-reset": ([("gru_step_forward", "n = np.tanh(xw[:, 2 * H:] + r * hn)", PAPER)],
                            FORWARD | BACKWARD,
                            {"forward_batch": "h_next: values of the paper's reset placement",
                             "dx": "but gru_step_forward is wrong too"}),
    "forward-bhn-outside": ([("gru_step_forward", "n = np.tanh(xw[:, 2 * H:] + r * hn)", BHN_OUTSIDE)],
                            FORWARD | BACKWARD, {"forward_one": "the bias b_hn is inside",
                                                 "dweight_ih": "all three blocks (r, z and n) are off"}),
    "forward-order-z-r-n": ([("gru_step_forward", R_Z, Z_R)], FORWARD | BACKWARD,
                            {"forward_batch": "reads z from rows 0:H, r from rows H:2H (the order z, r, n)"}),
    "forward-blend-swapped": ([("gru_step_forward", "h_next = (1 - z) * n + z * h_prev",
                                "h_next = z * n + (1 - z) * h_prev")], FORWARD,
                              {"forward_one": "the blend the other way round"}),
    "backward-bhn-like-bin": ([("gru_step_backward", '"bias_hh": dhw.sum(axis=0)}', '"bias_hh": dxw.sum(axis=0)}')],
                              {"dbias_hh", "backward_one"},
                              {"dbias_hh": "grads['bias_hh']: the recurrent n block lacks a factor"}),
    "backward-no-direct-road": ([("gru_step_backward", "dh_prev = dh_next * z + dhw @", "dh_prev = dhw @")],
                                {"dh_prev", "backward_one"}, {"dh_prev": "straight through the blend"}),
    "backward-no-r-in-hh": ([("gru_step_backward", "[da_r, da_z, da_n * r]", "[da_r, da_z, da_n]")],
                            {"dh_prev", "dweight_hh", "dbias_hh", "backward_one"},
                            {"dweight_hh": "lacks a factor", "dh_prev": "lacks a factor"}),
    "backward-dz-sign": ([("gru_step_backward", "dz = dh_next * (h_prev - n)", "dz = dh_next * (n - h_prev)")],
                         BACKWARD, {"dx": "sign flipped", "dbias_ih": "sign flipped"}),
    "backward-r-sigmoid-half": ([("gru_step_backward", "da_n * hn * r * (1 - r)", "da_n * hn * r")], BACKWARD,
                                {"dweight_ih": "the r block (rows 0:H) is off by up to",
                                 "dbias_hh": "the z and n blocks are right",
                                 "dx": "dx: values off by up to"}),
    "probe-zeros": ([("probe_step", PROBE_BIASES, '"bias_ih": np.zeros(3), "bias_hh": np.zeros(3)}')], PROBE,
                    {"probe_reset": "the paper's reset placement moves h_next by only 0.00; b_hn outside r by 0.00",
                     "probe_blend": "what must z and n - h_prev be"}),
    "probe-random": ([("probe_step", None, RANDOM_PROBE)], PROBE,
                     {"probe_order": "the order r, n, z by 0.02"}),
    "probe-r-open": ([("probe_step", "[0.0, -4.0, -6.0]", "[10.0, -4.0, -6.0]"),
                      ("probe_step", "[0.0, -6.0, 6.0]", "[0.0, -6.0, 3.0]")], {"probe_reset", "probe_order"},
                     {"probe_reset": "what must r and b_hn be"}),
    "probe-z-half": ([("probe_step", "[0.0, -4.0, -6.0]", "[0.0, -4.0, -9.0]"),
                      ("probe_step", "[0.0, -6.0, 6.0]", "[0.0, 4.0, 12.0]")], {"probe_blend", "probe_order"},
                     {"probe_blend": "the blend the other way round moves h_next by only 0.00"}),
    "adder-chung-blend": ([("adding_gru", "[0.0, -24.0]", "[0.0, 24.0]"),
                           ("adding_gru", "[12.0, 12.0, 0.0]", "[12.0, -12.0, 0.0]")], ADDER,
                          {"adder_short": "add correctly in a GRU whose blend is the other way round"}),
    "adder-rz-rows-swapped": ([("adding_gru", "[[0.0, 0.0],        # r", "[[0.0, -24.0],      # r"),
                               ("adding_gru", "[0.0, -24.0],      # z", "[0.0, 0.0],        # z")], ADDER,
                              {"adder_long": "the order z, r, n"}),
    "adder-leaky": ([("adding_gru", "[0.0, -24.0]", "[0.0, -10.0]"),
                     ("adding_gru", "[12.0, 12.0, 0.0]", "[12.0, 5.0, 0.0]")], {"adder_long", "adder_anywhere"},
                    {"adder_long": "drifts over long gaps"}),
    "adder-last-only": ([("adding_gru", "[[0.0], [0.0], [1.0]]", "[[0.0], [0.0], [0.0]]")], ADDER,
                        {"adder_short": "the last marked value alone"}),
    "adder-readout-scale": ([("adding_gru", "np.array([[1 / c]])", "np.array([[c]])")], ADDER,
                            {"adder_short": "follow the sum"}),
    "probe-W-hn-not-b-hn": ([("probe_step", '"weight_hh": np.zeros((3, 1)),',
                             '"weight_hh": np.array([[0.0], [0.0], [12.0]]),'),
                            ("probe_step", "[0.0, -6.0, 6.0]", "[0.0, -6.0, 0.0]")], {"probe_reset"},
                           {"probe_reset": "the paper's reset placement moves h_next by only 0.00"}),
    "adder-z-above-0.9": ([("adding_gru", "[12.0, 12.0, 0.0]", "[12.0, 3.0, 0.0]")], ADDER,
                          {"adder_short": "with the values of the unmarked steps set to 0: your state takes"}),
    "adder-r-half": ([("adding_gru", "[12.0, 12.0, 0.0]", "[0.0, 12.0, 0.0]")], ADDER,
                     {"adder_short": "the best line through your answers is 0.50 u1 + 0.99 u2 + 0.00"}),
    "lstm-chapter-five-epochs": ([("train_lstm", None, FIVE_EPOCHS)], LSTM, {"lstm_budget": "mean predictor's"}),
    "lstm-H-14": ([("train_lstm", "H = 13 ", "H = 14 ")], LSTM,
                  {"lstm_budget": "1,008 parameters, above the budget of 960: count both bias"}),
}

NOT_YET = '''
def train_lstm(data, seed):
    raise NotImplementedError("Write your code here")
'''
ALTERNATIVES = {  # right answers written other ways: the judges must not depend on the solution's
    "gru_step_forward": '''
def gru_step_forward(x, h_prev, params):
    H = h_prev.shape[1]
    W_ir, W_iz, W_in = np.split(params["weight_ih"], 3)
    W_hr, W_hz, W_hn = np.split(params["weight_hh"], 3)
    b_ir, b_iz, b_in = np.split(params["bias_ih"], 3)
    b_hr, b_hz, b_hn = np.split(params["bias_hh"], 3)
    r = sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    n = np.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))
    cache = {"x": x, "h": h_prev, "p": params, "r": r, "z": z, "n": n}
    return n + z * (h_prev - n), cache
''',
    "gru_step_backward": '''
def gru_step_backward(dh_next, cache):
    x, h, p, r, z, n = (cache[k] for k in ("x", "h", "p", "r", "z", "n"))
    H = h.shape[1]
    hn = h @ p["weight_hh"][2 * H:].T + p["bias_hh"][2 * H:]
    g_n = dh_next * (1 - z) * (1 - n ** 2)
    g_r = g_n * hn * r * (1 - r)
    g_z = dh_next * (h - n) * z * (1 - z)
    gx = np.hstack([g_r, g_z, g_n])
    gh = np.hstack([g_r, g_z, g_n * r])
    grads = {"weight_ih": np.einsum("nk,nd->kd", gx, x),
             "weight_hh": np.einsum("nk,nd->kd", gh, h),
             "bias_ih": gx.sum(0), "bias_hh": gh.sum(0)}
    return gx @ p["weight_ih"], dh_next * z + gh @ p["weight_hh"], grads
''',
    "probe_step": '''
def probe_step():
    x = np.array([[1.0, 2.0]])               # D = 2: the biases' work done by x
    params = {"weight_ih": np.array([[1.0, -0.5], [-4.0, 0.0], [2.0, 2.0]]),
              "weight_hh": np.zeros((3, 1)),
              "bias_ih": np.zeros(3), "bias_hh": np.array([0.0, -6.0, -6.0])}
    return x, np.array([[-0.5]]), params
''',
    "adding_gru": '''
def adding_gru():
    # two units: unit 0 adds as in the solution, at a smaller scale; unit 1 is
    # a copy of the value, rewritten at every step, which the readout ignores
    c = 0.05
    params = {"weight_ih": np.array([[0.0, 0], [0, 0],        # r
                                     [0, -30], [0, 0],        # z
                                     [c, 0], [1, 0]]),        # n
              "weight_hh": np.array([[0.0, 0], [0, 0], [0, 0], [0, 0],
                                     [1, 0], [0, 0]]),
              "bias_ih": np.array([20.0, 20, 15, -15, 0, 0]),
              "bias_hh": np.zeros(6)}
    return params, np.array([[1 / c, 0.0]]), np.array([0.0])
''',
}

# One graded run per entry; the mistakes of a run are in different functions. Part 5 trains an
# LSTM, so most runs leave it not implemented yet (a learner who has not got there).
RUNS = {
    "paper-reset, zero probe, five epochs": ("forward-paper-reset", "probe-zeros", "lstm-chapter-five-epochs"),
    "b_hn outside, random probe, Chung's adder": ("forward-bhn-outside", "probe-random", "adder-chung-blend"),
    "order z r n, r open, rows swapped": ("forward-order-z-r-n", "probe-r-open", "adder-rz-rows-swapped"),
    "blend, z half, leaky, H = 14": ("forward-blend-swapped", "probe-z-half", "adder-leaky", "lstm-H-14"),
    "b_hn like b_in, last value only": ("backward-bhn-like-bin", "adder-last-only"),
    "no direct road, readout scale, W_hn probe": ("backward-no-direct-road", "adder-readout-scale",
                                                  "probe-W-hn-not-b-hn"),
    "no r in the recurrent n block, z above 0.9": ("backward-no-r-in-hh", "adder-z-above-0.9"),
    "dz sign, r half": ("backward-dz-sign", "adder-r-half"),
    "half of r's sigmoid derivative": ("backward-r-sigmoid-half",),
}


def submission(tmp_path, names, replaced=None):
    """The solution with the edits of the mistakes ``names`` applied, each once, and the graded
    cells of ``replaced`` (grade_id -> source) replaced; Part 5 not implemented unless a mistake
    edits it."""
    nb = nbformat.read(SOLUTION, as_version=4)
    graded = {c.metadata.get("course", {}).get("grade_id"): c for c in nb.cells}
    replaced = dict(replaced or {})
    if not any(grade_id == ex08.TRAIN for name in names for grade_id, _, _ in MISTAKES[name][0]):
        replaced.setdefault(ex08.TRAIN, NOT_YET)
    for grade_id, source in replaced.items():
        graded[grade_id].source = source.strip("\n")
    for name in names:
        for grade_id, old, new in MISTAKES[name][0]:
            cell = graded[grade_id]
            if old is None:
                cell.source = new.strip("\n")
                continue
            assert cell.source.count(old) == 1, f"{old!r} is not once in {grade_id}: the solution changed"
            cell.source = cell.source.replace(old, new)
    path = tmp_path / SOLUTION.name
    nbformat.write(nb, path)
    return path


def assert_graded(path, fails, score, hints):
    """As ``fx.assert_designed_score``, where Part 5 may be not implemented yet."""
    result = grade_notebook(path, RUBRIC)
    status = "not_implemented" if "not implemented yet" in (result.reason or "") else "ok"
    assert (result.status, result.cell_errors) == (status, [])
    assert fx.failed_ids(result) == set(fails)
    assert (result.score, result.max_score) == (score, RUBRIC.max_points)
    hint = {r.test.id: r.hint for r in result.results}
    assert {t: hint[t] for t, fragment in hints.items() if fragment not in hint[t]} == {}
    return result


def lost(name):
    return sum(POINTS[t] for t in MISTAKES[name][1])


@pytest.mark.parametrize("run", list(RUNS))
def test_each_run_of_designed_mistakes_scores_their_marks_with_their_hints(tmp_path, run):
    names = RUNS[run]
    failing = [MISTAKES[n][1] for n in names]
    assert sum(map(len, failing)) == len(set().union(*failing)), "the mistakes of a run must not overlap"
    hints = {t: h for n in names for t, h in MISTAKES[n][2].items()}
    path = submission(tmp_path, names)
    trains = any(grade_id == ex08.TRAIN for n in names for grade_id, _, _ in MISTAKES[n][0])
    fails = set().union(*failing) | (set() if trains else LSTM)
    score = RUBRIC.max_points - sum(lost(n) for n in names) - (0 if trains else 3)
    result = assert_graded(path, fails, score, {**hints, **({} if trains else {"lstm_budget": "not implemented yet"})})
    assert result.status == ("ok" if trains else "not_implemented")


def test_right_answers_written_other_ways_get_every_point_of_their_parts(tmp_path):
    """A dict cache and split blocks, a probe with two inputs, an adder with two units: full
    marks for Parts 1-4 (Part 5 not implemented yet)."""
    assert_graded(submission(tmp_path, (), ALTERNATIVES), LSTM, RUBRIC.max_points - 3,
                  {"lstm_budget": "not implemented yet", "lstm_seed": "not implemented yet"})


def test_every_mistake_is_graded_once_and_the_docstring_gives_its_marks():
    graded = [n for names in RUNS.values() for n in names]
    assert sorted(graded) == sorted(MISTAKES)
    marks = {name: RUBRIC.max_points - lost(name) for name in MISTAKES}
    assert marks == {"forward-paper-reset": 10, "forward-bhn-outside": 10, "forward-order-z-r-n": 10,
                     "forward-blend-swapped": 17, "backward-bhn-like-bin": 18, "backward-no-direct-road": 18,
                     "backward-no-r-in-hh": 16, "backward-dz-sign": 13, "backward-r-sigmoid-half": 13,
                     "probe-zeros": 17, "probe-random": 17, "probe-r-open": 18, "probe-z-half": 18,
                     "adder-chung-blend": 16, "adder-rz-rows-swapped": 16, "adder-leaky": 18,
                     "adder-last-only": 16, "adder-readout-scale": 16, "lstm-chapter-five-epochs": 17,
                     "probe-W-hn-not-b-hn": 19, "adder-z-above-0.9": 16, "adder-r-half": 16,
                     "lstm-H-14": 17}
    doc = " ".join(ex08.__doc__.split())
    for said in ("or the blocks read in the order ``z, r, n``, lose Part 1 and, through the cache, Part 2: 10",
                 "the blend the other way round loses Part 1 only, 17", "``b_hn`` given ``b_in``'s gradient: 18",
                 "the direct road missing: 18", "the factor ``r`` missing in the recurrent n block: 16",
                 "``dL/dz`` with its sign flipped: 13", "half of ``r``'s sigmoid derivative: 13",
                 "a probe with zero weights (the worked example) or random ones: 17",
                 "a probe with ``r`` near 1, or with ``z = 1/2``: 18",
                 "or with its ``r`` and ``z`` rows swapped, or read out at the wrong scale: 16",
                 "a leaky update gate", "does not see the state (the last marked value alone), or sees half of it",
                 "five epochs: 17", "1,008 parameters, the count without biases 896): 17",
                 "a probe whose one unit gets its recurrent n term from ``W_hn`` with ``b_hn = 0``",
                 "every placement of ``r`` then gives the same candidate): 19",
                 "an update gate at ``sigmoid(3) = 0.95`` off the marks", "(``r = 1/2``): 16"):
        assert said in doc, said


def test_the_intro_announces_the_rubrics_points_tests_and_answers():
    part = {ex08.FORWARD: 1, ex08.BACKWARD: 2, ex08.PROBE: 3, ex08.ADDER: 4, ex08.TRAIN: 5}
    points = [sum(t.points for t in RUBRIC.tests if part[t.grade_id] == k) for k in range(1, 6)]
    hidden = sorted(t.id for t in RUBRIC.tests if t.hidden)
    assert (points, hidden) == ([3, 7, 3, 4, 3], ["adder_anywhere", "backward_one", "forward_square", "lstm_seed"])
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Part 1 is worth 3 points, Part 2 7 points, Part 3 3 points, Part 4 4 points and Part 5 3 points; "
            "four of the tests are hidden" in said and "The three written answers are read by hand" in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]
    for grade_id in part:                     # each part's self-check runs that part's tests alone
        assert any(f'course_pkg.check("ex08_gru", "{grade_id}")' in c.source for c in cells.values())
    assert RUBRIC.check_seconds == 10.0


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice. The rubric names those tests: 14 of the 20 (all
    but the forward step, which chapter 8's corrected cell shows, and the LSTM on a budget,
    which the chapter's count and its train-until-solved loop settle)."""
    assert ex08.UNDERSTANDING <= set(POINTS)
    understood = sum(POINTS[i] for i in ex08.UNDERSTANDING)
    assert (understood, sum(POINTS.values())) == (14, 20)
    assert 3 * understood >= 2 * sum(POINTS.values())
    assert set(POINTS) - ex08.UNDERSTANDING == FORWARD | LSTM


def test_the_graded_parts_are_not_the_chapters_lines():
    """Chapter 8 shows the forward step (its corrected cell) and calls course_pkg's backward
    without showing it; the probe and the adder are in neither."""
    chapter = " ".join(c.source for c in nbformat.read(ROOT / "notebooks" / "ch08_gru.ipynb", as_version=4).cells)
    shown = chapter + (ROOT / "course_pkg" / "gru.py").read_text()
    assert "n = np.tanh(xw[:, 2 * H:] + r * hw[:, 2 * H:])" in chapter          # Part 1 is copy
    for grade_id, line in ((ex08.PROBE, "np.array([0.0, -6.0, 6.0])"), (ex08.ADDER, "[0.0, -24.0]"),
                           (ex08.ADDER, "[[0.0], [0.0], [1.0]]"), (ex08.TRAIN, "H = 13"),
                           (ex08.BACKWARD, "dhw = np.concatenate([da_r, da_z, da_n * r], axis=1)")):
        assert line in fx.solution_cell(SOLUTION, grade_id)
        assert line not in shown


def test_the_references_are_course_pkgs_and_centred_differences():
    x, h_prev, params, dh_next = ex08.make_inputs(3, 4, 5, seed=0)
    h_next, cache = gru_step_forward(x, h_prev, params)
    assert rel_error(ex08.reference_step(x, h_prev, params), h_next) < 1e-14
    dx, dh_prev, grads = gru_step_backward(dh_next, cache)
    want = ex08.reference_backward(dh_next, x, h_prev, params)
    arrays = {"dx": x, "dh_prev": h_prev, **params}
    for name, got in {"dx": dx, "dh_prev": dh_prev, **grads}.items():
        assert rel_error(want[name], got) < 1e-12, name
        numeric = numerical_gradient(lambda: ex08.reference_step(*(arrays[k] for k in ("dx", "dh_prev")),
                                                                 {k: arrays[k] for k in ex08.PARAM_KEYS}),
                                     arrays[name], dout=dh_next)
        assert rel_error(want[name], numeric) < 1e-8, name


ALL = {"dx", "dh_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh"}
BACKWARD_VARIANTS = {"no_r_hh": {"dh_prev", "weight_hh", "bias_hh"}, "no_direct": {"dh_prev"}, "dz_sign": ALL,
                     "blend": ALL, "no_sigmoid": ALL, "no_tanh": ALL}


def test_every_designed_variant_differs_on_the_tests_inputs():
    """On every step test's inputs, each mistake of Part 1 changes h_next and each of Part 2
    changes a gradient the test checks; no two forward mistakes give the same values."""
    for test in RUBRIC.tests:
        if test.grade_id == ex08.FORWARD:
            args = test.calls[0].args
            values = [ex08.reference_step(*args)] + [ex08.reference_step(*args, v) for v in ex08.FORWARD_MISTAKES]
            for i in range(len(values)):
                for j in range(i):
                    assert rel_error(values[i], values[j]) > 1e-3, (test.id, i, j)
        if test.grade_id == ex08.BACKWARD:
            x, h_prev, params = test.calls[0].args
            args = (test.calls[1].args[0], x, h_prev, params)
            want = ex08.reference_backward(*args)
            names = test.judge.keywords["names"]
            for variant, affects in BACKWARD_VARIANTS.items():
                other = ex08.reference_backward(*args, variant)
                changed = {n for n in names if rel_error(other[n], want[n]) > 1e-3}
                assert changed == set(names) & affects, (test.id, variant)


def test_the_solutions_probe_and_adder_clear_their_bars_with_margin():
    ns = vars(load_graded(SOLUTION, [ex08.PROBE, ex08.ADDER]))
    x, h_prev, params = ex08.probe_arrays(ns[ex08.PROBE]())
    gaps = ex08.probe_gaps(x, h_prev, params, ex08.MISTAKE_NAMES)
    assert min(gaps.values()) > 0.74 and max(gaps.values()) < 1.5
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    assert max(ex08.probe_gaps(x, h_prev, zero, ex08.MISTAKE_NAMES).values()) == 0.0   # the worked example
    adder, w, b = ex08.adder_parts(ns[ex08.ADDER]())
    for T, markers in ((30, "halves"), (300, "halves"), (60, "anywhere")):
        x, y = ex08.adder_data(T, 500, 7, markers)
        assert np.mean((ex08.adder_predict(adder, w, b, x) - y) ** 2) < 1e-4


@pytest.mark.parametrize("test_id, value", [
    ("probe_reset", None), ("probe_blend", (np.zeros((1, 1)), np.zeros((1, 2)), {})),
    ("probe_order", (np.zeros((1, 1)), np.ones((1, 1)), {})), ("probe_order", "text"),
    ("adder_short", (None, 1, 2)), ("adder_long", ({"weight_hh": np.zeros((3, 1))}, 1, 2)),
    ("adder_short", ({k: np.zeros((3, 1)) for k in ex08.PARAM_KEYS}, np.ones(1), 0.0)),
    ("lstm_budget", None), ("lstm_budget", {"rnn.weight_ih_l0": np.zeros(3)}),
    ("forward_one", (np.zeros(3), None)), ("dx", ((np.zeros((1, 3)), None), (1, 2, 3)))])
def test_odd_returns_get_a_hint_not_an_error(test_id, value):
    """Whatever a learner's function returns, the judge answers with a hint (CheckFailed)."""
    test = next(t for t in RUBRIC.tests if t.id == test_id)
    if test.grade_id == ex08.BACKWARD:
        results = [CallResult(ex08.FORWARD, value=value[0]), CallResult(ex08.BACKWARD, value=value[1])]
    else:
        results = [CallResult(c.function, value=value) for c in test.calls]
    with pytest.raises(CheckFailed):
        test.judge(test.calls, results)
