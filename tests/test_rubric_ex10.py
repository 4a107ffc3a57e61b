"""Exercise 10 (masked softmax, additive attention, a beam step, a buggy loop): the partial
marks its rubric is designed to give, and its references checked against course_pkg.

Each wrong submission is the solution notebook with one graded cell rewritten the way
learners get it wrong (``grading_fixtures.with_graded_cell``); the grader must give exactly
the designed points, fail exactly the tests the mistake breaks, and say why in the hint.
(Full marks for the solution and zero for the blank exercise are checked for every exercise
in ``test_grading.py``.) Each grading starts one child Python and trains Part 4's model four
times (about 5 s).
"""
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.attention import additive_attention_backward, additive_attention_forward, masked_softmax
from course_pkg.grading.rubrics import ex10_seq2seq as ex10
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex10_seq2seq.ipynb"
RUBRIC = rubric_for("ex10_seq2seq")
PART1 = {"softmax_plain", "softmax_padded", "softmax_empty", "softmax_large", "softmax_padding_largest",
         "softmax_hidden"}
BACKWARD = {"att_dvalues", "att_dquery", "att_dkeys", "att_dW_q", "att_dW_k", "att_dv", "att_backward_hidden"}
PART2 = {"att_forward", "att_forward_padded"} | BACKWARD
PART3 = {"beam_first", "beam_across", "beam_prefix", "beam_eos", "beam_hidden"}
PART4 = {"loop_predictions", "loop_accuracy", "loop_learns", "loop_hidden"}


solution_cell = partial(fx.solution_cell, SOLUTION)
variant = partial(fx.variant, SOLUTION)


SOFTMAX_BODY = solution_cell("masked_softmax").split("    ### BEGIN SOLUTION\n")[1].split("    ### END")[0]


def softmax(body):
    """A ``masked_softmax`` whose body (between the solution markers) is ``body``."""
    return variant("masked_softmax", SOFTMAX_BODY, body)


STABLE = '''    e = np.exp(s - s.max(axis=-1, keepdims=True))
'''
NO_MASK = softmax("    s = scores\n" + STABLE + "    weights = e / e.sum(axis=-1, keepdims=True)\n")
TIMES_MASK = softmax("    s = scores * np.asarray(mask)[:, None, :]\n" + STABLE
                     + "    weights = e / e.sum(axis=-1, keepdims=True)\n")
MASK_AFTER = softmax("    s = scores\n" + STABLE
                     + "    weights = e / e.sum(axis=-1, keepdims=True) * np.asarray(mask)[:, None, :]\n")
NEG_INF = softmax("    s = np.where(np.asarray(mask)[:, None, :] > 0, scores, -np.inf)\n" + STABLE
                  + "    weights = e / e.sum(axis=-1, keepdims=True)\n")
MINUS_1E9 = softmax("    s = scores - 1e9 * (1 - np.asarray(mask)[:, None, :])\n" + STABLE
                    + "    weights = e / e.sum(axis=-1, keepdims=True)\n")
NO_MAX = variant("masked_softmax", "top = masked.max(axis=-1, keepdims=True)", "top = 0.0 * masked[..., :1]")
MAX_OVER_PADDING_UNGUARDED = softmax("    m = np.asarray(mask)[:, None, :]\n"
                                     "    e = np.exp(scores - scores.max(axis=-1, keepdims=True)) * m\n"
                                     "    weights = e / e.sum(axis=-1, keepdims=True)\n")
INVERTED_MASK = variant("masked_softmax", "valid = np.asarray(mask)[:, None, :] > 0",
                        "valid = np.asarray(mask)[:, None, :] == 0")
OVER_QUERIES = softmax("    valid = np.asarray(mask)[:, None, :] > 0\n"
                       "    masked = np.where(valid, scores, -np.inf)\n"
                       "    top = np.where(valid, scores, -1e300).max(axis=1, keepdims=True)\n"
                       "    e = np.where(valid, np.exp(masked - top), 0.0)\n"
                       "    total = e.sum(axis=1, keepdims=True)\n"
                       "    weights = e / np.where(total > 0, total, 1.0)\n")
MAX_OVER_PADDING = softmax("    m = np.asarray(mask)[:, None, :]\n"
                           "    e = np.exp(scores - scores.max(axis=-1, keepdims=True)) * m\n"
                           "    total = e.sum(axis=-1, keepdims=True)\n"
                           "    weights = e / np.where(total > 0, total, 1.0)\n")

