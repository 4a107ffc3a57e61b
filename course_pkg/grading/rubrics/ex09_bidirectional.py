"""Rubric of exercise 9, bidirectional and deep RNNs: 18 points in three parts.

- Part 1, ``reverse_direction(x, lengths, params)`` (6 points, one hidden): the reverse half of
  a bidirectional GRU layer for a **padded** batch, computed with the one-direction scan
  ``gru_forward`` on each sequence reversed within its own length, after diagnosing a
  colleague's layer that reverses the whole padded array (chapter 9's two scans, applied to
  a padded batch). Compared with the ``_reverse`` half of :class:`course_pkg.gru.GRU`
  ``(bidirectional=True)`` run with ``lengths`` (which equals torch's packed sequences) and
  that layer's ``h_n[1]``.
- Part 2, ``inputs_read(lengths, T, num_layers, bidirectional, half)`` (6 points, one
  hidden): which inputs each output of a stack has read, ``(N, T, T)`` booleans, ``[b, t, s]``
  true where the top layer's output at step ``t`` (its ``"forward"`` or ``"reverse"`` half,
  or ``"both"``) depends on ``x_s`` of sequence ``b``. Compared with :func:`reference_read`,
  which the tests check against a layer's measured dependence (perturb one input, see which
  outputs move). The forward half of the second layer of a bidirectional stack has read
  every valid input (chapter 9's question for thought 3, unanswered there): a forecaster
  built on it leaks.
- Part 3, ``train_ner_tagger(X, lengths, y, vocab_size, n_tags, seed)`` (6 points, one
  hidden): the learner designs and trains a tagger on chapter 9's named-entity sentences
  (``split="templates"``, seed 0) under a budget of :data:`BUDGET` parameters and the
  grader's 10 s per call; every size, the direction, the cell and the training are theirs.
  The judge reads the design from the returned ``state_dict`` (cell from the gate blocks,
  ``E``, ``H``, layers, directions), loads it into a :class:`course_pkg.heads.SequenceTagger`
  and scores it itself on 500 new sentences of the training templates and 500 of the
  held-out templates (:func:`grader_sentences`, drawn with seed 24: not the notebook's
  sentences, and never sent to the learner's process). Targets: entity F1 at least
  :data:`SEEN_F1` and companies' F1 at least :data:`ORG_F1` on the training templates
  (seeds 0 and, hidden, 1); entity F1 at least :data:`HELD_F1` on the held-out templates
  (seed 2). Chapter 9's tagger (``E = H = 32``) has 72,777 parameters: over the budget.

Part 3's thresholds, measured with the solution's design (a bidirectional GRU, ``E = 12``,
``H = 24``, 28,233 parameters, 6 epochs, batch 32, Adam 0.02; about 0.8 s per training on one
core) on the grader's sentences over seeds 0-9 x OpenBLAS kernels Haswell, SkylakeX,
Prescott (the same on every kernel): training templates 0.940-0.998 (seeds 0 and 1: 0.993,
0.992), companies 0.96-1.00 (0.99, 0.99); held-out templates 0.640-0.836 (seed 2: 0.752).
So the tests hold with margins 0.06 (entity F1), 0.07 (companies) and 0.15 (held-out). The
designs the tests must fail, same seeds and kernels: one direction at the budget (a GRU,
``E = 12``, ``H = 40``, same training) 0.914-0.923 on the training templates with companies
at 0.77-0.80 (0.12 below the target at least), held-out 0.683-0.751; the solution's sizes
trained like chapter 9's tagger (3 epochs, batch 64) 0.835-0.836 at seeds 0 and 1 (0.923 at
seed 2), held-out 0.675-0.714.

Of the 18 points, 14 (:data:`UNDERSTANDING`) need a derivation, a diagnosis or a design
choice: the reverse scan of a padded batch and its final state, which chapter 9 shows only
without padding and which the colleague's layer gets wrong (``rev_padded_out``,
``rev_padded_h_n``, ``rev_long``, 4); what the halves of a padded or deep bidirectional
stack have read, derived (``read_padded``, ``read_deep``, ``read_hidden``, 4); the tagger's
design under the budget (``tagger_seen``, ``tagger_held``, ``tagger_seed1``, 6). The other
4 test what chapter 9 shows: the reverse half and ``h_n[1]`` of an unpadded batch (its
two-scans cell and its ``h_n`` cell), what one bidirectional layer's halves have read
(stated in its first section), and a deep one-direction stack (``read_deep_one_way``), which
the one-layer answer passes without a thought about depth: it is there to catch the
opposite mistake, a stack taken to read ahead.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex09.py``
grades each of them, several per graded run, with its hint); points lost out of 18:

- Part 1: the whole padded array reversed (``x[:, ::-1]``), with or without the padded steps
  zeroed afterwards, or the padding zeroed first: 4 (only the padded sequences are wrong,
  and the hint says so); the scan's states left in the order the scan made them: 4; each
  sequence scanned right but its states put at its last ``L`` steps (a whole padded row
  reversed): 3; ``h_n`` from ``out`` at the last valid step (the reverse direction's first
  step): 2; the padded steps left non-zero: 3;
- Part 2: layers above the first treated like the first (the forward half of a deep
  bidirectional stack taken to be causal), the diagonal left out (a state that has not read
  its own step), rows and columns swapped, the lengths ignored, or the outputs at padded
  steps taken to read the valid inputs: 3 each; the outputs at valid steps taken to read the
  padding (the colleague's mistake of Part 1): 2; a deep one-direction stack taken to read
  everything: 1;
- Part 3: chapter 9's tagger as it is, or any design over the budget (the hint counts the
  embedding's, the layer's and the head's parameters): 6; one direction within the
  budget: 4; the solution's sizes trained like chapter 9's tagger: 4; the weights returned
  as an ``OrderedDict``, or untrained: 6.

Written answers are read by hand. Three tests are hidden: ``course_pkg.check`` does not run
them.
"""
from __future__ import annotations

