"""Rubric of exercise 11, text applications: 27 points in three parts.

- Part 1, ``ngram_probs(train, context, n, k, K)`` and ``bits_per_character(train, test, n,
  k, K)`` (8 points, one hidden): an n-gram model of the next token with add-k smoothing,
  from counts. Texts are lists of token ids (characters only); each is read as ``n - 1``
  times ``<bos>`` (id 2), its characters, then ``<eos>`` (id 3), and the probability is
  ``(C(u, a) + k) / (C(u) + kK)`` over the ``K`` ids. Compared with :func:`reference_probs`
  and :func:`reference_bits` on texts the grader draws itself (a seeded Markov chain over a
  few ids, and samples of the quatrains of :func:`course_pkg.data.poems_dataset`).
  ``choose_k(train, n, K)`` (6 points, 2 hidden): the added count ``k`` chosen from the
  training texts alone; the grader scores it on test texts of the same source that it keeps
  (:func:`choice_test_texts`) against the best ``k`` of :data:`K_GRID` for them, and allows
  :data:`K_SLACK` bits per character more. Measured on the three corpora (a bigram of a
  random Markov chain over 20 ids, rows drawn from a Dirichlet(0.5); a bigram of 400
  quatrains; hidden, a trigram of a chain over 40 ids with peaked rows, Dirichlet(0.05)):
  the best k is 0.32, 0.020 and 0.040, and the k within the slack 0.10-0.79, 0.010-0.045
  and 0.016-0.089, so no one k, and no rule that tells the public corpora apart by K,
  passes all three; the solution (the last fifth of the texts held out, 13 values of k from
  0.001 to 10) costs 0.006, 0.001 and 0.001 bits; the k that is best on the texts it was
  counted on (0.001) 0.51, 0.82 and 0.46.
- Part 2, ``train_sentiment_lstm(X, y, vocab_size, seed)`` (8 points, one hidden): seed
  exercise 2, an LSTM sentiment classifier on the masked last state, trained by the
  learner's function on the padded training sentences of
  :func:`course_pkg.data.sentiment_dataset` (default sizes, seed 0) without their
  lengths (the learner computes them). The judge loads the returned ``state_dict`` into a
  :class:`course_pkg.heads.SequenceClassifier` around a :class:`course_pkg.lstm.LSTM` of the
  same shapes and reads it on the 1,000 held-out test sentences, which the learner's process
  never receives: at each sentence's own last word (``lengths``, what a sentence typed alone
  gives) and after the padding (no ``lengths``).
- Part 3, ``counterpart_lookup(first, second, queries)`` (5 points, one hidden): each
  character's most frequent counterpart at the same position of the training couplets; a
  character never seen in a training first line gets the most frequent second-line
  character (the notebook leaves this rule to the learner to choose, with a reason). Any of
  tied counterparts is accepted. Judged on couplets the grader samples
  from :func:`course_pkg.data.couplets_dataset` with its own split.

Part 2's thresholds, measured with the solution's settings (E = 16, H = 32, 3 epochs,
batch 32, Adam 0.01) over seeds 0-2 x OpenBLAS kernels Haswell, SkylakeX, Prescott (the
same on every kernel): negated + contrast test sentences read alone 0.80-0.94 (seed 0:
0.84, seed 1: 0.80), all sentences read alone 0.90-0.97 and read after the padding
0.49-0.53; bag of words 0.118 on the negated + contrast sentences. The same model trained
without lengths (the notebook's colleague): read alone 0.75-0.84, after the padding
0.87-1.00 (0.045 apart at the least). The tests ask that a model read alone be at least as accurate as read after
the padding (less :data:`PADDING_SLACK`) and of no larger cross-entropy (a model trained
on the last column, e.g. torch's ``out[:, -1]`` with lengths passed but unused, was 0.99
accurate alone at seed 0, 1.00 padded, but its cross-entropy was 0.063 alone against 0.005
padded; the solution over seeds 0-2 x the three kernels: 0.06-0.30 alone against 1.09-2.11
padded, and masked variants at seeds 0-2 on one kernel (H = 64 and 6 epochs, 1 epoch, two
directions) 0.08-0.48 against 0.95-1.81; every model trained without lengths fails one of
the two, at seed 0 on Haswell only the accuracy: 0.83 alone, 0.87 padded), and for negated + contrast sentences at least
:data:`OVER_BOW` above the bag of words. One training took 0.4-1.7 s on one busy core;
``check_seconds`` gives each call 10 s.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex11.py``
grades each of them, with its hint); out of 27: the natural log, the bits divided by the
characters without ``<eos>``, or the perplexity returned: 23; no ``kK`` in the denominator,
``C(u) + K`` for ``C(u) + kK``, or ``k`` missing from the numerator: 13 (a k chosen with
those bits is wrong too: 10 and 0.001); the texts joined into one stream: 21; no ``<bos>``
context, or no ``<eos>`` target: 22; unseen contexts skipped, or bits averaged per text:
24; an unseen context backed off to the unigram: 23; an unseen context given probability
0: 19 (with those bits the k chosen is 0.001); k chosen on the texts it was counted on, or
scored on held-out texts that were counted too, or k truncated to an int (0): 21; a fixed
k of 0.1 or 0.3, or k = 1/K: 23; a rule on K (0.02 if K > 1000, else 0.32): 25; the
classifier trained reading ``out[:, -1]`` in torch (lengths passed, unused), the sentiment model trained
without lengths (the colleague's), lengths taken as the padded width, weights returned as
an ``OrderedDict``, or a vanilla RNN instead of the LSTM: 19; an unseen character copied,
or answered with ``<unk>``: 23; the most frequent character everywhere, the table built
from second to first line, or counterparts counted at every position of the other line, or
one table per position: 22.

Of the 27 points, 18 (:data:`UNDERSTANDING`, two thirds) need understanding rather than a
careful reading of the text: what an unseen context gets, derived from the formula
(``probs_unseen``, ``bits_unseen``), the choice of k on texts the counts never saw (6), the
diagnosis and fix of the padded last state with hyper-parameters of one's own (Part 2, 8),
and the choice of the answer for an unseen character (``lookup_unseen``, 2). The other 9
test conventions the notebook states, which a learner who types the formula gets right.
Written answers are read by hand.

Four tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache
from numbers import Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, own_output, returned_state_dict)

PROBS, BITS, TRAIN, LOOKUP = "ngram_probs", "bits_per_character", "train_sentiment_lstm", "counterpart_lookup"
CHOOSE = "choose_k"
SIGNATURES = {PROBS: ("train", "context", "n", "k", "K"), BITS: ("train", "test", "n", "k", "K"),
              CHOOSE: ("train", "n", "K"),
              TRAIN: ("X", "y", "vocab_size", "seed"), LOOKUP: ("first", "second", "queries")}
BOS, EOS = 2, 3
TOL = 1e-7
PADDING_SLACK, OVER_BOW = 0.02, 0.5
SPECIALS = (0, 1, 2, 3)
UNDERSTANDING = frozenset({"probs_unseen", "bits_unseen", "choose_markov", "choose_quatrains", "choose_hidden",
                           "lstm_masked", "lstm_hard", "lstm_seed1", "lookup_unseen"})


# --------------------------------------------------------------------------- Part 1

def events(texts, n, variant=None):
    """``(context, target)`` pairs of ``texts``, each read as <bos>^(n-1) text <eos>; or as a
    usual mistake reads them: ``"joined"`` (one stream), ``"no_bos"``, ``"no_eos"``."""
    texts = [list(t) for t in texts]
    if variant == "joined":
        texts = [[c for t in texts for c in t]]
    for text in texts:
        seq = ([] if variant == "no_bos" else [BOS] * (n - 1)) + text + ([] if variant == "no_eos" else [EOS])
        for t in range(n - 1, len(seq)):
            yield tuple(seq[t - n + 1:t]), seq[t]


def counts(train, n, variant=None):
    """``C(u, a)`` and ``C(u)`` of the training texts."""
    pairs, contexts = Counter(), Counter()
    for u, c in events(train, n, variant):
        pairs[u, c] += 1
        contexts[u] += 1
    return pairs, contexts


def reference_probs(train, context, n, k, K, variant=None):
    """``(K,)`` add-k probabilities of the next id after ``context`` (the text so far).

    Variants, the usual mistakes: ``"no_kK"`` (denominator ``C(u) + k``), ``"K_not_kK"``
    (``C(u) + K``), ``"no_k_top"`` (numerator ``C(u, a)``), ``"backoff"`` (an
    unseen context gets the add-k unigram), ``"no_bos"`` (no ``<bos>``: a context shorter
    than n - 1 ids is used as it is), and the ``"joined"`` and ``"no_eos"`` counts.
    """
    pairs, contexts = counts(train, n, variant if variant in ("joined", "no_bos", "no_eos") else None)
    seq = ([] if variant == "no_bos" else [BOS] * (n - 1)) + list(context)
    u = tuple(seq[max(0, len(seq) - (n - 1)):]) if n > 1 else ()
    if variant == "backoff" and contexts[u] == 0:
        return reference_probs(train, [], 1, k, K)
    c = np.array([pairs[u, j] for j in range(K)], dtype=np.float64)
    return (c + (0 if variant == "no_k_top" else k)) / (contexts[u] + _added(variant, k, K))


def _added(variant, k, K):
    """What the denominator adds to ``C(u)``: ``kK``, or a usual mistake's ``k`` or ``K``."""
    return {"no_kK": k, "K_not_kK": K}.get(variant, k * K)


