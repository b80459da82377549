"""One head against several at the same d_model, on a task that needs two relations at once.

The task, ``RecallAndPreviousTask(n_keys=6, n_values=4, n_pairs=5)``: five (key, value) items,
then a query naming one key; the answer is the pair (value of the item with that key, value of
the item just before the query), 16 classes. The query must read two tokens, one found by
content and one found by position. One head gives one softmax per query, one weighted average
of the values; several heads can each read one of the two.

Each model: d_model = 16, one layer, no MLP, learned positions; only the number of heads differs
(d_k = 16/h), so every model has the same parameters, and seed s gives every layout the same
initial weights and the same training batches. 200 AdamW steps of 32 sequences at lr 2e-2, five
seeds per layout, trained together. At this budget one head almost never learns the task; at lr
1e-2 and 300 steps it does on about half the seeds (shared/design/ANCHORS.md): the claims say
what several heads make reliable, not what one head cannot do.

Inside the experiment, on every seed's trained models (the claims are decided over the seeds):
where each head's query row puts its weight (:func:`.analysis.relation_mass`,
:func:`~.analysis.argmax_mode_fraction`, :func:`~.analysis.head_diversity`)
and what removing each head costs (:func:`~.analysis.ablate_heads`, Michel et al.
2019, arXiv:1905.10650).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ... import evidence
from ..._checks import check_int, check_tensor
from ...evidence import check_run
from ...stacked import SeedRuns
from ..head_layouts import D_MODEL, TASK, TRAIN, _check_heads, label, layout_config, train_layouts  # shared with notebook 05
from . import analysis

__all__ = ["TASK", "TRAIN", "D_MODEL", "layout_config", "HEADS", "read_heads", "value_accuracy", "HeadCountTraining",
           "train_head_counts"]

HEADS = (1, 8)  # one head against the paper's eight (Vaswani et al. 2017, Table 3 (A)); notebook 05 sweeps 1, 4, 8


@torch.no_grad()
def read_heads(model: torch.nn.Module, tokens: torch.Tensor) -> dict:
    """Where each head of a trained one-layer model reads, on the query row of ``tokens`` (B, T).

    ``{"found": [H], "previous": [H]}``: mean weight on the item found by content and on the item
    one back; ``"same spot": [H]``: how often the head's strongest key is at its most common
    position (1.0: a fixed offset, like a convolution kernel; about 0.25: it moves with the
    content); ``"JS"``: mean Jensen-Shannon divergence between the heads' query rows (None for one head).
    """
    relations = TASK.relation_positions(tokens)
    _, cache = model(tokens, return_cache=True)
    w = cache["blocks.0.attn.weights"]  # (B, H, T, S)
    return {
        "found": analysis.relation_mass(w, relations["found"]).tolist(),
        "previous": analysis.relation_mass(w, relations["previous"]).tolist(),
        "same spot": analysis.argmax_mode_fraction(w).tolist(),
        "JS": analysis.head_diversity(w, query=-1)["mean"] if w.shape[1] > 1 else None,
    }


@torch.no_grad()
def value_accuracy(model: torch.nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """How often the model's answer gets each of the two values right, scored apart:
    ``{"found": .., "previous": ..}`` (the class is ``found · n_values + previous``).

    A model that reads only one of the two items gets that value right and guesses the other
    (about 1/n_values): its full accuracy is low although it learnt half the task.
    """
    if not hasattr(getattr(model, "cfg", None), "n_heads"):
        raise TypeError(f"model must be a transformer_lab.TinyTransformer, got {type(model).__name__}")
    TASK.relation_positions(tokens)  # refuses tokens that are not this task's (B, T) sequences
    check_tensor("targets", targets, ndim=2)
    if targets.shape != tokens.shape:
        raise ValueError(f"targets must have the shape of tokens {tuple(tokens.shape)}, got {tuple(targets.shape)}")
    was_training = model.training
    model.eval()
    answer = model(tokens)[:, -1].argmax(-1)  # (B,): the class predicted at the query
    model.train(was_training)
    target = targets[:, -1]  # (B,)
    V = TASK.n_values
    return {"found": (answer // V == target // V).float().mean().item(),
            "previous": (answer % V == target % V).float().mean().item()}


def _reader(r: dict, relation: str) -> int:
    """The head that puts the most weight on ``relation`` (ties: the lowest index)."""
    return max(range(len(r[relation])), key=lambda i: r[relation][i])


@dataclass
class HeadCountTraining(evidence.Evidence):
    """``runs[h]``: the seeds of the h-head model; ``reads[h][i]``: :func:`read_heads` of seed i's
    model; ``drops[h][i]``: accuracy lost when each head of seed i's model is removed (h > 1)."""

    heads: tuple[int, ...]
    runs: dict[int, SeedRuns]
    reads: dict[int, list[dict]]
    drops: dict[int, list[list[float]]]
    eval_seed: int

    def final(self, h: int) -> list[float]:
        """Final held-out accuracy of each seed of the h-head model."""
        return self.runs[h].final_accuracy

    def models(self, seed_index: int = 0) -> dict[str, torch.nn.Module]:
        """One seed's trained models, ``{"1 head": model, ...}`` (for the explorer)."""
        self._check_seed_index(seed_index)
        return {label(h): self.runs[h].models[seed_index] for h in self.heads}

    def _check_seed_index(self, seed_index) -> None:
        check_int("seed_index", seed_index, minimum=0)
        if seed_index >= len(self.seeds):
            raise ValueError(f"seed_index must be an int in [0, {len(self.seeds)}), got {seed_index!r}")

    def both_relations(self, h: int) -> list[float]:
        """Per seed: the most weight any head puts on the found item plus the most any head puts on
        the item one back. At most 1 for one head (its weights sum to 1); up to 2 for several."""
        return [max(r["found"]) + max(r["previous"]) for r in self.reads[h]]

    def summary(self) -> evidence.Table:
        return evidence.seed_table({f"{label(h)} (d_k = {D_MODEL // h})": self.final(h) for h in self.heads},
                                   f"final accuracy (chance {1 / TASK.n_out:.4f})")

    def reads_summary(self) -> evidence.Table:
        """Per seed: where the heads read (query row, test batch) and what removing them costs."""
        rows = {}
        for h in self.heads:
            rs = self.reads[h]
            if h == 1:
                rows["1 head: weight on the found item"] = [r["found"][0] for r in rs]
                rows["1 head: weight on the item one back"] = [r["previous"][0] for r in rs]
                continue
            rows[f"{label(h)}: most weight one head puts on the found item"] = [max(r["found"]) for r in rs]
            rows[f"{label(h)}: most weight one head puts on the item one back"] = [max(r["previous"]) for r in rs]
            rows[f"{label(h)}: same spot, the head reading the item one back"] = [
                r["same spot"][_reader(r, "previous")] for r in rs]
            rows[f"{label(h)}: same spot, the head reading the found item"] = [
                r["same spot"][_reader(r, "found")] for r in rs]
            rows[f"{label(h)}: JS between heads (ln 2 = disjoint)"] = [r["JS"] for r in rs]
        return evidence.seed_table(rows, "value")

    def ablation_summary(self) -> evidence.Table:
        """Per seed: accuracy lost by removing one head: the cheapest, the third cheapest, the costliest."""
        rows = {}
        for h, ds in self.drops.items():
            rows[f"{label(h)}: all heads, accuracy"] = self.final(h)
            rows[f"{label(h)}: loss from the cheapest head"] = [sorted(d)[0] for d in ds]
            if h >= 3:
                rows[f"{label(h)}: loss from the third cheapest head"] = [sorted(d)[2] for d in ds]
            rows[f"{label(h)}: loss from the costliest head"] = [sorted(d)[-1] for d in ds]
        return evidence.seed_table(rows, "accuracy")

    def figure(self):
        from .figures import plot_head_count_training  # matplotlib only when drawn (figures imports this module)

        return plot_head_count_training(self)

    def maps_figure(self, tokens: torch.Tensor, seed_index: int = 0):
        """Every head's attention map of the largest model of seed ``seed_index`` on one input ``tokens (T,)``."""
        check_tensor("tokens", tokens, ndim=1)  # one input of the task, (T,)
        self._check_seed_index(seed_index)
        from .figures import plot_head_maps  # matplotlib only when drawn (figures imports this module)

        return plot_head_maps(self, tokens, seed_index)

    def ablation_figure(self):
        from .figures import plot_head_ablation  # matplotlib only when drawn (figures imports this module)

        return plot_head_ablation(self)


