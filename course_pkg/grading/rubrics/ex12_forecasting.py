"""Rubric of exercise 12, forecasting: 21 points in three parts.

- Part 1, ``split_scale_window(series, n_train, n_val, window, horizon)`` (6 points, one
  hidden): split a series chronologically (rows ``[0, n_train)`` train, the next ``n_val``
  validate, the rest test), standardise it with the mean and standard deviation of the
  training rows only, and cut each part into its own windows; it returns ``(parts, mean,
  std)``, ``parts[name] = (X, y)`` with ``X (N, window, 1)`` (or ``(N, window)``) and ``y
  (N, horizon)``. Judged on series the grader draws itself (trend, a season of 12 and a
  random walk, so every value is distinct): :func:`locate` finds, for every returned window,
  the rows of the series it holds and the affine map that scaled it, so the judges read
  where each window lies in time and which statistics scaled each part from the windows
  themselves, not from what the function says. The notebook fixes the parts' rows and the
  windows (those whose inputs and targets lie in the part's rows) but not which rows the
  statistics come from. A leak loses exactly its points: windows cut from the whole series
  (they straddle the boundaries) or shuffled before the split fail ``windows_in_time``;
  statistics of every row, of the training and validation rows or of each part fail
  ``scaled_on_train``; both fail the hidden test. Off-by-one targets fail ``windows_shapes``
  only.
- Part 2, ``mase(pred, target, y_train, m)`` (4 points, one hidden) and
  ``random_walk_mase(horizon, m)`` (3 points, one hidden): MASE from its definition, the MAE
  of the forecast over the in-sample MAE of the seasonal naive forecast with season ``m``
  (:func:`reference_mase`), on seeded series the learner has not seen; and a derivation:
  the MASE that the last value gets ``horizon`` steps ahead on a Gaussian random walk,
  scaled with season ``R`` (the parameter ``season``), is ``sqrt(horizon / R)`` (absolute errors of a sum of
  ``horizon`` independent steps grow as its standard deviation).
- Part 3, ``fit_forecaster(weeks, seed)`` and ``forecast(fitted, recent)`` (8 points, two
  hidden): a forecaster of the learner's design for weekly Mauna Loa CO2, 26 weeks ahead
  from the 52 weeks before. ``fit_forecaster`` receives the weeks up to 1993 (what the
  notebook has), and returns anything ``forecast`` can use (it stays in the learner's
  process; nothing of it is sent). The grader keeps 1994-2001: ``forecast`` receives, for
  each of 5 origins, only the 52 weeks before it; the 5 blocks of 26 weeks it is scored on
  are never sent to the learner's process (each block of inputs starts after the previous
  block of targets, so no call's arguments hold a scored week). They ship with
  ``course_pkg.data``, as every data set does; the notebook keeps no global holding them, and
  forecasts equal to them (a look-up) fail all three tests. The forecast must reach a
  MASE (season 52, scaled on the weeks up to 1993) of at most :data:`SNAIVE_SHARE` times the
  seasonal naive's on those weeks (1.44), and must follow the level: the same 52 weeks
  :data:`LEVEL_SHIFT` ppm higher must move the forecasts by that much, within
  :data:`LEVEL_TOL`.

Part 3's thresholds, measured with the solution (a GRU of 16 units on the weeks relative to
the last one, 26 outputs, 10 epochs of Adam at 0.01, batch 32) over seeds 0-4 x OpenBLAS
kernels Haswell, SkylakeX, Prescott (the same on every kernel): MASE 0.42-0.54 against the
seasonal naive's 1.44 (at most 0.38 of it; the threshold is 0.6 of it, 0.86), and the level
followed exactly (the design is relative). Last value 2.59, an untrained model of the same
design 2.55-2.64, the same GRU on standardised levels (the notebook's colleague, scaled on
the training weeks) 3.62-5.88 and 4.2-7.1 ppm too low, following a 30 ppm rise by 1.4-7.0
ppm only: all fail. A forecaster without a network passes too: last year's weeks plus the
mean yearly rise of the weeks to 1993, one line, scores 0.58 (0.40 of the seasonal naive).
That is a design choice, the lesson of the part (what the seasonal naive misses, and a
forecast that follows the level), and its explanation is marked by hand. One fit took
1.35-1.5 s alone on one core, 1.6-4.3 s with other work on two busy cores;
``check_seconds`` gives each call 10 s.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex12.py``
grades each of them, with its hint, most of them in pairs, one of Part 1 or 2 with one of
another part, whose losses add up); out of 21: scaled on every row, or each part on its
own statistics, or of the training and validation rows: 18; windows cut from the whole
series, or shuffled before the split: 18; targets starting at the window's last value: 20;
the lag-1 scale whatever R, or ``np.diff(y_train, R)``: 18; the scale from the test period
or including it, squared errors, a mean of point-by-point ratios, the seasonal differences
summed and divided by t_0, R + 1 apart or one of them left out: 17; ``horizon / R``
(variances), ``sqrt(horizon)`` (the season ignored), 1 or ``sqrt(2/pi)`` kept: 18; the last
value, the seasonal naive itself or an untrained model as the forecaster: 15 (all follow the
level); the colleague's model of standardised levels: 13; forecasts looked up in the
held-out weeks: 13; a fit slower than 10 s: 13.

Of the 21 points, 14 need understanding rather than a careful reading of the text: which
rows the scaling may come from, the leak the notebook leaves to the learner's diagnosis
(``scaled_on_train``, ``windows_hidden``: 3), the derivation of the random walk's MASE
(``random_walk``, ``random_walk_hidden``: 3) and the forecaster, a design of the learner's
own with its hyper-parameters (8). The other 7 test conventions the notebook states (the
shapes, the windows of each part, the formula of MASE). 14 of 21 is two thirds, what the
book plan asks.
Written answers are read by hand.

Four tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, describe_value, expect,
                                       failure_hint, items, own_output)
from course_pkg.grading.wire import Ref

SPLIT, MASE, RW, FIT, FORECAST = "split_scale_window", "mase", "random_walk_mase", "fit_forecaster", "forecast"
SIGNATURES = {SPLIT: ("series", "n_train", "n_val", "window", "horizon"),
              MASE: ("pred", "target", "y_train", "season"), RW: ("horizon", "season"),
              FIT: ("weeks", "seed"), FORECAST: ("fitted", "recent")}
PARTS = ("train", "val", "test")
TOL = 1e-9
WINDOW, HORIZON, SEASON = 52, 26, 52          # Part 3: 52 weeks in, 26 out, a season of 52 weeks
GRADER_FROM = "1994-01-01"                    # the grader keeps the weeks from here on
SNAIVE_SHARE = 0.6
LEVEL_SHIFT, LEVEL_TOL = 30.0, 3.0


def _array(value, what):
    """``value`` as a finite float64 array, or :class:`CheckFailed` naming ``what``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    expect(array is not None and array.dtype.kind in "iuf",
           f"expected {what} to hold numbers, got {describe_value(value)}")
    array = array.astype(np.float64)
    expect(np.isfinite(array).all(), f"{what} holds NaN or infinite values")
    return array


