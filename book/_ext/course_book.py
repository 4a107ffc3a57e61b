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

Build time: Sphinx 7.4's Chinese indexer searches a list of every Latin word of the site for
each word it stems (a set here: the same index), and each doctree is unpickled with the
garbage collector paused.

The two editions (English at the site's root, Chinese under zh/, from the catalogues in
locales/; book/_ext/i18n.py): the "English | 中文" switch in every page's header; text that
MyST parses inside directives given its page as source, so that Sphinx extracts and
translates it; the gettext build keeps the messages it reads (exercise box titles, figure alt
text) which the resolved page no longer has; toctree captions and titles translated after
sphinx-external-toc inserts them; a warning for every string the Chinese build would show in
English; and the Chinese notebooks (zh/) as the Chinese site's downloads.
"""

import functools
import gc
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sphinx.search
import sphinx.search.zh
import sphinxcontrib.bibtex.plugin
from docutils import nodes
from sphinx import addnodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.environment import BuildEnvironment
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.nodes import extract_messages
from sphinx_exercise.nodes import exercise_node
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


logger = logging.getLogger(__name__)


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


# --- the two editions ----------------------------------------------------------------------
# The English edition is published at the site's root and the Chinese one under zh/ (built
# from the same sources with _config_zh.yml and the catalogues in locales/; book/_ext/i18n.py).
TEMPLATES = Path(__file__).with_name("templates")
ZH_SITE = "zh"
ZH_SEARCH_TEXT = "搜索本书……"


def _is_chinese(config):
    return (config.language or "").startswith("zh")


def _editions(app, config):
    """Put the language switch in every page's header; the Chinese interface texts."""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = config.html_theme_options
    ends = options.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(ends, str):
        ends = [e.strip() for e in ends.split(",")]
    options["article_header_end"] = ["language-switch.html", *ends]
    if _is_chinese(config):
        options["search_bar_text"] = ZH_SEARCH_TEXT


def _language_switch(app, pagename, templatename, context, doctree):
    """"English | 中文" in the header, each linking to the same page of the other edition."""
    up = "../" * pagename.count("/")
    if _is_chinese(app.config):
        context["course_languages"] = [("English", f"{up}../{pagename}.html", "en"),
                                       ("中文", None, "zh-CN")]
    else:
        context["course_languages"] = [("English", None, "en"),
                                       ("中文", f"{up}{ZH_SITE}/{pagename}.html", "zh-CN")]


class NestedTextSource(SphinxTransform):
    """Give the text nodes that MyST parses inside a directive (a table in a note or dropdown,
    an exercise box's title) the source of their page, as the nodes around them have: Sphinx
    translates only text that has a source, so without it these would stay English in the
    Chinese edition, and out of the catalogues. Notebook outputs are left alone."""
    default_priority = 15        # before Sphinx's i18n transforms (PreserveTranslatable 10 ok)

    def apply(self, **kwargs):
        source = self.document.get("source")
        for box in self.document.findall(exercise_node):
            # "Exercise" + the title: only the title (a node of its own) is a message
            if box.children and isinstance(box.children[0], nodes.title):
                box.children[0]["translatable"] = False
        for node in self.document.findall(nodes.TextElement):
            if node.source or not source or _in_output(node):
                continue
            node.source = source


def _in_output(node):
    while node is not None:
        if "cell_output" in (node.get("classes") or []):
            return True
        node = node.parent
    return False


def _read_messages(app, doctree):
    """Every message of a page as the Chinese build's i18n transform sees it (at read time).

    Sphinx's gettext builder extracts messages from the resolved page, after sphinx-exercise
    has rebuilt each exercise box's title and myst-nb has placed the figures: those titles and
    the figures' alt text would be missing from the catalogues while the Chinese build looks
    them up. The gettext build keeps what it reads here and adds it when it writes the page."""
    if app.builder.name == "gettext":
        app.env.course_messages = getattr(app.env, "course_messages", {})
        app.env.course_messages[app.env.docname] = [
            (msg, node.source or "", node.line or 0)
            for node, msg in [*extract_messages(doctree), *_toctree_messages(doctree)]]
    elif _is_chinese(app.config):
        _untranslated(app, doctree)


def _write_read_messages(app, doctree, docname):
    if app.builder.name != "gettext":
        return
    from sphinx.builders.gettext import MsgOrigin
    from sphinx.util.i18n import docname_to_domain
    catalog = app.builder.catalogs[docname_to_domain(docname, app.config.gettext_compact)]
    for msg, source, line in getattr(app.env, "course_messages", {}).get(docname, []):
        catalog.add(msg, MsgOrigin(source, line))


def _forget_messages(app, env, docname):
    getattr(env, "course_messages", {}).pop(docname, None)


def _merge_messages(app, env, docnames, other):
    env.course_messages = getattr(env, "course_messages", {})
    for docname in docnames:
        if docname in getattr(other, "course_messages", {}):
            env.course_messages[docname] = other.course_messages[docname]


_CURRENT = {}


