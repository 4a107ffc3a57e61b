"""Argument checks shared by the data loaders: one clear error per kind of bad input."""
from __future__ import annotations

import numbers

import numpy as np


def check_int(name, value, minimum=1):
    """Return ``value`` as an ``int`` after checking its type and lower bound.

    Args:
        name: the argument's name, used in the message.
        value: the value to check.
        minimum: the smallest value allowed (1 for sizes, 0 for lags and offsets).

    Returns:
        ``int(value)``.

    Raises:
        TypeError: if ``value`` is not an integer (``bool`` counts as not one).
        ValueError: if ``value < minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected {name} to be an int, got {type(value).__name__}")
    if value < minimum:
        what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"Expected {name} to be {what}, got {value}")
    return int(value)


def check_float(name, value, low=None, high=None):
    """Return ``value`` as a ``float`` after checking its type and the closed range ``[low, high]``.

    Raises:
        TypeError: if ``value`` is not a real number.
        ValueError: if ``value`` lies outside ``[low, high]`` or is not finite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected {name} to be a float, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"Expected {name} in [{low}, {high}], got {value}")
    return value


def check_choice(name, value, choices):
    """Check that ``value`` is one of ``choices``.

    Raises:
        ValueError: if it is not (the message lists the choices).
    """
    if value not in choices:
        raise ValueError(f"Expected {name} to be one of {sorted(choices, key=repr)}, got {value!r}")
    return value


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
    out = tuple(check_float(f"fractions[{i}]", f, low=0.0, high=1.0) for i, f in enumerate(fractions))
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
        ValueError: if the fractions are invalid or a part would be empty.
    """
    n = check_int("n", n)
    fr = check_fractions(fractions)
    bounds = np.round(n * np.cumsum(fr)).astype(int)
    sizes = (int(bounds[0]), int(bounds[1] - bounds[0]), int(bounds[2] - bounds[1]))
    if min(sizes) < 1:
        raise ValueError(f"Expected fractions {fr} of {n} items to leave no part empty, got sizes {sizes}")
    return sizes


def check_seed(seed):
    """Check a seed (a non-negative int).

    Raises:
        TypeError: if ``seed`` is not an int.
        ValueError: if it is negative.
    """
    return check_int("seed", seed, minimum=0)


def rng(seed):
    """A fresh ``numpy.random.Generator`` (PCG64) seeded with ``seed``."""
    return np.random.default_rng(check_seed(seed))
