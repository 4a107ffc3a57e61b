"""A small class as an LMS hands it over, graded into what an LMS takes back (issue 25).

Four students of exercise 13 (quick to grade): alice hands in the solution, named as asked;
bob a worked copy one folder down beside a stale blank; carol a Canvas-style flat name, after
the deadline; dan no notebook. The roster adds erin (no folder) and leaves dan out. The class
is graded once as handed in, then again with the manual marks filled in.
"""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_pkg.grading import lms
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
EX13 = "ex13_parallel"
SOLUTION, BLANK = ROOT / "solutions" / f"{EX13}.ipynb", ROOT / "exercises" / f"{EX13}.ipynb"
RUBRIC = rubric_for(EX13)
FULL = RUBRIC.max_points
DEADLINE = "2026-11-30T12:00:00+00:00"
BEFORE, AFTER = 1_795_900_000, 1_796_047_200          # 2026-11-28 21:06:40 and 2026-11-30 14:00 UTC


def put(path, source, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    os.utime(path, (mtime, mtime))


def grade(submissions, out, *options):
    return subprocess.run([sys.executable, "-m", "course_pkg.grade", str(submissions), "--exercise", "all",
                           "--jobs", "2", "--quiet", "--out", str(out), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    subs = tmp / "submissions"
    put(subs / "alice" / f"{EX13}.ipynb", SOLUTION, BEFORE)
    put(subs / "bob" / f"{EX13}.ipynb", BLANK, AFTER)
    put(subs / "bob" / "submission" / f"{EX13}-Copy1.ipynb", SOLUTION, BEFORE)
    put(subs / "carol" / f"carol_12345_67890_{EX13}.ipynb", SOLUTION, AFTER)
    (subs / "dan").mkdir()
    (subs / "dan" / "notes.txt").write_text("forgot")
    roster = tmp / "roster.csv"
    roster.write_text("student,id,email\nalice,101,a@u.edu\nbob,102,b@u.edu\ncarol,103,c@u.edu\n"
                      "erin,105,e@u.edu\n", encoding="utf-8")
    proc = grade(subs, tmp / "out", "--roster", str(roster), "--deadline", DEADLINE)
    assert proc.returncode == 0, proc.stderr
    return {"tmp": tmp, "subs": subs, "roster": roster, "out": tmp / "out", "proc": proc}


def test_the_file_graded_is_recorded_and_every_file_skipped_is_named(graded):
    rows = {r["student"]: r for r in read(graded["out"] / "gradebook.csv")}
    assert {s: (r["file"], r["status"], float(r["score"])) for s, r in rows.items()} == {
        "alice": (f"{EX13}.ipynb", "ok", FULL), "bob": (f"submission/{EX13}-Copy1.ipynb", "ok", FULL),
        "carol": (f"carol_12345_67890_{EX13}.ipynb", "ok", FULL), "dan": ("", "missing", 0.0)}
    assert f"warning: bob: skipped {EX13}.ipynb: every graded cell is still blank" in graded["proc"].stdout
    feedback = (graded["out"] / "feedback" / "bob" / f"{EX13}.md").read_text(encoding="utf-8")
    assert f"Graded: `submission/{EX13}-Copy1.ipynb`" in feedback
    assert f"- skipped {EX13}.ipynb: every graded cell is still blank" in feedback


def test_test_ids_are_namespaced_and_unanswered_questions_are_not_marked_manual(graded):
    header = (graded["out"] / "gradebook.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:10] == ["student", "exercise", "file", "score", "max_score", "manual", "total", "late",
                           "status", "reason"]
    assert header[10:] == [f"{EX13}:{t.id}" for t in RUBRIC.tests] + [f"{EX13}:{a.id}" for a in RUBRIC.answers]
    rows = {r["student"]: r for r in read(graded["out"] / "gradebook.csv")}
    answers = [f"{EX13}:{a.id}" for a in RUBRIC.answers]
    assert all(rows["alice"][a] == "manual" for a in answers)
    assert all(rows["dan"][a] == "" for a in answers)          # nothing to mark: no notebook


def test_late_work_is_marked_with_how_late_and_no_penalty(graded):
    rows = {r["student"]: r for r in read(graded["out"] / "gradebook.csv")}
    assert {s: r["late"] for s, r in rows.items()} == {"alice": "no", "bob": "no", "carol": "yes (2 h)", "dan": ""}
    assert float(rows["carol"]["total"]) == FULL
    assert "late: 1 submissions, marked in the 'late' columns; no penalty is applied" in graded["proc"].stdout
    assert "handed in late: 2 h" in (graded["out"] / "feedback" / "carol" / f"{EX13}.md").read_text(encoding="utf-8")


def test_the_wide_gradebook_follows_the_roster_for_an_lms_import(graded):
    lines = (graded["out"] / "gradebook_wide.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["student,id,email,ex13_parallel,total,late",
                     f"alice,101,a@u.edu,{FULL:g},{FULL:g},", f"bob,102,b@u.edu,{FULL:g},{FULL:g},",
                     f"carol,103,c@u.edu,{FULL:g},{FULL:g},ex13_parallel", "erin,105,e@u.edu,,,",
                     "dan,,,0,0,"]
    out = graded["proc"].stdout
    assert "warning: not on the roster (rows added at the end): dan" in out
    assert "warning: on the roster without a folder (left blank): erin" in out


def test_manual_marks_merge_into_both_gradebooks_and_the_feedback(graded, tmp_path):
    template = read(graded["out"] / "manual_marks_template.csv")
    assert {(r["student"], r["question"]) for r in template} == {
        (s, a.id) for s in ("alice", "bob", "carol") for a in RUBRIC.answers}
    assert all(r["points"] == r["comment"] == "" for r in template)
    first = RUBRIC.answers[0].id
    marks = tmp_path / "marks.csv"
    with open(marks, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, lms.MARK_COLUMNS)
        writer.writeheader()
        for r in template:
            if r["student"] == "alice":
                r["points"], r["comment"] = "2", "clear | derivation <b>"
            elif r["student"] == "bob" and r["question"] == first:
                r["points"] = "0.5"
            writer.writerow(r)
    proc = grade(graded["subs"], tmp_path / "out", "--roster", str(graded["roster"]), "--manual", str(marks))
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in read(tmp_path / "out" / "gradebook.csv")}
    n = len(RUBRIC.answers)
    assert (rows["alice"]["manual"], rows["alice"]["total"]) == (f"{2 * n:g}", f"{FULL + 2 * n:g}")
    assert rows["bob"][f"{EX13}:{first}"] == "0.5" and rows["bob"]["total"] == f"{FULL + 0.5:g}"
    assert rows["carol"]["manual"] == "" and rows["carol"][f"{EX13}:{first}"] == "manual"
    wide = {r["student"]: r for r in read(tmp_path / "out" / "gradebook_wide.csv")}
    assert wide["alice"][EX13] == f"{FULL + 2 * n:g}" and wide["bob"]["total"] == f"{FULL + 0.5:g}"
    feedback = (tmp_path / "out" / "feedback" / "alice" / f"{EX13}.md").read_text(encoding="utf-8")
    assert "## Written answers" in feedback and "| 2 | clear \\| derivation &lt;b> |" in feedback


@pytest.mark.parametrize("content, message", [
    ("student,exercise,question,points\n", "Expected the columns"),
    ("student,exercise,question,points,comment\nzoe,ex13_parallel,{q},1,\n", "expected a student and exercise"),
    ("student,exercise,question,points,comment\nalice,ex13_parallel,nope,1,\n", "expected a question among"),
    ("student,exercise,question,points,comment\nalice,ex13_parallel,{q},-1,\n", "expected points as a number >= 0"),
    ("student,exercise,question,points,comment\nalice,ex13_parallel,{q},1,\nalice,ex13_parallel,{q},2,\n",
     "is marked twice"),
])
def test_a_marks_file_that_does_not_fit_is_refused_with_its_line(graded, tmp_path, content, message):
    marks = tmp_path / "marks.csv"
    marks.write_text(content.format(q=RUBRIC.answers[0].id), encoding="utf-8")
    rows = [r for r in read(graded["out"] / "gradebook.csv")]
    from course_pkg.grading.gradebook import Row
    from course_pkg.grading.judge import Graded
    graded_rows = [Row(r["student"], Graded(EX13, r["status"], r["reason"], [])) for r in rows]
    with pytest.raises(lms.LMSError, match=message):
        lms.read_marks(marks, graded_rows, {EX13: RUBRIC})


def test_bad_rosters_and_deadlines_are_refused(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("name,id\nalice,1\n", encoding="utf-8")
    with pytest.raises(lms.LMSError, match="Expected a 'student' column"):
        lms.read_roster(bad)
    bad.write_text("student,id\nalice,1\nalice,2\n", encoding="utf-8")
    with pytest.raises(lms.LMSError, match="Expected each student once"):
        lms.read_roster(bad)
    with pytest.raises(lms.LMSError, match="Expected a deadline such as 2026-12-01T23:59, got 'friday'"):
        lms.parse_deadline("friday")
    assert lms.lateness(100.0, lms.parse_deadline("1970-01-01T00:00:00+00:00")) == "yes (2 min)"
    assert lms.lateness(90_061.0, lms.parse_deadline("1970-01-01T00:00:00+00:00")) == "yes (1 d 1 h 2 min)"


def test_a_flat_canvas_download_and_moodle_folders_are_read_as_students(tmp_path):
    subs = tmp_path / "canvas"
    put(subs / f"smithjane_12345_67890_{EX13}.ipynb", SOLUTION, BEFORE)
    put(subs / f"doejohn_LATE_23456_78901_{EX13}-1.ipynb", SOLUTION, AFTER)
    put(subs / "Ann Lee_34567_assignsubmission_file_" / f"{EX13}.ipynb", BLANK, BEFORE)
    proc = grade(subs, tmp_path / "out", "--deadline", DEADLINE)
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in read(tmp_path / "out" / "gradebook.csv")}
    assert {s: (r["file"], r["status"], r["late"]) for s, r in rows.items()} == {
        "smithjane": (f"smithjane_12345_67890_{EX13}.ipynb", "ok", "no"),
        "doejohn": (f"doejohn_LATE_23456_78901_{EX13}-1.ipynb", "ok", "yes (2 h)"),
        "Ann Lee": (f"{EX13}.ipynb", "not_implemented", "no")}
