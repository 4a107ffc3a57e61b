"""Bad calls to the CS231n-style functions: one step and whole sequences, forward and backward."""
import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids

import course_pkg as cp

N, D, H = 2, 3, 4
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def params(family, dtype="float64", torch_=False):
    G = GATES[family]
    rng = np.random.default_rng(0)
    p = {"weight_ih": rng.standard_normal((G * H, D)), "weight_hh": rng.standard_normal((G * H, H)),
         "bias_ih": rng.standard_normal(G * H), "bias_hh": rng.standard_normal(G * H)}
    p = {k: v.astype(dtype) for k, v in p.items()}
    return {k: torch.tensor(v) for k, v in p.items()} if torch_ else p


def z(*shape, dtype="float64"):
    return np.zeros(shape, dtype)


def step(family, x, states, p):
    return getattr(cp, f"{family}_step_forward")(x, *states, p)


def seq(family, x, states, p):
    return getattr(cp, f"{family}_forward")(x, *states, p)


def n_states(family):
    return 2 if family == "lstm" else 1


def step_cases(family):
    fwd = getattr(cp, f"{family}_step_forward")
    s = (z(N, H),) * n_states(family)
    first = "h_prev"
    rows = [
        (TypeError, "Expected params to be a dict name -> array, got list",
         lambda: step(family, z(N, D), s, list(params(family).values()))),
        (ValueError, "Expected params to hold 'weight_hh'",
         lambda: step(family, z(N, D), s, {"weight_ih": params(family)["weight_ih"]})),
        (TypeError, r"Expected params\['bias_ih'\] to be a numpy.ndarray, got NoneType",
         lambda: step(family, z(N, D), s, {**params(family), "bias_ih": None})),
        (TypeError, r"Expected params\['weight_ih'\] of dtype float32 or float64, got int64",
         lambda: step(family, z(N, D), s, {**params(family), "weight_ih": np.zeros((GATES[family] * H, D), int)})),
        (TypeError, r"Expected params\['weight_hh'\] of dtype float64 \(weight_ih's dtype\), got float32",
         lambda: step(family, z(N, D), s, {**params(family), "weight_hh": params(family, "float32")["weight_hh"]})),
        (TypeError, "Expected x to be a numpy.ndarray, got list",
         lambda: step(family, [[0.0] * D] * N, s, params(family))),
        (TypeError, "Expected x to be a numpy.ndarray, got Tensor",
         lambda: step(family, torch.zeros(N, D, dtype=torch.float64), s, params(family))),
        (TypeError, r"Expected x of dtype float64 \(the parameters' dtype\), got float32",
         lambda: step(family, z(N, D, dtype="float32"), s, params(family))),
        (TypeError, r"Expected x to be a torch.Tensor, got ndarray",
         lambda: step(family, z(N, D), s, params(family, torch_=True))),
        (ValueError, r"Expected x of shape \(N, 3\), got \(2, 5\)", lambda: step(family, z(N, 5), s, params(family))),
        (ValueError, rf"Expected {first} of shape \(2, 4\), got \(3, 4\)",
         lambda: step(family, z(N, D), (z(3, H),) + s[1:], params(family))),
        (TypeError, rf"Expected {first} of dtype float64 .*, got float32",
         lambda: step(family, z(N, D), (z(N, H, dtype="float32"),) + s[1:], params(family))),
        (TypeError, rf"Expected {first} to be a numpy.ndarray, got NoneType",
         lambda: step(family, z(N, D), (None,) + s[1:], params(family))),
        (ValueError, r"Expected weight_hh of shape \(\d+, 4\), got",
         lambda: step(family, z(N, D), s, {**params(family), "weight_hh": z(GATES[family] * H, 5)})),
        (ValueError, "Expected both bias_ih and bias_hh or neither",
         lambda: step(family, z(N, D), s, {k: v for k, v in params(family).items() if k != "bias_hh"})),
    ]
    if family != "rnn":
        rows += [(ValueError, f"Expected weight_ih with {GATES[family]}\\*H rows",
                  lambda: step(family, z(N, D), s, {**params(family), "weight_ih": z(GATES[family] * H + 1, D)}))]
    if family == "lstm":
        rows += [(ValueError, r"Expected c_prev of shape \(2, 4\), got \(2, 5\)",
                  lambda: step(family, z(N, D), (z(N, H), z(N, 5)), params(family)))]
    if family == "rnn":
        rows += [(ValueError, r"Expected nonlinearity in \['tanh', 'relu'\], got 'gelu'",
                  lambda: cp.rnn_step_forward(z(N, D), z(N, H), params(family), nonlinearity="gelu")),
                 (TypeError, r"Expected nonlinearity in \['tanh', 'relu'\], got int",
                  lambda: cp.rnn_step_forward(z(N, D), z(N, H), params(family), nonlinearity=1))]
    return [bad(fwd, *row) for row in rows]


