"""Load the graded functions of a learner's notebook, and grade them against a rubric.

Which cells run
    Only the cells tagged ``setup`` (imports, seeds) and the cells tagged ``graded`` (or
    carrying ``metadata.course.grade_id``), in notebook order, each ``exec``-ed in one
    fresh namespace. The learner's other cells (self-checks, experiments, plots) never
    run, so a broken or slow scratch cell cannot cost points. A graded function must
    therefore only use what the setup and graded cells define. IPython line magics and
    shell escapes (lines starting with ``%`` or ``!``) are dropped.

Robustness
    A cell that raises is recorded in ``errors`` and loading goes on with the next
    cell. Every test runs separately: an exception, a missing function or a
    ``NotImplementedError`` gives that test 0 points and a message, never a crash.
    Time limits use ``SIGALRM`` (Unix, main thread) and raise
    :class:`TimeLimitExceeded`, a ``BaseException`` that ``except Exception`` in the
    learner's code cannot swallow. :func:`grade_notebook` runs all of this in a child
    Python process (``isolate=True``, the default) with an overall timeout, so that
    ``sys.exit``, a crash of the interpreter or a loop stuck inside C code also end
    in zero points rather than a hung or dead grader.

    This protects against mistakes, not malice: the learner's code runs with the
    grader's permissions (use a container or a throw-away account for untrusted work).

Rubrics
    A rubric is a sequence of :class:`GradedTest`; see
    :mod:`course_pkg.grading.rubrics`. With ``isolate=True`` the tests are pickled to
    the child, so their ``check`` must be a module-level function (or a
    :func:`functools.partial` of one).
"""
from __future__ import annotations

import contextlib
import io
import json
import linecache
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

TAG_SETUP, TAG_GRADED = "setup", "graded"
MAX_MESSAGE = 300
WORKER = "import sys; from course_pkg.grading.loader import _worker; _worker(sys.argv[1])"


class TimeLimitExceeded(BaseException):
    """Raised inside learner code that runs past its time limit."""


class CheckFailed(AssertionError):
    """Raised by a rubric's check when the learner's answer is wrong; see :func:`expect`."""


def expect(condition, message):
    """Raise :class:`CheckFailed` with ``message`` (an "Expected X, got Y" sentence) unless ``condition``."""
    if not condition:
        raise CheckFailed(message)


