"""Gradescope's autograder: the zip ``make gradescope`` builds, run on a mock ``/autograder`` tree,
and the rule that picks which notebook of a hand-in is graded.

Exercise 13 is the one graded here (a few seconds per submission, with a hidden test). The mock
run executes the zip's own ``run_autograder`` with ``AUTOGRADER_ROOT`` pointing at a temporary
folder and this environment's Python (``setup.sh`` installs Python 3.11, torch and the course on
Gradescope's image; it is checked for syntax here, not run: it needs root and the network).
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_pkg.grading import gradescope
from course_pkg.grading.rubrics import rubric_for
from course_pkg.grading.submissions import choose_notebook

ROOT = Path(__file__).resolve().parents[1]
EX13 = "ex13_parallel"
SOLUTION, BLANK = ROOT / "solutions" / f"{EX13}.ipynb", ROOT / "exercises" / f"{EX13}.ipynb"
RUBRIC = rubric_for(EX13)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return gradescope.build(EX13, tmp_path_factory.mktemp("zip"))


def test_the_zip_holds_gradescope_s_two_scripts_and_the_course(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        run_script = zf.read("run_autograder").decode()
        for script in ("setup.sh", "run_autograder"):
            zf.extract(script, tmp_path)
    assert {"setup.sh", "run_autograder", "course/pyproject.toml", "course/course_pkg/__init__.py",
            "course/course_pkg/grading/rubrics/ex13_parallel.py", "course/course_pkg/data/poetry.json.gz",
            f"course/exercises/{EX13}.ipynb"} <= names
    assert not any("__pycache__" in n or n.startswith("solutions/") or "/solutions/" in n for n in names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert f"gradescope run {EX13}" in run_script
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(tmp_path / script)], check=True)
    again = gradescope.build(EX13, tmp_path / "again")
    assert again.read_bytes() == autograder_zip.read_bytes()       # the same bytes on every build


def mock_tree(tmp_path, autograder_zip, submission_files):
    """``tmp_path/autograder`` as Gradescope lays it out: ``source`` (the zip), ``submission``."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    for name, source in submission_files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / "submission" / name)
    return root


def run_autograder(root):
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8")), proc


def test_a_mock_gradescope_run_grades_the_upload_whatever_its_name(autograder_zip, tmp_path):
    root = mock_tree(tmp_path, autograder_zip, {"Exercise 13 (2).ipynb": SOLUTION,
                                                ".ipynb_checkpoints/Exercise 13-checkpoint.ipynb": BLANK})
    results, proc = run_autograder(root)
    assert results["score"] == RUBRIC.max_points == sum(t["max_score"] for t in results["tests"])
    assert len(results["tests"]) == len(RUBRIC.tests)
    assert all(t["status"] == "passed" for t in results["tests"])
    assert results["output"].startswith(f"{EX13}: graded Exercise 13 (2).ipynb")
    assert "status: ok: all tests passed" in results["output"]
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert f"{EX13}: {RUBRIC.max_points:g}/{RUBRIC.max_points:g} (ok)" in proc.stdout
    # Gradescope's format: these keys and types only
    assert set(results) == {"score", "execution_time", "output", "stdout_visibility", "tests"}
    for t in results["tests"]:
        assert set(t) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float)


def test_the_zip_runs_its_own_copy_of_the_course(autograder_zip, tmp_path):
    """run_autograder imports the course from the zip (as setup.sh installs it), not from elsewhere:
    a rubric changed in the unpacked copy changes the grade."""
    root = mock_tree(tmp_path, autograder_zip, {"ex13_parallel.ipynb": SOLUTION})
    rubric = root / "source" / "course" / "course_pkg" / "grading" / "rubrics" / "ex13_parallel.py"
    text = rubric.read_text(encoding="utf-8")
    rubric.write_text(text.replace('Test("attn_causal", ATTN, "the future perturbed: earlier outputs unchanged", 1,',
                                   'Test("attn_causal", ATTN, "the future perturbed: earlier outputs unchanged", 5,'),
                      encoding="utf-8")
    results, _ = run_autograder(root)
    assert results["score"] == RUBRIC.max_points + 4


