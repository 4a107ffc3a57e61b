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


# -- chapter 10: the encoder-decoder, its bottleneck, attention and decoding ------------------------
# Every test trains (at most) three models as the chapter does: GRU, E=32, H=64, three epochs on
# 10,000 dates in 14 formats; the four other formats are held out (split="formats"). Trained
# models are shared between the tests of one process.
CH10_HELD_OUT = ("mon_d_y", "weekday_month_d_y", "dmy_dash", "dmy_short")
CH10_DESIGNS = {"init": dict(context="init"), "every_step": dict(context="every_step"),
                "attention": dict(context="init", bidirectional=True, attention="additive")}
_ch10_cache = {}


def ch10_data():
    if "data" not in _ch10_cache:
        _ch10_cache["data"] = data.load("dates", seed=0, split="formats", test_formats=CH10_HELD_OUT)
    return _ch10_cache["data"]


def ch10_model(design, seed):
    """The chapter's model ``design``, trained from ``seed`` (cached)."""
    key = (design, seed)
    if key not in _ch10_cache:
        d = ch10_data()
        model = Seq2Seq(len(d.src_vocab), len(d.tgt_vocab), 32, 64, cell="GRU", seed=seed,
                        **CH10_DESIGNS[design])
        opt, tr = optim.Adam(model, lr=5e-3), d.train
        for epoch, lr in enumerate((5e-3, 5e-3, 1e-3)):
            opt.lr = lr
            train.fit(model, (tr.X, tr.X_len, tr.Y_in, tr.Y_out), loss="cross_entropy", epochs=1,
                      optimizer=opt, batch_size=64, clip_norm=5.0, seed=10 * seed + epoch)
        _ch10_cache[key] = model.eval()
    return _ch10_cache[key]


def ch10_greedy(model, split, lengths=None):
    """``(right (N,) bool, tokens (N, 11), weights)`` of greedy decoding."""
    tokens, weights = model.greedy(split.X, split.X_len if lengths is None else lengths, 2, 3, 11)
    text = np.array([ch10_data().tgt_vocab.decode(list(r), sep="") for r in tokens])
    return text == split.tgt, tokens, weights


def ch10_log_prob(model, split, rows, outputs):
    """Sum of log p of each output up to its first <eos> (teacher-forced through the model)."""
    y = np.full((len(rows), 11), 3)
    for i, out in enumerate(outputs):
        y[i, :len(out)] = list(out)[:11]
    logits = model(split.X[rows], split.X_len[rows], np.column_stack([np.full(len(rows), 2), y[:, :-1]]))
    logp = np.take_along_axis(cp.losses.log_softmax(np.asarray(logits, np.float64)), y[:, :, None], 2)[:, :, 0]
    return (logp * (np.cumsum(y == 3, 1) - (y == 3) == 0)).sum(1)


def test_seq2seq_context_every_step_beats_initial_state(learning_seed, measured):
    """Chapter 10, "Training, and the two ways to hand over c": exact match on the 1,000
    held-out dates over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: context="every_step"
    0.667-0.672, context="init" 0.014-0.111 (per-token accuracy free-running 0.937-0.939 and
    0.79-0.83). The same on every kernel for these two models. Seeds 3-5 (one kernel):
    every_step 0.637-0.710, init 0.004-0.031 (per-token 0.927-0.947 and 0.770-0.815)."""
    val = ch10_data().val
    em = {k: measured(k, ch10_greedy(ch10_model(k, learning_seed), val)[0].mean())
          for k in ("init", "every_step")}
    assert em["every_step"] > 0.55 and em["every_step"] > em["init"] + 0.4


