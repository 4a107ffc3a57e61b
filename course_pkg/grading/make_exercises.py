"""Build the learner notebooks in ``exercises/`` from the solution notebooks in ``solutions/``.

Usage::

    python -m course_pkg.grading.make_exercises solutions exercises          # write
    python -m course_pkg.grading.make_exercises solutions exercises --check  # verify only

(``make exercises`` runs the first form; ``tests/test_grading.py`` runs the second.)

Conventions in a solution notebook (nbgrader's markers, without nbgrader):

* Code between the lines ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is the answer.
  The exercise keeps everything outside the markers (signature, docstring, hint comments,
  the ``return`` line) and puts, at the indentation of the ``BEGIN`` marker::

      # YOUR CODE HERE
      raise NotImplementedError("Write your code here")

* Markdown between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` becomes the
  line ``YOUR ANSWER HERE``.
* Code between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` (nbgrader's markers,
  in check cells) is removed from the exercise, markers included.
* Cell tags (``metadata.tags``) and the ``metadata.course`` record:

  ``setup``
      The imports and seeds; the grader (:mod:`course_pkg.grading.loader`) runs these cells.
  ``graded`` with ``metadata.course.grade_id``
      A cell defining the functions the grader calls; the grader runs these cells too.
  ``check``
      A self-check cell that calls graded functions. In the exercise these cells raise
      (the functions are stubs), so they get nbval's ``raises-exception`` tag. The rule is
      static, so generation needs no kernel and is deterministic; it is enforced: a
      non-graded code cell that names a function defined in a graded cell, but is not
      tagged ``check``, stops generation with a ``ValueError``.

* Every code cell of an exercise gets ``nbval-ignore-output``: the exercises are run by
  the same strict ``pytest --nbval`` as the solutions, and must only run without an
  unexpected error.
* Outputs and execution counts are cleared; cell ids and all other metadata are kept, so
  generating twice from the same solution gives the same bytes (no git diff).
"""
from __future__ import annotations

import argparse
import ast
import copy
import difflib
import sys
from pathlib import Path

import nbformat

CODE_BEGIN, CODE_END = "### BEGIN SOLUTION", "### END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", 'raise NotImplementedError("Write your code here")')
MD_STUB = "YOUR ANSWER HERE"
TAG_GRADED, TAG_CHECK, TAG_SETUP = "graded", "check", "setup"
TAG_RAISES, TAG_IGNORE_OUTPUT = "raises-exception", "nbval-ignore-output"


def strip_solution(source, begin, end, stub_lines):
    """Replace every ``begin``…``end`` region of ``source`` by ``stub_lines``.

    The markers must stand on lines of their own; the stub takes the indentation of the
    ``begin`` line.

    Args:
        source: cell text.
        begin: the opening marker, e.g. ``"### BEGIN SOLUTION"``.
        end: the closing marker.
        stub_lines: lines (without indentation) that replace each region.

    Returns:
        ``(new_source, n_regions)``.

    Raises:
        ValueError: on an ``end`` without ``begin``, a nested ``begin`` or a missing ``end``.
    """
    out, start, regions = [], None, 0
    for number, line in enumerate(source.split("\n"), 1):
        marker = line.strip()
        if marker == begin:
            if start is not None:
                raise ValueError(f"Expected {end!r} before line {number}, got a second {begin!r}")
            start, regions = number, regions + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in stub_lines)
        elif marker == end:
            if start is None:
                raise ValueError(f"Expected {begin!r} before line {number}, got {end!r} alone")
            start = None
        elif start is None:
            out.append(line)
    if start is not None:
        raise ValueError(f"Expected {end!r} after line {start}, got the end of the cell")
    return "\n".join(out), regions


