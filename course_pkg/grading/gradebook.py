"""Grade a class and write what the instructor reads: gradebook, feedback, Gradescope results, answers.

Layout in: ``SUBMISSIONS/<student>/``, each student's notebooks (any names: which one is
graded for an exercise follows :mod:`course_pkg.grading.submissions`). Written to ``OUT``, each
file atomically (a temporary file, then a rename), the same bytes for the same submissions:

* ``gradebook.csv``: one row per student and exercise: ``student,exercise,file,score,
  max_score,manual,total,late,status,reason``, then the points of each test and each written
  answer, one column per ``exercise:id`` (``manual`` where an answer waits to be marked);
* ``gradebook_wide.csv`` and ``manual_marks_template.csv``: see :mod:`course_pkg.grading.lms`;
* ``feedback/<student>/<exercise>.md``: each test's result and hint (never a test's code or a
  reference value), and the errors of the learner's cells;
* ``gradescope/<student>/results.json``: the same in Gradescope's autograder format;
* ``answers/<exercise>.md``: every student's written answers, one section per student.
"""
from __future__ import annotations

import csv
import io
import json
import os
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from course_pkg.grading import lms, loader, process, submissions
from course_pkg.grading.judge import EXERCISES, STATUSES, Graded, grade_notebook
from course_pkg.grading.rubrics import available, rubric_for

FIXED_COLUMNS = ["student", "exercise", "file", "score", "max_score", "manual", "total", "late", "status",
                 "reason"]
MANUAL = "manual"


class Interrupted(Exception):
    """Grading was stopped (Ctrl-C, SIGTERM); ``rows`` holds the submissions graded before."""

    def __init__(self, rows, planned):
        super().__init__(f"stopped after {len(rows)} of {planned} submissions")
        self.rows, self.planned = rows, planned


@dataclass(frozen=True)
class Row:
    """One student's graded exercise.

    Attributes:
        student: the student's folder name.
        graded: the result.
        file: the notebook graded, relative to the student's folder (``None``: none found).
        skipped: one line per other notebook seen and not graded.
        modified: the graded notebook's modification time (POSIX seconds), for a deadline.
    """

    student: str
    graded: Graded
    file: str | None = None
    skipped: tuple = ()
    modified: float | None = None


def points(x):
    """Points as the gradebook writes them: ``1``, ``0.5``, ``10``."""
    return f"{x:g}"


# --------------------------------------------------------------------------- finding and grading

def find_students(folder):
    """The students of ``folder``, sorted by name: its subfolders (hidden ones left out), and
    the students of flat Canvas-style files (:func:`course_pkg.grading.submissions.students`).

    Raises:
        ValueError: if ``folder`` is not a folder.
    """
    return sorted(submissions.students(folder))


def find_exercises(folder, students, exercise):
    """The exercises to grade: ``[exercise]``, or for ``"all"`` every graded one found.

    Raises:
        ValueError: if the exercise has no rubric, or ``"all"`` finds none.
    """
    known = available()
    if exercise != "all":
        if exercise not in known:
            raise ValueError(f"Expected an exercise among {known} or 'all', got {exercise!r}")
        return [exercise]
    where = submissions.students(folder)
    names = [p.name for s in students for p in submissions.student_notebooks(where[s])]
    found = [e for e in known if any(e in n or e.split("_", 1)[0] in n for n in names)]
    if not found:
        raise ValueError(f"Expected notebooks named after an exercise ({known}) in {folder}/<student>/, got none")
    return found


def grade_one(folder, student, where, rubric, timeout, memory_mb):
    """The :class:`Row` of one student for one exercise: the notebook chosen by
    :func:`course_pkg.grading.submissions.choose_notebook` among ``where`` (the student's
    folder or flat files in the class ``folder``), graded."""
    base = where if isinstance(where, Path) else Path(folder)
    choice = submissions.choose_notebook(where, rubric.exercise)
    path = choice.path or base / f"{rubric.exercise}.ipynb"
    graded = grade_notebook(path, rubric, timeout=timeout, memory_mb=memory_mb)
    return Row(student, graded, None if choice.path is None else choice.path.relative_to(base).as_posix(),
               tuple(choice.warnings(base)), None if choice.path is None else choice.path.stat().st_mtime)


