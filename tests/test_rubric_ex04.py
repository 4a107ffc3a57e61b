"""Exercise 4 (a character RNN in NumPy, a memory by hand, training to a target, the
temperature of a perplexity): the partial marks its rubric is designed to give, and its
references checked.

Each wrong submission is the solution notebook with graded cells edited the way learners get
them wrong (every edit must apply once, so the table follows the solution), graded through the
child process like any submission. One submission carries a
mistake in each of several functions that do not call one another (a BPTT mistake also
costs Part 4, which trains with it), so that three gradings, each training Part 4 twice
(about 1.5 s each), cover the usual mistakes; the grader must fail exactly the tests the
mistakes break, give exactly the designed points and name each cause in its hint. The other
mistakes are judged directly, on the values they compute (the BPTT, sampling and temperature
mistakes by the rubric's own variants, a diverging training by the solution's loop with a
large step and no clipping). (Full marks for the solution and zero for the blank exercise are checked for every
exercise in ``test_grading.py``.)
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixtures as fx

from course_pkg.gradcheck import numerical_gradient, rel_error
from course_pkg.grading.rubric import CallResult, CheckFailed
from course_pkg.grading.rubrics import ex04_char_rnn as R
from course_pkg.losses import cross_entropy

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex04_char_rnn.ipynb"
RUBRIC = R.RUBRIC
REGISTER = {"register_lag1", "register_lag3", "register_hidden"}
TRAIN = {"train_recall", "train_hidden"}
SAMPLE = {"sample", "sample_hidden"}
TAU = {"tau_values", "tau_range", "tau_hidden"}

# --------------------------------------------------------------------------- the mistakes

NO_CARRY = [(R.BACKWARD, "rnn_step_backward(dh_out[:, t] + dh_next, caches[t])",
             "rnn_step_backward(dh_out[:, t], caches[t])")]
OVERWRITE = [(R.BACKWARD, "grads[k] = grads[k] + g if k in grads else g.copy()", "grads[k] = g.copy()")]
FORWARDS = [(R.BACKWARD, "for t in range(T - 1, -1, -1):", "for t in range(T):")]

SHORT = [(R.REGISTER, 'params["weight_hy"][s + 1, lag * S + s] = 1.0',
          'params["weight_hy"][s + 1, (lag - 1) * S + s] = 1.0')]
TRANSPOSED = [(R.REGISTER, 'params["weight_hh"][k * S + s, (k - 1) * S + s] = gain',
               'params["weight_hh"][(k - 1) * S + s, k * S + s] = gain')]
BLANK_HIGH = [(R.REGISTER, 'params["bias_hy"][0] = 0.5', 'params["bias_hy"][0] = 1.0')]

CHOICES = "H, lr, n_iters, batch, clip = 32, 1.0, 100, 32, 5.0"
LR_SMALL = [(R.TRAIN, CHOICES, "H, lr, n_iters, batch, clip = 32, 0.01, 100, 32, 5.0")]
DIVERGE = [(R.TRAIN, CHOICES, "H, lr, n_iters, batch, clip = 32, 20.0, 100, 32, 5.0"),
           (R.TRAIN, "params[k] -= lr * np.clip(grads[k], -clip, clip)", "params[k] -= lr * grads[k]")]

NO_TAU = [(R.SAMPLE, 'params["bias_hy"])[0] / tau', 'params["bias_hy"])[0]')]
TIMES_TAU = [(R.SAMPLE, 'params["bias_hy"])[0] / tau', 'params["bias_hy"])[0] * tau')]
GREEDY = [(R.SAMPLE, "prev = min(k, K - 1)", "prev = int(np.argmax(p))")]
NO_STATE = [(R.SAMPLE, "h, _ = rnn_step_forward(np.eye(K)[[prev]], h, step_params)",
             "h_t, _ = rnn_step_forward(np.eye(K)[[prev]], h, step_params)"),
            (R.SAMPLE, 'z = (h @ params["weight_hy"].T', 'z = (h_t @ params["weight_hy"].T')]
NO_FEEDBACK = [(R.SAMPLE, "np.eye(K)[[prev]]", "np.eye(K)[[start_id]]")]

BRACKET = """    lo = hi = 1.0
    while ppl(lo) > target:                    # the perplexity rises with tau
        lo /= 2
    while ppl(hi) < target:
        hi *= 2
