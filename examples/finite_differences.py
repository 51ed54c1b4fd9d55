"""Gradients by finite differences, next to the analytic ones.

The pure-Python tutorials estimate a gradient by evaluating the cost at slightly
perturbed parameters: (f(x + h e_i) - f(x)) / h (forward) or
(f(x + h e_i) - f(x - h e_i)) / 2h (central). How small should h be? Truncation error
shrinks with h (like h for forward, h^2 for central) while rounding error grows like
eps / h, so the total error is V-shaped in h, smallest near sqrt(eps) ~ 1e-8 (forward)
and eps^(1/3) ~ 6e-6 (central): the steps pygdx.numerical_gradient uses. This script
draws that V on the Rosenbrock function, checks the analytic gradient with
pygdx.check_gradient, and runs gradient descent with jac="3-point" beside the exact one.

    python examples/finite_differences.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx

f = pygdx.functions.rosenbrock
POINT = np.array([-0.8, 1.3])


def error_against_step(steps: np.ndarray, n_points: int = 25, seed: int = 0) -> dict:
    """Median over random points of the window of each scheme's relative gradient error,
    for each absolute step h (one point alone gives a ragged curve: at some steps the
    rounding errors cancel by luck)."""
    (x_lo, x_hi), (y_lo, y_hi) = f.window
    rng = np.random.default_rng(seed)
    points = np.column_stack([rng.uniform(x_lo, x_hi, n_points), rng.uniform(y_lo, y_hi, n_points)])
    return {
        method: np.array([
            np.median(pygdx.check_gradient(f, f.grad, points, method=method, step=h, vectorized=True))
            for h in steps
        ])
        for method in ("forward", "central")
    }


def descend_both_ways(max_iter: int = 2000) -> dict:
    return {
        jac_name: pygdx.minimize(f, [-1.2, 1.0], jac=jac, method="adam", lr=0.02, max_iter=max_iter)
        for jac_name, jac in (("analytic", f.grad), ("3-point", "3-point"), ("2-point", "2-point"))
    }


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    print("analytic gradient at", POINT, ":", f.grad(POINT))
    for method in ("forward", "central"):
        print(f"{method:>8} differences, default step:", pygdx.numerical_gradient(f, POINT, method=method))
    print("check_gradient (relative error of the analytic gradient):", pygdx.check_gradient(f, f.grad, POINT))
    steps = np.logspace(-14, -1, 14 if args.quick else 53)
    errors = error_against_step(steps)
    for method, err in errors.items():
        print(f"{method:>8}: median relative error smallest ({err.min():.1e}) at h = {steps[np.argmin(err)]:.0e}")
    runs = descend_both_ways(max_iter=300 if args.quick else 2000)
    for name, res in runs.items():
        print(f"adam with the {name:>8} gradient: x = {res.x}, {res.nit} iterations, {res.nfev} calls of f")

    drawn = new_figure(args, ncols=2)
    if drawn is not None:
        fig, (left, right) = drawn
        for method, err in errors.items():
            left.loglog(steps, err, "o-", markersize=3, label=method)
        eps = np.finfo(float).eps
        for h, method in ((eps**0.5, "forward"), (eps ** (1 / 3), "central")):
            left.axvline(h, color="0.6", linestyle=":")
            left.annotate(f"default {method} step", (h, errors["central"].min()), rotation=90, fontsize=8)
        left.set_xlabel("step h")
        left.set_ylabel("median relative error of the gradient")
        left.legend()
        left.set_title("finite-difference error against the step")
        pygdx.plot.trajectory(f, runs, ax=right)
        right.set_title("Adam with exact and estimated gradients")
        save(fig, args, "finite_differences")
    return {"errors": errors, "steps": steps, "runs": runs}


if __name__ == "__main__":
    main()
