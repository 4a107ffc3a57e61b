"""Bad calls to course_pkg.mingru: the linear-recurrence scans, the minGRU functions and MinGRU."""
import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids
from test_validation_layers import kind, other, zeros

from course_pkg import mingru as M

BACKENDS = ["numpy", "torch"]


def recurrence(backend="numpy", dtype="float64"):
    """``a, b (2, 3, 4)`` and ``h0 (2, 4)``."""
    return zeros(backend, (2, 3, 4), dtype), zeros(backend, (2, 3, 4), dtype), zeros(backend, (2, 4), dtype)


def params(dtype="float64"):
    """``weight_ih (2H, D) = (8, 5)`` and ``bias_ih (8,)``: ``D = 5``, ``H = 4``."""
    return {"weight_ih": np.zeros((8, 5), dtype), "bias_ih": np.zeros(8, dtype)}


def scan_cases():
    a, b, h0 = recurrence()
    loop, par, naive, log = (M.linear_scan_loop, M.linear_scan_parallel, M.linear_scan_closed_naive,
                             M.linear_scan_log)
    ta, tb, th0 = recurrence("torch", "float32")
    rows = [
        (M.scan_steps, TypeError, "Expected T to be an int, got str", lambda: M.scan_steps("3")),
        (M.scan_steps, TypeError, "Expected T to be an int, got float", lambda: M.scan_steps(2.0)),
        (M.scan_steps, TypeError, "Expected T to be an int, got bool", lambda: M.scan_steps(True)),
        (M.scan_steps, ValueError, "Expected T >= 1, got 0", lambda: M.scan_steps(0)),
        (loop, TypeError, "Expected a to be a numpy.ndarray or torch.Tensor, got list",
         lambda: loop([[[0.0]]], b, h0)),
        (loop, TypeError, "Expected a of dtype float32 or float64, got int64",
         lambda: loop(a.astype(np.int64), b, h0)),
        (loop, TypeError, r"Expected b of dtype float64 \(a's dtype\), got float32",
         lambda: loop(a, b.astype(np.float32), h0)),
        (loop, TypeError, "Expected h0 to be a numpy.ndarray, got Tensor",
         lambda: loop(a, b, torch.zeros(2, 4, dtype=torch.float64))),
        (loop, ValueError, r"Expected a of shape \(N, T, H\) with T >= 1, got \(3, 4\)",
         lambda: loop(a[0], b[0], h0)),
        (loop, ValueError, r"Expected a of shape \(N, T, H\) with T >= 1, got \(2, 0, 4\)",
         lambda: loop(a[:, :0], b[:, :0], h0)),
        (loop, ValueError, r"Expected b of shape \(2, 3, 4\) \(a's\), got \(2, 2, 4\)",
         lambda: loop(a, b[:, :2], h0)),
        (loop, ValueError, r"Expected h0 of shape \(2, 4\), got \(2, 3\)", lambda: loop(a, b, h0[:, :3])),
        (par, TypeError, "Expected b to be a torch.Tensor, got ndarray",
         lambda: par(ta, np.zeros((2, 3, 4), np.float32), th0)),
        (par, TypeError, r"Expected h0 of dtype float32 \(a's dtype\), got float64",
         lambda: par(ta, tb, th0.double())),
        (par, ValueError, r"Expected h0 of shape \(2, 4\), got \(3, 4\)", lambda: par(a, b, np.zeros((3, 4)))),
        (par, ValueError, r"Expected a of shape \(N, T, H\) with T >= 1, got \(2, 3, 4, 1\)",
         lambda: par(a[..., None], b[..., None], h0)),
        (naive, TypeError, "Expected a to be a numpy.ndarray or torch.Tensor, got NoneType",
         lambda: naive(None, b, h0)),
        (naive, TypeError, "Expected b to be a numpy.ndarray, got list", lambda: naive(a, b.tolist(), h0)),
        (naive, ValueError, r"Expected b of shape \(2, 3, 4\) \(a's\), got \(2, 3, 2\)",
         lambda: naive(a, b[..., :2], h0)),
        (log, TypeError, "Expected log_a to be a numpy.ndarray or torch.Tensor, got list",
         lambda: log([0.0], b, h0)),
        (log, TypeError, r"Expected b of dtype float64 \(log_a's dtype\), got float32",
         lambda: log(a, b.astype(np.float32), h0)),
        (log, ValueError, r"Expected log_a of shape \(N, T, H\) with T >= 1, got \(2, 4\)",
         lambda: log(a[:, 0], b, h0)),
        (log, ValueError, r"Expected b of shape \(2, 3, 4\) \(log_a's\), got \(2, 3, 5\)",
         lambda: log(a, np.zeros((2, 3, 5)), h0)),
    ]
    return [bad(*row) for row in rows]


