"""Shared setup for the unit tests of the package core.

- The repository root is put on ``sys.path`` when ``transformer_lab`` is not installed, so both
  ``python -m pytest tests`` and ``pytest`` work from a fresh checkout.
- Hypothesis runs a small, reproducible number of examples by default (profile ``unit``); set
  ``HYPOTHESIS_PROFILE=thorough`` to explore more.
- Every test starts from the same global torch seed, so a failure reproduces run to run; torch
  uses one thread (the tensors are tiny).
- ``randn`` and ``random_mask`` (``from conftest import ...``) draw tensors from a seed only, so
  hypothesis can choose the seed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
try:
    import transformer_lab  # noqa: F401
except ImportError:  # not installed: test the source tree
    sys.path.insert(0, str(ROOT))

# The tensors here are tiny: extra intra-op threads only add overhead, and spin-waiting threads
# slow the suite down badly when another process shares the two cores.
torch.set_num_threads(1)

settings.register_profile("unit", max_examples=30, deadline=None, database=None, derandomize=True)
settings.register_profile("thorough", max_examples=300, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "unit"))


@pytest.fixture(autouse=True)
def _seed_torch():
    """Same global seed at the start of every test (tests that need their own RNG use a Generator)."""
    torch.manual_seed(0)
    yield


def randn(seed: int, *shape: int, dtype=torch.float32) -> torch.Tensor:
    """Standard-normal tensor that depends only on ``seed`` (never on the global RNG)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


def random_mask(seed: int, *shape: int, p_keep: float = 0.6) -> torch.Tensor:
    """Random keep-mask that depends only on ``seed``."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=g) < p_keep



def assert_blit_matches_full_draw(fresh_fig, explorer_fig) -> None:
    """Full-draw ``fresh_fig`` (nothing animated) and compare it with the explorer's blitted canvas:
    at most 0.2% of pixels may differ by more than 8 levels in any channel."""
    import numpy as np

    fresh_fig.canvas.draw()
    full = np.asarray(fresh_fig.canvas.buffer_rgba()).astype(int)
    blitted = np.asarray(explorer_fig.canvas.buffer_rgba()).astype(int)
    assert full.shape == blitted.shape
    differing = (np.abs(full - blitted).max(-1) > 8).mean()
    assert differing < 0.002, f"{differing:.2%} of pixels differ"
