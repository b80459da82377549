"""The head layout, measured: what several heads buy, and why each is d_model/h wide.

Taught in ``notebooks/01_multi_head.ipynb`` (why several heads) and
``notebooks/05_head_dim.ipynb`` (why d_k = d_model/h). Pure functions of tensors, models and
seeds, so the notebooks, the widgets and the tests read the same numbers.

- **Cost** (:func:`head_cost`, :func:`matmul_flops`): with ``d_k = d_model/h`` the parameters and
  the matmul FLOPs do not depend on h; with full-width heads (``d_k = d_model``) they grow h-fold
  (Vaswani et al. 2017, §3.2.2, arXiv:1706.03762). What does grow with h either way is the number
  of attention weights, ``h·n²`` per sequence.
- **Rank** (:func:`head_scores`, :func:`score_spectrum`, :func:`score_rank`): a head's score matrix
  ``Q_h K_hᵀ`` has rank at most ``d_k``; below ``d_k = n`` a head cannot express every attention
  pattern over n positions, the low-rank bottleneck of Bhojanapalli et al. 2020
  (arXiv:2002.07028), shown by :func:`fit_attention_pattern`.
- **What heads do** (:func:`head_diversity`, :func:`relation_mass`, :func:`argmax_mode_fraction`,
  :func:`ablate_heads`): how different the heads' patterns are, which key each head reads, and
  how much accuracy is lost when one head is switched off (Michel et al. 2019, arXiv:1905.10650).

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width,
L layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from ._checks import check_positive_int, check_probabilities, check_tensor
from .attention import MultiHeadAttention
from .randomness import make_generator
from .train import History, check_histories, loss_and_accuracy

__all__ = [
    "HeadCost",
    "head_cost",
    "matmul_flops",
    "head_scores",
    "score_spectrum",
    "score_rank",
    "js_divergence",
    "head_diversity",
    "relation_mass",
    "argmax_mode_fraction",
    "ablate_heads",
    "random_attention_pattern",
    "permutation_pattern",
    "fit_attention_pattern",
    "fit_attention_patterns",
    "one_key_kl_bound",
    "mean_curve_accuracy",
]


# --- cost -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HeadCost:
    """Parameters and FLOPs of one multi-head self-attention layer on ``batch`` sequences of n tokens.

    FLOPs count matrix products only, one multiply-add = 2 FLOPs (what
    ``torch.utils.flop_counter.FlopCounterMode`` counts); ``softmax_entries`` is the number of
    attention weights, ``B·H·n²``, which the softmax reads and writes and memory must hold.
    """

    d_model: int
    n_heads: int
    head_dim: int
    seq_len: int
    batch: int
    params: int
    flops_projections: int  # Q, K, V: 3 · 2·B·n·D·(H·Dh)
    flops_scores: int  # Q Kᵀ: 2·B·H·n²·Dh
    flops_mix: int  # weights · V: 2·B·H·n²·Dh
    flops_out: int  # W_O: 2·B·n·(H·Dh)·D
    softmax_entries: int  # B·H·n²

    @property
    def flops(self) -> int:
        """All matmul FLOPs of one forward pass."""
        return self.flops_projections + self.flops_scores + self.flops_mix + self.flops_out

    @property
    def flops_attention(self) -> int:
        """The O(n²·d) part the note quotes: scores and the weighted sum."""
        return self.flops_scores + self.flops_mix

    @property
    def flops_linear(self) -> int:
        """The O(n·d²) part the note leaves out: the four projections."""
        return self.flops_projections + self.flops_out


def head_cost(d_model: int, n_heads: int, seq_len: int, head_dim: int | None = None, batch: int = 1,
              bias: bool = True) -> HeadCost:
    """The cost of ``MultiHeadAttention(d_model, n_heads, head_dim)`` on ``batch`` sequences of ``seq_len``.

    ``head_dim=None`` is the paper's layout ``d_model // n_heads``: params ``4·D² (+ 4·D biases)``
    and FLOPs ``8·B·n·D² + 4·B·n²·D`` whatever h is. ``head_dim=d_model`` gives full-width heads:
    every term but the output bias grows h-fold.
    """
    check_positive_int("d_model", d_model)
    check_positive_int("n_heads", n_heads)
    check_positive_int("seq_len", seq_len)
    check_positive_int("batch", batch)
    if head_dim is None:
        if d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} is not divisible by n_heads={n_heads}; choose n_heads that divides "
                "d_model, or pass head_dim explicitly"
            )
        head_dim = d_model // n_heads
    check_positive_int("head_dim", head_dim)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__} {bias!r}")
    B, H, Dh, D, n = batch, n_heads, head_dim, d_model, seq_len
    inner = H * Dh
    return HeadCost(
        d_model=D, n_heads=H, head_dim=Dh, seq_len=n, batch=B,
        params=4 * D * inner + ((3 * inner + D) if bias else 0),
        flops_projections=3 * 2 * B * n * D * inner,
        flops_scores=2 * B * H * n * n * Dh,
        flops_mix=2 * B * H * n * n * Dh,
        flops_out=2 * B * n * inner * D,
        softmax_entries=B * H * n * n,
    )


def matmul_flops(fn: Callable[[], object]) -> int:
    """FLOPs of the matrix products run by ``fn()``, counted by ``torch.utils.flop_counter``.

    Deterministic (it counts shapes, not time), so a notebook can print it; used to check
    :func:`head_cost` against what ``MultiHeadAttention`` really runs.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    from torch.utils import flop_counter  # imported here: it is slow to import

    # torch wraps the counter's dispatch in torch._disable_dynamo, whose first call imports torch._dynamo
    # (2-4 s on a laptop CPU) to switch off a compiler nothing here uses: hand it the plain function instead.
    raw = flop_counter._FlopCounterMode.__dict__["__torch_dispatch__"]
    raw = getattr(raw, "__wrapped__", raw)
    if not hasattr(raw, "__dynamo_disable"):
        raw.__dynamo_disable = raw
    with flop_counter.FlopCounterMode(display=False) as counter, torch.no_grad():
        fn()
    return int(counter.get_total_flops())


