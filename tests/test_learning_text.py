"""Learning results of chapter 11 (text applications), re-run over seeds: the couplet tagger
against the counterpart lookup, the quatrain language model against n-grams, the LSTM against
the vanilla RNN on sentiment (as given, and with the decision moved 10 words from the end), and
RNN vs LSTM vs GRU on the couplets. Each test trains what the chapter trains, from
``learning_seed`` (``--learning-seeds 0,1,2``; ``make test-kernels SEEDS=0,1,2``), and its
docstring gives the range measured over seeds 0-2 x the OpenBLAS kernels Haswell, SkylakeX and
Prescott, and over seeds 3-5 on the default kernel (the chapter quotes seeds 0-5). The couplet
and poem models use the torch back-end (which does not use OpenBLAS); the sentiment models the
NumPy one. Each test runs in under a minute on two CPU cores."""
from collections import Counter

import numpy as np
import pytest

import course_pkg as cp
from course_pkg import baselines, data, metrics, train
from course_pkg.data import Vocab
from course_pkg.heads import SequenceClassifier, SequenceTagger

pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py

SPECIALS = [0, 1, 2, 3]                              # <pad> <unk> <bos> <eos>: never predicted


def forward(model, x, lengths):
    return model(x, lengths=lengths)


# -- couplets: the chapter's set-up ---------------------------------------------------------------
@pytest.fixture(scope="module")
def couplets():
    """The couplets with the second line over the 1,000 most frequent characters + <unk>."""
    cpl = data.couplets_dataset()
    out_vocab = Vocab.build(list(cpl.train.second), max_size=1000, order="freq")
    to_out = np.array([out_vocab.stoi.get(c, 1) for c in cpl.vocab.itos])
    Y = {name: np.where(part.Y == -100, -100, to_out[np.maximum(part.Y, 0)])
         for name, part in zip(("train", "val", "test"), cpl[:3])}
    return cpl, out_vocab, Y


def top1_top5(top, Y):
    real = Y != -100
    return (top[..., 0] == Y)[real].mean(), (top == Y[..., None]).any(-1)[real].mean()


def tagger(cpl, K, cell, H, seed):
    rnn = getattr(cp, cell)(32, H, batch_first=True, bidirectional=True, seed=seed, backend="torch")
    return SequenceTagger(rnn, K, vocab_size=len(cpl.vocab), seed=seed + 1)


