"""Classroom mode (``make classroom``): each notebook's main explorer alone, full width, in Voilà.

- Every question notebook (01–08) yields a classroom page: its explorer is found in the widget
  state saved with the notebook.
- One page is served by Voilà exactly as ``tools/classroom.py`` serves it (127.0.0.1, a token;
  an anonymous request is refused), opened in Chromium: no error on the page, the explorer spans
  the window's width, and moving a control changes its figure. Its screenshot goes to
  ``artifacts/browser/classroom_<notebook>.png``. One page only (03 when present), to keep the
  test's time reasonable: the pages differ only in the notebook they are cut from.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from .conftest import ARTIFACTS, NOTEBOOK_DIR, ROOT, free_port, stop_process
from .lab import EXPLORERS_JS, ExplorerDriver

spec = importlib.util.spec_from_file_location("classroom", ROOT / "tools" / "classroom.py")
classroom = importlib.util.module_from_spec(spec)
spec.loader.exec_module(classroom)

QUESTIONS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if re.match(r"0[1-8]_", p.name))
SERVED = next((p for p in QUESTIONS if p.name.startswith("03_")), QUESTIONS[0] if QUESTIONS else None)


@pytest.mark.parametrize("path", QUESTIONS, ids=[p.stem for p in QUESTIONS])
def test_question_notebook_has_a_classroom_page(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    index = classroom.main_widget_cell(nb)
    assert index is not None, f"{path.name}: no explorer found in its saved widget state"
    page = classroom.classroom_notebook(nb, NOTEBOOK_DIR)
    code = [c.source for c in page.cells if c.cell_type == "code"]
    assert code[-1] == nb.cells[index].source, "the explorer's cell is the page's last code cell"
    assert all(c.startswith("%%") for c in code[1:-1]), "the code before the explorer runs silently (%%capture)"
    assert page.cells[1].cell_type == "markdown" and page.cells[1].source.startswith("# "), "the page shows the title"


def test_the_landing_page_has_no_classroom_page():
    index = NOTEBOOK_DIR / "00_index.ipynb"
    if not index.exists():
        pytest.skip("no 00_index.ipynb")
    assert classroom.classroom_notebook(nbformat.read(index, as_version=4), NOTEBOOK_DIR) is None


@pytest.mark.skipif(SERVED is None, reason="no question notebook yet")
def test_classroom_page_in_voila(browser, browser_metrics, tmp_path):
    out = tmp_path / "classroom"
    pages = classroom.build([SERVED.stem[:2]], out)
    assert [p.name for p in pages] == [SERVED.name]
    port, token = free_port(), secrets.token_urlsafe(24)
    cmd = classroom.voila_command(out, port, token)
    assert "--Voila.ip=127.0.0.1" in cmd and any(a.startswith("--Voila.token=") for a in cmd)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log_path = ARTIFACTS / "voila.log"
    record = browser_metrics["classroom"].setdefault(SERVED.stem, {})
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=out, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            t0 = time.perf_counter()
            while True:
                assert proc.poll() is None, f"voila exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
                try:
                    with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                        break
                except urllib.error.HTTPError:
                    break  # it answers
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                assert time.perf_counter() - t0 < 180, "voila did not answer within 180 s"
                time.sleep(0.5)
            record["server_s"] = time.perf_counter() - t0

            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *args, **kwargs):
                    return None

            try:
                status = urllib.request.build_opener(NoRedirect).open(f"{base}/voila/render/{SERVED.name}", timeout=60).status
            except urllib.error.HTTPError as e:
                status = e.code
            assert status in (302, 401, 403), f"an anonymous request got {status}: the token must be required"

            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            try:
                t0 = time.perf_counter()
                page.goto(f"{base}/voila/render/{SERVED.name}?token={token}", timeout=300_000)
                page.wait_for_function(
                    f"() => ({EXPLORERS_JS})(document.body).length > 0", timeout=300_000, polling=500
                )
                record["ready_s"] = time.perf_counter() - t0
                box = page.locator(".widget-vbox").nth(page.evaluate(f"() => ({EXPLORERS_JS})(document.body)[0]"))
                driver = ExplorerDriver(page, box)
                driver.wait_image()
                text = page.locator("body").inner_text()
                for bad in ("There was an error when executing", "Error displaying widget", "Traceback"):
                    assert bad not in text, f"classroom page shows {bad!r}"
                width = box.bounding_box()["width"] / page.viewport_size["width"]
                record["width_fraction"] = width
                assert width > 0.85, f"the explorer spans {width:.0%} of the window; classroom mode wants full width"
                page.screenshot(path=str(ARTIFACTS / f"classroom_{SERVED.stem}.png"))
                moved = driver.move_until_figure_changes(3)
                record["control"] = moved["control"]
                assert moved["control"], f"no control changed the figure on the classroom page: {moved['tried']}"
            finally:
                context.close()
        finally:
            stop_process(proc)
