"""Positional schemes: the sinusoidal closed form and its relative-position property, the seam."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import randn
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl


@given(max_len=st.integers(1, 40), half=st.integers(1, 16), base=st.sampled_from([10.0, 100.0, 10000.0]))
def test_sinusoidal_encoding_matches_closed_form(max_len, half, base):
    d = 2 * half
    pe = tl.sinusoidal_encoding(max_len, d, base)
    assert pe.shape == (max_len, d) and pe.dtype == torch.float32
    ref = torch.empty(max_len, d, dtype=torch.float64)
    for pos in range(max_len):
        for i in range(half):
            angle = pos / base ** (2 * i / d)
            ref[pos, 2 * i] = math.sin(angle)
            ref[pos, 2 * i + 1] = math.cos(angle)
    torch.testing.assert_close(pe, ref.float(), atol=1e-6, rtol=0)


def test_sinusoidal_row_zero_and_range():
    pe = tl.sinusoidal_encoding(50, 16)
    assert pe[0, 0::2].eq(0).all() and pe[0, 1::2].eq(1).all()
    assert pe.abs().max() <= 1.0
    # each (sin, cos) pair lies on the unit circle
    torch.testing.assert_close(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, torch.ones(50, 8), atol=1e-6, rtol=0)


@given(p=st.integers(0, 30), k=st.integers(0, 30))
def test_sinusoidal_shift_is_a_rotation_depending_only_on_the_offset(p, k):
    """PE[p + k] = R(k) PE[p] pair by pair (Vaswani et al. §3.5): so PE[p]·PE[p+k] depends on k only."""
    d = 16
    pe = tl.sinusoidal_encoding(64, d).double()
    inv_freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)  # (D/2,)
    c, s = torch.cos(k * inv_freq), torch.sin(k * inv_freq)
    sin_p, cos_p = pe[p, 0::2], pe[p, 1::2]
    rotated = torch.stack([sin_p * c + cos_p * s, cos_p * c - sin_p * s], dim=-1).reshape(d)
    torch.testing.assert_close(rotated, pe[p + k], atol=1e-5, rtol=0)
    torch.testing.assert_close(pe[p] @ pe[p + k], pe[0] @ pe[k], atol=1e-5, rtol=0)


def test_sinusoidal_positional_adds_the_table_and_has_no_state():
    scheme = tl.SinusoidalPositional(8, 10)
    x = randn(1, 2, 6, 8)
    torch.testing.assert_close(scheme.add_to_input(x), x + tl.sinusoidal_encoding(10, 8)[:6], atol=0, rtol=0)
    assert list(scheme.parameters()) == [] and scheme.state_dict() == {}
    q, k = randn(2, 2, 3, 6, 4), randn(3, 2, 3, 6, 4)
    assert scheme.rotate_qk(q, k) == (q, k) and scheme.score_bias(6, 6) is None


def test_learned_positional_is_a_parameter_table():
    scheme = tl.LearnedPositional(8, 10)
    assert [n for n, _ in scheme.named_parameters()] == ["table"]
    assert scheme.table.shape == (10, 8)
    assert scheme.table.std() < 0.1  # N(0, 0.02^2)
    x = randn(1, 2, 4, 8)
    torch.testing.assert_close(scheme.add_to_input(x), x + scheme.table[:4], atol=0, rtol=0)
    scheme.add_to_input(x).sum().backward()
    assert torch.all(scheme.table.grad[:4] == 2) and torch.all(scheme.table.grad[4:] == 0)


def test_no_positional_does_nothing():
    scheme = tl.NoPositional()
    x, q, k = randn(1, 2, 5, 8), randn(2, 2, 3, 5, 4), randn(3, 2, 3, 5, 4)
    assert scheme.add_to_input(x) is x
    assert scheme.rotate_qk(q, k) == (q, k)
    assert scheme.score_bias(5, 5) is None
    assert isinstance(scheme, tl.PositionalScheme)


@pytest.mark.parametrize("name,cls", [("none", tl.NoPositional), ("sinusoidal", tl.SinusoidalPositional),
                                      ("learned", tl.LearnedPositional)])
def test_make_positional_builds_each_scheme(name, cls):
    assert tl.POSITIONAL_SCHEMES[name] is cls
    scheme = tl.make_positional(name, d_model=8, max_len=12, n_heads=2, head_dim=4)
    assert isinstance(scheme, cls) and scheme.name == name
    assert scheme.add_to_input(torch.zeros(1, 12, 8)).shape == (1, 12, 8)
