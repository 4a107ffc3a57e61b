"""Optimisers and clipping equal torch.optim / torch.nn.utils step for step (float64), update
the module's own arrays in place, and reject bad arguments with one clear error."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_pkg as cp
from conftest import rel_err
from course_pkg.losses import cross_entropy
from course_pkg.optim import SGD, Adam, AdamW, clip_grad_norm_, clip_grad_value_

TOL = 1e-12
SHAPES = {"weight": (3, 4), "bias": (4,), "scale": (2, 1, 3)}


def random_params(seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s) for k, s in SHAPES.items()}


def random_grads(rng, scale=1.0):
    return {k: scale * rng.standard_normal(s) for k, s in SHAPES.items()}


def follow_torch(ours_cls, torch_cls, kwargs, steps=8, seed=0):
    """Run both optimisers on the same random gradients; check parameters after every step."""
    params = random_params(seed)
    ref = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt, ref_opt = ours_cls(params, **kwargs), torch_cls(list(ref.values()), **kwargs)
    rng = np.random.default_rng(seed + 1)
    for _ in range(steps):
        grads = random_grads(rng, scale=float(rng.choice([0.1, 1.0, 10.0])))   # varying size: AMSGrad's max matters
        for k, p in ref.items():
            p.grad = torch.tensor(grads[k].copy())
        opt.step(grads)
        ref_opt.step()
        for k in params:
            assert rel_err(params[k], ref[k].detach().numpy()) < TOL, k
    return opt, params


SGD_GRID = [dict(lr=lr, momentum=m, dampening=d, weight_decay=wd, nesterov=n, maximize=mx)
            for lr, m, d, wd, n, mx in itertools.product([0.1], [0.0, 0.9], [0.0, 0.3], [0.0, 0.05],
                                                         [False, True], [False, True])
            if not (n and (m == 0 or d != 0))]
ADAM_GRID = [dict(lr=lr, betas=b, eps=eps, weight_decay=wd, amsgrad=a, maximize=mx)
             for lr, b, eps, wd, a, mx in itertools.product([0.01], [(0.9, 0.999), (0.3, 0.5)], [1e-8, 0.1],
                                                            [0.0, 0.05], [False, True], [False, True])]


def describe(kwargs):
    return "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("kwargs", SGD_GRID, ids=describe)
def test_sgd_matches_torch(kwargs):
    follow_torch(SGD, torch.optim.SGD, kwargs)


@pytest.mark.parametrize("kwargs", ADAM_GRID, ids=describe)
def test_adam_matches_torch(kwargs):
    follow_torch(Adam, torch.optim.Adam, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(weight_decay=0.1, amsgrad=True), dict(betas=(0.5, 0.9), maximize=True)],
                         ids=describe)
def test_adamw_matches_torch(kwargs):
    follow_torch(AdamW, torch.optim.AdamW, dict(lr=0.01, **kwargs))


def test_none_gradient_leaves_parameter_and_state_alone_like_torch():
    params = random_params()
    ref = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt, ref_opt = Adam(params, lr=0.1), torch.optim.Adam(list(ref.values()), lr=0.1)
    rng = np.random.default_rng(1)
    for step in range(4):
        grads = random_grads(rng)
        if step % 2:
            grads["bias"] = None
        for k, p in ref.items():
            p.grad = None if grads[k] is None else torch.tensor(grads[k])
        opt.step(grads)
        ref_opt.step()
    assert opt.state["bias"]["step"] == 2 and opt.state["weight"]["step"] == 4
    assert all(rel_err(params[k], ref[k].detach().numpy()) < TOL for k in params)


def test_float32_parameters_stay_float32_and_close_to_torch():
    params = {k: v.astype(np.float32) for k, v in random_params().items()}
    ref = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt, ref_opt = Adam(params, lr=0.1, weight_decay=0.01), torch.optim.Adam(list(ref.values()), lr=0.1,
                                                                            weight_decay=0.01)
    rng = np.random.default_rng(2)
    for _ in range(5):
        grads = {k: v.astype(np.float32) for k, v in random_grads(rng).items()}
        for k, p in ref.items():
            p.grad = torch.tensor(grads[k])
        opt.step(grads)
        ref_opt.step()
    assert all(params[k].dtype == np.float32 and rel_err(params[k], ref[k].detach().numpy()) < 1e-5
               for k in params)


# -- state_dict ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs", [(SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                        (Adam, dict(lr=0.01, amsgrad=True))], ids=["SGD", "Adam"])
def test_state_dict_round_trip_resumes_the_same_trajectory(cls, kwargs):
    rng = np.random.default_rng(3)
    grads = [random_grads(rng) for _ in range(6)]
    params = random_params()
    opt = cls(params, **kwargs)
    for g in grads[:3]:
        opt.step(g)
    saved, saved_params = opt.state_dict(), {k: v.copy() for k, v in params.items()}
    for g in grads[3:]:
        opt.step(g)
    resumed = cls(saved_params, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.hparams() == opt.hparams()
    for g in grads[3:]:
        resumed.step(g)
    assert all(np.array_equal(saved_params[k], params[k]) for k in params)
    with pytest.raises(ValueError, match=r"Expected state for parameters among .*, got \['nope'\]"):
        resumed.load_state_dict({"state": {"nope": {}}, "hparams": saved["hparams"]})
    with pytest.raises(ValueError, match=r"Expected a dict with keys \['hparams', 'state'\], got \['state'\]"):
        resumed.load_state_dict({"state": {}})


# -- in place, on a module ------------------------------------------------------------------------
def test_step_updates_the_modules_own_arrays():
    rnn = cp.RNN(3, 4, dtype="float64", seed=0)
    before = {k: v.copy() for k, v in rnn.state_dict().items()}
    for opt in (SGD(rnn.state_dict(), lr=0.1), SGD(rnn, lr=0.1)):     # a state dict, or the module itself
        opt.step({k: np.ones_like(v) for k, v in before.items()})
    for k, v in rnn.state_dict().items():
        np.testing.assert_allclose(v, before[k] - 0.2, rtol=1e-15)
    opt = SGD(rnn, lr=0.1)
    rnn.load_state_dict(before)                      # new arrays: a module source follows them
    opt.step({k: np.ones_like(v) for k, v in before.items()})
    np.testing.assert_allclose(rnn.state_dict()["weight_hh_l0"], before["weight_hh_l0"] - 0.1, rtol=1e-15)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_rnn_training_follows_torch_exactly(opt_name):
    """course_pkg.RNN + cross_entropy + clip + our optimiser == torch.nn.RNN + F.cross_entropy +
    clip_grad_norm_ + torch.optim, from the same weights, step for step."""
    N, T, D, H = 3, 5, 4, 6
    rnn = cp.RNN(D, H, num_layers=2, batch_first=True, dtype="float64", seed=4)
    ref = rnn.to_torch_nn()
    make = {"SGD": (SGD, torch.optim.SGD, dict(lr=0.5, momentum=0.9, nesterov=True, weight_decay=1e-3)),
            "Adam": (Adam, torch.optim.Adam, dict(lr=0.05, amsgrad=True))}[opt_name]
    opt, ref_opt = make[0](rnn, **make[2]), make[1](ref.parameters(), **make[2])
    rng = np.random.default_rng(5)
    x, targets = rng.standard_normal((N, T, D)), rng.integers(0, H, (N, T))
    targets[0, -2:] = -100                                                  # padding
    norms = []
    for _ in range(5):
        out, _ = rnn(x)                                                     # (N, T, H) used as logits
        loss, dout = cross_entropy(out, targets)
        rnn.backward(dout)
        norms.append(norm := clip_grad_norm_(rnn.grads, max_norm=0.3))
        opt.step(rnn.grads)

        ref_opt.zero_grad()
        ref_out, _ = ref(torch.tensor(x))
        ref_loss = F.cross_entropy(ref_out.permute(0, 2, 1), torch.tensor(targets))
        ref_loss.backward()
        ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm=0.3)
        ref_opt.step()

        assert rel_err(loss, ref_loss.item()) < TOL and rel_err(norm, ref_norm.item()) < TOL
        for k, v in ref.state_dict().items():
            assert rel_err(rnn.state_dict()[k], v.numpy()) < TOL, k
    assert max(norms) > 0.3, norms                                          # clipping was active


# -- clipping --------------------------------------------------------------------------------------
def torch_grads(grads):
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for p, g in zip(params, grads.values()):
        p.grad = torch.tensor(g.copy())
    return params


@pytest.mark.parametrize("norm_type,max_norm", list(itertools.product([2.0, 1, math.inf, "inf", 3.0],
                                                                      [0.5, 1e3])))
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = random_grads(np.random.default_rng(6))
    params = torch_grads(grads)
    before = {k: v.copy() for k, v in grads.items()}
    total = clip_grad_norm_(grads, max_norm, norm_type=norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=float(norm_type))
    assert rel_err(total, ref_total.item()) < TOL
    for g, p in zip(grads.values(), params):
        assert rel_err(g, p.grad.numpy()) < TOL
    if max_norm > total:                                              # below the threshold: untouched
        assert all(np.array_equal(grads[k], before[k]) for k in grads)


def test_clip_grad_norm_of_zero_and_empty_gradients():
    grads = [np.zeros((2, 3)), np.zeros(4)]
    assert clip_grad_norm_(grads, 1.0) == 0.0
    assert all(np.isfinite(g).all() and not g.any() for g in grads)
    assert clip_grad_norm_([], 1.0) == 0.0 and clip_grad_norm_({"a": None}, 1.0) == 0.0
    assert clip_grad_norm_(np.zeros(0), 1.0, norm_type="inf") == 0.0


def test_clip_grad_norm_float32_list_and_nonfinite():
    g = [np.array([3.0, 4.0], dtype=np.float32)]
    total = clip_grad_norm_(g, 1.0)
    ref = torch.tensor([3.0, 4.0], requires_grad=True)
    ref.grad = torch.tensor([3.0, 4.0])
    assert total.dtype == np.float32 and total == torch.nn.utils.clip_grad_norm_([ref], 1.0).item()
    np.testing.assert_array_equal(g[0], ref.grad.numpy())
    bad = {"a": np.array([1.0, np.inf])}
    with pytest.raises(RuntimeError, match="Expected a finite total gradient norm of order 2, got inf"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):                               # inf * 0 = NaN, as torch
        total = clip_grad_norm_(bad, 1.0)
    assert total == np.inf and np.isnan(bad["a"][1]) and bad["a"][0] == 0.0


def test_clip_grad_value_matches_torch():
    grads = random_grads(np.random.default_rng(7))
    params = torch_grads(grads)
    assert clip_grad_value_(grads, 0.5) is None
    torch.nn.utils.clip_grad_value_(params, 0.5)
    for g, p in zip(grads.values(), params):
        np.testing.assert_array_equal(g, p.grad.numpy())
    assert max(np.abs(g).max() for g in grads.values()) == 0.5


def test_clip_bad_arguments():
    g = {"a": np.ones(3)}
    with pytest.raises(ValueError, match="Expected max_norm >= 0, got -1"):
        clip_grad_norm_(g, -1)
    with pytest.raises(ValueError, match="Expected norm_type >= 1, got 0.5"):
        clip_grad_norm_(g, 1.0, norm_type=0.5)
    with pytest.raises(TypeError, match="Expected norm_type to be a number, got str"):
        clip_grad_norm_(g, 1.0, norm_type="fro")
    with pytest.raises(ValueError, match="Expected clip_value >= 0, got -0.1"):
        clip_grad_value_(g, -0.1)
    with pytest.raises(TypeError, match="Expected every gradient to be a numpy.ndarray, got Tensor"):
        clip_grad_norm_([torch.ones(2)], 1.0)
    with pytest.raises(TypeError, match="Expected every gradient of dtype float32 or float64, got int64"):
        clip_grad_value_([np.ones(2, dtype=np.int64)], 1.0)
    with pytest.raises(TypeError, match="Expected grads to be a dict of arrays, .*, got float"):
        clip_grad_norm_(1.0, 1.0)


# -- optimiser arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda p: SGD(p, lr=-1), "Expected lr >= 0, got -1"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "Expected momentum >= 0, got -0.5"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1e-3), "Expected weight_decay >= 0, got -0.001"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "Expected momentum > 0 and dampening == 0 for nesterov=True"),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "got momentum=0.9, dampening=0.1"),
    (lambda p: Adam(p, lr=-1), "Expected lr >= 0, got -1"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), r"Expected betas\[0\] in \[0, 1\), got 1"),
    (lambda p: Adam(p, betas=(0.9, -0.1)), r"Expected betas\[1\] in \[0, 1\), got -0.1"),
    (lambda p: Adam(p, betas=0.9), r"Expected betas to be a pair \(beta1, beta2\), got 0.9"),
    (lambda p: Adam(p, eps=-1e-8), "Expected eps >= 0, got -1e-08"),
    (lambda p: AdamW(p, weight_decay=-1), "Expected weight_decay >= 0, got -1"),
    (lambda p: SGD({}, lr=0.1), "Expected at least one parameter, got none"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make(random_params())


def test_bad_params():
    with pytest.raises(TypeError, match=r"Expected params to be a dict name -> array or a module .*, got list"):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="Expected parameter 'w' to be a numpy.ndarray, got Tensor; use torch.optim"):
        SGD({"w": torch.zeros(2)}, lr=0.1)
    with pytest.raises(TypeError, match="Expected parameter 'weight_ih_l0' to be a numpy.ndarray, got Tensor"):
        Adam(cp.RNN(2, 3, backend="torch"))
    with pytest.raises(TypeError, match="Expected parameter 'w' of dtype float32 or float64, got int64"):
        SGD({"w": np.zeros(2, dtype=np.int64)}, lr=0.1)
    with pytest.raises(TypeError, match="Expected lr to be a number, got str"):
        SGD(random_params(), lr="0.1")


def test_bad_grads():
    params = random_params()
    opt = SGD(params, lr=0.1)
    good = random_grads(np.random.default_rng(8))
    with pytest.raises(ValueError, match=r"Expected gradients for \['weight', 'bias', 'scale'\], "
                                         r"got missing \['bias'\] and unexpected \['b'\]"):
        opt.step({"weight": good["weight"], "b": good["bias"], "scale": good["scale"]})
    with pytest.raises(ValueError, match=r"Expected gradient 'bias' of shape \(4,\), got \(1, 4\)"):
        opt.step({**good, "bias": good["bias"][None]})
    with pytest.raises(TypeError, match=r"Expected gradient 'bias' of dtype float64 \(the parameter's\), got float32"):
        opt.step({**good, "bias": good["bias"].astype(np.float32)})
    with pytest.raises(TypeError, match="Expected grads to be a dict keyed like the parameters, got list"):
        opt.step(list(good.values()))
    assert all(np.array_equal(v, random_params()[k]) for k, v in params.items())   # nothing was applied
    assert opt.zero_grad() is None


def test_optimizer_keeps_working_after_load_state_dict():
    """load_state_dict copies into the live arrays, so an optimiser built earlier still drives the model."""
    import course_pkg as cp
    from course_pkg.optim import SGD
    rnn = cp.RNN(2, 3, dtype="float64", seed=0)
    opt = SGD(rnn.state_dict(), lr=0.1)
    rnn.load_state_dict(cp.RNN(2, 3, dtype="float64", seed=1).state_dict())
    before = {k: v.copy() for k, v in rnn.state_dict().items()}
    out, _ = rnn(np.ones((4, 1, 2)))
    _, _, grads = rnn.backward(np.ones_like(out))
    opt.step(grads)
    for k, v in rnn.state_dict().items():
        np.testing.assert_allclose(v, before[k] - 0.1 * grads[k])
