"""Properties that hold for every input: no NaN ever leaves, torch's NaN cases contrasted, invariants.

**The NaN-free contract.** For every floating dtype (float32, float64, float16, bfloat16), any bool
mask (including rows with no key and whole batches with no key), lengths T, S of 0, 1 or a few,
batch 0 or 1 or 2, and scores up to 6·10⁴ (×1e4), no NaN or inf leaves ``tl.masked_softmax``,
``tl.scaled_dot_product_attention`` (``need_weights=True`` and ``False``), ``tl.MultiHeadAttention``
(converted with ``.to(dtype)``), any positional scheme, or the model (with a key mask that may be
all-False). A query row with no key gives **zeros**: zero weights, a zero attention output (the
module's output is then its output bias). The same holds for a row whose every score is ``-inf``
after the mask and the bias were added: a finite fill such as ``safe_fill_value(torch.float16)``
plus a negative score rounds to ``-inf`` in float16 (``masked_softmax`` returned NaN there before
this file found it; it now returns zeros). Inputs a dtype cannot hold are refused with a
``ValueError`` that says so, never turned into NaN: a float16 ``q·k`` above 65504, or finite scores
whose sum with the bias rounds to ``+inf``. The empty sequence (T = 0 or S = 0) is valid everywhere
and gives empty (or, for S = 0, zero) outputs.

Every op used runs in all four dtypes on the CPU with torch 2.13 (softmax, matmul, LayerNorm,
``F.scaled_dot_product_attention``, embedding), so no dtype is skipped. One limit is by design: the
scheme hooks do not scan their outputs, so RoPE applied to float16 vectors whose pairs have a norm
above 65504 overflows in ``rotate_qk``; the score check of the attention call then refuses it.

Invariants
----------
Every hypothesis invariant of the suite (file::test -> invariant), 37 before this file and the new
ones below them; ``test_the_invariants_list_is_long_and_every_entry_exists`` holds the list to the
code.

- tests/test_attention.py::test_sdpa_matches_torch_property -> sdpa equals F.scaled_dot_product_attention under any mask and scale; both paths agree
- tests/test_attention.py::test_masked_softmax_rows_sum_to_one_or_zero -> weights are >= 0; a row sums to 1 over live keys, to 0 with none
- tests/test_attention.py::test_masked_keys_get_exactly_zero_weight_even_with_huge_scores -> a masked key's weight is exactly 0 however large its score
- tests/test_attention.py::test_causal_sdpa_output_at_t_ignores_later_tokens -> causal sdpa: the output at t is independent of tokens after t
- tests/test_attention.py::test_dot_and_scaled_dot_scores_match_loop -> dot and scaled-dot scores equal the per-pair loop
- tests/test_attention.py::test_bilinear_scores_match_loop -> bilinear scores equal q W k per pair
- tests/test_attention.py::test_additive_scores_match_loop -> additive scores equal v·tanh(W_q q + W_k k) per pair
- tests/test_attention.py::test_mha_is_permutation_equivariant -> MHA without positions: permuting the tokens permutes the output
- tests/test_heads.py::test_score_rank_is_min_of_head_width_and_length -> rank of a head's score matrix is min(d_k, n), never above d_k
- tests/test_masking.py::test_apply_fill_matches_masked_fill_and_to_additive -> apply_fill equals masked_fill (set) and + to_additive (add)
- tests/test_masking.py::test_plain_masked_softmax_agrees_with_ours_on_rows_that_have_a_key -> the plain one-liner equals ours on rows with a key, NaN on the others
- tests/test_masking.py::test_leaked_mass_is_zero_for_a_correct_mask_and_the_pad_weight_otherwise -> leaked mass is 0 under the mask and the pad weight without it
- tests/test_masking.py::test_model_is_padding_invariant -> a masked model without positions ignores any amount of padding, left or right
- tests/test_masking.py::test_masked_mean_is_the_mean_over_real_positions -> masked_mean is the mean over the real positions only
- tests/test_masks.py::test_padding_mask_matches_reference -> padding_mask equals the reference for any lengths and side
- tests/test_masks.py::test_causal_mask_matches_reference -> causal_mask(T, S) equals the reference (end-aligned)
- tests/test_masks.py::test_combine_masks_is_logical_and_of_references -> combine_masks is the broadcast logical AND
- tests/test_masks.py::test_to_additive_to_boolean_round_trip -> bool -> additive -> bool round-trips in every dtype, finite fill or -inf
- tests/test_masks.py::test_torch_key_padding_mask_is_the_flip -> our key mask <-> torch's key_padding_mask is a flip both ways
- tests/test_masks.py::test_fully_masked_rows_are_exactly_the_pad_queries_under_left_padding_and_causal -> the rows with no key are exactly the pad queries (left padding + causal)
- tests/test_masks.py::test_position_ids_count_real_tokens -> position_ids count 0, 1, ... over the real tokens only
- tests/test_masks.py::test_unmask_fully_masked_rows_opens_only_the_empty_rows -> unmask_fully_masked_rows changes only the rows with no key
- tests/test_model.py::test_tiny_transformer_without_positions_is_permutation_equivariant -> the model without positions is permutation-equivariant
- tests/test_model.py::test_causal_tiny_transformer_output_at_t_ignores_later_tokens -> causal model: logits at t ignore tokens after t, for every scheme
- tests/test_model.py::test_padding_tokens_do_not_change_real_positions -> with a key mask, what sits in the padding cannot reach real outputs
- tests/test_positional.py::test_sinusoidal_encoding_matches_closed_form -> the sinusoidal table equals sin/cos(pos / base^(2i/d))
- tests/test_positional.py::test_sinusoidal_shift_is_a_rotation_depending_only_on_the_offset -> PE[p + k] is PE[p] rotated by an angle of k only
- tests/test_positional_schemes.py::test_rope_scores_depend_on_the_offset_only -> RoPE scores are unchanged when both positions shift
- tests/test_positional_schemes.py::test_rope_layouts_agree_after_the_permutation -> interleaved and half RoPE agree after rope_permutation
- tests/test_qk.py::test_tied_scores_are_x_w_wt_xt_symmetric_psd_of_rank_at_most_d_k -> tied W_Q = W_K: scores symmetric PSD, rank <= d_k
- tests/test_qk.py::test_untied_scores_are_the_bilinear_form_and_not_symmetric -> untied scores are the bilinear form, not symmetric
- tests/test_qk.py::test_cauchy_schwarz_self_beats_every_key_of_smaller_norm -> tied: a token outscores every key of smaller norm (Cauchy-Schwarz)
- tests/test_qk.py::test_reformer_normalised_keys_make_every_token_its_own_top_key -> normalised shared keys: every token is its own top key
- tests/test_qk.py::test_symmetric_scores_always_have_a_mutual_top_pair -> a symmetric score matrix always has a mutual top pair
- tests/test_sinusoidal.py::test_relative_shift_identity_for_every_position -> PE(pos + k) = M_k PE(pos), M_k from k alone
- tests/test_tasks_train.py::test_pointer_task_answer_is_the_index_of_the_query -> the pointer task's answer is the index of the query
- tests/test_tasks_train.py::test_key_value_task_answer_is_the_value_of_the_queried_key -> the recall task's answer is the queried key's value
- tests/test_properties.py::test_masked_softmax_never_returns_nan_or_inf -> masked_softmax is finite in every dtype; rows with no key are zeros
- tests/test_properties.py::test_sdpa_never_returns_nan_or_inf -> sdpa (both paths) is finite or refuses an fp16 overflow; rows with no key are zeros
- tests/test_properties.py::test_mha_never_returns_nan_or_inf -> MHA with any scheme and key mask is finite, gradients too; no key gives the output bias
- tests/test_properties.py::test_positional_schemes_never_return_nan_or_inf -> every scheme's hooks are finite and keep the dtype, for T, S >= 0
- tests/test_properties.py::test_model_never_returns_nan_or_inf -> the model is finite in every dtype and scheme, with an all-False key mask too
- tests/test_properties.py::test_scaling_q_by_c_is_the_same_as_scale_c -> sdpa(c·q, scale=s) = sdpa(q, scale=c·s), both paths
- tests/test_properties.py::test_appending_masked_keys_changes_nothing -> masked extra keys, however large, change no output and get weight 0
- tests/test_properties.py::test_bool_and_additive_masks_give_identical_weights -> a bool mask and its -inf additive form give bit-identical weights
- tests/test_properties.py::test_softmax_ignores_a_constant_added_to_a_row -> adding a constant to a row of scores changes no weight
- tests/test_properties.py::test_query_mask_zeroes_exactly_the_masked_rows -> a query mask zeroes its rows and leaves the others as unmasked
- tests/test_properties.py::test_sequences_of_a_batch_do_not_interact -> MHA: each sequence's output is the same alone as in its batch
- tests/test_properties.py::test_alibi_slopes_are_the_papers_geometric_sequence -> ALiBi slopes are 2^(-8i/H) (powers of 2) or the paper's interleave
- tests/test_properties.py::test_relative_biases_depend_on_the_offset_only -> ALiBi, T5 and Shaw biases depend on j - i only (Toeplitz)
- tests/test_properties.py::test_t5_buckets_grow_with_the_distance -> T5 buckets lie in range, are exact near 0, and never shrink with distance
- tests/test_properties.py::test_shaw_bias_is_constant_beyond_the_clip -> Shaw: every offset beyond ±k shares the value at ±k
- tests/test_properties.py::test_rope_keeps_norms_and_leaves_position_zero -> RoPE preserves every vector's norm and leaves position 0 unchanged
- tests/test_properties.py::test_every_scheme_but_normalized_encodes_a_prefix_the_same_way -> hooks on a prefix equal the prefix of the hooks, except "normalized"
- tests/test_properties.py::test_an_all_true_key_mask_is_no_mask -> the model with an all-True key mask equals the model without one
- tests/test_properties.py::test_broadcast_shapes_agrees_with_torch -> our broadcast_shapes gives torch.broadcast_shapes' shape, and refuses what it refuses
"""

