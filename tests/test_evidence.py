"""Claims decided over seeds, the ≈ mark and its sanitiser, the experiment registry and ``make claims``."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

import transformer_lab as tl
from transformer_lab import evidence as ev
from transformer_lab import lessons

ROOT = Path(__file__).resolve().parents[1]


def sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns((ROOT / "notebooks" / "sanitize.cfg").read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def test_every_seed_holds_only_when_the_worst_seed_clears_the_rule():
    c = ev.every_seed("a beats b", "a − b > 0", [0.3, 0.05, 0.2])
    assert c.holds and c.margin == 0.05 and c.held == "3 of 3 seeds" and c.rule == "in every seed: a − b > 0"
    c = ev.every_seed("a beats b", "a − b > 0", [0.3, -0.01, 0.2])
    assert not c.holds and c.margin == -0.01 and c.held == "2 of 3 seeds"


def test_most_seeds_takes_the_kth_best_seed():
    c = ev.most_seeds("x", "r", [0.4, -0.2, 0.1, 0.3, -0.5], k=3)
    assert c.holds and c.margin == 0.1 and c.rule.startswith("in at least 3 of 5 seeds")
    assert not ev.most_seeds("x", "r", [0.4, -0.2, 0.1, 0.3, -0.5], k=4).holds


def test_mean_above_subtracts_n_standard_errors():
    values = [0.1, 0.2, 0.3, 0.4, 0.5]  # mean 0.3, sd 0.158, SE 0.0707
    c = ev.mean_above("gap", "a − b", values, threshold=0.05, n_se=3)
    assert c.margin == pytest.approx(0.3 - 0.05 - 3 * 0.0707107, abs=1e-6) and c.holds
    assert not ev.mean_above("gap", "a − b", values, threshold=0.2, n_se=3).holds


def test_mean_within_asks_the_mean_and_its_errors_to_fit_in_the_tolerance():
    values = [0.1, -0.1, 0.05, -0.05, 0.0]  # mean 0, SE 0.0354
    c = ev.mean_within("close", "a − b", values, tolerance=0.2)
    assert c.margin == pytest.approx(0.2 - 2 * 0.0353553, abs=1e-6) and c.holds
    assert not ev.mean_within("close", "a − b", [x + 0.2 for x in values], tolerance=0.2).holds
    assert c.rule.startswith("mean over 5 seeds ± 2 SE inside ±0.2")


def test_check_asserts_every_claim_and_names_the_ones_that_fail():
    good, bad = ev.every_seed("good", "r", [1.0, 2.0]), ev.every_seed("bad one", "r", [1.0, -2.0])
    table = ev.Evidence((0, 1), [good]).check()
    assert "| good | in every seed: r | 2 of 2 seeds | ≈+1.000 | holds |" in table
    with pytest.raises(AssertionError, match=r"1 of 2 claims do not hold on seeds \[0, 1\]: 'bad one'"):
        ev.Evidence((0, 1), [good, bad]).check()
    assert "FAILS" in ev.Evidence((0, 1), [good, bad]).table()  # an exercise may show a failing claim


def test_tables_render_as_markdown_and_compare_as_their_text():
    from IPython.core.formatters import DisplayFormatter

    table = tl.claims_table([("笔记", "c", "holds", "e", "1")])
    data, _ = DisplayFormatter().format(table)
    assert data["text/markdown"] == data["text/plain"] == str(table)


def test_the_sanitiser_masks_exactly_the_numbers_marked_approx():
    assert tl.approx(0.8312) == "≈0.83" and tl.approx(-0.004, "+.3f") == "≈-0.004"
    before = f"accuracy {tl.approx(0.83)}, margin {tl.approx(0.1234, '+.3f')}; 5 of 5 seeds, d_k = 128, 1e-06"
    after = f"accuracy {tl.approx(0.71)}, margin {tl.approx(-0.02, '+.3f')}; 5 of 5 seeds, d_k = 128, 1e-06"
    assert sanitize(before) == sanitize(after) == "accuracy≈#, margin≈#; 5 of 5 seeds, d_k = 128, 1e-06"
    assert sanitize("5 of 5 seeds") != sanitize("4 of 5 seeds")  # plain numbers stay compared
    assert sanitize(ev.seed_table({"a": [0.1, 0.9]})) == sanitize(ev.seed_table({"a": [0.5, 0.6]}))
    assert sanitize(f"{tl.approx(float('inf'))} {tl.approx(1.5e-7, '.1e')}") == "≈#≈#"


def test_every_lesson_registers_experiments_that_take_a_base_seed():
    modules = lessons.load_all()
    assert modules, "no lesson package found"
    assert ev.EXPERIMENTS, "no experiment registered"
    for key, fn in ev.EXPERIMENTS.items():
        notebook, name = key.split(" · ")
        assert fn.notebook == notebook and fn.__name__ == name
        params = inspect.signature(fn).parameters
        assert "base" in params and params["base"].default is None, key
        assert all(p.default is not inspect.Parameter.empty for p in params.values()), f"{key}: every argument has a default"
        assert (ROOT / "notebooks" / "src").glob(f"{notebook}_*.py"), key


def test_each_notebook_calls_its_registered_experiments_with_no_argument():
    """What ``make claims`` replays is what the notebook runs: the notebook calls each experiment bare."""
    lessons.load_all()
    for key, fn in ev.EXPERIMENTS.items():
        notebook, name = key.split(" · ")
        (src,) = (ROOT / "notebooks" / "src").glob(f"{notebook}_*.py")
        assert re.search(rf"\blesson\.{name}\(\)", src.read_text(encoding="utf-8")), f"{src.name} does not call lesson.{name}()"


def load_claims_tool():
    spec = importlib.util.spec_from_file_location("claims_tool", ROOT / "tools" / "claims.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_claims_tool_counts_replays_and_fills_the_readme(tmp_path, monkeypatch):
    tool = load_claims_tool()
    runs = [[("a", "rule a", m), ("b", "rule b", 0.5)] for m in (0.2, -0.1, 0.3, 0.05)]
    report = [tool.summarise("03 · demo", runs, [1.0] * 4)]
    assert report[0]["claims"][0] == {"claim": "a", "rule": "rule a", "held": 3, "replays": 4, "worst": -0.1,
                                      "median": pytest.approx(0.125)}
    readme = tmp_path / "README.md"
    readme.write_text("head\n<!-- claims 03 -->\nold\n<!-- /claims 03 -->\ntail\n", encoding="utf-8")
    monkeypatch.setattr(tool, "README", readme)
    tool.write_readme(report, 4)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("head\n<!-- claims 03 -->\nReplayed by `make claims`") and text.endswith("<!-- /claims 03 -->\ntail\n")
    assert "| `03 · demo` | a | rule a | 3 of 4 | -0.100 | +0.125 |" in text and "old" not in text


def test_the_readme_holds_a_claims_block_for_every_notebook_with_an_experiment():
    lessons.load_all()
    text = (ROOT / "seeds" / "README.md").read_text(encoding="utf-8")
    for notebook in {key.split(" · ")[0] for key in ev.EXPERIMENTS}:
        block = re.search(rf"<!-- claims {notebook} -->(.*?)<!-- /claims {notebook} -->", text, re.S)
        assert block, f"seeds/README.md has no claims block for notebook {notebook}"
        for key in (k for k in ev.EXPERIMENTS if k.startswith(notebook + " ")):
            assert f"`{key}`" in block.group(1), f"run make claims ARGS=--write: {key} is not in the table"
