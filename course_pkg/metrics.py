"""Evaluation metrics: accuracy, token accuracy, entity-level F1 for BIO tags, exact match, MSE, MAE, MASE.

Every function takes NumPy arrays, torch tensors (copied to NumPy) or nested lists,
returns plain Python floats, and validates its inputs (shapes, dtypes, tags) with a
``ValueError``/``TypeError`` that says what it expected and what it got.

Predictions may be labels or scores: where a function takes ``pred_or_logits``, an
array with one more axis than ``target`` is read as scores over the last axis and
replaced by its ``argmax`` (logits, probabilities and log-probabilities all work).

Entity F1 follows the CoNLL-2000/2003 evaluation script ``conlleval`` (see
:func:`bio_entities` for the exact rules).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validate as V
from . import backend as B

__all__ = ["accuracy", "token_accuracy", "confusion_matrix", "bio_entities", "entity_f1",
           "exact_match", "mse", "mae", "mase"]


# -- helpers ------------------------------------------------------------------------------------
def _as_array(name, x):
    """``x`` (array, tensor or nested list) as a NumPy array."""
    if B.is_torch(x):
        return B.to_numpy(x)
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"Expected {name} to be an array, tensor or list, got {type(x).__name__}")
    return np.asarray(x)


def _labels(pred_or_logits, target):
    """Predicted labels and targets, both integer arrays of ``target``'s shape."""
    pred = _as_array("pred_or_logits", pred_or_logits)
    target = _as_array("target", target)
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"Expected integer targets, got dtype {target.dtype}")
    if pred.ndim == target.ndim + 1:
        if pred.shape[-1] == 0:
            raise ValueError(f"Expected scores with at least one class, got shape {pred.shape}")
        pred = pred.argmax(-1)
    elif pred.ndim == target.ndim and not np.issubdtype(pred.dtype, np.integer):
        raise TypeError(f"Expected integer labels (or scores with one more axis than target), "
                        f"got dtype {pred.dtype} of shape {pred.shape} for targets of shape {target.shape}")
    if pred.shape != target.shape:
        raise ValueError(f"Expected predictions of shape {target.shape} (labels) or {target.shape + ('K',)} "
                         f"(scores) for targets of shape {target.shape}, got {pred.shape}")
    return pred, target


def _check_ignore(ignore_index):
    return V.check_int("ignore_index", ignore_index, none=True)


def _mean_correct(pred, target, keep):
    """Fraction of ``pred == target`` where ``keep``."""
    count = int(keep.sum())
    if count == 0:
        raise ValueError("Expected at least one target left to score, got none (all ignored or empty)")
    return float(((pred == target) & keep).sum() / count)


# -- classification -------------------------------------------------------------------------------
def accuracy(pred_or_logits, target, ignore_index=None):
    """Fraction of predictions equal to their target.

    Args:
        pred_or_logits: predicted labels of ``target``'s shape, or scores with one more
            (last) axis of ``K`` classes, e.g. logits ``(N, K)`` for targets ``(N,)``.
        target: integer labels, any shape, e.g. ``(N,)`` or ``(N, T)``.
        ignore_index: targets equal to it (padding) are left out.

    Returns:
        float in ``[0, 1]``.

    Raises:
        TypeError: if ``target`` (or ``pred_or_logits`` given as labels) is not integer,
            or ``ignore_index`` is not an int.
        ValueError: if the shapes disagree, or no target is left to score.
    """
    _check_ignore(ignore_index)
    pred, target = _labels(pred_or_logits, target)
    keep = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    return _mean_correct(pred, target, keep)