@dataclass(frozen=True)
class GradedTest:
    """One test of a rubric.

    Attributes:
        grade_id: the graded part it scores (``metadata.course.grade_id`` of a cell).
        name: a short description, shown in the report.
        points: awarded when ``check`` returns, 0 when it raises.
        check: ``check(ns)``, where ``ns`` holds what the setup and graded cells
            defined; it raises (any exception) when the learner's code is wrong.
        requires: names that must be defined for the test to run at all.
    """

    grade_id: str
    name: str
    points: float
    check: Callable[[SimpleNamespace], None]
    requires: tuple = field(default=())

    def __post_init__(self):
        for attr in ("grade_id", "name"):
            if not isinstance(getattr(self, attr), str) or not getattr(self, attr):
                raise TypeError(f"Expected {attr} to be a non-empty str, got {getattr(self, attr)!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, Real) or not self.points > 0:
            raise ValueError(f"Expected points to be a positive number, got {self.points!r}")
        if not callable(self.check):
            raise TypeError(f"Expected check to be callable, got {type(self.check).__name__}")
        if isinstance(self.requires, str) or not all(isinstance(n, str) for n in self.requires):
            raise TypeError(f"Expected requires to be a tuple of names, got {self.requires!r}")


@dataclass
class LoadResult:
    """What :func:`load_cells` executed.

    Attributes:
        namespace: every name the executed cells bound.
        graded: names bound by graded cells, in the order they were first bound.
        errors: one line per cell that raised, e.g. ``"cell 4 (rnn_step_forward): NameError: ..."``.
    """

    namespace: dict
    graded: list
    errors: list


# --------------------------------------------------------------------------- reading

def read_cells(notebook_path):
    """The setup and graded code cells of a notebook, in order.

    Reads the JSON directly (no nbformat import, so a grading child starts fast).

    Args:
        notebook_path: path of an ``.ipynb`` file (nbformat 4).

    Returns:
        A list of dicts ``{"index", "source", "graded", "grade_id"}``.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if it is not an nbformat 4 notebook.
    """
    path = Path(notebook_path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"Expected a notebook (JSON) at {path}, got invalid JSON: {err}") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise ValueError(f"Expected an nbformat 4 notebook at {path}, got something else")
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata") or {}
        tags = meta.get("tags") or []
        grade_id = (meta.get("course") or {}).get("grade_id")
        if TAG_SETUP in tags or TAG_GRADED in tags or grade_id:
            source = cell.get("source", "")
            cells.append({"index": index, "graded": TAG_GRADED in tags or bool(grade_id),
                          "grade_id": grade_id,
                          "source": "".join(source) if isinstance(source, list) else str(source)})
    return cells


def strip_magics(source):
    """Blank out IPython line magics and shell escapes (lines starting ``%`` or ``!``)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.split("\n"))


# --------------------------------------------------------------------------- executing

@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` of wall time.

    A no-op when ``seconds`` is ``None`` or where ``SIGALRM`` cannot be used (Windows,
    a thread other than the main one); code stuck inside C is only stopped by the
    child-process timeout of :func:`grade_notebook`.
    """
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeLimitExceeded(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def describe(err):
    """A one-line, length-limited description of an exception for a report."""
    if isinstance(err, NotImplementedError):
        return "not implemented yet (NotImplementedError)"
    if isinstance(err, CheckFailed):
        return str(err)[:MAX_MESSAGE]
    text = f"{type(err).__name__}: {err}".strip().replace("\n", " ")
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def exec_cell(source, namespace, filename, timeout=None):
    """Execute one cell's source in ``namespace``, with its print output discarded.

    Returns:
        ``None`` on success, else the description of the exception it raised.
    """
    source = strip_magics(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with time_limit(timeout):
                exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the point of a grader
    except (Exception, SystemExit, TimeLimitExceeded) as err:
        return describe(err)
    return None


def load_cells(notebook_path, cell_timeout=None):
    """Execute a notebook's setup and graded cells (only those) in a fresh namespace.

    Args:
        notebook_path: the learner's notebook.
        cell_timeout: seconds allowed per cell (``None``: no limit).

    Returns:
        A :class:`LoadResult`.

    Raises:
        FileNotFoundError, ValueError: if the file is missing or not a notebook.
    """
    path = Path(notebook_path)
    return exec_cells(read_cells(path), path.name, cell_timeout)


def exec_cells(cells, label="notebook", cell_timeout=None):
    """Execute cells from :func:`read_cells` in a fresh namespace; see :func:`load_cells`."""
    namespace = {"__name__": "__notebook__", "__builtins__": __builtins__}
    graded, errors = [], []
    for cell in cells:
        before = dict(namespace)
        name = f"<{label} cell {cell['index']}>"
        err = exec_cell(cell["source"], namespace, name, cell_timeout)
        if err is not None:
            kind = cell["grade_id"] or ("graded" if cell["graded"] else "setup")
            errors.append(f"cell {cell['index']} ({kind}): {err}")
        if cell["graded"]:
            graded += [k for k, v in namespace.items()
                       if (k not in before or before[k] is not v) and k not in graded]
    return LoadResult(namespace, graded, errors)


def load_graded(notebook_path, names=None, cell_timeout=None):
    """Load the functions a learner's graded cells define, without running their other cells.

    Args:
        notebook_path: the learner's notebook.
        names: the names wanted; ``None`` for every name bound by a graded cell.
        cell_timeout: seconds allowed per cell (``None``: no limit).

    Returns:
        A :class:`types.SimpleNamespace` holding those names.

    Raises:
        FileNotFoundError, ValueError: if the file is missing or not a notebook.
        TypeError: if ``names`` is a single string instead of a sequence of them.
        LookupError: if a wanted name was not defined; the message lists the cells that raised.
    """
    if isinstance(names, str):
        raise TypeError(f"Expected names to be a sequence of str, got the str {names!r}")
    loaded = load_cells(notebook_path, cell_timeout)
    wanted = loaded.graded if names is None else list(names)
    missing = [n for n in wanted if n not in loaded.namespace]
    if missing:
        raise LookupError(f"Expected {notebook_path} to define {missing}, got only "
                          f"{loaded.graded}; cell errors: {loaded.errors or 'none'}")
    return SimpleNamespace(**{n: loaded.namespace[n] for n in wanted})


# --------------------------------------------------------------------------- grading

def run_test(test, ns, timeout=None):
    """Run one :class:`GradedTest` on ``ns``; return its result as a JSON-ready dict."""
    missing = [n for n in test.requires if not callable(getattr(ns, n, None))]
    if missing:
        message = f"{', '.join(missing)} not defined (did its graded cell run?)"
    else:
        message = exec_check(test.check, ns, timeout)
    return {"grade_id": test.grade_id, "name": test.name, "max_points": float(test.points),
            "points": float(test.points) if message is None else 0.0,
            "passed": message is None, "message": message or "passed"}


def exec_check(check, ns, timeout=None):
    """Call ``check(ns)`` under a time limit; ``None`` if it passed, else why it failed."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with time_limit(timeout):
                check(ns)
    except (Exception, SystemExit, TimeLimitExceeded) as err:
        return describe(err)
    return None


def grade_cells(cells, tests, label="notebook", test_timeout=None):
    """Load ``cells`` and run ``tests``; return ``{"tests": [...], "errors": [...]}``."""
    loaded = exec_cells(cells, label, test_timeout)
    ns = SimpleNamespace(**{k: v for k, v in loaded.namespace.items() if not k.startswith("__")})
    return {"tests": [run_test(t, ns, test_timeout) for t in tests], "errors": loaded.errors}


def check_tests(tests):
    """Return ``tests`` as a list after checking it is a non-empty sequence of :class:`GradedTest`.

    Raises:
        TypeError: if it is not.
        ValueError: if it is empty.
    """
    tests = list(tests)
    bad = [type(t).__name__ for t in tests if not isinstance(t, GradedTest)]
    if bad:
        raise TypeError(f"Expected a sequence of GradedTest, got items of type {bad}")
    if not tests:
        raise ValueError("Expected at least one GradedTest, got none")
    return tests


def grade_notebook(notebook_path, tests, *, test_timeout=10.0, timeout=None, isolate=True):
    """Grade a learner's notebook against a rubric.

    Args:
        notebook_path: the learner's notebook.
        tests: a sequence of :class:`GradedTest` (a rubric).
        test_timeout: seconds allowed to each cell and to each test.
        timeout: seconds allowed to the whole child process (``isolate=True`` only);
            default ``30 + test_timeout * (cells + tests)``.
        isolate: run the learner's code in a child Python process (recommended);
            ``False`` runs it in this process, faster, for trusted notebooks.

    Returns:
        ``{"notebook", "points": {grade_id: points}, "max_points": {grade_id: max},
        "total", "max_total", "tests": [per-test dicts], "errors": [cell errors]}``.

    Raises:
        FileNotFoundError, ValueError: if the file is missing or not a notebook.
        TypeError, ValueError: if ``tests`` is not a non-empty sequence of :class:`GradedTest`.
    """
    tests = check_tests(tests)
    path = Path(notebook_path)
    cells = read_cells(path)
    if isolate:
        if timeout is None:
            timeout = 30 + test_timeout * (len(cells) + len(tests))
        outcome = _grade_in_child(cells, tests, path.name, test_timeout, timeout)
    else:
        outcome = grade_cells(cells, tests, path.name, test_timeout)
    return summarize(str(path), tests, outcome)


def summarize(notebook, tests, outcome):
    """Add points per grade_id and the totals to the per-test results of ``outcome``."""
    points, max_points = {}, {}
    for result in outcome["tests"]:
        gid = result["grade_id"]
        points[gid] = points.get(gid, 0.0) + result["points"]
        max_points[gid] = max_points.get(gid, 0.0) + result["max_points"]
    return {"notebook": notebook, "points": points, "max_points": max_points,
            "total": sum(points.values()), "max_total": sum(max_points.values()),
            "tests": outcome["tests"], "errors": outcome["errors"]}


def _failed_outcome(tests, message):
    """Every test at 0 points with the same ``message`` (the child died or timed out)."""
    return {"errors": [message],
            "tests": [{"grade_id": t.grade_id, "name": t.name, "max_points": float(t.points),
                       "points": 0.0, "passed": False, "message": message} for t in tests]}


def _child_env():
    """The environment of the grading child: this process's, plus its ``sys.path``."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _grade_in_child(cells, tests, label, test_timeout, timeout):
    """Run :func:`grade_cells` in a child ``python -c WORKER RESULT.json``; see :func:`_worker`."""
    payload = pickle.dumps((cells, tests, label, test_timeout))
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        result_path = Path(tmp) / "result.json"
        try:
            proc = subprocess.run([sys.executable, "-c", WORKER, str(result_path)], input=payload,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=_child_env(), timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return _failed_outcome(tests, f"grading stopped after {timeout:g} s (time limit)")
        if proc.returncode != 0 or not result_path.exists():
            return _failed_outcome(tests, _death_message(proc))
        return json.loads(result_path.read_text(encoding="utf-8"))


def _death_message(proc):
    """Why the grading child gave no result: its exit code and last line of stderr."""
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    return f"grading process died (exit code {proc.returncode}): {tail[0]}"[:MAX_MESSAGE]


def _worker(result_path):
    """Child side of :func:`_grade_in_child`: pickle on stdin, JSON result to ``result_path``."""
    cells, tests, label, test_timeout = pickle.load(sys.stdin.buffer)
    outcome = grade_cells(cells, tests, label, test_timeout)
    Path(result_path).write_text(json.dumps(outcome), encoding="utf-8")
    os._exit(0)   # skip interpreter teardown: learner threads or atexit hooks cannot hang it

