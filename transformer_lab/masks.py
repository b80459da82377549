"""Attention masks: padding, causal, combined; boolean and additive forms.

Taught in ``notebooks/04_padding_mask.ipynb``.

One convention everywhere in this package, the one of
``torch.nn.functional.scaled_dot_product_attention``: a **boolean mask is True where a key takes
part** ("keep"). ``torch.nn.MultiheadAttention``'s ``key_padding_mask`` uses the opposite
convention (True = ignore); :func:`to_torch_key_padding_mask` and
:func:`from_torch_key_padding_mask` spell the flip out so it is never done by accident.

Shape legend: B batch, T query positions, S key positions.
"""

from __future__ import annotations

import torch

from ._checks import check_int, check_tensor

__all__ = [
    "padding_mask",
    "causal_mask",
    "combine_masks",
    "key_mask_to_attention_mask",
    "query_mask_to_attention_mask",
    "to_additive",
    "to_boolean",
    "safe_fill_value",
    "to_torch_key_padding_mask",
    "from_torch_key_padding_mask",
    "fully_masked_rows",
    "position_ids",
    "unmask_fully_masked_rows",
]


def padding_mask(lengths, max_len: int | None = None, side: str = "right") -> torch.Tensor:
    """Keep-mask of real tokens: ``(B, S)`` bool, True at positions ``< lengths[b]``.

    ``side="left"`` puts the padding first (as decoder-only models batch prompts).

    >>> padding_mask(torch.tensor([3, 1]), 4).int().tolist()
    [[1, 1, 1, 0], [1, 0, 0, 0]]
    """
    if not isinstance(lengths, torch.Tensor):
        lengths = torch.as_tensor(lengths)
        if lengths.numel() == 0:  # [] becomes float32: an empty batch of lengths is still integer
            lengths = lengths.long()
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be 1-D (one length per sequence), got shape {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    if (lengths < 0).any():
        raise ValueError(f"lengths must be >= 0, got {lengths.tolist()}")
    longest = int(lengths.max()) if lengths.numel() else 0
    if max_len is None:
        max_len = longest
    check_int("max_len", max_len, minimum=0)
    if longest > max_len:
        raise ValueError(f"lengths must be <= max_len={max_len}, got a length of {longest}")
    pos = torch.arange(max_len, device=lengths.device)  # (S,)
    if side == "right":
        return pos[None, :] < lengths[:, None]  # (B, S)
    return pos[None, :] >= (max_len - lengths)[:, None]  # (B, S)


def causal_mask(T: int, S: int | None = None, device=None) -> torch.Tensor:
    """Keep-mask ``(T, S)``: query i may see keys j <= i (aligned at the end when S > T).

    >>> causal_mask(3).int().tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    check_int("T", T)
    S = T if S is None else check_int("S", S)
    if S < T:
        raise ValueError(f"S must be >= T for a causal mask (keys cover the queries), got T={T}, S={S}")
    return torch.ones(T, S, dtype=torch.bool, device=device).tril(diagonal=S - T)


def key_mask_to_attention_mask(key_mask: torch.Tensor) -> torch.Tensor:
    """``(B, S)`` keep-mask over keys -> ``(B, 1, 1, S)``, broadcastable to scores ``(B, H, T, S)``."""
    _check_bool("key_mask", key_mask, ndim=2)
    return key_mask[:, None, None, :]  # (B, 1, 1, S)


def query_mask_to_attention_mask(query_mask: torch.Tensor) -> torch.Tensor:
    """``(B, T)`` keep-mask over queries -> ``(B, 1, T, 1)``.

    Masking query rows leaves those rows fully masked; the attention functions of this package
    return zeros there (not NaN). Pad *queries* are usually left unmasked and their outputs are
    ignored by the loss instead (see notebook 04).
    """
    _check_bool("query_mask", query_mask, ndim=2)
    return query_mask[:, None, :, None]  # (B, 1, T, 1)


def combine_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Logical AND of keep-masks that broadcast together (``None`` entries are skipped).

    >>> combine_masks(causal_mask(3), padding_mask([2], 3)[:, None, :]).int().tolist()
    [[[1, 0, 0], [1, 1, 0], [1, 1, 0]]]
    """
    present = [(i, m) for i, m in enumerate(masks) if m is not None]  # i: the argument's position
    for i, m in present:
        _check_bool(f"masks[{i}]", m)
    if not present:
        return None
    out = present[0][1]
    for i, m in present[1:]:
        try:
            out = out & m
        except RuntimeError as e:
            raise ValueError(
                f"masks[{i}] of shape {tuple(m.shape)} does not broadcast with shape {tuple(out.shape)}"
            ) from e
    return out


def safe_fill_value(dtype: torch.dtype) -> float:
    """The most negative finite value of ``dtype``: a fill that never overflows, unlike -1e9 in fp16."""
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    return torch.finfo(dtype).min


def to_additive(mask: torch.Tensor, dtype: torch.dtype = torch.float32, fill: float | None = None) -> torch.Tensor:
    """Keep-mask -> additive mask: 0 where True, ``fill`` where False.

    ``fill=None`` means ``-inf``. A finite fill that ``dtype`` cannot represent (``-1e9`` in
    float16, whose minimum is -65504) raises ``ValueError`` instead of silently becoming ``-inf``.
    """
    _check_bool("mask", mask)
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    fill = float("-inf") if fill is None else float(fill)
    if fill != fill or fill >= 0:
        raise ValueError(f"fill must be negative (a large negative number or -inf), got {fill}")
    if fill != float("-inf") and fill < torch.finfo(dtype).min:
        raise ValueError(
            f"fill={fill:g} overflows {dtype} (its minimum is {torch.finfo(dtype).min:g}); "
            f"use safe_fill_value({dtype}) or -inf"
        )
    out = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return out.masked_fill(~mask, fill)


def to_boolean(additive: torch.Tensor) -> torch.Tensor:
    """Additive mask -> keep-mask: True where the mask adds 0.

    An additive mask holds 0 for keys that take part and a negative fill for the others. Positive
    entries mean a 0/1 keep-mask was passed where an additive one was expected: ``ValueError``.
    """
    check_tensor("additive", additive, floating=True)
    if torch.isnan(additive).any():
        raise ValueError("additive contains NaN; an additive mask is 0 (take part) or negative (masked)")
    if (additive > 0).any():
        raise ValueError(
            "additive holds positive values; an additive mask is 0 (take part) or negative "
            "(masked). A 0/1 'keep' mask must be passed as bool"
        )
    return additive == 0


def to_torch_key_padding_mask(key_mask: torch.Tensor) -> torch.Tensor:
    """Our ``(B, S)`` keep-mask -> ``nn.MultiheadAttention``'s ``key_padding_mask`` (True = ignore)."""
    _check_bool("key_mask", key_mask, ndim=2)
    return ~key_mask


def from_torch_key_padding_mask(key_padding_mask: torch.Tensor) -> torch.Tensor:
    """``nn.MultiheadAttention``'s ``key_padding_mask`` (True = ignore) -> our keep-mask."""
    _check_bool("key_padding_mask", key_padding_mask, ndim=2)
    return ~key_padding_mask


def fully_masked_rows(mask: torch.Tensor) -> torch.Tensor:
    """Query rows of a keep-mask ``(..., T, S)`` with no key left: ``(..., T)`` bool.

    Such rows have no well-defined softmax: ``-inf`` everywhere gives NaN, a finite fill gives
    uniform weights over the masked keys. They appear for pad queries under left padding plus a
    causal mask, for empty sequences, and for query-side masks (notebook 04).

    >>> fully_masked_rows(combine_masks(causal_mask(3), padding_mask([2], 3, side="left")[:, None, :])).tolist()
    [[True, False, False]]
    """
    _check_bool("mask", mask)
    if mask.dim() < 2:
        raise ValueError(f"mask must have shape (..., T, S), got shape {tuple(mask.shape)}")
    return ~mask.any(dim=-1)  # (..., T)


def unmask_fully_masked_rows(mask: torch.Tensor) -> torch.Tensor:
    """The fix for rows with no key that works with any API: let those rows see every key.

    A fully masked row has no meaningful output (it belongs to a pad query), but a softmax over
    nothing gives NaN, and a NaN poisons the *gradient* even when the output is zeroed afterwards.
    Opening such rows to all keys keeps every row finite; the rows that had keys are unchanged.
    Their outputs must still be ignored downstream (loss, pooling). ``mask (..., T, S)`` keep-mask.

    >>> unmask_fully_masked_rows(torch.tensor([[False, False], [True, False]])).tolist()
    [[True, True], [True, False]]
    """
    return mask | fully_masked_rows(mask)[..., None]  # (..., T, S)


def position_ids(key_mask: torch.Tensor) -> torch.Tensor:
    """Positions counted over real tokens only: ``(B, S)`` long, 0 at each sequence's first real token.

    With right padding these are ``0, 1, 2, ...`` as usual. With left padding the index of a real
    token is shifted by the pad length, so absolute positions indexed by ``arange(S)`` change with
    the padding; ``position_ids`` restores them (pads get 0; their outputs are ignored).

    >>> position_ids(padding_mask([2, 3], 3, side="left")).tolist()
    [[0, 0, 1], [0, 1, 2]]
    """
    _check_bool("key_mask", key_mask, ndim=2)
    return (key_mask.long().cumsum(dim=-1) - 1).clamp_min(0)  # (B, S)


def _check_bool(name: str, mask, ndim: int | None = None) -> None:
    check_tensor(name, mask, ndim=ndim)
    if mask.dtype != torch.bool:
        raise TypeError(
            f"{name} must be a bool tensor (True = take part), got dtype {mask.dtype}; "
            "convert a 0/1 tensor with .bool() after checking its convention"
        )
