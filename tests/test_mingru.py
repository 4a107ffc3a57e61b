"""course_pkg.mingru: the linear recurrence three ways, the minGRU's backward pass, its module."""
import numpy as np
import pytest

from course_pkg import mingru as M
from course_pkg.gradcheck import check_gradients
from course_pkg.heads import SequenceClassifier

torch = pytest.importorskip("torch")


def recurrence(N=3, T=37, H=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.05, 1.0, (N, T, H))
    return a.astype(dtype), rng.normal(size=(N, T, H)).astype(dtype), rng.normal(size=(N, H)).astype(dtype)


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 8, 37, 64, 1000])
def test_scan_equals_loop_in_float64(T):
    a, b, h0 = recurrence(T=T)
    loop = M.linear_scan_loop(a, b, h0)
    scan, rounds = M.linear_scan_parallel(a, b, h0)
    assert rounds == int(np.ceil(np.log2(T))) == M.scan_steps(T)
    assert np.abs(scan - loop).max() < 1e-12
    assert np.abs(M.linear_scan_log(np.log(a), b, h0) - loop).max() < 1e-12
    if T <= 64:                                          # the naive form underflows later (see below)
        assert np.abs(M.linear_scan_closed_naive(a, b, h0) - loop).max() < 1e-9


def test_scan_steps_exact():
    assert [M.scan_steps(T) for T in (1, 2, 3, 4, 5, 1023, 1024, 1025)] == [0, 1, 2, 2, 3, 10, 10, 11]


def test_naive_closed_form_breaks_in_float32_and_the_log_form_holds():
    """a = 1 - sigma(u), u ~ N(0, 1): A_t = prod a_s underflows float32 after about 130 steps;
    measured: finite at T = 64, non-finite from T = 128; the log form stays finite and within
    2e-4 (relative) of the float64 loop up to T = 4096."""
    rng = np.random.default_rng(0)
    for T, naive_finite in ((64, True), (256, False), (4096, False)):
        u = rng.normal(size=(4, T, 16))
        z = 1 / (1 + np.exp(-u))
        a, b = (1 - z).astype(np.float32), (z * rng.normal(size=u.shape)).astype(np.float32)
        h0 = np.zeros((4, 16), np.float32)
        with np.errstate(all="ignore"):
            naive = M.linear_scan_closed_naive(a, b, h0)
        log = M.linear_scan_log(-np.logaddexp(0, u).astype(np.float32), b, h0)
        ref = M.linear_scan_loop(a.astype(np.float64), b.astype(np.float64), h0.astype(np.float64))
        assert np.isfinite(naive).all() == naive_finite
        assert log.dtype == np.float32 and np.isfinite(log).all()
        assert np.abs(log - ref).max() < 1e-3 * np.abs(ref).max()


def test_recurrence_on_torch_equals_numpy():
    a, b, h0 = recurrence()
    t = [torch.tensor(v) for v in (a, b, h0)]
    ref = M.linear_scan_loop(a, b, h0)
    assert np.abs(M.linear_scan_parallel(*t)[0].numpy() - ref).max() < 1e-12
    assert np.abs(M.linear_scan_loop(*t).numpy() - ref).max() < 1e-12
    assert np.abs(M.linear_scan_log(torch.log(t[0]), t[1], t[2]).numpy() - ref).max() < 1e-12


def params(D=3, H=4, seed=1):
    rng = np.random.default_rng(seed)
    return {"weight_ih": rng.normal(size=(2 * H, D)), "bias_ih": rng.normal(size=2 * H)}


@pytest.mark.parametrize("mode", M.MODES)
@pytest.mark.parametrize("masked", [False, True])
def test_mingru_gradients(mode, masked):
    rng = np.random.default_rng(2)
    N, T, D, H = 3, 11, 3, 4
    p = params(D, H)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    dout, dT = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    mask = (np.arange(T)[None] < np.array([T, 7, 2])[:, None]).astype(float) if masked else None

    def f():
        h, cache = M.mingru_forward(x, h0, p, mode, mask)
        return (h * dout).sum() + (cache[6][:, -1] * dT).sum()     # outputs and the final state

    _, cache = M.mingru_forward(x, h0, p, mode, mask)
    dx, dh0, grads = M.mingru_backward(dout, cache, dT)
    errors = check_gradients(f, {"x": x, "h0": h0, **p}, {"x": dx, "h0": dh0, **grads}, tol=1e-7)
    assert max(errors.values()) < 1e-7


def test_modes_agree_and_match_the_step_equations():
    rng = np.random.default_rng(3)
    p = params()
    x, h0 = rng.normal(size=(2, 9, 3)), rng.normal(size=(2, 4))
    outs = {mode: M.mingru_forward(x, h0, p, mode)[0] for mode in M.MODES}
    h = h0
    for t in range(9):                                   # the equations, written out
        proj = x[:, t] @ p["weight_ih"].T + p["bias_ih"]
        z, h_tilde = 1 / (1 + np.exp(-proj[:, :4])), proj[:, 4:]
        h = (1 - z) * h + z * h_tilde
        for out in outs.values():
            assert np.abs(out[:, t] - h).max() < 1e-12


