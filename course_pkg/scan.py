"""The recurrence shared by every cell: project, step, scan over time, and back again.

All three cell families compute the same two affine maps per step,

.. math::

    \\mathbf{a}^{x}_t = \\mathbf{x}_t W_{ih}^\\top + \\mathbf{b}_{ih}, \\qquad
    \\mathbf{a}^{h}_t = \\mathbf{h}_{t-1} W_{hh}^\\top + \\mathbf{b}_{hh},

and differ only in the element-wise *core* that turns ``(a_x, a_h, state)`` into the
next state (``tanh(a_x + a_h)`` for the plain RNN; gates for LSTM and GRU). So a
family supplies two functions,

``core_forward(xw, hw, state, out, xp, **opts) -> (state_next, cache)`` and
``core_backward(dstate_next, cache, out, xp) -> (dxw, dhw, dstate_direct)``,

where states are tuples (``(h,)``, or ``(h, c)`` for the LSTM) and ``dstate_direct``
holds the gradient reaching ``state`` other than through ``a_h`` (``None`` for none).
``xw`` and ``hw`` are the two projections of the step, ``(G, N, H)`` each, one block per
gate (:func:`gates`); a core marked ``fold_bias_hh`` (see :func:`core`) gets their sum as
``xw`` and ``hw = None``. ``xp`` holds the array functions the cores call (``xp.add``,
``xp.multiply``, ...: NumPy's names, with NumPy's ``out=``; see :func:`array_ops`), and
``out`` the arrays the results go into: the new state and what the core keeps in the
forward pass, ``(dxw, dhw, work)`` in the backward pass. ``xw``, ``hw`` and the gradients in
``dstate_next`` are the scan's scratch: the core may overwrite them. This module owns
everything else: the matrix products, their gradients, the arrays and the loop over time.

What makes the loop fast (see the performance appendix of the book):

* **Hoisting.** The input projection does not depend on the previous state, so it is
  one ``(T*N, D) @ (D, G*H)`` product before the loop; in the backward pass ``dx`` and
  both weight gradients are likewise one product each after the loop. Only
  ``h_{t-1} W_hh^T`` (forward) and ``da_t W_hh`` (backward) stay inside it.
* **Time-major inside.** Inside the scan arrays are ``(T, N, ·)``, so the slice of
  step ``t`` is one contiguous block.
* **Arrays made once per sequence, written in place.** Every per-step result goes
  straight into its slot of an array allocated once per sequence: the states into
  ``(T + 1, N, H)`` arrays that hold ``h_{t-1}`` and ``h_t`` for the cache at once (the
  output is one copy of them), the gates into a ``(T, G, N, H)`` array, ``da_t`` into one
  ``(T, N, G*H)`` array, which the hoisted products then read; nothing is stacked afterwards. The cores work with ``out=`` on
  contiguous ``(N, H)`` gate blocks (gate-major, so that no operation runs on a strided
  slice of an ``(N, G*H)`` row), and ``i, f`` (``r, z``) go through one sigmoid call.
* **Contiguous** ``W_hh^T``, transposed once per sequence rather than read transposed
  at every step.
* **Folded biases and sums.** Where the core only ever uses ``a_x + a_h`` (the RNN and
  the LSTM, marked ``fold_bias_hh`` with the :func:`core` decorator), ``b_hh`` is added
  into the hoisted projection once instead of at every step, the scan adds
  ``h_{t-1} W_hh^T`` into the step's slice of it (one fused ``addmm`` on torch), and
  ``dxw`` and ``dhw`` are one array. The GRU cannot: its reset gate multiplies
  ``W_hn h + b_hn``.

While torch's autograd records (the torch back-end with ``explicit_backward=False``),
the cores' functions return new tensors instead of writing in place (:func:`array_ops`);
the hand-written backward always runs without recording.

Arrays are batch-first, ``(N, T, D)``, at the interface; every function runs on NumPy
arrays and on torch tensors alike (see :mod:`course_pkg.backend`).
"""
from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext

import numpy as np

from . import _validate as V
from .backend import clone, contiguous, dtype_name, is_torch, stack, torch_module, zeros_like


