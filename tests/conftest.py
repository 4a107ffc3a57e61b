"""Shared test helpers: torch.nn references and relative errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture
def one_thread():
    """Tiny models train fastest, and steadiest on a busy machine, on one torch thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def rel_err(a, b):
    """max |a-b| / max(|a|, |b|, tiny): a relative error that cannot divide by zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-300)
    return float(np.abs(a - b).max(initial=0.0) / scale)


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def torch_reference(module, x, hx, grad_output, grad_state):
    """Run a torch.nn module forward and backward.

    ``hx`` and ``grad_state`` are arrays (RNN, GRU) or tuples of arrays (LSTM). Returns
    NumPy ``output``, final states (tuple), ``d input``, ``d hx`` (tuple or None), grads.
    """
    xt = torch.tensor(x, requires_grad=True)
    ht = None if hx is None else tuple(torch.tensor(h, requires_grad=True) for h in as_tuple(hx))
    module.zero_grad()
    out, h_n = module(xt, None if ht is None else ht if len(ht) > 1 else ht[0])
    loss = (out * torch.tensor(grad_output)).sum()
    for s, g in zip(as_tuple(h_n), as_tuple(grad_state)):
        loss = loss + (s * torch.tensor(g)).sum()
    loss.backward()
    grads = {k: p.grad.numpy() for k, p in module.named_parameters()}
    return (out.detach().numpy(), tuple(s.detach().numpy() for s in as_tuple(h_n)), xt.grad.numpy(),
            None if ht is None else tuple(h.grad.numpy() for h in ht), grads)