def _number(value, what):
    """``value`` as a float: a number, or an array holding one."""
    array = _array(value, what)
    expect(array.size == 1, f"expected {what} to be one float, got an array of shape {array.shape}")
    return float(array.reshape(()))


def _close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- Part 1

def drawn_series(T, seed):
    """A seeded series of ``T`` distinct values: a trend, a season of 12 and a random walk."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    return 20 + 0.08 * t + 3 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 0.5, T))


def read_windows(calls, results):
    """The learner's ``(parts, mean, std)``: ``{name: (X (N, window), y (N, horizon))}`` and two floats."""
    _, _, _, window, horizon = calls[0].args
    parts, mean, std = own_output(results[0], 3)
    keys = sorted(map(str, parts)) if isinstance(parts, dict) else None
    expect(isinstance(parts, dict) and all(p in parts for p in PARTS),
           f"expected {SPLIT} to return (parts, mean, std) with parts a dict with keys 'train', 'val', "
           f"'test', got {describe_value(parts)}" + (f" with keys {keys}" if keys is not None else ""))
    out = {}
    for name in PARTS:
        X, y = items(parts[name], 2, f"parts[{name!r}]")
        X, y = _array(X, f"X of parts[{name!r}]"), _array(y, f"y of parts[{name!r}]")
        if X.ndim == 3 and X.shape[2] == 1:
            X = X[:, :, 0]
        expect(X.ndim == 2 and X.shape[1] == window and len(X) > 0,
               f"expected X of parts[{name!r}] of shape (N, window, 1) = (N, {window}, 1), got {X.shape}")
        expect(y.shape == (len(X), horizon),
               f"expected y of parts[{name!r}] of shape (N, horizon) = ({len(X)}, {horizon}), got {y.shape}")
        out[name] = (X, y)
    return out, _number(mean, "mean"), _number(std, "std")


