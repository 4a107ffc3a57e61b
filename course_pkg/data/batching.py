"""Variable-length batches: padding, masks, lengths, seeded splits, batch iterators, DataLoaders.

A batch of sequences of different lengths is stored as one padded array plus the true
lengths: ``X (N, T)`` or ``(N, T, D)``, ``lengths (N,)`` with ``T = max(lengths)``. Position
``t`` of sequence ``i`` is real when ``t < lengths[i]``; :func:`lengths_to_mask` turns the
lengths into that boolean mask. ``course_pkg`` models take ``lengths=`` directly, and
losses skip padded targets when those are set to ``ignore_index`` (-100).

Everything that shuffles takes a ``seed`` and draws from its own
``numpy.random.default_rng(seed)``, so the same seed always gives the same order.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as V
from ._checks import rng, split_sizes


def pad_sequences(seqs, pad_value=0, dtype=None, max_len=None):
    """Stack sequences of different lengths into one right-padded array.

    Args:
        seqs: a non-empty list of sequences; each an array-like of shape ``(L_i,)`` or
            ``(L_i, D)`` (same ``D`` for all). Empty sequences are allowed.
        pad_value: value written after each sequence's end.
        dtype: dtype of the result; default: NumPy's common type of the sequences
            (int64 for lists of Python ints).
        max_len: pad to this length instead of ``max(L_i)``; must be ``>= max(L_i)``.

    Returns:
        ``(padded, lengths)``: ``padded`` of shape ``(N, T)`` or ``(N, T, D)`` with
        ``T = max_len or max(L_i)``, and ``lengths (N,)`` int64.

    Raises:
        TypeError: if ``seqs`` is not a list or tuple of sequences.
        ValueError: if ``seqs`` is empty, the sequences disagree in trailing shape, or
            ``max_len`` is shorter than the longest sequence.
    """
    if not isinstance(seqs, (list, tuple)):
        raise TypeError(f"Expected seqs to be a list or tuple of sequences, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise ValueError("Expected at least one sequence, got 0")
    arrays = [np.asarray(s) if dtype is None else np.asarray(s, dtype=dtype) for s in seqs]
    tail = arrays[0].shape[1:]
    for i, a in enumerate(arrays):
        if a.ndim == 0 or a.shape[1:] != tail:
            raise ValueError(f"Expected every sequence of shape (L,) + {tail}, got {a.shape} at index {i}")
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    T = int(lengths.max())
    if max_len is not None:
        if V.check_int("max_len", max_len, low=0) < T:
            raise ValueError(f"Expected max_len >= the longest sequence ({T}), got {max_len}")
        T = int(max_len)
    out_dtype = dtype or np.result_type(*[a.dtype for a in arrays if a.size] or [np.int64])
    out = np.full((len(arrays), T) + tail, pad_value, dtype=out_dtype)
    for i, a in enumerate(arrays):
        out[i, : a.shape[0]] = a
    return out, lengths


def lengths_to_mask(lengths, T=None):
    """Boolean mask of the real (non-padded) positions.

    Args:
        lengths: ``(N,)`` non-negative ints.
        T: number of columns; default ``max(lengths)``. Must be ``>= max(lengths)``.

    Returns:
        ``mask (N, T)`` bool, ``mask[i, t] = t < lengths[i]``.

    Raises:
        TypeError: if ``lengths`` is not integer.
        ValueError: if ``lengths`` is not 1-D, has a negative entry, or exceeds ``T``.
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise ValueError(f"Expected lengths of shape (N,), got {lengths.shape}")
    if lengths.size and not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"Expected integer lengths, got dtype {lengths.dtype}")
    if lengths.size and lengths.min() < 0:
        raise ValueError(f"Expected lengths >= 0, got {int(lengths.min())}")
    longest = int(lengths.max()) if lengths.size else 0
    T = longest if T is None else V.check_int("T", T, low=0)
    if longest > T:
        raise ValueError(f"Expected T >= max(lengths) = {longest}, got {T}")
    return np.arange(T)[None, :] < lengths[:, None]


def split_indices(n, fractions=(0.8, 0.1, 0.1), seed=0, shuffle=True):
    """Indices of a train/validation/test split of ``n`` items.

    Args:
        n: number of items (positive).
        fractions: ``(train, val, test)``, each ``> 0``, sum ``<= 1`` (see
            ``course_pkg.data._checks.split_sizes`` for the rounding).
        seed: seed of the permutation (ignored when ``shuffle=False``).
        shuffle: permute before splitting; ``False`` keeps the order (a chronological split).

    Returns:
        ``(train_idx, val_idx, test_idx)``, int64 arrays of shapes ``(n_train,)``,
        ``(n_val,)``, ``(n_test,)``; disjoint.

    Raises:
        TypeError: if ``n`` or ``seed`` is not an int, or ``fractions`` not three numbers.
        ValueError: if ``n`` is not positive or a part would be empty or the fractions
            sum to more than 1.
    """
    sizes = split_sizes(n, fractions)
    order = rng(seed).permutation(n) if shuffle else np.arange(n)
    a, b = sizes[0], sizes[0] + sizes[1]
    return order[:a], order[a:b], order[b:b + sizes[2]]


