"""The shared figure and explorer machinery: imported by the lessons' figures and explorers, never by
the core (``import transformer_lab`` stays free of matplotlib and ipywidgets).

- ``figures``: a figure outside pyplot, heatmaps (rows queries, columns keys, masked cells hatched),
  learning curves with every seed, seed dots;
- ``blit``, ``png``: redraw only the artists that move, and encode only the rows that changed;
- ``diagram``: boxes and arrows for the lessons' schematics;
- ``explorer``: the :class:`Explorer` base class (controls -> compute -> artists -> PNG) and the :class:`Quiz`.
"""

from .blit import BlitRenderer, KeyedBlitRenderer, animated_artists
from .diagram import arrow, blank, box
from .explorer import Explorer, Quiz
from .figures import (
    KEY_LABEL,
    MIN_FONT_SIZE,
    QUERY_LABEL,
    BarCollection,
    as_array,
    figure_png,
    new_figure,
    plot_heatmap,
    plot_heatmaps,
    plot_histories,
    plot_seed_dots,
    small_text,
)
from .png import PngEncoder, encode_png

__all__ = ["BlitRenderer", "KeyedBlitRenderer", "animated_artists", "Explorer", "Quiz", "KEY_LABEL", "QUERY_LABEL",
           "BarCollection", "as_array", "figure_png", "new_figure", "plot_heatmap", "plot_heatmaps", "plot_histories",
           "plot_seed_dots", "MIN_FONT_SIZE", "small_text", "PngEncoder", "encode_png", "arrow", "blank", "box"]
