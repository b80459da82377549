"""Measuring positional schemes: their family, cost, score patterns, translation invariance and length limit.

Taught in ``notebooks/08_other_pe.ipynb``. Every property in the notebook's pros-and-cons table is
computed by a function here (from a scheme object) or in :mod:`.losses` (from a trained model),
never typed by hand.

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width.
"""

from __future__ import annotations

import copy
import math
import torch

from ..._checks import check_int, check_seed, check_tensor
from ...positional import PositionalScheme
from ...randomness import make_generator

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
]

FAMILIES = ("none", "added to the input", "rotates q and k", "bias on the scores")


def _check_scheme(scheme) -> PositionalScheme:
    if not isinstance(scheme, PositionalScheme):
        raise TypeError(f"scheme must be a PositionalScheme (see transformer_lab.positional), got {type(scheme).__name__}")
    return scheme


def _check_sizes(d_model, n_heads, head_dim) -> None:
    check_int("d_model", d_model)
    check_int("n_heads", n_heads)
    check_int("head_dim", head_dim)


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
    check_int("n_heads", n_heads)
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
    check_int("T", T)
    check_int("n_heads", n_heads)
    check_int("head_dim", head_dim)
    check_seed("seed", seed)
    c = torch.randn(1, 1, n_heads * head_dim, generator=make_generator(seed))  # (1, 1, D)
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
    check_int("T", T)
    check_int("shift", shift)
    _check_sizes(d_model, n_heads, head_dim)
    check_seed("seed", seed)
    g = make_generator(seed)
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
    check_int("T", T)
    check_int("longer", longer, minimum=T + 1)
    _check_sizes(d_model, n_heads, head_dim)
    check_seed("seed", seed)
    g = make_generator(seed)
    x = torch.randn(1, longer, d_model, generator=g, dtype=torch.float64)  # (1, L, D)
    w_q = torch.randn(d_model, n_heads * head_dim, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, H·Dh)
    w_k = torch.randn(d_model, n_heads * head_dim, generator=g, dtype=torch.float64) / math.sqrt(d_model)  # (D, H·Dh)
    scheme64 = _as_double(scheme)
    with torch.no_grad():
        short = positional_scores(scheme64, x[:, :T], n_heads, w_q, w_k)  # (1, H, T, T)
        long = positional_scores(scheme64, x, n_heads, w_q, w_k)  # (1, H, L, L)
    return (long[..., :T, :T] - short).abs().max().item()


def _as_double(scheme: PositionalScheme) -> PositionalScheme:
    return copy.deepcopy(scheme).double()  # a float64 copy: the gaps are measured far below float32 rounding


def supports_length(scheme: PositionalScheme, length: int, d_model: int, n_heads: int, head_dim: int) -> bool:
    """Does every hook of the scheme accept a sequence of ``length`` positions? (False if one raises ValueError.)"""
    _check_scheme(scheme)
    check_int("length", length)
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
    check_int("up_to", up_to, minimum=2)
    if supports_length(scheme, up_to, d_model, n_heads, head_dim):
        return math.inf
    if not supports_length(scheme, 1, d_model, n_heads, head_dim):
        return 0
    lo, hi = 1, up_to  # lo accepted, hi refused
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if supports_length(scheme, mid, d_model, n_heads, head_dim) else (lo, mid)
    return lo
