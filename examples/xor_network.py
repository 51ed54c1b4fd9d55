"""A 2-4-1 sigmoid network learns XOR by backpropagation, with pygdx optimizers.

The tutorial's network: inputs (x1, x2), four sigmoid hidden units, one sigmoid output,
trained on the four XOR cases by backpropagation and gradient descent (its extra input
column of ones is the hidden layer's bias; here both layers have a bias). The loss is
the mean binary cross-entropy, whose gradient at the output pre-activation is simply
(output - target) / m, the tutorial's dZ2. Backpropagation gives the gradients of all
four parameter arrays; one pygdx optimizer updates the four in place at every step.

    python examples/xor_network.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from _common import new_figure, parse_args, save

import pygdx

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def init_params(seed: int = 0, hidden: int = 4) -> list[np.ndarray]:
    """[W1, b1, W2, b2]: standard normal weights, zero biases."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((2, hidden)), np.zeros(hidden), rng.standard_normal((hidden, 1)), np.zeros(1)]


def forward(params: Sequence[np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w1, b1, w2, b2 = params
    hidden = sigmoid(x @ w1 + b1)
    return hidden, sigmoid(hidden @ w2 + b2)


def loss(params: Sequence[np.ndarray], x: np.ndarray = X, y: np.ndarray = Y) -> float:
    _, out = forward(params, x)
    return float(-np.mean(y * np.log(out) + (1 - y) * np.log(1 - out)))


def backprop(params: Sequence[np.ndarray], x: np.ndarray = X, y: np.ndarray = Y) -> list[np.ndarray]:
    """Gradients of the mean cross-entropy with respect to [W1, b1, W2, b2]."""
    w2 = params[2]
    hidden, out = forward(params, x)
    d_out = (out - y) / len(x)
    d_hidden = (d_out @ w2.T) * hidden * (1 - hidden)
    return [x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_out, d_out.sum(axis=0)]


def train(method: str = "adam", lr: float = 0.05, steps: int = 2000, seed: int = 0, **options: float) -> dict:
    params = init_params(seed)
    opt = pygdx.optim.get(method, params, lr=lr, **options)
    losses = [loss(params)]
    for _ in range(steps):
        opt.step(backprop(params))
        losses.append(loss(params))
    _, out = forward(params, X)
    return {"params": params, "losses": np.array(losses), "outputs": out.ravel(),
            "predictions": (out.ravel() > 0.5).astype(int)}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    steps = 500 if args.quick else 2000
    runs = {
        "Adam, lr 0.05": train("adam", lr=0.05, steps=steps),
        "momentum 0.9, lr 0.5": train("momentum", lr=0.5, steps=steps),
        "gradient descent, lr 0.5": train("gd", lr=0.5, steps=steps),
    }
    for label, run in runs.items():
        print(f"{label:>25}: outputs {np.round(run['outputs'], 3)} -> predictions {run['predictions']}"
              f" (targets {Y.ravel().astype(int)})")

    drawn = new_figure(args)
    if drawn is not None:
        fig, (ax,) = drawn
        pygdx.plot.loss_curve({label: run["losses"] for label, run in runs.items()}, ax=ax)
        ax.set_title("2-4-1 sigmoid network on XOR: cross-entropy")
        save(fig, args, "xor_network")
    return runs


if __name__ == "__main__":
    main()
