"""Dates written as text in a table's column (pygdx.prepare), as days since 1970-01-01.

A column is read as dates when every filled cell is a date in one of the common forms that
say by themselves which number is the day:

- ISO 8601 (``2012-01-31``, ``2012-01-31T08:30:00Z``, with an offset: "iso");
- year first with slashes, dots or dashes (``2012/01/31``, ``2012.1.31``, ``2012/01/31 08:30``:
  "ymd"; the day is last, as in ISO).

Day and month before a four-digit year (``31/01/2012``, ``01.31.2012``) are read only when
the column itself shows the order: a first number above 12 somewhere makes it day first
("dmy"), a second number above 12 month first ("mdy"). When every day and month is 12 or
less, the order is unknown (``01/02/2012``: 1 February or 2 January?) and nothing is
guessed: :data:`UNKNOWN_ORDER`. A time of day (``HH:MM`` or ``HH:MM:SS[.fff]``, after a
space or ``T``) may follow any of them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ._optional import require

__all__ = ["DATE_ORDERS", "UNKNOWN_ORDER", "date_order", "days_since_epoch"]

# The orders a fitted column may record ("iso" is the one older model files imply).
DATE_ORDERS = ("iso", "ymd", "dmy", "mdy")
# Day/month/year cells whose day and month are all 12 or less.
UNKNOWN_ORDER = "unknown"

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TIME = r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<seconds>\d{2}(?:\.\d+)?))?)?"
_YEAR_FIRST = re.compile(rf"^(?P<year>\d{{4}})(?P<sep>[/.-])(?P<first>\d{{1,2}})(?P=sep)(?P<second>\d{{1,2}}){_TIME}$")
_YEAR_LAST = re.compile(rf"^(?P<first>\d{{1,2}})(?P<sep>[/.-])(?P<second>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}){_TIME}$")


def date_order(texts: list[str]) -> str | None:
    """How ``texts`` (a column's distinct filled cells) write their dates: one of
    :data:`DATE_ORDERS`, :data:`UNKNOWN_ORDER`, or None when they are not all dates of one
    form."""
    cells = [t.strip() for t in texts]
    if not cells:
        return None
    if all(_ISO.match(c) for c in cells):
        return "iso"
    if all(_YEAR_FIRST.match(c) for c in cells):
        return "ymd"
    found = [_YEAR_LAST.match(c) for c in cells]
    if not all(found):
        return None
    first = max(int(m["first"]) for m in found)
    second = max(int(m["second"]) for m in found)
    day_first, month_first = first <= 31 and second <= 12, first <= 12 and second <= 31
    if day_first and month_first:
        return UNKNOWN_ORDER
    return "dmy" if day_first else "mdy" if month_first else None


def days_since_epoch(texts: Any, order: str = "iso") -> np.ndarray:
    """Days since 1970-01-01 (UTC for ISO cells with an offset) of each cell written in
    ``order`` (one of :data:`DATE_ORDERS`); NaN where a cell is no such date (another form,
    or a day that does not exist, such as 30 February)."""
    pd = require("pandas", "cli", "pygdx.prepare")
    cells = pd.Series(texts, dtype=object).astype(str)
    if order == "iso":
        stamps = pd.to_datetime(cells, format="ISO8601", utc=True, errors="coerce")
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
    else:
        parts = cells.str.strip().str.extract(_YEAR_FIRST if order == "ymd" else _YEAR_LAST)
        day, month = ("first", "second") if order == "dmy" else ("second", "first")
        fields = {"year": parts["year"], "month": parts[month], "day": parts[day], "hour": parts["hour"],
                  "minute": parts["minute"], "second": parts["seconds"]}
        numbers = pd.DataFrame({k: pd.to_numeric(v, errors="coerce") for k, v in fields.items()})
        numbers[["hour", "minute", "second"]] = numbers[["hour", "minute", "second"]].fillna(0.0)
        # pandas would carry 25:00 over into the next day: a time out of range is no date
        impossible = (numbers["hour"] > 23) | (numbers["minute"] > 59) | (numbers["second"] >= 60)
        numbers.loc[impossible, "year"] = np.nan
        stamps = pd.to_datetime(numbers, errors="coerce")
        epoch = pd.Timestamp("1970-01-01")
    return ((stamps - epoch) / pd.Timedelta(days=1)).to_numpy(np.float64, na_value=np.nan)
