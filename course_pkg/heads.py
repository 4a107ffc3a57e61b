r"""Output layers and the sequence topologies built from a recurrent layer.

``Linear`` and ``Embedding`` mirror :class:`torch.nn.Linear` and :class:`torch.nn.Embedding`
(names, shapes, initialisation) and add an explicit ``backward``. The topologies,
named by input and output length as in chapter 1:

- :class:`SequenceTagger`, N vs N: a label per step, :math:`\mathbf{y}_t = W \mathbf{h}_t + \mathbf{b}`;
- :class:`SequenceClassifier`, N vs 1: one label per sequence from the final state (the
  state at each sequence's own last valid step when ``lengths`` is given; both
  directions' final states when bidirectional);
- :class:`SequenceGenerator`, 1 vs N: a vector sets the initial state,
  :math:`\mathbf{h}_0 = \tanh(W_0 \mathbf{v} + \mathbf{b}_0)`, and each output token is fed
  back as the next input;
- the encoder-decoder (N vs M) is :class:`course_pkg.seq2seq.Seq2Seq`.

Every composite takes its recurrent layer as an argument (``RNN``, ``LSTM`` or ``GRU``,
any depth) and shares its back-end and dtype; ``state_dict`` names are those of a torch
model with the same attribute names (``rnn.weight_ih_l0``, ``head.weight``).
"""
from __future__ import annotations

import math

import numpy as np

from . import _validate as V
from . import backend as B
from . import scan
from .layers import ModuleBase, RNNBase


class Linear(ModuleBase):
    r"""Affine layer :math:`\mathbf{y} = \mathbf{x} W^\top + \mathbf{b}`, shaped like :class:`torch.nn.Linear`.

    Args:
        in_features, out_features: sizes of ``x`` and ``y``.
        bias: add ``b``.
        backend, device, dtype, seed: see :class:`~course_pkg.layers.ModuleBase`.

    Inputs: ``x`` of shape ``(..., in_features)``. Returns: ``(..., out_features)``.
    Parameters: ``weight (out_features, in_features)``, ``bias (out_features,)``, both
    U(−1/√in, 1/√in) as in torch.nn.

    Raises:
        TypeError: on a non-int size or a non-bool ``bias`` (and as
            :class:`~course_pkg.layers.ModuleBase` for the keyword arguments).
        ValueError: on a size below 1.
    """

    def __init__(self, in_features, out_features, bias=True, **kwargs):
        self.in_features = V.check_int("in_features", in_features, low=1)
        self.out_features = V.check_int("out_features", out_features, low=1)
        bias = V.check_bool("bias", bias)
        super().__init__(**kwargs)
        shapes = [("weight", (out_features, in_features))] + ([("bias", (out_features,))] if bias else [])
        self._init_uniform(shapes, 1.0 / math.sqrt(in_features))

    def forward(self, x):
        """``x (..., in) -> y (..., out)``.

        Raises:
            TypeError: if ``x`` is not an array of the layer's back-end and dtype.
            ValueError: if ``x`` is 0-d, ``x.shape[-1] != in_features``, or on another device.
        """
        self._check_array("x", x)
        if x.ndim == 0:
            raise ValueError(f"Expected x of shape (..., {self.in_features}), got a 0-d array")
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Expected x.shape[-1] == in_features = {self.in_features}, got {x.shape[-1]}")
        self._cache = x
        return scan.linear(x, self._params["weight"], self._params.get("bias"))   # (..., out)

    def backward(self, dy):
        """``dy (..., out) -> (dx (..., in), grads)``.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dy`` is not an array of the layer's back-end and dtype.
            ValueError: if ``dy`` is not shaped like the last output.
        """
        x = V.check_called(self._cache)
        self._check_grad("dy", dy, tuple(x.shape[:-1]) + (self.out_features,))
        dx, grads = scan.linear_backward(dy, x, self._params["weight"], "", "bias" in self._params)
        return dx, self.gather_grads(grads, {})