from __future__ import annotations

import ast
import functools
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from conftest import randn, random_mask
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import transformer_lab as tl
from transformer_lab.positional import alibi_slopes, t5_relative_bucket

DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
TOL = {torch.float32: 1e-5, torch.float64: 1e-10, torch.float16: 1e-2, torch.bfloat16: 3e-2}
SCHEMES = sorted(tl.POSITIONAL_SCHEMES)
MASKS = ("none", "random", "all False", "dead batch", "dead row")

seeds = st.integers(0, 2**31 - 1)
dtypes = st.sampled_from(DTYPES)
lengths = st.sampled_from([0, 1, 2, 3, 5])
batches = st.sampled_from([0, 1, 2])
masks = st.sampled_from(MASKS)


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-9) -> None:
    torch.testing.assert_close(a, b, atol=atol, rtol=0)


def keep_mask(kind: str, seed: int, *shape: int) -> torch.Tensor | None:
    """A keep-mask of ``shape`` (last dim: keys) of one ``kind`` of :data:`MASKS`, or None."""
    if kind == "none":
        return None
    keep = random_mask(seed, *shape, p_keep=0.5)
    if kind == "all False":
        keep[:] = False
    elif kind == "dead batch" and shape[0]:
        keep[0] = False  # the first sequence has no key at all
    elif kind == "dead row" and len(shape) > 2 and shape[-2]:
        keep[..., 0, :] = False  # query 0 has no key
    return keep


