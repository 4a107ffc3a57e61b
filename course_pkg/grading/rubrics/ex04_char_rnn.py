"""Rubric of exercise 4, a character-level RNN language model in NumPy: 20 points in five parts.

- Part 1, ``char_rnn_forward`` (3 points): logits of every step, compared with this module's
  reference (the embedding of a one-hot input is a column of ``W_ih``).
- Part 2, ``char_rnn_loss`` (2): the mean cross-entropy over all steps and its gradient.
- Part 3, ``char_rnn_backward`` (6): BPTT, tested with the cache that the learner's own
  ``char_rnn_forward`` returned (whatever its layout); the reference gradients are checked
  against centred differences in ``tests/test_rubric_ex04.py``.
- Part 4, ``sample`` (3) and ``train_char_rnn`` (3): sampling with a temperature from given
  uniform numbers (so the ids are exact), and a training loop whose returned parameters are
  scored here, with the reference loss on the fixed text: what the learner's loop reports
  is not trusted.
- Part 5, ``masked_loss`` (3): the per-step loss of a padded batch, padding left out.

The partial marks follow the usual mistakes (``tests/test_rubric_ex04.py`` grades each):

- a backward that forgets to carry the gradient into the step before keeps the output
  layer's gradients and the one-step test, 2 of Part 3's 6 (its truncated gradients still
  train the fixed text, so it keeps the 3 training points);
- one that overwrites the parameter gradients of each step instead of adding them keeps
  ``dh0`` too: 3 of 6;
- a loss summed over the steps instead of averaged loses Part 2's 2 points, and training
  too (its steps are ``N * T`` times too long and diverge);
- sampling from ``softmax(z)`` with no temperature loses the two tests with ``tau != 1``;
- a masked loss that averages over every position, padding included, keeps only the test
  on a batch with no padding: 1 of Part 5's 3;
- a loop that reports low losses without training, or does not update, loses the 3
  training points: the judge measures the returned parameters itself.

Two tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       compare_gradients, describe_value, expect, failure_hint,
                                       items, own_output)
from course_pkg.grading.wire import Ref

FORWARD, LOSS, BACKWARD = "char_rnn_forward", "char_rnn_loss", "char_rnn_backward"
SAMPLE, TRAIN, MASKED = "sample", "train_char_rnn", "masked_loss"
SIGNATURES = {FORWARD: ("ids", "h0", "params"), LOSS: ("logits", "targets"),
              BACKWARD: ("dlogits", "cache"),
              SAMPLE: ("params", "h", "start_id", "n_steps", "tau", "u"),
              TRAIN: ("ids", "params", "n_iters", "lr"),
              MASKED: ("logits", "targets", "lengths")}
TOL, LOSS_TOL = 1e-8, 1e-9
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hy", "bias_hy")
SHAPES = {"logits": "(N, T, V)", "dlogits": "(N, T, V)", "dh0": "(N, H)", "weight_ih": "(H, V)",
          "weight_hh": "(H, H)", "bias_ih": "(H,)", "bias_hh": "(H,)", "weight_hy": "(V, H)",
          "bias_hy": "(V,)", "ids": "(n_steps,)"}
TEXT = "hello world, hello rnn. "          # the fixed text that training must learn
TRAIN_ITERS, TRAIN_LR, TRAIN_H = 60, 0.5, 24
TRAIN_TARGET = 0.5                          # the trained loss must be below half the initial one


# --------------------------------------------------------------------------- the reference

def make_params(V, H, seed, scale=1.0):
    """Seeded float64 parameters of a character RNN with ``V`` characters and ``H`` units."""
    rng = np.random.default_rng(seed)
    return {"weight_ih": scale * rng.standard_normal((H, V)) / np.sqrt(V) * 2,
            "weight_hh": scale * rng.standard_normal((H, H)) / np.sqrt(H),
            "bias_ih": 0.1 * rng.standard_normal(H),
            "bias_hh": 0.1 * rng.standard_normal(H),
            "weight_hy": scale * rng.standard_normal((V, H)) / np.sqrt(H),
            "bias_hy": 0.1 * rng.standard_normal(V)}


def reference_forward(ids, h0, params):
    """``(logits (N, T, V), h (N, T, H))``: one-hot inputs, tanh steps, a linear head."""
    h_t, states = h0, []
    for t in range(ids.shape[1]):
        a = (params["weight_ih"][:, ids[:, t]].T + params["bias_ih"]
             + h_t @ params["weight_hh"].T + params["bias_hh"])
        h_t = np.tanh(a)
        states.append(h_t)
    h = np.stack(states, axis=1)
    return h @ params["weight_hy"].T + params["bias_hy"], h


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def reference_masked_loss(logits, targets, lengths):
    """Mean cross-entropy over the steps ``t < lengths[n]`` and its gradient (0 at padding)."""
    N, T, V = logits.shape
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]          # (N, T)
    safe = np.where(mask, targets, 0)
    logp = _log_softmax(logits)
    picked = np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    count = mask.sum()
    loss = -(picked * mask).sum() / count
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, safe[..., None], np.take_along_axis(dlogits, safe[..., None], -1) - 1, -1)
    return float(loss), dlogits * mask[..., None] / count


def reference_loss(logits, targets):
    """Mean cross-entropy over all ``N * T`` steps and its gradient."""
    N, T, _ = logits.shape
    return reference_masked_loss(logits, targets, np.full(N, T))


def reference_backward(dlogits, ids, h0, params):
    """``(dh0, grads)`` of the loss whose gradient with respect to the logits is ``dlogits``."""
    _, h = reference_forward(ids, h0, params)
    N, T, H = h.shape
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["weight_hy"] = np.einsum("ntv,nth->vh", dlogits, h)
    grads["bias_hy"] = dlogits.sum(axis=(0, 1))
    dh_next = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da = (dlogits[:, t] @ params["weight_hy"] + dh_next) * (1 - h[:, t] ** 2)
        h_prev = h0 if t == 0 else h[:, t - 1]
        np.add.at(grads["weight_ih"].T, ids[:, t], da)
        grads["weight_hh"] += da.T @ h_prev
        grads["bias_ih"] += da.sum(0)
        grads["bias_hh"] += da.sum(0)
        dh_next = da @ params["weight_hh"]
    return dh_next, grads


def reference_sample(params, h, start_id, n_steps, tau, u):
    """The ids drawn from ``softmax(z / tau)`` by inverse transform with the uniforms ``u``."""
    V = params["weight_hy"].shape[0]
    ids, prev = [], start_id
    for t in range(n_steps):
        h = np.tanh(params["weight_ih"][:, prev] + params["bias_ih"]
                    + h @ params["weight_hh"].T + params["bias_hh"])
        z = (h @ params["weight_hy"].T + params["bias_hy"]).reshape(-1) / tau
        p = np.exp(_log_softmax(z))
        prev = min(int(np.searchsorted(np.cumsum(p), u[t], side="right")), V - 1)
        ids.append(prev)
    return np.array(ids)


def text_ids(text=TEXT):
    """``(ids (len(text),) int64, characters)`` of the fixed text, characters sorted."""
    chars = sorted(set(text))
    return np.array([chars.index(c) for c in text], dtype=np.int64), chars


def text_loss(ids, params):
    """The reference loss of predicting ``ids[1:]`` from ``ids[:-1]``, from ``h0 = 0``."""
    H = params["weight_hh"].shape[0]
    logits, _ = reference_forward(ids[None, :-1], np.zeros((1, H)), params)
    return reference_loss(logits, ids[None, 1:])[0]


# --------------------------------------------------------------------------- inputs

def make_case(N, T, V, H, seed):
    """Seeded ``(ids (N, T), h0 (N, H), params, targets (N, T))``."""
    rng = np.random.default_rng(seed + 1000)
    ids = rng.integers(0, V, size=(N, T))
    targets = rng.integers(0, V, size=(N, T))
    return ids, rng.uniform(-0.5, 0.5, (N, H)), make_params(V, H, seed), targets


def make_logits(N, T, V, seed):
    rng = np.random.default_rng(seed)
    return 2 * rng.standard_normal((N, T, V)), rng.integers(0, V, size=(N, T))



def _number(value, what):
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        value = value.reshape(()).item()
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected {what} to be a number, got {describe_value(value)}")
    expect(np.isfinite(value), f"{what} is NaN or infinite")
    return float(value)


# --------------------------------------------------------------------------- judges (pure)

def judge_forward(calls, results):
    """The learner's logits equal the reference's."""
    ids, h0, params = calls[0].args
    logits = own_output(results[0], 2)[0]
    compare_array("logits", logits, reference_forward(ids, h0, params)[0], SHAPES["logits"], TOL)


def judge_loss(calls, results, part):
    """The loss (``part`` 0) or ``dlogits`` (``part`` 1) of the learner's ``char_rnn_loss``."""
    logits, targets = calls[0].args
    got = own_output(results[0], 2)
    want = reference_loss(logits, targets)
    _judge_loss_part(got, want, part, LOSS)


