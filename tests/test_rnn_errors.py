"""Every bad input raises one clear error that names what was expected and what came."""
import numpy as np
import pytest
import torch

import course_pkg as cp


@pytest.fixture
def rnn():
    return cp.RNN(5, 6, 2, dtype="float64", seed=0)


def test_wrong_rank(rnn):
    with pytest.raises(ValueError, match=r"Expected input with 2 \(unbatched\) or 3 dimensions, got 4"):
        rnn(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="got 1"):
        rnn(np.zeros(5))


def test_wrong_feature_size(rnn):
    with pytest.raises(ValueError, match=r"Expected input.shape\[-1\] == input_size = 5, got 4"):
        rnn(np.zeros((3, 2, 4)))


def test_mismatched_hx(rnn):
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 2, 6\), got \(1, 2, 6\)"):
        rnn(np.zeros((3, 2, 5)), np.zeros((1, 2, 6)))
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 6\), got \(2, 1, 6\)"):
        rnn(np.zeros((3, 5)), np.zeros((2, 1, 6)))      # unbatched input wants unbatched hx


def test_unknown_backend_and_nonlinearity():
    with pytest.raises(ValueError, match=r"Expected backend in \['numpy', 'torch'\], got 'jax'"):
        cp.RNN(5, 6, backend="jax")
    with pytest.raises(ValueError, match=r"Expected nonlinearity in \['tanh', 'relu'\], got 'sigmoid'"):
        cp.RNN(5, 6, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Expected nonlinearity"):
        cp.rnn_step_forward(np.zeros((1, 2)), np.zeros((1, 3)), {}, nonlinearity="gelu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="Expected an available CUDA device.*sees no CUDA GPU"):
        cp.RNN(5, 6, backend="torch", device="cuda")
    with pytest.raises(ValueError, match="Expected an available CUDA device"):
        cp.RNN(5, 6, backend="torch").to("cuda")


def test_numpy_backend_has_no_gpu():
    with pytest.raises(ValueError, match="Expected device None or 'cpu' for the numpy backend, got 'cuda'"):
        cp.RNN(5, 6, device="cuda")


def test_dtype_and_array_type(rnn):
    with pytest.raises(TypeError, match="Expected input of dtype float64 .*, got float32"):
        rnn(np.zeros((3, 2, 5), dtype=np.float32))
    with pytest.raises(TypeError, match=r"Expected input to be a numpy.ndarray \(backend='numpy'\), got Tensor"):
        rnn(torch.zeros(3, 2, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="Expected input to be a torch.Tensor"):
        cp.RNN(5, 6, backend="torch")(np.zeros((3, 2, 5), dtype=np.float32))
    with pytest.raises(TypeError, match="Expected dtype float32 or float64, got int64"):
        cp.RNN(5, 6, dtype="int64")


def test_sizes_and_dropout():
    with pytest.raises(TypeError, match="Expected hidden_size to be an int, got float"):
        cp.RNN(5, 6.0)
    with pytest.raises(ValueError, match="Expected input_size >= 1, got 0"):
        cp.RNN(0, 6)
    with pytest.raises(ValueError, match="Expected num_layers >= 1, got 0"):
        cp.RNN(5, 6, num_layers=0)
    with pytest.raises(ValueError, match=r"Expected dropout in \[0, 1\], got 1.5"):
        cp.RNN(5, 6, dropout=1.5)


def test_backward_misuse(rnn):
    with pytest.raises(RuntimeError, match=r"Expected forward\(\) to be called before backward\(\)"):
        rnn.backward(np.zeros((3, 2, 6)))
    rnn(np.zeros((3, 2, 5)))
    with pytest.raises(ValueError, match=r"Expected grad_output of shape \(3, 2, 6\), got \(2, 3, 6\)"):
        rnn.backward(np.zeros((2, 3, 6)))
    with pytest.raises(ValueError, match=r"Expected a gradient of h_n of shape \(2, 2, 6\), got \(2, 6\)"):
        rnn.backward(np.zeros((3, 2, 6)), np.zeros((2, 6)))


def test_load_state_dict_errors(rnn):
    sd = rnn.state_dict()
    with pytest.raises(ValueError, match=r"missing \['bias_hh_l1'\] and unexpected \[\]"):
        rnn.load_state_dict({k: v for k, v in sd.items() if k != "bias_hh_l1"})
    with pytest.raises(ValueError, match=r"Expected weight_ih_l0 of shape \(6, 5\), got \(5, 6\)"):
        rnn.load_state_dict({**sd, "weight_ih_l0": sd["weight_ih_l0"].T})


def test_step_function_shapes():
    rng = np.random.default_rng(0)
    params = {"weight_ih": rng.standard_normal((4, 3)), "weight_hh": rng.standard_normal((4, 4))}
    with pytest.raises(ValueError, match=r"Expected x of shape \(N, 3\), got \(2, 5\)"):
        cp.rnn_step_forward(np.zeros((2, 5)), np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match=r"Expected h_prev of shape \(2, 4\), got \(3, 4\)"):
        cp.rnn_step_forward(np.zeros((2, 3)), np.zeros((3, 4)), params)
    with pytest.raises(ValueError, match=r"Expected weight_hh of shape \(4, 4\), got \(4, 3\)"):
        cp.rnn_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), {**params, "weight_hh": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="Expected params to hold 'weight_hh'"):
        cp.rnn_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), {"weight_ih": params["weight_ih"]})
    with pytest.raises(ValueError, match="Expected both bias_ih and bias_hh or neither"):
        cp.rnn_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), {**params, "bias_ih": np.zeros(4)})
    with pytest.raises(ValueError, match=r"Expected x of shape \(N, T, D\), got \(2, 3\)"):
        cp.rnn_forward(np.zeros((2, 3)), np.zeros((2, 4)), params)
