"""What every synthetic task shares: the ``Task`` interface, the ``IGNORE`` target, token checks.

Each task yields ``(tokens (B, T) long, targets (B, T) long)``, generated on the fly from a seed
(nothing to download); targets are ``IGNORE`` (-100, ``F.cross_entropy``'s ``ignore_index``) at
positions that are not scored.

Shape legend: B batch, T positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._checks import check_int
from ..randomness import make_generator

__all__ = ["IGNORE", "Task"]

IGNORE = -100


def _check_token_tensor(tokens, seq_len: int | None, vocab_size: int, want: str,
                        not_tensor: type = TypeError) -> torch.Tensor:
    """``tokens`` an integer ``(B, seq_len)`` tensor with ids in ``[0, vocab_size)``; ``want`` says so in words.

    ``not_tensor``: the error for a non-tensor (ValueError where callers already rely on it)."""
    if not isinstance(tokens, torch.Tensor):
        raise not_tensor(f"tokens must be {want} (a torch.Tensor), got {type(tokens).__name__}")
    if tokens.dim() != 2 or tokens.is_floating_point() or tokens.dtype == torch.bool \
            or (seq_len is not None and tokens.shape[1] != seq_len):
        raise ValueError(f"tokens must be {want}, got {tokens.dtype} {tuple(tokens.shape)}")
    if tokens.numel() and not 0 <= int(tokens.min()) <= int(tokens.max()) < vocab_size:
        raise ValueError(f"tokens must lie in [0, vocab_size={vocab_size}) (ids of this task), "
                         f"got [{int(tokens.min())}, {int(tokens.max())}]")
    return tokens


def _check_key_permutation(keys: torch.Tensor) -> None:
    """Every row of ``keys (B, K)`` holds each key 0..K-1 once (else positions found by argsort are wrong)."""
    if not torch.equal(keys.sort(dim=1).values, torch.arange(keys.shape[1]).expand_as(keys)):
        raise ValueError(f"tokens must hold each of the {keys.shape[1]} keys once per row (a sequence from this task)")


@dataclass(frozen=True)
class Task:
    """Base class: subclasses set the sizes and implement :meth:`sample`."""

    @property
    def vocab_size(self) -> int:
        raise NotImplementedError

    @property
    def seq_len(self) -> int:
        raise NotImplementedError

    @property
    def n_out(self) -> int:
        return self.vocab_size

    def sample(self, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def batch(self, batch_size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch that depends only on ``seed``."""
        return self.sample(check_int("batch_size", batch_size), make_generator(seed))
