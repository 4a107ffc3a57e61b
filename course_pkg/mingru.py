r"""minGRU (Feng et al., 2024) and the linear recurrence it reduces to: loop, parallel scan, log space.

The minimal GRU computes its gates and candidate from the input alone,

.. math::

    \begin{aligned}
    \mathbf{z}_t &= \sigma(\mathbf{x}_t W_{iz}^\top + \mathbf{b}_{iz}) \\
    \tilde{\mathbf{h}}_t &= \mathbf{x}_t W_{i\tilde h}^\top + \mathbf{b}_{i\tilde h} \\
    \mathbf{h}_t &= (1 - \mathbf{z}_t) \odot \mathbf{h}_{t-1} + \mathbf{z}_t \odot \tilde{\mathbf{h}}_t
    \end{aligned}

(``weight_ih`` holds the rows of :math:`W_{iz}` then :math:`W_{i\tilde h}`, ``(2H, D)``). Note the
blend: here :math:`\mathbf{z}_t` weighs the *candidate*, where the GRU's :math:`\mathbf{z}_t`
weighs the old state (:mod:`course_pkg.gru`). Nothing multiplies :math:`\mathbf{h}_{t-1}`
by a weight matrix or passes it through a non-linearity, so the state obeys a **linear
recurrence** with coefficients known before the loop starts,

.. math::

    \mathbf{h}_t = \mathbf{a}_t \odot \mathbf{h}_{t-1} + \mathbf{b}_t, \qquad
    \mathbf{a}_t = 1 - \mathbf{z}_t, \quad \mathbf{b}_t = \mathbf{z}_t \odot \tilde{\mathbf{h}}_t,

and this module computes it three ways, equal up to rounding:

* :func:`linear_scan_loop`, ``T`` sequential steps;
* :func:`linear_scan_parallel`, the associative scan (Blelloch 1990; here the Hillis-Steele
  form): the pairs :math:`(\mathbf{a}, \mathbf{b})` compose by
  :math:`(\mathbf{a}_1, \mathbf{b}_1) \bullet (\mathbf{a}_2, \mathbf{b}_2) =
  (\mathbf{a}_1 \odot \mathbf{a}_2, \mathbf{a}_2 \odot \mathbf{b}_1 + \mathbf{b}_2)`, an
  associative operation, so every prefix is ready after :math:`\lceil \log_2 T \rceil`
  rounds of combines, each round one vectorised operation over all ``t``;
* :func:`linear_scan_log`, Heinsen's (2023) closed form in log space,
  :math:`\mathbf{h}_t = A_t (\mathbf{h}_0 + \sum_{s \le t} \mathbf{b}_s / A_s)` with
  :math:`A_t = \prod_{s \le t} \mathbf{a}_s`, computed from :math:`\log A_t` (a cumulative
  sum) and a log-cumulative-sum-exp, so that nothing overflows or underflows.
  :func:`linear_scan_closed_naive` computes the same formula with ``cumprod`` and shows why
  the logs are needed: in float32, with gates near 1/2, :math:`\mathbf{b}_s / A_s` overflows
  after about a hundred steps and :math:`A_t` underflows to 0 a few dozen steps later.

The backward pass of a linear recurrence is the same recurrence run backwards,
:math:`\mathbf{g}_t = \partial L/\partial \mathbf{h}_t + \mathbf{a}_{t+1} \odot \mathbf{g}_{t+1}`,
so it scans in :math:`\lceil \log_2 T \rceil` rounds too (:func:`mingru_backward`). Arrays are
batch-first, ``(N, T, H)``; every function runs on NumPy arrays and torch tensors alike (on
torch, autograd can record the forward: that is the torch path of :class:`MinGRU`).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import _validate as V
from . import backend as B
from .layers import RNNBase, length_mask

MODES = ("scan", "loop", "log")


# -- checks ---------------------------------------------------------------------------------------
def _check_like(name, x, like, like_name="a"):
    """``x``: an array of ``like``'s back-end and dtype (``like_name`` names ``like`` in the message)."""
    return V.check_array(name, x, "torch" if B.is_torch(like) else "numpy", V.dtype_name(like.dtype),
                         dtype_note=f" ({like_name}'s dtype)")


