"""The torch back-end computes the NumPy back-end's numbers, on the CPU and (where there is one) a GPU."""
import numpy as np
import pytest
import torch

import course_pkg as cp
from course_pkg.data import adding_problem
from conftest import as_tuple, rel_err

TOL = 1e-10
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def pair(seed=0, family="RNN", **kwargs):
    kwargs = {"num_layers": 2, "bidirectional": True, "dtype": "float64", "seed": seed, **kwargs}
    cls = getattr(cp, family)
    return cls(3, 4, **kwargs), cls(3, 4, backend="torch", **kwargs)


def test_same_seed_same_weights_on_both_backends():
    np_rnn, t_rnn = pair(seed=3, dtype="float32")
    for (k, a), (k2, b) in zip(np_rnn.named_parameters(), t_rnn.named_parameters()):
        assert k == k2 and isinstance(b, torch.Tensor) and b.dtype == torch.float32 and b.requires_grad
        np.testing.assert_array_equal(a, b.detach().numpy())


@pytest.mark.parametrize("explicit_backward", [True, False], ids=["scan-function", "eager-autograd"])
@pytest.mark.parametrize("family, kwargs", [("RNN", {"nonlinearity": "tanh"}),
                                            ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})])
def test_torch_backend_autograd_equals_numpy_backward(family, kwargs, explicit_backward):
    """Both torch paths: the scan as one autograd node (the default) and every op recorded."""
    np_rnn, t_rnn = pair(family=family, explicit_backward=explicit_backward, **kwargs)
    rng = np.random.default_rng(0)
    n_states = 2 if family == "LSTM" else 1
    x, h0 = rng.standard_normal((5, 2, 3)), [rng.standard_normal((4, 2, 4)) for _ in range(n_states)]
    g_out, g_h = rng.standard_normal((5, 2, 8)), [rng.standard_normal((4, 2, 4)) for _ in range(n_states)]
    pack = (lambda a: a[0]) if n_states == 1 else tuple
    out, h_n = np_rnn(x, pack(h0))
    dx, dh0, grads = np_rnn.backward(g_out, *g_h)

    xt, ht = torch.tensor(x, requires_grad=True), [torch.tensor(h, requires_grad=True) for h in h0]
    out_t, h_n_t = t_rnn(xt, pack(ht))
    loss = (out_t * torch.tensor(g_out)).sum()
    for s, g in zip(as_tuple(h_n_t), g_h):
        loss = loss + (s * torch.tensor(g)).sum()
    loss.backward()
    assert rel_err(out, out_t.detach()) < TOL
    for a, b in zip(as_tuple(h_n), as_tuple(h_n_t), strict=True):
        assert rel_err(a, b.detach()) < TOL
    assert rel_err(dx, xt.grad) < TOL
    for a, b in zip(as_tuple(dh0), ht, strict=True):
        assert rel_err(a, b.grad) < TOL
    for name, p in t_rnn.named_parameters():
        assert rel_err(grads[name], p.grad) < TOL, name


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_explicit_backward_runs_on_torch_tensors_and_equals_autograd(family):
    """The hand-written BPTT is backend-neutral, so autograd (recording every op) can check it directly."""
    _, t_rnn = pair(seed=1, family=family, explicit_backward=False)
    x = torch.randn(4, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    out, h_n = t_rnn(x)
    g_out = torch.ones_like(out)
    with torch.no_grad():
        _, _, grads = t_rnn.backward(g_out)
    out.backward(g_out)
    for name, p in t_rnn.named_parameters():
        assert rel_err(grads[name], p.grad) < TOL, name


def test_torch_backend_trains_with_torch_optim():
    torch.manual_seed(0)
    rnn = cp.RNN(2, 8, backend="torch", batch_first=True, seed=0)
    head = torch.nn.Linear(8, 1)
    opt = torch.optim.Adam(rnn.parameters() + list(head.parameters()), lr=0.05)
    x = torch.randn(16, 5, 2)
    y = x.sum(dim=(1, 2)).unsqueeze(1)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(head(rnn(x)[0][:, -1]), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_unbatched_torch_backend():
    np_rnn, t_rnn = pair()
    x = np.random.default_rng(0).standard_normal((5, 3))
    out, h_n = np_rnn(x)
    out_t, h_n_t = t_rnn(torch.tensor(x))
    assert out.shape == tuple(out_t.shape) == (5, 8) and h_n.shape == tuple(h_n_t.shape) == (4, 4)
    assert rel_err(out, out_t.detach()) < TOL


def test_rnn_cell_errors():
    cell = cp.RNNCell(3, 4, dtype="float64")
    with pytest.raises(ValueError, match=r"Expected input of shape \(N, 3\) or \(3,\), got \(2, 5\)"):
        cell(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"Expected hx\[0\] of shape \(2, 4\), got \(4,\)"):
        cell(np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(RuntimeError, match="before backward"):
        cp.RNNCell(3, 4).backward(np.zeros(4))
    cell(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Expected a state gradient of shape \(2, 4\), got \(4,\)"):
        cell.backward(np.zeros(4))


def test_repr_reads_like_torch():
    assert repr(cp.RNN(5, 6, 1)) == "RNN(5, 6, backend='numpy')"
    assert repr(cp.RNN(5, 6, 2, batch_first=True, nonlinearity="relu")) == \
        "RNN(5, 6, num_layers=2, batch_first=True, nonlinearity='relu', backend='numpy')"


@needs_cuda
def test_cuda_forward_equals_cpu():
    cpu = cp.RNN(3, 4, 2, backend="torch", dtype="float64", seed=0)
    gpu = cp.RNN(3, 4, 2, backend="torch", dtype="float64", seed=0, device="cuda")
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    out_c, _ = cpu(x)
    out_g, _ = gpu(x.cuda())
    assert out_g.device.type == "cuda" and rel_err(out_c.detach(), out_g.detach().cpu()) < 1e-12
    with pytest.raises(ValueError, match="Expected input on device cuda"):
        gpu(x)


@needs_cuda
def test_to_cuda_moves_parameters():
    rnn = cp.RNN(3, 4, backend="torch").to("cuda")
    assert all(p.device.type == "cuda" and p.is_leaf for p in rnn.parameters())


def train_adding_briefly(device, steps=30):
    """Train a float32 torch-back-end LSTM with a linear head on the adding problem for a few
    Adam steps on ``device``; returns the losses and the trained weights (NumPy)."""
    torch.manual_seed(0)
    X, y = adding_problem(64, T=20, seed=0)
    x = torch.tensor(X, dtype=torch.float32, device=device)                # (N, T, 2)
    target = torch.tensor(y, dtype=torch.float32, device=device)           # (N,)
    lstm = cp.LSTM(2, 16, batch_first=True, backend="torch", seed=0, device=device)
    head = torch.nn.Linear(16, 1).to(device)
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-2)
    losses = []
    for _ in range(steps):
        out, _ = lstm(x)                                                   # (N, T, H)
        loss = ((head(out[:, -1]).squeeze(1) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), {k: p.detach().cpu().numpy() for k, p in lstm.named_parameters()}


def test_brief_training_learns_and_repeats_on_the_cpu():
    losses, weights = train_adding_briefly("cpu")
    again, weights2 = train_adding_briefly("cpu")
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_array_equal(losses, again)
    assert all(np.array_equal(weights[k], weights2[k]) for k in weights)


@needs_cuda
def test_cuda_training_equals_cpu_within_float32_noise():
    """A chapter-sized training run gives the CPU's result on the GPU (issue 15)."""
    cpu_losses, cpu_weights = train_adding_briefly("cpu")
    gpu_losses, gpu_weights = train_adding_briefly("cuda")
    assert rel_err(cpu_losses, gpu_losses) < 1e-3
    assert all(rel_err(cpu_weights[k], gpu_weights[k]) < 1e-3 for k in cpu_weights)
