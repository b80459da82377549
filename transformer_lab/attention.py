"""Attention written out: score functions, masked softmax, multi-head attention.

Taught in ``notebooks/03_attention_scores.ipynb`` (score functions, scaling) and
``notebooks/01_multi_head.ipynb`` (heads). PyTorch's fused kernels are the oracle in the tests;
the explicit math below is the implementation.

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width,
A hidden width of additive attention.

Masks follow ``torch.nn.functional.scaled_dot_product_attention``: a bool mask is True where a key
takes part; a float mask is *added* to the scores (0 = take part, -inf = masked).
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_finite, check_number, check_positive_int, check_tensor, checking_values
from .masks import combine_masks, key_mask_to_attention_mask, to_additive

__all__ = [
    "dot_scores",
    "scaled_dot_scores",
    "bilinear_scores",
    "additive_scores",
    "DotScore",
    "ScaledDotScore",
    "BilinearScore",
    "AdditiveScore",
    "SCORE_FUNCTIONS",
    "make_score",
    "masked_softmax",
    "attend",
    "scaled_dot_product_attention",
    "fused_attention",
    "MultiHeadAttention",
]


# --- score functions: (q (..., T, Dq), k (..., S, Dk)) -> scores (..., T, S) -------------------

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
        check_positive_int("d_q", d_q)
        d_k = d_q if d_k is None else check_positive_int("d_k", d_k)
        self.weight = nn.Parameter(torch.eye(d_q, d_k) / math.sqrt(d_k))  # (Dq, Dk)

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return bilinear_scores(q, k, self.weight)


class AdditiveScore(nn.Module):
    """``vᵀ tanh(W_q q + W_k k)`` with its parameters; shared by all heads when used in MHA."""

    def __init__(self, d_q: int, d_k: int | None = None, d_attn: int | None = None):
        super().__init__()
        check_positive_int("d_q", d_q)
        d_k = d_q if d_k is None else check_positive_int("d_k", d_k)
        d_attn = d_q if d_attn is None else check_positive_int("d_attn", d_attn)
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


# --- masked softmax and attention ----------------------------------------------------------------

def masked_softmax(
    scores: torch.Tensor, mask: torch.Tensor | None = None, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """Row softmax of ``scores (..., T, S)`` after a mask and a bias.

    ``mask``: bool (True = take part) or float (added), broadcastable to ``scores``.
    ``bias``: float, broadcastable, added (ALiBi, T5 and relative biases go here).

    A fully masked row (every key masked) returns **zeros, not NaN**, as
    ``F.scaled_dot_product_attention`` does since torch 2.5: no key means no information. So does a
    row whose every score became -inf when the additive mask or the bias was added (a finite fill
    such as float16's minimum plus a negative score rounds to -inf); a sum that overflows to +inf
    raises ``ValueError`` instead.

    Cost: besides the softmax, one reduction over the scores (to refuse NaN and +inf); the rows
    with no key are found on a bool mask, which is usually far smaller than the scores.
    """
    check_tensor("scores", scores, floating=True)
    if scores.dim() < 2:
        raise ValueError(f"scores must have shape (..., T, S), got shape {tuple(scores.shape)}")
    raw = scores
    if bias is not None:
        _check_broadcast("bias", bias, scores)
        if not bias.is_floating_point():
            raise TypeError(f"bias must be a floating-point tensor, got dtype {bias.dtype}")
        check_finite("bias", bias)
        scores = scores + bias
    keep = None  # a bool mask, applied after the check
    if mask is not None:
        _check_broadcast("mask", mask, scores)
        if mask.dtype == torch.bool:
            keep = mask
        elif mask.is_floating_point():
            _check_additive_mask(mask)
            scores = scores + mask
        else:
            raise TypeError(
                f"mask must be bool (True = take part) or float (added to the scores), got dtype {mask.dtype}"
            )
    # one check of everything added so far: True when it holds -inf (from the scores, an additive
    # mask, or a sum that rounded to -inf)
    neginf = _check_scores_finite(scores, raw) if checking_values() else False
    dead = None  # (..., T, 1) rows with no key, or None when there are none
    if keep is not None:
        dead = _dead_rows(~keep.any(dim=-1, keepdim=True))  # on the mask's own (small) shape
        scores = scores.masked_fill(~keep, float("-inf"))
    if neginf:  # -inf before the bool mask: a row may be dead only after it
        dead = _dead_rows(torch.isneginf(scores).all(dim=-1, keepdim=True))
    if dead is None:
        return torch.softmax(scores, dim=-1)  # (..., T, S)
    scores = scores.masked_fill(dead, 0.0)  # keep softmax (and its gradient) free of NaN
    weights = torch.softmax(scores, dim=-1)  # (..., T, S)
    return weights.masked_fill(dead, 0.0)


def _dead_rows(dead: torch.Tensor) -> torch.Tensor | None:
    if not checking_values():  # inside vmap: no branch on values, mask the rows whether or not any is dead
        return dead
    return dead if bool(dead.any()) else None


def _check_scores_finite(scores: torch.Tensor, raw: torch.Tensor) -> bool:
    """Refuse NaN and +inf in ``scores`` (``raw`` plus any bias and additive mask: softmax would
    return NaN) with one fast reduction, and return whether they hold -inf.

    The sum is NaN or ±inf whenever a score is; a sum that overflowed without any inf in the
    scores is caught by confirming element-wise before raising.
    """
    if scores.numel() == 0:
        return False
    total = scores.detach().sum(dtype=torch.float32 if scores.dtype in (torch.float16, torch.bfloat16) else None)
    if bool(torch.isfinite(total)):
        return False
    if bool(torch.isnan(scores).any()) or bool(torch.isposinf(scores).any()):
        if scores is raw or bool(torch.isnan(raw).any()) or bool(torch.isposinf(raw).any()):
            raise ValueError(
                "scores contain NaN or +inf (softmax would return NaN); check the inputs (q, k) for NaN, "
                "or for values so large that q·k overflows the dtype (float16 tops out at 65504)"
            )
        raise ValueError(
            f"scores plus the bias or the additive mask overflow {scores.dtype} (its maximum is "
            f"{torch.finfo(scores.dtype).max:g}): each is finite, their sum rounds to +inf; use a wider dtype"
        )
    return bool(torch.isneginf(scores).any())


def attend(
    scores: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax the scores ``(..., T, S)`` and average the values ``(..., S, Dv)``.

    Returns ``(output (..., T, Dv), weights (..., T, S))``; fully masked rows give zeros.
    """
    check_tensor("v", v, floating=True)
    if v.dim() < 2 or v.shape[-2] != scores.shape[-1]:
        raise ValueError(
            f"v must have shape (..., S, Dv) with S = {scores.shape[-1]} keys, got shape {tuple(v.shape)}"
        )
    weights = masked_softmax(scores, mask, bias)  # (..., T, S)
    return weights @ v, weights  # (..., T, S) @ (..., S, Dv) -> (..., T, Dv)


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    scale: float | None = None,
    need_weights: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``softmax(q kᵀ / √d_k + mask + bias) v``, returning ``(output, weights)``.

    ``q (..., T, Dh)``, ``k (..., S, Dh)``, ``v (..., S, Dv)``. ``mask`` uses the convention of
    ``torch.nn.functional.scaled_dot_product_attention`` (bool True = take part, float = added).
    Fully masked rows return zeros, not NaN.

    ``need_weights=True`` (the default, as in ``nn.MultiheadAttention``) is the teaching path: the
    math written out, with the ``(..., T, S)`` weights returned. ``need_weights=False`` returns
    ``(output, None)`` from torch's fused kernel, which never materialises the weights (2-4× faster
    at T = 256-1024 on a CPU); the same checks and conventions apply, and the tests hold both
    paths to each other.
    """
    check_tensor("k", k, floating=True)
    check_tensor("v", v, floating=True)
    if k.shape[:-1] != v.shape[:-1]:
        raise ValueError(
            f"k (..., S, Dh) and v (..., S, Dv) must agree on (..., S), got {tuple(k.shape)} and {tuple(v.shape)}"
        )
    if not isinstance(need_weights, bool):
        raise TypeError(f"need_weights must be a bool, got {type(need_weights).__name__} {need_weights!r}")
    if need_weights:
        scores = scaled_dot_scores(q, k, scale)  # (..., T, S)
        return attend(scores, v, mask, bias)
    _check_qk(q, k, same_width=True)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else _check_scale(scale)
    return fused_attention(q, k, v, mask, bias, scale), None


def fused_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None,
    bias: torch.Tensor | None,
    scale: float,
) -> torch.Tensor:
    """``softmax(q kᵀ · scale + mask + bias) v`` by ``F.scaled_dot_product_attention``, with our
    conventions kept: the same argument checks as :func:`masked_softmax`, a bias folded into a float
    mask, rows with no key give zeros (torch ≥ 2.5 does this too), and NaN never leaves."""
    T, S = q.shape[-2], k.shape[-2]
    shape = (*torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]), T, S)  # the scores' shape (..., T, S)
    attn_mask = None
    if mask is not None:
        _check_broadcast_shape("mask", mask, shape)
        if mask.dtype == torch.bool:
            attn_mask = mask
        elif mask.is_floating_point():
            _check_additive_mask(mask)
            attn_mask = mask.to(q.dtype)
        else:
            raise TypeError(
                f"mask must be bool (True = take part) or float (added to the scores), got dtype {mask.dtype}"
            )
    if bias is not None:
        _check_broadcast_shape("bias", bias, shape)
        if not bias.is_floating_point():
            raise TypeError(f"bias must be a floating-point tensor, got dtype {bias.dtype}")
        check_finite("bias", bias)
        bias = bias.to(q.dtype)
        if attn_mask is None:
            attn_mask = bias
        elif attn_mask.dtype == torch.bool:
            attn_mask = bias.masked_fill(~attn_mask, float("-inf"))  # broadcasts to (..., T, S)
        else:
            attn_mask = attn_mask + bias
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=scale)  # (..., T, Dv)
    if checking_values() and out.numel() and not bool(torch.isfinite(out.detach().sum(dtype=torch.float32))):
        if not bool(torch.isfinite(out).all()):
            raise ValueError(
                "attention output holds NaN or inf: q, k or v contain NaN or inf, or q·k overflows the "
                "dtype (float16 tops out at 65504)"
            )
    return out


def _check_qk(q, k, same_width: bool) -> None:
    check_tensor("q", q, floating=True)
    check_tensor("k", k, floating=True)
    if q.dim() < 2 or k.dim() < 2:
        raise ValueError(f"q and k must have shape (..., T, Dh) and (..., S, Dh), got {tuple(q.shape)} and {tuple(k.shape)}")
    if q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"q and k must share leading dims (...), got {tuple(q.shape)} and {tuple(k.shape)}")
    if same_width and q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dim Dh, got {q.shape[-1]} and {k.shape[-1]}")


def _check_broadcast(name: str, t, scores: torch.Tensor) -> None:
    _check_broadcast_shape(name, t, scores.shape)


def _check_broadcast_shape(name: str, t, target) -> None:
    check_tensor(name, t)
    target = torch.Size(target)
    try:
        shape = torch.broadcast_shapes(t.shape, target)
    except RuntimeError:
        shape = None
    if shape != target:
        raise ValueError(
            f"{name} of shape {tuple(t.shape)} must broadcast to the scores' shape {tuple(target)} "
            "(..., T, S); a (B, S) padding mask needs [:, None, None, :] (see key_mask_to_attention_mask)"
        )


def _check_additive_mask(mask: torch.Tensor) -> None:
    if not checking_values():
        return
    if torch.isnan(mask).any() or torch.isposinf(mask).any():
        raise ValueError("mask (additive) contains NaN or +inf; use 0 for keys that take part and -inf to mask")
    if (mask > 0).any() and ((mask == 0) | (mask == 1)).all():
        raise ValueError(
            "mask is a float 0/1 tensor: that looks like a keep-mask, which would be *added* to the "
            "scores. Pass mask.bool() (True = take part) or an additive mask (0 / -inf)"
        )


# --- multi-head attention -----------------------------------------------------------------------

class MultiHeadAttention(nn.Module):
    """Multi-head attention with the head layout, Q/K tying and score function as choices.

    ``n_heads`` heads of width ``head_dim`` (default ``d_model // n_heads``, the paper's layout;
    pass a larger ``head_dim`` for full-width heads). ``share_qk=True`` uses one projection for
    queries and keys (W_Q = W_K, as in Reformer). ``score`` is a name from ``SCORE_FUNCTIONS`` or
    a module mapping ``(q, k) -> scores``. ``forward`` returns ``(output (B, T, D), weights (B, H, T, S))``.
    Load a ``torch.nn.MultiheadAttention``'s weights with :meth:`from_torch`.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        head_dim: int | None = None,
        share_qk: bool = False,
        score: str | nn.Module = "scaled_dot",
        bias: bool = True,
    ):
        super().__init__()
        check_positive_int("d_model", d_model)
        check_positive_int("n_heads", n_heads)
        if head_dim is None:
            if d_model % n_heads:
                raise ValueError(
                    f"d_model={d_model} is not divisible by n_heads={n_heads}; choose n_heads that "
                    "divides d_model, or pass head_dim explicitly"
                )
            head_dim = d_model // n_heads
        check_positive_int("head_dim", head_dim)
        self.d_model, self.n_heads, self.head_dim, self.share_qk = d_model, n_heads, head_dim, share_qk
        inner = n_heads * head_dim
        self.q_proj = nn.Linear(d_model, inner, bias=bias)
        self.k_proj = self.q_proj if share_qk else nn.Linear(d_model, inner, bias=bias)
        self.v_proj = nn.Linear(d_model, inner, bias=bias)
        self.out_proj = nn.Linear(inner, d_model, bias=bias)
        self.score = make_score(score, head_dim) if isinstance(score, str) else score

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)  # (B, T, H*Dh) -> (B, H, T, Dh)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        positional=None,
        head_mask: torch.Tensor | None = None,
        need_weights: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``x (B, T, D)`` to ``context (B, S, D)`` (default: ``x``, self-attention).

        ``mask`` broadcasts to ``(B, H, T, S)``; ``key_mask (B, S)`` is True at real keys.
        ``positional`` is a scheme from :mod:`transformer_lab.positional` (rotates q, k and/or adds a
        score bias). ``head_mask (H,)`` scales each head's output (0 ablates a head).
        ``need_weights=False`` returns ``(output, None)``; with a dot or scaled-dot score it runs
        torch's fused kernel instead of the written-out softmax (what training wants: the same
        result without materialising the weights).
        """
        if not isinstance(need_weights, bool):
            raise TypeError(f"need_weights must be a bool, got {type(need_weights).__name__} {need_weights!r}")
        context = x if context is None else context
        for name, t in (("x", x), ("context", context)):
            check_tensor(name, t, ndim=3, floating=True)
            if t.shape[-1] != self.d_model:
                raise ValueError(f"{name} must have shape (B, T, D) with D = {self.d_model}, got {tuple(t.shape)}")
        if context.shape[0] != x.shape[0]:
            raise ValueError(f"x and context must have the same batch size, got {x.shape[0]} and {context.shape[0]}")
        B, T, S = x.shape[0], x.shape[1], context.shape[1]
        q = self.split_heads(self.q_proj(x))  # (B, H, T, Dh)
        k = self.split_heads(self.k_proj(context))  # (B, H, S, Dh)
        v = self.split_heads(self.v_proj(context))  # (B, H, S, Dh)
        bias = None
        if positional is not None:
            q, k = positional.rotate_qk(q, k)
            bias = positional.score_bias(T, S)  # (H, T, S) or None
        if key_mask is not None:
            check_tensor("key_mask", key_mask)
            if mask is not None:
                check_tensor("mask", mask)
            if key_mask.shape != (B, S):
                raise ValueError(f"key_mask must have shape (B, S) = ({B}, {S}), got {tuple(key_mask.shape)}")
            keep = key_mask_to_attention_mask(key_mask)  # (B, 1, 1, S)
            if mask is not None and mask.is_floating_point():  # an additive mask: add the key mask's -inf
                _check_additive_mask(mask)  # before the -inf hide a 0/1 keep-mask passed as float
                mask = mask + to_additive(keep, dtype=mask.dtype)  # (B, 1, T or 1, S)
            else:
                mask = combine_masks(mask, keep)  # (B, 1, T or 1, S)
        fused_scale = None if need_weights or not checking_values() else self.fused_scale()  # vmap: written out
        if fused_scale is None:
            scores = self.score(q, k)  # (B, H, T, S)
            out, weights = attend(scores, v, mask, bias)  # (B, H, T, Dh), (B, H, T, S)
        else:
            out = fused_attention(q, k, v, mask, bias, fused_scale)  # (B, H, T, Dh)
        if not need_weights:
            weights = None
        if head_mask is not None:
            check_tensor("head_mask", head_mask)
            if head_mask.shape != (self.n_heads,):
                raise ValueError(f"head_mask must have shape (H,) = ({self.n_heads},), got {tuple(head_mask.shape)}")
            out = out * head_mask.to(out.dtype)[None, :, None, None]  # (B, H, T, Dh)
        out = out.transpose(1, 2).reshape(B, T, self.n_heads * self.head_dim)  # (B, T, H*Dh)
        return self.out_proj(out), weights  # (B, T, D), (B, H, T, S)

    def fused_scale(self) -> float | None:
        """The score's scale when torch's fused kernel computes the same thing (dot: 1, scaled dot:
        its scale), or None for a score it cannot (bilinear, additive, any other module)."""
        if type(self.score) is DotScore:
            return 1.0
        if type(self.score) is ScaledDotScore:
            return 1.0 / math.sqrt(self.head_dim) if self.score.scale is None else self.score.scale
        return None

    @classmethod
    def from_torch(cls, mha: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Copy the weights of a ``torch.nn.MultiheadAttention`` (same Q, K, V widths) into a new module."""
        if not isinstance(mha, nn.MultiheadAttention):
            raise TypeError(f"mha must be a torch.nn.MultiheadAttention, got {type(mha).__name__}")
        if not mha._qkv_same_embed_dim:
            raise ValueError("mha must have kdim == vdim == embed_dim (one packed in_proj_weight)")
        if mha.bias_k is not None or mha.add_zero_attn:
            raise ValueError(
                "mha was built with add_bias_kv=True or add_zero_attn=True: it attends to extra keys "
                "this module does not have; build it without them"
            )
        has_bias = mha.in_proj_bias is not None
        new = cls(mha.embed_dim, mha.num_heads, bias=has_bias)
        new.load_torch_weights(mha)
        return new

    @torch.no_grad()
    def load_torch_weights(self, mha: nn.MultiheadAttention) -> None:
        """Load a ``torch.nn.MultiheadAttention``'s in/out projections into this module."""
        if (mha.embed_dim, mha.num_heads) != (self.d_model, self.n_heads) or self.head_dim != mha.head_dim:
            raise ValueError(
                f"mha has embed_dim={mha.embed_dim}, num_heads={mha.num_heads}; this module has "
                f"d_model={self.d_model}, n_heads={self.n_heads}, head_dim={self.head_dim}"
            )
        if self.share_qk:
            raise ValueError("cannot load separate W_Q and W_K into a module built with share_qk=True")
        if (mha.in_proj_bias is not None) != (self.q_proj.bias is not None):
            raise ValueError(
                f"mha has bias={mha.in_proj_bias is not None} but this module has "
                f"bias={self.q_proj.bias is not None}; build both with the same bias setting"
            )
        w_q, w_k, w_v = mha.in_proj_weight.chunk(3, dim=0)  # 3 x (D, D)
        for proj, w in ((self.q_proj, w_q), (self.k_proj, w_k), (self.v_proj, w_v)):
            proj.weight.copy_(w)
        self.out_proj.weight.copy_(mha.out_proj.weight)
        if mha.in_proj_bias is not None:
            b_q, b_k, b_v = mha.in_proj_bias.chunk(3)
            for proj, b in ((self.q_proj, b_q), (self.k_proj, b_k), (self.v_proj, b_v)):
                proj.bias.copy_(b)
            self.out_proj.bias.copy_(mha.out_proj.bias)
