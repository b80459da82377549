"""Notebook 04's analysis (``lessons.q04_padding_mask``): fills, leaks, rows with no key, padding
invariance, masked loss and pooling.

Checked against closed forms (the leak of an additive fill is a logistic function of the gap),
PyTorch's own kernels (SDPA, nn.MultiheadAttention), and the unpadded computation.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import randn, random_mask
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl
from transformer_lab.lessons import q04_padding_mask as masking

seeds = st.integers(0, 2**31 - 1)
lengths_lists = st.lists(st.integers(1, 6), min_size=1, max_size=4)


# --- fill_value / apply_fill / plain_masked_softmax ---------------------------------------------

def test_fill_value_names_and_dtype_minimum():
    assert masking.fill_value("-inf") == float("-inf")
    assert masking.fill_value("-1e9") == -1e9 and masking.fill_value("-1e4") == -1e4
    assert masking.fill_value("-1000") == -1000.0
    assert masking.fill_value("dtype min", torch.float16) == -65504.0
    assert masking.fill_value("dtype min", torch.bfloat16) == torch.finfo(torch.bfloat16).min
    assert masking.fill_value(-5) == -5.0 and masking.fill_value(float("-inf")) == float("-inf")
    assert set(masking.FILLS) == {"-inf", "-1e9", "-1e4", "-1000", "dtype min"}


@given(seed=seeds, T=st.integers(1, 4), S=st.integers(1, 6), fill=st.sampled_from(masking.FILLS),
       dtype=st.sampled_from([torch.float32, torch.bfloat16]))
def test_apply_fill_matches_masked_fill_and_to_additive(seed, T, S, fill, dtype):
    scores = randn(seed, T, S).to(dtype)
    keep = random_mask(seed + 1, T, S)
    value = masking.fill_value(fill, dtype)
    assert torch.equal(masking.apply_fill(scores, keep, fill, "set"), scores.masked_fill(~keep, value))
    expected = scores + tl.to_additive(keep, dtype, fill=None if value == float("-inf") else value)
    assert torch.equal(masking.apply_fill(scores, keep, fill, "add"), expected)


def test_apply_fill_float16_overflow_raises_when_set_and_becomes_inf_when_added():
    scores = torch.zeros(2, 3, dtype=torch.float16)
    keep = torch.tensor([[True, False, False], [False, False, False]])
    with pytest.raises(ValueError, match=r"fill=-1e\+09 overflows torch.float16.*masked_fill refuses"):
        masking.apply_fill(scores, keep, "-1e9", "set")
    added = masking.apply_fill(scores, keep, "-1e9", "add")
    assert added.dtype == torch.float16 and torch.isneginf(added[~keep]).all() and (added[keep] == 0).all()
    # float16's minimum added to a score below -16 rounds to -inf as well; set, it stays finite
    low = torch.full((1, 3), -20.0, dtype=torch.float16)
    none = torch.zeros(1, 3, dtype=torch.bool)
    assert torch.isneginf(masking.apply_fill(low, none, "dtype min", "add")).all()
    assert torch.isfinite(masking.apply_fill(low, none, "dtype min", "set")).all()


@given(seed=seeds, B=st.integers(1, 3), T=st.integers(1, 4), S=st.integers(2, 6))
def test_plain_masked_softmax_agrees_with_ours_on_rows_that_have_a_key(seed, B, T, S):
    scores = randn(seed, B, T, S)
    keep = random_mask(seed + 1, B, T, S)
    alive = keep.any(-1)  # (B, T)
    ours = tl.masked_softmax(scores, keep)
    for form in masking.FORMS:
        plain = masking.plain_masked_softmax(scores, keep, "-inf", form)
        torch.testing.assert_close(plain[alive], ours[alive], atol=1e-6, rtol=0)
        assert torch.isnan(plain[~alive]).all()  # the plain one-liner: NaN where ours gives zeros
    assert (ours[~alive] == 0).all()


def test_plain_masked_softmax_finite_fill_on_a_row_with_no_key():
    scores = torch.tensor([[0.5, -1.0, 2.0, 0.0]])
    none = torch.zeros(1, 4, dtype=torch.bool)
    torch.testing.assert_close(masking.plain_masked_softmax(scores, none, "-1e9", "set"), torch.full((1, 4), 0.25))
    torch.testing.assert_close(masking.plain_masked_softmax(scores, none, "-1e9", "add"), torch.full((1, 4), 0.25))
    # -1000 added to every score is a shift: the softmax does not see it
    torch.testing.assert_close(masking.plain_masked_softmax(scores, none, "-1000", "add"), torch.softmax(scores, -1),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("gap", [0.0, 500.0, 980.0, 995.0, 1000.0, 1005.0, 1100.0])
def test_additive_leak_is_the_logistic_of_the_gap(gap):
    """One real key at 0, one pad at ``gap``: the pad's weight is sigmoid(gap + fill), exactly."""
    scores = torch.tensor([[0.0, gap]])
    keep = torch.tensor([True, False])
    for fill in (-1000.0, -1e4):
        w = masking.plain_masked_softmax(scores, keep, fill, "add")[0, 1]
        torch.testing.assert_close(w, torch.sigmoid(torch.tensor(gap + fill)), atol=1e-7, rtol=1e-5)
        assert masking.plain_masked_softmax(scores, keep, fill, "set")[0, 1] == 0


