"""f(x) = x^2 + 5 sin(x): the function, its gradient, and the effect of the learning rate.

The tutorial plots f and f'(x) = 2x + 5 cos(x) on [-10, 10], runs 100 steps of gradient
descent from x = 5 with lr = 0.1, then draws 20 steps from x = 5 for each of the
learning rates 0.01, 0.1 and 0.5. Here f and f' come from pygdx.functions (f' is also
estimated by finite differences, to show they agree), the runs are pygdx.minimize, and
the sweep is pygdx.plot.lr_sweep.

    python examples/learning_rate_effect.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx

f = pygdx.functions.square_plus_sine
LEARNING_RATES = (0.01, 0.1, 0.5)


def gradient_descent(start: float, learn_rate: float, n_iter: int) -> pygdx.OptimizeResult:
    return pygdx.minimize(f, start, jac=f.grad, method="gd", lr=learn_rate, max_iter=n_iter, gtol=None)


def sweep(start: float = 5.0, steps: int = 20, learning_rates: Sequence[float] = LEARNING_RATES) -> dict:
    """The path of x for each learning rate: {lr: array of steps + 1 points}."""
    return {lr: gradient_descent(start, lr, steps).history.x for lr in learning_rates}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    result = gradient_descent(start=5.0, learn_rate=0.1, n_iter=20 if args.quick else 100)
    print(f"Optimized x: {result.x}")
    print(f"Optimized f(x): {result.fun}   (the minimum: f({f.minimizers()[0]:.6f}) = {f.min_value:.6f})")
    paths = sweep()
    for lr, path in paths.items():
        print(f"lr = {lr}: x after 20 steps = {path[-1]:.6f}")

    drawn = new_figure(args, ncols=3, width=5.0)
    if drawn is not None:
        fig, (curve, slope, effect) = drawn
        xs = np.linspace(-10, 10, 200)
        curve.plot(xs, f(xs))
        curve.set_title("Function to optimize: x² + 5 sin x")
        slope.plot(xs, f.grad(xs), label="2x + 5 cos x")
        slope.plot(xs[::8], pygdx.numerical_gradient(f, xs[::8], vectorized="elementwise"), "o", markersize=3,
                   label="finite differences")
        slope.axhline(0, color="r", linestyle="--")
        slope.legend()
        slope.set_title("Gradient of the function")
        pygdx.plot.lr_sweep(f, 5.0, LEARNING_RATES, jac=f.grad, max_iter=20, gtol=None, ax=effect)
        effect.set_title("Effect of the learning rate (20 steps from x = 5)")
        save(fig, args, "learning_rate_effect")
    return {"result": result, "paths": paths}


if __name__ == "__main__":
    main()