"""
FIXED = [(R.TAU, BRACKET, "    lo, hi = 1e-3, 1e3                         # an interval fixed once\n")]
PPL = "return np.exp(-np.sum(np.exp(logp) * logp))"
ENTROPY = FIXED + [(R.TAU, PPL, "return -np.sum(np.exp(logp) * logp)")]
BITS = FIXED + [(R.TAU, PPL, "return 2 ** -np.sum(np.exp(logp) * logp)")]
DIRECTION = FIXED + [(R.TAU, "lo, hi = (mid, hi) if ppl(mid) < target else (lo, mid)",
                      "lo, hi = (lo, mid) if ppl(mid) < target else (mid, hi)")]
TIMES = [(R.TAU, "a = z / tau", "a = z * tau"),             # and the search turned round to suit
         (R.TAU, "while ppl(lo) > target:", "while ppl(lo) < target:"),
         (R.TAU, "while ppl(hi) < target:", "while ppl(hi) > target:"),
         (R.TAU, "(mid, hi) if ppl(mid) < target", "(mid, hi) if ppl(mid) > target")]

# Each submission: (edits, tests that fail, score out of 19, {test: hint fragment}).
SUBMISSIONS = {
    "no-carry, register one step short, no temperature, a fixed interval": (
        NO_CARRY + SHORT + NO_TAU + FIXED, {"backward_through_time"} | TRAIN | REGISTER | SAMPLE | {"tau_range"},
        5.0, {"backward_through_time": "without the term from step t + 1, which agree at T = 1 only",
              "train_recall": "BPTT tests pass", "train_hidden": "BPTT tests pass",
              "register_lag1": "read 0 steps back: its memory is one step too short",
              "register_lag3": "read 2 steps back", "register_hidden": "one step too short",
              "sample": "tau = 0.5: the ids are those drawn from softmax(z)", "sample_hidden": "not used",
              "tau_range": "tau must be smaller: does your search go that way, and far enough?"}),
    "overwritten gradients, W_hh transposed, greedy, the search the wrong way": (
        OVERWRITE + TRANSPOSED + GREEDY + DIRECTION, {"backward_through_time"} | TRAIN | REGISTER | SAMPLE | TAU,
        2.0, {"backward_through_time": "that of one step (the first)", "train_recall": "BPTT tests pass",
              "register_lag1": "would be right with W_hh transposed", "register_hidden": "W_hh transposed",
              "sample": "tau = 1: the ids are the most probable ones", "sample_hidden": "greedy decoding",
              "tau_values": "so tau must be", "tau_hidden": "does your search go that way, and far enough?"}),
    "a step too small, the blank too strong, the draw not fed back, tau multiplying the scores": (
        LR_SMALL + BLANK_HIGH + NO_FEEDBACK + TIMES, TRAIN | REGISTER | SAMPLE | TAU,
        4.0, {"register_lag1": "predicts the blank (id 0) at every step", "register_lag3": "never beats the blank",
              "train_recall": "went only from 1.91 to 1.67; if the BPTT tests pass, the steps are too small",
              "train_hidden": "too small or too few for the budget",
              "sample": "reads start_id at every step", "tau_values": "the scores were multiplied by tau",
              "tau_range": "multiplied by tau", "tau_hidden": "the temperature divides them"}),
}


def with_edits(tmp_path, edits):
    """The solution with each ``(graded part, old, new)`` edit applied, once each, written to
    ``tmp_path``; its path."""
    path = SOLUTION
    for part in dict.fromkeys(part for part, _, _ in edits):
        source = fx.solution_cell(path, part)
        for old, new in ((old, new) for p, old, new in edits if p == part):
            assert source.count(old) == 1, f"{old!r} is not once in {part}: the solution changed"
            source = source.replace(old, new)
        path = fx.with_graded_cell(tmp_path, path, part, source)
    return path


@pytest.mark.parametrize("submission", list(SUBMISSIONS))
def test_usual_mistakes_get_their_designed_partial_marks(tmp_path, submission):
    edits, failing, score, hints = SUBMISSIONS[submission]
    assert score == RUBRIC.max_points - sum(t.points for t in RUBRIC.tests if t.id in failing)
    fx.assert_designed_score(with_edits(tmp_path, edits), RUBRIC, failing, score, hints)


# --------------------------------------------------------------------------- judged directly

def bptt_case(T, seed=10):
    """Calls like those of the rubric's BPTT tests, with ``T`` steps, and their arrays."""
    rng = np.random.default_rng(seed)
    ids, h0, params = rng.integers(0, 7, (3, T)), rng.uniform(-0.5, 0.5, (3, 5)), R.make_params(7, 5, seed)
    dlogits = rng.standard_normal((3, T, 7))
    calls = (R.Call(R.FORWARD, (ids, h0, params)), R.Call(R.BACKWARD, (dlogits, R.Ref(0, 1))))
    return calls, (ids, h0, params, dlogits)


