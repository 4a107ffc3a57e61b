"""course_pkg.RNN equals torch.nn.RNN with copied weights: outputs, final states, every gradient."""
import numpy as np
import pytest
import torch

import course_pkg as cp
from conftest import rel_err, torch_reference

TOL = 1e-10


def random_configs(n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield dict(
            num_layers=int(rng.integers(1, 4)), nonlinearity=str(rng.choice(["tanh", "relu"])),
            bias=bool(rng.integers(2)), batch_first=bool(rng.integers(2)),
            bidirectional=bool(rng.integers(2)), N=int(rng.integers(1, 5)), T=int(rng.integers(1, 7)),
            D=int(rng.integers(1, 6)), H=int(rng.integers(1, 7)), unbatched=bool(rng.random() < 0.25),
            give_hx=bool(rng.integers(2)), seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("cfg", list(random_configs(40)), ids=lambda c: "-".join(
    f"{k}={v}" for k, v in c.items() if k != "seed"))
def test_rnn_matches_torch(cfg):
    rng = np.random.default_rng(cfg["seed"])
    N, T, D, H, L = cfg["N"], cfg["T"], cfg["D"], cfg["H"], cfg["num_layers"]
    dirs = 2 if cfg["bidirectional"] else 1
    kwargs = {k: cfg[k] for k in ("num_layers", "nonlinearity", "bias", "batch_first", "bidirectional")}
    ours = cp.RNN(D, H, **kwargs, dtype="float64", seed=cfg["seed"])
    ref = torch.nn.RNN(D, H, **kwargs, dtype=torch.float64)
    ref.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})

    if cfg["unbatched"]:
        x_shape, h_shape, out_shape = (T, D), (L * dirs, H), (T, dirs * H)
    else:
        x_shape = (N, T, D) if cfg["batch_first"] else (T, N, D)
        h_shape = (L * dirs, N, H)
        out_shape = x_shape[:2] + (dirs * H,)
    x = rng.standard_normal(x_shape)
    hx = rng.standard_normal(h_shape) if cfg["give_hx"] else None
    g_out, g_h = rng.standard_normal(out_shape), rng.standard_normal(h_shape)

    out, h_n = ours(x, hx)
    dx, dhx, grads = ours.backward(g_out, g_h)
    r_out, r_h, r_dx, r_dhx, r_grads = torch_reference(ref, x, hx, g_out, g_h)

    assert out.shape == r_out.shape and h_n.shape == r_h.shape
    assert rel_err(out, r_out) < TOL
    assert rel_err(h_n, r_h) < TOL
    assert rel_err(dx, r_dx) < TOL
    if hx is not None:
        assert rel_err(dhx, r_dhx) < TOL
    assert list(grads) == list(r_grads)
    for name in grads:
        assert rel_err(grads[name], r_grads[name]) < TOL, name


def test_state_dicts_load_both_ways():
    ref = torch.nn.RNN(5, 6, 2, bidirectional=True)
    ours = cp.RNN(5, 6, 2, bidirectional=True, seed=1)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    ours.load_state_dict(ref.state_dict())                       # torch -> ours
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k], v.numpy())
    back = torch.nn.RNN(5, 6, 2, bidirectional=True)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in cp.RNN(5, 6, 2, bidirectional=True,
                                                                     seed=2).state_dict().items()})
    mod = cp.RNN(5, 6, 2, bidirectional=True, seed=2).to_torch_nn()   # ours -> torch
    for k, v in mod.state_dict().items():
        torch.testing.assert_close(v, back.state_dict()[k], rtol=0, atol=0)


def test_from_torch_nn_copies_configuration():
    ref = torch.nn.RNN(3, 4, 2, nonlinearity="relu", bias=False, batch_first=True, dtype=torch.float64)
    ours = cp.RNN.from_torch_nn(ref)
    assert (ours.num_layers, ours.nonlinearity, ours.bias, ours.batch_first, ours.dtype) == \
           (2, "relu", False, True, "float64")
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    out, _ = ours(x)
    assert rel_err(out, ref(torch.tensor(x))[0].detach().numpy()) < TOL


def test_default_init_is_uniform_in_torch_range():
    H = 16
    params = list(cp.RNN(8, H, seed=0).state_dict().values())
    assert all(v.dtype == np.float32 for v in params)
    values = np.concatenate([v.ravel() for v in params])         # 544 draws
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(values) <= bound) and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.1 * bound
    same = cp.RNN(8, H, seed=0).state_dict()
    assert all(np.array_equal(same[k], v) for k, v in cp.RNN(8, H, seed=0).state_dict().items())


def test_bidirectional_h_n_halves():
    """h_n is not output[-1]: its reverse half is the state after reading x_0."""
    rnn = cp.RNN(3, 4, bidirectional=True, dtype="float64", seed=0)
    out, h_n = rnn(np.random.default_rng(0).standard_normal((6, 2, 3)))   # (T, N, D)
    np.testing.assert_allclose(h_n[0], out[-1, :, :4])
    np.testing.assert_allclose(h_n[1], out[0, :, 4:])
    assert not np.allclose(h_n[1], out[-1, :, 4:])
