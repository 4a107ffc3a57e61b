"""Rubric of exercise 3, backpropagation through time: 18 points in three parts.

- Part 1, BPTT from the step functions: ``rnn_forward`` 3 points, ``rnn_backward`` 7. The
  backward tests pass the cache that the learner's own ``rnn_forward`` returned (whatever
  its layout) to the learner's ``rnn_backward``, and compare with :mod:`course_pkg.rnn`.
- Part 2, ``clip_grad_norm``: 6 points, compared with :func:`course_pkg.optim.clip_grad_norm_`
  (equal to ``torch.nn.utils.clip_grad_norm_``) on the arrays as the call left them.
- Part 3, ``gradient_norms``: 2 points; the written answer is marked by hand.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex03.py``
grades each of them):

- a backward that forgets to carry ``dh_prev`` into the step before keeps the forward
  points and the one-step test: 4 of Part 1's 10 (and loses Part 3, whose norms need it);
- one that overwrites the parameter gradients instead of adding them over the steps keeps
  ``dx`` and ``dh0`` too: 6 of 10 (Part 3 needs only ``dh0``, so it keeps those 2);
- a forward that ignores ``h0`` loses Parts 1 and 3, and each backward hint says that the
  forward is to be fixed first;
- clipping each array by its own norm loses the 2 points of the test that scales by one
  factor: 4 of Part 2's 6; returning new arrays instead of scaling in place, 3 of 6;
  forgetting torch's ``1e-6`` loses only the all-zero test.

Functions imported from ``course_pkg`` under the graded names score nothing. Three tests
are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array, compare_gradients,
                                       describe_value, expect, items, judge_beside_forward,
                                       own_output)
from course_pkg.grading.wire import Ref
from course_pkg.optim import clip_grad_norm_ as reference_clip
from course_pkg.rnn import rnn_backward as reference_backward
from course_pkg.rnn import rnn_forward as reference_forward

FORWARD, BACKWARD, CLIP, NORMS = "rnn_forward", "rnn_backward", "clip_grad_norm", "gradient_norms"
SIGNATURES = {FORWARD: ("x", "h0", "params"), BACKWARD: ("dh", "cache"),
              CLIP: ("grads", "max_norm"), NORMS: ("x", "h0", "params", "dh_last", "lags")}
FORWARD_TOL, BACKWARD_TOL, CLIP_TOL, NORMS_RTOL = 1e-9, 1e-8, 1e-5, 1e-6
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
SHAPES = {"h": "(N, T, H)", "dx": "(N, T, D)", "dh0": "(N, H)", "weight_ih": "(H, D)",
          "weight_hh": "(H, H)", "bias_ih": "(H,)", "bias_hh": "(H,)"}


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


def make_grads(seed, norms=(3.0, 0.5, 0.2), dtype=np.float64):
    """A dict of three gradient arrays of different shapes with the given norms."""
    rng = np.random.default_rng(seed)
    shapes = {"weight_ih": (4, 3), "weight_hh": (4, 4), "bias": (4,)}
    grads = {}
    for (name, shape), norm in zip(shapes.items(), norms):
        g = rng.standard_normal(shape)
        grads[name] = (g * (norm / np.linalg.norm(g))).astype(dtype)
    return grads




# --------------------------------------------------------------------------- judges (pure)

def judge_forward(calls, results):
    """``h`` of the learner's ``rnn_forward`` equals the reference's."""
    x, h0, params = calls[0].args
    h = own_output(results[0], 2)[0]
    compare_array("h", h, reference_forward(x, h0, params)[0], SHAPES["h"], FORWARD_TOL)


def judge_backward(calls, results, names):
    """The named gradients (``dx``, ``dh0`` or keys of ``grads``) equal the reference's."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, FORWARD, calls, results, names)


def check_gradients(calls, results, names):
    """The named gradients of the learner's ``rnn_backward`` against the reference's."""
    x, h0, params = calls[0].args
    dh = calls[1].args[0]
    dx, dh0, grads = own_output(results[1], 3)
    ref_dx, ref_dh0, ref_grads = reference_backward(dh, reference_forward(x, h0, params)[1])
    want = {**ref_grads, "dx": ref_dx, "dh0": ref_dh0}
    compare_gradients(grads, {"dx": dx, "dh0": dh0}, want, names, SHAPES, BACKWARD_TOL)


