"""Attention against PyTorch's own kernels and against the closed form.

Oracles: ``torch.nn.functional.scaled_dot_product_attention`` and ``torch.nn.MultiheadAttention``
(float32, atol 1e-5, rtol 0), naive per-pair loops for the score functions, and properties that
hold for any input (rows sum to one, masked keys get exactly zero weight, causality,
permutation equivariance).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import randn, random_mask
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import transformer_lab as tl

ATOL = 1e-5
seeds = st.integers(0, 2**31 - 1)
small = st.integers(1, 6)


def close(a: torch.Tensor, b: torch.Tensor, atol: float = ATOL) -> None:
    torch.testing.assert_close(a, b, atol=atol, rtol=0)


def qkv(seed: int, B=2, H=3, T=4, S=5, Dh=8, Dv=6):
    return randn(seed, B, H, T, Dh), randn(seed + 1, B, H, S, Dh), randn(seed + 2, B, H, S, Dv)


def keep_at_least_one(mask: torch.Tensor, seed: int) -> torch.Tensor:
    """Make sure every query row keeps one key (a random one), so no row is fully masked."""
    g = torch.Generator().manual_seed(seed)
    col = torch.randint(0, mask.shape[-1], mask.shape[:-1], generator=g)  # (..., T)
    return mask | F.one_hot(col, mask.shape[-1]).bool()


# --- parity with F.scaled_dot_product_attention ------------------------------------------------

SHAPES = [  # B, H, T, S, Dh, Dv
    (1, 1, 1, 1, 4, 4),
    (2, 3, 4, 5, 8, 6),
    (3, 2, 7, 7, 16, 16),
    (1, 4, 9, 3, 5, 2),
]


def _mask_case(kind: str, B, H, T, S, seed):
    """(our mask, our bias, our scale, torch kwargs) for one kind of masking."""
    if kind == "none":
        return None, None, None, {}
    if kind == "bool":
        m = keep_at_least_one(random_mask(seed, B, 1, T, S), seed)  # (B, 1, T, S)
        return m, None, None, {"attn_mask": m}
    if kind == "bool_TS":
        m = keep_at_least_one(random_mask(seed, T, S), seed)  # (T, S), broadcast over B and H
        return m, None, None, {"attn_mask": m}
    if kind == "additive_inf":
        m = tl.to_additive(keep_at_least_one(random_mask(seed, B, H, T, S), seed))  # 0 / -inf
        return m, None, None, {"attn_mask": m}
    if kind == "additive_soft":  # any float values are a legal additive mask
        m = randn(seed, B, 1, T, S) - 0.5
        return m, None, None, {"attn_mask": m}
    if kind == "bias":
        b = randn(seed, H, T, S)
        return None, b, None, {"attn_mask": b}
    if kind == "bool_and_bias":
        m = keep_at_least_one(random_mask(seed, B, 1, T, S), seed)
        b = randn(seed + 7, H, T, S)
        return m, b, None, {"attn_mask": tl.to_additive(m) + b}
    if kind == "scale":
        return None, None, 0.37, {"scale": 0.37}
    if kind == "scale_and_mask":
        m = keep_at_least_one(random_mask(seed, B, 1, T, S), seed)
        return m, None, 2.5, {"attn_mask": m, "scale": 2.5}
    raise AssertionError(kind)


MASK_KINDS = ["none", "bool", "bool_TS", "additive_inf", "additive_soft", "bias", "bool_and_bias", "scale", "scale_and_mask"]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", MASK_KINDS)
def test_sdpa_matches_torch(shape, kind):
    B, H, T, S, Dh, Dv = shape
    q, k, v = qkv(11, B, H, T, S, Dh, Dv)
    mask, bias, scale, torch_kwargs = _mask_case(kind, B, H, T, S, seed=5)
    out, weights = tl.scaled_dot_product_attention(q, k, v, mask=mask, bias=bias, scale=scale)
    expected = F.scaled_dot_product_attention(q, k, v, **torch_kwargs)
    assert out.shape == (B, H, T, Dv) and weights.shape == (B, H, T, S)
    close(out, expected)
    fast, none = tl.scaled_dot_product_attention(q, k, v, mask=mask, bias=bias, scale=scale, need_weights=False)
    assert none is None and fast.shape == out.shape
    close(fast, expected)
    # the weights are the softmax PyTorch averages the values with
    add = torch_kwargs.get("attn_mask")
    if add is not None and add.dtype == torch.bool:
        add = tl.to_additive(add)
    s = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(Dh))
    close(weights, torch.softmax(s if add is None else s + add, dim=-1))
    close(weights @ v, out)


@pytest.mark.parametrize("T", [1, 2, 5, 8])
def test_causal_mask_matches_is_causal(T):
    q, k, v = qkv(3, B=2, H=2, T=T, S=T)
    out, weights = tl.scaled_dot_product_attention(q, k, v, mask=tl.causal_mask(T))
    close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    assert torch.all(weights.triu(diagonal=1) == 0)


def test_causal_mask_with_more_keys_matches_bool_mask():
    """T < S (a cache of earlier keys): our mask is aligned at the end; torch takes it as attn_mask."""
    q, k, v = qkv(4, T=3, S=7)
    m = tl.causal_mask(3, 7)
    out, _ = tl.scaled_dot_product_attention(q, k, v, mask=m)
    close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=m))


@pytest.mark.parametrize("kind", ["bool", "additive_inf", "bias", "scale_and_mask"])
def test_sdpa_gradients_match_torch(kind):
    q, k, v = qkv(21, B=2, H=2, T=4, S=6)
    mask, bias, scale, torch_kwargs = _mask_case(kind, 2, 2, 4, 6, seed=8)
    ours = [t.clone().requires_grad_() for t in (q, k, v)]
    theirs = [t.clone().requires_grad_() for t in (q, k, v)]
    fast = [t.clone().requires_grad_() for t in (q, k, v)]
    g_out = randn(99, 2, 2, 4, 6)
    (tl.scaled_dot_product_attention(*ours, mask=mask, bias=bias, scale=scale)[0] * g_out).sum().backward()
    (F.scaled_dot_product_attention(*theirs, **torch_kwargs) * g_out).sum().backward()
    (tl.scaled_dot_product_attention(*fast, mask=mask, bias=bias, scale=scale, need_weights=False)[0] * g_out).sum().backward()
    for a, b, c in zip(ours, theirs, fast):
        close(a.grad, b.grad)
        close(c.grad, b.grad)


@given(seed=seeds, B=st.integers(1, 3), H=st.integers(1, 3), T=small, S=small, Dh=small, Dv=small,
       scale=st.one_of(st.none(), st.floats(0.05, 3.0)))
def test_sdpa_matches_torch_property(seed, B, H, T, S, Dh, Dv, scale):
    q, k, v = qkv(seed, B, H, T, S, Dh, Dv)
    mask = keep_at_least_one(random_mask(seed + 3, B, 1, T, S), seed)
    out, _ = tl.scaled_dot_product_attention(q, k, v, mask=mask, scale=scale)
    close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale))
    fast, _ = tl.scaled_dot_product_attention(q, k, v, mask=mask, scale=scale, need_weights=False)
    close(fast, out)


# --- fully masked rows: zeros, never NaN ----------------------------------------------------------

@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "fused"])
@pytest.mark.parametrize("form", ["bool", "additive"])
def test_fully_masked_rows_are_zero_like_torch_and_gradients_are_finite(form, need_weights):
    q, k, v = qkv(5, B=2, H=2, T=4, S=5)
    keep = keep_at_least_one(random_mask(1, 2, 1, 4, 5), 1)
    keep[0, 0, 1] = False  # batch 0, query 1: no key at all
    keep[1, 0, 3] = False
    mask = keep if form == "bool" else tl.to_additive(keep)
    ours = [t.clone().requires_grad_() for t in (q, k, v)]
    out, weights = tl.scaled_dot_product_attention(*ours, mask=mask, need_weights=need_weights)
    assert not torch.isnan(out).any()
    assert torch.all(out[0, :, 1] == 0) and torch.all(out[1, :, 3] == 0)
    if need_weights:
        assert not torch.isnan(weights).any()
        assert torch.all(weights[0, :, 1] == 0) and torch.all(weights[1, :, 3] == 0)
    else:
        assert weights is None
    theirs = [t.clone().requires_grad_() for t in (q, k, v)]
    expected = F.scaled_dot_product_attention(*theirs, attn_mask=mask)
    close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        assert torch.isfinite(a.grad).all()
        close(a.grad, b.grad)
    assert torch.all(ours[0].grad[0, :, 1] == 0)  # a dead query row gets no gradient


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "fused"])
def test_all_rows_masked_gives_zeros_and_finite_gradients(need_weights):
    q, k, v = (t.requires_grad_() for t in qkv(6, B=1, H=1, T=3, S=3))
    out, weights = tl.scaled_dot_product_attention(q, k, v, mask=torch.zeros(3, 3, dtype=torch.bool), need_weights=need_weights)
    assert torch.all(out == 0) and (weights is None if not need_weights else torch.all(weights == 0))
    out.sum().backward()
    for t in (q, k, v):
        assert torch.all(t.grad == 0)


# --- masked softmax properties --------------------------------------------------------------------

@given(seed=seeds, shape=st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)),
       p_keep=st.floats(0.0, 1.0), scale=st.floats(0.1, 30.0))
def test_masked_softmax_rows_sum_to_one_or_zero(seed, shape, p_keep, scale):
    scores = randn(seed, *shape) * scale
    mask = random_mask(seed + 1, *shape, p_keep=p_keep)
    weights = tl.masked_softmax(scores, mask)
    alive = mask.any(dim=-1)  # (..., T)
    sums = weights.sum(dim=-1)
    close(sums[alive], torch.ones_like(sums[alive]))
    assert torch.all(weights[~alive] == 0)
    assert torch.all(weights >= 0)
    assert torch.all(weights[~mask] == 0)  # masked keys: exactly zero, not merely tiny


@given(seed=seeds, T=small, S=small, big=st.floats(1.0, 1e4))
def test_masked_keys_get_exactly_zero_weight_even_with_huge_scores(seed, T, S, big):
    """A masked key's score can be as large as you like: its weight is still exactly 0."""
    q, k, v = qkv(seed, B=1, H=2, T=T, S=S, Dh=3, Dv=2)
    keep = keep_at_least_one(random_mask(seed + 1, 1, 1, T, S), seed)
    k = torch.where(keep[0, 0, 0][None, None, :, None], k, k * big)  # inflate the masked keys
    for mask in (keep, tl.to_additive(keep), tl.to_additive(keep, fill=tl.safe_fill_value(torch.float32))):
        _, weights = tl.scaled_dot_product_attention(q, k, v, mask=mask, scale=1e-3)
        assert torch.all(weights.masked_select(~keep.expand_as(weights)) == 0)


