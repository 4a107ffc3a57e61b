"""Rubric of exercise 3, backpropagation through time: 18 points in four parts.

- Part 1, ``rnn_backward(dh, cache)`` (4 points, one hidden): BPTT in NumPy for the
  notebook's ``rnn_forward``, whose cache is ``(x, h0, h, params)``; the grader builds that
  cache itself (:func:`reference_forward`) and compares ``dx``, ``dh0`` and ``grads`` with
  :func:`reference_backward`, which equals :func:`course_pkg.rnn.rnn_backward`.
- Part 2, ``diagnose_bptt(x, h0, params, dh, dx, dh0, grads)`` (5 points, one hidden):
  given the inputs of a backward pass and what some backward returned, name what is wrong
  with it, one of :data:`LABELS`. The grader hands it the outputs of the right BPTT and of
  six broken ones (:func:`reference_backward` with a ``mistake``; the hidden test sums the
  bias over the steps, ``(N, H)``, where the public one sums over the batch, ``(T, H)``) on
  arrays it draws, and compares the label; a wrong label gets a hint that lists the symptoms
  of those outputs (which arrays are off, and at which steps), never the label. The public
  tests' names do not say which mistakes they hold.
- Part 3, ``decay_factor(weight_hh, h_star)`` (4 points, one hidden): the factor by which
  the norm of the gradient shrinks (or grows) per step far from the loss while every state
  sits at the fixed point ``h*``: the spectral radius of the constant Jacobian,
  ``rho(diag(1 - h*^2) W_hh)`` (:func:`reference_decay`; with row vectors a step back is
  ``delta J``), to a relative 1e-6; the usual wrong formulas (:data:`DECAY_MISTAKES`) are
  named by their values, and an estimate within 1 % (``||delta J^k||^(1/k)``, power
  iteration) is told it is close but not the limit.
- Part 4, ``choose_radius(weight_hh, weight_ih, x)`` (5 points, one hidden): a design
  choice. The learner picks the spectral radius ``rho`` to which ``weight_hh`` is rescaled
  so that, for sequences like ``x`` (``h_0 = 0``, no biases), the gradient that a loss
  ``L = h_T u^T`` (``u`` a unit row) sends back to ``h_0`` neither vanishes nor explodes.
  The grader rescales, draws 64 held-out sequences of the same kind and unit rows of its
  own, and asks that the geometric mean of ``||dL/dh_0||`` lie in [0.1, 10]
  (:func:`gradient_ratio`). On the four instances (inputs of standard deviation 0.1, 1,
  0.3, 0.5 over 50, 50, 20, 30 steps) the radii that pass, on a grid of 0.05, lie within
  1.10-1.55, 2.05-2.35, 1.15-1.80 and 1.45-2.05: no one radius passes them all, and ``rho =
  1`` passes none (the gradient at ``h_0`` is 3e-13 to 2e-2 of the loss's). The solution's
  choice (bisection on the ratio measured on the learner's 32 sequences, for the radius where
  it crosses 1) gives 0.65-1.00 on the held-out ones; on 100 other instances of each kind
  (seeds 1000-1099, 2000-2099, 3000-3099, 4000-4099), with two draws of the unit rows,
  0.33-3.86, never outside [0.1, 10], the same under the three BLAS kernels. A radius chosen
  as if ``weight_hh`` were rescaled to its largest singular value is named by that signature
  (rescaled so, the held-out gradient would be 1/3 to 3; 0.65-1.4 on the four instances
  for a bisection and a grid search that made that mistake; 0.11 for a fixed radius of 2).
  Everything is float64 NumPy, the same on every BLAS kernel to rounding.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex03.py``
grades each of them, with its hint); out of 18: a backward that drops the gradient from
step t+1 (T = 1 passes, longer fails): 15; that takes tanh's slope one step early, or at
``a = h_t`` (``1 - tanh(h_t)^2``), or goes back through W_hh's transpose (a T = 1 check
catches all three, by every array or by ``dh0``): 14; ``dh0`` left at zero, one step short
(the gradient reaching ``h_1``) or taken before ``W_hh`` (``dL/da_1``),
``grads['weight_hh']`` built with ``h_t`` for ``h_{t-1}``, or with ``h[:, t - 1]`` at
``t = 0`` (``h_T``: only the first step's term is off), or a bias gradient summed over one
axis only: 15; weight gradients overwritten at every step instead of summed (those of the
first step are left): 16; ``course_pkg``'s BPTT imported under the graded name: 14. A
diagnosis that compares with ``np.array_equal`` (rounding makes right outputs look wrong; it
keeps only the slope test): 14; one that swaps the two signatures of the last step (calls a
slope taken one step early a transposed ``W_hh`` and the reverse): 15; one that calls every
error sparing the last step a missing carry (so a transposed ``W_hh`` too), that tells the
carry from the transpose by ``dh0`` (both get it wrong), that never looks at the last step
(so calls the slope taken one step early a transposed ``W_hh``), or that compares a bias of
the wrong shape by broadcasting (and calls it ``dW_hh`` from ``h_t``): 16; one that knows a
bias summed over the batch, ``(T, H)``, but not over the steps, ``(N, H)``: 17. A decay
factor of ``sigma_max(W_hh)`` (the bound), a complex eigenvalue instead of its modulus, or an
estimate over 1,000 steps (``||J^k||^(1/k)``, 0.01-0.2 % off): 14; of ``rho(W_hh)`` (slopes
ignored); ``rho(W_hh)`` times the root mean square slope (chapter 2's rule of thumb for
random networks, 6-97 % off here), the mean slope or the largest slope; an eigenvalue's real
part; or with the slope ``1 - tanh(h*)^2`` (taken at ``a = h*``) or ``1 - |h*|``: 15
(``h* = 0`` hides all but the first). A radius of 1 (the edge only where every slope is 1)
or of ``sigma_max = 1`` (the bound), or one measured with ``weight_hh`` rescaled to its
largest singular value: 13; a fixed radius of 2 (chapter 2's crossing for tanh): 14; of 1.5,
or the smallest radius whose gradient reaches 0.1 on the learner's sequences (the edge of
the band, which the held-out ones miss for the small inputs): 16.

Of the 18 points, 13 (:data:`UNDERSTANDING`) need a diagnosis, a derivation or a design
choice rather than a careful reading of chapter 3 or ``course_pkg.rnn``: recognising six
broken BPTTs by the signature of their outputs (Part 2, 5), the factor per step at a fixed
point whose slopes are not all 1, derived from the constant Jacobian (``decay_fixed_point``,
``decay_saturated``, ``decay_hidden``, 3), and a spectral radius chosen by measurement for
inputs that saturate the units, where the chapter's edge ``rho = 1`` fails (Part 4, 5). The
other 5 test what the chapter shows: BPTT from its equations (Part 1, 4) and ``rho(W_hh)``
as the rate when every slope is 1 (``decay_linear``). Written answers are read by hand.

Functions imported from ``course_pkg`` under the graded names score nothing. Four tests are
hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Complex, Real

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array, describe_value,
                                       expect, own_output)

BACKWARD, DIAGNOSE, DECAY, RADIUS = "rnn_backward", "diagnose_bptt", "decay_factor", "choose_radius"
SIGNATURES = {BACKWARD: ("dh", "cache"), DIAGNOSE: ("x", "h0", "params", "dh", "dx", "dh0", "grads"),
              DECAY: ("weight_hh", "h_star"), RADIUS: ("weight_hh", "weight_ih", "x")}
BACKWARD_TOL, DECAY_TOL = 1e-8, 1e-6
NEAR = 0.01             # a decay factor this close (relative), but not within DECAY_TOL: an estimate
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
SHAPES = {"dx": "(N, T, D)", "dh0": "(N, H)", "weight_ih": "(H, D)", "weight_hh": "(H, H)", "bias_ih": "(H,)",
          "bias_hh": "(H,)"}
ALL = ("dx", "dh0") + PARAM_KEYS
LABELS = ("ok", "no_carry", "no_dh0", "slope_one_step_early", "transposed", "h_t_for_h_prev", "bias_one_axis")
RATIO_LOW, RATIO_HIGH = 0.1, 10.0
UNDERSTANDING = frozenset({"diag_clean", "diag_carry", "diag_slope", "diag_recursion", "diag_hidden",
                           "decay_fixed_point", "decay_saturated", "decay_hidden", "radius_small",
                           "radius_large", "radius_short", "radius_hidden"})


def make_inputs(N, T, D, H, seed):
    """Seeded float64 ``(x, h0, params, dh)`` of shapes ``(N, T, D)``, ``(N, H)``, …, ``(N, T, H)``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = rng.uniform(-1.0, 1.0, (N, H))
    params = {"weight_ih": rng.standard_normal((H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((H, H)) / np.sqrt(H),
              "bias_ih": 0.3 * rng.standard_normal(H),
              "bias_hh": 0.3 * rng.standard_normal(H)}
    return x, h0, params, rng.standard_normal((N, T, H))


# --------------------------------------------------------------------------- Part 1

def reference_forward(x, h0, params):
    """``(h, cache)`` of the notebook's ``rnn_forward``: ``cache = (x, h0, h, params)``."""
    h_t, states = h0, []
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ params["weight_ih"].T + params["bias_ih"]
                      + h_t @ params["weight_hh"].T + params["bias_hh"])
        states.append(h_t)
    h = np.stack(states, axis=1)                                     # (N, T, H)
    return h, (x, h0, h, params)


def reference_backward(dh, cache, mistake=None):
    """``(dx, dh0, grads)`` of BPTT for :func:`reference_forward`, or of a usual mistake.

    Mistakes: ``"no_carry"`` (the gradient from step t+1 dropped), ``"no_dh0"`` (``dh0``
    left at zero), ``"dh0_one_step_short"`` (``dh0`` is the gradient reaching ``h_1``),
    ``"dh0_is_da1"`` (``dh0`` is the gradient of the first pre-activation, ``dL/da_1``),
    ``"slope_one_step_early"`` (tanh's slope at ``h_{t-1}`` instead of ``h_t``),
    ``"transposed"`` (back through ``W_hh^T``), ``"h_t_for_h_prev"`` (``dW_hh`` from ``h_t``),
    ``"h_prev_wraps"`` (``dW_hh``'s first term from ``h_T``, a loop's ``h[:, t - 1]`` at ``t = 0``),
    ``"slope_at_h"`` (tanh's slope taken at ``a = h_t``: ``1 - tanh(h_t)^2``),
    ``"bias_one_axis"`` (bias gradients summed over the batch only, ``(T, H)``; over the steps only,
    ``(N, H)``, is ``"bias_over_time"``),
    ``"overwritten"`` (the weight gradients of the first step alone, the last a backward loop
    writes).
    """
    x, h0, h, params = cache
    N, T, H = dh.shape
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)       # (N, T, H): h_0 ... h_{T-1}
    slope = 1 - (h_prev if mistake == "slope_one_step_early" else h) ** 2
    if mistake == "slope_at_h":
        slope = 1 - np.tanh(h) ** 2
    if mistake == "h_prev_wraps":
        h_prev = np.concatenate([h[:, -1:], h[:, :-1]], axis=1)      # h_T, h_1, ..., h_{T-1}
    back = params["weight_hh"].T if mistake == "transposed" else params["weight_hh"]
    da, carry, delta = np.empty_like(dh), np.zeros((N, H)), None
    for t in range(T - 1, -1, -1):
        delta = dh[:, t] + (0.0 if mistake == "no_carry" else carry)   # road 1 + road 2
        da[:, t] = delta * slope[:, t]                                 # dL/da_t
        carry = da[:, t] @ back                                        # reaches h_{t-1}
    dx = da @ params["weight_ih"]                                      # (N, T, D)
    dh0 = {"no_dh0": np.zeros_like(h0), "dh0_one_step_short": delta, "dh0_is_da1": da[:, 0]}.get(mistake, carry)
    steps = slice(0, 1) if mistake == "overwritten" else slice(None)
    grads = {"weight_ih": np.einsum("nth,ntd->hd", da[:, steps], x[:, steps]),
             "weight_hh": np.einsum("nth,ntk->hk", da[:, steps],
                                    (h if mistake == "h_t_for_h_prev" else h_prev)[:, steps])}
    bias = {"bias_one_axis": da.sum(axis=0), "bias_over_time": da.sum(axis=1)}.get(mistake)
    bias = da[:, steps].sum(axis=(0, 1)) if bias is None else bias
    grads["bias_ih"], grads["bias_hh"] = bias, bias.copy()
    return dx, dh0, grads