def _check_recurrence(a, b, h0, a_name="a"):
    """``a, b (N, T, H)`` and ``h0 (N, H)``, one back-end and dtype, ``T >= 1``."""
    V.check_array(a_name, a)
    _check_like("b", b, a, a_name)
    _check_like("h0", h0, a, a_name)
    if a.ndim != 3 or a.shape[1] == 0:
        raise ValueError(f"Expected {a_name} of shape (N, T, H) with T >= 1, got {tuple(a.shape)}")
    if tuple(b.shape) != tuple(a.shape):
        raise ValueError(f"Expected b of shape {tuple(a.shape)} ({a_name}'s), got {tuple(b.shape)}")
    N, _, H = a.shape
    if tuple(h0.shape) != (N, H):
        raise ValueError(f"Expected h0 of shape {(N, H)}, got {tuple(h0.shape)}")


def scan_steps(T):
    """The number of sequential combine rounds of :func:`linear_scan_parallel`: ``ceil(log2 T)``.

    Args:
        T: the sequence length, an int ``>= 1``.

    Returns:
        ``ceil(log2 T)`` as an int (0 for ``T = 1``).

    Raises:
        TypeError: if ``T`` is not an int.
        ValueError: if ``T < 1``.
    """
    T = V.check_int("T", T, low=1)
    return (T - 1).bit_length()                            # = ceil(log2 T), exactly, for T >= 1


# -- the linear recurrence h_t = a_t * h_{t-1} + b_t, three ways -----------------------------------
def linear_scan_loop(a, b, h0):
    """``h_t = a_t * h_{t-1} + b_t`` for ``t = 1..T``, one step after another: ``-> h (N, T, H)``.

    Args:
        a: the coefficients ``a_t``, ``(N, T, H)``, a float NumPy array or torch tensor.
        b: the inputs ``b_t``, ``(N, T, H)``, of ``a``'s back-end and dtype.
        h0: the initial state, ``(N, H)``, of ``a``'s back-end and dtype.

    Returns:
        ``h (N, T, H)``: ``h[:, t - 1]`` is ``h_t``.

    Raises:
        TypeError: if an array is not of ``a``'s back-end and float dtype.
        ValueError: if the shapes are not ``a, b (N, T, H)`` and ``h0 (N, H)``, ``T >= 1``.
    """
    _check_recurrence(a, b, h0)
    hs, h = [], h0
    for t in range(a.shape[1]):                            # T sequential steps
        h = a[:, t] * h + b[:, t]                          # (N, H)
        hs.append(h)
    return B.stack(hs, 1)                                  # (N, T, H)


def linear_scan_parallel(a, b, h0):
    """The same recurrence as an associative scan: ``-> (h (N, T, H), rounds)``.

    Round ``k = 0, 1, ...`` combines every position ``t >= 2^k`` with the partial result
    ``2^k`` positions earlier, ``(A, B)_t <- (A_{t-d} A_t, A_t B_{t-d} + B_t)`` with ``d = 2^k``;
    after ``rounds = ceil(log2 T)`` rounds ``(A, B)_t`` composes steps ``1..t``, and
    ``h_t = A_t h_0 + B_t``. Each round is one vectorised operation over all ``t`` (the
    Hillis-Steele scan: ``O(T log T)`` work, where the loop does ``O(T)``).

    Args:
        a: the coefficients ``a_t``, ``(N, T, H)``, a float NumPy array or torch tensor.
        b: the inputs ``b_t``, ``(N, T, H)``, of ``a``'s back-end and dtype.
        h0: the initial state, ``(N, H)``, of ``a``'s back-end and dtype.

    Returns:
        ``(h, rounds)``: ``h (N, T, H)`` as :func:`linear_scan_loop`'s, and the number of
        sequential rounds, ``ceil(log2 T)`` (:func:`scan_steps`).

    Raises:
        TypeError, ValueError: as :func:`linear_scan_loop`.
    """
    _check_recurrence(a, b, h0)
    T = a.shape[1]
    A, Bs, d, rounds = a, b, 1, 0
    while d < T:
        Bs = B.concat([Bs[:, :d], A[:, d:] * Bs[:, :-d] + Bs[:, d:]], 1)   # (N, T, H)
        A = B.concat([A[:, :d], A[:, d:] * A[:, :-d]], 1)
        d, rounds = 2 * d, rounds + 1
    return A * h0[:, None] + Bs, rounds


