"""Notebook 05 · why d_k = d_model/h: the low-rank fit and the head-count sweep, each over seeds.

- :func:`fit_low_rank`: can one head of width d_k reproduce a given attention pattern over n
  positions? Adam fits ``softmax(X W_Q (X W_K)ᵀ/√d_k)`` to a generic pattern and to a
  one-key-per-query pattern, for every d_k from 1 to n, on several seeds (each seed: its own
  targets, input X and initial weights). The fit is gradient descent, so what it finds is decided
  over the seeds; the exact facts beside it (rank ≤ d_k; a generic pattern is reachable exactly
  from d_k = n - 1; d_k = 1 cannot do a permutation, :func:`.analysis.one_key_kl_bound`)
  are checked in the notebook as exact.
- :func:`sweep_head_count`: notebook 01's task and models at d_model = 16 with h = 1, 4, 8 heads
  (d_k = 16, 4, 2), the same training (seed s: the same initial weights and batches for every
  layout). Vaswani et al. 2017, Table 3 (A), see both arms of a U in translation (one head worse,
  32 heads of d_k = 16 worse again); at this toy's scale only the left arm shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ... import evidence
from ..._checks import check_int
from ...evidence import check_run
from ...randomness import seeds
from ...stacked import SeedRuns
from ..head_layouts import D_MODEL, TASK, TRAIN, layout_config, train_layouts  # notebook 01's task and models
from . import analysis

__all__ = ["TASK", "TRAIN", "D_MODEL", "layout_config", "SWEEP_HEADS", "FIT_N", "LowRankFit", "fit_low_rank", "HeadSweep",
           "sweep_head_count"]

SWEEP_HEADS = (1, 4, 8)  # d_k = 16, 4, 2: h from 1 to d_model/2 (2 heads left out for time: exercise)
FIT_N = 8  # positions of the fitted pattern
TARGETS = ("generic pattern", "one key per query")


# --- the low-rank bottleneck, fitted -----------------------------------------------------------------

@dataclass
class LowRankFit(evidence.Evidence):
    """``kl[target][i][j]``: KL(target ‖ best fit found) of seed i at head width ``d_ks[j]``;
    ``rank`` alike: the rank of the fitted scores."""

    n: int
    d_ks: list[int]
    kl: dict[str, list[list[float]]]
    rank: dict[str, list[list[int]]]

    def at(self, target: str, d_k: int) -> list[float]:
        """Per seed: the KL at head width ``d_k``."""
        j = self.d_ks.index(d_k)
        return [row[j] for row in self.kl[target]]

    def summary(self) -> evidence.Table:
        rows = {f"generic pattern, d_k = {d}": self.at("generic pattern", d) for d in self.d_ks}
        rows.update({f"one key per query, d_k = {d}": self.at("one key per query", d) for d in self.d_ks[:3]})
        return evidence.seed_table(rows, "KL(target ‖ fit), nats", spec=".3f")

    def figure(self):
        from .figures import plot_low_rank_fits  # matplotlib only when a figure is drawn

        return plot_low_rank_fits(self)


@evidence.experiment("05")
def fit_low_rank(base: int | None = None, n: int = FIT_N, n_seeds: int = 5, steps: int = 300) -> LowRankFit:
    """Fit a generic and a one-key-per-query pattern over ``n`` positions with every d_k in 1 … n, on
    ``n_seeds`` seeds (all fits batched in one loop).

    Claims, each in every seed: for the generic pattern each extra dimension lowers the KL up to
    d_k = n - 1, the fit stays away from the target below n - 1 and reaches it from n - 1; the
    one-key pattern is reached from d_k = 2.
    """
    check_run(base, n_seeds, steps)
    check_int("n", n, minimum=4)  # positions of the pattern: the claims compare d_k = 1, 2, n - 2 and n - 1
    ss = list(seeds(n_seeds, base))
    d_ks = list(range(1, n + 1))
    targets = torch.stack([analysis.random_attention_pattern(n, seed=s) for s in ss]
                          + [analysis.permutation_pattern(n, seed=s) for s in ss])  # (2N, n, n)
    fit = analysis.fit_attention_patterns(targets, d_ks, ss + ss, steps=steps)
    N = len(ss)
    kl = {"generic pattern": fit["kl"][:N], "one key per query": fit["kl"][N:]}
    rank = {"generic pattern": fit["rank"][:N], "one key per query": fit["rank"][N:]}
    generic, onehot = kl["generic pattern"], kl["one key per query"]
    claims = [
        evidence.every_seed("generic pattern: each extra dimension helps, up to n − 1",
                            f"KL(d_k) − KL(d_k + 1) > 0.001 for every d_k < {n - 1}",
                            [min(a - b for a, b in zip(k[: n - 2], k[1 : n - 1])) - 1e-3 for k in generic]),
        evidence.every_seed("generic pattern: not reached below d_k = n − 1",
                            f"KL > 0.005 at every d_k < {n - 1}", [min(k[: n - 2]) - 0.005 for k in generic]),
        evidence.every_seed("generic pattern: reached from d_k = n − 1",
                            f"KL < 0.005 at d_k = {n - 1} and {n}", [0.005 - max(k[n - 2 :]) for k in generic]),
        evidence.every_seed("one key per query: reached from d_k = 2",
                            "KL < 0.01 at every d_k ≥ 2", [0.01 - max(k[1:]) for k in onehot]),
    ]
    return LowRankFit(seeds=tuple(ss), claims=claims, n=n, d_ks=d_ks, kl=kl, rank=rank)


# --- the number of heads at fixed d_model --------------------------------------------------------------

@dataclass
class HeadSweep(evidence.Evidence):
    """``runs[h]``: the seeds of the model with h heads of width ``D_MODEL / h``."""

    heads: tuple[int, ...]
    runs: dict[int, SeedRuns]
    eval_seed: int

    def final(self, h: int) -> list[float]:
        """Final held-out accuracy of each seed."""
        return self.runs[h].final_accuracy

    def curve(self, h: int) -> list[float]:
        """Per seed: the mean held-out accuracy over training, the area under the learning curve."""
        return [analysis.mean_curve_accuracy([hist]) for hist in self.runs[h].histories]

    def summary(self) -> evidence.Table:
        rows = {f"h = {h} (d_k = {D_MODEL // h}), final": self.final(h) for h in self.heads}
        rows.update({f"h = {h} (d_k = {D_MODEL // h}), mean over training": self.curve(h) for h in self.heads})
        return evidence.seed_table(rows, f"accuracy (chance {1 / TASK.n_out:.4f})")

    def figure(self):
        from .figures import plot_head_sweep_seeds  # matplotlib only when a figure is drawn

        return plot_head_sweep_seeds(self)


@evidence.experiment("05")
def sweep_head_count(base: int | None = None, n_seeds: int = 5, steps: int = TRAIN.steps) -> HeadSweep:
    """h = 1, 4, 8 heads at d_model = 16 on notebook 01's task, ``n_seeds`` seeds each.

    Claims: one head ends behind 4 and 8 heads in every seed; 8 heads of d_k = 2 learn the task in
    most seeds and are not behind 4 heads (no right arm at this scale).
    """
    check_run(base, n_seeds, steps)
    runs, cfg = train_layouts(SWEEP_HEADS, base, n_seeds, steps)
    result = HeadSweep(seeds=runs[1].seeds, claims=[], heads=SWEEP_HEADS, runs=runs, eval_seed=cfg.eval_seed)
    acc = {h: result.final(h) for h in SWEEP_HEADS}
    n = len(acc[1])
    k4 = max(1, n - 1)  # all seeds but at most one
    result.claims = [
        evidence.every_seed("left arm: one head ends behind 4 and 8 heads",
                            "min(accuracy(4 heads), accuracy(8 heads)) − accuracy(1 head) > 0.1",
                            [min(a4, a8) - a1 - 0.1 for a1, a4, a8 in zip(acc[1], acc[4], acc[8])]),
        evidence.most_seeds("8 heads of d_k = 2 learn the task", "accuracy(8 heads) > 0.8",
                            [a - 0.8 for a in acc[8]], k4),
        evidence.most_seeds("no right arm at d_k = 2", "accuracy(8 heads) > accuracy(4 heads) − 0.1",
                            [a8 - a4 + 0.1 for a4, a8 in zip(acc[4], acc[8])], k4),
    ]
    return result
