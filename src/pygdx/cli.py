"""The ``pygdx`` command line: ``pygdx demo``, ``pygdx fit``, ``pygdx predict``, ``pygdx bench``.

Every expected failure (bad file, bad option, diverging training) ends with exit status 2
and one line on stderr naming the problem and the fix, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
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


_SCHEDULES = ("constant", "step", "exponential", "invscaling", "cosine", "plateau", "optimal")


def _make_lr(args: argparse.Namespace):
    from . import schedules

    lr, name = args.lr, args.schedule
    if name == "constant":
        return lr
    if name == "step":
        return schedules.StepLR(lr, step_size=max(1, args.step_size), gamma=args.gamma)
    if name == "exponential":
        return schedules.ExponentialLR(lr, gamma=args.gamma)
    if name == "invscaling":
        return schedules.InverseTimeLR(lr, power_t=args.power_t)
    if name == "cosine":
        return schedules.CosineAnnealingLR(lr, T_max=args.t_max)
    if name == "plateau":
        return schedules.ReduceLROnPlateau(lr, factor=0.5, patience=5)
    return schedules.OptimalLR(alpha=max(args.alpha, 1e-12))


def _guess_task(y: np.ndarray) -> str:
    """Labels that are text, or few distinct integers, mean classification."""
    if y.dtype.kind not in "biuf":
        return "classification"
    values = np.unique(y)
    integral = bool(np.all(np.equal(np.mod(values, 1), 0)))
    if integral and len(values) <= max(2, min(20, len(y) // 5)):
        return "classification"
    return "regression"


def _refuse_overwrite(path: str, force: bool, what: str) -> None:
    if os.path.exists(path) and not force:
        raise CLIError(f"{path} already exists; pass --force to overwrite it, or choose another {what}")


def _split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _cmd_fit(args: argparse.Namespace) -> int:
    from . import estimators
    from .io import load_table
    from .modelfile import SavedModel, save_model

    if args.lr <= 0 or not math.isfinite(args.lr):
        raise CLIError(f"--lr must be a positive number, got {args.lr}")
    if args.epochs < 1:
        raise CLIError(f"--epochs must be at least 1, got {args.epochs}")
    if not 0.0 <= args.validation_split < 1.0:
        raise CLIError(f"--validation-split must be in [0, 1), got {args.validation_split}")
    out_path = args.out
    plot_path = args.plot if args.plot is not None else os.path.splitext(out_path)[0] + "-loss.png"
    _refuse_overwrite(out_path, args.force, "--out path")
    if plot_path:
        _refuse_overwrite(plot_path, args.force, "--plot path")

    table = load_table(args.data, args.target, numeric_target=args.task == "regression")
    if table.y is None:
        raise CLIError(f"{args.data}: name the column to predict with --target COLUMN")
    X, y = table.X, table.y
    task = _guess_task(y) if args.task == "auto" else args.task
    if task == "classification" and len(np.unique(y)) < 2:
        raise CLIError(f"the target {table.target_name!r} has a single value; classification needs two or more")
    train, val = _split(X.shape[0], args.validation_split, args.seed)
    if len(train) == 0:
        raise CLIError("no rows left to train on after the validation split; lower --validation-split")
    mean = X[train].mean(axis=0)
    scale = X[train].std(axis=0)
    scale[scale == 0.0] = 1.0
    if not args.standardize:
        mean, scale = np.zeros_like(mean), np.ones_like(scale)
    Xs = np.ascontiguousarray((X - mean) / scale)
    batch = None if args.batch_size == "full" else int(args.batch_size)
    common = dict(optimizer=args.optimizer, lr=_make_lr(args), batch_size=batch, max_iter=args.epochs,
                  tol=args.tol, penalty=None if args.penalty == "none" else args.penalty, alpha=args.alpha,
                  random_state=args.seed, verbose=0 if args.quiet else 1)
    if args.loss:
        common["loss"] = args.loss
    cls = estimators.GDClassifier if task == "classification" else estimators.GDRegressor
    try:
        est = cls(**common)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(Xs[train], y[train])
        except (ValueError, FloatingPointError, ArithmeticError) as exc:
            raise CLIError(str(exc).splitlines()[0]) from None
    elapsed = time.perf_counter() - start
    for w in caught:
        print(f"pygdx: warning: {w.message}", file=sys.stderr)
    metric = "accuracy" if task == "classification" else "R^2"
    rows = [("train", len(train), est.score(Xs[train], y[train]))]
    if len(val):
        rows.append(("validation", len(val), est.score(Xs[val], y[val])))
    print(f"{task} on {args.data}: {len(train)} training rows, {X.shape[1]} features, "
          f"{est.n_iter_} epochs in {elapsed:.2f} s, final loss {est.loss_curve_[-1]:.6g}")
    print(_table(["data", "rows", metric], rows))
    save_model(out_path, SavedModel(est, table.feature_names, table.target_name, mean, scale, task))
    print(f"model saved to {out_path}")
    if plot_path:
        try:
            from . import plot
            import matplotlib.pyplot as plt

            ax = plot.loss_curve(est)
            ax.figure.savefig(plot_path, dpi=100)
            plt.close(ax.figure)
            print(f"loss curve saved to {plot_path}")
        except ImportError:
            print('no loss-curve picture: matplotlib is not installed (pip install "pygdx[plot]")')
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from .io import load_table
    from .modelfile import load_model

    model = load_model(args.model)
    table = load_table(args.data)
    names = table.feature_names
    if args.data.lower().endswith(".csv"):
        missing = [f for f in model.feature_names if f not in names]
        if missing:
            raise CLIError(f"{args.data}: the model needs column(s) {missing}, which the file does not have")
        X = table.X[:, [names.index(f) for f in model.feature_names]]
    else:
        X = table.X
        if X.shape[1] != len(model.feature_names):
            raise CLIError(
                f"{args.data}: has {X.shape[1]} feature columns but the model was trained on "
                f"{len(model.feature_names)}; drop the target column or pass the same columns"
            )
    pred = model.predict(np.asarray(X, dtype=np.float64))
    header = model.target_name or "prediction"
    lines = [header] + [str(v) for v in pred]
    if args.out:
        _refuse_overwrite(args.out, args.force, "--out path")
        with open(args.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        print(f"{len(pred)} predictions written to {args.out}")
    else:
        sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _cmd_bench(args: argparse.Namespace) -> int:
    import json

    from . import bench

    info = bench.machine_info()
    info["threads"] = os.cpu_count() if args.threads is None else args.threads
    progress = None if args.json else (lambda label: print(f"  timing {label} ...", file=sys.stderr))
    results = bench.run_cases(bench.default_cases(quick=not args.full, max_size=args.max_size,
                                                   n_threads=args.threads), repeat=args.repeat, progress=progress)
    if args.json:
        print(json.dumps({"machine": info, "results": [
            {"case": r.name, "size": r.size, "pygdx_seconds": r.pygdx_seconds, "baseline": r.baseline,
             "baseline_seconds": r.baseline_seconds, "speedup": r.speedup} for r in results]}, indent=2))
        return 0
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    rows = [(r.name, r.size, _format_seconds(r.pygdx_seconds), r.baseline, _format_seconds(r.baseline_seconds),
             f"{r.speedup:.1f}x") for r in results]
    print(_table(["case", "size", "pygdx", "vs", "their time", "pygdx faster by"], rows))
    print(f"best of {args.repeat} runs each, same data, one process; full suite: pytest benchmarks/")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _batch_size(text: str) -> str:
    if text.lower() in ("full", "none", "all"):
        return "full"
    return str(_positive_int(text))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pygdx", description="Gradient descent with a compiled core: train, predict, benchmark."
    )
    parser.add_argument("--version", action="version", version=f"pygdx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser("demo", help="train on built-in data and show what pygdx does")
    demo.set_defaults(func=_cmd_demo)

    fit = sub.add_parser("fit", help="train a linear model on a CSV, .npy or .npz file")
    fit.add_argument("data", help="CSV with a header row, .npy (2-D) or .npz (arrays X and y)")
    fit.add_argument("--target", help="the column to predict (CSV: name; .npy: number; .npz: array name)")
    fit.add_argument("--task", choices=("auto", "regression", "classification"), default="auto",
                     help="guessed from the target when auto (default)")
    fit.add_argument("--loss", help="loss name, e.g. squared_error, huber, log_loss, hinge (default per task)")
    fit.add_argument("--optimizer", default="adam", help="any name from pygdx.optim (default adam)")
    fit.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    fit.add_argument("--schedule", choices=_SCHEDULES, default="constant", help="learning-rate schedule")
    fit.add_argument("--step-size", type=_positive_int, default=1000, help="steps between decays (step)")
    fit.add_argument("--gamma", type=float, default=0.5, help="decay factor (step, exponential)")
    fit.add_argument("--power-t", type=float, default=0.25, help="exponent (invscaling)")
    fit.add_argument("--t-max", type=_positive_int, default=10000, help="steps of the cosine (cosine)")
    fit.add_argument("--batch-size", type=_batch_size, default="32", help="rows per step, or 'full' (default 32)")
    fit.add_argument("--epochs", type=int, default=50, help="passes over the data (default 50)")
    fit.add_argument("--tol", type=float, default=1e-4, help="stop when the loss improves less (default 1e-4)")
    fit.add_argument("--penalty", choices=("none", "l2", "l1", "elasticnet"), default="l2")
    fit.add_argument("--alpha", type=float, default=1e-4, help="penalty strength (default 1e-4)")
    fit.add_argument("--validation-split", type=float, default=0.2, help="fraction held out (default 0.2)")
    fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    fit.add_argument("--no-standardize", dest="standardize", action="store_false",
                     help="train on the raw features instead of standardised ones")
    fit.add_argument("--out", default="model.npz", help="where to save the model (default model.npz)")
    fit.add_argument("--plot", help="loss-curve PNG (default: beside the model; '' for none)")
    fit.add_argument("--force", action="store_true", help="overwrite existing output files")
    fit.add_argument("--quiet", action="store_true", help="no per-epoch output")
    fit.set_defaults(func=_cmd_fit)

    predict = sub.add_parser("predict", help="predict with a model saved by 'pygdx fit'")
    predict.add_argument("model", help="a .npz model written by 'pygdx fit'")
    predict.add_argument("data", help="CSV, .npy or .npz with the same feature columns")
    predict.add_argument("--out", help="write predictions to this file instead of stdout")
    predict.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    predict.set_defaults(func=_cmd_predict)

    bench = sub.add_parser("bench", help="time the core against NumPy (and torch / scikit-learn if installed)")
    bench.add_argument("--json", action="store_true", help="print machine-readable JSON")
    bench.add_argument("--full", action="store_true", help="the larger sizes of the benchmark suite (slower)")
    bench.add_argument("--repeat", type=_positive_int, default=5, help="timings per case (default 5)")
    bench.add_argument("--max-size", type=_positive_int, help="skip cases larger than this many parameters")
    bench.add_argument("--threads", type=_positive_int, help="threads the core may use (default: all cores)")
    bench.set_defaults(func=_cmd_bench)
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
