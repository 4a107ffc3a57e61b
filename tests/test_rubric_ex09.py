"""Exercise 9 (reverse direction, shapes, BiGRU NER): the partial marks its rubric is designed to give.

Each submission is the solution notebook with one graded cell rewritten the way learners get
it wrong (``grading_fixtures.with_graded_cell``); the grader must give exactly the points that
``course_pkg/grading/rubrics/ex09_bidirectional.py`` promises, fail exactly the tests the
mistake breaks, and say why in the hint. (Full marks for the solution and zero for the blank
exercise are checked for every exercise in ``test_grading.py``.) Each grading starts one
child Python; the NER submissions train four small taggers (about 2 s).
"""
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.grading.rubrics import rubric_for
from course_pkg.grading.rubrics import ex09_bidirectional as ex09

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex09_bidirectional.ipynb"
RUBRIC = rubric_for("ex09_bidirectional")
PART1 = {"rev_out", "rev_h_n", "rev_padded_out", "rev_padded_h_n", "rev_long"}
PART2 = {"shapes_one", "shapes_batch_first", "shapes_bidirectional", "params_one", "params_deep",
         "shapes_deep_hidden"}
PART3 = {"ner_bigru", "ner_gru", "ner_margin", "ner_bigru_seed1"}


solution_cell = partial(fx.solution_cell, SOLUTION)
variant = partial(fx.variant, SOLUTION)


WHOLE_FLIP = variant("reverse_direction", '''    for b in range(N):
        L = int(lengths[b])
        x_rev = x[b:b + 1, :L][:, ::-1]           # x_{L-1}, ..., x_0
        h, _ = gru_forward(x_rev, np.zeros((1, H)), params)
        out[b, :L] = h[0, ::-1]                    # back to time order
        h_n[b] = h[0, -1]                          # after reading x_0
''', '''    h, _ = gru_forward(x[:, ::-1], np.zeros((N, H)), params)
    out, h_n = h[:, ::-1], h[:, -1]
''')
NOT_REREVERSED = variant("reverse_direction", "out[b, :L] = h[0, ::-1]", "out[b, :L] = h[0]")
H_N_LAST_STEP = variant("reverse_direction", "h_n[b] = h[0, -1]", "h_n[b] = out[b, L - 1]")

H_N_BATCH_FIRST = variant("layer_shapes", "h_n_shape = (num_layers * dirs, N, H)",
                          "h_n_shape = ((N, num_layers * dirs, H) if batch_first\n"
                          "                 else (num_layers * dirs, N, H))")
INPUT_D_EVERY_LAYER = variant("layer_shapes", "d_in = D if layer == 0 else dirs * H", "d_in = D")
ONE_BIAS = variant("layer_shapes", "+ 2 * G * H)", "+ G * H)")

ALWAYS_ONE_WAY = variant("train_ner_tagger", "bidirectional=bidirectional,", "bidirectional=False,")
UNTRAINED = variant("train_ner_tagger", '''    train.fit(model, (X, lengths, y), loss="cross_entropy", epochs=3,
              lr=0.02, batch_size=64, seed=seed, progress=False)
''', "")
ORDERED_DICT = variant("train_ner_tagger", "return dict(model.state_dict())", "return model.state_dict()")


def graded(tmp_path, grade_id, source):
    return fx.graded_ok(fx.with_graded_cell(tmp_path, SOLUTION, grade_id, source), RUBRIC)


# name: (grade_id, source, tests that fail, score out of 20, {test: hint fragment})
MISTAKES = {
    "flips-the-padded-array": ("reverse_direction", WHOLE_FLIP,
                               {"rev_padded_out", "rev_padded_h_n", "rev_long"}, 16.0, {}),
    "output-not-re-reversed": ("reverse_direction", NOT_REREVERSED,
                               {"rev_out", "rev_padded_out", "rev_long"}, 15.0,
                               {"rev_out": "out: values off by"}),
    "h_n-from-the-last-step": ("reverse_direction", H_N_LAST_STEP, {"rev_h_n", "rev_padded_h_n"}, 18.0,
                               {"rev_h_n": "FIRST step", "rev_padded_h_n": "final state is at t = 0"}),
    "h_n-batch-first": ("layer_shapes", H_N_BATCH_FIRST,
                        {"shapes_batch_first", "shapes_bidirectional", "shapes_deep_hidden"}, 17.0,
                        {"shapes_batch_first": "expected h_n of shape (2, 3, 8), got (3, 2, 8)"}),
    "every-layer-reads-D": ("layer_shapes", INPUT_D_EVERY_LAYER, {"params_deep", "shapes_deep_hidden"}, 18.0,
                            {"params_deep": "expected 141312 parameters"}),
    "one-bias": ("layer_shapes", ONE_BIAS, {"params_one", "params_deep", "shapes_deep_hidden"}, 17.0, {}),
    "ignores-bidirectional": ("train_ner_tagger", ALWAYS_ONE_WAY, {"ner_bigru", "ner_margin", "ner_bigru_seed1"},
                              14.0, {"ner_bigru": "pass bidirectional to the GRU"}),
    "untrained": ("train_ner_tagger", UNTRAINED, PART3, 13.0, {"ner_bigru": "is it trained"}),
    "ordered-dict": ("train_ner_tagger", ORDERED_DICT, PART3, 13.0,
                     {"ner_gru": "return dict(model.state_dict())"}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usual_mistake_gets_its_designed_partial_marks(tmp_path, mistake):
    grade_id, source, failing, score, hints = MISTAKES[mistake]
    result = graded(tmp_path, grade_id, source)
    hint = {r.test.id: r.hint for r in result.results}
    assert (result.status, result.cell_errors, fx.failed_ids(result)) == ("ok", [], failing)
    assert (result.score, result.max_score) == (score, 20.0)
    missing = {t: hint[t] for t, fragment in hints.items() if fragment not in hint[t]}
    assert not missing, missing


def test_the_points_are_those_the_notebook_announces():
    points = {name: sum(t.points for t in RUBRIC.tests if t.grade_id == name) for name in ex09.SIGNATURES}
    assert points == {"reverse_direction": 7, "layer_shapes": 6, "train_ner_tagger": 7}
    assert {t.id for t in RUBRIC.tests} == PART1 | PART2 | PART3
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"rev_long", "shapes_deep_hidden", "ner_bigru_seed1"}
    intro = nbformat.read(SOLUTION, as_version=4).cells[0].source
    assert all(f in intro for f in ("Part 1 is worth 7", "Part 2 6 points", "Part 3 7 points"))


def test_reference_shapes_and_counts_equal_torch():
    torch = pytest.importorskip("torch")
    for args in [t.calls[0].args for t in RUBRIC.tests if t.grade_id == "layer_shapes"]:
        cell, T, N, D, H, L, bi, bf = args
        layer = getattr(torch.nn, cell)(D, H, num_layers=L, bidirectional=bi, batch_first=bf)
        output, h_n = layer(torch.zeros((N, T, D) if bf else (T, N, D)))
        h_n = h_n[0] if cell == "LSTM" else h_n
        want = (tuple(output.shape), tuple(h_n.shape), sum(p.numel() for p in layer.parameters()))
        assert ex09.reference_shapes(*args) == want, args


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
