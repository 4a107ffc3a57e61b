"""Rubric of exercise 1, the RNN step: 30 points in three parts.

- Part 1, ``rnn_step_forward(x, h_prev, params)`` (4 points, one hidden): ``h_next`` on
  batches of one and of five, with ``D = H`` (hidden), and a forward that returns
  ``(h_next, cache)`` and changes none of its inputs. The values are compared with
  :mod:`course_pkg.rnn` on seeded float64 inputs.
- Part 2, ``rnn_step_backward(dh_next, cache)`` (6 points, one hidden): ``dx``, ``dh_prev``
  and each parameter's gradient. The backward tests pass the cache that the learner's own
  ``rnn_step_forward`` returned (whatever its layout) to the learner's backward, so backward
  points need a forward step that runs; when a gradient is wrong and so is the forward's
  ``h_next``, the hint says that the forward's cache may be the cause ("fix Part 1 first")
  instead of blaming the backward.
- Part 3, ``ab_detector()`` (20 points, one hidden test): the learner sets by hand the weights
  of a tanh RNN over one-hot letters a, b, c (``D = 3``, any ``H`` up to 64) whose unit 0
  fires (``h_t[0] > 0.5``) exactly when the last two letters were "a" then "b", and stays off
  (``h_t[0] < -0.5``) everywhere else, from ``h_0 = 0``. The grader runs
  :func:`course_pkg.rnn.rnn_forward` (not the learner's Part 1) on those weights: step 2 of
  the 9 words of two letters (8 points), step 1 (4), every step of the 81 words of four
  letters (4), and, hidden, every step of 40 seeded random words of 30 letters and three
  words of long runs (4). With the weights of the solution every unit is at least 0.95 away
  from 0 at every step (the margin asked is 0.5).

The judges recognise the usual mistakes by their values and name the cause without the
fixed line: the forward without one bias or both, ``weight_hh`` (or, with ``D = H``,
``weight_ih``) used untransposed, ReLU, the sigmoid or no nonlinearity, no recurrent term;
the backward without tanh's derivative, with tanh' taken at ``h_t`` (tanh applied twice), at
``h_{t-1}`` or written ``1 - h_t``, ``weight_hh``'s gradient with ``h_t`` in place of
``h_{t-1}`` (the cache of the wrong state) or transposed, ``dh_prev`` through ``weight_hh``
transposed, a bias gradient averaged over the batch; the detector in another unit than 0,
with its ``weight_hh`` (or, with ``H = 3``, ``weight_ih``) transposed, the right signs
without the margin, unit 0 firing at step 1, on every "b", after "ba" instead of "ab", on a
"b" after "b" or "c" but not after "a" (the memory read with the wrong sign), after an "a"
whatever follows, on a "b" whose "a" came earlier than the letter before (an "a" remembered
too long), or the step after "ab" too.

The partial marks are designed around those mistakes (``tests/test_rubric_ex01.py`` and, for
the class of 30 submissions, ``tests/grading_fixtures.py`` grade them); out of 30: a wrong
forward step whose cache holds its wrong ``h_next``: 20 (every backward test is fed that
cache; its hint says to fix Part 1 first); a forward that returns NaN beside a right cache:
26; both weight gradients transposed: 27; tanh's derivative left out, taken at ``h_t`` or at
``h_{t-1}``, or written ``1 - h_t``: 24; ``weight_hh``'s gradient of the wrong state or
transposed alone, ``dh_prev`` through ``weight_hh`` transposed, or a bias gradient missing:
28; a bias gradient averaged (the sum and the mean agree for ``N = 1``): 29; a detector
without memory (it fires on every "b"), firing when either condition holds, too small to pass
0.5, or in unit 1 where unit 0 holds the "a": 10; with ``weight_hh`` transposed, the order
reversed or the memory read with the wrong sign: 14 (step 1 is still right); firing at step 1
on "b": 18; remembering an "a" too long: 22 (the words of two letters cannot show it).

Of the 30 points, 20 (:data:`UNDERSTANDING`) need understanding: the detector is a design no
cell of chapter 1 shows: what the state must hold between steps and which unit holds it,
which entry of ``weight_hh`` carries it (the row is the unit that reads), how large the
weights must be for tanh to pass 0.5, how one unit asks that two things hold at once, and
what ``h_0 = 0`` does at step 1 (``detector_pairs``, ``detector_start``, ``detector_fours``,
``detector_long``). The other 10 test what the chapter shows. The forward step is its cell
``ch01-10`` line for line (4). The backward step (6) is the one the chapter takes apart in
its section on how ``fit`` found the weights: ``dh * (1 - h**2)`` through the tanh (which
the question restates), then, in the chapter's words, a dense layer's backward on
``[x_t, h_{t-1}]`` whose weight gradient holds those of both weights side by side; a dense
layer's gradients are what the course expects a reader to know (exercise 5 counts them as
chapter 1's too), and the question's hint, "let the shapes guide you", settles ``dx`` and
``grads['weight_ih']``. Written answers are read by hand.

Three tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

import itertools
from functools import partial

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading import wire
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array, compare_gradients,
                                       describe_value, expect, expect_inputs_unchanged, judge_beside_forward,
                                       own_output)
from course_pkg.grading.wire import Ref
from course_pkg.rnn import rnn_forward as reference_rnn_forward
from course_pkg.rnn import rnn_step_backward as reference_backward
from course_pkg.rnn import rnn_step_forward as reference_forward

FORWARD, BACKWARD, DETECTOR = "rnn_step_forward", "rnn_step_backward", "ab_detector"
SIGNATURES = {FORWARD: ("x", "h_prev", "params"), BACKWARD: ("dh_next", "cache"), DETECTOR: ()}
FORWARD_TOL, BACKWARD_TOL = 1e-9, 1e-8
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
SHAPES = {"h_next": "(N, H)", "dx": "(N, D)", "dh_prev": "(N, H)", "weight_ih": "(H, D)",
          "weight_hh": "(H, H)", "bias_ih": "(H,)", "bias_hh": "(H,)"}
UNDERSTANDING = frozenset({"detector_pairs", "detector_start", "detector_fours", "detector_long"})


def make_inputs(N, D, H, seed):
    """Seeded float64 ``(x, h_prev, params, dh_next)`` with shapes ``(N, D)``, ``(N, H)``, … ."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    h_prev = rng.uniform(-1.0, 1.0, (N, H))
    params = {"weight_ih": rng.standard_normal((H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((H, H)) / np.sqrt(H),
              "bias_ih": 0.5 * rng.standard_normal(H),
              "bias_hh": 0.5 * rng.standard_normal(H)}
    return x, h_prev, params, rng.standard_normal((N, H))


def same(got, want, tol):
    """``got`` is a finite float array of ``want``'s shape within ``tol`` of it."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.isfinite(got).all()) and rel_error(got, want) < tol


def first_mistake(got, want, variants, hints, tol):
    """The hint of the first variant (name -> array or ``None``) that ``got`` equals while the
    right answer ``want`` does not; ``None`` when none matches."""
    for name, value in variants.items():
        if value is not None and value.shape == want.shape and rel_error(value, want) > 1e-6 \
                and same(got, value, tol):
            return hints[name]
    return None


# --------------------------------------------------------------------------- Part 1

def forward_variant(x, h_prev, params, variant=None):
    """``h_next`` of the step, or of a usual mistake; ``None`` where the mistake cannot run
    on these shapes (``weight_ih`` untransposed needs ``D = H``)."""
    W_ih, W_hh, b_ih, b_hh = (params[k] for k in PARAM_KEYS)
    if variant == "ih_untransposed" and W_ih.shape[0] != W_ih.shape[1]:
        return None
    ih = x @ (W_ih if variant == "ih_untransposed" else W_ih.T)
    hh = 0.0 if variant == "no_recurrence" else h_prev @ (W_hh if variant == "hh_untransposed" else W_hh.T)
    bias = {"no_bias_ih": b_hh, "no_bias_hh": b_ih, "no_bias": 0.0}.get(variant, b_ih + b_hh)
    a = ih + hh + bias
    if variant == "relu":
        return np.maximum(a, 0.0)
    if variant == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    return a if variant == "linear" else np.tanh(a)


FORWARD_MISTAKES = {
    "no_bias_hh": "h_next: the values are those of a step without bias_hh",
    "no_bias_ih": "h_next: the values are those of a step without bias_ih",
    "no_bias": "h_next: the values are those of a step without either bias",
    "hh_untransposed": "h_next: weight_hh acts on h_prev the wrong way round: a weight is stored "
                       "(to, from), one row per unit it feeds",
    "ih_untransposed": "h_next: with D = H, weight_ih acts on x the wrong way round: a weight is stored "
                       "(to, from), one row per unit it feeds",
    "no_recurrence": "h_next: the values are those of a step that ignores h_prev (no recurrent term)",
    "relu": "h_next: the values of ReLU, where the step's nonlinearity is tanh",
    "sigmoid": "h_next: the values of the sigmoid, where the step's nonlinearity is tanh",
    "linear": "h_next: the values are the pre-activation itself: no nonlinearity was applied",
}


def judge_forward(calls, results):
    """``h_next`` of the learner's forward equals the reference's; a usual mistake is named."""
    x, h_prev, params = calls[0].args
    h_next = own_output(results[0], 2)[0]
    want = reference_forward(x, h_prev, params)[0]
    try:
        compare_array("h_next", h_next, want, SHAPES["h_next"], FORWARD_TOL)
    except CheckFailed:
        variants = {v: forward_variant(x, h_prev, params, v) for v in FORWARD_MISTAKES}
        hint = first_mistake(h_next, want, variants, FORWARD_MISTAKES, FORWARD_TOL)
        if hint is None:
            raise
        raise CheckFailed(hint) from None


def judge_forward_pure(calls, results):
    """The forward returns ``(h_next, cache)`` with the right ``h_next`` and changes none of its inputs."""
    judge_forward(calls, results)
    expect_inputs_unchanged(FORWARD, SIGNATURES[FORWARD], calls[0], results[0])


# --------------------------------------------------------------------------- Part 2

def backward_variant(dh_next, x, h_prev, params, variant=None):
    """Every gradient ``{"dx", "dh_prev", "weight_ih", ...}`` of the step, or of a usual mistake."""
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    h = forward_variant(x, h_prev, params)
    slope = {"no_tanh": 1.0, "tanh_of_h": 1.0 - np.tanh(h) ** 2, "one_minus_h": 1.0 - h,
             "slope_of_h_prev": 1.0 - h_prev * h_prev}.get(variant, 1.0 - h * h)
    da = dh_next * slope                                          # (N, H)
    if variant == "transposed":
        d_ih, d_hh = x.T @ da, h_prev.T @ da
    else:
        d_ih, d_hh = da.T @ x, da.T @ (h if variant == "h_next_state" else h_prev)
    d_bias = da.mean(axis=0) if variant == "bias_mean" else da.sum(axis=0)
    return {"dx": da @ W_ih, "dh_prev": da @ (W_hh.T if variant == "dh_prev_transposed" else W_hh),
            "weight_ih": d_ih, "weight_hh": d_hh, "bias_ih": d_bias, "bias_hh": d_bias}


BACKWARD_MISTAKES = {
    "no_tanh": "{label}: the values skip tanh's derivative, as if tanh had slope 1",
    "tanh_of_h": "{label}: tanh's slope was taken at h_t, not at a_t (tanh applied twice): the cache "
                 "holds h_t = tanh(a_t) already",
    "one_minus_h": "{label}: the values use 1 - h_t as tanh's slope, which is 1 - tanh^2(a_t)",
    "slope_of_h_prev": "{label}: tanh's slope was taken at h_{{t-1}}, the state the step read; it belongs "
                       "to h_t, the state the step wrote",
    "h_next_state": "{label}: computed with h_t where the step read h_{{t-1}} (the cache of the wrong state)",
    "transposed": "{label}: the values are transposed; (H, H) is square, so the shape could not tell",
    "dh_prev_transposed": "{label}: weight_hh enters the wrong way round (transposed); follow h_{{t-1}} "
                          "back through the forward's product",
    "bias_mean": "{label} is N times too small: averaged over the batch, where every row adds to it",
}


def judge_backward(calls, results, names):
    """The named gradients (``dx``, ``dh_prev`` or keys of ``grads``) equal the reference's."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, "Part 1", calls, results, names)


def check_gradients(calls, results, names):
    """The named gradients of the learner's backward against the reference's, one at a time;
    a wrong one that a usual mistake computes is named by its cause."""
    x, h_prev, params = calls[0].args
    dh_next = calls[1].args[0]
    dx, dh_prev, grads = own_output(results[1], 3)
    ref_dx, ref_dh_prev, ref_grads = reference_backward(dh_next, reference_forward(x, h_prev, params)[1])
    want = {**ref_grads, "dx": ref_dx, "dh_prev": ref_dh_prev}
    returned_arrays = {"dx": dx, "dh_prev": dh_prev}
    for name in names:
        try:
            compare_gradients(grads, returned_arrays, want, (name,), SHAPES, BACKWARD_TOL)
        except CheckFailed:
            if name not in returned_arrays and not (isinstance(grads, dict) and name in grads):
                raise
            got = returned_arrays[name] if name in returned_arrays else grads[name]
            variants = {v: backward_variant(dh_next, x, h_prev, params, v)[name] for v in BACKWARD_MISTAKES}
            label = name if name in returned_arrays else f"grads[{name!r}]"
            hints = {v: hint.format(label=label) for v, hint in BACKWARD_MISTAKES.items()}
            hint = first_mistake(got, want[name], variants, hints, BACKWARD_TOL)
            if hint is None:
                raise
            raise CheckFailed(hint) from None


# --------------------------------------------------------------------------- Part 3

LETTERS = "abc"                   # one-hot inputs: a = (1, 0, 0), b = (0, 1, 0), c = (0, 0, 1)
MARGIN = 0.5                      # unit 0 above +MARGIN when it fires, below -MARGIN elsewhere
MAX_UNITS = 64


def all_words(T):
    """Every word of ``T`` letters over a, b, c, as ids ``(3**T, T)``, in alphabetical order."""
    return np.array(list(itertools.product(range(len(LETTERS)), repeat=T)), dtype=np.int64)


def long_words(seed=101, N=40, T=30):
    """``N`` seeded random words of ``T`` letters, and three of long runs ("a...ab", "b...",
    "c...cab")."""
    rng = np.random.default_rng(seed)
    runs = ["a" * (T - 1) + "b", "b" * T, "c" * (T - 3) + "cab"]
    designed = np.array([[LETTERS.index(ch) for ch in word] for word in runs])
    return np.concatenate([rng.integers(0, len(LETTERS), (N, T)), designed])


def fires(ids):
    """``(N, T)`` booleans: True at step ``t`` when the letters ``t - 1`` and ``t`` are "a", "b"."""
    out = np.zeros(ids.shape, dtype=bool)
    out[:, 1:] = (ids[:, :-1] == 0) & (ids[:, 1:] == 1)
    return out


def word(ids_row, t=None):
    """The letters of one word (up to step ``t``, 0-based, when given)."""
    return "".join(LETTERS[i] for i in ids_row[: None if t is None else t + 1])


def detector_params(value):
    """The learner's weights as float64 arrays, checked; :class:`CheckFailed` with a hint."""
    expect(isinstance(value, dict), "expected ab_detector() to return a dict of weight_ih, weight_hh, "
                                    f"bias_ih and bias_hh, got {describe_value(value)}")
    missing = [k for k in PARAM_KEYS if k not in value]
    expect(not missing, f"ab_detector()'s dict has no key {missing[0]!r}" if missing else "")
    params = {}
    for key in PARAM_KEYS:
        array = value[key]
        expect(not isinstance(array, (wire.Opaque, str, dict)) and array is not None,
               f"expected {key} to be a NumPy array, got {describe_value(array)}")
        try:
            array = np.asarray(array)
            expect(array.dtype.kind in "biuf", f"expected {key} to hold real numbers, got dtype {array.dtype}")
            params[key] = array.astype(np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"expected {key} to be an array of numbers, got {describe_value(array)}") from None
        expect(np.isfinite(params[key]).all(), f"{key} holds NaN or infinite values")
    W_ih = params["weight_ih"]
    expect(W_ih.ndim == 2 and W_ih.shape[1] == len(LETTERS),
           f"expected weight_ih of shape (H, D) with D = 3 (the letters a, b, c), got {W_ih.shape}")
    H = W_ih.shape[0]
    expect(1 <= H <= MAX_UNITS, f"expected 1 to {MAX_UNITS} units, got H = {H}")
    for key, shape in (("weight_hh", (H, H)), ("bias_ih", (H,)), ("bias_hh", (H,))):
        expect(params[key].shape == shape,
               f"expected {key} of shape {SHAPES[key]} = {shape} (H = {H} from weight_ih), "
               f"got {params[key].shape}")
    return params


def detector_states(params, ids):
    """``h_t`` ``(N, T, H)`` of the RNN with ``params`` on the one-hot words ``ids``, from ``h_0 = 0``."""
    x = np.eye(len(LETTERS))[ids]                                 # (N, T, D)
    H = params["weight_hh"].shape[0]
    with np.errstate(all="ignore"):
        h, _ = reference_rnn_forward(x, np.zeros((len(ids), H)), params)
    return h


def detector_unit(params, ids):
    """``h_t[0]`` ``(N, T)`` of the RNN with ``params`` on the one-hot words ``ids``, from ``h_0 = 0``."""
    return detector_states(params, ids)[..., 0]


def other_detector(params):
    """The first unit other than 0 that meets the question at every step of the 81 words of four
    letters (a detector in the wrong place), or ``None``."""
    ids = all_words(4)
    h, truth = detector_states(params, ids), fires(ids)
    judged = np.ones(ids.shape, dtype=bool)
    return next((k for k in range(1, h.shape[-1]) if not detector_wrong(h[..., k], truth, judged).any()), None)


def detector_wrong(unit, truth, judged):
    """``(N, T)`` booleans: the judged steps where unit 0 is not beyond the margin on its side."""
    return judged & np.where(truth, ~(unit > MARGIN), ~(unit < -MARGIN))


def detector_cause(ids, unit, truth, judged):
    """Why unit 0 is wrong, from where it fires (``h_t[0] > 0``), or ``None``."""
    fired = unit > 0
    false = judged & fired & ~truth
    missed = judged & ~fired & truth
    pairs = {}                                            # (previous, current) -> fired, where judged
    for n, t in zip(*np.nonzero(judged[:, 1:])):
        pairs.setdefault(word(ids[n, t:t + 2]), set()).add(bool(fired[n, t + 1]))
    always = {p for p, seen in pairs.items() if seen == {True}}
    ever = {p for p, seen in pairs.items() if True in seen}
    if {"ab", "bb", "cb"} <= always and all(p.endswith("b") for p in ever):
        return "fires on every 'b', whatever came before ('cb' and 'bb' too): unit 0 does not see the letter before"
    if ever == {"ba"}:
        return "fires after 'ba' instead of 'ab': the order of the two letters is reversed"
    if "ab" not in ever and ever & {"bb", "cb"} and all(p.endswith("b") for p in ever):
        return ("fires on a 'b' after 'b' or 'c' but not after 'a': unit 0 reads the memory of an 'a' "
                "with the wrong sign")
    if ever - {"ab"} and all(p.startswith("a") for p in ever):
        other = sorted(ever - {"ab"})[0]
        return (f"fires after {other!r} too: an 'a' before is enough for your unit 0, which should need "
                "'b' now as well")
    if false[:, 0].any():
        n = np.flatnonzero(false[:, 0])[0]
        return (f"fires at step 1 on {word(ids[n], 0)!r}, where no letter came before "
                "(the state starts at h_0 = 0)")
    seen_a = np.cumsum(ids == 0, axis=1) > 0              # an "a" at this step or before
    late = np.zeros_like(false)
    late[:, 2:] = false[:, 2:] & (ids[:, 2:] == 1) & (ids[:, 1:-1] != 0) & seen_a[:, :-2]
    unseen = false[:, 1:] & (ids[:, 1:] == 1) & ~seen_a[:, :-1]    # on a "b" with no "a" before
    if late.any() and not unseen.any():
        n, t = (int(i) for i in np.argwhere(late)[0])
        return (f"fires at step {t + 1} of {word(ids[n], t)!r}, on a 'b' whose 'a' came two or more letters "
                "back: the memory of an 'a' lasts more than one step")
    after = false[:, 1:] & truth[:, :-1]                  # the step after "ab"
    if after.any():
        n, t = (int(i) for i in np.argwhere(after)[0])
        return (f"stays on the step after 'ab' ({unit[n, t + 1]:+.2f} at step {t + 2} of "
                f"{word(ids[n], t + 1)!r}): unit 0 keeps its own past, where it should depend on the last "
                "two letters only")
    if missed.any() and not false.any():
        n, t = (int(i) for i in np.argwhere(missed)[0])
        return f"does not fire after 'ab' ({unit[n, t]:+.2f} at step {t + 1} of {word(ids[n], t)!r})"
    return None


def judge_detector(calls, results, ids, steps):
    """Unit 0 of the learner's RNN, run by the reference, is beyond the margin on the right side
    at the judged ``steps`` (``"all"``, or a 0-based step) of every word ``ids``."""
    params = detector_params(own_output(results[0]))
    truth = fires(ids)
    judged = np.zeros(ids.shape, dtype=bool)
    if steps == "all":
        judged[:] = True
    else:
        judged[:, steps] = True
    unit = detector_unit(params, ids)
    wrong = detector_wrong(unit, truth, judged)
    if not wrong.any():
        return
    right_side = np.where(truth, unit > 0, unit < 0)
    n, t = (int(i) for i in np.argwhere(wrong)[0])
    where = f"{unit[n, t]:+.2f} at step {t + 1} of {word(ids[n], t)!r}"
    other = other_detector(params)
    expect(other is None, f"unit {other} of your state answers the question at every step, but the grader "
                          "reads unit 0: the order of the units matters")
    expect(not (right_side | ~judged).all(),
           f"unit 0 is on the right side of 0 at every step, but not beyond ±{MARGIN} ({where}): "
           "tanh is that close to 0 only for small pre-activations")
    for key in ("weight_hh", "weight_ih"):
        if params[key].shape[0] == params[key].shape[1]:
            swapped = {**params, key: params[key].T}
            if not detector_wrong(detector_unit(swapped, ids), truth, judged).any():
                raise CheckFailed(f"your weights work with {key} transposed: a weight is stored (to, from), "
                                  "one row per unit it feeds")
    cause = detector_cause(ids, unit, truth, judged)
    expect(cause is None, cause or "")
    side = "above +0.5 (after 'ab')" if truth[n, t] else "below -0.5"
    start = ": at step 1 it reads the letter and h_0 = 0 alone" if t == 0 else ""
    raise CheckFailed(f"unit 0 is {where}, where it should be {side}{start}")


# --------------------------------------------------------------------------- tests

def forward_test(test_id, name, N, D, H, seed, hidden=False):
    """A forward test on inputs of the given sizes."""
    x, h_prev, params, _ = make_inputs(N, D, H, seed)
    return Test(test_id, FORWARD, name, 1, (Call(FORWARD, (x, h_prev, params)),), judge_forward, hidden)


def backward_test(test_id, name, names, N=4, D=3, H=5, seed=10, hidden=False):
    """A backward test: the learner's forward gives the cache for the learner's backward."""
    x, h_prev, params, dh_next = make_inputs(N, D, H, seed)
    calls = (Call(FORWARD, (x, h_prev, params)), Call(BACKWARD, (dh_next, Ref(0, 1))))
    return Test(test_id, BACKWARD, name, 1, calls, partial(judge_backward, names=names), hidden)


def pure_test():
    """The forward returns ``(h_next, cache)`` and leaves its inputs unchanged."""
    x, h_prev, params, _ = make_inputs(3, 2, 5, 4)
    call = Call(FORWARD, (x, h_prev, params), keep_args=True)
    return Test("forward_pure", FORWARD, "returns (h_next, cache) and leaves its inputs unchanged", 1,
                (call,), judge_forward_pure)


def detector_test(test_id, name, points, ids, steps, hidden=False):
    """A test of the learner's weights, run by the reference on the words ``ids``."""
    return Test(test_id, DETECTOR, name, points, (Call(DETECTOR, ()),),
                partial(judge_detector, ids=ids, steps=steps), hidden)


RUBRIC = Rubric(
    exercise="ex01_rnn_step",
    signatures=SIGNATURES,
    tests=(
        forward_test("forward_one", "h_next for one example (N=1, D=3, H=4)", 1, 3, 4, seed=1),
        forward_test("forward_batch", "h_next for a batch (N=5, D=4, H=3)", 5, 4, 3, seed=2),
        forward_test("forward_square", "h_next with D = H (N=2, D=6, H=6)", 2, 6, 6, seed=3, hidden=True),
        pure_test(),
        backward_test("dx", "dx", ("dx",)),
        backward_test("dh_prev", "dh_prev", ("dh_prev",)),
        backward_test("dweight_ih", "grads['weight_ih']", ("weight_ih",)),
        backward_test("dweight_hh", "grads['weight_hh']", ("weight_hh",)),
        backward_test("dbias", "grads['bias_ih'] and grads['bias_hh']", ("bias_ih", "bias_hh")),
        backward_test("backward_one", "every gradient for one example (N=1, D=4, H=3)",
                      ("dx", "dh_prev") + PARAM_KEYS, N=1, D=4, H=3, seed=11, hidden=True),
        detector_test("detector_pairs", "fires after 'ab' alone: step 2 of the 9 words of 2 letters", 8,
                      all_words(2), 1),
        detector_test("detector_start", "stays off at step 1 (from h_0 = 0)", 4, all_words(1), 0),
        detector_test("detector_fours", "every step of the 81 words of 4 letters", 4, all_words(4), "all"),
        detector_test("detector_long", "every step of 43 words of 30 letters", 4, long_words(), "all",
                      hidden=True),
    ),
    answers=(Answer("question", "why the two bias gradients are equal, and whether one bias would do"),
             Answer("question-detector", "the detector from another initial state: where it can be wrong")),
)
