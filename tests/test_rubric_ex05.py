"""Exercise 5 (the mean of the valid states, the class-weighted head, the best constant
classifier): the partial marks its rubric is designed to give, and its references checked.

Each wrong submission is the solution notebook with graded cells edited the way learners get
them wrong (every edit must apply once, so the table follows the solution). A graded run
carries one mistake in each of several functions, which fail disjoint tests: the grader must
give exactly the designed points (16 less the points of every failed test), fail exactly the
tests the mistakes break, and say why in each hint. Right answers written other ways must get
full marks. (Full marks for the solution and zero for the blank exercise are checked for
every exercise in ``test_grading.py``.) Each grading starts one child Python (~0.3 s).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubric import CallResult, CheckFailed
from course_pkg.grading.rubrics import ex05_classify as ex05
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex05_classify.ipynb"
RUBRIC = rubric_for("ex05_classify")
POINTS = {t.id: t.points for t in RUBRIC.tests}
MEAN_VALUES = {"mean_padded"}
BACKWARD = {"mean_backward", "mean_backward_hidden"}
WEIGHTED = {"head_weighted_grads", "head_hidden"}
PRIOR = {"prior_plain", "prior_weighted", "prior_hidden"}

# name: (graded function, [(old, new)], tests that fail, {test: hint fragment})
MISTAKES = {
    "mean-divided-by-T": (ex05.MEAN, [("feat = total / lengths[:, None]", "feat = total / T")], MEAN_VALUES,
                          {"mean_padded": "divided by the padded width T"}),
    "mean-every-step": (ex05.MEAN, [("feat = total / lengths[:, None]", "feat = output.mean(axis=1)")],
                        MEAN_VALUES, {"mean_padded": "pad steps' states included"}),
    "mean-mask-one-late": (ex05.MEAN, [("np.arange(T)[None, :] < lengths", "np.arange(T)[None, :] <= lengths")],
                           MEAN_VALUES, {"mean_padded": "include one pad step"}),
    "mean-batch-count": (ex05.MEAN, [("feat = total / lengths[:, None]", "feat = total / valid.sum()")],
                         MEAN_VALUES | {"mean_full"}, {"mean_full": "valid steps in the whole batch"}),
    "mean-last-state": (ex05.MEAN, [("feat = total / lengths[:, None]", "feat = output[np.arange(N), lengths - 1]")],
                        MEAN_VALUES | {"mean_full"}, {"mean_full": "the last valid state"}),
    "mean-sum": (ex05.MEAN, [("feat = total / lengths[:, None]", "feat = total")], MEAN_VALUES | {"mean_full"},
                 {"mean_full": "the sum of the valid states"}),
    "backward-divided-by-T": (ex05.MEAN_BACKWARD, [("share = dfeat / lengths[:, None]", "share = dfeat / T")],
                              BACKWARD, {"mean_backward": "divided by T"}),
    "backward-not-divided": (ex05.MEAN_BACKWARD, [("share = dfeat / lengths[:, None]", "share = dfeat")],
                             BACKWARD, {"mean_backward": "the gradient of a sum"}),
    "backward-every-step": (ex05.MEAN_BACKWARD, [("doutput = valid[:, :, None] * share[:, None, :]",
                                                  "doutput = np.ones((len(lengths), T, 1)) * (dfeat / T)[:, None]")],
                            BACKWARD, {"mean_backward": "the pad steps got gradient"}),
    "backward-pads-too": (ex05.MEAN_BACKWARD, [("doutput = valid[:, :, None] * share[:, None, :]",
                                                "doutput = np.ones((len(lengths), T, 1)) * share[:, None, :]")],
                          BACKWARD, {"mean_backward_hidden": "the pad steps got gradient"}),
    "backward-last-only": (ex05.MEAN_BACKWARD, [("doutput = valid[:, :, None] * share[:, None, :]",
                                                 "doutput = np.zeros((len(lengths), T, dfeat.shape[1]))\n"
                                                 "    doutput[np.arange(len(lengths)), lengths - 1] = dfeat")],
                           BACKWARD, {"mean_backward": "only the last valid step"}),
    "head-grads-over-N": (ex05.HEAD, [("dz *= (w / w.sum())[:, None]", "dz *= (w / N)[:, None]")], WEIGHTED,
                          {"head_weighted_grads": "gradients are divided by N"}),
    "head-loss-and-grads-over-N": (ex05.HEAD, [("dz *= (w / w.sum())[:, None]", "dz *= (w / N)[:, None]"),
                                               ("log_y[rows, targets]).sum() / w.sum()",
                                                "log_y[rows, targets]).sum() / N")],
                                   WEIGHTED | {"head_weighted_loss"},
                                   {"head_weighted_loss": "the loss: divided by N",
                                    "head_weighted_grads": "dh: divided by N"}),
    "head-weights-on-columns": (ex05.HEAD, [("dz *= (w / w.sum())[:, None]", "dz *= class_weight / w.sum()")],
                                WEIGHTED, {"head_weighted_grads": "multiply dz's columns"}),
    "head-unweighted-gradient": (ex05.HEAD, [("dz *= (w / w.sum())[:, None]", "dz /= N")], WEIGHTED,
                                 {"head_weighted_grads": "the chapter's unweighted gradient"}),
    "head-over-class-weights": (ex05.HEAD, [("dz *= (w / w.sum())[:, None]", "dz *= (w / class_weight.sum())[:, None]"),
                                            ("log_y[rows, targets]).sum() / w.sum()",
                                             "log_y[rows, targets]).sum() / class_weight.sum()")],
                                WEIGHTED | {"head_plain", "head_stable", "head_weighted_loss"},
                                {"head_plain": "sum of the K class weights", "head_hidden": "the N sequences carry"}),
    "head-unstable": (ex05.HEAD, [("    z = z - z.max(axis=1, keepdims=True)                     # stable\n", "")],
                      {"head_stable"}, {"head_stable": "overflowed"}),
    "head-weight-transposed": (ex05.HEAD, [('"weight": dz.T @ h', '"weight": h.T @ dz')],
                               WEIGHTED | {"head_plain"}, {"head_plain": "(K, H) = (3, 4), got (4, 3)"}),
    "constant-shares-as-bias": (ex05.CONSTANT, [("bias = np.log(share)", "bias = share")], PRIOR,
                                {"prior_plain": "the shares themselves", "prior_weighted": "softmax(bias)"}),
    "constant-loss-ln-K": (ex05.CONSTANT, [("loss = -(share * np.log(share)).sum()", "loss = np.log(K)")], PRIOR,
                           {"prior_plain": "uniform guess"}),
    "constant-loss-in-bits": (ex05.CONSTANT, [("loss = -(share * np.log(share)).sum()",
                                               "loss = -(share * np.log2(share)).sum()")], PRIOR,
                              {"prior_weighted": "in bits"}),
    "constant-weights-ignored": (ex05.CONSTANT, [("mass = class_weight * counts", "mass = counts * 1.0")],
                                 {"prior_weighted", "prior_hidden"}, {"prior_weighted": "plain class shares"}),
    "constant-loss-over-N": (ex05.CONSTANT, [("loss = -(share * np.log(share)).sum()",
                                              "loss = -(mass * np.log(share)).sum() / len(targets)")],
                             {"prior_weighted", "prior_hidden"}, {"prior_weighted": "divided by N"}),
    "balanced-grows-with-count": (ex05.BALANCED, [("class_weight = len(targets) / (K * counts)",
                                                   "class_weight = counts / len(targets)")],
                                  {"balanced"}, {"balanced": "grow with the count"}),
    "balanced-all-equal": (ex05.BALANCED, [("class_weight = len(targets) / (K * counts)",
                                            "class_weight = np.ones(K)")],
                           {"balanced"}, {"balanced": "equal weights"}),
}

# One graded run per line: mistakes whose failed tests are disjoint (in different functions but one).
RUNS = [
    ("mean-divided-by-T", "backward-divided-by-T", "head-grads-over-N", "constant-shares-as-bias",
     "balanced-grows-with-count"),
    ("mean-every-step", "backward-not-divided", "head-loss-and-grads-over-N", "constant-loss-ln-K",
     "balanced-all-equal"),
    ("mean-mask-one-late", "backward-every-step", "head-weights-on-columns", "constant-loss-in-bits"),
    ("mean-last-state", "backward-last-only", "head-unweighted-gradient", "constant-weights-ignored"),
    ("mean-sum", "backward-pads-too", "head-over-class-weights"),
    ("mean-batch-count", "head-unstable", "head-weight-transposed", "constant-loss-over-N"),
]


def test_every_mistake_is_graded_once_and_the_mistakes_of_a_run_fail_disjoint_tests():
    graded = [name for run in RUNS for name in run]
    assert sorted(graded) == sorted(MISTAKES)
    for run in RUNS:
        failing = [MISTAKES[name][2] for name in run]
        assert sum(map(len, failing)) == len(set().union(*failing)), run


@pytest.mark.parametrize("run", RUNS, ids=[" + ".join(run) for run in RUNS])
def test_designed_mistakes_score_their_partial_marks_with_their_hints(tmp_path, run):
    sources, fails, hints = {}, set(), {}
    for name in run:
        grade_id, edits, failing, fragments = MISTAKES[name]
        sources[grade_id] = fx.edited_cell(SOLUTION, grade_id, edits, sources.get(grade_id))
        fails |= failing
        hints.update(fragments)
    score = RUBRIC.max_points - sum(POINTS[t] for t in fails)
    fx.assert_designed_score(fx.submission(tmp_path, SOLUTION, sources), RUBRIC, fails, score, hints)


def test_each_mistake_alone_scores_what_the_docstring_says():
    """The marks of each mistake alone, out of 16, as the rubric's docstring lists them."""
    assert RUBRIC.max_points == 16
    alone = {name: RUBRIC.max_points - sum(POINTS[t] for t in failing)
             for name, (_, _, failing, _) in MISTAKES.items()}
    assert {alone[n] for n in ("mean-divided-by-T", "mean-every-step", "mean-mask-one-late")} == {15.0}
    assert alone["mean-last-state"] == alone["mean-sum"] == alone["mean-batch-count"] == 14.0
    assert {alone[n] for n in MISTAKES if n.startswith("backward")} == {13.0}
    assert {alone[n] for n in ("head-grads-over-N", "head-weights-on-columns", "head-unweighted-gradient")} == {13.0}
    assert alone["head-loss-and-grads-over-N"] == alone["head-weight-transposed"] == 12.0
    assert alone["head-over-class-weights"] == 10.0
    assert alone["head-unstable"] == 15.0
    assert {alone[n] for n in ("constant-shares-as-bias", "constant-loss-ln-K", "constant-loss-in-bits")} == {12.0}
    assert alone["constant-weights-ignored"] == alone["constant-loss-over-N"] == 14.0
    assert alone["balanced-grows-with-count"] == alone["balanced-all-equal"] == 15.0