# --- rank of each head's scores ------------------------------------------------------------------

def head_scores(mha: MultiHeadAttention, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
    """Each head's scores before the softmax, ``(B, H, T, S)``, as ``mha.forward`` computes them.

    For the scaled dot product ``scores_h = X W_Q^h (X W_K^h)ᵀ / √d_k``: a product through a
    ``d_k``-wide bottleneck, so its rank is at most ``d_k`` (Bhojanapalli et al. 2020).
    """
    if not isinstance(mha, MultiHeadAttention):
        raise TypeError(f"mha must be a transformer_lab.MultiHeadAttention, got {type(mha).__name__}")
    context = x if context is None else context
    for name, t in (("x", x), ("context", context)):
        check_tensor(name, t, ndim=3, floating=True)
        if t.shape[-1] != mha.d_model:
            raise ValueError(f"{name} must have shape (B, T, D) with D = {mha.d_model}, got {tuple(t.shape)}")
    if context.shape[0] != x.shape[0]:
        raise ValueError(f"context must have x's batch size B = {x.shape[0]}, got shape {tuple(context.shape)}")
    q = mha.split_heads(mha.q_proj(x))  # (B, H, T, Dh)
    k = mha.split_heads(mha.k_proj(context))  # (B, H, S, Dh)
    return mha.score(q, k)  # (B, H, T, S)


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


# --- what the heads attend to ----------------------------------------------------------------------

def js_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence (nats) between the rows of ``p`` and ``q`` ``(..., S)``: in [0, ln 2]."""
    check_probabilities("p", p)
    check_probabilities("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape (..., S), got {tuple(p.shape)} and {tuple(q.shape)}")
    m = 0.5 * (p + q)

    def kl(a, b):  # 0·log 0 = 0
        return (a * (torch.log(a.clamp_min(1e-30)) - torch.log(b.clamp_min(1e-30)))).sum(-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def _check_weights(weights: torch.Tensor, query: int | None) -> torch.Tensor:
    check_tensor("weights", weights, ndim=4, floating=True)
    if query is None:
        return weights
    if isinstance(query, bool) or not isinstance(query, int):
        raise TypeError(f"query must be an int (a query position) or None, got {type(query).__name__}")
    T = weights.shape[2]
    if not -T <= query < T:
        raise ValueError(f"query must index one of the T={T} query positions, got {query}")
    return weights[:, :, query : query + 1 if query != -1 else None, :]  # (B, H, 1, S)


def head_diversity(weights: torch.Tensor, query: int | None = None, metric: str = "js") -> dict:
    """How different the heads' attention patterns are, on the same inputs.

    ``weights (B, H, T, S)`` from one layer. For every pair of heads, the distance between their
    rows, averaged over the batch and the query positions (only row ``query`` if given):
    ``metric="js"`` the Jensen-Shannon divergence (nats, 0 = identical, ln 2 ≈ 0.693 = disjoint),
    ``"cosine"`` one minus the cosine similarity of the rows. Returns ``{"pairwise": (H, H),
    "mean": mean over pairs i < j}``.
    """
    w = _check_weights(weights, query)
    if metric not in ("js", "cosine"):
        raise ValueError(f"metric must be 'js' or 'cosine', got {metric!r}")
    H = w.shape[1]
    if H < 2:
        raise ValueError(f"weights must hold at least 2 heads to compare, got H={H}")
    a, b = w.unsqueeze(2), w.unsqueeze(1)  # (B, H, 1, T, S), (B, 1, H, T, S)
    if metric == "js":
        a, b = torch.broadcast_tensors(a, b)
        d = js_divergence(a, b)  # (B, H, H, T)
    else:
        d = 1 - torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-12)  # (B, H, H, T)
    pairwise = d.mean(dim=(0, 3))  # (H, H)
    i, j = torch.triu_indices(H, H, offset=1)
    return {"pairwise": pairwise, "mean": pairwise[i, j].mean().item()}


def relation_mass(weights: torch.Tensor, positions: torch.Tensor, query: int = -1) -> torch.Tensor:
    """Mean attention weight each head puts on a given key: ``(H,)``.

    ``weights (B, H, T, S)``; ``positions (B,)`` the key each sequence's row ``query`` should read
    (for example the item found by content, or the item one back). 1.0 means the head reads
    exactly that key, every time.
    """
    w = _check_weights(weights, query)  # (B, H, 1, S)
    check_tensor("positions", positions, ndim=1)
    if positions.is_floating_point() or positions.dtype == torch.bool:
        raise TypeError(f"positions must hold integer key positions, got dtype {positions.dtype}")
    B, S = w.shape[0], w.shape[-1]
    if positions.shape[0] != B:
        raise ValueError(f"positions must have shape (B,) = ({B},), got {tuple(positions.shape)}")
    if positions.numel() and not (0 <= int(positions.min()) and int(positions.max()) < S):
        raise ValueError(f"positions must lie in [0, S={S}), got values in [{int(positions.min())}, {int(positions.max())}]")
    idx = positions.view(B, 1, 1, 1).expand(B, w.shape[1], 1, 1)  # (B, H, 1, 1)
    return w.gather(-1, idx)[:, :, 0, 0].mean(0)  # (H,)


def argmax_mode_fraction(weights: torch.Tensor, query: int = -1) -> torch.Tensor:
    """For each head, how often row ``query`` picks its most common key position: ``(H,)``.

    1.0: the head reads the same position whatever the content, like a convolution kernel with a
    fixed offset. Near ``1/S``: where it looks moves with the content, which no fixed kernel does.
    """
    w = _check_weights(weights, query)  # (B, H, 1, S)
    top = w[:, :, 0, :].argmax(-1)  # (B, H)
    mode = top.mode(dim=0).values  # (H,)
    return (top == mode).float().mean(0)  # (H,)


@torch.no_grad()
def ablate_heads(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> dict:
    """Switch off one head at a time (``head_mask`` 0) and measure the loss and accuracy.

    Michel et al. 2019 prune heads at test time this way. ``model`` is a
    :class:`~transformer_lab.model.TinyTransformer`; returns ``{"baseline": {"loss", "accuracy"},
    "loss": (L, H), "accuracy": (L, H)}``, entry ``[l, h]`` with head h of layer l removed.
    """
    cfg = getattr(model, "cfg", None)
    if cfg is None or not hasattr(cfg, "n_heads"):
        raise TypeError(f"model must be a transformer_lab.TinyTransformer, got {type(model).__name__}")
    check_tensor("tokens", tokens, ndim=2)
    check_tensor("targets", targets, ndim=2)
    if tokens.shape != targets.shape:
        raise ValueError(f"tokens and targets must have the same shape (B, T), got {tuple(tokens.shape)} and {tuple(targets.shape)}")
    was_training = model.training
    model.eval()
    L, H = cfg.n_layers, cfg.n_heads
    loss0, acc0 = loss_and_accuracy(model(tokens), targets)
    loss, acc = torch.zeros(L, H), torch.zeros(L, H)
    for layer in range(L):
        for head in range(H):
            mask = torch.ones(L, H)
            mask[layer, head] = 0.0
            loss[layer, head], acc[layer, head] = loss_and_accuracy(model(tokens, head_mask=mask), targets)
    model.train(was_training)
    return {"baseline": {"loss": loss0.item(), "accuracy": acc0.item()}, "loss": loss, "accuracy": acc}


# --- the low-rank bottleneck -----------------------------------------------------------------------

def random_attention_pattern(n: int, temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A generic attention pattern ``(n, n)``: the row softmax of ``√n · O / temperature``, O a random
    orthogonal matrix.

    The log-pattern has a flat spectrum (all n singular values of ``√n·O`` equal), so no direction
    can be dropped for free: a head reproduces it exactly only with ``d_k ≥ n - 1`` (one
    direction is a constant per row, which the softmax ignores), Bhojanapalli et al. 2020.
    """
    check_positive_int("n", n, minimum=2)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number > 0, got {type(temperature).__name__} {temperature!r}")
    if not 0 < temperature < math.inf:
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    check_positive_int("seed", seed, minimum=0)
    g = make_generator(seed)
    o, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))  # (n, n) orthogonal
    return torch.softmax(o * math.sqrt(n) / temperature, dim=-1)  # (n, n)


