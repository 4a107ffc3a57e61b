"""Generated named-entity sentences with BIO tags (exercise 3, bidirectional GRU tagger).

Source and licence: sentences from hand-written templates (part of ``course_pkg``) filled
with fake entities from the ``Faker`` package (MIT licence): person names
(``name``/``first_name``), places (``city``, ``country``), organisations (``company``) and
dates (``date_between`` over 1950–2030, written as "March 5, 2024", "5 March 2024" or
"2024-03-05"). No real people are described.

Tags follow the BIO scheme: ``B-X`` starts an entity of type ``X`` (PER, LOC, ORG, DATE),
``I-X`` continues it, ``O`` is outside any entity. Tag ids are fixed (:data:`TAGS`); padded
target positions hold -100, which ``course_pkg.losses.cross_entropy`` ignores.

Determinism: each call builds its own ``Faker(locale)`` and seeds that instance
(``seed_instance(seed)``: unlike the class-wide ``Faker.seed`` it leaves other Faker users
alone); templates are drawn from ``numpy.random.default_rng(seed)``. The same seed and
the same Faker version give the same sentences (Faker's word lists change between releases).

Held-out templates: with ``split="templates"`` the test sentences come only from
``test_templates`` (by default :data:`HELDOUT_TEMPLATES`, frames that no training sentence
uses), and the training and validation sentences from the templates of :data:`TEMPLATES` that
are not among them. A test score then measures what a tagger learned about entities and their
contexts, not how well it recognises sentence frames it has seen. The default,
``split="random"``, draws every split from all of :data:`TEMPLATES`.

Tokens: entity strings are tokenised with :func:`tokenize` (words, keeping inner hyphens and
apostrophes, and single punctuation marks) and inserted token by token, so every entity
spans exactly its own tokens.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import NamedTuple

import numpy as np

from .. import _validate as V
from ._checks import rng
from .batching import pad_sequences
from .vocab import IGNORE_INDEX, PAD_ID, Vocab

TYPES = ("PER", "LOC", "ORG", "DATE")
TAGS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in "BI")
"""The BIO tags; a tag's id is its index here (``O`` is 0)."""
TAG_TO_ID = {t: i for i, t in enumerate(TAGS)}

TEMPLATES = (
    "{PER} was born in {LOC} on {DATE} .",
    "{PER} works for {ORG} .",
    "{PER} joined {ORG} on {DATE} .",
    "{ORG} opened a new office in {LOC} .",
    "On {DATE} , {PER} met {PER} in {LOC} .",
    "{PER} moved from {LOC} to {LOC} .",
    "{ORG} hired {PER} as a consultant .",
    "The meeting in {LOC} was cancelled .",
    "According to {PER} , {ORG} will report its results on {DATE} .",
    "{PER} and {PER} visited {LOC} last week .",
    "Shares of {ORG} rose after the announcement .",
    "{PER} signed a contract with {ORG} in {LOC} on {DATE} .",
    "The conference starts on {DATE} in {LOC} .",
    "It rained all day and nobody came .",
    "{ORG} was founded by {PER} in {LOC} .",
    "Yesterday {PER} called {PER} about the report .",
)
"""The 16 sentence frames of every split (``split="random"``) and of the training and
validation splits (``split="templates"``); a slot ``{TYPE}`` is filled with a Faker entity."""
HELDOUT_TEMPLATES = (
    "{ORG} hired {PER} in {LOC} on {DATE} .",
    "{PER} met {PER} in {LOC} .",
    "On {DATE} , {ORG} opened a new office in {LOC} .",
    "{ORG} moved from {LOC} to {LOC} .",
    "Yesterday {ORG} hired {PER} .",
    "According to {PER} , the meeting in {LOC} was cancelled .",
    "{PER} called {PER} about the announcement of {ORG} .",
    "The conference in {LOC} starts on {DATE} .",
)
"""The test frames of ``split="templates"``: new sentence frames, none of them in
:data:`TEMPLATES`, written only with words of :data:`TEMPLATES` (so no word of a frame is
unknown to a model trained on them), which put the entity types in new places."""
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_SLOT = re.compile(r"\{(PER|LOC|ORG|DATE)\}")


