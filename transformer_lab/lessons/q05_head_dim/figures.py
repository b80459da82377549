"""The figures of notebook 05's experiments: the low-rank fit of every seed, and the head-count sweep."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection

from ... import viz
from ...viz.figures import as_array, new_figure
from ..head_layouts import D_MODEL
from .analysis import one_key_kl_bound

__all__ = ["plot_low_rank_fits", "plot_head_sweep_seeds"]

FLOOR = 1e-6  # a KL that reached 0 is drawn here (log axis)


def plot_low_rank_fits(result):
    """KL(target ‖ best fit found) against d_k for both targets: thin lines are seeds, bold their
    mean; dashed: d_k = n - 1; dotted: the exact floor of d_k = 1 on a one-key pattern."""
    ax = viz.new_figure(5.2, 3.3).add_subplot()
    for i, (target, rows) in enumerate(result.kl.items()):
        kl = np.maximum(np.asarray(rows, dtype=float), FLOOR)  # (seeds, K)
        for row in kl:
            ax.plot(result.d_ks, row, color=f"C{i}", lw=0.7, alpha=0.5)
        ax.plot(result.d_ks, kl.mean(0), "o-", color=f"C{i}", lw=2, label=target)
    ax.axvline(result.n - 1, color="grey", ls="--", lw=1, label=f"d_k = n − 1 = {result.n - 1}")
    ax.axhline(one_key_kl_bound(result.n), color="C1", ls=":", lw=1, label="least KL of d_k = 1, one key per query")
    ax.set_yscale("log")
    ax.set_xticks(result.d_ks)
    ax.set_xlabel(f"head width d_k (n = {result.n} positions)")
    ax.set_ylabel("KL(target ‖ fitted pattern), nats")
    ax.set_title("best fit found by Adam; thin lines: seeds", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return ax.figure


def plot_head_sweep_seeds(result):
    """Left: final accuracy and mean accuracy over training against h (bold: mean, dots: seeds).
    Right: the learning curves (thin: seeds, bold: mean)."""
    fig = viz.new_figure(9.6, 3.3)
    ax1, ax2 = fig.subplots(1, 2)
    hs = list(result.heads)
    metrics = {"final accuracy": [float(np.mean(result.final(h))) for h in hs],
               "mean accuracy over training": [float(np.mean(result.curve(h))) for h in hs]}
    per_seed = {"final accuracy": [result.final(h) for h in hs],
                "mean accuracy over training": [result.curve(h) for h in hs]}
    plot_head_sweep(hs, metrics, per_seed=per_seed, d_model=D_MODEL, ax=ax1)
    viz.plot_histories({f"h={h}, d_k={D_MODEL // h}": result.runs[h].histories for h in hs}, ax=ax2,
                         title="learning curves (thin: seeds)")
    ax2.set_ylim(0, 1.02)
    return fig


# --- the explorer's figure: cost against h and each head's score spectrum; the h sweep ---------------

SV_FLOOR = 1e-17  # normalised singular values are drawn no lower than this (float64 zero is ~1e-16)


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
    sv = np.maximum(as_array(spectra), SV_FLOOR)  # (H, n)
    idx = np.arange(1, sv.shape[1] + 1)
    artists["spectra"].set_segments([np.column_stack([idx, row]) for row in sv])
    artists["dk_line"].set_xdata([d_k + 0.5, d_k + 0.5])


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
