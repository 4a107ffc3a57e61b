"""Exercise 13 (a matrix scan, sliding-window attention, memory, steps and combines): the
partial marks its rubric is designed to give, and its references checked.

Each wrong submission is the solution notebook with one graded cell edited the way learners
get it wrong (every edit must apply once, so the table follows the solution); the grader must
give exactly the designed points, fail exactly the tests the mistake breaks, and say why in
the hint. Right answers written other ways (Blelloch's sweeps, ``h_0`` applied at the end,
masks built with ``np.triu``/``np.tril`` or a large negative number, a loop over positions)
must get full marks. (Full marks for the solution and zero for the blank exercise are checked
for every exercise in ``test_grading.py``.) Each grading starts one child Python (about a
second).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubrics import ex13_parallel as ex13
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex13_parallel.ipynb"
RUBRIC = rubric_for("ex13_parallel")
SCAN_VALUES = {"scan_power_of_two", "scan_any_T", "scan_h0", "scan_hidden"}
ATTN = {"attn_values", "attn_scaled", "attn_causal", "attn_window", "attn_hidden"}
BAND = {"attn_values", "attn_window", "attn_hidden"}
MEMORY = {"costs_memory", "memory_hidden"}

ROUND = '''        B[d:] = B[:-d] @ prod[d:] + B[d:]
        prod[d:] = prod[:-d] @ prod[d:]'''
ORDER = [("scan", "prod[d:] = prod[:-d] @ prod[d:]", "prod[d:] = prod[d:] @ prod[:-d]")]
REVERSED = [("scan", ROUND, '''        B[d:] = B[d:] @ prod[:-d] + B[:-d]
        prod[d:] = prod[d:] @ prod[:-d]''')]
EXCLUSIVE = [("scan", "    h = B ", "    h = np.concatenate([h0[None], B[:-1]])  # ")]
A_FIRST = [("scan", ROUND, '''        prod[d:] = prod[:-d] @ prod[d:]
        B[d:] = B[:-d] @ prod[d:] + B[d:]''')]
NO_H0 = [("scan", "    B[0] = h0 @ F[0] + b[0]", "    # B[0] = h0 @ F[0] + b[0]")]
TRANSPOSED = [("scan", "prod, B = F.copy(), b.copy()", "prod, B = F.swapaxes(1, 2).copy(), b.copy()"),
              ("scan", "B[0] = h0 @ F[0] + b[0]", "B[0] = h0 @ prod[0] + b[0]")]
H0_RIGHT = [("scan", "B[0] = h0 @ F[0] + b[0]", "B[0] = F[0] @ h0 + b[0]")]
LINEAR = [("scan", "    while d < T:", "    for t in range(1, T):"),
          ("scan", ROUND, '''        B[t] = B[t - 1] @ prod[t] + B[t]
        prod[t] = prod[t - 1] @ prod[t]'''),
          ("scan", "d, steps = 2 * d, steps + 1", "steps += 1")]
EXTRA_ROUND = [("scan", "    while d < T:", "    while d <= T:")]

HIDDEN_LINE = "    hidden = (j > t) | (j <= t - window)"
MASK_LINE = "    e = np.where(hidden, -np.inf, e)              # masked before the softmax\n"
NO_WINDOW = [("attention", HIDDEN_LINE, "    hidden = (j > t)")]
WIDE = [("attention", "(j <= t - window)", "(j < t - window)")]
NARROW = [("attention", "(j <= t - window)", "(j <= t - window + 1)")]
BAND_TRIL_WIDE = [("attention", HIDDEN_LINE, "    hidden = ~np.tril(np.triu(np.ones((T, T), bool), -window))")]
BOTH_SIDES = [("attention", HIDDEN_LINE, "    hidden = np.abs(t - j) >= window")]
NO_MASK = [("attention", MASK_LINE, "")]
STRICT = [("attention", "(j > t)", "(j >= t)")]
AFTER_SOFTMAX = [("attention", MASK_LINE, ""), ("attention", "    out = w @ V", "    out = (w * ~hidden) @ V")]
UNSCALED = [("attention", " / math.sqrt(W_Q.shape[0])", "")]
SCALED_DK = [("attention", " / math.sqrt(W_Q.shape[0])", " / W_Q.shape[0]")]
WRONG_AXIS = [("attention", "e.max(-1, keepdims=True)", "e.max(1, keepdims=True)"),
              ("attention", "w.sum(-1, keepdims=True)", "w.sum(1, keepdims=True)")]

CACHE_ALL = [("memory", "min(T, window)", "T")]
CACHE_KEYS = [("memory", "cache = 2 * heads", "cache = heads")]
CACHE_ONE_HEAD = [("memory", "cache = 2 * heads * d_k", "cache = 2 * d_k")]
CACHE_FULL_WINDOW = [("memory", "min(T, window)", "window")]
CACHE_BYTES = [("memory", "cache = 2 * heads", "cache = 8 * 2 * heads")]
STATE_BYTES = [("memory", "state = H ", "state = 8 * H ")]
ALL_STATES = [("memory", "state = H ", "state = T * H ")]
COMBINES_LOOP = [("steps", "scan * T - 2 ** scan + 1", "T - 1")]
COMBINES_RT = [("steps", "scan * T - 2 ** scan + 1", "scan * T")]
FLOOR = [("steps", "math.ceil(math.log2(T))", "math.floor(math.log2(T))")]
NOT_ROUNDED = [("steps", "math.ceil(math.log2(T))", "math.log2(T)")]
LOOP_T_MINUS_1 = [("steps", "loop = T ", "loop = T - 1 ")]

# name: (edits, tests that fail, score out of 18, {test: hint fragment})
MISTAKES = {
    "scan-products-reversed": (ORDER, SCAN_VALUES, 13.0, {"scan_power_of_two": "do not commute",
                                                          "scan_h0": "wrong order"}),
    "scan-combine-reversed": (REVERSED, SCAN_VALUES, 13.0, {"scan_power_of_two": "later step first",
                                                            "scan_h0": "not commutative"}),
    "scan-shifted-exclusive": (EXCLUSIVE, SCAN_VALUES, 13.0, {"scan_power_of_two": "shifted by one step",
                                                              "scan_h0": "shifted by one step"}),
    "scan-A-updated-first": (A_FIRST, SCAN_VALUES, 13.0, {"scan_power_of_two": "matrix half it had just updated",
                                                          "scan_h0": "matrix half it had just updated"}),
    "scan-transposed": (TRANSPOSED, SCAN_VALUES, 13.0, {"scan_power_of_two": "F_t's transpose",
                                                        "scan_any_T": "row vector"}),
    "scan-h0-forgotten": (NO_H0, {"scan_h0", "scan_hidden"}, 16.0, {"scan_h0": "h_0 is forgotten"}),
    "scan-h0-on-the-right": (H0_RIGHT, SCAN_VALUES | {"scan_steps"}, 11.0, {"scan_h0": "matmul"}),
    "scan-linear-steps": (LINEAR, {"scan_steps"}, 16.0, {"scan_steps": "4095 steps for T = 4096: linear in T"}),
    "scan-round-too-many": (EXTRA_ROUND, {"scan_steps"}, 16.0,
                            {"scan_steps": "2 steps for T = 2, one more than needed"}),
    "attention-no-window": (NO_WINDOW, BAND, 14.0, {"attn_values": "only the future is masked",
                                                    "attn_window": "moved the outputs at positions [1, 2, 3, 4"}),
    "attention-window-too-wide": (WIDE, BAND, 14.0, {"attn_values": "one position too wide",
                                                     "attn_window": "one position too wide"}),
    "attention-window-too-narrow": (NARROW, BAND, 14.0, {"attn_values": "one position too narrow",
                                                         "attn_hidden": "one position too narrow"}),
    "attention-band-triu-tril-too-wide": (BAND_TRIL_WIDE, BAND, 14.0, {"attn_values": "one position too wide"}),
    "attention-band-both-sides": (BOTH_SIDES, ATTN, 12.0, {"attn_values": "reaches into the future",
                                                           "attn_causal": "sees the future"}),
    "attention-no-mask": (NO_MASK, ATTN, 12.0, {"attn_values": "no mask", "attn_causal": "sees the future"}),
    "attention-sees-not-itself": (STRICT, ATTN, 12.0, {"attn_values": "position 0 is NaN",
                                                       "attn_causal": "a position sees itself"}),
    "attention-mask-after-softmax": (AFTER_SOFTMAX, ATTN, 12.0,
                                     {"attn_values": "after the softmax",
                                      "attn_causal": "sees the future; the mask was applied after the softmax"}),
    "attention-unscaled": (UNSCALED, {"attn_scaled", "attn_hidden"}, 16.0,
                           {"attn_scaled": "not divided by sqrt(d_k): with d_k = 16"}),
    "attention-scaled-by-d_k": (SCALED_DK, {"attn_scaled", "attn_hidden"}, 16.0,
                                {"attn_scaled": "divided by d_k"}),
    "attention-softmax-over-queries": (WRONG_AXIS, ATTN, 12.0, {"attn_values": "over the queries (axis -2)",
                                                                "attn_causal": "over the queries"}),
    "memory-cache-every-position": (CACHE_ALL, MEMORY, 15.0, {"costs_memory": "every position so far"}),
    "memory-cache-keys-only": (CACHE_KEYS, MEMORY, 15.0, {"costs_memory": "the keys only"}),
    "memory-cache-one-head": (CACHE_ONE_HEAD, MEMORY, 15.0, {"costs_memory": "of one head only"}),
    "memory-cache-full-window-early": (CACHE_FULL_WINDOW, MEMORY, 15.0,
                                       {"costs_memory": "only the T positions written so far"}),
    "memory-cache-in-bytes": (CACHE_BYTES, MEMORY, 15.0, {"costs_memory": "a count of bytes"}),
    "memory-state-in-bytes": (STATE_BYTES, MEMORY, 15.0, {"costs_memory": "a count of bytes"}),
    "memory-every-state": (ALL_STATES, MEMORY, 15.0, {"costs_memory": "every state of the sequence"}),
    "steps-combines-every-position": (COMBINES_RT, {"costs_steps"}, 16.0,
                                      {"costs_steps": "positions with no partner d back"}),
    "steps-combines-of-the-loop": (COMBINES_LOOP, {"costs_steps"}, 16.0, {"costs_steps": "the loop's count"}),
    "steps-scan-rounded-down": (FLOOR, {"costs_steps"}, 16.0, {"costs_steps": "rounded down"}),
    "steps-scan-not-rounded": (NOT_ROUNDED, {"costs_steps"}, 16.0, {"costs_steps": "a whole number"}),
    "steps-loop-T-minus-1": (LOOP_T_MINUS_1, {"costs_steps"}, 16.0, {"costs_steps": "h_1 needs a step"}),
}

GRADE_IDS = {"scan": ex13.SCAN, "attention": ex13.ATTN, "memory": ex13.MEMORY, "steps": ex13.STEPS}

# Right answers written other ways: each must get full marks.
BLELLOCH = '''def parallel_scan(F, b, h0):
    # Brent-Kung: an up-sweep of ceil(log2 T) rounds, a down-sweep of one fewer
    T, N, H = b.shape
    L = (T - 1).bit_length()
    size = 2 ** L                                  # padded with identity pairs
    P = np.broadcast_to(np.eye(H), (size, H, H)).copy()
    B = np.zeros((size, N, H))
    P[:T], B[:T] = F, b
    B[0] = h0 @ F[0] + b[0]
    steps = 0
    rounds = [(2 ** k, 2 ** (k + 1) - 1) for k in range(L)]
    rounds += [(2 ** k, 3 * 2 ** k - 1) for k in range(L - 2, -1, -1)]
    for d, first in rounds:
        i = np.arange(first, size, 2 * d)          # each combines with i - d
        B[i] = B[i - d] @ P[i] + B[i]
        P[i] = P[i - d] @ P[i]
        steps += 1
    return B[:T], steps'''

H0_AT_END = '''def parallel_scan(F, b, h0):
    P, B, d, steps = F, b, 1, 0
    while d < len(F):                  # recursive doubling, new arrays each round
        B = np.concatenate([B[:d], B[:-d] @ P[d:] + B[d:]])
        P = np.concatenate([P[:d], P[:-d] @ P[d:]])
        d, steps = 2 * d, steps + 1
    return h0 @ P + B, steps           # h_t = h_0 P_t + B_t'''

TRIU_BIG_NEGATIVE = '''def window_attention(x, W_Q, W_K, W_V, window):
    T, d_k = x.shape[1], W_Q.shape[0]
    Q, K, V = x @ W_Q.T, x @ W_K.T, x @ W_V.T
    scores = np.einsum("ntd,nsd->nts", Q, K) / np.sqrt(d_k)
    mask = np.triu(np.ones((T, T)), 1) + np.tril(np.ones((T, T)), -window)
    scores = scores - 1e9 * mask
    scores = scores - scores.max(axis=2, keepdims=True)
    p = np.exp(scores)
    return (p / p.sum(axis=2, keepdims=True)) @ V'''

LOOP_ATTENTION = '''def window_attention(x, W_Q, W_K, W_V, window):
    N, T, _ = x.shape
    Q, K, V = x @ W_Q.T, x @ W_K.T, x @ W_V.T
    out = np.zeros((N, T, W_V.shape[0]))
    for t in range(T):
        lo = max(0, t - window + 1)
        e = np.einsum("nd,nsd->ns", Q[:, t], K[:, lo:t + 1]) / math.sqrt(W_Q.shape[0])
        a = np.exp(e - e.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        out[:, t] = np.einsum("ns,nsv->nv", a, V[:, lo:t + 1])
    return out'''

MEMORY_OTHER_WAY = '''def predicted_memory(T, H, heads, d_k, window):
    kept = window if T > window else T           # positions still visible
    return float(heads * kept * d_k * 2), H'''

STEPS_OTHER_WAY = '''def predicted_steps(T):
    rounds = (T - 1).bit_length()
    return T, rounds, sum(T - 2 ** k for k in range(rounds))'''

BLELLOCH_STEPS = '''def predicted_steps(T):
    r = math.ceil(math.log2(T))
    return T, 2 * r - 1, r * T - 2 ** r + 1      # Brent-Kung rounds'''

ADDITIVE_INF = [("    e = np.where(hidden, -np.inf, e)              # masked before the softmax",
                 "    e = e + np.where(hidden, -np.inf, 0.0)")]
BAND_TRIL = [(HIDDEN_LINE, "    hidden = ~np.tril(np.triu(np.ones((T, T), bool), -(window - 1)))")]


def solution_with(grade_id, edits):
    source = fx.solution_cell(SOLUTION, grade_id)
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


RIGHT = {"blelloch": {ex13.SCAN: BLELLOCH, ex13.STEPS: BLELLOCH_STEPS}, "h0-at-the-end": {ex13.SCAN: H0_AT_END},
         "mask-triu-big-negative": {ex13.ATTN: TRIU_BIG_NEGATIVE}, "attention-loop": {ex13.ATTN: LOOP_ATTENTION},
         "formulas-other-ways": {ex13.MEMORY: MEMORY_OTHER_WAY, ex13.STEPS: STEPS_OTHER_WAY},
         "mask-added-as-minus-inf": {ex13.ATTN: solution_with(ex13.ATTN, ADDITIVE_INF)},
         "band-from-tril-and-triu": {ex13.ATTN: solution_with(ex13.ATTN, BAND_TRIL)}}


def submission(tmp_path, edits):
    """The solution with each ``(cell id, old, new)`` edit applied once, all in one graded cell."""
    (cell_id,) = {cell_id for cell_id, _, _ in edits}
    source = fx.edited_cell(SOLUTION, GRADE_IDS[cell_id], [(old, new) for _, old, new in edits])
    return fx.with_graded_cell(tmp_path, SOLUTION, GRADE_IDS[cell_id], source)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_designed_mistake_scores_its_marks_with_its_hint(tmp_path, mistake):
    edits, failing, score, hints = MISTAKES[mistake]
    fx.assert_designed_score(submission(tmp_path, edits), RUBRIC, failing, score, hints)


@pytest.mark.parametrize("way", list(RIGHT))
def test_a_right_answer_written_another_way_gets_full_marks(tmp_path, way):
    path = SOLUTION
    for grade_id, source in RIGHT[way].items():
        (tmp_path / grade_id).mkdir()
        path = fx.with_graded_cell(tmp_path / grade_id, path, grade_id, source)
    fx.assert_designed_score(path, RUBRIC, set(), RUBRIC.max_points)


def test_the_intro_announces_the_rubrics_points_tests_and_answers():
    part = {ex13.SCAN: 1, ex13.ATTN: 2, ex13.MEMORY: 3, ex13.STEPS: 3}
    points = [sum(t.points for t in RUBRIC.tests if part[t.grade_id] == k) for k in (1, 2, 3)]
    hidden = sorted(t.id for t in RUBRIC.tests if t.hidden)
    assert (points, hidden) == ([7, 6, 5], ["attn_hidden", "memory_hidden", "scan_hidden"])
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Part 1 is worth 7 points, Part 2 6 points and Part 3 5 points; three of the tests are hidden"
            in said and "The five written answers are read by hand" in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]
    assert [cells[cid].source.split("\n")[0] for cid in ("part1", "part2", "part3")] == [
        "## Part 1 · A parallel scan, and its rounds", "## Part 2 · Causal self-attention, and a colleague's leak",
        "## Part 3 · Memory, steps and combines: predict, then measure"]


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice, and none reproduces what chapter 13 or
    course_pkg.mingru shows. The rubric names those tests: 13 of the 18."""
    points = {t.id: t.points for t in RUBRIC.tests}
    assert ex13.UNDERSTANDING <= set(points)
    understood = sum(points[i] for i in ex13.UNDERSTANDING)
    assert (understood, sum(points.values())) == (13, 18)
    assert understood / sum(points.values()) >= 2 / 3


