"""Float64 centred-difference checks of every vanilla-RNN backward: step, sequence, layer class."""
import numpy as np
import pytest

import course_pkg as cp
from course_pkg.gradcheck import check_gradients

TOL = 1e-7


def make_params(rng, D, H, bias=True):
    params = {"weight_ih": rng.standard_normal((H, D)) * 0.5, "weight_hh": rng.standard_normal((H, H)) * 0.5}
    if bias:
        params.update(bias_ih=rng.standard_normal(H) * 0.1, bias_hh=rng.standard_normal(H) * 0.1)
    return params


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_step_backward(nonlinearity, bias):
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H, bias)
    dh = rng.standard_normal((N, H))
    _, cache = cp.rnn_step_forward(x, h_prev, params, nonlinearity)
    dx, dh_prev, grads = cp.rnn_step_backward(dh, cache)
    assert set(grads) == set(params)
    f = lambda: cp.rnn_step_forward(x, h_prev, params, nonlinearity)[0]
    check_gradients(f, {"x": x, "h_prev": h_prev, **params},
                    {"x": dx, "h_prev": dh_prev, **grads}, dout=dh, tol=TOL)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_sequence_backward(nonlinearity):
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 6, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H)
    dh = rng.standard_normal((N, T, H))
    _, cache = cp.rnn_forward(x, h0, params, nonlinearity)
    dx, dh0, grads = cp.rnn_backward(dh, cache)
    f = lambda: cp.rnn_forward(x, h0, params, nonlinearity)[0]
    check_gradients(f, {"x": x, "h0": h0, **params}, {"x": dx, "h0": dh0, **grads}, dout=dh, tol=TOL)


@pytest.mark.parametrize("cfg", [
    dict(num_layers=1, bidirectional=False, batch_first=False, dropout=0.0),
    dict(num_layers=2, bidirectional=True, batch_first=True, dropout=0.0),
    dict(num_layers=3, bidirectional=True, batch_first=False, dropout=0.3),
])
def test_layer_backward(cfg):
    """Every parameter of a deep (bidirectional, dropout) RNN, through grad_output and grad_h_n."""
    rng = np.random.default_rng(2)
    T, N, D, H = 4, 2, 3, 3
    rnn = cp.RNN(D, H, **cfg, dtype="float64", seed=0)
    dirs = 2 if cfg["bidirectional"] else 1
    x = rng.standard_normal((N, T, D) if cfg["batch_first"] else (T, N, D))
    hx = rng.standard_normal((cfg["num_layers"] * dirs, N, H))
    params = rnn.state_dict()                       # the live arrays: perturbed in place

    def run():
        rnn.rng = np.random.default_rng(7)          # the same dropout masks on every call
        return rnn(x, hx)

    out, h_n = run()
    g_out, g_h = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    dx, dhx, grads = rnn.backward(g_out, g_h)
    loss = lambda: sum(np.sum(a * g) for a, g in zip(run(), (g_out, g_h)))
    check_gradients(loss, {"input": x, "hx": hx, **params}, {"input": dx, "hx": dhx, **grads}, tol=TOL)
