"""Median kernel-side update time of every explorer: each control stepped through its options.

    python tools/widget_latency.py          # prints one line per explorer (ms)

The budget is 30 ms per update (compute + moving artists + PNG), measured by
``Explorer.last_update_seconds``; the tests in tests/test_widgets*.py assert it per explorer.
"""

import statistics

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import torch  # noqa: E402

import transformer_lab as tl  # noqa: E402
from transformer_lab import widgets  # noqa: E402


def head_pattern_explorer():
    task = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)
    cfg = dict(vocab_size=task.vocab_size, n_out=task.n_out, d_model=8, d_ff=0, positional="learned", max_len=task.seq_len)
    models = {f"{h} heads": tl.build_model(tl.ModelConfig(n_heads=h, n_layers=2, **cfg), h) for h in (1, 2)}
    return widgets.HeadPatternExplorer(models, task, examples=task.batch(4, seed=1), eval_batch=task.batch(64, seed=2))


def options(control):
    if isinstance(control, W.Checkbox):
        return [not control.value, control.value]
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) and not isinstance(control.value, tuple) else o
                for o in control.options]
    return list(range(control.min, control.max + 1, max(1, (control.max - control.min) // 6)))


def latency(explorer, rounds: int = 2) -> float:
    times = []
    for _ in range(rounds):
        for control in explorer.controls.values():
            for value in options(control):
                before = explorer.last_update_seconds
                try:
                    control.value = value
                except Exception:  # an option this explorer refuses in its current state
                    continue
                if explorer.last_update_seconds != before:
                    times.append(explorer.last_update_seconds)
    return statistics.median(times), len(times)


if __name__ == "__main__":
    torch.set_num_threads(1)
    factories = {
        "ScoreDistributionExplorer (03)": widgets.ScoreDistributionExplorer,
        "SymmetricQKExplorer (02)": widgets.SymmetricQKExplorer,
        "PaddingMaskExplorer (04)": widgets.PaddingMaskExplorer,
        "HeadPatternExplorer (01)": head_pattern_explorer,
        "HeadCostExplorer (05)": widgets.HeadCostExplorer,
        "EmbeddingScaleExplorer (06)": widgets.EmbeddingScaleExplorer,
        "PositionalEncodingExplorer (07)": widgets.PositionalEncodingExplorer,
        "PositionalSchemeExplorer (08)": widgets.PositionalSchemeExplorer,
    }
    for name, make in factories.items():
        median, n = latency(make())
        print(f"{name:34s} median {median * 1e3:5.1f} ms over {n} updates")