def linear_scan_closed_naive(a, b, h0):
    """Heinsen's closed form with plain products: ``A = cumprod(a)``, ``h = A (h0 + cumsum(b / A))``.

    Exact in exact arithmetic; in floating point ``b / A`` overflows (in float32 after about a
    hundred steps of ``a`` near 0.5; ``+inf`` and ``-inf`` terms then sum to ``nan``) and ``A_t``
    underflows to 0 a few dozen steps later (``0 * inf`` is ``nan`` too).
    Shown to motivate :func:`linear_scan_log`; do not use it.

    Args:
        a: the coefficients ``a_t``, ``(N, T, H)``, a float NumPy array or torch tensor.
        b: the inputs ``b_t``, ``(N, T, H)``, of ``a``'s back-end and dtype.
        h0: the initial state, ``(N, H)``, of ``a``'s back-end and dtype.

    Returns:
        ``h (N, T, H)``, with ``inf`` or ``nan`` where the products left the float range.

    Raises:
        TypeError, ValueError: as :func:`linear_scan_loop`.
    """
    _check_recurrence(a, b, h0)
    xp = B.namespace(a)
    A = xp.cumprod(a, 1) if xp is np else xp.cumprod(a, dim=1)             # (N, T, H)
    inner = xp.cumsum(b / A, 1) if xp is np else xp.cumsum(b / A, dim=1)
    return A * (h0[:, None] + inner)


def _logcumsumexp(x):
    """``log(cumsum(exp(x)))`` over axis 1, without overflow."""
    if B.namespace(x) is np:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.logaddexp.accumulate(x, axis=1)
    return x.logcumsumexp(1)


def linear_scan_log(log_a, b, h0):
    r"""The recurrence from ``log a`` (Heinsen 2023): ``-> h (N, T, H)``, no ``a`` ever formed.

    With :math:`\log A_t = \sum_{s \le t} \log a_s` (a cumulative sum; :math:`\log A_0 = 0`) and
    the terms :math:`v_0 = h_0`, :math:`v_s = b_s`,

    .. math::

        h_t = \sum_{s=0}^{t} v_s e^{\log A_t - \log A_s}
            = e^{\log A_t + \operatorname{LCSE}(\log v^+ - \log A)_t}
              - e^{\log A_t + \operatorname{LCSE}(\log v^- - \log A)_t},

    where LCSE is the log-cumulative-sum-exp and :math:`v^\pm` the positive and negative parts
    (Heinsen uses complex logs for the sign; two real sums do the same). Every exponent stays
    in range; precision falls slowly as :math:`|\log A_t|` grows. Pass ``log a`` itself (for
    :math:`a = 1 - \sigma(u)`, :math:`\log a = -\operatorname{softplus}(u)`), so that an ``a``
    that rounds to 0 does not become :math:`-\infty`.

    Args:
        log_a: ``log a_t``, ``(N, T, H)``, a float NumPy array or torch tensor.
        b: the inputs ``b_t``, ``(N, T, H)``, of ``log_a``'s back-end and dtype.
        h0: the initial state, ``(N, H)``, of ``log_a``'s back-end and dtype.

    Returns:
        ``h (N, T, H)`` as :func:`linear_scan_loop`'s, up to rounding.

    Raises:
        TypeError, ValueError: as :func:`linear_scan_loop` (with ``log_a`` for ``a``).
    """
    _check_recurrence(log_a, b, h0, a_name="log_a")
    xp = B.namespace(log_a)
    cum = xp.cumsum(log_a, 1) if xp is np else xp.cumsum(log_a, dim=1)     # log A_t, (N, T, H)
    zero = B.zeros_like(log_a, (log_a.shape[0], 1, log_a.shape[2]))
    L = B.concat([zero, cum], 1)                                 # log A_t from log A_0 = 0, (N, T+1, H)
    v = B.concat([h0[:, None], b], 1)                                    # (N, T+1, H)
    minus_inf = -math.inf
    with np.errstate(divide="ignore"):
        log_abs = xp.log(xp.abs(v))
    pos = _logcumsumexp(xp.where(v > 0, log_abs - L, minus_inf * xp.ones_like(v)))
    neg = _logcumsumexp(xp.where(v < 0, log_abs - L, minus_inf * xp.ones_like(v)))
    return (xp.exp(L + pos) - xp.exp(L + neg))[:, 1:]


