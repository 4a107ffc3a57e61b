"""Split sizes and seeded generators for the data loaders.

Their argument checks are the package's own, :mod:`course_pkg._validate`.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as V


def check_fractions(fractions):
    """Check train/validation/test fractions.

    Args:
        fractions: three numbers ``(train, val, test)``, each in ``(0, 1]``, summing to at
            most 1. A sum below 1 leaves the remainder unused.

    Returns:
        ``tuple`` of three floats.

    Raises:
        TypeError: if ``fractions`` is not a sequence of three real numbers.
        ValueError: if a fraction is not in ``(0, 1]`` or they sum to more than 1.
    """
    if isinstance(fractions, (str, bytes)) or not hasattr(fractions, "__len__") or len(fractions) != 3:
        raise TypeError(f"Expected fractions to be a sequence of 3 numbers (train, val, test), got {fractions!r}")
    out = tuple(V.check_number(f"fractions[{i}]", f, 0, 1) for i, f in enumerate(fractions))
    if any(f <= 0 for f in out):
        raise ValueError(f"Expected every fraction > 0 (no empty part), got {out}")
    if sum(out) > 1 + 1e-9:
        raise ValueError(f"Expected fractions summing to <= 1, got {out} (sum {sum(out):.6g})")
    return out


def split_sizes(n, fractions):
    """Sizes of the train, validation and test parts of ``n`` items.

    Boundaries are ``round(n * cumsum(fractions))``, so with fractions summing to 1 every
    item is used and the sizes add up to ``n``.

    Args:
        n: number of items.
        fractions: as in :func:`check_fractions`.

    Returns:
        ``(n_train, n_val, n_test)``, ints.

    Raises:
        TypeError: if ``n`` is not an int or the fractions are not three numbers.
        ValueError: if ``n < 1``, the fractions are invalid or a part would be empty.
    """
    n = V.check_int("n", n, low=1)
    fr = check_fractions(fractions)
    bounds = np.round(n * np.cumsum(fr)).astype(int)
    sizes = (int(bounds[0]), int(bounds[1] - bounds[0]), int(bounds[2] - bounds[1]))
    if min(sizes) < 1:
        raise ValueError(f"Expected fractions {fr} of {n} items to leave no part empty, got sizes {sizes}")
    return sizes


def rng(seed):
    """A fresh ``numpy.random.Generator`` (PCG64) seeded with ``seed``.

    Raises:
        TypeError: if ``seed`` is not an int.
        ValueError: if ``seed < 0``.
    """
    return np.random.default_rng(V.check_int("seed", seed, low=0))
