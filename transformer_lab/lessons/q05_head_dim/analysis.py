"""How much rank a head keeps, and the low-rank bottleneck it makes (notebook 05).

A head's score matrix ``Q_h K_hᵀ`` has rank at most ``d_k`` (:func:`score_spectrum`,
:func:`score_rank`); below ``d_k = n`` a head cannot express every attention pattern over n
positions, the low-rank bottleneck of Bhojanapalli et al. 2020 (arXiv:2002.07028), shown by
:func:`fit_attention_pattern`. What a layout costs is in :mod:`.cost`.

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width,
N targets, K head widths.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ..._checks import check_int, check_number, check_tensor
from ...multi_head import MultiHeadAttention
from ...optim import AdamW
from ...randomness import make_generator
from ...train import History, check_histories

__all__ = ["mha_head_scores", "score_spectrum", "score_rank", "random_attention_pattern", "permutation_pattern",
           "fit_attention_pattern", "fit_attention_patterns", "one_key_kl_bound", "mean_curve_accuracy"]


def mha_head_scores(mha: MultiHeadAttention, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
    """Each head's scores before the softmax, ``(B, H, T, S)``, of one attention module on activations
    ``x (B, T, D)`` (and ``context (B, S, D)``, default ``x``).

    Read from the module itself: ``mha(x, context, cache=d)`` fills ``d["scores"]``, the score
    function's output before any mask. For the scaled dot product
    ``scores_h = X W_Q^h (X W_K^h)ᵀ / √d_k``: a product through a ``d_k``-wide bottleneck, so its rank
    is at most ``d_k`` (Bhojanapalli et al. 2020). For a whole model run on tokens, see notebook 02's
    ``model_head_scores``.
    """
    if not isinstance(mha, MultiHeadAttention):
        raise TypeError(f"mha must be a transformer_lab.MultiHeadAttention, got {type(mha).__name__}")
    cache: dict = {}
    mha(x, context, cache=cache)  # the module checks x and context
    return cache["scores"]  # (B, H, T, S)


def _check_scores(scores: torch.Tensor) -> None:
    check_tensor("scores", scores, floating=True)
    if scores.dim() < 2:
        raise ValueError(f"scores must have shape (..., T, S), got shape {tuple(scores.shape)}")
    if not torch.isfinite(scores).all():  # the SVD fails with an unreadable error otherwise
        raise ValueError("scores must hold finite values (no NaN or ±inf): pass the scores before any mask")


def score_spectrum(scores: torch.Tensor) -> torch.Tensor:
    """Singular values of each ``(T, S)`` score matrix, largest first: ``(..., min(T, S))``, float64."""
    _check_scores(scores)
    return torch.linalg.svdvals(scores.detach().double())  # (..., min(T, S))


def score_rank(scores: torch.Tensor) -> torch.Tensor:
    """Numerical rank of each ``(T, S)`` score matrix: ``(...)``.

    Singular values below ``max(T, S) · eps · σ_max`` count as zero, with ``eps`` of the scores'
    own dtype: float32 scores carry rounding noise that float64 would count as extra rank.
    """
    _check_scores(scores)
    T, S = scores.shape[-2:]
    rtol = max(T, S) * torch.finfo(scores.dtype).eps  # rounding of the dtype the scores were computed in
    return torch.linalg.matrix_rank(scores.detach().double(), rtol=rtol)


def random_attention_pattern(n: int, temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A generic attention pattern ``(n, n)``: the row softmax of ``√n · O / temperature``, O a random
    orthogonal matrix.

    The log-pattern has a flat spectrum (all n singular values of ``√n·O`` equal), so no direction
    can be dropped for free: a head reproduces it exactly only with ``d_k ≥ n - 1`` (one
    direction is a constant per row, which the softmax ignores), Bhojanapalli et al. 2020.
    """
    check_int("n", n, minimum=2)
    check_number("temperature", temperature, above=0)
    check_int("seed", seed, minimum=0)
    g = make_generator(seed)
    o, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))  # (n, n) orthogonal
    return torch.softmax(o * math.sqrt(n) / temperature, dim=-1)  # (n, n)


