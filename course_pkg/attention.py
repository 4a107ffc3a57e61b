r"""Attention (注意力机制): dot-product (Luong) and additive (Bahdanau) scores, masked softmax.

For queries :math:`\mathbf{q}_t` (decoder states), keys :math:`\mathbf{k}_s` and values
:math:`\mathbf{v}_s` (usually both the encoder outputs) and a padding mask :math:`m_s`:

.. math::

    e_{ts} = \begin{cases} \mathbf{q}_t^\top \mathbf{k}_s & \text{dot (Luong)} \\
             \mathbf{v}^\top \tanh(W_q \mathbf{q}_t + W_k \mathbf{k}_s) & \text{additive (Bahdanau)}
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

import numpy as np

from . import backend as B
from .layers import ModuleBase


def masked_softmax(scores, mask=None):
    """Softmax over the last axis of ``scores`` ``(N, T, S)``, with padded positions exactly 0.

    Args:
        scores: attention scores, shape ``(N, T, S)``.
        mask: ``(N, S)``, 1 (or True) where valid, 0 where padding; ``None`` for no padding.

    Raises:
        ValueError: if the mask's shape differs from ``(N, S)`` or a row has no valid position.
    """
    if mask is not None:
        N, _, S = scores.shape
        if tuple(mask.shape) != (N, S):
            raise ValueError(f"Expected mask of shape {(N, S)}, got {tuple(mask.shape)}")
        if (B.to_numpy(mask).reshape(N, S) > 0).sum(-1).min() == 0:
            raise ValueError("Expected every sequence to have at least one valid position "
                             "(length >= 1), got one with none")
        scores = B.namespace(scores).where(mask[:, None, :] > 0, scores, -math.inf)
    e = B.namespace(scores).exp(scores - B.max_last(scores)[..., None])   # (N, T, S)
    return e / B.sum_keep_last(e)


def _softmax_backward(dweights, weights):
    """Gradient of the scores from the gradient of softmax weights (last axis)."""
    return weights * (dweights - B.sum_keep_last(dweights * weights))


def _check(query, keys, values):
    if query.ndim != 3 or keys.ndim != 3 or values.ndim != 3:
        raise ValueError(f"Expected query (N, T, Hq), keys (N, S, Hk), values (N, S, Hv), got "
                         f"{tuple(query.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}")
    if not query.shape[0] == keys.shape[0] == values.shape[0] or keys.shape[1] != values.shape[1]:
        raise ValueError(f"Expected keys and values with the batch and length of query and of each "
                         f"other, got {tuple(query.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}")


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
        ValueError: on shapes that disagree or an empty sequence.
    """
    _check(query, keys, values)
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(f"Expected query and keys of the same size, got {query.shape[-1]} and {keys.shape[-1]}")
    scores = (query @ keys.swapaxes(-1, -2)) * scale              # (N, T, S)
    context, weights = _attend(scores, values, mask)
    return context, weights, (query, keys, values, weights, scale)


def dot_attention_backward(dcontext, cache):
    """Backward of :func:`dot_attention_forward`: ``-> (dquery, dkeys, dvalues)``."""
    query, keys, values, weights, scale = cache
    dscores, dvalues = _attend_backward(dcontext, values, weights)
    dscores = dscores * scale
    return dscores @ keys, dscores.swapaxes(-1, -2) @ query, dvalues


def additive_attention_forward(query, keys, values, params, mask=None):
    """Additive (Bahdanau) attention: ``e_ts = v . tanh(W_q q_t + W_k k_s)``.

    Args:
        query: ``(N, T, Hq)``; keys: ``(N, S, Hk)``; values: ``(N, S, Hv)``; mask: ``(N, S)`` or ``None``.
        params: ``W_q (A, Hq)``, ``W_k (A, Hk)``, ``v (A,)``.

    Returns:
        ``(context (N, T, Hv), weights (N, T, S), cache)``.

    Raises:
        ValueError: on shapes that disagree or an empty sequence.
    """
    _check(query, keys, values)
    W_q, W_k, v = params["W_q"], params["W_k"], params["v"]
    if W_q.shape[1] != query.shape[-1] or W_k.shape[1] != keys.shape[-1]:
        raise ValueError(f"Expected W_q (A, {query.shape[-1]}) and W_k (A, {keys.shape[-1]}), "
                         f"got {tuple(W_q.shape)} and {tuple(W_k.shape)}")
    qp, kp = query @ W_q.T, keys @ W_k.T                          # (N, T, A), (N, S, A)
    e = B.namespace(qp).tanh(qp[:, :, None, :] + kp[:, None, :, :])   # (N, T, S, A)
    scores = e @ v                                                # (N, T, S)
    context, weights = _attend(scores, values, mask)
    return context, weights, (query, keys, values, weights, params, e)


def additive_attention_backward(dcontext, cache):
    """Backward of :func:`additive_attention_forward`: ``-> (dquery, dkeys, dvalues, grads)``."""
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
        attention_size: ``A``, the hidden size of the additive score (additive only).
        scale: multiplies dot scores (dot only): 1 (Luong's plain dot, the default), or
            ``None`` for ``1/sqrt(key_size)`` (scaled dot-product).
        backend, device, dtype, seed: see :class:`~course_pkg.layers.ModuleBase`.

    Inputs: ``query`` ``(N, T, Hq)`` or ``(N, Hq)``; ``keys`` ``(N, S, Hk)``; ``values``
    ``(N, S, Hv)`` (defaults to ``keys``); ``mask`` ``(N, S)``.

    Returns: ``(context, weights)`` of shapes ``(N, T, Hv)`` and ``(N, T, S)`` (without the
    ``T`` axis for a 2-D query). :meth:`backward` takes ``dcontext`` and returns
    ``(dquery, dkeys, dvalues, grads)``.

    Raises:
        ValueError: on an unknown kind, shapes that disagree, or an empty sequence.
    """

    KINDS = ("dot", "additive")

    def __init__(self, kind, query_size, key_size, attention_size=None, scale=1.0, **kwargs):
        if kind not in self.KINDS:
            raise ValueError(f"Expected kind 'dot' or 'additive', got {kind!r}")
        if kind == "dot" and query_size != key_size:
            raise ValueError(f"Expected query_size == key_size for dot attention, got {query_size} and {key_size}")
        super().__init__(**kwargs)
        self.kind, self.scale = kind, (1.0 / math.sqrt(key_size) if scale is None else float(scale))
        if kind == "additive":
            A = attention_size or key_size
            self._init_uniform([("W_q", (A, query_size)), ("W_k", (A, key_size))], 1.0 / math.sqrt(key_size))
            self._init_uniform([("v", (A,))], 1.0 / math.sqrt(A))

    def forward(self, query, keys, values=None, mask=None):
        """Attend: ``-> (context, weights)``; see the class docstring for shapes."""
        values = keys if values is None else values
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
        self._cache = (cache, single, values is keys)
        return (context[:, 0], weights[:, 0]) if single else (context, weights)

    def backward(self, dcontext):
        """Gradients of the last :meth:`forward`: ``-> (dquery, dkeys, dvalues, grads)``.

        When ``values`` defaulted to ``keys``, ``dkeys`` holds both gradients and ``dvalues`` is ``None``.
        """
        if self._cache is None:
            raise RuntimeError("Expected forward() to be called before backward()")
        cache, single, shared = self._cache
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
