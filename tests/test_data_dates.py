"""course_pkg.data.dates: many human formats -> ISO, round trip through an independent parser."""
import datetime as dt

import numpy as np
import pytest

from course_pkg.data import dates as D


@pytest.fixture(scope="module")
def data():
    return D.dates_dataset(seed=0)


@pytest.fixture(scope="module")
def by_format():
    return D.dates_dataset(2000, 200, 600, split="formats", seed=1)


EXAMPLES = {"iso": "2024-03-05", "dmy_slash": "05/03/2024", "dmy_dot": "05.03.2024", "dmy_dash": "05-03-2024",
            "dmy_short": "5/3/24", "ymd_slash": "2024/03/05", "compact": "20240305", "d_month_y": "5 March 2024",
            "month_d_y": "March 5, 2024", "d_mon_y": "5 Mar 2024", "mon_d_y": "Mar 5, 2024",
            "weekday_d_mon_yy": "Tuesday 5 Mar 24", "rfc": "Tue, 05 Mar 2024", "ordinal": "5th of March 2024",
            "upper": "MARCH 5 2024", "dd_mon_yyyy": "05-MAR-2024",
            "weekday_month_d_y": "Tuesday, March 5, 2024", "cjk": "2024年3月5日"}


def test_every_format_on_one_date():
    assert set(EXAMPLES) == set(D.FORMATS)
    for f, s in EXAMPLES.items():
        assert D.format_date(dt.date(2024, 3, 5), f) == s and D.parse_date(s) == "2024-03-05"


def test_every_generated_source_parses_back_to_its_target(data, by_format):
    for d in (data, by_format):
        for s in d[:3]:
            assert [D.parse_date(x) for x in s.src] == s.tgt.tolist()


def test_numeric_conventions_agree_with_strptime():
    rng = np.random.default_rng(0)
    for k in rng.choice((D.LAST_DAY - D.FIRST_DAY).days + 1, 300, replace=False):
        day = D.FIRST_DAY + dt.timedelta(days=int(k))
        for fmt, spec in (("dmy_slash", "%d/%m/%Y"), ("dmy_short", "%d/%m/%y"), ("compact", "%Y%m%d")):
            assert dt.datetime.strptime(D.format_date(day, fmt), spec).date() == day
    assert D.parse_date("1/1/69") == "1969-01-01" and D.parse_date("31/12/68") == "2068-12-31"


def test_parser_edge_cases():
    assert D.parse_date("1st of January 2000") == "2000-01-01" and D.parse_date("22nd of May 1999") == "1999-05-22"
    assert D.parse_date(" march 5 2024 ") == "2024-03-05" and D.parse_date("Sun, 01 Dec 2030") == "2030-12-01"
    for bad in ("31/02/2024", "hello", "5 Foo 2024", "2024", "5/3", "05/03/2024!", "1/2/3/4", "5/3/124"):
        with pytest.raises(ValueError, match="Expected|day is out of range"):
            D.parse_date(bad)
    with pytest.raises(TypeError, match="Expected text to be a str, got int"):
        D.parse_date(20240305)


def test_random_split_holds_out_dates_not_formats(data):
    assert [len(s.src) for s in data[:3]] == [10000, 1000, 1000]
    sets = [set(s.tgt.tolist()) for s in data[:3]]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert set(data.train.fmt.tolist()) == set(data.test.fmt.tolist()) == set(D.FORMATS)


def test_formats_split_holds_out_formats(by_format):
    d = by_format
    assert d.test_formats == D.HELDOUT_FORMATS and not set(d.train_formats) & set(d.test_formats)
    assert set(d.train.fmt.tolist()) | set(d.val.fmt.tolist()) == set(d.train_formats)
    assert set(d.test.fmt.tolist()) == set(D.HELDOUT_FORMATS)
    assert not (d.test.X == 1).any()          # every held-out character was seen in training
    assert not set(d.train.tgt.tolist()) & set(d.test.tgt.tolist())


def test_arrays_and_vocabs(data):
    s = data.train
    assert len(data.tgt_vocab) == 15 and data.src_vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert s.Y_in.shape == s.Y_out.shape == (10000, 11) and (s.Y_in[:, 0] == 2).all() and (s.Y_out[:, -1] == 3).all()
    assert np.array_equal(s.Y_in[:, 1:], s.Y_out[:, :-1])
    assert s.X.shape == (10000, s.X_len.max()) and 6 <= s.X_len.min() and s.X_len.max() <= 29
    for i in range(20):
        assert data.src_vocab.decode(s.X[i], sep="") == s.src[i]
        assert data.tgt_vocab.decode(s.Y_out[i], sep="") == s.tgt[i]


def test_same_seed_same_data():
    a, b, c = (D.dates_dataset(300, 30, 30, seed=s) for s in (2, 2, 3))
    assert np.array_equal(a.train.src, b.train.src) and np.array_equal(a.test.X, b.test.X)
    assert not np.array_equal(a.train.src, c.train.src)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(split="weekday"), ValueError, "split"),
    (dict(split="formats", test_formats=("klingon",)), ValueError, "test format"),
    (dict(split="formats", test_formats=D.FORMATS), ValueError, "between 1 and"),
    (dict(split="formats", test_formats=()), ValueError, "between 1 and"),
    (dict(n_train=40000), ValueError, "at most 36525"),
    (dict(n_val=0), ValueError, "Expected n_val >= 1, got 0"),
    (dict(n_test=1.5), TypeError, "n_test to be an int, got float"),
])
def test_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        D.dates_dataset(**kwargs)


def test_unknown_format():
    with pytest.raises(ValueError, match="fmt"):
        D.format_date(dt.date(2000, 1, 1), "us_mdy")
