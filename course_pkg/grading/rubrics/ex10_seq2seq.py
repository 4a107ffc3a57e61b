"""Rubric of exercise 10, sequence to sequence: 30 points in four parts.

- Part 1, ``masked_softmax(scores, mask)`` (8 points, one hidden): a softmax over the last
  axis of ``(N, T, S)`` scores with padded keys (``mask`` ``(N, S)``, 0 at padding) exactly
  0, stable for scores in the thousands, and a row of zeros, not NaN, for a sequence with
  no valid position. Compared with :func:`reference_softmax`, which equals
  :func:`course_pkg.attention.masked_softmax` wherever that one is defined (it raises on a
  fully padded sequence; ``tests/test_rubric_ex10.py`` checks both).
- Part 2, ``additive_attention_forward(query, keys, values, params, mask)`` and
  ``additive_attention_backward(dcontext, cache)`` (9 points, one hidden): Bahdanau's
  score ``e_ts = v . tanh(W_q q_t + W_k k_s)`` in :mod:`course_pkg.attention`'s notation and
  shapes. The forward is compared with :func:`course_pkg.attention.additive_attention_forward`;
  every backward test passes the cache of the learner's own forward to the learner's
  backward and compares each gradient with **centred differences** (float64) of the
  reference forward, taken here in the grader's process.
- Part 3, ``beam_step(scores, logp, eos, K)`` (7 points, one hidden): one step of beam
  search, the top ``K`` of the ``B x V`` candidates ``scores[b] + logp[b, k]``, split into
  ``(alive, finished)``: the order and ties of :meth:`course_pkg.seq2seq.Seq2Seq._beam_one`
  (``np.argsort(-scores, axis=None, kind="stable")``).
- Part 4, ``train_and_evaluate(data, seed)`` (6 points, one hidden): a training and
  evaluation loop on a slice of the dates task (``DATES``), given with one planted bug
  (teacher forcing left on at evaluation), fixed by the learner. The judge loads the
  returned weights into a :class:`course_pkg.Seq2Seq` of the notebook's configuration,
  decodes greedily itself, and checks the predictions and character accuracy the loop
  reports, the exact match on held-out dates the learner's process never receives, and that
  the weights are those the given training reaches from the seed (float64, recomputed by
  :func:`given_training`): the fix changes the evaluation only.

Part 4's threshold sits below what the solution's loop measured over seeds 0-4 x OpenBLAS
kernels Haswell, SkylakeX, Prescott (float64: the same on every kernel): greedy exact match
on the 300 held-out dates 0.55-0.76 (0.76 and 0.71 for the graded seeds 0 and 1); the test
asks for :data:`LEARNS`. On the loop's own 300 test dates the character accuracy was
0.909-0.962 decoded greedily and 0.937-0.973 teacher-forced, the exact match the same under
both on every run. One training took 0.8-1.5 s on one core; ``check_seconds`` gives each
call 10 s.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex10.py``
grades each of them, with its hint); out of 30:

- Part 1 (each Part 1 mistake that breaks masking also costs Part 2's padded forward and its
  hidden backward test, both of which use the learner's softmax): no mask, the scores
  multiplied by the mask, or the mask applied after the softmax: 22; -inf at padding without
  a guard (NaN on a fully padded row), or -1e9 (a fully padded row spread over its
  padding): 27; no max subtracted (overflow), or the max taken over the padding too: 28;
  the max over the padding too and no guard for a fully padded row: 26; the mask inverted
  (1 taken for padding), or the softmax over the queries' axis: 13 (every test of Parts 1
  and 2 fails, since the forward uses the learner's softmax).
- Part 2: a dot-product score (W_q q_t) . (W_k k_s) in the forward: 21 (the backward tests
  use the learner's forward); no softmax Jacobian in the backward, or its diagonal only
  (d e = alpha * d alpha): 24; no tanh derivative: 25; ``W_q`` and ``W_k``'s gradients
  swapped: 27; ``grads['v']`` not summed: 28.
- Part 3: (parent, token) recovered with ``divmod(index, B)``: 23; the best continuation of
  each beam, or candidates ranked by the step's log-probability alone: 24; finished
  hypotheses dropped, left in ``alive``, the beam refilled past the top K, or the step
  stopped at the first candidate ending in eos: 27. Ties are not graded (the tests have none).
- Part 4: the loop as given (teacher forcing at evaluation): 25; weights returned as an
  ``OrderedDict``: 24; the fix evaluated on the training dates: 25; ``char_accuracy`` still
  teacher-forced, or over all 11 steps: 27; greedy with ``max_len`` 10: 27; the training
  changed too (more epochs): 28.

Four tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import lru_cache, partial
from numbers import Integral, Real

import numpy as np

from course_pkg.attention import additive_attention_forward as attention_forward
from course_pkg.gradcheck import numerical_gradient
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, judge_beside_forward, own_output,
                                       returned_state_dict)
from course_pkg.grading.wire import Ref

SOFTMAX, FORWARD, BACKWARD = "masked_softmax", "additive_attention_forward", "additive_attention_backward"
BEAM, LOOP = "beam_step", "train_and_evaluate"
SIGNATURES = {SOFTMAX: ("scores", "mask"), FORWARD: ("query", "keys", "values", "params", "mask"),
              BACKWARD: ("dcontext", "cache"), BEAM: ("scores", "logp", "eos", "K"), LOOP: ("data", "seed")}
TOL, NUMERICAL_TOL, EPS = 1e-9, 1e-6, 1e-6
GRADS = ("dquery", "dkeys", "dvalues", "W_q", "W_k", "v")
SHAPES = {"weights": "(N, T, S)", "context": "(N, T, Hv)", "dquery": "(N, T, Hq)", "dkeys": "(N, S, Hk)",
          "dvalues": "(N, S, Hv)", "W_q": "(A, Hq)", "W_k": "(A, Hk)", "v": "(A,)"}
# Part 4: the notebook's slice of the dates task and its model (the set-up cell has the same)
DATES = dict(n_train=1500, n_val=300, n_test=300, seed=0)
MODEL = dict(embed_size=16, hidden_size=32, cell="GRU", attention="dot")
BOS, EOS, MAX_LEN, LEARNS = 2, 3, 11, 0.45


# --------------------------------------------------------------------------- Part 1

def reference_softmax(scores, mask):
    """Softmax over the last axis of ``scores`` ``(N, T, S)``; exactly 0 where ``mask`` ``(N, S)``
    is 0, and all zeros for a sequence without a valid position."""
    valid = np.broadcast_to(np.asarray(mask)[:, None, :] > 0, scores.shape)
    masked = np.where(valid, scores, -np.inf)
    top = masked.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)                  # rows with no valid key
    e = np.where(valid, np.exp(masked - top), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def make_scores(N, T, S, lengths, seed, scale=1.0, shift=0.0, padding_shift=0.0):
    """Seeded ``(scores (N, T, S), mask (N, S) int64)``; padded scores moved by ``padding_shift``."""
    rng = np.random.default_rng(seed)
    mask = (np.arange(S)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64)
    scores = shift + scale * rng.standard_normal((N, T, S))
    scores = scores + padding_shift * (1 - mask)[:, None, :]
    return scores, mask


def judge_softmax(calls, results):
    """The weights equal :func:`reference_softmax`; hints name the usual mistakes by their look."""
    scores, mask = calls[0].args
    got = own_output(results[0])
    want = reference_softmax(scores, mask)
    if not isinstance(got, np.ndarray) or got.shape != want.shape or got.dtype.kind not in "biuf":
        compare_array("weights", got, want, SHAPES["weights"], TOL)
    got = got.astype(np.float64)
    valid = np.broadcast_to(np.asarray(mask)[:, None, :] > 0, want.shape)
    empty = ~valid.any(-1)                                       # (N, T) rows with no valid key
    inverted = reference_softmax(scores, (np.asarray(mask) == 0).astype(np.int64))
    expect(np.allclose(want, inverted) or not np.allclose(got, inverted, rtol=0, atol=1e-9),
           "the weights sit on the padding and are 0 at the real positions: the mask is 1 (True) at a "
           "real position and 0 at padding")
    finite = np.isfinite(got)
    if not finite.all():
        if empty.any() and finite[~empty].all():
            raise CheckFailed("NaN on a fully padded row: with every score at -inf the max is -inf and "
                              "exp(-inf - -inf) is NaN; give a row with no valid position all zeros")
        if np.abs(np.where(valid, scores, 0.0)).max() > 100:
            raise CheckFailed("overflow for large scores (NaN or inf): subtract each row's largest valid "
                              "score before np.exp")
        if np.where(valid, -np.inf, scores).max() > np.where(valid, scores, -np.inf).max() + 100:
            raise CheckFailed("NaN where the padding holds the largest scores: exp underflowed to 0/0; "
                              "subtract the max over the valid positions only")
        raise CheckFailed("weights hold NaN or infinite values")
    padded = np.abs(np.where(valid, 0.0, got)).sum(-1)           # (N, T) weight put on padding
    if empty.any() and np.allclose(padded[empty], 1.0):
        raise CheckFailed("a fully padded row sums to 1, spread over its padding (a large negative "
                          "number, not -inf, at padding?): a row with no valid position must be all zeros")
    expect(padded.max() < 1e-12,
           f"weights on padded positions sum to up to {padded.max():.2g}, expected 0: is the mask "
           "applied to the scores before the softmax?")
    sums = np.where(valid, got, 0.0).sum(-1)[~empty]
    if sums.size and np.abs(sums - 1).max() > 1e-9:
        low = sums.min()
        per_key = got.sum(1)[np.asarray(mask) > 0]                   # sums over the T queries
        expect(got.shape[1] == 1 or not np.allclose(per_key, 1.0),
               "the weights sum to 1 over the queries (axis 1), not over the source positions: take "
               "the softmax over the last axis, S")
        if low < 1e-12:
            raise CheckFailed("a row with valid positions is all zeros: exp underflowed; subtract the max "
                              "over the valid positions only (the padding holds the largest scores here)")
        raise CheckFailed(f"weights on the valid positions sum to {low:.6g}, not 1: zeroing padding after "
                          "the softmax removes its share; mask the scores before it (or renormalise)")
    expect(np.abs(got[empty]).max(initial=0.0) == 0.0, "a fully padded row must be all zeros")
    compare_array("weights", got, want, SHAPES["weights"], TOL)


def softmax_test(test_id, name, N, T, S, lengths, seed, points=1, hidden=False, as_bool=False, **kw):
    scores, mask = make_scores(N, T, S, lengths, seed, **kw)
    if as_bool:
        mask = mask.astype(bool)
    return Test(test_id, SOFTMAX, name, points, (Call(SOFTMAX, (scores, mask)),), judge_softmax, hidden)


# --------------------------------------------------------------------------- Part 2

def make_attention(N, T, S, Hq, Hk, Hv, A, lengths, seed):
    """Seeded float64 ``(query, keys, values, params, mask, dcontext)``."""
    rng = np.random.default_rng(seed)
    query, keys = rng.standard_normal((N, T, Hq)), rng.standard_normal((N, S, Hk))
    values = rng.standard_normal((N, S, Hv))
    params = {"W_q": rng.standard_normal((A, Hq)) / np.sqrt(Hq), "W_k": rng.standard_normal((A, Hk)) / np.sqrt(Hk),
              "v": rng.standard_normal(A)}
    mask = (np.arange(S)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64)
    return query, keys, values, params, mask, rng.standard_normal((N, T, Hv))


def judge_forward(calls, results):
    """``context`` and ``weights`` equal course_pkg's additive attention."""
    query, keys, values, params, mask = calls[0].args
    context, weights, _ = own_output(results[0], 3)
    want_context, want_weights, _ = attention_forward(query, keys, values, params, mask)
    if isinstance(weights, np.ndarray) and weights.shape == want_weights.shape \
            and not np.allclose(weights, want_weights, rtol=0, atol=TOL):
        qp, kp = query @ params["W_q"].T, keys @ params["W_k"].T         # (N, T, A), (N, S, A)
        dots = {"(W_q q_t) . (W_k k_s), the dot product of the projections": qp @ kp.swapaxes(1, 2)}
        if query.shape[-1] == keys.shape[-1]:
            dots["q_t . k_s, Luong's dot score"] = query @ keys.swapaxes(1, 2)
        for what, scores in dots.items():
            expect(not np.allclose(weights, reference_softmax(scores, mask), rtol=0, atol=1e-9),
                   f"weights from the score {what}: additive attention scores "
                   "e_ts = v . tanh(W_q q_t + W_k k_s)")
    compare_array("weights", weights, want_weights, SHAPES["weights"], TOL)
    compare_array("context", context, want_context, SHAPES["context"], TOL)


