"""The Chinese edition's catalogues: refresh them, hand strings to translators, check them.

The Chinese edition is generated from the English sources through Sphinx's gettext machinery
(``locales/zh_CN/LC_MESSAGES/<page>.po``, one catalogue per page); nothing of the English text
is copied by hand. Commands (run from the repository root with the course's Python)::

    python book/_ext/i18n.py update            # English changed: refresh every .po
    python book/_ext/i18n.py status            # per page: translated / fuzzy / untranslated
    python book/_ext/i18n.py dump PAGE [--all] # the strings to translate, numbered
    python book/_ext/i18n.py fill PAGE FILE    # put translations written after a dump in place
    python book/_ext/i18n.py notebooks         # write zh/notebooks and zh/exercises from the .po
    python book/_ext/i18n.py check             # exit 1 unless every required string is done
    python book/_ext/i18n.py build             # the Chinese site (make book-zh)

``PAGE`` is a page's path without suffix, e.g. ``notebooks/ch01_rnn_basics``. ``update`` runs
Jupyter Book's gettext builder into ``_build/i18n`` and merges each template into its
catalogue with Babel (a Sphinx dependency, so no system gettext is needed): a new English
string arrives untranslated, a changed one keeps its old translation marked *fuzzy*, and Sphinx shows a fuzzy string in English until a
translator rewrites it and removes the flag. Strings with nothing to translate (formulas,
code, references alone) are copied as they are.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = "zh_CN"
PO_DIR = ROOT / "locales" / LOCALE / "LC_MESSAGES"
# The gettext build keeps its own doctrees: Sphinx refuses to share them with the HTML build.
GETTEXT_OUT = ROOT / "_build" / "i18n"
POT_DIR = GETTEXT_OUT / "_build" / "gettext"
ZH_DIR = ROOT / "zh"
GLOSSARY = ROOT / "book" / "glossary.md"
# Pages whose every string must be translated: all but the API reference, whose docstrings
# stay English (only the strings written in book/api.md itself are translated). (The
# bibliography's entries are not in the catalogues: they stay as published.)
PARTLY = {"book/api": "book/api.md"}
NOTEBOOK_DIRS = ("notebooks", "exercises")
# Strings that stay English in both editions: the grader finds an unanswered written answer
# by this line (course_pkg.grading.loader.ANSWER_STUB).
KEEP_ENGLISH = {"YOUR ANSWER HERE"}

# --- what a string is made of -------------------------------------------------------------

MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
CODE = re.compile(r"``[^`]+?``|`[^`\n]+`")
ROLE = re.compile(r"(?<!`)\{([\w:.-]+)\}`([^`]*)`")   # not `{term}` written as code
# a key-terms table's English cell: "{term}`hidden state`", "{term}`sequence to sequence` (seq2seq)"
LONE_TERM = re.compile(r"\s*\{term\}`[^`]+`(\s*\([^()\u4e00-\u9fff]*\))?\s*")
CJK_ONLY = re.compile(r"[^A-Za-z]*[\u4e00-\u9fff][^A-Za-z]*")   # already Chinese
LINK = re.compile(r"\]\(([^)\s]+)\)")
URL = re.compile(r"https?://\S+")


def _shown(match):
    """The text a role shows that comes from the string itself (a term, a link's text)."""
    role, body = match.groups()
    target = re.search(r"<([^<>]+)>\s*$", body)
    if role == "term" or role in ("doc", "ref", "numref", "download") and target:
        return " " + (body[:target.start()] if target else body) + " "
    return " "


def _strip(text):
    """``text`` without formulas, code, roles and links: the words a reader reads."""
    text = ROLE.sub(_shown, text)
    text = MATH.sub(" ", text)
    text = CODE.sub(" ", text)
    text = URL.sub(" ", text)
    return LINK.sub("] ", text)


def nothing_to_translate(msgid):
    """True for a string with no English word outside formulas, code and references (or one
    that must stay English)."""
    if msgid in KEEP_ENGLISH or LONE_TERM.fullmatch(msgid) or CJK_ONLY.fullmatch(msgid):
        return True
    if msgid.lstrip().startswith("\\") or "\n" in msgid.strip("\n") and "\\" in msgid:
        # a display formula: words only in \text{...} (and those a reader reads)
        return not re.search(r"\\text\{[^}]*[A-Za-z]{2,}", msgid)
    return not re.search(r"[A-Za-z]{2,}", _strip(msgid))


def _role_key(match):
    """A role as a translation must keep it: its name and target (the text shown may change:
    {term}`hidden state` may become {term}`隐藏状态 <hidden state>`)."""
    role, body = match.groups()
    target = re.search(r"<([^<>]+)>\s*$", body)
    if role in ("term", "doc", "ref", "download", "numref", "eq") and target:
        return f"{{{role}}}{target.group(1).strip()}"
    return f"{{{role}}}{body.strip()}"


def skeleton(text):
    """What a translation must keep from its English: formulas, code, role targets, links."""
    rest = ROLE.sub(" ", text)
    return {
        "formulas": sorted(m.group(0) for m in MATH.finditer(rest)),
        "code": sorted(m.group(0) for m in CODE.finditer(MATH.sub(" ", rest))),
        "roles": sorted(_role_key(m) for m in ROLE.finditer(text)),
        "links": sorted(LINK.findall(rest)),
    }


# Sphinx parses each translation on its own, as one paragraph: one that starts like a list
# item, a quote, a heading or a table row ("1. 循环神经网络基础" from a heading "1. Recurrent
# ...") would parse as that block instead, and Sphinx then silently shows the English.
BLOCK_START = re.compile(r"^(\d+)([.)])(?=\s)|^([-*+>#|])(?=\s|$)")


def escape_block_start(msgstr):
    """``msgstr`` with a leading list number, bullet, quote, heading or bar escaped."""
    return BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1)
                           else f"\\{m.group(3)}", msgstr, count=1)


