"""course_pkg.plots: the diagrams return Figures with one box per time step and reject bad input."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from course_pkg import plots  # noqa: E402

TOKENS = ["What", "time", "is", "it", "?"]


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts and ends with no open figure."""
    plt.close("all")
    yield
    plt.close("all")


def boxes(ax, gid):
    return [p for p in ax.patches if isinstance(p, FancyBboxPatch) and p.get_gid() == gid]


def texts(ax, gid=None):
    return [t.get_text() for t in ax.texts if gid is None or t.get_gid() == gid]


def arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def test_set_style_updates_rcparams():
    with matplotlib.rc_context():                   # restores the rcParams afterwards
        assert plots.set_style() is None
        assert matplotlib.rcParams["figure.dpi"] == 100
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (7.0, 2.6)
        fig, _ = plt.subplots()
        assert fig.get_size_inches().tolist() == [7.0, 2.6]


@pytest.mark.parametrize("T", [1, 2, 5, 9])
@pytest.mark.parametrize("show_outputs", [True, False])
def test_draw_unrolled_has_one_box_per_step(T, show_outputs):
    tokens = [f"w{t}" for t in range(T)]
    fig = plots.draw_unrolled(tokens, show_outputs=show_outputs)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(boxes(ax, "hidden")) == T
    assert len(boxes(ax, "initial")) == 1
    assert len(boxes(ax, "input")) == T
    assert len(boxes(ax, "output")) == (T if show_outputs else 0)
    assert texts(ax, "hidden") == [f"$h_{{{t}}}$" for t in range(1, T + 1)]
    assert texts(ax, "initial") == ["$h_0$"]
    # each token and its x_t label sit under the boxes
    assert texts(ax, "input") == [s for t, tok in enumerate(tokens, 1) for s in (tok, f"$x_{{{t}}}$")]
    assert texts(ax, "output") == ([f"$y_{{{t}}}$" for t in range(1, T + 1)] if show_outputs else [])
    weights = texts(ax, "weight")
    assert weights.count("$W_{hh}$") == T          # h_0 -> h_1, ..., h_{T-1} -> h_T
    assert weights.count("$W_{ih}$") == T
    assert weights.count("$W_{hy}$") == (T if show_outputs else 0)
    assert len(arrows(ax)) == (3 * T if show_outputs else 2 * T)
    assert plt.get_fignums() == [fig.number]       # exactly one new figure


def test_draw_unrolled_seed_sentence_size_and_title():
    fig = plots.draw_unrolled(TOKENS, title="Unrolled")
    width, height = fig.get_size_inches()
    assert 6.5 <= width <= 7.5 and 2.0 <= height <= 3.2
    assert fig.axes[0].get_title() == "Unrolled"
    assert all(tok in texts(fig.axes[0]) for tok in ("What", "time", "is", "it", "?"))
    fig.canvas.draw()                                # renders (mathtext parses)


def test_draw_unrolled_on_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    assert plots.draw_unrolled(TOKENS[:3], ax=b) is fig
    assert len(boxes(b, "hidden")) == 3 and len(a.patches) == 0
    assert plt.get_fignums() == [fig.number]


def test_draw_unrolled_escapes_dollar_signs():
    fig = plots.draw_unrolled(["$5", "a"], show_outputs=False)
    assert texts(fig.axes[0], "input")[0] == r"\$5"
    fig.canvas.draw()


@pytest.mark.parametrize("tokens", [[], ()])
def test_draw_unrolled_rejects_empty(tokens):
    with pytest.raises(ValueError, match="Expected at least one token"):
        plots.draw_unrolled(tokens)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("tokens", ["What time", None, 5, ["What", 3], [b"x"]])
def test_draw_unrolled_rejects_non_string_tokens(tokens):
    with pytest.raises(TypeError, match="Expected token"):
        plots.draw_unrolled(tokens)
    assert plt.get_fignums() == []


def test_bad_ax_and_title_raise():
    with pytest.raises(TypeError, match="Expected ax"):
        plots.draw_unrolled(TOKENS, ax="left")
    with pytest.raises(TypeError, match="Expected title"):
        plots.draw_unrolled(TOKENS, title=3)
    with pytest.raises(TypeError, match="Expected ax"):
        plots.draw_rolled(ax=object())
    with pytest.raises(TypeError, match="Expected title"):
        plots.draw_rolled(title=["x"])
    assert plt.get_fignums() == []


def test_draw_rolled_has_one_cell_and_a_self_loop():
    fig = plots.draw_rolled(title="Rolled")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(boxes(ax, "hidden")) == 1
    assert texts(ax, "hidden") == ["$h_t$"]
    assert texts(ax, "input") == ["$x_t$"] and texts(ax, "output") == ["$y_t$"]
    assert sorted(texts(ax, "weight")) == ["$W_{hh}$", "$W_{hy}$", "$W_{ih}$"]
    assert [p.get_gid() for p in arrows(ax)].count("loop") == 1
    fig.canvas.draw()


