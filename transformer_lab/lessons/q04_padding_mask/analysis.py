"""What masking padding does with each fill, and the attention that leaks past a fill that is too small.

Taught in ``notebooks/04_padding_mask.ipynb``. The mask builders live in :mod:`transformer_lab.masks`;
this module measures what happens when a mask is applied the way plain PyTorch code applies it:

- a **fill** (``-inf``, ``-1e9``, ``-1e4``, ``-1000`` or the dtype's minimum) either *set* over the
  masked scores (``scores.masked_fill(~keep, fill)``, "置为负无穷") or *added* to them (an additive
  mask, the ``(1 - mask) * -10000.0`` of BERT-era code and the float ``attn_mask`` of PyTorch);
- the attention mass that **leaks** onto masked keys when the fill is not negative enough compared
  with the scores (:func:`leak_sweep`).

What a fully masked row becomes is measured in :mod:`.fully_masked`; padding invariance, the loss
and the pooling in :mod:`.invariance`.

Vaswani et al. 2017 (arXiv:1706.03762, §3.2.3) mask "by setting to −∞" the inputs of the softmax;
BERT's reference code (Devlin et al. 2018, arXiv:1810.04805) adds -10000 instead. Both are fills;
this lesson shows where each one holds.

Shape legend: T query positions, S key positions.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ..._checks import broadcast_shapes, check_choice, check_int, check_mask, check_number, check_tensor
from ...randomness import make_generator

__all__ = [
    "FILLS",
    "DTYPES",
    "FORMS",
    "BEHAVIOURS",
    "fill_value",
    "apply_fill",
    "plain_masked_softmax",
    "leaked_mass",
    "classify_row",
    "leak_sweep",
]

FILLS = ("-inf", "-1e9", "-1e4", "-1000", "dtype min")
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
FORMS = ("add", "set")
BEHAVIOURS = ("NaN", "zeros", "uniform", "as if unmasked", "distorted")
_NAMED = {"-inf": float("-inf"), "-1e9": -1e9, "-1e4": -1e4, "-1000": -1000.0}


def _check_fills(fills, dtype: torch.dtype = torch.float32) -> None:
    """A non-empty sequence of fills, each one :func:`fill_value` accepts."""
    if isinstance(fills, str) or not isinstance(fills, Sequence) or not fills:
        raise TypeError(f"fills must be a non-empty sequence of fills (e.g. {FILLS}), got {fills!r}")
    for f in fills:
        fill_value(f, dtype)


def _check_dtype(dtype) -> torch.dtype:
    """One of the dtypes of :data:`DTYPES` (the ones the lesson compares)."""
    if dtype not in DTYPES.values():
        raise TypeError(f"dtype must be one of {list(DTYPES.values())}, got {dtype!r}")
    return dtype


def fill_value(fill, dtype: torch.dtype = torch.float32) -> float:
    """The number behind a fill: a name in :data:`FILLS` or a negative number (``-inf`` allowed).

    ``"dtype min"`` is ``torch.finfo(dtype).min`` (-65504 in float16). Whether ``dtype`` can hold
    the value is *not* checked here: :func:`apply_fill` shows what PyTorch does when it cannot.
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    if isinstance(fill, str) and fill not in FILLS:
        raise ValueError(f"fill must be one of {FILLS} or a negative number, got {fill!r}")
    if not isinstance(fill, str) and (isinstance(fill, bool) or not isinstance(fill, (int, float))):
        raise TypeError(f"fill must be a name in {FILLS} or a number, got {type(fill).__name__} {fill!r}")
    if not isinstance(fill, str) and (math.isnan(fill) or fill >= 0):
        raise ValueError(f"fill must be negative (a large negative number or -inf), got {float(fill)}")
    if fill == "dtype min":
        return float(torch.finfo(dtype).min)
    return _NAMED[fill] if isinstance(fill, str) else float(fill)


