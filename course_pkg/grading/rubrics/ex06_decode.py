"""Rubric of exercise 6, decoding, scoring, searching and the initial state (1 vs N): 17
points in four parts.

- Part 1, ``greedy_decode(h0, params, bos, eos, max_len)`` (2 points, one hidden): greedy
  decoding of a vanilla RNN from given initial states, each caption's tokens up to (not
  including) its first ``eos``, at most ``max_len``; compared with :func:`reference_decode`,
  which writes what :meth:`course_pkg.heads.SequenceGenerator.generate` writes
  (``tests/test_rubric_ex06.py`` checks that). Chapter 6 shows this loop (``greedy_numpy``).
- Part 2, ``caption_log_prob(h0, params, captions, bos, eos)`` (3 points, one hidden): the
  log-probability of each caption followed by ``eos``, the caption's own tokens fed back
  (teacher forcing), as chapter 6's ``step_log_probs`` computes it with the model.
- Part 3, ``most_probable_caption(h0, params, bos, eos, max_len)`` (6 points, one hidden): the
  most probable caption of each initial state among those that end, ``eos`` included, within
  ``max_len`` steps (at most ``max_len - 1`` tokens): an exact search, which chapter 6
  describes in a sentence (a caption's probability only falls as it grows) and does not show
  (:func:`reference_best`). With ``K = 7`` and ``max_len`` up to 5 (1,555 captions a row) a
  search that scores every caption is accepted too, and the question says so; what the tests
  need is the right set of candidates. The grader's initial states are rows of a seeded pool
  (:data:`POOL`) picked for what each test needs: a search error of greedy decoding, the
  empty caption most probable while greedy decoding writes a word, greedy decoding that never
  ends, a caption cut by ``max_len``; in every row the best caption beats the next by at least
  :data:`SEARCH_MARGIN` in log-probability, so no summation order changes the answer.
- Part 4, ``design_init(params, captions, bos, eos, max_len)`` (6 points, one hidden): an
  initial layer ``h0 = tanh(v W_0^T + b_0)``, ``weight (H, F)`` and ``bias (H,)``, such that
  greedy decoding from the one-hot feature ``e_k`` writes ``captions[k]`` and then ``eos``
  within ``max_len`` steps: a design of how the features set the decoder's state. The judge
  decodes ``tanh(e_k W_0^T + b_0)`` with :func:`reference_decode` (each design test also calls
  the learner's ``greedy_decode`` on ``decode_batch``'s rows, so that a failed design whose
  search used a broken decoder is told so); the captions are ones that
  greedy decoding writes from 3 % to 29 % of the uniform random states of :data:`POOL`
  (:data:`DESIGN_SHARES`).

The decoding tests use a small random network (``K = 7`` tokens, ``E = 5``, ``H = 6``).

Of the 17 points, 12 (:data:`UNDERSTANDING`) need a design or a derivation: the exact search
(Part 3, 6: what to search, when a prefix can be dropped, what ``max_len`` allows, the empty
caption among the candidates; the pruning is the question's suggestion, not needed for the
marks) and the initial layer (Part 4, 6: the states found for each
caption, the inverse through the tanh, which states the layer can reach). The other 5 test
what chapter 6 shows: greedy decoding and the score of a caption.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex06.py``
grades each of them, with its hint); out of 17: a decoder that never stops, that stops the
whole batch at the first ``eos``, or that runs ``max_len - 1`` steps: 15 (one that keeps its
``eos`` is named too); a score without the ``eos`` factor, with the inputs not shifted
(``y_t`` fed at step ``t``), or the probability instead of its log: 14; the greedy token fed back instead of the
caption's own (right for greedy decoding's captions only): 15; greedy decoding's caption
returned as the most probable, or the ``eos`` factor left out of the search (every caption
empty): 11; the mean log-probability per step maximised: 12; captions of ``max_len`` tokens
allowed (one step too many): 16; captions of ``max_len - 1`` tokens left out (one step short):
15, the public test seeing every caption empty and the hidden one naming the step; the empty
caption left out of the candidates: 15; a prefix dropped by its probability with ``eos``
rather than its own (all empty where a longer caption wins): 14 or 15, as the prefixes are
grown depth or breadth first; a beam of two: 15; the states
themselves as the columns of ``W_0``, no inverse through the tanh: 15 (with the solution's
states only the empty caption's is lost), but 17 with states deep inside their regions (the
most probable of the sampled states that write the caption): a random state of a caption's
region still writes it after the extra tanh in 61 % to 99 % of cases (the six captions of
the tests, 200,000 uniform states), so the tests cannot require the inverse and Question 4
asks for it; ``W_0`` of shape ``(F, H)``: 11; a bias
``b_0`` added but not taken from the columns: 11 (a small one may survive, as the missing
inverse does). A design that searches with a broken ``greedy_decode``: 11 (Part 4 lost too),
its hint naming Part 1. A decoder that goes on after the caption gets its own hint.

Four tests are hidden, one per part: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, own_output)

DECODE, SCORE = "greedy_decode", "caption_log_prob"
BEST, DESIGN = "most_probable_caption", "design_init"
SIGNATURES = {DECODE: ("h0", "params", "bos", "eos", "max_len"),
              SCORE: ("h0", "params", "captions", "bos", "eos"),
              BEST: ("h0", "params", "bos", "eos", "max_len"),
              DESIGN: ("params", "captions", "bos", "eos", "max_len")}
PARAM_KEYS = ("embed", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "head_weight", "head_bias")
K_TOKENS, E_EMB, H_HIDDEN = 7, 5, 6
BOS, EOS = 2, 3
MARGIN = 1e-3            # every greedy argmax of a decoding test wins by this much
SEARCH_MARGIN = 1e-3     # the best caption of a search test beats the next by this much (log p)
TOL = 1e-8
UNDERSTANDING = frozenset({"best_search", "best_empty", "best_bound", "best_unended", "best_hidden",
                           "design_two", "design_empty", "design_hidden"})


# --------------------------------------------------------------------------- the model

def make_params(seed=0, K=K_TOKENS, E=E_EMB, H=H_HIDDEN):
    """Seeded float64 weights of a generator: embedding, RNN and output layer, by name."""
    rng = np.random.default_rng(seed)
    return {"embed": rng.standard_normal((K, E)),
            "weight_ih": rng.standard_normal((H, E)) / np.sqrt(E),
            "weight_hh": 1.5 * rng.standard_normal((H, H)) / np.sqrt(H),
            "bias_ih": 0.3 * rng.standard_normal(H), "bias_hh": 0.3 * rng.standard_normal(H),
            "head_weight": 2.0 * rng.standard_normal((K, H)), "head_bias": 0.5 * rng.standard_normal(K)}


PARAMS = make_params(seed=4)


def step(h, tokens, params):
    """One step from states ``h (N, H)`` on input tokens ``(N,)``: ``(h, log_probs (N, K))``."""
    x = params["embed"][tokens]                                                   # (N, E)
    h = np.tanh(x @ params["weight_ih"].T + params["bias_ih"] + h @ params["weight_hh"].T + params["bias_hh"])
    z = h @ params["head_weight"].T + params["head_bias"]                        # (N, K)
    z = z - z.max(axis=1, keepdims=True)
    return h, z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def decode_steps(h0, params, bos, max_len):
    """Greedy tokens of every row for ``max_len`` steps, ignoring ``eos``, and each step's margin."""
    h = np.asarray(h0, dtype=np.float64)
    token = np.full(len(h), bos)
    tokens, margins = [], []
    for _ in range(max_len):
        h, logp = step(h, token, params)
        top2 = np.sort(logp, axis=1)[:, -2:]
        token = logp.argmax(axis=1)
        tokens.append(token)
        margins.append(top2[:, 1] - top2[:, 0])
    return np.stack(tokens, 1), np.stack(margins, 1)                            # (N, max_len) each