def numerical_gradients(query, keys, values, params, mask, dcontext):
    """Centred differences (float64, step ``EPS``) of ``L = sum(context * dcontext)`` of the
    reference forward, keyed like the learner's gradients."""
    arrays = {"dquery": query, "dkeys": keys, "dvalues": values, **params}
    copies = {k: np.array(a, dtype=np.float64) for k, a in arrays.items()}

    def forward():
        p = {k: copies[k] for k in ("W_q", "W_k", "v")}
        return attention_forward(copies["dquery"], copies["dkeys"], copies["dvalues"], p, mask)[0]

    return {k: numerical_gradient(forward, copies[k], EPS, dout=np.asarray(dcontext, dtype=np.float64))
            for k in arrays}


def variant_backward(query, keys, values, params, mask, dcontext, jacobian=True, centred=True, tanh=True,
                     axes=True):
    """The backward of additive attention, or of a usual mistake: without the softmax's
    Jacobian (``jacobian=False``: d e = d alpha), with its diagonal only (``centred=False``:
    d e = alpha * d alpha), without tanh's derivative (``tanh=False``), or with each
    projection's gradient summed over the other one's axis (``axes=False``)."""
    _, weights, cache = attention_forward(query, keys, values, params, mask)
    e = cache[-1]                                                # (N, T, S, A) tanh values
    dweights = dcontext @ values.swapaxes(-1, -2)                # (N, T, S)
    dscores = weights * (dweights - (dweights * weights).sum(-1, keepdims=True)) if jacobian else dweights
    dscores = dscores if centred else weights * dweights
    da = dscores[..., None] * params["v"] * ((1 - e * e) if tanh else 1.0)   # (N, T, S, A)
    A = e.shape[-1]
    if not axes and query.shape[1] != keys.shape[1]:
        return None                                              # only T = S gives such shapes
    dqp, dkp = (da.sum(2), da.sum(1)) if axes else (da.sum(1), da.sum(2))   # (N, T, A), (N, S, A)
    return {"dquery": dqp @ params["W_q"], "dkeys": dkp @ params["W_k"],
            "dvalues": weights.swapaxes(-1, -2) @ dcontext,
            "W_q": dqp.reshape(-1, A).T @ query.reshape(-1, query.shape[-1]),
            "W_k": dkp.reshape(-1, A).T @ keys.reshape(-1, keys.shape[-1]),
            "v": (dscores[..., None] * e).reshape(-1, A).sum(0)}


