"""The recurrence shared by every cell: project, step, scan over time, and back again.

All three cell families compute the same two affine maps per step,

.. math::

    \\mathbf{a}^{x}_t = \\mathbf{x}_t W_{ih}^\\top + \\mathbf{b}_{ih}, \\qquad
    \\mathbf{a}^{h}_t = \\mathbf{h}_{t-1} W_{hh}^\\top + \\mathbf{b}_{hh},

and differ only in the element-wise *core* that turns ``(a_x, a_h, state)`` into the
next state (``tanh(a_x + a_h)`` for the plain RNN; gates for LSTM and GRU). So a
family supplies two functions,

``core_forward(xw, hw, state, **opts) -> (state_next, cache)`` and
``core_backward(dstate_next, cache) -> (dxw, dhw, dstate_direct)``,

where states are tuples (``(h,)``, or ``(h, c)`` for the LSTM) and ``dstate_direct``
holds the gradient reaching ``state`` other than through ``a_h`` (``None`` for none).
This module owns everything else: the matrix products, their gradients, and the
loop over time.

What makes the loop fast (see the performance appendix of the book):

* **Hoisting.** The input projection does not depend on the previous state, so it is
  one ``(T*N, D) @ (D, G*H)`` product before the loop; in the backward pass ``dx`` and
  both weight gradients are likewise one product each after the loop. Only
  ``h_{t-1} W_hh^T`` (forward) and ``da_t W_hh`` (backward) stay inside it.
* **Time-major inside.** Inside the scan arrays are ``(T, N, ·)``, so the slice of
  step ``t`` is one contiguous block, and the per-step results are stacked once, in
  time order (once in all for the RNN and LSTM, whose ``dxw`` is ``dhw``).
* **Contiguous** ``W_hh^T``, transposed once per sequence rather than read transposed
  at every step.
* **Folded biases.** Where the core only ever uses ``a_x + a_h`` (the RNN and the
  LSTM, marked with the :func:`core` decorator), ``b_hh`` is added into the hoisted
  projection once instead of at every step. The GRU cannot: its reset gate
  multiplies ``W_hn h + b_hn``.

Arrays are batch-first, ``(N, T, D)``, at the interface; every function runs on NumPy
arrays and on torch tensors alike (see :mod:`course_pkg.backend`).
"""
from __future__ import annotations

from collections.abc import Mapping

from . import _validate as V
from .backend import clone, contiguous, dtype_name, is_torch, stack, torch_module, zeros_like


def core(fold_bias_hh=False):
    """Decorator for a family's ``core_forward``: declare what the scan may do with it.

    Args:
        fold_bias_hh: ``True`` if the core uses ``xw`` and ``hw`` only through their sum,
            so that the scan may add ``b_hh`` to ``xw`` (once, in the hoisted projection)
            instead of to ``hw`` at every step. ``False``, the default, is always correct.
    """
    def mark(core_forward):
        core_forward.fold_bias_hh = bool(fold_bias_hh)
        return core_forward
    return mark


def linear(x, weight, bias=None):
    """Affine map ``x @ weight.T + bias`` over the last axis: ``(..., D) -> (..., G*H)``."""
    out = x @ weight.T
    return out if bias is None else out + bias


def linear_backward(dout, x, weight, suffix, has_bias):
    """Gradients of :func:`linear`: ``(dx, {"weight_<suffix>": ..., "bias_<suffix>": ...})``."""
    return dout @ weight, weight_grads(dout, x, suffix, has_bias)   # dx: (..., D)


def weight_grads(dout, x, suffix, has_bias):
    """Parameter gradients of :func:`linear`, summed over all leading axes of ``dout``/``x``.

    Keyed ``weight_<suffix>``/``bias_<suffix>`` (``weight``/``bias`` when ``suffix`` is empty).
    """
    GH, D = dout.shape[-1], x.shape[-1]
    tail = f"_{suffix}" if suffix else ""
    d2 = dout.reshape(-1, GH)                              # (M, GH)
    grads = {f"weight{tail}": d2.T @ x.reshape(-1, D)}     # (GH, D)
    if has_bias:
        grads[f"bias{tail}"] = d2.sum(0)                   # (GH,)
    return grads


