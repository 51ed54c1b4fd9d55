"""Linear regression by batch gradient descent, with the cost after every iteration.

The classic tutorial: a design matrix X with a column of ones for the intercept, the
cost J(theta) = 1/(2m) * ||X theta - y||^2, its gradient X^T (X theta - y) / m, and
theta -= lr * gradient for a fixed number of iterations, keeping the cost history.
Here pygdx.minimize runs that loop ("gd" is exactly theta -= lr * gradient), and the
history it returns is the cost history. Two data sets from the tutorials: three points
on y = x starting from theta = (0.1, 0.2), and 100 noisy points on y = 2 + 3x.

    python examples/linear_regression_batch_gd.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx


def cost(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:  # noqa: N803
    residual = X @ theta - y
    return float(residual @ residual) / (2 * len(y))


def cost_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:  # noqa: N803
    return X.T @ (X @ theta - y) / len(y)


def fit(X: np.ndarray, y: np.ndarray, theta0: Sequence[float], lr: float, iterations: int) -> dict:  # noqa: N803
    """``iterations`` plain gradient steps; the cost after each of them, as the tutorial keeps it."""
    res = pygdx.minimize(cost, theta0, args=(X, y), jac=cost_gradient, method="gd", lr=lr,
                         max_iter=iterations, gtol=None)
    return {"theta": res.x, "cost_history": res.history.fun[1:], "result": res}


def tutorial_data() -> tuple[np.ndarray, np.ndarray]:
    return np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]), np.array([1.0, 2.0, 3.0])


def noisy_line_data(n: int = 100, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """y = 2 + 3x + noise, x uniform on [0, 1), with the column of ones prepended."""
    rng = np.random.default_rng(seed)
    x = rng.random(n)
    return np.column_stack([np.ones(n), x]), 2 + 3 * x + 0.1 * rng.standard_normal(n)


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    iterations = 100 if args.quick else 1000
    X, y = tutorial_data()
    small = fit(X, y, [0.1, 0.2], lr=0.01, iterations=iterations)
    print("three points on y = x:  theta =", small["theta"], " last costs:", small["cost_history"][-3:])
    Xn, yn = noisy_line_data()
    noisy = fit(Xn, yn, [0.0, 0.0], lr=0.1, iterations=iterations)
    exact = np.linalg.lstsq(Xn, yn, rcond=None)[0]
    print("noisy y = 2 + 3x:       theta =", noisy["theta"], " least squares:", exact)

    drawn = new_figure(args, ncols=2)
    if drawn is not None:
        fig, (left, right) = drawn
        pygdx.plot.loss_curve({"y = x, lr 0.01": small["result"], "y = 2 + 3x, lr 0.1": noisy["result"]}, ax=left)
        left.set_title("cost J(theta) during batch gradient descent")
        right.scatter(Xn[:, 1], yn, s=10, color="0.5", label="data")
        grid = np.linspace(0, 1, 2)
        right.plot(grid, noisy["theta"][0] + noisy["theta"][1] * grid, label="gradient descent")
        right.plot(grid, exact[0] + exact[1] * grid, "--", label="least squares")
        right.legend()
        right.set_title("fitted line")
        save(fig, args, "linear_regression_batch_gd")
    return {"small": small, "noisy": noisy, "least_squares": exact}


if __name__ == "__main__":
    main()
