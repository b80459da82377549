"""The browser test's numbers in pytest's terminal summary, and in ``artifacts/browser/metrics.json``.

A pytest plugin. In a plain run ``conftest.py`` registers it and hands it its numbers at the end
of the session. Under pytest-xdist the tests run in worker processes and the terminal summary is
printed by the controller, which collects nothing and so never loads ``conftest.py``: there the
plugin is loaded with ``-p tests.browser.summary`` (``make test`` and ``make browser-test`` pass
it), and each worker's numbers arrive through xdist's ``workeroutput`` (``pytest_testnodedown``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"  # as in conftest.py (not imported: see above)
_PARTS = pytest.StashKey[list]()
PACKAGE = "tests/browser/"
_TEST_SECONDS = {"total": 0.0}  # setup + call + teardown of this package's tests, from their reports


def add_metrics(config, metrics: dict) -> None:
    """One process's numbers (``conftest._METRICS``, or a worker's copy of it)."""
    config.stash.setdefault(_PARTS, []).append(metrics)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist's controller: a worker finished; keep the numbers it sent, if it ran browser tests."""
    sent = getattr(node, "workeroutput", {}).get("browser_metrics")
    if sent:
        add_metrics(node.config, json.loads(sent))


def pytest_runtest_logreport(report):
    """Every test's report reaches this process (xdist's controller too), with its duration."""
    if report.nodeid.startswith(PACKAGE):
        _TEST_SECONDS["total"] += report.duration


def merge(parts: list[dict]) -> dict:
    """The numbers of every process as one run's."""
    m = {"notebooks": {}, "classroom": {}, "html_export": {}, "server_start_s": None, "lab_load_s": None,
         "workers": sorted(p.get("worker") or "main" for p in parts)}
    for p in parts:
        for key in ("notebooks", "classroom", "html_export"):
            m[key].update(p.get(key) or {})
        for key in ("server_start_s", "lab_load_s"):
            if p.get(key) is not None:
                m[key] = p[key]
    m["total_s"] = _TEST_SECONDS["total"]
    starts = [p["started"] for p in parts if p.get("started") is not None]
    ends = [p["finished"] for p in parts if p.get("finished") is not None]
    m["wall_span_s"] = max(ends) - min(starts) if starts and ends else None
    return m


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput"):  # a worker: its numbers go to the controller
        return
    parts = config.stash.get(_PARTS, [])
    if not parts:
        return
    m = merge(parts)
    write_summary(terminalreporter, m)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "metrics.json").write_text(json.dumps(m, indent=2, default=str))


def write_summary(tr, m: dict) -> None:
    tr.section("lab in a real browser (JupyterLab + Chromium)")
    where = ""
    if m["workers"] != ["main"]:
        where = (f" (in xdist workers {', '.join(m['workers'])}, beside the other tests; "
                 f"first start to last finish {m['wall_span_s'] or 0:.1f} s)")
    tr.write_line(
        f"total time of the browser test: {m['total_s']:.1f} s{where}; {len(m['notebooks'])} notebooks in JupyterLab "
        f"(server start {m['server_start_s'] or 0:.1f} s, JupyterLab load {m['lab_load_s'] or 0:.1f} s)"
    )
    for name, r in sorted(m["classroom"].items()):
        tr.write_line(
            f"  classroom page {name}: Voila start {r.get('server_s', 0):.1f} s, page ready {r.get('ready_s', 0):.1f} s, "
            f"explorer width {r.get('width_fraction', 0):.0%} of the window, {r.get('control')!r} changed the figure"
        )
    if m["html_export"]:
        r = m["html_export"]
        tr.write_line(f"  HTML export: {r.get('pages')} pages, {r.get('figures')} figures kept, {r.get('seconds', 0):.1f} s")
    rows = sorted(m["notebooks"].items())
    for name, r in rows:
        line = (f"  {name:22s} open+kernel {r.get('open_s', 0):5.1f} s  "
                f"ran {r.get('cells_run', '?'):>5s} code cells in {r.get('run_s', 0):5.1f} s")
        if r.get("latency_median_ms") is not None:
            line += (
                f"  main widget: {r['control']} changed the figure; latency median "
                f"{r['latency_median_ms']:.0f} ms over {len(r['latencies_ms'])} changes"
                f" (min {min(r['latencies_ms']):.0f}, max {max(r['latencies_ms']):.0f})"
            )
        tr.write_line(line)
        slider = r.get("slider")
        if slider and slider.get("latency_median_ms") is not None:
            tr.write_line(
                f"  {'':22s} slider change: {slider['control']}: median {slider['latency_median_ms']:.0f} ms over "
                f"{len(slider['latencies_ms'])} changes (min {min(slider['latencies_ms']):.0f}, max {max(slider['latencies_ms']):.0f})"
            )
        elif slider and slider.get("error"):
            tr.write_line(f"  {'':22s} slider change: {slider['control']}: {slider['error']}")
    measured = [(r["latency_median_ms"], name) for name, r in rows if r.get("latency_median_ms") is not None]
    if measured:
        worst, name = max(measured)
        tr.write_line(f"slowest main widget: {name}, median {worst:.0f} ms from the key press / click to the new figure")
    sliders = [(r["slider"]["latency_median_ms"], name, r["slider"]["control"]) for name, r in rows
               if (r.get("slider") or {}).get("latency_median_ms") is not None]
    if sliders:
        worst, name, control = max(sliders)
        tr.write_line(f"slowest slider change: {name} {control}, median {worst:.0f} ms from the key press to the new figure")
    tr.write_line(f"screenshots and metrics: {ARTIFACTS.relative_to(ROOT)}/")