# -- the minGRU: projections, the recurrence, and back ---------------------------------------------
def _softplus(u):
    """``log(1 + e^u)`` without overflow."""
    xp = B.namespace(u)
    return xp.maximum(u, 0 * u) + xp.log1p(xp.exp(-xp.abs(u)))


def _check_params(params):
    """``params`` ``weight_ih (2H, D)`` and optional ``bias_ih (2H,)``: ``-> (D, H)``."""
    V.check_type("params", params, Mapping, "a dict name -> array")
    if "weight_ih" not in params:
        raise ValueError(f"Expected params to hold 'weight_ih', got keys {sorted(params)}")
    W = V.check_array("params['weight_ih']", params["weight_ih"])
    for key, value in params.items():
        if key not in ("weight_ih", "bias_ih"):
            raise ValueError(f"Expected params with keys weight_ih and bias_ih only, got {key!r}")
        _check_like(f"params[{key!r}]", value, W, "weight_ih")
    if W.ndim != 2 or W.shape[0] % 2 or not W.shape[0]:
        raise ValueError(f"Expected weight_ih of shape (2H, D), got {tuple(W.shape)}")
    D, H = W.shape[1], W.shape[0] // 2
    if "bias_ih" in params and tuple(params["bias_ih"].shape) != (2 * H,):
        raise ValueError(f"Expected bias_ih of shape {(2 * H,)}, got {tuple(params['bias_ih'].shape)}")
    return D, H


def mingru_forward(x, h0, params, mode="scan", mask=None):
    """Run a minGRU over ``x (N, T, D)`` from ``h0 (N, H)``: ``-> (h (N, T, H), cache)``.

    Args:
        x, h0: input and initial state, of ``params``' back-end and dtype.
        params: ``weight_ih (2H, D)`` (rows of ``z``, then of the candidate), optional ``bias_ih (2H,)``.
        mode: ``"scan"`` (:func:`linear_scan_parallel`), ``"loop"`` or ``"log"``
            (:func:`linear_scan_log`); the same result up to rounding.
        mask: ``(N, T)`` of 0/1 in ``x``'s dtype, or ``None``: a padded step keeps the state
            (``a = 1, b = 0``) and outputs 0, as :class:`~course_pkg.gru.GRU` does with ``lengths``.

    Returns:
        ``h (N, T, H)`` (0 at padded steps), and the cache :func:`mingru_backward` needs; its
        element 6 is the state at every step, padded steps included, so ``cache[6][:, -1]`` is
        each sequence's state at its last valid step.

    Raises:
        TypeError: if ``params`` is not a dict, or an array is not of ``weight_ih``'s back-end
            and dtype.
        ValueError: on shapes that disagree, ``T = 0``, an unknown ``mode``, or a ``mask`` with
            values other than 0 and 1.
    """
    D, H = _check_params(params)
    V.check_choice("mode", mode, MODES)
    W = params["weight_ih"]
    _check_like("x", x, W, "weight_ih")
    _check_like("h0", h0, W, "weight_ih")
    if x.ndim != 3 or x.shape[-1] != D or x.shape[1] == 0:
        raise ValueError(f"Expected x of shape (N, T, {D}) with T >= 1, got {tuple(x.shape)}")
    N, T, _ = x.shape
    if tuple(h0.shape) != (N, H):
        raise ValueError(f"Expected h0 of shape {(N, H)}, got {tuple(h0.shape)}")
    if mask is not None:
        _check_like("mask", mask, W, "weight_ih")
        if tuple(mask.shape) != (N, T):
            raise ValueError(f"Expected mask of shape {(N, T)}, got {tuple(mask.shape)}")
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("Expected mask of 0s and 1s, got other values")
    proj = x @ W.T                                             # (N, T, 2H): every step at once
    if "bias_ih" in params:
        proj = proj + params["bias_ih"]
    u, h_tilde = proj[..., :H], proj[..., H:]                  # (N, T, H) each
    z = B.sigmoid(u)
    a, b = 1 - z, z * h_tilde
    if mask is not None:
        m = mask[:, :, None]                                   # (N, T, 1)
        a, b = m * a + (1 - m), m * b
    if mode == "loop":
        h = linear_scan_loop(a, b, h0)
    elif mode == "scan":
        h = linear_scan_parallel(a, b, h0)[0]
    else:
        log_a = -_softplus(u)                                  # log(1 - z), exactly finite
        h = linear_scan_log(log_a if mask is None else m * log_a, b, h0)
    out = h if mask is None else h * m
    return out, (x, h0, params, z, h_tilde, a, h, mask, mode)


