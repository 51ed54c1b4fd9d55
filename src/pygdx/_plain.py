"""Plain values: what a deep copy returns as it is, and the copy of settings made of them.

A fit copies its settings (the optimizer's options, the estimator's optimizer settings) on
every call, so that a later change to them does not reach the fitted model. ``copy.deepcopy``
spends 2-20 us a call on its dispatch and memo even for a tuple of floats and strings;
partial_fit pays it on every call (session 13). :func:`plain_copy` gives the same result
directly for plain data and falls back to ``copy.deepcopy`` for anything else."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PLAIN_TYPES", "plain_copy"]

# Immutable and without parts: a deep copy returns such a value itself. Exact types only (a
# subclass of int or str may carry mutable attributes).
PLAIN_TYPES = frozenset({type(None), bool, int, float, str})


def plain_copy(value: Any) -> Any:
    """``copy.deepcopy(value)``, made directly when ``value`` is a plain value, or a tuple,
    list or dict (with plain keys) of plain values, one level deep."""
    kind = type(value)
    if kind in PLAIN_TYPES:
        return value
    if kind is tuple and all(type(v) in PLAIN_TYPES or _flat(v) for v in value):
        return tuple(v if type(v) in PLAIN_TYPES else _copy_flat(v) for v in value)
    if _flat(value):
        return _copy_flat(value)
    return copy.deepcopy(value)


def _flat(value: Any) -> bool:
    """A list, or a dict with plain keys, whose items are all plain values."""
    kind = type(value)
    if kind is list:
        return all(type(v) in PLAIN_TYPES for v in value)
    if kind is dict:
        return all(type(k) in PLAIN_TYPES and type(v) in PLAIN_TYPES for k, v in value.items())
    return False


def _copy_flat(value: Any) -> Any:
    return list(value) if type(value) is list else dict(value)
