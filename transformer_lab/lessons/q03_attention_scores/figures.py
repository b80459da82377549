"""The figure of notebook 03's training experiment: every seed's learning curve and final accuracy."""

from __future__ import annotations

from ... import plots

__all__ = ["plot_score_training"]

COLORS = {"additive": "C0", "dot": "C3", "scaled_dot": "C2"}


def plot_score_training(result):
    """Left and middle: held-out accuracy during training at each d_k (thin: seeds, bold: mean).
    Right: the final accuracy of every seed, by score function and d_k."""
    fig = plots.new_figure(11, 3.4)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.2]})
    scores = list(COLORS)
    for ax, d_k in zip(axes, result.d_ks):
        plots.plot_histories({s: result.runs[s, d_k].histories for s in scores}, ax=ax, title=f"d_k = {d_k}")
        for line in ax.get_lines():
            line.set_color(COLORS[line.get_label()] if line.get_label() in COLORS else line.get_color())
        ax.set_ylim(0, 1)
    finals = {f"{s}\nd_k={d}": result.final(s, d) for d in result.d_ks for s in scores}
    colors = {f"{s}\nd_k={d}": COLORS[s] for d in result.d_ks for s in scores}
    plots.plot_seed_dots(finals, ax=axes[2], chance=1 / 8, colors=colors, title="final accuracy, every seed")
    axes[2].set_ylim(0, 1)
    return fig
