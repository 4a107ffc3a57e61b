"""Exercise 9 (a padded reverse direction, what each output has read, a tagger on a budget): the
partial marks its rubric is designed to give, and its references checked.

Each wrong submission is the solution notebook with its graded cells edited the way learners
get them wrong (every edit must apply once, so the table follows the solution). The three
parts are graded independently, so one submission carries one mistake of each part, and the
grader must give exactly the designed points, fail exactly the union of the tests the
mistakes break, and say why in each hint. (Full marks for the solution and zero for the blank
exercise are checked for every exercise in ``test_grading.py``.) Each grading starts one child
Python, which trains the submission's tagger three times (0.3-1 s each).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

import course_pkg as cp
from course_pkg.grading.rubrics import ex09_bidirectional as ex09
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex09_bidirectional.ipynb"
RUBRIC = rubric_for("ex09_bidirectional")
PART1 = {"rev_out", "rev_h_n", "rev_padded_out", "rev_padded_h_n", "rev_long"}
PART2 = {"read_one_layer", "read_padded", "read_deep", "read_deep_one_way", "read_hidden"}
PART3 = {"tagger_seen", "tagger_held", "tagger_seed1"}

# --- Part 1: reverse_direction ------------------------------------------------------------------
LOOP = '''    for b in range(N):
        L = int(lengths[b])
        x_rev = x[b:b + 1, :L][:, ::-1]           # x_{L-1}, ..., x_0
        h, _ = gru_forward(x_rev, np.zeros((1, H)), params)
        out[b, :L] = h[0, ::-1]                    # back to time order
        h_n[b] = h[0, -1]                          # after reading x_0
'''
WHOLE_FLIP = [(LOOP, '''    h, _ = gru_forward(x[:, ::-1], np.zeros((N, H)), params)
    out, h_n = h[:, ::-1], h[:, -1]
''')]
WHOLE_FLIP_ZEROED = [(LOOP, '''    h, _ = gru_forward(x[:, ::-1], np.zeros((N, H)), params)
    out, h_n = h[:, ::-1].copy(), h[:, -1]
    out[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
''')]
NOT_REREVERSED = [("out[b, :L] = h[0, ::-1]", "out[b, :L] = h[0]")]
H_N_LAST_STEP = [("h_n[b] = h[0, -1]", "h_n[b] = out[b, L - 1]")]
SHIFTED = [("        out[b, :L] = h[0, ::-1]                    # back to time order\n",
            "        row = np.zeros((T, H))\n        row[:L] = h[0]\n"
            "        out[b] = row[::-1]                         # the whole row reversed\n")]
PADDING_NOT_ZERO = [("    out = np.zeros((N, T, H))\n",
                     "    out = gru_forward(x[:, ::-1], np.zeros((N, H)), params)[0][:, ::-1].copy()\n")]

# --- Part 2: inputs_read ------------------------------------------------------------------------
ALL_IF = 'if bidirectional and (half == "both" or num_layers > 1):'
STACK = "read = np.stack([seen & (t < L) & (s < L) for L in lengths])"
CAUSAL_DEEP = [(ALL_IF, 'if bidirectional and half == "both":')]
STRICT = [("seen = s >= t", "seen = s > t"), ("seen = s <= t", "seen = s < t")]
TRANSPOSED = [(STACK, STACK + ".swapaxes(1, 2)")]
NO_LENGTHS = [(STACK, "read = np.stack([seen for L in lengths])")]
ONE_WAY_ALL = [(ALL_IF, 'if (bidirectional and half == "both") or num_layers > 1:')]
PADDED_ROWS = [(STACK, "read = np.stack([seen & (s < L) for L in lengths])")]
READS_PADDING = [(STACK, "read = np.stack([seen & (t < L) for L in lengths])")]

# --- Part 3: train_ner_tagger -------------------------------------------------------------------
LAYER = "rnn = cp.GRU(12, 24, batch_first=True, bidirectional=True, seed=seed)"
FIT = '''    train.fit(model, (X, lengths, y), loss="cross_entropy", epochs=6,
              lr=0.02, batch_size=32, seed=seed, progress=False)
'''
CHAPTER_SETTINGS = [(LAYER, "rnn = cp.GRU(32, 32, batch_first=True, bidirectional=True, seed=seed)"),
                    ("epochs=6,", "epochs=3,"), ("batch_size=32", "batch_size=64")]
ONE_DIRECTION = [(LAYER, "rnn = cp.GRU(12, 40, batch_first=True, seed=seed)")]
TOO_SHORT = [("epochs=6,", "epochs=3,"), ("batch_size=32", "batch_size=64")]
UNTRAINED = [(FIT, "")]
ORDERED_DICT = [(FIT, ""), ("return dict(model.state_dict())", "return model.state_dict()")]
OVER_BUDGET = [(LAYER, "rnn = cp.GRU(8, 48, batch_first=True, bidirectional=True, seed=seed)"), (FIT, "")]

# name: ({graded cell's id: edits}, tests that fail, score out of 18, {test: hint fragment})
MISTAKES = {
    "whole-flip, deep-as-causal, chapter-9's-tagger": (
        {"reverse": WHOLE_FLIP, "read": CAUSAL_DEEP, "tagger": CHAPTER_SETTINGS},
        {"rev_padded_out", "rev_padded_h_n", "rev_long", "read_deep", "read_hidden"} | PART3, 5.0,
        {"rev_padded_out": "only the padded sequences", "rev_padded_h_n": "started in its padding",
         "read_deep": "reverse half at step 0 has already read every valid input",
         "tagger_seen": "72,777 parameters, over the budget of 30,000: the embedding holds 59,520 (vocab_size x E "
                        "= 1,860 x 32)"}),
    "not-re-reversed, strict-diagonal, one-direction": (
        {"reverse": NOT_REREVERSED, "read": STRICT, "tagger": ONE_DIRECTION},
        {"rev_out", "rev_padded_out", "rev_long", "read_one_layer", "read_padded", "read_deep_one_way",
         "tagger_seen", "tagger_seed1"}, 7.0,
        {"rev_out": "in the order the scan made them", "rev_padded_out": "in the order the scan made them",
         "read_one_layer": "has read x_t itself", "read_deep_one_way": "has read x_t itself",
         "tagger_seen": "reads one way must tag a company's first word"}),
    "h_n-at-the-first-step, transposed, chapter-9's-training": (
        {"reverse": H_N_LAST_STEP, "read": TRANSPOSED, "tagger": TOO_SHORT},
        {"rev_h_n", "rev_padded_h_n", "read_one_layer", "read_padded", "read_deep_one_way", "tagger_seen",
         "tagger_seed1"}, 9.0,
        {"rev_h_n": "FIRST step", "rev_padded_h_n": "final state is at t = 0",
         "read_padded": "rows and columns are swapped", "tagger_seen": "is it trained enough for its size?"}),
    "padding-not-zero, lengths-ignored, ordered-dict": (
        {"reverse": PADDING_NOT_ZERO, "read": NO_LENGTHS, "tagger": ORDERED_DICT},
        {"rev_padded_out", "rev_long", "read_padded", "read_deep_one_way", "read_hidden"} | PART3, 6.0,
        {"rev_padded_out": "padded steps (t >= lengths[b]) must be zeros",
         "read_padded": "the lengths were ignored", "tagger_held": "return dict(model.state_dict())"}),
    "whole-flip-zeroed, one-way-reads-all, untrained": (
        {"reverse": WHOLE_FLIP_ZEROED, "read": ONE_WAY_ALL, "tagger": UNTRAINED},
        {"rev_padded_out", "rev_padded_h_n", "rev_long", "read_deep_one_way"} | PART3, 7.0,
        {"rev_padded_out": "only the padded sequences", "read_deep_one_way": "never reads ahead",
         "tagger_held": "is it trained?"}),
    "padded-outputs-read, untrained": (
        {"read": PADDED_ROWS, "tagger": UNTRAINED},
        {"read_padded", "read_deep_one_way", "read_hidden"} | PART3, 9.0,
        {"read_padded": "an output at a padded step (t >= lengths[b]) is zero: it has read nothing"}),
    "states-at-the-end, reads-padding, over-budget": (
        {"reverse": SHIFTED, "read": READS_PADDING, "tagger": OVER_BUDGET},
        {"rev_padded_out", "rev_long", "read_padded", "read_hidden"} | PART3, 7.0,
        {"rev_padded_out": "instead of starting at t = 0", "read_padded": "an output has read padding",
         "tagger_seen": "32,457 parameters, over the budget of 30,000: the embedding holds 14,880 (vocab_size x "
                        "E = 1,860 x 8), the recurrent layer 16,704, the head 873"}),
}

# Right answers written other ways (the tagger left untrained, so that the run stays short).
REVERSE_VECTORISED = '''def reverse_direction(x, lengths, params):
    # every sequence reversed within its length at once: step j reads x_{L-1-j}
    N, T, _ = x.shape
    H = params["weight_hh"].shape[1]
    j = np.arange(T)[None, :]
    idx = np.where(j < lengths[:, None], lengths[:, None] - 1 - j, j)      # (N, T)
    h, _ = gru_forward(x[np.arange(N)[:, None], idx], np.zeros((N, H)), params)
    out = h[np.arange(N)[:, None], idx] * (j < lengths[:, None])[:, :, None]
    return out, h[np.arange(N), lengths - 1]'''

READ_MEASURED = '''def inputs_read(lengths, T, num_layers, bidirectional, half):
    # measured, as chapter 9's leak test: change x_s, see which outputs move
    layer = cp.GRU(2, 3, num_layers=num_layers, batch_first=True,
                   bidirectional=bidirectional, dtype="float64", seed=0)
    cols = {"forward": slice(0, 3), "reverse": slice(3, 6), "both": slice(None)}[half]
    x = np.random.default_rng(0).standard_normal((len(lengths), T, 2))
    base = layer(x, lengths=lengths)[0][..., cols]
    read = np.zeros((len(lengths), T, T), dtype=bool)
    for s in range(T):
        changed = x.copy()
        changed[:, s] += 1.0
        moved = np.abs(layer(changed, lengths=lengths)[0][..., cols] - base)
        read[:, :, s] = moved.max(axis=2) > 1e-12
    return read'''


def submission(tmp_path, edits):
    """The solution with each graded cell's edits applied (each once), or the cell replaced."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell_id, change in edits.items():
        if isinstance(change, str):
            fx.cell(nb, cell_id).source = change
            continue
        for old, new in change:
            fx.edit(nb, cell_id, old, new)
    path = tmp_path / SOLUTION.name
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("mistakes", list(MISTAKES))
def test_designed_mistakes_score_their_marks_with_their_hints(tmp_path, mistakes):
    edits, failing, score, hints = MISTAKES[mistakes]
    fx.assert_designed_score(submission(tmp_path, edits), RUBRIC, failing, score, hints)


