r"""Losses that hand back their gradient: softmax, softmax cross-entropy, mean squared error.

Every loss returns ``(loss, grad)``, the value and its gradient with respect to the
first argument (CS231n style), so a model's ``backward`` can start from ``grad``.
Values and gradients equal ``torch.nn.functional``'s, including ``ignore_index`` and
the three reductions. Inputs are NumPy arrays (float32 or float64) or, with the same
equations, torch tensors; the result has the input's type, dtype and device.

The softmax is computed stably: the row maximum is subtracted before exponentiating,

.. math::

    \operatorname{softmax}(z)_k = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}},
    \qquad m = \max_j z_j,

which changes nothing mathematically but keeps every exponent :math:`\le 0`.
"""
from __future__ import annotations

import math

import numpy as np

from . import _validate as V
from . import backend as B

REDUCTIONS = ("mean", "sum", "none")


# -- input checks -------------------------------------------------------------------------
def _check_axis(x, axis):
    V.check_int("axis", axis)
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"Expected axis in [-{x.ndim}, {x.ndim}) for an array of shape "
                         f"{tuple(x.shape)}, got {axis}")


def _same_kind(name, x, like):
    """``x`` as an array of the same back-end as ``like`` (lists become NumPy arrays)."""
    if B.is_torch(like) and not B.is_torch(x):
        raise TypeError(f"Expected {name} to be a torch.Tensor (like the first argument), got {type(x).__name__}")
    if not B.is_torch(like):
        if B.is_torch(x):
            raise TypeError(f"Expected {name} to be a numpy.ndarray (like the first argument), got Tensor")
        x = np.asarray(x)
    return x


def _is_integer(dtype):
    if isinstance(dtype, np.dtype):
        return np.issubdtype(dtype, np.integer)
    return not (dtype.is_floating_point or dtype.is_complex or str(dtype) == "torch.bool")


def _check_targets(logits, targets, ignore_index):
    """Validate ``cross_entropy``'s arguments; returns ``targets`` as an array."""
    V.check_array("logits", logits)
    if logits.ndim not in (2, 3) or logits.shape[-1] == 0:
        raise ValueError(f"Expected logits of shape (N, K) or (N, T, K) with K >= 1, got {tuple(logits.shape)}")
    V.check_int("ignore_index", ignore_index)
    targets = _same_kind("targets", targets, logits)
    if not _is_integer(targets.dtype):
        raise TypeError(f"Expected integer targets, got dtype {targets.dtype}")
    if tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"Expected targets of shape {tuple(logits.shape[:-1])} (logits.shape[:-1]), "
                         f"got {tuple(targets.shape)}")
    K = logits.shape[-1]
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= K))
    if bad.any():
        raise ValueError(f"Expected targets in [0, {K}) or equal to ignore_index={ignore_index}, "
                         f"got {int(targets[bad][0])}")
    return targets


# -- back-end helpers ---------------------------------------------------------------------
def _keepdims(x, op, axis):
    """``max`` or ``sum`` of ``x`` over ``axis``, keeping the axis (NumPy or torch)."""
    if B.namespace(x) is np:
        return getattr(x, op)(axis=axis, keepdims=True)
    return (x.amax if op == "max" else x.sum)(dim=axis, keepdim=True)


def _cast_like(mask, like):
    """A boolean array as ``like``'s dtype."""
    return mask.astype(like.dtype) if B.namespace(like) is np else mask.to(like.dtype)


def _arange(n, like):
    return np.arange(n) if B.namespace(like) is np else B.torch_module().arange(n, device=like.device)


# -- softmax ------------------------------------------------------------------------------
def log_softmax(logits, axis=-1):
    r"""Logarithm of the softmax along ``axis``, computed without overflow.

    .. math::

        \log \operatorname{softmax}(z)_k = (z_k - m) - \log \sum_j e^{z_j - m},
        \qquad m = \max_j z_j

    Args:
        logits: float array of any shape ``(..., K, ...)``.
        axis: the axis holding the ``K`` classes.

    Returns:
        Array of ``logits.shape``, same type and dtype.

    Raises:
        TypeError: if ``logits`` is not a float32/float64 array, or ``axis`` not an int.
        ValueError: if ``axis`` is out of range.
    """
    V.check_array("logits", logits)
    _check_axis(logits, axis)
    xp = B.namespace(logits)
    shifted = logits - _keepdims(logits, "max", axis)                     # every entry <= 0
    return shifted - xp.log(_keepdims(xp.exp(shifted), "sum", axis))


def softmax(logits, axis=-1):
    r"""Softmax along ``axis``, computed without overflow.

    .. math::

        \operatorname{softmax}(z)_k = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

    Args:
        logits: float array of any shape ``(..., K, ...)``.
        axis: the axis holding the ``K`` classes.

    Returns:
        Array of ``logits.shape`` whose entries along ``axis`` are positive and sum to 1.

    Raises:
        TypeError: if ``logits`` is not a float32/float64 array, or ``axis`` not an int.
        ValueError: if ``axis`` is out of range.
    """
    V.check_array("logits", logits)
    _check_axis(logits, axis)
    e = B.namespace(logits).exp(logits - _keepdims(logits, "max", axis))
    return e / _keepdims(e, "sum", axis)


