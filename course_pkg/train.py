"""Training utilities: seeds, devices, one ``fit`` loop for both back-ends, checkpoints.

The data protocol is the same for every model in the course. A data set is a tuple of
arrays ``(inputs..., target)`` that share their first axis (the examples)::

    SequenceClassifier   (x, y)                                   x (N, T, D), y (N,)
    SequenceTagger       (x, tags)                                tags (N, T)
    SequenceGenerator    (features, tokens_in, tokens_out)        tokens (N, T)
    Seq2Seq              (src, src_lengths, tgt_in, tgt_out)      tgt (N, T)
    RNN / torch.nn.RNN   (x, y)                                   the output is compared with y

:func:`fit` cuts it into mini-batches along axis 0 (shuffled each epoch, reproducibly
from ``seed``) and calls ``forward(model, *inputs)``, by default ``model(*inputs)``
(taking the first element when the model returns a tuple, as ``RNN`` returns
``(output, h_n)``). Pass ``forward`` to call it otherwise, e.g.
``forward=lambda m, x, lengths: m(x, lengths=lengths)``; an input may be ``None``
(passed on as is). Arrays are converted to the model: NumPy for the NumPy back-end,
tensors on the model's device for the torch back-end, floats cast to the model's dtype.

- NumPy back-end: the loss returns ``(loss, dpred)``; ``fit`` calls
  ``model.backward(dpred)``, reads ``model.grads`` and steps an optimiser of
  :mod:`course_pkg.optim` (Adam by default).
- torch back-end (a ``course_pkg`` model with ``backend="torch"`` or any
  ``torch.nn.Module``): ``loss.backward()`` and ``torch.optim`` (Adam by default) on
  ``model.parameters()``.

Checkpoints (:func:`save`, :func:`load`) are ``.npz`` or ``.pt`` files keyed exactly like
``state_dict()``; either loads into a model of either back-end, and a ``torch.nn``
state dict (e.g. of ``torch.nn.RNN``) loads into its ``course_pkg`` namesake.
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import sys
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as V
from . import backend as B
from . import losses
from . import metrics as M
from . import optim

__all__ = ["set_seed", "device", "fit", "evaluate", "predict", "History", "EarlyStopping", "save", "load"]

DEVICES = ("cpu", "cuda", "mps")
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("adam", "adamw", "sgd")
BUILTIN_METRICS = ("accuracy", "token_accuracy", "mse", "mae")
STEP_KEYS = ("step_loss", "grad_norm")          # per-step lists in History.as_dict()
CHECKPOINT_SUFFIXES = (".npz", ".pt", ".pth")


# -- small checks -------------------------------------------------------------------------------
def _torch_or_none():
    """The torch module, or ``None`` if it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _shape_str(shape):
    """``(32,)``, ``(32, K)``: a shape, possibly with symbolic sizes, as Python prints tuples."""
    parts = [str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


# -- seeds and devices --------------------------------------------------------------------------
def set_seed(seed):
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA) at once.

    ``course_pkg`` models draw their weights and dropout masks from their own ``seed=``
    argument; this seeds everything else (shuffles in a notebook, ``torch.nn`` layers,
    torch's dropout). torch is seeded only if it is installed.

    Args:
        seed: an int in ``[0, 2**32 - 1]``.

    Returns:
        None.

    Raises:
        TypeError: if ``seed`` is not an int.
        ValueError: if ``seed`` is outside ``[0, 2**32 - 1]``.
    """
    seed = V.check_int("seed", seed, low=0)
    if seed > 2 ** 32 - 1:
        raise ValueError(f"Expected seed <= 2**32 - 1, got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch = _torch_or_none()
    if torch is not None:
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)


def _unavailable(torch, kind, index):
    """Why device ``kind`` (``index``) cannot be used, or ``None`` if it can."""
    if kind == "cpu":
        return None
    if torch is None:
        return "torch is not installed"
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return None if mps is not None and mps.is_available() else \
            f"torch {torch.__version__} sees no Apple-silicon GPU (MPS)"
    if not torch.cuda.is_available():
        return (f"torch {torch.__version__} sees no CUDA GPU (a CPU-only build, or no GPU "
                "on this machine)")
    count = torch.cuda.device_count()
    if index is not None and index >= count:
        return f"torch sees {count} CUDA device(s), numbered from 0"
    return None


def device():
    """The torch device to train on: ``"cuda"``, else ``"mps"``, else ``"cpu"``.

    The environment variable ``COURSE_DEVICE`` overrides the choice: ``cpu``, ``cuda``,
    ``cuda:N``, ``mps``, or ``auto`` (or empty) for the default order. Pass the result
    as ``device=`` to a model with ``backend="torch"`` (the NumPy back-end is CPU only).

    Returns:
        str: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    Raises:
        ValueError: if ``COURSE_DEVICE`` holds an unknown value, or names a device that
            is not available here (with the reason).
    """
    raw = os.environ.get("COURSE_DEVICE", "")
    requested = raw.strip().lower()
    torch = _torch_or_none()
    if requested in ("", "auto"):
        return next(kind for kind in ("cuda", "mps", "cpu") if _unavailable(torch, kind, None) is None)
    kind, colon, index = requested.partition(":")
    if kind not in DEVICES or (colon and (kind != "cuda" or not index.isdigit())):
        raise ValueError(f"Expected COURSE_DEVICE to be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto', got {raw!r}")
    reason = _unavailable(torch, kind, int(index) if colon else None)
    if reason is not None:
        raise ValueError(f"Expected an available device for COURSE_DEVICE={raw!r}, got none: {reason}. "
                         "Unset COURSE_DEVICE (or set it to 'cpu') to train on the CPU")
    return requested


# -- history and early stopping -----------------------------------------------------------------
class History:
    """What :func:`fit` recorded, epoch by epoch and step by step.

    Per-epoch lists are attributes and items: ``history.loss`` (training loss),
    ``history.val_loss`` (empty without validation data), and for each metric ``m``
    ``history.m`` (on the training batches) and ``history.val_m``. Per step:
    ``step_loss`` and ``grad_norm`` (the global L2 norm of all gradients *before*
    clipping; empty with ``log_grad_norm=False``).

    Attributes:
        logs: ordered dict ``name -> list`` of the per-epoch values.
        step_loss, grad_norm: lists of floats, one per optimisation step.
        best_epoch: 1-based epoch with the best monitored value (``None`` before training).
        monitor: the name of that value (``"val_loss"`` with validation data, else ``"loss"``,
            or early stopping's ``monitor``).
        stopped_early: whether early stopping ended training before ``epochs``.

    Raises:
        TypeError: if ``monitor`` is neither ``None`` nor a string.
    """

    def __init__(self, monitor=None):
        V.check_type("monitor", monitor, (str, type(None)), "a str or None")
        self.logs = OrderedDict(loss=[], val_loss=[])
        self.step_loss, self.grad_norm = [], []
        self.best_epoch, self.monitor, self.stopped_early = None, monitor, False

    def __getattr__(self, name):
        logs = self.__dict__.get("logs")
        if logs is not None and name in logs:
            return logs[name]
        raise AttributeError(f"Expected an attribute or one of {list(logs or [])}, got {name!r}")

    def __getitem__(self, name):
        if name not in self.logs:
            raise KeyError(f"Expected one of {list(self.logs)}, got {name!r}")
        return self.logs[name]

    @property
    def epochs(self):
        """The epoch numbers ``[1, 2, ...]`` of the per-epoch lists."""
        return list(range(1, len(self.logs["loss"]) + 1))

    def as_dict(self):
        """A plain dict: the per-epoch lists, ``step_loss``, ``grad_norm``, ``best_epoch``,
        ``monitor``, ``stopped_early`` (floats, ints and bools only, ready for JSON)."""
        out = {k: [float(v) for v in vals] for k, vals in self.logs.items()}
        out.update(step_loss=list(self.step_loss), grad_norm=list(self.grad_norm),
                   best_epoch=self.best_epoch, monitor=self.monitor, stopped_early=self.stopped_early)
        return out

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.logs.items() if v)
        return (f"History({len(self.epochs)} epochs, {last}, best_epoch={self.best_epoch}, "
                f"stopped_early={self.stopped_early})")


@dataclass
class EarlyStopping:
    """Stop when a monitored value has not improved for ``patience`` epochs.

    Args:
        patience: epochs without improvement to tolerate (``>= 1``).
        monitor: ``"val_loss"``, ``"loss"``, a metric name or ``"val_" + metric``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``"min"`` for losses, ``mse`` and
            ``mae``; ``"max"`` otherwise, e.g. accuracy).
        min_delta: smallest change that counts as an improvement (``>= 0``).
        restore_best: load the best epoch's weights back at the end of training.

    Raises:
        TypeError, ValueError: on arguments of the wrong type or range.
    """

    patience: int = 5
    monitor: str = "val_loss"
    mode: str = "auto"
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self):
        self.patience = V.check_int("patience", self.patience, low=1)
        V.check_type("monitor", self.monitor, str, "a str")
        V.check_choice("mode", self.mode, ("min", "max", "auto"))
        self.min_delta = V.check_number("min_delta", self.min_delta, low=0)
        self.restore_best = V.check_bool("restore_best", self.restore_best)
        if self.mode == "auto":
            self.mode = "min" if self.monitor.endswith(("loss", "mse", "mae")) else "max"

    def improved(self, value, best):
        """Whether ``value`` beats ``best`` (``None``: nothing yet) by more than ``min_delta``."""
        if best is None:
            return True
        return value < best - self.min_delta if self.mode == "min" else value > best + self.min_delta


def _early_stopping(early_stopping):
    if early_stopping is None or isinstance(early_stopping, EarlyStopping):
        return early_stopping
    if isinstance(early_stopping, Mapping):
        return EarlyStopping(**early_stopping)
    if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
        return EarlyStopping(patience=int(early_stopping))
    raise TypeError(f"Expected early_stopping to be None, a patience (int), a dict or an EarlyStopping, "
                    f"got {type(early_stopping).__name__}")


# -- progress bar -------------------------------------------------------------------------------
class _NoBar:
    """A progress bar that shows nothing."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text, refresh=True):
        pass

    def set_description_str(self, text, refresh=True):
        pass

    def close(self):
        pass


def _stderr_is_tty():
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def _progress_bar(progress, total):
    """A tqdm bar on stderr if ``progress`` (``None``: if stderr is a terminal) and tqdm is installed."""
    if progress is None:
        progress = _stderr_is_tty()
    elif not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"Expected progress to be True, False or None, got {type(progress).__name__}")
    if not progress:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, file=sys.stderr, unit="step", dynamic_ncols=True, leave=True)