BACKWARD_MISTAKES = {
    "no_carry": "the values are those of a backward that drops the gradient from step t+1 (T = 1 passes, longer "
                "fails): the gradient reaching h_t comes by two roads",
    "slope_one_step_early": "tanh's slope is taken one step early, at h_{t-1}: step t's slope is that of the state "
                            "it computed",
    "transposed": "the gradient goes back through W_hh's transpose: with row vectors a step back multiplies by "
                  "W_hh itself (a square W_hh hides the mistake from the shapes)",
    "slope_at_h": "tanh's slope is taken at a = h_t: h_t is already tanh(a_t)",
    "overwritten": "the weight gradients are those of the first step alone: a shared weight collects a gradient "
                   "at every step",
    "h_t_for_h_prev": "grads['weight_hh'] pairs each step's dL/da_t with h_t: the weight multiplies the state "
                      "that came into the step",
    "h_prev_wraps": "grads['weight_hh'] is off by its first step's term alone, which pairs dL/da_1 with h_T: "
                    "Python's index -1 is the last state",
    "no_dh0": "dh0 is zero: h_0 reaches the loss through the first step, like every other state",
    "dh0_one_step_short": "dh0 is the gradient that reaches h_1: h_0 is one step further back, through the first "
                          "step's tanh and W_hh",
    "dh0_is_da1": "dh0 is the gradient of the first pre-activation a_1: h_0 enters a_1 through W_hh",
}
BIAS_HINT = ("{name} has shape {shape}: summed over one axis only; a bias is shared by every example and every "
             "step, so its gradient sums over both")


