"""Bad calls to the encoder-decoder: construction, training passes and both decoders, on both back-ends."""
import numpy as np
import pytest
from test_validation_docs import bad, check, ids
from test_validation_layers import kind, zeros

from course_pkg.seq2seq import Seq2Seq

BACKENDS = ["numpy", "torch"]
SRC = np.array([[4, 5, 6], [7, 8, 0]])
LENGTHS = np.array([3, 2])
TGT = np.array([[1, 4, 5, 6], [1, 7, 0, 0]])


def model(backend="numpy", **kw):
    return Seq2Seq(9, 10, 3, 4, backend=backend, seed=0, **kw)


def constructor_cases():
    rows = [
        (ValueError, "Expected src_vocab >= 1, got 0", lambda: Seq2Seq(0, 10, 3, 4)),
        (ValueError, "Expected tgt_vocab >= 1, got -1", lambda: Seq2Seq(9, -1, 3, 4)),
        (TypeError, "Expected embed_size to be an int, got float", lambda: Seq2Seq(9, 10, 3.0, 4)),
        (ValueError, "Expected hidden_size >= 1, got 0", lambda: Seq2Seq(9, 10, 3, 0)),
        (ValueError, "Expected num_layers >= 1, got 0", lambda: model(num_layers=0)),
        (TypeError, "Expected bidirectional to be a bool, got str", lambda: model(bidirectional="yes")),
        (ValueError, r"Expected cell in \['RNN', 'LSTM', 'GRU'\], got 'TCN'", lambda: model(cell="TCN")),
        (TypeError, r"Expected cell in \['RNN', 'LSTM', 'GRU'\], got type", lambda: model(cell=Seq2Seq)),
        (ValueError, r"Expected context in \['every_step', 'init'\], got 'end'", lambda: model(context="end")),
        (ValueError, r"Expected attention in \[None, 'dot', 'additive'\], got 'luong'",
         lambda: model(attention="luong")),
        (TypeError, r"Expected attention in \[None, 'dot', 'additive'\], got bool", lambda: model(attention=True)),
        (ValueError, r"Expected pad_idx in \[0, 9\), got 9", lambda: model(pad_idx=9)),
        (ValueError, r"Expected pad_idx in \[0, 9\), got -1", lambda: model(pad_idx=-1)),
        (TypeError, "Expected pad_idx to be an int or None, got str", lambda: model(pad_idx="0")),
        (ValueError, "Expected dot attention with equal query and key sizes",
         lambda: model(bidirectional=True, attention="dot")),
        (ValueError, "Expected seed >= 0, got -3", lambda: Seq2Seq(9, 10, 3, 4, seed=-3)),
        (ValueError, r"Expected backend in \['numpy', 'torch'\], got 'jax'", lambda: model(backend="jax")),
    ]
    return [bad(Seq2Seq, *row) for row in rows]


