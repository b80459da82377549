"""The score-distribution explorer's figure (notebook 03)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from .base import KEY_LABEL, BarCollection, _as_array, new_figure

__all__ = ["SCORE_RANGE", "SCORE_BINS", "score_distribution_figure", "update_score_distribution"]

SCORE_RANGE = 100.0  # x-limits of the score histogram: unscaled scores at d_k=1024 have std 32
SCORE_BINS = 100


def score_distribution_figure(n_keys: int, d_ks: Sequence[int], curves: Mapping[str, Sequence[float]]):
    """Three panels: histogram of scores, one row's softmax weights, entropy against d_k.

    Axis limits are fixed (scores in [-100, 100], fraction per bin on a log scale), so every
    state is drawn on the same axes and only the data artists move. ``curves`` maps a label to
    the mean entropy at each d_k (drawn once). The softmax weights are one
    :class:`~transformer_lab.plots.base.BarCollection` (``artists["bars"].get_heights()``).
    Returns ``(fig, artists)``; :func:`update_score_distribution` moves the artists in place.
    """
    fig = new_figure(10.5, 3.0, dpi=72)
    ax_hist, ax_row, ax_ent = fig.subplots(1, 3)
    edges = np.linspace(-SCORE_RANGE, SCORE_RANGE, SCORE_BINS + 1)
    stairs = ax_hist.stairs(np.full(SCORE_BINS, 1e-9), edges, fill=True, alpha=0.6, color="C0", label="scores")
    (normal,) = ax_hist.plot([], [], "k--", lw=1, label="predicted N(0, Var)")
    ax_hist.set_xlim(-SCORE_RANGE, SCORE_RANGE)
    ax_hist.set_yscale("log")
    ax_hist.set_ylim(1e-3, 1.0)
    ax_hist.set_xlabel("score (q·k, or q·k/√d_k)")
    ax_hist.set_ylabel("fraction of scores per bin")
    ax_hist.legend(fontsize=7, loc="upper right")
    title = ax_hist.set_title(" ", fontsize=9)
    bars = ax_row.add_collection(BarCollection(range(n_keys), np.zeros(n_keys), facecolor="C1", edgecolor="none"))
    ax_row.set_ylim(0, 1)
    ax_row.set_xlabel(KEY_LABEL)
    ax_row.set_ylabel("softmax weight of query 0")
    for i, (label, ys) in enumerate(curves.items()):
        ax_ent.semilogx(d_ks, ys, "o-", ms=3, color=f"C{i + 2}", label=label, base=2)
    ax_ent.axhline(math.log(n_keys), color="grey", lw=0.8, ls=":", label="uniform (log S)")
    (marker,) = ax_ent.plot([], [], "o", ms=11, mfc="none", mec="red", mew=2, label="current")
    ax_ent.set_xlabel("d_k")
    ax_ent.set_ylabel("mean entropy of a row (nats)")
    ax_ent.legend(fontsize=7, loc="lower left")
    return fig, {"stairs": stairs, "normal": normal, "bars": bars, "marker": marker, "title": title}


def update_score_distribution(artists: Mapping[str, object], scores, row_weights, d_k: int, entropy: float,
                              predicted_var: float, title: str) -> None:
    """Move the explorer's artists to a new state (no new artists, no change of limits)."""
    s = _as_array(scores).ravel()
    edges = np.linspace(-SCORE_RANGE, SCORE_RANGE, SCORE_BINS + 1)
    counts, _ = np.histogram(np.clip(s, -SCORE_RANGE, SCORE_RANGE), bins=edges)
    artists["stairs"].set_data(np.maximum(counts / s.size, 1e-9), edges)
    xs = np.linspace(-SCORE_RANGE, SCORE_RANGE, 801)
    sd = math.sqrt(predicted_var)
    width = edges[1] - edges[0]
    mass = width * np.exp(-0.5 * (xs / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    keep = mass > 1e-4
    artists["normal"].set_data(xs[keep], np.minimum(mass[keep], 1.0))
    artists["title"].set_text(title)
    artists["bars"].set_heights(_as_array(row_weights).astype(float))
    artists["marker"].set_data([d_k], [entropy])