# --- leaked_mass / classify_row -------------------------------------------------------------------

@given(seed=seeds, T=st.integers(1, 4), S=st.integers(1, 6))
def test_leaked_mass_is_zero_for_a_correct_mask_and_the_pad_weight_otherwise(seed, T, S):
    scores = randn(seed, T, S)
    keep = random_mask(seed + 1, T, S)
    assert (masking.leaked_mass(tl.masked_softmax(scores, keep), keep) == 0).all()
    w = torch.softmax(scores, -1)  # no mask
    torch.testing.assert_close(masking.leaked_mass(w, keep), (w * ~keep).sum(-1))
    torch.testing.assert_close(masking.leaked_mass(w, keep) + (w * keep).sum(-1), torch.ones(T), atol=1e-6, rtol=0)


def test_leaked_mass_broadcasts_and_propagates_nan():
    w = torch.full((2, 3, 4), 0.25)
    keep = torch.tensor([True, True, False, False])
    assert torch.equal(masking.leaked_mass(w, keep), torch.full((2, 3), 0.5))
    w[0, 1] = float("nan")
    assert torch.isnan(masking.leaked_mass(w, keep)[0, 1]) and not torch.isnan(masking.leaked_mass(w, keep)[1]).any()


def test_classify_row_each_behaviour():
    ref = torch.softmax(torch.tensor([1.0, 0.0, -1.0, 2.0]), -1)
    assert masking.classify_row(torch.tensor([float("nan"), 0.0, 0.0, 0.0])) == "NaN"
    assert masking.classify_row(torch.zeros(4)) == "zeros"
    assert masking.classify_row(torch.full((4,), 0.25)) == "uniform"
    assert masking.classify_row(ref + 1e-4, ref) == "as if unmasked"
    assert masking.classify_row(torch.tensor([1.0, 0.0, 0.0, 0.0]), ref) == "distorted"
    assert masking.classify_row(ref) == "distorted"  # no reference given
    assert set(masking.BEHAVIOURS) == {"NaN", "zeros", "uniform", "as if unmasked", "distorted"}


# --- rows with no key, per API and per dtype --------------------------------------------------------

def test_fully_masked_behaviour_table():
    t = masking.fully_masked_behaviour()
    assert list(t) == list(masking.API_NAMES)
    assert all(list(row) == ["bool", *masking.FILLS] for row in t.values())
    expected = {
        "softmax + masked_fill (set)": ["n/a", "NaN", "uniform", "uniform", "uniform", "uniform"],
        "softmax + additive mask (add)": ["n/a", "NaN", "uniform", "as if unmasked", "as if unmasked", "uniform"],
        "tl.masked_softmax": ["zeros", "zeros", "uniform", "as if unmasked", "as if unmasked", "uniform"],
        "F.scaled_dot_product_attention": ["zeros", "zeros", "uniform", "as if unmasked", "as if unmasked", "uniform"],
        "nn.MultiheadAttention, need_weights=True": ["NaN", "NaN", "uniform", "as if unmasked", "as if unmasked", "uniform"],
        "nn.MultiheadAttention, need_weights=False": ["zeros", "zeros", "uniform", "as if unmasked", "as if unmasked", "uniform"],
    }
    assert {api: list(row.values()) for api, row in t.items()} == expected
    assert masking.fully_masked_behaviour(fills=("-inf",), n_keys=3, seed=5)["tl.masked_softmax"] == {
        "bool": "zeros", "-inf": "zeros"}