def live_keys(keep: torch.Tensor | None, shape) -> torch.Tensor:
    return torch.ones(shape, dtype=torch.bool) if keep is None else keep.expand(shape)


def seeded(seed: int, build):
    """``build()`` with the global RNG seeded (and left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def finite(*tensors) -> bool:
    return all(t is None or bool(torch.isfinite(t).all()) for t in tensors)


# --- (a) no NaN or inf ever leaves ---------------------------------------------------------------

@given(seed=seeds, B=batches, T=lengths, S=lengths, magnitude=st.sampled_from([1.0, 1e4]), kind=masks,
       neginf=st.booleans())
def test_masked_softmax_never_returns_nan_or_inf(seed, B, T, S, magnitude, kind, neginf):
    """In every dtype, any mask, as bool, as an additive -inf mask or with the dtype's minimum as a
    finite fill, and -inf in the scores themselves (a caller's own masking): finite weights, and the
    rows with no key are 0. A finite fill is a very negative score, not a mask: such a row sums to 1,
    or to 0 when the fill plus the score rounds to -inf (float16: any score below about -16)."""
    for dtype in DTYPES:
        scores = (randn(seed, B, T, S).clamp(-6, 6) * magnitude).to(dtype)  # |score| <= 6e4 < float16's 65504
        if neginf and S:
            scores[..., 0] = float("-inf")
        keep = keep_mask(kind, seed + 1, B, T, S)
        for form in ("bool", "-inf", "dtype min"):
            if keep is None or form == "bool":
                mask = keep
            else:
                mask = tl.to_additive(keep, dtype, fill=None if form == "-inf" else tl.safe_fill_value(dtype))
            w = tl.masked_softmax(scores, mask)
            assert w.shape == scores.shape and w.dtype == dtype
            assert finite(w), (dtype, form)
            sums = w.double().sum(-1)  # (B, T)
            tol = TOL[dtype] * max(S, 1)
            if form == "dtype min" and keep is not None:
                assert ((sums - 1).abs() <= tol).logical_or(sums == 0).all()
                continue
            live = live_keys(keep, scores.shape) & ~torch.isneginf(scores)  # (B, T, S)
            assert torch.all(w[~live] == 0)
            assert torch.all((sums[live.any(-1)] - 1).abs() <= tol)


@given(seed=seeds, B=batches, T=lengths, S=lengths, Dh=st.sampled_from([1, 4]),
       magnitude=st.sampled_from([1.0, 100.0]), kind=masks, with_bias=st.booleans())
def test_sdpa_never_returns_nan_or_inf(seed, B, T, S, Dh, magnitude, kind, with_bias):
    """Both paths, every dtype: a finite output (and weights), zeros for a query with no key; the only
    refusal is a float16 ``q·k`` (or its sum with the bias) beyond 65504, a ValueError that says so."""
    keep = keep_mask(kind, seed + 3, B, T, S)
    has_key = live_keys(keep, (B, T, S)).any(-1)  # (B, T)
    for dtype in DTYPES:
        q = (randn(seed, B, T, Dh).clamp(-3, 3) * magnitude).to(dtype)
        k = (randn(seed + 1, B, S, Dh).clamp(-3, 3) * magnitude).to(dtype)
        v = randn(seed + 2, B, S, 3).to(dtype)
        bias = randn(seed + 4, T, S).clamp(-3, 3).to(dtype) if with_bias else None
        for need_weights in (True, False):
            try:
                out, w = tl.scaled_dot_product_attention(q, k, v, mask=keep, bias=bias, need_weights=need_weights)
            except ValueError as e:
                assert dtype == torch.float16 and "overflow" in str(e), str(e)
                assert (q.double().abs() @ k.double().abs().mT).max() > 5e4  # it did come close to 65504
                continue
            assert out.shape == (B, T, 3) and out.dtype == dtype and (w is None) == (not need_weights)
            assert finite(out, w), (dtype, need_weights)
            assert torch.all(out[~has_key] == 0)
            assert w is None or torch.all(w[~has_key] == 0)


@given(seed=seeds, B=batches, T=lengths, S=lengths, kind=masks, positional=st.sampled_from(SCHEMES),
       score=st.sampled_from(sorted(tl.SCORE_FUNCTIONS)), causal=st.booleans(), magnitude=st.sampled_from([1.0, 30.0]))
def test_mha_never_returns_nan_or_inf(seed, B, T, S, kind, positional, score, causal, magnitude):
    """Every dtype, both paths. Self-attention with any scheme (cross-attention, T != S, without one),
    any key mask: finite output and (float32/64) finite gradients; a sequence with no key gets zero
    weights and the output projection's bias."""
    if positional != "none":
        S = T  # the schemes' positions are those of self-attention
    key_mask = keep_mask(kind, seed + 3, B, S)  # (B, S)
    mask = tl.causal_mask(T) if causal and T and S == T else None
    for dtype in DTYPES:
        mha = seeded(seed, lambda: tl.MultiHeadAttention(8, 2, score=score)).to(dtype)
        pos = None
        if positional != "none":
            pos = seeded(seed, lambda: tl.make_positional(positional, d_model=8, max_len=max(T, 1), n_heads=2,
                                                          head_dim=4)).to(dtype)
        for need_weights in (True, False):
            x0 = (randn(seed + 1, B, T, 8) * magnitude).to(dtype)
            if dtype in (torch.float32, torch.float64):
                x0.requires_grad_()
            x = x0 if pos is None else pos.add_to_input(x0)
            context = None if S == T else (randn(seed + 2, B, S, 8) * magnitude).to(dtype)
            mha.zero_grad()
            out, w = mha(x, context, mask=mask, key_mask=key_mask, positional=pos, need_weights=need_weights)
            assert out.shape == (B, T, 8) and out.dtype == dtype and finite(out, w), (dtype, need_weights)
            for b in range(B if key_mask is not None else 0):
                if not key_mask[b].any():  # no key at all: zero weights, zero attention, the output bias
                    assert w is None or torch.all(w[b] == 0)
                    assert torch.equal(out[b], mha.out_proj.bias.expand(T, 8))
            if x0.requires_grad and out.numel():
                (out * randn(seed + 4, B, T, 8).to(dtype)).sum().backward()
                assert finite(x0.grad, *(p.grad for p in mha.parameters()))


@given(seed=seeds, name=st.sampled_from(SCHEMES), B=batches, T=lengths, S=lengths, magnitude=st.sampled_from([1.0, 1e3]))
def test_positional_schemes_never_return_nan_or_inf(seed, name, B, T, S, magnitude):
    """Every hook of every scheme, converted with ``.to(dtype)`` for each dtype, is finite, keeps the
    dtype and the shape, and accepts the empty sequence."""
    for dtype in DTYPES:
        scheme = seeded(seed, lambda: tl.make_positional(name, d_model=8, max_len=8, n_heads=2, head_dim=4)).to(dtype)
        x = (randn(seed, B, T, 8).clamp(-6, 6) * magnitude).to(dtype)
        y = scheme.add_to_input(x)
        assert y.shape == x.shape and y.dtype == dtype and finite(y)
        q = (randn(seed + 1, B, 2, T, 4).clamp(-6, 6) * magnitude).to(dtype)
        k = (randn(seed + 2, B, 2, S, 4).clamp(-6, 6) * magnitude).to(dtype)
        q2, k2 = scheme.rotate_qk(q, k)
        assert q2.shape == q.shape and k2.shape == k.shape and q2.dtype == k2.dtype == dtype and finite(q2, k2)
        bias = scheme.score_bias(T, S)
        assert bias is None or (bias.shape == (2, T, S) and bias.dtype == dtype and finite(bias))


@given(seed=seeds, positional=st.sampled_from(SCHEMES), B=batches, T=st.sampled_from([0, 1, 2, 5]),
       kind=st.sampled_from(["none", "random", "all False", "dead batch"]), causal=st.booleans(),
       mask_self=st.booleans(), norm=st.sampled_from(["pre", "post", "none"]))
def test_model_never_returns_nan_or_inf(seed, positional, B, T, kind, causal, mask_self, norm):
    """Every scheme, every dtype, with and without the cache (the weights path and the fused one), a
    key mask that may hide everything: finite logits, cache and (float32/64) gradients; a sequence
    with no real token gets zero attention weights."""
    cfg = tl.ModelConfig(vocab_size=10, d_model=8, n_heads=2, n_layers=2, d_ff=8, max_len=5, positional=positional,
                         causal=causal, mask_self=mask_self, norm=norm)
    tokens = torch.randint(0, 10, (B, T), generator=torch.Generator().manual_seed(seed))
    key_mask = keep_mask(kind, seed + 1, B, T)
    for dtype in DTYPES:
        model = tl.build_model(cfg, seed=seed % 1000).to(dtype)
        for return_cache in (False, True):
            model.zero_grad()
            out = model(tokens, key_mask=key_mask, return_cache=return_cache)
            logits, cache = out if return_cache else (out, {})
            assert logits.shape == (B, T, 10) and logits.dtype == dtype
            assert finite(logits, *cache.values()), (dtype, return_cache)
            for b in range(B if return_cache and key_mask is not None else 0):
                if not key_mask[b].any():
                    assert torch.all(cache["blocks.0.attn.weights"][b] == 0)
            if dtype in (torch.float32, torch.float64) and logits.numel():
                logits.sum().backward()
                assert finite(*(p.grad for p in model.parameters() if p.grad is not None))


def test_overflow_to_plus_inf_after_the_bias_is_refused_not_nan():
    """Finite scores and a finite bias whose sum is above float16's maximum: a ValueError, not NaN."""
    scores = torch.tensor([[65000.0, 0.0]], dtype=torch.float16)
    with pytest.raises(ValueError, match=r"scores plus the bias or the additive mask overflow torch\.float16"):
        tl.masked_softmax(scores, bias=torch.tensor([1000.0, 0.0], dtype=torch.float16))


# --- (b) where torch gives NaN (verified in torch 2.13) and we do not --------------------------------

def test_torch_softmax_of_an_all_minus_inf_row_is_nan_ours_is_zeros():
    """``torch.softmax`` of a row whose every score is -inf is NaN (0/0) in every dtype; ours is 0."""
    for dtype in DTYPES:
        scores = torch.tensor([[0.0, 1.0, 2.0], [float("-inf")] * 3], dtype=dtype)
        assert torch.isnan(torch.softmax(scores, -1)[1]).all()
        w = tl.masked_softmax(scores)
        assert torch.all(w[1] == 0)
        torch.testing.assert_close(w[0], torch.softmax(scores[0], -1))


def test_torch_multihead_attention_fully_padded_gives_nan_with_weights_ours_gives_zeros():
    """``nn.MultiheadAttention`` with a fully padded ``key_padding_mask``: in torch 2.13 the output and
    the weights of that sequence are NaN with ``need_weights=True``, in training and eval mode. With
    ``need_weights=False`` torch 2.13 no longer gives NaN there (its fused kernel returns zeros), so
    there is no difference on that path. Ours, with the same weights: zero weights on both paths, the
    output bias, and torch's output on the real sequence."""
    mha = seeded(0, lambda: nn.MultiheadAttention(8, 2, batch_first=True))
    ours = tl.MultiHeadAttention.from_torch(mha)
    x = randn(1, 2, 3, 8)
    key_mask = tl.padding_mask([3, 0], 3)  # (B, S): the second sequence is all padding
    for training in (True, False):
        mha.train(training)
        out, w = mha(x, x, x, key_padding_mask=tl.to_torch_key_padding_mask(key_mask), need_weights=True)
        assert torch.isnan(out[1]).all() and torch.isnan(w[1]).all()
        assert finite(out[0], w[0])
        fused, _ = mha(x, x, x, key_padding_mask=tl.to_torch_key_padding_mask(key_mask), need_weights=False)
        assert finite(fused)
    mha.eval()
    expected, _ = mha(x, x, x, key_padding_mask=tl.to_torch_key_padding_mask(key_mask), need_weights=True)
    for need_weights in (True, False):
        out, w = ours(x, key_mask=key_mask, need_weights=need_weights)
        assert finite(out, w)
        close(out[0], expected[0], atol=1e-6)
        torch.testing.assert_close(out[1], ours.out_proj.bias.expand(3, 8), atol=0, rtol=0)
        assert w is None or torch.all(w[1] == 0)


def test_torch_sdpa_fully_masked_rows_are_zeros_like_ours():
    """No difference here: since torch 2.5 ``F.scaled_dot_product_attention`` gives zeros (not NaN) for
    a row with no key, with a bool or an additive -inf mask, and so does ours on both paths."""
    q, k, v = randn(0, 1, 3, 4), randn(1, 1, 3, 4), randn(2, 1, 3, 4)
    keep = torch.tensor([[True, False, False], [False, False, False], [True, True, True]])
    for mask in (keep, tl.to_additive(keep)):
        theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        assert torch.all(theirs[:, 1] == 0) and finite(theirs)
        for need_weights in (True, False):
            out, _ = tl.scaled_dot_product_attention(q, k, v, mask=mask, need_weights=need_weights)
            close(out, theirs, atol=1e-6)


def test_float16_minimum_fill_plus_a_negative_score_is_nan_in_torch_and_zeros_in_ours():
    """The float16 trap: ``finfo.min`` (-65504) added to a score below about -16 rounds to -inf, so a
    row whose keys are all masked by that finite fill is all -inf and ``torch.softmax`` returns NaN.
    ``tl.masked_softmax`` returns zeros for it (the fix this file found). Torch's fused
    ``F.scaled_dot_product_attention`` does not overflow there (it returns a finite, uniform row),
    so on such a row our ``need_weights=False`` path gives torch's finite values and the weights path
    gives zeros: both finite, not equal."""
    h = torch.float16
    scores = torch.full((2, 3), -100.0, dtype=h)
    keep = torch.tensor([[False, False, False], [True, True, False]])
    additive = tl.to_additive(keep, h, fill=tl.safe_fill_value(h))
    assert torch.isnan(torch.softmax(scores + additive, -1)[0]).all()
    w = tl.masked_softmax(scores, additive)
    assert torch.all(w[0] == 0) and finite(w)
    torch.testing.assert_close(w[1], torch.tensor([0.5, 0.5, 0.0], dtype=h))
    q, k, v = torch.full((2, 4), -5.0, dtype=h), torch.full((3, 4), 10.0, dtype=h), torch.ones(3, 2, dtype=h)
    slow, _ = tl.scaled_dot_product_attention(q, k, v, mask=additive, need_weights=True)
    fast, _ = tl.scaled_dot_product_attention(q, k, v, mask=additive, need_weights=False)
    assert torch.all(slow[0] == 0) and finite(fast) and torch.all(fast[0] == 1)


# --- (c) invariants -----------------------------------------------------------------------------------

def qkv64(seed: int, B=2, T=3, S=4, Dh=4, Dv=3):
    return (randn(seed, B, T, Dh, dtype=torch.float64), randn(seed + 1, B, S, Dh, dtype=torch.float64),
            randn(seed + 2, B, S, Dv, dtype=torch.float64))


@given(seed=seeds, c=st.floats(0.1, 10.0), scale=st.floats(0.1, 2.0), need_weights=st.booleans())
def test_scaling_q_by_c_is_the_same_as_scale_c(seed, c, scale, need_weights):
    q, k, v = qkv64(seed)
    keep = keep_mask("dead row", seed + 3, 2, 3, 4)
    a, wa = tl.scaled_dot_product_attention(q * c, k, v, mask=keep, scale=scale, need_weights=need_weights)
    b, wb = tl.scaled_dot_product_attention(q, k, v, mask=keep, scale=c * scale, need_weights=need_weights)
    close(a, b)
    if need_weights:
        close(wa, wb)


@given(seed=seeds, T=st.integers(1, 4), S=st.integers(0, 4), extra=st.integers(1, 3),
       big=st.sampled_from([1.0, 1e3]), need_weights=st.booleans())
def test_appending_masked_keys_changes_nothing(seed, T, S, extra, big, need_weights):
    """Masked keys appended to the keys (padding), whatever their keys and values: the output and the
    weights of the real keys are unchanged, the appended keys get weight exactly 0."""
    q, k, v = qkv64(seed, T=T, S=S)
    k_pad, v_pad = randn(seed + 3, 2, extra, 4, dtype=torch.float64) * big, randn(seed + 4, 2, extra, 3, dtype=torch.float64) * big
    keep = random_mask(seed + 5, 2, T, S)
    keep_all = torch.cat([keep, torch.zeros(2, T, extra, dtype=torch.bool)], -1)  # (B, T, S + extra)
    out, w = tl.scaled_dot_product_attention(q, k, v, mask=keep, need_weights=need_weights)
    out2, w2 = tl.scaled_dot_product_attention(q, torch.cat([k, k_pad], 1), torch.cat([v, v_pad], 1), mask=keep_all,
                                               need_weights=need_weights)
    close(out2, out)
    if need_weights:
        close(w2[..., :S], w)
        assert torch.all(w2[..., S:] == 0)


@given(seed=seeds, shape=st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)),
       p_keep=st.sampled_from([0.0, 0.3, 0.7, 1.0]), dtype=dtypes)
