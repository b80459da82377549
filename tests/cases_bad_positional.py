"""Bad inputs to the positional schemes exported by ``transformer_lab``: the base class and NoPE, the
learned table, the naive codes, RoPE, ALiBi, T5 and Shaw (the sinusoidal table and ``make_positional``
are in ``cases_bad_core.py``).

Constructors: non-int or too small sizes, an odd RoPE width, a bad base, form or flag. Hooks
(``add_to_input``, ``rotate_qk``, ``score_bias``): a non-tensor, an integer tensor, the wrong ndim or
width, a length that is not an int or is negative. Rows of :class:`badcase.Bad`, checked by
``test_bad_inputs.py``; ``bad`` says in words what is wrong.
"""

from __future__ import annotations

import torch

import transformer_lab as tl
from badcase import Bad


def r(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def long(*shape, value=0):
    return torch.full(shape, value, dtype=torch.long)


SIZES = dict(d_model=8, max_len=4, n_heads=2, head_dim=4)

CASES = [
    # the base class and NoPE: the hooks do nothing, but they check what they are given
    Bad('PositionalScheme.build', 'd_model', 'base build d_model 0',
        lambda: tl.PositionalScheme.build(**{**SIZES, 'd_model': 0}), ValueError, r'must be >= 1'),
    Bad('PositionalScheme.build', 'head_dim', 'base build head_dim float',
        lambda: tl.PositionalScheme.build(**{**SIZES, 'head_dim': 4.0}), TypeError, r'must be an int'),
    Bad('PositionalScheme.score_bias', 'T', 'base score_bias T float',
        lambda: tl.PositionalScheme().score_bias(2.0, 2), TypeError, r'must be an int'),
    Bad('NoPositional.add_to_input', 'x', 'nope x list',
        lambda: tl.NoPositional().add_to_input([[1.0]]), TypeError, r'must be a torch\.Tensor'),
    Bad('NoPositional.rotate_qk', 'k', 'nope k int',
        lambda: tl.NoPositional().rotate_qk(r(1, 2, 3, 4), long(1, 2, 3, 4)), TypeError, r'floating-point'),
    Bad('NoPositional.score_bias', 'S', 'nope score_bias S -1',
        lambda: tl.NoPositional().score_bias(3, -1), ValueError, r'must be >= 0'),
    Bad('NoPositional.build', 'max_len', 'nope build max_len 0',
        lambda: tl.NoPositional.build(**{**SIZES, 'max_len': 0}), ValueError, r'must be >= 1'),
    # the learned table (its length limit is in cases_bad_core.py)
    Bad('LearnedPositional', 'd_model', 'learned d_model 0',
        lambda: tl.LearnedPositional(0, 4), ValueError, r'must be >= 1'),
    Bad('LearnedPositional', 'max_len', 'learned max_len float',
        lambda: tl.LearnedPositional(8, 4.0), TypeError, r'must be an int'),
    Bad('LearnedPositional.add_to_input', 'x', 'learned x int',
        lambda: tl.LearnedPositional(8, 4).add_to_input(long(1, 3, 8)), TypeError, r'floating-point'),
    # the naive codes
    Bad('NormalizedPositional', 'd_model', 'normalized d_model 1',
        lambda: tl.NormalizedPositional(1), ValueError, r'must be >= 2'),
    Bad('NormalizedPositional.add_to_input', 'x', 'normalized x width',
        lambda: tl.NormalizedPositional(4).add_to_input(r(1, 3, 6)), ValueError, r'must have width D = 4'),
    Bad('IndexPositional', 'd_model', 'index d_model float',
        lambda: tl.IndexPositional(4.0), TypeError, r'must be an int'),
    Bad('IndexPositional.add_to_input', 'x', 'index x list',
        lambda: tl.IndexPositional(4).add_to_input([[[0.0] * 4]]), TypeError, r'must be a torch\.Tensor'),
    Bad('IndexPositional.add_to_input', 'x', 'index x 4-D',
        lambda: tl.IndexPositional(4).add_to_input(r(1, 2, 3, 4)), ValueError, r'must have 3 dims'),
    # RoPE
    Bad('RotaryPositional', 'head_dim', 'rope odd head_dim',
        lambda: tl.RotaryPositional(5), ValueError, r'must be even \(RoPE rotates pairs'),
    Bad('RotaryPositional', 'head_dim', 'rope head_dim 0',
        lambda: tl.RotaryPositional(0), ValueError, r'must be >= 2'),
    Bad('RotaryPositional', 'base', 'rope base 1',
        lambda: tl.RotaryPositional(4, base=1.0), ValueError, r'must be > 1'),
    Bad('RotaryPositional', 'base', 'rope base inf',
        lambda: tl.RotaryPositional(4, base=float('inf')), ValueError, r'finite number > 1'),
    Bad('RotaryPositional', 'base', 'rope base str',
        lambda: tl.RotaryPositional(4, base='1e4'), TypeError, r'must be a number'),
    Bad('RotaryPositional', 'layout', 'rope layout',
        lambda: tl.RotaryPositional(4, layout='neox'), ValueError, r"must be one of \('interleaved', 'half'\)"),
    Bad('RotaryPositional.rotate_qk', 'q', 'rope q 3-D',
        lambda: tl.RotaryPositional(4).rotate_qk(r(2, 3, 4), r(2, 3, 4)), ValueError, r'must have 4 dims'),
    Bad('RotaryPositional.rotate_qk', 'k', 'rope k width',
        lambda: tl.RotaryPositional(4).rotate_qk(r(1, 2, 3, 4), r(1, 2, 3, 6)), ValueError, r'with Dh = 4'),
    Bad('RotaryPositional.rotate_qk', 'q', 'rope q int',
        lambda: tl.RotaryPositional(4).rotate_qk(long(1, 2, 3, 4), r(1, 2, 3, 4)), TypeError, r'floating-point'),
    # ALiBi
    Bad('AlibiPositional', 'n_heads', 'alibi n_heads 0',
        lambda: tl.AlibiPositional(0), ValueError, r'must be >= 1'),
    Bad('AlibiPositional', 'form', 'alibi form',
        lambda: tl.AlibiPositional(2, form='encoder'), ValueError, r"must be one of \('bidirectional', 'causal'"),
    Bad('AlibiPositional.score_bias', 'T', 'alibi score_bias T float',
        lambda: tl.AlibiPositional(2).score_bias(3.0, 3), TypeError, r'must be an int'),
    Bad('AlibiPositional.score_bias', 'S', 'alibi score_bias S -1',
        lambda: tl.AlibiPositional(2).score_bias(3, -1), ValueError, r'must be >= 0'),
    Bad('AlibiPositional.rotate_qk', 'q', 'alibi q list',
        lambda: tl.AlibiPositional(2).rotate_qk([0.0], r(1, 2, 3, 4)), TypeError, r'must be a torch\.Tensor'),
    # T5
    Bad('T5RelativeBias', 'n_heads', 't5 n_heads float',
        lambda: tl.T5RelativeBias(2.0), TypeError, r'must be an int'),
    Bad('T5RelativeBias', 'num_buckets', 't5 odd num_buckets',
        lambda: tl.T5RelativeBias(2, num_buckets=7), ValueError, r'must be even and >= 4'),
    Bad('T5RelativeBias', 'max_distance', 't5 max_distance inside the exact range',
        lambda: tl.T5RelativeBias(2, num_buckets=32, max_distance=8), ValueError, r"> num_buckets' exact range 8"),
    Bad('T5RelativeBias', 'bidirectional', 't5 bidirectional str',
        lambda: tl.T5RelativeBias(2, bidirectional='yes'), TypeError, r'must be a bool'),
    Bad('T5RelativeBias.buckets', 'T', 't5 buckets T float',
        lambda: tl.T5RelativeBias(2).buckets(2.5, 3), TypeError, r'must be an int'),
    Bad('T5RelativeBias.score_bias', 'S', 't5 score_bias S -2',
        lambda: tl.T5RelativeBias(2).score_bias(3, -2), ValueError, r'must be >= 0'),
    # Shaw et al.
    Bad('ShawRelativePositional', 'n_heads', 'shaw n_heads 0',
        lambda: tl.ShawRelativePositional(0), ValueError, r'must be >= 1'),
    Bad('ShawRelativePositional', 'max_distance', 'shaw max_distance -1',
        lambda: tl.ShawRelativePositional(2, max_distance=-1), ValueError, r'must be >= 0'),
    Bad('ShawRelativePositional', 'max_distance', 'shaw max_distance float',
        lambda: tl.ShawRelativePositional(2, max_distance=2.0), TypeError, r'must be an int'),
    Bad('ShawRelativePositional.score_bias', 'T', 'shaw score_bias T str',
        lambda: tl.ShawRelativePositional(2).score_bias('4', 4), TypeError, r'must be an int'),
    Bad('ShawRelativePositional.add_to_input', 'x', 'shaw x int',
        lambda: tl.ShawRelativePositional(2).add_to_input(long(1, 3, 8)), TypeError, r'floating-point'),
]
