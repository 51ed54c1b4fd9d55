"""Numbers a user hands in, taken strictly: real values pass, everything else is refused.

``np.asarray(x, dtype=float)`` is lenient: it drops imaginary parts (with only a warning),
turns datetimes into day counts, None into NaN and structured records into zeros, and
parses strings. The functions here refuse those with a TypeError that names the input.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

# bool, signed and unsigned integers, floats: values that convert to float exactly as written.
_REAL_KINDS = frozenset("biuf")


def as_real_array(value: Any, what: str, dtype: Any = np.float64, *, copy: bool = False) -> np.ndarray:
    """``value`` as an array of ``dtype``; a TypeError naming ``what`` unless it holds real numbers.

    With ``copy=True`` the result never shares memory with ``value``.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nesting, objects NumPy cannot hold
        raise TypeError(f"{what} must be an array of real numbers, not {type(value).__name__} ({exc})") from None
    if arr.dtype.kind not in _REAL_KINDS:
        raise TypeError(
            f"{what} must hold real numbers, but it holds values of dtype {arr.dtype}; pass a float array "
            "(complex, datetime, text, object and structured values are refused)"
        )
    return np.array(arr, dtype=dtype, copy=True) if copy else np.asarray(arr, dtype=dtype)


def real_number(what: str, value: Any) -> float:
    """``value`` as a float; a TypeError naming ``what`` unless it is a real number (strings are refused)."""
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in _REAL_KINDS:
        return float(value)
    raise TypeError(f"{what} must be a real number, not {type(value).__name__} ({value!r})")
