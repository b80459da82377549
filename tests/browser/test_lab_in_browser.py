"""Every notebook, opened by a person in JupyterLab, in Debian's Chromium (Playwright).

Strict nbval (``make test``) executes every notebook once, in full, and is the authority on its
outputs and assertions. This test does not run a notebook a second time in full: it runs each
notebook *up to its main explorer and the static figure under it* -- the part a person comes to
the browser for -- and checks what only a browser can show. For each ``notebooks/*.ipynb`` (new
notebooks are picked up automatically):

1. find the main explorer in the committed ``.ipynb``: the first code cell with an ipywidget
   output whose ``text/plain`` starts with a class name ending in ``Explorer(``; the static figure
   is the next code cell. Every question notebook 01-08 must have both (checked without a browser
   too). The landing page ``00_index`` (no explorer) runs whole;
2. open it in JupyterLab, wait for its kernel, clear all outputs (``notebook:clear-all-cell-outputs``,
   so no committed output passes for a fresh one), select the cell after the static figure and run
   all above it (``notebook:run-all-above``), wait until the kernel is idle. The cells up to the
   explorer are self-contained (the notebooks go build -> see -> measure): an error among them
   fails here;
3. in the cells run: no error output, every code cell ran, no traceback went to stderr; the cells
   after them hold no output (the run stopped where it should); the static figure is a PNG;
4. every widget output rendered (no "Error displaying widget", none stuck on "Loading widget");
5. its main widget (the first explorer on the page: a VBox of controls, an ``<img>`` and an HTML
   readout, in the explorer cell found in 1.) is screenshotted into ``artifacts/browser/``,
   then its controls are moved in turn, as a person would (a slider: type into its readout and
   press Enter; a checkbox, dropdown or toggle: click it), until one changes the figure: the
   PNG bytes behind the ``<img>`` must differ. That change is repeated and timed in the page,
   from the key press or click to the new ``<img>`` src; the median is reported in pytest's
   terminal summary, with the total time of this test.

The widgets after the explorer (each notebook's self-check ``Quiz`` at its end) are not run here:
strict nbval executes them, and ``tests/test_widgets*.py`` drive them headless.

The notebooks are copies: nothing here writes to ``notebooks/``. Run alone with
``python -m pytest tests/browser -q`` (``make browser-test``).
"""

from __future__ import annotations

import importlib.util
import re
import time

import nbformat
import pytest

from .conftest import ARTIFACTS, NOTEBOOK_DIR, ROOT
from .lab import WIDGET_MIME, ExplorerDriver

_spec = importlib.util.spec_from_file_location("classroom", ROOT / "tools" / "classroom.py")
_classroom = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_classroom)
classroom_main_cell = _classroom.main_widget_cell  # the classroom page's pick of the main explorer

NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
QUESTION_NOTEBOOK = re.compile(r"^0[1-8]_")  # each of the eight questions has a main explorer
INDEX = "00_index.ipynb"
# the landing page links every question under the file name it has (or will have)
QUESTION_FILES = [
    "01_multi_head.ipynb", "02_qk_weights.ipynb", "03_attention_scores.ipynb", "04_padding_mask.ipynb",
    "05_head_dim.ipynb", "06_embedding_scale.ipynb", "07_sinusoidal_pe.ipynb", "08_other_pe.ipynb",
]
RUN_TIMEOUT_S = 600  # one notebook's run (up to its explorer), generous for a loaded CI machine (budget: 30 s idle)
REPEATS = 9  # timed changes of the main widget's control (the median is reported)
EXPLORER_REPR = re.compile(r"^[A-Za-z_]\w*Explorer\(")  # e.g. ScoreDistributionExplorer(d_k=64, scaled=False)


def stem(name: str) -> str:
    return name.removesuffix(".ipynb")


