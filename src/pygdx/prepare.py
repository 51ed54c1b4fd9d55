"""Turning a table as people store it into the float matrix a linear model trains on.

:class:`TablePreparer` is a scikit-learn-compatible transformer (``fit``, ``transform``,
``get_feature_names_out``; it works in a ``Pipeline``) that does what a careful data
scientist does by hand to a CSV, column by column, and says what it did
(``decisions_``, one line per column):

- numbers are used as they are; missing cells (NA, empty, NaN, null, inf) are filled with
  the column's mean, plus a 0/1 "was missing" indicator column when at least
  ``min_frequency`` cells are missing;
- numbers written as text (``"1,000"``, or a few placeholder cells such as ``"?"``) are
  read as numbers; ``TRUE``/``FALSE``, ``yes``/``no`` become 1/0;
- dates and date-times become days since 1970-01-01: ISO (``2012-01-31``), year first with
  slashes or dots (``2012/01/31 08:30``), and day or month first (``31/01/2012``) when the
  column shows which (a day above 12); when it does not, the column is dropped with a
  reason that says how to convert it (see ``pygdx._dates``);
- text categories are one-hot encoded: the ``max_levels`` most frequent levels seen in at
  least ``min_frequency`` rows get a column each, the rarer ones share an ``(other)``
  column, a missing cell is a ``(missing)`` level; a level never seen in ``fit`` counts as
  ``(other)`` (all zeros when fit saw no rare level);
- row names (an empty header, or integers counting up by one from 0 or 1), ID-like
  columns (a text of its own in most rows, or distinct integers under a name such as
  ``id``), columns with one value or no values are dropped;
- every output column is standardised to mean 0 and variance 1 (``standardize=True``).

Columns named in ``features`` are never dropped by these rules: naming a column is the
way to keep one that was dropped. Everything ``fit`` learns is plain numbers and text,
kept by :meth:`TablePreparer.to_config` / :meth:`TablePreparer.from_config`, which is how
a model file stores it without pickle.

pandas is needed (``pip install "pygdx[cli]"``); it is imported on first use.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from . import _dates
from ._column_specs import MISSING, OTHER, check_spec, describe, fmt
from ._optional import require

__all__ = ["TablePreparer"]

_TRUE = ("true", "t", "yes", "y")
_FALSE = ("false", "f", "no", "n")
_BOOL_PAIRS = [{"true", "false"}, {"t", "f"}, {"yes", "no"}, {"y", "n"}]
_NUMBER_WITH_COMMAS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ID_NAME = re.compile(r"(^|[\s_.-])(id|key|uuid|index)$", re.I)
# A text column is read as numbers when at least this share of its filled cells are
# numbers and the rest are at most this many distinct placeholders ("?", "-", "n/a").
_NUMERIC_SHARE, _MAX_PLACEHOLDERS = 0.9, 5


def _pandas() -> Any:
    return require("pandas", "cli", "pygdx.prepare")


def _as_frame(X: Any) -> Any:
    pd = _pandas()
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, dict):
        return pd.DataFrame(X)
    arr = np.asarray(X, dtype=object) if not hasattr(X, "dtype") else np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"TablePreparer needs a 2-D table (a DataFrame), got an array of shape {arr.shape}")
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _text_numbers(values: Any) -> Any:
    """Cells of a text column as floats (NaN where a cell is not a number); thousands
    separators (1,234,567.8) are understood."""
    pd = _pandas()
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    with_commas = text.str.match(_NUMBER_WITH_COMMAS.pattern)
    text = text.where(~with_commas, text.str.replace(",", "", regex=False))
    return pd.to_numeric(text, errors="coerce").astype(np.float64)


def _factorize(column: Any, memo: dict | None = None) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 for a missing cell) and the distinct cells, as text; kept in ``memo`` so
    that one column is hashed once per ``fit``."""
    if memo is not None and "factorized" in memo:
        return memo["factorized"]
    pd = _pandas()
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.asarray(uniques, dtype=object).tolist()
    result = np.asarray(codes), texts if all(type(t) is str for t in texts) else [str(t) for t in texts]
    if memo is not None:
        memo["factorized"] = result
    return result


