"""Rubric of exercise 2, tanh and the other activations: 21 points in 21 tests, five hidden.

- Part 1, ``activation_grad(h, nonlinearity)`` (6 points, one hidden): the slope f'(a)
  written with the output h = f(a). One test for the chapter's four activations (tanh,
  sigmoid, ReLU with slope 0 at 0, identity), one for each activation the chapter did not
  do, whose slope the learner derives: softsign ``a / (1 + |a|)``, the scaled tanh
  ``1.7159 tanh(2a / 3)`` of LeCun et al. (1998), the ELU (``a`` for ``a > 0``, else
  ``e^a - 1``) and softplus ``log(1 + e^a)``; hidden, those four on another shape.
- Part 2, ``diagnose_step(dh_next, h_next, weight_hh, dh_prev)`` (4 points, one hidden): a
  colleague's backward step through one tanh step returned ``dh_prev`` from ``dh_next``,
  ``h_next`` and ``W_hh``; the learner names its mistake: ``"ok"``, ``"transposed"``
  (``W_hh^T`` where ``W_hh`` belongs), ``"slope_at_h"`` (the slope computed as if ``h_next``
  were the pre-activation, ``1 - tanh(h)^2``), ``"one_minus_h"`` (``1 - h``) or
  ``"no_slope"``. Every case is made by :func:`colleague_step` with one of them; the judge
  recovers the case's label from its values.
- Part 3, ``state_fate(nonlinearity, gain)`` and ``gradient_rate(nonlinearity, gain)`` (8
  points, two hidden): for two units with no input and no bias, ``h_t = f(gain h_{t-1})``
  from ``h_0 = (0.5, -0.5)``, the prediction of whether the states explode, vanish or
  survive (stay away from 0 and infinity) as ``t`` grows, one test per gain ``1.5, 0.5,
  -1.5`` (all four activations) and a hidden one at other gains; and the rate at which the
  gradient ``dh_t / dh_0`` grows or shrinks per step once the states have settled,
  ``lim ||dh_t/dh_0||^(1/t)``: ``|gain|`` times the limit of the slope ``f'(a_t)`` (the
  larger of the two units'; 0 for ReLU at a gain <= 0, ``gain`` at a gain > 0, where the unit
  from 0.5 stays on even as its state shrinks to 0), one test for the identity and ReLU (and
  ReLU at 0.25, where a state iterated 537 steps or more underflows to 0.0 and its slope with
  it: the hint says so), one for tanh, one for the sigmoid (each at the three gains), and
  hidden ones at gains 3, -3 and 0.25 (and 1 and -1 for the identity and ReLU). A rate is
  right within :data:`RATE_TOL`; a mean over the first steps, before the states settle, is a
  few per cent off (the first 60 steps of tanh at 1.5: 0.409 against 0.394) and fails.
- Part 4, ``bias_shift(a)`` (3 points, one hidden): given the pre-activations ``(T, H)`` of
  tanh units, the change of each unit's bias that keeps the most gradient through all ``T``
  steps, ``prod_t (1 - tanh(a_t + shift)^2)``; accepted when it keeps at least
  :data:`SHIFT_KEEPS` of what the best shift keeps (the root of ``sum_t tanh(a_t + shift) =
  0``, :func:`best_shift`). Centring the pre-activations, ``-mean(a)``, passes the first
  test (at least 0.96 of the best, on every unit) and fails the second, where one step of a
  unit is far out and pulls the mean (it keeps 0.001 to 0.05 of the best there). The median
  ignores how far a step is from the middle: it keeps 0.53 of the best on the first test's
  unit whose steps lean to one side (three of its eight lifted by 1.5), 0.87 on one unit of
  the second test and 0.70 on one of the hidden test, and fails all three. A search on a grid
  of shifts 0.1 apart keeps at least 0.976 of the best on every unit, wherever the grid
  starts (0.05 apart: 0.993).

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex02.py``
grades each of them, with its hint); out of 21, in the solution, whose ``gradient_rate``
takes its slope from ``activation_grad``: tanh's slope taken at ``a = h`` (f applied to the
output again), ``1 - h`` for tanh, or ReLU's slope 1 at 0: 18 (the slope test, and the rates
that use the slope); softsign without ``|h|``, the scaled tanh without the chain rule's
factor or with ``h`` read as ``tanh(Ba)``, the ELU's slope at ``a = h`` (``e^h``) or without
its ``+ 1``, softplus's slope at ``a = h`` (``sigmoid(h)``) or the sigmoid's ``h (1 - h)``:
19 (the scaled tanh without its factor ``B`` or without ``A`` too); the correct step and the
transposed one swapped, a ``"slope_at_h"`` version computed like the correct one, or
``"no_slope"`` computed with ``W_hh^T``: 19; the versions compared by the signed sum of their
differences, or every version built with ``W_hh^T`` (the column convention, so that the right
one is called ``"transposed"`` and the slope mistakes match nothing): 17; tanh's states
exploding at ``|gain| > 1``: 18; ReLU's exploding at ``gain < -1`` as the identity's, the
identity's vanishing at ``gain < 0`` (its sign flips), or the sigmoid's vanishing at small
gains: 19; a bool for a fate (``blows_up``'s habit): 17; the rate ``|gain|`` whatever the
slope, the rate signed (``gain`` times the slope), the geometric mean of the first 60 steps,
or the size of the gradient after 100 steps: 17; the sigmoid's rate ``|gain| / 4`` (its
slope at 0), the slope taken after 1,000 steps (ReLU's state at gain 0.25 underflowed to
0.0), or the smaller unit's factor instead of the larger (ReLU's unit that is off): 19;
the shift ``-mean(a)``: 19; ``-median(a)``, ``+mean(a)`` (the units pushed further out), or
the centred pre-activations ``(T, H)`` returned: 18.

Of the 21 points, 20 (:data:`UNDERSTANDING`) need a derivation, a prediction checked by
running, a diagnosis or a design choice, none of which chapter 2 shows: the slopes of four
activations the chapter did not do, derived from their output (``slope_softsign``,
``slope_scaled_tanh``, ``slope_elu``, ``slope_softplus``, ``slope_shapes``, 5); the
diagnosis of a backward step by the values each mistake gives (``diagnose_*``, 4); the
fate of states without input at gains and signs the chapter did not run (it ran
``W_hh = gamma Q`` with inputs: nothing there vanishes, and no gain is negative) and the
gradient's rate derived from the settled state's slope (``fate_*``, ``rate_*``, 8; of these,
the identity's rate ``|gain|`` is the chapter's ``gain^100`` per step, but ``rate_linear`` also
asks ReLU's at a negative gain and at 0.25, where one unit is off and the other's state
vanishes while its slope stays 1, which the chapter did not run); the
bias shift that keeps the most gradient (``shift_*``, 3). The other point,
``slope_chapter``, tests what the chapter shows (its table of slopes written with ``h``).
Three written answers are marked by hand.
"""
from __future__ import annotations

