"""The figure of notebook 06's training experiment: every seed's learning curve and final accuracy."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ... import viz
from ...viz.figures import MIN_FONT_SIZE, BarCollection, new_figure
from .analysis import embedding_variance, positional_norm
from .experiment import CHANCE

__all__ = ['plot_embedding_training', 'COLORS', 'short_label', 'SIZE_RANGE', 'RATIO_RANGE', 'embedding_scale_figure',
           'embedding_scale_moving', 'update_embedding_scale', 'plot_norm_ratios', 'plot_first_step', 'schematic']


COLORS = {"normal": "C3", "normal ×√d": "C1", "scaled_normal": "C7", "scaled_normal ×√d": "C0",
          "scaled_normal, tied": "C2", "scaled_normal ×√d, tied": "C4", "normal ×√d, pre-LN": "C5"}
_INIT_NAMES = {"normal": "N(0,1)", "scaled_normal": "N(0,1/d)", "xavier": "Xavier"}


def short_label(label: str, sep: str = " ") -> str:
    """``"scaled_normal ×√d, tied"`` -> ``"N(0,1/d) ×√d tied"``: the distribution instead of the init's name."""
    return sep.join(_INIT_NAMES.get(word, word) for word in label.replace(",", "").split())


def plot_embedding_training(result):
    """Left: untied models; middle: tied models; held-out accuracy during training (thin: seeds,
    bold: mean). Right: the final accuracy of every seed of every setting."""
    fig = viz.new_figure(12.5, 4.3)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.55]})  # room for 7 two-line labels at 9 pt
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
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)  # below, off the data


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
    fig = new_figure(11.0, 3.5, dpi=72)
    ax_size, ax_ratio = fig.subplots(1, 2, gridspec_kw={"width_ratios": [0.8, 1.2]})
    bars = ax_size.add_collection(BarCollection(range(3), [0.0] * 3, bottom=_BAR_BOTTOM, facecolor=["C1", "C4", "grey"],
                                                edgecolor="none"))  # one artist for the three bars
    ax_size.set_yscale("log")
    ax_size.set_ylim(*SIZE_RANGE)
    ax_size.set_xticks(range(3), SIZE_LABELS, fontsize=MIN_FONT_SIZE)
    ax_size.set_ylabel("size (log scale)")
    ax_size.set_title("what the first layer receives", fontsize=10)
    lines = {}
    for (init, scale), ys in curves.items():
        (lines[(init, scale)],) = ax_ratio.plot(  # two lines coincide (N(0,1) and N(0,1/d) ×√d): each keeps
            d_models, ys, "-" if scale else "--", color=_INIT_COLORS[init], lw=1.4,  # its own markers, both visible
            marker="s" if scale else "D", ms=4 if scale else 8, mfc=_INIT_COLORS[init] if scale else "none",
            label=f"{_INIT_NAMES[init]}{' ×√d' if scale else ''}",
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
    ax_ratio.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    ax_ratio.set_title("above the band: tokens drown positions; below: the reverse", fontsize=10)
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


def plot_norm_ratios(d_models: Sequence[int], curves: Mapping[str, Sequence[float]], title: str | None = None):
    """``‖token‖ / ‖PE‖`` against d_model (log-log), one line per label, with the band where the two
    are within 3× of each other. Two panels, without and with ×√d (a label containing "×√d" goes
    right): N(0, 1) without the scale and N(0, 1/d) with it both sit at √2 at every width, so on one
    panel one line would hide the other. A label starting with an init name (``"normal ×√d"``) gets
    that init's colour in both panels; the legend is outside, on the right. Returns the figure."""
    fig = new_figure(9.0, 3.4)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, scaled, panel in ((axes[0], False, "without ×√d"), (axes[1], True, "with ×√d")):
        for i, (label, ys) in enumerate(curves.items()):
            if ("×√d" in label) != scaled:
                continue
            init = label.split()[0]
            ax.plot(d_models, ys, "o-", ms=4, lw=1.8, color=_INIT_COLORS.get(init, f"C{i}"),
                    label=_INIT_NAMES.get(init, init))
        ax.axhspan(1 / 3, 3, color="grey", alpha=0.15, lw=0, label="within 3×")
        ax.axhline(np.sqrt(2), color="black", lw=0.8, ls=":", label="√2")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("d_model")
        ax.set_title(panel, fontsize=10)
    axes[0].set_ylabel("‖token embedding‖ / ‖PE‖")
    axes[1].legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0.0)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_first_step(labels: Sequence[str], changes: Sequence[float], sizes: Sequence[float], ax=None):
    """One Adam step: how far the input embeddings moved (RMS) next to their size (RMS), per setting."""
    ax = ax or new_figure(5.5, 3.2).add_subplot()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, sizes, 0.4, label="RMS of the input embedding", color="C7")
    ax.bar(x + 0.2, changes, 0.4, label="RMS change after one Adam step", color="C1")
    ax.set_yscale("log")
    ax.set_xticks(x, labels, fontsize=MIN_FONT_SIZE)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def schematic():
    """The size of a token embedding next to the positional encoding, with and without ×√d_model,
    at the base model's width d_model = 512 and a vocabulary of 32000.

    For each initialisation (PyTorch's N(0, 1), Xavier at V = 32000, N(0, 1/d)), two bars: the
    norm of a token embedding, √(d·Var), without and with the scale; the dashed line is
    ‖PE(pos)‖ = √(d/2), the band within 3× of it. Closed forms only: no sampling, no training.
    """
    d_model, vocab_size = 512, 32000
    fig = Figure(figsize=(7.2, 3.4), dpi=80)  # a fixed layout: one drawing pass instead of two
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.095, 0.1, 0.6, 0.8))
    pe = positional_norm(d_model)
    ax.axhspan(pe / 3, pe * 3, color="grey", alpha=0.15, lw=0, label="within 3× of ‖PE‖")
    ax.axhline(pe, color="C4", lw=1.5, ls="--", label=f"‖PE(pos)‖ = √(d/2) = {pe:.0f}")
    for i, init in enumerate(("normal", "xavier", "scaled_normal")):
        for k, scale in enumerate((False, True)):
            norm = float(np.sqrt(d_model * embedding_variance(init, vocab_size, d_model, scale)))
            x = i + (k - 0.5) * 0.38
            ax.bar(x, norm, 0.34, bottom=0.01, color=_INIT_COLORS[init], alpha=1.0 if scale else 0.45,
                   edgecolor="black" if scale else "none", lw=0.8,
                   label=("token, ×√d (dark)" if scale else "token, no scale (light)") if i == 0 else None)
            ax.text(x, norm * 1.25, f"{norm:.3g}", ha="center", va="bottom", fontsize=MIN_FONT_SIZE)
    ax.set_yscale("log")
    ax.set_ylim(0.01, 5e3)
    ax.set_xticks(range(3), ["PyTorch N(0, 1)", f"Xavier (V = {vocab_size:,})", "N(0, 1/d)"], fontsize=MIN_FONT_SIZE)
    ax.set_ylabel("norm (log scale)")
    ax.set_title(f"d_model = {d_model}: a token embedding against the positional encoding", fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig
