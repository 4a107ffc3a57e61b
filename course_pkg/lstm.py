r"""Long short-term memory (LSTM, 长短期记忆网络): step, sequence, and torch.nn-style classes.

In torch.nn's notation and gate order :math:`i, f, g, o` (rows of ``weight_ih`` and
``weight_hh`` are stacked in that order, ``4H`` in all):

.. math::

    \begin{aligned}
    \mathbf{i}_t &= \sigma(\mathbf{x}_t W_{ii}^\top + \mathbf{b}_{ii} + \mathbf{h}_{t-1} W_{hi}^\top + \mathbf{b}_{hi}) \\
    \mathbf{f}_t &= \sigma(\mathbf{x}_t W_{if}^\top + \mathbf{b}_{if} + \mathbf{h}_{t-1} W_{hf}^\top + \mathbf{b}_{hf}) \\
    \mathbf{g}_t &= \tanh(\mathbf{x}_t W_{ig}^\top + \mathbf{b}_{ig} + \mathbf{h}_{t-1} W_{hg}^\top + \mathbf{b}_{hg}) \\
    \mathbf{o}_t &= \sigma(\mathbf{x}_t W_{io}^\top + \mathbf{b}_{io} + \mathbf{h}_{t-1} W_{ho}^\top + \mathbf{b}_{ho}) \\
    \mathbf{c}_t &= \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t \\
    \mathbf{h}_t &= \mathbf{o}_t \odot \tanh(\mathbf{c}_t)
    \end{aligned}

The state is the pair ``(h, c)``. Functions follow the CS231n layout, batch-first.
"""
from __future__ import annotations

from . import scan
from .backend import stack
from .layers import CellBase, RNNBase


@scan.core(fold_bias_hh=True, keeps=("gates", "tanh_c"))
def lstm_core_forward(xw, hw, state, out, xp):
    """Element-wise core: gates from ``a = xw + hw``, then the new ``(h, c)``.

    Only the sum is used (``fold_bias_hh``), so the scan adds the two projections and hands
    over ``a`` as ``xw``, ``(4, N, H)``, one block per gate (see :func:`~course_pkg.scan.gates`),
    and ``hw = None``. The gates go into ``out``'s contiguous ``(4, N, H)`` array ``y``;
    ``h``, ``c`` and ``tanh(c)`` go into ``out`` too.
    """
    h_prev, c_prev = state
    h, c, y, tanh_c = out
    a = xw                                                 # (4, N, H) pre-activations
    i_f = xp.sigmoid(a[:2], out=y[:2])                     # i, f: adjacent, one call
    g = xp.tanh(a[2], out=y[2])
    o = xp.sigmoid(a[3], out=y[3])
    if not xp.inplace:                                     # autograd records: four new arrays
        y = stack([i_f[0], i_f[1], g, o], 0)
    i, f = scan.unstack(i_f)
    ig = xp.multiply(i, g, out=h)                          # h's array serves as scratch until the end
    c = xp.add(xp.multiply(f, c_prev, out=c), ig, out=c)   # c = f * c_prev + i * g
    tanh_c = xp.tanh(c, out=tanh_c)
    h = xp.multiply(o, tanh_c, out=h)
    return (h, c), (y, c_prev, tanh_c)


@scan.core(fold_bias_hh=True)
def lstm_core_backward(dstate_next, cache, out, xp):
    """Backward of :func:`lstm_core_forward`: ``-> (da, da, (None, dc_prev))``.

    ``out = (da, da, work)``: ``da`` ``(4, N, H)`` receives the result (a view of the scan's
    ``(N, 4H)`` array), ``work`` is two ``(4, N, H)`` scratch arrays. ``dh`` and ``dc`` are
    the scan's arrays and are overwritten (``dc`` becomes ``dc_prev``). The gates'
    derivatives are written with their values: ``σ' = y (1 - y)`` for ``i, f, o`` and
    ``tanh' = (1 + g)(1 - g)`` for ``g``.
    """
    y, c_prev, tanh_c = cache
    dh, dc = dstate_next
    da, _, (dy, tmp) = out
    i, f, g, o = scan.unstack(y)
    di, df, dg, do = scan.unstack(dy)                      # dL/d(gate value), (N, H) each
    xp.multiply(dh, tanh_c, out=do)
    dtanh = xp.subtract(1.0, xp.multiply(tanh_c, tanh_c, out=di), out=di)   # 1 - tanh(c)^2, in di for now
    dh_c = xp.multiply(xp.multiply(dh, o, out=dh), dtanh, out=dh)
    dc = xp.add(dc, dh_c, out=dc)                          # both paths into c_t
    xp.multiply(dc, g, out=di)
    xp.multiply(dc, c_prev, out=df)
    xp.multiply(dc, i, out=dg)
    xp.multiply(dy[:2], y[:2], out=dy[:2])                 # through the activations: y (1 - y) ...
    xp.multiply(do, o, out=do)
    xp.multiply(dg, xp.add(g, 1.0, out=tmp[2]), out=dg)    # ... and (1 + g)(1 - g)
    xp.multiply(dy, xp.subtract(1.0, y, out=tmp), out=da)
    return da, da, (None, xp.multiply(dc, f, out=dc))


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step.

    Args:
        x: input, shape ``(N, D)``.
        h_prev, c_prev: previous hidden and cell state, shape ``(N, H)`` each.
        params: ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, optional ``bias_ih``, ``bias_hh (4H,)``.

    Returns:
        ``(h_next, c_next, cache)``, the states of shape ``(N, H)``.

    Raises:
        TypeError: if ``params`` is not a dict of arrays, or an array is not of
            ``weight_ih``'s back-end and float dtype.
        ValueError: on shapes that disagree.
    """
    scan.check_step(x, {"h_prev": h_prev, "c_prev": c_prev}, params, gates=4)
    (h, c), cache = scan.step_forward(lstm_core_forward, x, (h_prev, c_prev), params)
    return h, c, cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward of :func:`lstm_step_forward`: ``-> (dx, dh_prev, dc_prev, grads)``.

    Shapes ``(N, D)``, ``(N, H)``, ``(N, H)``; ``grads`` keyed like ``params``.

    Raises:
        TypeError: if ``cache`` is not :func:`lstm_step_forward`'s, or a gradient not an
            array of its back-end and dtype.
        ValueError: if ``dh_next`` or ``dc_next`` is not ``(N, H)``.
    """
    scan.check_step_grad({"dh_next": dh_next, "dc_next": dc_next}, cache, "lstm_step_forward")
    dx, (dh_prev, dc_prev), grads = scan.step_backward(lstm_core_backward, (dh_next, dc_next), cache)
    return dx, dh_prev, dc_prev, grads


