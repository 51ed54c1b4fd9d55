"""Gradients by finite differences, and a check of an analytic gradient against them.

Step sizes follow the usual error balance: truncation error shrinks with the step, while
rounding error in ``f(x + h) - f(x - h)`` grows as it shrinks. With machine epsilon ε the
best relative step is about ε^(1/3) (≈ 6e-6) for central differences and √ε (≈ 1.5e-8) for
one-sided ones; the step is scaled by ``max(1, |x_i|)`` so it stays meaningful for large
coordinates, and rounded so that ``x + h`` is exactly representable (the difference
quotient then divides by the step actually taken).

Three calling conventions for ``fun`` (the ``vectorized`` argument):

- ``False`` (default): ``fun(x)`` takes one point of the shape of ``x`` and returns a
  number; the gradient costs one call per coordinate (two for central differences).
- ``True``: ``fun`` maps points stacked on the last axis, shape ``(..., n)``, to values of
  shape ``(...)``, as the functions in :mod:`pygdx.functions` do. ``x`` may then hold many
  points (a grid for a contour plot); each side of the difference is one call.
- ``"elementwise"``: ``fun`` is a function of one variable applied element by element
  (``f(np.linspace(...))``); the derivative at every element is one call per side.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._numbers import as_real_array

__all__ = ["numerical_gradient", "check_gradient"]

_METHODS = ("central", "forward", "backward")
_EPS = np.finfo(np.float64).eps
_RELATIVE_STEP = {"central": _EPS ** (1.0 / 3.0), "forward": _EPS**0.5, "backward": _EPS**0.5}


def objective_value(value: Any) -> float:
    """The number ``fun`` returned, as a float; a clear error for anything that is not one number."""
    if isinstance(value, float):  # float and NumPy float64, the common cases, cheaply
        return float(value)
    if value is None:  # np.asarray(None, float) would be NaN: a missing return, not a number
        raise TypeError("fun returned None; it must return the value of the function (a number)")
    try:
        arr = as_real_array(value, "the value fun returned")
    except TypeError:
        raise TypeError(f"fun must return a real number, but it returned a {type(value).__name__} ({value!r:.80})") from None
    if arr.size != 1:
        raise ValueError(
            f"fun must return a single number, but it returned an array of shape {arr.shape}; "
            "return the total (for example its sum or mean)"
        )
    return float(arr.reshape(()))


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"Unknown finite-difference method {method!r}; choose one of: {', '.join(_METHODS)}")
    return method


def _steps(x: np.ndarray, method: str, step: Any) -> np.ndarray:
    """Per-element steps h > 0 such that x + h is exactly representable."""
    if step is None:
        h = _RELATIVE_STEP[method] * np.maximum(1.0, np.abs(x))
    else:
        h = np.broadcast_to(as_real_array(step, "step"), x.shape)
        if not np.all(np.isfinite(h)) or np.any(h <= 0):
            raise ValueError(f"step must be positive and finite, got {step!r}")
    return (x + h) - x


def _point_for_user(x: np.ndarray, scalar: bool) -> Any:
    # A fresh object per call, so a function that keeps its argument never sees it change.
    return x[()] if scalar else x.copy()


def _loop_gradient(
    fun: Callable, x: np.ndarray, method: str, step: Any, args: tuple, f0: float | None
) -> tuple[np.ndarray, int]:
    """One point, one call per coordinate and side. Returns (gradient, number of calls)."""
    scalar = x.ndim == 0
    h = _steps(x, method, step)
    work = x.copy()
    flat, hflat = work.reshape(-1), h.reshape(-1)
    grad = np.empty(x.size)
    calls = 0
    if method != "central" and f0 is None:
        f0 = objective_value(fun(_point_for_user(x, scalar), *args))
        calls += 1
    for i in range(x.size):
        xi = flat[i]
        if method == "backward":
            f_plus = f0
        else:
            flat[i] = xi + hflat[i]
            f_plus = objective_value(fun(_point_for_user(work, scalar), *args))
            calls += 1
        if method == "forward":
            f_minus = f0
        else:
            flat[i] = xi - hflat[i]
            f_minus = objective_value(fun(_point_for_user(work, scalar), *args))
            calls += 1
        flat[i] = xi
        span = 2.0 * hflat[i] if method == "central" else hflat[i]
        grad[i] = (f_plus - f_minus) / span
    return grad.reshape(x.shape), calls


def _values(fun: Callable, points: np.ndarray, expected_shape: tuple, args: tuple) -> np.ndarray:
    values = as_real_array(fun(points, *args), "the values a vectorized fun returned")
    if values.shape != expected_shape:
        raise ValueError(
            f"a vectorized fun must return one value per point: expected shape {expected_shape}, "
            f"got {values.shape}; pass vectorized=False if fun takes a single point"
        )
    return values


def _difference_quotient(
    evaluate: Callable[[np.ndarray], np.ndarray], centre: np.ndarray, shifts: np.ndarray, h: np.ndarray, method: str
) -> np.ndarray:
    """(f(centre + shifts) - f(centre - shifts)) / 2h, or the one-sided quotient, one call per side."""
    if method == "central":
        return (evaluate(centre + shifts) - evaluate(centre - shifts)) / (2.0 * h)
    f0 = evaluate(centre)
    if method == "forward":
        return (evaluate(centre + shifts) - f0) / h
    return (f0 - evaluate(centre - shifts)) / h


def _vectorized_gradient(fun: Callable, x: np.ndarray, method: str, step: Any, args: tuple) -> np.ndarray:
    """Points on the last axis: every coordinate of every point perturbed in one call per side."""
    if x.ndim == 0:
        raise ValueError("vectorized=True stacks points on the last axis, so x needs at least one dimension")
    n = x.shape[-1]
    h = _steps(x, method, step)
    shifts = h[..., :, None] * np.eye(n)  # (..., n, n): row i moves coordinate i of its point
    centre = np.broadcast_to(x[..., None, :], shifts.shape)

    def evaluate(points: np.ndarray) -> np.ndarray:
        # The unshifted centre repeats each point n times; evaluate it once and broadcast.
        if points is centre:
            return _values(fun, x, x.shape[:-1], args)[..., None]
        return _values(fun, points, x.shape, args)

    return _difference_quotient(evaluate, centre, shifts, h, method)


def _elementwise_derivative(fun: Callable, x: np.ndarray, method: str, step: Any, args: tuple) -> np.ndarray:
    h = _steps(x, method, step)
    return _difference_quotient(lambda points: _values(fun, points, x.shape, args), x, h, h, method)


def _as_points(x: Any) -> np.ndarray:
    arr = as_real_array(x, "x", copy=True)
    if not np.all(np.isfinite(arr)):
        raise ValueError("x must be finite to differentiate there")
    return arr


def _check_vectorized(vectorized: Any) -> Any:
    if vectorized not in (False, True, "elementwise"):
        raise ValueError(f"vectorized must be False, True or 'elementwise', not {vectorized!r}")
    return vectorized


def numerical_gradient(
    fun: Callable,
    x: Any,
    method: str = "central",
    step: Any = None,
    args: tuple = (),
    vectorized: bool | str = False,
) -> Any:
    """The gradient of ``fun`` at ``x`` by finite differences.

    ``method``: "central" (error O(h²), 2 calls per coordinate), "forward" or "backward"
    (error O(h), 1 call per coordinate plus one at x). ``step``: an absolute step (a number
    or an array shaped like ``x``); by default a relative step scaled by ``max(1, |x|)``
    (see the module docstring). ``vectorized``: how ``fun`` takes its points (module
    docstring). Returns an array shaped like ``x`` (a float when ``x`` is a scalar).

    >>> import numpy as np
    >>> g = numerical_gradient(lambda v: v[0] ** 2 + 3 * v[1], np.array([1.0, 2.0]))
    >>> np.allclose(g, [2.0, 3.0])
    True
    """
    method = _check_method(method)
    vectorized = _check_vectorized(vectorized)
    args = tuple(args)
    x = _as_points(x)
    if vectorized == "elementwise":
        grad = _elementwise_derivative(fun, x, method, step, args)
    elif vectorized:
        grad = _vectorized_gradient(fun, x, method, step, args)
    else:
        grad, _ = _loop_gradient(fun, x, method, step, args, None)
    return grad[()] if grad.ndim == 0 else grad


def _relative_error(analytic: np.ndarray, numeric: np.ndarray, axis: Any) -> Any:
    diff = np.sqrt(np.sum((analytic - numeric) ** 2, axis=axis))
    scale = np.maximum(np.sqrt(np.sum(analytic**2, axis=axis)), np.sqrt(np.sum(numeric**2, axis=axis)))
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
    return err[()] if np.ndim(err) == 0 else err


def check_gradient(
    fun: Callable,
    jac: Callable,
    x: Any,
    args: tuple = (),
    method: str = "central",
    step: Any = None,
    vectorized: bool | str = False,
) -> Any:
    """Relative error between the analytic gradient ``jac(x)`` and finite differences of ``fun``.

    The error is ``‖g_analytic − g_numeric‖ / max(‖g_analytic‖, ‖g_numeric‖)`` (0 when both
    vanish). With central differences a correct gradient typically gives 1e-7 or less, a
    wrong one something of order 1. Near a stationary point both norms are tiny and the
    ratio measures only finite-difference noise: check at generic points instead.

    With ``vectorized=True`` (points on the last axis) one error is returned per point,
    shape ``x.shape[:-1]``; with ``"elementwise"`` one per element of ``x``; otherwise a float.
    """
    vectorized = _check_vectorized(vectorized)
    points = _as_points(x)
    analytic = as_real_array(jac(points.copy(), *args), "the gradient jac returned")
    if analytic.shape != points.shape:
        raise ValueError(f"jac returned shape {analytic.shape}, but x has shape {points.shape}")
    numeric = np.asarray(numerical_gradient(fun, points, method, step, args, vectorized))
    if vectorized == "elementwise":
        return _relative_error(analytic[..., None], numeric[..., None], axis=-1)
    return _relative_error(analytic, numeric, axis=-1 if vectorized else None)
