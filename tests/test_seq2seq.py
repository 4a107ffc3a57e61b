"""Seq2seq: both context variants, with and without attention — gradient checks, autograd
agreement, padding invariance, and greedy/beam decoding."""
import itertools

import numpy as np
import pytest
import torch

from conftest import rel_err
from course_pkg.gradcheck import check_gradients
from course_pkg.seq2seq import Seq2Seq

VARIANTS = [(ctx, att) for ctx in ("every_step", "init") for att in (None, "dot", "additive")]


def data(rng, N=2, S=5, T=4, V=7):
    src = rng.integers(1, V, size=(N, S))
    lengths = np.array([S, 3][:N] + [S] * max(0, N - 2))
    src[1, lengths[1]:] = 0                                           # padding
    return src, lengths, rng.integers(1, V, size=(N, T))


@pytest.mark.parametrize("context, attention", VARIANTS)
@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_gradcheck(context, attention, cell):
    rng = np.random.default_rng(0)
    bidirectional = attention == "additive"
    model = Seq2Seq(7, 7, 3, 4, cell=cell, bidirectional=bidirectional, context=context,
                    attention=attention, dtype="float64", seed=1)
    src, lengths, tgt = data(rng)
    dl = rng.standard_normal((2, 4, 7))
    run = lambda: model(src, lengths, tgt)
    run()
    grads = model.backward(dl)
    params = model.state_dict()
    frozen = {"src_embed.weight", "tgt_embed.weight"}                 # row 0 is padding: no gradient
    # Fourth-order differences with h = 1e-3: the attention query's gradient is tiny (~1e-5,
    # a query shifts every additive score alike), and the two-point formula's rounding
    # error (~1e-16 |f| / h) would be a large part of it.
    check = dict(dout=dl, h=1e-3, order=4, tol=1e-7)
    check_gradients(run, {k: v for k, v in params.items() if k not in frozen},
                    {k: v for k, v in grads.items() if k not in frozen}, **check)
    for name in frozen:                                               # the other rows are checked here
        np.testing.assert_array_equal(grads[name][0], 0.0)
        W = params[name]
        rows = W[1:].copy()
        check_gradients(run, {"rows": W[1:]}, {"rows": grads[name][1:]}, **check)
        np.testing.assert_array_equal(W[1:], rows)


@pytest.mark.parametrize("context, attention", VARIANTS)
def test_numpy_backward_equals_torch_autograd(context, attention):
    rng = np.random.default_rng(1)
    kw = dict(cell="LSTM", num_layers=2, context=context, attention=attention, dtype="float64", seed=2)
    ours, theirs = Seq2Seq(7, 6, 3, 4, **kw), Seq2Seq(7, 6, 3, 4, backend="torch", **kw)
    src, lengths, tgt = data(rng, V=6)
    dl = rng.standard_normal((2, 4, 6))
    logits = ours(src, lengths, tgt)
    grads = ours.backward(dl)
    logits_t = theirs(torch.tensor(src), torch.tensor(lengths), torch.tensor(tgt))
    (logits_t * torch.tensor(dl)).sum().backward()
    assert rel_err(logits, logits_t.detach()) < 1e-12
    for name, p in theirs.named_parameters():
        assert rel_err(grads[name], p.grad) < 1e-10, name


@pytest.mark.parametrize("attention", [None, "additive"])
def test_extra_source_padding_changes_nothing(attention):
    rng = np.random.default_rng(2)
    model = Seq2Seq(7, 7, 3, 4, bidirectional=True, attention=attention, dtype="float64", seed=3)
    src, lengths, tgt = data(rng)
    dl = rng.standard_normal((2, 4, 7))
    logits = model(src, lengths, tgt)
    grads = model.backward(dl)
    longer = np.concatenate([src, rng.integers(1, 7, size=(2, 3))], 1)   # junk beyond the lengths
    logits2 = model(longer, lengths, tgt)
    grads2 = model.backward(dl)
    assert np.allclose(logits, logits2)
    for k in grads:
        assert np.allclose(grads[k], grads2[k]), k
    if attention:
        w = model.attention_weights
        assert np.allclose(w.sum(-1), 1) and np.all(w[1, :, lengths[1]:] == 0)