def test_seq2seq_attention_removes_the_bottleneck(learning_seed, measured):
    """Chapter 10, "The bottleneck, measured": exact match on held-out dates with sources of
    18-22 characters: attention 1.000 on every run, every_step 0.639-0.819 over seeds 0-2 x
    kernels Haswell, SkylakeX, Prescott; all held-out dates with attention 0.999-1.000; in every
    length bin attention beat every_step's best bin (every_step's bins 0.58-0.82). The year digits'
    largest attention weight lay on the source's year characters for 0.9995-1.000 of them.
    Seeds 3-5 (one kernel): attention 0.986-1.000 on the longest (seed 4 missed one of 72),
    every_step 0.750-0.806 there and 0.552-0.806 over the bins; year digits 0.9966-1.000."""
    val = ch10_data().val
    right = {k: ch10_greedy(ch10_model(k, learning_seed), val) for k in ("every_step", "attention")}
    L = val.X_len
    bins = [(6, 10), (11, 14), (15, 17), (18, 22)]
    by_bin = {k: [r[0][(L >= a) & (L <= b)].mean() for a, b in bins] for k, r in right.items()}
    assert measured("attn long", by_bin["attention"][-1]) >= 0.97
    assert by_bin["attention"][-1] > measured("every long", by_bin["every_step"][-1]) + 0.1
    assert min(by_bin["attention"]) > max(by_bin["every_step"])
    weights, hits = right["attention"][2], []
    for n, (src, fmt) in enumerate(zip(val.src, val.fmt)):
        src, fmt = str(src), str(fmt)
        if fmt in ("iso", "ymd_slash", "compact", "cjk"):
            first, end, steps = 0, 4, (0, 1, 2, 3)
        elif fmt in ("weekday_d_mon_yy", "dmy_short"):
            first, end, steps = len(src) - 2, len(src), (2, 3)
        else:
            first, end, steps = len(src) - 4, len(src), (0, 1, 2, 3)
        hits += [first <= weights[n, t, :len(src)].argmax() < end for t in steps]
    assert measured("year hits", np.mean(hits)) >= 0.97


def test_seq2seq_attention_on_unseen_formats(learning_seed, measured):
    """Chapter 10, "Formats never seen in training", with attention, over seeds 0-2 x kernels
    Haswell, SkylakeX, Prescott: mon_d_y 0.956-1.0, weekday_month_d_y 0.866-1.0, dmy_dash
    0.821-0.978, dmy_short ("5/3/24") 0.046-0.387. Seeds 3-5 (one kernel): mon_d_y and
    weekday_month_d_y 1.0, dmy_dash 0.991-1.0, dmy_short 0.084-0.276."""
    test = ch10_data().test
    right = ch10_greedy(ch10_model("attention", learning_seed), test)[0]
    em = {f: measured(f, right[test.fmt == f].mean()) for f in CH10_HELD_OUT}
    assert min(em["mon_d_y"], em["weekday_month_d_y"]) >= 0.75
    assert em["dmy_dash"] >= 0.7 and em["dmy_short"] <= 0.6


