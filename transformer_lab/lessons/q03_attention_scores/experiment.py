"""Train one attention head with each score function, at a small and a large d_k, on several seeds.

The task, ``KeyValueRecallTask(n_keys=8, n_values=8, n_pairs=4)``: four (key, value) pairs, then a
key; predict its value. The answer can only travel through the attention weights, so a saturated
softmax starves it (Vaswani et al. 2017, §3.2.1: "we suspect that for large values of d_k, the dot
products grow large in magnitude, pushing the softmax function into regions where it has
extremely small gradients"). For "additive beats unscaled dot at large d_k" Vaswani et al. cite
Britz et al. 2017 (arXiv:1703.03906), who ran it in translation; they did not run it themselves.

Each model: d_model = 32, one head of width d_k, pre-LayerNorm, no MLP, no positions; additive
attention has A = 32 hidden units at every d_k, so d_k is all that changes between the two widths;
70 AdamW steps of 32 sequences at lr 1e-2; five seeds per configuration, trained together (70
rather than 80 steps since issue 19: every claim still held in 20 of 20 replays, see seeds/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ... import evidence
from ...evidence import check_run
from ...config import ModelConfig
from ...randomness import eval_seed, seeds
from ...tasks import KeyValueRecallTask
from ...stacked import SeedRuns, train_many
from ...train import TrainConfig

__all__ = ["ScoreTraining", "train_score_functions", "SCORES"]

SCORES = ("additive", "dot", "scaled_dot")
ADDITIVE_WIDTH = 32  # A: the hidden units of additive attention, the same at every d_k
TASK = KeyValueRecallTask(n_keys=8, n_values=8, n_pairs=4)
TRAIN = TrainConfig(steps=70, batch_size=32, lr=1e-2, eval_every=20, eval_size=256)


@dataclass
class ScoreTraining(evidence.Evidence):
    """``runs[score, d_k]``: the seeds of one score function at one head width."""

    d_ks: tuple[int, int]
    runs: dict[tuple[str, int], SeedRuns]

    def final(self, score: str, d_k: int) -> list[float]:
        """Final held-out accuracy of each seed."""
        return self.runs[score, d_k].final_accuracy

    def summary(self) -> evidence.Table:
        return evidence.seed_table({f"{s}, d_k = {d}": self.final(s, d) for d in self.d_ks for s in SCORES},
                                   "final accuracy (chance 0.125)")

    def figure(self):
        from .figures import plot_score_training  # matplotlib only when a figure is drawn

        return plot_score_training(self)


@evidence.experiment("03")
def train_score_functions(base: int | None = None, d_ks: tuple[int, int] = (4, 128), n_seeds: int = 5,
                          steps: int = TRAIN.steps) -> ScoreTraining:
    """Additive, unscaled dot and scaled dot, each at a small and a large d_k, on ``n_seeds`` seeds.

    Claims: in every seed, at the large d_k additive beats unscaled dot, and the scale rescues dot;
    at the small d_k additive and unscaled dot are close (mean over seeds); going from the small to
    the large d_k, unscaled dot falls further behind both, in every seed; at either d_k additive is
    no better than scaled dot (mean over seeds).
    """
    check_run(base, n_seeds, steps)
    if not isinstance(d_ks, (tuple, list)) or any(isinstance(d, bool) or not isinstance(d, int) for d in d_ks):
        raise TypeError(f"d_ks must be a tuple of two int head widths (small, large), got {d_ks!r}")
    if len(d_ks) != 2 or not 1 <= d_ks[0] < d_ks[1]:
        raise ValueError(f"d_ks must be two head widths (small, large) with 1 <= small < large, got {d_ks!r}")
    small, large = d_ks
    cfg = replace(TRAIN, steps=steps, eval_seed=eval_seed(base))
    configs = {(score, d_k): ModelConfig(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=32, n_heads=1,
                                         head_dim=d_k, d_ff=0, score=score, positional="none", max_len=TASK.seq_len,
                                         additive_width=ADDITIVE_WIDTH if score == "additive" else None)
               for d_k in d_ks for score in SCORES}
    runs = train_many(configs, TASK, seeds(n_seeds, base), cfg)
    acc = {key: r.final_accuracy for key, r in runs.items()}

    def gap(a: str, b: str, d_k: int) -> list[float]:  # per seed: accuracy of a minus accuracy of b
        return [x - y for x, y in zip(acc[a, d_k], acc[b, d_k])]

    claims = [
        evidence.every_seed(f"additive beats unscaled dot at d_k = {large}",
                            f"additive − dot > 0.1 at d_k = {large}", [g - 0.1 for g in gap("additive", "dot", large)]),
        evidence.every_seed(f"the 1/√d_k scale rescues dot at d_k = {large}",
                            f"scaled − unscaled dot > 0.2 at d_k = {large}",
                            [g - 0.2 for g in gap("scaled_dot", "dot", large)]),
        evidence.every_seed("the scale matters more at large d_k",
                            f"(scaled − unscaled) at d_k = {large} > (scaled − unscaled) at d_k = {small}",
                            [a - b for a, b in zip(gap("scaled_dot", "dot", large), gap("scaled_dot", "dot", small))]),
        evidence.mean_within(f"at d_k = {small} additive and unscaled dot are close", f"additive − dot at d_k = {small}",
                             gap("additive", "dot", small), tolerance=0.2, n_se=0),
        evidence.every_seed("unscaled dot falls behind additive as d_k grows",
                            f"(additive − dot) at d_k = {large} > (additive − dot) at d_k = {small} + 0.1",
                            [a - b - 0.1 for a, b in zip(gap("additive", "dot", large), gap("additive", "dot", small))]),
        *(evidence.mean_above(f"additive is no better than scaled dot at d_k = {d}",
                              f"scaled dot − additive at d_k = {d}", gap("scaled_dot", "additive", d), -0.1, n_se=0)
          for d in (small, large)),
    ]
    return ScoreTraining(seeds=runs[SCORES[0], small].seeds, claims=claims, d_ks=d_ks, runs=runs)
