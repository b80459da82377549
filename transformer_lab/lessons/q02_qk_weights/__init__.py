"""Notebook 02 · why Q and K use different weight matrices: tied against separate W_Q, W_K.

One module per step of the lesson, imported in one direction (compute → figures → explorer):
``analysis`` the inputs, projections and scores (pure functions of tensors and models); ``symmetry`` what tied
scores can and cannot express; ``experiment`` the trained experiments, five seeds, their claims; ``claims`` the
note's claims, checked; ``figures`` its figures and the schematic; ``explorer`` the notebook's explorer.
The notebook imports the core and this package, nothing else.
"""

from . import analysis, symmetry, experiment, claims, figures, explorer
from .analysis import *  # noqa: F401,F403
from .symmetry import *  # noqa: F401,F403
from .experiment import *  # noqa: F401,F403
from .claims import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403

__all__ = [*analysis.__all__, *symmetry.__all__, *experiment.__all__, *claims.__all__, *figures.__all__,
           *explorer.__all__]