def _judge_loss_part(got, want, part, name):
    if part == 0:
        loss = _number(got[0], "the loss")
        expect(abs(loss - want[0]) <= LOSS_TOL * max(1.0, abs(want[0])),
               f"the loss is {loss:.6g}, off by {loss - want[0]:+.3g}"
               + (" (is it the mean over the steps?)" if name == LOSS else ""))
    else:
        compare_array("dlogits", got[1], want[1], SHAPES["dlogits"], TOL)


def judge_backward(calls, results, names):
    """The named gradients (``dh0`` or keys of ``grads``) equal the reference's."""
    if results[0].error is not None:
        raise CheckFailed(f"needs {FORWARD}, which failed: {failure_hint(results[0])}")
    ids, h0, params = calls[0].args
    dlogits = calls[1].args[0]
    dh0, grads = own_output(results[1], 2)
    ref_dh0, ref_grads = reference_backward(dlogits, ids, h0, params)
    compare_gradients(grads, {"dh0": dh0}, {**ref_grads, "dh0": ref_dh0}, names, SHAPES, TOL)


def judge_sample(calls, results):
    """The ids drawn equal the reference's, with the same uniforms."""
    params, h, start_id, n_steps, tau, u = calls[0].args
    got = own_output(results[0])
    want = reference_sample(params, h, start_id, n_steps, tau, u)
    if isinstance(got, (list, tuple)):
        got = np.array(got) if all(isinstance(g, (int, np.integer)) for g in got) else got
    expect(isinstance(got, np.ndarray) and got.dtype.kind in "iu",
           f"expected {SAMPLE} to return an array of integer ids, got {describe_value(got)}")
    expect(got.shape == want.shape, f"expected ids of shape {SHAPES['ids']} = {want.shape}, got {got.shape}")
    wrong = np.flatnonzero(got != want)
    if wrong.size:
        hint = " (divide the scores by tau before the softmax)" if tau != 1 else ""
        raise CheckFailed(f"{wrong.size} of {want.size} ids differ, the first at step {wrong[0]}{hint}")


