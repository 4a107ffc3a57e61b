"""course_pkg.data.sentiment: compositional labels, balance, held-out pairs, a bag-of-words baseline."""
import numpy as np
import pytest

from course_pkg.data import sentiment as S


@pytest.fixture(scope="module")
def data():
    return S.sentiment_dataset(seed=0)


def oracle(tokens):
    """The label by the rules: the clause after "but" decides; "not"/"never" flip its adjective."""
    clause = tokens[tokens.index("but") + 1:] if "but" in tokens else tokens
    adjs = [t for t in clause if t in S.POSITIVE + S.NEGATIVE]
    assert len(adjs) == 1, tokens
    positive = adjs[0] in S.POSITIVE
    return int(positive != ("not" in clause or "never" in clause))


def test_sizes_and_vocab(data):
    assert [len(s.y) for s in data[:3]] == [4000, 500, 1000]
    assert len(data.vocab) == 60
    for s in data[:3]:
        assert s.X.shape == (len(s.y), s.lengths.max()) and 5 <= s.lengths.min() and s.lengths.max() <= 14
        assert all(len(t) == n for t, n in zip(s.tokens, s.lengths))
        assert (s.X[np.arange(s.X.shape[1]) >= s.lengths[:, None]] == 0).all()


def test_labels_follow_the_composition_rules(data):
    for s in data[:3]:
        assert [oracle(t) for t in s.tokens] == s.y.tolist()
        for t, p in zip(s.tokens, s.pattern):
            assert ("but" in t) == (p == "contrast") and (("not" in t or "never" in t) == (p == "negated"))


def test_labels_are_balanced_per_split_and_pattern(data):
    for s in data[:3]:
        assert abs(int(s.y.sum()) * 2 - len(s.y)) <= 1
        for p in S.PATTERNS:
            m = s.pattern == p
            assert abs(m.sum() - len(s.y) / 4) <= 1 and abs(2 * s.y[m].sum() - m.sum()) <= 1


def test_heldout_combinations_are_absent_from_training(data):
    held = set(data.heldout)
    assert len(held) == 24 and len({a for _, a in held}) == 24
    for p in S.PATTERNS:
        adjs = [a for q, a in held if q == p]
        assert sum(a in S.POSITIVE for a in adjs) == 3 and len(adjs) == 6
    pairs = lambda s: set(zip(s.pattern.tolist(), s.adjective.tolist()))  # noqa: E731
    assert not pairs(data.train) & held and not pairs(data.val) & held
    assert pairs(data.test) <= held and pairs(data.test) == held
    # every held-out key adjective is still seen in training (in its other patterns)
    assert {a for _, a in held} <= set(data.train.adjective.tolist())


def test_no_sentence_repeats_within_or_across_splits(data):
    sents = [" ".join(t) for s in data[:3] for t in s.tokens]
    assert len(set(sents)) == len(sents)
    r = S.sentiment_dataset(1000, 100, 200, split="random", seed=1)
    assert r.heldout == () and len({" ".join(t) for s in r[:3] for t in s.tokens}) == 1300


def _bow(X, V):
    M = np.zeros((len(X), V))
    np.add.at(M, (np.repeat(np.arange(len(X)), X.shape[1]), X.ravel()), 1.0)
    M[:, 0] = 0.0                                                         # <pad>
    return M


def test_bag_of_words_fails_on_negation_and_contrast(data):
    from sklearn.linear_model import LogisticRegression

    V = len(data.vocab)
    clf = LogisticRegression(max_iter=2000).fit(_bow(data.train.X, V), data.train.y)
    acc = {p: clf.score(_bow(data.test.X[data.test.pattern == p], V), data.test.y[data.test.pattern == p])
           for p in S.PATTERNS}
    # measured with seed 0: simple 0.992, intensified 0.988, negated 0.000, contrast 0.236
    assert acc["simple"] >= 0.95 and acc["intensified"] >= 0.95
    assert acc["negated"] <= 0.05 and acc["contrast"] <= 0.4
    assert (acc["simple"] + acc["intensified"]) / 2 - (acc["negated"] + acc["contrast"]) / 2 >= 0.75


def test_same_seed_same_data():
    a, b, c = (S.sentiment_dataset(400, 40, 80, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.train.X, b.train.X) and np.array_equal(a.test.y, b.test.y) and a.vocab == b.vocab
    assert not np.array_equal(a.train.X, c.train.X) and a.heldout != c.heldout


def test_polarity():
    assert S.polarity("good") == 1 and S.polarity("dull") == 0
    with pytest.raises(ValueError, match="adjective of the lexicon"):
        S.polarity("purple")


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(n_train=0), ValueError, "Expected n_train >= 1, got 0"),
    (dict(n_val=-5), ValueError, "n_val"),
    (dict(n_test=10.0), TypeError, "n_test to be an int, got float"),
    (dict(split="words"), ValueError, "split"),
    (dict(n_test=100000), ValueError, "at most"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        S.sentiment_dataset(**kwargs)
