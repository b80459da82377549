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

from ..._checks import check_bool, check_int, check_number, check_seed, check_tensor
from ...masks import causal_mask
from ...positional import PositionalScheme, t5_relative_bucket
from ...positional.bias import relative_positions
from ...positional.rotary import rope_angles, rope_decay_bound, rope_relative_scores
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
    "scheme_facts",
    "untrained_buckets",
    "rope_decay_curves",
]

FAMILIES = ("none", "added to the input", "rotates q and k", "bias on the scores")


def _check_scheme(scheme, name: str = "scheme") -> PositionalScheme:
    if not isinstance(scheme, PositionalScheme):
        raise TypeError(f"{name} must be a PositionalScheme (see transformer_lab.positional), got {type(scheme).__name__}")
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


def scheme_facts(schemes: dict[str, PositionalScheme], d_model: int, n_heads: int, head_dim: int, T: int = 8,
                 seed: int = 0, up_to: int = 512) -> dict[str, dict]:
    """What each scheme is and costs, read off the objects: ``{name: facts}`` with

    ``family`` (:func:`scheme_family`), ``parameters`` (:func:`count_parameters`), ``translation_gap`` (the
    largest score change when the sequence moves 5 positions on, :func:`translation_gap`), ``invariant``
    (that gap below 1e-9), ``length_gap`` (the largest change of the first ``T`` positions' scores when
    ``T`` more tokens follow, :func:`length_gap`), ``by_length`` (that gap above 1e-9: a position's code
    depends on the length) and ``longest`` (the longest input it accepts, up to ``up_to``:
    :func:`length_limit`, ``math.inf`` past it). Notebook 08 §1 prints them; its pros-and-cons table reuses them.
    """
    if not isinstance(schemes, dict):
        raise TypeError(f"schemes must be a dict {{name: PositionalScheme}}, got {type(schemes).__name__}")
    if not schemes:
        raise ValueError("schemes must name at least one scheme, got an empty dict")
    for name, scheme in schemes.items():
        if not isinstance(name, str):
            raise TypeError(f"schemes must have str names, got {name!r}")
        _check_scheme(scheme, f"schemes[{name!r}]")
    _check_sizes(d_model, n_heads, head_dim)
    check_int("T", T)
    check_seed("seed", seed)
    facts = {}
    for name, scheme in schemes.items():
        gap = translation_gap(scheme, d_model, n_heads, head_dim, T=T, shift=5, seed=seed)
        grow = length_gap(scheme, d_model, n_heads, head_dim, T=T, longer=2 * T, seed=seed + 1)
        facts[name] = {"family": scheme_family(scheme), "parameters": count_parameters(scheme),
                       "translation_gap": gap, "invariant": gap < 1e-9, "length_gap": grow, "by_length": grow > 1e-9,
                       "longest": length_limit(scheme, d_model, n_heads, head_dim, up_to=up_to)}
    return facts


def untrained_buckets(train_len: int, eval_len: int, bidirectional: bool = False, num_buckets: int = 32,
                      max_distance: int = 128) -> tuple[list[int], float]:
    """T5's buckets that a causal model meets at ``eval_len`` tokens but never at ``train_len``, and the
    share of the (query, key) pairs of a causal ``eval_len``-token sequence that fall in them.

    Exact, before any training: a bucket no training pair falls in gets no gradient, so it keeps its
    initial value. ``bidirectional=False`` is the decoder's bucketing (T5's own decoder; every bucket
    serves a key at or before the query), ``True`` the encoder's (half the buckets for keys after the
    query, which a causal model never uses).
    """
    check_int("train_len", train_len)
    check_int("eval_len", eval_len, minimum=train_len)
    check_bool("bidirectional", bidirectional)

    def used(T: int) -> torch.Tensor:  # the buckets of the pairs a causal T-token sequence uses, (pairs,)
        return t5_relative_bucket(relative_positions(T, T), bidirectional, num_buckets, max_distance)[causal_mask(T)]

    seen = set(used(train_len).tolist())
    at_eval = used(eval_len)
    never = sorted(set(at_eval.tolist()) - seen)
    share = torch.isin(at_eval, torch.tensor(never, dtype=at_eval.dtype)).float().mean().item() if never else 0.0
    return never, share


def rope_decay_curves(base: float = 10000.0, head_dim: int = 64, max_distance: int = 256, n_pairs: int = 512,
                      seed: int = 0) -> dict[str, torch.Tensor]:
    """RoPE's score ``qᵀR_r k / Dh`` against the distance r = 0 … ``max_distance``, four curves ``(R,)``:

    - ``"aligned"``: q = k = (1, …, 1), RoFormer's "long-term decay" (Su et al. 2021, §3.4.3);
    - ``"bound"``: RoFormer's decaying bound, divided by its value at r = 0;
    - ``"random_mean"``: the mean over ``n_pairs`` independent N(0, 1) pairs q, k: zero at every r
      (Barbero et al. 2024): the decay belongs to aligned queries and keys, not to RoPE alone;
    - ``"one_random"``: one of those pairs.
    """
    check_number("base", base, above=1)
    check_int("head_dim", head_dim, minimum=2)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even (RoPE rotates pairs of dims), got {head_dim}")
    check_int("max_distance", max_distance)
    check_int("n_pairs", n_pairs)
    check_seed("seed", seed)
    d = torch.arange(max_distance + 1)  # (R,)
    g = make_generator(seed)
    q = torch.randn(n_pairs, head_dim, generator=g, dtype=torch.float64)  # (N, Dh)
    k = torch.randn(n_pairs, head_dim, generator=g, dtype=torch.float64)  # (N, Dh)
    ones = torch.ones(head_dim, dtype=torch.float64)
    bound = rope_decay_bound(d, head_dim, base)  # (R,)
    # qᵀR_r k = Σ_i cos(rθ_i)(q_2i k_2i + q_2i+1 k_2i+1) + sin(rθ_i)(q_2i+1 k_2i − q_2i k_2i+1): linear in each pair's
    # coefficients, so the mean over the N pairs is that sum over their mean coefficients ((R, P) @ (P,), not (N, R, P))
    angles = rope_angles(d, head_dim, base)  # (R, P)
    qe, qo, ke, ko = q[:, 0::2], q[:, 1::2], k[:, 0::2], k[:, 1::2]  # (N, P) each
    mean = angles.cos() @ (qe * ke + qo * ko).mean(0) + angles.sin() @ (qo * ke - qe * ko).mean(0)  # (R,)
    return {"aligned": rope_relative_scores(ones, ones, d, base) / head_dim, "bound": bound / bound[0],
            "random_mean": mean / head_dim, "one_random": rope_relative_scores(q[0], k[0], d, base) / head_dim}
