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
``"weight"``, and ``"note"`` for the diagrams' small grey remarks) so that tests can count them.
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
