"""Tied or separate W_Q and W_K: what the score matrix can and cannot express.

Taught in ``notebooks/02_qk_weights.ipynb``. Pure tensor functions: the explorer, the notebook and
the tests read the same numbers.

With one projection ``W`` for queries and keys (``W_Q = W_K``, no bias), the scores are
``S = X W Wᵀ Xᵀ / √d_k``: a Gram matrix, so **symmetric** (``S_ij = S_ji``) and **positive
semidefinite**. Two consequences this module measures:

- symmetry: if the top score of row ``a`` is key ``b`` and vice versa, ``a`` and ``b`` are a
  *mutual* pair. With symmetric scores every sequence has one (the largest off-diagonal entry is
  the top of both its row and its column), so a cycle ``a → b → c → a`` cannot be followed by
  every row at once (:func:`mutual_top_pairs`);
- positive semidefiniteness: ``S_ii = ‖Wx_i‖²/√d_k`` and, by Cauchy-Schwarz,
  ``S_ij ≤ ‖Wx_i‖‖Wx_j‖/√d_k``, so the self-score beats the cross-score whenever
  ``‖Wx_i‖ ≥ ‖Wx_j‖``. Not always otherwise: :func:`self_argmax_rate` measures how often a token
  scores itself highest rather than assuming it. Reformer (Kitaev et al. 2020, arXiv:2001.04451)
  normalises the keys, ``k_j = q_j/‖q_j‖``; then ``q_i·k_j ≤ ‖q_i‖ = q_i·k_i`` for every ``j`` and
  the self-score is always the row maximum, which is why Reformer forbids attention to self.

Weights follow the math convention ``x @ w``: ``w`` is ``(D, Dh)``. For an ``nn.Linear`` layer
``lin`` pass ``lin.weight.T`` and ``lin.bias``.

Shape legend: T positions (queries and keys are the same tokens), D model width, Dh head width.
"""

from __future__ import annotations

import math

import torch

from ._checks import check_number, check_positive_int, check_tensor
from .randomness import make_generator