MISTAKES = {"jacobian": "a backward without the softmax's Jacobian: d e_ts = a_ts (d a_ts - sum_s' a_ts' d a_ts'), "
                        "not d a_ts",
            "centred": "a backward with only the diagonal of the softmax's Jacobian: d e_ts = a_ts (d a_ts - "
                       "sum_s' a_ts' d a_ts'); the sum term is missing",
            "tanh": "a backward without tanh's derivative: multiply by 1 - tanh^2 on the way to W_q and W_k",
            "axes": "each projection's gradient summed over the wrong axis: W_q q_t is shared by the S "
                    "source positions (sum over s), W_k k_s by the T queries (sum over t)"}


def _learner_grads(results):
    dquery, dkeys, dvalues, grads = own_output(results[1], 4)
    expect(isinstance(grads, dict), f"expected grads to be a dict, got {describe_value(grads)}")
    out = {"dquery": dquery, "dkeys": dkeys, "dvalues": dvalues}
    for k in ("W_q", "W_k", "v"):
        expect(k in grads, f"grads has no key {k!r} (its keys: {sorted(map(str, grads))})")
        out[k] = grads[k]
    return out


def check_numerical(calls, results, names):
    """The named gradients against centred differences; a wrong one that matches a usual
    mistake's gradient is named by that mistake."""
    query, keys, values, params, mask = calls[0].args
    dcontext = calls[1].args[0]
    got = _learner_grads(results)
    want = numerical_gradients(query, keys, values, params, mask, dcontext)
    for name in names:
        label = name if name.startswith("d") else f"grads[{name!r}]"
        mine = got[name]
        if name in ("W_q", "W_k") and isinstance(mine, np.ndarray):
            other = "W_k" if name == "W_q" else "W_q"
            expect(not (mine.shape == want[other].shape != want[name].shape),
                   f"{label} has the shape of {other}'s gradient, {want[other].shape}: "
                   f"{name} multiplies the {'query' if name == 'W_q' else 'keys'}")
        try:
            compare_array(label, mine, want[name], SHAPES[name], NUMERICAL_TOL)
        except CheckFailed as err:
            for mistake, hint in MISTAKES.items():
                wrong = variant_backward(query, keys, values, params, mask, dcontext, **{mistake: False})
                wrong = None if wrong is None else wrong[name]
                if (wrong is not None and isinstance(mine, np.ndarray) and mine.shape == wrong.shape
                        and np.allclose(mine.astype(np.float64), wrong, rtol=1e-7, atol=1e-10)):
                    if np.abs(wrong).max() < 1e-12:             # a zero gradient has other causes too
                        raise CheckFailed(f"{label} is all zeros, as in {hint}") from None
                    raise CheckFailed(f"{label} is that of {hint}") from None
            raise CheckFailed(f"against centred differences: {err}") from None