def reference_decode(h0, params, bos, eos, max_len):
    """Each row's greedy tokens before its first ``eos``, at most ``max_len``: a list of lists."""
    tokens, _ = decode_steps(h0, params, bos, max_len)
    return [row[:row.index(eos)] if eos in row else row for row in tokens.tolist()]


def decoded_length(row, eos):
    """Steps until ``eos`` is written (its index), or ``None`` if it never is."""
    row = list(row)
    return row.index(eos) if eos in row else None


def reference_log_prob(h0, params, captions, bos, eos, variant=None):
    """``log p(caption, eos | h0)`` of each row, teacher-forced: ``(N,)``; or a usual mistake's.

    Variants: ``"no_eos"`` (the ``eos`` factor left out), ``"argmax_fed"`` (the greedy token
    fed back instead of the caption's), ``"not_shifted"`` (``y_t`` fed at step ``t``, ``bos``
    never), ``"probability"`` (the product, not its log), ``"mean"`` (per step).
    """
    out = []
    for h, caption in zip(np.asarray(h0, dtype=np.float64), captions):
        targets = list(caption) + ([] if variant == "no_eos" else [eos])
        inputs = targets if variant == "not_shifted" else [bos] + list(caption)
        state, total = h[None], 0.0
        token = np.array([inputs[0]])
        for t, y in enumerate(targets):
            state, logp = step(state, token, params)
            total += logp[0, y]
            if t + 1 < len(targets):
                token = np.array([logp[0].argmax() if variant == "argmax_fed" else inputs[t + 1]])
        if variant == "mean":
            total /= len(targets)
        out.append(np.exp(total) if variant == "probability" else total)
    return np.array(out)


