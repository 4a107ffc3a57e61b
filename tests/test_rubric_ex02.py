"""The partial marks of exercise 2 (tanh and the other activations), on hand-made wrong submissions.

Each wrong submission is ``solutions/ex02_tanh.ipynb`` with a few lines of graded cells rewritten
the way learners get them wrong (an edit whose text is not found stops with an error, so the
cases follow the solution). The generic tests in ``test_grading.py`` check that the solution
scores 21 and the blank exercise 0; these check that each designed mistake costs exactly the
tests it should, with its own hint. Mistakes in different functions whose tests do not overlap
share one graded run (one grader child, about half a second), so the 33 mistakes take 11 runs.
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_pkg.grading.judge import grade_notebook
from course_pkg.grading.make_exercises import CODE_BEGIN, CODE_END, CODE_STUB, strip_solution
from course_pkg.grading.rubric import CallResult, Test
from course_pkg.grading.rubrics import ex02_tanh as ex02
from course_pkg.grading.rubrics import rubric_for

import grading_fixtures as fx

ROOT = Path(__file__).resolve().parents[1]
NAME = "ex02_tanh"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
CHAPTER = ROOT / "notebooks" / "ch02_tanh.ipynb"
RUBRIC = rubric_for(NAME)
RATES = {"rate_linear", "rate_tanh", "rate_sigmoid", "rate_hidden"}
FATES = {"fate_1p5", "fate_0p5", "fate_m1p5", "fate_hidden"}
SHIFTS = {"shift_centred", "shift_outlier", "shift_hidden"}


def grade(tmp_path, edits):
    """Grade the solution with ``edits`` ``(cell id, old, new)`` applied, each once."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell_id, old, new in edits:
        fx.edit(nb, cell_id, old, new)
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_rubric_is_21_points_with_five_hidden_and_three_written_answers():
    assert RUBRIC.max_points == 21 and sum(t.points for t in RUBRIC.public()) == 16
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"slope_shapes", "diagnose_hidden", "fate_hidden",
                                                      "rate_hidden", "shift_hidden"}
    assert {t.grade_id for t in RUBRIC.tests} == set(RUBRIC.signatures)
    points = {g: sum(t.points for t in RUBRIC.tests if t.grade_id == g) for g in RUBRIC.signatures}
    assert points == {ex02.SLOPE: 6, ex02.DIAGNOSE: 4, ex02.FATE: 4, ex02.RATE: 4, ex02.SHIFT: 3}
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    assert all(cells[g].metadata.course == {"grade_id": g} for g in RUBRIC.signatures)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]
    intro = " ".join(cells["intro"].source.split())
    assert "21 points, 16 come from the public tests; five hidden tests, one per function (5 points)" in intro
    rows = {line.split("`")[1].split("(")[0]: line for line in cells["intro"].source.splitlines()
            if line.startswith("| `")}
    assert {g: row.rstrip().endswith(f"| {points.get(g)} |") for g, row in rows.items()} == dict.fromkeys(
        points, True)


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice. The rubric names those tests: 20 of the 21 (all
    but the chapter's four slopes)."""
    points = {t.id: t.points for t in RUBRIC.tests}
    assert ex02.UNDERSTANDING <= set(points)
    understood = sum(points[i] for i in ex02.UNDERSTANDING)
    assert (understood, sum(points.values())) == (20, 21)
    assert 3 * understood >= 2 * sum(points.values())
    assert set(points) - ex02.UNDERSTANDING == {"slope_chapter"}


def test_the_graded_parts_are_not_the_chapters_lines():
    """The chapter writes the slopes of its four activations with h and measures W_hh = gain Q
    with inputs; the solution's lines for the other parts appear neither there nor in the
    course_pkg code the chapter calls."""
    chapter = " ".join("".join(c.source) for c in nbformat.read(CHAPTER, as_version=4).cells)
    shown = chapter + (ROOT / "course_pkg" / "rnn.py").read_text() + (ROOT / "course_pkg" / "layers.py").read_text()
    for grade_id, line in ((ex02.SLOPE, "(1 - np.abs(h)) ** 2"), (ex02.SLOPE, "A * B * (1 - (h / A) ** 2)"),
                           (ex02.SLOPE, "np.where(h > 0, 1.0, h + 1)"), (ex02.SLOPE, "1 - np.exp(-h)"),
                           (ex02.DIAGNOSE, "(dh_next * right) @ weight_hh.T"),
                           (ex02.FATE, "abs(gain) > 1 else \"vanishes\""),
                           (ex02.RATE, "abs(gain) * activation_grad(h, nonlinearity)"),
                           (ex02.SHIFT, "np.tanh(a + mid).sum(axis=0)")):
        assert line in fx.solution_cell(SOLUTION, grade_id)
        assert line not in shown


def test_the_references_agree_with_autograd_and_with_a_simulation():
    torch = pytest.importorskip("torch")
    functions = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
                 "identity": lambda a: a * 1.0, "softsign": torch.nn.functional.softsign,
                 "scaled_tanh": lambda a: 1.7159 * torch.tanh(2 * a / 3),
                 "elu": torch.nn.functional.elu, "softplus": torch.nn.functional.softplus}
    a = torch.linspace(-6, 6, 241, dtype=torch.float64, requires_grad=True)      # a = 0 among them
    for name, f in functions.items():
        h = f(a)
        slope, = torch.autograd.grad(h.sum(), a)
        assert np.allclose(ex02.reference_slope(h.detach().numpy(), name), slope.numpy(), atol=1e-12), name
        assert np.allclose(ex02.reference_activation(a.detach().numpy(), name), h.detach().numpy()), name
    pairs = [(n, g) for n in ex02.CHAPTER for g in ex02.GAINS + ex02.OTHER_GAINS]
    pairs += [("identity", 1.0), ("relu", 1.0), ("identity", -1.0)]
    for name, gain in pairs:        # 150 steps, forward mode: g_t = g_{t-1} * gain * f'(a_t)
        h, g = np.array(ex02.H0), np.ones(2)
        for _ in range(150):
            a_t = torch.tensor(gain * h, requires_grad=True)
            h_t = functions[name](a_t)
            slope, = torch.autograd.grad(h_t.sum(), a_t)
            g_before, g, h = g, g * gain * slope.numpy(), h_t.detach().numpy()
        size = np.linalg.norm(h)
        fate = "explodes" if size > 1e20 else "vanishes" if size < 1e-20 else "survives"
        assert fate == ex02.reference_fate(name, gain), (name, gain)
        size_before = np.abs(g_before).max()             # not the norm: its squares underflow
        rate = np.abs(g).max() / size_before if size_before > 0 else 0.0
        assert abs(rate - ex02.reference_rate(name, gain)) < 1e-9, (name, gain, rate)


