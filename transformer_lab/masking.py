"""What masking padding does, and every way it goes wrong: fills, leaks, dead rows, invariance.

Taught in ``notebooks/04_padding_mask.ipynb``. The mask builders live in :mod:`.masks`; this
module measures what happens when a mask is applied the way plain PyTorch code applies it:

- a **fill** (``-inf``, ``-1e9``, ``-1e4``, ``-1000`` or the dtype's minimum) either *set* over the
  masked scores (``scores.masked_fill(~keep, fill)``, "置为负无穷") or *added* to them (an additive
  mask, the ``(1 - mask) * -10000.0`` of BERT-era code and the float ``attn_mask`` of PyTorch);
- the attention mass that **leaks** onto masked keys when the fill is not negative enough compared
  with the scores;
- what a **fully masked row** becomes under each fill and each PyTorch API (NaN, zeros, uniform,
  or the unmasked attention);
- **padding invariance**: the outputs at real tokens must not depend on how much padding there is,
  nor on which side; and the loss and the pooling must ignore pads too.

Vaswani et al. 2017 (arXiv:1706.03762, §3.2.3) mask "by setting to −∞" the inputs of the softmax;
BERT's reference code (Devlin et al. 2018, arXiv:1810.04805) adds -10000 instead. Both are fills;
this module shows where each one holds.

Shape legend: B batch, T query positions, S key positions, D model width.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_positive_int, check_tensor
from .attention import masked_softmax
from .masks import _check_bool, padding_mask, to_additive
from .randomness import make_generator
from .tasks import IGNORE

__all__ = [
    "FILLS",
    "DTYPES",
    "FORMS",
    "BEHAVIOURS",
    "API_NAMES",
    "fill_value",
    "apply_fill",
    "plain_masked_softmax",
    "leaked_mass",
    "classify_row",
    "fully_masked_behaviour",
    "fully_masked_plain",
    "leak_sweep",
    "pad_sequences",
    "real_token_deviation",
    "padding_invariance",
    "ignore_padding",
    "masked_mean",
]

FILLS = ("-inf", "-1e9", "-1e4", "-1000", "dtype min")
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
FORMS = ("add", "set")
BEHAVIOURS = ("NaN", "zeros", "uniform", "as if unmasked", "distorted")
_NAMED = {"-inf": float("-inf"), "-1e9": -1e9, "-1e4": -1e4, "-1000": -1000.0}


def fill_value(fill, dtype: torch.dtype = torch.float32) -> float:
    """The number behind a fill: a name in :data:`FILLS` or a negative number (``-inf`` allowed).

    ``"dtype min"`` is ``torch.finfo(dtype).min`` (-65504 in float16). Whether ``dtype`` can hold
    the value is *not* checked here: :func:`apply_fill` shows what PyTorch does when it cannot.
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    if isinstance(fill, str):
        if fill == "dtype min":
            return float(torch.finfo(dtype).min)
        if fill not in _NAMED:
            raise ValueError(f"fill must be one of {FILLS} or a negative number, got {fill!r}")
        return _NAMED[fill]
    if isinstance(fill, bool) or not isinstance(fill, (int, float)):
        raise TypeError(f"fill must be a name in {FILLS} or a number, got {type(fill).__name__} {fill!r}")
    fill = float(fill)
    if math.isnan(fill) or fill >= 0:
        raise ValueError(f"fill must be negative (a large negative number or -inf), got {fill}")
    return fill


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
    _check_bool("keep", keep)
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    try:
        torch.broadcast_shapes(keep.shape, scores.shape)
    except RuntimeError as e:
        raise ValueError(
            f"keep of shape {tuple(keep.shape)} does not broadcast to the scores' shape {tuple(scores.shape)}"
        ) from e
    value = fill_value(fill, scores.dtype)
    if form == "set":
        try:
            return scores.masked_fill(~keep, value)  # (..., T, S)
        except RuntimeError as e:
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
    _check_bool("keep", keep)
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
    if isinstance(atol, bool) or not isinstance(atol, (int, float)):
        raise TypeError(f"atol must be a positive number, got {type(atol).__name__} {atol!r}")
    if not atol > 0:
        raise ValueError(f"atol must be a positive number, got {atol!r}")
    w = weights.double()
    if torch.isnan(w).any():
        return "NaN"
    if (w == 0).all():
        return "zeros"
    if (w - 1.0 / w.numel()).abs().max() <= atol:
        return "uniform"
    if unmasked is not None and (w - unmasked.double()).abs().max() <= 10 * atol:
        return "as if unmasked"
    return "distorted"