def judge_backward(calls, results, names):
    """Centred differences, beside the learner's forward (hint: fix it first when it is wrong too)."""
    judge_beside_forward(check_numerical, judge_forward, FORWARD, "the forward", calls, results, names)


def forward_test(test_id, name, sizes, lengths, seed, hidden=False):
    q, k, v, p, mask, _ = make_attention(*sizes, lengths, seed)
    return Test(test_id, FORWARD, name, 1, (Call(FORWARD, (q, k, v, p, mask)),), judge_forward, hidden)


def backward_test(test_id, name, names, sizes=(2, 3, 4, 5, 6, 3, 4), lengths=(4, 4), seed=20, hidden=False):
    q, k, v, p, mask, dcontext = make_attention(*sizes, lengths, seed)
    calls = (Call(FORWARD, (q, k, v, p, mask)), Call(BACKWARD, (dcontext, Ref(0, 2))))
    return Test(test_id, BACKWARD, name, 1, calls, partial(judge_backward, names=names), hidden)


# --------------------------------------------------------------------------- Part 3

def reference_beam_step(scores, logp, eos, K):
    """``(alive, finished)``: the top ``K`` candidates ``(parent, token, score)``, best first
    (ties: smaller parent, then smaller token), those ending in ``eos`` in ``finished``."""
    total = np.asarray(scores, dtype=np.float64)[:, None] + logp          # (B, V)
    alive, finished = [], []
    for flat in np.argsort(-total, axis=None, kind="stable")[:K]:
        parent, token = divmod(int(flat), total.shape[1])
        (finished if token == eos else alive).append((parent, token, float(total[parent, token])))
    return alive, finished


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def beam_conditions(scores, logp, eos, K):
    """What an input shows: eos among the top K, a beam in several slots, and whether the
    best-per-beam or logp-only rankings differ from the right one."""
    alive, finished = reference_beam_step(scores, logp, eos, K)
    top = [(p, t) for p, t, _ in sorted(alive + finished, key=lambda h: -h[2])]
    parents = [p for p, _ in top]
    by_logp = np.argsort(-logp, axis=None, kind="stable")[:K]
    return {"eos": len(finished), "shared": len(set(parents)) < len(parents),
            "logp_differs": {divmod(int(f), logp.shape[1]) for f in by_logp} != set(top)}


