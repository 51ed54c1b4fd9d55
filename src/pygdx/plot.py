"""Pictures of gradient descent: loss curves, paths over contour plots, comparisons.

matplotlib is an optional extra (``pip install "pygdx[plot]"``), imported when a function
here is first called, never by ``import pygdx``. Every function draws on ``ax`` (the
current axes of pyplot when None) and returns it, so figures compose::

    fig, (left, right) = plt.subplots(1, 2)
    pygdx.plot.trajectory(functions.rosenbrock, {"adam": res_adam, "gd": res_gd}, ax=left)
    pygdx.plot.compare({"adam": res_adam, "gd": res_gd}, ax=right)

What can be plotted (a *source*): an estimator (anything with a ``loss_curve_``), an
:class:`~pygdx.OptimizeResult`, its ``history``, or a plain sequence of numbers. Several
sources are given as a dict ``{label: source}`` or a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ._optional import require
from .minimize import OptimizeResult, minimize
from .numdiff import objective_value

__all__ = ["loss_curve", "trajectory", "compare", "lr_sweep"]


def _matplotlib() -> Any:
    return require("matplotlib.pyplot", "plot", "pygdx.plot")


def _axes(ax: Any) -> Any:
    plt = _matplotlib()
    return plt.gca() if ax is None else ax


# --- reading sources ----------------------------------------------------------------


def _is_single_source(obj: Any) -> bool:
    """One thing to plot, as opposed to a dict or list of several."""
    if hasattr(obj, "loss_curve_") or isinstance(obj, (OptimizeResult, np.ndarray)):
        return True
    if isinstance(obj, Mapping):
        # A plain dict is a result if it has one's keys, a history if "fun" holds a
        # series; any other dict maps labels to sources.
        return ("history" in obj and "x" in obj) or ("fun" in obj and np.ndim(obj["fun"]) == 1)
    if isinstance(obj, (list, tuple)):
        return all(isinstance(v, (int, float, np.number)) for v in obj)
    return False


def _default_label(obj: Any) -> str | None:
    if hasattr(obj, "loss_curve_"):
        return type(obj).__name__
    if isinstance(obj, Mapping) and "method" in obj:
        return str(obj["method"])
    return None


def _labelled(sources: Any, label: str | None = None) -> list[tuple[str | None, Any]]:
    """[(label, source), ...] from one source, a dict {label: source} or a list of sources."""
    if _is_single_source(sources):
        return [(label if label is not None else _default_label(sources), sources)]
    if isinstance(sources, Mapping):
        return [(str(name), src) for name, src in sources.items()]
    if isinstance(sources, Iterable) and not isinstance(sources, (str, bytes)):
        return [(_default_label(src), src) for src in sources]
    if hasattr(type(sources), "loss_curve_") or hasattr(sources, "get_params"):
        raise ValueError(f"this {type(sources).__name__} has no loss curve yet: call fit first")
    raise TypeError(
        f"cannot plot a {type(sources).__name__}: pass an estimator, an OptimizeResult, a history, "
        "a sequence of numbers, or a dict/list of those"
    )


def _history(source: Any) -> Mapping:
    if isinstance(source, Mapping):
        history = source.get("history", source)
        if isinstance(history, Mapping) and "fun" in history:
            return history
    raise TypeError(f"expected an OptimizeResult or its history, not a {type(source).__name__}")


def _series(source: Any, metric: str = "fun") -> tuple[np.ndarray, np.ndarray]:
    """(x axis, values): epochs 1..n for an estimator's loss curve, iterations 0..n else."""
    if hasattr(source, "loss_curve_"):
        if metric != "fun":
            raise ValueError(f"an estimator records only its loss, not {metric!r}")
        if source.loss_curve_ is None or len(source.loss_curve_) == 0:
            raise ValueError(f"this {type(source).__name__} has no loss curve yet: fit it first")
        values = np.asarray(source.loss_curve_, dtype=np.float64)
        return np.arange(1, values.size + 1), values
    if isinstance(source, Mapping):
        history = _history(source)
        if metric not in history:
            raise ValueError(f"the history has no {metric!r}; it has {', '.join(history)}")
        values = np.asarray(history[metric], dtype=np.float64)
    else:
        if metric != "fun":
            raise ValueError(f"a plain sequence of numbers is a loss curve, it has no {metric!r}")
        values = np.asarray(source, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"a loss curve must be one-dimensional, got shape {values.shape}")
    return np.arange(values.size), values


