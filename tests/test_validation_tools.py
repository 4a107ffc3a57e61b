"""Bad calls to the tools around the models: metrics, gradient checks and baselines."""
import numpy as np
import pytest
from test_validation_docs import bad, check, ids

from course_pkg import baselines as BL
from course_pkg import gradcheck as G
from course_pkg import metrics as M

X = np.zeros(3)


def metric_cases():
    rows = [
        (M.accuracy, TypeError, "Expected integer targets, got dtype float64", lambda: M.accuracy([0, 1], [0.0, 1.0])),
        (M.accuracy, TypeError, "Expected ignore_index to be an int or None, got str",
         lambda: M.accuracy([0], [0], ignore_index="pad")),
        (M.accuracy, TypeError, "Expected target to be an array, tensor or list, got NoneType",
         lambda: M.accuracy([0], None)),
        (M.accuracy, ValueError, r"Expected predictions of shape \(3,\)", lambda: M.accuracy([0, 1], [0, 1, 1])),
        (M.accuracy, ValueError, "Expected at least one target left", lambda: M.accuracy([0], [0], ignore_index=0)),
        (M.token_accuracy, ValueError, r"Expected targets of shape \(N, T\)", lambda: M.token_accuracy([0], [0])),
        (M.token_accuracy, ValueError, r"Expected lengths in \[0, 2\]",
         lambda: M.token_accuracy([[0, 1]], [[0, 1]], lengths=[3])),
        (M.token_accuracy, TypeError, "Expected integer lengths",
         lambda: M.token_accuracy([[0, 1]], [[0, 1]], lengths=[1.5])),
        (M.confusion_matrix, ValueError, "Expected num_classes >= 1, got 0",
         lambda: M.confusion_matrix([0], [0], num_classes=0)),
        (M.confusion_matrix, TypeError, "Expected num_classes to be an int or None, got float",
         lambda: M.confusion_matrix([0], [0], num_classes=2.0)),
        (M.confusion_matrix, ValueError, r"Expected labels in \[0, 2\)",
         lambda: M.confusion_matrix([0, 2], [0, 1], num_classes=2)),
        (M.bio_entities, TypeError, "Expected tags to be a sequence of str tags, got int", lambda: M.bio_entities(3)),
        (M.bio_entities, ValueError, "Expected a BIO tag", lambda: M.bio_entities(["Q-PER"])),
        (M.entity_f1, ValueError, "Expected as many pred_tag_seqs as true_tag_seqs, got 2 and 1",
         lambda: M.entity_f1([["O"]], [["O"], ["O"]])),
        (M.entity_f1, TypeError, "Expected true_tag_seqs to be a list of sequences", lambda: M.entity_f1("O", ["O"])),
        (M.exact_match, ValueError, "Expected as many true_seqs as pred_seqs",
         lambda: M.exact_match([[1]], [[1], [2]])),
        (M.exact_match, TypeError, r"Expected pred_seqs\[0\] to be a sequence", lambda: M.exact_match([1], [[1]])),
        (M.mse, ValueError, r"Expected pred of shape \(3,\) \(target's\), got \(2,\)", lambda: M.mse([1.0, 2.0], X)),
        (M.mse, TypeError, "Expected pred to be numeric", lambda: M.mse(["a"] * 3, X)),
        (M.mae, ValueError, "Expected at least one value, got an empty array", lambda: M.mae([], [])),
        (M.mase, ValueError, r"Expected a train_series whose seasonal-naive MAE \(season 1\) is above 0",
         lambda: M.mase([1.0], [2.0], [3.0, 3.0])),
        (M.mase, ValueError, "longer than season = 2", lambda: M.mase([1.0], [2.0], [1.0, 2.0], season=2)),
        (M.mase, TypeError, "Expected season to be an int, got float", lambda: M.mase([1.0], [2.0], [1.0, 2.0], 1.0)),
        (M.mase, TypeError, "Expected pred to be numeric", lambda: M.mase(["a"], [2.0], [1.0, 2.0])),
    ]
    return [bad(*row) for row in rows]


