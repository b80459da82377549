"""Fixtures of the browser tests: Debian's Chromium through Playwright, a JupyterLab server on loopback.

- ``chromium``: the path of the browser. Skips where there is none (or no Python ``playwright``),
  unless ``CI`` is set: in CI a missing browser is a failure, never a silent skip.
- ``lab_server``: JupyterLab on ``127.0.0.1``, a free port, a random token, security defaults on
  (``--allow-root`` only as root, as ``make lab`` does). It serves a *copy* of ``notebooks/*.ipynb``
  (with the other top-level folders linked beside it), so running cells in the browser can never
  overwrite a committed notebook; autosave is off too. Workspaces, user settings and the settings
  ``overrides.json`` live in a temp dir; the overrides turn off the news feed and the update check
  (no network here), autosave, and notebook windowing (so every cell is in the DOM).
- ``lab_page``: one browser page holding JupyterLab, shared by the notebooks (loading JupyterLab
  once saves time); each test opens its notebook in it and closes it with its kernel.
- ``browser_metrics``: numbers the tests record; printed in pytest's terminal summary (visible
  without ``-s``) and written to ``artifacts/browser/metrics.json``, next to the screenshots.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
ARTIFACTS = ROOT / "artifacts" / "browser"  # git-ignored (artifacts/ in .gitignore)

# Debian's package `chromium`; Playwright's own browser download cannot work here.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which this
# machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTINGS_OVERRIDES = {
    # no news feed, no update check: nothing to fetch on a closed network, no popup over the page
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # the served files are copies, and nothing is ever saved
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    # every cell stays in the DOM, so the checks below see every output
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
VIEWPORT = {"width": 1400, "height": 1000}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_path() -> str | None:
    explicit = os.environ.get("LAB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chromium_path() is None:
        return "no Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -r requirements.txt)"
    return None


def require_browser() -> str:
    """The Chromium path; skip without one, but fail in CI (CI must run the browser tests)."""
    reason = missing_browser_reason()
    if reason:
        if in_ci():
            pytest.fail(f"CI is set and the browser test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    return chromium_path()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a server process, killing it if it has not exited after 20 s."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# ----------------------------------------------------------------------------- metrics

_METRICS: dict = {
    "notebooks": {}, "classroom": {}, "html_export": {},
    "started": None, "finished": None, "server_start_s": None, "lab_load_s": None,
}


@pytest.fixture(scope="session")
def browser_metrics() -> dict:
    return _METRICS


@pytest.fixture(scope="package", autouse=True)
def _browser_test_clock():
    """Times the whole browser test (this package)."""
    _METRICS["started"] = time.perf_counter()
    yield
    _METRICS["finished"] = time.perf_counter()


def pytest_terminal_summary(terminalreporter):
    m = _METRICS
    if m["started"] is None or not (m["notebooks"] or m["classroom"] or m["html_export"]):
        return
    total = (m["finished"] or time.perf_counter()) - m["started"]
    tr = terminalreporter
    tr.section("lab in a real browser (JupyterLab + Chromium)")
    tr.write_line(
        f"total time of the browser test: {total:.1f} s; {len(m['notebooks'])} notebooks in JupyterLab "
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
        line = f"  {name:22s} open+kernel {r.get('open_s', 0):5.1f} s  run all {r.get('run_s', 0):6.1f} s"
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "metrics.json").write_text(json.dumps({**m, "total_s": total}, indent=2, default=str))


# ----------------------------------------------------------------------------- server and browser


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_browser()


@pytest.fixture(scope="package")
def lab_server(chromium, tmp_path_factory):
    """JupyterLab on loopback with a random token, serving a copy of the notebooks."""
    tmp = tmp_path_factory.mktemp("lab")
    served = tmp / "repo"
    served.mkdir()
    for entry in ROOT.iterdir():  # the repository beside the notebooks, as a notebook sees it
        if entry.name not in ("notebooks", ".git", "artifacts"):
            (served / entry.name).symlink_to(entry)
    (served / "notebooks").mkdir()
    for nb in NOTEBOOK_DIR.glob("*.ipynb"):
        shutil.copy2(nb, served / "notebooks" / nb.name)
    for d in ("workspaces", "user-settings", "app-settings", "config", "runtime"):
        (tmp / d).mkdir()
    (tmp / "app-settings" / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES, indent=2))

    port, token = free_port(), secrets.token_hex(24)
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        f"--LabApp.user_settings_dir={tmp / 'user-settings'}",
        f"--LabApp.app_settings_dir={tmp / 'app-settings'}",
        f"--ServerApp.root_dir={served / 'notebooks'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # jupyter refuses root otherwise (containers, CI)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),  # no user config leaks in
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    log_path = ARTIFACTS / "jupyterlab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=served / "notebooks", env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}; see {log_path}:\n{log_path.read_text()[-3000:]}")
            try:
                req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.perf_counter() - t0 > 180:
                pytest.fail(f"jupyter lab did not answer within 180 s; see {log_path}")
            time.sleep(0.5)
        # the token is required: an anonymous request is refused
        try:
            urllib.request.urlopen(f"{url}/api/contents", timeout=10)
            anonymous = 200
        except urllib.error.HTTPError as e:
            anonymous = e.code
        assert anonymous in (401, 403), f"JupyterLab answered an anonymous request with {anonymous}"
        _METRICS["server_start_s"] = time.perf_counter() - t0
        yield SimpleNamespace(url=url, token=token, root=served / "notebooks", log=log_path)
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture(scope="package")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("*"):  # the last run's screenshots, once this run can make new ones
        if stale.suffix in (".png", ".json"):  # logs are rewritten by their servers
            stale.unlink()
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture(scope="package")
def lab_page(browser, lab_server):
    """One page with JupyterLab loaded; tests open and close their notebooks in it."""
    from .lab import LabPage

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    lab = LabPage(page, lab_server.url, lab_server.token)
    t0 = time.perf_counter()
    lab.load()
    _METRICS["lab_load_s"] = time.perf_counter() - t0
    try:
        yield lab
    finally:
        context.close()