from numbers import Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, failure_hint, returned)

SLOPE, DIAGNOSE, FATE, RATE, SHIFT = ("activation_grad", "diagnose_step", "state_fate", "gradient_rate",
                                      "bias_shift")
SIGNATURES = {SLOPE: ("h", "nonlinearity"),
              DIAGNOSE: ("dh_next", "h_next", "weight_hh", "dh_prev"),
              FATE: ("nonlinearity", "gain"),
              RATE: ("nonlinearity", "gain"),
              SHIFT: ("a",)}
TOL = 1e-9                  # relative error of a slope
RATE_TOL = 1e-4             # absolute error of a rate
SHIFT_KEEPS = 0.9           # the fraction of the best shift's gradient a shift must keep
SCALED_A, SCALED_B = 1.7159, 2 / 3         # LeCun et al. (1998): 1.7159 tanh(2a / 3)
CHAPTER = ("tanh", "sigmoid", "relu", "identity")
DERIVED = ("softsign", "scaled_tanh", "elu", "softplus")
BUGS = ("ok", "transposed", "slope_at_h", "one_minus_h", "no_slope")
FATES = ("explodes", "vanishes", "survives")
H0 = (0.5, -0.5)
UNDERSTANDING = frozenset({
    "slope_softsign", "slope_scaled_tanh", "slope_elu", "slope_softplus", "slope_shapes",
    "diagnose_transposed", "diagnose_slope_at_h", "diagnose_slope_forms", "diagnose_hidden",
    "fate_1p5", "fate_0p5", "fate_m1p5", "fate_hidden",
    "rate_linear", "rate_tanh", "rate_sigmoid", "rate_hidden",
    "shift_centred", "shift_outlier", "shift_hidden"})


