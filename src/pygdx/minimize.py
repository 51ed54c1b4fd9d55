"""minimize(): any pygdx optimizer on any differentiable function, with scipy's conventions.

One iteration evaluates f and its gradient at the current point, records them, checks
the stopping rules, and then lets the optimizer take one step in place. The point x0 is
iteration 0, so ``history`` holds ``nit + 1`` entries: the start and every point reached.

Stopping rules, checked in this order at every point x_k:

- f or the gradient is not finite, or f has grown far beyond its starting value
  (divergence: status 4, ``success`` False);
- ``callback`` (called once per step) raised StopIteration (status 99, ``success``
  False, as in scipy);
- ``‖g_k‖ <= gtol`` (status 0);
- ``|f_k − f_(k−1)| < tol`` (status 2), then ``max|x_k − x_(k−1)| < xtol`` (status 3);
- ``k == max_iter`` (status 1, ``success`` False: no tolerance was met).

Pass None for tol, xtol or gtol to switch that rule off.
"""

from __future__ import annotations

import inspect
import math
import sys
from typing import Any, Callable

import numpy as np

from . import optim
from ._numbers import as_real_array, real_number
from .numdiff import _loop_gradient, objective_value
from .clip import gradient_clipper
from .schedules import Schedule

__all__ = ["minimize", "OptimizeResult"]

# f is called divergent once it exceeds its starting value by this factor times (1 + |f0|):
# far beyond anything a descent method reaches from a reasonable start, yet reached within
# a few dozen steps by a geometric blow-up (a learning rate too large for the curvature).
DIVERGENCE_GROWTH = 1e12

STATUS_MESSAGES = {
    0: "Optimization terminated successfully: the gradient norm fell below gtol.",
    1: "Maximum number of iterations reached before any tolerance was met.",
    2: "Optimization terminated successfully: the change in f fell below tol.",
    3: "Optimization terminated successfully: the step in x fell below xtol.",
    4: "Diverged.",
    99: "`callback` raised `StopIteration`.",
}

_FLOAT64 = np.dtype(np.float64)
_VIEW_ABOVE_SIZE = 4096
_FINITE_DIFFERENCES = {None: "forward", False: "forward", "2-point": "forward", "3-point": "central"}


