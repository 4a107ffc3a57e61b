"""A class of 30 submissions (tests/grading_fixtures.py) graded by ``python -m course_pkg.grade``.

Honest, wrong and hostile submissions sit in one folder. The folder is graded twice, once
with ``--jobs 2`` and once with ``--jobs 1`` (about 9 s and 17 s on two cores: three of the
hostile submissions use up their time limits), and every test reads those two runs.
"""
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import grading_fixtures as fx
from course_pkg.grading.rubrics import available, rubric_for
from course_pkg.rnn import rnn_step_backward, rnn_step_forward

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = rubric_for(fx.EX01)
TEST_IDS = [f"{fx.EX01}:{t.id}" for t in RUBRIC.tests]          # gradebook columns: namespaced ids
ANSWER_IDS = [f"{fx.EX01}:{a.id}" for a in RUBRIC.answers]
OPTIONS = ["--exercise", fx.EX01, "--timeout", "6", "--memory-mb", "1024", "--quiet"]


def grade(submissions, out, *options):
    """Run the command line; return its completed process and how long it took."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "course_pkg.grade", str(submissions), "--out", str(out), *options],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    return proc, time.perf_counter() - start


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The class graded with --jobs 2 and with --jobs 1: ``{"submissions", 2: (out, proc, s), 1: ...}``."""
    tmp = tmp_path_factory.mktemp("class")
    submissions = fx.write_class(tmp / "submissions")
    runs = {"submissions": submissions}
    for jobs in (2, 1):
        out = tmp / f"grades-jobs{jobs}"
        proc, seconds = grade(submissions, out, *OPTIONS, "--jobs", str(jobs))
        assert proc.returncode == 0, proc.stderr
        runs[jobs] = (out, proc, seconds)
    print(f"\n30 submissions: --jobs 2 {runs[2][2]:.1f} s, --jobs 1 {runs[1][2]:.1f} s")
    return runs