# --------------------------------------------------------------------------- references

def sigmoid(a):
    """1 / (1 + e^-a), without overflow."""
    return 0.5 * (1 + np.tanh(np.asarray(a, dtype=np.float64) / 2))


def reference_activation(a, nonlinearity):
    """f(a), element-wise, for every activation of the exercise."""
    a = np.asarray(a, dtype=np.float64)
    return {"tanh": np.tanh,
            "sigmoid": sigmoid,
            "relu": lambda v: np.maximum(v, 0.0),
            "identity": lambda v: v * 1.0,
            "softsign": lambda v: v / (1 + np.abs(v)),
            "scaled_tanh": lambda v: SCALED_A * np.tanh(SCALED_B * v),
            "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0.0))),
            "softplus": lambda v: np.logaddexp(0.0, v)}[nonlinearity](a)


def reference_slope(h, nonlinearity):
    """f'(a) written with the output h = f(a)."""
    h = np.asarray(h, dtype=np.float64)
    return {"tanh": lambda: 1 - h * h,
            "sigmoid": lambda: h * (1 - h),
            "relu": lambda: (h > 0).astype(np.float64),
            "identity": lambda: np.ones_like(h),
            "softsign": lambda: (1 - np.abs(h)) ** 2,          # 1 + |a| = 1 / (1 - |h|)
            "scaled_tanh": lambda: SCALED_B * (SCALED_A - h * h / SCALED_A),
            "elu": lambda: np.where(h > 0, 1.0, h + 1),          # e^a = h + 1 for a <= 0
            "softplus": lambda: -np.expm1(-h)}[nonlinearity]()  # sigmoid(a) = 1 - e^-h


def colleague_step(dh_next, h_next, weight_hh, bug):
    """dL/dh_{t-1} of one tanh step, ``(dL/dh_t * slope) @ W_hh``, or a colleague's mistake."""
    slope = {"ok": 1 - h_next ** 2, "transposed": 1 - h_next ** 2, "slope_at_h": 1 - np.tanh(h_next) ** 2,
             "one_minus_h": 1 - h_next, "no_slope": np.ones_like(h_next)}[bug]
    return (dh_next * slope) @ (weight_hh.T if bug == "transposed" else weight_hh)


def reference_fate(nonlinearity, gain):
    """What the states of ``h_t = f(gain h_{t-1})`` from (0.5, -0.5) do as t grows.

    tanh: the map ``h -> tanh(|gain| h)`` has a root ``h > 0`` only when ``|gain| > 1``; the
    sigmoid settles on the root of ``h = sigmoid(gain h)``, above 0; the identity scales
    ``|h|`` by ``|gain|`` each step; ReLU keeps only the positive unit, and only if
    ``gain > 0`` (with ``gain < 0`` both units are 0 within two steps).
    """
    if nonlinearity == "sigmoid":
        return "survives"
    if nonlinearity == "tanh":
        return "survives" if abs(gain) > 1 else "vanishes"
    growth = abs(gain) if nonlinearity == "identity" else gain
    return "explodes" if growth > 1 else "survives" if growth == 1 else "vanishes"


def settled_state(nonlinearity, gain, steps=400):
    """The state (2,) that tanh or sigmoid units settle on (up to sign); 400 steps suffice at
    the gains graded (each step shrinks the distance to it by 0.62 or less)."""
    h = np.array(H0)
    for _ in range(steps):
        h = reference_activation(gain * h, nonlinearity)
    return h


