"""course_pkg.data.digits: captioning (1 vs N) and row-by-row classification (N vs 1)."""
import numpy as np
import pytest

from course_pkg.data import digits as D


@pytest.fixture(scope="module")
def caps():
    return D.digits_captions(seed=0)


def test_rows_sizes_and_values():
    d = D.digits_rows(seed=0)
    assert (d.X_train.shape, d.X_val.shape, d.X_test.shape) == ((1258, 8, 8), (269, 8, 8), (270, 8, 8))
    assert d.y_train.shape == (1258,) and d.y_train.dtype == np.int64
    assert d.X_train.min() == 0.0 and d.X_train.max() == 1.0
    assert set(np.unique(d.y_train)) == set(range(10))
    images, labels = D.load_digit_images()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    total = np.concatenate([d.X_train, d.X_val, d.X_test]).reshape(1797, -1)
    assert len(np.unique(total, axis=0)) == len(np.unique(images.reshape(1797, -1), axis=0))


def test_char_captions(caps):
    assert len(caps.vocab) == 19 and caps.train.Y_in.shape == (1258, 6)
    s = caps.train
    for i in range(40):
        assert s.captions[i] == D.WORDS[s.labels[i]]
        assert caps.vocab.decode(s.Y_out[i], sep="") == s.captions[i]
        L = s.lengths[i]
        assert L == len(s.captions[i]) + 1 and s.Y_in[i, 0] == 2 and s.Y_out[i, L - 1] == 3
        assert np.array_equal(s.Y_in[i, 1:L], s.Y_out[i, :L - 1]) and (s.Y_out[i, L:] == -100).all()


def test_word_captions_and_same_split_as_rows(caps):
    w = D.digits_captions("word", seed=0)
    assert len(w.vocab) == 14 and w.train.Y_out.shape == (1258, 2)
    assert [w.vocab.decode(y, sep="") for y in w.train.Y_out[:5]] == w.train.captions[:5].tolist()
    rows = D.digits_rows(seed=0)
    assert np.array_equal(rows.y_test, caps.test.labels) and np.array_equal(rows.X_test, caps.test.images)


def test_seed_changes_split():
    a, b = D.digits_rows(seed=0), D.digits_rows(seed=1)
    assert not np.array_equal(a.y_train, b.y_train)
    assert np.array_equal(a.X_val, D.digits_rows(seed=0).X_val)


@pytest.mark.parametrize("call, match", [
    (lambda: D.digits_captions("pixel"), "level"),
    (lambda: D.digits_rows(fractions=(0.9, 0.2, 0.1)), "summing to <= 1"),
    (lambda: D.digits_rows(fractions=(0.9, 0.1, -0.1)), "fractions\\[2\\] in"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
