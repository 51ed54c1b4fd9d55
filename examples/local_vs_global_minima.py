"""Local and global minima: where gradient descent ends depends on where it starts.

The tutorial's function x^4 - 4x^3 - 2x^2 + 12x has f'(x) = 4(x + 1)(x - 1)(x - 3): a
maximum at x = 1 between two minima, at x = -1 and x = 3. Both have f = -9, so they are
equally deep; gradient descent goes to the one on its side of x = 1. Tilting the
function by adding 2x makes the minimum near -1 the only global one (f ~ -11) and the one
near 3 merely local (f ~ -3): started on the right, gradient descent is caught there.

    python examples/local_vs_global_minima.py [--out DIR] [--quick]
"""

from __future__ import annotations

from typing import Sequence

from _common import new_figure, parse_args, save

import pygdx

STARTS = (-2.0, 0.5, 1.5, 4.0)
double_well = pygdx.functions.double_well
tilted = pygdx.functions.polynomial([0.0, 14.0, -2.0, -4.0, 1.0], name="tilted_well", formula="x⁴ − 4x³ − 2x² + 14x")


def descend_from(f: pygdx.functions.Objective, starts: Sequence[float] = STARTS, lr: float = 0.01,
                 max_iter: int = 500) -> dict:
    """{start: result} of plain gradient descent from each start."""
    return {x0: pygdx.minimize(f, x0, jac=f.grad, method="gd", lr=lr, max_iter=max_iter) for x0 in starts}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    max_iter = 100 if args.quick else 500
    runs = {f.name: (f, descend_from(f, max_iter=max_iter)) for f in (double_well, tilted)}
    for name, (f, results) in runs.items():
        print(f"{name}: global minima at {f.minimizers()}, local minima at {f.local_minimizers()}")
        for x0, res in results.items():
            kind = "global" if abs(res.fun - f.min_value) < 1e-6 else "local"
            print(f"  from x = {x0:5}: x = {res.x: .6f}, f = {res.fun: .6f} ({kind} minimum, {res.nit} steps)")

    drawn = new_figure(args, ncols=2)
    if drawn is not None:
        fig, axes = drawn
        for ax, (f, results) in zip(axes, runs.values()):
            pygdx.plot.trajectory(f, {f"from {x0:g}": res for x0, res in results.items()}, ax=ax,
                                  window=[(-2.5, 4.5)])
            ax.set_ylim(-15, 40)
            ax.set_title(f.formula)
        save(fig, args, "local_vs_global_minima")
    return {name: results for name, (_, results) in runs.items()}


if __name__ == "__main__":
    main()