def make_beam(B, V, K, eos, want, seed):
    """Seeded ``(scores (B,), logp (B, V))`` whose :func:`beam_conditions` are ``want``."""
    for s in range(seed, seed + 5000):
        rng = np.random.default_rng(s)
        scores = np.sort(-rng.uniform(0.0, 3.0, B))[::-1] if B > 1 else np.zeros(1)
        logp = log_softmax(2.0 * rng.standard_normal((B, V)))
        if all(beam_conditions(scores, logp, eos, K)[k] == v for k, v in want.items()):
            return scores, logp
    raise RuntimeError(f"no seeded beam input shows {want}")


def _hypotheses(value, what):
    expect(isinstance(value, (list, tuple)),
           f"expected {what} to be a list of (parent, token, score) tuples, got {describe_value(value)}")
    out = []
    for h in value:
        ok = isinstance(h, (list, tuple)) and len(h) == 3 and all(
            isinstance(x, Integral) and not isinstance(x, bool) for x in h[:2]) and isinstance(h[2], Real)
        expect(ok, f"expected each hypothesis of {what} as (parent, token, score) with int parent and "
                   f"token, got {h!r:.60}")
        out.append((int(h[0]), int(h[1]), float(h[2])))
    return out


def judge_beam(calls, results):
    """``(alive, finished)`` equal :func:`reference_beam_step`; hints name the usual mistakes."""
    scores, logp, eos, K = calls[0].args
    alive, finished = (_hypotheses(x, w) for x, w in zip(own_output(results[0], 2), ("alive", "finished")))
    want_alive, want_finished = reference_beam_step(scores, logp, eos, K)
    pairs = lambda hs: [(p, t) for p, t, _ in hs]                         # noqa: E731
    mine, right = pairs(alive) + pairs(finished), pairs(want_alive) + pairs(want_finished)
    if set(mine) != set(right):
        best = [(b, int(logp[b].argmax())) for b in range(len(scores))]
        by_logp = [divmod(int(f), logp.shape[1]) for f in np.argsort(-logp, axis=None, kind="stable")[:K]]
        expect(set(mine) != set(by_logp), "ranked by the step's log-probabilities alone: add each beam's "
                                          "score (the log-probability of its prefix)")
        order = np.argsort(-(np.asarray(scores)[:, None] + logp), axis=None, kind="stable")[:K]
        expect(logp.shape[0] == logp.shape[1] or set(mine) != {divmod(int(f), logp.shape[0]) for f in order},
               f"(parent, token) recovered with divmod(index, B): in the flattened (B, V) array, index = "
               f"parent * V + token, so divide by V = {logp.shape[1]}")
        expect(not (len(mine) < K and set(mine) < set(right) and finished),
               f"only {len(mine)} of the top K = {K} candidates: the step stopped at a candidate ending in "
               "eos; that one goes to finished and the step goes on, so alive and finished hold K in all")
        expect(not set(best) >= set(mine),
               "beam kept only the best continuation per beam instead of the top K over beams x vocabulary")
        expect(not (want_finished and not finished and set(pairs(want_alive)) <= set(mine)),
               f"finished hypotheses dropped: a candidate ending in eos ({eos}) leaves the beam, but is "
               "kept in finished")
        expect(len(mine) <= K, f"expected at most K = {K} hypotheses in all, got {len(mine)}: the top K "
                               "candidates are split into alive and finished, not refilled")
        raise CheckFailed(f"expected the top K = {K} candidates (parent, token) {sorted(right)}, got "
                          f"{sorted(mine)}")
    expect(not any(t == eos for _, t, _ in alive),
           f"a hypothesis ending in eos ({eos}) is still in alive: move it to finished")
    expect(all(t == eos for _, t, _ in finished), f"finished holds a hypothesis that does not end in eos ({eos})")
    total = np.asarray(scores)[:, None] + logp
    for p, t, s in alive + finished:
        expect(abs(s - total[p, t]) < 1e-9, f"hypothesis ({p}, {t}) has score {s:.4g}, expected "
                                            f"scores[{p}] + logp[{p}, {t}] = {total[p, t]:.4g}")
    expect(pairs(alive) == pairs(want_alive) and pairs(finished) == pairs(want_finished),
           "expected alive and finished each sorted by score, best first")