# -- data ---------------------------------------------------------------------------------------
def _check_data(name, data, n_arrays=None):
    """Validate ``(inputs..., target)``; returns ``(arrays, N)``."""
    if not isinstance(data, (tuple, list)) or len(data) < 2:
        got = f"{type(data).__name__} of length {len(data)}" if isinstance(data, (tuple, list)) \
            else type(data).__name__
        raise TypeError(f"Expected {name} to be a tuple (inputs..., target) of at least 2 arrays, got {got}")
    if n_arrays is not None and len(data) != n_arrays:
        raise ValueError(f"Expected {name} to hold {n_arrays} arrays like train_data, got {len(data)}")
    return _check_rows(name, data, target=True)


def _check_rows(name, data, target):
    """Arrays (``None`` allowed but for a target, the last) sharing axis 0; returns ``(arrays, N)``."""
    arrays = tuple(_as_array(f"{name}[{i}]", a, allow_none=not (target and i == len(data) - 1))
                   for i, a in enumerate(data))
    shapes = [tuple(a.shape) for a in arrays if a is not None]
    if not shapes:
        raise ValueError(f"Expected at least one array in {name}, got only None")
    if len({s[0] for s in shapes}) != 1:
        raise ValueError(f"Expected every array in {name} to have the same size along axis 0 "
                         f"(the examples), got shapes {shapes}")
    if shapes[0][0] == 0:
        raise ValueError(f"Expected at least one example in {name}, got shapes {shapes}")
    return arrays, shapes[0][0]


