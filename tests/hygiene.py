"""Runtime hygiene of the notebooks under nbval: no network, no writes outside temp, artifacts/ and build/.

A pytest plugin, registered by the repository's root ``conftest.py``. When ``--nbval`` is on it gives
the notebooks' kernels an environment in which an IPython startup file installs
:mod:`hygiene_guard` before the first cell:

- ``IPYTHONDIR``: a fresh temporary IPython directory holding that startup file (and the kernel's
  history database, which would otherwise go to ``~/.ipython``);
- ``MPLCONFIGDIR``: matplotlib's font cache under the temporary directory (one per machine, so it is
  built once, not per kernel);
- ``PYTHONDONTWRITEBYTECODE``: no ``__pycache__`` written beside the package.

The guard refuses a forbidden write or connection with ``PermissionError`` (the cell errors, and
nbval fails it) and logs it; :func:`pytest_runtest_makereport` also fails the cell whose run added to
the log, so a refusal a library caught and swallowed still fails the run. ``tests/test_hygiene.py``
checks the guard itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD = Path(__file__).with_name("hygiene_guard.py")
# the longest folder that holds a path decides: the repository is refused even inside the temp dir
RULES = [(tempfile.gettempdir(), True), (str(ROOT), False), (str(ROOT / "artifacts"), True), (str(ROOT / "build"), True)]
ALLOWED = tuple(folder for folder, allowed in RULES if allowed)
ENV_KEYS = ("IPYTHONDIR", "MPLCONFIGDIR", "PYTHONDONTWRITEBYTECODE")
_STATE: dict = {}


def kernel_environment(workdir: Path, rules=RULES) -> tuple[dict[str, str], Path]:
    """The variables that make a kernel started with them run under the guard, and the guard's log."""
    startup = workdir / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    log = workdir / "refused.log"
    (startup / "00-hygiene.py").write_text(
        "import importlib.util as _u\n"
        f"_spec = _u.spec_from_file_location('hygiene_guard', {str(GUARD)!r})\n"
        "_guard = _u.module_from_spec(_spec)\n"
        "_spec.loader.exec_module(_guard)\n"
        f"_guard.install({list(rules)!r}, {str(log)!r})\n"
        "del _u, _spec, _guard\n"
    )
    env = {
        "IPYTHONDIR": str(workdir / "ipython"),
        "MPLCONFIGDIR": str(Path(tempfile.gettempdir()) / "transformer_lab-matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return env, log


def pytest_configure(config):
    if not (getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)):
        return
    workdir = Path(tempfile.mkdtemp(prefix="transformer_lab-hygiene-"))
    env, log = kernel_environment(workdir)
    _STATE.update(workdir=workdir, log=log, seen=0, saved={k: os.environ.get(k) for k in env})
    os.environ.update(env)  # nbval starts its kernels with this process's environment


def pytest_unconfigure(config):
    if "workdir" not in _STATE:
        return
    for key, value in _STATE.pop("saved").items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    shutil.rmtree(_STATE.pop("workdir"), ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    log = _STATE.get("log")
    if log is None or call.when != "call" or type(item).__name__ != "IPyNbCell" or not log.exists():
        return
    lines = log.read_text().splitlines()
    new, _STATE["seen"] = lines[_STATE["seen"]:], len(lines)
    if new:
        report = outcome.get_result()
        report.outcome = "failed"
        report.longrepr = "the hygiene guard refused (see tests/hygiene.py):\n  " + "\n  ".join(new)