def beam_test(test_id, name, B, V, K, want, seed, points=1, hidden=False, eos=3):
    scores, logp = make_beam(B, V, K, eos, want, seed)
    return Test(test_id, BEAM, name, points, (Call(BEAM, (scores, logp, eos, K)),), judge_beam, hidden)


# --------------------------------------------------------------------------- Part 4

@lru_cache(maxsize=1)
def dates():
    """The slice of the dates task of the notebook's set-up cell."""
    from course_pkg import data
    return data.dates_dataset(**DATES)


def loop_data():
    """What ``train_and_evaluate`` receives: training and test arrays (never ``dates().test``)."""
    d = dates()
    arrays = lambda s: {"X": s.X, "X_len": s.X_len, "Y_in": s.Y_in, "Y_out": s.Y_out}   # noqa: E731
    return {"train": arrays(d.train), "test": arrays(d.val)}


def load_model(result):
    """The :class:`course_pkg.Seq2Seq` with the weights the learner's loop returned."""
    from course_pkg import Seq2Seq
    value = own_output(result)
    expect(isinstance(value, dict) and "state_dict" in value,
           f"expected {LOOP} to return a dict with state_dict, predictions and char_accuracy, got "
           f"{describe_value(value)}")
    state = returned_state_dict(value["state_dict"], "state_dict")
    d = dates()
    model = Seq2Seq(len(d.src_vocab), len(d.tgt_vocab), **MODEL, dtype="float64")
    try:
        model.load_state_dict({k: np.asarray(v, dtype=np.float64) for k, v in state.items()})
    except (KeyError, ValueError, TypeError) as err:
        raise CheckFailed(f"the returned weights do not load into the notebook's Seq2Seq: {str(err)[:150]}") from None
    return value, model.eval()


def greedy(model, split):
    return model.greedy(split["X"], split["X_len"], BOS, EOS, MAX_LEN)[0]


