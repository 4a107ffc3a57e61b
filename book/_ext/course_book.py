"""Local Sphinx tweaks of the course's book (loaded through _config.yml, local_extensions).

Citation and bibliography styles (sphinxcontrib-bibtex):

- ``author_year_round`` (``bibtex_reference_style``): author-year citations in round brackets,
  ``{cite:t}`` gives "Elman (1990)", ``{cite:p}`` gives "(Elman, 1990)"; the built-in
  ``author_year`` uses square brackets.
- ``course`` (``bibtex_default_style``): pybtex's ``plain``, with each entry labelled by author
  and year ("Elman 1990", "Cho et al. 2014") on the references page instead of by a number.

Exercise boxes (sphinx-exercise 1.2.1) give the body of every box the same HTML id,
``exercise-content``; a page with two boxes then has duplicate ids. Each body gets its box's
label instead (``ex01-forward-content``).

Exercise titles: a box with ``:nonumber:`` and a title reads "Exercise (1.1 · The forward
step)" in sphinx-exercise; the course's boxes carry their number in the title, so the
parentheses go: "Exercise 1.1 · The forward step".

Scripts: sphinx-thebe (loaded by Jupyter Book even with Thebe off) adds its inline config
script twice, and the second ``const THEBE_JS_URL`` is a console error on every page; each
page keeps one copy of every script.

Formulas in search results: a result's snippet is the page's text, with its formulas as raw
TeX (``\\(W_{ih}\\)``), cut at fixed lengths. The search page loads the site's MathJax, drops
the formula a cut went through, and typesets the rest.

Search in Chinese: Sphinx's ``zh`` indexer cuts body text into words with jieba, which splits
terms it does not know ("梯度消失" into "梯度" and "消失"), while the search page looks a query
up whole. Every Chinese term of the glossary is therefore given to jieba as a word (a user
dictionary written into the build folder), so that searching a term finds its pages.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sphinxcontrib.bibtex.plugin
from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx_exercise.nodes import exercise_node
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _author_year(entry):
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    last = " ".join(str(part) for part in persons[0].rich_last_names) if persons else ""
    if len(persons) == 2:
        last += " and " + " ".join(str(part) for part in persons[1].rich_last_names)
    elif len(persons) > 2:
        last += " et al."
    return f"{last} {entry.fields.get('year', '')}".strip()


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Author Year"; works by the same authors in the same year get a, b, ..."""

    def format_labels(self, sorted_entries):
        labels = [_author_year(entry) for entry in sorted_entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            yield label


class CourseStyle(PlainStyle):
    default_label_style = AuthorYearLabelStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


def _unique_box_ids(app, doctree, docname):
    for section in doctree.findall(nodes.section):
        for generic in ("exercise-content", "solution-content"):
            if generic in section["ids"]:
                owner = section.parent.get("ids") or [docname.replace("/", "-")]
                section["ids"] = [f"{owner[-1]}-content" if i == generic else i
                                  for i in section["ids"]]


def _exercise_titles(app, doctree, docname):
    for box in doctree.findall(exercise_node):                     # boxes with :nonumber:
        title = box.children[0]
        parts = title.children
        if (isinstance(title, nodes.title) and len(parts) >= 3
                and parts[1].astext() == " (" and parts[-1].astext() == ")"):
            title.replace(parts[1], nodes.Text(" "))
            title.remove(parts[-1])


SEARCH_MATH_JS = r"""
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined") return;
  const tidy = (text) => {                // keep whole formulas: drop one cut by the snippet
    for (const [open, close] of [["\\(", "\\)"], ["\\[", "\\]"]]) {
      const firstOpen = text.indexOf(open), firstClose = text.indexOf(close);
      if (firstClose > -1 && (firstOpen === -1 || firstClose < firstOpen))
        text = "..." + text.slice(firstClose + 2);
      const lastOpen = text.lastIndexOf(open), lastClose = text.lastIndexOf(close);
      if (lastOpen > lastClose) text = text.slice(0, lastOpen) + "...";
    }
    return text;
  };
  const summary = Search.makeSearchSummary;
  Search.makeSearchSummary = (...args) => {
    const p = summary(...args);
    if (p) {
      p.textContent = tidy(p.textContent);
      if (window.MathJax && MathJax.startup && MathJax.startup.promise)
        MathJax.startup.promise.then(() => MathJax.typesetPromise([p]));
    }
    return p;
  };
});
"""


def _page_scripts(app, pagename, templatename, context, doctree):
    """MathJax and the snippet patch on the search page; one copy of each script everywhere."""
    if pagename == "search" and app.config.mathjax_path:
        # For this page only: the builder restores its script list before the next page.
        app.builder.add_js_file(app.config.mathjax_path, defer="defer")
        app.builder.add_js_file(None, body=SEARCH_MATH_JS)
    unique, seen = [], set()
    for script in sorted(context.get("script_files", []), key=lambda js: js.priority):
        # The copies differ only in their filename, None or "" (an inline script).
        key = (str(script.filename or ""), tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


GLOSSARY = "book/glossary.md"
_CHINESE = re.compile(r"[\u4e00-\u9fff]{2,}")


def _glossary_search_words(app, config):
    """Write the glossary's Chinese terms as a jieba user dictionary and point Sphinx at it."""
    glossary = Path(app.srcdir, GLOSSARY)
    if not glossary.is_file():
        return
    # Each entry's definition starts with its Chinese term in bold: "**隐藏状态** — ...".
    terms = re.findall(r"^\s+\*\*([^*]+)\*\* —", glossary.read_text("utf8"), re.MULTILINE)
    words = sorted({word for term in terms for word in _CHINESE.findall(term)})
    path = Path(app.doctreedir).parent / "search_words_zh.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{word}\n" for word in words), "utf8")
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(path)}


def _skip_tuple_fields(app, what, name, obj, skip, options):
    """A NamedTuple's fields are described by its docstring's "Attributes:" (napoleon): skip
    autodoc's second listing of them ("Alias for field number 0"), which would describe each
    field twice."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_tuple_fields)
    app.connect("doctree-resolved", _unique_box_ids)
    app.connect("doctree-resolved", _exercise_titles)
    app.connect("config-inited", _glossary_search_words)
    app.connect("html-page-context", _page_scripts, priority=900)
    register_plugin("pybtex.style.formatting", "course", CourseStyle)
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_round",
        RoundAuthorYearReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
