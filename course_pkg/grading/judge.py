"""Judge a submission in the grader's own process, from the plain data its child sent back.

:func:`grade_notebook` reads the notebook here, runs its cells and the rubric's calls in a
child process (:mod:`course_pkg.grading.process`), then validates every message
(:func:`parse_messages`) and runs each test's judge on the decoded results
(:func:`score`). Nothing the learner's code did in its own process can reach a judge or a
reference: it can only change what its functions returned, and that is what is judged.

Statuses: ``malformed`` (not a readable notebook) and ``missing`` (no notebook) when
nothing could run; otherwise, most severe first: ``timeout``, ``memory`` or ``crashed``
when the process was stopped, ran out of memory or died (or sent unreadable results);
``timeout`` or ``memory`` when a cell or call was stopped; ``missing`` when a graded
function is not defined; ``not_implemented`` when one still raises ``NotImplementedError``;
``ok`` when everything ran (wrong answers just lose points). A test that could not run
scores 0 and says why; nothing that failed to run is a pass.
"""
from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path

from course_pkg.grading import loader, wire
from course_pkg.grading.process import run_child
from course_pkg.grading.rubric import CallResult, CheckFailed, Rubric, plan

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"   # the blank notebooks, beside the package
# The Chinese edition's blank notebooks (written from the book's translations): a learner who
# worked in Chinese asks the same questions in Chinese.
ZH_EXERCISES = EXERCISES.parent / "zh" / "exercises"


def _questions(exercise):
    """``{answer id: (English question, Chinese question)}``: a notebook saved without cell
    ids has its answers found by either."""
    asked = {}
    for folder in (EXERCISES, ZH_EXERCISES):
        for answer_id, question in loader.questions(folder / f"{exercise}.ipynb").items():
            asked.setdefault(answer_id, []).append(question)
    return {answer_id: tuple(questions) for answer_id, questions in asked.items()}
STATUSES = ("ok", "not_implemented", "timeout", "memory", "crashed", "malformed", "missing")
DEFAULT_TIMEOUT, DEFAULT_MEMORY_MB, MAX_CALL_TIMEOUT = 60.0, 2048, 10.0


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test: its points and a one-line hint (empty when it passed)."""

    test: object
    points: float
    hint: str = ""

    @property
    def passed(self):
        """Whether the test gave its points."""
        return self.points > 0


@dataclass
class Graded:
    """One submission of one exercise, graded.

    Attributes:
        exercise: the exercise's name.
        status: one of ``STATUSES``.
        reason: one line that explains the status (and the first failure).
        results: a ``TestResult`` per test, in the rubric's order.
        cell_errors: one line per cell that raised.
        answers: ``{answer id: text or None}``, the written answers (marked by hand).
    """

    exercise: str
    status: str
    reason: str
    results: list
    cell_errors: list = field(default_factory=list)
    answers: dict = field(default_factory=dict)

    @property
    def score(self):
        """The points the tests gave."""
        return float(sum(r.points for r in self.results))

    @property
    def max_score(self):
        """The points the tests could give (written answers are marked by hand, outside it)."""
        return float(sum(r.test.points for r in self.results))


def unrun(rubric, tests, status, reason):
    """A :class:`Graded` where no test ran: every test 0 with ``reason`` as its hint, no answer."""
    return Graded(rubric.exercise, status, reason, [TestResult(t, 0.0, reason) for t in tests],
                  answers=dict.fromkeys(a.id for a in rubric.answers))


# --------------------------------------------------------------------------- messages

def _check(condition, what):
    if not condition:
        raise wire.WireError(f"Expected {what}")


def parse_error(node):
    """A call's error record, checked: ``{"kind", "type", "message"}`` of short strings."""
    _check(isinstance(node, dict) and set(node) == {"kind", "type", "message"}, "an error record")
    _check(node["kind"] in ("raised", "timeout", "missing", "skipped"), "a known error kind")
    _check(all(isinstance(v, str) and len(v) <= 400 for v in node.values()), "short error strings")
    return {k: loader.sanitize(v) for k, v in node.items()}


def parse_call(node, call, about):
    """A call's record, checked against the planned ``call``, as a :class:`CallResult`.

    ``about`` holds what is known of the function: ``{"signature", "expected", "module"}``.
    """
    _check(isinstance(node, dict) and node.get("function") == call.function, f"a record of {call.function}")
    _check(set(node) <= {"function", "value", "args", "error"}, "only known keys in a call record")
    if "error" in node:
        return CallResult(call.function, error=parse_error(node["error"]), **about)
    value = wire.decode(node["value"]) if call.send else None
    args = ()
    if call.keep_args:
        _check(isinstance(node.get("args"), list) and len(node["args"]) == len(call.args), "the arguments back")
        args = tuple(wire.decode(a) for a in node["args"])
    return CallResult(call.function, value, args, None, **about)