def locate(series, X, name):
    """Where the windows ``X (N, window)`` of one part lie in ``series``, and how they were scaled.

    Every window must be ``window`` consecutive values of the series under one affine map
    ``z = (x - shift) / scale`` (found from the first window, then checked on all).

    Returns:
        ``(starts (N,), shift, scale)``: the row where each window starts.

    Raises:
        CheckFailed: if a window is not consecutive values of the series scaled like the first.
    """
    window = X.shape[1]
    segments = np.lib.stride_tricks.sliding_window_view(series, window)     # (J, window)
    A = np.stack([np.ones(window), X[0]], axis=1)                         # x = shift + scale z
    coef, *_ = np.linalg.lstsq(A, segments.T, rcond=None)                 # (2, J)
    tol = 1e-7 * (1 + np.abs(series).max())
    fits = np.flatnonzero(np.abs(A @ coef - segments.T).max(axis=0) < tol)
    expect(len(fits) > 0 and abs(coef[1, fits[0]]) > 1e-12,
           f"X[0] of parts[{name!r}] is not {window} consecutive values of the series (scaled): a window "
           "is a stretch of the series in time order")
    shift, scale = coef[:, fits[0]]
    unscaled = shift + scale * X                                          # (N, window)
    dist = np.abs(segments[None] - unscaled[:, None]).max(axis=-1)        # (N, J)
    starts = dist.argmin(axis=1)
    bad = np.flatnonzero(dist[np.arange(len(X)), starts] > tol)
    expect(len(bad) == 0, f"X[{bad[0] if len(bad) else 0}] of parts[{name!r}] is not {window} consecutive "
                          "values of the series scaled like the part's first window")
    return starts, float(shift), float(scale)


def judge_shapes(calls, results):
    """Each window is ``window`` consecutive scaled values, its targets the ``horizon`` after them."""
    series, _, _, window, horizon = calls[0].args
    parts, _, _ = read_windows(calls, results)
    for name, (X, y) in parts.items():
        starts, shift, scale = locate(series, X, name)
        unscaled = shift + scale * y                                      # (N, horizon)
        for i, s in enumerate(starts):
            want = series[s + window:s + window + horizon]
            if len(want) == horizon and np.allclose(unscaled[i], want, rtol=0, atol=1e-7 * (1 + np.abs(want).max())):
                continue
            early = series[s + window - 1:s + window - 1 + horizon]
            expect(not (len(early) == horizon and np.allclose(unscaled[i], early, rtol=0, atol=1e-6)),
                   f"y[{i}] of parts[{name!r}] starts at the last value of X[{i}]: the targets are the "
                   f"{horizon} values after the window")
            raise CheckFailed(f"y[{i}] of parts[{name!r}] is not the {horizon} values of the series after X[{i}]")


