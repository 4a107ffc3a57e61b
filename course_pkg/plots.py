r"""Figures for the course: one consistent style and diagrams of recurrent networks.

Every function draws with plain :mod:`matplotlib` (patches, arrows, mathtext) and
returns the :class:`~matplotlib.figure.Figure` it drew on, so a notebook can show it
with ``plt.show()`` and a test can inspect it. Figure text is English and math only:
matplotlib's default font has no Chinese glyphs, so Chinese terms belong in the
Markdown around a figure.

Example::

    import matplotlib.pyplot as plt
    from course_pkg import plots

    plots.set_style()
    fig = plots.draw_unrolled(["What", "time", "is", "it", "?"])
    plt.show()

Boxes and labels carry a ``gid`` (``"hidden"``, ``"initial"``, ``"input"``, ``"output"``,
``"weight"``) so that tests can count them.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

__all__ = ["STYLE", "COLORS", "set_style", "draw_unrolled", "draw_rolled"]

#: rcParams applied by :func:`set_style`: small figures, light axes, PNG at 100 dpi.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (7.0, 2.6),
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "mathtext.fontset": "dejavusans",
}

#: Colours of the diagram elements (colour-blind-safe, after Okabe and Ito).
COLORS = {
    "hidden": "#cfe3f5",      # fill of hidden-state boxes
    "hidden_edge": "#2b6ca3",
    "initial": "#eeeeee",     # fill of the initial state h_0
    "input": "#fdf1d6",       # fill of input tokens
    "input_edge": "#c7892a",
    "output": "#dcefdc",      # fill of outputs
    "output_edge": "#3a8a3a",
    "arrow": "#333333",
    "weight": "#8a2d6b",      # weight labels (W_hh, W_ih, W_hy)
}

_BOX_W, _BOX_H = 0.9, 0.56       # hidden-state box, in data units
_STEP = 1.6                      # horizontal distance between time steps
_Y_IN, _Y_H, _Y_OUT = 0.0, 1.25, 2.5
_INCH = 0.76                     # inches per data unit in figures made here


def set_style():
    """Apply the course's matplotlib style (:data:`STYLE`) to every later figure.

    Plots default to 7 x 2.6 inches at 100 dpi (700 x 260 pixels), with light grids and
    no top/right spines; the diagrams below size themselves to their content. Call it
    once at the top of a notebook.

    Returns:
        None
    """
    mpl.rcParams.update(STYLE)


def _check_tokens(tokens):
    if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
        raise TypeError(f"Expected tokens to be a list or tuple of str, got {type(tokens).__name__}")
    if len(tokens) == 0:
        raise ValueError("Expected at least one token, got an empty sequence")
    for i, tok in enumerate(tokens):
        if not isinstance(tok, str):
            raise TypeError(f"Expected tokens[{i}] to be a str, got {type(tok).__name__}")
    return list(tokens)


def _check_ax(ax):
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"Expected ax to be a matplotlib Axes or None, got {type(ax).__name__}")


def _new_axes(ax, xlim, ylim, title):
    """Axes without frame, equal aspect, given limits; a new figure sized to fit them."""
    _check_ax(ax)
    if ax is None:
        w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
        title_h = 0.3 if title is not None else 0.0            # inches kept for the title
        size = (round(_INCH * w, 1), round(_INCH * h + title_h, 1))    # whole pixels at 100 dpi
        fig = plt.figure(figsize=size, dpi=STYLE["figure.dpi"])
        ax = fig.add_axes((0, 0, 1, 1 - title_h / size[1]))
    ax.set_axis_off()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    return ax.figure, ax


def _box(ax, xy, text, *, gid, fill, edge, width=_BOX_W, height=_BOX_H, dashed=False, fontsize=12):
    """A rounded box centred on ``xy`` with ``text`` in it."""
    x, y = xy
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                           boxstyle="round,pad=0.02,rounding_size=0.1", facecolor=fill,
                           edgecolor=edge, linewidth=1.4, linestyle="--" if dashed else "-",
                           zorder=2)
    patch.set_gid(gid)
    ax.add_patch(patch)
    label = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    label.set_gid(gid)
    return patch


def _arrow(ax, start, end):
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, linewidth=1.3,
                            color=COLORS["arrow"], shrinkA=0, shrinkB=0, zorder=1)
    ax.add_patch(arrow)
    return arrow


def _weight(ax, xy, text, ha="center", va="center"):
    label = ax.text(*xy, text, ha=ha, va=va, fontsize=9, color=COLORS["weight"], zorder=3)
    label.set_gid("weight")
    return label


def _escape(token):
    """Make a token safe for matplotlib text (``$`` would start mathtext)."""
    return token.replace("$", r"\$")


def draw_unrolled(tokens, ax=None, show_outputs=True, title=None):
    r"""Draw a one-layer RNN unrolled over time (按时间展开), one box per time step.

    Step :math:`t` reads the input token :math:`x_t` (drawn under its box) and the
    previous hidden state :math:`h_{t-1}` (arrow from the left, labelled
    :math:`W_{hh}`), and writes :math:`h_t`; with ``show_outputs`` an output
    :math:`y_t` sits above each box. The initial state :math:`h_0` is drawn dashed at
    the far left. The same weights are used at every step.

    Args:
        tokens: the input sequence, a list or tuple of ``str`` (one per time step), e.g.
            ``["What", "time", "is", "it", "?"]``.
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure sized to fit
            (about 7 x 2.5 inches for five tokens, 1.2 inches wider per extra token).
        show_outputs: draw the outputs :math:`y_t` above the hidden states.
        title: optional axes title (English/math only: the default font has no CJK glyphs).

    Returns:
        matplotlib.figure.Figure: the figure drawn on (``ax.figure`` if ``ax`` was given).

    Raises:
        ValueError: if ``tokens`` is empty.
        TypeError: if ``tokens`` is not a list/tuple of ``str``, ``ax`` is not an ``Axes``
            or ``title`` is neither ``None`` nor a ``str``.
    """
    tokens = _check_tokens(tokens)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"Expected title to be a str or None, got {type(title).__name__}")
    T = len(tokens)
    top = _Y_OUT + 0.3 if show_outputs else _Y_H + 0.45
    fig, ax = _new_axes(ax, (-0.55, T * _STEP + 0.7), (_Y_IN - 0.6, top), title)

    # initial state h_0, dashed: it is given (zeros by default), not computed
    _box(ax, (0.0, _Y_H), "$h_0$", gid="initial", fill=COLORS["initial"], edge="#777777",
         width=0.7, dashed=True)
    prev_right = 0.35
    for t, token in enumerate(tokens, start=1):
        cx = t * _STEP
        _box(ax, (cx, _Y_H), f"$h_{{{t}}}$", gid="hidden", fill=COLORS["hidden"],
             edge=COLORS["hidden_edge"])
        # recurrent arrow h_{t-1} -> h_t, labelled with the shared weight
        _arrow(ax, (prev_right, _Y_H), (cx - _BOX_W / 2, _Y_H))
        _weight(ax, ((prev_right + cx - _BOX_W / 2) / 2, _Y_H + 0.08), "$W_{hh}$", va="bottom")
        prev_right = cx + _BOX_W / 2
        # input token x_t under the box
        _box(ax, (cx, _Y_IN), _escape(token), gid="input", fill=COLORS["input"],
             edge=COLORS["input_edge"], width=1.2, height=0.42, fontsize=10)
        label = ax.text(cx, _Y_IN - 0.34, f"$x_{{{t}}}$", ha="center", va="top", fontsize=10)
        label.set_gid("input")
        _arrow(ax, (cx, _Y_IN + 0.21), (cx, _Y_H - _BOX_H / 2))
        _weight(ax, (cx + 0.06, (_Y_IN + _Y_H) / 2 - 0.02), "$W_{ih}$", ha="left")
        if show_outputs:
            _box(ax, (cx, _Y_OUT), f"$y_{{{t}}}$", gid="output", fill=COLORS["output"],
                 edge=COLORS["output_edge"], width=0.7, height=0.42, fontsize=11)
            _arrow(ax, (cx, _Y_H + _BOX_H / 2), (cx, _Y_OUT - 0.21))
            _weight(ax, (cx + 0.06, (_Y_H + _Y_OUT) / 2 + 0.02), "$W_{hy}$", ha="left")
    return fig


def draw_rolled(ax=None, title=None):
    r"""Draw the folded (rolled) RNN: one cell with a self-loop carrying :math:`h_{t-1}`.

    The loop, labelled :math:`W_{hh}`, is the recurrence; unrolling it over time gives
    :func:`draw_unrolled`. The input :math:`x_t` enters from below (:math:`W_{ih}`) and
    the output :math:`y_t` leaves above (:math:`W_{hy}`).

    Args:
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure about 2.2 x 2.4 inches.
        title: optional axes title (English/math only).

    Returns:
        matplotlib.figure.Figure: the figure drawn on.

    Raises:
        TypeError: if ``ax`` is not an ``Axes`` or ``title`` is neither ``None`` nor a ``str``.
    """
    if title is not None and not isinstance(title, str):
        raise TypeError(f"Expected title to be a str or None, got {type(title).__name__}")
    fig, ax = _new_axes(ax, (-0.9, 1.7), (_Y_IN - 0.35, _Y_OUT + 0.3), title)
    _box(ax, (0.0, _Y_H), "$h_t$", gid="hidden", fill=COLORS["hidden"], edge=COLORS["hidden_edge"])
    _box(ax, (0.0, _Y_IN), "$x_t$", gid="input", fill=COLORS["input"], edge=COLORS["input_edge"],
         width=0.7, height=0.42, fontsize=11)
    _box(ax, (0.0, _Y_OUT), "$y_t$", gid="output", fill=COLORS["output"], edge=COLORS["output_edge"],
         width=0.7, height=0.42, fontsize=11)
    _arrow(ax, (0.0, _Y_IN + 0.21), (0.0, _Y_H - _BOX_H / 2))
    _weight(ax, (0.06, (_Y_IN + _Y_H) / 2 - 0.02), "$W_{ih}$", ha="left")
    _arrow(ax, (0.0, _Y_H + _BOX_H / 2), (0.0, _Y_OUT - 0.21))
    _weight(ax, (0.06, (_Y_H + _Y_OUT) / 2 + 0.02), "$W_{hy}$", ha="left")
    # self-loop: leave the right side low, come back into it high
    # a cubic Bezier in data units (so it scales with the axes): out low, back in high
    r = _BOX_W / 2
    path = Path([(r, _Y_H - 0.14), (r + 0.75, _Y_H - 0.55), (r + 0.75, _Y_H + 0.55), (r, _Y_H + 0.14)],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    loop = FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=12, linewidth=1.3,
                           color=COLORS["arrow"], zorder=1)
    loop.set_gid("loop")
    ax.add_patch(loop)
    _weight(ax, (r + 0.62, _Y_H), "$W_{hh}$", ha="left")
    return fig
