"""Rubric of exercise 8, the GRU: 20 points in five parts.

- Part 1, ``gru_step_forward`` (3 points, one hidden): ``h_next`` compared with
  :func:`reference_step` (torch's gate order ``r, z, n``, reset gate after the recurrent
  product, bias included, ``h' = (1 - z) n + z h``), which equals
  :func:`course_pkg.gru.gru_step_forward`. A wrong ``h_next`` is named by its values
  (:data:`FORWARD_MISTAKES`): the paper's reset placement, ``b_hn`` outside the reset gate,
  the blend the other way round, or the blocks read in another order (the hint says which
  gate was read from which rows).
- Part 2, ``gru_step_backward`` (7 points, one hidden), tested with the cache that the
  learner's own ``gru_step_forward`` returned (whatever its layout), each gradient in float64
  against :func:`reference_backward` (equal to course_pkg's and to centred differences:
  ``tests/test_rubric_ex08.py``). A wrong gradient is named by its values
  (:data:`BACKWARD_MISTAKES`: the factor ``r`` of the recurrent candidate block missing, the
  direct road ``z * dh`` missing, ``dL/dz`` with its sign flipped, the other blend's
  derivatives, a missing sigmoid or tanh derivative); otherwise the hint of a ``(3H, .)``
  gradient says which of its blocks ``r, z, n`` are off.
- Part 3, ``probe_step()`` (3 points): the learner designs one step, ``N = H = 1``, on which
  every usual mistake of Part 1 moves ``h_next`` by at least :data:`PROBE_GAP` from torch's
  (a test that catches them, as the grader's own tests must). One test for the reset
  placements (the paper's, ``b_hn`` outside ``r``), one for the blend, one for the five other
  block orders. The worked example of Part 1 (zero weights) catches none.
- Part 4, ``adding_gru()`` (4 points, one hidden): GRU weights set by hand, with a linear
  readout ``y = h_T W_hy^T + b_hy`` from ``h_0 = 0``, that solve the adding problem: an MSE
  below :data:`ADDER_MSE` (the mean predictor's is 1/6) at ``T = 30`` (2 points), at ``T =
  300`` (a state kept over long gaps) and, hidden, with the two marks anywhere (adjacent
  ones included) at ``T = 60``. A failing design is named by what it computes
  (:func:`adder_hint`): weights that add in the other blend convention or in another block
  order, a sum that leaks over long gaps, every value added, a state that takes in the
  unmarked values (the sequences rerun with those set to 0 pass), the right sum under a
  wrong readout, the last or the first marked value alone; otherwise the best line
  ``a u1 + b u2 + c`` through the answers, against ``u1 + u2``.
- Part 5, ``train_lstm(data, seed)`` (3 points, one hidden): the learner's choice of
  hyper-parameters, so that an LSTM with at most :data:`LSTM_BUDGET` parameters in its layer
  (the GRU's at ``H = 16``, as chapter 8 counts them: ``G (HD + H^2 + 2H)``) reaches a test
  MSE below :data:`LSTM_TARGET` on the adding problem at ``T = 30``, where chapter 8's fixed
  five-epoch budget left it at the mean predictor's error. The judge loads the returned
  ``state_dict`` into a :class:`course_pkg.heads.SequenceClassifier` around a
  :class:`course_pkg.lstm.LSTM` and scores it on 1,000 test sequences (seed 102) that the
  learner's process never receives. Seed 0 public (2 points), seed 2 hidden.

Part 5's threshold, measured with the solution's choice (H = 13, 884 parameters, Adam at
0.03, batches of 16, clipped at norm 1, epochs until the validation MSE falls below 0.005,
at most 30): over seeds 0-9 and the OpenBLAS kernels Haswell, SkylakeX and Prescott it
stopped after 6-17 epochs (the same count on every kernel; seed 0: 11, seed 2: 8) with a
test MSE of 0.0027-0.0054, against :data:`LSTM_TARGET` = 0.02; one training took 0.7-2.1 s
of CPU. ``check_seconds`` gives each call 10 s of wall time, as the grader does: at a load
of 8 on the two cores a seed-0 training took 3.1 s, but with three trainings run side by
side (load 6-10) 11-12 s, and seed 2 8.4-8.7 s. The hidden seed, 2, is one of the faster (8
epochs, to keep the grader's time); every seed of 0-9 passes with a margin of 3.7 or more.
Chapter 8's recipe with five epochs (H = 13, Adam at 0.02, batches of 32) left it at a test
MSE of 0.176-0.191 (seeds 0-9, every kernel), no better than the mean predictor. Parts 1-4
train nothing: their values are exact (float64) and the same on every kernel; the solution's
adder scores an MSE of about 6e-5 against the bar 0.01, and its probe moves every mistake's
``h_next`` by 0.74 or more against the bar 0.5.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex08.py``
grades each of them, with its hint); out of 20: the paper's reset placement, ``b_hn``
outside ``r``, or the blocks read in the order ``z, r, n``, lose Part 1 and, through the
cache, Part 2: 10; the blend the other way round loses Part 1 only, 17; in the backward
step, ``b_hn`` given ``b_in``'s gradient: 18; the direct road missing: 18; the factor ``r``
missing in the recurrent n block: 16; ``dL/dz`` with its sign flipped: 13; half of ``r``'s
sigmoid derivative: 13 (the hint names the r block); a probe with zero weights (the worked
example) or random ones: 17; a probe with ``r`` near 1, or with ``z = 1/2``: 18; a probe
whose one unit gets its recurrent n term from ``W_hn`` with ``b_hn = 0`` (with one unit,
every placement of ``r`` then gives the same candidate): 19; an adder written in Chung's
blend convention (``z`` near 0 keeps), or with its ``r`` and ``z`` rows swapped, or read out
at the wrong scale: 16; a leaky update gate (``z = sigmoid(5)`` off the marks, fine at
``T = 30``): 18; an update gate at ``sigmoid(3) = 0.95`` off the marks (chapter 8's trained
units keep ``z`` above 0.9), which leaks at ``T = 30`` already: 16; a candidate that does
not see the state (the last marked value alone), or sees half of it (``r = 1/2``): 16; an LSTM
trained with chapter 8's five epochs: 17; one with ``H = 14`` (1,008 parameters, the count
without biases 896): 17.

Of the 20 points, 14 (:data:`UNDERSTANDING`) need understanding rather than a careful
reading of chapter 8: the backward step (a derivation, 7: the chapter shows none of it; its
gradient-check cell calls ``cp.gru_step_backward`` and links its documentation, not its code;
``course_pkg.gru``'s core computes the same gradients in place on stacked blocks, which
neither the chapter nor the notebook points to; the chapter's hints give ``dL/dn`` and
``dL/dz``, the question the order of the steps, and the factors through the reset gate's
product are left to derive), the probe (a design that needs where each convention changes
``h_next``, 3) and the adder (a design of the gates, 4). The other 6 test what the chapter
shows: the forward step (its corrected cell, 3) and the LSTM on a budget (3): the chapter
gives the count ``G (HD + H^2 + 2H)`` and trains its LSTM on until solved, and that recipe
(Adam at 0.02, batches of 32, until the validation MSE falls below 0.01, at most 30 epochs)
with ``H = 13`` passes on seeds 0-9 and the three kernels (11-30 epochs, test MSE
0.0051-0.0142, 0.6-1.9 s of CPU). Written answers are read by hand.

Four tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, items, judge_beside_forward, own_output,
                                       returned_state_dict)
from course_pkg.grading.wire import Ref

FORWARD, BACKWARD, PROBE = "gru_step_forward", "gru_step_backward", "probe_step"
ADDER, TRAIN = "adding_gru", "train_lstm"
SIGNATURES = {FORWARD: ("x", "h_prev", "params"), BACKWARD: ("dh_next", "cache"), PROBE: (),
              ADDER: (), TRAIN: ("data", "seed")}
FORWARD_TOL, BACKWARD_TOL = 1e-9, 1e-8
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
SHAPES = {"h_next": "(N, H)", "dx": "(N, D)", "dh_prev": "(N, H)", "weight_ih": "(3H, D)",
          "weight_hh": "(3H, H)", "bias_ih": "(3H,)", "bias_hh": "(3H,)"}
GATES = "rzn"                          # torch's order of the blocks of 3H rows
ORDERS = ("zrn", "rnz", "nzr", "znr", "nrz")      # the other orders a step may read them in
PROBE_GAP = 0.5                        # how far each mistake must move the probe's h_next
ADDER_MSE = 0.01                       # the adder's bar; the mean predictor scores 1/6
LSTM_BUDGET = 960                      # parameters of the LSTM layer: the GRU's at H = 16
LSTM_TARGET = 0.02                     # test MSE (the solution: 0.0041-0.0054)
T_ADD = 30
UNDERSTANDING = frozenset({"dx", "dh_prev", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh",
                           "backward_one", "probe_reset", "probe_blend", "probe_order", "adder_short",
                           "adder_long", "adder_anywhere"})


def sigmoid(a):
    """The logistic function, without overflow warnings for large ``|a|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def rows(H, order=GATES):
    """``{gate: slice of rows}`` when the blocks of ``3H`` rows are read in ``order``."""
    return {g: slice(k * H, (k + 1) * H) for k, g in enumerate(order)}


