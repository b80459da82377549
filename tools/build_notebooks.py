"""Build the notebooks from their jupytext sources and execute them in place.

The source of every notebook is ``notebooks/src/<name>.py`` (jupytext percent format: readable
diffs, easy review). This script turns each into ``notebooks/<name>.ipynb`` and executes it, so the
committed notebook carries its outputs (it reads on GitHub and strict nbval has something to
compare). ``--check`` rebuilds nothing: it fails when a committed notebook's cells differ from
its source.

    python tools/build_notebooks.py              # all notebooks
    python tools/build_notebooks.py 03 04        # those whose name starts with 03 or 04
    python tools/build_notebooks.py --check      # sources and notebooks agree?
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
KERNEL_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def sources(prefixes: list[str]) -> list[Path]:
    found = sorted(SOURCES.glob("*.py"))
    return [p for p in found if not prefixes or any(p.stem.startswith(x) for x in prefixes)]


def cells_of(nb) -> list[tuple[str, str, tuple]]:
    """What must agree between source and notebook: each cell's type, source and tags."""
    return [(c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]


def build(src: Path, timeout: int) -> float:
    os.environ["TRANSFORMER_LAB_SEED"] = "0"  # the committed outputs are those of base seed 0; the kernel inherits it
    nb = jupytext.read(src)
    nb.metadata = {**KERNEL_METADATA}
    t0 = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    seconds = time.perf_counter() - t0
    nb.metadata = {**KERNEL_METADATA, **{k: v for k, v in nb.metadata.items() if k == "widgets"},
                   "transformer_lab": {"build_seconds": round(seconds, 1)}}  # the index shows it as a run time
    nbformat.write(nb, NOTEBOOKS / f"{src.stem}.ipynb")
    return seconds


def check(src: Path) -> str | None:
    target = NOTEBOOKS / f"{src.stem}.ipynb"
    if not target.exists():
        return f"{target.relative_to(ROOT)} is missing; run python tools/build_notebooks.py {src.stem[:2]}"
    if cells_of(jupytext.read(src)) != cells_of(nbformat.read(target, as_version=4)):
        return f"{target.relative_to(ROOT)} differs from {src.relative_to(ROOT)}; run python tools/build_notebooks.py {src.stem[:2]}"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="build only notebooks whose name starts with one of these")
    parser.add_argument("--check", action="store_true", help="only check that notebooks match their sources")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    srcs = sources(args.prefixes)
    if not srcs:
        print(f"no sources match {args.prefixes} in {SOURCES}", file=sys.stderr)
        return 2
    if args.check:
        problems = [p for p in map(check, srcs) if p]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    # the landing page last: it shows the run time each other notebook just took
    for src in sorted(srcs, key=lambda p: p.stem.startswith("00")):
        print(f"{src.stem}: executed in {build(src, args.timeout):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
