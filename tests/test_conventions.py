"""The conventions tabulated in book/appendix_conventions.md, checked against real code.

Every claim in that page that involves code has a test here, against ``torch.nn`` and
``course_pkg``. Keras' conventions (from its documentation and source) are written out as
NumPy formulas and checked through the conversion to torch's layout; the same conversions
are checked against real Keras in ``test_keras_conversion.py``.
Everything runs in float64 so that "equal" can mean equal to ~1e-12.
"""
import itertools
import math

import numpy as np
import pytest

import course_pkg as cp

torch = pytest.importorskip("torch")

TOL = 1e-12
N, D, H = 3, 4, 5


# -- helpers ---------------------------------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def rng_for(seed=0):
    return np.random.default_rng(seed)


def random_params(G, rng, scale=0.7, d=D, h=H):
    """A torch-layout parameter dict: weight_ih (G*H, D), weight_hh (G*H, H), two biases."""
    return {"weight_ih": scale * rng.standard_normal((G * h, d)),
            "weight_hh": scale * rng.standard_normal((G * h, h)),
            "bias_ih": scale * rng.standard_normal(G * h),
            "bias_hh": scale * rng.standard_normal(G * h)}


def blocks(order_from, order_to, h=H):
    """Row (or column) indices that reorder gate blocks written in ``order_from`` into ``order_to``.

    ``blocks("ifgo", "ifog")`` picks torch's blocks in CS231n's order.
    """
    return np.concatenate([np.arange(h) + order_from.index(g) * h for g in order_to])


def torch_cell(kind, params, bias=True):
    """A float64 ``torch.nn.<kind>Cell`` holding ``params``."""
    G = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    d = params["weight_ih"].shape[1]
    h = params["weight_ih"].shape[0] // G
    cell = getattr(torch.nn, kind + "Cell")(d, h, bias=bias, dtype=torch.float64)
    cell.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    return cell


def run_torch_cell(cell, x, state):
    with torch.no_grad():
        out = cell(torch.tensor(x), tuple(torch.tensor(s) for s in state) if isinstance(state, tuple)
                   else torch.tensor(state))
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


def ours_cell(kind, params):
    """A float64 ``course_pkg.<kind>Cell`` holding ``params``."""
    G = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    d = params["weight_ih"].shape[1]
    h = params["weight_ih"].shape[0] // G
    cell = getattr(cp, kind + "Cell")(d, h, dtype="float64", seed=0)
    cell.load_state_dict(params)
    return cell


def close(a, b, tol=TOL):
    return np.allclose(a, b, rtol=0, atol=tol)


# -- row 1: LSTM gate order ------------------------------------------------------------------
def lstm_from_preactivations(a, c_prev, order):
    """An LSTM step from pre-activations ``a`` (N, 4H) whose blocks are the gates in ``order``.

    ``order`` names the four blocks with the letters i, f, g, o (g = candidate, Keras' "c").
    """
    h = a.shape[1] // 4
    part = {name: a[:, k * h:(k + 1) * h] for k, name in enumerate(order)}
    i, f, o = sigmoid(part["i"]), sigmoid(part["f"]), sigmoid(part["o"])
    g = np.tanh(part["g"])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
def test_lstm_gate_order_is_ifgo(impl):
    """Of the 24 ways to read the 4H rows as gates, only i, f, g, o reproduces the cell."""
    rng = rng_for(1)
    p = random_params(4, rng)
    x, h0, c0 = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    if impl == "torch":
        h1, c1 = run_torch_cell(torch_cell("LSTM", p), x, (h0, c0))
    else:
        h1, c1 = ours_cell("LSTM", p)(x, (h0, c0))
    a = x @ p["weight_ih"].T + p["bias_ih"] + h0 @ p["weight_hh"].T + p["bias_hh"]
    matches = []
    for perm in itertools.permutations("ifgo"):
        h_ref, c_ref = lstm_from_preactivations(a, c0, "".join(perm))
        if close(h1, h_ref) and close(c1, c_ref):
            matches.append("".join(perm))
    assert matches == ["ifgo"]