def reference_bits(train, test, n, k, K, variant=None):
    """Mean ``-log2 P(a | u)`` over every target of the test texts (their characters and
    ``<eos>``), or what a usual mistake computes (see :data:`BITS_MISTAKES`)."""
    reading = variant if variant in ("joined", "no_bos", "no_eos") else None
    pairs, contexts = counts(train, n, reading)
    if variant == "backoff":
        uni_pairs, uni_contexts = counts(train, 1)
    out, per_text = [], []
    for group in ([test] if variant == "joined" else [[text] for text in test]):
        per_text.append(len(out))
        for u, c in events(group, n, reading):
            if variant == "skip_unseen" and contexts[u] == 0:
                continue
            if variant == "backoff" and contexts[u] == 0:
                p = (uni_pairs[(), c] + k) / (uni_contexts[()] + k * K)
            else:
                p = (pairs[u, c] + k) / (contexts[u] + _added(variant, k, K))
            out.append(-np.log(p) if variant == "ln" else -np.log2(p))
    if variant == "per_text":
        return float(np.mean([np.mean(part) for part in np.split(np.array(out), per_text[1:])]))
    if variant == "chars_only":
        return float(np.sum(out) / sum(len(t) for t in test))
    return float(2 ** np.mean(out) if variant == "perplexity" else np.mean(out))


