"""Rubric of exercise 1, the RNN step: 4 points for the forward pass, 6 for the backward.

Every check compares the learner's float64 results with :mod:`course_pkg.rnn` on
seeded random inputs (including a batch of one). The backward checks run the
learner's own ``rnn_step_forward`` to get a cache (whatever its layout) and pass it to
the learner's ``rnn_step_backward``, so backward points need a forward that runs.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading.loader import GradedTest, expect
from course_pkg.rnn import rnn_step_backward as reference_backward
from course_pkg.rnn import rnn_step_forward as reference_forward

FORWARD, BACKWARD = "rnn_step_forward", "rnn_step_backward"
FORWARD_TOL, BACKWARD_TOL = 1e-9, 1e-8
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


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


def own(ns, name):
    """The learner's function ``name``; fails if it is course_pkg's reference itself."""
    fn = getattr(ns, name)
    expect(not str(getattr(fn, "__module__", "")).startswith("course_pkg"),
           f"Expected your own {name}, got course_pkg's reference")
    return fn


def unpack(out, n, name):
    """Check that ``out`` is a tuple/list of ``n`` items and return it as a tuple."""
    expect(isinstance(out, (tuple, list)) and len(out) == n,
           f"Expected {name} to return a tuple of {n} items, got {type(out).__name__}"
           + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    return tuple(out)


def compare(label, got, want, tol):
    """Fail unless ``got`` has ``want``'s shape and a relative error below ``tol``."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        expect(False, f"Expected {label} to be an array, got {type(got).__name__}")
    expect(got.shape == want.shape, f"Expected {label} of shape {want.shape}, got {got.shape}")
    err = rel_error(got, want)
    expect(err < tol, f"Expected {label} to match the reference (relative error < {tol:g}), got {err:.1e}")


def copies(x, h_prev, params):
    """Fresh copies, so that the learner's code cannot change the reference's inputs."""
    return x.copy(), h_prev.copy(), {k: v.copy() for k, v in params.items()}


def check_forward(ns, N, D, H, seed):
    """``h_next`` of the learner's forward equals the reference's."""
    x, h_prev, params, _ = make_inputs(N, D, H, seed)
    h_next = unpack(own(ns, FORWARD)(*copies(x, h_prev, params)), 2, FORWARD)[0]
    compare("h_next", h_next, reference_forward(x, h_prev, params)[0], FORWARD_TOL)


def check_forward_pure(ns, N, D, H, seed):
    """The forward returns ``(h_next, cache)`` with the right ``h_next`` and changes no input."""
    x, h_prev, params, _ = make_inputs(N, D, H, seed)
    args = copies(x, h_prev, params)
    h_next = unpack(own(ns, FORWARD)(*args), 2, FORWARD)[0]
    compare("h_next", h_next, reference_forward(x, h_prev, params)[0], FORWARD_TOL)
    for label, got, want in [("x", args[0], x), ("h_prev", args[1], h_prev)] + [
            (f"params[{k!r}]", args[2][k], params[k]) for k in PARAM_KEYS]:
        expect(np.array_equal(got, want), f"Expected {label} unchanged by {FORWARD}, got it modified")


def check_backward(ns, N, D, H, seed, names):
    """The named gradients (``dx``, ``dh_prev`` or keys of ``grads``) equal the reference's."""
    x, h_prev, params, dh_next = make_inputs(N, D, H, seed)
    cache = unpack(own(ns, FORWARD)(*copies(x, h_prev, params)), 2, FORWARD)[1]
    dx, dh_prev, grads = unpack(own(ns, BACKWARD)(dh_next.copy(), cache), 3, BACKWARD)
    expect(isinstance(grads, Mapping), f"Expected grads to be a dict, got {type(grads).__name__}")
    ref_dx, ref_dh_prev, ref_grads = reference_backward(dh_next, reference_forward(x, h_prev, params)[1])
    got = {"dx": dx, "dh_prev": dh_prev, **grads}
    want = {"dx": ref_dx, "dh_prev": ref_dh_prev, **ref_grads}
    for name in names:
        expect(name in got, f"Expected grads[{name!r}], got keys {sorted(grads)}")
        compare(name if name in ("dx", "dh_prev") else f"grads[{name!r}]", got[name], want[name],
                BACKWARD_TOL)


def _forward(name, points=1, **shape):
    return GradedTest(FORWARD, name, points, partial(check_forward, **shape), requires=(FORWARD,))


def _backward(name, names, points=1, N=4, D=3, H=5, seed=10):
    return GradedTest(BACKWARD, name, points,
                      partial(check_backward, N=N, D=D, H=H, seed=seed, names=names),
                      requires=(FORWARD, BACKWARD))


TESTS = [
    _forward("h_next for one example (N=1, D=3, H=4)", N=1, D=3, H=4, seed=1),
    _forward("h_next for a batch (N=5, D=4, H=3)", N=5, D=4, H=3, seed=2),
    _forward("h_next with D = H (N=2, D=6, H=6)", N=2, D=6, H=6, seed=3),
    GradedTest(FORWARD, "returns (h_next, cache) and leaves its inputs unchanged", 1,
               partial(check_forward_pure, N=3, D=2, H=5, seed=4), requires=(FORWARD,)),
    _backward("dx", ("dx",)),
    _backward("dh_prev", ("dh_prev",)),
    _backward("grads['weight_ih']", ("weight_ih",)),
    _backward("grads['weight_hh']", ("weight_hh",)),
    _backward("grads['bias_ih'] and grads['bias_hh']", ("bias_ih", "bias_hh")),
    _backward("every gradient for one example (N=1)", ("dx", "dh_prev") + PARAM_KEYS, N=1, D=4, H=3, seed=11),
]
