"""Read a learner's notebook, and execute the cells that the grader runs.

Which cells run, in notebook order, in one fresh namespace
    * cells tagged ``setup`` or ``graded`` (or carrying ``metadata.course.grade_id``), whole;
    * every other code cell except those tagged ``check``: only its top-level ``import``,
      ``def`` and ``class`` statements. A function the learner moved, split off or wrote in a
      new cell is therefore still found by its name, while the learner's experiments,
      prints, plots and self-checks never run and cannot cost points.

    IPython line magics and shell escapes (lines starting with ``%`` or ``!``) are dropped.

Robustness
    A cell that raises is recorded and loading goes on with the next cell. Time limits use
    ``SIGALRM`` (Unix, main thread) and raise :class:`TimeLimitExceeded`, a
    ``BaseException`` that ``except Exception`` in the learner's code cannot swallow. A cell
    stopped by its time limit is undone: the functions it defined before it got stuck are
    not graded (a notebook must run to its end).

This module executes learner code in the process that calls it: the grader calls it only
in its child process (:mod:`course_pkg.grading.harness`), never beside the judge.
"""
from __future__ import annotations

import ast
import contextlib
import json
import linecache
import re
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

TAG_SETUP, TAG_GRADED, TAG_CHECK = "setup", "graded", "check"
MAX_MESSAGE = 300
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
ANSWER_STUB = "YOUR ANSWER HERE"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,16}")


class TimeLimitExceeded(BaseException):
    """Raised inside learner code that runs past its time limit."""


class NotebookError(ValueError):
    """Raised when a file is not a readable nbformat 4 notebook."""


@dataclass
class LoadResult:
    """What :func:`exec_cells` executed.

    Attributes:
        namespace: every name the executed cells bound.
        errors: one line per cell that raised, e.g. ``"cell 4 (rnn_step_forward): NameError: ..."``.
        memory_error: whether a cell raised ``MemoryError``.
        timed_out: whether a cell ran past its time limit.
        unrun: ``{name: cell number}`` of the names that only cells run for their definitions
            assign (``SCALE = 1.0`` in a cell of its own): the grader never binds them.
    """

    namespace: dict
    errors: list
    memory_error: bool = False
    timed_out: bool = False
    unrun: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- reading

def read_notebook(notebook_path):
    """The JSON of a notebook as nbformat 4, checked: read as plain JSON (a UTF-8 byte-order
    mark is allowed), and an nbformat 3 notebook (old Jupyter) upgraded with ``nbformat``.

    Args:
        notebook_path: path of an ``.ipynb`` file.

    Returns:
        The notebook as a dict whose ``"cells"`` is a list.

    Raises:
        FileNotFoundError: if the file does not exist.
        NotebookError: if it is too large, not UTF-8 JSON, or not an nbformat 3 or 4 notebook.
    """
    path = Path(notebook_path)
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"Expected a notebook under {MAX_NOTEBOOK_BYTES >> 20} MiB at {path.name}, "
                            f"got {path.stat().st_size >> 20} MiB")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise NotebookError(f"Expected a notebook (JSON) at {path.name}, got invalid JSON: {reason}") from None
    if isinstance(nb, dict) and nb.get("nbformat") == 3:
        nb = _upgrade_v3(nb, path.name)
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"Expected an nbformat 4 notebook at {path.name}, got something else")
    return nb


def _upgrade_v3(nb, name):
    """An nbformat 3 notebook as nbformat 4 JSON (its cells have no ids: written answers are not found)."""
    import nbformat
    try:
        return json.loads(json.dumps(nbformat.convert(nbformat.from_dict(nb), 4)))
    except Exception as err:  # noqa: BLE001 - whatever a malformed old notebook raises
        raise NotebookError(f"Expected an nbformat 3 notebook that upgrades to 4 at {name}, got: "
                            f"{str(err)[:120]}") from None