def permutation_pattern(n: int, seed: int = 0) -> torch.Tensor:
    """Each query reads exactly one key, a random permutation: ``(n, n)`` one-hot rows.

    A hard pattern, but low-rank scores can still put the maximum in the right place.
    """
    check_int("n", n, minimum=2)
    check_int("seed", seed, minimum=0)
    perm = torch.randperm(n, generator=make_generator(seed))
    return torch.eye(n, dtype=torch.float64)[perm]  # (n, n)


def _cosine_rates(lr: float, steps: int) -> list[float]:
    """The learning rate of each of ``steps`` steps, decayed from ``lr`` to 0 along a cosine: the rates
    ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=steps)`` gives, computed as it does (each from
    the previous one), so a fit equals the one with torch's scheduler bit for bit."""
    check_number("lr", lr, above=0)
    check_int("steps", steps)
    rates = [float(lr)]
    for t in range(1, steps):
        rates.append((1 + math.cos(math.pi * t / steps)) / (1 + math.cos(math.pi * (t - 1) / steps)) * rates[-1])
    return rates


def fit_attention_pattern(target: torch.Tensor, d_ks: Sequence[int], d_model: int | None = None, steps: int = 300,
                          lr: float = 0.05, seed: int = 0) -> dict:
    """Fit ``softmax(X W_Q (X W_K)ᵀ / √d_k)`` to a target pattern, once for each head width in ``d_ks``.

    ``target (n, n)`` has rows that sum to 1; ``X (n, d_model)`` is a fixed random input
    (``d_model`` defaults to ``2n``, so X has full row rank and only ``d_k`` limits the scores);
    ``W_Q, W_K (d_model, d_k)`` are learned with Adam (learning rate ``lr`` decayed to 0 along a
    cosine over ``steps``), from the same seed for every ``d_k``. All
    fits run in one batched loop (each fit's loss and Adam state are its own). Returns
    ``{"d_k": [..], "kl": [..] mean over rows of KL(target ‖ fit) in nats, "rank": [..] rank of
    the fitted scores, "fitted": (K, n, n)}``. Below ``d_k = n - 1`` a generic target cannot be
    reached: the low-rank bottleneck of Bhojanapalli et al. 2020.

    A gradient-descent fit: its KL is an upper bound on the best a head of that width can do
    (Adam may stop short of the optimum), so claims built on it are decided over several seeds
    (:func:`fit_attention_patterns` fits many targets at once).
    """
    check_tensor("target", target, ndim=2, floating=True)
    fit = fit_attention_patterns(target.unsqueeze(0), d_ks, [seed], d_model=d_model, steps=steps, lr=lr)
    return {"d_k": fit["d_k"], "kl": fit["kl"][0], "rank": fit["rank"][0], "fitted": fit["fitted"][0]}