def _named(outputs):
    dx, dh0, grads = outputs
    return {"dx": dx, "dh0": dh0, **grads}


def judge_backward(calls, results, names):
    """The named gradients of the learner's ``rnn_backward`` equal the reference's; a usual
    mistake is named by its values."""
    dh, cache = calls[0].args
    dx, dh0, grads = own_output(results[0], 3)
    expect(isinstance(grads, dict), f"expected grads to be a dict, got {describe_value(grads)}")
    for name in names:
        expect(name in ("dx", "dh0") or name in grads,
               f"grads has no key {name!r} (its keys: {sorted(map(str, grads))})")
    got = {"dx": dx, "dh0": dh0, **grads}
    want = _named(reference_backward(dh, cache))
    N, T, H = dh.shape
    for name in names:
        value = got[name]
        if name.startswith("bias") and isinstance(value, np.ndarray) and value.shape in ((T, H), (N, H)):
            label = f"grads[{name!r}]"
            raise CheckFailed(BIAS_HINT.format(name=label, shape=value.shape))
    wrong = [n for n in names if not _close(got[n], want[n], BACKWARD_TOL)]
    if wrong:
        for mistake, hint in BACKWARD_MISTAKES.items():
            variant = _named(reference_backward(dh, cache, mistake))
            if all(_close(got[n], variant[n], BACKWARD_TOL) for n in names):
                raise CheckFailed(f"T = {T}: {hint}")
    for name in names:
        label = name if name in ("dx", "dh0") else f"grads[{name!r}]"
        compare_array(label, got[name], want[name], SHAPES[name], BACKWARD_TOL)


