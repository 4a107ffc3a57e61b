"""Chapter 3's quantitative claims, re-run on more seeds than the chapter shows (it shows seed 0).

Each test re-makes one experiment of notebooks/ch03_bptt.ipynb with the chapter's sizes and
asserts what held on every run measured, with a margin; each docstring states the measured
range over seeds and the OpenBLAS kernels Haswell, SkylakeX and Prescott. The vanilla RNN's
failure on the adding problem at T = 50 is tested in tests/test_learning.py."""
import math

import numpy as np
import pytest

import course_pkg as cp
from course_pkg import data, losses, optim

pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py


# -- the product of Jacobians: gradient norm against lag ----------------------------------------
def factors_per_step(seed, N=16, T=100, D=4, H=64):
    """{rho: (factor per step, ||delta|| at lag 50)} for W_hh of spectral radius 0.5, 1, 2."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(H, H)) / np.sqrt(H)
    W /= np.abs(np.linalg.eigvals(W)).max()
    weight_ih = rng.normal(size=(H, D)) / np.sqrt(D)
    x = 0.1 * rng.normal(size=(N, T, D))
    u = rng.normal(size=(N, H))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    out = {}
    for rho in (0.5, 1.0, 2.0):
        p = {"weight_ih": weight_ih, "weight_hh": rho * W, "bias_ih": np.zeros(H), "bias_hh": np.zeros(H)}
        h, _ = cp.rnn_forward(x, np.zeros((N, H)), p)
        delta, norms = u, [np.ones(N)]
        for t in range(T - 1, -1, -1):
            delta = (delta * (1 - h[:, t] ** 2)) @ p["weight_hh"]       # row form: delta W_hh
            norms.append(np.linalg.norm(delta, axis=1))
        curve = np.exp(np.log(norms).mean(axis=1))                     # geometric mean over N
        out[rho] = (curve[-1] ** (1 / T), curve[50])
    return out


def test_gradient_vanishes_below_and_grows_above_spectral_radius_one(learning_seed, measured):
    """Factor per step over seeds 0-199 (ten per learning seed) x kernels Haswell, SkylakeX,
    Prescott, which agree to nine decimals: rho = 0.5: 0.480-0.496 (||delta|| at lag 50: 3e-17 to
    5e-16); rho = 1: 0.908-0.957; rho = 2: above 1 for 195 of the 200 matrices (1.007-1.19), below
    for 5 (0.92-0.995; seeds 49, 81, 155, 156, 187: saturation wins). Every ten seeds had at least
    8 growing at rho = 2, and a median factor of at least 1.088."""
    rho2 = []
    for seed in range(10 * learning_seed, 10 * learning_seed + 10):
        f = factors_per_step(seed)
        assert measured("rho 0.5", f[0.5][0]) < 0.55 and f[0.5][1] < 1e-14
        assert 0.85 < measured("rho 1", f[1.0][0]) < 1.0
        rho2.append(measured("rho 2", f[2.0][0]))
    assert measured("rho 2 grows", np.sum(np.array(rho2) > 1.0)) >= 7       # of 10
    assert np.median(rho2) > 1.05


# -- exploding gradients and clipping on the echo task (y_t = x_{t-3}) ---------------------------
def echo_data(seed, n_train=2000, n_test=500, T=20, delay=3):
    rng = np.random.default_rng(seed)

    def echo(n):
        x = rng.uniform(-1, 1, (n, T, 1)).astype(np.float32)
        y = np.zeros_like(x)
        y[:, delay:] = x[:, :-delay]
        return x, y

    return echo(n_train), echo(n_test)


def echo_model(rho, seed):
    model = cp.SequenceTagger(cp.RNN(1, 32, batch_first=True, seed=seed), 1, seed=seed + 1)
    w_hh = model.state_dict()["rnn.weight_hh_l0"]                     # the live array
    w_hh *= rho / np.abs(np.linalg.eigvals(w_hh)).max()
    return model


def train_sgd(model, train, seed, clip_norm=None, clip_value=None, lr=0.3, epochs=5):
    """The chapter's loop: {"loss": per step, "grad_norm": per step, before clipping}."""
    x, y = train
    opt, shuffles = optim.SGD(model, lr=lr), np.random.default_rng(seed)
    log = {"loss": [], "grad_norm": []}
    for _ in range(epochs):
        order = shuffles.permutation(len(x))
        for start in range(0, len(x), 32):
            batch = order[start:start + 32]
            loss, dpred = losses.mse_loss(model(x[batch]), y[batch])
            log["loss"].append(float(loss))
            if not math.isfinite(loss):
                return log
            model.backward(dpred)
            log["grad_norm"].append(float(optim.grad_norm(model.grads)))
            if clip_value is not None:
                optim.clip_grad_value_(model.grads, clip_value)
            if clip_norm is not None:
                optim.clip_grad_norm_(model.grads, clip_norm)
            opt.step(model.grads)
    return log


