"""Model files: what is saved comes back, and a model file from anywhere is checked before
anything in it is used (issue 11, F17): every malformed file ends in one DataError."""

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import pygdx
from pygdx.io import DataError
from pygdx.modelfile import SavedModel, load_model, save_model


def regression_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    est = pygdx.GDRegressor(max_iter=20, tol=None, random_state=0).fit(X, X @ [1.0, -2.0, 0.5])
    return SavedModel(est, ["a", "b", "c"], "y", np.array([0.5, 0.0, -1.0]), np.array([2.0, 1.0, 3.0]),
                      "regression", 10.0, 4.0), X


def classification_model(n_classes=3):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    labels = np.array(["cat", "dog", "eel"])[:n_classes]
    y = labels[np.argmax(X @ rng.normal(size=(2, n_classes)), axis=1)]
    est = pygdx.GDClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)
    return SavedModel(est, ["p", "q"], "kind", np.zeros(2), np.ones(2), "classification"), X


@pytest.mark.parametrize("make", [regression_model, classification_model, lambda: classification_model(2)])
def test_round_trip_predicts_the_same(tmp_path, make):
    model, X = make()
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    assert type(loaded.estimator) is type(model.estimator)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.estimator.coef_, model.estimator.coef_)
    assert loaded.estimator.get_params() == {**model.estimator.get_params(), "callbacks": None}
    assert (loaded.feature_names, loaded.target_name, loaded.task) == (model.feature_names, model.target_name,
                                                                       model.task)


def test_round_trip_with_a_table_preparation(tmp_path):
    pd = pytest.importorskip("pandas")
    from pygdx.prepare import TablePreparer

    df = pd.DataFrame({"k": ["a", "b", "c", None] * 10, "x": np.linspace(0, 1, 40), "f": ["yes", "no"] * 20})
    prep = TablePreparer(min_frequency=2).fit(df)
    Xs = prep.transform(df)
    est = pygdx.GDRegressor(max_iter=5, tol=None, random_state=0).fit(Xs, Xs @ np.arange(Xs.shape[1]))
    names = list(prep.get_feature_names_out())
    save_model(tmp_path / "m.npz", SavedModel(est, names, "y", prep.mean_, prep.scale_, "regression", preparer=prep))
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.preparer.to_config() == prep.to_config()
    np.testing.assert_array_equal(loaded.predict(df), est.predict(Xs))


def test_an_old_version_1_file_still_loads(tmp_path):
    model, X = regression_model()
    save_model(tmp_path / "m.npz", model)
    arrays = dict(np.load(tmp_path / "m.npz"))
    meta = json.loads(str(arrays["meta"]))
    meta["format_version"] = 1
    del meta["preparation"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "v1.npz", **arrays)
    np.testing.assert_array_equal(load_model(tmp_path / "v1.npz").predict(X), model.predict(X))


def multi_output_model():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 3))
    Y = X @ rng.normal(size=(3, 2)) + [1.0, -1.0]
    est = pygdx.GDRegressor(max_iter=20, tol=None, random_state=0).fit(X, Y)
    return SavedModel(est, ["a", "b", "c"], ["u", "v"], np.zeros(3), np.ones(3), "regression",
                      np.array([10.0, -3.0]), np.array([4.0, 0.5])), X


def test_a_multi_output_regressor_round_trips(tmp_path):
    model, X = multi_output_model()
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.estimator.coef_.shape == (2, 3) and loaded.target_name == ["u", "v"]
    np.testing.assert_array_equal(loaded.estimator.coef_, model.estimator.coef_)
    np.testing.assert_array_equal(loaded.estimator.intercept_, model.estimator.intercept_)
    pred = loaded.predict(X)
    assert pred.shape == (100, 2)
    np.testing.assert_array_equal(pred, model.estimator.predict(X) * [4.0, 0.5] + [10.0, -3.0])
    np.testing.assert_array_equal(pred, model.predict(X))


def test_a_multi_output_regressor_with_one_scaling_for_all_outputs(tmp_path):
    model, X = multi_output_model()
    model.target_name, model.target_mean, model.target_scale = None, 2.0, 3.0
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.target_name is None
    np.testing.assert_array_equal(loaded.predict(X), model.estimator.predict(X) * 3.0 + 2.0)


def test_a_multi_output_target_name_must_name_each_output(tmp_path):
    model, _ = multi_output_model()
    model.target_name = "y"
    with pytest.raises(ValueError, match="list of 2 names"):
        save_model(tmp_path / "m.npz", model)
    assert not (tmp_path / "m.npz").exists()


SAVE_REFUSED = {  # (model maker, field, value): each would write a file that load_model refuses
    "a list of one target name": (regression_model, "target_name", ["y"]),
    "a target name not a text": (regression_model, "target_name", 5),
    "target_mean an array of one": (regression_model, "target_mean", np.array([1.0])),
    "a NaN target_mean": (regression_model, "target_mean", float("nan")),
    "a zero target_scale": (regression_model, "target_scale", 0.0),
    "target_mean of the wrong count": (multi_output_model, "target_mean", np.array([1.0, 2.0, 3.0])),
    "a negative target_scale of one output": (multi_output_model, "target_scale", np.array([1.0, -1.0])),
    "target names of the wrong count": (multi_output_model, "target_name", ["u", "v", "w"]),
}


