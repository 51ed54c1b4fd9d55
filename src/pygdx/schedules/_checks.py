"""Parameter checks of the schedules: each raises ValueError (or TypeError) naming the
parameter, the value and what is allowed."""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable


_LABELS = {"lr": "learning rate", "t": "step", "first": "first step"}


def _fail(name: str, value: Any, allowed: str) -> None:
    raise ValueError(f"Invalid {_LABELS.get(name, name)}: {value} ({allowed})")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_LABELS.get(name, name)} must be a number, not {type(value).__name__}")
    return float(value)


def _positive(name: str, value: Any) -> None:
    v = _number(name, value)
    if not math.isfinite(v) or v <= 0.0:
        _fail(name, v, "must be a finite number > 0")


def _nonnegative(name: str, value: Any) -> None:
    v = _number(name, value)
    if not math.isfinite(v) or v < 0.0:
        _fail(name, v, "must be a finite number >= 0")


def _unit(name: str, value: Any) -> None:
    v = _number(name, value)
    if not 0.0 <= v <= 1.0:
        _fail(name, v, "must be in [0, 1]")


def _open_unit(name: str, value: Any) -> None:
    v = _number(name, value)
    if not 0.0 < v < 1.0:
        _fail(name, v, "must be in (0, 1)")


# Step counts fit the core's 64-bit counters with room to add to them.
_MOST_STEPS = 2**62


def _whole(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int: an integer (or an integral float) in [minimum, 2**62); a TypeError
    for what is not a number (texts are not read as numbers), a ValueError for other numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_LABELS.get(name, name)} must be an integer, not {type(value).__name__}")
    if not math.isfinite(value) or int(value) != value or not minimum <= value < _MOST_STEPS:
        counting = "; steps count from 1" if minimum == 1 and name in ("t", "first") else ""
        _fail(name, value, f"must be an integer >= {minimum} and < 2**62{counting}")
    return int(value)


def _count(minimum: int) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        _whole(name, value, minimum)

    return check


def _choice(*options: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value not in options:
            _fail(name, repr(value), "must be one of " + ", ".join(map(repr, options)))

    return check


def _function(name: str, value: Any) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be a function of the step, not {type(value).__name__}")


def _optional(check: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    def optional(name: str, value: Any) -> None:
        if value is not None:
            check(name, value)

    return optional


def _check_milestones(name: str, value: Any) -> None:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of step counts, not {type(value).__name__}")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of step counts, not {type(value).__name__}") from None
    for m in items:
        if isinstance(m, bool) or not isinstance(m, numbers.Real):
            raise TypeError(f"{name} must hold step counts (integers), not {type(m).__name__}: {items!r:.80}")
        if not math.isfinite(m) or int(m) != m or not 0 <= m < _MOST_STEPS:
            _fail(name, items, "must be integers >= 0")

