"""The partial marks of exercise 2 (tanh and the other activations), on hand-made wrong submissions.

Each submission is ``solutions/ex02_tanh.ipynb`` with one edit that must apply (an edit whose
text is not found stops with an error, so the cases follow the solution). The generic tests
in ``test_grading.py`` check that the solution scores 20 and the blank exercise 0; these
check that each designed mistake costs exactly the tests it should, with its own hint.
Each case starts one grader child (about a second).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_pkg.grading.judge import grade_notebook
from course_pkg.grading.rubric import CallResult, Test
from course_pkg.grading.rubrics import rubric_for
from course_pkg.grading.rubrics import ex02_tanh as ex02

import grading_fixtures as fx

ROOT = Path(__file__).resolve().parents[1]
NAME = "ex02_tanh"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
RUBRIC = rubric_for(NAME)


def grade(tmp_path, *edits):
    """Grade the solution with ``edits`` ``(cell id, old, new)`` applied."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell_id, old, new in edits:
        fx.edit(nb, cell_id, old, new)
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    return grade_notebook(path, RUBRIC)


def failed(graded):
    return {r.test.id for r in graded.results if not r.passed}


def hint(graded, test_id):
    return next(r.hint for r in graded.results if r.test.id == test_id)


def test_the_rubric_is_twenty_points_with_three_hidden_and_two_written_answers():
    assert RUBRIC.max_points == 20 and sum(t.points for t in RUBRIC.public()) == 17
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"slope_shapes", "backward_identity",
                                                      "predict_1_3_m3"}
    assert {t.grade_id for t in RUBRIC.tests} == set(RUBRIC.signatures)
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    assert all(cells[t.grade_id].metadata.course == {"grade_id": t.grade_id} for t in RUBRIC.tests)
    assert all("<!-- BEGIN SOLUTION -->" in cells[a.id].source for a in RUBRIC.answers)


def test_the_references_agree_with_autograd_and_with_a_simulation():
    torch = pytest.importorskip("torch")
    functions = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
                 "identity": lambda a: a * 1.0, "softsign": torch.nn.functional.softsign,
                 "scaled_tanh": lambda a: 1.7159 * torch.tanh(2 * a / 3)}
    a = torch.linspace(-5, 5, 201, dtype=torch.float64, requires_grad=True)
    for name, f in functions.items():
        h = f(a)
        slope, = torch.autograd.grad(h.sum(), a)
        assert np.allclose(ex02.reference_slope(h.detach().numpy(), name), slope.numpy())
        assert np.allclose(ex02.reference_activation(a.detach().numpy(), name), h.detach().numpy())
    for scale in (1.5, 0.5, -1.5, 1.0, 3.0, -3.0):
        for name in ex02.CHAPTER:
            h = np.array([0.5, -0.5])
            for _ in range(60):
                h = ex02.reference_activation(scale * h, name)
            assert (np.linalg.norm(h) > 1e6) == ex02.reference_blows_up(name, scale), (name, scale)


