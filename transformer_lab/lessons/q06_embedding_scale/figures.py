"""The figure of notebook 06's training experiment: every seed's learning curve and final accuracy."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ... import viz
from ...viz.figures import BarCollection, new_figure
from .experiment import CHANCE

__all__ = ['plot_embedding_training', 'COLORS', 'short_label', 'SIZE_RANGE', 'RATIO_RANGE', 'embedding_scale_figure', 'embedding_scale_moving', 'update_embedding_scale', 'plot_norm_ratios', 'plot_first_step']


COLORS = {"normal": "C3", "normal ×√d": "C1", "scaled_normal": "C7", "scaled_normal ×√d": "C0",
          "scaled_normal, tied": "C2", "scaled_normal ×√d, tied": "C4", "normal ×√d, pre-LN": "C5"}
_INIT_NAMES = {"normal": "N(0,1)", "scaled_normal": "N(0,1/d)", "xavier": "Xavier"}


def short_label(label: str, sep: str = " ") -> str:
    """``"scaled_normal ×√d, tied"`` -> ``"N(0,1/d) ×√d tied"``: the distribution instead of the init's name."""
    return sep.join(_INIT_NAMES.get(word, word) for word in label.replace(",", "").split())


def plot_embedding_training(result):
    """Left: untied models; middle: tied models; held-out accuracy during training (thin: seeds,
    bold: mean). Right: the final accuracy of every seed of every setting."""
    fig = viz.new_figure(11.5, 3.5)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.25]})
    untied = [label for label in result.runs if "tied" not in label]
    tied = [label for label in result.runs if "tied" in label]
    for ax, labels, title in ((axes[0], untied, "untied output layer"), (axes[1], tied, "tied: the output layer is E")):
        viz.plot_histories({short_label(label): result.runs[label].histories for label in labels}, ax=ax, title=title)
        _color_curves(ax, labels)
        ax.set_ylim(0, 1.02)
    finals = {short_label(label, "\n"): result.final(label) for label in result.runs}
    colors = {short: COLORS.get(label, "C0") for short, label in zip(finals, result.runs)}
    viz.plot_seed_dots(finals, ax=axes[2], chance=CHANCE, colors=colors, title="final accuracy, every seed")
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


SIZE_RANGE = (1e-3, 3e3)  # y-limits of the sizes panel: Xavier at V=128k, D=16 is ~0.016; N(0,1)·√1024 is 1024
RATIO_RANGE = (1e-3, 1e2)  # y-limits of the ratio panel
_BAR_BOTTOM = SIZE_RANGE[0]
SIZE_LABELS = ("‖token embedding‖", "‖PE(pos)‖", "tied logit std")
_INIT_COLORS = {"normal": "C3", "xavier": "C2", "scaled_normal": "C0"}
VOCAB_DEPENDENT = ("xavier",)  # the inits whose ratio curve moves with the vocabulary size (2 / (V + D))


