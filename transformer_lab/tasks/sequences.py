"""Tasks over whole sequences: copy from the last few tokens (``LocalCopyTask``, notebook 08, length
extrapolation) and write the sequence backwards (``ReverseTask``, notebook 06).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .._checks import check_int, check_number
from .base import Task, _check_token_tensor

__all__ = ['LocalCopyTask', 'ReverseTask']

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
        check_int("n_symbols", self.n_symbols, minimum=2)
        check_int("length", self.length)
        check_int("window", self.window)
        check_number("p_copy", self.p_copy, minimum=0, maximum=1)  # a probability

    @property
    def vocab_size(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length

    def at_length(self, length: int) -> "LocalCopyTask":
        """The same task with sequences of ``length`` tokens (for evaluating past the training length)."""
        return replace(self, length=check_int("length", length))

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
        check_int("n_symbols", self.n_symbols, minimum=2)
        check_int("length", self.length, minimum=2)

    @property
    def vocab_size(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length

    def sample(self, batch_size, generator):
        tokens = torch.randint(0, self.n_symbols, (batch_size, self.length), generator=generator)  # (B, T)
        return tokens, tokens.flip(1)  # (B, T), (B, T)
