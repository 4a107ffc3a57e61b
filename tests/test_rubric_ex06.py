"""Exercise 6 (greedy decoding, the score of a caption, the exact search for the most probable
caption, a designed initial layer): the partial marks its rubric is designed to give, and its
references checked against course_pkg.SequenceGenerator.

Each wrong submission is the solution notebook with graded cells edited the way learners get
them wrong (every edit must apply once, so the table follows the solution). A graded run
carries one mistake in each of several functions, which fail disjoint tests: the grader must
give exactly the designed points (17 less the points of every failed test), fail exactly the
tests the mistakes break, and say why in each hint. Right answers written other ways must get
full marks. (Full marks for the solution and zero for the blank exercise are checked for
every exercise in ``test_grading.py``.) Each grading starts one child Python (~0.5 s).
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

import course_pkg as cp
from course_pkg.grading.rubric import CallResult, CheckFailed
from course_pkg.grading.rubrics import ex06_decode as ex06
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex06_decode.ipynb"
RUBRIC = rubric_for("ex06_decode")
POINTS = {t.id: t.points for t in RUBRIC.tests}
DECODE = {"decode_batch", "decode_hidden"}
SCORE = {"score_greedy", "score_other", "score_hidden"}
BEST = {"best_search", "best_empty", "best_bound", "best_unended", "best_hidden"}
DESIGN = {"design_two", "design_empty", "design_hidden"}

APPEND = '''        for n in np.flatnonzero(~finished):
            if token[n] == eos:
                finished[n] = True
            else:
                captions[n].append(int(token[n]))'''
ARGMAX_FED = '''def caption_log_prob(h0, params, captions, bos, eos):
    logp = np.zeros(len(h0))
    for n, caption in enumerate(captions):
        h, token = h0[n:n + 1], bos
        for y_t in list(caption) + [eos]:
            h, z = decoder_step(h, np.array([token]), params)
            z = z[0] - z.max()
            logp[n] += z[y_t] - np.log(np.exp(z).sum())
            token = int(z.argmax())                   # what the model would write
    return logp'''
GREEDY_AS_BEST = '''def most_probable_caption(h0, params, bos, eos, max_len):
    return greedy_decode(h0, params, bos, eos, max_len)'''
MEAN_BEST = '''def most_probable_caption(h0, params, bos, eos, max_len):
    out = []
    for h_n in h0:                                     # every prefix, the best mean per step
        h, tokens, prefixes = h_n[None], np.array([bos]), np.zeros((1, 0), dtype=int)
        logp, best, best_mean = np.zeros(1), None, -np.inf
        for t in range(max_len):
            h, z = decoder_step(h, tokens, params)
            lp = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
            mean = (logp + lp[:, eos]) / (t + 1)
            if mean.max() > best_mean:
                best, best_mean = prefixes[int(mean.argmax())].tolist(), mean.max()
            rows, ks = np.nonzero(np.arange(lp.shape[1])[None] != eos + 0 * lp)
            h, tokens, logp = h[rows], ks, logp[rows] + lp[rows, ks]
            prefixes = np.concatenate([prefixes[rows], ks[:, None]], axis=1)
        out.append(best)
    return out'''

# name: (graded function, [(old, new)] or a whole new source, tests that fail, {test: hint fragment})
MISTAKES = {
    "decode-never-stops": (ex06.DECODE, [(APPEND, "        for n in range(len(h0)):\n"
                                                  "            captions[n].append(int(token[n]))")], DECODE,
                           {"decode_batch": "holds eos"}),
    "decode-batch-stops-at-first-eos": (ex06.DECODE, [(APPEND, "        if (token == eos).any():\n            break\n"
                                                               + APPEND)], DECODE,
                                        {"decode_batch": "stops after"}),
    "decode-one-step-short": (ex06.DECODE, [("for _ in range(max_len):", "for _ in range(max_len - 1):")], DECODE,
                              {"decode_batch": "stops after 5 tokens"}),
    "score-no-eos": (ex06.SCORE, [("list(caption) + [eos]", "list(caption)")], SCORE,
                     {"score_greedy": "eos factor is missing"}),
    "score-argmax-fed": (ex06.SCORE, ARGMAX_FED, {"score_other", "score_hidden"},
                         {"score_other": "the model's own argmax was fed back"}),
    "score-not-shifted": (ex06.SCORE, [("inputs, targets = [bos] + list(caption),",
                                        "inputs, targets = list(caption) + [eos],")], SCORE,
                          {"score_other": "the token it must predict"}),
    "score-probability": (ex06.SCORE, [("logp = np.zeros(len(h0))", "logp = np.ones(len(h0))"),
                                       ("logp[n] += z[y_t] - np.log(np.exp(z).sum())",
                                        "logp[n] *= np.exp(z[y_t]) / np.exp(z).sum()")], SCORE,
                          {"score_greedy": "those are probabilities"}),
    "best-greedy": (ex06.BEST, GREEDY_AS_BEST, BEST, {"best_search": "greedy decoding's, log p",
                                                      "best_unended": "writes no eos within max_len"}),
    "best-no-eos-factor": (ex06.BEST, [("ended = logp + step_logp[:, eos]", "ended = logp + 0.0")], BEST,
                           {"best_search": "every caption is empty"}),
    "best-mean-per-step": (ex06.BEST, MEAN_BEST, BEST - {"best_bound"}, {"best_search": "per step"}),
    "best-one-step-too-many": (ex06.BEST, [("for _ in range(max_len):", "for _ in range(max_len + 1):")],
                               {"best_bound"},
                               {"best_bound": "more than max_len = 2"}),
    "design-no-arctanh": (ex06.DESIGN, [("columns.append(np.arctanh(states[hits[0]]))",
                                         "columns.append(states[hits[0]])")], {"design_empty"},
                          {"design_empty": "before the tanh"}),
    "design-transposed": (ex06.DESIGN, [("weight = np.stack(columns, axis=1)", "weight = np.stack(columns)")],
                          DESIGN, {"design_two": "(H, F) = (6, 2), got (2, 6)"}),
    "design-bias-not-subtracted": (ex06.DESIGN, [("bias = np.zeros(H)", "bias = np.full(H, 0.5)")], DESIGN,
                                   {"design_two": "adds b_0 before the tanh"}),
}

# One graded run per line: mistakes in different functions, so their failed tests are disjoint.
RUNS = [
    ("decode-never-stops", "score-no-eos", "best-no-eos-factor", "design-no-arctanh"),
    ("decode-batch-stops-at-first-eos", "score-argmax-fed", "best-mean-per-step", "design-transposed"),
    ("score-not-shifted", "best-greedy", "design-bias-not-subtracted"),      # best-greedy: a right decoder
    ("decode-one-step-short", "score-probability", "best-one-step-too-many"),
]


def edited(grade_id, edits):
    """A whole cell's source as given, or the solution's cell with ``edits`` applied."""
    return edits if isinstance(edits, str) else fx.edited_cell(SOLUTION, grade_id, edits)


def test_every_mistake_is_graded_once_and_runs_touch_each_function_once():
    assert sorted(name for run in RUNS for name in run) == sorted(MISTAKES)
    for run in RUNS:
        functions = [MISTAKES[name][0] for name in run]
        assert len(set(functions)) == len(functions), run


@pytest.mark.parametrize("run", RUNS, ids=[" + ".join(run) for run in RUNS])
def test_designed_mistakes_score_their_partial_marks_with_their_hints(tmp_path, run):
    sources, fails, hints = {}, set(), {}
    for name in run:
        grade_id, edits, failing, fragments = MISTAKES[name]
        sources[grade_id] = edited(grade_id, edits)
        fails |= failing
        hints.update(fragments)
    score = RUBRIC.max_points - sum(POINTS[t] for t in fails)
    fx.assert_designed_score(fx.submission(tmp_path, SOLUTION, sources), RUBRIC, fails, score, hints)


def test_each_mistake_alone_scores_what_the_docstring_says():
    """The marks of each mistake alone, out of 17, as the rubric's docstring lists them."""
    alone = {name: RUBRIC.max_points - sum(POINTS[t] for t in failing)
             for name, (_, _, failing, _) in MISTAKES.items()}
    assert {alone[n] for n in MISTAKES if n.startswith("decode")} == {15.0}
    assert {alone[n] for n in ("score-no-eos", "score-not-shifted", "score-probability")} == {14.0}
    assert alone["score-argmax-fed"] == 15.0
    assert alone["best-greedy"] == alone["best-no-eos-factor"] == 11.0
    assert alone["best-mean-per-step"] == 12.0 and alone["best-one-step-too-many"] == 16.0
    assert alone["design-no-arctanh"] == 15.0
    assert alone["design-transposed"] == alone["design-bias-not-subtracted"] == 11.0


