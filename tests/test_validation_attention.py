"""Bad calls to attention: the functions and the module, on both back-ends."""
import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids
from test_validation_layers import kind, other, zeros

from course_pkg import attention as A

BACKENDS = ["numpy", "torch"]


def qkv(backend="numpy", dtype="float64", S=5):
    return zeros(backend, (2, 3, 4), dtype), zeros(backend, (2, S, 4), dtype), zeros(backend, (2, S, 6), dtype)


def additive_params(dtype="float64", A_=7):
    return {"W_q": np.zeros((A_, 4), dtype), "W_k": np.zeros((A_, 4), dtype), "v": np.zeros(A_, dtype)}


def function_cases():
    q, k, v = qkv()
    dot, add, soft = A.dot_attention_forward, A.additive_attention_forward, A.masked_softmax
    dbwd, abwd = A.dot_attention_backward, A.additive_attention_backward
    rows = [
        (dot, TypeError, "Expected query to be a numpy.ndarray or torch.Tensor, got list", lambda: dot([[0.0]], k, v)),
        (dot, TypeError, r"Expected keys of dtype float64 \(query's dtype\), got float32",
         lambda: dot(q, k.astype(np.float32), v)),
        (dot, TypeError, "Expected values to be a numpy.ndarray, got Tensor", lambda: dot(q, k, torch.zeros(2, 5, 6))),
        (dot, TypeError, "Expected query of dtype float32 or float64, got int64", lambda: dot(q.astype(int), k, v)),
        (dot, ValueError, r"Expected query \(N, T, Hq\), keys \(N, S, Hk\)", lambda: dot(q[0], k, v)),
        (dot, ValueError, "Expected keys and values with the batch and length", lambda: dot(q, k, v[:, :3])),
        (dot, ValueError, "Expected query and keys of the same size, got 4 and 2", lambda: dot(q, k[..., :2], v)),
        (dot, ValueError, r"Expected keys with at least one position \(S >= 1\), got shape \(2, 0, 4\)",
         lambda: dot(*qkv(S=0))),
        (dot, ValueError, r"Expected mask of shape \(2, 5\), got \(2, 4\)", lambda: dot(q, k, v, np.ones((2, 4)))),
        (dot, ValueError, "Expected every sequence to have at least one valid position",
         lambda: dot(q, k, v, np.array([[1, 1, 0, 0, 0], [0] * 5]))),
        (dot, TypeError, r"Expected mask to be None or a numpy.ndarray \(like the scores\), got list",
         lambda: dot(q, k, v, [[1] * 5] * 2)),
        (add, TypeError, "Expected params to be a dict with W_q, W_k and v, got list",
         lambda: add(q, k, v, list(additive_params().values()))),
        (add, ValueError, "Expected params to hold W_q, W_k and v", lambda: add(q, k, v, {"W_q": np.zeros((7, 4))})),
        (add, TypeError, r"Expected params\['v'\] of dtype float64 \(query's dtype\), got float32",
         lambda: add(q, k, v, {**additive_params(), "v": np.zeros(7, np.float32)})),
        (add, ValueError, r"Expected W_q \(A, 4\), W_k \(A, 4\) and v \(A,\), got \(7, 4\), \(7, 4\) and \(6,\)",
         lambda: add(q, k, v, {**additive_params(), "v": np.zeros(6)})),
        (add, ValueError, r"Expected W_q \(A, 4\)",
         lambda: add(q, k, v, {**additive_params(), "W_q": np.zeros((7, 3))})),
        (soft, TypeError, "Expected scores to be a numpy.ndarray or torch.Tensor, got list", lambda: soft([[[0.0]]])),
        (dbwd, TypeError, r"Expected cache to be the cache dot_attention_forward\(\) returned, got NoneType",
         lambda: dbwd(np.zeros((2, 3, 6)), None)),
        (dbwd, TypeError, r"Expected cache to be the cache dot_attention_forward\(\) returned, got tuple",
         lambda: dbwd(np.zeros((2, 3, 6)), add(q, k, v, additive_params())[2])),
        (dbwd, ValueError, r"Expected dcontext of shape \(2, 3, 6\), got \(2, 3, 4\)",
         lambda: dbwd(np.zeros((2, 3, 4)), dot(q, k, v)[2])),
        (dbwd, TypeError, r"Expected dcontext of dtype float64 \(the forward's dtype\), got float32",
         lambda: dbwd(np.zeros((2, 3, 6), np.float32), dot(q, k, v)[2])),
        (abwd, TypeError, "Expected dcontext to be a numpy.ndarray, got Tensor",
         lambda: abwd(torch.zeros(2, 3, 6), add(q, k, v, additive_params())[2])),
        (abwd, TypeError, r"Expected cache to be the cache additive_attention_forward\(\) returned, got tuple",
         lambda: abwd(np.zeros((2, 3, 6)), dot(q, k, v)[2])),
        (abwd, ValueError, r"Expected dcontext of shape \(2, 3, 6\), got \(2, 6\)",
         lambda: abwd(np.zeros((2, 6)), add(q, k, v, additive_params())[2])),
        (soft, TypeError, r"Expected mask to be None or a torch.Tensor \(like the scores\), got ndarray",
         lambda: soft(torch.zeros(2, 3, 5), np.ones((2, 5)))),
        (soft, ValueError, r"Expected mask of shape \(2, 5\), got \(5,\)",
         lambda: soft(np.zeros((2, 3, 5)), np.ones(5))),
    ]
    return [bad(*row) for row in rows]


