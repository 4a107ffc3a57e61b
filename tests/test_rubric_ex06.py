"""Exercise 6's rubric gives the partial marks it was designed for (see its docstring).

Each wrong submission is the solution notebook with one graded function rewritten the way
learners get it wrong; the grader runs it in a child process and must give exactly the
designed score, failing exactly the designed tests. The references are checked against
``course_pkg.SequenceGenerator`` (decoding and the initial state's gradients).
"""
from pathlib import Path

import numpy as np
import pytest

import grading_fixtures as fx

import course_pkg as cp
from course_pkg.grading.rubrics import ex06_decode as ex06
from course_pkg.grading.rubrics import rubric_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex06_decode.ipynb"
RUBRIC = rubric_for("ex06_decode")
PART1 = {"decode_one", "decode_batch", "decode_max_len", "decode_empty", "decode_hidden"}
PART2 = {"init_one", "init_batch", "init_dv", "init_dweight", "init_dbias", "init_hidden"}

STEP = '''
    x = params["embed"][token]
    h = np.tanh(x @ params["weight_ih"].T + params["bias_ih"]
                + h @ params["weight_hh"].T + params["bias_hh"])
    token = (h @ params["head_weight"].T + params["head_bias"]).argmax(axis=1)
'''


def decoder(body):
    """A ``greedy_decode`` whose loop body (after one step) is ``body``."""
    step = STEP.strip("\n").replace("\n    ", "\n        ")
    return f'''
def greedy_decode(h0, params, bos, eos, max_len):
    h, token = h0, np.full(len(h0), bos)
    finished = np.zeros(len(h0), dtype=bool)
    captions = [[] for _ in range(len(h0))]
{body.format(step=step)}
    return captions
'''


NEVER_STOPS = decoder('''    for _ in range(max_len):
    {step}
        for b in range(len(h0)):
            captions[b].append(int(token[b]))''')

BATCH_STOPS = decoder('''    for _ in range(max_len):
    {step}
        if (token == eos).any():
            break
        for b in range(len(h0)):
            captions[b].append(int(token[b]))''')

KEEPS_EOS = decoder('''    for _ in range(max_len):
    {step}
        for b in np.flatnonzero(~finished):
            captions[b].append(int(token[b]))
            finished[b] = token[b] == eos''')

ONE_STEP_SHORT = decoder('''    for _ in range(max_len - 1):
    {step}
        for b in np.flatnonzero(~finished):
            if token[b] == eos:
                finished[b] = True
            else:
                captions[b].append(int(token[b]))''')

NO_TANH_DERIVATIVE = '''
def init_state_backward(dh0, cache):
    v, weight, h0 = cache
    return dh0 @ weight, {"weight": dh0.T @ v, "bias": dh0.sum(axis=0)}
'''

TRANSPOSED = '''
def init_state_backward(dh0, cache):
    v, weight, h0 = cache
    da = dh0 * (1 - h0 * h0)
    return da @ weight, {"weight": v.T @ da, "bias": da.sum(axis=0)}
'''

BIAS_NOT_SUMMED = '''
def init_state_backward(dh0, cache):
    v, weight, h0 = cache
    da = dh0 * (1 - h0 * h0)
    return da @ weight, {"weight": da.T @ v, "bias": da}
'''


def submission(tmp_path, grade_id, source):
    return fx.with_graded_cell(tmp_path, SOLUTION, grade_id, source)


# (graded cell, its wrong source, tests that fail, score out of 12, hint fragments)
@pytest.mark.parametrize("grade_id, source, fails, score, hints", [
    ("greedy_decode", NEVER_STOPS, PART1 - {"decode_max_len"}, 7.0, {"decode_one": "holds eos"}),
    ("greedy_decode", BATCH_STOPS, {"decode_batch", "decode_empty", "decode_hidden"}, 8.0,
     {"decode_batch": "stops after"}),
    ("greedy_decode", KEEPS_EOS, PART1 - {"decode_max_len"}, 7.0, {"decode_one": "holds eos"}),
    ("greedy_decode", ONE_STEP_SHORT, {"decode_batch", "decode_max_len", "decode_hidden"}, 8.0, {}),
    ("init_state_backward", NO_TANH_DERIVATIVE, PART2 - {"init_one", "init_batch"}, 8.0, {}),
    ("init_state_backward", TRANSPOSED, {"init_dweight", "init_hidden"}, 10.0,
     {"init_dweight": "(H, F) = (3, 5), got (5, 3)"}),
    ("init_state_backward", BIAS_NOT_SUMMED, {"init_dbias", "init_hidden"}, 10.0, {}),
], ids=["never stops", "batch stops at first eos", "keeps eos", "max_len - 1 steps",
        "no tanh derivative", "transposed dW", "bias not summed"])
