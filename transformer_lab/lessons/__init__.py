"""One package per lesson: the trained experiments of a notebook, each with its claims over seeds.

``import transformer_lab`` does not import them; a notebook imports its own lesson,
``from transformer_lab.lessons import q03_attention_scores as lesson``. ``make claims``
(``tools/claims.py``) imports them all through :func:`load_all` and replays every experiment
registered with :func:`transformer_lab.evidence.experiment`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

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