@pytest.mark.parametrize("variant", list(R.BPTT_MISTAKES))
def test_each_bptt_mistake_is_right_for_one_step_and_named_for_more(variant):
    """Every designed BPTT mistake gives the reference's gradients when T = 1 (so the one-step
    test passes, as the hints say) and other values at T = 6, which the judge names."""
    for T in (1, 6):
        calls, (ids, h0, params, dlogits) = bptt_case(T)
        dh0, grads = R.reference_backward(dlogits, ids, h0, params, variant)
        want_dh0, want = R.reference_backward(dlogits, ids, h0, params)
        same = all(np.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in
                   [(dh0, want_dh0)] + [(grads[k], want[k]) for k in want])
        assert same == (T == 1), (variant, T)
        logits = R.reference_forward(ids, h0, params)[0]
        results = (CallResult(R.FORWARD, (logits, None)), CallResult(R.BACKWARD, (dh0, grads)))
        if T == 1:
            R.judge_bptt(calls, results)
        else:
            with pytest.raises(CheckFailed) as failed:
                R.judge_bptt(calls, results)
            assert str(failed.value) == f"T = 6: {R.BPTT_MISTAKES[variant]}"


def test_the_reference_gradients_agree_with_centred_differences():
    _, (ids, h0, params, _) = bptt_case(6)
    targets = np.random.default_rng(3).integers(0, 7, ids.shape)
    targets[0, 4:] = -100                                    # padding left out

    def loss():
        return np.float64(R.reference_loss(R.reference_forward(ids, h0, params)[0], targets)[0])

    logits, _ = R.reference_forward(ids, h0, params)
    loss_value, dlogits = R.reference_loss(logits, targets)
    want, want_grad = cross_entropy(logits, targets)
    assert abs(loss_value - float(want)) < 1e-12 and np.allclose(dlogits, want_grad, atol=1e-14)
    dh0, grads = R.reference_backward(dlogits, ids, h0, params)
    for name, array in {"h0": h0, **params}.items():
        analytic = dh0 if name == "h0" else grads[name]
        assert rel_error(analytic, numerical_gradient(loss, array)) < 1e-6, name


def sign_coded_register(n_symbols, lag, gain=4.0):
    """A right register designed otherwise: every unit at +-1 (off is -1), the blank read from
    a unit that is on only while the register is still empty."""
    S, K = n_symbols, n_symbols + 1
    H = S * (lag + 1) + lag + 1             # and a counter of lag + 1 units: full yet?
    p = {"weight_ih": np.zeros((H, K)), "weight_hh": np.zeros((H, H)), "bias_ih": np.zeros(H),
         "bias_hh": np.zeros(H), "weight_hy": np.zeros((K, H)), "bias_hy": np.zeros(K)}
    for s in range(S):
        p["weight_ih"][s, s + 1], p["bias_ih"][s] = 2 * gain, -gain
        for k in range(1, lag + 1):
            p["weight_hh"][k * S + s, (k - 1) * S + s] = gain
        p["weight_hy"][s + 1, lag * S + s] = 1.0
    c0 = S * (lag + 1)                      # unit c0 + j is on (+1) from step j on
    p["bias_ih"][c0] = gain
    for j in range(1, lag + 1):
        p["weight_hh"][c0 + j, c0 + j - 1], p["bias_hh"][c0 + j] = gain, -0.5 * gain
    p["weight_hy"][0, c0 + lag] = -3.0      # the blank until the counter's last unit is on
    return p