def reference_rate(nonlinearity, gain, variant=None):
    """``lim ||dh_t / dh_0||^(1/t)``: ``|gain|`` times the slope at the settled state, or what
    a usual mistake gives.

    Variants: ``"no_slope"`` (``|gain|``), ``"signed"`` (``gain`` times the slope),
    ``"slope_at_h"`` (the slope at ``a = h*``), ``"slope_at_0"``, ``"one_minus_h"`` and
    ``"one_plus_h"`` (tanh's ``1 - h`` at the units' ``+h*`` and ``-h*``: ``|gain| (1 -+ h*)``).
    """
    if nonlinearity == "identity":
        return gain if variant == "signed" else abs(gain)
    if nonlinearity == "relu":
        if variant == "no_slope":
            return abs(gain)
        return max(gain, 0.0)
    h = float(settled_state(nonlinearity, gain)[0])      # tanh's sign does not change its slope
    slope = {None: reference_slope(h, nonlinearity), "signed": reference_slope(h, nonlinearity),
             "no_slope": 1.0, "slope_at_h": reference_slope(reference_activation(h, nonlinearity), nonlinearity),
             "slope_at_0": reference_slope(reference_activation(0.0, nonlinearity), nonlinearity),
             "one_minus_h": 1 - abs(h), "one_plus_h": 1 + abs(h)}[variant]
    return float((gain if variant == "signed" else abs(gain)) * slope)


def log_kept(a, shift):
    """``sum_t log(1 - tanh(a_t + shift)^2)`` per unit: the log of the gradient kept, (H,)."""
    x = np.abs(np.asarray(a, dtype=np.float64) + shift)
    return np.sum(np.log(4.0) - 2 * x - 2 * np.log1p(np.exp(-2 * x)), axis=0)   # log sech^2, no overflow


