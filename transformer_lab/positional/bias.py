"""Relative positions as a bias added to the scores: ALiBi, T5's bucketed bias, Shaw et al.'s clipping.

Taught in ``notebooks/08_other_pe.ipynb``. Each scheme returns ``score_bias(T, S) -> (H, T, S)``,
a function of the offset ``j - i`` (key position minus query position) only, so all three are
translation invariant. Queries sit at positions ``0 … T-1`` and keys at ``0 … S-1``.

- **ALiBi** (Press, Smith, Lewis 2022, arXiv:2108.12409): ``-m_h·|i - j|`` with fixed head slopes
  ``m_h``; no parameters. Not multiplied by 1/√d_k.
- **T5** (Raffel et al. 2020, arXiv:1910.10683): one learned scalar per (bucket, head); exact buckets
  for small offsets, logarithmic ones up to ``max_distance``, then one shared last bucket.
- **Shaw et al. 2018** (arXiv:1803.02155): offsets clipped to ``[-k, k]``, one learned
  representation per clipped offset. Their key-side term ``q_i · a^K_{clip(j-i)}`` needs the query;
  the seam passes only ``(T, S)``, so :class:`ShawRelativePositional` learns one scalar per head and
  clipped offset (the term with the content of q taken out). The full term is
  :func:`shaw_relative_scores`, tested, but not what a model built by name trains.

Shape legend: H heads, T query positions, S key positions, Dh head width, K = 2k+1 clipped offsets.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_int, check_tensor
from .base import PositionalScheme

__all__ = [
    "ALIBI_FORMS",
    "alibi_slopes",
    "relative_positions",
    "alibi_bias",
    "AlibiPositional",
    "t5_relative_bucket",
    "T5RelativeBias",
    "clipped_relative_positions",
    "shaw_relative_scores",
    "ShawRelativePositional",
]

ALIBI_FORMS = ("bidirectional", "causal", "row_constant")


def _check_lengths(T, S, minimum: int = 1) -> tuple[int, int]:
    return check_int("T", T, minimum), check_int("S", S, minimum)


def relative_positions(T: int, S: int) -> torch.Tensor:
    """Offsets ``j - i`` (key minus query), ``(T, S)`` long: negative for keys in the past (T or S may be 0)."""
    T, S = _check_lengths(T, S, minimum=0)
    return torch.arange(S)[None, :] - torch.arange(T)[:, None]  # (1, S) - (T, 1) -> (T, S)


# --- ALiBi ---------------------------------------------------------------------------------------

def alibi_slopes(n_heads: int) -> torch.Tensor:
    """The head slopes of ALiBi (Press et al. 2022 §3), ``(H,)`` float64.

    For ``n`` a power of two: the geometric sequence that starts at ``2^(-8/n)`` with ratio
    ``2^(-8/n)`` (8 heads: 1/2, 1/4, …, 1/256). Otherwise, as in the official code: the slopes of the
    closest lower power of two ``p``, then every other slope of ``2p`` heads, up to ``n``.
    """
    check_int("n_heads", n_heads)

    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    if n_heads & (n_heads - 1) == 0:
        slopes = power_of_two(n_heads)
    else:
        p = 2 ** math.floor(math.log2(n_heads))
        slopes = power_of_two(p) + alibi_slopes(2 * p).tolist()[0::2][: n_heads - p]
    return torch.tensor(slopes, dtype=torch.float64)  # (H,)


def alibi_bias(T: int, S: int, slopes: torch.Tensor, form: str = "bidirectional") -> torch.Tensor:
    """ALiBi's bias ``(H, T, S)`` for query positions ``0 … T-1`` and key positions ``0 … S-1``.

    ``form``:

    - ``"bidirectional"``: ``-m·|i - j|``, right for any model (the form an encoder needs);
    - ``"causal"``: ``-m·(i - j)``, the paper's formula; it *rewards* future keys (j > i), so it is
      only right under a causal mask, where it equals the bidirectional form on every kept cell;
    - ``"row_constant"``: ``m·j``, the official code's trick (one row, ``slopes * arange(S)``,
      broadcast to all queries). Under a causal mask it differs from ``"causal"`` by a constant per row, which the
      softmax ignores; without the mask it is wrong.
    """
    T, S = _check_lengths(T, S)
    check_tensor("slopes", slopes, ndim=1, floating=True)
    if form not in ALIBI_FORMS:
        raise ValueError(f"form must be one of {ALIBI_FORMS}, got {form!r}")
    rel = relative_positions(T, S).to(slopes.dtype)  # (T, S): j - i
    if form == "bidirectional":
        dist = -rel.abs()  # (T, S)
    elif form == "causal":
        dist = rel  # (T, S): -(i - j)
    else:
        dist = torch.arange(S, dtype=slopes.dtype).expand(T, S)  # (T, S): j, the same in every row
    return slopes[:, None, None] * dist  # (H, 1, 1) * (T, S) -> (H, T, S)


class AlibiPositional(PositionalScheme):
    """ALiBi behind the seam: a fixed bias ``-m_h·|i - j|``; no parameters, no length limit.

    ``form="bidirectional"`` (default) is right with or without a causal mask; see :func:`alibi_bias`.
    """

    name = "alibi"

    def __init__(self, n_heads: int, form: str = "bidirectional"):
        super().__init__()
        check_int("n_heads", n_heads)
        if form not in ALIBI_FORMS:
            raise ValueError(f"form must be one of {ALIBI_FORMS}, got {form!r}")
        self.form = form
        self.register_buffer("slopes", alibi_slopes(n_heads).float(), persistent=False)  # (H,)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(n_heads)

    def score_bias(self, T: int, S: int) -> torch.Tensor:
        T, S = _check_lengths(T, S, minimum=0)
        if T == 0 or S == 0:  # an empty sequence: no cell to bias
            return self.slopes.new_zeros(self.slopes.numel(), T, S)  # (H, T, S)
        return alibi_bias(T, S, self.slopes, self.form)  # (H, T, S)

    def extra_repr(self) -> str:
        return f"n_heads={self.slopes.numel()}, form={self.form!r}"


# --- T5 ------------------------------------------------------------------------------------------

def t5_relative_bucket(
    relative_position: torch.Tensor, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> torch.Tensor:
    """T5's bucket of each offset ``j - i`` (Raffel et al. 2020; the Mesh TensorFlow function).

    Bidirectional: half of the buckets for keys after the query, half for keys before it. Within a
    half, ``n/2`` exact buckets for offsets ``0 … n/2 - 1``, then buckets logarithmic in the offset up
    to ``max_distance``; every larger offset falls in the last bucket. Unidirectional (a decoder):
    keys after the query share bucket 0 and all buckets serve the past.
    """
    check_tensor("relative_position", relative_position)
    if relative_position.is_floating_point() or relative_position.dtype == torch.bool:
        raise TypeError(f"relative_position must hold integers, got dtype {relative_position.dtype}")
    if not isinstance(bidirectional, bool):
        raise TypeError(f"bidirectional must be a bool, got {type(bidirectional).__name__} {bidirectional!r}")
    check_int("num_buckets", num_buckets, minimum=2)
    check_int("max_distance", max_distance, minimum=1)
    n = num_buckets
    bucket = torch.zeros_like(relative_position)
    if bidirectional:
        if n % 2 or n < 4:
            raise ValueError(f"num_buckets must be even and >= 4 when bidirectional, got {num_buckets}")
        n //= 2
        bucket = bucket + (relative_position > 0).long() * n  # keys after the query use the upper half
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)  # past keys: i - j >= 0; future keys: 0
    max_exact = n // 2
    if max_distance <= max_exact:
        raise ValueError(f"max_distance must be > num_buckets' exact range {max_exact}, got {max_distance}")
    is_small = distance < max_exact
    log_ratio = torch.log(distance.clamp(min=1).float() / max_exact) / math.log(max_distance / max_exact)  # float32, as T5
    large = (max_exact + (log_ratio * (n - max_exact)).long()).clamp(max=n - 1)
    return bucket + torch.where(is_small, distance, large)  # (…) long


class T5RelativeBias(PositionalScheme):
    """T5's relative bias: one learned scalar per (bucket, head), shared by every layer of the model.

    The table is ``(num_buckets, H)``, initialised N(0, 0.02²). A bucket whose offsets never occur in
    training keeps its initial value: at longer lengths the model meets biases it never learned.
    """

    name = "t5"

    def __init__(self, n_heads: int, num_buckets: int = 32, max_distance: int = 128, bidirectional: bool = True):
        super().__init__()
        check_int("n_heads", n_heads)
        t5_relative_bucket(torch.zeros(1, dtype=torch.long), bidirectional, num_buckets, max_distance)  # validate
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        self.bias = nn.Parameter(torch.randn(num_buckets, n_heads) * 0.02)  # (n_buckets, H)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(n_heads)

    def buckets(self, T: int, S: int) -> torch.Tensor:
        """The bucket of every (query, key) cell, ``(T, S)`` long."""
        return t5_relative_bucket(relative_positions(T, S), self.bidirectional, self.num_buckets, self.max_distance)

    def score_bias(self, T: int, S: int) -> torch.Tensor:
        return self.bias[self.buckets(T, S)].permute(2, 0, 1)  # (T, S, H) -> (H, T, S)

    def extra_repr(self) -> str:
        return f"num_buckets={self.num_buckets}, max_distance={self.max_distance}, bidirectional={self.bidirectional}"


# --- Shaw et al. ---------------------------------------------------------------------------------

def clipped_relative_positions(T: int, S: int, max_distance: int) -> torch.Tensor:
    """``clip(j - i, -k, k) + k``: an index into the ``2k + 1`` relative representations, ``(T, S)`` long."""
    check_int("max_distance", max_distance, minimum=0)
    return relative_positions(T, S).clamp(-max_distance, max_distance) + max_distance  # (T, S)


def shaw_relative_scores(q: torch.Tensor, k: torch.Tensor, rel_k: torch.Tensor, max_distance: int) -> torch.Tensor:
    """Shaw et al. 2018, Eq. 5: ``q_i · (k_j + a^K_{clip(j-i)}) / √Dh``.

    ``q (..., T, Dh)``, ``k (..., S, Dh)``, ``rel_k (2k+1, Dh)`` the key-side representations ``a^K``.
    Returns the scores ``(..., T, S)``. The second term needs q, which the scheme seam does not see.
    """
    check_tensor("q", q, floating=True)
    check_tensor("k", k, floating=True)
    check_tensor("rel_k", rel_k, ndim=2, floating=True)
    if q.dim() < 2 or q.shape[:-2] != k.shape[:-2] or q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have shapes (..., T, Dh) and (..., S, Dh), got {tuple(q.shape)} and {tuple(k.shape)}")
    K = 2 * check_int("max_distance", max_distance, minimum=0) + 1
    if rel_k.shape != (K, q.shape[-1]):
        raise ValueError(f"rel_k must have shape (2k+1, Dh) = ({K}, {q.shape[-1]}), got {tuple(rel_k.shape)}")
    T, S = q.shape[-2], k.shape[-2]
    a = rel_k[clipped_relative_positions(T, S, max_distance)]  # (T, S, Dh)
    content = q @ k.transpose(-2, -1)  # (..., T, S)
    position = torch.einsum("...td,tsd->...ts", q, a)  # (..., T, S): q_i · a_ij
    return (content + position) / math.sqrt(q.shape[-1])


class ShawRelativePositional(PositionalScheme):
    """Clipped relative positions as a learned bias ``w_{h, clip(j-i)}``: ``(H, 2k+1)`` scalars.

    This is the part of Shaw et al.'s key-side term that fits the ``score_bias(T, S)`` seam (one
    scalar per head and clipped offset, like T5 with exact buckets and a clip instead of log buckets).
    Every offset beyond ``k`` shares the last value, so the scheme has no length limit. Shaw et al.
    found ``k >= 2`` as good as larger clips in translation. Initialised N(0, 0.02²).
    """

    name = "shaw"

    def __init__(self, n_heads: int, max_distance: int = 8):
        super().__init__()
        check_int("n_heads", n_heads)
        self.max_distance = check_int("max_distance", max_distance, minimum=0)
        self.bias = nn.Parameter(torch.randn(n_heads, 2 * max_distance + 1) * 0.02)  # (H, K)

    @classmethod
    def build(cls, *, d_model, max_len, n_heads, head_dim):
        return cls(n_heads)

    def score_bias(self, T: int, S: int) -> torch.Tensor:
        return self.bias[:, clipped_relative_positions(T, S, self.max_distance)]  # (H, T, S)

    def extra_repr(self) -> str:
        return f"n_heads={self.bias.shape[0]}, max_distance={self.max_distance}"