def tokenize(text):
    """Split text into words (inner ``-`` and ``'`` kept) and single punctuation marks.

    Returns:
        ``list[str]``, e.g. ``"Smith-Jones, Inc."`` -> ``["Smith-Jones", ",", "Inc", "."]``.
    """
    return _TOKEN.findall(text)


def _date_text(d, style):
    if style == 0:
        return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
    if style == 1:
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    return d.isoformat()


def _entity(fk, g, kind):
    """A random entity string of type ``kind``."""
    if kind == "PER":
        return fk.name() if g.random() < 0.8 else fk.first_name()
    if kind == "LOC":
        return fk.city() if g.random() < 0.7 else fk.country()
    if kind == "ORG":
        return fk.company()
    d = fk.date_between(start_date=_dt.date(1950, 1, 1), end_date=_dt.date(2030, 12, 31))
    return _date_text(d, int(g.integers(3)))


def _fill(fk, g, template):
    """``(tokens, tags, spans)`` of one filled template."""
    tokens, tags, spans = [], [], []
    for piece in _SLOT.split(template):
        if piece in TYPES:
            ent = tokenize(_entity(fk, g, piece)) or ["X"]
            spans.append((len(tokens), len(tokens) + len(ent), piece))
            tags += [f"B-{piece}"] + [f"I-{piece}"] * (len(ent) - 1)
            tokens += ent
        else:
            words = tokenize(piece)
            tokens += words
            tags += ["O"] * len(words)
    return tokens, tags, spans


def bio_spans(tags):
    """Entities of a BIO tag sequence as ``(start, end, type)``, ``end`` exclusive.

    Args:
        tags: sequence of tag strings.

    Returns:
        ``list[tuple[int, int, str]]``.

    Raises:
        TypeError: if ``tags`` is a string or not iterable, or a tag is not a string.
        ValueError: if the tags are not well-formed BIO (an ``I-X`` that follows neither
            ``B-X`` nor ``I-X``, or an unknown tag).
    """
    if isinstance(tags, str) or not hasattr(tags, "__iter__"):
        raise TypeError(f"Expected tags to be a sequence of str tags, got {type(tags).__name__}")
    spans, start, kind = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        V.check_type(f"tags[{i}]", tag, str, "a str")
        if tag not in TAG_TO_ID:
            raise ValueError(f"Expected a tag in {TAGS}, got {tag!r}")
        if tag.startswith("I-"):
            if kind != tag[2:]:
                raise ValueError(f"Expected B-{tag[2:]} or I-{tag[2:]} before {tag} at {i}, got "
                                 f"{tags[i - 1] if i else 'the start'}")
            continue
        if kind is not None:
            spans.append((start, i, kind))
        start, kind = (i, tag[2:]) if tag.startswith("B-") else (None, None)
    return spans


class NerSplit(NamedTuple):
    """One split of the NER corpus.

    Attributes:
        tokens: ``N`` token lists.
        tags: ``N`` tag-string lists (same lengths as ``tokens``).
        X: ``(N, T)`` int64 word ids padded with ``<pad>`` (0).
        y: ``(N, T)`` int64 tag ids (:data:`TAGS`) padded with -100.
        lengths: ``(N,)`` int64 sentence lengths.
        spans: ``N`` lists of ``(start, end, type)`` entities.
    """

    tokens: list
    tags: list
    X: np.ndarray
    y: np.ndarray
    lengths: np.ndarray
    spans: list


class NerData(NamedTuple):
    """Train, validation, test, the word vocabulary (built on train) and the tag names."""

    train: NerSplit
    val: NerSplit
    test: NerSplit
    vocab: Vocab
    tags: tuple


