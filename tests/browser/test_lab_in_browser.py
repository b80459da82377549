"""Every notebook, run by a person in JupyterLab, in Debian's Chromium (Playwright).

For each ``notebooks/*.ipynb`` (new notebooks are picked up automatically):

1. open it in JupyterLab, wait for its kernel, run all cells (``notebook:run-all-cells``), wait
   until the kernel is idle;
2. no cell holds an error output, every code cell ran, no traceback went to stderr;
3. every widget output rendered (no "Error displaying widget", none stuck on "Loading widget");
4. its main widget (the first explorer: a VBox of controls, an ``<img>`` and an HTML readout;
   every question notebook 01–08 must have one) is screenshotted into ``artifacts/browser/``,
   then its controls are moved in turn, as a person would (a slider: type into its readout and
   press Enter; a checkbox, dropdown or toggle: click it), until one changes the figure: the
   PNG bytes behind the ``<img>`` must differ. That change is repeated and timed in the page,
   from the key press or click to the new ``<img>`` src; the median is reported in pytest's
   terminal summary, with the total time of this test.

The notebooks are copies: nothing here writes to ``notebooks/``. Run alone with
``python -m pytest tests/browser -q`` (``make browser-test``).
"""

from __future__ import annotations

import re
import time

import pytest

from .conftest import ARTIFACTS, NOTEBOOK_DIR
from .lab import WIDGET_MIME, ExplorerDriver

NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
QUESTION_NOTEBOOK = re.compile(r"^0[1-8]_")  # each of the eight questions has a main explorer
INDEX = "00_index.ipynb"
# the landing page links every question under the file name it has (or will have)
QUESTION_FILES = [
    "01_multi_head.ipynb", "02_qk_weights.ipynb", "03_attention_scores.ipynb", "04_padding_mask.ipynb",
    "05_head_dim.ipynb", "06_embedding_scale.ipynb", "07_sinusoidal_pe.ipynb", "08_other_pe.ipynb",
]
RUN_TIMEOUT_S = 600  # one notebook's run-all, generous for a loaded CI machine (budget: 30 s idle)
REPEATS = 9  # timed changes of the main widget's control (the median is reported)


def stem(name: str) -> str:
    return name.removesuffix(".ipynb")


def test_the_browser_test_sees_every_notebook():
    assert NOTEBOOKS, "no notebooks/*.ipynb"
    assert all(n.endswith(".ipynb") for n in NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS, ids=[stem(n) for n in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab_page, browser_metrics, name):
    record = browser_metrics["notebooks"].setdefault(stem(name), {})
    page = lab_page.page
    t0 = time.perf_counter()
    nb = lab_page.open(name)
    record["open_s"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        result = nb.run_all(RUN_TIMEOUT_S)
        record["run_s"] = time.perf_counter() - t0
        cells = nb.code_cells()

        errors = [
            f"cell {c['index']} ({c['source'].splitlines()[0] if c['source'] else ''}): {o['ename']}: {o['evalue']}"
            for c in cells for o in c["outputs"]
            if o["type"] == "error" and "raises-exception" not in c["tags"]  # JupyterLab runs on past those
        ]
        assert not errors, f"{name}: error outputs in JupyterLab:\n" + "\n".join(errors)
        assert result.get("ok") is True, f"{name}: run-all did not finish cleanly: {result}"
        not_run = [c["index"] for c in cells if c["count"] is None]
        assert not not_run, f"{name}: code cells never ran: {not_run}"
        tracebacks = [
            f"cell {c['index']}: {o['text'][:300]}" for c in cells for o in c["outputs"]
            if o["type"] == "stream" and o["name"] == "stderr" and "Traceback" in (o["text"] or "")
        ]
        assert not tracebacks, f"{name}: tracebacks on stderr:\n" + "\n".join(tracebacks)

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
        main = ExplorerDriver(page, explorers[0])
        main.wait_image()
        main.box.scroll_into_view_if_needed()
        main.box.screenshot(path=str(ARTIFACTS / f"{stem(name)}.png"))
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