def test_right_answers_written_other_ways_get_their_points(tmp_path):
    """A vectorised reverse direction, and inputs_read measured rather than derived: every point
    of Parts 1 and 2 (the tagger, left untrained here, fails alone)."""
    edits = {"reverse": REVERSE_VECTORISED, "read": READ_MEASURED, "tagger": UNTRAINED}
    fx.assert_designed_score(submission(tmp_path, edits), RUBRIC, PART3, 12.0)


# --- the rubric's own claims --------------------------------------------------------------------

def test_the_points_are_those_the_notebook_announces():
    points = {name: sum(t.points for t in RUBRIC.tests if t.grade_id == name) for name in ex09.SIGNATURES}
    assert points == {ex09.REVERSE: 6, ex09.READ: 6, ex09.TRAIN: 6}
    assert {t.id for t in RUBRIC.tests} == PART1 | PART2 | PART3
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"rev_long", "read_hidden", "tagger_seed1"}
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Part 1 is worth 6 points, Part 2 6 points and Part 3 6 points; three of the tests are hidden"
            in said and "The four written answers are read by hand" in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice. The rubric names those tests: 14 of the 18 (the
    other 4 are the unpadded reverse half, its h_n, one layer's halves, which chapter 9 shows,
    and a deep one-direction stack, which the one-layer answer passes)."""
    total = sum(t.points for t in RUBRIC.tests)
    understood = sum(t.points for t in RUBRIC.tests if t.id in ex09.UNDERSTANDING)
    assert ex09.UNDERSTANDING <= {t.id for t in RUBRIC.tests}
    assert (understood, total) == (14, 18) and 3 * understood >= 2 * total


def test_no_training_function_in_the_notebook_dictates_hyper_parameters():
    """Part 3 gives a target and a budget: the graded cell's stub says nothing of sizes, epochs,
    batch or learning rate, and chapter 9's tagger is over the budget."""
    exercise = nbformat.read(ROOT / "exercises" / "ex09_bidirectional.ipynb", as_version=4)
    stub = next(c.source for c in exercise.cells if c.get("id") == "tagger")
    assert not any(word in stub for word in ("epochs", "batch_size", "lr=", "GRU(", "Adam"))
    n = ex09.ner()
    chapter = cp.SequenceTagger(cp.GRU(32, 32, batch_first=True, bidirectional=True), len(n.tags),
                                vocab_size=len(n.vocab))
    assert sum(v.size for v in chapter.state_dict().values()) == 72_777 > ex09.BUDGET