def test_clipping_tames_the_exploding_echo_model(learning_seed, measured):
    """rho = 1.5, SGD with lr 0.3, five epochs of 63 steps, over seeds 0-9 x kernels Haswell,
    SkylakeX, Prescott: without clipping the loss overflows at step 20-36; clipped by norm at 1,
    3-8 of the 315 steps are clipped and the test MSE is 0.003-0.009 (predicting 0: 0.278-0.288);
    clipped by value at 0.01, 0.002-0.012; with rho = 0.5 and no clipping, 0.002-0.007 with a
    largest gradient norm of 1.2-3.1."""
    train, (x_test, y_test) = echo_data(learning_seed)
    with np.errstate(over="ignore", invalid="ignore"):
        plain = train_sgd(echo_model(1.5, learning_seed), train, learning_seed)
    assert not math.isfinite(plain["loss"][-1])
    assert measured("overflow step", len(plain["loss"])) < 63                 # in the first epoch
    for name, rho, clip in [("by norm", 1.5, {"clip_norm": 1.0}), ("by value", 1.5, {"clip_value": 0.01}),
                            ("rho 0.5", 0.5, {})]:
        model = echo_model(rho, learning_seed)
        log = train_sgd(model, train, learning_seed, **clip)
        assert len(log["loss"]) == 315
        mse = float(np.mean((model.eval()(x_test) - y_test) ** 2))
        assert measured(f"MSE {name}", mse) < 0.05                     # predicting 0: 0.28
        if name == "by norm":
            assert measured("clipped steps", sum(n > 1.0 for n in log["grad_norm"])) < 0.1 * 315
        if name == "rho 0.5":
            assert measured("largest norm", max(log["grad_norm"])) < 10


# -- truncated BPTT on delayed recall (lag 4, 60 steps) ------------------------------------------
def delayed_recall_accuracy(seed, t_chunk, n_symbols=4, lag=4, T=60, H=32, epochs=5):
    """Test accuracy after truncated BPTT in chunks of t_chunk steps, and that of a new output
    layer trained (on whole sequences) on the states of the trained, then frozen, RNN."""
    K = n_symbols + 1                                                  # classes: blank + symbols
    x, y = data.delayed_recall(512, T=T, lag=lag, n_symbols=n_symbols, one_hot=True, seed=seed)
    x_test, y_test = data.delayed_recall(200, T=T, lag=lag, n_symbols=n_symbols, one_hot=True, seed=seed + 1)
    x, x_test = x.astype(np.float32), x_test.astype(np.float32)
    rnn, head = cp.RNN(K, H, batch_first=True, seed=seed), cp.Linear(H, K, seed=seed + 1)

    def fit(head, train_rnn, chunk):
        weights = {"rnn." + k: v for k, v in rnn.state_dict().items()} if train_rnn else {}
        weights.update({"head." + k: v for k, v in head.state_dict().items()})
        opt, shuffles = optim.Adam(weights, lr=0.01), np.random.default_rng(seed)
        for _ in range(epochs):
            order = shuffles.permutation(len(x))
            for first in range(0, len(x), 32):
                batch = order[first:first + 32]
                h = np.zeros((1, len(batch), H), np.float32)
                for s in range(0, T, chunk):
                    out, h = rnn(x[batch, s:s + chunk], h)
                    _, dlogits = losses.cross_entropy(head(out), y[batch, s:s + chunk])
                    dout, head_grads = head.backward(dlogits)
                    grads = {"rnn." + k: v for k, v in rnn.backward(dout)[2].items()} if train_rnn else {}
                    grads.update({"head." + k: v for k, v in head_grads.items()})
                    optim.clip_grad_norm_(grads, 1.0)
                    opt.step(grads)
        return float((head(rnn(x_test)[0]).argmax(-1)[:, lag:] == y_test[:, lag:]).mean())

    accuracy = fit(head, True, t_chunk)
    return accuracy, fit(cp.Linear(H, K, seed=seed + 7), False, T)


def test_truncation_no_longer_than_the_lag_stays_near_chance(learning_seed, measured):
    """Chunks of 4 steps (= the lag), over seeds 0-9 x kernels Haswell, SkylakeX, Prescott: test
    accuracy 0.25-0.32 in 29 of the 30 runs, 0.05 in one (seed 8, Prescott: it predicted the
    blank at most steps), against chance 0.25; a new output layer trained on the frozen states
    reads a little more out of them, 0.25-0.38. Chunks of 5 steps: 0.97-1.00."""
    accuracy, probe = delayed_recall_accuracy(learning_seed, 4)
    assert measured("chunk 4", accuracy) < 0.4 and measured("probe 4", probe) < 0.45
    accuracy, _ = delayed_recall_accuracy(learning_seed, 5)
    assert measured("chunk 5", accuracy) > 0.95


# -- the adding problem: solved at T = 10 --------------------------------------------------------
def test_vanilla_rnn_solves_the_short_adding_problem(learning_seed, measured):
    """T = 10, the chapter's set-up (4000 sequences, ten epochs, the best of them on 500
    validation sequences): test MSE 0.003-0.009 over seeds 0-5 x kernels Haswell, SkylakeX,
    Prescott, against 0.15-0.18 for predicting the mean."""
    x, y = data.adding_problem(4000, T=10, seed=learning_seed)
    val = data.adding_problem(500, T=10, seed=learning_seed + 1)
    x_test, y_test = data.adding_problem(1000, T=10, seed=learning_seed + 2)
    model = cp.SequenceClassifier(cp.RNN(2, 32, batch_first=True, seed=learning_seed), 1, seed=learning_seed + 1)
    cp.train.fit(model, (x, y[:, None]), val_data=(val[0], val[1][:, None]), loss="mse", epochs=10, lr=0.01,
                 clip_norm=1.0, seed=learning_seed, early_stopping={"patience": 10, "restore_best": True})
    mse = float(np.mean((model.eval()(x_test.astype(np.float32))[:, 0] - y_test) ** 2))
    assert measured("MSE T=10", mse) < 0.1 * np.mean((y_test - 1.0) ** 2)    # the mean predictor's
