"""course_pkg.plots' cell diagrams: the LSTM's and the GRU's gates, nodes and wires.

The tests read the drawing through matplotlib's public API (patch geometry, ``get_path``,
texts and gids) and check what a reader sees: which gate feeds which element-wise node, where
the cell state runs, where the tanh sits and where the GRU's reset gate acts. A diagram with
two gates swapped, the reset gate before ``W_hn`` or the blend ``z * n + (1 - z) * h`` fails.
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from test_plots import close_figures  # noqa: E402,F401  (autouse: no figure left open)

from course_pkg import plots  # noqa: E402

TOL = 0.06                      # data units: a wire ends this close to what it feeds



def patches(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def texts(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def vertices(wire):
    """The points a wire is drawn through, in data units (its arrow head included)."""
    path = wire.get_path()
    keep = path.codes != Path.CLOSEPOLY if path.codes is not None else slice(None)
    return path.vertices[keep]


def distance(wire, point):
    """The distance from ``point`` to the polyline of ``wire``."""
    v, p = vertices(wire), np.asarray(point, float)
    a, b = v[:-1], v[1:]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum((ab ** 2).sum(1), 1e-12), 0, 1)
    return float(np.min(np.linalg.norm(a + t[:, None] * ab - p, axis=1)))


def wires(ax):
    return patches(ax, "wire") + patches(ax, "state_path")


def connected(ax, a, b):
    """Whether one wire runs from (near) point ``a`` to (near) point ``b``."""
    return any(distance(w, a) < TOL and distance(w, b) < TOL for w in wires(ax))


def gates(ax):
    """``{letter: box}``: each gate box with the letter drawn next to it (nearest box)."""
    boxes = patches(ax, "gate")

    def gap(box, xy):
        x0, y0 = box.get_x(), box.get_y()
        dx = max(x0 - xy[0], 0, xy[0] - x0 - box.get_width())
        dy = max(y0 - xy[1], 0, xy[1] - y0 - box.get_height())
        return np.hypot(dx, dy)
    found = {}
    for t in ax.texts:
        if t.get_gid() == "gate_label":
            letter = t.get_text()[len(r"$\mathbf{")]
            found[letter] = min(boxes, key=lambda box: gap(box, t.get_position()))
    assert len({id(b) for b in found.values()}) == len(found) == len(boxes)
    return found


def activation(ax, box):
    """The text written inside a box: ``$\\sigma$`` or ``tanh``."""
    (text,) = [t.get_text() for t in ax.texts if t.get_gid() in ("gate", "weight")
               and box.contains_point(ax.transData.transform(t.get_position()))]
    return text


def side(patch, where):
    """The middle of one side of a box, node or oval: ``top``, ``bottom``, ``left``, ``right``."""
    if hasattr(patch, "get_width") and hasattr(patch, "get_x"):          # a box
        x, y, w, h = patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()
        cx, cy, rx, ry = x + w / 2, y + h / 2, w / 2, h / 2
    else:                                                                 # a circle or an oval
        (cx, cy), r = patch.get_center(), getattr(patch, "radius", None)
        rx, ry = (r, r) if r is not None else (patch.width / 2, patch.height / 2)
    return {"top": (cx, cy + ry), "bottom": (cx, cy - ry), "left": (cx - rx, cy),
            "right": (cx + rx, cy)}[where]


def state_line(ax):
    """The y of the state path and its three segments, left to right."""
    path = sorted(patches(ax, "state_path"), key=lambda p: vertices(p)[0][0])
    ys = {round(float(y), 6) for p in path for _, y in vertices(p)[:2]}
    assert len(path) == 3 and len(ys) == 1           # one straight line
    return ys.pop(), path


def on_line(ax, kind, y):
    return sorted((n for n in patches(ax, kind) if abs(n.get_center()[1] - y) < 1e-9),
                  key=lambda n: n.get_center()[0])


# -- the LSTM ----------------------------------------------------------------------------------

def test_lstm_cell_has_four_gates_three_products_one_sum():
    fig = plots.draw_lstm_cell()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(patches(ax, "gate")) == 4
    # torch's letters i, f, g, o, each once, drawn in the order they act on the cell: f, i, g, o
    assert texts(ax, "gate_label") == [r"$\mathbf{f}_t$", r"$\mathbf{i}_t$", r"$\mathbf{g}_t$",
                                       r"$\mathbf{o}_t$"]
    g = gates(ax)
    assert {k: activation(ax, b) for k, b in g.items()} == {
        "f": r"$\sigma$", "i": r"$\sigma$", "g": "tanh", "o": r"$\sigma$"}
    assert len(patches(ax, "product")) == 3          # f * c, i * g, o * tanh(c)
    assert len(patches(ax, "sum")) == 1 and texts(ax, "sum") == ["+"]
    assert len(patches(ax, "one_minus")) == 0
    assert len(patches(ax, "pointwise")) == 1 and texts(ax, "pointwise") == ["tanh"]
    assert sorted(texts(ax, "input")) == sorted([r"$\mathbf{c}_{t-1}$", r"$\mathbf{h}_{t-1}$",
                                                 r"$\mathbf{x}_t$"])
    assert sorted(texts(ax, "output")) == sorted([r"$\mathbf{c}_t$", r"$\mathbf{h}_t$"])
    assert len(patches(ax, "cell")) == 1
    assert plt.get_fignums() == [fig.number]


def test_lstm_cell_state_path_meets_only_the_forget_product_and_the_sum():
    ax = plots.draw_lstm_cell().axes[0]
    y, path = state_line(ax)
    xs = [x for p in path for x, _ in vertices(p)[:2]]
    assert xs == sorted(xs)                          # c_{t-1} on the left, c_t on the right
    ports = {t.get_text(): t.get_position() for t in ax.texts if t.get_gid() in ("input", "output")}
    assert ports[r"$\mathbf{c}_{t-1}$"][0] < xs[0] + TOL and ports[r"$\mathbf{c}_t$"][0] > xs[-1] - TOL
    (forget,) = on_line(ax, "product", y)
    (add,) = on_line(ax, "sum", y)
    assert forget.get_center()[0] < add.get_center()[0]     # first forget, then add
    # nothing but wires, a product and a sum on the belt: no gate box, no tanh on it
    for p in patches(ax, "gate") + patches(ax, "pointwise"):
        assert p.get_center()[1] < y - 0.3 if hasattr(p, "get_center") else p.get_y() + p.get_height() < y


def test_lstm_gates_feed_the_right_nodes():
    """f multiplies c_{t-1}; i and g meet in a product that is added to the belt; o scales
    tanh(c_t), taken from the belt after the sum, into h_t."""
    ax = plots.draw_lstm_cell().axes[0]
    g = gates(ax)
    y, _ = state_line(ax)
    (forget,) = on_line(ax, "product", y)
    (add,) = on_line(ax, "sum", y)
    below = [p for p in patches(ax, "product") if p is not forget]
    (ig,) = [p for p in below if abs(p.get_center()[0] - add.get_center()[0]) < 1e-9]
    (out,) = [p for p in below if p is not ig]
    assert connected(ax, side(g["f"], "top"), side(forget, "bottom"))
    assert connected(ax, side(g["i"], "top"), side(ig, "left"))
    assert connected(ax, side(g["g"], "top"), side(ig, "bottom"))
    assert connected(ax, side(ig, "top"), side(add, "bottom"))
    assert not connected(ax, side(g["i"], "top"), side(forget, "bottom"))
    assert not connected(ax, side(g["f"], "top"), side(ig, "left"))
    (tanh_c,) = patches(ax, "pointwise")
    x_tap = tanh_c.get_center()[0]
    assert x_tap > add.get_center()[0]               # tanh of the new cell state c_t
    assert connected(ax, (x_tap, y), side(tanh_c, "top"))
    assert connected(ax, side(tanh_c, "bottom"), side(out, "top"))
    assert connected(ax, side(g["o"], "right"), side(out, "left"))
    h_t = [t.get_position() for t in ax.texts if t.get_text() == r"$\mathbf{h}_t$"][0]
    assert connected(ax, side(out, "bottom"), (h_t[0], h_t[1] - 0.08))


def test_lstm_gates_read_h_and_x_from_one_bus():
    ax = plots.draw_lstm_cell().axes[0]
    ports = {t.get_text(): t.get_position() for t in ax.texts if t.get_gid() == "input"}
    h_in = ports[r"$\mathbf{h}_{t-1}$"]
    bus = (h_in[0], h_in[1] - 0.08)                  # the label sits just above its wire
    (bus_wire,) = [w for w in wires(ax) if distance(w, bus) < TOL]
    x_in = ports[r"$\mathbf{x}_t$"]
    for box in gates(ax).values():
        bottom = side(box, "bottom")
        assert distance(bus_wire, (bottom[0], bus[1])) < TOL
        assert connected(ax, (bottom[0], bus[1]), bottom)
    assert connected(ax, (x_in[0], x_in[1] + 0.05), (x_in[0], bus[1]))


# -- the GRU -----------------------------------------------------------------------------------

def test_gru_cell_has_three_gates_and_torch_blend():
    fig = plots.draw_gru_cell()
    ax = fig.axes[0]
    assert len(patches(ax, "gate")) == 3
    g = gates(ax)
    assert {k: activation(ax, b) for k, b in g.items()} == {
        "r": r"$\sigma$", "z": r"$\sigma$", "n": "tanh"}
    assert r"$\mathbf{o}_t$" not in texts(ax, "gate_label")     # no output gate
    assert len(patches(ax, "product")) == 3          # r * (W_hn h + b_hn), z * h, (1 - z) * n
    assert len(patches(ax, "sum")) == 1
    assert len(patches(ax, "one_minus")) == 1
    assert len(patches(ax, "pointwise")) == 0
    assert len(patches(ax, "linear")) == 1 and texts(ax, "weight") == ["$W_{hn}$"]
    assert sorted(texts(ax, "input")) == sorted([r"$\mathbf{h}_{t-1}$", r"$\mathbf{x}_t$"])
    assert texts(ax, "output") == [r"$\mathbf{h}_t$"]           # h and c merged: one state
    equations = " ".join(texts(ax, "equation"))
    assert r"(1 - \mathbf{z}_t) \odot \mathbf{n}_t + \mathbf{z}_t \odot \mathbf{h}_{t-1}" in equations
    assert r"\mathbf{r}_t \odot (\mathbf{h}_{t-1} W_{hn}^\top + \mathbf{b}_{hn})" in equations


def test_gru_reset_multiplies_the_output_of_w_hn():
    """torch's placement: r_t * (h_{t-1} W_hn^T + b_hn), then the candidate's tanh."""
    ax = plots.draw_gru_cell().axes[0]
    g = gates(ax)
    (w_hn,) = patches(ax, "linear")
    (reset,) = [p for p in patches(ax, "product") if connected(ax, side(g["r"], "top"), side(p, "bottom"))]
    assert connected(ax, side(w_hn, "bottom"), side(reset, "top"))
    assert connected(ax, side(reset, "right"), side(g["n"], "left"))
    assert not connected(ax, side(g["r"], "top"), side(w_hn, "bottom"))    # not r * h before W_hn


def test_gru_w_hn_reads_h_alone_across_a_gap_in_z_wire():
    """h_{t-1} goes to W_hn alone (x_t does not), and crosses z's wire without joining it."""
    ax = plots.draw_gru_cell().axes[0]
    g = gates(ax)
    y_top, path = state_line(ax)
    (w_hn,) = patches(ax, "linear")
    left = side(w_hn, "left")
    row = sorted((w for w in wires(ax) if all(abs(y - left[1]) < 1e-6 for _, y in vertices(w)[:2])
                  and len(vertices(w)) >= 2), key=lambda w: vertices(w)[0][0])
    assert len(row) == 2 and distance(row[1], left) < TOL          # two pieces into W_hn
    x_z = side(g["z"], "top")[0]
    assert vertices(row[0])[1][0] < x_z < vertices(row[1])[0][0]    # a gap where z's wire passes
    (z_wire,) = [w for w in wires(ax) if distance(w, side(g["z"], "top")) < TOL]
    assert distance(z_wire, (x_z, left[1])) < TOL
    # the left piece starts on the wire that taps h_{t-1} off the state line
    start = vertices(row[0])[0]
    taps = [w for w in wires(ax) if distance(w, start) < TOL and w is not row[0]]
    assert taps and all(distance(w, (start[0], y_top)) < TOL for w in taps)
    assert start[0] < vertices(path[0])[1][0]        # left of z * h_{t-1}