def rows_name(k):
    """The rows of block ``k`` in symbols: ``"0:H"``, ``"H:2H"``, ``"2H:3H"``."""
    return ("0:H", "H:2H", "2H:3H")[k]


def as_params(params):
    """The four arrays of ``params`` in float64."""
    return tuple(np.asarray(params[k], dtype=np.float64) for k in PARAM_KEYS)


def reference_step(x, h_prev, params, variant=None):
    """``h_next`` of one GRU step in torch's convention, or what a usual mistake computes.

    Variants: ``"paper"`` (``(r h) W_hn^T + b_hn``, Cho et al.), ``"bhn_outside"``
    (``r (h W_hn^T) + b_hn``), ``"blend"`` (``z n + (1 - z) h``), or an order of
    :data:`ORDERS` (the gates read from the blocks in that order: ``"zrn"`` reads ``z`` from
    rows ``0:H`` and ``r`` from rows ``H:2H``).
    """
    x, h_prev = np.asarray(x, np.float64), np.asarray(h_prev, np.float64)
    W_ih, W_hh, b_ih, b_hh = as_params(params)
    block = rows(h_prev.shape[1], variant if variant in ORDERS else GATES)
    xw = x @ W_ih.T + b_ih                                   # (N, 3H)
    hw = h_prev @ W_hh.T + b_hh                              # (N, 3H)
    r = sigmoid(xw[:, block["r"]] + hw[:, block["r"]])
    z = sigmoid(xw[:, block["z"]] + hw[:, block["z"]])
    n_rows = block["n"]
    if variant == "paper":
        recurrent = (r * h_prev) @ W_hh[n_rows].T + b_hh[n_rows]
    elif variant == "bhn_outside":
        recurrent = r * (h_prev @ W_hh[n_rows].T) + b_hh[n_rows]
    else:
        recurrent = r * hw[:, n_rows]
    n = np.tanh(xw[:, n_rows] + recurrent)
    if variant == "blend":
        return z * n + (1 - z) * h_prev
    return (1 - z) * n + z * h_prev