@pytest.mark.parametrize("name", SAVE_REFUSED)
def test_save_refuses_target_fields_that_would_not_load(tmp_path, name):
    make, field, value = SAVE_REFUSED[name]
    model, _ = make()
    setattr(model, field, value)
    with pytest.raises(ValueError, match=f"save_model: '{field}' must be"):
        save_model(tmp_path / "m.npz", model)
    assert not (tmp_path / "m.npz").exists()


def test_numpy_numbers_as_target_fields_save_and_load(tmp_path):
    model, X = regression_model()
    model.target_name, model.target_mean, model.target_scale = np.str_("y"), np.float32(10.0), np.array(4.0)
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    assert (loaded.target_name, loaded.target_mean, loaded.target_scale) == ("y", 10.0, 4.0)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("make, version", [(regression_model, 3), (classification_model, 3),
                                           (multi_output_model, 4)])
def test_only_multi_output_files_are_written_as_version_4(tmp_path, make, version):
    # a single-output file stays one the releases before multi-output models read (1 to 3)
    model, X = make()
    save_model(tmp_path / "m.npz", model)
    meta = json.loads(str(np.load(tmp_path / "m.npz")["meta"]))
    assert meta["format_version"] == version and ("n_outputs" in meta) == (version == 4)
    np.testing.assert_array_equal(load_model(tmp_path / "m.npz").predict(X), model.predict(X))


