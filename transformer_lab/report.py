"""The "what the note claims, checked" table every notebook ends its measurements with.

Each row is ``(claim, verdict, evidence, section)``; the verdict and the evidence are computed in
the notebook from the run, and this function only checks and formats them.
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

from ._checks import check_number
from .evidence import Table

__all__ = ["VERDICTS", "claims_table", "fmt_gap"]

VERDICTS = ("holds", "holds with a caveat", "does not hold")
_FIELDS = ("claim", "verdict", "evidence", "section")


def claims_table(claims: Sequence[tuple[str, str, str, str]]) -> Table:
    """A Markdown table of ``(claim, verdict, evidence, section)`` rows; verdicts must be in VERDICTS.

    A :class:`~transformer_lab.evidence.Table`: JupyterLab renders it, and nbval compares its text,
    verdicts included (numbers from training are marked ≈ by the caller and masked)."""
    if isinstance(claims, str) or not isinstance(claims, Sequence):
        raise TypeError(f"claims must be a list of (claim, verdict, evidence, section) rows, got {type(claims).__name__}")
    if not claims:
        raise ValueError("claims must hold at least one (claim, verdict, evidence, section) row, got none")
    rows = []
    for i, row in enumerate(claims):
        if not isinstance(row, (tuple, list)):
            raise TypeError(f"claims[{i}] must be a (claim, verdict, evidence, section) tuple, got {type(row).__name__}")
        if len(row) != 4:
            raise ValueError(f"claims[{i}] must be (claim, verdict, evidence, section), got {len(row)} items")
        for name, cell in zip(_FIELDS, row):
            if not isinstance(cell, str):
                raise TypeError(f"claims[{i}] {name} must be a str, got {type(cell).__name__} {cell!r}")
            if "|" in cell or "\n" in cell:  # either would break the Markdown row
                raise ValueError(f"claims[{i}] {name} must not contain '|' or a newline (one table cell), got {cell!r}")
        claim, verdict, evidence, section = row
        if verdict not in VERDICTS:
            raise ValueError(f"claims[{i}] verdict must be one of {VERDICTS}, got {verdict!r}")
        rows.append(f"| {claim} | **{verdict}** | {evidence} | §{section} |")
    return Table("| the note says | verdict | evidence | cell |\n|---|---|---|---|\n" + "\n".join(rows))


def fmt_gap(x: float, floor: float = 1e-9) -> str:
    """A difference that should be zero, printed so reruns print the same text: below ``floor`` it
    is float rounding (its digits change with the CPU and the thread count), shown as ``< floor``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"x must be a real number (a gap), got {type(x).__name__} {x!r}")
    if math.isnan(x):
        raise ValueError(f"x must be a number, got {x}: the gap was not computed (NaN)")
    check_number("floor", floor, above=0)
    return f"< {floor:.0e}" if abs(x) < floor else f"{x:.2e}"