def test_designed_mistakes_score_their_partial_marks(tmp_path, grade_id, source, fails, score, hints):
    assert RUBRIC.max_points == 12.0
    fx.assert_designed_score(submission(tmp_path, grade_id, source), RUBRIC, fails, score, hints)


def test_the_points_add_up_per_part():
    points = {t.id: t.points for t in RUBRIC.tests}
    assert sum(points[i] for i in PART1) == 6
    assert sum(points[i] for i in PART2) == 6
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"decode_hidden", "init_hidden"}


def test_the_decoding_tests_cover_every_ending():
    """Each test's captions end as its name says, and every argmax wins by the margin."""
    lengths = {}
    for test in RUBRIC.tests:
        if test.grade_id != ex06.DECODE:
            continue
        h0, params, bos, eos, max_len = test.calls[0].args
        tokens, margins = ex06.decode_steps(h0, params, bos, max_len)
        lengths[test.id] = [ex06.decoded_length(row, eos) for row in tokens]
        for row, margin in zip(tokens, margins):
            n = ex06.decoded_length(row, eos)
            assert margin[:max_len if n is None else n + 1].min() > ex06.MARGIN
    assert lengths["decode_one"] == [3]
    assert lengths["decode_batch"] == [1, 4, 2, None]
    assert lengths["decode_max_len"] == [None]
    assert lengths["decode_empty"] == [0, 2]


def test_reference_decode_is_what_the_generator_writes():
    params = ex06.make_params(seed=4)
    V, D = params["embed"].shape
    H = params["weight_hh"].shape[0]
    gen = cp.SequenceGenerator(cp.RNN(D, H, batch_first=True, dtype="float64"), H, V)
    gen.load_state_dict({
        "init.weight": np.eye(H), "init.bias": np.zeros(H), "embed.weight": params["embed"],
        "rnn.weight_ih_l0": params["weight_ih"], "rnn.weight_hh_l0": params["weight_hh"],
        "rnn.bias_ih_l0": params["bias_ih"], "rnn.bias_hh_l0": params["bias_hh"],
        "head.weight": params["head_weight"], "head.bias": params["head_bias"]})
    h0 = np.random.default_rng(0).uniform(-0.9, 0.9, (20, H))
    tokens = gen.generate(np.arctanh(h0), bos=ex06.BOS, max_len=7, eos=ex06.EOS)
    want = [[int(t) for t in row[:list(row).index(ex06.EOS)]] if ex06.EOS in row else
            [int(t) for t in row] for row in tokens]
    assert ex06.reference_decode(h0, params, ex06.BOS, ex06.EOS, 7) == want
    assert len({len(c) for c in want}) > 2


def test_reference_init_state_is_the_generators():
    v, weight, bias, dh0 = ex06.make_init(4, 5, 3, seed=0)
    rnn = cp.RNN(2, 3, batch_first=True, dtype="float64", seed=0)
    gen = cp.SequenceGenerator(rnn, 5, 4, seed=0)
    state = gen.state_dict()
    state.update({"init.weight": weight, "init.bias": bias})
    gen.load_state_dict(state)
    h0 = gen.initial_state(v)[0]
    assert np.allclose(h0, ex06.reference_init_forward(v, weight, bias))
    # the generator's backward through h_0 alone: zero logit gradients, dh_0 injected
    dv, grads = ex06.reference_init_backward(dh0, v, weight, bias)
    dfeatures, g_init = gen.init.backward(dh0 * (1 - h0 * h0))
    assert np.allclose(dv, dfeatures)
    assert np.allclose(grads["weight"], g_init["weight"]) and np.allclose(grads["bias"], g_init["bias"])