def main_explorer_cells(name: str) -> tuple[int, int] | None:
    """(explorer cell, static figure cell) of a committed notebook, as notebook cell indices, or
    None when it has no explorer. The explorer is the first code cell whose stored output is an
    ipywidget shown as ``SomethingExplorer(...)``; the figure is the next code cell."""
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i in code:
        for out in nb.cells[i].get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data and EXPLORER_REPR.match(str(data.get("text/plain", ""))):
                figure = next((j for j in code if j > i), None)
                assert figure is not None, f"{name}: the explorer (cell {i}) has no code cell after it"
                return i, figure
    return None


def test_the_browser_test_sees_every_notebook():
    assert NOTEBOOKS, "no notebooks/*.ipynb"
    assert all(n.endswith(".ipynb") for n in NOTEBOOKS)


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if QUESTION_NOTEBOOK.match(n)],
                         ids=[stem(n) for n in NOTEBOOKS if QUESTION_NOTEBOOK.match(n)])
def test_question_notebook_has_a_main_explorer_and_its_figure(name):
    """Where the browser test stops, read from the committed notebook (no browser needed)."""
    found = main_explorer_cells(name)
    assert found is not None, f"{name}: no code cell shows a ...Explorer( widget in its committed outputs"
    explorer, figure = found
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    mimes = {m for out in nb.cells[figure].get("outputs", []) for m in out.get("data", {})}
    assert "image/png" in mimes, f"{name}: cell {figure}, after the explorer, is not its static figure: {sorted(mimes)}"
    assert classroom_main_cell(nb) == explorer, f"{name}: the classroom page shows another widget than cell {explorer}"


@pytest.mark.parametrize("name", NOTEBOOKS, ids=[stem(n) for n in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab_page, browser_metrics, name):
    record = browser_metrics["notebooks"].setdefault(stem(name), {})
    page = lab_page.page
    found = main_explorer_cells(name)
    if QUESTION_NOTEBOOK.match(name):
        assert found is not None, f"{name}: no main explorer in its committed outputs"
    t0 = time.perf_counter()
    nb = lab_page.open(name)
    record["open_s"] = time.perf_counter() - t0
    page.screenshot(path=str(ARTIFACTS / f"{stem(name)}.first_screen.png"))  # what a reader meets first
    try:
        n_cells = nb.clear_outputs()
        assert n_cells == len(nbformat.read(NOTEBOOK_DIR / name, as_version=4).cells), f"{name}: JupyterLab shows another notebook"
        stale = [c["index"] for c in nb.code_cells() if c["count"] is not None or c["outputs"]]
        assert not stale, f"{name}: cells still hold an output or an execution count after clearing: {stale}"
        last = found[1] if found else n_cells - 1  # the static figure under the explorer; the landing page whole
        t0 = time.perf_counter()
        result = nb.run_through(last, RUN_TIMEOUT_S)
        record["run_s"] = time.perf_counter() - t0
        every_cell = nb.code_cells()
        cells = [c for c in every_cell if c["index"] <= last]
        record["cells_run"] = f"{len(cells)}/{len(every_cell)}"
        beyond = [c["index"] for c in every_cell if c["index"] > last and (c["count"] is not None or c["outputs"])]
        assert not beyond, f"{name}: cells after {last} ran or hold outputs: {beyond}"

        errors = [
            f"cell {c['index']} ({c['source'].splitlines()[0] if c['source'] else ''}): {o['ename']}: {o['evalue']}"
            for c in cells for o in c["outputs"]
            if o["type"] == "error" and "raises-exception" not in c["tags"]  # JupyterLab runs on past those
        ]
        assert not errors, f"{name}: error outputs in JupyterLab:\n" + "\n".join(errors)
        assert result.get("ok") is True, f"{name}: running cells 0..{last} did not finish cleanly: {result}"
        not_run = [c["index"] for c in cells if c["count"] is None]
        assert not not_run, f"{name}: code cells never ran: {not_run}"
        tracebacks = [
            f"cell {c['index']}: {o['text'][:300]}" for c in cells for o in c["outputs"]
            if o["type"] == "stream" and o["name"] == "stderr" and "Traceback" in (o["text"] or "")
        ]
        assert not tracebacks, f"{name}: tracebacks on stderr:\n" + "\n".join(tracebacks)
        if found:
            figure = next(c for c in cells if c["index"] == found[1])
            assert any("image/png" in o["mimes"] for o in figure["outputs"]), \
                f"{name}: the static figure (cell {found[1]}) shows no PNG: {figure['outputs']}"

        n_widgets = sum(WIDGET_MIME in o["mimes"] for c in cells for o in c["outputs"])
        views = nb.widget_views()
        record["widgets"] = len(views)
        bad = [v["text"] for v in views if v["error"] or v["loading"] or not v["rendered"]]
        assert not bad, f"{name}: widgets not rendered: {bad}"
        assert len(views) == n_widgets, f"{name}: {n_widgets} widget outputs, {len(views)} rendered"
        panel_text = nb.root.inner_text()
        assert "Error displaying widget" not in panel_text, f"{name}: 'Error displaying widget' on the page"

        explorers = nb.explorers()
        record["explorers"] = len(explorers)
        if QUESTION_NOTEBOOK.match(name):
            assert explorers, f"{name}: no explorer (VBox of controls + <img> + HTML readout) rendered"
        if not explorers:  # the landing page: a screenshot of its top
            nb.root.locator(".jp-Cell").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"{stem(name)}.png"))
            return
        assert found is not None, f"{name}: an explorer on the page, none in the committed outputs"
        where = nb.cell_index_of(explorers[0])
        assert where == found[0], f"{name}: the first explorer on the page is in cell {where}, not in cell {found[0]}"
        main = ExplorerDriver(page, explorers[0])
        main.wait_image()
        main.box.scroll_into_view_if_needed()
        main.box.screenshot(path=str(ARTIFACTS / f"{stem(name)}.png"))
        record["checks_s"] = time.perf_counter() - t0 - record["run_s"]
        t0 = time.perf_counter()
        moved = main.move_until_figure_changes(
            REPEATS, snapshot=lambda: main.box.screenshot(path=str(ARTIFACTS / f"{stem(name)}.moved.png"))
        )
        record.update({k: moved.get(k) for k in ("control", "latencies_ms", "latency_median_ms", "tried")})
        assert moved["control"], f"{name}: no control of the main widget changed its figure: {moved['tried']}"
        assert moved["before"] != moved["after"]
        # the latency of a slider change, when the control above was not a slider
        slider = moved if moved["control"].startswith("slider") else main.time_slider(REPEATS)
        if slider is not None:
            record["slider"] = {k: slider.get(k) for k in ("control", "latency_median_ms", "latencies_ms", "error")}
        record["moves_s"] = time.perf_counter() - t0
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"{stem(name)}.failure.png"), full_page=True)
        raise
    finally:
        nb.close()


