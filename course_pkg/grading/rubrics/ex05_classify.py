"""Rubric of exercise 5, the N vs 1 classifier: 16 points in three parts.

- Part 1, the mean of the valid states (5 points, one hidden): ``masked_mean(output,
  lengths)`` reads a padded batch ``(N, T, H)`` by giving every valid step of a sequence the
  same weight, so that a sentence's feature does not depend on the batch it is in:
  ``output[n, :T_n].mean(0)`` (:func:`reference_mean`), 2 points; ``masked_mean_backward(dfeat,
  lengths, T)`` its gradient, ``dfeat[n] / T_n`` at each valid step and zero at the pads
  (:func:`reference_mean_backward`), 3 points.
- Part 2, ``weighted_head(h, weight, bias, targets, class_weight)`` (6 points, one hidden):
  the softmax head with class weights and the weighted mean of torch's
  ``cross_entropy(weight=...)``, ``L = sum_n w_{c_n} l_n / sum_n w_{c_n}``, with
  ``(loss, dh, grads)``; ``dz_n = w_{c_n} (y_n - e_{c_n}) / sum_m w_{c_m}``
  (:func:`reference_head`, equal to torch's, ``tests/test_rubric_ex05.py``). With every
  weight 1 it is the chapter's head.
- Part 3, ``best_constant_head(targets, K, class_weight)`` (4 points, one hidden): the bias of
  a head with ``W_hy = 0`` that minimises the weighted loss and the loss it reaches, the
  smallest loss of any classifier that ignores its input: ``softmax(b)_k = w_k n_k / sum_j w_j
  n_j`` (any ``b`` up to a constant) and the entropy of those shares; ``balanced_weights(
  targets, K)`` (1 point): weights with which every class carries the same total weight,
  ``w_k n_k`` equal for all ``k`` (any positive scale: the weighted mean divides it out).

Of the 16 points, 11 (:data:`UNDERSTANDING`) need a derivation or a design choice rather
than a reading of chapter 5: the gradient of the mean readout (``mean_backward``,
``mean_backward_hidden``, 3), which the chapter does not show (its readout is the gather of
the last valid state), the weighted head's gradients (``head_weighted_grads``,
``head_hidden``, 3), the best constant classifier, derived by setting the chapter's gradient
to zero (``prior_plain``, ``prior_weighted``, ``prior_hidden``, 4), and the balanced weights
(``balanced``, 1). The other 5 test what the chapter shows or the notebook states: the mean
readout itself (``mean_full``, ``mean_padded``, 2), whose requirement the notebook states
(each valid step the same weight, the weights summing to 1, the pads none) with the mask
that chapter 5 defines (``m_{n,t} = 1`` for ``t <= T_n``, ``lengths_to_mask``) and the
masked mean over the valid positions that ``course_pkg.losses.cross_entropy`` computes; the
unweighted head (the chapter's ``(y - e_c) / N`` and chapter 1's dense layer), its stable
softmax, and the weighted loss, whose formula the notebook gives.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex05.py``
grades each of them, with its hint); out of 16: the valid steps summed and divided by ``T``
(or by the longest length), every step averaged (pads included), or the mask one step too
long: 15 (the unpadded batch passes); the last valid state, the sum of the valid states, or
the sum divided by the valid steps of the whole batch: 14; a backward divided by ``T``, by
the valid steps of the whole batch, not divided, spread over every step (by ``T`` or by
``T_n``), or sent to the last valid step only: 13; the head's gradients divided by ``N``, the
class weights applied to the columns of ``dz``, or the chapter's unweighted gradient kept: 13
(the judge also names ``y - e_c`` divided by the total weight without each row's weight); the
loss and the gradients divided by ``N``, or ``grads['weight']`` transposed: 12; the loss and
the gradients divided by the sum of the ``K`` class weights: 10 (with weights 1 it divides
by ``K``, not ``N``); a softmax that overflows at scores near 1000: 15; the class shares
returned as the bias, the loss ``ln K`` of the uniform guess, or the entropy in bits: 12; the
class weights ignored (the plain shares), or the weighted loss divided by ``N``: 14; balanced
weights that grow with the count, or all equal: 15.

Three tests are hidden: ``course_pkg.check`` does not run them.
"""
from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       describe_value, expect, own_output)

