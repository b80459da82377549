"""The note's claims about the sinusoidal encoding (its question 七), each with a verdict computed here.

Taught in ``notebooks/07_sinusoidal_pe.ipynb`` (§ "What the note claims, checked"). The numbers are
analytic (the table, its dot products, the rotation M_k, the separation of positions), computed
again here by the functions the notebook uses, except two that come from the notebook's own
draws: how much a causal mask breaks permutation equivariance, and how much of the positional
score the offset explains after random projections (Yan et al. 2019). Each row quotes the note's
own Chinese (``seeds/000_12ff27f4a03ccb28.txt``, question 七) beside an English gloss.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..._checks import check_number
from ...evidence import Table, claims_table
from ...positional.absolute import (
    SinusoidalPositional,
    pe_dot_products,
    relative_shift_matrix,
    sinusoidal_encoding,
    sinusoidal_wavelengths,
)
from .analysis import asymmetry, first_rise, leading_dims_to_separate, offset_profile, separation_by_leading_dims

__all__ = ["note_claims", "ripples"]


def ripples(d_model: int, max_offset: int = 200, visible: float = 0.01) -> dict:
    """Where ``PE(0)·PE(k)/‖PE‖²`` first rises, by how much, and where it first rises by more than
    ``visible`` (a rise one can see on a plot): ``{"first": k, "step": size, "visible": k}``."""
    check_number("visible", visible, above=0)
    p = offset_profile(max_offset, d_model) / (d_model / 2)  # (K+1,)
    first = first_rise(p)
    return {"first": first, "step": None if first is None else (p[first] - p[first - 1]).item(),
            "visible": first_rise(p, min_step=visible)}


def note_claims(causal_gap: float, projected_fractions: Sequence[float], max_len: int = 50,
                d_model: int = 128) -> Table:
    """The claims table of notebook 07: the note's words, an English gloss, a verdict, the evidence.

    ``causal_gap``: the largest change of attention(x[perm]) against attention(x)[perm] under a causal
    mask (§1); ``projected_fractions``: for each random draw of W_Q, W_K, the share of the positional
    scores the offset explains (§3). Everything else is computed here for a table of ``max_len``
    positions and width ``d_model`` (the note's figure: 50 × 128).
    """
    check_number("causal_gap", causal_gap, minimum=0)
    fractions = [check_number("projected_fractions[i]", f, maximum=1) for f in projected_fractions]
    if not fractions:
        raise ValueError("projected_fractions must hold at least one draw, got none")
    L, D = max_len, d_model
    n_params = sum(p.numel() for p in SinusoidalPositional(D, L).parameters())
    longest = sinusoidal_wavelengths(512)[-1].item()
    n_distinct = len(set(sinusoidal_wavelengths(D).tolist()))
    sep = separation_by_leading_dims(L, D)  # (D,)
    full = sep[-1].item()
    needed = leading_dims_to_separate(L, D, 0.5)
    needed90 = leading_dims_to_separate(L, D, 0.9 * full)
    pe = sinusoidal_encoding(L, D)  # (L, D)
    col_range = pe.max(0).values - pe.min(0).values  # (D,): how much each dimension varies over the L positions
    flat_from = next(j for j in range(D) if (col_range[j:] < 0.5).all())
    table = sinusoidal_encoding(200, D).double()  # (200, D)
    shift_error = max((table[max(0, -k):200 - max(0, k)] @ relative_shift_matrix(k, D).T
                       - table[max(0, k):200 - max(0, -k)]).abs().max().item() for k in (-199, -50, -5, -1, 1, 5, 50, 199))
    G = pe_dot_products(100, D)  # (L, L)
    spread = max((torch.diagonal(G, k) - torch.diagonal(G, k)[0]).abs().max().item() for k in range(-99, 100))
    r128, r512 = ripples(128), ripples(512)
    back3 = table[:40] @ relative_shift_matrix(3, D) @ table[:40].T  # (T, S): PE_iᵀ M_3 PE_j
    i = torch.arange(3, 37)
    back_minus_ahead = (back3[i, i - 3] - back3[i, i + 3]).min().item()
    lo, hi = min(fractions), max(fractions)
    rows = [
        ("self-attention是位置无关的，无论句子的顺序是什么样的，通过self-attention计算的token的hidden embedding都是一样的",
         "Self-attention ignores position: reorder the sentence and each token gets the same hidden vector.",
         "holds with a caveat" if causal_gap > 0.05 else "holds",
         "Without positions, attention(x[perm]) = attention(x)[perm]: each token's output is the same wherever it "
         f"stands. A causal mask already breaks this (max gap {causal_gap:.2f}): a decoder is not fully order-blind.",
         "1"),
        ("transformer使用了固定的positional encoding来表示token在句子中的绝对位置信息",
         "The Transformer uses a fixed (not learned) encoding of absolute position.",
         "holds" if n_params == 0 else "does not hold", f"SinusoidalPositional has {n_params} parameters.", "1"),
        ("具体计算方法如下：（公式为图片）其中t表示位置，i表示维度",
         "(The formula is an image; we take the paper's.) sin in even, cos in odd dimensions, frequencies "
         "falling along the dimension index.",
         "holds", f"Wavelengths form a geometric progression from 2π to {longest:,.0f} (d = 512), just short of "
         "10000·2π.", "D1"),
        ("对于句子长度最大为50的模型来说，前60维就可以区分位置了",
         "For length 50, the first 60 dimensions already tell positions apart.",
         "holds with a caveat" if needed is not None and needed < 60 else "does not hold",
         f"Far fewer do: {needed} leading dims keep every two of {L} positions ≥ 0.5 apart, {needed90} reach 90% of "
         f"the full code's separation; 2 dims give distinct but close codes ({sep[1].item():.3f} apart). What 60 "
         f"matches is where the columns go flat: from dim {flat_from} on they vary by < 0.5 over {L} positions.",
         "D4"),
        ("奇数维度之间或者偶数维度之间周期不同", "Among even (or odd) dimensions the periods all differ.",
         "holds" if n_distinct == D // 2 else "does not hold",
         f"All {D // 2} pair wavelengths are distinct; the two dimensions of a pair share one.", "D1"),
        ("给定k，存在一个固定的与k相关的线性变换矩阵，从而由pos的位置编码线性变换而得到pos+k的位置编码",
         "A fixed linear map M_k, depending on k only, takes PE(pos) to PE(pos+k).",
         "holds" if shift_error < 1e-6 else "does not hold",
         f"Exact: M_k is block-diagonal, one 2×2 rotation per sin/cos pair; error below 1e-6 "
         f"({shift_error < 1e-6}) at every position, k = ±1, ±5, ±50, ±199 (every k: D2).", "1, D2"),
        ("这个相对位置信息可能可以被模型发现而利用", "The model may exploit this relative information.",
         "holds with a caveat", f"It can: a head with W_QᵀW_K = M_3 attends exactly 3 back (§3d). Nothing makes it: "
         f"after random projections the offset explains only {lo:.2f}–{hi:.2f} of the positional scores (§3c), so "
         "using it must be learned (Yan et al. 2019).", "3c, 3d"),
        ("绝对位置信息只保证了各个位置不一样，但是并不是像0，1，2这样的有明确前后关系的编码",
         "An absolute code only makes positions differ; it has no order like 0, 1, 2; the linear relation "
         "supplies one.",
         "holds with a caveat", f"The codes are distinct (closest pair {full:.2f} apart for {L} positions). The dot "
         "product carries no order (§3a), but a bilinear form through M_k does (§3d).", "3a, 3d"),
        ("相乘后的结果为一个余弦的加和。这里影响值的因素就是k",
         "PE(pos)·PE(pos+k) is a sum of cosines that depends on k only.",
         "holds" if spread < 1e-9 else "does not hold",
         f"Constant along every diagonal (spread below 1e-9: {spread < 1e-9}); equals Σᵢ cos(kωᵢ).", "3a"),
        ("如果两个token距离越远则乘积的结果越小",
         "The larger k, the smaller the product: farther tokens always give a smaller product.",
         "does not hold" if r128["first"] is not None else "holds",
         f"It falls overall but not monotonically. It first rises at k = {r128['first']} (d = 128) and "
         f"k = {r512['first']} (d = 512), ripples of {r128['step']:.0e} and {r512['step']:.0e} of ‖PE‖²; rises of "
         f"more than 0.01 come from k = {r128['visible']} and k = {r512['visible']}, and it keeps wobbling.", "3b"),
        ("只能得到相对关系，无法得到方向关系", "Distance but no direction: PE(pos)·PE(pos+k) = PE(pos)·PE(pos−k).",
         "holds with a caveat" if asymmetry(G) < 1e-12 and back_minus_ahead > 0 else "does not hold",
         "True of the dot product (G = Gᵀ). The vectors do carry direction: M_(−k) = M_kᵀ ≠ M_k, and through M_3, "
         f"3 back outscores 3 ahead by at least {back_minus_ahead:.1f} (§3d).", "3a, 3d"),
    ]
    return claims_table(rows)
