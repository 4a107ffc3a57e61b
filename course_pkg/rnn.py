r"""The vanilla (Elman) recurrent network: one step, a whole sequence, and torch.nn-style classes.

The equation, in torch.nn's notation (rows are examples, weights act from the right):

.. math::

    \mathbf{h}_t = \tanh\left(\mathbf{x}_t W_{ih}^\top + \mathbf{b}_{ih}
                   + \mathbf{h}_{t-1} W_{hh}^\top + \mathbf{b}_{hh}\right)

(``nonlinearity="relu"`` replaces tanh with max(0, ·)). In the textbook notation of
chapter 1, :math:`h_t = f(U x_t + W h_{t-1} + b)`, so :math:`U = W_{ih}`,
:math:`W = W_{hh}` and :math:`b = b_{ih} + b_{hh}`.

Functions follow the CS231n layout: ``rnn_step_forward(x, h_prev, params) -> (h_next,
cache)``, ``rnn_step_backward(dh_next, cache) -> (dx, dh_prev, grads)`` and the
sequence versions ``rnn_forward`` / ``rnn_backward`` (backpropagation through time),
batch-first ``(N, T, D)``. ``params`` holds ``weight_ih (H, D)``, ``weight_hh (H, H)``
and optionally ``bias_ih (H,)``, ``bias_hh (H,)``; ``grads`` has the same keys.
"""
from __future__ import annotations

from . import _validate as V
from . import scan
from .layers import CellBase, RNNBase

NONLINEARITIES = ("tanh", "relu")


def check_nonlinearity(nonlinearity):
    """Return ``nonlinearity`` if it is ``"tanh"`` or ``"relu"``.

    Raises:
        TypeError: if it is not a string.
        ValueError: if it is another string.
    """
    return V.check_choice("nonlinearity", nonlinearity, NONLINEARITIES)


@scan.core(fold_bias_hh=True)
def rnn_core_forward(xw, hw, state, out, xp, nonlinearity="tanh"):
    """Element-wise core: ``h_next = f(xw + hw)``.

    Only the sum is used (``fold_bias_hh``), so the scan adds the two projections and hands
    over ``a = xw + hw`` as ``xw``, ``(1, N, H)`` (one gate block, see
    :func:`~course_pkg.scan.gates`), and ``hw = None``. ``h_next`` goes into ``out[0]``.
    """
    a = xw[0]                                              # (N, H) pre-activation
    if nonlinearity == "tanh":
        h_next = xp.tanh(a, out=out[0])
    else:
        h_next = xp.multiply(a, a > 0, out=out[0])         # relu
    return (h_next,), (h_next, nonlinearity)


@scan.core(fold_bias_hh=True)
def rnn_core_backward(dstate_next, cache, out, xp):
    """Backward of :func:`rnn_core_forward`: ``-> (da, da, (None,))``, ``da`` into ``out``.

    Both derivatives are written with the output: ``tanh' = 1 - h^2``, ``relu' = [h > 0]``.
    """
    h_next, nonlinearity = cache
    (dh,) = dstate_next
    da = out[0][0]                                         # (N, H): the one gate block of dxw
    if nonlinearity == "tanh":
        da = xp.multiply(h_next, h_next, out=da)
        da = xp.subtract(1.0, da, out=da)
        da = xp.multiply(dh, da, out=da)                   # dh * (1 - h^2)
    else:
        da = xp.multiply(dh, h_next > 0, out=da)
    return out[0], out[0], (None,)


def rnn_step_forward(x, h_prev, params, nonlinearity="tanh"):
    r"""One step of a vanilla RNN.

    .. math::
        \mathbf{h}_t = f(\mathbf{x}_t W_{ih}^\top + \mathbf{b}_{ih} + \mathbf{h}_{t-1} W_{hh}^\top + \mathbf{b}_{hh})

    Args:
        x: input at this step, shape ``(N, D)``.
        h_prev: previous hidden state, shape ``(N, H)``.
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, optional ``bias_ih (H,)``, ``bias_hh (H,)``.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Returns:
        ``(h_next, cache)``: ``h_next`` of shape ``(N, H)``; ``cache`` for :func:`rnn_step_backward`.

    Raises:
        TypeError: if ``params`` is not a dict of arrays, or an array is not of
            ``weight_ih``'s back-end and float dtype.
        ValueError: on an unknown nonlinearity or shapes that disagree.
    """
    check_nonlinearity(nonlinearity)
    scan.check_step(x, {"h_prev": h_prev}, params, gates=1)
    (h_next,), cache = scan.step_forward(rnn_core_forward, x, (h_prev,), params, nonlinearity=nonlinearity)
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    """Backward of :func:`rnn_step_forward`.

    Args:
        dh_next: gradient of the loss w.r.t. ``h_next``, shape ``(N, H)``.
        cache: from :func:`rnn_step_forward`.

    Returns:
        ``(dx, dh_prev, grads)``: shapes ``(N, D)``, ``(N, H)``; ``grads`` keyed like ``params``.

    Raises:
        TypeError: if ``cache`` is not :func:`rnn_step_forward`'s, or ``dh_next`` not an
            array of its back-end and dtype.
        ValueError: if ``dh_next`` is not ``(N, H)``.
    """
    scan.check_step_grad({"dh_next": dh_next}, cache, "rnn_step_forward")
    dx, (dh_prev,), grads = scan.step_backward(rnn_core_backward, (dh_next,), cache)
    return dx, dh_prev, grads