def function_cases():
    x, h0, P = np.zeros((2, 3, 5)), np.zeros((2, 4)), params()
    fwd, bwd = M.mingru_forward, M.mingru_backward

    def cache():
        return fwd(x, h0, P)[1]
    rows = [
        (fwd, TypeError, "Expected params to be a dict name -> array, got list",
         lambda: fwd(x, h0, [P["weight_ih"]])),
        (fwd, ValueError, r"Expected params to hold 'weight_ih', got keys \['bias_ih'\]",
         lambda: fwd(x, h0, {"bias_ih": np.zeros(8)})),
        (fwd, ValueError, "Expected params with keys weight_ih and bias_ih only, got 'weight_hh'",
         lambda: fwd(x, h0, {**P, "weight_hh": np.zeros((8, 4))})),
        (fwd, TypeError, r"Expected params\['weight_ih'\] to be a numpy.ndarray or torch.Tensor, got list",
         lambda: fwd(x, h0, {"weight_ih": [[0.0] * 5] * 8})),
        (fwd, TypeError, r"Expected params\['bias_ih'\] of dtype float64 \(weight_ih's dtype\), got float32",
         lambda: fwd(x, h0, {**P, "bias_ih": np.zeros(8, np.float32)})),
        (fwd, ValueError, r"Expected weight_ih of shape \(2H, D\), got \(7, 5\)",
         lambda: fwd(x, h0, {"weight_ih": np.zeros((7, 5))})),
        (fwd, ValueError, r"Expected weight_ih of shape \(2H, D\), got \(8,\)",
         lambda: fwd(x, h0, {"weight_ih": np.zeros(8)})),
        (fwd, ValueError, r"Expected bias_ih of shape \(8,\), got \(4,\)",
         lambda: fwd(x, h0, {**P, "bias_ih": np.zeros(4)})),
        (fwd, ValueError, r"Expected mode in \['scan', 'loop', 'log'\], got 'fast'",
         lambda: fwd(x, h0, P, mode="fast")),
        (fwd, TypeError, r"Expected mode in \['scan', 'loop', 'log'\], got NoneType",
         lambda: fwd(x, h0, P, mode=None)),
        (fwd, TypeError, r"Expected x of dtype float64 \(weight_ih's dtype\), got float32",
         lambda: fwd(x.astype(np.float32), h0, P)),
        (fwd, TypeError, "Expected x to be a numpy.ndarray, got Tensor",
         lambda: fwd(torch.zeros(2, 3, 5, dtype=torch.float64), h0, P)),
        (fwd, TypeError, "Expected h0 to be a numpy.ndarray, got list", lambda: fwd(x, h0.tolist(), P)),
        (fwd, ValueError, r"Expected x of shape \(N, T, 5\) with T >= 1, got \(2, 3, 4\)",
         lambda: fwd(x[..., :4], h0, P)),
        (fwd, ValueError, r"Expected x of shape \(N, T, 5\) with T >= 1, got \(2, 0, 5\)",
         lambda: fwd(x[:, :0], h0, P)),
        (fwd, ValueError, r"Expected h0 of shape \(2, 4\), got \(2, 3\)", lambda: fwd(x, h0[:, :3], P)),
        (fwd, TypeError, "Expected mask to be a numpy.ndarray, got list",
         lambda: fwd(x, h0, P, mask=[[1, 1, 1], [1, 1, 0]])),
        (fwd, TypeError, r"Expected mask of dtype float64 \(weight_ih's dtype\), got float32",
         lambda: fwd(x, h0, P, mask=np.ones((2, 3), np.float32))),
        (fwd, ValueError, r"Expected mask of shape \(2, 3\), got \(2, 4\)",
         lambda: fwd(x, h0, P, mask=np.ones((2, 4)))),
        (fwd, ValueError, "Expected mask of 0s and 1s, got other values",
         lambda: fwd(x, h0, P, mask=np.full((2, 3), 0.5))),
        (bwd, TypeError, r"Expected cache to be the cache mingru_forward\(\) returned, got NoneType",
         lambda: bwd(np.zeros((2, 3, 4)), None)),
        (bwd, TypeError, r"Expected cache to be the cache mingru_forward\(\) returned, got list",
         lambda: bwd(np.zeros((2, 3, 4)), list(cache()))),
        (bwd, TypeError, r"Expected cache to be the cache mingru_forward\(\) returned, got tuple",
         lambda: bwd(np.zeros((2, 3, 4)), cache()[:8])),
        (bwd, TypeError, r"Expected dh of dtype float64 \(x's dtype\), got float32",
         lambda: bwd(np.zeros((2, 3, 4), np.float32), cache())),
        (bwd, TypeError, "Expected dh to be a numpy.ndarray, got Tensor",
         lambda: bwd(torch.zeros(2, 3, 4, dtype=torch.float64), cache())),
        (bwd, ValueError, r"Expected dh of shape \(2, 3, 4\), got \(2, 3, 5\)",
         lambda: bwd(np.zeros((2, 3, 5)), cache())),
        (bwd, TypeError, r"Expected dh_T of dtype float64 \(x's dtype\), got float32",
         lambda: bwd(np.zeros((2, 3, 4)), cache(), np.zeros((2, 4), np.float32))),
        (bwd, ValueError, r"Expected dh_T of shape \(2, 4\), got \(1, 2, 4\)",
         lambda: bwd(np.zeros((2, 3, 4)), cache(), np.zeros((1, 2, 4)))),
    ]
    return [bad(*row) for row in rows]