def _to_split(rows, vocab):
    tokens, tags, spans = (list(c) for c in zip(*rows))
    X, lengths = pad_sequences([vocab.encode(t) for t in tokens], pad_value=PAD_ID, dtype=np.int64)
    y, _ = pad_sequences([[TAG_TO_ID[t] for t in ts] for ts in tags], pad_value=IGNORE_INDEX, dtype=np.int64)
    return NerSplit(tokens, tags, X, y, lengths, spans)


def ner_dataset(n_train=3000, n_val=500, n_test=500, locale="en_US", seed=0, *, split="random",
                test_templates=HELDOUT_TEMPLATES):
    """Generate BIO-tagged sentences from templates and Faker entities.

    Args:
        n_train, n_val, n_test: number of sentences per split.
        locale: Faker locale of the entities (e.g. ``"en_US"``, ``"de_DE"``, ``"zh_CN"``);
            the templates stay English.
        seed: seed of the Faker instance and of the template choice.
        split: ``"random"`` (every split drawn from all :data:`TEMPLATES`) or
            ``"templates"`` (the test split drawn only from ``test_templates``, training and
            validation only from the templates of :data:`TEMPLATES` not among them).
        test_templates: the templates of the test split when ``split="templates"``: new
            ones like :data:`HELDOUT_TEMPLATES` (slots ``{PER}``, ``{LOC}``, ``{ORG}``,
            ``{DATE}``) or templates of :data:`TEMPLATES`, which training and validation
            then leave out; at least one, and at least one of :data:`TEMPLATES` must remain.
            Ignored with ``split="random"``.

    Returns:
        :class:`NerData`. With the defaults sentences have 5 to about 30 tokens; the
        vocabulary is built on training tokens, so many test names (and, with
        ``split="templates"``, words of held-out frames from :data:`TEMPLATES`) map to
        ``<unk>``.

    Raises:
        TypeError, ValueError: on a non-int or non-positive size, an unknown split or
            template, or ``test_templates`` that leave no template for training.
        AttributeError: if Faker has no such locale (Faker's own error).
    """
    sizes = [V.check_int(k, v, low=1) for k, v in (("n_train", n_train), ("n_val", n_val),
                                                    ("n_test", n_test))]
    V.check_choice("split", split, {"random", "templates"})
    train_templates, test_templates = _split_templates(split, test_templates)
    from faker import Faker

    fk = Faker(locale)
    fk.seed_instance(int(seed))
    g = rng(seed)
    a, b = sizes[0], sizes[0] + sizes[1]
    if split == "random":     # all templates drawn at once, as before split existed: same sentences
        rows = [_fill(fk, g, TEMPLATES[i]) for i in g.integers(len(TEMPLATES), size=sum(sizes))]
    else:
        rows = [_fill(fk, g, train_templates[i]) for i in g.integers(len(train_templates), size=b)]
        rows += [_fill(fk, g, test_templates[i]) for i in g.integers(len(test_templates), size=sizes[2])]
    vocab = Vocab.build([r[0] for r in rows[:a]])
    return NerData(_to_split(rows[:a], vocab), _to_split(rows[a:b], vocab), _to_split(rows[b:], vocab),
                   vocab, TAGS)


def _split_templates(split, test_templates):
    """``(train templates, test templates)`` as lists of template strings."""
    if split == "random":
        return list(TEMPLATES), list(TEMPLATES)
    if isinstance(test_templates, str) or not hasattr(test_templates, "__iter__"):
        raise TypeError(f"Expected test_templates to be a sequence of template strings, got "
                        f"{type(test_templates).__name__}")
    test = list(dict.fromkeys(test_templates))
    for t in test:
        V.check_type("a test template", t, str, "a str")
        if "{" in _SLOT.sub("", t) or "}" in _SLOT.sub("", t):
            raise ValueError(f"Expected a template whose only slots are {{PER}}, {{LOC}}, {{ORG}} "
                             f"and {{DATE}}, got {t!r}")
    train = [t for t in TEMPLATES if t not in test]
    if not test or not train:
        raise ValueError(f"Expected at least one test template and one of ner.TEMPLATES left for "
                         f"training, got {len(test)} test and {len(train)} training templates")
    return train, test