@given(seed=seeds, T=st.integers(2, 7), Dh=small, t=st.integers(0, 6))
def test_causal_sdpa_output_at_t_ignores_later_tokens(seed, T, Dh, t):
    t = t % T
    q, k, v = qkv(seed, B=2, H=2, T=T, S=T, Dh=Dh, Dv=3)
    q2, k2, v2 = (x.clone() for x in (q, k, v))
    q2[..., t + 1:, :] = randn(seed + 9, *q2[..., t + 1:, :].shape) * 5  # change every later token
    k2[..., t + 1:, :] = randn(seed + 10, *k2[..., t + 1:, :].shape) * 5
    v2[..., t + 1:, :] = randn(seed + 11, *v2[..., t + 1:, :].shape) * 5
    mask = tl.causal_mask(T)
    out, w = tl.scaled_dot_product_attention(q, k, v, mask=mask)
    out2, w2 = tl.scaled_dot_product_attention(q2, k2, v2, mask=mask)
    assert torch.equal(out[..., : t + 1, :], out2[..., : t + 1, :])
    assert torch.equal(w[..., : t + 1, :], w2[..., : t + 1, :])


def test_masked_softmax_bias_is_added_before_softmax():
    scores, bias = randn(1, 2, 3, 4), randn(2, 3, 4)
    close(tl.masked_softmax(scores, bias=bias), torch.softmax(scores + bias, -1))