def constructor_cases():
    C = M.MinGRU
    rows = [
        (TypeError, "Expected input_size to be an int, got str", lambda: C("5", 6)),
        (ValueError, "Expected hidden_size >= 1, got 0", lambda: C(5, 0)),
        (ValueError, r"Expected mode in \['scan', 'loop', 'log'\], got 'fast'", lambda: C(5, 6, mode="fast")),
        (TypeError, r"Expected mode in \['scan', 'loop', 'log'\], got int", lambda: C(5, 6, mode=1)),
        (ValueError, r"Expected num_layers=1 \(MinGRU is one layer, one direction\), got num_layers=2",
         lambda: C(5, 6, num_layers=2)),
        (ValueError, "Expected num_layers=1 .*, got num_layers=True", lambda: C(5, 6, num_layers=True)),
        (ValueError, "Expected bidirectional=False .*, got bidirectional=True",
         lambda: C(5, 6, bidirectional=True)),
        (ValueError, r"Expected dropout=0.0 .*, got dropout=0.5", lambda: C(5, 6, dropout=0.5)),
        (TypeError, "Expected bias to be a bool, got str", lambda: C(5, 6, bias="yes")),
        (TypeError, "Expected batch_first to be a bool, got int", lambda: C(5, 6, batch_first=1)),
        (ValueError, r"Expected backend in \['numpy', 'torch'\], got 'jax'", lambda: C(5, 6, backend="jax")),
        (TypeError, "Expected dtype float32 or float64, got int32", lambda: C(5, 6, dtype="int32")),
        (ValueError, "Expected seed >= 0, got -1", lambda: C(5, 6, seed=-1)),
    ]
    return [bad(C, *row) for row in rows]


def conversion_cases():
    C = M.MinGRU
    rows = [
        (C.to_torch_nn, r"Expected a module that torch.nn has \(RNN, LSTM, GRU\), got MinGRU",
         lambda: C(5, 6).to_torch_nn()),
        (C.from_torch_nn, r"got MinGRU \(and a GRU\): torch.nn has no minGRU",
         lambda: C.from_torch_nn(torch.nn.GRU(5, 6))),
        (C.from_keras, "got MinGRU: Keras has no minGRU layer", lambda: C.from_keras([np.zeros((5, 12))])),
        (C.to_keras_weights, r"Expected a module that Keras has \(RNN, LSTM, GRU\), got MinGRU",
         lambda: C(5, 6).to_keras_weights()),
    ]
    return [bad(entry, TypeError, match, call) for entry, match, call in rows]


