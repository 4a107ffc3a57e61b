"""Exercise 11 (n-gram bits per character, an LSTM sentiment classifier, the counterpart
lookup): the partial marks its rubric is designed to give, and its references checked.

Each wrong submission is the solution notebook with cells edited the way learners get them
wrong (``grading_fixtures.edit``: every edit must apply once, so the table follows the
solution); the grader must give exactly the designed points, fail exactly the tests the
mistake breaks, and say why in the hint. (Full marks for the solution and zero for the blank
exercise are checked for every exercise in ``test_grading.py``.) Each grading starts one
child Python and trains Part 2's LSTM three times (about 3 s).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubrics import ex11_text as ex11
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex11_text.ipynb"
RUBRIC = rubric_for("ex11_text")
PROBS = {"probs_seen", "probs_start", "probs_unseen", "probs_real"}
BITS = {"bits_bigram", "bits_unseen", "bits_real", "bits_hidden"}
LSTM = {"lstm_masked", "lstm_hard", "lstm_seed1"}
LOOKUP = {"lookup_tiny", "lookup_unseen", "lookup_real", "lookup_hidden"}
CHOOSE = {"choose_markov", "choose_quatrains", "choose_hidden"}

LOG2 = ("ngram-bits", "bits.append(-np.log2(p))", "bits.append(-np.log(p))")
NO_KK = [("ngram-probs", "(contexts[u] + k * K)", "(contexts[u] + k)"),
         ("ngram-bits", "(contexts[u] + k * K)", "(contexts[u] + k)")]
JOINED = [("ngram-counts", "    for text in texts:", "    for text in [[c for t in texts for c in t]]:"),
          ("ngram-bits", "    for text in test:", "    for text in [[c for t in test for c in t]]:")]
NO_BOS = [("ngram-counts", "tokens = [BOS] * (n - 1) + list(text) + [EOS]", "tokens = list(text) + [EOS]"),
          ("ngram-bits", "tokens = [BOS] * (n - 1) + list(text) + [EOS]", "tokens = list(text) + [EOS]"),
          ("ngram-probs", "tokens = [BOS] * (n - 1) + list(context)", "tokens = list(context)")]
NO_EOS = [("ngram-counts", "tokens = [BOS] * (n - 1) + list(text) + [EOS]", "tokens = [BOS] * (n - 1) + list(text)"),
          ("ngram-bits", "tokens = [BOS] * (n - 1) + list(text) + [EOS]", "tokens = [BOS] * (n - 1) + list(text)")]
SKIP_UNSEEN = [("ngram-bits", "            p = (pairs[u, tokens[t]]",
                "            if contexts[u] == 0:\n                continue\n            p = (pairs[u, tokens[t]]")]
BACKOFF = [("ngram-probs", "    c = np.array([pairs[u, j]",
            "    if contexts[u] == 0:\n        return ngram_probs(train, [], 1, k, K)\n    c = np.array([pairs[u, j]"),
           ("ngram-bits", "    bits = []\n",                 # the unigram once: choose_k stays fast
            "    unigram = ngram_probs(train, [], 1, k, K)\n    bits = []\n"),
           ("ngram-bits", "            p = (pairs[u, tokens[t]] + k) / (contexts[u] + k * K)",
            "            p = (pairs[u, tokens[t]] + k) / (contexts[u] + k * K)\n"
            "            if contexts[u] == 0:\n"
            "                p = unigram[tokens[t]]")]

K_NOT_KK = [("ngram-probs", "(contexts[u] + k * K)", "(contexts[u] + K)"),
            ("ngram-bits", "(contexts[u] + k * K)", "(contexts[u] + K)")]
NO_K_TOP = [("ngram-probs", "probs = (c + k)", "probs = c"),
            ("ngram-bits", "p = (pairs[u, tokens[t]] + k)", "p = (pairs[u, tokens[t]])")]
UNSEEN_ZERO = [("ngram-probs", "    probs = (c + k) / (contexts[u] + k * K)",
                "    probs = (c + k) / (contexts[u] + k * K)\n    if contexts[u] == 0:\n        probs = np.zeros(K)"),
               ("ngram-bits", "            bits.append(-np.log2(p))",
                "            if contexts[u] == 0:\n                p = 0.0\n            bits.append(-np.log2(p))")]
PER_TEXT = [("ngram-bits", "    bits = []\n    for text in test:",
             "    per = []\n    for text in test:\n        bits = []"),
            ("ngram-bits", "            bits.append(-np.log2(p))\n",
             "            bits.append(-np.log2(p))\n        per.append(np.mean(bits))\n"),
            ("ngram-bits", "bits = float(np.mean(bits))", "bits = float(np.mean(per))")]
CHARS_ONLY = [("ngram-bits", "bits = float(np.mean(bits))", "bits = float(np.sum(bits) / sum(len(t) for t in test))")]
PERPLEXITY = [("ngram-bits", "bits = float(np.mean(bits))", "bits = float(2 ** np.mean(bits))")]

CHOSEN_ON_TRAIN = [("choose-k", "bits_per_character(fit, held, n, k, K)", "bits_per_character(train, train, n, k, K)")]
HELD_OUT_COUNTED = [("choose-k", "bits_per_character(fit, held, n, k, K)", "bits_per_character(train, held, n, k, K)")]
FIXED_K = [("choose-k", "k = float(ks[int(np.argmin(bits))])", "k = 0.1")]
FIXED_K_MARKOV = [("choose-k", "k = float(ks[int(np.argmin(bits))])", "k = 0.3")]
ONE_OVER_K = [("choose-k", "k = float(ks[int(np.argmin(bits))])", "k = 1 / K")]
K_RULE = [("choose-k", "k = float(ks[int(np.argmin(bits))])", "k = 0.02 if K > 1000 else 0.32")]
K_AS_INT = [("choose-k", "k = float(ks[int(np.argmin(bits))])", "k = int(ks[int(np.argmin(bits))])")]

NO_LENGTHS = [("train-lstm", "train.fit(model, (X, lengths, y),", "train.fit(model, (X, y),")]
PADDED_WIDTH = [("train-lstm", "lengths = (X != 0).sum(axis=1)", "lengths = np.full(len(X), X.shape[1])")]
ORDERED_DICT = [("train-lstm", "state = dict(model.state_dict())", "state = model.state_dict()")]
VANILLA = [("train-lstm", "rnn = cp.LSTM(16, 32,", "rnn = cp.RNN(16, 32,")]

TORCH_LAST_COLUMN = [("train-lstm", "    ### BEGIN SOLUTION", '''    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, 16, padding_idx=0)
            self.rnn = nn.LSTM(16, 32, batch_first=True)
            self.head = nn.Linear(32, 2)

        def forward(self, x, lengths):
            out, _ = self.rnn(self.embed(x))            # (N, T, H)
            return self.head(out[:, -1])                # lengths passed, unused

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    Xt, yt, lt = torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor((X != 0).sum(1))
    g = torch.Generator().manual_seed(seed)
    for _ in range(3):
        for idx in torch.randperm(len(Xt), generator=g).split(32):
            loss = nn.functional.cross_entropy(net(Xt[idx], lt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {k: v.detach().numpy() for k, v in net.state_dict().items()}
    ### BEGIN SOLUTION''')]

COPIES = [("lookup", "answer.get(c, fallback)", "answer.get(c, c)")]
UNK = [("lookup", "answer.get(c, fallback)", "answer.get(c, 1)")]
EVERYWHERE = [("lookup", "answer.get(c, fallback)", "fallback")]
REVERSED = [("lookup", "zip(np.ravel(first), np.ravel(second))", "zip(np.ravel(second), np.ravel(first))")]
PER_POSITION = [("lookup", '''    table = defaultdict(Counter)                       # c -> counts of y
    for a, b in zip(np.ravel(first), np.ravel(second)):
        table[a][b] += 1
    answer = {c: counts.most_common(1)[0][0] for c, counts in table.items()}''',
                 '''    tables = [defaultdict(Counter) for _ in range(np.shape(first)[1])]
    for f, s in zip(first, second):
        for t, table in enumerate(tables):
            table[f[t]][s[t]] += 1'''),
                ("lookup", "written = np.array([[answer.get(c, fallback) for c in row]",
                 "written = np.array([[tables[t][c].most_common(1)[0][0] if c in tables[t] else fallback "
                 "for t, c in enumerate(row)]")]
BAG = [("lookup", '''    for a, b in zip(np.ravel(first), np.ravel(second)):
        table[a][b] += 1''', '''    for f, s in zip(first, second):
        for a in f:
            table[a].update(s)''')]

# name: (edits, tests that fail, score out of 27, {test: hint fragment})
MISTAKES = {
    "natural-log": ([LOG2], BITS, 23.0, {"bits_bigram": "natural log"}),
    "no-kK": (NO_KK, PROBS | BITS | CHOOSE, 13.0, {"bits_bigram": "C(u) + kK", "probs_seen": "C(u) + kK"}),
    "texts-joined": (JOINED, {"probs_seen", "probs_start"} | BITS, 21.0,
                     {"bits_bigram": "joined into one stream", "probs_start": "joined into one stream"}),
    "no-bos": (NO_BOS, {"probs_start"} | BITS, 22.0,
               {"bits_bigram": "no <bos> context", "probs_start": "<bos> <bos>"}),
    "no-eos": (NO_EOS, {"probs_seen"} | BITS, 22.0,
               {"bits_bigram": "no <eos> target", "probs_seen": "no <eos> target"}),
    "unseen-skipped": (SKIP_UNSEEN, {"bits_unseen", "bits_real", "bits_hidden"}, 24.0,
                       {"bits_unseen": "were skipped"}),
    "unseen-backoff": (BACKOFF, {"probs_unseen", "bits_unseen", "bits_real", "bits_hidden"}, 23.0,
                       {"probs_unseen": "backed off to the unigram", "bits_unseen": "backed off"}),
    "denominator-K": (K_NOT_KK, PROBS | BITS | CHOOSE, 13.0, {"probs_seen": "C(u) + K:", "bits_bigram": "C(u) + K:"}),
    "no-k-in-numerator": (NO_K_TOP, PROBS | BITS | CHOOSE, 13.0, {"probs_seen": "adds k to every count",
                                                        "bits_bigram": "a probability is 0"}),
    "unseen-zero": (UNSEEN_ZERO, {"probs_unseen", "bits_unseen", "bits_real", "bits_hidden",
                                   "choose_quatrains", "choose_hidden"}, 19.0,
                    {"probs_unseen": "1/K, not 0", "bits_unseen": "a probability is 0"}),
    "bits-per-text": (PER_TEXT, {"bits_bigram", "bits_unseen", "bits_hidden"}, 24.0,
                      {"bits_bigram": "averaged per text"}),
    "bits-chars-only": (CHARS_ONLY, BITS, 23.0, {"bits_bigram": "<eos> targets count too"}),
    "bits-perplexity": (PERPLEXITY, BITS, 23.0, {"bits_bigram": "perplexity"}),
    # the choice hints end with their advice: a fragment at the end fails if a hint is cut short
    "k-chosen-on-the-counted-texts": (CHOSEN_ON_TRAIN, CHOOSE, 21.0, {
        "choose_markov": "too small. Was it fixed, or chosen on texts that were also counted",
        "choose_quatrains": "Score each k on training texts left out of the counts"}),
    "k-scored-on-texts-also-counted": (HELD_OUT_COUNTED, CHOOSE, 21.0, {
        "choose_quatrains": "Score each k on training texts left out of the counts"}),
    "k-fixed": (FIXED_K, {"choose_quatrains", "choose_hidden"}, 23.0, {
        "choose_quatrains": "too large: the invented counts drown the real ones",
        "choose_hidden": "measure it on training texts left out of the counts"}),
    "k-fixed-for-the-markov-chain": (FIXED_K_MARKOV, {"choose_quatrains", "choose_hidden"}, 23.0, {
        "choose_quatrains": "measure it on training texts left out of the counts"}),
    "k-a-rule-on-K": (K_RULE, {"choose_hidden"}, 25.0, {
        "choose_hidden": "measure it on training texts left out of the counts"}),
    "k-one-over-K": (ONE_OVER_K, {"choose_markov", "choose_quatrains"}, 23.0,
                     {"choose_quatrains": "too small. Was it fixed"}),
    "k-truncated-to-an-int": (K_AS_INT, CHOOSE, 21.0, {"choose_markov": "k = 0 (an int): add-k needs a count k > 0"}),
    "lstm-no-lengths": (NO_LENGTHS, LSTM, 19.0, {"lstm_masked": "learnt from the state after the padding",
                                                 "lstm_hard": "learnt from the state after the padding"}),
    "lstm-torch-last-column": (TORCH_LAST_COLUMN, LSTM, 19.0, {"lstm_masked": "cross-entropy",
                                                               "lstm_seed1": "out[:, -1]"}),
    "lstm-lengths-padded-width": (PADDED_WIDTH, LSTM, 19.0, {"lstm_masked": "own length"}),
    "lstm-ordered-dict": (ORDERED_DICT, LSTM, 19.0, {"lstm_masked": "return dict(model.state_dict())"}),
    "lstm-vanilla-rnn": (VANILLA, LSTM, 19.0, {"lstm_hard": "expected an LSTM"}),
    "lookup-copies-unseen": (COPIES, LOOKUP - {"lookup_tiny"}, 23.0,
                             {"lookup_unseen": "does not stand opposite itself"}),
    "lookup-unseen-unk": (UNK, LOOKUP - {"lookup_tiny"}, 23.0, {"lookup_unseen": "most frequent character"}),
    "lookup-same-everywhere": (EVERYWHERE, LOOKUP, 22.0, {"lookup_tiny": "the same character everywhere"}),
    "lookup-reversed": (REVERSED, LOOKUP, 22.0, {"lookup_real": "from the second line to the first"}),
    "lookup-every-position": (BAG, LOOKUP, 22.0, {"lookup_real": "at every position"}),
    "lookup-table-per-position": (PER_POSITION, LOOKUP, 22.0, {"lookup_real": "one table per position"}),
}

# The cells of a function and of those it calls form one family: mistakes of different families
# that fail disjoint tests share one graded run (the n-gram cells feed choose_k, whose tests a
# mistake there may fail too: disjoint failures keep those apart).
FAMILY = {"ngram-counts": "ngram", "ngram-probs": "ngram", "ngram-bits": "ngram", "choose-k": "choose",
          "train-lstm": "lstm", "lookup": "lookup"}


def family(name):
    (found,) = {FAMILY[cell] for cell, _, _ in MISTAKES[name][0]}
    return found


def pack_runs():
    """The mistakes packed, in order, into as few graded runs as the rule above allows."""
    runs = []
    for name in MISTAKES:
        for run in runs:
            if all(family(n) != family(name) and not MISTAKES[n][1] & MISTAKES[name][1] for n in run):
                run.append(name)
                break
        else:
            runs.append([name])
    return runs


RUNS = pack_runs()


@pytest.mark.parametrize("names", RUNS, ids=["+".join(run) for run in RUNS])
def test_usual_mistakes_get_their_designed_partial_marks(tmp_path, names):
    """Each run carries one mistake per family; it must lose exactly the sum of their losses."""
    edits = [edit for n in names for edit in MISTAKES[n][0]]
    failing = set().union(*(MISTAKES[n][1] for n in names))
    score = RUBRIC.max_points - sum(RUBRIC.max_points - MISTAKES[n][2] for n in names)
    hints = {k: v for n in names for k, v in MISTAKES[n][3].items()}
    fx.assert_designed_score(fx.with_edits(tmp_path, SOLUTION, edits), RUBRIC, failing, score, hints)


def test_every_mistake_is_graded_once_in_runs_of_one_mistake_per_family():
    assert sorted(n for run in RUNS for n in run) == sorted(MISTAKES)
    assert len(RUNS) == len([n for n in MISTAKES if family(n) == "ngram"]) < len(MISTAKES)
    for run in RUNS:
        assert len({family(n) for n in run}) == len(run)


def test_the_points_are_those_the_notebook_announces():
    points = {name: sum(t.points for t in RUBRIC.tests if t.grade_id == name) for name in ex11.SIGNATURES}
    assert points == {"ngram_probs": 4, "bits_per_character": 4, "choose_k": 6, "train_sentiment_lstm": 8,
                      "counterpart_lookup": 5}
    assert {t.id for t in RUBRIC.tests} == PROBS | BITS | CHOOSE | LSTM | LOOKUP
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"bits_hidden", "choose_hidden", "lstm_seed1",
                                                        "lookup_hidden"}
    cells = nbformat.read(SOLUTION, as_version=4).cells
    intro = " ".join(cells[0].source.split())
    assert all(f in intro for f in ("Part 1 is worth 14 points", "Part 2 8 points", "Part 3 5 points",
                                    "four of the tests are hidden", "seven written answers"))
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown" and c.source.startswith("## Part")]
    assert headings == ["## Part 1 · An n-gram baseline in bits per character",
                        "## Part 2 · An LSTM sentiment classifier",
                        "## Part 3 · Couplets: the counterpart lookup, and why one direction is weaker"]
    ids = {c.id for c in cells}
    assert {a.id for a in RUBRIC.answers} <= ids


def test_reference_ngram_by_hand_and_its_probabilities_sum_to_one():
    tiny = [[4, 5], [4]]        # <bos> 4 5 <eos>, <bos> 4 <eos>: C(4) = 2, C(4, 5) = C(4, <eos>) = 1
    p = ex11.reference_probs(tiny, [4], 2, 1.0, 6)
    assert np.allclose(p, np.array([1, 1, 1, 2, 1, 2]) / 8)
    assert np.allclose(ex11.reference_probs(tiny, [], 2, 1.0, 6), np.array([1, 1, 1, 1, 3, 1]) / 8)
    want = -np.mean(np.log2([3 / 8, 2 / 8, 2 / 7, 3 / 8, 2 / 8]))    # C(5) = 1: P(<eos> | 5) = 2/7
    assert abs(ex11.reference_bits(tiny, tiny, 2, 1.0, 6) - want) < 1e-12
    for test in RUBRIC.tests:
        if test.grade_id == ex11.PROBS:
            assert abs(ex11.reference_probs(*test.calls[0].args).sum() - 1) < 1e-12
    # unseen contexts get 1/K; a unigram ignores its context
    train, context, n, k, K = next(t for t in RUBRIC.tests if t.id == "probs_unseen").calls[0].args
    assert np.allclose(ex11.reference_probs(train, context, n, k, K), 1 / K)
    assert np.allclose(ex11.reference_probs(train, [7, 4], 1, k, K), ex11.reference_probs(train, [], 1, k, K))


def test_each_bits_mistake_changes_a_test_the_table_says_it_fails():
    """Each designed mistake of Part 1 gives another value than the reference on the tests it
    fails (so the hints can tell them apart), and none is the reference's value by accident."""
    bits_tests = [t for t in RUBRIC.tests if t.grade_id == ex11.BITS]
    for variant in ex11.BITS_MISTAKES:
        differs = {t.id for t in bits_tests
                   if abs(ex11.reference_bits(*t.calls[0].args, variant=variant)
                          - ex11.reference_bits(*t.calls[0].args)) > 1e-6}
        assert differs, variant
    values = {v: ex11.reference_bits(*bits_tests[0].calls[0].args, variant=v) for v in ex11.BITS_MISTAKES}
    assert len({round(x, 9) for x in values.values() if x != values["skip_unseen"]}) >= 5


