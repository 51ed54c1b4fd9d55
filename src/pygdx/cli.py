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
from typing import NoReturn, Sequence

import numpy as np

from . import __version__
from ._cli_common import CLIError, table
from ._cli_data import SPARSE_KINDS, data_kind, is_csv, prepared_arrays, prepared_csv, prepared_sparse, sparse_rows_for
from ._cli_demo import cmd_demo
from ._files import replace_atomically
from .io import DataError

__all__ = ["main", "CLIError"]


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
    if not is_csv(args.data) and (args.features or args.drop):
        raise CLIError(f"--features and --drop choose columns of a CSV file; {args.data} has none")


def _check_targets(args: argparse.Namespace) -> None:
    """Where the target comes from: a CSV column or .npy column (--target), an .npz array
    (--target or 'y'), the labels of an svmlight file, or --target-file for a SciPy .npz."""
    if args.kind == "svmlight":
        if args.target is not None or args.target_file is not None:
            raise CLIError(f"{args.data}: an svmlight file carries its labels (the first number of each line); "
                           "drop --target / --target-file")
        return
    if args.target_file is not None and args.kind != "sparse-npz":
        raise CLIError("--target-file gives the target of a SciPy sparse .npz, which holds X only; for "
                       f"{args.data} name the target with --target")
    if args.kind == "sparse-npz":
        if args.target is not None:
            raise CLIError(f"{args.data}: a sparse .npz holds X only; give the target with --target-file FILE")
        if args.target_file is None:
            raise CLIError(f"{args.data}: a sparse .npz holds X only; give the target with --target-file FILE (a "
                           ".npy array or a text file of one value per line, one per row)")
    elif args.target is None and args.kind != "npz":
        raise CLIError(f"{args.data}: name the column to predict with --target COLUMN")


def _cmd_fit(args: argparse.Namespace) -> int:
    from . import estimators
    from .io import _check_file
    from .modelfile import SavedModel, SparseInput, TrainingRecord, save_model

    _check_fit_options(args)
    lr = _make_lr(args)
    out_path = args.out
    plot_path = args.plot if args.plot is not None else os.path.splitext(out_path)[0] + "-loss.png"
    # Every check that needs no training comes first: a mistake costs no training time.
    args.kind = data_kind(args.data)
    _check_file(args.data, *(["a line of data"] if args.kind == "svmlight" else []))
    _check_targets(args)
    inputs = [args.data] + ([args.target_file] if args.target_file else [])
    _check_output(out_path, args.force, "--out path", inputs)
    if plot_path:
        _check_output(plot_path, args.force, "--plot path", [*inputs, out_path])
        if os.path.abspath(plot_path) == os.path.abspath(out_path):
            raise CLIError("--plot and --out name the same file; give them different names")

    prepare = {"csv": prepared_csv, "svmlight": prepared_sparse, "sparse-npz": prepared_sparse}.get(args.kind,
                                                                                                   prepared_arrays)
    preparation, Xs, y, n_train, task, feature_names = prepare(args)
    n_val = len(y) - n_train
    train, val = slice(0, n_train), slice(n_train, None)
    X_train = Xs[train] if n_val else Xs  # no copy of sparse rows when all of them train
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

    def saved(interrupted: bool) -> SavedModel:
        training = TrainingRecord(int(est.n_iter_), args.epochs, interrupted)
        if isinstance(preparation, SparseInput):
            return SavedModel(est, [], args.target, np.zeros(0), np.ones(0), task, y_mean, y_scale,
                              sparse_input=preparation, training=training)
        if isinstance(preparation, tuple):
            return SavedModel(est, feature_names, args.target, *preparation, task, y_mean, y_scale,
                              training=training)
        return SavedModel(est, feature_names, args.target, preparation.mean_, preparation.scale_, task, y_mean,
                          y_scale, preparation, training=training)

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X_train, y_fit[train])
        except KeyboardInterrupt:
            return _save_interrupted_fit(est, args.epochs, out_path, saved)
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
    rows = [("train", n_train, est.score(X_train, y_fit[train]))]
    if n_val >= 2 or (n_val and task == "classification"):
        rows.append(("validation", n_val, est.score(Xs[val], y_fit[val])))
    elif n_val:
        rows.append(("validation", n_val, "n/a (one row)"))
    unit = " (standardised target)" if task == "regression" and args.standardize else ""
    print(f"{task} on {args.data}: {n_train} training rows, {Xs.shape[1]} features, "
          f"{est.n_iter_} epochs in {elapsed:.2f} s, final loss{unit} {est.loss_curve_[-1]:.6g}")
    print(table(["data", "rows", metric], rows))
    save_model(out_path, saved(interrupted=False))
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


