"""Measuring positional schemes: their score patterns, translation invariance, cost, length limit, extrapolation.

Taught in ``notebooks/08_other_pe.ipynb``. Every property in the notebook's pros-and-cons table is
computed by a function here, from a scheme object or a trained model, never typed by hand.

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F

from ._checks import check_positive_int, check_tensor
from .positional import PositionalScheme
from .randomness import check_seed as _check_seed
from .tasks import Task

__all__ = [
    "FAMILIES",
    "scheme_family",
    "count_parameters",
    "positional_scores",
    "score_pattern",
    "translation_gap",
    "length_gap",
    "supports_length",
    "length_limit",
    "loss_curves",
    "loss_by_length",
    "loss_by_position",
    "prefix_losses",
    "optimal_loss_by_position",
]

FAMILIES = ("none", "added to the input", "rotates q and k", "bias on the scores")


def _check_scheme(scheme) -> PositionalScheme:
    if not isinstance(scheme, PositionalScheme):
        raise TypeError(f"scheme must be a PositionalScheme (see transformer_lab.positional), got {type(scheme).__name__}")
    return scheme


def _check_sizes(d_model, n_heads, head_dim) -> None:
    check_positive_int("d_model", d_model)
    check_positive_int("n_heads", n_heads)
    check_positive_int("head_dim", head_dim)


def _check_model(model, name: str = "model") -> torch.nn.Module:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (e.g. tl.build_model(cfg)), got {type(model).__name__}")
    return model


def scheme_family(scheme: PositionalScheme) -> str:
    """Which hook of the seam the scheme overrides: one of :data:`FAMILIES` (x-transformers' three families)."""
    cls = type(_check_scheme(scheme))
    hooks = [
        (cls.add_to_input is not PositionalScheme.add_to_input, FAMILIES[1]),
        (cls.rotate_qk is not PositionalScheme.rotate_qk, FAMILIES[2]),
        (cls.score_bias is not PositionalScheme.score_bias, FAMILIES[3]),
    ]
    found = [family for overridden, family in hooks if overridden]
    return " + ".join(found) if found else FAMILIES[0]


def count_parameters(scheme: PositionalScheme) -> int:
    """Learned numbers the scheme adds to the model (buffers such as fixed tables do not count)."""
    return sum(p.numel() for p in _check_scheme(scheme).parameters())


def positional_scores(
    scheme: PositionalScheme, x: torch.Tensor, n_heads: int, w_q: torch.Tensor | None = None, w_k: torch.Tensor | None = None
) -> torch.Tensor:
    """The scores ``(B, H, T, T)`` of self-attention over ``x (B, T, D)`` with the scheme applied.

    The seam in the order the model applies it: ``add_to_input``, the projections ``w_q, w_k``
    ``(D, H·Dh)`` (default: the identity, so ``Dh = D / H``), the split into heads, ``rotate_qk``,
    ``q·k/√Dh``, plus ``score_bias``. No mask, no softmax.
    """
    _check_scheme(scheme)
    check_tensor("x", x, ndim=3, floating=True)
    check_positive_int("n_heads", n_heads)
    B, T, D = x.shape
    if (w_q is None) != (w_k is None):
        raise ValueError(f"w_q and w_k must be given together (or neither: identity projections), "
                         f"got w_q={'None' if w_q is None else 'a tensor'}, w_k={'None' if w_k is None else 'a tensor'}")
    if w_q is None:
        if D % n_heads:
            raise ValueError(f"n_heads must divide x's width D = {D} (identity projections), got {n_heads}")
        w_q = w_k = torch.eye(D, dtype=x.dtype)
    for name, w in (("w_q", w_q), ("w_k", w_k)):
        check_tensor(name, w, ndim=2, floating=True)
        if w.shape[0] != D or w.shape[1] % n_heads:
            raise ValueError(f"{name} must have shape (D, H·Dh) with D = {D} and H = {n_heads} dividing H·Dh, got {tuple(w.shape)}")
        if w.dtype != x.dtype:
            raise ValueError(f"{name} must have x's dtype {x.dtype}, got {w.dtype}")
    if w_q.shape != w_k.shape:
        raise ValueError(f"w_q and w_k must have the same shape (D, H·Dh), got {tuple(w_q.shape)} and {tuple(w_k.shape)}")
    x = scheme.add_to_input(x)  # (B, T, D)
    Dh = w_q.shape[1] // n_heads
    q = (x @ w_q).view(B, T, n_heads, Dh).transpose(1, 2)  # (B, H, T, Dh)
    k = (x @ w_k).view(B, T, n_heads, Dh).transpose(1, 2)  # (B, H, T, Dh)
    q, k = scheme.rotate_qk(q, k)
    scores = q @ k.transpose(-2, -1) / math.sqrt(Dh)  # (B, H, T, T)
    bias = scheme.score_bias(T, T)
    return scores if bias is None else scores + bias.to(scores.dtype)  # (B, H, T, T) + (H, T, T)


def score_pattern(scheme: PositionalScheme, T: int, n_heads: int, head_dim: int, seed: int = 0) -> torch.Tensor:
    """What position alone does to the scores: the same content vector at every position, ``(H, T, T)``.

    The content ``c`` is one N(0, 1) vector of width ``H·Dh`` repeated T times and the projections
    are the identity, so every difference between cells comes from the scheme.
    """
    _check_scheme(scheme)
    check_positive_int("T", T)
    check_positive_int("head_dim", head_dim)
    g = torch.Generator().manual_seed(_check_seed("seed", seed))
    c = torch.randn(1, 1, check_positive_int("n_heads", n_heads) * head_dim, generator=g)  # (1, 1, D)
    with torch.no_grad():
        return positional_scores(scheme, c.expand(1, T, -1).contiguous(), n_heads)[0]  # (H, T, T)


def translation_gap(
    scheme: PositionalScheme, d_model: int, n_heads: int, head_dim: int, T: int = 8, shift: int = 5, seed: int = 0
) -> float:
    """Largest change of a score when the whole sequence moves ``shift`` positions to the right.

    Content ``x (1, T, D)`` at positions ``0 … T-1`` against the same content at ``shift … shift+T-1``
    (random filler before it), random projections ``W_Q, W_K``. Zero (to float error) means the
    scores see offsets only: the scheme is translation invariant. The scheme must cover ``T + shift``.
    """
    _check_scheme(scheme)
    check_positive_int("T", T)
    check_positive_int("shift", shift)
    _check_sizes(d_model, n_heads, head_dim)
    g = torch.Generator().manual_seed(_check_seed("seed", seed))
    x = torch.randn(1, T, d_model, generator=g, dtype=torch.float64)  # (1, T, D)
    filler = torch.randn(1, shift, d_model, generator=g, dtype=torch.float64)  # (1, shift, D)
    w_q = torch.randn(d_model, n_heads * head_dim, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, H·Dh)
    w_k = torch.randn(d_model, n_heads * head_dim, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, H·Dh)
    scheme64 = _as_double(scheme)
    with torch.no_grad():
        base = positional_scores(scheme64, x, n_heads, w_q, w_k)  # (1, H, T, T)
        moved = positional_scores(scheme64, torch.cat([filler, x], dim=1), n_heads, w_q, w_k)  # (1, H, T+s, T+s)
    return (moved[..., shift:, shift:] - base).abs().max().item()


def length_gap(
    scheme: PositionalScheme, d_model: int, n_heads: int, head_dim: int, T: int = 8, longer: int = 16, seed: int = 0
) -> float:
    """Largest change of a score among the first ``T`` positions when the sequence grows to ``longer``.

    The same content ``x (1, T, D)`` alone, and followed by ``longer - T`` random tokens; random
    projections ``W_Q, W_K``; the scores of the first T queries and keys compared. Zero (to float
    error) means the code of a position does not depend on how long the sequence is. Only the note's
    ``[0, 1]`` code, ``t/(T-1)``, fails: one step is ``1/(T-1)``, so every position's code moves when
    the sequence grows, and a causal model generating token by token never has a fixed T.
    """
    _check_scheme(scheme)
    check_positive_int("T", T)
    check_positive_int("longer", longer, minimum=T + 1)
    _check_sizes(d_model, n_heads, head_dim)
    g = torch.Generator().manual_seed(_check_seed("seed", seed))
    x = torch.randn(1, longer, d_model, generator=g, dtype=torch.float64)  # (1, L, D)
    w_q = torch.randn(d_model, n_heads * head_dim, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, H·Dh)
    w_k = torch.randn(d_model, n_heads * head_dim, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, H·Dh)
    scheme64 = _as_double(scheme)
    with torch.no_grad():
        short = positional_scores(scheme64, x[:, :T], n_heads, w_q, w_k)  # (1, H, T, T)
        long = positional_scores(scheme64, x, n_heads, w_q, w_k)  # (1, H, L, L)
    return (long[..., :T, :T] - short).abs().max().item()


def _as_double(scheme: PositionalScheme) -> PositionalScheme:
    import copy

    return copy.deepcopy(scheme).double()


def supports_length(scheme: PositionalScheme, length: int, d_model: int, n_heads: int, head_dim: int) -> bool:
    """Does every hook of the scheme accept a sequence of ``length`` positions? (False if one raises ValueError.)"""
    _check_scheme(scheme)
    check_positive_int("length", length)
    _check_sizes(d_model, n_heads, head_dim)
    try:
        with torch.no_grad():
            scheme.add_to_input(torch.zeros(1, length, d_model))
            scheme.rotate_qk(torch.zeros(1, n_heads, length, head_dim), torch.zeros(1, n_heads, length, head_dim))
            scheme.score_bias(length, length)
    except ValueError:
        return False
    return True


def length_limit(scheme: PositionalScheme, d_model: int, n_heads: int, head_dim: int, up_to: int = 4096) -> float:
    """The longest sequence the scheme accepts, found by bisection; ``math.inf`` if it accepts ``up_to``."""
    _check_scheme(scheme)
    check_positive_int("up_to", up_to, minimum=2)
    if supports_length(scheme, up_to, d_model, n_heads, head_dim):
        return math.inf
    if not supports_length(scheme, 1, d_model, n_heads, head_dim):
        return 0
    lo, hi = 1, up_to  # lo accepted, hi refused
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if supports_length(scheme, mid, d_model, n_heads, head_dim) else (lo, mid)
    return lo


@torch.no_grad()
def loss_by_position(model: torch.nn.Module, task: Task, size: int = 256, seed: int = 10_000) -> torch.Tensor:
    """Cross-entropy at each position, averaged over ``size`` sequences of ``task``: ``(T,)``."""
    _check_model(model)
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task (e.g. tl.LocalCopyTask()), got {type(task).__name__}")
    check_positive_int("size", size)
    was_training = model.training
    model.eval()
    tokens, targets = task.batch(size, seed)  # (B, T), (B, T)
    logits = model(tokens)  # (B, T, C)
    model.train(was_training)
    return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none", ignore_index=-100).mean(0)  # (T,)


@torch.no_grad()
def prefix_losses(model: torch.nn.Module, tokens: torch.Tensor, targets: torch.Tensor,
                  lengths: Sequence[int]) -> dict[int, torch.Tensor]:
    """``{L: cross-entropy at each of the first L positions (L,)}``: the model run on ``tokens[:, :L]``,
    averaged over the batch. ``tokens, targets (B, T)`` with ``T >= max(lengths)``.

    The first L tokens of a longer sequence are a sequence of length L (for a task such as
    :class:`~transformer_lab.tasks.LocalCopyTask`, drawn from the same law), so one batch serves every
    length. A causal :class:`~transformer_lab.model.TinyTransformer` whose scheme does not depend on the
    length (:func:`length_gap` zero: every scheme but ``normalized``) computes at position t the same
    thing whatever follows, so it runs once, on the longest prefix, and is sliced; any other model runs
    once per length.
    """
    _check_model(model)
    check_tensor("tokens", tokens, ndim=2)
    check_tensor("targets", targets, ndim=2)
    if tokens.shape != targets.shape:
        raise ValueError(f"tokens and targets must have the same shape (B, T), got {tuple(tokens.shape)} and "
                         f"{tuple(targets.shape)}")
    if isinstance(lengths, str) or not isinstance(lengths, Sequence) or len(lengths) == 0:
        raise TypeError(f"lengths must be a non-empty sequence of ints (e.g. (16, 64)), got {lengths!r}")
    for i, L in enumerate(lengths):
        check_positive_int(f"lengths[{i}]", L)
    longest = max(lengths)
    if longest > tokens.shape[1]:
        raise ValueError(f"lengths go up to {longest} but tokens has only T = {tokens.shape[1]} positions")
    was_training = model.training
    model.eval()

    def run(L: int) -> torch.Tensor:  # (L,)
        logits = model(tokens[:, :L])  # (B, L, C)
        return F.cross_entropy(logits.transpose(1, 2), targets[:, :L], reduction="none", ignore_index=-100).mean(0)

    try:
        if _length_free_causal(model):
            full = run(longest)  # (longest,)
            return {L: full[:L].clone() for L in lengths}
        return {L: run(L) for L in lengths}
    finally:
        model.train(was_training)


def _length_free_causal(model: torch.nn.Module) -> bool:
    """A causal model whose positional scheme gives every position the same code at any length."""
    cfg, scheme = getattr(model, "cfg", None), getattr(model, "positional", None)
    if not getattr(cfg, "causal", False) or getattr(cfg, "mask_self", False) or not isinstance(scheme, PositionalScheme):
        return False
    longer = min(8, cfg.max_len)
    if longer < 2:  # nothing to compare: run once per length
        return False
    return length_gap(scheme, cfg.d_model, cfg.n_heads, cfg.resolved_head_dim, T=longer // 2, longer=longer) < 1e-9


def loss_curves(
    models: Mapping[str, torch.nn.Module], task, lengths: Sequence[int], size: int = 256, seed: int = 10_000
) -> dict[str, dict[int, torch.Tensor]]:
    """``{name: {L: cross-entropy at each position (L,) of sequences of length L}}``.

    ``task`` needs ``at_length(L)`` (e.g. :class:`~transformer_lab.tasks.LocalCopyTask`). Each length
    is a fresh batch of sequences of exactly that length (a scheme such as ``normalized`` depends on
    the length itself, so a longer sequence cannot stand in for a shorter one).
    """
    if not hasattr(task, "at_length"):
        raise TypeError(f"task must have an at_length(L) method (e.g. LocalCopyTask), got {type(task).__name__}")
    if isinstance(lengths, str) or not isinstance(lengths, Sequence):
        raise TypeError(f"lengths must be a sequence of ints (e.g. (16, 32)), got {type(lengths).__name__}")
    if len(lengths) == 0:
        raise ValueError("lengths must name at least one length, got an empty sequence")
    for i, L in enumerate(lengths):
        check_positive_int(f"lengths[{i}]", L)
    if not isinstance(models, Mapping):
        raise TypeError(f"models must be a dict {{name: model}}, got {type(models).__name__}")
    if not models:
        raise ValueError("models must name at least one model, got {}")
    for name, model in models.items():
        _check_model(model, f"models[{name!r}]")
    check_positive_int("size", size)
    return {
        name: {L: loss_by_position(model, task.at_length(L), size, seed) for L in lengths}
        for name, model in models.items()
    }


def loss_by_length(
    models: Mapping[str, torch.nn.Module], task, lengths: Sequence[int], size: int = 256, seed: int = 10_000
) -> dict[str, list[float]]:
    """``{name: [mean cross-entropy of sequences of length L, for L in lengths]}`` (see :func:`loss_curves`)."""
    curves = loss_curves(models, task, lengths, size, seed)
    return {name: [by_len[L].mean().item() for L in lengths] for name, by_len in curves.items()}


def optimal_loss_by_position(task, size: int = 256, seed: int = 10_000) -> torch.Tensor:
    """The cross-entropy of the exact next-token law at each position (the floor no model beats): ``(T,)``.

    ``task`` needs ``optimal_probs(tokens)`` (e.g. :class:`~transformer_lab.tasks.LocalCopyTask`);
    the batch is the one :func:`loss_by_position` draws with the same ``size`` and ``seed``.
    """
    if not hasattr(task, "optimal_probs"):
        raise TypeError(f"task must have an optimal_probs(tokens) method (e.g. LocalCopyTask), got {type(task).__name__}")
    check_positive_int("size", size)
    tokens, targets = task.batch(size, seed)  # (B, T), (B, T)
    probs = task.optimal_probs(tokens)  # (B, T, V)
    return -probs.gather(-1, targets[..., None]).squeeze(-1).log().mean(0)  # (T,)
