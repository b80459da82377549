"""What a head layout costs: parameters and matmul FLOPs of one multi-head attention layer (notebook 05).

With ``d_k = d_model/h`` the parameters and the matmul FLOPs do not depend on h; with full-width
heads (``d_k = d_model``) they grow h-fold (Vaswani et al. 2017, §3.2.2, arXiv:1706.03762). What
does grow with h either way is the number of attention weights, ``h·n²`` per sequence.
:func:`head_cost` gives the closed form, :func:`matmul_flops` counts what really runs.

Shape legend: B batch, H heads, n positions, D model width, Dh head width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..._checks import check_bool, check_int

__all__ = ["HeadCost", "head_cost", "matmul_flops"]


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
    check_int("d_model", d_model)
    check_int("n_heads", n_heads)
    check_int("seq_len", seq_len)
    check_int("batch", batch)
    if head_dim is None:
        if d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} is not divisible by n_heads={n_heads}; choose n_heads that divides "
                "d_model, or pass head_dim explicitly"
            )
        head_dim = d_model // n_heads
    check_int("head_dim", head_dim)
    check_bool("bias", bias)
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
    from torch.utils import flop_counter  # imported here, not at the top: it is slow to import, and only this needs it

    # torch wraps the counter's dispatch in torch._disable_dynamo, whose first call imports torch._dynamo
    # (2-4 s on a laptop CPU) to switch off a compiler nothing here uses: hand it the plain function instead.
    raw = flop_counter._FlopCounterMode.__dict__["__torch_dispatch__"]
    raw = getattr(raw, "__wrapped__", raw)
    if not hasattr(raw, "__dynamo_disable"):
        raw.__dynamo_disable = raw
    with flop_counter.FlopCounterMode(display=False) as counter, torch.no_grad():
        fn()
    return int(counter.get_total_flops())
