"""Bad inputs to the positional schemes exported by ``transformer_lab``: the base class and NoPE, the
learned table, the naive codes, RoPE, ALiBi, T5 and Shaw (the sinusoidal table and ``make_positional``
are in ``cases_bad_core.py``); and to the helper functions of ``transformer_lab.positional`` that
notebooks 07 and 08 import by name (``positional.rope_frequencies``, ``positional.alibi_bias``, ...).

Constructors: non-int or too small sizes, an odd RoPE width, a bad base, form or flag. Hooks
(``add_to_input``, ``rotate_qk``, ``score_bias``): a non-tensor, an integer tensor, the wrong ndim or
width, a length that is not an int or is negative. Rows of :class:`badcase.Bad`, checked by
``test_bad_inputs.py``; ``bad`` says in words what is wrong.
"""

from __future__ import annotations

import torch

import transformer_lab as tl
from badcase import Bad
from transformer_lab import positional as pe


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
    # the sinusoidal helpers of transformer_lab.positional (the table itself is in cases_bad_core.py), and
    # the table base class
    Bad('positional.sinusoidal_frequencies', 'd_model', 'frequencies odd d_model',
        lambda: pe.sinusoidal_frequencies(7), ValueError, r'must be even'),
    Bad('positional.sinusoidal_frequencies', 'base', 'frequencies base str',
        lambda: pe.sinusoidal_frequencies(8, "10000"), TypeError, r'must be a number > 1'),
    Bad('positional.sinusoidal_wavelengths', 'base', 'wavelengths base 1',
        lambda: pe.sinusoidal_wavelengths(8, 1.0), ValueError, r'must be > 1'),
    Bad('positional.relative_shift_matrix', 'd_model', 'shift odd d_model',
        lambda: pe.relative_shift_matrix(1, 9), ValueError, r'must be even'),
    Bad('positional.relative_shift_matrix', 'k', 'shift k float',
        lambda: pe.relative_shift_matrix(1.5, 8), TypeError, r'must be an int offset'),
    Bad('positional.pe_dot_products', 'd_model', 'dots odd d_model',
        lambda: pe.pe_dot_products(4, 3), ValueError, r'must be even'),
    Bad('positional.pe_dot_products', 'max_len', 'dots max_len 0',
        lambda: pe.pe_dot_products(0, 8), ValueError, r'must be >= 1'),
    Bad('positional.TablePositional.add_to_input', 'x', 'table x list',
        lambda: pe.TablePositional.add_to_input(tl.LearnedPositional(8, 4), [[0.0]]), TypeError, r'must be a torch\.Tensor'),
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
    Bad('IndexPositional.add_to_input', 'x', 'index x width',
        lambda: tl.IndexPositional(4).add_to_input(r(1, 3, 5)), ValueError, r'must have width D = 4'),
    Bad('NormalizedPositional.add_to_input', 'x', 'normalized x 2-D',
        lambda: tl.NormalizedPositional(4).add_to_input(r(3, 4)), ValueError, r'must have 3 dims'),
    Bad('positional.alternating_direction', 'd_model', 'alternating d_model 1',
        lambda: pe.alternating_direction(1), ValueError, r'must be >= 2'),
    Bad('positional.normalized_positions', 'T', 'normalized T 0',
        lambda: pe.normalized_positions(0), ValueError, r'must be >= 1'),
    Bad('positional.index_positions', 'T', 'index T float',
        lambda: pe.index_positions(2.0), TypeError, r'must be an int'),
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
    Bad('RotaryPositional.rotate_qk', 'q', 'rope q width',
        lambda: tl.RotaryPositional(4).rotate_qk(r(1, 2, 3, 6), r(1, 2, 3, 6)), ValueError, r'with Dh = 4'),
    Bad('positional.rope_frequencies', 'head_dim', 'frequencies odd head_dim',
        lambda: pe.rope_frequencies(7), ValueError, r'must be even'),
    Bad('positional.rope_frequencies', 'head_dim', 'frequencies head_dim float',
        lambda: pe.rope_frequencies(8.0), TypeError, r'must be an int'),
    Bad('positional.rope_frequencies', 'base', 'frequencies base 1',
        lambda: pe.rope_frequencies(8, 1.0), ValueError, r'must be > 1'),
    Bad('positional.rope_frequencies', 'base', 'frequencies base str',
        lambda: pe.rope_frequencies(8, "big"), TypeError, r'must be a number'),
    Bad('positional.apply_rope', 'layout', 'apply layout',
        lambda: pe.apply_rope(r(3, 4), layout="llama"), ValueError, r"must be one of \('interleaved', 'half'\)"),
    Bad('positional.apply_rope', 'x', 'apply x int',
        lambda: pe.apply_rope(long(3, 4)), TypeError, r'floating-point'),
    Bad('positional.apply_rope', 'x', 'apply x 1-D',
        lambda: pe.apply_rope(r(4)), ValueError, r'\(\.\.\., T, Dh\)'),
    Bad('positional.apply_rope', 'positions', 'apply one position short',
        lambda: pe.apply_rope(r(3, 4), torch.arange(4)), ValueError, r'one position per row.*T = 3'),
    Bad('positional.rope_angles', 'positions', 'angles list',
        lambda: pe.rope_angles([0, 1], 4), TypeError, r'must be a torch\.Tensor'),
    Bad('positional.rotate_half', 'x', 'rotate odd width',
        lambda: pe.rotate_half(r(3)), ValueError, r'even last dim'),
    Bad('positional.rope_permutation', 'head_dim', 'permutation odd head_dim',
        lambda: pe.rope_permutation(5), ValueError, r'must be even'),
    Bad('positional.rope_relative_scores', 'q', 'relative q, k shapes differ',
        lambda: pe.rope_relative_scores(r(4), r(6), torch.arange(3)), ValueError, r'the same shape'),
    Bad('positional.rope_decay_bound', 'distances', 'decay distances list',
        lambda: pe.rope_decay_bound([1, 2], 8), TypeError, r'must be a torch\.Tensor'),
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
    Bad('positional.alibi_slopes', 'n_heads', 'slopes n_heads 0',
        lambda: pe.alibi_slopes(0), ValueError, r'must be >= 1'),
    Bad('positional.alibi_bias', 'form', 'bias form',
        lambda: pe.alibi_bias(3, 3, pe.alibi_slopes(2), "encoder"), ValueError, r"must be one of \('bidirectional'"),
    Bad('positional.alibi_bias', 'slopes', 'bias slopes list',
        lambda: pe.alibi_bias(3, 3, [0.5]), TypeError, r'must be a torch\.Tensor'),
    Bad('positional.alibi_bias', 'T', 'bias T 0',
        lambda: pe.alibi_bias(0, 3, pe.alibi_slopes(2)), ValueError, r'must be >= 1'),
    Bad('positional.relative_positions', 'S', 'relative S float',
        lambda: pe.relative_positions(2, 3.0), TypeError, r'must be an int'),
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
    Bad('T5RelativeBias', 'n_heads', 't5 n_heads 0',
        lambda: tl.T5RelativeBias(0), ValueError, r'must be >= 1'),
    Bad('positional.t5_relative_bucket', 'relative_position', 'bucket float offsets',
        lambda: pe.t5_relative_bucket(torch.tensor([1.0])), TypeError, r'must hold integers'),
    Bad('positional.t5_relative_bucket', 'num_buckets', 'bucket odd num_buckets',
        lambda: pe.t5_relative_bucket(torch.tensor([1]), num_buckets=7), ValueError, r'must be even and >= 4'),
    Bad('positional.t5_relative_bucket', 'max_distance', 'bucket max_distance inside the exact range',
        lambda: pe.t5_relative_bucket(torch.tensor([1]), num_buckets=32, max_distance=8), ValueError,
        r"> num_buckets' exact range 8"),
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
    Bad('positional.clipped_relative_positions', 'max_distance', 'clipped max_distance -1',
        lambda: pe.clipped_relative_positions(3, 3, -1), ValueError, r'must be >= 0'),
    Bad('positional.shaw_relative_scores', 'rel_k', 'shaw rel_k rows',
        lambda: pe.shaw_relative_scores(r(3, 4), r(3, 4), r(4, 4), 2), ValueError, r'\(2k\+1, Dh\) = \(5, 4\)'),
    Bad('positional.shaw_relative_scores', 'k', 'shaw q, k widths differ',
        lambda: pe.shaw_relative_scores(r(3, 4), r(3, 5), r(5, 4), 2), ValueError, r'must have shapes'),
]