BITS_MISTAKES = {
    "ln": "natural log: that is nats per character; bits need log2 (nats / ln 2)",
    "no_kK": "denominator C(u) + k: add-k adds k to each of the K counts, so it is C(u) + kK "
             "(otherwise the probabilities do not sum to 1)",
    "joined": "the texts were joined into one stream: contexts cross from one poem into the next; "
              "read each text on its own, from <bos> to <eos>",
    "no_bos": "the first characters of each text are not predicted (no <bos> context): pad each text "
              "with n - 1 <bos> on the left, so that every character and <eos> is a target",
    "no_eos": "no <eos> target: the end of a text is a prediction too; append <eos> to each text",
    "K_not_kK": "denominator C(u) + K: add-k adds k to each of the K counts, so it is C(u) + kK (the two "
                "agree only at k = 1)",
    "per_text": "bits averaged per text, then over texts: the mean is over every target of all the test "
                "texts at once (a long text counts for more targets)",
    "chars_only": "the bits were divided by the number of characters only: the <eos> targets count too, "
                  "so divide by the number of targets (characters + one <eos> per text)",
    "perplexity": "that is the perplexity 2^(mean bits); bits per character are its log2",
    "skip_unseen": "targets after a context never seen in training were skipped: they count, with the "
                   "uniform 1/K that add-k gives them",
    "backoff": "an unseen context backed off to the unigram: add-k gives it the uniform 1/K",
}
PROBS_MISTAKES = {k: BITS_MISTAKES[k] for k in ("no_kK", "K_not_kK", "backoff", "joined", "no_eos")}
PROBS_MISTAKES["no_k_top"] = ("these are C(u, a) / (C(u) + kK), without k above: add-k adds k to every count "
                              "C(u, a), seen or not (a context never seen in training gets k / kK = 1/K, not 0)")
