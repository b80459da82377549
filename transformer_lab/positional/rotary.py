"""Rotary position embedding (RoPE): rotate q and k by an angle proportional to their position.

Taught in ``notebooks/08_other_pe.ipynb``. Su et al. 2021, *RoFormer* (arXiv:2104.09864).

Each pair of dimensions of a query (or key) at position ``m`` is rotated by the angle ``m·θ_i``,
``θ_i = base^(-2i/Dh)``. A rotation by ``m·θ`` and one by ``n·θ`` combine in a dot product into a
rotation by ``(n - m)·θ``, so ``q_mᵀ k_n = qᵀ R_{n-m} k`` depends on the offset only (RoFormer Eq. 16).

Two layouts are in use, and mixing them silently breaks a model:

- ``"interleaved"`` (RoFormer, GPT-J, Meta's Llama reference code): the pairs are ``(2i, 2i+1)``;
- ``"half"`` (GPT-NeoX, Hugging Face Llama): the pairs are ``(i, i + Dh/2)``, written
  ``x·cos + rotate_half(x)·sin``.

They are the same map once the dimensions are permuted by :func:`rope_permutation`.

Shape legend: B batch, H heads, T query positions, S key positions, Dh head width, P = Dh/2 pairs.
"""

from __future__ import annotations

import torch

from .._checks import check_int, check_tensor
from .base import PositionalScheme

__all__ = [
    "ROPE_LAYOUTS",
    "rope_frequencies",
    "rope_angles",
    "rotate_half",
    "apply_rope",
    "rope_permutation",
    "rope_relative_scores",
    "rope_decay_bound",
    "RotaryPositional",
]

ROPE_LAYOUTS = ("interleaved", "half")


def _check_head_dim(head_dim) -> int:
    check_int("head_dim", head_dim, minimum=2)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even (RoPE rotates pairs of dimensions), got {head_dim}")
    return head_dim


def _check_base(base) -> float:
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        raise TypeError(f"base must be a number, got {type(base).__name__} {base!r}")
    if not base > 1:
        raise ValueError(f"base must be > 1 (the wavelengths grow geometrically), got {base}")
    if base == float("inf"):
        raise ValueError(f"base must be a finite number > 1, got {base}")
    return float(base)


def _check_layout(layout) -> str:
    if layout not in ROPE_LAYOUTS:
        raise ValueError(f"layout must be one of {ROPE_LAYOUTS}, got {layout!r}")
    return layout


def rope_frequencies(head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """``θ_i = base^(-2i/Dh)`` for ``i = 0 … Dh/2 - 1``, float64 ``(P,)`` (RoFormer Eq. 15)."""
    _check_head_dim(head_dim)
    _check_base(base)
    return base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)  # (P,)


def rope_angles(positions, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """Angles ``m·θ_i`` for each position m: ``(T, P)`` float64. ``positions`` is an int or a 1-D tensor.

    An int ``T`` means positions ``0 … T-1``.
    """
    if isinstance(positions, int) and not isinstance(positions, bool):
        check_int("positions", positions)
        positions = torch.arange(positions)
    check_tensor("positions", positions, ndim=1)
    return positions.to(torch.float64)[:, None] * rope_frequencies(head_dim, base)  # (T, 1) * (P,) -> (T, P)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``(x_1, x_2) -> (-x_2, x_1)`` on the two halves of the last dim (the "half" layout's helper)."""
    check_tensor("x", x, floating=True)
    if x.shape[-1] % 2:
        raise ValueError(f"x must have an even last dim, got shape {tuple(x.shape)}")
    x1, x2 = x.chunk(2, dim=-1)  # (..., P), (..., P)
    return torch.cat([-x2, x1], dim=-1)  # (..., Dh)


def apply_rope(
    x: torch.Tensor, positions=None, base: float = 10000.0, layout: str = "interleaved"
) -> torch.Tensor:
    """Rotate ``x (..., T, Dh)`` by the angles of ``positions`` (default ``0 … T-1``).

    ``layout="interleaved"`` rotates the pairs ``(2i, 2i+1)``; ``layout="half"`` the pairs
    ``(i, i + Dh/2)``. Norms are preserved (a rotation), and position 0 is left unchanged.
    """
    check_tensor("x", x, floating=True)
    _check_layout(layout)
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., T, Dh), got shape {tuple(x.shape)}")
    T, Dh = x.shape[-2], x.shape[-1]
    _check_head_dim(Dh)
    if positions is None:
        positions = torch.arange(T)
    check_tensor("positions", positions, ndim=1)
    if positions.shape[0] != T:
        raise ValueError(f"positions must hold one position per row of x (T = {T}), got shape {tuple(positions.shape)}")
    angles = rope_angles(positions, Dh, base)  # (T, P)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)  # (T, P)
    if layout == "interleaved":
        x_even, x_odd = x[..., 0::2], x[..., 1::2]  # (..., T, P) each: the pairs (2i, 2i+1)
        out = torch.stack([x_even * cos - x_odd * sin, x_even * sin + x_odd * cos], dim=-1)  # (..., T, P, 2)
        return out.flatten(-2)  # (..., T, Dh)
    cos2, sin2 = torch.cat([cos, cos], dim=-1), torch.cat([sin, sin], dim=-1)  # (T, Dh)
    return x * cos2 + rotate_half(x) * sin2  # (..., T, Dh)