def _choose_log(log: bool | None, all_values: Sequence[np.ndarray]) -> bool:
    if log is not None:
        return bool(log)
    finite = np.concatenate([v[np.isfinite(v)] for v in all_values]) if all_values else np.empty(0)
    return finite.size > 0 and finite.min() > 0 and finite.max() / finite.min() > 100


def _draw_series(
    sources: Any, metric: str, ax: Any, label: str | None, log: bool | None, offset: float | None, kwargs: dict
) -> Any:
    ax = _axes(ax)
    labelled = _labelled(sources, label)
    drawn = []
    estimators_only = True
    for name, src in labelled:
        xs, values = _series(src, metric)
        if offset is not None:
            # Gaps below rounding (f at the minimum, or a hair under the quoted value) sit
            # at the rounding level instead of vanishing from a log axis.
            values = np.maximum(values - offset, np.finfo(np.float64).eps * max(1.0, abs(offset)))
        estimators_only &= hasattr(src, "loss_curve_")
        drawn.append(values)
        mask = np.isfinite(values)
        ax.plot(xs[mask], values[mask], label=name, **kwargs)
    # Epochs and iterations are whole numbers: no ticks at 2.5.
    ax.xaxis.set_major_locator(require("matplotlib.ticker", "plot", "pygdx.plot").MaxNLocator(integer=True))
    if _choose_log(log, drawn):
        ax.set_yscale("log")
    ax.set_xlabel("epoch" if estimators_only else "iteration")
    if any(name is not None for name, _ in labelled):
        ax.legend()
    return ax


# --- public API ---------------------------------------------------------------------


def loss_curve(
    source: Any, *, ax: Any = None, label: str | None = None, log: bool | None = None, **plot_kwargs: Any
) -> Any:
    """The loss against epoch (estimators) or iteration (results, histories, sequences).

    ``source``: one source or several (dict ``{label: source}`` or list); see the module
    docstring. ``log``: a log y axis; None chooses it when every value is positive and
    they span more than two decades. Extra keywords go to ``ax.plot``.
    """
    ax = _draw_series(source, "fun", ax, label, log, None, plot_kwargs)
    ax.set_ylabel("loss")
    return ax


_METRIC_LABELS = {"fun": "f(x)", "grad_norm": "‖∇f(x)‖", "lr": "learning rate"}


def compare(
    results: Any,
    *,
    metric: str = "fun",
    f_min: float | None = None,
    ax: Any = None,
    log: bool | None = None,
    **plot_kwargs: Any,
) -> Any:
    """Several minimisation results against iteration, one line each.

    ``results``: a dict ``{label: OptimizeResult}`` (or a list; results are labelled by
    their method). ``metric``: "fun", "grad_norm" or "lr", from each result's history.
    ``f_min``: the known minimum, subtracted from f so that the y axis shows the gap
    (log-scaled, the usual way to compare convergence rates); a gap below rounding
    error is drawn at the rounding level, eps·max(1, |f_min|).
    """
    if metric not in _METRIC_LABELS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of: {', '.join(_METRIC_LABELS)}")
    if f_min is not None and metric != "fun":
        raise ValueError("f_min is subtracted from f; it applies only to metric='fun'")
    ax = _draw_series(results, metric, ax, None, log, None if f_min is None else float(f_min), plot_kwargs)
    ylabel = _METRIC_LABELS[metric]
    ax.set_ylabel(f"{ylabel} − f_min" if f_min is not None else ylabel)
    return ax


def _path(source: Any) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """(points visited, f at them when recorded, whether x was a (1,)-array: a function of
    one variable that minimize called with arrays of shape (1,), from an x0 of that shape)."""
    if isinstance(source, Mapping):
        history = _history(source)
        points = np.asarray(history.get("x", ()), dtype=np.float64)
        if points.shape[0] == 0:
            raise ValueError("this result has no recorded path: run minimize with keep_path=True")
        values = np.asarray(history["fun"], dtype=np.float64)
    else:
        points, values = np.asarray(source, dtype=np.float64), None
    if points.ndim == 2 and points.shape[1] == 1:  # a function of one variable, x0 of shape (1,)
        return points[:, 0], values, True
    return points, values, False


