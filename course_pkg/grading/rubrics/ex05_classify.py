"""Rubric of exercise 5, the N vs 1 classifier: 16 points in three parts.

- Part 1, the masked last state: ``last_valid_state`` 5 points (one hidden),
  ``last_valid_state_backward`` 2; compared with ``output[b, lengths[b] - 1]`` (what
  :class:`course_pkg.heads.SequenceClassifier` reads with ``lengths``) and its backward.
- Part 2, ``softmax_head``: the mean cross-entropy of a linear head and its gradients,
  6 points (one hidden), compared with :func:`course_pkg.losses.cross_entropy` (equal to
  ``torch.nn.functional.cross_entropy``) and the ``Linear`` backward.
- Part 3, ``sigmoid_head``: one score, a sigmoid and the binary cross-entropy (equal to
  ``torch.nn.functional.binary_cross_entropy_with_logits``), 3 points. The two written
  answers are marked by hand.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex05.py``
grades each of them):

- ``output[:, -1]`` for the last state passes only the batch without padding: with a right
  backward, 3 of Part 1's 7; a backward that sends the gradient to ``[:, -1]`` loses its 2;
- an off-by-one ``output[b, lengths[b]]`` gets none of Part 1's forward points;
- a head whose gradients forget the ``1 / B`` of the mean keeps the loss, the stability
  test and the hidden batch of one (B = 1): 3 of Part 2's 6;
- a weight gradient of shape ``(H, K)`` (``h.T @ dz``) loses that test and the hidden one: 4 of 6;
- a softmax without the row maximum subtracted overflows when every score is near 1000
  (``e^1000`` is ``inf`` in float64): 5 of 6.

Two tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, own_output)
from course_pkg.losses import cross_entropy as reference_cross_entropy

LAST, LAST_BACKWARD = "last_valid_state", "last_valid_state_backward"
SOFTMAX, SIGMOID = "softmax_head", "sigmoid_head"
SIGNATURES = {LAST: ("output", "lengths"), LAST_BACKWARD: ("dlast", "lengths", "T"),
              SOFTMAX: ("h", "weight", "bias", "targets"), SIGMOID: ("h", "weight", "bias", "targets")}
TOL = 1e-8
SHAPES = {"last": "(B, H)", "doutput": "(B, T, H)", "dh": "(B, H)", "weight": "(K, H)",
          "bias": "(K,)", "sigmoid weight": "(1, H)", "sigmoid bias": "(1,)"}


# --------------------------------------------------------------------------- references

def reference_last(output, lengths):
    """``output[b, lengths[b] - 1]`` for every ``b``: ``(B, T, H) -> (B, H)``."""
    return output[np.arange(len(lengths)), np.asarray(lengths) - 1]


def reference_last_backward(dlast, lengths, T):
    """``dlast (B, H)`` put back at each sequence's last valid step: ``(B, T, H)``, zeros elsewhere."""
    B, H = dlast.shape
    doutput = np.zeros((B, T, H))
    doutput[np.arange(B), np.asarray(lengths) - 1] = dlast
    return doutput


def reference_softmax_head(h, weight, bias, targets):
    """``(loss, dh, grads)`` of the mean cross-entropy of ``z = h W^T + b``."""
    z = h @ weight.T + bias                                    # (B, K)
    loss, dz = reference_cross_entropy(z, targets)
    return float(loss), dz @ weight, {"weight": dz.T @ h, "bias": dz.sum(axis=0)}


def reference_sigmoid_head(h, weight, bias, targets):
    """``(loss, dh, grads)`` of the mean binary cross-entropy of ``p = sigmoid(h w^T + b)``."""
    z = (h @ weight.T + bias)[:, 0]                            # (B,)
    c = np.asarray(targets, dtype=np.float64)
    loss = np.mean(np.logaddexp(0.0, z) - c * z)               # -[c ln p + (1-c) ln(1-p)]
    dz = (1.0 / (1.0 + np.exp(-z)) - c)[:, None] / len(c)      # (B, 1)
    return float(loss), dz @ weight, {"weight": dz.T @ h, "bias": dz.sum(axis=0)}


# --------------------------------------------------------------------------- inputs

def make_outputs(B, T, H, lengths, seed):
    """A seeded float64 RNN output ``(B, T, H)`` whose padded steps are not zero."""
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((B, T, H))), np.asarray(lengths, dtype=np.int64)


def make_head(B, H, K, seed, shift=0.0):
    """Seeded float64 ``(h, weight, bias, targets)``; ``shift`` is added to every bias."""
    rng = np.random.default_rng(seed)
    h = np.tanh(rng.standard_normal((B, H)))
    weight = rng.standard_normal((K, H))
    bias = rng.standard_normal(K) + shift
    targets = rng.integers(0, max(K, 2), size=B).astype(np.int64)
    return h, weight, bias, targets



def scalar(value, what):
    """The learner's loss as a float, or :class:`CheckFailed`."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        value = value.reshape(()).item()
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected {what} to be a number, got {describe_value(value)}")
    return float(value)


# --------------------------------------------------------------------------- judges (pure)

def judge_last(calls, results):
    """The learner's last states equal ``output[b, lengths[b] - 1]``."""
    output, lengths = calls[0].args
    got = own_output(results[0])
    want = reference_last(output, lengths)
    if isinstance(got, np.ndarray) and got.shape == want.shape and not np.allclose(got, want):
        if np.allclose(got, output[:, -1]):
            raise CheckFailed("got output[:, -1], the last step of the padded array: take each "
                              "sequence's own last valid step")
    compare_array("the last valid states", got, want, SHAPES["last"], TOL)


