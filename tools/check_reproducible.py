"""Are the notebooks reproducible to the byte? Run strict nbval several times and compare every text output.

    python tools/check_reproducible.py            # 3 runs at 1 torch thread + 1 run at 2 threads
    python tools/check_reproducible.py --runs 2 --no-threads notebooks/02_qk_weights.ipynb

Each run is the notebook half of ``make test`` (strict ``--nbval`` against the stored outputs, two
xdist workers, the runtime-hygiene guard on), with this file loaded as a pytest plugin that records
every code cell's text outputs (streams, ``text/plain``, errors) after nbval's own sanitising
(``notebooks/sanitize.cfg``: memory addresses, tqdm timings). Cells tagged ``nbval-ignore-output``
(timings) are listed apart and left out of the comparison: their outputs vary by design.

The last run starts every kernel at 2 torch threads and ignores the notebook's own
``torch.set_num_threads(1)`` (an IPython startup file wraps the function; calls from the package, such
as the training loop's documented one-thread pin, still go through): the numbers a notebook claims
must not depend on the thread count its kernel runs at. That run executes one notebook at a time: two
xdist workers with two threads each would oversubscribe the two cores, and the notebooks' timing
claims (additive vs dot, 16 heads vs 1) would measure the contention. Every run must pass strict nbval, and every run's outputs must equal the first run's.
Exit status 0 when they all do; the report goes to stdout and ``artifacts/repro/report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DUMP_ENV = "TRANSFORMER_LAB_REPRO_DUMP"  # the folder a run's plugin writes its outputs to
THREADS_ENV = "TRANSFORMER_LAB_REPRO_THREADS"  # torch threads forced in every kernel, if set
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "notebooks/sanitize.cfg",
         "--nbval-cell-timeout=300"]


# --- the pytest plugin (loaded with -p tools.check_reproducible) -------------------------------

_CELLS: dict[str, dict] = {}


def cell_text(item) -> str:
    """A cell's text outputs, sanitised as nbval compares them."""
    parts = []
    for out in item.test_outputs or []:
        if out.get("output_type") == "stream":
            parts.append(f"[{out['name']}] {out['text']}")
        elif out.get("output_type") == "error":
            parts.append(f"[error] {out['ename']}: {out['evalue']}")
        elif "text/plain" in out.get("data", {}):
            parts.append(f"[{out['output_type']}] {out['data']['text/plain']}")
    return item.sanitize("\n".join(parts))


@pytest.hookimpl(trylast=True)  # after tests/hygiene.py has made the kernels' IPython directory
def pytest_configure(config):
    threads = os.environ.get(THREADS_ENV)
    if threads and os.environ.get("IPYTHONDIR"):
        startup = Path(os.environ["IPYTHONDIR"]) / "profile_default" / "startup"
        (startup / "10-threads.py").write_text(
            "import sys as _sys, torch as _torch\n"
            "_set = _torch.set_num_threads\n"
            f"_set({int(threads)})\n"
            "def _from_notebook(n):  # a notebook's own call is ignored; the package's (train's pin) still works\n"
            "    if _sys._getframe(1).f_globals.get('__name__') != '__main__':\n"
            "        _set(n)\n"
            "_torch.set_num_threads = _from_notebook\n"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call" and type(item).__name__ == "IPyNbCell":
        report = outcome.get_result()
        _CELLS[item.nodeid] = {"text": cell_text(item), "checked": bool(item.options["check"]),
                               "passed": report.passed}


def pytest_sessionfinish(session):
    folder = os.environ.get(DUMP_ENV)
    if folder and _CELLS:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(folder, f"{worker}.json").write_text(json.dumps(_CELLS, indent=1, sort_keys=True))


# --- the driver --------------------------------------------------------------------------------

def run_once(label: str, threads: int | None, paths: list[str]) -> tuple[dict, float, int]:
    """One strict-nbval run of every notebook; returns (cells, seconds, pytest's exit code)."""
    with tempfile.TemporaryDirectory(prefix="transformer_lab-repro-") as folder:
        env = {**os.environ, DUMP_ENV: folder, "MPLBACKEND": "Agg"}
        env.pop(THREADS_ENV, None)
        if threads:
            env[THREADS_ENV] = str(threads)
        # at 1 thread, two xdist workers as in make test; at 2 threads one notebook at a time, as one
        # user's kernel runs: two workers of two threads each on two cores would time the contention
        workers = ["-n", "2", "--dist", "loadscope"] if not threads else []
        cmd = [sys.executable, "-m", "pytest", "-q", *workers, "-p", "tools.check_reproducible", *paths, *NBVAL]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        cells: dict = {}
        for part in sorted(Path(folder).glob("*.json")):
            cells.update(json.loads(part.read_text()))
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]
    print(f"{label:<22} {seconds:6.1f} s  {len(cells)} cells  pytest: {tail}", flush=True)
    if proc.returncode:
        print(proc.stdout[-4000:], proc.stderr[-2000:], sep="\n")
    return cells, seconds, proc.returncode


def differences(first: dict, other: dict) -> list[str]:
    """Node ids of the checked cells whose text differs (or that ran in only one of the runs)."""
    ids = sorted(set(first) | set(other))
    return [i for i in ids if i not in first or i not in other
            or (first[i]["checked"] and first[i]["text"] != other[i]["text"])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="strict nbval runs at 1 torch thread (default 3)")
    parser.add_argument("--no-threads", action="store_true", help="skip the extra run at 2 torch threads")
    parser.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders (default notebooks/)")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error(f"--runs must be >= 2 to compare runs, got {args.runs}")

    plan = [(f"run {i + 1} (1 thread)", None) for i in range(args.runs)]
    if not args.no_threads:
        plan.append(("run at 2 threads", 2))
    results = [(label, *run_once(label, threads, args.paths)) for label, threads in plan]

    first_label, first, _, _ = results[0]
    checked = sum(c["checked"] for c in first.values())
    ignored = sorted(i for i, c in first.items() if not c["checked"])
    report = {"cells": len(first), "checked_cells": checked, "ignored_output_cells": ignored, "runs": []}
    ok = bool(first)
    for label, cells, seconds, code in results:
        diff = differences(first, cells)
        ok &= code == 0 and not diff
        report["runs"].append({"run": label, "seconds": round(seconds, 1), "nbval_exit_code": code,
                               "differs_from_run_1": diff})
    print(f"\n{checked} checked cells compared; {len(ignored)} nbval-ignore-output cells (timings) left out:")
    for i in ignored:
        print(f"  {i}")
    for run in report["runs"][1:]:
        diff = run["differs_from_run_1"]
        print(f"{run['run']}: {'identical to run 1' if not diff else f'{len(diff)} cells differ: {diff}'}")
    identical = sum(not r["differs_from_run_1"] and r["nbval_exit_code"] == 0 for r in report["runs"])
    print(f"{identical} of {len(results)} runs passed strict nbval with text outputs identical to run 1"
          + ("" if ok else "  -- NOT REPRODUCIBLE"))
    out = ROOT / "artifacts" / "repro"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
