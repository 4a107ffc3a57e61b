"""Learning results of chapter 6 (1 vs N: a digit image -> its spelled word), re-run over seeds.

Each test trains what the chapter trains, from ``learning_seed`` (``--learning-seeds 0,1,2``;
``make test-kernels SEEDS=0,1,2``), on the NumPy back-end (so the OpenBLAS kernel matters),
and its docstring gives the range measured over seeds 0-19 x the OpenBLAS kernels Haswell,
SkylakeX and Prescott (the chapter shows seed 0). The 270 test images and the baselines are
the same for every seed: the seed only changes the model's initial weights and the order of
its batches. Per seed the tests take about 5.5 s of CPU (two NumPy generators of about 1 s each,
two torch.nn captioners of 1-2 s, the first paying torch's warm-up), besides about 5 s to start
pytest, import torch and scikit-learn and load the digits, which a whole ``make test`` pays
once."""
import ast
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import course_pkg as cp
from course_pkg import data, train

pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py

ROOT = Path(__file__).resolve().parents[1]
BOS, EOS, MAX_LEN = 2, 3, 8
D = data.digits_captions(level="char", seed=0)
WORDS = np.array(data.digits.WORDS)
K, E, H, F = len(D.vocab), 16, 32, 64


def flat(split):
    return split.images.reshape(len(split.images), -1).astype(np.float32)   # (n, 64)


def spell(tokens):
    """Token ids -> the word written before the first <eos>."""
    out = []
    for t in tokens:
        if t == EOS:
            break
        out.append(D.vocab.itos[t])
    return "".join(out)


_models = {}


def generator(seed, eos=True):
    """The chapter's generator: RNN(E=16, H=32), 30 epochs of Adam 0.01, batches of 32
    (cached per seed; ``eos=False`` trains without the <eos> targets). The chapter also
    scores the validation set after each epoch; without early stopping that leaves the
    weights unchanged (checked: equal arrays), so the tests skip it."""
    if (seed, eos) not in _models:
        tr = D.train
        y_out = tr.Y_out if eos else np.where(tr.Y_out == EOS, -100, tr.Y_out)
        gen = cp.SequenceGenerator(cp.RNN(E, H, batch_first=True, seed=seed), feature_size=F,
                                   vocab_size=K, seed=seed)
        train.fit(gen, (flat(tr), tr.Y_in, y_out), loss="cross_entropy", epochs=30, lr=1e-2,
                  batch_size=32, seed=seed)
        _models[seed, eos] = gen
    return _models[seed, eos]


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def log_probs(gen, features, tokens):
    """log p(tokens | image) under teacher forcing: tokens (n, T) ids ending at <eos>, -100
    after it; the sum of log p_t[y_t] over the steps up to <eos>."""
    y_in = np.concatenate([np.full((len(tokens), 1), BOS), np.maximum(tokens[:, :-1], 0)], 1)
    lp = log_softmax(gen(features, y_in))                                   # (n, T, K)
    picked = np.take_along_axis(lp, np.maximum(tokens, 0)[..., None], -1)[..., 0]
    return np.where(tokens >= 0, picked, 0.0).sum(1)


def as_targets(words):
    """Words -> (n, MAX_LEN + 1) targets: letters, <eos>, then -100."""
    out = np.full((len(words), MAX_LEN + 1), -100)
    for i, w in enumerate(words):
        ids = D.vocab.encode(list(w))
        out[i, :len(ids) + 1] = np.r_[ids, EOS]
    return out


def word_scores(gen, features):
    """(n, 10): log p(word | image) of each of the ten words."""
    return np.stack([log_probs(gen, features, as_targets([w] * len(features))) for w in WORDS], 1)