def core(fold_bias_hh=False, keeps=()):
    """Decorator for both halves of a family's core: declare what the scan may do with it.

    Args:
        fold_bias_hh: ``True`` if the core uses ``xw`` and ``hw`` only through their sum:
            the scan then adds ``b_hh`` to ``xw`` once, in the hoisted projection, instead of
            to ``hw`` at every step, hands the core the sum ``xw + hw`` as ``xw`` (and
            ``hw = None``), and, the gradients of ``xw`` and ``hw`` being equal, gives the
            backward core one array for both (``out = (da, da, work)``). ``False``, the
            default, is always correct.
        keeps: names of the arrays, besides the new state, that the forward core writes at
            every step and keeps in its cache: ``(N, H)`` each, except ``"gates"``, which is
            ``(G, N, H)``, one contiguous ``(N, H)`` block per gate (see :func:`gates`).
            ``out`` holds the new state's arrays, then these.
    """
    def mark(core_function):
        core_function.fold_bias_hh = bool(fold_bias_hh)
        core_function.keeps = tuple(keeps)
        return core_function
    return mark


# -- the array functions of the cores ------------------------------------------------------------
def gates(a, G):
    """``a`` of shape ``(..., N, G*H)`` as a ``(..., G, N, H)`` view: gate ``k``'s block
    ``a[..., k*H:(k+1)*H]`` is ``gates(a, G)[..., k, :, :]``. The cores see the projections
    and write their gradients through such views: the matrix products need ``(N, G*H)``,
    and the cores add the two projections into a contiguous ``(G, N, H)`` gate array, in
    which every gate is one contiguous block."""
    return a.reshape(*a.shape[:-1], G, a.shape[-1] // G).swapaxes(-3, -2)


def unstack(a):
    """The views ``a[0], a[1], ...`` of an array's first axis, as ``i, f, g, o = unstack(y)``
    (on torch one call, ``unbind``: unpacking a tensor directly costs twice as much)."""
    return a.unbind(0) if is_torch(a) else tuple(a)


class _Nowhere:
    """The ``out`` of a core while autograd records: nothing is written, and every slice of it
    is itself, so that a core indexes its ``out`` arrays the same way in both cases."""

    def __getitem__(self, key):
        return self


_NOWHERE = _Nowhere()


def _copy(x, out=None):
    """A copy of ``x``, into ``out`` if given."""
    if out is None:
        return clone(x)
    if is_torch(out):
        return out.copy_(x)
    np.copyto(out, x)
    return out


class _Ops:
    """NumPy's spelling of the few functions the cores call, each with ``out=``: ``add``,
    ``subtract``, ``multiply``, ``tanh``, ``sigmoid``, ``matmul``, ``copy(x, out=None)``, and
    ``addmm(c, a, b, out=None, scratch=None)``, ``c + a @ b`` (one fused call on torch; the
    product goes into ``scratch`` on NumPy, which has none)."""

    def __init__(self, xp, inplace):
        self._torch = xp is not np
        names = ("add", "subtract", "multiply", "tanh", "matmul", "sigmoid", "addmm")
        for name in names:
            own = name == "addmm" or (name == "sigmoid" and not self._torch)
            f = getattr(self, "_" + name) if own else getattr(xp, name)
            if self._torch and name in ("add", "subtract", "multiply"):
                f = self._with_tensor_scalars(f)
            setattr(self, name, f if inplace else (lambda f: lambda *args, out=None, **_: f(*args))(f))
        self.copy = _copy if inplace else (lambda x, out=None: x)
        self.inplace = inplace
        self._scalars = {}

    def _with_tensor_scalars(self, f):
        """``f`` with a Python number operand passed as a 0-d tensor of the other's dtype and
        device, made once (torch converts a number anew at every call, which costs more
        than the operation itself on a small array)."""
        def call(a, b, out=None):
            if isinstance(a, float):
                a = self._scalar(a, b)
            elif isinstance(b, float):
                b = self._scalar(b, a)
            return f(a, b, out=out)
        return call

    def _scalar(self, value, like):
        key = (value, like.dtype, like.device)
        scalar = self._scalars.get(key)
        if scalar is None:
            scalar = self._scalars[key] = torch_module().tensor(value, dtype=like.dtype, device=like.device)
        return scalar

    def _addmm(self, c, a, b, out=None, scratch=None):
        if self._torch:
            return torch_module().addmm(c, a, b, out=out)
        product = np.matmul(a, b, out=out if scratch is None else scratch)
        return np.add(product, c, out=out) if product is out else np.add(c, product, out=out)

    def _sigmoid(self, a, out=None):
        """NumPy has no sigmoid: ``σ(a) = (1 + tanh(a/2)) / 2``, written with tanh, which cannot
        overflow (torch's own ``sigmoid`` is one fused operation)."""
        y = np.tanh(np.multiply(a, 0.5, out=out), out=out)
        return np.add(np.multiply(y, 0.5, out=y), 0.5, out=y)


_OPS = {}


def array_ops(x):
    """The array functions for ``x``'s back-end: NumPy's ufuncs, or torch's functions of the same
    names, which write into ``out=``. While torch's autograd records (grad mode on, as for
    ``explicit_backward=False``), writing in place would spoil the recorded graph, so the same
    names then return new tensors and ignore ``out``; the cores always use what they return."""
    if not is_torch(x):
        key = "numpy"
    else:
        key = "torch" if not torch_module().is_grad_enabled() else "recording"
    if key not in _OPS:
        _OPS[key] = _Ops(np if key == "numpy" else torch_module(), inplace=key != "recording")
    return _OPS[key]


def _empty(like, shape):
    """An uninitialised array of ``shape`` with ``like``'s back-end, dtype and device."""
    if is_torch(like):
        return torch_module().empty(shape, dtype=like.dtype, device=like.device)
    return np.empty(shape, dtype=like.dtype)


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


def _folded(core_function):
    return getattr(core_function, "fold_bias_hh", False)


def _keeps(core_function, G, N, H):
    """The shapes of what a forward core keeps per step: ``(G, N, H)`` for ``"gates"``, else ``(N, H)``."""
    return [(G, N, H) if name == "gates" else (N, H) for name in getattr(core_function, "keeps", ())]


def step_forward(core_forward, x, state, params, **opts):
    """One time step of any cell: ``(x, state) -> (state_next, cache)``.

    Args:
        core_forward: the family's element-wise core (see the module docstring).
        x: input at this step, shape ``(N, D)``.
        state: tuple of arrays of shape ``(N, H)``.
        params: ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, optional ``bias_ih``,
            ``bias_hh (G*H,)``.
    """
    xp = array_ops(x)
    xw = linear(x, params["weight_ih"], params.get("bias_ih"))    # (N, G*H), fresh: the core's scratch
    hw = linear(state[0], params["weight_hh"], params.get("bias_hh"))  # (N, G*H)
    (N, H), G = state[0].shape, xw.shape[1] // state[0].shape[1]
    shapes = [(N, H)] * len(state) + _keeps(core_forward, G, N, H)
    out = tuple(_empty(x, shape) if xp.inplace else _NOWHERE for shape in shapes)
    if _folded(core_forward):                                     # the core uses the sum only
        xw, hw = xp.add(xw, hw, out=xw), None
    state_next, core_cache = core_forward(gates(xw, G), None if hw is None else gates(hw, G), state, out, xp,
                                          **opts)
    return state_next, (x, state[0], params, core_cache)


def step_backward(core_backward, dstate_next, cache):
    """Backward of :func:`step_forward`: ``-> (dx, dstate_prev, grads)``."""
    x, h_prev, params, core_cache = cache
    with _not_recording(h_prev):
        xp = array_ops(h_prev)
        has_bias = "bias_ih" in params
        dstate_next = tuple(clone(d) for d in dstate_next)          # the core's scratch
        (N, H), GH = h_prev.shape, params["weight_hh"].shape[0]
        dxw, dhw = _grad_out(core_backward, h_prev, (N, GH))
        work = _empty(h_prev, (2, GH // H, N, H))
        direct = core_backward(dstate_next, core_cache, (gates(dxw, GH // H), gates(dhw, GH // H), work), xp)[2]
        dx, grads = linear_backward(dxw, x, params["weight_ih"], "ih", has_bias)
        dh_prev, grads_hh = linear_backward(dhw, h_prev, params["weight_hh"], "hh", has_bias)
        grads.update(grads_hh)
        return dx, _add_direct(dh_prev, direct, xp), grads


def _not_recording(like):
    """``torch.no_grad()`` for torch tensors: the hand-written backward writes into its arrays
    in place, which autograd cannot record (and has no need to). Nothing for NumPy."""
    return torch_module().no_grad() if is_torch(like) else nullcontext()


def _grad_out(core_backward, like, shape):
    """The backward core's buffers ``(dxw, dhw)`` of ``shape``: one array twice for a folded core."""
    dxw = _empty(like, shape)
    return (dxw, dxw) if _folded(core_backward) else (dxw, _empty(like, shape))


def _add_direct(dh_prev, direct, xp):
    """State gradient = the path through ``a_h`` plus the family's direct paths."""
    if direct[0] is not None:
        dh_prev = xp.add(dh_prev, direct[0], out=dh_prev)
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
    xp = array_ops(x)
    b_x, b_h = params.get("bias_ih"), params.get("bias_hh")       # added to xw and to hw
    if b_x is not None and _folded(core_forward):
        b_x, b_h = b_x + b_h, None                                # the core only uses xw + hw
    x_tm = contiguous(x.swapaxes(0, 1))                           # (T, N, D), time-major
    xw = x_tm.reshape(T * N, D) @ params["weight_ih"].T           # hoisted: one product for all steps
    if b_x is not None:
        xw = xp.add(xw, b_x, out=xw)
    GH, H = params["weight_hh"].shape
    G = GH // H
    folded = _folded(core_forward)
    xw = xw.reshape(T, N, GH)
    rows, xs = unstack(xw), unstack(gates(xw, G))               # per step (N, G*H) and (G, N, H) views
    W_hhT = contiguous(params["weight_hh"].T)                     # (H, G*H), transposed once
    steps = range(T - 1, -1, -1) if reverse else range(T)
    # Per-step results, time-major: the new state, then what the core keeps. A state buffer
    # has one slot more, for the initial state, so that its slots t and t+1 hold h_{t-1} and
    # h_t (reverse: t+1 and t): the cache of h_{t-1} and, copied once, the output.
    first, ahead = (T if reverse else 0), (0 if reverse else 1)
    buffered = xp.inplace and mask is None                        # no lists: the buffers are the result
    if xp.inplace:
        states = [_empty(x, (T + 1, N, H)) for _ in state0]
        kept = [_empty(x, (T,) + shape) for shape in _keeps(core_forward, G, N, H)]
        outs = list(zip(*[unstack(b[ahead:ahead + T]) for b in states], *[unstack(b) for b in kept]))
        hw = _empty(x, (N, GH))                                   # (N, G*H), reused at every step
        hw_gates = gates(hw, G)
        if mask is None:
            for buf, s in zip(states, state0):
                _copy(s, out=buf[first])
            state0 = tuple(buf[first] for buf in states)
    else:
        outs = [(_NOWHERE,) * (len(state0) + len(_keeps(core_forward, G, N, H)))] * T
        hw = None
    state, h_prev, core_caches, hs = state0, [], [], []
    for t in steps:
        if not buffered:
            h_prev.append(state[0])
        if folded:                                                # xw_t + h W_hh^T, into xw_t
            a = xp.addmm(rows[t], state[0], W_hhT, out=rows[t], scratch=hw)   # the only product per step
            new, core_cache = core_forward(xs[t] if xp.inplace else gates(a, G), None, state, outs[t], xp, **opts)
        else:
            hw = xp.matmul(state[0], W_hhT, out=hw) if b_h is None else xp.addmm(b_h, state[0], W_hhT, out=hw)
            new, core_cache = core_forward(xs[t], hw_gates if xp.inplace else gates(hw, G), state, outs[t], xp,
                                           **opts)
        core_caches.append(core_cache)
        if mask is None:
            state = new
            if not buffered:
                hs.append(new[0])
        else:
            m = mask[:, t, None]                                  # (N, 1)
            state = tuple(m * a + (1 - m) * b for a, b in zip(new, state))
            hs.append(m * new[0])
    if reverse:                                                   # store everything in time order
        for per_step in (hs, h_prev, core_caches):
            per_step.reverse()
    if buffered:                                                  # the buffer holds h_0 ... h_T already
        out, h_prev = (states[0][:T], states[0][1:]) if reverse else (states[0][1:], states[0][:T])
        out = clone(out)                                          # the caller's: changing it cannot reach the cache
    else:
        out = stack(hs, 0)                                        # (T, N, H)
    return out.swapaxes(0, 1), state, (x_tm, params, reverse, h_prev, core_caches, mask)


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
    with _not_recording(cache[0]):
        return _scan_backward(core_backward, dout, dstate_T, cache)


def _scan_backward(core_backward, dout, dstate_T, cache):
    x_tm, params, reverse, h_prev, core_caches, mask = cache
    T, N, D = x_tm.shape
    xp = array_ops(x_tm)                                          # writes in place: autograd is off
    has_bias = "bias_ih" in params
    W_hh = params["weight_hh"]                                    # (G*H, H)
    GH, H = W_hh.shape
    douts = unstack(dout.swapaxes(0, 1))                         # per step (N, H)
    like = h_prev[0]
    # The state gradients are the scan's own arrays (the cores overwrite them), and so is
    # ``spare``, which receives the next dh_{t-1} while dh_t is still in use.
    dstate = tuple(zeros_like(like, like.shape) if d is None else clone(d) for d in dstate_T)
    G = GH // H
    dXW, dHW = _grad_out(core_backward, like, (T, N, GH))         # (T, N, G*H): da_t for every step
    shared = dXW is dHW                                           # RNN, LSTM: the same array
    dhs = unstack(dHW)                                           # per step (N, G*H), for the product
    dx_gates = unstack(gates(dXW, G))                            # per step (G, N, H), for the core
    dh_gates = dx_gates if shared else unstack(gates(dHW, G))
    work = _empty(like, (2, G, N, H))                             # the core's scratch, two gate arrays
    spare = _empty(like, like.shape) if mask is None else None
    for t in (range(T) if reverse else range(T - 1, -1, -1)):     # the forward's steps, last first
        if mask is None:
            dnew, passed = (xp.add(dstate[0], douts[t], out=dstate[0]),) + dstate[1:], None
        else:
            m = mask[:, t, None]                                  # (N, 1)
            dnew = (m * (dstate[0] + douts[t]),) + tuple(m * d for d in dstate[1:])
            passed = tuple((1 - m) * d for d in dstate)           # padded rows skip the cell
        direct = core_backward(dnew, core_caches[t], (dx_gates[t], dh_gates[t], work), xp)[2]
        dstate = _add_direct(xp.matmul(dhs[t], W_hh, out=spare), direct, xp)   # (N, H) each
        if passed is not None:
            dstate = tuple(a if b is None else a + b for a, b in zip(dstate, passed))
        else:
            spare = dnew[0]                                       # dh_t is spent: reuse its array
    dXW2 = dXW.reshape(T * N, GH)                                 # (T*N, G*H), time order
    dHW2 = dXW2 if shared else dHW.reshape(T * N, GH)
    H_prev = h_prev if not isinstance(h_prev, list) else stack(h_prev, 0)   # (T, N, H)
    dx = (dXW2 @ params["weight_ih"]).reshape(T, N, D).swapaxes(0, 1)   # (N, T, D)
    grads = {"weight_ih": dXW2.T @ x_tm.reshape(T * N, D),
             "weight_hh": dHW2.T @ H_prev.reshape(T * N, H)}
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
            # out time-major (T, N, H), a copy already; the final states copied too, so that changing
            # an output in place cannot reach the cache
            return (out.swapaxes(0, 1).contiguous(),) + tuple(s.clone() for s in state_T)

        @staticmethod
        @torch.autograd.function.once_differentiable   # the cache is constant: no double backward
        def backward(ctx, dout, *dstate_T):
            dx, dstate0, grads = scan_backward(ctx.core_backward, dout.swapaxes(0, 1), dstate_T, ctx.cache)
            return (None,) * 7 + (dx,) + tuple(dstate0) + tuple(grads[k] for k in ctx.keys)

    _SCAN_FUNCTION.append(ScanFunction)
    return ScanFunction
