"""Notebook 04 · how padding is masked in the attention scores.

One module per step of the lesson, imported in one direction (compute → figures → explorer):
``analysis`` the fills and the attention that leaks past them; ``fully_masked`` what a row with no key
becomes under each fill and API; ``invariance`` padding invariance, the loss and the pooling (pure
functions of tensors and models); ``claims`` the note's claims, checked; ``figures`` its figures and
schematic; ``explorer`` the notebook's explorer.
The notebook imports the core and this package, nothing else.
"""

from . import analysis, fully_masked, invariance, claims, figures, explorer
from .analysis import *  # noqa: F401,F403
from .fully_masked import *  # noqa: F401,F403
from .invariance import *  # noqa: F401,F403
from .claims import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403

__all__ = [*analysis.__all__, *fully_masked.__all__, *invariance.__all__, *claims.__all__, *figures.__all__,
           *explorer.__all__]