def _as_array(name, a, allow_none):
    if a is None:
        if allow_none:
            return None
        raise TypeError(f"Expected {name} (the target) to be an array, got None")
    if not (isinstance(a, np.ndarray) or B.is_torch(a)):
        a = np.asarray(a)
    if a.ndim == 0:
        raise ValueError(f"Expected {name} to have an axis of examples, got a 0-d array")
    return a


def _take(a, idx):
    """Rows ``idx`` of ``a`` (NumPy array, tensor or ``None``)."""
    if a is None:
        return None
    if B.is_torch(a):
        return a[B.torch_module().as_tensor(idx, device=a.device)]
    return a[idx]


def _batch_indices(n, batch_size, rng):
    """Index arrays of the mini-batches: a permutation from ``rng`` (``None``: in order)."""
    order = np.arange(n) if rng is None else rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _default_forward(model, *inputs):
    out = model(*inputs)
    return out[0] if isinstance(out, tuple) else out


def _default_backward(model, dpred):
    model.backward(dpred)
    if not isinstance(model.grads, Mapping):
        raise RuntimeError(f"Expected model.backward(dpred) to fill model.grads with a dict, "
                           f"got {type(model.grads).__name__}")
    return model.grads


# -- the model: back-end, conversion, forward and loss ------------------------------------------
def _is_torch_model(model):
    backend = getattr(model, "backend", None)
    if backend in B.BACKENDS:
        return backend == "torch"
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


