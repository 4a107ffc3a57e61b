"""A vocabulary mapping tokens (characters or words) to integer ids and back.

The four special tokens always come first, with fixed ids::

    <pad> 0    <unk> 1    <bos> 2    <eos> 3

so ``0`` can pad every batch and ``-100`` (not a token id) marks targets to ignore. A token
never seen when the vocabulary was built maps to ``<unk>``, never to another token.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from .. import _validate as V

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
IGNORE_INDEX = -100


class Vocab:
    """Token <-> id lookup with ``<pad> <unk> <bos> <eos>`` at ids 0..3.

    Args:
        tokens: the ordinary tokens, in id order (ids start at 4). Duplicates and the
            special strings are not allowed.

    Raises:
        TypeError: if ``tokens`` is a string or not iterable, or a token is not a string.
        ValueError: on a duplicate token or a token equal to a special.
    """

    def __init__(self, tokens=()):
        tokens = _token_list("tokens", tokens)
        bad = [t for t in tokens if not isinstance(t, str)]
        if bad:
            raise TypeError(f"Expected string tokens, got {type(bad[0]).__name__} {bad[0]!r}")
        dup = [t for t, c in Counter(tokens).items() if c > 1 or t in SPECIALS]
        if dup:
            raise ValueError(f"Expected unique, non-special tokens, got {dup[:5]}")
        self.itos = list(SPECIALS) + tokens
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, texts, min_freq=1, max_size=None, order="sorted"):
        """Build a vocabulary from a corpus.

        Args:
            texts: iterable of sequences of tokens. A string is a sequence of characters,
                so a list of strings builds a character vocabulary; a list of token lists
                builds a word vocabulary.
            min_freq: keep tokens seen at least this often.
            max_size: keep at most this many ordinary tokens (the most frequent; ties broken
                alphabetically); ``None`` keeps all.
            order: ``"sorted"`` (ids in alphabetical order of the tokens) or ``"freq"`` (most
                frequent first, ties alphabetical). Both are deterministic.

        Returns:
            A :class:`Vocab`.

        Raises:
            TypeError: if ``texts`` is a string or not an iterable of sequences, a token is
                not a string, ``min_freq``/``max_size`` not an int, or ``order`` not a string.
            ValueError: on a non-positive ``min_freq`` or ``max_size`` or an unknown ``order``.
        """
        min_freq = V.check_int("min_freq", min_freq, low=1)
        max_size = V.check_int("max_size", max_size, low=1, none=True)
        V.check_choice("order", order, {"sorted", "freq"})
        texts = _token_list("texts", texts)
        if not all(isinstance(t, str) or hasattr(t, "__iter__") for t in texts):
            bad = next(t for t in texts if not (isinstance(t, str) or hasattr(t, "__iter__")))
            raise TypeError(f"Expected texts to hold sequences of tokens, got {type(bad).__name__} {bad!r}")
        counts = Counter(tok for text in texts for tok in text)
        for s in SPECIALS:
            counts.pop(s, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size]
        return cls(kept if order == "freq" else sorted(kept))

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __getitem__(self, token):
        """Id of ``token`` (``<unk>``'s id for an unknown token)."""
        return self.stoi.get(token, UNK_ID)

    def __eq__(self, other):
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self):
        shown = ", ".join(repr(t) for t in self.itos[4:12])
        return f"Vocab({len(self)} tokens: specials + [{shown}{', ...' if len(self) > 12 else ''}])"

    def encode(self, tokens, add_bos=False, add_eos=False):
        """Ids of a sequence of tokens (a string encodes character by character).

        Args:
            tokens: a string or a sequence of token strings.
            add_bos: prepend ``<bos>`` (id 2).
            add_eos: append ``<eos>`` (id 3).

        Returns:
            ``(L,)`` int64, ``L = len(tokens) + add_bos + add_eos``. Unknown tokens give 1.

        Raises:
            TypeError: if ``tokens`` is not a string or a sequence of strings, or ``add_bos``
                or ``add_eos`` not a bool.
        """
        add_bos, add_eos = V.check_bool("add_bos", add_bos), V.check_bool("add_eos", add_eos)
        if not isinstance(tokens, str):
            if not hasattr(tokens, "__iter__"):
                raise TypeError(f"Expected tokens to be a string or a sequence of strings, "
                                f"got {type(tokens).__name__}")
            tokens = list(tokens)
            if any(not isinstance(t, str) for t in tokens):
                raise TypeError(f"Expected a string or a sequence of strings, got {tokens[:3]!r}")
        ids = [BOS_ID] * add_bos + [self.stoi.get(t, UNK_ID) for t in tokens] + [EOS_ID] * add_eos
        return np.array(ids, dtype=np.int64)

    def decode(self, ids, sep=None, skip_specials=True, stop_at_eos=True):
        """Tokens of a sequence of ids.

        Args:
            ids: ``(L,)`` ints in ``[0, len(self))``; ``-100`` (ignored target padding) reads
                as ``<pad>``.
            sep: ``None`` returns a list of tokens; a string joins them (``""`` for characters,
                ``" "`` for words).
            skip_specials: drop ``<pad>``, ``<bos>`` and ``<eos>`` (``<unk>`` is kept, so that
                an unknown token stays visible).
            stop_at_eos: drop the first ``<eos>`` and everything after it.

        Returns:
            ``list[str]`` or ``str``.

        Raises:
            TypeError: if ``ids`` are not integers, ``sep`` is neither ``None`` nor a string,
                or ``skip_specials``/``stop_at_eos`` is not a bool.
            ValueError: if an id (before the first ``<eos>`` when ``stop_at_eos``) is outside
                ``[0, len(self))`` and not -100.
        """
        V.check_type("sep", sep, (str, type(None)), "None or a str")
        skip_specials = V.check_bool("skip_specials", skip_specials)
        stop_at_eos = V.check_bool("stop_at_eos", stop_at_eos)
        ids = [PAD_ID if i == IGNORE_INDEX else int(i) for i in V.check_ids("ids", ids).reshape(-1)]
        if stop_at_eos and EOS_ID in ids:
            ids = ids[: ids.index(EOS_ID)]
        bad = [i for i in ids if not 0 <= i < len(self.itos)]
        if bad:
            raise ValueError(f"Expected ids in [0, {len(self.itos)}) or -100, got {bad[0]}")
        toks = [self.itos[i] for i in ids if not (skip_specials and i in (PAD_ID, BOS_ID, EOS_ID))]
        return toks if sep is None else sep.join(toks)

    def encode_batch(self, texts, add_bos=False, add_eos=False):
        """Encode and pad many sequences with ``<pad>`` (id 0).

        Returns:
            ``(ids, lengths)``: ``ids (N, T)`` int64, ``lengths (N,)`` int64.

        Raises:
            TypeError: if ``texts`` is a string or not iterable, or as :meth:`encode`.
            ValueError: if ``texts`` is empty.
        """
        from .batching import pad_sequences
        texts = _token_list("texts", texts)
        return pad_sequences([self.encode(t, add_bos, add_eos) for t in texts], pad_value=PAD_ID,
                             dtype=np.int64)

    def to_dict(self):
        """A JSON-ready description: ``{"itos": [...]}`` including the specials."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, d):
        """Rebuild a vocabulary saved with :meth:`to_dict`.

        Raises:
            TypeError: if ``d`` is not a dict or its ``"itos"`` not a list of strings.
            ValueError: if ``d`` has no ``"itos"`` or the list does not start with the four specials.
        """
        V.check_type("d", d, Mapping, "a dict {'itos': [...]}")
        if "itos" not in d:
            raise ValueError(f"Expected d to hold 'itos', got keys {sorted(d)}")
        itos = _token_list("d['itos']", d["itos"])
        if tuple(itos[:4]) != SPECIALS:
            raise ValueError(f"Expected itos to start with {list(SPECIALS)}, got {itos[:4]}")
        return cls(itos[4:])


def _token_list(name, tokens):
    """``tokens`` (an iterable other than a single string) as a list."""
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise TypeError(f"Expected {name} to be a list (or another iterable) of tokens, "
                        f"got {type(tokens).__name__}")
    return list(tokens)