def judge_train(calls, results):
    """The returned parameters have a reference loss below :data:`TRAIN_TARGET` x the initial one."""
    ids, params0, _, _ = calls[0].args
    params, losses = own_output(results[0], 2)
    expect(isinstance(params, dict) and set(params) >= set(PARAM_KEYS),
           f"expected {TRAIN} to return (params, losses) with params a dict of {list(PARAM_KEYS)}")
    for k in PARAM_KEYS:
        got = params[k]
        expect(isinstance(got, np.ndarray) and got.shape == params0[k].shape and got.dtype.kind == "f",
               f"expected params[{k!r}] an array of shape {params0[k].shape}, got {describe_value(got)}")
        expect(np.isfinite(got).all(), f"params[{k!r}] holds NaN or infinite values after training")
    expect(isinstance(losses, (list, tuple, np.ndarray)) and len(losses) >= 1,
           f"expected losses to be a list of numbers, got {describe_value(losses)}")
    before, after = text_loss(ids, params0), text_loss(ids, params)
    expect(after < TRAIN_TARGET * before,
           f"training took the loss on the text from {before:.3f} to {after:.3f}; expected below "
           f"{TRAIN_TARGET * before:.3f} (do the gradient tests pass? is the update params -= lr * grad?)")


def judge_masked(calls, results, part):
    """The masked loss (``part`` 0) or its gradient (``part`` 1)."""
    logits, targets, lengths = calls[0].args
    got = own_output(results[0], 2)
    want = reference_masked_loss(logits, targets, lengths)
    if part == 0:
        loss = _number(got[0], "the loss")
        expect(abs(loss - want[0]) <= LOSS_TOL * max(1.0, abs(want[0])),
               f"the loss is {loss:.6g}, off by {loss - want[0]:+.3g} (is padding left out, and "
               "is it the mean over the real steps?)")
    else:
        compare_array("dlogits", got[1], want[1], SHAPES["dlogits"], TOL)


# --------------------------------------------------------------------------- tests

def forward_test(test_id, name, N, T, V, H, seed, hidden=False):
    ids, h0, params, _ = make_case(N, T, V, H, seed)
    return Test(test_id, FORWARD, name, 1, (Call(FORWARD, (ids, h0, params)),), judge_forward, hidden)