def ended_captions(h, params, bos, eos, max_len, prune=True):
    """Every caption of one initial state that ends within ``max_len`` steps, with its
    log-probability, as ``[(log p, caption)]``. With ``prune``, prefixes already less probable
    than an ended caption are dropped (a caption's probability only falls as it grows), so only
    the best caption is sure to be among the results."""
    states, tokens = np.asarray(h, dtype=np.float64)[None], np.array([bos])
    prefixes, lp = np.zeros((1, 0), dtype=np.int64), np.zeros(1)       # (P, t) tokens so far
    found, best = [], -np.inf
    for t in range(max_len):
        states, logp = step(states, tokens, params)
        ended = lp + logp[:, eos]
        found += list(zip(ended.tolist(), prefixes.tolist()))
        best = max(best, ended.max())
        if t == max_len - 1:
            break
        grown = lp[:, None] + logp
        grown[:, eos] = -np.inf
        rows, ks = np.nonzero(grown > best if prune else np.isfinite(grown))
        if len(rows) == 0:
            break
        states, tokens, lp = states[rows], ks, grown[rows, ks]
        prefixes = np.concatenate([prefixes[rows], ks[:, None]], axis=1)
    return found


def reference_best(h0, params, bos, eos, max_len, variant=None):
    """The most probable ended caption of each row (a list of lists), or a usual mistake's.

    Variants: ``"mean"`` (the largest mean log-probability per step), ``"one_long"`` (captions
    of up to ``max_len`` tokens, ``max_len + 1`` steps), ``"one_short"`` (captions of up to
    ``max_len - 2`` tokens), ``"no_eos"`` (the empty caption, probability 1 without the ``eos``
    factor).
    """
    out = []
    for h in np.asarray(h0, dtype=np.float64):
        if variant == "no_eos":
            out.append([])
            continue
        steps = max_len + {"one_long": 1, "one_short": -1}.get(variant, 0)
        found = ended_captions(h, params, bos, eos, steps, prune=variant != "mean")
        key = (lambda item: item[0] / (len(item[1]) + 1)) if variant == "mean" else (lambda item: item[0])
        out.append(max(found, key=key)[1])
    return out


def search_margin(h, params, bos, eos, max_len):
    """How much the best ended caption's log-probability beats the next one's."""
    scores = sorted(lp for lp, _ in ended_captions(h, params, bos, eos, max_len, prune=False))
    return scores[-1] - scores[-2]


# --------------------------------------------------------------------------- the grader's states

POOL = np.random.default_rng(7).uniform(-1.0, 1.0, (4000, H_HIDDEN))
DESIGN_SHARES = {(2, 6): 0.28875, (): 0.0855, (6,): 0.08375, (1, 6): 0.0675, (0, 2, 6): 0.0315, (4, 2, 6): 0.0335}


def states(rows):
    return POOL[list(rows)]


# --------------------------------------------------------------------------- judges (pure)

def as_token_lists(value, N, what="captions"):
    """The learner's captions as ``N`` lists of ints, or :class:`CheckFailed`."""
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.kind in "iu":
        value = list(value)
    expect(isinstance(value, (list, tuple)) and len(value) == N,
           f"expected a list of {N} {what} (one per row of h0), got {describe_value(value)}"
           + (f" of {len(value)} items" if isinstance(value, (list, tuple)) else ""))
    rows = []
    for n, row in enumerate(value):
        if isinstance(row, np.ndarray) and row.ndim == 1 and (row.dtype.kind in "iu" or row.size == 0):
            row = row.tolist()
        expect(isinstance(row, (list, tuple)),
               f"expected caption {n} to be a list of token ids, got {describe_value(row)}")
        expect(all(isinstance(t, Integral) and not isinstance(t, bool) for t in row),
               f"expected caption {n} to hold int token ids, got {list(row)[:8]}")
        rows.append([int(t) for t in row])
    return rows