def problems(msgid, msgstr):
    """How ``msgstr`` fails to keep what must stay as in ``msgid`` (an empty list if it does)."""
    found = []
    if msgstr != msgid and BLOCK_START.match(msgstr):
        found.append("starts like a list, quote, heading or table row: escape it "
                     f"({escape_block_start(msgstr)[:12]!r}), or Sphinx shows the English")
    old, new = skeleton(msgid), skeleton(msgstr)
    for what in ("formulas", "code", "roles", "links"):
        if old[what] != new[what]:
            lost = [x for x in old[what] if x not in new[what]]
            added = [x for x in new[what] if x not in old[what]]
            found.append(f"{what} differ: missing {lost}, extra {added}")
    return found


# --- the term base ------------------------------------------------------------------------

# English aliases the terminology check leaves out: names used as they are in Chinese text
# (RNN, LSTM, tanh, ...) and everyday words that are a term only in some sentences.
UNCHECKED = {
    "rnn", "lstm", "gru", "bptt", "tanh", "sgd", "ner", "relu", "sigmoid", "softmax", "xor",
    "irnn", "mase", "kv cache", "mingru", "transformer", "seq2seq", "autograd", "logit",
    "ar model", "gate", "gating", "batch", "attention", "recurrence", "token", "padding",
    "sampling", "temperature", "embedding", "baseline", "bottleneck", "query", "saturation",
    "masking", "tagging", "gain", "jacobian", "dropout", "couplet", "quatrain", "1 vs n",
    "n vs 1", "n vs n", "n vs m", "elman network", "regulated verse", "climatology",
}


@dataclass(frozen=True)
class Term:
    english: tuple   # the glossary entry's English names
    chinese: str     # its Chinese term as the glossary writes it, e.g. "细胞状态（记忆单元）"

    @property
    def accepted(self):
        """The Chinese forms a translation may use: the term and the one in brackets."""
        main, _, alt = self.chinese.partition("（")
        forms = [main.strip()] + ([alt.rstrip("）").strip()] if alt else [])
        return tuple(f for f in forms if f)


def glossary_terms(path=GLOSSARY):
    """The glossary's entries as :class:`Term` objects, in the order they are written."""
    body = path.read_text(encoding="utf-8").split("```{glossary}", 1)[1].split("```", 1)[0]
    terms, names = [], []
    for line in body.splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if line.startswith(" "):
            m = re.match(r"\s+\*\*(.+?)\*\*", line)
            if not m:
                raise ValueError(f"Expected '  **中文术语** — ...' under {names}, got {line!r}")
            terms.append(Term(tuple(names), m.group(1)))
            names = []
        else:
            names.append(line.strip())
    return terms


