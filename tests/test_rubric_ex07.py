"""The grader of exercise 7 gives each usual mistake the marks its rubric's docstring promises.

A wrong submission here is ``solutions/ex07_lstm.ipynb`` with a few lines of one graded cell
rewritten (forgetting a road into the cell state, CS231n's gate order, one bias per gate...).
It is graded in a child Python like a learner's notebook; the test checks the score, the set
of failed tests and a fragment of each hint. Full marks for the solution and zero for the
blank exercise are ``test_grading.py``'s business.
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

import grading_fixtures as fx

from course_pkg.grading.rubrics import ex07_lstm as ex07
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
EX07 = "ex07_lstm"
SOLUTION = ROOT / "solutions" / f"{EX07}.ipynb"
RUBRIC = rubric_for(EX07)
FORWARD = {"forward_one", "forward_batch", "forward_pure", "forward_square"}
BACKWARD = {"dx", "dh_prev", "dc_prev", "dweights", "dbias", "no_dc_next", "no_dh_next",
            "centred_differences", "backward_one"}
COUNT = {"count_one", "count_stacked", "count_bidirectional", "count_tiny"}
TWO_ROADS = "dc = dc_next + dh_next * o * (1 - tanh_c ** 2)"
CS231N_ORDER = [
    ("forward", "o = sigmoid(a[:, 3 * H:])", "o = sigmoid(a[:, 2 * H:3 * H])"),
    ("forward", "g = np.tanh(a[:, 2 * H:3 * H])", "g = np.tanh(a[:, 3 * H:])"),
    ("backward", "dg * (1 - g ** 2), do * o * (1 - o)])", "do * o * (1 - o), dg * (1 - g ** 2)])"),
]

# name: ([(cell id, old text, new text), ...], tests that fail, score out of 17, hint fragments)
MISTAKES = {
    "forgets-dc_next": (
        [("backward", TWO_ROADS, "dc = dh_next * o * (1 - tanh_c ** 2)")],
        BACKWARD - {"no_dc_next"}, 9.0,
        {"dc_prev": "dc_prev: values off by", "centred_differences": "against centred differences"}),
    "forgets-tanh-derivative": (
        [("backward", TWO_ROADS, "dc = dc_next + dh_next * o")],
        BACKWARD - {"no_dh_next"}, 9.0, {"dx": "dx: values off by"}),
    "cs231n-gate-order": (
        CS231N_ORDER, FORWARD | BACKWARD, 4.0,
        {"forward_batch": "h_next: values off by", "dx": "lstm_step_forward is wrong too",
         "centred_differences": "fix Part 1 first"}),
    "one-bias-per-gate": (
        [("count", "+ 8 * H)", "+ 4 * H)")], COUNT, 13.0,
        {"count_one": "expected 2560 parameters, got 2480 (off by -80)"}),
    "upper-layers-read-H": (
        [("count", "inputs = D if layer == 0 else directions * H", "inputs = D if layer == 0 else H")],
        {"count_bidirectional"}, 16.0, {"count_bidirectional": "bidirectional=True: expected"}),
    "course_pkg-reference": (
        [("backward", "    return dx, dh_prev, dc_prev, grads",
          "    return dx, dh_prev, dc_prev, grads\n\n\n"
          "from course_pkg import lstm_step_backward, lstm_step_forward")],
        FORWARD | BACKWARD, 4.0,
        {"forward_batch": "expected your own lstm_step_forward, got course_pkg's reference"}),
}


def submission(tmp_path, edits):
    """The solution with each ``(cell id, old, new)`` edit applied once."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell_id, old, new in edits:
        fx.edit(nb, cell_id, old, new)
    path = tmp_path / f"{EX07}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usual_mistake_gets_its_designed_partial_marks(tmp_path, mistake):
    edits, failing, score, hints = MISTAKES[mistake]
    assert RUBRIC.max_points == 17.0
    fx.assert_designed_score(submission(tmp_path, edits), RUBRIC, failing, score, hints)


def test_the_points_are_those_the_notebook_announces():
    parts = {"lstm_step_forward": 4, "lstm_step_backward": 9, "lstm_param_count": 4}
    assert {part: sum(t.points for t in RUBRIC.tests if t.grade_id == part) for part in parts} == parts
    assert RUBRIC.max_points == sum(parts.values())
    assert {t.id for t in RUBRIC.tests} == FORWARD | BACKWARD | COUNT
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"forward_square", "backward_one", "count_tiny"}
    intro = nbformat.read(SOLUTION, as_version=4).cells[0].source
    assert "Part 1 is\nworth 4 points, Part 2 9 points and Part 3 4 points" in intro


@pytest.mark.parametrize("config", [(10, 20, 1, False), (3, 8, 3, False), (5, 4, 2, True), (1, 1, 1, True)])
def test_the_reference_count_is_torch_nn_lstms(config):
    D, H, num_layers, bidirectional = config
    lstm = torch.nn.LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional)
    assert ex07.reference_count(*config) == sum(p.numel() for p in lstm.parameters())


def test_the_centred_differences_agree_with_the_reference_backward():
    x, h_prev, c_prev, params, dh_next, dc_next = ex07.make_inputs(2, 3, 4, 14)
    numerical = ex07.numerical_gradients(x, h_prev, c_prev, params, dh_next, dc_next)
    dx, dh, dc, grads = ex07.reference_backward(dh_next, dc_next,
                                                ex07.reference_forward(x, h_prev, c_prev, params)[2])
    analytic = {"dx": dx, "dh_prev": dh, "dc_prev": dc, **grads}
    for name, value in analytic.items():
        assert np.allclose(numerical[name], value, rtol=1e-6, atol=1e-8), name
    assert np.array_equal(x, ex07.make_inputs(2, 3, 4, 14)[0])      # the inputs are left as they were
