"""What the sinusoidal encoding can and cannot tell a model: separation, distance, direction.

Taught in ``notebooks/07_sinusoidal_pe.ipynb``. The encoding itself (table, frequencies,
wavelengths, the shift matrix M_k, the dot products) lives in
:mod:`transformer_lab.positional.absolute`; this module measures its properties:

- how many leading dimensions it takes to tell ``max_len`` positions apart, with "apart" made
  precise as a minimum pairwise distance;
- the profile ``PE(0)·PE(k)`` against the offset k, and where it first stops falling;
- how much of a ``(T, S)`` score matrix is a function of the offset alone, and how asymmetric it is,
  before and after projections by W_Q and W_K (Yan et al. 2019, TENER, arXiv:1911.04474).

Shape legend: L positions (max_len), D model width, Dh head width, T query positions, S key positions.
"""

from __future__ import annotations

import math

import torch

from ..._checks import check_int, check_number, check_tensor
from ...positional.absolute import pe_dot_products, sinusoidal_encoding, sinusoidal_frequencies
from ...randomness import make_generator
from ..score_matrices import asymmetry, check_all_finite

__all__ = [
    "min_pairwise_distance",
    "separation_by_leading_dims",
    "leading_dims_to_separate",
    "offset_profile",
    "first_rise",
    "offset_only_fraction",
    "asymmetry",  # defined once in transformer_lab.lessons.score_matrices, shared with notebook 02
    "projected_pe_scores",
]


def min_pairwise_distance(x: torch.Tensor) -> float:
    """Smallest Euclidean distance between two different rows of ``x (N, D)`` (N >= 2)."""
    check_tensor("x", x, ndim=2, floating=True)
    if x.shape[0] < 2:
        raise ValueError(f"x must have at least 2 rows to compare, got shape {tuple(x.shape)}")
    check_all_finite("x", x)  # O(N·D), next to the O(N²·D) distances
    return torch.pdist(x.double()).min().item()  # over the N(N-1)/2 pairs


