"""The lab's speed budgets, each row ours against a reference measured in the same run.

    python tools/bench.py                # attention, MHA, explorers, import (about a minute)
    python tools/bench.py --notebooks    # + strict nbval of every notebook and the whole `make test`
    make bench                           # the same (ARGS=--notebooks for the heavy rows)

Rows and their targets (issue 11):

- ``scaled_dot_product_attention`` against ``torch.nn.functional.scaled_dot_product_attention`` at
  (8, 8, 256, 64) and (1, 8, 1024, 64), fp32, with and without a padding mask: our default-speed
  path (``need_weights=False``) ≤ 1.3× torch's fused kernel; our teaching path (``need_weights=True``,
  the weights written out and returned) ≤ 1.3× torch's own weights-materialising path (the MATH
  backend of the same function).
- ``MultiHeadAttention`` against ``nn.MultiheadAttention``, forward and backward: ≤ 1.3×, without
  weights and with per-head weights (``average_attn_weights=False``) on both sides.
- the kernel-side update of every explorer: median ≤ 15 ms (p90 printed).
- ``import transformer_lab`` over ``import torch``: ≤ 0.5 s, and neither matplotlib nor ipywidgets.
- five seeds of one model trained together (``tl.train_seeds``) against one seed trained alone
  (``tl.train``), the same model and run (issue 17): ≤ 2× one seed; five seeds one after the other
  are printed beside it.
- ``--notebooks``: each notebook under strict nbval ≤ 20 s, all of them ≤ 120 s, ``make test`` ≤ 300 s.

Times are medians of interleaved rounds (``torch.utils.benchmark.Timer.blocked_autorange``), so a
load that comes and goes hits both sides of a ratio alike. Exit status 1 when a row misses its target.
"""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import replace
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.benchmark import Timer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import transformer_lab as tl  # noqa: E402

NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "notebooks/sanitize.cfg", "--nbval-cell-timeout=300"]
ROWS: list[dict] = []


def row(name: str, ours: float, reference: float | None, target: float, unit: str, ref_name: str = "") -> None:
    """One line of the table. With a reference the target is on the ratio, else on ``ours``."""
    value = ours / reference if reference else ours
    ROWS.append({"row": name, "ours": ours, "reference": reference, "ref_name": ref_name, "unit": unit,
                 "value": value, "target": target, "ok": value <= target, "ratio": reference is not None})
    shown = f"{ours:8.2f} {unit:3s}" + (f"  {ref_name} {reference:8.2f} {unit}  ratio {value:5.2f}" if reference else "")
    print(f"{'ok  ' if value <= target else 'OVER'} {name:58s} {shown}   (target ≤ {target:g}{'×' if reference else ' ' + unit})",
          flush=True)


def paired_ms(ours, reference, rounds: int = 5, min_run_time: float = 0.25) -> tuple[float, float]:
    """Median ms per call of two callables, measured in alternating rounds."""
    a, b = [], []
    for _ in range(rounds):
        a.append(Timer("f()", globals={"f": ours}).blocked_autorange(min_run_time=min_run_time).median)
        b.append(Timer("f()", globals={"f": reference}).blocked_autorange(min_run_time=min_run_time).median)
    return statistics.median(a) * 1e3, statistics.median(b) * 1e3


# --- attention ------------------------------------------------------------------------------------

def padding_key_mask(B: int, S: int, seed: int = 0) -> torch.Tensor:
    """(B, 1, 1, S) bool, True at real keys: each sequence keeps between half and all of its keys."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(S // 2, S + 1, (B,), generator=g)
    return tl.key_mask_to_attention_mask(tl.padding_mask(lengths, S))


def bench_attention() -> None:
    for shape in ((8, 8, 256, 64), (1, 8, 1024, 64)):
        B, H, T, Dh = shape
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(B, H, T, Dh, generator=g) for _ in range(3))
        for masked in (False, True):
            mask = padding_key_mask(B, T) if masked else None
            label = f"{'padded' if masked else 'no mask'}"
            ours, ref = paired_ms(
                lambda: tl.scaled_dot_product_attention(q, k, v, mask=mask, need_weights=False),
                lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
            )
            row(f"sdpa {shape} {label}", ours, ref, 1.3, "ms", "torch")

            def torch_math():
                with sdpa_kernel(SDPBackend.MATH):
                    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

            ours, ref = paired_ms(lambda: tl.scaled_dot_product_attention(q, k, v, mask=mask), torch_math)
            row(f"sdpa {shape} {label}, weights (teaching path)", ours, ref, 1.3, "ms", "torch math")


def bench_mha(B: int = 8, T: int = 256, D: int = 512, H: int = 8) -> None:
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(D, H, batch_first=True)
    ours = tl.MultiHeadAttention.from_torch(theirs)
    x = torch.randn(B, T, D, requires_grad=True)
    key_mask = padding_key_mask(B, T)[:, 0, 0]  # (B, S) True at real keys
    params = [x, *ours.parameters(), *theirs.parameters()]

    def step(forward):
        def run():
            for p in params:
                p.grad = None
            forward().sum().backward()
        return run

    for need_weights in (False, True):
        label = "per-head weights" if need_weights else "no weights"
        a, b = paired_ms(
            step(lambda: ours(x, key_mask=key_mask, need_weights=need_weights)[0]),
            step(lambda: theirs(x, x, x, key_padding_mask=tl.to_torch_key_padding_mask(key_mask),
                                need_weights=need_weights, average_attn_weights=False)[0]),
            rounds=3,
        )
        row(f"MultiHeadAttention fwd+bwd (B={B}, T={T}, D={D}, H={H}), {label}", a, b, 1.3, "ms", "torch")


# --- explorers and import -------------------------------------------------------------------------

def bench_explorers() -> None:
    spec = importlib.util.spec_from_file_location("widget_latency", ROOT / "tools" / "widget_latency.py")
    latency = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(latency)
    before = torch.get_num_threads()
    try:
        results = latency.measure()
    finally:
        torch.set_num_threads(before)
    for name, r in results.items():
        row(f"explorer {name} update median (p90 {r['p90_ms']:.1f} ms, n={r['n']})", r["median_ms"], None, 15, "ms")


IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); import transformer_lab; t2 = time.perf_counter()
print(json.dumps({"torch": t1 - t0, "package": t2 - t1, "heavy": [m for m in ("matplotlib", "ipywidgets") if m in sys.modules]}))
"""


