"""Reading training data from files: CSV with a header row, .npy and .npz, and sparse data:
svmlight / libsvm text and SciPy sparse .npz.

:func:`read_csv` reads a CSV file as it is (a pandas DataFrame: text, numbers, missing
cells), for :class:`pygdx.prepare.TablePreparer` to turn into numbers; :func:`load_table`
reads files that already hold only numbers. Every problem with a file (missing, empty,
undecodable, ragged, an unknown column) raises :class:`DataError` with one line that names
the problem, where it is, and how to fix it; the command line prints that line.

CSV files are parsed by pandas (``pip install "pygdx[cli]"``): its C parser reads the
327,346-row flights file in about 0.3 s, understands quoted cells with delimiters and line
breaks, a byte-order mark, any Python encoding and the usual spellings of a missing cell
(NA, empty, NaN, null, None).

svmlight / libsvm files (:func:`load_svmlight`) are parsed by the compiled core, block by
block with the GIL released, at hundreds of MB/s on one core; :func:`load_npz` reads what
``scipy.sparse.save_npz`` wrote. Both give a SciPy CSR matrix (``pip install
"pygdx[sparse]"``); :func:`file_kind` tells from a file's name (and, for ``.txt``, its first
lines) which reader it needs.
"""

from __future__ import annotations

import codecs
import importlib
import csv
import io
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DataError", "Table", "load_table", "read_csv", "load_svmlight", "load_npz", "file_kind"]

_SNIFF_BYTES = 1 << 16
_ENCODING_HINT = ("pass the file's encoding with --encoding (latin-1 and cp1252 are the usual ones for files "
                  "saved by Excel or older Windows programs), or re-save the file as UTF-8")


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


def _check_file(path: str, needs: str = "a header row and at least one data row") -> None:
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; check the path (the current folder is {os.getcwd()})")
    if os.path.isdir(path):
        raise DataError(f"{path} is a folder; give the data file inside it")
    if os.path.getsize(path) == 0:
        raise DataError(f"{path}: the file is empty; it needs {needs}")


# compressed CSV files are read as they are (pandas infers the compression from the name)
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


