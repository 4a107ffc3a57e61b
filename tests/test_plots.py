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
