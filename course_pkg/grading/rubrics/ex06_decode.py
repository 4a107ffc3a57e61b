"""Rubric of exercise 6, decoding and the initial state (1 vs N): 12 points in two parts.

- Part 1, ``greedy_decode(h0, params, bos, eos, max_len)``, 6 points (one hidden): greedy
  decoding of a vanilla RNN from given initial states, each caption's tokens up to (not
  including) its first ``eos``, at most ``max_len``; compared with :func:`reference_decode`,
  which writes what :meth:`course_pkg.heads.SequenceGenerator.generate` writes
  (``tests/test_rubric_ex06.py`` checks that).
- Part 2, ``init_state_forward(v, weight, bias)`` and ``init_state_backward(dh0, cache)``,
  6 points (one hidden): ``h0 = tanh(v W_0^T + b_0)`` for a batch and its gradients, as
  :class:`~course_pkg.heads.SequenceGenerator` computes them. The two written answers are
  marked by hand.

The decoding tests use a small random network (``V = 7`` tokens, ``H = 6``) and initial
states chosen, at import, so that the reference captions end at the lengths each test
needs (at once, after a few steps, never) and every ``argmax`` wins by at least
:data:`MARGIN`, so no summation order or dtype of the learner's changes a token.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex06.py``
grades each of them):

- a loop that never looks at ``eos`` (always ``max_len`` tokens) keeps only the test of a
  caption that never ends: 1 of Part 1's 6;
- a loop that stops the whole batch at the first ``eos`` passes the batches of one: 2 of 6;
- a caption that keeps its ``eos`` loses every test in which an ``eos`` is written: 1 of 6;
- ``max_len - 1`` steps loses the tests that reach the limit: 2 of 6;
- a backward that forgets the tanh's derivative gets none of the backward points: of
  Part 2's 6, only the forward's 2; a weight gradient ``(F, H)`` (``v.T @ da``) loses
  that test and the hidden one: 4 of 6; a bias gradient not summed over the batch, its
  test and the hidden one: 4 of 6.

Two tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Integral

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       compare_gradients, describe_value, expect,
                                       judge_beside_forward, own_output)
from course_pkg.grading.wire import Ref

DECODE, INIT_FORWARD, INIT_BACKWARD = "greedy_decode", "init_state_forward", "init_state_backward"
SIGNATURES = {DECODE: ("h0", "params", "bos", "eos", "max_len"),
              INIT_FORWARD: ("v", "weight", "bias"), INIT_BACKWARD: ("dh0", "cache")}
PARAM_KEYS = ("embed", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "head_weight", "head_bias")
V_TOKENS, D_EMB, H_HIDDEN = 7, 5, 6
BOS, EOS = 2, 3
MARGIN = 1e-3
TOL = 1e-8
SHAPES = {"h0": "(B, H)", "dv": "(B, F)", "weight": "(H, F)", "bias": "(H,)"}


# --------------------------------------------------------------------------- references

def make_params(seed=0, V=V_TOKENS, D=D_EMB, H=H_HIDDEN):
    """Seeded float64 weights of a generator: embedding, RNN and output layer, by name."""
    rng = np.random.default_rng(seed)
    return {"embed": rng.standard_normal((V, D)),
            "weight_ih": rng.standard_normal((H, D)) / np.sqrt(D),
            "weight_hh": 1.5 * rng.standard_normal((H, H)) / np.sqrt(H),
            "bias_ih": 0.3 * rng.standard_normal(H), "bias_hh": 0.3 * rng.standard_normal(H),
            "head_weight": 2.0 * rng.standard_normal((V, H)), "head_bias": 0.5 * rng.standard_normal(V)}


def decode_steps(h0, params, bos, max_len):
    """Greedy tokens of every row for ``max_len`` steps, ignoring ``eos``, and each step's margin."""
    h = np.asarray(h0, dtype=np.float64)
    token = np.full(len(h), bos)
    tokens, margins = [], []
    for _ in range(max_len):
        x = params["embed"][token]                                          # (B, D)
        h = np.tanh(x @ params["weight_ih"].T + params["bias_ih"] + h @ params["weight_hh"].T
                    + params["bias_hh"])                                    # (B, H)
        z = h @ params["head_weight"].T + params["head_bias"]              # (B, V)
        top2 = np.sort(z, axis=1)[:, -2:]
        token = z.argmax(axis=1)
        tokens.append(token)
        margins.append(top2[:, 1] - top2[:, 0])
    return np.stack(tokens, 1), np.stack(margins, 1)                        # (B, max_len) each