def test_attend_returns_weighted_average_of_values():
    scores, v = randn(2, 2, 3, 4), randn(3, 2, 4, 5)
    out, w = tl.attend(scores, v)
    close(out, torch.softmax(scores, -1) @ v)
    close(w, torch.softmax(scores, -1))


# --- score functions ----------------------------------------------------------------------------

def loop_scores(q, k, pair):
    """Naive reference: ``pair(q_vec, k_vec) -> float`` for every (batch, query, key)."""
    lead = q.shape[:-2]
    qf, kf = q.reshape(-1, *q.shape[-2:]), k.reshape(-1, *k.shape[-2:])
    out = torch.empty(qf.shape[0], qf.shape[1], kf.shape[1])
    for b in range(qf.shape[0]):
        for i in range(qf.shape[1]):
            for j in range(kf.shape[1]):
                out[b, i, j] = pair(qf[b, i], kf[b, j])
    return out.reshape(*lead, q.shape[-2], k.shape[-2])


@given(seed=seeds, T=small, S=small, D=small)
@settings(max_examples=15)
def test_dot_and_scaled_dot_scores_match_loop(seed, T, S, D):
    q, k = randn(seed, 2, T, D), randn(seed + 1, 2, S, D)
    ref = loop_scores(q, k, lambda a, b: float((a * b).sum()))
    close(tl.dot_scores(q, k), ref)
    close(tl.scaled_dot_scores(q, k), ref / math.sqrt(D))
    close(tl.scaled_dot_scores(q, k, scale=0.25), ref * 0.25)
    close(tl.DotScore()(q, k), ref)
    close(tl.ScaledDotScore()(q, k), ref / math.sqrt(D))