def bench_import(runs: int = 5) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results = [json.loads(subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True,
                                         check=True, env=env).stdout) for _ in range(runs)]
    heavy = sorted({m for r in results for m in r["heavy"]})
    package = statistics.median(r["package"] for r in results)
    torch_s = statistics.median(r["torch"] for r in results)
    row(f"import transformer_lab over import torch ({torch_s:.2f} s); pulls in: {', '.join(heavy) or 'nothing heavy'}",
        package if not heavy else float("inf"), None, 0.5, "s")


# --- seeds trained together --------------------------------------------------------------------------

def seed_models() -> dict:
    """One model of each notebook's training experiment, as its lesson trains it (at most 60 steps)."""
    from transformer_lab import ModelConfig
    from transformer_lab.lessons import (q01_multi_head as q01, q02_qk_weights as q02, q03_attention_scores as q03,
                                         q06_embedding_scale as q06, q08_other_pe as q08)

    def short(cfg):
        return replace(cfg, steps=min(cfg.steps, 60))

    q03_model = ModelConfig(vocab_size=q03.experiment.TASK.vocab_size, n_out=q03.experiment.TASK.n_out, d_model=32,
                            n_heads=1, head_dim=128, d_ff=0, score="dot", positional="none", max_len=5)
    return {
        "01: 8 heads": (q01.TASK, q01.layout_config(8), short(q01.TRAIN)),
        "02: untied, cyclic task": (q02.CYCLE, q02.model_config(q02.CYCLE), short(q02.TRAIN)),
        "03: unscaled dot, d_k = 128": (q03.experiment.TASK, q03_model, short(q03.experiment.TRAIN)),
        "06: N(0, 1/d) ×√d, tied": (q06.TASK, q06.toy_config("scaled_normal", True, tied=True), short(q06.TRAIN)),
        "08: ALiBi": (q08.TASK, q08.model_config("alibi"), short(q08.experiment.TRAIN)),
    }


def bench_seeds(rounds: int = 3) -> None:
    """Median CPU seconds over interleaved rounds: one seed alone, five together, five one by one."""
    for name, (task, model_cfg, cfg) in seed_models().items():
        runs = {"one": [], "together": [], "in sequence": []}
        tl.train_seeds(model_cfg, task, (0, 1), replace(cfg, steps=2, eval_every=1))  # warm up both paths
        tl.train(tl.build_model(model_cfg, 0), task, replace(cfg, steps=2, eval_every=1))
        for _ in range(rounds):
            for key, fn in (("one", lambda: tl.train(tl.build_model(model_cfg, 0), task, cfg)),
                            ("together", lambda: tl.train_seeds(model_cfg, task, (0, 1, 2, 3, 4), cfg)),
                            ("in sequence", lambda: [tl.train(tl.build_model(model_cfg, s), task, cfg) for s in range(5)])):
                t0 = time.process_time()
                fn()
                runs[key].append(time.process_time() - t0)
        one, together, seq = (statistics.median(runs[k]) for k in ("one", "together", "in sequence"))
        row(f"5 seeds together, notebook {name} ({cfg.steps} steps; 5 in sequence: {seq / one:.1f}× one)",
            together, one, 2.0, "s", "one seed")


# --- notebooks and the whole suite (--notebooks) -----------------------------------------------------

def pytest_seconds(output: str) -> float:
    """The duration pytest prints on its last line (`... in 12.34s`)."""
    found = re.findall(r" in ([0-9.]+)s", output)
    if not found:
        raise RuntimeError(f"no pytest duration in:\n{output[-2000:]}")
    return float(found[-1])


def bench_notebooks() -> None:
    total = 0.0
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(nb.relative_to(ROOT)), *NBVAL],
                              cwd=ROOT, capture_output=True, text=True)
        seconds = pytest_seconds(proc.stdout)
        total += seconds
        status = proc.stdout.strip().splitlines()[-1]
        row(f"strict nbval {nb.stem} ({'passed' if proc.returncode == 0 else 'FAILED: ' + status})",
            seconds if proc.returncode == 0 else float("inf"), None, 20, "s")
    row("strict nbval, all notebooks (sum of the rows above)", total, None, 120, "s")
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    last = [line for line in proc.stdout.strip().splitlines() if " in " in line][-1:] or ["?"]
    row(f"make test wall time ({last[0].strip('= ')})", wall if proc.returncode == 0 else float("inf"), None, 300, "s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", action="store_true", help="also time every notebook under strict nbval, and make test")
    parser.add_argument("--json", type=Path, help="write the rows to this file as JSON")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    bench_attention()
    bench_mha()
    bench_explorers()
    bench_import()
    bench_seeds()
    if args.notebooks:
        bench_notebooks()
    missed = [r["row"] for r in ROWS if not r["ok"]]
    print(f"\n{len(ROWS) - len(missed)} of {len(ROWS)} rows within target; load average {os.getloadavg()[0]:.2f}")
    for name in missed:
        print(f"  over target: {name}")
    if args.json:
        args.json.write_text(json.dumps(ROWS, indent=1))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