def judge_predictions(calls, results):
    """``predictions`` are what the returned model writes from its own outputs (greedy)."""
    value, model = load_model(results[0])
    test = calls[0].args[0]["test"]
    want = greedy(model, test)
    got = value.get("predictions")
    n_train = len(calls[0].args[0]["train"]["X"])
    expect(not (isinstance(got, np.ndarray) and got.ndim == 2 and len(got) == n_train != len(want)),
           f"predictions for {n_train} dates, the training set: evaluate on data['test'] "
           f"({len(want)} dates), which the model never trained on")
    expect(not (isinstance(got, np.ndarray) and got.ndim == 2 and len(got) == len(want)
                and got.shape[1] != MAX_LEN),
           f"predictions of {got.shape[1] if isinstance(got, np.ndarray) and got.ndim == 2 else 0} steps, "
           f"expected MAX_LEN = {MAX_LEN}: 10 date characters and <eos>")
    expect(isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind in "iu",
           f"expected predictions as an int array of shape (N, {MAX_LEN}) = {want.shape}, got "
           f"{describe_value(got)}{'' if not isinstance(got, np.ndarray) else f' {got.shape} {got.dtype}'}")
    if not np.array_equal(got, want):
        forced = model(test["X"], test["X_len"], test["Y_in"]).argmax(-1)
        expect(not np.array_equal(got, forced),
               "predictions are the teacher-forced argmax: each step read the true previous character "
               "(Y_in), which a user's date does not come with; decode from the model's own outputs")
        raise CheckFailed(f"predictions differ from greedy decoding of the returned weights on "
                          f"{int((got != want).any(1).sum())} of {len(want)} dates")


def char_accuracy(pred, Y_out):
    return float((pred[:, :MAX_LEN - 1] == Y_out[:, :MAX_LEN - 1]).mean())


def judge_accuracy(calls, results):
    """``char_accuracy`` is the share of the 10 date characters the model's greedy output gets right."""
    value, model = load_model(results[0])
    test = calls[0].args[0]["test"]
    got = value.get("char_accuracy")
    expect(isinstance(got, Real) and not isinstance(got, bool),
           f"expected char_accuracy to be a float, got {describe_value(got)}")
    want = char_accuracy(greedy(model, test), test["Y_out"])
    if abs(got - want) > 1e-9:
        forced = char_accuracy(model(test["X"], test["X_len"], test["Y_in"]).argmax(-1), test["Y_out"])
        expect(abs(got - forced) > 1e-9,
               f"char_accuracy {got:.3f} is that of teacher forcing; the model's own outputs score "
               f"{want:.3f}")
        pred = greedy(model, test)
        expect(abs(got - float((pred == test["Y_out"]).mean())) > 1e-9,
               f"char_accuracy {got:.4f} counts all {MAX_LEN} steps, <eos> too: expected the share of the "
               f"{MAX_LEN - 1} date characters, {want:.4f}")
        raise CheckFailed(f"char_accuracy {got:.4f}, but the returned model's greedy outputs get "
                          f"{want:.4f} of the test characters right")


@lru_cache(maxsize=2)
def given_training(seed):
    """The weights the given loop's training reaches from ``seed`` (float64: the same in any process
    of one machine); the fix must leave the training alone."""
    from course_pkg import Seq2Seq, train
    d, data = dates(), loop_data()["train"]
    model = Seq2Seq(len(d.src_vocab), len(d.tgt_vocab), **MODEL, seed=seed, dtype="float64")
    train.fit(model, (data["X"], data["X_len"], data["Y_in"], data["Y_out"]), loss="cross_entropy",
              epochs=3, lr=0.01, batch_size=32, seed=seed, progress=False)
    return dict(model.state_dict())


def judge_learns(calls, results):
    """Greedy exact match of the returned weights on held-out dates is at least :data:`LEARNS`, and
    the weights are those of the given training (the fix changes the evaluation only)."""
    _, model = load_model(results[0])
    d = dates()
    exact = float((greedy(model, {"X": d.test.X, "X_len": d.test.X_len}) == d.test.Y_out).all(1).mean())
    expect(exact >= LEARNS, f"exact match of your model on held-out dates is {exact:.3f}, expected at least "
                            f"{LEARNS}: is it trained as the given loop trains it?")
    given, yours = given_training(calls[0].args[1]), model.state_dict()
    expect(all(np.allclose(yours[k], v, rtol=1e-6, atol=1e-9) for k, v in given.items()),
           "your weights differ from those the given loop trains from this seed: the bug is in the "
           "evaluation; leave the model, its seed and its training as they are")