class _Runner:
    """What fit, evaluate and predict share: back-end, conversions, forward and loss."""

    def __init__(self, model, loss=None, ignore_index=-100, forward=None, backward=None):
        if not callable(model):
            raise TypeError(f"Expected a model that can be called, got {type(model).__name__}")
        self.model, self.is_torch = model, _is_torch_model(model)
        self.torch = B.torch_module() if self.is_torch else None
        self.device, self.dtype = self._device_dtype()
        self.kind, self.loss_fn = (None, None) if loss is None else self._resolve_loss(loss)
        self.ignore_index = V.check_int("ignore_index", ignore_index)
        V.check_callable("forward", forward, none=True)
        V.check_callable("backward", backward, none=True)
        self.forward = forward or _default_forward
        self.backward = backward or _default_backward

    def _device_dtype(self):
        """The model's torch device (``None`` for NumPy) and float dtype name."""
        model = self.model
        if hasattr(model, "dtype") and hasattr(model, "backend"):
            return model.device, B.dtype_name(model.dtype)
        if not self.is_torch:
            raise TypeError(f"Expected a course_pkg model or a torch.nn.Module, got {type(model).__name__}")
        params = [p for p in model.parameters() if p.is_floating_point()]
        if not params:
            raise ValueError("Expected a torch.nn.Module with floating-point parameters, got none")
        return params[0].device, B.dtype_name(params[0].dtype)

    def _resolve_loss(self, loss):
        if callable(loss):
            return "custom", loss
        if loss not in LOSSES:
            raise ValueError(f"Expected loss 'cross_entropy', 'mse' or a callable (pred, target) -> "
                             f"(loss, dpred), got {loss!r}")
        return loss, None

    # -- conversion ------------------------------------------------------------------------------
    def convert(self, a, float_target=False):
        """``a`` as this model's kind of array: floats in its dtype, tensors on its device."""
        if a is None:
            return None
        if not self.is_torch:
            a = B.to_numpy(a) if B.is_torch(a) else a
            floating = np.issubdtype(a.dtype, np.floating) or (float_target and np.issubdtype(a.dtype, np.number))
            return a.astype(self.dtype, copy=False) if floating else a
        torch = self.torch
        t = a if B.is_torch(a) else torch.as_tensor(a)
        if t.is_floating_point() or (float_target and t.dtype != torch.bool):
            return t.to(device=self.device, dtype=getattr(torch, self.dtype))
        if t.dtype != torch.bool:
            t = t.long()
        return t.to(self.device)

    def batch(self, arrays, idx):
        """``(inputs, target)`` of the rows ``idx``, converted to the model."""
        rows = [self.convert(_take(a, idx)) for a in arrays[:-1]]
        target = self.convert(_take(arrays[-1], idx), float_target=self.kind == "mse")
        return rows, target

    def no_grad(self):
        return self.torch.no_grad() if self.is_torch else contextlib.nullcontext()

    # -- forward and loss --------------------------------------------------------------------------
    def predict(self, inputs):
        pred = self.forward(self.model, *inputs)
        want = "torch.Tensor" if self.is_torch else "numpy.ndarray"
        if B.is_torch(pred) != self.is_torch or not hasattr(pred, "shape"):
            raise TypeError(f"Expected forward to return a {want} (the model's back-end), got {type(pred).__name__}")
        return pred

    def loss(self, pred, target):
        """``(loss, dpred or None, count)``: count weighs the batch in the epoch mean."""
        if self.kind == "custom":
            return self._custom_loss(pred, target)
        if self.kind == "cross_entropy":
            count = int((target != self.ignore_index).sum())
            if not self.is_torch:
                value, dpred = losses.cross_entropy(pred, target, ignore_index=self.ignore_index)
                return value, dpred, count
            F = self.torch.nn.functional
            value = F.cross_entropy(pred.reshape(-1, pred.shape[-1]), target.reshape(-1),
                                    ignore_index=self.ignore_index)
            return value, None, count
        count = math.prod(target.shape)
        if not self.is_torch:
            value, dpred = losses.mse_loss(pred, target)
            return value, dpred, count
        return self.torch.nn.functional.mse_loss(pred, target), None, count

    def _custom_loss(self, pred, target):
        out = self.loss_fn(pred, target)
        value, dpred = out if isinstance(out, tuple) and len(out) == 2 else (out, None)
        if not self.is_torch and dpred is None:
            raise TypeError(f"Expected the loss to return (loss, dpred) for a NumPy model, got {type(out).__name__}")
        return value, dpred, int(target.shape[0])

    def keep(self, pred):
        """What metrics see of a prediction: labels (argmax) for cross-entropy, else the values."""
        pred = B.to_numpy(pred)
        return pred.argmax(-1) if self.kind == "cross_entropy" else pred

    # -- checks before training ------------------------------------------------------------------
    def check_targets(self, arrays, name):
        """Largest label of a cross-entropy target (``-1`` if none), after checking its values."""
        if self.kind != "cross_entropy":
            return -1
        target = B.to_numpy(arrays[-1])
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(f"Expected integer class labels as the target of {name} for cross-entropy, "
                            f"got dtype {target.dtype}")
        labels = target[target != self.ignore_index]
        if labels.size and labels.min() < 0:
            raise ValueError(f"Expected labels >= 0 (or ignore_index={self.ignore_index}) in {name}, "
                             f"got {labels.min()}")
        return int(labels.max(initial=-1))

    def check_first_batch(self, arrays, name, batch_size, max_label):
        """One forward pass (eval mode, no gradient) on the first batch; compare shapes."""
        idx = np.arange(min(batch_size, arrays[-1].shape[0]))
        inputs, target = self.batch(arrays, idx)
        was_training = self.model.training
        self.model.eval()
        try:
            with self.no_grad():
                pred = self.predict(inputs)
        finally:
            self.model.train(was_training)
        _check_shapes(tuple(pred.shape), tuple(target.shape), self.kind, max_label, name)


def _check_shapes(p, t, kind, max_label, name):
    """Compare a prediction's shape ``p`` with its target's ``t`` for the loss ``kind``."""
    if kind == "mse" and p != t:
        raise ValueError(f"Expected predictions of shape {_shape_str(t)} for targets of shape "
                         f"{_shape_str(t)} in {name} (mse compares them element by element), got {_shape_str(p)}")
    if kind != "cross_entropy":
        return
    if len(p) != len(t) + 1 or p[:-1] != t:
        raise ValueError(f"Expected predictions of shape {_shape_str(t + ('K',))} (K classes) for targets "
                         f"of shape {_shape_str(t)} in {name}, got {_shape_str(p)}")
    if max_label >= p[-1]:
        raise ValueError(f"Expected predictions of shape {_shape_str(t + ('K',))} with K >= {max_label + 1} "
                         f"(the targets of {name} hold labels up to {max_label}), got {_shape_str(p)}")


# -- optimiser, metrics -------------------------------------------------------------------------
def _make_optimizer(optimizer, runner, lr):
    if optimizer is None:
        optimizer = "adam"
    if isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZERS:
            raise ValueError(f"Expected optimizer in {list(OPTIMIZERS)} or an optimiser object, got {optimizer!r}")
        lr = V.check_number("lr", lr, low=0, low_open=True)
        if runner.is_torch:
            cls = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}[name]
            return getattr(runner.torch.optim, cls)(list(runner.model.parameters()), lr=lr)
        return {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD}[name](runner.model, lr=lr)
    expected = runner.torch.optim.Optimizer if runner.is_torch else optim.Optimizer
    if not isinstance(optimizer, expected):
        kind = "a torch.optim optimiser" if runner.is_torch else "a course_pkg.optim optimiser"
        raise TypeError(f"Expected {kind} for a {'torch' if runner.is_torch else 'NumPy'}-backend model, "
                        f"got {type(optimizer).__name__}")
    return optimizer