def lstm_forward(x, h0, c0, params):
    """Run an LSTM over a sequence ``x`` of shape ``(N, T, D)``.

    Returns:
        ``(h, c_T, cache)``: ``h`` of shape ``(N, T, H)`` (every hidden state) and the last
        cell state ``(N, H)``.

    Raises:
        TypeError: if ``params`` is not a dict of arrays, or an array is not of
            ``weight_ih``'s back-end and float dtype.
        ValueError: on shapes that disagree, or ``T = 0``.
    """
    scan.check_sequence(x, {"h0": h0, "c0": c0}, params, gates=4)
    h, (_, c_T), cache = scan.scan_forward(lstm_core_forward, x, (h0, c0), params)
    return h, c_T, cache


def lstm_backward(dh, cache, dc_T=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Args:
        dh: gradient w.r.t. every hidden state, ``(N, T, H)``.
        cache: from :func:`lstm_forward`.
        dc_T: gradient w.r.t. the last cell state, ``(N, H)``, or ``None``.

    Returns:
        ``(dx, dh0, dc0, grads)`` of shapes ``(N, T, D)``, ``(N, H)``, ``(N, H)``.

    Raises:
        TypeError: if ``cache`` is not :func:`lstm_forward`'s, or a gradient not an array of
            its back-end and dtype.
        ValueError: if ``dh`` is not ``(N, T, H)`` or ``dc_T`` not ``(N, H)``.
    """
    scan.check_scan_grad({"dh": dh, **({} if dc_T is None else {"dc_T": dc_T})}, cache, "lstm_forward")
    dx, (dh0, dc0), grads = scan.scan_backward(lstm_core_backward, dh, (None, dc_T), cache)
    return dx, dh0, dc0, grads


class LSTMCell(CellBase):
    """An LSTM cell, shaped like :class:`torch.nn.LSTMCell` (equations in :mod:`course_pkg.lstm`).

    Args: ``input_size``, ``hidden_size``, ``bias`` and the keyword arguments of
    :class:`~course_pkg.rnn.RNNCell`.

    Inputs: ``input`` ``(N, D)`` or ``(D,)``; ``hx = (h, c)``, each ``(N, H)`` or ``(H,)``, zeros if omitted.

    Returns: ``(h', c')``, each ``(N, H)`` or ``(H,)``; :meth:`~course_pkg.layers.CellBase.backward` takes ``(dh', dc')``.

    Raises:
        ValueError, TypeError: as :class:`~course_pkg.rnn.RNNCell`.
    """

    gates, n_states = 4, 2
    core_forward = staticmethod(lstm_core_forward)
    core_backward = staticmethod(lstm_core_backward)


class LSTM(RNNBase):
    """A multi-layer LSTM, shaped like :class:`torch.nn.LSTM` (equations in :mod:`course_pkg.lstm`).

    Args: as :class:`~course_pkg.rnn.RNN`, without ``nonlinearity`` (no ``proj_size``).

    Inputs: ``input`` as for :class:`~course_pkg.rnn.RNN`; ``hx = (h_0, c_0)``, each
    ``(num_layers * num_directions, N, H)`` (or ``(·, H)`` unbatched), zeros if omitted.

    Returns: ``output, (h_n, c_n)``; ``output`` as for :class:`~course_pkg.rnn.RNN`,
    ``h_n`` and ``c_n`` shaped like ``h_0``. :meth:`~course_pkg.layers.RNNBase.backward` takes
    ``(grad_output, grad_h_n=None, grad_c_n=None)`` and returns ``grad_hx = (dh_0, dc_0)``.

    Raises:
        ValueError, TypeError: as :class:`~course_pkg.rnn.RNN`; ``TypeError`` if ``hx`` is not a pair.
    """

    gates, n_states = 4, 2
    gate_order = keras_gate_order = "ifgo"                 # Keras' i, f, c, o: the same order
    core_forward = staticmethod(lstm_core_forward)
    core_backward = staticmethod(lstm_core_backward)