from functools import lru_cache, partial

import numpy as np

from course_pkg import gru, lstm, rnn
from course_pkg.baselines import MajorityTagger
from course_pkg.data.batching import pad_sequences
from course_pkg.data.ner import ner_dataset
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, own_output, returned_state_dict)
from course_pkg.heads import SequenceTagger
from course_pkg.metrics import entity_f1

REVERSE, READ, TRAIN = "reverse_direction", "inputs_read", "train_ner_tagger"
SIGNATURES = {REVERSE: ("x", "lengths", "params"),
              READ: ("lengths", "T", "num_layers", "bidirectional", "half"),
              TRAIN: ("X", "lengths", "y", "vocab_size", "n_tags", "seed")}
TOL = 1e-9
NER_SIZES = dict(n_train=1000, n_val=500, n_test=500, seed=0, split="templates")   # chapter 9's data
GRADER_SEED = 24                # the grader's own sentences: same templates, other Faker draws
BUDGET = 30_000
SEEN_F1, ORG_F1, HELD_F1 = 0.93, 0.92, 0.6
UNDERSTANDING = frozenset({"rev_padded_out", "rev_padded_h_n", "rev_long", "read_padded", "read_deep",
                           "read_hidden", "tagger_seen", "tagger_held", "tagger_seed1"})


# --------------------------------------------------------------------------- Part 1

def reference_reverse(x, lengths, params):
    """``(out (N, T, H), h_n (N, H))``: the reverse half of a float64 bidirectional GRU.

    ``params`` are the reverse direction's ``weight_ih, weight_hh, bias_ih, bias_hh``; the
    forward direction's weights do not touch the reverse half, so any will do.
    """
    D, H = x.shape[2], params["weight_hh"].shape[1]
    layer = gru.GRU(D, H, batch_first=True, bidirectional=True, dtype="float64", seed=0)
    state = layer.state_dict()
    state.update({f"{k}_l0_reverse": np.asarray(v, dtype=np.float64) for k, v in params.items()})
    layer.load_state_dict(state)
    out, h_n = layer(x, lengths=np.asarray(lengths))
    return out[:, :, H:], h_n[1]


def scan_order(x, lengths, params):
    """The reverse scan's states in the order it makes them (``x_{L-1}``'s state first),
    zeros after each sequence's length: what forgetting to re-reverse gives."""
    want, _ = reference_reverse(x, lengths, params)
    got = np.zeros_like(want)
    for b, L in enumerate(np.asarray(lengths)):
        got[b, :L] = want[b, :L][::-1]
    return got


def make_reverse_inputs(N, T, D, H, lengths, seed):
    """Seeded float64 ``(x, lengths, params)``; padded steps of ``x`` hold noise, not zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    params = {"weight_ih": rng.standard_normal((3 * H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((3 * H, H)) / np.sqrt(H),
              "bias_ih": 0.5 * rng.standard_normal(3 * H),
              "bias_hh": 0.5 * rng.standard_normal(3 * H)}
    return x, np.asarray(lengths, dtype=np.int64), params


def _floats(value):
    """``value`` as a float64 array, or ``None`` if it is not an array of real numbers."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        return None
    return value.astype(np.float64)