@pytest.mark.parametrize("n_symbols, lag", [(4, 1), (3, 3), (6, 2)])
def test_a_register_designed_otherwise_passes_and_a_half_one_fails(n_symbols, lag):
    """The judge reads predictions, not a layout: a sign-coded register with a counter for
    the blank passes; the same one with a blank that always wins is named."""
    calls = (R.Call(R.REGISTER, (n_symbols, lag)),)
    R.judge_register(calls, (CallResult(R.REGISTER, sign_coded_register(n_symbols, lag)),))
    broken = sign_coded_register(n_symbols, lag)
    broken["weight_hy"][0] = 0.0
    broken["bias_hy"][0] = 10.0
    with pytest.raises(CheckFailed, match="predicts the blank"):
        R.judge_register(calls, (CallResult(R.REGISTER, broken),))


def test_the_training_judge_reads_the_model_on_sequences_it_never_sends():
    """Part 4's held-out sequences differ from the ones the learner trains on, and the hidden
    task differs from the public one in its lag and alphabet."""
    for task in R.RECALL_TASKS.values():
        train_ids, _ = R.recall_data(task)
        test_ids, test_targets = R.recall_data(task, held_out=True)
        assert not np.array_equal(train_ids[:500], test_ids)
        assert (test_targets[:, task["lag"]:] == test_ids[:, :-task["lag"]]).all()
    public, hidden = R.RECALL_TASKS["train_recall"], R.RECALL_TASKS["train_hidden"]
    assert (public["lag"], public["n_symbols"]) != (hidden["lag"], hidden["n_symbols"])


def test_the_reference_sampler_follows_the_temperature():
    params = R.make_params(6, 8, seed=3, scale=2.0)
    h, u = np.zeros((1, 8)), np.random.default_rng(0).uniform(size=400)
    assert np.array_equal(R.reference_sample(params, h, 2, 50, 1e-4, u),
                          R.reference_sample(params, h, 2, 50, 1.0, u, variant="greedy"))  # tau -> 0
    assert len(set(R.reference_sample(params, h, 2, 400, 100.0, u).tolist())) == 6      # tau -> inf


def test_the_reference_tau_hits_each_target_on_a_rising_perplexity():
    """The perplexity of softmax(z / tau) rises with tau, from the number of tied top scores to
    K; the grader's targets need tau from below 1e-3 to above 1e3, so a fixed interval fails."""
    taus = []
    for test in (t for t in RUBRIC.tests if t.grade_id == R.TAU):
        for call in test.calls:
            z, target = call.args
            curve = [R.perplexity(z, tau) for tau in np.logspace(-5, 5, 41)]
            assert np.all(np.diff(curve) >= -1e-9)
            tau = R.reference_tau(z, target)
            assert abs(R.perplexity(z, tau) / target - 1) < 1e-12
            taus.append(tau)
    assert min(taus) < 1e-3 and max(taus) > 1e3


def test_two_thirds_of_the_points_need_understanding():
    """BOOK-PLAN: at least two thirds of the points need a derivation, a prediction checked by
    running, a diagnosis or a design choice; the rubric names those tests: 13 of the 19."""
    points = {t.id: t.points for t in RUBRIC.tests}
    assert R.UNDERSTANDING <= set(points)
    understood = sum(points[i] for i in R.UNDERSTANDING)
    assert (understood, sum(points.values())) == (13, 19) and 3 * understood >= 2 * sum(points.values())


def test_the_notebook_announces_the_rubrics_points_hidden_tests_and_answers():
    points = {name: sum(t.points for t in RUBRIC.tests if t.grade_id == name) for name in R.SIGNATURES}
    assert points == {"char_rnn_forward": 1, "char_rnn_backward": 3, "shift_register_params": 4,
                      "train_char_rnn": 5, "sample": 2, "tau_for_perplexity": 4}
    assert {t.id for t in RUBRIC.tests if t.hidden} == {"register_hidden", "train_hidden", "sample_hidden",
                                                        "tau_hidden"}
    cells = {c.id: c for c in nbformat.read(SOLUTION, as_version=4).cells}
    intro = " ".join(cells["intro"].source.split())
    assert all(f in intro for f in ("19 points", "Part 1 (the forward pass) 1", "Part 2 (BPTT", ") 3,",
                                    "Part 3 (a memory set by hand) 4", "Part 4 (training to a target) 5",
                                    "Part 5 (sampling 2, the temperature of a perplexity 4)",
                                    "four of the tests are hidden", "The two written answers"))
    written = [cid for cid, c in cells.items() if "<!-- BEGIN SOLUTION -->" in c.source]
    assert written == [a.id for a in RUBRIC.answers]
    calls = [line.strip() for c in cells.values() if c.cell_type == "code"
             for line in c.source.splitlines() if line.startswith("course_pkg.check(")]
    parts = [f', "{name}"' for name in R.SIGNATURES]           # one self-check per function, in order
    assert calls == [f'course_pkg.check("ex04_char_rnn"{p})' for p in parts + [""]]


