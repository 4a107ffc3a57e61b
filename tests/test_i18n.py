"""The Chinese edition (中文版): its catalogues, its notebooks and its configuration.

The edition is generated from the English sources through gettext catalogues
(``locales/zh_CN/LC_MESSAGES/<page>.po``, book/_ext/i18n.py). These tests keep it complete and
in step without building it (the browser tests build both editions and fail on any string the
Chinese build shows in English, tests/test_book_browser.py):

- every string of every page but the API reference's docstrings is translated, not fuzzy,
  keeps its formulas, code, role targets and links, and uses the glossary's Chinese term for
  each glossary term of its English;
- the checks themselves catch what they are for (a dropped role, a missing term, a fuzzy
  string);
- zh/notebooks and zh/exercises are what the catalogues make of the English notebooks (the
  script wrote them; nobody edited them), differ from them only in markdown and figure
  captions, and a Chinese exercise grades exactly like the English one.
"""
import copy
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import i18n  # noqa: E402  (book/_ext/i18n.py)


def _toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections", []))
    for part in toc["parts"]:
        walk(part["chapters"])
    return found


def test_every_page_of_the_book_has_its_catalogue():
    pages = set(i18n.pages())
    assert pages == set(_toc_pages()), (
        f"catalogues without a page {sorted(pages - set(_toc_pages()))}, pages without a "
        f"catalogue {sorted(set(_toc_pages()) - pages)}: run `make translations`")


def test_every_string_is_translated_and_none_is_fuzzy():
    """An English edit leaves its string fuzzy or untranslated after `make translations`:
    the edition cannot lag behind the English."""
    failures = i18n.check()
    assert failures == [], f"{len(failures)} strings of the Chinese edition are not done " \
        "(book/_ext/i18n.py check; README, 'Translating'):\n" + "\n".join(failures[:40])


def test_the_count_of_translated_strings():
    reports = i18n.status()
    total = sum(r.total for r in reports)
    translated = sum(r.translated for r in reports)
    words = sum(r.words for r in reports)
    assert total == translated > 3000 and words > 90_000, (total, translated, words)
    api = next(r for r in reports if r.page == "book/api")
    assert 0 < api.total < 40, "the API page: its own text translated, its docstrings English"


# --- the checks can fail ------------------------------------------------------------------

def test_a_dropped_or_changed_role_formula_or_code_is_a_problem():
    msgid = "The {term}`hidden state` $\\mathbf{h}_t$ of `course_pkg.RNN` (see {doc}`Chapter 3 <ch03_bptt>`)."
    good = "`course_pkg.RNN` 的{term}`隐藏状态 <hidden state>` $\\mathbf{h}_t$（见 {doc}`第 3 章 <ch03_bptt>`）。"
    assert i18n.problems(msgid, good) == []
    for bad in (good.replace("{term}`隐藏状态 <hidden state>`", "隐藏状态"),
                good.replace("<hidden state>", "<state>"),
                good.replace("$\\mathbf{h}_t$", "$h_t$"),
                good.replace("`course_pkg.RNN`", "course_pkg.RNN"),
                good.replace("<ch03_bptt>", "<ch02_tanh>")):
        assert i18n.problems(msgid, bad), bad


def test_a_translation_that_would_not_parse_as_a_paragraph_is_escaped_or_refused():
    """Sphinx parses a translation alone: "1. 循环神经网络基础" would be a list, and the
    chapter's title would silently stay English."""
    assert i18n.escape_block_start("1. 循环神经网络基础") == "1\\. 循环神经网络基础"
    assert i18n.escape_block_start("> −2 倍标准误") == "\\> −2 倍标准误"
    assert i18n.escape_block_start("12 个单元") == "12 个单元"
    assert i18n.problems("1. Recurrent neural networks: the basics", "1. 循环神经网络基础")
    assert i18n.problems("1. Recurrent neural networks: the basics", "1\\. 循环神经网络基础") == []
    assert i18n.problems("> 0.05", "> 0.05") == []                   # the same: never parsed


def test_the_terminology_check_wants_the_glossary_s_chinese_term():
    msgid = "The hidden state carries the memory; the cell state of an LSTM runs along the top."
    assert {name.lower() for name, _ in i18n.terms_in(msgid)} == {"hidden state", "cell state"}
    good = "隐藏状态（hidden state）承载记忆；LSTM 的记忆单元沿顶部贯穿。"   # the bracketed form
    assert i18n.missing_terms(msgid, good) == []
    bad = "隐状态承载记忆；LSTM 的细胞状态沿顶部贯穿。"
    assert [name.lower() for name, _ in i18n.missing_terms(msgid, bad)] == ["hidden state"]
    # code, formulas and role targets are not text: only what a reader reads counts
    assert i18n.terms_in("`hidden_state` and {doc}`x <../notebooks/ch01_rnn_basics>`") == []