def _close(a, b):
    return np.allclose(a, b, rtol=1e-7, atol=1e-9)


def colleague_reverse(x, params):
    """The colleague's reverse half: the whole padded array reversed, ``(out, h_n)``."""
    h, _ = gru.gru_forward(x[:, ::-1], np.zeros((x.shape[0], params["weight_hh"].shape[1])), params)
    return h[:, ::-1], h[:, -1]


PADDING_FIRST = ("only the padded sequences (length < T) are wrong, the full-length ones right: "
                 "the reverse scan of a short sequence started in its padding, at t = T - 1")
PADDED_ONLY = ("only the padded sequences (length < T) are wrong, the full-length ones right: where "
               "must the reverse scan of sequence b start, and at which step t of out does each state go?")
SHIFTED = ("each sequence's states are right but end at t = T - 1 instead of starting at t = 0: out[b, t] "
           "must be the state at step t")


def reverse_hint(x, lengths, params, part, got):
    """The hint of a usual mistake whose values ``got`` (``out`` or ``h_n``) are, or ``None``."""
    want_out, want_h = reference_reverse(x, lengths, params)
    L = np.asarray(lengths)
    T = x.shape[1]
    full = L == T
    valid = np.arange(T)[None, :] < L[:, None]                               # (N, T)
    # the colleague's layer, on the padding as given and on zeros: (out, h_n) each
    colleague = [colleague_reverse(x, params), colleague_reverse(np.where(valid[:, :, None], x, 0.0), params)]
    if part == "h_n":
        last = want_out[np.arange(len(L)), L - 1]
        if _close(got, last) or _close(got, want_out[:, -1]):
            return ("h_n is out at the last valid step: that is the reverse direction's FIRST step; "
                    "its final state is at t = 0")
        if any(_close(got, c_h) for _, c_h in colleague):
            return PADDING_FIRST
        right = np.array([_close(g, w) for g, w in zip(got, want_h)])
    else:
        if _close(got, scan_order(x, lengths, params)):
            return ("out holds the reverse scan's states in the order the scan made them (the state "
                    "after x_{L-1} first): out[b, t] must be the state at step t")
        if _close(got[valid], want_out[valid]):
            return "the valid steps are right, but the padded steps (t >= lengths[b]) must be zeros"
        if any(_close(got[valid], c_out[valid]) for c_out, _ in colleague):
            return PADDING_FIRST
        if (~full).any() and all(_close(got[b, T - n:], want_out[b, :n]) for b, n in enumerate(L)):
            return SHIFTED
        right = np.array([_close(got[b, :n], want_out[b, :n]) for b, n in enumerate(L)])
    if full.any() and (~full).any() and right[full].all() and not right[~full].any():
        return PADDED_ONLY
    return None


def judge_reverse(calls, results, part):
    """``out`` (``part="out"``) or ``h_n`` (``part="h_n"``) equals the reference's; a usual
    mistake is named by its values."""
    x, lengths, params = calls[0].args
    out, h_n = own_output(results[0], 2)
    want_out, want_h = reference_reverse(x, lengths, params)
    value, want, shape = (out, want_out, "(N, T, H)") if part == "out" else (h_n, want_h, "(N, H)")
    got = _floats(value)
    if got is not None and got.shape == want.shape and np.isfinite(got).all() and not _close(got, want):
        hint = reverse_hint(x, lengths, params, part, got)
        if hint:
            raise CheckFailed(hint)
    compare_array(part, value, want, shape, TOL)


def reverse_test(test_id, name, part, N, T, D, H, lengths, seed, points=1, hidden=False):
    args = make_reverse_inputs(N, T, D, H, lengths, seed)
    return Test(test_id, REVERSE, name, points, (Call(REVERSE, args),), partial(judge_reverse, part=part),
                hidden)


# --------------------------------------------------------------------------- Part 2

HALVES = ("forward", "reverse", "both")