def test_the_best_shift_is_the_best_on_a_grid_and_the_cases_are_what_the_docstring_says():
    for test in (t for t in RUBRIC.tests if t.grade_id == ex02.SHIFT):
        (a,) = test.calls[0].args
        best = ex02.best_shift(a)
        grid = np.linspace(-15, 15, 30001)[:, None]
        on_grid = np.array([ex02.log_kept(a, s) for s in grid])                   # (S, H)
        assert np.all(ex02.log_kept(a, best) >= on_grid.max(axis=0) - 1e-9)
        mean = np.exp(ex02.log_kept(a, -a.mean(axis=0)) - ex02.log_kept(a, best))
        median = np.exp(ex02.log_kept(a, -np.median(a, axis=0)) - ex02.log_kept(a, best))
        if test.id == "shift_centred":          # the mean passes; the unit that leans fails the median
            assert mean.min() >= 0.96 and median.min() < 0.6
        else:
            assert mean.min() < 0.06 and median.min() < ex02.SHIFT_KEEPS
    outlier = next(t for t in RUBRIC.tests if t.id == "shift_outlier").calls[0].args[0]
    best = ex02.best_shift(outlier)
    ratios = np.exp(ex02.log_kept(outlier, -outlier.mean(axis=0)) - ex02.log_kept(outlier, best))
    assert 0.001 <= ratios.min() and ratios.max() <= 0.06


