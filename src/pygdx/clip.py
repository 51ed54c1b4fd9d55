"""Gradient clipping for NumPy arrays, with torch.nn.utils' names and semantics.

torch clips the ``.grad`` of parameters; NumPy arrays have no ``.grad``, so these functions
take the gradient arrays themselves and change them in place (a training loop passes the
arrays it then gives to ``optimizer.step``):

>>> import numpy as np, pygdx
>>> g = [np.array([3.0, 4.0]), np.array([12.0])]
>>> float(pygdx.clip_grad_norm_(g, max_norm=1.0))     # the norm before clipping
13.0
>>> [a.round(4).tolist() for a in g]
[[0.2308, 0.3077], [0.9231]]

- ``clip_grad_norm_(grads, max_norm, norm_type=2.0, error_if_nonfinite=False)``: scales every
  gradient by ``min(1, max_norm / (total_norm + 1e-6))``, where ``total_norm`` is the
  ``norm_type``-norm of all gradients seen as one vector (``"inf"``: the largest |g|);
  returns ``total_norm`` (before clipping) as a NumPy scalar of the gradients' dtype, as
  torch returns a 0-d tensor. With ``error_if_nonfinite`` a NaN or infinite norm raises
  RuntimeError (torch's message) and nothing changes.
- ``clip_grad_value_(grads, clip_value)``: clamps every element to [-clip_value, clip_value].
- ``get_total_norm`` and ``clip_grads_with_norm_``: the two halves of ``clip_grad_norm_``,
  as in torch 2.6+.

``foreach`` is accepted for torch compatibility and ignored (NumPy has one implementation).
Gradients must be writeable NumPy arrays of a floating dtype: clipping a silent copy would
change nothing, so anything else raises TypeError. :func:`pygdx.minimize` takes
``clip_grad_norm=`` and ``clip_grad_value=`` and clips a copy of each gradient it steps with.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Union

import numpy as np

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_", "gradient_clipper"]

Grads = Union[np.ndarray, Iterable[np.ndarray]]


def _as_grad_list(grads: Grads, what: str = "gradient") -> list[np.ndarray]:
    items = [grads] if isinstance(grads, np.ndarray) else list(grads)
    for i, g in enumerate(items):
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{what} {i} is a {type(g).__name__}; pass NumPy arrays (they are changed in place)")
        if not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"{what} {i} has dtype {g.dtype}; gradients must be float16, float32 or float64 arrays")
    return items


def _check_writeable(grads: list[np.ndarray]) -> None:
    for i, g in enumerate(grads):
        if not g.flags.writeable:
            raise ValueError(f"gradient {i} is read-only; clipping changes gradients in place (pass g.copy())")


def _norm_order(norm_type: Any) -> float:
    if isinstance(norm_type, str):
        if norm_type != "inf":
            raise ValueError(f"Invalid norm_type: {norm_type!r} (a number > 0, or 'inf')")
        return math.inf
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"norm_type must be a number or 'inf', not {type(norm_type).__name__}")
    order = float(norm_type)
    if not order > 0.0:
        raise ValueError(f"Invalid norm_type: {norm_type} (a number > 0, or 'inf')")
    return order


def _positive_limit(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    limit = float(value)
    if not limit >= 0.0:
        raise ValueError(f"Invalid {name}: {value} (must be >= 0)")
    return limit


def _vector_norm(x: np.ndarray, order: float) -> np.floating:
    flat = x.ravel()
    if flat.size == 0:
        return x.dtype.type(0)
    if order == math.inf:
        return np.max(np.abs(flat))
    # float16 sums in float32, as torch accumulates it
    wide = flat.astype(np.float32) if flat.dtype == np.float16 else flat
    if order == 2.0:
        return x.dtype.type(np.sqrt(np.dot(wide, wide)))
    return x.dtype.type(np.linalg.norm(wide, ord=order))


def get_total_norm(tensors: Grads, norm_type: float | str = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> np.floating:
    """The ``norm_type``-norm of all arrays seen as one vector (the norm of their norms)."""
    arrays = _as_grad_list(tensors, "array")
    order = _norm_order(norm_type)
    if not arrays:
        return np.float32(0.0)  # torch.tensor(0.0)
    dtype = np.result_type(*arrays)
    with np.errstate(invalid="ignore", over="ignore"):  # an inf or NaN norm is the answer, not a warning
        norms = np.array([_vector_norm(a, order) for a in arrays], dtype=dtype)
        total = _vector_norm(norms, order)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {order} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return dtype.type(total)


def clip_grads_with_norm_(parameters: Grads, max_norm: float, total_norm: Any, foreach: bool | None = None) -> None:
    """Scale the arrays in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = _as_grad_list(parameters)
    limit = _positive_limit("max_norm", max_norm)
    if not grads:
        return
    _check_writeable(grads)
    norm = np.asarray(total_norm)
    # A non-finite norm scales by 0 or NaN, as torch does (error_if_nonfinite is the guard).
    with np.errstate(invalid="ignore", over="ignore"):
        coefficient = np.minimum(norm.dtype.type(limit) / (norm + norm.dtype.type(1e-6)), norm.dtype.type(1.0))
        for g in grads:
            np.multiply(g, coefficient.astype(g.dtype), out=g)


def clip_grad_norm_(parameters: Grads, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> np.floating:
    """Clip the gradients' total norm to ``max_norm`` in place; returns the norm before clipping."""
    grads = _as_grad_list(parameters)
    _positive_limit("max_norm", max_norm)
    _check_writeable(grads)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(grads, max_norm, total)
    return total


def clip_grad_value_(parameters: Grads, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place (NaN stays NaN)."""
    grads = _as_grad_list(parameters)
    limit = _positive_limit("clip_value", clip_value)
    _check_writeable(grads)
    for g in grads:
        np.clip(g, -limit, limit, out=g)


def gradient_clipper(clip_grad_norm: float | None = None, clip_grad_value: float | None = None,
                     norm_type: float | str = 2.0) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function returning a clipped copy of one gradient (value first, then norm, as a loop
    calling both would), or None when neither limit is given. The limits are checked here."""
    if clip_grad_norm is None and clip_grad_value is None:
        return None
    if clip_grad_norm is not None:
        _positive_limit("clip_grad_norm", clip_grad_norm)
        _norm_order(norm_type)
    if clip_grad_value is not None:
        _positive_limit("clip_grad_value", clip_grad_value)

    def clip(g: np.ndarray) -> np.ndarray:
        g = np.array(g, dtype=g.dtype, copy=True)
        if clip_grad_value is not None:
            clip_grad_value_(g, clip_grad_value)
        if clip_grad_norm is not None:
            clip_grad_norm_(g, clip_grad_norm, norm_type)
        return g

    return clip
