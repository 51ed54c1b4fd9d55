"""The ``pygdx`` command line: ``pygdx demo``, ``pygdx fit``, ``pygdx predict``, ``pygdx bench``.

Every expected failure (bad file, bad option, diverging training) ends with exit status 2
and one line on stderr naming the problem and the fix, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import tempfile
import time
import warnings
from typing import Any, NoReturn, Sequence

import numpy as np

from . import __version__
from ._files import replace_atomically
from ._optional import require
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


def _fresh_folder(base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... : a folder that does not exist yet, so a demo
    never writes over anything already there."""
    path, k = base, 1
    while os.path.exists(path):
        k += 1
        path = f"{base}-{k}"
    return path


class _Steps:
    """Progress over the demo's training runs: a tqdm bar when tqdm is installed, else a line each."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.quiet = quiet
        self.bar = None
        if not quiet:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="training", unit="run", file=sys.stderr, leave=False)
            except ImportError:
                pass

    def start(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=True)
        elif not self.quiet:
            print(f"  training {label} ...", file=sys.stderr)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


_DEMO_REGRESSION = [("gd", None, 0.1), ("momentum", None, 0.05), ("sgd", 1, 0.01), ("momentum", 32, 0.01),
                    ("adam", 32, 0.01), ("adam", 256, 0.03), ("rmsprop", 64, 0.003), ("adagrad", 32, 0.1)]
_DEMO_CLASSIFICATION = [("gd", None, 0.5), ("sgd", 1, 0.01), ("adam", 32, 0.01), ("nadam", 128, 0.01)]
_DEMO_MIN_SAMPLES = 30
_DEMO_PATHS = [("gd", 1e-3, {}), ("momentum", 1e-3, {}), ("adam", 0.05, {}), ("rmsprop", 0.01, {})]


def _fit_runs(cls: type, runs: list, X: np.ndarray, y: np.ndarray, steps: _Steps, epochs: int) -> tuple[list, dict]:
    rows, fitted = [], {}
    for name, batch, lr in runs:
        label = f"{cls.__name__} {name} batch={batch or 'full'}"
        steps.start(label)
        # A full-batch epoch is a single step, so those runs get ten times the epochs and
        # no early stop (momentum's loss is not monotone step to step).
        est = cls(optimizer=name, lr=lr, batch_size=batch, max_iter=epochs * 10 if batch is None else epochs,
                  tol=None if batch is None else 1e-6, penalty="l2", alpha=1e-5, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            # a demo run stopping at its epoch budget is expected, not news
            warnings.simplefilter("ignore")
            est.fit(X, y)
        elapsed = time.perf_counter() - start
        steps.done()
        rows.append((name, batch or "full", lr, est.n_iter_, float(est.loss_curve_[-1]), est.score(X, y),
                     f"{elapsed * 1e3:.0f} ms"))
        fitted[f"{name}, batch {batch or 'full'}"] = est
    return rows, fitted


def _demo_folder(args: argparse.Namespace) -> str | None:
    """The new folder for the pictures, made before any training (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        return None
    folder = _fresh_folder(args.out)
    try:
        os.makedirs(folder)
    except OSError as exc:
        raise CLIError(f"cannot make the folder {folder} for the pictures ({exc.strerror or exc}); "
                       "choose another with --out") from None
    return folder


def _loss_picture(sources: dict, title: str, path: str) -> None:
    """Loss per epoch on a log epoch axis: mini-batch runs settle in a few epochs and
    full-batch ones take hundreds, and a linear axis would squeeze the former into its
    left edge."""
    import matplotlib.pyplot as plt

    from . import plot

    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot.loss_curve(sources, ax=ax)
    ax.set_xscale("log")
    ax.set_xlabel("epoch (log scale)")
    ax.set_title(title)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import estimators, functions
    from .datasets import make_classification
    from .minimize import minimize

    if args.samples < _DEMO_MIN_SAMPLES:
        raise CLIError(f"--samples must be at least {_DEMO_MIN_SAMPLES} (three classes need rows of each), "
                       f"got {args.samples}")
    folder = _demo_folder(args)
    print(f"pygdx {__version__} demo: generated data, nothing downloaded")
    steps = _Steps(len(_DEMO_REGRESSION) + len(_DEMO_CLASSIFICATION), args.quiet)
    X, y, _ = make_regression(n_samples=args.samples, n_features=20, noise=0.5, random_state=0)
    reg_rows, regressors = _fit_runs(estimators.GDRegressor, _DEMO_REGRESSION, X, y, steps, args.epochs)
    Xc, yc = make_classification(n_samples=args.samples, n_features=20, n_classes=3, random_state=0)
    clf_rows, classifiers = _fit_runs(estimators.GDClassifier, _DEMO_CLASSIFICATION, Xc, yc, steps, args.epochs)
    steps.close()
    headers = ["optimizer", "batch", "lr", "epochs", "final loss", "", "time"]
    print(f"\nGDRegressor, squared error + l2, {X.shape[0]} x {X.shape[1]} (R^2 on the training data):")
    print(_table([*headers[:5], "R^2", headers[6]], reg_rows))
    print(f"\nGDClassifier, softmax log loss + l2, 3 classes, {Xc.shape[0]} x {Xc.shape[1]}:")
    print(_table([*headers[:5], "accuracy", headers[6]], clf_rows))

    f = functions.rosenbrock
    x0 = np.array([-1.5, 2.0])
    paths = {}
    path_rows = []
    for method, lr, opts in _DEMO_PATHS:
        res = minimize(f, x0, jac=f.grad, method=method, lr=lr, max_iter=args.steps, gtol=1e-6, **opts)
        paths[f"{method} (lr={lr:g})"] = res
        path_rows.append((method, lr, res.nit, float(res.fun), float(np.linalg.norm(res.x - 1.0))))
    print(f"\nminimize(rosenbrock, x0={x0.tolist()}), at most {args.steps} steps; the minimum is f(1, 1) = 0:")
    print(_table(["method", "lr", "steps", "f(x)", "|x - x*|"], path_rows))

    if folder is None:
        print('\nno pictures: matplotlib is not installed (pip install "pygdx[plot]" to get them)')
        return 0
    import matplotlib.pyplot as plt

    from . import plot

    _loss_picture(regressors, "regression: training loss (squared error + l2)",
                  os.path.join(folder, "regression-loss.png"))
    _loss_picture(classifiers, "classification: training loss (log loss + l2)",
                  os.path.join(folder, "classification-loss.png"))
    fig, ax = plt.subplots(figsize=(7, 6))
    plot.trajectory(f, paths, ax=ax)
    ax.set_title("Rosenbrock: paths of four optimizers")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "rosenbrock-paths.png"), dpi=100)
    plt.close(fig)
    written = ["regression-loss.png", "classification-loss.png", "rosenbrock-paths.png"]
    print(f"\npictures written to {folder}/: {', '.join(written)}")
    return 0


