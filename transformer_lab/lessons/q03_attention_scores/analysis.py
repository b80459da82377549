"""Why divide by √d_k: score variance, softmax saturation and the gradient that vanishes.

Taught in ``notebooks/03_attention_scores.ipynb``. Everything here is a pure function of a seed
and the sizes, so the widget, the notebook and the tests all read the same numbers.

Shape legend: T query positions, S key positions, Dh head width (d_k).
"""

from __future__ import annotations

import math

import torch

from ..._checks import check_bool, check_int, check_probabilities, check_tensor
from ...attention import attend
from ...scores import dot_scores
from ...randomness import make_generator

__all__ = [
    "random_qk",
    "random_scores",
    "entropy",
    "softmax_jacobian",
    "softmax_stats",
    "dot_product_variance",
    "score_gradient_norm",
]


def random_qk(d_k: int, n_queries: int = 64, n_keys: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """q ``(T, Dh)`` and k ``(S, Dh)`` with independent N(0, 1) entries (the footnote-4 setting)."""
    check_int("d_k", d_k)
    check_int("n_queries", n_queries)
    check_int("n_keys", n_keys, minimum=2)
    check_int("seed", seed, minimum=0)
    g = make_generator(seed)
    q = torch.randn(n_queries, d_k, generator=g)  # (T, Dh)
    k = torch.randn(n_keys, d_k, generator=g)  # (S, Dh)
    return q, k


def random_scores(d_k: int, scaled: bool, n_queries: int = 64, n_keys: int = 16, seed: int = 0) -> torch.Tensor:
    """Scores ``(T, S)`` of random unit-variance q, k; divided by √d_k when ``scaled``."""
    check_bool("scaled", scaled)
    q, k = random_qk(d_k, n_queries, n_keys, seed)
    s = dot_scores(q, k)  # (T, S)
    return s / math.sqrt(d_k) if scaled else s


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) of each row of ``p (..., S)``; 0·log 0 counts as 0."""
    check_probabilities("p", p)
    return -(p * torch.log(p.clamp_min(1e-30))).sum(-1)


def softmax_jacobian(p: torch.Tensor) -> torch.Tensor:
    """``∂softmax/∂scores = diag(p) − p pᵀ`` for each row of ``p (..., S)`` -> ``(..., S, S)``.

    When p is one-hot (a saturated softmax) every entry is 0: no gradient reaches the scores.
    """
    check_probabilities("p", p)
    return torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)


def softmax_stats(scores: torch.Tensor) -> dict[str, float]:
    """Row-averaged entropy, max weight and Jacobian Frobenius norm of ``softmax(scores (T, S))``."""
    check_tensor("scores", scores, ndim=2, floating=True)
    if not torch.isfinite(scores).all():
        raise ValueError("scores must hold finite values (no NaN or ±inf), got a non-finite entry")
    p = torch.softmax(scores, dim=-1)  # (T, S)
    S = scores.shape[-1]
    return {
        "score_var": scores.var().item(),
        "entropy": entropy(p).mean().item(),
        "max_entropy": math.log(S),
        "max_weight": p.max(-1).values.mean().item(),
        "jacobian_norm": torch.linalg.matrix_norm(softmax_jacobian(p)).mean().item(),
    }


def dot_product_variance(d_ks, n_samples: int = 20_000, seed: int = 0) -> list[float]:
    """Empirical Var(q·k) for each d_k, q and k with i.i.d. N(0, 1) entries: ≈ d_k (footnote 4)."""
    check_int("n_samples", n_samples, minimum=2)
    if isinstance(d_ks, (int, str, bytes)) or not hasattr(d_ks, "__iter__"):
        raise TypeError(f"d_ks must be a non-empty sequence of head widths, e.g. [1, 4, 16], got {d_ks!r}")
    d_ks = [check_int("d_k", d_k) for d_k in d_ks]
    if not d_ks:
        raise ValueError("d_ks must be a non-empty sequence of head widths, e.g. [1, 4, 16], got []")
    check_int("seed", seed, minimum=0)
    g = make_generator(seed)
    out = []
    for d_k in d_ks:
        q = torch.randn(n_samples, d_k, generator=g)  # (N, Dh)
        k = torch.randn(n_samples, d_k, generator=g)  # (N, Dh)
        out.append((q * k).sum(-1).var().item())  # (N,) dot products
    return out


def score_gradient_norm(d_k: int, scaled: bool, n_queries: int = 64, n_keys: int = 16, seed: int = 0) -> float:
    """Mean norm of ∂L/∂scores per query row, for attention on random q, k, v and a random loss.

    ``L = Σ out · r`` with ``out = softmax(scores) v``; the gradient reaching the scores is the
    softmax Jacobian times ``v r``: it vanishes as the softmax saturates.
    """
    check_bool("scaled", scaled)
    q, k = random_qk(d_k, n_queries, n_keys, seed)
    g = make_generator(seed + 1)
    v = torch.randn(n_keys, 8, generator=g)  # (S, Dv)
    r = torch.randn(n_queries, 8, generator=g)  # (T, Dv)
    scores = dot_scores(q, k)  # (T, S)
    if scaled:
        scores = scores / math.sqrt(d_k)
    scores = scores.detach().requires_grad_(True)
    out, _ = attend(scores, v)  # (T, Dv)
    (out * r).sum().backward()
    return scores.grad.norm(dim=-1).mean().item()