class Embedding(ModuleBase):
    """Lookup table of vectors, shaped like :class:`torch.nn.Embedding`.

    Args:
        num_embeddings: vocabulary size ``K``.
        embedding_dim: vector size ``E``.
        padding_idx: this row starts at zero and gets no gradient.
        backend, device, dtype, seed: see :class:`~course_pkg.layers.ModuleBase`.

    Inputs: integer indices of any shape ``S``. Returns: ``S + (E,)``. Parameter
    ``weight (K, E)`` drawn from N(0, 1), as in torch.nn.

    ``padding_idx`` may be negative, counted from the end, as in torch.nn (``-1`` is the
    last row); it is stored as the row number in ``[0, K)``.

    Raises:
        TypeError: on a non-int size or ``padding_idx`` (and as
            :class:`~course_pkg.layers.ModuleBase` for the keyword arguments).
        ValueError: on a size below 1, or a ``padding_idx`` outside ``[-K, K)``.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, **kwargs):
        self.num_embeddings = V.check_int("num_embeddings", num_embeddings, low=1)
        self.embedding_dim = V.check_int("embedding_dim", embedding_dim, low=1)
        padding_idx = V.check_int("padding_idx", padding_idx, -num_embeddings, num_embeddings,
                                  high_open=True, none=True)
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        super().__init__(**kwargs)
        weight = self.rng.standard_normal((num_embeddings, embedding_dim))
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0.0
        self._params["weight"] = self._to_backend(weight)

    def forward(self, index):
        """Integer ids of any shape ``S`` (an array, a tensor or nested lists) -> vectors ``S + (E,)``.

        Raises:
            TypeError: for indices that are not integers.
            ValueError: for an index outside ``[0, K)``.
        """
        idx = V.check_ids("indices", index, self.num_embeddings)
        if self.backend == "torch":
            index = B.torch_module().as_tensor(idx, device=self.device)
        else:
            index = idx
        self._cache = index
        return self._params["weight"][index]                  # S + (E,)

    def backward(self, dout):
        """``dout S + (E,) -> (None, grads)``: rows of repeated indices add up.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dout`` is not an array of the layer's back-end and dtype.
            ValueError: if ``dout`` is not shaped like the last output.
        """
        index = V.check_called(self._cache)
        self._check_grad("dout", dout, tuple(index.shape) + (self.embedding_dim,))
        weight = self._params["weight"]
        dW = B.add_rows(B.zeros_like(weight, weight.shape), index.reshape(-1),
                        dout.reshape(-1, self.embedding_dim))
        if self.padding_idx is not None:
            dW[self.padding_idx] = 0.0
        return None, self.gather_grads({"weight": dW}, {})


def _check_rnn(rnn):
    if not isinstance(rnn, RNNBase):
        raise TypeError(f"Expected a course_pkg RNN, LSTM or GRU, got {type(rnn).__name__}")
    return rnn


class _Composite(ModuleBase):
    """A model around a recurrent layer ``rnn``, with its back-end, device and dtype.

    With ``vocab_size``, an :class:`Embedding` (``embed``, padding row ``padding_idx``)
    turns token ids ``(N, T)`` into the rnn's input vectors first.
    """

    def __init__(self, rnn, vocab_size=None, padding_idx=0, seed=None):
        _check_rnn(rnn)
        vocab_size = V.check_int("vocab_size", vocab_size, low=1, none=True)
        super().__init__(backend=rnn.backend, device=rnn.device, dtype=rnn.dtype, seed=seed)
        if vocab_size is not None:
            self.add_module("embed", Embedding(vocab_size, rnn.input_size, padding_idx=padding_idx,
                                               **self.child_kwargs()))
        self.add_module("rnn", rnn)

    def _inputs(self, x):
        return self.embed(x) if "embed" in self._modules else x

    def _inputs_backward(self, dx, grads):
        """Finish a backward pass: through the embedding if any; ``-> (dx or None, grads)``."""
        if "embed" in self._modules:
            _, grads["embed"] = self.embed.backward(dx)
            dx = None
        return dx, self.gather_grads({}, grads)


class SequenceTagger(_Composite):
    """N vs N: a linear head on every step's output (tagging, 序列标注).

    Args:
        rnn: the recurrent layer (any family, depth, direction, layout).
        num_outputs: ``K`` classes per step.
        vocab_size: if given, inputs are token ids and an ``embed`` layer comes first.
        padding_idx: the padding token's id (its embedding stays zero).
        seed: seed of the new layers' initial weights.

    Inputs: ``x`` as for ``rnn`` (or token ids ``(N, T)``), optional ``lengths (N,)`` and ``hx``.
    Returns: logits shaped like ``rnn``'s output with ``K`` features: ``(N, T, K)`` batch-first.

    Raises:
        TypeError: if ``rnn`` is not a course_pkg ``RNN``, ``LSTM`` or ``GRU``, or a size,
            ``padding_idx`` or ``seed`` is not an int.
        ValueError: on a size below 1 or a ``padding_idx`` outside the vocabulary.
    """

    def __init__(self, rnn, num_outputs, vocab_size=None, padding_idx=0, seed=None):
        super().__init__(rnn, vocab_size, padding_idx, seed)
        features = rnn.hidden_size * rnn.num_directions
        num_outputs = V.check_int("num_outputs", num_outputs, low=1)
        self.add_module("head", Linear(features, num_outputs, **self.child_kwargs()))

    def forward(self, x, lengths=None, hx=None):
        """Logits of every step; see the class docstring.

        Raises:
            TypeError: if an input is not an array of the model's back-end and dtype, or
                token ids are not integers.
            ValueError: on shapes that disagree, ids out of range or bad ``lengths``.
        """
        out, _ = self.rnn(self._inputs(x), hx, lengths=lengths)   # (N, T, dirs*H)
        logits = self.head(out)                                   # (N, T, K)
        self._cache = tuple(logits.shape)
        return logits

    def backward(self, dlogits):
        """``dlogits -> (dx, grads)``, ``grads`` keyed like :meth:`~course_pkg.layers.ModuleBase.state_dict`.

        ``dx`` is None with an embedding.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dlogits`` is not an array of the model's back-end and dtype.
            ValueError: if ``dlogits`` is not shaped like the last logits.
        """
        self._check_grad("dlogits", dlogits, V.check_called(self._cache))
        dout, g_head = self.head.backward(dlogits)
        dx, _, g_rnn = self.rnn.backward(dout)
        return self._inputs_backward(dx, {"head": g_head, "rnn": g_rnn})


def final_features(h_n, num_directions):
    """The top layer's final state, both directions concatenated: ``(L*dirs, N, H) -> (N, dirs*H)``."""
    return B.concat([h_n[-num_directions + d] for d in range(num_directions)], 1)


