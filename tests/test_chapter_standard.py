"""The static part of the chapter standard (../shared/BOOK-PLAN.md), checked on every chapter.

Each rule is a function ``rule(nb) -> [problem, ...]`` over a chapter notebook (nbformat 4
JSON as a dict); a chapter passes when no rule finds a problem. The rules:

- a title (``# ...``) first, then a "Learning objectives" section before any code;
- "Summary" and "Key terms" sections, the key terms linked to the glossary with ``{term}``;
- a link to an exercise notebook that exists (``exercises/exNN_topic``);
- a citation (``{cite}``, ``{cite:t}``, ``{cite:p}``);
- every figure (a cell with an image output) has a caption in its cell metadata
  (``mystnb.figure.caption``, rendered by MyST-NB), alt text that says what it shows
  (``mystnb.image.alt``, at least 12 words and not a file name: a screen reader reads it
  aloud instead of the image's path), and hides its drawing code (``remove-input``);
- code and output lines of at most 80 characters;
- no error or traceback in a stored output, unless the cell is tagged ``raises-exception``;
- test machinery (OpenBLAS kernels) named only inside a collapsed ``{dropdown}`` note;
- nbval markers (``# NBVAL_IGNORE_OUTPUT``) alone on their line, as nbval needs them
  (also checked in the solution and exercise notebooks);
- the chapter is in ``_toc.yml``.

The tests at the bottom show that every rule catches what it is meant to catch.
"""
import copy
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("ch[0-9][0-9]_*.ipynb"))
MAX_LINE = 80
MIN_ALT_WORDS = 12
FILE_NAME = re.compile(r"\.(png|jpe?g|svg)\b|_images/", re.I)
EXERCISE_LINK = re.compile(r"exercises/(ex\d\d_\w+?)(?:\.ipynb)?[>)`\s]")
CITE = re.compile(r"\{cite(?::[tp])?\}`")
TERM = re.compile(r"\{term\}`")


