"""RNN, LSTM and GRU equal their torch.nn namesakes with copied weights: outputs, final
states and every gradient, float64, over randomised configurations."""
import numpy as np
import pytest
import torch

import course_pkg as cp
from conftest import as_tuple, rel_err, torch_reference

TOL = 1e-10
FAMILIES = {"RNN": 1, "LSTM": 2, "GRU": 1}     # name -> number of state arrays


def random_configs(n, seed=0):
    rng = np.random.default_rng(seed)
    for k in range(n):
        cfg = dict(family=list(FAMILIES)[k % 3], num_layers=int(rng.integers(1, 4)),
                   bias=bool(rng.integers(2)), batch_first=bool(rng.integers(2)),
                   bidirectional=bool(rng.integers(2)), N=int(rng.integers(1, 5)), T=int(rng.integers(1, 7)),
                   D=int(rng.integers(1, 6)), H=int(rng.integers(1, 7)), unbatched=bool(rng.random() < 0.25),
                   give_hx=bool(rng.integers(2)), seed=int(rng.integers(1 << 30)))
        if cfg["family"] == "RNN":
            cfg["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
        yield cfg


def describe(cfg):
    return "-".join(f"{k}={v}" for k, v in cfg.items() if k != "seed")


@pytest.mark.parametrize("cfg", list(random_configs(60)), ids=describe)
def test_layer_matches_torch(cfg):
    rng = np.random.default_rng(cfg["seed"])
    N, T, D, H, L = cfg["N"], cfg["T"], cfg["D"], cfg["H"], cfg["num_layers"]
    dirs = 2 if cfg["bidirectional"] else 1
    kwargs = {k: cfg[k] for k in ("num_layers", "nonlinearity", "bias", "batch_first", "bidirectional")
              if k in cfg}
    ours = getattr(cp, cfg["family"])(D, H, **kwargs, dtype="float64", seed=cfg["seed"])
    ref = getattr(torch.nn, cfg["family"])(D, H, **kwargs, dtype=torch.float64)
    ref.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})

    if cfg["unbatched"]:
        x_shape, h_shape, out_shape = (T, D), (L * dirs, H), (T, dirs * H)
    else:
        x_shape = (N, T, D) if cfg["batch_first"] else (T, N, D)
        h_shape, out_shape = (L * dirs, N, H), x_shape[:2] + (dirs * H,)
    n_states = FAMILIES[cfg["family"]]
    pack = (lambda arrays: arrays[0]) if n_states == 1 else tuple
    x = rng.standard_normal(x_shape)
    hx = pack([rng.standard_normal(h_shape) for _ in range(n_states)]) if cfg["give_hx"] else None
    g_out = rng.standard_normal(out_shape)
    g_state = [rng.standard_normal(h_shape) for _ in range(n_states)]

    out, state = ours(x, hx)
    dx, dhx, grads = ours.backward(g_out, *g_state)
    r_out, r_state, r_dx, r_dhx, r_grads = torch_reference(ref, x, hx, g_out, pack(g_state))

    assert out.shape == r_out.shape and rel_err(out, r_out) < TOL
    for a, b in zip(as_tuple(state), r_state, strict=True):
        assert a.shape == b.shape and rel_err(a, b) < TOL
    assert rel_err(dx, r_dx) < TOL
    if hx is not None:
        for a, b in zip(as_tuple(dhx), r_dhx, strict=True):
            assert rel_err(a, b) < TOL
    assert list(grads) == list(r_grads)
    for name in grads:
        assert rel_err(grads[name], r_grads[name]) < TOL, name


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_torch(family, batched, bias):
    rng = np.random.default_rng(0)
    cell = getattr(cp, family + "Cell")(3, 4, bias=bias, dtype="float64", seed=0)
    ref = getattr(torch.nn, family + "Cell")(3, 4, bias=bias, dtype=torch.float64)
    ref.load_state_dict({k: torch.tensor(v) for k, v in cell.state_dict().items()})
    lead = (2,) if batched else ()
    n_states = FAMILIES[family]
    x = rng.standard_normal(lead + (3,))
    hx = [rng.standard_normal(lead + (4,)) for _ in range(n_states)]
    g = [rng.standard_normal(lead + (4,)) for _ in range(n_states)]
    out = as_tuple(cell(x, hx[0] if n_states == 1 else tuple(hx)))
    dx, dhx, grads = cell.backward(*g)

    xt = torch.tensor(x, requires_grad=True)
    ht = [torch.tensor(h, requires_grad=True) for h in hx]
    out_t = as_tuple(ref(xt, ht[0] if n_states == 1 else tuple(ht)))
    sum((o * torch.tensor(gg)).sum() for o, gg in zip(out_t, g)).backward()
    for a, b in zip(out, out_t, strict=True):
        assert rel_err(a, b.detach()) < TOL
    assert rel_err(dx, xt.grad) < TOL
    for a, b in zip(as_tuple(dhx), ht, strict=True):
        assert rel_err(a, b.grad) < TOL
    for name, p in ref.named_parameters():
        assert rel_err(grads[name], p.grad) < TOL, name
    no_hx = as_tuple(cell(x))                                    # hx omitted = zeros
    for a, b in zip(no_hx, as_tuple(ref(torch.tensor(x))), strict=True):
        assert rel_err(a, b.detach()) < TOL


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_state_dicts_load_both_ways(family):
    ref = getattr(torch.nn, family)(5, 6, 2, bidirectional=True)
    ours = getattr(cp, family)(5, 6, 2, bidirectional=True, seed=1)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    ours.load_state_dict(ref.state_dict())                       # torch -> ours
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k], v.numpy())
    mine = getattr(cp, family)(5, 6, 2, bidirectional=True, seed=2)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()})  # ours -> torch
    for k, v in mine.to_torch_nn().state_dict().items():
        torch.testing.assert_close(v, ref.state_dict()[k], rtol=0, atol=0)