def test_the_lookup_reference_on_tiny_couplets():
    got = ex11.reference_lookup(ex11.TINY_FIRST, ex11.TINY_SECOND, np.array([[4, 5, 6], [6, 15, 8]]))
    assert got.tolist() == [[9, 10, 11], [11, 9, 14]]          # 15 unseen: 9, the most frequent
    sets = ex11.acceptable(*ex11.real_couplets(5, 2000, 300, 3))
    assert any(len(s) > 1 for row in sets for s in row)           # real data have ties: any is accepted


@pytest.mark.parametrize("n, k", [(1, 1.0), (2, 0.1), (3, 0.01)])
def test_reference_bits_equal_the_course_ngram_model(n, k):
    """The grader's reference (with its mistake variants) and ``baselines.NGramLM`` are two
    codes of one model: on real quatrains they must give the same bits per character."""
    from course_pkg.baselines import NGramLM
    from course_pkg.data.batching import pad_sequences

    train, test, K = ex11.real_texts(600, 100, seed=5)

    def arrays(texts):
        X, _ = pad_sequences([[ex11.BOS] + t for t in texts], pad_value=0, dtype=np.int64)
        Y, _ = pad_sequences([t + [ex11.EOS] for t in texts], pad_value=-100, dtype=np.int64)
        return X, Y
    model = NGramLM(n, K, k).fit(*arrays(train))
    assert model.bits_per_token(*arrays(test)) == pytest.approx(ex11.reference_bits(train, test, n, k, K), rel=1e-12)


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of an exercise's points need a derivation, a prediction
    checked by running, a diagnosis or a design choice; the rubric names those tests."""
    total = sum(t.points for t in RUBRIC.tests)
    understood = sum(t.points for t in RUBRIC.tests if t.id in ex11.UNDERSTANDING)
    assert ex11.UNDERSTANDING <= {t.id for t in RUBRIC.tests}
    assert (understood, total) == (18, 27) and 3 * understood >= 2 * total


def test_a_fixed_k_cannot_pass_every_choice():
    """The corpora of the choice tests want k more than ten times apart: no one k is within
    the slack on all three (checked on a fine grid), so the choice must be measured."""
    tests = [t for t in RUBRIC.tests if t.grade_id == ex11.CHOOSE]
    best = []
    for t in tests:
        train, n, K = t.calls[0].args
        best.append(ex11.best_k(train, ex11.choice_test_texts(len(train), n, K), n, K))
    assert max(k for k, _ in best) > 10 * min(k for k, _ in best)
    for k in np.logspace(-3, 1, 25):
        costs = []
        for t, (_, bits) in zip(tests, best):
            train, n, K = t.calls[0].args
            test = ex11.choice_test_texts(len(train), n, K)
            costs.append(ex11.reference_bits(train, test, n, k, K) - bits)
        assert max(costs) > ex11.K_SLACK, k