MEAN, MEAN_BACKWARD = "masked_mean", "masked_mean_backward"
HEAD, CONSTANT, BALANCED = "weighted_head", "best_constant_head", "balanced_weights"
SIGNATURES = {MEAN: ("output", "lengths"), MEAN_BACKWARD: ("dfeat", "lengths", "T"),
              HEAD: ("h", "weight", "bias", "targets", "class_weight"),
              CONSTANT: ("targets", "K", "class_weight"), BALANCED: ("targets", "K")}
TOL = 1e-8
SHAPES = {"feat": "(N, H)", "doutput": "(N, T, H)", "dh": "(N, H)", "weight": "(K, H)", "bias": "(K,)",
          "class_weight": "(K,)"}
UNDERSTANDING = frozenset({"mean_backward", "mean_backward_hidden", "head_weighted_grads", "head_hidden",
                           "prior_plain", "prior_weighted", "prior_hidden", "balanced"})


# --------------------------------------------------------------------------- Part 1

def _valid(lengths, T, late=0):
    """``(N, T, 1)`` floats: 1 at the steps ``t < T_n + late``, 0 after."""
    return (np.arange(T)[None, :] < np.asarray(lengths)[:, None] + late)[:, :, None].astype(np.float64)


def reference_mean(output, lengths, variant=None):
    """The mean of each sequence's valid states, ``(N, T, H) -> (N, H)``, or a usual mistake's.

    Variants: ``"divided_by_T"`` (the valid steps summed, divided by the padded width),
    ``"longest"`` (divided by the longest length), ``"batch_count"`` (divided by the number of
    valid steps in the whole batch, as a masked loss over a batch is), ``"all_steps"``
    (``output.mean(1)``, pads included), ``"one_late"`` (the mask ``t <= T_n``, so one pad step
    too many), ``"sum"`` (not divided), ``"last"`` (the last valid state).
    """
    output = np.asarray(output, dtype=np.float64)
    lengths = np.asarray(lengths)
    N, T, _ = output.shape
    if variant == "all_steps":
        return output.mean(1)
    if variant == "last":
        return output[np.arange(N), lengths - 1]
    summed = (output * _valid(lengths, T, late=1 if variant == "one_late" else 0)).sum(1)   # (N, H)
    if variant == "sum":
        return summed
    divisor = {"divided_by_T": T, "longest": lengths.max(), "batch_count": lengths.sum()}
    return summed / divisor.get(variant, lengths[:, None])


def reference_mean_backward(dfeat, lengths, T, variant=None):
    """``dfeat (N, H)`` spread over each sequence's valid steps, ``(N, T, H)``, or a mistake's.

    Variants: ``"divided_by_T"``, ``"batch_count"`` (divided by the valid steps of the whole
    batch), ``"not_divided"``, ``"all_steps"`` (the backward of ``output.mean(1)``),
    ``"pads_too"`` (``dfeat[n] / T_n`` at every step, pads included), ``"last_only"`` (the
    backward of the last valid state).
    """
    dfeat = np.asarray(dfeat, dtype=np.float64)
    lengths = np.asarray(lengths)
    N, H = dfeat.shape
    if variant == "all_steps":
        return np.broadcast_to(dfeat[:, None] / T, (N, T, H)).copy()
    if variant == "last_only":
        doutput = np.zeros((N, T, H))
        doutput[np.arange(N), lengths - 1] = dfeat
        return doutput
    if variant == "pads_too":
        return np.broadcast_to((dfeat / lengths[:, None])[:, None], (N, T, H)).copy()
    spread = _valid(lengths, T) * dfeat[:, None]                              # (N, T, H)
    if variant == "not_divided":
        return spread
    divisor = {"divided_by_T": T, "batch_count": lengths.sum()}
    return spread / divisor.get(variant, lengths[:, None, None])