__all__ = [
    "QK_INPUTS",
    "qk_inputs",
    "random_qk_weights",
    "project_qk",
    "qk_scores",
    "asymmetry",
    "self_argmax_rate",
    "self_beats",
    "top_keys",
    "mutual_top_pairs",
    "symmetric_eigenvalues",
    "mass_on",
    "reorder",
    "head_scores",
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
    check_positive_int("T", T, minimum=2)
    check_positive_int("D", D, minimum=2)
    check_positive_int("seed", seed, minimum=0)
    if kind == "positions":
        from .positional import sinusoidal_encoding

        if D % 2:
            raise ValueError(f"D must be even for kind='positions' (sin/cos pairs), got D={D}")

        x = sinusoidal_encoding(T, D)  # (T, D)
    else:
        g = make_generator(seed)
        x = torch.randn(T, D, generator=g)  # (T, D)
    x = x / x.norm(dim=-1, keepdim=True) * math.sqrt(D)  # (T, D), every row of norm √D
    if kind == "spread norms":
        g = make_generator(seed + 1)
        x = x * 4.0 ** (2 * torch.rand(T, 1, generator=g) - 1)  # (T, D), norms in [√D/4, 4√D]
    return x


def random_qk_weights(D: int, d_k: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent ``W_Q, W_K (D, Dh)`` with N(0, 1/D) entries, so ``‖Wx‖² ≈ d_k`` when ``‖x‖² = D``."""
    check_positive_int("D", D)
    check_positive_int("d_k", d_k)
    check_positive_int("seed", seed, minimum=0)
    g = make_generator(seed)
    w_q = torch.randn(D, d_k, generator=g) / math.sqrt(D)  # (D, Dh)
    w_k = torch.randn(D, d_k, generator=g) / math.sqrt(D)  # (D, Dh)
    return w_q, w_k


# --- scores -------------------------------------------------------------------------------------

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
    check_tensor("x", x, floating=True)
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., T, D), got shape {tuple(x.shape)}")
    D = x.shape[-1]
    check_tensor("w_q", w_q, ndim=2, floating=True)
    if w_q.shape[0] != D:
        raise ValueError(f"w_q must have shape (D, Dh) with D = {D} (x's last dim), got {tuple(w_q.shape)}")
    if w_k is None:
        if b_k is not None:
            raise ValueError(
                "b_k was given but w_k is None (tied: the keys reuse w_q and b_q, one layer); "
                "pass w_k=w_q explicitly to share only the weight"
            )
        w_k, b_k = w_q, b_q
    else:
        check_tensor("w_k", w_k, ndim=2, floating=True)
        if w_k.shape != w_q.shape:
            raise ValueError(f"w_k must have w_q's shape {tuple(w_q.shape)} (D, Dh), got {tuple(w_k.shape)}")
    for name, b in (("b_q", b_q), ("b_k", b_k)):
        if b is not None:
            check_tensor(name, b, ndim=1, floating=True)
            if b.shape[0] != w_q.shape[1]:
                raise ValueError(f"{name} must have shape (Dh,) = ({w_q.shape[1]},), got {tuple(b.shape)}")
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
    q, k = project_qk(x, w_q, w_k, b_q, b_k)  # (..., T, Dh) each
    if isinstance(scale, bool) or not (scale is None or isinstance(scale, (int, float))):
        raise TypeError(f"scale must be a number or None (1/√d_k), got {scale!r}")
    if scale is not None:
        check_number("scale", scale, above=0)  # NaN, ±inf or <= 0 would make every score NaN, inf or 0
    if not isinstance(normalize_keys, bool):
        raise TypeError(f"normalize_keys must be a bool, got {type(normalize_keys).__name__} {normalize_keys!r}")
    if normalize_keys:
        k = k / k.norm(dim=-1, keepdim=True).clamp_min(1e-12)  # (..., T, Dh), unit rows
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return (q @ k.transpose(-2, -1)) * scale  # (..., T, Dh) @ (..., Dh, T) -> (..., T, T)


# --- what a score matrix can express ------------------------------------------------------------

def _check_square(name: str, s) -> None:
    check_tensor(name, s, floating=True)
    if s.dim() < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(
            f"{name} must be square, shape (..., T, T) (self-attention scores), got shape {tuple(s.shape)}"
        )


def _check_all_finite(name: str, s: torch.Tensor) -> None:
    if not torch.isfinite(s).all():
        raise ValueError(f"{name} must hold finite values (no NaN or ±inf): pass the scores before any mask")


def asymmetry(s: torch.Tensor) -> torch.Tensor:
    """``‖S − Sᵀ‖_F / ‖S‖_F`` for each ``(T, T)`` matrix of ``s (..., T, T)`` -> ``(...)``.

    0 for a symmetric matrix, 2 (the largest possible) for an antisymmetric one. An all-zero matrix gives 0.
    """
    _check_square("s", s)
    num = (s - s.transpose(-2, -1)).flatten(-2).norm(dim=-1)  # (...)
    den = s.flatten(-2).norm(dim=-1)  # (...)
    return torch.where(den > 0, num / den.clamp_min(1e-30), torch.zeros_like(num))


def self_argmax_rate(s: torch.Tensor, *, tol: float = 0.0) -> torch.Tensor:
    """Fraction of rows of ``s (..., T, T)`` whose own key has the top score -> ``(...)``.

    Row i counts when ``S_ii >= S_ij - tol`` for every j (a tie counts for self; ties have
    probability 0 with continuous inputs, except where the math makes them exact: with Reformer's
    normalised keys two parallel queries tie, and float rounding may then tip either way, so pass
    a small ``tol`` such as 1e-5). Tied projections make the diagonal large but not necessarily each
    row's maximum: self beats j whenever ``‖q_i‖ ≥ ‖q_j‖`` (Cauchy-Schwarz), not always otherwise.
    """
    _check_square("s", s)
    tol = check_number("tol", tol, minimum=0)
    diag = s.diagonal(dim1=-2, dim2=-1)  # (..., T)
    return (diag >= s.amax(dim=-1) - tol).float().mean(dim=-1)  # (...)


def self_beats(q: torch.Tensor) -> torch.Tensor:
    """``(..., T, T)`` bool: entry [i, j] is True when ``q_i·q_i >= q_i·q_j`` (self-score vs key j).

    For tied scores ``S = Q Qᵀ`` this is ``S_ii >= S_ij``; Cauchy-Schwarz makes it True wherever
    ``‖q_i‖ >= ‖q_j‖``, and it can fail where ``‖q_i‖ < ‖q_j‖``.
    """
    check_tensor("q", q, floating=True)
    if q.dim() < 2:
        raise ValueError(f"q must have shape (..., T, Dh), got shape {tuple(q.shape)}")
    s = q @ q.transpose(-2, -1)  # (..., T, T)
    return s.diagonal(dim1=-2, dim2=-1).unsqueeze(-1) >= s  # (..., T, 1) vs (..., T, T)


def top_keys(s: torch.Tensor, exclude_self: bool = False) -> torch.Tensor:
    """Index of each row's top-scoring key, ``(..., T)`` long; ``exclude_self`` skips the diagonal
    (attention to self masked, as in Reformer)."""
    _check_square("s", s)
    if not isinstance(exclude_self, bool):
        raise TypeError(f"exclude_self must be a bool, got {exclude_self!r}")
    if exclude_self:
        if s.shape[-1] < 2:
            raise ValueError(f"exclude_self=True needs at least 2 keys, got shape {tuple(s.shape)}")
        eye = torch.eye(s.shape[-1], dtype=torch.bool, device=s.device)  # (T, T)
        s = s.masked_fill(eye, float("-inf"))
    return s.argmax(dim=-1)  # (..., T)


def mutual_top_pairs(s: torch.Tensor, exclude_self: bool = True) -> torch.Tensor:
    """Number of pairs ``i < j`` that are each other's top key, for each matrix -> ``(...)`` long.

    With symmetric scores and self excluded there is always at least one (the pair holding the
    largest off-diagonal score), whatever the weights: so a relation in which no pair points back
    at each other (a cycle a → b → c → a) always gets at least one row wrong.
    """
    top = top_keys(s, exclude_self)  # (..., T)
    back = top.gather(-1, top)  # (..., T): the top key of my top key
    i = torch.arange(s.shape[-1], device=s.device)  # (T,)
    return ((back == i) & (top != i) & (i < top)).sum(dim=-1)  # (...)


def symmetric_eigenvalues(s: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of the symmetric part ``(S + Sᵀ)/2``, largest first, ``(..., T)``.

    For tied projections S is symmetric, so these are S's own eigenvalues: all ``>= 0`` (PSD), and
    at most ``d_k`` of them non-zero (rank ``<= d_k``). For separate projections the symmetric part
    usually has negative eigenvalues: ``xᵀ S x`` can be negative.
    """
    _check_square("s", s)
    _check_all_finite("s", s)  # eigvalsh fails with an unreadable error otherwise
    sym = (s + s.transpose(-2, -1)) / 2  # (..., T, T)
    return torch.linalg.eigvalsh(sym.double()).flip(-1).to(s.dtype)  # (..., T), descending


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
    return weights.gather(-1, index.long().unsqueeze(-1)).mean()


def reorder(matrices: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Permute the rows and the columns of each ``(T, T)`` matrix by ``order (..., T)``.

    ``out[..., r, c] = matrices[..., order[r], order[c]]``: e.g. ``order`` = the position of key 0,
    1, 2, … turns attention over positions into attention between keys, which can then be averaged
    over sequences whose items come in different orders.
    """
    _check_square("matrices", matrices)
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


@torch.no_grad()
def head_scores(model, tokens: torch.Tensor, layer: int = 0) -> torch.Tensor:
    """The scores of every head of one block of a :class:`~transformer_lab.model.TinyTransformer`,
    ``(B, H, T, T)``: ``q·k/√d_k`` from the model's own projections, before any mask and before a
    positional score bias (RoPE's rotation of q and k is applied). Row-softmaxed with the model's
    mask, they give back ``cache["blocks.{layer}.attn.weights"]`` (a test checks it).
    """
    from .model import TinyTransformer

    if not isinstance(model, TinyTransformer):
        raise TypeError(f"model must be a TinyTransformer, got {type(model).__name__}")
    n_layers = len(model.blocks)
    if isinstance(layer, bool) or not isinstance(layer, int):
        raise TypeError(f"layer must be an int in [0, {n_layers}), got {type(layer).__name__} {layer!r}")
    if not 0 <= layer < n_layers:
        raise ValueError(f"layer must be an int in [0, {n_layers}), got {layer!r}")
    was_training = model.training
    model.eval()
    _, cache = model(tokens, return_cache=True)
    model.train(was_training)
    x = cache["embed"] if layer == 0 else cache[f"blocks.{layer - 1}.out"]  # (B, T, D)
    block = model.blocks[layer]
    x_in = x if block.norm == "post" else block.ln1(x)  # (B, T, D): what the attention reads
    attn = block.attn
    q = attn.split_heads(attn.q_proj(x_in))  # (B, H, T, Dh)
    k = attn.split_heads(attn.k_proj(x_in))  # (B, H, T, Dh)
    q, k = model.positional.rotate_qk(q, k)
    return attn.score(q, k)  # (B, H, T, T)
