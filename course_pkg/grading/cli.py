"""The instructor's command: ``python -m course_pkg.grade SUBMISSIONS --exercise NAME|all``.

Grades, in every student folder of ``SUBMISSIONS``, the notebook of each exercise (which
one, when a student handed in several or renamed it: :mod:`course_pkg.grading.submissions`),
each in a child process of its own, and writes the gradebooks, feedback, Gradescope results,
written answers and a manual-marks template (:mod:`course_pkg.grading.gradebook`,
:mod:`course_pkg.grading.lms`). Ctrl-C or SIGTERM stops it at once and keeps what was graded.
``make grade SUBMISSIONS=… EXERCISE=…`` runs it.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from course_pkg.grading import gradebook, lms
from course_pkg.grading.judge import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT


def positive(kind):
    """An argparse type: a number of ``kind`` that is greater than 0."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a number greater than 0, got {text!r}")
        return value
    return parse


def _interrupt(signum, frame):
    """SIGTERM as Ctrl-C: stop grading, keep what was graded."""
    raise KeyboardInterrupt


def parser():
    """The command line's argument parser."""
    p = argparse.ArgumentParser(prog="python -m course_pkg.grade",
                                description="Grade a class's exercise notebooks into a gradebook.")
    p.add_argument("submissions", type=Path, help="folder holding <student>/<exercise>.ipynb")
    p.add_argument("--exercise", required=True, help="the exercise's name (e.g. ex01_rnn_step), or 'all'")
    p.add_argument("--jobs", type=positive(int), default=1, help="submissions graded at once (default 1)")
    p.add_argument("--timeout", type=positive(float), default=DEFAULT_TIMEOUT,
                   help=f"seconds per submission (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--memory-mb", type=positive(int), default=DEFAULT_MEMORY_MB,
                   help=f"memory limit per submission in MiB (default {DEFAULT_MEMORY_MB})")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: SUBMISSIONS-grades, beside SUBMISSIONS)")
    p.add_argument("--roster", type=Path, default=None,
                   help="CSV with a 'student' column (folder names) and the LMS's columns (id, email, deadline ...)")
    p.add_argument("--manual", type=Path, default=None,
                   help="manual_marks_template.csv filled in: its points and comments are merged")
    p.add_argument("--deadline", default=None,
                   help="ISO date and time (e.g. 2026-12-01T23:59): notebooks modified later are marked late "
                        "(no penalty is applied)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def notes(rows, roster, written, deadline):
    """The warnings an instructor must see: notebooks skipped, roster mismatches, late work."""
    lines = [f"warning: {row.student}: {line}" for row in rows for line in row.skipped]
    extra, absent = lms.not_on_roster(rows, roster)
    if extra:
        lines.append(f"warning: not on the roster (rows added at the end): {', '.join(extra)}")
    if absent:
        lines.append(f"warning: on the roster without a folder (left blank): {', '.join(absent)}")
    if deadline is not None or (roster and "deadline" in roster[0]):
        lines.append(f"late: {written['late']} submissions, marked in the 'late' columns; no penalty is applied")
    return lines


def main(argv=None):
    """Run the command line; return its exit status (0 when every submission got its row)."""
    args = parser().parse_args(argv)
    out = args.out or args.submissions.resolve().with_name(args.submissions.resolve().name + "-grades")
    try:
        students = gradebook.find_students(args.submissions)
        exercises = gradebook.find_exercises(args.submissions, students, args.exercise)
        roster = lms.read_roster(args.roster) if args.roster else None
        deadline = lms.parse_deadline(args.deadline) if args.deadline else None
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not students:
        print(f"error: Expected student folders in {args.submissions}, got none", file=sys.stderr)
        return 2
    start = time.perf_counter()
    interrupted = None
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        rows = gradebook.grade_class(args.submissions, exercises, jobs=args.jobs, timeout=args.timeout,
                                     memory_mb=args.memory_mb, progress=not args.quiet)
    except gradebook.Interrupted as err:
        interrupted, rows = err, err.rows
    finally:
        signal.signal(signal.SIGTERM, previous)
    if interrupted is not None:
        print(f"interrupted: {interrupted}; writing what was graded", file=sys.stderr)
        if not rows:
            return 130
    try:
        written = gradebook.write_outputs(out, rows, roster, args.manual, deadline)
    except lms.LMSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for line in gradebook.summary(rows, time.perf_counter() - start, args.jobs):
        print(line)
    for line in notes(rows, roster, written, deadline):
        print(line)
    print(f"wrote {written['gradebook']}, {written['wide']}, {written['template']}, {written['feedback']} "
          f"feedback files in {out / 'feedback'}, {written['gradescope']} results.json in {out / 'gradescope'}"
          + "".join(f", {p}" for p in written["answers"]))
    return 130 if interrupted is not None else 0