def test_gru_blend_z_keeps_the_old_state_one_minus_z_admits_n():
    """h_t = (1 - z) * n + z * h_{t-1}: z multiplies the state line, 1 - z the candidate."""
    ax = plots.draw_gru_cell().axes[0]
    g = gates(ax)
    y, _ = state_line(ax)
    (keep,) = on_line(ax, "product", y)
    (add,) = on_line(ax, "sum", y)
    (one_minus,) = patches(ax, "one_minus")
    assert keep.get_center()[0] < add.get_center()[0]
    assert connected(ax, side(g["z"], "top"), side(keep, "bottom"))
    x_z = side(g["z"], "top")[0]
    assert any(distance(w, side(one_minus, "top")) < TOL
               and any(abs(x - x_z) < 1e-6 and side(g["z"], "top")[1] < yy < y for x, yy in vertices(w))
               for w in wires(ax))                   # z's wire branches to 1 - z
    (admit,) = [p for p in patches(ax, "product") if connected(ax, side(one_minus, "bottom"), side(p, "top"))]
    assert connected(ax, side(g["n"], "right"), side(admit, "left"))
    assert connected(ax, side(admit, "right"), side(add, "bottom"))
    assert not connected(ax, side(g["n"], "right"), side(keep, "bottom"))


# -- side by side ------------------------------------------------------------------------------