def bounds_of(series, n_train, n_val):
    return {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, len(series))}


def judge_in_time(calls, results):
    """No leak in time: each part's windows lie inside its own rows, every one of them."""
    series, n_train, n_val, window, horizon = calls[0].args
    parts, _, _ = read_windows(calls, results)
    L = window + horizon
    starts = {name: locate(series, X, name)[0] for name, (X, _) in parts.items()}
    bounds = bounds_of(series, n_train, n_val)
    expect(starts["train"].max() < starts["val"].min() and starts["val"].max() < starts["test"].min(),
           "the parts' windows are mixed in time: some training windows come after validation or test "
           "windows, as when the windows are shuffled before the split; a validation target then sits "
           "between training windows that hold it")
    for name, later in (("train", "val"), ("val", "test")):
        end = int(starts[name].max()) + L - 1                   # the last row its windows touch
        expect(end < bounds[name][1],
               f"a window of parts[{name!r}] reaches row {end}, but the {later} rows start at "
               f"{bounds[name][1]}: its targets are values of the {later} period, which the model "
               "must not see; cut each part's windows from its own rows")
    for name, (lo, hi) in bounds.items():
        expect(starts[name].min() >= lo, f"a window of parts[{name!r}] starts at row {int(starts[name].min())}, "
                                         f"before its part (rows {lo} to {hi - 1}): the notebook asks for the "
                                         "windows whose inputs and targets all lie in the part's rows")
        want = hi - lo - L + 1
        expect(len(starts[name]) == want and len(set(starts[name].tolist())) == want,
               f"parts[{name!r}] has {len(starts[name])} windows, expected {want}: one for each start in its "
               f"rows {lo} to {hi - 1} (rows - window - horizon + 1)")


def judge_scaled(calls, results):
    """Every part is scaled with the training rows' mean and standard deviation, as returned."""
    series, n_train, n_val, _, _ = calls[0].args
    parts, mean, std = read_windows(calls, results)
    train = series[:n_train]
    wanted = [(train.mean(), train.std(ddof=ddof)) for ddof in (0, 1)]
    bounds = bounds_of(series, n_train, n_val)
    for name, (X, _) in parts.items():
        _, shift, scale = locate(series, X, name)
        if any(_close(shift, m) and _close(scale, s) for m, s in wanted):
            continue
        expect(not (_close(shift, series.mean()) and any(_close(scale, series.std(ddof=d)) for d in (0, 1))),
               f"parts[{name!r}] is scaled with the mean and std of every row ({series.mean():.3f}, "
               f"{series.std():.3f}): the validation and test values moved them, so every scaled value "
               "carries something of the later rows")
        seen = series[:n_train + n_val]
        expect(not (_close(shift, seen.mean()) and any(_close(scale, seen.std(ddof=d)) for d in (0, 1))),
               f"parts[{name!r}] is scaled with the mean and std of the training and validation rows "
               f"({seen.mean():.3f}, {seen.std():.3f}): the validation values moved them, and the "
               "validation windows are scored with statistics of their own targets")
        lo, hi = bounds[name]
        own = series[lo:hi]
        expect(not (_close(shift, own.mean()) and any(_close(scale, own.std(ddof=d)) for d in (0, 1))),
               f"parts[{name!r}] is scaled with its own mean and std ({own.mean():.3f}, {own.std():.3f}): "
               "they are computed from the very values the part's windows forecast")
        raise CheckFailed(f"parts[{name!r}] is scaled as (x - {shift:.4g}) / {scale:.4g}: that is not the mean "
                          "and standard deviation (np.std) of rows of the series that a forecaster knows before "
                          "the validation period")
    expect(any(_close(mean, m) and _close(std, s) for m, s in wanted),
           f"you returned mean, std = {mean:.4g}, {std:.4g}, but the windows are scaled with the training "
           f"rows' {train.mean():.4g}, {train.std():.4g}")


