"""Positional schemes behind one seam, in the three families of x-transformers.

Taught in ``notebooks/07_sinusoidal_pe.ipynb`` and ``notebooks/08_other_pe.ipynb``.

Every scheme is a :class:`PositionalScheme` and changes at most these three things:

- ``add_to_input(x)``: added to the token embeddings (sinusoidal, learned absolute);
- ``rotate_qk(q, k)``: applied to queries and keys per head (RoPE);
- ``score_bias(T, S)``: added to the scores, ``(H, T, S)`` (ALiBi, T5, Shaw).

The base class does nothing, so "no positional encoding" (NoPE) is an object, not an ``if``.

Shape legend: B batch, H heads, T query positions, S key positions, D model width, Dh head width.
"""

from __future__ import annotations

from .absolute import LearnedPositional, SinusoidalPositional, sinusoidal_encoding
from .absolute import (  # notebook 07
    pe_dot_products,
    relative_shift_matrix,
    sinusoidal_frequencies,
    sinusoidal_wavelengths,
)
from .base import NoPositional, PositionalScheme, TablePositional, _check_sizes
from .bias import (
    ALIBI_FORMS,
    AlibiPositional,
    ShawRelativePositional,
    T5RelativeBias,
    alibi_bias,
    alibi_slopes,
    clipped_relative_positions,
    relative_positions,
    shaw_relative_scores,
    t5_relative_bucket,
)
from .naive import IndexPositional, NormalizedPositional, alternating_direction, index_positions, normalized_positions
from .rotary import (
    ROPE_LAYOUTS,
    RotaryPositional,
    apply_rope,
    rope_angles,
    rope_decay_bound,
    rope_frequencies,
    rope_permutation,
    rope_relative_scores,
    rotate_half,
)

__all__ = [
    "PositionalScheme",
    "NoPositional",
    "TablePositional",
    "SinusoidalPositional",
    "LearnedPositional",
    "sinusoidal_encoding",
    "sinusoidal_frequencies",  # notebook 07: the wavelengths, M_k and the dot products
    "sinusoidal_wavelengths",
    "relative_shift_matrix",
    "pe_dot_products",
    "POSITIONAL_SCHEMES",
    "make_positional",
    # notebook 08: the naive codes, RoPE, and the score biases
    "NormalizedPositional",
    "IndexPositional",
    "alternating_direction",
    "normalized_positions",
    "index_positions",
    "RotaryPositional",
    "ROPE_LAYOUTS",
    "rope_frequencies",
    "rope_angles",
    "rotate_half",
    "apply_rope",
    "rope_permutation",
    "rope_relative_scores",
    "rope_decay_bound",
    "AlibiPositional",
    "ALIBI_FORMS",
    "alibi_slopes",
    "alibi_bias",
    "relative_positions",
    "T5RelativeBias",
    "t5_relative_bucket",
    "ShawRelativePositional",
    "clipped_relative_positions",
    "shaw_relative_scores",
]

# name -> scheme class; ModelConfig.positional accepts exactly these names.
POSITIONAL_SCHEMES: dict[str, type[PositionalScheme]] = {
    "none": NoPositional,
    "sinusoidal": SinusoidalPositional,
    "learned": LearnedPositional,
    "normalized": NormalizedPositional,  # notebook 08
    "index": IndexPositional,  # notebook 08
    "shaw": ShawRelativePositional,  # notebook 08
    "t5": T5RelativeBias,  # notebook 08
    "rope": RotaryPositional,  # notebook 08
    "alibi": AlibiPositional,  # notebook 08
}


def make_positional(name: str, *, d_model: int, max_len: int, n_heads: int, head_dim: int) -> PositionalScheme:
    """Build a scheme by name; each class's ``build`` takes the sizes it needs (all must be ints >= 1)."""
    if name not in POSITIONAL_SCHEMES:
        raise ValueError(f"positional must be one of {sorted(POSITIONAL_SCHEMES)}, got {name!r}")
    _check_sizes(d_model=d_model, max_len=max_len, n_heads=n_heads, head_dim=head_dim)
    return POSITIONAL_SCHEMES[name].build(d_model=d_model, max_len=max_len, n_heads=n_heads, head_dim=head_dim)