def reference_decode(h0, params, bos, eos, max_len):
    """Each row's greedy tokens before its first ``eos``, at most ``max_len``: a list of lists."""
    tokens, _ = decode_steps(h0, params, bos, max_len)
    out = []
    for row in tokens.tolist():
        out.append(row[:row.index(eos)] if eos in row else row)
    return out


def decoded_length(row, eos):
    """Steps until ``eos`` is written (its index), or ``None`` if it never is."""
    row = list(row)
    return row.index(eos) if eos in row else None


def choose_states(params, lengths, max_len, seed):
    """Initial states whose reference captions have the given lengths (``None``: no ``eos``).

    Rows are drawn from a seeded uniform distribution on ``(-1, 1)``; a row qualifies only
    if every ``argmax`` up to its end (or ``max_len``) wins by ``MARGIN``.
    """
    rng = np.random.default_rng(seed)
    pool = rng.uniform(-1.0, 1.0, (4000, H_HIDDEN))
    tokens, margins = decode_steps(pool, params, BOS, max_len)
    chosen, used = [], set()
    for want in lengths:
        for i in range(len(pool)):
            n = decoded_length(tokens[i], EOS)
            steps = max_len if n is None else n + 1
            if i not in used and n == want and margins[i, :steps].min() > MARGIN:
                chosen.append(i)
                used.add(i)
                break
        else:
            raise RuntimeError(f"no initial state gives a caption of length {want}")
    return pool[chosen]


def reference_init_forward(v, weight, bias):
    """``h0 = tanh(v W_0^T + b_0)``: ``(B, F) -> (B, H)``."""
    return np.tanh(v @ weight.T + bias)


def reference_init_backward(dh0, v, weight, bias):
    """``(dv, {"weight", "bias"})`` of :func:`reference_init_forward`."""
    h0 = reference_init_forward(v, weight, bias)
    da = dh0 * (1.0 - h0 * h0)                                  # (B, H)
    return da @ weight, {"weight": da.T @ v, "bias": da.sum(axis=0)}


def make_init(B, F, H, seed):
    """Seeded float64 ``(v, weight, bias, dh0)``."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.0, 1.0, (B, F)), rng.standard_normal((H, F)) / np.sqrt(F),
            0.5 * rng.standard_normal(H), rng.standard_normal((B, H)))


# --------------------------------------------------------------------------- judges (pure)


def as_token_lists(value, B):
    """The learner's captions as ``B`` lists of ints, or :class:`CheckFailed`."""
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.kind in "iu":
        value = list(value)
    expect(isinstance(value, (list, tuple)) and len(value) == B,
           f"expected a list of {B} captions (one per row of h0), got {describe_value(value)}"
           + (f" of {len(value)} items" if isinstance(value, (list, tuple)) else ""))
    rows = []
    for b, row in enumerate(value):
        if isinstance(row, np.ndarray) and row.ndim == 1 and (row.dtype.kind in "iu" or row.size == 0):
            row = row.tolist()
        expect(isinstance(row, (list, tuple)),
               f"expected caption {b} to be a list of token ids, got {describe_value(row)}")
        expect(all(isinstance(t, Integral) and not isinstance(t, bool) for t in row),
               f"expected caption {b} to hold int token ids, got {row[:8]}")
        rows.append([int(t) for t in row])
    return rows


def judge_decode(calls, results):
    """Every caption equals the reference's; the hint names the first wrong one and why."""
    h0, params, bos, eos, max_len = calls[0].args
    got = as_token_lists(own_output(results[0]), len(h0))
    want = reference_decode(h0, params, bos, eos, max_len)
    for b, (mine, ref) in enumerate(zip(got, want)):
        if mine == ref:
            continue
        if eos in mine:
            raise CheckFailed(f"caption {b} holds eos ({eos}): stop before it, do not keep it")
        if len(mine) > max_len:
            raise CheckFailed(f"caption {b} has {len(mine)} tokens, more than max_len = {max_len}")
        if len(ref) < len(mine) and mine[:len(ref)] == ref:
            raise CheckFailed(f"caption {b} goes on after the model wrote eos at step {len(ref) + 1}")
        if len(mine) < len(ref) and ref[:len(mine)] == mine:
            raise CheckFailed(f"caption {b} stops after {len(mine)} tokens, but the model writes "
                              f"{len(ref)} before eos or max_len = {max_len}")
        raise CheckFailed(f"caption {b}: expected {len(ref)} tokens, got {mine[:8]}: "
                          f"tokens differ from step {next_diff(mine, ref) + 1} on")


