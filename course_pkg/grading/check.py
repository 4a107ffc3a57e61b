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


def run_check(exercise, namespace, call_timeout=None):
    """Run the public tests of ``exercise`` on the functions in ``namespace``.

    Args:
        exercise: the exercise's name.
        namespace: the learner's names (a notebook's globals).
        call_timeout: seconds allowed to each call of a learner's function (default: the
            rubric's ``check_seconds``).

    Returns:
        ``(rubric, Graded)`` for the public tests.

    Raises:
        TypeError, ValueError: as :func:`find_rubric`; or if ``namespace`` is not a dict.
    """
    rubric = find_rubric(exercise)
    if not isinstance(namespace, dict):
        raise TypeError(f"Expected namespace to be a dict of names, got {type(namespace).__name__}")
    tests = rubric.public()
    call_timeout = rubric.check_seconds if call_timeout is None else call_timeout
    loaded = {"kind": "loaded", "cell_errors": [], "memory_error": False, "timed_out": False,
              "functions": harness.describe_functions(namespace, list(rubric.signatures))}
    messages = [loaded, *harness.run_tests(plan(tests), namespace, call_timeout), {"kind": "done"}]
    return rubric, score(rubric, tests, json.loads(json.dumps(messages)))


def format_table(rubric, graded):
    """The learner's table: points, ✓/✗ and the test, its hint below it, then the totals.

    Every line fits in 80 characters: a hint is wrapped under its test, indented.
    """
    lines = [f"{rubric.exercise}: public tests", "points  ok  test"]
    for r in graded.results:
        points = f"{r.points:g}/{r.test.points:g}"
        lines.append(f"{points:<6}  {'✓' if r.passed else '✗'}   {r.test.name}")
        if r.hint:
            lines += textwrap.wrap(r.hint, HINT_WIDTH, initial_indent=HINT_INDENT,
                                   subsequent_indent=HINT_INDENT, break_long_words=False,
                                   break_on_hyphens=False)
    hidden = [t for t in rubric.tests if t.hidden]
    lines.append(f"public tests: {graded.score:g}/{graded.max_score:g} points"
                 + (" — all pass." if graded.score == graded.max_score else "."))
    if hidden:
        lines.append(f"The grader also runs {len(hidden)} hidden tests "
                     f"({sum(t.points for t in hidden):g} points).")
    if rubric.answers:
        lines.append(f"Written answers ({len(rubric.answers)}) are read and marked by hand.")
    if not loader.can_limit_time():
        lines.append(NO_TIME_LIMIT)
    lines.append(RESTART_ADVICE)
    return "\n".join(lines)


def check(exercise, namespace):
    """Print how the functions in ``namespace`` do on the public tests of ``exercise``.

    Args:
        exercise: the exercise's name, e.g. ``"ex01_rnn_step"``.
        namespace: the notebook's globals, where the learner's functions are.

    Raises:
        TypeError: if ``exercise`` is not a str or ``namespace`` not a dict.
        ValueError: if no exercise has that name. Whatever the learner's code does (raise,
            loop, print, exit) is reported in the table, never raised.
    """
    rubric = find_rubric(exercise)
    if not isinstance(namespace, dict):
        raise TypeError(f"Expected namespace to be a dict of names, got {type(namespace).__name__}")
    try:
        print(format_table(*run_check(exercise, namespace)))
    except Exception as err:  # noqa: BLE001 - a learner must never see the checker's traceback
        print(f"{rubric.exercise}: the check could not run ({loader.describe(err)}).")
