"""Classical Chinese verse: antithetical couplets (对联, N vs N) and quatrains (绝句).

Source and licence: the chinese-poetry collection (https://github.com/chinese-poetry/chinese-poetry),
MIT licence, copyright (c) 2016 JackeyGao, as published on the npm registry as
``chinese-poetry`` 2.0.1. The course ships a small extract, ``poetry.json.gz`` (1.07 MB),
beside its licence (``chinese_poetry_LICENSE.txt``); ``course_pkg/data/build_poetry.py``
is the script that made it from the npm tarball, converting the Tang poems' traditional
characters to simplified ones with OpenCC. Nothing is downloaded at run time.

The extract holds (counts of the shipped file):

- 13,333 poems of 8 lines x 5 characters and 7,391 of 8 x 7, the shape of regulated verse
  (律诗), of which lines 3-4 and 5-6 are kept: by the rules of the form each pair is an
  antithetical couplet (对仗), the second line answering the first character by character
  (山 against 水, a number against a number). Not every poem of this shape follows the rules,
  so not every pair is a true couplet. 41,448 couplets in all.
- 3,452 five-character quatrains (五言绝句), 4 lines of 5 characters.
- 174 couplets of 5 or 7 characters from 声律启蒙, the classical primer of couplets, as
  first lines to try a model on (never used for training).

Splits are **by poem**: both couplets of a poem fall in the same split, and the extract
already dropped poems that repeat another poem's text or one of its lines, so no line is in
two splits.
"""
from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import _validate as V
from .batching import pad_sequences, split_indices
from .text import CharLMSplit, lm_arrays
from .vocab import IGNORE_INDEX, Vocab

PATH = Path(__file__).with_name("poetry.json.gz")
LENGTHS = (5, 7)


@lru_cache(maxsize=1)
def _extract():
    with gzip.open(PATH, "rt", encoding="utf-8") as f:
        return json.load(f)


def load_poetry():
    """The shipped extract as a dict (see the module docstring).

    Returns:
        ``dict`` with ``regulated5`` / ``regulated7`` (lists of lines 3-6 of each poem),
        ``quatrains5`` (lists of 4 lines), ``primer`` (pairs of lines), ``counts``,
        ``source`` and ``licence``. A fresh copy: changing it changes nothing shipped.
    """
    return json.loads(json.dumps(_extract()))


class CoupletsSplit(NamedTuple):
    """One split of the couplets task: the first line in, the second line out.

    Attributes:
        first, second: ``(N,)`` str, the two lines (5 or 7 characters each, equal lengths).
        X, Y: ``(N, L)`` int64 character ids of the first and second line, padded with
            ``<pad>`` (0) in ``X`` and -100 (ignored by the loss) in ``Y``; ``L`` is the
            longest line of the split.
        lengths: ``(N,)`` int64, the characters of each line.
        poem: ``(N,)`` int64, the poem each couplet comes from (its index in the extract's
            ``regulated5`` list, or ``len(regulated5)`` + its index in ``regulated7``).
    """

    first: np.ndarray
    second: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    lengths: np.ndarray
    poem: np.ndarray


class CoupletsData(NamedTuple):
    """Train, validation and test splits, the vocabulary (characters of the training
    couplets, both lines), and 声律启蒙's pairs of the chosen lengths (``primer``, ``(P, 2)`` str)."""

    train: CoupletsSplit
    val: CoupletsSplit
    test: CoupletsSplit
    vocab: Vocab
    primer: np.ndarray


def _check_lengths(lengths):
    if isinstance(lengths, int) and not isinstance(lengths, bool):
        lengths = (lengths,)
    if not isinstance(lengths, (tuple, list)) or not lengths:
        raise TypeError(f"Expected line_lengths to be 5, 7 or a tuple of them, got {lengths!r}")
    for n in lengths:
        V.check_choice("line length", n, set(LENGTHS))
    return tuple(sorted(set(lengths)))


def _encode_pairs(first, second, vocab):
    X, lengths = pad_sequences([vocab.encode(s) for s in first], pad_value=0, dtype=np.int64)
    Y, _ = pad_sequences([vocab.encode(s) for s in second], pad_value=IGNORE_INDEX, dtype=np.int64)
    return X, Y, lengths


