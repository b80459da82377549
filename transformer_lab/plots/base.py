"""Figures: data in, figure or axes out. No pyplot state, no ``show()``, no global style changes.

Figures are plain ``matplotlib.figure.Figure`` objects with an Agg canvas, so they render the
same in a notebook (``display(fig)``), in a widget (PNG bytes) and in a headless test.

Heatmap convention used everywhere: rows are queries (the position that attends), columns are
keys (the position attended to); masked cells are hatched and marked "masked", not just dark.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections import OrderedDict
from typing import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = [
    "new_figure",
    "figure_png",
    "plot_heatmap",
    "plot_heatmaps",
    "plot_variance_vs_dk",
    "plot_saturation",
    "plot_cost",
    "plot_histories",
    "plot_seed_dots",
    "BlitRenderer",
    "encode_png",
    "PngEncoder",
    "animated_artists",
    "BarCollection",
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
        ax.text(0.99, chance, " chance", color="grey", fontsize=8, va="bottom", ha="right",
                transform=ax.get_yaxis_transform())
    ax.set_xticks(range(len(values)), list(values), fontsize=8)
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


# --- fast re-rendering for widgets ----------------------------------------------------------------

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


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _filtered_rows(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Each row of ``a (H, W, 4)`` after a filter-type byte 2 ("up"): minus the row above, modulo 256
    (the row above the first one is zeros)."""
    h, w, _ = a.shape
    rows = a.reshape(h, w * 4)
    if out is None or out.shape != (h, w * 4 + 1):
        out = np.empty((h, w * 4 + 1), np.uint8)
    out[:, 0] = 2
    out[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    return out


def _adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """The Adler-32 of ``a + b`` from those of ``a`` and ``b`` (zlib's adler32_combine)."""
    base = 65521
    rem = len2 % base
    s1 = ((adler1 & 0xFFFF) + (adler2 & 0xFFFF) + base - 1) % base
    s2 = (rem * (adler1 & 0xFFFF) + (adler1 >> 16) + (adler2 >> 16) + base - rem) % base
    return (s2 << 16) | s1


def encode_png(rgba, compress_level: int = 1) -> bytes:
    """PNG bytes of an ``(H, W, 4)`` uint8 RGBA image (a canvas's ``buffer_rgba()``).

    Every row gets PNG filter 2 ("up": minus the row above, one numpy subtraction) and the whole
    image is one zlib stream at ``compress_level``. About three times faster than PIL's encoder
    (which tries every filter on every row) for the same size: a widget frame of 700 x 230 pixels
    takes ~3 ms instead of ~10 ms.
    """
    a = np.asarray(rgba)
    if a.ndim != 3 or a.shape[2] != 4 or a.dtype != np.uint8:
        raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got shape {a.shape} and dtype {a.dtype}")
    h, w, _ = a.shape
    data = _filtered_rows(a)
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits, RGBA, deflate, adaptive filters, no interlace
    return (_PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(data, compress_level))
            + _png_chunk(b"IEND", b""))


class PngEncoder:
    """PNG frames of one canvas that re-compress only the bands of rows that changed.

    The filtered image (as :func:`encode_png`) is cut into bands of ``band_rows`` rows, each
    compressed on its own into a deflate block that ends byte-aligned (``Z_SYNC_FLUSH``), so the
    blocks of the last frame can be reused and concatenated into one valid zlib stream. A widget
    frame often changes a few rows only (a status line, one bar panel): ~1 ms instead of ~3 ms;
    when most rows change it costs what :func:`encode_png` costs, for a few % more bytes.
    """

    def __init__(self, band_rows: int = 16, compress_level: int = 1):
        self.band_rows, self.compress_level = band_rows, compress_level
        self._data, self._shape = None, None
        self._bands: list = []  # (raw bytes, compressed bytes, adler32) per band of the last frame

    def encode(self, rgba) -> bytes:
        a = np.asarray(rgba)
        if a.ndim != 3 or a.shape[2] != 4 or a.dtype != np.uint8:
            raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got shape {a.shape} and dtype {a.dtype}")
        h, w, _ = a.shape
        self._data = data = _filtered_rows(a, self._data)
        starts = range(0, h, self.band_rows)
        if self._shape != (h, w, self.band_rows):  # a new size: nothing to reuse
            self._shape, self._bands = (h, w, self.band_rows), [(None, b"", 1)] * len(starts)
        parts, adler = [b"\x78\x01"], 1  # zlib header: deflate, 32 KiB window
        for i, start in enumerate(starts):
            raw = data[start:start + self.band_rows].tobytes()
            old_raw, packed, band_adler = self._bands[i]
            if raw != old_raw:
                co = zlib.compressobj(self.compress_level, zlib.DEFLATED, -15)
                packed, band_adler = co.compress(raw) + co.flush(zlib.Z_SYNC_FLUSH), zlib.adler32(raw)
                self._bands[i] = (raw, packed, band_adler)
            parts.append(packed)
            adler = _adler32_combine(adler, band_adler, len(raw))
        parts += [b"\x03\x00", struct.pack(">I", adler)]  # an empty final block, then the checksum
        header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
        return _PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b"")


