"""One notation, the code's: the clashes a program can catch in the chapters' prose.

The conventions appendix (``book/appendix_conventions.md``) is the one table of symbols. This
module checks what it can of the rule "define every symbol once, never reuse a letter":

- every weight a chapter writes, $W_{..}$, is one the appendix names (torch's ``weight_ih``
  as $W_{ih}$, the output layer's $W_{hy}$, the gates' blocks $W_{ii}$ ... $W_{hn}$, ...):
  no $W_y$ beside $W_{hy}$, no $W_{xh}$ beside $W_{ih}$, except where a chapter quotes a
  source's letters, listed in :data:`QUOTED` with the reason;
- products are written with rows, as the code computes them: $\\mathbf{x}_t W_{ih}^\\top$,
  never $W_{ih} \\mathbf{x}_t$ (the column form that sets learners up for the ``W.T``
  mistake exercise 2 catches);
- the LSTM's output gate $\\mathbf{o}_t$ appears only where LSTMs are the subject
  (:data:`OUTPUT_GATE_CHAPTERS`), so no chapter writes $\\mathbf{o}_t$ for a layer's output;
- no symbol is defined twice in the appendix's tables, except the letters listed in
  :data:`SHARED`, each of which the appendix explains.
"""
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("ch[0-9][0-9]_*.ipynb"))
APPENDIX = ROOT / "book" / "appendix_conventions.md"

#: The weights the appendix names (subscripts of $W$).
WEIGHTS = {"ih", "hh", "hy", "e",                                   # RNN, output layer, embedding
           "ii", "if", "ig", "io", "hi", "hf", "hg", "ho",           # LSTM blocks (i, f, g, o)
           "ir", "iz", "in", "hr", "hz", "hn",                       # GRU blocks (r, z, n)
           r"i\tilde h",                                             # minGRU's candidate block
           r"i\star", r"h\star",                                     # "any block" of either
           "0",                                                      # 1 vs N: the vector to h_0 (chapter 6)
           "b", "c", "q", "k",                                       # seq2seq bridge, combine, attention
           "Q", "K", "V", "O"}                                       # self-attention (chapter 13)
#: Letters a chapter quotes from a source, with where they come from.
QUOTED = {
    "ch01_rnn_basics": {"xh": "seed 003's W_xh, in the table of what each source writes",
                        "hx": "seed 004's W_hx, in the same table"},
    "ch02_tanh": {"hx": "seed 004's sigmoid RNN, quoted in the note on it"},
    "ch07_lstm": {"f": "seed 004's one matrix W_f on [h, x], shown equal to W_hf and W_if"},
}
#: Chapters where the LSTM's output gate is the subject (or compared with).
OUTPUT_GATE_CHAPTERS = {"ch07_lstm", "ch08_gru"}
#: Symbols the appendix defines more than once, each explained there.
SHARED = {
    "K": "classes of an output layer; in chapter 13 attention's keys (the literature's letter)",
    "V": "chapter 10's target vocabulary size (its K classes); in chapter 13 attention's values",
    "y_t": "the target of step t: a character in chapter 4, a token in chapter 10, a series' value in chapter 12",
    "\\mathbf{v}": "chapter 6's input vector; in chapter 10 additive attention's weight vector",
    "\\mathbf{p}_t": "predicted probabilities (chapters 4, 6); chapter 13's positional encoding",
    "k": "a lag in chapter 3; the count add-k smoothing adds in chapter 11 (its row says so)",
    "\\Delta": "steps between an input and its target: chapter 3's delay, chapter 12's horizon",
}

WEIGHT = re.compile(r"(?<![A-Za-z\\])W_(\{(?:[^{}]|\{[^{}]*\})*\}|\\?[A-Za-z0-9]+)")
COLUMN_PRODUCT = re.compile(r"W_\{?(?:ih|hh|hy|[ih][ifgorzn]|[bcqkQKVO])\}?(?:\^\{?\\top\}?|\^T)?\s*"
                            r"(?:\\(?:mathbf|boldsymbol)\{|\[)")