MEAN_MISTAKES = {
    "divided_by_T": "the sequences shorter than T get T_n / T of their mean: the valid states were divided by "
                    "the padded width T, which depends on the batch",
    "longest": "the valid states were divided by the longest length in the batch, which depends on the batch",
    "batch_count": "each sequence's sum was divided by the number of valid steps in the whole batch, a count "
                   "that depends on the batch; each sequence's mean has its own",
    "all_steps": "the sequences shorter than T got the mean of all T steps, the pad steps' states included",
    "one_late": "the sequences shorter than T include one pad step: the mask is one step too long (steps are "
                "counted from 1, indices from 0)",
    "sum": "the sum of the valid states, not their mean: a long sequence gets a larger feature",
    "last": "that is the last valid state, the chapter's readout; this one weighs every valid step the same",
}
MEAN_BACKWARD_MISTAKES = {
    "divided_by_T": "dfeat was divided by T at the valid steps: each valid state entered the mean with weight "
                    "1 / T_n",
    "batch_count": "dfeat was divided by the valid steps of the whole batch: each valid state entered its own "
                   "sequence's mean with weight 1 / T_n",
    "not_divided": "the gradient of a sum: each valid state entered the mean with weight 1 / T_n",
    "all_steps": "the pad steps got gradient: the forward never read them",
    "pads_too": "the pad steps got gradient: the forward never read them",
    "last_only": "only the last valid step got gradient (the last state's backward): the mean read every valid "
                 "step",
}


def _as_floats(value):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def named_mistake(got, want, variants, mistakes):
    """Raise the hint of the first mistake whose values ``got`` are (``variants``: name ->
    array), when ``got`` has ``want``'s shape, is finite and is not ``want``."""
    if isinstance(got, (dict, str)) or got is None:
        return
    got = _as_floats(got)
    if got is None or got.shape != want.shape or not np.isfinite(got).all() or rel_error(got, want) < TOL:
        return
    for name, value in variants.items():
        if value.shape == want.shape and rel_error(got, value) < TOL:
            raise CheckFailed(mistakes[name])


def judge_mean(calls, results):
    """Each call's features equal the mean of its sequences' valid states."""
    for call, result in zip(calls, results):
        output, lengths = call.args
        got = own_output(result)
        want = reference_mean(output, lengths)
        named_mistake(got, want, {v: reference_mean(output, lengths, v) for v in MEAN_MISTAKES}, MEAN_MISTAKES)
        compare_array("the features", got, want, SHAPES["feat"], TOL)


def judge_mean_backward(calls, results):
    """The gradient is ``dfeat[n] / T_n`` at each valid step, zero at the pads."""
    for call, result in zip(calls, results):
        dfeat, lengths, T = call.args
        got = own_output(result)
        want = reference_mean_backward(dfeat, lengths, T)
        named_mistake(got, want, {v: reference_mean_backward(dfeat, lengths, T, v) for v in MEAN_BACKWARD_MISTAKES},
                      MEAN_BACKWARD_MISTAKES)
        compare_array("doutput", got, want, SHAPES["doutput"], TOL)


def make_outputs(N, T, H, lengths, seed):
    """A seeded float64 RNN output ``(N, T, H)`` whose padded steps are not zero."""
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((N, T, H))), np.asarray(lengths, dtype=np.int64)


# --------------------------------------------------------------------------- Part 2