def test_couplet_tagger_against_the_lookup(couplets, learning_seed, measured):
    """A BiGRU tagger (E = H = 32, 2 epochs) on the held-out test couplets, over seeds 0-2 x
    kernels Haswell, SkylakeX, Prescott (the same per seed on every kernel: torch back-end) and
    seeds 3-5: top-1 0.083-0.089, top-5 0.208-0.214, perplexity 114-117, without the <unk>
    targets 185-197; the counterpart lookup 0.090 / 0.214 / 171 / 256, the unigram 0.008 /
    0.043 / 362. Where the first line has a number word, the model writes one in 0.87-0.97 of
    the cases (the true second line: 0.62); opposite a colour, a colour in 0.95-1.00 (true:
    0.51). Its first choice opposite 山 is 水 on every run. It writes 一 opposite 一 in 24
    (seed 0) and 0-2 (seeds 1-5) of the 56 test cases (the true lines: never), so that is not
    asserted. On 声律启蒙's couplets it agrees with the primer's character at 0.074-0.102 of
    positions (five characters) and 0.117-0.127 (seven), the lookup at 0.116 and 0.138."""
    cpl, out_vocab, Y = couplets
    K = len(out_vocab)
    tr, te = cpl.train, cpl.test
    model = tagger(cpl, K, "GRU", 32, learning_seed)
    train.fit(model, (tr.X, tr.lengths, Y["train"]), loss="cross_entropy", epochs=2, lr=0.01, batch_size=128,
              seed=learning_seed, forward=forward)
    z = train.predict(model, (te.X, te.lengths), forward=forward, batch_size=512)
    ppl = np.exp(train.evaluate(model, (te.X, te.lengths, Y["test"]), loss="cross_entropy", forward=forward,
                                batch_size=512)["loss"])
    known = np.where(Y["test"] == 1, -100, Y["test"])          # <unk> targets left out
    ppl_known = np.exp(train.evaluate(model, (te.X, te.lengths, known), loss="cross_entropy",
                                      forward=forward, batch_size=512)["loss"])
    z[..., SPECIALS] = -np.inf
    top1, top5 = top1_top5(np.argsort(-z, axis=-1)[..., :5], Y["test"])
    lookup = baselines.CounterpartLookup(K, k=0.1).fit(tr.X, Y["train"])
    l1, l5 = top1_top5(lookup.predict(te.X, top=5, exclude=SPECIALS), Y["test"])
    l_ppl = 2 ** lookup.bits_per_token(te.X, Y["test"])
    l_known = 2 ** lookup.bits_per_token(te.X, known)
    unigram = baselines.NGramLM(1, K).fit(tr.X, Y["train"])
    u1, _ = top1_top5(unigram.predict(te.X, top=5, exclude=SPECIALS), Y["test"])
    for name, value in (("top-1", top1), ("top-5", top5), ("perplexity", ppl), ("lookup top-1", l1),
                        ("lookup ppl", l_ppl), ("ppl no unk", ppl_known), ("lookup ppl no unk", l_known)):
        measured(name, value)
    assert abs(top1 - l1) < 0.02 and abs(top5 - l5) < 0.02     # about as often right as the table
    assert ppl < 0.8 * l_ppl                                   # but better calibrated
    assert ppl_known < 0.85 * l_known                          # and not only on the <unk> class
    assert top1 > 5 * u1
    pred, real = z.argmax(-1), Y["test"] != -100
    for chars, floor in (("一二三四五六七八九十百千万两几", 0.8), ("白青红黄绿碧紫黑朱丹翠苍素", 0.9)):
        where = np.isin(te.X, [cpl.vocab.stoi[c] for c in chars]) & real
        share = measured(f"class {chars[0]}", np.isin(pred[where], [out_vocab.stoi[c] for c in chars]).mean())
        truth = np.isin(Y["test"][where], [out_vocab.stoi[c] for c in chars]).mean()
        assert share > floor > truth + 0.15
    one = (te.X == cpl.vocab.stoi["一"]) & real
    measured("一 -> 一", (pred[one] == out_vocab.stoi["一"]).sum())       # a habit of some runs only
    assert (Y["test"][one] == out_vocab.stoi["一"]).sum() == 0
    mountain = (te.X == cpl.vocab.stoi["山"]) & real
    assert Counter(pred[mountain]).most_common(1)[0][0] == out_vocab.stoi["水"]
    # 声律启蒙's couplets: agreement with the primer's own second line, position by position
    for n in (5, 7):
        firsts, seconds = cpl.primer[[len(f) == n for f in cpl.primer[:, 0]]].T
        X = np.array([cpl.vocab.encode(f) for f in firsts])
        zp = train.predict(model, (X, np.full(len(X), n)), forward=forward)
        zp[..., SPECIALS] = -np.inf
        truth = np.array([[out_vocab.stoi.get(c, 1) for c in t] for t in seconds])
        ours = measured(f"primer{n} model", (zp.argmax(-1) == truth).mean())
        table = measured(f"primer{n} lookup", (lookup.predict(X, exclude=SPECIALS)[..., 0] == truth).mean())
        assert ours < 0.25 and table < 0.25