PROBS_MISTAKES["no_bos"] = ("at the start of a text the context is n - 1 <bos> (here <bos> <bos>): use the "
                            "counts of what follows <bos> <bos>, i.e. how texts begin")


def _number(value, what):
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = float(value.reshape(()))
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected {what} to return a float, got {describe_value(value)}")
    return float(value)


def judge_bits(calls, results):
    """The learner's bits equal :func:`reference_bits`; a usual mistake is named by its value."""
    args = calls[0].args
    got = _number(own_output(results[0]), BITS)
    expect(np.isfinite(got), f"{BITS} returned {got}: a probability is 0; add-k adds k > 0 to every count "
                             "C(u, a), seen or not, so no target, even after an unseen context, gets 0")
    want = reference_bits(*args)
    if abs(got - want) <= 1e-7 * max(1.0, abs(want)):
        return
    for variant, hint in BITS_MISTAKES.items():
        if abs(got - reference_bits(*args, variant=variant)) <= 1e-7 * max(1.0, abs(want)):
            raise CheckFailed(hint)
    raise CheckFailed(f"{got:.4f} bits per character is off by {abs(got - want) / want:.1%} (n = {args[2]}, "
                      f"k = {args[3]}, K = {args[4]})")


def judge_probs(calls, results):
    """The learner's ``(K,)`` probabilities equal :func:`reference_probs`."""
    train, context, n, k, K = calls[0].args
    got = own_output(results[0])
    want = reference_probs(train, context, n, k, K)
    if isinstance(got, (list, tuple)):
        got = np.asarray(got, dtype=np.float64)
    if isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind in "iuf":
        got = got.astype(np.float64)
        if np.isfinite(got).all() and not np.allclose(got, want, rtol=TOL, atol=0):
            for variant, hint in PROBS_MISTAKES.items():
                wrong = reference_probs(train, context, n, k, K, variant)
                if np.allclose(got, wrong, rtol=TOL, atol=0):
                    raise CheckFailed(hint)
            total = got.sum()
            expect(abs(total - 1) < 1e-6, f"the probabilities sum to {total:.4g} over the K = {K} ids, "
                                          "expected 1")
    compare_array("probabilities", got, want, f"(K,) with K = {K}", TOL)


def markov_texts(n_texts, K, seed, low=3, high=9, alpha=0.5):
    """Seeded texts (lists of ids in [4, K)) from a random first-order Markov chain whose
    rows are drawn from a Dirichlet(``alpha``): the smaller ``alpha``, the fewer likely successors."""
    rng = np.random.default_rng(seed)
    m = K - 4
    start, move = rng.dirichlet(np.full(m, alpha)), rng.dirichlet(np.full(m, alpha), size=m)
    texts = []
    for _ in range(n_texts):
        c = rng.choice(m, p=start)
        text = [int(c) + 4]
        for _ in range(rng.integers(low, high) - 1):
            c = rng.choice(m, p=move[c])
            text.append(int(c) + 4)
        texts.append(text)
    return texts


@lru_cache(maxsize=1)
def quatrains():
    """The quatrains as id lists (characters only) in the poems vocabulary, and K."""
    from course_pkg.data import poems_dataset
    p = poems_dataset(punctuation=True, seed=0)
    texts = [[int(i) for i in p.vocab.encode(t)] for part in (p.train, p.val, p.test) for t in part.names]
    return texts, len(p.vocab)


def real_texts(n_train, n_test, seed):
    texts, K = quatrains()
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order[:n_train]], [texts[i] for i in order[n_train:n_train + n_test]], K


SMALL = markov_texts(40, 8, seed=11), markov_texts(8, 8, seed=12)


def unseen_context(train, n):
    """A context of n - 1 ids in [4, 8) never seen in training."""
    _, contexts = counts(train, n)
    for a in range(4, 8):
        for b in range(4, 8):
            if contexts[(a, b)] == 0:
                return [5, a, b]
    raise RuntimeError("every context was seen")


def probs_test(test_id, name, args, points=1):
    return Test(test_id, PROBS, name, points, (Call(PROBS, args),), judge_probs)


def bits_test(test_id, name, args, points=1, hidden=False):
    return Test(test_id, BITS, name, points, (Call(BITS, args),), judge_bits, hidden)