def test_figure_text_is_ascii():
    """Matplotlib's default font has no CJK glyphs: the diagrams' own text must stay ASCII."""
    for fig in (plots.draw_unrolled(TOKENS, title="t"), plots.draw_rolled()):
        for text in fig.axes[0].texts:
            assert text.get_text().isascii(), text.get_text()


# -- charts ---------------------------------------------------------------------------------------
import numpy as np  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402


def lines(ax, gid=None):
    return [line for line in ax.get_lines() if gid is None or line.get_gid() == gid]


def images(ax, gid):
    return [im for im in ax.get_images() if isinstance(im, AxesImage) and im.get_gid() == gid]


def all_text_is_ascii(fig):
    """Every text drawn is ASCII (tick labels may use matplotlib's minus sign, which the font has)."""
    fig.canvas.draw()
    found = [t.get_text().replace("\u2212", "-") for t in fig.findobj(matplotlib.text.Text)]
    return all(s.isascii() for s in found)


HISTORY = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, 0.8], "accuracy": [0.5, 0.7, 0.9],
           "val_accuracy": [0.4, 0.7, 0.6], "step_loss": [1.2, 0.9, 0.7, 0.5, 0.4, 0.3],
           "grad_norm": [3.0, 2.0, 9.0, 1.0, 0.5, 0.4], "best_epoch": 2, "monitor": "val_loss",
           "stopped_early": False}


def test_learning_curves_has_a_panel_per_quantity():
    fig = plots.learning_curves(HISTORY, title="Training")
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert [loss_ax.get_title(), acc_ax.get_title()] == ["loss", "accuracy"]
    for ax in (loss_ax, acc_ax):
        assert len(lines(ax, "train")) == len(lines(ax, "val")) == 1
        assert lines(ax, "best")[0].get_xdata()[0] == 2
    np.testing.assert_array_equal(lines(loss_ax, "train")[0].get_ydata(), HISTORY["loss"])
    np.testing.assert_array_equal(lines(acc_ax, "val")[0].get_xdata(), [1, 2, 3])
    assert fig.get_suptitle() == "Training"
    assert all_text_is_ascii(fig)


def test_learning_curves_from_a_history_with_gradient_norms():
    pytest.importorskip("torch")
    import course_pkg as cp
    from course_pkg import train

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3, 2))
    history = train.fit(cp.SequenceClassifier(cp.RNN(2, 4, batch_first=True, seed=0), 2, seed=1),
                        (x, (x[:, -1, 0] > 0).astype(np.int64)), loss="cross_entropy", epochs=2, batch_size=8)
    fig = plots.learning_curves(history, grad_norm=True)
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    assert len(lines(fig.axes[1], "grad_norm")[0].get_ydata()) == 4
    assert lines(fig.axes[0], "val") == []                  # no validation data


@pytest.mark.parametrize("bad, error", [({"loss": []}, ValueError), ({"val_loss": [1.0]}, ValueError),
                                        ({"loss": [1.0, 2.0], "val_loss": [1.0]}, ValueError),
                                        ([1.0, 2.0], TypeError)])
def test_learning_curves_rejects_bad_histories(bad, error):
    with pytest.raises(error, match="Expected"):
        plots.learning_curves(bad)
    assert plt.get_fignums() == []


def test_hidden_state_heatmap_shows_units_by_time():
    states = np.tanh(np.random.default_rng(0).standard_normal((5, 3)))       # (T, H)
    fig = plots.hidden_state_heatmap(states, tokens=TOKENS, title="h_t")
    ax = fig.axes[0]
    (image,) = images(ax, "states")
    assert image.get_array().shape == (3, 5)                                # (H, T)
    assert image.get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == TOKENS
    assert len(fig.axes) == 2                                              # with a colour bar
    assert plots.hidden_state_heatmap(3 * states).axes[0].get_images()[0].get_clim()[1] > 1
    assert all_text_is_ascii(fig)


@pytest.mark.parametrize("states, tokens", [(np.zeros(5), None), (np.zeros((2, 3, 4)), None),
                                            (np.zeros((5, 3)), ["a", "b"]), (np.zeros((0, 3)), None),
                                            (np.full((2, 2), np.nan), None)])
def test_hidden_state_heatmap_rejects_bad_shapes(states, tokens):
    with pytest.raises(ValueError, match="Expected"):
        plots.hidden_state_heatmap(states, tokens)
    assert plt.get_fignums() == []


