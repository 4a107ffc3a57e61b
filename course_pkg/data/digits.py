"""Handwritten digits as 1-vs-N captioning and N-vs-1 row-by-row classification.

Source and licence: scikit-learn's ``load_digits`` (shipped inside the scikit-learn wheel,
BSD-3-Clause): 1,797 images of 8×8 pixels with values 0–16, the test set of the UCI
"Optical Recognition of Handwritten Digits" data (Alpaydin & Kaynak, 1998; CC BY 4.0).
Pixels are divided by 16 so they lie in ``[0, 1]``.

- :func:`digits_captions` — *one vs many*: an image (a vector, fed once) -> its digit
  spelled out ("seven"), character by character or as a word.
- :func:`digits_rows` — *many vs one*: the image read top to bottom, one row of 8 pixels
  per step, -> the digit class.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as V
from .batching import pad_sequences, split_indices
from .vocab import BOS_ID, EOS_ID, IGNORE_INDEX, PAD_ID, Vocab

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def load_digit_images():
    """All 1,797 digit images, scaled to ``[0, 1]``, and their labels.

    Returns:
        ``(images, labels)``: ``images (1797, 8, 8)`` float64, ``labels (1797,)`` int64 in 0..9.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float64) / 16.0, d.target.astype(np.int64)


class DigitsRowsData(NamedTuple):
    """N-vs-1 data: ``X_* (n, 8, 8)`` float64 (8 steps of 8 features) and ``y_* (n,)`` int64."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits_rows(fractions=(0.7, 0.15, 0.15), seed=0):
    """Digit images as sequences of rows, for sequence classification (many vs one).

    Args:
        fractions: ``(train, val, test)`` shares, each ``> 0``, sum ``<= 1``.
        seed: seed of the random split.

    Returns:
        :class:`DigitsRowsData`; default sizes 1,258 / 269 / 270.

    Raises:
        ValueError: on bad fractions.
    """
    images, labels = load_digit_images()
    parts = split_indices(len(labels), fractions, seed)
    return DigitsRowsData(*[a for p in parts for a in (images[p], labels[p])])


class CaptionSplit(NamedTuple):
    """One split of the captioning task.

    Attributes:
        images: ``(n, 8, 8)`` float64 (flatten to ``(n, 64)`` for the initial state).
        labels: ``(n,)`` int64 digit classes.
        captions: ``(n,)`` str, the spelled digits.
        Y_in: ``(n, T)`` int64 decoder inputs ``<bos> + caption`` padded with ``<pad>`` (0).
        Y_out: ``(n, T)`` int64 targets ``caption + <eos>`` padded with -100.
        lengths: ``(n,)`` int64, caption length + 1.
    """

    images: np.ndarray
    labels: np.ndarray
    captions: np.ndarray
    Y_in: np.ndarray
    Y_out: np.ndarray
    lengths: np.ndarray


class CaptionData(NamedTuple):
    """Train, validation, test and the caption vocabulary."""

    train: CaptionSplit
    val: CaptionSplit
    test: CaptionSplit
    vocab: Vocab


def digits_captions(level="char", fractions=(0.7, 0.15, 0.15), seed=0):
    """Digit images captioned with their spelled-out name (one vs many).

    Args:
        level: ``"char"`` — the caption is a character sequence (``"seven"`` -> s e v e n
            <eos>, vocabulary of 4 specials + 15 letters = 19, at most 6 steps); ``"word"`` —
            one token per caption (the word, then <eos>: vocabulary 4 + 10 = 14, 2 steps).
        fractions: ``(train, val, test)`` shares, each ``> 0``, sum ``<= 1``.
        seed: seed of the random split (the same split as :func:`digits_rows` with the same
            fractions and seed).

    Returns:
        :class:`CaptionData`; default sizes 1,258 / 269 / 270.

    Raises:
        ValueError: for an unknown level or bad fractions.
    """
    V.check_choice("level", level, {"char", "word"})
    images, labels = load_digit_images()
    captions = np.array([WORDS[k] for k in labels])
    seqs = [list(w) if level == "char" else [w] for w in WORDS]
    vocab = Vocab.build(seqs)
    parts = split_indices(len(labels), fractions, seed)
    return CaptionData(*[_caption_split(images[p], labels[p], captions[p], seqs, vocab) for p in parts], vocab)


def _caption_split(images, labels, captions, seqs, vocab):
    ids = [vocab.encode(seqs[k]) for k in labels]
    Y_in, lengths = pad_sequences([np.r_[BOS_ID, i] for i in ids], pad_value=PAD_ID, dtype=np.int64)
    Y_out, _ = pad_sequences([np.r_[i, EOS_ID] for i in ids], pad_value=IGNORE_INDEX, dtype=np.int64)
    return CaptionSplit(images, labels, captions, Y_in, Y_out, lengths)
