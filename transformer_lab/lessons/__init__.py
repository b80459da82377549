"""One package per lesson: the trained experiments of a notebook, each with its claims over seeds.

``import transformer_lab`` does not import them; a notebook imports its own lesson,
``from transformer_lab.lessons import q03_attention_scores as lesson``. ``make claims``
(``tools/claims.py``) imports them all through :func:`load_all` and replays every experiment
registered with :func:`transformer_lab.evidence.experiment`.

Importing a lesson makes ``torch.testing.assert_close``'s first call cheap (:func:`_lazy_dtensor_check`):
every notebook checks its mechanism against PyTorch with it, and its first call would otherwise cost
about a second of the notebook's 20.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from torch.testing import _comparison

__all__ = ["LESSONS", "load_all"]

LESSONS = (
    "q01_multi_head",
    "q02_qk_weights",
    "q03_attention_scores",
    "q04_padding_mask",
    "q05_head_dim",
    "q06_embedding_scale",
    "q07_sinusoidal_pe",
    "q08_other_pe",
)


def load_all() -> list[ModuleType]:
    """Import every lesson that exists (each registers its experiments)."""
    modules = []
    for name in LESSONS:
        try:
            modules.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    return modules


def _lazy_dtensor_check() -> None:
    """``torch.testing.assert_close`` imports ``torch.distributed.tensor`` on its first call (1.1 s on a
    2-core CPU, sympy included) to unwrap DTensors. No DTensor can exist before that module is
    imported, so the unwrapping is skipped until it is: what ``assert_close`` decides is unchanged
    (``tests/test_import.py`` holds it to that)."""
    unwrap = getattr(_comparison, "_unwrap_dtensor_for_comparison", None)
    if unwrap is None or getattr(unwrap, "lazy", False):  # another torch, or done already
        return

    def lazy(actual, expected):
        if "torch.distributed.tensor" not in sys.modules:
            return actual, expected
        return unwrap(actual, expected)

    lazy.lazy = True
    _comparison._unwrap_dtensor_for_comparison = lazy


_lazy_dtensor_check()
