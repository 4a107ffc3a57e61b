"""The gradient checker itself: it must pass right gradients and catch wrong ones."""
import numpy as np
import pytest

from course_pkg.gradcheck import GradcheckError, check_gradients, numerical_gradient, rel_error


def test_numerical_gradient_of_known_function():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x0 = x.copy()
    g = numerical_gradient(lambda: np.sum(np.sin(x) * x), x)
    assert rel_error(g, np.cos(x0) * x0 + np.sin(x0)) < 1e-8
    np.testing.assert_array_equal(x, x0)            # restored


def test_fourth_order_is_more_accurate_at_the_same_step():
    x = np.array([0.3, -1.2, 2.0])
    exact = np.exp(x) * (np.sin(x) + np.cos(x))
    f = lambda: np.sum(np.exp(x) * np.sin(x))
    err2 = rel_error(numerical_gradient(f, x, h=1e-3), exact)
    err4 = rel_error(numerical_gradient(f, x, h=1e-3, order=4), exact)
    assert err4 < 1e-11 < 1e-8 < err2
    with pytest.raises(ValueError, match=r"Expected order in \[2, 4\], got 3"):
        numerical_gradient(f, x, order=3)


def test_numerical_gradient_with_dout():
    rng = np.random.default_rng(1)
    x, W, dout = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    g = numerical_gradient(lambda: x @ W, x, dout=dout)
    assert rel_error(g, dout @ W.T) < 1e-8


def test_rel_error_is_zero_for_two_zero_arrays_and_symmetric():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.5]) == rel_error([1.0, 2.5], [1.0, 2.0]) == pytest.approx(0.2)
    assert rel_error(np.zeros(2), [0.0, 1e-30]) == 1.0


def test_check_gradients_reports_each_input_and_fails_on_wrong_backward():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(5), rng.standard_normal(5)
    f = lambda: np.sum(np.tanh(x * w))
    d = 1 - np.tanh(x * w) ** 2
    errors = check_gradients(f, {"x": x, "w": w}, {"x": d * w, "w": d * x})
    assert list(errors) == ["x", "w"] and max(errors.values()) < 1e-8
    with pytest.raises(GradcheckError, match=r"w .*FAIL"):
        check_gradients(f, {"x": x, "w": w}, {"x": d * w, "w": x})   # forgot the tanh' factor


def test_bad_arguments():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(2, dtype=np.float32))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        numerical_gradient(lambda: 0.0, [1.0])
    with pytest.raises(ValueError, match="h > 0"):
        numerical_gradient(lambda: 0.0, np.zeros(2), h=0)
    with pytest.raises(ValueError, match="scalar"):
        x = np.zeros(2)
        numerical_gradient(lambda: x * 2, x)
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="Expected gradients for"):
        check_gradients(lambda: 0.0, {"x": np.zeros(1)}, {"y": np.zeros(1)})