# --------------------------------------------------------------------------- Part 1, choosing k

K_GRID = np.logspace(-4, 1, 51)       # where the grader looks for the best k of its test texts
K_SLACK = 0.05                        # bits per character a learner's k may cost over the best


def best_k(train, test, n, K):
    """The grid's ``k`` with the fewest bits per character on ``test``, and those bits."""
    bits = [reference_bits(train, test, n, k, K) for k in K_GRID]
    i = int(np.argmin(bits))
    return float(K_GRID[i]), float(bits[i])


def judge_choice(calls, results):
    """The learner's ``k``, chosen from the training texts alone, costs at most :data:`K_SLACK`
    bits per character on the grader's test texts over the best ``k`` for them. The hint says
    which way ``k`` is off, never the best ``k`` (it fits in ``loader.MAX_MESSAGE``)."""
    train, n, K = calls[0].args
    raw = own_output(results[0])
    k = _number(raw, CHOOSE)
    shown = f"{raw} (an int)" if isinstance(raw, (int, np.integer)) else f"{k:.3g}"
    expect(np.isfinite(k) and k > 0, f"{CHOOSE} returned k = {shown}: add-k needs a count k > 0")
    test = choice_test_texts(len(train), n, K)
    k_best, bits_best = best_k(train, test, n, K)
    excess = max(0.0, reference_bits(train, test, n, k, K) - bits_best)
    if excess <= K_SLACK:
        return
    raise CheckFailed(
        f"k = {shown} costs {excess:.2f} bits per character more than the best k on new texts: " + (
            "too small. Was it fixed, or chosen on texts that were also counted (where every pair is seen "
            "and the smallest k wins)? Score each k on training texts left out of the counts"
            if k < k_best else
            "too large: the invented counts drown the real ones. The best k depends on the corpus and n: "
            "measure it on training texts left out of the counts"))


CHOICE_ALPHA = {"markov": 0.5, "peaked": 0.05}    # Dirichlet of the chains' rows
CHOICE_KIND = {20: "markov", 40: "peaked"}        # the chain of each vocabulary size


@lru_cache(maxsize=None)
def _choice_corpus(kind, n_train, K):
    """The grader's training texts and its own test texts for one choice of k."""
    if kind in CHOICE_ALPHA:
        texts = markov_texts(n_train + 300, K, seed=40 + K, alpha=CHOICE_ALPHA[kind])
        return texts[:n_train], texts[n_train:]
    train, test, _ = real_texts(n_train, 100, seed=6)
    return train, test


def choice_test_texts(n_train, n, K):
    """The test texts the grader keeps for the choice whose training set has ``n_train`` texts."""
    kind = "quatrains" if K == K_POEMS else CHOICE_KIND[K]
    return _choice_corpus(kind, n_train, K)[1]


def choice_test(test_id, name, kind, n_train, n, K, hidden=False):
    train = _choice_corpus(kind, n_train, K)[0]
    return Test(test_id, CHOOSE, name, 2, (Call(CHOOSE, (train, n, K)),), judge_choice, hidden)


# --------------------------------------------------------------------------- Part 2

@lru_cache(maxsize=1)
def sentiment_data():
    """The exercise's sentiment data (as the notebook's set-up cell loads it)."""
    from course_pkg.data import sentiment_dataset
    return sentiment_dataset(seed=0)


@lru_cache(maxsize=1)
def sentiment():
    """The data, the negated + contrast test sentences, and the bag of words' accuracy on them."""
    from course_pkg.baselines import bag_of_words_classifier
    s = sentiment_data()
    hard = np.isin(s.test.pattern, ["negated", "contrast"])
    bow = bag_of_words_classifier(s.train.tokens, s.train.y).predict(s.test.tokens)
    return s, hard, float((bow[hard] == s.test.y[hard]).mean())


