"""Claims measured over seeds: the rules that decide a trained claim, and the table that shows them.

A trained claim is never read off one run. An experiment trains several seeds (``seeds(5)``), and
each of its claims is a :class:`Claim` decided by a rule over all of them, said in words:

- :func:`every_seed`: the claim holds in every seed (its margin is the worst seed's slack);
- :func:`most_seeds`: it holds in at least k of the n seeds (margin: the k-th best slack);
- :func:`mean_above`: the mean over seeds clears a threshold by more than ``n_se`` standard errors
  (margin: mean - threshold - n_se·SE);
- :func:`mean_within`: two things are close: the mean difference over seeds, ± ``n_se`` standard
  errors, lies inside ± a tolerance (margin: tolerance - |mean| - n_se·SE).

A margin above 0 means the claim holds, and says by how much; ``make claims`` replays every
experiment from 20 fresh base seeds and reports how often each claim held, and its worst margin.

Trained numbers differ in their last digits from one processor to another (training amplifies the
rounding of the CPU's vector code path). So every such number is printed through :func:`approx`,
which marks it with "≈"; the notebooks' output checker (nbval) masks exactly the numbers so marked
(``notebooks/sanitize.cfg``), and compares everything else: claim names, rules, verdicts, counts.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Sequence

from ._checks import check_int, check_number
from .randomness import base_seed

__all__ = ["APPROX", "approx", "Claim", "every_seed", "most_seeds", "mean_above", "mean_within", "Evidence", "Table",
           "seed_table", "check_run", "VERDICTS", "claims_table", "fmt_gap",
           "experiment", "EXPERIMENTS"]

APPROX = "≈"  # marks a number that comes from training or timing: its last digits depend on the machine


def approx(x: float, spec: str = ".2f") -> str:
    """``x`` formatted with ``spec`` and marked as machine-dependent: ``approx(0.8312) == "≈0.83"``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"x must be a real number, got {type(x).__name__} {x!r}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a format spec string such as '.2f', got {type(spec).__name__} {spec!r}")
    return APPROX + format(float(x), spec)


