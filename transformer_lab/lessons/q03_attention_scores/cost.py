"""What additive attention costs against a dot product: peak tensor memory (exact) and time (measured).

Taught in ``notebooks/03_attention_scores.ipynb``. Both score n queries against n keys with
O(n²·d) multiply-adds, but the dot product is one matrix multiply into ``(n, n)``, while additive
attention forms ``W_q q + W_k k`` for every (query, key) pair: an ``(n, n, A)`` tensor, then tanh,
then ``vᵀ``. The memory is counted exactly (every tensor an op creates, freed when it dies), so it
prints the same on every machine; the time depends on the machine and its load.

Shape legend: T query positions, S key positions, Dh head width (d_k), A hidden width of additive attention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ... import measure
from ..._checks import check_int, check_number
from ...evidence import Table, approx
from ...randomness import make_generator
from ...scores import additive_scores, scaled_dot_scores

__all__ = ["COST_LABELS", "ScoreCost", "score_cost"]

COST_LABELS = ("additive", "scaled dot")


@dataclass
class ScoreCost:
    """``peak[label][i]`` (bytes, exact) and ``seconds[label][i]`` (measured) of one call that scores
    ``ns[i]`` queries against ``ns[i]`` keys, for ``label`` in :data:`COST_LABELS`."""

    ns: tuple[int, ...]
    d_k: int
    d_attn: int
    peak: dict[str, list[int]]
    seconds: dict[str, list[float]]

    def memory_ratio(self, i: int = -1) -> float:
        """Peak memory of additive over scaled dot at ``ns[i]`` (exact)."""
        return self.peak["additive"][i] / self.peak["scaled dot"][i]

    def time_ratio(self, i: int = -1) -> float:
        """Time of additive over scaled dot at ``ns[i]`` (measured: varies with the machine and its load)."""
        return self.seconds["additive"][i] / self.seconds["scaled dot"][i]

    def table(self) -> Table:
        """Peak memory (exact) and time per call (≈: measured) at each n."""
        mib = 2**20
        rows = [f"| {n} | {self.peak['additive'][i] / mib:.2f} | {self.peak['scaled dot'][i] / mib:.3f} | "
                f"{self.memory_ratio(i):.1f} | {approx(self.seconds['additive'][i] * 1e3)} | "
                f"{approx(self.seconds['scaled dot'][i] * 1e3, '.3f')} | {approx(self.time_ratio(i), '.0f')} |"
                for i, n in enumerate(self.ns)]
        return Table(f"| n | additive peak MiB | scaled dot peak MiB | memory ratio | additive ms | scaled dot ms | "
                     f"time ratio |\n|---|---|---|---|---|---|---|\n" + "\n".join(rows))

    def figure(self):
        from .figures import plot_cost  # matplotlib only when a figure is drawn

        return plot_cost(self.ns, {"peak tensor memory (bytes)": self.peak, "time per call (s)": self.seconds})


def score_cost(ns=(32, 64, 128, 256), d_k: int = 64, d_attn: int = 64, seed: int = 0, repeats: int = 2,
               min_seconds: float = 0.005) -> ScoreCost:
    """Peak tensor memory and time of additive ``vᵀtanh(W_q q + W_k k)`` and scaled dot ``q·k/√d_k``
    scoring n queries against n keys of width ``d_k``, for each n in ``ns``.

    Memory: :func:`~transformer_lab.measure.peak_tensor_bytes`, exact. Time:
    :func:`~transformer_lab.measure.time_call`, the best of ``repeats`` timings of at least
    ``min_seconds`` each (short: the ratio at the largest n is tens, not a close call).
    """
    if isinstance(ns, (int, str, bytes)) or not hasattr(ns, "__iter__"):
        raise TypeError(f"ns must be a non-empty sequence of sequence lengths, e.g. (64, 256), got {ns!r}")
    ns = tuple(check_int("n", n) for n in ns)
    if not ns:
        raise ValueError("ns must be a non-empty sequence of sequence lengths, e.g. (64, 256), got ()")
    check_int("d_k", d_k)
    check_int("d_attn", d_attn)
    check_int("seed", seed, minimum=0)
    check_int("repeats", repeats)
    check_number("min_seconds", min_seconds, minimum=0, maximum=1)
    g = make_generator(seed)
    w_q = torch.randn(d_k, d_attn, generator=g) / math.sqrt(d_k)  # (Dh, A)
    w_k = torch.randn(d_k, d_attn, generator=g) / math.sqrt(d_k)  # (Dh, A)
    v = torch.randn(d_attn, generator=g) / math.sqrt(d_attn)  # (A,)
    calls = {}
    for n in ns:
        q, k = torch.randn(n, d_k, generator=g), torch.randn(n, d_k, generator=g)  # (T, Dh), (S, Dh) with T = S = n
        calls[n] = {"additive": lambda q=q, k=k: additive_scores(q, k, w_q, w_k, v),  # builds (n, n, A)
                    "scaled dot": lambda q=q, k=k: scaled_dot_scores(q, k)}  # one matmul, (n, n)
    with torch.no_grad():
        peak = {label: [measure.peak_tensor_bytes(calls[n][label]) for n in ns] for label in COST_LABELS}
        seconds = {label: [measure.time_call(calls[n][label], repeats=repeats, min_seconds=min_seconds) for n in ns]
                   for label in COST_LABELS}
    return ScoreCost(ns, d_k, d_attn, peak, seconds)