def test_lstm_gru_cells_side_by_side_with_mapping():
    fig = plots.draw_lstm_gru_cells(title="Two gated cells")
    assert isinstance(fig, Figure)
    lstm, gru = fig.axes
    assert (lstm.get_title(), gru.get_title()) == ("LSTM", "GRU")
    assert len(patches(lstm, "gate")) == 4 and len(patches(gru, "gate")) == 3
    mapping = [t.get_text() for t in fig.texts if t.get_gid() == "mapping"]
    assert len(mapping) == 3 * len(plots.LSTM_TO_GRU) == 12
    text = " ".join(mapping)
    for needle in (r"forget $\mathbf{f}_t$ and input $\mathbf{i}_t$", r"$1 - \mathbf{z}_t$",
                   r"output gate $\mathbf{o}_t$", "none", "one state"):
        assert needle in text
    # the GRU's update gate has the forget gate's colour, 1 - z the input gate's, n the candidate's
    lg, gg = gates(lstm), gates(gru)
    assert gg["z"].get_facecolor() == lg["f"].get_facecolor()
    assert patches(gru, "one_minus")[0].get_facecolor() == lg["i"].get_facecolor()
    assert gg["n"].get_facecolor() == lg["g"].get_facecolor()
    assert len({lg[k].get_facecolor() for k in "figo"} | {gg["r"].get_facecolor()}) == 5
    assert fig.get_suptitle() == "Two gated cells"
    fig.canvas.draw()                                # mathtext parses