OUTPUT_GATE = re.compile(r"\\mathbf\{o\}|(?<![A-Za-z\\])o_t\b")


#: The book's pages, checked like the chapters; the conventions appendix quotes the sources'
#: own letters (W_xh, W_hx, CS231n's W_vocab) in its tables of translations.
PAGES = sorted(p for p in (ROOT / "book").glob("*.md") if p.name != "appendix_conventions.md")


def prose(chapter):
    if chapter.suffix == ".md":
        return chapter.read_text()
    return "\n".join(c.source for c in nbformat.read(chapter, 4).cells if c.cell_type == "markdown")


@pytest.mark.parametrize("chapter", CHAPTERS + PAGES, ids=lambda p: p.stem)
def test_every_weight_is_one_the_appendix_names(chapter):
    allowed = WEIGHTS | set(QUOTED.get(chapter.stem, {}))
    found = {m.group(1).strip("{}").strip() for m in WEIGHT.finditer(prose(chapter))}
    assert found <= allowed, (f"Expected weights named as in the conventions appendix, got "
                              f"W_{{{', '.join(sorted(found - allowed))}}} in {chapter.stem}")


@pytest.mark.parametrize("chapter", CHAPTERS + PAGES, ids=lambda p: p.stem)
def test_products_are_written_with_rows(chapter):
    columns = [m.group(0) for m in COLUMN_PRODUCT.finditer(prose(chapter))]
    assert not columns, f"Expected row-vector products (x W^T), got column forms {columns} in {chapter.stem}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_o_t_is_the_lstm_output_gate_only(chapter):
    if chapter.stem in OUTPUT_GATE_CHAPTERS:
        return
    uses = OUTPUT_GATE.findall(prose(chapter))
    assert not uses, f"Expected no o_t outside the LSTM chapters (it is the output gate), got {uses} in {chapter.stem}"


def appendix_symbols():
    """The symbols in the first column of the appendix's symbol tables, one entry per symbol."""
    symbols = Counter()
    in_table = False
    for line in APPENDIX.read_text().splitlines():
        if line.startswith("| symbol |"):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
        if in_table and not line.startswith("|---"):
            first = line.split("|")[1]
            for symbol in re.findall(r"\$([^$]+)\$", first):
                symbols[symbol.strip()] += 1
    return symbols


def test_no_symbol_is_defined_twice_in_the_appendix():
    symbols = appendix_symbols()
    assert len(symbols) > 30, "the appendix's symbol tables were not found"
    twice = {s for s, n in symbols.items() if n > 1}
    assert twice <= set(SHARED), f"Expected each symbol defined once, got {sorted(twice - set(SHARED))} twice"
    text = APPENDIX.read_text()
    for symbol, reason in SHARED.items():
        assert symbols[symbol] > 1, f"{symbol} is defined once now: drop it from SHARED"


def test_the_checks_catch_what_they_are_for():
    assert {m.group(1).strip("{}") for m in WEIGHT.finditer(r"$W_y$, $W_{hy}$, $W_{xh}$")} == {"y", "hy", "xh"}
    assert COLUMN_PRODUCT.search(r"$W_{ih} \mathbf{x}_t$") and COLUMN_PRODUCT.search(r"W_{hh}^\top \boldsymbol{\delta}")
    assert COLUMN_PRODUCT.search(r"$\tanh(W_q \mathbf{s}_t)$") and COLUMN_PRODUCT.search(r"W_c [\mathbf{s}_t; \mathbf{c}_t]")
    assert not COLUMN_PRODUCT.search(r"$\mathbf{x}_t W_{ih}^\top + \mathbf{h}_{t-1} W_{hh}^\top$")
    assert OUTPUT_GATE.search(r"$\mathbf{o}_t$") and not OUTPUT_GATE.search(r"$\mathbf{h}_t$, `proto_t`")