def gradcheck_cases():
    f = lambda: float(np.sum(X ** 2))  # noqa: E731
    ng, ck, re_ = G.numerical_gradient, G.check_gradients, G.rel_error
    rows = [
        (ng, TypeError, "Expected x to be a numpy.ndarray, got list", lambda: ng(f, [0.0, 1.0])),
        (ng, TypeError, r"Expected x of dtype float64 \(centred differences need it\), got float32",
         lambda: ng(f, X.astype(np.float32))),
        (ng, TypeError, "Expected f to be a callable, got ndarray", lambda: ng(X, X)),
        (ng, ValueError, r"Expected order in \[2, 4\], got 3", lambda: ng(f, X, order=3)),
        (ng, TypeError, r"Expected order in \[2, 4\], got str", lambda: ng(f, X, order="4")),
        (ng, ValueError, "Expected h > 0, got 0", lambda: ng(f, X, h=0)),
        (ng, TypeError, "Expected h to be a number, got str", lambda: ng(f, X, h="1e-6")),
        (ng, TypeError, "Expected dout to be a numpy.ndarray, got list", lambda: ng(lambda: X * 2, X, dout=[1.0])),
        (ng, ValueError, r"Expected dout \(the shape of f\(\)\) of shape \(3,\), got \(2,\)",
         lambda: ng(lambda: X * 2, X, dout=np.ones(2))),
        (ng, ValueError, r"Expected f\(\) to return a scalar \(or pass dout\), got shape \(3,\)",
         lambda: ng(lambda: X, X)),
        (ck, ValueError, r"Expected gradients for \['x'\], got \['y'\]", lambda: ck(f, {"x": X}, {"y": X})),
        (ck, TypeError, "Expected inputs to be a dict name -> array, got list", lambda: ck(f, [X], {"x": X})),
        (ck, TypeError, "Expected analytic to be a dict name -> gradient, got ndarray", lambda: ck(f, {"x": X}, X)),
        (ck, ValueError, "Expected tol > 0, got 0", lambda: ck(f, {"x": X}, {"x": X}, tol=0)),
        (ck, G.GradcheckError, "Expected relative errors < 1e-07", lambda: ck(f, {"x": X}, {"x": np.ones(3)})),
        (re_, ValueError, r"Expected arrays of the same shape, got \(3,\) and \(2,\)", lambda: re_(X, np.zeros(2))),
    ]
    return [bad(*row) for row in rows]


DAYS = np.arange("2013-01-01", "2013-01-04", dtype="datetime64[D]")   # three dates


def baseline_cases():
    W = np.zeros((4, 6, 2))
    rows = [
        (BL.last_value_forecast, ValueError, r"Expected windows of shape \(N, window, features\)",
         lambda: BL.last_value_forecast(np.zeros((4, 6)))),
        (BL.last_value_forecast, ValueError, r"Expected target_col in \[0, 2\), got 2",
         lambda: BL.last_value_forecast(W, target_col=2)),
        (BL.last_value_forecast, TypeError, "Expected target_col to be an int, got str",
         lambda: BL.last_value_forecast(W, target_col="y")),
        (BL.last_value_forecast, ValueError, "Expected horizon >= 1, got 0",
         lambda: BL.last_value_forecast(W, horizon=0)),
        (BL.seasonal_naive_forecast, ValueError, r"Expected 1 <= horizon <= season <= window = 6",
         lambda: BL.seasonal_naive_forecast(W, season=8)),
        (BL.seasonal_naive_forecast, TypeError, "Expected season to be an int, got float",
         lambda: BL.seasonal_naive_forecast(W, season=2.0)),
        (BL.ar_forecast, ValueError, r"Expected 1 <= lags <= window = 6, got 7",
         lambda: BL.ar_forecast(np.zeros(30), W, 7)),
        (BL.ar_forecast, TypeError, "Expected lags to be an int, got str",
         lambda: BL.ar_forecast(np.zeros(30), W, "2")),
        (BL.climatology_forecast, ValueError, r"Expected half_width in \[0, 182\], got 183",
         lambda: BL.climatology_forecast(np.ones(3), DAYS, DAYS, half_width=183)),
        (BL.climatology_forecast, ValueError, "Expected a training value within 15 days of every day",
         lambda: BL.climatology_forecast(np.ones(3), DAYS, DAYS)),
        (BL.climatology_forecast, ValueError, "Expected train_values \\(T,\\) without NaN",
         lambda: BL.climatology_forecast(np.ones(2), DAYS, DAYS)),
        (BL.climatology_forecast, TypeError, "Expected times of dtype datetime64, got int64",
         lambda: BL.climatology_forecast(np.ones(3), np.arange(3), DAYS)),
        (BL.bag_of_words_classifier, ValueError, "Expected C > 0, got 0",
         lambda: BL.bag_of_words_classifier([["a"]], [0], C=0)),
        (BL.bag_of_words_classifier, ValueError, "Expected as many train_labels as train_tokens, got 2 and 1",
         lambda: BL.bag_of_words_classifier([["a"]], [0, 1])),
        (BL.MajorityTagger.fit, ValueError, "Expected as many tags as tokens, got 1 and 2",
         lambda: BL.MajorityTagger().fit([["a", "b"]], [["O"]])),
        (BL.MajorityTagger.fit, ValueError, "Expected as many tag_seqs as token_seqs, at least one, got 0 and 0",
         lambda: BL.MajorityTagger().fit([], [])),
        (BL.MajorityTagger.fit, ValueError, "Expected at least one token to count",
         lambda: BL.MajorityTagger().fit([[]], [[]])),
        (BL.MajorityTagger.predict, RuntimeError, r"Expected fit\(\) to be called before predict\(\)",
         lambda: BL.MajorityTagger().predict([["a"]])),
    ]
    return [bad(*row) for row in rows]


