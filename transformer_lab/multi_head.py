"""Multi-head attention: h heads of width d_k side by side, concatenated and mixed by W_O.

Taught in ``notebooks/01_multi_head.ipynb`` (why several heads), ``notebooks/02_qk_weights.ipynb``
(W_Q = W_K) and ``notebooks/05_head_dim.ipynb`` (why d_k = d_model/h). Equal to
``torch.nn.MultiheadAttention`` given the same weights (:meth:`MultiHeadAttention.from_torch`).

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_bool, check_int, check_tensor, checking_values
from .attention import _check_additive_mask, attend, fused_attention
from .masks import combine_masks, key_mask_to_attention_mask, to_additive
from .scores import DotScore, ScaledDotScore, make_score

__all__ = ["MultiHeadAttention"]

class MultiHeadAttention(nn.Module):
    """Multi-head attention with the head layout, Q/K tying and score function as choices.

    ``n_heads`` heads of width ``head_dim`` (default ``d_model // n_heads``, the paper's layout;
    pass a larger ``head_dim`` for full-width heads). ``share_qk=True`` uses one projection for
    queries and keys (W_Q = W_K, as in Reformer). ``score`` is a name from ``SCORE_FUNCTIONS`` or
    a module mapping ``(q, k) -> scores``. ``fused=False`` always runs the written-out math
    (:func:`~transformer_lab.attention.attend`, through ``masked_softmax``), even when no weights are
    asked for. ``forward`` returns ``(output (B, T, D), weights (B, H, T, S))``.
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
        fused: bool = True,
    ):
        super().__init__()
        check_int("d_model", d_model)
        check_int("n_heads", n_heads)
        if head_dim is not None:
            check_int("head_dim", head_dim)
        elif d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} is not divisible by n_heads={n_heads}; choose n_heads that "
                "divides d_model, or pass head_dim explicitly"
            )
        check_bool("fused", fused)
        head_dim = d_model // n_heads if head_dim is None else head_dim  # the paper's layout by default
        self.d_model, self.n_heads, self.head_dim, self.share_qk = d_model, n_heads, head_dim, share_qk
        self.fused = fused
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
        cache: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``x (B, T, D)`` to ``context (B, S, D)`` (default: ``x``, self-attention).

        ``mask`` broadcasts to ``(B, H, T, S)``; ``key_mask (B, S)`` is True at real keys.
        ``positional`` is a scheme from :mod:`transformer_lab.positional` (rotates q, k and/or adds a
        score bias). ``head_mask (H,)`` scales each head's output (0 ablates a head).
        ``need_weights=False`` returns ``(output, None)``; with a dot or scaled-dot score (and
        ``fused=True``) it runs torch's fused kernel instead of the written-out softmax (what training
        wants: the same result without materialising the weights). A ``cache`` dict receives
        ``"scores"``, the score function's ``(B, H, T, S)`` output before the positional bias and the mask.
        """
        context = x if context is None else context
        self._check_forward_args(x, context, mask, key_mask, head_mask, need_weights)
        B, T, S = x.shape[0], x.shape[1], context.shape[1]
        q = self.split_heads(self.q_proj(x))  # (B, H, T, Dh)
        k = self.split_heads(self.k_proj(context))  # (B, H, S, Dh)
        v = self.split_heads(self.v_proj(context))  # (B, H, S, Dh)
        bias = None
        if positional is not None:
            q, k = positional.rotate_qk(q, k)
            bias = positional.score_bias(T, S)  # (H, T, S) or None
        if key_mask is not None:
            keep = key_mask_to_attention_mask(key_mask)  # (B, S) -> (B, 1, 1, S)
            if mask is not None and mask.is_floating_point():  # an additive mask: add the key mask's -inf
                mask = mask + to_additive(keep, dtype=mask.dtype)  # (B, 1, T or 1, S)
            else:
                mask = combine_masks(mask, keep)  # (B, 1, T or 1, S)
        written = need_weights or cache is not None or not self.fused or not checking_values()  # vmap: written
        fused_scale = None if written else self.fused_scale()
        if fused_scale is None:
            scores = self.score(q, k)  # (B, H, T, S)
            if cache is not None:
                cache["scores"] = scores
            out, weights = attend(scores, v, mask, bias)  # (B, H, T, Dh), (B, H, T, S)
        else:
            out = fused_attention(q, k, v, mask, bias, fused_scale)  # (B, H, T, Dh)
        if not need_weights:
            weights = None
        if head_mask is not None:
            out = out * head_mask.to(out.dtype)[None, :, None, None]  # (B, H, T, Dh)
        out = out.transpose(1, 2).reshape(B, T, self.n_heads * self.head_dim)  # (B, T, H*Dh)
        return self.out_proj(out), weights  # (B, T, D), (B, H, T, S)

    def _check_forward_args(self, x, context, mask, key_mask, head_mask, need_weights) -> None:
        check_bool("need_weights", need_weights)
        for name, t in (("x", x), ("context", context)):
            check_tensor(name, t, ndim=3, floating=True)
            if t.shape[-1] != self.d_model:
                raise ValueError(f"{name} must have shape (B, T, D) with D = {self.d_model}, got {tuple(t.shape)}")
        if context.shape[0] != x.shape[0]:
            raise ValueError(f"x and context must have the same batch size, got {x.shape[0]} and {context.shape[0]}")
        B, S = context.shape[:2]
        if key_mask is not None:
            check_tensor("key_mask", key_mask)
            if key_mask.shape != (B, S):
                raise ValueError(f"key_mask must have shape (B, S) = ({B}, {S}), got {tuple(key_mask.shape)}")
            if mask is not None:
                check_tensor("mask", mask)
                if mask.is_floating_point():  # before the key mask's -inf hide a 0/1 keep-mask passed as float
                    _check_additive_mask(mask)
        if head_mask is not None:
            check_tensor("head_mask", head_mask)
            if head_mask.shape != (self.n_heads,):
                raise ValueError(f"head_mask must have shape (H,) = ({self.n_heads},), got {tuple(head_mask.shape)}")

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
