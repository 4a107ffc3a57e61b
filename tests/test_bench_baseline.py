"""The benchmark's naive NumPy LSTM computes what course_pkg's LSTM computes, so that timing
one against the other compares two ways of writing the same thing (float64, to 1e-10)."""
import numpy as np
import pytest

import course_pkg as cp
from conftest import rel_err
from course_pkg import bench

TOL = 1e-10


@pytest.mark.parametrize("N, T, D, H", [(3, 5, 4, 6), (1, 1, 2, 3), (4, 12, 3, 2)])
def test_naive_lstm_equals_course_pkg_lstm(N, T, D, H):
    rng = np.random.default_rng(N * 100 + T)
    model = cp.LSTM(D, H, batch_first=True, dtype="float64", seed=T)
    x, g = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    out, _ = model(x, (h0[None], c0[None]))
    dx, (dh0, dc0), grads = model.backward(g)

    W, b = bench.naive_lstm_params(model.state_dict())
    assert W.shape == (4 * H, H + D) and b.shape == (4 * H,)
    n_out, cache = bench.naive_lstm_forward(x, W, b, h0, c0)
    n_dx, (n_dh0, n_dc0), dW, db = bench.naive_lstm_backward(g, cache, W)
    assert rel_err(n_out, out) < TOL
    assert rel_err(n_dx, dx) < TOL and rel_err(n_dh0, dh0[0]) < TOL and rel_err(n_dc0, dc0[0]) < TOL
    assert rel_err(dW[:, :H], grads["weight_hh_l0"]) < TOL
    assert rel_err(dW[:, H:], grads["weight_ih_l0"]) < TOL
    assert rel_err(db, grads["bias_ih_l0"]) < TOL and rel_err(db, grads["bias_hh_l0"]) < TOL


def test_naive_lstm_starts_from_zeros_and_keeps_the_dtype():
    model = cp.LSTM(3, 4, batch_first=True, seed=0)                  # float32, as in the benchmark
    x = np.random.default_rng(0).standard_normal((2, 6, 3), dtype=np.float32)
    out, _ = model(x)
    W, b = bench.naive_lstm_params(model.state_dict())
    n_out, cache = bench.naive_lstm_forward(x, W, b)
    n_dx, _, dW, db = bench.naive_lstm_backward(np.ones_like(n_out), cache, W)
    assert n_out.dtype == n_dx.dtype == dW.dtype == db.dtype == np.float32
    assert rel_err(n_out, out) < 1e-5
