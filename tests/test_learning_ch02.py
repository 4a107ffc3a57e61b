"""Learning results of chapter 2 (why tanh), re-run on more random networks and seeds than the
chapter shows.

The chapter measures ten random networks per activation and gain (draws 0-9) and trains its
task from seeds 0-4. These tests re-run each of its quantitative sentences: the random-network
claims on 50 draws (``50 * learning_seed`` to ``50 * learning_seed + 49``, so draws 0-49 by
default), the first-bit gradient on 100 initialisations, the task from one seed the chapter does
not show (``5 + learning_seed``). Each docstring gives the range measured over
``--learning-seeds 0,1,2,3,4,5`` (draws 0-299, seeds 5-10) x the OpenBLAS kernels Haswell,
SkylakeX and Prescott (``make test-kernels SEEDS=0,1,2,3,4,5``); the task's rates over seeds
0-29 were measured with the same code. Every value was the same on the three kernels except
tanh's gradient at gain 3 (chaotic dynamics: up to 7 % apart). The random networks run here in
NumPy with the backward pass written out (the chapter uses torch's autograd on the same draws;
on draws 0-9 the two agree to 2e-14 relative at gain 1.5, and to 1e-4 at gain 3, where tanh's
dynamics amplify rounding)."""
import functools

import numpy as np
import pytest
import torch
from torch import nn

from course_pkg import train

pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py

D, H, T = 8, 64, 100                                  # the chapter's random networks
NAMES = ("tanh", "sigmoid", "relu", "identity")
F = {"tanh": np.tanh, "sigmoid": lambda a: 0.5 * (1 + np.tanh(a / 2)),
     "relu": lambda a: np.maximum(a, 0), "identity": lambda a: a}
SLOPE = {"tanh": lambda h: 1 - h * h, "sigmoid": lambda h: h * (1 - h),   # f'(a) from h = f(a)
         "relu": lambda h: (h > 0).astype(float), "identity": np.ones_like}


def draws(learning_seed, n=50):
    return range(n * learning_seed, n * learning_seed + n)


def random_rnn(gain, draw):
    """The chapter's network ``draw``: x (T, D), W_ih (H, D), W_hh = gain * Q (Q orthogonal), unit u."""
    g = np.random.default_rng(draw)
    Q, _ = np.linalg.qr(g.normal(size=(H, H)))
    u = g.normal(size=H)
    return g.normal(size=(T, D)), g.normal(size=(H, D)) / np.sqrt(D), gain * Q, u / np.linalg.norm(u)


@functools.lru_cache(maxsize=None)
def run(name, gain, draw, W_hh=None):
    """``(sizes, gradient, rms slope, states)`` of one network: ||h_t|| / sqrt(H) for t = 1..T,
    ||dL/dh_0|| for L = h_T . u (backward by hand: dL/dh_{t-1} = (dL/dh_t * f'(a_t)) W_hh), the
    root mean square slope along the way, and the states (T, H)."""
    x, W_ih, W, u = random_rnn(gain, draw)
    W = W if W_hh is None else np.eye(H)              # W_hh = "eye": the IRNN's identity
    h, states = np.zeros(H), []
    for x_t in x:
        h = F[name](x_t @ W_ih.T + h @ W.T)
        states.append(h)
    states = np.array(states)                         # (T, H)
    slopes = SLOPE[name](states)
    grad = u
    for t in reversed(range(T)):
        grad = (grad * slopes[t]) @ W                 # the row form: delta W_hh
    return (np.linalg.norm(states, axis=1) / np.sqrt(H), np.linalg.norm(grad),
            np.sqrt((slopes ** 2).mean()), states)


