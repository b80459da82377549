"""What a trained model's loss does at each position and each length: the extrapolation measurements.

Taught in ``notebooks/08_other_pe.ipynb`` (trained once per scheme at one length, evaluated at longer
ones). The scheme-only properties are in :mod:`.analysis`.

Shape legend: B batch, T positions, L a prefix length, C output classes, V vocabulary.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F

from ..._checks import check_int, check_tensor
from ...positional import PositionalScheme
from ...tasks import Task
from .analysis import length_gap

__all__ = ["loss_by_position", "prefix_losses", "loss_curves", "loss_by_length", "optimal_loss_by_position"]


def _check_model(model, name: str = "model") -> torch.nn.Module:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (e.g. tl.build_model(cfg)), got {type(model).__name__}")
    return model


@torch.no_grad()
def loss_by_position(model: torch.nn.Module, task: Task, size: int = 256, seed: int = 10_000) -> torch.Tensor:
    """Cross-entropy at each position, averaged over ``size`` sequences of ``task``: ``(T,)``."""
    _check_model(model)
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task (e.g. tl.LocalCopyTask()), got {type(task).__name__}")
    check_int("size", size)
    was_training = model.training
    model.eval()
    tokens, targets = task.batch(size, seed)  # (B, T), (B, T)
    logits = model(tokens)  # (B, T, C)
    model.train(was_training)
    return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none", ignore_index=-100).mean(0)  # (T,)


@torch.no_grad()
def prefix_losses(model: torch.nn.Module, tokens: torch.Tensor, targets: torch.Tensor,
                  lengths: Sequence[int]) -> dict[int, torch.Tensor]:
    """``{L: cross-entropy at each of the first L positions (L,)}``: the model run on ``tokens[:, :L]``,
    averaged over the batch. ``tokens, targets (B, T)`` with ``T >= max(lengths)``.

    The first L tokens of a longer sequence are a sequence of length L (for a task such as
    :class:`~transformer_lab.tasks.LocalCopyTask`, drawn from the same law), so one batch serves every
    length. A causal :class:`~transformer_lab.model.TinyTransformer` whose scheme does not depend on the
    length (:func:`length_gap` zero: every scheme but ``normalized``) computes at position t the same
    thing whatever follows, so it runs once, on the longest prefix, and is sliced; any other model runs
    once per length.
    """
    _check_model(model)
    check_tensor("tokens", tokens, ndim=2)
    check_tensor("targets", targets, ndim=2)
    if tokens.shape != targets.shape:
        raise ValueError(f"tokens and targets must have the same shape (B, T), got {tuple(tokens.shape)} and "
                         f"{tuple(targets.shape)}")
    if isinstance(lengths, str) or not isinstance(lengths, Sequence) or len(lengths) == 0:
        raise TypeError(f"lengths must be a non-empty sequence of ints (e.g. (16, 64)), got {lengths!r}")
    for i, L in enumerate(lengths):
        check_int(f"lengths[{i}]", L)
    longest = max(lengths)
    if longest > tokens.shape[1]:
        raise ValueError(f"lengths go up to {longest} but tokens has only T = {tokens.shape[1]} positions")
    was_training = model.training
    model.eval()

    def run(L: int) -> torch.Tensor:  # (L,)
        logits = model(tokens[:, :L])  # (B, L, C)
        return F.cross_entropy(logits.transpose(1, 2), targets[:, :L], reduction="none", ignore_index=-100).mean(0)

    try:
        if _length_free_causal(model):
            full = run(longest)  # (longest,)
            return {L: full[:L].clone() for L in lengths}
        return {L: run(L) for L in lengths}
    finally:
        model.train(was_training)


def _length_free_causal(model: torch.nn.Module) -> bool:
    """A causal model whose positional scheme gives every position the same code at any length."""
    cfg, scheme = getattr(model, "cfg", None), getattr(model, "positional", None)
    if not getattr(cfg, "causal", False) or getattr(cfg, "mask_self", False) or not isinstance(scheme, PositionalScheme):
        return False
    longer = min(8, cfg.max_len)
    if longer < 2:  # nothing to compare: run once per length
        return False
    return length_gap(scheme, cfg.d_model, cfg.n_heads, cfg.resolved_head_dim, T=longer // 2, longer=longer) < 1e-9


def loss_curves(
    models: Mapping[str, torch.nn.Module], task, lengths: Sequence[int], size: int = 256, seed: int = 10_000
) -> dict[str, dict[int, torch.Tensor]]:
    """``{name: {L: cross-entropy at each position (L,) of sequences of length L}}``.

    ``task`` needs ``at_length(L)`` (e.g. :class:`~transformer_lab.tasks.LocalCopyTask`). Each length
    is a fresh batch of sequences of exactly that length (a scheme such as ``normalized`` depends on
    the length itself, so a longer sequence cannot stand in for a shorter one).
    """
    if not hasattr(task, "at_length"):
        raise TypeError(f"task must have an at_length(L) method (e.g. LocalCopyTask), got {type(task).__name__}")
    if isinstance(lengths, str) or not isinstance(lengths, Sequence):
        raise TypeError(f"lengths must be a sequence of ints (e.g. (16, 32)), got {type(lengths).__name__}")
    if len(lengths) == 0:
        raise ValueError("lengths must name at least one length, got an empty sequence")
    for i, L in enumerate(lengths):
        check_int(f"lengths[{i}]", L)
    if not isinstance(models, Mapping):
        raise TypeError(f"models must be a dict {{name: model}}, got {type(models).__name__}")
    if not models:
        raise ValueError("models must name at least one model, got {}")
    for name, model in models.items():
        _check_model(model, f"models[{name!r}]")
    check_int("size", size)
    return {
        name: {L: loss_by_position(model, task.at_length(L), size, seed) for L in lengths}
        for name, model in models.items()
    }


def loss_by_length(
    models: Mapping[str, torch.nn.Module], task, lengths: Sequence[int], size: int = 256, seed: int = 10_000
) -> dict[str, list[float]]:
    """``{name: [mean cross-entropy of sequences of length L, for L in lengths]}`` (see :func:`loss_curves`)."""
    curves = loss_curves(models, task, lengths, size, seed)
    return {name: [by_len[L].mean().item() for L in lengths] for name, by_len in curves.items()}


def optimal_loss_by_position(task, size: int = 256, seed: int = 10_000) -> torch.Tensor:
    """The cross-entropy of the exact next-token law at each position (the floor no model beats): ``(T,)``.

    ``task`` needs ``optimal_probs(tokens)`` (e.g. :class:`~transformer_lab.tasks.LocalCopyTask`);
    the batch is the one :func:`loss_by_position` draws with the same ``size`` and ``seed``.
    """
    if not hasattr(task, "optimal_probs"):
        raise TypeError(f"task must have an optimal_probs(tokens) method (e.g. LocalCopyTask), got {type(task).__name__}")
    check_int("size", size)
    tokens, targets = task.batch(size, seed)  # (B, T), (B, T)
    probs = task.optimal_probs(tokens)  # (B, T, V)
    return -probs.gather(-1, targets[..., None]).squeeze(-1).log().mean(0)  # (T,)