def reference_head(h, weight, bias, targets, class_weight, variant=None):
    """``(loss, dh, grads)`` of the class-weighted mean cross-entropy of ``z = h W^T + b``,
    or what a usual mistake computes.

    Variants: ``"over_N"`` (the loss and ``dz`` divided by ``N``), ``"grads_over_N"`` (only
    ``dz``), ``"columns"`` (the weights applied to ``dz``'s columns, the classes), ``"unweighted"``
    (the chapter's ``(y - e_c) / N``), ``"weight_outside"`` (``(y - e_c) / sum w``),
    ``"class_sum"`` (the loss and ``dz`` divided by the sum of the ``K`` class weights).
    """
    h, weight, bias, w = (np.asarray(a, dtype=np.float64) for a in (h, weight, bias, class_weight))
    targets = np.asarray(targets)
    N = len(targets)
    rows = np.arange(N)
    z = h @ weight.T + bias                                                   # (N, K)
    z = z - z.max(axis=1, keepdims=True)
    log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    w_n = w[targets]                                                          # (N,)
    total = {"over_N": N, "class_sum": w.sum()}.get(variant, w_n.sum())
    loss = -(w_n * log_y[rows, targets]).sum() / total
    g = np.exp(log_y)
    g[rows, targets] -= 1.0                                                   # y - e_c
    if variant in ("over_N", "grads_over_N"):
        dz = g * w_n[:, None] / N
    elif variant == "class_sum":
        dz = g * w_n[:, None] / w.sum()
    elif variant == "columns":
        dz = g * w[None, :] / w_n.sum()
    elif variant == "unweighted":
        dz = g / N
    elif variant == "weight_outside":
        dz = g / w_n.sum()
    else:
        dz = g * w_n[:, None] / w_n.sum()
    return float(loss), dz @ weight, {"weight": dz.T @ h, "bias": dz.sum(axis=0)}


HEAD_MISTAKES = {
    "over_N": "divided by N, the number of sequences: the weighted mean has another denominator",
    "grads_over_N": "the loss is right, the gradients are divided by N: they must be those of the loss you "
                    "return, whose denominator is the total weight",
    "columns": "the weights multiply dz's columns (one per class k), but each sequence's loss carries one "
               "weight only",
    "unweighted": "the chapter's unweighted gradient (y - e_c) / N: the class weights must enter the gradient "
                  "as they enter the loss",
    "weight_outside": "(y - e_c) divided by the total weight, but each row not multiplied by its own weight",
    "class_sum": "divided by the sum of the K class weights; the weighted mean divides by the weights the N "
                 "sequences carry",
}


def scalar(value, what):
    """The learner's number as a float, or :class:`CheckFailed`."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        value = value.reshape(()).item()
    expect(isinstance(value, Real) and not isinstance(value, bool),
           f"expected {what} to be a number, got {describe_value(value)}")
    return float(value)


def _close(a, b):
    return abs(a - b) <= TOL * max(1.0, abs(b))


def judge_head(calls, results, names):
    """The named parts of ``(loss, dh, grads)`` equal the reference's; mistakes named."""
    args = calls[0].args
    loss, dh, grads = own_output(results[0], 3)
    loss = scalar(loss, "the loss")
    ref_loss, ref_dh, ref_grads = reference_head(*args)
    variants = {v: reference_head(*args, v) for v in HEAD_MISTAKES}
    # "over_N" and "grads_over_N" have the same gradients: the learner's loss tells them apart
    del variants["grads_over_N" if _close(loss, variants["over_N"][0]) else "over_N"]
    if "loss" in names:
        expect(np.isfinite(loss), f"the loss is {loss}: np.exp overflowed at scores near 1000 (e^1000 is inf "
                                  "in float64); a softmax does not change when one number is subtracted from a row")
        if not _close(loss, ref_loss):
            for variant, (v_loss, _, _) in variants.items():
                if _close(loss, v_loss) and variant in ("over_N", "class_sum"):
                    raise CheckFailed(f"the loss: {HEAD_MISTAKES[variant]}")
            raise CheckFailed(f"the loss is off by {abs(loss - ref_loss):.2g}")
    for name in names:
        if name == "loss":
            continue
        if name == "dh":
            got, want, label, shape = dh, ref_dh, "dh", SHAPES["dh"]
            others = {v: value[1] for v, value in variants.items()}
        else:
            expect(isinstance(grads, dict), f"expected grads to be a dict, got {describe_value(grads)}")
            expect(name in grads, f"grads has no key {name!r} (its keys: {sorted(map(str, grads))})")
            got, want, label, shape = grads[name], ref_grads[name], f"grads[{name!r}]", SHAPES[name]
            others = {v: value[2][name] for v, value in variants.items()}
        named_mistake(got, want, others, {v: f"{label}: {hint}" for v, hint in HEAD_MISTAKES.items()})
        compare_array(label, got, want, shape, TOL)


