"""Exercise tooling: generated exercises stay in sync, and the grader scores notebooks fairly.

Notebooks are graded by ``exec`` of their setup and graded cells (no kernel), so the
whole file runs in a few seconds.
"""
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from course_pkg.grading import make_exercises as mx
from course_pkg.grading.loader import GradedTest, grade_notebook, load_cells, load_graded
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
EX01 = "ex01_rnn_step.ipynb"
RUBRIC = rubric_for(EX01)
FORWARD, BACKWARD = "rnn_step_forward", "rnn_step_backward"
FULL = {FORWARD: 4.0, BACKWARD: 6.0}


def edited_solution(tmp_path, edits, name=EX01):
    """Copy of the ex01 solution with ``edits`` ({cell id: function(source) -> source}) applied."""
    nb = nbformat.read(SOLUTIONS / EX01, as_version=4)
    for cell in nb.cells:
        if cell.get("id") in edits:
            cell.source = edits[cell.id](cell.source)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def stub(source):
    """The source with its solution regions stubbed, as in the exercise."""
    return mx.strip_solution(source, mx.CODE_BEGIN, mx.CODE_END, mx.CODE_STUB)[0]


def cells_by_id(path):
    return {cell.id: cell for cell in nbformat.read(path, as_version=4).cells}


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize("isolate", [True, False])
def test_solution_scores_full_marks(isolate):
    result = grade_notebook(SOLUTIONS / EX01, RUBRIC, isolate=isolate)
    assert result["points"] == FULL and result["max_points"] == FULL
    assert result["total"] == result["max_total"] == 10.0
    assert result["errors"] == [] and all(t["passed"] for t in result["tests"])


def test_exercise_scores_zero_without_crashing():
    result = grade_notebook(EXERCISES / EX01, RUBRIC)
    assert result["points"] == {FORWARD: 0.0, BACKWARD: 0.0} and result["total"] == 0.0
    assert result["max_total"] == 10.0 and result["errors"] == []
    assert {t["message"] for t in result["tests"]} == {"not implemented yet (NotImplementedError)"}


def test_forward_answered_backward_stubbed_gets_exactly_the_forward_points(tmp_path):
    path = edited_solution(tmp_path, {"backward": stub})
    result = grade_notebook(path, RUBRIC)
    assert result["points"] == {FORWARD: 4.0, BACKWARD: 0.0} and result["total"] == 4.0


@pytest.mark.parametrize("edit", [
    lambda s: s.replace(' + params["bias_hh"]', ""),                      # forgets b_hh
    lambda s: s.replace('h_prev @ params["weight_hh"].T', 'h_prev @ params["weight_hh"]'),
    lambda s: s.replace("h_next = np.tanh(a)", "h_next = np.maximum(a, 0)"),
    lambda s: s.replace("def rnn_step_forward", "from course_pkg import rnn_step_forward\ndef unused"),
], ids=["no-b_hh", "W_hh-not-transposed", "relu", "reference-copied"])
def test_subtly_wrong_forward_loses_the_forward_points(tmp_path, edit):
    result = grade_notebook(edited_solution(tmp_path, {"forward": edit}), RUBRIC)
    assert result["points"][FORWARD] == 0.0
    assert result["total"] < result["max_total"]


def test_wrong_bias_gradient_loses_only_that_test(tmp_path):
    path = edited_solution(tmp_path, {"backward": lambda s: s.replace('"bias_hh": da.sum(axis=0)',
                                                                      '"bias_hh": da.mean(axis=0)')})
    result = grade_notebook(path, RUBRIC)
    failed = [t["name"] for t in result["tests"] if not t["passed"]]
    assert failed == ["grads['bias_ih'] and grads['bias_hh']"]     # mean = sum when N = 1
    assert result["points"] == {FORWARD: 4.0, BACKWARD: 5.0}


def test_grader_runs_only_setup_and_graded_cells(tmp_path):
    marker = tmp_path / "check-cell-ran"
    path = edited_solution(tmp_path, {"check-forward": lambda s: f"open({str(marker)!r}, 'w')\n" + s,
                                      "setup": lambda s: "%matplotlib inline\n" + s})
    assert grade_notebook(path, RUBRIC)["total"] == 10.0
    assert not marker.exists()
    loaded = load_cells(path)
    assert loaded.graded == [FORWARD, BACKWARD] and loaded.errors == []
    assert "rng" not in loaded.namespace            # defined only by the self-check cells


def test_setup_error_is_recorded_and_grading_goes_on(tmp_path):
    path = edited_solution(tmp_path, {"setup": lambda s: s + "\nimport no_such_module_here"})
    result = grade_notebook(path, RUBRIC)
    assert result["total"] == 10.0                  # np was imported before the failing line
    assert len(result["errors"]) == 1 and "ModuleNotFoundError" in result["errors"][0]