def test_a_grid_of_shifts_a_tenth_apart_passes_wherever_it_starts():
    """The docstring: a grid 0.1 apart keeps at least 0.976 of the best on every unit of the three
    tests, 0.05 apart 0.993, whatever its first point."""
    for step, least in ((0.1, 0.975), (0.05, 0.99)):
        for start in np.linspace(-12, -12 + step, 11):
            grid = np.arange(start, 12, step)
            for test in (t for t in RUBRIC.tests if t.grade_id == ex02.SHIFT):
                (a,) = test.calls[0].args
                logs = np.array([ex02.log_kept(a, s) for s in grid])              # (S, H)
                kept = np.exp(logs.max(axis=0) - ex02.log_kept(a, ex02.best_shift(a)))
                assert kept.min() >= least, (step, start, test.id)


def test_relus_state_at_gain_a_quarter_underflows_after_537_steps():
    """A learner who iterates 537 steps or more before taking ReLU's slope at gain 0.25 takes it
    at 0.0 (rate 0); at 0.5 after 1,074. The solution's 200 steps keep the state positive."""
    for gain, steps in ((0.25, 537), (0.5, 1074)):
        h = np.array(ex02.H0)
        for t in range(1, steps + 1):
            h = np.maximum(gain * h, 0.0)
            assert (h[0] == 0.0) == (t == steps)


def test_every_diagnosis_case_has_one_label_and_the_versions_differ():
    for test in (t for t in RUBRIC.tests if t.grade_id == ex02.DIAGNOSE):
        for call in test.calls:
            dh_next, h_next, weight_hh, _ = call.args
            versions = [ex02.colleague_step(dh_next, h_next, weight_hh, b) for b in ex02.BUGS]
            gaps = [np.abs(u - v).max() for i, u in enumerate(versions) for v in versions[i + 1:]]
            assert min(gaps) > 0.05
            ex02.case_label(call)


def test_a_mean_over_the_first_steps_is_off_by_a_few_per_cent():
    h, g = np.array(ex02.H0), np.ones(2)
    for _ in range(60):
        h = np.tanh(1.5 * h)
        g = g * 1.5 * (1 - h * h)
    mean = np.linalg.norm(g) ** (1 / 60)
    assert round(mean, 3) == 0.409 and round(ex02.reference_rate("tanh", 1.5), 3) == 0.394


# --------------------------------------------------------------------------- designed mistakes

TANH_AT_H = [("activation_grad", "return 1 - h * h", "return 1 - np.tanh(h) ** 2")]
TANH_1_MINUS_H = [("activation_grad", "return 1 - h * h", "return 1 - h")]
RELU_AT_0 = [("activation_grad", "(h > 0)", "(h >= 0)")]
SOFTSIGN_NO_ABS = [("activation_grad", "(1 - np.abs(h)) ** 2", "(1 - h) ** 2")]
SCALED_NO_FACTOR = [("activation_grad", "A * B * (1 - (h / A) ** 2)", "1 - (h / A) ** 2")]
SCALED_NO_B = [("activation_grad", "A * B * (1 - (h / A) ** 2)", "A * (1 - (h / A) ** 2)")]
SCALED_H_AS_TANH = [("activation_grad", "A * B * (1 - (h / A) ** 2)", "A * B * (1 - h ** 2)")]
ELU_AT_H = [("activation_grad", "np.where(h > 0, 1.0, h + 1)", "np.where(h > 0, 1.0, np.exp(h))")]
ELU_NO_ONE = [("activation_grad", "np.where(h > 0, 1.0, h + 1)", "np.where(h > 0, 1.0, h)")]
SOFTPLUS_AT_H = [("activation_grad", "return 1 - np.exp(-h)", "return 1 / (1 + np.exp(-h))")]
SOFTPLUS_SIGMOIDS = [("activation_grad", "return 1 - np.exp(-h)", "return h * (1 - h)")]

SWAPPED = [("diagnose_step", '"ok": (dh_next * right) @ weight_hh,', '"ok": (dh_next * right) @ weight_hh.T,'),
           ("diagnose_step", '"transposed": (dh_next * right) @ weight_hh.T,',
            '"transposed": (dh_next * right) @ weight_hh,')]