def reference_read(lengths, T, num_layers, bidirectional, half, variant=None):
    """``(N, T, T)`` booleans: ``[b, t, s]`` true where the top layer's output at step ``t``
    (``half`` of it) depends on ``x_s`` of sequence ``b``; or what a usual mistake gives.

    Variants: ``"causal_deep"`` (every layer taken to read like the first), ``"strict"`` (no
    state reads its own step), ``"transposed"`` (``[b, s, t]``), ``"no_lengths"`` (every
    sequence taken to be ``T`` long), ``"one_way_all"`` (a deep one-direction stack taken to
    read everything), ``"reads_padding"`` (the outputs at valid steps taken to read the padding
    too).
    """
    lengths = np.full(len(lengths), T) if variant == "no_lengths" else np.asarray(lengths)
    t, s = np.arange(T)[:, None], np.arange(T)[None, :]
    reads_all = bidirectional and (half == "both" or (num_layers > 1 and variant != "causal_deep"))
    if variant == "one_way_all" and num_layers > 1:
        reads_all = True
    if reads_all:
        seen = np.ones((T, T), dtype=bool)
    elif bidirectional and half == "reverse":
        seen = s > t if variant == "strict" else s >= t
    else:
        seen = s < t if variant == "strict" else s <= t
    read_to = (lambda L: T) if variant == "reads_padding" else (lambda L: L)      # columns s < read_to
    out = np.stack([seen & (t < L) & (s < read_to(L)) for L in lengths])
    return out.swapaxes(1, 2) if variant == "transposed" else out


READ_MISTAKES = {
    "causal_deep": "the top layer reads the whole output of the layer below, both halves, and that layer's "
                   "reverse half at step 0 has already read every valid input",
    "strict": "the state at step t has read x_t itself: the entry [b, t, t] of a valid step is true",
    "transposed": "rows and columns are swapped: [b, t, s] is output step t (row), input step s (column)",
    "no_lengths": "the lengths were ignored: a sequence of length L has read nothing of its padding, and its "
                  "outputs at padded steps are zeros that have read nothing",
    "one_way_all": "a stack of one-direction layers never reads ahead: each layer's state at step t reads "
                   "the layer below at steps <= t only",
    "reads_padding": "an output has read padding: the reverse scan of sequence b starts at its last valid "
                     "step, so no output depends on x_s for s >= lengths[b]",
}


def _bools(value, shape):
    """``value`` as a bool array of ``shape``, or :class:`CheckFailed`."""
    ok = isinstance(value, np.ndarray) and value.dtype.kind in "biu"
    expect(ok, f"expected an array of booleans of shape (N, T, T) = {shape}, got {describe_value(value)}"
           + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else ""))
    expect(value.shape == shape, f"expected an array of shape (N, T, T) = {shape}, got {value.shape}")
    expect(np.isin(value, (0, 1)).all(), "expected booleans (or 0 and 1), got other numbers")
    return value.astype(bool)


def _describe_wrong(got, want, half, lengths):
    """The first wrong entry, in words."""
    b, t, s = (int(i) for i in np.argwhere(got != want)[0])
    where = f"sequence {b} (length {int(lengths[b])}): the {half} half at step {t}"
    return f"{where} has {'read' if want[b, t, s] else 'not read'} x_{s}, your array says the opposite"


def judge_read(calls, results):
    """Every call's array equals :func:`reference_read`; a usual mistake is named by its values."""
    for call, result in zip(calls, results):
        lengths, T, num_layers, bidirectional, half = call.args
        want = reference_read(*call.args)
        got = _bools(own_output(result), want.shape)
        if np.array_equal(got, want):
            continue
        what = (f"{num_layers} layer{'s' if num_layers > 1 else ''}, "
                f"{'bidirectional' if bidirectional else 'one direction'}, half={half!r}")
        lengths = np.asarray(lengths)
        padded = (lengths < T).any()
        for variant, hint in READ_MISTAKES.items():
            if variant in ("no_lengths", "reads_padding") and not padded:
                continue
            if np.array_equal(got, reference_read(*call.args, variant=variant)):
                raise CheckFailed(f"{what}: {hint}")
        rows = np.broadcast_to(np.arange(T)[None, :, None] >= lengths[:, None, None], got.shape)
        if (got[rows] != want[rows]).any() and (got[~rows] == want[~rows]).all():
            raise CheckFailed(f"{what}: an output at a padded step (t >= lengths[b]) is zero: it has read "
                              "nothing")
        raise CheckFailed(f"{what}: " + _describe_wrong(got, want, half, lengths))


def read_test(test_id, name, points, args_list, hidden=False):
    calls = tuple(Call(READ, (np.asarray(lengths, dtype=np.int64), T, layers, bi, half))
                  for lengths, T, layers, bi, half in args_list)
    return Test(test_id, READ, name, points, calls, judge_read, hidden)


# --------------------------------------------------------------------------- Part 3

