"""Absolute positions added to the input: the sinusoidal table and a learned table.

Taught in ``notebooks/07_sinusoidal_pe.ipynb`` (sinusoidal) and ``notebooks/08_other_pe.ipynb``.
Shape legend: L table length (max_len), D model width.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_positive_int
from .base import TablePositional

__all__ = ["sinusoidal_encoding", "SinusoidalPositional", "LearnedPositional"]


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The table of Vaswani et al. 2017 §3.5, ``(max_len, d_model)``.

    ``PE[pos, 2i] = sin(pos / base^(2i/d))`` and ``PE[pos, 2i+1] = cos(pos / base^(2i/d))``.
    """
    check_positive_int("max_len", max_len)
    check_positive_int("d_model", d_model)
    if d_model % 2:
        raise ValueError(f"d_model must be even (sin/cos pairs), got {d_model}")
    if not base > 1:
        raise ValueError(f"base must be > 1, got {base}")
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (L, 1)
    inv_freq = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (D/2,)
    angles = pos * inv_freq  # (L, D/2)
    pe = torch.stack([angles.sin(), angles.cos()], dim=-1)  # (L, D/2, 2)
    return pe.reshape(max_len, d_model).float()  # (L, D): sin, cos interleaved



class SinusoidalPositional(TablePositional):
    """Fixed sinusoids added to the input (no parameters)."""

    name = "sinusoidal"

    def __init__(self, d_model: int, max_len: int, base: float = 10000.0):
        super().__init__()
        self.register_buffer("table", sinusoidal_encoding(max_len, d_model, base), persistent=False)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(d_model, max_len)


class LearnedPositional(TablePositional):
    """A learned absolute table (BERT, GPT-2), initialised N(0, 0.02²); cannot go past ``max_len``."""

    name = "learned"

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        check_positive_int("d_model", d_model)
        check_positive_int("max_len", max_len)
        self.table = nn.Parameter(torch.randn(max_len, d_model) * 0.02)  # (L, D)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(d_model, max_len)
