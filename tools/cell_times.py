"""Print how long each code cell of executed notebooks took (from nbclient's timing metadata).

    python tools/cell_times.py notebooks/03_attention_scores.ipynb
"""

import sys
from datetime import datetime

import nbformat


def seconds(cell) -> float:
    ex = cell.metadata.get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    print(f"{path}: {sum(map(seconds, code)):.1f} s in {len(code)} code cells")
    for i, c in enumerate(code):
        if seconds(c) >= 0.5:
            print(f"  cell {i:2d}: {seconds(c):5.1f} s  {c.source.splitlines()[0][:70]}")