def check_params(params, gates):
    """Check a cell's parameter dict; return ``(D, H, has_bias)``.

    Raises:
        TypeError: if ``params`` is not a dict of float arrays of one back-end and dtype.
        ValueError: if a weight is missing or the shapes disagree with each other.
    """
    V.check_type("params", params, Mapping, "a dict name -> array")
    for key in ("weight_ih", "weight_hh"):
        if key not in params:
            raise ValueError(f"Expected params to hold {key!r}, got keys {sorted(params)}")
    V.check_array("params['weight_ih']", params["weight_ih"])
    for key, value in params.items():
        _check_like(f"params[{key!r}]", value, params["weight_ih"], "weight_ih's")
    GH, D = params["weight_ih"].shape
    H = GH // gates
    expected = {"weight_ih": (gates * H, D), "weight_hh": (gates * H, H),
                "bias_ih": (gates * H,), "bias_hh": (gates * H,)}
    if GH % gates:
        raise ValueError(f"Expected weight_ih with {gates}*H rows, got shape {tuple(params['weight_ih'].shape)}")
    for key, shape in expected.items():
        if key in params and tuple(params[key].shape) != shape:
            raise ValueError(f"Expected {key} of shape {shape}, got {tuple(params[key].shape)}")
    has_bias = "bias_ih" in params
    if has_bias != ("bias_hh" in params):
        raise ValueError(f"Expected both bias_ih and bias_hh or neither, got keys {sorted(params)}")
    return D, H, has_bias


def _check_like(name, x, like, whose="the parameters'"):
    """``x`` if it is a float array of the back-end and dtype of the float array ``like``."""
    return V.check_array(name, x, "torch" if is_torch(like) else "numpy", dtype_name(like.dtype),
                         dtype_note=f" ({whose} dtype)")


def check_step(x, states, params, gates):
    """Check one step's input ``(N, D)`` and states ``(N, H)`` against ``params``.

    Raises:
        TypeError: if an array is not of the parameters' back-end and dtype.
        ValueError: if a shape disagrees with the parameters.
    """
    D, H, _ = check_params(params, gates)
    _check_like("x", x, params["weight_ih"])
    if x.ndim != 2 or x.shape[1] != D:
        raise ValueError(f"Expected x of shape (N, {D}), got {tuple(x.shape)}")
    for name, s in states.items():
        _check_like(name, s, params["weight_ih"])
        if tuple(s.shape) != (x.shape[0], H):
            raise ValueError(f"Expected {name} of shape {(x.shape[0], H)}, got {tuple(s.shape)}")


