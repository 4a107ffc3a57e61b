"""The same clear errors from every family and every cell (the RNN's own are in test_rnn_errors.py)."""
import numpy as np
import pytest
import torch

import course_pkg as cp

LAYERS = ["RNN", "LSTM", "GRU"]


def hx_for(family, shape):
    h = np.zeros(shape)
    return (h, np.zeros(shape)) if family == "LSTM" else h


@pytest.mark.parametrize("family", LAYERS)
def test_layer_shape_errors(family):
    model = getattr(cp, family)(5, 6, 2, dtype="float64")
    with pytest.raises(ValueError, match="Expected input with 2 \\(unbatched\\) or 3 dimensions, got 4"):
        model(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"Expected input.shape\[-1\] == input_size = 5, got 4"):
        model(np.zeros((3, 2, 4)))
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 2, 6\), got \(2, 3, 6\)"):
        model(np.zeros((3, 2, 5)), hx_for(family, (2, 3, 6)))
    with pytest.raises(ValueError, match=r"Expected grad_output of shape \(3, 2, 6\), got \(3, 2, 5\)"):
        model(np.zeros((3, 2, 5)))
        model.backward(np.zeros((3, 2, 5)))


@pytest.mark.parametrize("family", LAYERS)
def test_layer_type_errors(family):
    cls = getattr(cp, family)
    with pytest.raises(TypeError, match="Expected input of dtype float32 .*, got float64"):
        cls(5, 6)(np.zeros((3, 2, 5)))
    with pytest.raises(TypeError, match="Expected input to be a numpy.ndarray"):
        cls(5, 6)(torch.zeros(3, 2, 5))
    with pytest.raises(TypeError, match="Expected num_layers to be an int, got str"):
        cls(5, 6, "2")
    with pytest.raises(ValueError, match="Expected hidden_size >= 1, got -1"):
        cls(5, -1)
    with pytest.raises(ValueError, match=r"Expected backend in \['numpy', 'torch'\], got 'cupy'"):
        cls(5, 6, backend="cupy")


@pytest.mark.parametrize("family", LAYERS)
def test_devices(family):
    cls = getattr(cp, family)
    with pytest.raises(ValueError, match="Expected device None or 'cpu' for the numpy backend"):
        cls(5, 6, device="cuda:0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="Expected an available CUDA device"):
            cls(5, 6, backend="torch", device="cuda")
    model = cls(5, 6, backend="torch", device="cpu")
    model(torch.zeros(3, 2, 5))                          # the CPU path works
    with pytest.raises(ValueError, match="Expected hx on device cpu, got meta"):
        model(torch.zeros(3, 2, 5), hx=hx_for_torch(family, (1, 2, 6), "meta"))


def hx_for_torch(family, shape, device):
    h = torch.zeros(shape, device=device)
    return (h, torch.zeros(shape, device=device)) if family == "LSTM" else h


@pytest.mark.parametrize("family", LAYERS)
def test_cell_errors(family):
    cell = getattr(cp, family + "Cell")(3, 4, dtype="float64")
    with pytest.raises(ValueError, match=r"Expected input of shape \(N, 3\) or \(3,\), got \(2, 2\)"):
        cell(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="Expected input of dtype float64"):
        cell(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match="before backward"):
        getattr(cp, family + "Cell")(3, 4).backward(np.zeros((1, 4)))


def test_lstm_cell_state_and_gradient_errors():
    cell = cp.LSTMCell(3, 4, dtype="float64")
    with pytest.raises(TypeError, match=r"Expected hx to be a tuple \(h_0, c_0\), got ndarray"):
        cell(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"Expected hx\[1\] of shape \(2, 4\), got \(2, 5\)"):
        cell(np.zeros((2, 3)), (np.zeros((2, 4)), np.zeros((2, 5))))
    cell(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Expected 1 to 2 state gradient"):
        cell.backward(np.zeros((2, 4)), np.zeros((2, 4)), np.zeros((2, 4)))
    dx, (dh, dc), _ = cell.backward(np.ones((2, 4)))      # dc' omitted = zeros
    assert dx.shape == (2, 3) and dh.shape == dc.shape == (2, 4)


def test_step_functions_check_gate_blocks():
    rng = np.random.default_rng(0)
    p = {"weight_ih": rng.standard_normal((8, 3)), "weight_hh": rng.standard_normal((8, 2))}
    with pytest.raises(ValueError, match=r"Expected weight_hh of shape \(6, 6\), got \(8, 2\)|Expected weight_ih with 3\*H rows"):
        cp.gru_step_forward(np.zeros((1, 3)), np.zeros((1, 2)), p)
    with pytest.raises(ValueError, match=r"Expected c_prev of shape \(1, 2\), got \(1, 3\)"):
        cp.lstm_step_forward(np.zeros((1, 3)), np.zeros((1, 2)), np.zeros((1, 3)), p)
    with pytest.raises(ValueError, match=r"Expected x of shape \(N, T, D\)"):
        cp.lstm_forward(np.zeros((1, 3)), np.zeros((1, 2)), np.zeros((1, 2)), p)