def rope_permutation(head_dim: int) -> torch.Tensor:
    """Indices ``p`` with ``x_half = x_interleaved[..., p]``: even dims first, then odd ones.

    Then ``apply_rope(x, layout="interleaved")[..., p] == apply_rope(x[..., p], layout="half")``,
    and scores agree when q and k are permuted the same way (a dot product ignores the order).
    """
    _check_head_dim(head_dim)
    return torch.cat([torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)])  # (Dh,)


def rope_relative_scores(q: torch.Tensor, k: torch.Tensor, distances, base: float = 10000.0) -> torch.Tensor:
    """``qᵀ R_r k`` for each distance ``r``: the RoPE score of q at position 0 and k at position r.

    ``q, k (..., Dh)`` -> ``(..., R)`` for ``distances (R,)``. By the offset property this is the
    score of any pair of positions ``(m, m + r)``. Used for the long-term-decay curves.
    """
    check_tensor("q", q, floating=True)
    check_tensor("k", k, floating=True)
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape (..., Dh), got {tuple(q.shape)} and {tuple(k.shape)}")
    check_tensor("distances", distances, ndim=1)
    Dh = _check_head_dim(q.shape[-1])
    angles = rope_angles(distances, Dh, base)  # (R, P)
    cos, sin = angles.cos().to(q.dtype), angles.sin().to(q.dtype)  # (R, P)
    qe, qo = q[..., 0::2].unsqueeze(-2), q[..., 1::2].unsqueeze(-2)  # (..., 1, P)
    ke, ko = k[..., 0::2].unsqueeze(-2), k[..., 1::2].unsqueeze(-2)  # (..., 1, P)
    ke_r, ko_r = ke * cos - ko * sin, ke * sin + ko * cos  # (..., R, P): k rotated by r·θ
    return (qe * ke_r + qo * ko_r).sum(-1)  # (..., R)


def rope_decay_bound(distances, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """RoFormer §3.4.3's decay curve ``(1/P) Σ_j |S_j|``, ``S_j = Σ_{i<j} e^{i r θ_i}`` (their Figure 2).

    It bounds ``|qᵀ R_r k|`` up to a factor ``max_i |h_i - h_{i+1}|`` that depends on q and k:
    an upper bound that decays, not the score itself. Returns ``(R,)`` float64.
    """
    check_tensor("distances", distances, ndim=1)
    angles = rope_angles(distances, head_dim, base)  # (R, P)
    partial = torch.polar(torch.ones_like(angles), angles).cumsum(-1)  # (R, P): S_1 … S_P
    return partial.abs().mean(-1)  # (R,)


class RotaryPositional(PositionalScheme):
    """RoPE behind the seam: ``rotate_qk`` rotates q and k per head; no parameters, no length limit.

    Queries take positions ``0 … T-1`` and keys ``0 … S-1`` (self-attention: T = S). ``layout``
    picks the pairing of dimensions (``"interleaved"`` by default, the RoFormer paper's).
    """

    name = "rope"

    def __init__(self, head_dim: int, base: float = 10000.0, layout: str = "interleaved"):
        super().__init__()
        self.head_dim = _check_head_dim(head_dim)
        self.base = _check_base(base)
        self.layout = _check_layout(layout)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(head_dim)

    def rotate_qk(self, q: torch.Tensor, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for name, t in (("q", q), ("k", k)):
            check_tensor(name, t, ndim=4, floating=True)
            if t.shape[-1] != self.head_dim:
                raise ValueError(f"{name} must have shape (B, H, T, Dh) with Dh = {self.head_dim}, got {tuple(t.shape)}")
        q = apply_rope(q, base=self.base, layout=self.layout)  # (B, H, T, Dh)
        k = apply_rope(k, base=self.base, layout=self.layout)  # (B, H, S, Dh)
        return q, k

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, base={self.base:g}, layout={self.layout!r}"
