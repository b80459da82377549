"""The "what the note claims, checked" table every notebook ends its measurements with.

Each row is ``(claim, verdict, evidence, section)``; the verdict and the evidence are computed in
the notebook from the run, and this function only checks and formats them.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["VERDICTS", "claims_table", "fmt_gap"]

VERDICTS = ("holds", "holds with a caveat", "does not hold")


def claims_table(claims: Sequence[tuple[str, str, str, str]]) -> str:
    """A Markdown table of ``(claim, verdict, evidence, section)`` rows; verdicts must be in VERDICTS."""
    if not claims:
        raise ValueError("claims must hold at least one (claim, verdict, evidence, section) row, got none")
    rows = []
    for i, row in enumerate(claims):
        if len(row) != 4:
            raise ValueError(f"claims[{i}] must be (claim, verdict, evidence, section), got {len(row)} items")
        claim, verdict, evidence, section = row
        if verdict not in VERDICTS:
            raise ValueError(f"claims[{i}] verdict must be one of {VERDICTS}, got {verdict!r}")
        rows.append(f"| {claim} | **{verdict}** | {evidence} | §{section} |")
    return "| the note says | verdict | evidence | cell |\n|---|---|---|---|\n" + "\n".join(rows)


def fmt_gap(x: float, floor: float = 1e-9) -> str:
    """A difference that should be zero, printed so reruns print the same text: below ``floor`` it
    is float rounding (its digits change with the CPU and the thread count), shown as ``< floor``."""
    if not floor > 0:
        raise ValueError(f"floor must be > 0, got {floor}")
    return f"< {floor:.0e}" if abs(x) < floor else f"{x:.2e}"