@pytest.mark.parametrize("version", [2, 3])
def test_older_single_output_files_still_load(tmp_path, version):
    model, X = regression_model()
    save_model(tmp_path / "m.npz", model)
    arrays = dict(np.load(tmp_path / "m.npz"))
    meta = json.loads(str(arrays["meta"]))
    assert "n_outputs" not in meta
    meta["format_version"] = version
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    loaded = load_model(tmp_path / "old.npz")
    assert loaded.target_mean == 10.0 and loaded.target_name == "y"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    model, _ = regression_model()
    path = tmp_path / "m.npz"
    path.write_bytes(b"the old model")

    def half_written(fh, **arrays):
        fh.write(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(OSError, match="No space left"):
        save_model(path, model)
    assert path.read_bytes() == b"the old model"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left behind


def edited(tmp_path, change, make=regression_model):
    """A good model file with ``change(arrays, meta)`` applied, written as np.savez would."""
    model, _ = make()
    save_model(tmp_path / "good.npz", model)
    arrays = dict(np.load(tmp_path / "good.npz"))
    meta = json.loads(str(arrays.pop("meta")))
    meta = change(arrays, meta) or meta
    if meta is not ...:
        arrays["meta"] = np.array(meta if isinstance(meta, str) else json.dumps(meta))
    np.savez(tmp_path / "evil.npz", **arrays)
    return tmp_path / "evil.npz"


def set_array(name, value):
    def change(arrays, meta):
        arrays[name] = value
    return change


def set_meta(key, value):
    def change(arrays, meta):
        meta[key] = value
    return change


def drop_array(name):
    def change(arrays, meta):
        del arrays[name]
    return change


CRAFTED = {
    "0-d coef broadcast to every weight": set_array("coef", np.array(1.0)),
    "1-element mean": set_array("mean", np.array([0.5])),
    "NaN coef": set_array("coef", np.array([np.nan, 1.0, 1.0])),
    "inf intercept": set_array("intercept", np.array([np.inf])),
    "zero scale": set_array("scale", np.zeros(3)),
    "complex coef": set_array("coef", np.ones(3, dtype=complex)),
    "text coef": set_array("coef", np.array(["1", "2", "3"])),
    "integer coef": set_array("coef", np.ones(3, dtype=np.int64)),
    "float16 coef": set_array("coef", np.ones(3, dtype=np.float16)),
    "wrong length coef": set_array("coef", np.ones(4)),
    "an extra array": set_array("payload", np.ones(3)),
    "no coef": drop_array("coef"),
    "no meta": lambda arrays, meta: ...,
    "estimator os": set_meta("estimator", "os"),
    "estimator _check_X": set_meta("estimator", "_check_X"),
    "estimator __builtins__": set_meta("estimator", "__builtins__"),
    "unknown task": set_meta("task", "ranking"),
    "task of the other estimator": set_meta("task", "classification"),
    "NaN target_scale": set_meta("target_scale", float("nan")),
    "negative target_scale": set_meta("target_scale", -1.0),
    "meta a JSON list": lambda arrays, meta: "[1, 2]",
    "meta a JSON number": lambda arrays, meta: "3",
    "meta not JSON": lambda arrays, meta: "{not json",
    "meta deeply nested": lambda arrays, meta: "[" * 100000 + "]" * 100000,
    "no feature names": set_meta("feature_names", None),
    "feature names not text": set_meta("feature_names", [1, 2, 3]),
    "params a list": set_meta("params", [1]),
    "unknown param": set_meta("params", {"loss": "squared_error", "shell": "rm -rf"}),
    "bad param value": set_meta("params", {"max_iter": -5}),
    "newer format": set_meta("format_version", 99),
    "other format": set_meta("format", "something-else"),
    "bad preparation": set_meta("preparation", {"params": {}, "columns": []}),
    "n_outputs on a single-output file": set_meta("n_outputs", 3),
    "n_outputs of 1": set_meta("n_outputs", 1),
    "n_outputs a text": set_meta("n_outputs", "2"),
}

MULTI_OUTPUT_CRAFTED = {
    "fewer outputs than coef rows": set_meta("n_outputs", 3),
    "n_outputs gone": lambda arrays, meta: meta.pop("n_outputs") and None,
    "n_outputs in a version 3 file": set_meta("format_version", 3),
    "one target name for two outputs": set_meta("target_name", "y"),
    "target names of the wrong count": set_meta("target_name", ["u"]),
    "target_mean of the wrong count": set_meta("target_mean", [1.0, 2.0, 3.0]),
    "a NaN target_scale": set_meta("target_scale", [1.0, float("nan")]),
    "a zero target_scale": set_meta("target_scale", [1.0, 0.0]),
    "intercept of one output": set_array("intercept", np.zeros(1)),
}


@pytest.mark.parametrize("name", MULTI_OUTPUT_CRAFTED)
def test_crafted_multi_output_files(tmp_path, name):
    path = edited(tmp_path, MULTI_OUTPUT_CRAFTED[name], make=multi_output_model)
    with pytest.raises(DataError):
        load_model(path)


@pytest.mark.parametrize("name", CRAFTED)
def test_crafted_files_end_in_one_data_error(tmp_path, name):
    path = edited(tmp_path, CRAFTED[name])
    with pytest.raises(DataError) as info:
        load_model(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("name", ["classes missing", "one class", "classes unsorted", "object classes",
                                  "coef shape of two classes"])
def test_crafted_classifier_files(tmp_path, name):
    change = {
        "classes missing": drop_array("classes"),
        "one class": set_array("classes", np.array(["cat"])),
        "classes unsorted": set_array("classes", np.array(["eel", "dog", "cat"])),
        "object classes": set_array("classes", np.array([1, "a", None], dtype=object)),
        "coef shape of two classes": set_array("coef", np.ones((1, 2))),
    }[name]
    with pytest.raises(DataError):
        load_model(edited(tmp_path, change, classification_model))


def test_files_that_are_not_model_files(tmp_path):
    model, _ = regression_model()
    save_model(tmp_path / "good.npz", model)
    data = (tmp_path / "good.npz").read_bytes()
    cases = {"empty.npz": b"", "truncated.npz": data[: len(data) // 2], "text.npz": b"hello",
             "renamed.npz": None}
    np.save(tmp_path / "renamed.npy", np.ones(3))
    for name, content in cases.items():
        path = tmp_path / name
        if content is None:
            (tmp_path / "renamed.npy").rename(path)
        else:
            path.write_bytes(content)
        with pytest.raises(DataError, match="not a pygdx model file"):
            load_model(path)
    with pytest.raises(DataError, match="no such model file"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(DataError, match="is not a file"):
        load_model(tmp_path)


def npy_header(shape, dtype="<f8"):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def test_huge_arrays_are_refused_from_their_header_without_allocating(tmp_path):
    model, _ = regression_model()
    save_model(tmp_path / "good.npz", model)
    with zipfile.ZipFile(tmp_path / "good.npz") as good:
        entries = {name: good.read(name) for name in good.namelist()}
    # (a) coef.npy claims 4 GiB (a 10^13-element header is the same case) in a few bytes
    entries_a = {**entries, "coef.npy": npy_header((2**29,)) + b"\0" * 64}
    # (b) 64 MiB of zeros deflated to about 64 KB: the zip bomb of F17, at a size a test can make
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            if name != "coef.npy":
                zf.writestr(name, content)
        with zf.open("coef.npy", "w") as fh:
            fh.write(npy_header((2**23,)))
            for _ in range(64):
                fh.write(bytes(1 << 20))
    with zipfile.ZipFile(tmp_path / "claims.npz", "w") as zf:
        for name, content in entries_a.items():
            zf.writestr(name, content)
    for name in ("claims.npz", "bomb.npz"):
        tracemalloc.start()
        with pytest.raises(DataError):
            load_model(tmp_path / name)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 4 << 20, f"{name}: {peak} bytes allocated while refusing it"


def test_save_replaces_only_a_regular_file(tmp_path):
    model, _ = regression_model()
    (tmp_path / "folder").mkdir()
    with pytest.raises(FileExistsError, match="not a regular file"):
        save_model(tmp_path / "folder", model)
    assert (tmp_path / "folder").is_dir() and list(tmp_path.iterdir()) == [tmp_path / "folder"]
