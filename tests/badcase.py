"""The row type of the bad-input tables (``tests/cases_bad_*.py``), collected by ``test_bad_inputs.py``.

One row is one bad input to one public name::

    Bad("masked_softmax", "mask", "int64 tensor",
        lambda: tl.masked_softmax(r(3, 4), torch.ones(3, 4, dtype=torch.long)),
        TypeError, r"bool")

- ``target``: the public name under test, as a user reaches it: ``"masked_softmax"`` (from
  ``transformer_lab``), ``"MultiHeadAttention.forward"`` (a method), ``"evidence.every_seed"`` (a
  submodule's function), ``"lessons.q04_padding_mask.PaddingMaskExplorer"`` (a lesson's constructor).
- ``arg``: the argument the message must name, spelled as the message spells it (``"mask"``,
  ``"ModelConfig.d_model"``, ``"masks[1]"``).
- ``bad``: the bad value, in a few words (it becomes part of the test id).
- ``call``: a zero-argument callable that passes the bad value.
- ``exc``: the exception type expected (``TypeError`` for a wrong type, ``ValueError`` for a wrong value).
- ``expect``: a regex the message must match, saying what was expected (``r"bool"``, ``r">= 1"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Bad"]


@dataclass(frozen=True)
class Bad:
    target: str
    arg: str
    bad: str
    call: Callable[[], object]
    exc: type
    expect: str

    @property
    def id(self) -> str:
        return f"{self.target}: {self.arg}={self.bad}"