def text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def markdown(nb):
    return [text(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def headings(nb):
    """``[(level, title, index of the cell)]`` of every Markdown heading, in order."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for line in text(cell).splitlines():
            m = re.match(r"(#{1,6})\s+(.*\S)", line)
            if m:
                found.append((len(m.group(1)), m.group(2), i))
    return found


def section(nb, title):
    """The Markdown text of the section whose heading starts with ``title`` (``""`` if none)."""
    lines, inside, level = [], False, 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in text(cell).splitlines():
            m = re.match(r"(#{1,6})\s+(.*\S)", line)
            if m and inside and len(m.group(1)) <= level:
                return "\n".join(lines)
            if m and m.group(2).lower().startswith(title.lower()):
                inside, level = True, len(m.group(1))
                continue
            if inside:
                lines.append(line)
    return "\n".join(lines)


def first_code_cell(nb):
    return next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"), len(nb["cells"]))


# -- the rules ----------------------------------------------------------------------------------
def rule_title_and_objectives(nb):
    found = headings(nb)
    problems = []
    if not found or found[0][0] != 1:
        problems.append("Expected a '# title' as the first heading, got " + (repr(found[0][1]) if found else "none"))
    objectives = [i for level, title, i in found if title.lower().startswith("learning objectives")]
    if not objectives:
        problems.append("Expected a 'Learning objectives' section, got none")
    elif objectives[0] > first_code_cell(nb):
        problems.append("Expected 'Learning objectives' before the first code cell, got it after")
    return problems


def rule_summary_and_key_terms(nb):
    titles = [title.lower() for _, title, _ in headings(nb)]
    problems = [f"Expected a '{name}' section, got none" for name in ("Summary", "Key terms")
                if not any(t.startswith(name.lower()) for t in titles)]
    if not problems and not TERM.search(section(nb, "Key terms")):
        problems.append("Expected the key terms linked to the glossary with {term}, got no {term} link")
    return problems


def rule_exercise_link(nb):
    names = {m.group(1) for md in markdown(nb) for m in EXERCISE_LINK.finditer(md + " ")}
    if not names:
        return ["Expected a link to an exercise notebook (exercises/exNN_topic), got none"]
    return [f"Expected exercises/{name}.ipynb to exist (linked from the chapter), got no such file"
            for name in sorted(names) if not (ROOT / "exercises" / f"{name}.ipynb").exists()]


def rule_citation(nb):
    if any(CITE.search(md) for md in markdown(nb)):
        return []
    return ["Expected at least one citation ({cite}`key`), got none"]


def has_image(cell):
    return any(k.startswith("image/") for o in cell.get("outputs", []) for k in o.get("data", {}))


def rule_figures(nb):
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not has_image(cell):
            continue
        meta = cell.get("metadata", {})
        caption = ((meta.get("mystnb") or {}).get("figure") or {}).get("caption")
        if not caption or not str(caption).strip():
            problems.append(f"cell {i}: Expected a figure caption (metadata.mystnb.figure.caption), got none")
        alt = str(((meta.get("mystnb") or {}).get("image") or {}).get("alt") or "").strip()
        if len(alt.split()) < MIN_ALT_WORDS or FILE_NAME.search(alt):
            problems.append(f"cell {i}: Expected alt text saying what the figure shows "
                            f"(metadata.mystnb.image.alt, >= {MIN_ALT_WORDS} words, no file name), "
                            f"got {alt[:60]!r}")
        if "remove-input" not in meta.get("tags", []):
            problems.append(f"cell {i}: Expected the figure's drawing code hidden (tag remove-input), got it shown")
    return problems


def output_text(output):
    if output.get("output_type") == "stream":
        return text({"source": output.get("text", "")})
    if output.get("output_type") == "error":
        return ""
    return text({"source": output.get("data", {}).get("text/plain", "")})


def rule_line_length(nb):
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        chunks = [("code", text(cell))] + [("output", output_text(o)) for o in cell.get("outputs", [])]
        for kind, chunk in chunks:
            long = [line for line in chunk.splitlines() if len(line) > MAX_LINE]
            if long:
                problems.append(f"cell {i}: Expected {kind} lines of at most {MAX_LINE} characters, "
                                f"got {len(long)} longer (the first has {len(long[0])})")
    return problems


def rule_no_unexpected_errors(nb):
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {i}: Expected no error output, got {output.get('ename')}")
            elif "Traceback (most recent call last)" in output_text(output):
                problems.append(f"cell {i}: Expected no traceback in the output, got one")
    return problems


NBVAL_MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP"}


def rule_nbval_markers(nb):
    """nbval obeys a marker only when the comment is the marker alone: ``# NBVAL_IGNORE_OUTPUT
    (trained numbers)`` is silently compared in full, so it is reported."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for line in text(cell).splitlines():
            comment = line.strip().lstrip("#").strip()
            if line.strip().startswith("#") and comment.startswith("NBVAL") and comment not in NBVAL_MARKERS:
                problems.append(f"cell {i}: Expected an nbval marker alone on its line, got {line.strip()!r}")
    return problems


MACHINERY = re.compile(r"OpenBLAS|Haswell|SkylakeX|Prescott|BLAS kernel")
DROPDOWN = re.compile(r"^(:{3,}|`{3,})\{dropdown\}.*?^\1[ \t]*$", re.M | re.S)


def rule_machinery_in_dropdowns(nb):
    """Test machinery (BLAS kernels) is for contributors: a collapsed note, not the prose."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            found = MACHINERY.findall(DROPDOWN.sub("", text(cell)))
            if found:
                problems.append(f"cell {i}: Expected test machinery ({found[0]}) inside a "
                                f"{{dropdown}} note, got it in the prose")
    return problems


def rule_in_toc(nb, name):
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    if re.search(rf"notebooks/{re.escape(name)}(\.ipynb)?\s*$", toc, re.MULTILINE):
        return []
    return [f"Expected notebooks/{name} in _toc.yml, got it missing"]


RULES = [rule_title_and_objectives, rule_summary_and_key_terms, rule_exercise_link, rule_citation,
         rule_figures, rule_line_length, rule_no_unexpected_errors, rule_nbval_markers,
         rule_machinery_in_dropdowns]


def problems(nb):
    return [p for rule in RULES for p in rule(nb)]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_meets_the_standard(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = problems(nb) + rule_in_toc(nb, path.stem)
    assert not found, f"{path.name}:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_exercise_notebooks_write_nbval_markers_alone(path):
    assert rule_nbval_markers(json.loads(path.read_text(encoding="utf-8"))) == []


def test_there_are_chapters():
    assert CHAPTERS, "Expected chapter notebooks in notebooks/, got none"


# -- the rules catch what they should -------------------------------------------------------------
def md(source, **meta):
    return {"cell_type": "markdown", "metadata": meta, "source": source}


def code(source, outputs=(), tags=(), **meta):
    return {"cell_type": "code", "metadata": {"tags": list(tags), **meta}, "source": source,
            "outputs": list(outputs), "execution_count": 1}


ALT = "A line chart of the loss against the epoch: the curve falls steeply and then levels off."
FIGURE = {"output_type": "display_data", "metadata": {},
          "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480 with 1 Axes>"}}
GOOD = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    md("# A chapter\n\n## Learning objectives\n\n- one"),
    code("print(1)", [{"output_type": "stream", "name": "stdout", "text": "1\n"}]),
    code("plot()", [FIGURE], tags=["remove-input"], mystnb={"figure": {"caption": "A curve."},
                                             "image": {"alt": ALT}}),
    md("As {cite}`elman1990` showed.\n\n## Summary\n\nText.\n\n## Key terms\n\n- {term}`hidden state`"),
    md("## Exercises\n\n{doc}`Exercise 1 <../exercises/ex01_rnn_step>`"),
]}


def broken(edit):
    nb = copy.deepcopy(GOOD)
    edit(nb["cells"])
    return problems(nb)


def test_a_chapter_that_meets_the_standard_passes():
    assert problems(GOOD) == []


@pytest.mark.parametrize("edit, fragment", [
    (lambda c: c.__setitem__(0, md("# A chapter")), "'Learning objectives' section"),
    (lambda c: c.insert(0, code("x = 1")), "before the first code cell"),
    (lambda c: c.__setitem__(0, md("## Learning objectives")), "'# title'"),
    (lambda c: c.__setitem__(3, md("{cite}`x`\n## Key terms\n- {term}`a`")), "'Summary' section"),
    (lambda c: c.__setitem__(3, md("{cite}`x`\n## Summary\n## Key terms\n- hidden state")), "{term}"),
    (lambda c: c.pop(4), "link to an exercise notebook"),
    (lambda c: c.__setitem__(4, md("{doc}`E <../exercises/ex99_nothing>`")), "ex99_nothing.ipynb to exist"),
    (lambda c: c.__setitem__(3, md("## Summary\n## Key terms\n- {term}`a`")), "citation"),
    (lambda c: c[2]["metadata"].pop("mystnb"), "figure caption"),
    (lambda c: c[2]["metadata"].__setitem__("tags", []), "remove-input"),
    (lambda c: c[2]["metadata"]["mystnb"].pop("image"), "alt text"),
    (lambda c: c[2]["metadata"]["mystnb"]["image"].__setitem__("alt", "A plot."), "alt text"),
    (lambda c: c[2]["metadata"]["mystnb"]["image"].__setitem__(
        "alt", "../_images/b6d7e0c1f2.png, the figure of the loss against the epoch in this chapter"), "alt text"),
    (lambda c: c[1].__setitem__("source", "x = '" + "a" * 80 + "'"), "code lines of at most 80"),
    (lambda c: c[1]["outputs"][0].__setitem__("text", "b" * 81 + "\n"), "output lines of at most 80"),
    (lambda c: c[1]["outputs"].append({"output_type": "error", "ename": "ValueError", "evalue": "",
                                       "traceback": []}), "no error output, got ValueError"),
    (lambda c: c[1]["outputs"].append({"output_type": "stream", "name": "stderr",
                                       "text": "Traceback (most recent call last):\n"}), "traceback"),
    (lambda c: c[1].__setitem__("source", "# NBVAL_IGNORE_OUTPUT (trained)\nprint(1)"), "nbval marker alone"),
    (lambda c: c[3].__setitem__("source", c[3]["source"] + "\n\nUnder OpenBLAS's Haswell kernel: 0.9."),
     "inside a {dropdown}"),
])
def test_each_rule_catches_its_problem(edit, fragment):
    found = broken(edit)
    assert any(fragment in p for p in found), found


def test_an_error_the_chapter_means_to_show_is_allowed():
    def edit(cells):
        cells[1]["outputs"].append({"output_type": "error", "ename": "RuntimeError", "evalue": "", "traceback": []})
        cells[1]["metadata"]["tags"] = ["raises-exception"]
    assert broken(edit) == []


def test_a_chapter_missing_from_the_toc_is_reported():
    assert rule_in_toc(GOOD, "ch99_not_written") == ["Expected notebooks/ch99_not_written in _toc.yml, got it missing"]


def test_machinery_inside_a_dropdown_is_allowed():
    def edit(cells):
        cells[3]["source"] += "\n\n:::{dropdown} How it was measured\nUnder OpenBLAS's Haswell kernel.\n:::\n"
    assert broken(edit) == []
