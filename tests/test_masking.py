"""Variable-length batches: `lengths=` equals torch's packed sequences, and padding is inert."""
import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import course_pkg as cp
from conftest import as_tuple, rel_err
from course_pkg.gradcheck import check_gradients

TOL = 1e-10


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_equal_packed_sequences(family, bidirectional, batch_first):
    rng = np.random.default_rng(0)
    N, T, D, H, L = 4, 6, 3, 5, 2
    lengths = np.array([6, 2, 4, 1])
    ours = getattr(cp, family)(D, H, L, batch_first=batch_first, bidirectional=bidirectional,
                               dtype="float64", seed=1)
    ref = ours.to_torch_nn()
    x = rng.standard_normal((N, T, D) if batch_first else (T, N, D))
    out, state = ours(x, lengths=lengths)

    xt = torch.tensor(x, requires_grad=True)
    packed = pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    out_p, state_t = ref(packed)
    out_t, _ = pad_packed_sequence(out_p, batch_first=batch_first, total_length=T)
    assert rel_err(out, out_t.detach()) < TOL
    for a, b in zip(as_tuple(state), as_tuple(state_t), strict=True):
        assert rel_err(a, b.detach()) < TOL

    g_out = rng.standard_normal(out.shape)
    g_state = [rng.standard_normal(s.shape) for s in as_tuple(state)]
    dx, _, grads = ours.backward(g_out, *g_state)
    loss = (out_t * torch.tensor(g_out)).sum()
    for s, g in zip(as_tuple(state_t), g_state):
        loss = loss + (s * torch.tensor(g)).sum()
    loss.backward()
    assert rel_err(dx, xt.grad) < TOL
    for name, p in ref.named_parameters():
        assert rel_err(grads[name], p.grad) < TOL, name


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_gradcheck_with_lengths(family):
    rng = np.random.default_rng(1)
    model = getattr(cp, family)(2, 3, 2, bidirectional=True, batch_first=True, dtype="float64", seed=0)
    x = rng.standard_normal((3, 4, 2))
    lengths = np.array([4, 1, 3])
    outs = lambda: (lambda o, s: (o,) + as_tuple(s))(*model(x, lengths=lengths))
    g = [rng.standard_normal(a.shape) for a in outs()]
    dx, _, grads = model.backward(*g)
    loss = lambda: sum(np.sum(a * gg) for a, gg in zip(outs(), g))
    check_gradients(loss, {"input": x, **model.state_dict()}, {"input": dx, **grads}, tol=1e-7)


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_extra_padding_changes_nothing(family):
    """Property over random batches: appending padding leaves outputs, states and gradients alone."""
    rng = np.random.default_rng(2)
    for _ in range(5):
        N, T, extra = int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
        lengths = rng.integers(1, T + 1, size=N)
        model = getattr(cp, family)(3, 4, bidirectional=True, batch_first=True, dtype="float64",
                                    seed=int(rng.integers(100)))
        x = rng.standard_normal((N, T, 3))
        x_long = np.concatenate([x, rng.standard_normal((N, extra, 3))], axis=1)   # junk, not zeros
        out, state = model(x, lengths=lengths)
        g_out = rng.standard_normal(out.shape)
        dx, _, grads = model.backward(g_out)
        out2, state2 = model(x_long, lengths=lengths)
        dx2, _, grads2 = model.backward(np.concatenate([g_out, rng.standard_normal((N, extra, 8))], axis=1))
        assert np.allclose(out2[:, :T], out) and np.all(out2[:, T:] == 0)
        for a, b in zip(as_tuple(state), as_tuple(state2)):
            assert np.allclose(a, b)
        assert np.allclose(dx2[:, :T], dx) and np.all(dx2[:, T:] == 0)
        for k in grads:
            assert np.allclose(grads[k], grads2[k]), k


def test_torch_backend_lengths():
    ours = cp.GRU(3, 4, bidirectional=True, batch_first=True, dtype="float64", seed=0)
    mine_t = cp.GRU(3, 4, bidirectional=True, batch_first=True, dtype="float64", seed=0, backend="torch")
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    out, h = ours(x, lengths=[5, 2])
    out_t, h_t = mine_t(torch.tensor(x), lengths=torch.tensor([5, 2]))
    assert rel_err(out, out_t.detach()) < TOL and rel_err(h, h_t.detach()) < TOL


def test_bad_lengths():
    rnn = cp.RNN(3, 4, batch_first=True, dtype="float64")
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match=r"Expected lengths in \[1, 5\], got min 0 and max 5"):
        rnn(x, lengths=[0, 5])
    with pytest.raises(ValueError, match=r"Expected lengths in \[1, 5\], got min 1 and max 6"):
        rnn(x, lengths=[6, 1])
    with pytest.raises(ValueError, match="Expected lengths to be 2 integers, got shape"):
        rnn(x, lengths=[1, 2, 3])
    with pytest.raises(ValueError, match="Expected lengths to be 2 integers"):
        rnn(x, lengths=[1.5, 2.0])
    with pytest.raises(ValueError, match="Expected batched input with lengths"):
        rnn(np.zeros((5, 3)), lengths=[5])
