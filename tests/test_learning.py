"""Learning results the chapters rely on: each trains a small model from a fixed seed on
offline data and asserts what held on every run measured: seeds 0-2 (``--learning-seeds``)
under the OpenBLAS kernels Haswell, SkylakeX and Prescott (``make test-kernels SEEDS=0,1,2``).
Each docstring states the measured range; a threshold sits below the worst run with a
margin, and where a comparison is the point (gates beat tanh, BiGRU beats GRU) the
comparison is asserted with its margin. Every test runs in well under a minute on two
CPU cores."""
import numpy as np
import pytest

import course_pkg as cp
from course_pkg import baselines, data, metrics, optim, train
from course_pkg.heads import SequenceClassifier, SequenceTagger
from course_pkg.seq2seq import Seq2Seq


pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py


def f32(x):
    return np.asarray(x, dtype=np.float32)


# -- the adding problem: gates carry information across 50 steps, tanh does not --------------------
@pytest.fixture(scope="module")
def adding():
    return data.adding_problem(6000, T=50, seed=0), data.adding_problem(1000, T=50, seed=1)


def adding_mse(family, epochs, adding, seed):
    (X, y), (X_test, y_test) = adding
    model = SequenceClassifier(getattr(cp, family)(2, 32, batch_first=True, seed=seed), 1, seed=seed + 1)
    train.fit(model, (X, y[:, None]), loss="mse", epochs=epochs, lr=0.01, batch_size=32, clip_norm=1.0,
              seed=seed)
    return metrics.mse(model.eval()(f32(X_test))[:, 0], y_test)


@pytest.mark.parametrize("family, epochs", [("LSTM", 8), ("GRU", 4)])
def test_gated_cells_solve_the_adding_problem(family, epochs, adding, learning_seed, measured):
    """Test MSE (the mean predictor scores 0.167) over seeds 0-2 x kernels Haswell, SkylakeX,
    Prescott: LSTM 0.0006-0.0009 after 8 epochs, GRU 0.0003-0.0016 after 4. The LSTM broke
    through in epoch 4 or 5 and the GRU in epoch 2, so the budgets leave a margin."""
    assert measured(f"{family} MSE", adding_mse(family, epochs, adding, learning_seed)) < 0.01


def test_vanilla_rnn_fails_the_adding_problem(adding, learning_seed, measured):
    """The tanh RNN of the same size ends at 0.167-0.194 after 8 epochs (the LSTM's budget)
    over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: no better than predicting the mean
    (0.167)."""
    assert measured("RNN MSE", adding_mse("RNN", 8, adding, learning_seed)) > 0.1


# -- seq2seq with attention: dates in unseen formats ----------------------------------------------------
def test_date_translation_generalises_to_held_out_formats(learning_seed, measured):
    """Three epochs, the step size decayed in the last (5e-3, 5e-3, 1e-3): at a constant 5e-3
    the held-out accuracy swung between 0.79 and 0.997 from one epoch to the next.
    Measured over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: exact match on the three
    held-out formats 0.946-0.998; per format mon_d_y 0.963-1.0, weekday_month_d_y 0.941-1.0,
    dmy_dash ("05-03-2024", a separator never seen between these parts) 0.835-0.997. The
    kernel matters as much as the seed here (seed 0: 0.998 on Haswell, 0.946 on SkylakeX).
    (Re-measured after the scan's performance change; before it, 0.947-0.999.)
    With "5/3/24" (dmy_short) held out instead, only 13-15% were right."""
    d = data.load("dates", seed=0, split="formats")
    model = Seq2Seq(len(d.src_vocab), len(d.tgt_vocab), 32, 64, cell="GRU", bidirectional=True,
                    attention="additive", seed=learning_seed)
    tr, opt = d.train, optim.Adam(model, lr=5e-3)
    for epoch, lr in enumerate((5e-3, 5e-3, 1e-3)):
        opt.lr = lr
        train.fit(model, (tr.X, tr.X_len, tr.Y_in, tr.Y_out), loss="cross_entropy", epochs=1, optimizer=opt,
                  batch_size=64, clip_norm=5.0, seed=10 * learning_seed + epoch)
    tokens, weights = model.eval().greedy(d.test.X, d.test.X_len, bos=2, eos=3, max_len=11)
    right = np.array([d.tgt_vocab.decode(list(row), sep="") == t for row, t in zip(tokens, d.test.tgt)])
    assert set(d.test.fmt) == set(data.dates.HELDOUT_FORMATS)
    per_format = {f: measured(f, right[d.test.fmt == f].mean()) for f in data.dates.HELDOUT_FORMATS}
    assert measured("exact match", right.mean()) >= 0.9
    assert min(per_format.values()) >= 0.75, per_format
    assert np.allclose(weights.sum(-1), 1.0)