def _save_interrupted_fit(est: object, epochs: int, out_path: str, saved) -> int:
    """Ctrl-C during ``pygdx fit``: the estimator holds the model of its last completed
    epoch (pygdx._fitting), which an hour of training may have paid for, so it is saved
    where --out said (checked writable before training), marked as partial in the file
    (TrainingRecord), and the command ends as interrupted (status 130). No scores and no
    picture: the user asked to stop. A second Ctrl-C while saving leaves any old file whole."""
    from .modelfile import save_model

    done = int(getattr(est, "n_iter_", 0))
    if done == 0 or not hasattr(est, "coef_"):
        print("pygdx: interrupted before the first epoch ended; no model saved", file=sys.stderr)
        return 130
    save_model(out_path, saved(interrupted=True))
    print(f"pygdx: interrupted during epoch {done + 1} of {epochs}; the model of the {done} completed epoch(s) was "
          f"saved to {out_path}, marked in the file as partial ({done} of {epochs} epochs); it predicts, but may "
          "fit less well than a complete run", file=sys.stderr)
    return 130


def _write_predictions(path: str | None, target_name: str | list[str] | None, pred: np.ndarray) -> None:
    """One column of predictions headed by the target's name, or (a multi-output model, pred
    of shape (n, k)) k columns headed by the targets' names (prediction_0, ... without)."""
    if pred.ndim == 2:
        header = list(target_name) if target_name is not None else [f"prediction_{j}" for j in range(pred.shape[1])]
        rows = pred.tolist()
    else:
        header, rows = [target_name or "prediction"], ([v] for v in pred.tolist())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
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
    if model.training is not None and model.training.note():
        print(f"pygdx: note: {model.training.note()}", file=sys.stderr)
    if model.sparse_input is not None:
        X = sparse_rows_for(model, args.data)
    elif data_kind(args.data) in SPARSE_KINDS:
        raise CLIError(f"{args.data}: holds sparse rows, but this model was trained on "
                       f"{'a CSV table' if model.preparer is not None else 'a .npy/.npz array'}; predict on data "
                       "like its training data (train on sparse files to predict on them)")
    elif model.preparer is not None and is_csv(args.data):
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
        table = load_table(args.data, columns=model.feature_names if is_csv(args.data) else None)
        if table.X.shape[1] != len(model.feature_names):
            raise CLIError(
                f"{args.data}: has {table.X.shape[1]} feature columns but the model was trained on "
                f"{len(model.feature_names)}; pass the same feature columns, without the target"
            )
        X = model.transform(np.asarray(table.X, dtype=np.float64))
    _write_predictions(args.out, model.target_name, model.predict_prepared(X))
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
    print(table(["case", "size", "pygdx", "vs", "their time", "speed-up"], rows))
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
    demo.set_defaults(func=cmd_demo)

    fit = sub.add_parser("fit", help="train a linear model on a CSV, .npy, .npz or svmlight file")
    fit.add_argument("data", help="CSV with a header row, .npy (2-D), .npz (arrays X and y, or a SciPy sparse matrix "
                                  "saved by scipy.sparse.save_npz), or svmlight / libsvm text (.svm, .svmlight, "
                                  ".libsvm, or .txt of svmlight lines; also .gz, .bz2, .xz) whose labels are the target")
    fit.add_argument("--target", help="the column to predict (CSV: name; .npy: number; .npz: array name)")
    fit.add_argument("--target-file", metavar="FILE",
                     help="the target of a SciPy sparse .npz (which holds X only): a .npy array, or a text file with "
                          "one value per line (a first line that is not a number names it), one per row")
    fit.add_argument("--index-base", choices=("auto", "0", "1"), default="auto",
                     help="how an svmlight file counts features: 1 (libsvm), 0, or auto (1 unless some index is 0; "
                          "default); the model remembers it for predict")
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
    predict.add_argument("data", help="CSV, .npy or .npz with the same feature columns; for a model trained on sparse "
                                      "rows, an svmlight file (its labels are ignored; fewer feature columns than "
                                      "in training are padded with zeros) or a SciPy sparse .npz")
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
