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
  without ``-s``) and written to ``artifacts/browser/metrics.json``, next to the screenshots, by
  ``summary.py``.

Under pytest-xdist (``make test``: ``-n 2 --dist loadscope``) each worker that runs a module of
this package has its own browser (and the one running ``test_lab_in_browser.py`` its own
JupyterLab); the package fixtures are per worker process. A worker sends its numbers to the
controller through xdist's ``workeroutput``; the controller, which never loads this conftest,
prints and writes them with ``-p tests.browser.summary`` (the Makefile passes it). Stale
screenshots are removed once per run, by whichever worker starts a browser first.
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
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

try:
    import fcntl
except ImportError:  # Windows: no lock; xdist workers might then both clean the artifacts
    fcntl = None

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
ARTIFACTS = ROOT / "artifacts" / "browser"  # git-ignored (artifacts/ in .gitignore)
# the nbval kernels' hygiene guard (tests/hygiene.py) is not for the JupyterLab this test drives
HYGIENE_KEYS = ("IPYTHONDIR", "MPLCONFIGDIR", "PYTHONDONTWRITEBYTECODE")

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
        return "Python playwright is not installed (pip install -r requirements-dev.txt)"
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
_RUN_ID = uuid.uuid4().hex  # this run, when there are no xdist workers to share theirs


def worker_id(config) -> str | None:
    """The xdist worker this process is (``gw0``, ...), or None in a plain (or the controller) process."""
    return getattr(config, "workerinput", {}).get("workerid")


def run_id(config) -> str:
    """The same for every process of one pytest run (xdist's testrunuid; else this process's)."""
    return getattr(config, "workerinput", {}).get("testrunuid") or _RUN_ID


@pytest.fixture(scope="session")
def browser_metrics() -> dict:
    return _METRICS


@pytest.fixture(scope="package", autouse=True)
def _browser_test_clock():
    """When the browser test (this package) starts and ends, by the wall clock (comparable between
    xdist workers); under xdist a worker may enter the package more than once."""
    if _METRICS["started"] is None:
        _METRICS["started"] = time.time()
    yield
    _METRICS["finished"] = time.time()


def pytest_configure(config):
    """The terminal summary (``summary.py``): ``-p tests.browser.summary`` loads it in pytest's
    (xdist's controller) process, which never loads this conftest under xdist; else it is
    registered here."""
    if not (config.pluginmanager.has_plugin("tests.browser.summary") or config.pluginmanager.has_plugin("browser-summary")):
        from . import summary

        config.pluginmanager.register(summary, "browser-summary")


def pytest_sessionfinish(session):
    """Hand this process's numbers to the summary: an xdist worker sends them to the controller."""
    m = _METRICS
    if m["started"] is None or not (m["notebooks"] or m["classroom"] or m["html_export"]):
        return
    config = session.config
    if worker_id(config) is not None:
        config.workeroutput["browser_metrics"] = json.dumps({**m, "worker": worker_id(config)}, default=str)
        return
    plugin = config.pluginmanager.get_plugin("tests.browser.summary") or config.pluginmanager.get_plugin("browser-summary")
    if plugin is not None:
        plugin.add_metrics(config, m)


def clean_stale_artifacts(config) -> None:
    """Remove the last run's screenshots and metrics, once per run: under xdist the first worker
    to start a browser does it, and the others leave alone what it has written since."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / ".run.lock", "a+") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        marker = ARTIFACTS / ".run"
        if marker.exists() and marker.read_text() == run_id(config):
            return
        for stale in ARTIFACTS.glob("*"):
            if stale.suffix in (".png", ".json"):  # logs are rewritten by their servers
                stale.unlink(missing_ok=True)
        marker.write_text(run_id(config))


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
        **{k: v for k, v in os.environ.items() if k not in HYGIENE_KEYS},
        "OMP_NUM_THREADS": "1",
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),  # no user config leaks in
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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
def browser(chromium, request):
    from playwright.sync_api import sync_playwright

    clean_stale_artifacts(request.config)  # the last run's screenshots, once this run can make new ones
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
