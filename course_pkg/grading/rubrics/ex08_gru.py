"""Rubric of exercise 8, the GRU: 19 points in three parts.

- Part 1, ``gru_step_forward`` (3 points, one hidden): ``h_next`` compared with
  :func:`course_pkg.gru.gru_step_forward` (torch's gate order ``r, z, n``, reset gate after
  the recurrent product, ``h' = (1 - z) n + z h``).
- Part 2, ``gru_step_backward`` (7 points, one hidden), tested with the cache that the
  learner's own ``gru_step_forward`` returned (whatever its layout). Each gradient is
  checked twice, in float64: against centred differences of the GRU step (computed here,
  in the grader's process, with :func:`course_pkg.gradcheck.numerical_gradient`) and
  against :func:`course_pkg.gru.gru_step_backward`.
- Part 3, vanilla RNN vs LSTM vs GRU on the adding problem at ``T = 30`` (seed exercise 4):
  ``count_parameters`` 2 points; ``train_cell`` 4 (one hidden), whose returned weights
  are scored here, on the validation set, so what the learner's loop reports is checked
  rather than trusted; ``summarise`` 3 (one hidden), called on tables made up here, so
  that answers typed in by hand score nothing. The written answer is marked by hand.

What the training tests assert holds on every seed and BLAS kernel: over seeds 0-2 and the
kernels Haswell, SkylakeX and Prescott, the GRU trained with the notebook's fixed budget
reached a validation MSE of 0.0014-0.0036 (the mean predictor's is 0.16-0.17), against the
bar :data:`GRU_BAR` = 0.05; the vanilla RNN and the LSTM stayed at 0.164-0.18, so no test
asks them to learn. The reported last validation MSE must match the returned weights'
within :data:`REPORT_RTOL`.

The partial marks are designed around the usual mistakes (``tests/test_rubric_ex08.py``
grades each of them):

- the paper's reset placement, ``(r * h) W_hn^T``, loses Part 1, and every backward test
  then says that the forward is to be fixed first: Part 3 only, 9 of 19;
- the blend the other way round, ``(1 - z) h + z n``, loses Part 1 only: its cache holds
  the right gates, so a right backward still scores, 16 of 19;
- a backward that gives ``b_hn`` the gradient of ``b_in`` (forgetting that ``r``
  multiplies it) loses ``dbias_hh`` and the hidden all-gradients test: 17 of 19;
- one that forgets the direct path ``z * dh`` into ``dh_prev`` loses ``dh_prev`` and the
  hidden test: 17 of 19;
- a parameter count with one bias per gate block, ``G (HD + H^2 + H)``, loses both counting
  tests and the row test (2 points) that compares with the count: 15 of 19;
- a ``train_cell`` that trains one epoch instead of ten loses the three training tests:
  15 of 19;
- a ``summarise`` that reads the target from the constant instead of its argument loses
  the hidden test only, 18 of 19; one that types in the notebook's answers loses all three,
  16 of 19.

Functions imported from ``course_pkg`` under the graded names score nothing. Four tests
are hidden: ``course_pkg.check`` does not run them. It runs the full-data training with one
seed (the hidden test trains with another), giving each call 10 s as the grader does (a
training took 0.96-1.26 s on an idle core); the row test trains on a fifth of the data.
"""
from __future__ import annotations

from functools import partial
from numbers import Integral, Real

import numpy as np

from course_pkg.grading.rubric import (Answer, Call, CheckFailed, Rubric, Test, compare_array,
                                       compare_gradients, describe_value, expect,
                                       judge_beside_forward, own_output)
from course_pkg.grading.wire import Ref
from course_pkg.gradcheck import numerical_gradient
from course_pkg.gru import gru_step_backward as reference_backward
from course_pkg.gru import gru_step_forward as reference_forward