def module_cases(backend):
    def att(kind_="dot", **kw):
        return A.Attention(kind_, 4, 4, backend=backend, **kw)
    q, k, v = qkv(backend, "float32")

    def ran(model, *inputs):
        model(*inputs)
        return model
    rows = [
        (A.Attention, ValueError, r"Expected kind in \['dot', 'additive'\], got 'cosine'",
         lambda: A.Attention("cosine", 4, 4)),
        (A.Attention, TypeError, r"Expected kind in \['dot', 'additive'\], got NoneType",
         lambda: A.Attention(None, 4, 4)),
        (A.Attention, ValueError, "Expected query_size >= 1, got 0", lambda: A.Attention("additive", 0, 4)),
        (A.Attention, TypeError, "Expected key_size to be an int, got float", lambda: A.Attention("additive", 4, 4.0)),
        (A.Attention, ValueError, "Expected attention_size >= 1, got 0", lambda: att("additive", attention_size=0)),
        (A.Attention, ValueError, "Expected attention_size >= 1, got -2", lambda: att("additive", attention_size=-2)),
        (A.Attention, TypeError, "Expected attention_size to be an int or None, got str",
         lambda: att("additive", attention_size="8")),
        (A.Attention, TypeError, "Expected scale to be a number or None, got str", lambda: att(scale="0.5")),
        (A.Attention, ValueError, "Expected scale to be a finite number, got inf", lambda: att(scale=float("inf"))),
        (A.Attention, ValueError, "Expected query_size == key_size for dot attention, got 3 and 4",
         lambda: A.Attention("dot", 3, 4)),
        (A.Attention, ValueError, "Expected seed >= 0", lambda: att(seed=-1)),
        (A.Attention.forward, TypeError, rf"Expected query to be a {kind(backend)} \(backend='{backend}'\), got list",
         lambda: att()([[0.0] * 4], k)),
        (A.Attention.forward, TypeError, f"Expected keys to be a {kind(backend)}",
         lambda: att()(q, other(backend, (2, 5, 4)))),
        (A.Attention.forward, TypeError, r"Expected query of dtype float32 \(the parameters' dtype\), got float64",
         lambda: att()(zeros(backend, (2, 3, 4), "float64"), k)),
        (A.Attention.forward, TypeError, "Expected values of dtype float32",
         lambda: att()(q, k, zeros(backend, (2, 5, 6), "float64"))),
        (A.Attention.forward, ValueError, r"Expected query of shape \(N, T, 4\) or \(N, 4\), got \(2, 3, 5\)",
         lambda: att()(zeros(backend, (2, 3, 5)), k)),
        (A.Attention.forward, ValueError, r"Expected query of shape \(N, T, 4\) or \(N, 4\), got \(4,\)",
         lambda: att()(zeros(backend, (4,)), k)),
        (A.Attention.forward, ValueError, r"Expected keys of shape \(N, S, 4\), got \(2, 5, 3\)",
         lambda: att("additive")(q, zeros(backend, (2, 5, 3)))),
        (A.Attention.forward, ValueError, "Expected every sequence to have at least one valid position",
         lambda: att()(q, k, v, mask=[[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]])),
        (A.Attention.forward, ValueError, r"Expected keys with at least one position \(S >= 1\)",
         lambda: att()(q, zeros(backend, (2, 0, 4)))),
        (A.Attention.backward, RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: att().backward(zeros(backend, (2, 3, 6)))),
        (A.Attention.backward, ValueError, r"Expected dcontext of shape \(2, 3, 6\), got \(2, 3, 4\)",
         lambda: ran(att(), q, k, v).backward(zeros(backend, (2, 3, 4)))),
        (A.Attention.backward, ValueError, r"Expected dcontext of shape \(2, 4\), got \(2, 1, 4\)",
         lambda: ran(att(), q[:, 0], k).backward(zeros(backend, (2, 1, 4)))),
        (A.Attention.backward, TypeError, "Expected dcontext of dtype float32",
         lambda: ran(att("additive"), q, k, v).backward(zeros(backend, (2, 3, 6), "float64"))),
        (A.Attention.backward, TypeError, f"Expected dcontext to be a {kind(backend)}",
         lambda: ran(att(), q, k, v).backward(None)),
    ]
    return [bad(*row) for row in rows]


CASES = function_cases() + [c for b in BACKENDS for c in module_cases(b)]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


def test_attention_size_defaults_to_key_size_only_when_none():
    assert A.Attention("additive", 3, 4).state_dict()["v"].shape == (4,)
    assert A.Attention("additive", 3, 4, attention_size=2).state_dict()["v"].shape == (2,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_batch(backend):
    att = A.Attention("dot", 4, 4, backend=backend)
    q, k, v = (zeros(backend, s) for s in ((0, 3, 4), (0, 5, 4), (0, 5, 6)))
    context, weights = att(q, k, v, mask=np.ones((0, 5)))
    assert tuple(context.shape) == (0, 3, 6) and tuple(weights.shape) == (0, 3, 5)
