"""Exercise 3 (BPTT, its diagnosis, the decay at a fixed point, the spectral radius chosen):
the partial marks its rubric is designed to give, and its references checked.

Each usual mistake is the solution with a few lines of one graded cell rewritten the way
learners get them wrong (every edit must apply once, so the table follows the solution). The
four graded functions are independent (Parts 2 and 4 measure with course_pkg's BPTT), so
mistakes in different functions share one graded run: its failed tests are the union of
theirs and its score 18 less the sum of their losses. Six runs go through the grader's
child Python (about a second each); the right answers written other ways, and a few more
mistakes, are graded in this process by the same harness and judges (no child).
"""
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading import loader
from course_pkg.grading.rubrics import ex03_bptt as ex03
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
EX03 = "ex03_bptt"
SOLUTION = ROOT / "solutions" / f"{EX03}.ipynb"
RUBRIC = rubric_for(EX03)
BACKWARD = {"bwd_one_step", "bwd_dx_dh0", "bwd_weights", "bwd_long"}
DIAG = {"diag_clean", "diag_carry", "diag_slope", "diag_recursion", "diag_hidden"}
DECAY = {"decay_linear", "decay_fixed_point", "decay_saturated", "decay_hidden"}
RADIUS = {"radius_small", "radius_large", "radius_short", "radius_hidden"}
POINTS = {t.id: t.points for t in RUBRIC.tests}

RADIUS_DEF = "def choose_radius(weight_hh, weight_ih, x):\n"
SAME_BODY = '''        return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6,
                                                          atol=1e-10)'''
SLOPE_CHECK = '''    if not same(dx[:, -1], want_dx[:, -1]):       # the last step has one road
        return "slope_one_step_early"
'''
JACOBIAN = "    jacobian = (1 - h_star ** 2)[:, None] * weight_hh   # diag(1 - h*^2) W_hh"