def sequence_cases(family):
    fwd = getattr(cp, f"{family}_forward")
    s = (z(N, H),) * n_states(family)
    first = "h0"
    rows = [
        (ValueError, r"Expected x of shape \(N, T, D\), got \(2, 3\)", lambda: seq(family, z(N, D), s, params(family))),
        (ValueError, r"Expected sequence length to be larger than 0, got x of shape \(2, 0, 3\)",
         lambda: seq(family, z(N, 0, D), s, params(family))),
        (ValueError, r"Expected x of shape \(N, 3\), got \(2, 5\)", lambda: seq(family, z(N, 4, 5), s, params(family))),
        (TypeError, "Expected x to be a numpy.ndarray, got list",
         lambda: seq(family, [[[0.0] * D]] * N, s, params(family))),
        (TypeError, r"Expected x of dtype float64 .*, got float32",
         lambda: seq(family, z(N, 4, D, dtype="float32"), s, params(family))),
        (ValueError, rf"Expected {first} of shape \(2, 4\), got \(4,\)",
         lambda: seq(family, z(N, 4, D), (z(H),) + s[1:], params(family))),
        (TypeError, "Expected params to be a dict", lambda: seq(family, z(N, 4, D), s, None)),
    ]
    if family == "lstm":
        rows += [(ValueError, r"Expected c0 of shape \(2, 4\), got \(1, 4\)",
                  lambda: seq(family, z(N, 4, D), (z(N, H), z(1, H)), params(family)))]
    return [bad(fwd, *row) for row in rows]


def step_backward_cases(family):
    bwd = getattr(cp, f"{family}_step_backward")

    def cache():
        return step(family, z(N, D), (z(N, H),) * n_states(family), params(family))[-1]

    def call(grads, c=None):
        return bwd(*grads, cache() if c is None else c)
    good = (z(N, H),) * n_states(family)
    rows = [
        (TypeError, f"Expected cache to be the cache {family}_step_forward\\(\\) returned, got NoneType",
         lambda: bwd(*good, None)),
        (TypeError, f"Expected cache to be the cache {family}_step_forward\\(\\) returned, got tuple",
         lambda: bwd(*good, seq(family, z(N, 3, D), (z(N, H),) * n_states(family), params(family))[-1])),
        (TypeError, "Expected dh_next to be a numpy.ndarray, got list", lambda: call(([[0.0] * H] * N,) + good[1:])),
        (TypeError, r"Expected dh_next of dtype float64 \(the forward's dtype\), got float32",
         lambda: call((z(N, H, dtype="float32"),) + good[1:])),
        (ValueError, r"Expected dh_next of shape \(2, 4\), got \(2, 5\)", lambda: call((z(N, 5),) + good[1:])),
    ]
    if family == "lstm":
        rows += [(TypeError, "Expected dc_next to be a numpy.ndarray, got NoneType", lambda: call((z(N, H), None))),
                 (ValueError, r"Expected dc_next of shape \(2, 4\), got \(4,\)", lambda: call((z(N, H), z(H))))]
    return [bad(bwd, *row) for row in rows]


def sequence_backward_cases(family):
    bwd = getattr(cp, f"{family}_backward")

    def cache():
        return seq(family, z(N, 5, D), (z(N, H),) * n_states(family), params(family))[-1]
    rows = [
        (TypeError, f"Expected cache to be the cache {family}_forward\\(\\) returned, got dict",
         lambda: bwd(z(N, 5, H), {})),
        (TypeError, f"Expected cache to be the cache {family}_forward\\(\\) returned, got tuple",
         lambda: bwd(z(N, 5, H), step(family, z(N, D), (z(N, H),) * n_states(family), params(family))[-1])),
        (TypeError, "Expected dh to be a numpy.ndarray, got NoneType", lambda: bwd(None, cache())),
        (TypeError, r"Expected dh of dtype float64 \(the forward's dtype\), got float32",
         lambda: bwd(z(N, 5, H, dtype="float32"), cache())),
        (ValueError, r"Expected dh of shape \(2, 5, 4\), got \(2, 4\)", lambda: bwd(z(N, H), cache())),
    ]
    if family == "lstm":
        rows += [(ValueError, r"Expected dc_T of shape \(2, 4\), got \(2, 5, 4\)",
                  lambda: bwd(z(N, 5, H), cache(), z(N, 5, H))),
                 (TypeError, "Expected dc_T to be a numpy.ndarray, got list", lambda: bwd(z(N, 5, H), cache(), [0.0]))]
    return [bad(bwd, *row) for row in rows]


def helper_cases():
    from course_pkg.layers import length_mask
    from course_pkg.rnn import check_nonlinearity
    rows = [
        (length_mask, ValueError, r"Expected lengths to be 2 integers, got shape \(2,\) of dtype float64",
         lambda: length_mask([1.0, 2.0], 2, 3)),
        (length_mask, ValueError, r"Expected lengths in \[1, 3\], got min 1 and max 4",
         lambda: length_mask([1, 4], 2, 3)),
        (length_mask, ValueError, r"Expected lengths to be 2 integers, got shape \(1, 2\)",
         lambda: length_mask([[1, 2]], 2, 3)),
        (check_nonlinearity, ValueError, r"Expected nonlinearity in \['tanh', 'relu'\], got 'sigmoid'",
         lambda: check_nonlinearity("sigmoid")),
        (check_nonlinearity, TypeError, r"Expected nonlinearity in \['tanh', 'relu'\], got NoneType",
         lambda: check_nonlinearity(None)),
    ]
    return [bad(*row) for row in rows]


CASES = [c for f in GATES for c in step_cases(f) + sequence_cases(f) + step_backward_cases(f)
         + sequence_backward_cases(f)] + helper_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


@pytest.mark.parametrize("family", list(GATES))
def test_torch_tensors_run_through_the_functions(family):
    p = params(family, torch_=True)
    x = torch.zeros(N, 5, D, dtype=torch.float64)
    out = seq(family, x, (torch.zeros(N, H, dtype=torch.float64),) * n_states(family), p)
    assert tuple(out[0].shape) == (N, 5, H)
    with pytest.raises(TypeError, match="Expected h0 to be a torch.Tensor, got ndarray"):
        seq(family, x, (z(N, H),) * n_states(family), p)