FORWARD, BACKWARD = "gru_step_forward", "gru_step_backward"
COUNT, TRAIN, SUMMARISE = "count_parameters", "train_cell", "summarise"
SIGNATURES = {FORWARD: ("x", "h_prev", "params"), BACKWARD: ("dh_next", "cache"),
              COUNT: ("cell", "D", "H"), TRAIN: ("cell", "data", "seed"),
              SUMMARISE: ("results", "target")}
FORWARD_TOL, BACKWARD_TOL, NUMERIC_TOL = 1e-9, 1e-8, 1e-6
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
SHAPES = {"h_next": "(N, H)", "dx": "(N, D)", "dh_prev": "(N, H)", "weight_ih": "(3H, D)",
          "weight_hh": "(3H, H)", "bias_ih": "(3H,)", "bias_hh": "(3H,)"}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}

# Part 3's fixed budget: the notebook's set-up cell states the same numbers.
T_ADD, HIDDEN, EPOCHS, TARGET = 30, 16, 10, 0.05
GRU_BAR = 0.05          # the GRU's validation MSE after training (measured 0.0014-0.0036)
REPORT_RTOL = 0.02      # the reported last val_mse against the returned weights' own
ROW_KEYS = ("parameters", "val_mse", "state_dict")


def make_inputs(N, D, H, seed):
    """Seeded float64 ``(x, h_prev, params, dh_next)`` of shapes ``(N, D)``, ``(N, H)``, … ."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    h_prev = rng.uniform(-1.0, 1.0, (N, H))
    params = {"weight_ih": rng.standard_normal((3 * H, D)) / np.sqrt(D),
              "weight_hh": rng.standard_normal((3 * H, H)) / np.sqrt(H),
              "bias_ih": 0.5 * rng.standard_normal(3 * H),
              "bias_hh": 0.5 * rng.standard_normal(3 * H)}
    return x, h_prev, params, rng.standard_normal((N, H))


def adding_data():
    """The notebook's data: ``(x, y, x_val, y_val)``, float32, from the adding problem at T = 30."""
    from course_pkg.data import adding_problem
    x, y = adding_problem(1000, T=T_ADD, seed=100)
    x_val, y_val = adding_problem(500, T=T_ADD, seed=101)
    f32 = np.float32
    return x.astype(f32), y[:, None].astype(f32), x_val.astype(f32), y_val[:, None].astype(f32)


def reference_count(cell, D, H):
    """``G (HD + H^2 + 2H)``: one layer of ``torch.nn.RNN``/``LSTM``/``GRU``, two biases."""
    return GATES[cell] * (H * D + H * H + 2 * H)


def validation_mse(cell, state_dict, data):
    """The validation MSE of a ``SequenceClassifier`` with these weights, computed here."""
    import course_pkg as cp
    layer = {"rnn": cp.RNN, "lstm": cp.LSTM, "gru": cp.GRU}[cell]
    model = cp.SequenceClassifier(layer(data[0].shape[2], HIDDEN, batch_first=True), 1)
    try:
        model.load_state_dict(state_dict)
    except (TypeError, ValueError) as err:
        raise CheckFailed(f"the returned state_dict does not load into a SequenceClassifier "
                          f"of a {cell.upper()} with {HIDDEN} units: {err}") from None
    pred = model.eval()(data[2])
    return float(np.mean((np.asarray(pred, np.float64) - data[3]) ** 2))


# --------------------------------------------------------------------------- judges (pure)

def judge_forward(calls, results):
    """``h_next`` of the learner's forward equals the reference's."""
    x, h_prev, params = calls[0].args
    h_next = own_output(results[0], 2)[0]
    compare_array("h_next", h_next, reference_forward(x, h_prev, params)[0], SHAPES["h_next"],
                  FORWARD_TOL)


def judge_backward(calls, results, names):
    """The named gradients against centred differences and against course_pkg's."""
    judge_beside_forward(check_gradients, judge_forward, FORWARD, "Part 1", calls, results, names)