def load_classifier(result):
    """The :class:`SequenceClassifier` with the LSTM weights the learner's function returned."""
    from course_pkg.heads import SequenceClassifier
    from course_pkg.lstm import LSTM
    state = returned_state_dict(own_output(result), f"what {TRAIN} returned",
                                ("embed.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"),
                                "a SequenceClassifier with an embedding and an LSTM")
    E, H = state["rnn.weight_ih_l0"].shape[1], state["rnn.weight_hh_l0"].shape[1]
    expect(state["rnn.weight_ih_l0"].shape[0] == 4 * H,
           f"rnn.weight_ih_l0 has {state['rnn.weight_ih_l0'].shape[0]} rows for H = {H}: expected an LSTM "
           f"(4 gate blocks, 4H = {4 * H} rows)")
    layers = sum(f"rnn.weight_ih_l{k}" in state for k in range(len(state)))
    bidirectional = "rnn.weight_ih_l0_reverse" in state
    s = sentiment_data()
    try:
        model = SequenceClassifier(LSTM(E, H, num_layers=layers, batch_first=True, bidirectional=bidirectional),
                                   state["head.weight"].shape[0], vocab_size=len(s.vocab))
        model.load_state_dict({k: np.asarray(v, dtype=np.float32) for k, v in state.items()})
    except (KeyError, ValueError, TypeError) as err:
        raise CheckFailed(f"the returned weights do not load into SequenceClassifier(LSTM({E}, {H}, "
                          f"batch_first=True), ..., vocab_size={len(s.vocab)}): {str(err)[:150]}") from None
    expect(state["head.weight"].shape[0] == 2, f"expected a head with 2 outputs (negative, positive), got "
                                               f"{state['head.weight'].shape[0]}")
    return model.eval()


def _cross_entropy(z, y):
    z = z - z.max(-1, keepdims=True)
    return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(-1))).mean())


def read_both_ways(result):
    """Test accuracy read at each sentence's own last word and after the padding; raises
    :class:`CheckFailed` (the diagnosis) when the model reads after the padding better, by its
    accuracy or by its cross-entropy (a model trained on the last column can be nearly as
    accurate alone, yet its loss is lower after the padding, the state it was trained on)."""
    model = load_classifier(result)
    s, hard, _ = sentiment()
    z_alone = model(s.test.X, s.test.lengths)                # the masked last state
    z_padded = model(s.test.X)                               # the state after the padding
    alone, padded = z_alone.argmax(-1), z_padded.argmax(-1)
    a, p = float((alone == s.test.y).mean()), float((padded == s.test.y).mean())
    ce_a, ce_p = _cross_entropy(z_alone, s.test.y), _cross_entropy(z_padded, s.test.y)
    why = ("it learnt from the state after the padding: training read the last column of X (no "
           "lengths, or out[:, -1]); read each sentence at its own length")
    expect(a >= p - PADDING_SLACK,
           f"read at each sentence's own last word your model gets {a:.2f} of the test sentences right, "
           f"after the padding {p:.2f}: {why}")
    expect(ce_a <= ce_p,
           f"cross-entropy read at each sentence's own last word {ce_a:.3f}, after the padding {ce_p:.3f}: "
           f"{why}")
    return float((alone[hard] == s.test.y[hard]).mean())


def judge_masked(calls, results):
    """The model reads each sentence's own last word: alone it is as accurate as padded."""
    read_both_ways(results[0])


def judge_hard(calls, results):
    """Negated + contrast sentences read alone: at least :data:`OVER_BOW` above the bag of words."""
    acc = read_both_ways(results[0])
    _, _, bow = sentiment()
    expect(acc >= bow + OVER_BOW, f"your LSTM gets {acc:.2f} of the negated and contrast test sentences right, "
                                  f"the bag of words {bow:.2f}: expected {OVER_BOW} more; is it trained enough?")


def train_call(seed):
    s = sentiment_data()
    return Call(TRAIN, (s.train.X, s.train.y, len(s.vocab), seed))


# --------------------------------------------------------------------------- Part 3

def lookup_tables(first, second):
    """Counterpart counts ``{c: Counter}`` and the second lines' overall counts."""
    table = defaultdict(Counter)
    for a, b in zip(np.ravel(first), np.ravel(second)):
        table[int(a)][int(b)] += 1
    return table, Counter(int(b) for b in np.ravel(second))


def best(counter):
    top = max(counter.values())
    return {c for c, m in counter.items() if m == top}


def acceptable(first, second, queries):
    """For each query position, the set of right answers (the tied most frequent)."""
    table, overall = lookup_tables(first, second)
    fallback = best(overall)
    return [[best(table[int(c)]) if int(c) in table else fallback for c in row] for row in queries]


