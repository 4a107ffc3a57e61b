"""Linear, Embedding and the N-vs-N, N-vs-1 and 1-vs-N models: torch parity and gradient checks."""
import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import course_pkg as cp
from conftest import rel_err
from course_pkg.gradcheck import check_gradients
from course_pkg.heads import Embedding, Linear, SequenceClassifier, SequenceGenerator, SequenceTagger

TOL = 1e-10


def load_into_torch(ours, module):
    module.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return module


def torch_grads(module):
    return {k: p.grad.numpy() for k, p in module.named_parameters()}


def assert_grads_equal(ours, theirs):
    assert list(ours) == list(theirs)
    for k in ours:
        assert rel_err(ours[k], theirs[k]) < TOL, k


def test_linear_matches_torch():
    rng = np.random.default_rng(0)
    lin = Linear(4, 3, dtype="float64", seed=0)
    ref = load_into_torch(lin, torch.nn.Linear(4, 3, dtype=torch.float64))
    x, dy = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    y = lin(x)
    dx, grads = lin.backward(dy)
    xt = torch.tensor(x, requires_grad=True)
    ref(xt).backward(torch.tensor(dy))
    assert rel_err(y, ref(torch.tensor(x)).detach()) < TOL and rel_err(dx, xt.grad) < TOL
    assert_grads_equal(grads, torch_grads(ref))
    bound = 1 / np.sqrt(4)
    assert all(np.abs(v).max() <= bound for v in Linear(4, 3, seed=1).parameters())


def test_embedding_matches_torch_with_repeats_and_padding():
    rng = np.random.default_rng(1)
    emb = Embedding(6, 3, padding_idx=0, dtype="float64", seed=0)
    assert np.all(emb.state_dict()["weight"][0] == 0)
    ref = load_into_torch(emb, torch.nn.Embedding(6, 3, padding_idx=0, dtype=torch.float64))
    idx = np.array([[1, 2, 2, 0], [5, 1, 0, 0]])
    dout = rng.standard_normal((2, 4, 3))
    out = emb(idx)
    _, grads = emb.backward(dout)
    ref(torch.tensor(idx)).backward(torch.tensor(dout))
    assert rel_err(out, ref(torch.tensor(idx)).detach()) < TOL
    assert_grads_equal(grads, torch_grads(ref))


def test_embedding_errors():
    emb = Embedding(4, 2)
    with pytest.raises(TypeError, match="Expected integer indices, got float64"):
        emb(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"Expected indices in \[0, 4\), got min 0 and max 4"):
        emb(np.array([0, 4]))


class TorchTagger(torch.nn.Module):
    def __init__(self, rnn, K):
        super().__init__()
        self.rnn, self.head = rnn, torch.nn.Linear(rnn.hidden_size * (1 + rnn.bidirectional), K,
                                                   dtype=torch.float64)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_tagger_matches_torch(family):
    rng = np.random.default_rng(2)
    rnn = getattr(cp, family)(3, 4, 2, bidirectional=True, batch_first=True, dtype="float64", seed=0)
    tagger = SequenceTagger(rnn, 5, seed=1)
    ref = load_into_torch(tagger, TorchTagger(rnn.to_torch_nn(), 5))
    x, dl = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 5))
    logits = tagger(x)
    dx, grads = tagger.backward(dl)
    xt = torch.tensor(x, requires_grad=True)
    ref(xt).backward(torch.tensor(dl))
    assert logits.shape == (2, 6, 5) and rel_err(logits, ref(torch.tensor(x)).detach()) < TOL
    assert rel_err(dx, xt.grad) < TOL
    assert_grads_equal(grads, torch_grads(ref))


class TorchClassifier(TorchTagger):
    def forward(self, x, lengths):
        state = self.rnn(pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                              enforce_sorted=False))[1]
        h_n = state[0] if isinstance(state, tuple) else state
        dirs = 1 + self.rnn.bidirectional
        return self.head(torch.cat([h_n[-dirs + d] for d in range(dirs)], 1))


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_uses_masked_last_state_like_torch(family, bidirectional):
    rng = np.random.default_rng(3)
    rnn = getattr(cp, family)(3, 4, 2, bidirectional=bidirectional, batch_first=True, dtype="float64", seed=0)
    clf = SequenceClassifier(rnn, 2, seed=1)
    ref = load_into_torch(clf, TorchClassifier(rnn.to_torch_nn(), 2))
    x, lengths = rng.standard_normal((3, 5, 3)), np.array([5, 2, 3])
    dl = rng.standard_normal((3, 2))
    logits = clf(x, lengths=lengths)
    dx, grads = clf.backward(dl)
    xt = torch.tensor(x, requires_grad=True)
    ref(xt, lengths).backward(torch.tensor(dl))
    assert rel_err(logits, ref(torch.tensor(x), lengths).detach()) < TOL
    assert rel_err(dx, xt.grad) < TOL
    assert_grads_equal(grads, torch_grads(ref))


