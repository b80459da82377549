"""The reading guide of the landing page (``notebooks/00_index.ipynb``): for each notebook how long it
takes to read and to run, and what to read first.

Reading time is computed from the notebook itself, up to its ``## Deep dive · 深入``: its English
words at 180 a minute, its Chinese characters at 400 a minute (a reader reads one language; we count
the slower of the two), and 20 seconds per visible code cell. The run time is the one
``tools/build_notebooks.py`` measured when it last executed the notebook (kept in its metadata); it
depends on the machine, so it is printed with ≈.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from ..evidence import Table, approx

__all__ = ["ORDER", "READ_FIRST", "reading_minutes", "reading_guide"]

DEEP_DIVE = "## Deep dive · 深入"
# a suggested order: the mask needs the softmax of 03; 01 and 05 are two halves of one question;
# the positional notebooks build on each other
ORDER = ("03", "04", "01", "05", "02", "06", "07", "08")
READ_FIRST = {"04": "03", "05": "01", "01": "05 (together)", "07": "06", "08": "07"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def reading_minutes(notebook: dict) -> int:
    """Minutes to read a notebook's main path (a parsed ``.ipynb``, as ``json.load`` gives it)."""
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise TypeError(f"notebook must be a parsed .ipynb (a dict with 'cells'), got {type(notebook).__name__}")
    english = chinese = code_cells = 0
    for cell in notebook["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown" and DEEP_DIVE in text:
            break
        if cell["cell_type"] == "code":
            code_cells += not cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)
            continue
        chinese += len(_CJK.findall(text))
        english += len(re.findall(r"[A-Za-z][A-Za-z'-]*", _CJK.sub(" ", text)))
    return math.ceil(max(english / 180, chinese / 400) + code_cells * 20 / 60)


def reading_guide(folder) -> Table:
    """A Markdown table: each question notebook in ``folder`` in the suggested order, with its reading
    time, its last run time and what to read first."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be the notebooks' folder, got {str(folder)!r}, which is not a directory")
    rows = []
    for number in ORDER:
        found = sorted(folder.glob(f"{number}_*.ipynb"))
        if not found:
            raise ValueError(f"folder {str(folder)!r} holds no notebook {number}_*.ipynb")
        nb = json.loads(found[0].read_text(encoding="utf-8"))
        seconds = nb.get("metadata", {}).get("transformer_lab", {}).get("build_seconds")
        run = f"{approx(seconds, '.0f')} s" if seconds is not None else "not yet run"
        rows.append(f"| [{found[0].stem}]({found[0].name}) | {reading_minutes(nb)} min | {run} | "
                    f"{READ_FIRST.get(number, '—')} |")
    header = "| notebook · 笔记本 | read · 阅读 | run · 运行 | read first · 先读 |\n|---|---|---|---|\n"
    return Table(header + "\n".join(rows))