# -- sentiment: word order matters ------------------------------------------------------------------------
def test_lstm_beats_bag_of_words_on_negation_and_contrast(learning_seed, measured):
    """Accuracy on the negated + contrast test sentences (held-out adjective/pattern pairs),
    measured over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: LSTM 0.80-0.95 (the same
    per seed on every kernel), bag-of-words logistic regression 0.12 on every run."""
    s = data.load("sentiment", seed=0)
    model = SequenceClassifier(cp.LSTM(16, 32, batch_first=True, seed=learning_seed), 2, vocab_size=len(s.vocab),
                               seed=learning_seed + 1)
    train.fit(model, (s.train.X, s.train.lengths, s.train.y), loss="cross_entropy", epochs=5, lr=0.01,
              batch_size=32, seed=learning_seed)
    hard = np.isin(s.test.pattern, ["negated", "contrast"])
    lstm = model.eval()(s.test.X, s.test.lengths).argmax(-1)
    bow = baselines.bag_of_words_classifier(s.train.tokens, s.train.y).predict(s.test.tokens)
    lstm_acc = metrics.accuracy(lstm[hard], s.test.y[hard])
    bow_acc = metrics.accuracy(bow[hard], s.test.y[hard])
    measured("LSTM acc", lstm_acc), measured("BoW acc", bow_acc)
    assert lstm_acc > bow_acc + 0.5 and lstm_acc > 0.7


# -- named entities: the right context helps ----------------------------------------------------------------
def entity_f1(bidirectional, n, seed):
    model = SequenceTagger(cp.GRU(32, 32, batch_first=True, bidirectional=bidirectional, seed=seed), len(n.tags),
                           vocab_size=len(n.vocab), seed=seed + 1)
    train.fit(model, (n.train.X, n.train.lengths, n.train.y), loss="cross_entropy", epochs=4, lr=0.01,
              batch_size=32, seed=seed)
    pred = model.eval()(n.test.X, n.test.lengths).argmax(-1)
    tags = [[n.tags[t] for t in row[:length]] for row, length in zip(pred, n.test.lengths)]
    return metrics.entity_f1(n.test.tags, tags)[2]


def test_bigru_tags_entities_better_than_a_gru(learning_seed, measured):
    """Entity F1 over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: BiGRU 0.990-0.998,
    GRU of the same size 0.924-0.955, majority tag 0.293; BiGRU - GRU 0.042-0.071."""
    n = data.load("ner", seed=0)
    bi = measured("BiGRU F1", entity_f1(True, n, learning_seed))
    uni = measured("GRU F1", entity_f1(False, n, learning_seed))
    majority = baselines.MajorityTagger().fit(n.train.tokens, n.train.tags).predict(n.test.tokens)
    assert bi >= 0.95 and bi > uni + 0.02
    assert uni > measured("majority F1", metrics.entity_f1(n.test.tags, majority)[2]) + 0.5


# -- forecasting: against the naive baseline ------------------------------------------------------------------
def forecast_mae(source, window, hidden, lr, seed, measured, **kwargs):
    d = data.make_forecasting_data(source, window=window, horizon=1, **kwargs)
    model = SequenceClassifier(cp.GRU(d.X_train.shape[2], hidden, batch_first=True, seed=seed), 1, seed=seed + 1)
    train.fit(model, (d.X_train, d.y_train), loss="mse", val_data=(d.X_val, d.y_val), epochs=100, lr=lr,
              batch_size=16, seed=seed, early_stopping=dict(patience=10))
    naive = baselines.last_value_forecast(d.X_test, target_col=d.target_cols[0])
    return (measured("GRU MAE", metrics.mae(model.eval()(f32(d.X_test)), d.y_test)),
            measured("naive MAE", metrics.mae(naive, d.y_test)))


def test_sunspot_forecast_beats_the_naive_baseline(learning_seed, measured):
    """Test MAE (scaled units) over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: GRU
    0.370-0.389 (0.52-0.54 x naive), last value 0.717 (AR(6) 0.484)."""
    gru, naive = forecast_mae("sunspots", 12, 16, 0.01, learning_seed, measured)
    assert gru < 0.8 * naive


def test_seattle_temperature_forecast_beats_the_naive_baseline(learning_seed, measured):
    """Test MAE of tomorrow's maximum temperature (scaled) over seeds 0-2 x kernels Haswell,
    SkylakeX, Prescott: GRU 0.257-0.270 with a 60-day window (0.87-0.92 x the last value's
    0.295). Weather is persistent, so the margin is small and depends on the window: 30 days
    gave 0.278-0.291 against 0.297 (0.94-0.98 x), 14 days 0.286-0.289 against 0.299."""
    gru, naive = forecast_mae("seattle_weather", 60, 32, 0.003, learning_seed, measured, target="temp_max")
    assert gru < 0.95 * naive


def test_stock_prices_are_hard_to_beat(learning_seed, measured):
    """Reported honestly: on Apple's monthly prices the last value wins by far (test MAE 0.50
    against the GRU's 4.38-4.64 in scaled units over seeds 0-2 x kernels Haswell, SkylakeX,
    Prescott): 2009-2010 lies outside the range seen in training, and a random walk's best
    forecast is its last value."""
    gru, naive = forecast_mae("stocks", 12, 16, 0.003, learning_seed, measured, target="AAPL",
                              columns=["AAPL", "AMZN", "IBM", "MSFT"])
    assert naive < gru