# -- quatrains: a character language model against n-grams --------------------------------------------
def test_poem_language_model_beats_the_ngrams(learning_seed, measured):
    """A GRU language model (E = 32, H = 64, 2 epochs, Adam 0.01) on the validation quatrains,
    bits per character over seeds 0-2 x kernels Haswell, SkylakeX, Prescott (the same per seed
    on every kernel: torch back-end): 8.09-8.16 (after one epoch 8.56-8.63), seeds 3-5
    8.03-8.14 (8.43-8.65); the add-k n-grams, k chosen on the same split: unigram 9.13, bigram
    9.04, trigram 10.81. On the ends of lines (comma, full stop, <eos>) 0.18-0.32 bits (seeds
    0-5) against the bigram's 4.27; on the characters 9.99-10.13 against 10.23. Where a line's
    5th character is due, a mark is the most probable token in 0.88-0.99 of the cases (seeds
    0-5), with a mean probability of 0.08-0.24. Well-formed quatrains among 100 samples
    (generated on the NumPy back-end, so the kernel matters a little), seeds 0-5: tau 0.5
    0.00-0.01, 0.8 0.01-0.29, 1.0 0.10-0.38, 1.5 0.00-0.03."""
    p = data.poems_dataset()
    K = len(p.vocab)
    lm = SequenceTagger(cp.GRU(32, 64, batch_first=True, seed=learning_seed, backend="torch"), K,
                        vocab_size=K, seed=learning_seed + 1)
    import torch
    opt = torch.optim.Adam(lm.parameters(), lr=0.01)
    for epoch in (1, 2):
        h = train.fit(lm, (p.train.X, p.train.lengths, p.train.Y), val_data=(p.val.X, p.val.lengths, p.val.Y),
                      loss="cross_entropy", epochs=1, optimizer=opt, batch_size=64, clip_norm=5.0,
                      seed=learning_seed + epoch, forward=forward)
        bits = measured(f"bits ep{epoch}", h.val_loss[-1] / np.log(2))
    ngram = {n: baselines.NGramLM(n, K, k=k).fit(p.train.X, p.train.Y).bits_per_token(p.val.X, p.val.Y)
             for n, k in ((1, 1.0), (2, 0.03), (3, 0.01))}
    assert bits < ngram[2] - 0.5 and bits < ngram[3] - 2
    # where the gain comes from: the ends of lines
    z = train.predict(lm, (p.val.X, p.val.lengths), forward=forward)
    logp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) - z.max(-1, keepdims=True)
    real = p.val.Y != -100
    model_bits = np.full(p.val.Y.shape, np.nan)
    model_bits[real] = -np.take_along_axis(logp, np.maximum(p.val.Y, 0)[..., None], -1)[..., 0][real] / np.log(2)
    big = -baselines.NGramLM(2, K, k=0.03).fit(p.train.X, p.train.Y).log_prob(p.val.X, p.val.Y) / np.log(2)
    ends = np.isin(p.val.Y, [3, p.vocab.stoi["，"], p.vocab.stoi["。"]])
    chars = real & ~ends
    measured("ends bits", np.nanmean(model_bits[ends])), measured("chars bits", np.nanmean(model_bits[chars]))
    measured("bigram ends", np.nanmean(big[ends])), measured("bigram chars", np.nanmean(big[chars]))
    assert np.nanmean(model_bits[ends]) < 0.6 < 2.5 < np.nanmean(big[ends])
    assert np.nanmean(model_bits[chars]) < np.nanmean(big[chars])
    # where a line's 5th character is due, a punctuation mark is often the single most probable token
    fifth = np.zeros(p.val.Y.shape, dtype=bool)
    fifth[:, [4, 10, 16, 22]] = True
    marks = [p.vocab.stoi["，"], p.vocab.stoi["。"]]
    prob = np.exp(z - z.max(-1, keepdims=True))
    p_mark = measured("p(mark) at 5th", ((prob[..., marks].sum(-1) / prob.sum(-1))[fifth]).mean())
    early = measured("mark argmax 5th", np.isin(z.argmax(-1)[fifth], marks).mean())
    assert early > 0.3 and p_mark < 0.5
    # samples: the share of well-formed quatrains (4 lines of 5 characters) at each temperature
    lm_np = SequenceTagger(cp.GRU(32, 64, batch_first=True), K, vocab_size=K)
    lm_np.load_state_dict(lm.state_dict())
    rng = np.random.default_rng(0)
    form = {tau: measured(f"form tau={tau}", np.mean([well_formed(generate(lm_np, p.vocab, tau, rng))
                                                       for _ in range(100)])) for tau in (0.5, 0.8, 1.0, 1.5)}
    assert form[1.0] > max(form[0.5], form[1.5]) + 0.05


def generate(model, vocab, tau, rng, max_len=24):
    """A poem sampled step by step from the stored state (the chapter's ``generate``)."""
    state, token, text = None, 2, ""
    K = len(vocab)
    while len(text) < max_len:
        out, state = model.rnn(model.embed(np.array([[token]])), state)
        z = model.head(out)[0, 0].astype(np.float64) / tau
        z[[0, 1, 2]] = -np.inf
        prob = np.exp(z - z.max())
        token = rng.choice(K, p=prob / prob.sum())
        if token == 3:
            break
        text += vocab.itos[token]
    return text


def well_formed(text):
    return len(text) == 24 and all(text[6 * i + 5] == "，。"[i % 2] and "，" not in text[6 * i:6 * i + 5]
                                   and "。" not in text[6 * i:6 * i + 5] for i in range(4))


# -- sentiment: what the LSTM buys ---------------------------------------------------------------------------
NEUTRAL = ("the", "movie", "film", "plot", "story", "script", "cast", ",", "i", "think", "in", "my",
           "opinion", "honestly", "overall")


def with_tail(part, vocab, n_words, seed):
    """Each sentence followed by ``n_words`` neutral words drawn at random (as the chapter does)."""
    rng = np.random.default_rng(seed)
    ids = [vocab.stoi[w] for w in NEUTRAL]
    X = np.zeros((len(part.X), part.X.shape[1] + n_words), dtype=np.int64)
    for i, n in enumerate(part.lengths):
        X[i, :n] = part.X[i, :n]
        X[i, n:n + n_words] = rng.choice(ids, n_words)
    return X, part.lengths + n_words


def sentiment_accuracy(cell, s, X, L, X_test, L_test, epochs, seed):
    model = SequenceClassifier(getattr(cp, cell)(16, 32, batch_first=True, seed=seed), 2, vocab_size=len(s.vocab),
                               seed=seed + 1)
    train.fit(model, (X, L, s.train.y), loss="cross_entropy", epochs=epochs, lr=0.01, batch_size=32, seed=seed)
    pred = model.eval()(X_test, L_test).argmax(-1)
    hard = np.isin(s.test.pattern, ["negated", "contrast"])
    return metrics.accuracy(pred, s.test.y), metrics.accuracy(pred[hard], s.test.y[hard])


