"""Attention written out: the masked softmax, and ``softmax(q kᵀ/√d_k + mask) v``.

Taught in ``notebooks/03_attention_scores.ipynb`` (scaling) and ``notebooks/04_padding_mask.ipynb``
(masks). PyTorch's fused kernels are the oracle in the tests; the explicit math below is the
implementation, and the fused kernel serves the same call when no weights are asked for.

Shape legend: B batch, H heads, T query positions, S key positions, Dh head width, Dv value width.

Masks follow ``torch.nn.functional.scaled_dot_product_attention``: a bool mask is True where a key
takes part; a float mask is *added* to the scores (0 = take part, -inf = masked).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._checks import broadcast_shapes, check_finite, check_tensor, checking_values
from .scores import _check_qk, _check_scale, scaled_dot_scores

__all__ = ["masked_softmax", "attend", "scaled_dot_product_attention", "fused_attention"]

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
    keep, added = _mask_parts(mask, bias, scores.shape)  # bool (..., T, S) or None; float terms to add
    raw = scores
    for term in added:  # the bias, then an additive mask
        scores = scores + term  # (..., T, S)
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
    shape = (*broadcast_shapes(q.shape[:-2], k.shape[:-2]), T, S)  # the scores' shape (..., T, S)
    keep, added = _mask_parts(mask, bias, shape)
    attn_mask = sum(term.to(q.dtype) for term in added) if added else None  # one float mask (..., T, S)
    if keep is not None:
        attn_mask = keep if attn_mask is None else attn_mask.masked_fill(~keep, float("-inf"))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=scale)  # (..., T, Dv)
    if checking_values() and out.numel() and not bool(torch.isfinite(out.detach().sum(dtype=torch.float32))):
        if not bool(torch.isfinite(out).all()):
            raise ValueError(
                "attention output holds NaN or inf: q, k or v contain NaN or inf, or q·k overflows the "
                "dtype (float16 tops out at 65504)"
            )
    return out


def _mask_parts(mask, bias, shape) -> tuple[torch.Tensor | None, list[torch.Tensor]]:
    """Check ``mask`` and ``bias`` against the scores' ``shape`` (..., T, S) and sort them: a bool
    mask is applied after the sum (True = take part); a float mask and the bias are added, bias first.
    Returns ``(keep or None, [bias, additive mask] without the Nones)``."""
    keep, added = None, []
    if bias is not None:
        _check_broadcast_shape("bias", bias, shape)
        if not bias.is_floating_point():
            raise TypeError(f"bias must be a floating-point tensor, got dtype {bias.dtype}")
        added.append(check_finite("bias", bias))
    if mask is not None:
        _check_broadcast_shape("mask", mask, shape)
        if mask.dtype == torch.bool:
            keep = mask
        elif mask.is_floating_point():
            _check_additive_mask(mask)
            added.append(mask)
        else:
            raise TypeError(
                f"mask must be bool (True = take part) or float (added to the scores), got dtype {mask.dtype}"
            )
    return keep, added


def _check_broadcast_shape(name: str, t, target) -> None:
    check_tensor(name, t)
    target = torch.Size(target)
    try:
        shape = broadcast_shapes(t.shape, target)
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
