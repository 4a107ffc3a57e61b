"""Float64 centred-difference checks of every backward: step, sequence and layer, for each family."""
import numpy as np
import pytest

import course_pkg as cp
from course_pkg.gradcheck import check_gradients

TOL = 1e-7


def make_params(rng, D, H, bias=True, gates=1):
    G = gates
    params = {"weight_ih": rng.standard_normal((G * H, D)) * 0.5,
              "weight_hh": rng.standard_normal((G * H, H)) * 0.5}
    if bias:
        params.update(bias_ih=rng.standard_normal(G * H) * 0.1, bias_hh=rng.standard_normal(G * H) * 0.1)
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


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_step_backward(bias):
    rng = np.random.default_rng(3)
    N, D, H = 3, 4, 5
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = make_params(rng, D, H, bias, gates=4)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = cp.lstm_step_forward(x, h, c, params)
    dx, dh_prev, dc_prev, grads = cp.lstm_step_backward(dh, dc, cache)
    f = lambda: np.sum(cp.lstm_step_forward(x, h, c, params)[0] * dh) + \
        np.sum(cp.lstm_step_forward(x, h, c, params)[1] * dc)
    check_gradients(f, {"x": x, "h_prev": h, "c_prev": c, **params},
                    {"x": dx, "h_prev": dh_prev, "c_prev": dc_prev, **grads}, tol=TOL)


def test_lstm_sequence_backward():
    rng = np.random.default_rng(4)
    N, T, D, H = 2, 5, 3, 4
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = make_params(rng, D, H, gates=4)
    dh, dc_T = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    _, _, cache = cp.lstm_forward(x, h0, c0, params)
    dx, dh0, dc0, grads = cp.lstm_backward(dh, cache, dc_T)

    def f():
        h, c_T, _ = cp.lstm_forward(x, h0, c0, params)
        return np.sum(h * dh) + np.sum(c_T * dc_T)
    check_gradients(f, {"x": x, "h0": h0, "c0": c0, **params},
                    {"x": dx, "h0": dh0, "c0": dc0, **grads}, tol=TOL)


@pytest.mark.parametrize("bias", [True, False])
def test_gru_step_backward(bias):
    rng = np.random.default_rng(5)
    N, D, H = 3, 4, 5
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H, bias, gates=3)
    dh = rng.standard_normal((N, H))
    _, cache = cp.gru_step_forward(x, h, params)
    dx, dh_prev, grads = cp.gru_step_backward(dh, cache)
    check_gradients(lambda: cp.gru_step_forward(x, h, params)[0], {"x": x, "h_prev": h, **params},
                    {"x": dx, "h_prev": dh_prev, **grads}, dout=dh, tol=TOL)


def test_gru_sequence_backward():
    rng = np.random.default_rng(6)
    N, T, D, H = 2, 5, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H, gates=3)
    dh = rng.standard_normal((N, T, H))
    _, cache = cp.gru_forward(x, h0, params)
    dx, dh0, grads = cp.gru_backward(dh, cache)
    check_gradients(lambda: cp.gru_forward(x, h0, params)[0], {"x": x, "h0": h0, **params},
                    {"x": dx, "h0": dh0, **grads}, dout=dh, tol=TOL)


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", [
    dict(num_layers=1, bidirectional=False, batch_first=False, dropout=0.0),
    dict(num_layers=2, bidirectional=True, batch_first=True, dropout=0.0),
    dict(num_layers=3, bidirectional=True, batch_first=False, dropout=0.3),
])
def test_layer_backward(family, cfg):
    """Every parameter of a deep (bidirectional, dropout) layer, through output and final states."""
    rng = np.random.default_rng(2)
    T, N, D, H = 4, 2, 3, 3
    model = getattr(cp, family)(D, H, **cfg, dtype="float64", seed=0)
    dirs = 2 if cfg["bidirectional"] else 1
    x = rng.standard_normal((N, T, D) if cfg["batch_first"] else (T, N, D))
    n_states = 2 if family == "LSTM" else 1
    hx = [rng.standard_normal((cfg["num_layers"] * dirs, N, H)) for _ in range(n_states)]
    params = model.state_dict()                     # the live arrays: perturbed in place

    def run():
        model.rng = np.random.default_rng(7)        # the same dropout masks on every call
        out, state = model(x, hx[0] if n_states == 1 else tuple(hx))
        return (out,) + (state if n_states == 2 else (state,))

    outs = run()
    g = [rng.standard_normal(a.shape) for a in outs]
    dx, dhx, grads = model.backward(*g)
    dhx = dhx if n_states == 2 else (dhx,)
    loss = lambda: sum(np.sum(a * gg) for a, gg in zip(run(), g))
    inputs = {"input": x, **{f"hx{k}": h for k, h in enumerate(hx)}, **params}
    analytic = {"input": dx, **{f"hx{k}": d for k, d in enumerate(dhx)}, **grads}
    check_gradients(loss, inputs, analytic, tol=TOL)