def order_hint(order):
    """Which gate the step read from which rows, for the blocks read in ``order``."""
    wrong = [f"{g} from rows {rows_name(k)}" for k, g in enumerate(order) if GATES[k] != g]
    return (f"values of a step that reads {', '.join(wrong)} (the order {', '.join(order)}): "
            "the blocks of 3H rows of every weight and bias are r, z, n, in that order")


FORWARD_MISTAKES = {
    "paper": "values of the paper's reset placement, r applied to h_prev before the product "
             "with W_hn: torch applies r after that product, bias included",
    "bhn_outside": "values of r * (h_prev W_hn^T) + b_hn: in torch's candidate the bias b_hn "
                   "is inside the reset gate's product",
    "blend": "values of the blend the other way round, z on the candidate: in torch's "
             "convention z weights h_prev (z near 1 keeps the state)",
    **{order: order_hint(order) for order in ORDERS},
}


def forward_hint(x, h_prev, params, got):
    """The hint of the usual mistake whose values ``got`` are, or ``None``."""
    for variant, hint in FORWARD_MISTAKES.items():
        if rel_error(got, reference_step(x, h_prev, params, variant)) < FORWARD_TOL:
            return hint
    return None


def as_float(value):
    """``value`` as a float64 array, or ``None`` if it is not an array of numbers."""
    if isinstance(value, (dict, str)) or value is None:
        return None
    try:
        arr = np.asarray(value)
        return arr.astype(np.float64) if arr.dtype.kind in "biuf" else None
    except (TypeError, ValueError):
        return None


