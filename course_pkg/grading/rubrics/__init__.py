"""Rubrics: one module per exercise, named like its notebook, holding ``TESTS``.

``course_pkg/grading/rubrics/ex01_rnn_step.py`` grades ``ex01_rnn_step.ipynb``; its
``TESTS`` is a list of :class:`~course_pkg.grading.loader.GradedTest`. Checks are
module-level functions (or ``functools.partial`` of them) so that they can be pickled
to the grading child process.
"""
from __future__ import annotations

import importlib
from pathlib import Path


def rubric_for(notebook):
    """The rubric (list of ``GradedTest``) for a notebook, found by its file name.

    Args:
        notebook: a path or file name such as ``"exercises/ex01_rnn_step.ipynb"``.

    Returns:
        A list of :class:`~course_pkg.grading.loader.GradedTest`.

    Raises:
        LookupError: if no rubric module has the notebook's name.
    """
    stem = Path(notebook).stem
    module_name = f"{__name__}.{stem}"
    if not stem.isidentifier():
        raise LookupError(f"Expected a notebook name that is a Python identifier, got {stem!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        raise LookupError(f"Expected a rubric module {module_name}, got none") from None
    return list(module.TESTS)
