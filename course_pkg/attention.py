r"""Attention (注意力机制): dot-product (Luong) and additive (Bahdanau) scores, masked softmax.

For queries :math:`\mathbf{q}_t` (decoder states), keys :math:`\mathbf{k}_s` and values
:math:`\mathbf{v}_s` (usually both the encoder outputs) and a padding mask :math:`m_s`:

.. math::

    e_{ts} = \begin{cases} \mathbf{q}_t \mathbf{k}_s^\top & \text{dot (Luong)} \\
             \tanh(\mathbf{q}_t W_q^\top + \mathbf{k}_s W_k^\top)\, \mathbf{v}^\top & \text{additive (Bahdanau)}
             \end{cases}, \qquad
    \alpha_{ts} = \frac{m_s\, e^{e_{ts}}}{\sum_{s'} m_{s'} e^{e_{ts'}}}, \qquad
    \mathbf{c}_t = \sum_s \alpha_{ts} \mathbf{v}_s .

The weights :math:`\alpha_{ts}` are exactly 0 on padded positions and sum to 1 over the
valid ones. A sequence with no valid position has no distribution to attend with, so it
raises ``ValueError`` instead of returning NaN. Shapes are batch-first: queries
``(N, T, Hq)``, keys ``(N, S, Hk)``, values ``(N, S, Hv)``, mask ``(N, S)``; every
function runs on NumPy arrays and torch tensors alike.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from . import _validate as V
from . import backend as B
from .layers import ModuleBase


def masked_softmax(scores, mask=None):
    """Softmax over the last axis of ``scores`` ``(N, T, S)``, with padded positions exactly 0.

    Args:
        scores: attention scores, shape ``(N, T, S)``.
        mask: ``(N, S)``, 1 (or True) where valid, 0 where padding; ``None`` for no padding.

    Raises:
        TypeError: if ``scores`` is not a float array, or ``mask`` not an array of its back-end.
        ValueError: if the mask's shape differs from ``(N, S)`` or a row has no valid position.
    """
    V.check_array("scores", scores)
    if mask is not None:
        if B.is_torch(mask) != B.is_torch(scores) or not hasattr(mask, "shape"):
            kind = "a torch.Tensor" if B.is_torch(scores) else "a numpy.ndarray"
            raise TypeError(f"Expected mask to be None or {kind} (like the scores), got {type(mask).__name__}")
        N, _, S = scores.shape
        if tuple(mask.shape) != (N, S):
            raise ValueError(f"Expected mask of shape {(N, S)}, got {tuple(mask.shape)}")
        if N and (B.to_numpy(mask).reshape(N, S) > 0).sum(-1).min() == 0:
            raise ValueError("Expected every sequence to have at least one valid position "
                             "(length >= 1), got one with none")
        scores = B.namespace(scores).where(mask[:, None, :] > 0, scores, -math.inf)
    e = B.namespace(scores).exp(scores - B.max_last(scores)[..., None])   # (N, T, S)
    return e / B.sum_keep_last(e)


def _softmax_backward(dweights, weights):
    """Gradient of the scores from the gradient of softmax weights (last axis)."""
    return weights * (dweights - B.sum_keep_last(dweights * weights))


def _check(query, keys, values, params=None):
    """Arrays of one back-end and float dtype (query's), batch-first, ``S >= 1``."""
    V.check_array("query", query)
    like = dict(backend="torch" if B.is_torch(query) else "numpy", dtype=V.dtype_name(query.dtype),
                dtype_note=" (query's dtype)")
    for name, x in (("keys", keys), ("values", values), *(params or {}).items()):
        V.check_array(name, x, **like)
    if query.ndim != 3 or keys.ndim != 3 or values.ndim != 3:
        raise ValueError(f"Expected query (N, T, Hq), keys (N, S, Hk), values (N, S, Hv), got "
                         f"{tuple(query.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}")
    if not query.shape[0] == keys.shape[0] == values.shape[0] or keys.shape[1] != values.shape[1]:
        raise ValueError(f"Expected keys and values with the batch and length of query and of each "
                         f"other, got {tuple(query.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}")
    if keys.shape[1] == 0:
        raise ValueError(f"Expected keys with at least one position (S >= 1), got shape {tuple(keys.shape)}")


def _attend(scores, values, mask):
    weights = masked_softmax(scores, mask)                        # (N, T, S)
    return weights @ values, weights                              # (N, T, Hv)


def _attend_backward(dcontext, values, weights):
    dweights = dcontext @ values.swapaxes(-1, -2)                 # (N, T, S)
    dvalues = weights.swapaxes(-1, -2) @ dcontext                 # (N, S, Hv)
    return _softmax_backward(dweights, weights), dvalues


def dot_attention_forward(query, keys, values, mask=None, scale=1.0):
    """Dot-product (Luong) attention: ``e_ts = scale * q_t . k_s``.

    Args:
        query: ``(N, T, H)``; keys: ``(N, S, H)``; values: ``(N, S, Hv)``;
        mask: ``(N, S)`` or ``None``; scale: a number (``1/sqrt(H)`` gives scaled dot-product).

    Returns:
        ``(context (N, T, Hv), weights (N, T, S), cache)``.

    Raises:
        TypeError: if an array is not of ``query``'s back-end and float dtype.
        ValueError: on shapes that disagree or an empty sequence.
    """
    _check(query, keys, values)
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(f"Expected query and keys of the same size, got {query.shape[-1]} and {keys.shape[-1]}")
    scores = (query @ keys.swapaxes(-1, -2)) * scale              # (N, T, S)
    context, weights = _attend(scores, values, mask)
    return context, weights, (query, keys, values, weights, scale)


def _check_backward(dcontext, cache, size, forward):
    """The cache of ``forward`` (a tuple of ``size``) and ``dcontext`` shaped like its context ``(N, T, Hv)``."""
    if not (isinstance(cache, tuple) and len(cache) == size):
        raise TypeError(f"Expected cache to be the cache {forward}() returned, got {type(cache).__name__}")
    query, values, weights = cache[0], cache[2], cache[3]
    V.check_array("dcontext", dcontext, "torch" if B.is_torch(query) else "numpy", V.dtype_name(query.dtype),
                  dtype_note=" (the forward's dtype)")
    V.check_shape("dcontext", dcontext, tuple(weights.shape[:2]) + tuple(values.shape[-1:]))


def dot_attention_backward(dcontext, cache):
    """Backward of :func:`dot_attention_forward`: ``-> (dquery, dkeys, dvalues)``.

    Raises:
        TypeError: if ``cache`` is not :func:`dot_attention_forward`'s, or ``dcontext`` not
            an array of its back-end and dtype.
        ValueError: if ``dcontext`` is not shaped like the context ``(N, T, Hv)``.
    """
    _check_backward(dcontext, cache, 5, "dot_attention_forward")
    query, keys, values, weights, scale = cache
    dscores, dvalues = _attend_backward(dcontext, values, weights)
    dscores = dscores * scale
    return dscores @ keys, dscores.swapaxes(-1, -2) @ query, dvalues


def additive_attention_forward(query, keys, values, params, mask=None):
    """Additive (Bahdanau) attention: ``e_ts = tanh(q_t W_q^T + k_s W_k^T) . v``.

    Args:
        query: ``(N, T, Hq)``; keys: ``(N, S, Hk)``; values: ``(N, S, Hv)``; mask: ``(N, S)`` or ``None``.
        params: ``W_q (A, Hq)``, ``W_k (A, Hk)``, ``v (A,)``.

    Returns:
        ``(context (N, T, Hv), weights (N, T, S), cache)``.

    Raises:
        TypeError: if ``params`` is not a dict, or an array is not of ``query``'s back-end
            and float dtype.
        ValueError: on shapes that disagree, a missing parameter, or an empty sequence.
    """
    V.check_type("params", params, Mapping, "a dict with W_q, W_k and v")
    missing = [k for k in ("W_q", "W_k", "v") if k not in params]
    if missing:
        raise ValueError(f"Expected params to hold W_q, W_k and v, got keys {sorted(params)}")
    _check(query, keys, values, {f"params[{k!r}]": params[k] for k in ("W_q", "W_k", "v")})
    W_q, W_k, v = params["W_q"], params["W_k"], params["v"]
    if (W_q.ndim != 2 or W_q.shape[1] != query.shape[-1] or tuple(W_k.shape) != (W_q.shape[0], keys.shape[-1])
            or tuple(v.shape) != W_q.shape[:1]):
        raise ValueError(f"Expected W_q (A, {query.shape[-1]}), W_k (A, {keys.shape[-1]}) and v (A,), "
                         f"got {tuple(W_q.shape)}, {tuple(W_k.shape)} and {tuple(v.shape)}")
    qp, kp = query @ W_q.T, keys @ W_k.T                          # (N, T, A), (N, S, A)
    e = B.namespace(qp).tanh(qp[:, :, None, :] + kp[:, None, :, :])   # (N, T, S, A)
    scores = e @ v                                                # (N, T, S)
    context, weights = _attend(scores, values, mask)
    return context, weights, (query, keys, values, weights, params, e)


def additive_attention_backward(dcontext, cache):
    """Backward of :func:`additive_attention_forward`: ``-> (dquery, dkeys, dvalues, grads)``.

    Raises:
        TypeError: if ``cache`` is not :func:`additive_attention_forward`'s, or ``dcontext``
            not an array of its back-end and dtype.
        ValueError: if ``dcontext`` is not shaped like the context ``(N, T, Hv)``.
    """
    _check_backward(dcontext, cache, 6, "additive_attention_forward")
    query, keys, values, weights, params, e = cache
    A = e.shape[-1]
    dscores, dvalues = _attend_backward(dcontext, values, weights)
    grads = {"v": (dscores[..., None] * e).reshape(-1, A).sum(0)}            # (A,)
    da = dscores[..., None] * params["v"] * (1 - e * e)                      # (N, T, S, A)
    dqp, dkp = da.sum(2), da.sum(1)                                          # (N, T, A), (N, S, A)
    grads["W_q"] = dqp.reshape(-1, A).T @ query.reshape(-1, query.shape[-1])
    grads["W_k"] = dkp.reshape(-1, A).T @ keys.reshape(-1, keys.shape[-1])
    return dqp @ params["W_q"], dkp @ params["W_k"], dvalues, {k: grads[k] for k in ("W_q", "W_k", "v")}


class Attention(ModuleBase):
    """Attention as a module: ``kind="dot"`` (Luong) or ``"additive"`` (Bahdanau).

    Args:
        kind: ``"dot"`` or ``"additive"``.
        query_size, key_size: feature sizes of queries and keys.
        attention_size: ``A``, the hidden size of the additive score (additive only; dot
            attention ignores it): an int ``>= 1``, or ``None`` for ``key_size``.
        scale: multiplies dot scores (dot only): 1 (Luong's plain dot, the default), or
            ``None`` for ``1/sqrt(key_size)`` (scaled dot-product).
        backend, device, dtype, seed: see :class:`~course_pkg.layers.ModuleBase`.

    Inputs: ``query`` ``(N, T, Hq)`` or ``(N, Hq)``; ``keys`` ``(N, S, Hk)``; ``values``
    ``(N, S, Hv)`` (defaults to ``keys``); ``mask`` ``(N, S)``.

    Returns: ``(context, weights)`` of shapes ``(N, T, Hv)`` and ``(N, T, S)`` (without the
    ``T`` axis for a 2-D query). :meth:`backward` takes ``dcontext`` and returns
    ``(dquery, dkeys, dvalues, grads)``.

    Raises:
        TypeError: on a ``kind`` that is not a string, a non-int size, a non-number
            ``scale`` (and as :class:`~course_pkg.layers.ModuleBase` for the keyword arguments).
        ValueError: on an unknown kind, a size below 1, a non-finite ``scale``, or unequal
            query and key sizes for dot attention.
    """

    KINDS = ("dot", "additive")

    def __init__(self, kind, query_size, key_size, attention_size=None, scale=1.0, **kwargs):
        self.kind = V.check_choice("kind", kind, self.KINDS)
        self.query_size = V.check_int("query_size", query_size, low=1)
        self.key_size = V.check_int("key_size", key_size, low=1)
        attention_size = V.check_int("attention_size", attention_size, low=1, none=True)
        scale = V.check_number("scale", scale, finite=True, none=True)
        if kind == "dot" and query_size != key_size:
            raise ValueError(f"Expected query_size == key_size for dot attention, got {query_size} and {key_size}")
        super().__init__(**kwargs)
        self.scale = 1.0 / math.sqrt(key_size) if scale is None else scale
        if kind == "additive":
            A = key_size if attention_size is None else attention_size
            self._init_uniform([("W_q", (A, query_size)), ("W_k", (A, key_size))], 1.0 / math.sqrt(key_size))
            self._init_uniform([("v", (A,))], 1.0 / math.sqrt(A))

    def forward(self, query, keys, values=None, mask=None):
        """Attend: ``-> (context, weights)``; see the class docstring for shapes.

        ``mask`` may be an array or tensor of either back-end, or nested lists, of 0/1 or bools.

        Raises:
            TypeError: if ``query``, ``keys`` or ``values`` is not an array of the module's
                back-end and dtype.
            ValueError: if ``query`` is not 2-D or 3-D, a feature size differs from
                ``query_size``/``key_size``, shapes disagree, or a row of ``mask`` has no
                valid position.
        """
        self._check_array("query", query)
        self._check_array("keys", keys)
        values = keys if values is None else self._check_array("values", values)
        if query.ndim not in (2, 3) or query.shape[-1] != self.query_size:
            raise ValueError(f"Expected query of shape (N, T, {self.query_size}) or (N, {self.query_size}), "
                             f"got {tuple(query.shape)}")
        if keys.ndim != 3 or keys.shape[-1] != self.key_size:
            raise ValueError(f"Expected keys of shape (N, S, {self.key_size}), got {tuple(keys.shape)}")
        single = query.ndim == 2
        q = query[:, None] if single else query                       # (N, T, Hq)
        if mask is not None and not hasattr(mask, "shape"):
            mask = np.asarray(mask)
        if mask is not None and B.is_torch(mask) != (self.backend == "torch"):
            mask = B.to_backend(B.to_numpy(mask), self.backend, self.dtype, self.device)
        if self.kind == "dot":
            context, weights, cache = dot_attention_forward(q, keys, values, mask, self.scale)
        else:
            context, weights, cache = additive_attention_forward(q, keys, values, self._params, mask)
        self._cache = (cache, single, values is keys, tuple(context.shape))
        return (context[:, 0], weights[:, 0]) if single else (context, weights)

    def backward(self, dcontext):
        """Gradients of the last :meth:`forward`: ``-> (dquery, dkeys, dvalues, grads)``.

        When ``values`` defaulted to ``keys``, ``dkeys`` holds both gradients and ``dvalues`` is ``None``.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dcontext`` is not an array of the module's back-end and dtype.
            ValueError: if ``dcontext`` is not shaped like the last context.
        """
        cache, single, shared, shape = V.check_called(self._cache)
        self._check_grad("dcontext", dcontext, shape[:1] + shape[2:] if single else shape)
        dc = dcontext[:, None] if single else dcontext
        if self.kind == "dot":
            dq, dk, dv = dot_attention_backward(dc, cache)
            grads = {}
        else:
            dq, dk, dv, grads = additive_attention_backward(dc, cache)
        if shared:
            dk, dv = dk + dv, None
        grads = self.gather_grads(grads, {})
        return (dq[:, 0] if single else dq), dk, dv, grads