def test_syntax_error_in_one_graded_cell_costs_only_its_part(tmp_path):
    no_colon = lambda s: s.replace("(dh_next, cache):", "(dh_next, cache)", 1)  # noqa: E731
    path = edited_solution(tmp_path, {"backward": no_colon})
    result = grade_notebook(path, RUBRIC)
    assert result["points"] == {FORWARD: 4.0, BACKWARD: 0.0}
    assert result["errors"][0].startswith("cell 7 (rnn_step_backward): SyntaxError")
    assert "rnn_step_backward not defined" in result["tests"][-1]["message"]


def test_infinite_loop_costs_the_points_not_the_grader(tmp_path):
    path = edited_solution(tmp_path, {"forward": lambda s: s.replace("### BEGIN SOLUTION",
                                                                     "while True:\n        pass")})
    result = grade_notebook(path, RUBRIC, test_timeout=0.05)
    assert result["total"] == 0.0
    assert all("took longer than" in t["message"] for t in result["tests"])


def test_child_that_ignores_the_alarm_is_stopped_by_the_overall_timeout(tmp_path):
    hang = "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(60)\n"
    path = edited_solution(tmp_path, {"backward": lambda s: hang + s})
    result = grade_notebook(path, RUBRIC, timeout=1.0)
    assert result["total"] == 0.0 and "grading stopped after 1 s" in result["errors"][0]


def test_process_exit_in_a_graded_cell_gives_zero_not_a_crash(tmp_path):
    path = edited_solution(tmp_path, {"forward": lambda s: "import os\nos._exit(3)\n" + s})
    result = grade_notebook(path, RUBRIC)
    assert result["total"] == 0.0 and "exit code 3" in result["errors"][0]


def test_sys_exit_in_a_graded_cell_is_a_cell_error(tmp_path):
    path = edited_solution(tmp_path, {"forward": lambda s: s + "\nimport sys\nsys.exit(1)"})
    result = grade_notebook(path, RUBRIC)
    assert result["total"] == 10.0 and "SystemExit" in result["errors"][0]


def test_load_graded_returns_the_functions_and_reports_missing_names(tmp_path):
    ns = load_graded(SOLUTIONS / EX01)
    assert sorted(vars(ns)) == [BACKWARD, FORWARD]
    assert list(vars(load_graded(SOLUTIONS / EX01, names=[FORWARD]))) == [FORWARD]
    broken = edited_solution(tmp_path, {"backward": lambda s: "1/0\n" + s})
    with pytest.raises(LookupError, match="ZeroDivisionError"):
        load_graded(broken, names=[FORWARD, BACKWARD])
    with pytest.raises(TypeError, match="Expected names to be a sequence"):
        load_graded(SOLUTIONS / EX01, names=FORWARD)


def test_bad_inputs_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="Expected points to be a positive number"):
        GradedTest(FORWARD, "x", 0, print)
    with pytest.raises(TypeError, match="Expected check to be callable"):
        GradedTest(FORWARD, "x", 1, None)
    with pytest.raises(ValueError, match="Expected at least one GradedTest"):
        grade_notebook(SOLUTIONS / EX01, [])
    with pytest.raises(TypeError, match="Expected a sequence of GradedTest"):
        grade_notebook(SOLUTIONS / EX01, ["test"])
    (tmp_path / "bad.ipynb").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="Expected an nbformat 4 notebook"):
        grade_notebook(tmp_path / "bad.ipynb", RUBRIC)
    with pytest.raises(LookupError, match="Expected a rubric module"):
        rubric_for("ex99_nothing.ipynb")


# --------------------------------------------------------------------------- exercises


def test_exercises_are_in_sync_with_solutions(capsys):
    assert mx.main([str(SOLUTIONS), str(EXERCISES), "--check"]) == 0
    assert "exercises in sync" in capsys.readouterr().out


