"""course_pkg.data.ner: BIO tags well-formed, entities on the right tokens, seeded Faker."""
import numpy as np
import pytest

from course_pkg.data import dates, ner


@pytest.fixture(scope="module")
def data():
    return ner.ner_dataset(n_train=1500, n_val=200, n_test=300, seed=0)


def test_tag_vocab():
    assert ner.TAGS == ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-DATE", "I-DATE")
    assert all(ner.TAG_TO_ID[t] == i for i, t in enumerate(ner.TAGS))


def test_shapes_and_padding(data):
    assert [len(s.tokens) for s in data[:3]] == [1500, 200, 300]
    for s in data[:3]:
        assert s.X.shape == s.y.shape == (len(s.tokens), s.lengths.max())
        pad = np.arange(s.X.shape[1]) >= s.lengths[:, None]
        assert (s.X[pad] == 0).all() and (s.y[pad] == -100).all() and (s.y[~pad] >= 0).all()
        for t, g, ids, n in zip(s.tokens, s.tags, s.y, s.lengths):
            assert len(t) == len(g) == n and [ner.TAGS[i] for i in ids[:n]] == g


def test_bio_is_well_formed(data):
    for s in data[:3]:
        for tags in s.tags:
            for prev, cur in zip(["O"] + tags, tags):
                if cur.startswith("I-"):
                    assert prev in (f"B-{cur[2:]}", f"I-{cur[2:]}")


def frame(tokens, spans):
    """The template a sentence was filled from: each entity put back as its {TYPE} slot."""
    out, last = [], 0
    for a, b, kind in spans:
        out += tokens[last:a] + [f"{{{kind}}}"]
        last = b
    return " ".join(out + tokens[last:])


def test_entities_span_exactly_their_tokens(data):
    """Putting each span back as its {TYPE} slot must give the template the sentence came from."""
    types = set()
    for s in data[:3]:
        for toks, tags, spans in zip(s.tokens, s.tags, s.spans):
            assert ner.bio_spans(tags) == spans
            for a, b, kind in spans:
                types.add(kind)
                if kind == "DATE":                      # a date span parses back as a date
                    assert dates.parse_date(" ".join(toks[a:b]).replace(" ,", ","))
                else:
                    assert toks[a][0].isupper()
            assert frame(toks, spans) in ner.TEMPLATES
    assert types == set(ner.TYPES)


def test_default_split_is_unchanged():
    """The templates drawn for seed 0 (they depend on NumPy's generator only, not on Faker's
    word lists) are those of the first version: exercise 9's data must not move."""
    d = ner.ner_dataset(8, 2, 2, seed=0)
    drawn = [[ner.TEMPLATES.index(frame(t, sp)) for t, sp in zip(s.tokens, s.spans)] for s in d[:3]]
    assert drawn == [[13, 10, 8, 4, 4, 0, 1, 0], [2, 13], [10, 14]]
    e = ner.ner_dataset(8, 2, 2, seed=0, split="random", test_templates=ner.TEMPLATES[:3])
    assert all(a.tokens == b.tokens and np.array_equal(a.X, b.X) for a, b in zip(d[:3], e[:3]))


def test_held_out_templates():
    """split="templates": the test split uses only the held-out frames, train and val never."""
    d = ner.ner_dataset(400, 100, 200, seed=1, split="templates")
    assert {frame(t, sp) for t, sp in zip(d.test.tokens, d.test.spans)} == set(ner.HELDOUT_TEMPLATES)
    seen = {frame(t, sp) for s in d[:2] for t, sp in zip(s.tokens, s.spans)}
    assert seen == set(ner.TEMPLATES)
    assert set(d.vocab.itos[4:]) == {t for toks in d.train.tokens for t in toks}
    for tags in d.test.tags:
        ner.bio_spans(tags)


def test_held_out_frames_are_new_frames_of_known_words():
    known = {w for t in ner.TEMPLATES for w in ner.tokenize(ner._SLOT.sub(" ", t))}
    types = set()
    for t in ner.HELDOUT_TEMPLATES:
        assert t not in ner.TEMPLATES
        assert set(ner.tokenize(ner._SLOT.sub(" ", t))) <= known
        types |= set(ner._SLOT.findall(t))
    assert types == set(ner.TYPES)


def test_templates_of_the_list_can_be_held_out():
    held = (ner.TEMPLATES[2], ner.TEMPLATES[6])
    d = ner.ner_dataset(300, 50, 100, seed=2, split="templates", test_templates=held)
    assert {frame(t, sp) for t, sp in zip(d.test.tokens, d.test.spans)} == set(held)
    seen = {frame(t, sp) for s in d[:2] for t, sp in zip(s.tokens, s.spans)}
    assert seen == set(ner.TEMPLATES) - set(held)


def test_bio_spans_decoder():
    assert ner.bio_spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]) == [(0, 2, "PER"), (3, 4, "LOC"),
                                                                                 (4, 6, "LOC")]
    assert ner.bio_spans([]) == [] and ner.bio_spans(["O"]) == []
    for bad in (["I-PER"], ["O", "I-ORG"], ["B-LOC", "I-PER"], ["B-XYZ"]):
        with pytest.raises(ValueError, match="Expected"):
            ner.bio_spans(bad)


def test_tokenize():
    assert ner.tokenize("Smith-Jones, Inc. and O'Brien") == ["Smith-Jones", ",", "Inc", ".", "and", "O'Brien"]


def test_vocab_is_built_on_train(data):
    assert set(data.vocab.itos[4:]) == {t for toks in data.train.tokens for t in toks}
    assert (data.test.X == 1).any()                                       # unseen names -> <unk>


def test_same_seed_same_sentences():
    a, b, c = (ner.ner_dataset(60, 10, 10, seed=s) for s in (3, 3, 4))
    assert a.train.tokens == b.train.tokens and np.array_equal(a.train.y, b.train.y)
    assert a.train.tokens != c.train.tokens


def test_other_locale():
    d = ner.ner_dataset(40, 5, 5, locale="zh_CN", seed=0)
    for tags in d.train.tags:
        ner.bio_spans(tags)
    per = [t for toks, sp in zip(d.train.tokens, d.train.spans) for a, b, k in sp if k == "PER" for t in toks[a:b]]
    assert per and all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in per)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(n_train=0), ValueError, "Expected n_train >= 1, got 0"),
    (dict(n_test=-1), ValueError, "n_test"),
    (dict(n_val="10"), TypeError, "n_val to be an int, got str"),
    (dict(split="frames"), ValueError, r"Expected split in \['random', 'templates'\], got 'frames'"),
    (dict(split="templates", test_templates="{PER} works ."), TypeError,
     "Expected test_templates to be a sequence of template strings, got str"),
    (dict(split="templates", test_templates=[3]), TypeError, "Expected a test template to be a str, got int"),
    (dict(split="templates", test_templates=["{PERSON} left ."]), ValueError,
     r"Expected a template whose only slots are \{PER\}, \{LOC\}, \{ORG\} and \{DATE\}, got '\{PERSON\} left \.'"),
    (dict(split="templates", test_templates=ner.TEMPLATES), ValueError,
     "Expected at least one test template and one of ner.TEMPLATES left for training, got 16 test and 0"),
    (dict(split="templates", test_templates=[]), ValueError, "got 0 test and 16 training templates"),
])
def test_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        ner.ner_dataset(**kwargs)
