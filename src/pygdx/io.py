"""Reading training data from files: CSV with a header row, .npy and .npz.

No pandas needed. Every problem with a file (missing, empty, unknown column, a cell that
is not a number, NaN or inf) raises :class:`DataError` with one line that names the
problem, where it is, and how to fix it; the command line prints that line.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DataError", "Table", "load_table"]


class DataError(ValueError):
    """A data file that cannot be used as it is; the message says why and what to do."""


@dataclass
class Table:
    """Features, an optional target, and their names."""

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None
    source: str = ""
    notes: list[str] = field(default_factory=list)


def _check_finite(X: np.ndarray, names: list[str], source: str) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{source}: column {names[col]!r} has {X[row, col]} at data row {row + 1} "
            f"({int(bad.sum())} non-finite value(s) in all); drop or impute those rows first"
        )


def _parse_number(cell: str) -> float:
    text = cell.strip()
    if text == "" or text.lower() in ("na", "nan", "null", "none"):
        return math.nan
    return float(text)


def _load_csv(path: str, target: str | None, numeric_target: bool, columns: list[str] | None) -> Table:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        sample = fh.read(65536)
        if not sample.strip():
            raise DataError(f"{path}: the file is empty; it needs a header row and at least one data row")
        fh.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(fh, dialect)
        header = next(reader)
        rows = [r for r in reader if any(c.strip() for c in r)]
    header = [h.strip() for h in header]
    if not rows:
        raise DataError(f"{path}: the file has a header row but no data rows")
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise DataError(f"{path}: the header repeats column name(s) {dup}; column names must be unique")
    for i, r in enumerate(rows):
        if len(r) != len(header):
            raise DataError(
                f"{path}: data row {i + 1} has {len(r)} cells but the header has {len(header)}; "
                "every row needs one cell per column"
            )
    target_index = None
    if target is not None:
        if target not in header:
            raise DataError(f"{path}: no column named {target!r}; the columns are {header}")
        target_index = header.index(target)
    if columns is not None:
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError(f"{path}: needs column(s) {missing}, which the file does not have; its columns are {header}")
        feature_cols = [header.index(c) for c in columns]
    else:
        feature_cols = [j for j in range(len(header)) if j != target_index]
    if not feature_cols:
        raise DataError(f"{path}: there are no feature columns besides the target {target!r}")
    X = np.empty((len(rows), len(feature_cols)), dtype=np.float64)
    for i, r in enumerate(rows):
        for k, j in enumerate(feature_cols):
            try:
                X[i, k] = _parse_number(r[j])
            except ValueError:
                raise DataError(
                    f"{path}: column {header[j]!r}, data row {i + 1} holds {r[j]!r}, which is not a number; "
                    "features must be numeric (encode categories as numbers first)"
                ) from None
    names = [header[j] for j in feature_cols]
    _check_finite(X, names, path)
    y = None
    if target_index is not None:
        raw = [r[target_index].strip() for r in rows]
        if any(c == "" for c in raw):
            row = next(i for i, c in enumerate(raw) if c == "")
            raise DataError(f"{path}: the target {target!r} is empty at data row {row + 1}; every row needs a target")
        try:
            y = np.array([float(c) for c in raw])
        except ValueError:
            if numeric_target:
                bad = next(c for c in raw if not _is_number(c))
                raise DataError(
                    f"{path}: the target {target!r} holds {bad!r}, which is not a number; "
                    "regression needs a numeric target (use --task classification for labels)"
                ) from None
            y = np.array(raw, dtype=object).astype(str)
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            row = int(np.argwhere(~np.isfinite(y))[0][0])
            raise DataError(f"{path}: the target {target!r} is {y[row]} at data row {row + 1}; drop those rows first")
    return Table(X, y, names, target, path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_index(spec: str, n_cols: int, path: str) -> int:
    try:
        j = int(spec)
    except ValueError:
        raise DataError(f"{path}: a .npy array has no column names; give --target as a column number") from None
    if not -n_cols <= j < n_cols:
        raise DataError(f"{path}: column {j} does not exist; the array has {n_cols} columns (0 .. {n_cols - 1})")
    return j % n_cols


def _numeric_2d(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{what} has dtype {arr.dtype}; it must hold numbers")
    if arr.ndim != 2:
        raise DataError(f"{what} has shape {arr.shape}; it must be 2-D (samples x features)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{what} is empty (shape {arr.shape})")
    return arr


def _load_npy(path: str, target: str | None) -> Table:
    arr = _numeric_2d(np.load(path, allow_pickle=False, mmap_mode="r"), path)
    n_cols = arr.shape[1]
    names = [str(j) for j in range(n_cols)]
    if target is None:
        X = np.ascontiguousarray(arr, dtype=np.float64) if arr.dtype.kind != "f" else arr
        _check_finite(np.asarray(X), names, path)
        return Table(X, None, names, None, path)
    j = _column_index(target, n_cols, path)
    cols = [k for k in range(n_cols) if k != j]
    if not cols:
        raise DataError(f"{path}: there are no feature columns besides the target column {j}")
    X = np.ascontiguousarray(arr[:, cols], dtype=np.float64)
    y = np.asarray(arr[:, j], dtype=np.float64)
    names = [names[k] for k in cols]
    _check_finite(X, names, path)
    if not np.isfinite(y).all():
        raise DataError(f"{path}: the target column {j} holds NaN or inf; drop those rows first")
    return Table(X, y, names, str(j), path)


def _load_npz(path: str, target: str | None) -> Table:
    with np.load(path, allow_pickle=False) as data:
        keys = list(data.keys())
        x_key = "X" if "X" in keys else ("x" if "x" in keys else None)
        if x_key is None:
            raise DataError(f"{path}: an .npz file needs an array named 'X' (features); it has {keys}")
        X = _numeric_2d(np.asarray(data[x_key]), f"{path}['{x_key}']")
        y_key = target if target is not None else ("y" if "y" in keys else None)
        y = None
        if y_key is not None:
            if y_key not in keys:
                raise DataError(f"{path}: no array named {y_key!r}; the arrays are {keys}")
            y = np.asarray(data[y_key])
            if y.ndim != 1 or y.shape[0] != X.shape[0]:
                raise DataError(
                    f"{path}: target {y_key!r} has shape {y.shape}; it needs one value per row of X ({X.shape[0]})"
                )
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise DataError(f"{path}: the target {y_key!r} holds NaN or inf; drop those rows first")
        names_arr = data["feature_names"] if "feature_names" in keys else None
    names = [str(n) for n in names_arr] if names_arr is not None else [str(j) for j in range(X.shape[1])]
    X = np.ascontiguousarray(X, dtype=np.float64) if X.dtype.kind != "f" else np.ascontiguousarray(X)
    _check_finite(X, names, path)
    return Table(X, y, names, y_key, path)


def load_table(
    path: str | os.PathLike,
    target: str | None = None,
    *,
    numeric_target: bool = False,
    columns: list[str] | None = None,
) -> Table:
    """Load features (and the target column, if named) from a CSV, .npy or .npz file.

    - CSV: a header row; ``target`` is a column name. Empty cells and NA/NaN are refused.
    - .npy: a 2-D numeric array (memory-mapped, not read whole); ``target`` is a column number.
    - .npz: arrays ``X`` and ``y`` (or ``target`` names the target array), optional
      ``feature_names``.

    ``numeric_target``: refuse a non-numeric target (regression) instead of reading labels.
    ``columns``: for CSV, read exactly these feature columns, in this order (the others,
    a target among them, are not parsed).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; check the path (the current folder is {os.getcwd()})")
    if os.path.isdir(path):
        raise DataError(f"{path} is a folder; give the data file inside it")
    ext = os.path.splitext(path)[1].lower()
    if os.path.getsize(path) == 0:
        raise DataError(f"{path}: the file is empty")
    try:
        if ext == ".npy":
            return _load_npy(path, target)
        if ext == ".npz":
            return _load_npz(path, target)
        if ext in (".csv", ".tsv", ".txt", ""):
            return _load_csv(path, target, numeric_target, columns)
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: cannot be read as {ext or 'CSV'} data ({exc})") from None
    raise DataError(f"{path}: unknown file type {ext!r}; use .csv (with a header row), .npy or .npz")