def _close(got, want, tol):
    """Whether ``got`` is an array of ``want``'s shape within relative error ``tol``."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.isfinite(got).all()) and rel_error(got, want) < tol


def backward_test(test_id, name, names, N, T, D, H, seed, hidden=False):
    """A backward test on the grader's own cache of the given sizes."""
    x, h0, params, dh = make_inputs(N, T, D, H, seed)
    cache = reference_forward(x, h0, params)[1]
    return Test(test_id, BACKWARD, name, 1, (Call(BACKWARD, (dh, cache)),), partial(judge_backward, names=names),
                hidden)


# --------------------------------------------------------------------------- Part 2

LABEL_OF = {"bias_over_time": "bias_one_axis"}      # a mistake shown under another's label


def broken_outputs(N, T, D, H, seed, label):
    """The arguments of ``diagnose_bptt``: inputs, and what the backward ``label`` (a label, or
    a mistake of :data:`LABEL_OF`) returned."""
    x, h0, params, dh = make_inputs(N, T, D, H, seed)
    cache = reference_forward(x, h0, params)[1]
    dx, dh0, grads = reference_backward(dh, cache, None if label == "ok" else label)
    return (x, h0, params, dh, dx, dh0, grads)


def symptoms(args):
    """What is off in the outputs ``args[4:]`` against the right BPTT, in words."""
    x, h0, params, dh, dx, dh0, grads = args
    want_dx, want_dh0, want = reference_backward(dh, reference_forward(x, h0, params)[1])
    off = []
    for k in ("bias_ih", "bias_hh"):
        if np.shape(grads[k]) != want[k].shape:
            off.append(f"grads[{k!r}] has shape {np.shape(grads[k])}")
    steps = [t for t in range(dx.shape[1]) if not _close(dx[:, t], want_dx[:, t], BACKWARD_TOL)]
    if steps:
        T = dx.shape[1]
        where = "every step but the last" if steps == list(range(T - 1)) else (
            "every step" if len(steps) == T else "steps " + ", ".join(str(t + 1) for t in steps))
        off.append(f"dx is off at {where}")
    if not _close(dh0, want_dh0, BACKWARD_TOL):
        off.append("dh0 is zero" if not np.any(dh0) else "dh0 is off")
    off += [f"grads[{k!r}] is off" for k in PARAM_KEYS
            if np.shape(grads[k]) == want[k].shape and not _close(grads[k], want[k], BACKWARD_TOL)]
    return off


