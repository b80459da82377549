"""The figures of notebook 02's training experiments: every seed's curve and final accuracy, and
where the trained heads attend."""

from __future__ import annotations

import torch

from ... import plots

__all__ = ["plot_cyclic", "plot_partner"]


def _curves_and_dots(result, ax_curves, ax_dots, title: str, chance: float):
    variants = list(result.runs)
    plots.plot_histories({v: result.runs[v].histories for v in variants}, ax=ax_curves, title=title)
    ax_curves.set_ylim(0, 1.02)
    plots.plot_seed_dots({v.replace(" + ", "\n+ "): result.final(v) for v in variants}, ax=ax_dots, chance=chance,
                         title="final accuracy, every seed")
    ax_dots.set_ylim(0, 1.02)


def _ceiling(ax, ceiling: float) -> None:
    ax.axhline(ceiling, color="grey", ls="--", lw=1)
    ax.text(0.01, ceiling + 0.015, "symmetric ceiling", fontsize=8, color="grey", transform=ax.get_yaxis_transform())


def plot_cyclic(result):
    """Top: held-out accuracy during training (thin: seeds, bold: mean) and every seed's final
    accuracy, with the symmetric ceiling. Bottom: each variant's attention weights between keys,
    averaged over the held-out sequences and the seeds (the cycle 0 → 1 → 2 → 3 → 0 is the band
    right of the diagonal, wrapping at the corner)."""
    fig = plots.new_figure(11, 6.4)
    grid = fig.add_gridspec(2, 6, height_ratios=[1, 1])
    ax_c, ax_d = fig.add_subplot(grid[0, :3]), fig.add_subplot(grid[0, 3:])
    _curves_and_dots(result, ax_c, ax_d, "cyclic successor (a → b, nothing points back)", chance=1 / 8)
    for ax in (ax_c, ax_d):
        _ceiling(ax, result.ceiling)
    ax_c.legend(fontsize=8, loc="lower right")
    K = next(iter(result.attention.values()))[0]["by_key"].shape[0]
    names = [f"key {i}" for i in range(K)]
    for i, (variant, per_seed) in enumerate(result.attention.items()):
        ax = fig.add_subplot(grid[1, 2 * i:2 * i + 2])
        by_key = torch.stack([d["by_key"] for d in per_seed]).mean(0)  # (K, K): query key -> attended key
        masked = torch.eye(K, dtype=torch.bool) if variant == "tied + self-mask" else None
        last = i == len(result.attention) - 1
        plots.plot_heatmap(by_key, ax, row_labels=names, col_labels=names, masked=masked, vmin=0, vmax=1,
                           title=f"{variant}: mean weights, {len(per_seed)} seeds", colorbar=last)  # one scale for all
        ax.set_ylabel("query item, by its key" if i == 0 else "")
        ax.set_xlabel("attended item, by its key")
    return fig


def plot_partner(result):
    """Held-out accuracy during training (thin: seeds, bold: mean) and every seed's final accuracy."""
    fig = plots.new_figure(9, 3.2)
    ax_c, ax_d = fig.subplots(1, 2)
    _curves_and_dots(result, ax_c, ax_d, "partner (a ↔ b, symmetric)", chance=1 / 8)
    ax_c.legend(fontsize=8, loc="lower right")
    return fig