def test_formulas_code_and_references_alone_need_no_translation():
    # a key-terms table's English cell stays English; its Chinese cell is Chinese already
    for msgid in ("$D$, $H$", "`h0`", "{ref}`conv-batch`", "1.42–1.81", "YOUR ANSWER HERE",
                  "{term}`learning rate`", "学习率", "\n\\mathbf{h}_t = \\tanh(\\mathbf{a}_t)\n"):
        assert i18n.nothing_to_translate(msgid), msgid
    for msgid in ("{term}`learning rate` and its schedule", "1.1 · The forward step",
                  "{doc}`8. Gated recurrent units <../notebooks/ch08_gru>`", "shape",
                  "\n\\text{loss} = L\n"):
        assert not i18n.nothing_to_translate(msgid), msgid


def test_check_reports_fuzzy_untranslated_and_a_translated_answer_marker(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    catalog = Catalog(locale=i18n.LOCALE)
    catalog.add("The hidden state.", "隐藏状态。", flags=["fuzzy"])
    catalog.add("A new sentence.", "")
    catalog.add("YOUR ANSWER HERE", "在此作答")
    catalog.add("Learning objectives", "学习目标")
    monkeypatch.setattr(i18n, "PO_DIR", tmp_path)
    i18n.save(catalog, tmp_path / "notebooks" / "chXX.po")
    failures = i18n.check()
    assert len(failures) == 3 and [f.split(": ")[1] for f in failures] == [
        "fuzzy", "untranslated", "must stay English"], failures


def test_update_keeps_translations_and_marks_a_changed_string_fuzzy(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    pot, po = tmp_path / "pot", tmp_path / "po"
    monkeypatch.setattr(i18n, "POT_DIR", pot)
    monkeypatch.setattr(i18n, "PO_DIR", po)
    old = Catalog(locale=i18n.LOCALE)
    old.add("The hidden state carries the memory of the sequence.",
            "隐藏状态承载着序列的记忆。")
    old.add("Learning objectives", "学习目标")
    i18n.save(old, po / "notebooks" / "chXX.po")
    template = Catalog()
    template.add("The hidden state carries the memory of the whole sequence.")
    template.add("Learning objectives")
    template.add("$D$, $H$")
    template.add("A sentence nobody has translated yet.")
    i18n.save(template, pot / "notebooks" / "chXX.pot")
    i18n.update(build=False)
    merged = {m.id: m for m in i18n.messages(i18n.load(po / "notebooks" / "chXX.po"))}
    changed = merged["The hidden state carries the memory of the whole sequence."]
    assert changed.fuzzy and changed.string == "隐藏状态承载着序列的记忆。"
    assert merged["Learning objectives"].string == "学习目标" and not merged["Learning objectives"].fuzzy
    assert merged["$D$, $H$"].string == "$D$, $H$"
    assert merged["A sentence nobody has translated yet."].string == ""
    assert len(i18n.check()) == 2


# --- the Chinese notebooks ----------------------------------------------------------------

def test_markdown_strings_are_replaced_only_where_they_stand_whole():
    source = ("# Shapes\n\nThe shape of a\nbatch is $(N, D)$.\n\n| symbol | shape |\n|---|---|\n"
              "| $N$ | batch |\n\n- **Shape.** The shape matters.\n")
    table = {"Shapes": "形状", "The shape of a batch is $(N, D)$.": "一批的形状是 $(N, D)$。",
             "shape": "形状", "symbol": "符号", "batch": "批",
             "**Shape.** The shape matters.": "**形状。** 形状很重要。"}
    out, found = i18n.translate_markdown(source, table)
    assert out == ("# 形状\n\n一批的形状是 $(N, D)$。\n\n| 符号 | 形状 |\n|---|---|\n"
                   "| $N$ | 批 |\n\n- **形状。** 形状很重要。\n")
    assert found == set(table)


@pytest.mark.parametrize("page", i18n.notebook_pages())
def test_chinese_notebook_is_generated_from_the_catalogue(page):
    """zh/<page>.ipynb is exactly what `make translations` writes, every translated string
    of the page found in the notebook, and nothing but markdown, captions and alt text
    changed."""
    nb, lost = i18n.chinese_notebook(page)
    assert lost == [], f"translated strings not found in {page}.ipynb: {lost[:5]}"
    path = i18n.ZH_DIR / f"{page}.ipynb"
    assert path.read_text(encoding="utf-8") == nbformat.writes(nb) + "\n", \
        f"{path.relative_to(ROOT)} is out of date or was edited by hand: `make translations`"
    english = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
    assert len(nb.cells) == len(english.cells)
    changed = 0
    for zh, en in zip(nb.cells, english.cells):
        zh, en = copy.deepcopy(zh), copy.deepcopy(en)
        if zh.cell_type == "markdown":
            changed += zh.source != en.source
            zh.source = en.source
        for cell in (zh, en):
            cell.metadata.get("mystnb", {}).get("figure", {}).pop("caption", None)
            cell.metadata.get("mystnb", {}).get("image", {}).pop("alt", None)
        assert zh == en, f"{page}: cell {en.get('id')} differs beyond its text"
    assert changed >= 0.8 * sum(c.cell_type == "markdown" for c in english.cells), page
    assert json.dumps(nb.metadata) == json.dumps(english.metadata)


EXERCISES = sorted(p.stem for p in (ROOT / "exercises").glob("ex*.ipynb"))
QUICK = ["ex01_rnn_step", "ex03_bptt", "ex13_parallel"]   # grading takes 0.1-0.2 s each


def _answered(exercise, tmp_path):
    """The Chinese exercise with the solution's graded code and written answers in it."""
    nb = nbformat.read(i18n.ZH_DIR / "exercises" / f"{exercise}.ipynb", as_version=4)
    solution = {c.get("id"): c for c in nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb",
                                                       as_version=4).cells}
    blank = {c.get("id"): c for c in nbformat.read(ROOT / "exercises" / f"{exercise}.ipynb",
                                                    as_version=4).cells}
    stub = "YOUR ANSWER HERE"
    for cell in nb.cells:
        answer, question = solution[cell.id].source, blank[cell.id].source
        if question == answer:
            continue
        if cell.cell_type == "markdown" and question.rstrip().endswith(stub):
            # the Chinese question, then the solution's answer (which follows the English one)
            written = answer[len(question.rstrip()[:-len(stub)].rstrip()):].strip()
            assert answer.startswith(question.rstrip()[:-len(stub)].rstrip()), cell.id
            cell.source = cell.source.rstrip()[:-len(stub)] + written
        else:
            cell.source = answer                           # the graded code
    path = tmp_path / f"{exercise}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("exercise", QUICK)
def test_a_chinese_exercise_grades_like_the_english_one(exercise, tmp_path):
    from course_pkg.grading.judge import grade_notebook
    from course_pkg.grading.rubrics import rubric_for
    rubric = rubric_for(exercise)
    answered = grade_notebook(_answered(exercise, tmp_path), rubric)
    assert (answered.status, answered.score) == ("ok", rubric.max_points), answered.reason
    assert all(answered.answers[a.id] for a in rubric.answers)
    blank_zh = grade_notebook(i18n.ZH_DIR / "exercises" / f"{exercise}.ipynb", rubric)
    blank_en = grade_notebook(ROOT / "exercises" / f"{exercise}.ipynb", rubric)
    assert (blank_zh.status, blank_zh.score, blank_zh.reason) == \
        (blank_en.status, blank_en.score, blank_en.reason)
    assert blank_zh.answers == blank_en.answers and not any(blank_zh.answers.values())


# --- the configuration --------------------------------------------------------------------

def test_chinese_config_extends_the_english_one():
    config = i18n.zh_config()
    english = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["language"] == "zh_CN"
    assert config["sphinx"]["config"]["locale_dirs"] == ["locales"]
    assert config["repository"]["path_to_book"] == "zh"     # launch buttons open zh/ notebooks
    assert config["repository"]["url"] == english["repository"]["url"]
    assert config["sphinx"]["extra_extensions"] == english["sphinx"]["extra_extensions"]
    from course_pkg import __version__
    assert f"course_pkg {__version__}" in config["html"]["extra_footer"]
    assert Path(config["sphinx"]["local_extensions"]["course_book"]).is_dir()


def test_written_answers_under_chinese_questions_are_found_without_cell_ids(tmp_path):
    """Colab saves nbformat 4.4 without cell ids: the grader finds each written answer by its
    question's first line, in English or in Chinese."""
    from course_pkg.grading.judge import grade_notebook
    from course_pkg.grading.rubrics import rubric_for
    exercise = "ex13_parallel"
    rubric = rubric_for(exercise)
    raw = json.loads(_answered(exercise, tmp_path).read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        cell.pop("id", None)
    raw["nbformat_minor"] = 4
    path = tmp_path / "colab" / f"{exercise}.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    graded = grade_notebook(path, rubric)
    assert graded.score == rubric.max_points
    assert len(graded.answers) == len(rubric.answers) == 5 and all(graded.answers.values())
    first_lines = [a.splitlines()[0] for a in graded.answers.values()]
    assert all(re.search(r"[\u4e00-\u9fff]", line) for line in first_lines), first_lines
