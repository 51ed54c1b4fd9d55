"""Momentum, AdaGrad, RMSProp and Adam on f(x) = x^2 + 5 sin(x), from x = 5.

The tutorial's loops, 100 steps with lr = 0.1 each:
- momentum: v = 0.9 v - lr f'(x); x += v (torch's form, b = 0.9 b + g; x -= lr b, is the
  same sequence of x);
- AdaGrad: s += g^2; x -= lr / (sqrt(s) + 1e-8) g;
- RMSProp: v = 0.9 v + 0.1 g^2; x -= lr g / (sqrt(v) + 1e-8);
- Adam: the textbook update with bias correction, betas (0.9, 0.999), eps 1e-8.
Here each is one pygdx.minimize call with the optimizer's name and options.

    python examples/momentum_and_adaptive.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

from _common import new_figure, parse_args, save

import pygdx

f = pygdx.functions.square_plus_sine

OPTIMIZERS = {
    "gradient descent": ("gd", {}),
    "momentum 0.9": ("momentum", {"momentum": 0.9}),
    "AdaGrad": ("adagrad", {"eps": 1e-8}),
    "RMSProp": ("rmsprop", {"alpha": 0.9, "eps": 1e-8}),
    "Adam": ("adam", {"betas": (0.9, 0.999), "eps": 1e-8}),
}


def run_all(start: float = 5.0, learn_rate: float = 0.1, n_iter: int = 100) -> dict:
    """{label: OptimizeResult} for every optimizer, same start, rate and number of steps."""
    return {
        label: pygdx.minimize(f, start, jac=f.grad, method=method, lr=learn_rate, max_iter=n_iter, gtol=None, **options)
        for label, (method, options) in OPTIMIZERS.items()
    }


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    runs = run_all(n_iter=30 if args.quick else 100)
    print(f"the minimum: f({f.minimizers()[0]:.6f}) = {f.min_value:.6f}")
    for label, res in runs.items():
        print(f"{label:>17}: Optimized x: {res.x: .6f}, Optimized f(x): {res.fun: .6f}")

    drawn = new_figure(args, ncols=2)
    if drawn is not None:
        fig, (left, right) = drawn
        pygdx.plot.trajectory(f, runs, ax=left, window=[(-4.0, 6.0)])
        left.set_ylim(-5, 40)
        left.set_title("x² + 5 sin x from x = 5, lr = 0.1")
        pygdx.plot.compare(runs, ax=right, f_min=f.min_value, log=True)
        right.set_title("distance to the minimum value")
        save(fig, args, "momentum_and_adaptive")
    return runs


if __name__ == "__main__":
    main()
