"""The shared figure and explorer machinery: imported by the lessons' figures and explorers, never by
the core (``import transformer_lab`` stays free of matplotlib and ipywidgets).

- ``figures``: a figure outside pyplot, heatmaps (rows queries, columns keys, masked cells hatched),
  learning curves with every seed, seed dots;
- ``blit``, ``png``: redraw only the artists that move, and encode only the rows that changed;
- ``explorer``: the :class:`Explorer` base class (controls -> compute -> artists -> PNG) and the :class:`Quiz`.
"""

from .blit import BlitRenderer, KeyedBlitRenderer, animated_artists
from .explorer import Explorer, Quiz
from .figures import (
    KEY_LABEL,
    QUERY_LABEL,
    BarCollection,
    as_array,
    figure_png,
    new_figure,
    plot_heatmap,
    plot_heatmaps,
    plot_histories,
    plot_seed_dots,
)
from .png import PngEncoder, encode_png

__all__ = ["BlitRenderer", "KeyedBlitRenderer", "animated_artists", "Explorer", "Quiz", "KEY_LABEL", "QUERY_LABEL",
           "BarCollection", "as_array", "figure_png", "new_figure", "plot_heatmap", "plot_heatmaps", "plot_histories",
           "plot_seed_dots", "PngEncoder", "encode_png"]
