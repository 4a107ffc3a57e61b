"""Array back-ends: one set of equations, run on NumPy or on PyTorch.

Every model function in ``course_pkg`` is written once, over an *array namespace*
``xp`` that is either :mod:`numpy` or :mod:`torch`. This module picks the namespace
of an array, smooths over the few calls whose spelling differs between the two
libraries, checks dtypes, and resolves devices. PyTorch is imported only when the
torch back-end is asked for, so NumPy-only work never pays for it.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V
from ._validate import DTYPES, dtype_name, is_torch   # noqa: F401 (part of this module's API)

BACKENDS = ("numpy", "torch")


def torch_module():
    """Return the imported :mod:`torch` module (imported on first use)."""
    import torch

    return torch


def check_backend(backend):
    """Return ``backend`` if it names a known back-end.

    Raises:
        TypeError: if ``backend`` is not a string.
        ValueError: if ``backend`` is not ``"numpy"`` or ``"torch"``.
    """
    return V.check_choice("backend", backend, BACKENDS)


def namespace(x):
    """Return the array namespace of ``x``: :mod:`numpy` or :mod:`torch`."""
    return torch_module() if is_torch(x) else np


def resolve_device(backend, device):
    """Turn a ``device`` argument into what the back-end uses.

    Returns ``None`` for the NumPy back-end (always the CPU) and a ``torch.device``
    for the torch back-end (``"cpu"`` when ``device`` is ``None``).

    Raises:
        TypeError: if ``device`` is not ``None``, a string, an int or a ``torch.device``.
        ValueError: if the NumPy back-end is given a device other than the CPU, the string
            names no device, or a CUDA device is asked for where torch sees no CUDA GPU.
    """
    if backend == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"Expected device None or 'cpu' for the numpy backend, got {device!r}; "
                             "use backend='torch' to run on a GPU")
        return None
    torch = torch_module()
    dev = _torch_device(torch, device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"Expected an available CUDA device, got device={device!r} but "
                         f"torch {torch.__version__} sees no CUDA GPU; install a CUDA build of "
                         "torch on a machine with a GPU, or use device='cpu'")
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())   # tensors report cuda:0, not cuda
    return dev


def _torch_device(torch, device):
    """``device`` (``None``, a string, an index or a ``torch.device``) as a ``torch.device``."""
    if device is None:
        return torch.device("cpu")
    V.check_type("device", device, (str, int, torch.device), "None, a str, an int or a torch.device")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"Expected device like 'cpu', 'cuda' or 'cuda:0', got {device!r}") from None


def to_backend(array, backend, dtype, device=None):
    """Copy a NumPy array or torch tensor to ``backend`` with ``dtype`` (and ``device``)."""
    if is_torch(array):
        array = array.detach().cpu().numpy()
    array = np.asarray(array, dtype=dtype)
    if backend == "numpy":
        return array.copy()
    return torch_module().tensor(array, device=device)


def to_numpy(array):
    """Return a NumPy copy of a NumPy array or torch tensor."""
    if is_torch(array):
        return array.detach().cpu().numpy()
    return np.array(array)


def sigmoid(a):
    """Logistic sigmoid. NumPy has none, so it is written with tanh, which cannot
    overflow: ``(1 + tanh(a/2)) / 2``; torch's own ``sigmoid`` is one fused operation
    (its ``tanh`` alone costs more than that, on the CPU)."""
    if namespace(a) is np:
        return 0.5 * (np.tanh(0.5 * a) + 1.0)
    return a.sigmoid()


def max_last(x):
    """Maximum over the last axis (``np.max`` / ``torch.amax``), without keeping it."""
    return x.max(-1) if namespace(x) is np else x.amax(-1)


def sum_keep_last(x):
    """Sum over the last axis, keeping it as size 1: ``(..., S) -> (..., 1)``."""
    return x.sum(-1)[..., None]


def add_rows(target, index, rows):
    """``target[index[i]] += rows[i]`` with repeats accumulated (``np.add.at`` / ``index_add_``)."""
    if namespace(target) is np:
        np.add.at(target, index, rows)
    else:
        target.index_add_(0, index, rows)
    return target


def stack(arrays, axis):
    """``np.stack`` / ``torch.stack`` along ``axis``."""
    xp = namespace(arrays[0])
    return xp.stack(arrays, axis) if xp is np else xp.stack(arrays, dim=axis)


def concat(arrays, axis):
    """``np.concatenate`` / ``torch.cat`` along ``axis``."""
    xp = namespace(arrays[0])
    return xp.concatenate(arrays, axis) if xp is np else xp.cat(arrays, dim=axis)


def zeros_like(x, shape):
    """Zeros of ``shape`` with the dtype (and device) of ``x``."""
    if namespace(x) is np:
        return np.zeros(shape, dtype=x.dtype)
    return torch_module().zeros(shape, dtype=x.dtype, device=x.device)


def contiguous(x):
    """``x`` as one contiguous block in row-major order (a copy only if it is not already)."""
    return np.ascontiguousarray(x) if namespace(x) is np else x.contiguous()


def clone(x):
    """A copy of ``x`` that shares no memory with it."""
    return x.copy() if namespace(x) is np else x.clone()


#: Environment variables with which a user chooses the BLAS threads; any one set wins.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads(environ=None):
    """Give NumPy's BLAS one thread, unless the environment chooses (``import course_pkg`` calls it).

    The course's matrices are small (``H`` of 8 to 128): a BLAS library that starts one
    thread per core for each product spends more time waking and spinning threads than
    multiplying, and its threads fight torch's for the cores. ``make test`` and ``make lab``
    set ``OPENBLAS_NUM_THREADS=1``; a learner who starts ``jupyter lab`` or Colab themselves
    gets the same through this function (threadpoolctl). Setting any of
    ``THREAD_VARIABLES`` keeps the user's choice; :func:`course_pkg.bench.limit_threads`
    overrides it inside a timing.

    Args:
        environ: the environment to read (default ``os.environ``).

    Returns:
        the ``threadpoolctl.threadpool_limits`` object that holds the limit, or
        ``None`` where the environment chose or threadpoolctl is not installed.
    """
    import os

    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in THREAD_VARIABLES):
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                     # optional: without it the user's BLAS default holds
        return None
    return threadpool_limits(limits=1, user_api="blas")