def mingru_backward(dh, cache, dh_T=None):
    """Backward of :func:`mingru_forward`: ``-> (dx (N, T, D), dh0 (N, H), grads)``.

    ``dh (N, T, H)`` is the gradient of the outputs, ``dh_T (N, H)`` (optional) that of the
    final state. The gradient reaching ``h_t`` obeys ``g_t = dh_t + a_{t+1} g_{t+1}``, the
    forward's recurrence reversed in time: a loop for mode ``"loop"``, the parallel scan for
    ``"scan"`` and ``"log"`` (the scan only multiplies and adds, so a product that underflows
    becomes 0, which is its value, never ``nan``).

    Args:
        dh: ``(N, T, H)``, the gradient of the outputs ``h``, of ``x``'s back-end and dtype.
        cache: what :func:`mingru_forward` returned with the outputs.
        dh_T: ``(N, H)`` or ``None``, the gradient of the final state ``cache[6][:, -1]``.

    Returns:
        ``(dx (N, T, D), dh0 (N, H), grads)``, with ``grads`` a dict of the gradients of
        ``weight_ih`` ``(2H, D)`` and ``bias_ih`` ``(2H,)`` (no ``bias_ih`` when the forward
        had none).

    Raises:
        TypeError: if ``cache`` is not :func:`mingru_forward`'s, or a gradient is not an array
            of its back-end and dtype.
        ValueError: if ``dh`` is not ``(N, T, H)`` or ``dh_T`` not ``(N, H)``.
    """
    if not (isinstance(cache, tuple) and len(cache) == 9):
        raise TypeError(f"Expected cache to be the cache mingru_forward() returned, got {type(cache).__name__}")
    x, h0, params, z, h_tilde, a, h, mask, mode = cache
    _check_like("dh", dh, x, "x")
    V.check_shape("dh", dh, tuple(h.shape))
    N, T, H = h.shape
    if mask is not None:
        dh = dh * mask[:, :, None]
    if dh_T is not None:
        _check_like("dh_T", dh_T, x, "x")
        V.check_shape("dh_T", dh_T, (N, H))
        last = B.zeros_like(dh, (N, T, H))
        last[:, -1] = dh_T
        dh = dh + last
    # g_t = dh_t + a_{t+1} g_{t+1}: the same recurrence, in reversed time, from g_{T+1} = 0
    a_next = B.concat([a[:, 1:], B.zeros_like(a, (N, 1, H))], 1)          # a_{t+1}, (N, T, H)
    rev = (lambda y: y[:, ::-1]) if B.namespace(dh) is np else (lambda y: y.flip(1))
    zero = B.zeros_like(dh, (N, H))
    if mode == "loop":
        g = rev(linear_scan_loop(rev(a_next), rev(dh), zero))
    else:
        g = rev(linear_scan_parallel(rev(a_next), rev(dh), zero)[0])
    h_prev = B.concat([h0[:, None], h[:, :-1]], 1)                     # (N, T, H)
    da, db = g * h_prev, g                                             # a_t, b_t's gradients
    if mask is not None:
        m = mask[:, :, None]
        da, db = da * m, db * m
    dz = db * h_tilde - da                                             # a = 1 - z, b = z h~
    du = dz * z * (1 - z)                                              # through the sigmoid
    dproj = B.concat([du, db * z], 2)                                  # (N, T, 2H)
    W = params["weight_ih"]
    D = W.shape[1]
    d2 = dproj.reshape(N * T, 2 * H)
    grads = {"weight_ih": d2.T @ x.reshape(N * T, D)}                  # (2H, D)
    if "bias_ih" in params:
        grads["bias_ih"] = d2.sum(0)
    dh0 = a[:, 0] * g[:, 0]
    return dproj @ W, dh0, grads