AT_H_IS_OK = [("diagnose_step", "at_h = 1 - np.tanh(h_next) ** 2", "at_h = 1 - h_next ** 2")]
NO_SLOPE_TRANSPOSED = [("diagnose_step", '"no_slope": dh_next @ weight_hh}', '"no_slope": dh_next @ weight_hh.T}')]
COLUMN_CONVENTION = [("diagnose_step", '''    versions = {"ok": (dh_next * right) @ weight_hh,           # (N, H)
                "transposed": (dh_next * right) @ weight_hh.T,
                "slope_at_h": (dh_next * at_h) @ weight_hh,
                "one_minus_h": (dh_next * (1 - h_next)) @ weight_hh,
                "no_slope": dh_next @ weight_hh}''',
                      '''    W = weight_hh.T                            # the column habit
    versions = {"ok": (dh_next * right) @ W,                   # (N, H)
                "transposed": (dh_next * right) @ W.T,
                "slope_at_h": (dh_next * at_h) @ W,
                "one_minus_h": (dh_next * (1 - h_next)) @ W,
                "no_slope": dh_next @ W}''')]
SIGNED_ERROR = [("diagnose_step", "np.abs(v - dh_prev).max()", "(v - dh_prev).sum()")]

TANH_EXPLODES = [("state_fate", 'return "survives" if abs(gain) > 1 else "vanishes"',
                  'return "explodes" if abs(gain) > 1 else "vanishes"')]
RELU_AS_IDENTITY = [("state_fate", "growth = gain ", "growth = abs(gain) ")]
SIGMOID_VANISHES = [("state_fate", '        return "survives"\n    if nonlinearity == "tanh"',
                     '        return "survives" if abs(gain) > 1 else "vanishes"\n    if nonlinearity == "tanh"')]
IDENTITY_SIGN_FLIPS = [("state_fate", "growth = abs(gain)", "growth = gain")]
FATE_A_BOOL = [("state_fate", '    if growth > 1:\n        return "explodes"\n'
                '    return "survives" if growth == 1 else "vanishes"', "    return growth > 1")]

RATE_NO_SLOPE = [("gradient_rate", "return float(factors.max())", "return float(abs(gain))")]
RATE_UNDERFLOW = [("gradient_rate", "for _ in range(200):", "for _ in range(1000):")]
RATE_SMALLER_UNIT = [("gradient_rate", "return float(factors.max())", "return float(factors.min())")]
RATE_AFTER_100_STEPS = [("gradient_rate", '''    for _ in range(200):                       # let the states settle
        h = f(gain * h)
    factors = abs(gain) * activation_grad(h, nonlinearity)   # per unit, (2,)
    return float(factors.max())                # the larger one wins''',
                         '''    g = np.ones(2)
    for _ in range(100):                       # the gradient after 100 steps
        h = f(gain * h)
        g = g * gain * activation_grad(h, nonlinearity)
    return float(np.abs(g).max())''')]
RATE_SIGNED = [("gradient_rate", "factors = abs(gain) * activation_grad", "factors = gain * activation_grad")]
RATE_SIGMOID_AT_0 = [("gradient_rate", "    ### BEGIN SOLUTION\n",
                      '    ### BEGIN SOLUTION\n    if nonlinearity == "sigmoid":\n        return abs(gain) / 4\n')]
RATE_MEAN_60 = [("gradient_rate", '''    h = np.array([0.5, -0.5])
    for _ in range(200):                       # let the states settle
        h = f(gain * h)
    factors = abs(gain) * activation_grad(h, nonlinearity)   # per unit, (2,)
    return float(factors.max())                # the larger one wins''',
                 '''    h, g = np.array([0.5, -0.5]), np.ones(2)
    for _ in range(60):                        # 60 steps, then the mean factor
        h = f(gain * h)
        g = g * gain * activation_grad(h, nonlinearity)
    return float(np.linalg.norm(g) ** (1 / 60))''')]

SHIFT_BODY = '''    lo, hi = np.full(a.shape[1], -50.0), np.full(a.shape[1], 50.0)
    for _ in range(100):
        mid = (lo + hi) / 2
        low = np.tanh(a + mid).sum(axis=0) < 0           # (H,): s too low
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    shift = (lo + hi) / 2'''
SHIFT_MINUS_MEAN = [("bias_shift", SHIFT_BODY, "    shift = -a.mean(axis=0)")]
SHIFT_PLUS_MEAN = [("bias_shift", SHIFT_BODY, "    shift = a.mean(axis=0)")]
SHIFT_MEDIAN = [("bias_shift", SHIFT_BODY, "    shift = -np.median(a, axis=0)")]
SHIFT_CENTRED_A = [("bias_shift", SHIFT_BODY, "    shift = a - a.mean(axis=0)")]

