"""The figure of notebook 06's training experiment: every seed's learning curve and final accuracy."""

from __future__ import annotations

from ... import plots
from .experiment import CHANCE

__all__ = ["plot_embedding_training", "COLORS", "short_label"]

COLORS = {"normal": "C3", "normal ×√d": "C1", "scaled_normal": "C7", "scaled_normal ×√d": "C0",
          "scaled_normal, tied": "C2", "scaled_normal ×√d, tied": "C4", "normal ×√d, pre-LN": "C5"}
_INIT_NAMES = {"normal": "N(0,1)", "scaled_normal": "N(0,1/d)", "xavier": "Xavier"}


def short_label(label: str, sep: str = " ") -> str:
    """``"scaled_normal ×√d, tied"`` -> ``"N(0,1/d) ×√d tied"``: the distribution instead of the init's name."""
    return sep.join(_INIT_NAMES.get(word, word) for word in label.replace(",", "").split())


def plot_embedding_training(result):
    """Left: untied models; middle: tied models; held-out accuracy during training (thin: seeds,
    bold: mean). Right: the final accuracy of every seed of every setting."""
    fig = plots.new_figure(11.5, 3.5)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.25]})
    untied = [label for label in result.runs if "tied" not in label]
    tied = [label for label in result.runs if "tied" in label]
    for ax, labels, title in ((axes[0], untied, "untied output layer"), (axes[1], tied, "tied: the output layer is E")):
        plots.plot_histories({short_label(label): result.runs[label].histories for label in labels}, ax=ax, title=title)
        _color_curves(ax, labels)
        ax.set_ylim(0, 1.02)
    finals = {short_label(label, "\n"): result.final(label) for label in result.runs}
    colors = {short: COLORS.get(label, "C0") for short, label in zip(finals, result.runs)}
    plots.plot_seed_dots(finals, ax=axes[2], chance=CHANCE, colors=colors, title="final accuracy, every seed")
    axes[2].set_ylim(0, 1.02)
    return fig


def _color_curves(ax, labels) -> None:
    """``plot_histories`` colours by order (C0, C1, …): give each setting its own colour in every panel.
    Its lines come per label: the seeds' thin lines, then the bold mean line carrying the label."""
    lines = ax.get_lines()
    per_label = len(lines) // len(labels)
    for i, label in enumerate(labels):
        for line in lines[i * per_label:(i + 1) * per_label]:
            line.set_color(COLORS.get(label, line.get_color()))
    ax.legend(fontsize=7, loc="best")