def test_seq2seq_beam_search_against_greedy(learning_seed, measured):
    """Chapter 10, "Decoding", on 200 held-out dates, over seeds 0-2 x kernels Haswell,
    SkylakeX, Prescott, with beam_search as fixed in 714eec8 (no prefix cut short returned).
    Attention model: greedy mean log p -0.0099 to -0.0056, exact match 1.0; width 1 returned
    greedy's outputs and width 5 outputs as probable on every run. Widths 2, 3 and 4 returned
    a date cut short (e.g. "2038-03-0" and <eos>, log p about -8 against -0.003) for up to 4,
    2 and 1 of the 200 dates (exact match 0.98-1.0, 0.99-1.0, 0.995-1.0): the search stops
    once K hypotheses have finished, and a sure model's improbable early <eos> fills the K
    slots. With length_penalty 0 and 1 (K=5) the outputs were the same, all 11 tokens.
    every_step model: greedy -0.916 to -0.883; every width 2-5 more probable by 0.0135-0.0224
    on the mean, no output less probable than greedy's, exact match up by 0.010-0.020.
    Seeds 3-5 (one kernel): widths 2, 3, 4, 5 cut short up to 2, 1, 0, 0 dates; every_step
    greedy -0.971 to -0.800, widths 2-5 +0.017 to +0.022, exact match up by 0.025-0.035."""
    val = ch10_data().val
    rows = np.random.default_rng(0).choice(len(val.tgt), 200, replace=False)
    X, X_len = val.X[rows], val.X_len[rows]
    model = ch10_model("attention", learning_seed)
    greedy_out = ch10_greedy(model, val)[1][rows]
    g = ch10_log_prob(model, val, rows, greedy_out)
    measured("greedy logp", g.mean())
    lp = {}
    for K in (1, 2, 3, 4, 5):
        beams = model.beam_search(X, X_len, 2, 3, 11, beam_size=K)
        lp[K] = ch10_log_prob(model, val, rows, beams)
        measured(f"K={K} less probable", np.sum(lp[K] < g - 1e-9))
        text = np.array([ch10_data().tgt_vocab.decode(list(b), sep="") for b in beams])
        assert measured(f"K={K} exact", np.mean(text == val.tgt[rows])) >= 0.95, K
    assert lp[1].mean() == g.mean() and lp[5].mean() >= g.mean() - 1e-9
    raw = model.beam_search(X, X_len, 2, 3, 11, beam_size=5, length_penalty=0.0)
    assert [list(b) for b in raw] == [list(b) for b in beams]
    weak = ch10_model("every_step", learning_seed)
    weak_g = ch10_log_prob(weak, val, rows, ch10_greedy(weak, val)[1][rows])
    for K in (2, 3, 4, 5):
        weak_b = ch10_log_prob(weak, val, rows, weak.beam_search(X, X_len, 2, 3, 11, beam_size=K))
        assert measured(f"weak K={K} gain", weak_b.mean() - weak_g.mean()) > 0.005, K
        assert measured(f"weak K={K} less probable", np.sum(weak_b < weak_g - 1e-9)) <= 2, K


def test_seq2seq_one_wrong_input_and_the_pitfalls(learning_seed, measured):
    """Chapter 10, "Teacher forcing" and "Five pitfalls", over seeds 0-2 x kernels Haswell,
    SkylakeX, Prescott. Error rate of the tokens after one corrupted decoder input (teacher
    forcing otherwise): every_step 0.046-0.048 clean -> 0.264-0.284; attention 0.000 ->
    0.049-0.106. every_step decoded with every length = 22 (a final state read after padding):
    exact match 0.162-0.187 (true lengths 0.667-0.672). Per-token accuracy teacher-forced
    0.966-0.967 against free-running 0.937-0.939; exact match the same under both. Seeds 3-5
    (one kernel): every_step 0.040-0.049 -> 0.253-0.276, attention 0.000 -> 0.077-0.087; every
    length = 22: 0.079-0.167 (true lengths 0.637-0.710); per-token 0.964-0.972 against
    0.927-0.947."""
    val = ch10_data().val
    for design, jump in (("every_step", 0.15), ("attention", 0.02)):
        model = ch10_model(design, learning_seed)
        rng = np.random.default_rng(0)
        k = rng.integers(1, 10, len(val.tgt))
        y_in, digits = val.Y_in.copy(), np.arange(4, 14)
        for i in range(len(k)):
            y_in[i, k[i]] = rng.choice(digits[digits != y_in[i, k[i]]])
        after = np.arange(11)[None] > k[:, None]
        clean, wrong = (np.mean(np.asarray(model(val.X, val.X_len, y)).argmax(-1)[after] != val.Y_out[after])
                        for y in (val.Y_in, y_in))
        assert measured(f"{design} wrong", wrong) > measured(f"{design} clean", clean) + jump
    model = ch10_model("every_step", learning_seed)
    right, free, _ = ch10_greedy(model, val)
    full = ch10_greedy(model, val, lengths=np.full(len(val.tgt), val.X.shape[1]))[0]
    assert measured("full-length em", full.mean()) < 0.5 * right.mean()
    forced = np.asarray(model(val.X, val.X_len, val.Y_in)).argmax(-1)
    assert measured("forced acc", np.mean(forced == val.Y_out)) > measured("free acc", np.mean(free == val.Y_out)) + 0.01
    assert np.mean((forced == val.Y_out).all(1)) == right.mean()