CHAPTER_STYLE_DECODE = '''def greedy_decode(h0, params, bos, eos, max_len):
    h, token = h0, np.full(len(h0), bos)
    done, out = np.zeros(len(h0), dtype=bool), []
    for _ in range(max_len):
        h, z = decoder_step(h, token, params)
        token = np.where(done, eos, z.argmax(axis=1))      # eos once done
        done |= token == eos
        out.append(token)
    rows = np.stack(out, axis=1).tolist()
    return [row[:row.index(eos)] if eos in row else row for row in rows]'''

LOGADDEXP_SCORE = '''def caption_log_prob(h0, params, captions, bos, eos):
    out = []
    for h, caption in zip(h0, captions):
        h, total = h[None], 0.0
        for prev, y in zip([bos, *caption], [*caption, eos]):
            h, z = decoder_step(h, np.array([prev]), params)
            total += z[0, y] - np.logaddexp.reduce(z[0])
        out.append(total)
    return out'''

FULL_ENUMERATION = '''def most_probable_caption(h0, params, bos, eos, max_len):
    out = []
    for h_n in h0:                                     # every prefix, no pruning
        h, tokens, prefixes = h_n[None], np.array([bos]), np.zeros((1, 0), dtype=int)
        logp, best, best_logp = np.zeros(1), None, -np.inf
        for t in range(max_len):
            h, z = decoder_step(h, tokens, params)
            lp = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
            if (logp + lp[:, eos]).max() > best_logp:
                i = int((logp + lp[:, eos]).argmax())
                best, best_logp = prefixes[i].tolist(), (logp + lp[:, eos])[i]
            keep = np.ones_like(lp, dtype=bool)
            keep[:, eos] = False
            rows, ks = np.nonzero(keep)
            h, tokens, logp = h[rows], ks, logp[rows] + lp[rows, ks]
            prefixes = np.concatenate([prefixes[rows], ks[:, None]], axis=1)
        out.append(best)
    return out'''

