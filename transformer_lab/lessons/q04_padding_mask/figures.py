"""The padding-mask explorer's figure (notebook 04).

One heatmap per sequence of the batch (rows = queries, columns = keys, colour = attention weight
on a fixed 0..1 scale), the cells a correct mask removes hatched, NaN cells in red; and a bar per
sequence with the attention mass that leaked onto masked keys (log scale, fixed limits).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.transforms import IdentityTransform

from ...viz.figures import KEY_LABEL, QUERY_LABEL, BarCollection, as_array, new_figure

__all__ = ['LEAK_FLOOR', 'HatchedCells', 'padding_mask_figure', 'update_padding_mask', 'cells_path', 'plot_leak_sweep']


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
    fig = new_figure(2.45 * B + 2.7, 3.0, dpi=72)
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
        ax.set_xticks(range(max_len), range(max_len), fontsize=7)
        ax.set_yticks(range(max_len), range(max_len), fontsize=7)
        ax.set_xlabel(KEY_LABEL, fontsize=8)
        ax.set_ylabel(QUERY_LABEL if b == 0 else "query position", fontsize=8)
        ax.set_title(f"sequence {b} (length {n})", fontsize=8)
    fig.colorbar(meshes[0], ax=axes[B - 1], shrink=0.75, label="attention weight")
    hatched = fig.add_artist(HatchedCells(hatches, facecolor="none", edgecolor="none", hatch="xx", hatchcolor="0.7",
                                          lw=0.0))
    fig.legend(handles=[Patch(facecolor="tab:purple", hatch="xx", hatchcolor="0.7", edgecolor="none",
                              label="masked cell (a correct mask removes it; colour under the hatch = leaked weight)"),
                        Patch(facecolor=NAN_COLOUR, label="NaN")],
               loc="outside lower center", fontsize=7, ncols=2, frameon=False)
    ax_bar = axes[B]
    bars = ax_bar.add_collection(BarCollection(range(B), np.full(B, LEAK_FLOOR), bottom=LEAK_FLOOR, facecolor="C1",
                                               edgecolor="none"))  # one artist for the B bars
    ax_bar.set_yscale("log")
    ax_bar.set_ylim(LEAK_FLOOR, 2.0)
    ax_bar.set_xlim(-0.6, B - 0.4)
    ax_bar.set_xticks(range(B), [f"seq {b}\n(len {n})" for b, n in enumerate(lengths)], fontsize=7)
    ax_bar.set_ylabel("mass on masked keys\n(mean over real queries)", fontsize=8)
    ax_bar.axhline(1e-3, color="grey", lw=0.8, ls=":")
    status = fig.suptitle(" ", fontsize=8, x=0.01, ha="left")  # one line for the whole figure
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

    One colour per fill, solid for ``form="add"``, dashed for ``"set"``; values below ``floor``
    (exact zeros included) are drawn at the floor.
    """
    for form, by_fill in leaks.items():
        for fill, values in by_fill.items():
            if len(values) != len(sigmas):
                raise ValueError(f"leaks[{form!r}][{fill!r}] must hold one value per sigma ({len(sigmas)}), got {len(values)}")
    ax = ax or new_figure(5.2, 3.4).add_subplot()
    styles = {"add": "-", "set": "--"}
    fills = list(next(iter(leaks.values())).keys())
    for i, fill in enumerate(fills):
        for form, by_fill in leaks.items():
            ys = np.maximum(np.asarray(by_fill[fill], dtype=float), floor)
            ax.plot(sigmas, ys, styles.get(form, ":"), marker="o", ms=3, color=f"C{i}", label=f"{form} {fill}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 3, 3.0)
    ax.axhline(1e-3, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("score spread σ (std of the raw scores)")
    ax.set_ylabel(f"leaked mass, worst row\n(exact 0 drawn at {floor:g})")
    ax.legend(fontsize=7, ncols=2)
    return ax
