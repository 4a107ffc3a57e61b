r"""Real time series from installed packages, and the windowing pipeline for forecasting.

Data sets (all read from files inside installed wheels; nothing is downloaded):

- ``sunspots``: yearly sunspot numbers 1700–2008, 309 rows, one column ``SUNACTIVITY``.
  Source: NOAA National Geophysical Data Center, via ``statsmodels.datasets.sunspots``;
  public domain.
- ``co2``: weekly atmospheric CO2 (ppm) at Mauna Loa, 1958-03-29 – 2001-12-29, 2,284 weeks
  of which 59 are missing; one column ``co2``. Source: Keeling & Whorf (2004), Scripps /
  CDIAC, via ``statsmodels.datasets.co2``; public domain.
- ``seattle_weather``: daily Seattle weather 2012–2015, 1,461 days, four columns
  ``precipitation`` (mm), ``temp_max``, ``temp_min`` (°C), ``wind`` (m/s); the categorical
  ``weather`` column is left out. Source: NOAA (public domain), via
  ``vega_datasets.local_data.seattle_weather`` (package: MIT licence).
- ``stocks``: monthly prices of AAPL, AMZN, GOOG, IBM and MSFT, 2000-01 – 2010-03, 123
  months; GOOG is listed only from 2004-08, so with all five columns cleaning keeps 68
  months. Source: the vega-datasets project (BSD-3-Clause), via
  ``vega_datasets.local_data.stocks`` (package: MIT licence).

The pipeline, as in the course's preprocessing chapter (cleaning, windowing, train /
validation / test):

1. **Clean** (:func:`clean_series`): ``"interpolate"`` fills interior gaps linearly between
   the neighbouring observed values (the rows are equally spaced in time) and drops rows
   before the first / after the last complete row, which cannot be interpolated;
   ``"drop"`` removes every row with a missing value (this breaks the equal spacing).
2. **Split chronologically** (:func:`make_forecasting_data`): the first ``fractions[0]`` of
   the rows train, the next ``fractions[1]`` validate, the next ``fractions[2]`` test; no
   shuffling, so the model is always evaluated on the future of what it learnt from.
3. **Scale** (:class:`Scaler`): fitted on the *training rows only*, then applied to all
   three parts; the validation and test values never influence the scaling.
4. **Window** (:func:`make_windows`) *inside each part separately*: a window and its
   targets never straddle a split boundary. The price: the first ``window`` rows of the
   validation and test parts are never predicted (they only serve as inputs), and a part
   of ``L`` rows gives ``L - window - horizon + 1`` windows (with ``stride=1``).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .. import _validate as V
from ._checks import split_sizes

SERIES = {
    "sunspots": "yearly sunspot numbers 1700-2008 (statsmodels; NOAA NGDC, public domain)",
    "co2": "weekly Mauna Loa CO2 1958-2001 with 59 missing weeks (statsmodels; Scripps/CDIAC, public domain)",
    "seattle_weather": "daily Seattle weather 2012-2015, 4 variables (vega_datasets; NOAA, public domain)",
    "stocks": "monthly prices of 5 stocks 2000-2010 (vega_datasets; BSD-3-Clause)",
}


class TimeSeries(NamedTuple):
    """A loaded series.

    Attributes:
        values: ``(T, k)`` float64, cleaned unless ``clean=None`` was asked for.
        times: ``(T,)`` ``datetime64[D]``, the date of each row.
        columns: ``k`` column names.
        name: the data set's name.
        n_missing: number of missing cells in the selected columns before cleaning.
    """

    values: np.ndarray
    times: np.ndarray
    columns: tuple
    name: str
    n_missing: int


def _raw(name):
    """``(DataFrame with a date column 'date', value columns)`` for a named series."""
    import pandas as pd

    if name == "sunspots":
        from statsmodels.datasets import sunspots
        df = sunspots.load_pandas().data
        dates = pd.to_datetime(df["YEAR"].astype(int).astype(str), format="%Y")
        return df.drop(columns="YEAR").assign(date=dates)
    if name == "co2":
        from statsmodels.datasets import co2
        df = co2.load_pandas().data
        return df.reset_index(names="date")
    from vega_datasets import local_data
    if name == "seattle_weather":
        return local_data.seattle_weather().drop(columns="weather")
    return local_data.stocks().pivot(index="date", columns="symbol", values="price").reset_index()


def _select(df, name, columns):
    available = [c for c in df.columns if c != "date"]
    if columns is None:
        return available
    if isinstance(columns, str) or not hasattr(columns, "__iter__"):
        raise TypeError(f"Expected columns to be a list of names, got {type(columns).__name__}")
    columns = list(columns)
    unknown = [c for c in columns if c not in available]
    if unknown or not columns:
        raise ValueError(f"Expected columns of {name!r} among {available} (at least one), got {columns}")
    return columns


def load_series(name, columns=None, clean="interpolate"):
    """Load a real time series by name (see the module's table for sources and licences).

    Args:
        name: ``"sunspots"``, ``"co2"``, ``"seattle_weather"`` or ``"stocks"``.
        columns: names of the columns to keep (default: all). Selecting happens before
            cleaning, so ``stocks`` without ``"GOOG"`` keeps all 123 months.
        clean: ``"interpolate"``, ``"drop"`` or ``None`` (keep NaN); see :func:`clean_series`.

    Returns:
        :class:`TimeSeries` with ``values (T, k)`` float64 and ``times (T,)`` datetime64[D].

    Raises:
        TypeError: if ``name`` or ``clean`` is of the wrong kind.
        ValueError: for an unknown name, unknown columns or an unknown cleaning method.
    """
    V.check_choice("name", name, set(SERIES))
    V.check_choice("clean", clean, {"interpolate", "drop", None})
    df = _raw(name)
    cols = _select(df, name, columns)
    values = df[cols].to_numpy(dtype=np.float64)
    times = df["date"].to_numpy().astype("datetime64[D]")
    n_missing = int(np.isnan(values).sum())
    if clean is not None:
        values, keep = clean_series(values, clean)
        times = times[keep]
    return TimeSeries(values, times, tuple(str(c) for c in cols), name, n_missing)


def clean_series(values, method="interpolate"):
    """Remove missing values (NaN) from a series whose rows are equally spaced in time.

    Args:
        values: ``(T,)`` or ``(T, k)`` float array.
        method: ``"interpolate"`` — each column's interior gaps are filled by linear
            interpolation between the nearest observed values before and after; rows
            before the first or after the last row where every column is observed are
            dropped (nothing to interpolate from). ``"drop"`` — every row with a NaN is
            dropped.

    Returns:
        ``(cleaned, keep)``: ``cleaned (T', k)`` float64 without NaN (``(T',)`` for 1-D
        input) and ``keep (T,)`` bool, the rows of ``values`` that were kept.

    Raises:
        TypeError: if ``values`` is not numeric or ``method`` not a string.
        ValueError: for an unknown method, or if no complete row remains.
    """
    V.check_choice("method", method, {"interpolate", "drop"})
    v = V.check_numeric("values", values)
    v2 = v[:, None] if v.ndim == 1 else v
    complete = ~np.isnan(v2).any(axis=1)
    if not complete.any():
        raise ValueError("Expected at least one row without missing values, got none")
    if method == "drop":
        keep = complete
        out = v2[keep]
    else:
        first, last = np.flatnonzero(complete)[[0, -1]]
        keep = np.zeros(len(v2), dtype=bool)
        keep[first:last + 1] = True
        out = np.column_stack([_interp(col) for col in v2[keep].T])
    return (out[:, 0] if v.ndim == 1 else out), keep


def _interp(col):
    """Linear interpolation of NaN in a 1-D array whose first and last entries are observed."""
    idx = np.arange(col.size)
    ok = ~np.isnan(col)
    return np.interp(idx, idx[ok], col[ok])


@dataclass
class Scaler:
    """Per-column scaling fitted on training rows: standardisation or min-max.

    ``standard``: ``(x - mean) / std``; ``minmax``: ``(x - min) / (max - min)``. A constant
    column gets scale 1 (it is only shifted). Fit on the training part only.

    Attributes:
        method: ``"standard"`` or ``"minmax"``.
        shift: ``(k,)`` mean or minimum per column, set by :meth:`fit`.
        scale: ``(k,)`` standard deviation or range per column, set by :meth:`fit`.

    Raises:
        TypeError: if ``method`` is not a string.
        ValueError: if ``method`` is not ``"standard"`` or ``"minmax"``.
    """

    method: str = "standard"
    shift: np.ndarray | None = field(default=None, repr=False)
    scale: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        V.check_choice("method", self.method, {"standard", "minmax"})

    def fit(self, values):
        """Learn ``shift`` and ``scale`` from ``values (T, k)``; returns ``self``.

        Raises:
            TypeError: if ``values`` is not numeric.
            ValueError: if ``values`` is not 2-D, is empty or holds NaN.
        """
        v = V.check_numeric("values", values)
        if v.ndim != 2 or len(v) == 0 or np.isnan(v).any():
            raise ValueError(f"Expected a non-empty (T, k) array without NaN to fit on, got shape {v.shape}")
        if self.method == "standard":
            shift, scale = v.mean(axis=0), v.std(axis=0)
        else:
            shift, scale = v.min(axis=0), v.max(axis=0) - v.min(axis=0)
        self.shift, self.scale = shift, np.where(scale > 0, scale, 1.0)
        return self

    def _cols(self, cols, k):
        if self.shift is None:
            raise ValueError("Expected a fitted Scaler (call fit first), got an unfitted one")
        cols = np.arange(len(self.shift)) if cols is None else np.atleast_1d(cols)
        if len(cols) != k:
            raise ValueError(f"Expected arrays whose last axis has {len(cols)} columns, got {k}")
        return cols

    def transform(self, values, cols=None):
        """Scale ``values (..., k)``; ``cols`` picks which fitted columns they are (default all).

        Returns:
            Array of the same shape, float64.

        Raises:
            TypeError: if ``values`` is not numeric.
            ValueError: if the scaler is not fitted, or ``values`` has another number of columns.
        """
        v = V.check_numeric("values", values)
        c = self._cols(cols, v.shape[-1] if v.ndim else 0)
        return (v - self.shift[c]) / self.scale[c]

    def inverse_transform(self, values, cols=None):
        """Undo :meth:`transform` on ``values (..., k)`` (e.g. predictions), same ``cols``.

        Returns:
            Array of the same shape in the original units, float64.

        Raises:
            TypeError: if ``values`` is not numeric.
            ValueError: if the scaler is not fitted, or ``values`` has another number of columns.
        """
        v = V.check_numeric("values", values)
        c = self._cols(cols, v.shape[-1] if v.ndim else 0)
        return v * self.scale[c] + self.shift[c]


def _target_cols(target, columns):
    """``(indices, squeeze)`` for ``target`` None / int / name / sequence of those."""
    k = len(columns)

    def one(t):
        if isinstance(t, str):
            if t not in columns:
                raise ValueError(f"Expected a target among {list(columns)}, got {t!r}")
            return columns.index(t)
        if isinstance(t, bool) or not isinstance(t, numbers.Integral):
            raise TypeError(f"Expected a target column name or index, got {type(t).__name__} {t!r}")
        if not -k <= t < k:
            raise ValueError(f"Expected a target column name or index in [0, {k}), got {t!r}")
        return int(t) % k

    if target is None:
        return list(range(k)), k == 1
    if not isinstance(target, (list, tuple)):
        return [one(target)], True
    return [one(t) for t in target], False


def make_windows(values, window, horizon=1, target=None, stride=1, columns=None):
    """Cut a series into sliding input windows and the values that follow them.

    Window ``i`` starts at row ``s = i * stride``: ``X[i] = values[s : s + window]`` and
    the targets are the next ``horizon`` rows ``values[s + window : s + window + horizon]``
    of the target columns.

    Args:
        values: ``(T,)`` or ``(T, k)`` float array without NaN.
        window: input length.
        horizon: number of future steps to predict.
        target: ``None`` (all columns), a column index or name (one column), or a list of them.
        stride: step between window starts.
        columns: column names, needed only when ``target`` uses names.

    Returns:
        ``(X, y)``: ``X (N, window, k)`` float64 and ``y (N, horizon)`` for one target column
        (or ``target=None`` with ``k = 1``), else ``y (N, horizon, k_target)``;
        ``N = (T - window - horizon) // stride + 1``.

    Raises:
        TypeError: if ``values`` is not numeric, a size not an int, or ``target`` neither a
            name nor an index.
        ValueError: on a non-positive size, NaN in ``values``, a series shorter than
            ``window + horizon``, or an unknown target.
    """
    window, horizon = V.check_int("window", window, low=1), V.check_int("horizon", horizon, low=1)
    stride = V.check_int("stride", stride, low=1)
    v = V.check_numeric("values", values)
    v = v[:, None] if v.ndim == 1 else v
    if v.ndim != 2 or np.isnan(v).any():
        raise ValueError(f"Expected a (T, k) array without NaN, got shape {v.shape} with "
                         f"{int(np.isnan(v).sum())} NaN")
    if len(v) < window + horizon:
        raise ValueError(f"Expected a series of at least window + horizon = {window + horizon} rows, got {len(v)}")
    cols, squeeze = _target_cols(target, list(columns) if columns is not None else list(range(v.shape[1])))
    starts = np.arange(0, len(v) - window - horizon + 1, stride)
    X = v[starts[:, None] + np.arange(window)]                            # (N, window, k)
    y = v[(starts + window)[:, None] + np.arange(horizon)][:, :, cols]    # (N, horizon, k_t)
    return X, (y[:, :, 0] if squeeze else y)


@dataclass
class ForecastData:
    """Windows of a chronologically split, train-scaled series (see the module's pipeline).

    Attributes:
        X_train, X_val, X_test: ``(N_part, window, k)`` scaled inputs, float64.
        y_train, y_val, y_test: ``(N_part, horizon)`` (one target column) or
            ``(N_part, horizon, k_target)`` scaled targets, float64.
        t_train, t_val, t_test: ``(N_part,)`` time of each window's first target
            (datetime64[D], or the row number for an array without times).
        scaler: the :class:`Scaler` fitted on the training rows.
        columns: names of the ``k`` input columns.
        target_cols: indices (into ``columns``) of the target columns.
        bounds: ``(train_end, val_end, test_end)`` row numbers of the cleaned series that
            end each part (``[0, train_end)`` trains, and so on).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    t_train: np.ndarray
    t_val: np.ndarray
    t_test: np.ndarray
    scaler: Scaler
    columns: tuple
    target_cols: tuple
    bounds: tuple

    def inverse_y(self, y):
        """Targets or predictions ``(N, horizon)`` / ``(N, horizon, k_target)`` back in original units.

        Returns:
            Array of the same shape, float64.
        """
        y = V.check_numeric("y", y)
        if y.ndim == 2:
            return self.scaler.inverse_transform(y[..., None], self.target_cols)[..., 0]
        return self.scaler.inverse_transform(y, self.target_cols)


def _as_series(source, columns, clean):
    """``(values (T, k), times (T,), column names)`` from a name or an array."""
    if isinstance(source, str):
        ts = load_series(source, columns=columns, clean=clean)
        return ts.values, ts.times, ts.columns
    v = V.check_numeric("source", source)
    if v.ndim not in (1, 2) or v.size == 0:
        raise ValueError(f"Expected a name or a (T,) / (T, k) array, got shape {v.shape}")
    v = v[:, None] if v.ndim == 1 else v
    names = tuple(columns) if columns is not None else tuple(f"x{i}" for i in range(v.shape[1]))
    if len(names) != v.shape[1]:
        raise ValueError(f"Expected {v.shape[1]} column names, got {len(names)}")
    times = np.arange(len(v))
    if clean is not None and np.isnan(v).any():
        v, keep = clean_series(v, clean)
        times = times[keep]
    return v, times, names


def make_forecasting_data(source, window=12, horizon=1, fractions=(0.7, 0.15, 0.15), target=None,
                          columns=None, clean="interpolate", scale="standard", stride=1):
    """Clean, split chronologically, scale on train only, and window each part separately.

    Args:
        source: a name for :func:`load_series` or an array ``(T,)`` / ``(T, k)`` (e.g.
            :func:`course_pkg.data.synthetic.sine_series`).
        window: input length.
        horizon: number of future steps to predict.
        fractions: ``(train, val, test)`` shares of the rows, in time order, each ``> 0``,
            sum ``<= 1`` (a remainder at the end is left out).
        target: which columns to predict (see :func:`make_windows`); default all.
        columns: columns to load (for a name) or column names (for an array).
        clean: ``"interpolate"``, ``"drop"`` or ``None``, see :func:`clean_series`.
        scale: ``"standard"``, ``"minmax"`` or ``None`` (no scaling; the scaler is then the
            identity).
        stride: step between window starts.

    Returns:
        :class:`ForecastData`.

    Raises:
        TypeError: if ``source`` is neither a name nor numeric, a size is not an int, or
            ``fractions`` not three numbers.
        ValueError: for an unknown name, bad fractions, a non-positive size, or a part too
            short to hold one window (``window + horizon`` rows).
    """
    V.check_choice("scale", scale, {"standard", "minmax", None})
    window, horizon = V.check_int("window", window, low=1), V.check_int("horizon", horizon, low=1)
    values, times, names = _as_series(source, columns, clean)
    a, b, c = split_sizes(len(values), fractions)
    bounds = (a, a + b, a + b + c)
    scaler = Scaler(scale or "standard").fit(values[:a])
    if scale is None:
        scaler.shift, scaler.scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    scaled = scaler.transform(values)
    cols, _ = _target_cols(target, list(names))
    parts = {}
    for part, lo, hi in (("train", 0, a), ("val", a, a + b), ("test", a + b, a + b + c)):
        if hi - lo < window + horizon:
            raise ValueError(f"Expected the {part} part to hold at least window + horizon = "
                             f"{window + horizon} rows, got {hi - lo} (of {len(values)}, fractions {fractions})")
        X, y = make_windows(scaled[lo:hi], window, horizon, target, stride, names)
        parts[part] = (X, y, times[lo:hi][window::stride][: len(X)])
    return ForecastData(*parts["train"][:2], *parts["val"][:2], *parts["test"][:2],
                        parts["train"][2], parts["val"][2], parts["test"][2],
                        scaler, tuple(names), tuple(cols), bounds)


# -- calendar features, the weather category, rolling origins --------------------------------------
def day_of_year(times):
    """The day of the year of each date, 1 (1 January) to 366 (31 December of a leap year).

    Args:
        times: ``(T,)`` dates, ``datetime64`` of any unit (e.g. :attr:`TimeSeries.times`).

    Returns:
        ``(T,)`` int64.

    Raises:
        TypeError: if ``times`` are not ``datetime64``.
    """
    t = np.asarray(times)
    if t.dtype.kind != "M":
        raise TypeError(f"Expected times of dtype datetime64, got {t.dtype}")
    days = t.astype("datetime64[D]")
    return (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1


def season_features(times, period=365.25):
    r"""The time of year as a point on a circle: :math:`\sin` and :math:`\cos` of
    :math:`2\pi (d - 1) / \text{period}` for day of year :math:`d`.

    31 December and 1 January are neighbours on the circle, as they are in the weather; a
    plain day number would put them 365 apart. The calendar is known in advance, so these
    features may describe the day being forecast without leaking anything.

    Args:
        times: ``(T,)`` ``datetime64`` dates.
        period: the length of the cycle in days, ``> 0``.

    Returns:
        ``(T, 2)`` float64, columns ``sin``, ``cos``.

    Raises:
        TypeError: if ``times`` are not ``datetime64`` or ``period`` is not a number.
        ValueError: if ``period <= 0``.
    """
    period = V.check_number("period", period, low=0, low_open=True, finite=True)
    angle = 2 * np.pi * (day_of_year(times) - 1) / period
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


def weather_categories():
    """The categorical ``weather`` column of ``seattle_weather``, which :func:`load_series` leaves out.

    Each day is labelled ``"drizzle"``, ``"fog"``, ``"rain"``, ``"snow"`` or ``"sun"``. The
    labels are not used consistently over the four years: ``"rain"`` labels 191 days of 2012
    and 3 of 2014, while the number of days with precipitation changes far less; check a
    category against the measurements before using it as a feature.

    Returns:
        ``(times, labels)``: ``(1461,)`` ``datetime64[D]`` and ``(1461,)`` str, aligned with
        ``load_series("seattle_weather").times`` (no day is missing).
    """
    from vega_datasets import local_data

    df = local_data.seattle_weather()
    return df["date"].to_numpy().astype("datetime64[D]"), df["weather"].to_numpy().astype(str)


def rolling_origins(n_rows, first, step, count):
    """Forecast origins for a rolling-origin evaluation (time-series cross-validation).

    Origin ``k`` is row ``o_k = first + k * step``: a model is fitted on rows ``[0, o_k)``
    only (an expanding window) and scored on the targets in rows ``[o_k, o_k + step)``, the
    block before the next origin. The blocks do not overlap and together cover
    ``[first, first + count * step)``. Averaging over several origins scores a forecaster on
    several periods instead of one (Hyndman & Athanasopoulos, *Forecasting: Principles and
    Practice*, section 5.10).

    Args:
        n_rows: length of the series.
        first: the first origin, ``>= 1`` (at least one training row).
        step: rows per test block, ``>= 1``.
        count: number of origins, ``>= 1``.

    Returns:
        list of ``(origin, stop)`` int pairs.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if an argument is out of range, or the last block ends after ``n_rows``.
    """
    n_rows = V.check_int("n_rows", n_rows, low=2)
    first = V.check_int("first", first, low=1)
    step, count = V.check_int("step", step, low=1), V.check_int("count", count, low=1)
    if first + count * step > n_rows:
        raise ValueError(f"Expected first + count * step <= n_rows = {n_rows}, got "
                         f"{first} + {count} * {step} = {first + count * step}")
    return [(first + k * step, first + (k + 1) * step) for k in range(count)]
