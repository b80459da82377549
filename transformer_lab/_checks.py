"""Small argument checks shared by the package: each raises with a sentence that names the
argument, what it got and what it expected, so bad input never becomes a silent wrong answer.

Two kinds of check: those on types and shapes, which work anywhere, and those that read a tensor's
*values* (NaN, a token outside the vocabulary). The second kind cannot run inside ``torch.func.vmap``,
where a tensor stands for a whole batch of tensors: code that runs under :func:`under_vmap` (the
seeds that ``train_seeds`` trains together) skips them, and its caller checks the values itself,
once, outside the transform.
"""

from __future__ import annotations

import numbers
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


def broadcast_shapes(*shapes) -> torch.Size:
    """``torch.broadcast_shapes`` without its first call's cost: torch's imports sympy (about 1 s)
    through ``torch.fx``. Same result, and the same ``RuntimeError`` when the shapes do not broadcast."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for shape in shapes:
        for i, size in enumerate((1,) * (n - len(shape)) + tuple(shape)):
            if size != 1 and out[i] not in (1, size):
                raise RuntimeError(f"shapes {[tuple(s) for s in shapes]} do not broadcast (dimension {i - n})")
            if size != 1:
                out[i] = size
    return torch.Size(out)


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


def check_int(name: str, value, minimum: int | None = 1, maximum: int | None = None) -> int:
    """An int (not a bool, not 8.0: a wrong type is a TypeError) in ``[minimum, maximum]`` (a wrong
    value is a ValueError); either bound may be None."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        expected = (f">= {minimum}" if maximum is None else f"<= {maximum}" if minimum is None
                    else f"in [{minimum}, {maximum}]")
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def check_seed(name: str, seed, minimum: int | None = None) -> int:
    """An integer seed (numpy ints too; not a bool, not 1.5, which ``int()`` would silently turn into 1)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(seed).__name__} {seed!r}")
    if minimum is not None and seed < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {seed}")
    return int(seed)


def check_bool(name: str, value) -> bool:
    """A Python bool (``1`` and ``"yes"`` are not)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return value


def check_mask(name: str, mask, ndim: int | None = None) -> torch.Tensor:
    """A bool tensor, True where a key takes part (a float 0/1 tensor is refused: its convention is unknown)."""
    check_tensor(name, mask, ndim=ndim)
    if mask.dtype != torch.bool:
        raise TypeError(
            f"{name} must be a bool tensor (True = take part), got dtype {mask.dtype}; "
            "convert a 0/1 tensor with .bool() after checking its convention"
        )
    return mask


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


def is_choice(value, choices) -> bool:
    """Equal to a choice and of its type: ``True`` is not the choice ``1``, nor ``2.0`` the choice ``2``."""
    return any(type(c) is type(value) and c == value for c in choices)


def check_choice(name: str, value, choices):
    """One of ``choices`` (of the same type: a wrong type is a TypeError, a wrong value a ValueError)."""
    choices = tuple(choices)
    if is_choice(value, choices):
        return value
    if any(type(c) is type(value) for c in choices):
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    raise TypeError(f"{name} must be one of {choices}, got {type(value).__name__} {value!r}")
