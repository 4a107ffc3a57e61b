"""Shared test helpers: torch.nn references and relative errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def rel_err(a, b):
    """max |a-b| / max(|a|, |b|, tiny): a relative error that cannot divide by zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-300)
    return float(np.abs(a - b).max(initial=0.0) / scale)


def torch_reference(module, x, hx, grad_output, grad_h_n):
    """Run a torch.nn module forward and backward; return numpy output, h_n and gradients."""
    xt = torch.tensor(x, requires_grad=True)
    ht = None if hx is None else torch.tensor(hx, requires_grad=True)
    module.zero_grad()
    out, h_n = module(xt, ht)
    loss = (out * torch.tensor(grad_output)).sum() + (h_n * torch.tensor(grad_h_n)).sum()
    loss.backward()
    grads = {k: p.grad.numpy() for k, p in module.named_parameters()}
    return (out.detach().numpy(), h_n.detach().numpy(), xt.grad.numpy(),
            None if ht is None else ht.grad.numpy(), grads)