def test_the_numpy_backward_matches_autograd():
    """The hand-written backward of ``run`` against torch's autograd on draw 0 (as the chapter
    computes it): relative difference below 1e-9 for every activation."""
    for name, f in (("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu),
                    ("identity", lambda a: a)):
        x, W_ih, W_hh, u = (torch.tensor(v) for v in random_rnn(1.5, 0))
        h0 = torch.zeros(H, dtype=torch.float64, requires_grad=True)
        h = h0
        for x_t in x:
            h = f(x_t @ W_ih.T + h @ W_hh.T)
        grad, = torch.autograd.grad(h @ u, h0)
        assert np.isclose(run(name, 1.5, 0)[1], grad.norm().item(), rtol=1e-9), name


# The chapter's table: (states, gradient at step 0) for gain 0.5, 1 and 3.
EXPECTED = {"tanh": [("bounded", "vanishes")] * 2 + [("bounded", "explodes")],
            "sigmoid": [("bounded", "vanishes")] * 3,
            "relu": [("bounded", "vanishes")] * 2 + [("explodes", "explodes")],
            "identity": [("bounded", "vanishes"), ("bounded", "survives"), ("explodes", "explodes")]}


def verdict(values, bounded_below=None):
    """The chapter's verdict: 'explodes' (> 1e3 on every network), 'vanishes' (< 1e-3 on every
    one), 'bounded' (< bounded_below on every one)."""
    if min(values) > 1e3:
        return "explodes"
    if bounded_below is not None:
        return "bounded" if max(values) < bounded_below else "grows"
    return "vanishes" if max(values) < 1e-3 else "survives"


def test_the_table_of_verdicts_holds_on_more_networks(learning_seed, measured):
    """The chapter's verdicts (ten networks) hold on 50 per run. The gradient at step 0 over draws
    0-299 x three kernels: tanh 1e-49 to 8e-46 at gain 0.5, 2e-22 to 1e-18 at gain 1, 6e8 to 1e13
    at gain 3 (there up to 7 % apart between kernels: at gain 3 tanh's dynamics are chaotic and
    amplify rounding); the sigmoid at most 6e-27 up to gain 3; ReLU at most 7e-14 up to gain 1,
    2e24 to 3e37 at gain 3; the identity exactly gain**100."""
    for name in NAMES:
        for gain, expected in zip((0.5, 1.0, 3.0), EXPECTED[name]):
            runs = [run(name, gain, d) for d in draws(learning_seed)]
            sizes, grads = [r[0][-1] for r in runs], [r[1] for r in runs]
            measured(f"{name} {gain} log min", np.log10(min(grads)))
            measured(f"{name} {gain} log max", np.log10(max(grads)))
            assert (verdict(sizes, bounded_below=100), verdict(grads)) == expected, (name, gain)
            if name == "identity":
                assert np.allclose(grads, gain ** T, rtol=1e-9)


def test_relu_and_identity_states_stay_of_order_one_where_their_gradients_vanish(learning_seed,
                                                                                  measured):
    """For small gains the states of ReLU and the identity do not vanish, only their gradients:
    the inputs drive every step. Over draws 0-299 x three kernels, at gains 0.5 and 1, the state
    size ||h_t|| / sqrt(H) is at least 0.188 (ReLU; the chapter: "at least 0.18") and 0.40
    (identity) at every step t >= 10, and at most 2.2 (ReLU), 1.85 (identity, gain 0.5) and 12.6
    (identity, gain 1: a random walk) at step 100, while the gradient at step 0 is at most 7e-14
    (ReLU) and, for the identity at gain 0.5, exactly 0.5**100 = 8e-31."""
    for name in ("relu", "identity"):
        for gain in (0.5, 1.0):
            runs = [run(name, gain, d) for d in draws(learning_seed)]
            smallest = min(r[0][9:].min() for r in runs)
            measured(f"{name} {gain} min size", smallest)
            measured(f"{name} {gain} max h_100", max(r[0][-1] for r in runs))
            assert smallest > 0.1
            assert max(r[0][-1] for r in runs) < 20
            if not (name == "identity" and gain == 1.0):
                assert max(r[1] for r in runs) < 1e-10


def test_the_factor_per_step_is_gain_times_the_rms_slope(learning_seed, measured):
    """||dL/dh_0||**(1/100) against gain x the root mean square slope: over draws 0-299 x three
    kernels and gains 0.5, 1, 2, 3, the largest relative difference is 5.6-6.7 % per block of 50
    draws (at gain 3); 0 for the identity. The chapter: "within 7 %"."""
    worst = 0.0
    for name in NAMES:
        for gain in (0.5, 1.0, 2.0, 3.0):
            for d in draws(learning_seed):
                _, grad, rms, _ = run(name, gain, d)
                worst = max(worst, abs(grad ** (1 / T) / (gain * rms) - 1))
    assert measured("worst rel. diff", worst) < 0.1


def test_tanh_crosses_one_near_gain_two_and_the_sigmoid_vanishes_up_to_four(learning_seed, measured):
    """Median gradient at step 0 per block of 50 draws (0-299 x three kernels): tanh 4e-7 to
    7e-7 at gain 1.5 and 25 to 59 at gain 2, so it crosses 1 between them; the sigmoid's largest
    at gain 4 is 9e-18 (the chapter: below 1e-16 for every gain up to 4)."""
    tanh_15 = np.median([run("tanh", 1.5, d)[1] for d in draws(learning_seed)])
    tanh_2 = np.median([run("tanh", 2.0, d)[1] for d in draws(learning_seed)])
    sigmoid_4 = max(run("sigmoid", 4.0, d)[1] for d in draws(learning_seed))
    measured("tanh 1.5 log", np.log10(tanh_15)), measured("tanh 2", tanh_2)
    measured("sigmoid 4 log", np.log10(sigmoid_4))
    assert tanh_15 < 1e-3 and tanh_2 > 1
    assert sigmoid_4 < 1e-15


def test_the_sigmoid_offset_outweighs_its_spread(learning_seed, measured):
    """Offset / spread of what step t+1 receives from h_t (gain 1), per network, over draws
    0-299 x three kernels: sigmoid 2.27-2.91, tanh 0.04-0.18, identity 0.02-0.34, ReLU 0.70-1.04.
    (The chapter averages offset and spread over its ten networks first: 2.5, 0.1, 0.1, 0.8.)"""
    ratio = {}
    for name in NAMES:
        rows = []
        for d in draws(learning_seed):
            _, _, W_hh, _ = random_rnn(1.0, d)
            nxt = run(name, 1.0, d)[3] @ W_hh.T       # what step t+1 receives from h_t, (T, H)
            rows.append(np.sqrt((nxt.mean(0) ** 2).mean()) / np.sqrt((nxt.std(0) ** 2).mean()))
        ratio[name] = np.array(rows)
        measured(f"{name} min", ratio[name].min()), measured(f"{name} max", ratio[name].max())
    assert ratio["sigmoid"].min() > 1.8
    assert max(ratio["tanh"].max(), ratio["identity"].max()) < 0.5


def test_the_irnn_passes_the_gradient_through_the_units_that_stay_on(learning_seed, measured):
    """The IRNN (ReLU, W_hh = I, no bias) on the chapter's inputs, over draws 0-299 x three
    kernels: 0-15 of the 64 units stay on at all 100 steps (median 3; the chapter's ten: 0-4),
    the gradient at step 0 is the length of u on them (0-0.57), the state size
    grows 1.13-3.72-fold from step 25 to step 100 (median 2.1; a random walk: 2); tanh with the
    same weights passes on at most 7e-9 (the chapter's ten: 1e-12)."""
    on, growth, tanh_grad = [], [], []
    for d in draws(learning_seed):
        sizes, grad, _, states = run("relu", 1.0, d, W_hh="eye")
        u = random_rnn(1.0, d)[3]
        units = (states > 0).all(axis=0)
        assert np.isclose(grad, np.linalg.norm(u[units]), atol=1e-12)
        on.append(units.sum()), growth.append(sizes[99] / sizes[24])
        tanh_grad.append(run("tanh", 1.0, d, W_hh="eye")[1])
    measured("max units on", max(on)), measured("min growth", min(growth))
    measured("max growth", max(growth)), measured("max tanh log", np.log10(max(tanh_grad)))
    assert max(on) <= 20 and 1.0 < min(growth) and max(growth) < 4.5
    assert max(tanh_grad) < 1e-7


# -- the task: does a sequence end with the bit it began with? -------------------------------------
def first_equals_last(n, seed, T=5):
    """The chapter's data: n sequences of T random bits, one-hot (n, T, 2); labels (n,)."""
    bits = np.random.default_rng(seed).integers(0, 2, size=(n, T))
    return np.eye(2, dtype=np.float32)[bits], (bits[:, 0] == bits[:, -1]).astype(np.int64)


TORCH_F = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda a: a}


