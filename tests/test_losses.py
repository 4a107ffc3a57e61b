"""Losses equal torch.nn.functional's (values and autograd gradients), pass centred-difference
gradient checks, stay finite on huge logits, and reject bad input with one clear error."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import rel_err
from course_pkg.gradcheck import check_gradients
from course_pkg.losses import cross_entropy, log_softmax, mse_loss, softmax

TOL = 1e-12


def torch_cross_entropy(logits, targets, ignore_index, reduction):
    """torch's loss and the gradient of its sum w.r.t. our (..., K) layout."""
    z = torch.tensor(logits, requires_grad=True)
    zt = z if z.ndim == 2 else z.permute(0, 2, 1)            # torch wants (N, K, T)
    loss = F.cross_entropy(zt, torch.tensor(targets), ignore_index=ignore_index, reduction=reduction)
    loss.sum().backward()
    return loss.detach().numpy(), z.grad.numpy()


def random_problem(shape, K, ignore_index, frac_ignored, seed):
    rng = np.random.default_rng(seed)
    logits = 3 * rng.standard_normal(shape + (K,))
    targets = rng.integers(0, K, size=shape)
    targets[rng.random(shape) < frac_ignored] = ignore_index
    return logits, targets


# -- softmax ----------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_torch(axis):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)) * 10
    assert rel_err(softmax(x, axis), torch.softmax(torch.tensor(x), axis).numpy()) < TOL
    assert rel_err(log_softmax(x, axis), torch.log_softmax(torch.tensor(x), axis).numpy()) < TOL
    np.testing.assert_allclose(softmax(x, axis).sum(axis), 1.0, rtol=1e-14)


def test_softmax_is_stable_for_huge_logits_and_keeps_float32():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]], dtype=np.float32)
    p, logp = softmax(x), log_softmax(x)
    assert p.dtype == logp.dtype == np.float32
    assert np.isfinite(p).all() and np.isfinite(logp).all()
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(logp[0, :2], np.log(0.5), rtol=1e-6)


def test_softmax_on_torch_tensors():
    x = torch.randn(4, 6, dtype=torch.float64)
    assert isinstance(softmax(x), torch.Tensor) and rel_err(softmax(x), torch.softmax(x, -1)) < TOL
    assert rel_err(log_softmax(x, 0), torch.log_softmax(x, 0)) < TOL


def test_softmax_bad_arguments():
    with pytest.raises(TypeError, match="Expected logits of dtype float32 or float64, got int64"):
        softmax(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="Expected logits to be a numpy.ndarray or torch.Tensor, got list"):
        log_softmax([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Expected axis in \[-2, 2\) .*, got 2"):
        softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="Expected axis to be an int, got float"):
        softmax(np.zeros((2, 3)), axis=1.0)


# -- cross-entropy: parity with torch -----------------------------------------------------------
CE_CASES = list(itertools.product([(7,), (4, 5)], ["mean", "sum", "none"], [(-100, 0.0), (-100, 0.3), (2, 0.3)]))


@pytest.mark.parametrize("shape,reduction,ignore", CE_CASES,
                         ids=[f"{len(s) + 1}d-{r}-ignore{i}@{f}" for s, r, (i, f) in CE_CASES])
def test_cross_entropy_matches_torch(shape, reduction, ignore):
    ignore_index, frac = ignore
    logits, targets = random_problem(shape, K=6, ignore_index=ignore_index, frac_ignored=frac, seed=len(shape))
    loss, dlogits = cross_entropy(logits, targets, ignore_index=ignore_index, reduction=reduction)
    ref_loss, ref_grad = torch_cross_entropy(logits, targets, ignore_index, reduction)
    assert np.shape(loss) == ref_loss.shape and dlogits.shape == logits.shape
    assert rel_err(loss, ref_loss) < TOL
    assert rel_err(dlogits, ref_grad) < TOL
    if ignore_index in targets:
        assert not dlogits[targets == ignore_index].any()


def test_cross_entropy_float32_and_torch_inputs():
    logits, targets = random_problem((3, 4), K=5, ignore_index=-100, frac_ignored=0.2, seed=7)
    loss, dlogits = cross_entropy(logits.astype(np.float32), targets)
    ref_loss, ref_grad = torch_cross_entropy(logits.astype(np.float32), targets, -100, "mean")
    assert loss.dtype == dlogits.dtype == np.float32
    assert rel_err(loss, ref_loss) < 1e-6 and rel_err(dlogits, ref_grad) < 1e-6
    t_loss, t_grad = cross_entropy(torch.tensor(logits), torch.tensor(targets), reduction="sum")
    ref_loss, ref_grad = torch_cross_entropy(logits, targets, -100, "sum")
    assert isinstance(t_loss, torch.Tensor) and rel_err(t_loss, ref_loss) < TOL and rel_err(t_grad, ref_grad) < TOL


def test_cross_entropy_is_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]])
    loss, dlogits = cross_entropy(logits, np.array([1, 2]), reduction="none")
    np.testing.assert_allclose(loss, [2e4, np.log(2)])
    np.testing.assert_allclose(dlogits, [[1, -1, 0], [0, 0.5, -0.5]], atol=1e-15)


