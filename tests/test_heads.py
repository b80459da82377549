"""The head-layout analysis (notebooks 01 and 05) against closed forms, PyTorch's own counters and
hand-built cases; every bad input names the argument."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl
from transformer_lab.lessons.q01_multi_head import analysis as heads01
from transformer_lab.lessons import q05_head_dim as heads05


def tiny_model(n_heads=2, n_layers=1, task=None, seed=0):
    task = task or tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)
    cfg = tl.ModelConfig(vocab_size=task.vocab_size, n_out=task.n_out, d_model=8, n_heads=n_heads, n_layers=n_layers,
                         d_ff=0, positional="learned", max_len=task.seq_len)
    return tl.build_model(cfg, seed), task


# --- cost -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("d_model,n_heads,head_dim", [(16, 1, None), (16, 4, None), (16, 4, 16), (12, 3, 5), (8, 8, None)])
@pytest.mark.parametrize("bias", [True, False])
def test_head_cost_matches_the_module_and_flop_counter(d_model, n_heads, head_dim, bias):
    mha = tl.MultiHeadAttention(d_model, n_heads, head_dim=head_dim, bias=bias)
    x = torch.randn(3, 5, d_model)
    cost = heads05.head_cost(d_model, n_heads, 5, head_dim=head_dim, batch=3, bias=bias)
    assert cost.params == sum(p.numel() for p in mha.parameters())
    assert cost.flops == heads05.matmul_flops(lambda: mha(x))
    assert cost.flops == cost.flops_attention + cost.flops_linear
    assert cost.softmax_entries == 3 * n_heads * 25


def test_split_heads_cost_is_constant_and_full_width_grows_h_fold():
    split = [heads05.head_cost(64, h, 32) for h in (1, 2, 4, 8, 16, 32, 64)]
    full = [heads05.head_cost(64, h, 32, head_dim=64) for h in (1, 2, 4, 8, 16, 32, 64)]
    assert len({c.params for c in split}) == 1 and len({c.flops for c in split}) == 1
    assert split[0].params == 4 * 64 * 64 + 4 * 64 and split[0].flops == 8 * 32 * 64**2 + 4 * 32**2 * 64
    for c_split, c_full in zip(split, full):
        assert c_full.flops == c_split.n_heads * c_split.flops
        assert c_full.softmax_entries == c_split.softmax_entries  # h·n² either way
    assert math.isclose(split[0].flops_attention / split[0].flops_linear, 32 / (2 * 64))


# --- rank -----------------------------------------------------------------------------------------

def test_head_scores_are_what_the_layer_softmaxes():
    mha = tl.MultiHeadAttention(16, 4)
    x, ctx = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    _, weights = mha(x, ctx)
    torch.testing.assert_close(torch.softmax(heads05.mha_head_scores(mha, x, ctx), dim=-1), weights)
    assert heads05.mha_head_scores(mha, x).shape == (2, 4, 5, 5)


@given(d_model=st.sampled_from([8, 16, 32]), log_h=st.integers(0, 3), n=st.integers(2, 20), seed=st.integers(0, 50))
def test_score_rank_is_min_of_head_width_and_length(d_model, log_h, n, seed):
    """Rank ≤ d_k always; a random layer on a random input reaches min(d_k, n) (Bhojanapalli et al.)."""
    h = min(2**log_h, d_model)
    torch.manual_seed(seed)
    mha = tl.MultiHeadAttention(d_model, h)
    scores = heads05.mha_head_scores(mha, torch.randn(1, n, d_model))  # float32
    assert (heads05.score_rank(scores) == min(d_model // h, n)).all()
    sv = heads05.score_spectrum(scores)
    assert sv.shape == (1, h, n) and sv.dtype == torch.float64
    assert torch.all(sv[..., :-1] >= sv[..., 1:])  # largest first


def test_score_rank_of_known_matrices():
    a, b = torch.randn(6, 2, dtype=torch.float64), torch.randn(2, 6, dtype=torch.float64)
    assert int(heads05.score_rank(a @ b)) == 2
    assert int(heads05.score_rank(torch.eye(5))) == 5
    assert int(heads05.score_rank(torch.zeros(3, 3))) == 0


# --- what the heads read ----------------------------------------------------------------------------

def test_js_divergence_bounds_and_symmetry():
    p = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    q = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.3, 0.2]])
    js = heads01.js_divergence(p, q)
    assert math.isclose(js[0].item(), math.log(2), rel_tol=1e-6)  # disjoint: ln 2
    torch.testing.assert_close(js, heads01.js_divergence(q, p))
    assert heads01.js_divergence(p, p).abs().max() < 1e-7
    with pytest.raises(ValueError, match=r"p and q must have the same shape"):
        heads01.js_divergence(p, q[:1])


def _weights(rows):
    """(H, S) rows -> (B=1, H, T=1, S) weights."""
    return torch.tensor(rows, dtype=torch.float32)[None, :, None, :]


def test_head_diversity_of_identical_and_disjoint_heads():
    same = heads01.head_diversity(_weights([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]]))
    assert same["mean"] < 1e-6 and same["pairwise"].shape == (2, 2)
    apart = heads01.head_diversity(_weights([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    assert math.isclose(apart["mean"], math.log(2), rel_tol=1e-5)
    assert math.isclose(heads01.head_diversity(_weights([[1.0, 0.0], [0.0, 1.0]]), metric="cosine")["mean"], 1.0)
    w = torch.softmax(torch.randn(2, 3, 4, 4), -1)
    last = heads01.head_diversity(w, query=-1)["pairwise"]
    torch.testing.assert_close(last, heads01.head_diversity(w[:, :, 3:], query=None)["pairwise"])


def test_relation_mass_and_argmax_mode_fraction():
    w = torch.zeros(4, 2, 3, 3)
    w[:, 0, -1, 1] = 1.0  # head 0 always reads key 1 (a fixed position)
    keys = torch.tensor([0, 2, 1, 2])
    w[torch.arange(4), 1, -1, keys] = 1.0  # head 1 reads a key that moves with the input
    torch.testing.assert_close(heads01.relation_mass(w, keys), torch.tensor([0.25, 1.0]))
    torch.testing.assert_close(heads01.relation_mass(w, torch.ones(4, dtype=torch.long)), torch.tensor([1.0, 0.25]))
    torch.testing.assert_close(heads01.argmax_mode_fraction(w), torch.tensor([1.0, 0.5]))


# --- ablation ----------------------------------------------------------------------------------------

def test_ablating_a_head_equals_zeroing_its_values():
    """head_mask 0 on head h = the same model with head h's slice of W_V and b_V set to 0."""
    model, task = tiny_model(n_heads=2, n_layers=2)
    tokens, targets = task.batch(64, seed=1)
    model.train()
    ab = heads01.ablate_heads(model, tokens, targets)
    assert model.training  # left in the mode it was in
    assert ab["accuracy"].shape == ab["loss"].shape == (2, 2)
    assert math.isclose(ab["baseline"]["accuracy"], tl.evaluate(model, task, 64, seed=1)["accuracy"])
    layer, head, dh = 1, 1, 4
    with torch.no_grad():
        v = model.blocks[layer].attn.v_proj
        v.weight[head * dh:(head + 1) * dh] = 0
        v.bias[head * dh:(head + 1) * dh] = 0
    assert math.isclose(tl.evaluate(model, task, 64, seed=1)["loss"], ab["loss"][layer, head].item(), rel_tol=1e-5)


