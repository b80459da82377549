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

from .masks import *  # noqa: F401,F403,E402  (notebook 04)
from .masks import __all__ as _masks_all  # noqa: E402

__all__ += _masks_all

from .embedding import *  # noqa: F401,F403,E402  (notebook 06)
from .embedding import __all__ as _embedding_all  # noqa: E402
from .positional import *  # noqa: F401,F403,E402  (notebook 07)
from .positional import __all__ as _positional_all  # noqa: E402

__all__ += [*_embedding_all, *_positional_all]

from .schemes import *  # noqa: F401,F403,E402  (notebook 08)
from .schemes import __all__ as _schemes_all  # noqa: E402

__all__ += _schemes_all

from .qk import *  # noqa: F401,F403,E402  (notebook 02)
from .qk import __all__ as _qk_all  # noqa: E402

__all__ += _qk_all

from .heads import *  # noqa: F401,F403,E402  (notebooks 01 and 05)
from .heads import __all__ as _heads_all  # noqa: E402

__all__ += _heads_all
