"""A small, deterministic training loop that returns a history and takes callbacks.

The notebook decides what to print; the loop prints nothing (a ``tqdm.auto`` bar only when
``progress=True``). Several seeds of one model train together in :mod:`transformer_lab.stacked`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

import torch
import torch.nn.functional as F

from ._checks import check_int, check_number, check_seed
from .config import ModelConfig
from .optim import AdamW
from .randomness import make_generator
from .tasks import IGNORE, Task

__all__ = ["TrainConfig", "History", "train", "final_accuracy", "evaluate", "loss_and_accuracy", "torch_threads",
           "check_runs", "check_histories"]


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
        """Every field checked by name: a wrong type is a TypeError, a wrong value a ValueError."""
        for name in ("steps", "batch_size", "eval_every", "eval_size"):
            check_int(f"TrainConfig.{name}", getattr(self, name))
        for name in ("seed", "eval_seed"):  # int(1.5) would silently reuse seed 1
            check_seed(f"TrainConfig.{name}", getattr(self, name))
        if self.threads is not None:
            check_int("TrainConfig.threads", self.threads)
        check_number("TrainConfig.lr", self.lr, above=0)
        check_number("TrainConfig.weight_decay", self.weight_decay, minimum=0)
        if self.grad_clip is not None:  # a negative max norm would flip the gradients
            check_number("TrainConfig.grad_clip", self.grad_clip, above=0)


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
        from tqdm.auto import tqdm  # optional: only when a progress bar is asked for

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














def final_accuracy(histories: list[History]) -> float:
    """Mean over seeds of the last evaluation accuracy."""
    check_histories(histories)
    return sum(h.final_accuracy for h in histories) / len(histories)


# --- the checks shared with heads.train_and_keep and heads.mean_curve_accuracy ------------------

def check_runs(configs, task, seeds, cfg) -> None:
    """``{label: ModelConfig}`` that each fit ``task``, a tuple of int seeds >= 0, a TrainConfig or None:
    refused before anything trains."""
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
        if check_seed(f"seeds[{i}]", s) < 0:
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
