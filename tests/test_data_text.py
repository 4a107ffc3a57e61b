"""course_pkg.data.vocab and .text: the Vocab class and the census-names corpus."""
import json

import numpy as np
import pytest

from course_pkg.data import text as T
from course_pkg.data.vocab import Vocab


def test_specials_come_first():
    v = Vocab.build(["hello", "world"])
    assert v.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert [v["<pad>"], v["<unk>"], v["<bos>"], v["<eos>"]] == [0, 1, 2, 3]
    assert len(v) == 4 + len(set("helloworld")) and "h" in v and "z" not in v


def test_encode_decode_round_trip():
    v = Vocab.build(["abc", "cab"])
    ids = v.encode("cab", add_bos=True, add_eos=True)
    assert ids.dtype == np.int64 and ids[0] == 2 and ids[-1] == 3 and len(ids) == 5
    assert v.decode(ids, sep="") == "cab" and v.decode(ids) == ["c", "a", "b"]
    assert v.decode(np.r_[ids, 4, 5]) == ["c", "a", "b"]                      # stops at <eos>
    assert v.decode(np.r_[ids, 4], stop_at_eos=False, sep="") == "caba"
    assert v.decode(ids, skip_specials=False) == ["<bos>", "c", "a", "b"]
    assert v.decode(ids, skip_specials=False, stop_at_eos=False) == ["<bos>", "c", "a", "b", "<eos>"]


def test_unknown_symbol_maps_to_unk_never_to_another_character():
    v = Vocab.build(["abc"])
    ids = v.encode("abzc")
    assert ids.tolist() == [v["a"], v["b"], 1, v["c"]]
    assert v.decode(ids, sep="") == "ab<unk>c"
    assert v["é"] == 1 and v["A"] == 1                                      # no case folding either
    assert 1 not in v.encode("cab")


def test_word_vocab_and_orders():
    texts = [["the", "cat", "sat"], ["the", "dog"], ["the", "cat"]]
    assert Vocab.build(texts).itos[4:] == ["cat", "dog", "sat", "the"]
    assert Vocab.build(texts, order="freq").itos[4:] == ["the", "cat", "dog", "sat"]
    assert Vocab.build(texts, min_freq=2).itos[4:] == ["cat", "the"]
    assert Vocab.build(texts, max_size=1).itos[4:] == ["the"]
    assert Vocab.build(texts).encode(["the", "cow"]).tolist() == [7, 1]


def test_to_dict_from_dict_round_trip_through_json():
    v = Vocab.build(["names", "are", "fun"])
    w = Vocab.from_dict(json.loads(json.dumps(v.to_dict())))
    assert w == v and w.encode("safe").tolist() == v.encode("safe").tolist()
    with pytest.raises(ValueError, match="start with"):
        Vocab.from_dict({"itos": ["a", "b", "c", "d"]})


def test_encode_batch_pads_with_zero():
    v = Vocab.build(["ab", "abc"])
    ids, lengths = v.encode_batch(["ab", "abc", ""], add_eos=True)
    assert ids.shape == (3, 4) and lengths.tolist() == [3, 4, 1]
    assert ids[0, 3] == 0 and ids[2].tolist() == [3, 0, 0, 0]


@pytest.mark.parametrize("call, err, match", [
    (lambda: Vocab(["a", "a"]), ValueError, "unique"),
    (lambda: Vocab(["<unk>"]), ValueError, "non-special"),
    (lambda: Vocab([1, 2]), TypeError, "Expected string tokens, got int"),
    (lambda: Vocab.build(["ab"]).decode([99]), ValueError, "ids in"),
    (lambda: Vocab.build(["ab"]).encode([1, 2]), TypeError, "sequence of strings"),
    (lambda: Vocab.build(["ab"], min_freq=0), ValueError, "min_freq"),
    (lambda: Vocab.build(["ab"], order="random"), ValueError, "order"),
])
def test_vocab_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


@pytest.mark.parametrize("kind, n", [("first", 5163), ("first:male", 1219), ("first:female", 4275),
                                     ("last", 88799)])
def test_names_sizes(kind, n):
    c = T.load_names(kind)
    assert c.names.shape == (n,) and c.freq.shape == (n,) and len(set(c.names)) == n
    assert (c.freq >= 0).all() and c.freq.max() > 0.5     # percentages to 3 decimals


def test_first_names_are_lowercase_letters():
    c = T.load_names()
    assert set("".join(c.names)) == set("abcdefghijklmnopqrstuvwxyz")
    assert 2 <= min(map(len, c.names)) and max(map(len, c.names)) == 11
    assert "james" in c.names and "mary" in c.names
    assert T.load_names(lower=False).names[0].isupper()


def test_names_dataset_splits_and_lm_pairs():
    d = T.names_dataset()
    assert [len(s.names) for s in d[:3]] == [4130, 517, 516] and len(d.vocab) == 30
    assert not (set(d.train.names) & set(d.val.names)) and not (set(d.train.names) & set(d.test.names))
    assert len(set(d.train.names) | set(d.val.names) | set(d.test.names)) == 5163
    s = d.train
    assert s.X.shape == s.Y.shape and s.X.shape[1] == s.lengths.max()
    for i in range(50):
        L, name = s.lengths[i], s.names[i]
        assert L == len(name) + 1 and s.X[i, 0] == 2 and s.Y[i, L - 1] == 3
        assert np.array_equal(s.X[i, 1:L], s.Y[i, :L - 1])
        assert d.vocab.decode(s.X[i], sep="") == name
        assert (s.X[i, L:] == 0).all() and (s.Y[i, L:] == -100).all()


def test_names_dataset_is_deterministic():
    a, b, c = T.names_dataset(seed=3), T.names_dataset(seed=3), T.names_dataset(seed=4)
    assert np.array_equal(a.train.X, b.train.X) and np.array_equal(a.test.names, b.test.names)
    assert not np.array_equal(a.test.names, c.test.names)


@pytest.mark.parametrize("call, match", [
    (lambda: T.load_names("middle"), "kind"),
    (lambda: T.names_dataset(fractions=(0.8, 0.3, 0.1)), "summing to <= 1"),
    (lambda: T.names_dataset(fractions=(1.0, 0.0, 0.0)), "no empty part"),
])
def test_names_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
