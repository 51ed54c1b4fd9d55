"""Fuzz tests of the model loader and `pygdx predict` on hostile model files (issue 11).

A good model file is damaged at random: bytes truncated or overwritten, an array replaced by
one of another dtype, shape or value (NaN, huge, object, structured), the JSON header edited
(keys removed, values of the wrong type), entries added or removed, or the file replaced by
something else entirely (empty, a directory, a plain .npy, a pickle). Every such file either
loads into a model whose predictions are finite, or ends in one DataError (a ValueError);
`pygdx predict` exits 0, or 2 with one line on stderr and nothing on stdout."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pygdx
from pygdx import cli
from pygdx.io import DataError
from pygdx.modelfile import SavedModel, load_model, save_model

from _hostile import HOSTILE_DTYPES, fuzz_settings, hostile_array

SETTINGS = fuzz_settings(25)
X = np.random.default_rng(0).normal(size=(12, 3))
NAMES = ["a", "b", "c"]


def good_model(kind: str) -> SavedModel:
    if kind == "regression":
        est = pygdx.GDRegressor(max_iter=3, tol=None, random_state=0).fit(X, X @ [1.0, -2.0, 0.5])
        model = SavedModel(est, NAMES, "y", np.zeros(3), np.ones(3), "regression", 1.0, 2.0)
    else:
        y = np.array(["cat", "dog", "eel"])[np.arange(12) % 3]
        est = pygdx.GDClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
        model = SavedModel(est, NAMES, "kind", np.zeros(3), np.ones(3), "classification")
    return model


GOOD = {kind: good_model(kind) for kind in ("regression", "classification")}

JSON_VALUES = st.sampled_from([None, True, 0, -1, 1.5, 1e308, "x", "", [], [1, "a"], {}, {"a": None},
                               ["a", "b", "c"], ["a"] * 1000, "GDRegressor", "GDClassifier", "regression",
                               "classification", 1, 2])
ARRAYS = st.one_of(
    st.sampled_from([np.array(1.0), np.ones(3), np.ones(4), np.ones((1, 3)), np.ones((3, 3)), np.ones((2, 3)),
                     np.full(3, np.nan), np.full(3, np.inf), np.full(3, 1e308), np.full(3, 5e-324), np.zeros(3),
                     np.ones(3, np.float32), np.ones(3, np.float16), np.ones(3, np.int64), np.ones(1),
                     np.array(["cat", "dog"]), np.array([1, 2, 3]), np.array(["eel", "cat", "dog"]),
                     np.array([1, 1]), np.ones(0), np.ones((0, 3)), np.ones((1, 1, 3))]),
    st.builds(hostile_array, st.just((3,)), st.sampled_from(HOSTILE_DTYPES)),
)
MUTATIONS = ["truncate", "overwrite", "array", "meta key", "meta drop", "drop entry", "extra entry", "compressed",
             "pickled object", "replace"]


@st.composite
def damaged(draw, tmp_path, kind):
    """(path of a damaged model file, what was done)."""
    path = tmp_path / f"{kind}.npz"
    save_model(path, GOOD[kind])
    raw = path.read_bytes()
    mutation = draw(st.sampled_from(MUTATIONS))
    if mutation in ("truncate", "overwrite"):
        at = draw(st.integers(0, len(raw) - 1))
        if mutation == "truncate":
            raw = raw[:at]
        else:
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at + 8:]
        path.write_bytes(raw)
        return path, mutation
    if mutation == "replace":
        target = draw(st.sampled_from(["empty", "directory", "npy", "pickle", "text", "zip of text"]))
        path.unlink()
        if target == "directory":
            path.mkdir()
        elif target == "npy":
            with open(path, "wb") as fh:
                np.save(fh, np.ones(3))
        elif target == "pickle":
            path.write_bytes(pickle.dumps(GOOD[kind].estimator))
        elif target == "zip of text":
            with zipfile.ZipFile(path, "w") as zf:
                zf.writestr("meta.npy", "hello")
        else:
            path.write_bytes(b"" if target == "empty" else b"coef,intercept\n1,2\n")
        return path, target
    with np.load(path) as npz:
        arrays = dict(npz)
    meta = json.loads(str(arrays["meta"]))
    name = draw(st.sampled_from(sorted(arrays)))
    if mutation == "array":
        arrays[name] = draw(ARRAYS)
    elif mutation == "meta key":
        key = draw(st.sampled_from(sorted(meta) + ["params.max_iter", "params.loss", "params.class_weight"]))
        if key.startswith("params."):
            meta["params"][key[7:]] = draw(JSON_VALUES)
        else:
            meta[key] = draw(JSON_VALUES)
        arrays["meta"] = np.array(json.dumps(meta))
    elif mutation == "meta drop":
        meta.pop(draw(st.sampled_from(sorted(meta))))
        arrays["meta"] = np.array(json.dumps(meta))
    elif mutation == "drop entry":
        del arrays[name]
    elif mutation == "extra entry":
        arrays[draw(st.sampled_from(["payload", "classes", "meta2"]))] = np.ones(2)
    elif mutation == "pickled object":
        arrays[name] = np.array([{"a": 1}, None], dtype=object)
    if mutation == "compressed":
        np.savez_compressed(path, **arrays)
    else:
        np.savez(path, **arrays)
    return path, mutation


@pytest.mark.parametrize("kind", ["regression", "classification"])
@SETTINGS
@given(data=st.data())
def test_a_damaged_model_file_loads_sanely_or_is_one_data_error(tmp_path_factory, kind, data):
    tmp_path = tmp_path_factory.mktemp("m")
    path, what = data.draw(damaged(tmp_path, kind))
    try:
        model = load_model(path)
    except DataError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        return
    assert type(model.estimator) in (pygdx.GDRegressor, pygdx.GDClassifier)
    pred = model.predict(X)
    assert pred.shape == (len(X),)
    if kind == "regression" or model.task == "regression":
        assert np.isfinite(pred).all()


@pytest.mark.parametrize("kind", ["regression", "classification"])
@settings(fuzz_settings(12), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_predict_on_a_damaged_model_exits_0_or_2_with_one_line(tmp_path_factory, capsys, kind, data):
    tmp_path = tmp_path_factory.mktemp("cli")
    path, what = data.draw(damaged(tmp_path, kind))
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b,c\n" + "".join(f"{r[0]},{r[1]},{r[2]}\n" for r in X))
    capsys.readouterr()
    code = cli.main(["predict", str(path), str(csv)])
    out, err = capsys.readouterr()
    if code == 0:
        assert len(out.splitlines()) >= len(X)
        return
    assert code == 2, (code, err)
    assert out == "" and err.startswith("pygdx: error: ") and err.count("\n") == 1, err