def numeric_gradients(x, h_prev, params, dh_next, names):
    """Centred differences (float64, h = 1e-6) of ``sum(h_next * dh_next)`` for ``names``."""
    arrays = {"dx": x.copy(), "dh_prev": h_prev.copy(), **{k: v.copy() for k, v in params.items()}}
    p = {k: arrays[k] for k in PARAM_KEYS}

    def step():
        return reference_forward(arrays["dx"], arrays["dh_prev"], p)[0]

    return {name: numerical_gradient(step, arrays[name], dout=dh_next) for name in names}


def check_gradients(calls, results, names):
    """The named gradients of the learner's backward: numerically right, and equal to course_pkg's."""
    x, h_prev, params = calls[0].args
    dh_next = calls[1].args[0]
    dx, dh_prev, grads = own_output(results[1], 3)
    returned_arrays = {"dx": dx, "dh_prev": dh_prev}
    numeric = numeric_gradients(x, h_prev, params, dh_next, names)
    try:
        compare_gradients(grads, returned_arrays, numeric, names, SHAPES, NUMERIC_TOL)
    except CheckFailed as err:
        raise CheckFailed(f"against centred differences: {err}") from None
    ref_dx, ref_dh_prev, ref_grads = reference_backward(dh_next, reference_forward(x, h_prev, params)[1])
    want = {**ref_grads, "dx": ref_dx, "dh_prev": ref_dh_prev}
    compare_gradients(grads, returned_arrays, want, names, SHAPES, BACKWARD_TOL)


def judge_count(calls, results):
    """Each call's count equals ``G (HD + H^2 + 2H)``."""
    for call, result in zip(calls, results):
        cell, D, H = call.args
        got = own_output(result)
        expect(isinstance(got, Integral) and not isinstance(got, bool),
               f"expected {COUNT}({cell!r}, {D}, {H}) to return an int, got {describe_value(got)}")
        want = reference_count(cell, D, H)
        expect(got == want, f"{COUNT}({cell!r}, D={D}, H={H}) returned {got}: count every weight "
                            f"matrix and both bias vectors of every gate block")


def _row(call, result):
    """The learner's row, checked for its keys, the count and the per-epoch list."""
    cell, data, _ = call.args
    row = own_output(result)
    expect(isinstance(row, dict) and all(k in row for k in ROW_KEYS),
           f"expected {TRAIN} to return a dict with the keys {list(ROW_KEYS)}, got "
           f"{describe_value(row)}" + (f" with keys {sorted(map(str, row))}" if isinstance(row, dict) else ""))
    expect(isinstance(row["state_dict"], dict),
           f"expected row['state_dict'] to be a plain dict of arrays (dict(model.state_dict())), "
           f"got {describe_value(row['state_dict'])}")
    val = row["val_mse"]
    expect(isinstance(val, (list, tuple, np.ndarray)) and len(val) == EPOCHS,
           f"expected row['val_mse'] to be a list of {EPOCHS} numbers, one per epoch, got "
           f"{describe_value(val)}" + (f" of length {len(val)}" if hasattr(val, "__len__") else ""))
    expect(all(isinstance(v, Real) and np.isfinite(v) for v in np.asarray(val).tolist()),
           "expected row['val_mse'] to hold finite numbers")
    return cell, data, row


def judge_row(calls, results):
    """Right rows: the count, one MSE per epoch, and a last MSE that the returned weights give."""
    for call, result in zip(calls, results):
        cell, data, row = _row(call, result)
        want = reference_count(cell, data[0].shape[2], HIDDEN)
        expect(row["parameters"] == want and not isinstance(row["parameters"], bool),
               f"row['parameters'] is {row['parameters']}, expected the {cell.upper()} layer's "
               f"parameter count for D = {data[0].shape[2]}, H = {HIDDEN}")
        mse = validation_mse(cell, row["state_dict"], data)
        last = float(np.asarray(row["val_mse"])[-1])
        expect(abs(last - mse) <= REPORT_RTOL * mse,
               f"the last val_mse reported, {last:.4f}, is not what the returned weights give on "
               f"the validation set, {mse:.4f}: return the weights after the last epoch")


