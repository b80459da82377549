"""Shared figures: data in, figure or axes out. No pyplot state, no ``show()``, no global style changes.

Figures are plain ``matplotlib.figure.Figure`` objects with an Agg canvas, so they render the
same in a notebook (``display(fig)``), in a widget (PNG bytes) and in a headless test. Each
lesson's own figures live in its ``figures.py`` and build on these.

Heatmap convention used everywhere: rows are queries (the position that attends), columns are
keys (the position attended to); masked cells are hatched and marked "masked", not just dark.
"""

from __future__ import annotations

import io
import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = ["QUERY_LABEL", "KEY_LABEL", "new_figure", "figure_png", "as_array", "plot_heatmap", "plot_heatmaps",
           "plot_histories", "plot_seed_dots", "BarCollection", "MIN_FONT_SIZE", "small_text"]

MIN_FONT_SIZE = 9.0  # points: the smallest text a projector shows legibly (matplotlib's default is 10)

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


def small_text(fig: Figure, minimum: float = MIN_FONT_SIZE) -> list[str]:
    """Every visible, non-empty text of ``fig`` smaller than ``minimum`` points, as ``"text (size pt)"``
    (tick labels included, after a draw): what a test asserts is empty."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    fig.canvas.draw()  # tick labels exist only once drawn
    return [f"{t.get_text()!r} ({t.get_fontsize():g} pt)" for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < minimum]


def as_array(x) -> np.ndarray:
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
    m = as_array(matrix)
    if m.ndim != 2:
        raise ValueError(f"matrix must be 2-D (queries, keys), got shape {m.shape}")
    if ax is None:
        ax = new_figure(4.0, 3.4).add_subplot()
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    T, S = m.shape
    ax.set_xticks(*_ticks(S, col_labels), fontsize=MIN_FONT_SIZE)
    ax.set_yticks(*_ticks(T, row_labels), fontsize=MIN_FONT_SIZE)
    ax.set_xlabel(KEY_LABEL if masked is None else KEY_LABEL + "; hatched = masked")
    ax.set_ylabel(QUERY_LABEL)
    if masked is not None:
        mk = as_array(masked).astype(bool)
        if mk.shape != m.shape:
            raise ValueError(f"masked must have the matrix's shape {m.shape}, got {mk.shape}")
        for i, j in zip(*np.nonzero(mk)):  # row i = query, column j = key
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="lightgrey", edgecolor="grey", hatch="xx", lw=0.5))
    if title:
        ax.set_title(title, fontsize=10)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def _ticks(n: int, labels: Sequence[str] | None, most: int = 16) -> tuple[list[int], list]:
    """Tick positions and labels for ``n`` cells: every cell when labelled or few, else at most
    ``most`` evenly spaced positions (so the numbers of a long sequence do not collide)."""
    if labels is not None:
        return list(range(n)), list(labels)
    step = max(1, math.ceil(n / most))
    return list(range(0, n, step)), list(range(0, n, step))


def plot_heatmaps(
    matrices: Mapping[str, object], ncols: int | None = None, fig: Figure | None = None, **kwargs
) -> Figure:
    """One heatmap per entry of ``{title: (T, S) matrix}``, side by side.

    With a common scale (``vmin`` and ``vmax`` given) the panels share one colour bar."""
    n = len(matrices)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    fig = fig or new_figure(3.3 * ncols, 3.0 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    colorbar = kwargs.pop("colorbar", True)
    shared = colorbar and kwargs.get("vmin") is not None and kwargs.get("vmax") is not None
    for ax, (title, m) in zip(axes, matrices.items()):
        plot_heatmap(m, ax, title=title, colorbar=colorbar and not shared, **kwargs)
    for ax in axes[n:]:
        ax.set_visible(False)
    if shared:
        fig.colorbar(axes[0].images[0], ax=list(axes[:n]), shrink=0.8)
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
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE)
    return ax


def plot_seed_dots(values: Mapping[str, Sequence[float]], ax=None, ylabel: str = "final accuracy",
                   title: str | None = None, chance: float | None = None, colors: Mapping[str, str] | None = None):
    """One column per label: a dot per seed, the mean as a bold bar with ±1 standard error.

    ``values[label]`` holds one number per seed (e.g. the final accuracy of each seed); the reader
    sees every seed, not only the mean.
    """
    ax = ax or new_figure(4.5, 3.2).add_subplot()
    for i, (label, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float)
        color = (colors or {}).get(label, f"C{i % 10}")
        jitter = np.linspace(-0.12, 0.12, len(v)) if len(v) > 1 else np.zeros(1)
        ax.scatter(i + jitter, v, s=16, color=color, alpha=0.7, lw=0, zorder=3)
        mean = v.mean()
        se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else 0.0
        ax.errorbar(i, mean, yerr=se, fmt="none", ecolor=color, elinewidth=1.5, capsize=6, zorder=4)
        ax.plot([i - 0.25, i + 0.25], [mean, mean], color=color, lw=2.5, zorder=4)
    if chance is not None:
        ax.axhline(chance, color="grey", ls=":", lw=1)
        ax.text(0.99, chance, " chance", color="grey", fontsize=MIN_FONT_SIZE, va="bottom", ha="right",
                transform=ax.get_yaxis_transform())
    ax.set_xticks(range(len(values)), list(values), fontsize=MIN_FONT_SIZE)
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


class BarCollection(PolyCollection):
    """Bars of ``width`` centred on ``x``, from ``bottom`` up by ``heights``, as ONE artist.

    The same rectangles as ``ax.bar`` (add it with ``ax.add_collection``), but redrawn in one call:
    16 ``Rectangle`` bars cost ~1.7 ms to blit, this ~0.2 ms. :meth:`set_heights` moves them.
    """

    def __init__(self, x, heights, width: float = 0.8, bottom: float = 0.0, **kwargs):
        self._x = np.asarray(x, dtype=float)
        self._width, self._bottom = float(width), float(bottom)
        self._heights = np.zeros(len(self._x))
        super().__init__(self._rectangles(heights), **kwargs)

    def _rectangles(self, heights) -> np.ndarray:
        h = np.asarray(heights, dtype=float)
        if h.shape != self._x.shape:
            raise ValueError(f"heights must hold one value per bar ({len(self._x)}), got shape {h.shape}")
        self._heights = h.copy()
        left, right = self._x - self._width / 2, self._x + self._width / 2
        low, high = np.full_like(h, self._bottom), self._bottom + h
        return np.stack([np.stack([left, low], -1), np.stack([right, low], -1),
                         np.stack([right, high], -1), np.stack([left, high], -1)], axis=1)  # (n, 4, 2)

    def set_heights(self, heights) -> None:
        self.set_verts(self._rectangles(heights))
        self.stale = True

    def get_heights(self) -> np.ndarray:
        return self._heights.copy()
