"""Masks against simple reference constructions, and the bool <-> additive round trip."""

from __future__ import annotations

import pytest
import torch
from conftest import random_mask
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl

seeds = st.integers(0, 2**31 - 1)
lengths_lists = st.lists(st.integers(0, 8), min_size=1, max_size=5)
float_dtypes = st.sampled_from([torch.float16, torch.bfloat16, torch.float32, torch.float64])


def ref_padding_mask(lengths, max_len, side):
    rows = []
    for n in lengths:
        if side == "right":
            rows.append([j < n for j in range(max_len)])
        else:
            rows.append([j >= max_len - n for j in range(max_len)])
    return torch.tensor(rows, dtype=torch.bool).reshape(len(lengths), max_len)


def ref_causal_mask(T, S):
    return torch.tensor([[j <= i + (S - T) for j in range(S)] for i in range(T)], dtype=torch.bool)


@given(lengths=lengths_lists, extra=st.integers(0, 3), side=st.sampled_from(["right", "left"]),
       as_tensor=st.booleans())
def test_padding_mask_matches_reference(lengths, extra, side, as_tensor):
    max_len = max(lengths) + extra
    arg = torch.tensor(lengths) if as_tensor else lengths
    mask = tl.padding_mask(arg, max_len, side=side)
    assert mask.dtype == torch.bool and mask.shape == (len(lengths), max_len)
    assert torch.equal(mask, ref_padding_mask(lengths, max_len, side))
    assert mask.sum(-1).tolist() == lengths


def test_padding_mask_defaults_and_examples():
    assert tl.padding_mask(torch.tensor([3, 1]), 4).int().tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]
    assert tl.padding_mask([3, 1], 4, side="left").int().tolist() == [[0, 1, 1, 1], [0, 0, 0, 1]]
    assert tl.padding_mask([2, 3]).shape == (2, 3)  # max_len defaults to the longest
    assert tl.padding_mask(torch.tensor([2], dtype=torch.int32), 3).tolist() == [[True, True, False]]
    assert tl.padding_mask([0, 0], 2).sum() == 0
    assert tl.padding_mask([]).shape == (0, 0)


@given(T=st.integers(1, 9), extra=st.integers(0, 4))
def test_causal_mask_matches_reference(T, extra):
    S = T + extra
    mask = tl.causal_mask(T, S)
    assert mask.dtype == torch.bool and mask.shape == (T, S)
    assert torch.equal(mask, ref_causal_mask(T, S))
    assert torch.equal(tl.causal_mask(T), torch.ones(T, T).tril().bool())
    assert mask[-1].all()  # the last query sees every key


@given(seed=seeds, T=st.integers(1, 6), lengths=lengths_lists)
def test_combine_masks_is_logical_and_of_references(seed, T, lengths):
    S = max(max(lengths), T)
    B = len(lengths)
    causal = tl.causal_mask(T, S)  # (T, S)
    pad = tl.padding_mask(lengths, S)[:, None, None, :]  # (B, 1, 1, S)
    other = random_mask(seed, B, 1, T, S)  # (B, 1, T, S)
    combined = tl.combine_masks(causal, None, pad, other)
    expected = torch.empty(B, 1, T, S, dtype=torch.bool)
    for b in range(B):
        for i in range(T):
            for j in range(S):
                expected[b, 0, i, j] = bool(j <= i + S - T and j < lengths[b] and other[b, 0, i, j])
    assert torch.equal(combined, expected)


def test_combine_masks_with_nones():
    m = tl.causal_mask(3)
    assert tl.combine_masks() is None
    assert tl.combine_masks(None, None) is None
    assert torch.equal(tl.combine_masks(None, m), m)
    assert tl.combine_masks(tl.causal_mask(3), tl.padding_mask([2], 3)[:, None, :]).int().tolist() == [
        [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    ]


def test_key_and_query_mask_reshapes():
    key_mask = tl.padding_mask([3, 1], 4)  # (B, S)
    km = tl.key_mask_to_attention_mask(key_mask)
    assert km.shape == (2, 1, 1, 4)
    assert torch.equal(km.expand(2, 3, 5, 4)[:, 2, 4], key_mask)
    qm = tl.query_mask_to_attention_mask(key_mask)
    assert qm.shape == (2, 1, 4, 1)
    assert torch.equal(qm[:, 0, :, 0], key_mask)


def test_query_mask_rows_become_zero_rows():
    scores = torch.randn(2, 1, 4, 4)
    w = tl.masked_softmax(scores, tl.query_mask_to_attention_mask(tl.padding_mask([2, 4], 4)))
    assert torch.all(w[0, 0, 2:] == 0)
    torch.testing.assert_close(w[1].sum(-1), torch.ones(1, 4), atol=1e-6, rtol=0)


@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), dtype=float_dtypes,
       finite=st.booleans())