class AnyRNN(nn.Module):
    """The chapter's classifier: torch.nn.RNN's parameters, h_t = f(a_t) with any f, a linear
    layer on the last state."""

    def __init__(self, f, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.rnn, self.head, self.f = nn.RNN(2, 16, batch_first=True), nn.Linear(16, 2), f

    def forward(self, x):                             # (N, T, D)
        p, h = self.rnn, x.new_zeros(x.shape[0], 16)
        for x_t in x.transpose(0, 1):
            h = self.f(x_t @ p.weight_ih_l0.T + h @ p.weight_hh_l0.T + p.bias_ih_l0 + p.bias_hh_l0)
        return self.head(h)                           # (N, classes)


@pytest.fixture(scope="module")
def task():
    return first_equals_last(1000, seed=0), first_equals_last(1000, seed=1)


def test_tanh_learns_first_equals_last_the_sigmoid_and_identity_do_not(task, learning_seed, measured):
    """Validation accuracy after 20 epochs (the chapter's run) from seed 5 + learning_seed (5-10
    under --learning-seeds 0,1,2,3,4,5: tanh 1.00, sigmoid 0.49-0.51, identity 0.42-0.55, the
    same on each of the three kernels). Over seeds 0-29 (the chapter shows 0-4; re-measured):
    tanh 1.00 on all 30; ReLU at least 0.95 on 28 of 30 (0.90 on seed 7, 0.49 on seed 19), so it
    is left out here; the sigmoid 0.49-0.51 and the identity 0.39-0.55, with the majority class
    at 0.508."""
    (x, y), val = task
    seed = 5 + learning_seed
    acc = {}
    for name in ("tanh", "sigmoid", "identity"):
        history = train.fit(AnyRNN(TORCH_F[name], seed), (x, y), val_data=val, loss="cross_entropy",
                            metrics=["accuracy"], epochs=20, lr=0.01, batch_size=50, seed=seed,
                            log_grad_norm=False)
        acc[name] = measured(name, history.val_accuracy[-1])
    assert acc["tanh"] >= 0.95
    assert max(acc["sigmoid"], acc["identity"]) < 0.6


def test_the_first_bit_gets_far_less_gradient_with_the_sigmoid(task, learning_seed, measured):
    """|dL/dx_1| / |dL/dx_T| at initialisation, tanh's over the sigmoid's, on 100 initialisations
    (seeds 100 * learning_seed to + 99): 91-530 (median 225) on seeds 0-99, 70-620 (medians
    222-229 per block of 100) on seeds 0-599, the same on the three kernels (4**4 = 256); on the
    chapter's seeds 0-4, 210-333."""
    (x, y), _ = task
    x_batch, y_batch = torch.tensor(x[:200], requires_grad=True), torch.tensor(y[:200])

    def ratio(name, seed):
        loss = nn.functional.cross_entropy(AnyRNN(TORCH_F[name], seed)(x_batch), y_batch)
        grad, = torch.autograd.grad(loss, x_batch)
        return (grad[:, 0].norm() / grad[:, -1].norm()).item()

    seeds = range(100 * learning_seed, 100 * learning_seed + 100)
    q = np.array([ratio("tanh", s) / ratio("sigmoid", s) for s in seeds])
    measured("min", q.min()), measured("median", np.median(q)), measured("max", q.max())
    assert q.min() > 30 and 150 < np.median(q) < 350
