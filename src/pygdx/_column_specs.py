"""The learned form of one table column (pygdx.prepare.TablePreparer.columns_): a plain dict
that a model file stores as JSON, checked when it is read back (it may come from anywhere)
and described in one line for ``decisions_``."""

from __future__ import annotations

import math
from typing import Any

from ._dates import DATE_ORDERS

OTHER, MISSING = "(other)", "(missing)"
KINDS = ("numeric", "bool", "date", "category", "drop")


def fmt(value: float) -> str:
    return f"{value:.4g}"


def check_spec(spec: Any) -> None:
    """One learned column from an untrusted file: the keys and types its kind needs."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or spec.get("kind") not in KINDS:
        raise ValueError(f"a preparation column must have a text 'name' and a 'kind' in {KINDS}")
    kind = spec["kind"]

    def need(key: str, types: tuple, optional: bool = False) -> None:
        if key not in spec and optional:
            return
        value = spec.get(key)
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            raise ValueError(f"preparation column {spec['name']!r}: {key!r} must be of type "
                             f"{' or '.join(t.__name__ for t in types)}")

    if kind == "drop":
        need("reason", (str,))
    elif kind == "category":
        need("levels", (list,))
        if not all(isinstance(v, str) for v in spec["levels"]) or len(set(spec["levels"])) != len(spec["levels"]):
            raise ValueError(f"preparation column {spec['name']!r}: 'levels' must be distinct texts")
        for key in ("other", "missing_level"):
            need(key, (bool,))
        for key in ("n_levels", "n_missing"):
            need(key, (int,))
    else:
        need("fill", (float, int))
        if not math.isfinite(spec["fill"]):
            raise ValueError(f"preparation column {spec['name']!r}: 'fill' must be a finite number")
        need("indicator", (bool,))
        need("n_missing", (int,))
        need("from_text", (bool,), optional=True)
        need("placeholders", (list,), optional=True)
        if "date_order" in spec and (kind != "date" or spec["date_order"] not in DATE_ORDERS):
            raise ValueError(f"preparation column {spec['name']!r}: 'date_order' is for dates only, one of "
                             f"{list(DATE_ORDERS)}")


def describe(spec: dict) -> str:
    """What was done with one column, in one line."""
    name, kind = spec["name"], spec["kind"]
    head = f"column {name!r}: "
    if kind == "drop":
        return head + f"{spec['reason']} -> dropped"
    if kind == "category":
        kept, parts = len(spec["levels"]), []
        if spec["other"]:
            parts.append(f"the {kept} most frequent one-hot, {spec['n_levels'] - kept} rarer pooled as {OTHER!r}")
        else:
            parts.append(f"{kept} one-hot columns")
        if spec["missing_level"]:
            parts.append(f"{spec['n_missing']} missing as {MISSING!r}")
        return head + f"text, {spec['n_levels']} levels -> " + "; ".join(parts)
    what = {"numeric": "numbers", "bool": "true/false -> 1/0", "date": "dates -> days since 1970-01-01"}[kind]
    first = {"dmy": "day", "mdy": "month"}.get(spec.get("date_order", ""))
    if first:  # the order the column showed (a number above 12 where the other one cannot be)
        what = f"dates, {first} first -> days since 1970-01-01"
    if spec.get("from_text"):
        what = "numbers written as text" + (f" (cells {spec['placeholders']} read as missing)"
                                            if spec["placeholders"] else "")
    if spec["n_missing"]:
        what += f"; {spec['n_missing']} missing filled with the mean {fmt(spec['fill'])}"
        if spec["indicator"]:
            what += f" plus indicator '{name}_missing'"
    return head + what