def make_head(N, H, K, seed, class_weight, shift=0.0):
    """Seeded float64 ``(h, weight, bias, targets, class_weight)``; ``shift`` is added to every
    bias. The targets cover every class when ``N >= K``."""
    rng = np.random.default_rng(seed)
    h = np.tanh(rng.standard_normal((N, H)))
    weight = rng.standard_normal((K, H))
    bias = rng.standard_normal(K) + shift
    targets = rng.permutation(np.arange(N) % K).astype(np.int64) if N >= K else rng.integers(0, K, N)
    return h, weight, bias, targets.astype(np.int64), np.asarray(class_weight, dtype=np.float64)


# --------------------------------------------------------------------------- Part 3

def weighted_shares(targets, K, class_weight, variant=None):
    """``w_k n_k / sum_j w_j n_j``: the probabilities of the best constant classifier
    (``"unweighted"``: the plain shares ``n_k / N``; ``"weights_only"``: ``w_k / sum w``)."""
    counts = np.bincount(np.asarray(targets), minlength=K).astype(np.float64)
    w = np.asarray(class_weight, dtype=np.float64)
    mass = {"unweighted": counts, "weights_only": w}.get(variant, w * counts)
    return mass / mass.sum()


def reference_constant(targets, K, class_weight):
    """``(bias, loss)``: ``log`` of the weighted shares, and their entropy in nats."""
    p = weighted_shares(targets, K, class_weight)
    return np.log(p), float(-(p * np.log(p)).sum())


def _softmax(b):
    e = np.exp(b - b.max())
    return e / e.sum()


CONSTANT_BIAS_MISTAKES = {
    "shares": "your bias is the shares themselves, but the head's probabilities are softmax(bias), and "
              "softmax of the shares is not the shares",
    "unweighted": "softmax of your bias gives the plain class shares n_k / N: the class weights change which "
                  "constant minimises the weighted loss",
    "weights_only": "softmax of your bias is proportional to the weights alone: each class's pull on the bias is "
                    "its weight times its count",
}


