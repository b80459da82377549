"""A tiny configurable Transformer with one seam each for scores, positions and head layout.

``TinyTransformer(cfg)(tokens, return_cache=True)`` returns ``(logits, cache)``; the cache is a
plain dict (TransformerLens-style names), never state left on modules:

- ``"embed"``: ``(B, T, D)`` the block input (embedding, scale and positions applied);
- ``"blocks.{i}.attn.scores"``: ``(B, H, T, S)`` the score function's output in block i, before the
  positional bias and the mask (what notebooks 02 and 05 analyse);
- ``"blocks.{i}.attn.weights"``: ``(B, H, T, S)`` attention weights of block i;
- ``"blocks.{i}.out"``: ``(B, T, D)`` residual stream after block i.

Without the cache, attention needs no weights and (for dot and scaled-dot scores) runs torch's
fused kernel: the same logits up to float rounding, 2-4× faster attention at long lengths.
``ModelConfig(attention="written")`` keeps every forward and backward pass on the written-out math
(``masked_softmax``), so an edit there changes what the model learns.

Shape legend: B batch, H heads, T positions, D model width, V vocabulary, C output classes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_choice, check_tensor, checking_values
from .multi_head import MultiHeadAttention
from .scores import make_score
from .config import ModelConfig
from .masks import causal_mask, combine_masks, key_mask_to_attention_mask
from .positional import make_positional

__all__ = ["Block", "TinyTransformer", "build_model", "init_embedding"]


class Block(nn.Module):
    """Attention then (optionally) an MLP, each in a residual branch; LayerNorm pre, post or none."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.norm = cfg.norm
        score = make_score(cfg.score, cfg.resolved_head_dim, cfg.additive_width)
        fused = cfg.attention == "fused"
        self.attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.head_dim, cfg.share_qk, score, fused=fused)
        self.ln1 = nn.LayerNorm(cfg.d_model) if cfg.norm != "none" else nn.Identity()
        self.ln2 = nn.LayerNorm(cfg.d_model) if cfg.norm != "none" else nn.Identity()
        self.mlp = (
            nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model))
            if cfg.d_ff
            else None
        )

    def forward(self, x, mask, positional, head_mask=None, cache=None):
        """``x (B, T, D)`` -> ``(x, weights (B, H, T, T) or None)``; weights (and scores, into
        ``cache``) only when a cache dict is given."""
        attend = dict(mask=mask, positional=positional, head_mask=head_mask, need_weights=cache is not None, cache=cache)
        if self.norm == "post":
            a, w = self.attn(x, **attend)
            x = self.ln1(x + a)  # (B, T, D)
            return (self.ln2(x + self.mlp(x)) if self.mlp is not None else x), w
        a, w = self.attn(self.ln1(x), **attend)
        x = x + a  # (B, T, D)
        if self.mlp is not None:
            x = x + self.mlp(self.ln2(x))
        return x, w


class TinyTransformer(nn.Module):
    """Token embedding (× √D if asked) + positional scheme, ``n_layers`` blocks, a linear read-out."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        init_embedding(self.embed.weight, cfg.embed_init)
        self.positional = make_positional(
            cfg.positional, d_model=cfg.d_model, max_len=cfg.max_len, n_heads=cfg.n_heads, head_dim=cfg.resolved_head_dim
        )
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model) if cfg.norm == "pre" else nn.Identity()
        self.head = nn.Linear(cfg.d_model, cfg.output_size, bias=False)
        if cfg.tie_weights:
            self.head.weight = self.embed.weight  # (V, D) shared

    def forward(
        self,
        tokens: torch.Tensor,
        key_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        return_cache: bool = False,
    ):
        """``tokens (B, T)`` long -> ``logits (B, T, C)`` (and the cache if ``return_cache``).

        ``key_mask (B, T)`` bool is True at real tokens (padding is masked as keys).
        ``head_mask (n_layers, H)`` scales each head's output; 0 ablates it (notebook 01).
        """
        self._check_forward_args(tokens, key_mask, head_mask)
        B, T = tokens.shape
        mask = causal_mask(T, device=tokens.device) if self.cfg.causal and T else None  # (T, T); T = 0: no cell
        if self.cfg.mask_self:  # Reformer: no attention to self; a row left with no key gives zeros
            mask = combine_masks(mask, ~torch.eye(T, dtype=torch.bool, device=tokens.device))  # (T, T)
        if key_mask is not None:
            mask = combine_masks(mask, key_mask_to_attention_mask(key_mask))  # (B, 1, T or 1, T)
        x = self.embed(tokens)  # (B, T, D)
        if self.cfg.embed_scale:
            x = x * math.sqrt(self.cfg.d_model)
        x = self.positional.add_to_input(x)  # (B, T, D)
        cache = {"embed": x} if return_cache else None
        for i, block in enumerate(self.blocks):
            # the weights only when asked for: without them attention runs torch's fused kernel
            attn_cache = {} if cache is not None else None
            x, w = block(x, mask, self.positional, None if head_mask is None else head_mask[i], attn_cache)
            if cache is not None:
                cache[f"blocks.{i}.attn.scores"] = attn_cache["scores"]  # (B, H, T, T)
                cache[f"blocks.{i}.attn.weights"] = w  # (B, H, T, T)
                cache[f"blocks.{i}.out"] = x  # (B, T, D)
        logits = self.head(self.ln_f(x))  # (B, T, C)
        return (logits, cache) if return_cache else logits

    def _check_forward_args(self, tokens, key_mask, head_mask) -> None:
        check_tensor("tokens", tokens, ndim=2)
        if tokens.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"tokens must be an integer tensor (B, T), got dtype {tokens.dtype}")
        B, T = tokens.shape
        if T > self.cfg.max_len:
            raise ValueError(f"tokens has length T={T} > ModelConfig.max_len={self.cfg.max_len}")
        if checking_values() and tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.cfg.vocab_size):
            raise ValueError(
                f"tokens must lie in [0, vocab_size={self.cfg.vocab_size}), got values in "
                f"[{int(tokens.min())}, {int(tokens.max())}]"
            )
        if head_mask is not None:
            check_tensor("head_mask", head_mask)
        if head_mask is not None and head_mask.shape != (self.cfg.n_layers, self.cfg.n_heads):
            raise ValueError(
                f"head_mask must have shape (n_layers, H) = ({self.cfg.n_layers}, {self.cfg.n_heads}), "
                f"got {tuple(head_mask.shape)}"
            )
        if key_mask is not None:
            check_tensor("key_mask", key_mask)
            if key_mask.shape != (B, T):
                raise ValueError(f"key_mask must have shape (B, T) = ({B}, {T}), got {tuple(key_mask.shape)}")


def build_model(cfg: ModelConfig, seed: int = 0) -> TinyTransformer:
    """Build a model whose initial weights depend only on ``seed`` (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyTransformer(cfg)


def init_embedding(weight: torch.Tensor, kind: str) -> None:
    """``normal``: N(0, 1), nn.Embedding's default. ``xavier``: Glorot normal, variance 2/(V + D).
    ``scaled_normal``: N(0, 1/D), as fairseq and tensor2tensor use with the √D scale. ``weight (V, D)``."""
    check_tensor("weight", weight, ndim=2, floating=True)
    check_choice("kind", kind, ("normal", "xavier", "scaled_normal"))
    with torch.no_grad():
        if kind == "xavier":
            nn.init.xavier_normal_(weight)
        elif kind == "scaled_normal":
            nn.init.normal_(weight, std=weight.shape[1] ** -0.5)