CENTRED_DESIGN = '''def design_init(params, captions, bos, eos, max_len):
    rng = np.random.default_rng(1)
    states = rng.uniform(-0.9, 0.9, (6000, params["weight_hh"].shape[0]))
    written = greedy_decode(states, params, bos, eos, max_len)
    chosen = []
    for caption in captions:
        hits = [i for i, c in enumerate(written) if c == list(caption) and len(c) < max_len]
        chosen.append(states[hits[len(hits) // 2]])
    bias = 0.1 * np.ones(states.shape[1])
    return np.arctanh(np.array(chosen)).T - bias[:, None], bias'''


def test_right_answers_written_other_ways_get_full_marks(tmp_path):
    """The chapter's eos-filling loop, np.logaddexp and a list, a search that keeps every prefix,
    and a layer with a bias taken from its columns: all right."""
    right = {ex06.DECODE: CHAPTER_STYLE_DECODE, ex06.SCORE: LOGADDEXP_SCORE, ex06.BEST: FULL_ENUMERATION,
             ex06.DESIGN: CENTRED_DESIGN}
    fx.assert_designed_score(fx.submission(tmp_path, SOLUTION, right), RUBRIC, set(), RUBRIC.max_points)


def test_the_intro_announces_the_rubrics_points_tests_and_answers():
    part = {ex06.DECODE: 1, ex06.SCORE: 2, ex06.BEST: 3, ex06.DESIGN: 4}
    points = [sum(t.points for t in RUBRIC.tests if part[t.grade_id] == k) for k in (1, 2, 3, 4)]
    hidden = sorted(t.id for t in RUBRIC.tests if t.hidden)
    assert (points, hidden) == ([2, 3, 6, 6], ["best_hidden", "decode_hidden", "design_hidden", "score_hidden"])
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    said = " ".join(cells["intro"].source.split())
    assert ("Part 1 is worth 2 points, Part 2 3 points, Part 3 6 points and Part 4 6 points; four of the tests "
            "are hidden" in said and "The four written answers are read by hand" in said)
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]


