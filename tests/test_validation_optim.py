"""Bad calls to the optimisers and the gradient clipping."""
import math

import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids

import course_pkg as cp
from course_pkg import optim as O


def params():
    return {"w": np.zeros((2, 3)), "b": np.zeros(3)}


def grads():
    return {"w": np.ones((2, 3)), "b": np.ones(3)}


def constructor_cases():
    rows = []
    for cls in (O.SGD, O.Adam, O.AdamW):
        lr = {"lr": 0.1}
        rows += [
            (cls, TypeError, "Expected params to be a dict name -> array or a module .*, got list",
             lambda cls=cls: cls(list(params().values()), **lr)),
            (cls, ValueError, "Expected at least one parameter, got none", lambda cls=cls: cls({}, **lr)),
            (cls, TypeError, r"Expected parameter 'w' to be a numpy.ndarray, got Tensor; use torch.optim",
             lambda cls=cls: cls({"w": torch.zeros(2)}, **lr)),
            (cls, TypeError, "Expected parameter 'w' of dtype float32 or float64, got int64",
             lambda cls=cls: cls({"w": np.zeros(2, int)}, **lr)),
            (cls, TypeError, r"Expected parameter 'weight_ih_l0' to be a numpy.ndarray, got Tensor",
             lambda cls=cls: cls(cp.RNN(2, 3, backend="torch"), **lr)),
            (cls, TypeError, "Expected lr to be a number, got str", lambda cls=cls: cls(params(), lr="0.1")),
            (cls, TypeError, "Expected lr to be a number, got NoneType", lambda cls=cls: cls(params(), lr=None)),
            (cls, ValueError, "Expected lr >= 0, got -1", lambda cls=cls: cls(params(), lr=-1)),
            (cls, ValueError, "Expected lr to be a finite number, got nan", lambda cls=cls: cls(params(), lr=math.nan)),
            (cls, TypeError, "Expected maximize to be a bool, got str",
             lambda cls=cls: cls(params(), maximize="no", **lr)),
            (cls, ValueError, "Expected weight_decay >= 0, got -0.1",
             lambda cls=cls: cls(params(), weight_decay=-0.1, **lr)),
        ]
    rows += [
        (O.SGD, ValueError, "Expected momentum >= 0, got -0.5", lambda: O.SGD(params(), lr=0.1, momentum=-0.5)),
        (O.SGD, TypeError, "Expected nesterov to be a bool, got int", lambda: O.SGD(params(), lr=0.1, nesterov=1)),
        (O.SGD, ValueError, "Expected momentum > 0 and dampening == 0 for nesterov=True",
         lambda: O.SGD(params(), lr=0.1, nesterov=True)),
        (O.SGD, TypeError, "Expected dampening to be a number, got list",
         lambda: O.SGD(params(), lr=0.1, dampening=[0])),
        (O.Adam, ValueError, r"Expected betas to be a pair \(beta1, beta2\), got 0.9",
         lambda: O.Adam(params(), betas=0.9)),
        (O.Adam, ValueError, r"Expected betas\[0\] in \[0, 1\), got 1", lambda: O.Adam(params(), betas=(1.0, 0.9))),
        (O.Adam, TypeError, r"Expected betas\[1\] to be a number, got str", lambda: O.Adam(params(), betas=(0.9, "x"))),
        (O.Adam, ValueError, "Expected eps >= 0, got -1e-08", lambda: O.Adam(params(), eps=-1e-8)),
        (O.Adam, TypeError, "Expected amsgrad to be a bool, got NoneType", lambda: O.Adam(params(), amsgrad=None)),
        (O.AdamW, TypeError, "Expected amsgrad to be a bool, got int", lambda: O.AdamW(params(), amsgrad=1)),
    ]
    return [bad(*row) for row in rows]


