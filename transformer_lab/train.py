"""A small, deterministic training loop that returns a history and takes callbacks.

The notebook decides what to print; the loop prints nothing (a ``tqdm.auto`` bar only when
``progress=True``).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from ._checks import under_vmap
from .optim import AdamW
from .randomness import seeds as default_seeds
from .randomness import check_seed as _check_seed, make_generator
from .tasks import IGNORE, Task

if TYPE_CHECKING:
    from .config import ModelConfig

__all__ = [
    "TrainConfig", "History", "SeedRuns", "train", "train_seeds", "train_many", "final_accuracy", "evaluate",
    "loss_and_accuracy", "torch_threads",
]


@dataclass
class TrainConfig:
    steps: int = 300  # optimiser steps
    batch_size: int = 64  # sequences per step
    lr: float = 3e-3  # AdamW learning rate
    weight_decay: float = 0.0  # AdamW weight decay
    grad_clip: float | None = 1.0  # max gradient norm; None = no clipping
    seed: int = 0  # seeds the training data (the model's init is seeded by build_model)
    eval_every: int = 50  # evaluate every this many steps (and at the last step)
    eval_size: int = 512  # sequences in the fixed evaluation batch
    eval_seed: int = 10_000  # seeds the evaluation batch, disjoint from the training seed
    # torch intra-op threads while training. 1: the same numbers on any machine's core count and
    # load (a matmul's rounding depends on how many threads split it, and training amplifies the
    # last bit into a different accuracy); toy models train no slower on one thread. None: leave it.
    threads: int | None = 1

    def __post_init__(self):
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"TrainConfig.threads must be a positive int or None, got {self.threads!r}")
        for name in ("seed", "eval_seed"):  # int(1.5) would silently reuse seed 1
            _check_seed(f"TrainConfig.{name}", getattr(self, name))
        for name in ("steps", "batch_size", "eval_every", "eval_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive int, got {value!r}")
        for name in ("lr", "weight_decay", "grad_clip"):
            value = getattr(self, name)
            if value is None and name == "grad_clip":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"TrainConfig.{name} must be a number, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"TrainConfig.lr must be > 0, got {self.lr}")
        if not self.weight_decay >= 0:
            raise ValueError(f"TrainConfig.weight_decay must be >= 0, got {self.weight_decay}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(
                f"TrainConfig.grad_clip must be > 0 or None (no clipping), got {self.grad_clip}; "
                "a negative max norm would flip the gradients"
            )


@dataclass
class History:
    """Per-step training loss and the evaluations (step, loss, accuracy)."""

    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    eval_accuracy: list[float] = field(default_factory=list)

    def __post_init__(self):
        for name in ("train_loss", "eval_steps", "eval_loss", "eval_accuracy"):
            if not isinstance(getattr(self, name), list):
                raise TypeError(f"History.{name} must be a list, got {type(getattr(self, name)).__name__}")
        if not len(self.eval_steps) == len(self.eval_loss) == len(self.eval_accuracy):
            raise ValueError(
                "History.eval_steps, History.eval_loss and History.eval_accuracy must have one entry per evaluation, "
                f"got lengths {len(self.eval_steps)}, {len(self.eval_loss)}, {len(self.eval_accuracy)}"
            )

    def _last(self, name: str) -> float:
        values = getattr(self, name)
        if not values:
            raise ValueError(f"History.{name} is empty: the run made no evaluation yet")
        return values[-1]

    @property
    def final_accuracy(self) -> float:
        return self._last("eval_accuracy")

    @property
    def final_loss(self) -> float:
        return self._last("eval_loss")


def loss_and_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy and accuracy over scored positions (targets != IGNORE). ``logits (B, T, C)``."""
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits (B, T, C) and targets (B, T) disagree: {tuple(logits.shape)} vs {tuple(targets.shape)}")
    scored = targets != IGNORE  # (B, T)
    if scored.any() and not 0 <= int(targets[scored].min()) <= int(targets[scored].max()) < logits.shape[-1]:
        raise ValueError(
            f"targets hold classes in [{int(targets[scored].min())}, {int(targets[scored].max())}] but logits "
            f"have C={logits.shape[-1]} classes; build the model with ModelConfig(n_out=task.n_out)"
        )
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
    acc = (logits.argmax(-1) == targets)[scored].float().mean()
    return loss, acc


@torch.no_grad()
def evaluate(model: torch.nn.Module, task: Task, size: int = 512, seed: int = 10_000) -> dict[str, float]:
    """Loss and accuracy on one fixed batch of ``size`` sequences drawn with ``seed``."""
    return _evaluate_on(model, *task.batch(size, seed))