DOT_SCORE = variant("additive_attention_forward", "    scores = u @ params[\"v\"]",
                    "    scores = qp @ kp.swapaxes(1, 2)")
DIAGONAL_JACOBIAN = variant("additive_attention_backward", '''    dscores = weights * (dweights
                         - (weights * dweights).sum(-1, keepdims=True))''', "    dscores = weights * dweights")
NO_JACOBIAN = variant("additive_attention_backward", '''    dscores = weights * (dweights
                         - (weights * dweights).sum(-1, keepdims=True))''', "    dscores = dweights")
NO_TANH = variant("additive_attention_backward", "* params[\"v\"] * (1 - u * u)", "* params[\"v\"]")
V_NOT_SUMMED = variant("additive_attention_backward", "(dscores[..., None] * u).reshape(-1, A).sum(axis=0)",
                       "(dscores[..., None] * u)")
SWAPPED = variant("additive_attention_backward", '''    grads = {"W_q": dqp.reshape(-1, A).T @ query.reshape(-1, query.shape[-1]),
             "W_k": dkp.reshape(-1, A).T @ keys.reshape(-1, keys.shape[-1]),''',
                  '''    grads = {"W_k": dqp.reshape(-1, A).T @ query.reshape(-1, query.shape[-1]),
             "W_q": dkp.reshape(-1, A).T @ keys.reshape(-1, keys.shape[-1]),''')

BEAM_BODY = solution_cell("beam_step").split("    ### BEGIN SOLUTION\n")[1].split("    ### END")[0]
BEST_PER_BEAM = variant("beam_step", BEAM_BODY, '''    total = np.asarray(scores)[:, None] + logp
    best = [(b, int(total[b].argmax()), float(total[b].max())) for b in range(len(total))]
    best = sorted(best, key=lambda h: -h[2])[:K]
    alive = [h for h in best if h[1] != eos]
    finished = [h for h in best if h[1] == eos]
''')
LOGP_ONLY = variant("beam_step", "for flat in np.argsort(-total, axis=None", "for flat in np.argsort(-logp, axis=None")
DROPS_FINISHED = variant("beam_step", '''        (finished if token == eos else alive).append(hypothesis)''', '''        if token != eos:
            alive.append(hypothesis)''')
DIVMOD_BY_B = variant("beam_step", "divmod(int(flat), V)", "divmod(int(flat), len(total))")
STOPS_AT_EOS = variant("beam_step", "        (finished if token == eos else alive).append(hypothesis)",
                       "        (finished if token == eos else alive).append(hypothesis)\n"
                       "        if token == eos:\n"
                       "            break")
EOS_STAYS_ALIVE = variant("beam_step", "(finished if token == eos else alive)", "alive")
REFILLS = variant("beam_step", "np.argsort(-total, axis=None, kind=\"stable\")[:K]",
                  "np.argsort(-total, axis=None, kind=\"stable\")[:K + 5]")
REFILLS = REFILLS.replace("(finished if token == eos else alive).append(hypothesis)",
                          "if token == eos and len(finished) + len(alive) < K:\n"
                          "            finished.append(hypothesis)\n"
                          "        elif token != eos and len(alive) < K:\n"
                          "            alive.append(hypothesis)")

TEACHER_FORCED = variant("train_and_evaluate", '''    predictions, _ = model.greedy(te["X"], te["X_len"], BOS, EOS, MAX_LEN)''',
                         '''    predictions = model(te["X"], te["X_len"], te["Y_in"]).argmax(-1)''')
GREEDY = '''    predictions, _ = model.greedy(te["X"], te["X_len"], BOS, EOS, MAX_LEN)'''
ON_TRAIN = variant("train_and_evaluate", GREEDY, GREEDY.replace("te[", "tr[") + "\n    te = tr")
MAX_LEN_10 = variant("train_and_evaluate", GREEDY, GREEDY.replace("MAX_LEN)", "10)"))
ELEVEN_STEPS = variant("train_and_evaluate", '''right = predictions[:, :10] == te["Y_out"][:, :10]''',
                       '''right = predictions == te["Y_out"]''')