# name: (graded function, [(old, new)] or the cell's new source, tests that fail,
#        {test: hint fragment})
MISTAKES = {
    "backward-no-carry": (ex03.BACKWARD, [("(dh[:, t] + road2) * ", "dh[:, t] * ")],
                          BACKWARD - {"bwd_one_step"},
                          {"bwd_dx_dh0": "T = 1 passes, longer fails", "bwd_weights": "two roads"}),
    "backward-slope-one-step-early": (ex03.BACKWARD, [("(1 - h[:, t] ** 2)", "(1 - h_prev[:, t] ** 2)")],
                                      BACKWARD, {"bwd_one_step": "slope is taken one step early"}),
    "backward-transposed": (ex03.BACKWARD, [('@ params["weight_hh"]', '@ params["weight_hh"].T')], BACKWARD,
                            {"bwd_one_step": "W_hh's transpose", "bwd_dx_dh0": "W_hh itself"}),
    "backward-h_t-for-h_prev": (ex03.BACKWARD, [('"nth,ntk->hk", da, h_prev)', '"nth,ntk->hk", da, h)')],
                                {"bwd_one_step", "bwd_weights", "bwd_long"},
                                {"bwd_weights": "pairs each step's dL/da_t with h_t"}),
    "backward-no-dh0": (ex03.BACKWARD, [("    dh0 = road2", "    dh0 = np.zeros((N, H))")],
                        {"bwd_one_step", "bwd_dx_dh0", "bwd_long"}, {"bwd_dx_dh0": "dh0 is zero"}),
    "backward-course_pkg-reference": (ex03.BACKWARD, [("    return dx, dh0, grads",
                                                       "    return dx, dh0, grads\n\n\n"
                                                       "from course_pkg import rnn_backward")],
                                      BACKWARD, {"bwd_dx_dh0": "expected your own rnn_backward"}),
    "diagnose-compares-bit-for-bit": (ex03.DIAGNOSE, [(SAME_BODY, "        return np.array_equal(a, b)")],
                                      DIAG - {"diag_slope"},
                                      {"diag_clean": "said 'slope_one_step_early' for outputs (N = 3, T = 5) "
                                                     "that are right"}),
    "diagnose-every-spared-last-step-is-no-carry": (
        ex03.DIAGNOSE, [('return "no_carry" if same(dx, own_term) else "transposed"', 'return "no_carry"')],
        {"diag_recursion", "diag_hidden"},
        {"diag_recursion": "said 'no_carry' for outputs (N = 3, T = 5) where dx is off at every step but the "
                           "last; dh0 is off"}),
    "diagnose-never-checks-the-last-step": (ex03.DIAGNOSE, [(SLOPE_CHECK, "")], {"diag_slope", "diag_hidden"},
                                            {"diag_slope": "said 'transposed' for outputs (N = 3, T = 5) where dx "
                                                           "is off at every step; dh0 is off"}),
    "decay-sigma-max": (ex03.DECAY, [(JACOBIAN, "    jacobian = weight_hh"),
                                     ("float(np.abs(np.linalg.eigvals(jacobian)).max())",
                                      "float(np.linalg.norm(jacobian, 2))")],
                        DECAY, {"decay_linear": "sigma_max(W_hh), the rate of the bound"}),
    "decay-chapter-2-rule": (ex03.DECAY, [(JACOBIAN, "    jacobian = weight_hh * np.sqrt(np.mean((1 - h_star "
                                                     "** 2) ** 2))")],
                             DECAY - {"decay_linear"},
                             {"decay_saturated": "root mean square slope, chapter 2's rule of thumb for random "
                                                 "networks (97% off here)"}),
    "decay-slopes-ignored": (ex03.DECAY, [(JACOBIAN, "    jacobian = weight_hh")], DECAY - {"decay_linear"},
                             {"decay_fixed_point": "rho(W_hh) alone"}),
    "decay-slope-at-h": (ex03.DECAY, [("(1 - h_star ** 2)[:, None]", "(1 - np.tanh(h_star) ** 2)[:, None]")],
                         DECAY - {"decay_linear"}, {"decay_fixed_point": "slope is taken at a = h*"}),
    "decay-mean-slope": (ex03.DECAY, [(JACOBIAN, "    jacobian = weight_hh * np.mean(1 - h_star ** 2)")],
                         DECAY - {"decay_linear"}, {"decay_saturated": "times the mean slope (66% off here)"}),
    "radius-one": (ex03.RADIUS, RADIUS_DEF + "    return 1.0", RADIUS,
                   {"radius_small": "rho = 1 is the edge only where every slope is 1",
                    "radius_large": "dL/dh_0 is 3e-13 of the loss's gradient"}),
    "radius-sigma-max-one": (ex03.RADIUS, RADIUS_DEF + "    return max(abs(np.linalg.eigvals(weight_hh))) / "
                                                       "np.linalg.norm(weight_hh, 2)",
                             RADIUS, {"radius_short": "(sigma_max = 1)",
                                      "radius_small": "the bound then makes it vanish"}),
    "radius-fixed-2": (ex03.RADIUS, RADIUS_DEF + "    return 2.0", {"radius_small", "radius_large", "radius_short"},
                       {"radius_small": "it explodes", "radius_large": "it vanishes"}),
    "radius-fixed-1.5": (ex03.RADIUS, RADIUS_DEF + "    return 1.5", {"radius_large"},
                         {"radius_large": "with rho = 1.5, dL/dh_0 is 2.5e-06"}),
}

# Graded together through the child: one mistake per function.
RUNS = {
    "no-carry, bit-for-bit, sigma-max, radius-one": (
        "backward-no-carry", "diagnose-compares-bit-for-bit", "decay-sigma-max", "radius-one"),
    "slope-early, spared-step, chapter-2-rule, sigma-max-one": (
        "backward-slope-one-step-early", "diagnose-every-spared-last-step-is-no-carry", "decay-chapter-2-rule",
        "radius-sigma-max-one"),
    "transposed, last-step, slopes-ignored, fixed-2": (
        "backward-transposed", "diagnose-never-checks-the-last-step", "decay-slopes-ignored", "radius-fixed-2"),
    "h_t, slope-at-h, fixed-1.5": ("backward-h_t-for-h_prev", "decay-slope-at-h", "radius-fixed-1.5"),
    "no-dh0, mean-slope": ("backward-no-dh0", "decay-mean-slope"),
    "course_pkg-reference": ("backward-course_pkg-reference",),
}

