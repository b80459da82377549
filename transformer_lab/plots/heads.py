"""Figures of the head layout (notebooks 01 and 05): the explorers' per-head attention map and
head ablation, the cost of a layout against h, each head's score spectrum, and the h sweep. The
figures of the trained experiments (every seed) are in the lessons' ``figures.py``."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from .base import KEY_LABEL, QUERY_LABEL, BlitRenderer, _as_array, new_figure

__all__ = [
    "head_pattern_figure",
    "set_token_labels",
    "update_head_pattern",
    "KeyedBlitRenderer",
    "head_cost_figure",
    "update_head_cost",
    "plot_head_sweep",
    "SV_FLOOR",
]

SV_FLOOR = 1e-17  # normalised singular values are drawn no lower than this (float64 zero is ~1e-16)


# --- notebook 01: one head's attention map and what removing each head costs ---------------------

def head_pattern_figure(seq_len: int, max_heads: int, chance: float | None = None):
    """Left: one head's attention map ``(T, T)`` (rows = queries, columns = keys); the scored query
    row is outlined and the two keys it must read are marked. Right: accuracy with each head
    removed, against the intact model. Returns ``(fig, artists)``; limits and colour scale (weights
    in [0, 1]) are fixed, so :func:`update_head_pattern` only moves artists. The tick labels (the
    input's tokens) are static: set them with :func:`set_token_labels`, then re-render the
    background (:class:`KeyedBlitRenderer` keeps one background per input; ``fig.axes[0].xaxis``
    and ``.yaxis`` are the part that changes).
    """
    T = seq_len
    fig = new_figure(9.5, 3.5, dpi=72)
    ax_map, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    edges = np.arange(T + 1) - 0.5  # cell (i, j) centred on (x=j, y=i); a mesh blits ~3x faster than imshow
    image = ax_map.pcolormesh(edges, edges, np.zeros((T, T)), cmap="viridis", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax_map, shrink=0.85, label="attention weight")
    ax_map.set_xticks(range(T), [f"{j}\n" for j in range(T)], fontsize=8)
    ax_map.set_yticks(range(T), [f"{i}: " for i in range(T)], fontsize=8)
    ax_map.set_xlabel(KEY_LABEL)
    ax_map.set_ylabel(QUERY_LABEL)
    ax_map.set_xlim(-0.5, T - 0.5)
    ax_map.set_ylim(T - 0.5, -0.5)
    ax_map.set_aspect("equal")
    outline = ax_map.add_patch(Rectangle((-0.5, T - 1.5), T, 1, fill=False, edgecolor="white", lw=1.5, ls="--"))
    (found,) = ax_map.plot([], [], "o", ms=15, mfc="none", mec="red", mew=2, label="key found by content")
    (previous,) = ax_map.plot([], [], "s", ms=15, mfc="none", mec="orange", mew=2, label="key one back")
    ax_map.legend(handles=[found, previous], fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                  frameon=False)

    bars = ax_bar.bar(range(max_heads), np.zeros(max_heads), color="C0")
    ax_bar.set_xticks(range(max_heads), [f"h{i}" for i in range(max_heads)], fontsize=8)
    ax_bar.set_xlim(-0.6, max_heads - 0.4)
    ax_bar.set_ylim(0, 1.05)
    ax_bar.set_xlabel("head removed (head_mask = 0); selected: red")
    ax_bar.set_ylabel("accuracy without that head")
    (baseline,) = ax_bar.plot([-0.6, max_heads - 0.4], [np.nan, np.nan], color="k", lw=1.5, label="all heads")
    handles = [baseline]
    if chance is not None:
        handles.append(ax_bar.axhline(chance, color="grey", ls=":", lw=1, label="chance"))
    ax_bar.legend(handles=handles, fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False)
    # the outline and the frame are drawn after the image, as a full draw would: blitted with it
    return fig, {"image": image, "outline": outline, "spines": list(ax_map.spines.values()), "found": found,
                 "previous": previous, "bars": bars, "baseline": baseline}


def set_token_labels(fig, labels: Sequence[str]) -> None:
    """Label the map's key columns and query rows with the input's tokens (static: re-render after)."""
    ax_map = fig.axes[0]
    ax_map.set_xticklabels([f"{j}\n{t}" for j, t in enumerate(labels)])
    ax_map.set_yticklabels([f"{i}: {t}" for i, t in enumerate(labels)])


def update_head_pattern(artists: Mapping[str, object], weights, found: int | None, previous: int | None,
                        ablated, baseline: float, selected: int) -> None:
    """Move the explorer's artists: the map ``weights (T, T)``, the relation markers on the last row,
    and the ablation bars (``ablated (H,)``; bars past H are hidden; the selected head is red)."""
    w = _as_array(weights)
    artists["image"].set_array(w)
    T = w.shape[0]
    artists["found"].set_data([found] if found is not None else [], [T - 1] if found is not None else [])
    artists["previous"].set_data([previous] if previous is not None else [], [T - 1] if previous is not None else [])
    acc = _as_array(ablated)
    for i, bar in enumerate(artists["bars"]):
        shown = i < len(acc)
        bar.set_visible(shown)
        bar.set_height(float(acc[i]) if shown else 0.0)
        bar.set_color("C3" if i == selected else "C0")
    artists["baseline"].set_ydata([baseline, baseline])


class KeyedBlitRenderer(BlitRenderer):
    """A :class:`~transformer_lab.plots.base.BlitRenderer` that keeps one cached background per key.

    For a static part that changes with one control only (the token tick labels change with the
    input). ``keyed`` are the artists of that part (the map's two axes: ticks, tick labels, axis
    labels): they are left out of the shared background, which is drawn once, and drawn over it
    once per key, ~20 ms instead of a full draw of ~70 ms. Later renders of a key only restore its
    background and draw the animated artists. Without ``keyed``, the first render of a key draws
    the whole figure; with no key at all it is a plain blit renderer.
    """

    def __init__(self, fig, animated, keyed=()):
        super().__init__(fig, animated)
        self.keyed = list(keyed)
        for artist in self.keyed:
            artist.set_animated(True)  # out of the shared background
        self._shared = None
        self._backgrounds: dict = {}
        self.key = None

    def invalidate(self) -> None:
        super().invalidate()
        self._shared = None
        self._backgrounds.clear()

    def use(self, key, prepare=None) -> None:
        """Switch to ``key``: ``prepare()`` sets the static artists for it (so the figure always
        matches what is shown), then its cached background is restored, or drawn on the next render."""
        if key == self.key:
            return
        self.key = key
        if prepare is not None:
            prepare()
        self._background = self._backgrounds.get(key)

    def draw_backgrounds(self, keys, prepare) -> None:
        """Draw and keep the background of every key now (``prepare(key)`` sets its static artists),
        so that no later update pays for one; then come back to the current key."""
        current = self.key
        for key in keys:
            self.use(key, lambda: prepare(key))
            if self._background is None:
                self._draw_background()
        if current is not None:
            self.use(current, lambda: prepare(current))
        self.render()  # the canvas shows the current key again

    def _draw_background(self) -> None:
        if self._shared is None or not self.keyed:
            super()._draw_background()  # everything but the animated and the keyed artists; layout once
            self._shared = self._background
        else:
            self.fig.canvas.restore_region(self._shared)
        if self.keyed:
            for artist in self.keyed:
                (artist.axes or self.fig).draw_artist(artist)
            self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        if self.key is not None:
            self._backgrounds[self.key] = self._background


# --- notebook 05: cost against h, and each head's score spectrum -----------------------------------

def head_cost_figure(hs: Sequence[int], curves: Mapping[str, Sequence[float]], seq_len: int, max_heads: int):
    """Left: cost relative to one head against h (``curves[label]``, log-log, drawn once), with
    markers at the current h. Right: each head's singular values of its score matrix, normalised by
    the largest, against their index 1..n (log scale, floor :data:`SV_FLOOR`), with a line at d_k.
    Returns ``(fig, artists)``."""
    n = seq_len
    fig = new_figure(10.0, 3.3, dpi=72)
    ax_cost, ax_sv = fig.subplots(1, 2)
    styles = ["o-", "s--", "^-", "v--", "d:"]
    for i, (label, ys) in enumerate(curves.items()):
        ax_cost.plot(hs, ys, styles[i % len(styles)], ms=4, color=f"C{i}", label=label)
    ax_cost.set_xscale("log", base=2)
    ax_cost.set_yscale("log", base=2)
    ax_cost.set_xticks(list(hs), [str(h) for h in hs])
    top = max(max(ys) for ys in curves.values())
    ax_cost.set_ylim(0.5, top * 2)
    ys = [2.0**k for k in range(0, int(np.log2(top)) + 2)]
    ax_cost.set_yticks(ys, [f"×{y:g}" for y in ys])  # plain text: mathtext tick labels are slow to lay out
    ax_cost.minorticks_off()
    ax_cost.set_xlabel("number of heads h (d_model fixed)")
    ax_cost.set_ylabel("cost relative to h = 1")
    ax_cost.set_title("cost of one layer (markers: the current layout)", fontsize=9)
    ax_cost.legend(fontsize=7, loc="upper left")
    (marker,) = ax_cost.plot([], [], "o", ms=12, mfc="none", mec="red", mew=2)

    spectra = LineCollection([np.zeros((0, 2))] * max_heads, colors=[f"C{i % 10}" for i in range(max_heads)], lw=1.2)
    ax_sv.add_collection(spectra)
    ax_sv.set_yscale("log")
    ax_sv.set_ylim(SV_FLOOR / 3, 3.0)
    ticks = [10.0**k for k in range(-16, 1, 4)]
    ax_sv.set_yticks(ticks, [f"1e{k}" if k else "1" for k in range(-16, 1, 4)])
    ax_sv.minorticks_off()
    ax_sv.set_xlim(0.5, n + 0.5)
    ax_sv.axhspan(SV_FLOOR / 3, 1e-12, color="lightgrey", alpha=0.5, lw=0)
    ax_sv.text(n + 0.3, 1e-14, "numerically zero", ha="right", va="center", fontsize=7, color="dimgrey")
    ax_sv.set_xlabel("singular value index i (of the n × n score matrix)")
    ax_sv.set_ylabel("σ_i / σ_1, one line per head")
    ax_sv.set_title("each head's score spectrum (dashed: d_k)", fontsize=9)
    (dk_line,) = ax_sv.plot([np.nan, np.nan], [SV_FLOOR / 3, 3.0], "k--", lw=1)
    return fig, {"marker": marker, "spectra": spectra, "dk_line": dk_line}


def update_head_cost(artists: Mapping[str, object], marker_xy: tuple[Sequence[float], Sequence[float]], spectra,
                     d_k: int) -> None:
    """Move the markers, the per-head spectra (``spectra (H, n)`` normalised) and the d_k line."""
    artists["marker"].set_data(*marker_xy)
    sv = np.maximum(_as_array(spectra), SV_FLOOR)  # (H, n)
    idx = np.arange(1, sv.shape[1] + 1)
    artists["spectra"].set_segments([np.column_stack([idx, row]) for row in sv])
    artists["dk_line"].set_xdata([d_k + 0.5, d_k + 0.5])


# --- static figures ---------------------------------------------------------------------------------

def plot_head_sweep(hs: Sequence[int], metrics: Mapping[str, Sequence[float]], per_seed=None, d_model=None, ax=None):
    """Accuracy against the number of heads at fixed d_model (log2 x axis, d_k under each tick);
    ``per_seed[label]`` (optional) adds each seed as a small dot."""
    ax = ax or new_figure(4.8, 3.3).add_subplot()
    for i, (label, ys) in enumerate(metrics.items()):
        ax.plot(hs, ys, "o-", color=f"C{i}", lw=2, label=label)
        if per_seed is not None and label in per_seed:
            for h, seeds in zip(hs, per_seed[label]):
                ax.plot([h] * len(seeds), seeds, ".", color=f"C{i}", alpha=0.5)
    ax.set_xscale("log", base=2)
    ticks = [f"{h}\n(d_k={d_model // h})" if d_model else str(h) for h in hs]
    ax.set_xticks(list(hs), ticks, fontsize=8)
    ax.set_xlabel("number of heads h (d_model fixed)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    return ax
