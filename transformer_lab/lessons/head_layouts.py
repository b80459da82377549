"""The head-layout models that notebooks 01 and 05 both train: one task, one d_model, only h changes.

The task, ``RecallAndPreviousTask(n_keys=6, n_values=4, n_pairs=5)``: five (key, value) items,
then a query naming one key; the answer is the pair (value of the item with that key, value of
the item just before the query), 16 classes. Each model: d_model = 16, one layer, no MLP, learned
positions; only the number of heads differs (d_k = 16/h), so every model has the same parameters,
and seed s gives every layout the same initial weights and the same training batches.
200 AdamW steps of 32 sequences at lr 2e-2; evaluated on 256 held-out sequences.
"""

from __future__ import annotations

from dataclasses import replace

from .._checks import check_int
from ..config import ModelConfig
from ..evidence import check_run
from ..randomness import eval_seed, seeds
from ..stacked import SeedRuns, train_many
from ..tasks import RecallAndPreviousTask
from ..train import TrainConfig

__all__ = ["TASK", "D_MODEL", "TRAIN", "label", "layout_config", "train_layouts"]

TASK = RecallAndPreviousTask(n_keys=6, n_values=4, n_pairs=5)


D_MODEL = 16


TRAIN = TrainConfig(steps=200, batch_size=32, lr=2e-2, eval_every=25, eval_size=256)


def label(h: int) -> str:
    """``"1 head"``, ``"8 heads"``."""
    check_int("h", h)
    return f"{h} head{'s' if h > 1 else ''}"


def layout_config(h: int) -> ModelConfig:
    """The model with ``h`` heads of width ``D_MODEL / h``: one layer, no MLP, learned positions."""
    return ModelConfig(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=D_MODEL, n_heads=h, d_ff=0,
                       positional="learned", max_len=TASK.seq_len)


def _check_heads(hs) -> tuple[int, ...]:
    if not isinstance(hs, (tuple, list)) or not hs:
        raise TypeError(f"heads must be a non-empty tuple of head counts that divide d_model={D_MODEL}, got {hs!r}")
    for h in hs:
        if isinstance(h, bool) or not isinstance(h, int):
            raise TypeError(f"heads must hold int head counts that divide d_model={D_MODEL}, got {type(h).__name__} {h!r}")
        if h < 1 or D_MODEL % h:
            raise ValueError(f"heads must hold head counts that divide d_model={D_MODEL} (1, 2, 4, 8, 16), got {h!r}")
    if len(set(hs)) != len(hs):
        raise ValueError(f"heads must not repeat a head count, got {hs!r}")
    return tuple(hs)


def train_layouts(hs: tuple[int, ...], base: int | None = None, n_seeds: int = 5, steps: int = TRAIN.steps,
                  ) -> tuple[dict[int, SeedRuns], TrainConfig]:
    """Train every layout in ``hs`` on ``seeds(n_seeds, base)``; evaluated on the batch of ``eval_seed(base)``."""
    hs = _check_heads(hs)
    check_run(base, n_seeds, steps)
    cfg = replace(TRAIN, steps=steps, eval_seed=eval_seed(base))
    runs = train_many({h: layout_config(h) for h in hs}, TASK, seeds(n_seeds, base), cfg)
    return runs, cfg
