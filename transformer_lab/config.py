"""The typed configuration of the toy Transformer (one reason per field).

Used by every notebook that trains a model; see :class:`transformer_lab.model.TinyTransformer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ._checks import check_bool, check_choice, check_int
from .scores import SCORE_FUNCTIONS
from .positional import POSITIONAL_SCHEMES

__all__ = ["ModelConfig"]


@dataclass
class ModelConfig:
    vocab_size: int = 16  # input tokens
    n_out: int | None = None  # output classes per position; None = vocab_size
    d_model: int = 32  # residual width D
    n_heads: int = 4  # heads per layer H
    head_dim: int | None = None  # Dh; None = d_model // n_heads, the paper's layout (notebook 05)
    n_layers: int = 1  # attention blocks
    d_ff: int = 64  # MLP hidden width; 0 = attention-only blocks
    max_len: int = 64  # longest sequence the positional tables cover
    score: str = "scaled_dot"  # a name in attention.SCORE_FUNCTIONS (notebook 03)
    additive_width: int | None = None  # A, hidden units of additive attention; None = head_dim (notebook 03)
    positional: str = "sinusoidal"  # a name in positional.POSITIONAL_SCHEMES (notebooks 07, 08)
    share_qk: bool = False  # W_Q = W_K (notebook 02)
    causal: bool = False  # mask future keys (decoder-only)
    norm: Literal["pre", "post", "none"] = "pre"  # LayerNorm placement; "post" is the 2017 paper's
    embed_init: Literal["normal", "xavier", "scaled_normal"] = "normal"  # N(0,1) is nn.Embedding's default (notebook 06)
    embed_scale: bool = False  # multiply token embeddings by √d_model (notebook 06)
    tie_weights: bool = False  # output layer reuses the embedding matrix (Press & Wolf 2017)
    mask_self: bool = False  # forbid attending to oneself, as Reformer does with shared QK (notebook 02)

    attention: Literal["fused", "written"] = "fused"  # "written": train through masked_softmax (notebook 04)

    def __post_init__(self):
        """Every field checked by name: a wrong type is a TypeError, a wrong value a ValueError."""
        for name in ("vocab_size", "d_model", "n_heads", "n_layers", "max_len"):
            check_int(f"ModelConfig.{name}", getattr(self, name))
        check_int("ModelConfig.d_ff", self.d_ff, minimum=0)  # 0 = attention-only blocks
        for name in ("n_out", "head_dim", "additive_width"):
            if getattr(self, name) is not None:
                check_int(f"ModelConfig.{name}", getattr(self, name))
        for name in ("share_qk", "causal", "embed_scale", "tie_weights", "mask_self"):
            check_bool(f"ModelConfig.{name}", getattr(self, name))
        check_choice("ModelConfig.score", self.score, sorted(SCORE_FUNCTIONS))
        check_choice("ModelConfig.positional", self.positional, sorted(POSITIONAL_SCHEMES))
        check_choice("ModelConfig.norm", self.norm, ("pre", "post", "none"))
        check_choice("ModelConfig.embed_init", self.embed_init, ("normal", "xavier", "scaled_normal"))
        check_choice("ModelConfig.attention", self.attention, ("fused", "written"))
        if self.head_dim is None and self.d_model % self.n_heads:
            raise ValueError(
                f"ModelConfig.d_model={self.d_model} is not divisible by n_heads={self.n_heads}; "
                "change n_heads or set head_dim explicitly"
            )
        if self.additive_width is not None and self.score != "additive":
            raise ValueError(f"ModelConfig.additive_width applies to score='additive' only, got score={self.score!r}")
        if self.tie_weights and self.output_size != self.vocab_size:
            raise ValueError(
                f"ModelConfig.tie_weights needs n_out == vocab_size, got n_out={self.n_out}, vocab_size={self.vocab_size}"
            )

    @property
    def output_size(self) -> int:
        return self.vocab_size if self.n_out is None else self.n_out

    @property
    def resolved_head_dim(self) -> int:
        return self.d_model // self.n_heads if self.head_dim is None else self.head_dim