# --- fully masked rows, per API ------------------------------------------------------------------

API_NAMES = (
    "softmax + masked_fill (set)",
    "softmax + additive mask (add)",
    "tl.masked_softmax",
    "F.scaled_dot_product_attention",
    "nn.MultiheadAttention, need_weights=True",
    "nn.MultiheadAttention, need_weights=False",
)


def _identity_mha(q_weight: torch.Tensor, k_weight: torch.Tensor) -> nn.MultiheadAttention:
    """One head of width S, no biases, W_V = W_O = I: its output row *is* its weights row."""
    S = q_weight.shape[0]
    mha = nn.MultiheadAttention(S, 1, bias=False, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([q_weight, k_weight, torch.eye(S)]))  # (3S, S)
        mha.out_proj.weight.copy_(torch.eye(S))
    return mha


@torch.no_grad()
def fully_masked_behaviour(fills: Sequence = FILLS, n_keys: int = 4, seed: int = 0) -> dict[str, dict[str, str]]:
    """What a fully masked row becomes, for each API (rows) and each mask (columns).

    Columns: ``"bool"`` (a boolean mask in the API's own convention) and each fill of ``fills``
    (an additive float mask for the attention APIs; for the two plain one-liners the fill is set or
    added). Query 0 has every key masked; query 1 keeps keys 0 and 1 (a sanity row). Each API's
    weights are read from its output with values = the identity matrix (``output = weights @ I``),
    so the fused kernels, which return no weights, are classified too. Returns
    ``{api: {column: behaviour}}`` with a behaviour from :data:`BEHAVIOURS`, or ``"n/a"``.
    """
    check_positive_int("n_keys", n_keys, minimum=2)
    if isinstance(fills, str) or not isinstance(fills, Sequence) or not fills:
        raise TypeError(f"fills must be a non-empty sequence of fills (e.g. {FILLS}), got {fills!r}")
    for f in fills:
        fill_value(f)
    check_positive_int("seed", seed, minimum=0)
    S, T = n_keys, 2
    g = make_generator(seed)
    x_q = torch.randn(1, T, S, generator=g)  # (B=1, T, D=S) queries' inputs
    x_k = torch.randn(1, S, S, generator=g)  # (B=1, S, D=S) keys' inputs
    w_q = torch.randn(S, S, generator=g)  # (D, D)
    w_k = torch.randn(S, S, generator=g)  # (D, D)
    eye = torch.eye(S)[None]  # (1, S, S): values, so that output = weights
    q = (x_q @ w_q.T)[:, None]  # (1, 1, T, S): one head of width S
    k = (x_k @ w_k.T)[:, None]  # (1, 1, S, S)
    scores = q @ k.transpose(-2, -1) / math.sqrt(S)  # (1, 1, T, S)
    keep = torch.zeros(T, S, dtype=torch.bool)  # (T, S)
    keep[1, :2] = True  # query 0: no key at all; query 1: keys 0, 1
    mha = _identity_mha(w_q, w_k)

    def sdpa(mask):
        return F.scaled_dot_product_attention(q, k, eye[:, None], attn_mask=mask)[0, 0]  # (T, S)

    def torch_mha(mask, need_weights):
        out, _ = mha(x_q, x_k, eye, attn_mask=mask, need_weights=need_weights)  # (1, T, S)
        return out[0]

    reference = {  # each API without a mask
        API_NAMES[0]: torch.softmax(scores, -1)[0, 0],
        API_NAMES[1]: torch.softmax(scores, -1)[0, 0],
        API_NAMES[2]: masked_softmax(scores)[0, 0],
        API_NAMES[3]: sdpa(None),
        API_NAMES[4]: torch_mha(None, True),
        API_NAMES[5]: torch_mha(None, False),
    }
    table: dict[str, dict[str, str]] = {api: {} for api in API_NAMES}
    for column in ("bool", *fills):
        if column == "bool":
            runs = {
                API_NAMES[2]: lambda: masked_softmax(scores, keep)[0, 0],  # True = take part
                API_NAMES[3]: lambda: sdpa(keep),  # True = take part
                API_NAMES[4]: lambda: torch_mha(~keep, True),  # nn.MultiheadAttention: True = NOT allowed
                API_NAMES[5]: lambda: torch_mha(~keep, False),
            }
        else:
            additive = to_additive(keep, torch.float32, fill=fill_value(column, torch.float32))  # (T, S)
            runs = {
                API_NAMES[0]: lambda: plain_masked_softmax(scores, keep, column, "set")[0, 0],
                API_NAMES[1]: lambda: plain_masked_softmax(scores, keep, column, "add")[0, 0],
                API_NAMES[2]: lambda: masked_softmax(scores, additive)[0, 0],
                API_NAMES[3]: lambda: sdpa(additive),
                API_NAMES[4]: lambda: torch_mha(additive, True),
                API_NAMES[5]: lambda: torch_mha(additive, False),
            }
        for api in API_NAMES:
            if api not in runs:
                table[api][str(column)] = "n/a"
                continue
            weights = runs[api]()  # (T, S)
            assert not torch.isnan(weights[1]).any(), f"{api}: the partially masked sanity row is NaN"
            table[api][str(column)] = classify_row(weights[0], reference[api][0])
    return table