CUMSUM_MEAN = '''def masked_mean(output, lengths):
    running = np.cumsum(output, axis=1)                      # sums of steps 1..t
    return running[np.arange(len(lengths)), lengths - 1] / lengths[:, None]'''

REPEAT_BACKWARD = '''def masked_mean_backward(dfeat, lengths, T):
    mask = (np.arange(T) < lengths[:, None]).astype(float)
    return np.einsum("nt,nh->nth", mask / lengths[:, None], dfeat)'''

LOGSUMEXP_HEAD = '''def weighted_head(h, weight, bias, targets, class_weight):
    z = h @ weight.T + bias
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    w = class_weight[targets]
    n = np.arange(len(targets))
    loss = np.average(lse - z[n, targets], weights=w)
    p = np.exp(z - lse[:, None])
    onehot = np.eye(len(bias))[targets]
    dz = w[:, None] * (p - onehot) / np.sum(w)
    return loss, dz @ weight, {"bias": dz.sum(0), "weight": np.einsum("nk,nh->kh", dz, h)}'''

SHIFTED_CONSTANT = '''def best_constant_head(targets, K, class_weight):
    counts = np.bincount(targets, minlength=K)
    bias = np.log(counts * class_weight) + 7.0          # any constant: same softmax
    p = np.exp(bias) / np.exp(bias).sum()
    return bias, float(-np.sum(p * np.log(p)))'''