# Graded in this process, one function at a time: (function, source or edits, tests that
# fail, {test: hint fragment}).
LOOP_BACKWARD = '''def rnn_backward(dh, cache):
    x, h0, h, params = cache
    N, T, H = dh.shape
    dx = np.zeros_like(x)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros((N, H))                   # from step t+1
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        delta = dh[:, t] + dh_next               # dL/dh_t: two roads
        da = delta * (1 - h[:, t] ** 2)
        dx[:, t] = da @ params["weight_ih"]
        grads["weight_ih"] += da.T @ x[:, t]
        grads["weight_hh"] += da.T @ h_prev
        grads["bias_ih"] += da.sum(axis=0)
        grads["bias_hh"] += da.sum(axis=0)
        dh_next = da @ params["weight_hh"]
    return dx, dh_next, grads'''

OWN_BACKWARD_DIAGNOSIS = '''def diagnose_bptt(x, h0, params, dh, dx, dh0, grads):
    h, cache = rnn_forward(x, h0, params)            # Part 1's, not course_pkg's
    want_dx, want_dh0, want = rnn_backward(dh, cache)
    close = lambda a, b: np.shape(a) == np.shape(b) and np.allclose(a, b)
    if np.ndim(grads["bias_ih"]) != 1 or np.ndim(grads["bias_hh"]) != 1:
        return "bias_one_axis"
    if not close(dx[:, -1], want_dx[:, -1]):
        return "slope_one_step_early"
    if not close(dx, want_dx):
        local = (dh * (1 - h ** 2)) @ params["weight_ih"]
        return "no_carry" if close(dx, local) else "transposed"
    if not close(dh0, want_dh0):
        return "no_dh0"
    if not close(grads["weight_hh"], want["weight_hh"]):
        return "h_t_for_h_prev"
    return "ok"'''

COLUMNS_SCALED = '''def decay_factor(weight_hh, h_star):
    # W_hh diag(s) has the eigenvalues of diag(s) W_hh
    return np.max(np.abs(np.linalg.eigvals(weight_hh * (1 - h_star ** 2))))'''

FIRST_ABOVE_ONE = '''def choose_radius(weight_hh, weight_ih, x):
    # the smallest radius, in steps of 0.05 from 1, whose gradient at h_0 is >= 1
    u = np.random.default_rng(1).standard_normal((x.shape[0], weight_hh.shape[0]))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    rho_now = max(abs(np.linalg.eigvals(weight_hh)))
    for rho in np.arange(1.0, 4.0, 0.05):
        g = gradient_at_h0(weight_hh * rho / rho_now, weight_ih, x, u)
        if np.exp(np.mean(np.log(g))) >= 1:
            return rho
    return 4.0'''

GELFAND = "    r = float(np.linalg.norm(np.linalg.matrix_power(jacobian, 1000), 2) ** 0.001)"
RHO_NOW = "    rho_now = np.abs(np.linalg.eigvals(weight_hh)).max()"
BIAS_CHECK = '    if any(np.shape(grads[k]) != want[k].shape for k in ("bias_ih", "bias_hh")):'
VERDICT = 'return "no_carry" if same(dx, own_term) else "transposed"'

