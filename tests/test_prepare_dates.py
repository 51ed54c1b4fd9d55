"""Dates as real exports write them (pygdx.prepare, pygdx._dates): year first with slashes or
dots, day or month first when the column shows which, with times of day; a day/month order
the column does not show is refused with a reason, never guessed.

The tables are real CSV files bundled with installed packages (matplotlib's monthly stock
prices, scikit-learn's iris) with their dates rewritten, or a date column added, the way
spreadsheets and databases export them."""

from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from pygdx import _dates  # noqa: E402
from pygdx.cli import main  # noqa: E402
from pygdx.io import read_csv  # noqa: E402
from pygdx.modelfile import load_model  # noqa: E402
from pygdx.prepare import TablePreparer  # noqa: E402


def bundled(package: str, relative: str) -> Path:
    module = pytest.importorskip(package)
    path = Path(module.__file__).parent / relative
    if not path.is_file():
        pytest.skip(f"{package} does not ship {relative} here")
    return path


def stocks() -> "pd.DataFrame":
    """matplotlib's Stocks.csv (1990-2017, ISO dates, blank cells), with a time of day added
    to each date so that date-times are tested too."""
    frame = pd.read_csv(bundled("matplotlib", "mpl-data/sample_data/Stocks.csv"), comment="#")
    stamps = pd.to_datetime(frame["Date"], format="%Y-%m-%d")
    i = np.arange(len(frame))
    frame["Date"] = stamps + pd.to_timedelta(i % 24, unit="h") + pd.to_timedelta((7 * i) % 60, unit="min")
    return frame


