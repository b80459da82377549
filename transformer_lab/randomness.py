"""Where every random number comes from: seeded generators, and one base seed that moves them all.

A notebook never picks a seed by hand. Its trained experiments take ``seeds(n)``, seeds
``1000·base + 0 … n-1``, and evaluate on a batch drawn with ``eval_seed()`` (``1000·base + 999``);
a demonstration (a random input, an untrained model) takes ``seed(i)``, ``1000·base + i``;
where ``base`` is read from the environment variable ``TRANSFORMER_LAB_SEED`` (default 0). So
``TRANSFORMER_LAB_SEED=7 jupyter lab`` re-runs every experiment of every notebook on seeds the
committed notebooks never used, and ``make claims`` (``tools/claims.py``) replays each experiment
from the bases 1 … 20 to count how often each claim holds.
"""

from __future__ import annotations

import os

import torch

from ._checks import check_int, check_seed

__all__ = ["SEED_ENV", "SEEDS_PER_BASE", "base_seed", "seed", "seeds", "eval_seed", "make_generator"]

SEED_ENV = "TRANSFORMER_LAB_SEED"
SEEDS_PER_BASE = 1000  # base b owns the seeds 1000·b … 1000·b + 999: bases never share a seed


def make_generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed``: the only source of randomness of a task or an init."""
    return torch.Generator().manual_seed(check_seed("seed", seed))


def base_seed(base: int | None = None) -> int:
    """``base`` if given, else ``$TRANSFORMER_LAB_SEED`` (default 0), checked to be an int >= 0."""
    if base is not None:
        return check_seed("base", base, minimum=0)
    text = os.environ.get(SEED_ENV, "0").strip() or "0"
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{SEED_ENV} must be an integer >= 0, got {text!r}") from None
    return check_seed(SEED_ENV, value, minimum=0)


def seed(i: int = 0, base: int | None = None) -> int:
    """One seed for a demonstration (an input, an untrained model): ``1000·base + i``."""
    check_int("i", i, minimum=0, maximum=SEEDS_PER_BASE - 2)  # the last seed is the evaluation batch's
    return SEEDS_PER_BASE * base_seed(base) + i


def seeds(n: int = 5, base: int | None = None) -> tuple[int, ...]:
    """The ``n`` training seeds of an experiment: ``1000·base + 0 … n-1`` (base: see :func:`base_seed`)."""
    check_int("n", n, minimum=1, maximum=SEEDS_PER_BASE - 1)  # the last seed is the evaluation batch's
    start = SEEDS_PER_BASE * base_seed(base)
    return tuple(range(start, start + n))


def eval_seed(base: int | None = None) -> int:
    """The seed of an experiment's evaluation batch, ``1000·base + 999``: never a training seed."""
    return SEEDS_PER_BASE * base_seed(base) + SEEDS_PER_BASE - 1