def token_accuracy(pred_or_logits, target, ignore_index=-100, lengths=None):
    """Fraction of correct tokens in a padded batch of sequences, padding left out.

    A position is padding if its target equals ``ignore_index`` (the convention of
    :func:`course_pkg.losses.cross_entropy`; pass the pad token, e.g. ``0``) or if it
    lies at or after its sequence's length in ``lengths``. Every real token counts
    once, so long sequences weigh more than short ones (unlike averaging per sequence).

    Args:
        pred_or_logits: labels ``(N, T)`` or scores ``(N, T, K)``.
        target: integer labels ``(N, T)``.
        ignore_index: target value that marks padding (``None``: no such value).
        lengths: optional valid lengths ``(N,)``, integers in ``[0, T]``.

    Returns:
        float in ``[0, 1]``.

    Raises:
        TypeError: on non-integer targets, labels or lengths.
        ValueError: if ``target`` is not 2-D, the shapes disagree, ``lengths`` is out of
            range, or no token is left to score.
    """
    _check_ignore(ignore_index)
    pred, target = _labels(pred_or_logits, target)
    if target.ndim != 2:
        raise ValueError(f"Expected targets of shape (N, T), got {target.shape}")
    keep = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    if lengths is not None:
        keep &= _length_mask(lengths, *target.shape)
    return _mean_correct(pred, target, keep)


def _length_mask(lengths, N, T):
    lengths = _as_array("lengths", lengths)
    if lengths.shape != (N,):
        raise ValueError(f"Expected lengths of shape ({N},), got {lengths.shape}")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"Expected integer lengths, got dtype {lengths.dtype}")
    if N and (lengths.min() < 0 or lengths.max() > T):
        raise ValueError(f"Expected lengths in [0, {T}], got min {lengths.min()} and max {lengths.max()}")
    return np.arange(T)[None, :] < lengths[:, None]                       # (N, T)


def confusion_matrix(pred_or_logits, target, num_classes=None, ignore_index=None):
    """Counts ``cm[i, j]`` of targets of class ``i`` predicted as class ``j``.

    Args:
        pred_or_logits: labels of ``target``'s shape or scores with one more (last) axis.
        target: integer labels, any shape.
        num_classes: ``K``; default: one more than the largest label seen.
        ignore_index: targets equal to it are left out.

    Returns:
        ``(K, K)`` int64 array; rows are true classes, columns predicted ones.

    Raises:
        TypeError: on non-integer labels, or a ``num_classes``/``ignore_index`` that is not an int.
        ValueError: if the shapes disagree, ``num_classes < 1``, or a label lies outside
            ``[0, num_classes)``.
    """
    _check_ignore(ignore_index)
    num_classes = V.check_int("num_classes", num_classes, low=1, none=True)
    pred, target = _labels(pred_or_logits, target)
    keep = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    pred, target = pred[keep], target[keep]
    seen = int(max(pred.max(initial=-1), target.max(initial=-1))) + 1
    K = seen if num_classes is None else num_classes
    if min(pred.min(initial=0), target.min(initial=0)) < 0 or seen > K:
        raise ValueError(f"Expected labels in [0, {K}), got min {min(pred.min(initial=0), target.min(initial=0))} "
                         f"and max {seen - 1}")
    cm = np.zeros((K, K), dtype=np.int64)
    np.add.at(cm, (target, pred), 1)
    return cm


# -- named entities (BIO) -------------------------------------------------------------------------
def _split_tag(tag, where):
    """``"B-PER" -> ("B", "PER")``, ``"O" -> ("O", "")``."""
    if not isinstance(tag, str):
        raise TypeError(f"Expected tags to be str, got {type(tag).__name__} at {where}")
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if prefix not in ("B", "I") or not sep or not kind:
        raise ValueError(f"Expected a BIO tag 'O', 'B-TYPE' or 'I-TYPE', got {tag!r} at {where}")
    return prefix, kind


def bio_entities(tags, where="tags"):
    """The entities of one BIO-tagged sequence, by conlleval's rules.

    An entity (chunk) starts at a ``B-X``, and also at an ``I-X`` that does not
    continue an entity of type ``X`` (after ``O``, at the start, or after an entity of
    another type): conlleval reads such an ill-formed ``I-X`` as a ``B-X`` rather than
    dropping it. An entity goes on over the following ``I-X`` of the same type and ends
    before an ``O``, a ``B-``, an ``I-`` of another type, or the end of the sequence.

    Example: ``["I-PER", "I-PER", "O", "B-LOC", "I-ORG"]`` holds three entities,
    ``[("PER", 0, 2), ("LOC", 3, 4), ("ORG", 4, 5)]``.

    Args:
        tags: a sequence of ``str`` tags, each ``"O"``, ``"B-TYPE"`` or ``"I-TYPE"``.
        where: how to name the sequence in error messages.

    Returns:
        list of ``(type, start, end)`` with ``end`` exclusive, in order.

    Raises:
        TypeError: if a tag is not a ``str`` or ``tags`` is a single string.
        ValueError: if a tag is not a BIO tag.
    """
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Sequence) and not isinstance(tags, np.ndarray):
        raise TypeError(f"Expected {where} to be a sequence of str tags, got {type(tags).__name__}")
    entities, start, current = [], None, ""
    for i, tag in enumerate(tags):
        prefix, kind = _split_tag(tag, f"{where}[{i}]")
        continues = prefix == "I" and start is not None and kind == current
        if start is not None and not continues:
            entities.append((current, start, i))
            start = None
        if prefix != "O" and not continues:
            start, current = i, kind
    if start is not None:
        entities.append((current, start, len(tags)))
    return entities