@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
@pytest.mark.parametrize("block, gate", [(0, "i"), (1, "f"), (2, "g"), (3, "o")])
def test_lstm_bias_block_drives_gate(impl, block, gate):
    """Zero weights, a large bias on one block of H rows only: the effect names the gate.

    With every other pre-activation 0, the sigmoid gates sit at 1/2 and g at tanh(0) = 0.
    """
    rng = rng_for(2)
    b = 20.0
    p = {"weight_ih": np.zeros((4 * H, D)), "weight_hh": np.zeros((4 * H, H)),
         "bias_ih": np.zeros(4 * H), "bias_hh": np.zeros(4 * H)}
    p["bias_ih"][block * H:(block + 1) * H] = b
    x, h0, c0 = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    if impl == "torch":
        h1, c1 = run_torch_cell(torch_cell("LSTM", p), x, (h0, c0))
    else:
        h1, c1 = ours_cell("LSTM", p)(x, (h0, c0))
    s = sigmoid(b)
    expected_c = {"i": 0.5 * c0,                                # i = 1, but g = 0: writes nothing
                  "f": s * c0,                                  # f = 1: keeps c
                  "g": 0.5 * c0 + 0.5 * np.tanh(b),            # c' = f c + i tanh(b)
                  "o": 0.5 * c0}[gate]
    expected_o = s if gate == "o" else 0.5
    assert close(c1, expected_c)
    assert close(h1, expected_o * np.tanh(expected_c))


def cs231n_lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    """CS231n's lstm_step_forward: a = x Wx + prev_h Wh + b, blocks i, f, o, g."""
    a = x @ Wx + prev_h @ Wh + b
    return lstm_from_preactivations(a, prev_c, "ifog")


def torch_lstm_to_cs231n(p):
    """Torch layout (4H, D) in order i,f,g,o -> CS231n Wx (D, 4H), Wh (H, 4H), b (4H,) in order i,f,o,g."""
    idx = blocks("ifgo", "ifog")
    return p["weight_ih"][idx].T, p["weight_hh"][idx].T, (p["bias_ih"] + p["bias_hh"])[idx]


def test_cs231n_lstm_needs_gate_reordering():
    rng = rng_for(3)
    p = random_params(4, rng)
    x, h0, c0 = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    ref = run_torch_cell(torch_cell("LSTM", p), x, (h0, c0))
    ours = cp.lstm_step_forward(x, h0, c0, p)[:2]
    converted = cs231n_lstm_step(x, h0, c0, *torch_lstm_to_cs231n(p))
    naive = cs231n_lstm_step(x, h0, c0, p["weight_ih"].T, p["weight_hh"].T, p["bias_ih"] + p["bias_hh"])
    for a, b in zip(ref, converted):
        assert close(a, b)
    for a, b in zip(ref, ours):
        assert close(a, b)
    assert not close(ref[0], naive[0], 1e-3)          # transposed but not reordered: wrong


def keras_lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """Keras' LSTMCell (fused implementation): z = x K + h R + b, split into i, f, c, o."""
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    z0, z1, z2, z3 = np.split(z, 4, axis=1)
    i, f, o = sigmoid(z0), sigmoid(z1), sigmoid(z3)
    c = f * c_prev + i * np.tanh(z2)
    return o * np.tanh(c), c


def keras_lstm_to_torch(kernel, recurrent_kernel, bias):
    """Keras LSTM weights -> a torch-layout params dict (same gate order; transpose; bias into b_ih)."""
    return {"weight_ih": kernel.T.copy(), "weight_hh": recurrent_kernel.T.copy(),
            "bias_ih": bias.copy(), "bias_hh": np.zeros_like(bias)}


def test_keras_lstm_weights_convert_to_torch():
    rng = rng_for(4)
    kernel = 0.7 * rng.standard_normal((D, 4 * H))               # Keras: (input_dim, 4 * units)
    recurrent_kernel = 0.7 * rng.standard_normal((H, 4 * H))     # (units, 4 * units)
    bias = 0.7 * rng.standard_normal(4 * H)                      # (4 * units,): one bias
    x, h0, c0 = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    want = keras_lstm_step(x, h0, c0, kernel, recurrent_kernel, bias)
    p = keras_lstm_to_torch(kernel, recurrent_kernel, bias)
    for got in (run_torch_cell(torch_cell("LSTM", p), x, (h0, c0)),
                cp.lstm_step_forward(x, h0, c0, p)[:2]):
        for a, b in zip(got, want):
            assert close(a, b)