def fit_attention_patterns(targets: torch.Tensor, d_ks: Sequence[int], seeds: Sequence[int], d_model: int | None = None,
                           steps: int = 300, lr: float = 0.05) -> dict:
    """:func:`fit_attention_pattern` for N targets at once: ``targets (N, n, n)``, one seed per target.

    Target i is fitted with its own input X and initial weights, drawn from ``seeds[i]`` exactly as
    ``fit_attention_pattern(targets[i], d_ks, seed=seeds[i])`` draws them; all N·K fits run in one
    batched Adam loop, each with its own loss (the summed loss has no cross terms) and its own Adam
    state (Adam is elementwise). Returns ``{"d_k": [..], "kl": [N][K], "rank": [N][K],
    "fitted": (N, K, n, n)}``.
    """
    check_tensor("targets", targets, ndim=3, floating=True)
    N, n = targets.shape[0], targets.shape[-1]
    if targets.shape[1:] != (n, n) or n < 2 or N < 1:
        raise ValueError(f"target must be a square (n, n) pattern with n >= 2 (targets: (N, n, n), N >= 1), got shape "
                         f"{tuple(targets.shape)}")
    if (targets < 0).any() or not torch.allclose(targets.sum(-1), torch.ones(N, n, dtype=targets.dtype), atol=1e-5):
        raise ValueError("target must hold attention weights: entries >= 0 and every row summing to 1")
    if isinstance(d_ks, int) or not d_ks:
        raise TypeError(f"d_ks must be a non-empty sequence of head widths, e.g. [1, 2, 4], got {d_ks!r}")
    d_ks = [check_int("d_k", d) for d in d_ks]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or len(seeds) != N:
        raise TypeError(f"seeds must be a sequence of {N} int seeds, one per target, got {seeds!r}")
    seeds = [check_int("seed", s, minimum=0) for s in seeds]
    d_model = 2 * n if d_model is None else check_int("d_model", d_model)
    check_int("steps", steps)
    check_number("lr", lr, above=0)
    d_max = max(d_ks)
    xs, w0_q, w0_k = [], [], []
    for s in seeds:  # the draws of fit_attention_pattern(target, d_ks, seed=s), in the same order
        g = make_generator(s)
        xs.append(torch.randn(n, d_model, generator=g, dtype=torch.float64))  # (n, D)
        w0_q.append(torch.randn(d_model, d_max, generator=g, dtype=torch.float64) / math.sqrt(d_model))  # (D, d_max)
        w0_k.append(torch.randn(d_model, d_max, generator=g, dtype=torch.float64) / math.sqrt(d_model))  # (D, d_max)
    p = targets.detach().double()[:, None]  # (N, 1, n, n)
    x = torch.stack(xs)[:, None]  # (N, 1, n, D)
    keep = (torch.arange(d_max)[None, :] < torch.tensor(d_ks)[:, None]).double()[:, None, :]  # (K, 1, d_max)
    w_q = (torch.stack(w0_q)[:, None] * keep).requires_grad_(True)  # (N, K, D, d_max), columns >= d_k stay 0
    w_k = (torch.stack(w0_k)[:, None] * keep).requires_grad_(True)  # (N, K, D, d_max)
    scale = torch.tensor([1 / math.sqrt(d) for d in d_ks], dtype=torch.float64)[:, None, None]  # (K, 1, 1)
    # Adam (torch's own update, tl.AdamW without weight decay: torch.optim.Adam's first call imports
    # torch._dynamo, about 2 s); the learning rate decays to 0 along a cosine: at a constant rate Adam keeps
    # circling the optimum (a fit that can reach the target exactly would stop short of it, by a different
    # amount per seed)
    opt = AdamW([w_q, w_k], lr=lr, weight_decay=0.0)
    rates = _cosine_rates(lr, steps)
    entropy = -(p * torch.log(p.clamp_min(1e-300))).sum(-1)  # (N, 1, n), a constant

    def scores():
        return (x @ (w_q * keep)) @ (x @ (w_k * keep)).transpose(-1, -2) * scale  # (N, K, n, Dh) @ (N, K, Dh, n) -> (N, K, n, n)

    for rate in rates:
        loss = -(p * torch.log_softmax(scores(), dim=-1)).sum(-1).mean(-1).sum()  # Σ_{i,k} cross-entropy_{i,k}
        opt.zero_grad()
        loss.backward()
        opt.lr = rate
        opt.step()
    with torch.no_grad():
        s = scores()  # (N, K, n, n)
        log_fit = torch.log_softmax(s, dim=-1)
        kl = (-(p * log_fit).sum(-1) - entropy).mean(-1).clamp_min(0.0)  # (N, K)
    return {"d_k": d_ks, "kl": kl.tolist(), "rank": torch.linalg.matrix_rank(s).tolist(), "fitted": log_fit.exp()}


def one_key_kl_bound(n: int) -> float:
    """The least KL(target ‖ fit) a head with ``d_k = 1`` can reach on a pattern where every query
    reads a different key (a permutation over n keys): ``(n - 2)/n · ln 2``, exactly.

    Why: with d_k = 1 the scores are ``q_i·k_j`` with scalars, so each query's largest score is at
    the key with the largest k or the one with the smallest k: at most two keys can win a row.
    The other n - 2 queries put on their target key no more than on the winner, so at most 1/2,
    and a one-hot row's KL is ``-log p(target) >= ln 2``. Two dimensions remove the limit (keys on
    a circle: each is the top of some direction), so a permutation needs ``d_k = 2``, not n - 1.
    """
    check_int("n", n, minimum=2)
    return (n - 2) / n * math.log(2)


def mean_curve_accuracy(histories: list[History]) -> float:
    """Mean over seeds of the mean evaluation accuracy over training: the area under the learning
    curve, which ranks layouts by how fast they learn, not only where they end."""
    check_histories(histories)
    for i, h in enumerate(histories):
        if not h.eval_accuracy:
            raise ValueError(f"histories[{i}] holds no evaluation (eval_accuracy is empty)")
    return sum(sum(h.eval_accuracy) / len(h.eval_accuracy) for h in histories) / len(histories)