@torch.no_grad()
def fully_masked_plain(
    dtype: torch.dtype = torch.float32, shift: float = 0.0, fills: Sequence = FILLS, n_keys: int = 8, seed: int = 0
) -> dict[str, dict[str, str]]:
    """What the plain one-liners make of a fully masked row in ``dtype``: ``{form: {fill: behaviour}}``.

    Scores are N(0, 1) plus ``shift``, cast to ``dtype``; every key is masked. A behaviour is one of
    :data:`BEHAVIOURS`, or ``"raises"`` when ``masked_fill`` refuses the fill (``-1e9`` in float16).
    A negative ``shift`` shows float16's trap: its minimum *added* to a score below -16 rounds to -inf.
    """
    if dtype not in DTYPES.values():
        raise TypeError(f"dtype must be one of {list(DTYPES.values())}, got {dtype!r}")
    if isinstance(shift, bool) or not isinstance(shift, (int, float)):
        raise TypeError(f"shift must be a finite number, got {type(shift).__name__} {shift!r}")
    if not math.isfinite(shift):
        raise ValueError(f"shift must be a finite number, got {shift!r}")
    if isinstance(fills, str) or not isinstance(fills, Sequence) or not fills:
        raise TypeError(f"fills must be a non-empty sequence of fills (e.g. {FILLS}), got {fills!r}")
    for f in fills:
        fill_value(f, dtype)  # a bad fill is an error here, not a "raises" entry in the table
    check_positive_int("n_keys", n_keys, minimum=2)
    check_positive_int("seed", seed, minimum=0)
    scores = (torch.randn(n_keys, generator=make_generator(seed)) + shift).to(dtype)  # (S,)
    unmasked = torch.softmax(scores.float(), dim=-1)  # (S,)
    keep = torch.zeros(n_keys, dtype=torch.bool)  # (S,): no key at all
    table: dict[str, dict[str, str]] = {}
    for form in FORMS:
        table[form] = {}
        for f in fills:
            try:
                weights = plain_masked_softmax(scores, keep, f, form).float()  # (S,)
            except ValueError:
                table[form][str(f)] = "raises"
                continue
            table[form][str(f)] = classify_row(weights, unmasked)
    return table


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
    ``score + f``.
    """
    if isinstance(sigmas, (str, bytes)) or not isinstance(sigmas, Sequence) or not sigmas:
        raise TypeError(f"sigmas must be a non-empty sequence of positive numbers, got {sigmas!r}")
    if any(isinstance(s, bool) or not isinstance(s, (int, float)) or not s > 0 for s in sigmas):
        raise ValueError(f"sigmas must be positive numbers, got {list(sigmas)}")
    if isinstance(fills, str) or not isinstance(fills, Sequence) or not fills:
        raise TypeError(f"fills must be a non-empty sequence of fills (e.g. {FILLS}), got {fills!r}")
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    check_positive_int("n_queries", n_queries)
    check_positive_int("n_keys", n_keys, minimum=2)
    check_positive_int("n_pad", n_pad)
    if n_pad >= n_keys:
        raise ValueError(f"n_pad must be < n_keys={n_keys} (at least one real key), got {n_pad}")
    if dtype not in DTYPES.values():
        raise TypeError(f"dtype must be one of {list(DTYPES.values())}, got {dtype!r}")
    if reduce not in ("max", "mean"):
        raise ValueError(f"reduce must be 'max' or 'mean', got {reduce!r}")
    for f in fills:
        fill_value(f, dtype)
    check_positive_int("seed", seed, minimum=0)
    z = torch.randn(n_queries, n_keys, generator=make_generator(seed))  # (T, S)
    keep = torch.ones(n_keys, dtype=torch.bool)
    keep[n_keys - n_pad:] = False  # (S,): right padding
    out: dict[str, list[float]] = {str(f): [] for f in fills}
    out["gap"] = []
    for sigma in sigmas:
        raw = sigma * z  # (T, S) float32
        scores = raw.to(dtype)
        if not torch.isfinite(scores).all():
            raise ValueError(f"sigma={sigma:g} gives scores beyond the range of {dtype}; choose smaller sigmas")
        out["gap"].append((raw[:, ~keep].max(-1).values - raw[:, keep].max(-1).values).max().item())
        for f in fills:
            weights = plain_masked_softmax(scores, keep, f, form)  # (T, S)
            rows = leaked_mass(weights, keep)  # (T,)
            out[str(f)].append((rows.max() if reduce == "max" else rows.mean()).item())
    return out


# --- padding invariance ---------------------------------------------------------------------------

def _check_seqs(seqs) -> None:
    if isinstance(seqs, torch.Tensor) or not isinstance(seqs, Sequence) or not seqs:
        raise TypeError(f"seqs must be a non-empty list of tensors, got {type(seqs).__name__}")
    for i, s in enumerate(seqs):
        check_tensor(f"seqs[{i}]", s)
        if s.dim() < 1 or s.shape[1:] != seqs[0].shape[1:] or s.dtype != seqs[0].dtype:
            raise ValueError(
                f"seqs[{i}] has shape {tuple(s.shape)} and dtype {s.dtype}; every sequence must be (n, ...) "
                f"with the trailing shape {tuple(seqs[0].shape[1:])} and dtype {seqs[0].dtype} of seqs[0]"
            )


def pad_sequences(
    seqs: Sequence[torch.Tensor], max_len: int | None = None, side: str = "right", pad_value=0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack sequences of different lengths ``(n_b, ...)`` into ``(B, S, ...)`` plus the keep-mask ``(B, S)``.

    ``side="left"`` puts the padding first. ``pad_value`` is a number or a tensor of one position's
    shape (a pad embedding); what it holds must not matter once the mask is applied.
    """
    _check_seqs(seqs)
    trailing = seqs[0].shape[1:]  # one position's shape
    if isinstance(pad_value, torch.Tensor):
        try:
            fits = torch.broadcast_shapes(pad_value.shape, trailing) == trailing
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(
                f"pad_value must be a number or a tensor of one position's shape {tuple(trailing)}, "
                f"got shape {tuple(pad_value.shape)}"
            )
    elif not isinstance(pad_value, (int, float)):
        raise TypeError(f"pad_value must be a number or a tensor of one position's shape, got {type(pad_value).__name__}")
    lengths = torch.tensor([len(s) for s in seqs])
    keep = padding_mask(lengths, max_len, side=side)  # (B, S); checks max_len and side
    B, S = keep.shape
    out = torch.empty((B, S, *seqs[0].shape[1:]), dtype=seqs[0].dtype)  # (B, S, ...)
    out[:] = torch.as_tensor(pad_value, dtype=seqs[0].dtype)
    for b, s in enumerate(seqs):
        out[b][keep[b]] = s
    return out, keep


