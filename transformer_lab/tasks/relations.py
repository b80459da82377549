"""Tasks of one relation between items: directed on a cycle (``CyclicSuccessorTask``, a → b without
b → a) and symmetric in pairs (``PartnerTask``, a ↔ b). Taught in notebook 02 (tied vs separate
W_Q, W_K).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._checks import check_int
from .base import Task, _check_token_tensor, _check_key_permutation

__all__ = ['CyclicSuccessorTask', 'PartnerTask']

@dataclass(frozen=True)
class CyclicSuccessorTask(Task):
    """a → b without b → a: each item reads the value of the item whose key comes next on a cycle.

    Every sequence holds the ``n_keys`` keys 0..K-1 once each, in random order, each paired with a
    random value; one token per item, ``id = key * n_values + value``. The target at every position
    is the value of the item whose key is ``(key + 1) mod K``: key 0 looks at key 1, 1 at 2, …,
    K-1 at 0, and no key looks back at the key that looks at it (for K >= 3). One attention head
    solves it with separate W_Q and W_K; with tied ones the scores are symmetric, and symmetric
    scores cannot follow a cycle (notebook 02). No position is needed: the relation is by content.

    Worked example (``n_keys=4, n_values=3``; items (2,0), (0,2), (3,1), (1,1))::

        tokens  = [6, 2, 10, 4]            # 2*3+0, 0*3+2, 3*3+1, 1*3+1
        targets = [1, 1, 2, 0]             # key 2 reads key 3's value 1, 0 reads 1's (1), 3 reads 0's (2), 1 reads 2's (0)
    """

    n_keys: int = 4
    n_values: int = 8

    def __post_init__(self):
        check_int("n_keys", self.n_keys, minimum=3)
        check_int("n_values", self.n_values, minimum=2)

    @property
    def vocab_size(self) -> int:
        return self.n_keys * self.n_values

    @property
    def seq_len(self) -> int:
        return self.n_keys

    @property
    def n_out(self) -> int:
        return self.n_values

    @property
    def symmetric_ceiling(self) -> float:
        """Best accuracy of hard (argmax) attention with symmetric scores: ``(K-1)/K + 1/(K·V)``.

        Symmetric scores always leave one mutual top pair per sequence, so at least one of the K
        rows attends to the wrong item and can only guess its value (probability 1/V). Soft
        attention is not bound by it exactly; it is the reference the notebook compares with.
        """
        K, V = self.n_keys, self.n_values
        return (K - 1) / K + 1 / (K * V)

    def key_positions(self, tokens: torch.Tensor, offset: int = 1) -> torch.Tensor:
        """Position of the item whose key is ``(key + offset) mod K``, for every position: ``(B, T)``.

        ``offset=1``: the successor (the target); ``-1``: the predecessor (the one that looks at me);
        ``0``: myself.
        """
        check_int("offset", offset, minimum=None)
        _check_token_tensor(tokens, self.n_keys, self.vocab_size,
                            f"a (B, T={self.n_keys}) tensor of integer ids from this task", ValueError)
        keys = tokens // self.n_values  # (B, T)
        _check_key_permutation(keys)
        where = keys.argsort(dim=1)  # (B, K): where[b, key] = position of that key
        return where.gather(1, (keys + offset) % self.n_keys)  # (B, T)

    def sample(self, batch_size, generator):
        B, K = batch_size, self.n_keys
        keys = torch.rand(B, K, generator=generator).argsort(dim=1)  # (B, K) a permutation of 0..K-1
        values = torch.randint(0, self.n_values, (B, K), generator=generator)  # (B, K)
        value_of_key = torch.empty_like(values).scatter_(1, keys, values)  # (B, K): [b, key] -> value
        targets = value_of_key.gather(1, (keys + 1) % K)  # (B, K)
        return keys * self.n_values + values, targets


@dataclass(frozen=True)
class PartnerTask(Task):
    """a ↔ b, a symmetric relation: keys come in fixed pairs and each item reads its partner's value.

    Every sequence holds the ``2 * n_pairs`` keys once each, in random order, each with a random
    value; ``id = key * n_values + value``. Keys 2m and 2m+1 are partners; the target at every
    position is the value of the partner's item. The relation is symmetric (a looks at b and b at a),
    so tied W_Q = W_K can express it: the control for :class:`CyclicSuccessorTask` (notebook 02).

    Worked example (``n_pairs=2, n_values=3``; items (3,2), (0,1), (2,0), (1,1))::

        tokens  = [11, 1, 6, 4]
        targets = [0, 1, 2, 1]             # 3 reads 2's value 0, 0 reads 1's (1), 2 reads 3's (2), 1 reads 0's (1)
    """

    n_pairs: int = 2
    n_values: int = 8

    def __post_init__(self):
        check_int("n_pairs", self.n_pairs)
        check_int("n_values", self.n_values, minimum=2)

    @property
    def vocab_size(self) -> int:
        return 2 * self.n_pairs * self.n_values

    @property
    def seq_len(self) -> int:
        return 2 * self.n_pairs

    @property
    def n_out(self) -> int:
        return self.n_values

    def partner_positions(self, tokens: torch.Tensor) -> torch.Tensor:
        """Position of each item's partner, ``(B, T)``."""
        _check_token_tensor(tokens, self.seq_len, self.vocab_size,
                            f"a (B, T={self.seq_len}) tensor of integer ids from this task", ValueError)
        keys = tokens // self.n_values  # (B, T)
        _check_key_permutation(keys)
        return keys.argsort(dim=1).gather(1, keys ^ 1)  # (B, T)

    def sample(self, batch_size, generator):
        B, K = batch_size, 2 * self.n_pairs
        keys = torch.rand(B, K, generator=generator).argsort(dim=1)  # (B, K) a permutation of 0..K-1
        values = torch.randint(0, self.n_values, (B, K), generator=generator)  # (B, K)
        value_of_key = torch.empty_like(values).scatter_(1, keys, values)  # (B, K)
        return keys * self.n_values + values, value_of_key.gather(1, keys ^ 1)
