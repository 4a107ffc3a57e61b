"""Keras <-> course_pkg weights: ``from_keras`` and ``to_keras_weights`` against real Keras 3.

Keras runs on the torch back-end (``KERAS_BACKEND=torch`` before ``import keras``). The tests
that build Keras layers skip, with the reason, where Keras is not installed; the bad calls need
NumPy only and always run. ``CASES`` is a battery table in the form of
``tests/test_validation_docs.py``.
"""
import os

import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, documented, ids, name_of, raises_section

import course_pkg as cp
from course_pkg.layers import RNNBase

os.environ["KERAS_BACKEND"] = "torch"      # read once, by the first `import keras`
# Keras 3.15's own np.array(variable) calls, under NumPy 2: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

KERAS_LAYERS = {"RNN": "SimpleRNN", "LSTM": "LSTM", "GRU": "GRU"}
N, T, D, H = 3, 7, 5, 4


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras", reason="Keras is not installed (pip install keras==3.15.1)")
    if keras.backend.backend() != "torch":
        pytest.skip(f"Keras runs on {keras.backend.backend()!r}, not the torch back-end")
    return keras


def keras_layer(keras, family, seed, **kwargs):
    """A built Keras layer of ``family`` with random weights (random biases too), all outputs."""
    layer = getattr(keras.layers, KERAS_LAYERS[family])(H, return_sequences=True, return_state=True, **kwargs)
    layer.build((None, T, D))
    rng = np.random.default_rng(seed)
    layer.set_weights([0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


def run_keras(keras, layer, x):
    """Keras' output sequence and final states, as NumPy: ``(output (N, T, H), [h] or [h, c])``."""
    output, *states = layer(x)
    return keras.ops.convert_to_numpy(output), [keras.ops.convert_to_numpy(s) for s in states]


def run_torch_nn(module, x):
    with torch.no_grad():
        output, h_n = module(torch.from_numpy(x))
    states = h_n if isinstance(h_n, tuple) else (h_n,)
    return output.numpy(), [s[0].numpy() for s in states]


def run_ours(model, x):
    output, h_n = model(x)
    states = h_n if isinstance(h_n, tuple) else (h_n,)
    return cp.backend.to_numpy(output), [cp.backend.to_numpy(s[0]) for s in states]


def assert_same_run(a, b):
    """Same output sequence and final states, to float32 rounding."""
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-6)
    assert len(a[1]) == len(b[1])
    for s, t in zip(a[1], b[1]):
        np.testing.assert_allclose(s, t, rtol=1e-5, atol=1e-6)


CONFIGS = [("RNN", {}, {}), ("RNN", {"activation": "relu"}, {"nonlinearity": "relu"}), ("LSTM", {}, {}),
           ("GRU", {}, {})]


# -- Keras -> course_pkg -> torch.nn ---------------------------------------------------------------
@pytest.mark.parametrize("family, keras_kwargs, our_kwargs", CONFIGS)
def test_three_libraries_give_the_same_outputs(keras, family, keras_kwargs, our_kwargs):
    layer = keras_layer(keras, family, seed=0, **keras_kwargs)
    x = np.random.default_rng(1).standard_normal((N, T, D)).astype(np.float32)   # (N, T, D)
    expected = run_keras(keras, layer, x)
    ours = getattr(cp, family).from_keras(layer.get_weights(), **our_kwargs)
    assert (ours.input_size, ours.hidden_size, ours.batch_first, ours.dtype) == (D, H, True, "float32")
    assert_same_run(run_ours(ours, x), expected)
    assert_same_run(run_torch_nn(ours.to_torch_nn(), x), expected)
    on_torch = getattr(cp, family).from_keras(layer.get_weights(), backend="torch", **our_kwargs)
    with torch.no_grad():
        assert_same_run(run_ours(on_torch, torch.from_numpy(x)), expected)


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_keras_weights_round_trip(keras, family):
    weights = keras_layer(keras, family, seed=2).get_weights()
    back = getattr(cp, family).from_keras(weights).to_keras_weights()
    assert [w.shape for w in back] == [w.shape for w in weights]
    for mine, theirs in zip(back, weights):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_course_pkg_weights_load_into_keras(keras, family):
    ours = getattr(cp, family)(D, H, batch_first=True, seed=3)    # two random biases
    layer = keras_layer(keras, family, seed=4)
    layer.set_weights(ours.to_keras_weights())
    x = np.random.default_rng(5).standard_normal((N, T, D)).astype(np.float32)
    assert_same_run(run_keras(keras, layer, x), run_ours(ours, x))
    again = getattr(cp, family).from_keras(ours.to_keras_weights()).state_dict()
    sd = ours.state_dict()
    if family == "GRU":                                          # two biases in Keras too
        np.testing.assert_array_equal(again["bias_hh_l0"], sd["bias_hh_l0"])
    else:                                                        # one: the sum, and b_hh = 0
        np.testing.assert_array_equal(again["bias_ih_l0"], sd["bias_ih_l0"] + sd["bias_hh_l0"])
        np.testing.assert_array_equal(again["bias_hh_l0"], np.zeros_like(sd["bias_hh_l0"]))
    np.testing.assert_array_equal(again["weight_hh_l0"], sd["weight_hh_l0"])


def test_reset_after_false_gru_is_refused(keras):
    weights = keras_layer(keras, "GRU", seed=6, reset_after=False).get_weights()
    assert weights[2].shape == (3 * H,)
    with pytest.raises(ValueError, match="reset_after=False, the 2014 paper's reset before the product, "
                                         "is not torch's GRU"):
        cp.GRU.from_keras(weights)


def test_chapter_9_bidirectional_lstm(keras):
    """Chapter 9: Keras' ``Bidirectional(LSTM(64))`` on 16 features has 41,472 parameters,
    course_pkg's ``LSTM(16, 64, bidirectional=True)`` 41,984 (a second bias per direction),
    and Keras' output is ``[h_n[-2]; h_n[-1]]`` once each direction's weights are converted."""
    Dk, Hk = 16, 64
    layer = keras.layers.Bidirectional(keras.layers.LSTM(Hk))
    layer.build((None, 10, Dk))
    weights = layer.get_weights()                # forward layer's 3 arrays, then the backward's
    assert layer.count_params() == sum(w.size for w in weights) == 2 * 4 * Hk * (Dk + Hk + 1) == 41_472
    ours = cp.LSTM(Dk, Hk, batch_first=True, bidirectional=True, seed=0)
    assert sum(v.size for v in ours.state_dict().values()) == 41_472 + 2 * 4 * Hk == 41_984
    forward, backward = cp.LSTM.from_keras(weights[:3]), cp.LSTM.from_keras(weights[3:])
    ours.load_state_dict({**forward.state_dict(),
                          **{k + "_reverse": v for k, v in backward.state_dict().items()}})
    x = np.random.default_rng(7).standard_normal((8, 10, Dk)).astype(np.float32)
    _, (h_n, _) = ours(x)                        # (2, 8, 64)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), np.concatenate([h_n[-2], h_n[-1]], 1),
                               rtol=1e-5, atol=1e-6)


