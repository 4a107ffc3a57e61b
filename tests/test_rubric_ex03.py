"""Exercise 3 (BPTT, clipping, gradient norms): the partial marks its rubric is designed to give.

Each submission is the solution notebook with one edit that makes a usual mistake; the grader
must give exactly the points that ``course_pkg/grading/rubrics/ex03_bptt.py`` promises for it,
fail exactly the tests that the mistake breaks, and say why in the hint. (The full marks of
the solution and the zero of the blank exercise are checked for every exercise in
``test_grading.py``.) Each grading starts one child Python.
"""
from pathlib import Path

import nbformat
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
EX03 = "ex03_bptt"
SOLUTION = ROOT / "solutions" / f"{EX03}.ipynb"
RUBRIC = rubric_for(EX03)
BACKWARD_TESTS = {"dx", "dh0", "dweight_ih", "dweight_hh", "dbias", "backward_long"}
NORMS_TESTS = {"lags_short", "lags_long"}
CLIP_LOOP = "    for g in grads.values():\n        g *= factor\n"

# name: (cell id, old text, new text, tests that fail, score out of 18, hint fragments)
MISTAKES = {
    "forgets-dh_prev": (
        "backward", "rnn_step_backward(dh[:, t] + dh_prev, cache[t])", "rnn_step_backward(dh[:, t], cache[t])",
        BACKWARD_TESTS | NORMS_TESTS, 10.0, {"dx": "dx: values off by", "lags_long": "do Part 1's tests pass?"}),
    "overwrites-grads": (
        "backward", "grads[k] += step[k]", "grads[k] = step[k]",
        {"dweight_ih", "dweight_hh", "dbias", "backward_long"}, 14.0,
        {"dweight_hh": "grads['weight_hh']: values off by"}),
    "clips-each-array": (
        "clip", "        g *= factor\n", "        g *= min(1.0, max_norm / (np.linalg.norm(g) + 1e-6))\n",
        {"clip_scaled"}, 16.0, {"clip_scaled": "after clipping: values off by"}),
    "no-epsilon": (
        "clip", "max_norm / (total + 1e-6)", "max_norm / total",
        {"clip_zero"}, 17.0, {"clip_zero": "ZeroDivisionError"}),
    "not-in-place": (
        "clip", CLIP_LOOP, "    grads = {k: g * factor for k, g in grads.items()}\n",
        {"clip_scaled", "clip_single"}, 15.0, {"clip_scaled": "unchanged: scale them in place"}),
    "ignores-h0": (
        "forward", "h_t, states, caches = h0, [], []", "h_t, states, caches = 0 * h0, [], []",
        {t.id for t in RUBRIC.tests if t.grade_id != "clip_grad_norm"}, 6.0,
        {"forward_batch": "h: values off by", "dh0": "rnn_forward is wrong too"}),
    "course_pkg-reference": (
        "backward", "    return dx, dh0, grads",
        "    return dx, dh0, grads\n\n\nfrom course_pkg import rnn_backward, rnn_forward",
        {"forward_batch", "forward_one_step", "forward_long", "backward_one_step"} | BACKWARD_TESTS, 8.0,
        {"forward_batch": "expected your own rnn_forward, got course_pkg's reference",
         "dx": "expected your own rnn_backward"}),
}


def submission(tmp_path, cell_id, old, new):
    """The solution with ``old`` replaced by ``new`` (once) in the cell ``cell_id``."""
    nb = nbformat.read(SOLUTION, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    assert cell.source.count(old) == 1, f"{old!r} is not once in cell {cell_id!r}: the solution changed"
    cell.source = cell.source.replace(old, new)
    path = tmp_path / f"{EX03}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usual_mistake_gets_its_designed_partial_marks(tmp_path, mistake):
    cell_id, old, new, failing, score, hints = MISTAKES[mistake]
    assert RUBRIC.max_points == 18.0
    fx.assert_designed_score(submission(tmp_path, cell_id, old, new), RUBRIC, failing, score, hints)


def test_the_points_are_those_the_notebook_announces():
    points = {}
    for test in RUBRIC.tests:
        points[test.grade_id] = points.get(test.grade_id, 0) + test.points
    assert points == {"rnn_forward": 3, "rnn_backward": 7, "clip_grad_norm": 6, "gradient_norms": 2}
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"forward_long", "backward_long", "clip_single"}
    intro = nbformat.read(SOLUTION, as_version=4).cells[0].source
    assert "Part 1 is worth 10" in intro and "Part 2 6 points" in intro and "Part 3 2 points" in intro
