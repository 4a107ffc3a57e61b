r"""Figures for the course: one consistent style, diagrams of recurrent networks, and charts.

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

The charts (learning curves, hidden-state and attention heat maps, gradient norm
against lag, activation functions, forecasts, confusion matrices) are drawn in the
course style (:data:`STYLE`) whether or not :func:`set_style` was called, validate
their inputs (``ValueError`` on a bad shape), and accept NumPy arrays, torch tensors
or lists. Text passed in (tokens, labels) is drawn as given: keep it ASCII/Latin.

Boxes and labels carry a ``gid`` (``"hidden"``, ``"initial"``, ``"input"``, ``"output"``,
``"weight"``, and ``"note"`` for the diagrams' small grey remarks) so that tests can count them;
the gated cells (:func:`draw_lstm_cell`, :func:`draw_gru_cell`, :func:`draw_lstm_gru_cells`) and
:func:`draw_bptt_graph` list their own gids.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from . import _validate as V

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


def _check_tokens(tokens, name="tokens"):
    if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
        raise TypeError(f"Expected {name} to be a list or tuple of str, got {type(tokens).__name__}")
    if len(tokens) == 0:
        raise ValueError(f"Expected at least one token in {name}, got an empty sequence")
    for i, tok in enumerate(tokens):
        if not isinstance(tok, str):
            raise TypeError(f"Expected {name}[{i}] to be a str, got {type(tok).__name__}")
    return list(tokens)


def _check_ax(ax):
    V.check_type("ax", ax, (Axes, type(None)), "a matplotlib Axes or None")


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


def _note(ax, xy, text, ha="center", va="center"):
    """A small grey remark on a diagram (gid ``"note"``), e.g. what a box is."""
    label = ax.text(*xy, text, ha=ha, va=va, fontsize=8, color="#555555", zorder=3,
                    linespacing=1.0)
    label.set_gid("note")
    return label


def _escape(token):
    """Make a token safe for matplotlib text (``$`` would start mathtext)."""
    return token.replace("$", r"\$")


def draw_unrolled(tokens, ax=None, show_outputs=True, title=None):
    r"""Draw a one-layer RNN unrolled over time (按时间展开), one box per time step.

    Step :math:`t` reads the input token :math:`x_t` (drawn under its box) and the
    previous hidden state :math:`h_{t-1}` (arrow from the left, labelled
    :math:`W_{hh}`), and writes :math:`h_t`; with ``show_outputs`` an output
    :math:`y_t` sits above each box, computed from :math:`h_t` by a separate output
    layer (:math:`W_{hy}`, e.g. ``head.weight`` of a
    :class:`~course_pkg.heads.SequenceTagger`), labelled "output layer" on the left:
    ``torch.nn.RNN`` itself returns the :math:`h_t`, not the :math:`y_t`. The initial
    state :math:`h_0` is drawn dashed at the far left, marked "given": it is an input
    (zeros by default), not computed. The same weights are used at every step.

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
    _check_title(title)
    T = len(tokens)
    top = _Y_OUT + 0.3 if show_outputs else _Y_H + 0.45
    fig, ax = _new_axes(ax, (-0.55, T * _STEP + 0.7), (_Y_IN - 0.6, top), title)

    # initial state h_0, dashed: it is given (zeros by default), not computed
    _box(ax, (0.0, _Y_H), "$h_0$", gid="initial", fill=COLORS["initial"], edge="#777777",
         width=0.7, dashed=True)
    _note(ax, (0.0, _Y_H - _BOX_H / 2 - 0.08), "given", va="top")
    if show_outputs:                 # the y_t row is a separate layer, not nn.RNN's output
        _note(ax, (0.0, _Y_OUT), "output\nlayer")
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
    the output :math:`y_t` leaves above (:math:`W_{hy}`), through a separate output
    layer, labelled so beside it.

    Args:
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure about 2.2 x 2.4 inches.
        title: optional axes title (English/math only).

    Returns:
        matplotlib.figure.Figure: the figure drawn on.

    Raises:
        TypeError: if ``ax`` is not an ``Axes`` or ``title`` is neither ``None`` nor a ``str``.
    """
    _check_title(title)
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
    _note(ax, (0.42, _Y_OUT), "output layer", ha="left")
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


_CONTEXT_FILL, _CONTEXT_EDGE = "#f3e0ec", COLORS["weight"]     # the context vector c
_ENC_DEC_CONTEXTS = ("init", "every_step")


def draw_encoder_decoder(src_tokens, tgt_tokens, context="init", ax=None, title=None):
    r"""Draw an encoder-decoder (编码器-解码器, N vs M) unrolled over time, with its context vector.

    The encoder (left) reads the source tokens :math:`x_1, \dots, x_S` into states
    :math:`h_1, \dots, h_S` from a given :math:`h_0`; its final state is the context
    vector :math:`c` (box gid ``"context"``). The decoder (right) runs :math:`T` =
    ``len(tgt_tokens) + 1`` steps: step :math:`t` reads the previous output token
    (``<bos>`` first) and writes :math:`s_t`, from which the output layer gives the next
    token; the last output is ``<eos>``. Two ways to hand :math:`c` over, as in
    :class:`~course_pkg.seq2seq.Seq2Seq`:

    - ``context="init"``: :math:`c` sets the decoder's initial state,
      :math:`s_0 = \tanh(W_b c + b_b)` (the arrow labelled :math:`W_b`);
    - ``context="every_step"``: :math:`s_0` is given (zeros, dashed) and a copy of
      :math:`c` joins the input of every decoder step.

    Args:
        src_tokens: the source, a list or tuple of ``str`` (one per encoder step).
        tgt_tokens: the target without specials, a list or tuple of ``str``; the diagram
            adds ``<bos>`` to the decoder's inputs and ``<eos>`` to its outputs.
        context: ``"init"`` or ``"every_step"``.
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure sized to fit
            (about 1.2 inches per step).
        title: optional axes title (English/math only).

    Returns:
        matplotlib.figure.Figure: the figure drawn on. Boxes carry gids ``"hidden"``
        (:math:`h_s` and :math:`s_t`), ``"initial"`` (:math:`h_0`, :math:`s_0`), ``"input"``,
        ``"output"`` and ``"context"`` (:math:`c`, and its copies with ``"every_step"``).

    Raises:
        ValueError: if a token list is empty, or ``context`` is not ``"init"`` or
            ``"every_step"``.
        TypeError: if a token list is not a list/tuple of ``str``, ``context`` is not a
            str, ``ax`` is not an ``Axes`` or ``title`` is neither ``None`` nor a ``str``.
    """
    src = _check_tokens(src_tokens, "src_tokens")
    tgt = _check_tokens(tgt_tokens, "tgt_tokens")
    V.check_choice("context", context, _ENC_DEC_CONTEXTS)
    _check_title(title)
    S, T = len(src), len(tgt) + 1
    every = context == "every_step"
    x_c = (S + 1) * _STEP                        # the context vector
    x_s0 = x_c + _STEP                           # the decoder's initial state
    right = x_s0 + T * _STEP + (0.85 if every else 0.7)
    bottom = _Y_IN - 0.6
    fig, ax = _new_axes(ax, (-0.55, right), (bottom, _Y_OUT + 0.55), title)
    _note(ax, ((S + 1) * _STEP / 2, _Y_OUT + 0.3), "encoder: reads the source")
    _note(ax, (x_s0 + (T + 1) * _STEP / 2, _Y_OUT + 0.45), "decoder: writes the target")

    def step(xy, label, token, token_label, prev_right, dx=0.0, width=1.2):
        # dx, width: the token box moved left and narrowed to make room for a copy of c
        _box(ax, xy, label, gid="hidden", fill=COLORS["hidden"], edge=COLORS["hidden_edge"])
        _arrow(ax, (prev_right, xy[1]), (xy[0] - _BOX_W / 2, xy[1]))
        _box(ax, (xy[0] + dx, _Y_IN), _escape(token), gid="input", fill=COLORS["input"],
             edge=COLORS["input_edge"], width=width, height=0.42, fontsize=10)
        if token_label:
            text = ax.text(xy[0], _Y_IN - 0.34, token_label, ha="center", va="top", fontsize=10)
            text.set_gid("input")
        _arrow(ax, (xy[0] + dx, _Y_IN + 0.21), (xy[0] + dx / 2, xy[1] - _BOX_H / 2))
        return xy[0] + _BOX_W / 2

    # encoder
    _box(ax, (0.0, _Y_H), "$h_0$", gid="initial", fill=COLORS["initial"], edge="#777777",
         width=0.7, dashed=True)
    _note(ax, (0.0, _Y_H - _BOX_H / 2 - 0.08), "given", va="top")
    prev = 0.35
    for s, token in enumerate(src, start=1):
        prev = step((s * _STEP, _Y_H), f"$h_{{{s}}}$", token, f"$x_{{{s}}}$", prev)
    # the context vector c: the encoder's final state
    _box(ax, (x_c, _Y_H), "$c$", gid="context", fill=_CONTEXT_FILL, edge=_CONTEXT_EDGE, width=0.7)
    _arrow(ax, (prev, _Y_H), (x_c - 0.35, _Y_H))
    where = "\nto every step" if every else ""
    _note(ax, (x_c, _Y_H - _BOX_H / 2 - 0.08), f"context\n$c = h_{{{S}}}${where}", va="top")
    # decoder: initial state s_0
    _box(ax, (x_s0, _Y_H), "$s_0$", gid="initial", fill=COLORS["initial"], edge="#777777",
         width=0.7, dashed=every)
    if every:
        _note(ax, (x_s0, _Y_H - _BOX_H / 2 - 0.08), "given", va="top")
    else:
        _arrow(ax, (x_c + 0.35, _Y_H), (x_s0 - 0.35, _Y_H))
        _weight(ax, (x_c + _STEP / 2, _Y_H + 0.08), "$W_b$", va="bottom")
    prev = x_s0 + 0.35
    inputs, outputs = ["<bos>"] + tgt, tgt + ["<eos>"]
    for t in range(1, T + 1):
        cx = x_s0 + t * _STEP
        prev = step((cx, _Y_H), f"$s_{{{t}}}$", inputs[t - 1], None, prev,
                    *((-0.28, 0.9) if every else ()))
        _box(ax, (cx, _Y_OUT), _escape(outputs[t - 1]), gid="output", fill=COLORS["output"],
             edge=COLORS["output_edge"], width=1.2, height=0.42, fontsize=10)
        _arrow(ax, (cx, _Y_H + _BOX_H / 2), (cx, _Y_OUT - 0.21))
        if every:                                # [emb(y_{t-1}); c]: c beside the token
            _box(ax, (cx + 0.52, _Y_IN), "$c$", gid="context", fill=_CONTEXT_FILL,
                 edge=_CONTEXT_EDGE, width=0.45, height=0.42, fontsize=10)
            _arrow(ax, (cx + 0.52, _Y_IN + 0.21), (cx + 0.26, _Y_H - _BOX_H / 2))
    _note(ax, (x_s0 - 0.5, _Y_IN), "previous\ntoken", ha="right")
    _note(ax, (x_s0 - 0.5, _Y_OUT), "output\nlayer", ha="right")
    return fig


__all__ += ["draw_encoder_decoder"]


# -- charts: training, states, gradients, attention, forecasts ------------------------------------
__all__ += ["learning_curves", "hidden_state_heatmap", "gradient_norm_vs_lag", "activations",
            "attention_heatmap", "forecast", "confusion_matrix"]

_SERIES = {"train": "#0072b2", "val": "#d55e00", "baseline": "#777777", "best": "#555555"}
_CURVES = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_STEP_KEYS = ("step_loss", "grad_norm")      # per-step lists of History.as_dict()


def _check_title(title):
    V.check_type("title", title, (str, type(None)), "a str or None")


def _float_array(name, x, ndims):
    """``x`` (array, tensor or nested list) as a finite float64 NumPy array with a rank in ``ndims``."""
    arr = V.check_numeric(name, x)
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"Expected {name} to be {want}, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"Expected {name} to be non-empty, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"Expected finite values in {name}, got NaN or inf")
    return arr


def _plot_axes(ax, figsize):
    """``(fig, ax)``: the given axes, or a new figure of ``figsize`` inches in the course style."""
    _check_ax(ax)
    if ax is not None:
        return ax.figure, ax
    with mpl.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _heatmap(ax, data, cmap, vmin, vmax, gid):
    with mpl.rc_context(STYLE):
        image = ax.imshow(data, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        image.set_gid(gid)
        ax.grid(False)
        ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    return image


def learning_curves(history, title=None, grad_norm=False):
    """Training and validation curves, one panel per quantity (loss first, then each metric).

    Each panel shows the training value (solid, label ``train``) and, where recorded,
    the validation value (dashed, ``val``) against the epoch; a dotted vertical line
    marks ``best_epoch``. With ``grad_norm`` a last panel shows the global gradient
    norm of every step on a log scale (spikes = exploding gradients).

    Args:
        history: a :class:`course_pkg.train.History` or its ``as_dict()``.
        title: optional figure title.
        grad_norm: add the per-step gradient-norm panel (if any norm was logged).

    Returns:
        matplotlib.figure.Figure: one Axes per panel, about 3.5 inches wide each.

    Raises:
        TypeError: if ``history`` is neither a History nor a dict.
        ValueError: if it holds no training loss, or a validation list's length differs
            from the training list's.
    """
    logs = history.as_dict() if hasattr(history, "as_dict") else history
    if not isinstance(logs, dict):
        raise TypeError(f"Expected a History or a dict from History.as_dict(), got {type(history).__name__}")
    _check_title(title)
    epochs = _epoch_logs(logs)
    names = ["loss"] + [k for k in epochs if k != "loss" and not k.startswith("val_")]
    norms = list(logs.get("grad_norm") or []) if grad_norm else []
    panels = len(names) + (1 if norms else 0)
    with mpl.rc_context(STYLE):
        fig, axes = plt.subplots(1, panels, figsize=(min(3.5 * panels, 10.5), 2.6), layout="constrained",
                                 squeeze=False)
        for ax, name in zip(axes[0], names):
            _curve_panel(ax, name, epochs, logs.get("best_epoch"))
        if norms:
            _norm_panel(axes[0][-1], norms)
        if title is not None:
            fig.suptitle(title)
    return fig


def _epoch_logs(logs):
    """The per-epoch lists of a history dict, checked: ``{name: array}``."""
    loss = logs.get("loss")
    if not isinstance(loss, (list, tuple, np.ndarray)) or len(loss) == 0:
        raise ValueError("Expected a history with a non-empty 'loss' list, got none")
    out = {}
    for name, values in logs.items():
        if name in _STEP_KEYS or not isinstance(values, (list, tuple, np.ndarray)) or len(values) == 0:
            continue
        if len(values) != len(loss):
            raise ValueError(f"Expected {name!r} to hold {len(loss)} values (one per epoch), got {len(values)}")
        out[name] = np.asarray(values, dtype=np.float64)
    return out


def _curve_panel(ax, name, epochs, best_epoch):
    x = np.arange(1, len(epochs["loss"]) + 1)
    ax.plot(x, epochs[name], color=_SERIES["train"], label="train", gid="train")
    if "val_" + name in epochs:
        ax.plot(x, epochs["val_" + name], color=_SERIES["val"], linestyle="--", label="val", gid="val")
    if best_epoch is not None:
        ax.axvline(best_epoch, color=_SERIES["best"], linestyle=":", linewidth=1.2, gid="best")
    ax.set_xlabel("epoch")
    ax.set_title(name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()


def _norm_panel(ax, norms):
    ax.plot(np.arange(1, len(norms) + 1), norms, color=_CURVES[2], linewidth=1.0, gid="grad_norm")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step")
    ax.set_title("gradient norm")


def hidden_state_heatmap(states, tokens=None, ax=None, title=None):
    """The hidden states of one sequence as a heat map: units down, time steps across.

    Colours are symmetric around 0 (blue negative, red positive) with the range
    ``[-1, 1]`` for tanh states, widened if a value lies outside it (LSTM cell states).

    Args:
        states: ``(T, H)`` array or tensor, e.g. ``output[0]`` of a batch-first RNN.
        tokens: optional ``T`` strings labelling the time steps.
        ax: Axes to draw on; ``None`` creates a figure (7 x 2.6 inches).
        title: optional axes title.

    Returns:
        matplotlib.figure.Figure: the figure, with one image (gid ``"states"``) of shape ``(H, T)``.

    Raises:
        ValueError: if ``states`` is not 2-D, empty, or not finite, or ``tokens`` has
            another length than ``T``.
        TypeError: on non-numeric states, tokens that are not strings, a bad ``ax`` or ``title``.
    """
    states = _float_array("states", states, (2,))
    if tokens is not None:
        tokens = _check_tokens(tokens)
        if len(tokens) != states.shape[0]:
            raise ValueError(f"Expected {states.shape[0]} tokens (states of shape {states.shape} are (T, H)), "
                             f"got {len(tokens)}")
    _check_title(title)
    fig, ax = _plot_axes(ax, (7.0, 2.6))
    v = max(1.0, float(np.abs(states).max()))
    _heatmap(ax, states.T, "RdBu_r", -v, v, "states")
    ax.set_xlabel("time step")
    ax.set_ylabel("hidden unit")
    if tokens is not None:
        ax.set_xticks(range(len(tokens)), [_escape(t) for t in tokens])
    if title is not None:
        ax.set_title(title)
    return fig


def gradient_norm_vs_lag(norms, lags, labels=None, ax=None, title=None):
    r"""Gradient norm against the lag :math:`k` on a log scale: vanishing falls, exploding climbs.

    Plot, for instance, :math:`\|\partial L_T / \partial \mathbf{h}_{T-k}\|` for several
    models or weight scales: an exponential decay or growth in :math:`k` is a straight
    line on the log axis.

    Args:
        norms: one curve ``(L,)``, or ``C`` curves ``(C, L)`` (or a list of ``C``
            length-``L`` sequences); values ``>= 0`` (zeros are not drawn on the log axis).
        lags: the ``L`` lags (x values).
        labels: ``C`` legend labels (``None``: no legend).
        ax: Axes to draw on; ``None`` creates a figure (5 x 2.8 inches).
        title: optional axes title.

    Returns:
        matplotlib.figure.Figure: one line per curve (gid ``"curve"``), y axis logarithmic.

    Raises:
        ValueError: on shapes that disagree, negative or non-finite norms, or a label
            count other than ``C``.
        TypeError: on labels that are not strings, a bad ``ax`` or ``title``.
    """
    norms = _float_array("norms", norms, (1, 2))
    norms = norms[None] if norms.ndim == 1 else norms                         # (C, L)
    lags = _float_array("lags", lags, (1,))
    if lags.shape[0] != norms.shape[1]:
        raise ValueError(f"Expected {norms.shape[1]} lags (norms of shape {norms.shape} are (C, L)), "
                         f"got {lags.shape[0]}")
    if (norms < 0).any():
        raise ValueError(f"Expected norms >= 0, got min {norms.min():g}")
    if labels is not None:
        labels = _check_tokens(labels, "labels")
        if len(labels) != norms.shape[0]:
            raise ValueError(f"Expected {norms.shape[0]} labels (one per curve), got {len(labels)}")
    _check_title(title)
    fig, ax = _plot_axes(ax, (5.0, 2.8))
    with mpl.rc_context(STYLE):
        for c, curve in enumerate(norms):
            label = None if labels is None else _escape(labels[c])
            ax.plot(lags, np.where(curve > 0, curve, np.nan), marker="o", markersize=3,
                    color=_CURVES[c % len(_CURVES)], label=label, gid="curve")
        ax.set_yscale("log")
        if np.allclose(lags, np.round(lags)):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("lag k (steps back)")
        ax.set_ylabel("gradient norm")
        if labels is not None:
            ax.legend()
    if title is not None:
        ax.set_title(title)
    return fig


def activations(x_min=-4.0, x_max=4.0):
    r"""tanh, sigmoid and ReLU (left) and their derivatives (right), on ``[x_min, x_max]``.

    The derivative panel shows why gradients vanish: :math:`\sigma'(x) \le 1/4` and
    :math:`\tanh'(x) \le 1` (both near 0 away from the origin), while ReLU passes 1 or 0.

    Args:
        x_min, x_max: the range of ``x`` (``x_min < x_max``).

    Returns:
        matplotlib.figure.Figure: two Axes, each with three lines (gids ``"tanh"``,
        ``"sigmoid"``, ``"relu"``).

    Raises:
        ValueError: if ``x_min >= x_max`` or either is not finite.
    """
    if not (np.isfinite(x_min) and np.isfinite(x_max) and x_min < x_max):
        raise ValueError(f"Expected finite x_min < x_max, got {x_min!r} and {x_max!r}")
    x = np.linspace(x_min, x_max, 401)
    sig = 1.0 / (1.0 + np.exp(-x))
    curves = {"tanh": (np.tanh(x), 1.0 - np.tanh(x) ** 2), "sigmoid": (sig, sig * (1.0 - sig)),
              "relu": (np.maximum(x, 0.0), (x > 0).astype(float))}
    names = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU"}
    with mpl.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 2.6), layout="constrained")
        for c, (key, (f, df)) in enumerate(curves.items()):
            left.plot(x, f, color=_CURVES[c], label=names[key], gid=key)
            right.plot(x, df, color=_CURVES[c], label=names[key] + "'", gid=key)
        left.set_ylim(-1.2, 2.0)
        right.set_ylim(-0.1, 1.2)
        right.axhline(0.25, color=_SERIES["baseline"], linestyle=":", linewidth=1.0, gid="quarter")
        for ax, name in ((left, "activation"), (right, "derivative")):
            ax.set_title(name)
            ax.set_xlabel("x")
            ax.legend(loc="upper left")
    return fig


def attention_heatmap(weights, src_tokens, tgt_tokens, ax=None, title=None):
    """Attention weights as a heat map: one row per output token, one column per source token.

    Args:
        weights: ``(T_out, T_in)`` in ``[0, 1]``, e.g. ``model.attention_weights[0]``
            of a :class:`~course_pkg.seq2seq.Seq2Seq` (trimmed to the real lengths).
        src_tokens: the ``T_in`` source tokens (x axis).
        tgt_tokens: the ``T_out`` output tokens (y axis).
        ax: Axes to draw on; ``None`` creates a figure sized to the matrix.
        title: optional axes title.

    Returns:
        matplotlib.figure.Figure: one image (gid ``"attention"``) with the tokens as tick labels.

    Raises:
        ValueError: if ``weights`` is not 2-D, has values outside ``[0, 1]``, or its
            shape differs from ``(len(tgt_tokens), len(src_tokens))``.
        TypeError: on tokens that are not strings, a bad ``ax`` or ``title``.
    """
    weights = _float_array("weights", weights, (2,))
    src, tgt = _check_tokens(src_tokens, "src_tokens"), _check_tokens(tgt_tokens, "tgt_tokens")
    if weights.shape != (len(tgt), len(src)):
        raise ValueError(f"Expected weights of shape ({len(tgt)}, {len(src)}) (T_out = len(tgt_tokens), "
                         f"T_in = len(src_tokens)), got {weights.shape}")
    if weights.min() < -1e-6 or weights.max() > 1 + 1e-6:
        raise ValueError(f"Expected weights in [0, 1], got min {weights.min():g} and max {weights.max():g}")
    _check_title(title)
    size = (min(1.6 + 0.45 * len(src), 9.0), min(0.9 + 0.35 * len(tgt), 7.0))
    fig, ax = _plot_axes(ax, size)
    _heatmap(ax, weights, "Blues", 0.0, 1.0, "attention")
    ax.set_xticks(range(len(src)), [_escape(t) for t in src], rotation=45, ha="right")
    ax.set_yticks(range(len(tgt)), [_escape(t) for t in tgt])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title is not None:
        ax.set_title(title)
    return fig


def _series(name, x):
    """A 1-D series; ``(T, 1)`` is accepted and flattened."""
    arr = _float_array(name, x, (1, 2))
    if arr.ndim == 2:
        if arr.shape[1] != 1:
            raise ValueError(f"Expected {name} of shape (T,) or (T, 1), got {arr.shape}")
        arr = arr[:, 0]
    return arr


def forecast(truth, prediction, baseline=None, ax=None, title=None):
    """A time series and its forecast (and a baseline forecast, e.g. "repeat the last value").

    ``prediction`` and ``baseline`` cover the *last* steps of ``truth``: a shorter
    forecast is drawn from where it starts (a dotted line marks that step), so the
    history before it stays visible.

    Args:
        truth: the observed series, ``(T,)`` or ``(T, 1)``.
        prediction: the model's forecast, ``(P,)`` or ``(P, 1)`` with ``P <= T``.
        baseline: optional baseline forecast, ``(B,)`` or ``(B, 1)`` with ``B <= T``.
        ax: Axes to draw on; ``None`` creates a figure (7 x 2.6 inches).
        title: optional axes title.

    Returns:
        matplotlib.figure.Figure: lines with gids ``"truth"``, ``"prediction"`` (and ``"baseline"``).

    Raises:
        ValueError: on arrays that are not 1-D series, not finite, or longer than ``truth``.
        TypeError: on non-numeric input, a bad ``ax`` or ``title``.
    """
    truth, pred = _series("truth", truth), _series("prediction", prediction)
    base = None if baseline is None else _series("baseline", baseline)
    for name, arr in (("prediction", pred), ("baseline", base)):
        if arr is not None and len(arr) > len(truth):
            raise ValueError(f"Expected {name} of at most {len(truth)} steps (truth's length), got {len(arr)}")
    _check_title(title)
    fig, ax = _plot_axes(ax, (7.0, 2.6))
    T = len(truth)
    with mpl.rc_context(STYLE):
        ax.plot(np.arange(T), truth, color="#000000", linewidth=1.4, label="truth", gid="truth")
        if base is not None:
            ax.plot(np.arange(T - len(base), T), base, color=_SERIES["baseline"], linestyle=":",
                    label="baseline", gid="baseline")
        ax.plot(np.arange(T - len(pred), T), pred, color=_SERIES["val"], linestyle="--",
                label="prediction", gid="prediction")
        if len(pred) < T:
            ax.axvline(T - len(pred) - 0.5, color=_SERIES["best"], linestyle=":", linewidth=1.0,
                       gid="forecast_start")
        ax.set_xlabel("time step")
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return fig


def confusion_matrix(cm, labels, ax=None, title=None):
    """A confusion matrix with its counts written in the cells (rows true, columns predicted).

    Args:
        cm: ``(K, K)`` counts ``>= 0`` (or rates), e.g. from
            :func:`course_pkg.metrics.confusion_matrix`.
        labels: the ``K`` class names.
        ax: Axes to draw on; ``None`` creates a figure sized to ``K``.
        title: optional axes title.

    Returns:
        matplotlib.figure.Figure: one image (gid ``"cm"``) and ``K * K`` texts (gid ``"count"``).

    Raises:
        ValueError: if ``cm`` is not square, has negative or non-finite entries, or
            ``len(labels) != K``.
        TypeError: on labels that are not strings, a bad ``ax`` or ``title``.
    """
    matrix = _float_array("cm", cm, (2,))
    labels = _check_tokens(labels, "labels")
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"Expected a square (K, K) matrix, got shape {matrix.shape}")
    if len(labels) != matrix.shape[0]:
        raise ValueError(f"Expected {matrix.shape[0]} labels (cm is {matrix.shape}), got {len(labels)}")
    if (matrix < 0).any():
        raise ValueError(f"Expected counts >= 0, got min {matrix.min():g}")
    _check_title(title)
    K = len(labels)
    fig, ax = _plot_axes(ax, (min(1.8 + 0.55 * K, 8.0), min(1.3 + 0.5 * K, 7.0)))
    top = float(matrix.max()) or 1.0
    _heatmap(ax, matrix, "Blues", 0.0, top, "cm")
    integral = np.allclose(matrix, np.round(matrix))
    for (i, j), value in np.ndenumerate(matrix):
        text = ax.text(j, i, f"{int(round(value))}" if integral else f"{value:.2f}", ha="center", va="center",
                       fontsize=9, color="white" if value > top / 2 else "black")
        text.set_gid("count")
    ax.set_xticks(range(K), [_escape(t) for t in labels], rotation=45 if K > 4 else 0,
                  ha="right" if K > 4 else "center")
    ax.set_yticks(range(K), [_escape(t) for t in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title is not None:
        ax.set_title(title)
    return fig


# -- gated cells: LSTM and GRU diagrams (chapters 7 and 8) --

from matplotlib.patches import Circle, Ellipse  # noqa: E402

__all__ += ["draw_lstm_cell", "draw_gru_cell", "draw_lstm_gru_cells", "LSTM_TO_GRU"]

_CELL_INCH = 0.62                    # inches per data unit in the cell diagrams
_CELL_X, _CELL_Y = (-1.0, 7.5), (-2.25, 4.45)       # data limits of one cell diagram
_GATE_W, _GATE_H = 0.6, 0.5          # a gate box (a layer: weights, bias, activation)
_NODE_R = 0.19                       # an element-wise node (product, sum, 1 - z)
_Y_X, _Y_BUS, _Y_GATE, _Y_MID, _Y_TOP = 0.0, 0.4, 1.3, 2.3, 3.7
_X_IN, _X_OUT = -0.6, 7.0            # where the inputs enter and the outputs leave
#: Gate fills: a GRU part shares the colour of the LSTM part whose role it takes over.
_GATE_FILL = {"f": "#fbe0ad", "i": "#cde6f7", "g": "#cdeee0", "o": "#f4d6e7",
              "z": "#fbe0ad", "one_minus": "#cde6f7", "n": "#cdeee0", "r": "#f5f1c0"}
_GATE_EDGE = "#555555"


def _cell_figure(ax, title):
    """``(fig, ax)`` for one cell diagram: the given axes, or a new figure sized to the limits
    at :data:`_CELL_INCH` inches per unit (smaller than the other diagrams' ``_INCH``)."""
    _check_ax(ax)
    _check_title(title)
    if ax is None:
        w, h = _CELL_X[1] - _CELL_X[0], _CELL_Y[1] - _CELL_Y[0]
        title_h = 0.3 if title is not None else 0.0
        size = (round(_CELL_INCH * w, 1), round(_CELL_INCH * h + title_h, 1))
        ax = plt.figure(figsize=size, dpi=STYLE["figure.dpi"]).add_axes((0, 0, 1, 1 - title_h / size[1]))
    return _new_axes(ax, _CELL_X, _CELL_Y, title)


def _wire(ax, points, head=True, gid="wire", width=1.3):
    """A polyline through ``points`` (data units), with an arrow head at the end if ``head``.

    Wires that meet are joined by a :func:`_junction` dot; a wire that crosses another
    without joining it is drawn in two pieces with a gap at the crossing.
    """
    codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
    wire = FancyArrowPatch(path=Path(points, codes), arrowstyle="-|>" if head else "-",
                           mutation_scale=11, linewidth=width, color=COLORS["arrow"], zorder=1)
    wire.set_gid(gid)
    ax.add_patch(wire)
    return wire


def _junction(ax, xy):
    """A dot where a wire splits (or two wires join into one bus)."""
    dot = Circle(xy, 0.05, facecolor=COLORS["arrow"], edgecolor="none", zorder=2)
    dot.set_gid("junction")
    ax.add_patch(dot)


def _gate(ax, xy, activation, letter, label_xy, label_ha="left", label_va="bottom"):
    """A gate box (``sigma`` or ``tanh`` on an affine map) and its vector's letter beside it."""
    _box(ax, xy, r"$\sigma$" if activation == "sigmoid" else "tanh", gid="gate",
         fill=_GATE_FILL[letter], edge=_GATE_EDGE, width=_GATE_W, height=_GATE_H,
         fontsize=12 if activation == "sigmoid" else 9)
    label = ax.text(*label_xy, rf"$\mathbf{{{letter}}}_t$", ha=label_ha, va=label_va,
                    fontsize=10, zorder=3)
    label.set_gid("gate_label")


def _node(ax, xy, kind):
    """An element-wise node: ``"product"`` (drawn as the symbol, a circle with a dot),
    ``"sum"`` (+) or ``"one_minus"`` (1 -)."""
    fill = _GATE_FILL["one_minus"] if kind == "one_minus" else "white"
    circle = Circle(xy, _NODE_R, facecolor=fill, edgecolor=COLORS["arrow"], linewidth=1.2,
                    zorder=3)
    circle.set_gid(kind)
    ax.add_patch(circle)
    if kind == "product":
        ax.add_patch(Circle(xy, 0.045, facecolor=COLORS["arrow"], edgecolor="none", zorder=4))
    else:
        text = ax.text(*xy, "+" if kind == "sum" else r"$1{-}$", ha="center", va="center_baseline",
                       fontsize=12 if kind == "sum" else 8, zorder=4)
        text.set_gid(kind)


def _port(ax, xy, text, gid, ha="left", va="bottom"):
    """The label of an input (gid ``"input"``) or output (gid ``"output"``) of the cell."""
    label = ax.text(*xy, text, ha=ha, va=va, fontsize=11, zorder=3)
    label.set_gid(gid)


def _cell_frame(ax):
    """The cell's background box, gid ``"cell"``."""
    frame = FancyBboxPatch((0.0, -0.35), 6.4, 4.55, boxstyle="round,pad=0,rounding_size=0.25",
                           facecolor="#f6f6f6", edgecolor="#aaaaaa", linewidth=1.0, zorder=0)
    frame.set_gid("cell")
    ax.add_patch(frame)


def _equations(ax, lines):
    for k, line in enumerate(lines):
        text = ax.text(3.2, -1.45 - 0.48 * k, line, ha="center", va="center", fontsize=9, zorder=3)
        text.set_gid("equation")


_R = _NODE_R
_GATE_TOP, _GATE_BOTTOM = _Y_GATE + _GATE_H / 2, _Y_GATE - _GATE_H / 2


def draw_lstm_cell(ax=None, title=None):
    r"""Draw one LSTM cell (长短期记忆网络单元): its four gates, the cell-state path, ⊙ and +.

    The cell state runs along the top, :math:`\mathbf{c}_{t-1} \to \mathbf{c}_t`, touched
    only by an element-wise product (⊙, the forget gate) and a sum (+, the new content):
    :math:`\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t`.
    Below it, :math:`\mathbf{h}_{t-1}` (from the left) and :math:`\mathbf{x}_t` (from below)
    join one bus that feeds the four gate boxes, each an affine map of both followed by
    :math:`\sigma` or tanh, with torch's letters (:mod:`course_pkg.lstm`): the input gate
    :math:`\mathbf{i}_t`, the forget gate :math:`\mathbf{f}_t`, the candidate
    :math:`\mathbf{g}_t` and the output gate :math:`\mathbf{o}_t`, drawn left to right in
    the order they act on the cell state (:math:`\mathbf{f}, \mathbf{i}, \mathbf{g},
    \mathbf{o}`; torch stacks their rows as :math:`i, f, g, o`). The output gate scales
    :math:`\tanh(\mathbf{c}_t)` (an element-wise tanh, drawn as a white oval) into
    :math:`\mathbf{h}_t`, which leaves on the right below :math:`\mathbf{c}_t`. The
    equations are written under the cell.

    Args:
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure (about 5.3 x 4.2
            inches).
        title: optional axes title (English/math only).

    Returns:
        matplotlib.figure.Figure: the figure drawn on. Patches carry gids ``"gate"`` (4 boxes),
        ``"product"`` (3 ⊙ nodes), ``"sum"`` (1), ``"pointwise"`` (the tanh of
        :math:`\mathbf{c}_t`), ``"state_path"`` (the 3 segments of the cell-state line),
        ``"cell"`` (the background), ``"wire"`` and ``"junction"``; texts carry
        ``"gate_label"`` (:math:`\mathbf{f}_t, \mathbf{i}_t, \mathbf{g}_t, \mathbf{o}_t`),
        ``"input"``, ``"output"`` and ``"equation"``.

    Raises:
        TypeError: if ``ax`` is not an ``Axes`` or ``title`` is neither ``None`` nor a ``str``.
    """
    fig, ax = _cell_figure(ax, title)
    _cell_frame(ax)
    x_f, x_i, x_g, x_o, x_c = 1.4, 2.2, 3.0, 4.4, 5.6
    # the cell-state path along the top: c_{t-1} -> (*f) -> (+ i*g) -> c_t
    _wire(ax, [(_X_IN, _Y_TOP), (x_f - _R, _Y_TOP)], gid="state_path", width=2.2)
    _wire(ax, [(x_f + _R, _Y_TOP), (x_g - _R, _Y_TOP)], gid="state_path", width=2.2)
    _wire(ax, [(x_g + _R, _Y_TOP), (_X_OUT, _Y_TOP)], gid="state_path", width=2.2)
    _node(ax, (x_f, _Y_TOP), "product")
    _node(ax, (x_g, _Y_TOP), "sum")
    _port(ax, (_X_IN, _Y_TOP + 0.12), r"$\mathbf{c}_{t-1}$", "input")
    _port(ax, (_X_OUT, _Y_TOP + 0.12), r"$\mathbf{c}_t$", "output", ha="right")
    # the bus [h_{t-1}, x_t] feeding the four gates
    _wire(ax, [(_X_IN, _Y_BUS), (x_o, _Y_BUS)], head=False)
    _wire(ax, [(0.8, _Y_X - 0.7), (0.8, _Y_BUS)], head=False)
    _junction(ax, (0.8, _Y_BUS))
    _port(ax, (_X_IN, _Y_BUS + 0.08), r"$\mathbf{h}_{t-1}$", "input")
    _port(ax, (0.8, _Y_X - 0.72), r"$\mathbf{x}_t$", "input", ha="center", va="top")
    for x in (x_f, x_i, x_g, x_o):
        _wire(ax, [(x, _Y_BUS), (x, _GATE_BOTTOM)])
        if x != x_o:
            _junction(ax, (x, _Y_BUS))
    _gate(ax, (x_f, _Y_GATE), "sigmoid", "f", (x_f + 0.08, _GATE_TOP + 0.05))
    _gate(ax, (x_i, _Y_GATE), "sigmoid", "i", (x_i + 0.08, _GATE_TOP + 0.05))
    _gate(ax, (x_g, _Y_GATE), "tanh", "g", (x_g + 0.08, _GATE_TOP + 0.05))
    _gate(ax, (x_o, _Y_GATE), "sigmoid", "o", ((x_o + _GATE_W / 2 + x_c - _R) / 2, _Y_GATE + 0.07),
          label_ha="center")
    # f * c_{t-1}; i * g added to the cell state
    _wire(ax, [(x_f, _GATE_TOP), (x_f, _Y_TOP - _R)])
    _wire(ax, [(x_i, _GATE_TOP), (x_i, _Y_MID), (x_g - _R, _Y_MID)])
    _wire(ax, [(x_g, _GATE_TOP), (x_g, _Y_MID - _R)])
    _node(ax, (x_g, _Y_MID), "product")
    _wire(ax, [(x_g, _Y_MID + _R), (x_g, _Y_TOP - _R)])
    # h_t = o * tanh(c_t)
    _junction(ax, (x_c, _Y_TOP))
    _wire(ax, [(x_c, _Y_TOP), (x_c, 2.7 + 0.2)])
    oval = Ellipse((x_c, 2.7), 0.75, 0.4, facecolor="white", edgecolor=_GATE_EDGE, linewidth=1.2,
                   zorder=2)
    oval.set_gid("pointwise")
    ax.add_patch(oval)
    ax.text(x_c, 2.7, "tanh", ha="center", va="center", fontsize=8, zorder=3).set_gid("pointwise")
    _wire(ax, [(x_c, 2.7 - 0.2), (x_c, _Y_GATE + _R)])
    _wire(ax, [(x_o + _GATE_W / 2, _Y_GATE), (x_c - _R, _Y_GATE)])
    _node(ax, (x_c, _Y_GATE), "product")
    _wire(ax, [(x_c, _Y_GATE - _R), (x_c, _Y_BUS), (_X_OUT, _Y_BUS)])
    _port(ax, (_X_OUT, _Y_BUS + 0.08), r"$\mathbf{h}_t$", "output", ha="right")
    _equations(ax, [r"$\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1}"
                    r" + \mathbf{i}_t \odot \mathbf{g}_t, \quad"
                    r"\mathbf{h}_t = \mathbf{o}_t \odot \tanh(\mathbf{c}_t)$",
                    r"each box: $\sigma$ or tanh of an affine map of $\mathbf{x}_t$ and"
                    r" $\mathbf{h}_{t-1}$"])
    return fig


def draw_gru_cell(ax=None, title=None):
    r"""Draw one GRU cell (门控循环单元) as torch computes it: gates r, z, candidate n, ⊙ and +.

    One state, :math:`\mathbf{h}`, runs along the top. :math:`\mathbf{h}_{t-1}` also goes
    down to a bus that it shares with :math:`\mathbf{x}_t` (from below), which feeds the
    reset gate :math:`\mathbf{r}_t` and the update gate :math:`\mathbf{z}_t`
    (:mod:`course_pkg.gru`, rows :math:`r, z, n`). The reset gate acts **after** the
    recurrent product, as in ``torch.nn.GRU``: :math:`\mathbf{h}_{t-1}` alone goes through
    the box :math:`W_{hn}` (the map :math:`\mathbf{h}_{t-1} W_{hn}^\top + \mathbf{b}_{hn}`), the
    result is multiplied (⊙) by :math:`\mathbf{r}_t` and enters the candidate's tanh beside
    :math:`\mathbf{x}_t`. The wire from :math:`\mathbf{h}_{t-1}` to :math:`W_{hn}` crosses
    :math:`\mathbf{z}_t`'s wire without joining it (a gap). The new state is torch's blend
    :math:`\mathbf{h}_t = (1 - \mathbf{z}_t) \odot \mathbf{n}_t + \mathbf{z}_t \odot
    \mathbf{h}_{t-1}`: :math:`\mathbf{z}_t` multiplies the old state on the top line, and
    the node "1 −" turns it into the weight of the candidate. The equations are written
    under the cell.

    Args:
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure (about 5.3 x 4.2
            inches).
        title: optional axes title (English/math only).

    Returns:
        matplotlib.figure.Figure: the figure drawn on. Patches carry gids ``"gate"`` (3 boxes),
        ``"linear"`` (the :math:`W_{hn}` box), ``"product"`` (3 ⊙ nodes), ``"sum"`` (1),
        ``"one_minus"`` (1), ``"state_path"`` (the 3 segments of the state line), ``"cell"``,
        ``"wire"`` and ``"junction"``; texts carry ``"gate_label"`` (:math:`\mathbf{r}_t,
        \mathbf{z}_t, \mathbf{n}_t`), ``"weight"``, ``"input"``, ``"output"`` and
        ``"equation"``.

    Raises:
        TypeError: if ``ax`` is not an ``Axes`` or ``title`` is neither ``None`` nor a ``str``.
    """
    fig, ax = _cell_figure(ax, title)
    _cell_frame(ax)
    x_tap, x_z, x_r, x_n, x_b, x_s = 0.3, 1.4, 2.4, 3.6, 4.6, 5.6
    y_hn, y_zb = 2.95, 3.34              # the W_hn box and 1 - z; the z wire's branch to 1 - z
    gap = 0.12                           # half the gap where h_{t-1} -> W_hn crosses z's wire
    # the state path along the top: h_{t-1} -> (*z) -> (+ (1-z)*n) -> h_t
    _wire(ax, [(_X_IN, _Y_TOP), (x_z - _R, _Y_TOP)], gid="state_path", width=2.2)
    _wire(ax, [(x_z + _R, _Y_TOP), (x_s - _R, _Y_TOP)], gid="state_path", width=2.2)
    _wire(ax, [(x_s + _R, _Y_TOP), (_X_OUT, _Y_TOP)], gid="state_path", width=2.2)
    _node(ax, (x_z, _Y_TOP), "product")
    _node(ax, (x_s, _Y_TOP), "sum")
    _port(ax, (_X_IN, _Y_TOP + 0.12), r"$\mathbf{h}_{t-1}$", "input")
    _port(ax, (_X_OUT, _Y_TOP + 0.12), r"$\mathbf{h}_t$", "output", ha="right")
    # h_{t-1} down to the bus [h_{t-1}, x_t] of r and z, and (alone) to W_hn
    _junction(ax, (x_tap, _Y_TOP))
    _wire(ax, [(x_tap, _Y_TOP), (x_tap, _Y_BUS), (x_r, _Y_BUS)], head=False)
    _junction(ax, (x_tap, y_hn))
    _wire(ax, [(x_tap, y_hn), (x_z - gap, y_hn)], head=False)     # crosses z's wire: a gap
    _wire(ax, [(x_z + gap, y_hn), (x_r - 0.35, y_hn)])
    _wire(ax, [(0.8, _Y_X - 0.7), (0.8, _Y_BUS)], head=False)
    _junction(ax, (0.8, _Y_BUS))
    _port(ax, (0.8, _Y_X - 0.72), r"$\mathbf{x}_t$", "input", ha="center", va="top")
    for x in (x_z, x_r):
        _wire(ax, [(x, _Y_BUS), (x, _GATE_BOTTOM)])
    _junction(ax, (x_z, _Y_BUS))
    # x_t alone to the candidate
    _junction(ax, (0.8, _Y_X))
    _wire(ax, [(0.8, _Y_X), (x_n, _Y_X), (x_n, _Y_MID - _GATE_H / 2)])
    _gate(ax, (x_z, _Y_GATE), "sigmoid", "z", (x_z + 0.08, _GATE_TOP + 0.05))
    _gate(ax, (x_r, _Y_GATE), "sigmoid", "r", (x_r + 0.08, _GATE_TOP + 0.05))
    # reset after the product: r * (h_{t-1} W_hn^T + b_hn), then the candidate n
    _box(ax, (x_r, y_hn), "$W_{hn}$", gid="linear", fill="white", edge=_GATE_EDGE, width=0.7,
         height=0.4, fontsize=9)
    ax.texts[-1].set_gid("weight")
    _wire(ax, [(x_r, y_hn - 0.2), (x_r, _Y_MID + _R)])
    _wire(ax, [(x_r, _GATE_TOP), (x_r, _Y_MID - _R)])
    _node(ax, (x_r, _Y_MID), "product")
    _wire(ax, [(x_r + _R, _Y_MID), (x_n - _GATE_W / 2, _Y_MID)])
    _gate(ax, (x_n, _Y_MID), "tanh", "n", ((x_n + _GATE_W / 2 + x_b - _R) / 2, _Y_MID + 0.07),
          label_ha="center")
    # z * h_{t-1} on the top line; (1 - z) * n added to it
    _wire(ax, [(x_z, _GATE_TOP), (x_z, _Y_TOP - _R)])
    _junction(ax, (x_z, y_zb))
    _wire(ax, [(x_z, y_zb), (x_b, y_zb), (x_b, y_hn + _R)])
    _node(ax, (x_b, y_hn), "one_minus")
    _wire(ax, [(x_b, y_hn - _R), (x_b, _Y_MID + _R)])
    _wire(ax, [(x_n + _GATE_W / 2, _Y_MID), (x_b - _R, _Y_MID)])
    _node(ax, (x_b, _Y_MID), "product")
    _wire(ax, [(x_b + _R, _Y_MID), (x_s, _Y_MID), (x_s, _Y_TOP - _R)])
    _equations(ax, [r"$\mathbf{n}_t = \tanh(\mathbf{x}_t W_{in}^\top + \mathbf{b}_{in}"
                    r" + \mathbf{r}_t \odot (\mathbf{h}_{t-1} W_{hn}^\top + \mathbf{b}_{hn}))$",
                    r"$\mathbf{h}_t = (1 - \mathbf{z}_t) \odot \mathbf{n}_t"
                    r" + \mathbf{z}_t \odot \mathbf{h}_{t-1}$"])
    return fig


#: What the GRU does with each part of the LSTM, as :func:`draw_lstm_gru_cells` writes it:
#: pairs of matplotlib mathtext labels (LSTM part, GRU part).
#:
#: :meta hide-value:
LSTM_TO_GRU = (
    (r"forget $\mathbf{f}_t$ and input $\mathbf{i}_t$",
     r"one update gate: $\mathbf{z}_t$ keeps the old state, $1 - \mathbf{z}_t$ lets $\mathbf{n}_t$ in"),
    (r"candidate $\mathbf{g}_t$", r"candidate $\mathbf{n}_t$, with the reset gate $\mathbf{r}_t$ inside"),
    (r"output gate $\mathbf{o}_t$", r"none: $\mathbf{h}_t$ is the blend itself"),
    (r"cell state $\mathbf{c}_t$ and hidden state $\mathbf{h}_t$", r"one state $\mathbf{h}_t$"),
)


def draw_lstm_gru_cells(title=None):
    r"""Draw the GRU beside the LSTM, with what becomes of each LSTM part in the GRU.

    Left :func:`draw_lstm_cell`, right :func:`draw_gru_cell`; a GRU part has the colour of
    the LSTM part whose role it takes. Under them, one line per row of
    :data:`LSTM_TO_GRU`: the update gate couples forget and input (:math:`\mathbf{z}_t` keeps
    the old state, :math:`1 - \mathbf{z}_t` admits the candidate, so the two weights sum to
    1 where the LSTM's :math:`\mathbf{f}_t` and :math:`\mathbf{i}_t` are free), the
    candidate :math:`\mathbf{g}_t` becomes :math:`\mathbf{n}_t` (with the reset gate inside),
    there is no output gate, and the cell state and the hidden state merge into one
    :math:`\mathbf{h}_t`.

    Args:
        title: optional figure title (English/math only).

    Returns:
        matplotlib.figure.Figure: two Axes (titled "LSTM" and "GRU") drawn as the two
        functions above, and 12 figure texts with gid ``"mapping"`` (per row of
        :data:`LSTM_TO_GRU`: the LSTM part, an arrow, the GRU part).

    Raises:
        TypeError: if ``title`` is neither ``None`` nor a ``str``.
    """
    _check_title(title)
    scale = 0.56
    w, h = _CELL_X[1] - _CELL_X[0], _CELL_Y[1] - _CELL_Y[0]
    map_h, head_h = 1.2, (0.65 if title is not None else 0.35)        # inches
    size = (round(2 * scale * w, 1), round(scale * h + head_h + map_h, 1))
    fig = plt.figure(figsize=size, dpi=STYLE["figure.dpi"])
    rect = (map_h / size[1], scale * h / size[1])                      # bottom, height
    draw_lstm_cell(ax=fig.add_axes((0.0, rect[0], 0.5, rect[1])), title="LSTM")
    draw_gru_cell(ax=fig.add_axes((0.5, rect[0], 0.5, rect[1])), title="GRU")
    head = fig.text(0.5, (map_h - 0.05) / size[1], r"LSTM $\rightarrow$ GRU", ha="center",
                    va="top", fontsize=10, fontweight="bold")
    head.set_gid("note")
    for k, (lstm_part, gru_part) in enumerate(LSTM_TO_GRU):
        y = (map_h - 0.33 - 0.21 * k) / size[1]
        for x, text, ha in ((0.485, lstm_part, "right"), (0.5, r"$\rightarrow$", "center"),
                            (0.515, gru_part, "left")):
            fig.text(x, y, text, ha=ha, va="top", fontsize=9).set_gid("mapping")
    if title is not None:
        fig.suptitle(title, y=1 - 0.05 / size[1], va="top")
    return fig


# -- the BPTT computational graph (chapter 3) --
__all__ += ["draw_bptt_graph"]

_ROADS = {"road1": "#0072b2", "road2": "#d55e00"}     # h_k's two roads to the loss
_Y_LT, _Y_L = 3.55, 4.6                               # rows of the losses L_t and of L


def draw_bptt_graph(T=3, highlight=None, ax=None, title=None):
    r"""Draw the computational graph that BPTT (随时间反向传播) runs backwards, and a state's two roads.

    Step :math:`t` reads :math:`\mathbf{x}_t` (:math:`W_{ih}`) and :math:`\mathbf{h}_{t-1}`
    (:math:`W_{hh}`) and writes :math:`\mathbf{h}_t`; the output layer (:math:`W_{hy}`) turns
    :math:`\mathbf{h}_t` into the scores :math:`\mathbf{z}_t`, which give the loss
    :math:`L_t` of the step, and the losses add up to :math:`L = \sum_t L_t`. The state
    :math:`\mathbf{h}_k` (``highlight``) reaches :math:`L` by two roads, coloured: through
    its own output, :math:`\mathbf{h}_k \to \mathbf{z}_k \to L_k \to L` (blue, arrow gid
    ``"road1"``), and through the next state, :math:`\mathbf{h}_k \to \mathbf{h}_{k+1}` and
    everything after it (orange, ``"road2"``). The legend under the graph writes the
    gradient each road brings back: :math:`\partial L_k / \partial \mathbf{h}_k` and
    :math:`\boldsymbol{\delta}_{k+1} \operatorname{diag}(1 - \mathbf{h}_{k+1}^2) W_{hh}`,
    which add up to :math:`\boldsymbol{\delta}_k = \partial L / \partial \mathbf{h}_k` (row
    vectors, as in :func:`course_pkg.rnn.rnn_backward`). For :math:`k = T` there is no
    second road. Vectors are bold in the figure, as in the book.

    Args:
        T: the number of time steps, an int in ``[1, 8]``.
        highlight: the step :math:`k` in ``[1, T]`` whose roads are coloured; ``None``
            takes ``T - 1`` (``1`` when ``T = 1``).
        ax: a matplotlib ``Axes`` to draw on; ``None`` creates a new figure sized to fit
            (about 4.6 x 4.9 inches for ``T = 3``, 1.2 inches wider per extra step).
        title: optional axes title (English/math only).

    Returns:
        matplotlib.figure.Figure: the figure drawn on. Boxes (and their labels) carry the
        gids ``"input"`` (:math:`\mathbf{x}_t`), ``"initial"`` (:math:`\mathbf{h}_0`),
        ``"hidden"``, ``"output"`` (:math:`\mathbf{z}_t`), ``"loss"`` (:math:`L_t`) and
        ``"total_loss"`` (:math:`L`); the ``5 T`` arrows, each from the box it leaves to
        the box it enters, the gids ``"road1"`` (3), ``"road2"`` (``4 (T - k)``) and
        ``"forward"`` (the rest); the legend's two lines ``"legend"``.

    Raises:
        TypeError: if ``T`` or ``highlight`` is not an int, ``ax`` is not an ``Axes`` or
            ``title`` is neither ``None`` nor a ``str``.
        ValueError: if ``T`` is outside ``[1, 8]`` or ``highlight`` outside ``[1, T]``.
    """
    T = V.check_int("T", T, 1, 8)
    k = V.check_int("highlight", highlight, 1, T, none=True)
    k = max(T - 1, 1) if k is None else k
    _check_title(title)
    right = max(T * _STEP + 0.7, 3.4)             # room for the legend when T is small
    fig, ax = _new_axes(ax, (-0.55, right), (_Y_IN - 1.45, _Y_L + 0.35), title)

    def road(t_from, what):
        """The road (gid) of an arrow leaving step ``t_from``'s ``what`` ("h", "z", "L", "hh")."""
        if t_from == k and what in ("h", "z", "L"):
            return "road1"
        if t_from > k or (t_from == k and what == "hh"):
            return "road2"
        return "forward"

    def arrow(start, end, gid):
        a = _arrow(ax, start, end)
        a.set_gid(gid)
        if gid != "forward":
            a.set_color(_ROADS[gid])
            a.set_linewidth(2.4)
        return a

    _box(ax, (0.0, _Y_H), r"$\mathbf{h}_0$", gid="initial", fill=COLORS["initial"],
         edge="#777777", width=0.7, dashed=True)
    _note(ax, (0.0, _Y_H - _BOX_H / 2 - 0.08), "given", va="top")
    _note(ax, (0.0, _Y_OUT), "output\nlayer")
    _note(ax, (0.0, _Y_LT), "loss of\nthe step")
    x_L = (T + 1) * _STEP / 2
    terms = " + ".join(f"L_{t}" for t in range(1, T + 1)) if T <= 3 else rf"L_1 + \dots + L_{T}"
    _box(ax, (x_L, _Y_L), f"$L = {terms}$", gid="total_loss", fill="#f3e0ec",
         edge=COLORS["weight"], width=(1.2, 1.8, 2.4)[T - 1] if T <= 3 else 2.2, height=0.5,
         fontsize=11)
    prev_right = 0.35
    for t in range(1, T + 1):
        cx = t * _STEP
        box = _box(ax, (cx, _Y_H), rf"$\mathbf{{h}}_{{{t}}}$", gid="hidden",
                   fill=COLORS["hidden"], edge=COLORS["hidden_edge"])
        if t == k:
            box.set_linewidth(2.6)
        arrow((prev_right, _Y_H), (cx - _BOX_W / 2, _Y_H), road(t - 1, "hh"))
        _weight(ax, ((prev_right + cx - _BOX_W / 2) / 2, _Y_H + 0.08), "$W_{hh}$", va="bottom")
        prev_right = cx + _BOX_W / 2
        _box(ax, (cx, _Y_IN), rf"$\mathbf{{x}}_{{{t}}}$", gid="input", fill=COLORS["input"],
             edge=COLORS["input_edge"], width=0.7, height=0.42, fontsize=11)
        arrow((cx, _Y_IN + 0.21), (cx, _Y_H - _BOX_H / 2), "forward")
        _weight(ax, (cx + 0.06, (_Y_IN + _Y_H) / 2 - 0.02), "$W_{ih}$", ha="left")
        _box(ax, (cx, _Y_OUT), rf"$\mathbf{{z}}_{{{t}}}$", gid="output", fill=COLORS["output"],
             edge=COLORS["output_edge"], width=0.7, height=0.42, fontsize=11)
        arrow((cx, _Y_H + _BOX_H / 2), (cx, _Y_OUT - 0.21), road(t, "h"))
        _weight(ax, (cx + 0.06, (_Y_H + _Y_OUT) / 2 + 0.02), "$W_{hy}$", ha="left")
        _box(ax, (cx, _Y_LT), f"$L_{{{t}}}$", gid="loss", fill="#f3e0ec", edge=COLORS["weight"],
             width=0.7, height=0.42, fontsize=11)
        arrow((cx, _Y_OUT + 0.21), (cx, _Y_LT - 0.21), road(t, "z"))
        arrow((cx, _Y_LT + 0.21), (x_L + 0.3 * (cx - x_L) / max(T - 1, 1), _Y_L - 0.25),
              road(t, "L"))
    # the legend: what each road brings back to h_k
    one = (rf"road 1, through $\mathbf{{z}}_{{{k}}}$: "
           rf"$\partial L_{{{k}}} / \partial \mathbf{{h}}_{{{k}}}$")
    if k < T:
        two = (rf"road 2, through $\mathbf{{h}}_{{{k + 1}}}$: $\boldsymbol{{\delta}}_{{{k + 1}}}\,"
               rf"\mathrm{{diag}}(1 - \mathbf{{h}}_{{{k + 1}}}^2)\, W_{{hh}}$")
    else:
        two = rf"no road 2: $\mathbf{{h}}_{{{k}}}$ is the last state"
    for y, text, gid in ((_Y_IN - 0.75, one, "road1"), (_Y_IN - 1.15, two, "road2")):
        label = ax.text(-0.45, y, text, ha="left", va="center", fontsize=10, zorder=3,
                        color=_ROADS[gid])
        label.set_gid("legend")
    return fig
