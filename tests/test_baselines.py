"""Baselines: each computes what it claims on hand-made data, and rejects bad input."""
import numpy as np
import pytest

from course_pkg.baselines import (MajorityTagger, ar_forecast, bag_of_words_classifier, last_value_forecast,
                                  seasonal_naive_forecast)


def windows(series, window):
    return np.stack([series[i:i + window] for i in range(len(series) - window + 1)])[:, :, None]


def test_naive_forecasts():
    X = windows(np.arange(10.0), 4)                      # rows [0 1 2 3], [1 2 3 4], ...
    np.testing.assert_array_equal(last_value_forecast(X, horizon=2)[0], [3, 3])
    np.testing.assert_array_equal(seasonal_naive_forecast(X, season=3, horizon=2)[0], [1, 2])
    with pytest.raises(ValueError, match="Expected 1 <= horizon <= season <= window = 4"):
        seasonal_naive_forecast(X, season=5)
    with pytest.raises(ValueError, match=r"Expected windows of shape \(N, window, features\)"):
        last_value_forecast(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Expected target_col in \[0, 1\), got 1"):
        last_value_forecast(X, target_col=1)


def test_ar_recovers_a_known_process():
    rng = np.random.default_rng(0)
    y = np.zeros(3000)
    for t in range(2, len(y)):                           # y_t = 0.5 + 0.6 y_{t-1} - 0.3 y_{t-2} + noise
        y[t] = 0.5 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + 0.01 * rng.standard_normal()
    X = windows(y[-50:], 5)
    pred = ar_forecast(y[:2500], X[:-1], lags=2)[:, 0]
    expected = 0.5 + 0.6 * X[:-1, -1, 0] - 0.3 * X[:-1, -2, 0]
    np.testing.assert_allclose(pred, expected, atol=5e-3)
    two = ar_forecast(y[:2500], X[:1], lags=2, horizon=2)
    np.testing.assert_allclose(two[0, 1], 0.5 + 0.6 * two[0, 0] - 0.3 * X[0, -1, 0], atol=5e-3)
    with pytest.raises(ValueError, match="Expected 1 <= lags <= window = 5, got 6"):
        ar_forecast(y[:100], X, lags=6)


def test_bag_of_words_ignores_order():
    docs = [["good", "film"], ["bad", "film"], ["good", "plot"], ["bad", "plot"]] * 5
    clf = bag_of_words_classifier(docs, [1, 0, 1, 0] * 5)
    assert list(clf.predict([["film", "good"], ["plot", "bad"]])) == [1, 0]
    p1, p2 = clf.predict_proba([["not", "good"], ["good", "not"]])
    np.testing.assert_allclose(p1, p2)                   # word order is invisible to it


def test_majority_tagger():
    tagger = MajorityTagger().fit([["Paris", "is", "big"], ["Paris", "Hilton"], ["big", "Paris"]],
                                  [["B-LOC", "O", "O"], ["B-PER", "I-PER"], ["O", "B-LOC"]])
    assert tagger.predict([["Paris", "Hilton", "unknown"]]) == [["B-LOC", "I-PER", "O"]]
    with pytest.raises(ValueError, match="Expected as many tags as tokens, got 1 and 2"):
        MajorityTagger().fit([["a", "b"]], [["O"]])
    with pytest.raises(RuntimeError, match="before predict"):
        MajorityTagger().predict([["a"]])
