"""Sinusoidal encoding (notebook 07): frequencies, the shift matrix M_k, dot products, separation,
and what projections and permutations do."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from conftest import randn
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl
from transformer_lab.lessons.q07_sinusoidal_pe import analysis as sn
from transformer_lab.positional.absolute import (
    pe_dot_products,
    relative_shift_matrix,
    sinusoidal_frequencies,
    sinusoidal_wavelengths,
)


@pytest.mark.parametrize("d,base", [(2, 10000.0), (16, 100.0), (512, 10000.0)])
def test_frequencies_and_wavelengths_are_geometric(d, base):
    w = sinusoidal_frequencies(d, base)
    assert w.shape == (d // 2,) and w.dtype == torch.float64 and w[0] == 1.0
    if d > 2:
        torch.testing.assert_close(w[1:] / w[:-1], torch.full((d // 2 - 1,), base ** (-2 / d), dtype=torch.float64))
    lam = sinusoidal_wavelengths(d, base)
    assert lam[0] == pytest.approx(2 * math.pi)
    assert lam[-1] == pytest.approx(2 * math.pi * base ** ((d - 2) / d))
    assert lam[-1] < 2 * math.pi * base  # the progression stops one step short of base·2π
    # the table uses exactly these frequencies: dimension 2i is sin(pos·ω_i)
    pe = tl.sinusoidal_encoding(7, d, base).double()
    torch.testing.assert_close(pe[:, 0::2], torch.sin(torch.arange(7.0, dtype=torch.float64)[:, None] * w),
                               atol=1e-6, rtol=0)


@given(half=st.integers(1, 32), base=st.sampled_from([10.0, 1000.0, 10000.0]), k=st.integers(-20, 20))
def test_relative_shift_identity_for_every_position(half, base, k):
    """PE(pos + k) = M_k · PE(pos) for all pos with both positions in the table, M_k from k alone."""
    d = 2 * half
    pe = tl.sinusoidal_encoding(60, d, base).double()  # (L, D)
    M = relative_shift_matrix(k, d, base)  # (D, D)
    lo, hi = max(0, -k), min(60, 60 - k)
    torch.testing.assert_close(pe[lo:hi] @ M.T, pe[lo + k:hi + k], atol=1e-5, rtol=0)


def test_shift_matrix_is_a_block_diagonal_rotation():
    d = 12
    M3, M5 = relative_shift_matrix(3, d), relative_shift_matrix(5, d)
    torch.testing.assert_close(M3 @ M3.T, torch.eye(d, dtype=torch.float64))  # orthogonal
    torch.testing.assert_close(relative_shift_matrix(-3, d), M3.T)  # M_{-k} = M_kᵀ
    torch.testing.assert_close(M3 @ M5, relative_shift_matrix(8, d))  # M_a M_b = M_{a+b}
    torch.testing.assert_close(relative_shift_matrix(0, d), torch.eye(d, dtype=torch.float64))
    off_block = M3.clone()
    for i in range(0, d, 2):
        off_block[i:i + 2, i:i + 2] = 0
    assert off_block.abs().max() == 0  # nothing outside the 2×2 blocks
    assert not torch.allclose(M3, M3.T)  # a rotation, not a symmetric map: M_k carries the sign of k


@pytest.mark.parametrize("d,base", [(8, 10000.0), (64, 10000.0), (32, 100.0)])
def test_dot_products_depend_on_the_offset_only_and_not_its_sign(d, base):
    L = 40
    G = pe_dot_products(L, d, base)
    pe = tl.sinusoidal_encoding(L, d, base).double()
    torch.testing.assert_close(G, pe @ pe.T, atol=1e-5, rtol=0)
    w = sinusoidal_frequencies(d, base)
    for i, j in [(0, 0), (3, 17), (17, 3), (39, 0)]:
        assert G[i, j].item() == pytest.approx(torch.cos((j - i) * w).sum().item(), abs=1e-9)  # Σ cos(kω)
    torch.testing.assert_close(G, G.T)  # no direction
    torch.testing.assert_close(torch.diagonal(G), torch.full((L,), d / 2, dtype=torch.float64))
    for k in range(-L + 1, L):  # constant along every diagonal (Toeplitz)
        diag = torch.diagonal(G, offset=k)
        assert (diag - diag[0]).abs().max() < 1e-9
    assert sn.offset_only_fraction(G) == pytest.approx(1.0)
    assert sn.asymmetry(G) == pytest.approx(0.0, abs=1e-12)


def test_offset_profile_and_its_first_rise():
    prof = sn.offset_profile(60, 64)
    torch.testing.assert_close(prof, pe_dot_products(61, 64)[0], atol=1e-9, rtol=0)
    torch.testing.assert_close(prof[:40], pe_dot_products(61, 64)[20, 20:60], atol=1e-9, rtol=0)  # any start pos
    assert sn.first_rise(torch.tensor([3.0, 2.0, 1.0])) is None
    assert sn.first_rise(torch.tensor([3.0, 2.0, 2.5, 1.0])) == 2
    assert sn.first_rise(torch.tensor([1.0])) is None
    # not monotonic: the product falls, then rises again at these offsets
    assert sn.first_rise(sn.offset_profile(200, 512)) == 44
    assert sn.first_rise(sn.offset_profile(200, 128)) == 12
    r = sn.first_rise(sn.offset_profile(200, 512))
    p = sn.offset_profile(200, 512)
    assert (p[1:r] < p[: r - 1]).all() and p[r] > p[r - 1]


def test_separation_grows_with_the_leading_dims_and_agrees_with_brute_force():
    L, d = 30, 32
    sep = sn.separation_by_leading_dims(L, d)
    assert sep.shape == (d,) and (sep[1:] >= sep[:-1] - 1e-12).all()
    pe = tl.sinusoidal_encoding(L, d).double()
    for n in (1, 2, 5, d):
        brute = min((pe[i, :n] - pe[j, :n]).norm().item() for i, j in itertools.combinations(range(L), 2))
        assert sep[n - 1].item() == pytest.approx(brute, abs=1e-9)
    assert sn.min_pairwise_distance(pe) == pytest.approx(sep[-1].item(), abs=1e-9)
    for threshold in (0.01, 0.1, 0.5, 1.0, 1.5):
        first = next((n for n in range(1, d + 1) if sep[n - 1] >= threshold), None)
        assert sn.leading_dims_to_separate(L, d, threshold) == first
    assert sn.leading_dims_to_separate(L, d, 100.0) is None


def test_the_notes_length_50_example():
    """50 positions, d = 128: two dims already give 50 distinct points, a few give a safe margin."""
    sep = sn.separation_by_leading_dims(50, 128)
    assert 0.015 < sep[1].item() < 0.02  # sin/cos of pos: 44 radians is 0.018 short of 7 turns
    assert sn.leading_dims_to_separate(50, 128, 0.5) <= 8
    assert sn.leading_dims_to_separate(50, 128, 0.5) < 60


def test_projections_destroy_the_offset_structure():
    raw, proj = sn.projected_pe_scores(48, 64, head_dim=16, seed=0)
    assert raw.shape == proj.shape == (48, 48)
    assert sn.offset_only_fraction(raw) == pytest.approx(1.0) and sn.asymmetry(raw) < 1e-9
    assert sn.offset_only_fraction(proj) < 0.5
    assert sn.asymmetry(proj) > 0.3
    raw2, proj2 = sn.projected_pe_scores(48, 64, head_dim=16, seed=0)
    torch.testing.assert_close(proj, proj2)  # seeded


def test_offset_only_fraction_and_asymmetry_on_known_matrices():
    T = 10
    i = torch.arange(T, dtype=torch.float64)
    toeplitz = torch.sin(i[None, :] - i[:, None])
    assert sn.offset_only_fraction(toeplitz) == pytest.approx(1.0)
    assert sn.asymmetry(toeplitz) == pytest.approx(2.0)  # antisymmetric: ‖S - Sᵀ‖ = 2‖S‖
    noise = randn(4, 30, 30, dtype=torch.float64)  # diagonal means of noise explain ~ (2T-1)/T² of it
    assert sn.offset_only_fraction(noise) < 0.15
    assert sn.offset_only_fraction(torch.ones(T, T)) == 1.0
    assert sn.asymmetry(torch.zeros(T, T)) == 0.0


def test_attention_without_positions_is_permutation_equivariant_and_with_them_is_not():
    torch.manual_seed(0)
    mha = tl.MultiHeadAttention(16, 2)
    x = randn(1, 2, 7, 16)
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    out, _ = mha(x)
    out_perm, _ = mha(x[:, perm])
    torch.testing.assert_close(out_perm, out[:, perm], atol=1e-6, rtol=0)
    for positional, equivariant in (("none", True), ("sinusoidal", False)):
        model = tl.build_model(tl.ModelConfig(vocab_size=12, d_model=16, n_heads=2, max_len=7, positional=positional), 0)
        tokens = torch.randint(0, 12, (2, 7))
        same = torch.allclose(model(tokens[:, perm]), model(tokens)[:, perm], atol=1e-5)
        assert same is equivariant
