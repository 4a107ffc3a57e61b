"""Exercise 8 (the GRU step, its backward pass, RNN vs LSTM vs GRU): the partial marks its rubric is designed to give.

Each submission is the solution notebook with one edit that makes a usual mistake; the grader
must give exactly the points that ``course_pkg/grading/rubrics/ex08_gru.py`` promises for it,
fail exactly the tests that the mistake breaks, and say why in the hint. (The full marks of
the solution and the zero of the blank exercise are checked for every exercise in
``test_grading.py``.) Each grading starts one child Python, which trains three small models.
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_pkg.gradcheck import rel_error
from course_pkg.grading.rubrics import ex08_gru, rubric_for
from course_pkg.gru import gru_step_backward, gru_step_forward
import grading_fixtures as fx

ROOT = Path(__file__).resolve().parents[1]
EX08 = "ex08_gru"
SOLUTION = ROOT / "solutions" / f"{EX08}.ipynb"
RUBRIC = rubric_for(EX08)
FORWARD_TESTS = {"forward_batch", "forward_one", "forward_square"}
BACKWARD_TESTS = {"dx", "dh_prev", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh", "backward_one"}
TRAIN_TESTS = {"train_row", "train_gru", "train_gru_seed"}
SUMMARY_TESTS = {"summary_lstm_first", "summary_gated", "summary_target"}
PAPER_CANDIDATE = ('n = np.tanh(xw[:, 2 * H:] + (r * h_prev) @ params["weight_hh"][2 * H:].T\n'
                   '                + params["bias_hh"][2 * H:])')
TYPED_IN = ('    summary = {"fewest_parameters": "rnn", "first_to_target": "gru",\n'
            '               "epochs_to_target": {"rnn": None, "lstm": None, "gru": 7}}\n'
            '    return summary\n')

# name: (cell id, old text, new text, tests that fail, score out of 19, hint fragments)
MISTAKES = {
    "paper-reset-placement": (
        "forward", "n = np.tanh(xw[:, 2 * H:] + r * hn)", PAPER_CANDIDATE,
        FORWARD_TESTS | BACKWARD_TESTS, 9.0,
        {"forward_batch": "h_next: values off by", "dx": "gru_step_forward is wrong too"}),
    "blend-swapped": (
        "forward", "h_next = (1 - z) * n + z * h_prev", "h_next = (1 - z) * h_prev + z * n",
        FORWARD_TESTS, 16.0, {"forward_one": "h_next: values off by"}),
    "b_hn-like-b_in": (
        "backward", '"bias_hh": dhw.sum(axis=0)}', '"bias_hh": dxw.sum(axis=0)}',
        {"dbias_hh", "backward_one"}, 17.0,
        {"dbias_hh": "against centred differences: grads['bias_hh']: values off by"}),
    "no-direct-path": (
        "backward", "dh_prev = dh_next * z + dhw @", "dh_prev = dhw @",
        {"dh_prev", "backward_one"}, 17.0, {"dh_prev": "against centred differences: dh_prev: values off by"}),
    "one-bias-per-block": (
        "count", "count = G * (H * D + H * H + 2 * H)", "count = G * (H * D + H * H + H)",
        {"count_task", "count_other", "train_row"}, 15.0,
        {"count_task": "count every weight matrix and both bias vectors",
         "train_row": "row['parameters'] is 304"}),
    "one-epoch": (
        "train", "epochs=EPOCHS, lr=LR", "epochs=1, lr=LR", TRAIN_TESTS, 15.0,
        {"train_row": "a list of 10 numbers", "train_gru": "a list of 10 numbers"}),
    "target-from-the-constant": (
        "summarise", "if v < target]", "if v < TARGET]", {"summary_target"}, 18.0,
        {"summary_target": "first_to_target is None for a table where it is 'gru'"}),
    "answers-typed-in": (
        "summarise", "    ### END SOLUTION\n    return summary", "    ### END SOLUTION\n" + TYPED_IN,
        SUMMARY_TESTS, 16.0, {"summary_lstm_first": "compute it from the table you are given"}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usual_mistake_gets_its_designed_partial_marks(tmp_path, mistake):
    cell_id, old, new, failing, score, hints = MISTAKES[mistake]
    path = tmp_path / f"{EX08}.ipynb"
    nbformat.write(fx.edit(nbformat.read(SOLUTION, as_version=4), cell_id, old, new), path)
    fx.assert_designed_score(path, RUBRIC, failing, score, hints)


def test_the_points_are_those_the_notebook_announces():
    points = {}
    for test in RUBRIC.tests:
        points[test.grade_id] = points.get(test.grade_id, 0) + test.points
    assert points == {"gru_step_forward": 3, "gru_step_backward": 7, "count_parameters": 2,
                      "train_cell": 4, "summarise": 3}
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"forward_square", "backward_one",
                                                        "train_gru_seed", "summary_target"}
    assert RUBRIC.check_seconds == 10.0                     # train_gru is public: it trains on all the data
    intro = nbformat.read(SOLUTION, as_version=4).cells[0].source
    assert "Part 1 is worth 3" in intro and "Part 2 7 points" in intro and "Part 3 9 points" in intro
    assert "four of the tests are hidden" in intro


def test_the_budget_is_the_notebooks():
    setup = next(c for c in nbformat.read(SOLUTION, as_version=4).cells if c.get("id") == "setup").source
    r = ex08_gru
    assert f"T_ADD, HIDDEN, EPOCHS, LR, TARGET = {r.T_ADD}, {r.HIDDEN}, {r.EPOCHS}, 0.01, {r.TARGET}" in setup
    assert "adding_problem(1000, T=T_ADD, seed=100)" in setup and "seed=101" in setup


def test_the_reference_gradients_pass_the_judges_own_gradient_check():
    x, h_prev, params, dh_next = ex08_gru.make_inputs(3, 4, 5, seed=0)
    dx, dh_prev, grads = gru_step_backward(dh_next, gru_step_forward(x, h_prev, params)[1])
    names = ("dx", "dh_prev") + ex08_gru.PARAM_KEYS
    numeric = ex08_gru.numeric_gradients(x, h_prev, params, dh_next, names)
    analytic = {"dx": dx, "dh_prev": dh_prev, **grads}
    for name in names:
        assert rel_error(analytic[name], numeric[name]) < 1e-8, name
    # and the judge leaves the call's arrays as they were
    before = {k: v.copy() for k, v in params.items()}
    ex08_gru.numeric_gradients(x, h_prev, params, dh_next, names)
    assert all(np.array_equal(before[k], params[k]) for k in params)


def test_the_made_up_tables_answer_differently_from_the_notebook():
    # a summarise that returns the notebook's answers must fail every made-up table
    notebook = {"fewest_parameters": "rnn", "first_to_target": "gru",
                "epochs_to_target": {"rnn": None, "lstm": None, "gru": 7}}
    wants = [t.judge.keywords["want"] for t in RUBRIC.tests if t.grade_id == "summarise"]
    assert all(w != notebook for w in wants)