def module_cases(backend):
    def layer(**kw):
        return M.MinGRU(5, 6, backend=backend, **kw)

    def ran(shape=(3, 2, 5), **kw):
        """A MinGRU after one forward pass on ``shape`` (``(T, N, D)`` unless batch_first)."""
        model = layer(**kw)
        model(zeros(backend, shape))
        return model
    x, fwd, bwd = zeros(backend, (3, 2, 5)), M.MinGRU.forward, M.MinGRU.backward
    rows = [
        (fwd, TypeError, rf"Expected input to be a {kind(backend)} \(backend='{backend}'\), got list",
         lambda: layer()([[[0.0] * 5]])),
        (fwd, TypeError, f"Expected input to be a {kind(backend)}", lambda: layer()(other(backend, (3, 2, 5)))),
        (fwd, TypeError, r"Expected input of dtype float32 \(the parameters' dtype\), got float64",
         lambda: layer()(zeros(backend, (3, 2, 5), "float64"))),
        (fwd, ValueError, r"Expected input of shape \(T, N, 5\), got \(3, 2, 4\)",
         lambda: layer()(zeros(backend, (3, 2, 4)))),
        (fwd, ValueError, r"Expected input of shape \(N, T, 5\), got \(2, 3, 4\)",
         lambda: layer(batch_first=True)(zeros(backend, (2, 3, 4)))),
        (fwd, ValueError, r"Expected input of shape \(T, N, 5\), got \(3, 5\)",
         lambda: layer()(zeros(backend, (3, 5)))),
        (fwd, ValueError, r"with T >= 1, got \(2, 0, 5\)", lambda: layer()(zeros(backend, (0, 2, 5)))),
        (fwd, ValueError, r"Expected hx of shape \(1, 2, 6\), got \(2, 6\)",
         lambda: layer()(x, zeros(backend, (2, 6)))),
        (fwd, TypeError, f"Expected hx to be a {kind(backend)}", lambda: layer()(x, other(backend, (1, 2, 6)))),
        (fwd, TypeError, r"Expected hx of dtype float32 \(the parameters' dtype\), got float64",
         lambda: layer()(x, zeros(backend, (1, 2, 6), "float64"))),
        (fwd, ValueError, r"Expected lengths in \[1, 3\], got min 0 and max 3", lambda: layer()(x, lengths=[0, 3])),
        (fwd, ValueError, r"Expected lengths in \[1, 3\], got min 3 and max 4", lambda: layer()(x, lengths=[4, 3])),
        (fwd, ValueError, r"Expected lengths to be 2 integers, got shape \(1,\)", lambda: layer()(x, lengths=[3])),
        (fwd, ValueError, "Expected lengths to be 2 integers, got shape .* of dtype float64",
         lambda: layer()(x, lengths=[1.5, 3.0])),
        (bwd, RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: layer().backward(zeros(backend, (3, 2, 6)))),
        (bwd, ValueError, r"Expected grad_output of shape \(3, 2, 6\), got \(2, 3, 6\)",
         lambda: ran().backward(zeros(backend, (2, 3, 6)))),
        (bwd, ValueError, r"Expected grad_output of shape \(2, 3, 6\), got \(3, 2, 6\)",
         lambda: ran((2, 3, 5), batch_first=True).backward(zeros(backend, (3, 2, 6)))),
        (bwd, TypeError, r"Expected grad_output of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran().backward(zeros(backend, (3, 2, 6), "float64"))),
        (bwd, TypeError, f"Expected grad_output to be a {kind(backend)}",
         lambda: ran().backward(other(backend, (3, 2, 6)))),
        (bwd, TypeError, rf"Expected grad_output to be a {kind(backend)} \(backend='{backend}'\), got NoneType",
         lambda: ran().backward(None)),
        (bwd, ValueError, r"Expected grad_h_n of shape \(1, 2, 6\), got \(2, 6\)",
         lambda: ran().backward(zeros(backend, (3, 2, 6)), zeros(backend, (2, 6)))),
        (bwd, TypeError, r"Expected grad_h_n of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran().backward(zeros(backend, (3, 2, 6)), zeros(backend, (1, 2, 6), "float64"))),
    ]
    return [bad(*row) for row in rows]


CASES = (scan_cases() + function_cases() + constructor_cases() + conversion_cases()
         + [c for b in BACKENDS for c in module_cases(b)])


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_batch(backend):
    out, h_n = M.MinGRU(5, 6, batch_first=True, backend=backend)(zeros(backend, (0, 3, 5)))
    assert tuple(out.shape) == (0, 3, 6) and tuple(h_n.shape) == (1, 0, 6)
