"""Measuring cost: wall-clock time and the peak memory held by tensors during a call.

Taught in ``notebooks/03_attention_scores.ipynb`` (additive vs dot) and
``notebooks/05_head_dim.ipynb`` (head layouts).
"""

from __future__ import annotations

import timeit
import weakref
from typing import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from ._checks import check_number, check_int

__all__ = ["time_call", "peak_tensor_bytes"]


def _check_callable(fn) -> None:
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments (e.g. a lambda), got {type(fn).__name__}")


def time_call(fn: Callable[[], object], repeats: int = 5, min_seconds: float = 0.02) -> float:
    """Seconds per call of ``fn()``: the best of ``repeats`` timings, each long enough to trust.

    Like ``timeit``: each timing runs ``fn`` as many times as it takes to last ``min_seconds``;
    the minimum over repeats is the least disturbed by other work on the machine.
    """
    _check_callable(fn)
    check_int("repeats", repeats)
    check_number("min_seconds", min_seconds, minimum=0)  # inf would double the runs forever
    timer = timeit.Timer(fn)
    number = 1
    while (elapsed := timer.timeit(number)) < min_seconds:  # also warms up
        number *= 2 if elapsed * 10 > min_seconds else 10
    return min(timer.repeat(repeat=repeats, number=number)) / number


class _PeakTensorMemory(TorchDispatchMode):
    """Counts the bytes of every new tensor storage an op creates, and frees them when it dies."""

    def __init__(self):
        super().__init__()
        self.live = 0
        self.peak = 0
        self._storages: set[int] = set()

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # False: torch would wrap __torch_dispatch__ in torch._disable_dynamo, whose first call imports
        # torch._dynamo (2-4 s on a laptop CPU). Nothing here is compiled, so there is nothing to skip.
        return False

    def _release(self, key: int, nbytes: int) -> None:
        self._storages.discard(key)
        self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key, nbytes = storage.data_ptr(), storage.nbytes()
            if nbytes == 0 or key in self._storages:
                continue  # a view of a storage already counted
            self._storages.add(key)
            self.live += nbytes
            self.peak = max(self.peak, self.live)
            weakref.finalize(t, self._release, key, nbytes)
        return out


def peak_tensor_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes of the tensors created while ``fn()`` runs (inputs made before it not counted).

    Exact and deterministic, unlike the process's resident memory; counts what a CPU run
    allocates for tensors (for example additive attention's ``(T, S, A)`` intermediate).
    """
    _check_callable(fn)
    mode = _PeakTensorMemory()
    with mode:
        result = fn()
    del result
    return mode.peak
