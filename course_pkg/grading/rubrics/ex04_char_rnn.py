"""Rubric of exercise 4, a character-level RNN in NumPy: 19 points in five parts.

- Part 1, ``char_rnn_forward(ids, h0, params)`` (1 point): the logits of every step of a
  tanh RNN with one-hot inputs and a linear head, compared with :func:`reference_forward`.
- Part 2, ``char_rnn_backward(dlogits, cache)`` (3 points): BPTT, tested with the cache that
  the learner's own forward returned (whatever its layout), for one step (1) and through
  ``T = 6`` steps (2). A usual mistake is named by its values (:data:`BPTT_MISTAKES`, computed
  by :func:`reference_backward`): the gradient from step ``t + 1`` dropped, a weight's
  gradient overwritten at each step instead of summed, the carried gradient added after the
  tanh's derivative, or carried forwards in time. Each gives the right gradients at ``T = 1``
  (the one-step test passes) and wrong ones beyond.
- Part 3, ``shift_register_params(n_symbols, lag)`` (4 points, one hidden): weights set by
  hand so that the model recalls, at every step ``t``, the symbol read at step ``t - lag`` (the
  blank, id 0, before), from ``h0 = 0``, with any hidden size. Judged by the argmax of
  :func:`reference_forward`'s logits at every step of 16 sequences of 60 steps the grader
  draws: lag 1 of 4 symbols (2), lag 3 of 3 symbols (1), hidden lag 2 of 6 symbols (1). Hints
  name a memory one step short or long, a transposed ``W_hh``, a symbol that never beats the
  blank, a symbol predicted before one can have been read, and every prediction one id off
  (a unit mapped to id ``s`` for the symbol ``s + 1``). Any layout that recalls passes (a gain of
  1, which tanh shrinks to 0.51 three steps back, still beats a blank bias of 0.5).
- Part 4, ``train_char_rnn(ids, targets, K, seed)`` (5 points, one hidden): the learner's own
  training loop and hyper-parameters (hidden size, initial weights, update rule and step,
  clipping, batches, number of steps) under a budget of :data:`CHECK_SECONDS` s a call in
  ``course_pkg.check`` (the grader's own limit is 10 s). The grader trains it on delayed
  recall (:func:`course_pkg.data.delayed_recall`, 1,000 sequences) and reads the returned
  parameters itself, with :func:`reference_forward`, on 500 sequences it never sends: at
  least :data:`TRAIN_TARGET` of the recalled symbols (steps ``t >= lag``) right, for lag 4 of
  4 symbols over 20 steps with seed 0 (3) and, hidden, lag 3 of 6 symbols over 16 steps with
  seed 1 (2). The losses the loop returns are read only for the hint (diverged, rose, hardly
  fell, or fell without the memory; a loss that stayed flat is not told it rose). Weights set
  by hand inside ``train_char_rnn`` (Part 3's register, the lag read off ``targets``) pass both
  tests, which read only the returned model; they are not an answer to Part 4, and its
  question says so: they earn Part 3's insight a second time and skip what Part 4 asks (the
  choices that let gradient descent find a memory, which needs the carried gradient). Whoever
  reads a hand-in marks such a Part 4 zero; the tests cannot tell it.
- Part 5, ``sample(params, h, start_id, n_steps, tau, u)`` (2 points, one hidden): sampling
  with a temperature from given uniforms (so the ids are exact), at tau = 1 and 0.5 (1) and,
  hidden, 1.5 (1); named mistakes (:data:`SAMPLE_MISTAKES`): no temperature, the scores
  multiplied by it, greedy decoding, the state not kept, the draw not fed back.
  ``tau_for_perplexity(z, target)`` (4 points, one hidden): the temperature at which
  ``softmax(z / tau)`` has a given perplexity, judged by the perplexity at the learner's tau
  (relative error :data:`PPL_TOL`): targets 1.5 and 4.5 of ``K = 6`` scores (2), a target
  near 1 and one near ``K = 27`` (1), of scores whose largest is 0.0018 and 207 in size, whose
  temperatures (1.4e-4 and 1.0e3) lie outside any interval fixed in advance around 1 (such as
  [1e-3, 1e3]); the question says that the scores range from about 0.001 to 200 and the
  temperatures lie below 1e-3 and above 1e3 (a fixed [1e-6, 1e6] then passes, fairly). Hidden:
  two tied top scores and ``K = 3`` (1). Named mistakes (:data:`TAU_MISTAKES`): the scores
  multiplied by tau, the entropy set to the target, an entropy and an exponential of different
  bases; a perplexity within 1e-3 of the target (a search stopped early, e.g. 20 halvings of
  [1e-6, 1e6]) is told its relative error; otherwise the hint says which way tau must go.

Part 4's target, measured with the solution's choices (H = 32, plain gradient descent with a
step of 1.0 on gradients clipped to [-5, 5], 100 batches of 32, weights drawn from the seed)
over learner seeds 0-29 x OpenBLAS kernels Haswell, SkylakeX and Prescott (the same numbers on
every kernel): lag 4 0.992-0.999 but for seed 23 (0.929, the one run of 30 below the target),
hidden lag 3 of 6 symbols 0.989-0.998; the tests' seeds give 0.995 (seed 0) and 0.997 (seed 1),
a margin of 0.045 over the target of 0.95. The same loop with the gradient from step t + 1
dropped: 0.52-0.67 and 0.45-0.66 (seeds 0-9); with each weight's gradient overwritten:
0.26-0.47 and 0.18-0.48; carried forwards: 0.44-0.57 and 0.30-0.56; at a step of 0.1: 0.65-0.90
and 0.68-0.74, of 0.01: 0.25-0.33 and 0.16-0.25 (seeds 0-2). One training takes 0.2-0.3 s of
CPU; with four busy loops beside it on the two cores (load 8) it took 0.4-2.6 s of wall time,
inside the 5 s of ``course_pkg.check`` and the grader's 10 s. A learner's Adam at 0.01 (chapter
4's step), H = 32, batches of 32, 150-300 steps, passes both tests in 0.4-0.9 s a training.
Chapter 4's names do not tell the BPTT mistakes apart: the solution's loop reaches a test
perplexity of 9.59-9.73 with its BPTT and 9.63-9.68 without the term from step t + 1 (seeds
0-2, every kernel), which the notebook shows.

The partial marks follow the usual mistakes (``tests/test_rubric_ex04.py`` grades each, with
its hint); out of 19: the gradient from step ``t + 1`` dropped, each weight's gradient
overwritten, or carried forwards in time: 12 (Part 2's long test and Part 4, whose memory needs
the carried gradient); the carried gradient added after tanh' loses Part 2's long test (judged
directly: the solution's code cannot make it by a small edit); a register one step short, with
``W_hh`` transposed, one id off, or whose blank always wins: 15; a step of 0.01, or a step of
20 without clipping: 14; no temperature, the scores multiplied by it, greedy decoding, the
state not kept, or the draw not fed back: 17; tau searched in a fixed interval [1e-3, 1e3]: 18;
with it, the entropy set to the target, 2 to the power of an entropy in nats, or the search the
wrong way: 15; the scores multiplied by tau (the search turned round to suit): 15.

Of the 19 points, 13 (:data:`UNDERSTANDING`) need a derivation or a design choice: the
weights of a memory worked out by hand (Part 3, 4), the hyper-parameters chosen to reach a
target within a budget on a task that needs the gradient through time (Part 4, 5), and the
temperature of a given perplexity, which needs the perplexity's rise with tau and its limits
derived (``tau_for_perplexity``, 4). The other 6 test what chapter 4 shows (the forward pass
of its "from scratch" cell, its sampler ``sample_names``) or what ``course_pkg.rnn_backward``
does (BPTT). Written answers are read by hand.

Four tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np

from course_pkg.data import delayed_recall
from course_pkg.gradcheck import rel_error
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       compare_gradients, describe_value, expect,
                                       judge_beside_forward, own_output)
from course_pkg.grading.wire import Ref

FORWARD, BACKWARD, REGISTER = "char_rnn_forward", "char_rnn_backward", "shift_register_params"
TRAIN, SAMPLE, TAU = "train_char_rnn", "sample", "tau_for_perplexity"
SIGNATURES = {FORWARD: ("ids", "h0", "params"), BACKWARD: ("dlogits", "cache"),
              REGISTER: ("n_symbols", "lag"), TRAIN: ("ids", "targets", "K", "seed"),
              SAMPLE: ("params", "h", "start_id", "n_steps", "tau", "u"),
              TAU: ("z", "target")}
TOL = 1e-8
PPL_TOL = 1e-6                 # relative error of the perplexity at the learner's tau
TRAIN_TARGET = 0.95            # recalled symbols right on held-out sequences
CHECK_SECONDS = 5.0            # each call in course_pkg.check; the grader allows 10 s
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hy", "bias_hy")
SHAPES = {"logits": "(N, T, K)", "dh0": "(N, H)", "weight_ih": "(H, K)", "weight_hh": "(H, H)",
          "bias_ih": "(H,)", "bias_hh": "(H,)", "weight_hy": "(K, H)", "bias_hy": "(K,)",
          "ids": "(n_steps,)"}
UNDERSTANDING = frozenset({"register_lag1", "register_lag3", "register_hidden", "train_recall", "train_hidden",
                           "tau_values", "tau_range", "tau_hidden"})


# --------------------------------------------------------------------------- the model

def make_params(K, H, seed, scale=1.0):
    """Seeded float64 parameters of a character RNN with ``K`` ids and ``H`` units."""
    rng = np.random.default_rng(seed)
    return {"weight_ih": scale * rng.standard_normal((H, K)) / np.sqrt(K) * 2,
            "weight_hh": scale * rng.standard_normal((H, H)) / np.sqrt(H),
            "bias_ih": 0.1 * rng.standard_normal(H),
            "bias_hh": 0.1 * rng.standard_normal(H),
            "weight_hy": scale * rng.standard_normal((K, H)) / np.sqrt(H),
            "bias_hy": 0.1 * rng.standard_normal(K)}


def reference_forward(ids, h0, params):
    """``(logits (N, T, K), h (N, T, H))``: one-hot inputs, tanh steps, a linear head."""
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


def reference_loss(logits, targets):
    """Mean cross-entropy over the steps whose target is not -100, and its gradient."""
    real = targets != -100
    safe = np.where(real, targets, 0)
    logp = _log_softmax(logits)
    picked = np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    count = real.sum()
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, safe[..., None], np.take_along_axis(dlogits, safe[..., None], -1) - 1, -1)
    return float(-(picked * real).sum() / count), dlogits * real[..., None] / count


def reference_backward(dlogits, ids, h0, params, variant=None):
    """``(dh0, grads)`` of the loss whose gradient with respect to the logits is ``dlogits``;
    or what a usual mistake computes (:data:`BPTT_MISTAKES`): ``"no_carry"`` (the gradient
    from step t + 1 dropped), ``"overwrite"`` (each step's parameter gradient replaces the
    sum: step 0's is left), ``"after_tanh"`` (the carried gradient added after the tanh's
    derivative), ``"forwards"`` (carried from step t - 1 to step t)."""
    _, h = reference_forward(ids, h0, params)
    N, T, H = h.shape
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["weight_hy"] = np.einsum("ntk,nth->kh", dlogits, h)
    grads["bias_hy"] = dlogits.sum(axis=(0, 1))
    carried = np.zeros((N, H))
    order = range(T) if variant == "forwards" else range(T - 1, -1, -1)
    for t in order:
        dh = dlogits[:, t] @ params["weight_hy"]
        if variant == "after_tanh":
            da = dh * (1 - h[:, t] ** 2) + carried
        else:
            da = (dh + (0 if variant == "no_carry" else carried)) * (1 - h[:, t] ** 2)
        h_prev = h0 if t == 0 else h[:, t - 1]
        step = {"weight_ih": np.zeros_like(params["weight_ih"]), "weight_hh": da.T @ h_prev,
                "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
        np.add.at(step["weight_ih"].T, ids[:, t], da)
        for k, g in step.items():
            grads[k] = g if variant == "overwrite" else grads[k] + g
        carried = da @ params["weight_hh"]
    return carried, grads


BPTT_MISTAKES = {
    "no_carry": "these are the gradients without the term from step t + 1, which agree at T = 1 only: the "
                "gradient reaching h_t also comes from the step after it",
    "overwrite": "each weight's gradient is that of one step (the first): a weight used at every step collects "
                 "a gradient at every step",
    "after_tanh": "the gradient from step t + 1 was added after the tanh's derivative, but it reaches h_t, so "
                  "tanh' applies to it too",
    "forwards": "the gradient was carried from step t - 1 to step t: it flows backwards in time, from the last "
                "step to the first",
}


def judge_backward(calls, results, names):
    """The learner's ``dh0`` and gradients equal the reference's; a usual mistake is named."""
    ids, h0, params = calls[0].args
    dlogits = calls[1].args[0]
    dh0, grads = own_output(results[1], 2)
    arrays = {"dh0": dh0, **(grads if isinstance(grads, dict) else {})}
    ref_dh0, ref_grads = reference_backward(dlogits, ids, h0, params)
    try:
        compare_gradients(grads, {"dh0": dh0}, {**ref_grads, "dh0": ref_dh0}, names, SHAPES, TOL)
    except CheckFailed:
        for variant, hint in BPTT_MISTAKES.items():
            v_dh0, v_grads = reference_backward(dlogits, ids, h0, params, variant)
            want = {**v_grads, "dh0": v_dh0}
            if _all_close(arrays, want, names):
                raise CheckFailed(f"T = {ids.shape[1]}: {hint}") from None
        raise


def _all_close(arrays, want, names):
    for name in names:
        try:
            got = np.asarray(arrays[name], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            return False
        if got.shape != want[name].shape or not np.isfinite(got).all() or rel_error(got, want[name]) >= TOL:
            return False
    return True


def judge_bptt(calls, results):
    """:func:`judge_backward` of every gradient, blaming the forward pass when it is wrong too."""
    judge_beside_forward(judge_backward, judge_forward, FORWARD, "Part 1", calls, results, ("dh0",) + PARAM_KEYS)


def judge_forward(calls, results):
    """The learner's logits equal the reference's."""
    ids, h0, params = calls[0].args
    logits = own_output(results[0], 2)[0]
    compare_array("logits", logits, reference_forward(ids, h0, params)[0], SHAPES["logits"], TOL)


# --------------------------------------------------------------------------- Part 3

def delayed(ids, lag):
    """The targets of delayed recall: at step t the id of step t - lag, 0 (the blank) before."""
    targets = np.zeros_like(ids)
    targets[:, lag:] = ids[:, :ids.shape[1] - lag]
    return targets


REGISTER_N, REGISTER_T = 16, 60          # the sequences a register is judged on


def model_params(params, K, where):
    """The learner's returned parameters, checked: a dict of the six finite float arrays of a
    model with ``K`` ids and one hidden size ``H``; returns ``(params, H)``."""
    expect(isinstance(params, dict), f"expected {where} to return params, a dict of {list(PARAM_KEYS)}, got "
                                     f"{describe_value(params)}")
    for k in PARAM_KEYS:
        expect(k in params, f"params has no key {k!r} (its keys: {sorted(map(str, params))})")
        expect(isinstance(params[k], np.ndarray) and params[k].dtype.kind in "biuf",
               f"expected params[{k!r}] to be an array of numbers, got {describe_value(params[k])}")
    H = params["weight_hh"].shape[0] if params["weight_hh"].ndim == 2 else 0
    want = {"weight_ih": (H, K), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,), "weight_hy": (K, H),
            "bias_hy": (K,)}
    for k in PARAM_KEYS:
        expect(H > 0 and params[k].shape == want[k],
               f"expected params[{k!r}] of shape {SHAPES[k]} = {want[k]} (K = {K}, H = {H} from weight_hh), "
               f"got {params[k].shape}")
        expect(np.isfinite(params[k]).all(), f"params[{k!r}] holds NaN or infinite values")
    return {k: params[k].astype(np.float64) for k in PARAM_KEYS}, H


def predictions(params, ids):
    """The argmax of the reference logits at every step, from ``h0 = 0``."""
    H = params["weight_hh"].shape[0]
    logits, _ = reference_forward(ids, np.zeros((len(ids), H)), params)
    return logits.argmax(axis=-1)


def judge_register(calls, results):
    """Every step's prediction is the id read ``lag`` steps before (0 before); mistakes named."""
    n_symbols, lag = calls[0].args
    params, _ = model_params(own_output(results[0]), n_symbols + 1, REGISTER)
    rng = np.random.default_rng(1000 + 10 * lag + n_symbols)
    ids = rng.integers(1, n_symbols + 1, size=(REGISTER_N, REGISTER_T))
    targets, got = delayed(ids, lag), predictions(params, ids)
    if (got == targets).all():
        return
    where = f"lag {lag}, {n_symbols} symbols"
    for k, word in ((lag - 1, "short"), (lag + 1, "long")):
        if (got[:, lag + 1:] == delayed(ids, k)[:, lag + 1:]).all():
            raise CheckFailed(f"{where}: the model recalls the symbol read {k} step{'' if k == 1 else 's'} back: "
                              f"its memory is one step too {word}")
    if (predictions(dict(params, weight_hh=params["weight_hh"].T), ids) == targets).all():
        raise CheckFailed(f"{where}: your weights would be right with W_hh transposed: unit i of h_t reads row i "
                          "of W_hh (h_{t-1} W_hh^T)")
    if (got[:, lag:] == 0).all():
        raise CheckFailed(f"{where}: the model predicts the blank (id 0) at every step: the remembered symbol "
                          "never beats the blank's score (a tanh step shrinks a value unless its input is large)")
    if (got[:, lag:] == targets[:, lag:]).all():
        n, t = np.argwhere(got != targets)[0]
        raise CheckFailed(f"{where}: at step {t} nothing was read {lag} step{'' if lag == 1 else 's'} before, so "
                          f"the target is the blank (id 0), but the model predicts {got[n, t]}")
    for d, word in ((-1, "below"), (1, "above")):
        if (got[:, lag:] == targets[:, lag:] + d).all():
            raise CheckFailed(f"{where}: from step {lag} on, the model predicts the id one {word} the target: the "
                              f"symbols are the ids 1, ..., {n_symbols} (0 is the blank), so the head's rows or "
                              "W_ih's columns are one place off")
    n, t = np.argwhere(got != targets)[0]
    raise CheckFailed(f"{where}: {np.mean(got == targets):.0%} of the steps right; at step {t} of the ids "
                      f"{ids[n, :t + 1].tolist()} the model predicts {got[n, t]}, the target is {targets[n, t]}")


