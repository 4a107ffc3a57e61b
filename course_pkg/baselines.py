"""Baselines the chapters compare recurrent models against.

A model is only as good as what it beats. For forecasting: the last observed value,
the value one season ago, the climatology (the training mean of the same time of year)
and an autoregressive model (statsmodels ``AutoReg``); for
sentiment, a bag-of-words logistic regression (scikit-learn), blind to word order; for
named entities, each word's most frequent tag in training; for text, count-based models of
the next token (:class:`NGramLM`: unigram, bigram, trigram with add-k smoothing, scored in bits
per character) and, for couplets, each character's most frequent counterpart across the lines
(:class:`CounterpartLookup`). All work on the arrays that :mod:`course_pkg.data` returns;
statsmodels and scikit-learn are imported on first use.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from . import _validate as V


def _check_windows(X, target_col, horizon=1):
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(f"Expected windows of shape (N, window, features), got {X.shape}")
    V.check_int("target_col", target_col, 0, X.shape[2], high_open=True)
    V.check_int("horizon", horizon, low=1)
    return X


def last_value_forecast(X, horizon=1, target_col=0):
    """Predict that the target stays at its last observed value.

    Args:
        X: windows ``(N, window, features)``.
        horizon: steps ahead to predict.
        target_col: the feature that is forecast.

    Returns:
        ``(N, horizon)``.

    Raises:
        TypeError: if ``horizon`` or ``target_col`` is not an int.
        ValueError: on a wrong rank or column, or ``horizon < 1``.
    """
    X = _check_windows(X, target_col, horizon)
    return np.repeat(X[:, -1, target_col][:, None], horizon, axis=1)       # (N, horizon)


def seasonal_naive_forecast(X, season, horizon=1, target_col=0):
    """Predict the value one season earlier: ``y_{t+h} = x_{t+h-season}``.

    Raises:
        TypeError: if ``season``, ``horizon`` or ``target_col`` is not an int.
        ValueError: on a wrong rank or column, if ``horizon > season`` or the window is
            shorter than ``season``.
    """
    X = _check_windows(X, target_col, horizon)
    V.check_int("season", season, low=1)
    if not 1 <= horizon <= season <= X.shape[1]:
        raise ValueError(f"Expected 1 <= horizon <= season <= window = {X.shape[1]}, got horizon "
                         f"{horizon} and season {season}")
    start = X.shape[1] - season
    return X[:, start:start + horizon, target_col]                         # (N, horizon)


def ar_forecast(train_series, X, lags, horizon=1, target_col=0):
    """An autoregressive model AR(``lags``) fitted on the training series, run on each window.

    .. math::
        \\hat{y}_{t+1} = c + \\sum_{i=1}^{p} \\phi_i\\, y_{t+1-i}

    fitted by least squares (statsmodels ``AutoReg``); further steps feed predictions back.

    Args:
        train_series: the (scaled) training part of the target series, ``(T,)``.
        X: windows ``(N, window, features)`` with ``window >= lags``.
        lags: ``p``.

    Returns:
        ``(N, horizon)``.

    Raises:
        TypeError: if ``lags``, ``horizon`` or ``target_col`` is not an int.
        ValueError: on a wrong rank or column, if ``lags`` exceeds the window or ``horizon < 1``.
    """
    from statsmodels.tsa.ar_model import AutoReg

    X = _check_windows(X, target_col, horizon)
    V.check_int("lags", lags, low=1)
    if not 1 <= lags <= X.shape[1]:
        raise ValueError(f"Expected 1 <= lags <= window = {X.shape[1]}, got {lags}")
    params = AutoReg(np.asarray(train_series, dtype=float), lags=lags).fit().params
    const, phi = params[0], params[1:]                                     # phi[i]: lag i+1
    history = X[:, -lags:, target_col].astype(float)                       # (N, lags), oldest first
    preds = []
    for _ in range(horizon):
        y = const + history[:, ::-1] @ phi                                 # (N,)
        preds.append(y)
        history = np.concatenate([history[:, 1:], y[:, None]], axis=1)
    return np.stack(preds, axis=1)                                         # (N, horizon)


def climatology_forecast(train_values, train_times, times, half_width=15):
    """The climatology: for each date, the training mean of the days of the year around it.

    For a date with day of year :math:`d`, the forecast is the mean of every training value
    whose day of year lies within ``half_width`` days of :math:`d` on the circle of the
    year (so late December and early January are neighbours). It knows the season and
    nothing about the weather of the last days: a forecaster must beat it to show that it
    reads the recent past, and it does not get worse with the horizon.

    Args:
        train_values: ``(T,)`` the training part of the series.
        train_times: ``(T,)`` their dates (``datetime64``).
        times: ``(N,)`` or ``(N, horizon)`` dates to forecast.
        half_width: days on each side of :math:`d` that are averaged, ``0`` to ``182``.

    Returns:
        float64 array of ``times``' shape.

    Raises:
        TypeError: on non-numeric values, dates that are not ``datetime64``, or a
            ``half_width`` that is not an int.
        ValueError: if values and dates differ in length or are not 1-D, a value is NaN,
            ``half_width`` is out of range, or some day of the year has no training value
            within ``half_width`` days.
    """
    from .data.series import day_of_year

    values = V.check_numeric("train_values", train_values)
    half_width = V.check_int("half_width", half_width, 0, 182)
    doy = day_of_year(train_times)
    if values.ndim != 1 or doy.shape != values.shape or np.isnan(values).any():
        raise ValueError(f"Expected train_values (T,) without NaN and train_times of the same shape, "
                         f"got {values.shape} and {doy.shape}")
    sums = np.bincount(doy - 1, weights=values, minlength=366)           # (366,)
    counts = np.bincount(doy - 1, minlength=366).astype(float)
    offsets = np.arange(-half_width, half_width + 1)
    rows = (np.arange(366)[:, None] + offsets) % 366                     # (366, 2w + 1)
    total, n = sums[rows].sum(axis=1), counts[rows].sum(axis=1)
    if (n == 0).any():
        raise ValueError(f"Expected a training value within {half_width} days of every day of the year, "
                         f"got none near day {int(np.flatnonzero(n == 0)[0]) + 1}")
    target = np.asarray(times)
    return (total / n)[day_of_year(target.ravel()) - 1].reshape(target.shape)


def bag_of_words_classifier(train_tokens, train_labels, C=1.0, seed=0):
    """A logistic regression on word counts (scikit-learn), which ignores word order.

    Args:
        train_tokens: a list of token lists.
        train_labels: ``(N,)`` integer labels.

    Returns:
        A fitted scikit-learn pipeline; ``predict(list of token lists) -> (N,)``.

    Raises:
        TypeError: if ``C`` is not a number or ``seed`` not an int.
        ValueError: if ``C <= 0``, ``seed < 0``, or tokens and labels differ in number.
    """
    V.check_number("C", C, low=0, low_open=True)
    V.check_int("seed", seed, low=0)
    train_tokens, train_labels = list(train_tokens), np.asarray(train_labels)
    if len(train_tokens) != len(train_labels):
        raise ValueError(f"Expected as many train_labels as train_tokens, got {len(train_labels)} "
                         f"and {len(train_tokens)}")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens)
    model = make_pipeline(vectorizer, LogisticRegression(C=C, max_iter=1000, random_state=seed))
    return model.fit(train_tokens, train_labels)


class MajorityTagger:
    """Tag each word with its most frequent tag in training (ties: the tag seen first); unknown words get the overall majority."""

    def __init__(self):
        self.table, self.default = {}, None

    def fit(self, token_seqs, tag_seqs):
        """Count tags per word.

        Raises:
            ValueError: if there is no token, the numbers of sentences differ, or a
                sentence's tokens and tags differ in length.
        """
        token_seqs, tag_seqs = list(token_seqs), list(tag_seqs)
        if len(token_seqs) != len(tag_seqs) or len(token_seqs) == 0:
            raise ValueError(f"Expected as many tag_seqs as token_seqs, at least one, got {len(tag_seqs)} "
                             f"and {len(token_seqs)}")
        counts, overall = defaultdict(Counter), Counter()
        for tokens, tags in zip(token_seqs, tag_seqs):
            if len(tokens) != len(tags):
                raise ValueError(f"Expected as many tags as tokens, got {len(tags)} and {len(tokens)}")
            for token, tag in zip(tokens, tags):
                counts[token][tag] += 1
                overall[tag] += 1
        if not overall:
            raise ValueError("Expected at least one token to count, got only empty sentences")
        self.table = {token: c.most_common(1)[0][0] for token, c in counts.items()}
        self.default = overall.most_common(1)[0][0]
        return self

    def predict(self, token_seqs):
        """A tag list per sentence.

        Raises:
            RuntimeError: if :meth:`fit` has not been called.
        """
        V.check_called(self.default, first="fit", then="predict")
        return [[self.table.get(token, self.default) for token in tokens] for tokens in token_seqs]


# -- count-based models of the next token -----------------------------------------------------------
def _check_pair(X, Y, ignore_index):
    """Input ids ``X`` and targets ``Y`` of one shape ``(N, T)``, as int64 arrays."""
    X = V.check_ids("X", X, ndim=2)
    Y = V.check_ids("Y", Y, ndim=2)
    if X.shape != Y.shape:
        raise ValueError(f"Expected X and Y of the same shape, got {X.shape} and {Y.shape}")
    if X.size and X.min() < 0:
        raise ValueError(f"Expected X in [0, ...), got min {X.min()}")
    bad = (Y != ignore_index) & (Y < 0)
    if bad.any():
        raise ValueError(f"Expected Y in [0, num_classes) or ignore_index = {ignore_index}, got {Y[bad][0]}")
    return X.astype(np.int64), Y.astype(np.int64)


class NGramLM:
    r"""A count-based model of the next token: an n-gram model with add-:math:`k` smoothing.

    For every step :math:`t` of a sequence, the model predicts the target :math:`y_t` from a
    *context* of the last :math:`n - 1` inputs, :math:`x_{t-n+2}, \dots, x_t`, by counting
    in training how often each target followed that context:

    .. math::
        P(y_t = c \mid \text{context}) = \frac{C(\text{context}, c) + k}{C(\text{context}) + kK},

    where :math:`C` counts training steps and :math:`K` is the number of classes. Adding
    :math:`k` to every count (Laplace's rule for :math:`k = 1`) gives unseen pairs a small
    probability, and an unseen context the uniform :math:`1/K`. ``n = 1`` is the unigram
    (no context), ``n = 2`` the bigram.

    The arrays are those of :mod:`course_pkg.data`. In a character language model
    (``names_dataset``, ``poems_dataset``) ``X`` is ``<bos> c_1 ... c_L`` and ``Y`` is
    ``c_1 ... c_L <eos>``, so :math:`x_t` is the character before :math:`y_t`; steps before
    the first count as the first input (``<bos>``). On the couplets (``couplets_dataset``)
    ``X`` is the first line and ``Y`` the second, so the bigram's context is the character
    *across* (see :class:`CounterpartLookup`). Targets equal to ``ignore_index`` (padding)
    are skipped.

    Args:
        n: the order, ``>= 1``.
        num_classes: ``K``, the number of target classes; targets lie in ``[0, K)``.
        k: the added count, ``> 0``.

    Raises:
        TypeError: if ``n`` or ``num_classes`` is not an int, or ``k`` not a number.
        ValueError: if ``n < 1``, ``num_classes < 1`` or ``k <= 0``.
    """

    def __init__(self, n, num_classes, k=1.0):
        self.n = V.check_int("n", n, low=1)
        self.num_classes = V.check_int("num_classes", num_classes, low=1)
        self.k = V.check_number("k", k, low=0, low_open=True, finite=True)
        self.ignore_index, self._base = -100, None

    def _contexts(self, X):
        """Integer keys ``(N, T)`` of the contexts, ``-1`` where an input was never seen in training."""
        N, T = X.shape
        if self.n == 1:
            return np.zeros((N, T), dtype=np.int64)
        padded = np.concatenate([np.repeat(X[:, :1], self.n - 2, axis=1), X], axis=1)   # (N, T + n - 2)
        key = np.zeros((N, T), dtype=np.int64)
        unseen = np.zeros((N, T), dtype=bool)
        for j in range(self.n - 1):                       # oldest input first
            ids = padded[:, j:j + T]
            unseen |= ids >= self._base
            key = key * self._base + np.minimum(ids, self._base - 1)
        return np.where(unseen, -1, key)

    def fit(self, X, Y, ignore_index=-100):
        """Count contexts and (context, target) pairs in training.

        Args:
            X: ``(N, T)`` integer inputs.
            Y: ``(N, T)`` integer targets in ``[0, num_classes)``, or ``ignore_index``.
            ignore_index: the target value of padded steps.

        Returns:
            ``self``.

        Raises:
            TypeError: if ``X`` or ``Y`` does not hold integers, or ``ignore_index`` is not an int.
            ValueError: if they are not 2-d arrays of one shape, an id is negative, a target is
                ``>= num_classes``, there is no target to count, or the contexts do not fit
                in 64-bit keys (an order too high for the size of the input vocabulary).
        """
        self.ignore_index = V.check_int("ignore_index", ignore_index)
        X, Y = _check_pair(X, Y, self.ignore_index)
        keep = Y != self.ignore_index
        if not keep.any():
            raise ValueError("Expected at least one target to count, got only ignore_index")
        if Y[keep].max() >= self.num_classes:
            raise ValueError(f"Expected Y in [0, {self.num_classes}), got max {Y[keep].max()}")
        self._base = int(X.max()) + 1
        if self._base ** (self.n - 1) * self.num_classes >= 2 ** 62:
            raise ValueError(f"Expected base ** (n - 1) * num_classes < 2**62 for 64-bit keys, got base "
                             f"{self._base} (the largest input id + 1) and n = {self.n}")
        ctx, y = self._contexts(X)[keep], Y[keep]
        self._ctx_keys, self._ctx_counts = np.unique(ctx, return_counts=True)
        self._pair_keys, self._pair_counts = np.unique(ctx * self.num_classes + y, return_counts=True)
        self.target_counts = np.bincount(y, minlength=self.num_classes)   # (K,)
        return self

    @staticmethod
    def _lookup(keys, counts, query):
        """``counts`` of each ``query`` key in the sorted ``keys`` (0 where absent)."""
        i = np.clip(np.searchsorted(keys, query), 0, len(keys) - 1)
        return np.where(keys[i] == query, counts[i], 0)

    def log_prob(self, X, Y):
        """The natural log of :math:`P(y_t \\mid \\text{context})` at every step.

        Args:
            X, Y: ``(N, T)`` as for :meth:`fit` (targets in ``[0, num_classes)`` or ``ignore_index``).

        Returns:
            ``(N, T)`` float64, ``nan`` at ignored steps.

        Raises:
            RuntimeError: if :meth:`fit` has not been called.
            TypeError: if ``X`` or ``Y`` does not hold integers.
            ValueError: on shapes that differ, a negative id or a target ``>= num_classes``.
        """
        keep, ctx, Y = self._prepare(X, Y)
        c_ctx = self._lookup(self._ctx_keys, self._ctx_counts, ctx)
        c_pair = self._lookup(self._pair_keys, self._pair_counts, ctx * self.num_classes + np.maximum(Y, 0))
        unseen = ctx < 0
        c_ctx, c_pair = np.where(unseen, 0, c_ctx), np.where(unseen, 0, c_pair)
        logp = np.log(c_pair + self.k) - np.log(c_ctx + self.k * self.num_classes)
        return np.where(keep, logp, np.nan)

    def _prepare(self, X, Y):
        V.check_called(self._base, first="fit", then="log_prob")
        X, Y = _check_pair(X, Y, self.ignore_index)
        keep = Y != self.ignore_index
        if keep.any() and Y[keep].max() >= self.num_classes:
            raise ValueError(f"Expected Y in [0, {self.num_classes}), got max {Y[keep].max()}")
        return keep, self._contexts(X), Y

    def bits_per_token(self, X, Y):
        """The mean of :math:`-\\log_2 P(y_t \\mid \\text{context})` over the steps not ignored.

        For a character model this is the number of **bits per character**; the perplexity
        is ``2 ** bits``.

        Raises:
            RuntimeError, TypeError, ValueError: as :meth:`log_prob`; ValueError also if
                every step is ignored.
        """
        logp = self.log_prob(X, Y)
        if np.isnan(logp).all():
            raise ValueError("Expected at least one target to score, got only ignore_index")
        return float(-np.nanmean(logp) / np.log(2))

    def predict(self, X, top=1, exclude=()):
        """The ``top`` most frequent targets after each step's context, most frequent first.

        Ties, and contexts with fewer than ``top`` targets seen (or none), are filled in the
        order of the targets' overall frequency in training (then by id).

        Args:
            X: ``(N, T)`` integer inputs.
            top: how many targets to rank, ``>= 1``.
            exclude: target ids never to predict (e.g. ``<unk>`` and the other specials).

        Returns:
            ``(N, T, top)`` int64 target ids.

        Raises:
            RuntimeError: if :meth:`fit` has not been called.
            TypeError: if ``X`` or ``exclude`` does not hold integers, or ``top`` is not an int.
            ValueError: if ``X`` is not 2-d or holds a negative id, or ``top`` exceeds the
                number of targets left after ``exclude``.
        """
        V.check_called(self._base, first="fit", then="predict")
        X = V.check_ids("X", X, ndim=2).astype(np.int64)
        if X.size and X.min() < 0:
            raise ValueError(f"Expected X in [0, ...), got min {X.min()}")
        banned = V.check_ids("exclude", list(exclude), high=self.num_classes, ndim=1)
        allowed = np.setdiff1d(np.arange(self.num_classes), banned)
        top = V.check_int("top", top, 1, len(allowed))
        overall = allowed[np.lexsort((allowed, -self.target_counts[allowed]))]   # fill order
        rank = {c: i for i, c in enumerate(overall.tolist())}                  # target -> fill position
        ctx = self._contexts(X)
        out = np.empty(X.shape + (top,), dtype=np.int64)
        for key in np.unique(ctx):
            out[ctx == key] = self._ranked(key, overall, rank, top)
        return out

    def _ranked(self, key, overall, rank, top):
        """The ``top`` targets after context ``key``: by count, then in the ``overall`` order."""
        if key < 0:
            return overall[:top]
        lo, hi = np.searchsorted(self._pair_keys, [key * self.num_classes, (key + 1) * self.num_classes])
        targets = self._pair_keys[lo:hi] - key * self.num_classes
        counts = dict(zip(targets.tolist(), self._pair_counts[lo:hi].tolist()))
        seen = sorted((c for c in counts if c in rank), key=lambda c: (-counts[c], rank[c]))
        chosen = seen[:top]
        if len(chosen) < top:
            taken = set(chosen)
            chosen += [c for c in overall[:top + len(chosen)].tolist() if c not in taken][:top - len(chosen)]
        return np.array(chosen, dtype=np.int64)


class CounterpartLookup(NGramLM):
    r"""The couplets' baseline: each character's most frequent counterpart in training.

    A table that, for each character of a first line, remembers which characters stood at the
    same position of the second line in training (天 → 地, 山 → 水) and how often. It is the
    bigram of :class:`NGramLM` with the character *across* as its context:
    :math:`P(y_t = c \mid x_t) = (C(x_t, c) + k) / (C(x_t) + kK)`, on the ``X`` (first line)
    and ``Y`` (second line) arrays of :func:`course_pkg.data.poetry.couplets_dataset`.
    :meth:`~NGramLM.predict` with ``top=1`` gives the most frequent counterpart (ties and
    unseen characters: the most frequent second-line characters overall).

    Args:
        num_classes: ``K``, the number of second-line classes.
        k: the added count of the probabilities, ``> 0``.

    Raises:
        TypeError: if ``num_classes`` is not an int or ``k`` not a number.
        ValueError: if ``num_classes < 1`` or ``k <= 0``.
    """

    def __init__(self, num_classes, k=1.0):
        super().__init__(2, num_classes, k)