def parse_functions(node, signatures):
    """The ``functions`` of a ``loaded`` message checked: ``({name: about}, [missing names])``.

    ``about`` is ``{"signature", "expected", "module"}`` for :func:`parse_call`.
    """
    _check(isinstance(node, dict) and set(node) == set(signatures), "a record of every graded function")
    about, missing = {}, []
    for name, expected in signatures.items():
        entry = node[name]
        _check(isinstance(entry, dict) and set(entry) == {"callable", "module", "params"}
               and isinstance(entry["callable"], bool), f"a record of {name}")
        params, module = entry["params"], entry["module"]
        _check(params is None or (isinstance(params, list) and all(isinstance(p, str) for p in params)),
               "parameter names")
        _check(module is None or isinstance(module, str), "a module name")
        about[name] = {"signature": None if params is None else tuple(params), "expected": tuple(expected),
                       "module": module}
        if not entry["callable"]:
            missing.append(name)
    return about, missing


def parse_messages(messages, rubric, tests):
    """Validate the child's messages and decode them.

    Args:
        messages: JSON objects from :func:`course_pkg.grading.wire.read_frames`.
        rubric: the rubric.
        tests: the tests that were planned, in order.

    Returns:
        ``(loaded, {test index: [CallResult]}, done, problem)``: ``loaded`` is ``None`` or
        ``{"cell_errors", "memory_error", "timed_out", "about", "missing"}``; ``problem``
        is ``None`` or why the messages stopped being acceptable.
    """
    loaded, results, done = None, {}, False
    try:
        for number, message in enumerate(messages):
            kind = message.get("kind")
            _check(not done, "nothing after the 'done' message")
            if number == 0:
                _check(kind == "loaded", "a 'loaded' message first")
                loaded = parse_loaded(message, rubric)
            elif kind == "test":
                index = message.get("index")
                _check(type(index) is int and index == len(results) < len(tests), "tests in order")
                calls = message.get("calls")
                _check(isinstance(calls, list) and len(calls) == len(tests[index].calls), "one record per call")
                results[index] = [parse_call(node, call, loaded["about"][call.function])
                                  for node, call in zip(calls, tests[index].calls)]
            else:
                _check(kind == "done" and len(results) == len(tests), "a 'done' message after every test")
                done = True
    except (wire.WireError, KeyError, TypeError, AttributeError) as err:
        return loaded, results, False, f"unreadable results ({loader.sanitize(err, 120)})"
    return loaded, results, done, None


def parse_loaded(message, rubric):
    """The checked ``loaded`` message."""
    _check(set(message) == {"kind", "cell_errors", "memory_error", "timed_out", "functions"},
           "the keys of a 'loaded' message")
    errors = message["cell_errors"]
    _check(isinstance(errors, list) and len(errors) <= 50 and all(isinstance(e, str) for e in errors),
           "a list of cell errors")
    _check(isinstance(message["memory_error"], bool) and isinstance(message["timed_out"], bool), "flags")
    about, missing = parse_functions(message["functions"], rubric.signatures)
    return {"cell_errors": [loader.sanitize(e) for e in errors], "memory_error": message["memory_error"],
            "timed_out": message["timed_out"], "about": about, "missing": missing}


# --------------------------------------------------------------------------- scoring

def judge_test(test, results):
    """Run one test's judge; return a :class:`TestResult`. Any failure of the judge is a 0."""
    try:
        test.judge(test.calls, results)
    except CheckFailed as err:
        return TestResult(test, 0.0, loader.sanitize(err) or "wrong answer")
    except Exception as err:  # noqa: BLE001 - data the judge did not expect: fail closed
        return TestResult(test, 0.0, f"unexpected result ({type(err).__name__})")
    return TestResult(test, float(test.points))


def death_reason(run, timeout):
    """Why a child gave no complete results, in one line; and its status."""
    if run.timed_out:
        return "timeout", f"stopped after {timeout:g} s (time limit for the whole notebook)"
    tail = [line for line in run.output.strip().splitlines() if line.strip()][-1:]
    last = f"; last output: {loader.sanitize(tail[0], 120)}" if tail else ""
    if "MemoryError" in run.output:
        return "memory", f"ran out of memory{last}"
    if run.returncode is not None and run.returncode < 0:
        name = signal.Signals(-run.returncode).name if -run.returncode in signal.valid_signals() else run.returncode
        return "crashed", f"the process was killed by {name}{last}"
    if run.problem:
        return "crashed", f"the process sent {run.problem}{last}"
    return "crashed", f"the process exited (code {run.returncode}) before sending all its results{last}"