def test_the_graded_parts_are_not_the_chapters_lines():
    """The chapter's combine is elementwise and its mask causal only: the solution's matrix
    products and window are lines the chapter and course_pkg.mingru do not contain."""
    chapter = " ".join("".join(c.source) for c in nbformat.read(
        ROOT / "notebooks" / "ch13_beyond_recurrence.ipynb", as_version=4).cells)
    shown = chapter + (ROOT / "course_pkg" / "mingru.py").read_text()
    for grade_id, line in ((ex13.SCAN, "B[:-d] @ prod[d:]"), (ex13.SCAN, "h0 @ F[0]"),
                           (ex13.ATTN, "(j <= t - window)"), (ex13.MEMORY, "min(T, window)"),
                           (ex13.STEPS, "- 2 ** scan + 1")):
        assert line in fx.solution_cell(SOLUTION, grade_id)
        assert line not in shown


def test_reference_scan_by_hand_and_its_mistakes_differ():
    A = np.array([[[0.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]])     # (T, H, H) = (2, 2, 2)
    b = np.zeros((2, 1, 2))
    h0 = np.array([[1.0, 0.0]])
    # h_1 = (1, 0) A_1 = (0, 1); h_2 = (0, 1) A_2 = (1, 0): the earlier matrix on the left
    assert ex13.reference_scan(A, b, h0).tolist() == [[[0.0, 1.0]], [[1.0, 0.0]]]
    assert ex13.reference_scan(A, b, h0, "exclusive").tolist() == [[[1.0, 0.0]], [[0.0, 1.0]]]
    assert ex13.reference_scan(A, b, h0, "order_after").tolist()[1] == [[0.0, 0.0]]      # h_0 A_2 A_1
    args = ex13.scan_arrays(8, 2, 3, seed=1, h0=True)
    want = ex13.reference_scan(*args)
    for variant in ("no_h0", "exclusive", "transposed", "order_after", "order_folded", "reversed_after",
                    "reversed_folded", "a_first_after", "a_first_folded"):
        assert ex13.rel_error(ex13.reference_scan(*args, variant), want) > 1e-3, variant


def test_a_diagonal_scan_is_the_chapters_recurrence():
    """With diagonal A_t the reference is course_pkg.mingru's loop (batch-first there)."""
    from course_pkg import mingru
    rng = np.random.default_rng(0)
    a, b, h0 = rng.uniform(0.3, 1.2, (9, 2, 3)), rng.standard_normal((9, 2, 3)), rng.standard_normal((2, 3))
    A = np.einsum("tnh,hk->thk", a[:, :1], np.eye(3))                      # diag(a_t), one sequence's
    got = ex13.reference_scan(A, b[:, :1], h0[:1])
    want = mingru.linear_scan_loop(a[:, :1].swapaxes(0, 1), b[:, :1].swapaxes(0, 1), h0[:1]).swapaxes(0, 1)
    assert ex13.rel_error(got, want) < 1e-12


@pytest.mark.parametrize("T", range(1, 70))
def test_scheme_formulas(T):
    assert ex13.ceil_log2(T) == int(np.ceil(np.log2(T)))
    d, combines = 1, 0
    while d < T:
        combines, d = combines + T - d, 2 * d
    assert ex13.hillis_steele_combines(T) == combines
    if T >= 2:
        assert ex13._scheme({T: ex13.ceil_log2(T)}) == "Hillis-Steele"


def test_a_count_must_follow_one_scheme_over_every_T():
    hs = {T: ex13.ceil_log2(T) for T in ex13.STEP_TS}
    assert ex13._scheme(hs) == "Hillis-Steele"
    assert ex13._scheme({T: 2 * s - 1 for T, s in hs.items()}) == "Blelloch"
    mixed = {**hs, 1000: 2 * hs[1000]}                # Hillis-Steele, but Blelloch at one T
    assert ex13._scheme(mixed) is None
    assert ex13._scheme({T: ex13.ceil_log2(T + 1) for T in ex13.STEP_TS}) is None
    assert ex13._scheme({T: T - 1 for T in ex13.STEP_TS}) is None


def test_reference_attention_is_torch_scaled_dot_product_attention():
    torch = pytest.importorskip("torch")
    x, W_Q, W_K, W_V, window = ex13.attention_args(3, 9, 6, 5, 2, 3, seed=14)
    Q, K, V = (torch.as_tensor(x @ W.T) for W in (W_Q, W_K, W_V))
    causal = torch.nn.functional.scaled_dot_product_attention(Q, K, V, is_causal=True).numpy()
    assert ex13.rel_error(ex13.reference_attention(x, W_Q, W_K, W_V, 9), causal) < 1e-12
    sees = torch.as_tensor(~ex13.hidden_keys(9, window))                   # True where attended
    banded = torch.nn.functional.scaled_dot_product_attention(Q, K, V, attn_mask=sees).numpy()
    assert ex13.rel_error(ex13.reference_attention(x, W_Q, W_K, W_V, window), banded) < 1e-12
    assert sees.sum(1).tolist() == [1, 2, 3, 3, 3, 3, 3, 3, 3]


def test_each_attention_mistake_changes_the_tests_it_fails():
    """The variants differ from the reference where their mistakes are designed to fail, and
    d_k = 1 hides the scale (the values test scores the band alone)."""
    args = {t.id: t.calls[0].args for t in RUBRIC.tests}
    values, scaled = args["attn_values"], args["attn_scaled"]
    assert ex13.rel_error(ex13.reference_attention(*values, "unscaled"), ex13.reference_attention(*values)) == 0
    for variant in ("no_window", "wide", "narrow"):                       # the window > T hides the band
        assert ex13.rel_error(ex13.reference_attention(*scaled, variant), ex13.reference_attention(*scaled)) == 0
        assert ex13.rel_error(ex13.reference_attention(*values, variant),
                              ex13.reference_attention(*values)) > 1e-3
    for variant in ("unscaled", "scaled_dk", "no_mask", "after_softmax", "wrong_axis", "strict_big", "both_sides"):
        assert ex13.rel_error(ex13.reference_attention(*scaled, variant), ex13.reference_attention(*scaled)) > 1e-3
    with np.errstate(invalid="ignore"):
        assert ex13._nan_at_first(ex13.reference_attention(*values, "strict"))


@pytest.mark.parametrize("test_id, value", [
    ("scan_power_of_two", None), ("scan_power_of_two", (np.zeros(3), 3)), ("scan_steps", (None, 2.5)),
    ("attn_values", "text"), ("attn_causal", np.zeros((2, 6))), ("attn_causal", [1, 2]),
    ("attn_window", np.zeros((2, 8))), ("costs_memory", (1.5, 2)), ("costs_memory", [3]),
    ("costs_steps", (1, 2)), ("costs_steps", (2, None, 1))])
def test_odd_returns_get_a_hint_not_an_error(test_id, value):
    """Whatever a learner's function returns, the judge answers with a hint (CheckFailed)."""
    fx.assert_odd_return_gets_a_hint(RUBRIC, test_id, value)


@pytest.mark.parametrize("test_id", ["attn_causal", "attn_window"])
def test_an_output_of_another_shape_for_the_changed_inputs_gets_a_hint(test_id):
    from course_pkg.grading.rubric import CallResult, CheckFailed
    test = next(t for t in RUBRIC.tests if t.id == test_id)
    base = ex13.reference_attention(*test.calls[0].args)
    results = [CallResult(ex13.ATTN, value=base)] + [CallResult(ex13.ATTN, value=base[:, :2])] * 3
    with pytest.raises(CheckFailed, match="shape"):
        test.judge(test.calls, results)
