"""Baselines the chapters compare recurrent models against.

A model is only as good as what it beats. For forecasting: the last observed value,
the value one season ago, and an autoregressive model (statsmodels ``AutoReg``); for
sentiment, a bag-of-words logistic regression (scikit-learn), blind to word order; for
named entities, each word's most frequent tag in training. All work on the arrays that
:mod:`course_pkg.data` returns; statsmodels and scikit-learn are imported on first use.
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
