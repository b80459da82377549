"""Notebook 05 · why each head works in d_model/h dimensions: cost, rank, and the head count.

One module per step of the lesson, imported in one direction (compute → figures → explorer):
``cost`` what a head layout costs; ``analysis`` the rank of a head's scores and the low-rank fit (pure
functions of tensors and models); ``experiment`` the trained experiments, five seeds, their claims;
``claims`` the note's claims, checked; ``figures`` its figures (and the schematic); ``explorer`` the
notebook's explorer.
The notebook imports the core and this package, nothing else.
"""

from . import cost, analysis, experiment, claims, figures, explorer
from .cost import *  # noqa: F401,F403
from .analysis import *  # noqa: F401,F403
from .experiment import *  # noqa: F401,F403
from .claims import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403

__all__ = [*cost.__all__, *analysis.__all__, *experiment.__all__, *claims.__all__, *figures.__all__, *explorer.__all__]