def test_fully_masked_plain_in_half_precision():
    f16 = masking.fully_masked_plain(torch.float16)
    assert f16["set"]["-1e9"] == "raises" and f16["add"]["-1e9"] == "NaN"
    assert f16["set"]["dtype min"] == f16["add"]["dtype min"] == "uniform"
    assert masking.fully_masked_plain(torch.float16, shift=-100.0)["add"]["dtype min"] == "NaN"
    bf16 = masking.fully_masked_plain(torch.bfloat16)
    assert bf16["set"]["-1e9"] == bf16["add"]["-1e9"] == "uniform"
    f32 = masking.fully_masked_plain()
    assert f32["add"]["-1000"] == "as if unmasked" and f32["set"]["-1000"] == "uniform"
    assert all(row["-inf"] == "NaN" for row in f32.values())


# --- leak_sweep --------------------------------------------------------------------------------------

def test_leak_sweep_thresholds():
    sigmas = [1, 100, 500, 1000, 3000, 10_000]
    add = masking.leak_sweep(sigmas, ("-1000", "-1e4", "-1e9", "-inf", "dtype min"), n_queries=64)
    assert add["-1000"][:3] == [0.0, 0.0, 0.0] and add["-1000"][-1] > 0.5
    assert add["-1e4"][:5] == [0.0] * 5 and add["-1e4"][-1] > 0.5
    assert max(add["-1e9"]) == max(add["-inf"]) == max(add["dtype min"]) == 0
    assert add["gap"] == sorted(add["gap"]) and len(add["gap"]) == len(sigmas)
    for g, leak in zip(add["gap"], add["-1000"]):  # the leak follows the gap
        assert (leak < 1e-8) if g < 980 else True
        assert (leak > 0.5) if g > 1020 else True
    st_ = masking.leak_sweep(sigmas, ("-1000", "-1e4"), form="set", n_queries=64)
    assert max(st_["-1000"]) == max(st_["-1e4"]) == 0
    mean = masking.leak_sweep(sigmas, ("-1000",), reduce="mean", n_queries=64)
    assert all(m <= x for m, x in zip(mean["-1000"], add["-1000"]))


def test_leak_sweep_in_half_precision_and_out_of_range():
    f16 = masking.leak_sweep([100, 3000], ("-1000", "dtype min"), dtype=torch.float16, n_queries=32)
    assert f16["-1000"][0] == 0 and f16["-1000"][1] > 0.5 and max(f16["dtype min"]) == 0
    with pytest.raises(ValueError, match=r"sigma=100000 gives scores beyond the range of torch.float16"):
        masking.leak_sweep([1e5], dtype=torch.float16)


# --- padding ---------------------------------------------------------------------------------------

def test_pad_sequences_layout():
    seqs = [torch.tensor([1, 2, 3]), torch.tensor([4])]
    x, keep = masking.pad_sequences(seqs, 4, pad_value=9)
    assert x.tolist() == [[1, 2, 3, 9], [4, 9, 9, 9]] and torch.equal(keep, tl.padding_mask([3, 1], 4))
    x, keep = masking.pad_sequences(seqs, side="left", pad_value=0)
    assert x.tolist() == [[1, 2, 3], [0, 0, 4]] and torch.equal(keep, tl.padding_mask([3, 1], 3, side="left"))
    emb = [torch.ones(2, 3), torch.zeros(1, 3)]
    x, _ = masking.pad_sequences(emb, 3, pad_value=torch.tensor([7.0, 8.0, 9.0]))
    assert x.shape == (2, 3, 3) and x[1, 2].tolist() == [7.0, 8.0, 9.0] and x[0, 1].tolist() == [1.0] * 3