def _check_seq_lists(first, second, names):
    for name, seqs in zip(names, (first, second)):
        if isinstance(seqs, (str, bytes)) or not isinstance(seqs, (Sequence, np.ndarray)):
            raise TypeError(f"Expected {name} to be a list of sequences, got {type(seqs).__name__}")
    if len(first) != len(second):
        raise ValueError(f"Expected as many {names[1]} as {names[0]}, got {len(second)} and {len(first)}")
    if len(first) == 0:
        raise ValueError("Expected at least one sequence, got none")


def entity_f1(true_tag_seqs, pred_tag_seqs):
    """Entity-level precision, recall and F1 of BIO tags, as conlleval computes them.

    An entity counts as correct only if a true entity has the same type and exactly the
    same span (start and end). Entities are read with :func:`bio_entities` (an ``I-X``
    that cannot continue an entity starts one, as in conlleval); they never cross
    sentence boundaries. Counts are pooled over all sentences (micro average):
    precision = correct / predicted entities, recall = correct / true entities,
    F1 = 2PR / (P + R). A ratio whose denominator is 0 is 0, as in conlleval (so no true
    and no predicted entity gives ``(0.0, 0.0, 0.0)``).

    Args:
        true_tag_seqs: list of sentences, each a sequence of BIO tags (``str``).
        pred_tag_seqs: the predicted tags, one sequence per sentence, each as long as its
            true sentence.

    Returns:
        ``(precision, recall, f1)``, floats in ``[0, 1]``.

    Raises:
        TypeError: if the arguments are not lists of sequences of ``str``.
        ValueError: if the numbers of sentences or a sentence's lengths differ, a tag is
            not ``O``/``B-X``/``I-X``, or there is no sentence.
    """
    _check_seq_lists(true_tag_seqs, pred_tag_seqs, ("true_tag_seqs", "pred_tag_seqs"))
    n_true = n_pred = n_correct = 0
    for i, (true, pred) in enumerate(zip(true_tag_seqs, pred_tag_seqs)):
        t = bio_entities(true, f"true_tag_seqs[{i}]")
        p = bio_entities(pred, f"pred_tag_seqs[{i}]")
        if len(true) != len(pred):
            raise ValueError(f"Expected pred_tag_seqs[{i}] of length {len(true)} (the true sentence's), "
                             f"got {len(pred)}")
        n_true, n_pred, n_correct = n_true + len(t), n_pred + len(p), n_correct + len(set(t) & set(p))
    precision = n_correct / n_pred if n_pred else 0.0
    recall = n_correct / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# -- sequences and regression ---------------------------------------------------------------------
def _as_list(seq, where):
    if B.is_torch(seq):
        seq = B.to_numpy(seq)
    if isinstance(seq, np.ndarray):
        if seq.ndim != 1:
            raise ValueError(f"Expected {where} to be 1-D, got shape {seq.shape}")
        return seq.tolist()
    if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
        raise TypeError(f"Expected {where} to be a sequence of tokens, got {type(seq).__name__}")
    return list(seq)