def judge_learns(calls, results):
    """The returned GRU weights reach a validation MSE below :data:`GRU_BAR`."""
    cell, data, row = _row(calls[0], results[0])
    mse = validation_mse(cell, row["state_dict"], data)
    expect(mse < GRU_BAR,
           f"the trained GRU's validation MSE is {mse:.3f}, expected below {GRU_BAR} (the mean "
           f"predictor scores about 0.17): train with the budget of the set-up cell")


def judge_summary(calls, results, want):
    """``summarise`` of a made-up table returns ``want``."""
    got = own_output(results[0])
    expect(isinstance(got, dict), f"expected {SUMMARISE} to return a dict, got {describe_value(got)}")
    for key, value in want.items():
        expect(key in got, f"expected the key {key!r} in what {SUMMARISE} returns")
        if key == "epochs_to_target":
            expect(isinstance(got[key], dict) and set(got[key]) == set(value),
                   f"expected epochs_to_target to have one entry per cell of the table, got "
                   f"{describe_value(got[key])}")
            for cell, epoch in value.items():
                expect(got[key][cell] == epoch,
                       f"epochs_to_target[{cell!r}] is {got[key][cell]!r}, expected {epoch!r} "
                       f"(the first epoch, counting from 1, whose val_mse is below the target)")
        else:
            expect(got[key] == value, f"{key} is {got[key]!r} for a table where it is {value!r}: "
                                      f"compute it from the table you are given")


# --------------------------------------------------------------------------- tests

def step_test(test_id, name, names=(), N=4, D=3, H=5, seed=10, hidden=False):
    """A forward test (no ``names``), or a test of the named gradients of the learner's backward
    fed with the cache of the learner's own forward."""
    x, h_prev, params, dh_next = make_inputs(N, D, H, seed)
    forward = Call(FORWARD, (x, h_prev, params))
    if not names:
        return Test(test_id, FORWARD, name, 1, (forward,), judge_forward, hidden)
    calls = (forward, Call(BACKWARD, (dh_next, Ref(0, 1))))
    return Test(test_id, BACKWARD, name, 1, calls, partial(judge_backward, names=names), hidden)


def count_test(test_id, name, D, H):
    """One call of ``count_parameters`` per cell, at the given sizes."""
    calls = tuple(Call(COUNT, (cell, D, H)) for cell in GATES)
    return Test(test_id, COUNT, name, 1, calls, judge_count)


DATA = adding_data()
# A fifth of the data, for the row test (it trains two cells, and only checks the row's form).
SMALL = (DATA[0][:200], DATA[1][:200], DATA[2][:100], DATA[3][:100])


def train_test(test_id, name, cells, data, seed, points, judge, hidden=False):
    """One call of ``train_cell`` per cell, on ``data``."""
    calls = tuple(Call(TRAIN, (cell, data, seed)) for cell in cells)
    return Test(test_id, TRAIN, name, points, calls, judge, hidden)


def made_up_row(cell, val, D=2, H=HIDDEN):
    """A results row as ``train_cell`` returns it, with made-up per-epoch MSEs (no weights)."""
    return {"parameters": reference_count(cell, D, H), "val_mse": list(val), "state_dict": {}}


FLAT = [0.17] * EPOCHS
# Made up so that the answers differ from the notebook's: here the LSTM gets there first.
TABLE_LSTM_FIRST = {"rnn": made_up_row("rnn", FLAT),
                    "lstm": made_up_row("lstm", [0.17, 0.12, 0.04] + [0.01] * 7),
                    "gru": made_up_row("gru", [0.17, 0.15, 0.1, 0.06, 0.03] + [0.01] * 5)}
