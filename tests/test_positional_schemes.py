"""Notebook 08's schemes: RoPE, ALiBi, T5, Shaw, the naive codes; their analysis; the local-copy task.

Each mechanism is checked against a closed form or an explicit loop; every bad input's message is checked.
"""

from __future__ import annotations

import math

import pytest
import torch
from conftest import randn
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl
from transformer_lab.lessons import q08_other_pe as pa
from transformer_lab.positional import (
    AlibiPositional,
    IndexPositional,
    NormalizedPositional,
    RotaryPositional,
    ShawRelativePositional,
    T5RelativeBias,
    alibi_bias,
    alibi_slopes,
    alternating_direction,
    apply_rope,
    clipped_relative_positions,
    index_positions,
    normalized_positions,
    relative_positions,
    rope_angles,
    rope_decay_bound,
    rope_frequencies,
    rope_permutation,
    rope_relative_scores,
    rotate_half,
    shaw_relative_scores,
    t5_relative_bucket,
)

NEW = {"normalized": NormalizedPositional, "index": IndexPositional, "shaw": ShawRelativePositional,
       "t5": T5RelativeBias, "rope": RotaryPositional, "alibi": AlibiPositional}


# --- registration and the model seam ---------------------------------------------------------------

@pytest.mark.parametrize("name,cls", NEW.items())
def test_each_scheme_is_registered_and_trains_in_a_model(name, cls):
    assert tl.POSITIONAL_SCHEMES[name] is cls
    cfg = tl.ModelConfig(vocab_size=10, d_model=16, n_heads=2, max_len=12, positional=name, causal=True, d_ff=0)
    model = tl.build_model(cfg, 0)
    assert isinstance(model.positional, cls) and model.positional.name == name
    tokens = torch.randint(0, 10, (3, 12))
    logits = model(tokens)
    assert logits.shape == (3, 12, 10) and torch.isfinite(logits).all()
    logits.sum().backward()
    for p in model.positional.parameters():
        assert p.grad is not None


def test_scheme_hooks_change_what_the_model_computes():
    """Each scheme reaches the scores: the attention weights differ from NoPE's with the same weights."""
    tokens = torch.randint(0, 10, (2, 8))
    base = tl.build_model(tl.ModelConfig(vocab_size=10, d_model=16, n_heads=2, max_len=8, positional="none"), 0)
    _, cache0 = base(tokens, return_cache=True)
    for name in NEW:
        model = tl.build_model(tl.ModelConfig(vocab_size=10, d_model=16, n_heads=2, max_len=8, positional=name), 0)
        model.load_state_dict(base.state_dict(), strict=False)
        with torch.no_grad():
            for p in model.positional.parameters():
                p.normal_()  # make a learned bias visible
        _, cache = model(tokens, return_cache=True)
        assert not torch.allclose(cache["blocks.0.attn.weights"], cache0["blocks.0.attn.weights"]), name


# --- RoPE ----------------------------------------------------------------------------------------------

def test_rope_frequencies_and_angles_closed_form():
    theta = rope_frequencies(8, 10000.0)
    torch.testing.assert_close(theta, torch.tensor([10000.0 ** (-2 * i / 8) for i in range(4)], dtype=torch.float64))
    torch.testing.assert_close(rope_angles(3, 8), torch.arange(3, dtype=torch.float64)[:, None] * theta)
    torch.testing.assert_close(rope_angles(torch.tensor([5, 7]), 8)[1], 7 * theta)


def test_rope_matches_complex_multiplication():
    x = randn(0, 2, 3, 6, 8, dtype=torch.float64)  # (B, H, T, Dh)
    angles = rope_angles(6, 8)  # (T, Dh/2)
    z = torch.view_as_complex(x.reshape(2, 3, 6, 4, 2))
    oracle = torch.view_as_real(z * torch.polar(torch.ones_like(angles), angles)).reshape(2, 3, 6, 8)
    torch.testing.assert_close(apply_rope(x), oracle)
    torch.testing.assert_close(apply_rope(x)[..., 0, :], x[..., 0, :])  # position 0: no rotation
    torch.testing.assert_close(apply_rope(x).norm(dim=-1), x.norm(dim=-1))