def real_token_deviation(outputs: torch.Tensor, keep: torch.Tensor, references: Sequence[torch.Tensor]) -> float:
    """Largest ``|outputs[b, real positions] - references[b]|`` over the batch (0.0 = invariant)."""
    check_tensor("outputs", outputs, floating=True)
    _check_bool("keep", keep, ndim=2)
    if outputs.shape[:2] != keep.shape:
        raise ValueError(f"outputs (B, S, ...) must start with keep's shape {tuple(keep.shape)}, got {tuple(outputs.shape)}")
    if isinstance(references, (str, bytes)) or not isinstance(references, (Sequence, torch.Tensor)):
        raise TypeError(f"references must be a list of tensors, one per sequence, got {type(references).__name__}")
    if len(references) != keep.shape[0]:
        raise ValueError(f"references must hold one tensor per sequence ({keep.shape[0]}), got {len(references)}")
    worst = 0.0
    for b, ref in enumerate(references):
        check_tensor(f"references[{b}]", ref)
        real = outputs[b][keep[b]]  # (n_b, ...)
        if real.shape != ref.shape:
            raise ValueError(f"references[{b}] must have shape {tuple(real.shape)}, got {tuple(ref.shape)}")
        worst = max(worst, (real.float() - ref.float()).abs().max().item() if real.numel() else 0.0)
    return worst


