"""Reading the data files of ``pygdx fit`` and ``pygdx predict``: CSV tables (prepared by
:class:`pygdx.prepare.TablePreparer`), .npy / .npz arrays (standardised), and sparse
svmlight / libsvm and SciPy .npz matrices (used as they are)."""

from __future__ import annotations

import argparse
import time
from typing import Any, Sequence

import numpy as np

from ._cli_common import CLIError
from ._optional import require


def guess_task(y: np.ndarray) -> str:
    """Labels that are text, or few distinct integers, mean classification."""
    if y.dtype.kind not in "biuf":
        return "classification"
    values = np.unique(y)
    integral = bool(np.all(np.equal(np.mod(values, 1), 0)))
    if integral and len(values) <= max(2, min(20, len(y) // 5)):
        return "classification"
    return "regression"


def split_rows(n: int, fraction: float, seed: int) -> tuple[np.ndarray, int]:
    """The rows in the order training rows first, then validation rows (each in file
    order), and how many train: the data is prepared in this order, so that the training
    rows are one slice of it, given to fit without a copy."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction))
    if n_val == n:
        raise CLIError("no rows left to train on after the validation split; lower --validation-split")
    return np.concatenate([np.sort(order[n_val:]), np.sort(order[:n_val])]), n - n_val


def is_csv(path: str) -> bool:
    from .io import is_csv_name

    return is_csv_name(path)


def column_list(values: Sequence[str] | None) -> list[str] | None:
    """--features / --drop: repeated, or comma-separated."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def numeric_target(column: Any) -> tuple[np.ndarray | None, str]:
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


def csv_target(frame: Any, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """(target values, rows that have one, task); prints what was decided."""
    name = args.target
    column = frame[name]
    if column.isna().all():
        raise CLIError(f"{args.data}: the target {name!r} has no value in any row")
    numbers, label = numeric_target(column)
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
    task = guess_task(y) if args.task == "auto" else args.task
    if task == "classification" and y.dtype.kind == "f" and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    what = "numbers" if numbers is not None else "labels"
    why = "chosen with --task" if args.task != "auto" else "guessed; --task overrides"
    line = f"target {name!r}: {what}, {len(np.unique(y))} distinct -> {task} ({why})"
    if n_dropped:
        line += f"; {n_dropped} row(s) with no target dropped, {int(keep.sum())} left"
    print(line)
    return y, keep, task


def print_decisions(decisions: list[str]) -> None:
    plain = [d for d in decisions if d.endswith(": numbers")]
    for line in decisions:
        if line not in plain:
            print(line)
    if plain:
        names = ", ".join(d.split(": ")[0][len("column "):] for d in plain)
        print(f"{len(plain)} column(s) of numbers used as they are: {names}")


def prepared_csv(args: argparse.Namespace) -> tuple[Any, np.ndarray, np.ndarray, int, str, list[str]]:
    """Read and prepare a CSV: (preparer, X, y, training rows, task, feature names), the
    training rows first."""
    from .io import read_csv
    from .prepare import TablePreparer

    features, drop = column_list(args.features), column_list(args.drop) or []
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
    skipped = frame.attrs.get("comment_lines", 0)
    print(f"{args.data}: {len(frame)} rows x {len(columns)} columns (read in {time.perf_counter() - start:.2f} s)"
          + (f"; {skipped} comment line(s) starting with '#' above the header skipped" if skipped else ""))
    if not frame.attrs.get("header", True):
        print(f"no header row (the first line holds numbers only): the columns are named by position, "
              f"0 .. {len(columns) - 1}")
    if len(columns) == 1:
        raise CLIError(f"{args.data}: there are no feature columns besides the target {args.target!r}")
    y, keep, task = csv_target(frame, args)
    table = frame.drop(columns=[args.target])
    order, n_train = split_rows(len(y), args.validation_split, args.seed)
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
    print_decisions(preparer.decisions_)
    names = [str(n) for n in preparer.get_feature_names_out()]
    print(f"features: {len(names)} from {len(preparer.input_columns_)} column(s), prepared in "
          f"{time.perf_counter() - start:.2f} s (--features / --drop choose the columns)")
    return preparer, X, y, n_train, task, names


def prepared_arrays(args: argparse.Namespace) -> tuple[Any, np.ndarray, np.ndarray, int, str, list[str]]:
    """Read a .npy / .npz file: numbers only, standardised on the training rows."""
    from .io import load_table

    table = load_table(args.data, args.target, numeric_target=args.task == "regression")
    if table.y is None:
        raise CLIError(f"{args.data}: name the target array with --target NAME (or store it as 'y')")
    X, y = table.X, table.y
    task = guess_task(y) if args.task == "auto" else args.task
    order, n_train = split_rows(X.shape[0], args.validation_split, args.seed)
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


SPARSE_KINDS = ("svmlight", "sparse-npz")
_INDEX_BASES = {"auto": "auto", "0": True, "1": False}


def data_kind(path: str) -> str:
    """The reader ``path`` needs (see :func:`pygdx.io.file_kind`), or a CLIError naming those there are."""
    from .io import file_kind

    kind = file_kind(path)
    if not kind:
        raise CLIError(f"{path}: unknown file type; use CSV (.csv, .tsv, .txt, also .gz), .npy, .npz, or svmlight "
                       "(.svm, .svmlight, .libsvm, or a .txt of svmlight lines)")
    return kind


def read_target_file(path: str, n_rows: int) -> tuple[np.ndarray, str | None]:
    """--target-file: one value per row, from a .npy array or a text file with one value per
    line (a first line that is not a number is the target's name, as pygdx predict writes)."""
    from .io import _check_file

    _check_file(path, "one target value per line")
    if path.lower().endswith(".npy"):
        y = np.load(path, allow_pickle=False)
        name = None
    else:
        with open(path, encoding="utf-8-sig") as fh:
            cells = [line.strip() for line in fh if line.strip()]
        name = None
        if cells:
            try:
                float(cells[0])
            except ValueError:
                name, cells = cells[0], cells[1:]
        y = np.array(cells, dtype=str)
        try:
            y = y.astype(np.float64)
        except ValueError:
            pass
    if y.ndim != 1 or y.dtype.kind not in "biufU":
        raise CLIError(f"{path}: the target must be one column of numbers or labels, got shape {y.shape} and dtype "
                       f"{y.dtype}")
    if len(y) != n_rows:
        raise CLIError(f"{path}: holds {len(y)} target values but the data has {n_rows} rows; give one per row, "
                       "in the data's order")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise CLIError(f"{path}: the target holds NaN or inf at row {int(np.flatnonzero(~np.isfinite(y))[0])}; "
                       "drop those rows first")
    return y, name


def read_sparse(path: str, kind: str, zero_based: Any = "auto") -> tuple[Any, np.ndarray | None, bool]:
    """(X as CSR, the labels an svmlight file holds or None, whether its indices were one-based)."""
    from ._svmlight import parse_svmlight
    from .io import load_npz

    sp = require("scipy.sparse", "sparse", "reading sparse data files")
    if kind == "sparse-npz":
        return load_npz(path), None, False
    from .io import _check_file

    _check_file(path, "a line of data")
    arrays = parse_svmlight(path, zero_based=zero_based)
    X = sp.csr_matrix((arrays.data, arrays.indices, arrays.indptr), shape=arrays.shape, copy=False)
    return X, arrays.y, arrays.one_based


def prepared_sparse(args: argparse.Namespace) -> tuple[Any, Any, np.ndarray, int, str, list[str]]:
    """Read an svmlight file (labels inside) or a SciPy .npz (target from --target-file):
    (SparseInput, X in training-rows-first order, y, training rows, task, no names).
    Sparse rows are used as they are: centring would fill every zero, and scaling columns
    by their spread would blow up the rare words of text."""
    from .modelfile import SparseInput

    start = time.perf_counter()
    X, labels, one_based = read_sparse(args.data, args.kind, _INDEX_BASES[args.index_base])
    name = args.target
    if labels is None:
        if args.target_file is None:
            raise CLIError(f"{args.data}: a sparse .npz holds X only; give the target with --target-file FILE (a "
                           ".npy array or a text file of one value per line, one per row)")
        labels, name = read_target_file(args.target_file, X.shape[0])
    kind = "svmlight" if args.kind == "svmlight" else "sparse .npz"
    print(f"{args.data}: {X.shape[0]} rows x {X.shape[1]} features, {X.nnz} non-zeros ({kind}, read in "
          f"{time.perf_counter() - start:.2f} s); used as they are (sparse data is not standardised)")
    task = guess_task(labels) if args.task == "auto" else args.task
    if task == "regression" and labels.dtype.kind not in "biuf":
        raise CLIError(f"{args.target_file}: the target holds labels, not numbers; regression needs numbers (use "
                       "--task classification)")
    if task == "classification" and labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    why = "chosen with --task" if args.task != "auto" else "guessed; --task overrides"
    print(f"target: {len(np.unique(labels))} distinct values -> {task} ({why})")
    order, n_train = split_rows(X.shape[0], args.validation_split, args.seed)
    if n_train < X.shape[0]:
        X, labels = X[order], labels[order]  # one copy, so that the training rows are one slice
    args.target = name or "label"
    return SparseInput(int(X.shape[1]), one_based), X, labels, n_train, task, []


def sparse_rows_for(model: Any, path: str) -> Any:
    """The rows of a sparse file in the columns of a model trained on sparse rows: an
    svmlight file is read with the training file's index base; fewer columns are padded
    (a file omits trailing columns that are zero in all its rows), more are an error."""
    sp = require("scipy.sparse", "sparse", "reading sparse data files")
    kind = data_kind(path)
    if kind not in SPARSE_KINDS:
        raise CLIError(f"{path}: this model was trained on sparse rows (svmlight or SciPy .npz); predict on a file "
                       "of that kind")
    X, _, _ = read_sparse(path, kind, not model.sparse_input.one_based)
    want = model.sparse_input.n_features
    if X.shape[1] > want:
        raise CLIError(f"{path}: has {X.shape[1]} feature columns but the model was trained on {want}; features "
                       "past those the model knows have no weight")
    if X.shape[1] < want:
        X = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], want), copy=False)
    return X
