"""Tied or separate W_Q and W_K: the inputs, the projections and the scores notebook 02 measures.

Taught in ``notebooks/02_qk_weights.ipynb``. Pure tensor functions: the explorer, the notebook and
the tests read the same numbers. What a score matrix built here can and cannot express is measured
in :mod:`.symmetry`.

With one projection ``W`` for queries and keys (``W_Q = W_K``, no bias), the scores are
``S = X W Wᵀ Xᵀ / √d_k``: a Gram matrix, so symmetric and positive semidefinite.

Weights follow the math convention ``x @ w``: ``w`` is ``(D, Dh)``. For an ``nn.Linear`` layer
``lin`` pass ``lin.weight.T`` and ``lin.bias``.

Shape legend: B batch, H heads, T positions (queries and keys are the same tokens), S keys,
D model width, Dh head width.
"""

from __future__ import annotations

import math

import torch

from ..._checks import check_bool, check_int, check_number, check_tensor
from ...model import TinyTransformer
from ...positional import sinusoidal_encoding
from ...randomness import make_generator
from ..score_matrices import check_square

__all__ = [
    "QK_INPUTS",
    "qk_inputs",
    "random_qk_weights",
    "project_qk",
    "qk_scores",
    "model_head_scores",
    "mass_on",
    "reorder",
]


# --- inputs and weights for the explorer and the notebook ------------------------------------------

QK_INPUTS = ("equal norms", "spread norms", "positions")


def qk_inputs(kind: str = "equal norms", T: int = 10, D: int = 32, seed: int = 0) -> torch.Tensor:
    """Token vectors ``X (T, D)`` of one of three kinds (``QK_INPUTS``).

    - ``"equal norms"``: every row has norm √D (random directions), as after a LayerNorm;
    - ``"spread norms"``: random directions with norms spread over [0.25√D, 4√D] (log-uniform), so
      Cauchy-Schwarz's condition ``‖Wx_i‖ ≥ ‖Wx_j‖`` often fails;
    - ``"positions"``: sinusoidal positional encodings of positions 0..T-1 (Vaswani et al. 2017 §3.5),
      rescaled to norm √D: neighbouring positions are similar vectors.
    """
    if kind not in QK_INPUTS:
        raise ValueError(f"kind must be one of {QK_INPUTS}, got {kind!r}")
    check_int("T", T, minimum=2)
    check_int("D", D, minimum=2)
    check_int("seed", seed, minimum=0)
    if kind == "positions" and D % 2:
        raise ValueError(f"D must be even for kind='positions' (sin/cos pairs), got D={D}")
    if kind == "positions":
        x = sinusoidal_encoding(T, D)  # (T, D)
    else:
        x = torch.randn(T, D, generator=make_generator(seed))  # (T, D)
    x = x / x.norm(dim=-1, keepdim=True) * math.sqrt(D)  # (T, D), every row of norm √D
    if kind == "spread norms":
        g = make_generator(seed + 1)
        x = x * 4.0 ** (2 * torch.rand(T, 1, generator=g) - 1)  # (T, D), norms in [√D/4, 4√D]
    return x