@given(seed=seeds, T=small, S=small, Dq=small, Dk=small)
@settings(max_examples=15)
def test_bilinear_scores_match_loop(seed, T, S, Dq, Dk):
    q, k, W = randn(seed, 2, T, Dq), randn(seed + 1, 2, S, Dk), randn(seed + 2, Dq, Dk)
    close(tl.bilinear_scores(q, k, W), loop_scores(q, k, lambda a, b: float(a @ W @ b)), atol=1e-4)


def test_bilinear_with_identity_is_dot_and_module_starts_as_scaled_dot():
    q, k = randn(1, 2, 3, 4, 8), randn(2, 2, 3, 6, 8)
    close(tl.bilinear_scores(q, k, torch.eye(8)), tl.dot_scores(q, k))
    module = tl.BilinearScore(8)
    assert module.weight.shape == (8, 8)
    close(module(q, k), tl.scaled_dot_scores(q, k))


@given(seed=seeds, T=small, S=small, Dq=small, Dk=small, A=small)
@settings(max_examples=15)
def test_additive_scores_match_loop(seed, T, S, Dq, Dk, A):
    q, k = randn(seed, 2, T, Dq), randn(seed + 1, 2, S, Dk)
    w_q, w_k, v = randn(seed + 2, Dq, A), randn(seed + 3, Dk, A), randn(seed + 4, A)
    ref = loop_scores(q, k, lambda a, b: float(v @ torch.tanh(a @ w_q + b @ w_k)))
    close(tl.additive_scores(q, k, w_q, w_k, v), ref)


def test_score_modules_shapes_and_parameters():
    q, k = randn(1, 2, 3, 4, 5), randn(2, 2, 3, 7, 6)
    additive = tl.AdditiveScore(5, 6, d_attn=9)
    assert additive(q, k).shape == (2, 3, 4, 7)
    assert additive.w_q.shape == (5, 9) and additive.w_k.shape == (6, 9) and additive.v.shape == (9,)
    close(additive(q, k), tl.additive_scores(q, k, additive.w_q, additive.w_k, additive.v))
    assert tl.BilinearScore(5, 6)(q, k).shape == (2, 3, 4, 7)
    assert tl.AdditiveScore(4)(randn(3, 2, 4), randn(4, 5, 4)).shape == (2, 5)
    assert sum(p.numel() for p in tl.DotScore().parameters()) == 0


def test_make_score_builds_each_named_score():
    expected = {"dot": tl.DotScore, "scaled_dot": tl.ScaledDotScore, "bilinear": tl.BilinearScore, "additive": tl.AdditiveScore}
    assert set(tl.SCORE_FUNCTIONS) == set(expected)
    for name, cls in expected.items():
        assert isinstance(tl.make_score(name, 8), cls)


@pytest.mark.parametrize("score", sorted(tl.SCORE_FUNCTIONS))
def test_mha_runs_with_every_score(score):
    mha = tl.MultiHeadAttention(16, 4, score=score)
    out, w = mha(randn(1, 2, 5, 16), key_mask=tl.padding_mask([5, 3], 5))
    assert out.shape == (2, 5, 16) and w.shape == (2, 4, 5, 5)
    close(w.sum(-1), torch.ones(2, 4, 5))
    assert torch.all(w[1, ..., 3:] == 0)


# --- MultiHeadAttention against nn.MultiheadAttention --------------------------------------------