# --- low-rank bottleneck -------------------------------------------------------------------------------

def test_patterns_are_attention_weights():
    p = heads05.random_attention_pattern(6, seed=3)
    torch.testing.assert_close(p.sum(-1), torch.ones(6, dtype=torch.float64))
    assert int(torch.linalg.matrix_rank(torch.log(p))) == 6  # full-rank log-pattern
    perm = heads05.permutation_pattern(5, seed=1)
    assert torch.equal(perm.sum(0), torch.ones(5, dtype=torch.float64)) and set(perm.flatten().tolist()) == {0.0, 1.0}


def test_fit_reaches_a_generic_pattern_only_from_n_minus_1():
    n = 5
    fit = heads05.fit_attention_pattern(heads05.random_attention_pattern(n, seed=0), list(range(1, n + 1)), steps=200)
    kl = fit["kl"]
    assert all(a > b for a, b in zip(kl[: n - 2], kl[1 : n - 1]))
    assert min(kl[: n - 2]) > 0.01 and max(kl[n - 2 :]) < 1e-3
    assert all(r <= d for r, d in zip(fit["rank"], fit["d_k"])) and fit["fitted"].shape == (n, n, n)
    one_hot = heads05.fit_attention_pattern(heads05.permutation_pattern(n, seed=0), [2], steps=200)
    assert one_hot["kl"][0] < 0.01  # an argmax pattern needs little rank