def _evaluate(fun: Callable, points: np.ndarray, vectorized: Any, dim: int, one_as_array: bool = False) -> np.ndarray:
    """f at many points: points of shape (..., ) for one variable, (..., 2) for two. One point
    at a time, ``fun`` gets what minimize gave it: a float for one variable, or a (1,)-array
    when the path came from an x0 of shape (1,) (``one_as_array``); a (2,)-array for two."""
    if vectorized:
        return np.asarray(fun(points), dtype=np.float64).reshape(points.shape[: points.ndim - (dim - 1)])
    if dim == 1:
        flat = points.reshape(-1, 1) if one_as_array else points.reshape(-1)
    else:
        flat = points.reshape(-1, dim)
    values = np.array([objective_value(fun(p)) for p in flat])
    return values.reshape(points.shape[: points.ndim - (dim - 1)])


def _window(default: Any, paths: list[np.ndarray], dim: int) -> list[tuple[float, float]]:
    """The plotting window: the function's default, widened (with a margin) to hold every path."""
    out = []
    for axis in range(dim):
        coords = np.concatenate([p if dim == 1 else p[:, axis] for p in paths]) if paths else np.empty(0)
        coords = coords[np.isfinite(coords)]
        if default is not None:
            lo, hi = map(float, default[axis])
            if coords.size == 0 or (coords.min() >= lo and coords.max() <= hi):
                out.append((lo, hi))
                continue
            lo, hi = min(lo, coords.min()), max(hi, coords.max())
        elif coords.size:
            lo, hi = float(coords.min()), float(coords.max())
        else:
            raise ValueError("give window=((xmin, xmax), ...) or at least one path to plot")
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        out.append((lo - pad, hi + pad))
    return out


def _mark_path(ax: Any, xs: np.ndarray, ys: np.ndarray, label: str | None) -> None:
    markers = "o" if xs.size <= 100 else None
    (line,) = ax.plot(xs, ys, "-", marker=markers, markersize=3, linewidth=1.2, label=label)
    color = line.get_color()
    ax.plot(xs[0], ys[0], "o", color=color, markersize=8, markeredgecolor="black")
    ax.plot(xs[-1], ys[-1], "*", color=color, markersize=14, markeredgecolor="black")