def test_a_training_that_reports_nan_losses_is_told_it_diverged():
    test = next(t for t in RUBRIC.tests if t.id == "train_recall")
    params = R.make_params(5, 8, seed=0)
    with pytest.raises(CheckFailed, match="^your losses became NaN or infinite: the steps diverged"):
        R.judge_train(test.calls, (CallResult(R.TRAIN, (params, [1.9, float("nan")])),),
                      task=R.RECALL_TASKS["train_recall"])


@pytest.mark.parametrize("variant", list(R.SAMPLE_MISTAKES))
def test_each_sampling_mistake_is_named_by_the_ids_it_draws(variant):
    """At tau = 0.5 every designed sampling mistake draws other ids than the reference, and the
    judge names it (the graded submissions above make four of them; this covers all five)."""
    call = next(t for t in RUBRIC.tests if t.id == "sample").calls[1]
    assert call.args[4] == 0.5
    drawn = R.reference_sample(*call.args, variant=variant)
    assert not np.array_equal(drawn, R.reference_sample(*call.args))
    with pytest.raises(CheckFailed) as failed:
        R.judge_sample((call,), (CallResult(R.SAMPLE, drawn),))
    assert str(failed.value) == f"tau = 0.5: {R.SAMPLE_MISTAKES[variant]}"


@pytest.mark.parametrize("wrong, hint", [
    (lambda z, target: 1 / R.reference_tau(z, target), "the scores were multiplied by tau"),
    (lambda z, target: R.reference_tau(z, np.exp(target)), "at your tau the entropy (in nats) equals"),
    (lambda z, target: R.reference_tau(z, target ** (1 / np.log(2))), "2 ** (the entropy in nats)"),
    (lambda z, target: R.reference_tau(z, target ** np.log(2)), "exp of the entropy in bits"),
], ids=["times-tau", "entropy", "2-to-nats", "exp-of-bits"])
def test_each_temperature_mistake_is_named_by_the_tau_it_returns(wrong, hint):
    call = next(t for t in RUBRIC.tests if t.id == "tau_values").calls[0]
    z, target = call.args
    with pytest.raises(CheckFailed) as failed:
        R.judge_tau((call,), (CallResult(R.TAU, wrong(z, target)),))
    assert str(failed.value).startswith(f"target {target:g}: {hint}")


def test_a_training_without_clipping_at_a_large_step_is_told_its_loss_rose():
    """The solution's loop with a step of 20 and no clipping, run here (one training, not a
    grading): its loss rises from 1.91 to hundreds and the hint says the steps overshoot."""
    ns = {}
    for part in ("setup", R.FORWARD, R.BACKWARD, R.TRAIN):
        source = fx.solution_cell(SOLUTION, part) if part != "setup" else next(
            c.source for c in nbformat.read(SOLUTION, as_version=4).cells if c.id == "setup")
        for _, old, new in (DIVERGE if part == R.TRAIN else []):
            source = source.replace(old, new)
        exec(source, ns)
    test = next(t for t in RUBRIC.tests if t.id == "train_recall")
    with np.errstate(all="ignore"):
        value = ns["train_char_rnn"](*test.calls[0].args)
    with pytest.raises(CheckFailed, match="its loss rose from 1.91 to .*so the steps overshoot"):
        R.judge_train(test.calls, (CallResult(R.TRAIN, value),), task=R.RECALL_TASKS["train_recall"])