def reference_lookup(first, second, queries):
    """One right answer per position (ties: the smallest id)."""
    return np.array([[min(s) for s in row] for row in acceptable(first, second, queries)], dtype=np.int64)


def _share_in(got, sets, where=None):
    hits = [got[i][t] in sets[i][t] for i in range(len(sets)) for t in range(len(sets[i]))
            if where is None or where[i][t]]
    return np.mean(hits) if hits else 1.0


def judge_lookup(calls, results):
    """Every position holds one of its most frequent counterparts; hints name the usual mistakes."""
    first, second, queries = calls[0].args
    got = own_output(results[0])
    try:
        got = np.asarray(got)
    except (TypeError, ValueError):
        raise CheckFailed(f"expected an int array of shape (M, L), got {describe_value(got)}") from None
    expect(got.shape == np.shape(queries) and got.dtype.kind in "iu",
           f"expected an int array of shape (M, L) = {np.shape(queries)}, got "
           f"{got.dtype} of shape {got.shape}")
    got = got.tolist()
    sets = acceptable(first, second, queries)
    if _share_in(got, sets) == 1.0:
        return
    table, overall = lookup_tables(first, second)
    seen = [[int(c) in table for c in row] for row in queries]
    unseen = [[not s for s in row] for row in seen]
    copied = [[{int(c)} for c in row] for row in queries]
    if any(map(any, unseen)) and _share_in(got, sets, seen) == 1.0:
        expect(_share_in(got, copied, unseen) < 1.0,
               "a character never seen in a training first line was copied: a character does not stand "
               "opposite itself; with nothing known of it, which second-line character is right most often?")
        raise CheckFailed("a character never seen in a training first line: with nothing known of it, the "
                          "answer right most often is the most frequent character of the training second lines")
    everywhere = [[best(overall)] * len(row) for row in queries]
    expect(_share_in(got, everywhere) < 1.0,
           "the same character everywhere: the lookup must read the character opposite (is the table keyed "
           "by the first line's characters, one entry per position?)")
    reverse, _ = lookup_tables(second, first)
    reversed_sets = [[best(reverse[int(c)]) if int(c) in reverse else None for c in row] for row in queries]
    expect(not _all_in(got, reversed_sets), "the table goes from the second line to the first: count, for each "
                                           "first-line character, what stood opposite it in the second line")
    bag = defaultdict(Counter)
    for f, s in zip(first, second):
        for a in f:
            bag[int(a)].update(int(b) for b in s)
    bag_sets = [[best(bag[int(c)]) if int(c) in bag else None for c in row] for row in queries]
    expect(not _all_in(got, bag_sets), "counterparts counted at every position of the second line: count only "
                                       "the character at the same position")
    per_position = [lookup_tables(np.asarray(first)[:, [t]], np.asarray(second)[:, [t]])[0]
                    for t in range(np.shape(first)[1])]
    position_sets = [[best(per_position[t][int(c)]) if int(c) in per_position[t] else None
                      for t, c in enumerate(row)] for row in queries]
    expect(not _all_in(got, position_sets), "one table per position: count the pairs of every position in "
                                            "one table, so that a character seen opposite 水 at position 2 "
                                            "counts at position 4 too")
    wrong = sum(got[i][t] not in s for i, row in enumerate(sets) for t, s in enumerate(row))
    raise CheckFailed(f"{wrong} of {sum(map(len, sets))} characters are not a most frequent counterpart")


def _all_in(got, sets):
    checked = [got[i][t] in s for i, row in enumerate(sets) for t, s in enumerate(row) if s is not None]
    return bool(checked) and all(checked)


TINY_FIRST = np.array([[4, 5, 6], [4, 7, 6], [5, 4, 8], [6, 5, 4]])
TINY_SECOND = np.array([[9, 10, 11], [9, 12, 13], [10, 9, 14], [11, 10, 9]])


@lru_cache(maxsize=None)
def real_couplets(L, n_train, n_query, seed):
    """The grader's couplets of length ``L`` (its own split): training lines and query lines."""
    from course_pkg.data import couplets_dataset
    c = couplets_dataset(line_lengths=L, seed=seed)
    rng = np.random.default_rng(seed)
    tr = rng.permutation(len(c.train.X))[:n_train]
    te = rng.permutation(len(c.test.X))[:n_query]
    return c.train.X[tr], c.train.Y[tr], c.test.X[te]


