"""What an LMS takes and gives back: a roster, a wide gradebook, manual marks, a deadline.

* ``--roster roster.csv``: a CSV with a ``student`` column (the student's folder name) and any
  others the LMS needs to match its rows (``id``, ``email``, ``sis_id`` ...), kept in the wide
  gradebook in the roster's order; an optional ``deadline`` column gives a student their own
  deadline (an extension).
* ``gradebook_wide.csv``: one row per student, one column per exercise (the total: tests
  plus marked answers), then ``total`` and ``late``: the shape Canvas and Moodle import.
* ``manual_marks_template.csv``: one row per written answer to mark (``student, exercise,
  question, points, comment``); filled in and given back with ``--manual``, its points join
  both gradebooks and its comments the feedback.
* ``--deadline``: an ISO date and time (``2026-12-01T23:59``, local time unless it carries an
  offset). A notebook modified after its deadline is marked late in both gradebooks, with how
  late; **no penalty is applied**: the policy is the instructor's.
"""
from __future__ import annotations

import csv
import io
import math
from datetime import datetime

MARK_COLUMNS = ["student", "exercise", "question", "points", "comment"]


class LMSError(ValueError):
    """A roster, marks file or deadline that cannot be used; its message says why."""


def _read_csv(path, what):
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), list(reader)
    except OSError as err:
        raise LMSError(f"Expected a readable {what} CSV at {path}, got {err.strerror or err}") from None


def parse_deadline(text):
    """An aware ``datetime`` from ISO text; local time when it has no offset.

    Raises:
        LMSError: if ``text`` is not an ISO date and time.
    """
    try:
        when = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise LMSError(f"Expected a deadline such as 2026-12-01T23:59, got {text!r}") from None
    return when.astimezone() if when.tzinfo is None else when


def read_roster(path):
    """``(columns, {student: row})`` of a roster CSV, in its order.

    Raises:
        LMSError: if it has no ``student`` column, a student twice, or a bad ``deadline``.
    """
    columns, rows = _read_csv(path, "roster")
    if "student" not in columns:
        raise LMSError(f"Expected a 'student' column (the students' folder names) in {path}, got {columns}")
    roster = {}
    for row in rows:
        student = (row.get("student") or "").strip()
        if not student:
            continue
        if student in roster:
            raise LMSError(f"Expected each student once in {path}, got {student!r} twice")
        if (row.get("deadline") or "").strip():
            parse_deadline(row["deadline"])
        roster[student] = {k: (v or "").strip() for k, v in row.items() if k is not None}
    return columns, roster


def deadline_of(student, deadline, roster):
    """The student's deadline: the roster's ``deadline`` column if set, else ``deadline``."""
    own = (roster or {}).get(student, {}).get("deadline", "")
    return parse_deadline(own) if own else deadline


def lateness(modified, deadline):
    """``""`` (nothing to judge), ``"no"``, or ``"yes (2 h 5 min)"`` for a file modified at the
    POSIX time ``modified`` against ``deadline``."""
    if deadline is None or modified is None:
        return ""
    late = modified - deadline.timestamp()
    if late <= 0:
        return "no"
    minutes = math.ceil(late / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return f"yes ({' '.join(parts)})"


def marks_template(rows, rubrics):
    """The manual-marks CSV to fill in: a row per written answer that has text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MARK_COLUMNS)
    for row in rows:
        for answer in rubrics[row.graded.exercise].answers:
            if row.graded.answers.get(answer.id):
                writer.writerow([row.student, row.graded.exercise, answer.id, "", ""])
    return out.getvalue()


def read_marks(path, rows, rubrics):
    """``{(student, exercise, question): (points, comment)}`` from a filled-in marks CSV; rows
    whose points are blank are not marked yet.

    Raises:
        LMSError: for a missing column, an unknown student, exercise or question, points that
            are not a number >= 0, or an answer marked twice.
    """
    columns, entries = _read_csv(path, "manual marks")
    missing = [c for c in MARK_COLUMNS if c not in columns]
    if missing:
        raise LMSError(f"Expected the columns {MARK_COLUMNS} in {path}, got {columns}")
    graded = {(r.student, r.graded.exercise) for r in rows}
    marks = {}
    for line, entry in enumerate(entries, start=2):
        key = tuple((entry[c] or "").strip() for c in ("student", "exercise", "question"))
        text = (entry["points"] or "").strip()
        if not text:
            continue
        where = f"{path}, line {line}"
        if key[:2] not in graded:
            raise LMSError(f"{where}: expected a student and exercise that were graded, got {key[0]!r}, {key[1]!r}")
        questions = [a.id for a in rubrics[key[1]].answers]
        if key[2] not in questions:
            raise LMSError(f"{where}: expected a question among {questions}, got {key[2]!r}")
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not (value >= 0 and math.isfinite(value)):
            raise LMSError(f"{where}: expected points as a number >= 0, got {text!r}")
        if key in marks:
            raise LMSError(f"{where}: {key[0]}'s {key[2]} of {key[1]} is marked twice")
        marks[key] = (value, (entry["comment"] or "").strip())
    return marks


def manual_points(row, rubric, marks):
    """The sum of the marked answers of ``row``, or ``None`` when none is marked."""
    got = [marks[k][0] for k in ((row.student, row.graded.exercise, a.id) for a in rubric.answers) if k in marks]
    return sum(got) if got else None


def wide_csv(rows, rubrics, marks=None, roster=None, late=None):
    """``gradebook_wide.csv``: a row per student, a column per exercise (tests plus marked
    answers), ``total`` and ``late`` (the exercises handed in late); roster columns first, in
    the roster's order, then students graded but not on the roster."""
    marks, late = marks or {}, late or {}
    columns, people = roster if roster else (["student"], {})
    exercises = sorted({r.graded.exercise for r in rows})
    by_student = {}
    for row in rows:
        manual = manual_points(row, rubrics[row.graded.exercise], marks) or 0.0
        by_student.setdefault(row.student, {})[row.graded.exercise] = (row.graded.score + manual, row)
    students = list(people) + sorted(s for s in by_student if s not in people)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    extra = [c for c in columns if c != "student"]
    writer.writerow(["student", *extra, *exercises, "total", "late"])
    for student in students:
        got = by_student.get(student, {})
        cells = [f"{got[e][0]:g}" if e in got else "" for e in exercises]
        total = f"{sum(v for v, _ in got.values()):g}" if got else ""
        late_ones = [e for e in exercises if late.get((student, e), "").startswith("yes")]
        writer.writerow([student, *(people.get(student, {}).get(c, "") for c in extra), *cells, total,
                         " ".join(late_ones)])
    return out.getvalue()


def not_on_roster(rows, roster):
    """Students graded who are not on the roster, and roster students with no submission."""
    if not roster:
        return [], []
    graded = {r.student for r in rows}
    return sorted(graded - set(roster[1])), [s for s in roster[1] if s not in graded]