def test_tampered_missing_and_extra_exercises_are_reported(tmp_path, capsys):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(SOLUTIONS, sol)
    shutil.copytree(EXERCISES, ex)
    text = (ex / EX01).read_text(encoding="utf-8")
    (ex / EX01).write_text(text.replace('raise NotImplementedError(\\"Write your code here\\")',
                                        "pass", 1), encoding="utf-8")
    assert mx.main([str(sol), str(ex), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"{ex / EX01}: differs" in out and "out of sync" in out and "NotImplementedError" in out
    (ex / EX01).unlink()
    (ex / "ex00_orphan.ipynb").write_text(text, encoding="utf-8")
    assert mx.main([str(sol), str(ex), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"{ex / EX01}: missing" in out and "ex00_orphan.ipynb: no solution notebook" in out


def test_generation_is_byte_stable(tmp_path):
    assert mx.write_all(SOLUTIONS, tmp_path) == [tmp_path / EX01]
    first = (tmp_path / EX01).read_bytes()
    assert mx.write_all(SOLUTIONS, tmp_path) == []            # nothing to rewrite
    assert first == (tmp_path / EX01).read_bytes() == (EXERCISES / EX01).read_bytes()


def test_exercise_has_stubs_no_answers_and_no_outputs():
    solution, exercise = cells_by_id(SOLUTIONS / EX01), cells_by_id(EXERCISES / EX01)
    assert list(solution) == list(exercise)                   # same cells, same ids
    text = (EXERCISES / EX01).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "np.tanh(a)" not in text and "da.T @ x" not in text
    for cid in ("forward", "backward"):
        src = exercise[cid].source
        assert '    # YOUR CODE HERE\n    raise NotImplementedError("Write your code here")\n    return' in src
        assert "# Hint:" in src and src.startswith(f"def rnn_step_{cid}(")
    assert "YOUR ANSWER HERE" in exercise["question"].source
    assert "cuDNN" in solution["question"].source and "cuDNN" not in exercise["question"].source
    for cell in exercise.values():
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_tags_and_metadata_are_as_designed():
    solution, exercise = cells_by_id(SOLUTIONS / EX01), cells_by_id(EXERCISES / EX01)
    assert solution["forward"].metadata.course == {"grade_id": FORWARD}
    assert solution["backward"].metadata.course == {"grade_id": BACKWARD}
    expected = {"setup": ["setup", "nbval-ignore-output"],
                "forward": ["graded", "nbval-ignore-output"],
                "check-forward": ["check", "raises-exception", "nbval-ignore-output"],
                "backward": ["graded", "nbval-ignore-output"],
                "check-backward": ["check", "raises-exception", "nbval-ignore-output"]}
    assert {cid: c.metadata.tags for cid, c in exercise.items() if c.cell_type == "code"} == expected
    for cid, cell in solution.items():                      # solution: no exercise-only tags
        assert not {"raises-exception", "nbval-ignore-output"} & set(cell.metadata.get("tags", []))
        assert cell.metadata.get("course") == exercise[cid].metadata.get("course")
    assert {t.grade_id for t in RUBRIC} == {FORWARD, BACKWARD}
    assert sum(t.points for t in RUBRIC) == 10


def test_solution_notebook_was_executed_and_reports_ok():
    solution = cells_by_id(SOLUTIONS / EX01)
    outputs = {cid: "".join(o.get("text", "") for o in c.outputs)
               for cid, c in solution.items() if c.cell_type == "code"}
    assert "worked example: h_next = [[0.0, 0.7616]]" in outputs["check-forward"]
    assert outputs["check-forward"].rstrip().endswith("forward OK")
    assert outputs["check-backward"].count(": True") == 6 and "backward OK" in outputs["check-backward"]


# --------------------------------------------------------------------------- make_exercises rules


def test_strip_solution_keeps_indentation_and_rejects_unbalanced_markers():
    src = "def f():\n    # hint\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    out, n = mx.strip_solution(src, mx.CODE_BEGIN, mx.CODE_END, mx.CODE_STUB)
    assert n == 1 and out == ('def f():\n    # hint\n    # YOUR CODE HERE\n'
                              '    raise NotImplementedError("Write your code here")\n')
    with pytest.raises(ValueError, match="Expected '### END SOLUTION' after line 1"):
        mx.strip_solution("### BEGIN SOLUTION\nx = 1", mx.CODE_BEGIN, mx.CODE_END, mx.CODE_STUB)
    with pytest.raises(ValueError, match="got '### END SOLUTION' alone"):
        mx.strip_solution("x = 1\n### END SOLUTION", mx.CODE_BEGIN, mx.CODE_END, mx.CODE_STUB)
    with pytest.raises(ValueError, match="got a second"):
        mx.strip_solution("### BEGIN SOLUTION\n### BEGIN SOLUTION", mx.CODE_BEGIN, mx.CODE_END, ())


def test_untagged_cell_calling_a_graded_function_stops_generation():
    nb = nbformat.read(SOLUTIONS / EX01, as_version=4)
    for cell in nb.cells:
        if cell.get("id") == "check-backward":
            cell.metadata.tags = []
    with pytest.raises(ValueError, match=r"Expected cell 9 of x, which uses "
                                         r"\['rnn_step_backward', 'rnn_step_forward'\], to be tagged"):
        mx.make_exercise(nb, "x")
    with pytest.raises(TypeError, match="Expected an nbformat v4 NotebookNode"):
        mx.make_exercise(json.loads((SOLUTIONS / EX01).read_text()))


def test_graded_cell_without_solution_region_stops_generation():
    nb = nbformat.read(SOLUTIONS / EX01, as_version=4)
    nb.cells[3].source = "def rnn_step_forward(x, h_prev, params):\n    pass"
    with pytest.raises(ValueError, match="In cell 3 of x: Expected a graded cell to hold"):
        mx.make_exercise(nb, "x")
