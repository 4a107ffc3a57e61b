"""Dropout between layers: on in training, off in evaluation, the same masks on both back-ends."""
import numpy as np
import pytest
import torch

import course_pkg as cp


def test_dropout_only_in_training_and_only_between_layers():
    x = np.random.default_rng(0).standard_normal((6, 3, 4))
    rnn = cp.GRU(4, 5, num_layers=2, dropout=0.5, dtype="float64", seed=0)
    out_eval, _ = rnn.eval()(x)
    no_dropout = cp.GRU(4, 5, num_layers=2, dtype="float64", seed=0)
    np.testing.assert_allclose(out_eval, no_dropout(x)[0])          # eval: no dropout at all
    rnn.train()
    out_a, _ = rnn(x)
    out_b, _ = rnn(x)
    assert not np.allclose(out_a, out_eval) and not np.allclose(out_a, out_b)   # fresh masks
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        single = cp.GRU(4, 5, num_layers=1, dropout=0.5, dtype="float64", seed=0)   # as torch warns
    np.testing.assert_allclose(single(x)[0], single(x)[0])          # one layer: nothing between


def test_dropout_mask_is_inverted_and_scaled():
    """Keep probability 1-p, kept values scaled by 1/(1-p): the mean activation is unchanged."""
    rnn = cp.RNN(3, 4, num_layers=2, dropout=0.25, seed=0)
    keep = rnn._dropout_mask(np.zeros((400, 50, 4), dtype=np.float32))
    assert set(np.unique(keep)) == {0.0, np.float32(1 / 0.75)}
    assert abs((keep > 0).mean() - 0.75) < 0.01


def test_same_seed_same_dropout_on_both_backends():
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    kw = dict(num_layers=3, dropout=0.4, bidirectional=True, dtype="float64", seed=7)
    a, _ = cp.LSTM(3, 4, **kw)(x)
    b, _ = cp.LSTM(3, 4, backend="torch", **kw)(torch.tensor(x))
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12)