class Table(str):
    """A Markdown table that JupyterLab renders as a table and nbval compares as its source text."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def _repr_pretty_(self, p, cycle) -> None:  # text/plain: the Markdown source, which nbval compares
        p.text(str(self))


def seed_table(values: dict[str, Sequence[float]], what: str = "final accuracy", spec: str = ".2f") -> Table:
    """Per-seed numbers as a table: one row per label, its mean ± standard deviation and every seed."""
    rows = []
    for label, v in values.items():
        v = _slack(v, f"values[{label!r}]")
        mean = sum(v) / len(v)
        sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
        rows.append(f"| {label} | {approx(mean, spec)} ± {approx(sd, spec)} | {' '.join(approx(x, spec) for x in v)} |")
    n = len(next(iter(values.values())))
    return Table(f"| | {what}, mean ± sd | each of the {n} seeds |\n|---|---|---|\n" + "\n".join(rows))


@dataclass(frozen=True)
class Claim:
    """One trained claim: what is claimed, the rule over the seeds that decides it, and the margin.

    ``margin > 0``: the claim holds, with that much room (in the unit of the measured quantity);
    ``held`` says how, e.g. "5 of 5 seeds" or "mean ≈+0.41, 3 SE ≈0.12".
    """

    name: str
    rule: str
    margin: float
    held: str

    def __post_init__(self):
        for field in ("name", "rule", "held"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value:
                raise TypeError(f"Claim.{field} must be a non-empty str, got {value!r}")
            if "|" in value or "\n" in value:  # either would break the table row
                raise ValueError(f"Claim.{field} must not contain '|' or a newline, got {value!r}")
        if isinstance(self.margin, bool) or not isinstance(self.margin, numbers.Real) or math.isnan(self.margin):
            raise TypeError(f"Claim.margin must be a real number (> 0 means the claim holds), got {self.margin!r}")

    @property
    def holds(self) -> bool:
        return self.margin > 0


def _slack(values, name: str) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise TypeError(f"{name} must be a non-empty sequence of numbers, one per seed, got {values!r}")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(v):
            raise TypeError(f"{name}[{i}] must be a real number, got {v!r}")
        out.append(float(v))
    return out


def every_seed(name: str, rule: str, slack: Sequence[float]) -> Claim:
    """Holds when ``slack`` (one number per seed, > 0 where the claim holds in that seed) is positive
    in every seed; the margin is the smallest slack."""
    s = _slack(slack, "slack")
    held = sum(x > 0 for x in s)
    return Claim(name, f"in every seed: {rule}", min(s), f"{held} of {len(s)} seeds")


def most_seeds(name: str, rule: str, slack: Sequence[float], k: int) -> Claim:
    """Holds when at least ``k`` of the seeds have positive slack; the margin is the k-th largest slack."""
    s = _slack(slack, "slack")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(s):
        raise ValueError(f"k must be an int in [1, {len(s)}] (seeds that must hold), got {k!r}")
    held = sum(x > 0 for x in s)
    return Claim(name, f"in at least {k} of {len(s)} seeds: {rule}", sorted(s, reverse=True)[k - 1],
                 f"{APPROX}{held} of {len(s)} seeds")


def mean_above(name: str, rule: str, values: Sequence[float], threshold: float = 0.0, n_se: float = 3.0) -> Claim:
    """Holds when the mean of ``values`` over the seeds exceeds ``threshold`` by more than ``n_se``
    standard errors (SE = sample std / √n); the margin is ``mean - threshold - n_se·SE``."""
    v = _slack(values, "values")
    if len(v) < 2:
        raise ValueError(f"values must hold at least 2 seeds to estimate a standard error, got {len(v)}")
    n = len(v)
    mean = sum(v) / n
    se = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1) / n)
    return Claim(name, f"mean over {n} seeds > {threshold:g} + {n_se:g} SE: {rule}", mean - threshold - n_se * se,
                 f"mean {approx(mean, '+.3f')}, {n_se:g} SE {approx(n_se * se, '.3f')}")


def mean_within(name: str, rule: str, values: Sequence[float], tolerance: float, n_se: float = 2.0) -> Claim:
    """Holds when the mean of ``values`` (per-seed differences) lies within ``± tolerance`` with room for
    ``n_se`` standard errors on either side; the margin is ``tolerance - |mean| - n_se·SE``."""
    v = _slack(values, "values")
    if len(v) < 2:
        raise ValueError(f"values must hold at least 2 seeds to estimate a standard error, got {len(v)}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not tolerance > 0:
        raise ValueError(f"tolerance must be a number > 0 (how close counts as close), got {tolerance!r}")
    n = len(v)
    mean = sum(v) / n
    se = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1) / n)
    spread = f" ± {n_se:g} SE" if n_se else ""
    return Claim(name, f"mean over {n} seeds{spread} inside ±{tolerance:g}: {rule}", tolerance - abs(mean) - n_se * se,
                 f"mean {approx(mean, '+.3f')}, {n_se:g} SE {approx(n_se * se, '.3f')}")


@dataclass
class Evidence:
    """What a trained experiment returns: the seeds it trained and the claims decided over them.

    Each lesson's experiment subclasses it with its per-seed numbers and a ``figure()``; the
    notebook shows the figure and ``result.check()``, which asserts every claim and shows the table.
    """

    seeds: tuple[int, ...]
    claims: list[Claim]

    def claim(self, name: str) -> Claim:
        for c in self.claims:
            if c.name == name:
                return c
        raise KeyError(f"name must be one of the claims {[c.name for c in self.claims]}, got {name!r}")

    def table(self) -> Table:
        """The claims as a Markdown table: claim, rule, how it held, margin (≈: from training)."""
        rows = [f"| {c.name} | {c.rule} | {c.held} | {approx(c.margin, '+.3f')} | {'holds' if c.holds else 'FAILS'} |"
                for c in self.claims]
        return Table(f"| claim ({len(self.seeds)} seeds) | rule | held | margin | |\n|---|---|---|---|---|\n"
                     + "\n".join(rows))

    def check(self) -> Table:
        """Assert every claim (AssertionError naming each one that fails); return the table."""
        failed = [c for c in self.claims if not c.holds]
        if failed:
            raise AssertionError(
                f"{len(failed)} of {len(self.claims)} claims do not hold on seeds {list(self.seeds)}: "
                + "; ".join(f"{c.name!r} ({c.rule}: margin {c.margin:+.4f}, {c.held})" for c in failed)
            )
        return self.table()



def check_run(base, n_seeds, steps) -> None:
    """An experiment's common arguments, refused by name before anything trains: ``base`` (an int
    >= 0, or None for ``$TRANSFORMER_LAB_SEED``), ``n_seeds`` (an int >= 2: one seed has no spread),
    ``steps`` (an int >= 1)."""
    base_seed(base)
    check_int("n_seeds", n_seeds, minimum=2)
    check_int("steps", steps)

# --- the note's claims, checked: one table per notebook ------------------------------------------------

VERDICTS = {"holds": "成立", "holds with a caveat": "有条件成立", "does not hold": "不成立"}  # English: Chinese


_FIELDS = ("note", "gloss", "verdict", "evidence", "section")


def claims_table(claims: Sequence[tuple[str, str, str, str, str]]) -> Table:
    """The note's claims, checked: a Markdown table of ``(note, gloss, verdict, evidence, section)`` rows.

    ``note`` is the claim in the note's own Chinese, ``gloss`` its English, ``verdict`` a key of
    :data:`VERDICTS` (printed in both languages), ``evidence`` the measured numbers (marked ≈ by the
    caller where they come from training; the sanitiser masks them) and ``section`` where it is shown.
    A :class:`Table`: JupyterLab renders it, and nbval compares its text."""
    if isinstance(claims, str) or not isinstance(claims, Sequence):
        raise TypeError(f"claims must be a list of {_FIELDS} rows, got {type(claims).__name__}")
    if not claims:
        raise ValueError(f"claims must hold at least one {_FIELDS} row, got none")
    rows = []
    for i, row in enumerate(claims):
        if not isinstance(row, (tuple, list)):
            raise TypeError(f"claims[{i}] must be a {_FIELDS} tuple, got {type(row).__name__}")
        if len(row) != len(_FIELDS):
            raise ValueError(f"claims[{i}] must be {_FIELDS}, got {len(row)} items")
        for name, cell in zip(_FIELDS, row):
            if not isinstance(cell, str):
                raise TypeError(f"claims[{i}] {name} must be a str, got {type(cell).__name__} {cell!r}")
            if "|" in cell or "\n" in cell:  # either would break the Markdown row
                raise ValueError(f"claims[{i}] {name} must not contain '|' or a newline (one table cell), got {cell!r}")
        note, gloss, verdict, evidence, section = row
        if verdict not in VERDICTS:
            raise ValueError(f"claims[{i}] verdict must be one of {tuple(VERDICTS)}, got {verdict!r}")
        rows.append(f"| {note} | {gloss} | **{verdict}** · {VERDICTS[verdict]} | {evidence} | §{section} |")
    header = "| 笔记原文 | the note says | verdict · 结论 | evidence · 证据 | where · 位置 |\n|---|---|---|---|---|\n"
    return Table(header + "\n".join(rows))


def fmt_gap(x: float, floor: float = 1e-9) -> str:
    """A difference that should be zero, printed so reruns print the same text: below ``floor`` it
    is float rounding (its digits change with the CPU and the thread count), shown as ``< floor``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"x must be a real number (a gap), got {type(x).__name__} {x!r}")
    if math.isnan(x):
        raise ValueError(f"x must be a number, got {x}: the gap was not computed (NaN)")
    check_number("floor", floor, above=0)
    return f"< {floor:.0e}" if abs(x) < floor else f"{x:.2e}"


EXPERIMENTS: dict[str, Callable[..., Evidence]] = {}  # "notebook · name" -> experiment, filled on import


def experiment(notebook: str) -> Callable[[Callable[..., Evidence]], Callable[..., Evidence]]:
    """Register a trained experiment of ``notebook`` ("03") for ``make claims``.

    The function takes ``base`` (the base seed; None reads ``$TRANSFORMER_LAB_SEED``) and returns
    its :class:`Evidence`. Called with no argument, it is exactly what the notebook runs; ``make
    claims`` calls it with ``base=1 … 20``.
    """
    if not isinstance(notebook, str) or not notebook.isdigit():
        raise ValueError(f"notebook must be a notebook number such as '03', got {notebook!r}")

    def register(fn: Callable[..., Evidence]) -> Callable[..., Evidence]:
        fn.notebook = notebook
        EXPERIMENTS[f"{notebook} · {fn.__name__}"] = fn
        return fn

    return register