def final_features_backward(dfeat, h_shape, num_directions):
    """Backward of :func:`final_features`: ``dfeat (N, dirs*H) -> dh_n`` of shape ``h_shape``."""
    L_dirs, _, H = h_shape
    dh_n = B.zeros_like(dfeat, h_shape)                        # (L*dirs, N, H)
    for d in range(num_directions):
        dh_n[L_dirs - num_directions + d] = dfeat[:, d * H:(d + 1) * H]
    return dh_n


def initial_state(h, rnn):
    """``h (N, H)`` as the initial state of every layer of ``rnn``; zeros for the LSTM's ``c_0``."""
    h0 = B.stack([h] * rnn.num_layers, 0)                      # (L, N, H)
    return (h0, B.zeros_like(h0, h0.shape)) if rnn.n_states == 2 else h0


def initial_state_backward(dhx):
    """Backward of :func:`initial_state`: the ``h_0`` gradient summed over layers, ``(N, H)``."""
    dh0 = dhx[0] if isinstance(dhx, tuple) else dhx            # (L, N, H)
    return dh0.sum(0)


class SequenceClassifier(_Composite):
    """N vs 1: a linear head on the final state (sentence classification, 文本分类; or regression).

    With ``lengths``, the final state is each sequence's state at its own last valid
    step (the masked last state), in both directions if bidirectional.

    Args: as :class:`SequenceTagger`.

    Inputs: as :class:`SequenceTagger`. Returns: ``(N, K)``.

    Raises:
        TypeError, ValueError: as :class:`SequenceTagger`.
    """

    def __init__(self, rnn, num_outputs, vocab_size=None, padding_idx=0, seed=None):
        super().__init__(rnn, vocab_size, padding_idx, seed)
        features = rnn.hidden_size * rnn.num_directions
        num_outputs = V.check_int("num_outputs", num_outputs, low=1)
        self.add_module("head", Linear(features, num_outputs, **self.child_kwargs()))

    def forward(self, x, lengths=None, hx=None):
        """Logits from the final state; see the class docstring.

        Raises:
            TypeError: if an input is not an array of the model's back-end and dtype, or
                token ids are not integers.
            ValueError: on shapes that disagree, ids out of range or bad ``lengths``.
        """
        out, state = self.rnn(self._inputs(x), hx, lengths=lengths)
        h_n = state[0] if isinstance(state, tuple) else state     # (L*dirs, N, H)
        logits = self.head(final_features(h_n, self.rnn.num_directions))   # (N, K)
        self._cache = (out.shape, h_n.shape, tuple(logits.shape))
        return logits

    def backward(self, dlogits):
        """``dlogits (N, K) -> (dx, grads)`` (``dx`` is None with an embedding).

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dlogits`` is not an array of the model's back-end and dtype.
            ValueError: if ``dlogits`` is not shaped like the last logits.
        """
        out_shape, h_shape, logits_shape = V.check_called(self._cache)
        self._check_grad("dlogits", dlogits, logits_shape)
        dfeat, g_head = self.head.backward(dlogits)               # (N, dirs*H)
        dh_n = final_features_backward(dfeat, h_shape, self.rnn.num_directions)
        dx, _, g_rnn = self.rnn.backward(B.zeros_like(dfeat, out_shape), dh_n)
        return self._inputs_backward(dx, {"head": g_head, "rnn": g_rnn})


