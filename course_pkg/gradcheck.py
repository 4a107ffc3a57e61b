r"""Centred-difference gradient checks.

The numerical gradient of a scalar function :math:`f` at :math:`x` along coordinate :math:`i`,

.. math::

    \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},

has an error of order :math:`h^2`, so in float64 with :math:`h = 10^{-6}` a correct
analytic gradient agrees to about :math:`10^{-9}` relative. Checks run in float64 only:
in float32 the rounding error of :math:`f` divided by :math:`2h` swamps the signal.

The rounding error, about :math:`10^{-16} |f| / h`, matters for parameters whose
gradient is tiny next to :math:`|f|` (an attention query projection deep inside a
seq2seq model, say). For those, ``order=4`` uses the fourth-order centred difference

.. math::

    \frac{\partial f}{\partial x_i} \approx \frac{-f(x + 2he_i) + 8f(x + he_i) - 8f(x - he_i) + f(x - 2he_i)}{12h},

whose error is of order :math:`h^4`, so a larger :math:`h` (e.g. :math:`10^{-3}`) keeps
both errors small.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import _validate as V

STENCILS = {2: ((1, 0.5), (-1, -0.5)),                                       # (f(x+h) - f(x-h)) / 2h
            4: ((2, -1 / 12), (1, 8 / 12), (-1, -8 / 12), (-2, 1 / 12))}    # fourth order


def _check_float64(name, x):
    return V.check_array(name, x, "numpy", "float64", dtype_note=" (centred differences need it)")


def numerical_gradient(f, x, h=1e-6, dout=None, order=2):
    """Centred-difference gradient of ``f`` with respect to the array ``x``.

    Args:
        f: function of no arguments that reads ``x`` (changed in place, then restored)
            and returns a scalar, or an array when ``dout`` is given.
        x: float64 array of any shape.
        h: step size.
        dout: if given, the gradient of ``sum(f() * dout)`` is returned (the
            vector-Jacobian product, for functions with array outputs).
        order: 2 (the two-point formula) or 4 (the four-point formula above).

    Returns:
        Array shaped like ``x``.

    Raises:
        TypeError: if ``f`` is not callable, ``x`` (or ``dout``) is not a float64 NumPy
            array, ``h`` not a number or ``order`` not an int.
        ValueError: if ``h`` is not positive, ``order`` is not 2 or 4, ``dout`` is not
            shaped like ``f()``, or ``f`` does not return a scalar without ``dout``.
    """
    V.check_callable("f", f)
    _check_float64("x", x)
    V.check_choice("order", order, tuple(STENCILS))
    if dout is not None:
        _check_float64("dout", dout)
    V.check_number("h", h, low=0, low_open=True, finite=True)

    def scalar():
        value = np.asarray(f(), dtype=np.float64)
        if dout is not None:
            return float(np.sum(value * V.check_shape("dout (the shape of f())", dout, value.shape)))
        if value.size != 1:
            raise ValueError(f"Expected f() to return a scalar (or pass dout), got shape {value.shape}")
        return float(value)

    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        total = 0.0
        for step, weight in STENCILS[order]:
            x[i] = old + step * h
            total += weight * scalar()
        x[i] = old
        grad[i] = total / h
    return grad


def rel_error(a, b):
    """Relative error ``max|a - b| / max(max|a|, max|b|)``; 0.0 when both are all zeros.

    Raises:
        ValueError: if the shapes differ.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"Expected arrays of the same shape, got {a.shape} and {b.shape}")
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    diff = np.abs(a - b).max(initial=0.0)
    return 0.0 if scale == 0.0 else float(diff / scale)


class GradcheckError(AssertionError):
    """Raised by :func:`check_gradients` when an analytic gradient disagrees."""


def check_gradients(f, inputs, analytic, h=1e-6, tol=1e-7, dout=None, order=2):
    """Compare analytic gradients with centred differences, one entry per input array.

    Args:
        f: function of no arguments reading the arrays in ``inputs`` (see
            :func:`numerical_gradient`).
        inputs: ``{name: float64 array}`` to differentiate with respect to.
        analytic: ``{name: gradient}`` with the same names and shapes.
        h, dout, order: as for :func:`numerical_gradient`.
        tol: largest relative error accepted.

    Returns:
        ``{name: relative error}``, in the order of ``inputs``.

    Raises:
        TypeError: if ``inputs`` or ``analytic`` is not a dict, an input is not a float64
            NumPy array, or ``tol`` not a number (and as :func:`numerical_gradient`).
        ValueError: if the names of ``inputs`` and ``analytic`` differ, ``tol`` is not
            positive, or a gradient's shape differs from its input's (and as
            :func:`numerical_gradient`).
        GradcheckError: if any relative error is ``tol`` or more; the message lists
            every input with its error.
    """
    V.check_type("inputs", inputs, Mapping, "a dict name -> array")
    V.check_type("analytic", analytic, Mapping, "a dict name -> gradient")
    V.check_number("tol", tol, low=0, low_open=True)
    if set(inputs) != set(analytic):
        raise ValueError(f"Expected gradients for {sorted(inputs)}, got {sorted(analytic)}")
    errors = {name: rel_error(analytic[name], numerical_gradient(f, x, h, dout, order))
              for name, x in inputs.items()}
    bad = [name for name, err in errors.items() if not err < tol]
    if bad:
        report = "\n".join(f"  {name:<24} {err:.2e}{'  <-- FAIL' if name in bad else ''}"
                           for name, err in errors.items())
        raise GradcheckError(f"Expected relative errors < {tol:g}, got:\n{report}")
    return errors
