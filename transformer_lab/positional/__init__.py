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
from .base import NoPositional, PositionalScheme, TablePositional

__all__ = [
    "PositionalScheme",
    "NoPositional",
    "TablePositional",
    "SinusoidalPositional",
    "LearnedPositional",
    "sinusoidal_encoding",
    "POSITIONAL_SCHEMES",
    "make_positional",
]

# name -> scheme class; ModelConfig.positional accepts exactly these names.
POSITIONAL_SCHEMES: dict[str, type[PositionalScheme]] = {
    "none": NoPositional,
    "sinusoidal": SinusoidalPositional,
    "learned": LearnedPositional,
}


def make_positional(name: str, *, d_model: int, max_len: int, n_heads: int, head_dim: int) -> PositionalScheme:
    """Build a scheme by name; each class's ``build`` takes the sizes it needs."""
    if name not in POSITIONAL_SCHEMES:
        raise ValueError(f"positional must be one of {sorted(POSITIONAL_SCHEMES)}, got {name!r}")
    return POSITIONAL_SCHEMES[name].build(d_model=d_model, max_len=max_len, n_heads=n_heads, head_dim=head_dim)