def loss_test(test_id, name, part, N, T, V, seed):
    logits, targets = make_logits(N, T, V, seed)
    return Test(test_id, LOSS, name, 1, (Call(LOSS, (logits, targets)),), partial(judge_loss, part=part))


def backward_test(test_id, name, names, N=3, T=6, V=7, H=5, seed=10, points=1, hidden=False):
    """The learner's forward gives the cache for the learner's backward."""
    ids, h0, params, targets = make_case(N, T, V, H, seed)
    dlogits = np.random.default_rng(seed + 7).standard_normal((N, T, V))
    calls = (Call(FORWARD, (ids, h0, params), send=False), Call(BACKWARD, (dlogits, Ref(0, 1))))
    return Test(test_id, BACKWARD, name, points, calls, partial(judge_backward, names=names), hidden)


def sample_test(test_id, name, tau, seed, n_steps=15, V=6, H=8, hidden=False):
    params = make_params(V, H, seed, scale=2.0)
    rng = np.random.default_rng(seed + 500)
    h = rng.uniform(-0.5, 0.5, (1, H))
    u = rng.uniform(0, 1, n_steps)
    call = Call(SAMPLE, (params, h, 2, n_steps, float(tau), u))
    return Test(test_id, SAMPLE, name, 1, (call,), judge_sample, hidden)


def train_test():
    ids, chars = text_ids()
    params = make_params(len(chars), TRAIN_H, 40, scale=0.5)
    call = Call(TRAIN, (ids, params, TRAIN_ITERS, TRAIN_LR))
    return Test("train", TRAIN, "training lowers the loss on a fixed text to below half", 3,
                (call,), judge_train)


def masked_test(test_id, name, part, lengths, seed, hidden=False):
    lengths = np.array(lengths)
    N, T, V = len(lengths), 6, 5
    logits, targets = make_logits(N, T, V, seed)
    targets = np.where(np.arange(T)[None, :] < lengths[:, None], targets, -100)
    return Test(test_id, MASKED, name, 1, (Call(MASKED, (logits, targets, lengths)),),
                partial(judge_masked, part=part), hidden)


ALL = ("dh0",) + PARAM_KEYS

RUBRIC = Rubric(
    exercise="ex04_char_rnn",
    signatures=SIGNATURES,
    tests=(
        forward_test("forward_batch", "logits for a batch (N=3, T=6, V=7, H=5)", 3, 6, 7, 5, seed=1),
        forward_test("forward_one_step", "logits for one step (T=1)", 2, 1, 4, 3, seed=2),
        forward_test("forward_long", "logits for one long sequence (N=1, T=20)", 1, 20, 9, 4, seed=3,
                     hidden=True),
        loss_test("loss_value", "the mean cross-entropy over N*T steps", 0, 3, 5, 6, seed=4),
        loss_test("loss_grad", "its gradient dlogits", 1, 3, 5, 6, seed=5),
        backward_test("backward_one_step", "every gradient for one step (T=1)", ALL, N=2, T=1, seed=11),
        backward_test("dhead", "grads['weight_hy'] and grads['bias_hy']", ("weight_hy", "bias_hy")),
        backward_test("dweight_ih", "grads['weight_ih'] (the one-hot inputs)", ("weight_ih",)),
        backward_test("dweight_hh", "grads['weight_hh']", ("weight_hh",)),
        backward_test("dbias", "grads['bias_ih'] and grads['bias_hh']", ("bias_ih", "bias_hh")),
        backward_test("dh0", "dh0, through every step", ("dh0",)),
        sample_test("sample_tau1", "sample at tau = 1", 1.0, seed=20),
        sample_test("sample_cold", "sample at tau = 0.5", 0.5, seed=21),
        sample_test("sample_hot", "sample at tau = 1.5", 1.5, seed=22, hidden=True),
        train_test(),
        masked_test("masked_full", "masked loss of a batch without padding", 0, [6, 6], seed=30),
        masked_test("masked_value", "masked loss of a padded batch (lengths 6, 2, 4)", 0, [6, 2, 4],
                    seed=31),
        masked_test("masked_grad", "its gradient: zero at padding", 1, [3, 6, 1], seed=32),
    ),
    answers=(Answer("question-tau", "what the temperature does to the samples, and why"),
             Answer("question-mask", "why the padded steps must be left out of the mean")),
)