def most_probable_strings(gen, features, bound):
    """Exhaustive search: for each image the most probable token sequence ending in <eos>
    within MAX_LEN steps, if one beats ``bound`` (n,) log-probabilities; else None. Every step
    multiplies by a probability <= 1, so only prefixes above the bound can lead to a better
    string: branch and bound, exact."""
    best = [None] * len(features)
    bound = bound.copy()
    frontier = [(i, (), 0.0) for i in range(len(features))]           # (image, prefix, log p)
    for _ in range(MAX_LEN):                                 # every prefix has the same length
        if not frontier:
            break
        img = np.array([i for i, _, _ in frontier])
        y_in = np.array([(BOS,) + p for _, p, _ in frontier])                # (rows, steps)
        lp = log_softmax(gen(features[img], y_in)[:, -1])                    # (rows, K)
        grown = []
        for r, (i, p, s) in enumerate(frontier):
            for k in np.flatnonzero(s + lp[r] > bound[i]):
                if k == EOS:
                    bound[i], best[i] = s + lp[r, k], "".join(D.vocab.itos[t] for t in p)
                else:
                    grown.append((i, p + (int(k),), s + lp[r, k]))
        frontier = [(i, p, s) for i, p, s in grown if s > bound[i]]
    return best


@pytest.fixture(scope="module")
def baselines():
    """Exact match of the chapter's baselines on the 270 test images (no seed involved)."""
    from sklearn.linear_model import LogisticRegression
    tr, te = D.train, D.test
    logreg = LogisticRegression(max_iter=2000).fit(flat(tr), tr.labels)
    centroids = np.stack([flat(tr)[tr.labels == k].mean(0) for k in range(10)])
    nearest = ((flat(te)[:, None] - centroids) ** 2).sum(-1).argmin(1)
    return {"logistic regression": np.mean(WORDS[logreg.predict(flat(te))] == te.captions),
            "nearest centroid": np.mean(WORDS[nearest] == te.captions),
            "majority word": np.mean(WORDS[np.bincount(tr.labels).argmax()] == te.captions)}


def greedy_words(gen):
    return np.array([spell(t) for t in gen.generate(flat(D.test), bos=BOS, max_len=MAX_LEN, eos=EOS)])


def test_the_captioner_reads_and_spells(baselines, learning_seed, measured):
    """Greedy exact match on the 270 test images over seeds 0-19 x kernels Haswell, SkylakeX,
    Prescott: 0.952-0.993 (seeds 0-4: 0.974-0.978; seed 5, 0.952, is the one seed below
    0.974); logistic regression + lookup 0.978, nearest centroid
    0.893, majority word 0.081 on every run. Captioner minus logistic regression: -0.026 to
    +0.015. Wrong captions that are not one of the ten words: 0 in 58 of the 60 runs, 1 in the
    other two (seed 18 on Haswell and SkylakeX: "eix" for a six). The chapter asserts > 0.93,
    above the centroid, within 0.04 of the logistic regression, and at most one non-word."""
    words = greedy_words(generator(learning_seed))
    em = measured("greedy EM", np.mean(words == D.test.captions))
    for name, value in baselines.items():
        measured(name, value)
    non_words = measured("non-words", np.sum((words != D.test.captions) & ~np.isin(words, WORDS)))
    assert em > 0.93 and em > baselines["nearest centroid"] + 0.03
    assert em > baselines["logistic regression"] - 0.04
    assert baselines["majority word"] < 0.15
    assert non_words <= 1