class OptimizeResult(dict):
    """The result of :func:`minimize`: a dict whose keys are also attributes (like scipy's).

    Keys: ``x``, ``fun``, ``jac`` (the gradient at x), ``nit``, ``nfev``, ``njev``,
    ``success``, ``status``, ``message``, ``method``, and ``history``, itself an
    OptimizeResult of arrays with one entry per point visited, start included:
    ``x`` (shape ``(nit + 1, *x0.shape)``), ``fun``, ``grad_norm``, and ``lr`` (the rate of
    the step that led to each point; NaN at the start).
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    __setattr__ = dict.__setitem__  # type: ignore[assignment]
    __delattr__ = dict.__delitem__  # type: ignore[assignment]

    def __dir__(self) -> list[str]:
        return list(self.keys())

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, self.keys())) + 1
        lines = []
        # Histories run to thousands of entries: show their ends, as NumPy does for big arrays.
        with np.printoptions(threshold=12, edgeitems=3):
            for key, value in self.items():
                text = repr(value).replace("\n", "\n" + " " * (width + 2))
                lines.append(f"{key.rjust(width)}: {text}")
        return "\n".join(lines)


def _callback_wants_result(callback: Callable) -> bool:
    """scipy's rule: a callback whose only parameter is named intermediate_result gets an
    OptimizeResult; any other callback gets a copy of x."""
    try:
        params = list(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        return False
    return params == ["intermediate_result"]


def _check_tolerance(name: str, value: Any) -> float:
    if value is None:
        return -math.inf
    value = real_number(name, value)
    if not value >= 0.0:
        raise ValueError(f"{name} must be a number >= 0 or None (off), not {value!r}")
    return value


def _gradient_function(fun: Callable, jac: Any, args: tuple, shape: tuple, extra_calls: list) -> Callable:
    """A function x -> (f, g). Finite differences add their calls of fun to extra_calls[0]."""
    if callable(jac):
        if not args:
            return lambda point: (fun(point), jac(point))
        return lambda point: (fun(point, *args), jac(point, *args))
    if jac is True:

        def evaluate(point: Any) -> tuple[Any, Any]:
            pair = fun(point, *args)
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(f"with jac=True, fun must return a pair (value, gradient), not a {type(pair).__name__}")
            return pair

        return evaluate
    if jac is None or jac is False or (isinstance(jac, str) and jac in _FINITE_DIFFERENCES):
        method = _FINITE_DIFFERENCES[jac]
        scalar = shape == ()

        def evaluate(point: Any) -> tuple[Any, Any]:
            value = objective_value(fun(point, *args))
            base = np.array(point, dtype=np.float64).reshape(shape)
            grad, calls = _loop_gradient(fun, base, method, None, args, value)
            extra_calls[0] += calls
            return value, grad[()] if scalar else grad

        return evaluate
    raise ValueError(
        f"jac must be a callable, True (fun returns value and gradient), None, '2-point' or '3-point', not {jac!r}"
    )


def _as_gradient(grad: Any, shape: tuple, size: int) -> np.ndarray:
    arr = as_real_array(grad, "the gradient")
    if arr.shape != shape:
        if arr.size != size:
            raise ValueError(
                f"the gradient has shape {arr.shape}, but x0 has shape {shape}; return one entry per variable"
            )
        arr = arr.reshape(shape)
    return arr


def _norm_function(shape: tuple, size: int) -> Callable[[np.ndarray], float]:
    """The Euclidean norm, by the cheapest route for the size (it runs at every iteration)."""
    if shape == ():
        return lambda g: abs(float(g))
    if size <= 32:
        if len(shape) == 1:
            return lambda g: math.hypot(*g.tolist())
        return lambda g: math.hypot(*g.ravel().tolist())
    return lambda g: math.sqrt(np.vdot(g, g))


def _divergence_message(k: int, what: str, where: str, lr_now: float, opt: optim.Optimizer) -> str:
    advice = f"try a smaller learning rate (lr={lr_now:g} now; e.g. lr={lr_now / 10:g})"
    if isinstance(opt, optim.SGD):
        advice += ", or an adaptive method such as method='adam'"
    return f"Diverged at iteration {k}: {what}; {where}. To fix it, {advice}."


def minimize(
    fun: Callable,
    x0: Any,
    args: tuple = (),
    jac: Any = None,
    method: str = "gd",
    lr: float | Schedule | None = None,
    max_iter: int = 1000,
    tol: float | None = None,
    xtol: float | None = None,
    gtol: float | None = 1e-5,
    callback: Callable | None = None,
    *,
    keep_path: bool = True,
    clip_grad_norm: float | None = None,
    clip_grad_value: float | None = None,
    **options: Any,
) -> OptimizeResult:
    """Minimise ``fun(x, *args)`` from ``x0`` with a pygdx optimizer.

    Parameters
    ----------
    fun : the objective, ``fun(x, *args) -> float``. ``x`` has the shape of ``x0``; for a
        scalar ``x0`` it is a float (NumPy float64), so functions of one variable work as
        written.
    x0 : the start: a number or an array of any shape (float64 is used throughout); never
        modified. Complex, datetime, text and object values are refused (TypeError), for
        x0 as for the gradients ``jac`` returns and the values ``fun`` returns.
    jac : a callable ``jac(x, *args)`` returning the gradient; True if ``fun`` returns
        ``(value, gradient)``; None or "2-point" for forward differences, "3-point" for
        central differences (scipy's conventions).
    method : any name of :func:`pygdx.optim.available` ("gd", "momentum", "adam", ...),
        or an optimizer class of :mod:`pygdx.optim`; ``options`` are passed to it
        (``momentum=0.5``, ``betas=(0.9, 0.99)``, ...).
    lr : a float or a :mod:`pygdx.schedules` Schedule; None uses the optimizer's own
        default (torch's, 1e-3 for "gd"). A schedule with ``observe`` (ReduceLROnPlateau)
        is fed f at every iteration.
    max_iter : the largest number of steps.
    tol, xtol, gtol : stop when |Δf| < tol, max|Δx| < xtol, ‖g‖ <= gtol (None: off).
    callback : called after every step. ``callback(intermediate_result)`` (that exact
        parameter name) receives an OptimizeResult with x, fun, jac and nit; any other
        callback receives a copy of x. Raising StopIteration ends the run (status 99).
    keep_path : record x at every iteration in ``history.x``. Turn it off for a large x:
        nothing is copied then, and ``fun`` and ``jac`` may receive a read-only view of
        the parameters being optimized (valid during the call; it changes with every step).
    clip_grad_norm, clip_grad_value : clip the gradient of every step, as
        :func:`pygdx.clip_grad_norm_` (2-norm) and :func:`pygdx.clip_grad_value_` do (value
        first when both are given); a copy is clipped, and the history and gtol see the
        gradient before clipping.

    Returns an :class:`OptimizeResult`. Divergence (NaN or infinite f or gradient, or f
    growing without bound) does not raise: it ends with ``success`` False, a message saying
    what happened and what to try, and ``x`` the last point where f was finite (after a
    runaway growth, the point where it was caught). f and the gradient at ``x0`` must be
    finite.

    >>> import pygdx
    >>> res = pygdx.minimize(lambda x: (x - 3.0) ** 2, 0.0, jac=lambda x: 2 * (x - 3.0), lr=0.1)
    >>> print(f"{res.x:.4f}", res.success, res.nit, res.message)
    3.0000 True 60 Optimization terminated successfully: the gradient norm fell below gtol.
    """
    if not isinstance(max_iter, (int, np.integer)) or isinstance(max_iter, bool) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, not {max_iter!r}")
    tol_f, tol_x, tol_g = _check_tolerance("tol", tol), _check_tolerance("xtol", xtol), _check_tolerance("gtol", gtol)
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    x = as_real_array(x0, "x0", copy=True)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 must be finite")
    shape, size, scalar = x.shape, x.size, x.ndim == 0
    fd_calls = [0]
    evaluate = _gradient_function(fun, jac, args, shape, fd_calls)
    clip = gradient_clipper(clip_grad_norm, clip_grad_value)
    norm = _norm_function(shape, size)
    opt_kwargs = dict(options) if lr is None else {**options, "lr": lr}
    opt = optim.get(method, [x], **opt_kwargs)
    rate = opt.lr
    scheduled = isinstance(rate, Schedule)
    observe = getattr(rate, "observe", None)
    wants_result = callback is not None and _callback_wants_result(callback)
    check_x = tol_x >= 0.0

    path: list[Any] = []
    f_hist: list[float] = []
    g_hist: list[float] = []
    lr_hist: list[float] = [math.nan]  # lr_hist[k]: the rate of the step that led to x_k
    status, detail = 1, ""
    f_prev, g_prev = math.nan, None
    # Without a path to record, a large x is not copied: fun gets a read-only view of it (a
    # copy would be a fresh allocation at every iteration), and the previous point, needed
    # to step back from a divergence and for xtol, is kept in one reused buffer. A small x
    # is cheaper to copy than to guard.
    copy_points = keep_path or size <= _VIEW_ABOVE_SIZE
    point = point_prev = None
    if not copy_points:
        point = x.view()
        point.flags.writeable = False
        point_prev = np.empty_like(x)
    # f above f_limit is divergence; at x0 only inf and NaN are (the test below fails for NaN).
    f_limit = sys.float_info.max
    evaluations = k = 0
    # Overflow on the way to a divergence is reported in the result, not as a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            if copy_points:
                # A fresh copy for fun (it may keep it) that doubles as the record of the path.
                point = x[()] if scalar else x.copy()
            value, grad = evaluate(point)
            evaluations += 1
            f = value if type(value) is float else objective_value(value)
            # The common case in one cheap test; anything else is converted (or refused).
            g = grad if type(grad) is np.ndarray and grad.dtype is _FLOAT64 and grad.shape == shape else (
                _as_gradient(grad, shape, size))
            if not copy_points and np.may_share_memory(g, x):
                g = g.copy()  # jac returned (a view of) its argument: x is about to change
            g_norm = norm(g)
            if not (f <= f_limit and g_norm < math.inf):
                if k == 0:
                    raise ValueError(
                        f"fun or its gradient is not finite at x0 (f = {f}, |g| = {g_norm}); start elsewhere"
                    )
                status = 4
                step_rate = lr_hist[-1] if scheduled else rate
                if math.isfinite(f) and math.isfinite(g_norm):
                    what = f"f grew from {f_hist[0]:g} at x0 to {f:g}"
                    detail = _divergence_message(k, what, "x is where it stopped", step_rate, opt)
                    if keep_path:
                        path.append(point)
                    f_hist.append(f)
                    g_hist.append(g_norm)
                else:
                    what = f"f became {f}" if not math.isfinite(f) else "the gradient became infinite or NaN"
                    detail = _divergence_message(k, what, "x is the last point where f was finite", step_rate, opt)
                    if scheduled:
                        lr_hist.pop()
                    k, g = k - 1, g_prev
                    x[...] = point_prev
                break
            if keep_path:
                path.append(point)
            f_hist.append(f)
            g_hist.append(g_norm)
            if k == 0:
                f_limit = min(f + DIVERGENCE_GROWTH * (1.0 + abs(f)), sys.float_info.max)
            elif callback is not None:
                try:
                    if wants_result:
                        callback(OptimizeResult(x=x[()] if scalar else x.copy(), fun=f,
                                                jac=g[()] if scalar else g.copy(), nit=k))
                    else:
                        callback(x[()] if scalar else x.copy())
                except StopIteration:
                    status = 99
                    break
            if g_norm <= tol_g:
                status = 0
                break
            if k:
                if abs(f - f_prev) < tol_f:
                    status = 2
                    break
                if check_x and float(np.max(np.abs(x - point_prev))) < tol_x:
                    status = 3
                    break
                if k == max_iter:
                    break
            elif max_iter == 0:
                break
            if scheduled:
                if observe is not None:
                    observe(f)
                lr_hist.append(opt.current_lr)
            if copy_points:
                point_prev = point
            else:
                np.copyto(point_prev, x)
            f_prev, g_prev = f, g
            opt.step(g if clip is None else clip(g))
            k += 1

    if not scheduled:
        lr_hist.extend([rate] * k)
    history = OptimizeResult(
        x=np.array(path) if keep_path else np.empty((0, *shape)),
        fun=np.array(f_hist),
        grad_norm=np.array(g_hist),
        lr=np.array(lr_hist, dtype=np.float64),
    )
    return OptimizeResult(
        x=x[()] if scalar else x,
        fun=f_hist[-1],
        jac=g[()] if scalar else g,
        nit=k,
        nfev=evaluations + fd_calls[0],
        njev=evaluations,
        success=status in (0, 2, 3),
        status=status,
        message=detail or STATUS_MESSAGES[status],
        method=method if isinstance(method, str) else method.__name__,
        history=history,
    )