def best_shift(a):
    """The shift of each unit that keeps the most gradient: the root of sum_t tanh(a_t + shift) =
    0 (log_kept is concave in the shift, its derivative -2 sum_t tanh(a_t + shift)), by
    bisection."""
    a = np.asarray(a, dtype=np.float64)
    lo, hi = np.full(a.shape[1], -60.0), np.full(a.shape[1], 60.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        low = np.tanh(a + mid).sum(axis=0) < 0
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return (lo + hi) / 2


# --------------------------------------------------------------------------- inputs

def make_outputs(shape, nonlinearity, seed):
    """Seeded outputs h = f(a) of an activation, a ~ 2 N(0, 1) (with exact zeros for ReLU)."""
    return reference_activation(2.0 * np.random.default_rng(seed).standard_normal(shape), nonlinearity)


def make_case(N, H, bug, seed):
    """Seeded ``(dh_next, h_next, weight_hh, dh_prev)``, dh_prev from the colleague's ``bug``."""
    rng = np.random.default_rng(seed)
    dh_next = rng.standard_normal((N, H))
    h_next = np.tanh(1.5 * rng.standard_normal((N, H)))
    weight_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    return dh_next, h_next, weight_hh, colleague_step(dh_next, h_next, weight_hh, bug)


def make_shift_data(T, offsets, seed, far=(), lifted=()):
    """Seeded pre-activations (T, H): unit j spread around ``offsets[j]``; for each ``(j, size)``
    of ``far`` one step of unit j pushed ``size`` further out (a rare, large input); for each
    ``(j, k, size)`` of ``lifted``, k steps of unit j lifted by ``size`` (its steps lean to one
    side, so its median is not its middle)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(offsets, dtype=np.float64) + 0.5 * rng.standard_normal((T, len(offsets)))
    for j, size in far:
        a[rng.integers(T), j] += size
    for j, k, size in lifted:
        a[rng.choice(T, k, replace=False), j] += size
    return a


# --------------------------------------------------------------------------- judges (pure)

def own_value(result):
    """What the learner's own function returned; fails on a function taken from course_pkg."""
    expect(not (result.module or "").startswith("course_pkg"),
           f"expected your own {result.function}, got one from course_pkg")
    return returned(result)


def close(got, want, tol=TOL):
    """Whether ``got`` is an array of ``want``'s shape within ``tol`` (no exception)."""
    try:
        compare_array("", got, want, "", tol)
    except CheckFailed:
        return False
    return True


def wrong_slopes(h, nonlinearity):
    """``{hint: the slope a usual mistake gives}`` for outputs ``h`` of ``nonlinearity``."""
    at_h = reference_slope(reference_activation(h, nonlinearity), nonlinearity)
    odd = (" is right for h > 0 only: {name} is odd, so its slope at -a is its slope at a")
    mistakes = [("is the slope at a = h: h is f(a) already, so write f'(a) with h itself", at_h)]
    mistakes += {
        "tanh": [("gives different slopes at h and -h, but tanh is odd: its slope at -a is its slope "
                  "at a", 1 - h)],
        "sigmoid": [("is tanh's slope: write the sigmoid's own derivative with its output", 1 - h * h)],
        "relu": [("is 1 where h = 0: the unit was off there (a <= 0), and its slope is 0, as in "
                  "PyTorch", (h >= 0).astype(np.float64))],
        "softsign": [(odd.format(name="softsign").strip(), (1 - h) ** 2)],
        "scaled_tanh": [("misses the factor that the chain rule brings out of A tanh(B a)",
                         1 - (h / SCALED_A) ** 2),
                        ("misses the inner factor: the chain rule brings B out of tanh(B a)",
                         SCALED_A * (1 - (h / SCALED_A) ** 2)),
                        ("misses the outer factor A of A tanh(B a)", SCALED_B * (1 - (h / SCALED_A) ** 2)),
                        ("treats h as tanh(B a): here h = A tanh(B a)", SCALED_A * SCALED_B * (1 - h * h)),
                        ("is plain tanh's slope: here h = A tanh(B a)", 1 - h * h)],
        "elu": [("is 0 for a < 0: the ELU's negative part e^a - 1 still has a slope", (h > 0) * 1.0),
                ("is negative where h < 0: the ELU increases everywhere, so its slope is positive",
                 np.where(h > 0, 1.0, h))],
        "softplus": [("is the sigmoid's slope written with the sigmoid's output: here h = log(1 + e^a)",
                      h * (1 - h)),
                     ("falls as a grows, but softplus's slope rises from 0 to 1 (it is sigmoid(a))",
                      np.exp(-h))],
    }.get(nonlinearity, [])
    return mistakes


def judge_slopes(calls, results):
    """``activation_grad(h, nonlinearity)`` equals f'(a) in every call; a usual mistake is named."""
    for call, result in zip(calls, results):
        h, nonlinearity = call.args
        label = f"activation_grad(h, {nonlinearity!r})"
        got = own_value(result)
        try:
            compare_array(label, got, reference_slope(h, nonlinearity), "(the shape of h)", TOL)
        except CheckFailed:
            for hint, wrong in wrong_slopes(h, nonlinearity):
                if close(got, wrong):
                    raise CheckFailed(f"{label} {hint}") from None
            raise


BUG_WORDS = {"ok": "the correct step", "transposed": "the step with W_hh transposed",
             "slope_at_h": "the step with the slope taken at a = h_next",
             "one_minus_h": "the step with the slope 1 - h", "no_slope": "the step with no slope"}


def case_label(call):
    """The mistake that made a case's dh_prev (the one whose values it has)."""
    dh_next, h_next, weight_hh, dh_prev = call.args
    (bug,) = [b for b in BUGS if np.array_equal(colleague_step(dh_next, h_next, weight_hh, b), dh_prev)]
    return bug


def judge_diagnoses(calls, results):
    """Every ``diagnose_step`` call names the mistake its case was made with."""
    said = []
    for call, result in zip(calls, results):
        got = own_value(result)
        expect(isinstance(got, str) and got in BUGS,
               f"expected diagnose_step to return one of {list(BUGS)}, got "
               + (repr(got) if isinstance(got, str) else describe_value(got)))
        said.append((case_label(call), got))
    wrong = [(want, got) for want, got in said if want != got]
    if not wrong:
        return
    pairs = set(wrong)
    if pairs and pairs <= {("ok", "transposed"), ("transposed", "ok")}:
        raise CheckFailed("the step you call correct is the one with W_hh transposed: derive dL/dh_(t-1) "
                          "from a_t = ... + h_(t-1) W_hh^T + ..., entry by entry")
    if pairs == {("slope_at_h", "ok")}:
        raise CheckFailed("a step whose slope was taken at a = h_next was called 'ok': what slope does "
                          "tanh' give if h_next is read as the pre-activation?")
    want, got = wrong[0]
    raise CheckFailed(f"{len(wrong)} of {len(said)} cases wrong: {BUG_WORDS[want]} was called {got!r}")


def fate_word(value, call):
    """The learner's fate as one of :data:`FATES`, or :class:`CheckFailed`."""
    expect(isinstance(value, str) and value in FATES,
           f"expected state_fate{call.args} to return one of {list(FATES)}, got "
           + (repr(value) if isinstance(value, str) else describe_value(value)))
    return value


def judge_fates(calls, results):
    """Every ``state_fate(nonlinearity, gain)`` call is right; a usual mistake is named."""
    wrong = []
    for call, result in zip(calls, results):
        got = fate_word(own_value(result), call)
        name, gain = call.args
        want = reference_fate(name, gain)
        if got == want:
            continue
        where = f"{name} at gain {gain:g}"
        expect(not (name in ("tanh", "sigmoid") and got == "explodes"),
               f"{where}: {name}'s outputs cannot leave {'(-1, 1)' if name == 'tanh' else '(0, 1)'}")
        expect(not (name == "sigmoid" and got == "vanishes"),
               f"{where}: sigmoid(0) = 1/2, so a sigmoid state cannot settle at 0")
        expect(not (name == "relu" and gain < 0),
               f"{where}: follow both units for two steps: what does ReLU make of a negative "
               "pre-activation?")
        wrong.append(where)
    expect(not wrong, f"{len(wrong)} of {len(calls)} predictions wrong: {', '.join(wrong)}")


def as_number(value, call):
    """A learner's rate as a float, or :class:`CheckFailed`."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, np.generic):
        value = value.item()
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected gradient_rate{call.args} to return a number, got {describe_value(value)}")
    expect(np.isfinite(value), f"gradient_rate{call.args} is {value}: a rate per step is finite")
    return float(value)


RATE_MISTAKES = {
    "signed": "a rate is a size, |dh_t/dh_0| per step: it cannot be negative",
    "no_slope": "is |gain| alone: each step back also multiplies by the slope at the state the units "
                "settle on",
    "slope_at_0": "is |gain| times the slope at a = 0, but the {name} units settle elsewhere",
    "slope_at_h": "is |gain| times the slope at a = h*: h* is the output, f(a*), already",
    "one_minus_h": "uses 1 - h for tanh's slope: the slope is even in a",
    "one_plus_h": "uses 1 - h for tanh's slope at the unit that settles below 0: the slope is even in a",
}


def judge_rates(calls, results):
    """Every ``gradient_rate(nonlinearity, gain)`` call is within :data:`RATE_TOL`."""
    for call, result in zip(calls, results):
        got = as_number(own_value(result), call)
        name, gain = call.args
        want = reference_rate(name, gain)
        if abs(got - want) <= RATE_TOL:
            continue
        where = f"{name} at gain {gain:g}"
        expect(not (name == "relu" and gain < 0 and abs(got - abs(gain)) <= RATE_TOL),
               f"{where}: follow both units for two steps: how much gradient passes a unit that is "
               "off?")
        expect(not (name == "relu" and gain > 0 and got == 0),
               f"{where}: 0 is the rate of the unit that is off, but the one that starts at 0.5 stays "
               "on at every step" + (" (h_t > 0, only smaller: did it underflow to 0.0?)" if gain < 1 else ""))
        for variant, hint in RATE_MISTAKES.items():
            if abs(got - reference_rate(name, gain, variant)) <= RATE_TOL:
                said = "" if variant == "signed" else f"{got:.4g} "
                raise CheckFailed(f"{where}: {said}{hint.format(name=name)}")
        expect(not (0 < want != 1 and 0 < got and np.log(got) / np.log(want) > 5),
               f"{where}: {got:.4g} looks like the size of the gradient after many steps; the rate "
               "is its factor per step")
        expect(abs(got - want) > 0.1 * want,
               f"{where}: {got:.4g} is close but not the settled rate: a mean over the first steps, "
               "before the states settle? Take one step once h_t no longer changes")
        raise CheckFailed(f"{where}: {got:.4g} is not the rate per step once the states have settled")


def judge_shifts(calls, results):
    """Each unit's shift keeps at least :data:`SHIFT_KEEPS` of the best shift's gradient."""
    (a,) = calls[0].args
    got = own_value(results[0])
    best = best_shift(a)
    try:
        compare_array("bias_shift(a)", got, best, "(H,)", np.inf)
    except CheckFailed as err:
        raise CheckFailed(f"{err}: one shift per unit") from None
    got = np.asarray(got, dtype=np.float64)
    keeps = np.exp(log_kept(a, got) - log_kept(a, best))
    low = np.flatnonzero(keeps < SHIFT_KEEPS)
    if not len(low):
        return
    j = int(low[0])
    expect(abs((a[:, j] + got[j]).mean()) <= abs(a[:, j].mean()) or abs(best[j]) < 0.5,
           f"unit {j}: your shift moves it further out: the shift is added to every a_t of the unit")
    expect(not np.allclose(got[low], -a[:, low].mean(axis=0)),
           f"unit {j}: -mean(a) centres the pre-activations, but one step far out pulls the mean; "
           "maximise the gradient kept itself (its log is a sum over the steps)")
    expect(not np.allclose(got[low], -np.median(a[:, low], axis=0)),
           f"unit {j}: -median(a) counts each step as +1 or -1 by its side, but a step near 0 counts "
           "by its distance; maximise the gradient kept itself (its log is a sum over the steps)")
    raise CheckFailed(f"unit {j}: your shift keeps {keeps[j]:.2g} of the gradient the best shift keeps "
                      f"(at least {SHIFT_KEEPS:g} needed)")


def stopped_early(results):
    """The first hint of a call that did not return, or ``None``."""
    return next((failure_hint(r) for r in results if r.error is not None), None)


def all_calls(judge):
    """Run ``judge`` only if every call returned; otherwise fail with the first call's problem."""
    def wrapped(calls, results):
        hint = stopped_early(results)
        if hint is not None:
            raise CheckFailed(hint)
        judge(calls, results)
    wrapped.__doc__ = judge.__doc__
    return wrapped


# --------------------------------------------------------------------------- tests

def slope_test(test_id, names, shape, seed, label, hidden=False):
    """activation_grad on seeded outputs of each activation of ``names``."""
    calls = tuple(Call(SLOPE, (make_outputs(shape, name, seed + i), name)) for i, name in enumerate(names))
    return Test(test_id, SLOPE, label, 1, calls, all_calls(judge_slopes), hidden)


def diagnose_test(test_id, bugs, N, H, seed, label, hidden=False):
    """diagnose_step on one case per entry of ``bugs``."""
    calls = tuple(Call(DIAGNOSE, make_case(N, H, bug, seed + i)) for i, bug in enumerate(bugs))
    return Test(test_id, DIAGNOSE, label, 1, calls, all_calls(judge_diagnoses), hidden)


def gain_id(gain):
    return f"{gain:g}".replace("-", "m").replace(".", "p")


def fate_test(gains, pairs=(), hidden=False):
    """state_fate for every activation at each of ``gains``, and at the ``(name, gain)`` pairs."""
    calls = tuple(Call(FATE, (name, float(s))) for s in gains for name in CHAPTER)
    calls += tuple(Call(FATE, (name, float(s))) for name, s in pairs)
    test_id = "fate_hidden" if hidden else f"fate_{gain_id(gains[0])}"
    label = f"state_fate, every activation, gain {', '.join(f'{s:g}' for s in gains)}"
    return Test(test_id, FATE, label, 1, calls, all_calls(judge_fates), hidden)


def rate_test(test_id, names, gains, label, pairs=(), hidden=False):
    """gradient_rate for each of ``names`` at each of ``gains``, and at the ``(name, gain)`` pairs."""
    calls = tuple(Call(RATE, (name, float(s))) for name in names for s in gains)
    calls += tuple(Call(RATE, (name, float(s))) for name, s in pairs)
    return Test(test_id, RATE, label, 1, calls, all_calls(judge_rates), hidden)


def shift_test(test_id, a, label, hidden=False):
    return Test(test_id, SHIFT, label, 1, (Call(SHIFT, (a,)),), all_calls(judge_shifts), hidden)


GAINS = (1.5, 0.5, -1.5)
OTHER_GAINS = (3.0, -3.0, 0.25)
RUBRIC = Rubric(
    exercise="ex02_tanh",
    signatures=SIGNATURES,
    tests=(
        slope_test("slope_chapter", CHAPTER, (4, 5), 10, "activation_grad: tanh, sigmoid, relu, identity"),
        *(slope_test(f"slope_{name}", (name,), (4, 5), 14 + i, f"activation_grad(h, {name!r})")
          for i, name in enumerate(DERIVED)),
        slope_test("slope_shapes", DERIVED, (2, 3, 4), 30, "activation_grad on h of shape (2, 3, 4)",
                   hidden=True),
        diagnose_test("diagnose_transposed", ("ok", "transposed", "transposed", "ok"), 3, 4, 40,
                      "diagnose_step: correct, or W_hh transposed"),
        diagnose_test("diagnose_slope_at_h", ("slope_at_h", "one_minus_h", "slope_at_h"), 3, 4, 44,
                      "diagnose_step: slope at a = h, or 1 - h"),
        diagnose_test("diagnose_slope_forms", ("no_slope", "one_minus_h", "no_slope"), 3, 4, 48,
                      "diagnose_step: no slope, or 1 - h"),
        diagnose_test("diagnose_hidden", BUGS, 1, 6, 52, "diagnose_step: every case, N=1, H=6", hidden=True),
        *(fate_test((s,)) for s in GAINS),
        fate_test(OTHER_GAINS, pairs=(("identity", 1.0), ("relu", 1.0), ("identity", -1.0)), hidden=True),
        rate_test("rate_linear", ("identity", "relu"), GAINS, "gradient_rate: identity and relu",
                  pairs=(("relu", 0.25),)),
        rate_test("rate_tanh", ("tanh",), GAINS, "gradient_rate: tanh"),
        rate_test("rate_sigmoid", ("sigmoid",), GAINS, "gradient_rate: sigmoid"),
        rate_test("rate_hidden", CHAPTER, OTHER_GAINS, "gradient_rate at other gains",
                  pairs=(("identity", 1.0), ("relu", 1.0), ("identity", -1.0)), hidden=True),
        shift_test("shift_centred", make_shift_data(8, (-4.0, -1.5, 0.0, 2.0, 4.5), seed=60,
                                                    lifted=((2, 3, 1.5),)),
                   "bias_shift: units spread around their means (T=8, H=5)"),
        shift_test("shift_outlier", make_shift_data(8, (-1.0, 0.5, 2.0, -3.0), seed=61,
                                                    far=((0, -8.0), (1, 9.0), (2, 7.0), (3, 10.0))),
                   "bias_shift: one step of each unit far out (T=8, H=4)"),
        shift_test("shift_hidden", make_shift_data(12, (3.0, -2.0, 0.5, 5.0, -0.5, 1.5), seed=62,
                                                   far=((1, -9.0), (4, 12.0))),
                   "bias_shift at other offsets (T=12, H=6)", hidden=True),
    ),
    answers=(Answer("colleague-test", "why the colleague's own test passed; a test that tells the bugs apart"),
             Answer("question-fates", "settled states, vanishing gradient, and the chapter's exploding one"),
             Answer("saturated-unit", "which saturated unit a bias brings back, which not, and why")),
)