def _total(value):
    """The learner's returned norm as a float, or :class:`CheckFailed`."""
    if isinstance(value, dict):
        raise CheckFailed(f"expected {CLIP} to change the arrays of grads in place and return their "
                          "total norm, got a dict")
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        value = value.reshape(()).item()
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected {CLIP} to return the total norm (a number), got {describe_value(value)}")
    return float(value)


def _after(calls, results):
    """``(grads as the call left them, grads as torch would leave them, torch's total)``."""
    grads, max_norm = calls[0].args
    own_output(results[0])                             # raised? course_pkg's own function?
    after = results[0].args[0]
    expect(isinstance(after, dict) and set(after) == set(grads),
           f"expected {CLIP} to keep the keys of grads, got {describe_value(after)}")
    want = {k: v.copy() for k, v in grads.items()}
    total = reference_clip(want, max_norm)
    return after, want, float(total)


def judge_clip_total(calls, results):
    """The returned value is the joint norm of all gradients before clipping."""
    _, _, total = _after(calls, results)
    got = _total(results[0].value)
    if not (np.isfinite(got) and abs(got - total) <= CLIP_TOL * total):
        factor = f"off by a factor {got / total:.3g}" if np.isfinite(got) and got else f"{got}"
        raise CheckFailed(f"the returned norm is {factor}: expected the norm of all the arrays "
                          "together, before clipping")


def judge_clip_arrays(calls, results):
    """After the call, every array is what ``torch.nn.utils.clip_grad_norm_`` leaves."""
    grads = calls[0].args[0]
    after, want, _ = _after(calls, results)
    if all(np.array_equal(after[k], grads[k]) for k in grads) and not all(
            np.array_equal(want[k], grads[k]) for k in grads):
        raise CheckFailed("the arrays of grads are unchanged: scale them in place (g *= ...)")
    for name in grads:
        compare_array(f"grads[{name!r}] after clipping", after[name], want[name],
                      str(grads[name].shape), CLIP_TOL)


def judge_clip_zero(calls, results):
    """All-zero gradients stay zero: no division by a zero norm."""
    after, _, _ = _after(calls, results)
    for name, g in after.items():
        expect(isinstance(g, np.ndarray) and np.isfinite(g).all(),
               f"grads[{name!r}] became NaN: divide by (norm + 1e-6), as torch does")
        expect(not g.any(), f"expected grads[{name!r}] to stay zero, got non-zero values")


def judge_norms(calls, results):
    """``gradient_norms`` returns ``||dL/dh_{T-k}||`` for each lag, as the reference does."""
    x, h0, params, dh_last, lags = calls[0].args
    got = own_output(results[0])
    want = reference_norms(x, h0, params, dh_last, lags)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"expected {NORMS} to return an array of numbers, got {describe_value(got)}") from None
    expect(got.shape == want.shape, f"expected one norm per lag, shape {want.shape}, got {got.shape}")
    expect(np.isfinite(got).all(), f"{NORMS} returned NaN or infinite values")
    for k, g, w in zip(lags, got, want):
        expect(abs(g - w) <= NORMS_RTOL * w,
               f"the norm at lag {k} is off by a factor {g / w:.3g} (it uses your {FORWARD} and "
               f"{BACKWARD}: do Part 1's tests pass?)")


def reference_norms(x, h0, params, dh_last, lags):
    """``||dL/dh_{T-k}||`` (Frobenius norm over the batch) for ``L = sum(h_T * dh_last)``."""
    h, cache = reference_forward(x, h0, params)
    norms = []
    for k in lags:
        T = x.shape[1]
        start = h0 if k == T else h[:, T - k - 1]
        if k == 0:
            norms.append(np.linalg.norm(dh_last))
            continue
        _, sub = reference_forward(x[:, T - k:], start, params)
        dh = np.zeros(x.shape[:1] + (k,) + dh_last.shape[1:])
        dh[:, -1] = dh_last
        norms.append(np.linalg.norm(reference_backward(dh, sub)[1]))
    return np.array(norms)