def permutation_pattern(n: int, seed: int = 0) -> torch.Tensor:
    """Each query reads exactly one key, a random permutation: ``(n, n)`` one-hot rows.

    A hard pattern, but low-rank scores can still put the maximum in the right place.
    """
    check_positive_int("n", n, minimum=2)
    check_positive_int("seed", seed, minimum=0)
    perm = torch.randperm(n, generator=make_generator(seed))
    return torch.eye(n, dtype=torch.float64)[perm]  # (n, n)


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
    d_ks = [check_positive_int("d_k", d) for d in d_ks]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or len(seeds) != N:
        raise TypeError(f"seeds must be a sequence of {N} int seeds, one per target, got {seeds!r}")
    seeds = [check_positive_int("seed", s, minimum=0) for s in seeds]
    d_model = 2 * n if d_model is None else check_positive_int("d_model", d_model)
    check_positive_int("steps", steps)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise TypeError(f"lr must be a number > 0, got {type(lr).__name__} {lr!r}")
    if not 0 < lr < math.inf:
        raise ValueError(f"lr must be a number > 0, got {lr!r}")
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
    opt = torch.optim.Adam([w_q, w_k], lr=lr)
    # the learning rate decays to 0 along a cosine: at a constant rate Adam keeps circling the optimum
    # (a fit that can reach the target exactly would stop short of it, by a different amount per seed)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    entropy = -(p * torch.log(p.clamp_min(1e-300))).sum(-1)  # (N, 1, n), a constant

    def scores():
        return (x @ (w_q * keep)) @ (x @ (w_k * keep)).transpose(-1, -2) * scale  # (N, K, n, Dh) @ (N, K, Dh, n) -> (N, K, n, n)

    for _ in range(steps):
        loss = -(p * torch.log_softmax(scores(), dim=-1)).sum(-1).mean(-1).sum()  # Σ_{i,k} cross-entropy_{i,k}
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
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
    check_positive_int("n", n, minimum=2)
    return (n - 2) / n * math.log(2)


# --- learning curves -------------------------------------------------------------------------------

def mean_curve_accuracy(histories: list[History]) -> float:
    """Mean over seeds of the mean evaluation accuracy over training: the area under the learning
    curve, which ranks layouts by how fast they learn, not only where they end."""
    check_histories(histories)
    for i, h in enumerate(histories):
        if not h.eval_accuracy:
            raise ValueError(f"histories[{i}] holds no evaluation (eval_accuracy is empty)")
    return sum(sum(h.eval_accuracy) / len(h.eval_accuracy) for h in histories) / len(histories)