def judge_windows_hidden(calls, results):
    judge_in_time(calls, results)
    judge_scaled(calls, results)


def split_call(T, n_train, n_val, window, horizon, seed):
    return Call(SPLIT, (drawn_series(T, seed), n_train, n_val, window, horizon))


# --------------------------------------------------------------------------- Part 2

def _lag(y, m):
    """The ``len(y) - m`` differences ``y_t - y_(t-m)``."""
    return y[m:] - y[:-m]


def reference_mase(pred, target, y_train, m, variant=None):
    """MASE: ``mean |pred - target|`` over ``mean |y_t - y_{t-m}|`` of the training series.

    Variants, the usual mistakes: ``"lag1"`` (the naive scale whatever m), ``"diff_order"``
    (``np.diff(y_train, m)``: an m-th order difference), ``"test_scale"`` (the seasonal
    differences of ``target``), ``"with_target"`` (the seasonal differences of the training
    series followed by the scored targets), ``"squared"`` (MSE over the seasonal naive's MSE),
    ``"ratios"`` (a mean of ``|e_t| / |target_t - target_{t-m}|``), ``"over_T"`` (the
    seasonal differences summed and divided by T), ``"lag_plus1"`` (differences m + 1 apart),
    ``"one_short"`` (the first or last seasonal difference left out) and ``"wrapped"``
    (``np.roll``: m differences wrap around the series' ends).
    """
    pred, target, y = (np.asarray(a, dtype=np.float64) for a in (pred, target, y_train))
    err = np.abs(pred - target)
    if variant == "squared":
        return float(np.mean(err ** 2) / np.mean((y[m:] - y[:-m]) ** 2))
    if variant == "ratios":
        return float(np.mean(err[m:] / np.abs(target[m:] - target[:-m])))
    scale = {"lag1": lambda: np.mean(np.abs(np.diff(y))),
             "diff_order": lambda: np.mean(np.abs(np.diff(y, m))),
             "test_scale": lambda: np.mean(np.abs(target[m:] - target[:-m])),
             "with_target": lambda: np.mean(np.abs(_lag(np.concatenate([y, target.ravel()]), m))),
             "lag_plus1": lambda: np.mean(np.abs(_lag(y, m + 1))),
             "one_short": lambda: np.mean(np.abs(_lag(y, m)[1:])),
             "wrapped": lambda: np.mean(np.abs(y - np.roll(y, m))),
             "over_T": lambda: np.sum(np.abs(y[m:] - y[:-m])) / len(y)}.get(
        variant, lambda: np.mean(np.abs(y[m:] - y[:-m])))()
    return float(np.mean(err) / scale)


MASE_MISTAKES = {
    "lag1": "the scale is the naive forecast's error |y_t - y_(t-1)|; with a season R it is the seasonal "
            "naive's, |y_t - y_(t-R)|",
    "diff_order": "np.diff(y, n) is the n-th order difference (differences of differences), not the "
                  "difference y_t - y_(t-R) of values R steps apart",
    "test_scale": "scaled by the seasonal naive's error on the test targets: the scale comes from the "
                  "training series, fixed before the forecast is scored",
    "squared": "squared errors: MASE is a ratio of mean absolute errors",
    "ratios": "a mean of ratios, each error over the seasonal naive's error at the same point: one small "
              "denominator blows it up; MASE is one mean over another, the second from the training series",
    "with_target": "the scale includes the scored targets: it comes from the training series alone, fixed "
                   "before the forecast is scored",
    "over_T": "the t_0 - R seasonal differences were summed and divided by t_0: their mean divides by t_0 - R",
    "lag_plus1": "your differences are R + 1 steps apart: the seasonal naive repeats the value R steps earlier",
    "one_short": "one seasonal difference is missing: t = R + 1, ..., t_0 gives t_0 - R of them",
    "wrapped": "some differences wrap around the ends of the training series (its first values minus its "
               "last): only the t_0 - R differences inside it count",
}


