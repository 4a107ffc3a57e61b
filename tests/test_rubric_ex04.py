"""The rubric of exercise 4 (a character RNN in NumPy): its references, and the partial marks
it gives to the usual mistakes.

Each wrong submission is the solution notebook with one edit that must apply (an edit whose
text is not found fails the test, so the cases follow the solution), graded through the child
process like any submission. The full marks of the solution and the zero of the blank
exercise are checked, for every rubric, in ``test_grading.py``.
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_pkg.gradcheck import numerical_gradient, rel_error
from course_pkg.grading.judge import grade_notebook
from course_pkg.grading.rubrics import ex04_char_rnn as R
from course_pkg.losses import cross_entropy

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex04_char_rnn.ipynb"
PART3 = {"backward_one_step", "dhead", "dweight_ih", "dweight_hh", "dbias", "dh0"}


# --------------------------------------------------------------------------- the references

def test_reference_gradients_agree_with_centred_differences():
    ids, h0, params, targets = R.make_case(3, 6, 7, 5, seed=10)

    def loss():
        return np.float64(R.reference_loss(R.reference_forward(ids, h0, params)[0], targets)[0])

    logits, _ = R.reference_forward(ids, h0, params)
    dlogits = R.reference_loss(logits, targets)[1]
    dh0, grads = R.reference_backward(dlogits, ids, h0, params)
    for name, array in {"h0": h0, **params}.items():
        analytic = dh0 if name == "h0" else grads[name]
        assert rel_error(analytic, numerical_gradient(loss, array)) < 1e-6, name
    numeric = numerical_gradient(lambda: np.float64(R.reference_loss(logits, targets)[0]), logits)
    assert rel_error(dlogits, numeric) < 1e-6


def test_reference_losses_equal_course_pkg_cross_entropy():
    logits, targets = R.make_logits(3, 6, 5, seed=1)
    lengths = np.array([6, 2, 4])
    padded = np.where(np.arange(6)[None, :] < lengths[:, None], targets, -100)
    loss, dlogits = R.reference_masked_loss(logits, padded, lengths)
    want, want_grad = cross_entropy(logits.reshape(-1, 5), padded.reshape(-1))
    assert abs(loss - float(want)) < 1e-12
    assert np.allclose(dlogits, want_grad.reshape(logits.shape), atol=1e-14)
    assert abs(R.reference_loss(logits, targets)[0] - float(cross_entropy(
        logits.reshape(-1, 5), targets.reshape(-1))[0])) < 1e-12


def test_reference_sampling_follows_the_temperature():
    params = R.make_params(6, 8, seed=3, scale=2.0)
    h, u = np.zeros((1, 8)), np.random.default_rng(0).uniform(size=400)
    cold = R.reference_sample(params, h, 2, 50, 1e-4, u)
    greedy, prev, state = [], 2, h
    for _ in range(50):                                    # argmax decoding, by hand
        state = np.tanh(params["weight_ih"][:, prev] + params["bias_ih"]
                        + state @ params["weight_hh"].T + params["bias_hh"])
        prev = int(np.argmax(state @ params["weight_hy"].T + params["bias_hy"]))
        greedy.append(prev)
    assert cold.tolist() == greedy                          # tau -> 0 is greedy decoding
    hot = R.reference_sample(params, h, 2, 400, 100.0, u)
    assert len(set(hot.tolist())) == 6                       # tau -> inf: every character


def test_the_fixed_text_is_learnable_by_the_reference_loop():
    ids, chars = R.text_ids()
    params = R.make_params(len(chars), R.TRAIN_H, 40, scale=0.5)
    before = R.text_loss(ids, params)
    x, y, h0 = ids[None, :-1], ids[None, 1:], np.zeros((1, R.TRAIN_H))
    for _ in range(R.TRAIN_ITERS):
        logits, _ = R.reference_forward(x, h0, params)
        _, grads = R.reference_backward(R.reference_loss(logits, y)[1], x, h0, params)
        params = {k: v - R.TRAIN_LR * np.clip(grads[k], -5, 5) for k, v in params.items()}
    assert R.text_loss(ids, params) < 0.2 * R.TRAIN_TARGET * before     # a wide margin


# --------------------------------------------------------------------------- partial marks

def submission(tmp_path, *edits):
    """The solution with each ``(old, new)`` replaced once in its code cells, written to tmp_path."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for old, new in edits:
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(cells) == 1, f"edit {old!r} matches {len(cells)} cells"
        cells[0].source = cells[0].source.replace(old, new, 1)
    path = tmp_path / "ex04_char_rnn.ipynb"
    nbformat.write(nb, path)
    return path


