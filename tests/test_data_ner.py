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


def test_entities_span_exactly_their_tokens(data):
    """Putting each span back as its {TYPE} slot must give the template the sentence came from."""
    templates = {tuple(ner.tokenize(ner._SLOT.sub(lambda m: f"SLOT{m.group(1)}", t))) for t in ner.TEMPLATES}
    types = set()
    for s in data[:3]:
        for toks, tags, spans in zip(s.tokens, s.tags, s.spans):
            assert ner.bio_spans(tags) == spans
            out, last = [], 0
            for a, b, kind in spans:
                out += toks[last:a] + [f"SLOT{kind}"]
                last = b
                types.add(kind)
                if kind == "DATE":                      # a date span parses back as a date
                    assert dates.parse_date(" ".join(toks[a:b]).replace(" ,", ","))
                else:
                    assert toks[a][0].isupper()
            assert tuple(out + toks[last:]) in templates
    assert types == set(ner.TYPES)


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
])
def test_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        ner.ner_dataset(**kwargs)