def grade_class(folder, exercises, *, jobs=1, timeout=60.0, memory_mb=2048, progress=True):
    """Grade every student's notebook of every exercise, ``jobs`` at a time.

    Args:
        folder: the submissions folder.
        exercises: exercise names.
        jobs: how many submissions to grade at once.
        timeout: seconds per submission.
        memory_mb: memory limit per submission, in MiB.
        progress: show a tqdm bar on stderr.

    Returns:
        A :class:`Row` per student and exercise, sorted by student, then exercise.

    Raises:
        Interrupted: on ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM made one): every running
            child is killed at once, none starts, and the rows graded before are kept.
    """
    rubrics = {name: rubric_for(name) for name in exercises}    # imported once, before any learner code
    where = submissions.students(folder)
    work = [(s, e) for s in sorted(where) for e in exercises]
    rows = {}
    process.STOPPING.clear()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        with tqdm(total=len(work), desc="grading", unit="notebook", file=sys.stderr, disable=not progress) as bar:
            futures = {pool.submit(grade_one, folder, s, where[s], rubrics[e], timeout, memory_mb): (s, e)
                       for s, e in work}
            for future in as_completed(futures):
                rows[futures[future]] = future.result()
                bar.update()
    except KeyboardInterrupt:
        process.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)      # the running ones return at once now
        raise Interrupted([rows[key] for key in sorted(rows)], len(work)) from None
    finally:
        pool.shutdown(wait=True)
    return [rows[key] for key in sorted(rows)]


# --------------------------------------------------------------------------- files

def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def gradebook_csv(rows, rubrics, marks=None, late=None):
    """The text of ``gradebook.csv``: the fixed columns, then one ``exercise:id`` column per
    test and written answer (ids differ in meaning between exercises)."""
    marks, late = marks or {}, late or {}
    columns = []
    for row in rows:
        e = row.graded.exercise
        ids = [f"{e}:{r.test.id}" for r in row.graded.results] + [f"{e}:{a.id}" for a in rubrics[e].answers]
        columns += [c for c in ids if c not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIXED_COLUMNS + columns)
    for row in rows:
        g, e = row.graded, row.graded.exercise
        cells = {f"{e}:{r.test.id}": points(r.points) for r in g.results}
        for a in rubrics[e].answers:
            mark = marks.get((row.student, e, a.id))
            cells[f"{e}:{a.id}"] = points(mark[0]) if mark else (MANUAL if g.answers.get(a.id) else "")
        manual = lms.manual_points(row, rubrics[e], marks)
        writer.writerow([row.student, e, row.file or "", points(g.score), points(g.max_score),
                         "" if manual is None else points(manual), points(g.score + (manual or 0.0)),
                         late.get((row.student, e), ""), g.status, g.reason] + [cells.get(c, "") for c in columns])
    return out.getvalue()