def tokens(caption):
    """``"1 token"``, ``"3 tokens"``: a caption's length (or a number) in words."""
    n = caption if isinstance(caption, Integral) else len(caption)
    return f"{n} token" + ("" if n == 1 else "s")


def next_diff(a, b):
    """The first index where ``a`` and ``b`` differ."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def judge_decode(calls, results):
    """Every caption equals the reference's; the hint names the first wrong one and why."""
    h0, params, bos, eos, max_len = calls[0].args
    got = as_token_lists(own_output(results[0]), len(h0))
    want = reference_decode(h0, params, bos, eos, max_len)
    for n, (mine, ref) in enumerate(zip(got, want)):
        if mine == ref:
            continue
        if eos in mine:
            raise CheckFailed(f"caption {n} holds eos ({eos}): the caption is what comes before it")
        if len(mine) > max_len:
            raise CheckFailed(f"caption {n} has {len(mine)} tokens, more than max_len = {max_len}")
        if len(ref) < len(mine) and mine[:len(ref)] == ref:
            raise CheckFailed(f"caption {n} goes on after the model wrote eos at step {len(ref) + 1}")
        if len(mine) < len(ref) and ref[:len(mine)] == mine:
            raise CheckFailed(f"caption {n} stops after {len(mine)} tokens, but the model writes "
                              f"{len(ref)} before eos or max_len = {max_len}")
        raise CheckFailed(f"caption {n}: expected {len(ref)} tokens, got {mine[:8]}: "
                          f"tokens differ from step {next_diff(mine, ref) + 1} on")


SCORE_MISTAKES = {
    "no_eos": "the eos factor is missing: a caption's probability includes the model's choice to stop "
              "after it",
    "argmax_fed": "right for the captions greedy decoding writes, wrong for the others: the model's own "
                  "argmax was fed back, where scoring a caption feeds the caption's own previous token",
    "not_shifted": "step t was fed y_t, the token it must predict: its input is the token before (bos first)",
    "probability": "those are probabilities, a product of the steps': the log-probability is their sum of "
                   "logs",
    "mean": "the mean log-probability per step: a caption's log-probability is the sum over its steps",
}


def judge_score(calls, results):
    """Each row's log-probability equals the reference's; a usual mistake is named."""
    h0, params, captions, bos, eos = calls[0].args
    got = own_output(results[0])
    want = reference_log_prob(h0, params, captions, bos, eos)
    if isinstance(got, (list, tuple)):
        got = np.asarray(got, dtype=np.float64) if all(isinstance(v, Real) for v in got) else got
    if isinstance(got, np.ndarray) and got.shape == want.shape and np.isfinite(got).all():
        if np.abs(got - want).max() >= TOL * max(1.0, np.abs(want).max()):
            for variant, hint in SCORE_MISTAKES.items():
                other = reference_log_prob(h0, params, captions, bos, eos, variant)
                if np.abs(got - other).max() < TOL * max(1.0, np.abs(other).max()):
                    raise CheckFailed(hint)
    compare_array("the log-probabilities", got, want, "(N,)", TOL)


def judge_best(calls, results):
    """Each row's caption is the most probable one that ends within ``max_len`` steps; a usual
    mistake is recognised by the captions of every row of the test."""
    h0, params, bos, eos, max_len = calls[0].args
    got = as_token_lists(own_output(results[0]), len(h0))
    want = reference_best(h0, params, bos, eos, max_len)
    if got == want:
        return
    n = next(i for i, (mine, ref) in enumerate(zip(got, want)) if mine != ref)
    mine, ref = got[n], want[n]
    expect(eos not in mine, f"caption {n} holds eos ({eos}): the caption is what comes before it")
    best_lp = reference_log_prob(h0[n:n + 1], params, [ref], bos, eos)[0]
    short = reference_best(h0, params, bos, eos, max_len, "one_short") if max_len > 1 else [[]] * len(got)
    expect(all(c == [] for c in short) or got != short,       # all empty: told apart below
           f"the search stops one token short: captions of {tokens(max_len - 1)}, with their eos, end within "
           f"max_len = {max_len} steps too")
    expect(not all(c == [] for c in got), f"every caption is empty, but in row {n} a caption of {tokens(ref)} "
                                          f"is more probable: the empty caption beats all only with the eos "
                                          "factor left out of the score, or if longer ones are dropped unscored")
    if got == reference_decode(h0, params, bos, eos, max_len):
        expect(len(mine) < max_len, f"caption {n} is greedy decoding's, which writes no eos within max_len = "
                                    f"{max_len} steps; a caption that ends has log p = {best_lp:.3f}")
        raise CheckFailed(f"caption {n} is greedy decoding's, log p = "
                          f"{reference_log_prob(h0[n:n + 1], params, [mine], bos, eos)[0]:.3f}, but a caption with "
                          f"log p = {best_lp:.3f} exists: a likelier first token can lead to a less probable caption")
    expect(got != reference_best(h0, params, bos, eos, max_len, "one_long"),
           f"caption {n} has {len(mine)} tokens: with its eos that is {len(mine) + 1} steps, more than "
           f"max_len = {max_len}")
    expect(len(mine) < max_len, f"caption {n} has {len(mine)} tokens: it cannot end within max_len = {max_len} "
                                "steps")
    mine_lp = reference_log_prob(h0[n:n + 1], params, [mine], bos, eos)[0]
    expect(got != reference_best(h0, params, bos, eos, max_len, "mean"),
           f"caption {n} has the largest log-probability per step, {mine_lp:.3f} in all; a caption with log p = "
           f"{best_lp:.3f} exists: the task is the most probable caption, whatever its length")
    raise CheckFailed(f"caption {n} has log p = {mine_lp:.3f}, but a caption of {tokens(ref)} with log p = "
                      f"{best_lp:.3f} ends within max_len = {max_len} steps")


