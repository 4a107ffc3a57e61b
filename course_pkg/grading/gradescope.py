"""Grading one submission of one exercise, as Gradescope (or any CI-style runner) does.

Two commands::

    python -m course_pkg.grading.gradescope build EXERCISE [--out gradescope]
    python -m course_pkg.grading.gradescope run EXERCISE [--root /autograder]

``build`` writes ``gradescope/<exercise>-autograder.zip`` (``make gradescope
EXERCISE=…``): Gradescope's autograder format, ``setup.sh`` (a Python 3.11 virtual
environment with the pinned CPU torch and this course installed from the zip) and
``run_autograder``, which calls ``run``. ``run`` grades the one ``.ipynb`` of
``ROOT/submission/`` chosen by :func:`course_pkg.grading.submissions.choose_notebook` (any
file name) and writes ``ROOT/results/results.json`` for that exercise alone. ``ROOT`` is
``--root``, else ``$AUTOGRADER_ROOT``, else ``/autograder``, so the project's tests run it
on a mock tree. Hidden tests are listed with ``"visibility": "after_published"``: their
names and hints appear nowhere else in the file.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from pathlib import Path

from course_pkg.grading import gradebook
from course_pkg.grading.judge import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, grade_notebook
from course_pkg.grading.rubrics import available, rubric_for
from course_pkg.grading.submissions import choose_notebook

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("pyproject.toml", "requirements.txt", "README.md", "LICENSE")   # beside course_pkg/ in the zip
TORCH = "torch==2.13.0"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04).
set -euo pipefail
cd /autograder/source
if ! command -v python3.11 >/dev/null; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install {TORCH} --index-url {TORCH_INDEX}
/autograder/venv/bin/pip install ./course
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission. AUTOGRADER_ROOT (default /autograder) lets a
# test run it on a mock tree; PYTHON (default: the venv setup.sh made) which Python runs it.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{PYTHON:-$ROOT/venv/bin/python}}"
export PYTHONPATH="$ROOT/source/course${{PYTHONPATH:+:$PYTHONPATH}}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MPLBACKEND=Agg
exec "$PYTHON" -m course_pkg.grading.gradescope run {exercise} --root "$ROOT"
"""


# --------------------------------------------------------------------------- build

def _add(zf, path, arcname, mode=0o644):
    info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))   # the same bytes on every build
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, path.read_bytes() if isinstance(path, Path) else path)


def package_files(repo=REPO):
    """The files of ``course_pkg`` that ship (sources and data, no caches), sorted."""
    root = Path(repo) / "course_pkg"
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo"))


def build(exercise, out="gradescope", repo=REPO):
    """Write ``OUT/<exercise>-autograder.zip`` and return its path.

    Raises:
        ValueError: if ``exercise`` has no rubric.
    """
    if exercise not in available():
        raise ValueError(f"Expected one of the exercises {available()}, got {exercise!r}")
    repo, out = Path(repo), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{exercise}-autograder.zip"
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, SETUP_SH.encode(), "setup.sh", 0o755)
        _add(zf, RUN_AUTOGRADER.format(exercise=exercise).encode(), "run_autograder", 0o755)
        for name in SHIPPED:
            if (repo / name).is_file():
                _add(zf, repo / name, f"course/{name}")
        for p in package_files(repo):
            _add(zf, p, f"course/{p.relative_to(repo).as_posix()}")
        _add(zf, repo / "exercises" / f"{exercise}.ipynb", f"course/exercises/{exercise}.ipynb")
        zh = repo / "zh" / "exercises" / f"{exercise}.ipynb"       # its questions in Chinese
        if zh.is_file():
            _add(zf, zh, f"course/zh/exercises/{exercise}.ipynb")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- run

def results_json(graded, chosen, warnings, seconds):
    """Gradescope's ``results.json`` text for one graded exercise.

    The top-level ``output`` (shown to the student at once) says which file was graded, what
    was skipped, the status and its reason; the reason never names a hidden test. Each test
    carries its own visibility: ``after_published`` for hidden tests.
    """
    tests = [{"name": r.test.name, "score": r.points, "max_score": float(r.test.points),
              "status": "passed" if r.passed else "failed", "output": r.hint,
              "visibility": "after_published" if r.test.hidden else "visible"} for r in graded.results]
    lines = [f"{graded.exercise}: graded {chosen}" if chosen else f"{graded.exercise}: no notebook found",
             *warnings, f"status: {graded.status}: {graded.reason}"]
    if graded.cell_errors:
        lines += ["errors in your cells:", *graded.cell_errors]
    result = {"score": graded.score, "execution_time": round(seconds, 1), "output": "\n".join(lines),
              "stdout_visibility": "hidden", "tests": tests}
    return json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run(exercise, root, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """Grade ``ROOT/submission``'s notebook for ``exercise``; write ``ROOT/results/results.json``.

    Returns:
        the :class:`~course_pkg.grading.judge.Graded`.
    """
    root = Path(root)
    rubric = rubric_for(exercise)
    start = time.perf_counter()
    choice = choose_notebook(root / "submission", exercise, any_name=True)
    where = choice.path if choice.path is not None else root / "submission" / f"{exercise}.ipynb"
    graded = grade_notebook(where, rubric, timeout=timeout, memory_mb=memory_mb)
    chosen = None if choice.path is None else str(choice.path.relative_to(root / "submission"))
    text = results_json(graded, chosen, choice.warnings(root / "submission"), time.perf_counter() - start)
    gradebook.write_atomic(root / "results" / "results.json", text)
    return graded


def main(argv=None):
    """The command line; returns its exit status."""
    p = argparse.ArgumentParser(prog="python -m course_pkg.grading.gradescope",
                                description="Build a Gradescope autograder, or run one submission.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write gradescope/<exercise>-autograder.zip")
    b.add_argument("exercise")
    b.add_argument("--out", type=Path, default=Path("gradescope"))
    r = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    r.add_argument("exercise")
    r.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    r.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    r.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    args = p.parse_args(argv)
    if args.exercise not in available():
        print(f"error: Expected one of the exercises {available()}, got {args.exercise!r}", file=sys.stderr)
        return 2
    if args.command == "build":
        print(f"wrote {build(args.exercise, args.out)}")
        return 0
    graded = run(args.exercise, args.root, args.timeout, args.memory_mb)
    print(f"{args.exercise}: {graded.score:g}/{graded.max_score:g} ({graded.status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
