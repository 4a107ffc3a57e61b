"""Rubric of exercise 13, parallel over time: 18 points in three parts.

- Part 1, ``parallel_scan(F, b, h0)`` (7 points, one hidden): the linear recurrence of a state
  with matrix coefficients, ``h_t = h_{t-1} F_t + b_t`` (the state a row vector, as everywhere
  in the course; ``F (T, H, H)``, ``b (T, N, H)``, ``h0 (N, H)``), as an associative scan,
  returning ``(h, steps)``: ``h (T, N, H)`` holds ``h_1 ... h_T`` and ``steps`` the rounds of
  combines the scan took. The chapter's recurrence ``a_t * h_{t-1} + b_t`` is its diagonal case
  and prints that case's combine; here the learner composes two steps with matrices, where the
  order of the products matters (``(F_s F_t, b_s F_t + b_t)`` for "step s, then step t"), and
  places ``h_0`` (``h_0 F_1 ... F_t``). The values are compared with the loop
  (:func:`reference_scan`) on arrays the grader draws (``T`` = 8, 13, 1, 6, 50). A round is one
  set of combines that could run at once; ``h_0`` enters without a round. The grader cannot
  watch the rounds run, so it judges the count the function reports against a scheme's
  formula over every ``T`` it tries (2 to 4,096): Hillis-Steele, ``ceil(log2 T)``, or
  Blelloch's up- and down-sweeps, ``2 ceil(log2 T) + delta`` with one ``delta`` in
  {-1, 0, 1}. A loop that reports ``ceil(log2 T)`` without scanning passes that test: the
  count is read, not measured, and the written answer on the rounds is marked by hand.
- Part 2, ``window_attention(x, W_Q, W_K, W_V, window)`` (6 points, one hidden): one head of
  causal self-attention with a sliding window, ``x (N, T, D)``, ``W_Q, W_K (d_k, D)``,
  ``W_V (d_v, D)`` (rows are outputs, as in ``torch.nn.Linear`` and chapter 13: ``q_t = x_t W_Q^T``), returning ``(N, T, d_v)``: position ``t`` attends to the ``window``
  positions ``t - window + 1 ... t`` (fewer at the start), softmax over those keys of the
  scores ``q_t . k_j / sqrt(d_k)``. The chapter's causal mask is the case ``window >= T``; the
  band is the learner's to derive. The values are compared with :func:`reference_attention`
  with ``d_k = 1`` (any scale ``sqrt(d_k)`` is 1) and a window of 2, with ``d_k = 16`` and a
  window longer than the sequence (the scale alone), and hidden with ``d_k = 5`` and a window
  of 3 of ``T = 9``. The causal test perturbs the inputs at positions ``>= s`` (window longer
  than the sequence) and asks that the outputs before ``s`` stay what they were (to 1e-12)
  and be finite; the window test changes one position ``j`` and asks that exactly the outputs
  ``j ... j + window - 1`` move.
- Part 3, ``predicted_memory(T, H, heads, d_k, window)`` and ``predicted_steps(T)`` (5 points,
  one hidden): the learner's own formulas, judged on values the grader picks: the floats a
  sliding-window attention layer keeps to generate the next token after ``T`` tokens, its
  key-value cache ``2 * heads * d_k * min(T, window)``, and an RNN's state, ``H``; the
  sequential steps of the loop ``T``, the rounds of the learner's scan (Hillis-Steele or
  Blelloch, as in Part 1), and the combines a Hillis-Steele scan does in all,
  ``r T - 2^r + 1`` with ``r = ceil(log2 T)`` (round ``k`` combines the ``T - 2^k`` positions
  that have a partner ``2^k`` back). The notebook then measures them (NumPy's arrays,
  ``tracemalloc``, ``course_pkg.RNN``) beside a prediction written before, explained after,
  both marked by hand.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex13.py``
grades each of them, with its hint); out of 18: the combine, or only its prefix products, in
the wrong order, the output shifted by one step (the exclusive scan), ``B`` of a round
computed with the matrix half that round already updated, or the state multiplied by ``F_t``'s
transpose (the column convention): 13; ``h_0`` multiplied from the right (a shape error in
every call): 11; ``h_0`` forgotten, the prefixes combined one after another (``T - 1``
steps), or a round too many at powers of two (``while d <= T``): 16; no window (the plain
causal mask), a window one position too wide or too narrow: 14; the band on both sides (the
future seen), no mask, the diagonal masked too, the mask applied after the softmax, or the
softmax over the queries' axis: 12; no scaling, or scaling by ``d_k``: 16; the cache without
the window, of the keys only, of one head, of ``window`` positions before the window is
full, or in bytes; the RNN's ``T * H``, or its state in bytes: 15; the combines
``T ceil(log2 T)`` (every position in every round) or the loop's ``T - 1``, the scan's steps
rounded down or not rounded, or the loop's ``T - 1`` steps: 16.

Of the 18 points, 13 (:data:`UNDERSTANDING`) need a derivation rather than a careful reading
of chapter 13 or ``course_pkg.mingru``: the matrix combine, its order, and where ``h_0``
enters (``scan_power_of_two``, ``scan_h0``, ``scan_hidden``, 4), the band of a sliding window
(``attn_values``, ``attn_window``, ``attn_hidden``, 4), the sliding-window cache and the
Hillis-Steele combines (``costs_memory``, ``memory_hidden``, ``costs_steps``, 5). The other 5
test what the chapter shows or the notebook states (any ``T``, the rounds' count, the
scale ``sqrt(d_k)``, the causal mask). Written answers are read by hand.

Three tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array, describe_value,
                                       expect, items, own_output)

SCAN, ATTN, MEMORY, STEPS = "parallel_scan", "window_attention", "predicted_memory", "predicted_steps"
SIGNATURES = {SCAN: ("F", "b", "h0"), ATTN: ("x", "W_Q", "W_K", "W_V", "window"),
              MEMORY: ("T", "H", "heads", "d_k", "window"), STEPS: ("T",)}
TOL = 1e-8                    # relative error of float64 values against the references
SAME = 1e-12                  # how much an output may move when only inputs it must not see change
MOVES = 1e-6                  # how much an output must move when an input it sees changes
STEP_TS = (2, 3, 4, 5, 8, 13, 64, 100, 1000, 4096)
UNDERSTANDING = frozenset({"scan_power_of_two", "scan_h0", "scan_hidden", "attn_values", "attn_window",
                           "attn_hidden", "costs_memory", "costs_steps", "memory_hidden"})


def ceil_log2(T):
    """``ceil(log2 T)`` exactly, for ``T >= 1``."""
    return (int(T) - 1).bit_length()


def hillis_steele_combines(T):
    """The combines of a Hillis-Steele scan of ``T`` steps: ``T - 2^k`` in round ``k``."""
    r = ceil_log2(T)
    return r * T - (2 ** r - 1)


# --------------------------------------------------------------------------- Part 1

def _hillis_steele(A, B, h0, variant):
    """A Hillis-Steele scan of the pairs, right or with a designed mistake: ``"order"`` (the
    prefix products multiplied in the wrong order) or ``"a_first"`` (``B`` of a round computed
    with the ``A`` it has just updated); ``h_0`` applied to every prefix at the end."""
    A, B, d = A.copy(), B.copy(), 1
    while d < len(A):
        if variant == "a_first":
            A[d:] = A[:-d] @ A[d:]
        if variant == "reversed":                  # "step t, then step s"
            B[d:], A[d:] = B[d:] @ A[:-d] + B[:-d], A[d:] @ A[:-d]
            d *= 2
            continue
        newB = B[:-d] @ A[d:] + B[d:]
        if variant == "order":
            A[d:] = A[d:] @ A[:-d]
        elif variant != "a_first":
            A[d:] = A[:-d] @ A[d:]
        B[d:] = newB
        d *= 2
    return h0 @ A + B


def reference_scan(A, b, h0, variant=None):
    """``h_1 ... h_T`` ``(T, N, H)`` of the loop ``h_t = h_{t-1} F_t + b_t``, or what a usual
    mistake computes.

    Variants: ``"no_h0"`` (h_0 taken as 0), ``"exclusive"`` (``h_0 ... h_{T-1}``),
    ``"transposed"`` (``h_{t-1} F_t^T + b_t``, the column convention ``F_t h_{t-1}``),
    ``"order_after"`` and ``"order_folded"`` (the prefix products in the wrong order, ``h_0``
    applied at the end or folded into ``b_1``), ``"reversed_after"`` and ``"reversed_folded"``
    (the combine in the wrong order: the later step applied first), ``"a_first_after"`` and ``"a_first_folded"``
    (a round's ``B`` computed with the ``A`` it has just updated).
    """
    A, b, h0 = (np.asarray(v, dtype=np.float64) for v in (A, b, h0))
    if variant == "no_h0":
        h0 = np.zeros_like(h0)
    if variant in ("order_after", "order_folded", "reversed_after", "reversed_folded", "a_first_after",
                   "a_first_folded"):
        kind = variant.rsplit("_", 1)[0]
        if variant.endswith("folded"):
            b = b.copy()
            b[0] = h0 @ A[0] + b[0]
            h0 = np.zeros_like(h0)
        return _hillis_steele(A, b, h0, kind)
    if variant == "transposed":
        A = A.swapaxes(1, 2)
    h, out = h0, np.empty_like(b)
    for t in range(len(A)):
        h = h @ A[t] + b[t]
        out[t] = h
    if variant == "exclusive":
        return np.concatenate([h0[None], out[:-1]])
    return out


ORDER = ("the prefix products are multiplied in the wrong order: 'step s, then step t' maps h to "
         "(h F_s + b_s) F_t + b_t; matrix products do not commute, so the earlier step's F stays on the left")
A_FIRST = ("a round computed the vector half with the matrix half it had just updated: both halves of the new pair must be "
           "computed from the pairs of the round before")
REVERSED = ("the combine applies the later step first: 'step s, then step t' maps h to (h F_s + b_s) F_t + b_t; "
            "the combine is not commutative, so the earlier step stays on the left")
SCAN_MISTAKES = {
    "order_after": ORDER, "order_folded": ORDER, "reversed_after": REVERSED, "reversed_folded": REVERSED,
    "exclusive": "shifted by one step: position t holds h_{t-1} (an exclusive scan); h[0] is h_1 = h_0 F_1 + b_1 "
                 "and h[T-1] is h_T",
    "a_first_after": A_FIRST, "a_first_folded": A_FIRST,
    "transposed": "the values are those of h_t = F_t h_{t-1} (the state multiplied by F_t's transpose): here the "
                  "state is a row vector, h_t = h_{t-1} F_t + b_t",
    "no_h0": "the values are those of h_0 = 0: h_0 is forgotten (fold it into b_1, or apply each prefix to it)",
}


def judge_scan_values(calls, results):
    """Each call's ``h`` equals the loop's; a usual mistake is named by its values."""
    for call, result in zip(calls, results):
        A, b, h0 = call.args
        h, _ = own_output(result, 2)
        want = reference_scan(A, b, h0)
        T = len(A)
        try:
            got = np.asarray(h, dtype=np.float64)
        except (TypeError, ValueError):
            got = None
        if got is not None and got.shape == want.shape and np.isfinite(got).all() and rel_error(got, want) >= TOL:
            for variant, hint in SCAN_MISTAKES.items():
                if rel_error(got, reference_scan(A, b, h0, variant)) < TOL:
                    raise CheckFailed(f"T = {T}: {hint}")
        compare_array(f"h (T = {T})", h, want, "(T, N, H)", TOL)


def _scheme(counts):
    """The scheme whose formula gives every ``{T: steps}`` of ``counts``, or ``None``."""
    if all(s == ceil_log2(T) for T, s in counts.items()):
        return "Hillis-Steele"
    for delta in (-1, 0, 1):
        if all(s == 2 * ceil_log2(T) + delta for T, s in counts.items()):
            return "Blelloch"
    return None


def _as_int(value, what):
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iu":
        value = int(value.reshape(()))
    expect(isinstance(value, Integral) and not isinstance(value, bool),
           f"expected {what} to be an int, got {describe_value(value)}"
           + (f" ({value})" if isinstance(value, Real) and not isinstance(value, bool) else ""))
    return int(value)


def scan_counts_hint(counts, what):
    """The hint for counts ``{T: steps}`` that follow no accepted scheme."""
    Ts = sorted(counts)
    if all(counts[T] in (T - 1, T) for T in Ts):
        return (f"{what}: {counts[Ts[-1]]} steps for T = {Ts[-1]}: linear in T, so each combine waited for the "
                "one before (the loop written with the combine). In a round every position combines at once "
                "with one d positions earlier")
    if all(counts[T] == ceil_log2(T + 1) for T in Ts):
        T = next(T for T in Ts if ceil_log2(T + 1) != ceil_log2(T))
        return (f"{what}: {counts[T]} steps for T = {T}, one more than needed when T is a power of two: a "
                "round with d >= T combines nothing (while d <= T?), or h_0 was scanned as an element of its "
                "own (fold it into b_1 instead)")
    if all(counts[T] == int(math.floor(math.log2(T))) for T in Ts):
        T = next(T for T in Ts if T & (T - 1))              # not a power of two
        return (f"{what}: {counts[T]} steps for T = {T}: rounded down; after k rounds a position holds at most "
                "2^k steps, so T steps need the smallest k with 2^k >= T")
    shown = ", ".join(f"T = {T}: {counts[T]}" for T in Ts[:5])
    return (f"{what} ({shown}, ...) follow neither Hillis-Steele's count nor Blelloch's: count a round of "
            "combines that run at once as one step, for every T")


def judge_scan_steps(calls, results):
    """The counts of every ``T`` follow one accepted scheme's formula."""
    counts = {}
    for call, result in zip(calls, results):
        _, steps = own_output(result, 2)
        counts[len(call.args[0])] = _as_int(steps, "steps")
    expect(_scheme(counts) is not None, scan_counts_hint(counts, "the rounds counted"))


def scan_arrays(T, N, H, seed, h0=True):
    """The grader's draw: ``F`` with entries of standard deviation ``1 / sqrt(H)`` (products of
    them neither blow up nor vanish fast), ``b`` and ``h0`` standard normal (``h0`` zero when not
    asked for). ``N != H`` in every call, so a product in the wrong layout fails by its shape."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((T, H, H)) / math.sqrt(H)
    b = rng.standard_normal((T, N, H))
    h0 = rng.standard_normal((N, H)) if h0 else np.zeros((N, H))
    return A, b, h0


def scan_call(T, N, H, seed, h0=True):
    return Call(SCAN, scan_arrays(T, N, H, seed, h0))


def steps_calls(Ts, seed=70):
    return tuple(scan_call(T, 1, 2, seed + i) for i, T in enumerate(Ts))


# --------------------------------------------------------------------------- Part 2

def _softmax(e, axis=-1):
    e = e - np.max(e, axis=axis, keepdims=True)
    w = np.exp(e)
    return w / w.sum(axis=axis, keepdims=True)


def hidden_keys(T, window, variant=None):
    """``(T, T)`` booleans, True where query ``t`` may not see key ``j``: the future ``j > t`` and
    the past beyond the window ``j <= t - window``; or a usual mistake's band."""
    t, j = np.arange(T)[:, None], np.arange(T)[None]
    future = j >= t if variant in ("strict", "strict_big") else j > t
    if variant == "no_window":
        return future
    if variant == "both_sides":
        return np.abs(t - j) >= window
    width = window + {"wide": 1, "narrow": -1}.get(variant, 0)
    return future | (j <= t - width)


def reference_attention(x, W_Q, W_K, W_V, window, variant=None):
    """``(N, T, d_v)`` sliding-window causal self-attention of one head, or what a usual mistake
    computes.

    Variants: ``"unscaled"``, ``"scaled_dk"`` (divided by ``d_k``), ``"no_mask"``,
    ``"no_window"`` (the causal mask alone), ``"wide"`` and ``"narrow"`` (a window of one
    position more or fewer), ``"both_sides"`` (``|t - j| < window``: the future seen),
    ``"strict"`` (the diagonal masked too, with ``-inf``: NaN at position 0), ``"strict_big"``
    (the same with ``-1e9``), ``"after_softmax"`` (the hidden weights set to 0 after the
    softmax), ``"wrong_axis"`` (masked, then the softmax over the queries).
    """
    x, W_Q, W_K, W_V = (np.asarray(v, dtype=np.float64) for v in (x, W_Q, W_K, W_V))
    Q, K, V = x @ W_Q.T, x @ W_K.T, x @ W_V.T                      # (N, T, d_k), (N, T, d_k), (N, T, d_v)
    d_k, T = W_Q.shape[0], x.shape[1]
    e = Q @ K.swapaxes(1, 2)                                 # (N, T, T): e[n, t, j] = q_t . k_j
    e = e / {"unscaled": 1.0, "scaled_dk": d_k}.get(variant, math.sqrt(d_k))
    hidden = hidden_keys(T, window, variant)
    if variant == "after_softmax":
        return (_softmax(e) * ~hidden) @ V
    if variant == "no_mask":
        return _softmax(e) @ V
    with np.errstate(invalid="ignore"):
        e = np.where(hidden, -1e9 if variant == "strict_big" else -np.inf, e)
        w = _softmax(e, axis=1 if variant == "wrong_axis" else -1)
    return w @ V


ATTN_MISTAKES = {
    "no_mask": "no mask: every position attends to every position, the future included; mask the keys j > t "
               "and those more than window - 1 back",
    "no_window": "only the future is masked: position t sees every earlier position; with window = {window} it "
                 "sees t - {window_1} ... t only",
    "wide": "the window is one position too wide: position t sees window + 1 positions; with window = {window} "
            "it sees t - {window_1} ... t, itself included",
    "narrow": "the window is one position too narrow: position t sees window - 1 positions; with window = "
              "{window} it sees t - {window_1} ... t, itself included",
    "both_sides": "the window reaches into the future (|t - j| < window): position t must see no j > t",
    "strict_big": "the diagonal is masked too, so position t cannot see itself (and position 0, with "
                  "nothing left, spreads over every position): a position sees itself",
    "after_softmax": "the mask was applied after the softmax: the hidden scores still enter each row's "
                     "normaliser; mask the scores (-inf) before the softmax",
    "wrong_axis": "the softmax normalises over the queries (axis -2): each query's weights over the keys "
                  "must sum to 1 (softmax over the last axis)",
    "unscaled": "the scores were not divided by sqrt(d_k): with d_k = {d_k}, q . k has variance d_k and the "
                "softmax saturates",
    "scaled_dk": "the scores were divided by d_k: q . k has variance d_k, so its standard deviation is "
                 "sqrt(d_k)",
}


def _attention_hint(call, got):
    """The hint of the usual mistake whose values ``got`` are, or ``None``."""
    x, W_Q, W_K, W_V, window = call.args
    for variant, hint in ATTN_MISTAKES.items():
        if rel_error(got, reference_attention(*call.args, variant)) < TOL:
            return hint.format(d_k=W_Q.shape[0], window=window, window_1=window - 1)
    return None


def _nan_at_first(got):
    return np.isnan(got[:, 0]).any() and np.isfinite(got[:, 1:]).all()


STRICT_NAN = ("position 0 is NaN: its whole row of scores is masked, so the diagonal is masked too; a "
              "position sees itself (mask only j > t and j <= t - window)")


def judge_attention(calls, results):
    """The learner's outputs equal :func:`reference_attention`; mistakes named by their values."""
    call = calls[0]
    got = own_output(results[0])
    want = reference_attention(*call.args)
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.shape == want.shape:
        expect(not _nan_at_first(arr), STRICT_NAN)
        if np.isfinite(arr).all() and rel_error(arr, want) >= TOL:
            hint = _attention_hint(call, arr)
            if hint:
                raise CheckFailed(hint)
    compare_array("the output", got, want, "(N, T, d_v)", TOL)


def _base_output(calls, results):
    """The first call's output, checked: an ``(N, T, d_v)`` finite array."""
    base = own_output(results[0])
    try:
        base = np.asarray(base, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"expected the output to be an array, got {describe_value(base)}") from None
    N, T, _ = calls[0].args[0].shape
    expect(base.ndim == 3 and base.shape[:2] == (N, T), f"expected the output of shape (N, T, d_v) with "
                                                         f"(N, T) = {(N, T)}, got {base.shape}")
    expect(not _nan_at_first(base), STRICT_NAN)
    expect(np.isfinite(base).all(), "the output holds NaN or infinite values")
    return base


def _changed_output(result, base):
    got = own_output(result)
    expect(isinstance(got, np.ndarray) and got.shape == base.shape,
           f"expected the output of the changed inputs to be an array of shape {base.shape}, got "
           f"{describe_value(got)}" + (f" of shape {got.shape}" if isinstance(got, np.ndarray) else ""))
    return got.astype(np.float64)


def _moved(got, base):
    """How much each position's output moved, relative to the output's size: ``(T,)``."""
    return np.abs(got - base).max(axis=(0, 2)) / max(1.0, np.abs(base).max())


def judge_causal(calls, results):
    """Perturbing positions ``>= s`` leaves the outputs before ``s`` unchanged, for each s."""
    base = _base_output(calls, results)
    T = base.shape[1]
    for call, result in zip(calls[1:], results[1:]):
        s = int(np.argmax(np.any(call.args[0] != calls[0].args[0], axis=(0, 2))))   # first position changed
        moved = _moved(_changed_output(result, base), base)[:s]
        if not (moved <= SAME).all():
            t = int(np.argmax(moved))
            hint = _attention_hint(calls[0], base)
            raise CheckFailed(f"changing only positions {s} to {T - 1} moved the output at position {t} by "
                              f"{moved[t]:.2g}: position {t} sees the future" + (f"; {hint}" if hint else ""))


def judge_window(calls, results):
    """Changing position ``j`` moves exactly the outputs ``j ... j + window - 1``."""
    base = _base_output(calls, results)
    T, window = base.shape[1], calls[0].args[4]
    for call, result in zip(calls[1:], results[1:]):
        j = int(np.argmax(np.any(call.args[0] != calls[0].args[0], axis=(0, 2))))   # the position changed
        moved = _moved(_changed_output(result, base), base)
        sees = np.zeros(T, dtype=bool)
        sees[j:j + window] = True
        wrong = [t for t in range(T) if (moved[t] <= MOVES if sees[t] else moved[t] > SAME)]
        if wrong:
            hint = _attention_hint(calls[0], base)
            moved_at = [t for t in range(T) if moved[t] > SAME]
            raise CheckFailed(f"window = {window}: changing only position {j} moved the outputs at positions "
                              f"{moved_at}, where those at {j} ... {min(j + window, T) - 1} should move"
                              + (f"; {hint}" if hint else ""))


def attention_args(N, T, D, d_k, d_v, window, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    W_Q, W_K, W_V = (rng.standard_normal((D, d)).T / math.sqrt(D) for d in (d_k, d_k, d_v))   # (d, D)
    return x, np.ascontiguousarray(W_Q), np.ascontiguousarray(W_K), np.ascontiguousarray(W_V), window


def changed_calls(N, T, D, d_k, d_v, window, seed, changes):
    """The inputs, then a copy per ``(first, last)`` with positions ``first ... last - 1`` redrawn."""
    x, W_Q, W_K, W_V, window = attention_args(N, T, D, d_k, d_v, window, seed)
    rng = np.random.default_rng(seed + 1)
    calls = [Call(ATTN, (x, W_Q, W_K, W_V, window))]
    for first, last in changes:
        changed = x.copy()
        changed[:, first:last] = rng.standard_normal(changed[:, first:last].shape) * 3
        calls.append(Call(ATTN, (changed, W_Q, W_K, W_V, window)))
    return tuple(calls)


# --------------------------------------------------------------------------- Part 3

def _count(value, what):
    """A count: an int, or a float that is one (``T ** 2`` may come back as ``8.0``)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, np.generic):
        value = value.item()
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected {what} to be a number, got {describe_value(value)}")
    expect(math.isfinite(value) and float(value).is_integer(),
           f"{what} is {value:.4g}: a count of floats or steps is a whole number")
    return int(value)


def judge_memory(calls, results):
    """``(2 heads d_k min(T, window), H)`` for every call, with a hint for each usual formula."""
    for call, result in zip(calls, results):
        T, H, heads, d_k, window = call.args
        cache, state = items(own_output(result, None), 2, MEMORY)
        cache, state = _count(cache, "the cache's floats"), _count(state, "the RNN state's floats")
        where = f"T = {T}, H = {H}, heads = {heads}, d_k = {d_k}, window = {window}"
        kept = min(T, window)
        if cache != 2 * heads * d_k * kept:
            expect(cache != 2 * heads * d_k * T, f"{where}: that is the cache of every position so far; a query "
                                                 "never reads a key more than window - 1 positions back again")
            expect(cache != heads * d_k * kept, f"{where}: the keys only: each position seen also needs its value")
            expect(cache != 2 * d_k * kept, f"{where}: the cache of one head only: each head keeps its own keys "
                                            "and values")
            expect(cache != 2 * heads * d_k * window, f"{where}: after T < window tokens the cache holds only the "
                                                      "T positions written so far")
            expect(cache != heads * T * T, f"{where}: those are the scores of a training pass; to generate the "
                                           "next token a layer keeps only what its later queries will read")
            expect(cache not in (4 * 2 * heads * d_k * kept, 8 * 2 * heads * d_k * kept),
                   f"{where}: {cache} is a count of bytes (4 or 8 per float); count the floats")
            raise CheckFailed(f"{where}: {cache} floats of cache; count what one layer keeps for the positions "
                              "a later query may still see")
        if state != H:
            expect(state != T * H, f"{where}: T * H floats are every state of the sequence (what training "
                                   "keeps for BPTT); to go on, an RNN keeps only its current state")
            expect(state != H * H and state != H * H + H,
                   f"{where}: that counts the weights; the state is the vector h_t the RNN carries")
            expect(state not in (4 * H, 8 * H), f"{where}: {state} is a count of bytes (4 or 8 per float); "
                                                "count the floats")
            raise CheckFailed(f"{where}: {state} floats of RNN state; count the vector h_t it carries")


STEPS_TS = (2, 7, 13, 64, 1000, 4097)


def judge_steps(calls, results):
    """``(T, scan's count, Hillis-Steele's combines)`` for every call: the loop's steps first,
    then the rounds (one scheme over every ``T``), then the combines."""
    scan, combined = {}, {}
    for call, result in zip(calls, results):
        (T,) = call.args
        loop, scanned, combines = items(own_output(result), 3, STEPS)
        loop = _count(loop, "the loop's steps")
        expect(loop != T - 1, f"T = {T}: the loop's steps: h_1 needs a step from h_0 too, so T steps")
        expect(loop == T, f"T = {T}: the loop takes {loop} steps; each h_t needs the one before it")
        scan[T] = _count(scanned, "the scan's steps")
        combined[T] = combines
    expect(_scheme(scan) is not None, scan_counts_hint(scan, "the scan's steps"))
    for T, combines in combined.items():
        combines = _count(combines, "the combines")
        r = ceil_log2(T)
        if combines != hillis_steele_combines(T):
            expect(combines != r * T, f"T = {T}: {combines} combines is T in each of the {r} rounds; in a round "
                                      "the positions with no partner d back combine with nothing")
            expect(combines not in (T - 1, T), f"T = {T}: {combines} combines is the loop's count; a "
                                               "Hillis-Steele round combines every position that has a partner")
            raise CheckFailed(f"T = {T}: {combines} combines; count those of each round (d = 1, 2, 4, ...) of a "
                              "Hillis-Steele scan, then add")


# --------------------------------------------------------------------------- tests

RUBRIC = Rubric(
    exercise="ex13_parallel",
    signatures=SIGNATURES,
    tests=(
        Test("scan_power_of_two", SCAN, "T = 8, h_0 = 0: the scan equals the loop", 2,
             (scan_call(8, 2, 3, seed=1, h0=False),), judge_scan_values),
        Test("scan_any_T", SCAN, "T = 13 and T = 1: not a power of two", 1,
             (scan_call(13, 3, 2, seed=2, h0=False), scan_call(1, 2, 3, seed=3, h0=False)), judge_scan_values),
        Test("scan_h0", SCAN, "T = 6 from a given h_0", 1, (scan_call(6, 2, 4, seed=4),), judge_scan_values),
        Test("scan_steps", SCAN, "rounds for T = 2 ... 4096: one scheme's count", 2, steps_calls(STEP_TS),
             judge_scan_steps),
        Test("scan_hidden", SCAN, "T = 50 from h_0", 1, (scan_call(50, 4, 3, seed=5),), judge_scan_values,
             hidden=True),
        Test("attn_values", ATTN, "d_k = 1, window = 2: the values", 2,
             (Call(ATTN, attention_args(2, 5, 4, 1, 3, 2, seed=11)),), judge_attention),
        Test("attn_scaled", ATTN, "d_k = 16, window > T: the scores' scale", 1,
             (Call(ATTN, attention_args(2, 6, 8, 16, 2, 10, seed=12)),), judge_attention),
        Test("attn_causal", ATTN, "the future perturbed: earlier outputs unchanged", 1,
             changed_calls(2, 6, 4, 3, 2, 8, seed=13, changes=((1, 6), (3, 6), (5, 6))), judge_causal),
        Test("attn_window", ATTN, "window = 3: one position changed, which outputs move", 1,
             changed_calls(2, 8, 4, 3, 2, 3, seed=15, changes=((1, 2), (4, 5))), judge_window),
        Test("attn_hidden", ATTN, "N = 3, T = 9, d_k = 5, window = 3: the values", 1,
             (Call(ATTN, attention_args(3, 9, 6, 5, 2, 3, seed=14)),), judge_attention, hidden=True),
        Test("costs_memory", MEMORY, "floats of the cache and of the state", 2,
             tuple(Call(MEMORY, args) for args in ((512, 256, 8, 64, 128), (1000, 64, 1, 16, 4096),
                                                   (7, 3, 2, 4, 3))), judge_memory),
        Test("costs_steps", STEPS, "sequential steps and combines: loop, scan", 2,
             tuple(Call(STEPS, (T,)) for T in STEPS_TS), judge_steps),
        Test("memory_hidden", MEMORY, "floats at other T, H, heads, d_k and window", 1,
             tuple(Call(MEMORY, args) for args in ((1, 5, 3, 2, 5), (4096, 1024, 16, 128, 1024))),
             judge_memory, hidden=True),
    ),
    answers=(Answer("question-scan", "the combine, its order, and the rounds derived"),
             Answer("diagnose-attention", "the colleague's attention: what leaks, and why"),
             Answer("question-scale", "the scale derived, and the window's band"),
             Answer("predict-costs", "prediction: memory and steps as T grows"),
             Answer("question-costs", "the measurement explained")),
)
