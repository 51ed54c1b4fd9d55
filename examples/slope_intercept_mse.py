"""Fit a slope and an intercept to y = 2x by gradient descent on the mean squared error.

The tutorial's loop: predictions m*x + b, MSE = mean((m*x + b - y)^2), gradients
(2/n) * x.error and (2/n) * sum(error), and m, b -= lr * gradient, 1000 times from
m = b = 0 with lr = 0.01. Here the two parameters are one array [m, b] and
pygdx.minimize takes the steps; history.fun is the MSE before every update, exactly the
cost the tutorial computes at the top of each iteration.

    python examples/slope_intercept_mse.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx

X = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
Y = np.array([2.0, 4.0, 6.0, 8.0, 10.0])


def mse(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    slope, intercept = params
    error = slope * x + intercept - y
    return float(np.mean(error**2))


def mse_gradient(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    slope, intercept = params
    error = slope * x + intercept - y
    n = len(y)
    return np.array([2 / n * (x @ error), 2 / n * np.sum(error)])


def fit(lr: float = 0.01, iterations: int = 1000, x: np.ndarray = X, y: np.ndarray = Y) -> dict:
    res = pygdx.minimize(mse, [0.0, 0.0], args=(x, y), jac=mse_gradient, method="gd", lr=lr,
                         max_iter=iterations, gtol=None)
    slope, intercept = res.x
    return {"slope": slope, "intercept": intercept, "mse_history": res.history.fun, "result": res}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    out = fit(iterations=100 if args.quick else 1000)
    print(f"Slope: {out['slope']}, Intercept: {out['intercept']}  (exact: 2, 0)")
    print(f"MSE: {out['mse_history'][0]:.4g} at the start, {out['mse_history'][-1]:.4g} at the end")

    drawn = new_figure(args, ncols=2)
    if drawn is not None:
        fig, (left, right) = drawn
        right.scatter(X, Y, color="black", label="data: y = 2x")
        right.plot(X, out["slope"] * X + out["intercept"], label="fitted line")
        right.legend()
        right.set_title(f"slope {out['slope']:.4f}, intercept {out['intercept']:.4f}")
        pygdx.plot.loss_curve(out["result"], ax=left, label="MSE")
        left.set_title("mean squared error, lr = 0.01")
        save(fig, args, "slope_intercept_mse")
    return out


if __name__ == "__main__":
    main()
