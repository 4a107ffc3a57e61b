"""course_pkg.plots.draw_bptt_graph: the unrolled graph BPTT runs backwards, with the two roads
by which a state reaches the loss (chapter 3), counted box by box and checked arrow by arrow:
each arrow is read back as the pair of boxes it joins, so a wrong or missing road fails."""
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.path import Path
from test_plots import arrows as all_arrows
from test_plots import boxes, close_figures, texts  # noqa: F401  (close_figures is autouse)

from course_pkg import plots

NODES = ("input", "initial", "hidden", "output", "loss", "total_loss")


def arrows(ax, gid=None):
    return [a for a in all_arrows(ax) if gid in (None, a.get_gid())]


def node_names(ax):
    """{name: centre} of every box, named by its label: "x1", "h0", "h2", "z2", "L2", "L"."""
    centres = {}
    for gid in NODES:
        for box, text in zip(boxes(ax, gid), [t for t in ax.texts if t.get_gid() == gid]):
            centre = (box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2)
            assert np.allclose(text.get_position(), centre)           # the label sits in its box
            label = text.get_text()
            name = "L" if gid == "total_loss" else re.sub(r"\\mathbf|[${}_]", "", label)
            centres[name] = centre
    return centres


def edges(ax, gid=None):
    """The arrows as (from, to) pairs of box names: the box nearest to each end."""
    centres = node_names(ax)
    names, xy = list(centres), np.array(list(centres.values()))
    found = []
    for a in arrows(ax, gid):
        path = a.get_path()                                        # data coordinates
        ends = path.vertices[path.codes != Path.CLOSEPOLY]
        start = ends[0]
        tip = ends[np.argmax(np.linalg.norm(ends - start, axis=1))]
        found.append(tuple(names[np.argmin(np.linalg.norm(xy - p, axis=1))] for p in (start, tip)))
    return found


def expected_edges(T, k):
    """The graph of the chapter: x_t -> h_t, h_{t-1} -> h_t, h_t -> z_t -> L_t -> L; h_k's road 1
    is its own output, road 2 the next state and everything after it."""
    road1 = {(f"h{k}", f"z{k}"), (f"z{k}", f"L{k}"), (f"L{k}", "L")}
    road2 = {e for t in range(k + 1, T + 1)
             for e in [(f"h{t - 1}", f"h{t}"), (f"h{t}", f"z{t}"), (f"z{t}", f"L{t}"), (f"L{t}", "L")]}
    every = {e for t in range(1, T + 1)
             for e in [(f"x{t}", f"h{t}"), (f"h{t - 1}", f"h{t}"), (f"h{t}", f"z{t}"), (f"z{t}", f"L{t}"),
                       (f"L{t}", "L")]}
    return road1, road2, every - road1 - road2


@pytest.mark.parametrize("T, k", [(1, 1), (2, 1), (2, 2), (3, 2), (4, 2), (4, 4), (8, 3)])
def test_one_box_per_node_and_two_roads(T, k):
    fig = plots.draw_bptt_graph(T, highlight=k)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    for gid, label in [("input", r"\mathbf{x}"), ("hidden", r"\mathbf{h}"), ("output", r"\mathbf{z}"),
                       ("loss", "L")]:
        assert len(boxes(ax, gid)) == T
        assert texts(ax, gid) == [f"${label}_{{{t}}}$" for t in range(1, T + 1)]
    assert texts(ax, "initial") == [r"$\mathbf{h}_0$"] and len(boxes(ax, "initial")) == 1
    assert len(boxes(ax, "total_loss")) == 1
    assert texts(ax, "total_loss")[0].startswith("$L = L_1")
    # 5 arrows per step: x -> h, h_{t-1} -> h, h -> z, z -> L_t, L_t -> L
    assert len(arrows(ax)) == 5 * T
    assert len(arrows(ax, "road1")) == 3                     # h_k -> z_k -> L_k -> L
    assert len(arrows(ax, "road2")) == 4 * (T - k)           # h_k -> h_{k+1} and all after it
    assert len(arrows(ax, "forward")) == 5 * T - 3 - 4 * (T - k)
    # which arrow is which: every arrow joins the boxes it should, in the forward direction
    road1, road2, forward = expected_edges(T, k)
    for gid, want in [("road1", road1), ("road2", road2), ("forward", forward)]:
        got = edges(ax, gid)
        assert len(set(got)) == len(got) and set(got) == want, gid
    weights = texts(ax, "weight")
    assert [weights.count(w) for w in ("$W_{hh}$", "$W_{ih}$", "$W_{hy}$")] == [T, T, T]
    # the highlighted state has the thick edge, and only it
    widths = [b.get_linewidth() for b in boxes(ax, "hidden")]
    assert widths.index(max(widths)) == k - 1 and widths.count(max(widths)) == 1
    legend = texts(ax, "legend")
    assert len(legend) == 2 and rf"\partial L_{{{k}}} / \partial \mathbf{{h}}_{{{k}}}" in legend[0]
    if k < T:
        assert rf"\boldsymbol{{\delta}}_{{{k + 1}}}\," in legend[1]
        assert rf"(1 - \mathbf{{h}}_{{{k + 1}}}^2)\, W_{{hh}}$" in legend[1]      # row form: delta W_hh
    else:
        assert "no road 2" in legend[1]
    assert plt.get_fignums() == [fig.number]