_SCHEDULES = ("constant", "step", "exponential", "invscaling", "cosine", "plateau", "optimal")


def _make_lr(args: argparse.Namespace):
    from . import schedules

    lr, name = args.lr, args.schedule
    try:
        if name == "constant":
            return lr
        if name == "step":
            return schedules.StepLR(lr, step_size=args.step_size, gamma=args.gamma)
        if name == "exponential":
            return schedules.ExponentialLR(lr, gamma=args.gamma)
        if name == "invscaling":
            return schedules.InverseTimeLR(lr, power_t=args.power_t)
        if name == "cosine":
            return schedules.CosineAnnealingLR(lr, T_max=args.t_max)
        if name == "plateau":
            return schedules.ReduceLROnPlateau(lr, factor=0.5, patience=5)
        return schedules.OptimalLR(alpha=max(args.alpha, 1e-12))
    except (TypeError, ValueError) as exc:
        raise CLIError(f"--schedule {name}: {exc}") from None


def _guess_task(y: np.ndarray) -> str:
    """Labels that are text, or few distinct integers, mean classification."""
    if y.dtype.kind not in "biuf":
        return "classification"
    values = np.unique(y)
    integral = bool(np.all(np.equal(np.mod(values, 1), 0)))
    if integral and len(values) <= max(2, min(20, len(y) // 5)):
        return "classification"
    return "regression"


def _check_output(path: str, force: bool, what: str, inputs: Sequence[str] = ()) -> None:
    """Refuse, before any work, an output that would overwrite a file or an input, or that
    cannot be written (tried by creating and removing a file beside it)."""
    for source in inputs:
        if os.path.exists(path) and os.path.exists(source) and os.path.samefile(path, source):
            raise CLIError(f"{what} {path} is also an input file; choose another name for the output")
    if os.path.isdir(path):
        raise CLIError(f"{path} is a folder; give a file name for the {what}")
    if os.path.lexists(path) and not os.path.isfile(path):
        raise CLIError(f"{path} is not a regular file; choose a file path for the {what}")
    if os.path.exists(path) and not force:
        raise CLIError(f"{path} already exists; pass --force to overwrite it, or choose another {what}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"the folder of {path} does not exist; create it first (mkdir -p {os.path.dirname(path)})")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".pygdx-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CLIError(f"cannot write into {folder} ({exc.strerror or exc}); choose another {what}") from None


def _split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, int]:
    """The rows in the order training rows first, then validation rows (each in file
    order), and how many train: the data is prepared in this order, so that the training
    rows are one slice of it, given to fit without a copy."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction))
    if n_val == n:
        raise CLIError("no rows left to train on after the validation split; lower --validation-split")
    return np.concatenate([np.sort(order[n_val:]), np.sort(order[:n_val])]), n - n_val


def _progress_callbacks(args: argparse.Namespace) -> list:
    """A tqdm bar with --progress, else one line per epoch (about 20 in all) unless --quiet."""
    if args.quiet:
        return []
    if args.progress:
        from .callbacks import ProgressBar

        try:
            import tqdm  # noqa: F401
        except ImportError:
            raise CLIError('--progress needs tqdm: pip install "pygdx[progress]"') from None
        return [ProgressBar()]
    every = max(1, args.epochs // 20)

    def report(estimator: object, info: dict) -> None:
        if info["epoch"] % every == 0 or info["epoch"] in (1, args.epochs):
            line = f"epoch {info['epoch']:>{len(str(args.epochs))}}/{args.epochs}  loss {info['loss']:.6g}"
            if info.get("validation_score") is not None:
                line += f"  validation {info['validation_score']:.4g}"
            print(line + f"  lr {info['lr']:.3g}  ({info['elapsed']:.2f} s)")

    return [report]


def _is_csv(path: str) -> bool:
    from .io import is_csv_name

    return is_csv_name(path)


def _column_list(values: Sequence[str] | None) -> list[str] | None:
    """--features / --drop: repeated, or comma-separated."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _check_fit_options(args: argparse.Namespace) -> None:
    if args.lr <= 0 or not math.isfinite(args.lr):
        raise CLIError(f"--lr must be a positive number, got {args.lr}")
    if args.epochs < 1:
        raise CLIError(f"--epochs must be at least 1, got {args.epochs}")
    if not 0.0 <= args.validation_split < 1.0:
        raise CLIError(f"--validation-split must be in [0, 1), got {args.validation_split}")
    if not (math.isfinite(args.alpha) and args.alpha >= 0):
        raise CLIError(f"--alpha must be a number >= 0, got {args.alpha}")
    if not (math.isfinite(args.tol) and args.tol >= 0):
        raise CLIError(f"--tol must be a number >= 0, got {args.tol}")
    if not _is_csv(args.data) and (args.features or args.drop):
        raise CLIError("--features and --drop choose columns of a CSV file; a .npy/.npz file has none")


def _numeric_target(column: Any) -> tuple[np.ndarray | None, str]:
    """A target column's values as float64 (NaN where missing), or None and its first cell
    that is not a number when it holds labels."""
    import pandas as pd

    from .prepare import _factorize, _text_numbers

    if pd.api.types.is_bool_dtype(column.dtype):
        return None, str(column.dropna().iloc[0])
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(np.float64, na_value=np.nan), ""
    codes, uniques = _factorize(column)
    lookup = _text_numbers(uniques).to_numpy()
    labels = [u for u, v in zip(uniques, lookup) if np.isnan(v)]
    if labels:
        return None, labels[0]
    return np.where(codes >= 0, lookup[codes] if len(lookup) else np.nan, np.nan), ""


def _csv_target(frame: Any, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """(target values, rows that have one, task); prints what was decided."""
    name = args.target
    column = frame[name]
    if column.isna().all():
        raise CLIError(f"{args.data}: the target {name!r} has no value in any row")
    numbers, label = _numeric_target(column)
    if numbers is None and args.task == "regression":
        raise CLIError(f"{args.data}: the target {name!r} holds {label!r}, which is not a number; "
                       "regression needs a numeric target (use --task classification for labels)")
    if numbers is not None:
        keep = np.isfinite(numbers)
    else:
        keep = column.notna().to_numpy()
    n_dropped = int(len(keep) - keep.sum())
    if keep.sum() == 0:
        raise CLIError(f"{args.data}: the target {name!r} has no finite value in any row")
    if numbers is not None:
        y = numbers[keep]
    else:
        y = column[keep].astype(str).to_numpy().astype(str)
    task = _guess_task(y) if args.task == "auto" else args.task
    if task == "classification" and y.dtype.kind == "f" and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    what = "numbers" if numbers is not None else "labels"
    why = "chosen with --task" if args.task != "auto" else "guessed; --task overrides"
    line = f"target {name!r}: {what}, {len(np.unique(y))} distinct -> {task} ({why})"
    if n_dropped:
        line += f"; {n_dropped} row(s) with no target dropped, {int(keep.sum())} left"
    print(line)
    return y, keep, task


def _print_decisions(decisions: list[str]) -> None:
    plain = [d for d in decisions if d.endswith(": numbers")]
    for line in decisions:
        if line not in plain:
            print(line)
    if plain:
        names = ", ".join(d.split(": ")[0][len("column "):] for d in plain)
        print(f"{len(plain)} column(s) of numbers used as they are: {names}")


def _prepared_csv(args: argparse.Namespace) -> tuple[Any, np.ndarray, np.ndarray, int, str, list[str]]:
    """Read and prepare a CSV: (preparer, X, y, training rows, task, feature names), the
    training rows first."""
    from .io import read_csv
    from .prepare import TablePreparer

    features, drop = _column_list(args.features), _column_list(args.drop) or []
    require("pandas", "cli", "reading CSV files")  # imported before the clock starts: it is not reading
    start = time.perf_counter()
    wanted = None if features is None else list(dict.fromkeys([*features, args.target]))
    frame = read_csv(args.data, encoding=args.encoding, columns=wanted)
    columns = [str(c) for c in frame.columns]
    if args.target not in columns:
        raise CLIError(f"{args.data}: no column named {args.target!r}; the columns are {columns}")
    unknown = [c for c in drop if c not in columns]
    if unknown:
        raise CLIError(f"{args.data}: --drop names column(s) {unknown}, which the file does not have; its columns "
                       f"are {columns}")
    if features is not None and args.target in features:
        raise CLIError(f"--features names the target {args.target!r}; a model cannot take its target as input")
    print(f"{args.data}: {len(frame)} rows x {len(columns)} columns (read in {time.perf_counter() - start:.2f} s)")
    if len(columns) == 1:
        raise CLIError(f"{args.data}: there are no feature columns besides the target {args.target!r}")
    y, keep, task = _csv_target(frame, args)
    table = frame.drop(columns=[args.target])
    order, n_train = _split(len(y), args.validation_split, args.seed)
    y = y[order]
    rows = np.flatnonzero(keep)[order]  # the rows that have a target, in that order (no copy of the table)
    start = time.perf_counter()
    preparer = TablePreparer(features=features, drop=[c for c in drop if c != args.target],
                             standardize=args.standardize)
    try:
        # learned from the training rows; X holds them first, then the validation rows
        X = preparer._fit_transform_rows(table, rows, n_train)
    except (KeyError, TypeError, ValueError) as exc:
        raise CLIError(f"{args.data}: {str(exc).strip(chr(34) + chr(39))}") from None
    _print_decisions(preparer.decisions_)
    names = [str(n) for n in preparer.get_feature_names_out()]
    print(f"features: {len(names)} from {len(preparer.input_columns_)} column(s), prepared in "
          f"{time.perf_counter() - start:.2f} s (--features / --drop choose the columns)")
    return preparer, X, y, n_train, task, names


def _prepared_arrays(args: argparse.Namespace) -> tuple[Any, np.ndarray, np.ndarray, int, str, list[str]]:
    """Read a .npy / .npz file: numbers only, standardised on the training rows."""
    from .io import load_table

    table = load_table(args.data, args.target, numeric_target=args.task == "regression")
    if table.y is None:
        raise CLIError(f"{args.data}: name the target array with --target NAME (or store it as 'y')")
    X, y = table.X, table.y
    task = _guess_task(y) if args.task == "auto" else args.task
    order, n_train = _split(X.shape[0], args.validation_split, args.seed)
    X, y = np.asarray(X)[order], y[order]  # a copy (of a memory map too), standardised in place
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X[:n_train].mean(axis=0)
        scale = X[:n_train].std(axis=0)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        column = table.feature_names[int(np.flatnonzero(~np.isfinite(mean) | ~np.isfinite(scale))[0])]
        raise CLIError(f"{args.data}: column {column!r} holds numbers too large to standardise; rescale it first")
    scale[scale == 0.0] = 1.0
    if not args.standardize:
        mean, scale = np.zeros_like(mean), np.ones_like(scale)
    X -= mean
    X /= scale
    return (mean, scale), X, y, n_train, task, table.feature_names


def _cmd_fit(args: argparse.Namespace) -> int:
    from . import estimators
    from .io import _check_file
    from .modelfile import SavedModel, save_model

    _check_fit_options(args)
    lr = _make_lr(args)
    out_path = args.out
    plot_path = args.plot if args.plot is not None else os.path.splitext(out_path)[0] + "-loss.png"
    # Every check that needs no training comes first: a mistake costs no training time.
    _check_file(args.data)
    if args.target is None and os.path.splitext(args.data)[1].lower() != ".npz":
        raise CLIError(f"{args.data}: name the column to predict with --target COLUMN")
    _check_output(out_path, args.force, "--out path", [args.data])
    if plot_path:
        _check_output(plot_path, args.force, "--plot path", [args.data, out_path])
        if os.path.abspath(plot_path) == os.path.abspath(out_path):
            raise CLIError("--plot and --out name the same file; give them different names")

    prepare = _prepared_csv if _is_csv(args.data) else _prepared_arrays
    preparation, Xs, y, n_train, task, feature_names = prepare(args)
    train, val = slice(0, n_train), slice(n_train, None)
    n_val = len(y) - n_train
    if task == "classification" and len(np.unique(y[train])) < 2:
        raise CLIError(f"the target {args.target!r} has a single value in the training rows; classification needs "
                       "two or more")
    # A regression target is standardised too: adaptive optimizers move each weight by about
    # lr per step, so a target in the hundreds of thousands would need millions of steps.
    y_mean, y_scale = 0.0, 1.0
    if task == "regression" and args.standardize:
        y_mean, y_scale = float(y[train].mean()), float(y[train].std()) or 1.0
    y_fit = (y - y_mean) / y_scale if task == "regression" else y
    batch = None if args.batch_size == "full" else int(args.batch_size)
    common = dict(optimizer=args.optimizer, lr=lr, batch_size=batch, max_iter=args.epochs,
                  tol=args.tol, penalty=None if args.penalty == "none" else args.penalty, alpha=args.alpha,
                  random_state=args.seed, callbacks=_progress_callbacks(args))
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
            est.fit(Xs[train], y_fit[train])
        except (ValueError, FloatingPointError, ArithmeticError) as exc:
            message = str(exc).splitlines()[0]
            if "training diverged" in message:
                # the estimator's words, with the command line's option in the advice
                what = message[message.index("training diverged"):].split("; the learning rate")[0]
                message = f"{what}; try a smaller --lr (e.g. {args.lr / 10:g}) or a decaying --schedule"
            raise CLIError(message) from None
    elapsed = time.perf_counter() - start
    for w in caught:
        if issubclass(w.category, Warning) and "Maximum number of iteration" in str(w.message):
            print(f"pygdx: warning: stopped at --epochs {args.epochs} before the loss settled (changes above --tol "
                  f"{args.tol:g}); more --epochs or a larger --lr may fit better", file=sys.stderr)
        else:
            print(f"pygdx: warning: {w.message}", file=sys.stderr)
    metric = "accuracy" if task == "classification" else "R^2"
    rows = [("train", n_train, est.score(Xs[train], y_fit[train]))]
    if n_val >= 2 or (n_val and task == "classification"):
        rows.append(("validation", n_val, est.score(Xs[val], y_fit[val])))
    elif n_val:
        rows.append(("validation", n_val, "n/a (one row)"))
    unit = " (standardised target)" if task == "regression" and args.standardize else ""
    print(f"{task} on {args.data}: {n_train} training rows, {Xs.shape[1]} features, "
          f"{est.n_iter_} epochs in {elapsed:.2f} s, final loss{unit} {est.loss_curve_[-1]:.6g}")
    print(_table(["data", "rows", metric], rows))
    if isinstance(preparation, tuple):
        model = SavedModel(est, feature_names, args.target, *preparation, task, y_mean, y_scale)
    else:
        model = SavedModel(est, feature_names, args.target, preparation.mean_, preparation.scale_, task, y_mean,
                           y_scale, preparation)
    save_model(out_path, model)
    print(f"model saved to {out_path}")
    if plot_path:
        try:
            from . import plot
            import matplotlib.pyplot as plt

            ax = plot.loss_curve(est)
            replace_atomically(plot_path, lambda fh: ax.figure.savefig(fh, format="png", dpi=100))
            plt.close(ax.figure)
            print(f"loss curve saved to {plot_path}")
        except ImportError:
            print('no loss-curve picture: matplotlib is not installed (pip install "pygdx[plot]")')
    return 0


def _write_predictions(path: str | None, header: str, pred: np.ndarray) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header])
    writer.writerows([v] for v in pred.tolist())
    if path is None:
        sys.stdout.write(buffer.getvalue())
    else:
        replace_atomically(path, lambda fh: fh.write(buffer.getvalue().encode()))
        print(f"{len(pred)} predictions written to {path}")


def _cmd_predict(args: argparse.Namespace) -> int:
    from .io import load_table, read_csv
    from .modelfile import load_model

    if args.out:
        _check_output(args.out, args.force, "--out path", [args.model, args.data])
    model = load_model(args.model)
    if model.preparer is not None and _is_csv(args.data):
        frame = read_csv(args.data, encoding=args.encoding, columns=model.input_columns)
        try:
            X, notes = model.preparer.transform_with_notes(frame)
        except (KeyError, ValueError) as exc:
            raise CLIError(f"{args.data}: {str(exc).strip(chr(34))}") from None
        for note in notes:
            print(f"pygdx: note: {note}", file=sys.stderr)
    else:
        if model.preparer is not None:
            raise CLIError(f"{args.data}: this model was trained on a CSV table; predict on a CSV file with the "
                           f"columns {model.input_columns}")
        table = load_table(args.data, columns=model.feature_names if _is_csv(args.data) else None)
        if table.X.shape[1] != len(model.feature_names):
            raise CLIError(
                f"{args.data}: has {table.X.shape[1]} feature columns but the model was trained on "
                f"{len(model.feature_names)}; pass the same feature columns, without the target"
            )
        X = model.transform(np.asarray(table.X, dtype=np.float64))
    _write_predictions(args.out, model.target_name or "prediction", model.predict_prepared(X))
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
             "baseline_seconds": r.baseline_seconds, "speedup": r.speedup, "floor": r.is_floor,
             "times_floor": r.times_floor} for r in results]}, indent=2))
        return 0
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    rows = [(r.name, r.size, _format_seconds(r.pygdx_seconds), r.baseline, _format_seconds(r.baseline_seconds),
             r.ratio_text) for r in results]
    print(_table(["case", "size", "pygdx", "vs", "their time", "speed-up"], rows))
    print("speed-up = their time / pygdx's time: above 1x pygdx is faster, below 1x slower")
    print("x floor = pygdx's time / the floor's: the least time this machine's memory allows for the same reads")
    print(f"best of {args.repeat} runs each, same data, one process; full suite: pytest benchmarks/ --benchmark-enable")
    return 0


