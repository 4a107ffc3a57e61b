"""Rubric of exercise 7, the LSTM step: 17 points in three parts.

- Part 1, ``lstm_step_forward``: 4 points; ``h_next`` and ``c_next`` compared with
  :func:`course_pkg.lstm.lstm_step_forward`.
- Part 2, ``lstm_step_backward``: 9 points. The backward tests pass the cache that the
  learner's own ``lstm_step_forward`` returned (whatever its layout) to the learner's
  ``lstm_step_backward``; the gradients are compared with
  :func:`course_pkg.lstm.lstm_step_backward`, and one test compares all seven with float64
  centred differences of the reference forward step, taken here in the grader's process.
- Part 3, ``lstm_param_count``: 4 points, compared with the number of entries of
  ``course_pkg.LSTM``'s ``state_dict()`` (which equals ``torch.nn.LSTM``'s
  ``parameters()``); the written answer ("why 4H") is marked by hand.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex07.py``
grades each of them):

- a backward that forgets ``dc_next`` (only the road through ``h_next`` into ``c_next``)
  keeps Part 1 and the one test whose ``dc_next`` is zero: 4 + 1 + 4 = 9 of 17;
- one that forgets ``tanh'`` on that road (``dc = dc_next + dh_next * o``) keeps the test whose
  ``dh_next`` is zero: 9 of 17;
- the blocks in CS231n's order ``i, f, o, g`` in both steps lose Parts 1 and 2, and each
  backward hint says to fix the forward first: 4 of 17;
- a count with one bias per gate (``4H`` instead of ``8H`` bias entries) loses Part 3: 13;
  one whose upper layers read ``H`` inputs even when the layer below is bidirectional loses
  only the stacked bidirectional test: 16.

Functions imported from ``course_pkg`` under the graded names score nothing. Three tests
are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np

from course_pkg.gradcheck import numerical_gradient
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       compare_gradients, describe_value, expect,
                                       expect_inputs_unchanged, judge_beside_forward, own_output)
from course_pkg.grading.wire import Ref
from course_pkg.lstm import LSTM
from course_pkg.lstm import lstm_step_backward as reference_backward
from course_pkg.lstm import lstm_step_forward as reference_forward

FORWARD, BACKWARD, COUNT = "lstm_step_forward", "lstm_step_backward", "lstm_param_count"
SIGNATURES = {FORWARD: ("x", "h_prev", "c_prev", "params"),
              BACKWARD: ("dh_next", "dc_next", "cache"),
              COUNT: ("D", "H", "num_layers", "bidirectional")}
FORWARD_TOL, BACKWARD_TOL, NUMERICAL_TOL, EPS = 1e-9, 1e-8, 1e-6, 1e-6
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
STATE_GRADS = ("dx", "dh_prev", "dc_prev")
SHAPES = {"h_next": "(N, H)", "c_next": "(N, H)", "dx": "(N, D)", "dh_prev": "(N, H)",
          "dc_prev": "(N, H)", "weight_ih": "(4H, D)", "weight_hh": "(4H, H)",
          "bias_ih": "(4H,)", "bias_hh": "(4H,)"}


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


def reference_count(D, H, num_layers, bidirectional):
    """The number of entries of ``course_pkg.LSTM(D, H, num_layers, bidirectional=...)``'s state_dict."""
    model = LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional, seed=0)
    return int(sum(v.size for v in model.state_dict().values()))


# --------------------------------------------------------------------------- judges (pure)

def judge_forward(calls, results):
    """``h_next`` and ``c_next`` of the learner's forward equal the reference's."""
    x, h_prev, c_prev, params = calls[0].args
    h_next, c_next, _ = own_output(results[0], 3)
    ref_h, ref_c, _ = reference_forward(x, h_prev, c_prev, params)
    compare_array("h_next", h_next, ref_h, SHAPES["h_next"], FORWARD_TOL)
    compare_array("c_next", c_next, ref_c, SHAPES["c_next"], FORWARD_TOL)


def judge_forward_pure(calls, results):
    """The forward returns ``(h_next, c_next, cache)``, right, and changes none of its inputs."""
    judge_forward(calls, results)
    expect_inputs_unchanged(FORWARD, SIGNATURES[FORWARD], calls[0], results[0])


def _learner_grads(results):
    """The learner's state gradients by name, and their ``grads`` dict."""
    dx, dh_prev, dc_prev, grads = own_output(results[1], 4)
    return {"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev}, grads


def check_gradients(calls, results, names):
    """The named gradients of the learner's backward against the reference backward's."""
    x, h_prev, c_prev, params = calls[0].args
    dh_next, dc_next = calls[1].args[:2]
    returned_arrays, grads = _learner_grads(results)
    ref_dx, ref_dh, ref_dc, ref_grads = reference_backward(
        dh_next, dc_next, reference_forward(x, h_prev, c_prev, params)[2])
    want = {**ref_grads, "dx": ref_dx, "dh_prev": ref_dh, "dc_prev": ref_dc}
    compare_gradients(grads, returned_arrays, want, names, SHAPES, BACKWARD_TOL)


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
    returned_arrays, grads = _learner_grads(results)
    want = numerical_gradients(x, h_prev, c_prev, params, dh_next, dc_next)
    try:
        compare_gradients(grads, returned_arrays, want, STATE_GRADS + PARAM_KEYS, SHAPES, NUMERICAL_TOL)
    except CheckFailed as err:
        raise CheckFailed(f"against centred differences: {err}") from None


def judge_backward(calls, results, names):
    """The named gradients equal the reference's (hint: fix Part 1 first when it is wrong too)."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, "Part 1", calls, results, names)


def judge_numerical(calls, results):
    """Centred differences, beside the learner's forward."""
    judge_beside_forward(check_numerical, judge_forward, FORWARD, "Part 1", calls, results)


def judge_count(calls, results):
    """The returned count equals the parameters of the LSTM of the call's arguments."""
    D, H, num_layers, bidirectional = calls[0].args
    value = own_output(results[0])
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(()).item()
    expect(isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value),
           f"expected {COUNT} to return a number, got {describe_value(value)}")
    want = reference_count(D, H, num_layers, bidirectional)
    if value != want:
        setting = (f"D={D}, H={H}, num_layers={num_layers}, bidirectional={bidirectional}")
        raise CheckFailed(f"for {setting}: expected {want} parameters, got {value:g} "
                          f"(off by {value - want:+g})")


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


def count_test(test_id, name, D, H, num_layers, bidirectional, hidden=False):
    """A test of ``lstm_param_count`` for one configuration."""
    return Test(test_id, COUNT, name, 1, (Call(COUNT, (D, H, num_layers, bidirectional)),),
                judge_count, hidden)


ALL = STATE_GRADS + PARAM_KEYS

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
        count_test("count_one", "one layer (D=10, H=20)", 10, 20, 1, False),
        count_test("count_stacked", "three stacked layers (D=3, H=8)", 3, 8, 3, False),
        count_test("count_bidirectional", "two bidirectional layers (D=5, H=4)", 5, 4, 2, True),
        count_test("count_tiny", "one bidirectional layer (D=1, H=1)", 1, 1, 1, True, hidden=True),
    ),
    answers=(Answer("question", "why the weights have 4H rows, and what one shared block would lose"),),
)