def ngram_cases():
    X, Y = np.array([[2, 4, 5]]), np.array([[4, 5, 3]])
    fitted = BL.NGramLM(2, 6).fit(X, Y)
    rows = [
        (BL.NGramLM, ValueError, "Expected n >= 1, got 0", lambda: BL.NGramLM(0, 6)),
        (BL.NGramLM, TypeError, "Expected n to be an int, got float", lambda: BL.NGramLM(2.0, 6)),
        (BL.NGramLM, ValueError, "Expected num_classes >= 1, got 0", lambda: BL.NGramLM(2, 0)),
        (BL.NGramLM, ValueError, "Expected k > 0, got 0", lambda: BL.NGramLM(2, 6, k=0)),
        (BL.NGramLM, TypeError, "Expected k to be a", lambda: BL.NGramLM(2, 6, k="1")),
        (BL.CounterpartLookup, ValueError, "Expected k > 0, got -1", lambda: BL.CounterpartLookup(6, k=-1)),
        (BL.CounterpartLookup, TypeError, "Expected num_classes to be an int, got str",
         lambda: BL.CounterpartLookup("6")),
        (BL.NGramLM.fit, ValueError, r"Expected X and Y of the same shape, got \(1, 3\) and \(1, 2\)",
         lambda: BL.NGramLM(2, 6).fit(X, Y[:, :2])),
        (BL.NGramLM.fit, ValueError, r"Expected Y in \[0, 5\), got max 5", lambda: BL.NGramLM(2, 5).fit(X, Y)),
        (BL.NGramLM.fit, ValueError, r"Expected X with 2 dimensions, got shape \(3,\)",
         lambda: BL.NGramLM(2, 6).fit(X[0], Y)),
        (BL.NGramLM.fit, TypeError, "Expected integer Y, got float64", lambda: BL.NGramLM(2, 6).fit(X, Y * 1.0)),
        (BL.NGramLM.fit, ValueError, "Expected at least one target to count, got only ignore_index",
         lambda: BL.NGramLM(2, 6).fit(X, np.full((1, 3), -100))),
        (BL.NGramLM.fit, ValueError, "Expected Y in \\[0, num_classes\\) or ignore_index = -100, got -1",
         lambda: BL.NGramLM(2, 6).fit(X, -Y // Y)),
        (BL.NGramLM.fit, ValueError, "for 64-bit keys", lambda: BL.NGramLM(8, 6000).fit([[5999]], [[1]])),
        (BL.NGramLM.log_prob, RuntimeError, r"Expected fit\(\) to be called before log_prob\(\)",
         lambda: BL.NGramLM(2, 6).log_prob(X, Y)),
        (BL.NGramLM.log_prob, ValueError, r"Expected Y in \[0, 6\), got max 9",
         lambda: fitted.log_prob(X, Y + 4)),
        (BL.NGramLM.log_prob, ValueError, r"Expected X in \[0, ...\), got min -1",
         lambda: fitted.log_prob(X - 3, Y)),
        (BL.NGramLM.bits_per_token, ValueError, "Expected at least one target to score",
         lambda: fitted.bits_per_token(X, np.full((1, 3), -100))),
        (BL.NGramLM.bits_per_token, TypeError, "Expected integer X, got str",
         lambda: fitted.bits_per_token("abc", Y)),
        (BL.NGramLM.predict, RuntimeError, r"Expected fit\(\) to be called before predict\(\)",
         lambda: BL.NGramLM(2, 6).predict(X)),
        (BL.NGramLM.predict, ValueError, r"Expected top in \[1, 2\], got 3",
         lambda: fitted.predict(X, top=3, exclude=[0, 1, 2, 3])),
        (BL.NGramLM.predict, ValueError, r"Expected exclude in \[0, 6\), got min 0 and max 9",
         lambda: fitted.predict(X, exclude=[0, 9])),
        (BL.NGramLM.predict, TypeError, "Expected top to be an int, got float", lambda: fitted.predict(X, top=1.0)),
    ]
    return [bad(*row) for row in rows]


CASES = metric_cases() + gradcheck_cases() + baseline_cases() + ngram_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)