@lru_cache(maxsize=1)
def ner():
    """The exercise's NER data: chapter 9's sentences (the notebook loads the same)."""
    return ner_dataset(**NER_SIZES)


@lru_cache(maxsize=1)
def grader_sentences():
    """``{"seen": (X, lengths, tags), "held": ...}``: 500 new sentences of the training templates
    and 500 of the held-out templates, drawn with :data:`GRADER_SEED` and encoded with the
    training vocabulary (their new names are ``<unk>``), and the majority tag's F1 on each."""
    n, other = ner(), ner_dataset(n_train=1, n_val=500, n_test=500, seed=GRADER_SEED, split="templates")
    majority = MajorityTagger().fit(n.train.tokens, n.train.tags)
    sets = {}
    for name, split in (("seen", other.val), ("held", other.test)):
        X, lengths = pad_sequences([n.vocab.encode(t) for t in split.tokens], pad_value=0, dtype=np.int64)
        sets[name] = (X, lengths, split.tags, entity_f1(split.tags, majority.predict(split.tokens))[2])
    return sets


def only(tag_seqs, kind):
    """The tags of one entity type; every other tag becomes ``O``."""
    return [[t if t.endswith(kind) else "O" for t in s] for s in tag_seqs]


FAMILIES = {1: rnn.RNN, 3: gru.GRU, 4: lstm.LSTM}
STATE_KEYS = ("embed.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight", "head.bias")


