"""Parameter checks of the schedules: each raises ValueError (or TypeError) naming the
parameter, the value and what is allowed."""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable


_LABELS = {"lr": "learning rate"}


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


def _count(minimum: int) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
                or int(value) != value or not minimum <= value < 2**62):
            _fail(name, value, f"must be an integer >= {minimum}")

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
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of step counts, not {type(value).__name__}") from None
    for m in items:
        if isinstance(m, bool) or not isinstance(m, numbers.Real) or int(m) != m or not 0 <= m < 2**62:
            _fail(name, list(value), "must be integers >= 0")

