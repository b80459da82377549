"""Several seeds of one model trained together: their weights stacked, one forward pass for all.

``train_seeds(model_cfg, task, seeds, cfg)`` stacks the N models' weights
(``torch.func.stack_module_state``) and runs them side by side with ``vmap(functional_call)``: N
tiny models cost a few times one, not N times. Seed s means what it means for :func:`train`: the
model built with ``build_model(model_cfg, s)``, the batches drawn with seed s. Gradients are
clipped per seed and AdamW updates each entry on its own, so the result equals training the seeds
one after the other, up to float rounding (tests/test_train_seeds.py). Under ``vmap`` attention
always runs the written-out math (``masked_softmax``), whatever ``ModelConfig.attention`` says.

Shape legend: N seeds, B batch, T positions, C output classes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from ._checks import under_vmap
from .config import ModelConfig
from .model import build_model
from .optim import AdamW
from .randomness import make_generator
from .randomness import seeds as default_seeds
from .tasks import IGNORE, Task
from .train import History, TrainConfig, check_runs, torch_threads

__all__ = ["SeedRuns", "train_seeds", "train_many", "stacked_loss_and_accuracy"]

@dataclass
class SeedRuns:
    """One configuration trained on several seeds: a :class:`History` and a trained model per seed."""

    seeds: tuple[int, ...]
    histories: list[History]
    models: list[torch.nn.Module]

    @property
    def final_accuracy(self) -> list[float]:
        """The last evaluation accuracy of each seed."""
        return [h.final_accuracy for h in self.histories]

    @property
    def final_loss(self) -> list[float]:
        """The last evaluation loss of each seed."""
        return [h.final_loss for h in self.histories]


def train_seeds(
    model_cfg: "ModelConfig",
    task: Task,
    seeds: tuple[int, ...],
    cfg: TrainConfig | None = None,
    progress: bool = False,
) -> SeedRuns:
    """Train one model per seed, **all seeds at once**: the weights of the N models are stacked and
    one forward pass runs them side by side (``torch.func.vmap``), so N tiny models cost about as
    much as one (their time goes to dispatching ops, not to arithmetic).

    Seed s means what it means in :func:`train_many`: ``build_model(model_cfg, s)`` and training
    batches drawn with seed s, evaluated on the batch drawn with ``cfg.eval_seed``. The result equals
    training the seeds one after the other, up to float rounding (tests/test_train_seeds.py holds
    them together). Gradients are clipped per seed, AdamW updates each entry on its own.
    """
    check_runs({"model_cfg": model_cfg}, task, seeds, cfg)
    cfg = cfg or TrainConfig()
    models = [build_model(model_cfg, s) for s in seeds]
    with torch_threads(cfg.threads):
        histories = _train_stacked(models, task, tuple(seeds), cfg, progress)
    return SeedRuns(tuple(seeds), histories, [m.eval() for m in models])


def _train_stacked(models: list[torch.nn.Module], task: Task, seeds: tuple[int, ...], cfg: TrainConfig,
                   progress: bool) -> list[History]:
    N = len(models)
    params, buffers = stack_module_state(models)  # {name: (N, ...)}; tied weights appear once
    skeleton = copy.deepcopy(models[0])  # the architecture; functional_call swaps its weights per seed

    def forward(p, b, tokens):  # one seed's weights and tokens (B, T) -> logits (B, T, C)
        return functional_call(skeleton, (p, b), (tokens,))

    per_seed_batch = vmap(forward)  # (N, B, T) -> (N, B, T, C)
    shared_batch = vmap(forward, in_dims=(0, 0, None))  # (B, T), one batch for every seed
    weights = list(params.values())
    opt = AdamW(weights, lr=cfg.lr, weight_decay=cfg.weight_decay)  # elementwise: each seed on its own
    gens = [make_generator(s) for s in seeds]
    eval_tokens, eval_targets = task.batch(cfg.eval_size, cfg.eval_seed)
    histories = [History() for _ in seeds]
    steps = range(1, cfg.steps + 1)
    if progress:
        from tqdm.auto import tqdm  # optional: only when a progress bar is asked for

        steps = tqdm(steps, desc=f"training {N} seeds", leave=False)
    for step in steps:
        batches = [task.sample(cfg.batch_size, g) for g in gens]
        tokens = torch.stack([t for t, _ in batches])  # (N, B, T)
        targets = torch.stack([y for _, y in batches])  # (N, B, T)
        with under_vmap():  # token ids come from the task; the loss is checked below
            logits = per_seed_batch(params, buffers, tokens)  # (N, B, T, C)
        loss, _ = stacked_loss_and_accuracy(logits, targets)  # (N,)
        if not torch.isfinite(loss.detach()).all():
            bad = [s for s, ok in zip(seeds, torch.isfinite(loss.detach()).tolist()) if not ok]
            raise ValueError(f"the training loss became NaN or inf at step {step} for seeds {bad}; lower TrainConfig.lr "
                             "or keep TrainConfig.grad_clip")
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()  # seeds share no weight: each gets the gradient of its own loss
        if cfg.grad_clip is not None:
            _clip_per_seed([w.grad for w in weights if w.grad is not None], cfg.grad_clip)
        opt.step()
        for h, value in zip(histories, loss.tolist()):
            h.train_loss.append(value)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            with torch.no_grad(), under_vmap():
                eval_logits = shared_batch(params, buffers, eval_tokens)  # (N, B, T, C)
            ev_loss, ev_acc = stacked_loss_and_accuracy(eval_logits, eval_targets.expand(N, *eval_targets.shape))
            for h, l, a in zip(histories, ev_loss.tolist(), ev_acc.tolist()):
                h.eval_steps.append(step)
                h.eval_loss.append(l)
                h.eval_accuracy.append(a)
    with torch.no_grad():
        for i, model in enumerate(models):
            for name, p in model.named_parameters():
                p.copy_(params[name][i])
    return histories


def stacked_loss_and_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-seed cross-entropy and accuracy over scored positions: ``logits (N, B, T, C)``,
    ``targets (N, B, T)`` -> ``(N,)`` each, what :func:`loss_and_accuracy` gives each seed."""
    scored = targets != IGNORE  # (N, B, T)
    count = scored.flatten(1).sum(1)  # (N,)
    ce = F.cross_entropy(logits.flatten(0, 2), targets.flatten(), ignore_index=IGNORE, reduction="none")  # (N·B·T,)
    loss = ce.view_as(targets).flatten(1).sum(1) / count  # (N,)
    right = ((logits.detach().argmax(-1) == targets) & scored).flatten(1).sum(1)  # (N,)
    return loss, right / count


def _clip_per_seed(grads: list[torch.Tensor], max_norm: float) -> None:
    """``clip_grad_norm_`` for each seed separately: ``grads`` are ``(N, ...)``."""
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads]).norm(dim=0)  # (N,) one norm per seed
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)  # (N,)
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)))


def train_many(
    configs: dict[str, "ModelConfig"],
    task: Task,
    seeds: tuple[int, ...] | None = None,
    cfg: TrainConfig | None = None,
    progress: bool = False,
) -> dict[str, SeedRuns]:
    """Train every configuration on every seed: ``{label: SeedRuns}``, the seeds of one
    configuration trained together (:func:`train_seeds`).

    ``seeds=None`` takes ``randomness.seeds(5)``: five seeds derived from the base seed
    (``$TRANSFORMER_LAB_SEED``). Seed s builds each model with ``build_model(config, s)`` and draws
    its training data with seed s, so two labels with the same seed see the same batches.
    """
    seeds = default_seeds() if seeds is None else seeds
    check_runs(configs, task, seeds, cfg)
    return {label: train_seeds(model_cfg, task, seeds, cfg, progress) for label, model_cfg in configs.items()}