def test_greedy_against_the_best_of_the_ten_words(learning_seed, measured):
    """Scoring the ten words (log p under teacher forcing, <eos> included) and picking the
    best, against greedy decoding, over seeds 0-19 x kernels Haswell, SkylakeX, Prescott. A
    wrong greedy caption is a search error when the best of the ten words is the true word (a
    better search would have written it), else a model error; counting instead the wrong
    captions whose true word is more probable than greedy's word gives the same images on all
    60 runs (asserted). Search errors: 1 image with seeds 0 and 7, 0 with the other 18 seeds,
    on every kernel; every other error (2-13 per run) is a model error.

    Greedy's caption differs from the model's most probable one (the exhaustive search) on 1
    image with seeds 0, 5, 7 and 14 (2 with seed 7 on Haswell), on none with the other 16: with
    seeds 0 and 7 that costs a right caption; with seed 5 (and seed 7 on Haswell) greedy is
    right by luck where the most probable word is wrong; with seed 14 both are wrong. So the
    exact match of the best of ten minus greedy's is -1, 0 or +1 image of 270: +1 with seed 0
    (0.974 -> 0.978) on every kernel and seed 7 on SkylakeX and Prescott; -1 with seed 5 on
    every kernel; 0 otherwise (seed 7 on Haswell has one of each). The exhaustive search found
    a string more probable than the best of the ten words for one image in 2 of the 60 runs
    (seed 18 on Haswell and SkylakeX: the non-word "eix" that greedy wrote for a six, p = 0.42
    against 0.39 for "eight"), none in the others. The chapter asserts at most two search
    errors and a gap of at most two images."""
    gen = generator(learning_seed)
    X, truth, labels = flat(D.test), D.test.captions, D.test.labels
    words = greedy_words(gen)
    scores = word_scores(gen, X)                                        # (270, 10)
    best = WORDS[scores.argmax(1)]
    wrong = words != truth
    search = measured("search errors", np.sum(wrong & (best == truth)))
    model = measured("model errors", np.sum(wrong & (best != truth)))
    greedy_lp = log_probs(gen, X, as_targets(words))
    true_lp = scores[np.arange(len(X)), labels]
    assert np.array_equal(wrong & (best == truth), wrong & (true_lp > greedy_lp))
    gain = measured("best10 - greedy", np.mean(best == truth) - np.mean(words == truth))
    modes = most_probable_strings(gen, X, scores.max(1) - 1e-4)   # finds the best word again
    beaten = measured("modes not among the ten", sum(m != b for m, b in zip(modes, best)))
    missed = measured("greedy != mode", sum(m != w for m, w in zip(modes, words)))
    assert search <= 2 and model >= 1 and abs(gain) <= 2 / 270 + 1e-9
    assert beaten <= 2, [(m, b) for m, b in zip(modes, best) if m != b]
    assert missed <= 3


def test_without_an_end_token_the_model_does_not_stop(learning_seed, measured):
    """Trained without the <eos> targets and decoded for 8 steps, over seeds 0-19 x kernels
    Haswell, SkylakeX, Prescott: exact match 0 on every run; the right word comes first in
    0.967-0.989 of the test images. The chapter asserts 0 and > 0.9."""
    gen = generator(learning_seed, eos=False)
    raw = [spell(t) for t in gen.generate(flat(D.test), BOS, max_len=MAX_LEN)]
    first = measured("right word first", np.mean([r.startswith(c) for r, c in zip(raw, D.test.captions)]))
    exact = measured("exact match", np.mean(np.array(raw) == D.test.captions))
    assert exact == 0 and first > 0.9


def chapter_captioner():
    """The class ``Captioner`` as chapter 6 defines it, read from the notebook."""
    nb = json.loads((ROOT / "notebooks" / "ch06_1_vs_n.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        for node in ast.parse(src).body if "class Captioner" in src else ():
            if isinstance(node, ast.ClassDef) and node.name == "Captioner":
                space = {"nn": torch.nn, "torch": torch, "BOS": BOS, "EOS": EOS}
                exec(compile(ast.Module([node], []), "ch06", "exec"), space)
                return space["Captioner"]
    raise AssertionError("Expected class Captioner in notebooks/ch06_1_vs_n.ipynb, got none")


def test_the_image_as_h0_or_at_every_step(learning_seed, measured):
    """torch.nn captioners, 20 epochs, over seeds 0-19 x kernels Haswell, SkylakeX, Prescott
    (the same per seed on every kernel): the image as h_0 0.952-0.985 (seeds 0-4:
    0.967-0.978), the image at every step 0.959-0.982 (seeds 0-4: 0.959-0.974); init minus
    every -0.019 to +0.026, init ahead with 15 seeds, every with 4, one tie. The chapter
    asserts both > 0.93 and within 0.04 of each other."""
    Captioner, tr = chapter_captioner(), D.train
    v_test = torch.tensor(flat(D.test))
    em = {}
    for mode in ("init", "every"):
        torch.manual_seed(learning_seed)
        model = Captioner(mode)
        train.fit(model, (flat(tr), tr.Y_in, tr.Y_out), loss="cross_entropy", epochs=20, lr=1e-2,
                  batch_size=32, seed=learning_seed)
        words = np.array([spell(t) for t in model.generate(v_test)])
        em[mode] = measured(f"{mode} EM", np.mean(words == D.test.captions))
    measured("init - every", em["init"] - em["every"])
    assert min(em.values()) > 0.93 and abs(em["init"] - em["every"]) < 0.04
