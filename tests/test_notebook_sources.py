"""Every notebook is built from its jupytext source; the committed .ipynb must match it."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
build_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_notebooks)

SOURCES = build_notebooks.sources([])


def test_there_are_notebook_sources():
    assert SOURCES, "no notebooks/src/*.py"


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_notebook_matches_its_source(src):
    problem = build_notebooks.check(src)
    assert problem is None, problem


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_notebook_is_executed_without_errors(src):
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / f"{src.stem}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run python tools/build_notebooks.py"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    text = "".join(c.source for c in nb.cells)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), "each notebook carries its question and answers in Chinese"