def gradebook(out):
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def files(out):
    return {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_every_submission_gets_one_row_with_the_status_and_score_designed_for_it(graded_class):
    out = graded_class[2][0]
    lines = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(["student", "exercise", "file", "score", "max_score", "manual", "total", "late",
                                 "status", "reason"] + TEST_IDS + ANSWER_IDS)
    rows = gradebook(out)
    assert len(lines) == 31 and sorted(rows) == sorted(fx.CLASS)
    got = {s: {"status": r["status"], "score": float(r["score"])} for s, r in rows.items()}
    assert got == {s: expected for s, (_, expected) in fx.CLASS.items()}
    assert all(r["max_score"] == "30" and r["reason"] and r["total"] == r["score"] and r["manual"] == ""
               for r in rows.values())
    # an answer waits to be marked only where one was written
    assert all(r[a] == "manual" for s, r in rows.items() if s.startswith("honest_") for a in ANSWER_IDS)
    assert all(rows[s][a] == "" for s in ("wrong_blank", "hostile_no_notebook") for a in ANSWER_IDS)
    honest = [s for s in rows if s.startswith("honest_")]
    assert len(honest) == 5 and all(rows[s]["reason"] == "all tests passed" for s in honest)


def test_hostile_submissions_are_explained_not_silent(graded_class):
    rows = gradebook(graded_class[2][0])
    reasons = {s: r["reason"] for s, r in rows.items()}
    assert reasons["hostile_ignores_alarm"] == "stopped after 6 s (time limit for the whole notebook)"
    assert reasons["hostile_infinite_loop"] == "rnn_step_forward took longer than 2 s"
    assert reasons["hostile_loop_after_definition"] == (
        "cell 5 (rnn_step_forward), under \u201cPart 1: the forward step\u201d: took longer than 2 s; "
        "nothing it defined is graded")
    assert reasons["hostile_os_exit"].startswith("the process exited (code 3) before sending all its results")
    assert reasons["hostile_segfault_at_import"] == "the process was killed by SIGSEGV"
    assert reasons["hostile_memory_bomb"] == "ran out of memory (MemoryError)"
    assert reasons["hostile_output_flood_forged_result"].startswith(
        "the process sent data without the run's token on the result channel")
    assert reasons["hostile_malformed_json"].startswith("Expected a notebook (JSON) at ex01_rnn_step.ipynb")
    assert reasons["hostile_empty_notebook"] == "not defined: rnn_step_forward, rnn_step_backward, ab_detector"
    assert reasons["hostile_no_notebook"] == "no ex01_rnn_step.ipynb in the submission"
    # tampering in the learner's process reaches neither the judge nor the references
    for student in ("hostile_numpy_tamper", "hostile_grader_tamper", "hostile_builtins_tamper",
                    "hostile_code_object_tamper"):
        assert all(rows[student][t] == "0" for t in TEST_IDS)


@pytest.mark.parametrize("student, lost", [
    ("wrong_transposed_weights", {"dweight_ih", "dweight_hh", "backward_one"}),
    ("wrong_missing_bias_gradient", {"dbias", "backward_one"}),
    ("wrong_off_by_one_in_time", {"dweight_hh", "backward_one"}),
    ("wrong_bias_mean", {"dbias"}),                              # the mean is the sum for N = 1
    ("wrong_forward_only", set(fx.BACKWARD_TESTS)),
    ("wrong_signature", set(fx.BACKWARD_TESTS)),
    ("wrong_nan_results", set(fx.FORWARD_TESTS)),
    ("hostile_missing_function", set(fx.BACKWARD_TESTS)),
    ("hostile_sys_exit_in_call", set(fx.FORWARD_TESTS + fx.BACKWARD_TESTS)),   # the detector still counts
    ("wrong_reference_copied", set(fx.FORWARD_TESTS + fx.BACKWARD_TESTS)),
])
def test_wrong_submissions_lose_exactly_the_tests_designed_to_catch_them(graded_class, student, lost):
    row = gradebook(graded_class[2][0])[student]
    assert {t.split(":")[1] for t in TEST_IDS if row[t] == "0"} == lost


def test_feedback_explains_with_hints_but_never_shows_test_code_or_reference_values(graded_class):
    out = graded_class[2][0]
    feedback = {p.parent.name: p.read_text(encoding="utf-8") for p in (out / "feedback").rglob("*.md")}
    assert sorted(feedback) == sorted(fx.CLASS)
    assert ("expected grads['weight_ih'] of shape (H, D) = (5, 3), got (3, 5)"
            in feedback["wrong_transposed_weights"])
    assert "grads['weight_hh']: the values are transposed" in feedback["wrong_transposed_weights"]
    assert "grads has no key 'bias_hh'" in feedback["wrong_missing_bias_gradient"]
    assert "the cache of the wrong state" in feedback["wrong_off_by_one_in_time"]
    assert "grads['bias_hh'] is N times too small" in feedback["wrong_bias_mean"]
    assert ("expected rnn_step_backward(dh_next, cache), got rnn_step_backward(dh_next, cache, params)"
            in feedback["wrong_signature"])
    assert "h_next holds NaN or infinite values" in feedback["wrong_nan_results"]
    references = set()
    for test in RUBRIC.tests:
        if test.grade_id not in ("rnn_step_forward", "rnn_step_backward"):
            continue                                          # the detector's calls have no inputs
        x, h_prev, params = test.calls[0].args
        h_next, cache = rnn_step_forward(x, h_prev, params)
        dx, dh_prev, grads = rnn_step_backward(np.ones_like(h_next), cache)
        for array in (h_next, dx, dh_prev, *grads.values()):
            references |= {f"{v:.3f}" for v in array.ravel() if abs(v) > 0.01}
    for text in feedback.values():
        assert not re.search(r"\bdef |reference_forward|make_inputs|judge|assert ", text)
        assert not {n for n in re.findall(r"-?\d+\.\d{3}", text)} & references


def test_two_runs_give_the_same_bytes_and_jobs_2_equals_jobs_1(graded_class):
    first, second = files(graded_class[2][0]), files(graded_class[1][0])
    assert len(first) == 3 + 30 + 30 + 1 and first.keys() == second.keys()     # 3: gradebooks, marks template
    assert [p for p in first if first[p] != second[p]] == []
    assert not [p for p in first if p.name.endswith(".tmp")]       # written through renames


def test_gradescope_results_and_written_answers(graded_class):
    out, rows = graded_class[2][0], gradebook(graded_class[2][0])
    for student, row in rows.items():
        results = json.loads((out / "gradescope" / student / "results.json").read_text(encoding="utf-8"))
        assert results["score"] == float(row["score"]) and len(results["tests"]) == 14
        assert {t["status"] for t in results["tests"]} <= {"passed", "failed"}
        assert sum(t["score"] for t in results["tests"]) == results["score"]
        assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    answers = (out / "answers" / "ex01_rnn_step.md").read_text(encoding="utf-8")
    assert [line[3:] for line in answers.splitlines() if line.startswith("## ")] == sorted(fx.CLASS)
    section = answers.split("## honest_solution\n")[1].split("\n## ")[0]
    assert "> Both biases are added to the same pre-activation" in section
    assert "*(no answer written" in answers.split("## wrong_blank\n")[1].split("\n## ")[0]
    assert "*(no notebook)*" in answers.split("## hostile_no_notebook\n")[1].split("\n## ")[0]


def test_summary_counts_scores_and_failures(graded_class):
    out, proc, _ = graded_class[2]
    text = proc.stdout
    assert text.startswith("graded 30 submissions in ") and "with 2 jobs" in text
    scores = [float(r["score"]) for r in gradebook(out).values()]
    assert f"mean {np.mean(scores):.2f}, median {np.median(scores):g}" in text
    histogram = [line for line in text.splitlines() if re.match(r"\s+\d+–\d+%", line)]
    assert len(histogram) == 10 and sum(int(line.split()[-1]) for line in histogram) == 30
    assert "timed out: 3, out of memory: 1, crashed: 5, malformed: 1, missing: 3" in text


def test_progress_bar_and_bad_arguments(tmp_path):
    fx.write_class(tmp_path / "two", ["honest_solution", "wrong_blank"])
    proc, _ = grade(tmp_path / "two", tmp_path / "out", "--exercise", "all")
    assert proc.returncode == 0 and "grading: 100%" in proc.stderr and "2/2" in proc.stderr
    assert gradebook(tmp_path / "out")["honest_solution"]["score"] == "30"
    for options, message in [(["--exercise", "ex99"], f"Expected an exercise among {available()} or 'all'"),
                             (["--exercise", "all", "--jobs", "0"], "expected a number greater than 0")]:
        proc, _ = grade(tmp_path / "two", tmp_path / "out", *options)
        assert proc.returncode == 2 and message in proc.stderr
    proc, _ = grade(tmp_path / "nowhere", tmp_path / "out", "--exercise", "all")
    assert proc.returncode == 2 and "Expected a folder of student folders" in proc.stderr


def test_make_grade_runs_the_command_line():
    env = {**os.environ, "MAKEFLAGS": ""}
    proc = subprocess.run(["make", "-n", "grade", "SUBMISSIONS=class", "EXERCISE=all", "JOBS=2", "OUT=o"],
                          capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert '-m course_pkg.grade "class" --exercise "all" --jobs 2' in proc.stdout and '--out "o"' in proc.stdout