IN_PROCESS = {
    "right-backward-as-a-loop": (ex03.BACKWARD, LOOP_BACKWARD, set(), {}),
    "loop-backward-h-prev-wraps-at-t-0": (
        ex03.BACKWARD, (LOOP_BACKWARD, [("h_prev = h[:, t - 1] if t > 0 else h0", "h_prev = h[:, t - 1]")]),
        {"bwd_one_step", "bwd_weights", "bwd_long"},
        {"bwd_weights": "Python's index -1 is the last state", "bwd_one_step": "pairs each step's dL/da_t with h_t"}),
    "backward-bias-one-axis": (ex03.BACKWARD, [('"bias_ih": da.sum(axis=(0, 1))', '"bias_ih": da.sum(axis=0)'),
                                               ('"bias_hh": da.sum(axis=(0, 1))', '"bias_hh": da.sum(axis=0)')],
                               {"bwd_one_step", "bwd_weights", "bwd_long"},
                               {"bwd_weights": "has shape (5, 6): summed over one axis only",
                                "bwd_one_step": "has shape (1, 4)"}),
    "backward-slope-at-a-equals-h": (ex03.BACKWARD, [("(1 - h[:, t] ** 2)", "(1 - np.tanh(h[:, t]) ** 2)")],
                                     BACKWARD, {"bwd_dx_dh0": "taken at a = h_t"}),
    "loop-backward-overwrites-the-weight-gradients": (
        ex03.BACKWARD, (LOOP_BACKWARD, [(f'grads["{k}"] +=', f'grads["{k}"] =') for k in ex03.PARAM_KEYS]),
        {"bwd_weights", "bwd_long"}, {"bwd_weights": "those of the first step alone"}),
    "loop-backward-dh0-one-step-short": (ex03.BACKWARD, (LOOP_BACKWARD, [("return dx, dh_next, grads",
                                                                          "return dx, delta, grads")]),
                                         {"bwd_one_step", "bwd_dx_dh0", "bwd_long"},
                                         {"bwd_dx_dh0": "the gradient that reaches h_1"}),
    "backward-dh0-is-da1": (ex03.BACKWARD, [("    dh0 = road2", "    dh0 = da[:, 0]")],
                            {"bwd_one_step", "bwd_dx_dh0", "bwd_long"},
                            {"bwd_one_step": "gradient of the first pre-activation"}),
    "right-diagnosis-with-part-1s-backward": (ex03.DIAGNOSE, OWN_BACKWARD_DIAGNOSIS, set(), {}),
    "diagnose-swaps-the-last-step-signatures": (
        ex03.DIAGNOSE, [('        return "slope_one_step_early"', '        return "transposed"'),
                        (VERDICT, 'return "no_carry" if same(dx, own_term) else "slope_one_step_early"')],
        {"diag_slope", "diag_recursion", "diag_hidden"},
        {"diag_slope": "said 'transposed' for outputs (N = 3, T = 5) where dx is off at every step;"}),
    "diagnose-tells-carry-from-transpose-by-dh0": (
        ex03.DIAGNOSE, [(VERDICT, 'return "no_carry" if same(dh0, want_dh0) else "transposed"')],
        {"diag_carry", "diag_hidden"},
        {"diag_carry": "said 'transposed' for outputs (N = 2, T = 6) where dx is off at every step but the last"}),
    "diagnose-compares-biases-by-broadcasting": (
        ex03.DIAGNOSE, [(BIAS_CHECK + '\n        return "bias_one_axis"\n', ""),
                        ("return np.shape(a) == np.shape(b) and np.allclose(", "return np.allclose(")],
        {"diag_clean", "diag_hidden"}, {"diag_clean": "grads['bias_ih'] has shape (5, 6)",
                                        "diag_hidden": "grads['bias_ih'] has shape (2, 3)"}),
    "diagnose-knows-the-bias-summed-over-the-batch-only": (
        ex03.DIAGNOSE, [(BIAS_CHECK, '    if np.shape(grads["bias_ih"]) == dh.shape[1:]:')],
        {"diag_hidden"}, {"diag_hidden": "grads['bias_ih'] has shape (2, 3)"}),
    "right-decay-with-columns-scaled": (ex03.DECAY, COLUMNS_SCALED, set(), {}),
    "decay-radii-multiplied": (ex03.DECAY, [(JACOBIAN, "    jacobian = weight_hh * (1 - h_star ** 2).max()")],
                               DECAY - {"decay_linear"}, {"decay_saturated": "not the product of the spectral"}),
    "decay-slope-not-squared": (ex03.DECAY, [("(1 - h_star ** 2)[:, None]", "(1 - abs(h_star))[:, None]")],
                                DECAY - {"decay_linear"}, {"decay_fixed_point": "tanh' = 1 - tanh^2"}),
    "decay-largest-real-part": (ex03.DECAY, [("float(np.abs(np.linalg.eigvals(jacobian)).max())",
                                              "float(np.linalg.eigvals(jacobian).real.max())")],
                                DECAY - {"decay_hidden"}, {"decay_fixed_point": "largest real part"}),
    "decay-estimated-over-1000-steps": (
        ex03.DECAY, [("    r = float(np.abs(np.linalg.eigvals(jacobian)).max())", GELFAND)], DECAY,
        {"decay_linear": "close, 0.0007 off", "decay_fixed_point": "but not the limit"}),
    "decay-an-eigenvalue-not-its-modulus": (
        ex03.DECAY, [("    r = float(np.abs(np.linalg.eigvals(jacobian)).max())",
                      "    eig = np.linalg.eigvals(jacobian)\n    r = eig[np.argmax(np.abs(eig))]")],
        DECAY, {"decay_saturated": "complex number"}),
    "right-radius-first-above-one": (ex03.RADIUS, FIRST_ABOVE_ONE, set(), {}),
    "right-radius-arithmetic-mean": (ex03.RADIUS, [("return np.log(g).mean()", "return np.log(g.mean())")],
                                     set(), {}),
    "radius-measured-with-sigma-max": (ex03.RADIUS, [(RHO_NOW, "    rho_now = np.linalg.norm(weight_hh, 2)")],
                                       RADIUS, {"radius_small": "it would be 0.65",
                                                "radius_large": "the grader rescales it to a spectral radius"}),
    "radius-at-the-edge-of-the-band": (ex03.RADIUS, (FIRST_ABOVE_ONE, [("np.log(g))) >= 1:", "np.log(g))) >= 0.1:")]),
                                       {"radius_small"}, {"radius_small": "e-02 of the loss's gradient on the "
                                                                          "grader's sequences: it vanishes"}),
}


