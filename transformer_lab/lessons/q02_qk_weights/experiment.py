"""Tied against separate W_Q, W_K, on a directed relation and on a symmetric one, on several seeds.

Two tasks, each answered by one attention head whose weights must carry the answer (no MLP, no
positions: the relation is by content):

- ``CyclicSuccessorTask(n_keys=4, n_values=8)``: every item reads the value of the item whose key
  comes next on the cycle 0 → 1 → 2 → 3 → 0; nothing points back. Tied projections give symmetric
  scores, and symmetric scores always leave a mutual top pair in a sequence, so at least one of
  the four rows attends to the wrong item: hard attention cannot pass
  ``task.symmetric_ceiling`` = 3/4 + 1/4 · 1/8 ≈ 0.78.
- ``PartnerTask(n_pairs=2, n_values=8)``: keys come in fixed pairs and each item reads its
  partner's value; a symmetric relation, which tied projections can express. The control.

Three variants at the same width: ``untied``; ``tied`` (``share_qk``: W_Q = W_K, one layer, bias
included); ``tied + self-mask`` (Reformer's fix, Kitaev et al. 2020, arXiv:2001.04451: no
attention to self). Each model: d_model = 32, one head of width 32, pre-LayerNorm, no MLP, no
positions; AdamW at lr 2e-2, batches of 32, 60 steps on the cycle and 40 on the partner task;
five seeds per variant, trained together.

What five seeds show (and ``make claims`` confirms on 20 more bases): untied solves the cycle
(in all but at most one seed), tied never passes the ceiling; the self-mask reaches the ceiling in
some seeds but gets stuck below it in others, so its average gain on the cycle is not a claim.

Taught in ``notebooks/02_qk_weights.ipynb`` (§3b-§3d and §4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ... import evidence
from ..._checks import check_seed
from ...attention import masked_softmax
from ...config import ModelConfig
from ...evidence import check_run
from ...randomness import eval_seed, make_generator, seeds
from ...tasks import CyclicSuccessorTask, PartnerTask, Task
from ...stacked import SeedRuns, train_many
from ...train import TrainConfig, loss_and_accuracy, torch_threads
from .analysis import mass_on, model_head_scores, reorder
from .symmetry import asymmetry, top_keys

__all__ = ["VARIANTS", "CYCLE", "PARTNER", "TRAIN", "model_config", "training_sequences", "CyclicTraining",
           "PartnerTraining", "train_cyclic", "train_partner"]

VARIANTS = {"untied": {}, "tied": {"share_qk": True}, "tied + self-mask": {"share_qk": True, "mask_self": True}}
CYCLE = CyclicSuccessorTask(n_keys=4, n_values=8)
PARTNER = PartnerTask(n_pairs=2, n_values=8)
TRAIN = TrainConfig(steps=60, batch_size=32, lr=2e-2, eval_every=10, eval_size=512)


def model_config(task: Task, **kw) -> ModelConfig:
    """One head of width 32 on d_model = 32, pre-LayerNorm, no MLP, no positions; ``kw``: the variant."""
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task (e.g. lesson.CYCLE), got {type(task).__name__}")
    return ModelConfig(vocab_size=task.vocab_size, n_out=task.n_out, d_model=32, n_heads=1, d_ff=0,
                       positional="none", max_len=task.seq_len, **kw)


def _train(task: Task, base: int | None, n_seeds: int, steps: int) -> tuple[dict[str, SeedRuns], TrainConfig]:
    cfg = replace(TRAIN, steps=steps, eval_seed=eval_seed(base))
    configs = {label: model_config(task, **kw) for label, kw in VARIANTS.items()}
    return train_many(configs, task, seeds(n_seeds, base), cfg), cfg


def training_sequences(task: Task, seed: int, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Every training sequence that seed ``seed`` saw, in order: ``(steps·batch_size, T)`` tokens and
    targets, drawn again the way :func:`~transformer_lab.train.train_seeds` draws them (one generator
    seeded with the seed, one ``task.sample`` per step). A test holds this to the training history."""
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    g = make_generator(check_seed("seed", seed, minimum=0))
    batches = [task.sample(cfg.batch_size, g) for _ in range(cfg.steps)]
    return torch.cat([t for t, _ in batches]), torch.cat([y for _, y in batches])


