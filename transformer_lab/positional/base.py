"""The positional seam: a scheme adds to the input, rotates q and k, or biases the scores.

The base class does nothing, so "no positional encoding" (NoPE) is an object, not an ``if``.
Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_int, check_tensor

__all__ = ["PositionalScheme", "NoPositional", "TablePositional"]


def _check_sizes(**sizes) -> None:
    """The model sizes a scheme is built from are ints >= 1, whether or not the scheme uses them."""
    for name, value in sizes.items():
        check_int(name, value)


class PositionalScheme(nn.Module):
    """No-op base: each hook returns its input unchanged (after checking it). Subclasses override one hook.

    Every hook accepts an empty sequence (T = 0 or S = 0) and then returns an empty result.
    """

    name = "none"

    @classmethod
    def build(cls, *, d_model: int, max_len: int, n_heads: int, head_dim: int) -> "PositionalScheme":
        """Construct from the model's sizes; subclasses take what they need."""
        _check_sizes(d_model=d_model, max_len=max_len, n_heads=n_heads, head_dim=head_dim)
        return cls()

    def add_to_input(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, D) -> (B, T, D)
        check_tensor("x", x, floating=True)
        return x

    def rotate_qk(self, q: torch.Tensor, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_tensor("q", q, floating=True)
        check_tensor("k", k, floating=True)
        return q, k  # (B, H, T, Dh), (B, H, S, Dh)

    def score_bias(self, T: int, S: int) -> torch.Tensor | None:  # -> (H, T, S) or None
        check_int("T", T, minimum=0)
        check_int("S", S, minimum=0)
        return None


class NoPositional(PositionalScheme):
    """No positional information at all (NoPE): attention is then permutation-equivariant."""


class TablePositional(PositionalScheme):
    """A ``(max_len, D)`` table added to the input; sequences longer than the table are refused."""

    table: torch.Tensor

    def add_to_input(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, ndim=3, floating=True)
        T, L = x.shape[1], self.table.shape[0]
        if T > L:
            raise ValueError(
                f"sequence length {T} exceeds the {self.name} table's max_len={L}; "
                "build the scheme with a larger max_len"
            )
        if x.shape[-1] != self.table.shape[1]:
            raise ValueError(f"x must have width D = {self.table.shape[1]}, got shape {tuple(x.shape)}")
        return x + self.table[:T]  # (B, T, D) + (T, D)


