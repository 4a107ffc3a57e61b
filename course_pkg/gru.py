r"""Gated recurrent unit (GRU, 门控循环单元): step, sequence, and torch.nn-style classes.

In torch.nn's notation and gate order :math:`r, z, n` (``3H`` rows):

.. math::

    \begin{aligned}
    \mathbf{r}_t &= \sigma(\mathbf{x}_t W_{ir}^\top + \mathbf{b}_{ir} + \mathbf{h}_{t-1} W_{hr}^\top + \mathbf{b}_{hr}) \\
    \mathbf{z}_t &= \sigma(\mathbf{x}_t W_{iz}^\top + \mathbf{b}_{iz} + \mathbf{h}_{t-1} W_{hz}^\top + \mathbf{b}_{hz}) \\
    \mathbf{n}_t &= \tanh\big(\mathbf{x}_t W_{in}^\top + \mathbf{b}_{in} + \mathbf{r}_t \odot (\mathbf{h}_{t-1} W_{hn}^\top + \mathbf{b}_{hn})\big) \\
    \mathbf{h}_t &= (1 - \mathbf{z}_t) \odot \mathbf{n}_t + \mathbf{z}_t \odot \mathbf{h}_{t-1}
    \end{aligned}

The reset gate multiplies ``W_hn h + b_hn`` (not ``h`` before the product, as in the
2014 paper), which is why the core needs the input and hidden projections separately.
"""
from __future__ import annotations

from . import scan
from .layers import CellBase, RNNBase


@scan.core(keeps=("gates", "hn"))
def gru_core_forward(xw, hw, state, out, xp):
    """Element-wise core: gates from ``xw, hw``, then the new ``h``.

    ``xw, hw`` are ``(3, N, H)``, one block per gate (see :func:`~course_pkg.scan.gates`).
    ``r`` multiplies ``hw``'s last block, ``W_hn h + b_hn``, so ``b_hh`` must stay in
    ``hw``: unlike the RNN and LSTM cores this one is not marked ``fold_bias_hh``. The
    gates ``r, z, n`` go into ``out``'s contiguous ``(3, N, H)`` array ``y``; ``h`` and
    ``W_hn h + b_hn`` (kept for the backward pass) go into ``out`` too.
    """
    (h_prev,) = state
    h, y, hn = out
    rz = xp.sigmoid(xp.add(xw[:2], hw[:2], out=y[:2]), out=y[:2])   # [r, z]: adjacent, one call
    r, z = scan.unstack(rz)
    hn = xp.copy(hw[2], out=hn)                            # W_hn h + b_hn
    r_hn = xp.multiply(r, hn, out=h)                       # h's array serves as scratch until the end
    n = xp.tanh(xp.add(xw[2], r_hn, out=y[2]), out=y[2])
    h = xp.subtract(h_prev, n, out=h)
    h = xp.add(n, xp.multiply(z, h, out=h), out=h)         # h = n + z (h_prev - n) = (1 - z) n + z h_prev
    return (h,), (rz, n, hn, h_prev)


@scan.core()
def gru_core_backward(dstate_next, cache, out, xp):
    """Backward of :func:`gru_core_forward`: ``-> (dxw, dhw, (dh_prev_direct,))``.

    ``out = (dxw, dhw, work)``: ``dxw`` and ``dhw`` ``(3, N, H)`` receive the results (views
    of the scan's ``(N, 3H)`` arrays), ``work`` is two ``(3, N, H)`` scratch arrays. ``dh`` is
    the scan's array and is overwritten with the direct path ``dh * z``.
    """
    rz, n, hn, h_prev = cache
    (dh,) = dstate_next
    dxw, dhw, (dy, tmp) = out
    r, z = scan.unstack(rz)
    dr, dz, dn = scan.unstack(dy)                          # dL/d(gate value), (N, H) each
    xp.multiply(dh, xp.subtract(h_prev, n, out=dz), out=dz)
    xp.multiply(dh, xp.subtract(1.0, z, out=dn), out=dn)
    dtanh = xp.subtract(1.0, xp.multiply(n, n, out=tmp[0]), out=tmp[0])
    dn = xp.multiply(dn, dtanh, out=dn)                    # through n's tanh
    xp.multiply(dn, hn, out=dr)
    drz = xp.multiply(dy[:2], rz, out=dy[:2])
    drz = xp.multiply(drz, xp.subtract(1.0, rz, out=tmp[:2]), out=drz)   # through σ: y (1 - y)
    xp.copy(dy, out=dxw)                                   # [dr, dz, dn]
    xp.copy(drz, out=dhw[:2])
    xp.multiply(dn, r, out=dhw[2])                         # through r * (W_hn h + b_hn)
    return dxw, dhw, (xp.multiply(dh, z, out=dh),)


