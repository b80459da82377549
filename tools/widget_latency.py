"""Kernel-side update time of every explorer: each control stepped through its options.

    python tools/widget_latency.py          # one line per explorer: median and p90 (ms)

An update is ``Explorer.last_update_seconds`` (compute + moving artists + PNG). The budget is
15 ms median per explorer on a 2-core machine (the tests only check a ratio against a full draw
and a generous bound, which cannot flake under load; the hard budget is measured here).

``measure(rounds)`` returns ``{name: {"median_ms", "p90_ms", "n"}}`` for tools/bench.py, which
imports this file by its path.
"""

from __future__ import annotations

import statistics

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import torch  # noqa: E402

import transformer_lab as tl  # noqa: E402
from transformer_lab import viz  # noqa: E402
from transformer_lab.lessons import (  # noqa: E402
    q01_multi_head, q02_qk_weights, q03_attention_scores, q04_padding_mask, q05_head_dim, q06_embedding_scale,
    q07_sinusoidal_pe, q08_other_pe,
)

__all__ = ["FACTORIES", "options", "latencies", "measure"]


def head_pattern_explorer():
    task = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)
    cfg = dict(vocab_size=task.vocab_size, n_out=task.n_out, d_model=8, d_ff=0, positional="learned", max_len=task.seq_len)
    models = {f"{h} heads": tl.build_model(tl.ModelConfig(n_heads=h, n_layers=2, **cfg), h) for h in (1, 2)}
    return q01_multi_head.HeadPatternExplorer(models, task, examples=task.batch(4, seed=1), eval_batch=task.batch(64, seed=2))


FACTORIES = {
    "ScoreDistributionExplorer (03)": q03_attention_scores.ScoreDistributionExplorer,
    "SymmetricQKExplorer (02)": q02_qk_weights.SymmetricQKExplorer,
    "PaddingMaskExplorer (04)": q04_padding_mask.PaddingMaskExplorer,
    "HeadPatternExplorer (01)": head_pattern_explorer,
    "HeadCostExplorer (05)": q05_head_dim.HeadCostExplorer,
    "EmbeddingScaleExplorer (06)": q06_embedding_scale.EmbeddingScaleExplorer,
    "PositionalEncodingExplorer (07)": q07_sinusoidal_pe.PositionalEncodingExplorer,
    "PositionalSchemeExplorer (08)": q08_other_pe.PositionalSchemeExplorer,
}


def options(control) -> list:
    """The values a user can give ``control``: every option of a selection, both states of a
    checkbox, seven evenly spaced values of a slider (on its step)."""
    if isinstance(control, W.Checkbox):
        return [not control.value, control.value]
    if hasattr(control, "_options_values"):  # Dropdown, SelectionSlider, ToggleButtons: the values, not the labels
        return list(control._options_values)
    step = getattr(control, "step", 1) or 1
    stride = max(step, (control.max - control.min) // 6 // step * step)
    return list(range(control.min, control.max + 1, stride))


def latencies(explorer, rounds: int = 2) -> list[float]:
    """Seconds of every update while each control is stepped through its options, ``rounds`` times."""
    times = []
    for _ in range(rounds):
        for control in explorer.controls.values():
            for value in options(control):
                if value == control.value:
                    continue  # no change, no update
                before = explorer.last_update_seconds
                try:
                    control.value = value
                except Exception:  # an option this explorer refuses in its current state
                    continue
                if explorer.last_update_seconds != before:
                    times.append(explorer.last_update_seconds)
    return times


def _p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10, method="inclusive")[-1] if len(times) > 1 else times[0]


def measure(rounds: int = 2) -> dict[str, dict]:
    """``{explorer name: {"median_ms": ..., "p90_ms": ..., "n": number of updates}}``."""
    torch.set_num_threads(1)  # the tensors are tiny; what the tests and the notebooks use
    out = {}
    for name, make in FACTORIES.items():
        explorer = make()
        times = latencies(explorer, rounds)
        explorer.close()
        out[name] = {"median_ms": statistics.median(times) * 1e3, "p90_ms": _p90(times) * 1e3, "n": len(times)}
    return out


if __name__ == "__main__":
    torch.set_num_threads(1)
    for name, row in measure().items():
        print(f"{name:34s} median {row['median_ms']:5.1f} ms  p90 {row['p90_ms']:5.1f} ms  over {row['n']} updates")