@functools.lru_cache(maxsize=None)
def glossary_names():
    """Every English name of a glossary entry (they stay English: the {term} targets)."""
    return frozenset(name for term in glossary_terms() for name in term.english)


@functools.lru_cache(maxsize=None)
def _term_patterns():
    pairs = [(name, term) for term in glossary_terms() for name in term.english
             if name.lower() not in UNCHECKED]
    pairs.sort(key=lambda p: -len(p[0]))
    return [(name, term, _pattern(name)) for name, term in pairs]


def _pattern(name):
    words = [re.escape(w) for w in re.split(r"[\s-]+", name)]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?:s|es)?(?![\w-])", re.I)


def terms_in(msgid):
    """The glossary terms an English string uses (longest names first; code and formulas
    and role targets ignored), as (English name found, Term)."""
    text = ROLE.sub(lambda m: " " + re.sub(r"<[^<>]*>\s*$", "", m.group(2)) + " "
                    if m.group(1) in ("term", "doc", "ref") else " ", msgid)
    text = CODE.sub(" ", MATH.sub(" ", text))
    text = re.sub(r"\([^()]*[\u4e00-\u9fff][^()]*\)", " ", text)   # "(隐藏状态)" glosses
    found = []
    for name, term, pattern in _term_patterns():
        if pattern.search(text):
            found.append((name, term))
            text = pattern.sub(" ", text)
    return found


def missing_terms(msgid, msgstr):
    """The glossary terms of ``msgid`` whose Chinese term ``msgstr`` does not use."""
    return [(name, term) for name, term in terms_in(msgid)
            if not any(form in msgstr for form in term.accepted)]


# --- catalogues ---------------------------------------------------------------------------

HEADER = """\
# The Chinese edition (中文版) of {page}: Chinese for each string of the English page.
# Refresh with `make translations` after changing the English; README, "Translating".
# Text: CC BY-SA 4.0, like the English."""


def po_path(page):
    return PO_DIR / f"{page}.po"


def load(path):
    with open(path, "rb") as f:
        return read_po(f, locale=LOCALE)


def save(catalog, path):
    """Write ``catalog`` to ``path`` (not touched when its text would not change)."""
    import io
    path.parent.mkdir(parents=True, exist_ok=True)
    for m in messages(catalog):   # Babel guesses these from "{doc}`...`": they are not formats
        m.flags -= {"python-format", "python-brace-format"}
        # Babel wraps a fuzzy string's previous English ("#| msgid") into lines it then reads
        # back as comments: the old translation stays, the old English is not kept.
        m.previous_id = []
        m.user_comments = [c for c in m.user_comments if not c.startswith("|")]
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, ignore_obsolete=True,
             include_previous=False, sort_output=False)
    if not path.exists() or path.read_bytes() != buffer.getvalue():
        path.write_bytes(buffer.getvalue())


def messages(catalog):
    return [m for m in catalog if m.id]


def pages():
    return sorted(str(p.relative_to(PO_DIR).with_suffix("")) for p in PO_DIR.rglob("*.po"))


_SOURCES = {}


def required(page, msgid):
    """Whether the edition's completeness check demands a translation of ``msgid``."""
    if page in PARTLY:
        if page not in _SOURCES:
            text = (ROOT / PARTLY[page]).read_text(encoding="utf-8")
            _SOURCES[page] = " ".join(text.split())
        return re.search(r"(?<![\w.])" + re.escape(" ".join(msgid.split())) + r"(?![\w])",
                         _SOURCES[page]) is not None
    return True


def needs_translation(page, msgid):
    """Whether the Chinese page would show ``msgid`` in English without a translation:
    a required string with words in it (a glossary entry's English name excepted)."""
    if not required(page, msgid) or nothing_to_translate(msgid):
        return False
    return not (page == "book/glossary" and msgid in glossary_names())