def test_each_self_check_runs_its_own_function_and_no_notebook_judges():
    cells = nbformat.read(SOLUTION, as_version=4).cells
    checks = [c.source for c in cells if c.cell_type == "code" and 'course_pkg.check("ex06_decode"' in c.source]
    assert [s.split("course_pkg.check(")[1].split(")")[0] for s in checks] == [
        f'"ex06_decode", "{f}"' for f in (ex06.DECODE, ex06.SCORE, ex06.BEST, ex06.DESIGN)] + ['"ex06_decode"']
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    for judging in ("rel_error", "numerical_gradient", "allclose", "array_equal", " OK", "✓", "agrees"):
        assert judging not in code


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice, and none reproduces what chapter 6 or
    course_pkg.heads shows. The rubric names those tests: 12 of the 17."""
    assert ex06.UNDERSTANDING <= set(POINTS)
    understood = sum(POINTS[i] for i in ex06.UNDERSTANDING)
    assert (understood, sum(POINTS.values())) == (12, 17)
    assert 3 * understood >= 2 * sum(POINTS.values())


def test_the_graded_parts_are_not_the_chapters_lines():
    """Chapter 6 decodes greedily and scores ten words: the solution's pruned search and the
    inverse through the tanh are lines neither the chapter nor course_pkg.heads contains."""
    chapter = " ".join(c.source for c in nbformat.read(ROOT / "notebooks" / "ch06_1_vs_n.ipynb",
                                                       as_version=4).cells)
    shown = chapter + (ROOT / "course_pkg" / "heads.py").read_text()
    for grade_id, line in ((ex06.BEST, "grown > best_logp"), (ex06.BEST, "logp + step_logp[:, eos]"),
                           (ex06.DESIGN, "np.arctanh("), (ex06.DESIGN, "list(caption) + [eos]")):
        assert line in fx.solution_cell(SOLUTION, grade_id)
        assert line not in shown


def test_the_grader_rows_do_what_each_test_needs():
    """Each test's rows: greedy decoding's endings with every argmax won by MARGIN, and the
    search cases; on every search row the pruned search finds what a full enumeration of the
    ended captions finds, ahead of the next by SEARCH_MARGIN."""
    def greedy_lengths(rows, max_len):
        tokens, margins = ex06.decode_steps(ex06.states(rows), ex06.PARAMS, ex06.BOS, max_len)
        out = []
        for row, margin in zip(tokens, margins):
            n = ex06.decoded_length(row, ex06.EOS)
            assert margin[:max_len if n is None else n + 1].min() > ex06.MARGIN
            out.append(n)
        return out
    assert greedy_lengths(ex06.ROWS["decode_batch"], 6) == [1, 4, 0, None]
    assert greedy_lengths(ex06.ROWS["decode_hidden"], 7) == [5, 0, None, 3, 1, 6]
    args = {t.id: t.calls[0].args for t in RUBRIC.tests}
    best = {i: ex06.reference_best(*args[i]) for i in args if i.startswith("best")}
    for test_id, captions in best.items():
        h0, params, bos, eos, max_len = args[test_id]
        for h, caption in zip(h0, captions):
            found = sorted(ex06.ended_captions(h, params, bos, eos, max_len, prune=False))
            assert found[-1][1] == caption and found[-1][0] - found[-2][0] > ex06.SEARCH_MARGIN
            assert all(len(c) < max_len for _, c in found)
    greedy = {i: ex06.reference_decode(*args[i]) for i in best}
    assert greedy["best_search"][0] != best["best_search"][0] and greedy["best_search"][1] == best["best_search"][1]
    assert best["best_empty"][0] == [] and greedy["best_empty"][0] not in ([], best["best_empty"][0])
    assert all(len(g) == 5 for g in greedy["best_unended"])                 # no eos within max_len
    long = ex06.reference_best(*args["best_bound"], "one_long")
    assert all(len(c) == 2 and c != b for c, b in zip(long, best["best_bound"]))
    for test_id in ("best_search", "best_empty"):                           # greedy and mean differ
        assert ex06.reference_best(*args[test_id], "mean") != greedy[test_id]
    greedy_captions = ex06.reference_decode(*[args["score_greedy"][i] for i in (0, 1, 3, 4)], 8)
    assert args["score_greedy"][2] == greedy_captions and sorted(map(len, greedy_captions)) == [0, 2, 3]
    other = ex06.reference_decode(*[args["score_other"][i] for i in (0, 1, 3, 4)], 8)
    assert all(c != g for c, g in zip(args["score_other"][2], other))


def test_the_designed_captions_are_written_from_the_shares_the_docstring_says():
    written = [tuple(c) for c in ex06.reference_decode(ex06.POOL, ex06.PARAMS, ex06.BOS, ex06.EOS, 6) if len(c) < 6]
    for caption, share in ex06.DESIGN_SHARES.items():
        assert written.count(caption) == round(share * len(ex06.POOL))
    for captions in ex06.DESIGN_CAPTIONS.values():
        assert {tuple(c) for c in captions} <= set(ex06.DESIGN_SHARES)


def generator(params):
    """A course_pkg.SequenceGenerator with the rubric's weights, whose initial layer is the
    identity: features arctanh(h0) start it from h0."""
    K, E = params["embed"].shape
    H = params["weight_hh"].shape[0]
    gen = cp.SequenceGenerator(cp.RNN(E, H, batch_first=True, dtype="float64"), H, K)
    gen.load_state_dict({
        "init.weight": np.eye(H), "init.bias": np.zeros(H), "embed.weight": params["embed"],
        "rnn.weight_ih_l0": params["weight_ih"], "rnn.weight_hh_l0": params["weight_hh"],
        "rnn.bias_ih_l0": params["bias_ih"], "rnn.bias_hh_l0": params["bias_hh"],
        "head.weight": params["head_weight"], "head.bias": params["head_bias"]})
    return gen


def test_reference_decode_is_what_the_generator_writes():
    params = ex06.make_params(seed=4)
    h0 = np.random.default_rng(0).uniform(-0.9, 0.9, (20, 6))
    tokens = generator(params).generate(np.arctanh(h0), bos=ex06.BOS, max_len=7, eos=ex06.EOS)
    want = [[int(t) for t in row[:list(row).index(ex06.EOS)]] if ex06.EOS in row else
            [int(t) for t in row] for row in tokens]
    assert ex06.reference_decode(h0, params, ex06.BOS, ex06.EOS, 7) == want
    assert len({len(c) for c in want}) > 2


def test_reference_score_is_the_generators_teacher_forced_log_probability():
    """The chapter's step_log_probs: the generator's teacher-forced logits, log-softmaxed."""
    params = ex06.make_params(seed=4)
    h0 = np.random.default_rng(1).uniform(-0.9, 0.9, (3, 6))
    caption = [4, 0, 5]
    y = np.array(caption + [ex06.EOS])
    y_in = np.tile(np.r_[ex06.BOS, y[:-1]], (3, 1))
    z = generator(params)(np.arctanh(h0), y_in)                           # (3, T, K)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    want = logp[:, np.arange(len(y)), y].sum(1)
    got = ex06.reference_log_prob(h0, params, [caption] * 3, ex06.BOS, ex06.EOS)
    assert np.allclose(got, want)


@pytest.mark.parametrize("test_id, value", [
    ("decode_batch", None), ("decode_batch", [[1], [2]]), ("decode_batch", [[1.5], [], [], []]),
    ("score_greedy", None), ("score_greedy", [1.0, "x", 2.0]), ("score_greedy", np.zeros(2)),
    ("best_search", "text"), ("best_search", [[1], [2], ["a"]]), ("best_bound", [[1, 1, 1], [4]]),
    ("design_two", None), ("design_two", (np.zeros((6, 2)),)), ("design_two", (np.zeros((6, 2)), np.zeros(5))),
    ("design_two", (np.full((6, 2), np.nan), np.zeros(6))), ("design_two", (np.zeros((6, 2)), np.zeros(6)))])
def test_odd_returns_get_a_hint_not_an_error(test_id, value):
    """Whatever a learner's function returns, the judge answers with a hint (CheckFailed)."""
    fx.assert_odd_return_gets_a_hint(RUBRIC, test_id, value)