def trajectory(
    fun: Callable,
    results: Any = None,
    *,
    ax: Any = None,
    window: Any = None,
    levels: int = 25,
    resolution: int = 200,
    vectorized: bool | str | None = None,
    show_minima: bool = True,
) -> Any:
    """The path(s) of gradient descent over the function.

    One variable: the curve of ``fun`` with the points visited on it. Two variables:
    log-spaced contours of ``fun`` with each path drawn over them. Starts are marked
    with a circle, ends with a star, known minima of a :mod:`pygdx.functions` function
    with a cross; each path is labelled in the legend.

    ``results``: one path or several (dict ``{label: ...}`` or list); a path is an
    OptimizeResult (or its history) or an array of points, shape ``(k,)`` or ``(k, 2)``.
    A function of one variable is called as :func:`pygdx.minimize` called it for the paths
    drawn: with a float, or with an array of shape (1,) when the paths came from an ``x0``
    of shape (1,) (scipy's convention), so ``lambda v: v[0] ** 2`` works with such paths.
    ``window``: ``((xmin, xmax),)`` or ``((xmin, xmax), (ymin, ymax))``; by default the
    function's own window, widened to contain every path. ``vectorized``: whether
    ``fun`` takes a whole grid at once (see :func:`pygdx.numerical_gradient`); by default
    True for :mod:`pygdx.functions` objectives and False otherwise.
    """
    _matplotlib()
    ax = _axes(ax)
    labelled = [] if results is None else _labelled(results)
    traced = [(name, *_path(src)) for name, src in labelled]
    paths = [(name, points, values) for name, points, values, _ in traced]
    one_as_array = any(as_array for *_, as_array in traced)
    dim = getattr(fun, "dim", None)
    if dim is None:
        if paths:
            dim = 1 if paths[0][1].ndim == 1 else paths[0][1].shape[1]
        elif window is not None:
            dim = len(window)
        else:
            dim = 2
    if dim not in (1, 2):
        raise ValueError(f"trajectory draws functions of one or two variables, not {dim}")
    for name, points, _ in paths:
        if (points.ndim == 1) != (dim == 1) or (dim == 2 and points.shape[1:] != (2,)):
            raise ValueError(
                f"path {name!r} has shape {points.shape}, which does not fit a function of {dim} variable(s)"
            )
    if vectorized is None:
        vectorized = bool(getattr(fun, "vectorized", False))
    bounds = _window(window if window is not None else getattr(fun, "window", None), [p for _, p, _ in paths], dim)
    minima = np.asarray(fun.minimizers()) if show_minima and hasattr(fun, "minimizers") else np.empty(0)

    if dim == 1:
        xs = np.linspace(*bounds[0], resolution)
        ax.plot(xs, _evaluate(fun, xs, vectorized, 1, one_as_array), color="0.5", linewidth=1.5, zorder=0)
        for name, points, values in paths:
            f_path = values if values is not None else _evaluate(fun, points, vectorized, 1, one_as_array)
            _mark_path(ax, points, f_path, name)
        if minima.size:
            ax.plot(minima, _evaluate(fun, minima, vectorized, 1, one_as_array), "kx", markersize=10,
                    label="minimum")
        ax.set_xlim(*bounds[0])
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
    else:
        colormaps = require("matplotlib", "plot", "pygdx.plot").colormaps
        gx, gy = np.meshgrid(np.linspace(*bounds[0], resolution), np.linspace(*bounds[1], resolution))
        z = _evaluate(fun, np.stack([gx, gy], axis=-1), vectorized, 2)
        finite = z[np.isfinite(z)]
        if finite.size == 0:
            raise ValueError("fun is not finite anywhere in the window")
        height = z - finite.min()
        span = float(finite.max() - finite.min())
        if span > 0:
            # Log-spaced heights above the lowest grid value: valleys get as many lines as
            # walls. Colours go by level index, which keeps a log scale without a LogNorm
            # (that would warn about the zero at the minimum).
            contour_levels = np.geomspace(span * 1e-4, span, levels)
            shades = colormaps["viridis"](np.linspace(0.0, 1.0, levels))
            ax.contour(gx, gy, height, levels=contour_levels, colors=shades, linewidths=0.8)
        for name, points, _ in paths:
            _mark_path(ax, points[:, 0], points[:, 1], name)
        if minima.size:
            ax.plot(minima[:, 0], minima[:, 1], "kx", markersize=10, markeredgewidth=2, label="minimum")
        ax.set_xlim(*bounds[0])
        ax.set_ylim(*bounds[1])
        ax.set_xlabel("x[0]")
        ax.set_ylabel("x[1]")
    if any(name is not None for name, _, _ in paths) or minima.size:
        ax.legend()
    return ax


def lr_sweep(
    fun: Callable,
    x0: Any,
    lrs: Sequence[float],
    *,
    jac: Any = None,
    method: str = "gd",
    max_iter: int = 20,
    kind: str = "path",
    ax: Any = None,
    **minimize_kwargs: Any,
) -> Any:
    """One function, one start, several learning rates: the classic "effect of the
    learning rate" figure.

    Runs :func:`pygdx.minimize` once per rate (``jac``, ``method``, ``max_iter`` and any
    other keyword go to it) and draws the runs with :func:`trajectory` (``kind="path"``:
    the points visited, over the function) or :func:`compare` (``kind="loss"``: f against
    iteration).
    """
    if kind not in ("path", "loss"):
        raise ValueError(f"kind must be 'path' or 'loss', not {kind!r}")
    _matplotlib()
    runs = {
        f"lr = {lr:g}": minimize(fun, x0, jac=jac, method=method, lr=lr, max_iter=max_iter, **minimize_kwargs)
        for lr in lrs
    }
    ax = trajectory(fun, runs, ax=ax) if kind == "path" else compare(runs, ax=ax)
    ax.set_title(f"{method}: effect of the learning rate")
    return ax