def test_reference_read_equals_the_measured_dependence_of_a_layer():
    """Every case the tests ask, and more: perturb each input of a float64 cp.GRU stack with
    lengths and see which outputs of each half move."""
    for lengths, T in (([5, 5], 5), ([6, 3, 1], 6), ([8, 5, 2], 8), ([7, 4], 7)):
        lengths = np.asarray(lengths)
        for layers in (1, 2, 3):
            for bi in (False, True):
                layer = cp.GRU(3, 4, num_layers=layers, batch_first=True, bidirectional=bi, dtype="float64",
                               seed=layers)
                x = np.random.default_rng(layers).standard_normal((len(lengths), T, 3))
                base = layer(x, lengths=lengths)[0]
                moved = np.zeros((len(lengths), T, T, base.shape[2]), dtype=bool)
                for s in range(T):
                    changed = x.copy()
                    changed[:, s] += 1.0
                    moved[:, :, s] = np.abs(layer(changed, lengths=lengths)[0] - base) > 1e-12
                for half, cols in {"forward": slice(0, 4), "reverse": slice(4, 8), "both": slice(None)}.items():
                    if half == "reverse" and not bi:
                        continue
                    want = ex09.reference_read(lengths, T, layers, bi, half)
                    assert np.array_equal(moved[..., cols].any(axis=3), want), (lengths, layers, bi, half)


