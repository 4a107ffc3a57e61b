"""course_pkg.data.synthetic: adding, copy, delayed recall, sines."""
import numpy as np
import pytest

from course_pkg.data import synthetic as S


def test_adding_shapes_markers_and_target():
    X, y = S.adding_problem(500, T=40, seed=1)
    assert X.shape == (500, 40, 2) and y.shape == (500,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert ((X[..., 0] >= 0) & (X[..., 0] <= 1)).all()
    assert np.array_equal(np.unique(X[..., 1]), [0.0, 1.0])
    assert (X[..., 1].sum(axis=1) == 2).all()
    np.testing.assert_allclose(y, (X[..., 0] * X[..., 1]).sum(axis=1))


def test_adding_halves_puts_one_marker_in_each_half():
    X, _ = S.adding_problem(300, T=21, seed=2)
    assert (X[:, :10, 1].sum(axis=1) == 1).all() and (X[:, 10:, 1].sum(axis=1) == 1).all()
    X2, _ = S.adding_problem(300, T=21, markers="anywhere", seed=2)
    assert (X2[..., 1].sum(axis=1) == 2).all()


def test_adding_mean_predictor_mse_is_one_sixth():
    _, y = S.adding_problem(40000, T=10, seed=0)
    mse = np.mean((y - 1.0) ** 2)
    assert abs(mse - 1 / 6) < 0.005, mse


def test_copy_task_layout():
    K, L, V = 4, 7, 5
    X, y = S.copy_task(50, n_copy=K, lag=L, n_symbols=V, seed=3)
    T = 2 * K + L + 1
    assert X.shape == (50, T) and y.shape == (50, T) and X.dtype == y.dtype == np.int64
    assert ((X[:, :K] >= 1) & (X[:, :K] <= V)).all()
    assert (X[:, K:K + L] == 0).all() and (X[:, K + L] == V + 1).all() and (X[:, K + L + 1:] == 0).all()
    assert (y[:, :K + L + 1] == 0).all()
    assert np.array_equal(y[:, K + L + 1:], X[:, :K])


def test_copy_task_one_hot_matches_ids():
    ids, y = S.copy_task(20, n_copy=3, lag=0, n_symbols=4, seed=5)
    oh, y2 = S.copy_task(20, n_copy=3, lag=0, n_symbols=4, one_hot=True, seed=5)
    assert oh.shape == ids.shape + (6,) and np.array_equal(oh.sum(-1), np.ones(ids.shape))
    assert np.array_equal(oh.argmax(-1), ids) and np.array_equal(y, y2)


def test_delayed_recall_targets_are_shifted_inputs():
    X, y = S.delayed_recall(30, T=12, lag=4, n_symbols=6, seed=0)
    assert np.array_equal(y[:, 4:], X[:, :-4]) and (y[:, :4] == 0).all()
    X0, y0 = S.delayed_recall(5, T=6, lag=0)
    assert np.array_equal(X0, y0)
    oh, _ = S.delayed_recall(5, T=6, lag=2, n_symbols=3, one_hot=True)
    assert oh.shape == (5, 6, 4) and (oh[..., 0] == 0).all()


def test_noisy_sines_noise_level_and_shapes():
    d = S.noisy_sines(400, T=30, horizon=5, noise_std=0.2, seed=0)
    assert d.X.shape == (400, 30, 1) and d.y.shape == (400, 5) and d.clean.shape == (400, 35)
    resid = np.concatenate([d.X[..., 0] - d.clean[:, :30], d.y - d.clean[:, 30:]], axis=1)
    assert abs(resid.std() - 0.2) < 0.01
    exact = S.noisy_sines(3, T=8, noise_std=0.0, seed=1)
    assert np.array_equal(exact.X[..., 0], exact.clean[:, :8])
    assert np.abs(d.clean).max() <= 1.0 + 1e-12


def test_sine_series_shape():
    s = S.sine_series(500, seed=4)
    assert s.shape == (500, 1) and np.isfinite(s).all()


@pytest.mark.parametrize("make", [
    lambda seed: S.adding_problem(20, T=9, seed=seed),
    lambda seed: S.copy_task(20, n_copy=3, lag=5, seed=seed),
    lambda seed: S.delayed_recall(20, T=9, lag=2, seed=seed),
    lambda seed: S.noisy_sines(20, T=9, seed=seed),
    lambda seed: (S.sine_series(50, seed=seed),),
])
def test_same_seed_same_arrays(make):
    a, b, c = make(7), make(7), make(8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, z) for x, z in zip(a, c))


@pytest.mark.parametrize("call, err, match", [
    (lambda: S.adding_problem(0), ValueError, "Expected n >= 1, got 0"),
    (lambda: S.adding_problem(-3), ValueError, "got -3"),
    (lambda: S.adding_problem(5, T=1), ValueError, "Expected T >= 2, got 1"),
    (lambda: S.adding_problem(2.5), TypeError, "Expected n to be an int, got float"),
    (lambda: S.adding_problem(5, markers="middle"), ValueError, "markers"),
    (lambda: S.copy_task(5, lag=-1), ValueError, "lag"),
    (lambda: S.copy_task(5, n_copy=0), ValueError, "n_copy"),
    (lambda: S.delayed_recall(5, T=10, lag=10), ValueError, "lag < T = 10"),
    (lambda: S.delayed_recall(5, T=10, lag=25), ValueError, "lag must fit"),
    (lambda: S.noisy_sines(5, noise_std=-0.1), ValueError, "noise_std"),
    (lambda: S.noisy_sines(5, horizon=0), ValueError, "horizon"),
    (lambda: S.noisy_sines(5, period_range=(30, 10)), ValueError, "low <= high"),
    (lambda: S.adding_problem(5, seed=-1), ValueError, "seed"),
])
def test_bad_input_raises(call, err, match):
    with pytest.raises(err, match=match):
        call()
