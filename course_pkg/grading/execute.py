"""Re-execute notebooks in place, so their stored outputs are what the code prints now.

Usage: ``python -m course_pkg.grading.execute NOTEBOOK [NOTEBOOK ...]`` (``make execute``).

Each notebook runs in a fresh ``python3`` kernel of the current environment, from its
own folder, with ``PYTHONHASHSEED=0``; volatile metadata (timings) is dropped so that
re-executing an unchanged notebook leaves git with nothing to commit.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute_notebook(path, timeout=600):
    """Execute the notebook at ``path`` and write it back with its new outputs."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=timeout, kernel_name="python3", coalesce_streams=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def main(argv=None):
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        raise SystemExit("usage: python -m course_pkg.grading.execute NOTEBOOK [NOTEBOOK ...]")
    for p in paths:
        print(f"executing {p}", flush=True)
        execute_notebook(p)


if __name__ == "__main__":
    main()