def test_gradient_norm_vs_lag_is_a_log_plot_with_one_line_per_curve():
    lags = np.arange(1, 11)
    fig = plots.gradient_norm_vs_lag([0.5 ** lags, 1.5 ** lags], lags, ["vanishing", "exploding"])
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(lines(ax, "curve")) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["vanishing", "exploding"]
    single = plots.gradient_norm_vs_lag(np.ones(10), lags)
    assert len(lines(single.axes[0], "curve")) == 1 and single.axes[0].get_legend() is None
    assert all_text_is_ascii(fig)


@pytest.mark.parametrize("norms, lags, labels", [(np.ones((2, 4)), np.arange(5), None),
                                                 (np.ones((2, 4)), np.arange(4), ["one"]),
                                                 (-np.ones(4), np.arange(4), None),
                                                 (np.ones((1, 2, 3)), np.arange(3), None)])
def test_gradient_norm_vs_lag_rejects_bad_shapes(norms, lags, labels):
    with pytest.raises(ValueError, match="Expected"):
        plots.gradient_norm_vs_lag(norms, lags, labels)


def test_activations_draws_three_functions_and_their_derivatives():
    fig = plots.activations()
    assert [ax.get_title() for ax in fig.axes] == ["activation", "derivative"]
    for ax in fig.axes:
        assert sorted(line.get_gid() for line in lines(ax) if line.get_gid() != "quarter") == \
            ["relu", "sigmoid", "tanh"]
    deriv = {line.get_gid(): line.get_ydata() for line in lines(fig.axes[1])}
    assert deriv["sigmoid"].max() == pytest.approx(0.25) and deriv["tanh"].max() == pytest.approx(1.0)
    assert all_text_is_ascii(fig)
    with pytest.raises(ValueError, match="x_min < x_max"):
        plots.activations(2.0, 1.0)


def test_attention_heatmap_labels_both_axes():
    w = np.random.default_rng(0).random((3, 4))
    w /= w.sum(1, keepdims=True)
    fig = plots.attention_heatmap(w, ["a", "b", "c", "$d"], ["x", "y", "<eos>"])
    ax = fig.axes[0]
    (image,) = images(ax, "attention")
    assert image.get_array().shape == (3, 4) and image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", r"\$d"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "<eos>"]
    assert all_text_is_ascii(fig)


def test_attention_heatmap_accepts_torch_weights():
    torch = pytest.importorskip("torch")
    fig = plots.attention_heatmap(torch.full((2, 2), 0.5), ["a", "b"], ["c", "d"])
    assert images(fig.axes[0], "attention")[0].get_array().shape == (2, 2)


@pytest.mark.parametrize("weights", [np.ones((3, 4)) / 4, np.ones(4), np.full((2, 4), 2.0)])
def test_attention_heatmap_rejects_bad_shapes(weights):
    with pytest.raises(ValueError, match="Expected weights"):
        plots.attention_heatmap(weights, ["a", "b", "c", "d"], ["x", "y"])


def test_forecast_aligns_predictions_with_the_end():
    truth = np.sin(np.arange(30) / 4)
    fig = plots.forecast(truth, truth[-10:, None] + 0.1, baseline=truth[-11:-1])
    ax = fig.axes[0]
    np.testing.assert_array_equal(lines(ax, "prediction")[0].get_xdata(), np.arange(20, 30))
    np.testing.assert_array_equal(lines(ax, "baseline")[0].get_xdata(), np.arange(20, 30))
    assert len(lines(ax, "truth")[0].get_xdata()) == 30
    assert lines(ax, "forecast_start")[0].get_xdata()[0] == 19.5
    full = plots.forecast(truth, truth)
    assert lines(full.axes[0], "forecast_start") == [] and lines(full.axes[0], "baseline") == []
    assert all_text_is_ascii(fig)


@pytest.mark.parametrize("truth, prediction, baseline", [(np.zeros(5), np.zeros(6), None),
                                                          (np.zeros((5, 2)), np.zeros(3), None),
                                                          (np.zeros(5), np.zeros(3), np.zeros(7)),
                                                          (np.zeros(5), np.array([np.inf]), None)])
def test_forecast_rejects_bad_shapes(truth, prediction, baseline):
    with pytest.raises(ValueError, match="Expected"):
        plots.forecast(truth, prediction, baseline)


def test_confusion_matrix_writes_every_count():
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    fig = plots.confusion_matrix(cm, ["PER", "LOC", "ORG"], title="NER")
    ax = fig.axes[0]
    assert len(images(ax, "cm")) == 1
    assert texts(ax, "count") == [str(v) for v in cm.ravel()]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    rates = plots.confusion_matrix(cm / cm.sum(1, keepdims=True), ["a", "b", "c"])
    assert texts(rates.axes[0], "count")[0] == "0.83"
    assert all_text_is_ascii(fig)


