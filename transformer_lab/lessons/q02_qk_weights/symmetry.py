"""What tied projections' score matrices can and cannot express: symmetry and positive semidefiniteness.

Taught in ``notebooks/02_qk_weights.ipynb``; the scores come from :mod:`.analysis`.

With one projection ``W`` for queries and keys (``W_Q = W_K``, no bias), the scores are
``S = X W Wᵀ Xᵀ / √d_k``: a Gram matrix, so **symmetric** (``S_ij = S_ji``) and **positive
semidefinite**. Two consequences this module measures:

- symmetry: if the top score of row ``a`` is key ``b`` and vice versa, ``a`` and ``b`` are a
  *mutual* pair. With symmetric scores every sequence has one (the largest off-diagonal entry is
  the top of both its row and its column), so a cycle ``a → b → c → a`` cannot be followed by
  every row at once (:func:`mutual_top_pairs`); :func:`asymmetry` measures how far S is from Sᵀ;
- positive semidefiniteness: ``S_ii = ‖Wx_i‖²/√d_k`` and, by Cauchy-Schwarz,
  ``S_ij ≤ ‖Wx_i‖‖Wx_j‖/√d_k``, so the self-score beats the cross-score whenever
  ``‖Wx_i‖ ≥ ‖Wx_j‖``. Not always otherwise: :func:`self_argmax_rate` measures how often a token
  scores itself highest rather than assuming it. Reformer (Kitaev et al. 2020, arXiv:2001.04451)
  normalises the keys, ``k_j = q_j/‖q_j‖``; then ``q_i·k_j ≤ ‖q_i‖ = q_i·k_i`` for every ``j`` and
  the self-score is always the row maximum, which is why Reformer forbids attention to self.

Shape legend: T positions (queries and keys are the same tokens), Dh head width.
"""

from __future__ import annotations

import torch

from ..._checks import check_bool, check_number, check_tensor
from ..score_matrices import asymmetry, check_all_finite, check_square

__all__ = [
    "asymmetry",  # defined once in transformer_lab.lessons.score_matrices, shared with notebook 07
    "self_argmax_rate",
    "self_beats",
    "top_keys",
    "mutual_top_pairs",
    "symmetric_eigenvalues",
]


def self_argmax_rate(s: torch.Tensor, *, tol: float = 0.0) -> torch.Tensor:
    """Fraction of rows of ``s (..., T, T)`` whose own key has the top score -> ``(...)``.

    Row i counts when ``S_ii >= S_ij - tol`` for every j (a tie counts for self; ties have
    probability 0 with continuous inputs, except where the math makes them exact: with Reformer's
    normalised keys two parallel queries tie, and float rounding may then tip either way, so pass
    a small ``tol`` such as 1e-5). Tied projections make the diagonal large but not necessarily each
    row's maximum: self beats j whenever ``‖q_i‖ ≥ ‖q_j‖`` (Cauchy-Schwarz), not always otherwise.
    """
    check_square("s", s)
    tol = check_number("tol", tol, minimum=0)
    diag = s.diagonal(dim1=-2, dim2=-1)  # (..., T)
    return (diag >= s.amax(dim=-1) - tol).float().mean(dim=-1)  # (...)


def self_beats(q: torch.Tensor) -> torch.Tensor:
    """``(..., T, T)`` bool: entry [i, j] is True when ``q_i·q_i >= q_i·q_j`` (self-score vs key j).

    For tied scores ``S = Q Qᵀ`` this is ``S_ii >= S_ij``; Cauchy-Schwarz makes it True wherever
    ``‖q_i‖ >= ‖q_j‖``, and it can fail where ``‖q_i‖ < ‖q_j‖``.
    """
    check_tensor("q", q, floating=True)
    if q.dim() < 2:
        raise ValueError(f"q must have shape (..., T, Dh), got shape {tuple(q.shape)}")
    s = q @ q.transpose(-2, -1)  # (..., T, T)
    return s.diagonal(dim1=-2, dim2=-1).unsqueeze(-1) >= s  # (..., T, 1) vs (..., T, T)


def top_keys(s: torch.Tensor, exclude_self: bool = False) -> torch.Tensor:
    """Index of each row's top-scoring key, ``(..., T)`` long; ``exclude_self`` skips the diagonal
    (attention to self masked, as in Reformer)."""
    check_square("s", s)
    check_bool("exclude_self", exclude_self)
    if exclude_self and s.shape[-1] < 2:
        raise ValueError(f"exclude_self=True needs at least 2 keys, got shape {tuple(s.shape)}")
    if exclude_self:
        eye = torch.eye(s.shape[-1], dtype=torch.bool, device=s.device)  # (T, T)
        s = s.masked_fill(eye, float("-inf"))
    return s.argmax(dim=-1)  # (..., T)


def mutual_top_pairs(s: torch.Tensor, exclude_self: bool = True) -> torch.Tensor:
    """Number of pairs ``i < j`` that are each other's top key, for each matrix -> ``(...)`` long.

    With symmetric scores and self excluded there is always at least one (the pair holding the
    largest off-diagonal score), whatever the weights: so a relation in which no pair points back
    at each other (a cycle a → b → c → a) always gets at least one row wrong.
    """
    top = top_keys(s, exclude_self)  # (..., T)
    back = top.gather(-1, top)  # (..., T): the top key of my top key
    i = torch.arange(s.shape[-1], device=s.device)  # (T,)
    return ((back == i) & (top != i) & (i < top)).sum(dim=-1)  # (...)


def symmetric_eigenvalues(s: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of the symmetric part ``(S + Sᵀ)/2``, largest first, ``(..., T)``.

    For tied projections S is symmetric, so these are S's own eigenvalues: all ``>= 0`` (PSD), and
    at most ``d_k`` of them non-zero (rank ``<= d_k``). For separate projections the symmetric part
    usually has negative eigenvalues: ``xᵀ S x`` can be negative.
    """
    check_square("s", s)
    check_all_finite("s", s)  # eigvalsh fails with an unreadable error otherwise
    sym = (s + s.transpose(-2, -1)) / 2  # (..., T, T)
    return torch.linalg.eigvalsh(sym.double()).flip(-1).to(s.dtype)  # (..., T), descending