# Each case: the edit, the tests it must fail (and no others), and a fragment of the first one's hint.
CASES = {
    "tanh-slope-taken-at-h": (
        [("activation_grad", "return 1 - h * h", "return 1 - np.tanh(h) ** 2")],
        {"slope_tanh", "slope_shapes", "backward_tanh"}, "is the slope at a = h"),
    "sigmoid-slope-taken-at-h": (
        [("activation_grad", "return h * (1 - h)", "s = 1 / (1 + np.exp(-h))\n        return s * (1 - s)")],
        {"slope_sigmoid", "slope_shapes", "backward_sigmoid"}, "is the slope at a = h"),
    "relu-slope-1-at-0": (
        [("activation_grad", "(h > 0)", "(h >= 0)")],
        {"slope_relu", "slope_shapes", "backward_relu"}, "is 1 where h = 0"),
    "identity-slope-a-number": (
        [("activation_grad", "return np.ones_like(h)", "return 1.0")],
        {"slope_identity", "slope_shapes"}, "of shape (the shape of h) = (4, 5), got ()"),
    "softsign-without-abs": (
        [("activation_grad", "(1 - np.abs(h)) ** 2", "(1 - h) ** 2")],
        {"slope_softsign", "slope_shapes"}, "values off by up to"),
    "backward-with-W_hh-transposed": (
        [("step_backward_from_output", "d_a @ weight_hh ", "d_a @ weight_hh.T ")],
        {"backward_tanh", "backward_sigmoid", "backward_relu", "backward_identity"}, "uses W_hh transposed"),
    "backward-without-the-slope": (       # the identity's slope is 1: that test still passes
        [("step_backward_from_output", "dh_next * activation_grad(h_next, nonlinearity)", "dh_next")],
        {"backward_tanh", "backward_sigmoid", "backward_relu"}, "skips the slope"),
    "states-with-h0": (
        [("rnn_states", "h, states = h0, []", "h, states = h0, [h0]")],
        {"states_tanh", "states_sigmoid", "states_relu", "states_identity"}, "leave h0 out"),
    "states-without-bias_hh": (
        [("rnn_states", ' + params["bias_hh"]', "")],
        {"states_tanh", "states_sigmoid", "states_relu", "states_identity"}, "values off by up to"),
    "relu-blows-up-like-the-identity": (
        [("blows_up", "return scale > 1 ", "return abs(scale) > 1 ")],
        {"predict_m1p5", "predict_1_3_m3"}, "1 of 4 predictions for scale -1.5 are wrong"),
    "tanh-blows-up-above-1": (
        [("blows_up", 'if nonlinearity in ("tanh", "sigmoid"):\n        return False',
          'if nonlinearity in ("tanh", "sigmoid"):\n        return nonlinearity == "tanh" and scale > 1')],
        {"predict_1p5", "predict_1_3_m3"}, "1 of 4 predictions for scale 1.5 are wrong"),
    "prediction-a-word": (
        [("blows_up", "return abs(scale) > 1 ", "return 'yes' if abs(scale) > 1 else 'no' ")],
        {"predict_1p5", "predict_0p5", "predict_m1p5", "predict_1_3_m3"}, "to return True or False, got a str"),
    "kept-reads-a-as-outputs": (
        [("gradient_kept", "1 - np.tanh(a) ** 2", "1 - a ** 2")],
        {"gradient_kept"}, "reads a as outputs"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_designed_mistake_costs_exactly_its_tests_with_its_hint(tmp_path, case):
    edits, lost, fragment = CASES[case]
    graded = grade(tmp_path, *edits)
    assert graded.status == "ok" and graded.cell_errors == []
    assert failed(graded) == lost
    assert graded.score == RUBRIC.max_points - len(lost)
    first = next(t.id for t in RUBRIC.tests if t.id in lost)
    assert fragment in hint(graded, first), hint(graded, first)


def test_only_part_1_done_scores_its_seven_points(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    from course_pkg.grading.make_exercises import CODE_BEGIN, CODE_END, CODE_STUB, strip_solution
    for cell in nb.cells:
        if cell.get("id") in ("step_backward_from_output", "rnn_states", "blows_up", "gradient_kept"):
            cell.source, _ = strip_solution(cell.source, CODE_BEGIN, CODE_END, CODE_STUB)
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    graded = grade_notebook(path, RUBRIC)
    assert graded.status == "not_implemented" and graded.score == 7
    assert {r.hint for r in graded.results if not r.passed} == {"not implemented yet"}


def test_a_function_taken_from_the_rubric_scores_nothing():
    result = CallResult(ex02.SLOPE, np.ones((4, 5)), module="course_pkg.grading.rubrics.ex02_tanh")
    test = next(t for t in RUBRIC.tests if t.id == "slope_identity")
    assert isinstance(test, Test)
    with pytest.raises(AssertionError, match="expected your own activation_grad"):
        test.judge(test.calls, (result,))