@torch.no_grad()
def _evaluate_on(model: torch.nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    was_training = model.training
    model.eval()
    loss, acc = loss_and_accuracy(model(tokens), targets)
    model.train(was_training)
    return {"loss": loss.item(), "accuracy": acc.item()}


def train(
    model: torch.nn.Module,
    task: Task,
    cfg: TrainConfig | None = None,
    callbacks: tuple[Callable[[int, dict, torch.nn.Module], None], ...] = (),
    progress: bool = False,
) -> History:
    """Train ``model`` on ``task`` with AdamW; returns the :class:`History`.

    Deterministic for a given model init and ``cfg.seed``, on ``cfg.threads`` threads whatever
    the machine. Each callback is called as ``callback(step, metrics, model)`` after every evaluation.
    """
    cfg = cfg or TrainConfig()
    with torch_threads(cfg.threads):
        return _train(model, task, cfg, callbacks, progress)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block on ``n`` torch intra-op threads (None: as set), then restore the setting."""
    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _train(model, task: Task, cfg: TrainConfig, callbacks, progress: bool) -> History:
    gen = make_generator(cfg.seed)
    opt = AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)  # = torch.optim.AdamW
    eval_batch = task.batch(cfg.eval_size, cfg.eval_seed)  # the fixed evaluation batch, drawn once
    history = History()
    steps = range(1, cfg.steps + 1)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="training", leave=False)
    model.train()
    for step in steps:
        tokens, targets = task.sample(cfg.batch_size, gen)
        loss, _ = loss_and_accuracy(model(tokens), targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        history.train_loss.append(loss.item())
        if step % cfg.eval_every == 0 or step == cfg.steps:
            metrics = _evaluate_on(model, *eval_batch)
            history.eval_steps.append(step)
            history.eval_loss.append(metrics["loss"])
            history.eval_accuracy.append(metrics["accuracy"])
            for callback in callbacks:
                callback(step, metrics, model)
    return history


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
    from .model import build_model  # model imports attention and positional; train stays below them

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


def final_accuracy(histories: list[History]) -> float:
    """Mean over seeds of the last evaluation accuracy."""
    check_histories(histories)
    return sum(h.final_accuracy for h in histories) / len(histories)


# --- the checks shared with heads.train_and_keep and heads.mean_curve_accuracy ------------------

def check_runs(configs, task, seeds, cfg) -> None:
    """``{label: ModelConfig}`` that each fit ``task``, a tuple of int seeds >= 0, a TrainConfig or None:
    refused before anything trains."""
    from .config import ModelConfig

    if not isinstance(configs, Mapping):
        raise TypeError(f"configs must be a non-empty dict {{label: ModelConfig}}, got {type(configs).__name__}")
    if not configs:
        raise ValueError("configs must be a non-empty dict {label: ModelConfig}, got {}")
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task (e.g. tl.PointerTask()), got {type(task).__name__}")
    for label, model_cfg in configs.items():  # refuse a misfit before training anything
        if not isinstance(model_cfg, ModelConfig):
            raise TypeError(f"configs[{label!r}] must be a ModelConfig, got {type(model_cfg).__name__}")
        if (model_cfg.vocab_size < task.vocab_size or model_cfg.output_size < task.n_out
                or model_cfg.max_len < task.seq_len):
            raise ValueError(
                f"configs[{label!r}] must fit the task: vocab_size >= {task.vocab_size}, n_out >= {task.n_out}, "
                f"max_len >= {task.seq_len}; got vocab_size={model_cfg.vocab_size}, "
                f"n_out={model_cfg.output_size}, max_len={model_cfg.max_len}"
            )
    if not isinstance(seeds, (tuple, list)):
        raise TypeError(f"seeds must be a tuple of ints (one run per seed), got {type(seeds).__name__} {seeds!r}")
    if not seeds:
        raise ValueError("seeds must name at least one seed, got ()")
    for i, s in enumerate(seeds):
        if _check_seed(f"seeds[{i}]", s) < 0:
            raise ValueError(f"seeds[{i}] must be >= 0, got {s}")
    if cfg is not None and not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg must be a TrainConfig or None, got {type(cfg).__name__}")


def check_histories(histories) -> None:
    """A non-empty list (or tuple) of :class:`History`, one per seed."""
    if not isinstance(histories, (list, tuple)):
        raise TypeError(f"histories must be a list of History (one per seed), got {type(histories).__name__}")
    if not histories:
        raise ValueError("histories must hold at least one History, got []")
    for i, h in enumerate(histories):
        if not isinstance(h, History):
            raise TypeError(f"histories[{i}] must be a History, got {type(h).__name__}")