@given(shift=st.integers(0, 500), seed=st.integers(0, 1000), layout=st.sampled_from(["interleaved", "half"]))
def test_rope_scores_depend_on_the_offset_only(shift, seed, layout):
    q, k = randn(seed, 2, 7, 8, dtype=torch.float64), randn(seed + 1, 2, 7, 8, dtype=torch.float64)
    pos = torch.arange(7)

    def scores(p):
        return apply_rope(q, p, layout=layout) @ apply_rope(k, p, layout=layout).transpose(-2, -1)

    torch.testing.assert_close(scores(pos + shift), scores(pos), atol=1e-9, rtol=1e-9)


@given(seed=st.integers(0, 1000), half=st.integers(1, 8))
def test_rope_layouts_agree_after_the_permutation(seed, half):
    Dh = 2 * half
    x = randn(seed, 3, 5, Dh, dtype=torch.float64)
    p = rope_permutation(Dh)
    assert sorted(p.tolist()) == list(range(Dh))
    torch.testing.assert_close(apply_rope(x)[..., p], apply_rope(x[..., p], layout="half"))


def test_rope_mixed_layouts_break_the_offset_property():
    q, k = randn(0, 6, 8, dtype=torch.float64), randn(1, 6, 8, dtype=torch.float64)

    def scores(shift):
        pos = torch.arange(6) + shift
        return apply_rope(q, pos) @ apply_rope(k, pos, layout="half").transpose(-2, -1)

    assert (scores(3) - scores(0)).abs().max() > 0.5


def test_rotate_half_and_relative_scores():
    x = torch.arange(1.0, 7.0)
    assert rotate_half(x).tolist() == [-4.0, -5.0, -6.0, 1.0, 2.0, 3.0]
    q, k = randn(2, 8, dtype=torch.float64), randn(3, 8, dtype=torch.float64)
    r = torch.arange(6)
    rotated_k = apply_rope(k.expand(6, 8).clone(), r)  # (R, Dh): k at positions 0 … 5
    torch.testing.assert_close(rope_relative_scores(q, k, r), rotated_k @ q)  # q at position 0


def test_rope_decay_bound_closed_form():
    r = torch.tensor([0, 3, 50])
    theta = rope_frequencies(16)
    ref = torch.stack([
        torch.stack([torch.exp(1j * d * theta[:j]).sum().abs() for j in range(1, 9)]).mean() for d in r.tolist()
    ]).real
    torch.testing.assert_close(rope_decay_bound(r, 16), ref.double())
    assert rope_decay_bound(torch.tensor([0]), 16).item() == pytest.approx(4.5)  # mean of 1 … 8


def test_rotary_scheme_rotates_q_and_k_per_head():
    scheme = RotaryPositional(4, layout="half")
    q, k = randn(0, 2, 3, 5, 4), randn(1, 2, 3, 5, 4)
    q2, k2 = scheme.rotate_qk(q, k)
    torch.testing.assert_close(q2, apply_rope(q, layout="half"))
    torch.testing.assert_close(k2, apply_rope(k, layout="half"))
    assert list(scheme.parameters()) == [] and scheme.score_bias(5, 5) is None
    assert "layout='half'" in repr(scheme)


# --- ALiBi ---------------------------------------------------------------------------------------------

def test_alibi_slopes_follow_the_paper_and_the_official_rule():
    torch.testing.assert_close(alibi_slopes(8), torch.tensor([2.0 ** -(i + 1) for i in range(8)], dtype=torch.float64))
    torch.testing.assert_close(alibi_slopes(16), torch.tensor([2.0 ** (-(i + 1) / 2) for i in range(16)], dtype=torch.float64))
    expected_12 = [2.0 ** -(i + 1) for i in range(8)] + [2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5]
    torch.testing.assert_close(alibi_slopes(12), torch.tensor(expected_12, dtype=torch.float64))
    assert alibi_slopes(1).tolist() == [2.0 ** -8]
    torch.testing.assert_close(alibi_slopes(6), torch.tensor([2.0 ** -2, 2.0 ** -4, 2.0 ** -6, 2.0 ** -8, 2.0 ** -1, 2.0 ** -3],
                                                             dtype=torch.float64))


def test_alibi_bias_forms():
    slopes = alibi_slopes(4)
    bias = alibi_bias(5, 5, slopes)
    for h in range(4):
        for i in range(5):
            for j in range(5):
                assert bias[h, i, j].item() == pytest.approx(-slopes[h].item() * abs(i - j))
    causal = alibi_bias(5, 5, slopes, "causal")
    keep = tl.causal_mask(5)
    assert torch.equal(causal[:, keep], bias[:, keep]) and (causal[:, ~keep] > 0).all()
    row = alibi_bias(5, 5, slopes, "row_constant")
    assert torch.equal(row[:, 0], row[:, 4])  # the same row for every query
    scores = randn(0, 4, 5, 5, dtype=torch.float64)
    ref = tl.masked_softmax(scores + bias, keep)
    torch.testing.assert_close(tl.masked_softmax(scores + row, keep), ref)
    torch.testing.assert_close(tl.masked_softmax(scores + causal, keep), ref)
    assert not torch.allclose(tl.masked_softmax(scores + row), tl.masked_softmax(scores + bias))