def test_the_judge_names_a_decoder_that_keeps_its_eos():
    """A mistake named by the judge but not graded in a child process (its signature alone)."""
    test = next(t for t in RUBRIC.tests if t.id == "decode_batch")
    h0, params, bos, eos, max_len = test.calls[0].args
    kept = [c + [eos] if len(c) < max_len else c for c in ex06.reference_decode(h0, params, bos, eos, max_len)]
    with pytest.raises(CheckFailed, match="holds eos"):
        test.judge(test.calls, [CallResult(ex06.DECODE, value=kept)])


def _judged(test_id, *values):
    """The judge's verdict on the values a learner's calls returned: None (passed) or its hint."""
    test = next(t for t in RUBRIC.tests if t.id == test_id)
    results = [CallResult(c.function, value=v) if not isinstance(v, dict) else CallResult(c.function, error=v)
               for c, v in zip(test.calls, values)]
    try:
        test.judge(test.calls, results)
    except CheckFailed as err:
        return str(err)
    return None


def _search_variant(h0, params, bos, eos, max_len, variant):
    """Usual search mistakes judged in-process (no child run): ``"no_empty"`` (the empty caption
    never a candidate), ``"eos_bound"`` (a prefix dropped when its probability with eos falls
    below the best), ``"beam2"`` (a beam of two prefixes)."""
    out = []
    for h in h0:
        found = []

        def grow(state, token, prefix, lp):
            state, logp = ex06.step(state, np.array([token]), params)
            logp = logp[0]
            ended = lp + logp[eos]
            best = max([f[0] for f in found], default=-np.inf)
            found.append((ended, prefix))
            if len(prefix) + 1 >= max_len or (variant == "eos_bound" and ended < best):
                return []
            return [(state, k, prefix + [k], lp + logp[k]) for k in range(len(logp)) if k != eos]

        level = [(h[None], bos, [], 0.0)]
        while level:
            grown = [g for item in level for g in grow(*item)]
            level = sorted(grown, key=lambda g: -g[3])[:2] if variant == "beam2" else grown
        if variant == "no_empty":
            found = [f for f in found if f[1]]
        out.append(max(found, key=lambda f: f[0])[1])
    return out