def test_bool_and_additive_masks_give_identical_weights(seed, shape, p_keep, dtype):
    scores = randn(seed, *shape).to(dtype)
    keep = random_mask(seed + 1, *shape, p_keep=p_keep)
    assert torch.equal(tl.masked_softmax(scores, keep), tl.masked_softmax(scores, tl.to_additive(keep, dtype)))


@given(seed=seeds, shape=st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)),
       shift=st.floats(-1e3, 1e3), p_keep=st.sampled_from([0.0, 0.5, 1.0]))
def test_softmax_ignores_a_constant_added_to_a_row(seed, shape, shift, p_keep):
    scores = randn(seed, *shape, dtype=torch.float64)
    c = randn(seed + 1, *shape[:-1], 1, dtype=torch.float64) * shift  # one constant per row
    keep = random_mask(seed + 2, *shape, p_keep=p_keep)
    close(tl.masked_softmax(scores + c, keep), tl.masked_softmax(scores, keep), atol=1e-10)


@given(seed=seeds, B=st.integers(1, 3), T=st.integers(1, 5), S=st.integers(1, 5))
def test_query_mask_zeroes_exactly_the_masked_rows(seed, B, T, S):
    scores = randn(seed, B, 1, T, S)
    query_keep = random_mask(seed + 1, B, T)  # (B, T)
    w = tl.masked_softmax(scores, tl.query_mask_to_attention_mask(query_keep))  # (B, 1, T, S)
    rows = query_keep[:, None, :].expand(B, 1, T)
    assert torch.all(w[~rows] == 0)
    assert torch.equal(w[rows], tl.masked_softmax(scores)[rows])


