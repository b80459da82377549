"""``make html``: every notebook exported to HTML with every figure, readable offline in Chromium."""

from __future__ import annotations

import importlib.util
import re
import time

import nbformat
import pytest

from .conftest import NOTEBOOK_DIR, ROOT

spec = importlib.util.spec_from_file_location("export_html", ROOT / "tools" / "export_html.py")
export_html = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_html)

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory, browser_metrics):
    out = tmp_path_factory.mktemp("html")
    t0 = time.perf_counter()
    assert export_html.main(["--out", str(out)]) == 0
    figures = sum(sum(export_html.figures_in(nbformat.read(p, as_version=4)).values()) for p in NOTEBOOKS)
    browser_metrics["html_export"] = {"pages": len(NOTEBOOKS), "figures": figures, "seconds": time.perf_counter() - t0}
    return out


def test_every_notebook_is_exported_with_its_figures(exported):
    for path in NOTEBOOKS:
        html = (exported / f"{path.stem}.html").read_text(encoding="utf-8")
        n = export_html.figures_in(nbformat.read(path, as_version=4))["image/png"]
        assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= n
        assert not re.search(r'href="\d\d_[A-Za-z0-9_]+\.ipynb', html), f"{path.name}: a link still points to an .ipynb"
    if (NOTEBOOK_DIR / "00_index.ipynb").exists():
        index = (exported / "00_index.html").read_text(encoding="utf-8")
        assert 'href="03_attention_scores.html"' in index
        assert (exported / "index.html").exists()



def test_the_math_is_rendered_offline_as_mathml(exported):
    """No page loads MathJax from the internet; the formulas are MathML in the page, and no raw
    ``$...$`` LaTeX is left in the prose of the notebook with the most math."""
    for path in NOTEBOOKS:
        html = (exported / f"{path.stem}.html").read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+mathjax", html, re.I), f"{path.name}: MathJax is loaded from the internet"
    html = (exported / "07_sinusoidal_pe.html").read_text(encoding="utf-8")
    assert html.count("<math") > 50
    assert "\\sqrt{d" not in re.sub(r"<pre.*?</pre>|<code.*?</code>", "", html, flags=re.S), "raw LaTeX left in prose"

def test_a_figure_output_lost_in_the_export_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fig", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ])])
    path = tmp_path / "99_lost.ipynb"
    nbformat.write(nb, path)
    assert export_html.figures_in(nb)["image/png"] == 1

    class DropsFigures:
        def from_notebook_node(self, nb, resources=None):
            return "<html><body>no figure</body></html>", {}

    with pytest.raises(RuntimeError, match="1 image/png figures in the notebook, 0 in the HTML"):
        export_html.export(path, tmp_path, DropsFigures())


def test_exported_pages_show_their_figures_in_chromium(exported, browser):
    page = browser.new_page()
    try:
        for path in NOTEBOOKS:
            page.goto((exported / f"{path.stem}.html").as_uri())
            n = export_html.figures_in(nbformat.read(path, as_version=4))["image/png"]
            page.wait_for_function(
                "() => Array.from(document.images).every((i) => i.complete)", timeout=60_000
            )
            shown = page.evaluate(
                "() => Array.from(document.images).filter((i) => i.src.startsWith('data:image/png') && i.naturalWidth > 0).length"
            )
            assert shown >= n, f"{path.name}: {n} figures in the notebook, {shown} shown by the HTML page"
    finally:
        page.close()
