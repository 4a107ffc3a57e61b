"""course_pkg.data.batching and the registry: padding, masks, splits, iterators, DataLoaders, load()."""
import subprocess
import sys

import numpy as np
import pytest

import course_pkg.data as data
from course_pkg.data import batching as B


def test_pad_sequences_values_and_lengths():
    X, L = B.pad_sequences([[1, 2, 3], [4], []], pad_value=-1)
    assert X.tolist() == [[1, 2, 3], [4, -1, -1], [-1, -1, -1]] and L.tolist() == [3, 1, 0]
    assert X.dtype == np.int64 and L.dtype == np.int64
    X, L = B.pad_sequences([np.ones((2, 3)), np.ones((4, 3))], max_len=6)
    assert X.shape == (2, 6, 3) and X.dtype == np.float64 and X[0, 2:].sum() == 0 and L.tolist() == [2, 4]


def test_lengths_to_mask():
    m = B.lengths_to_mask(np.array([2, 0, 3]))
    assert m.tolist() == [[True, True, False], [False, False, False], [True, True, True]]
    assert B.lengths_to_mask([1, 2], T=4).shape == (2, 4)
    X, L = B.pad_sequences([[5, 6], [7, 8, 9]])
    assert np.array_equal(B.lengths_to_mask(L, X.shape[1]), X != 0)


def test_split_indices():
    tr, va, te = B.split_indices(100, (0.7, 0.2, 0.1), seed=0)
    assert (len(tr), len(va), len(te)) == (70, 20, 10)
    assert np.array_equal(np.sort(np.concatenate([tr, va, te])), np.arange(100))
    tr2, _, _ = B.split_indices(100, (0.7, 0.2, 0.1), seed=0)
    assert np.array_equal(tr, tr2) and not np.array_equal(tr, B.split_indices(100, (0.7, 0.2, 0.1), seed=1)[0])
    a, b, c = B.split_indices(10, (0.5, 0.2, 0.1), shuffle=False)
    assert a.tolist() == [0, 1, 2, 3, 4] and b.tolist() == [5, 6] and c.tolist() == [7]


def test_batch_iterator_visits_everything_once_in_seeded_order():
    x, y = np.arange(10), np.arange(10) * 10
    batches = list(B.batch_iterator(x, y, batch_size=4, seed=3))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[0] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and all(np.array_equal(b[1], b[0] * 10) for b in batches)
    again = np.concatenate([b[0] for b in B.batch_iterator(x, y, batch_size=4, seed=3)])
    other = np.concatenate([b[0] for b in B.batch_iterator(x, y, batch_size=4, seed=4)])
    assert np.array_equal(seen, again) and not np.array_equal(seen, other)
    assert [len(b[0]) for b in B.batch_iterator(x, batch_size=4, drop_last=True)] == [4, 4]
    assert np.array_equal(np.concatenate([b[0] for b in B.batch_iterator(x, batch_size=3, shuffle=False)]), x)


def test_bucket_batches_group_similar_lengths():
    lengths = np.random.default_rng(0).integers(1, 50, size=200)
    batches = B.bucket_batches(lengths, batch_size=20, seed=0)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(200))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random = sum(len(b) * lengths[b].max() for b in np.array_split(np.arange(200), 10))
    assert padded < 0.7 * random
    assert all(np.array_equal(a, b) for a, b in zip(batches, B.bucket_batches(lengths, 20, seed=0)))


def test_to_dataloader_types_and_seeded_order():
    torch = pytest.importorskip("torch")
    X, y = np.random.default_rng(0).standard_normal((10, 3, 2)), np.arange(10)
    mask = np.ones(10, dtype=bool)
    first = [b for b in data.to_dataloader(X, y, mask, batch_size=4, seed=5)]
    assert first[0][0].dtype == torch.float32 and first[0][1].dtype == torch.int64 and first[0][2].dtype == torch.bool
    assert [len(b[1]) for b in first] == [4, 4, 2]
    order = torch.cat([b[1] for b in first])
    again = torch.cat([b[1] for b in data.to_dataloader(X, y, mask, batch_size=4, seed=5)])
    assert torch.equal(order, again) and sorted(order.tolist()) == list(range(10))
    assert torch.equal(first[0][0], torch.as_tensor(X[order[:4].numpy()], dtype=torch.float32))
    dl = data.to_dataloader(X, batch_size=10, shuffle=False, float_dtype="float64")
    assert next(iter(dl))[0].dtype == torch.float64