def submission(tmp_path, names):
    """The solution with the graded cells of ``names``' mistakes rewritten (one per function)."""
    sources = {}
    for name in names:
        grade_id, change, _, _ = MISTAKES[name]
        sources[grade_id] = change if isinstance(change, str) else fx.edited_cell(SOLUTION, grade_id, change)
    return fx.submission(tmp_path, SOLUTION, sources)


@pytest.mark.parametrize("run", list(RUNS))
def test_usual_mistakes_get_their_designed_partial_marks(tmp_path, run):
    names = RUNS[run]
    assert len({MISTAKES[n][0] for n in names}) == len(names)          # one mistake per function
    fails = set().union(*(MISTAKES[n][2] for n in names))
    hints = {k: v for n in names for k, v in MISTAKES[n][3].items()}
    lost = sum(POINTS[t] for t in fails)
    fx.assert_designed_score(submission(tmp_path, names), RUBRIC, fails, RUBRIC.max_points - lost, hints)


def test_every_mistake_is_graded_in_one_run():
    assert sorted(n for names in RUNS.values() for n in names) == sorted(MISTAKES)


@pytest.mark.parametrize("name", list(IN_PROCESS))
def test_more_answers_right_and_wrong_graded_in_process(tmp_path, name):
    grade_id, change, fails, hints = IN_PROCESS[name]
    if isinstance(change, str):
        source = change
    elif isinstance(change, tuple):                       # (another right answer, edits)
        source = fx.edited_cell(SOLUTION, grade_id, change[1], change[0])
    else:
        source = fx.edited_cell(SOLUTION, grade_id, change)
    graded = fx.grade_in_process(fx.with_graded_cell(tmp_path, SOLUTION, grade_id, source), RUBRIC, {grade_id})
    assert graded.status == "ok" and graded.cell_errors == []
    assert {r.test.id for r in graded.results if not r.passed} == fails
    for test_id, fragment in hints.items():
        hint = next(r.hint for r in graded.results if r.test.id == test_id)
        assert fragment in hint, (test_id, hint)


