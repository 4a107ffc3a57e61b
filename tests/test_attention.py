"""Attention: gradient checks, torch parity, and the masking properties, over random batches."""
import numpy as np
import pytest
import torch

import course_pkg.attention as A
from conftest import rel_err
from course_pkg.gradcheck import check_gradients


def batch(rng, N=3, T=2, S=5, H=4, Hv=3):
    lengths = rng.integers(1, S + 1, size=N)
    mask = (np.arange(S)[None] < lengths[:, None]).astype(np.float64)
    return (rng.standard_normal((N, T, H)), rng.standard_normal((N, S, H)),
            rng.standard_normal((N, S, Hv)), mask)


def additive_params(rng, Hq=4, Hk=4, A_=6):
    return {"W_q": rng.standard_normal((A_, Hq)), "W_k": rng.standard_normal((A_, Hk)),
            "v": rng.standard_normal(A_)}


@pytest.mark.parametrize("masked", [False, True])
def test_dot_attention_gradcheck(masked):
    rng = np.random.default_rng(0)
    q, k, v, mask = batch(rng)
    mask = mask if masked else None
    dc = rng.standard_normal((3, 2, 3))
    _, _, cache = A.dot_attention_forward(q, k, v, mask, scale=0.7)
    dq, dk, dv = A.dot_attention_backward(dc, cache)
    f = lambda: A.dot_attention_forward(q, k, v, mask, scale=0.7)[0]
    check_gradients(f, {"q": q, "k": k, "v": v}, {"q": dq, "k": dk, "v": dv}, dout=dc)


@pytest.mark.parametrize("masked", [False, True])
def test_additive_attention_gradcheck(masked):
    rng = np.random.default_rng(1)
    q, k, v, mask = batch(rng)
    mask = mask if masked else None
    params = additive_params(rng)
    dc = rng.standard_normal((3, 2, 3))
    _, _, cache = A.additive_attention_forward(q, k, v, params, mask)
    dq, dk, dv, grads = A.additive_attention_backward(dc, cache)
    f = lambda: A.additive_attention_forward(q, k, v, params, mask)[0]
    check_gradients(f, {"q": q, "k": k, "v": v, **params}, {"q": dq, "k": dk, "v": dv, **grads}, dout=dc)


def test_dot_attention_equals_torch_sdpa():
    rng = np.random.default_rng(2)
    q, k, v, mask = batch(rng, N=4, T=3, S=6)
    context, weights, _ = A.dot_attention_forward(q, k, v, mask, scale=1 / np.sqrt(4))
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(mask[:, None, :] > 0))
    assert rel_err(context, ref.numpy()) < 1e-12


@pytest.mark.parametrize("kind", ["dot", "additive"])
def test_torch_backend_autograd_equals_numpy_backward(kind):
    rng = np.random.default_rng(3)
    q, k, v, mask = batch(rng)
    np_att = A.Attention(kind, 4, 4, attention_size=5, dtype="float64", seed=0)
    t_att = A.Attention(kind, 4, 4, attention_size=5, dtype="float64", seed=0, backend="torch")
    dc = rng.standard_normal((3, 2, 3))
    c, w = np_att(q, k, v, mask)
    dq, dk, dv, grads = np_att.backward(dc)
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ct, wt = t_att(qt, kt, vt, torch.tensor(mask))
    (ct * torch.tensor(dc)).sum().backward()
    assert rel_err(c, ct.detach()) < 1e-12 and rel_err(w, wt.detach()) < 1e-12
    for a, b in [(dq, qt), (dk, kt), (dv, vt)]:
        assert rel_err(a, b.grad) < 1e-12
    for name, p in t_att.named_parameters():
        assert rel_err(grads[name], p.grad) < 1e-12


@pytest.mark.parametrize("kind", ["dot", "additive"])
def test_masking_properties_over_random_batches(kind):
    rng = np.random.default_rng(4)
    att = A.Attention(kind, 4, 4, dtype="float64", seed=1)
    for _ in range(20):
        N, T, S = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 7))
        q, k, v, mask = batch(rng, N, T, S)
        c, w = att(q, k, v, mask)
        assert np.allclose(w.sum(-1), 1.0)                              # a distribution per query
        assert np.all(w[np.broadcast_to(mask[:, None, :] == 0, w.shape)] == 0.0)   # exactly 0 on padding
        assert np.all(np.isfinite(c))
        # appending padding (with junk in it) changes nothing
        k2 = np.concatenate([k, rng.standard_normal((N, 2, 4))], 1)
        v2 = np.concatenate([v, rng.standard_normal((N, 2, 3))], 1)
        c2, w2 = att(q, k2, v2, np.concatenate([mask, np.zeros((N, 2))], 1))
        assert np.allclose(c2, c) and np.allclose(w2[..., :S], w)
        # changing a valid encoder output changes the context
        v3 = v.copy()
        v3[:, 0] += 1.0
        assert not np.allclose(att(q, k, v3, mask)[0], c)


def test_two_dimensional_query_and_shared_keys():
    rng = np.random.default_rng(5)
    att = A.Attention("additive", 3, 4, attention_size=5, dtype="float64", seed=0)
    q, enc = rng.standard_normal((2, 3)), rng.standard_normal((2, 6, 4))
    c, w = att(q, enc)                                   # values default to keys
    assert c.shape == (2, 4) and w.shape == (2, 6)
    dq, dk, dv, grads = att.backward(np.ones((2, 4)))
    assert dq.shape == (2, 3) and dk.shape == (2, 6, 4) and dv is None
    f = lambda: att(q, enc)[0]
    check_gradients(f, {"q": q, "enc": enc, **att.state_dict()}, {"q": dq, "enc": dk, **grads},
                    dout=np.ones((2, 4)))


def test_errors():
    rng = np.random.default_rng(6)
    q, k, v, mask = batch(rng)
    mask[1] = 0
    with pytest.raises(ValueError, match="Expected every sequence to have at least one valid position"):
        A.dot_attention_forward(q, k, v, mask)
    with pytest.raises(ValueError, match=r"Expected mask of shape \(3, 5\), got \(3, 4\)"):
        A.dot_attention_forward(q, k, v, mask[:, :4])
    with pytest.raises(ValueError, match="Expected query and keys of the same size, got 4 and 2"):
        A.dot_attention_forward(q, k[..., :2], v)
    with pytest.raises(ValueError, match="Expected keys and values with the batch and length"):
        A.dot_attention_forward(q, k, v[:, :3])
    with pytest.raises(ValueError, match="Expected query"):
        A.dot_attention_forward(q[0], k, v)
    with pytest.raises(ValueError, match=r"Expected kind in \['dot', 'additive'\], got 'cosine'"):
        A.Attention("cosine", 4, 4)
    with pytest.raises(ValueError, match="Expected query_size == key_size for dot attention"):
        A.Attention("dot", 3, 4)
    with pytest.raises(ValueError, match=r"Expected W_q \(A, 4\)"):
        A.additive_attention_forward(q, k, v, additive_params(rng, Hq=3))
    with pytest.raises(RuntimeError, match="before backward"):
        A.Attention("dot", 4, 4).backward(np.zeros((1, 4)))