def update(build=True):
    """Refresh ``_build/gettext`` and merge each template into its ``.po``."""
    if build:
        import shutil
        shutil.rmtree(GETTEXT_OUT, ignore_errors=True)   # every page read: see course_book.py
        jb = Path(sys.executable).with_name("jupyter-book")
        subprocess.run([str(jb) if jb.exists() else "jupyter-book", "build", str(ROOT),
                        "--builder", "custom", "--custom-builder", "gettext",
                        "--path-output", str(GETTEXT_OUT)], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
    templates = sorted(POT_DIR.rglob("*.pot"))
    if not templates:
        raise SystemExit(f"Expected .pot files under {POT_DIR}, found none")
    names = set()
    for pot in templates:
        page = str(pot.relative_to(POT_DIR).with_suffix(""))
        names.add(page)
        template = load(pot)
        path = po_path(page)
        if path.exists():
            catalog = load(path)
            catalog.update(template, update_header_comment=False, update_creation_date=False)
        else:
            catalog = Catalog(locale=LOCALE, fuzzy=False)
            for m in messages(template):
                catalog.add(m.id, "")
        catalog.header_comment = HEADER.format(page=page)
        catalog.project, catalog.version = "rnn-course", ""
        catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = \
            "the course authors"
        for m in messages(catalog):
            if m.id in KEEP_ENGLISH:
                m.string = m.id
            # The glossary is keyed by its English terms ({term} targets): they stay English,
            # and each definition opens with the Chinese term.
            if (not m.string or m.fuzzy) and (nothing_to_translate(m.id) or
                                               page == "book/glossary" and m.id in glossary_names()):
                m.string = m.id
        catalog.fuzzy = False
        save(catalog, path)
    for path in PO_DIR.rglob("*.po"):
        if str(path.relative_to(PO_DIR).with_suffix("")) not in names:
            print(f"removed {path.relative_to(ROOT)}: its page is gone")
            path.unlink()


# --- the Chinese notebooks ----------------------------------------------------------------
# A markdown cell's strings are found in its source (a string's spaces may be any run of
# whitespace there: Sphinx joins a paragraph's lines) and replaced by their translations, all
# in one pass over the original source, longest strings first, each only where it is a whole
# unit: nothing but markup before it on its line (#, -, 1., >, |, a directive's braces) and
# nothing but a table bar or the line's end after it. Code cells and outputs stay as they are.

_BEFORE = re.compile(r"(?:^|[|}])[\s#>*+\-|0-9.)]*$|^\s*(?:[-*+]|\d+[.)])\s+\*\*[^*]+\*\*\s*$")
_AFTER = re.compile(r"^[ \t]*(?:\||$)")


def _unit_pattern(msgid):
    return re.compile(r"\s+".join(re.escape(w) for w in msgid.split()))


def translate_markdown(source, catalog_map):
    """``source`` with each string of ``catalog_map`` (English -> Chinese) replaced where it
    stands as a whole unit. Returns (translated source, the English strings found)."""
    taken = []      # (start, end, replacement)
    found = set()
    for msgid in sorted(catalog_map, key=len, reverse=True):
        for match in _unit_pattern(msgid).finditer(source):
            start, end = match.span()
            line_start = source.rfind("\n", 0, start) + 1
            line_end = source.find("\n", end)
            line_end = len(source) if line_end < 0 else line_end
            if not _BEFORE.search(source[line_start:start]) or \
                    not _AFTER.match(source[end:line_end]):
                continue
            if any(start < e and s < end for s, e, _ in taken):
                continue
            taken.append((start, end, catalog_map[msgid]))
            found.add(msgid)
    out, pos = [], 0
    for start, end, text in sorted(taken):
        out += [source[pos:start], text]
        pos = end
    return "".join(out + [source[pos:]]), found


def chinese_notebook(page):
    """The Chinese notebook of ``page`` (e.g. "notebooks/ch01_rnn_basics"), and the strings
    of its catalogue that carry words but were not found in its markdown."""
    import nbformat
    nb = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
    catalog_map = {m.id: m.string for m in messages(load(po_path(page)))
                   if m.string and not m.fuzzy and m.string != m.id and "\n" not in m.id.strip()}
    found = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, seen = translate_markdown(cell.source, catalog_map)
            found |= seen
        image = cell.metadata.get("mystnb", {}).get("image", {})
        alt = " ".join(image.get("alt", "").split())
        if alt in catalog_map:                           # a figure's alt text (myst-nb)
            image["alt"] = catalog_map[alt]
            found.add(alt)
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        caption = " ".join(figure.get("caption", "").split())
        if caption in catalog_map:                       # a figure's caption (myst-nb)
            figure["caption"] = catalog_map[caption]
            found.add(caption)
    return nb, sorted(set(catalog_map) - found)


def notebook_pages():
    return [f"{d}/{p.stem}" for d in NOTEBOOK_DIRS for p in sorted((ROOT / d).glob("*.ipynb"))]


def write_notebooks():
    """Write zh/notebooks/*.ipynb and zh/exercises/*.ipynb; return the strings not placed."""
    import nbformat
    missed = {}
    for page in notebook_pages():
        nb, lost = chinese_notebook(page)
        if lost:
            missed[page] = lost
        path = ZH_DIR / f"{page}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(nb) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return missed


ZH_CONFIG = ROOT / "_config_zh.yml"
ZH_OUT = ROOT / "_build" / "zh"


def _merge(base, extra):
    """``base`` updated by ``extra``: mappings key by key, anything else replaced."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def zh_config():
    """_config.yml with _config_zh.yml on top; local extension paths made absolute (Jupyter
    Book reads them relative to the config file, which is written under _build)."""
    import yaml
    base = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config = _merge(base, yaml.safe_load(ZH_CONFIG.read_text(encoding="utf-8")))
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str((ROOT / path).resolve())
    return config


def build_zh(flags=("-W", "-n", "--keep-going")):
    """Build the Chinese site into _build/zh/_build/html and copy it to _build/html/zh."""
    import shutil
    import yaml
    ZH_OUT.mkdir(parents=True, exist_ok=True)
    config = ZH_OUT / "_config.yml"
    config.write_text("# Written by book/_ext/i18n.py from _config.yml and _config_zh.yml\n" +
                      yaml.safe_dump(zh_config(), allow_unicode=True, sort_keys=False),
                      encoding="utf-8")
    # Sphinx rebuilds the pages whose catalogue changed, but not the other pages' sidebars,
    # which show every page's title: after a change to the catalogues, every page is written.
    stamp = ZH_OUT / "catalogues.stamp"
    newest = max(p.stat().st_mtime_ns for p in PO_DIR.rglob("*.po"))
    fresh = ["--all"] if not stamp.exists() or stamp.read_text() != str(newest) else []
    jb = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(jb) if jb.exists() else "jupyter-book", "build", str(ROOT),
                           "--config", str(config), "--path-output", str(ZH_OUT),
                           *flags, *fresh], cwd=ROOT)
    if done.returncode:
        stamp.unlink(missing_ok=True)
        return done.returncode
    stamp.write_text(str(newest))
    site = ROOT / "_build" / "html" / "zh"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ZH_OUT / "_build" / "html", site)
    print(f"The Chinese edition: {site / 'index.html'}")
    return 0


@dataclass
class Report:
    page: str
    total: int = 0
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    words: int = 0


def status():
    reports = []
    for page in pages():
        r = Report(page)
        for m in messages(load(po_path(page))):
            if not required(page, m.id):
                continue
            r.total += 1
            r.words += len(_strip(m.id).split())
            if m.fuzzy:
                r.fuzzy += 1
            elif m.string:
                r.translated += 1
            else:
                r.untranslated += 1
        reports.append(r)
    return reports


def _hash(msgid):
    return hashlib.sha1(msgid.encode()).hexdigest()[:8]


def dump(page, everything=False):
    """Print the strings of ``page`` still to translate as numbered blocks, with the
    glossary's Chinese term for each term they use."""
    out = []
    for i, m in enumerate(messages(load(po_path(page))), 1):
        if not required(page, m.id) or not everything and m.string and not m.fuzzy:
            continue
        out.append(f"#### {i} {_hash(m.id)}")
        out.append(m.id)
        hints = "; ".join(f"{name} = {term.chinese}" for name, term in terms_in(m.id))
        if hints:
            out.append(f"#   terms: {hints}")
        if m.fuzzy and m.string:
            out.append(f"#   old translation: {m.string}")
        elif m.string:
            out.append(f"#   translation: {m.string}")
    return "\n".join(out)


def fill(page, text):
    """Put the translations of ``text`` (blocks "#### N HASH" then the Chinese) into the
    page's catalogue; print each block that fails :func:`problems`. Returns the count set."""
    path = po_path(page)
    catalog = load(path)
    msgs = messages(catalog)
    blocks = re.split(r"^#### (\d+) ([0-9a-f]{8})[ \t]*$", text, flags=re.M)
    done, bad = 0, 0
    for number, digest, body in zip(blocks[1::3], blocks[2::3], blocks[3::3]):
        m = msgs[int(number) - 1]
        if _hash(m.id) != digest:
            print(f"#{number}: the English changed since the dump (hash {digest}); skipped")
            bad += 1
            continue
        if m.id in KEEP_ENGLISH:
            print(f"#{number}: {m.id!r} stays English (the grader looks for it); skipped")
            continue
        lines = [line for line in body.split("\n") if not line.startswith("#   ")]
        translation = "\n".join(lines).strip("\n")
        if "\n" not in m.id.strip("\n"):
            translation = " ".join(translation.split("\n")).strip()
        if translation != m.id:
            translation = escape_block_start(translation)
        if not translation:
            continue
        issues = problems(m.id, translation)
        if issues:
            print(f"#{number}: not filled: " + "; ".join(issues))
            bad += 1
            continue
        missing = missing_terms(m.id, translation)
        if missing:
            print(f"#{number}: filled, but the glossary's term is missing: " +
                  "; ".join(f"{name} = {term.chinese}" for name, term in missing))
        m.string = translation
        m.flags.discard("fuzzy")
        m.previous_id = []
        done += 1
    save(catalog, path)
    return done, bad


def check(selected=None):
    """Every required string translated, not fuzzy, keeping its skeleton and the glossary's
    terms; returns what is not, one line each."""
    failures = []
    for page in selected or pages():
        for m in messages(load(po_path(page))):
            if not required(page, m.id):
                continue
            if m.id in KEEP_ENGLISH and m.string != m.id:
                failures.append(f"{page}: must stay English: {m.id!r}")
            elif m.fuzzy:
                failures.append(f"{page}: fuzzy: {m.id[:70]!r}")
            elif not m.string:
                failures.append(f"{page}: untranslated: {m.id[:70]!r}")
            else:
                for issue in problems(m.id, m.string):
                    failures.append(f"{page}: {issue}: {m.id[:70]!r}")
                for name, term in (missing_terms(m.id, m.string)
                                   if needs_translation(page, m.id) else []):
                    failures.append(f"{page}: term {name!r} without {term.chinese}: {m.id[:70]!r}")
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("update")
    up.add_argument("--no-build", action="store_true", help="merge the existing _build/gettext")
    sub.add_parser("status")
    d = sub.add_parser("dump")
    d.add_argument("page")
    d.add_argument("--all", action="store_true")
    f = sub.add_parser("fill")
    f.add_argument("page")
    f.add_argument("file")
    c = sub.add_parser("check")
    c.add_argument("page", nargs="*", help="these pages only")
    sub.add_parser("notebooks")
    sub.add_parser("build", help="the Chinese site, with make book's flags (-W -n --keep-going)")
    args = parser.parse_args(argv)
    if args.command == "update":
        update(build=not args.no_build)
        args.command = "status"
    if args.command == "status":
        total = Report("all")
        for r in status():
            print(f"{r.page:42s} {r.translated:5d}/{r.total:<5d} fuzzy {r.fuzzy:4d}  "
                  f"untranslated {r.untranslated:4d}  ({r.words} words)")
            for k in ("total", "translated", "fuzzy", "untranslated", "words"):
                setattr(total, k, getattr(total, k) + getattr(r, k))
        print(f"{'all':42s} {total.translated:5d}/{total.total:<5d} fuzzy {total.fuzzy:4d}  "
              f"untranslated {total.untranslated:4d}  ({total.words} words)")
    elif args.command == "dump":
        print(dump(args.page, args.all))
    elif args.command == "fill":
        done, bad = fill(args.page, Path(args.file).read_text(encoding="utf-8"))
        print(f"{done} strings filled, {bad} refused")
        return 1 if bad else 0
    elif args.command == "check":
        failures = check(args.page)
        print("\n".join(failures) or "every required string is translated")
        return 1 if failures else 0
    elif args.command == "build":
        return build_zh()
    elif args.command == "notebooks":
        for page, lost in write_notebooks().items():
            print(f"{page}: {len(lost)} translated strings not found in the notebook:")
            for msgid in lost:
                print(f"    {msgid[:90]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
