"""Notebook 08's schematic: where each family of positional schemes enters one attention layer."""

from __future__ import annotations

from matplotlib.figure import Figure

from ...viz.diagram import arrow, box
from ...viz.figures import new_figure

__all__ = ["FAMILY_COLOURS", "schematic"]


FAMILY_COLOURS = {"input": "#fde0c5", "rotate": "#cfe3f3", "bias": "#d5ecd4", "none": "#eeeeee"}


def schematic() -> Figure:
    """Notebook 08 at a glance: where each positional scheme enters one attention layer.

    Bottom to top: token ids → embedding, where the absolute schemes are **added to the input**
    (learned table, sinusoids, the note's [0, 1] and raw-index codes); W_Q, W_K, W_V; **q and k
    rotated** by RoPE; the scores q·kᵀ/√d_k, where Shaw, T5 and ALiBi add **a bias**; the causal
    mask (all NoPE has); softmax; the weighted sum of v. No training: a drawing."""
    fig = new_figure(11.0, 4.4, dpi=80)
    fig.set_layout_engine("none")  # a diagram: fixed margins, one drawing pass, no text measured twice
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.04)
    ax.axis("off")
    c = FAMILY_COLOURS
    h = 0.12
    for x, y, w, label, colour in (  # the layer, bottom row first
        (0.08, 0.3, 0.13, "token ids", "white"),
        (0.27, 0.3, 0.16, "embedding\n+ position", c["input"]),
        (0.48, 0.3, 0.15, "$W_Q$, $W_K$, $W_V$", "white"),
        (0.9, 0.3, 0.1, "v", "white"),
        (0.48, 0.54, 0.15, "q, k (rotated)", c["rotate"]),
        (0.48, 0.78, 0.17, "$q\\cdot k^\\top/\\sqrt{d_k}$ + bias", c["bias"]),
        (0.72, 0.78, 0.15, "causal mask,\nsoftmax", c["none"]),
        (0.9, 0.78, 0.12, "Σ weight · v", "white"),
    ):
        box(ax, (x, y), label, colour, size=10, wh=(w, h))
    for start, end in (((0.145, 0.3), (0.19, 0.3)), ((0.35, 0.3), (0.405, 0.3)), ((0.555, 0.3), (0.85, 0.3)),
                       ((0.48, 0.36), (0.48, 0.48)), ((0.48, 0.6), (0.48, 0.72)), ((0.565, 0.78), (0.645, 0.78)),
                       ((0.795, 0.78), (0.84, 0.78)), ((0.9, 0.36), (0.9, 0.72))):
        arrow(ax, start, end)
    for (x, y), text, colour, target in (
        ((0.27, 0.08), "ADDED TO THE INPUT: learned table,\nsinusoidal, [0, 1] code, raw index", c["input"], (0.27, 0.24)),
        ((0.72, 0.54), "ROTATES q AND k: RoPE\n$q_m^\\top k_n$ sees $m-n$ only", c["rotate"], (0.555, 0.54)),
        ((0.17, 0.78), "A BIAS ON THE SCORES: Shaw\n(clipped offset), T5 (log buckets),\n"
                       "ALiBi ($-m_h|i-j|$)", c["bias"], (0.395, 0.78)),
        ((0.72, 0.99), "NONE (NoPE): only the causal mask tells order", c["none"], (0.72, 0.84)),
    ):
        ax.text(x, y, text, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.35", facecolor=colour, edgecolor="grey", lw=0.8))
        ax.annotate("", xy=target, xytext=(x if target[0] == x else (x + (0.13 if target[0] > x else -0.13)),
                                           y if target[0] != x else y + (0.05 if target[1] > y else -0.05)),
                    arrowprops=dict(arrowstyle="-|>", color="grey", lw=1, ls="--"))
    return fig
