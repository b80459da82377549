"""Replay every trained experiment from fresh base seeds and count how often each claim holds.

    python tools/claims.py                 # every experiment, bases 1 … 20, 2 processes (make claims)
    python tools/claims.py --only 03       # the experiments of notebook 03
    python tools/claims.py --write         # also write the tables into seeds/README.md
    python tools/claims.py --notebooks 3   # also execute every notebook at bases 1 … 3: its asserts must hold

Each replay runs the experiment exactly as its notebook does, with ``base=b``: the seeds
``1000·b + 0 … n-1`` that no committed notebook uses (notebooks run base 0). A claim must hold in
at least 19 of 20 replays; the exit status is 1 if one does not. Per claim it prints the replays
held, the worst and the median margin (> 0: held, in the unit of the measured quantity). The
report goes to ``artifacts/claims/report.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
README = ROOT / "seeds" / "README.md"
NEED = 19  # of 20: a claim that holds less often must be restated or its experiment changed


def experiments() -> dict:
    from transformer_lab import evidence, lessons

    lessons.load_all()
    return evidence.EXPERIMENTS


def replay(key: str, base: int) -> tuple[str, int, list[tuple[str, str, float]], float]:
    import torch

    torch.set_num_threads(1)
    start = time.process_time()
    result = experiments()[key](base=base)
    return key, base, [(c.name, c.rule, c.margin) for c in result.claims], time.process_time() - start


def summarise(key: str, runs: list[list[tuple[str, str, float]]], seconds: list[float]) -> dict:
    rows = []
    for i, (name, rule, _) in enumerate(runs[0]):
        margins = [r[i][2] for r in runs]
        rows.append({"claim": name, "rule": rule, "held": sum(m > 0 for m in margins), "replays": len(margins),
                     "worst": min(margins), "median": statistics.median(margins)})
    return {"experiment": key, "cpu_seconds_per_replay": statistics.median(seconds), "claims": rows}


def markdown(report: list[dict]) -> str:
    lines = ["| experiment | claim | rule | replays held | worst margin | median margin |", "|---|---|---|---|---|---|"]
    for exp in report:
        for r in exp["claims"]:
            lines.append(f"| `{exp['experiment']}` | {r['claim']} | {r['rule']} | {r['held']} of {r['replays']} | "
                         f"{r['worst']:+.3f} | {r['median']:+.3f} |")
    return "\n".join(lines)


def write_readme(report: list[dict], replays: int) -> None:
    """Put each notebook's table between ``<!-- claims NN -->`` and ``<!-- /claims NN -->``."""
    text = README.read_text(encoding="utf-8")
    for nb in sorted({exp["experiment"].split(" · ")[0] for exp in report}):
        table = markdown([e for e in report if e["experiment"].startswith(nb + " ")])
        block = (f"<!-- claims {nb} -->\nReplayed by `make claims` on {time.strftime('%Y-%m-%d')}: {replays} fresh "
                 f"base seeds (1 … {replays}), each training as many seeds as the notebook.\n\n{table}\n<!-- /claims {nb} -->")
        pattern = re.compile(rf"<!-- claims {nb} -->.*?<!-- /claims {nb} -->", re.S)
        if not pattern.search(text):
            raise SystemExit(f"seeds/README.md has no '<!-- claims {nb} -->' … '<!-- /claims {nb} -->' block to fill")
        text = pattern.sub(lambda _: block, text)
    README.write_text(text, encoding="utf-8")


def execute_notebook(path: str, base: int) -> tuple[str, int, str | None, float]:
    """Execute one notebook with ``TRANSFORMER_LAB_SEED=base`` (outputs not compared): its own asserts,
    random demonstrations included, must hold on any base seed."""
    import os

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ["TRANSFORMER_LAB_SEED"] = str(base)  # the kernel inherits it
    nb = nbformat.read(path, as_version=4)
    start = time.time()
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}}).execute()
        error = None
    except CellExecutionError as err:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # no terminal colours
        lines = text.strip().splitlines()
        failing = [line.split("---->", 1)[1].strip() for line in lines if "---->" in line]  # the line that raised
        error = (lines[-1] + (f" at: {failing[-1]}" if failing else ""))[:300]
    return path, base, error, time.time() - start


def check_notebooks(n_bases: int, jobs: int, only: str | None) -> list[tuple[str, int, str]]:
    paths = [str(p) for p in sorted((ROOT / "notebooks").glob(f"{only or '0[1-8]'}_*.ipynb"))]
    failures = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for path, base, error, seconds in pool.map(execute_notebook, *zip(*[(p, b) for p in paths for b in range(1, n_bases + 1)])):
            print(f"  {Path(path).name} at base {base}: {'ok' if error is None else 'FAILED: ' + error} ({seconds:.0f} s)", flush=True)
            if error is not None:
                failures.append((Path(path).name, base, error))
    return failures


def replay_all(keys: list[str], args) -> list[tuple[str, str, int]]:
    """Replay each experiment from bases 1 … N; print and save the table; return the claims held too rarely."""
    bases = range(1, args.replays + 1)
    results: dict[str, dict[int, tuple]] = {k: {} for k in keys}
    start = time.time()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for key, base, claims, seconds in pool.map(replay, *zip(*[(k, b) for k in keys for b in bases])):
            results[key][base] = (claims, seconds)
            print(f"  {key} base {base}: " + ", ".join(f"{m:+.3f}" for _, _, m in claims), flush=True)
    report = [summarise(k, [results[k][b][0] for b in bases], [results[k][b][1] for b in bases]) for k in keys]
    print(f"\n{len(keys)} experiments × {args.replays} replays in {time.time() - start:.0f} s\n")
    print(markdown(report))
    out = ROOT / "artifacts" / "claims" / "report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.write:
        write_readme(report, args.replays)
    weak = [(e["experiment"], r["claim"], r["held"]) for e in report for r in e["claims"]
            if r["held"] < NEED * r["replays"] / 20]
    for key, claim, held in weak:
        print(f"RESTATE: {key}: {claim!r} held in {held} of {args.replays} replays (needs {NEED} of 20)")
    return weak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replays", type=int, default=20, help="fresh base seeds 1 … N (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one torch thread each (default 2)")
    parser.add_argument("--only", default=None, help="only the experiments of this notebook, e.g. 03")
    parser.add_argument("--write", action="store_true", help="write the tables into seeds/README.md")
    parser.add_argument("--notebooks", type=int, default=0, metavar="N",
                        help="also execute every notebook at bases 1 … N; each must pass its own asserts")
    args = parser.parse_args()
    keys = [k for k in experiments() if args.only is None or k.startswith(f"{args.only} ")]
    if not keys and not args.notebooks:
        raise SystemExit(f"no experiment registered for notebook {args.only!r}")
    weak = replay_all(keys, args) if keys else []
    failures = check_notebooks(args.notebooks, args.jobs, args.only) if args.notebooks else []
    for name, base, error in failures:
        print(f"FAILS AT BASE {base}: {name}: {error}")
    return 1 if weak or failures else 0


if __name__ == "__main__":
    sys.exit(main())