class BlitRenderer:
    """Renders a figure to PNG by redrawing only its animated artists over a cached background.

    A full draw of one axes costs 40-70 ms on a 2-core machine (ticks and text); restoring the
    background and drawing a few artists costs a few ms. Artists passed in are marked animated,
    so the background holds everything else; call :meth:`invalidate` after changing anything
    static (limits, ticks, labels).

    Animated ``Text`` artists (a title or a status line that changes) are drawn first, right over
    the restored background, and the pixels of each string are kept (up to ``text_cache`` of
    them): drawing text costs ~3 ms, putting back its pixels a few µs. So an animated text must
    not overlap the other animated artists (it is drawn under them).
    """

    def __init__(self, fig: Figure, animated: Sequence[object], text_cache: int = 256):
        self.fig = fig
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self.texts = [a for a in self.animated if isinstance(a, Text)]
        self.others = [a for a in self.animated if not isinstance(a, Text)]
        self.text_cache = text_cache
        self.encoder = PngEncoder()
        self._text_pixels: OrderedDict = OrderedDict()  # (background, text, look) -> BufferRegion
        self._background = None

    def invalidate(self) -> None:
        self._background = None
        self._text_pixels.clear()  # drawn over the old background

    def _draw_background(self) -> None:
        canvas = self.fig.canvas
        canvas.draw()  # everything but the animated artists (layout runs here, once)
        self.fig.set_layout_engine("none")  # freeze the positions found
        self._background = canvas.copy_from_bbox(self.fig.bbox)

    def _draw_text(self, text: Text) -> None:
        if not text.get_visible() or not text.get_text():
            return
        key = (self._background, text.get_text(), tuple(text.get_position()), to_rgba(text.get_color()),
               text.get_fontsize(), text.get_horizontalalignment(), text.get_verticalalignment(), text.get_rotation())
        canvas = self.fig.canvas
        pixels = self._text_pixels.get(key)
        if pixels is not None:
            self._text_pixels.move_to_end(key)
            canvas.restore_region(pixels)
            return
        (text.axes or self.fig).draw_artist(text)
        box = Bbox.intersection(text.get_window_extent(canvas.get_renderer()).padded(3), self.fig.bbox)
        if box is None or self.text_cache <= 0:
            return
        self._text_pixels[key] = canvas.copy_from_bbox(box)
        while len(self._text_pixels) > self.text_cache:
            self._text_pixels.popitem(last=False)

    def cache_texts(self, text: Text, strings) -> None:
        """Draw the animated ``text`` once with each of ``strings`` and keep the pixels, so that no
        later update pays for drawing it; then put the canvas back as it was."""
        if text not in self.texts:
            raise ValueError("text must be one of the animated Text artists of this renderer")
        if self._background is None:
            self._draw_background()
        current = text.get_text()
        for s in strings:
            text.set_text(s)
            self.fig.canvas.restore_region(self._background)
            self._draw_text(text)
        text.set_text(current)
        self.render()

    def render(self) -> None:
        """Bring the canvas up to date: the cached background, then the animated artists."""
        if self._background is None:
            self._draw_background()
        else:
            self.fig.canvas.restore_region(self._background)
        for text in self.texts:
            self._draw_text(text)
        for artist in self.others:
            (artist.axes or self.fig).draw_artist(artist)

    def png(self, compress_level: int = 1) -> bytes:
        self.render()
        self.encoder.compress_level = compress_level
        return self.encoder.encode(np.asarray(self.fig.canvas.buffer_rgba()))


def animated_artists(artists) -> list:
    """Flatten an artists dict (containers such as bar groups included) for :class:`BlitRenderer`."""
    out = []
    for a in artists.values():
        out.extend(a) if isinstance(a, (list, tuple)) or hasattr(a, "patches") else out.append(a)
    return out
