"""What a fully masked row becomes, under each fill and each PyTorch API: NaN, zeros, uniform, or the
unmasked attention.

Taught in ``notebooks/04_padding_mask.ipynb`` (a query with no key left: left padding under a causal
mask, or an empty sequence). The fills and the plain one-liners come from :mod:`.analysis`.

Shape legend: B batch, T query positions, S key positions, D model width.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_int, check_number
from ...attention import masked_softmax
from ...masks import to_additive
from ...randomness import make_generator
from .analysis import FILLS, FORMS, _check_dtype, _check_fills, classify_row, fill_value, plain_masked_softmax

__all__ = ["API_NAMES", "fully_masked_behaviour", "fully_masked_plain"]

API_NAMES = (
    "softmax + masked_fill (set)",
    "softmax + additive mask (add)",
    "tl.masked_softmax",
    "F.scaled_dot_product_attention",
    "nn.MultiheadAttention, need_weights=True",
    "nn.MultiheadAttention, need_weights=False",
)


def _identity_mha(q_weight: torch.Tensor, k_weight: torch.Tensor) -> nn.MultiheadAttention:
    """One head of width S, no biases, W_V = W_O = I: its output row *is* its weights row."""
    S = q_weight.shape[0]
    mha = nn.MultiheadAttention(S, 1, bias=False, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([q_weight, k_weight, torch.eye(S)]))  # (3S, S)
        mha.out_proj.weight.copy_(torch.eye(S))
    return mha


@torch.no_grad()
def fully_masked_behaviour(fills: Sequence = FILLS, n_keys: int = 4, seed: int = 0) -> dict[str, dict[str, str]]:
    """What a fully masked row becomes, for each API (rows) and each mask (columns).

    Columns: ``"bool"`` (a boolean mask in the API's own convention) and each fill of ``fills``
    (an additive float mask for the attention APIs; for the two plain one-liners the fill is set or
    added). Query 0 has every key masked; query 1 keeps keys 0 and 1 (a sanity row). Each API's
    weights are read from its output with values = the identity matrix (``output = weights @ I``),
    so the fused kernels, which return no weights, are classified too. Returns
    ``{api: {column: behaviour}}`` with a behaviour from :data:`BEHAVIOURS`, or ``"n/a"``.
    """
    check_int("n_keys", n_keys, minimum=2)
    _check_fills(fills)
    check_int("seed", seed, minimum=0)
    S, T = n_keys, 2
    g = make_generator(seed)
    x_q = torch.randn(1, T, S, generator=g)  # (B=1, T, D=S) queries' inputs
    x_k = torch.randn(1, S, S, generator=g)  # (B=1, S, D=S) keys' inputs
    w_q = torch.randn(S, S, generator=g)  # (D, D)
    w_k = torch.randn(S, S, generator=g)  # (D, D)
    eye = torch.eye(S)[None]  # (1, S, S): values, so that output = weights
    q = (x_q @ w_q.T)[:, None]  # (1, 1, T, S): one head of width S
    k = (x_k @ w_k.T)[:, None]  # (1, 1, S, S)
    scores = q @ k.transpose(-2, -1) / math.sqrt(S)  # (1, 1, T, S)
    keep = torch.zeros(T, S, dtype=torch.bool)  # (T, S)
    keep[1, :2] = True  # query 0: no key at all; query 1: keys 0, 1
    mha = _identity_mha(w_q, w_k)

    def sdpa(mask):
        return F.scaled_dot_product_attention(q, k, eye[:, None], attn_mask=mask)[0, 0]  # (T, S)

    def torch_mha(mask, need_weights):
        out, _ = mha(x_q, x_k, eye, attn_mask=mask, need_weights=need_weights)  # (1, T, S)
        return out[0]

    reference = {  # each API without a mask
        API_NAMES[0]: torch.softmax(scores, -1)[0, 0],
        API_NAMES[1]: torch.softmax(scores, -1)[0, 0],
        API_NAMES[2]: masked_softmax(scores)[0, 0],
        API_NAMES[3]: sdpa(None),
        API_NAMES[4]: torch_mha(None, True),
        API_NAMES[5]: torch_mha(None, False),
    }
    table: dict[str, dict[str, str]] = {api: {} for api in API_NAMES}
    for column in ("bool", *fills):
        if column == "bool":
            runs = {
                API_NAMES[2]: lambda: masked_softmax(scores, keep)[0, 0],  # True = take part
                API_NAMES[3]: lambda: sdpa(keep),  # True = take part
                API_NAMES[4]: lambda: torch_mha(~keep, True),  # nn.MultiheadAttention: True = NOT allowed
                API_NAMES[5]: lambda: torch_mha(~keep, False),
            }
        else:
            additive = to_additive(keep, torch.float32, fill=fill_value(column, torch.float32))  # (T, S)
            runs = {
                API_NAMES[0]: lambda: plain_masked_softmax(scores, keep, column, "set")[0, 0],
                API_NAMES[1]: lambda: plain_masked_softmax(scores, keep, column, "add")[0, 0],
                API_NAMES[2]: lambda: masked_softmax(scores, additive)[0, 0],
                API_NAMES[3]: lambda: sdpa(additive),
                API_NAMES[4]: lambda: torch_mha(additive, True),
                API_NAMES[5]: lambda: torch_mha(additive, False),
            }
        for api in API_NAMES:
            if api not in runs:
                table[api][str(column)] = "n/a"
                continue
            weights = runs[api]()  # (T, S)
            assert not torch.isnan(weights[1]).any(), f"{api}: the partially masked sanity row is NaN"
            table[api][str(column)] = classify_row(weights[0], reference[api][0])
    return table


@torch.no_grad()
def fully_masked_plain(
    dtype: torch.dtype = torch.float32, shift: float = 0.0, fills: Sequence = FILLS, n_keys: int = 8, seed: int = 0
) -> dict[str, dict[str, str]]:
    """What the plain one-liners make of a fully masked row in ``dtype``: ``{form: {fill: behaviour}}``.

    Scores are N(0, 1) plus ``shift``, cast to ``dtype``; every key is masked. A behaviour is one of
    :data:`BEHAVIOURS`, or ``"raises"`` when ``masked_fill`` refuses the fill (``-1e9`` in float16).
    A negative ``shift`` shows float16's trap: its minimum *added* to a score below -16 rounds to -inf.
    """
    _check_dtype(dtype)
    check_number("shift", shift)
    _check_fills(fills, dtype)  # a bad fill is an error here, not a "raises" entry in the table
    check_int("n_keys", n_keys, minimum=2)
    check_int("seed", seed, minimum=0)
    scores = (torch.randn(n_keys, generator=make_generator(seed)) + shift).to(dtype)  # (S,)
    unmasked = torch.softmax(scores.float(), dim=-1)  # (S,)
    keep = torch.zeros(n_keys, dtype=torch.bool)  # (S,): no key at all
    table: dict[str, dict[str, str]] = {}
    for form in FORMS:
        table[form] = {}
        for f in fills:
            try:
                weights = plain_masked_softmax(scores, keep, f, form).float()  # (S,)
            except ValueError:
                table[form][str(f)] = "raises"
                continue
            table[form][str(f)] = classify_row(weights, unmasked)
    return table