# --------------------------------------------------------------------------- tests

def forward_test(test_id, name, N, T, D, H, seed, hidden=False):
    """A forward test on inputs of the given sizes."""
    x, h0, params, _ = make_inputs(N, T, D, H, seed)
    return Test(test_id, FORWARD, name, 1, (Call(FORWARD, (x, h0, params)),), judge_forward, hidden)


def backward_test(test_id, name, names, N=3, T=5, D=4, H=6, seed=10, hidden=False):
    """A backward test: the learner's forward gives the cache for the learner's backward."""
    x, h0, params, dh = make_inputs(N, T, D, H, seed)
    calls = (Call(FORWARD, (x, h0, params)), Call(BACKWARD, (dh, Ref(0, 1))))
    return Test(test_id, BACKWARD, name, 1, calls, partial(judge_backward, names=names), hidden)


def clip_test(test_id, name, points, judge, grads, max_norm, hidden=False):
    """A clipping test: the call's arguments come back, to see what it did to the arrays."""
    call = Call(CLIP, (grads, max_norm), keep_args=True)
    return Test(test_id, CLIP, name, points, (call,), judge, hidden)


def norms_test(test_id, name, N, T, D, H, lags, seed):
    """A test of ``gradient_norms`` at the given lags."""
    x, h0, params, dh = make_inputs(N, T, D, H, seed)
    call = Call(NORMS, (x, h0, params, dh[:, -1], list(lags)))
    return Test(test_id, NORMS, name, 1, (call,), judge_norms)


ALL = ("dx", "dh0") + PARAM_KEYS
ZEROS = {k: np.zeros_like(v) for k, v in make_grads(0).items()}

RUBRIC = Rubric(
    exercise="ex03_bptt",
    signatures=SIGNATURES,
    tests=(
        forward_test("forward_batch", "h for a batch (N=3, T=5, D=4, H=6)", 3, 5, 4, 6, seed=1),
        forward_test("forward_one_step", "h for a sequence of one step (T=1)", 2, 1, 3, 4, seed=2),
        forward_test("forward_long", "h for one long sequence (N=1, T=12)", 1, 12, 2, 3, seed=3, hidden=True),
        backward_test("backward_one_step", "every gradient for a sequence of one step (T=1)", ALL,
                      N=2, T=1, D=3, H=4, seed=11),
        backward_test("dx", "dx (N=3, T=5)", ("dx",)),
        backward_test("dh0", "dh0", ("dh0",)),
        backward_test("dweight_ih", "grads['weight_ih']", ("weight_ih",)),
        backward_test("dweight_hh", "grads['weight_hh']", ("weight_hh",)),
        backward_test("dbias", "grads['bias_ih'] and grads['bias_hh']", ("bias_ih", "bias_hh")),
        backward_test("backward_long", "every gradient for one long sequence (N=1, T=12)", ALL,
                      N=1, T=12, D=2, H=3, seed=12, hidden=True),
        clip_test("clip_total", "returns the joint norm of all the arrays, before clipping", 1,
                  judge_clip_total, make_grads(20), 1.0),
        clip_test("clip_scaled", "above max_norm: every array scaled by one factor, in place", 2,
                  judge_clip_arrays, make_grads(21), 1.0),
        clip_test("clip_below", "below max_norm: the arrays are left unchanged", 1,
                  judge_clip_arrays, make_grads(22, norms=(0.3, 0.2, 0.1)), 1.0),
        clip_test("clip_zero", "all-zero gradients stay zero (no NaN)", 1, judge_clip_zero, ZEROS, 1.0),
        clip_test("clip_single", "one float32 array above max_norm", 1, judge_clip_arrays,
                  {"weight": make_grads(23, dtype=np.float32)["weight_hh"]}, 0.25, hidden=True),
        norms_test("lags_short", "norms at every lag of a short sequence (T=6)", 2, 6, 3, 5,
                   range(7), seed=30),
        norms_test("lags_long", "norms at chosen lags of a longer sequence (T=25)", 3, 25, 2, 8,
                   (0, 1, 5, 12, 25), seed=31),
    ),
    answers=(Answer("question", "the gradient-norm-vs-lag curves of an orthogonal W_hh, explained"),),
)
