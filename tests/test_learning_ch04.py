"""Chapter 4's quantitative claims, re-run on more seeds than the chapter shows.

The chapter trains its names model from seeds 0-2 and measures generation and exposure bias
with seed 0; each test here repeats a claim from the ``--learning-seeds`` (default 0; the
ranges in the docstrings are over seeds 0-9 x OpenBLAS kernels Haswell, SkylakeX and
Prescott, ``make test-kernels SEEDS=0,1,...,9``). The recipe is the chapter's: an embedding
of E = 16, a tanh RNN of H = 64 and a head, Adam at 0.01, batches of 64, gradients clipped
to norm 5, 10 epochs. With one seed the tests take about 6 s of CPU: two trainings of the
names model (the second in the exposure test) and one of the tagger.
"""
import functools

import numpy as np
import pytest

import course_pkg as cp
from course_pkg import baselines, data, losses, metrics, train

pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py

E, H = 16, 64


@functools.lru_cache(maxsize=1)
def names():
    return data.names_dataset()


def specials():
    vocab = names().vocab
    return [vocab.stoi[s] for s in ("<pad>", "<unk>", "<bos>")]


def fit_names_model(seed, X, lengths, Y):
    """The chapter's names model, trained from ``seed`` on ``(X, lengths, Y)``."""
    K = len(names().vocab)
    model = cp.SequenceTagger(cp.RNN(E, H, batch_first=True, seed=seed), K, vocab_size=K, seed=seed)
    train.fit(model, (X, lengths, Y), loss="cross_entropy", epochs=10, lr=1e-2, batch_size=64,
              clip_norm=5.0, seed=seed, forward=lambda m, x, n: m(x, lengths=n))
    return model


@functools.lru_cache(maxsize=None)
def trained(seed):
    tr = names().train
    return fit_names_model(seed, tr.X, tr.lengths, tr.Y)


# -- generation, as the chapter writes it: from the stored state, one step per character --------
def step(model, token, state):
    out, state = model.rnn(model.embed(token[:, None]), state)    # (n, 1, H)
    return model.head(out)[:, 0], state                          # (n, K)


def probs(z, tau):
    z = np.asarray(z, dtype=np.float64) / tau
    z[..., specials()] = -np.inf
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def draw(p, rng):
    """Inverse-transform draws, one per row of ``p (n, K)``."""
    u = rng.uniform(size=(len(p), 1))
    return np.minimum((p.cumsum(axis=1) <= u).sum(axis=1), p.shape[1] - 1)


def sample_ids(model, tau, n, rng, max_len):
    token, state, drawn = np.full(n, names().vocab.stoi["<bos>"]), None, []
    for _ in range(max_len):
        z, state = step(model, token, state)
        token = draw(probs(z, tau), rng)
        drawn.append(token)
    return np.stack(drawn, axis=1)                               # (n, max_len)


def sample_ids_rerun(model, tau, n, rng, max_len):
    """The same draws, re-reading the whole prefix for every character."""
    x = np.full((n, 1), names().vocab.stoi["<bos>"])
    for _ in range(max_len):
        x = np.concatenate([x, draw(probs(model(x)[:, -1], tau), rng)[:, None]], axis=1)
    return x[:, 1:]


def sample_names(model, tau, n, rng, max_len=14):
    return [names().vocab.decode(row, sep="") for row in sample_ids(model, tau, n, rng, max_len)]


def greedy_continue(model, prefix, steps):
    out, state = model.rnn(model.embed(prefix))
    new = [model.head(out[:, -1]).argmax(axis=-1)]
    while len(new) < steps:
        z, state = step(model, new[-1], state)
        new.append(z.argmax(axis=-1))
    return np.stack(new, axis=1)


def greedy_rerun(model, prefix, steps):
    x = prefix
    for _ in range(steps):
        x = np.concatenate([x, model(x)[:, -1].argmax(axis=-1)[:, None]], axis=1)
    return x[:, prefix.shape[1]:]


# -- the claims ----------------------------------------------------------------------------------
def test_rnn_perplexity_beats_the_ngrams(learning_seed, measured):
    """Test perplexity of the RNN 7.20-7.41 over seeds 0-9 x kernels (7.20-7.37 for the
    chapter's seeds 0-2), against 10.47 for the bigram table (counted on the training names,
    add-one smoothing): at least 29 % below the bigram's on every run; the chapter asserts
    15 % for the worst of its three seeds, this test 20 % for each."""
    d = names()
    K = len(d.vocab)
    keep, keep_te = d.train.Y != -100, d.test.Y != -100
    big = np.ones((K, K))
    np.add.at(big, (d.train.X[keep], d.train.Y[keep]), 1)
    big /= big.sum(axis=1, keepdims=True)
    bigram = np.exp(-np.log(big[d.test.X[keep_te], d.test.Y[keep_te]]).mean())
    loss = train.evaluate(trained(learning_seed), (d.test.X, d.test.lengths, d.test.Y),
                          loss="cross_entropy", forward=lambda m, x, n: m(x, lengths=n))["loss"]
    ppl = measured("perplexity", np.exp(loss))
    assert bigram == pytest.approx(10.47, abs=0.01)
    assert ppl < 0.8 * bigram


