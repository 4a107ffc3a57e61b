"""course_pkg.data.series: real series, cleaning, chronological splits without leakage, windows."""
import numpy as np
import pytest

from course_pkg.data import series as S


@pytest.mark.parametrize("name, shape, missing", [
    ("sunspots", (309, 1), 0), ("co2", (2284, 1), 59), ("seattle_weather", (1461, 4), 0), ("stocks", (68, 5), 55),
])
def test_load_series_sizes(name, shape, missing):
    ts = S.load_series(name)
    assert ts.values.shape == shape and ts.n_missing == missing and ts.name == name
    assert not np.isnan(ts.values).any()
    assert ts.times.dtype == np.dtype("datetime64[D]") and len(ts.times) == shape[0]
    assert (np.diff(ts.times) > np.timedelta64(0, "D")).all()


def test_known_values():
    sun = S.load_series("sunspots")
    assert str(sun.times[0]) == "1700-01-01" and sun.values[0, 0] == 5.0
    w = S.load_series("seattle_weather")
    assert w.columns == ("precipitation", "temp_max", "temp_min", "wind")
    assert str(w.times[0]) == "2012-01-01" and str(w.times[-1]) == "2015-12-31"


def test_co2_interpolation_fills_between_neighbours():
    raw = S.load_series("co2", clean=None).values[:, 0]
    filled = S.load_series("co2").values[:, 0]
    assert np.isnan(raw).sum() == 59 and len(filled) == len(raw)   # no leading/trailing gaps
    gaps = np.flatnonzero(np.isnan(raw))
    lo = np.array([raw[:i][~np.isnan(raw[:i])][-1] for i in gaps])
    hi = np.array([raw[i:][~np.isnan(raw[i:])][0] for i in gaps])
    assert ((filled[gaps] >= np.minimum(lo, hi)) & (filled[gaps] <= np.maximum(lo, hi))).all()
    assert len(S.load_series("co2", clean="drop").values) == 2284 - 59


def test_stocks_without_goog_keeps_every_month():
    ts = S.load_series("stocks", columns=["AAPL", "AMZN", "IBM", "MSFT"])
    assert ts.values.shape == (123, 4) and ts.n_missing == 0


def test_clean_series_rules():
    v = np.array([[np.nan, 0.0], [1.0, 1.0], [np.nan, 2.0], [3.0, np.nan], [4.0, 4.0], [5.0, np.nan]])
    out, keep = S.clean_series(v)
    assert np.array_equal(keep, [False, True, True, True, True, False])
    np.testing.assert_allclose(out, [[1, 1], [2, 2], [3, 3], [4, 4]])
    out, keep = S.clean_series(v, "drop")
    np.testing.assert_allclose(out, [[1, 1], [4, 4]])
    out1, _ = S.clean_series(np.array([1.0, np.nan, 2.0]))
    np.testing.assert_allclose(out1, [1, 1.5, 2])


def test_make_windows_on_a_ramp():
    v = np.arange(20.0)
    X, y = S.make_windows(v, window=5, horizon=3)
    assert X.shape == (13, 5, 1) and y.shape == (13, 3)
    for i in range(13):
        assert np.array_equal(X[i, :, 0], np.arange(i, i + 5)) and np.array_equal(y[i], np.arange(i + 5, i + 8))
    X, y = S.make_windows(v, window=5, horizon=1, stride=4)
    assert X.shape == (4, 5, 1) and np.array_equal(y[:, 0], [5, 9, 13, 17])


def test_make_windows_target_shapes():
    v = np.random.default_rng(0).standard_normal((30, 3))
    _, y_all = S.make_windows(v, 4, 2)
    _, y_one = S.make_windows(v, 4, 2, target=1)
    _, y_two = S.make_windows(v, 4, 2, target=["b", "c"], columns=["a", "b", "c"])
    assert y_all.shape == (25, 2, 3) and y_one.shape == (25, 2) and y_two.shape == (25, 2, 2)
    np.testing.assert_array_equal(y_two, y_all[:, :, 1:])


def _ramp_data(**kw):
    return S.make_forecasting_data(np.arange(100.0), window=6, horizon=2, fractions=(0.6, 0.2, 0.2), **kw)


def test_windows_never_straddle_split_boundaries():
    d = _ramp_data(scale=None)
    assert d.bounds == (60, 80, 100)
    for X, y, lo, hi in ((d.X_train, d.y_train, 0, 60), (d.X_val, d.y_val, 60, 80), (d.X_test, d.y_test, 80, 100)):
        assert len(X) == (hi - lo) - 6 - 2 + 1
        assert X.min() >= lo and y.max() <= hi - 1 and X[0, 0, 0] == lo and y[-1, -1] == hi - 1
    assert np.array_equal(d.t_val, np.arange(66, 79)) and np.array_equal(d.t_train[:2], [6, 7])


def test_scaler_is_fitted_on_training_rows_only():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((200, 2)) * [3, 0.5] + [10, -1]
    d = S.make_forecasting_data(v, window=5, fractions=(0.5, 0.25, 0.25))
    np.testing.assert_allclose(d.scaler.shift, v[:100].mean(0))
    np.testing.assert_allclose(d.scaler.scale, v[:100].std(0))
    v2 = v.copy()
    v2[100:] = 1e6 * rng.standard_normal((100, 2))           # change the future only
    d2 = S.make_forecasting_data(v2, window=5, fractions=(0.5, 0.25, 0.25))
    assert np.array_equal(d.X_train, d2.X_train) and np.array_equal(d.y_train, d2.y_train)
    assert np.array_equal(d.scaler.shift, d2.scaler.shift)
    np.testing.assert_allclose(d.X_train[..., :].reshape(-1, 2).mean(0), 0, atol=0.1)


