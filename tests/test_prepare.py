"""pygdx.prepare.TablePreparer: every kind of column a CSV holds, turned into numbers as a
careful data scientist would, and the same in a scikit-learn Pipeline."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from pygdx.prepare import TablePreparer  # noqa: E402


def unscaled(**params):
    return TablePreparer(standardize=False, **params)


def column_of(prep, X, name):
    names = list(prep.get_feature_names_out())
    return X[:, names.index(name)]


def test_categories_are_one_hot_with_rare_levels_pooled():
    df = pd.DataFrame({"colour": ["red"] * 6 + ["blue"] * 5 + ["green"] * 2 + ["pink"], "x": np.arange(14.0) % 3})
    prep = unscaled(max_levels=5, min_frequency=3).fit(df)
    assert list(prep.get_feature_names_out()) == ["colour=red", "colour=blue", "colour=(other)", "x"]
    X = prep.transform(df)
    np.testing.assert_array_equal(X[:, :3].sum(axis=1), 1.0)
    np.testing.assert_array_equal(X[:, 0], df.colour == "red")
    np.testing.assert_array_equal(X[:, 2], df.colour.isin(["green", "pink"]))
    assert "the 2 most frequent one-hot, 2 rarer pooled as '(other)'" in prep.decisions_[0]
    # max_levels caps the columns even when rarer levels are frequent enough
    prep = unscaled(max_levels=1, min_frequency=1).fit(df)
    assert list(prep.get_feature_names_out())[:2] == ["colour=red", "colour=(other)"]


def test_unseen_levels_and_missing_cells_at_transform_are_handled_and_reported():
    train = pd.DataFrame({"city": ["Oslo"] * 5 + ["Rome"] * 5})
    prep = unscaled().fit(train)
    assert list(prep.get_feature_names_out()) == ["city=Oslo", "city=Rome"]
    new = pd.DataFrame({"city": ["Rome", "Paris", None]})
    X, notes = prep.transform_with_notes(new)
    np.testing.assert_array_equal(X, [[0, 1], [0, 0], [0, 0]])
    assert any("1 level(s) not seen in training (e.g. 'Paris')" in n for n in notes)
    assert any("1 missing cell(s), encoded as no level" in n for n in notes)
    # with rare levels in training there is an (other) column, and a new level lands there
    prep = unscaled(min_frequency=2).fit(pd.DataFrame({"city": ["Oslo"] * 5 + ["Rome"] * 5 + ["Bern"]}))
    X = prep.transform(new[:2])
    np.testing.assert_array_equal(X, [[0, 1, 0], [0, 0, 1]])


def test_missing_category_cells_are_a_level_of_their_own():
    df = pd.DataFrame({"sex": ["m", "f", None, "m", "f", None, "m"] * 2})
    prep = unscaled(min_frequency=2).fit(df)
    assert list(prep.get_feature_names_out()) == ["sex=m", "sex=f", "sex=(missing)"]
    np.testing.assert_array_equal(prep.transform(df)[:, 2], df.sex.isna())
    assert "4 missing as '(missing)'" in prep.decisions_[0]


@pytest.mark.parametrize(("cells", "ones"), [(["TRUE", "FALSE"], "TRUE"), (["yes", "no"], "yes"),
                                             (["True", "False"], "True"), ([True, False], True)])
def test_booleans_become_one_and_zero(cells, ones):
    df = pd.DataFrame({"flag": [cells[0], cells[1], cells[1], cells[0]]})
    prep = unscaled().fit(df)
    np.testing.assert_array_equal(prep.transform(df)[:, 0], (df.flag == ones).astype(float))
    assert "true/false -> 1/0" in prep.decisions_[0]


def test_missing_numbers_are_filled_with_the_mean_plus_an_indicator():
    values = [1.0, np.nan, 3.0, np.nan, 5.0, np.nan, 7.0, np.nan, 9.0, np.nan]
    df = pd.DataFrame({"a": values, "b": [2.0, 4.0, np.nan, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0]})
    prep = unscaled(min_frequency=5).fit(df)
    assert list(prep.get_feature_names_out()) == ["a", "a_missing", "b"]  # b has too few gaps for an indicator
    X = prep.transform(df)
    np.testing.assert_allclose(X[:, 0], np.where(np.isnan(values), 5.0, values))
    np.testing.assert_array_equal(X[:, 1], np.isnan(values))
    assert X[2, 2] == pytest.approx(np.nanmean(df.b))
    assert "5 missing filled with the mean 5 plus indicator 'a_missing'" in prep.decisions_[0]
    # the fill value is the training mean, applied to new rows
    X = prep.transform(pd.DataFrame({"a": [np.nan], "b": [np.nan]}))
    np.testing.assert_allclose(X, [[5.0, 1.0, np.nanmean(df.b)]])


def test_row_names_running_numbers_and_ids_are_dropped():
    n = 30
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "": np.arange(1, n + 1),                             # R's write.csv row names
        "Unnamed: 0": rng.permutation(n),                  # pandas' name for a header-less column
        "row": np.arange(n),                                # a running number from 0 or 1, under any name
        "year": np.arange(1990, 1990 + n),                  # counting up, but a year: kept
        "order id": rng.permutation(n) + 1000,              # distinct integers under an id-like name
        "email": [f"user{i}@example.com" for i in range(n)],  # a text of its own in every row
        "country": ["NO"] * n,                              # one value
        "empty": [np.nan] * n,
        "x": rng.normal(size=n),
    })
    prep = unscaled().fit(df)
    assert prep.input_columns_ == ["year", "x"]
    reasons = dict(zip(df.columns, prep.decisions_))
    assert "row names" in reasons[""] and "row names" in reasons["Unnamed: 0"]
    assert "running row number" in reasons["row"]
    assert "ID-like" in reasons["order id"] and "ID-like" in reasons["email"]
    assert "one value" in reasons["country"] and "empty in every row" in reasons["empty"]
    # naming a column keeps it, whatever the rules say
    prep = unscaled(features=["row", "x"]).fit(df)
    assert prep.input_columns_ == ["row", "x"]


def test_dates_become_days_since_1970():
    df = pd.DataFrame({"day": ["1970-01-02", "2000-03-01", None, "1969-12-31"] * 2,
                       "stamp": ["1970-01-01T12:00:00Z", "1970-01-01 06:00", "1970-01-02 00:00:00", None] * 2})
    prep = unscaled(min_frequency=2).fit(df)
    X = prep.transform(df)
    day = column_of(prep, X, "day")
    days_2000 = (np.datetime64("2000-03-01") - np.datetime64("1970-01-01")).astype(int)
    assert day[0] == 1.0 and day[3] == -1.0 and day[1] == days_2000
    np.testing.assert_allclose(column_of(prep, X, "stamp")[:3], [0.5, 0.25, 1.0])
    assert "dates -> days since 1970-01-01" in prep.decisions_[0]
    # a datetime64 column from pandas is a date too
    prep = unscaled().fit(pd.DataFrame({"t": pd.to_datetime(["1970-01-03", "1970-01-05"])}))
    np.testing.assert_array_equal(prep.transform(pd.DataFrame({"t": pd.to_datetime(["1970-01-04"])})), [[3.0]])


def test_numbers_written_as_text_are_numbers():
    # nine cells in ten are numbers: the tenth ("?") is a placeholder for a missing one
    df = pd.DataFrame({"price": ["1,250", "980", "12,000.5", "?", "1,000,000", "1", "2", "3", "4", "5"]})
    prep = unscaled(min_frequency=2).fit(df)
    X = prep.transform(df)
    expected = [1250.0, 980.0, 12000.5, np.nan, 1e6, 1, 2, 3, 4, 5]
    fill = np.nanmean(expected)
    np.testing.assert_allclose(X[:, 0], np.where(np.isnan(expected), fill, expected))
    assert "numbers written as text (cells ['?'] read as missing)" in prep.decisions_[0]
    # a new placeholder at predict time is a missing cell too, and said so
    X, notes = prep.transform_with_notes(pd.DataFrame({"price": ["n/a", "2,000"]}))
    np.testing.assert_allclose(X[:, 0], [fill, 2000.0])
    assert any("1 cell(s) are not finite numbers" in n for n in notes)


def test_features_and_drop_choose_columns():
    df = pd.DataFrame({"a": [1.0, 3.0, 2.0, 5.0], "b": [2.0, 1.0, 0.0, 4.0], "c": [3.0, 3.5, 1.0, 0.0]})
    assert unscaled(drop=["b"]).fit(df).input_columns_ == ["a", "c"]
    assert unscaled(features=["c", "a"]).fit(df).input_columns_ == ["a", "c"]
    with pytest.raises(KeyError, match=r"no column\(s\) named \['z'\]"):
        unscaled(drop=["z"]).fit(df)
    with pytest.raises(TypeError, match="list of column names"):
        unscaled(features="a").fit(df)
    with pytest.raises(ValueError, match="no column is left"):
        unscaled(drop=["a", "b", "c"]).fit(df)
    # columns in another order, and extra ones, are fine at transform; a missing one is named
    prep = unscaled().fit(df)
    np.testing.assert_array_equal(prep.transform(df[["c", "b", "a"]].assign(z=0)), df.to_numpy())
    with pytest.raises(KeyError, match=r"needs column\(s\) \['b'\]"):
        prep.transform(df[["a", "c"]])


def test_standardised_output_has_mean_zero_and_variance_one():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(50, 10, 200), "k": rng.choice(["u", "v", "w"], 200),
                       "g": np.where(rng.random(200) < 0.2, np.nan, rng.normal(size=200))})
    prep = TablePreparer().fit(df)
    X = prep.transform(df)
    assert X.flags.c_contiguous and X.dtype == np.float64
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(X * prep.scale_ + prep.mean_, unscaled().fit_transform(df), rtol=1e-12, atol=1e-12)


def test_numbers_too_large_to_standardise_are_an_error_not_a_warning():
    with pytest.raises(ValueError, match="too large"):
        TablePreparer().fit(pd.DataFrame({"a": [1e308, -1e308, 1e308]}))


def test_not_fitted_and_bad_parameters():
    with pytest.raises(ValueError, match="not fitted"):
        TablePreparer().transform(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ValueError, match="max_levels"):
        TablePreparer(max_levels=0).fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="no rows"):
        TablePreparer().fit(pd.DataFrame({"a": []}))


def test_config_round_trip_and_untrusted_configs():
    df = pd.DataFrame({"k": ["a", "b", "a", None] * 3, "x": [1.0, np.nan, 3.0, 4.0] * 3, "f": ["yes", "no"] * 6})
    prep = TablePreparer(min_frequency=2).fit(df)
    again = TablePreparer.from_config(prep.to_config(), prep.mean_, prep.scale_)
    np.testing.assert_array_equal(again.transform(df), prep.transform(df))
    assert again.decisions_ == prep.decisions_
    good = prep.to_config()
    bad_configs = [
        [],
        {**good, "params": {**good["params"], "max_levels": -1}},
        {**good, "columns": [{"name": "k", "kind": "pickle"}]},
        {**good, "columns": [{**good["columns"][0], "levels": [1, 2]}]},
        {**good, "columns": [{**good["columns"][1], "fill": float("nan")}]},
        {**good, "columns": [{**good["columns"][1], "indicator": "yes"}]},
        {**good, "columns": good["columns"] + good["columns"][:1]},
    ]
    for config in bad_configs:
        with pytest.raises(ValueError):
            TablePreparer.from_config(config, prep.mean_, prep.scale_)
    with pytest.raises(ValueError, match="mean"):
        TablePreparer.from_config(good, prep.mean_[:-1], prep.scale_)
    with pytest.raises(ValueError, match="scale"):
        TablePreparer.from_config(good, prep.mean_, np.full_like(prep.scale_, math.inf))


def test_in_a_scikit_learn_pipeline():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    import pygdx

    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"size": rng.normal(size=n), "kind": rng.choice(["a", "b", "c"], n),
                       "ok": rng.choice(["TRUE", "FALSE"], n)})
    y = 2 * df["size"] + (df.kind == "b") - (df.ok == "TRUE") + 0.01 * rng.normal(size=n)
    pipe = make_pipeline(TablePreparer(), pygdx.GDRegressor(optimizer="gd", lr=0.3, batch_size=None, max_iter=300,
                                                            tol=None))
    pipe.fit(df, y)
    assert pipe.score(df, y) > 0.99
    prep, reg = pipe[0], pipe[1]
    np.testing.assert_array_equal(pipe.predict(df), reg.predict(prep.transform(df)))
    assert list(pipe[:-1].get_feature_names_out()) == list(prep.get_feature_names_out())
    copy = clone(pipe)
    assert copy.get_params()["tablepreparer__max_levels"] == 20 and not hasattr(copy[0], "columns_")
    assert sklearn.base.is_regressor(pipe)


def test_fitting_on_some_rows_and_preparing_all_in_another_order_is_fit_then_transform():
    # pygdx fit learns from its training rows and prepares them first, then the others,
    # without copying the table: the same numbers as fit(...).transform(...)
    rng = np.random.default_rng(3)
    n = 120
    df = pd.DataFrame({"k": rng.choice(["a", "b", "c", "d", None], n), "x": np.where(rng.random(n) < 0.1, np.nan,
                                                                                    rng.normal(size=n)),
                       "f": rng.choice(["yes", "no"], n), "d": rng.choice(["2024-01-01", "2023-05-06"], n),
                       "t": rng.choice(["1,000", "2,500", "?"], n, p=[0.5, 0.45, 0.05])})
    df.loc[5, "k"] = "only in the other rows"
    order = np.concatenate([np.arange(10, n), np.arange(10)])
    fast = TablePreparer(min_frequency=2)
    X = fast._fit_transform_rows(df, order, n - 10)
    slow = TablePreparer(min_frequency=2).fit(df.iloc[order[:-10]])
    np.testing.assert_array_equal(X, slow.transform(df.iloc[order]))
    assert fast.to_config() == slow.to_config()
    np.testing.assert_array_equal(fast.mean_, slow.mean_)
    np.testing.assert_array_equal(fast.scale_, slow.scale_)