def torch_mha(d_model=16, n_heads=4, bias=True, seed=0):
    torch.manual_seed(seed)
    mha = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True).eval()
    with torch.no_grad():  # torch zero-initialises the biases: make them count
        for p in mha.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return mha


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_padding", [False, True])
@pytest.mark.parametrize("d_model,n_heads", [(16, 4), (12, 3), (8, 1)])
def test_mha_from_torch_matches_outputs_and_per_head_weights(bias, with_padding, d_model, n_heads):
    ref = torch_mha(d_model, n_heads, bias)
    ours = tl.MultiHeadAttention.from_torch(ref)
    x = randn(3, 3, 6, d_model)
    key_mask = tl.padding_mask([6, 4, 1], 6) if with_padding else None
    kpm = tl.to_torch_key_padding_mask(key_mask) if with_padding else None
    expected, expected_w = ref(x, x, x, key_padding_mask=kpm, need_weights=True, average_attn_weights=False)
    out, w = ours(x, key_mask=key_mask)
    close(out, expected)
    assert w.shape == expected_w.shape == (3, n_heads, 6, 6)
    close(w, expected_w)


def test_mha_from_torch_cross_attention_and_causal_mask():
    ref = torch_mha(16, 4)
    ours = tl.MultiHeadAttention.from_torch(ref)
    x, ctx = randn(1, 2, 4, 16), randn(2, 2, 7, 16)
    key_mask = tl.padding_mask([7, 5], 7)
    exp, exp_w = ref(x, ctx, ctx, key_padding_mask=tl.to_torch_key_padding_mask(key_mask), average_attn_weights=False)
    out, w = ours(x, context=ctx, key_mask=key_mask)
    close(out, exp)
    close(w, exp_w)
    # nn.MultiheadAttention's bool attn_mask is True = *not allowed*: the opposite of ours
    y = randn(3, 2, 5, 16)
    exp, exp_w = ref(y, y, y, attn_mask=~tl.causal_mask(5), average_attn_weights=False)
    out, w = ours(y, mask=tl.causal_mask(5))
    close(out, exp)
    close(w, exp_w)


def test_mha_key_mask_equals_broadcast_mask_and_additive_mask_combines():
    mha = tl.MultiHeadAttention(16, 4)
    x = randn(1, 2, 5, 16)
    key_mask = tl.padding_mask([5, 2], 5)
    a = mha(x, key_mask=key_mask)
    b = mha(x, mask=key_mask[:, None, None, :])
    close(a[0], b[0])
    close(a[1], b[1])
    causal = tl.causal_mask(5)
    bool_combined = mha(x, mask=causal, key_mask=key_mask)
    additive_combined = mha(x, mask=tl.to_additive(causal), key_mask=key_mask)
    close(bool_combined[0], additive_combined[0])
    close(bool_combined[1], additive_combined[1])


def test_share_qk_ties_projections_and_gives_symmetric_scores():
    tied, untied = tl.MultiHeadAttention(16, 4, share_qk=True, score="dot"), tl.MultiHeadAttention(16, 4, score="dot")
    assert tied.q_proj is tied.k_proj
    assert untied.q_proj is not untied.k_proj
    n_tied, n_untied = (sum(p.numel() for p in m.parameters()) for m in (tied, untied))
    assert n_untied - n_tied == 16 * 16 + 16  # one (D, D) projection and its bias fewer
    x = randn(1, 2, 5, 16)
    for mha, symmetric in ((tied, True), (untied, False)):
        q, k = mha.split_heads(mha.q_proj(x)), mha.split_heads(mha.k_proj(x))  # (B, H, T, Dh)
        scores = mha.score(q, k)
        assert torch.allclose(scores, scores.transpose(-2, -1), atol=1e-5) == symmetric
    out, w = tied(x)
    assert out.shape == (2, 5, 16) and w.shape == (2, 4, 5, 5)


def test_head_dim_larger_than_d_model_over_heads():
    mha = tl.MultiHeadAttention(16, 4, head_dim=16)
    assert mha.q_proj.out_features == 64 and mha.out_proj.in_features == 64
    out, w = mha(randn(1, 2, 3, 16))
    assert out.shape == (2, 3, 16) and w.shape == (2, 4, 3, 3)
    close(w.sum(-1), torch.ones(2, 4, 3))