def judge_constant(calls, results, weighted):
    """The bias's softmax is the weighted shares (any constant added), and the loss their entropy."""
    targets, K, class_weight = calls[0].args
    bias, loss = own_output(results[0], 2)
    want_bias, want_loss = reference_constant(targets, K, class_weight)
    p = weighted_shares(targets, K, class_weight)
    got = None if isinstance(bias, (dict, str)) or bias is None else _as_floats(bias)
    if got is not None and got.size == 0:
        got = None
    if got is not None and got.shape == (K,) and np.isfinite(got).all() and rel_error(_softmax(got), p) >= TOL:
        if rel_error(got, p) < TOL or rel_error(_softmax(got), _softmax(p)) < TOL:
            raise CheckFailed(f"the bias: {CONSTANT_BIAS_MISTAKES['shares']}")
        for variant in ("unweighted", "weights_only"):
            if weighted and rel_error(_softmax(got), weighted_shares(targets, K, class_weight, variant)) < TOL:
                raise CheckFailed(f"the bias: {CONSTANT_BIAS_MISTAKES[variant]}")
        raise CheckFailed(f"softmax of your bias is off from the best constant's probabilities by up to "
                          f"{np.abs(_softmax(got) - p).max():.2g}")
    compare_array("the bias", bias if got is None else got - got.max() + want_bias.max(), want_bias,
                  SHAPES["bias"], TOL)
    loss = scalar(loss, "the loss")
    if not _close(loss, want_loss):
        expect(not _close(loss, np.log(K)), f"the loss: ln K = {np.log(K):.4f} is the loss of the uniform guess, "
                                            "which is not the best constant when the classes differ in weight")
        expect(not _close(loss, want_loss / np.log(2)), "the loss is in bits (log base 2): the cross-entropy "
                                                        "of the head is in nats (natural log)")
        mass = (np.asarray(class_weight, dtype=np.float64) * np.bincount(targets, minlength=K)).sum()
        expect(not (weighted and _close(loss, want_loss * mass / len(targets))),
               "the loss: the weighted sum divided by N, the number of sequences; the weighted mean has another "
               "denominator")
        q = weighted_shares(targets, K, class_weight, "unweighted")
        expect(not (weighted and _close(loss, float(-(q * np.log(q)).sum()))),
               "the loss: the entropy of the plain class shares; the weighted loss weighs each class's share")
        raise CheckFailed(f"the loss is off by {abs(loss - want_loss):.2g}")


def judge_balanced(calls, results):
    """Positive weights with ``w_k n_k`` the same for every class (any scale)."""
    for call, result in zip(calls, results):
        targets, K = call.args
        got = own_output(result)
        counts = np.bincount(targets, minlength=K).astype(np.float64)
        compare_array("the weights", got, 1.0 / counts, SHAPES["class_weight"], np.inf)   # shape and finite
        w = _as_floats(got)
        expect((w > 0).all(), f"expected every weight to be positive, got {np.round(w, 4).tolist()}")
        mass = w * counts
        if rel_error(mass, np.full(K, mass.mean())) >= TOL:
            expect(rel_error(w / w.sum(), counts / counts.sum()) >= TOL,
                   f"counts {counts.astype(int).tolist()}: your weights grow with the count, so the frequent "
                   "class carries even more of the loss")
            expect(rel_error(w, np.full(K, w.mean())) >= TOL,
                   f"counts {counts.astype(int).tolist()}: with equal weights each class carries weight in "
                   "proportion to its count")
            raise CheckFailed(f"counts {counts.astype(int).tolist()}: the total weight per class, weight times "
                              f"count, is {np.round(mass, 4).tolist()}: it must be the same for every class")


def constant_args(counts, class_weight, seed):
    """Targets with the given counts per class, shuffled, ``K`` and the weights."""
    rng = np.random.default_rng(seed)
    targets = rng.permutation(np.repeat(np.arange(len(counts)), counts)).astype(np.int64)
    return targets, len(counts), np.asarray(class_weight, dtype=np.float64)


# --------------------------------------------------------------------------- tests

def mean_test(test_id, name, batches, points=1, hidden=False):
    """``batches``: ``(N, T, H, lengths, seed)`` for each call."""
    calls = tuple(Call(MEAN, make_outputs(N, T, H, lengths, seed)) for N, T, H, lengths, seed in batches)
    return Test(test_id, MEAN, name, points, calls, judge_mean, hidden)


def mean_backward_test(test_id, name, lengths, T, H, seed, points, hidden=False):
    rng = np.random.default_rng(seed)
    dfeat, lengths = rng.standard_normal((len(lengths), H)), np.array(lengths, dtype=np.int64)
    return Test(test_id, MEAN_BACKWARD, name, points, (Call(MEAN_BACKWARD, (dfeat, lengths, T)),),
                judge_mean_backward, hidden)


