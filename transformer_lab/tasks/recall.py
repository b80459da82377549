"""Tasks where a query finds an item by content: where is it (``PointerTask``), what is its value
(``KeyValueRecallTask``), and that value with the one before the query (``RecallAndPreviousTask``).

Taught in notebooks 01, 03 and 05.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._checks import check_int
from .base import IGNORE, Task, _check_token_tensor

__all__ = ['PointerTask', 'KeyValueRecallTask', 'RecallAndPreviousTask']

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
        check_int("n_items", self.n_items, minimum=2)
        check_int("n_symbols", self.n_symbols)
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
        check_int("n_keys", self.n_keys, minimum=2)
        check_int("n_values", self.n_values, minimum=2)
        check_int("n_pairs", self.n_pairs)
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


@dataclass(frozen=True)
class RecallAndPreviousTask(KeyValueRecallTask):
    """Two relations at once: the value found by content *and* the value one item back.

    Taught in ``notebooks/01_multi_head.ipynb`` and ``notebooks/05_head_dim.ipynb``. Items are
    (key, value) pairs, one token each (``id = key * n_values + value``, keys distinct), then a
    query token ``n_keys * n_values + key`` naming one of the items *other than the last one*.
    The answer, at the query, is the pair (value of the item with the query's key, value of the
    item just before the query) as one class ``found * n_values + previous``. So the query must
    read two different tokens, one found by content and one found by position, both from the same
    vocabulary. One softmax gives one weighted average per query: a single head has to blend the
    two items, and a linear read-out of the blend cannot tell which value came from which (it
    scores about 1/n_values, knowing one of the two). Two heads can each read one. Scored at the
    last position only.

    Worked example (``n_keys=4, n_values=3, n_pairs=3``; items (2,0), (0,2), (3,1); query key 0)::

        tokens  = [6, 2, 10, 12]           # 2*3+0, 0*3+2, 3*3+1, then 4*3+0 = "key 0?"
        labels  = ["C0", "A2", "D1", "A?"] # token_labels: key letter, then value
        targets = [-100, -100, -100, 7]    # found value 2 (key 0 is item 1), previous value 1: 2*3+1
    """

    n_keys: int = 6
    n_values: int = 4
    n_pairs: int = 5

    def __post_init__(self):
        super().__post_init__()  # the token layout and its checks are KeyValueRecallTask's
        check_int("n_pairs", self.n_pairs, minimum=2)

    @property
    def n_out(self) -> int:
        return self.n_values**2

    def sample(self, batch_size, generator):
        B, n = batch_size, self.n_pairs
        keys = torch.rand(B, self.n_keys, generator=generator).argsort(dim=1)[:, :n]  # (B, n) distinct
        values = torch.randint(0, self.n_values, (B, n), generator=generator)  # (B, n)
        which = torch.randint(0, n - 1, (B, 1), generator=generator)  # (B, 1): never the last item
        query = self.n_keys * self.n_values + keys.gather(1, which)  # (B, 1)
        tokens = torch.cat([keys * self.n_values + values, query], dim=1)  # (B, n + 1)
        targets = torch.full_like(tokens, IGNORE)
        targets[:, -1:] = values.gather(1, which) * self.n_values + values[:, -1:]  # found * V + previous
        return tokens, targets

    def _check_tokens(self, tokens) -> torch.Tensor:
        _check_token_tensor(tokens, self.seq_len, self.vocab_size, f"an integer (B, T={self.seq_len}) tensor from this task")
        items = self.n_keys * self.n_values  # ids below are items, ids from here on are queries
        if tokens.numel() and (int(tokens[:, :-1].max()) >= items or int(tokens[:, -1].min()) < items):
            raise ValueError(f"tokens must be {self.n_pairs} items (ids < {items}) then a query (id >= {items}), "
                             "as this task's batch draws them")
        return tokens

    def relation_positions(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """Where the query must look: ``{"found": (B,), "previous": (B,)}`` key positions.

        ``found`` is the item whose key the query names (a relation by content); ``previous`` is
        the item just before the query, always position ``n_pairs - 1`` (a relation by position).
        """
        tokens = self._check_tokens(tokens)
        B, n = tokens.shape[0], self.n_pairs
        keys = tokens[:, :n] // self.n_values  # (B, n)
        query_key = tokens[:, n:] - self.n_keys * self.n_values  # (B, 1)
        found = (keys == query_key).float().argmax(dim=1)  # (B,)
        return {"found": found, "previous": torch.full((B,), n - 1, dtype=torch.long)}

    def token_labels(self, tokens: torch.Tensor) -> list[str]:
        """Readable labels of one sequence ``(T,)``: items as key letter + value ("C2"), the query as "C?"."""
        if isinstance(tokens, torch.Tensor) and tokens.dim() == 1:
            tokens = tokens[None]
        tokens = self._check_tokens(tokens)[0]
        name = (lambda k: chr(ord("A") + k)) if self.n_keys <= 26 else str
        items = self.n_keys * self.n_values
        return [f"{name(t // self.n_values)}{t % self.n_values}" if t < items else f"{name(t - items)}?"
                for t in tokens.tolist()]