def reference_backward(dh_next, x, h_prev, params, variant=None):
    """``{"dx", "dh_prev", "weight_ih", ...}`` of torch's GRU step, or of a usual mistake.

    Variants (:data:`BACKWARD_MISTAKES`): ``"no_r_hh"`` (the recurrent n block without the
    factor ``r``), ``"no_direct"`` (``dh_prev`` without ``z * dh``), ``"dz_sign"``
    (``dL/dz = dh (n - h)``), ``"blend"`` (the derivatives of ``z n + (1 - z) h``),
    ``"no_sigmoid"`` and ``"no_tanh"`` (a derivative left out).
    """
    dh, x, h_prev = (np.asarray(a, np.float64) for a in (dh_next, x, h_prev))
    W_ih, W_hh, b_ih, b_hh = as_params(params)
    H = h_prev.shape[1]
    xw, hw = x @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
    r = sigmoid(xw[:, :H] + hw[:, :H])
    z = sigmoid(xw[:, H:2 * H] + hw[:, H:2 * H])
    hn = hw[:, 2 * H:]                                       # h W_hn^T + b_hn
    n = np.tanh(xw[:, 2 * H:] + r * hn)
    if variant == "blend":
        dn, dz, direct = dh * z, dh * (n - h_prev), dh * (1 - z)
    else:
        dn, dz, direct = dh * (1 - z), dh * (h_prev - n), dh * z
    if variant == "dz_sign":
        dz = -dz
    if variant == "no_direct":
        direct = np.zeros_like(dh)
    da_n = dn if variant == "no_tanh" else dn * (1 - n * n)
    da_r, da_z = da_n * hn, dz
    if variant != "no_sigmoid":
        da_r, da_z = da_r * r * (1 - r), da_z * z * (1 - z)
    dxw = np.concatenate([da_r, da_z, da_n], axis=1)                            # (N, 3H)
    dhw = np.concatenate([da_r, da_z, da_n if variant == "no_r_hh" else da_n * r], axis=1)
    return {"dx": dxw @ W_ih, "dh_prev": direct + dhw @ W_hh, "weight_ih": dxw.T @ x,
            "weight_hh": dhw.T @ h_prev, "bias_ih": dxw.sum(axis=0), "bias_hh": dhw.sum(axis=0)}


BACKWARD_MISTAKES = {
    "no_r_hh": "the recurrent n block lacks a factor: in the candidate, h_prev W_hn^T + b_hn "
               "reaches the tanh only through the reset gate's product",
    "no_direct": "the road straight through the blend, z * h_prev, is missing: h_prev reaches "
                 "h_next by four roads",
    "dz_sign": "the update gate's gradient has its sign flipped: differentiate "
               "(1 - z) n + z h_prev with respect to z",
    "blend": "these are the derivatives of the other blend, z n + (1 - z) h_prev: torch's "
             "puts z on h_prev",
    "no_sigmoid": "the sigmoid's derivative is missing: r and z are sigmoids of their "
                  "pre-activations",
    "no_tanh": "the tanh's derivative is missing: n is the tanh of its pre-activation",
}


def block_hint(label, got, want):
    """For a ``(3H, ...)`` gradient: which of its blocks r, z, n are off."""
    H = want.shape[0] // 3
    off = [k for k in range(3) if rel_error(got[k * H:(k + 1) * H], want[k * H:(k + 1) * H]) >= BACKWARD_TOL]
    by = f"off by up to {np.abs(got - want).max():.2g}"
    if len(off) == 3:
        return f"{label}: all three blocks (r, z and n) are {by}"
    right = [GATES[k] for k in range(3) if k not in off]
    gates = " and ".join(GATES[k] for k in off)
    where = ", ".join(rows_name(k) for k in off)
    return (f"{label}: the {gates} block{'s' if len(off) > 1 else ''} (rows {where}) "
            f"{'are' if len(off) > 1 else 'is'} {by}; the {' and '.join(right)} "
            f"block{'s are' if len(right) > 1 else ' is'} right")


def gradient_hint(label, name, got, want, args):
    """The hint for a gradient of the right shape whose values are wrong."""
    for variant, hint in BACKWARD_MISTAKES.items():
        if rel_error(got, reference_backward(*args, variant)[name]) < BACKWARD_TOL:
            return f"{label}: {hint}"
    if name in PARAM_KEYS:
        return block_hint(label, got, want)
    return None


# --------------------------------------------------------------------------- judges, Parts 1-2

def judge_forward(calls, results):
    """``h_next`` of the learner's forward equals the reference's; a usual mistake is named."""
    x, h_prev, params = calls[0].args
    h_next = own_output(results[0], 2)[0]
    want = reference_step(x, h_prev, params)
    got = as_float(h_next)
    if got is not None and got.shape == want.shape and np.isfinite(got).all() \
            and rel_error(got, want) >= FORWARD_TOL:
        hint = forward_hint(x, h_prev, params, got)
        if hint:
            raise CheckFailed(f"h_next: {hint}")
    compare_array("h_next", h_next, want, SHAPES["h_next"], FORWARD_TOL)


def check_gradients(calls, results, names):
    """The named gradients of the learner's backward, against :func:`reference_backward`."""
    x, h_prev, params = calls[0].args
    dh_next = calls[1].args[0]
    dx, dh_prev, grads = own_output(results[1], 3)
    returned_arrays = {"dx": dx, "dh_prev": dh_prev}
    want = reference_backward(dh_next, x, h_prev, params)
    expect(isinstance(grads, dict), f"expected grads to be a dict, got {describe_value(grads)}")
    for name in names:
        if name in returned_arrays:
            label, value = name, returned_arrays[name]
        else:
            expect(name in grads, f"grads has no key {name!r} (its keys: {sorted(map(str, grads))})")
            label, value = f"grads[{name!r}]", grads[name]
        got = as_float(value)
        if got is not None and got.shape == want[name].shape and np.isfinite(got).all() \
                and rel_error(got, want[name]) >= BACKWARD_TOL:
            hint = gradient_hint(label, name, got, want[name], (dh_next, x, h_prev, params))
            if hint:
                raise CheckFailed(hint)
        compare_array(label, value, want[name], SHAPES[name], BACKWARD_TOL)