@given(seed=seeds, B=st.integers(2, 4), T=st.integers(1, 5), positional=st.sampled_from(SCHEMES),
       need_weights=st.booleans())
def test_sequences_of_a_batch_do_not_interact(seed, B, T, positional, need_weights):
    """Attention mixes tokens within a sequence only: each sequence alone gives its batched output."""
    mha = seeded(seed, lambda: tl.MultiHeadAttention(8, 2)).double()
    pos = seeded(seed, lambda: tl.make_positional(positional, d_model=8, max_len=T, n_heads=2, head_dim=4)).double()
    x = pos.add_to_input(randn(seed, B, T, 8, dtype=torch.float64))
    key_mask = random_mask(seed + 1, B, T)
    out, _ = mha(x, key_mask=key_mask, positional=pos, need_weights=need_weights)
    for b in range(B):
        alone, _ = mha(x[b:b + 1], key_mask=key_mask[b:b + 1], positional=pos, need_weights=need_weights)
        close(alone[0], out[b])


@given(H=st.integers(1, 64))
def test_alibi_slopes_are_the_papers_geometric_sequence(H):
    """Powers of two: ``m_i = 2^(-8i/H)``, i = 1 … H. Otherwise (Press et al.'s code): the slopes of the
    power of two p below H, then the odd-indexed slopes of 2p heads, ``2^(-4(2j+1)/p)``."""
    p = 2 ** math.floor(math.log2(H))
    expected = [2.0 ** (-8 * i / p) for i in range(1, p + 1)] + [2.0 ** (-4 * (2 * j + 1) / p) for j in range(H - p)]
    slopes = alibi_slopes(H)
    close(slopes, torch.tensor(expected, dtype=torch.float64), atol=1e-15)
    assert torch.all((slopes > 0) & (slopes < 1)) and len(set(slopes.tolist())) == H
    close(tl.AlibiPositional(H).slopes.double(), slopes, atol=1e-7)