def _resolve_metrics(metrics, runner):
    """``{name: fn(pred, target) -> float}`` from names, callables or a dict of them."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    items = list(metrics.items()) if isinstance(metrics, Mapping) else [(None, m) for m in metrics]
    out = OrderedDict()
    for name, m in items:
        fn = _builtin_metric(m, runner) if isinstance(m, str) else m
        if not callable(fn):
            raise TypeError(f"Expected a metric name or a callable (pred, target) -> float, got {type(m).__name__}")
        name = name or (m if isinstance(m, str) else getattr(m, "__name__", "<lambda>"))
        if name == "<lambda>" or name in ("loss", "step_loss", "grad_norm") or name.startswith("val_"):
            raise ValueError(f"Expected a metric name other than 'loss', 'val_*' or '<lambda>', got {name!r}; "
                             "name a callable with a dict: metrics={'name': fn}")
        out[name] = fn
    return out


def _builtin_metric(name, runner):
    if name not in BUILTIN_METRICS:
        raise ValueError(f"Expected a metric in {list(BUILTIN_METRICS)} or a callable, got {name!r}")
    ignore = runner.ignore_index if runner.kind == "cross_entropy" else None
    return {"accuracy": lambda p, t: M.accuracy(p, t, ignore_index=ignore),
            "token_accuracy": lambda p, t: M.token_accuracy(p, t, ignore_index=ignore),
            "mse": M.mse, "mae": M.mae}[name]


def _to_float(value):
    """A scalar loss (NumPy, or a tensor that may require grad) as a Python float."""
    return float(value.detach()) if B.is_torch(value) else float(value)


def _grad_norm(grads, runner):
    """Global L2 norm of all gradients (a dict of arrays, or a list of tensors), as a float."""
    if runner.is_torch:
        linalg = runner.torch.linalg
        if not grads:
            return 0.0
        return float(linalg.vector_norm(runner.torch.stack([linalg.vector_norm(g.detach()) for g in grads])))
    return float(optim.grad_norm(grads))


# -- the loop -----------------------------------------------------------------------------------
class _Trainer:
    """One :func:`fit` call: the optimiser, the epochs, the history."""

    def __init__(self, runner, optimizer, clip_norm, clip_value, log_grad_norm, metrics):
        self.runner, self.opt, self.metrics = runner, optimizer, metrics
        self.clip_norm, self.clip_value, self.log_grad_norm = clip_norm, clip_value, log_grad_norm

    def step(self, inputs, target, where):
        """Forward, loss, backward, clip, update; returns ``(loss, count, prediction, grad norm)``."""
        r = self.runner
        pred = r.predict(inputs)
        value, dpred, count = r.loss(pred, target)
        loss = _to_float(value)
        if not math.isfinite(loss):
            raise FloatingPointError(f"Expected a finite loss, got {loss} at {where}; lower the learning "
                                     "rate, clip the gradients (clip_norm=1.0) or check the data for NaN/inf")
        norm = self._update_torch(value) if r.is_torch else self._update_numpy(dpred)
        return loss, count, pred, norm

    def _update_numpy(self, dpred):
        grads = self.runner.backward(self.runner.model, dpred)
        norm = _grad_norm(grads, self.runner) if self.log_grad_norm else None
        if self.clip_value is not None:
            optim.clip_grad_value_(grads, self.clip_value)
        if self.clip_norm is not None:
            optim.clip_grad_norm_(grads, self.clip_norm)
        self.opt.step(grads)
        return norm

    def _update_torch(self, value):
        utils = self.runner.torch.nn.utils
        self.opt.zero_grad(set_to_none=True)
        value.backward()
        params = [p for p in self.runner.model.parameters() if p.grad is not None]
        norm = _grad_norm([p.grad for p in params], self.runner) if self.log_grad_norm else None
        if self.clip_value is not None:
            utils.clip_grad_value_(params, self.clip_value)
        if self.clip_norm is not None:
            utils.clip_grad_norm_(params, self.clip_norm)
        self.opt.step()
        return norm

    def epoch(self, arrays, batches, epoch, epochs, history, bar):
        """Train on every batch once; returns ``(mean loss, kept predictions, targets)``."""
        self.runner.model.train()
        total = weight = 0.0
        preds, targets = [], []
        for step, idx in enumerate(batches, 1):
            inputs, target = self.runner.batch(arrays, idx)
            where = f"epoch {epoch}/{epochs}, step {step}/{len(batches)} (step {len(history.step_loss) + 1} overall)"
            loss, count, pred, norm = self.step(inputs, target, where)
            total, weight = total + loss * count, weight + count
            history.step_loss.append(loss)
            if norm is not None:
                history.grad_norm.append(norm)
            if self.metrics:
                preds.append(self.runner.keep(pred))
                targets.append(B.to_numpy(target))
            bar.update(1)
            bar.set_postfix_str(f"loss={loss:.4f}", refresh=False)
        return total / max(weight, 1), preds, targets


def _evaluate(runner, arrays, batch_size, keep_preds):
    """Mean loss over ``arrays`` in eval mode, and the kept predictions and targets."""
    was_training = runner.model.training
    runner.model.eval()
    total = weight = 0.0
    preds, targets = [], []
    try:
        with runner.no_grad():
            for idx in _batch_indices(arrays[-1].shape[0], batch_size, None):
                inputs, target = runner.batch(arrays, idx)
                pred = runner.predict(inputs)
                value, _, count = runner.loss(pred, target)
                total, weight = total + _to_float(value) * count, weight + count
                if keep_preds:
                    preds.append(runner.keep(pred))
                    targets.append(B.to_numpy(target))
    finally:
        runner.model.train(was_training)
    return total / max(weight, 1), preds, targets


def _score(metrics, preds, targets, prefix, logs):
    if not metrics:
        return
    pred, target = np.concatenate(preds, 0), np.concatenate(targets, 0)
    for name, fn in metrics.items():
        logs.setdefault(prefix + name, []).append(float(fn(pred, target)))


def _snapshot(model):
    """A copy of the weights (to restore the best epoch)."""
    return OrderedDict((k, v.detach().clone() if B.is_torch(v) else v.copy()) for k, v in model.state_dict().items())


def fit(model, train_data, *, loss, val_data=None, epochs, optimizer=None, lr=1e-3, batch_size=32,
        clip_norm=None, clip_value=None, metrics=(), early_stopping=None, progress=None, seed=0,
        log_grad_norm=True, forward=None, backward=None, ignore_index=-100, shuffle=True):
    """Train ``model`` with mini-batch gradient descent; NumPy and torch back-ends alike.

    Each epoch shuffles the examples (from ``seed``), and for each mini-batch runs
    ``pred = forward(model, *inputs)``, the loss, the gradients (``model.backward(dpred)``
    on NumPy, ``loss.backward()`` on torch), logs their global norm, clips them (by
    value, then by global norm) and updates the weights. After the epoch the model is
    scored on ``val_data`` in eval mode (dropout off, no gradients). Before the first
    step one forward pass on the first batch checks that the prediction fits the
    target, so a wrong head size fails at once with both shapes in the message.

    Args:
        model: a ``course_pkg`` model (either back-end) or a ``torch.nn.Module``.
        train_data: ``(inputs..., target)``, arrays (or tensors) sharing axis 0; see the
            module docstring for each model's layout.
        loss: ``"cross_entropy"`` (prediction ``(N, K)`` or ``(N, T, K)`` against integer
            targets ``(N,)`` or ``(N, T)``; ``ignore_index`` marks padding), ``"mse"``
            (same shapes), or a callable ``(pred, target) -> (loss, dpred)`` (on torch it
            may return the loss tensor alone).
        val_data: optional validation set, laid out like ``train_data``.
        epochs: number of passes over ``train_data`` (``>= 1``).
        optimizer: ``None``/``"adam"``, ``"adamw"``, ``"sgd"`` (built with ``lr`` for the
            model's back-end), or a ready optimiser: :mod:`course_pkg.optim` for NumPy
            models, ``torch.optim`` for torch ones (``lr`` is then ignored).
        lr: learning rate of an optimiser built here.
        batch_size: examples per step (the last batch may be smaller).
        clip_norm: clip the global L2 norm of the gradients to this value.
        clip_value: clamp every gradient entry into ``[-clip_value, clip_value]``.
        metrics: names (``"accuracy"``, ``"token_accuracy"``, ``"mse"``, ``"mae"``),
            callables ``(pred, target) -> float`` or a dict ``name -> either``. They see
            the whole epoch at once: predicted labels (argmax) for cross-entropy, the raw
            predictions otherwise, as NumPy arrays. Training metrics are computed from
            the predictions made while training (as Keras does).
        early_stopping: ``None``, a patience (int: ``EarlyStopping(patience)`` on
            ``val_loss``), a dict of :class:`EarlyStopping` arguments, or an
            :class:`EarlyStopping`. With ``restore_best`` the best epoch's weights are
            loaded back at the end.
        progress: ``True``/``False``, or ``None`` to show a tqdm bar only when stderr is
            a terminal (so notebooks and tests stay quiet). Nothing is printed when off;
            without tqdm installed there is no bar.
        seed: seed of the shuffles (``None``: not reproducible). Weights and dropout
            come from the model's own seed; see :func:`set_seed` for the rest.
        log_grad_norm: record the global gradient norm (before clipping) every step.
        forward: ``forward(model, *inputs) -> prediction``; default ``model(*inputs)``
            (its first element if it returns a tuple).
        backward: NumPy only, ``backward(model, dpred) -> grads`` keyed like
            ``state_dict()``; default ``model.backward(dpred)`` then ``model.grads``.
        ignore_index: the target value that cross-entropy and the accuracies skip.
        shuffle: shuffle the training examples each epoch.

    Returns:
        History: per-epoch ``loss``, ``val_loss`` and metrics (``m`` and ``val_m``),
        per-step ``step_loss`` and ``grad_norm``, ``best_epoch``, ``stopped_early``.
        The model keeps the last weights, or the best epoch's with early stopping's
        ``restore_best``, and is left in the mode (train/eval) it was in.

    Raises:
        TypeError: on arguments of the wrong type (a NumPy optimiser for a torch model,
            float targets for cross-entropy, ...).
        ValueError: on bad values, arrays whose sizes along axis 0 differ, or a
            prediction whose shape does not fit the target (raised before training).
        FloatingPointError: if the loss becomes NaN or infinite (says at which epoch and step).
    """
    runner = _Runner(model, loss, ignore_index, forward, backward)
    arrays, n = _check_data("train_data", train_data)
    val = None if val_data is None else _check_data("val_data", val_data, len(arrays))[0]
    epochs, batch_size = V.check_int("epochs", epochs, low=1), V.check_int("batch_size", batch_size, low=1)
    seed = V.check_int("seed", seed, low=0, none=True)
    shuffle, log_grad_norm = V.check_bool("shuffle", shuffle), V.check_bool("log_grad_norm", log_grad_norm)
    clip_norm, clip_value = (V.check_number(name, value, low=0, low_open=True, none=True)
                             for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)))
    metric_fns = _resolve_metrics(metrics, runner)
    stopper = _early_stopping(early_stopping)
    monitor = _monitor(stopper, val, metric_fns)
    for name, data in (("train_data", arrays), ("val_data", val)):
        if data is not None:
            runner.check_first_batch(data, name, batch_size, runner.check_targets(data, name))
    trainer = _Trainer(runner, _make_optimizer(optimizer, runner, lr), clip_norm, clip_value,
                       log_grad_norm, metric_fns)
    rng = np.random.default_rng(seed) if shuffle else None
    history = History(monitor)
    was_training = model.training
    bar = _progress_bar(progress, epochs * math.ceil(n / batch_size))
    try:
        _loop(trainer, arrays, val, n, batch_size, rng, epochs, stopper, history, bar)
    finally:
        bar.close()
        model.train(was_training)
    return history


def _monitor(stopper, val, metric_fns):
    """The name of the value that decides the best epoch; checked against what will be logged."""
    default = "val_loss" if val is not None else "loss"
    name = default if stopper is None else stopper.monitor
    known = ["loss", *metric_fns] + (["val_loss", *("val_" + m for m in metric_fns)] if val is not None else [])
    if name not in known:
        hint = " (pass val_data, or monitor='loss')" if name.startswith("val_") and val is None else ""
        raise ValueError(f"Expected early_stopping's monitor in {known}{hint}, got {name!r}")
    return name


def _loop(trainer, arrays, val, n, batch_size, rng, epochs, stopper, history, bar):
    runner = trainer.runner
    rule = stopper or EarlyStopping(patience=1, monitor=history.monitor, restore_best=False)
    best, best_state, waited = None, None, 0
    for epoch in range(1, epochs + 1):
        bar.set_description_str(f"epoch {epoch}/{epochs}", refresh=False)
        loss, preds, targets = trainer.epoch(arrays, _batch_indices(n, batch_size, rng), epoch, epochs, history, bar)
        history.logs["loss"].append(loss)
        _score(trainer.metrics, preds, targets, "", history.logs)
        if val is not None:
            val_loss, vpreds, vtargets = _evaluate(runner, val, batch_size, bool(trainer.metrics))
            if not math.isfinite(val_loss):
                raise FloatingPointError(f"Expected a finite validation loss, got {val_loss} after epoch {epoch}")
            history.logs["val_loss"].append(val_loss)
            _score(trainer.metrics, vpreds, vtargets, "val_", history.logs)
            bar.set_postfix_str(f"loss={loss:.4f} val_loss={val_loss:.4f}", refresh=False)
        value = history.logs[history.monitor][-1]
        if rule.improved(value, best):
            best, waited, history.best_epoch = value, 0, epoch
            if stopper is not None and stopper.restore_best:
                best_state = _snapshot(runner.model)
        else:
            waited += 1
        if stopper is not None and waited >= stopper.patience and epoch < epochs:
            history.stopped_early = True
            break
    if best_state is not None:
        runner.model.load_state_dict(best_state)


# -- evaluation and prediction ------------------------------------------------------------------
def evaluate(model, data, *, loss, batch_size=32, metrics=(), ignore_index=-100, forward=None):
    """Loss and metrics of ``model`` on ``data``, in eval mode, without changing the weights.

    Args:
        model, loss, metrics, ignore_index, forward: as for :func:`fit`.
        data: ``(inputs..., target)``, as ``val_data`` of :func:`fit`.
        batch_size: examples per forward pass.

    Returns:
        dict: ``{"loss": float, metric name: float, ...}``.

    Raises:
        TypeError, ValueError: as :func:`fit`, for the same mistakes.
    """
    runner = _Runner(model, loss, ignore_index, forward)
    arrays, _ = _check_data("data", data)
    batch_size = V.check_int("batch_size", batch_size, low=1)
    metric_fns = _resolve_metrics(metrics, runner)
    runner.check_first_batch(arrays, "data", batch_size, runner.check_targets(arrays, "data"))
    value, preds, targets = _evaluate(runner, arrays, batch_size, bool(metric_fns))
    logs = {}
    _score(metric_fns, preds, targets, "", logs)
    return {"loss": value, **{k: v[0] for k, v in logs.items()}}


def predict(model, inputs, *, batch_size=32, forward=None):
    """The model's predictions for ``inputs``, batch by batch, in eval mode, as one NumPy array.

    Args:
        model, forward: as for :func:`fit`.
        inputs: a tuple of input arrays sharing axis 0 (no target), or one array.
        batch_size: examples per forward pass.

    Returns:
        numpy.ndarray: the predictions concatenated along axis 0, e.g. logits ``(N, K)``.

    Raises:
        TypeError, ValueError: on inputs of the wrong kind or sizes along axis 0 that differ.
    """
    runner = _Runner(model, forward=forward)
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    arrays, n = _check_rows("inputs", inputs, target=False)
    batch_size = V.check_int("batch_size", batch_size, low=1)
    was_training = model.training
    model.eval()
    try:
        with runner.no_grad():
            out = [B.to_numpy(runner.predict([runner.convert(_take(a, idx)) for a in arrays]))
                   for idx in _batch_indices(n, batch_size, None)]
    finally:
        model.train(was_training)
    return np.concatenate(out, 0)


# -- checkpoints --------------------------------------------------------------------------------
def _checkpoint_path(path, model=None):
    """``path`` as a Path with a known suffix (the model's default added if it has none)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"Expected path to be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    if path.suffix == "" and model is not None:
        path = path.with_suffix(".pt" if _is_torch_model(model) else ".npz")
    if path.suffix not in CHECKPOINT_SUFFIXES:
        raise ValueError(f"Expected a checkpoint path ending in .npz, .pt or .pth, got {str(path)!r}")
    return path


def _state_dict_of(model):
    if not hasattr(model, "state_dict") or not hasattr(model, "load_state_dict"):
        raise TypeError(f"Expected a model with state_dict() and load_state_dict(), got {type(model).__name__}")
    return model.state_dict()


def save(model, path):
    """Write ``model.state_dict()`` to ``path``: ``.npz`` (NumPy) or ``.pt``/``.pth`` (torch).

    The format follows the suffix, whatever the model's back-end; a path without a
    suffix gets the back-end's own (``.npz`` for NumPy, ``.pt`` for torch). Keys are the
    ``state_dict`` names (``rnn.weight_ih_l0``, ``head.bias``), values the arrays only
    (a ``.pt`` file holds CPU tensors, readable with ``torch.load(weights_only=True)``).

    Args:
        model: a ``course_pkg`` model (either back-end) or a ``torch.nn.Module``.
        path: file to write (``str`` or ``os.PathLike``).

    Returns:
        pathlib.Path: the file written.

    Raises:
        TypeError: if ``model`` has no ``state_dict`` or ``path`` is not a path.
        ValueError: if the suffix is not ``.npz``, ``.pt`` or ``.pth``.
        ImportError: for a ``.pt`` file without torch installed.
    """
    path = _checkpoint_path(path, model)
    state = _state_dict_of(model)
    if path.suffix == ".npz":
        with open(path, "wb") as f:
            np.savez(f, **{k: B.to_numpy(v) for k, v in state.items()})
    else:
        torch = B.torch_module()
        tensors = OrderedDict((k, v.detach().cpu().clone() if B.is_torch(v) else torch.from_numpy(np.array(v)))
                              for k, v in state.items())
        torch.save(tensors, path)
    return path


def _read_checkpoint(path):
    """``name -> array`` from a ``.npz`` or ``.pt`` file, or a ``ValueError`` naming the file and what is wrong.

    A file that does not parse makes NumPy and torch raise almost anything (``EOFError``,
    ``BadZipFile``, ``UnpicklingError``, ``IndexError`` ...), often with advice to load it
    unsafely; the message here says what the file is not, and the chain is cut so that
    advice is not shown.
    """
    if not path.is_file():
        raise FileNotFoundError(f"Expected an existing checkpoint file, got {str(path)!r}")
    reader, what = (_read_npz, "a .npz archive of arrays") if path.suffix == ".npz" else \
        (_read_pt, "a torch.save file of tensors")
    state, failure = None, None
    try:
        state = reader(path)
    except (PermissionError, ImportError):
        raise
    except Exception as e:   # noqa: BLE001 -- see the docstring
        failure = type(e).__name__
    if failure is not None:   # raised outside the handler, so the original error is not attached
        reason = CHECKPOINT_ERRORS.get(failure, "it is corrupted, truncated or of another format")
        raise ValueError(f"Expected {str(path)!r} to be a checkpoint ({what}, as save() writes), "
                         f"got a file that cannot be read as one ({failure}): {reason}")
    if not isinstance(state, Mapping) or not all(isinstance(v, np.ndarray) or B.is_torch(v) for v in state.values()):
        raise ValueError(f"Expected {str(path)!r} to hold a state dict (name -> tensor), got {type(state).__name__}"
                         + (f" with keys {list(state)[:5]}" if isinstance(state, Mapping) else ""))
    return OrderedDict(state)


CHECKPOINT_ERRORS = {
    "UnpicklingError": "it holds Python objects other than arrays and tensors, and only those are loaded",
    "EOFError": "it is empty or truncated",
    "BadZipFile": "it is not a complete zip archive (truncated or corrupted)",
}


def _read_npz(path):
    with np.load(path, allow_pickle=False) as f:   # pickled data and object arrays raise ValueError
        return OrderedDict((k, f[k]) for k in f.files)


def _read_pt(path):
    with warnings.catch_warnings():   # torch's note on the pickle protocol of a file it then refuses
        warnings.filterwarnings("ignore", message="Detected pickle protocol")
        return B.torch_module().load(path, map_location="cpu", weights_only=True)


def load(model, path):
    """Load a checkpoint written by :func:`save` (or ``torch.save(module.state_dict())``) into ``model``.

    Either format loads into either back-end: arrays are converted to the model's
    back-end, dtype and device. Keys and shapes must match the model's ``state_dict``
    (a ``torch.nn.RNN``/``LSTM``/``GRU`` checkpoint loads into ``course_pkg.RNN``/...).

    Args:
        model: a ``course_pkg`` model or a ``torch.nn.Module``; changed in place.
        path: a ``.npz``, ``.pt`` or ``.pth`` file.

    Returns:
        the model.

    Raises:
        TypeError: if ``model`` has no ``load_state_dict``, ``path`` is not a path, or an
            entry of the file is not real-valued.
        ValueError: on an unknown suffix, a file that is not a checkpoint (corrupted,
            truncated, of another format, holding objects other than arrays; the message
            names the file), or keys or shapes that do not match the model.
        RuntimeError: as ``torch.nn.Module.load_state_dict``, for a ``torch.nn`` model.
        FileNotFoundError: if the file does not exist.
    """
    path = _checkpoint_path(path)
    _state_dict_of(model)
    state = _read_checkpoint(path)
    if _is_torch_model(model) and not hasattr(model, "backend"):
        torch = B.torch_module()
        state = OrderedDict((k, v if B.is_torch(v) else torch.from_numpy(v)) for k, v in state.items())
    try:
        model.load_state_dict(state)
    except (TypeError, ValueError, RuntimeError) as e:   # RuntimeError: torch.nn's key mismatch
        raise type(e)(f"Expected {str(path)!r} to hold a state dict that fits the {type(model).__name__}, "
                      f"got one that does not: {e}") from e
    return model