# -- bad calls ---------------------------------------------------------------------------------
def arrays(G, kernel=(8, None), recurrent=None, bias=None, dtype=np.float32, Hb=4):
    """Zero ``[kernel, recurrent_kernel, bias]`` of ``G`` gates and ``Hb`` units, shapes overridable."""
    shapes = [(kernel[0], kernel[1] or G * Hb), recurrent or (Hb, G * Hb), bias or (G * Hb,)]
    return [np.zeros(s, dtype=dtype) for s in shapes]


def keras_cases():
    rows = [
        (TypeError, r"Expected weights to be a list \[kernel, recurrent_kernel, bias\] "
                    r"\(Keras' layer.get_weights\(\)\), got dict",
         lambda: cp.RNN.from_keras(dict(enumerate(arrays(1))))),
        (TypeError, r"Expected kernel to be a numpy.ndarray \(from layer.get_weights\(\)\), got list",
         lambda: cp.RNN.from_keras([[[0.0] * 4] * 8] + arrays(1)[1:])),
        (TypeError, "Expected bias of a float dtype, got int64",
         lambda: cp.LSTM.from_keras(arrays(4)[:2] + [np.zeros(16, dtype=np.int64)])),
        (ValueError, r"\(3 arrays, use_bias=True\), got 2 arrays$",
         lambda: cp.RNN.from_keras(arrays(1)[:2])),
        (ValueError, r"got 6 arrays \(a Bidirectional layer: convert weights\[:3\] and weights\[3:\] apart\)",
         lambda: cp.LSTM.from_keras(arrays(4) * 2)),
        (ValueError, r"Expected recurrent_kernel of shape \(32, 32\), got \(32, 31\)",
         lambda: cp.RNN.from_keras(arrays(1, Hb=32, recurrent=(32, 31)))),
        (ValueError, r"Expected kernel of shape \(input_size, 4 \* hidden_size\), got \(8, 30\)",
         lambda: cp.LSTM.from_keras(arrays(4, kernel=(8, 30)))),
        (ValueError, r"Expected kernel of shape \(input_size, 3 \* hidden_size\), got \(12,\)",
         lambda: cp.GRU.from_keras([np.zeros(12, np.float32)] + arrays(3, bias=(2, 12))[1:])),
        (ValueError, r"Expected bias of shape \(16,\), got \(2, 16\)",
         lambda: cp.LSTM.from_keras(arrays(4, bias=(2, 16)))),
        (ValueError, r"Expected bias of shape \(2, 12\) \(Keras' GRU with reset_after=True\), got \(12,\): "
                     r"reset_after=False",
         lambda: cp.GRU.from_keras(arrays(3))),
        (ValueError, r"Expected bias of shape \(2, 12\), got \(3, 12\)",
         lambda: cp.GRU.from_keras(arrays(3, bias=(3, 12)))),
        (ValueError, "Expected input_size >= 1, got 0",
         lambda: cp.RNN.from_keras(arrays(1, kernel=(0, None)))),
        (TypeError, r"Expected keyword arguments among \['backend', 'device', 'dtype', 'seed', "
                    r"'explicit_backward', 'batch_first', 'nonlinearity'\], got \['hidden_size'\]",
         lambda: cp.RNN.from_keras(arrays(1), hidden_size=3)),
        (TypeError, "LSTM\\(\\) got an unexpected keyword argument 'nonlinearity'",
         lambda: cp.LSTM.from_keras(arrays(4), nonlinearity="relu")),
        (TypeError, "Expected dtype float32 or float64",
         lambda: cp.RNN.from_keras(arrays(1, dtype=np.float16))),
    ]
    cases = [bad(cp.RNN.from_keras, *row) for row in rows]
    to_rows = [
        (ValueError, "Expected one layer, one direction and bias=True .*, got num_layers=2, ",
         lambda: cp.LSTM(3, 4, num_layers=2).to_keras_weights()),
        (ValueError, "got num_layers=1, bidirectional=True, bias=True",
         lambda: cp.GRU(3, 4, bidirectional=True).to_keras_weights()),
        (ValueError, "got num_layers=1, bidirectional=False, bias=False",
         lambda: cp.RNN(3, 4, bias=False).to_keras_weights()),
    ]
    return cases + [bad(RNNBase.to_keras_weights, *row) for row in to_rows]


CASES = keras_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


def test_raised_types_are_documented():
    for case in CASES:
        assert case.exc.__name__ in raises_section(documented(case.entry)), name_of(case.entry)
