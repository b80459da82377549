"""Runs inside a notebook's kernel: refuse network connections and writes outside the allowed folders.

An IPython startup file (written by ``tests/hygiene.py``) calls :func:`install` before the first cell,
so every cell runs under a ``sys.addaudithook`` hook. The hook raises ``PermissionError`` on

- a connection or name lookup (``socket.connect``, ``socket.sendto``, ``socket.getaddrinfo``,
  ``urllib.Request``): the lab downloads nothing and talks to no one. ZeroMQ, the kernel's own channel
  to Jupyter, lives in C and never reaches this hook;
- opening a file for writing, or creating, removing, renaming, truncating or linking a path, unless
  the longest folder of ``rules`` that holds it is allowed: the temporary directory, the
  repository's ``artifacts/`` and ``build/`` are; the repository itself is not, even when it lives in
  the temporary directory (a clean clone in ``/tmp``); anywhere else is not.

Every refusal is also appended to ``log``, so a write that a library catches and swallows (a cache
that "fails soft") is still seen: ``tests/hygiene.py`` fails the cell that caused it.

Standard library only: it is imported before anything else in the kernel.
"""

from __future__ import annotations

import os
import socket
import sys

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_PATH_EVENTS = {  # event -> positions of its path arguments
    "os.mkdir": (0,), "os.remove": (0,), "os.rmdir": (0,), "os.truncate": (0,),
    "os.rename": (0, 1), "os.symlink": (1,), "os.link": (1,), "shutil.rmtree": (0,),
}
_NET_EVENTS = {"socket.connect", "socket.connect_ex", "socket.sendto", "socket.getaddrinfo", "urllib.Request"}
_LOCAL_FAMILIES = {getattr(socket, "AF_UNIX", None)}


def install(rules: list[tuple[str, bool]], log: str) -> None:
    """Add the hook to this process (it cannot be removed: audit hooks last for the process).

    ``rules``: ``(folder, allowed)`` pairs; a path is judged by the longest folder that holds it.
    """
    folders = sorted(((os.path.realpath(f).rstrip(os.sep) + os.sep, ok) for f, ok in rules),
                     key=lambda rule: -len(rule[0]))  # longest first
    roots = [f for f, ok in folders if ok]
    busy = [False]  # the hook's own log write must not re-enter it

    def outside(path) -> str | None:
        """The resolved path when writing there is refused, else None."""
        if isinstance(path, int) or path is None:  # a file descriptor: its path was checked when opened
            return None
        path = os.path.realpath(os.fsdecode(path))
        if path == os.devnull:
            return None
        for folder, ok in folders:
            if (path + os.sep).startswith(folder):
                return None if ok else path
        return path

    def refuse(what: str) -> None:
        if not busy[0]:
            busy[0] = True
            try:
                fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                os.write(fd, (what.replace("\n", " ") + "\n").encode())
                os.close(fd)
            finally:
                busy[0] = False
        raise PermissionError(f"hygiene guard: {what} (notebooks may write only under {', '.join(roots)} "
                              "and open no network connection)")

    def hook(event: str, args: tuple) -> None:
        if busy[0]:
            return
        if event == "open":
            path, _mode, flags = args
            if flags & _WRITE_FLAGS and (bad := outside(path)):
                refuse(f"write {bad}")
        elif event in _PATH_EVENTS:
            for i in _PATH_EVENTS[event]:
                if (bad := outside(args[i])):
                    refuse(f"{event} {bad}")
        elif event in _NET_EVENTS:
            if event in ("socket.connect", "socket.connect_ex", "socket.sendto"):
                sock = args[0]
                if getattr(sock, "family", None) in _LOCAL_FAMILIES:
                    return
                target = args[-1]
            else:  # getaddrinfo (host, port, ...), urllib.Request (url, ...)
                target = args[0]
            refuse(f"{event} {target!r}")

    sys.dont_write_bytecode = True  # no __pycache__ beside the package's sources
    sys.addaudithook(hook)