def test_all_targets_ignored():
    logits = np.random.default_rng(3).standard_normal((2, 3, 4))
    targets = np.full((2, 3), -100)
    with pytest.raises(ValueError, match="Expected at least one target not equal to ignore_index, got none"):
        cross_entropy(logits, targets)
    loss, dlogits = cross_entropy(logits, targets, reduction="sum")
    assert loss == 0.0 and not dlogits.any()
    assert float(torch_cross_entropy(logits, targets, -100, "sum")[0]) == 0.0    # torch agrees
    loss, dlogits = cross_entropy(logits, targets, reduction="none")
    assert loss.shape == (2, 3) and not loss.any() and not dlogits.any()


# -- gradient checks ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck(reduction):
    logits, targets = random_problem((3, 4), K=5, ignore_index=-1, frac_ignored=0.25, seed=11)
    targets[0, 0] = 4                                           # at least one kept
    dout = np.random.default_rng(12).standard_normal((3, 4)) if reduction == "none" else None
    loss, dlogits = cross_entropy(logits, targets, ignore_index=-1, reduction=reduction)
    analytic = dlogits if dout is None else dlogits * dout[..., None]   # "none": grad of sum(loss * dout)
    check_gradients(lambda: cross_entropy(logits, targets, ignore_index=-1, reduction=reduction)[0],
                    {"logits": logits}, {"logits": analytic}, dout=dout)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch_and_gradchecks(reduction):
    rng = np.random.default_rng(5)
    pred, target = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
    loss, dpred = mse_loss(pred, target, reduction)
    p = torch.tensor(pred, requires_grad=True)
    ref = F.mse_loss(p, torch.tensor(target), reduction=reduction)
    ref.sum().backward()
    assert rel_err(loss, ref.detach().numpy()) < TOL and rel_err(dpred, p.grad.numpy()) < TOL
    dout = rng.standard_normal(pred.shape) if reduction == "none" else None
    check_gradients(lambda: mse_loss(pred, target, reduction)[0], {"pred": pred},
                    {"pred": dpred if dout is None else dpred * dout}, dout=dout)


def test_mse_loss_float32_and_torch_inputs():
    rng = np.random.default_rng(6)
    pred, target = rng.standard_normal(5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    loss, dpred = mse_loss(pred, target)
    assert loss.dtype == dpred.dtype == np.float32
    t_loss, _ = mse_loss(torch.tensor(pred), torch.tensor(target))
    assert rel_err(t_loss, F.mse_loss(torch.tensor(pred), torch.tensor(target))) < 1e-6


# -- bad input ----------------------------------------------------------------------------------
@pytest.fixture
def problem():
    return random_problem((2, 3), K=4, ignore_index=-100, frac_ignored=0.0, seed=0)


def test_cross_entropy_bad_targets(problem):
    logits, targets = problem
    with pytest.raises(ValueError, match=r"Expected targets in \[0, 4\) or equal to ignore_index=-100, got 4"):
        cross_entropy(logits, np.where(targets == targets[0, 0], 4, targets))
    with pytest.raises(ValueError, match="got -1"):
        cross_entropy(logits, np.full((2, 3), -1))
    with pytest.raises(TypeError, match="Expected integer targets, got dtype float64"):
        cross_entropy(logits, targets.astype(np.float64))
    with pytest.raises(TypeError, match="Expected integer targets, got dtype bool"):
        cross_entropy(logits, targets > 1)
    with pytest.raises(ValueError, match=r"Expected targets of shape \(2, 3\) \(logits.shape\[:-1\]\), got \(3, 2\)"):
        cross_entropy(logits, targets.T)
    with pytest.raises(TypeError, match="Expected targets to be a numpy.ndarray"):
        cross_entropy(logits, torch.tensor(targets))


def test_cross_entropy_bad_logits_and_options(problem):
    logits, targets = problem
    with pytest.raises(ValueError, match=r"Expected logits of shape \(N, K\) or \(N, T, K\) with K >= 1, got \(4,\)"):
        cross_entropy(logits[0, 0], targets[0, 0])
    with pytest.raises(ValueError, match=r"got \(2, 3, 0\)"):
        cross_entropy(logits[..., :0], targets)
    with pytest.raises(TypeError, match="Expected logits of dtype float32 or float64, got int64"):
        cross_entropy(targets[..., None], targets)
    with pytest.raises(ValueError, match=r"Expected reduction in \['mean', 'sum', 'none'\], got 'avg'"):
        cross_entropy(logits, targets, reduction="avg")
    with pytest.raises(TypeError, match="Expected ignore_index to be an int, got float"):
        cross_entropy(logits, targets, ignore_index=-1.0)
    loss, _ = cross_entropy(logits, targets.tolist())                 # lists of ints are fine
    assert rel_err(loss, cross_entropy(logits, targets)[0]) == 0.0


def test_mse_loss_bad_input():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"Expected target of shape \(2, 3\) \(pred's\), got \(3, 2\)"):
        mse_loss(x, x.T)
    with pytest.raises(TypeError, match="Expected target of dtype float64 \\(pred's\\), got float32"):
        mse_loss(x, x.astype(np.float32))
    with pytest.raises(ValueError, match="Expected at least one element for reduction='mean', got shape \\(0,\\)"):
        mse_loss(np.zeros(0), np.zeros(0))
    assert mse_loss(np.zeros(0), np.zeros(0), "sum")[0] == 0.0