def rnn_forward(x, h0, params, nonlinearity="tanh"):
    """Run a vanilla RNN over a whole sequence (batch-first).

    Args:
        x: inputs, shape ``(N, T, D)``.
        h0: initial hidden state, shape ``(N, H)``.
        params: as for :func:`rnn_step_forward`.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Returns:
        ``(h, cache)``: ``h`` of shape ``(N, T, H)`` holds every hidden state ``h_1 … h_T``.

    Raises:
        TypeError: if ``params`` is not a dict of arrays, or an array is not of
            ``weight_ih``'s back-end and float dtype.
        ValueError: on an unknown nonlinearity, shapes that disagree, or ``T = 0``.
    """
    check_nonlinearity(nonlinearity)
    scan.check_sequence(x, {"h0": h0}, params, gates=1)
    h, _, cache = scan.scan_forward(rnn_core_forward, x, (h0,), params, nonlinearity=nonlinearity)
    return h, cache


def rnn_backward(dh, cache):
    """Backpropagation through time for :func:`rnn_forward`.

    Args:
        dh: gradient of the loss w.r.t. every hidden state, shape ``(N, T, H)``
            (the gradient w.r.t. the last state goes into ``dh[:, -1]``).
        cache: from :func:`rnn_forward`.

    Returns:
        ``(dx, dh0, grads)``: shapes ``(N, T, D)``, ``(N, H)``; ``grads`` keyed like ``params``.

    Raises:
        TypeError: if ``cache`` is not :func:`rnn_forward`'s, or ``dh`` not an array of its
            back-end and dtype.
        ValueError: if ``dh`` is not ``(N, T, H)``.
    """
    scan.check_scan_grad({"dh": dh}, cache, "rnn_forward")
    dx, (dh0,), grads = scan.scan_backward(rnn_core_backward, dh, (None,), cache)
    return dx, dh0, grads


class RNNCell(CellBase):
    r"""A vanilla RNN cell, shaped like :class:`torch.nn.RNNCell`.

    .. math::
        h' = \tanh(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})

    Args:
        input_size: features ``D`` of the input.
        hidden_size: features ``H`` of the hidden state.
        bias: if ``False``, no ``bias_ih``/``bias_hh``.
        nonlinearity: ``"tanh"`` or ``"relu"``.
        backend, device, dtype, seed: see :class:`~course_pkg.layers.CellBase`.

    Inputs: ``input`` of shape ``(N, D)`` or ``(D,)``; ``hx`` of shape ``(N, H)`` or ``(H,)``
    (zeros if omitted).

    Returns: ``h'`` of shape ``(N, H)`` or ``(H,)``.

    Raises:
        ValueError: on an unknown nonlinearity, backend or device, or wrong shapes.
        TypeError: on a non-integer size or a dtype other than the parameters'.
    """

    gates = 1
    core_forward = staticmethod(rnn_core_forward)
    core_backward = staticmethod(rnn_core_backward)

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", **kwargs):
        self.nonlinearity = check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias=bias, **kwargs)

    def _core_opts(self):
        return {"nonlinearity": self.nonlinearity}


class RNN(RNNBase):
    r"""A multi-layer vanilla RNN, shaped like :class:`torch.nn.RNN`.

    For each layer and element of the input sequence:

    .. math::
        h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

    where ``x_t`` is the input for the first layer and the previous layer's output
    (after dropout, in training mode) for the others.

    Args:
        input_size: features ``D`` of the input.
        hidden_size: features ``H`` of the hidden state.
        num_layers: stacked recurrent layers.
        nonlinearity: ``"tanh"`` or ``"relu"``.
        bias: if ``False``, no bias parameters.
        batch_first: inputs and outputs are ``(N, T, ·)`` instead of ``(T, N, ·)``;
            ``hx`` and ``h_n`` are always ``(num_layers * num_directions, N, H)``.
        dropout: dropout probability on the outputs of every layer but the last.
        bidirectional: add a reverse-time direction per layer (parameters ``*_reverse``).
        backend: ``"numpy"`` (explicit :meth:`~course_pkg.layers.RNNBase.backward`) or ``"torch"`` (autograd).
        explicit_backward: torch back-end: if ``True`` (default), autograd runs the
            hand-written BPTT (:func:`~course_pkg.scan.scan_backward`) as one graph node per
            layer and direction; if ``False``, it records and differentiates every operation
            of the forward pass (slower: an independent check of the hand-written backward;
            needed for second derivatives, ``create_graph=True``).
        device: torch device (``"cpu"``, ``"cuda"``); torch back-end only.
        dtype: ``"float32"`` (default, as torch.nn) or ``"float64"``.
        seed: seed of the generator behind initialisation and dropout.

    Inputs: ``input``, ``hx``
        - **input**: ``(T, N, D)``, ``(N, T, D)`` with ``batch_first=True``, or ``(T, D)`` unbatched.
        - **hx**: ``(num_layers * num_directions, N, H)`` or ``(num_layers * num_directions, H)``
          unbatched; zeros if omitted.

    Returns: ``output``, ``h_n``
        - **output**: ``(T, N, num_directions * H)`` (``(N, T, ·)`` if batch first, ``(T, ·)`` unbatched).
        - **h_n**: ``(num_layers * num_directions, N, H)``, the final state of every layer and direction.

    Raises:
        ValueError: on an unknown nonlinearity, backend or device, a wrong rank or
            feature size, or an ``hx`` of the wrong shape.
        TypeError: on a non-integer size or an input dtype other than the parameters'.
    """

    gates = 1
    gate_order = keras_gate_order = "h"                    # one block: Keras' SimpleRNN
    core_forward = staticmethod(rnn_core_forward)
    core_backward = staticmethod(rnn_core_backward)

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, **kwargs):
        self.nonlinearity = check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, **kwargs)

    def _core_opts(self):
        return {"nonlinearity": self.nonlinearity}

    def _torch_nn_kwargs(self):
        return {"nonlinearity": self.nonlinearity}
