"""The note's two naive position codes, added to the input: position scaled into [0, 1], and the raw index.

Taught in ``notebooks/08_other_pe.ipynb`` (the source note's question 8, schemes one and two).

Both give one number per position, ``p_t``. To add a number to a D-wide embedding it needs a
direction; we use ``u = (+1, -1, +1, -1, …)``, so the code of position t is ``p_t·u``. The direction
has mean zero on purpose: pre-LayerNorm subtracts the mean over D, so adding ``p_t`` to every
coordinate alike would be erased before attention ever saw it.

- :class:`NormalizedPositional`: ``p_t = t / (T - 1)``, in [0, 1] whatever the length. The size of one
  step, ``1/(T - 1)``, depends on the sequence length, so the same offset has different codes in
  sequences of different lengths.
- :class:`IndexPositional`: ``p_t = t``. Unbounded: ``‖t·u‖ = t·√D`` dwarfs a token embedding
  (``≈ √D`` under N(0, 1)), and longer sequences bring values never seen in training.

Shape legend: B batch, T positions, D model width.
"""

from __future__ import annotations

import torch

from .._checks import check_int, check_tensor
from .base import PositionalScheme

__all__ = ["alternating_direction", "normalized_positions", "index_positions", "NormalizedPositional", "IndexPositional"]


def alternating_direction(d_model: int) -> torch.Tensor:
    """``u = (+1, -1, +1, …)`` of length D: mean zero (for even D), so LayerNorm keeps it. ``(D,)``."""
    check_int("d_model", d_model, minimum=2)
    return 1.0 - 2.0 * (torch.arange(d_model) % 2).float()  # (D,)


def normalized_positions(T: int) -> torch.Tensor:
    """``t / (T - 1)`` for ``t = 0 … T-1``: evenly spaced in [0, 1] (a single position is 0). ``(T,)``."""
    check_int("T", T)
    return torch.arange(T, dtype=torch.float32) / max(T - 1, 1)  # (T,)


def index_positions(T: int) -> torch.Tensor:
    """The raw index ``0, 1, …, T-1`` as floats. ``(T,)``."""
    check_int("T", T)
    return torch.arange(T, dtype=torch.float32)  # (T,)


class _ScalarPositional(PositionalScheme):
    """Adds ``p_t·u`` to the input; subclasses define ``p_t``. No parameters, no length limit."""

    def __init__(self, d_model: int):
        super().__init__()
        self.register_buffer("direction", alternating_direction(d_model), persistent=False)  # (D,)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(d_model)

    def positions(self, T: int) -> torch.Tensor:
        raise NotImplementedError

    def add_to_input(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, ndim=3, floating=True)
        if x.shape[-1] != self.direction.shape[0]:
            raise ValueError(f"x must have width D = {self.direction.shape[0]}, got shape {tuple(x.shape)}")
        T = x.shape[1]
        p = self.positions(max(T, 1))[:T]  # (T,): an empty sequence (T = 0) gets an empty code
        code = p.to(x.dtype)[:, None] * self.direction.to(x.dtype)  # (T, 1) * (D,) -> (T, D)
        return x + code  # (B, T, D)


class NormalizedPositional(_ScalarPositional):
    """The note's scheme one: ``(t / (T - 1))·u``; the step between neighbours shrinks as T grows."""

    name = "normalized"

    def positions(self, T: int) -> torch.Tensor:
        return normalized_positions(T)


class IndexPositional(_ScalarPositional):
    """The note's scheme two: ``t·u``; unbounded, and larger than the token embeddings from t ≈ 1."""

    name = "index"

    def positions(self, T: int) -> torch.Tensor:
        return index_positions(T)