def exact_match(pred_seqs, true_seqs):
    """Fraction of sequences predicted exactly: same length and every token equal.

    Sequences may have different lengths (lists of tokens, ids or strings); strip
    padding and what follows ``<eos>`` first if the model pads its outputs.

    Args:
        pred_seqs: predicted sequences, a list of sequences or a 2-D array ``(N, T)``.
        true_seqs: the references, as many as ``pred_seqs``.

    Returns:
        float in ``[0, 1]``.

    Raises:
        TypeError: if an argument is not a list of sequences.
        ValueError: if the numbers of sequences differ or there is none.
    """
    if B.is_torch(pred_seqs):
        pred_seqs = B.to_numpy(pred_seqs)
    if B.is_torch(true_seqs):
        true_seqs = B.to_numpy(true_seqs)
    _check_seq_lists(pred_seqs, true_seqs, ("pred_seqs", "true_seqs"))
    hits = sum(_as_list(p, f"pred_seqs[{i}]") == _as_list(t, f"true_seqs[{i}]")
               for i, (p, t) in enumerate(zip(pred_seqs, true_seqs)))
    return hits / len(pred_seqs)


def _regression_pair(pred, target):
    pred, target = _as_array("pred", pred), _as_array("target", target)
    pred, target = V.check_numeric("pred", pred), V.check_numeric("target", target)
    if pred.shape != target.shape:
        raise ValueError(f"Expected pred of shape {target.shape} (target's), got {pred.shape}")
    if pred.size == 0:
        raise ValueError("Expected at least one value, got an empty array")
    return pred, target


def mse(pred, target):
    r"""Mean squared error :math:`\frac{1}{n}\sum_i (p_i - t_i)^2`.

    Args:
        pred: predictions, any shape.
        target: targets of ``pred``'s shape.

    Returns:
        float (computed in float64).

    Raises:
        TypeError: on non-numeric input.
        ValueError: if the shapes differ or the arrays are empty.
    """
    pred, target = _regression_pair(pred, target)
    return float(np.mean((pred - target) ** 2))


def mae(pred, target):
    r"""Mean absolute error :math:`\frac{1}{n}\sum_i |p_i - t_i|`.

    Args:
        pred: predictions, any shape.
        target: targets of ``pred``'s shape.

    Returns:
        float (computed in float64).

    Raises:
        TypeError: on non-numeric input.
        ValueError: if the shapes differ or the arrays are empty.
    """
    pred, target = _regression_pair(pred, target)
    return float(np.mean(np.abs(pred - target)))


def mase(pred, target, train_series, season=1):
    r"""Mean absolute scaled error: the MAE of a forecast over the in-sample MAE of the seasonal naive.

    .. math::
        \mathrm{MASE} = \frac{\frac{1}{n}\sum_i |\hat{y}_i - y_i|}
                             {\frac{1}{t_0 - R}\sum_{t=R+1}^{t_0} |y_t - y_{t-R}|},

    where :math:`y_1, \dots, y_{t_0}` is the training series and :math:`R` the ``season``
    (``R = 1``: the last value, the naive forecast). The denominator is the error that the
    seasonal naive forecast made one step ahead *inside the training series*, so it is fixed
    before the forecast is scored and does not depend on the test period (Hyndman & Koehler,
    2006). MASE is free of units: below 1, the forecast's errors are smaller than the
    seasonal naive's one-step errors in training; MASE of 1, as large.

    Args:
        pred: forecasts, any shape.
        target: the true values, ``pred``'s shape, in the units of ``train_series``.
        train_series: the training part of the target series, ``(t_0,)``, in time order.
        season: ``R``, the season length in steps (``1``: no season, the last value).

    Returns:
        float (computed in float64).

    Raises:
        TypeError: on non-numeric input or a ``season`` that is not an int.
        ValueError: if ``pred`` and ``target`` differ in shape or are empty, if
            ``train_series`` is not 1-D, holds NaN or has at most ``season`` values, or if
            its seasonal-naive MAE is 0 (a series that repeats itself exactly).
    """
    season = V.check_int("season", season, low=1)
    series = V.check_numeric("train_series", _as_array("train_series", train_series)).astype(np.float64)
    if series.ndim != 1 or len(series) <= season or np.isnan(series).any():
        raise ValueError(f"Expected a 1-D train_series without NaN, longer than season = {season}, "
                         f"got shape {series.shape}")
    scale = float(np.mean(np.abs(series[season:] - series[:-season])))
    if scale == 0:
        raise ValueError(f"Expected a train_series whose seasonal-naive MAE (season {season}) is "
                         f"above 0, got 0")
    return mae(pred, target) / scale