def random_qk_weights(D: int, d_k: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent ``W_Q, W_K (D, Dh)`` with N(0, 1/D) entries, so ``‖Wx‖² ≈ d_k`` when ``‖x‖² = D``."""
    check_int("D", D)
    check_int("d_k", d_k)
    check_int("seed", seed, minimum=0)
    g = make_generator(seed)
    w_q = torch.randn(D, d_k, generator=g) / math.sqrt(D)  # (D, Dh)
    w_k = torch.randn(D, d_k, generator=g) / math.sqrt(D)  # (D, Dh)
    return w_q, w_k


# --- scores -------------------------------------------------------------------------------------

def _check_projection_args(x, w_q, w_k, b_q, b_k) -> None:
    check_tensor("x", x, floating=True)
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., T, D), got shape {tuple(x.shape)}")
    D = x.shape[-1]
    check_tensor("w_q", w_q, ndim=2, floating=True)
    if w_q.shape[0] != D:
        raise ValueError(f"w_q must have shape (D, Dh) with D = {D} (x's last dim), got {tuple(w_q.shape)}")
    if w_k is None and b_k is not None:
        raise ValueError(
            "b_k was given but w_k is None (tied: the keys reuse w_q and b_q, one layer); "
            "pass w_k=w_q explicitly to share only the weight"
        )
    if w_k is not None:
        check_tensor("w_k", w_k, ndim=2, floating=True)
        if w_k.shape != w_q.shape:
            raise ValueError(f"w_k must have w_q's shape {tuple(w_q.shape)} (D, Dh), got {tuple(w_k.shape)}")
    for name, b in (("b_q", b_q), ("b_k", b_k)):
        if b is not None:
            check_tensor(name, b, ndim=1, floating=True)
            if b.shape[0] != w_q.shape[1]:
                raise ValueError(f"{name} must have shape (Dh,) = ({w_q.shape[1]},), got {tuple(b.shape)}")


def project_qk(
    x: torch.Tensor,
    w_q: torch.Tensor,
    w_k: torch.Tensor | None = None,
    b_q: torch.Tensor | None = None,
    b_k: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Queries and keys ``q = x W_Q + b_Q``, ``k = x W_K + b_K``, each ``(..., T, Dh)``.

    ``w_k=None`` ties the projections the way ``MultiHeadAttention(share_qk=True)`` does: one
    layer, so the keys use ``w_q`` **and** ``b_q``. To share only the weight and keep separate
    biases, pass ``w_k=w_q`` explicitly with its own ``b_k``.
    """
    _check_projection_args(x, w_q, w_k, b_q, b_k)
    if w_k is None:
        w_k, b_k = w_q, b_q  # tied: one layer, weight and bias
    q = x @ w_q  # (..., T, D) @ (D, Dh) -> (..., T, Dh)
    k = x @ w_k  # (..., T, Dh)
    if b_q is not None:
        q = q + b_q
    if b_k is not None:
        k = k + b_k
    return q, k


def qk_scores(
    x: torch.Tensor,
    w_q: torch.Tensor,
    w_k: torch.Tensor | None = None,
    *,
    b_q: torch.Tensor | None = None,
    b_k: torch.Tensor | None = None,
    scale: float | None = None,
    normalize_keys: bool = False,
) -> torch.Tensor:
    """Self-attention scores ``S = (x W_Q + b_Q)(x W_K + b_K)ᵀ · scale``, ``(..., T, T)``.

    ``w_k=None`` ties W_K = W_Q (and b_K = b_Q): then ``S = X W Wᵀ Xᵀ · scale`` without biases, a
    symmetric positive semidefinite Gram matrix; with a shared bias it is still the Gram matrix of
    the augmented inputs ``[x, 1]``, so still symmetric PSD, but no longer ``X W Wᵀ Xᵀ``.
    ``scale=None`` means 1/√d_k. ``normalize_keys=True`` divides each key by its norm, as
    Reformer's shared-QK attention does (then every token's top score is itself).
    """
    if isinstance(scale, bool) or not (scale is None or isinstance(scale, (int, float))):
        raise TypeError(f"scale must be a number or None (1/√d_k), got {scale!r}")
    if scale is not None:
        check_number("scale", scale, above=0)  # NaN, ±inf or <= 0 would make every score NaN, inf or 0
    check_bool("normalize_keys", normalize_keys)
    q, k = project_qk(x, w_q, w_k, b_q, b_k)  # (..., T, Dh) each; project_qk checks x and the weights
    if normalize_keys:
        k = k / k.norm(dim=-1, keepdim=True).clamp_min(1e-12)  # (..., T, Dh), unit rows
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return (q @ k.transpose(-2, -1)) * scale  # (..., T, Dh) @ (..., Dh, T) -> (..., T, T)


@torch.no_grad()
def model_head_scores(model: TinyTransformer, tokens: torch.Tensor, layer: int = 0) -> torch.Tensor:
    """The scores of every head of block ``layer`` of a model run on ``tokens (B, T)``: ``(B, H, T, T)``.

    Read from the model's own cache, ``cache[f"blocks.{layer}.attn.scores"]``: ``q·k/√d_k`` from the
    block's projections (RoPE's rotation of q and k applied), before a positional score bias and
    before any mask. Row-softmaxed with the model's mask, they give back
    ``cache[f"blocks.{layer}.attn.weights"]`` (a test checks it). For one
    :class:`~transformer_lab.multi_head.MultiHeadAttention` on activations, see notebook 05's
    ``mha_head_scores``.
    """
    if not isinstance(model, TinyTransformer):
        raise TypeError(f"model must be a TinyTransformer, got {type(model).__name__}")
    n_layers = len(model.blocks)
    check_int("layer", layer, minimum=None)
    if not 0 <= layer < n_layers:
        raise ValueError(f"layer must be an int in [0, {n_layers}), got {layer!r}")
    was_training = model.training
    model.eval()
    try:
        _, cache = model(tokens, return_cache=True)  # the model checks the tokens
    finally:
        model.train(was_training)
    return cache[f"blocks.{layer}.attn.scores"]  # (B, H, T, T)


# --- reading attention weights ------------------------------------------------------------------

def mass_on(weights: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Mean attention weight that each query puts on one chosen key.

    ``weights (..., T, S)`` are attention weights, ``index (..., T)`` long names the key of each
    query (e.g. the position of its successor); returns the mean over every query, a 0-dim tensor.
    """
    check_tensor("weights", weights, floating=True)
    check_tensor("index", index)
    if index.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"index must be an integer tensor (..., T), got dtype {index.dtype}")
    if weights.dim() < 2 or index.shape != weights.shape[:-1]:
        raise ValueError(
            f"index must have shape (..., T) = {tuple(weights.shape[:-1])} (weights without the key axis), "
            f"got {tuple(index.shape)}"
        )
    if index.numel() and (index.min() < 0 or index.max() >= weights.shape[-1]):
        raise ValueError(
            f"index must lie in [0, S={weights.shape[-1]}), got values in [{int(index.min())}, {int(index.max())}]"
        )
    return weights.gather(-1, index.long().unsqueeze(-1)).mean()  # (..., T, 1) -> ()


def reorder(matrices: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Permute the rows and the columns of each ``(T, T)`` matrix by ``order (..., T)``.

    ``out[..., r, c] = matrices[..., order[r], order[c]]``: e.g. ``order`` = the position of key 0,
    1, 2, … turns attention over positions into attention between keys, which can then be averaged
    over sequences whose items come in different orders.
    """
    check_square("matrices", matrices)
    check_tensor("order", order)
    if order.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"order must be an integer tensor (..., T), got dtype {order.dtype}")
    T = matrices.shape[-1]
    if order.shape != matrices.shape[:-1]:
        raise ValueError(f"order must have shape (..., T) = {tuple(matrices.shape[:-1])}, got {tuple(order.shape)}")
    if not torch.equal(order.sort(dim=-1).values, torch.arange(T, device=order.device).expand_as(order)):
        raise ValueError(f"order must be a permutation of 0..{T - 1} in every row")
    rows = matrices.gather(-2, order.unsqueeze(-1).expand(*order.shape, T))  # (..., T, T): rows permuted
    return rows.gather(-1, order.unsqueeze(-2).expand(*order.shape[:-1], T, T))  # (..., T, T): and columns