@torch.no_grad()
def _weights(model, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The head's scores ``(B, T, T)`` before any mask, and its attention weights with the model's mask."""
    s = model_head_scores(model, tokens)[:, 0]  # (B, T, T)
    T = s.shape[-1]
    keep = ~torch.eye(T, dtype=torch.bool) if model.cfg.mask_self else None  # (T, T): no attention to self
    return s, masked_softmax(s, keep)  # (B, T, T) each


# --- the directed relation ----------------------------------------------------------------------

@dataclass
class CyclicTraining(evidence.Evidence):
    """The cyclic-successor experiment: ``runs[variant]`` (the seeds of one variant) and, per variant,
    one dict per seed of what its trained head does on the held-out batch (``attention``):

    ``succ``, ``pred``, ``self``: mean attention weight on the successor (right), the predecessor
    and the item itself; ``asym``: the largest ‖S − Sᵀ‖/‖S‖ over the sequences (0 when tied);
    ``right_mean``, ``right_max``: rows per sequence whose top-scoring key is the successor (mean,
    and the most in any sequence); ``by_key (K, K)``: the attention weights averaged over the
    sequences with rows and columns ordered by key; ``train_loss``: the final model's loss on all the
    sequences it trained on.
    """

    ceiling: float
    runs: dict[str, SeedRuns]
    attention: dict[str, list[dict]]

    def final(self, variant: str) -> list[float]:
        """Final held-out accuracy of each seed."""
        return self.runs[variant].final_accuracy

    def per_seed(self, variant: str, key: str) -> list[float]:
        """One number of :attr:`attention` for each seed, e.g. ``per_seed("tied", "self")``."""
        return [d[key] for d in self.attention[variant]]

    def summary(self) -> evidence.Table:
        return evidence.seed_table({v: self.final(v) for v in VARIANTS},
                                   f"final accuracy (chance 0.125, symmetric ceiling {self.ceiling:.3f})")

    def attention_summary(self) -> evidence.Table:
        """Where each variant's attention goes, mean ± sd over the seeds and every seed."""
        rows = {f"{v}: {what}": self.per_seed(v, key) for v in VARIANTS
                for key, what in (("succ", "on successor"), ("pred", "on predecessor"), ("self", "on self"))}
        rows.update({f"{v}: right rows of 4": self.per_seed(v, "right_mean") for v in VARIANTS})
        return evidence.seed_table(rows, "mean attention weight; right rows per sequence")

    def figure(self):
        from .figures import plot_cyclic  # matplotlib only when a figure is drawn

        return plot_cyclic(self)


@evidence.experiment("02")
def train_cyclic(base: int | None = None, n_seeds: int = 5, steps: int = TRAIN.steps) -> CyclicTraining:
    """Untied, tied and tied + self-mask on the cyclic successor task, ``n_seeds`` seeds each.

    Claims (the rules are in each :class:`~transformer_lab.evidence.Claim`): separate W_Q, W_K solve
    the cycle and beat both tied variants seed by seed; tied ones stay at the symmetric ceiling or
    below, the self-mask can reach it (in some seeds) and no further; where the attention goes; and
    the tied model underfits (its loss on the sequences it trained on is about its held-out loss).
    """
    check_run(base, n_seeds, steps)
    task = CYCLE
    runs, cfg = _train(task, base, n_seeds, steps)
    tokens, targets = task.batch(cfg.eval_size, cfg.eval_seed)  # (B, K) the held-out batch
    succ_pos, pred_pos, self_pos = (task.key_positions(tokens, o) for o in (1, -1, 0))  # (B, K) each
    order = (tokens // task.n_values).argsort(dim=1)  # (B, K): the position of key 0, 1, …, K-1
    attention: dict[str, list[dict]] = {}
    with torch_threads(cfg.threads):
        for label, r in runs.items():
            attention[label] = []
            for seed, model in zip(r.seeds, r.models):
                s, w = _weights(model, tokens)  # (B, K, K) each
                right = (top_keys(s, exclude_self=model.cfg.mask_self) == succ_pos).sum(-1)  # (B,)
                train_tokens, train_targets = training_sequences(task, seed, cfg)
                with torch.no_grad():
                    train_loss, _ = loss_and_accuracy(model(train_tokens), train_targets)
                attention[label].append({
                    "succ": mass_on(w, succ_pos).item(), "pred": mass_on(w, pred_pos).item(),
                    "self": mass_on(w, self_pos).item(), "asym": asymmetry(s).max().item(),
                    "right_mean": right.float().mean().item(), "right_max": int(right.max()),
                    "by_key": reorder(w, order).mean(0), "train_loss": train_loss.item(),
                })
    acc = {label: r.final_accuracy for label, r in runs.items()}
    ceiling = task.symmetric_ceiling

    def per(label: str, key: str) -> list[float]:
        return [d[key] for d in attention[label]]

    held_out = {label: r.final_loss for label, r in runs.items()}
    claims = [
        evidence.most_seeds("separate W_Q, W_K solve the cycle", "untied accuracy > 0.97",
                            [a - 0.97 for a in acc["untied"]], k=n_seeds - 1),
        evidence.every_seed("untied beats tied, seed by seed", "untied − tied accuracy > 0.15 (same seed)",
                            [u - t - 0.15 for u, t in zip(acc["untied"], acc["tied"])]),
        evidence.every_seed("tied stays at or below the symmetric ceiling",
                            f"tied and tied + self-mask accuracy < ceiling {ceiling:.3f} + 0.02",
                            [ceiling + 0.02 - max(t, m) for t, m in zip(acc["tied"], acc["tied + self-mask"])]),
        evidence.most_seeds("the self-mask can bring tied to the ceiling",
                            f"tied + self-mask accuracy within 0.03 of {ceiling:.3f}",
                            [0.03 - abs(a - ceiling) for a in acc["tied + self-mask"]], k=1),
        evidence.most_seeds("in most seeds the self-mask does not hurt",
                            "tied + self-mask − tied accuracy > −0.01 (same seed)",
                            [m - t + 0.01 for m, t in zip(acc["tied + self-mask"], acc["tied"])], k=n_seeds // 2 + 1),
        evidence.every_seed("and no further than the ceiling", "untied − (tied + self-mask) accuracy > 0.15",
                            [u - m - 0.15 for u, m in zip(acc["untied"], acc["tied + self-mask"])]),
        evidence.every_seed("untied attends to the successor", "untied weight on the successor > 0.9",
                            [x - 0.9 for x in per("untied", "succ")]),
        evidence.most_seeds("untied gets all four rows right", "untied right rows per sequence > 3.9 of 4",
                            [x - 3.9 for x in per("untied", "right_mean")], k=n_seeds - 1),
        evidence.every_seed("untied scores are far from symmetric", "untied max ‖S − Sᵀ‖/‖S‖ > 0.5",
                            [x - 0.5 for x in per("untied", "asym")]),
        evidence.every_seed("tied without the mask attends to itself", "tied weight on self > 0.2",
                            [x - 0.2 for x in per("tied", "self")]),
        evidence.every_seed("with the mask some weight flows back", "tied + self-mask weight on the predecessor > 0.15",
                            [x - 0.15 for x in per("tied + self-mask", "pred")]),
        evidence.every_seed("tied underfits: train loss ≈ held-out loss",
                            "tied loss on its training sequences within 0.15 of its held-out loss",
                            [0.15 - abs(tr - ev) for tr, ev in zip(per("tied", "train_loss"), held_out["tied"])]),
        evidence.every_seed("tied fits far worse than untied", "tied − untied held-out loss > 0.3",
                            [t - u - 0.3 for t, u in zip(held_out["tied"], held_out["untied"])]),
    ]
    return CyclicTraining(seeds=runs["untied"].seeds, claims=claims, ceiling=ceiling, runs=runs, attention=attention)


# --- the symmetric control ----------------------------------------------------------------------

@dataclass
class PartnerTraining(evidence.Evidence):
    """The partner-task control: ``runs[variant]`` and, per variant, each seed's mean attention weight
    on the partner (``on_partner``) and on itself (``on_self``), on the held-out batch."""

    runs: dict[str, SeedRuns]
    on_partner: dict[str, list[float]]
    on_self: dict[str, list[float]]

    def final(self, variant: str) -> list[float]:
        """Final held-out accuracy of each seed."""
        return self.runs[variant].final_accuracy

    def summary(self) -> evidence.Table:
        rows = {f"{v}: accuracy": self.final(v) for v in VARIANTS}
        rows.update({f"{v}: weight on partner": self.on_partner[v] for v in VARIANTS})
        rows.update({f"{v}: weight on self": self.on_self[v] for v in VARIANTS})
        return evidence.seed_table(rows, "final accuracy; mean attention weight")

    def figure(self):
        from .figures import plot_partner  # matplotlib only when a figure is drawn

        return plot_partner(self)


@evidence.experiment("02")
def train_partner(base: int | None = None, n_seeds: int = 5, steps: int = 40) -> PartnerTraining:
    """The symmetric control: untied, tied and tied + self-mask on the partner task, ``n_seeds`` seeds.

    Claims: tied + self-mask solves it like untied; in this short run the mask closes tied's gap
    (in all but at most one seed; with more steps tied catches up); tied without the mask keeps
    weight on itself, the mask moves it to the partner.
    """
    check_run(base, n_seeds, steps)
    task = PARTNER
    runs, cfg = _train(task, base, n_seeds, steps)
    tokens, _ = task.batch(cfg.eval_size, cfg.eval_seed)  # (B, T)
    partner_pos = task.partner_positions(tokens)  # (B, T)
    own_pos = torch.arange(task.seq_len).expand_as(tokens)  # (B, T)
    on_partner, on_self = {}, {}
    with torch_threads(cfg.threads):
        for label, r in runs.items():
            ws = [_weights(m, tokens)[1] for m in r.models]  # (B, T, T) per seed
            on_partner[label] = [mass_on(w, partner_pos).item() for w in ws]
            on_self[label] = [mass_on(w, own_pos).item() for w in ws]
    acc = {label: r.final_accuracy for label, r in runs.items()}
    claims = [
        evidence.most_seeds("untied solves the partner task", "untied accuracy > 0.97",
                            [a - 0.97 for a in acc["untied"]], k=n_seeds - 1),
        evidence.every_seed("tied + self-mask solves it too", "tied + self-mask accuracy > 0.97",
                            [a - 0.97 for a in acc["tied + self-mask"]]),
        evidence.most_seeds("in this short run the mask closes tied's gap",
                            "tied + self-mask − tied accuracy > 0.05 (same seed)",
                            [m - t - 0.05 for m, t in zip(acc["tied + self-mask"], acc["tied"])], k=n_seeds - 1),
        evidence.every_seed("tied without the mask attends to itself", "tied weight on self > 0.2",
                            [x - 0.2 for x in on_self["tied"]]),
        evidence.every_seed("the mask moves that weight to the partner", "tied + self-mask weight on the partner > 0.9",
                            [x - 0.9 for x in on_partner["tied + self-mask"]]),
    ]
    return PartnerTraining(seeds=runs["untied"].seeds, claims=claims, runs=runs, on_partner=on_partner,
                           on_self=on_self)
