"""The book's sources keep the conventions every chapter uses (no build, no browser needed).

- the glossary: one entry per English term, each with its Chinese term in bold, a one-line
  definition and the chapter that introduces it;
- every chapter's key-terms table links each of its terms to the glossary with ``{term}``;
- every ``{cite}`` key is in references.bib, which holds the works the book plan names;
- every chapter ends with exercise boxes that link to an exercise notebook, with hints in
  dropdowns, and no solution box.

The built site itself is checked in a browser by tests/test_book_browser.py.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"
CHAPTERS = sorted((ROOT / "notebooks").glob("ch*.ipynb"))
PLAN_WORKS = ["elman1990finding", "hochreiter1997long", "cho2014learning", "sutskever2014sequence",
              "bahdanau2015neural", "schuster1997bidirectional", "pascanu2013difficulty",
              "vaswani2017attention", "le2015simple", "jozefowicz2015empirical",
              "goodfellow2016deep"]
ROLE = re.compile(r"\{(term|cite(?::\w+)?)\}`([^`]+)`")


def glossary_entries():
    """[(terms, definition)] from the glossary directive of book/glossary.md."""
    body = GLOSSARY.read_text("utf8").split("```{glossary}", 1)[1].split("\n```", 1)[0]
    entries, terms = [], []
    for line in body.splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if line.startswith(" "):
            entries.append((terms, line.strip()))
            terms = []
        else:
            terms.append(line.strip())
    return entries


def markdown_sources():
    """(name, text) of every book page and every markdown cell of the chapters.

    Code spans are left out, with any role shown in them as an example.
    """
    def prose(text):
        text = re.sub(r"^\s*```.*$", "", text, flags=re.MULTILINE)          # fence lines
        spans = re.compile(r"\{[\w:]+\}`[^`\n]*`|``.+?``|`[^`\n]*`")
        return spans.sub(lambda m: m.group() if m.group().startswith("{") else "", text)
    for page in sorted((ROOT / "book").glob("*.md")):
        yield page.relative_to(ROOT).as_posix(), prose(page.read_text("utf8"))
    for chapter in CHAPTERS:
        for cell in nbformat.read(chapter, 4).cells:
            if cell.cell_type == "markdown":
                yield f"{chapter.name}#{cell.get('id')}", prose(cell.source)


def term_target(text):
    """The glossary term a {term} role points at: `label <Term>` or `Term`."""
    found = re.fullmatch(r"(?s).*<([^<>]+)>", text)
    return (found.group(1) if found else text).strip().lower()


def test_glossary_entries_are_complete():
    entries = glossary_entries()
    assert len(entries) >= 70
    for terms, definition in entries:
        assert terms and terms[0].isascii(), f"key each entry by its English term: {terms}"
        assert re.match(r"\*\*[^*]*[\u4e00-\u9fff][^*]*\*\* — ", definition), \
            f"{terms[0]}: the definition starts with the Chinese term in bold"
        assert "*Introduced in:*" in definition, f"{terms[0]}: which chapter introduces it?"
    keys = [t.lower() for terms, _ in entries for t in terms]
    assert len(keys) == len(set(keys)), "a term is in the glossary twice"


def test_every_term_role_names_a_glossary_entry():
    known = {t.lower() for terms, _ in glossary_entries() for t in terms}
    missing = [(name, text) for name, source in markdown_sources()
               for role, text in ROLE.findall(source)
               if role == "term" and term_target(text) not in known]
    assert missing == []


def test_every_cite_key_is_in_references_bib():
    bib = (ROOT / "references.bib").read_text("utf8")
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.MULTILINE))
    assert set(PLAN_WORKS) <= keys
    cited = {key.strip() for _, source in markdown_sources()
             for role, text in ROLE.findall(source) if role.startswith("cite")
             for key in text.split(",")}
    assert cited - keys == set()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_key_terms_link_to_the_glossary(chapter):
    text = "\n".join(c.source for c in nbformat.read(chapter, 4).cells if c.cell_type == "markdown")
    section = text.split("## Key terms", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in section.splitlines() if r.startswith("|") and not r.startswith("|---")][1:]
    assert len(rows) >= 5
    assert [r for r in rows if "{term}`" not in r.split("|")[1]] == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_ends_with_exercise_boxes(chapter):
    text = "\n".join(c.source for c in nbformat.read(chapter, 4).cells if c.cell_type == "markdown")
    exercises = text.split("## Exercises", 1)[1]
    boxes = re.findall(r"^(:{3,})\{exercise\}.*?^\1$", exercises, re.MULTILINE | re.DOTALL)
    assert boxes, "no {exercise} box after ## Exercises"
    blocks = re.split(r"^:{4,}\{exercise\}", exercises, flags=re.MULTILINE)[1:]
    for block in blocks:
        assert re.search(r"\{doc\}`[^`]*<\.\./exercises/ex\d+_\w+>`", block), \
            "an exercise box links to its exercise notebook"
        assert "{dropdown}" in block, "hints go in dropdowns"
    assert "{solution}" not in text, "no solution in the public book"


def test_binder_installs_the_course_and_its_pinned_requirements():
    """The Binder launch button opens an environment in which the chapters import."""
    binder = ROOT / "binder"
    requirements = (binder / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in requirements
    assert any(line.startswith("--extra-index-url https://download.pytorch.org/whl/cpu")
               for line in requirements), "without the CPU index Binder pulls CUDA torch"
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps -e ." in post_build.read_text()
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"


def test_the_version_is_one_number_everywhere_and_the_licences_are_stated():
    """course_pkg.__version__ is what the book's footer, CITATION.cff and the changelog's
    newest entry say; the footer and LICENSE name both licences."""
    import course_pkg
    version = course_pkg.__version__
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    footer = re.search(r"extra_footer: \|\n((?:    .*\n)+)", config).group(1)
    assert f"course_pkg {version}." in footer and "MIT" in footer and "CC BY-SA 4.0" in footer
    assert re.search(r'^version: "([^"]+)"$', (ROOT / "CITATION.cff").read_text(encoding="utf-8"),
                     re.M).group(1) == version
    newest = re.search(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M).group(1)
    assert newest == version
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "CC BY-SA 4.0" in licence