def next_diff(a, b):
    """The first index where ``a`` and ``b`` differ."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def judge_init_forward(calls, results):
    """``h0`` of the learner's forward equals ``tanh(v W^T + b)``."""
    v, weight, bias = calls[0].args
    h0 = own_output(results[0], 2)[0]
    compare_array("h0", h0, reference_init_forward(v, weight, bias), SHAPES["h0"], TOL)


def judge_init_backward(calls, results, names):
    """The named gradients (``dv`` or keys of ``grads``) equal the reference's; when they do
    not and the learner's forward is wrong too, the hint says to fix the forward first."""
    judge_beside_forward(check_init_gradients, judge_init_forward, INIT_FORWARD, "it", calls, results,
                         names)


def check_init_gradients(calls, results, names):
    """The named gradients of the learner's ``init_state_backward`` against the reference's."""
    v, weight, bias = calls[0].args
    dh0 = calls[1].args[0]
    dv, grads = own_output(results[1], 2)
    ref_dv, ref_grads = reference_init_backward(dh0, v, weight, bias)
    if "dv" in names:                        # dv alone does not need grads to be a dict
        compare_array("dv", dv, ref_dv, SHAPES["dv"], TOL)
    keys = [name for name in names if name != "dv"]
    if keys:
        compare_gradients(grads, {}, ref_grads, keys, SHAPES, TOL)


# --------------------------------------------------------------------------- tests

PARAMS = make_params(seed=4)


def decode_test(test_id, name, lengths, max_len, seed, points=1, hidden=False):
    """A decoding test whose reference captions have ``lengths`` (``None``: never ends)."""
    h0 = choose_states(PARAMS, lengths, max_len, seed)
    call = Call(DECODE, (h0, PARAMS, BOS, EOS, max_len))
    return Test(test_id, DECODE, name, points, (call,), judge_decode, hidden)


def init_forward_test(test_id, name, B, F, H, seed, hidden=False):
    v, weight, bias, _ = make_init(B, F, H, seed)
    return Test(test_id, INIT_FORWARD, name, 1, (Call(INIT_FORWARD, (v, weight, bias)),),
                judge_init_forward, hidden)


def init_backward_test(test_id, name, names, B=4, F=5, H=3, seed=20, hidden=False):
    v, weight, bias, dh0 = make_init(B, F, H, seed)
    calls = (Call(INIT_FORWARD, (v, weight, bias)), Call(INIT_BACKWARD, (dh0, Ref(0, 1))))
    return Test(test_id, INIT_BACKWARD, name, 1, calls, partial(judge_init_backward, names=names),
                hidden)


RUBRIC = Rubric(
    exercise="ex06_decode",
    signatures=SIGNATURES,
    tests=(
        decode_test("decode_one", "one caption that ends with eos (B=1, max_len=8)", [3], 8, seed=1),
        decode_test("decode_batch", "a batch whose captions end at different steps (B=4)",
                    [1, 4, 2, None], 6, seed=2, points=2),
        decode_test("decode_max_len", "a caption that never writes eos stops at max_len (B=1)",
                    [None], 5, seed=3),
        decode_test("decode_empty", "eos as the very first token gives an empty caption (B=2)",
                    [0, 2], 6, seed=4),
        decode_test("decode_hidden", "a larger batch (B=6, max_len=7)", [5, 0, None, 3, 1, 6], 7,
                    seed=5, hidden=True),
        init_forward_test("init_one", "h0 for one feature vector (B=1, F=4, H=3)", 1, 4, 3, seed=10),
        init_forward_test("init_batch", "h0 for a batch (B=5, F=8, H=6)", 5, 8, 6, seed=11),
        init_backward_test("init_dv", "dv", ("dv",)),
        init_backward_test("init_dweight", "grads['weight']", ("weight",)),
        init_backward_test("init_dbias", "grads['bias']", ("bias",)),
        init_backward_test("init_hidden", "every gradient for F = H (B=2, F=4, H=4)",
                           ("dv", "weight", "bias"), B=2, F=4, H=4, seed=21, hidden=True),
    ),
    answers=(Answer("question-batch", "why a batch cannot stop at the first eos"),
             Answer("question-layers", "the gradient of an h0 shared by two layers")),
)