def md_cell(text):
    """Text safe inside a Markdown table cell (one line, no pipes, no HTML)."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def feedback_md(row, rubric, marks=None, late=""):
    """The learner's feedback for one exercise: the file graded, score, status, each test's
    result and hint, the written answers' marks and comments once marked."""
    g, marks = row.graded, marks or {}
    lines = [f"# {g.exercise}: feedback for {row.student}", ""]
    if row.file:
        lines += [f"Graded: `{md_cell(row.file)}`" + (f" (handed in late: {late[5:-1]})" if late.startswith("yes")
                                                      else ""), ""]
    lines += [f"- {md_cell(w)}" for w in row.skipped] + ([""] if row.skipped else [])
    lines += [f"**Score: {points(g.score)} / {points(g.max_score)}** (status: {g.status}: {md_cell(g.reason)})", "",
              "| test | points | result | hint |", "|---|---|---|---|"]
    for r in g.results:
        name = md_cell(r.test.name) + (" (hidden test)" if r.test.hidden else "")
        lines.append(f"| {name} | {points(r.points)} / {points(r.test.points)} | "
                     f"{'✓' if r.passed else '✗'} | {md_cell(r.hint)} |")
    marked = [(a, marks[(row.student, g.exercise, a.id)]) for a in rubric.answers
              if (row.student, g.exercise, a.id) in marks]
    if marked:
        lines += ["", "## Written answers", "", "| question | points | comment |", "|---|---|---|"]
        lines += [f"| {md_cell(a.name)} | {points(p)} | {md_cell(c)} |" for a, (p, c) in marked]
    elif rubric.answers:
        lines += ["", "Written answers, marked by hand: " + "; ".join(a.name for a in rubric.answers) + "."]
    if g.cell_errors:
        lines += ["", "## Errors in your cells", ""] + [f"- {md_cell(e)}" for e in g.cell_errors]
    return "\n".join(lines) + "\n"


def gradescope_json(student, rows):
    """A student's ``results.json`` in Gradescope's format, every exercise's tests in one list."""
    tests = []
    for row in rows:
        for r in row.graded.results:
            tests.append({"name": f"{row.graded.exercise}: {r.test.name}", "score": r.points,
                          "max_score": float(r.test.points), "status": "passed" if r.passed else "failed",
                          "output": r.hint, "visibility": "after_published" if r.test.hidden else "visible"})
    output = "\n".join(f"{row.graded.exercise}: {row.graded.status}: {row.graded.reason}" for row in rows)
    result = {"score": sum(row.graded.score for row in rows), "output": output, "tests": tests}
    return json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n"




def questions(exercise, folder=EXERCISES):
    """``{answer id: question}`` from the blank exercise notebook
    (``course_pkg.grading.loader.questions``)."""
    return loader.questions(Path(folder) / f"{exercise}.ipynb")


