"""What students really hand in (issue 25): a scratch copy of a graded function further down, a
global set in a cell the grader does not run, a notebook saved without cell ids.

Each submission is ``solutions/ex13_parallel.ipynb`` (quick to grade) with one such change; the
grader must grade what the student meant where that is unambiguous, and say in the feedback
what it did.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import grading_fixtures as fx
from course_pkg.grading import loader
from course_pkg.grading.judge import grade_notebook
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
EX13 = "ex13_parallel"
SOLUTION = ROOT / "solutions" / f"{EX13}.ipynb"
RUBRIC = rubric_for(EX13)
SCAN_TESTS = {t.id for t in RUBRIC.tests if t.grade_id == "parallel_scan"}


def write(nb, tmp_path, name=f"{EX13}.ipynb"):
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_a_buggy_scratch_copy_further_down_does_not_replace_the_graded_function(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells.append(fx.new_code("def parallel_scan(F, b, h0):\n    return b, 0   # trying something",
                                "scratch"))
    graded = grade_notebook(write(nb, tmp_path), RUBRIC)
    assert (graded.status, graded.score) == ("ok", RUBRIC.max_points)
    number = next(i for i, c in enumerate(nb.cells) if c.get("id") == "scan") + 1
    assert graded.cell_errors == [f"cell {len(nb.cells)} (definitions), under \u201cCheck your work\u201d: "
                                  f"defines parallel_scan again; only the graded cell's parallel_scan "
                                  f"(cell {number}) is graded"]


def test_a_function_moved_out_of_its_graded_cell_is_still_found(tmp_path):
    """Protection covers only what a graded cell defines: a graded cell emptied and its function
    written in a cell of its own is graded as before (the old behaviour, kept)."""
    nb = nbformat.read(SOLUTION, as_version=4)
    scan = fx.cell(nb, "scan")
    source, scan.source = scan.source, "# moved below"
    nb.cells.append(fx.new_code(source, "moved"))
    graded = grade_notebook(write(nb, tmp_path), RUBRIC)
    assert (graded.status, graded.score, graded.cell_errors) == ("ok", RUBRIC.max_points, [])


def test_a_global_from_a_cell_the_grader_does_not_run_is_named_with_its_cell(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    fx.edit(nb, "attention", '    """One h', '    assert SCALE == 1.0\n    """One h')
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "attention")
    nb.cells.insert(index, fx.new_code("SCALE = 1.0", "scale"))
    graded = grade_notebook(write(nb, tmp_path), RUBRIC)
    hints = {r.test.id: r.hint for r in graded.results if not r.passed}
    assert set(hints) == {t.id for t in RUBRIC.tests if t.grade_id == "window_attention"}
    assert all(f"SCALE is set in cell {index + 1}, which the grader runs only for its imports and definitions: "
               "set SCALE in the graded cell (or the set-up cell)" in h for h in hints.values()), hints


def test_the_name_error_of_a_graded_cell_itself_says_the_same(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    fx.prepend(nb, "scan", "WIDTH = 2 * HALF")
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "scan")
    nb.cells.insert(index, fx.new_code("HALF = 4", "half"))
    graded = grade_notebook(write(nb, tmp_path), RUBRIC)
    assert {r.test.id for r in graded.results if not r.passed} == SCAN_TESTS    # the cell stopped before its def
    assert graded.cell_errors == [f"cell {index + 2} (parallel_scan), under \u201cPart 1 · A parallel scan, and its "
                                  f"rounds\u201d: NameError: name 'HALF' is not defined; HALF is set in cell "
                                  f"{index + 1}, which the grader runs only for its imports and definitions: set "
                                  "HALF in the graded cell (or the set-up cell)"]


@pytest.mark.parametrize("minor", [0, 4])
def test_written_answers_are_found_in_a_notebook_saved_without_cell_ids(tmp_path, minor):
    """nbformat 4.0 (Colab) to 4.4 have no cell ids: the answers are found by their question."""
    raw = json.loads(SOLUTION.read_text(encoding="utf-8"))
    for c in raw["cells"]:
        c.pop("id", None)
    raw["nbformat_minor"] = minor
    path = tmp_path / "colab.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    graded = grade_notebook(path, RUBRIC)
    want = grade_notebook(SOLUTION, RUBRIC).answers
    assert graded.score == RUBRIC.max_points
    assert graded.answers == want and all(v for v in want.values()) and len(want) == len(RUBRIC.answers)


def test_questions_and_answers_without_ids_match_by_first_line_only():
    asked = {"q1": "### Question 1\n\n(a) Why?", "q2": "### Question 2\n\nHow?"}
    nb = {"cells": [{"cell_type": "markdown", "source": "### Question 2\n\nHow?\n\nLike this."},
                    {"cell_type": "markdown", "source": "### Question 1\n\n(a) Why?\n\nYOUR ANSWER HERE"},
                    {"cell_type": "markdown", "source": "Because."}]}
    assert loader.written_answers(nb, ["q1", "q2"], asked) == {
        "q1": "### Question 1\n\n(a) Why?\n\nYOUR ANSWER HERE\n\nBecause.", "q2": "### Question 2\n\nHow?\n\nLike this."}
    assert loader.written_answers(nb, ["q1", "q2"]) == {"q1": None, "q2": None}


# --------------------------------------------------------------------------- stopping a class

def slow_class(folder, pids):
    """Two quick students (a1, a2: the solution) and two whose set-up cell records its process
    id and sleeps (b1, b2): graded in that order with --jobs 2."""
    for student in ("a1", "a2", "b1", "b2"):
        nb = nbformat.read(SOLUTION, as_version=4)
        if student.startswith("b"):
            fx.prepend(nb, "setup", f"import os, time\nopen(os.path.join({str(pids)!r}, str(os.getpid())), 'w').close()\n"
                                    "time.sleep(30)")
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / f"{EX13}.ipynb")
    return folder


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_the_grader_ends_its_children_at_once_and_keeps_what_was_graded(tmp_path, signum):
    pids = tmp_path / "pids"
    pids.mkdir()
    submissions = slow_class(tmp_path / "submissions", pids)
    out = tmp_path / "grades"
    proc = subprocess.Popen([sys.executable, "-m", "course_pkg.grade", str(submissions), "--exercise", EX13,
                             "--jobs", "2", "--quiet", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    children = [int(p.name) for p in pids.iterdir()]
    assert len(children) == 2, "the slow submissions never started"
    proc.send_signal(signum)
    start = time.monotonic()
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - start < 5, "the grader kept grading after it was stopped"
    assert proc.returncode == 130, stderr
    assert "interrupted: stopped after 2 of 4 submissions; writing what was graded" in stderr
    assert "Traceback" not in stderr
    time.sleep(0.2)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student"], r["status"], float(r["score"])) for r in rows] == [
        ("a1", "ok", RUBRIC.max_points), ("a2", "ok", RUBRIC.max_points)]
