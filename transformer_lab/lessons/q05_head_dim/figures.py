"""The figures of notebook 05's experiments: the low-rank fit of every seed, and the head-count sweep."""

from __future__ import annotations

import numpy as np

from ... import plots

__all__ = ["plot_low_rank_fits", "plot_head_sweep_seeds"]

FLOOR = 1e-6  # a KL that reached 0 is drawn here (log axis)


def plot_low_rank_fits(result):
    """KL(target ‖ best fit found) against d_k for both targets: thin lines are seeds, bold their
    mean; dashed: d_k = n - 1; dotted: the exact floor of d_k = 1 on a one-key pattern."""
    from ...heads import one_key_kl_bound

    ax = plots.new_figure(5.2, 3.3).add_subplot()
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
    from ..q01_multi_head.experiment import D_MODEL

    fig = plots.new_figure(9.6, 3.3)
    ax1, ax2 = fig.subplots(1, 2)
    hs = list(result.heads)
    metrics = {"final accuracy": [float(np.mean(result.final(h))) for h in hs],
               "mean accuracy over training": [float(np.mean(result.curve(h))) for h in hs]}
    per_seed = {"final accuracy": [result.final(h) for h in hs],
                "mean accuracy over training": [result.curve(h) for h in hs]}
    plots.plot_head_sweep(hs, metrics, per_seed=per_seed, d_model=D_MODEL, ax=ax1)
    plots.plot_histories({f"h={h}, d_k={D_MODEL // h}": result.runs[h].histories for h in hs}, ax=ax2,
                         title="learning curves (thin: seeds)")
    ax2.set_ylim(0, 1.02)
    return fig