def lookup_test(test_id, name, args, points=1, hidden=False):
    return Test(test_id, LOOKUP, name, points, (Call(LOOKUP, args),), judge_lookup, hidden)


# --------------------------------------------------------------------------- tests

QUATRAINS_TRAIN, QUATRAINS_TEST, K_POEMS = real_texts(600, 100, seed=5)

RUBRIC = Rubric(
    exercise="ex11_text",
    signatures=SIGNATURES,
    tests=(
        probs_test("probs_seen", "bigram, a seen context: K probabilities summing to 1",
                   (SMALL[0], [6, 5], 2, 0.5, 8)),
        probs_test("probs_start", "trigram at the start of a text: the context <bos> <bos>",
                   (SMALL[0], [], 3, 0.5, 8)),
        probs_test("probs_unseen", "trigram, a context never seen in training",
                   (SMALL[0], unseen_context(SMALL[0], 3), 3, 0.5, 8)),
        probs_test("probs_real", "bigram on 600 quatrains (K = 3,479)",
                   (QUATRAINS_TRAIN, QUATRAINS_TEST[0][:1], 2, 0.1, K_POEMS)),
        bits_test("bits_bigram", "bits per character of a bigram on new texts", (*SMALL, 2, 0.5, 8)),
        bits_test("bits_unseen", "a trigram whose test texts have unseen contexts",
                  (SMALL[0][:12], SMALL[1], 3, 0.1, 8)),
        bits_test("bits_real", "a bigram on 600 quatrains, scored on 100 others",
                  (QUATRAINS_TRAIN, QUATRAINS_TEST, 2, 0.03, K_POEMS)),
        bits_test("bits_hidden", "a 4-gram, K = 10", (markov_texts(60, 10, 21), markov_texts(10, 10, 22), 4, 0.2, 10),
                  hidden=True),
        choice_test("choose_markov", "k for a bigram of 100 texts over 20 ids", "markov", 100, 2, 20),
        choice_test("choose_quatrains", "k for a bigram of 400 quatrains (K = 3,479)", "quatrains", 400, 2,
                    K_POEMS),
        choice_test("choose_hidden", "k for a trigram of 100 texts over 40 ids", "peaked", 100, 3, 40,
                    hidden=True),
        Test("lstm_masked", TRAIN, "masked last state: alone as accurate as padded", 3,
             (train_call(0),), judge_masked),
        Test("lstm_hard", TRAIN, f"negated + contrast: >= the bag of words + {OVER_BOW}", 3,
             (train_call(0),), judge_hard),
        Test("lstm_seed1", TRAIN, "seed 1: the masked last state, and above the bag of words", 2,
             (train_call(1),), judge_hard, hidden=True),
        lookup_test("lookup_tiny", "four couplets: the most frequent counterparts",
                    (TINY_FIRST, TINY_SECOND, np.array([[4, 5, 6], [6, 4, 5]]))),
        lookup_test("lookup_unseen", "characters never seen in a training first line",
                    (TINY_FIRST, TINY_SECOND, np.array([[4, 15, 6], [16, 17, 5]])), points=2),
        lookup_test("lookup_real", "2,000 real couplets, 300 first lines to answer",
                    real_couplets(5, 2000, 300, 3)),
        lookup_test("lookup_hidden", "seven-character couplets", real_couplets(7, 1500, 200, 4), hidden=True),
    ),
    answers=(Answer("predict-ngram", "prediction: unigram, bigram, trigram at two k"),
             Answer("question-ngram", "k, an unseen context, and why the same split and vocabulary"),
             Answer("question-choose-k", "how k was chosen, and what it says of the corpora"),
             Answer("predict-padding", "prediction: the colleague's model on sentences alone"),
             Answer("question-padding", "the colleague's model explained, and the masked last state"),
             Answer("predict-direction", "prediction: where one direction loses"),
             Answer("question-direction", "one direction against two, measured")),
    check_seconds=10.0,       # Part 2's calls train a model: ~1 s on an idle core, more on a busy one
)