def _decoded_sample(path: str, encoding: str) -> str:
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}; give a Python codec name such as utf-8, latin-1 or "
                        "cp1252") from None
    module = _COMPRESSED.get(os.path.splitext(path)[1].lower())
    opener = importlib.import_module(module).open if module else open
    with opener(path, "rb") as fh:
        raw = fh.read(_SNIFF_BYTES)
    try:
        return decoder.decode(raw, final=len(raw) < _SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not readable as {encoding} (byte {raw[exc.start]:#04x} at byte {exc.start}); "
                        + _ENCODING_HINT) from None


def file_kind(path: str | os.PathLike) -> str:
    """Which reader a data file needs: ``"svmlight"`` (.svm, .svmlight, .libsvm, possibly
    compressed, or a .txt file whose first lines are svmlight lines), ``"sparse-npz"`` (an
    .npz written by ``scipy.sparse.save_npz``), ``"npz"``, ``"npy"`` or ``"csv"``; ``""``
    for a name none of them reads."""
    from ._svmlight import is_svmlight_name, looks_like_svmlight

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if is_svmlight_name(path):
        return "svmlight"
    if ext in (".npy", ".npz"):
        return "sparse-npz" if ext == ".npz" and is_sparse_npz(path) else ext[1:]
    if is_csv_name(path):
        stem = path.lower()
        if os.path.splitext(stem)[1] in _COMPRESSED:
            stem = os.path.splitext(stem)[0]
        if stem.endswith(".txt") and os.path.isfile(path) and looks_like_svmlight(path):
            return "svmlight"
        return "csv"
    return ""


def is_sparse_npz(path: str) -> bool:
    """Whether an .npz file holds a matrix written by ``scipy.sparse.save_npz`` (it has a
    ``format`` entry and the arrays of that format), not named arrays such as X and y."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return {"format.npy", "shape.npy"} <= names and ("indptr.npy" in names or "row.npy" in names
                                                     or "offsets.npy" in names)


def load_svmlight(path: str | os.PathLike | Any, *, n_features: int | None = None, dtype: Any = np.float64,
                  zero_based: bool | str = "auto", query_id: bool = False) -> tuple:
    """A svmlight / libsvm file as ``(X, y)``, or ``(X, y, qid)`` with ``query_id=True``, as
    scikit-learn's ``load_svmlight_file`` reads it (the same arrays, checked in the tests).

    ``X`` is a ``scipy.sparse.csr_matrix`` of ``dtype`` (float32 or float64) whose arrays the
    parser made (no copy), indices int32 unless the width or the number of values needs
    int64; ``y`` the labels as float64 (``+1``/``-1`` included). Each line is ``label
    [qid:Q] index:value ...``; ``#`` starts a comment; blank lines and CRLF line ends are
    fine; files ending in .gz, .bz2 or .xz are decompressed on the way. ``path`` may also be
    a binary file object.

    ``zero_based``: False for indices counted from 1 (libsvm's convention), True from 0;
    ``"auto"`` (default) takes them as one-based unless some index is 0, as scikit-learn
    does; pass the value explicitly for files that are parts of one data set, or their
    columns may disagree. ``n_features``: the width, at least the largest index + 1 (a file
    omits trailing columns that are all zero in it, so a test file may need the training
    file's width). ``query_id``: return the ``qid:`` values too (one per line, every line
    must have one); without it they are checked and ignored.

    A malformed file (a token that is not a number or ``index:value``, an index that is
    negative, 0 in a one-based file, not increasing along its line, or above 2^40; a
    non-finite value; binary junk; no data line at all) raises :class:`DataError` naming the
    line and the token.
    """
    from ._optional import require
    from ._svmlight import parse_svmlight

    sp = require("scipy.sparse", "sparse", "reading svmlight files into sparse matrices")
    if not hasattr(path, "read"):
        path = os.fspath(path)
        if not os.path.isdir(path):
            _check_file(path, "a line of data")
    arrays = parse_svmlight(path, n_features=n_features, dtype=dtype, zero_based=zero_based, query_id=query_id)
    X = sp.csr_matrix((arrays.data, arrays.indices, arrays.indptr), shape=arrays.shape, copy=False)
    return (X, arrays.y, arrays.qid) if query_id else (X, arrays.y)


_SPARSE_DTYPES = "biuf"


def load_npz(path: str | os.PathLike) -> Any:
    """A sparse matrix written by ``scipy.sparse.save_npz``, as a ``scipy.sparse.csr_matrix``.

    Other formats (CSC, COO, ...) are converted to CSR once; integer or boolean values become
    float64, float32 and float64 stay as they are. The file is checked throughout (no
    pickle; indices inside the shape, increasing pointers, finite values): a damaged one
    raises :class:`DataError`. Such a file holds X only: its target comes from elsewhere.
    """
    from ._optional import require

    sp = require("scipy.sparse", "sparse", "reading sparse .npz files")
    path = os.fspath(path)
    _check_file(path, "a sparse matrix")
    if not is_sparse_npz(path):
        raise DataError(f"{path}: not a sparse matrix written by scipy.sparse.save_npz (it has no 'format' and "
                        "'indptr' arrays); .npz files of named arrays X and y are read by load_table")
    try:
        X = sp.load_npz(path)
        X = X.tocsr() if X.format != "csr" else X
        if X.dtype.kind not in _SPARSE_DTYPES:
            raise DataError(f"{path}: the matrix has dtype {X.dtype}; it must hold real numbers")
        if X.dtype.kind != "f":
            X = X.astype(np.float64)
        X.check_format(full_check=True)
    except DataError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot be read as a sparse matrix ({str(exc)[:200]}); the file is damaged or "
                        "was not written by scipy.sparse.save_npz") from None
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"{path}: the matrix is empty (shape {X.shape})")
    if not np.isfinite(X.data).all():
        k = int(np.flatnonzero(~np.isfinite(X.data))[0])
        row = int(np.searchsorted(X.indptr, k, side="right")) - 1
        raise DataError(f"{path}: row {row} holds {X.data[k]} in column {int(X.indices[k])}; drop or fix those "
                        "values first")
    return X


def is_csv_name(path: str) -> bool:
    """A name that says CSV: .csv, .tsv, .txt or none, possibly compressed (.csv.gz)."""
    stem, ext = os.path.splitext(path.lower())
    if ext in _COMPRESSED:
        ext = os.path.splitext(stem)[1]
    return ext in (".csv", ".tsv", ".txt", "")


class _AlignedColumns(csv.excel):
    """Columns aligned with runs of spaces (as numpy.savetxt and Fortran programs write them),
    which the sniffer cannot name because the runs differ in length."""

    delimiter = " "
    skipinitialspace = True


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t| ")
    except csv.Error:
        lines = [line for line in sample.splitlines()[:-1] if line.strip()] or sample.splitlines()
        widths = {len(line.split()) for line in lines}
        if len(widths) == 1 and widths != {1} and not any(c in sample for c in ",;\t|"):
            return _AlignedColumns
        return csv.excel


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cells(line: str, dialect: type[csv.Dialect] | csv.Dialect) -> list[str]:
    if dialect.delimiter == " ":
        return line.split()
    return next(csv.reader([line], dialect), [])


def _leading_comments(sample: str) -> int:
    """How many lines at the top of a CSV sample are comments to skip: lines starting with
    ``#`` (as in matplotlib's Stocks.csv, ``# Data source: ...``) before the header, each with
    fewer cells than the line after them. A first line ``#id,name`` followed by rows of as
    many cells is a header whose first column is named ``#id``, and is kept."""
    lines = sample.splitlines()
    k = 0
    while k < len(lines) and lines[k].lstrip().startswith("#"):
        k += 1
    if k == 0 or k == len(lines):
        return 0
    dialect = _dialect("\n".join(lines[k:]))
    width = len(_cells(lines[k], dialect))
    return k if all(len(_cells(line, dialect)) < width for line in lines[:k]) else 0


def read_csv(path: str | os.PathLike, *, encoding: str | None = None, columns: list[str] | None = None):
    """A CSV file with a header row as a pandas DataFrame, read as it is.

    The delimiter (comma, semicolon, tab, bar or spaces) and quote character are detected; cells
    may be quoted and hold delimiters and line breaks. ``encoding``: the file's text
    encoding (default UTF-8, with or without a byte-order mark). ``columns``: read only
    these columns (each must exist). Column names are stripped of spaces; an empty
    header stays ``""``. A row with fewer cells than the header is filled with missing
    cells; one with more is an error. Comment lines starting with ``#`` above the header
    (a data source, a licence) are skipped; how many is in
    ``frame.attrs["comment_lines"]``. A ``#`` further down is data. A file whose first line
    holds only numbers has no header row: its columns are named ``"0"``, ``"1"``, ... by
    position, and ``frame.attrs["header"]`` is False.
    """
    from ._optional import require

    pd = require("pandas", "cli", "reading CSV files")
    path = os.fspath(path)
    _check_file(path)
    encoding = encoding or "utf-8-sig"
    sample = _decoded_sample(path, encoding)
    if not sample.strip():
        raise DataError(f"{path}: the file is empty; it needs a header row and at least one data row")
    comment_lines = _leading_comments(sample)
    if comment_lines:
        sample = "\n".join(sample.splitlines()[comment_lines:])
    dialect = _dialect(sample)
    if dialect.delimiter == " ":
        header = sample.lstrip().splitlines()[0].split()
    else:
        header = [h.strip() for h in next(csv.reader(io.StringIO(sample), dialect), [])]
    # a first line of numbers only is data: the file has no header row, and its columns are
    # named by position, as the columns of a .npy file are
    has_header = not all(_is_number(h) for h in header)
    if not has_header:
        header = [str(j) for j in range(len(header))]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise DataError(f"{path}: the header repeats column name(s) {dup}; column names must be unique (a file "
                        "needs a header row of names as its first line)")
    if columns is not None:
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError(f"{path}: needs column(s) {missing}, which the file does not have; its columns are "
                            f"{header}")
    try:
        # cells separated by spaces may be aligned with several
        sep = r"\s+" if dialect.delimiter == " " else dialect.delimiter
        frame = pd.read_csv(path, sep=sep, quotechar=dialect.quotechar or '"',
                            skipinitialspace=bool(dialect.skipinitialspace), header=0 if has_header else None,
                            names=header,
                            usecols=columns, encoding=encoding, low_memory=False, skip_blank_lines=True,
                            skiprows=comment_lines)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not readable as {encoding} ({exc.reason} at byte {exc.start} of a block); "
                        + _ENCODING_HINT) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().replace("Error tokenizing data. C error: ", "")
        raise DataError(f"{path}: {detail}; every row needs one cell per column (quote cells that hold the "
                        f"delimiter {dialect.delimiter!r})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file has no columns; it needs a header row and data rows") from None
    if len(frame) == 0:
        raise DataError(f"{path}: the file has a header row but no data rows")
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas makes the extra leading cells of rows longer than the header an index
        raise DataError(f"{path}: the data rows have more cells than the header has names ({len(header)}); "
                        "every row needs one cell per column")
    frame.attrs["comment_lines"] = comment_lines
    frame.attrs["header"] = has_header
    return frame


def _numbers(column, path: str, name: str):
    """A numeric column as float64; the first cell that is not a number is an error."""
    from ._optional import require

    pd = require("pandas", "cli", "reading CSV files")
    is_bool = pd.api.types.is_bool_dtype(column.dtype)
    if pd.api.types.is_numeric_dtype(column.dtype) and not is_bool:
        return column.to_numpy(np.float64, na_value=np.nan)
    numbers = pd.to_numeric(column, errors="coerce") if not is_bool else pd.Series(np.nan, index=column.index)
    bad = np.flatnonzero((numbers.isna() & column.notna()).to_numpy())
    if len(bad):
        raise DataError(
            f"{path}: column {name!r}, data row {bad[0] + 1} holds {str(column.iloc[bad[0]])!r}, which is not a "
            "number; load_table reads numbers only (pygdx fit and pygdx.prepare.TablePreparer encode text, "
            "dates and true/false)"
        )
    return numbers.to_numpy(np.float64, na_value=np.nan)


def _load_csv(path: str, target: str | None, numeric_target: bool, columns: list[str] | None) -> Table:
    wanted = None if columns is None else [*columns, *([target] if target is not None else [])]
    frame = read_csv(path, columns=wanted)
    header = [str(c) for c in frame.columns]
    if target is not None and target not in header:
        raise DataError(f"{path}: no column named {target!r}; the columns are {header}")
    names = list(columns) if columns is not None else [c for c in header if c != target]
    if not names:
        raise DataError(f"{path}: there are no feature columns besides the target {target!r}")
    X = np.empty((len(frame), len(names)), dtype=np.float64)
    for k, name in enumerate(names):
        X[:, k] = _numbers(frame[name], path, name)
    _check_finite(X, names, path)
    if target is None:
        return Table(X, None, names, None, path)
    column = frame[target]
    if column.isna().any():
        row = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise DataError(f"{path}: the target {target!r} is empty at data row {row + 1}; every row needs a target")
    try:
        y = _numbers(column, path, target)
    except DataError:
        if numeric_target:
            raise DataError(f"{path}: the target {target!r} holds text, which is not a number; regression needs a "
                            "numeric target (use --task classification for labels)") from None
        y = column.astype(str).to_numpy().astype(str)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        row = int(np.argwhere(~np.isfinite(y))[0][0])
        raise DataError(f"{path}: the target {target!r} is {y[row]} at data row {row + 1}; drop those rows first")
    return Table(X, y, names, target, path)


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
    # np.load leaves its file open when the zip is damaged: this `with` closes it
    with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
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

    - CSV: a header row; ``target`` is a column name; every cell a number (empty cells, NA
      and text are refused: :class:`pygdx.prepare.TablePreparer` handles those).
    - .npy: a 2-D numeric array (memory-mapped, not read whole); ``target`` is a column number.
    - .npz: arrays ``X`` and ``y`` (or ``target`` names the target array), optional
      ``feature_names``.

    ``numeric_target``: refuse a non-numeric target (regression) instead of reading labels.
    ``columns``: for CSV, read exactly these feature columns, in this order (the others,
    a target among them, are not parsed).
    """
    path = os.fspath(path)
    _check_file(path)
    ext = os.path.splitext(path)[1].lower()
    kind = file_kind(path)
    if kind in ("svmlight", "sparse-npz"):
        reader = "load_svmlight" if kind == "svmlight" else "load_npz"
        raise DataError(f"{path}: holds sparse data ({kind}); read it with pygdx.io.{reader}")
    try:
        if ext == ".npy":
            return _load_npy(path, target)
        if ext == ".npz":
            return _load_npz(path, target)
        if is_csv_name(path):
            return _load_csv(path, target, numeric_target, columns)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: cannot be read as {ext or 'CSV'} data ({exc})") from None
    raise DataError(f"{path}: unknown file type {ext!r}; use .csv (with a header row, or .csv.gz), .npy or .npz")