NO_CARRY = ("rnn_step_backward(dh_out[:, t] + dh_next, caches[t])", "rnn_step_backward(dh_out[:, t], caches[t])")
OVERWRITE = ("grads[k] = grads[k] + g if k in grads else g.copy()", "grads[k] = g.copy()")
NO_TAU = ('params["bias_hy"])[0] / tau', 'params["bias_hy"])[0]')
PAD_COUNTED = ("loss = float(-(logp[n, t, safe] * mask).sum() / count)",
               "loss = float(-logp[n, t, safe].mean())")
PAD_GRAD = ("dlogits *= mask[..., None] / count", "dlogits /= N * T")
SUMMED = ("loss = float(-logp[n, t, targets].mean())", "loss = float(-logp[n, t, targets].sum())")
SUMMED_GRAD = ("    dlogits /= N * T\n", "")


@pytest.mark.parametrize("edits, failed", [
    ((NO_CARRY,), {"dweight_ih", "dweight_hh", "dbias", "dh0"}),
    ((OVERWRITE,), {"dweight_ih", "dweight_hh", "dbias"}),
    ((NO_TAU,), {"sample_cold", "sample_hot"}),
    ((PAD_COUNTED, PAD_GRAD), {"masked_value", "masked_grad"}),
    ((SUMMED, SUMMED_GRAD), {"loss_value", "loss_grad", "train"}),   # steps N*T times too long
], ids=["no-carry", "overwrite-grads", "no-temperature", "padding-counted", "summed-loss"])
def test_a_usual_mistake_loses_its_designed_points(tmp_path, edits, failed):
    graded = grade_notebook(submission(tmp_path, *edits), R.RUBRIC)
    assert graded.status == "ok", graded.reason
    assert {r.test.id for r in graded.results if not r.passed} == failed
    assert graded.score == R.RUBRIC.max_points - sum(t.points for t in R.RUBRIC.tests if t.id in failed)


def test_a_training_loop_that_does_not_update_scores_no_training_points(tmp_path):
    path = submission(tmp_path, ("params[k] -= lr * np.clip(grads[k], -5, 5)", "pass"))
    graded = grade_notebook(path, R.RUBRIC)
    result = next(r for r in graded.results if r.test.id == "train")
    assert not result.passed and result.hint.startswith("training took the loss on the text from")
    assert graded.score == R.RUBRIC.max_points - 3


def test_reporting_low_losses_does_not_fool_the_judge(tmp_path):
    fake = ("        losses.append(loss)\n    ### END SOLUTION",
            "        losses.append(loss)\n    params, losses = ({k: v.copy() for k, v in "
            "params.items()}, [0.0])\n    ### END SOLUTION")
    start = ("    params = {k: v.copy() for k, v in params.items()}\n    inputs",
             "    start = {k: v.copy() for k, v in params.items()}\n    params = "
             "{k: v.copy() for k, v in params.items()}\n    inputs")
    path = submission(tmp_path, start, fake)
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "def train_char_rnn" in c.source)
    cell.source = cell.source.replace("params, losses = ({k: v.copy() for k, v in params.items()}, [0.0])",
                                      "params, losses = (start, [0.0])")
    nbformat.write(nb, path)
    graded = grade_notebook(path, R.RUBRIC)
    assert {r.test.id for r in graded.results if not r.passed} == {"train"}
