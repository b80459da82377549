"""Boxes and arrows for the lessons' schematics: one look for every notebook's diagram.

A schematic draws on an axis with limits (0, 1) × (0, 1) and no frame (:func:`blank`); a box is a
label in a rounded frame, sized by its text or given a width and height; an arrow joins two points.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["blank", "box", "arrow"]

EDGE = "0.3"  # the grey of every frame and arrow


def _point(name: str, xy) -> tuple[float, float]:
    if not isinstance(xy, (tuple, list)) or len(xy) != 2 or not all(isinstance(v, (int, float)) for v in xy):
        raise ValueError(f"{name} must be a point (x, y) of two numbers, got {xy!r}")
    return float(xy[0]), float(xy[1])


def blank(ax: Axes) -> Axes:
    """Limits (0, 1) × (0, 1) and no frame, ticks or labels: a canvas for a diagram."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([])  # no ticks to lay out: a diagram draws faster
    ax.set_yticks([])
    ax.axis("off")
    return ax


def box(ax: Axes, xy, text: str, color: str = "white", size: float = 11, wh: tuple[float, float] | None = None):
    """``text`` centred at ``xy`` in a rounded frame filled with ``color``: as large as the text, or
    ``wh = (width, height)`` in axis units."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    x, y = _point("xy", xy)
    if wh is None:
        return ax.text(x, y, text, ha="center", va="center", fontsize=size,
                       bbox={"boxstyle": "round,pad=0.35", "facecolor": color, "edgecolor": EDGE})
    w, h = _point("wh", wh)
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=f"round,pad=0.01,rounding_size={0.15 * min(w, h):g}",
                                facecolor=color, edgecolor=EDGE, lw=1))
    return ax.text(x, y, text, ha="center", va="center", fontsize=size)


def arrow(ax: Axes, start, end, color: str = EDGE, lw: float = 1.2) -> FancyArrowPatch:
    """An arrow from ``start`` to ``end`` (axis units)."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    patch = FancyArrowPatch(_point("start", start), _point("end", end), arrowstyle="-|>", mutation_scale=11,
                            color=color, lw=lw, shrinkA=0, shrinkB=0)
    ax.add_patch(patch)
    return patch