# -- cross-entropy ------------------------------------------------------------------------
def cross_entropy(logits, targets, ignore_index=-100, reduction="mean"):
    r"""Softmax cross-entropy of integer targets, and its gradient with respect to the logits.

    For each position :math:`i` with target :math:`y_i \ne` ``ignore_index``:

    .. math::

        \ell_i = -\log \operatorname{softmax}(z_i)_{y_i}, \qquad
        \frac{\partial \ell_i}{\partial z_{ik}} = \operatorname{softmax}(z_i)_k - [k = y_i],

    and :math:`\ell_i = 0` with zero gradient where :math:`y_i =` ``ignore_index`` (padding).
    ``"mean"`` divides the sum by the number :math:`M` of targets not ignored, as
    ``torch.nn.functional.cross_entropy`` does; ``"sum"`` does not divide.

    Unlike torch, the classes are the *last* axis: pass ``(N, T, K)`` logits where torch
    wants ``(N, K, T)``.

    With every target ignored the mean is undefined (torch returns NaN): this function
    raises ``ValueError`` for ``reduction="mean"``; ``"sum"`` gives 0 and ``"none"`` zeros,
    both with a zero gradient, as in torch.

    Args:
        logits: unnormalised scores, ``(N, K)`` or ``(N, T, K)``, float32 or float64.
        targets: class indices in ``[0, K)`` or ``ignore_index``, integer, ``(N,)`` or
            ``(N, T)`` (``logits.shape[:-1]``).
        ignore_index: target value that contributes neither loss nor gradient.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        ``(loss, dlogits)``: ``loss`` a scalar (0-d) for ``"mean"``/``"sum"``, or the
        per-position losses of shape ``targets.shape`` (``(N,)`` or ``(N, T)``) for
        ``"none"``; ``dlogits`` of shape ``logits.shape``, the gradient of ``loss``
        (of ``loss.sum()`` for ``"none"``). Both have the logits' dtype.

    Raises:
        TypeError: if ``logits`` is not a float array, ``targets`` not integer (or not of
            the logits' back-end), ``ignore_index`` not an int, or ``reduction`` not a string.
        ValueError: on a wrong rank or shape, a target outside ``[0, K)`` other than
            ``ignore_index``, an unknown ``reduction``, or (for ``"mean"``) no target
            left once ``ignore_index`` is removed.
    """
    V.check_choice("reduction", reduction, REDUCTIONS)
    targets = _check_targets(logits, targets, ignore_index)
    xp = B.namespace(logits)
    K = logits.shape[-1]
    z = logits.reshape(-1, K)                    # (M, K), M = N or N*T
    y = targets.reshape(-1)                      # (M,)
    keep = y != ignore_index                     # (M,)
    count = int(keep.sum())
    if reduction == "mean" and count == 0:
        raise ValueError("Expected at least one target not equal to ignore_index, got none")
    safe = xp.where(keep, y, 0)                  # (M,) ignored rows point at class 0
    logp = log_softmax(z)                        # (M, K)
    nll = xp.where(keep, -logp[_arange(len(y), z), safe], 0.0)   # (M,)
    onehot = _cast_like(_arange(K, z)[None, :] == safe[:, None], z)   # (M, K)
    weight = _cast_like(keep, z)                 # (M,)
    if reduction == "mean":
        weight = weight / count
    dz = (xp.exp(logp) - onehot) * weight[:, None]   # (M, K)
    if reduction == "none":
        loss = nll.reshape(targets.shape)        # (N,) or (N, T)
    else:
        loss = nll.sum() / count if reduction == "mean" else nll.sum()
    return loss, dz.reshape(logits.shape)


# -- mean squared error ---------------------------------------------------------------------
def mse_loss(pred, target, reduction="mean"):
    r"""Squared error between ``pred`` and ``target``, and its gradient with respect to ``pred``.

    .. math::

        L_{\text{mean}} = \frac{1}{n}\sum_i (p_i - t_i)^2, \qquad
        \frac{\partial L_{\text{mean}}}{\partial p_i} = \frac{2}{n}(p_i - t_i)

    (``"sum"`` drops the :math:`1/n`; ``"none"`` keeps the element-wise squares).

    Args:
        pred: predictions, any shape, float32 or float64.
        target: targets of ``pred``'s shape and dtype.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        ``(loss, dpred)``: ``loss`` a scalar (0-d) for ``"mean"``/``"sum"`` or an array
        of ``pred.shape`` for ``"none"``; ``dpred`` of ``pred.shape``, the gradient of
        ``loss`` (of ``loss.sum()`` for ``"none"``).

    Raises:
        TypeError: if ``pred`` is not a float array, ``target``'s back-end or dtype differs,
            or ``reduction`` is not a string.
        ValueError: if the shapes differ, ``reduction`` is unknown, or ``pred`` is empty
            with ``reduction="mean"``.
    """
    V.check_choice("reduction", reduction, REDUCTIONS)
    V.check_array("pred", pred)
    target = _same_kind("target", target, pred)
    if target.dtype != pred.dtype:
        raise TypeError(f"Expected target of dtype {pred.dtype} (pred's), got {target.dtype}")
    if tuple(target.shape) != tuple(pred.shape):
        raise ValueError(f"Expected target of shape {tuple(pred.shape)} (pred's), got {tuple(target.shape)}")
    n = math.prod(pred.shape)
    if reduction == "mean" and n == 0:
        raise ValueError(f"Expected at least one element for reduction='mean', got shape {tuple(pred.shape)}")
    diff = pred - target
    if reduction == "none":
        return diff * diff, 2.0 * diff
    if reduction == "sum":
        return (diff * diff).sum(), 2.0 * diff
    return (diff * diff).sum() / n, diff * (2.0 / n)