def test_to_additive_to_boolean_round_trip(seed, shape, dtype, finite):
    mask = random_mask(seed, *shape)
    fill = tl.safe_fill_value(dtype) if finite else None
    additive = tl.to_additive(mask, dtype=dtype, fill=fill)
    assert additive.dtype == dtype and additive.shape == mask.shape
    assert torch.all(additive[mask] == 0)
    expected_fill = torch.finfo(dtype).min if finite else float("-inf")
    assert torch.all(additive[~mask] == expected_fill)
    assert torch.isfinite(additive).all() == finite or mask.all()
    assert torch.equal(tl.to_boolean(additive), mask)
    # and the other way: an additive mask of 0 / -inf survives the trip through bool
    assert torch.equal(tl.to_additive(tl.to_boolean(additive), dtype=dtype, fill=fill), additive)


def test_to_boolean_keeps_only_zeros():
    additive = torch.tensor([0.0, -1.0, float("-inf"), -0.0])
    assert tl.to_boolean(additive).tolist() == [True, False, False, True]


def test_safe_fill_value_does_not_overflow():
    assert tl.safe_fill_value(torch.float16) == -65504.0
    assert tl.safe_fill_value(torch.float32) == torch.finfo(torch.float32).min
    additive = tl.to_additive(torch.tensor([True, False]), torch.float16, fill=tl.safe_fill_value(torch.float16))
    assert torch.isfinite(additive).all()
    # a fully masked fp16 row with the safe fill still gives a finite softmax
    w = torch.softmax(torch.zeros(2, dtype=torch.float16) + additive, -1)
    assert torch.isfinite(w).all()


@given(seed=seeds, B=st.integers(1, 4), S=st.integers(1, 6))
def test_torch_key_padding_mask_is_the_flip(seed, B, S):
    keep = random_mask(seed, B, S)
    kpm = tl.to_torch_key_padding_mask(keep)
    assert torch.equal(kpm, ~keep)
    assert torch.equal(tl.from_torch_key_padding_mask(kpm), keep)


@pytest.mark.parametrize("T", [1, 4])
def test_masks_follow_device_argument(T):
    assert tl.causal_mask(T, device="cpu").device.type == "cpu"


# --- notebook 04: rows with no key, position ids, the fix for empty rows ----------------------------

@given(lengths=lengths_lists, extra=st.integers(0, 3), causal=st.booleans())
def test_fully_masked_rows_are_exactly_the_pad_queries_under_left_padding_and_causal(lengths, extra, causal):
    S = max(max(lengths) + extra, 1)
    left = tl.padding_mask(lengths, S, side="left")[:, None, :]  # (B, 1, S)
    right = tl.padding_mask(lengths, S)[:, None, :]
    mask = tl.combine_masks(tl.causal_mask(S) if causal else None, left)
    dead = tl.fully_masked_rows(mask.expand(len(lengths), S, S))  # (B, T)
    for b, n in enumerate(lengths):
        if n == 0:
            assert dead[b].all()
        elif causal:
            assert dead[b].tolist() == [j < S - n for j in range(S)]  # the pad queries, which come first
        else:
            assert not dead[b].any()
    right_mask = tl.combine_masks(tl.causal_mask(S), right).expand(len(lengths), S, S)
    assert torch.equal(tl.fully_masked_rows(right_mask), torch.tensor(lengths)[:, None].expand(-1, S) == 0)


@given(lengths=lengths_lists, extra=st.integers(0, 3), side=st.sampled_from(["right", "left"]))
def test_position_ids_count_real_tokens(lengths, extra, side):
    S = max(lengths) + extra
    keep = tl.padding_mask(lengths, S, side=side)
    ids = tl.position_ids(keep)
    assert ids.dtype == torch.long and ids.shape == keep.shape
    for b, n in enumerate(lengths):
        assert ids[b][keep[b]].tolist() == list(range(n))  # 0, 1, ..., n-1 at the real tokens
        assert (ids[b][~keep[b]] >= 0).all()


@given(seed=seeds, B=st.integers(1, 3), T=st.integers(1, 5), S=st.integers(1, 5))
def test_unmask_fully_masked_rows_opens_only_the_empty_rows(seed, B, T, S):
    mask = random_mask(seed, B, T, S, p_keep=0.3)
    fixed = tl.unmask_fully_masked_rows(mask)
    assert not tl.fully_masked_rows(fixed).any()
    alive = mask.any(-1)  # (B, T)
    assert torch.equal(fixed[alive], mask[alive]) and fixed[~alive].all()
    q, k, v = torch.randn(B, T, 4), torch.randn(B, S, 4), torch.randn(B, S, 4)
    plain = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(~fixed, float("-inf")), -1)
    assert torch.isfinite(plain).all()  # no NaN anywhere once every row has a key
    torch.testing.assert_close(plain[alive], tl.masked_softmax(q @ k.transpose(-2, -1), mask)[alive])
