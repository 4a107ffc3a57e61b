"""``course_pkg.check``: a learner runs the grader's public tests on the functions in their kernel.

It makes the rubric's calls in the learner's own namespace with
:func:`course_pkg.grading.harness.run_tests`, sends what came back through the same JSON
encoding as the grader's pipe, and judges it with the same
:func:`course_pkg.grading.judge.score`: the table it prints is what the grader would say
of those tests. Hidden tests are left out. The learner's code runs in the learner's kernel
here, so it can fool this check (and only this check): the grader judges in a process of
its own.
"""
from __future__ import annotations

import json
import textwrap

from course_pkg.grading import harness, loader
from course_pkg.grading.judge import score
from course_pkg.grading.rubric import plan
from course_pkg.grading.rubrics import available, rubric_for

HINT_INDENT = " " * 12
HINT_WIDTH = 80
NO_TIME_LIMIT = ("Warning: this Python cannot stop a call that runs too long (no SIGALRM: Windows,\n"
                 "or not the main thread), so a function that never returns hangs this check.\n"
                 "On Windows, work in WSL (the grader needs Linux or another Unix too).")
RESTART_ADVICE = ("Before you hand in: restart the kernel, run all cells and this check again\n"
                  "(the grader runs your set-up and graded cells in a fresh Python).")


def find_rubric(exercise):
    """The rubric of ``exercise``, with the errors a learner can act on.

    Raises:
        TypeError: if ``exercise`` is not a str.
        ValueError: if no exercise has that name.
    """
    if not isinstance(exercise, str):
        raise TypeError(f"Expected an exercise name such as 'ex01_rnn_step', got {type(exercise).__name__}")
    try:
        return rubric_for(exercise)
    except LookupError:
        raise ValueError(f"Expected one of the exercises {available()}, got {exercise!r}") from None


def check_parts(rubric, parts):
    """``parts`` as a tuple of the rubric's graded parts (the ``grade_id`` of its tests).

    Raises:
        TypeError: if a part is not a str.
        ValueError: if a part is not one of the rubric's graded parts.
    """
    known = list(dict.fromkeys(t.grade_id for t in rubric.tests))
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"Expected a graded part such as {known[0]!r}, got {type(part).__name__}")
        if part not in known:
            raise ValueError(f"Expected one of the graded parts {known} of {rubric.exercise}, got {part!r}")
    return tuple(parts)


def run_check(exercise, namespace, call_timeout=None, parts=()):
    """Run the public tests of ``exercise`` on the functions in ``namespace``.

    Args:
        exercise: the exercise's name.
        namespace: the learner's names (a notebook's globals).
        call_timeout: seconds allowed to each call of a learner's function (default: the
            rubric's ``check_seconds``).
        parts: graded parts (function names) whose tests to run; empty: every part.

    Returns:
        ``(rubric, Graded)`` for the public tests.

    Raises:
        TypeError, ValueError: as :func:`find_rubric` and :func:`check_parts`; or if
            ``namespace`` is not a dict.
    """
    rubric = find_rubric(exercise)
    parts = check_parts(rubric, parts)
    if not isinstance(namespace, dict):
        raise TypeError(f"Expected namespace to be a dict of names, got {type(namespace).__name__}")
    tests = tuple(t for t in rubric.public() if not parts or t.grade_id in parts)
    call_timeout = rubric.check_seconds if call_timeout is None else call_timeout
    loaded = {"kind": "loaded", "cell_errors": [], "memory_error": False, "timed_out": False,
              "functions": harness.describe_functions(namespace, list(rubric.signatures))}
    messages = [loaded, *harness.run_tests(plan(tests), namespace, call_timeout), {"kind": "done"}]
    return rubric, score(rubric, tests, json.loads(json.dumps(messages)))


def format_table(rubric, graded, parts=()):
    """The learner's table: points, ✓/✗ and the test, its hint below it, then the totals.

    With ``parts``, the table of those graded parts alone (a self-check after a function):
    its tests and their total, without the exercise's notes on hidden tests and hand-in.
    Every line fits in 80 characters: a hint is wrapped under its test, indented.
    """
    title = f"public tests of {', '.join(parts)}" if parts else "public tests"
    lines = [f"{rubric.exercise}: {title}", "points  ok  test"]
    for r in graded.results:
        points = f"{r.points:g}/{r.test.points:g}"
        lines.append(f"{points:<6}  {'✓' if r.passed else '✗'}   {r.test.name}")
        if r.hint:
            lines += textwrap.wrap(r.hint, HINT_WIDTH, initial_indent=HINT_INDENT,
                                   subsequent_indent=HINT_INDENT, break_long_words=False,
                                   break_on_hyphens=False)
    lines.append(f"{title}: {graded.score:g}/{graded.max_score:g} points"
                 + (" — all pass." if graded.score == graded.max_score else "."))
    if parts:
        return "\n".join(lines)
    hidden = [t for t in rubric.tests if t.hidden]
    if hidden:
        lines.append(f"The grader also runs {len(hidden)} hidden tests "
                     f"({sum(t.points for t in hidden):g} points).")
    if rubric.answers:
        lines.append(f"Written answers ({len(rubric.answers)}) are read and marked by hand.")
    if not loader.can_limit_time():
        lines.append(NO_TIME_LIMIT)
    lines.append(RESTART_ADVICE)
    return "\n".join(lines)


def check(exercise, namespace, parts=()):
    """Print how the functions in ``namespace`` do on the public tests of ``exercise``.

    Args:
        exercise: the exercise's name, e.g. ``"ex01_rnn_step"``.
        namespace: the notebook's globals, where the learner's functions are.
        parts: graded parts (function names) whose tests alone to run; empty: all.

    Raises:
        TypeError: if ``exercise`` or a part is not a str, or ``namespace`` not a dict.
        ValueError: if no exercise has that name, or it has no such graded part. Whatever
            the learner's code does (raise, loop, print, exit) is reported in the table,
            never raised.
    """
    rubric = find_rubric(exercise)
    parts = check_parts(rubric, parts)
    if not isinstance(namespace, dict):
        raise TypeError(f"Expected namespace to be a dict of names, got {type(namespace).__name__}")
    try:
        print(format_table(*run_check(exercise, namespace, parts=parts), parts=parts))
    except Exception as err:  # noqa: BLE001 - a learner must never see the checker's traceback
        print(f"{rubric.exercise}: the check could not run ({loader.describe(err)}).")
