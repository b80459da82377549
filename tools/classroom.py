"""Classroom mode: each notebook's main explorer alone on a full-width page, served by Voilà.

    make classroom                          # every notebook, on http://127.0.0.1:8866 with a token
    python tools/classroom.py 03 07         # only these notebooks
    python tools/classroom.py --port 9000   # another port
    python tools/classroom.py --build-only  # write the pages' notebooks, serve nothing

For each ``notebooks/NN_*.ipynb`` that has an explorer, a page notebook is written to
``build/classroom/`` (git-ignored): the notebook's title, its code up to and including the
explorer's cell, and the prose that explains the explorer. The code before the explorer runs
silently (``%%capture``), so the page shows the title, the controls, the figure (stretched to the
full width of the screen), the readout, and under them how to read it. Voilà runs the page in a fresh kernel
and hides the code; a teacher moves the controls on a projector (F11 for full screen).

The server listens on 127.0.0.1 only and requires a token (a new random one each run, printed
with the URLs). Keep it that way: never bind it to all interfaces or turn the token off.

The main explorer of a notebook is its first explorer: a widget displayed by a cell whose
``VBox`` holds an ``HBox`` of controls, an ``Image`` and an ``HTML`` readout (``Explorer.widget``).
"""

from __future__ import annotations

import argparse
import secrets
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "classroom"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KERNEL_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

# Full width for the explorer: its figure fills the screen, its controls and readout are large.
STYLE = """
<style>
  body, .jp-Notebook, .jp-Cell, .jp-OutputArea-output { max-width: none !important; }
  .jp-Notebook { padding: 0.5rem 1.5rem !important; }
  .widget-vbox:has(> img.widget-image) { width: 100% !important; }
  .widget-vbox > img.widget-image { width: 100% !important; max-width: 100% !important; height: auto !important;
                                     max-height: 80vh; object-fit: contain; }
  .jp-RenderedMarkdown h1 { font-size: 1.7rem !important; margin-top: 0.3rem !important; }
  .widget-vbox:has(> img.widget-image) .widget-label,
  .widget-vbox:has(> img.widget-image) .widget-label-basic,
  .widget-vbox:has(> img.widget-image) .widget-readout,
  .widget-vbox:has(> img.widget-image) .widget-html-content,
  .widget-vbox:has(> img.widget-image) select,
  .widget-vbox:has(> img.widget-image) button { font-size: 1.3rem !important; }
  .widget-vbox:has(> img.widget-image) > .widget-hbox { flex-wrap: wrap; gap: 0.5rem 2rem; }
  .widget-vbox:has(> img.widget-image) .widget-hslider { width: 32rem !important; }
  .widget-vbox:has(> img.widget-image) .widget-hslider .widget-label { width: 8rem !important; }
</style>
""".strip()


def _widget_state(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def is_explorer(model_id: str, state: dict) -> bool:
    """A VBox whose children are an HBox (controls), an Image and an HTML readout."""
    box = state.get(model_id)
    if not box or box.get("model_name") != "VBoxModel":
        return False
    children = [c.removeprefix("IPY_MODEL_") for c in box.get("state", {}).get("children", [])]
    kinds = [state.get(c, {}).get("model_name") for c in children]
    return len(kinds) >= 3 and kinds[0] == "HBoxModel" and "ImageModel" in kinds and "HTMLModel" in kinds


def main_widget_cell(nb) -> int | None:
    """Index of the cell that displays the notebook's main explorer (its first explorer), or None.

    Read from the widget state saved with the notebook; without a saved state, the first widget
    output whose text is not a quiz's.
    """
    state = _widget_state(nb)
    fallback = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            if state:
                if is_explorer(view.get("model_id", ""), state):
                    return i
            elif fallback is None and not str(out["data"].get("text/plain", "")).startswith("Quiz("):
                fallback = i
    return fallback


def classroom_notebook(nb, notebook_dir: Path):
    """The page notebook: title, silent setup, the explorer, then the prose that explains it."""
    index = main_widget_cell(nb)
    if index is None:
        return None
    cells = [nbformat.v4.new_code_cell(f"from IPython.display import HTML\n\nHTML({STYLE!r})")]
    title = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), None)
    if title is not None:  # the heading and the Chinese question under it
        lines = [ln for ln in title.source.strip().splitlines() if ln.startswith("# ") or ln.startswith("**")]
        cells.append(nbformat.v4.new_markdown_cell("\n\n".join(lines)))
    # how to read the explorer: the prose just before it, from its section heading on
    previous_code = max((i for i in range(index) if nb.cells[i].cell_type == "code"), default=-1)
    prose = [c.source for c in nb.cells[previous_code + 1:index] if c.cell_type == "markdown"]
    headed = [i for i, s in enumerate(prose) if s.lstrip().startswith("#")]
    intro = prose[headed[-1]:] if headed else prose[-1:]
    setup = [f"import os\n\nos.chdir({str(notebook_dir)!r})  # where the notebook itself runs"]
    setup += [c.source for c in nb.cells[:index] if c.cell_type == "code"]
    for source in setup:
        # run silently: prints, figures and tables before the explorer stay off the page
        cells.append(nbformat.v4.new_code_cell(source if source.startswith("%%") else "%%capture\n" + source))
    cells.append(nbformat.v4.new_code_cell(nb.cells[index].source))
    cells += [nbformat.v4.new_markdown_cell(s) for s in intro]  # under the explorer: it comes first on screen
    page = nbformat.v4.new_notebook(cells=cells, metadata={**KERNEL_METADATA})
    return page


def build(prefixes: list[str], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        if prefixes and not any(path.stem.startswith(p) for p in prefixes):
            continue
        page = classroom_notebook(nbformat.read(path, as_version=4), NOTEBOOKS)
        if page is None:
            continue  # the landing page, or a notebook without an explorer
        target = out / path.name
        nbformat.write(page, target)
        written.append(target)
    return written


def free_port(preferred: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voila_command(target: Path, port: int, token: str) -> list[str]:
    """Voilà on loopback with a token; the code is hidden, errors show no traceback."""
    return [
        sys.executable, "-m", "voila", str(target),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        f"--Voila.token={token}",
        "--theme=light",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with one of these")
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866, or a free one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the page notebooks go")
    parser.add_argument("--build-only", action="store_true", help="write the page notebooks and stop")
    args = parser.parse_args(argv)
    pages = build(args.prefixes, args.out)
    if not pages:
        print(f"no notebook with an explorer matches {args.prefixes or 'notebooks/*.ipynb'}", file=sys.stderr)
        return 2
    for p in pages:
        print(f"classroom page: {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
    if args.build_only:
        return 0
    port, token = free_port(args.port), secrets.token_urlsafe(24)
    base = f"http://127.0.0.1:{port}"
    print(textwrap.dedent(f"""
        Classroom mode (Voilà, this machine only, token required). Open in a browser, F11 for full screen:
          all pages: {base}/?token={token}""").rstrip())
    for p in pages:
        print(f"  {p.stem}: {base}/voila/render/{p.name}?token={token}")
    print("Stop with Ctrl+C.", flush=True)
    try:
        return subprocess.call(voila_command(args.out, port, token), cwd=args.out)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
