"""Rubric of exercise 1, the RNN step: 4 points for the forward pass, 6 for the backward.

Each test calls the learner's functions on seeded float64 inputs (including a batch of
one) and compares what came back with :mod:`course_pkg.rnn`, in the grader's process. The
backward tests pass the cache that the learner's own ``rnn_step_forward`` returned (whatever
its layout) to the learner's ``rnn_step_backward``, so backward points need a forward step
that runs; when a gradient is wrong and so is the forward's ``h_next``, the hint says that
the forward's cache may be the cause ("fix Part 1 first") instead of blaming the backward. Two tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, Rubric, Test, compare_array, compare_gradients,
                                       expect, expect_inputs_unchanged, judge_beside_forward,
                                       own_output)
from course_pkg.grading.wire import Ref
from course_pkg.rnn import rnn_step_backward as reference_backward
from course_pkg.rnn import rnn_step_forward as reference_forward

FORWARD, BACKWARD = "rnn_step_forward", "rnn_step_backward"
SIGNATURES = {FORWARD: ("x", "h_prev", "params"), BACKWARD: ("dh_next", "cache")}
FORWARD_TOL, BACKWARD_TOL = 1e-9, 1e-8
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
SHAPES = {"h_next": "(N, H)", "dx": "(N, D)", "dh_prev": "(N, H)", "weight_ih": "(H, D)",
          "weight_hh": "(H, H)", "bias_ih": "(H,)", "bias_hh": "(H,)"}


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




# --------------------------------------------------------------------------- judges (pure)

def judge_forward(calls, results):
    """``h_next`` of the learner's forward equals the reference's."""
    x, h_prev, params = calls[0].args
    h_next = own_output(results[0], 2)[0]
    compare_array("h_next", h_next, reference_forward(x, h_prev, params)[0], SHAPES["h_next"], FORWARD_TOL)


def judge_forward_pure(calls, results):
    """The forward returns ``(h_next, cache)`` with the right ``h_next`` and changes none of its inputs."""
    judge_forward(calls, results)
    expect_inputs_unchanged(FORWARD, SIGNATURES[FORWARD], calls[0], results[0])


def judge_backward(calls, results, names):
    """The named gradients (``dx``, ``dh_prev`` or keys of ``grads``) equal the reference's."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, "Part 1", calls, results, names)


def check_gradients(calls, results, names):
    """The named gradients of the learner's backward against the reference's."""
    x, h_prev, params = calls[0].args
    dh_next = calls[1].args[0]
    dx, dh_prev, grads = own_output(results[1], 3)
    ref_dx, ref_dh_prev, ref_grads = reference_backward(dh_next, reference_forward(x, h_prev, params)[1])
    want = {**ref_grads, "dx": ref_dx, "dh_prev": ref_dh_prev}
    compare_gradients(grads, {"dx": dx, "dh_prev": dh_prev}, want, names, SHAPES, BACKWARD_TOL)


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
    ),
    answers=(Answer("question", "why the two bias gradients are equal, and why keep two biases"),),
)
