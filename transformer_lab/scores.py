"""Score functions: how a query is compared with a key, ``(q (..., T, Dq), k (..., S, Dk)) -> (..., T, S)``.

Taught in ``notebooks/03_attention_scores.ipynb``: Luong's dot product ``q·k``, Vaswani's scaled
dot product ``q·k/√d_k``, Luong's bilinear ``qᵀWk`` and Bahdanau's additive ``vᵀtanh(W_q q + W_k k)``,
as functions of tensors and as modules with their parameters.

Shape legend: T query positions, S key positions, Dh head width, A hidden width of additive attention.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from ._checks import check_int, check_number, check_tensor

__all__ = ["dot_scores", "scaled_dot_scores", "bilinear_scores", "additive_scores", "DotScore", "ScaledDotScore",
           "BilinearScore", "AdditiveScore", "SCORE_FUNCTIONS", "make_score"]

def dot_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Luong's dot product ``q·k``; its variance grows like d_k (Vaswani et al. 2017, fn. 4)."""
    _check_qk(q, k, same_width=True)
    return q @ k.transpose(-2, -1)  # (..., T, Dh) @ (..., Dh, S) -> (..., T, S)


def scaled_dot_scores(q: torch.Tensor, k: torch.Tensor, scale: float | None = None) -> torch.Tensor:
    """``q·k / √d_k`` (arXiv:1706.03762 §3.2.1): unit variance when q, k have unit-variance entries."""
    _check_qk(q, k, same_width=True)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else _check_scale(scale)
    return (q @ k.transpose(-2, -1)).mul_(scale)  # (..., T, S), scaled in place: one pass fewer


