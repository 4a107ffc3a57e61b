"""Bad calls to the losses and softmaxes, with NumPy arrays and torch tensors."""
import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids

from course_pkg import losses as L

LOGITS = np.zeros((4, 3))
TARGETS = np.array([0, 1, 2, 0])


def cases():
    ce, mse, sm, lsm = L.cross_entropy, L.mse_loss, L.softmax, L.log_softmax
    rows = [
        (ce, TypeError, "Expected logits to be a numpy.ndarray or torch.Tensor, got list",
         lambda: ce([[0.0] * 3], [0])),
        (ce, TypeError, "Expected logits of dtype float32 or float64, got int64",
         lambda: ce(LOGITS.astype(int), TARGETS)),
        (ce, ValueError, r"Expected logits of shape \(N, K\) or \(N, T, K\) with K >= 1, got \(4,\)",
         lambda: ce(np.zeros(4), TARGETS)),
        (ce, ValueError, r"with K >= 1, got \(4, 0\)", lambda: ce(np.zeros((4, 0)), TARGETS)),
        (ce, TypeError, "Expected integer targets, got dtype float64", lambda: ce(LOGITS, TARGETS.astype(float))),
        (ce, TypeError, "Expected integer targets, got dtype bool", lambda: ce(LOGITS, TARGETS > 0)),
        (ce, TypeError, r"Expected targets to be a torch.Tensor \(like the first argument\), got ndarray",
         lambda: ce(torch.zeros(4, 3), TARGETS)),
        (ce, TypeError, r"Expected targets to be a numpy.ndarray \(like the first argument\), got Tensor",
         lambda: ce(LOGITS, torch.tensor(TARGETS))),
        (ce, ValueError, r"Expected targets of shape \(4,\) \(logits.shape\[:-1\]\), got \(3,\)",
         lambda: ce(LOGITS, TARGETS[:3])),
        (ce, ValueError, r"Expected targets in \[0, 3\) or equal to ignore_index=-100, got 3",
         lambda: ce(LOGITS, TARGETS + 1)),
        (ce, ValueError, "Expected at least one target not equal to ignore_index, got none",
         lambda: ce(LOGITS, np.full(4, -100))),
        (ce, TypeError, "Expected ignore_index to be an int, got float",
         lambda: ce(LOGITS, TARGETS, ignore_index=-100.0)),
        (ce, TypeError, "Expected ignore_index to be an int, got NoneType",
         lambda: ce(LOGITS, TARGETS, ignore_index=None)),
        (ce, ValueError, r"Expected reduction in \['mean', 'sum', 'none'\], got 'avg'",
         lambda: ce(LOGITS, TARGETS, reduction="avg")),
        (ce, TypeError, r"Expected reduction in \['mean', 'sum', 'none'\], got NoneType",
         lambda: ce(LOGITS, TARGETS, reduction=None)),
        (ce, ValueError, "Expected at least one target not equal to ignore_index",
         lambda: ce(np.zeros((0, 3)), np.zeros(0, int))),
        (mse, TypeError, "Expected pred to be a numpy.ndarray or torch.Tensor, got float", lambda: mse(1.0, 1.0)),
        (mse, TypeError, r"Expected target of dtype float64 \(pred's\), got float32",
         lambda: mse(np.zeros(3), np.zeros(3, np.float32))),
        (mse, TypeError, "Expected target to be a torch.Tensor", lambda: mse(torch.zeros(3), np.zeros(3, np.float32))),
        (mse, ValueError, r"Expected target of shape \(3,\) \(pred's\), got \(3, 1\)",
         lambda: mse(np.zeros(3), np.zeros((3, 1)))),
        (mse, ValueError, r"Expected at least one element for reduction='mean', got shape \(0,\)",
         lambda: mse(np.zeros(0), np.zeros(0))),
        (mse, ValueError, r"Expected reduction in \['mean', 'sum', 'none'\], got 'max'",
         lambda: mse(np.zeros(3), np.zeros(3), reduction="max")),
        (sm, TypeError, "Expected logits to be a numpy.ndarray or torch.Tensor, got list", lambda: sm([1.0, 2.0])),
        (sm, TypeError, "Expected axis to be an int, got float", lambda: sm(LOGITS, axis=1.0)),
        (sm, ValueError, r"Expected axis in \[-2, 2\) for an array of shape \(4, 3\), got 2",
         lambda: sm(LOGITS, axis=2)),
        (sm, ValueError, "Expected axis in", lambda: sm(np.array(1.0), axis=0)),
        (lsm, TypeError, "Expected logits of dtype float32 or float64, got int64", lambda: lsm(np.zeros(3, int))),
        (lsm, TypeError, "Expected axis to be an int, got str", lambda: lsm(LOGITS, axis="-1")),
        (lsm, ValueError, r"Expected axis in \[-2, 2\)", lambda: lsm(torch.zeros(4, 3), axis=-3)),
    ]
    return [bad(*row) for row in rows]


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


def test_empty_batch_sums_to_zero_like_torch():
    loss, grad = L.cross_entropy(np.zeros((0, 3)), np.zeros(0, int), reduction="sum")
    ref = torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), reduction="sum")
    assert float(loss) == float(ref) == 0.0 and grad.shape == (0, 3)