def test_module_torch_autograd_equals_explicit_backward():
    np_model = M.MinGRU(3, 5, batch_first=True, dtype="float64", seed=0)
    t_model = M.MinGRU(3, 5, batch_first=True, dtype="float64", seed=0, backend="torch")
    rng = np.random.default_rng(4)
    x, dout, dh = rng.normal(size=(2, 13, 3)), rng.normal(size=(2, 13, 5)), rng.normal(size=(1, 2, 5))
    out, h_n = np_model(x)
    dx, dhx, grads = np_model.backward(dout, dh)
    xt = torch.tensor(x, requires_grad=True)
    out_t, h_n_t = t_model(xt)
    ((out_t * torch.tensor(dout)).sum() + (h_n_t * torch.tensor(dh)).sum()).backward()
    assert np.abs(out_t.detach().numpy() - out).max() < 1e-12
    assert np.abs(h_n_t.detach().numpy() - h_n).max() < 1e-12
    assert np.abs(xt.grad.numpy() - dx).max() < 1e-12
    for name, value in t_model.state_dict().items():
        assert np.abs(value.grad.numpy() - grads[name]).max() < 1e-12
    assert dhx.shape == (1, 2, 5)


def test_module_lengths_keep_the_state_and_fit_a_classifier():
    model = M.MinGRU(2, 4, batch_first=True, dtype="float64", seed=0)
    x = np.random.default_rng(5).normal(size=(2, 6, 2))
    out, h_n = model(x, lengths=np.array([6, 3]))
    alone, h_alone = model(x[1:, :3])
    assert np.abs(out[1, 3:]).max() == 0 and np.abs(out[1, :3] - alone[0]).max() < 1e-12
    assert np.abs(h_n[0, 1] - h_alone[0, 0]).max() < 1e-12
    clf = SequenceClassifier(M.MinGRU(2, 4, batch_first=True, seed=0), 1, seed=1)
    logits = clf(x.astype(np.float32), lengths=np.array([6, 3]))
    _, grads = clf.backward(np.ones_like(logits))
    assert logits.shape == (2, 1) and set(grads) == set(clf.state_dict())


def test_module_layout_and_repr():
    model = M.MinGRU(3, 4, seed=0)                        # (T, N, D) by default, as torch.nn
    out, h_n = model(np.zeros((7, 2, 3), np.float32))
    assert out.shape == (7, 2, 4) and h_n.shape == (1, 2, 4)
    assert list(model.state_dict()) == ["weight_ih", "bias_ih"]
    assert repr(model) == "MinGRU(3, 4, mode='scan', backend='numpy')"


@pytest.mark.parametrize("call, message", [
    (lambda: M.linear_scan_loop(np.ones((2, 3, 4)), np.ones((2, 3, 5)), np.ones((2, 4))),
     "Expected b of shape (2, 3, 4) (a's), got (2, 3, 5)"),
    (lambda: M.linear_scan_parallel(np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((3, 4))),
     "Expected h0 of shape (2, 4), got (3, 4)"),
    (lambda: M.linear_scan_log(np.ones((2, 0, 4)), np.ones((2, 0, 4)), np.ones((2, 4))),
     "Expected log_a of shape (N, T, H) with T >= 1, got (2, 0, 4)"),
    (lambda: M.mingru_forward(np.ones((2, 3, 4)), np.ones((2, 4)), params()),
     "Expected x of shape (N, T, 3) with T >= 1, got (2, 3, 4)"),
    (lambda: M.mingru_forward(np.ones((2, 3, 3)), np.ones((2, 4)), params(), mode="fast"),
     "Expected mode"),
    (lambda: M.mingru_forward(np.ones((2, 3, 3)), np.ones((2, 4)), {"weight_ih": np.ones((3, 3))}),
     "Expected weight_ih of shape (2H, D), got (3, 3)"),
    (lambda: M.MinGRU(3, 4, num_layers=2),
     "Expected num_layers=1 (MinGRU is one layer, one direction), got num_layers=2"),
    (lambda: M.MinGRU(3, 4, bidirectional=True), "Expected bidirectional=False"),
    (lambda: M.MinGRU(3, 4)(np.ones((2, 3), np.float32)), "Expected input of shape (T, N, 3), got (2, 3)"),
    (lambda: M.scan_steps(0), "Expected T"),
])
def test_errors_say_expected_and_got(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(message)


def test_type_errors():
    with pytest.raises(TypeError, match="Expected b of dtype float64"):
        M.linear_scan_loop(np.ones((1, 2, 3)), np.ones((1, 2, 3), np.float32), np.ones((1, 3)))
    with pytest.raises(TypeError, match="Expected cache to be the cache mingru_forward"):
        M.mingru_backward(np.ones((1, 2, 3)), None)
    with pytest.raises(TypeError, match="torch.nn has"):
        M.MinGRU(2, 3).to_torch_nn()


def test_interchange_with_torch_nn_and_keras_is_refused():
    """torch.nn and Keras have no minGRU: the methods RNNBase gives the GRU must not run."""
    model = M.MinGRU(3, 4, seed=0)
    with pytest.raises(TypeError, match="torch.nn has no minGRU"):
        M.MinGRU.from_torch_nn(torch.nn.GRU(3, 4))
    with pytest.raises(TypeError, match="Keras has no minGRU layer"):
        M.MinGRU.from_keras([np.zeros((3, 8), np.float32), np.zeros((4, 8), np.float32),
                             np.zeros(8, np.float32)])
    with pytest.raises(TypeError, match="Keras has no minGRU layer"):
        model.to_keras_weights()


@pytest.mark.parametrize("mask, error, message", [
    (np.ones((2, 5)), ValueError, "Expected mask of shape (2, 3), got (2, 5)"),
    (np.full((2, 3), 3.0), ValueError, "Expected mask of 0s and 1s, got other values"),
    (np.ones((2, 3), bool), TypeError, "Expected mask of dtype float64 (weight_ih's dtype), got bool"),
])
def test_mask_is_checked(mask, error, message):
    with pytest.raises(error) as info:
        M.mingru_forward(np.ones((2, 3, 3)), np.ones((2, 4)), params(), mask=mask)
    assert str(info.value).startswith(message)