def couplets_dataset(line_lengths=(5, 7), fractions=(0.9, 0.05, 0.05), seed=0, max_poems=None):
    """Antithetical couplets from Tang regulated verse: the first line in, the second out.

    Args:
        line_lengths: ``5``, ``7`` or ``(5, 7)`` characters per line.
        fractions: ``(train, val, test)`` fractions of the **poems**; each poem gives two
            couplets (its lines 3-4 and 5-6), which stay in one split.
        seed: seed of the split (and of the ``max_poems`` subsample).
        max_poems: use at most this many poems of each length, drawn at random (``None``: all).

    Returns:
        :class:`CoupletsData`. With the defaults: 37,304 / 2,070 / 2,074 couplets of 20,724
        poems; a vocabulary of 5,301 tokens (4 specials included).

    Raises:
        TypeError: if ``line_lengths`` is not an int or a tuple of ints, ``seed`` or
            ``max_poems`` not an int, or ``fractions`` not three numbers.
        ValueError: for a line length other than 5 or 7, ``max_poems < 1``, a negative seed
            or bad fractions.
    """
    lengths = _check_lengths(line_lengths)
    max_poems = V.check_int("max_poems", max_poems, low=1, none=True)
    ex = _extract()
    parts = [[], [], []]                                    # (first, second, poem) per split
    for n in lengths:
        poems = ex[f"regulated{n}"]
        offset = 0 if n == 5 else len(ex["regulated5"])
        keep = np.arange(len(poems))
        if max_poems is not None and max_poems < len(poems):
            keep = np.sort(np.random.default_rng(seed).choice(len(poems), max_poems, replace=False))
        for part, idx in zip(parts, split_indices(len(keep), fractions, seed)):
            for p in keep[idx]:
                lines = poems[p]
                part += [(lines[0], lines[1], offset + p), (lines[2], lines[3], offset + p)]
    vocab = Vocab.build([a + b for a, b, _ in parts[0]])
    splits = []
    for part in parts:
        first, second, poem = (np.array(col) for col in zip(*part))
        splits.append(CoupletsSplit(first, second, *_encode_pairs(first, second, vocab), poem.astype(np.int64)))
    primer = np.array([p for p in ex["primer"] if len(p[0]) in lengths]).reshape(-1, 2)
    return CoupletsData(*splits, vocab, primer)


class PoemsData(NamedTuple):
    """Train, validation and test quatrains (``names`` holds each poem's text) and the
    character vocabulary of the training poems."""

    train: CharLMSplit
    val: CharLMSplit
    test: CharLMSplit
    vocab: Vocab


def poems_dataset(fractions=(0.9, 0.05, 0.05), seed=0, punctuation=True):
    """Five-character quatrains (五言绝句) for a character-level language model.

    Each poem is one sequence, ``<bos>`` + its characters in, its characters + ``<eos>``
    out, as :func:`~course_pkg.data.text.names_dataset` encodes names. With ``punctuation`` the
    lines are joined as written, ``白日依山尽，黄河入海流。欲穷千里目，更上一层楼。``
    (24 characters), so a model must also learn where lines end.

    Args:
        fractions: ``(train, val, test)`` fractions of the 3,452 poems.
        seed: seed of the split.
        punctuation: keep ``，`` and ``。`` between lines (else 20 characters per poem).

    Returns:
        :class:`PoemsData` (the poems' text in each split's ``names`` field). With the
        defaults: 3,107 / 172 / 173 poems; a vocabulary of 3,479 tokens (4 specials included).

    Raises:
        TypeError: if ``seed`` is not an int, ``punctuation`` not a bool, or ``fractions``
            not three numbers.
        ValueError: for a negative seed or bad fractions.
    """
    V.check_bool("punctuation", punctuation)
    poems = _extract()["quatrains5"]
    texts = np.array(["".join(f"{a}，{b}。" for a, b in zip(p[::2], p[1::2])) if punctuation else "".join(p)
                      for p in poems])
    parts = split_indices(len(texts), fractions, seed)
    vocab = Vocab.build(texts[parts[0]].tolist())
    return PoemsData(*(CharLMSplit(texts[p], *lm_arrays(texts[p].tolist(), vocab)) for p in parts), vocab)