def _is_running_number(values: np.ndarray) -> bool:
    """Row numbers: integers counting up by one from 0 or 1, in 10 rows or more (some rows
    may be left out, as in a training split, so the count may start a little later). A
    year or a time step counts up too, but not from 0 or 1."""
    if len(values) < 10 or not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        return False
    steps = np.diff(values)
    return bool(0 <= values[0] <= 3 and np.all(steps > 0) and np.median(steps) == 1)


class TablePreparer:
    """Prepare a table (a pandas DataFrame) for a linear model: encode, impute, scale.

    Parameters
    ----------
    features : list of str or None
        The columns to use (None: all of them, less ``drop`` and the rules' drops). A column
        named here is always used, whatever the rules would say.
    drop : list of str
        Columns never to use.
    max_levels : int
        One-hot columns per category at most (the most frequent levels).
    min_frequency : int
        A level needs this many rows for a column of its own; rarer ones are pooled.
    missing_indicators : bool
        Add a 0/1 column marking the filled cells of each number column that had at least
        ``min_frequency`` missing cells in ``fit``.
    standardize : bool
        Scale every output column to mean 0 and variance 1 (constant columns are only
        centred).

    Attributes
    ----------
    columns_ : list of dict
        What was learned for every input column (kind, fill value, levels, ...).
    decisions_ : list of str
        One line per column saying what was done with it.
    mean_, scale_ : ndarray
        The standardisation of the output columns.
    feature_names_in_, n_features_in_ : the input columns seen in ``fit``.
    """

    def __init__(self, features: list[str] | None = None, drop: tuple[str, ...] | list[str] = (), *,
                 max_levels: int = 20, min_frequency: int = 5, missing_indicators: bool = True,
                 standardize: bool = True) -> None:
        self.features = features
        self.drop = drop
        self.max_levels = max_levels
        self.min_frequency = min_frequency
        self.missing_indicators = missing_indicators
        self.standardize = standardize

    # --- scikit-learn's parameter protocol ------------------------------------------------
    _PARAMS = ("features", "drop", "max_levels", "min_frequency", "missing_indicators", "standardize")

    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> TablePreparer:
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(f"Invalid parameter {name!r} for TablePreparer; valid ones are {list(self._PARAMS)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != TablePreparer._DEFAULTS[k]]
        return f"TablePreparer({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False), transformer_tags=TransformerTags(),
                    input_tags=InputTags(allow_nan=True, string=True, categorical=True))

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "columns_")

    # --- fit --------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if isinstance(self.max_levels, bool) or not isinstance(self.max_levels, (int, np.integer)) \
                or self.max_levels < 1:
            raise ValueError(f"TablePreparer: max_levels must be an integer >= 1, got {self.max_levels!r}")
        if isinstance(self.min_frequency, bool) or not isinstance(self.min_frequency, (int, np.integer)) \
                or self.min_frequency < 1:
            raise ValueError(f"TablePreparer: min_frequency must be an integer >= 1, got {self.min_frequency!r}")
        for what in ("features", "drop"):
            value = getattr(self, what)
            if value is not None and (isinstance(value, str) or not all(isinstance(c, str) for c in value)):
                raise TypeError(f"TablePreparer: {what} must be a list of column names, got {value!r}")

    def _chosen_columns(self, df: Any) -> tuple[list[str], list[dict]]:
        names = [str(c) for c in df.columns]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"the table repeats column name(s) {dup}; column names must be unique")
        asked = list(self.features) if self.features is not None else []
        unknown = [c for c in [*asked, *self.drop] if c not in names]
        if unknown:
            raise KeyError(f"no column(s) named {unknown}; the columns are {names}")
        dropped = [{"name": c, "kind": "drop", "reason": "dropped as asked"} for c in self.drop]
        if self.features is not None:
            dropped += [{"name": c, "kind": "drop", "reason": "not among the features asked for"}
                        for c in names if c not in asked and c not in self.drop]
            return [c for c in asked if c not in self.drop], dropped
        return [c for c in names if c not in self.drop], dropped

    def fit(self, X: Any, y: Any = None) -> TablePreparer:
        """Learn, column by column, how to turn ``X`` into numbers (``y`` is ignored)."""
        self._fit(_as_frame(X), slice(None))
        return self

    def _fit_transform_rows(self, X: Any, order: np.ndarray, n_fit: int) -> np.ndarray:
        """``fit(X.iloc[order[:n_fit]]).transform(X.iloc[order])``, with each column read
        and hashed once and no copy of the table (how ``pygdx fit`` learns from its
        training rows and prepares them first, then the validation rows)."""
        df = _as_frame(X)
        parts = self._fit(df, np.asarray(order[:n_fit]))
        return self._assemble(parts, len(df), np.asarray(order))

    def _fit(self, df: Any, rows: Any) -> list[_Encoded]:
        """Learn from ``df``'s ``rows``; returns every column's encoding of all rows."""
        self._check_params()
        if (len(df) if isinstance(rows, slice) else len(rows)) == 0:
            raise ValueError("TablePreparer: the table has no rows")
        used, dropped = self._chosen_columns(df)
        asked = set(self.features or ())
        specs, memos = [], {}
        for name in [str(c) for c in df.columns]:
            if name in used:
                memos[name] = {}
                specs.append(self._learn_column(name, df[name], rows, name in asked, memos[name]))
            else:
                specs.append(next(d for d in dropped if d["name"] == name))
        if not any(s["kind"] != "drop" for s in specs):
            raise ValueError("TablePreparer: no column is left to use (name the ones to keep in features): "
                             + "; ".join(describe(s) for s in specs))
        parts = [part for spec in specs if spec["kind"] != "drop"
                 for part in self._encode(spec, df[spec["name"]], memo=memos[spec["name"]])]
        mean, scale = np.zeros(sum(p.width for p in parts)), np.ones(sum(p.width for p in parts))
        if self.standardize:
            j = 0
            for part in parts:
                mean[j:j + part.width], scale[j:j + part.width] = part.statistics(rows)
                j += part.width
        self.columns_ = specs
        self.feature_names_in_ = np.array([str(c) for c in df.columns], dtype=object)
        self.n_features_in_ = len(specs)
        self.mean_, self.scale_ = mean, scale
        self.decisions_ = [describe(s) for s in specs]
        return parts

    def _learn_column(self, name: str, column: Any, rows: Any, asked: bool, memo: dict) -> dict:
        """What to do with one column, learned from its ``rows``."""
        pd = _pandas()
        api = pd.api.types
        if api.is_bool_dtype(column.dtype):
            return self._numeric_spec(name, column.to_numpy(np.float64, na_value=np.nan)[rows], "bool", asked)
        if api.is_numeric_dtype(column.dtype) and not api.is_complex_dtype(column.dtype):
            values = column.to_numpy(np.float64, na_value=np.nan)[rows]
            if not asked:
                if name == "" or re.fullmatch(r"Unnamed: \d+", name):
                    return {"name": name, "kind": "drop", "reason": "row names (a column with no header)"}
                if _is_running_number(values):
                    return {"name": name, "kind": "drop", "reason": "a running row number"}
                if _ID_NAME.search(name) and np.all(values == np.round(values)) \
                        and len(np.unique(values)) == len(values):
                    return {"name": name, "kind": "drop", "reason": "ID-like (a different integer in every row)"}
            return self._numeric_spec(name, values, "numeric", asked)
        if api.is_datetime64_any_dtype(column.dtype):
            days = _dates.days_since_epoch(column.astype(str).where(column.notna()))
            return self._numeric_spec(name, days[rows], "date", asked)
        all_codes, all_uniques = _factorize(column, memo)
        codes = all_codes[rows]
        counts = np.bincount(codes[codes >= 0], minlength=len(all_uniques))
        seen = np.flatnonzero(counts)  # levels present in these rows
        uniques, counts = [all_uniques[k] for k in seen], counts[seen]
        n, n_filled = len(codes), int(counts.sum())
        if n_filled == 0:
            return {"name": name, "kind": "drop", "reason": "empty in every row"}

        def cells(lookup: np.ndarray) -> np.ndarray:  # the rows' values from one value per level
            full = np.full(len(all_uniques) + 1, np.nan)
            full[seen] = lookup
            return full[codes]  # code -1 (a missing cell) reads the NaN at the end

        lower = {u.strip().lower() for u in uniques}
        if any(lower <= pair for pair in _BOOL_PAIRS):
            return self._numeric_spec(name, cells(np.array([float(u.strip().lower() in _TRUE) for u in uniques])),
                                      "bool", asked)
        as_numbers = _text_numbers(uniques).to_numpy()
        placeholders = [u for u, v in zip(uniques, as_numbers) if math.isnan(v)]
        numeric_rows = counts[~np.isnan(as_numbers)].sum()
        if numeric_rows >= _NUMERIC_SHARE * n_filled and len(placeholders) <= _MAX_PLACEHOLDERS:
            spec = self._numeric_spec(name, cells(as_numbers), "numeric", asked)
            if spec["kind"] != "drop":
                spec["from_text"] = True
                spec["placeholders"] = placeholders
            return spec
        order = _dates.date_order(uniques)
        if order == _dates.UNKNOWN_ORDER:
            reason = (f"dates whose day/month order the column does not show (no day above 12: is {uniques[0]!r} "
                      "day first or month first?); rewrite them as YYYY-MM-DD to use them")
            if asked:
                raise ValueError(f"column {name!r} holds {reason}")
            return {"name": name, "kind": "drop", "reason": reason}
        if order is not None:
            spec = self._numeric_spec(name, cells(_dates.days_since_epoch(uniques, order)), "date", asked)
            if spec["kind"] == "date" and order != "iso":  # (no key: ISO, as older model files hold)
                spec["date_order"] = order
            return spec
        if not asked and len(uniques) > 0.5 * n_filled and n_filled >= 2:
            return {"name": name, "kind": "drop",
                    "reason": f"ID-like ({len(uniques)} different texts in {n_filled} rows)"}
        order = np.argsort(-counts, kind="stable")
        kept = [int(k) for k in order[: self.max_levels] if counts[k] >= self.min_frequency]
        spec = {"name": name, "kind": "category", "levels": [uniques[k] for k in kept],
                "other": bool(len(kept) < len(uniques)), "missing_level": bool(n_filled < n),
                "n_levels": len(uniques), "n_missing": int(n - n_filled)}
        if not spec["levels"] and not spec["missing_level"] and not asked:
            return {"name": name, "kind": "drop",
                    "reason": f"no level is in {self.min_frequency} rows or more ({len(uniques)} levels)"}
        return spec

    def _numeric_spec(self, name: str, values: np.ndarray, kind: str, asked: bool) -> dict:
        finite = np.isfinite(values)
        n_missing = int(len(values) - finite.sum())
        if n_missing == len(values):
            return {"name": name, "kind": "drop", "reason": "empty in every row"}
        with np.errstate(over="ignore", invalid="ignore"):
            fill = float(values[finite].mean())
        if not math.isfinite(fill):
            raise ValueError(f"column {name!r} holds numbers too large to average (up to "
                             f"{np.max(np.abs(values[finite])):.3g}); rescale it first")
        if not asked and n_missing == 0 and np.all(values == values[0]):
            return {"name": name, "kind": "drop", "reason": f"one value ({fmt(float(values[0]))}) in every row"}
        # An indicator helps where enough cells are missing for their pattern to be learned.
        indicator = bool(self.missing_indicators and n_missing >= self.min_frequency)
        return {"name": name, "kind": kind, "fill": fill, "indicator": indicator,
                "n_missing": n_missing}

    # --- transform ----------------------------------------------------------------------------
    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: ``name``, ``name_missing``, ``name=level``."""
        self._check_fitted()
        out = []
        for spec in self.columns_:
            name, kind = spec["name"], spec["kind"]
            if kind == "category":
                out += [f"{name}={level}" for level in spec["levels"]]
                out += [f"{name}={OTHER}"] if spec["other"] else []
                out += [f"{name}={MISSING}"] if spec["missing_level"] else []
            elif kind != "drop":
                out += [name] + ([f"{name}_missing"] if spec["indicator"] else [])
        return np.array(out, dtype=object)

    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            from .estimators import NotFittedError

            raise NotFittedError("This TablePreparer instance is not fitted yet. Call 'fit' with a table first.")

    @property
    def input_columns_(self) -> list[str]:
        """The input columns ``transform`` reads (the others may be absent)."""
        self._check_fitted()
        return [s["name"] for s in self.columns_ if s["kind"] != "drop"]

    def _numeric_values(self, spec: dict, column: Any, memo: dict | None) -> np.ndarray:
        """A number, true/false or date column's values as float64 (NaN where missing)."""
        pd = _pandas()
        kind = spec["kind"]
        if pd.api.types.is_bool_dtype(column.dtype) or (kind == "numeric" and not spec.get("from_text")
                                                        and pd.api.types.is_numeric_dtype(column.dtype)):
            return column.to_numpy(np.float64, na_value=np.nan)
        if kind == "date" and pd.api.types.is_datetime64_any_dtype(column.dtype):
            column = column.astype(str).where(column.notna())
        codes, uniques = _factorize(column, memo)
        if kind == "bool":
            lookup = np.array([1.0 if u.strip().lower() in _TRUE else 0.0 if u.strip().lower() in _FALSE
                               else np.nan for u in uniques])
        elif kind == "date":
            lookup = _dates.days_since_epoch(uniques, spec.get("date_order", "iso"))
        else:
            lookup = _text_numbers(uniques).to_numpy()
        return np.where(codes >= 0, lookup[codes] if len(lookup) else np.nan, np.nan)

    def _encode(self, spec: dict, column: Any, notes: list | None = None, memo: dict | None = None
                ) -> list[_Encoded]:
        """The output columns of one input column, in compact form (unscaled)."""
        kind, name = spec["kind"], spec["name"]
        if kind == "drop":
            return []
        if kind == "category":
            codes, uniques = _factorize(column, memo)
            where = {level: j for j, level in enumerate(spec["levels"])}
            n_levels = len(spec["levels"])
            other = n_levels if spec["other"] else -1
            missing = n_levels + spec["other"] if spec["missing_level"] else -1
            lookup = np.array([where.get(u, other) for u in uniques] + [missing], dtype=np.intp)
            if notes is not None:
                unseen = sorted(u for u in uniques if u not in where)
                if unseen and not spec["other"]:
                    notes.append(f"column {name!r}: {len(unseen)} level(s) not seen in training "
                                 f"(e.g. {unseen[0]!r}), encoded as no level")
                if not spec["missing_level"] and np.any(codes < 0):
                    notes.append(f"column {name!r}: {int(np.sum(codes < 0))} missing cell(s), encoded as no level")
            # code -1 (a missing cell) reads the last entry
            return [_Encoded(name, lookup[codes], n_levels + spec["other"] + spec["missing_level"])]
        values = self._numeric_values(spec, column, memo)
        missing = ~np.isfinite(values)
        if not missing.any():
            return [_Encoded(name, values)]
        not_numbers = int(missing.sum()) - int(column.isna().sum())
        if notes is not None and not_numbers > 0:
            notes.append(f"column {name!r}: {not_numbers} cell(s) are not finite numbers, filled like missing ones")
        if notes is not None and not spec["indicator"]:
            notes.append(f"column {name!r}: {int(missing.sum())} missing cell(s), filled with the training "
                         f"mean {fmt(spec['fill'])}")
        filled = _Encoded(name, np.where(missing, spec["fill"], values))
        return [filled, _Encoded(name, np.where(missing, 0, -1), 1)] if spec["indicator"] else [filled]

    def _frame_for_transform(self, X: Any) -> Any:
        self._check_fitted()
        df = _as_frame(X)
        names = [str(c) for c in df.columns]
        absent = [c for c in self.input_columns_ if c not in names]
        if absent:
            raise KeyError(f"needs column(s) {absent}, which the table does not have; its columns are {names}")
        return df

    def transform(self, X: Any) -> np.ndarray:
        """The float64 matrix (rows x ``get_feature_names_out()``) of a table with the
        columns seen in ``fit`` (in any order; other columns are ignored)."""
        return self.transform_with_notes(X)[0]

    def transform_with_notes(self, X: Any) -> tuple[np.ndarray, list[str]]:
        """``transform``, plus one line for each thing ``fit`` did not see: missing cells in
        a column that had none, levels that are new, cells that are not numbers."""
        df = self._frame_for_transform(X)
        notes: list[str] = []
        parts = [part for spec in self.columns_ if spec["kind"] != "drop"
                 for part in self._encode(spec, df[spec["name"]], notes)]
        out = self._assemble(parts, len(df), None)
        return out, notes

    def _assemble(self, parts: list[_Encoded], n_rows: int, order: np.ndarray | None) -> np.ndarray:
        """The standardised matrix of the encoded columns (of the rows ``order``, or all)."""
        out = np.empty((n_rows if order is None else len(order), len(self.mean_)), dtype=np.float64)
        # Every row starts as "no level" in the one-hot columns; then each column of
        # numbers is written, and the one 1 per row of each category, where it lands.
        out[...] = (0.0 - self.mean_) / self.scale_
        j = 0
        for part in parts:
            columns = slice(j, j + part.width)
            part.fill(out, j, order, self.mean_[columns], self.scale_[columns])
            j += part.width
        return out

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).transform(X)``, reading and hashing each column once."""
        df = _as_frame(X)
        return self._assemble(self._fit(df, slice(None)), len(df), None)

    # --- storing what was learned (pickle-free) ------------------------------------------------
    def to_config(self) -> dict:
        """Parameters and learned columns as plain JSON-able data; ``mean_`` and ``scale_``
        are kept apart as arrays."""
        self._check_fitted()
        return {"params": {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in self.get_params().items()},
                "columns": self.columns_}

    @classmethod
    def from_config(cls, config: Any, mean: Any, scale: Any) -> TablePreparer:
        """A fitted TablePreparer from :meth:`to_config`'s data, checked field by field
        (it may come from an untrusted file): ValueError names the first thing wrong."""
        if not isinstance(config, dict) or set(config) != {"params", "columns"}:
            raise ValueError("the preparation must be an object with 'params' and 'columns'")
        params, columns = config["params"], config["columns"]
        if not isinstance(params, dict) or set(params) != set(cls._PARAMS):
            raise ValueError(f"the preparation's params must have exactly the keys {list(cls._PARAMS)}")
        prep = cls(**params)
        prep._check_params()
        if not isinstance(columns, list) or not columns:
            raise ValueError("the preparation's columns must be a non-empty list")
        names = []
        for spec in columns:
            check_spec(spec)
            names.append(spec["name"])
        if len(set(names)) != len(names):
            raise ValueError("the preparation names a column twice")
        prep.columns_ = columns
        prep.feature_names_in_ = np.array(names, dtype=object)
        prep.n_features_in_ = len(names)
        n_out = len(prep.get_feature_names_out())
        if n_out == 0:
            raise ValueError("the preparation has no output column")
        for what, arr in (("mean", mean), ("scale", scale)):
            arr = np.asarray(arr)
            if arr.dtype != np.float64 or arr.shape != (n_out,) or not np.all(np.isfinite(arr)):
                raise ValueError(f"the preparation's {what} must be {n_out} finite float64 numbers")
        if not np.all(np.asarray(scale) > 0):
            raise ValueError("the preparation's scale must be positive")
        prep.mean_, prep.scale_ = np.asarray(mean), np.asarray(scale)
        prep.decisions_ = [describe(s) for s in columns]
        return prep


TablePreparer._DEFAULTS = TablePreparer().get_params()


class _Encoded:
    """Output columns of one input column: numbers (``width`` None), or ``width`` one-hot
    columns given by the slot of each row's 1 (-1: none)."""

    def __init__(self, name: str, values: np.ndarray, width: int | None = None) -> None:
        self.name, self.values, self.one_hot = name, values, width is not None
        self.width = 1 if width is None else width

    def statistics(self, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean and scale (the standard deviation, 1 where it is 0) of the output columns
        over ``rows``."""
        values = self.values[rows]
        if self.one_hot:
            share = np.bincount(values[values >= 0], minlength=self.width) / len(values)
            std = np.sqrt(share * (1.0 - share))
            return share, np.where(std > 0, std, 1.0)
        with np.errstate(over="ignore", invalid="ignore"):
            mean, std = values.mean(), values.std()
        if not (math.isfinite(mean) and math.isfinite(std)):
            raise ValueError(f"column {self.name!r} holds numbers too large to standardise (up to "
                             f"{np.max(np.abs(values)):.3g}); rescale it first")
        return np.array([mean]), np.array([std if std > 0 else 1.0])

    def fill(self, out: np.ndarray, j: int, order: np.ndarray | None, mean: np.ndarray, scale: np.ndarray) -> None:
        """Write the standardised output columns of the rows ``order`` (or all) into
        ``out[:, j:j + width]``, whose one-hot columns already hold their "no" value."""
        values = self.values if order is None else self.values[order]
        if not self.one_hot:
            out[:, j] = (values - mean[0]) / scale[0]
            return
        rows = np.flatnonzero(values >= 0)
        slots = values[rows]
        out.reshape(-1)[rows * out.shape[1] + j + slots] = ((1.0 - mean) / scale)[slots]
