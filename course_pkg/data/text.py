"""A character corpus of real names, for character-level language models (exercise 1).

Source and licence: the US Census Bureau's 1990 name frequency lists (public domain, a work
of the US federal government), as bundled with the ``names`` package (MIT licence) in the
files ``dist.male.first`` (1,219 names), ``dist.female.first`` (4,275) and
``dist.all.last`` (88,799). The files are read directly (located through ``names.FILES``);
nothing is downloaded. Each line is ``NAME  percent  cumulative-percent  rank``.

Union of the two first-name lists: 5,163 distinct names (331 are on both lists), 2 to 11
letters, A–Z only.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as V
from .batching import pad_sequences, split_indices
from .vocab import BOS_ID, EOS_ID, IGNORE_INDEX, Vocab

KINDS = ("first", "first:male", "first:female", "last")


class NamesCorpus(NamedTuple):
    """Names and their census frequencies.

    Attributes:
        names: ``(N,)`` str, sorted alphabetically, unique.
        freq: ``(N,)`` float64, percent of the population carrying the name (for ``"first"``,
            the mean of the male and female percentages, a list that lacks the name counting 0).
            The files give 3 decimals, so rare surnames have 0.0.
    """

    names: np.ndarray
    freq: np.ndarray


def _read(path):
    """``{NAME: percent}`` from one census file."""
    out = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if parts:
                out[parts[0]] = float(parts[1])
    return out


def load_names(kind="first", lower=True):
    """Load census names from the ``names`` package's bundled files.

    Args:
        kind: ``"first"`` (male and female first names, 5,163), ``"first:male"`` (1,219),
            ``"first:female"`` (4,275) or ``"last"`` (88,799).
        lower: lower-case the names (the files are upper-case).

    Returns:
        :class:`NamesCorpus` ``(names (N,) str, freq (N,) float64)``.

    Raises:
        TypeError: if ``kind`` is not a string.
        ValueError: for an unknown kind.
    """
    V.check_choice("kind", kind, set(KINDS))
    import names as names_pkg

    if kind == "first":
        male, female = _read(names_pkg.FILES["first:male"]), _read(names_pkg.FILES["first:female"])
        table = {n: (male.get(n, 0.0) + female.get(n, 0.0)) / 2 for n in set(male) | set(female)}
    else:
        table = _read(names_pkg.FILES[kind])
    keys = sorted(table)
    shown = [k.lower() if lower else k for k in keys]
    return NamesCorpus(np.array(shown), np.array([table[k] for k in keys], dtype=np.float64))


class CharLMSplit(NamedTuple):
    """One part of a character language-model data set.

    Attributes:
        names: ``(N,)`` str.
        X: ``(N, T)`` int64 inputs ``<bos> c_1 .. c_L`` padded with ``<pad>`` (0).
        Y: ``(N, T)`` int64 targets ``c_1 .. c_L <eos>`` padded with -100 (ignored by the loss).
        lengths: ``(N,)`` int64, ``L + 1`` (characters plus one).
    """

    names: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    lengths: np.ndarray


class CharLMData(NamedTuple):
    """Train, validation and test parts plus the character vocabulary (built on train)."""

    train: CharLMSplit
    val: CharLMSplit
    test: CharLMSplit
    vocab: Vocab


def lm_arrays(texts, vocab):
    """Next-character prediction pairs for each text: input ``<bos> + text``, target ``text + <eos>``.

    Args:
        texts: ``N`` strings.
        vocab: a :class:`~course_pkg.data.vocab.Vocab`.

    Returns:
        ``(X, Y, lengths)``: ``X (N, T)`` int64 padded with 0, ``Y (N, T)`` int64 padded with
        -100, ``lengths (N,)`` int64 with ``T = max(lengths)``.
    """
    ids = [vocab.encode(t) for t in texts]
    X, lengths = pad_sequences([np.r_[BOS_ID, i] for i in ids], pad_value=0, dtype=np.int64)
    Y, _ = pad_sequences([np.r_[i, EOS_ID] for i in ids], pad_value=IGNORE_INDEX, dtype=np.int64)
    return X, Y, lengths


def names_dataset(kind="first", fractions=(0.8, 0.1, 0.1), seed=0, lower=True):
    """Names split at random into train/validation/test, encoded for a character-level model.

    Args:
        kind: see :func:`load_names`.
        fractions: ``(train, val, test)``, each ``> 0``, sum ``<= 1``.
        seed: seed of the split.
        lower: lower-case names.

    Returns:
        :class:`CharLMData`; e.g. ``kind="first"``, default fractions: 4,130 / 517 / 516 names,
        vocabulary of 30 (4 specials + 26 letters).

    Raises:
        TypeError: if ``kind`` is not a string, ``seed`` not an int, or ``fractions`` not three numbers.
        ValueError: for an unknown kind, a negative seed or bad fractions.
    """
    corpus = load_names(kind, lower)
    parts = split_indices(len(corpus.names), fractions, seed)
    vocab = Vocab.build(corpus.names[parts[0]].tolist())
    splits = [CharLMSplit(corpus.names[p], *lm_arrays(corpus.names[p].tolist(), vocab)) for p in parts]
    return CharLMData(*splits, vocab)
