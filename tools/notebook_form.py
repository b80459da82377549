"""The lesson's form, measured per notebook: what a teacher meets before the deep dive.

    python tools/notebook_form.py            # one row per notebook
    python tools/notebook_form.py --rev HEAD~1   # the notebooks of another commit (read with git show)

Per notebook (from its jupytext source, ``notebooks/src/NN_*.py``):

- ``visible``: non-blank code lines before the ``## Deep dive · 深入`` heading, in cells whose source
  is not collapsed (``jupyter.source_hidden``); the form asks for at most 120.
- ``deep dive``: whether the notebook has that heading.
- ``30s words`` / ``30s bullets``: English words and bullets of the ``30-second answer · 30秒回答``
  (its English part: the lines before the first line holding Chinese); at most 60 words, 3 bullets.
- ``2-min``: whether a ``2-minute answer · 两分钟回答`` section exists with both languages.
- ``zh chars``: Chinese characters (CJK ideographs) in the whole notebook, prose and code; at least 1,500.
- ``colab first``: the Colab setup cell comes right after the title, before any other prose.
- ``retina``: the notebook renders its figures at twice the pixels (``InlineBackend.figure_formats``).

``tests/test_notebook_form.py`` asserts these limits; this script prints them for the closing note.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "src"
DEEP_DIVE = "## Deep dive · 深入"
THIRTY = "## 30-second answer · 30秒回答"
TWO_MIN = "## 2-minute answer · 两分钟回答"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LIMITS = {"visible": 120, "thirty_words": 60, "thirty_bullets": 3, "zh_chars": 1500}


@dataclass
class Form:
    name: str
    visible: int
    deep_dive: bool
    thirty_words: int | None
    thirty_bullets: int | None
    two_minute: bool
    zh_chars: int
    colab_first: bool
    retina: bool

    def problems(self) -> list[str]:
        out = []
        if not self.deep_dive:
            out.append(f"no '{DEEP_DIVE}' heading")
        if self.visible > LIMITS["visible"]:
            out.append(f"{self.visible} visible code lines before the deep dive (at most {LIMITS['visible']})")
        if self.thirty_words is None:
            out.append(f"no '{THIRTY}' section")
        elif self.thirty_words > LIMITS["thirty_words"] or self.thirty_bullets > LIMITS["thirty_bullets"]:
            out.append(f"30-second answer: {self.thirty_words} words, {self.thirty_bullets} bullets "
                       f"(at most {LIMITS['thirty_words']} and {LIMITS['thirty_bullets']})")
        if not self.two_minute:
            out.append(f"no '{TWO_MIN}' section in both languages")
        if self.zh_chars < LIMITS["zh_chars"]:
            out.append(f"{self.zh_chars} Chinese characters (at least {LIMITS['zh_chars']})")
        if not self.colab_first:
            out.append("the Colab setup cell does not come right after the title")
        if not self.retina:
            out.append("figures are not rendered at twice the pixels (InlineBackend.figure_formats retina)")
        return out


def section(cells, heading: str) -> str | None:
    """The markdown of the cell that holds ``heading`` (from the heading on), or None."""
    for c in cells:
        if c.cell_type == "markdown" and heading in c.source:
            return c.source[c.source.index(heading) + len(heading):]
    return None


def english_words(text: str) -> tuple[int, int]:
    """Words and bullets of the English part of an answer (before the first line holding Chinese);
    LaTeX and Markdown markup are not words."""
    lines = []
    for line in text.splitlines():
        if CJK.search(line):
            break
        lines.append(line)
    english = "\n".join(lines)
    bullets = sum(1 for line in lines if re.match(r"\s*[-*] ", line))
    english = re.sub(r"\$[^$]*\$", " x ", english)  # a formula counts as one word
    words = re.findall(r"[A-Za-z0-9][\w'’/.-]*", english)
    return len(words), bullets


def measure(name: str, text: str) -> Form:
    nb = jupytext.reads(text, fmt="py:percent")
    cells = nb.cells
    visible, deep = 0, False
    for c in cells:
        if c.cell_type == "markdown" and DEEP_DIVE in c.source:
            deep = True
            break
        if c.cell_type == "code" and not c.metadata.get("jupyter", {}).get("source_hidden", False):
            visible += sum(1 for line in c.source.splitlines() if line.strip())
    thirty = section(cells, THIRTY)
    words, bullets = english_words(thirty) if thirty is not None else (None, None)
    two = section(cells, TWO_MIN)
    code = [c for c in cells if c.cell_type == "code"]
    return Form(
        name=name,
        visible=visible,
        deep_dive=deep,
        thirty_words=words,
        thirty_bullets=bullets,
        two_minute=two is not None and bool(CJK.search(two)) and bool(re.search(r"[A-Za-z]{4,}", two)),
        zh_chars=sum(len(CJK.findall(c.source)) for c in cells),
        colab_first=len(cells) > 1 and cells[1].cell_type == "code" and "google.colab" in cells[1].source,
        retina=any("figure_formats" in c.source and "retina" in c.source for c in code),
    )


def forms(rev: str | None = None) -> list[Form]:
    if rev is None:
        return [measure(p.stem, p.read_text()) for p in sorted(SOURCES.glob("0[1-8]_*.py"))]
    names = subprocess.run(["git", "ls-tree", "--name-only", rev, "notebooks/src/"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    return [measure(Path(n).stem, subprocess.run(["git", "show", f"{rev}:{n}"], cwd=ROOT, capture_output=True,
                                                 text=True, check=True).stdout)
            for n in sorted(names) if re.match(r"0[1-8]_", Path(n).name)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", help="a git revision (default: the working tree)")
    args = parser.parse_args()
    print(f"{'notebook':22s} {'visible':>7s} {'deep':>5s} {'30s words':>9s} {'bullets':>7s} {'2-min':>5s} "
          f"{'zh chars':>8s} {'colab':>5s} {'retina':>6s}")
    bad = 0
    for f in forms(args.rev):
        print(f"{f.name:22s} {f.visible:7d} {str(f.deep_dive):>5s} {str(f.thirty_words):>9s} {str(f.thirty_bullets):>7s} "
              f"{str(f.two_minute):>5s} {f.zh_chars:8d} {str(f.colab_first):>5s} {str(f.retina):>6s}")
        bad += bool(f.problems())
    return 1 if bad and not args.rev else 0


if __name__ == "__main__":
    sys.exit(main())
