"""Padding invariance: the outputs at real tokens must not depend on how much padding there is, nor on
which side; and the loss and the pooling must ignore pads too.

Taught in ``notebooks/04_padding_mask.ipynb``. :func:`pad_sequences` builds a padded batch and its
keep-mask; :func:`padding_invariance` runs any ``fn(x, keep)`` on growing padding and measures how far
the real tokens' outputs move; :func:`ignore_padding` and :func:`masked_mean` keep the pads out of the
loss and of a mean-pooled vector.

Shape legend: B batch, S positions (padded length), T positions.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..._checks import broadcast_shapes, check_bool, check_int, check_mask, check_tensor
from ...masks import padding_mask
from ...tasks import IGNORE

__all__ = ["pad_sequences", "real_token_deviation", "padding_invariance", "ignore_padding", "masked_mean"]


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
            fits = broadcast_shapes(pad_value.shape, trailing) == trailing
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
    check_mask("keep", keep, ndim=2)
    if outputs.shape[:2] != keep.shape:
        raise ValueError(f"outputs (B, S, ...) must start with keep's shape {tuple(keep.shape)}, got {tuple(outputs.shape)}")
    if isinstance(references, (str, bytes)) or not isinstance(references, (Sequence, torch.Tensor)):
        raise TypeError(f"references must be a list of tensors, one per sequence, got {type(references).__name__}")
    if len(references) != keep.shape[0]:
        raise ValueError(f"references must hold one tensor per sequence ({keep.shape[0]}), got {len(references)}")
    for b, ref in enumerate(references):
        check_tensor(f"references[{b}]", ref)
        want = (int(keep[b].sum()), *outputs.shape[2:])  # (n_b, ...): sequence b's real positions
        if tuple(ref.shape) != want:
            raise ValueError(f"references[{b}] must have shape {want}, got {tuple(ref.shape)}")
    worst = 0.0
    for b, ref in enumerate(references):
        real = outputs[b][keep[b]]  # (n_b, ...)
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
        check_int("extra_pads[i]", e, minimum=0)
    check_bool("masked", masked)
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
    check_mask("keep", keep)
    if keep.shape != targets.shape:
        raise ValueError(f"keep must have the targets' shape {tuple(targets.shape)}, got {tuple(keep.shape)}")
    check_int("ignore_index", ignore_index, minimum=None)
    return targets.masked_fill(~keep, ignore_index)


def masked_mean(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over the real positions only: ``x (B, T, ...)``, ``keep (B, T)`` -> ``(B, ...)``.

    ``x.mean(1)`` averages the pads in too, so the pooled vector drifts towards the pad embedding
    as the padding grows. A sequence with no real position pools to zeros, not NaN.
    """
    check_tensor("x", x, floating=True)
    check_mask("keep", keep, ndim=2)
    if x.dim() < 2 or x.shape[:2] != keep.shape:
        raise ValueError(f"x must have shape (B, T, ...) with (B, T) = {tuple(keep.shape)}, got {tuple(x.shape)}")
    w = keep.to(x.dtype).reshape(*keep.shape, *([1] * (x.dim() - 2)))  # (B, T, 1, ...)
    count = w.sum(dim=1).clamp_min(1.0)  # (B, 1, ...): 1 for an empty sequence, whose sum is 0
    return (x * w).sum(dim=1) / count  # (B, ...)
