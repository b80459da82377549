"""Figures: data in, figure or axes out. No pyplot state, no ``show()``, no global style changes.

Figures are plain ``matplotlib.figure.Figure`` objects with an Agg canvas, so they render the
same in a notebook (``display(fig)``), in a widget (PNG bytes) and in a headless test.

Heatmap convention used everywhere: rows are queries (the position that attends), columns are
keys (the position attended to); masked cells are hatched and marked "masked", not just dark.
"""

from __future__ import annotations

import io
import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

__all__ = [
    "new_figure",
    "figure_png",
    "plot_heatmap",
    "plot_heatmaps",
    "plot_variance_vs_dk",
    "plot_saturation",
    "plot_cost",
    "plot_histories",
    "BlitRenderer",
    "animated_artists",
]

QUERY_LABEL = "query position (attends)"
KEY_LABEL = "key position (attended to)"


def new_figure(width: float = 6.4, height: float = 4.0, dpi: int = 80) -> Figure:
    """A figure with its own Agg canvas, outside pyplot's global registry."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (what a widget's Image shows)."""
    buf = io.BytesIO()
    fig.canvas.print_png(buf)
    return buf.getvalue()


def _as_array(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def plot_heatmap(
    matrix,
    ax=None,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    masked=None,
    title: str | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
):
    """Heatmap of a ``(T, S)`` matrix: rows = queries, columns = keys; ``masked (T, S)`` bool = hatched."""
    m = _as_array(matrix)
    if m.ndim != 2:
        raise ValueError(f"matrix must be 2-D (queries, keys), got shape {m.shape}")
    if ax is None:
        ax = new_figure(4.0, 3.4).add_subplot()
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    T, S = m.shape
    ax.set_xticks(range(S), col_labels if col_labels is not None else range(S), fontsize=7)
    ax.set_yticks(range(T), row_labels if row_labels is not None else range(T), fontsize=7)
    ax.set_xlabel(KEY_LABEL)
    ax.set_ylabel(QUERY_LABEL)
    if masked is not None:
        mk = _as_array(masked).astype(bool)
        if mk.shape != m.shape:
            raise ValueError(f"masked must have the matrix's shape {m.shape}, got {mk.shape}")
        for i, j in zip(*np.nonzero(mk)):  # row i = query, column j = key
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="lightgrey", edgecolor="grey", hatch="xx", lw=0.5))
        ax.legend(handles=[Patch(facecolor="lightgrey", hatch="xx", label="masked")], loc="upper right", fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def plot_heatmaps(
    matrices: Mapping[str, object], ncols: int | None = None, fig: Figure | None = None, **kwargs
) -> Figure:
    """One heatmap per entry of ``{title: (T, S) matrix}``, side by side."""
    n = len(matrices)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    fig = fig or new_figure(3.3 * ncols, 3.0 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (title, m) in zip(axes, matrices.items()):
        plot_heatmap(m, ax, title=title, **kwargs)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


def plot_variance_vs_dk(d_ks: Sequence[int], variances: Sequence[float], ax=None):
    """Measured Var(q·k) against d_k on log-log axes, with the line Var = d_k."""
    ax = ax or new_figure(4.2, 3.2).add_subplot()
    ax.loglog(d_ks, d_ks, "k--", lw=1, label="Var = d_k (footnote 4)")
    ax.loglog(d_ks, variances, "o", color="C0", label="measured")
    ax.set_xlabel("d_k")
    ax.set_ylabel("Var(q·k)")
    ax.legend(fontsize=8)
    return ax


def plot_saturation(d_ks: Sequence[int], stats: Mapping[str, Mapping[str, Sequence[float]]], fig: Figure | None = None) -> Figure:
    """``stats[label][metric]`` over d_k: one panel per metric, one line per label (scaled/unscaled)."""
    metrics = list(next(iter(stats.values())).keys())
    fig = fig or new_figure(3.2 * len(metrics), 3.0)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for i, (label, by_metric) in enumerate(stats.items()):
            ax.semilogx(d_ks, by_metric[metric], "o-", color=f"C{i}", label=label, base=2)
        ax.set_xlabel("d_k")
        ax.set_title(metric, fontsize=9)
    axes[0].legend(fontsize=8)
    return fig


def plot_cost(ns: Sequence[int], series: Mapping[str, Mapping[str, Sequence[float]]], fig: Figure | None = None) -> Figure:
    """``series[metric][label]`` against sequence length n: one log-log panel per metric."""
    fig = fig or new_figure(4.0 * len(series), 3.2)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    for ax, (metric, by_label) in zip(axes, series.items()):
        for i, (label, values) in enumerate(by_label.items()):
            ax.plot(ns, values, "o-", color=f"C{i}", label=label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length n")
        ax.set_title(metric, fontsize=9)
        ax.legend(fontsize=8)
    return fig


def plot_histories(runs: Mapping[str, Sequence[object]], ax=None, metric: str = "eval_accuracy", title: str | None = None):
    """Learning curves: ``runs[label]`` is a list of :class:`~transformer_lab.train.History`, one per
    seed; each seed is a thin line, their mean a thick one."""
    ax = ax or new_figure(4.5, 3.2).add_subplot()
    for i, (label, histories) in enumerate(runs.items()):
        steps = histories[0].eval_steps
        curves = np.array([getattr(h, metric) for h in histories])
        for c in curves:
            ax.plot(steps, c, color=f"C{i}", lw=0.7, alpha=0.5)
        ax.plot(steps, curves.mean(0), color=f"C{i}", lw=2, label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel(metric.replace("eval_", "eval "))
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return ax


# --- fast re-rendering for widgets ----------------------------------------------------------------

class BlitRenderer:
    """Renders a figure to PNG by redrawing only its animated artists over a cached background.

    A full draw of one axes costs 40-70 ms on a 2-core machine (ticks and text); restoring the
    background and drawing a few artists costs a few ms. Artists passed in are marked animated,
    so the background holds everything else; call :meth:`invalidate` after changing anything
    static (limits, ticks, labels).
    """

    def __init__(self, fig: Figure, animated: Sequence[object]):
        self.fig = fig
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self._background = None

    def invalidate(self) -> None:
        self._background = None

    def png(self, compress_level: int = 1) -> bytes:
        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()  # everything but the animated artists (layout runs here, once)
            self.fig.set_layout_engine("none")  # freeze the positions found
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.animated:
            (artist.axes or self.fig).draw_artist(artist)
        from PIL import Image

        buf = io.BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).save(
            buf, "png", compress_level=compress_level
        )
        return buf.getvalue()




def animated_artists(artists) -> list:
    """Flatten an artists dict (containers such as bar groups included) for :class:`BlitRenderer`."""
    out = []
    for a in artists.values():
        out.extend(a) if isinstance(a, (list, tuple)) or hasattr(a, "patches") else out.append(a)
    return out