# Each mistake: (edits, the tests it must fail, {test: hint fragment}).
MISTAKES = {
    "tanh-slope-taken-at-h": (TANH_AT_H, {"slope_chapter", "rate_tanh", "rate_hidden"},
                              {"slope_chapter": "is the slope at a = h", "rate_tanh": "slope at a = h*"}),
    "tanh-slope-1-minus-h": (TANH_1_MINUS_H, {"slope_chapter", "rate_tanh", "rate_hidden"},
                             {"slope_chapter": "tanh is odd", "rate_tanh": "uses 1 - h"}),
    "relu-slope-1-at-0": (RELU_AT_0, {"slope_chapter", "rate_linear", "rate_hidden"},
                          {"slope_chapter": "is 1 where h = 0", "rate_linear": "a unit that is off"}),
    "softsign-without-abs": (SOFTSIGN_NO_ABS, {"slope_softsign", "slope_shapes"},
                             {"slope_softsign": "softsign is odd"}),
    "scaled-tanh-without-the-chain-rule": (SCALED_NO_FACTOR, {"slope_scaled_tanh", "slope_shapes"},
                                           {"slope_scaled_tanh": "chain rule"}),
    "scaled-tanh-without-b": (SCALED_NO_B, {"slope_scaled_tanh", "slope_shapes"},
                              {"slope_scaled_tanh": "misses the inner factor"}),
    "scaled-tanh-h-read-as-tanh": (SCALED_H_AS_TANH, {"slope_scaled_tanh", "slope_shapes"},
                                   {"slope_scaled_tanh": "treats h as tanh(B a)"}),
    "elu-slope-taken-at-h": (ELU_AT_H, {"slope_elu", "slope_shapes"}, {"slope_elu": "is the slope at a = h"}),
    "elu-without-its-plus-1": (ELU_NO_ONE, {"slope_elu", "slope_shapes"}, {"slope_elu": "is negative where h < 0"}),
    "softplus-slope-taken-at-h": (SOFTPLUS_AT_H, {"slope_softplus", "slope_shapes"},
                                  {"slope_softplus": "is the slope at a = h"}),
    "softplus-as-the-sigmoid": (SOFTPLUS_SIGMOIDS, {"slope_softplus", "slope_shapes"},
                                {"slope_softplus": "the sigmoid's slope written with the sigmoid's output"}),
    "diagnosis-correct-and-transposed-swapped": (SWAPPED, {"diagnose_transposed", "diagnose_hidden"},
                                                 {"diagnose_transposed": "the step you call correct"}),
    "diagnosis-slope-at-h-equals-ok": (AT_H_IS_OK, {"diagnose_slope_at_h", "diagnose_hidden"},
                                       {"diagnose_slope_at_h": "was called 'ok'"}),
    "diagnosis-no-slope-transposed": (NO_SLOPE_TRANSPOSED, {"diagnose_slope_forms", "diagnose_hidden"},
                                      {"diagnose_slope_forms": "the step with no slope was called"}),
    "diagnosis-column-convention": (COLUMN_CONVENTION, {"diagnose_transposed", "diagnose_slope_at_h",
                                                        "diagnose_slope_forms", "diagnose_hidden"},
                                    {"diagnose_transposed": "the step you call correct"}),
    "diagnosis-by-signed-sum": (SIGNED_ERROR, {"diagnose_transposed", "diagnose_slope_at_h",
                                               "diagnose_slope_forms", "diagnose_hidden"},
                                {"diagnose_transposed": "cases wrong: the step with W_hh transposed was called"}),
    "fate-tanh-explodes": (TANH_EXPLODES, {"fate_1p5", "fate_m1p5", "fate_hidden"},
                           {"fate_1p5": "cannot leave (-1, 1)"}),
    "fate-relu-like-the-identity": (RELU_AS_IDENTITY, {"fate_m1p5", "fate_hidden"},
                                    {"fate_m1p5": "what does ReLU make of a negative pre-activation"}),
    "fate-sigmoid-vanishes": (SIGMOID_VANISHES, {"fate_0p5", "fate_hidden"},
                              {"fate_0p5": "sigmoid(0) = 1/2"}),
    "fate-identity-sign-flips-vanish": (IDENTITY_SIGN_FLIPS, {"fate_m1p5", "fate_hidden"},
                                        {"fate_m1p5": "1 of 4 predictions wrong: identity at gain -1.5"}),
    "fate-a-bool": (FATE_A_BOOL, {"fate_1p5", "fate_0p5", "fate_m1p5", "fate_hidden"},
                    {"fate_1p5": "to return one of ['explodes', 'vanishes', 'survives'], got a bool"}),
    "rate-without-the-slope": (RATE_NO_SLOPE, RATES, {"rate_linear": "a unit that is off",
                                                      "rate_tanh": "is |gain| alone"}),
    "rate-state-underflowed": (RATE_UNDERFLOW, {"rate_linear", "rate_hidden"},
                               {"rate_linear": "did it underflow to 0.0?"}),
    "rate-the-smaller-unit": (RATE_SMALLER_UNIT, {"rate_linear", "rate_hidden"},
                              {"rate_linear": "relu at gain 1.5: 0 is the rate of the unit that is off"}),
    "rate-the-gradient-after-100-steps": (RATE_AFTER_100_STEPS, RATES,
                                          {"rate_tanh": "the size of the gradient after many steps"}),
    "rate-signed": (RATE_SIGNED, RATES, {"rate_linear": "cannot be negative", "rate_tanh": "cannot be negative"}),
    "rate-sigmoid-slope-at-0": (RATE_SIGMOID_AT_0, {"rate_sigmoid", "rate_hidden"},
                                {"rate_sigmoid": "slope at a = 0, but the sigmoid units settle elsewhere"}),
    "rate-mean-of-the-first-60-steps": (RATE_MEAN_60, RATES, {"rate_linear": "close but not the settled rate",
                                                              "rate_tanh": "close but not the settled rate"}),
    "shift-minus-mean": (SHIFT_MINUS_MEAN, {"shift_outlier", "shift_hidden"},
                         {"shift_outlier": "-mean(a) centres the pre-activations"}),
    "shift-plus-mean": (SHIFT_PLUS_MEAN, SHIFTS, {"shift_centred": "moves it further out"}),
    "shift-median": (SHIFT_MEDIAN, SHIFTS, {"shift_centred": "counts each step as +1 or -1",
                                            "shift_outlier": "counts each step as +1 or -1"}),
    "shift-the-centred-pre-activations": (SHIFT_CENTRED_A, SHIFTS,
                                          {"shift_centred": "of shape (H,) = (5,), got (8, 5): one shift per unit"}),
}