def test_alibi_scheme_has_no_parameters_and_any_length():
    scheme = AlibiPositional(4)
    assert list(scheme.parameters()) == [] and scheme.state_dict() == {}
    torch.testing.assert_close(scheme.score_bias(3, 7), alibi_bias(3, 7, alibi_slopes(4)).float())
    assert scheme.score_bias(2000, 2000).shape == (4, 2000, 2000)


# --- T5 ------------------------------------------------------------------------------------------------

def _t5_bucket_scalar(rel: int, bidirectional=True, num_buckets=32, max_distance=128) -> int:
    """The Mesh TensorFlow function, one integer at a time, in float32 as T5 does."""
    bucket, n = 0, num_buckets
    if bidirectional:
        n //= 2
        bucket += n if rel > 0 else 0
        dist = abs(rel)
    else:
        dist = max(-rel, 0)
    max_exact = n // 2
    if dist < max_exact:
        return bucket + dist
    ratio = torch.log(torch.tensor(dist / max_exact, dtype=torch.float32)) / math.log(max_distance / max_exact)
    return bucket + min(max_exact + int(ratio * (n - max_exact)), n - 1)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets,max_distance", [(32, 128), (8, 20)])
def test_t5_buckets_match_the_reference_function(bidirectional, num_buckets, max_distance):
    rel = torch.arange(-300, 301)
    ours = t5_relative_bucket(rel, bidirectional, num_buckets, max_distance)
    ref = [_t5_bucket_scalar(r, bidirectional, num_buckets, max_distance) for r in rel.tolist()]
    assert ours.tolist() == ref
    assert ours.min() >= 0 and ours.max() <= num_buckets - 1


def test_t5_bias_is_a_bucket_lookup_shared_by_layers():
    scheme = T5RelativeBias(3)
    assert scheme.bias.shape == (32, 3)
    bias = scheme.score_bias(4, 6)  # (H, T, S)
    buckets = t5_relative_bucket(relative_positions(4, 6))
    for h in range(3):
        torch.testing.assert_close(bias[h], scheme.bias[buckets, h])
    model = tl.build_model(tl.ModelConfig(vocab_size=8, d_model=12, n_heads=3, n_layers=3, positional="t5"))
    assert pa.count_parameters(model.positional) == 32 * 3


def test_t5_buckets_beyond_training_receive_no_gradient():
    scheme = T5RelativeBias(2)
    (scheme.score_bias(16, 16) * tl.causal_mask(16)).sum().backward()
    trained = set(scheme.buckets(16, 16)[tl.causal_mask(16)].tolist())
    rows_with_grad = set(torch.nonzero(scheme.bias.grad.abs().sum(1)).flatten().tolist())
    assert rows_with_grad == trained
    assert set(scheme.buckets(64, 64)[tl.causal_mask(64)].tolist()) - trained == {10, 11, 12, 13}


# --- Shaw et al. ---------------------------------------------------------------------------------------

def test_clipped_relative_positions():
    idx = clipped_relative_positions(4, 6, 2)
    assert idx.tolist()[0] == [2, 3, 4, 4, 4, 4] and idx.tolist()[3] == [0, 0, 1, 2, 3, 4]
    assert clipped_relative_positions(3, 3, 0).eq(0).all()


def test_shaw_scores_match_a_loop():
    q, k = randn(0, 2, 4, 6), randn(1, 2, 5, 6)
    rel_k = randn(2, 2 * 3 + 1, 6)
    out = shaw_relative_scores(q, k, rel_k, 3)
    for i in range(4):
        for j in range(5):
            a = rel_k[max(-3, min(3, j - i)) + 3]
            torch.testing.assert_close(out[:, i, j], (q[:, i] * (k[:, j] + a)).sum(-1) / math.sqrt(6))
    torch.testing.assert_close(shaw_relative_scores(q, k, torch.zeros(7, 6), 3), tl.scaled_dot_scores(q, k))