@pytest.mark.parametrize("T", [1, 2])
def test_renders(T):
    plots.draw_bptt_graph(T, highlight=1).canvas.draw()      # the mathtext of both legends parses


def test_roads_are_coloured_and_the_rest_is_not():
    ax = plots.draw_bptt_graph(4, highlight=2).axes[0]
    colours = {gid: {tuple(a.get_edgecolor()) for a in arrows(ax, gid)} for gid in ("road1", "road2", "forward")}
    assert all(len(c) == 1 for c in colours.values())         # one colour per road
    assert len(set.union(*colours.values())) == 3              # three different colours


def test_default_highlight_is_the_state_before_the_last():
    ax = plots.draw_bptt_graph(5).axes[0]
    assert len(arrows(ax, "road2")) == 4
    ax = plots.draw_bptt_graph(1).axes[0]
    assert len(arrows(ax, "road2")) == 0 and len(arrows(ax, "road1")) == 3
    assert len(boxes(plots.draw_bptt_graph().axes[0], "hidden")) == 3


def test_size_title_and_given_axes():
    fig = plots.draw_bptt_graph(3, title="BPTT")
    width, height = fig.get_size_inches()
    assert 4.0 <= width <= 5.5 and 4.0 <= height <= 5.5
    assert fig.axes[0].get_title() == "BPTT"
    wider = plots.draw_bptt_graph(4).get_size_inches()[0]
    assert wider == pytest.approx(width + 1.2, abs=0.15)       # 1.6 units per step at 0.76 in/unit
    fig, (a, b) = plt.subplots(1, 2)
    assert plots.draw_bptt_graph(2, ax=b) is fig
    assert len(boxes(b, "hidden")) == 2 and len(a.patches) == 0


def test_text_is_ascii():
    for text in plots.draw_bptt_graph(4, title="t").axes[0].texts:
        assert text.get_text().isascii(), text.get_text()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"T": 0}, ValueError, r"Expected T in \[1, 8\], got 0"),
    ({"T": 9}, ValueError, r"Expected T in \[1, 8\], got 9"),
    ({"T": 3.0}, TypeError, "Expected T to be an int, got float"),
    ({"T": "3"}, TypeError, "Expected T to be an int, got str"),
    ({"T": True}, TypeError, "Expected T to be an int, got bool"),
    ({"T": 3, "highlight": 4}, ValueError, r"Expected highlight in \[1, 3\], got 4"),
    ({"T": 3, "highlight": 0}, ValueError, r"Expected highlight in \[1, 3\], got 0"),
    ({"T": 3, "highlight": 1.5}, TypeError, "Expected highlight to be an int or None, got float"),
    ({"ax": "left"}, TypeError, "Expected ax"),
    ({"title": 3}, TypeError, "Expected title"),
])
def test_bad_arguments_raise_before_drawing(kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.draw_bptt_graph(**kwargs)
    assert plt.get_fignums() == []
