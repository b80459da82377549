"""The toy Transformer: seeded construction, the named cache, weight tying, embedding scale, and
the properties that follow from its wiring (permutation equivariance, causality, padding)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import transformer_lab as tl

seeds = st.integers(0, 2**31 - 1)


def tokens(seed: int, B: int, T: int, vocab: int) -> torch.Tensor:
    return torch.randint(0, vocab, (B, T), generator=torch.Generator().manual_seed(seed))


def close(a, b, atol=1e-5):
    torch.testing.assert_close(a, b, atol=atol, rtol=0)


def test_build_model_is_deterministic_and_leaves_global_rng_alone():
    cfg = tl.ModelConfig(n_layers=2, positional="learned", score="additive")
    state = torch.random.get_rng_state()
    a, b = tl.build_model(cfg, seed=3), tl.build_model(cfg, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = tl.build_model(cfg, seed=4)
    assert not torch.equal(c.embed.weight, a.embed.weight)
    x = tokens(0, 2, 5, cfg.vocab_size)
    assert torch.equal(a(x), b(x))


def test_cache_keys_and_shapes():
    cfg = tl.ModelConfig(vocab_size=11, n_out=5, d_model=16, n_heads=4, n_layers=3, max_len=9)
    model = tl.build_model(cfg)
    x = tokens(1, 2, 7, 11)
    logits, cache = model(x, return_cache=True)
    expected_keys = {"embed"} | {f"blocks.{i}.{name}" for i in range(3) for name in ("attn.scores", "attn.weights", "out")}
    assert set(cache) == expected_keys
    assert logits.shape == (2, 7, 5)
    assert cache["embed"].shape == (2, 7, 16)
    for i in range(3):
        assert cache[f"blocks.{i}.attn.weights"].shape == (2, 4, 7, 7)
        # the cached scores are the ones the weights came from (sinusoidal positions add no bias)
        close(torch.softmax(cache[f"blocks.{i}.attn.scores"], -1), cache[f"blocks.{i}.attn.weights"])
        assert cache[f"blocks.{i}.out"].shape == (2, 7, 16)
        close(cache[f"blocks.{i}.attn.weights"].sum(-1), torch.ones(2, 4, 7))
    # the cache describes the same forward pass as the plain call (which runs the fused kernel:
    # equal up to float rounding)
    close(model(x), logits)
    close(model.head(model.ln_f(cache["blocks.2.out"])), logits)
    close(model.blocks[0](cache["embed"], None, model.positional)[0], cache["blocks.0.out"])
    assert isinstance(model(x, return_cache=False), torch.Tensor)


def test_cache_leaves_no_state_on_modules():
    model = tl.build_model(tl.ModelConfig())
    before = {name for name, _ in model.named_buffers()} | set(vars(model.blocks[0].attn))
    model(tokens(0, 1, 4, 16), return_cache=True)
    assert before == {name for name, _ in model.named_buffers()} | set(vars(model.blocks[0].attn))


def test_tie_weights_shares_the_tensor():
    cfg = tl.ModelConfig(tie_weights=True)
    model = tl.build_model(cfg)
    assert model.head.weight is model.embed.weight
    untied = tl.build_model(tl.ModelConfig())
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731  (parameters() de-duplicates)
    assert n(untied) - n(model) == cfg.vocab_size * cfg.d_model
    model(tokens(0, 2, 4, 16)).sum().backward()
    assert model.embed.weight.grad is model.head.weight.grad


def test_embed_scale_multiplies_by_sqrt_d_model():
    kwargs = dict(d_model=36, n_heads=4, positional="none")
    plain = tl.build_model(tl.ModelConfig(**kwargs), seed=5)
    scaled = tl.build_model(tl.ModelConfig(embed_scale=True, **kwargs), seed=5)
    x = tokens(2, 2, 6, 16)
    e_plain = plain(x, return_cache=True)[1]["embed"]
    e_scaled = scaled(x, return_cache=True)[1]["embed"]
    close(e_scaled, e_plain * 6.0)  # √36
    close(e_plain, plain.embed(x))


@pytest.mark.parametrize("kind,std", [("normal", lambda V, D: 1.0), ("scaled_normal", lambda V, D: D**-0.5),
                                      ("xavier", lambda V, D: math.sqrt(2 / (V + D)))])
def test_embedding_init_standard_deviation(kind, std):
    V, D = 400, 64
    model = tl.build_model(tl.ModelConfig(vocab_size=V, d_model=D, embed_init=kind))
    measured = model.embed.weight.std().item()
    assert abs(measured / std(V, D) - 1) < 0.05  # 25 600 samples: the std estimate is within ~1%


@pytest.mark.parametrize("norm", ["pre", "post", "none"])
@pytest.mark.parametrize("d_ff", [0, 16])
def test_norm_and_mlp_variants_run(norm, d_ff):
    model = tl.build_model(tl.ModelConfig(norm=norm, d_ff=d_ff, n_layers=2))
    assert (model.blocks[0].mlp is None) == (d_ff == 0)
    assert isinstance(model.ln_f, torch.nn.LayerNorm) == (norm == "pre")
    logits = model(tokens(0, 2, 5, 16))
    assert logits.shape == (2, 5, 16) and torch.isfinite(logits).all()


def test_head_dim_and_share_qk_reach_every_block():
    model = tl.build_model(tl.ModelConfig(d_model=16, n_heads=4, head_dim=8, share_qk=True, n_layers=2))
    for block in model.blocks:
        assert block.attn.head_dim == 8 and block.attn.q_proj is block.attn.k_proj
    _, cache = model(tokens(0, 1, 3, 16), return_cache=True)
    assert cache["blocks.1.attn.weights"].shape == (1, 4, 3, 3)


def test_head_mask_of_ones_changes_nothing_and_zeros_ablate():
    model = tl.build_model(tl.ModelConfig(n_layers=2, d_model=16, n_heads=4))
    x = tokens(3, 2, 6, 16)
    close(model(x, head_mask=torch.ones(2, 4)), model(x))
    hm = torch.ones(2, 4)
    hm[1, 2] = 0
    _, cache = model(x, head_mask=hm, return_cache=True)
    _, cache_full = model(x, return_cache=True)
    close(cache["blocks.0.out"], cache_full["blocks.0.out"])  # layer 0 untouched
    assert not torch.allclose(cache["blocks.1.out"], cache_full["blocks.1.out"], atol=1e-4)


@given(seed=seeds, T=st.integers(1, 7), norm=st.sampled_from(["pre", "post", "none"]),
       score=st.sampled_from(sorted(tl.SCORE_FUNCTIONS)), n_layers=st.integers(1, 2))
@settings(max_examples=15)
def test_tiny_transformer_without_positions_is_permutation_equivariant(seed, T, norm, score, n_layers):
    cfg = tl.ModelConfig(d_model=16, n_heads=2, d_ff=16, positional="none", causal=False,
                         norm=norm, score=score, n_layers=n_layers)
    model = tl.build_model(cfg, seed=seed % 1000)
    x = tokens(seed, 2, T, 16)
    perm = torch.randperm(T, generator=torch.Generator().manual_seed(seed))
    logits, cache = model(x, return_cache=True)
    logits_p, cache_p = model(x[:, perm], return_cache=True)
    close(logits_p, logits[:, perm])
    w, w_p = cache["blocks.0.attn.weights"], cache_p["blocks.0.attn.weights"]
    close(w_p, w[:, :, perm][..., perm])


def test_positions_break_permutation_equivariance():
    model = tl.build_model(tl.ModelConfig(positional="sinusoidal"))
    x = torch.tensor([[1, 2, 3, 4, 5]])
    perm = torch.tensor([4, 3, 2, 1, 0])
    assert not torch.allclose(model(x[:, perm]), model(x)[:, perm], atol=1e-3)


@given(seed=seeds, T=st.integers(2, 8), t=st.integers(0, 7), positional=st.sampled_from(sorted(tl.POSITIONAL_SCHEMES)),
       norm=st.sampled_from(["pre", "post"]))
@settings(max_examples=15)
def test_causal_tiny_transformer_output_at_t_ignores_later_tokens(seed, T, t, positional, norm):
    t = t % T
    model = tl.build_model(tl.ModelConfig(causal=True, n_layers=2, positional=positional, norm=norm), seed=seed % 1000)
    x = tokens(seed, 3, T, 16)
    y = x.clone()
    y[:, t + 1:] = tokens(seed + 1, 3, T - t - 1, 16)  # new future tokens
    lx, cx = model(x, return_cache=True)
    ly, cy = model(y, return_cache=True)
    assert torch.equal(lx[:, : t + 1], ly[:, : t + 1])
    assert torch.equal(cx["blocks.1.out"][:, : t + 1], cy["blocks.1.out"][:, : t + 1])
    assert torch.all(cx["blocks.0.attn.weights"].triu(diagonal=1) == 0)


@given(seed=seeds, lengths=st.lists(st.integers(1, 6), min_size=1, max_size=3), causal=st.booleans())
@settings(max_examples=15)
def test_padding_tokens_do_not_change_real_positions(seed, lengths, causal):
    """With a key mask, whatever sits in the padding cannot reach the real tokens' outputs."""
    T = 6
    model = tl.build_model(tl.ModelConfig(causal=causal, n_layers=2), seed=seed % 1000)
    key_mask = tl.padding_mask(lengths, T)
    x = tokens(seed, len(lengths), T, 16)
    y = torch.where(key_mask, x, tokens(seed + 1, len(lengths), T, 16))
    lx, ly = model(x, key_mask=key_mask), model(y, key_mask=key_mask)
    close(lx[key_mask], ly[key_mask])
    _, cache = model(x, key_mask=key_mask, return_cache=True)
    assert torch.all(cache["blocks.0.attn.weights"].masked_select(~key_mask[:, None, None, :]) == 0)