@evidence.experiment("01")
def train_head_counts(base: int | None = None, heads: tuple[int, ...] = HEADS, n_seeds: int = 5,
                      steps: int = TRAIN.steps) -> HeadCountTraining:
    """One head against eight at d_model = 16, on ``n_seeds`` seeds; what the heads read; head ablation.

    Claims (rules in :attr:`HeadCountTraining.claims`): eight heads end above one head in every
    seed, learn the task in most seeds, and one head does not learn it in most seeds; eight heads
    read both relations at once, with a fixed-offset head for the item one back; several of the
    eight heads can be removed at little cost.
    """
    heads = _check_heads(heads)
    check_run(base, n_seeds, steps)
    if 1 not in heads or len(heads) < 2:
        raise ValueError(f"heads must hold 1 and at least one other head count, to compare them; got {heads!r}")
    runs, cfg = train_layouts(heads, base, n_seeds, steps)
    tokens, targets = TASK.batch(cfg.eval_size, cfg.eval_seed)  # the evaluation batch of training
    reads = {h: [read_heads(m, tokens) for m in runs[h].models] for h in heads}
    drops = {}
    for h in heads:
        if h > 1:
            drops[h] = []
            for m in runs[h].models:
                ab = analysis.ablate_heads(m, tokens, targets)
                drops[h].append([ab["baseline"]["accuracy"] - a for a in ab["accuracy"][0].tolist()])
    result = HeadCountTraining(seeds=runs[1].seeds, claims=[], heads=heads, runs=runs, reads=reads, drops=drops,
                               eval_seed=cfg.eval_seed)
    many = max(heads)
    one, several = result.final(1), result.final(many)
    n = len(one)
    k = n // 2 + 1  # "most seeds": a majority
    k4 = max(1, n - 1)  # "all seeds but at most one"
    spread = [r["same spot"][_reader(r, "previous")] - r["same spot"][_reader(r, "found")] for r in reads[many]]
    result.claims = [
        evidence.every_seed(f"{label(many)} end far above one head", f"accuracy({many} heads) − accuracy(1 head) > 0.1",
                            [b - a - 0.1 for a, b in zip(one, several)]),
        evidence.most_seeds(f"{label(many)} learn the task", f"accuracy({many} heads) > 0.8",
                            [b - 0.8 for b in several], k4),
        evidence.most_seeds("one head does not learn it in this budget", "accuracy(1 head) < 0.5",
                            [0.5 - a for a in one], k),
        evidence.most_seeds("one head leans on one relation",
                            "its larger weight (found or one back) > 0.5 and the smaller < 0.2",
                            [min(max(r["found"][0], r["previous"][0]) - 0.5, 0.2 - min(r["found"][0], r["previous"][0]))
                             for r in reads[1]], k),
        evidence.most_seeds(f"{label(many)} read both relations at once",
                            "max over heads of the weight on found + max on one back > 1 (one head: ≤ 1 always)",
                            [s - 1 for s in result.both_relations(many)], k4),
        evidence.every_seed(f"{label(many)}: a fixed-offset head and a content head",
                            "same spot of the head reading one back > same spot of the head reading found", spread),
        evidence.every_seed(f"several of the {many} heads can go at little cost",
                            "removing any one of the 3 cheapest heads costs < 0.15 accuracy",
                            [0.15 - sorted(d)[2] for d in drops[many]]) if many >= 3 else None,
    ]
    result.claims = [c for c in result.claims if c is not None]
    return result