def judge_backward(calls, results, names):
    """The named gradients; when the forward is wrong too, the hint says to fix it first."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, "Part 1", calls, results, names)


def make_inputs(N, D, H, seed):
    """Seeded float64 ``(x, h_prev, params, dh_next)``: every bias nonzero, ``h_prev`` in (-1, 1),
    so that each usual mistake changes the values."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    h_prev = rng.uniform(-1.0, 1.0, (N, H))
    params = {"weight_ih": rng.standard_normal((3 * H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((3 * H, H)) / np.sqrt(H),
              "bias_ih": 0.5 * rng.standard_normal(3 * H),
              "bias_hh": 0.5 * rng.standard_normal(3 * H)}
    return x, h_prev, params, rng.standard_normal((N, H))


def step_test(test_id, name, names=(), N=4, D=3, H=5, seed=10, hidden=False):
    """A forward test (no ``names``), or a test of the named gradients of the learner's backward
    fed with the cache of the learner's own forward."""
    x, h_prev, params, dh_next = make_inputs(N, D, H, seed)
    forward = Call(FORWARD, (x, h_prev, params))
    if not names:
        return Test(test_id, FORWARD, name, 1, (forward,), judge_forward, hidden)
    calls = (forward, Call(BACKWARD, (dh_next, Ref(0, 1))))
    return Test(test_id, BACKWARD, name, 1, calls, partial(judge_backward, names=names), hidden)


# --------------------------------------------------------------------------- Part 3: the probe

PROBE_GROUPS = {"reset": ("paper", "bhn_outside"), "blend": ("blend",), "order": ORDERS}
MISTAKE_NAMES = {"paper": "the paper's reset placement", "bhn_outside": "b_hn outside r",
                 "blend": "the blend the other way round",
                 **{o: f"the order {', '.join(o)}" for o in ORDERS}}
PROBE_QUESTION = {
    "reset": "where do the three candidates differ, and what must r and b_hn be for that to "
             "reach h_next?",
    "blend": "what must z and n - h_prev be for the two blends to differ?",
    "order": "each block must make its gate act differently from the other two",
}


def probe_arrays(value):
    """The learner's probe ``(x, h_prev, params)``, checked: ``N = H = 1``, ``|h_prev| < 1``."""
    x, h_prev, params = items(value, 3, PROBE)
    x, h_prev = as_float(x), as_float(h_prev)
    expect(x is not None and x.ndim == 2 and x.shape[0] == 1 and x.shape[1] >= 1,
           f"expected x to be an array of shape (1, D), got {describe_value(value[0])}"
           + (f" of shape {x.shape}" if x is not None else ""))
    expect(h_prev is not None and h_prev.shape == (1, 1),
           f"expected h_prev to be an array of shape (1, 1): one example of one unit, got "
           f"{describe_value(value[1])}" + (f" of shape {h_prev.shape}" if h_prev is not None else ""))
    expect(np.isfinite(x).all() and np.isfinite(h_prev).all() and abs(h_prev[0, 0]) < 1,
           "expected h_prev in (-1, 1), a state a GRU can reach, and finite numbers")
    expect(isinstance(params, dict) and all(k in params for k in PARAM_KEYS),
           f"expected params to be a dict with the keys {list(PARAM_KEYS)}, got "
           f"{describe_value(params)}")
    D = x.shape[1]
    shapes = {"weight_ih": (3, D), "weight_hh": (3, 1), "bias_ih": (3,), "bias_hh": (3,)}
    arrays = {}
    for key, shape in shapes.items():
        arr = as_float(params[key])
        expect(arr is not None and arr.shape == shape and np.isfinite(arr).all(),
               f"expected params[{key!r}] to be a finite array of shape {shape} (H = 1, D = {D}), "
               f"got {describe_value(params[key])}" + (f" of shape {arr.shape}" if arr is not None else ""))
        arrays[key] = arr
    return x, h_prev, arrays


def probe_gaps(x, h_prev, params, variants):
    """``{variant: largest |h_next - torch's h_next|}`` on the probe."""
    right = reference_step(x, h_prev, params)
    return {v: float(np.abs(reference_step(x, h_prev, params, v) - right).max()) for v in variants}


def judge_probe(calls, results, group):
    """Every mistake of ``group`` moves the probe's ``h_next`` by at least :data:`PROBE_GAP`."""
    x, h_prev, params = probe_arrays(own_output(results[0]))
    gaps = probe_gaps(x, h_prev, params, PROBE_GROUPS[group])
    missed = {v: g for v, g in gaps.items() if not g >= PROBE_GAP}
    if missed:
        said = [f"{MISTAKE_NAMES[v]} by {g:.2f}" for v, g in missed.items()]
        said[0] = said[0].replace(" by ", " moves h_next by only ", 1)
        raise CheckFailed(f"on your probe, {'; '.join(said)} (a test needs {PROBE_GAP}): "
                          f"{PROBE_QUESTION[group]}")


# --------------------------------------------------------------------------- Part 4: the adder

def adder_parts(value):
    """The learner's ``(params, weight_hy, bias_hy)``, checked: D = 2, any H up to 64."""
    params, w, b = items(value, 3, ADDER)
    expect(isinstance(params, dict) and all(k in params for k in PARAM_KEYS),
           f"expected params to be a dict with the keys {list(PARAM_KEYS)}, got {describe_value(params)}")
    w_hh = as_float(params["weight_hh"])
    expect(w_hh is not None and w_hh.ndim == 2 and w_hh.shape[0] == 3 * w_hh.shape[1]
           and 1 <= w_hh.shape[1] <= 64,
           f"expected params['weight_hh'] of shape (3H, H) with H from 1 to 64, got "
           f"{describe_value(params['weight_hh'])}" + (f" of shape {w_hh.shape}" if w_hh is not None else ""))
    H = w_hh.shape[1]
    shapes = {"weight_ih": (3 * H, 2), "weight_hh": (3 * H, H), "bias_ih": (3 * H,), "bias_hh": (3 * H,)}
    arrays = {}
    for key, shape in shapes.items():
        arr = as_float(params[key])
        expect(arr is not None and arr.shape == shape and np.isfinite(arr).all(),
               f"expected params[{key!r}] to be a finite array of shape {shape} (D = 2: value, "
               f"marker; H = {H}), got {describe_value(params[key])}"
               + (f" of shape {arr.shape}" if arr is not None else ""))
        arrays[key] = arr
    w, b = as_float(w), as_float(b)
    expect(w is not None and w.size == H and np.isfinite(w).all(),
           f"expected weight_hy of shape (1, H) = (1, {H}), got {describe_value(value[1])}"
           + (f" of shape {w.shape}" if w is not None else ""))
    expect(b is not None and b.size == 1 and np.isfinite(b).all(),
           f"expected bias_hy of shape (1,), got {describe_value(value[2])}"
           + (f" of shape {b.shape}" if b is not None else ""))
    return arrays, w.reshape(H), float(b.reshape(()))


def adder_data(T, n, seed, markers):
    """``(x (n, T, 2), y (n,))`` of :func:`course_pkg.data.adding_problem`."""
    from course_pkg.data import adding_problem
    return adding_problem(n, T=T, seed=seed, markers=markers)


def adder_predict(params, w, b, x, variant=None):
    """``h_T W_hy^T + b_hy`` from ``h_0 = 0``, every step as :func:`reference_step` computes it."""
    h = np.zeros((x.shape[0], len(w)))
    with np.errstate(all="ignore"):
        for t in range(x.shape[1]):
            h = reference_step(x[:, t], h, params, variant)
        return h @ w + b


def _corr(a, b):
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def adder_hint(params, w, b, T, n, seed, markers, pred, mse):
    """What a failing adder computes, named by its values."""
    x, y = adder_data(T, n, seed, markers)
    where = f"MSE {mse:.3g} at T = {T}"
    for variant in ("blend", *ORDERS):
        with np.errstate(all="ignore"):
            other = float(np.mean((adder_predict(params, w, b, x, variant) - y) ** 2))
        if other < ADDER_MSE:
            said = ("a GRU whose blend is the other way round, z on the candidate: in torch's, z near 1 "
                    "keeps h" if variant == "blend" else
                    f"a GRU that reads the blocks in the order {', '.join(variant)}: torch's rows are "
                    "r, z, n")
            return f"{where}; your weights add correctly in {said}"
    if T > T_ADD:
        short_x, short_y = adder_data(T_ADD, n, seed, markers)
        short = float(np.mean((adder_predict(params, w, b, short_x) - short_y) ** 2))
        if short < ADDER_MSE:
            return (f"{where} but {short:.2g} at T = {T_ADD}: the stored sum drifts over long gaps; at "
                    f"unmarked steps the state must be kept far more exactly")
    marked = x[..., 0] * x[..., 1]                           # (n, T): the marked values, else 0
    last = marked[np.arange(n), T - 1 - np.argmax(x[:, ::-1, 1], axis=1)]
    first = marked[np.arange(n), np.argmax(x[..., 1], axis=1)]
    if _corr(pred, x[..., 0].sum(axis=1)) > 0.9:
        return (f"{where}: your GRU adds every value, marked or not; at unmarked steps the state "
                "must be kept")
    quiet = np.stack([marked, x[..., 1]], axis=-1)           # the unmarked values set to 0
    with np.errstate(all="ignore"):
        quiet_mse = float(np.mean((adder_predict(params, w, b, quiet) - y) ** 2))
    if quiet_mse < ADDER_MSE and quiet_mse < mse / 4:
        return (f"{where} but {quiet_mse:.2g} with the values of the unmarked steps set to 0: "
                "your state takes those values in, where it must be kept far more exactly")
    if _corr(pred, y) > 0.99:
        return (f"{where}: your predictions follow the sum (correlation {_corr(pred, y):.3f}) but miss it: "
                f"look at the readout's scale and offset, and at how far the tanh bends the sum")
    if _corr(pred, last) > 0.9:
        return (f"{where}: your GRU answers with the last marked value alone; at the second mark "
                "the candidate must add to what the state holds")
    if _corr(pred, first) > 0.9:
        return f"{where}: your GRU answers with the first marked value alone; the second never enters"
    fit = np.linalg.lstsq(np.stack([first, last, np.ones(n)], axis=1), pred, rcond=None)[0]
    if np.isfinite(fit).all():
        return (f"{where}: the best line through your answers is {fit[0]:.2f} u1 + {fit[1]:.2f} u2 "
                f"+ {fit[2]:.2f}, u1 and u2 the first and the second marked value (the target: "
                "u1 + u2)")
    return f"{where}, needed below {ADDER_MSE} (the mean predictor scores 1/6)"


def judge_adder(calls, results, T, n, seed, markers):
    """The hand-set GRU's MSE on ``n`` sequences of length ``T`` is below :data:`ADDER_MSE`."""
    params, w, b = adder_parts(own_output(results[0]))
    x, y = adder_data(T, n, seed, markers)
    pred = adder_predict(params, w, b, x)
    mse = float(np.mean((pred - y) ** 2)) if np.isfinite(pred).all() else np.inf
    if not mse < ADDER_MSE:
        if not np.isfinite(pred).all():
            raise CheckFailed(f"at T = {T} the predictions hold NaN or infinite values")
        raise CheckFailed(adder_hint(params, w, b, T, n, seed, markers, pred, mse))


def adder_test(test_id, name, points, T, n, seed, markers="halves", hidden=False):
    judge = partial(judge_adder, T=T, n=n, seed=seed, markers=markers)
    return Test(test_id, ADDER, name, points, (Call(ADDER, ()),), judge, hidden)


# --------------------------------------------------------------------------- Part 5: the LSTM

def adding_data():
    """The notebook's ``DATA = (x, y, x_val, y_val)``, float32: the adding problem at T = 30."""
    from course_pkg.data import adding_problem
    x, y = adding_problem(1000, T=T_ADD, seed=100)
    x_val, y_val = adding_problem(500, T=T_ADD, seed=101)
    f32 = np.float32
    return x.astype(f32), y[:, None].astype(f32), x_val.astype(f32), y_val[:, None].astype(f32)


def lstm_count(D, H, biases=2):
    """``4 (HD + H^2 + biases H)``: an LSTM layer's parameters (two bias vectors in torch)."""
    return 4 * (H * D + H * H + biases * H)


LSTM_KEYS = ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight",
             "head.bias")


def lstm_test_mse(state):
    """The test MSE of the returned weights, on 1,000 sequences the learner never saw."""
    import course_pkg as cp
    from course_pkg.data import adding_problem
    H = state["rnn.weight_hh_l0"].shape[1]
    model = cp.SequenceClassifier(cp.LSTM(2, H, batch_first=True), 1)
    try:
        model.load_state_dict({k: np.asarray(v, np.float32) for k, v in state.items()})
    except (TypeError, ValueError) as err:
        raise CheckFailed(f"the returned state_dict does not load into a SequenceClassifier around "
                          f"one LSTM layer with {H} units and one output: {err}") from None
    x, y = adding_problem(1000, T=T_ADD, seed=102)
    pred = np.asarray(model.eval()(x.astype(np.float32)), np.float64)[:, 0]
    return float(np.mean((pred - y) ** 2)) if np.isfinite(pred).all() else np.inf


def judge_lstm(calls, results):
    """Within :data:`LSTM_BUDGET` parameters, a test MSE below :data:`LSTM_TARGET`."""
    state = returned_state_dict(own_output(results[0]), f"what {TRAIN} returns", LSTM_KEYS,
                                "a SequenceClassifier around cp.LSTM")
    expect(not any(k.endswith("_l1") for k in state), "expected one LSTM layer (num_layers = 1)")
    w_hh = state["rnn.weight_hh_l0"]
    H = w_hh.shape[1] if w_hh.ndim == 2 else 0
    expect(H >= 1 and w_hh.shape == (4 * H, H) and state["rnn.weight_ih_l0"].shape == (4 * H, 2),
           f"expected rnn.weight_hh_l0 of shape (4H, H) and rnn.weight_ih_l0 (4H, 2), got "
           f"{w_hh.shape} and {state['rnn.weight_ih_l0'].shape}")
    count = sum(int(np.size(state[k])) for k in LSTM_KEYS[:4])
    if count > LSTM_BUDGET:
        fewer = lstm_count(2, H, biases=0) <= LSTM_BUDGET or lstm_count(2, H, biases=1) <= LSTM_BUDGET
        raise CheckFailed(f"the LSTM layer (H = {H}) has {count:,} parameters, above the budget of "
                          f"{LSTM_BUDGET}" + (": count both bias vectors of every gate block too"
                                              if fewer else ""))
    mse = lstm_test_mse(state)
    if not mse < LSTM_TARGET:
        raise CheckFailed(
            f"test MSE {mse:.3f}, about the mean predictor's 1/6: the LSTM has not yet found the marked "
            f"steps (chapter 8 saw it wait at that level for many epochs)" if mse > 0.12 else
            f"test MSE {mse:.3f}, needed below {LSTM_TARGET}: it has found the marks but does not yet "
            f"add them precisely")


DATA = adding_data()

ALL = ("dx", "dh_prev") + PARAM_KEYS

RUBRIC = Rubric(
    exercise="ex08_gru",
    signatures=SIGNATURES,
    tests=(
        step_test("forward_batch", "h_next for a batch (N=4, D=3, H=5)", N=4, D=3, H=5, seed=1),
        step_test("forward_one", "h_next for one example (N=1, D=2, H=3)", N=1, D=2, H=3, seed=2),
        step_test("forward_square", "h_next with D = H (N=3, D=4, H=4)", N=3, D=4, H=4, seed=3,
                  hidden=True),
        step_test("dx", "dx", ("dx",)),
        step_test("dh_prev", "dh_prev", ("dh_prev",)),
        step_test("dweight_ih", "grads['weight_ih']", ("weight_ih",)),
        step_test("dweight_hh", "grads['weight_hh']", ("weight_hh",)),
        step_test("dbias_ih", "grads['bias_ih']", ("bias_ih",)),
        step_test("dbias_hh", "grads['bias_hh']", ("bias_hh",)),
        step_test("backward_one", "every gradient for one example (N=1, D=4, H=3)", ALL,
                  N=1, D=4, H=3, seed=11, hidden=True),
        Test("probe_reset", PROBE, "the probe catches both wrong reset placements", 1,
             (Call(PROBE, ()),), partial(judge_probe, group="reset")),
        Test("probe_blend", PROBE, "the probe catches the blend the other way round", 1,
             (Call(PROBE, ()),), partial(judge_probe, group="blend")),
        Test("probe_order", PROBE, "the probe catches the five other block orders", 1,
             (Call(PROBE, ()),), partial(judge_probe, group="order")),
        adder_test("adder_short", "the adder at T = 30: MSE below 0.01", 2, T=30, n=500, seed=7),
        adder_test("adder_long", "the adder at T = 300", 1, T=300, n=200, seed=8),
        adder_test("adder_anywhere", "the adder with the marks anywhere, T = 60", 1, T=60, n=500,
                   seed=9, markers="anywhere", hidden=True),
        Test("lstm_budget", TRAIN, "an LSTM of <= 960 parameters learns: test MSE < 0.02", 2,
             (Call(TRAIN, (DATA, 0)),), judge_lstm),
        Test("lstm_seed", TRAIN, "the same with another seed", 1, (Call(TRAIN, (DATA, 2)),), judge_lstm,
             hidden=True),
    ),
    answers=(Answer("question-probe", "why the zero test catches nothing; what each mistake needs"),
             Answer("question-adder", "the adder's gates, and how close to 1 z must be"),
             Answer("question-compare", "the LSTM given time: what chapter 8's comparison shows")),
    check_seconds=10.0,       # train_lstm trains: the solution's took 0.7-2.1 s of CPU
)
