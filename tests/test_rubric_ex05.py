"""Exercise 5's rubric gives the partial marks it was designed for (see its docstring).

Each wrong submission is the solution notebook with one graded function rewritten the way
learners get it wrong; the grader runs it in a child process (~0.3 s each) and must give
exactly the designed score, failing exactly the designed tests.
"""
from pathlib import Path

import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubrics import rubric_for
from course_pkg.grading.rubrics import ex05_classify as ex05

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex05_classify.ipynb"
RUBRIC = rubric_for("ex05_classify")
PART1 = {"last_full", "last_padded", "last_one", "last_hidden", "last_backward"}
PART2 = {"softmax_loss", "softmax_dh", "softmax_dweight", "softmax_dbias", "softmax_stable", "softmax_one"}
PART3 = {"sigmoid_loss", "sigmoid_grads"}

LAST_ROW = '''
def last_valid_state(output, lengths):
    return output[:, -1]
'''

LAST_ROW_BACKWARD = '''
def last_valid_state_backward(dlast, lengths, T):
    doutput = np.zeros((dlast.shape[0], T, dlast.shape[1]))
    doutput[:, -1] = dlast
    return doutput
'''

OFF_BY_ONE = '''
def last_valid_state(output, lengths):
    return output[np.arange(output.shape[0]), lengths]
'''

HEAD = '''
def softmax_head(h, weight, bias, targets):
    B = h.shape[0]
    z = h @ weight.T + bias
    z = z - z.max(axis=1, keepdims=True)
    y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(y[np.arange(B), targets]).mean()
    dz = y.copy()
    dz[np.arange(B), targets] -= 1.0
    dz /= B
    return loss, dz @ weight, {"weight": dz.T @ h, "bias": dz.sum(axis=0)}
'''


def variant(old, new):
    """A right head (HEAD) with one mistake: ``old`` replaced by ``new``."""
    assert HEAD.count(old) == 1, old
    return HEAD.replace(old, new)


NO_MEAN = variant("    dz /= B\n", "")                                   # the 1 / B forgotten
TRANSPOSED = variant('"weight": dz.T @ h', '"weight": h.T @ dz')          # (H, K)
UNSTABLE = variant("    z = z - z.max(axis=1, keepdims=True)\n", "")     # e^1000 = inf


def submission(tmp_path, grade_id, source):
    return fx.with_graded_cell(tmp_path, SOLUTION, grade_id, source)


# (graded cell, its wrong source, tests that fail, score out of 16, hint fragments)
@pytest.mark.parametrize("grade_id, source, fails, score, hints", [
    ("last_valid_state", LAST_ROW, {"last_padded", "last_one", "last_hidden"}, 12.0,
     {"last_padded": "output[:, -1]"}),
    ("last_valid_state_backward", LAST_ROW_BACKWARD, {"last_backward"}, 14.0, {}),
    ("last_valid_state", OFF_BY_ONE, {"last_full", "last_padded", "last_one", "last_hidden"}, 11.0, {}),
    ("softmax_head", HEAD, set(), 16.0, {}),
    ("softmax_head", NO_MEAN, {"softmax_dh", "softmax_dweight", "softmax_dbias"}, 13.0, {}),
    ("softmax_head", TRANSPOSED, {"softmax_dweight", "softmax_one"}, 14.0,
     {"softmax_dweight": "(K, H) = (3, 4), got (4, 3)"}),
    ("softmax_head", UNSTABLE, {"softmax_stable"}, 15.0, {"softmax_stable": "largest score"}),
], ids=["output[:, -1]", "backward to [:, -1]", "off by one", "right head", "no 1/B", "transposed dW", "unstable softmax"])
def test_designed_mistakes_score_their_partial_marks(tmp_path, grade_id, source, fails, score, hints):
    assert RUBRIC.max_points == 16.0
    fx.assert_designed_score(submission(tmp_path, grade_id, source), RUBRIC, fails, score, hints)


def test_the_points_add_up_per_part():
    points = {t.id: t.points for t in RUBRIC.tests}
    assert sum(points[i] for i in PART1) == 7
    assert sum(points[i] for i in PART2) == 6
    assert sum(points[i] for i in PART3) == 3
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"last_hidden", "softmax_one"}


def test_references_equal_torch():
    torch = pytest.importorskip("torch")
    h, weight, bias, targets = ex05.make_head(5, 4, 3, seed=0)
    loss, dh, grads = ex05.reference_softmax_head(h, weight, bias, targets)
    ht, wt, bt = (torch.tensor(a, requires_grad=True) for a in (h, weight, bias))
    ref = torch.nn.functional.cross_entropy(ht @ wt.T + bt, torch.tensor(targets))
    ref.backward()
    assert np.isclose(loss, ref.item())
    for mine, theirs in [(dh, ht), (grads["weight"], wt), (grads["bias"], bt)]:
        assert np.allclose(mine, theirs.grad.numpy())
    h, weight, bias, targets = ex05.make_head(6, 4, 1, seed=1)
    loss, dh, grads = ex05.reference_sigmoid_head(h, weight, bias, targets)
    ht, wt, bt = (torch.tensor(a, requires_grad=True) for a in (h, weight, bias))
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        (ht @ wt.T + bt)[:, 0], torch.tensor(targets, dtype=torch.float64))
    ref.backward()
    assert np.isclose(loss, ref.item())
    for mine, theirs in [(dh, ht), (grads["weight"], wt), (grads["bias"], bt)]:
        assert np.allclose(mine, theirs.grad.numpy())


def test_reference_last_state_is_what_the_classifier_reads():
    import course_pkg as cp
    rnn = cp.RNN(3, 4, batch_first=True, dtype="float64", seed=0)
    x = np.random.default_rng(0).standard_normal((3, 6, 3))
    lengths = np.array([6, 2, 4])
    out, _ = rnn(x)                                  # no lengths: pads computed
    _, h_n = rnn(x, lengths=lengths)                 # the masked final state
    assert np.allclose(ex05.reference_last(out, lengths), h_n[0])