def test_lstm_sentiment_short_sentences_and_a_tail(learning_seed, measured):
    """Test accuracy (all sentences / negated + contrast) over seeds 0-2 x kernels Haswell,
    SkylakeX, Prescott. As generated (5 epochs; the same per seed on every kernel): vanilla
    RNN 0.94-1.00 / 0.89-1.00, LSTM 0.90-0.98 / 0.80-0.95: on sentences of at most 14 tokens
    the gates buy nothing. With 10 neutral words after each sentence (8 epochs; here the kernel
    matters): RNN 0.47-0.65 / 0.43-0.52, LSTM 0.93-1.00 / 0.87-1.00. Seeds 3-5 (default
    kernel): as generated RNN 1.00 / 1.00, LSTM 0.99-1.00 / 0.98-1.00; with the tail RNN
    0.48-0.53 / 0.48-0.53, LSTM 1.00 / 1.00."""
    s = data.load("sentiment", seed=0)
    plain = {cell: sentiment_accuracy(cell, s, s.train.X, s.train.lengths, s.test.X, s.test.lengths, 5,
                                      learning_seed) for cell in ("RNN", "LSTM")}
    X, L = with_tail(s.train, s.vocab, 10, 1)
    X_test, L_test = with_tail(s.test, s.vocab, 10, 2)
    tail = {cell: sentiment_accuracy(cell, s, X, L, X_test, L_test, 8, learning_seed) for cell in ("RNN", "LSTM")}
    for cell in ("RNN", "LSTM"):
        measured(f"{cell} all", plain[cell][0]), measured(f"{cell} hard", plain[cell][1])
        measured(f"{cell} tail all", tail[cell][0]), measured(f"{cell} tail hard", tail[cell][1])
    assert min(plain["RNN"][1], plain["LSTM"][1]) > 0.7
    assert tail["LSTM"][0] > 0.85 and tail["RNN"][0] < 0.75
    assert tail["LSTM"][0] > tail["RNN"][0] + 0.2


# -- RNN vs LSTM vs GRU on the couplets ----------------------------------------------------------------------
CELLS = (("RNN", 32), ("LSTM", 32), ("GRU", 32), ("RNN", 76), ("GRU", 39))   # equal H, then equal parameters


def test_cells_on_the_couplets(couplets, learning_seed, measured):
    """One pass over 6,000 training couplets (bidirectional, E = 32), validation loss on 1,000
    validation couplets, over seeds 0-2 x kernels Haswell, SkylakeX, Prescott: at H = 32 the
    RNN 5.61-5.63, the LSTM 5.72-5.73, the GRU 5.68-5.72; at the LSTM's 8,448 recurrent
    parameters per direction the RNN (H = 76) 5.61-5.64 and the GRU (H = 39) 5.66-5.70 (the
    same per seed on every kernel: torch back-end). Seeds 3-5: RNN 5.62-5.65, LSTM 5.69-5.74,
    GRU 5.69-5.74; RNN (H = 76) 5.63-5.65, GRU (H = 39) 5.65-5.71. At equal H the plain RNN is
    lowest on every seed, ahead by 0.03 nats or more. At equal parameters it is ahead of the
    LSTM by 0.057 or more, and of the GRU (H = 39) on every seed, but by 0.003 (seed 3) to
    0.080: that order is not asserted, only that the GRU is never clearly ahead."""
    cpl, out_vocab, Y = couplets
    K = len(out_vocab)
    sub = np.random.default_rng(0).permutation(len(cpl.train.X))[:6000]
    val = np.arange(1000)
    loss = {}
    for cell, H in CELLS:
        model = tagger(cpl, K, cell, H, learning_seed)
        train.fit(model, (cpl.train.X[sub], cpl.train.lengths[sub], Y["train"][sub]), loss="cross_entropy",
                  epochs=1, lr=0.01, batch_size=64, seed=learning_seed, forward=forward, log_grad_norm=False)
        loss[cell, H] = measured(f"{cell} H={H}", train.evaluate(
            model, (cpl.val.X[val], cpl.val.lengths[val], Y["val"][val]), loss="cross_entropy", forward=forward,
            batch_size=500)["loss"])
    assert loss["RNN", 32] < min(loss["LSTM", 32], loss["GRU", 32]) - 0.03
    assert loss["RNN", 76] < loss["LSTM", 32] - 0.03
    assert loss["RNN", 76] < loss["GRU", 39] + 0.02