def separation_by_leading_dims(max_len: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """``(D,)`` float64: entry n-1 is the smallest distance between two of the ``max_len``
    positions when only the first n dimensions of the encoding are kept.

    It can only grow with n (adding a dimension never brings two points closer), so "the smallest
    n that tells positions apart" is well defined once "apart" has a threshold.
    """
    check_int("max_len", max_len, minimum=2)
    pe = sinusoidal_encoding(max_len, d_model, base).double()  # (L, D)
    diff2 = (pe[:, None, :] - pe[None, :, :]) ** 2  # (L, L, D)
    dist = diff2.cumsum(-1).sqrt()  # (L, L, D): distance using the first n dims
    dist = dist + torch.diag(torch.full((max_len,), float("inf"), dtype=torch.float64))[..., None]
    return dist.flatten(0, 1).min(0).values  # (D,)


def leading_dims_to_separate(max_len: int, d_model: int, threshold: float, base: float = 10000.0) -> int | None:
    """The smallest n such that every two of ``max_len`` positions are at least ``threshold``
    apart using only the first n dimensions of the encoding; None if all D dimensions do not do it.

    ``threshold`` makes "tell apart" precise: distinct in exact arithmetic is not enough for a
    model whose inputs carry token embeddings and noise of a comparable size.
    """
    check_number("threshold", threshold, above=0)  # a minimum distance between two positions
    check_int("max_len", max_len, minimum=2)
    pe = sinusoidal_encoding(max_len, d_model, base).double()  # (L, D)

    def separated(n: int) -> bool:  # every two positions >= threshold apart using dims [0, n)
        return torch.pdist(pe[:, :n]).min().item() >= threshold

    if not separated(d_model):
        return None
    lo, hi = 1, d_model  # the separation only grows with n: bisect for the first n that separates
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if separated(mid) else (mid + 1, hi)
    return lo


def offset_profile(max_offset: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """``PE(pos)·PE(pos + k)`` for k = 0 … ``max_offset``, ``(max_offset + 1,)`` float64.

    The same for every pos: ``Σ_i cos(k·ω_i)``, a sum of cosines (Yan et al. 2019, Eq. 6).
    """
    check_int("max_offset", max_offset)
    k = torch.arange(max_offset + 1, dtype=torch.float64)  # (K,)
    return torch.cos(k[:, None] * sinusoidal_frequencies(d_model, base)).sum(-1)  # (K, D/2) -> (K,)


def first_rise(values: torch.Tensor, min_step: float = 0.0) -> int | None:
    """The first index k >= 1 with ``values[k] - values[k - 1] > min_step``; None if there is none.

    Applied to :func:`offset_profile` it answers "is the product monotonic in the distance?"
    (``min_step = 0``); with ``min_step`` > 0, "where does it rise by more than a ripple?" (the first
    rises are tiny: at d = 512 the first one, at k = 44, is below 1e-4 of ‖PE‖²).
    """
    check_tensor("values", values, ndim=1, floating=True)
    check_number("min_step", min_step, minimum=0)
    check_all_finite("values", values)  # a NaN compares False and would hide a rise
    rises = torch.nonzero(values[1:] - values[:-1] > min_step)
    return int(rises[0, 0]) + 1 if len(rises) else None


def offset_only_fraction(scores: torch.Tensor) -> float:
    """How much of a square ``(T, T)`` score matrix is a function of the offset j - i alone.

    The matrix is replaced by the mean of each diagonal (a Toeplitz matrix); the result is
    ``1 - ‖S - Toeplitz(S)‖² / ‖S - mean(S)‖²``: 1 when the scores depend on the offset only
    (the raw sinusoidal products), near 0 when the offset explains nothing.
    """
    check_tensor("scores", scores, ndim=2, floating=True)
    T, S = scores.shape
    if T != S or T < 2:
        raise ValueError(f"scores must be a square (T, T) matrix with T >= 2, got shape {tuple(scores.shape)}")
    s = scores.double()
    i = torch.arange(T)
    offset = (i[None, :] - i[:, None]) + T - 1  # (T, T): j - i shifted to 0 … 2T-2
    zeros = torch.zeros(2 * T - 1, dtype=torch.float64)
    sums = zeros.clone().index_add_(0, offset.flatten(), s.flatten())  # (2T-1,): per diagonal
    counts = zeros.clone().index_add_(0, offset.flatten(), torch.ones(T * T, dtype=torch.float64))  # (2T-1,)
    toeplitz = (sums / counts)[offset]  # (T, T): each diagonal's mean
    total = ((s - s.mean()) ** 2).sum()
    if total == 0:
        return 1.0
    fraction = 1.0 - (((s - toeplitz) ** 2).sum() / total).item()
    if not math.isfinite(fraction):  # NaN or inf in the scores, found for free
        raise ValueError("scores contains NaN or inf; expected finite values")
    return fraction


def projected_pe_scores(
    max_len: int, d_model: int, head_dim: int | None = None, seed: int = 0, base: float = 10000.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """The positional part of an attention score before and after the projections.

    Returns ``(raw (L, L), projected (L, L))``: ``raw = PE PEᵀ / √D`` and
    ``projected = (PE W_Qᵀ)(PE W_Kᵀ)ᵀ / √Dh`` with W_Q, W_K ``(Dh, D)`` drawn like
    ``nn.Linear``'s default init (uniform ±1/√D) from ``seed``. In a model the score of two tokens
    also has token-token and token-position terms; this isolates the position-position term that
    Yan et al. 2019 (TENER) analyse: ``PEᵢᵀ W_Qᵀ W_K PEⱼ`` is no longer a function of j - i.
    """
    check_int("max_len", max_len, minimum=2)
    head_dim = d_model if head_dim is None else head_dim
    check_int("head_dim", head_dim)
    pe = sinusoidal_encoding(max_len, d_model, base).double()  # (L, D)
    g = make_generator(seed)
    bound = 1 / math.sqrt(d_model)
    w_q = (torch.rand(head_dim, d_model, generator=g, dtype=torch.float64) * 2 - 1) * bound  # (Dh, D)
    w_k = (torch.rand(head_dim, d_model, generator=g, dtype=torch.float64) * 2 - 1) * bound  # (Dh, D)
    raw = pe_dot_products(max_len, d_model, base) / math.sqrt(d_model)  # (L, L)
    projected = (pe @ w_q.T) @ (pe @ w_k.T).T / math.sqrt(head_dim)  # (L, Dh) @ (Dh, L) -> (L, L)
    return raw, projected