@given(seed=seeds, name=st.sampled_from(["alibi", "t5", "shaw"]), T=st.integers(1, 12), S=st.integers(1, 12),
       shift=st.integers(0, 40))
def test_relative_biases_depend_on_the_offset_only(seed, name, T, S, shift):
    """``bias[h, i, j]`` is a function of ``j - i``: equal along every diagonal, and unchanged when both
    positions move by ``shift``."""
    scheme = seeded(seed, lambda: tl.make_positional(name, d_model=8, max_len=8, n_heads=2, head_dim=4))
    with torch.no_grad():
        if name != "alibi":  # a learned table: any values
            scheme.bias.copy_(randn(seed, *scheme.bias.shape))
        bias = scheme.score_bias(T, S)  # (H, T, S)
        moved = scheme.score_bias(T + shift, S + shift)[:, shift:, shift:]
    assert torch.equal(moved, bias)
    assert torch.equal(bias[:, 1:, 1:], bias[:, :-1, :-1])


@given(num_buckets=st.integers(2, 32).map(lambda n: 2 * n), bidirectional=st.booleans(), data=st.data())
def test_t5_buckets_grow_with_the_distance(num_buckets, bidirectional, data):
    n = num_buckets // 2 if bidirectional else num_buckets
    max_distance = data.draw(st.integers(n // 2 + 1, 300))
    r = torch.arange(0, 400)  # distances
    past = t5_relative_bucket(-r, bidirectional, num_buckets, max_distance)  # keys before the query
    future = t5_relative_bucket(r, bidirectional, num_buckets, max_distance)  # keys after it
    assert torch.all(past[1:] >= past[:-1]) and torch.all(past >= 0) and torch.all(past < n)
    assert torch.equal(past[: n // 2], r[: n // 2])  # exact buckets for small distances
    if bidirectional:
        assert torch.all(future[1:] >= future[:-1]) and torch.all(future[1:] >= n) and torch.all(future < 2 * n)
        assert future[0] == 0
    else:
        assert torch.all(future == 0)  # a decoder: every later key shares bucket 0


@given(seed=seeds, k=st.integers(0, 4), T=st.integers(1, 10), S=st.integers(1, 10))
def test_shaw_bias_is_constant_beyond_the_clip(seed, k, T, S):
    scheme = seeded(seed, lambda: tl.ShawRelativePositional(3, max_distance=k))
    bias = scheme.score_bias(T, S)  # (H, T, S)
    offset = torch.arange(S)[None, :] - torch.arange(T)[:, None]  # (T, S): j - i
    table = scheme.bias.detach()  # (H, 2k+1)
    assert torch.equal(bias[:, offset >= k], table[:, 2 * k, None].expand(-1, int((offset >= k).sum())))
    assert torch.equal(bias[:, offset <= -k], table[:, 0, None].expand(-1, int((offset <= -k).sum())))


@given(seed=seeds, half=st.integers(1, 8), T=st.integers(1, 9), base=st.sampled_from([10.0, 1e4, 1e6]),
       layout=st.sampled_from(["interleaved", "half"]))
def test_rope_keeps_norms_and_leaves_position_zero(seed, half, T, base, layout):
    scheme = tl.RotaryPositional(2 * half, base=base, layout=layout)
    q, k = randn(seed, 2, 3, T, 2 * half, dtype=torch.float64), randn(seed + 1, 2, 3, T, 2 * half, dtype=torch.float64)
    q2, k2 = scheme.rotate_qk(q, k)
    close(q2.norm(dim=-1), q.norm(dim=-1), atol=1e-12)
    close(k2.norm(dim=-1), k.norm(dim=-1), atol=1e-12)
    assert torch.equal(q2[..., 0, :], q[..., 0, :]) and torch.equal(k2[..., 0, :], k[..., 0, :])


@given(seed=seeds, name=st.sampled_from(SCHEMES), T=st.integers(2, 8), t=st.integers(1, 7))
def test_every_scheme_but_normalized_encodes_a_prefix_the_same_way(seed, name, T, t):
    """Every hook applied to the first t positions equals its result on all T positions, cut to t:
    a position's code does not depend on how long the sequence is. Except the note's "normalized"
    code ``t / (T - 1)``, which rescales with the length by design."""
    t = min(t, T - 1)
    scheme = seeded(seed, lambda: tl.make_positional(name, d_model=8, max_len=8, n_heads=2, head_dim=4)).double()
    x = randn(seed, 2, T, 8, dtype=torch.float64)
    q, k = randn(seed + 1, 2, 2, T, 4, dtype=torch.float64), randn(seed + 2, 2, 2, T, 4, dtype=torch.float64)
    full, part = scheme.add_to_input(x)[:, :t], scheme.add_to_input(x[:, :t])
    if name == "normalized" and t >= 2:
        assert not torch.allclose(full, part)
        return
    close(part, full, atol=1e-12)
    (qf, kf), (qp, kp) = scheme.rotate_qk(q, k), scheme.rotate_qk(q[..., :t, :], k[..., :t, :])
    close(qp, qf[..., :t, :], atol=1e-12)
    close(kp, kf[..., :t, :], atol=1e-12)
    bias_full, bias_part = scheme.score_bias(T, T), scheme.score_bias(t, t)
    assert (bias_full is None) == (bias_part is None)
    if bias_full is not None:
        assert torch.equal(bias_part, bias_full[:, :t, :t])


@given(seed=seeds, positional=st.sampled_from(SCHEMES), causal=st.booleans(), return_cache=st.booleans())
def test_an_all_true_key_mask_is_no_mask(seed, positional, causal, return_cache):
    cfg = tl.ModelConfig(vocab_size=10, d_model=8, n_heads=2, max_len=5, positional=positional, causal=causal)
    model = tl.build_model(cfg, seed=seed % 1000)
    tokens = torch.randint(0, 10, (2, 5), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        a = model(tokens, return_cache=return_cache)
        b = model(tokens, key_mask=torch.ones(2, 5, dtype=torch.bool), return_cache=return_cache)
    close(b[0] if return_cache else b, a[0] if return_cache else a, atol=1e-6)


# --- the list of invariants above is the code's -----------------------------------------------------

ENTRY = re.compile(r"^- (tests/\w+\.py)::(\w+) -> (\S.*)$")


@functools.lru_cache(maxsize=None)
def _given_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any("given" in ast.unparse(d) for d in node.decorator_list)}


def test_the_invariants_list_is_long_and_every_entry_exists():
    """At least 20 distinct invariants; each entry names a hypothesis test that exists in its file; every
    hypothesis test of this file is listed."""
    section = __doc__.split("Invariants\n----------\n", 1)[1]
    entries = [ENTRY.match(line) for line in section.splitlines() if line.startswith("- ")]
    assert all(entries), [line for line in section.splitlines() if line.startswith("- ") and not ENTRY.match(line)]
    pairs = [(m[1], m[2]) for m in entries]
    assert len(pairs) >= 20 and len(set(pairs)) == len(pairs), "entries must be distinct"
    assert len({m[3] for m in entries}) == len(entries), "each entry states its own invariant"
    root = Path(__file__).resolve().parents[1]
    missing = [f"{f}::{name}" for f, name in pairs if not (root / f).is_file() or name not in _given_tests(root / f)]
    assert not missing, f"listed but not a hypothesis test in that file: {missing}"
    here = f"tests/{Path(__file__).name}"
    unlisted = _given_tests(Path(__file__)) - {name for f, name in pairs if f == here}
    assert not unlisted, f"hypothesis tests of this file missing from the list: {sorted(unlisted)}"


# --- broadcast_shapes: torch's answer, without torch's first-call import of sympy ----------------------

_shape = st.lists(st.integers(0, 3), max_size=4).map(tuple)


@settings(max_examples=200, deadline=None)
@given(_shape, _shape)
def test_broadcast_shapes_agrees_with_torch(a, b):
    from transformer_lab._checks import broadcast_shapes

    try:
        expected = torch.broadcast_shapes(a, b)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="do not broadcast"):
            broadcast_shapes(a, b)
    else:
        assert broadcast_shapes(a, b) == expected
