"""Argument checks shared by every public entry point: one wording, one place.

Each check returns the value it accepts (as ``int``, ``float`` or ``bool`` where it
converts) and raises ``TypeError`` for a value of the wrong kind or ``ValueError`` for a
value of the right kind that is out of range, with a message ``"Expected <what>, got
<what came>"`` that names the argument. The module imports nothing from the rest of
:mod:`course_pkg` (NumPy only), so every part of the package can use it: the numerics,
:mod:`course_pkg.data` and the training loop alike.

Checks run once per call at the entry point, never per time step.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

DTYPES = ("float32", "float64")


def _kind(value):
    """The type name of ``value`` (``NoneType``, ``str``, ``Tensor`` ...) for a message."""
    return type(value).__name__


def _fmt(x):
    """A bound or value as a message shows it: ints in full, floats with ``%g``."""
    return str(x) if isinstance(x, numbers.Integral) else f"{x:g}"


def is_torch(x):
    """True if ``x`` is a torch tensor (checked without importing torch)."""
    return type(x).__module__.split(".")[0] == "torch"


def _none(none):
    return " or None" if none else ""


# -- scalars ------------------------------------------------------------------------------
def _check_bounds(name, value, low, high, low_open, high_open):
    """Raise ``ValueError`` unless ``value`` lies within the bounds (NaN never does)."""
    above = low is None or (value > low if low_open else value >= low)
    below = high is None or (value < high if high_open else value <= high)
    if above and below:
        return
    if low is not None and high is not None:
        where = f"in {'(' if low_open else '['}{_fmt(low)}, {_fmt(high)}{')' if high_open else ']'}"
    elif low is not None:
        where = f"{'>' if low_open else '>='} {_fmt(low)}"
    else:
        where = f"{'<' if high_open else '<='} {_fmt(high)}"
    raise ValueError(f"Expected {name} {where}, got {_fmt(value)}")


def check_int(name, value, low=None, high=None, *, high_open=False, none=False):
    """Return ``value`` as an ``int`` in ``[low, high]`` (``[low, high)`` with ``high_open``).

    Args:
        name: the argument's name, for the message.
        value: what was passed; an ``int`` or NumPy integer (``bool`` is not an int here).
        low, high: bounds, ``None`` for none.
        high_open: exclude ``high`` itself.
        none: accept ``None`` (and return it).

    Raises:
        TypeError: if ``value`` is not an integer (or ``None`` when allowed).
        ValueError: if it is out of bounds.
    """
    if value is None and none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected {name} to be an int{_none(none)}, got {_kind(value)}")
    _check_bounds(name, value, low, high, False, high_open)
    return int(value)


def check_number(name, value, low=None, high=None, *, low_open=False, high_open=False, finite=False,
                 none=False):
    """Return ``value`` as a ``float`` within the bounds; NaN is always refused.

    Args:
        name: the argument's name, for the message.
        value: a real number (``int``, ``float``, NumPy scalar; not ``bool``).
        low, high: bounds, ``None`` for none.
        low_open, high_open: exclude the bound itself.
        finite: refuse ``inf`` and ``-inf`` as well.
        none: accept ``None`` (and return it).

    Raises:
        TypeError: if ``value`` is not a real number (or ``None`` when allowed).
        ValueError: if it is NaN, infinite with ``finite``, or out of bounds.
    """
    if value is None and none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected {name} to be a number{_none(none)}, got {_kind(value)}")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"Expected {name} to be a finite number, got {value}")
    _check_bounds(name, value, low, high, low_open, high_open)
    return value


def check_bool(name, value):
    """Return ``value`` if it is a ``bool`` (or NumPy bool).

    Raises:
        TypeError: for anything else (``0``, ``1`` and ``"yes"`` included).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Expected {name} to be a bool, got {_kind(value)}")
    return bool(value)