def bilinear_scores(q: torch.Tensor, k: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Luong's "general" score ``qᵀ W k`` with ``weight`` of shape ``(Dq, Dk)``."""
    _check_qk(q, k, same_width=False)
    check_tensor("weight", weight, ndim=2, floating=True)
    if weight.shape != (q.shape[-1], k.shape[-1]):
        raise ValueError(
            f"weight must have shape (Dq, Dk) = ({q.shape[-1]}, {k.shape[-1]}), got {tuple(weight.shape)}"
        )
    return _project(q, weight) @ k.transpose(-2, -1)  # (..., T, Dk) @ (..., Dk, S) -> (..., T, S)


def additive_scores(
    q: torch.Tensor, k: torch.Tensor, w_q: torch.Tensor, w_k: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """Bahdanau's score ``vᵀ tanh(W_q q + W_k k)`` (arXiv:1409.0473).

    ``w_q`` is ``(Dq, A)``, ``w_k`` is ``(Dk, A)``, ``v`` is ``(A,)``. The sum inside tanh is
    formed for every (query, key) pair, so this materialises a ``(..., T, S, A)`` tensor: the
    reason it is slower and hungrier than a matmul although the FLOP count is similar.
    """
    _check_qk(q, k, same_width=False)
    check_tensor("w_q", w_q, ndim=2, floating=True)
    check_tensor("w_k", w_k, ndim=2, floating=True)
    check_tensor("v", v, ndim=1, floating=True)
    A = v.shape[0]
    if w_q.shape != (q.shape[-1], A) or w_k.shape != (k.shape[-1], A):
        raise ValueError(
            f"w_q must be (Dq, A) = ({q.shape[-1]}, {A}) and w_k (Dk, A) = ({k.shape[-1]}, {A}), "
            f"got {tuple(w_q.shape)} and {tuple(w_k.shape)}"
        )
    hq = _project(q, w_q).unsqueeze(-2)  # (..., T, 1, A)
    hk = _project(k, w_k).unsqueeze(-3)  # (..., 1, S, A)
    return torch.tanh(hq + hk) @ v  # (..., T, S, A) @ (A,) -> (..., T, S)


def _project(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``x (..., Din) @ w (Din, Dout)`` as one 2-D matmul: the same numbers as ``x @ w``, and under
    ``vmap`` over ``w`` (seeds trained together) one batched matmul, where ``x @ w`` would expand ``w``
    over every leading index of ``x`` and sum a ``(..., Din, Dout)`` gradient in the backward pass."""
    return (x.reshape(-1, x.shape[-1]) @ w).view(*x.shape[:-1], w.shape[-1])  # (..., Dout)


def _check_scale(scale) -> float:
    """A score scale is a finite number > 0: 0 makes every row uniform, < 0 turns attention upside down."""
    return check_number("scale", scale, above=0)


def _check_qk(q, k, same_width: bool) -> None:
    check_tensor("q", q, floating=True)
    check_tensor("k", k, floating=True)
    if q.dim() < 2 or k.dim() < 2:
        raise ValueError(f"q and k must have shape (..., T, Dh) and (..., S, Dh), got {tuple(q.shape)} and {tuple(k.shape)}")
    if q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"q and k must share leading dims (...), got {tuple(q.shape)} and {tuple(k.shape)}")
    if same_width and q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dim Dh, got {q.shape[-1]} and {k.shape[-1]}")


class DotScore(nn.Module):
    """Unscaled dot product as a module (no parameters)."""

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return dot_scores(q, k)


class ScaledDotScore(nn.Module):
    """Scaled dot product; ``scale=None`` means 1/√d_k."""

    def __init__(self, scale: float | None = None):
        super().__init__()
        self.scale = None if scale is None else _check_scale(scale)

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return scaled_dot_scores(q, k, self.scale)


class BilinearScore(nn.Module):
    """``qᵀ W k`` with a learned ``W`` (initialised to I/√d_k, so it starts as scaled dot)."""

    def __init__(self, d_q: int, d_k: int | None = None):
        super().__init__()
        check_int("d_q", d_q)
        d_k = d_q if d_k is None else check_int("d_k", d_k)
        self.weight = nn.Parameter(torch.eye(d_q, d_k) / math.sqrt(d_k))  # (Dq, Dk)

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return bilinear_scores(q, k, self.weight)


class AdditiveScore(nn.Module):
    """``vᵀ tanh(W_q q + W_k k)`` with its parameters; shared by all heads when used in MHA."""

    def __init__(self, d_q: int, d_k: int | None = None, d_attn: int | None = None):
        super().__init__()
        check_int("d_q", d_q)
        d_k = d_q if d_k is None else check_int("d_k", d_k)
        d_attn = d_q if d_attn is None else check_int("d_attn", d_attn)
        self.w_q = nn.Parameter(torch.randn(d_q, d_attn) / math.sqrt(d_q))  # (Dq, A)
        self.w_k = nn.Parameter(torch.randn(d_k, d_attn) / math.sqrt(d_k))  # (Dk, A)
        self.v = nn.Parameter(torch.randn(d_attn) / math.sqrt(d_attn))  # (A,)

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return additive_scores(q, k, self.w_q, self.w_k, self.v)


SCORE_FUNCTIONS: dict[str, Callable[[int], nn.Module]] = {
    "dot": lambda head_dim: DotScore(),
    "scaled_dot": lambda head_dim: ScaledDotScore(),
    "bilinear": lambda head_dim: BilinearScore(head_dim),
    "additive": lambda head_dim: AdditiveScore(head_dim),
}


def make_score(name: str, head_dim: int, d_attn: int | None = None) -> nn.Module:
    """Build a score module by name: one of ``SCORE_FUNCTIONS``. ``d_attn``: the hidden width A of
    additive attention (default ``head_dim``); the other scores have no hidden layer."""
    if name not in SCORE_FUNCTIONS:
        raise ValueError(f"score must be one of {sorted(SCORE_FUNCTIONS)}, got {name!r}")
    if d_attn is None:
        return SCORE_FUNCTIONS[name](head_dim)
    if name != "additive":
        raise ValueError(f"d_attn is the hidden width of additive attention; score {name!r} has none, got d_attn={d_attn!r}")
    return AdditiveScore(head_dim, d_attn=d_attn)
