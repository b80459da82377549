"""ipywidgets explorers: controls -> a compute function -> artists moved in place -> a PNG.

``base`` holds the :class:`Explorer` base class and the :class:`Quiz`; one module per notebook
topic holds that notebook's explorer. Everything is re-exported here.
"""

from .base import Explorer, Quiz
from .scores import ScoreDistributionExplorer

__all__ = ["Explorer", "Quiz", "ScoreDistributionExplorer"]