def test_batched_fits_are_independent():
    target = heads05.random_attention_pattern(4, seed=2)
    both = heads05.fit_attention_pattern(target, [1, 3], steps=50)
    alone = heads05.fit_attention_pattern(target, [3], steps=50)
    assert math.isclose(both["kl"][1], alone["kl"][0], rel_tol=1e-9, abs_tol=1e-12)


# --- batched fits and the exact floor of d_k = 1 -------------------------------------------------------------

def test_batched_targets_are_the_single_fits():
    """Target i of fit_attention_patterns is fit_attention_pattern(targets[i], seed=seeds[i])."""
    targets = torch.stack([heads05.random_attention_pattern(4, seed=2), heads05.permutation_pattern(4, seed=5)])
    both = heads05.fit_attention_patterns(targets, [1, 3], [2, 5], steps=40)
    for i, s in enumerate((2, 5)):
        alone = heads05.fit_attention_pattern(targets[i], [1, 3], steps=40, seed=s)
        assert both["kl"][i] == pytest.approx(alone["kl"], rel=1e-9, abs=1e-12)
        assert both["rank"][i] == alone["rank"]
    assert both["fitted"].shape == (2, 2, 4, 4)


def test_one_key_floor_is_reached_by_no_rank_one_head():
    """(n-2)/n · ln 2: no d_k = 1 fit of a permutation goes below it, and d_k = 2 does."""
    n = 6
    bound = heads05.one_key_kl_bound(n)
    assert bound == pytest.approx(4 / 6 * math.log(2))
    fit = heads05.fit_attention_patterns(torch.stack([heads05.permutation_pattern(n, seed=s) for s in range(3)]), [1, 2],
                                       [0, 1, 2], steps=300)
    assert all(row[0] >= bound - 1e-9 for row in fit["kl"])
    assert all(row[1] < bound / 10 for row in fit["kl"])


def test_mean_curve_accuracy_is_the_mean_of_each_seeds_curve():
    task = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)
    cfg = tl.ModelConfig(vocab_size=task.vocab_size, n_out=task.n_out, d_model=8, n_heads=2, d_ff=0,
                         positional="learned", max_len=task.seq_len)
    runs = tl.train_seeds(cfg, task, (0, 1), tl.TrainConfig(steps=6, batch_size=8, eval_every=3, eval_size=32))
    assert math.isclose(heads05.mean_curve_accuracy(runs.histories),
                        sum(sum(h.eval_accuracy) / 2 for h in runs.histories) / 2)
    with pytest.raises(ValueError, match=r"histories must hold at least one History"):
        heads05.mean_curve_accuracy([])


# --- the task ----------------------------------------------------------------------------------------------

def test_recall_and_previous_task_worked_example_and_relations():
    task = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)
    tokens = torch.tensor([[6, 2, 10, 12]])  # the docstring's example
    assert task.token_labels(tokens[0]) == ["C0", "A2", "D1", "A?"]
    rel = task.relation_positions(tokens)
    assert rel["found"].tolist() == [1] and rel["previous"].tolist() == [2]
    tokens, targets = task.batch(256, seed=0)
    assert tokens.shape == targets.shape == (256, 4) and (targets[:, :-1] == tl.IGNORE).all()
    rel = task.relation_positions(tokens)
    assert (rel["found"] != rel["previous"]).all()  # the two relations point at different items
    found_value = tokens.gather(1, rel["found"][:, None])[:, 0] % 3
    previous_value = tokens[:, 2] % 3
    assert torch.equal(targets[:, -1], found_value * 3 + previous_value)
    query_key = tokens[:, -1] - 12
    assert torch.equal(tokens.gather(1, rel["found"][:, None])[:, 0] // 3, query_key)
    assert task.vocab_size == 16 and task.n_out == 9 and task.seq_len == 4
