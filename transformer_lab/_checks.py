"""Small argument checks shared by the package: each raises with a sentence that names the
argument, what it got and what it expected, so bad input never becomes a silent wrong answer.

Two kinds of check: those on types and shapes, which work anywhere, and those that read a tensor's
*values* (NaN, a token outside the vocabulary). The second kind cannot run inside ``torch.func.vmap``,
where a tensor stands for a whole batch of tensors: code that runs under :func:`under_vmap` (the
seeds that ``train_seeds`` trains together) skips them, and its caller checks the values itself,
once, outside the transform.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

import torch

_UNDER_VMAP: ContextVar[bool] = ContextVar("under_vmap", default=False)


def checking_values() -> bool:
    """False inside :func:`under_vmap`: skip the checks that read tensor values."""
    return not _UNDER_VMAP.get()


@contextmanager
def under_vmap() -> Iterator[None]:
    """Mark a block that runs inside ``torch.func.vmap``: value checks are skipped (the caller checks
    inputs and outputs outside it) and attention takes the written-out path, which vmap batches
    into a few large ops (torch's fused CPU attention kernel has no vmap rule: it would loop)."""
    token = _UNDER_VMAP.set(True)
    try:
        yield
    finally:
        _UNDER_VMAP.reset(token)


def check_tensor(name: str, x, ndim: int | tuple[int, ...] | None = None, floating: bool = False):
    """Raise TypeError/ValueError unless ``x`` is a tensor with the given number of dims."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.dim() not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dims, got shape {tuple(x.shape)}")
    return x


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_finite(name: str, x: torch.Tensor) -> torch.Tensor:
    """Refuse NaN (and +inf) so they are never passed on silently; -inf is allowed (masks)."""
    if checking_values() and x.is_floating_point() and (torch.isnan(x).any() or torch.isposinf(x).any()):
        raise ValueError(f"{name} contains NaN or +inf; expected finite values")
    return x


def check_probabilities(name: str, p) -> torch.Tensor:
    """A floating tensor ``(..., S)`` of probabilities: every entry in [0, 1] (which also refuses NaN)."""
    check_tensor(name, p, floating=True)
    if p.dim() < 1:
        raise ValueError(f"{name} must have shape (..., S), got a 0-dim tensor")
    if not ((p >= 0) & (p <= 1)).all():
        raise ValueError(f"{name} must hold probabilities (entries in [0, 1], rows summing to 1)")
    return p


def check_number(name: str, value, minimum: float | None = None, maximum: float | None = None,
                 above: float | None = None) -> float:
    """A finite real number (not a bool) in ``[minimum, maximum]`` (and ``> above``); returns it as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if above is not None and not value > above:
        raise ValueError(f"{name} must be > {above:g}, got {value:g}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {value:g}")
    return value


def check_choice(name: str, value, choices):
    """One of ``choices``; the message lists them."""
    if value not in tuple(choices):
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value