def test_stored_state_generation_equals_rereading(learning_seed, measured):
    """Greedy continuations of the 516 test names (11 characters after the first letter) and
    300 names sampled at tau = 1 are the same from the stored state as from re-reading the
    prefix, on all 30 runs of seeds 0-9 x kernels. (The two compute the logits in different
    orders, so they may differ by float32 rounding; an argmax or a draw could flip on a
    near-tie, which never happened here.)"""
    d, model = names(), trained(learning_seed)
    prefix, T = d.test.X[:, :2], d.test.X.shape[1]
    assert np.array_equal(greedy_continue(model, prefix, T - 1), greedy_rerun(model, prefix, T - 1))
    stored = sample_ids(model, 1.0, 300, np.random.default_rng(5), 14)
    assert np.array_equal(stored, sample_ids_rerun(model, 1.0, 300, np.random.default_rng(5), 14))


def test_free_running_gap_is_made_by_the_metric(learning_seed, measured):
    """Position by position against the true test names, from the 2nd letter: teacher forcing
    0.406-0.419 right, greedy free running 0.221-0.255 (seeds 0-9 x kernels), the gap the
    chapter shows (41 % and 24 % for seed 0). Where free running has written the true name so
    far (0.251-0.261 of the positions) its guess equals the teacher-forced one at every
    position of every run: the gap comes from scoring a different name after the first
    different character."""
    d, model = names(), trained(learning_seed)
    X, Y, T = d.test.X, d.test.Y, d.test.X.shape[1]
    free = greedy_continue(model, X[:, :2], T - 1)
    forced = model(X, lengths=d.test.lengths).argmax(axis=-1)
    after = (Y != -100) & (np.arange(T) >= 1)
    hit = free == Y[:, 1:]
    on_track = np.cumprod(np.c_[np.ones(len(X), bool), hit[:, :-1]], axis=1).astype(bool) & after[:, 1:]
    tf = measured("teacher forcing", (forced == Y)[after].mean())
    fr = measured("free running", hit[after[:, 1:]].mean())
    measured("on track", on_track.sum() / after.sum())
    assert (free == forced[:, 1:])[on_track].all()
    assert 0.38 < tf < 0.45 and 0.19 < fr < 0.29 and tf > fr + 0.1


def test_exposure_bias_against_a_known_language(learning_seed, measured):
    """The trained model of the seed is the truth p*; 4,130 names drawn from it at tau = 1
    train a model q (seed + 1) with teacher forcing, the chapter's recipe. The mean
    Kullback-Leibler divergence D_t of q from p* per character, on 2,000 names each, over
    seeds 0-9 x kernels: true prefixes (drawn from p*) 0.158-0.181 nats; q's own prefixes at
    tau = 1 0.158-0.181, own / true 0.985-1.033 (0.945-1.074 over steps t >= 6, and
    0.887-1.164 step by step for t = 2..8); a second set of true prefixes, the size of
    chance differences: 0.979-1.017 times the first (0.956-1.059 over t >= 6); q's own at
    tau = 1.5 0.189-0.215, 1.170-1.273 times the true-prefix error, and 1.09-1.20 times at
    each step t = 3..9. So: exposure bias on names of at most a few per cent, about the size
    of the chance differences between two sets of names, and a measurement that does see
    prefixes unlike the training data (tau = 1.5). Weighting: a name has 6.73-7.12 steps on
    average in the true set, 6.64-7.19 own, 7.05-7.79 at tau = 1.5; with each step weighted
    as often as in the true set the ratios are 0.985-1.029 (own, at most 0.005 from the
    plain mean) and 1.165-1.223 (tau = 1.5)."""
    truth, vocab = trained(learning_seed), names().vocab
    rng = np.random.default_rng(learning_seed)
    X, Y, lengths = data.text.lm_arrays(sample_names(truth, 1.0, 4130, rng, 20), vocab)
    student = fit_names_model(learning_seed + 1, X, lengths, Y)
    drawn = [k for k in range(len(vocab)) if k not in specials()]

    def divergence(texts):
        x, y, n = data.text.lm_arrays(texts, vocab)
        log_star, log_p = (losses.log_softmax(m(x, lengths=n)[..., drawn].astype(float))
                           for m in (truth, student))
        return (np.exp(log_star) * (log_star - log_p)).sum(axis=-1), y != -100

    def step_means(d, real):                                       # steps t = 1..21
        return np.array([d[:, t][real[:, t]].mean() if real[:, t].any() else 0.0
                         for t in range(d.shape[1])])

    mean_d, late, per_step, count = {}, {}, {}, None
    for label, model, tau in (("true", truth, 1.0), ("own", student, 1.0), ("hot", student, 1.5)):
        d, real = divergence(sample_names(model, tau, 2000, rng, 20))
        mean_d[label] = measured(f"D {label}", d[real].mean())
        measured(f"steps {label}", real.sum(axis=1).mean())         # a name's steps, <eos> incl.
        late[label] = d[:, 5:][real[:, 5:]].mean()                  # steps t >= 6
        per_step[label] = np.pad(step_means(d, real), (0, 21))[:21]
        count = real.sum(axis=0) if count is None else count        # the true set's steps
    weights = np.pad(count, (0, 21))[:21]
    for label in ("own", "hot"):                                    # each step weighted as in true
        measured(f"{label} / true, step-weighted",
                 weights @ per_step[label] / (weights @ per_step["true"]))
    d, real = divergence(sample_names(truth, 1.0, 2000, rng, 20))   # true prefixes again
    again = measured("true again / true", d[real].mean() / mean_d["true"])
    measured("true again / true, t >= 6", d[:, 5:][real[:, 5:]].mean() / late["true"])
    own = measured("own / true", mean_d["own"] / mean_d["true"])
    hot = measured("hot / true", mean_d["hot"] / mean_d["true"])
    own_late = measured("own / true, t >= 6", late["own"] / late["true"])
    step_ratio = per_step["own"][1:8] / per_step["true"][1:8]       # steps t = 2..8
    measured("step ratio min", step_ratio.min())
    measured("step ratio max", step_ratio.max())
    hot_steps = per_step["hot"][2:9] / per_step["true"][2:9]        # steps t = 3..9
    measured("hot step min t>=3", hot_steps.min())
    assert hot_steps.min() > 1.0                                    # the figure's alt text
    assert abs(own - 1) < 0.1 and abs(own_late - 1) < 0.15 and hot > 1.1 and abs(again - 1) < 0.05
    assert np.all(np.abs(step_ratio - 1) < 0.25)