def judge_mase(calls, results):
    """The learner's MASE equals :func:`reference_mase`; a usual mistake is named by its value."""
    args = calls[0].args
    got = _number(own_output(results[0]), f"what {MASE} returned")
    want = reference_mase(*args)
    if _close(got, want, TOL):
        return
    for variant, hint in MASE_MISTAKES.items():
        with np.errstate(all="ignore"):
            wrong = reference_mase(*args, variant=variant)
        if np.isfinite(wrong) and _close(got, wrong, TOL):
            raise CheckFailed(hint)
    raise CheckFailed(f"MASE {got:.4f} is off by {abs(got - want) / want:.1%} (season = {args[3]}, "
                      f"{np.size(args[1])} targets)")


def mase_call(n_train, n_test, m, seed, horizon=None):
    """A seeded seasonal series: its training part, a noisy forecast of the rest and the truth.
    With ``horizon``, the forecasts are ``(N, horizon)`` windows instead of one stretch."""
    rng = np.random.default_rng(seed)
    T = n_train + n_test
    t = np.arange(T)
    y = 50 + 0.1 * t + 4 * np.sin(2 * np.pi * t / m) + np.cumsum(rng.normal(0, 0.4, T))
    target = y[n_train:]
    if horizon is not None:
        target = np.lib.stride_tricks.sliding_window_view(target, horizon)[::horizon].copy()
    pred = target + rng.normal(0, 1.0, target.shape)
    return Call(MASE, (pred, target, y[:n_train], m))


def reference_rw(horizon, m, variant=None):
    """The last value's MASE ``horizon`` steps ahead on a random walk, season ``m``."""
    return {"variance": horizon / m, "no_season": np.sqrt(horizon), "one": 1.0,
            "inverse": np.sqrt(m / horizon), "kept_factor": np.sqrt(2 / np.pi) * np.sqrt(horizon / m),
            "over_m": np.sqrt(horizon) / m}.get(variant, np.sqrt(horizon / m))


RW_MISTAKES = {
    "variance": "that is the ratio of the variances: an error's variance grows like the number of steps, its "
                "mean absolute value like the square root",
    "no_season": "the scale is the error of the seasonal naive, R steps apart, not of one step: it grows with R "
                 "as the forecast's error grows with the horizon",
    "kept_factor": "the factor sqrt(2/pi) of a normal's mean absolute value is in the forecast's error and in "
                   "the scale alike",
    "over_m": "the scale grows with R as the forecast's error grows with the horizon: the same rule for both",
    "one": "MASE is 1 for the naive forecast only in the training series and one step (or one season) ahead",
    "inverse": "upside down: the forecast's error is above, the in-sample scale below",
}


def judge_rw(calls, results):
    """``sqrt(horizon / m)`` for every call; a usual mistake is named when all calls fit it."""
    got = [_number(own_output(r), f"what {RW} returned") for r in results]
    args = [c.args for c in calls]
    if all(_close(g, reference_rw(*a), 1e-6) for g, a in zip(got, args)):
        return
    for variant, hint in RW_MISTAKES.items():
        if all(_close(g, reference_rw(*a, variant), 1e-6) for g, a in zip(got, args)):
            raise CheckFailed(hint)
    wrong = next((a, g) for g, a in zip(got, args) if not _close(g, reference_rw(*a), 1e-6))
    raise CheckFailed(f"horizon = {wrong[0][0]}, season = {wrong[0][1]}: your {wrong[1]:.4g} is not what a long "
                      "random walk gives; check it against the simulation in the self-check")


def rw_test(test_id, name, pairs, points, hidden=False):
    return Test(test_id, RW, name, points, tuple(Call(RW, p) for p in pairs), judge_rw, hidden)


# --------------------------------------------------------------------------- Part 3