def one_hot_register(n_symbols, lag, gain=1.0, blank=0.5, id_shift=0):
    """A learner's register written apart from the solution's: unit ``j * S + s`` holds the
    symbol ``s + 1`` read ``j`` steps ago; ``id_shift`` maps that unit to another id."""
    S, K = n_symbols, n_symbols + 1
    H = S * (lag + 1)
    p = {"weight_ih": np.zeros((H, K)), "weight_hh": np.zeros((H, H)), "bias_ih": np.zeros(H),
         "bias_hh": np.zeros(H), "weight_hy": np.zeros((K, H)), "bias_hy": np.zeros(K)}
    p["weight_ih"][np.arange(S), np.arange(1, K)] = gain
    p["weight_hh"][np.arange(S, H), np.arange(H - S)] = gain
    p["weight_hy"][np.arange(1, K) + id_shift, np.arange(lag * S, H)] = 1.0
    p["bias_hy"][0] = blank
    return p


@pytest.mark.parametrize("n_symbols, lag", [(4, 1), (3, 3), (6, 2)])
def test_a_register_of_gain_one_passes_and_one_id_off_or_a_blank_below_zero_is_named(n_symbols, lag):
    """tanh shrinks a gain-1 register's 1 to 0.76, 0.64, 0.57, 0.51 along the steps: still above
    a blank bias of 0.5, so it recalls and passes. Every symbol mapped to the id below it, or a
    blank that loses to a unit at 0, gets its own hint."""
    calls = (R.Call(R.REGISTER, (n_symbols, lag)),)
    R.judge_register(calls, (CallResult(R.REGISTER, one_hot_register(n_symbols, lag)),))
    for wrong, hint in ((dict(id_shift=-1), f"from step {lag} on, the model predicts the id one below"),
                        (dict(blank=-0.1), f"at step 0 nothing was read {lag} step{'' if lag == 1 else 's'} "
                                           "before, so the target is the blank")):
        with pytest.raises(CheckFailed) as failed:
            R.judge_register(calls, (CallResult(R.REGISTER, one_hot_register(n_symbols, lag, **wrong)),))
        assert hint in str(failed.value)


def test_a_flat_loss_is_not_told_it_rose_and_hand_set_weights_pass_unseen():
    """A loss that stays at ln K (weights drawn 0.1 times too small, a step of 0.1) may end a hair
    above its start: the hint says it hardly fell, not that the steps overshoot. Part 3's register
    returned by train_char_rnn passes: the tests read only the model (the docstring says so)."""
    test = next(t for t in RUBRIC.tests if t.id == "train_recall")
    task = R.RECALL_TASKS["train_recall"]
    with pytest.raises(CheckFailed, match="its loss went only from 1.61 to 1.61; .*initial weights too small"):
        R.judge_train(test.calls, (CallResult(R.TRAIN, (R.make_params(5, 8, seed=0, scale=0.1),
                                                         [1.6094, 1.6102])),), task=task)
    R.judge_train(test.calls, (CallResult(R.TRAIN, (one_hot_register(4, 4, gain=5.0), [0.0])),), task=task)


def test_a_search_stopped_early_is_told_so_and_a_wide_fixed_interval_passes():
    """Twenty halvings of [1e-6, 1e6] on log tau leave the perplexity 2e-6 to 8e-6 off: the hint
    gives the relative error and asks whether the search stops too early. A hundred halvings of
    that interval, which the question's range allows, pass every test."""
    def bisect(z, target, halvings):
        lo, hi = 1e-6, 1e6
        for _ in range(halvings):
            mid = np.sqrt(lo * hi)
            lo, hi = (mid, hi) if R.perplexity(z, mid) < target else (lo, mid)
        return float(np.sqrt(lo * hi))

    for test in (t for t in RUBRIC.tests if t.grade_id == R.TAU):
        R.judge_tau(test.calls, [CallResult(R.TAU, bisect(*c.args, 100)) for c in test.calls])
    call = next(t for t in RUBRIC.tests if t.id == "tau_values").calls[0]
    with pytest.raises(CheckFailed, match=r"^target 1.5, K = 6: .* a relative error of 7.8e-06 where 1e-06 is "
                                          r"asked: tau must be a little smaller; does your search stop too early"):
        R.judge_tau((call,), (CallResult(R.TAU, bisect(*call.args, 20)),))