@pytest.mark.parametrize("draw", [plots.draw_lstm_cell, plots.draw_gru_cell])
def test_cells_render_on_given_axes_with_title(draw):
    fig, (a, b) = plt.subplots(1, 2)
    assert draw(ax=b, title="cell") is fig
    assert b.get_title() == "cell" and len(patches(b, "gate")) > 0 and len(a.patches) == 0
    fig.canvas.draw()


@pytest.mark.parametrize("draw", [plots.draw_lstm_cell, plots.draw_gru_cell])
def test_cells_new_figure_size(draw):
    width, height = draw().get_size_inches()
    assert 4.5 <= width <= 6.0 and 3.5 <= height <= 4.8


@pytest.mark.parametrize("call, message", [
    (lambda: plots.draw_lstm_cell(ax="axes"), "Expected ax to be a matplotlib Axes or None, got str"),
    (lambda: plots.draw_gru_cell(ax=3), "Expected ax to be a matplotlib Axes or None, got int"),
    (lambda: plots.draw_lstm_cell(title=1), "Expected title to be a str or None, got int"),
    (lambda: plots.draw_gru_cell(title=["GRU"]), "Expected title to be a str or None, got list"),
    (lambda: plots.draw_lstm_gru_cells(title=2.0), "Expected title to be a str or None, got float"),
])
def test_cells_reject_bad_arguments(call, message):
    with pytest.raises(TypeError) as err:
        call()
    assert str(err.value) == message
    assert plt.get_fignums() == []                   # nothing drawn before the check
