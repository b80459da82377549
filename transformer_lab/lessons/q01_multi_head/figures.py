"""The figures of notebook 01's experiment: every seed's learning curve and final accuracy, and what
removing each head costs in every seed."""

from __future__ import annotations

import numpy as np

from ... import plots

__all__ = ["plot_head_count_training", "plot_head_maps", "plot_head_ablation"]


def plot_head_count_training(result):
    """Left: held-out accuracy during training (thin: seeds, bold: mean). Right: every seed's final accuracy."""
    from .experiment import TASK, label

    fig = plots.new_figure(9.6, 3.3)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    plots.plot_histories({label(h): result.runs[h].histories for h in result.heads}, ax=ax1,
                         title="d_model = 16, same parameters; thin lines: seeds")
    ax1.set_ylim(0, 1.02)
    plots.plot_seed_dots({label(h): result.final(h) for h in result.heads}, ax=ax2, chance=1 / TASK.n_out,
                         title="final accuracy, every seed")
    ax2.set_ylim(0, 1.02)
    return fig


def plot_head_maps(result, tokens, seed_index: int = 0):
    """Every head's attention map of the largest model (one seed) on one input ``tokens (T,)``:
    rows = queries, columns = keys, labelled with the tokens; the scored query is the last row."""
    import torch

    from .experiment import TASK

    h = max(result.heads)
    model = result.runs[h].models[seed_index]
    with torch.no_grad():
        _, cache = model(tokens[None], return_cache=True)
    weights = cache["blocks.0.attn.weights"][0]  # (H, T, S)
    labels = TASK.token_labels(tokens)
    ncols = min(h, 4)
    fig = plots.plot_heatmaps({f"head {i}": weights[i] for i in range(h)}, ncols=ncols, row_labels=labels,
                              col_labels=labels, vmin=0, vmax=1, colorbar=False)
    for i, ax in enumerate(fig.axes[:h]):  # labels on the outer panels only: the same tokens everywhere
        if i % ncols:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
        if i < h - ncols:
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
    fig.colorbar(fig.axes[0].images[0], ax=fig.axes[:h], shrink=0.8, label="attention weight")
    return fig


def plot_head_ablation(result):
    """For each multi-head model: the accuracy lost when one head is removed, heads sorted from the
    cheapest to the costliest, one line per seed (bold: the mean over seeds)."""
    from .experiment import label

    models = list(result.drops)
    fig = plots.new_figure(4.4 * len(models) + 0.4, 3.0)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, h in zip(axes, models):
        drops = np.sort(np.asarray(result.drops[h], dtype=float), axis=1)  # (seeds, H), cheapest first
        rank = np.arange(1, h + 1)
        for row in drops:
            ax.plot(rank, row, "o-", color="C1", lw=0.8, ms=3, alpha=0.5)
        ax.plot(rank, drops.mean(0), "o-", color="C1", lw=2.2, ms=4, label="mean over seeds")
        ax.axhline(0.15, color="grey", ls=":", lw=1)
        ax.set_xticks(rank)
        ax.set_ylim(-0.05, 1.0)
        ax.set_xlabel("head removed, sorted from cheapest to costliest")
        ax.set_ylabel("accuracy lost")
        ax.set_title(f"{label(h)}: remove one head at a time (thin: seeds)", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    return fig
