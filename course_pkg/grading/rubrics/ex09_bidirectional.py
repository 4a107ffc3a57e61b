"""Rubric of exercise 9, bidirectional and deep RNNs: 20 points in three parts.

- Part 1, ``reverse_direction`` (7 points, one hidden): the reverse half of a bidirectional
  GRU layer computed with a one-direction scan on the time-reversed input, each sequence of
  a padded batch reversed within its own length; compared with the ``_reverse`` half of
  :class:`course_pkg.gru.GRU` ``(bidirectional=True)`` run with ``lengths`` (which equals
  torch's packed sequences) and that layer's ``h_n[1]``.
- Part 2, ``layer_shapes`` (6 points, one hidden): the shapes of ``output`` and ``h_n`` and
  the number of parameters of a ``torch.nn``/``course_pkg`` RNN, LSTM or GRU, compared with
  the formulas of chapter 9 (``tests/test_rubric_ex09.py`` checks them against torch).
- Part 3, ``train_ner_tagger`` (7 points, one hidden): seed exercise 3, a bidirectional GRU
  named-entity recogniser. The learner's function trains on sentences it is given and
  returns the model's ``state_dict`` as a plain ``dict``; the judge loads those weights into a
  :class:`course_pkg.heads.SequenceTagger` of the same shapes and measures entity F1
  (:func:`course_pkg.metrics.entity_f1`) itself, on held-out sentences the learner's
  process never receives. What the learner's code reports is not trusted.

Thresholds of Part 3 sit below what the solution's settings (1000 sentences, 3 epochs,
batch 64, Adam 0.02, 32 units) measured over seeds 0-4 x kernels Haswell, SkylakeX,
Prescott (the same on every kernel): BiGRU 0.937-0.958 entity F1, GRU 0.787-0.860,
BiGRU - GRU 0.093-0.150, majority tag 0.239. The tests ask for BiGRU >= 0.90,
BiGRU >= GRU + 0.05 and GRU >= majority + 0.4.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex09.py``
grades each of them):

- flipping the whole padded array (``x[:, ::-1]``) instead of each sequence within its
  length passes the unpadded tests only: 3 of Part 1's 7;
- forgetting to re-reverse the scan's output keeps only the two ``h_n`` tests: 2 of 7;
- taking ``h_n`` from ``out[:, -1]`` (the reverse direction's first step) loses the two
  ``h_n`` tests: 5 of 7, with a hint that names the mistake;
- ``h_n`` of shape ``(N, L * dirs, H)`` with ``batch_first`` loses the three batch-first
  tests (3 of Part 2's 6); counting every layer's input as ``D`` loses the deep-layer
  counts (2 of 6); one bias vector instead of torch's two loses every count (3 of 6);
- a tagger that ignores ``bidirectional`` (always one direction) keeps only the GRU test:
  1 of Part 3's 7; an untrained model scores 0 there.

Three tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import lru_cache, partial
from numbers import Integral

import numpy as np

from course_pkg.baselines import MajorityTagger
from course_pkg.data.ner import ner_dataset
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, own_output, returned_state_dict)
from course_pkg.gru import GRU
from course_pkg.heads import SequenceTagger
from course_pkg.metrics import entity_f1

REVERSE, SHAPES_FN, TRAIN = "reverse_direction", "layer_shapes", "train_ner_tagger"
SIGNATURES = {REVERSE: ("x", "lengths", "params"),
              SHAPES_FN: ("cell", "T", "N", "D", "H", "num_layers", "bidirectional", "batch_first"),
              TRAIN: ("X", "lengths", "y", "vocab_size", "n_tags", "bidirectional", "seed")}
TOL = 1e-9
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
NER_SIZES = dict(n_train=1000, n_val=100, n_test=300, seed=0)     # the exercise's data
BI_F1, MARGIN, OVER_MAJORITY = 0.90, 0.05, 0.4


# --------------------------------------------------------------------------- references

def reference_reverse(x, lengths, params):
    """``(out (N, T, H), h_n (N, H))``: the reverse half of a float64 bidirectional GRU.

    ``params`` are the reverse direction's ``weight_ih, weight_hh, bias_ih, bias_hh``; the
    forward direction's weights do not touch the reverse half, so any will do.
    """
    D, H = x.shape[2], params["weight_hh"].shape[1]
    gru = GRU(D, H, batch_first=True, bidirectional=True, dtype="float64", seed=0)
    state = gru.state_dict()
    state.update({f"{k}_l0_reverse": np.asarray(v, dtype=np.float64) for k, v in params.items()})
    gru.load_state_dict(state)
    out, h_n = gru(x, lengths=np.asarray(lengths))
    return out[:, :, H:], h_n[1]


def reference_shapes(cell, T, N, D, H, num_layers, bidirectional, batch_first):
    """``(output shape, h_n shape, number of parameters)`` of a torch.nn-style layer."""
    dirs, G = 2 if bidirectional else 1, GATES[cell]
    output = (N, T, dirs * H) if batch_first else (T, N, dirs * H)
    h_n = (num_layers * dirs, N, H)
    n_params = sum(dirs * (G * H * ((D if layer == 0 else dirs * H) + H) + 2 * G * H)
                   for layer in range(num_layers))
    return output, h_n, n_params


# --------------------------------------------------------------------------- inputs

def make_reverse_inputs(N, T, D, H, lengths, seed):
    """Seeded float64 ``(x, lengths, params)``; padded steps of ``x`` hold noise, not zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    params = {"weight_ih": rng.standard_normal((3 * H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((3 * H, H)) / np.sqrt(H),
              "bias_ih": 0.5 * rng.standard_normal(3 * H),
              "bias_hh": 0.5 * rng.standard_normal(3 * H)}
    return x, np.asarray(lengths, dtype=np.int64), params


@lru_cache(maxsize=1)
def ner():
    """The exercise's NER data (as the notebook loads it) and the majority tag's test F1."""
    n = ner_dataset(**NER_SIZES)
    majority = MajorityTagger().fit(n.train.tokens, n.train.tags).predict(n.test.tokens)
    return n, entity_f1(n.test.tags, majority)[2]


# --------------------------------------------------------------------------- judges (pure)

def judge_reverse(calls, results, part):
    """``out`` (``part="out"``) or ``h_n`` (``part="h_n"``) equals the reference's."""
    x, lengths, params = calls[0].args
    out, h_n = own_output(results[0], 2)
    want_out, want_h = reference_reverse(x, lengths, params)
    if part == "out":
        compare_array("out", out, want_out, "(N, T, H)", TOL)
        return
    got = np.asarray(h_n, dtype=np.float64) if isinstance(h_n, np.ndarray) else h_n
    if isinstance(got, np.ndarray) and got.shape == want_h.shape and not np.allclose(got, want_h):
        last = want_out[np.arange(len(lengths)), np.asarray(lengths) - 1]
        if np.allclose(got, want_out[:, -1]) or np.allclose(got, last):
            raise CheckFailed("h_n is out at the last step: that is the reverse direction's FIRST "
                              "step; its final state is at t = 0")
    compare_array("h_n", h_n, want_h, "(N, H)", TOL)


def _shape(value, what):
    try:
        shape = tuple(value)
    except TypeError:
        raise CheckFailed(f"expected {what} to be a tuple of ints, got {describe_value(value)}") from None
    expect(all(isinstance(s, Integral) and not isinstance(s, bool) for s in shape),
           f"expected {what} to be a tuple of ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def judge_shapes(calls, results, parts):
    """The named parts (``"output"``, ``"h_n"``, ``"n_params"``) equal the formulas'."""
    args = calls[0].args
    output, h_n, n_params = own_output(results[0], 3)
    want = dict(zip(("output", "h_n", "n_params"), reference_shapes(*args)))
    cell, T, N, D, H, L, bi, bf = args
    where = f"{cell}(D={D}, H={H}, num_layers={L}, bidirectional={bi}, batch_first={bf}), T={T}, N={N}"
    for part in parts:
        if part == "n_params":
            expect(isinstance(n_params, Integral) and not isinstance(n_params, bool),
                   f"expected the number of parameters as an int, got {describe_value(n_params)}")
            expect(int(n_params) == want[part], f"{where}: expected {want[part]} parameters, "
                                                f"got {int(n_params)}")
        else:
            got = _shape(output if part == "output" else h_n, part)
            expect(got == want[part], f"{where}: expected {part} of shape {want[part]}, got {got}")


STATE_KEYS = ("embed.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight")


def _tagger_f1(calls, result, bidirectional):
    """Entity F1 on the held-out sentences of the weights the learner's function returned."""
    state = returned_state_dict(own_output(result), f"what {TRAIN} returned", STATE_KEYS,
                                "a SequenceTagger with a GRU and an embedding")
    reverse = "rnn.weight_ih_l0_reverse" in state
    expect(reverse == bidirectional,
           f"called with bidirectional={bidirectional}, got a model "
           f"{'with' if reverse else 'without'} a reverse direction (rnn.weight_ih_l0_reverse): "
           "pass bidirectional to the GRU")
    E, H = state["rnn.weight_ih_l0"].shape[1], state["rnn.weight_hh_l0"].shape[1]
    layers = sum(f"rnn.weight_ih_l{k}" in state for k in range(len(state)))
    n, _ = ner()
    vocab_size, n_tags = calls[0].args[3], calls[0].args[4]
    try:
        model = SequenceTagger(GRU(E, H, num_layers=layers, batch_first=True, bidirectional=reverse),
                               n_tags, vocab_size=vocab_size)
        model.load_state_dict({k: np.asarray(v, dtype=np.float32) for k, v in state.items()})
    except (KeyError, ValueError, TypeError) as err:
        raise CheckFailed(f"the returned weights do not load into SequenceTagger(GRU({E}, {H}, "
                          f"batch_first=True, ...), {n_tags}, vocab_size={vocab_size}): "
                          f"{str(err)[:150]}") from None
    pred = model.eval()(n.test.X, n.test.lengths).argmax(-1)
    tags = [[n.tags[t] for t in row[:k]] for row, k in zip(pred, n.test.lengths)]
    return entity_f1(n.test.tags, tags)[2]


def judge_bigru(calls, results):
    """The BiGRU's held-out entity F1 is at least :data:`BI_F1`."""
    f1 = _tagger_f1(calls, results[0], True)
    expect(f1 >= BI_F1, f"entity F1 of your BiGRU on held-out sentences is {f1:.3f}, expected at "
                        f"least {BI_F1}: is it trained (3 epochs, batch 64, Adam 0.02)?")


def judge_gru(calls, results):
    """The one-direction GRU beats the majority tag by :data:`OVER_MAJORITY`."""
    f1 = _tagger_f1(calls, results[0], False)
    _, majority = ner()
    expect(f1 >= majority + OVER_MAJORITY,
           f"entity F1 of your GRU on held-out sentences is {f1:.3f}, the majority tag's "
           f"{majority:.3f}: expected {OVER_MAJORITY} more; is it trained?")


def judge_margin(calls, results):
    """The BiGRU beats the GRU trained the same way by :data:`MARGIN` entity F1."""
    bi = _tagger_f1(calls[:1], results[0], True)
    uni = _tagger_f1(calls[1:], results[1], False)
    expect(bi >= uni + MARGIN, f"BiGRU {bi:.3f} against GRU {uni:.3f} entity F1: expected the "
                               f"BiGRU ahead by {MARGIN} (trained with the same settings)")


# --------------------------------------------------------------------------- tests

def reverse_test(test_id, name, part, N, T, D, H, lengths, seed, points=1, hidden=False):
    args = make_reverse_inputs(N, T, D, H, lengths, seed)
    return Test(test_id, REVERSE, name, points, (Call(REVERSE, args),),
                partial(judge_reverse, part=part), hidden)


def shapes_test(test_id, name, args, parts, hidden=False):
    return Test(test_id, SHAPES_FN, name, 1, (Call(SHAPES_FN, args),),
                partial(judge_shapes, parts=parts), hidden)


def ner_call(bidirectional, seed):
    n, _ = ner()
    return Call(TRAIN, (n.train.X, n.train.lengths, n.train.y, len(n.vocab), len(n.tags),
                        bidirectional, seed))


BOTH = ("output", "h_n")

RUBRIC = Rubric(
    exercise="ex09_bidirectional",
    signatures=SIGNATURES,
    tests=(
        reverse_test("rev_out", "no padding: out is the _reverse half of output (N=3, T=5)", "out",
                     3, 5, 4, 6, [5, 5, 5], seed=1, points=2),
        reverse_test("rev_h_n", "no padding: h_n is h_n[1] of the layer", "h_n",
                     3, 5, 4, 6, [5, 5, 5], seed=1),
        reverse_test("rev_padded_out", "a padded batch: out, each sequence within its length",
                     "out", 4, 7, 3, 5, [7, 3, 5, 1], seed=2, points=2),
        reverse_test("rev_padded_h_n", "a padded batch: h_n", "h_n", 4, 7, 3, 5, [7, 3, 5, 1], seed=2),
        reverse_test("rev_long", "a longer padded batch: out (N=6, T=12)", "out",
                     6, 12, 2, 4, [12, 4, 9, 1, 12, 6], seed=3, hidden=True),
        shapes_test("shapes_one", "GRU, one layer, time-first: output and h_n",
                    ("GRU", 7, 3, 5, 4, 1, False, False), BOTH),
        shapes_test("shapes_batch_first", "LSTM, two layers, batch_first: output and h_n",
                    ("LSTM", 6, 3, 3, 8, 2, False, True), BOTH),
        shapes_test("shapes_bidirectional", "RNN, bidirectional, batch_first: output and h_n",
                    ("RNN", 9, 4, 2, 5, 1, True, True), BOTH),
        shapes_test("params_one", "parameters of a one-layer GRU",
                    ("GRU", 7, 3, 5, 4, 1, False, False), ("n_params",)),
        shapes_test("params_deep", "parameters of a two-layer bidirectional LSTM",
                    ("LSTM", 10, 8, 16, 64, 2, True, False), ("n_params",)),
        shapes_test("shapes_deep_hidden", "a three-layer bidirectional GRU, batch_first: all",
                    ("GRU", 4, 5, 3, 6, 3, True, True), BOTH + ("n_params",), hidden=True),
        Test("ner_bigru", TRAIN, f"BiGRU tagger: entity F1 on held-out sentences >= {BI_F1}", 3,
             (ner_call(True, 0),), judge_bigru),
        Test("ner_gru", TRAIN, f"GRU tagger: entity F1 >= the majority tag's + {OVER_MAJORITY}", 1,
             (ner_call(False, 0),), judge_gru),
        Test("ner_margin", TRAIN, f"BiGRU ahead of the GRU by >= {MARGIN} entity F1", 2,
             (ner_call(True, 0), ner_call(False, 0)), judge_margin),
        Test("ner_bigru_seed1", TRAIN, f"BiGRU tagger, seed 1: entity F1 >= {BI_F1}", 1,
             (ner_call(True, 1),), judge_bigru, hidden=True),
    ),
    answers=(Answer("question-h_n", "why h_n[1] is out[:, 0] and not out[:, -1]"),
             Answer("question-ner", "what the right context gives the tagger, and why not a forecaster")),
    check_seconds=10.0,       # Part 3's calls train a tagger: ~0.5 s on an idle core, more on a busy one
)