def test_real_token_deviation():
    seqs = [torch.randn(3, 2), torch.randn(1, 2)]
    x, keep = masking.pad_sequences(seqs, 4, side="left", pad_value=100.0)
    assert masking.real_token_deviation(x, keep, seqs) == 0.0
    assert masking.real_token_deviation(x + 0.5, keep, seqs) == pytest.approx(0.5)


@pytest.mark.parametrize("side", ["right", "left"])
def test_attention_is_padding_invariant_with_the_mask_only(side):
    attn = tl.MultiHeadAttention(8, 2)
    seqs = [torch.randn(n, 8) for n in (4, 2, 1)]
    fn = lambda x, keep: attn(x, key_mask=keep)[0]  # noqa: E731
    assert max(masking.padding_invariance(fn, seqs, (0, 2, 5), side, 3 * torch.randn(8))) < 1e-5
    assert min(masking.padding_invariance(fn, seqs, (0, 2, 5), side, 3 * torch.randn(8), masked=False)) > 0.05


@given(lengths=lengths_lists, extra=st.integers(0, 3), side=st.sampled_from(["right", "left"]),
       causal=st.booleans(), seed=seeds)
def test_model_is_padding_invariant(lengths, extra, side, causal, seed):
    """Without positions (left padding shifts absolute positions), a masked model ignores any padding."""
    cfg = tl.ModelConfig(vocab_size=8, d_model=16, n_heads=2, n_layers=1, d_ff=16, max_len=12,
                         positional="none", causal=causal)
    model = tl.build_model(cfg, seed=seed % 7).eval()
    g = torch.Generator().manual_seed(seed)
    toks = [torch.randint(0, 8, (n,), generator=g) for n in lengths]
    dev = masking.padding_invariance(lambda t, k: model(t, key_mask=k), toks, (extra,), side, pad_value=7)
    assert dev[0] < 1e-5


def test_ignore_padding_gives_the_unpadded_loss():
    logits = [torch.randn(n, 5) for n in (3, 1)]
    targets = [torch.tensor([0, 4, 2]), torch.tensor([3])]
    ref = F.cross_entropy(torch.cat(logits), torch.cat(targets))
    x, keep = masking.pad_sequences(logits, 5, pad_value=0.0)
    t, _ = masking.pad_sequences(targets, 5, pad_value=1)
    tgt = masking.ignore_padding(t, keep)
    assert (tgt[~keep] == tl.IGNORE).all() and torch.equal(tgt[keep], t[keep])
    torch.testing.assert_close(F.cross_entropy(x.flatten(0, 1), tgt.flatten()), ref)
    assert masking.ignore_padding(t, keep, ignore_index=-1)[~keep].eq(-1).all()


@given(lengths=lengths_lists, extra=st.integers(0, 3), side=st.sampled_from(["right", "left"]), seed=seeds)
def test_masked_mean_is_the_mean_over_real_positions(lengths, extra, side, seed):
    seqs = [randn(seed + i, n, 3) for i, n in enumerate(lengths)]
    x, keep = masking.pad_sequences(seqs, max(lengths) + extra, side, pad_value=50.0)
    torch.testing.assert_close(masking.masked_mean(x, keep), torch.stack([s.mean(0) for s in seqs]))


def test_masked_mean_of_an_empty_sequence_is_zero_and_works_on_2d_input():
    x = torch.randn(2, 3, 4)
    keep = torch.tensor([[True, True, False], [False, False, False]])
    out = masking.masked_mean(x, keep)
    assert torch.equal(out[1], torch.zeros(4)) and not torch.isnan(out).any()
    torch.testing.assert_close(out[0], x[0, :2].mean(0))
    assert masking.masked_mean(torch.tensor([[1.0, 3.0, 100.0]]), torch.tensor([[True, True, False]])).item() == 2.0


def test_the_lesson_reexports_its_analysis():
    """Notebook 04 imports the lesson package; every analysis name is reached there, as the same object."""
    from transformer_lab.lessons import q04_padding_mask as lesson

    assert masking.__all__
    for name in masking.__all__:
        assert getattr(lesson, name) is getattr(masking, name), name