def apply_fill(scores: torch.Tensor, keep: torch.Tensor, fill, form: str = "add") -> torch.Tensor:
    """Mask ``scores (..., T, S)`` with ``keep`` (True = take part) the way plain code does, unguarded.

    ``form="set"``: ``scores.masked_fill(~keep, fill)``, every masked score *replaced* by the fill.
    PyTorch refuses a fill the dtype cannot hold (``-1e9`` in float16); that error is re-raised as
    ``ValueError`` naming the fill and the dtype.

    ``form="add"``: ``scores + additive`` with the additive mask (0 where kept, ``fill`` where masked)
    built in float32 and cast to the scores' dtype, as under autocast. Nothing is refused: ``-1e9``
    silently becomes ``-inf`` in float16, and the sum can overflow to ``-inf`` too (float16's minimum
    plus a score below -16). The result is in the scores' dtype.
    """
    check_tensor("scores", scores, floating=True)
    check_mask("keep", keep)
    check_choice("form", form, FORMS)
    try:
        broadcast_shapes(keep.shape, scores.shape)
    except RuntimeError as e:
        raise ValueError(
            f"keep of shape {tuple(keep.shape)} does not broadcast to the scores' shape {tuple(scores.shape)}"
        ) from e
    value = fill_value(fill, scores.dtype)
    if form == "set":
        try:
            return scores.masked_fill(~keep, value)  # (..., T, S)
        except RuntimeError as e:  # PyTorch's own refusal, re-raised with the fill and the dtype named
            raise ValueError(
                f"fill={value:g} overflows {scores.dtype} (its minimum is {torch.finfo(scores.dtype).min:g}): "
                f"masked_fill refuses it ({e}); use -inf or torch.finfo(dtype).min"
            ) from e
    additive = torch.where(keep, 0.0, value).to(scores.dtype)  # built in float32, cast: -1e9 -> -inf in fp16
    return scores + additive  # (..., T, S)


def plain_masked_softmax(scores: torch.Tensor, keep: torch.Tensor, fill, form: str = "add") -> torch.Tensor:
    """``softmax(apply_fill(scores, keep, fill, form))`` with no guard, in the scores' dtype.

    The textbook one-liner: a fully masked row comes out NaN (``-inf`` fill) or uniform (a finite
    fill set over every score). Compare :func:`transformer_lab.masked_softmax`, which returns zeros.
    """
    return torch.softmax(apply_fill(scores, keep, fill, form), dim=-1)  # (..., T, S)


