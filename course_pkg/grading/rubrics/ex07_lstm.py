"""Rubric of exercise 7, the LSTM step and a memory for one bit: 19 points in three parts.

- Part 1, ``lstm_step_forward``: 4 points (one hidden); ``h_next`` and ``c_next`` compared with
  :func:`course_pkg.lstm.lstm_step_forward`.
- Part 2, ``lstm_step_backward``: 9 points (one hidden). The notebook gives the forward
  equations only: the gradient of the cell state, with its two roads (along the belt from step
  ``t + 1``, and through ``h_t = o * tanh(c_t)``), is the learner's to derive. The backward tests
  pass the cache that the learner's own ``lstm_step_forward`` returned (whatever its layout) to
  the learner's ``lstm_step_backward``; the gradients are compared with
  :func:`course_pkg.lstm.lstm_step_backward`, and one test compares all seven with float64
  centred differences of the reference forward step, taken here in the grader's process. Two
  tests set one incoming gradient to zero, so each road is tested alone.
- Part 3, ``bit_memory_params()``: 6 points (one hidden). The learner chooses the weights of an
  LSTM with ``D = 3`` inputs ``(bit, write, read)`` and ``H = 1`` unit so that, from
  ``h_0 = c_0 = 0``, at every read step ``h_t`` has the sign of the bit (+1 or -1) given at the
  latest write step, with ``|h_t| >= 0.5``, and ``|h_t| <= 0.1`` at every other step. The
  grader runs the cell (torch.nn.LSTM's equations, :func:`run_cell`, in its own process) with
  those weights on sequences it draws, with a bit at every step (the distractors), mostly
  random: one read 6 steps after the write; reads 100 to 390 steps after it (``T = 400``), in
  two of the eight sequences with every later bit the opposite of the stored one (the text's
  "whatever the bits of the other steps": an input gate that lets in 2.5e-3 of each distractor
  passes on random bits and fails there); a second write that must replace the first; quiet
  steps; hidden, random writes and reads over ``T = 300``. A weight set that fails is diagnosed
  from its gates (:func:`memory_hint`): blocks in another gate order, the bit not let in at a
  write, the distractors let in (with how far they moved ``c`` from what the forget gate kept
  of the bit: the cell state is linear in the steps' ``i * g``), the bit fading (with the
  forget gate's value and what is left after the gap), the old bit kept at a write, the output
  gate shut at a read or open elsewhere.

Of the 19 points, 15 (:data:`UNDERSTANDING`) need a derivation or a design choice: the backward
step with both roads into the cell state derived (9; the chapter shows the forward step and
the gradient along the belt alone; ``course_pkg.lstm``'s core runs the same backward
computation in place, and ``course_pkg.bench.naive_lstm_backward`` writes it plainly, but
neither chapter 7 nor the exercise shows or points to either: the chapter links
``lstm_step_backward``, whose page shows its docstring only), and the weights of the memory
cell (6), where each gate's role, the size of the forget-gate bias for a 400-step gap and how
shut the input gate must be against 390 distractors must be understood, then checked by
running. The other 4 test what the chapter shows: the forward step, which chapter 7 writes
for the seed's layout and ``course_pkg`` runs.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex07.py`` grades
each of them, with its hint); out of 19:

- the forward's blocks in CS231n's order ``i, f, o, g`` in both steps: 6 (Parts 1 and 2 lost;
  the forward hint names the order and which rows act as which gate, each backward hint says
  to fix the forward first); no tanh on ``c`` in both steps (``h = o * c``, and ``c`` where
  the backward needs ``tanh(c)``): 7 (the backward keeps the test whose ``dh_next`` is zero);
  a forward that adds the candidate without the input gate: 7 (likewise);
- a backward that forgets ``dc_next`` (one road into the cell state) keeps the test whose
  ``dc_next`` is zero: 11; one that forgets the road through ``h_t``, or the tanh's derivative
  on it, keeps the test whose ``dh_next`` is zero: 11; one that passes only ``dc_next`` on to
  ``dc_prev``: 15; one that stacks the gate gradients in the order ``i, f, o, g``: 11 (its
  ``dc_prev`` is right; the hint names the rows that hold another gate's gradient); one whose
  bias gradients are the batch's mean (1/N of the sum): 15; one that leaves
  ``grads['bias_hh']`` zero: 14;
- memory weights in CS231n's order: 13 (Part 3 lost, the hint names the order); a forget-gate
  bias too small for 400 steps (``sigma(4)``): 16; a forget gate that stays open at a write
  (the old bit kept): 17; an output gate open at every step: 17; an input gate open at every
  step (the distractors written), or a candidate of the bit's opposite sign: 14; an input gate
  that lets in ``sigma(-6) = 2.5e-3`` of each distractor: 17 (its bit survives random
  distractors; 245 of the other sign undo it); every gate at ``+-5`` (``sigma(5) = 0.993``
  looks shut or open): 16, where the bit both fades and leaks.

Functions imported from ``course_pkg`` under the graded names score nothing. Three tests are
hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from itertools import permutations

import numpy as np

from course_pkg.gradcheck import numerical_gradient, rel_error
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       compare_gradients, describe_value, expect,
                                       expect_inputs_unchanged, judge_beside_forward, own_output)
from course_pkg.grading.wire import Ref
from course_pkg.lstm import lstm_step_backward as reference_backward
from course_pkg.lstm import lstm_step_forward as reference_forward

FORWARD, BACKWARD, MEMORY = "lstm_step_forward", "lstm_step_backward", "bit_memory_params"
SIGNATURES = {FORWARD: ("x", "h_prev", "c_prev", "params"),
              BACKWARD: ("dh_next", "dc_next", "cache"),
              MEMORY: ()}
FORWARD_TOL, BACKWARD_TOL, NUMERICAL_TOL, EPS = 1e-9, 1e-8, 1e-6, 1e-6
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
STATE_GRADS = ("dx", "dh_prev", "dc_prev")
ALL = STATE_GRADS + PARAM_KEYS
SHAPES = {"h_next": "(N, H)", "c_next": "(N, H)", "dx": "(N, D)", "dh_prev": "(N, H)",
          "dc_prev": "(N, H)", "weight_ih": "(4H, D)", "weight_hh": "(4H, H)",
          "bias_ih": "(4H,)", "bias_hh": "(4H,)"}
GATES = "ifgo"                                   # torch.nn.LSTM's row blocks, in order
NAMED_ORDERS = {"ifog": "CS231n's order", "fiog": "the order of the chapter's seed cell"}
UNDERSTANDING = frozenset({"dx", "dh_prev", "dc_prev", "dweights", "dbias", "no_dc_next",
                           "no_dh_next", "centred_differences", "backward_one", "memory_short",
                           "memory_long", "memory_rewrite", "memory_quiet", "memory_hidden"})


def make_inputs(N, D, H, seed):
    """Seeded float64 ``(x, h_prev, c_prev, params, dh_next, dc_next)``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    h_prev = rng.uniform(-1.0, 1.0, (N, H))
    c_prev = rng.standard_normal((N, H))
    params = {"weight_ih": rng.standard_normal((4 * H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((4 * H, H)) / np.sqrt(H),
              "bias_ih": 0.5 * rng.standard_normal(4 * H),
              "bias_hh": 0.5 * rng.standard_normal(4 * H)}
    return x, h_prev, c_prev, params, rng.standard_normal((N, H)), rng.standard_normal((N, H))


def sigmoid(a):
    """The logistic sigmoid, without overflow for large ``|a|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def in_order(params, order):
    """``params`` whose row blocks were written for the gates ``order``, put in torch's order."""
    def reorder(a):
        blocks = np.split(np.asarray(a, dtype=np.float64), 4)
        return np.concatenate([blocks[order.index(gate)] for gate in GATES])
    return {k: reorder(v) for k, v in params.items()}


def rows(k, H="H"):
    """The rows of block ``k``: ``"0:H"``, ``"H:2H"``, ``"2H:3H"``, ``"3H:4H"``."""
    ends = ["0", H, f"2{H}", f"3{H}", f"4{H}"]
    return f"{ends[k]}:{ends[k + 1]}"


def order_hint(order, lead, one_unit=False):
    """The hint for values that come from the row blocks read as the gates ``order``, after
    ``lead``: the order and the blocks (rows, or one row each when ``one_unit``) that act as
    another gate."""
    name = NAMED_ORDERS.get(order)
    wrong = [(f"row {k}" if one_unit else f"rows {rows(k)}") + f" as {order[k]}"
             for k in range(4) if order[k] != GATES[k]]
    return (f"{lead} the row blocks read as {', '.join(order)}" + (f" ({name})" if name else "")
            + f": {', '.join(wrong)}; torch.nn.LSTM's order is i, f, g, o")


# --------------------------------------------------------------------------- Part 1: forward

def forward_values(x, h_prev, c_prev, params, variant=None):
    """One step in float64, as a dict of ``i, f, g, o, c, tanh_c, h``; or a usual mistake's.

    Variants: ``"no_tanh_c"`` (``h = o * c``), ``"tanh_c_prev"`` (``h = o * tanh(c_prev)``),
    ``"sigmoid_g"`` (the candidate through a sigmoid), ``"no_input_gate"`` (``c = f * c_prev +
    g``), ``"no_bias_hh"``, ``"no_bias_ih"``, and ``"order:xyzw"`` (the blocks read as the gates
    ``xyzw``).
    """
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    if variant and variant.startswith("order:"):
        p, variant = in_order(p, variant[6:]), None
    b_ih = 0 * p["bias_ih"] if variant == "no_bias_ih" else p["bias_ih"]
    b_hh = 0 * p["bias_hh"] if variant == "no_bias_hh" else p["bias_hh"]
    a = x @ p["weight_ih"].T + b_ih + h_prev @ p["weight_hh"].T + b_hh        # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    g = sigmoid(a_g) if variant == "sigmoid_g" else np.tanh(a_g)
    c = f * c_prev + (g if variant == "no_input_gate" else i * g)
    tanh_c = np.tanh(c)
    shown = {"no_tanh_c": c, "tanh_c_prev": np.tanh(c_prev)}.get(variant, tanh_c)
    return {"i": i, "f": f, "g": g, "o": o, "c": c, "tanh_c": tanh_c, "h": o * shown}


FORWARD_MISTAKES = {
    "no_tanh_c": "h_next is o times c_next itself: the cell state is shown without the squashing "
                 "of the last equation",
    "tanh_c_prev": "h_next shows the old cell state c_prev: it shows the state this step has just "
                   "written",
    "sigmoid_g": "the candidate g went through a sigmoid, so it can only add to the cell state: "
                 "the candidate is the one block that is a tanh",
    "no_input_gate": "c_next takes in the whole candidate g: the input gate's value has no effect on "
                     "what is added to the cell state",
    "no_bias_hh": "bias_hh is missing: both biases enter every pre-activation",
    "no_bias_ih": "bias_ih is missing: both biases enter every pre-activation",
}
ORDERS = ["".join(p) for p in permutations(GATES) if "".join(p) != GATES]
ORDERS.sort(key=lambda order: order not in NAMED_ORDERS)        # the named orders first


def as_array(value):
    """A learner's value as a float64 array, or ``None``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def forward_hint(x, h_prev, c_prev, params, h, c):
    """The hint of the usual mistake whose ``(h_next, c_next)`` these are, or ``None``."""
    h, c = as_array(h), as_array(c)
    want = forward_values(x, h_prev, c_prev, params)
    if h is None or c is None or h.shape != want["h"].shape or c.shape != want["c"].shape:
        return None
    if not (np.isfinite(h).all() and np.isfinite(c).all()):
        return None
    for variant in list(FORWARD_MISTAKES) + [f"order:{o}" for o in ORDERS]:
        wrong = forward_values(x, h_prev, c_prev, params, variant)
        if rel_error(h, wrong["h"]) < FORWARD_TOL and rel_error(c, wrong["c"]) < FORWARD_TOL:
            if variant.startswith("order:"):
                return order_hint(variant[6:], "h_next and c_next are those of")
            return FORWARD_MISTAKES[variant]
    return None


def judge_forward(calls, results):
    """``h_next`` and ``c_next`` of the learner's forward equal the reference's; a usual
    mistake is named by its values."""
    x, h_prev, c_prev, params = calls[0].args
    h_next, c_next, _ = own_output(results[0], 3)
    ref_h, ref_c, _ = reference_forward(x, h_prev, c_prev, params)
    try:
        compare_array("h_next", h_next, ref_h, SHAPES["h_next"], FORWARD_TOL)
        compare_array("c_next", c_next, ref_c, SHAPES["c_next"], FORWARD_TOL)
    except CheckFailed:
        hint = forward_hint(x, h_prev, c_prev, params, h_next, c_next)
        if hint:
            raise CheckFailed(hint) from None
        raise


def judge_forward_pure(calls, results):
    """The forward returns ``(h_next, c_next, cache)``, right, and changes none of its inputs."""
    judge_forward(calls, results)
    expect_inputs_unchanged(FORWARD, SIGNATURES[FORWARD], calls[0], results[0])


# --------------------------------------------------------------------------- Part 2: backward

def backward_values(x, h_prev, c_prev, params, dh_next, dc_next, variant=None):
    """The seven gradients ``{dx, dh_prev, dc_prev, weight_ih, ...}`` in float64, of the right
    step or of a usual mistake in its backward pass.

    Variants: ``"no_dc_next"`` (the road along the belt forgotten), ``"no_h_road"`` (the road
    through ``h_t`` forgotten), ``"no_tanh_derivative"`` (``dc_next + dh * o``),
    ``"derivative_at_c"`` (``1 - c**2`` for the tanh's derivative), ``"dc_prev_one_road"``
    (``dc_prev = f * dc_next``), ``"da_order:xyzw"`` (the gates' gradients stacked as ``xyzw``).
    """
    v = forward_values(x, h_prev, c_prev, params)
    i, f, g, o, c, tanh_c = (v[k] for k in ("i", "f", "g", "o", "c", "tanh_c"))
    do = dh_next * tanh_c
    through_h = {"no_h_road": 0.0, "no_tanh_derivative": dh_next * o,
                 "derivative_at_c": dh_next * o * (1 - c ** 2)}.get(variant, dh_next * o * (1 - tanh_c ** 2))
    dc = (0.0 if variant == "no_dc_next" else dc_next) + through_h
    dc_prev = dc_next * f if variant == "dc_prev_one_road" else dc * f
    gates = {"i": dc * g * i * (1 - i), "f": dc * c_prev * f * (1 - f), "g": dc * i * (1 - g ** 2),
             "o": do * o * (1 - o)}
    order = variant[9:] if variant and variant.startswith("da_order:") else GATES
    da = np.hstack([gates[k] for k in order])                              # (N, 4H)
    W_ih, W_hh = (np.asarray(params[k], dtype=np.float64) for k in ("weight_ih", "weight_hh"))
    return {"dx": da @ W_ih, "dh_prev": da @ W_hh, "dc_prev": dc_prev, "weight_ih": da.T @ x,
            "weight_hh": da.T @ h_prev, "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}


BACKWARD_MISTAKES = {
    "no_dc_next": "the values are those of dc_next = 0: one road into dc is missing, the one along "
                  "the cell state from step t+1",
    "no_h_road": "the values are those of a c_t that reaches the loss only along the cell state: one "
                 "road into dc is missing, the one through h_t",
    "no_tanh_derivative": "the road from h_t into c_t lacks the derivative of the tanh that h_t "
                          "applies to c_t",
    "derivative_at_c": "the road from h_t into c_t uses 1 - c_t**2, which is not the derivative of "
                       "the tanh at c_t",
    "dc_prev_one_road": "dc_prev passes on only dc_next: the gradient that reached c_t through h_t "
                        "goes on to c_(t-1) as well",
}


def _learner_grads(results):
    """The learner's seven gradients by name (``grads`` a dict, or ``{}``)."""
    dx, dh_prev, dc_prev, grads = own_output(results[1], 4)
    found = {"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev}
    if isinstance(grads, dict):
        found.update({k: grads[k] for k in PARAM_KEYS if k in grads})
    return found, grads


def block_hint(got, want):
    """The hint from the four blocks of ``grads['bias_ih']``: another gate's gradient in a
    block (an order), or which blocks are wrong; ``None`` if nothing can be said."""
    got, want = as_array(got), np.asarray(want)
    if got is None or got.shape != want.shape or not np.isfinite(got).all():
        return None
    g_blocks, w_blocks = np.split(got, 4), np.split(want, 4)
    scale = max(np.abs(want).max(), 1e-12)
    same = [[np.abs(gb - wb).max() <= 1e-8 * scale for wb in w_blocks] for gb in g_blocks]
    for order in ORDERS:
        if all(same[k][GATES.index(order[k])] for k in range(4)):
            return (f"grads['bias_ih'] holds the gates' gradients in the order {', '.join(order)}"
                    + (f" ({NAMED_ORDERS[order]})" if order in NAMED_ORDERS else "")
                    + ": the blocks of dL/da must be in the forward's order, i, f, g, o")
    told = [np.abs(wb).max() > 1e-8 * scale for wb in w_blocks]     # a zero block (o's when
    wrong = [GATES[k] for k in range(4) if told[k] and not same[k][k]]  # dh_next = 0) tells nothing
    if not any(told[k] and same[k][k] for k in range(4)):
        return None
    if wrong == ["i", "f", "g"]:
        return ("in grads['bias_ih'] the gradients of i, f and g, which all come through c_t, are wrong "
                "and o's is right: look at the gradient that reaches c_t")
    if wrong:
        listed = ", ".join(f"{k} (rows {rows(GATES.index(k))})" for k in wrong)
        return (f"in grads['bias_ih'] the rows of {listed} are wrong, the others right: follow the "
                "gradient through those gates' activations")
    return None


def backward_hint(calls, results):
    """The hint of the usual mistake whose gradients these are, or ``None`` (also when the
    learner's forward step is wrong: :func:`judge_backward` then says to fix it first)."""
    try:
        judge_forward(calls[:1], results[:1])
    except CheckFailed:
        return None
    x, h_prev, c_prev, params = calls[0].args
    dh_next, dc_next = calls[1].args[:2]
    found, _ = _learner_grads(results)
    arrays = {k: as_array(v) for k, v in found.items()}
    want = backward_values(x, h_prev, c_prev, params, dh_next, dc_next)

    def matches(reference, names):
        return all(arrays.get(k) is not None and arrays[k].shape == reference[k].shape
                   and np.isfinite(arrays[k]).all() and rel_error(arrays[k], reference[k]) < BACKWARD_TOL
                   for k in names)

    for variant, hint in BACKWARD_MISTAKES.items():
        wrong = backward_values(x, h_prev, c_prev, params, dh_next, dc_next, variant)
        differs = [k for k in ALL if rel_error(wrong[k], want[k]) >= BACKWARD_TOL]
        if differs and matches(wrong, ALL):
            return hint
    N = x.shape[0]
    for k in PARAM_KEYS:
        if N > 1 and matches({k: want[k] / N}, [k]):
            return (f"grads[{k!r}] is 1/N of the gradient, the batch's mean: L is one scalar, and "
                    "every example of the batch adds its own part to it")
        if arrays.get(k) is not None and arrays[k].shape == want[k].shape and not arrays[k].any():
            return f"grads[{k!r}] is zero everywhere, yet {k} enters every pre-activation of the step"
    if "bias_ih" in found:
        return block_hint(found["bias_ih"], want["bias_ih"])
    return None


def check_gradients(calls, results, names):
    """The named gradients of the learner's backward against the reference backward's."""
    x, h_prev, c_prev, params = calls[0].args
    dh_next, dc_next = calls[1].args[:2]
    dx, dh_prev, dc_prev, grads = own_output(results[1], 4)
    ref_dx, ref_dh, ref_dc, ref_grads = reference_backward(
        dh_next, dc_next, reference_forward(x, h_prev, c_prev, params)[2])
    want = {**ref_grads, "dx": ref_dx, "dh_prev": ref_dh, "dc_prev": ref_dc}
    try:
        compare_gradients(grads, {"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev}, want, names,
                          SHAPES, BACKWARD_TOL)
    except CheckFailed as err:
        hint = backward_hint(calls, results)
        raise CheckFailed(hint or str(err)) from None


def numerical_gradients(x, h_prev, c_prev, params, dh_next, dc_next):
    """Centred differences (float64, step ``EPS``) of ``L = sum(h * dh_next + c * dc_next)``,
    taken of the reference forward step, keyed like the learner's gradients."""
    arrays = {"dx": x, "dh_prev": h_prev, "dc_prev": c_prev, **params}
    copies = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
    inputs = {k: copies[k] for k in PARAM_KEYS}

    def forward():
        h, c, _ = reference_forward(copies["dx"], copies["dh_prev"], copies["dc_prev"], inputs)
        return np.hstack([h, c])

    dout = np.hstack([dh_next, dc_next])
    return {k: numerical_gradient(forward, copies[k], EPS, dout=dout) for k in arrays}


def check_numerical(calls, results):
    """All seven gradients of the learner's backward against centred differences."""
    x, h_prev, c_prev, params = calls[0].args
    dh_next, dc_next = calls[1].args[:2]
    dx, dh_prev, dc_prev, grads = own_output(results[1], 4)
    want = numerical_gradients(x, h_prev, c_prev, params, dh_next, dc_next)
    try:
        compare_gradients(grads, {"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev}, want, ALL, SHAPES,
                          NUMERICAL_TOL)
    except CheckFailed as err:
        raise CheckFailed(f"against centred differences: {backward_hint(calls, results) or err}") from None


def judge_backward(calls, results, names):
    """The named gradients equal the reference's (hint: fix Part 1 first when it is wrong too)."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, "Part 1", calls, results, names)


def judge_numerical(calls, results):
    """Centred differences, beside the learner's forward."""
    judge_beside_forward(check_numerical, judge_forward, FORWARD, "Part 1", calls, results)


# --------------------------------------------------------------------------- Part 3: memory

MEMORY_SHAPES = {"weight_ih": (4, 3), "weight_hh": (4, 1), "bias_ih": (4,), "bias_hh": (4,)}
READ_LEVEL, QUIET_LEVEL = 0.5, 0.1
BIT, WRITE, READ = 0, 1, 2                      # the input columns


def run_cell(params, x):
    """torch.nn.LSTM's cell, ``H = 1``, from ``h_0 = c_0 = 0`` over ``x (N, T, 3)``: a dict of
    ``(..., N, T)`` arrays ``i, f, g, o, c, h``. The arrays of ``params`` may have leading axes
    ``...`` (several weight sets run at once)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    lead = p["weight_ih"].shape[:-2]
    N, T, _ = x.shape
    bias = (p["bias_ih"] + p["bias_hh"])[..., None, None, :]
    ax = np.einsum("ntd,...gd->...ntg", x, p["weight_ih"]) + bias        # (..., N, T, 4)
    W_hh = np.swapaxes(p["weight_hh"], -1, -2)[..., None, :, :]          # (..., 1, 1, 4)
    h, c = np.zeros(lead + (N, 1)), np.zeros(lead + (N, 1))
    trace = {k: np.empty(lead + (N, T)) for k in "ifgoch"}
    for t in range(T):
        a = ax[..., t, :] + (h[..., None] * W_hh)[..., 0, :]             # (..., N, 4)
        i, f, o = sigmoid(a[..., 0:1]), sigmoid(a[..., 1:2]), sigmoid(a[..., 3:4])
        g = np.tanh(a[..., 2:3])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgoch", (i, f, g, o, c, h)):
            trace[k][..., t] = v[..., 0]
    return trace


def memory_params(value):
    """The learner's returned weights, checked: a dict of four finite float arrays of the
    shapes of one unit with three inputs."""
    expect(isinstance(value, dict), f"expected {MEMORY} to return a dict of four arrays (weight_ih, "
                                    f"weight_hh, bias_ih, bias_hh), got {describe_value(value)}")
    params = {}
    for key, shape in MEMORY_SHAPES.items():
        expect(key in value, f"the dict has no key {key!r} (its keys: {sorted(map(str, value))})")
        arr = as_array(value[key])
        expect(arr is not None and arr.dtype.kind == "f",
               f"expected params[{key!r}] to be an array of numbers, got {describe_value(value[key])}")
        symbols = {"weight_ih": "(4H, D)", "weight_hh": "(4H, H)"}.get(key, "(4H,)")
        expect(arr.shape == shape, f"expected params[{key!r}] of shape {symbols} = {shape} (one unit, "
                                   f"three inputs), got {arr.shape}")
        expect(np.isfinite(arr).all(), f"params[{key!r}] holds NaN or infinite values")
        params[key] = arr
    return params


def latest_write(x):
    """``(N, T)``: the index of the latest write at or before each step, -1 before the first."""
    N, T, _ = x.shape
    idx = np.where(x[..., WRITE] > 0, np.arange(T), -1)
    return np.maximum.accumulate(idx, axis=1)


def failing(trace, x, checks):
    """``(..., N, T)`` booleans, True where a check fails: ``"read"`` (a read whose ``h`` has the
    wrong sign or is too small) or ``"quiet"`` (``|h|`` too large at another step)."""
    h, reads = trace["h"], x[..., READ] > 0
    bits = np.take_along_axis(x[..., BIT], np.maximum(latest_write(x), 0), axis=1)
    bad = np.zeros(h.shape, dtype=bool)
    if "read" in checks:
        bad |= reads & (h * bits < READ_LEVEL)
    if "quiet" in checks:
        bad |= ~reads & (np.abs(h) > QUIET_LEVEL)
    return bad


def memory_failure(trace, x, checks):
    """The earliest failing check of one weight set as ``(kind, n, t)``, or ``None``."""
    bad = failing(trace, x, checks)
    if not bad.any():
        return None
    n, t = min(map(tuple, np.argwhere(bad)), key=lambda nt: (nt[1], nt[0]))
    return ("read" if x[n, t, READ] > 0 else "quiet", int(n), int(t))


def memory_hint(trace, x, failure):
    """Why the cell failed at ``failure = (kind, n, t)``, read from its gates."""
    kind, n, t = failure
    tr = {k: v[n] for k, v in trace.items()}
    h = tr["h"][t]
    if kind == "quiet":
        return (f"step {t} is no read, yet h = {h:.2f}: the output gate is {tr['o'][t]:.2f} there; it "
                "must show the cell state on a read only")
    w = int(latest_write(x)[n, t])
    bit = x[n, w, BIT]
    at = f"at a read {t - w} step{'s' * (t - w > 1)} after the write of {bit:+.0f}, h = {h:.2f}"
    writes = np.flatnonzero(x[n, :, WRITE] > 0)
    if tr["i"][w] < 0.5:
        return f"{at}: at the write the input gate is {tr['i'][w]:.2f}, so the bit is barely let in"
    if tr["g"][w] * bit < 0.5:
        return (f"{at}: at the write the candidate g is {tr['g'][w]:.2f}; it should carry the bit, with "
                "its sign and near full size")
    earlier = writes[writes < w]
    if earlier.size and tr["f"][w] > 0.5 and tr["c"][w] * bit < 0.5:
        return (f"{at}: at that write the forget gate is {tr['f'][w]:.2f}, so the bit written before "
                "stays and the new one is added to it")
    between = np.arange(w + 1, t + 1)
    no_write = between[x[n, between, WRITE] == 0]
    kept = float(np.prod(tr["f"][between])) if between.size else 1.0
    faded = tr["c"][w] * kept                       # what is left of the bit alone: c is linear in
    against = (faded - tr["c"][t]) * bit            # the steps' i * g, so the rest is the distractors'
    lost = tr["c"][w] * bit * (1 - kept)            # what the forget gate took
    leak = tr["i"][no_write].max() if no_write.size else 0.0
    leaked = (f"{at}: on steps without a write the input gate reaches "
              f"{f'{leak:.2f}' if leak >= 0.01 else f'{leak:.1e}'}, so the distractor bits are written "
              f"too: over {t - w} steps they moved c to {tr['c'][t]:.2f} from the {faded:.2f} that the "
              "forget gate kept of the bit")
    shut = f"{at}: at the read the output gate is {tr['o'][t]:.2f}, so h shows little of c = {tr['c'][t]:.2f}"
    if tr["o"][t] < 0.9 and tr["o"][t] * np.tanh(tr["c"][w] * bit) < READ_LEVEL:
        return shut                                 # too little shown of even the fresh bit
    if no_write.size and against > 0.05 and against >= lost:
        return leaked
    if kept < 0.9 and lost > 0.05:
        return (f"{at}: the bit fades: between write and read the forget gate is "
                f"{np.exp(np.mean(np.log(np.maximum(tr['f'][between], 1e-300)))):.4f} on average, "
                f"so after {t - w} steps {kept:.2g} of the cell state is left"
                + (f", and the distractors took {against:.2f} more" if against > 0.05 else ""))
    if no_write.size and against > 0.05:
        return leaked
    if tr["o"][t] < 0.9:
        return shut
    return (f"{at}: the cell state there is c = {tr['c'][t]:.2f}; tanh(c) must reach {READ_LEVEL} in "
            "size with the bit's sign")


def judge_memory(calls, results, x, checks):
    """The learner's weights, run on the test's sequences, read every bit and keep quiet where
    the test checks it; a failure is explained by the gates, or by another gate order."""
    params = memory_params(own_output(results[0]))
    trace = run_cell(params, x)
    failure = memory_failure(trace, x, checks)
    if failure is None:
        return
    reordered = [in_order(params, order) for order in ORDERS]
    stacked = {k: np.stack([p[k] for p in reordered]) for k in params}          # all orders at once
    works = ~failing(run_cell(stacked, x), x, ("read", "quiet")).any(axis=(1, 2))  # every check
    if works.any():
        order = ORDERS[int(np.argmax(works))]
        raise CheckFailed(order_hint(order, "your weights store the bit with", one_unit=True))
    raise CheckFailed(memory_hint(trace, x, failure))


def memory_sequences(N, T, writes, reads, seed, flip=False, against=0):
    """``x (N, T, 3)``: a random bit at every step (the distractors), the write flag at the
    steps ``writes`` and the read flag at ``reads``. ``flip``: the bit written second is the
    opposite of the first in every other sequence. ``against``: in that many sequences the
    first write stores +1 (the even ones) or -1 (the odd ones) and every later bit is its
    opposite, the distractors that undo a leaky input gate fastest."""
    rng = np.random.default_rng(seed)
    x = np.zeros((N, T, 3))
    x[..., BIT] = rng.choice([-1.0, 1.0], (N, T))
    x[:, list(writes), WRITE] = 1.0
    x[:, list(reads), READ] = 1.0
    if flip:
        first, second = writes[:2]
        x[:, second, BIT] = x[:, first, BIT] * np.where(np.arange(N) % 2, 1.0, -1.0)
    if against:
        stored = np.where(np.arange(against) % 2, -1.0, 1.0)[:, None]
        x[:against, writes[0], BIT] = stored[:, 0]
        x[:against, writes[0] + 1:, BIT] = -stored
    return x


def random_sequences(N, T, seed):
    """``x (N, T, 3)`` with writes and reads at random steps of each sequence: the first write
    within the first ten steps, about one write in 60 steps after it and one read in 15,
    never a read and a write at the same step."""
    rng = np.random.default_rng(seed)
    x = np.zeros((N, T, 3))
    x[..., BIT] = rng.choice([-1.0, 1.0], (N, T))
    for n in range(N):
        first = int(rng.integers(0, 10))
        writes = np.flatnonzero(rng.random(T) < 1 / 60)
        writes = np.union1d([first], writes[writes > first])
        reads = np.flatnonzero(rng.random(T) < 1 / 15)
        reads = np.setdiff1d(reads[reads > first], writes)
        x[n, writes, WRITE], x[n, reads, READ] = 1.0, 1.0
    return x


def memory_test(test_id, name, points, x, checks, hidden=False):
    return Test(test_id, MEMORY, name, points, (Call(MEMORY, ()),),
                partial(judge_memory, x=x, checks=checks), hidden)


# --------------------------------------------------------------------------- tests

def forward_test(test_id, name, N, D, H, seed, hidden=False):
    """A forward test on inputs of the given sizes."""
    x, h_prev, c_prev, params, _, _ = make_inputs(N, D, H, seed)
    return Test(test_id, FORWARD, name, 1, (Call(FORWARD, (x, h_prev, c_prev, params)),),
                judge_forward, hidden)


def pure_test():
    """The forward returns three items and leaves its inputs unchanged."""
    x, h_prev, c_prev, params, _, _ = make_inputs(3, 2, 4, 4)
    call = Call(FORWARD, (x, h_prev, c_prev, params), keep_args=True)
    return Test("forward_pure", FORWARD, "returns (h_next, c_next, cache) and leaves its inputs unchanged",
                1, (call,), judge_forward_pure)


def backward_test(test_id, name, judge, N=4, D=3, H=5, seed=10, zero=None, hidden=False):
    """A backward test: the learner's forward gives the cache for the learner's backward.

    ``zero``: ``"dh"`` or ``"dc"`` sets that incoming gradient to zeros.
    """
    x, h_prev, c_prev, params, dh_next, dc_next = make_inputs(N, D, H, seed)
    if zero == "dh":
        dh_next = np.zeros_like(dh_next)
    elif zero == "dc":
        dc_next = np.zeros_like(dc_next)
    calls = (Call(FORWARD, (x, h_prev, c_prev, params)), Call(BACKWARD, (dh_next, dc_next, Ref(0, 2))))
    return Test(test_id, BACKWARD, name, 1, calls, judge, hidden)


def gradients(*names):
    return partial(judge_backward, names=names)


RUBRIC = Rubric(
    exercise="ex07_lstm",
    signatures=SIGNATURES,
    tests=(
        forward_test("forward_one", "h_next and c_next for one example (N=1, D=3, H=4)", 1, 3, 4, seed=1),
        forward_test("forward_batch", "h_next and c_next for a batch (N=5, D=4, H=3)", 5, 4, 3, seed=2),
        pure_test(),
        forward_test("forward_square", "h_next and c_next with D = H (N=2, D=6, H=6)", 2, 6, 6, seed=3,
                     hidden=True),
        backward_test("dx", "dx", gradients("dx")),
        backward_test("dh_prev", "dh_prev", gradients("dh_prev")),
        backward_test("dc_prev", "dc_prev", gradients("dc_prev")),
        backward_test("dweights", "grads['weight_ih'] and grads['weight_hh']",
                      gradients("weight_ih", "weight_hh")),
        backward_test("dbias", "grads['bias_ih'] and grads['bias_hh']", gradients("bias_ih", "bias_hh")),
        backward_test("no_dc_next", "every gradient when dc_next is zero", gradients(*ALL), seed=12,
                      zero="dc"),
        backward_test("no_dh_next", "every gradient when dh_next is zero", gradients(*ALL), seed=13,
                      zero="dh"),
        backward_test("centred_differences", "every gradient against centred differences (float64)",
                      judge_numerical, N=2, D=3, H=4, seed=14),
        backward_test("backward_one", "every gradient for one example (N=1, D=4, H=3)", gradients(*ALL),
                      N=1, D=4, H=3, seed=11, hidden=True),
        memory_test("memory_short", "the bit read 6 steps after its write", 1,
                    memory_sequences(8, 12, [2], [8], seed=21), {"read"}),
        memory_test("memory_long", "the bit read 100 to 390 steps after its write", 2,
                    memory_sequences(8, 400, [5], [105, 250, 395], seed=22, against=2), {"read"}),
        memory_test("memory_rewrite", "a second write replaces the first bit", 1,
                    memory_sequences(8, 60, [3, 30], [20, 50], seed=23, flip=True), {"read"}),
        memory_test("memory_quiet", "|h| <= 0.1 at every step that is not a read", 1,
                    memory_sequences(8, 200, [10, 100], [50, 150, 199], seed=24), {"quiet"}),
        memory_test("memory_hidden", "random writes and reads over 300 steps", 1,
                    random_sequences(16, 300, seed=25), {"read", "quiet"}, hidden=True),
    ),
    answers=(Answer("question-roads", "the gradient of the cell state: its two roads, and which test "
                                      "each misses"),
             Answer("question-memory", "the memory's weights gate by gate, and the forget-gate bias a "
                                       "400-step gap needs"),
             Answer("question-blocks", "why 4H rows, and whether one shared block could store a bit")),
)
