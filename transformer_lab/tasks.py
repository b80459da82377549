"""Synthetic tasks, generated on the fly from a seed: nothing to download.

Each task yields ``(tokens (B, T) long, targets (B, T) long)``; targets are ``IGNORE`` (-100,
``F.cross_entropy``'s ``ignore_index``) at positions that are not scored.

Shape legend: B batch, T positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_positive_int
from .randomness import make_generator

__all__ = ["IGNORE", "Task", "PointerTask", "KeyValueRecallTask", "LocalCopyTask", "CyclicSuccessorTask", "PartnerTask", "RecallAndPreviousTask", "ReverseTask"]

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


@dataclass(frozen=True)
class LocalCopyTask(Task):
    """Next-token prediction where each token often repeats one of the last few: a *local* rule.

    Taught in ``notebooks/08_other_pe.ipynb`` (length extrapolation). Token 0 is uniform over
    ``n_symbols``; each later token, with probability ``p_copy``, copies the token ``d`` steps back,
    ``d`` uniform in ``1 … min(window, t)``; otherwise it is uniform. The rule depends on offsets
    only, never on absolute positions, so a model that learned it *could* apply it at any length:
    a test of which positional schemes let it. Every position is scored (a causal language model).
    :meth:`optimal_probs` gives the exact next-token distribution, the floor of the cross-entropy.

    Worked example (``n_symbols=5, length=6, window=2``)::

        sequence = [3, 3, 1, 3, 4, 4, 1]  # 3 copies d=1; 1 fresh; 3 copies d=2; 4 fresh; 4 d=1; 1 fresh
        tokens   = [3, 3, 1, 3, 4, 4]     # the first `length` tokens
        targets  = [3, 1, 3, 4, 4, 1]     # the next token at every position
    """

    n_symbols: int = 16
    length: int = 16
    window: int = 4
    p_copy: float = 0.8

    def __post_init__(self):
        check_positive_int("n_symbols", self.n_symbols, minimum=2)
        check_positive_int("length", self.length)
        check_positive_int("window", self.window)
        if isinstance(self.p_copy, bool) or not isinstance(self.p_copy, (int, float)):
            raise TypeError(f"p_copy must be a number in [0, 1], got {type(self.p_copy).__name__} {self.p_copy!r}")
        if not 0 <= self.p_copy <= 1:
            raise ValueError(f"p_copy must be in [0, 1] (a probability), got {self.p_copy}")

    @property
    def vocab_size(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length

    def at_length(self, length: int) -> "LocalCopyTask":
        """The same task with sequences of ``length`` tokens (for evaluating past the training length)."""
        from dataclasses import replace

        return replace(self, length=check_positive_int("length", length))

    def sample(self, batch_size, generator):
        B, T, w = batch_size, self.length, self.window
        fresh = torch.randint(0, self.n_symbols, (B, T + 1), generator=generator)  # (B, T+1) fresh tokens
        copy = torch.rand(B, T + 1, generator=generator) < self.p_copy  # (B, T+1)
        u = torch.rand(B, T + 1, generator=generator)  # (B, T+1): picks the lag
        t = torch.arange(T + 1)  # (T+1,)
        n = t.clamp(min=1, max=w)  # (T+1,) candidates: min(window, t)
        lag = 1 + (u * n).long().clamp(max=n - 1)  # (B, T+1) uniform in 1 … n
        copy[:, 0] = False  # the first token has nothing to copy
        source = torch.where(copy, t - lag, t)  # (B, T+1): the position each token copies (itself if fresh)
        while True:  # follow chains of copies back to a fresh token, doubling the hops each round
            further = source.gather(1, source)  # (B, T+1)
            if torch.equal(further, source):
                break
            source = further
        seq = fresh.gather(1, source)  # (B, T+1): the same as copying left to right
        return seq[:, :T], seq[:, 1:]  # (B, T), (B, T)

    def optimal_probs(self, tokens: torch.Tensor) -> torch.Tensor:
        """The exact next-token distribution given the prefix, ``(B, T, n_symbols)``.

        ``p(v) = p_copy · (share of v among the last min(window, t+1) tokens) + (1 - p_copy) / n_symbols``.
        """
        _check_token_tensor(tokens, None, self.n_symbols, "an integer tensor (B, T)")
        B, T = tokens.shape
        V = self.n_symbols
        onehot = torch.nn.functional.one_hot(tokens, V).double()  # (B, T, V)
        cum = torch.cat([torch.zeros(B, 1, V, dtype=torch.float64), onehot.cumsum(1)], dim=1)  # (B, T+1, V)
        t = torch.arange(T)
        start = (t + 1 - self.window).clamp(min=0)  # (T,) first token of the window
        counts = cum[:, t + 1] - cum[:, start]  # (B, T, V)
        n = (t + 1 - start).double()[None, :, None]  # (1, T, 1)
        return (self.p_copy * counts / n + (1 - self.p_copy) / V).float()  # (B, T, V)


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
        check_positive_int("n_keys", self.n_keys, minimum=3)
        check_positive_int("n_values", self.n_values, minimum=2)

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
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise TypeError(f"offset must be an int, got {offset!r}")
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
        check_positive_int("n_pairs", self.n_pairs)
        check_positive_int("n_values", self.n_values, minimum=2)

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
        check_positive_int("n_pairs", self.n_pairs, minimum=2)

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


@dataclass(frozen=True)
class ReverseTask(Task):
    """Write the sequence backwards: the target at position t is the token at position T-1-t.

    Taught in ``notebooks/06_embedding_scale.ipynb``. Pure routing by position: the query at t must
    attend to the key at T-1-t whatever the tokens are, then copy that token through ``v``. So it
    needs both a readable position (in q and k) and a readable token (in v): a model whose token
    embeddings drown the positional encoding, or the reverse, is starved of one of them. Outputs
    are tokens (``n_out = vocab_size``), so the output layer can be tied to the embedding. Every
    position is scored; copying the input token is always wrong when the length is even.

    Worked example (``n_symbols=10, length=4``)::

        tokens  = [7, 2, 9, 4]
        targets = [4, 9, 2, 7]
    """

    n_symbols: int = 16
    length: int = 8

    def __post_init__(self):
        check_positive_int("n_symbols", self.n_symbols, minimum=2)
        check_positive_int("length", self.length, minimum=2)

    @property
    def vocab_size(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length

    def sample(self, batch_size, generator):
        tokens = torch.randint(0, self.n_symbols, (batch_size, self.length), generator=generator)  # (B, T)
        return tokens, tokens.flip(1)  # (B, T), (B, T)
