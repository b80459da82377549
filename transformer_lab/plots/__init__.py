"""Figures: data in, figure or axes out. No pyplot state, no ``show()``, no global style changes.

``base`` holds what every notebook uses (figures, heatmaps, learning curves, the blitting renderer);
one module per notebook topic holds the figures of that notebook's explorer. Everything is
re-exported here: ``from transformer_lab import plots; plots.plot_heatmap(...)``.
"""

from .base import *  # noqa: F401,F403
from .base import __all__ as _base_all
from .scores import *  # noqa: F401,F403
from .scores import __all__ as _scores_all

__all__ = [*_base_all, *_scores_all]