def _same_kind(value, option):
    if option is None or value is None:
        return value is option
    if isinstance(option, str):
        return isinstance(value, str)
    if isinstance(option, numbers.Integral):
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    return isinstance(value, type(option))


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices`` (a set is listed in sorted order).

    Raises:
        TypeError: if ``value`` is of another kind than every choice (a list for a name, say).
        ValueError: if it is of the right kind but not one of them.
    """
    options = sorted(choices, key=repr) if isinstance(choices, (set, frozenset)) else list(choices)
    kinds = [o for o in options if _same_kind(value, o)]
    if not kinds:
        raise TypeError(f"Expected {name} in {options!r}, got {_kind(value)}")
    if not any(value == o for o in kinds):
        raise ValueError(f"Expected {name} in {options!r}, got {value!r}")
    return value


# -- objects ------------------------------------------------------------------------------
def check_type(name, value, types, what):
    """Return ``value`` if it is an instance of ``types``; ``what`` describes them (``"a dict"``).

    Raises:
        TypeError: if it is not.
    """
    if not isinstance(value, types):
        raise TypeError(f"Expected {name} to be {what}, got {_kind(value)}")
    return value


def check_callable(name, value, none=False):
    """Return ``value`` if it can be called (or is ``None`` when allowed).

    Raises:
        TypeError: if it cannot.
    """
    if not (callable(value) or (none and value is None)):
        raise TypeError(f"Expected {name} to be a callable{_none(none)}, got {_kind(value)}")
    return value


# -- arrays ---------------------------------------------------------------------------------
def _float_name(dtype):
    """``"float32"``/``"float64"`` for a NumPy/torch float dtype or its name, else ``None``."""
    name = str(dtype).replace("torch.", "")
    name = {"float": "float32", "double": "float64"}.get(name, name)
    if name in DTYPES:
        return name
    try:
        name = np.dtype(dtype).name
    except TypeError:
        return None
    return name if name in DTYPES else None


def dtype_name(dtype):
    """Canonical name (``"float32"`` or ``"float64"``) of a NumPy/torch dtype or a string.

    Raises:
        TypeError: if ``dtype`` is not a 32- or 64-bit float type.
    """
    name = _float_name(dtype)
    if name is None:
        raise TypeError(f"Expected dtype float32 or float64, got {_dtype_text(dtype)}")
    return name


def _dtype_text(dtype):
    """A dtype as a message shows it: ``int64``, ``float16`` (NumPy's or torch's), else its repr."""
    if is_torch(dtype) or isinstance(dtype, np.dtype):
        return str(dtype).replace("torch.", "")
    try:
        return np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    except TypeError:
        return repr(dtype)


_KINDS = {None: "a numpy.ndarray or torch.Tensor", "numpy": "a numpy.ndarray", "torch": "a torch.Tensor"}


def check_array(name, x, backend=None, dtype=None, device=None, *, note="", dtype_note="", hint=""):
    """Return ``x`` if it is a float array of the right back-end, dtype and device.

    Args:
        name: the argument's name, for the message.
        x: what was passed.
        backend: ``"numpy"``, ``"torch"`` or ``None`` (either).
        dtype: ``"float32"``, ``"float64"`` or ``None`` (either).
        device: the torch device ``x`` must be on, or ``None``.
        note, dtype_note, hint: text for the messages (after the expected kind, after the
            expected dtype, and after what came).

    Raises:
        TypeError: if ``x`` is not an array of that back-end or not of that (float) dtype.
        ValueError: if a tensor is on another device.
    """
    torch_x = is_torch(x) and hasattr(x, "shape")
    if not {None: torch_x or isinstance(x, np.ndarray), "numpy": isinstance(x, np.ndarray),
            "torch": torch_x}[backend]:
        raise TypeError(f"Expected {name} to be {_KINDS[backend]}{note}, got {_kind(x)}{hint}")
    got = _float_name(x.dtype)
    if got is None or (dtype is not None and got != dtype):
        want = dtype or "float32 or float64"
        raise TypeError(f"Expected {name} of dtype {want}{dtype_note}, got {_dtype_text(x.dtype)}")
    if device is not None and x.device != device:
        raise ValueError(f"Expected {name} on device {device}, got {x.device}")
    return x


def check_numeric(name, x):
    """``x`` (a NumPy array, a torch tensor or nested lists of numbers) as a float64 NumPy array.

    Raises:
        TypeError: if ``x`` does not hold real numbers (bools, strings, objects, ragged lists).
    """
    if is_torch(x):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except ValueError:
        raise TypeError(f"Expected {name} to be numeric, got a ragged {_kind(x)}") from None
    if arr.dtype.kind not in "iuf":          # not bools either: True is not a measurement
        raise TypeError(f"Expected {name} to be numeric, got {_kind(x)} of dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def check_ids(name, ids, high=None, ndim=None):
    """``ids`` (a NumPy array, a torch tensor or nested lists of ints) as a NumPy integer array.

    Args:
        name: the argument's name, for the message.
        ids: what was passed; an empty list counts as integers.
        high: if given, every id must lie in ``[0, high)``.
        ndim: if given, the number of dimensions the ids must have.

    Raises:
        TypeError: if the ids are not integers (floats, bools, strings, ragged lists).
        ValueError: if ``ndim`` differs, or an id lies outside ``[0, high)``.
    """
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"Expected integer {name}, got {_kind(ids)}")
    try:
        idx = np.asarray(ids.detach().cpu() if is_torch(ids) else ids)
    except ValueError:
        raise TypeError(f"Expected integer {name} of one shape, got a ragged {_kind(ids)}") from None
    if idx.size == 0 and idx.dtype == np.float64:          # np.asarray([]) is float64
        idx = idx.astype(np.int64)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"Expected integer {name}, got {idx.dtype}")
    if ndim is not None and idx.ndim != ndim:
        raise ValueError(f"Expected {name} with {ndim} dimensions, got shape {idx.shape}")
    if high is not None and idx.size and (idx.min() < 0 or idx.max() >= high):
        raise ValueError(f"Expected {name} in [0, {high}), got min {idx.min()} and max {idx.max()}")
    return idx


def check_shape(name, x, shape):
    """Raise ``ValueError`` unless ``x.shape == shape``.

    Raises:
        ValueError: if the shapes differ.
    """
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"Expected {name} of shape {tuple(shape)}, got {tuple(x.shape)}")
    return x


def check_called(cache, first="forward", then="backward"):
    """Return ``cache`` unless it is ``None``, which means ``then()`` came before ``first()``.

    Raises:
        RuntimeError: if ``cache`` is ``None``.
    """
    if cache is None:
        raise RuntimeError(f"Expected {first}() to be called before {then}()")
    return cache
