"""Gradient descent on f(x) = 3x^2 - 2x - 3 from x = 8, keeping the series of x.

The tutorial: coefficients a = [-3, -2, 3] (f = a[0] + a[1] x + a[2] x^2), its gradient
2 a[2] x + a[1], learning rate 0.001, and a loop that stops when a step moves x by less
than 1e-5 or after 500 iterations, keeping every x in a series. Here
pygdx.functions.polynomial builds f and its gradient from the same coefficients and
pygdx.minimize runs the loop (xtol is the "|new_x - x| < change" rule, max_iter the cap);
history.x is the series. One difference: when the step-size rule stops the run, the
tutorial drops that last, tiny step, and pygdx keeps it (x is where the run ended).

    python examples/quadratic_descent.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

from _common import new_figure, parse_args, save

import pygdx

COEFFICIENTS = [-3.0, -2.0, 3.0]


def descend(x0: float = 8.0, lr: float = 0.001, change: float = 1e-5, max_iteration: int = 500) -> dict:
    f = pygdx.functions.polynomial(COEFFICIENTS)
    res = pygdx.minimize(f, x0, jac=f.grad, method="gd", lr=lr, max_iter=max_iteration, xtol=change, gtol=None)
    return {"series": res.history.x, "f_series": res.history.fun, "result": res, "function": f}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    out = descend(max_iteration=50 if args.quick else 500)
    res, f = out["result"], out["function"]
    print(f"{res.nit} steps ({res.message})")
    print(f"min of the series: {out['series'].min()}  (the minimum is at x = {f.minimizers()[0]:.6f})")

    drawn = new_figure(args)
    if drawn is not None:
        fig, (ax,) = drawn
        pygdx.plot.trajectory(f, {"x series, lr 0.001": res}, ax=ax, window=[(-3.0, 9.0)])
        ax.set_title("f(x) = 3x² − 2x − 3 from x = 8")
        save(fig, args, "quadratic_descent")
    return out


if __name__ == "__main__":
    main()
