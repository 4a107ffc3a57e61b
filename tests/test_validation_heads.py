"""Bad calls to Linear, Embedding and the sequence topologies (tagger, classifier, generator), on both back-ends."""
import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids
from test_validation_layers import kind, other, zeros

import course_pkg as cp
from course_pkg.heads import Embedding, Linear, SequenceClassifier, SequenceGenerator, SequenceTagger

BACKENDS = ["numpy", "torch"]


def linear_cases(backend):
    def lin(**kw):
        return Linear(3, 2, backend=backend, **kw)

    def ran():
        layer = lin()
        layer(zeros(backend, (4, 3)))
        return layer
    rows = [
        (Linear, ValueError, "Expected in_features >= 1, got 0", lambda: Linear(0, 3)),
        (Linear, ValueError, "Expected in_features >= 1, got -3", lambda: Linear(-3, 4)),
        (Linear, ValueError, "Expected out_features >= 1, got 0", lambda: Linear(3, 0)),
        (Linear, TypeError, "Expected in_features to be an int, got float", lambda: Linear(3.0, 2)),
        (Linear, TypeError, "Expected out_features to be an int, got str", lambda: Linear(3, "2")),
        (Linear, TypeError, "Expected bias to be a bool, got NoneType", lambda: Linear(3, 2, bias=None)),
        (Linear, ValueError, "Expected seed >= 0, got -1", lambda: Linear(3, 2, seed=-1)),
        (Linear, TypeError, "Expected dtype float32 or float64", lambda: Linear(3, 2, dtype="int32")),
        (Linear.forward, TypeError, rf"Expected x to be a {kind(backend)} \(backend='{backend}'\), got list",
         lambda: lin()([[0.0] * 3])),
        (Linear.forward, TypeError, f"Expected x to be a {kind(backend)}", lambda: lin()(other(backend, (4, 3)))),
        (Linear.forward, TypeError, r"Expected x of dtype float32 \(the parameters' dtype\), got float64",
         lambda: lin()(zeros(backend, (4, 3), "float64"))),
        (Linear.forward, TypeError, "Expected x of dtype float32 .*, got int64",
         lambda: lin()(zeros(backend, (4, 3), "int64"))),
        (Linear.forward, ValueError, r"Expected x.shape\[-1\] == in_features = 3, got 4",
         lambda: lin()(zeros(backend, (2, 4)))),
        (Linear.forward, ValueError, r"Expected x of shape \(..., 3\), got a 0-d array",
         lambda: lin()(zeros(backend, ()))),
        (Linear.backward, RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: lin().backward(zeros(backend, (4, 2)))),
        (Linear.backward, TypeError, f"Expected dy to be a {kind(backend)}", lambda: ran().backward([[0.0] * 2] * 4)),
        (Linear.backward, TypeError, "Expected dy to be a", lambda: ran().backward(None)),
        (Linear.backward, TypeError, r"Expected dy of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran().backward(zeros(backend, (4, 2), "float64"))),
        (Linear.backward, ValueError, r"Expected dy of shape \(4, 2\), got \(4, 3\)",
         lambda: ran().backward(zeros(backend, (4, 3)))),
    ]
    if backend == "torch":
        rows += [(Linear.forward, ValueError, "Expected x on device cpu, got meta",
                  lambda: lin()(zeros(backend, (4, 3), device="meta")))]
    return [bad(*row) for row in rows]


def embedding_cases(backend):
    def emb(**kw):
        return Embedding(5, 2, backend=backend, **kw)

    def ran():
        layer = emb()
        layer(np.array([[0, 4, 1]]))
        return layer
    rows = [
        (Embedding, ValueError, "Expected num_embeddings >= 1, got 0", lambda: Embedding(0, 2)),
        (Embedding, ValueError, "Expected embedding_dim >= 1, got 0", lambda: Embedding(5, 0)),
        (Embedding, TypeError, r"Expected max_norm=None \(torch.nn's default\): course_pkg does not support",
         lambda: Embedding(5, 2, max_norm=1.0)),
        (Embedding, TypeError, "Expected sparse=False", lambda: Embedding(5, 2, sparse=True)),
        (Embedding, TypeError, "Expected num_embeddings to be an int, got float", lambda: Embedding(5.0, 2)),
        (Embedding, ValueError, r"Expected padding_idx in \[-5, 5\), got 10", lambda: Embedding(5, 2, padding_idx=10)),
        (Embedding, ValueError, r"Expected padding_idx in \[-5, 5\), got -6", lambda: Embedding(5, 2, padding_idx=-6)),
        (Embedding, ValueError, r"Expected padding_idx in \[-5, 5\), got 5", lambda: Embedding(5, 2, padding_idx=5)),
        (Embedding, TypeError, "Expected padding_idx to be an int or None, got str",
         lambda: Embedding(5, 2, padding_idx="0")),
        (Embedding, TypeError, "Expected padding_idx to be an int or None, got float",
         lambda: Embedding(5, 2, padding_idx=1.0)),
        (Embedding.forward, TypeError, "Expected integer indices, got float64", lambda: emb()(np.array([0.0, 1.0]))),
        (Embedding.forward, TypeError, "Expected integer indices, got bool", lambda: emb()(np.array([True]))),
        (Embedding.forward, TypeError, "Expected integer indices, got <U1", lambda: emb()(["a", "b"])),
        (Embedding.forward, TypeError, "Expected integer indices, got str", lambda: emb()("ab")),
        (Embedding.forward, TypeError, "Expected integer indices of one shape, got a ragged list",
         lambda: emb()([[1], [1, 2]])),
        (Embedding.forward, TypeError, "Expected integer indices, got float32", lambda: emb()(torch.zeros(2))),
        (Embedding.forward, ValueError, r"Expected indices in \[0, 5\), got min 0 and max 5",
         lambda: emb()(np.array([0, 5]))),
        (Embedding.forward, ValueError, r"Expected indices in \[0, 5\), got min -1 and max 2",
         lambda: emb()(np.array([-1, 2]))),
        (Embedding.backward, RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: emb().backward(zeros(backend, (1, 3, 2)))),
        (Embedding.backward, TypeError, f"Expected dout to be a {kind(backend)}", lambda: ran().backward(None)),
        (Embedding.backward, TypeError, r"Expected dout of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran().backward(zeros(backend, (1, 3, 2), "float64"))),
        (Embedding.backward, ValueError, r"Expected dout of shape \(1, 3, 2\), got \(3, 2\)",
         lambda: ran().backward(zeros(backend, (3, 2)))),
    ]
    return [bad(*row) for row in rows]


def composite_cases(backend):
    def gru(**kw):
        return cp.GRU(3, 4, batch_first=True, backend=backend, **kw)

    def tagger(**kw):
        return SequenceTagger(gru(), 2, **kw)

    def classifier(**kw):
        return SequenceClassifier(gru(), 2, **kw)

    def generator():
        return SequenceGenerator(cp.LSTM(3, 4, batch_first=True, backend=backend), 5, 7)

    x = zeros(backend, (2, 6, 3))
    feats = zeros(backend, (2, 5))
    toks = np.ones((2, 4), int)

    def ran(model, *inputs):
        model(*inputs)
        return model
    rows = [
        (SequenceTagger, TypeError, "Expected a course_pkg RNN, LSTM or GRU, got GRU",
         lambda: SequenceTagger(torch.nn.GRU(3, 4), 2)),
        (SequenceTagger, TypeError, "Expected a course_pkg RNN, LSTM or GRU, got GRUCell",
         lambda: SequenceTagger(cp.GRUCell(3, 4), 2)),
        (SequenceTagger, ValueError, "Expected num_outputs >= 1, got 0", lambda: SequenceTagger(gru(), 0)),
        (SequenceTagger, TypeError, "Expected num_outputs to be an int, got str", lambda: SequenceTagger(gru(), "2")),
        (SequenceTagger, ValueError, "Expected vocab_size >= 1, got 0", lambda: tagger(vocab_size=0)),
        (SequenceTagger, TypeError, "Expected vocab_size to be an int or None, got float",
         lambda: tagger(vocab_size=9.0)),
        (SequenceTagger, ValueError, r"Expected padding_idx in \[-9, 9\), got 9",
         lambda: tagger(vocab_size=9, padding_idx=9)),
        (SequenceTagger, ValueError, "Expected seed >= 0, got -2", lambda: tagger(seed=-2)),
        (SequenceTagger.forward, TypeError, "Expected input of dtype float32 .*, got float64",
         lambda: tagger()(zeros(backend, (2, 6, 3), "float64"))),
        (SequenceTagger.forward, TypeError, "Expected integer indices, got float32",
         lambda: tagger(vocab_size=9)(zeros("numpy", (2, 6)))),
        (SequenceTagger.forward, ValueError, r"Expected indices in \[0, 9\)",
         lambda: tagger(vocab_size=9)(np.full((2, 6), 9))),
        (SequenceTagger.forward, ValueError, r"Expected lengths in \[1, 6\]", lambda: tagger()(x, lengths=[7, 1])),
        (SequenceTagger.backward, RuntimeError, "before backward",
         lambda: tagger().backward(zeros(backend, (2, 6, 2)))),
        (SequenceTagger.backward, TypeError, r"Expected dlogits of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran(tagger(), x).backward(zeros(backend, (2, 6, 2), "float64"))),
        (SequenceTagger.backward, TypeError, f"Expected dlogits to be a {kind(backend)}",
         lambda: ran(tagger(), x).backward([0.0])),
        (SequenceTagger.backward, ValueError, r"Expected dlogits of shape \(2, 6, 2\), got \(2, 2\)",
         lambda: ran(tagger(), x).backward(zeros(backend, (2, 2)))),
        (SequenceClassifier, ValueError, "Expected num_outputs >= 1, got -1", lambda: SequenceClassifier(gru(), -1)),
        (SequenceClassifier, TypeError, "Expected a course_pkg RNN, LSTM or GRU, got NoneType",
         lambda: SequenceClassifier(None, 2)),
        (SequenceClassifier.forward, TypeError, f"Expected input to be a {kind(backend)}",
         lambda: classifier()(other(backend, (2, 6, 3)))),
        (SequenceClassifier.forward, ValueError, "Expected sequence length to be larger than 0",
         lambda: classifier()(zeros(backend, (2, 0, 3)))),
        (SequenceClassifier.backward, RuntimeError, "before backward",
         lambda: classifier().backward(zeros(backend, (2, 2)))),
        (SequenceClassifier.backward, ValueError, r"Expected dlogits of shape \(2, 2\), got \(2, 6, 2\)",
         lambda: ran(classifier(), x).backward(zeros(backend, (2, 6, 2)))),
        (SequenceClassifier.backward, TypeError, "Expected dlogits of dtype float32",
         lambda: ran(classifier(), x).backward(zeros(backend, (2, 2), "float64"))),
        (SequenceGenerator, ValueError, "Expected a unidirectional, batch_first rnn",
         lambda: SequenceGenerator(cp.GRU(3, 4, backend=backend), 5, 7)),
        (SequenceGenerator, ValueError, "Expected feature_size >= 1, got 0",
         lambda: SequenceGenerator(gru(), 0, 7)),
        (SequenceGenerator, TypeError, "Expected vocab_size to be an int, got NoneType",
         lambda: SequenceGenerator(gru(), 5, None)),
        (SequenceGenerator.forward, ValueError, r"Expected features of shape \(N, 5\), got \(2, 4\)",
         lambda: generator()(zeros(backend, (2, 4)), toks)),
        (SequenceGenerator.forward, TypeError, "Expected features of dtype float32",
         lambda: generator()(zeros(backend, (2, 5), "float64"), toks)),
        (SequenceGenerator.forward, TypeError, "Expected features to be a", lambda: generator()(None, toks)),
        (SequenceGenerator.forward, ValueError, r"Expected tokens_in with 2 dimensions, got shape \(4,\)",
         lambda: generator()(feats, np.ones(4, int))),
        (SequenceGenerator.forward, ValueError, r"Expected tokens_in in \[0, 7\), got min 1 and max 7",
         lambda: generator()(feats, np.array([[1, 7], [2, 3]]))),
        (SequenceGenerator.forward, TypeError, "Expected integer tokens_in, got float64",
         lambda: generator()(feats, np.ones((2, 4)))),
        (SequenceGenerator.forward, ValueError, r"Expected tokens_in with the batch size of features, 2, got shape \(3, 4\)",
         lambda: generator()(feats, np.ones((3, 4), int))),
        (SequenceGenerator.forward, ValueError, "Expected sequence length to be larger than 0",
         lambda: generator()(feats, np.ones((2, 0), int))),
        (SequenceGenerator.backward, RuntimeError, "before backward",
         lambda: generator().backward(zeros(backend, (2, 4, 7)))),
        (SequenceGenerator.backward, ValueError, r"Expected dlogits of shape \(2, 4, 7\), got \(2, 7\)",
         lambda: ran(generator(), feats, toks).backward(zeros(backend, (2, 7)))),
        (SequenceGenerator.backward, TypeError, "Expected dlogits of dtype float32",
         lambda: ran(generator(), feats, toks).backward(zeros(backend, (2, 4, 7), "float64"))),
        (SequenceGenerator.initial_state, ValueError, r"Expected features of shape \(N, 5\), got \(5,\)",
         lambda: generator().initial_state(zeros(backend, (5,)))),
        (SequenceGenerator.initial_state, TypeError, "Expected features of dtype float32",
         lambda: generator().initial_state(zeros(backend, (2, 5), "float64"))),
        (SequenceGenerator.generate, ValueError, "Expected max_len >= 1, got 0",
         lambda: generator().generate(feats, bos=1, max_len=0)),
        (SequenceGenerator.generate, TypeError, "Expected max_len to be an int, got float",
         lambda: generator().generate(feats, bos=1, max_len=3.0)),
        (SequenceGenerator.generate, ValueError, r"Expected bos in \[0, 7\), got 7",
         lambda: generator().generate(feats, bos=7, max_len=3)),
        (SequenceGenerator.generate, TypeError, "Expected bos to be an int, got str",
         lambda: generator().generate(feats, bos="<bos>", max_len=3)),
        (SequenceGenerator.generate, ValueError, r"Expected eos in \[0, 7\), got -1",
         lambda: generator().generate(feats, bos=1, max_len=3, eos=-1)),
        (SequenceGenerator.generate, ValueError, r"Expected features of shape \(N, 5\), got \(2, 6\)",
         lambda: generator().generate(zeros(backend, (2, 6)), bos=1, max_len=3)),
    ]
    return [bad(*row) for row in rows]


CASES = [c for b in BACKENDS for c in linear_cases(b) + embedding_cases(b) + composite_cases(b)]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


def test_padding_idx_counts_from_the_end_like_torch():
    ours, theirs = Embedding(5, 2, padding_idx=-1), torch.nn.Embedding(5, 2, padding_idx=-1)
    assert ours.padding_idx == theirs.padding_idx == 4
    assert not ours.state_dict()["weight"][4].any()


@pytest.mark.parametrize("backend", BACKENDS)
def test_embedding_takes_ids_of_either_library(backend):
    emb = Embedding(5, 2, backend=backend)
    assert tuple(emb(torch.tensor([[1, 2]])).shape) == tuple(emb(np.array([[1, 2]])).shape) == (1, 2, 2)
    assert tuple(emb([]).shape) == (0, 2)