INVERSE_COUNTS = '''def balanced_weights(targets, K):
    return 1.0 / np.bincount(targets, minlength=K)'''

RIGHT = {ex05.MEAN: CUMSUM_MEAN, ex05.MEAN_BACKWARD: REPEAT_BACKWARD, ex05.HEAD: LOGSUMEXP_HEAD,
         ex05.CONSTANT: SHIFTED_CONSTANT, ex05.BALANCED: INVERSE_COUNTS}


def test_right_answers_written_other_ways_get_full_marks(tmp_path):
    """A cumulative sum, einsum, np.average, a shifted bias and 1 / n_k: all right."""
    fx.assert_designed_score(fx.submission(tmp_path, SOLUTION, RIGHT), RUBRIC, set(), RUBRIC.max_points)


def test_the_intro_announces_the_rubrics_points_tests_and_answers():
    part = {ex05.MEAN: 1, ex05.MEAN_BACKWARD: 1, ex05.HEAD: 2, ex05.CONSTANT: 3, ex05.BALANCED: 3}
    points = [sum(t.points for t in RUBRIC.tests if part[t.grade_id] == k) for k in (1, 2, 3)]
    hidden = sorted(t.id for t in RUBRIC.tests if t.hidden)
    assert (points, hidden) == ([5, 6, 5], ["head_hidden", "mean_backward_hidden", "prior_hidden"])
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Part 1 is worth 5 points, Part 2 6 points and Part 3 5 points; three of the tests are hidden"
            in said and "The four written answers are read by hand" in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]