def _column_states(weight, bias, F):
    """``tanh(e_k W_0^T + b_0)`` for the one-hot features ``e_k``: ``(F, H)``."""
    features = np.eye(F)
    return np.tanh(features @ weight.T + bias)


def judge_design(calls, results):
    """Greedy decoding from ``tanh(e_k W_0^T + b_0)`` writes ``captions[k]``, then ``eos``. When
    the design fails and the learner's own ``greedy_decode`` (``calls[1]``, the rows of
    ``decode_batch``) fails too, the hint says so: a design that searches with it inherits its
    mistake."""
    try:
        check_design(calls[:1], results[:1])
    except CheckFailed as err:
        designed = results[0].error is None or results[0].error.get("type") != "NotImplementedError"
        decoded = results[1].error is None or results[1].error.get("type") != "NotImplementedError"
        if designed and decoded:
            try:
                judge_decode(calls[1:], results[1:])
            except CheckFailed:
                raise CheckFailed(f"{err}; but your greedy_decode fails its test too: if design_init uses "
                                  "it, fix Part 1 first") from None
        raise


def check_design(calls, results):
    """The design alone: see :func:`judge_design`."""
    params, captions, bos, eos, max_len = calls[0].args
    F, H = len(captions), params["weight_hh"].shape[0]
    weight, bias = own_output(results[0], 2)
    compare_array("weight", weight, np.zeros((H, F)), "(H, F)", np.inf)        # shape, numbers, finite
    compare_array("bias", bias, np.zeros(H), "(H,)", np.inf)
    weight, bias = np.asarray(weight, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    h0 = _column_states(weight, bias, F)
    written = reference_decode(h0, params, bos, eos, max_len)
    wrong = [k for k in range(F) if written[k] != list(captions[k])]
    if not wrong:
        return
    k = wrong[0]
    raw = weight.T + bias                                                        # (F, H), before the tanh
    if np.abs(raw).max() < 1 and reference_decode(raw, params, bos, eos, max_len) == [list(c) for c in captions]:
        raise CheckFailed("the states before the tanh would write every caption, but the layer starts the decoder "
                          "from tanh of them: the columns of W_0 (and b_0) live before the tanh")
    expect(reference_decode(np.tanh(weight.T), params, bos, eos, max_len) != [list(c) for c in captions],
           "the columns alone, tanh(W_0[:, k]), would write every caption, but the layer adds b_0 before the tanh "
           "and moves every state")
    mine, want = written[k], list(captions[k])
    if len(mine) > len(want) and mine[:len(want)] == want:
        raise CheckFailed(f"from e_{k} the decoder writes caption {k}, {want}, then goes on with {mine[len(want)]}: "
                          "a state must make it write eos next")
    raise CheckFailed(f"from e_{k} the decoder writes {mine[:8]}, not caption {k}, {want}")


# --------------------------------------------------------------------------- tests

def decode_test(test_id, name, rows, max_len, points=1, hidden=False):
    call = Call(DECODE, (states(rows), PARAMS, BOS, EOS, max_len))
    return Test(test_id, DECODE, name, points, (call,), judge_decode, hidden)


def score_test(test_id, name, rows, captions, hidden=False):
    call = Call(SCORE, (states(rows), PARAMS, [list(c) for c in captions], BOS, EOS))
    return Test(test_id, SCORE, name, 1, (call,), judge_score, hidden)


def best_test(test_id, name, rows, max_len, points=1, hidden=False):
    call = Call(BEST, (states(rows), PARAMS, BOS, EOS, max_len))
    return Test(test_id, BEST, name, points, (call,), judge_best, hidden)


def design_test(test_id, name, captions, max_len=6, hidden=False):
    call = Call(DESIGN, (PARAMS, [list(c) for c in captions], BOS, EOS, max_len))
    decode = Call(DECODE, (states(ROWS["decode_batch"]), PARAMS, BOS, EOS, 6))    # is the learner's own right?
    return Test(test_id, DESIGN, name, 2, (call, decode), judge_design, hidden)


# Rows of POOL picked for each test (tests/test_rubric_ex06.py checks what each row does).
ROWS = {
    "decode_batch": [33, 3, 0, 1],                 # greedy lengths 1, 4, 0, never (max_len 6)
    "decode_hidden": [16, 17, 8, 24, 49, 15],      # 5, 0, never, 3, 1, 6 (max_len 7)
    "score_greedy": [2, 26, 32],
    "score_other": [4, 5, 6],
    "score_hidden": [7, 9, 10, 11],
    "best_search": [20, 13, 25],                   # a search error, greedy right, a search error
    "best_empty": [64, 19],                        # the empty caption best, greedy right
    "best_bound": [52, 85],                        # the best of 2 steps is not the best of 3
    "best_unended": [14, 30],                      # greedy writes no eos in 5 steps
    "best_hidden": [23, 27, 28, 36, 29],
}
SCORE_CAPTIONS = {"score_greedy": None, "score_other": ([6], [0, 4, 2, 6], [5]),
                  "score_hidden": ([], [1, 1], [2, 6], [4, 0, 5, 2, 6])}
DESIGN_CAPTIONS = {"design_two": ([2, 6], [1, 6]), "design_empty": ([], [6], [0, 2, 6]),
                   "design_hidden": ([4, 2, 6], [2, 6], [], [1, 6])}


def _greedy_captions(rows):
    return reference_decode(states(rows), PARAMS, BOS, EOS, 8)


RUBRIC = Rubric(
    exercise="ex06_decode",
    signatures=SIGNATURES,
    tests=(
        decode_test("decode_batch", "captions that end at different steps, one never (N=4)", ROWS["decode_batch"], 6),
        decode_test("decode_hidden", "a larger batch (N=6, max_len=7)", ROWS["decode_hidden"], 7, hidden=True),
        score_test("score_greedy", "the captions greedy decoding writes (N=3)", ROWS["score_greedy"],
                   _greedy_captions(ROWS["score_greedy"])),
        score_test("score_other", "captions greedy decoding does not write (N=3)", ROWS["score_other"],
                   SCORE_CAPTIONS["score_other"]),
        score_test("score_hidden", "four captions, the empty one among them", ROWS["score_hidden"],
                   SCORE_CAPTIONS["score_hidden"], hidden=True),
        best_test("best_search", "rows where greedy decoding is right and wrong (N=3)", ROWS["best_search"], 5,
                  points=2),
        best_test("best_empty", "the empty caption is the most probable of a row (N=2)", ROWS["best_empty"], 5),
        best_test("best_bound", "max_len = 2: captions of one token at most (N=2)", ROWS["best_bound"], 2),
        best_test("best_unended", "greedy decoding never ends within max_len (N=2)", ROWS["best_unended"], 5),
        best_test("best_hidden", "five rows (max_len = 5)", ROWS["best_hidden"], 5, hidden=True),
        design_test("design_two", "two captions: [2, 6] and [1, 6]", DESIGN_CAPTIONS["design_two"]),
        design_test("design_empty", "three captions: [], [6] and [0, 2, 6]", DESIGN_CAPTIONS["design_empty"]),
        design_test("design_hidden", "four captions", DESIGN_CAPTIONS["design_hidden"], hidden=True),
    ),
    check_seconds=10.0,       # a search scoring every caption, or a design that samples, takes ~1 s on a busy core
    answers=(Answer("question-batch", "why a batch cannot stop at the first eos"),
             Answer("predict-search", "prediction: how often greedy decoding misses"),
             Answer("question-search", "the search errors measured and explained"),
             Answer("question-design", "the initial layer: what it can reach, and why")),
)