def test_head_mask_zeros_a_head():
    torch.manual_seed(1)
    mha = tl.MultiHeadAttention(16, 4)
    x = randn(1, 2, 5, 16)
    head_mask = torch.tensor([1.0, 0.0, 1.0, 1.0])
    out, w = mha(x, head_mask=head_mask)
    _, w_full = mha(x)
    close(w, w_full)  # the pattern is still computed and returned
    # the output no longer depends on head 1's values: scramble them
    with torch.no_grad():
        mha.v_proj.weight[4:8] = torch.randn(4, 16) * 10
        mha.v_proj.bias[4:8] = torch.randn(4) * 10
    close(mha(x, head_mask=head_mask)[0], out)
    assert not torch.allclose(mha(x)[0], out, atol=1e-3)
    # all heads off: only the output bias is left
    out0, _ = mha(x, head_mask=torch.zeros(4))
    close(out0, mha.out_proj.bias.expand_as(out0))
    close(mha(x, head_mask=torch.ones(4))[0], mha(x)[0])


def test_load_torch_weights_refuses_mismatched_bias_and_extra_keys():
    ours = tl.MultiHeadAttention(16, 4, bias=True)
    with pytest.raises(ValueError, match="bias"):
        ours.load_torch_weights(nn.MultiheadAttention(16, 4, bias=False, batch_first=True))
    with pytest.raises(ValueError, match="add_bias_kv"):
        tl.MultiHeadAttention.from_torch(nn.MultiheadAttention(16, 4, add_bias_kv=True, batch_first=True))
    with pytest.raises(ValueError, match="add_zero_attn"):
        tl.MultiHeadAttention.from_torch(nn.MultiheadAttention(16, 4, add_zero_attn=True, batch_first=True))
    with pytest.raises(ValueError, match="share_qk"):
        tl.MultiHeadAttention(16, 4, share_qk=True).load_torch_weights(nn.MultiheadAttention(16, 4, batch_first=True))
    with pytest.raises(ValueError, match="embed_dim"):
        tl.MultiHeadAttention(16, 2).load_torch_weights(nn.MultiheadAttention(16, 4, batch_first=True))
    with pytest.raises(TypeError, match="mha"):
        tl.MultiHeadAttention.from_torch(nn.Linear(4, 4))


@given(seed=seeds, T=st.integers(1, 6), score=st.sampled_from(sorted(tl.SCORE_FUNCTIONS)),
       share_qk=st.booleans(), n_heads=st.sampled_from([1, 2, 4]))
@settings(max_examples=20)
def test_mha_is_permutation_equivariant(seed, T, score, share_qk, n_heads):
    """Without positions or a causal mask, attention cannot tell where a token is."""
    torch.manual_seed(seed)
    mha = tl.MultiHeadAttention(8, n_heads, share_qk=share_qk, score=score)
    x = randn(seed, 2, T, 8)
    key_mask = keep_at_least_one(random_mask(seed + 1, 2, 1, T), seed)[:, 0]  # (B, T)
    perm = torch.randperm(T, generator=torch.Generator().manual_seed(seed))
    out, w = mha(x, key_mask=key_mask)
    out_p, w_p = mha(x[:, perm], key_mask=key_mask[:, perm])
    close(out_p, out[:, perm])
    close(w_p, w[:, :, perm][..., perm])


def test_mha_fully_padded_sequence_gives_finite_output_and_gradients():
    """A sequence with no real key (nn.MultiheadAttention gives NaN there, torch 2.13): ours gives the output bias."""
    mha = tl.MultiHeadAttention(8, 2)
    x = randn(4, 2, 3, 8).requires_grad_()
    key_mask = tl.padding_mask([3, 0], 3)  # the second sequence is all padding
    out, w = mha(x, key_mask=key_mask)
    assert torch.all(w[1] == 0)
    close(out[1], mha.out_proj.bias.expand(3, 8))
    out.sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(mha.q_proj.weight.grad).all()


# --- the fused path (need_weights=False) against the written-out path ------------------------------

