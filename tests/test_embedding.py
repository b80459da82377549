"""Embedding statistics (notebook 06): closed forms against PyTorch's initialisers and the model."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import transformer_lab as tl
from transformer_lab.lessons.q06_embedding_scale import analysis as emb


@pytest.mark.parametrize("V,D", [(16, 32), (1000, 64), (32000, 512)])
def test_init_variance_closed_forms(V, D):
    assert emb.init_variance("normal", V, D) == 1.0
    assert emb.init_variance("scaled_normal", V, D) == 1.0 / D
    assert emb.init_variance("xavier", V, D) == pytest.approx(2.0 / (V + D))
    # PyTorch's own fan computation for a (V, D) weight: fan_in = D, fan_out = V
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(V, D))
    assert (fan_in, fan_out) == (D, V)
    assert emb.init_variance("xavier", V, D) == pytest.approx(2.0 / (fan_in + fan_out))


def test_xavier_is_far_below_one_over_d_for_a_real_vocabulary():
    """The note says Xavier gives 1/d; for V = 32000, d = 512 it is about 16 times smaller."""
    ratio = (1 / 512) / emb.init_variance("xavier", 32000, 512)
    assert 15 < ratio < 33


@pytest.mark.parametrize("init", emb.EMBED_INITS)
def test_embedding_matrix_is_exactly_the_models_initial_embedding(init):
    cfg = tl.ModelConfig(vocab_size=50, d_model=16, n_heads=2, embed_init=init)
    for seed in (0, 3):
        torch.testing.assert_close(emb.embedding_matrix(init, 50, 16, seed), tl.build_model(cfg, seed).embed.weight.detach(),
                                   atol=0, rtol=0)


@pytest.mark.parametrize("init", emb.EMBED_INITS)
def test_measured_variance_matches_the_closed_form(init):
    w = emb.embedding_matrix(init, 2000, 64, seed=1)
    assert w.var().item() == pytest.approx(emb.init_variance(init, 2000, 64), rel=0.03)
    scaled = emb.embedding_stats(w, scale=True)
    assert scaled["variance"] == pytest.approx(emb.embedding_variance(init, 2000, 64, True), rel=0.03)
    assert emb.embedding_variance(init, 2000, 64, True) == pytest.approx(64 * emb.init_variance(init, 2000, 64))


def test_nn_embedding_default_is_standard_normal():
    w = nn.Embedding(4000, 32).weight.detach()
    assert w.mean().abs() < 0.02 and w.var().item() == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("D", [2, 16, 512])
def test_positional_norm_is_the_norm_of_every_row(D):
    pe = tl.sinusoidal_encoding(100, D).double()
    torch.testing.assert_close(pe.norm(dim=1), torch.full((100,), emb.positional_norm(D), dtype=torch.float64),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("init", emb.EMBED_INITS)
@pytest.mark.parametrize("scale", [False, True])
def test_norm_ratio_prediction_matches_measurement(init, scale):
    V, D = 3000, 128
    stats = emb.embedding_stats(emb.embedding_matrix(init, V, D, seed=2), scale=scale)
    assert stats["pe_norm"] == pytest.approx(math.sqrt(D / 2))
    assert stats["ratio"] == pytest.approx(emb.predicted_norm_ratio(init, V, D, scale), rel=0.03)
    assert stats["ratio"] == pytest.approx(stats["mean_norm"] / stats["pe_norm"])


def test_the_scale_balances_only_the_scaled_normal_init():
    D = 512
    assert emb.predicted_norm_ratio("scaled_normal", 32000, D, True) == pytest.approx(math.sqrt(2))
    assert emb.predicted_norm_ratio("normal", 32000, D, False) == pytest.approx(math.sqrt(2))
    assert emb.predicted_norm_ratio("normal", 32000, D, True) == pytest.approx(math.sqrt(2 * D))  # 32: drowned
    assert emb.predicted_norm_ratio("xavier", 32000, D, True) < 0.4


def test_sampled_rows_have_the_matrix_distribution_and_depend_on_the_seed_only():
    rows = emb.sample_token_embeddings("xavier", 32000, 64, n_tokens=4000, seed=5)
    assert rows.shape == (4000, 64)
    assert rows.var().item() == pytest.approx(2 / 32064, rel=0.03)
    torch.testing.assert_close(rows, emb.sample_token_embeddings("xavier", 32000, 64, n_tokens=4000, seed=5))
    scaled = emb.sample_token_embeddings("xavier", 32000, 64, n_tokens=4000, scale=True, seed=5)
    torch.testing.assert_close(scaled, rows * 8)


def test_model_input_is_scaled_embedding_plus_positions():
    cfg = tl.ModelConfig(vocab_size=20, d_model=16, n_heads=2, max_len=8, embed_init="scaled_normal", embed_scale=True)
    model = tl.build_model(cfg, 0)
    tokens = torch.randint(0, 20, (3, 8))
    _, cache = model(tokens, return_cache=True)
    expected = emb.embedding_matrix("scaled_normal", 20, 16, 0)[tokens] * 4 + tl.sinusoidal_encoding(8, 16)
    torch.testing.assert_close(cache["embed"], expected)


def test_tied_logits_under_the_default_init_are_huge_and_small_under_the_scaled_init():
    V, D = 512, 64
    big = emb.initial_logit_stats("normal", V, D, tie_weights=True)
    small = emb.initial_logit_stats("scaled_normal", V, D, tie_weights=True)
    untied = emb.initial_logit_stats("normal", V, D, tie_weights=False)
    assert big["logit_std"] == pytest.approx(big["predicted_std"], rel=0.25)  # √64 = 8
    assert small["logit_std"] == pytest.approx(small["predicted_std"], rel=0.25)  # 1
    assert untied["logit_std"] == pytest.approx(math.sqrt(1 / 3), rel=0.25)
    assert big["loss"] > 3 * big["log_vocab"]  # far worse than knowing nothing
    assert abs(small["loss"] - small["log_vocab"]) < 1.0
    assert big["copy_rate"] > 0.9  # a tied model with big embeddings predicts its input token
    # the ×√d scale acts on the input only: it does not change the size of the tied logits much
    assert emb.initial_logit_stats("scaled_normal", V, D, True, scale=True)["logit_std"] < 2.5


def test_first_step_of_adam_moves_the_scaled_input_root_d_times_faster():
    task = tl.ReverseTask(16, 8)
    cfg = dict(vocab_size=16, d_model=64, n_heads=1, d_ff=0, max_len=8)
    plain = emb.first_step_change(tl.ModelConfig(**cfg, embed_init="normal"), task, lr=1e-2)
    scaled = emb.first_step_change(tl.ModelConfig(**cfg, embed_init="scaled_normal", embed_scale=True), task, lr=1e-2)
    assert plain["rms_size"] == pytest.approx(scaled["rms_size"], rel=0.1)  # same input distribution
    assert plain["rms_change"] == pytest.approx(1e-2, rel=0.02)  # Adam's first step: ±lr per entry
    assert scaled["relative"] / plain["relative"] == pytest.approx(8, rel=0.1)  # √64


def test_reverse_task_worked_example_and_sizes():
    task = tl.ReverseTask(n_symbols=10, length=4)
    tokens, targets = task.batch(5, seed=3)
    assert tokens.shape == targets.shape == (5, 4) and task.vocab_size == task.n_out == 10 and task.seq_len == 4
    torch.testing.assert_close(targets, tokens.flip(1))
    assert tokens.min() >= 0 and tokens.max() < 10
    torch.testing.assert_close(task.batch(5, seed=3)[0], tokens)  # depends on the seed only
    with pytest.raises(ValueError, match=r"length must be >= 2, got 1"):
        tl.ReverseTask(length=1)
    with pytest.raises(ValueError, match=r"n_symbols must be >= 2, got 1"):
        tl.ReverseTask(n_symbols=1)
