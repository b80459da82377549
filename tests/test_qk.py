"""Tied vs separate W_Q, W_K (notebook 02): closed forms, properties, the self-mask, the two tasks."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import randn
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl
from transformer_lab.lessons import q02_qk_weights as qk

seeds = st.integers(0, 10_000)
d_ks = st.sampled_from([1, 2, 3, 4, 8, 16])


# --- scores: closed forms ----------------------------------------------------------------------

@given(seed=seeds, d_k=d_ks)
def test_tied_scores_are_x_w_wt_xt_symmetric_psd_of_rank_at_most_d_k(seed, d_k):
    x, w = randn(seed, 7, 12), randn(seed + 1, 12, d_k)
    s = qk.qk_scores(x, w)  # tied: w_k=None
    torch.testing.assert_close(s, x @ w @ w.T @ x.T / math.sqrt(d_k), rtol=1e-5, atol=1e-5)
    assert qk.asymmetry(s) < 1e-6
    eig = qk.symmetric_eigenvalues(s)
    assert eig.min() > -1e-5 * eig.abs().max()  # positive semidefinite
    assert int((eig.abs() > 1e-4 * eig.abs().max()).sum()) <= d_k  # rank <= d_k


@given(seed=seeds)
def test_untied_scores_are_the_bilinear_form_and_not_symmetric(seed):
    x, w_q, w_k = randn(seed, 6, 8), randn(seed + 1, 8, 4), randn(seed + 2, 8, 4)
    s = qk.qk_scores(x, w_q, w_k, scale=1.0)
    torch.testing.assert_close(s, (x @ w_q) @ (x @ w_k).T)
    torch.testing.assert_close(s, tl.bilinear_scores(x, x, w_q @ w_k.T), rtol=1e-4, atol=1e-4)
    assert qk.asymmetry(s) > 0.1


def test_a_shared_bias_keeps_the_gram_matrix_but_it_is_no_longer_x_w_wt_xt():
    x, w, b = randn(0, 6, 8), randn(1, 8, 4), randn(2, 4)
    s = qk.qk_scores(x, w, b_q=b, scale=1.0)  # tied layer with its bias: q = k = xW + b
    assert qk.asymmetry(s) < 1e-6 and qk.symmetric_eigenvalues(s).min() > -1e-4
    x1 = torch.cat([x, torch.ones(6, 1)], dim=1)  # (T, D+1): the augmented inputs [x, 1]
    w1 = torch.cat([w, b[None, :]], dim=0)  # (D+1, Dh)
    torch.testing.assert_close(s, x1 @ w1 @ w1.T @ x1.T, rtol=1e-5, atol=1e-4)
    assert (s - x @ w @ w.T @ x.T).abs().max() > 0.1
    s_sep = qk.qk_scores(x, w, w, b_q=b, b_k=-b, scale=1.0)  # one weight, two biases: not symmetric
    assert qk.asymmetry(s_sep) > 0.05


def test_project_qk_ties_weight_and_bias_like_one_shared_layer():
    x, w, b = randn(0, 5, 8), randn(1, 8, 4), randn(2, 4)
    q, k = qk.project_qk(x, w, b_q=b)
    torch.testing.assert_close(q, k)
    torch.testing.assert_close(q, x @ w + b)
    q2, k2 = qk.project_qk(x, w, w, b_q=b)  # shared weight, key without bias
    torch.testing.assert_close(k2, x @ w)


def test_tied_scores_match_multi_head_attention_with_share_qk():
    torch.manual_seed(3)
    mha = tl.MultiHeadAttention(8, 1, share_qk=True, bias=False)
    assert mha.q_proj is mha.k_proj
    x = randn(4, 1, 5, 8)  # (B, T, D)
    _, weights = mha(x)  # (B, H, T, T)
    s = qk.qk_scores(x[0], mha.q_proj.weight.T.detach())  # (T, T)
    torch.testing.assert_close(weights[0, 0].detach(), torch.softmax(s, dim=-1), rtol=1e-5, atol=1e-6)


def test_softmax_weights_of_symmetric_scores_are_symmetric_only_after_undoing_the_row_sums():
    s = qk.qk_scores(randn(0, 6, 8), randn(1, 8, 3))
    a = torch.softmax(s, dim=-1)
    assert qk.asymmetry(a) > 0.05
    z = torch.exp(s).sum(-1, keepdim=True)  # (T, 1) each row's normaliser
    torch.testing.assert_close(a * z, (a * z).T)  # A_ij Z_i = exp(S_ij) is symmetric


# --- self-preference ----------------------------------------------------------------------------

@given(seed=seeds, d_k=d_ks)
def test_cauchy_schwarz_self_beats_every_key_of_smaller_norm(seed, d_k):
    q = randn(seed, 9, d_k) * torch.rand(9, 1, generator=torch.Generator().manual_seed(seed)) * 3
    norms = q.norm(dim=-1)
    beats = qk.self_beats(q)
    assert beats[norms[:, None] >= norms[None, :]].all()


def test_the_diagonal_is_not_always_the_row_maximum():
    q = torch.tensor([[1.0, 0.0], [3.0, 0.5]])  # q1·q2 = 3 > q1·q1 = 1
    s = qk.qk_scores(q, torch.eye(2), scale=1.0)
    assert qk.self_argmax_rate(s) == 0.5
    assert qk.self_beats(q).tolist() == [[True, False], [True, True]]


@given(seed=seeds, d_k=d_ks)
def test_reformer_normalised_keys_make_every_token_its_own_top_key(seed, d_k):
    s = qk.qk_scores(randn(seed, 8, 6), randn(seed + 1, 6, d_k), normalize_keys=True)
    assert qk.self_argmax_rate(s) == 1.0


def test_self_argmax_rate_and_asymmetry_by_hand_and_batched():
    s = torch.tensor([[2.0, 1.0, 0.0], [3.0, 1.0, 0.0], [0.0, 0.0, 5.0]])
    assert qk.self_argmax_rate(s).item() == pytest.approx(2 / 3)
    anti = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    assert qk.asymmetry(anti).item() == pytest.approx(2.0)  # antisymmetric: the largest possible
    assert qk.asymmetry(torch.zeros(3, 3)).item() == 0.0
    batch = torch.stack([s, s.T @ s])
    assert qk.asymmetry(batch).shape == (2,) and qk.self_argmax_rate(batch).shape == (2,)


# --- symmetry: mutual top pairs ---------------------------------------------------------------

@given(seed=seeds, T=st.integers(2, 9))
def test_symmetric_scores_always_have_a_mutual_top_pair(seed, T):
    a = randn(seed, T, T)
    s = a + a.T  # any symmetric matrix, not only a Gram matrix
    assert qk.mutual_top_pairs(s, exclude_self=True) >= 1
    top = qk.top_keys(s, exclude_self=True)
    assert (top != torch.arange(T)).all()


def test_a_cycle_has_no_mutual_pair_but_needs_asymmetric_scores():
    cycle = torch.roll(torch.eye(4), 1, dims=1) * 5  # row i scores key i+1 highest
    assert qk.top_keys(cycle).tolist() == [1, 2, 3, 0]
    assert qk.mutual_top_pairs(cycle) == 0
    assert qk.asymmetry(cycle) > 1


def test_symmetric_eigenvalues_are_sorted_and_equal_eigvalsh_for_symmetric_input():
    a = randn(0, 5, 5)
    s = a @ a.T
    eig = qk.symmetric_eigenvalues(s)
    assert (eig[:-1] >= eig[1:]).all()
    torch.testing.assert_close(eig, torch.linalg.eigvalsh(s).flip(-1), rtol=1e-4, atol=1e-4)


def test_mass_on_reads_the_chosen_key_of_every_query():
    w = torch.tensor([[[0.5, 0.5], [0.25, 0.75]]])  # (B=1, T=2, S=2)
    assert qk.mass_on(w, torch.tensor([[1, 1]])).item() == pytest.approx(0.625)


def test_reorder_permutes_rows_and_columns_together():
    m = torch.arange(9.0).reshape(1, 3, 3)
    out = qk.reorder(m, torch.tensor([[2, 0, 1]]))
    assert out.tolist() == [[[8.0, 6.0, 7.0], [2.0, 0.0, 1.0], [5.0, 3.0, 4.0]]]
    assert torch.equal(qk.reorder(out, torch.tensor([[1, 2, 0]])), m)  # [2, 0, 1] undone by its inverse [1, 2, 0]


# --- inputs -------------------------------------------------------------------------------------

def test_qk_inputs_norms():
    D = 32
    eq = qk.qk_inputs("equal norms", 10, D)
    torch.testing.assert_close(eq.norm(dim=-1), torch.full((10,), math.sqrt(D)))
    spread = qk.qk_inputs("spread norms", 10, D).norm(dim=-1)
    assert spread.min() >= math.sqrt(D) / 4 - 1e-4 and spread.max() <= 4 * math.sqrt(D) + 1e-4
    assert spread.max() / spread.min() > 2
    pos = qk.qk_inputs("positions", 10, D)
    assert (pos[0] @ pos[1]) > (pos[0] @ pos[5])  # neighbouring positions are more alike
    torch.testing.assert_close(qk.qk_inputs("equal norms", 10, D, seed=3), qk.qk_inputs("equal norms", 10, D, seed=3))


# --- the model: the self mask and the scores of a trained head ---------------------------------

def _cfg(**kw):
    kw = {"positional": "none", **kw}
    return tl.ModelConfig(vocab_size=12, n_out=4, d_model=16, n_heads=2, d_ff=0, max_len=6, **kw)


@pytest.mark.parametrize("kw", [{}, {"share_qk": True}, {"share_qk": True, "mask_self": True},
                                {"mask_self": True, "causal": True}, {"positional": "sinusoidal", "norm": "post"}])
def test_head_scores_reproduce_the_model_attention_weights(kw):
    model = tl.build_model(_cfg(**kw), seed=1)
    tokens = torch.randint(0, 12, (3, 5), generator=torch.Generator().manual_seed(0))
    s = qk.model_head_scores(model, tokens)  # (B, H, T, T)
    _, cache = model(tokens, return_cache=True)
    T = tokens.shape[1]
    keep = torch.ones(T, T, dtype=torch.bool)
    if model.cfg.causal:
        keep &= tl.causal_mask(T)
    if model.cfg.mask_self:
        keep &= ~torch.eye(T, dtype=torch.bool)
    torch.testing.assert_close(tl.masked_softmax(s, keep), cache["blocks.0.attn.weights"].detach())
    if model.cfg.share_qk:
        assert qk.asymmetry(s).max() < 1e-5


def test_mask_self_zeroes_the_diagonal_and_is_off_by_default():
    tokens = torch.randint(0, 12, (2, 5), generator=torch.Generator().manual_seed(0))
    assert tl.ModelConfig().mask_self is False
    plain = tl.build_model(_cfg(), seed=0)
    masked = tl.build_model(_cfg(mask_self=True), seed=0)
    _, c_plain = plain(tokens, return_cache=True)
    _, c_masked = masked(tokens, return_cache=True)
    w_plain, w_masked = c_plain["blocks.0.attn.weights"], c_masked["blocks.0.attn.weights"]
    assert w_plain.diagonal(dim1=-2, dim2=-1).min() > 0
    assert (w_masked.diagonal(dim1=-2, dim2=-1) == 0).all()
    torch.testing.assert_close(w_masked.sum(-1), torch.ones(2, 2, 5))
    one = masked(tokens[:, :1])  # a single token has no other key: zeros, not NaN (Reformer's exception)
    assert torch.isfinite(one).all()


# --- tasks --------------------------------------------------------------------------------------

def test_cyclic_successor_worked_example_and_positions():
    task = tl.CyclicSuccessorTask(n_keys=4, n_values=3)
    tokens = torch.tensor([[6, 2, 10, 4]])
    assert task.key_positions(tokens, 1).tolist() == [[2, 3, 1, 0]]
    assert task.key_positions(tokens, -1).tolist() == [[3, 2, 0, 1]]
    assert task.key_positions(tokens, 0).tolist() == [[0, 1, 2, 3]]
    x, y = task.batch(64, 0)
    assert x.shape == y.shape == (64, 4) and task.vocab_size == 12 and task.n_out == 3
    succ_values = (x % 3).gather(1, task.key_positions(x, 1))
    assert torch.equal(succ_values, y)  # the target is the successor's value
    assert torch.equal((x // 3).sort(dim=1).values, torch.arange(4).expand(64, 4))  # every key once
    assert task.symmetric_ceiling == pytest.approx(3 / 4 + 1 / 12)


def test_partner_worked_example_and_positions():
    task = tl.PartnerTask(n_pairs=2, n_values=3)
    assert task.partner_positions(torch.tensor([[11, 1, 6, 4]])).tolist() == [[2, 3, 0, 1]]
    x, y = task.batch(64, 1)
    p = task.partner_positions(x)
    assert torch.equal((x % 3).gather(1, p), y)
    assert torch.equal(p.gather(1, p), torch.arange(4).expand(64, 4))  # a symmetric relation


def test_tasks_are_deterministic_given_the_seed():
    for task in (tl.CyclicSuccessorTask(), tl.PartnerTask()):
        a, b = task.batch(8, 5), task.batch(8, 5)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