# -- rows 2 and 3: GRU reset-gate placement and the blend ------------------------------------
def gru_reference(x, h, p, reset_after=True, blend="cho"):
    """A GRU step in torch's layout (rows r, z, n), written out by hand.

    reset_after=True:  n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   (torch, cuDNN, Cho et al. v1)
    reset_after=False: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)   (Cho et al. v3 / EMNLP)
    blend="cho":   h' = z * h + (1 - z) * n        (torch, Keras, Cho et al. eq. 7)
    blend="chung": h' = (1 - z) * h + z * n        (Chung et al. 2014)
    """
    Wi, Wh, bi, bh = p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
    h_ = Wi.shape[0] // 3
    ax = x @ Wi.T + bi
    r = sigmoid(ax[:, :h_] + h @ Wh[:h_].T + bh[:h_])
    z = sigmoid(ax[:, h_:2 * h_] + h @ Wh[h_:2 * h_].T + bh[h_:2 * h_])
    if reset_after:
        n = np.tanh(ax[:, 2 * h_:] + r * (h @ Wh[2 * h_:].T + bh[2 * h_:]))
    else:
        n = np.tanh(ax[:, 2 * h_:] + (r * h) @ Wh[2 * h_:].T + bh[2 * h_:])
    return z * h + (1 - z) * n if blend == "cho" else (1 - z) * h + z * n


def test_gru_torch_is_reset_after():
    rng = rng_for(5)
    p = random_params(3, rng)
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    ref = run_torch_cell(torch_cell("GRU", p), x, h0)
    assert close(ref, gru_reference(x, h0, p, reset_after=True))
    assert close(ours_cell("GRU", p)(x, h0), ref)
    assert close(cp.gru_step_forward(x, h0, p)[0], ref)


def test_gru_reset_after_differs_from_paper():
    """Same weights, the two placements of r: different h' (they are different models)."""
    rng = rng_for(6)
    p = random_params(3, rng)
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    after = gru_reference(x, h0, p, reset_after=True)
    before = gru_reference(x, h0, p, reset_after=False)
    assert np.abs(after - before).max() > 1e-2
    assert close(run_torch_cell(torch_cell("GRU", p), x, h0), after)


@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
def test_gru_large_update_bias_keeps_h(impl):
    """torch: h' = (1 - z) n + z h, so z -> 1 (large bias on rows H:2H) copies h; z -> 0 gives n."""
    rng = rng_for(7)
    p = random_params(3, rng)
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    run = ((lambda q: run_torch_cell(torch_cell("GRU", q), x, h0)) if impl == "torch"
           else (lambda q: ours_cell("GRU", q)(x, h0)))
    keep = {k: v.copy() for k, v in p.items()}
    keep["bias_ih"][H:2 * H] = 40.0
    assert close(run(keep), h0, 1e-12)
    write = {k: v.copy() for k, v in p.items()}
    write["bias_ih"][H:2 * H] = -40.0
    r = sigmoid(x @ p["weight_ih"][:H].T + p["bias_ih"][:H] + h0 @ p["weight_hh"][:H].T + p["bias_hh"][:H])
    n_by_hand = np.tanh(x @ p["weight_ih"][2 * H:].T + p["bias_ih"][2 * H:]
                        + r * (h0 @ p["weight_hh"][2 * H:].T + p["bias_hh"][2 * H:]))
    assert close(run(write), n_by_hand, 1e-12)                          # z ~ 0: h' = n


def test_chung_blend_is_torch_with_update_gate_negated():
    """Chung et al.'s h' = (1 - z) h + z n equals torch's after negating z's rows (1 - s(a) = s(-a))."""
    rng = rng_for(8)
    p = random_params(3, rng)
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    chung = gru_reference(x, h0, p, blend="chung")
    assert not close(chung, gru_reference(x, h0, p, blend="cho"), 1e-3)
    flipped = {k: v.copy() for k, v in p.items()}
    for k in flipped:
        flipped[k][H:2 * H] *= -1
    assert close(run_torch_cell(torch_cell("GRU", flipped), x, h0), chung)