def tagger_design(state):
    """``(family, E, H, num_layers, bidirectional, n_params)`` read from a returned state_dict."""
    n_params = int(sum(np.asarray(v).size for v in state.values()))
    E = state["embed.weight"].shape[1] if state["embed.weight"].ndim == 2 else 0
    GH, H = state["rnn.weight_hh_l0"].shape if state["rnn.weight_hh_l0"].ndim == 2 else (0, 1)
    family = FAMILIES.get(GH // H if GH % H == 0 else 0)
    expect(family is not None, f"rnn.weight_hh_l0 has shape {(GH, H)}: expected (G*H, H) with G = 1 "
                               "(RNN), 3 (GRU) or 4 (LSTM)")
    layers = sum(f"rnn.weight_ih_l{k}" in state for k in range(len(state)))
    return family, E, H, layers, "rnn.weight_ih_l0_reverse" in state, n_params


def describe_design(design):
    family, E, H, layers, bi, n_params = design
    return (f"{'bidirectional ' if bi else 'one-direction '}{family.__name__}, E = {E}, H = {H}"
            + (f", {layers} layers" if layers > 1 else "") + f", {n_params:,} parameters")


def tagger_scores(calls, result):
    """``(design, {"seen": (F1, companies' F1), "held": (...)})`` of the returned weights."""
    state = returned_state_dict(own_output(result), f"what {TRAIN} returned", STATE_KEYS,
                                "a SequenceTagger (an embedding, a recurrent layer, a linear head)")
    vocab_size, n_tags = calls[0].args[3], calls[0].args[4]
    design = tagger_design(state)
    family, E, H, layers, bi, n_params = design
    emb = state["embed.weight"]
    rnn_params = sum(np.asarray(v).size for k, v in state.items() if k.startswith("rnn."))
    expect(n_params <= BUDGET,
           f"{n_params:,} parameters, over the budget of {BUDGET:,}: the embedding holds {emb.size:,} "
           f"(vocab_size x E = {emb.shape[0]:,} x {E}), the recurrent layer {rnn_params:,}, the head "
           f"{n_params - emb.size - rnn_params:,}")
    try:
        model = SequenceTagger(family(E, H, num_layers=layers, batch_first=True, bidirectional=bi), n_tags,
                               vocab_size=vocab_size)
        model.load_state_dict({k: np.asarray(v, dtype=np.float32) for k, v in state.items()})
    except (KeyError, ValueError, TypeError) as err:
        raise CheckFailed(f"the returned weights do not load into SequenceTagger({family.__name__}({E}, {H}, "
                          f"num_layers={layers}, batch_first=True, bidirectional={bi}), {n_tags}, "
                          f"vocab_size={vocab_size}): {str(err)[:150]}") from None
    model.eval()
    tags, scores = ner().tags, {}
    for name, (X, lengths, true, _) in grader_sentences().items():
        pred = model(X, lengths).argmax(-1)
        pred = [[tags[i] for i in row[:n]] for row, n in zip(pred, lengths)]
        scores[name] = (entity_f1(true, pred)[2], entity_f1(only(true, "ORG"), only(pred, "ORG"))[2])
    return design, scores


def judge_seen(calls, results):
    """Entity F1 >= :data:`SEEN_F1` and companies' F1 >= :data:`ORG_F1` on new sentences of the
    training templates."""
    design, scores = tagger_scores(calls, results[0])
    f1, org = scores["seen"]
    if f1 >= SEEN_F1 and org >= ORG_F1:
        return
    said = (f"on new sentences of the training templates, entity F1 {f1:.3f} and companies {org:.2f} "
            f"({SEEN_F1} and {ORG_F1} asked), from a {describe_design(design)}")
    if not design[4] and org < ORG_F1:
        raise CheckFailed(f"{said}: a tagger that reads one way must tag a company's first word before "
                          "it reads the words that make it one")
    raise CheckFailed(f"{said}: is it trained enough for its size?")


def judge_held(calls, results):
    """Entity F1 >= :data:`HELD_F1` on sentences of the held-out templates."""
    design, scores = tagger_scores(calls, results[0])
    f1 = scores["held"][0]
    majority = grader_sentences()["held"][3]
    expect(f1 >= HELD_F1, f"on sentences of the held-out templates, entity F1 {f1:.3f} ({HELD_F1} asked; the "
                          f"majority tag {majority:.3f}), from a {describe_design(design)}: is it trained?")


def tagger_call(seed):
    n = ner()
    return Call(TRAIN, (n.train.X, n.train.lengths, n.train.y, len(n.vocab), len(n.tags), seed))


# --------------------------------------------------------------------------- tests

RUBRIC = Rubric(
    exercise="ex09_bidirectional",
    signatures=SIGNATURES,
    tests=(
        reverse_test("rev_out", "no padding: out is the _reverse half of output (N=3, T=5)", "out",
                     3, 5, 4, 6, [5, 5, 5], seed=1),
        reverse_test("rev_h_n", "no padding: h_n is h_n[1] of the layer", "h_n",
                     3, 5, 4, 6, [5, 5, 5], seed=1),
        reverse_test("rev_padded_out", "a padded batch: out, each sequence within its length",
                     "out", 4, 7, 3, 5, [7, 3, 5, 1], seed=2, points=2),
        reverse_test("rev_padded_h_n", "a padded batch: h_n", "h_n", 4, 7, 3, 5, [7, 3, 5, 1], seed=2),
        reverse_test("rev_long", "a longer padded batch: out (N=6, T=12)", "out",
                     6, 12, 2, 4, [12, 4, 9, 1, 12, 6], seed=3, hidden=True),
        read_test("read_one_layer", "one layer, no padding: each half, both, one direction", 1,
                  [([5, 5], 5, 1, True, h) for h in HALVES] + [([5, 5], 5, 1, False, "forward")]),
        read_test("read_padded", "one bidirectional layer, a padded batch (T=6)", 1,
                  [([6, 3, 1], 6, 1, True, h) for h in HALVES]),
        read_test("read_deep", "two bidirectional layers: each half of the top layer", 2,
                  [([6, 6], 6, 2, True, h) for h in ("forward", "reverse")]),
        read_test("read_deep_one_way", "three one-direction layers, a padded batch", 1,
                  [([7, 4], 7, 3, False, "forward")]),
        read_test("read_hidden", "deep bidirectional stacks, padded batches", 1,
                  [([8, 5, 2], 8, 3, True, "reverse"), ([5, 2], 5, 2, True, "forward")], hidden=True),
        Test("tagger_seen", TRAIN, f"seed 0: training templates, F1 >= {SEEN_F1}, companies >= {ORG_F1}", 3,
             (tagger_call(0),), judge_seen),
        Test("tagger_held", TRAIN, f"seed 2: held-out templates, entity F1 >= {HELD_F1}", 2,
             (tagger_call(2),), judge_held),
        Test("tagger_seed1", TRAIN, "seed 1: training templates, as for seed 0", 1,
             (tagger_call(1),), judge_seen, hidden=True),
    ),
    answers=(Answer("question-colleague", "the colleague's reverse direction: what it read, and why zeros do "
                                          "not fix it"),
             Answer("predict-forecaster", "prediction: does the forward half of a deep BiGRU leak?"),
             Answer("question-forecaster", "the measured leak, its path, and a causal design"),
             Answer("question-design", "the tagger's design under the budget, and what merging by sum saves")),
    check_seconds=10.0,       # Part 3's calls train a tagger: ~1 s on an idle core, more on a busy one
)
