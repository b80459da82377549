"""Notebook 08 · the other positional encodings, and which extrapolate.

One module per step of the lesson, imported in one direction (compute → figures → explorer):
``analysis`` the measurements of a scheme (pure functions of tensors); ``losses`` a trained model's loss
by position and length; ``experiment`` the trained experiment, five seeds, its claims; ``claims`` the
note's claims and the tables beyond the note; ``figures`` its figures; ``diagram`` the schematic; ``explorer``
the notebook's explorer.
The notebook imports the core and this package, nothing else.
"""

from . import analysis, losses, experiment, claims, figures, diagram, explorer
from .analysis import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .experiment import *  # noqa: F401,F403
from .claims import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .diagram import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403

__all__ = [*analysis.__all__, *losses.__all__, *experiment.__all__, *claims.__all__, *figures.__all__,
           *diagram.__all__, *explorer.__all__]