def method_cases():
    step, load = O.Optimizer.step, O.Optimizer.load_state_dict
    sd = lambda: O.Adam(params()).state_dict()  # noqa: E731
    rows = [
        (step, TypeError, "Expected grads to be a dict keyed like the parameters, got list",
         lambda: O.SGD(params(), lr=0.1).step(list(grads().values()))),
        (step, ValueError, r"missing \['b'\] and unexpected \[\]",
         lambda: O.SGD(params(), lr=0.1).step({"w": np.ones((2, 3))})),
        (step, ValueError, r"Expected gradient 'b' of shape \(3,\), got \(1, 3\)",
         lambda: O.SGD(params(), lr=0.1).step({**grads(), "b": np.ones((1, 3))})),
        (step, TypeError, r"Expected gradient 'b' of dtype float64 \(the parameter's\), got float32",
         lambda: O.Adam(params()).step({**grads(), "b": np.ones(3, np.float32)})),
        (step, TypeError, "Expected gradient 'w' to be a numpy.ndarray, got list",
         lambda: O.Adam(params()).step({**grads(), "w": [[1.0] * 3] * 2})),
        (load, TypeError, "Expected state_dict to be a dict with keys 'hparams' and 'state', got list",
         lambda: O.Adam(params()).load_state_dict([])),
        (load, ValueError, r"Expected a dict with keys \['hparams', 'state'\], got \['state'\]",
         lambda: O.Adam(params()).load_state_dict({"state": {}})),
        (load, TypeError, r"Expected state_dict\['hparams'\] to be a dict, got list",
         lambda: O.Adam(params()).load_state_dict({"state": {}, "hparams": []})),
        (load, ValueError, r"Expected hparams \['amsgrad', 'betas', 'eps', 'lr', 'maximize', 'weight_decay'\], got",
         lambda: O.Adam(params()).load_state_dict({**sd(), "hparams": {"lr": 0.1}})),
        (load, TypeError, r"Expected state_dict\['state'\]\['w'\] to be a dict, got int",
         lambda: O.Adam(params()).load_state_dict({**sd(), "state": {"w": 3}})),
        (load, ValueError, r"Expected state for parameters among \['w', 'b'\], got \['nope'\]",
         lambda: O.Adam(params()).load_state_dict({**sd(), "state": {"nope": {}}})),
        (load, ValueError, "Expected lr >= 0, got -1",
         lambda: O.Adam(params()).load_state_dict({**sd(), "hparams": {**sd()["hparams"], "lr": -1}})),
        (load, TypeError, "Expected lr to be a number, got str",
         lambda: O.Adam(params()).load_state_dict({**sd(), "hparams": {**sd()["hparams"], "lr": "1"}})),
    ]
    return [bad(*row) for row in rows]


def clipping_cases():
    norm, value, gn = O.clip_grad_norm_, O.clip_grad_value_, O.grad_norm
    rows = [
        (norm, ValueError, "Expected max_norm >= 0, got -1", lambda: norm(grads(), -1)),
        (norm, TypeError, "Expected max_norm to be a number, got str", lambda: norm(grads(), "1")),
        (norm, TypeError, "Expected max_norm to be a number, got NoneType", lambda: norm(grads(), None)),
        (norm, ValueError, "Expected norm_type >= 1, got 0.5", lambda: norm(grads(), 1.0, norm_type=0.5)),
        (norm, TypeError, "Expected norm_type to be a number, got str", lambda: norm(grads(), 1.0, norm_type="two")),
        (norm, TypeError, "Expected error_if_nonfinite to be a bool, got str",
         lambda: norm(grads(), 1.0, error_if_nonfinite="yes")),
        (norm, TypeError, "Expected grads to be a dict of arrays, .*, got float", lambda: norm(1.0, 1.0)),
        (norm, TypeError, "Expected every gradient to be a numpy.ndarray, got Tensor; use torch.optim",
         lambda: norm([torch.ones(2)], 1.0)),
        (norm, RuntimeError, "Expected a finite total gradient norm of order 2, got inf",
         lambda: norm({"w": np.array([np.inf])}, 1.0, error_if_nonfinite=True)),
        (value, ValueError, "Expected clip_value >= 0, got -0.1", lambda: value(grads(), -0.1)),
        (value, TypeError, "Expected clip_value to be a number, got list", lambda: value(grads(), [1.0])),
        (value, TypeError, "Expected every gradient of dtype float32 or float64, got int64",
         lambda: value([np.ones(2, int)], 1.0)),
        (value, TypeError, "Expected grads to be a dict of arrays, .*, got str", lambda: value("w", 1.0)),
        (gn, ValueError, "Expected norm_type >= 1, got 0", lambda: gn(grads(), 0)),
        (gn, TypeError, "Expected every gradient to be a numpy.ndarray, got list", lambda: gn([[1.0, 2.0]])),
    ]
    return [bad(*row) for row in rows]


CASES = constructor_cases() + method_cases() + clipping_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)
