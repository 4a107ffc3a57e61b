"""Rubric of exercise 2, tanh and the other activations: 20 points in 20 tests.

- ``activation_grad`` (7 points): the slope f'(a) from the output h = f(a), one test per
  activation (tanh, sigmoid, ReLU, identity, softsign, scaled tanh) and a hidden one on
  another shape;
- ``step_backward_from_output`` (4): dL/dh_{t-1} for tanh, sigmoid, ReLU, and a hidden
  test with the identity and one example;
- ``rnn_states`` (4): the states of a sequence, one test per activation;
- ``blows_up`` (4): the predictions for W_hh = scale * I, one test per scale (all four
  activations in each), one of them hidden;
- ``gradient_kept`` (1): the product of tanh slopes over the steps, from pre-activations.

Each test calls the learner's function on seeded float64 inputs and compares what came
back with the references below, in the grader's process. Wrong answers that learners
give often get a hint of their own: the slope taken at a = h (applying f to the output
again), ``h >= 0`` for ReLU, a backward step without the slope or with W_hh transposed,
and pre-activations read as outputs. ``step_backward_from_output`` is expected to use
``activation_grad``, so a wrong slope also costs the backward test of that activation.
Two written answers are marked by hand.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, failure_hint, returned)

SLOPE, BACKWARD, STATES, PREDICT, KEPT = ("activation_grad", "step_backward_from_output",
                                          "rnn_states", "blows_up", "gradient_kept")
SIGNATURES = {SLOPE: ("h", "nonlinearity"),
              BACKWARD: ("dh_next", "h_next", "weight_hh", "nonlinearity"),
              STATES: ("x", "h0", "params", "nonlinearity"),
              PREDICT: ("nonlinearity", "scale"),
              KEPT: ("a",)}
TOL = 1e-9
SCALED_A, SCALED_B = 1.7159, 2 / 3         # LeCun et al. (1998): 1.7159 tanh(2a / 3)
CHAPTER = ("tanh", "sigmoid", "relu", "identity")
ALL = CHAPTER + ("softsign", "scaled_tanh")


# --------------------------------------------------------------------------- references

def reference_activation(a, nonlinearity):
    """f(a), element-wise, for every activation of the exercise."""
    return {"tanh": np.tanh,
            "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
            "relu": lambda v: np.maximum(v, 0.0),
            "identity": lambda v: v * 1.0,
            "softsign": lambda v: v / (1 + np.abs(v)),
            "scaled_tanh": lambda v: SCALED_A * np.tanh(SCALED_B * v)}[nonlinearity](a)


def reference_slope(h, nonlinearity):
    """f'(a) written with the output h = f(a)."""
    return {"tanh": lambda: 1 - h * h,
            "sigmoid": lambda: h * (1 - h),
            "relu": lambda: (h > 0).astype(np.float64),
            "identity": lambda: np.ones_like(h),
            "softsign": lambda: (1 - np.abs(h)) ** 2,
            "scaled_tanh": lambda: SCALED_B * (SCALED_A - h * h / SCALED_A)}[nonlinearity]()


def reference_states(x, h0, params, nonlinearity):
    """h_1 .. h_T of h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), shape (N, T, H)."""
    h, states = h0, []
    for t in range(x.shape[1]):
        h = reference_activation(x[:, t] @ params["weight_ih"].T + params["bias_ih"]
                                 + h @ params["weight_hh"].T + params["bias_hh"], nonlinearity)
        states.append(h)
    return np.stack(states, axis=1)


def reference_blows_up(nonlinearity, scale):
    """Whether the states of h_t = f(scale * h_{t-1}), h_0 = (0.5, -0.5), grow without bound.

    tanh and the sigmoid are bounded; the identity multiplies |h| by |scale| every step; ReLU
    keeps the positive unit growing when scale > 1, and with scale < 0 turns both units off
    within two steps.
    """
    return {"tanh": False, "sigmoid": False, "identity": abs(scale) > 1,
            "relu": scale > 1}[nonlinearity]


# --------------------------------------------------------------------------- inputs

def make_outputs(shape, nonlinearity, seed):
    """Seeded outputs h = f(a) of an activation, a ~ 2 N(0, 1) (with exact zeros for ReLU)."""
    return reference_activation(2.0 * np.random.default_rng(seed).standard_normal(shape), nonlinearity)