def _check_arrays(arrays):
    if not arrays:
        raise ValueError("Expected at least one array, got 0")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if a.ndim == 0 or len(a) != n:
            raise ValueError(f"Expected arrays with the same first dimension {n}, got shape {a.shape} at index {i}")
    return arrays, n


def batch_iterator(*arrays, batch_size=32, shuffle=True, seed=0, drop_last=False):
    """Yield mini-batches of aligned arrays, in a seeded order.

    Args:
        *arrays: arrays with the same first dimension ``N``.
        batch_size: items per batch (the last one may be smaller unless ``drop_last``).
        shuffle: visit the items in the order of ``default_rng(seed).permutation(N)``.
        seed: seed of that permutation; pass ``seed + epoch`` for a new order each epoch.
        drop_last: skip a final batch smaller than ``batch_size``.

    Returns:
        A generator of tuples ``(a[idx] for a in arrays)``; each element of shape
        ``(B,) + a.shape[1:]``, ``B <= batch_size``.

    Raises:
        TypeError: if ``batch_size`` or ``seed`` is not an int.
        ValueError: if no array is given, their lengths differ, or ``batch_size < 1``.
    """
    arrays, n = _check_arrays(arrays)
    batch_size = V.check_int("batch_size", batch_size, low=1)
    order = rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return (tuple(a[order[i:i + batch_size]] for a in arrays) for i in range(0, stop, batch_size))


def bucket_batches(lengths, batch_size=32, seed=0):
    """Batches of indices grouping sequences of similar length (less padding), in seeded order.

    Items are shuffled, sorted by length (stable, so ties keep the shuffled order), cut into
    batches, and the batches are shuffled.

    Args:
        lengths: ``(N,)`` sequence lengths.
        batch_size: items per batch.
        seed: seed of both shuffles.

    Returns:
        A list of int64 index arrays, each of shape ``(B,)`` with ``B <= batch_size``,
        together a permutation of ``range(N)``.

    Raises:
        TypeError: if ``batch_size`` or ``seed`` is not an int.
        ValueError: if ``lengths`` is not 1-D and non-empty, or ``batch_size < 1``.
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError(f"Expected non-empty lengths of shape (N,), got {lengths.shape}")
    batch_size = V.check_int("batch_size", batch_size, low=1)
    g = rng(seed)
    perm = g.permutation(lengths.size)
    order = perm[np.argsort(lengths[perm], kind="stable")]
    batches = [order[i:i + batch_size] for i in range(0, order.size, batch_size)]
    return [batches[j] for j in g.permutation(len(batches))]


def to_dataloader(*arrays, batch_size=32, shuffle=True, seed=0, drop_last=False, float_dtype="float32"):
    """A ``torch.utils.data.DataLoader`` over NumPy arrays, with a seeded shuffle.

    torch is imported here, not when ``course_pkg.data`` is imported. Floating arrays become
    ``float_dtype`` tensors (float32, torch's default for parameters); integer arrays int64;
    bool arrays stay bool. The shuffle uses a ``torch.Generator`` seeded with ``seed``, so two
    loaders built with the same seed give the same batches in the same order.

    Args:
        *arrays: NumPy arrays with the same first dimension ``N``.
        batch_size: items per batch.
        shuffle: reshuffle at every epoch (from the seeded generator).
        seed: seed of the generator.
        drop_last: skip a final incomplete batch.
        float_dtype: ``"float32"`` or ``"float64"``.

    Returns:
        A ``DataLoader`` yielding lists of tensors shaped ``(B,) + a.shape[1:]``.

    Raises:
        ImportError: if torch is not installed.
        TypeError: if ``batch_size`` or ``seed`` is not an int, or an array is neither numeric nor bool.
        ValueError: if the arrays disagree in length, ``batch_size < 1`` or ``float_dtype``
            is unknown.
    """
    arrays, _ = _check_arrays(arrays)
    batch_size = V.check_int("batch_size", batch_size, low=1)
    V.check_int("seed", seed, low=0)
    if float_dtype not in ("float32", "float64"):
        raise ValueError(f"Expected float_dtype 'float32' or 'float64', got {float_dtype!r}")
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    tensors = [_as_tensor(torch, a, getattr(torch, float_dtype)) for a in arrays]
    gen = torch.Generator().manual_seed(int(seed))
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle,
                      drop_last=drop_last, generator=gen)


def _as_tensor(torch, a, float_dtype):
    if np.issubdtype(a.dtype, np.floating):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=float_dtype)
    if np.issubdtype(a.dtype, np.integer):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.int64)
    if a.dtype == np.bool_:
        return torch.as_tensor(np.ascontiguousarray(a))
    raise TypeError(f"Expected numeric or bool arrays, got dtype {a.dtype}")
