"""The runtime-hygiene guard that every notebook runs under in ``make test`` (``tests/hygiene.py``).

A kernel started with :func:`hygiene.kernel_environment` refuses network connections and writes
outside the temporary directory, ``artifacts/`` and ``build/``, and logs each refusal, while a
notebook's ordinary work (import the package, train a little, draw a figure, write a temp file)
runs untouched. The notebooks themselves are checked by running them under nbval with this guard.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import nbformat
import pytest
from nbclient import NotebookClient

import hygiene

PROBE = '''
import os, socket, tempfile
from pathlib import Path
ROOT = Path({root!r})

def refused(action):
    try:
        action()
    except PermissionError as e:
        return "hygiene guard" in str(e)
    return False

assert refused(lambda: open(ROOT / "notebooks" / "hygiene-probe.txt", "w"))
assert refused(lambda: (ROOT / "hygiene-probe.txt").write_text("x"))
assert refused(lambda: os.mkdir(Path.home() / "hygiene-probe"))
assert refused(lambda: socket.socket().connect(("127.0.0.1", 9)))  # even the loopback
assert refused(lambda: socket.getaddrinfo("pypi.org", 443))
try:
    os.remove({victim!r})  # a file in the repository (made by the test, untracked): protected like a tracked one
except PermissionError:
    pass  # swallowed, as a library cache might: still logged
'''

ALLOWED_WORK = '''
import tempfile
import torch
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import transformer_lab as tl

torch.manual_seed(0)
out, w = tl.scaled_dot_product_attention(torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4))
assert w.shape == (2, 3, 5)
fig, ax = plt.subplots()
ax.plot([0, 1])
with tempfile.NamedTemporaryFile("w", suffix=".png") as f:
    fig.savefig(f.name)
(ROOT / "artifacts").mkdir(exist_ok=True)
probe = ROOT / "artifacts" / "hygiene-probe.txt"
probe.write_text("ok")
probe.unlink()
print("allowed work ran")
'''


@pytest.fixture(scope="module")
def victim():
    """A file the probe tries to remove: new, untracked, inside the repository (not in artifacts/ or
    build/), so the guard must protect it as it would a tracked file. If the guard is broken, only this
    file is lost; it is removed afterwards either way."""
    path = hygiene.ROOT / f"hygiene-victim-{os.getpid()}.txt"  # one per pytest-xdist worker
    path.write_text("the hygiene guard must keep a notebook from removing this file\n")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def guarded_run(tmp_path_factory, victim):
    """Run the probe notebook in a kernel under the guard; return (executed notebook, refusal log)."""
    env, log = hygiene.kernel_environment(tmp_path_factory.mktemp("hygiene"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE.format(root=str(hygiene.ROOT), victim=str(victim))),
                nbformat.v4.new_code_cell(ALLOWED_WORK)]
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(hygiene.ROOT / "notebooks")}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return nb, log


def test_the_guard_refuses_writes_and_connections_and_logs_them(guarded_run, victim):
    _, log = guarded_run
    refused = log.read_text().splitlines()
    kinds = [line.split(" ", 1)[0] for line in refused]
    assert kinds == ["write", "write", "os.mkdir", "socket.connect", "socket.getaddrinfo", "os.remove"], refused
    assert not (hygiene.ROOT / "notebooks" / "hygiene-probe.txt").exists()
    assert not (hygiene.ROOT / "hygiene-probe.txt").exists()
    assert victim.exists() and refused[-1] == f"os.remove {victim.resolve()}"


def test_ordinary_notebook_work_runs_under_the_guard(guarded_run):
    nb, log = guarded_run
    assert nb.cells[1].outputs[0]["text"] == "allowed work ran\n"
    assert len(log.read_text().splitlines()) == 6  # nothing refused beyond the probe's six


def test_the_allowed_folders_are_temp_and_the_git_ignored_artifacts_and_build():
    assert hygiene.ALLOWED == (tempfile.gettempdir(), str(hygiene.ROOT / "artifacts"), str(hygiene.ROOT / "build"))
    ignored = (hygiene.ROOT / ".gitignore").read_text().splitlines()
    assert {"artifacts/", "build/"} <= set(ignored)  # writes there never show up in git status


def test_a_repository_inside_the_temp_dir_is_still_protected(tmp_path):
    """A clean clone in /tmp: the longest folder decides, so the repo is refused and its artifacts/ allowed."""
    repo = tmp_path / "clone"
    (repo / "artifacts").mkdir(parents=True)
    script = f"""
import sys
sys.path.insert(0, {str(hygiene.GUARD.parent)!r})
import hygiene_guard
hygiene_guard.install([({str(tmp_path)!r}, True), ({str(repo)!r}, False), ({str(repo / "artifacts")!r}, True)],
                      {str(tmp_path / "refused.log")!r})
open({str(tmp_path / "scratch.txt")!r}, "w").close()
open({str(repo / "artifacts" / "ok.txt")!r}, "w").close()
try:
    open({str(repo / "notebook-wrote-this.txt")!r}, "w")
except PermissionError as e:
    print("refused:", "hygiene guard" in str(e))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out == "refused: True\n"
    assert (repo / "artifacts" / "ok.txt").exists() and not (repo / "notebook-wrote-this.txt").exists()
