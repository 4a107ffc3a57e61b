"""Which notebook of a hand-in to grade, by one documented rule.

Students rename, copy and nest their notebooks: ``ex01_rnn_step-Copy1.ipynb``, a stale blank
beside ``ex05_classify_final.ipynb``, ``student/submission/ex08_gru.ipynb`` as an LMS zip
unpacks, ``name_12345_ex01_rnn_step.ipynb`` in a Canvas download. :func:`choose_notebook`
looks in a folder and one level down and picks, for one exercise:

1. the notebooks whose file name contains the exercise's name (``ex05_classify``), else
   those whose name contains its number (``ex05``); with ``any_name`` (one upload, one
   exercise: Gradescope), every notebook when none is named after it;
2. of those, the ones whose graded cells were worked (not every graded cell still
   ``raise NotImplementedError``) before the blank ones;
3. then the most recently modified; then the shortest path, then by name (so that the
   choice is the same on every run).

It returns the notebook chosen and every other one it saw, each with why it was skipped,
for the gradebook and the feedback.

A class folder may also be flat, as Canvas downloads it: every student's files side by side,
named ``<student>_<digits>_..._<file name>`` (``smithjane_12345_67890_ex01_rnn_step.ipynb``,
``smithjane_LATE_12345_67890_...`` when late). :func:`students` finds those students by the
part before ``_<digits>`` (or ``_LATE``), and :func:`student_notebooks` their notebooks. A
Moodle download's folder ``Jane Smith_12345_assignsubmission_file_`` is the student
``Jane Smith``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from course_pkg.grading import loader

SKIP_FOLDERS = {".ipynb_checkpoints", "__MACOSX"}
FLAT_NAME = re.compile(r"^(?P<student>[^_]+?)_(?:LATE_)?\d+_")        # Canvas: name_LATE?_userid_...
MOODLE_FOLDER = re.compile(r"^(?P<student>.+?)_\d+_assign(?:submission|feedback)_\w*$")
STUB = 'raise NotImplementedError("Write your code here")'


@dataclass(frozen=True)
class Choice:
    """The notebook to grade and the ones passed over.

    Attributes:
        path: the notebook chosen, or ``None`` when there is none.
        skipped: ``[(path, why)]`` for every other notebook seen.
    """

    path: Path | None
    skipped: list

    def warnings(self, root):
        """One line per skipped notebook, its path relative to ``root``."""
        return [f"skipped {_relative(p, root)}: {why}" for p, why in self.skipped]


def _relative(path, root):
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def notebooks(folder):
    """The ``.ipynb`` files of ``folder`` and of its subfolders one level down, hidden files and
    ``.ipynb_checkpoints`` / ``__MACOSX`` left out."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIP_FOLDERS:
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(entry)
        elif entry.is_dir():
            found += [p for p in sorted(entry.glob("*.ipynb")) if p.is_file() and not p.name.startswith(".")]
    return found


def students(folder):
    """``{student: folder or [notebooks]}`` of a class folder: each visible subfolder, and the
    students of the flat files named ``<student>_<digits>_...`` beside them.

    Raises:
        ValueError: if ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"Expected a folder of student folders, got {str(folder)!r}")
    found = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIP_FOLDERS:
            continue
        if entry.is_dir():
            match = MOODLE_FOLDER.match(entry.name)
            found[match["student"] if match else entry.name] = entry
        elif entry.suffix == ".ipynb" and (match := FLAT_NAME.match(entry.name)):
            files = found.setdefault(match["student"], [])
            if isinstance(files, list):
                files.append(entry)
    return found


def student_notebooks(where):
    """The notebooks of one student: ``where`` is their folder (and one level down) or the list
    of their flat files."""
    return list(where) if isinstance(where, list) else notebooks(where)


def is_blank(path):
    """Whether every graded cell of the notebook still raises the stub's ``NotImplementedError``
    (an unreadable notebook counts as worked: the grader reports it as malformed)."""
    try:
        cells = loader.code_cells(loader.read_notebook(path))
    except (OSError, loader.NotebookError):
        return False
    graded = [c for c in cells if c["grade_id"] is not None]
    return bool(graded) and all(STUB in c["source"] for c in graded)


def choose_notebook(folder, exercise, any_name=False):
    """The notebook of ``folder`` to grade for ``exercise``, by the rule of this module.

    Args:
        folder: a student's folder (or Gradescope's ``submission`` folder), or the list of a
            student's flat files.
        exercise: the exercise's name, e.g. ``"ex05_classify"``.
        any_name: when no notebook is named after the exercise, choose among all of them.

    Returns:
        A :class:`Choice`.
    """
    found = student_notebooks(folder)
    number = exercise.split("_", 1)[0]
    named = [p for p in found if exercise in p.name] or [p for p in found if number in p.name]
    pool = named or (found if any_name else [])
    if not pool:
        return Choice(None, [(p, f"its name does not contain {exercise!r}") for p in found])
    blank = {p: is_blank(p) for p in pool}
    ranked = sorted(pool, key=lambda p: (blank[p], -p.stat().st_mtime, len(p.parts), str(p)))
    chosen = ranked[0]
    skipped = []
    for p in found:
        if p == chosen:
            continue
        if p not in pool:
            why = f"its name does not contain {exercise!r}"
        elif blank[p] and not blank[chosen]:
            why = "every graded cell is still blank"
        else:
            why = f"{chosen.name} was chosen (modified later, or nearer the top)"
        skipped.append((p, why))
    return Choice(chosen, skipped)