def test_decode_reads_ignore_index_as_padding():
    v = data.Vocab.build(["ab"])
    assert v.decode([4, 5, -100, -100], sep="") == "ab" and v.decode([4, 3, -100]) == ["a"]


def test_import_is_light():
    code = ("import sys, course_pkg.data; "
            "print(sorted(m for m in ('pandas', 'faker', 'sklearn', 'statsmodels', 'vega_datasets', 'names') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_by_name():
    X, y = data.load("adding", 5, T=7, seed=1)
    assert X.shape == (5, 7, 2) and np.array_equal(y, data.adding_problem(5, T=7, seed=1)[1])
    assert data.load("sunspots").values.shape == (309, 1)
    assert set(data.DATASETS) >= {"adding", "copy", "sines", "co2", "stocks", "names", "sentiment", "ner", "dates",
                                  "digits_captions", "digits_rows", "seattle_weather"}


@pytest.mark.parametrize("call, err, match", [
    (lambda: data.load("imdb"), ValueError, "Expected name in \\['adding', "),
    (lambda: B.pad_sequences([]), ValueError, "at least one sequence"),
    (lambda: B.pad_sequences(np.zeros((2, 3))), TypeError, "list or tuple"),
    (lambda: B.pad_sequences([[1, 2], [[1, 2]]]), ValueError, "Expected every sequence"),
    (lambda: B.pad_sequences([[1, 2, 3]], max_len=2), ValueError, "max_len"),
    (lambda: B.lengths_to_mask([3, 1], T=2), ValueError, "T >= max"),
    (lambda: B.lengths_to_mask([-1]), ValueError, "lengths >= 0"),
    (lambda: B.lengths_to_mask([1.5]), TypeError, "integer lengths"),
    (lambda: B.split_indices(10, (0.6, 0.3, 0.3)), ValueError, "summing to <= 1"),
    (lambda: B.split_indices(3, (0.8, 0.1, 0.1)), ValueError, "no part empty"),
    (lambda: B.split_indices(0, (0.8, 0.1, 0.1)), ValueError, "Expected n >= 1, got 0"),
    (lambda: B.split_indices(10, (0.5, 1.5, 0.1)), ValueError, r"fractions\[1\] in"),
    (lambda: B.split_indices(10, "abc"), TypeError, "3 numbers"),
    (lambda: list(B.batch_iterator(np.arange(3), batch_size=0)), ValueError, "batch_size"),
    (lambda: list(B.batch_iterator(np.arange(3), np.arange(4))), ValueError, "same first dimension"),
    (lambda: B.batch_iterator(), ValueError, "at least one array"),
    (lambda: B.to_dataloader(np.arange(3), batch_size=-2), ValueError, "batch_size"),
    (lambda: B.to_dataloader(np.arange(3), float_dtype="half"), ValueError, "float_dtype"),
    (lambda: B.bucket_batches([], 4), ValueError, "non-empty"),
])
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


def _arrays(obj):
    """Every NumPy array and token list inside nested tuples / named tuples, in order."""
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, tuple):
        return [a for item in obj for a in _arrays(item)]
    if isinstance(obj, list):
        return [obj]
    if isinstance(obj, data.Vocab):
        return [obj.itos]
    return []


@pytest.mark.parametrize("name, kwargs", [
    ("adding", dict(n=20)), ("copy", dict(n=20)), ("delayed_recall", dict(n=20)), ("sines", dict(n=20)),
    ("names", {}), ("sentiment", dict(n_train=80, n_val=16, n_test=16)),
    ("ner", dict(n_train=30, n_val=5, n_test=5)), ("dates", dict(n_train=50, n_val=10, n_test=10)),
    ("digits_captions", {}), ("digits_rows", {}),
])
def test_every_loader_is_deterministic(name, kwargs):
    a, b, c = (_arrays(data.load(name, seed=s, **kwargs)) for s in (11, 11, 12))
    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        assert (np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y)
    assert any(not np.array_equal(x, z) if isinstance(x, np.ndarray) else x != z for x, z in zip(a, c))
