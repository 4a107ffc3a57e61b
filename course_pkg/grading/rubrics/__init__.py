"""Rubrics: one module per exercise, named like its notebook, holding ``RUBRIC``.

``course_pkg/grading/rubrics/ex01_rnn_step.py`` grades ``ex01_rnn_step.ipynb``; its
``RUBRIC`` is a :class:`~course_pkg.grading.rubric.Rubric`: the calls to make of the
learner's functions, and pure judges that the grader runs in its own process.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from course_pkg.grading.rubric import Rubric


def available():
    """The names of the exercises that have a rubric, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def rubric_for(notebook):
    """The rubric of an exercise, found by its name or its notebook's file name.

    Args:
        notebook: ``"ex01_rnn_step"``, ``"ex01_rnn_step.ipynb"`` or a path to such a notebook.

    Returns:
        A :class:`~course_pkg.grading.rubric.Rubric`.

    Raises:
        TypeError: if ``notebook`` is not a str or path.
        LookupError: if no rubric has that name.
    """
    if not isinstance(notebook, (str, Path)):
        raise TypeError(f"Expected an exercise name or notebook path, got {type(notebook).__name__}")
    stem = Path(notebook).stem if str(notebook).endswith(".ipynb") else Path(notebook).name
    if stem not in available():
        raise LookupError(f"Expected one of the exercises {available()}, got {stem!r}")
    rubric = importlib.import_module(f"{__name__}.{stem}").RUBRIC
    if not isinstance(rubric, Rubric) or rubric.exercise != stem:
        raise LookupError(f"Expected {__name__}.{stem}.RUBRIC to be the Rubric of {stem!r}")
    return rubric