class SequenceGenerator(_Composite):
    """1 vs N: a vector sets the initial state; tokens are generated one by one (看图说话).

    .. math::
        \\mathbf{h}_0 = \\tanh(\\mathbf{v} W_0^\\top + \\mathbf{b}_0), \\qquad
        \\mathbf{h}_t = \\mathrm{rnn}(W_e[y_{t-1}], \\mathbf{h}_{t-1}), \\qquad
        \\mathbf{z}_t = \\mathbf{h}_t W_{hy}^\\top + \\mathbf{b}_{hy}

    with :math:`W_0` = ``init.weight``, :math:`W_e` = ``embed.weight`` (row :math:`y` is token
    :math:`y`'s vector) and :math:`W_{hy}` = ``head.weight``.

    In training the previous *true* token is fed (teacher forcing, 教师强制); in
    :meth:`generate` the previous *predicted* token.

    Args:
        rnn: a unidirectional, batch-first recurrent layer with ``input_size == embedding_dim``.
        feature_size: size of the conditioning vector ``v``.
        vocab_size: ``K`` output tokens.
        seed: seed of the new layers' initial weights.

    Inputs: ``features (N, F)`` and ``tokens_in (N, T)`` integers (``<bos>`` first).
    Returns: logits ``(N, T, K)``.

    Raises:
        TypeError: if ``rnn`` is not a course_pkg ``RNN``, ``LSTM`` or ``GRU``, or a size or
            ``seed`` is not an int.
        ValueError: if ``rnn`` is bidirectional or not batch-first, or a size is below 1.
    """

    def __init__(self, rnn, feature_size, vocab_size, seed=None):
        super().__init__(rnn, seed=seed)
        if rnn.bidirectional or not rnn.batch_first:
            raise ValueError("Expected a unidirectional, batch_first rnn for generation, got "
                             f"bidirectional={rnn.bidirectional}, batch_first={rnn.batch_first}")
        self.feature_size = V.check_int("feature_size", feature_size, low=1)
        self.vocab_size = V.check_int("vocab_size", vocab_size, low=1)
        kw = self.child_kwargs
        self.add_module("init", Linear(feature_size, rnn.hidden_size, **kw()))
        self.add_module("embed", Embedding(vocab_size, rnn.input_size, **kw()))
        self.add_module("head", Linear(rnn.hidden_size, vocab_size, **kw()))

    def _check_features(self, features):
        self._check_array("features", features)
        if features.ndim != 2 or features.shape[1] != self.feature_size:
            raise ValueError(f"Expected features of shape (N, {self.feature_size}), got {tuple(features.shape)}")
        return features

    def initial_state(self, features):
        """``h_0`` for every layer from ``features (N, F)``; zeros for the LSTM's ``c_0``.

        Raises:
            TypeError: if ``features`` is not an array of the model's back-end and dtype.
            ValueError: if ``features`` is not ``(N, feature_size)``.
        """
        h = B.namespace(features).tanh(self.init(self._check_features(features)))    # (N, H)
        self._h = h
        return initial_state(h, self.rnn)

    def forward(self, features, tokens_in):
        """Teacher-forced logits ``(N, T, K)``; see the class docstring.

        Raises:
            TypeError: if ``features`` is not an array of the model's back-end and dtype,
                or ``tokens_in`` not integers.
            ValueError: if ``features`` is not ``(N, feature_size)``, ``tokens_in`` not
                ``(N, T)`` with ``T >= 1`` and ids in ``[0, K)``.
        """
        tokens = V.check_ids("tokens_in", tokens_in, self.vocab_size, ndim=2)
        if tokens.shape[0] != self._check_features(features).shape[0]:
            raise ValueError(f"Expected tokens_in with the batch size of features, {features.shape[0]}, "
                             f"got shape {tokens.shape}")
        out, _ = self.rnn(self.embed(tokens_in), self.initial_state(features))   # (N, T, H)
        logits = self.head(out)                                 # (N, T, K)
        self._cache = tuple(logits.shape)
        return logits

    def backward(self, dlogits):
        """``dlogits (N, T, K) -> (dfeatures, grads)``.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dlogits`` is not an array of the model's back-end and dtype.
            ValueError: if ``dlogits`` is not shaped like the last logits.
        """
        self._check_grad("dlogits", dlogits, V.check_called(self._cache))
        dout, g_head = self.head.backward(dlogits)
        demb, dhx, g_rnn = self.rnn.backward(dout)
        _, g_embed = self.embed.backward(demb)
        dfeatures, g_init = self.init.backward(initial_state_backward(dhx) * (1 - self._h * self._h))
        grads = self.gather_grads({}, {"init": g_init, "embed": g_embed, "rnn": g_rnn, "head": g_head})
        return dfeatures, grads

    def generate(self, features, bos, max_len, eos=None):
        """Greedy generation: ``features (N, F) -> tokens (N, max_len)`` (after ``<bos>``).

        Positions after an ``eos`` token are filled with ``eos``.

        Raises:
            TypeError: if ``features`` is not an array of the model's back-end and dtype,
                or ``bos``, ``max_len`` or ``eos`` is not an int.
            ValueError: if ``features`` is not ``(N, feature_size)``, ``bos`` or ``eos`` is
                outside ``[0, vocab_size)``, or ``max_len < 1``.
        """
        bos = V.check_int("bos", bos, 0, self.vocab_size, high_open=True)
        eos = V.check_int("eos", eos, 0, self.vocab_size, high_open=True, none=True)
        max_len = V.check_int("max_len", max_len, low=1)
        state = self.initial_state(features)
        N = features.shape[0]
        token = np.full(N, bos)
        done = np.zeros(N, dtype=bool)
        tokens = []
        for _ in range(max_len):
            out, state = self.rnn(self.embed(token[:, None]), state)   # (N, 1, H)
            token = B.to_numpy(self.head(out)[:, 0]).argmax(-1)
            if eos is not None:
                token = np.where(done, eos, token)
                done |= token == eos
            tokens.append(token)
        return np.stack(tokens, 1)                              # (N, max_len)
