"""Per-sample stochastic gradient descent for linear regression.

The tutorial: weights w from zeros, and for every epoch, for every sample i in order,
the gradient of (x_i . w - y_i)^2, which is 2 x_i (x_i . w - y_i), and w -= lr * gradient;
X = [[1, 2], [3, 4], [5, 6]], y = [5, 11, 17], lr = 0.01, 1000 epochs. The data lie
exactly on y = x . (1, 2), so w should reach (1, 2). Here a pygdx.optim optimizer makes
each update in place on w ("sgd" is w -= lr * g); any other optimizer name drops in.

    python examples/sgd_linear_regression.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx

X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
Y = np.array([5.0, 11.0, 17.0])


def sgd(X: np.ndarray, y: np.ndarray, learning_rate: float, n_epochs: int, method: str = "sgd",  # noqa: N803
        **options: float) -> dict:
    """One update per sample, samples in order; the mean squared error after each epoch."""
    w = np.zeros(X.shape[1])
    opt = pygdx.optim.get(method, [w], lr=learning_rate, **options)
    losses = []
    for _ in range(n_epochs):
        for xi, yi in zip(X, y):
            opt.step(2 * xi * (xi @ w - yi))
        losses.append(float(np.mean((X @ w - y) ** 2)))
    return {"w": w, "loss_curve": np.array(losses)}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    epochs = 100 if args.quick else 1000
    plain = sgd(X, Y, learning_rate=0.01, n_epochs=epochs)
    momentum = sgd(X, Y, learning_rate=0.002, n_epochs=epochs, method="momentum")
    print("Optimized weights:", plain["w"], "  with momentum 0.9, lr 0.002:", momentum["w"], "  exact: [1. 2.]")

    drawn = new_figure(args)
    if drawn is not None:
        fig, (ax,) = drawn
        pygdx.plot.loss_curve({"sgd, lr 0.01": plain["loss_curve"], "momentum 0.9, lr 0.002": momentum["loss_curve"]},
                              ax=ax)
        ax.set_xlabel("epoch")
        ax.set_title("per-sample SGD on 3 points: MSE after each epoch")
        save(fig, args, "sgd_linear_regression")
    return {"sgd": plain, "momentum": momentum}


if __name__ == "__main__":
    main()
