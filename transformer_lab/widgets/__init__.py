"""ipywidgets explorers: controls -> a compute function -> artists moved in place -> a PNG.

``base`` holds the :class:`Explorer` base class and the :class:`Quiz`; one module per notebook
topic holds that notebook's explorer. Everything is re-exported here.
"""

from .base import Explorer, Quiz
from .scores import ScoreDistributionExplorer

__all__ = ["Explorer", "Quiz", "ScoreDistributionExplorer"]

from .masks import PaddingMaskExplorer  # noqa: E402  (notebook 04)

__all__ += ["PaddingMaskExplorer"]

from .embedding import EmbeddingScaleExplorer  # noqa: E402  (notebook 06)
from .positional import PositionalEncodingExplorer  # noqa: E402  (notebook 07)

__all__ += ["EmbeddingScaleExplorer", "PositionalEncodingExplorer"]

from .schemes import PositionalSchemeExplorer  # noqa: E402  (notebook 08)

__all__ += ["PositionalSchemeExplorer"]

from .qk import SymmetricQKExplorer  # noqa: E402  (notebook 02)

__all__ += ["SymmetricQKExplorer"]

from .heads import HeadCostExplorer, HeadPatternExplorer  # noqa: E402  (notebooks 01 and 05)

__all__ += ["HeadCostExplorer", "HeadPatternExplorer"]