@lru_cache(maxsize=1)
def co2_blocks():
    """The weeks the learner has (to 1993), and the grader's blocks from 1994 on.

    Returns:
        ``(weeks (T,), recent (B, 52), target (B, 26), snaive (B, 26))``: the 52 weeks before
        each origin, the 26 after it, and the seasonal naive forecast (the weeks one season
        earlier, which lie inside ``recent``). Each block of inputs starts after the previous
        block of targets.
    """
    from course_pkg.data import load_series
    s = load_series("co2")
    y = s.values[:, 0]
    n = int(np.sum(s.times < np.datetime64(GRADER_FROM)))
    origins = np.arange(n + WINDOW, len(y) - HORIZON + 1, WINDOW + HORIZON)
    recent = np.stack([y[o - WINDOW:o] for o in origins])
    target = np.stack([y[o:o + HORIZON] for o in origins])
    snaive = np.stack([y[o - SEASON:o - SEASON + HORIZON] for o in origins])
    return y[:n], recent, target, snaive


def co2_mase(pred):
    weeks, _, target, _ = co2_blocks()
    return reference_mase(pred, target, weeks, SEASON)


def forecasts(calls, results, index):
    """The ``(B, 26)`` forecasts of call ``index``, after the fit (call 0) returned."""
    expect(not (results[0].module or "").startswith("course_pkg"), f"expected your own {FIT}, got course_pkg's")
    if results[0].error is not None:
        raise CheckFailed(f"{FIT} failed: {failure_hint(results[0])}")
    pred = _array(own_output(results[index]), f"what {FORECAST} returned")
    n = len(calls[index].args[1])
    expect(pred.shape == (n, HORIZON), f"expected {FORECAST} to return ({n}, {HORIZON}) forecasts for {n} "
                                       f"origins, got shape {pred.shape}")
    target = co2_blocks()[2]
    expect(index != 1 or np.abs(pred - target).max() > 1e-3,
           "your forecasts are the grader's weeks themselves: a forecast reads only the 52 weeks it is "
           "sent and what fit_forecaster learnt from the weeks to 1993")
    return pred


def judge_forecast(calls, results):
    """MASE on the grader's weeks at most :data:`SNAIVE_SHARE` times the seasonal naive's."""
    pred = forecasts(calls, results, 1)
    weeks, recent, target, snaive = co2_blocks()
    got, base = co2_mase(pred), co2_mase(snaive)
    if got <= SNAIVE_SHARE * base:
        return
    why = (f"MASE {got:.2f} on the grader's {target.size} weeks from 1994 on, the seasonal naive {base:.2f}: "
           f"expected at most {SNAIVE_SHARE:g} x {base:.2f} = {SNAIVE_SHARE * base:.2f}")
    expect(np.mean(np.abs(pred - snaive)) > 0.05, f"{why}; your forecasts are last year's weeks, the seasonal "
                                                   "naive forecast itself: what do they miss?")
    bias = float(np.mean(pred - target))
    if abs(bias) > 1.0:
        raise CheckFailed(f"{why}; your forecasts are {abs(bias):.1f} ppm too {'low' if bias < 0 else 'high'} on "
                          "average" + (": can your model forecast levels it never saw in training?"
                                       if abs(bias) > 3.0 else f": CO2 rose {'faster' if bias < 0 else 'slower'} "
                                                               "in these weeks than your forecasts do"))
    last = co2_mase(np.repeat(recent[:, -1:], HORIZON, axis=1))
    if abs(got - last) < 0.3:
        raise CheckFailed(f"{why}; about as good as repeating the last week ({last:.2f}): is the model trained?")
    raise CheckFailed(why)


def judge_level(calls, results):
    """The same 52 weeks :data:`LEVEL_SHIFT` ppm higher move the forecasts by about as much."""
    low, high = forecasts(calls, results, 1), forecasts(calls, results, 2)
    moved = float(np.mean(high - low))
    expect(abs(moved - LEVEL_SHIFT) <= LEVEL_TOL,
           f"the same 52 weeks {LEVEL_SHIFT:g} ppm higher (as CO2 was some 15 years later) moved your forecasts by "
           f"{moved:.1f} ppm, expected {LEVEL_SHIFT:g} +- {LEVEL_TOL:g}: a model of the levels it was trained "
           "on cannot follow the series above them")