def escape_html(text):
    """Text shown as written: ``&``, ``<`` and ``>`` escaped, so a learner's HTML does not run."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def answers_md(exercise, rows, rubric, asked=None):
    """Every student's written answers to one exercise: the questions once, then a section per
    student with each answer alone (the question it repeats cut off), its HTML escaped."""
    asked = questions(exercise) if asked is None else asked
    lines = [f"# Written answers: {exercise}", ""]
    for a in rubric.answers:
        lines.append(f"- `{a.id}`: {a.name}")
        if asked.get(a.id):
            lines += ["", *("  > " + escape_html(line) if line else "  >" for line in asked[a.id].splitlines()), ""]
    for row in rows:
        lines += ["", f"## {row.student}"]
        for answer in rubric.answers:
            lines += ["", f"### `{answer.id}`", ""]
            text = row.graded.answers.get(answer.id)
            question = asked.get(answer.id)
            if text is not None and question and text.startswith(question):
                text = text[len(question):].strip() or None
            if text is None:
                why = {"missing": "no notebook", "malformed": "the notebook is unreadable"}.get(
                    row.graded.status, "no answer written (the cell is gone or still says YOUR ANSWER HERE)")
                lines.append(f"*({why})*")
            else:
                lines += ["> " + escape_html(line) if line else ">" for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def write_outputs(out, rows, roster=None, marks_path=None, deadline=None):
    """Write the gradebooks, feedback, Gradescope results, answers and the marks template.

    Args:
        out: the output folder.
        rows: the graded :class:`Row` s.
        roster: ``(columns, {student: row})`` from :func:`course_pkg.grading.lms.read_roster`.
        marks_path: a filled-in manual-marks CSV to merge, or ``None``.
        deadline: an aware ``datetime``, or ``None`` (a roster's ``deadline`` column still applies).

    Returns:
        What was written, keyed ``gradebook``, ``wide`` and ``template`` (paths), ``feedback``
        and ``gradescope`` (numbers of files), ``answers`` (paths) and ``late`` (a count).

    Raises:
        course_pkg.grading.lms.LMSError: if the marks file does not fit the graded rows.
    """
    out = Path(out)
    exercises = sorted({row.graded.exercise for row in rows})
    rubrics = {e: rubric_for(e) for e in exercises}
    marks = lms.read_marks(marks_path, rows, rubrics) if marks_path else {}
    people = roster[1] if roster else {}
    late = {(r.student, r.graded.exercise): lms.lateness(r.modified, lms.deadline_of(r.student, deadline, people))
            for r in rows}
    for row in rows:
        write_atomic(out / "feedback" / row.student / f"{row.graded.exercise}.md",
                     feedback_md(row, rubrics[row.graded.exercise], marks, late[row.student, row.graded.exercise]))
    students = sorted({row.student for row in rows})
    for student in students:
        write_atomic(out / "gradescope" / student / "results.json",
                     gradescope_json(student, [r for r in rows if r.student == student]))
    answer_files = []
    for exercise in exercises:
        if rubrics[exercise].answers:
            path = out / "answers" / f"{exercise}.md"
            write_atomic(path, answers_md(exercise, [r for r in rows if r.graded.exercise == exercise],
                                          rubrics[exercise]))
            answer_files.append(path)
    write_atomic(out / "manual_marks_template.csv", lms.marks_template(rows, rubrics))
    write_atomic(out / "gradebook_wide.csv", lms.wide_csv(rows, rubrics, marks, roster, late))
    write_atomic(out / "gradebook.csv", gradebook_csv(rows, rubrics, marks, late))
    return {"gradebook": out / "gradebook.csv", "wide": out / "gradebook_wide.csv",
            "template": out / "manual_marks_template.csv", "feedback": len(rows), "gradescope": len(students),
            "answers": answer_files, "late": sum(v.startswith("yes") for v in late.values())}


# --------------------------------------------------------------------------- summary

def histogram(fractions, bins=10, width=40):
    """A text histogram of scores given as fractions of the maximum, one line per tenth."""
    counts = [0] * bins
    for f in fractions:
        counts[min(int(f * bins), bins - 1)] += 1
    scale = width / max(max(counts), 1)
    labels = [f"{100 * k // bins:>3}–{100 * (k + 1) // bins}%" for k in range(bins)]
    return [f"  {label:<8} {'#' * round(c * scale):<{width}} {c}" for label, c in zip(labels, counts)]


def summary(rows, seconds, jobs):
    """The lines printed at the end: count, mean, median, histogram, statuses, time."""
    n = len(rows)
    lines = [f"graded {n} submissions in {seconds:.1f} s with {jobs} job{'s' if jobs > 1 else ''} "
             f"({seconds / max(n, 1):.2f} s per submission)"]
    for exercise in sorted({r.graded.exercise for r in rows}):
        scores = [r.graded for r in rows if r.graded.exercise == exercise]
        values = [g.score for g in scores]
        lines.append(f"{exercise}: {len(values)} submissions, out of {points(scores[0].max_score)}: "
                     f"mean {statistics.mean(values):.2f}, median {points(statistics.median(values))}")
        lines += histogram([g.score / g.max_score for g in scores])
    counts = {s: sum(r.graded.status == s for r in rows) for s in STATUSES}
    lines.append("statuses: " + ", ".join(f"{s} {c}" for s, c in counts.items() if c))
    lines.append(f"timed out: {counts['timeout']}, out of memory: {counts['memory']}, "
                 f"crashed: {counts['crashed']}, malformed: {counts['malformed']}, missing: {counts['missing']}")
    return lines