@pytest.mark.skipif(INDEX not in NOTEBOOKS, reason="no notebooks/00_index.ipynb")
def test_index_links_open_the_notebooks(lab_page):
    """The landing page links all eight questions; clicking a link opens that notebook in JupyterLab."""
    page = lab_page.page
    index = lab_page.open(INDEX)
    try:
        hrefs = index.root.locator(".jp-RenderedMarkdown a[href]").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
        for target in QUESTION_FILES:
            assert any(h.split("?")[0].endswith(target) for h in hrefs), f"00_index does not link {target}: {hrefs}"
        present = [t for t in QUESTION_FILES if t in NOTEBOOKS]
        assert present, "no question notebook to follow a link to"
        target = present[0]
        link = index.root.locator(f".jp-RenderedMarkdown a[href*='{target}']").first
        link.scroll_into_view_if_needed()
        link.click()
        page.wait_for_function(
            "(path) => { const w = window.jupyterapp.shell.currentWidget; return !!w && !!w.context && w.context.path === path; }",
            arg=target, timeout=60_000,
        )
        opened_id = page.evaluate(
            "() => { const w = window.jupyterapp.shell.currentWidget; window.__e2e[w.id] = w; return w.id; }"
        )
        page.screenshot(path=str(ARTIFACTS / "00_index.link.png"))
        from .lab import LabNotebook

        LabNotebook(lab_page, target, opened_id).close()
    finally:
        index.close()