def test_temperature_trades_real_names_for_variety(learning_seed, measured):
    """400 names drawn at each tau from the seed's model (generator seed 0, as the chapter),
    over seeds 0-9 x kernels: real (in the training list) 0.285-0.405 at tau = 0.5,
    0.088-0.140 at 1, 0.025-0.058 at 1.5, falling as tau rises on every run; distinct
    0.79-0.88 at tau = 0.5, 0.98-1.0 at 1 and 0.995-1.0 at 1.5; mean length 5.66-6.46
    letters at tau = 0.5, 5.82-6.30 at 1 and 6.08-6.54 at 1.5 (the test names: 6.11), the
    names at 1.5 longer than those at 1 by 0.10-0.46 letters on every run (a small margin:
    seed 4)."""
    d, model = names(), trained(learning_seed)
    rng, known = np.random.default_rng(0), set(d.train.names)
    real, distinct, length = {}, {}, {}
    for tau in (0.5, 1.0, 1.5):
        drawn = sample_names(model, tau, 400, rng)
        real[tau] = measured(f"real {tau}", np.mean([n in known for n in drawn]))
        distinct[tau] = measured(f"distinct {tau}", len(set(drawn)) / len(drawn))
        length[tau] = measured(f"length {tau}", np.mean([len(n) for n in drawn]))
    assert real[0.5] > real[1.0] > real[1.5]
    assert 0.2 < real[0.5] < 0.5 and real[1.0] < 0.2
    assert distinct[0.5] < 0.93 and min(distinct[1.0], distinct[1.5]) > 0.95
    assert length[1.5] > length[1.0]


def test_tagger_recalls_the_symbol_two_steps_back(learning_seed, measured):
    """Delayed recall (T = 20, lag 2, 4 symbols), the chapter's tagger (embedding 8, RNN 32,
    6 epochs): 1.0 of the test labels right on all 30 runs of seeds 0-9 x kernels; the
    memoryless baseline 0.22."""
    X, Y = data.delayed_recall(2500, T=20, lag=2, n_symbols=4, seed=0)
    tagger = cp.SequenceTagger(cp.RNN(8, 32, batch_first=True, seed=learning_seed), 5,
                               vocab_size=5, seed=learning_seed)
    train.fit(tagger, (X[:2000], Y[:2000]), loss="cross_entropy", epochs=6, lr=1e-2,
              batch_size=32, seed=learning_seed)
    acc = measured("accuracy", metrics.token_accuracy(tagger(X[2000:]), Y[2000:]))
    majority = baselines.MajorityTagger().fit(X[:2000].tolist(), Y[:2000].tolist())
    base = metrics.token_accuracy(np.array(majority.predict(X[2000:].tolist())), Y[2000:])
    assert acc > 0.97 and base < 0.3