def judge_forecast_and_level(calls, results):
    judge_forecast(calls[:2], results[:2])
    judge_level(calls, results)


def forecast_calls(seed, shifted=False):
    weeks, recent, _, _ = co2_blocks()
    calls = [Call(FIT, (weeks, seed), send=False), Call(FORECAST, (Ref(0), recent))]
    if shifted:
        calls.append(Call(FORECAST, (Ref(0), recent + LEVEL_SHIFT)))
    return tuple(calls)


# --------------------------------------------------------------------------- tests

WINDOWS_PUBLIC = (90, 50, 20, 6, 3, 31)           # T, n_train, n_val, window, horizon, seed
WINDOWS_HIDDEN = (140, 80, 30, 10, 2, 32)

RUBRIC = Rubric(
    exercise="ex12_forecasting",
    signatures=SIGNATURES,
    tests=(
        Test("windows_shapes", SPLIT, "(N, window, 1) windows of consecutive values, targets after them",
             1, (split_call(*WINDOWS_PUBLIC),), judge_shapes),
        Test("windows_in_time", SPLIT, "each part's windows inside its own rows: no leak in time", 2,
             (split_call(*WINDOWS_PUBLIC),), judge_in_time),
        Test("scaled_on_train", SPLIT, "every part scaled with one mean and std, free of leaks", 2,
             (split_call(*WINDOWS_PUBLIC),), judge_scaled),
        Test("windows_hidden", SPLIT, "another series, window and horizon: no leak", 1,
             (split_call(*WINDOWS_HIDDEN),), judge_windows_hidden, hidden=True),
        Test("mase_naive", MASE, "R = 1, a new series: the naive scale", 1,
             (mase_call(60, 40, 1, seed=41),), judge_mase),
        Test("mase_seasonal", MASE, "R = 12, a new seasonal series", 2,
             (mase_call(96, 36, 12, seed=42),), judge_mase),
        Test("mase_hidden", MASE, "R = 7, forecasts as (N, horizon) windows", 1,
             (mase_call(70, 40, 7, seed=43, horizon=4),), judge_mase, hidden=True),
        rw_test("random_walk", "derived: the last value on a random walk, (4, 1), (1, 4), (12, 3)",
                ((4, 1), (1, 4), (12, 3)), 2),
        rw_test("random_walk_hidden", "derived, other horizons and seasons", ((9, 4), (2, 7), (5, 5)), 1,
                hidden=True),
        Test("forecast_beats_snaive", "forecaster",
             f"CO2 from 1994: MASE <= {SNAIVE_SHARE:g} x the seasonal naive's", 4,
             forecast_calls(0), judge_forecast),
        Test("forecast_follows_level", "forecaster", f"52 weeks {LEVEL_SHIFT:g} ppm higher: forecasts follow",
             2, forecast_calls(0, shifted=True), judge_level),
        Test("forecast_seed1", "forecaster", "seed 1: beats the seasonal naive, follows the level", 2,
             forecast_calls(1, shifted=True), judge_forecast_and_level,
             hidden=True),
    ),
    answers=(Answer("predict-leak", "prediction: the colleague's validation error and the honest one"),
             Answer("question-leak", "the three leaks, measured, and the honest model's bias"),
             Answer("question-mase", "the in-sample scale, the two naive forecasts' MASE on CO2, and the "
                                     "random walk's"),
             Answer("predict-horizon", "prediction: error against the horizon, yours and the baselines'"),
             Answer("explain-forecaster", "the forecaster's design explained, and the measurement")),
    check_seconds=10.0,       # Part 3's fit trains a model: ~1.5 s on an idle core, more on a busy one
)