def test_shaw_scheme_is_a_clipped_scalar_bias():
    scheme = ShawRelativePositional(2, max_distance=2)
    assert scheme.bias.shape == (2, 5)
    b = scheme.score_bias(6, 6)
    assert torch.equal(b[:, 5, 0], b[:, 5, 2]) and torch.equal(b[:, 5, 3], scheme.bias[:, 0])  # clipped at -2
    assert torch.equal(b[:, 0, 0], scheme.bias[:, 2])


# --- the naive codes -----------------------------------------------------------------------------------

def test_naive_codes_closed_form():
    assert alternating_direction(4).tolist() == [1.0, -1.0, 1.0, -1.0]
    torch.testing.assert_close(normalized_positions(5), torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    assert normalized_positions(1).tolist() == [0.0]
    assert index_positions(3).tolist() == [0.0, 1.0, 2.0]
    x = randn(0, 2, 5, 4)
    u = alternating_direction(4)
    torch.testing.assert_close(NormalizedPositional(4).add_to_input(x), x + normalized_positions(5)[:, None] * u)
    torch.testing.assert_close(IndexPositional(4).add_to_input(x), x + index_positions(5)[:, None] * u)


def test_naive_code_survives_layernorm_and_a_constant_would_not():
    """Why the direction has mean zero: LayerNorm subtracts the mean over D."""
    x = randn(0, 1, 6, 8)
    ln = torch.nn.LayerNorm(8, elementwise_affine=False)
    constant = ln(x + torch.arange(6.0)[None, :, None] / 5)  # the same number on every coordinate
    torch.testing.assert_close(constant, ln(x), atol=1e-5, rtol=0)
    assert (ln(NormalizedPositional(8).add_to_input(x)) - ln(x)).abs().max() > 0.1


def test_normalized_code_depends_on_the_length():
    s = NormalizedPositional(4)
    short, long = s.add_to_input(torch.zeros(1, 5, 4)), s.add_to_input(torch.zeros(1, 9, 4))
    assert not torch.allclose(short[0, 1], long[0, 1])  # position 1 has two different codes


# --- analysis ------------------------------------------------------------------------------------------

def _built(name, d_model=16, n_heads=2, head_dim=8, max_len=20):
    return tl.make_positional(name, d_model=d_model, max_len=max_len, n_heads=n_heads, head_dim=head_dim)


def test_families_parameters_and_translation_invariance():
    expected_family = {"none": "none", "normalized": "added to the input", "index": "added to the input",
                       "learned": "added to the input", "sinusoidal": "added to the input", "shaw": "bias on the scores",
                       "t5": "bias on the scores", "rope": "rotates q and k", "alibi": "bias on the scores"}
    expected_params = {"learned": 20 * 16, "shaw": 2 * 17, "t5": 32 * 2}
    for name in tl.POSITIONAL_SCHEMES:
        s = _built(name)
        assert pa.scheme_family(s) == expected_family[name]
        assert pa.count_parameters(s) == expected_params.get(name, 0)
        gap = pa.translation_gap(s, 16, 2, 8, T=6, shift=4)
        invariant = name in ("none", "shaw", "t5", "rope", "alibi")
        assert (gap < 1e-9) == invariant, (name, gap)


def test_positional_scores_apply_the_seam_in_the_model_order():
    x = randn(0, 2, 5, 16)
    torch.testing.assert_close(pa.positional_scores(_built("none"), x, 2),
                               tl.scaled_dot_scores(x.view(2, 5, 2, 8).transpose(1, 2), x.view(2, 5, 2, 8).transpose(1, 2)))
    alibi = _built("alibi")
    torch.testing.assert_close(pa.positional_scores(alibi, x, 2),
                               pa.positional_scores(_built("none"), x, 2) + alibi.score_bias(5, 5))
    pattern = pa.score_pattern(alibi, 6, 2, 8)
    assert pattern.shape == (2, 6, 6)
    centred = pattern - pattern[:, :, :1]  # same content everywhere: only the bias varies along a row …
    torch.testing.assert_close(centred[:, 3], (alibi.score_bias(6, 6) - alibi.score_bias(6, 6)[:, :, :1])[:, 3])


def test_length_limit_and_supports_length():
    assert pa.length_limit(_built("learned"), 16, 2, 8, up_to=64) == 20
    assert pa.length_limit(_built("alibi"), 16, 2, 8, up_to=64) == math.inf
    assert pa.supports_length(_built("learned"), 20, 16, 2, 8) and not pa.supports_length(_built("learned"), 21, 16, 2, 8)


def test_loss_curves_and_optimal_loss():
    task = tl.LocalCopyTask(length=6)
    model = tl.build_model(tl.ModelConfig(vocab_size=16, d_model=16, n_heads=2, max_len=12, positional="alibi", causal=True))
    curves = pa.loss_curves({"a": model}, task, (6, 12), size=8)
    assert curves["a"][6].shape == (6,) and curves["a"][12].shape == (12,)
    assert pa.loss_by_length({"a": model}, task, (6, 12), size=8)["a"] == pytest.approx(
        [curves["a"][6].mean().item(), curves["a"][12].mean().item()])
    opt = pa.optimal_loss_by_position(task.at_length(12), size=64)
    assert opt.shape == (12,) and (opt > 0).all() and (opt < math.log(16)).all()


@pytest.mark.parametrize("name", sorted(tl.POSITIONAL_SCHEMES))
def test_length_gap_only_the_unit_interval_code_depends_on_the_length(name):
    gap = pa.length_gap(_built(name), 16, 2, 8, T=6, longer=12)
    assert (gap > 1e-2) if name == "normalized" else (gap < 1e-9)


@pytest.mark.parametrize("name", sorted(tl.POSITIONAL_SCHEMES))
@pytest.mark.parametrize("causal", [True, False])
def test_prefix_losses_equal_the_model_run_on_each_prefix(name, causal):
    """Sliced from one run (causal, length-free schemes) or run per length: the same numbers as running
    the model on each prefix by itself."""
    task = tl.LocalCopyTask(length=12)
    model = tl.build_model(tl.ModelConfig(vocab_size=16, d_model=16, n_heads=2, d_ff=0, max_len=12, positional=name,
                                          causal=causal), 3)
    tokens, targets = task.batch(6, 5)  # (6, 12)
    got = pa.prefix_losses(model, tokens, targets, (4, 12))
    assert pa.losses._length_free_causal(model) == (causal and name != "normalized")
    for L in (4, 12):
        with torch.no_grad():
            ce = torch.nn.functional.cross_entropy(model(tokens[:, :L]).transpose(1, 2), targets[:, :L], reduction="none")
        torch.testing.assert_close(got[L], ce.mean(0), atol=1e-5, rtol=1e-5)


# --- the task ------------------------------------------------------------------------------------------

def _sequential_sample(task, B, g):
    """The generative story, token by token (the reference for the vectorised sampler)."""
    T, w = task.length, task.window
    seq = torch.randint(0, task.n_symbols, (B, T + 1), generator=g)
    copy = torch.rand(B, T + 1, generator=g) < task.p_copy
    u = torch.rand(B, T + 1, generator=g)
    for t in range(1, T + 1):
        n = min(w, t)
        lag = 1 + (u[:, t] * n).long().clamp(max=n - 1)
        seq[:, t] = torch.where(copy[:, t], seq[torch.arange(B), t - lag], seq[:, t])
    return seq[:, :T], seq[:, 1:]


@pytest.mark.parametrize("length,window,p_copy", [(16, 4, 0.8), (40, 3, 1.0), (1, 1, 0.5), (5, 9, 0.0)])
def test_local_copy_task_matches_the_sequential_story(length, window, p_copy):
    task = tl.LocalCopyTask(length=length, window=window, p_copy=p_copy)
    tokens, targets = task.batch(50, 7)
    ref_tokens, ref_targets = _sequential_sample(task, 50, torch.Generator().manual_seed(7))
    assert torch.equal(tokens, ref_tokens) and torch.equal(targets, ref_targets)
    assert torch.equal(tokens[:, 1:], targets[:, :-1])  # next-token targets


def test_local_copy_task_optimal_probs():
    task = tl.LocalCopyTask(n_symbols=5, length=4, window=2, p_copy=0.8)
    tokens = torch.tensor([[3, 3, 1, 4]])
    probs = task.optimal_probs(tokens)
    torch.testing.assert_close(probs.sum(-1), torch.ones(1, 4))
    assert probs[0, 0, 3].item() == pytest.approx(0.8 + 0.04)  # one candidate: 3
    assert probs[0, 2, 1].item() == pytest.approx(0.4 + 0.04) and probs[0, 2, 3].item() == pytest.approx(0.44)
    tokens, targets = task.at_length(50).batch(4000, 0)
    # empirical check of the law: how often the target equals the token one step back
    p_same = (targets == tokens).float().mean().item()
    expected = task.optimal_probs(tokens).gather(-1, tokens[..., None]).mean().item()
    assert abs(p_same - expected) < 0.01
