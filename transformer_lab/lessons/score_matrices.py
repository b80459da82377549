"""Square score matrices, shared by notebooks 02 and 07: the check that a matrix is one, and its asymmetry.

Notebook 02 asks whether tied projections (W_Q = W_K) can score i→j differently from j→i; notebook 07
asks the same of the sinusoidal encoding's dot products. Both answer with one number,
:func:`asymmetry`, defined here once and exported by both lessons.

Shape legend: T positions (queries and keys are the same tokens).
"""

from __future__ import annotations

import torch

from .._checks import check_tensor

__all__ = ["asymmetry"]  # the checks are shared by the lessons' modules, not part of a notebook's surface


def check_square(name: str, s) -> torch.Tensor:
    """A floating tensor ``(..., T, T)``: one square matrix or a batch of them."""
    check_tensor(name, s, floating=True)
    if s.dim() < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(
            f"{name} must be square (T, T), or a batch of square matrices (..., T, T), got shape {tuple(s.shape)}"
        )
    return s


def check_all_finite(name: str, s: torch.Tensor) -> torch.Tensor:
    """Refuse NaN and ±inf (read a score matrix before any mask puts -inf in it)."""
    if not torch.isfinite(s).all():
        raise ValueError(f"{name} contains NaN or ±inf; expected finite values")
    return s


def asymmetry(scores: torch.Tensor) -> torch.Tensor:
    """``‖S − Sᵀ‖_F / ‖S‖_F`` for each ``(T, T)`` matrix of ``scores (..., T, T)`` -> ``(...)``.

    0 for a symmetric matrix (the scores cannot tell i→j from j→i), 2 (the largest possible) for an
    antisymmetric one; an all-zero matrix gives 0. Computed in float64, returned in the scores' dtype;
    a single matrix gives a 0-dim tensor, which formats like a float (``f"{asymmetry(s):.3f}"``).
    """
    check_square("scores", scores)
    check_all_finite("scores", scores)
    s = scores.double()  # (..., T, T)
    num = (s - s.transpose(-2, -1)).flatten(-2).norm(dim=-1)  # (...)
    den = s.flatten(-2).norm(dim=-1)  # (...)
    return torch.where(den > 0, num / den.clamp_min(1e-300), torch.zeros_like(num)).to(scores.dtype)  # (...)