@pytest.mark.parametrize("variant, failing, hints", [
    ("one_short", {"best_bound", "best_hidden"}, {"best_bound": "every caption is empty",
                                                  "best_hidden": "stops one token short"}),
    ("no_empty", {"best_empty", "best_hidden"}, {"best_empty": "a caption of 0 tokens"}),
    ("eos_bound", {"best_empty", "best_hidden"}, {"best_empty": "dropped unscored"}),
    ("beam2", {"best_search"}, {"best_search": "a caption of 1 token with log p"})])
def test_the_judge_names_search_mistakes_judged_in_process(variant, failing, hints):
    """Search mistakes beyond the graded runs' (marks in the rubric's docstring: 15, 15, 15, 15)."""
    verdicts = {}
    for test in RUBRIC.tests:
        if test.grade_id == ex06.BEST:
            args = test.calls[0].args
            got = (ex06.reference_best(*args, variant) if variant == "one_short"
                   else _search_variant(*args, variant))
            verdicts[test.id] = _judged(test.id, got)
    assert {i for i, v in verdicts.items() if v} == failing
    for test_id, fragment in hints.items():
        assert fragment in verdicts[test_id]
    assert RUBRIC.max_points - sum(POINTS[i] for i in failing) == {"one_short": 15, "no_empty": 15,
                                                                   "eos_bound": 15, "beam2": 15}[variant]


def _design_from(states_for, captions, H=6):
    """A layer whose column k is states_for(caption k), bias 0 (no inverse through the tanh)."""
    return np.stack([states_for(c) for c in captions], axis=1), np.zeros(H)


def test_a_design_with_a_broken_decoder_is_told_and_a_missing_inverse_can_pass():
    """A design that raises (its own search found nothing with a broken greedy_decode) is told
    to fix Part 1 when greedy_decode fails its test, not when greedy_decode is right; a design
    without the inverse through the tanh passes when its states lie deep inside their regions."""
    raised = {"kind": "raised", "type": "AssertionError", "message": "[2, 6]"}
    decode_args = next(t for t in RUBRIC.tests if t.id == "design_two").calls[1].args
    right = ex06.reference_decode(*decode_args)
    broken = [c + [ex06.EOS] for c in right]
    assert "fix Part 1 first" in _judged("design_two", raised, broken)
    assert "fix Part 1 first" not in _judged("design_two", raised, right)
    blank = {"kind": "raised", "type": "NotImplementedError", "message": ""}
    assert _judged("design_two", blank, blank) == "not implemented yet"
    pool = np.random.default_rng(0).uniform(-0.95, 0.95, (20000, 6))
    written = ex06.reference_decode(pool, ex06.PARAMS, ex06.BOS, ex06.EOS, 6)

    def deepest(caption):                     # the most probable sampled state that writes it
        hits = [i for i, c in enumerate(written) if c == list(caption)]
        lp = ex06.reference_log_prob(pool[hits], ex06.PARAMS, [list(caption)] * len(hits), ex06.BOS, ex06.EOS)
        return pool[hits[int(np.argmax(lp))]]
    for test_id, captions in ex06.DESIGN_CAPTIONS.items():
        assert _judged(test_id, _design_from(deepest, captions), right) is None
