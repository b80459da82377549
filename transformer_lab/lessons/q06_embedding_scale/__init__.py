"""Notebook 06 · why the embeddings are multiplied by √d_model.

One module per step of the lesson, imported in one direction (compute → figures → explorer):
``analysis`` the measurements (pure functions of tensors and models); ``experiment`` the trained
experiment, five seeds, its claims; ``claims`` the note's claims, checked; ``figures`` its figures and
schematic; ``explorer`` the notebook's explorer.
The notebook imports the core and this package, nothing else.
"""

from . import analysis, experiment, claims, figures, explorer
from .analysis import *  # noqa: F401,F403
from .experiment import *  # noqa: F401,F403
from .claims import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403

__all__ = [*analysis.__all__, *experiment.__all__, *claims.__all__, *figures.__all__, *explorer.__all__]