def _whole_number_from(lowest: int):
    """An argparse type: a whole number >= ``lowest``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"expected a number >= {lowest}, got {value}")
        return value

    return parse


_positive_int, _non_negative_int = _whole_number_from(1), _whole_number_from(0)


def _batch_size(text: str) -> str:
    if text.lower() in ("full", "none", "all"):
        return "full"
    return str(_positive_int(text))


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (exit status 2) like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pygdx", description="Gradient descent with a compiled core: train, predict, benchmark."
    )
    parser.add_argument("--version", action="version", version=f"pygdx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser("demo", help="train on built-in data and show what pygdx does")
    demo.add_argument("--out", default="pygdx-demo", help="folder for the pictures (a new one: -2, -3... if taken)")
    demo.add_argument("--samples", type=_positive_int, default=20000, help="rows of generated data (default 20000)")
    demo.add_argument("--epochs", type=_positive_int, default=30,
                      help="epochs per mini-batch run (default 30); full-batch runs, one step per epoch, get ten times")
    demo.add_argument("--steps", type=_positive_int, default=3000, help="steps per minimize run (default 3000)")
    demo.add_argument("--quiet", action="store_true", help="no progress output")
    demo.set_defaults(func=_cmd_demo)

    fit = sub.add_parser("fit", help="train a linear model on a CSV, .npy or .npz file")
    fit.add_argument("data", help="CSV with a header row, .npy (2-D) or .npz (arrays X and y)")
    fit.add_argument("--target", help="the column to predict (CSV: name; .npy: number; .npz: array name)")
    fit.add_argument("--features", action="append", metavar="COLUMNS",
                     help="use only these columns (comma-separated, or the option repeated); a column named here "
                          "is used even where the rules would drop it (CSV)")
    fit.add_argument("--drop", action="append", metavar="COLUMNS",
                     help="never use these columns (comma-separated, or the option repeated) (CSV)")
    fit.add_argument("--encoding", help="the CSV file's text encoding, e.g. latin-1 or cp1252 (default utf-8)")
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
    fit.add_argument("--validation-split", type=float, default=0.2,
                     help="fraction of rows held out to report a score; the model is trained on the rest "
                          "(default 0.2; 0 trains on all)")
    fit.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    fit.add_argument("--no-standardize", dest="standardize", action="store_false",
                     help="train on the raw features (and regression target) instead of standardised ones; "
                          "the saved model undoes the standardisation when it predicts")
    fit.add_argument("--out", default="model.npz", help="where to save the model (default model.npz)")
    fit.add_argument("--plot", help="loss-curve PNG (default: beside the model; '' for none)")
    fit.add_argument("--force", action="store_true", help="overwrite existing output files")
    fit.add_argument("--quiet", action="store_true", help="no per-epoch output")
    fit.add_argument("--progress", action="store_true", help="a progress bar instead of per-epoch lines (tqdm)")
    fit.set_defaults(func=_cmd_fit)

    predict = sub.add_parser("predict", help="predict with a model saved by 'pygdx fit'")
    predict.add_argument("model", help="a .npz model written by 'pygdx fit'")
    predict.add_argument("data", help="CSV, .npy or .npz with the same feature columns")
    predict.add_argument("--encoding", help="the CSV file's text encoding, e.g. latin-1 (default utf-8)")
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
    except BrokenPipeError:  # stdout closed early (pygdx predict ... | head): not an error to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so exiting flushes nowhere
        return 141
    except OSError as exc:  # a file that vanished, a full disk, a read-only folder
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"pygdx: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        if "pip install" not in str(exc):  # not a missing extra: a real bug, keep its traceback
            raise
        print(f"pygdx: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("pygdx: error: out of memory; use a smaller file or fewer features (--features, --drop)",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pygdx: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