def test_each_self_check_runs_its_own_functions_and_no_notebook_judges():
    """After each graded cell, a check of that function alone; no verdicts printed by notebook code."""
    cells = nbformat.read(SOLUTION, as_version=4).cells
    checks = [c.source for c in cells if c.cell_type == "code" and 'course_pkg.check("ex05_classify"' in c.source]
    assert [s.split("course_pkg.check(")[1].split(")")[0] for s in checks] == [
        '"ex05_classify", "masked_mean"', '"ex05_classify", "masked_mean_backward"',
        '"ex05_classify", "weighted_head"', '"ex05_classify", "best_constant_head", "balanced_weights"',
        '"ex05_classify"']
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    for judging in ("rel_error", "numerical_gradient", "allclose", " OK", "✓", "agrees"):
        assert judging not in code


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice, and none reproduces what chapter 5 or
    course_pkg.heads shows. The rubric names those tests: 11 of the 16. The mean readout's
    forward is not among them: the notebook states its weights and chapter 5 its mask."""
    assert ex05.UNDERSTANDING <= set(POINTS)
    assert not {"mean_full", "mean_padded"} & ex05.UNDERSTANDING
    understood = sum(POINTS[i] for i in ex05.UNDERSTANDING)
    assert (understood, sum(POINTS.values())) == (11, 16)
    assert 3 * understood >= 2 * sum(POINTS.values())


def test_the_graded_parts_are_not_the_chapters_lines():
    """Chapter 5 gathers the last valid state and shows the unweighted head: the solution's
    divisor by the length, the 1 / T_n spread, the weighted gradient and the best constant's
    shares are lines neither the chapter nor course_pkg.heads contains."""
    chapter = " ".join(c.source for c in nbformat.read(ROOT / "notebooks" / "ch05_n_vs_1.ipynb",
                                                       as_version=4).cells)
    shown = chapter + (ROOT / "course_pkg" / "heads.py").read_text() + (ROOT / "course_pkg" / "losses.py").read_text()
    for grade_id, line in ((ex05.MEAN, "total / lengths[:, None]"), (ex05.MEAN_BACKWARD, "dfeat / lengths[:, None]"),
                           (ex05.HEAD, "(w / w.sum())[:, None]"), (ex05.CONSTANT, "class_weight * counts"),
                           (ex05.BALANCED, "(K * counts)")):
        assert line in fx.solution_cell(SOLUTION, grade_id)
        assert line not in shown


def test_reference_head_equals_torch_with_class_weights():
    torch = pytest.importorskip("torch")
    for N, H, K, seed, weights in ((5, 4, 3, 0, (1.0, 1.0, 1.0)), (7, 3, 4, 1, (1.0, 4.0, 0.25, 2.0))):
        h, weight, bias, targets, class_weight = ex05.make_head(N, H, K, seed, weights)
        loss, dh, grads = ex05.reference_head(h, weight, bias, targets, class_weight)
        ht, wt, bt = (torch.tensor(a, requires_grad=True) for a in (h, weight, bias))
        ref = torch.nn.functional.cross_entropy(ht @ wt.T + bt, torch.tensor(targets),
                                                weight=torch.tensor(class_weight))
        ref.backward()
        assert np.isclose(loss, ref.item())
        for mine, theirs in [(dh, ht), (grads["weight"], wt), (grads["bias"], bt)]:
            assert np.allclose(mine, theirs.grad.numpy())


def test_the_best_constant_is_what_gradient_descent_on_the_bias_finds():
    targets, K, class_weight = ex05.constant_args((6, 2, 9, 3), (1.0, 3.0, 0.5, 2.0), seed=41)
    bias, loss = ex05.reference_constant(targets, K, class_weight)
    h, W = np.zeros((len(targets), 1)), np.zeros((K, 1))
    b = np.zeros(K)
    for _ in range(3000):
        _, _, grads = ex05.reference_head(h, W, b, targets, class_weight)
        b -= 2.0 * grads["bias"]
    assert np.isclose(ex05.reference_head(h, W, b, targets, class_weight)[0], loss, atol=1e-10)
    assert np.allclose(b - b.mean(), bias - bias.mean(), atol=1e-6)
    assert ex05.reference_head(h, W, bias + 0.1 * np.arange(K), targets, class_weight)[0] > loss


def test_reference_mean_is_the_mean_over_a_sentence_alone():
    """The masked mean of a padded batch is each sequence's mean run alone (course_pkg.RNN with
    lengths leaves the state unchanged after T_n; without, the pads' states enter output.mean)."""
    import course_pkg as cp
    rnn = cp.RNN(3, 4, batch_first=True, dtype="float64", seed=0)
    x = np.random.default_rng(0).standard_normal((3, 6, 3))
    lengths = np.array([6, 2, 4])
    out, _ = rnn(x)
    feat = ex05.reference_mean(out, lengths)
    for n, T_n in enumerate(lengths):
        alone, _ = rnn(x[n:n + 1, :T_n])
        assert np.allclose(feat[n], alone[0].mean(axis=0))
    assert not np.allclose(ex05.reference_mean(out, lengths, "all_steps")[1], feat[1])