def days(stamps: "pd.Series") -> np.ndarray:
    return ((stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()


# How exports write a date-time: Japanese and Chinese spreadsheets, dotted year-first, US
# Excel (month first, no zero padding), UK and French (day first), German (day first, dots).
EXPORTS = {
    "year/month/day time": (lambda t: t.strftime("%Y/%m/%d %H:%M:%S"), "ymd"),
    "year.month.day": (lambda t: t.strftime("%Y.%m.%d %H:%M"), "ymd"),
    "US Excel": (lambda t: f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}", "mdy"),
    "UK": (lambda t: t.strftime("%d/%m/%Y %H:%M"), "dmy"),
    "German": (lambda t: t.strftime("%d.%m.%Y %H:%M"), "dmy"),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_exported_dates_read_as_the_iso_ones(tmp_path, export):
    write, order = EXPORTS[export]
    frame = stocks()
    expected = days(frame["Date"])
    frame["Date"] = [write(t) for t in frame["Date"]]
    frame.to_csv(tmp_path / "stocks.csv", index=False)
    table = read_csv(tmp_path / "stocks.csv")
    prep = TablePreparer(standardize=False).fit(table)
    spec = next(s for s in prep.columns_ if s["name"] == "Date")
    assert spec["kind"] == "date" and spec["date_order"] == order
    column = prep.transform(table)[:, list(prep.get_feature_names_out()).index("Date")]
    np.testing.assert_allclose(column, expected, rtol=0, atol=1e-9)
    first = {"dmy": "day first", "mdy": "month first"}.get(order)
    assert prep.decisions_[0] == f"column 'Date': dates{', ' + first if first else ''} -> days since 1970-01-01"


def iris_with_sampling_dates(tmp_path, write) -> Path:
    """scikit-learn's iris.csv (its first line is a count, not a header), with a header and a
    date each flower was measured: the 1st to the 12th of a month only, so day and month
    never tell themselves apart."""
    path = bundled("sklearn", "datasets/data/iris.csv")
    frame = pd.read_csv(path, skiprows=1, header=None, names=["sepal_length", "sepal_width", "petal_length",
                                                                "petal_width", "species"])
    rng = np.random.default_rng(0)
    measured = [pd.Timestamp(1935, month, day) for month, day in zip(rng.integers(1, 13, len(frame)),
                                                                      rng.integers(1, 13, len(frame)))]
    frame.insert(0, "measured", [write(t) for t in measured])
    out = tmp_path / "iris.csv"
    frame.to_csv(out, index=False)
    return out


def test_a_day_month_order_the_column_does_not_show_is_refused_with_the_fix(tmp_path):
    table = read_csv(iris_with_sampling_dates(tmp_path, lambda t: t.strftime("%d/%m/%Y")))
    prep = TablePreparer().fit(table)
    reason = prep.decisions_[0]
    assert reason.startswith("column 'measured': dates whose day/month order the column does not show")
    assert "rewrite them as YYYY-MM-DD" in reason and reason.endswith("-> dropped")
    assert "measured" not in prep.input_columns_
    # named explicitly, it is an error (nothing is guessed), not a text category
    with pytest.raises(ValueError, match="column 'measured' holds dates whose day/month order"):
        TablePreparer(features=["measured", "petal_width"]).fit(table)
    # the same dates year first are dates
    table = read_csv(iris_with_sampling_dates(tmp_path, lambda t: t.strftime("%Y/%m/%d")))
    assert TablePreparer().fit(table).columns_[0]["kind"] == "date"


def test_pygdx_fit_and_predict_keep_the_order_a_column_showed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = stocks()[["Date", "IBM", "MSFT"]].dropna()
    stamps = frame["Date"]
    frame["Date"] = [t.strftime("%d/%m/%Y") for t in stamps]
    frame.to_csv("train.csv", index=False)
    code = main(["fit", "train.csv", "--target", "IBM", "--epochs", "5", "--plot", "", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "column 'Date': dates, day first -> days since 1970-01-01" in out
    model = load_model("model.npz")
    assert next(s for s in model.preparer.columns_ if s["name"] == "Date")["date_order"] == "dmy"
    # new rows whose days are all 12 or less are read day first, as in training
    new = frame[stamps.dt.day <= 12].head(6).drop(columns=["IBM"])
    new.to_csv("new.csv", index=False)
    X = model.transform(read_csv("new.csv"))
    j = list(model.preparer.get_feature_names_out()).index("Date")
    read = X[:, j] * model.preparer.scale_[j] + model.preparer.mean_[j]
    np.testing.assert_allclose(read, days(stamps[new.index].dt.normalize()), rtol=1e-12)
    assert main(["predict", "model.npz", "new.csv", "--out", "pred.csv"]) == 0
    assert len(pd.read_csv("pred.csv")) == 6


@pytest.mark.parametrize("cells, order", [
    (["2012-01-31", "2012-02-01T08:00:00Z"], "iso"),
    (["2012/1/31", "2012/12/1 8:05"], "ymd"),
    (["31/01/2012", "01/02/2012"], "dmy"),
    (["01/31/2012", "02/01/2012"], "mdy"),
    (["01/02/2012", "12-11-2012"], _dates.UNKNOWN_ORDER),
    (["13/01/2012", "01/13/2012"], None),  # day first in one row, month first in another
    (["2012/01/31", "31/01/2012"], None),  # two forms in one column
    (["01/02/12"], None),  # a two-digit year: which century?
    (["2012/01/31 25:00"], "ymd"),  # a date form, but the hour does not exist: NaN below
])
def test_the_order_of_a_column(cells, order):
    assert _dates.date_order(cells) == order


def test_a_day_or_time_that_does_not_exist_is_no_date():
    got = _dates.days_since_epoch(["2012/02/30", "2012/01/31 25:00", "2012/01/31 23:59:60", "1970/01/02 12:00"],
                                  "ymd")
    np.testing.assert_array_equal(got[:3], np.nan)
    assert got[3] == 1.5


def test_a_model_file_may_only_name_a_known_order():
    prep = TablePreparer(standardize=False).fit(pd.DataFrame({"d": ["31/01/2012", "01/02/2012", "15/03/2012"]}))
    config = prep.to_config()
    assert config["columns"][0]["date_order"] == "dmy"
    again = TablePreparer.from_config(config, prep.mean_, prep.scale_)
    np.testing.assert_array_equal(again.transform(pd.DataFrame({"d": ["02/01/2012"]})), [[15341.0]])
    config["columns"][0]["date_order"] = "%d/%m/%Y"
    with pytest.raises(ValueError, match="'date_order' is for dates only"):
        TablePreparer.from_config(config, prep.mean_, prep.scale_)