MORE_EPOCHS = variant("train_and_evaluate", "epochs=3, lr=0.01", "epochs=5, lr=0.01")
ORDERED_DICT = variant("train_and_evaluate", '"state_dict": dict(model.state_dict())', '"state_dict": model.state_dict()')

# name: (grade_id, source, tests that fail, score out of 30, {test: hint fragment})
MISTAKES = {
    "softmax-no-mask": ("masked_softmax", NO_MASK,
                        PART1 - {"softmax_plain", "softmax_large"} | {"att_forward_padded", "att_backward_hidden"},
                        22.0, {"softmax_padded": "is the mask applied to the scores before the softmax?"}),
    "softmax-scores-times-mask": ("masked_softmax", TIMES_MASK,
                                  PART1 - {"softmax_plain", "softmax_large"}
                                  | {"att_forward_padded", "att_backward_hidden"}, 22.0,
                                  {"softmax_padded": "before the softmax"}),
    "softmax-mask-after": ("masked_softmax", MASK_AFTER,
                           PART1 - {"softmax_plain", "softmax_large"} | {"att_forward_padded", "att_backward_hidden"},
                           22.0, {"softmax_padded": "not 1: zeroing padding after the softmax"}),
    "softmax-minus-inf-unguarded": ("masked_softmax", NEG_INF, {"softmax_empty", "softmax_hidden"}, 27.0,
                                    {"softmax_empty": "NaN on a fully padded row"}),
    "softmax-minus-1e9": ("masked_softmax", MINUS_1E9, {"softmax_empty", "softmax_hidden"}, 27.0,
                          {"softmax_empty": "a fully padded row sums to 1"}),
    "softmax-no-max": ("masked_softmax", NO_MAX, {"softmax_large", "softmax_hidden"}, 28.0,
                       {"softmax_large": "overflow for large scores"}),
    "softmax-max-over-padding-unguarded": ("masked_softmax", MAX_OVER_PADDING_UNGUARDED,
                                           {"softmax_empty", "softmax_padding_largest", "softmax_hidden"}, 26.0,
                                           {"softmax_empty": "NaN on a fully padded row",
                                            "softmax_padding_largest": "the max over the valid positions only"}),
    "softmax-inverted-mask": ("masked_softmax", INVERTED_MASK, PART1 | PART2, 13.0,
                              {"softmax_plain": "the mask is 1 (True) at a real position",
                               "softmax_padded": "the weights sit on the padding"}),
    "softmax-over-the-queries": ("masked_softmax", OVER_QUERIES, PART1 | PART2, 13.0,
                                 {"softmax_plain": "take the softmax over the last axis, S"}),
    "softmax-max-over-padding": ("masked_softmax", MAX_OVER_PADDING, {"softmax_padding_largest", "softmax_hidden"},
                                 28.0, {"softmax_padding_largest": "the max over the valid positions only"}),
    "attention-dot-product-score": ("additive_attention_forward", DOT_SCORE, PART2, 21.0,
                                    {"att_forward": "the dot product of the projections",
                                     "att_dquery": "fix the forward first"}),
    "attention-jacobian-diagonal-only": ("additive_attention_backward", DIAGONAL_JACOBIAN,
                                         BACKWARD - {"att_dvalues"}, 24.0,
                                         {"att_dquery": "only the diagonal of the softmax's Jacobian"}),
    "attention-no-softmax-jacobian": ("additive_attention_backward", NO_JACOBIAN, BACKWARD - {"att_dvalues"}, 24.0,
                                      {"att_dquery": "without the softmax's Jacobian",
                                       "att_dv": "without the softmax's Jacobian"}),
    "attention-no-tanh-derivative": ("additive_attention_backward", NO_TANH,
                                     BACKWARD - {"att_dvalues", "att_dv"}, 25.0,
                                     {"att_dW_q": "without tanh's derivative"}),
    "attention-v-not-summed": ("additive_attention_backward", V_NOT_SUMMED, {"att_dv", "att_backward_hidden"}, 28.0,
                               {"att_dv": "expected grads['v'] of shape (A,) = (4,)"}),
    "attention-W_q-W_k-swapped": ("additive_attention_backward", SWAPPED,
                                  {"att_dW_q", "att_dW_k", "att_backward_hidden"}, 27.0,
                                  {"att_dW_q": "has the shape of W_k's gradient"}),
    "beam-best-per-beam": ("beam_step", BEST_PER_BEAM, {"beam_first", "beam_across", "beam_eos", "beam_hidden"}, 24.0,
                           {"beam_across": "only the best continuation per beam"}),
    "beam-logp-only": ("beam_step", LOGP_ONLY, {"beam_across", "beam_prefix", "beam_eos", "beam_hidden"}, 24.0,
                       {"beam_prefix": "log-probabilities alone"}),
    "beam-drops-finished": ("beam_step", DROPS_FINISHED, {"beam_eos", "beam_hidden"}, 27.0,
                            {"beam_eos": "finished hypotheses dropped"}),
    "beam-divmod-by-B": ("beam_step", DIVMOD_BY_B, PART3, 23.0, {"beam_across": "so divide by V = 6"}),
    "beam-stops-at-first-eos": ("beam_step", STOPS_AT_EOS, {"beam_eos", "beam_hidden"}, 27.0,
                                {"beam_eos": "the step stopped at a candidate ending in eos"}),
    "beam-eos-stays-alive": ("beam_step", EOS_STAYS_ALIVE, {"beam_eos", "beam_hidden"}, 27.0,
                             {"beam_eos": "is still in alive"}),
    "beam-refills": ("beam_step", REFILLS, {"beam_eos", "beam_hidden"}, 27.0, {"beam_eos": "not refilled"}),
    "loop-teacher-forced": ("train_and_evaluate", TEACHER_FORCED, PART4 - {"loop_learns"}, 25.0,
                            {"loop_predictions": "teacher-forced argmax",
                             "loop_accuracy": "is that of teacher forcing"}),
    "loop-fixed-but-evaluated-on-train": ("train_and_evaluate", ON_TRAIN,
                                          {"loop_predictions", "loop_accuracy", "loop_hidden"}, 25.0,
                                          {"loop_predictions": "evaluate on data['test']"}),
    "loop-fixed-with-max-len-10": ("train_and_evaluate", MAX_LEN_10, {"loop_predictions", "loop_hidden"}, 27.0,
                                   {"loop_predictions": "expected MAX_LEN = 11"}),
    "loop-accuracy-over-11-steps": ("train_and_evaluate", ELEVEN_STEPS, {"loop_accuracy", "loop_hidden"}, 27.0,
                                    {"loop_accuracy": "counts all 11 steps, <eos> too"}),
    "loop-fixed-and-trained-longer": ("train_and_evaluate", MORE_EPOCHS, {"loop_learns", "loop_hidden"}, 28.0,
                                      {"loop_learns": "leave the model, its seed and its training"}),
    "loop-ordered-dict": ("train_and_evaluate", ORDERED_DICT, PART4, 24.0,
                          {"loop_learns": "return dict(model.state_dict())"}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usual_mistake_gets_its_designed_partial_marks(tmp_path, mistake):
    grade_id, source, failing, score, hints = MISTAKES[mistake]
    path = fx.with_graded_cell(tmp_path, SOLUTION, grade_id, source)
    fx.assert_designed_score(path, RUBRIC, failing, score, hints)


def test_the_points_are_those_the_notebook_announces():
    points = {name: sum(t.points for t in RUBRIC.tests if t.grade_id == name) for name in ex10.SIGNATURES}
    assert points == {"masked_softmax": 8, "additive_attention_forward": 2, "additive_attention_backward": 7,
                      "beam_step": 7, "train_and_evaluate": 6}
    assert {t.id for t in RUBRIC.tests} == PART1 | PART2 | PART3 | PART4
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"softmax_hidden", "att_backward_hidden", "beam_hidden",
                                                        "loop_hidden"}
    intro = nbformat.read(SOLUTION, as_version=4).cells[0].source
    assert all(f in intro for f in ("Part 1 is worth 8", "Part 2 9 points", "Part 3 7 points", "Part 4 6 points"))
    headings = [c.source.splitlines()[0] for c in nbformat.read(SOLUTION, as_version=4).cells
                if c.cell_type == "markdown" and c.source.startswith("## Part")]
    assert headings == ["## Part 1 · A masked softmax that survives padding",
                        "## Part 2 · Additive attention, forward and backward",
                        "## Part 3 · One step of beam search", "## Part 4 · Find the bug in a training loop"]


def test_reference_softmax_is_course_pkgs_where_that_is_defined():
    for test in RUBRIC.tests:
        if test.grade_id != ex10.SOFTMAX:
            continue
        scores, mask = test.calls[0].args
        want = ex10.reference_softmax(scores, mask)
        assert np.isfinite(want).all()
        full = np.asarray(mask).sum(1) > 0
        assert np.allclose(want[full], masked_softmax(scores[full], np.asarray(mask)[full].astype(np.int64)))
        assert (want[~full] == 0).all()
        if not full.all():
            with pytest.raises(ValueError, match="at least one valid position"):
                masked_softmax(scores, np.asarray(mask).astype(np.int64))


def test_reference_backward_equals_centred_differences_and_course_pkg():
    q, k, v, p, mask, dcontext = ex10.make_attention(3, 4, 4, 5, 5, 2, 3, (4, 1, 3), seed=21)
    numeric = ex10.numerical_gradients(q, k, v, p, mask, dcontext)
    ours = ex10.variant_backward(q, k, v, p, mask, dcontext)
    dq, dk, dv, grads = additive_attention_backward(dcontext, additive_attention_forward(q, k, v, p, mask)[2])
    theirs = {"dquery": dq, "dkeys": dk, "dvalues": dv, **grads}
    for name in ex10.GRADS:
        assert np.allclose(ours[name], theirs[name], rtol=1e-10, atol=1e-12), name
        assert np.abs(numeric[name] - theirs[name]).max() < 1e-8 * max(1.0, np.abs(theirs[name]).max()), name
    for mistake in ex10.MISTAKES:                    # each usual mistake changes the gradients it names
        wrong = ex10.variant_backward(q, k, v, p, mask, dcontext, **{mistake: False})
        assert not np.allclose(wrong["dquery"], theirs["dquery"]), mistake


def test_the_beam_inputs_show_what_their_tests_name():
    for test in RUBRIC.tests:
        if test.grade_id != ex10.BEAM:
            continue
        scores, logp, eos, K = test.calls[0].args
        shows = ex10.beam_conditions(scores, logp, eos, K)
        total = np.sort((scores[:, None] + logp).ravel())[::-1]
        assert np.diff(total[:K + 1]).min() < -1e-6           # no tie at or next to the cut
        assert {"beam_first": shows["eos"] == 0, "beam_across": shows["shared"] and shows["eos"] == 0,
                "beam_prefix": shows["logp_differs"] and not shows["shared"],
                "beam_eos": shows["eos"] == 1, "beam_hidden": shows["eos"] == 2}[test.id]


def test_reference_beam_step_drives_a_search_equal_to_seq2seq_beam_search():
    """Beam search rebuilt on the rubric's step, with the decoder steps of a small random
    Seq2Seq, writes what Seq2Seq.beam_search writes, for several widths and sources."""
    from course_pkg.seq2seq import Seq2Seq, _take
    model = Seq2Seq(9, 7, 4, 6, attention="dot", seed=3, dtype="float64")
    state = model.state_dict()
    state["out.bias"] = state["out.bias"] + 1.2 * (np.arange(7) == 3)      # eos now and then
    model.load_state_dict(state)
    rng = np.random.default_rng(0)
    ended = 0
    for src in rng.integers(4, 9, (6, 1, 5)):
        lengths = np.array([5])
        for K in (1, 2, 3):
            want = model.beam_search(src, lengths, bos=2, eos=3, max_len=6, beam_size=K, length_penalty=0.0)[0]
            enc_out, c, mask, state = model.encode(src, lengths)
            beams, finished = [([], 0.0)], []
            for step in range(1, 7):
                enc = tuple(_take(a, [0] * len(beams), axis=0) for a in (enc_out, c, mask))
                tokens = np.array([b[0][-1] if b[0] else 2 for b in beams])
                logp, state_next, _ = model._step(tokens, state, *enc)
                alive, done = ex10.reference_beam_step(np.array([b[1] for b in beams]), logp, 3, K)
                finished += [(beams[p][0] + [t], s) for p, t, s in done]
                beams_next = [(beams[p][0] + [t], s) for p, t, s in alive]
                state = _take(state_next, [p for p, _, _ in alive], axis=1) if alive else state
                beams = beams_next
                if not beams or len(finished) >= K:
                    break
            # hypotheses still alive compete only if the search ran max_len steps
            assert max(finished + (beams if step == 6 else []), key=lambda h: h[1])[0] == want
            ended += 3 in want
    assert ended > 0                                   # some searches ended on eos
