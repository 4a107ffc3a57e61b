"""Exercise 12 (leak-free windows, MASE and a derivation, a CO2 forecaster): the partial marks
its rubric is designed to give, and its references checked.

Each wrong submission is the solution notebook with cells edited the way learners get them
wrong (``grading_fixtures.edit``: every edit must apply once, so the table follows the
solution); the grader must give exactly the designed points, fail exactly the tests the
mistakes break, and say why in the hint. Parts 1 and 2 are independent, so most submissions
carry one mistake of each, and their points add up. (Full marks for the solution and zero for
the blank exercise are checked for every exercise in ``test_grading.py``.) Each grading starts
one child Python and fits Part 3's forecaster up to three times (about 5 s).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubrics import ex12_forecasting as ex12
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex12_forecasting.ipynb"
RUBRIC = rubric_for("ex12_forecasting")
WINDOWS = {"windows_shapes", "windows_in_time", "scaled_on_train", "windows_hidden"}
MASE = {"mase_naive", "mase_seasonal", "mase_hidden"}
RW = {"random_walk", "random_walk_hidden"}
FORECAST = {"forecast_beats_snaive", "forecast_follows_level", "forecast_seed1"}

SCALING = "mean, std = series[:n_train].mean(), series[:n_train].std()"
CUT = "        parts[name] = data.make_windows(z[lo:hi], window, horizon)"
LOOP = '''    ends = (0, n_train, n_train + n_val, len(series))
    parts = {}
    for name, lo, hi in zip(("train", "val", "test"), ends[:-1], ends[1:]):
        parts[name] = data.make_windows(z[lo:hi], window, horizon)'''
WHOLE = '''    X, y = data.make_windows(z, window, horizon)     # the whole series
    {shuffle}a = len(X) * n_train // len(series)
    b = len(X) * (n_train + n_val) // len(series)
    parts = {{"train": (X[:a], y[:a]), "val": (X[a:b], y[a:b]),
             "test": (X[b:], y[b:])}}'''
SHUFFLE = "order = np.random.default_rng(0).permutation(len(X))\n    X, y = X[order], y[order]\n    "

ALL_ROWS = ("split", SCALING, "mean, std = series.mean(), series.std()")
OWN_STATS = ("split", CUT, "        part = series[lo:hi]\n"
                           "        parts[name] = data.make_windows((part - part.mean()) / part.std(),\n"
                           "                                        window, horizon)")
STRADDLE = ("split", LOOP, WHOLE.format(shuffle=""))
SHUFFLED = ("split", LOOP, WHOLE.format(shuffle=SHUFFLE))
TRAIN_VAL_ROWS = ("split", SCALING, "mean = series[:n_train + n_val].mean()\n"
                                    "    std = series[:n_train + n_val].std()")
OFF_BY_ONE = ("split", CUT, "        X, y = data.make_windows(z[lo:hi], window, horizon)\n"
                            "        parts[name] = (X, np.concatenate([X[:, -1:, 0], y[:, :-1]], axis=1))")

SCALE = "scale = np.mean(np.abs(y_train[R:] - y_train[:-R]))"
VALUE = "value = float(np.mean(np.abs(pred - target)) / scale)"
LAG1 = ("mase", SCALE, "scale = np.mean(np.abs(np.diff(y_train)))")
DIFF_ORDER = ("mase", SCALE, "scale = np.mean(np.abs(np.diff(y_train, R)))")
TEST_SCALE = ("mase", SCALE, "scale = np.mean(np.abs(target[R:] - target[:-R]))")
SQUARED = ("mase", VALUE, "value = float(np.mean((pred - target) ** 2)\n"
                          "                  / np.mean((y_train[R:] - y_train[:-R]) ** 2))")
RATIOS = ("mase", VALUE, "value = float(np.mean(np.abs(pred - target)[R:]\n"
                         "                          / np.abs(target[R:] - target[:-R])))")
OVER_T = ("mase", SCALE, "scale = np.sum(np.abs(y_train[R:] - y_train[:-R])) / len(y_train)")
WITH_TARGET = ("mase", SCALE, "y = np.concatenate([y_train, target.ravel()])\n"
                              "    scale = np.mean(np.abs(y[R:] - y[:-R]))")
LAG_PLUS1 = ("mase", SCALE, "scale = np.mean(np.abs(y_train[R + 1:] - y_train[:-R - 1]))")
ONE_SHORT = ("mase", SCALE, "scale = np.mean(np.abs(y_train[R + 1:] - y_train[1:-R]))")

DERIVED = "value = float(np.sqrt(horizon / season))"
VARIANCE = ("random-walk", DERIVED, "value = float(horizon / season)")
KEPT_FACTOR = ("random-walk", DERIVED, "value = float(np.sqrt(2 / np.pi * horizon / season))")
NO_SEASON = ("random-walk", DERIVED, "value = float(np.sqrt(horizon))")
ONE = ("random-walk", DERIVED, "value = 1.0")


def solution_body(cell_id, number):
    """The text between the ``number``-th pair of solution markers of a cell (0-based)."""
    source = fx.cell(nbformat.read(SOLUTION, as_version=4), cell_id).source
    return source.split("### BEGIN SOLUTION\n")[number + 1].split("    ### END SOLUTION")[0]


FIT_BODY, FORECAST_BODY = solution_body("forecaster", 0), solution_body("forecaster", 1)
LAST_VALUE = [("forecaster", FIT_BODY, "    fitted = {}\n"),
              ("forecaster", FORECAST_BODY, "    pred = np.repeat(recent[:, -1:], HORIZON, axis=1)\n")]
UNTRAINED = [("forecaster", '''    train.fit(model, ((X - last[:, None]) / spread, (y - last) / spread),
              loss="mse", epochs=10, lr=0.01, batch_size=32, seed=seed,
              progress=False)
''', "")]
SEASONAL_NAIVE = [("forecaster", FIT_BODY, "    fitted = {}\n"),
                  ("forecaster", FORECAST_BODY, "    pred = recent[:, :HORIZON].copy()\n")]
LOOKUP = [("forecaster", FIT_BODY, "    fitted = {}\n"),       # reads the held-out weeks from course_pkg
          ("forecaster", FORECAST_BODY, '''    y = data.load_series("co2").values[:, 0]
    seg = np.lib.stride_tricks.sliding_window_view(y, WINDOW + HORIZON)
    rel = seg - seg[:, WINDOW - 1:WINDOW]
    pred = []
    for r in recent:
        i = np.argmin(np.abs(rel[:, :WINDOW] - (r - r[-1])).max(axis=1))
        pred.append(rel[i, WINDOW:] + r[-1])
    pred = np.array(pred)
''')]
LEVELS = [("forecaster", FIT_BODY, '''    mean, std = weeks.mean(), weeks.std()           # the training weeks
    X, y = data.make_windows((weeks - mean) / std, WINDOW, HORIZON)
    model = SequenceClassifier(cp.GRU(1, 16, batch_first=True, seed=seed),
                               HORIZON, seed=seed + 1)
    train.fit(model, (X, y), loss="mse", epochs=10, lr=0.01, batch_size=32,
              seed=seed, progress=False)
    fitted = {"model": model.eval(), "mean": mean, "std": std}
'''), ("forecaster", FORECAST_BODY, '''    z = (recent - fitted["mean"]) / fitted["std"]
    pred = train.predict(fitted["model"], (z[:, :, None],), batch_size=256)
    pred = pred * fitted["std"] + fitted["mean"]
''')]

# name: (edits, tests that fail, score out of 21, {test: hint fragment})
MISTAKES = {
    "scaled-on-all-rows+lag1-scale": (
        [ALL_ROWS, LAG1], {"scaled_on_train", "windows_hidden", "mase_seasonal", "mase_hidden"}, 15.0,
        {"scaled_on_train": "mean and std of every row", "windows_hidden": "every row",
         "mase_seasonal": "seasonal naive's, |y_t - y_(t-R)|"}),
    "each-part-own-statistics+np.diff-order": (
        [OWN_STATS, DIFF_ORDER], {"scaled_on_train", "windows_hidden", "mase_seasonal", "mase_hidden"}, 15.0,
        {"scaled_on_train": "its own mean and std", "mase_seasonal": "n-th order difference"}),
    "windows-straddle+test-period-scale": (
        [STRADDLE, TEST_SCALE], {"windows_in_time", "windows_hidden"} | MASE, 14.0,
        {"windows_in_time": "reaches row 52, but the val rows start at 50", "windows_hidden": "reaches row",
         "mase_naive": "on the test targets"}),
    "shuffled-before-split+squared-errors": (
        [SHUFFLED, SQUARED], {"windows_in_time", "windows_hidden"} | MASE, 14.0,
        {"windows_in_time": "shuffled before the split", "mase_seasonal": "squared errors"}),
    "targets-off-by-one+mean-of-ratios": (
        [OFF_BY_ONE, RATIOS], {"windows_shapes"} | MASE, 16.0,
        {"windows_shapes": "starts at the last value of X[0]", "mase_naive": "a mean of ratios"}),
    "divided-by-T+variances": (
        [OVER_T, VARIANCE], MASE | RW, 14.0,
        {"mase_seasonal": "divided by t_0", "random_walk": "ratio of the variances"}),
    "season-ignored+last-value-forecaster": (
        [NO_SEASON, *LAST_VALUE], RW | {"forecast_beats_snaive", "forecast_seed1"}, 12.0,
        {"random_walk": "not of one step", "forecast_beats_snaive": "about as good as repeating the last week"}),
    "mase-one+untrained-forecaster": (
        [ONE, *UNTRAINED], RW | {"forecast_beats_snaive", "forecast_seed1"}, 12.0,
        {"random_walk": "only in the training series", "forecast_beats_snaive": "is the model trained?"}),
    "scaled-on-train-and-val+scale-with-targets+kept-sqrt(2/pi)": (
        [TRAIN_VAL_ROWS, WITH_TARGET, KEPT_FACTOR], {"scaled_on_train", "windows_hidden"} | MASE | RW, 11.0,
        {"scaled_on_train": "training and validation rows", "mase_naive": "includes the scored targets",
         "random_walk": "sqrt(2/pi)"}),
    "lag-R+1+seasonal-naive-forecaster": (
        [LAG_PLUS1, *SEASONAL_NAIVE], MASE | {"forecast_beats_snaive", "forecast_seed1"}, 11.0,
        {"mase_seasonal": "R + 1 steps apart", "forecast_beats_snaive": "the seasonal naive forecast itself"}),
    "one-difference-short+forecasts-looked-up": (
        [ONE_SHORT, *LOOKUP], MASE | FORECAST, 9.0,
        {"mase_seasonal": "one seasonal difference is missing",
         "forecast_beats_snaive": "the grader's weeks themselves",
         "forecast_follows_level": "the grader's weeks themselves"}),
    "forecaster-of-standardised-levels": (
        LEVELS, FORECAST, 13.0,
        {"forecast_beats_snaive": "ppm too low on average", "forecast_follows_level": "moved your forecasts by"}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_usual_mistakes_get_their_designed_partial_marks(tmp_path, mistake):
    edits, failing, score, hints = MISTAKES[mistake]
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell_id, old, new in edits:
        fx.edit(nb, cell_id, old, new)
    nbformat.write(nb, tmp_path / SOLUTION.name)
    fx.assert_designed_score(tmp_path / SOLUTION.name, RUBRIC, failing, score, hints)


def test_the_points_are_those_the_notebook_announces():
    points = {}
    for t in RUBRIC.tests:
        points[t.grade_id] = points.get(t.grade_id, 0) + t.points
    assert points == {"split_scale_window": 6, "mase": 4, "random_walk_mase": 3, "forecaster": 8}
    assert {t.id for t in RUBRIC.tests} == WINDOWS | MASE | RW | FORECAST
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"windows_hidden", "mase_hidden", "random_walk_hidden",
                                                         "forecast_seed1"}
    understanding = {"scaled_on_train", "windows_hidden"} | RW | FORECAST
    understood = sum(t.points for t in RUBRIC.tests if t.id in understanding)
    assert 3 * understood >= 2 * RUBRIC.max_points and f"{understood:g} need understanding" in ex12.__doc__
    cells = nbformat.read(SOLUTION, as_version=4).cells
    assert all(f in cells[0].source for f in ("Part 1 is worth 6", "Part 2 7 points", "Part 3 8 points",
                                              "four of the tests are hidden", "five written answers"))
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown" and c.source.startswith("## Part")]
    assert headings == ["## Part 1 · Windows without leakage",
                        "## Part 2 · MASE from its definition, and what it says of a random walk",
                        "## Part 3 · A forecaster of your own design"]
    assert {a.id for a in RUBRIC.answers} <= {c.id for c in cells}


def test_locate_reads_where_windows_lie_and_how_they_were_scaled():
    series = ex12.drawn_series(40, seed=5)
    z = (series - 3.0) / 2.0
    starts = np.array([7, 2, 30])
    X = np.stack([z[s:s + 6] for s in starts])
    got, shift, scale = ex12.locate(series, X, "train")
    assert got.tolist() == starts.tolist() and shift == pytest.approx(3.0) and scale == pytest.approx(2.0)
    X[1, 3] += 1e-3                                   # no longer a stretch of the series
    with pytest.raises(ex12.CheckFailed, match=r"X\[1\] of parts\['train'\] is not 6 consecutive"):
        ex12.locate(series, X, "train")


def test_reference_mase_by_hand_and_beside_course_pkg():
    y_train = np.array([1.0, 3.0, 2.0, 5.0, 4.0])    # lag-2 differences 1, 2, 2: scale 5/3
    pred, target = np.array([6.0, 4.0]), np.array([5.0, 6.0])
    assert ex12.reference_mase(pred, target, y_train, 2) == pytest.approx(1.5 / (5 / 3))
    assert ex12.reference_mase(pred, target, y_train, 1) == pytest.approx(1.5 / 1.75)   # 2, 1, 3, 1
    from course_pkg import metrics
    for test in RUBRIC.tests:
        if test.grade_id == "mase":
            pred, target, y_train, m = test.calls[0].args
            assert ex12.reference_mase(pred, target, y_train, m) == pytest.approx(
                metrics.mase(pred, target, y_train, season=m), rel=1e-12)


def test_each_mase_mistake_changes_a_test_the_table_says_it_fails():
    tests = [t for t in RUBRIC.tests if t.grade_id == "mase"]
    for variant in ex12.MASE_MISTAKES:
        differs = [t.id for t in tests
                   if not np.isclose(ex12.reference_mase(*t.calls[0].args, variant=variant),
                                     ex12.reference_mase(*t.calls[0].args), rtol=1e-6)]
        assert "mase_seasonal" in differs, variant
    seasonal = next(t for t in tests if t.id == "mase_seasonal").calls[0].args
    values = [ex12.reference_mase(*seasonal, variant=v) for v in ex12.MASE_MISTAKES]
    assert len({round(v, 9) for v in values}) == len(values)


def test_the_derivation_agrees_with_a_simulated_random_walk():
    walk = np.cumsum(np.random.default_rng(0).standard_normal(400_000))
    for horizon, m in ((4, 1), (1, 4), (12, 3), (9, 4)):
        t = np.arange(200_000, 400_000 - horizon)
        simulated = ex12.reference_mase(walk[t - 1], walk[t - 1 + horizon], walk[:200_000], m)
        assert simulated == pytest.approx(ex12.reference_rw(horizon, m), rel=0.03)


def test_no_scored_week_travels_to_the_learner():
    """The grader's held-out claim: every target week lies after the weeks ``fit_forecaster``
    receives and outside every block of inputs ``forecast`` receives."""
    from course_pkg.data import load_series
    y = load_series("co2").values[:, 0]
    weeks, recent, target, snaive = ex12.co2_blocks()
    n = len(weeks)
    assert np.array_equal(weeks, y[:n]) and target.size == 130
    windows = np.lib.stride_tricks.sliding_window_view(y, ex12.WINDOW)
    starts = [int(np.flatnonzero((windows == r).all(axis=1))[0]) for r in recent]
    inputs = [set(range(s, s + ex12.WINDOW)) for s in starts]
    for s, block in zip(starts, target):
        o = s + ex12.WINDOW
        assert np.array_equal(block, y[o:o + ex12.HORIZON]) and o >= n
        assert not set(range(o, o + ex12.HORIZON)) & set().union(*inputs)
    assert np.array_equal(snaive, recent[:, :ex12.HORIZON])          # a year before, inside the inputs
    for test in RUBRIC.tests:
        if test.grade_id == "forecaster":
            assert np.array_equal(test.calls[0].args[0], weeks)
            assert all(np.allclose(c.args[1] - recent, s)
                       for c, s in zip(test.calls[1:], (0.0, ex12.LEVEL_SHIFT)))