def test_a_hidden_failure_is_shown_only_with_its_own_visibility(tmp_path):
    """A scan that is wrong only for long sequences fails the hidden test alone: its name and
    hint are in that test's entry (after_published), nowhere that is visible at once."""
    nb = nbformat.read(SOLUTION, as_version=4)
    scan = next(c for c in nb.cells if c.get("metadata", {}).get("course", {}).get("grade_id") == "parallel_scan")
    assert scan.source.count("    return h, steps") == 1
    scan.source = scan.source.replace("    return h, steps", "    return (h if len(F) < 40 else -h), steps")
    (tmp_path / "submission").mkdir()
    nbformat.write(nb, tmp_path / "submission" / "upload.ipynb")
    graded = gradescope.run(EX13, tmp_path)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert [t["visibility"] for t in failed] == ["after_published"] and failed[0]["name"] == "T = 50 from h_0"
    assert results["score"] == RUBRIC.max_points - 1 == graded.score
    visible = results["output"] + json.dumps([t for t in results["tests"] if t["visibility"] == "visible"])
    assert "T = 50" not in visible and failed[0]["output"] not in visible
    assert f"1 of {len(RUBRIC.tests)} tests failed (1 hidden)" in results["output"]


def test_nothing_to_grade_is_a_missing_submission_with_a_result(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "notes.txt").write_text("no notebook")
    graded = gradescope.run(EX13, tmp_path)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert graded.status == "missing" and results["score"] == 0.0
    assert results["output"].startswith(f"{EX13}: no notebook found")


# --------------------------------------------------------------------------- which file is graded

def touch(path, source=SOLUTION, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_a_renamed_copy_is_found_by_the_exercise_s_name(tmp_path):
    touch(tmp_path / "ex13_parallel-Copy1.ipynb")
    touch(tmp_path / "ex05_classify.ipynb")
    choice = choose_notebook(tmp_path, EX13)
    assert choice.path.name == "ex13_parallel-Copy1.ipynb"
    assert choice.warnings(tmp_path) == ["skipped ex05_classify.ipynb: its name does not contain 'ex13_parallel'"]


def test_a_stale_blank_loses_to_the_worked_notebook_even_when_newer(tmp_path):
    touch(tmp_path / "ex13_parallel_final.ipynb", SOLUTION, mtime=1_000_000)
    touch(tmp_path / "ex13_parallel.ipynb", BLANK, mtime=2_000_000)
    choice = choose_notebook(tmp_path, EX13)
    assert choice.path.name == "ex13_parallel_final.ipynb"
    assert choice.warnings(tmp_path) == ["skipped ex13_parallel.ipynb: every graded cell is still blank"]


def test_of_two_worked_copies_the_later_is_graded_and_the_other_named(tmp_path):
    touch(tmp_path / "ex13_parallel.ipynb", mtime=1_000_000)
    touch(tmp_path / "ex13_parallel-Copy1.ipynb", mtime=2_000_000)
    choice = choose_notebook(tmp_path, EX13)
    assert choice.path.name == "ex13_parallel-Copy1.ipynb"
    assert choice.warnings(tmp_path) == [
        "skipped ex13_parallel.ipynb: ex13_parallel-Copy1.ipynb was chosen (modified later, or nearer the top)"]


def test_nested_lms_folders_and_flat_canvas_names_are_understood(tmp_path):
    touch(tmp_path / "student" / "ex13_parallel.ipynb")
    assert choose_notebook(tmp_path, EX13).path == tmp_path / "student" / "ex13_parallel.ipynb"
    flat = tmp_path / "flat"
    touch(flat / "smithjane_12345_67890_ex13_parallel.ipynb")
    touch(flat / "smithjane_12345_67891_ex13.ipynb", BLANK)
    assert choose_notebook(flat, EX13).path.name == "smithjane_12345_67890_ex13_parallel.ipynb"
    deep = tmp_path / "deep"
    touch(deep / "a" / "b" / "ex13_parallel.ipynb")
    assert choose_notebook(deep, EX13).path is None            # two levels down: not looked at


def test_any_name_only_when_asked_and_only_when_nothing_is_named(tmp_path):
    touch(tmp_path / "homework.ipynb")
    assert choose_notebook(tmp_path, EX13).path is None
    assert choose_notebook(tmp_path, EX13, any_name=True).path.name == "homework.ipynb"
    touch(tmp_path / "ex13.ipynb")
    assert choose_notebook(tmp_path, EX13, any_name=True).path.name == "ex13.ipynb"


def test_make_gradescope_builds_the_zip():
    proc = subprocess.run(["make", "-n", "gradescope", "EXERCISE=ex13_parallel"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert 'course_pkg.grading.gradescope build "ex13_parallel" --out gradescope' in proc.stdout
