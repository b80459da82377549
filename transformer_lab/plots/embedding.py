"""The embedding-scale explorer's figure (notebook 06), and its static companions."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .base import BarCollection, new_figure

__all__ = [
    "SIZE_RANGE",
    "RATIO_RANGE",
    "embedding_scale_figure",
    "embedding_scale_moving",
    "update_embedding_scale",
    "plot_norm_ratios",
    "plot_first_step",
]

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
    :class:`~transformer_lab.plots.base.BarCollection` from the bottom of the axis.
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