def judge_diagnosis(calls, results, labels):
    """Each call's label is the mistake whose outputs it was given."""
    for call, result, label in zip(calls, results, labels):
        got = own_output(result)
        expect(isinstance(got, str) and got in LABELS,
               f"expected {DIAGNOSE} to return one of {', '.join(map(repr, LABELS))}; got "
               + (repr(got)[:40] if isinstance(got, str) else describe_value(got)))
        if got != label:
            N, T = call.args[0].shape[:2]
            off = symptoms(call.args)
            what = ("that are right (every array within 1e-8 of BPTT's)" if not off
                    else "where " + "; ".join(off))
            raise CheckFailed(f"said {got!r} for outputs (N = {N}, T = {T}) {what}")


def diagnosis_test(test_id, name, cases, points=1, hidden=False):
    """A test of ``diagnose_bptt``: one call per ``(N, T, D, H, seed, label)``."""
    calls = tuple(Call(DIAGNOSE, broken_outputs(*case)) for case in cases)
    labels = tuple(LABEL_OF.get(case[-1], case[-1]) for case in cases)
    return Test(test_id, DIAGNOSE, name, points, calls, partial(judge_diagnosis, labels=labels), hidden)


# --------------------------------------------------------------------------- Part 3

def spectral_radius(M):
    """The largest absolute value of an eigenvalue of ``M``."""
    return float(np.abs(np.linalg.eigvals(M)).max())


def reference_decay(weight_hh, h_star, mistake=None):
    """The factor per step far from the loss at the fixed point ``h*``, or a usual mistake's.

    At ``h*`` every step's Jacobian is ``J = diag(1 - h*^2) W_hh``, so ``delta_{T-k} =
    delta_T J^k``, whose norm grows or shrinks like ``rho(J)^k``.
    """
    s = 1 - h_star ** 2
    if mistake == "sigma_max":
        return float(np.linalg.norm(weight_hh, 2))
    if mistake == "sigma_max_jacobian":
        return float(np.linalg.norm(s[:, None] * weight_hh, 2))
    if mistake == "slopes_ignored":
        return spectral_radius(weight_hh)
    if mistake == "rms_slope":
        return spectral_radius(weight_hh) * float(np.sqrt(np.mean(s ** 2)))
    if mistake == "mean_slope":
        return spectral_radius(weight_hh) * float(np.mean(s))
    if mistake == "radii_multiplied":
        return spectral_radius(weight_hh) * float(s.max())
    if mistake in ("real_part", "abs_real_part"):
        real = np.linalg.eigvals(s[:, None] * weight_hh).real
        return float(real.max() if mistake == "real_part" else np.abs(real).max())
    if mistake == "slope_at_h":
        s = 1 - np.tanh(h_star) ** 2
    elif mistake == "slope_not_squared":
        s = 1 - np.abs(h_star)
    return spectral_radius(s[:, None] * weight_hh)


REAL_PART_HINT = ("that is the largest real part of an eigenvalue: a complex eigenvalue turns the row as well as "
                  "scaling it; by how much does it scale it?")
DECAY_MISTAKES = {
    "sigma_max": "that is sigma_max(W_hh), the rate of the bound: an upper bound, not the rate",
    "sigma_max_jacobian": "that is the Jacobian's largest singular value, which bounds one step; many steps "
                          "follow another property of the matrix",
    "slopes_ignored": "that is rho(W_hh) alone: at h* each step also scales unit i by tanh's slope there",
    "rms_slope": "that is rho(W_hh) times the root mean square slope, chapter 2's rule of thumb for random "
                 "networks ({off}); at a fixed point every step multiplies by the same matrix",
    "mean_slope": "that is rho(W_hh) times the mean slope ({off}); at a fixed point every step multiplies by the "
                  "same matrix",
    "radii_multiplied": "that is rho(W_hh) times the largest slope: the spectral radius of a product is not the "
                        "product of the spectral radii",
    "real_part": REAL_PART_HINT,
    "abs_real_part": REAL_PART_HINT,
    "slope_at_h": "the slope is taken at a = h*: h* is already tanh(a), so the slope is written with h*",
    "slope_not_squared": "the slopes are 1 - |h*|: tanh' = 1 - tanh^2",
}


def judge_decay(calls, results):
    """The returned factor equals :func:`reference_decay`; a usual formula is named."""
    weight_hh, h_star = calls[0].args
    got = own_output(results[0])
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(()).item()
    if isinstance(got, np.generic):
        got = got.item()
    if isinstance(got, Complex) and not isinstance(got, Real):
        raise CheckFailed(f"{DECAY} returned the complex number {got:.3g}: the factor per step is a size, "
                          "a real number")
    expect(isinstance(got, Real) and not isinstance(got, bool),
           f"expected {DECAY} to return a number, got {describe_value(got)}")
    want = reference_decay(weight_hh, h_star)
    expect(np.isfinite(got), f"{DECAY} returned {got}")
    if abs(got - want) <= DECAY_TOL * want:
        return
    for mistake, hint in DECAY_MISTAKES.items():
        value = reference_decay(weight_hh, h_star, mistake)
        if abs(got - value) <= DECAY_TOL * abs(value):
            raise CheckFailed(hint.format(off=f"{abs(got / want - 1):.0%} off here"))
    if abs(got / want - 1) < NEAR:
        raise CheckFailed(f"close, {abs(got / want - 1):.1g} off in relative terms, but not the limit: an "
                          "estimate over finitely many steps converges slowly; exactly how does the norm of a "
                          "row times the k-th power of one matrix grow with k?")
    raise CheckFailed(f"the factor is off by a factor {got / want:.3g}: what does one step back do to a row "
                      "vector at h*, and what do many such steps do?")