def leaked_mass(weights: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Attention mass on masked keys, per row: ``(..., T)``; 0 for a correct mask.

    ``weights (..., T, S)`` are softmax rows; ``keep`` broadcasts to them (True = take part). A NaN
    row gives NaN (the leak is undefined there), so a NaN is never mistaken for "no leak".
    """
    check_tensor("weights", weights, floating=True)
    check_mask("keep", keep)
    if weights.dim() < 2:
        raise ValueError(f"weights must have shape (..., T, S), got shape {tuple(weights.shape)}")
    try:
        keep = keep.expand_as(weights)  # (..., T, S)
    except RuntimeError as e:
        raise ValueError(
            f"keep of shape {tuple(keep.shape)} does not broadcast to the weights' shape {tuple(weights.shape)}"
        ) from e
    return (weights.float() * (~keep)).sum(dim=-1)  # (..., T)


def classify_row(weights: torch.Tensor, unmasked: torch.Tensor | None = None, atol: float = 1e-3) -> str:
    """Name what one attention row ``(S,)`` is: one of :data:`BEHAVIOURS`.

    ``"NaN"`` if any entry is NaN; ``"zeros"`` if every weight is 0; ``"uniform"`` if every weight
    is 1/S within ``atol``; ``"as if unmasked"`` if it matches ``unmasked`` (the same row without a
    mask) within ``10 * atol``; ``"distorted"`` otherwise (a softmax of something else, e.g. the
    scores rounded to the precision of a large fill).
    """
    check_tensor("weights", weights, ndim=1, floating=True)
    if unmasked is not None:
        check_tensor("unmasked", unmasked, ndim=1, floating=True)
        if unmasked.shape != weights.shape:
            raise ValueError(f"unmasked must have the weights' shape {tuple(weights.shape)}, got {tuple(unmasked.shape)}")
    check_number("atol", atol, above=0)
    w = weights.double()  # (S,)
    if torch.isnan(w).any():
        return "NaN"
    if (w == 0).all():
        return "zeros"
    if (w - 1.0 / w.numel()).abs().max() <= atol:
        return "uniform"
    if unmasked is not None and (w - unmasked.double()).abs().max() <= 10 * atol:
        return "as if unmasked"
    return "distorted"


# --- leaks as the scores grow --------------------------------------------------------------------

def leak_sweep(
    sigmas: Sequence[float],
    fills: Sequence = ("-1000", "-1e4", "-1e9", "-inf", "dtype min"),
    form: str = "add",
    n_queries: int = 256,
    n_keys: int = 16,
    n_pad: int = 4,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    reduce: str = "max",
) -> dict[str, list[float]]:
    """Leaked mass onto ``n_pad`` pad keys as the scores' spread ``sigma`` grows.

    Scores are ``sigma * z`` with ``z`` i.i.d. N(0, 1), ``(n_queries, n_keys)``, the last ``n_pad``
    keys padding; the pad keys' raw scores are drawn like the others (nothing stops a pad key from
    scoring high). Returns ``{fill: [leaked mass, one per sigma]}``, the worst row's
    (``reduce="max"``) or the mean over rows (``"mean"``), plus
    ``"gap"``: the largest amount by which a pad key's raw score beats the best real key's, per sigma.
    An additive fill ``f`` starts to leak once that gap approaches ``|f|``: the softmax only sees
    ``score + f``. Every ``sigma`` must keep the scores within the range of ``dtype``.
    """
    if isinstance(sigmas, (str, bytes)) or not isinstance(sigmas, Sequence) or not sigmas:
        raise TypeError(f"sigmas must be a non-empty sequence of positive numbers, got {sigmas!r}")
    if any(isinstance(s, bool) or not isinstance(s, (int, float)) or not s > 0 for s in sigmas):
        raise ValueError(f"sigmas must be positive numbers, got {list(sigmas)}")
    check_choice("form", form, FORMS)
    check_int("n_queries", n_queries)
    check_int("n_keys", n_keys, minimum=2)
    check_int("n_pad", n_pad)
    if n_pad >= n_keys:
        raise ValueError(f"n_pad must be < n_keys={n_keys} (at least one real key), got {n_pad}")
    _check_dtype(dtype)
    if reduce not in ("max", "mean"):
        raise ValueError(f"reduce must be 'max' or 'mean', got {reduce!r}")
    _check_fills(fills, dtype)
    check_int("seed", seed, minimum=0)
    z = torch.randn(n_queries, n_keys, generator=make_generator(seed))  # (T, S)
    too_wide = [s for s in sigmas if not torch.isfinite((s * z).to(dtype)).all()]
    if too_wide:  # sigma is checked against the draw it scales
        raise ValueError(f"sigma={too_wide[0]:g} gives scores beyond the range of {dtype}; choose smaller sigmas")
    keep = torch.ones(n_keys, dtype=torch.bool)
    keep[n_keys - n_pad:] = False  # (S,): right padding
    out: dict[str, list[float]] = {str(f): [] for f in fills}
    out["gap"] = []
    for sigma in sigmas:
        raw = sigma * z  # (T, S) float32
        scores = raw.to(dtype)  # (T, S)
        out["gap"].append((raw[:, ~keep].max(-1).values - raw[:, keep].max(-1).values).max().item())
        for f in fills:
            weights = plain_masked_softmax(scores, keep, f, form)  # (T, S)
            rows = leaked_mass(weights, keep)  # (T,)
            out[str(f)].append((rows.max() if reduce == "max" else rows.mean()).item())
    return out