def test_each_variant_differs_where_its_mistake_is_designed_to_fail():
    """The padded tests tell every mean variant from the reference; the unpadded one hides the
    divisor T (or the longest length), the pads and the one-late mask; weights of 1 hide every
    weighted variant but the sum of the class weights, which is then K, not N."""
    args = {t.id: t.calls[0].args for t in RUBRIC.tests}
    full, padded = args["mean_full"], args["mean_padded"]
    for variant in ex05.MEAN_MISTAKES:
        assert ex05.rel_error(ex05.reference_mean(*padded, variant), ex05.reference_mean(*padded)) > 1e-3
        hides = variant in ("divided_by_T", "longest", "all_steps", "one_late")
        assert (ex05.rel_error(ex05.reference_mean(*full, variant), ex05.reference_mean(*full)) < 1e-12) == hides
    plain, weighted = args["head_plain"], args["head_weighted_grads"]
    for variant in ex05.HEAD_MISTAKES:
        same = ex05.reference_head(*plain, variant)[1], ex05.reference_head(*plain)[1]
        assert (ex05.rel_error(*same) < 1e-12) == (variant != "class_sum")
        other = ex05.reference_head(*weighted, variant)[1], ex05.reference_head(*weighted)[1]
        assert ex05.rel_error(*other) > 1e-3


@pytest.mark.parametrize("test_id, value", [
    ("mean_full", None), ("mean_full", "text"), ("mean_padded", np.zeros((4, 6, 3))),
    ("mean_backward", [1, 2]), ("head_plain", (1.0, 2.0)), ("head_plain", ("x", None, {})),
    ("head_weighted_grads", (0.5, np.zeros((6, 4)), None)), ("prior_plain", (np.zeros(0), 1.0)),
    ("prior_plain", ({}, 1.0)), ("prior_weighted", (np.zeros(4), "x")), ("balanced", -np.ones(3)),
    ("balanced", np.zeros(3))])
def test_odd_returns_get_a_hint_not_an_error(test_id, value):
    """Whatever a learner's function returns, the judge answers with a hint (CheckFailed)."""
    fx.assert_odd_return_gets_a_hint(RUBRIC, test_id, value)


def test_the_judge_names_a_gradient_divided_by_the_total_weight_without_each_rows_weight():
    """A mistake named by the judge but not graded in a child process (its signature alone)."""
    test = next(t for t in RUBRIC.tests if t.id == "head_weighted_grads")
    value = ex05.reference_head(*test.calls[0].args, "weight_outside")
    with pytest.raises(CheckFailed, match="not multiplied by its own weight"):
        test.judge(test.calls, [CallResult(ex05.HEAD, value=value)])


@pytest.mark.parametrize("test_id, function, variant, fragment", [
    ("mean_padded", ex05.reference_mean, "longest", "longest length in the batch"),
    ("mean_backward", ex05.reference_mean_backward, "batch_count", "valid steps of the whole batch"),
    ("mean_backward", ex05.reference_mean_backward, "pads_too", "pad steps got gradient")])
def test_the_judge_names_the_mean_mistakes_graded_in_process(test_id, function, variant, fragment):
    """Mistakes named by their signature alone: the mean divided by the longest length (the
    second padded batch, whose longest is not T), the backward of a mean over the whole batch's
    valid steps, and 1 / T_n sent to the pad steps too."""
    test = next(t for t in RUBRIC.tests if t.id == test_id)
    values = [function(*call.args) for call in test.calls]
    values[-1] = function(*test.calls[-1].args, variant)
    with pytest.raises(CheckFailed, match=fragment):
        test.judge(test.calls, [CallResult(c.function, value=v) for c, v in zip(test.calls, values)])
