"""Export every notebook to standalone HTML, keeping every figure, into build/html/ (git-ignored).

    python tools/export_html.py              # all notebooks -> build/html/NN_name.html + index.html
    python tools/export_html.py 03 07        # those whose name starts with 03 or 07
    python tools/export_html.py --out DIR    # somewhere else

The committed notebooks carry their outputs, so nothing is executed: the export shows exactly
what the notebooks show on GitHub. Every figure output (PNG, JPEG, SVG) is embedded in the page
as a data URI, and the export fails when a page holds fewer figures than its notebook. The
explorers' live widgets need a kernel; each notebook shows a static figure of its explorer's
default state under it, and that figure is kept. Links between notebooks (``03_x.ipynb``) are
rewritten to the exported pages (``03_x.html``); ``index.html`` opens the landing page
(``00_index.html``).

The math renders offline: every ``$…$`` and ``$$…$$`` of the Markdown cells is converted to MathML
(``latex2mathml``), which browsers draw natively, and the page loads no MathJax from the internet.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "html"
FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
LOCAL_LINK = re.compile(r'href="(\d\d_[A-Za-z0-9_]+)\.ipynb(#[^"]*)?"')
EMBEDDED = {
    "image/png": re.compile(r'<img[^>]+src="data:image/png;base64,'),
    "image/jpeg": re.compile(r'<img[^>]+src="data:image/jpeg;base64,'),
    "image/svg+xml": re.compile(r"<svg[\s>]"),
}


CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)  # fenced blocks and code spans: no math inside
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")
MATHJAX_SCRIPT = re.compile(r"<script[^>]*>[^<]*MathJax[^<]*</script>|<script[^>]+mathjax[^>]*>\s*</script>", re.I)


def render_math(markdown: str) -> str:
    """``$…$`` and ``$$…$$`` outside code, as MathML (``\\$`` stays a dollar sign)."""
    parts = CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are prose, odd parts code
        text = DISPLAY_MATH.sub(lambda m: latex_to_mathml(m.group(1).strip(), display="block"), parts[i])
        parts[i] = INLINE_MATH.sub(lambda m: latex_to_mathml(m.group(1)), text)
    return "".join(parts)


def notebooks(prefixes: list[str]) -> list[Path]:
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    return [p for p in found if not prefixes or any(p.stem.startswith(x) for x in prefixes)]


def figures_in(nb) -> dict[str, int]:
    """How many figure outputs of each image type the notebook holds."""
    counts = dict.fromkeys(FIGURE_MIMES, 0)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            for mime in FIGURE_MIMES:
                if mime in data:
                    counts[mime] += 1
                    break  # one figure, however many formats it comes in
    return counts


def export(path: Path, out_dir: Path, exporter: HTMLExporter) -> tuple[Path, int]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    body = MATHJAX_SCRIPT.sub("", body)  # the math is MathML already: nothing to fetch
    body = LOCAL_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)
    expected = figures_in(nb)
    for mime, n in expected.items():
        found = len(EMBEDDED[mime].findall(body))
        if found < n:
            raise RuntimeError(f"{path.name}: {n} {mime} figures in the notebook, {found} in the HTML")
    target = out_dir / f"{path.stem}.html"
    target.write_text(body, encoding="utf-8")
    return target, sum(expected.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="export only notebooks whose name starts with one of these")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    paths = notebooks(args.prefixes)
    if not paths:
        print(f"no notebooks match {args.prefixes} in {NOTEBOOKS}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    for path in paths:
        target, n = export(path, args.out, exporter)
        print(f"{path.name} -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} ({n} figures kept)")
    if (args.out / "00_index.html").exists():
        (args.out / "index.html").write_text(
            '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=00_index.html">'
            '<title>transformer_lab</title><a href="00_index.html">transformer_lab: the eight questions</a>\n',
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
