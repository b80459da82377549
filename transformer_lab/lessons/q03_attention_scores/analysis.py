"""Why divide by √d_k: score variance, softmax saturation, and which gradients shrink (and which do not).

Taught in ``notebooks/03_attention_scores.ipynb``. Everything here is a pure function of a seed
and the sizes, so the widget, the notebook and the tests all read the same numbers.

Shape legend: T query positions, S key positions, D model width, Dh head width (d_k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..._checks import check_bool, check_int, check_probabilities, check_tensor
from ...attention import attend
from ...evidence import Table
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
    "projection_gradient_norm",
    "log_log_slope",
    "D_KS",
    "ScaleSweep",
    "scale_sweep",
]

D_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)  # the head widths of the sweep


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


def _check_d_ks(d_ks) -> list[int]:
    if isinstance(d_ks, (int, str, bytes)) or not hasattr(d_ks, "__iter__"):
        raise TypeError(f"d_ks must be a non-empty sequence of head widths, e.g. [1, 4, 16], got {d_ks!r}")
    d_ks = [check_int(f"d_ks[{i}]", d_k) for i, d_k in enumerate(d_ks)]
    if not d_ks:
        raise ValueError("d_ks must be a non-empty sequence of head widths, e.g. [1, 4, 16], got []")
    return d_ks


def dot_product_variance(d_ks, n_samples: int = 20_000, seed: int = 0) -> list[float]:
    """Empirical Var(q·k) for each d_k, q and k with i.i.d. N(0, 1) entries: ≈ d_k (footnote 4).

    Each d_k reads the first d_k coordinates of the same ``n_samples`` pairs (q, k): the sweep
    draws the coordinates of the largest d_k once and sums them prefix by prefix, so it costs one
    draw of the largest width, not of every width. Each estimate still rests on ``n_samples`` dot
    products (the estimates of different d_k are correlated, each one is unbiased).
    """
    check_int("n_samples", n_samples, minimum=2)
    d_ks = _check_d_ks(d_ks)
    check_int("seed", seed, minimum=0)
    g = make_generator(seed)
    dots = torch.zeros(n_samples)  # (N,) q·k over the coordinates drawn so far
    done, by_width = 0, {}
    for d_k in sorted(set(d_ks)):
        q = torch.randn(n_samples, d_k - done, generator=g)  # (N, new coordinates)
        k = torch.randn(n_samples, d_k - done, generator=g)  # (N, new coordinates)
        dots += (q * k).sum(-1)  # (N,) the dot products over the first d_k coordinates
        done = d_k
        by_width[d_k] = dots.var().item()
    return [by_width[d_k] for d_k in d_ks]


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


def projection_gradient_norm(d_k: int, scaled: bool, d_model: int = 64, n_tokens: int = 64, seed: int = 0) -> float:
    """``‖∂L/∂W_Q‖_F`` at initialisation: self-attention on random tokens with a random loss.

    Tokens ``x (T, D)`` with N(0, 1) entries, ``W_Q, W_K (D, Dh)`` with N(0, 1/D) entries, so q and k
    have unit-variance entries (the footnote-4 setting); ``L = Σ out · r`` with
    ``out = softmax(q kᵀ [/√d_k]) v``. The chain rule gives ``∂L/∂W_Q = xᵀ (∂L/∂S) k [/√d_k]``: the
    gradient reaching the scores, ``∂L/∂S``, shrinks as the softmax saturates, but the keys it is
    multiplied by grow (``‖k_j‖ ≈ √d_k``) and W_Q has d_k columns. So "the softmax saturates" does not
    mean "the gradient to W_Q vanishes": unscaled, this norm *rises* with d_k at initialisation.
    Computed in float64, so its printed digits do not depend on the processor.
    """
    check_int("d_k", d_k)
    check_bool("scaled", scaled)
    check_int("d_model", d_model)
    check_int("n_tokens", n_tokens, minimum=2)
    check_int("seed", seed, minimum=0)
    g = make_generator(seed)
    x = torch.randn(n_tokens, d_model, generator=g, dtype=torch.float64)  # (T, D)
    w_q = (torch.randn(d_model, d_k, generator=g, dtype=torch.float64) / math.sqrt(d_model)).requires_grad_()  # (D, Dh)
    w_k = torch.randn(d_model, d_k, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, Dh)
    v = torch.randn(n_tokens, 8, generator=g, dtype=torch.float64)  # (T, Dv)
    r = torch.randn(n_tokens, 8, generator=g, dtype=torch.float64)  # (T, Dv)
    scores = dot_scores(x @ w_q, x @ w_k)  # (T, Dh) · (T, Dh) -> (T, T)
    if scaled:
        scores = scores / math.sqrt(d_k)
    out, _ = attend(scores, v)  # (T, Dv)
    (out * r).sum().backward()
    return w_q.grad.norm().item()


def log_log_slope(xs, ys) -> float:
    """Least-squares slope of log y against log x (footnote 4 predicts 1 for Var(q·k) against d_k)."""
    x = torch.log(torch.as_tensor(xs, dtype=torch.float64))  # (N,)
    y = torch.log(torch.as_tensor(ys, dtype=torch.float64))  # (N,)
    if x.dim() != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"xs and ys must be two sequences of the same length >= 2, got {len(xs)} and {len(ys)}")
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise ValueError("xs and ys must hold positive finite numbers (their logarithms are fitted)")
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


SATURATION_METRICS = ("entropy (nats)", "max weight", "Jacobian norm", "‖∂L/∂scores‖", "‖∂L/∂W_Q‖")


@dataclass
class ScaleSweep:
    """What the 1/√d_k scale does, over head widths ``d_ks``.

    ``variances[i]``: Var(q·k) at ``d_ks[i]``; ``stats[label][metric][i]`` for ``label`` in
    ``("unscaled", "scaled")`` and the metrics of :data:`SATURATION_METRICS`: the mean entropy of a
    softmax row and its largest weight, the norm of the softmax Jacobian ``diag(p) − ppᵀ``, the
    norm of the gradient reaching the scores (per query row) and of the gradient reaching W_Q.
    """

    d_ks: tuple[int, ...]
    variances: list[float]
    stats: dict[str, dict[str, list[float]]]

    @property
    def slope(self) -> float:
        """The log-log slope of Var(q·k) against d_k."""
        return log_log_slope(self.d_ks, self.variances)

    def variance_table(self) -> Table:
        rows = [f"| {d} | {v:.1f} | {v / d:.2f} |" for d, v in zip(self.d_ks, self.variances)]
        return Table("| d_k | Var(q·k) | Var(q·k/√d_k) = Var(q·k)/d_k |\n|---|---|---|\n" + "\n".join(rows))

    def saturation_table(self) -> Table:
        u, s = self.stats["unscaled"], self.stats["scaled"]
        head = " | ".join(f"{m}: unscaled, scaled" for m in SATURATION_METRICS)
        rows = [f"| {d} | " + " | ".join(f"{u[m][i]:.3f}, {s[m][i]:.3f}" for m in SATURATION_METRICS) + " |"
                for i, d in enumerate(self.d_ks)]
        return Table(f"| d_k | {head} |\n|---|" + "---|" * len(SATURATION_METRICS) + "\n" + "\n".join(rows))

    def figure(self):
        from .figures import plot_scale_sweep  # matplotlib only when a figure is drawn

        return plot_scale_sweep(self)


def scale_sweep(d_ks=D_KS, n_samples: int = 10_000, seed: int = 0) -> ScaleSweep:
    """Var(q·k) and the saturation of the softmax at each d_k, unscaled and scaled (64 queries, 16 keys).

    Pure functions of ``seed``: the same numbers on every run of one machine, and exact enough to
    print (the W_Q gradient in float64)."""
    d_ks = tuple(_check_d_ks(d_ks))
    check_int("seed", seed, minimum=0)
    variances = dot_product_variance(d_ks, n_samples=n_samples, seed=seed)
    stats = {}
    for label, scaled in (("unscaled", False), ("scaled", True)):
        rows = [softmax_stats(random_scores(d, scaled, seed=seed)) for d in d_ks]
        stats[label] = {
            "entropy (nats)": [r["entropy"] for r in rows],
            "max weight": [r["max_weight"] for r in rows],
            "Jacobian norm": [r["jacobian_norm"] for r in rows],
            "‖∂L/∂scores‖": [score_gradient_norm(d, scaled, seed=seed) for d in d_ks],
            "‖∂L/∂W_Q‖": [projection_gradient_norm(d, scaled, seed=seed) for d in d_ks],
        }
    return ScaleSweep(d_ks, variances, stats)