def test_inverse_scaling_recovers_the_raw_targets():
    d = S.make_forecasting_data("seattle_weather", window=14, horizon=3, target=["temp_max", "temp_min"])
    raw = S.load_series("seattle_weather").values
    a = d.bounds[1]
    np.testing.assert_allclose(d.inverse_y(d.y_test)[0], raw[a + 14:a + 17, 1:3])
    assert d.X_train.shape[1:] == (14, 4) and d.y_train.shape[1:] == (3, 2)
    one = S.make_forecasting_data("sunspots", window=10, horizon=4)
    sun = S.load_series("sunspots").values[:, 0]
    np.testing.assert_allclose(one.inverse_y(one.y_train)[0], sun[10:14])
    assert one.y_train.shape == (len(one.X_train), 4)


def test_forecasting_sizes_and_minmax():
    d = S.make_forecasting_data("co2", window=52, horizon=4, scale="minmax")
    assert (d.X_train.shape, d.X_val.shape, d.X_test.shape) == ((1544, 52, 1), (287, 52, 1), (288, 52, 1))
    assert d.X_train.min() == 0.0 and d.X_train.max() <= 1.0


@pytest.mark.parametrize("call, err, match", [
    (lambda: S.load_series("airline"), ValueError, "Expected name in \\['co2', "),
    (lambda: S.load_series("stocks", columns=["TSLA"]), ValueError, "columns"),
    (lambda: S.load_series("co2", clean="ffill"), ValueError, "clean"),
    (lambda: S.make_forecasting_data("sunspots", fractions=(0.7, 0.3, 0.2)), ValueError, "summing to <= 1"),
    (lambda: S.make_forecasting_data("sunspots", fractions=(0.9, 0.1, 0.0)), ValueError, "no empty part"),
    (lambda: S.make_forecasting_data("sunspots", fractions=(0.5, 0.5)), TypeError, "3 numbers"),
    (lambda: S.make_forecasting_data("sunspots", window=60), ValueError, "val part to hold"),
    (lambda: S.make_forecasting_data("sunspots", window=0), ValueError, "window"),
    (lambda: S.make_forecasting_data("sunspots", horizon=-1), ValueError, "horizon"),
    (lambda: S.make_forecasting_data("sunspots", target="spots"), ValueError, "target"),
    (lambda: S.make_windows(np.arange(5.0), 4, 2), ValueError, "at least window"),
    (lambda: S.make_windows(np.array([1.0, np.nan, 2, 3]), 2), ValueError, "without NaN"),
    (lambda: S.Scaler().transform(np.ones((2, 1))), ValueError, "fitted"),
])
def test_bad_input_raises(call, err, match):
    with pytest.raises(err, match=match):
        call()


# -- calendar features, the weather category, rolling origins --------------------------------------
def test_day_of_year_counts_from_one_and_knows_leap_years():
    t = np.array(["2012-01-01", "2012-12-31", "2013-12-31", "2015-03-01"], dtype="datetime64[D]")
    np.testing.assert_array_equal(S.day_of_year(t), [1, 366, 365, 60])
    assert S.day_of_year(t.astype("datetime64[s]"))[1] == 366


def test_season_features_put_new_year_next_to_new_year():
    t = np.array(["2013-01-01", "2013-12-31", "2013-07-02"], dtype="datetime64[D]")
    f = S.season_features(t)
    assert f.shape == (3, 2)
    np.testing.assert_allclose(f[0], [0.0, 1.0])
    # 31 December is day 365, 1.25 days before the next 1 January on a circle of 365.25 days
    assert np.linalg.norm(f[0] - f[1]) == pytest.approx(2 * np.sin(np.pi * 1.25 / 365.25))
    assert np.linalg.norm(f[0] - f[2]) > 1.99
    np.testing.assert_allclose((f ** 2).sum(1), 1.0)


@pytest.mark.parametrize("times, period, error", [(np.arange(3), 365.25, TypeError),
                                                   (np.array(["2013-01-01"], dtype="datetime64[D]"), 0, ValueError)])
def test_season_features_reject_bad_input(times, period, error):
    with pytest.raises(error, match="Expected"):
        S.season_features(times, period)


def test_weather_categories_align_with_the_loaded_series():
    times, labels = S.weather_categories()
    ts = S.load_series("seattle_weather")
    np.testing.assert_array_equal(times, ts.times)
    assert set(labels) == {"drizzle", "fog", "rain", "snow", "sun"}
    year = times.astype("datetime64[Y]").astype(int) + 1970
    assert ((year == 2012) & (labels == "rain")).sum() == 191        # the docstring's counts
    assert ((year == 2014) & (labels == "rain")).sum() == 3


def test_rolling_origins_tile_the_blocks_after_the_first_origin():
    found = S.rolling_origins(1461, first=731, step=146, count=5)
    assert found[0] == (731, 877) and found[-1] == (1315, 1461)
    assert all(stop == nxt for (_, stop), (nxt, _) in zip(found, found[1:]))


@pytest.mark.parametrize("args, error", [((100, 50, 20, 3), ValueError), ((100, 0, 10, 1), ValueError),
                                         ((100, 10, 0, 1), ValueError), ((100, 10.0, 5, 1), TypeError)])
def test_rolling_origins_reject_bad_arguments(args, error):
    with pytest.raises(error, match="Expected"):
        S.rolling_origins(*args)
