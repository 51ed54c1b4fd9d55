"""The Rosenbrock valley: contours, the paths of four optimizers, and BFGS for comparison.

f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum at (1, 1) at the end of a long,
curved, flat-bottomed valley: the tutorials' example of a landscape where plain gradient
descent is slow. The tutorial draws its log-spaced contours and then solves it with
scipy's BFGS. Here gradient descent, momentum, Adam and RMSprop start from (-1.5, 2);
their paths and BFGS's (when scipy is installed) are drawn on one contour plot, beside
their distance to the minimum value against iteration.

    python examples/rosenbrock_paths.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx

f = pygdx.functions.rosenbrock
START = (-1.5, 2.0)
# Rates near the largest each method tolerates from this start.
OPTIMIZERS = {
    "gradient descent": ("gd", 1e-3, {}),
    "momentum 0.9": ("momentum", 5e-4, {}),
    "Adam": ("adam", 0.02, {}),
    "RMSprop": ("rmsprop", 2e-3, {}),
}


def run_all(max_iter: int = 5000, start: Sequence[float] = START) -> dict:
    return {
        label: pygdx.minimize(f, start, jac=f.grad, method=method, lr=lr, max_iter=max_iter, **options)
        for label, (method, lr, options) in OPTIMIZERS.items()
    }


def bfgs_path(start: Sequence[float] = START) -> tuple[np.ndarray, object] | None:
    """The points scipy's BFGS visits, start included, or None without scipy."""
    try:
        from scipy.optimize import minimize as scipy_minimize
    except ImportError:
        print("scipy is not installed: no BFGS comparison")
        return None
    path = [np.array(start, dtype=float)]
    result = scipy_minimize(f, start, jac=f.grad, method="BFGS", callback=lambda xk: path.append(np.copy(xk)))
    return np.array(path), result


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    runs = run_all(max_iter=500 if args.quick else 5000)
    for label, res in runs.items():
        print(f"{label:>16}: x = {res.x}, f = {res.fun:.3e} after {res.nit} iterations")
    bfgs = bfgs_path()
    if bfgs is not None:
        path, result = bfgs
        print(f"{'BFGS (scipy)':>16}: x = {result.x}, f = {result.fun:.3e} after {result.nit} iterations")

    drawn = new_figure(args, ncols=2)
    if drawn is not None:
        fig, (left, right) = drawn
        paths = dict(runs)
        if bfgs is not None:
            paths["BFGS (scipy)"] = bfgs[0]
        pygdx.plot.trajectory(f, paths, ax=left)
        left.set_title("Rosenbrock: paths from (−1.5, 2)")
        pygdx.plot.compare(runs, ax=right, f_min=f.min_value, log=True)
        if bfgs is not None:
            right.plot(np.arange(len(bfgs[0])), np.maximum(f(bfgs[0]), np.finfo(float).eps), label="BFGS (scipy)")
            right.legend()
        right.set_title("f − f_min against iteration")
        save(fig, args, "rosenbrock_paths")
    return {"runs": runs, "bfgs": bfgs}


if __name__ == "__main__":
    main()