def head_test(test_id, name, names, points=1, N=5, H=4, K=3, seed=30, class_weight=(1.0, 1.0, 1.0),
              shift=0.0, hidden=False):
    args = make_head(N, H, K, seed, class_weight, shift)
    return Test(test_id, HEAD, name, points, (Call(HEAD, args),), partial(judge_head, names=names), hidden)


def constant_test(test_id, name, counts, class_weight, seed, points=1, hidden=False):
    weighted = len(set(class_weight)) > 1
    return Test(test_id, CONSTANT, name, points, (Call(CONSTANT, constant_args(counts, class_weight, seed)),),
                partial(judge_constant, weighted=weighted), hidden)


WEIGHTS = (0.5, 2.0, 1.0)
ALL = ("loss", "dh", "weight", "bias")

RUBRIC = Rubric(
    exercise="ex05_classify",
    signatures=SIGNATURES,
    tests=(
        mean_test("mean_full", "no padding: every length is T (N=3, T=5, H=4)", [(3, 5, 4, [5, 5, 5], 1)]),
        mean_test("mean_padded", "padded: lengths (6, 2, 4, 3), T=6; lengths (1, 3, 5), T=7",
                  [(4, 6, 3, [6, 2, 4, 3], 2), (3, 7, 2, [1, 3, 5], 3)]),
        mean_backward_test("mean_backward", "backward (N=4, T=6, H=3): the gradient of each step",
                           [5, 2, 1, 4], 6, 3, seed=20, points=2),
        mean_backward_test("mean_backward_hidden", "backward, a larger batch (N=8, T=9, H=5)",
                           [9, 1, 4, 7, 2, 9, 3, 6], 9, 5, seed=21, points=1, hidden=True),
        head_test("head_plain", "every weight 1: loss, dh, grads (N=5, H=4, K=3)", ALL),
        head_test("head_stable", "every weight 1, scores near 1000: the loss", ("loss",), seed=31, shift=1000.0),
        head_test("head_weighted_loss", "weights (0.5, 2, 1): the loss (N=6, K=3)", ("loss",), N=6, seed=33,
                  class_weight=WEIGHTS),
        head_test("head_weighted_grads", "weights (0.5, 2, 1): dh, grads['weight'], grads['bias']",
                  ("dh", "weight", "bias"), points=2, N=6, seed=33, class_weight=WEIGHTS),
        head_test("head_hidden", "weights (1, 4, 0.25, 2): every output (N=7, H=3, K=4)", ALL, N=7, H=3, K=4,
                  seed=32, class_weight=(1.0, 4.0, 0.25, 2.0), hidden=True),
        constant_test("prior_plain", "every weight 1, counts (12, 5, 3): bias and loss", (12, 5, 3),
                      (1.0, 1.0, 1.0), seed=40, points=2),
        constant_test("prior_weighted", "weights (1, 3, 0.5, 2), counts (6, 2, 9, 3)", (6, 2, 9, 3),
                      (1.0, 3.0, 0.5, 2.0), seed=41),
        constant_test("prior_hidden", "weights (2, 1, 1, 5, 0.5), counts (4, 7, 1, 2, 11)", (4, 7, 1, 2, 11),
                      (2.0, 1.0, 1.0, 5.0, 0.5), seed=42, hidden=True),
        Test("balanced", BALANCED, "counts (12, 5, 3) and (1, 8, 2, 5): the same total weight per class", 1,
             (Call(BALANCED, constant_args((12, 5, 3), (1, 1, 1), seed=43)[:2]),
              Call(BALANCED, constant_args((1, 8, 2, 5), (1, 1, 1, 1), seed=44)[:2])), judge_balanced),
    ),
    answers=(Answer("question-mean", "diagnosis: the colleague's mean over all steps"),
             Answer("question-weights", "what scaling the weights does, and why"),
             Answer("predict-constant", "prediction: the best constant classifier's loss and accuracy"),
             Answer("question-constant", "the measurement explained")),
)
