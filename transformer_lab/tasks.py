"""Synthetic tasks, generated on the fly from a seed: nothing to download.

Each task yields ``(tokens (B, T) long, targets (B, T) long)``; targets are ``IGNORE`` (-100,
``F.cross_entropy``'s ``ignore_index``) at positions that are not scored.

Shape legend: B batch, T positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_positive_int

__all__ = ["IGNORE", "Task", "PointerTask", "KeyValueRecallTask", "make_generator"]

IGNORE = -100


def make_generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed``: the only source of randomness of a task."""
    return torch.Generator().manual_seed(int(seed))


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
        return self.sample(check_positive_int("batch_size", batch_size), make_generator(seed))


@dataclass(frozen=True)
class PointerTask(Task):
    """Where is the query? ``n_items`` distinct symbols, then one of them again; predict its index.

    Needs sharp content-based attention (the query must find its twin among ``n_items`` keys) and
    positional information (the answer is a position). Scored at the last position only.

    Worked example (``n_symbols=10, n_items=4``)::

        tokens  = [7, 2, 9, 4, 9]          # the query 9 sits at index 2
        targets = [-100, -100, -100, -100, 2]
    """

    n_symbols: int = 16
    n_items: int = 8

    def __post_init__(self):
        check_positive_int("n_items", self.n_items, minimum=2)
        check_positive_int("n_symbols", self.n_symbols)
        if self.n_symbols < self.n_items:
            raise ValueError(f"n_symbols must be >= n_items={self.n_items} (items are distinct), got {self.n_symbols}")

    @property
    def vocab_size(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.n_items + 1

    @property
    def n_out(self) -> int:
        return self.n_items

    def sample(self, batch_size, generator):
        B, n = batch_size, self.n_items
        items = torch.rand(B, self.n_symbols, generator=generator).argsort(dim=1)[:, :n]  # (B, n) distinct
        where = torch.randint(0, n, (B,), generator=generator)  # (B,)
        query = items.gather(1, where[:, None])  # (B, 1)
        tokens = torch.cat([items, query], dim=1)  # (B, n + 1)
        targets = torch.full_like(tokens, IGNORE)
        targets[:, -1] = where
        return tokens, targets


@dataclass(frozen=True)
class KeyValueRecallTask(Task):
    """Associative recall in one hop: items are (key, value) pairs, then a key; predict its value.

    Each item is one token encoding a pair, ``id = key * n_values + value``; the query token is
    ``n_keys * n_values + key``. One attention layer solves it: the query must find the item with
    its key (content-based attention) and copy that item's value through ``v``. Because the
    answer travels through the attention weights, a saturated softmax starves it of gradient
    (notebook 03). Scored at the last position only.

    Worked example (``n_keys=4, n_values=3, n_pairs=3``; pairs (2,0), (0,2), (3,1); query key 0)::

        tokens  = [6, 2, 10, 12]           # 2*3+0, 0*3+2, 3*3+1, then 4*3+0 = "which value has key 0?"
        targets = [-100, -100, -100, 2]
    """

    n_keys: int = 8
    n_values: int = 8
    n_pairs: int = 6

    def __post_init__(self):
        check_positive_int("n_keys", self.n_keys, minimum=2)
        check_positive_int("n_values", self.n_values, minimum=2)
        check_positive_int("n_pairs", self.n_pairs)
        if self.n_pairs > self.n_keys:
            raise ValueError(f"n_pairs must be <= n_keys={self.n_keys} (keys are distinct), got {self.n_pairs}")

    @property
    def vocab_size(self) -> int:
        return self.n_keys * self.n_values + self.n_keys

    @property
    def seq_len(self) -> int:
        return self.n_pairs + 1

    @property
    def n_out(self) -> int:
        return self.n_values

    def sample(self, batch_size, generator):
        B, n = batch_size, self.n_pairs
        keys = torch.rand(B, self.n_keys, generator=generator).argsort(dim=1)[:, :n]  # (B, n) distinct
        values = torch.randint(0, self.n_values, (B, n), generator=generator)  # (B, n)
        which = torch.randint(0, n, (B, 1), generator=generator)  # (B, 1)
        query = self.n_keys * self.n_values + keys.gather(1, which)  # (B, 1)
        tokens = torch.cat([keys * self.n_values + values, query], dim=1)  # (B, n + 1)
        targets = torch.full_like(tokens, IGNORE)
        targets[:, -1:] = values.gather(1, which)
        return tokens, targets