def cell_source(cell):
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def cell_tags(cell):
    """The tags of a cell (JSON dict), ignoring malformed metadata."""
    meta = cell.get("metadata")
    tags = meta.get("tags") if isinstance(meta, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def grade_id_of(cell):
    """The ``metadata.course.grade_id`` of a cell, or ``None``."""
    meta = cell.get("metadata")
    course = meta.get("course") if isinstance(meta, dict) else None
    gid = course.get("grade_id") if isinstance(course, dict) else None
    return gid if isinstance(gid, str) else None


def code_cells(nb):
    """The code cells the grader runs, in order: ``{"index", "source", "grade_id", "mode", "heading"}``.

    ``mode`` is ``"all"`` for setup and graded cells and ``"defs"`` for the other cells
    (not tagged ``check``), of which only imports and definitions run. ``heading`` is the
    last Markdown heading above the cell (or ``None``): with the cell's 1-based number, how a
    learner finds it in Jupyter.
    """
    cells, heading = [], None
    for index, cell in enumerate(nb["cells"]):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            lines = [ln.lstrip("#").strip() for ln in cell_source(cell).splitlines() if ln.startswith("#")]
            heading = lines[-1] if lines else heading
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        tags, gid = cell_tags(cell), grade_id_of(cell)
        if TAG_CHECK in tags and not gid:
            continue
        whole = TAG_SETUP in tags or TAG_GRADED in tags or gid is not None
        cells.append({"index": index, "source": cell_source(cell), "grade_id": gid,
                      "mode": "all" if whole else "defs", "heading": heading})
    return cells


def read_cells(notebook_path):
    """The cells the grader runs of the notebook at ``notebook_path``; see :func:`code_cells`.

    Raises:
        FileNotFoundError, NotebookError: as :func:`read_notebook`.
    """
    return code_cells(read_notebook(notebook_path))


def questions(notebook_path):
    """``{answer id: question}`` of a blank exercise notebook: each answer cell's text before
    ``YOUR ANSWER HERE``; ``{}`` when the notebook is not there or unreadable."""
    path = Path(notebook_path)
    try:
        nb = read_notebook(path)
    except (OSError, NotebookError):
        return {}
    found = {}
    for cell in nb["cells"]:
        text = cell_source(cell).strip() if isinstance(cell, dict) else ""
        if isinstance(cell, dict) and cell.get("id") and text.endswith(ANSWER_STUB):
            found[cell["id"]] = text[:-len(ANSWER_STUB)].strip()
    return found


def _first_line(text):
    return next((line.strip() for line in text.splitlines() if line.strip()), None)


def written_answers(nb, answer_ids, asked=None):
    """The learner's written answers: each answer cell's text, with the cells added after it.

    Args:
        nb: a notebook from :func:`read_notebook`.
        answer_ids: the ids of the cells that hold a question and ``YOUR ANSWER HERE``.
        asked: ``{answer id: question}`` (:func:`questions`), or ``{answer id: (question,
            ...)}`` with the question in each language of the course. A notebook saved without cell
            ids (nbformat 4.0-4.4, as Colab saves) has its answer cells found by the first
            line of their question instead.

    Returns:
        ``{answer_id: text or None}``: ``None`` where the cell is gone, or still ends with
        ``YOUR ANSWER HERE`` and nothing was added after it. Markdown cells right after an
        answer cell that do not start with a heading (``#``) count as part of the answer.
    """
    answers, current = dict.fromkeys(answer_ids), None
    by_line = {_first_line(q): i for i, qs in (asked or {}).items() if i in answers
               for q in ((qs,) if isinstance(qs, str) else qs) if _first_line(q)}
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        text = cell_source(cell).strip()
        found = cell.get("id") if cell.get("id") in answers else None
        if found is None and not cell.get("id") and cell.get("cell_type") == "markdown":
            found = by_line.get(_first_line(text))
        if found is not None:
            current = found
            answers[current] = None if text.endswith(ANSWER_STUB) else text
            stub_text = text
        elif current is not None and cell.get("cell_type") == "markdown" and not text.startswith("#"):
            if text:
                answers[current] = (answers[current] or stub_text) + "\n\n" + text
        else:
            current = None
    return answers


def strip_magics(source):
    """Blank out IPython line magics and shell escapes (lines starting ``%`` or ``!``)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.split("\n"))


# --------------------------------------------------------------------------- executing

def can_limit_time():
    """Whether :func:`time_limit` can stop a call here: ``SIGALRM`` exists (Unix, not
    Windows) and this is the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` of wall time.

    A no-op when ``seconds`` is ``None`` or where ``SIGALRM`` cannot be used (Windows, a
    thread other than the main one); code stuck inside C is then only stopped by the
    grader's overall timeout.
    """
    if seconds is None or not can_limit_time():
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


class _Discard:
    """A text stream that swallows everything written to it (the learner's prints)."""

    def write(self, text):
        return len(text) if isinstance(text, str) else 0

    def flush(self):
        pass

    def isatty(self):
        return False


@contextlib.contextmanager
def learner_code(seconds):
    """Run learner code: its prints discarded, under :func:`time_limit` of ``seconds``."""
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = _Discard()
    try:
        with time_limit(seconds):
            yield
    finally:
        sys.stdout, sys.stderr = saved


def sanitize(text, limit=MAX_MESSAGE):
    """One line of at most ``limit`` characters, memory addresses replaced by ``0x…``."""
    text = _ADDRESS.sub("0x…", " ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(err):
    """A one-line, length-limited description of an exception for a report."""
    if isinstance(err, NotImplementedError):
        return "not implemented yet (NotImplementedError)"
    if isinstance(err, TimeLimitExceeded):
        return str(err)
    return sanitize(f"{type(err).__name__}: {err}".strip().rstrip(":"))


DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def definitions_only(source, filename, protected=()):
    """The code object of the top-level imports, functions and classes of ``source``, without
    the functions named in ``protected`` (the graded cells' own: a later copy must not
    replace them).

    Raises:
        SyntaxError: if ``source`` is not valid Python.
    """
    tree = ast.parse(source, filename)
    tree.body = [node for node in tree.body if isinstance(node, DEFINITIONS)
                 and not (isinstance(node, FUNCTIONS) and node.name in protected)]
    return compile(tree, filename, "exec")


def _top_level(source):
    """The top-level statements of ``source`` (none when it does not parse)."""
    try:
        return ast.parse(strip_magics(source)).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


def graded_functions(cells):
    """``{name: cell number}`` of the functions the graded cells define at top level."""
    return {node.name: cell["index"] + 1 for cell in cells if cell["grade_id"] is not None
            for node in _top_level(cell["source"]) if isinstance(node, FUNCTIONS)}


def redefined(cell, protected):
    """The graded functions that a definitions-only ``cell`` defines again, in order."""
    if cell["mode"] != "defs":
        return []
    return [node.name for node in _top_level(cell["source"])
            if isinstance(node, FUNCTIONS) and node.name in protected]


def unrun_assignments(cells):
    """``{name: cell number}`` of the names assigned at the top level of cells the grader runs
    only for their definitions (the assignment never runs there)."""
    found = {}
    for cell in cells:
        if cell["mode"] != "defs":
            continue
        for node in _top_level(cell["source"]):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            found.setdefault(name.id, cell["index"] + 1)
    return found


def explain_name_error(err, unrun):
    """For a ``NameError`` of a name that a definitions-only cell assigns: where it is set and
    what to do; else ``""``."""
    name = getattr(err, "name", None) if isinstance(err, NameError) else None
    if name not in unrun:
        return ""
    return (f"; {name} is set in cell {unrun[name]}, which the grader runs only for its imports and "
            f"definitions: set {name} in the graded cell (or the set-up cell)")


def exec_cell(cell, namespace, label="notebook", timeout=None, protected=()):
    """Execute one cell from :func:`code_cells` in ``namespace``, its output discarded; a
    definitions-only cell does not redefine the functions in ``protected``.

    Returns:
        ``None`` on success, else the exception it raised (any ``BaseException``).
    """
    filename = f"<{label} cell {cell['index'] + 1}>"
    source = strip_magics(cell["source"])
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        with learner_code(timeout):
            code = (compile(source, filename, "exec") if cell["mode"] == "all"
                    else definitions_only(source, filename, protected))
            exec(code, namespace)  # noqa: S102 - running the learner's code is the point
    except BaseException as err:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: all the learner's
        return err
    return None


def exec_cells(cells, label="notebook", cell_timeout=None):
    """Execute cells from :func:`code_cells` in a fresh namespace.

    Args:
        cells: the cells, in order.
        label: the notebook's name, for tracebacks and messages.
        cell_timeout: seconds allowed per cell (``None``: no limit).

    Returns:
        A :class:`LoadResult`.
    """
    result = LoadResult({"__name__": "__notebook__", "__builtins__": __builtins__}, [],
                        unrun=unrun_assignments(cells))
    protected = graded_functions(cells)
    for cell in cells:
        before = dict(result.namespace)
        err = exec_cell(cell, result.namespace, label, cell_timeout, protected)
        kind = cell["grade_id"] or ("graded/setup" if cell["mode"] == "all" else "definitions")
        under = f", under \u201c{sanitize(cell['heading'], 60)}\u201d" if cell.get("heading") else ""
        for name in redefined(cell, protected):
            result.errors.append(f"cell {cell['index'] + 1} ({kind}){under}: defines {name} again; "
                                 f"only the graded cell's {name} (cell {protected[name]}) is graded")
        if err is None:
            continue
        message = describe(err) + explain_name_error(err, result.unrun)
        if isinstance(err, TimeLimitExceeded):      # a cell that never finishes defines nothing
            result.namespace.clear()
            result.namespace.update(before)
            result.timed_out, message = True, f"{message}; nothing it defined is graded"
        result.errors.append(f"cell {cell['index'] + 1} ({kind}){under}: {message}")
        result.memory_error |= isinstance(err, MemoryError)
    return result


def load_graded(notebook_path, names, cell_timeout=None):
    """Load functions of a trusted notebook into this process (for an instructor's debugging).

    Args:
        notebook_path: the notebook.
        names: the names wanted.
        cell_timeout: seconds allowed per cell (``None``: no limit).

    Returns:
        A :class:`types.SimpleNamespace` holding those names.

    Raises:
        FileNotFoundError, NotebookError: if the file is missing or not a notebook.
        TypeError: if ``names`` is a single string instead of a sequence of them.
        LookupError: if a wanted name was not defined; the message lists the cells that raised.
    """
    if isinstance(names, str):
        raise TypeError(f"Expected names to be a sequence of str, got the str {names!r}")
    path = Path(notebook_path)
    loaded = exec_cells(read_cells(path), path.name, cell_timeout)
    missing = [n for n in names if n not in loaded.namespace]
    if missing:
        raise LookupError(f"Expected {path.name} to define {missing}, got cell errors: "
                          f"{loaded.errors or 'none'}")
    return SimpleNamespace(**{n: loaded.namespace[n] for n in names})