def test_masked_softmax_finds_rows_made_dead_by_minus_inf_in_the_scores_themselves():
    """-inf may come with the scores (a caller's own masking); a row left with no finite score is 0."""
    scores = randn(3, 2, 4, 5)
    scores[0, 1, :3] = float("-inf")  # the mask below removes the other two keys of this row
    keep = torch.ones(2, 4, 5, dtype=torch.bool)
    keep[0, 1, 3:] = False
    w = tl.masked_softmax(scores, keep)
    assert torch.all(w[0, 1] == 0) and not torch.isnan(w).any()
    close(w[1].sum(-1), torch.ones(4))
    scores[1, 2] = float("-inf")  # no mask at all: the row is dead by its scores alone
    w = tl.masked_softmax(scores)
    assert torch.all(w[1, 2] == 0) and not torch.isnan(w).any()


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_masked_softmax_refuses_nan_and_plus_inf_even_in_half_precision(bad):
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        scores = randn(4, 2, 3, 3).to(dtype)
        scores[1, 2, 0] = bad
        with pytest.raises(ValueError, match="scores contain NaN or \\+inf"):
            tl.masked_softmax(scores)


def test_masked_softmax_accepts_huge_finite_half_scores_whose_sum_overflows():
    scores = torch.full((2, 3, 4), 60000.0, dtype=torch.float16)  # the sum overflows fp16, no score does
    w = tl.masked_softmax(scores)
    assert torch.isfinite(w).all()


def test_fused_path_refuses_nan_inputs_naming_them():
    q, k, v = qkv(8)
    v[0, 0, 1, 2] = float("nan")
    with pytest.raises(ValueError, match="q, k or v contain NaN"):
        tl.scaled_dot_product_attention(q, k, v, need_weights=False)
    with pytest.raises(TypeError, match="need_weights must be a bool"):
        tl.scaled_dot_product_attention(q, k, v, need_weights=1)


def test_fused_path_checks_masks_like_the_written_out_path():
    q, k, v = qkv(9)
    with pytest.raises(ValueError, match="mask of shape \\(2, 5\\) must broadcast"):
        tl.scaled_dot_product_attention(q, k, v, mask=torch.ones(2, 5, dtype=torch.bool), need_weights=False)
    with pytest.raises(ValueError, match="float 0/1 tensor"):
        tl.scaled_dot_product_attention(q, k, v, mask=torch.ones(2, 1, 1, 5), need_weights=False)
    with pytest.raises(TypeError, match="mask must be bool"):
        tl.scaled_dot_product_attention(q, k, v, mask=torch.ones(2, 1, 1, 5, dtype=torch.int64), need_weights=False)


@pytest.mark.parametrize("positional", ["none", "rope", "alibi", "t5"])
@pytest.mark.parametrize("score", ["scaled_dot", "dot", "additive"])
def test_mha_without_weights_gives_the_same_output_and_gradients(score, positional):
    """need_weights=False runs the fused kernel for dot and scaled dot (other scores fall back to
    the written-out path): the output and every gradient agree with the weights path."""
    D, H, T = 16, 4, 6
    mha = tl.MultiHeadAttention(D, H, score=score)
    pos = None if positional == "none" else tl.make_positional(positional, d_model=D, max_len=T, n_heads=H, head_dim=D // H)
    x = randn(2, 3, T, D)
    key_mask = tl.padding_mask([T, 3, 0])  # the last sequence is all padding
    outs, grads = [], []
    for need_weights in (True, False):
        mha.zero_grad()
        xi = x.clone().requires_grad_()
        out, w = mha(xi, key_mask=key_mask, mask=tl.causal_mask(T), positional=pos, need_weights=need_weights)
        assert (w is None) == (not need_weights)
        (out * randn(5, 3, T, D)).sum().backward()
        outs.append(out)
        grads.append([xi.grad] + [p.grad.clone() for p in mha.parameters()])
    close(outs[1], outs[0])
    for a, b in zip(*grads):
        assert torch.isfinite(b).all()
        close(b, a)
    expected_fused = {"scaled_dot": 1 / math.sqrt(D // H), "dot": 1.0, "additive": None}[score]
    assert mha.fused_scale() == expected_fused


def test_model_without_cache_matches_the_cache_path_and_trains_the_same():
    cfg = tl.ModelConfig(vocab_size=11, n_out=5, d_model=16, n_heads=4, n_layers=2, max_len=7, causal=True)
    model = tl.build_model(cfg, 3)
    x = torch.randint(0, 11, (4, 7), generator=torch.Generator().manual_seed(0))
    key_mask = tl.padding_mask([7, 5, 1, 3])
    logits, _ = model(x, key_mask=key_mask, return_cache=True)
    close(model(x, key_mask=key_mask), logits)