@pytest.mark.parametrize("cm, labels", [(np.ones((2, 3)), ["a", "b"]), (np.ones((2, 2)), ["a"]),
                                        (-np.ones((2, 2)), ["a", "b"]), (np.ones(4), ["a"])])
def test_confusion_matrix_rejects_bad_shapes(cm, labels):
    with pytest.raises(ValueError, match="Expected"):
        plots.confusion_matrix(cm, labels)


def test_charts_draw_on_given_axes_and_check_arguments():
    fig, (a, b) = plt.subplots(1, 2)
    assert plots.forecast(np.zeros(4), np.zeros(2), ax=b) is fig
    assert plots.confusion_matrix(np.eye(2), ["a", "b"], ax=a) is fig
    assert plt.get_fignums() == [fig.number]
    with pytest.raises(TypeError, match="Expected ax"):
        plots.forecast(np.zeros(4), np.zeros(2), ax="left")
    with pytest.raises(TypeError, match="Expected title"):
        plots.hidden_state_heatmap(np.zeros((2, 2)), title=1)
    with pytest.raises(TypeError, match=r"Expected labels\[1\] to be a str"):
        plots.confusion_matrix(np.eye(2), ["a", 2])


# -- the encoder-decoder diagram (chapter 10) ------------------------------------------------------
@pytest.mark.parametrize("S, T", [(1, 1), (3, 3), (5, 2)])
@pytest.mark.parametrize("context", ["init", "every_step"])
def test_draw_encoder_decoder_has_encoder_context_and_decoder_steps(S, T, context):
    src, tgt = [f"a{s}" for s in range(S)], [f"b{t}" for t in range(T)]
    fig = plots.draw_encoder_decoder(src, tgt, context=context)
    assert isinstance(fig, Figure) and plt.get_fignums() == [fig.number]
    ax = fig.axes[0]
    every = context == "every_step"
    # h_1..h_S, then s_1..s_{T+1}: the decoder runs one step more, to write <eos>
    assert texts(ax, "hidden") == ([f"$h_{{{s}}}$" for s in range(1, S + 1)]
                                   + [f"$s_{{{t}}}$" for t in range(1, T + 2)])
    assert texts(ax, "initial") == ["$h_0$", "$s_0$"]
    assert [b.get_linestyle() for b in boxes(ax, "initial")] == ["--", "--" if every else "-"]
    # the decoder reads <bos> and the target, and writes the target and <eos>
    inputs = [t for t in texts(ax, "input") if not t.startswith("$x")]
    assert inputs == src + ["<bos>"] + tgt
    assert texts(ax, "output") == tgt + ["<eos>"]
    # one context vector c; with "every_step" a copy of it at every decoder step
    assert texts(ax, "context") == ["$c$"] * (1 + (T + 1 if every else 0))
    assert texts(ax, "weight") == ([] if every else ["$W_b$"])
    fig.canvas.draw()


def test_draw_encoder_decoder_on_given_axes_with_title():
    fig, (a, b) = plt.subplots(1, 2)
    assert plots.draw_encoder_decoder(["x"], ["y"], ax=b, title="N vs M") is fig
    assert b.get_title() == "N vs M" and len(a.patches) == 0
    assert plt.get_fignums() == [fig.number]


def test_draw_encoder_decoder_text_is_ascii_and_escaped():
    fig = plots.draw_encoder_decoder(["$5", "Mar"], ["2024"], context="every_step")
    assert r"\$5" in texts(fig.axes[0], "input")
    assert all(t.get_text().isascii() for t in fig.axes[0].texts)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(src_tokens=[], tgt_tokens=["y"]), ValueError, "Expected at least one token in src_tokens"),
    (dict(src_tokens=["x"], tgt_tokens=()), ValueError, "Expected at least one token in tgt_tokens"),
    (dict(src_tokens="x y", tgt_tokens=["y"]), TypeError, "Expected src_tokens"),
    (dict(src_tokens=["x"], tgt_tokens=["y", 2]), TypeError, r"Expected tgt_tokens\[1\]"),
    (dict(src_tokens=["x"], tgt_tokens=["y"], context="every"), ValueError, "Expected context in"),
    (dict(src_tokens=["x"], tgt_tokens=["y"], context=None), TypeError, "Expected context in"),
    (dict(src_tokens=["x"], tgt_tokens=["y"], ax="left"), TypeError, "Expected ax"),
    (dict(src_tokens=["x"], tgt_tokens=["y"], title=3), TypeError, "Expected title"),
])
def test_draw_encoder_decoder_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.draw_encoder_decoder(**kwargs)
    assert plt.get_fignums() == []