class MinGRU(RNNBase):
    """A one-layer minGRU, shaped like :class:`torch.nn.GRU` where that makes sense (equations
    in :mod:`course_pkg.mingru`); torch.nn and Keras have no minGRU to convert to or from
    (:meth:`to_torch_nn`, :meth:`from_torch_nn`, :meth:`from_keras` and
    :meth:`to_keras_weights` raise ``TypeError``).

    Args:
        input_size, hidden_size, bias, batch_first: as :class:`~course_pkg.gru.GRU`.
        mode: ``"scan"`` (default), ``"loop"`` or ``"log"``: how the recurrence runs.
        backend, device, dtype, seed: see :class:`~course_pkg.layers.ModuleBase`. On the torch
            back-end, autograd records the forward (its scan is a few vectorised operations,
            not ``T`` small steps); :meth:`backward` is the hand-written pass, on either.

    Parameters: ``weight_ih (2H, D)``, ``bias_ih (2H,)`` (no ``weight_hh``: that is the point),
    initialised from U(-1/sqrt(H), 1/sqrt(H)) as torch.nn's GRU.

    Inputs: ``input (N, T, D)`` (``(T, N, D)`` unless ``batch_first``), optional ``hx
    (1, N, H)`` and ``lengths (N,)``. Returns: ``(output, h_n)`` shaped like the GRU's.

    Raises:
        TypeError, ValueError: as :class:`~course_pkg.gru.GRU`; ValueError for
            ``num_layers``, ``bidirectional`` or ``dropout`` other than one layer, one
            direction, no dropout, or an unknown ``mode``.
    """

    gates = 2

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False, mode="scan",
                 num_layers=1, bidirectional=False, dropout=0.0, **kwargs):
        for name, value, want in (("num_layers", num_layers, 1), ("bidirectional", bidirectional, False),
                                  ("dropout", dropout, 0.0)):
            if value != want or isinstance(value, bool) != isinstance(want, bool):
                raise ValueError(f"Expected {name}={want!r} (MinGRU is one layer, one direction), "
                                 f"got {name}={value!r}")
        self.mode = V.check_choice("mode", mode, MODES)
        super().__init__(input_size, hidden_size, bias=bias, batch_first=batch_first,
                         explicit_backward=False, **kwargs)

    def _param_shapes(self):
        H, D = self.hidden_size, self.input_size
        return [("weight_ih", (2 * H, D))] + ([("bias_ih", (2 * H,))] if self.bias else [])

    def __repr__(self):
        extra = "" if self.bias else ", bias=False"
        extra += ", batch_first=True" if self.batch_first else ""
        return (f"MinGRU({self.input_size}, {self.hidden_size}{extra}, mode={self.mode!r}, "
                f"backend={self.backend!r})")

    def to_torch_nn(self):
        """Not available: torch.nn has no minGRU.

        Raises:
            TypeError: always.
        """
        raise TypeError("Expected a module that torch.nn has (RNN, LSTM, GRU), got MinGRU")

    @classmethod
    def from_torch_nn(cls, module, **kwargs):
        """Not available: no torch.nn module is a minGRU (a ``torch.nn.GRU``'s weights do not fit).

        Raises:
            TypeError: always.
        """
        raise TypeError(f"Expected a course_pkg class that torch.nn has (RNN, LSTM, GRU) to build from "
                        f"a torch.nn module, got MinGRU (and a {type(module).__name__}): torch.nn has "
                        "no minGRU")

    @classmethod
    def from_keras(cls, weights, **kwargs):
        """Not available: Keras has no minGRU layer.

        Raises:
            TypeError: always.
        """
        raise TypeError("Expected a course_pkg class that Keras has (RNN, LSTM, GRU) to build from "
                        "Keras weights, got MinGRU: Keras has no minGRU layer")

    def to_keras_weights(self):
        """Not available: Keras has no minGRU layer.

        Raises:
            TypeError: always.
        """
        raise TypeError("Expected a module that Keras has (RNN, LSTM, GRU), got MinGRU: Keras has no "
                        "minGRU layer")

    def forward(self, input, hx=None, lengths=None):
        """``-> (output, h_n)``: ``output (N, T, H)`` (batch-first) and ``h_n (1, N, H)``.

        Args:
            input: ``(N, T, D)`` if ``batch_first``, else ``(T, N, D)``.
            hx: ``(1, N, H)`` or ``None`` (zeros), the initial state.
            lengths: ``(N,)`` integers in ``[1, T]`` or ``None``: each sequence's valid length;
                padded steps output 0 and keep the state, so ``h_n`` is the state at each length.

        Raises:
            TypeError: if an input is not an array of the module's back-end and dtype.
            ValueError: if ``input`` is not 3-D with ``input_size`` features, ``hx`` not
                ``(1, N, H)``, or ``lengths`` not ``N`` integers in ``[1, T]``.
        """
        self._check_array("input", input)
        if input.ndim != 3 or input.shape[-1] != self.input_size:
            layout = "(N, T, {})" if self.batch_first else "(T, N, {})"
            raise ValueError(f"Expected input of shape {layout.format(self.input_size)}, got {tuple(input.shape)}")
        x = input if self.batch_first else input.swapaxes(0, 1)            # (N, T, D)
        N, T, _ = x.shape
        if hx is None:
            h0 = B.zeros_like(self._params["weight_ih"], (N, self.hidden_size))
        else:
            self._check_array("hx", hx)
            V.check_shape("hx", hx, (1, N, self.hidden_size))
            h0 = hx[0]
        mask = None
        if lengths is not None:
            mask = B.to_backend(length_mask(lengths, N, T), self.backend, self.dtype, self.device)
        out, cache = mingru_forward(x, h0, dict(self._params), self.mode, mask)
        last = cache[6][:, -1]              # padded steps keep the state: h_T is each h at its length
        self._cache = (cache, tuple(out.shape))
        return (out if self.batch_first else out.swapaxes(0, 1)), last[None]

    def backward(self, grad_output, grad_h_n=None):
        """Gradients of the last :meth:`forward`: ``-> (grad_input, grad_hx (1, N, H), grads)``.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if a gradient is not an array of the module's back-end and dtype.
            ValueError: if a gradient's shape differs from what it is the gradient of.
        """
        cache, shape = V.check_called(self._cache)
        N, T, H = shape
        dout = self._check_grad("grad_output", grad_output, shape if self.batch_first else (T, N, H))
        dout = dout if self.batch_first else dout.swapaxes(0, 1)
        dh_T = None if grad_h_n is None else self._check_grad("grad_h_n", grad_h_n, (1, N, H))[0]
        dx, dh0, grads = mingru_backward(dout, cache, dh_T)
        self.grads = OrderedDict((k, grads[k]) for k in self._params)
        dx = dx if self.batch_first else dx.swapaxes(0, 1)
        return dx, dh0[None], self.grads