def cell_tags(cell):
    """Return the list of tags of ``cell`` (an empty list if it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def set_tags(cell, *extra):
    """Add ``extra`` tags to ``cell``, keeping the existing ones first and no duplicates."""
    tags = cell_tags(cell)
    tags += [t for t in extra if t not in tags]
    cell.metadata["tags"] = tags


def graded_names(nb):
    """Names of the functions and classes that the notebook's graded cells define.

    Raises:
        ValueError: if a graded cell is not valid Python.
    """
    names = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or TAG_GRADED not in cell_tags(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as err:
            raise ValueError(f"Expected valid Python in graded cell {index}, got {err}") from None
        names.update(node.name for node in tree.body
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    return names


def check_tagging(nb, name="notebook"):
    """Check that every non-graded code cell that uses a graded function is tagged ``check``.

    Args:
        nb: the solution notebook.
        name: how to call it in error messages.

    Raises:
        ValueError: naming the first untagged cell that uses a graded function.
    """
    graded = graded_names(nb)
    for index, cell in enumerate(nb.cells):
        tags = cell_tags(cell)
        if cell.cell_type != "code" or TAG_GRADED in tags or TAG_CHECK in tags:
            continue
        try:
            used = {n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name)}
        except SyntaxError:
            used = {w for w in graded if w in cell.source}
        if used & graded:
            raise ValueError(f"Expected cell {index} of {name}, which uses "
                             f"{sorted(used & graded)}, to be tagged {TAG_CHECK!r}, got tags {tags}")


def make_exercise(solution, name="notebook"):
    """Return the learner version of a solution notebook (the input is not modified).

    Args:
        solution: an ``nbformat`` v4 notebook.
        name: how to call it in error messages.

    Returns:
        A new notebook: answers replaced by stubs, outputs cleared, tags added.

    Raises:
        TypeError: if ``solution`` is not an nbformat v4 notebook.
        ValueError: on unbalanced solution markers or a mis-tagged cell.
    """
    if not isinstance(solution, nbformat.NotebookNode) or solution.get("nbformat") != 4:
        raise TypeError(f"Expected an nbformat v4 NotebookNode, got {type(solution).__name__}")
    check_tagging(solution, name)
    nb = copy.deepcopy(solution)
    for index, cell in enumerate(nb.cells):
        try:
            _exercise_cell(cell)
        except ValueError as err:
            raise ValueError(f"In cell {index} of {name}: {err}") from None
    return nb


def _exercise_cell(cell):
    """Turn one solution cell into its exercise form, in place."""
    if cell.cell_type == "markdown":
        cell.source, _ = strip_solution(cell.source, MD_BEGIN, MD_END, (MD_STUB,))
    elif cell.cell_type == "code":
        cell.source, regions = strip_solution(cell.source, CODE_BEGIN, CODE_END, CODE_STUB)
        cell.source, _ = strip_solution(cell.source, HIDDEN_BEGIN, HIDDEN_END, ())
        if TAG_GRADED in cell_tags(cell) and not regions:
            raise ValueError(f"Expected a graded cell to hold a {CODE_BEGIN!r} region, got none")
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
        if TAG_CHECK in cell_tags(cell):
            set_tags(cell, TAG_RAISES)
        set_tags(cell, TAG_IGNORE_OUTPUT)


def render(nb):
    """The exact text ``nbformat.write`` puts in a file for ``nb`` (validated)."""
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def planned(solutions_dir, exercises_dir):
    """Map every exercise path to be written to its text.

    Args:
        solutions_dir: folder of solution notebooks (``*.ipynb``, not recursive).
        exercises_dir: folder of exercise notebooks (same file names).

    Returns:
        ``{exercise_path: text}``, sorted by file name.

    Raises:
        ValueError: if ``solutions_dir`` holds no notebook.
    """
    sources = sorted(Path(solutions_dir).glob("*.ipynb"))
    if not sources:
        raise ValueError(f"Expected notebooks in {solutions_dir}, got none")
    return {Path(exercises_dir) / src.name: render(make_exercise(nbformat.read(src, as_version=4), str(src)))
            for src in sources}


def diff_summary(current, generated, name, max_lines=20):
    """The first ``max_lines`` lines of a unified diff from ``current`` to ``generated``, indented."""
    diff = list(difflib.unified_diff(current.splitlines(), generated.splitlines(), name,
                                     "generated", n=1, lineterm=""))
    more = [f"... ({len(diff) - max_lines} more diff lines)"] if len(diff) > max_lines else []
    return "\n".join("  " + line for line in diff[:max_lines] + more)


def out_of_sync(solutions_dir, exercises_dir, max_diff_lines=20):
    """Describe how ``exercises_dir`` differs from what would be generated.

    Returns:
        A list of human-readable problems (empty when in sync): missing, stale, extra files,
        each stale one with the start of a unified diff.
    """
    plan, problems = planned(solutions_dir, exercises_dir), []
    for path, text in plan.items():
        if not path.exists():
            problems.append(f"{path}: missing")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            problems.append(f"{path}: differs from the generated version\n"
                            + diff_summary(current, text, str(path), max_diff_lines))
    extra = sorted(set(Path(exercises_dir).glob("*.ipynb")) - set(plan))
    problems += [f"{path}: no solution notebook of that name" for path in extra]
    return problems


def write_all(solutions_dir, exercises_dir):
    """Write every exercise notebook; return the paths whose text changed."""
    changed = []
    Path(exercises_dir).mkdir(parents=True, exist_ok=True)
    for path, text in planned(solutions_dir, exercises_dir).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv=None):
    """Command line: write the exercises, or with ``--check`` exit 1 when out of sync."""
    parser = argparse.ArgumentParser(prog="python -m course_pkg.grading.make_exercises",
                                     description="Generate exercise notebooks from solution notebooks.")
    parser.add_argument("solutions", help="folder of solution notebooks")
    parser.add_argument("exercises", help="folder to write the exercise notebooks to")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the exercises are not what would be generated")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = out_of_sync(args.solutions, args.exercises)
            for problem in problems:
                print(problem)
            print("exercises out of sync: run `make exercises`" if problems else "exercises in sync")
            return 1 if problems else 0
        for path in write_all(args.solutions, args.exercises):
            print(f"wrote {path}")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