def check_sequence(x, states, params, gates):
    """Check a sequence ``(N, T, D)``, ``T >= 1``, and its initial states ``(N, H)`` against ``params``.

    Raises:
        TypeError: if an array is not of the parameters' back-end and dtype.
        ValueError: if ``x`` is not ``(N, T, D)`` with ``T >= 1``, or a shape disagrees.
    """
    check_params(params, gates)
    _check_like("x", x, params["weight_ih"])
    if x.ndim != 3:
        raise ValueError(f"Expected x of shape (N, T, D), got {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError(f"Expected sequence length to be larger than 0, got x of shape {tuple(x.shape)}")
    check_step(x[:, 0], states, params, gates)


def check_step_grad(grads, cache, forward):
    """Check the gradients handed to a step's backward against its ``cache``; ``grads``: name -> array.

    Raises:
        TypeError: if ``cache`` is not what ``forward`` returned, or a gradient is not an
            array of the forward's back-end and dtype.
        ValueError: if a gradient's shape is not the state's ``(N, H)``.
    """
    if not (isinstance(cache, tuple) and len(cache) == 4 and isinstance(cache[2], Mapping)):
        raise TypeError(f"Expected cache to be the cache {forward}() returned, got {type(cache).__name__}")
    _check_grads(grads, cache[1], tuple(cache[1].shape))


def check_scan_grad(grads, cache, forward):
    """Check the gradients handed to a sequence's backward against its ``cache``.

    ``dh`` is ``(N, T, H)``; a final state's gradient (``dc_T``) is ``(N, H)``.

    Raises:
        TypeError: if ``cache`` is not what ``forward`` returned, or a gradient is not an
            array of the forward's back-end and dtype.
        ValueError: if a gradient's shape differs from its state's.
    """
    if not (isinstance(cache, tuple) and len(cache) == 6 and isinstance(cache[1], Mapping)):
        raise TypeError(f"Expected cache to be the cache {forward}() returned, got {type(cache).__name__}")
    x_tm, h_prev = cache[0], cache[3][0]
    T, N = x_tm.shape[:2]
    for name, g in grads.items():
        shape = (N, T, h_prev.shape[-1]) if name == "dh" else tuple(h_prev.shape)
        _check_grads({name: g}, h_prev, shape)


def _check_grads(grads, like, shape):
    for name, g in grads.items():
        V.check_shape(name, _check_like(name, g, like, "the forward's"), shape)


def step_forward(core_forward, x, state, params, **opts):
    """One time step of any cell: ``(x, state) -> (state_next, cache)``.

    Args:
        core_forward: the family's element-wise core (see the module docstring).
        x: input at this step, shape ``(N, D)``.
        state: tuple of arrays of shape ``(N, H)``.
        params: ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, optional ``bias_ih``,
            ``bias_hh (G*H,)``.
    """
    xw = linear(x, params["weight_ih"], params.get("bias_ih"))    # (N, G*H)
    hw = linear(state[0], params["weight_hh"], params.get("bias_hh"))  # (N, G*H)
    state_next, core_cache = core_forward(xw, hw, state, **opts)
    return state_next, (x, state[0], params, core_cache)


def step_backward(core_backward, dstate_next, cache):
    """Backward of :func:`step_forward`: ``-> (dx, dstate_prev, grads)``."""
    x, h_prev, params, core_cache = cache
    has_bias = "bias_ih" in params
    dxw, dhw, direct = core_backward(dstate_next, core_cache)
    dx, grads = linear_backward(dxw, x, params["weight_ih"], "ih", has_bias)
    dh_prev, grads_hh = linear_backward(dhw, h_prev, params["weight_hh"], "hh", has_bias)
    grads.update(grads_hh)
    return dx, _add_direct(dh_prev, direct), grads


def _add_direct(dh_prev, direct):
    """State gradient = the path through ``a_h`` plus the family's direct paths."""
    if direct[0] is not None:
        dh_prev = dh_prev + direct[0]
    return (dh_prev,) + tuple(direct[1:])


def scan_forward(core_forward, x, state0, params, reverse=False, mask=None, **opts):
    """Run a cell over a whole sequence.

    With a ``mask``, padded steps leave the state unchanged and output zeros, which is
    what PyTorch's packed sequences compute: for example the state after the last
    valid step is the final state, and the reverse direction starts at the last valid
    step of each sequence rather than in its padding:

    .. math::
        s_t = m_t \\, \\mathrm{cell}(x_t, s_{t-1}) + (1 - m_t)\\, s_{t-1}, \\qquad
        \\mathrm{out}_t = m_t\\, h_t^{\\mathrm{cell}}

    Args:
        core_forward: the family's element-wise core.
        x: inputs, shape ``(N, T, D)``.
        state0: tuple of initial states, each ``(N, H)``.
        params: the cell's parameters (see :func:`step_forward`).
        reverse: process ``t = T-1, ..., 0`` (the backward direction of a
            bidirectional layer); outputs stay aligned with the inputs.
        mask: optional ``(N, T)`` array of 1 (valid) and 0 (padding), in ``x``'s dtype.

    Returns:
        ``(out, state_T, cache)``: ``out`` of shape ``(N, T, H)`` holds ``h_t`` for
        every ``t``, ``state_T`` the state after the last processed step.
    """
    N, T, D = x.shape
    b_x, b_h = params.get("bias_ih"), params.get("bias_hh")       # added to xw and to hw
    if b_x is not None and getattr(core_forward, "fold_bias_hh", False):
        b_x, b_h = b_x + b_h, None                                # the core only uses xw + hw
    x_tm = contiguous(x.swapaxes(0, 1))                           # (T, N, D), time-major
    xw = x_tm.reshape(T * N, D) @ params["weight_ih"].T           # hoisted: one product for all steps
    if b_x is not None:
        xw += b_x
    xw = xw.reshape(T, N, xw.shape[-1])                           # (T, N, G*H)
    W_hhT = contiguous(params["weight_hh"].T)                     # (H, G*H), transposed once
    steps = range(T - 1, -1, -1) if reverse else range(T)
    state, h_prev, core_caches, hs = state0, [], [], []
    for t in steps:
        h_prev.append(state[0])
        hw = state[0] @ W_hhT                                     # (N, G*H), the only product per step
        if b_h is not None:
            hw = hw + b_h
        new, core_cache = core_forward(xw[t], hw, state, **opts)
        core_caches.append(core_cache)
        if mask is None:
            state = new
            hs.append(new[0])
        else:
            m = mask[:, t, None]                                  # (N, 1)
            state = tuple(m * a + (1 - m) * b for a, b in zip(new, state))
            hs.append(m * new[0])
    if reverse:                                                   # store everything in time order
        for per_step in (hs, h_prev, core_caches):
            per_step.reverse()
    out = stack(hs, 0).swapaxes(0, 1)                             # (N, T, H)
    return out, state, (x_tm, params, reverse, h_prev, core_caches, mask)


def scan_backward(core_backward, dout, dstate_T, cache):
    """Backpropagation through time for :func:`scan_forward`.

    Args:
        core_backward: the family's element-wise core backward.
        dout: gradient of the loss w.r.t. ``out``, shape ``(N, T, H)``.
        dstate_T: tuple of gradients w.r.t. ``state_T`` (``None`` entries mean zero).
        cache: from :func:`scan_forward`.

    Returns:
        ``(dx, dstate0, grads)``: ``dx`` of shape ``(N, T, D)``, ``dstate0`` a tuple
        like ``state0``, ``grads`` keyed like ``params``.
    """
    x_tm, params, reverse, h_prev, core_caches, mask = cache
    T, N, D = x_tm.shape
    has_bias = "bias_ih" in params
    W_hh = params["weight_hh"]                                    # (G*H, H)
    dout = dout.swapaxes(0, 1)                                    # (T, N, H)
    dstate = tuple(zeros_like(h_prev[0], h_prev[0].shape) if d is None else d for d in dstate_T)
    dxw, dhw = [None] * T, [None] * T                             # per time step, (N, G*H) each
    for t in (range(T) if reverse else range(T - 1, -1, -1)):     # the forward's steps, last first
        if mask is None:
            dnew, passed = (dstate[0] + dout[t],) + dstate[1:], None
        else:
            m = mask[:, t, None]                                  # (N, 1)
            dnew = (m * (dstate[0] + dout[t]),) + tuple(m * d for d in dstate[1:])
            passed = tuple((1 - m) * d for d in dstate)           # padded rows skip the cell
        dxw[t], dhw[t], direct = core_backward(dnew, core_caches[t])
        dstate = _add_direct(dhw[t] @ W_hh, direct)               # (N, H) each
        if passed is not None:
            dstate = tuple(a if b is None else a + b for a, b in zip(dstate, passed))
    shared = dxw[0] is dhw[0]                                     # RNN, LSTM: the same array
    GH, H = W_hh.shape
    dXW2 = stack(dxw, 0).reshape(T * N, GH)                       # (T*N, G*H), time order
    dHW2 = dXW2 if shared else stack(dhw, 0).reshape(T * N, GH)
    dx = (dXW2 @ params["weight_ih"]).reshape(T, N, D).swapaxes(0, 1)   # (N, T, D)
    grads = {"weight_ih": dXW2.T @ x_tm.reshape(T * N, D),
             "weight_hh": dHW2.T @ stack(h_prev, 0).reshape(T * N, H)}
    if has_bias:
        grads["bias_ih"] = dXW2.sum(0)
        grads["bias_hh"] = clone(grads["bias_ih"]) if shared else dHW2.sum(0)   # never aliased
    return dx, dstate, grads


def scan_autograd(core_forward, core_backward, x, state0, params, reverse=False, mask=None, **opts):
    """:func:`scan_forward` for torch tensors, as one autograd node whose backward is
    :func:`scan_backward`.

    Eager autograd would record every small operation of every step (about twenty
    per step for the LSTM) and replay them one by one; here the forward runs without
    recording and autograd calls the hand-written backward instead. The equations
    are the same; only who drives the backward pass differs.

    Returns ``(out, state_T, cache)`` like :func:`scan_forward`.
    """
    keys = list(params)
    holder = []
    outputs = _scan_function().apply(core_forward, core_backward, opts, reverse, mask, keys, holder,
                                     x, *state0, *(params[k] for k in keys))
    out, state_T = outputs[0], tuple(outputs[1:])
    return out.swapaxes(0, 1), state_T, holder[0]


_SCAN_FUNCTION = []


def _scan_function():
    """The ``torch.autograd.Function`` behind :func:`scan_autograd` (built on first use)."""
    if _SCAN_FUNCTION:
        return _SCAN_FUNCTION[0]
    torch = torch_module()

    class ScanFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, core_forward, core_backward, opts, reverse, mask, keys, holder, x, *tensors):
            n_states = len(tensors) - len(keys)
            state0, params = tensors[:n_states], dict(zip(keys, tensors[n_states:]))
            out, state_T, cache = scan_forward(core_forward, x, state0, params, reverse, mask, **opts)
            holder.append(cache)
            ctx.core_backward, ctx.keys, ctx.cache = core_backward, keys, cache
            return (out.swapaxes(0, 1).contiguous(),) + tuple(state_T)   # out time-major (T, N, H)

        @staticmethod
        @torch.autograd.function.once_differentiable   # the cache is constant: no double backward
        def backward(ctx, dout, *dstate_T):
            dx, dstate0, grads = scan_backward(ctx.core_backward, dout.swapaxes(0, 1), dstate_T, ctx.cache)
            return (None,) * 7 + (dx,) + tuple(dstate0) + tuple(grads[k] for k in ctx.keys)

    _SCAN_FUNCTION.append(ScanFunction)
    return ScanFunction
