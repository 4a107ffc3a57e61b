r"""Sequence to sequence (序列到序列, N vs M): an encoder, a decoder, and optional attention.

The encoder reads the source; its top layer's final state (both directions, if
bidirectional) is the context vector :math:`\mathbf{c}`. Two ways to hand it over:

- ``context="every_step"`` (the seed-002 picture): :math:`\mathbf{c}` is appended to the
  decoder's input at every step, :math:`\mathbf{s}_t = \mathrm{dec}([W_e[y_{t-1}], \mathbf{c}], \mathbf{s}_{t-1})`,
  where :math:`W_e[y]` is row :math:`y` of the embedding table;
- ``context="init"``: it sets the decoder's initial state,
  :math:`\mathbf{s}_0 = \tanh(\mathbf{c} W_b^\top + \mathbf{b}_b)`, for every layer.

With ``attention="dot"`` or ``"additive"`` each decoder state also attends over the
encoder outputs (Luong's arrangement), :math:`\tilde{\mathbf{s}}_t = \tanh([\mathbf{s}_t,
\mathbf{c}_t] W_c^\top + \mathbf{b}_c)`, and the output layer reads :math:`\tilde{\mathbf{s}}_t`.
Training feeds the true previous token (teacher forcing, 教师强制); :meth:`Seq2Seq.greedy`
and :meth:`Seq2Seq.beam_search` feed the model's own predictions.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V
from . import backend as B
from .attention import Attention
from .gru import GRU
from .heads import (Embedding, Linear, final_features, final_features_backward, initial_state,
                    initial_state_backward)
from .layers import ModuleBase, length_mask
from .losses import log_softmax
from .lstm import LSTM
from .rnn import RNN

CELLS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
CONTEXTS = ("every_step", "init")
ATTENTIONS = (None, "dot", "additive")


class Seq2Seq(ModuleBase):
    """An encoder-decoder over token sequences (编码器-解码器), with an explicit backward pass.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes of source and target.
        embed_size: ``E``, token vector size on both sides.
        hidden_size: ``H``, the encoder's and decoder's hidden size.
        cell: ``"RNN"``, ``"LSTM"`` or ``"GRU"``, for both encoder and decoder.
        num_layers: depth of both.
        bidirectional: a bidirectional encoder (the context then has ``2H`` features).
        context: ``"every_step"`` or ``"init"`` (see the module docstring).
        attention: ``None``, ``"dot"`` or ``"additive"``.
        pad_idx: padding token of both vocabularies (its embedding is zero and fixed).
        backend, device, dtype, seed: see :class:`~course_pkg.layers.ModuleBase`.

    Inputs of :meth:`forward`: ``src (N, S)`` and ``tgt_in (N, T)`` integer tokens
    (``tgt_in`` starts with ``<bos>``), ``src_lengths (N,)``.

    Returns: logits ``(N, T, tgt_vocab)``; with attention, ``self.attention_weights``
    ``(N, T, S)`` holds the weights for plotting.

    Raises:
        TypeError: on a non-int size, ``num_layers`` or ``pad_idx``, a non-bool
            ``bidirectional``, a ``cell``/``context``/``attention`` that is not a string (and
            as :class:`~course_pkg.layers.ModuleBase` for the keyword arguments).
        ValueError: on a size below 1, a ``pad_idx`` outside both vocabularies, an unknown
            cell, context or attention, or ``dot`` attention with a bidirectional encoder
            (query and key sizes differ).
    """

    def __init__(self, src_vocab, tgt_vocab, embed_size, hidden_size, cell="GRU", num_layers=1,
                 bidirectional=False, context="init", attention=None, pad_idx=0, **kwargs):
        for name, size in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab), ("embed_size", embed_size),
                           ("hidden_size", hidden_size), ("num_layers", num_layers)):
            V.check_int(name, size, low=1)
        V.check_int("pad_idx", pad_idx, 0, min(src_vocab, tgt_vocab), high_open=True, none=True)
        V.check_bool("bidirectional", bidirectional)
        Cell = CELLS[V.check_choice("cell", cell, CELLS)]
        self.context = V.check_choice("context", context, CONTEXTS)
        self.attention_kind = V.check_choice("attention", attention, ATTENTIONS)
        super().__init__(**kwargs)
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.pad_idx, self.E, self.H = pad_idx, embed_size, hidden_size
        dirs = 2 if bidirectional else 1
        self.C = dirs * hidden_size                                      # context size
        if attention == "dot" and self.C != hidden_size:
            raise ValueError(f"Expected dot attention with equal query and key sizes, got decoder "
                             f"{hidden_size} and bidirectional encoder {self.C}; use 'additive'")
        kw = self.child_kwargs
        dec_in = embed_size + (self.C if context == "every_step" else 0)
        self.add_module("src_embed", Embedding(src_vocab, embed_size, padding_idx=pad_idx, **kw()))
        self.add_module("encoder", Cell(embed_size, hidden_size, num_layers, batch_first=True,
                                        bidirectional=bidirectional, **kw()))
        self.add_module("tgt_embed", Embedding(tgt_vocab, embed_size, padding_idx=pad_idx, **kw()))
        self.add_module("decoder", Cell(dec_in, hidden_size, num_layers, batch_first=True, **kw()))
        if context == "init":
            self.add_module("bridge", Linear(self.C, hidden_size, **kw()))
        if attention:
            self.add_module("attention", Attention(attention, hidden_size, self.C, **kw()))
            self.add_module("combine", Linear(hidden_size + self.C, hidden_size, **kw()))
        self.add_module("out", Linear(hidden_size, tgt_vocab, **kw()))
        self.attention_weights = None

    # -- encoder --------------------------------------------------------------------------
    def encode(self, src, src_lengths):
        """Run the encoder: ``-> (enc_out (N, S, C), c (N, C), mask (N, S), decoder state_0)``.

        Raises:
            TypeError: if ``src`` holds no integer ids.
            ValueError: if ``src`` is not ``(N, S)`` with ``S >= 1`` and ids in
                ``[0, src_vocab)``, or ``src_lengths`` is not ``N`` integers in ``[1, S]``.
        """
        _check_tokens("src", src, self.src_vocab)
        lengths = np.asarray(B.to_numpy(src_lengths))
        enc_out, state = self.encoder(self.src_embed(src), lengths=lengths)
        h_n = state[0] if isinstance(state, tuple) else state           # (L*dirs, N, H)
        c = final_features(h_n, self.encoder.num_directions)           # (N, C)
        N, S = enc_out.shape[:2]
        mask = B.to_backend(length_mask(lengths, N, S), self.backend, self.dtype, self.device)   # (N, S)
        if self.context == "init":
            s = B.namespace(c).tanh(self.bridge(c))                     # (N, H)
        else:
            s = None
        state0 = initial_state(B.zeros_like(c, (N, self.H)) if s is None else s, self.decoder)
        self._enc = (h_n.shape, s)
        return enc_out, c, mask, state0

    # -- decoder ----------------------------------------------------------------------------
    def _decoder_input(self, tokens, c):
        emb = self.tgt_embed(tokens)                                    # (N, T, E)
        if self.context != "every_step":
            return emb
        T = emb.shape[1]
        return B.concat([emb, B.stack([c] * T, 1)], 2)                 # (N, T, E + C)

    def _readout(self, s, enc_out, mask):
        """Decoder states ``(N, T, H)`` to logits, through attention if any."""
        if not self.attention_kind:
            return self.out(s), None
        ctx, weights = self.attention(s, enc_out, enc_out, mask)        # (N, T, C), (N, T, S)
        s_tilde = B.namespace(s).tanh(self.combine(B.concat([s, ctx], 2)))   # (N, T, H)
        self._s_tilde = s_tilde
        return self.out(s_tilde), weights

    def forward(self, src, src_lengths, tgt_in):
        """Teacher-forced logits ``(N, T, tgt_vocab)``; see the class docstring.

        Raises:
            TypeError: if ``src`` or ``tgt_in`` holds no integer ids.
            ValueError: as :meth:`encode`, or if ``tgt_in`` is not ``(N, T)`` with ``T >= 1``
                and ids in ``[0, tgt_vocab)``.
        """
        N = _check_tokens("src", src, self.src_vocab).shape[0]
        if _check_tokens("tgt_in", tgt_in, self.tgt_vocab).shape[0] != N:
            raise ValueError(f"Expected tgt_in with the batch size of src, {N}, "
                             f"got shape {tuple(np.shape(tgt_in))}")
        enc_out, c, mask, state0 = self.encode(src, src_lengths)
        s, _ = self.decoder(self._decoder_input(tgt_in, c), state0)    # (N, T, H)
        logits, self.attention_weights = self._readout(s, enc_out, mask)
        self._cache = (enc_out.shape, tuple(logits.shape))
        return logits

    # -- backward ---------------------------------------------------------------------------
    def backward(self, dlogits):
        """Gradients of the last :meth:`forward` from ``dlogits (N, T, V)``: ``-> grads``.

        ``grads`` is keyed like :meth:`~course_pkg.layers.ModuleBase.state_dict` (and kept in ``self.grads``).

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if ``dlogits`` is not an array of the model's back-end and dtype.
            ValueError: if ``dlogits`` is not shaped like the last logits.
        """
        enc_shape, logits_shape = V.check_called(self._cache)
        self._check_grad("dlogits", dlogits, logits_shape)
        h_shape, s0 = self._enc
        g = {}
        dh, g["out"] = self.out.backward(dlogits)                       # (N, T, H)
        d_enc_out = None
        if self.attention_kind:
            dpre = dh * (1 - self._s_tilde * self._s_tilde)
            dcat, g["combine"] = self.combine.backward(dpre)            # (N, T, H + C)
            dq, d_enc_out, _, g["attention"] = self.attention.backward(dcat[..., self.H:])
            dh = dcat[..., :self.H] + dq
        d_in, d_state0, g["decoder"] = self.decoder.backward(dh)
        dc = B.zeros_like(dh, (dh.shape[0], self.C))
        if self.context == "every_step":
            dc = dc + d_in[..., self.E:].sum(1)
            d_in = d_in[..., :self.E]
        _, g["tgt_embed"] = self.tgt_embed.backward(d_in)
        if self.context == "init":
            dbridge, g["bridge"] = self.bridge.backward(initial_state_backward(d_state0) * (1 - s0 * s0))
            dc = dc + dbridge
        dh_n = final_features_backward(dc, h_shape, self.encoder.num_directions)   # (L*dirs, N, H)
        if d_enc_out is None:
            d_enc_out = B.zeros_like(dh, enc_shape)
        d_src, _, g["encoder"] = self.encoder.backward(d_enc_out, dh_n)
        _, g["src_embed"] = self.src_embed.backward(d_src)
        return self.gather_grads({}, g)

    # -- decoding ---------------------------------------------------------------------------
    def _step(self, token, state, enc_out, c, mask):
        """One decoder step for tokens ``(N,)``: ``-> (log-probabilities (N, V) as NumPy, state, weights)``."""
        x = self._decoder_input(np.asarray(token)[:, None], c)          # (N, 1, ·)
        s, state = self.decoder(x, state)
        logits, weights = self._readout(s, enc_out, mask)
        logp = log_softmax(B.to_numpy(logits[:, 0]).astype(np.float64))  # (N, V)
        return logp, state, None if weights is None else B.to_numpy(weights[:, 0])

    def greedy(self, src, src_lengths, bos, eos, max_len):
        """Greedy decoding: ``-> (tokens (N, max_len), weights (N, max_len, S) or None)``.

        Each step takes the most probable token; after ``eos`` a row keeps emitting ``eos``.

        Raises:
            TypeError: if ``src`` holds no integer ids, or ``bos``, ``eos`` or ``max_len`` is not an int.
            ValueError: as :meth:`encode`, or if ``bos``/``eos`` is outside ``[0, tgt_vocab)``
                or ``max_len < 1``.
        """
        bos, eos, max_len = self._check_decoding(bos, eos, max_len)
        enc_out, c, mask, state = self.encode(src, src_lengths)
        N = enc_out.shape[0]
        token, done, tokens, weights = np.full(N, bos), np.zeros(N, bool), [], []
        for _ in range(max_len):
            logp, state, w = self._step(token, state, enc_out, c, mask)
            token = np.where(done, eos, logp.argmax(-1))
            done |= token == eos
            tokens.append(token)
            weights.append(w)
        return np.stack(tokens, 1), (None if weights[0] is None else np.stack(weights, 1))

    def beam_search(self, src, src_lengths, bos, eos, max_len, beam_size=4, length_penalty=1.0):
        """Beam-search decoding (束搜索), one source sequence at a time.

        Keeps the ``beam_size`` best prefixes by total log-probability, taken over every
        beam's continuations; a hypothesis that writes ``eos`` is set aside as finished. The
        search stops when ``beam_size`` hypotheses have finished, none is left alive, or
        after ``max_len`` steps; then the one with the best ``log p / length ** length_penalty``
        wins (``length_penalty=0`` compares raw sums) among the finished ones and, only if
        the search ran ``max_len`` steps, those still alive (cut at ``max_len`` without ``eos``).

        Returns:
            A list of ``N`` token lists (without ``bos``; with ``eos`` if it was produced).

        Raises:
            TypeError: if ``src`` holds no integer ids, ``bos``, ``eos``, ``max_len`` or
                ``beam_size`` is not an int, or ``length_penalty`` not a number.
            ValueError: as :meth:`encode`, or if ``bos``/``eos`` is outside ``[0, tgt_vocab)``,
                ``max_len < 1``, ``beam_size < 1`` or ``length_penalty`` is not finite.
        """
        bos, eos, max_len = self._check_decoding(bos, eos, max_len)
        beam_size = V.check_int("beam_size", beam_size, low=1)
        length_penalty = V.check_number("length_penalty", length_penalty, finite=True)
        N = _check_tokens("src", src, self.src_vocab).shape[0]
        lengths = np.asarray(B.to_numpy(src_lengths))
        if lengths.shape != (N,):
            raise ValueError(f"Expected src_lengths of shape ({N},), got {lengths.shape}")
        return [self._beam_one(src[n:n + 1], lengths[n:n + 1], bos, eos, max_len, beam_size, length_penalty)
                for n in range(len(lengths))]

    def _check_decoding(self, bos, eos, max_len):
        """``(bos, eos, max_len)`` after checking them against the target vocabulary."""
        return (V.check_int("bos", bos, 0, self.tgt_vocab, high_open=True),
                V.check_int("eos", eos, 0, self.tgt_vocab, high_open=True),
                V.check_int("max_len", max_len, low=1))

    def _beam_one(self, src, src_lengths, bos, eos, max_len, K, alpha):
        enc_out, c, mask, state = self.encode(src, src_lengths)         # a batch of one
        beams, finished = [([], 0.0)], []                               # (tokens, log p)
        for step in range(1, max_len + 1):
            enc = tuple(_take(a, [0] * len(beams), axis=0) for a in (enc_out, c, mask))
            tokens = np.array([b[0][-1] if b[0] else bos for b in beams])
            logp, new_state, _ = self._step(tokens, state, *enc)
            scores = np.array([b[1] for b in beams])[:, None] + logp    # (beams, V)
            alive, parents = [], []
            for flat in np.argsort(-scores, axis=None, kind="stable")[:K]:
                i, tok = divmod(int(flat), scores.shape[1])
                hyp = (beams[i][0] + [tok], float(scores[i, tok]))
                if tok == eos:
                    finished.append(hyp)
                else:
                    alive.append(hyp)
                    parents.append(i)
            beams = alive
            if not beams or len(finished) >= K:
                break
            state = tuple(_take(a, parents, axis=1) for a in new_state) if isinstance(new_state, tuple) \
                else _take(new_state, parents, axis=1)
        # A hypothesis still alive competes only if it ran to max_len: one cut short by the
        # K-th finished hypothesis is a prefix, and a prefix scores higher than any ending.
        pool = finished + (beams if step == max_len else [])
        return max(pool, key=lambda h: h[1] / (len(h[0]) ** alpha))[0]


def _check_tokens(name, ids, vocab_size):
    """Token ids ``(N, L)``, ``L >= 1``, in ``[0, vocab_size)``, as a NumPy array."""
    ids = V.check_ids(name, ids, vocab_size, ndim=2)
    if ids.shape[1] == 0:
        raise ValueError(f"Expected {name} with at least one token per row, got shape {ids.shape}")
    return ids


def _take(x, rows, axis):
    """Rows ``rows`` of ``x`` along ``axis`` (batch axis 0 of encoder arrays, 1 of states)."""
    idx = np.asarray(rows)
    if B.is_torch(x):
        idx = B.torch_module().as_tensor(idx, device=x.device)
    return x[idx] if axis == 0 else x[:, idx]
