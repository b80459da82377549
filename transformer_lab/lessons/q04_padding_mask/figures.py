"""The padding-mask explorer's figure (notebook 04).

One heatmap per sequence of the batch (rows = queries, columns = keys, colour = attention weight
on a fixed 0..1 scale), the cells a correct mask removes hatched, NaN cells in red; and a bar per
sequence with the attention mass that leaked onto masked keys (log scale, fixed limits).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.colors import Normalize
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.transforms import IdentityTransform

from ...viz.diagram import arrow
from ...viz.figures import KEY_LABEL, MIN_FONT_SIZE, QUERY_LABEL, BarCollection, as_array, new_figure

__all__ = ['LEAK_FLOOR', 'HatchedCells', 'padding_mask_figure', 'update_padding_mask', 'cells_path', 'plot_leak_sweep',
           'schematic']


LEAK_FLOOR = 1e-12  # leaked mass below this is drawn at the floor of the log axis
NAN_COLOUR = "red"
FRAME_GAP = 0.06  # cells; keeps the blitted cells off the frame lines


_SQUARE = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
_SQUARE_CODES = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]


def cells_path(masked) -> Path:
    """One compound path made of the unit squares of the True cells of ``masked (T, S)``.

    Row i = query, column j = key, so cell (i, j) is centred on (x=j, y=i). One hatched path draws
    ten times faster than a collection of hatched squares (Agg hatches each member separately).
    """
    mk = as_array(masked).astype(bool)
    if mk.ndim != 2:
        raise ValueError(f"masked must be 2-D (queries, keys), got shape {mk.shape}")
    rows, cols = np.nonzero(mk)
    if not len(rows):
        return Path(np.zeros((1, 2)), [Path.MOVETO])  # nothing to hatch
    centres = np.stack([cols, rows], axis=1).astype(float)  # (n, 2): (x, y)
    verts = (centres[:, None, :] + _SQUARE[None]).reshape(-1, 2)  # (n * 5, 2)
    return Path(verts, np.tile(_SQUARE_CODES, len(rows)))


class HatchedCells(PathPatch):
    """The masked cells of several heatmaps hatched in ONE draw call.

    ``parts`` holds one ``PathPatch`` per heatmap (not drawn itself: its path in its axes' data
    coordinates, its transform that axes' ``transData``, invisible when it has no cell). At draw
    time their paths are joined in display coordinates: Agg renders a hatch tile on every call,
    so one call for all heatmaps instead of one each (~0.6 ms apiece). Add it to the figure.
    """

    def __init__(self, parts: Sequence[PathPatch], **kwargs):
        self.parts = list(parts)
        super().__init__(Path(np.zeros((1, 2)), [Path.MOVETO]), transform=IdentityTransform(), **kwargs)

    def get_path(self) -> Path:
        paths = [p.get_transform().transform_path(p.get_path()) for p in self.parts if p.get_visible()]
        return Path.make_compound_path(*paths) if paths else Path(np.zeros((1, 2)), [Path.MOVETO])


def padding_mask_figure(lengths: Sequence[int], max_len: int):
    """Build the explorer's figure once: ``len(lengths)`` heatmaps ``(max_len, max_len)`` and a bar panel.

    Returns ``(fig, artists)`` with ``artists["meshes"]`` (one ``QuadMesh`` each, fixed norm 0..1;
    a mesh redraws several times faster than an ``imshow`` image), ``["hatches"]`` (one
    :class:`HatchedCells` for all heatmaps; ``.parts[b]`` holds sequence b's cells), ``["bars"]`` (one :class:`~transformer_lab.viz.figures.BarCollection`, bottom
    :data:`LEAK_FLOOR`) and ``["status"]`` (one line of text on top of the figure, the only
    text that changes: text is the slowest artist to draw). The axes extend a hair beyond the cells,
    so the frame drawn in the background is never covered by the blitted cells.
    :func:`update_padding_mask` moves them.
    """
    B = len(lengths)
    if B < 1:
        raise ValueError(f"lengths must hold at least one sequence length, got {list(lengths)}")
    fig = new_figure(2.45 * B + 2.9, 3.5, dpi=72)
    axes = fig.subplots(1, B + 1, width_ratios=[1] * B + [0.9])
    cmap = colormaps["viridis"].with_extremes(bad=NAN_COLOUR)
    norm = Normalize(0.0, 1.0)
    meshes, hatches = [], []
    edges = np.arange(max_len + 1) - 0.5
    for b, (ax, n) in enumerate(zip(axes[:B], lengths)):
        meshes.append(ax.pcolormesh(edges, edges, np.zeros((max_len, max_len)), cmap=cmap, norm=norm))
        hatches.append(PathPatch(cells_path(np.zeros((1, 1))), transform=ax.transData))  # drawn by HatchedCells
        ax.set_xlim(-0.5 - FRAME_GAP, max_len - 0.5 + FRAME_GAP)
        ax.set_ylim(max_len - 0.5 + FRAME_GAP, -0.5 - FRAME_GAP)  # query 0 on top, as in plot_heatmap
        ax.set_aspect("equal")
        ax.set_xticks(range(max_len), range(max_len), fontsize=MIN_FONT_SIZE)
        ax.set_yticks(range(max_len), range(max_len), fontsize=MIN_FONT_SIZE)
        ax.set_xlabel(KEY_LABEL, fontsize=MIN_FONT_SIZE)
        ax.set_ylabel(QUERY_LABEL if b == 0 else "query position", fontsize=MIN_FONT_SIZE)
        ax.set_title(f"sequence {b} (length {n})", fontsize=10)
    fig.colorbar(meshes[0], ax=axes[B - 1], shrink=0.75, label="attention weight")
    hatched = fig.add_artist(HatchedCells(hatches, facecolor="none", edgecolor="0.7", hatch="xx", lw=0.0))
    # the hatch takes the edge colour (matplotlib 3.10 and 3.11 alike); lw=0 draws no edge
    fig.legend(handles=[Patch(facecolor="tab:purple", hatch="xx", edgecolor="0.7", lw=0.0,
                              label="masked cell (a correct mask removes it; colour under the hatch = leaked weight)"),
                        Patch(facecolor=NAN_COLOUR, label="NaN")],
               loc="outside lower center", fontsize=MIN_FONT_SIZE, ncols=2, frameon=False)
    ax_bar = axes[B]
    bars = ax_bar.add_collection(BarCollection(range(B), np.full(B, LEAK_FLOOR), bottom=LEAK_FLOOR, facecolor="C1",
                                               edgecolor="none"))  # one artist for the B bars
    ax_bar.set_yscale("log")
    ax_bar.set_ylim(LEAK_FLOOR, 2.0)
    ax_bar.set_xlim(-0.6, B - 0.4)
    ax_bar.set_xticks(range(B), [f"seq {b}\n(len {n})" for b, n in enumerate(lengths)], fontsize=MIN_FONT_SIZE)
    ax_bar.tick_params(axis="y", labelsize=MIN_FONT_SIZE)
    ax_bar.set_ylabel("mass on masked keys\n(mean over real queries)", fontsize=MIN_FONT_SIZE)
    ax_bar.axhline(1e-3, color="grey", lw=0.8, ls=":")
    status = fig.suptitle(" ", fontsize=10, x=0.01, ha="left")  # one line for the whole figure
    return fig, {"meshes": meshes, "hatches": hatched, "bars": bars, "status": status}


def update_padding_mask(artists: Mapping[str, object], weights, masked, leaks: Sequence[float], status: str) -> None:
    """Move the explorer's artists to a new state (no new artists, no change of limits).

    ``weights (B, T, S)`` may hold NaN (drawn red); ``None`` means there are no weights (the masking
    raised an error): the heatmaps and bars are hidden. ``masked (B, T, S)`` bool marks the cells a
    correct mask removes (hatched); ``leaks`` is one leaked mass per sequence (NaN drawn at the top
    of the axis, in red).
    """
    mk = as_array(masked)
    w = None if weights is None else as_array(weights)
    B = len(artists["meshes"])
    if mk.shape[0] != B or len(leaks) != B or (w is not None and w.shape != mk.shape):
        raise ValueError(
            f"masked (B, T, S), weights (B, T, S) and leaks (B,) must describe the figure's B={B} sequences, "
            f"got masked {mk.shape}, weights {None if w is None else w.shape}, {len(leaks)} leaks"
        )
    for b, (mesh, patch) in enumerate(zip(artists["meshes"], artists["hatches"].parts)):
        mesh.set_visible(w is not None)
        if w is not None:
            mesh.set_array(np.ma.masked_invalid(w[b]))
        patch.set_path(cells_path(mk[b]))
        patch.set_visible(bool(mk[b].any()))
    artists["hatches"].stale = True
    bars, bad = artists["bars"], ~np.isfinite(np.asarray(leaks, dtype=float))
    bars.set_visible(w is not None)
    bars.set_heights([1.0 if b else max(float(leak), LEAK_FLOOR) - LEAK_FLOOR for leak, b in zip(leaks, bad)])
    bars.set_facecolor([NAN_COLOUR if b else "C1" for b in bad])
    artists["status"].set_text(status)


def plot_leak_sweep(sigmas: Sequence[float], leaks: Mapping[str, Mapping[str, Sequence[float]]], ax=None,
                    floor: float = LEAK_FLOOR):
    """Leaked mass against the score spread, log-log: ``leaks[form][fill]`` is one value per sigma.

    Only the series that leak somewhere are drawn, one colour per fill (solid: ``form="add"``,
    dashed: ``"set"``; values below ``floor``, exact zeros included, at the floor). The series that
    never leak would all lie on the floor, one hiding the next: they are *named* in the legend
    instead, which sits outside the axes, off the data.
    """
    for form, by_fill in leaks.items():
        for fill, values in by_fill.items():
            if len(values) != len(sigmas):
                raise ValueError(f"leaks[{form!r}][{fill!r}] must hold one value per sigma ({len(sigmas)}), got {len(values)}")
    ax = ax or new_figure(7.2, 3.4).add_subplot()
    styles = {"add": "-", "set": "--"}
    words = {"add": "added", "set": "set"}
    fills = list(dict.fromkeys(fill for by_fill in leaks.values() for fill in by_fill))
    colours = {fill: f"C{i}" for i, fill in enumerate(fills)}  # one colour per fill, whatever the form
    never: dict[str, list[str]] = {}
    for form, by_fill in leaks.items():
        for fill, values in by_fill.items():
            ys = np.asarray(values, dtype=float)
            if not (ys >= floor).any():
                never.setdefault(words.get(form, form), []).append(fill)
                continue
            ax.plot(sigmas, np.maximum(ys, floor), styles.get(form, ":"), marker="o", ms=4, lw=1.8,
                    color=colours[fill], label=f"{fill} {words.get(form, form)}")
    ax.axhline(1e-3, color="grey", lw=0.8, ls=":", label="leak of 1e-3")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 3, 3.0)
    ax.set_xlabel("score spread σ (std of the raw scores)")
    ax.set_ylabel(f"leaked mass, worst row\n(exact 0 drawn at {floor:g})")
    handles, labels = ax.get_legend_handles_labels()
    if never:  # text-only entries: what never leaked, named rather than drawn on top of each other
        blank = Line2D([], [], ls="none")
        handles += [blank] + [blank] * len(never)
        labels += ["never leaked (0 at every σ):"] + [f"  {form}: {', '.join(f)}" for form, f in never.items()]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=MIN_FONT_SIZE,
              handlelength=2.2, borderaxespad=0.0)
    return ax


# --- the schematic: a padded batch, its key mask broadcast over the query rows, the masked cells ------

def _cells(ax, x0: float, y0: float, rows: int, cols: int, colour, text=None, hatched=None):
    """A ``rows × cols`` block of unit cells with its top-left corner at ``(x0, y0)`` (y grows down), as
    one collection (cheap to draw). ``colour(i, j)`` gives each cell's face colour, ``text(i, j)`` its
    label (or None), ``hatched(i, j)`` whether it is hatched (a masked cell)."""
    cells = [(i, j) for i in range(rows) for j in range(cols)]
    for with_hatch in (False, True):
        group = [(i, j) for i, j in cells if bool(hatched and hatched(i, j)) == with_hatch]
        if group:
            with rc_context({"hatch.color": "0.75"}):  # a collection's hatch colour, read when it is made
                ax.add_collection(PatchCollection(
                    [Rectangle((x0 + j, y0 + i), 1, 1) for i, j in group], facecolors=[colour(i, j) for i, j in group],
                    edgecolors="0.35", linewidths=0.8, hatch="//" if with_hatch else None))
    for i, j in cells:
        label = text(i, j) if text else None
        if label:
            ax.text(x0 + j + 0.5, y0 + i + 0.5, label, ha="center", va="center", fontsize=MIN_FONT_SIZE)


def schematic():
    """Padding masked in attention, in three pictures (no data, no training).

    Left: a batch of three sequences (lengths 5, 3, 1) padded on the right to S = 6, and its
    key mask ``keep (B, S)``. Middle: sequence 1's mask row as ``(B, 1, 1, S)``, broadcast over
    every query row (and every head). Right: that sequence's scores ``(T, S)`` after masking: the
    pad **key columns** are −∞, so every real query gives them weight 0; the pad query rows stay
    (their outputs are never read: the loss and the pooling skip them).
    """
    fig = Figure(figsize=(11.0, 3.7), dpi=80)  # no layout engine: one axes fills it, and one drawing pass is enough
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(-1.4, 22.6)
    ax.set_ylim(7.9, -1.5)  # y grows down, as in a matrix
    ax.set_aspect("equal")
    ax.axis("off")
    real, pad = "#cfe3f5", "0.86"
    lengths = (5, 3, 1)
    # left: the padded batch and its keep-mask
    ax.text(3.0, -0.9, "padded batch (B = 3, S = 6)", ha="center", fontsize=10, weight="bold")
    _cells(ax, 0, 0, 3, 6, lambda i, j: real if j < lengths[i] else pad,
           lambda i, j: f"x{j + 1}" if j < lengths[i] else "PAD")
    for i in range(3):
        ax.text(-0.15, i + 0.5, f"seq {i}", ha="right", va="center", fontsize=MIN_FONT_SIZE)
    ax.text(3.0, 3.85, "keep (B, S): 1 = real token", ha="center", fontsize=MIN_FONT_SIZE)
    _cells(ax, 0, 4.3, 3, 6, lambda i, j: real if j < lengths[i] else "white",
           lambda i, j: "1" if j < lengths[i] else "0")
    arrow(ax, (6.2, 5.8), (7.4, 5.3), color="0.25", lw=1.5)
    # middle: sequence 1's row, broadcast over the query rows
    x1 = 7.8
    ax.text(x1 + 3.0, -0.9, "keep[1] as (1, 1, S) → (T, S)", ha="center", fontsize=10, weight="bold")
    _cells(ax, x1, 0, 6, 6, lambda i, j: (real if j < 3 else "white") if i == 0 else ("#e6f0fa" if j < 3 else "0.97"),
           lambda i, j: ("1" if j < 3 else "0") if i == 0 else None)  # row 0 labelled; the copies coloured only
    ax.text(x1 + 3.0, 6.2, "one row, copied to every query\n(and every head): key columns", ha="center", va="top",
            fontsize=MIN_FONT_SIZE)
    arrow(ax, (x1 + 6.2, 3.0), (x1 + 7.3, 3.0), color="0.25", lw=1.5)
    # right: the scores of sequence 1 after masking
    x2 = 15.6
    ax.text(x2 + 3.0, -0.9, "seq 1: scores (T, S) masked", ha="center", fontsize=10, weight="bold")
    _cells(ax, x2, 0, 6, 6, lambda i, j: "white" if j >= 3 else (pad if i >= 3 else real),
           lambda i, j: "−∞" if j >= 3 else None, lambda i, j: j >= 3)
    ax.text(x2 + 6.15, 1.5, "real\nqueries", ha="left", va="center", fontsize=MIN_FONT_SIZE)
    ax.text(x2 + 6.15, 4.5, "pad queries:\noutputs\nignored", ha="left", va="center", fontsize=MIN_FONT_SIZE)
    ax.text(x2 + 3.0, 6.2, "pad keys −∞ → weight 0\n(rows: queries, columns: keys; blue: scores kept)", ha="center", va="top",
            fontsize=MIN_FONT_SIZE)
    return fig