# Only the two gated cells, neither below 0.05: the fewest parameters are the GRU's.
TABLE_GATED = {"lstm": made_up_row("lstm", FLAT, D=5, H=8),
               "gru": made_up_row("gru", [0.17, 0.1, 0.08] + [0.06] * 7, D=5, H=8)}
# With target 0.1 (not the constant TARGET) the GRU gets there in epoch 3, the LSTM in epoch 5.
TABLE_OTHER_TARGET = {"rnn": made_up_row("rnn", FLAT),
                      "lstm": made_up_row("lstm", [0.17, 0.16, 0.14, 0.11, 0.09] + [0.07] * 5),
                      "gru": made_up_row("gru", [0.17, 0.12, 0.08] + [0.07] * 7)}


def summary_test(test_id, name, table, target, want, hidden=False):
    """``summarise(table, target)`` must return ``want``."""
    return Test(test_id, SUMMARISE, name, 1, (Call(SUMMARISE, (table, target)),),
                partial(judge_summary, want=want), hidden)


ALL = ("dx", "dh_prev") + PARAM_KEYS

RUBRIC = Rubric(
    exercise="ex08_gru",
    signatures=SIGNATURES,
    tests=(
        step_test("forward_batch", "h_next for a batch (N=4, D=3, H=5)", N=4, D=3, H=5, seed=1),
        step_test("forward_one", "h_next for one example (N=1, D=2, H=3)", N=1, D=2, H=3, seed=2),
        step_test("forward_square", "h_next with D = H (N=3, D=4, H=4)", N=3, D=4, H=4, seed=3,
                  hidden=True),
        step_test("dx", "dx", ("dx",)),
        step_test("dh_prev", "dh_prev", ("dh_prev",)),
        step_test("dweight_ih", "grads['weight_ih']", ("weight_ih",)),
        step_test("dweight_hh", "grads['weight_hh']", ("weight_hh",)),
        step_test("dbias_ih", "grads['bias_ih']", ("bias_ih",)),
        step_test("dbias_hh", "grads['bias_hh']", ("bias_hh",)),
        step_test("backward_one", "every gradient for one example (N=1, D=4, H=3)", ALL,
                  N=1, D=4, H=3, seed=11, hidden=True),
        count_test("count_task", "parameters of the three cells at D=2, H=16", 2, HIDDEN),
        count_test("count_other", "parameters of the three cells at D=5, H=7", 5, 7),
        train_test("train_row", "rows of 'rnn' and 'gru' on 200 sequences: count, MSEs, weights",
                   ("rnn", "gru"), SMALL, 0, 2, judge_row),
        train_test("train_gru", "train_cell('gru') learns: validation MSE below 0.05", ("gru",),
                   DATA, 0, 1, judge_learns),
        train_test("train_gru_seed", "train_cell('gru') learns with another seed", ("gru",), DATA,
                   2, 1, judge_learns, hidden=True),
        summary_test("summary_lstm_first", "summarise a table where the LSTM gets there first",
                     TABLE_LSTM_FIRST, TARGET,
                     {"fewest_parameters": "rnn", "first_to_target": "lstm",
                      "epochs_to_target": {"rnn": None, "lstm": 3, "gru": 5}}),
        summary_test("summary_gated", "summarise a table of the gated cells, none at the target",
                     TABLE_GATED, TARGET,
                     {"fewest_parameters": "gru", "first_to_target": None,
                      "epochs_to_target": {"lstm": None, "gru": None}}),
        summary_test("summary_target", "summarise with another target (0.1)", TABLE_OTHER_TARGET, 0.1,
                     {"fewest_parameters": "rnn", "first_to_target": "gru",
                      "epochs_to_target": {"rnn": None, "lstm": 5, "gru": 3}}, hidden=True),
    ),
    answers=(Answer("question", "what the comparison shows about parameters, speed and learning"),),
    check_seconds=10.0,       # train_gru trains on all the data: 0.96-1.26 s on an idle core
)