def decay_case(kind, H, seed):
    """``(weight_hh, h_star)``: a random Gaussian ``W_hh`` with ``h* = 0`` (``"linear"``) or
    random (``"random"``), or a ``W_hh`` whose large eigenvalues live on saturated units
    (``"saturated"``: units 0 and 1 feed only each other, with ``rho`` 1.8, and sit at
    ``|h*| > 0.95``; the other units, near 0, keep a loop of radius 0.75)."""
    rng = np.random.default_rng(seed)
    if kind == "saturated":
        angle = 0.5
        A = 1.8 * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        C = rng.standard_normal((H - 2, H - 2))
        C *= 0.75 / spectral_radius(C)
        W = np.zeros((H, H))
        W[:2, :2], W[2:, 2:], W[2:, :2] = A, C, rng.standard_normal((H - 2, 2))
        h_star = np.concatenate([[0.97, -0.96], rng.uniform(-0.2, 0.2, H - 2)])
        return W, h_star
    W = rng.standard_normal((H, H)) / np.sqrt(H)
    h_star = np.zeros(H) if kind == "linear" else rng.uniform(-0.9, 0.9, H)
    return W, h_star


def decay_test(test_id, name, kind, H, seed, hidden=False):
    return Test(test_id, DECAY, name, 1, (Call(DECAY, decay_case(kind, H, seed)),), judge_decay, hidden)


# --------------------------------------------------------------------------- Part 4

def rescaled(weight_hh, rho):
    """``weight_hh`` scaled to the spectral radius ``rho``."""
    return weight_hh * (rho / spectral_radius(weight_hh))


def gradient_ratio(weight_hh, weight_ih, x, u):
    """Geometric mean over the sequences of ``||dL/dh_0||`` for ``L = h_T u_n^T`` (unit rows
    ``u``), ``h_0 = 0`` and no biases: how much of the loss's gradient reaches the first state."""
    N, T, _ = x.shape
    h_t, states = np.zeros((N, weight_hh.shape[0])), []
    for t in range(T):
        h_t = np.tanh(x[:, t] @ weight_ih.T + h_t @ weight_hh.T)
        states.append(h_t)
    delta = u                                                        # dL/dh_T
    for t in range(T - 1, -1, -1):
        delta = (delta * (1 - states[t] ** 2)) @ weight_hh             # dL/dh_{t-1}
    return float(np.exp(np.mean(np.log(np.linalg.norm(delta, axis=1)))))


def radius_instance(seed, H, D, T, scale, N=32, N_test=64):
    """``(weight_hh, weight_ih, x)`` for the learner, and the grader's ``(x_test, u)``."""
    rng = np.random.default_rng(seed)
    weight_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    weight_ih = rng.standard_normal((H, D)) / np.sqrt(D)
    x = scale * rng.standard_normal((N, T, D))
    x_test = scale * rng.standard_normal((N_test, T, D))
    u = rng.standard_normal((N_test, H))
    return (weight_hh, weight_ih, x), (x_test, u / np.linalg.norm(u, axis=1, keepdims=True))


def judge_radius(calls, results, held_out):
    """With ``weight_hh`` rescaled to the returned radius, the gradient that reaches ``h_0``
    on the held-out sequences is 0.1 to 10 times the loss's."""
    weight_hh, weight_ih, x = calls[0].args
    got = own_output(results[0])
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(()).item()
    if isinstance(got, np.generic):
        got = got.item()
    expect(isinstance(got, Real) and not isinstance(got, bool) and np.isfinite(got) and got > 0,
           f"expected {RADIUS} to return a spectral radius, a positive number, got "
           + (f"{got}" if isinstance(got, Real) else describe_value(got)))
    x_test, u = held_out
    ratio = gradient_ratio(rescaled(weight_hh, got), weight_ih, x_test, u)
    if RATIO_LOW <= ratio <= RATIO_HIGH:
        return
    where = f"inputs of size {np.std(x):.1g}, T = {x.shape[1]}: with rho = {got:.3g}"
    bound = spectral_radius(weight_hh) / np.linalg.norm(weight_hh, 2)
    if abs(got - 1) < 1e-6:
        raise CheckFailed(f"{where}, dL/dh_0 is {ratio:.0e} of the loss's gradient: rho = 1 is the edge only "
                          "where every slope is 1; measure the gradient for several radii and choose")
    if abs(got - bound) < 1e-6 * bound:
        raise CheckFailed(f"{where} (sigma_max = 1), dL/dh_0 is {ratio:.0e} of the loss's gradient: the bound "
                          "then makes it vanish")
    trend = "vanishes" if ratio < RATIO_LOW else "explodes"
    as_sigma = gradient_ratio(weight_hh * (got / np.linalg.norm(weight_hh, 2)), weight_ih, x_test, u)
    if 1 / 3 <= as_sigma <= 3:                  # aimed at 1, with rho taken as sigma_max
        raise CheckFailed(f"{where}, dL/dh_0 is {ratio:.1e} of the loss's gradient: it {trend}; with weight_hh "
                          f"scaled to a largest singular value of {got:.3g} it would be {as_sigma:.2g}, but the "
                          "grader rescales it to a spectral radius of rho")
    raise CheckFailed(f"{where}, dL/dh_0 is {ratio:.1e} of the loss's gradient on the grader's sequences: it "
                      f"{trend}; aim for about 1")