# Mistakes in different functions whose failing tests do not overlap, graded in one run.
RUNS = (
    ("tanh-slope-taken-at-h", "diagnosis-correct-and-transposed-swapped", "fate-tanh-explodes",
     "shift-minus-mean"),
    ("tanh-slope-1-minus-h", "diagnosis-slope-at-h-equals-ok", "fate-relu-like-the-identity", "shift-plus-mean"),
    ("relu-slope-1-at-0", "diagnosis-no-slope-transposed", "fate-sigmoid-vanishes", "shift-median"),
    ("softsign-without-abs", "diagnosis-by-signed-sum", "fate-a-bool", "shift-the-centred-pre-activations"),
    ("scaled-tanh-without-the-chain-rule", "rate-without-the-slope"),
    ("scaled-tanh-h-read-as-tanh", "rate-signed"),
    ("elu-slope-taken-at-h", "rate-sigmoid-slope-at-0"),
    ("elu-without-its-plus-1", "rate-mean-of-the-first-60-steps"),
    ("softplus-slope-taken-at-h", "rate-the-smaller-unit"),
    ("softplus-as-the-sigmoid", "rate-the-gradient-after-100-steps"),
    ("scaled-tanh-without-b", "diagnosis-column-convention", "fate-identity-sign-flips-vanish",
     "rate-state-underflowed"),
)


def test_every_mistake_is_graded_once_and_a_run_mixes_no_tests():
    assert sorted(m for run in RUNS for m in run) == sorted(MISTAKES)
    for run in RUNS:
        lost = [MISTAKES[m][1] for m in run]
        assert sum(map(len, lost)) == len(set().union(*lost)), run
        cells = [cell for m in run for cell in {e[0] for e in MISTAKES[m][0]}]
        assert len(cells) == len(set(cells)), run