def test_reverse_hints_name_the_cause_they_see():
    """The colleague's whole-array reversal (noise or zeros in the padding) is named as such; a
    right scan put at the end of the row is named otherwise; a padded sequence wrong some other
    way gets the question, not a cause it did not have."""
    x, lengths, params = ex09.make_reverse_inputs(4, 7, 3, 5, [7, 3, 5, 1], seed=2)
    want, _ = ex09.reference_reverse(x, lengths, params)
    valid = (np.arange(7)[None, :] < lengths[:, None])[:, :, None]
    zeroed, _ = ex09.colleague_reverse(np.where(valid, x, 0.0), params)
    assert ex09.reverse_hint(x, lengths, params, "out", zeroed * valid) == ex09.PADDING_FIRST
    shifted = np.zeros_like(want)
    for b, n in enumerate(lengths):
        shifted[b, 7 - n:] = want[b, :n]
    assert ex09.reverse_hint(x, lengths, params, "out", shifted) == ex09.SHIFTED
    other = want.copy()
    other[1:] *= 1.5                          # the padded sequences wrong in no designed way
    assert ex09.reverse_hint(x, lengths, params, "out", other) == ex09.PADDED_ONLY


def test_reference_reverse_equals_torch_packed_sequences():
    torch = pytest.importorskip("torch")
    x, lengths, params = ex09.make_reverse_inputs(4, 7, 3, 5, [7, 3, 5, 1], seed=2)
    out, h_n = ex09.reference_reverse(x, lengths, params)
    gru = torch.nn.GRU(3, 5, batch_first=True, bidirectional=True, dtype=torch.float64)
    with torch.no_grad():
        for k, v in params.items():
            getattr(gru, f"{k}_l0_reverse").copy_(torch.tensor(v))
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths),
                                                     batch_first=True, enforce_sorted=False)
    output, h = gru(packed)
    output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first=True, total_length=7)
    assert np.allclose(out, output[:, :, 5:].detach().numpy())
    assert np.allclose(h_n, h[1].detach().numpy())
    assert np.allclose(h_n, out[:, 0]) and not np.allclose(h_n, out[:, -1])


def test_the_grader_trains_on_the_notebooks_data_and_scores_on_other_sentences():
    """The training call carries chapter 9's training sentences (as the notebook loads them);
    the grader's sentences are new (seed 24), of the same templates, encoded with that vocabulary."""
    n, other = ex09.ner(), ex09.grader_sentences()
    assert (len(n.train.X), len(n.vocab)) == (1000, 1860)
    call = RUBRIC.tests[-1].calls[0]
    assert np.array_equal(call.args[0], n.train.X) and call.args[3:5] == (1860, 9)
    seen, held = other["seen"], other["held"]
    assert len(seen[0]) == len(held[0]) == 500
    assert not np.array_equal(seen[0][:, :5], n.val.X[:, :5])        # other sentences than the notebook's
    assert seen[3] < 0.3 and held[3] < 0.3          # the majority tag's F1: far below the targets