def make_step(N, H, nonlinearity, seed):
    """Seeded ``(dh_next, h_next, weight_hh)`` for one backward step."""
    rng = np.random.default_rng(seed)
    h_next = reference_activation(1.5 * rng.standard_normal((N, H)), nonlinearity)
    return rng.standard_normal((N, H)), h_next, rng.standard_normal((H, H)) / np.sqrt(H)


def make_sequence(N, T, D, H, seed):
    """Seeded ``(x, h0, params)`` of a short sequence."""
    rng = np.random.default_rng(seed)
    params = {"weight_ih": rng.standard_normal((H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((H, H)) / np.sqrt(H),
              "bias_ih": 0.3 * rng.standard_normal(H),
              "bias_hh": 0.3 * rng.standard_normal(H)}
    return rng.standard_normal((N, T, D)), rng.uniform(-0.5, 0.5, (N, H)), params


def make_pre_activations(T, H, seed):
    """Seeded pre-activations (T, H): some units near 0, some pushed far out by a bias."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((T, H)) + np.linspace(-4.0, 4.0, H)


# --------------------------------------------------------------------------- judges (pure)

def own_value(result):
    """What the learner's own function returned; fails on a function taken from course_pkg."""
    expect(not (result.module or "").startswith("course_pkg"),
           f"expected your own {result.function}, got one from course_pkg")
    return returned(result)


def close(got, want):
    """Whether ``got`` is an array of ``want``'s shape within :data:`TOL` (no exception)."""
    try:
        compare_array("", got, want, "", TOL)
    except CheckFailed:
        return False
    return True


def judge_slope(calls, results, nonlinearity):
    """``activation_grad(h, nonlinearity)`` equals f'(a), for every call of the test."""
    for call, result in zip(calls, results):
        h = call.args[0]
        label = f"activation_grad(h, {nonlinearity!r})"
        got = own_value(result)
        try:
            compare_array(label, got, reference_slope(h, nonlinearity), "(the shape of h)", TOL)
        except CheckFailed:
            if close(got, reference_slope(reference_activation(h, nonlinearity), nonlinearity)):
                raise CheckFailed(f"{label} is the slope at a = h: h is f(a) already, "
                                  "so write f'(a) with h itself") from None
            if nonlinearity == "relu" and close(got, (h >= 0).astype(np.float64)):
                raise CheckFailed(f"{label} is 1 where h = 0: the unit was off there "
                                  "(a <= 0), and its slope is 0, as in PyTorch") from None
            raise


def judge_backward(calls, results):
    """``step_backward_from_output`` returns (dh_next * f'(a)) @ W_hh."""
    dh_next, h_next, weight_hh, nonlinearity = calls[0].args
    label = f"dh_prev for {nonlinearity!r}"
    got = own_value(results[0])
    d_a = dh_next * reference_slope(h_next, nonlinearity)
    try:
        compare_array(label, got, d_a @ weight_hh, "(N, H)", TOL)
    except CheckFailed:
        if close(got, d_a @ weight_hh.T):
            raise CheckFailed(f"{label} uses W_hh transposed: a_t holds h_(t-1) W_hh^T, so "
                              "dL/dh_(t-1) = (dL/da_t) W_hh") from None
        if close(got, dh_next @ weight_hh):
            raise CheckFailed(f"{label} skips the slope: the gradient passes f'(a_t) "
                              "before it reaches W_hh") from None
        raise


def judge_states(calls, results):
    """``rnn_states`` returns h_1 .. h_T, shape (N, T, H)."""
    x, h0, params, nonlinearity = calls[0].args
    got = own_value(results[0])
    want = reference_states(x, h0, params, nonlinearity)
    label = f"rnn_states(..., {nonlinearity!r})"
    shape = getattr(got, "shape", None)
    expect(shape != (want.shape[0], want.shape[1] + 1, want.shape[2]),
           f"expected {label} of shape (N, T, H) = {want.shape}, got {shape}: leave h0 out")
    compare_array(label, got, want, "(N, T, H)", TOL)


def as_bool(value):
    """A learner's True/False (a bool or a NumPy bool), or ``None`` if it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, np.ndarray) and value.dtype == bool and value.size == 1:
        return bool(value.reshape(()))
    return None


def judge_predictions(calls, results, scale):
    """Every ``blows_up(nonlinearity, scale)`` call of the test is right."""
    wrong = 0
    for call, result in zip(calls, results):
        got = as_bool(own_value(result))
        expect(got is not None, f"expected blows_up{call.args} to return True or False, "
                                f"got {describe_value(returned(result))}")
        wrong += got != reference_blows_up(*call.args)
    expect(wrong == 0, f"{wrong} of {len(calls)} predictions for scale {scale:g} are wrong")


def judge_kept(calls, results):
    """``gradient_kept(a)`` is the product over t of 1 - tanh(a_t)^2, one value per unit."""
    a = calls[0].args[0]
    got = own_value(results[0])
    try:
        compare_array("gradient_kept(a)", got, np.prod(1 - np.tanh(a) ** 2, axis=0), "(H,)", TOL)
    except CheckFailed:
        if close(got, np.prod(1 - a ** 2, axis=0)):
            raise CheckFailed("gradient_kept(a) reads a as outputs: a holds pre-activations, and "
                              "the slope at a is 1 - tanh(a)^2") from None
        raise


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

def slope_test(nonlinearity, seed):
    """activation_grad on a (4, 5) batch of outputs of one activation."""
    call = Call(SLOPE, (make_outputs((4, 5), nonlinearity, seed), nonlinearity))
    return Test(f"slope_{nonlinearity}", SLOPE, f"activation_grad(h, {nonlinearity!r})", 1, (call,),
                all_calls(partial(judge_slope, nonlinearity=nonlinearity)))


def slope_shapes_test():
    """Hidden: activation_grad keeps a shape (2, 3, 4), for all six activations."""
    calls = tuple(Call(SLOPE, (make_outputs((2, 3, 4), name, 30 + i), name)) for i, name in enumerate(ALL))

    def judge(calls, results):
        for call, result in zip(calls, results):
            judge_slope((call,), (result,), call.args[1])
    return Test("slope_shapes", SLOPE, "activation_grad on h of shape (2, 3, 4), every activation", 1,
                calls, all_calls(judge), hidden=True)


def backward_test(nonlinearity, N, H, seed, hidden=False):
    """step_backward_from_output for one activation."""
    call = Call(BACKWARD, (*make_step(N, H, nonlinearity, seed), nonlinearity))
    name = f"dh_prev for {nonlinearity!r} (N={N}, H={H})"
    return Test(f"backward_{nonlinearity}", BACKWARD, name, 1, (call,), all_calls(judge_backward), hidden)


def states_test(nonlinearity, seed):
    """rnn_states on a batch of 2 sequences of 6 steps."""
    call = Call(STATES, (*make_sequence(2, 6, 3, 4, seed), nonlinearity))
    return Test(f"states_{nonlinearity}", STATES, f"rnn_states(..., {nonlinearity!r}) (N=2, T=6, D=3, H=4)",
                1, (call,), all_calls(judge_states))


def predict_test(scales, hidden=False):
    """blows_up for every activation at each of ``scales``."""
    calls = tuple(Call(PREDICT, (name, float(s))) for s in scales for name in CHAPTER)

    def judge(calls, results):
        for s in scales:
            pairs = [(c, r) for c, r in zip(calls, results) if c.args[1] == s]
            judge_predictions(*zip(*pairs), scale=s)
    label = ", ".join(f"{s:g}" for s in scales)
    return Test("predict_" + "_".join(f"{s:g}" for s in scales).replace("-", "m").replace(".", "p"),
                PREDICT, f"blows_up for every activation, scale {label}", 1, calls, all_calls(judge), hidden)


def kept_test():
    """gradient_kept on pre-activations of 8 steps and 5 units."""
    call = Call(KEPT, (make_pre_activations(8, 5, seed=40),))
    return Test("gradient_kept", KEPT, "gradient_kept(a) (T=8, H=5)", 1, (call,), all_calls(judge_kept))


RUBRIC = Rubric(
    exercise="ex02_tanh",
    signatures=SIGNATURES,
    tests=(
        *(slope_test(name, seed=10 + i) for i, name in enumerate(ALL)),
        slope_shapes_test(),
        backward_test("tanh", 3, 5, seed=20),
        backward_test("sigmoid", 3, 5, seed=21),
        backward_test("relu", 3, 5, seed=22),
        backward_test("identity", 1, 4, seed=23, hidden=True),
        *(states_test(name, seed=50 + i) for i, name in enumerate(CHAPTER)),
        predict_test((1.5,)),
        predict_test((0.5,)),
        predict_test((-1.5,)),
        predict_test((1.0, 3.0, -3.0), hidden=True),
        kept_test(),
    ),
    answers=(Answer("bounded-gradient", "whether bounded tanh states keep the gradient from exploding"),
             Answer("saturated-unit", "which unit is saturated, what it does to learning, what to change")),
)