@pytest.mark.parametrize("run", RUNS, ids=["+".join(r) for r in RUNS])
def test_each_designed_mistake_costs_exactly_its_tests_with_its_hint(tmp_path, run):
    edits = [e for m in run for e in MISTAKES[m][0]]
    lost = set().union(*(MISTAKES[m][1] for m in run))
    hints = {test: fragment for m in run for test, fragment in MISTAKES[m][2].items()}
    fx.assert_designed_score(grade(tmp_path, edits), RUBRIC, lost, RUBRIC.max_points - len(lost), hints)


# Right answers written other ways, graded together: full marks.
OTHER_WAYS = [
    ("activation_grad", "return 1 - np.exp(-h)", "return -np.expm1(-h)"),
    ("activation_grad", "np.where(h > 0, 1.0, h + 1)", "np.minimum(h + 1, 1.0)"),
    ("diagnose_step", '''    errors = {name: np.abs(v - dh_prev).max() for name, v in versions.items()}
    return min(errors, key=errors.get)''', '''    for name, v in versions.items():
        if np.allclose(v, dh_prev):
            return name
    return "ok"'''),
    ("gradient_rate", "    for _ in range(200):                       # let the states settle",
     "    for _ in range(400):                       # let the states settle"),
    ("gradient_rate", "    ### BEGIN SOLUTION\n", '''    ### BEGIN SOLUTION
    if nonlinearity in ("relu", "identity"):   # the unit from 0.5 decides
        return max(gain, 0.0) if nonlinearity == "relu" else abs(gain)
'''),
    ("state_fate", "    ### BEGIN SOLUTION\n", '''    ### BEGIN SOLUTION
    f = {"tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
         "relu": lambda a: np.maximum(a, 0), "identity": lambda a: a}[nonlinearity]
    h = np.array([0.5, -0.5])
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(1000):                  # run it, then read the size
            h = f(gain * h)
    size = np.linalg.norm(h)
    if not size < 1e10:
        return "explodes"
    return "vanishes" if size < 1e-10 else "survives"
'''),
    ("bias_shift", SHIFT_BODY, '''    grid = np.linspace(-12, 12, 241)                     # candidates 0.1 apart
    with np.errstate(divide="ignore"):
        logs = np.array([np.log(1 - np.tanh(a + s) ** 2).sum(axis=0) for s in grid])
    shift = grid[np.argmax(logs, axis=0)]'''),
]


def test_right_answers_written_other_ways_get_full_marks(tmp_path):
    fx.assert_designed_score(grade(tmp_path, OTHER_WAYS), RUBRIC, set(), RUBRIC.max_points)


def test_only_part_1_done_scores_its_six_points(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell in nb.cells:
        if cell.get("id") in ("diagnose_step", "state_fate", "gradient_rate", "bias_shift"):
            cell.source, _ = strip_solution(cell.source, CODE_BEGIN, CODE_END, CODE_STUB)
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    graded = grade_notebook(path, RUBRIC)
    assert graded.status == "not_implemented" and graded.score == 6
    assert {r.hint for r in graded.results if not r.passed} == {"not implemented yet"}


def test_a_function_taken_from_the_rubric_scores_nothing():
    result = CallResult(ex02.SLOPE, np.ones((4, 5)), module="course_pkg.grading.rubrics.ex02_tanh")
    test = next(t for t in RUBRIC.tests if t.id == "slope_chapter")
    assert isinstance(test, Test)
    with pytest.raises(AssertionError, match="expected your own activation_grad"):
        test.judge(test.calls, (result,) * len(test.calls))


@pytest.mark.parametrize("test_id, value, fragment", [
    ("diagnose_transposed", "W_hh.T", "to return one of ['ok', 'transposed'"),
    ("rate_tanh", "0.39", "to return a number, got a str"),
    ("rate_tanh", float("nan"), "a rate per step is finite"),
    ("shift_centred", 3.0, "of shape (H,) = (5,), got ()"),
])
def test_odd_returns_get_a_hint_not_an_error(test_id, value, fragment):
    test = next(t for t in RUBRIC.tests if t.id == test_id)
    results = tuple(CallResult(c.function, value) for c in test.calls)
    with pytest.raises(AssertionError, match=None) as err:
        test.judge(test.calls, results)
    assert fragment in str(err.value), str(err.value)
