"""Baselines: each computes what it claims on hand-made data, and rejects bad input."""
import numpy as np
import pytest

from course_pkg import data
from course_pkg.baselines import (CounterpartLookup, MajorityTagger, NGramLM, ar_forecast, bag_of_words_classifier,
                                  last_value_forecast, seasonal_naive_forecast)


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


# -- n-gram models: counts checked by hand on a toy corpus ----------------------------------------
# Two "names" over ids 4, 5 with <bos> = 2 and <eos> = 3, as lm_arrays encodes them:
# steps (context x_t -> target y_t): 2->4 4->5 5->4 4->3 | 2->4 4->4 4->5 (last step padded).
X_TOY = np.array([[2, 4, 5, 4], [2, 4, 4, 5]])
Y_TOY = np.array([[4, 5, 4, 3], [4, 4, 5, -100]])


def test_bigram_probabilities_are_smoothed_counts():
    m = NGramLM(2, 6, k=0.5).fit(X_TOY, Y_TOY)
    p = np.exp(m.log_prob(X_TOY, Y_TOY))
    # after 4: targets 5, 3, 4, 5 (4 steps); K = 6 classes, so k K = 3
    np.testing.assert_allclose(p[0, 1], (2 + 0.5) / (4 + 3))          # P(5 | 4)
    np.testing.assert_allclose(p[0, 0], (2 + 0.5) / (2 + 3))          # P(4 | <bos>)
    np.testing.assert_allclose(p[0, 2], (1 + 0.5) / (1 + 3))          # P(4 | 5)
    assert np.isnan(p[1, 3])                                          # padding is skipped
    bits = -np.log2(p[~np.isnan(p)]).mean()
    assert m.bits_per_token(X_TOY, Y_TOY) == pytest.approx(bits)


def test_unigram_and_unseen_contexts():
    uni = NGramLM(1, 6, k=1.0).fit(X_TOY, Y_TOY)
    np.testing.assert_array_equal(uni.target_counts, [0, 0, 0, 1, 4, 2])
    np.testing.assert_allclose(np.exp(uni.log_prob([[2]], [[4]])), [[(4 + 1) / (7 + 6)]])
    tri = NGramLM(3, 6, k=1.0).fit(X_TOY, Y_TOY)
    # context (<bos>, <bos>) pads the first step: seen twice, both times followed by 4
    np.testing.assert_allclose(np.exp(tri.log_prob([[2]], [[4]])), [[(2 + 1) / (2 + 6)]])
    # an input never seen in training (id 9) makes an unseen context: the uniform 1/K
    np.testing.assert_allclose(np.exp(tri.log_prob([[9, 9]], [[4, 5]])), [[1 / 6, 1 / 6]])


def test_probabilities_sum_to_one_over_the_classes():
    m = NGramLM(2, 6, k=0.3).fit(X_TOY, Y_TOY)
    for context in (2, 4, 5, 9):
        X = np.full((1, 6), context)
        total = np.exp(m.log_prob(X, np.arange(6)[None])).sum()
        assert total == pytest.approx(1.0)


def test_predict_ranks_by_count_then_overall_frequency():
    m = NGramLM(2, 6).fit(X_TOY, Y_TOY)
    # after 4: 5 twice, then 3 and 4 once each; the tie goes to 4, the more frequent overall
    np.testing.assert_array_equal(m.predict([[4]], top=3)[0, 0], [5, 4, 3])
    # an unseen input: the overall order, here without the excluded specials 0-3
    np.testing.assert_array_equal(m.predict([[9]], top=2, exclude=[0, 1, 2, 3])[0, 0], [4, 5])
    assert m.predict(X_TOY, top=1).shape == (2, 4, 1)


def test_counterpart_lookup_is_the_bigram_across_the_lines():
    first, second = [[4, 5, 6], [4, 6, 5], [5, 5, 6]], [[7, 8, 9], [7, 9, 8], [8, 8, 7]]
    lookup = CounterpartLookup(10).fit(first, second)
    np.testing.assert_array_equal(lookup.predict([[4, 5, 6]])[0, :, 0], [7, 8, 9])
    bigram = NGramLM(2, 10).fit(first, second)
    np.testing.assert_allclose(lookup.log_prob(first, second), bigram.log_prob(first, second))


def test_ngram_on_the_shipped_quatrains():
    """On the real poems a higher order overfits without back-off: an add-k trigram scores worse
    bits per character on the validation poems than the bigram (the chapter's finding)."""
    p = data.poems_dataset()
    K = len(p.vocab)
    bits = {n: NGramLM(n, K, k=k).fit(p.train.X, p.train.Y).bits_per_token(p.val.X, p.val.Y)
            for n, k in ((1, 1.0), (2, 0.05), (3, 0.01))}
    assert bits[2] < bits[1] < bits[3] < np.log2(K)


def test_ngram_rejects_bad_use():
    with pytest.raises(RuntimeError, match=r"Expected fit\(\) to be called before log_prob\(\)"):
        NGramLM(2, 6).log_prob(X_TOY, Y_TOY)
    with pytest.raises(ValueError, match=r"Expected Y in \[0, 5\), got max 5"):
        NGramLM(2, 5).fit([[1, 2]], [[4, 5]])
    with pytest.raises(ValueError, match="Expected X and Y of the same shape"):
        NGramLM(2, 6).fit([[1, 2]], [[4]])
    with pytest.raises(ValueError, match="for 64-bit keys"):
        NGramLM(8, 6000).fit([[5999]], [[1]])


# -- climatology ------------------------------------------------------------------------------------
def test_climatology_averages_the_same_time_of_year_in_training():
    from course_pkg.baselines import climatology_forecast

    times = np.arange("2012-01-01", "2014-01-01", dtype="datetime64[D]")
    values = np.where(times < np.datetime64("2013-01-01"), 1.0, 3.0)
    target = np.array(["2015-06-01", "2016-12-31"], dtype="datetime64[D]")
    np.testing.assert_allclose(climatology_forecast(values, times, target, half_width=0), [2.0, 1.0])
    # a season: the forecast follows it, and 31 December borrows from early January
    season = np.cos(2 * np.pi * (np.arange(len(times)) % 365) / 365)
    got = climatology_forecast(season, times, times[:365].reshape(5, 73), half_width=3)
    assert got.shape == (5, 73) and np.abs(got.ravel() - season[:365]).max() < 0.02


@pytest.mark.parametrize("kwargs, error", [({"half_width": 183}, ValueError), ({"half_width": 1.5}, TypeError),
                                           ({"train_values": np.ones(3)}, ValueError),
                                           ({"train_times": np.arange(10)}, TypeError)])
def test_climatology_rejects_bad_input(kwargs, error):
    from course_pkg.baselines import climatology_forecast

    times = np.arange("2013-01-01", "2013-01-11", dtype="datetime64[D]")
    args = {"train_values": np.ones(10), "train_times": times, "times": times, **kwargs}
    with pytest.raises(error, match="Expected"):
        climatology_forecast(**args)


def test_climatology_needs_a_value_near_every_day():
    from course_pkg.baselines import climatology_forecast

    times = np.arange("2013-01-01", "2013-01-11", dtype="datetime64[D]")
    with pytest.raises(ValueError, match="within 15 days"):
        climatology_forecast(np.ones(10), times, times)