def test_beam_of_one_is_greedy():
    rng = np.random.default_rng(3)
    model = Seq2Seq(7, 6, 3, 8, attention="dot", dtype="float64", seed=4).eval()
    src, lengths, _ = data(rng, N=3, V=6)
    tokens, weights = model.greedy(src, lengths, bos=1, eos=2, max_len=5)
    assert weights.shape == (3, 5, 5)
    beams = model.beam_search(src, lengths, bos=1, eos=2, max_len=5, beam_size=1)
    for row, hyp in zip(tokens, beams):
        n = list(row).index(2) + 1 if 2 in row else len(row)
        assert list(row[:n]) == hyp


@pytest.mark.parametrize("beam_size", [2, 3])
def test_beam_returns_no_prefix_cut_short(beam_size):
    """A hypothesis ends with eos or has max_len tokens: once beam_size hypotheses have
    finished, the prefixes still alive are not outputs (a prefix has fewer log-probability
    terms, so it would outscore every finished one). 86 of 480 outputs were such prefixes
    before this was fixed."""
    ends = []
    for seed in range(6):
        model = Seq2Seq(7, 6, 3, 8, attention="dot", dtype="float64", seed=seed).eval()
        rng = np.random.default_rng(seed)
        src, lengths = rng.integers(1, 7, size=(40, 5)), rng.integers(1, 6, size=40)
        ends += [h[-1] == 2 or len(h) == 6 for h in model.beam_search(src, lengths, bos=1, eos=2, max_len=6,
                                                                      beam_size=beam_size)]
    assert all(ends)


def sequence_logp(model, src, lengths, seq, bos):
    enc_out, c, mask, state = model.encode(src, lengths)
    total, token = 0.0, bos
    for tok in seq:
        logp, state, _ = model._step(np.array([token]), state, enc_out, c, mask)
        total, token = total + logp[0, tok], tok
    return total


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_finds_the_exhaustive_best(alpha):
    rng = np.random.default_rng(5)
    V, L, eos = 4, 3, 3
    model = Seq2Seq(5, V, 3, 6, attention="additive", dtype="float64", seed=5).eval()
    src, lengths = rng.integers(1, 5, size=(1, 4)), np.array([4])
    candidates = [list(p) + [eos] for n in range(L) for p in itertools.product(range(V - 1), repeat=n)]
    candidates += [list(p) for p in itertools.product(range(V - 1), repeat=L)]   # no eos by max_len
    best = max(candidates, key=lambda s: sequence_logp(model, src, lengths, s, 1) / len(s) ** alpha)
    assert model.beam_search(src, lengths, bos=1, eos=eos, max_len=L, beam_size=V ** L,
                             length_penalty=alpha)[0] == best


def test_errors():
    with pytest.raises(ValueError, match=r"Expected cell in \['RNN', 'LSTM', 'GRU'\], got 'TCN'"):
        Seq2Seq(5, 5, 2, 3, cell="TCN")
    with pytest.raises(ValueError, match=r"Expected context in \['every_step', 'init'\], got 'end'"):
        Seq2Seq(5, 5, 2, 3, context="end")
    with pytest.raises(ValueError, match="Expected attention in"):
        Seq2Seq(5, 5, 2, 3, attention="luong")
    with pytest.raises(ValueError, match="Expected dot attention with equal query and key sizes"):
        Seq2Seq(5, 5, 2, 3, bidirectional=True, attention="dot")
    with pytest.raises(ValueError, match="Expected beam_size >= 1, got 0"):
        Seq2Seq(5, 5, 2, 3).beam_search(np.ones((1, 2), int), [2], 1, 2, 3, beam_size=0)
    with pytest.raises(ValueError, match=r"Expected lengths in \[1, 2\], got min 0"):
        Seq2Seq(5, 5, 2, 3)(np.ones((2, 2), int), [2, 0], np.ones((2, 2), int))
