"""Every notebook opens on Colab: its first code cell installs the course there, and only there.

Colab (the book's launch button, or File > Open notebook > GitHub) opens a notebook alone,
without ``course_pkg`` and the data packages, so the chapter's first import would fail. The
first code cell of every chapter, solution and exercise notebook is :func:`colab_source`,
hidden in the book (``remove-cell``): on Colab it pip-installs ``course_pkg[colab]`` from the
repository that ``_config.yml`` names (Colab keeps its own torch); anywhere else it does
nothing, which strict nbval checks on every run. Both branches are run here, offline: the
install command is recorded, not run.
"""
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/ch[0-9][0-9]_*.ipynb"), *ROOT.glob("solutions/ex*.ipynb"),
                    *ROOT.glob("exercises/ex*.ipynb")])
CELL_ID = "colab-setup"


def repository():
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return repo["url"], repo.get("branch", "main")


def colab_source():
    """The first code cell's source, for the repository ``_config.yml`` names."""
    url, branch = repository()
    return (
        "# On Colab only: install the course's package and data (elsewhere: nothing).\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        '    COURSE = "course_pkg[colab] @ git+"\n'
        f'    COURSE += "{url}@{branch}"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE],\n'
        "                   check=True)"
    )


def first_code_cell(path):
    return next(c for c in nbformat.read(path, 4).cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_first_code_cell_installs_the_course_on_colab(path):
    cell = first_code_cell(path)
    assert cell.source == colab_source(), (
        f"Expected the Colab cell (tests/test_colab.py: colab_source) first in {path.name}, "
        f"got {cell.source[:60]!r}")
    assert cell.get("id") == CELL_ID and "remove-cell" in cell.metadata.get("tags", [])
    assert not cell.get("outputs"), "the cell prints nothing off Colab"


def run_cell(monkeypatch, on_colab):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(colab_source(), "colab-setup", "exec"), {})
    return calls


def test_elsewhere_the_cell_does_nothing(monkeypatch):
    assert run_cell(monkeypatch, on_colab=False) == []


def test_on_colab_the_cell_installs_the_course_from_the_books_repository(monkeypatch):
    (args, kwargs), = run_cell(monkeypatch, on_colab=True)
    url, branch = repository()
    assert args[0] == [sys.executable, "-m", "pip", "install", "-q",
                       f"course_pkg[colab] @ git+{url}@{branch}"]
    assert kwargs == {"check": True}


def test_the_colab_extra_names_the_data_packages_the_chapters_import():
    import tomllib
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["colab"]
    names = {e.split(">")[0].split("=")[0].lower() for e in extra}
    assert {"names", "faker", "vega_datasets", "statsmodels", "scikit-learn", "keras"} <= names
    assert "torch" not in names, "Colab brings its own (CUDA) torch"


def write(paths):
    """Put :func:`colab_source` first in each notebook (a fork runs this after changing
    ``_config.yml``: ``python tests/test_colab.py``); returns the paths it changed."""
    changed = []
    for path in (Path(p).resolve() for p in paths):
        nb = nbformat.read(path, 4)
        cell = next((c for c in nb.cells if c.get("id") == CELL_ID), None)
        if cell is None:
            cell = nbformat.v4.new_code_cell(colab_source(), metadata={"tags": ["remove-cell"]})
            cell["id"] = CELL_ID
            nb.cells.insert(next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"), cell)
        elif cell.source == colab_source():
            continue
        cell.source = colab_source()
        nbformat.write(nb, path)
        changed.append(path)
    return changed


if __name__ == "__main__":
    for changed in write(sys.argv[1:] or NOTEBOOKS):
        print("wrote", changed.relative_to(ROOT))