class TorchGenerator(torch.nn.Module):
    def __init__(self, rnn, F, V):
        super().__init__()
        H = rnn.hidden_size
        self.rnn = rnn
        self.init = torch.nn.Linear(F, H, dtype=torch.float64)
        self.embed = torch.nn.Embedding(V, rnn.input_size, dtype=torch.float64)
        self.head = torch.nn.Linear(H, V, dtype=torch.float64)

    def forward(self, v, tokens):
        h0 = torch.tanh(self.init(v)).expand(self.rnn.num_layers, -1, -1).contiguous()
        hx = (h0, torch.zeros_like(h0)) if isinstance(self.rnn, torch.nn.LSTM) else h0
        return self.head(self.rnn(self.embed(tokens), hx)[0])


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_generator_matches_torch(family):
    rng = np.random.default_rng(4)
    rnn = getattr(cp, family)(3, 4, 2, batch_first=True, dtype="float64", seed=0)
    gen = SequenceGenerator(rnn, feature_size=5, vocab_size=6, seed=1)
    ref = load_into_torch(gen, TorchGenerator(rnn.to_torch_nn(), 5, 6))
    v, tokens = rng.standard_normal((2, 5)), rng.integers(0, 6, size=(2, 4))
    dl = rng.standard_normal((2, 4, 6))
    logits = gen(v, tokens)
    dv, grads = gen.backward(dl)
    vt = torch.tensor(v, requires_grad=True)
    ref(vt, torch.tensor(tokens)).backward(torch.tensor(dl))
    assert rel_err(logits, ref(torch.tensor(v), torch.tensor(tokens)).detach()) < TOL
    assert rel_err(dv, vt.grad) < TOL
    assert_grads_equal(grads, torch_grads(ref))


def test_generator_generate_is_greedy_and_pads_after_eos():
    gen = SequenceGenerator(cp.GRU(3, 8, batch_first=True, dtype="float64", seed=0), 4, 5, seed=0)
    v = np.random.default_rng(5).standard_normal((3, 4))
    tokens = gen.generate(v, bos=0, max_len=6)
    assert tokens.shape == (3, 6)
    # step by step by hand: feeding the greedy tokens back reproduces the logits' argmax
    logits = gen(v, np.concatenate([np.zeros((3, 1), int), tokens[:, :-1]], 1))
    np.testing.assert_array_equal(logits.argmax(-1), tokens)
    eos = int(tokens[0, 1])
    with_eos = gen.generate(v, bos=0, max_len=6, eos=eos)
    first = np.argmax(with_eos == eos, axis=1)
    for row, f in zip(with_eos, first):
        if (row == eos).any():
            assert np.all(row[f:] == eos)


@pytest.mark.parametrize("model", ["tagger", "classifier", "generator"])
def test_composite_gradcheck(model):
    rng = np.random.default_rng(6)
    rnn = cp.LSTM(2, 3, bidirectional=model != "generator", batch_first=True, dtype="float64", seed=0)
    if model == "tagger":
        net, x = SequenceTagger(rnn, 3, seed=1), rng.standard_normal((2, 4, 2))
        run, dl = (lambda: net(x, lengths=[4, 2])), rng.standard_normal((2, 4, 3))
    elif model == "classifier":
        net, x = SequenceClassifier(rnn, 3, seed=1), rng.standard_normal((2, 4, 2))
        run, dl = (lambda: net(x, lengths=[3, 4])), rng.standard_normal((2, 3))
    else:
        net, x = SequenceGenerator(rnn, 4, 5, seed=1), rng.standard_normal((2, 4))
        tokens = rng.integers(0, 5, size=(2, 3))
        run, dl = (lambda: net(x, tokens)), rng.standard_normal((2, 3, 5))
    run()
    dx, grads = net.backward(dl)
    check_gradients(run, {"x": x, **net.state_dict()}, {"x": dx, **grads}, dout=dl, tol=1e-7)


def test_composites_reject_a_non_rnn():
    with pytest.raises(TypeError, match="Expected a course_pkg RNN, LSTM or GRU, got Linear"):
        SequenceTagger(Linear(2, 3), 4)
    with pytest.raises(ValueError, match="Expected a unidirectional, batch_first rnn"):
        SequenceGenerator(cp.GRU(3, 4), 2, 5)


@pytest.mark.parametrize("cls", [SequenceTagger, SequenceClassifier])
def test_token_inputs_through_an_embedding(cls):
    rng = np.random.default_rng(7)
    net = cls(cp.GRU(3, 4, bidirectional=True, batch_first=True, dtype="float64", seed=0), 2,
              vocab_size=6, seed=1)
    assert list(net.state_dict())[0] == "embed.weight"
    tokens, lengths = np.array([[1, 2, 3, 4], [5, 1, 0, 0]]), np.array([4, 2])
    run = lambda: net(tokens, lengths)
    dl = rng.standard_normal(run().shape)
    dx, grads = net.backward(dl)
    assert dx is None and np.all(grads["embed.weight"][0] == 0)          # padding row stays fixed
    params = {k: v for k, v in net.state_dict().items() if k != "embed.weight"}
    check_gradients(run, {"rows": net.state_dict()["embed.weight"][1:], **params},
                    {"rows": grads["embed.weight"][1:], **{k: grads[k] for k in params}}, dout=dl, tol=1e-7)