def _untranslated(app, doctree):
    """In the Chinese edition, a warning (an error under -W) for each string the page would
    show in English because its catalogue holds no current translation of it: English text
    changed or added without its translation (`make translations`, then translate), or a
    translation still fuzzy."""
    import i18n   # book/_ext/i18n.py, beside this file
    docname = app.env.docname
    if docname not in _CURRENT:
        path = i18n.po_path(docname)
        done = [m for m in i18n.messages(i18n.load(path)) if m.string and not m.fuzzy] \
            if path.is_file() else []
        # a figure's alt text is translated in place before this runs: its Chinese is seen
        _CURRENT[docname] = {m.id for m in done} | {m.string for m in done}
    original = {}
    for toctree in doctree.findall(addnodes.toctree):   # translated already: see the English
        original.update(toctree.get("course_original", {}))
    for node, msgid in [*extract_messages(doctree), *_toctree_messages(doctree)]:
        msgid = original.get(msgid, msgid)
        if not i18n.needs_translation(docname, msgid):
            continue
        if msgid not in _CURRENT[docname]:
            why = "untranslated, shown in English (make translations, then translate it in " \
                  f"locales/zh_CN/LC_MESSAGES/{docname}.po)"
        elif not node.get("translated") and not isinstance(
                node, (nodes.image, addnodes.translatable, nodes.meta)):
            # (alt text and toctrees are translated without the flag)
            why = "translated, but Sphinx could not use the translation (it must parse as " \
                  "one paragraph; book/_ext/i18n.py check)"
        else:
            continue
        logger.warning("%s: %r", why, msgid[:80], location=node, type="course",
                       subtype="untranslated")


class TranslatedToctrees(SphinxTransform):
    """The Chinese edition's toctree captions and entry titles ("Part I · Foundations",
    "Overview of this part"): sphinx-external-toc inserts the toctrees (priority 100) after
    Sphinx has translated the page (20), so they are translated here, from the same
    catalogue."""
    default_priority = 101

    def apply(self, **kwargs):
        if not _is_chinese(self.config) or not any(self.document.findall(addnodes.toctree)):
            return
        import i18n
        path = i18n.po_path(self.env.docname)
        if not path.is_file():
            return
        done = {m.id: m.string for m in i18n.messages(i18n.load(path))
                if m.string and not m.fuzzy}
        for toctree in self.document.findall(addnodes.toctree):
            shown = [toctree.get("caption"), *(title for title, _ in toctree["entries"])]
            toctree["course_original"] = {done[m]: m for m in shown if m in done}
            if toctree.get("caption") in done:
                toctree["caption"] = done[toctree["caption"]]
            toctree["entries"] = [(done.get(title, title) if title else title, ref)
                                  for title, ref in toctree["entries"]]


def _toctree_messages(doctree):
    """The captions and explicit entry titles of a page's toctrees, as (node, message)."""
    for toctree in doctree.findall(addnodes.toctree):
        for msg in [toctree.get("caption"), *(title for title, _ in toctree["entries"])]:
            if msg:
                yield toctree, msg


def _chinese_notebooks(app, exception):
    """The Chinese edition's downloads are the Chinese notebooks (zh/, written from the
    catalogues): a page's .ipynb download and each {download} of a notebook."""
    if exception or not _is_chinese(app.config) or app.builder.format != "html":
        return
    srcdir, outdir = Path(app.srcdir), Path(app.outdir)
    for notebook in (srcdir / ZH_SITE).glob("*/*.ipynb"):
        twin = notebook.relative_to(srcdir / ZH_SITE)
        copies = [outdir / "_sources" / twin, *(outdir / "_downloads").glob(f"*/{twin.name}")]
        for copy in copies:
            if copy.is_file():
                copy.write_bytes(notebook.read_bytes())


class SearchChinese(sphinx.search.zh.SearchChinese):
    """Sphinx 7.4's Chinese indexer, with the Latin words it has seen in a set: the original
    keeps every Latin word of the site in a list shared by all instances and searches that
    list for each word it stems, which took 30 s of each edition's build here. The index it
    writes is the same."""

    def init(self, options):
        super().init(options)
        self.latin_terms = set()

    def split(self, input):
        chinese = list(sphinx.search.zh.jieba.cut_for_search(input)) if sphinx.search.zh.JIEBA else []
        latin1 = [term.strip() for term in self.latin1_letters.findall(input)]
        self.latin_terms.update(latin1)
        return chinese + latin1


def _without_gc(load):
    """``load`` with Python's cyclic garbage collector paused: unpickling a page's doctree
    makes thousands of objects, and with the whole site's environment in memory each
    collection they trigger walks all of it (15 s of a 60 s build here, for 55 doctrees)."""
    @functools.wraps(load)
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return load(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return wrapper


def _skip_tuple_fields(app, what, name, obj, skip, options):
    """A NamedTuple's fields are described by its docstring's "Attributes:" (napoleon): skip
    autodoc's second listing of them ("Alias for field number 0"), which would describe each
    field twice."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app):
    sphinx.search.languages["zh"] = SearchChinese
    if not getattr(BuildEnvironment.get_doctree, "__wrapped__", None):
        BuildEnvironment.get_doctree = _without_gc(BuildEnvironment.get_doctree)
    app.connect("autodoc-skip-member", _skip_tuple_fields)
    app.connect("doctree-resolved", _unique_box_ids)
    app.connect("doctree-resolved", _exercise_titles)
    app.connect("config-inited", _glossary_search_words)
    app.connect("config-inited", _editions)
    app.connect("html-page-context", _language_switch)
    app.connect("build-finished", _chinese_notebooks)
    app.connect("doctree-read", _read_messages)
    app.connect("doctree-resolved", _write_read_messages)
    app.connect("env-purge-doc", _forget_messages)
    app.connect("env-merge-info", _merge_messages)
    app.add_transform(NestedTextSource)
    app.add_transform(TranslatedToctrees)
    app.connect("html-page-context", _page_scripts, priority=900)
    register_plugin("pybtex.style.formatting", "course", CourseStyle)
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_round",
        RoundAuthorYearReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