def call_cases(backend):
    def ran(**kw):
        m = model(backend, **kw)
        m(SRC, LENGTHS, TGT)
        return m
    fwd, enc, bwd = Seq2Seq.forward, Seq2Seq.encode, Seq2Seq.backward
    greedy, beam = Seq2Seq.greedy, Seq2Seq.beam_search
    rows = [
        (fwd, TypeError, "Expected integer src, got float64", lambda: model(backend)(SRC.astype(float), LENGTHS, TGT)),
        (fwd, ValueError, r"Expected src with 2 dimensions, got shape \(3,\)",
         lambda: model(backend)(SRC[0], [3], TGT)),
        (fwd, ValueError, r"Expected src in \[0, 9\), got min 1 and max 9",
         lambda: model(backend)(np.array([[9, 1, 1], [1, 1, 1]]), LENGTHS, TGT)),
        (fwd, ValueError, r"Expected src with at least one token per row, got shape \(2, 0\)",
         lambda: model(backend)(np.zeros((2, 0), int), [1, 1], TGT)),
        (fwd, ValueError, r"Expected tgt_in in \[0, 10\)", lambda: model(backend)(SRC, LENGTHS, TGT + 9)),
        (fwd, TypeError, "Expected integer tgt_in, got <U1", lambda: model(backend)(SRC, LENGTHS, [["a"]])),
        (fwd, ValueError, r"Expected tgt_in with at least one token per row, got shape \(2, 0\)",
         lambda: model(backend)(SRC, LENGTHS, np.zeros((2, 0), int))),
        (fwd, ValueError, r"Expected tgt_in with the batch size of src, 2, got shape \(1, 4\)",
         lambda: model(backend)(SRC, LENGTHS, TGT[:1])),
        (fwd, ValueError, r"Expected lengths in \[1, 3\], got min 0", lambda: model(backend)(SRC, [3, 0], TGT)),
        (fwd, ValueError, "Expected lengths to be 2 integers", lambda: model(backend)(SRC, [3], TGT)),
        (enc, ValueError, r"Expected src with 2 dimensions, got shape \(2, 3, 1\)",
         lambda: model(backend).encode(SRC[..., None], LENGTHS)),
        (enc, TypeError, "Expected integer src, got bool", lambda: model(backend).encode(SRC > 0, LENGTHS)),
        (enc, ValueError, "Expected lengths to be 2 integers", lambda: model(backend).encode(SRC, [2.5, 1.0])),
        (bwd, RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: model(backend).backward(zeros(backend, (2, 4, 10)))),
        (bwd, ValueError, r"Expected dlogits of shape \(2, 4, 10\), got \(2, 4, 9\)",
         lambda: ran().backward(zeros(backend, (2, 4, 9)))),
        (bwd, TypeError, r"Expected dlogits of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran(attention="additive").backward(zeros(backend, (2, 4, 10), "float64"))),
        (bwd, TypeError, f"Expected dlogits to be a {kind(backend)}", lambda: ran().backward([0.0])),
        (greedy, ValueError, "Expected max_len >= 1, got 0", lambda: model(backend).greedy(SRC, LENGTHS, 1, 2, 0)),
        (greedy, TypeError, "Expected max_len to be an int, got str",
         lambda: model(backend).greedy(SRC, LENGTHS, 1, 2, "5")),
        (greedy, ValueError, r"Expected bos in \[0, 10\), got 10",
         lambda: model(backend).greedy(SRC, LENGTHS, 10, 2, 5)),
        (greedy, ValueError, r"Expected eos in \[0, 10\), got -1",
         lambda: model(backend).greedy(SRC, LENGTHS, 1, -1, 5)),
        (greedy, TypeError, "Expected eos to be an int, got NoneType",
         lambda: model(backend).greedy(SRC, LENGTHS, 1, None, 5)),
        (greedy, ValueError, r"Expected src in \[0, 9\)", lambda: model(backend).greedy(SRC + 9, LENGTHS, 1, 2, 5)),
        (beam, ValueError, "Expected max_len >= 1, got 0", lambda: model(backend).beam_search(SRC, LENGTHS, 1, 2, 0)),
        (beam, ValueError, "Expected beam_size >= 1, got 0",
         lambda: model(backend).beam_search(SRC, LENGTHS, 1, 2, 5, beam_size=0)),
        (beam, TypeError, "Expected beam_size to be an int, got str",
         lambda: model(backend).beam_search(SRC, LENGTHS, 1, 2, 5, beam_size="4")),
        (beam, TypeError, "Expected beam_size to be an int, got float",
         lambda: model(backend).beam_search(SRC, LENGTHS, 1, 2, 5, beam_size=4.0)),
        (beam, TypeError, "Expected length_penalty to be a number, got str",
         lambda: model(backend).beam_search(SRC, LENGTHS, 1, 2, 5, length_penalty="1")),
        (beam, ValueError, "Expected length_penalty to be a finite number, got nan",
         lambda: model(backend).beam_search(SRC, LENGTHS, 1, 2, 5, length_penalty=float("nan"))),
        (beam, ValueError, r"Expected bos in \[0, 10\), got 12",
         lambda: model(backend).beam_search(SRC, LENGTHS, 12, 2, 5)),
        (beam, ValueError, r"Expected src_lengths of shape \(2,\), got \(3,\)",
         lambda: model(backend).beam_search(SRC, [3, 2, 1], 1, 2, 5)),
        (beam, ValueError, r"Expected src with 2 dimensions", lambda: model(backend).beam_search(SRC[0], [3], 1, 2, 5)),
    ]
    return [bad(*row) for row in rows]


CASES = constructor_cases() + [c for b in BACKENDS for c in call_cases(b)]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


def test_one_step_decoding_works():
    m = model()
    tokens, weights = m.greedy(SRC, LENGTHS, 1, 2, 1)
    assert tokens.shape == (2, 1) and weights is None
    assert all(len(b) == 1 for b in m.beam_search(SRC, LENGTHS, 1, 2, 1, beam_size=2))