def keras_gru_step(x, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    """Keras' GRUCell: column blocks z, r, h; bias (2, 3H) if reset_after else (3H,)."""
    u = kernel.shape[1] // 3
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    mx = x @ kernel + b_in
    x_z, x_r, x_h = mx[:, :u], mx[:, u:2 * u], mx[:, 2 * u:]
    inner = h_prev @ recurrent_kernel + b_rec
    z = sigmoid(x_z + inner[:, :u])
    r = sigmoid(x_r + inner[:, u:2 * u])
    if reset_after:
        hh = np.tanh(x_h + r * inner[:, 2 * u:])
    else:
        hh = np.tanh(x_h + (r * h_prev) @ recurrent_kernel[:, 2 * u:])
    return z * h_prev + (1 - z) * hh


def keras_gru_to_torch(kernel, recurrent_kernel, bias):
    """Keras GRU (reset_after=True) -> torch layout: reorder z, r, h -> r, z, n, transpose, split bias."""
    idx = blocks("zrn", "rzn", kernel.shape[1] // 3)
    return {"weight_ih": kernel[:, idx].T.copy(), "weight_hh": recurrent_kernel[:, idx].T.copy(),
            "bias_ih": bias[0][idx].copy(), "bias_hh": bias[1][idx].copy()}


def test_keras_gru_weights_convert_to_torch():
    rng = rng_for(9)
    kernel = 0.7 * rng.standard_normal((D, 3 * H))
    recurrent_kernel = 0.7 * rng.standard_normal((H, 3 * H))
    bias = 0.7 * rng.standard_normal((2, 3 * H))                 # reset_after=True: two bias rows
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    want = keras_gru_step(x, h0, kernel, recurrent_kernel, bias, reset_after=True)
    p = keras_gru_to_torch(kernel, recurrent_kernel, bias)
    assert close(run_torch_cell(torch_cell("GRU", p), x, h0), want)
    assert close(cp.gru_step_forward(x, h0, p)[0], want)
    # Forgetting the z, r -> r, z reorder runs without error and is wrong.
    naive = {"weight_ih": kernel.T, "weight_hh": recurrent_kernel.T, "bias_ih": bias[0], "bias_hh": bias[1]}
    assert not close(run_torch_cell(torch_cell("GRU", naive), x, h0), want, 1e-3)
    # reset_after=False (one bias) is the paper's GRU: no torch weights reproduce it in general.
    before = keras_gru_step(x, h0, kernel, recurrent_kernel, bias[0], reset_after=False)
    same_weights = dict(p, bias_hh=np.zeros(3 * H))
    assert not close(run_torch_cell(torch_cell("GRU", same_weights), x, h0), before, 1e-3)


# -- row 4: weight layout --------------------------------------------------------------------
def test_weight_layouts_give_the_same_step():
    """torch x W^T, CS231n x Wx, Keras x kernel and the textbook's column-vector W x: one step."""
    rng = rng_for(10)
    p = random_params(1, rng)
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_ih, W_hh, b = p["weight_ih"], p["weight_hh"], p["bias_ih"] + p["bias_hh"]
    assert W_ih.shape == (H, D)                                     # torch: (G*H, D), G = 1
    torch_form = np.tanh(x @ W_ih.T + p["bias_ih"] + h0 @ W_hh.T + p["bias_hh"])
    Wx, Wh = W_ih.T, W_hh.T                                         # CS231n: Wx (D, H), Wh (H, H)
    cs231n_form = np.tanh(x @ Wx + h0 @ Wh + b)
    kernel, recurrent_kernel = W_ih.T, W_hh.T                       # Keras SimpleRNN: kernel (D, H)
    keras_form = np.tanh(x @ kernel + h0 @ recurrent_kernel + b)
    U, W = W_ih, W_hh                                               # textbook: h = tanh(b + W h + U x)
    column_form = np.stack([np.tanh(b[:, None] + W @ h0[k][:, None] + U @ x[k][:, None])[:, 0]
                            for k in range(N)])
    ref = run_torch_cell(torch_cell("RNN", p), x, h0)
    for form in (torch_form, cs231n_form, keras_form, column_form, cp.rnn_step_forward(x, h0, p)[0]):
        assert close(form, ref)


def test_torch_weight_shapes():
    """torch.nn and course_pkg agree on (G*H, D) and (G*H, H) for every family."""
    for kind, G in (("RNN", 1), ("LSTM", 4), ("GRU", 3)):
        ref = getattr(torch.nn, kind)(D, H)
        ours = getattr(cp, kind)(D, H, seed=0)
        shapes = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
        assert shapes == {k: tuple(v.shape) for k, v in ours.state_dict().items()}
        assert shapes["weight_ih_l0"] == (G * H, D) and shapes["weight_hh_l0"] == (G * H, H)


# -- row 5: one bias or two --------------------------------------------------------------------
def sequence_outputs(kind, impl, state, x):
    """Run a float64 two-layer ``kind`` (torch.nn or course_pkg) with ``state`` on x (T, N, D)."""
    if impl == "torch":
        m = getattr(torch.nn, kind)(D, H, num_layers=2, dtype=torch.float64)
        m.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        with torch.no_grad():
            out, _ = m(torch.tensor(x))
        return out.numpy()
    m = getattr(cp, kind)(D, H, num_layers=2, dtype="float64", seed=0)
    m.load_state_dict(state)
    return m(x)[0]


def random_state(kind, rng):
    ours = getattr(cp, kind)(D, H, num_layers=2, dtype="float64", seed=int(rng.integers(1 << 30)))
    return {k: 0.8 * rng.standard_normal(v.shape) for k, v in ours.state_dict().items()}


def fold_biases(state, rows=None):
    """Move ``bias_hh`` (all of it, or the given rows) into ``bias_ih`` in every layer."""
    new = {k: v.copy() for k, v in state.items()}
    for k in state:
        if k.startswith("bias_hh"):
            ki = k.replace("bias_hh", "bias_ih")
            sel = slice(None) if rows is None else rows
            new[ki][sel] += new[k][sel]
            new[k][sel] = 0.0
    return new


@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_rnn_lstm_only_bias_sum_matters(kind, impl):
    rng = rng_for(11)
    state = random_state(kind, rng)
    x = rng.standard_normal((6, N, D))
    assert close(sequence_outputs(kind, impl, fold_biases(state), x), sequence_outputs(kind, impl, state, x))


@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
def test_gru_b_hn_does_not_fold(impl):
    """GRU: b_hr and b_hz fold into b_ir and b_iz, but b_hn sits inside r * (...) and does not."""
    rng = rng_for(12)
    state = random_state("GRU", rng)
    x = rng.standard_normal((6, N, D))
    ref = sequence_outputs("GRU", impl, state, x)
    rz_folded = sequence_outputs("GRU", impl, fold_biases(state, rows=slice(0, 2 * H)), x)
    n_folded = sequence_outputs("GRU", impl, fold_biases(state, rows=slice(2 * H, 3 * H)), x)
    assert close(rz_folded, ref)
    assert np.abs(n_folded - ref).max() > 1e-3


# -- row 6: batch-first or time-first ----------------------------------------------------------
@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
def test_batch_first_transposes_input_and_output_not_h_n(impl):
    rng = rng_for(13)
    T, L = 6, 2
    x_tnd = rng.standard_normal((T, N, D))
    results = {}
    for batch_first in (False, True):
        x = x_tnd.transpose(1, 0, 2).copy() if batch_first else x_tnd
        if impl == "torch":
            m = torch.nn.LSTM(D, H, num_layers=L, bidirectional=True, batch_first=batch_first,
                              dtype=torch.float64)
            torch.manual_seed(0)
            for prm in m.parameters():
                torch.nn.init.uniform_(prm, -0.5, 0.5)
            with torch.no_grad():
                out, (h_n, c_n) = m(torch.tensor(x))
            results[batch_first] = (out.numpy(), h_n.numpy(), c_n.numpy())
        else:
            m = cp.LSTM(D, H, num_layers=L, bidirectional=True, batch_first=batch_first,
                        dtype="float64", seed=0)
            out, (h_n, c_n) = m(x)
            results[batch_first] = (out, h_n, c_n)
    (out_t, h_t, c_t), (out_b, h_b, c_b) = results[False], results[True]
    assert out_t.shape == (T, N, 2 * H) and out_b.shape == (N, T, 2 * H)
    assert close(out_b, out_t.transpose(1, 0, 2))
    assert h_t.shape == h_b.shape == (L * 2, N, H)                  # h_n never batch-first
    assert close(h_t, h_b) and close(c_t, c_b)


def test_batch_first_mismatch_runs_silently():
    """Feeding (N, T, D) to a time-first module raises nothing: it reads N as time."""
    rng = rng_for(14)
    T = 6
    x_ntd = torch.tensor(rng.standard_normal((N, T, D)))
    tf = torch.nn.GRU(D, H, dtype=torch.float64)
    bf = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    bf.load_state_dict(tf.state_dict())
    with torch.no_grad():
        right, _ = bf(x_ntd)
        wrong, _ = tf(x_ntd)                                        # no error
    assert right.shape == wrong.shape == (N, T, H)
    assert not torch.allclose(right, wrong)


# -- row 7: bidirectional final state ----------------------------------------------------------
@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
def test_bidirectional_h_n_reverse_half_is_output_at_t0(impl):
    rng = rng_for(15)
    T, L = 5, 2
    x = rng.standard_normal((T, N, D))
    if impl == "torch":
        m = torch.nn.GRU(D, H, num_layers=L, bidirectional=True, dtype=torch.float64)
        with torch.no_grad():
            out, h_n = (t.numpy() for t in m(torch.tensor(x)))
    else:
        out, h_n = cp.GRU(D, H, num_layers=L, bidirectional=True, dtype="float64", seed=0)(x)
    last = h_n.reshape(L, 2, N, H)[-1]                              # last layer: (forward, reverse)
    assert close(last[0], out[-1, :, :H])                           # forward ends at t = T-1
    assert close(last[1], out[0, :, H:])                            # reverse ends at t = 0
    assert not close(last[1], out[-1, :, H:], 1e-3)                 # out[-1]'s reverse half saw x[T-1] only


# -- row 8: initialisation -----------------------------------------------------------------
@pytest.mark.parametrize("impl", ["torch", "course_pkg"])
def test_default_init_is_uniform_over_sqrt_h(impl):
    hidden = 64
    bound = 1 / math.sqrt(hidden)
    if impl == "torch":
        torch.manual_seed(0)
        state = {k: v.numpy() for k, v in torch.nn.LSTM(10, hidden).state_dict().items()}
    else:
        state = cp.LSTM(10, hidden, seed=0).state_dict()
    for name, v in state.items():
        assert np.abs(v).max() <= bound + 1e-7, name                # every weight and bias
        assert np.abs(v).max() > 0.95 * bound, name                 # ... filling the interval
    forget = (state["bias_ih_l0"] + state["bias_hh_l0"])[hidden:2 * hidden]
    assert abs(forget.mean()) < 0.1                                 # no forget-bias-1 by default


def test_keras_style_forget_bias_in_torch():
    """The page's snippet: Keras' unit_forget_bias on a torch.nn.LSTM (the two biases sum to 1)."""
    lstm = torch.nn.LSTM(10, 8, num_layers=2)
    with torch.no_grad():
        for name, b in lstm.named_parameters():
            if name.startswith("bias"):
                b.zero_()
                if name.startswith("bias_ih"):
                    b[lstm.hidden_size:2 * lstm.hidden_size] = 1.0
    H_ = lstm.hidden_size
    for layer in range(2):
        total = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        assert torch.equal(total[H_:2 * H_], torch.ones(H_))
        assert torch.equal(total[:H_], torch.zeros(H_)) and torch.equal(total[2 * H_:], torch.zeros(2 * H_))