def judge_loop(calls, results):
    """All three, for the hidden seed."""
    for judge in (judge_predictions, judge_accuracy, judge_learns):
        judge(calls, results)


def loop_test(test_id, name, judge, points, seed=0, hidden=False):
    return Test(test_id, LOOP, name, points, (Call(LOOP, (loop_data(), seed)),), judge, hidden)


# --------------------------------------------------------------------------- tests

ATTENTION = (2, 3, 4, 5, 6, 3, 4)          # N, T, S, Hq, Hk, Hv, A

RUBRIC = Rubric(
    exercise="ex10_seq2seq",
    signatures=SIGNATURES,
    tests=(
        softmax_test("softmax_plain", "no padding: each row is a softmax (N=2, T=3, S=4)", 2, 3, 4, [4, 4], 1),
        softmax_test("softmax_padded", "padded keys get exactly 0, the valid ones sum to 1", 3, 2, 5, [5, 2, 3],
                     2, points=2),
        softmax_test("softmax_empty", "a fully padded sequence gives rows of zeros, not NaN", 3, 2, 4, [3, 0, 1],
                     3, points=2),
        softmax_test("softmax_large", "scores in the thousands: no overflow", 2, 3, 5, [5, 5], 4,
                     scale=500.0, shift=2000.0),
        softmax_test("softmax_padding_largest", "padding holds the largest scores (1000 above the rest)",
                     2, 2, 4, [2, 3], 5, padding_shift=1000.0),
        softmax_test("softmax_hidden", "a boolean mask, N = T, every case at once", 3, 3, 4, [4, 0, 2], 6,
                     hidden=True, as_bool=True, scale=300.0, shift=1000.0, padding_shift=2000.0),
        forward_test("att_forward", "forward, no padding: context and weights (T=3, S=4)", ATTENTION, [4, 4],
                     10),
        forward_test("att_forward_padded", "forward, a padded batch: context and weights", (3, 2, 5, 4, 3, 2, 6),
                     [5, 2, 4], 11),
        backward_test("att_dvalues", "dvalues against centred differences", ("dvalues",)),
        backward_test("att_dquery", "dquery against centred differences", ("dquery",)),
        backward_test("att_dkeys", "dkeys against centred differences", ("dkeys",)),
        backward_test("att_dW_q", "grads['W_q'] against centred differences", ("W_q",)),
        backward_test("att_dW_k", "grads['W_k'] against centred differences", ("W_k",)),
        backward_test("att_dv", "grads['v'] against centred differences", ("v",)),
        backward_test("att_backward_hidden", "every gradient, a padded batch with T = S and Hq = Hk", GRADS,
                      sizes=(3, 4, 4, 5, 5, 2, 3), lengths=(4, 1, 3), seed=21, hidden=True),
        beam_test("beam_first", "the first step: one beam (B=1, V=6, K=3)", 1, 6, 3,
                  {"eos": 0}, seed=30),
        beam_test("beam_across", "top K over beams x vocabulary: one beam may take two slots",
                  3, 6, 3, {"eos": 0, "shared": True}, seed=31, points=2),
        beam_test("beam_prefix", "a beam's own score counts, not only the step's logp",
                  3, 5, 2, {"eos": 0, "shared": False, "logp_differs": True}, seed=32),
        beam_test("beam_eos", "a candidate ending in eos goes to finished (K=4)",
                  3, 6, 4, {"eos": 1, "shared": True, "logp_differs": True}, seed=33, points=2),
        beam_test("beam_hidden", "a larger step: B=4, V=7, K=5, two finished", 4, 7, 5,
                  {"eos": 2, "shared": True}, seed=34, hidden=True, eos=1),
        loop_test("loop_predictions", "predictions: what the trained model writes itself",
                  judge_predictions, 2),
        loop_test("loop_accuracy", "char_accuracy is that of the model's own outputs", judge_accuracy, 2),
        loop_test("loop_learns", f"the trained model: exact match on held-out dates >= {LEARNS}", judge_learns, 1),
        loop_test("loop_hidden", "seed 1: predictions, char_accuracy and exact match", judge_loop, 1, seed=1,
                  hidden=True),
    ),
    answers=(Answer("question-empty", "what a fully padded row must give, and why"),
             Answer("question-beam", "why the top K over beams x vocabulary, and why finished kept aside"),
             Answer("question-bug", "the planted bug: what it did, and why exact match did not move")),
    check_seconds=10.0,       # Part 4's calls train a model: ~1 s on an idle core, more on a busy one
)