def score(rubric, tests, messages, death=None):
    """Score ``tests`` from the child's messages; ``death`` is ``(status, reason)`` if it died.

    Returns:
        A :class:`Graded` (without answers).
    """
    loaded, results, done, problem = parse_messages(messages, rubric, tests)
    if problem and death is None:
        death = ("crashed", f"the process sent {problem}")
    if not done and death is None:
        death = ("crashed", "the process stopped before sending all its results")
    judged = []
    for index, test in enumerate(tests):
        if index in results:
            judged.append(judge_test(test, results[index]))
        else:
            judged.append(TestResult(test, 0.0, f"not run: {death[1]}"))
    status, reason = summarize(loaded, results, judged, death)
    return Graded(rubric.exercise, status, reason, judged, loaded["cell_errors"] if loaded else [])


def summarize(loaded, results, judged, death):
    """The status and reason of a graded submission."""
    if death is not None:
        return death
    errors = [r.error for calls in results.values() for r in calls if r.error is not None]
    if loaded["timed_out"]:
        return "timeout", next((e for e in loaded["cell_errors"] if "took longer than" in e), "a cell took too long")
    if any(e["kind"] == "timeout" for e in errors):
        return "timeout", next(e["message"] for e in errors if e["kind"] == "timeout")
    if loaded["memory_error"] or any(e["type"] == "MemoryError" for e in errors):
        return "memory", "ran out of memory (MemoryError)"
    if loaded["missing"]:
        return "missing", f"not defined: {', '.join(loaded['missing'])}"
    stubs = sorted({r.function for calls in results.values() for r in calls
                    if r.error is not None and r.error["type"] == "NotImplementedError"})
    if stubs:
        return "not_implemented", f"not implemented yet: {', '.join(stubs)}"
    failed = [r for r in judged if not r.passed]
    if not failed:
        return "ok", "all tests passed"
    public = [r for r in failed if not r.test.hidden]
    hidden = len(failed) - len(public)
    counted = f"{len(failed)} of {len(judged)} tests failed" + (f" ({hidden} hidden)" if hidden else "")
    # a hidden test's name and hint stay out of the reason, which learners see before grades are published
    return "ok", counted + (f"; first: {public[0].test.name}: {public[0].hint}" if public else "")


# --------------------------------------------------------------------------- one notebook

def call_timeout_for(timeout):
    """Seconds allowed to one cell or call: a third of the whole time limit (to 0.1 s), at most 10 s."""
    return min(MAX_CALL_TIMEOUT, round(timeout / 3, 1))


def grade_notebook(notebook_path, rubric, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """Grade one learner's notebook against a rubric; its code runs in a child process.

    Args:
        notebook_path: the notebook (it may be missing, or anything but a notebook).
        rubric: a :class:`~course_pkg.grading.rubric.Rubric`.
        timeout: seconds for the whole child process; one cell or call gets
            :func:`call_timeout_for` of it.
        memory_mb: the child's address-space limit in MiB.

    Returns:
        A :class:`Graded`, whatever the notebook does.

    Raises:
        TypeError: if ``rubric`` is not a Rubric.
        ValueError: if ``timeout`` or ``memory_mb`` is not positive.
    """
    if not isinstance(rubric, Rubric):
        raise TypeError(f"Expected a Rubric, got {type(rubric).__name__}")
    if not timeout > 0 or not memory_mb > 0:
        raise ValueError(f"Expected a positive timeout and memory_mb, got {timeout!r} and {memory_mb!r}")
    path = Path(notebook_path)
    tests = rubric.tests
    if not path.is_file():
        return unrun(rubric, tests, "missing", f"no {path.name} in the submission")
    try:
        nb = loader.read_notebook(path)
    except loader.NotebookError as err:
        return unrun(rubric, tests, "malformed", str(err))
    asked = _questions(rubric.exercise) if rubric.answers else {}
    answers = loader.written_answers(nb, [a.id for a in rubric.answers], asked)
    spec = {"cells": loader.code_cells(nb), "label": path.name, "tests": plan(tests),
            "functions": list(rubric.signatures), "call_timeout": call_timeout_for(timeout),
            "memory_mb": memory_mb}
    run = run_child(spec, timeout)
    finished = run.messages[-1:] == [{"kind": "done"}] and run.returncode == 0
    complete = finished and run.problem is None and not run.timed_out
    graded = score(rubric, tests, run.messages, None if complete else death_reason(run, timeout))
    graded.answers = answers
    return graded