def test_the_intro_announces_the_rubrics_points_tests_and_answers():
    part = {ex03.BACKWARD: 1, ex03.DIAGNOSE: 2, ex03.DECAY: 3, ex03.RADIUS: 4}
    points = [sum(t.points for t in RUBRIC.tests if part[t.grade_id] == k) for k in (1, 2, 3, 4)]
    hidden = sorted(t.id for t in RUBRIC.tests if t.hidden)
    assert (points, hidden) == ([4, 5, 4, 5], ["bwd_long", "decay_hidden", "diag_hidden", "radius_hidden"])
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Part 1 is worth 4 points, Part 2 5 points, Part 3 4 points and Part 4 5 points; four of the "
            "tests are hidden. The three written answers are read by hand." in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]
    for grade_id in part:                       # each graded function has its own self-check
        check = f'course_pkg.check("{EX03}", "{grade_id}")'
        assert sum(check in c.source for c in cells.values()) == 1


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice. Part 1 (BPTT from chapter 3's equations) and
    ``decay_linear`` (rho(W_hh) when every slope is 1, which the chapter states) are what the
    chapter shows: 13 of the 18 points are not."""
    assert ex03.UNDERSTANDING <= set(POINTS)
    assert ex03.UNDERSTANDING == DIAG | (DECAY - {"decay_linear"}) | RADIUS
    understood = sum(POINTS[i] for i in ex03.UNDERSTANDING)
    assert (understood, sum(POINTS.values())) == (13, 18)
    assert 3 * understood >= 2 * sum(POINTS.values())


def test_the_graded_parts_beyond_part_1_are_not_the_chapters_lines():
    """The chapter shows BPTT and rho(W_hh) for small states; the diagnosis, the Jacobian at a
    fixed point and the radius chosen by measurement are lines it does not contain."""
    chapter = " ".join("".join(c.source) for c in nbformat.read(
        ROOT / "notebooks" / "ch03_bptt.ipynb", as_version=4).cells)
    shown = chapter + (ROOT / "course_pkg" / "rnn.py").read_text() + (ROOT / "course_pkg" / "scan.py").read_text()
    for grade_id, line in ((ex03.DIAGNOSE, "own_term = (dh * (1 - h ** 2))"), (ex03.DIAGNOSE, "dx[:, -1]"),
                           (ex03.DECAY, "(1 - h_star ** 2)[:, None] * weight_hh"),
                           (ex03.RADIUS, "if log_ratio(mid) < 0 else")):
        assert line in fx.solution_cell(SOLUTION, grade_id)
        assert line not in shown


def test_the_reference_backward_is_course_pkgs_and_each_mistake_changes_it():
    import course_pkg as cp
    x, h0, params, dh = ex03.make_inputs(3, 5, 4, 6, seed=10)
    h, cache = ex03.reference_forward(x, h0, params)
    want = cp.rnn_backward(dh, cp.rnn_forward(x, h0, params)[1])
    got = ex03.reference_backward(dh, cache)
    assert ex03.rel_error(h, cp.rnn_forward(x, h0, params)[0]) < 1e-14
    for a, b in zip(ex03._named(got).values(), ex03._named(want).values()):
        assert ex03.rel_error(a, b) < 1e-13
    right = ex03._named(got)
    for mistake in ex03.BACKWARD_MISTAKES:
        wrong = ex03._named(ex03.reference_backward(dh, cache, mistake))
        assert any(not ex03._close(wrong[n], right[n], 1e-3) for n in right), mistake
    assert ex03.reference_backward(dh, cache, "bias_one_axis")[2]["bias_ih"].shape == (5, 6)


def test_each_label_of_the_diagnosis_has_its_own_outputs():
    """The hidden test's seven outputs differ pairwise, and the right one is course_pkg's."""
    args = [ex03.broken_outputs(2, 7, 2, 3, 30 + i, label) for i, label in enumerate(ex03.LABELS)]
    assert [ex03.symptoms(a) == [] for a in args] == [True] + [False] * 6
    with_one_step = ex03.broken_outputs(2, 1, 3, 5, 24, "no_carry")
    assert ex03.symptoms(with_one_step) == []                  # T = 1: no carry to drop
    bias_shapes = {t.id: [np.shape(c.args[6]["bias_ih"]) for c in t.calls] for t in RUBRIC.tests
                   if t.id in ("diag_clean", "diag_hidden")}
    assert (5, 6) in bias_shapes["diag_clean"] and (2, 3) in bias_shapes["diag_hidden"]   # (T, H), (N, H)


def test_the_public_diagnosis_tests_do_not_name_their_mistakes():
    """check() prints the public tests' names: they must not tell which label each holds."""
    words = ("ok", "carry", "dh0", "slope", "early", "transpose", "h_t", "bias", "axis", "right")
    for test in (t for t in RUBRIC.tests if t.grade_id == ex03.DIAGNOSE and not t.hidden):
        assert not [w for w in words if w in test.name.lower()], test.name


def test_the_decay_reference_is_the_measured_factor_at_a_fixed_point():
    """Held at h* (bias artanh(h*) - h* W_hh^T, zero inputs), BPTT's gradient shrinks per step
    by the reference's factor, within 1 % between lags 100 and 200."""
    for kind, H, seed in (("random", 6, 41), ("saturated", 6, 42), ("random", 8, 43)):
        W, h_star = ex03.decay_case(kind, H, seed)
        params = {"weight_ih": np.ones((H, 1)), "weight_hh": W, "bias_ih": np.arctanh(h_star) - h_star @ W.T,
                  "bias_hh": np.zeros(H)}
        norms = []
        for k in (100, 200):
            _, cache = ex03.reference_forward(np.zeros((2, k, 1)), np.tile(h_star, (2, 1)), params)
            dh = np.zeros((2, k, H))
            dh[:, -1] = np.random.default_rng(0).standard_normal((2, H))
            norms.append(np.linalg.norm(ex03.reference_backward(dh, cache)[1]))
        measured = (norms[1] / norms[0]) ** (1 / 100)
        assert abs(measured / ex03.reference_decay(W, h_star) - 1) < 0.01, kind


def test_the_radius_windows_leave_no_single_answer_and_the_solution_a_margin():
    """On the grader's instances, rho = 1 and sigma_max = 1 fail everywhere; no radius of the
    grid 1.0, 1.1, ..., 3.0 passes both the small and the large inputs; and the solution's
    choice gives 0.5-2 held out."""
    radii = np.round(np.arange(1.0, 3.01, 0.1), 1)
    passing = []
    ns = vars(loader.load_graded(SOLUTION, [ex03.RADIUS]))
    for test in (t for t in RUBRIC.tests if t.grade_id == ex03.RADIUS):
        W, W_ih, _ = test.calls[0].args
        x_test, u = test.judge.keywords["held_out"]
        ratio = partial(ex03.gradient_ratio, weight_ih=W_ih, x=x_test, u=u)
        assert ratio(ex03.rescaled(W, 1.0)) < ex03.RATIO_LOW
        assert ratio(W / np.linalg.norm(W, 2)) < ex03.RATIO_LOW
        chosen = ns[ex03.RADIUS](*test.calls[0].args)
        assert 0.5 < ratio(ex03.rescaled(W, chosen)) < 2, test.id
        if test.id in ("radius_small", "radius_large"):
            passing.append({rho for rho in radii
                            if ex03.RATIO_LOW <= ratio(ex03.rescaled(W, rho)) <= ex03.RATIO_HIGH})
    assert passing[0] and passing[1] and not passing[0] & passing[1]


@pytest.mark.parametrize("test_id, value", [
    ("bwd_dx_dh0", None), ("bwd_dx_dh0", (np.zeros(3), np.zeros(3), [])), ("bwd_weights", (1, 2, {})),
    ("diag_clean", 3), ("diag_carry", "carry"), ("decay_linear", "0.5"), ("decay_linear", np.array([0.5, 1])),
    ("decay_fixed_point", float("nan")), ("radius_small", -1.0), ("radius_large", "2"), ("radius_short", None)])
def test_odd_returns_get_a_hint_not_an_error(test_id, value):
    """Whatever a learner's function returns, the judge answers with a hint (CheckFailed)."""
    fx.assert_odd_return_gets_a_hint(RUBRIC, test_id, value)