def judge_last_backward(calls, results):
    """The gradient lands at each sequence's last valid step, zeros everywhere else."""
    dlast, lengths, T = calls[0].args
    got = own_output(results[0])
    compare_array("doutput", got, reference_last_backward(dlast, lengths, T), SHAPES["doutput"], TOL)


def _head_outputs(calls, results, reference):
    args = calls[0].args
    loss, dh, grads = own_output(results[0], 3)
    return (scalar(loss, "the loss"), dh, grads), reference(*args)


def judge_head(calls, results, names, reference, shapes):
    """The named parts of ``(loss, dh, grads)`` equal the reference's."""
    (loss, dh, grads), (ref_loss, ref_dh, ref_grads) = _head_outputs(calls, results, reference)
    for name in names:
        if name == "loss":
            expect(np.isfinite(loss), f"the loss is {loss}: subtract each row's largest score before np.exp")
            err = abs(loss - ref_loss) / max(1.0, abs(ref_loss))
            expect(err < TOL, f"the loss is off by {abs(loss - ref_loss):.2g}")
        elif name == "dh":
            compare_array("dh", dh, ref_dh, shapes["dh"], TOL)
        else:
            expect(isinstance(grads, dict), f"expected grads to be a dict, got {describe_value(grads)}")
            expect(name in grads, f"grads has no key {name!r} (its keys: {sorted(map(str, grads))})")
            compare_array(f"grads[{name!r}]", grads[name], ref_grads[name], shapes[name], TOL)


# --------------------------------------------------------------------------- tests

def last_test(test_id, name, B, T, H, lengths, seed, points=1, hidden=False):
    output, lengths = make_outputs(B, T, H, lengths, seed)
    return Test(test_id, LAST, name, points, (Call(LAST, (output, lengths)),), judge_last, hidden)


def last_backward_test():
    rng = np.random.default_rng(20)
    dlast, lengths = rng.standard_normal((4, 3)), np.array([5, 2, 1, 4], dtype=np.int64)
    return Test("last_backward", LAST_BACKWARD, "backward: the gradient reaches the last valid steps only",
                2, (Call(LAST_BACKWARD, (dlast, lengths, 6)),), judge_last_backward)


SOFTMAX_SHAPES = {"dh": SHAPES["dh"], "weight": SHAPES["weight"], "bias": SHAPES["bias"]}
SIGMOID_SHAPES = {"dh": SHAPES["dh"], "weight": SHAPES["sigmoid weight"], "bias": SHAPES["sigmoid bias"]}


def softmax_test(test_id, name, names, B=5, H=4, K=3, seed=30, shift=0.0, hidden=False):
    args = make_head(B, H, K, seed, shift)
    judge = partial(judge_head, names=names, reference=reference_softmax_head, shapes=SOFTMAX_SHAPES)
    return Test(test_id, SOFTMAX, name, 1, (Call(SOFTMAX, args),), judge, hidden)


def sigmoid_test(test_id, name, names, points):
    args = make_head(6, 4, 1, 40)
    judge = partial(judge_head, names=names, reference=reference_sigmoid_head, shapes=SIGMOID_SHAPES)
    return Test(test_id, SIGMOID, name, points, (Call(SIGMOID, args),), judge)


RUBRIC = Rubric(
    exercise="ex05_classify",
    signatures=SIGNATURES,
    tests=(
        last_test("last_full", "no padding: every length is T (B=3, T=5, H=4)", 3, 5, 4, [5, 5, 5], seed=1),
        last_test("last_padded", "a padded batch (B=4, T=6, H=3)", 4, 6, 3, [6, 2, 4, 3], seed=2, points=2),
        last_test("last_one", "a sequence of length 1, none of length T (B=3, T=7, H=2)", 3, 7, 2, [1, 3, 5],
                  seed=3),
        last_test("last_hidden", "a larger padded batch (B=8, T=9, H=5)", 8, 9, 5, [9, 1, 4, 7, 2, 9, 3, 6],
                  seed=4, hidden=True),
        last_backward_test(),
        softmax_test("softmax_loss", "the mean cross-entropy (B=5, H=4, K=3)", ("loss",)),
        softmax_test("softmax_dh", "dh", ("dh",)),
        softmax_test("softmax_dweight", "grads['weight']", ("weight",)),
        softmax_test("softmax_dbias", "grads['bias']", ("bias",)),
        softmax_test("softmax_stable", "the loss with every score near 1000 (no overflow)", ("loss",),
                     seed=31, shift=1000.0),
        softmax_test("softmax_one", "every output for a batch of one (B=1, H=3, K=4)",
                     ("loss", "dh", "weight", "bias"), B=1, H=3, K=4, seed=32, hidden=True),
        sigmoid_test("sigmoid_loss", "sigmoid head: the binary cross-entropy (B=6, H=4)", ("loss",), 1),
        sigmoid_test("sigmoid_grads", "sigmoid head: dh, grads['weight'], grads['bias']",
                     ("dh", "weight", "bias"), 2),
    ),
    answers=(Answer("question-last", "when output[:, -1] is right, and why lengths are needed"),
             Answer("question-sigmoid", "the softmax head with K = 2 as a sigmoid head")),
)
