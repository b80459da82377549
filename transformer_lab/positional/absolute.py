"""Absolute positions added to the input: the sinusoidal table and a learned table.

Taught in ``notebooks/07_sinusoidal_pe.ipynb`` (sinusoidal) and ``notebooks/08_other_pe.ipynb``.
Shape legend: L table length (max_len), D model width.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_int
from .base import TablePositional

__all__ = [
    "sinusoidal_encoding",
    "sinusoidal_frequencies",
    "sinusoidal_wavelengths",
    "relative_shift_matrix",
    "pe_dot_products",
    "SinusoidalPositional",
    "LearnedPositional",
]


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The table of Vaswani et al. 2017 §3.5, ``(max_len, d_model)``.

    ``PE[pos, 2i] = sin(pos / base^(2i/d))`` and ``PE[pos, 2i+1] = cos(pos / base^(2i/d))``.
    """
    check_int("max_len", max_len)
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (L, 1)
    inv_freq = sinusoidal_frequencies(d_model, base)  # (D/2,)
    angles = pos * inv_freq  # (L, D/2)
    pe = torch.stack([angles.sin(), angles.cos()], dim=-1)  # (L, D/2, 2)
    return pe.reshape(max_len, d_model).float()  # (L, D): sin, cos interleaved


def sinusoidal_frequencies(d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The angular frequency of each sin/cos pair, ``ω_i = base^(-2i/D)``, ``(D/2,)`` float64.

    Pair i (dimensions 2i and 2i+1) turns by ω_i radians per position; the frequencies fall
    geometrically from 1 (pair 0) to base^(-(D-2)/D) (the last pair).
    """
    check_int("d_model", d_model)
    if d_model % 2:
        raise ValueError(f"d_model must be even (sin/cos pairs), got {d_model}")
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        raise TypeError(f"base must be a number > 1, got {type(base).__name__} {base!r}")
    if not base > 1:
        raise ValueError(f"base must be > 1, got {base}")
    if base == math.inf:
        raise ValueError(f"base must be a finite number > 1, got {base}")
    return float(base) ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (D/2,)


def sinusoidal_wavelengths(d_model: int, base: float = 10000.0) -> torch.Tensor:
    """Wavelength of each sin/cos pair in positions, ``2π / ω_i = 2π·base^(2i/D)``, ``(D/2,)``.

    A geometric progression from 2π towards base·2π (§3.5 of Vaswani et al. 2017). It stops one
    step short: the last pair's wavelength is 2π·base^((D-2)/D), below base·2π.
    """
    return 2 * math.pi / sinusoidal_frequencies(d_model, base)  # (D/2,)


def relative_shift_matrix(k: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The ``(D, D)`` matrix ``M_k`` with ``PE(pos + k) = M_k · PE(pos)`` for every pos.

    Block-diagonal: pair i is rotated by the angle k·ω_i,
    ``[sin(a + kω); cos(a + kω)] = [[cos kω, sin kω], [-sin kω, cos kω]] · [sin a; cos a]``.
    It depends on k only, not on pos: the linear relation §3.5 of Vaswani et al. 2017 hoped the
    model would exploit. ``M_k`` is orthogonal and ``M_{-k} = M_kᵀ``. float64.
    """
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int offset (positive, zero or negative), got {type(k).__name__} {k!r}")
    angle = k * sinusoidal_frequencies(d_model, base)  # (D/2,)
    c, s = angle.cos(), angle.sin()  # (D/2,)
    blocks = torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)  # (D/2, 2, 2)
    return torch.block_diag(*blocks)  # (D, D)


def pe_dot_products(max_len: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """``PE(i)·PE(j)`` for every pair of positions, ``(L, L)`` float64: rows i (query), columns j (key).

    Equal to ``Σ_i cos((j - i)·ω_i)``: it depends on the offset j - i only, and not on its sign.
    The diagonal is ‖PE‖² = D/2.
    """
    check_int("max_len", max_len)
    angles = torch.arange(max_len, dtype=torch.float64)[:, None] * sinusoidal_frequencies(d_model, base)  # (L, D/2)
    pe = torch.cat([angles.sin(), angles.cos()], dim=-1)  # (L, D) float64, pairs regrouped: same dot products
    return pe @ pe.T  # (L, D) @ (D, L) -> (L, L)



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
        check_int("d_model", d_model)
        check_int("max_len", max_len)
        self.table = nn.Parameter(torch.randn(max_len, d_model) * 0.02)  # (L, D)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(d_model, max_len)