@torch.no_grad()
def padding_invariance(
    fn: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
    seqs: Sequence[torch.Tensor],
    extra_pads: Sequence[int] = (0, 1, 4),
    side: str = "right",
    pad_value=0,
    masked: bool = True,
) -> list[float]:
    """How much the outputs at real tokens move when the batch is padded: one deviation per extra pad.

    ``fn(x (B, S, ...), keep (B, S) or None) -> (B, S, ...)``. The reference for each sequence is
    ``fn`` on that sequence alone, unpadded. Each batch is padded to the longest length plus
    ``extra``; ``masked=False`` passes ``keep=None`` (the bug). A correct mask gives deviations at
    float rounding level for every pad length and side.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(x, keep), got {type(fn).__name__}")
    if isinstance(extra_pads, (str, bytes)) or not isinstance(extra_pads, Sequence) or not extra_pads:
        raise TypeError(f"extra_pads must be a non-empty sequence of ints >= 0, got {extra_pads!r}")
    for e in extra_pads:
        check_positive_int("extra_pads[i]", e, minimum=0)
    if not isinstance(masked, bool):
        raise TypeError(f"masked must be a bool, got {type(masked).__name__}")
    _check_seqs(seqs)
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    refs = [fn(s[None], torch.ones(1, len(s), dtype=torch.bool) if masked else None)[0] for s in seqs]
    longest = max(len(s) for s in seqs)
    out = []
    for extra in extra_pads:
        x, keep = pad_sequences(seqs, longest + extra, side, pad_value)  # (B, S, ...), (B, S)
        out.append(real_token_deviation(fn(x, keep if masked else None), keep, refs))
    return out


# --- the loss and the pooling ----------------------------------------------------------------------

def ignore_padding(targets: torch.Tensor, keep: torch.Tensor, ignore_index: int = IGNORE) -> torch.Tensor:
    """``targets (B, T)`` with ``ignore_index`` at pad positions, for ``F.cross_entropy(ignore_index=...)``."""
    check_tensor("targets", targets)
    if targets.is_floating_point() or targets.dtype == torch.bool:
        raise TypeError(f"targets must hold integer class ids, got dtype {targets.dtype}")
    _check_bool("keep", keep)
    if keep.shape != targets.shape:
        raise ValueError(f"keep must have the targets' shape {tuple(targets.shape)}, got {tuple(keep.shape)}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"ignore_index must be an int, got {type(ignore_index).__name__}")
    return targets.masked_fill(~keep, ignore_index)


def masked_mean(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over the real positions only: ``x (B, T, ...)``, ``keep (B, T)`` -> ``(B, ...)``.

    ``x.mean(1)`` averages the pads in too, so the pooled vector drifts towards the pad embedding
    as the padding grows. A sequence with no real position pools to zeros, not NaN.
    """
    check_tensor("x", x, floating=True)
    _check_bool("keep", keep, ndim=2)
    if x.dim() < 2 or x.shape[:2] != keep.shape:
        raise ValueError(f"x must have shape (B, T, ...) with (B, T) = {tuple(keep.shape)}, got {tuple(x.shape)}")
    w = keep.to(x.dtype).reshape(*keep.shape, *([1] * (x.dim() - 2)))  # (B, T, 1, ...)
    count = w.sum(dim=1).clamp_min(1.0)  # (B, 1, ...): 1 for an empty sequence, whose sum is 0
    return (x * w).sum(dim=1) / count  # (B, ...)