def radius_test(test_id, name, seed, T, scale, points=1, hidden=False):
    args, held_out = radius_instance(seed, 32, 4, T, scale)
    return Test(test_id, RADIUS, name, points, (Call(RADIUS, args),), partial(judge_radius, held_out=held_out),
                hidden)


# --------------------------------------------------------------------------- tests

RUBRIC = Rubric(
    exercise="ex03_bptt",
    signatures=SIGNATURES,
    tests=(
        backward_test("bwd_one_step", "every gradient for a sequence of one step (T=1)", ALL, 2, 1, 3, 4, seed=11),
        backward_test("bwd_dx_dh0", "dx and dh0 (N=3, T=5, D=4, H=6)", ("dx", "dh0"), 3, 5, 4, 6, seed=10),
        backward_test("bwd_weights", "grads of the weights and biases (N=3, T=5)", PARAM_KEYS, 3, 5, 4, 6, seed=10),
        backward_test("bwd_long", "every gradient for one long sequence (N=1, T=12)", ALL, 1, 12, 2, 3, seed=12,
                      hidden=True),
        diagnosis_test("diag_clean", "three backward passes (N=3, T=5, D=4, H=6)",
                       ((3, 5, 4, 6, 20, "ok"), (3, 5, 4, 6, 21, "no_dh0"), (3, 5, 4, 6, 22, "bias_one_axis"))),
        diagnosis_test("diag_carry", "two backward passes (N=2; T=6, T=1)",
                       ((2, 6, 3, 5, 23, "no_carry"), (2, 1, 3, 5, 24, "ok"))),
        diagnosis_test("diag_slope", "one backward pass (N=3, T=5, D=4, H=6)",
                       ((3, 5, 4, 6, 25, "slope_one_step_early"),)),
        diagnosis_test("diag_recursion", "two more backward passes (N=3, T=5)",
                       ((3, 5, 4, 6, 26, "transposed"), (3, 5, 4, 6, 27, "h_t_for_h_prev"))),
        diagnosis_test("diag_hidden", "seven backward passes, one per label (N=2, T=7)",
                       tuple((2, 7, 2, 3, 30 + i, "bias_over_time" if label == "bias_one_axis" else label)
                             for i, label in enumerate(LABELS)), hidden=True),
        decay_test("decay_linear", "h* = 0: every slope 1", "linear", 5, seed=40),
        decay_test("decay_fixed_point", "h* random: slopes below 1", "random", 6, seed=41),
        decay_test("decay_saturated", "the loop of largest rho on saturated units", "saturated", 6, seed=42),
        decay_test("decay_hidden", "h* random, H = 8", "random", 8, seed=43, hidden=True),
        radius_test("radius_small", "inputs of size 0.1, T = 50", 40, 50, 0.1),
        radius_test("radius_large", "inputs of size 1, T = 50", 41, 50, 1.0, points=2),
        radius_test("radius_short", "inputs of size 0.3, T = 20", 43, 20, 0.3),
        radius_test("radius_hidden", "inputs of size 0.5, T = 30", 44, 30, 0.5, hidden=True),
    ),
    answers=(Answer("question-t1", "why T = 1 hides a missing carry, and what it shows"),
             Answer("question-decay", "the factor per step: derivation, measurement, rules of thumb"),
             Answer("question-radius", "the radii chosen, defended by the measurement")),
)
