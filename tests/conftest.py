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


@pytest.fixture
def close_new_widgets():
    """Close the widgets a test created; the module-scoped explorers (created before it) stay open.

    ``Widget.close_all()`` would close those too, and a closed widget has no ``_repr_mimebundle_``.
    """
    from ipywidgets.widgets.widget import _instances

    before = set(_instances)
    yield
    for key in [k for k in _instances if k not in before]:
        widget = _instances.get(key)
        if widget is not None:
            widget.close()


def update_and_full_draw_medians(explorer, steps, full_draws: int = 3) -> tuple[float, float]:
    """Median seconds of a blitted update and of a full ``fig.canvas.draw()`` + PNG of the same figure.

    ``steps`` is a list of ``{control: value}``; each is applied with ``explorer.set`` and must
    change a control. ``full_draws`` full draws are timed in between, back to back with the
    updates, so both medians see the same load: their ratio does not flake on a busy machine
    (the 15 ms budget itself is measured by ``tools/widget_latency.py``).
    """
    import math
    import statistics
    import time

    import numpy as np

    from transformer_lab.viz import encode_png

    updates, fulls = [], []
    canvas = explorer.fig.canvas
    every = max(1, math.ceil(len(steps) / full_draws))
    for i, step in enumerate(steps):
        before = dict(explorer.values)
        explorer.set(**step)
        assert explorer.values != before, f"step {step} changed no control"
        updates.append(explorer.last_update_seconds)
        if i % every == 0:
            t0 = time.perf_counter()
            canvas.draw()  # every static artist again: what an update would cost without blitting
            encode_png(np.asarray(canvas.buffer_rgba()))
            fulls.append(time.perf_counter() - t0)
    explorer.renderer.render()  # the canvas shows the blitted frame again
    return statistics.median(updates), statistics.median(fulls)


def module_explorer(make):
    """A module-scoped fixture holding the explorer ``make()`` builds, closed after the module.

    Building an explorer (its figure) is the costly part of a widget test, so tests share one."""
    @pytest.fixture(scope="module")
    def explorer():
        e = make()
        yield e
        e.close()
    return explorer


def explorer_setter(shared: str, defaults: dict):
    """A fixture ``f(**values)`` that sets every control of the module's ``shared`` explorer (the
    ``defaults``, then ``values``) and returns it: each test starts from a known state, whatever ran before."""
    @pytest.fixture
    def setter(request):
        e = request.getfixturevalue(shared)

        def move(**values):
            e.set(**{**defaults, **values})
            return e
        return move
    return setter


def assert_experiment_result(result, seeds: tuple[int, ...], tables=(), figures=()) -> None:
    """What every lesson's experiment returns (``transformer_lab.lessons``): its seeds; claims with unique
    names, each decided by a rule over the seeds; Markdown tables (``summary()``, ``table()`` and
    ``tables``); figures, given as ``(figure, number of axes)``; and a ``check()`` that either passes
    and returns the table, or names the claims that fail (a run of a few steps may fail them)."""
    from transformer_lab.evidence import Claim, Table

    assert result.seeds == seeds
    assert result.claims and all(isinstance(c, Claim) and c.name for c in result.claims)
    assert all(c.rule.startswith(("in every seed", "in at least", "mean over")) for c in result.claims)
    assert len({c.name for c in result.claims}) == len(result.claims)
    for table in (result.summary(), result.table(), *tables):
        assert isinstance(table, Table) and table.count("\n") >= 3
    for fig, n_axes in figures:
        assert len(fig.axes) == n_axes
    try:
        assert isinstance(result.check(), Table)
    except AssertionError as err:
        assert any(c.name in str(err) for c in result.claims if not c.holds)