def embedding_scale_figure(d_models: Sequence[int], curves: Mapping[tuple[str, bool], Sequence[float]]):
    """Two panels with fixed log axes.

    Left: three bars, the mean norm of a token embedding as the model sees it, the norm of a
    positional encoding, and the std of the initial logits if the output layer is tied.
    Right: ``‖token‖ / ‖PE‖`` against d_model, one line per (init, scale) from ``curves``
    (solid = ×√d_model, dashed = not), the band where the two are within 3× of each other shaded,
    and the current setting circled. Returns ``(fig, artists)``; the lines are artists too, because
    Xavier's depend on the vocabulary size (:func:`embedding_scale_moving` lists the ones that move;
    they and the marker are drawn over the static lines). The bars are one
    :class:`~transformer_lab.viz.figures.BarCollection` from the bottom of the axis.
    """
    fig = new_figure(9.5, 3.3, dpi=72)
    ax_size, ax_ratio = fig.subplots(1, 2, gridspec_kw={"width_ratios": [0.8, 1.2]})
    bars = ax_size.add_collection(BarCollection(range(3), [0.0] * 3, bottom=_BAR_BOTTOM, facecolor=["C1", "C4", "grey"],
                                                edgecolor="none"))  # one artist for the three bars
    ax_size.set_yscale("log")
    ax_size.set_ylim(*SIZE_RANGE)
    ax_size.set_xticks(range(3), SIZE_LABELS, fontsize=8)
    ax_size.set_ylabel("size (log scale)")
    ax_size.set_title("what the first layer receives", fontsize=9)
    lines = {}
    for (init, scale), ys in curves.items():
        (lines[(init, scale)],) = ax_ratio.plot(  # dashed lines drawn thick: two of them coincide with solid ones
            d_models, ys, "-" if scale else "--", color=_INIT_COLORS[init], lw=1.4 if scale else 3.0,
            alpha=1.0 if scale else 0.6, label=f"{init}{' ×√d' if scale else ''}",
            zorder=2.01 if init in VOCAB_DEPENDENT else 2,  # over the static lines, as when blitted
        )
    ax_ratio.set_xscale("log", base=2)
    ax_ratio.set_yscale("log")
    ax_ratio.axhspan(1 / 3, 3, color="grey", alpha=0.15, lw=0, label="within 3×")
    (marker,) = ax_ratio.plot([], [], "o", ms=11, mfc="none", mec="black", mew=2, label="current", zorder=2.02)
    ax_ratio.set_xlim(min(d_models) / 1.2, max(d_models) * 1.2)
    ax_ratio.set_ylim(*RATIO_RANGE)
    ax_ratio.set_xlabel("d_model")
    ax_ratio.set_ylabel("‖token embedding‖ / ‖PE‖")
    ax_ratio.legend(fontsize=7, loc="lower left", ncol=2)
    ax_ratio.set_title("above the band: tokens drown positions; below: the reverse", fontsize=9)
    return fig, {"bars": bars, "marker": marker, **{f"line {i} {s}": line for (i, s), line in lines.items()}}


def embedding_scale_moving(artists: Mapping[str, object]) -> list:
    """The artists of :func:`embedding_scale_figure` that move with a control, in drawing order: the
    bars, the ratio lines of the vocabulary-dependent inits, the marker (the other lines are static)."""
    lines = [a for name, a in artists.items() if name.startswith("line ") and name.split()[1] in VOCAB_DEPENDENT]
    return [artists["bars"], *lines, artists["marker"]]


def update_embedding_scale(artists: Mapping[str, object], sizes: Sequence[float], d_model: int, ratio: float,
                           curves: Mapping[tuple[str, bool], Sequence[float]] | None = None) -> None:
    """Move the artists: bar heights ``sizes`` (token norm, PE norm, logit std), the marker at
    ``(d_model, ratio)``, and (when given) the ratio lines' new y-values."""
    artists["bars"].set_heights([float(np.clip(value, *SIZE_RANGE)) - _BAR_BOTTOM for value in sizes])
    artists["marker"].set_data([d_model], [ratio])
    for (init, scale), ys in (curves or {}).items():
        artists[f"line {init} {scale}"].set_ydata(ys)


def plot_norm_ratios(d_models: Sequence[int], curves: Mapping[str, Sequence[float]], ax=None, title: str | None = None):
    """``‖token‖ / ‖PE‖`` against d_model, one line per label (log-log), with the 3× band.

    A label starting with an init name (``"normal ×√d"``) gets that init's colour; "×√d" in the
    label draws it solid, otherwise dashed."""
    ax = ax or new_figure(5.0, 3.4).add_subplot()
    for i, (label, ys) in enumerate(curves.items()):
        scaled = "×√d" in label  # dashed lines thick and behind: two settings coincide (N(0,1) and N(0,1/d)×√d)
        color = _INIT_COLORS.get(label.split()[0], f"C{i}")
        ax.plot(d_models, ys, "o-" if scaled else "o--", ms=3, color=color, label=label,
                lw=1.4 if scaled else 3.0, alpha=1.0 if scaled else 0.6, zorder=3 if scaled else 2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.axhspan(1 / 3, 3, color="grey", alpha=0.15, lw=0, label="within 3×")
    ax.set_xlabel("d_model")
    ax.set_ylabel("‖token embedding‖ / ‖PE‖")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_first_step(labels: Sequence[str], changes: Sequence[float], sizes: Sequence[float], ax=None):
    """One Adam step: how far the input embeddings moved (RMS) next to their size (RMS), per setting."""
    ax = ax or new_figure(5.5, 3.2).add_subplot()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, sizes, 0.4, label="RMS of the input embedding", color="C7")
    ax.bar(x + 0.2, changes, 0.4, label="RMS change after one Adam step", color="C1")
    ax.set_yscale("log")
    ax.set_xticks(x, labels, fontsize=8)
    ax.legend(fontsize=8)
    return ax