def test_from_torch_nn_copies_configuration():
    ref = torch.nn.RNN(3, 4, 2, nonlinearity="relu", bias=False, batch_first=True, dtype=torch.float64)
    ours = cp.RNN.from_torch_nn(ref)
    assert (ours.num_layers, ours.nonlinearity, ours.bias, ours.batch_first, ours.dtype) == \
           (2, "relu", False, True, "float64")
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    assert rel_err(ours(x)[0], ref(torch.tensor(x))[0].detach().numpy()) < TOL
    with pytest.raises(ValueError, match="Expected a module with proj_size=0"):
        cp.LSTM.from_torch_nn(torch.nn.LSTM(3, 4, proj_size=2))


def test_default_init_is_uniform_in_torch_range():
    H = 16
    params = list(cp.LSTM(8, H, seed=0).state_dict().values())
    assert all(v.dtype == np.float32 for v in params)
    values = np.concatenate([v.ravel() for v in params])
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(values) <= bound) and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.1 * bound
    again = cp.LSTM(8, H, seed=0).state_dict()
    assert all(np.array_equal(again[k], v) for k, v in cp.LSTM(8, H, seed=0).state_dict().items())


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_bidirectional_h_n_is_not_output_last(family):
    """h_n's forward half is output[-1]'s; its reverse half is output[0]'s (the state after x_0)."""
    model = getattr(cp, family)(3, 4, bidirectional=True, dtype="float64", seed=0)
    out, state = model(np.random.default_rng(0).standard_normal((6, 2, 3)))   # (T, N, D)
    h_n = as_tuple(state)[0]
    np.testing.assert_allclose(h_n[0], out[-1, :, :4])
    np.testing.assert_allclose(h_n[1], out[0, :, 4:])
    assert not np.allclose(h_n[1], out[-1, :, 4:])


def test_lstm_hx_must_be_a_pair():
    lstm = cp.LSTM(3, 4, dtype="float64")
    with pytest.raises(TypeError, match=r"Expected hx to be a tuple \(h_0, c_0\), got ndarray"):
        lstm(np.zeros((5, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match="got tuple of length 1"):
        lstm(np.zeros((5, 2, 3)), (np.zeros((1, 2, 4)),))
