"""Notebook 03 · additive, dot-product and scaled dot-product attention, and why divide by √d_k.

One module per step of the lesson, imported in one direction (compute → figures → explorer):
``analysis`` the √d_k measurements (pure functions of tensors); ``cost`` additive against dot
product in memory and time; ``experiment`` the trained experiment, five seeds, its claims;
``claims`` the note's claims, checked; ``figures`` its figures and the schematic; ``explorer`` the
notebook's explorer.
The notebook imports the core and this package, nothing else.
"""

from . import analysis, cost, experiment, claims, figures, explorer
from .analysis import *  # noqa: F401,F403
from .cost import *  # noqa: F401,F403
from .experiment import *  # noqa: F401,F403
from .claims import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403

__all__ = [*analysis.__all__, *cost.__all__, *experiment.__all__, *claims.__all__, *figures.__all__,
           *explorer.__all__]
