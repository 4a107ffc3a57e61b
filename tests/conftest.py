"""Shared test helpers: torch.nn references and relative errors."""
import os

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


# -- learning results over seeds and BLAS kernels (tests/test_learning.py, `make test-kernels`) --
def pytest_addoption(parser):
    parser.addoption(
        "--learning-seeds", default=os.environ.get("LEARNING_SEEDS", "0"), metavar="S,S,...",
        help="seeds for the learning tests (default: $LEARNING_SEEDS or 0). `make test-kernels "
             "SEEDS=0,1,2` runs them over seeds under each BLAS kernel and prints what each "
             "test measured.")


def pytest_generate_tests(metafunc):
    if "learning_seed" in metafunc.fixturenames:
        raw = metafunc.config.getoption("learning_seeds")
        try:
            seeds = [int(s) for s in raw.split(",")]
        except ValueError:
            raise pytest.UsageError(f"Expected --learning-seeds like 0,1,2, got {raw!r}") from None
        metafunc.parametrize("learning_seed", seeds, ids=[f"seed{s}" for s in seeds])


_MEASURED = pytest.StashKey[list]()


@pytest.fixture
def measured(request):
    """``measured(name, value)`` records a learning result; the run ends with a table of them."""
    rows = request.config.stash.setdefault(_MEASURED, [])
    seed = request.node.callspec.params.get("learning_seed") if hasattr(request.node, "callspec") else None

    def record(name, value):
        rows.append((request.node.originalname, seed, name, float(value)))
        return value
    return record


def blas_kernel():
    """The OpenBLAS kernel NumPy runs on (e.g. ``SkylakeX``), or the BLAS library's name."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown BLAS"
    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return info.get("architecture") or info.get("internal_api", "unknown BLAS")
    return "unknown BLAS"


def pytest_sessionfinish(session):
    """Under pytest-xdist (``make test``), a worker hands its measured rows to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["measured"] = session.config.stash.get(_MEASURED, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller collects the rows of each worker as it finishes (pytest-xdist's hook)."""
    rows = node.workeroutput.get("measured", []) if hasattr(node, "workeroutput") else []
    node.config.stash.setdefault(_MEASURED, []).extend(tuple(r) for r in rows)


def pytest_terminal_summary(terminalreporter, config):
    rows = config.stash.get(_MEASURED, [])
    if not rows:
        return
    tr = terminalreporter
    tr.section(f"learning results measured (NumPy BLAS kernel: {blas_kernel()})")
    for test, seed, name, value in sorted(rows, key=lambda r: (r[0], r[1] is None, r[1] or 0)):
        tr.line(f"{test:58} seed {seed}  {name:12} {value:.4f}")