def gru_step_forward(x, h_prev, params):
    """One GRU step: ``(N, D), (N, H) -> (h_next (N, H), cache)``.

    ``params``: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, optional ``bias_ih``, ``bias_hh (3H,)``.

    Raises:
        TypeError: if ``params`` is not a dict of arrays, or an array is not of
            ``weight_ih``'s back-end and float dtype.
        ValueError: on shapes that disagree.
    """
    scan.check_step(x, {"h_prev": h_prev}, params, gates=3)
    (h,), cache = scan.step_forward(gru_core_forward, x, (h_prev,), params)
    return h, cache


def gru_step_backward(dh_next, cache):
    """Backward of :func:`gru_step_forward`: ``-> (dx (N, D), dh_prev (N, H), grads)``.

    Raises:
        TypeError: if ``cache`` is not :func:`gru_step_forward`'s, or ``dh_next`` not an
            array of its back-end and dtype.
        ValueError: if ``dh_next`` is not ``(N, H)``.
    """
    scan.check_step_grad({"dh_next": dh_next}, cache, "gru_step_forward")
    dx, (dh_prev,), grads = scan.step_backward(gru_core_backward, (dh_next,), cache)
    return dx, dh_prev, grads


def gru_forward(x, h0, params):
    """Run a GRU over ``x`` ``(N, T, D)`` from ``h0`` ``(N, H)``: ``-> (h (N, T, H), cache)``.

    Raises:
        TypeError: if ``params`` is not a dict of arrays, or an array is not of
            ``weight_ih``'s back-end and float dtype.
        ValueError: on shapes that disagree, or ``T = 0``.
    """
    scan.check_sequence(x, {"h0": h0}, params, gates=3)
    h, _, cache = scan.scan_forward(gru_core_forward, x, (h0,), params)
    return h, cache


def gru_backward(dh, cache):
    """Backpropagation through time for :func:`gru_forward`: ``-> (dx, dh0, grads)``.

    Raises:
        TypeError: if ``cache`` is not :func:`gru_forward`'s, or ``dh`` not an array of its
            back-end and dtype.
        ValueError: if ``dh`` is not ``(N, T, H)``.
    """
    scan.check_scan_grad({"dh": dh}, cache, "gru_forward")
    dx, (dh0,), grads = scan.scan_backward(gru_core_backward, dh, (None,), cache)
    return dx, dh0, grads


class GRUCell(CellBase):
    """A GRU cell, shaped like :class:`torch.nn.GRUCell` (equations in :mod:`course_pkg.gru`).

    Args, inputs and returns as :class:`~course_pkg.rnn.RNNCell`, without ``nonlinearity``.

    Raises:
        ValueError, TypeError: as :class:`~course_pkg.rnn.RNNCell`.
    """

    gates = 3
    core_forward = staticmethod(gru_core_forward)
    core_backward = staticmethod(gru_core_backward)


class GRU(RNNBase):
    """A multi-layer GRU, shaped like :class:`torch.nn.GRU` (equations in :mod:`course_pkg.gru`).

    Args, inputs and returns as :class:`~course_pkg.rnn.RNN`, without ``nonlinearity``.

    Raises:
        ValueError, TypeError: as :class:`~course_pkg.rnn.RNN`.
    """

    gates = 3
    gate_order, keras_gate_order = "rzn", "zrn"            # Keras' z, r, h: update gate first
    core_forward = staticmethod(gru_core_forward)
    core_backward = staticmethod(gru_core_backward)
