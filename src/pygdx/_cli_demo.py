"""``pygdx demo``: train on generated data, print what each optimizer did, draw pictures."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

from . import __version__
from ._cli_common import CLIError, table
from .datasets import make_regression


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


def cmd_demo(args: argparse.Namespace) -> int:
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
    print(table([*headers[:5], "R^2", headers[6]], reg_rows))
    print(f"\nGDClassifier, softmax log loss + l2, 3 classes, {Xc.shape[0]} x {Xc.shape[1]}:")
    print(table([*headers[:5], "accuracy", headers[6]], clf_rows))

    f = functions.rosenbrock
    x0 = np.array([-1.5, 2.0])
    paths = {}
    path_rows = []
    for method, lr, opts in _DEMO_PATHS:
        res = minimize(f, x0, jac=f.grad, method=method, lr=lr, max_iter=args.steps, gtol=1e-6, **opts)
        paths[f"{method} (lr={lr:g})"] = res
        path_rows.append((method, lr, res.nit, float(res.fun), float(np.linalg.norm(res.x - 1.0))))
    print(f"\nminimize(rosenbrock, x0={x0.tolist()}), at most {args.steps} steps; the minimum is f(1, 1) = 0:")
    print(table(["method", "lr", "steps", "f(x)", "|x - x*|"], path_rows))

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
