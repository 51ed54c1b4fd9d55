"""Feature names from data frames, as scikit-learn keeps them, without scikit-learn.

A fit on a data frame whose column names are all strings (pandas, polars, pyarrow tables)
stores them as ``feature_names_in_``; a fit on anything else removes them. Prediction then
checks the columns it is given against them with scikit-learn's messages: columns that
differ in name or order raise ValueError (the values would be matched to the wrong
weights), and a frame given to a model fitted on an array (or the reverse) warns. Column
names that mix strings with other types raise TypeError, as in scikit-learn.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["feature_names_of", "check_feature_names"]


def feature_names_of(X: Any) -> np.ndarray | None:
    """The column names of a data frame as an object array when all are strings, else None
    (arrays, lists, frames with integer column names)."""
    if isinstance(X, np.ndarray):
        return None
    columns = getattr(X, "column_names", None) if not hasattr(X, "columns") else X.columns
    if columns is None or not hasattr(X, "shape") or callable(columns):
        return None
    names = np.asarray(list(columns), dtype=object)
    if len(names) == 0:
        return None
    types = sorted(t.__qualname__ for t in {type(v) for v in names})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, but your input has "
            f"{types} as feature name / column name types. If you want feature names to be stored and validated, "
            "you must convert them all to strings, by using X.columns = X.columns.astype(str) for example. "
            "Otherwise you can remove feature / column names from your input data, or convert them all to a "
            "non-string data type."
        )
    return names if types == ["str"] else None


def check_feature_names(owner: str, fitted: np.ndarray | None, X: Any) -> None:
    """Compare the columns of X with the names seen in fit (scikit-learn's
    ``_check_feature_names(reset=False)``): raise ValueError when they differ, warn when only
    one side has names."""
    given = feature_names_of(X)
    if fitted is None and given is None:
        return
    if fitted is None:
        warnings.warn(f"X has feature names, but {owner} was fitted without feature names", UserWarning, stacklevel=4)
        return
    if given is None:
        warnings.warn(f"X does not have valid feature names, but {owner} was fitted with feature names", UserWarning,
                      stacklevel=4)
        return
    if len(fitted) == len(given) and not np.any(fitted != given):
        return
    message = "The feature names should match those that were passed during fit.\n"
    unexpected = sorted(set(given) - set(fitted))
    missing = sorted(set(fitted) - set(given))
    if unexpected:
        message += "Feature names unseen at fit time:\n" + _listed(unexpected)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + _listed(missing)
    if not unexpected and not missing:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)


def _listed(names: list, most: int = 5) -> str:
    shown = "".join(f"- {name}\n" for name in names[:most])
    return shown + ("- ...\n" if len(names) > most else "")