# --------------------------------------------------------------------------- Part 4

RECALL_TASKS = {"train_recall": dict(lag=4, n_symbols=4, T=20, data_seed=40, test_seed=41, seed=0),
                "train_hidden": dict(lag=3, n_symbols=6, T=16, data_seed=50, test_seed=51, seed=1)}


def recall_data(task, held_out=False):
    """``(ids, targets)`` of a Part 4 task: 1,000 training or 500 held-out sequences."""
    return delayed_recall(500 if held_out else 1000, T=task["T"], lag=task["lag"], n_symbols=task["n_symbols"],
                          seed=task["test_seed" if held_out else "data_seed"])


def recall_accuracy(params, task):
    """The share of the recalled symbols (steps ``t >= lag``) that ``params`` gets right on
    the held-out sequences of ``task``."""
    ids, targets = recall_data(task, held_out=True)
    lag = task["lag"]
    return float((predictions(params, ids) == targets)[:, lag:].mean())


def _losses(losses):
    try:
        values = np.asarray(losses, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None
    return values if values.size else None


def judge_train(calls, results, task):
    """The returned parameters recall at least :data:`TRAIN_TARGET` of the held-out symbols."""
    _, _, K, _ = calls[0].args
    value = own_output(results[0], 2)
    losses = _losses(value[1])
    expect(losses is not None, f"expected {TRAIN} to return (params, losses) with losses a list of numbers, got "
                               f"{describe_value(value[1])}")
    expect(np.isfinite(losses).all(), "your losses became NaN or infinite: the steps diverged (too large a step "
                                      "for gradients that are not clipped?)")
    params, H = model_params(value[0], K, TRAIN)
    acc = recall_accuracy(params, task)
    if acc >= TRAIN_TARGET:
        return
    said = (f"your model (H = {H}) recalls {acc:.0%} of the held-out symbols {task['lag']} steps back "
            f"({TRAIN_TARGET:.0%} pass)")
    first, last = losses[0], losses[-1]
    # a loss that stayed flat (small weights, a small step) may end a hair above its start: not "rose"
    expect(last <= 1.05 * first, f"{said}: its loss rose from {first:.2f} to {last:.2f}, so the steps overshoot "
                                 "(too large a step for gradients that are not clipped?)")
    expect(last < 0.8 * first, f"{said}: its loss went only from {first:.2f} to {last:.2f}; if the BPTT tests "
                               "pass, the steps are too small or too few for the budget (or the initial "
                               "weights too small to pass a gradient back)")
    raise CheckFailed(f"{said} although its loss fell from {first:.2f} to {last:.2f}: do the BPTT tests pass (a "
                      "memory of several steps needs the gradient from later steps), and are H, the step size "
                      "and the number of steps enough?")


# --------------------------------------------------------------------------- Part 5

def reference_sample(params, h, start_id, n_steps, tau, u, variant=None):
    """The ids drawn from ``softmax(z / tau)`` by inverse transform with the uniforms ``u``;
    or what a usual mistake draws (:data:`SAMPLE_MISTAKES`)."""
    K = params["weight_hy"].shape[0]
    h0, ids, prev = h, [], start_id
    for t in range(n_steps):
        state = h0 if variant == "no_state" else h
        feed = start_id if variant == "no_feedback" else prev
        h = np.tanh(params["weight_ih"][:, feed] + params["bias_ih"]
                    + state @ params["weight_hh"].T + params["bias_hh"])
        z = (h @ params["weight_hy"].T + params["bias_hy"]).reshape(-1)
        z = {"no_tau": z, "times_tau": z * tau}.get(variant, z / tau)
        if variant == "greedy":
            prev = int(np.argmax(z))
        else:
            p = np.exp(_log_softmax(z))
            prev = min(int(np.searchsorted(np.cumsum(p), u[t], side="right")), K - 1)
        ids.append(prev)
    return np.array(ids)


SAMPLE_MISTAKES = {
    "no_tau": "the ids are those drawn from softmax(z), at tau = 1: the temperature is not used",
    "times_tau": "the ids are those drawn with the scores multiplied by tau: the temperature divides them",
    "greedy": "the ids are the most probable ones (greedy decoding): draw each with the uniform u[t]",
    "no_state": "the ids are those of a model that starts every step from the initial state: keep the state "
                "from step to step",
    "no_feedback": "the ids are those of a model that reads start_id at every step: feed each draw back as the "
                   "next input",
}


def judge_sample(calls, results):
    """The ids drawn equal the reference's for every call, with the same uniforms."""
    for call, result in zip(calls, results):
        params, h, start_id, n_steps, tau, u = call.args
        got = own_output(result)
        want = reference_sample(*call.args)
        if isinstance(got, (list, tuple)) and all(isinstance(g, (int, np.integer)) for g in got):
            got = np.array(got, dtype=np.int64)
        expect(isinstance(got, np.ndarray) and got.dtype.kind in "iu",
               f"expected {SAMPLE} to return an array of integer ids, got {describe_value(got)}")
        expect(got.shape == want.shape, f"expected ids of shape {SHAPES['ids']} = {want.shape}, got {got.shape}")
        wrong = np.flatnonzero(got != want)
        if wrong.size:
            for variant, hint in SAMPLE_MISTAKES.items():
                if np.array_equal(got, reference_sample(*call.args, variant=variant)):
                    raise CheckFailed(f"tau = {tau:g}: {hint}")
            raise CheckFailed(f"tau = {tau:g}: {wrong.size} of {want.size} ids differ, the first at step "
                              f"{wrong[0]}")


def perplexity(z, tau):
    """``exp`` of the entropy (in nats) of ``softmax(z / tau)``."""
    logp = _log_softmax(np.asarray(z, dtype=np.float64) / tau)
    return float(np.exp(-(np.exp(logp) * logp).sum()))


def reference_tau(z, target):
    """The ``tau`` at which ``softmax(z / tau)`` has perplexity ``target``: the perplexity rises
    with ``tau`` (from the number of tied top scores to ``K``), so bisect on ``log tau``."""
    lo = hi = 1.0
    while perplexity(z, lo) > target:
        lo /= 2
    while perplexity(z, hi) < target:
        hi *= 2
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if perplexity(z, mid) < target else (lo, mid)
    return float(np.sqrt(lo * hi))


def _entropy(z, tau):
    return float(np.log(perplexity(z, tau)))


TAU_MISTAKES = (
    (lambda z, tau, target: perplexity(z, 1 / tau),
     "the scores were multiplied by tau: softmax(z * tau) has that perplexity; the temperature divides them"),
    (lambda z, tau, target: _entropy(z, tau),
     "at your tau the entropy (in nats) equals the target: the perplexity is exp of the entropy"),
    (lambda z, tau, target: 2 ** _entropy(z, tau),
     "2 ** (the entropy in nats) equals the target: use one base for both (exp of nats, or 2 ** bits)"),
    (lambda z, tau, target: np.exp(_entropy(z, tau) / np.log(2)),
     "exp of the entropy in bits equals the target: use one base for both (exp of nats, or 2 ** bits)"),
)


def judge_tau(calls, results):
    """For every call, the perplexity at the learner's tau is the target (relative :data:`PPL_TOL`)."""
    for call, result in zip(calls, results):
        z, target = call.args
        tau = own_output(result)
        if isinstance(tau, np.ndarray) and tau.size == 1:
            tau = tau.reshape(()).item()
        expect(isinstance(tau, Real) and not isinstance(tau, bool),
               f"expected {TAU} to return a number, got {describe_value(tau)}")
        expect(np.isfinite(tau) and tau > 0, f"target {target:g}: tau = {tau}, expected a positive finite number")
        got = perplexity(z, tau)
        if abs(got - target) <= PPL_TOL * target:
            continue
        for value, hint in TAU_MISTAKES:
            if abs(value(z, tau, target) - target) <= PPL_TOL * target:
                raise CheckFailed(f"target {target:g}: {hint}")
        K = len(z)
        way = "larger" if got < target else "smaller"
        if abs(got - target) <= 1e-3 * target:          # the right way, not far enough: a search stopped early
            raise CheckFailed(f"target {target:g}, K = {K}: at your tau = {tau:.6g} the perplexity is {got:.7g}, "
                              f"a relative error of {abs(got - target) / target:.1e} where {PPL_TOL:g} is asked: "
                              f"tau must be a little {way}; does your search stop too early?")
        raise CheckFailed(f"target {target:g}, K = {K}: at your tau = {tau:.4g} the perplexity is {got:.6g}; it "
                          f"rises with tau (towards 1 as tau -> 0, K as tau -> inf), so tau must be {way}: does "
                          "your search go that way, and far enough?")


def tau_scores(K, scale, seed, ties=0):
    """Scores ``z (K,)``: standard normal times ``scale``; ``ties`` more scores set to the top one."""
    z = scale * np.random.default_rng(seed).standard_normal(K)
    top = int(np.argmax(z))
    z[[(top + 1 + i) % K for i in range(ties)]] = z[top]
    return z


# --------------------------------------------------------------------------- tests

def forward_test(test_id, name, N, T, K, H, seed):
    rng = np.random.default_rng(seed + 1000)
    ids, h0 = rng.integers(0, K, size=(N, T)), rng.uniform(-0.5, 0.5, (N, H))
    return Test(test_id, FORWARD, name, 1, (Call(FORWARD, (ids, h0, make_params(K, H, seed))),), judge_forward)


def backward_test(test_id, name, N, T, K, H, seed, points):
    """The learner's forward gives the cache for the learner's backward."""
    rng = np.random.default_rng(seed + 1000)
    ids, h0 = rng.integers(0, K, size=(N, T)), rng.uniform(-0.5, 0.5, (N, H))
    dlogits = rng.standard_normal((N, T, K))
    calls = (Call(FORWARD, (ids, h0, make_params(K, H, seed))), Call(BACKWARD, (dlogits, Ref(0, 1))))
    return Test(test_id, BACKWARD, name, points, calls, judge_bptt)


def register_test(test_id, name, n_symbols, lag, points, hidden=False):
    return Test(test_id, REGISTER, name, points, (Call(REGISTER, (n_symbols, lag)),), judge_register, hidden)


def train_test(test_id, name, points, hidden=False):
    task = RECALL_TASKS[test_id]
    ids, targets = recall_data(task)
    call = Call(TRAIN, (ids, targets, task["n_symbols"] + 1, task["seed"]))
    return Test(test_id, TRAIN, name, points, (call,), partial(judge_train, task=task), hidden)


def sample_call(tau, seed, n_steps=15, K=6, H=8):
    params = make_params(K, H, seed, scale=2.0)
    rng = np.random.default_rng(seed + 500)
    return Call(SAMPLE, (params, rng.uniform(-0.5, 0.5, (1, H)), 2, n_steps, float(tau), rng.uniform(0, 1, n_steps)))


def tau_test(test_id, name, cases, points, hidden=False):
    calls = tuple(Call(TAU, (tau_scores(K, scale, seed, ties), float(target)))
                  for K, scale, seed, ties, target in cases)
    return Test(test_id, TAU, name, points, calls, judge_tau, hidden)


RUBRIC = Rubric(
    exercise="ex04_char_rnn",
    signatures=SIGNATURES,
    tests=(
        forward_test("forward", "logits for a batch (N=3, T=6, K=7, H=5)", 3, 6, 7, 5, seed=1),
        backward_test("backward_one_step", "every gradient for one step (T = 1)", 2, 1, 7, 5, seed=11, points=1),
        backward_test("backward_through_time", "every gradient through T = 6 steps", 3, 6, 7, 5, seed=10,
                      points=2),
        register_test("register_lag1", "by hand: the symbol 1 step back (4 symbols)", 4, 1, 2),
        register_test("register_lag3", "by hand: 3 steps back (3 symbols)", 3, 3, 1),
        register_test("register_hidden", "by hand: 2 steps back (6 symbols)", 6, 2, 1, hidden=True),
        train_test("train_recall", f"trained: recall 4 steps back, >= {TRAIN_TARGET:.0%} held out", 3),
        train_test("train_hidden", "trained: recall 3 steps back (6 symbols)", 2, hidden=True),
        Test("sample", SAMPLE, "sample at tau = 1 and tau = 0.5", 1, (sample_call(1.0, 20), sample_call(0.5, 21)),
             judge_sample),
        Test("sample_hidden", SAMPLE, "sample at tau = 1.5", 1, (sample_call(1.5, 22),), judge_sample,
             hidden=True),
        tau_test("tau_values", "tau for perplexity 1.5 and 4.5 (K = 6)",
                 ((6, 2.0, 30, 0, 1.5), (6, 2.0, 30, 0, 4.5)), 2),
        tau_test("tau_range", "tau for perplexity near 1 and near K = 27",
                 ((27, 0.001, 31, 0, 1.2), (27, 100.0, 32, 0, 26.9)), 1),
        tau_test("tau_hidden", "tau with two tied top scores", ((5, 1.5, 33, 1, 2.5), (3, 1.0, 34, 0, 1.5)), 1,
                 hidden=True),
    ),
    answers=(Answer("question-bptt", "the gradient from step t + 1: predicted, measured, explained"),
             Answer("question-tau", "the temperature: predicted, measured; exposure bias")),
    check_seconds=CHECK_SECONDS,
)
