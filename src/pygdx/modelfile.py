"""Saving a trained linear model to a portable .npz file and loading it back.

The file holds plain arrays (coefficients, intercept, classes, the feature scaling) and a
JSON header (estimator class and parameters, feature and target names, the preparation of
a table's columns, pygdx version): no pickle, so loading a model file never runs code from
it, and any NumPy can read it.

A model file may come from anywhere, so :func:`load_model` trusts nothing in it: only
GDRegressor and GDClassifier are built; every key, type, shape, dtype and value is checked
against the header; arrays are stored uncompressed and their .npy headers are read first,
so nothing larger than the file itself is ever allocated. Whatever is wrong ends in one
:class:`~pygdx.io.DataError` that says so.
"""

from __future__ import annotations

import json
import math
import os
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._files import replace_atomically
from .io import DataError

__all__ = ["SavedModel", "SparseInput", "TrainingRecord", "save_model", "load_model"]

FORMAT = "pygdx-linear-model"
# 2 adds the table preparation, 3 sparse input, 4 multi-output regression; files of every
# earlier version still load. A single-output model is written as version 3, which the
# releases before multi-output models read too.
FORMAT_VERSION = 4
_SINGLE_OUTPUT_VERSION = 3
_ESTIMATORS = {"GDRegressor": "regression", "GDClassifier": "classification"}
_NOT_A_MODEL = "not a pygdx model file (write one with 'pygdx fit ... --out MODEL.npz')"


@dataclass(frozen=True)
class SparseInput:
    """How a model trained on sparse rows (an svmlight or SciPy .npz file) reads its input:
    ``n_features`` columns, used as they are (no centring or scaling), and whether the
    svmlight files count features from 1 (as the training file did), so that a file read at
    predict time gets the same columns even when the "auto" guess would differ."""

    n_features: int
    one_based: bool


@dataclass(frozen=True)
class TrainingRecord:
    """How the training of a saved model ended: ``epochs_done`` of the ``epochs_asked``
    (``max_iter``), and whether Ctrl-C stopped it there (``interrupted``: the model of the
    last completed epoch, saved by ``pygdx fit``, usable but possibly short of a full fit).
    Files written before pygdx kept this have none (SavedModel.training None); older
    readers ignore it."""

    epochs_done: int
    epochs_asked: int
    interrupted: bool = False

    def note(self) -> str | None:
        """One line for ``pygdx predict`` about a partial model, or None."""
        if not self.interrupted:
            return None
        return (f"this model's training was interrupted after {self.epochs_done} of {self.epochs_asked} epochs "
                "(Ctrl-C); it predicts with the last completed epoch's weights")


@dataclass
class SavedModel:
    """A fitted estimator with the preparation of its input it was trained behind.

    ``preparer``: a fitted :class:`pygdx.prepare.TablePreparer` (tables with columns of any
    kind) or None (numbers only: ``(X - mean) / scale`` of ``feature_names``).
    ``sparse_input``: set for a model trained on sparse rows, which are used as they are
    (``feature_names`` is then empty, ``mean`` and ``scale`` have no entries).
    A multi-output regressor (``y`` of shape (n, k)) has ``target_name`` None or a list of k
    names, and ``target_mean`` / ``target_scale`` numbers or arrays of k entries.
    """

    estimator: Any
    feature_names: list[str]
    target_name: str | list[str] | None
    mean: np.ndarray
    scale: np.ndarray
    task: str
    target_mean: Any = 0.0  # a regression target is learned as (y - target_mean) / target_scale
    target_scale: Any = 1.0
    preparer: Any = None
    sparse_input: SparseInput | None = None
    training: TrainingRecord | None = None

    @property
    def n_features(self) -> int:
        return self.sparse_input.n_features if self.sparse_input is not None else len(self.feature_names)

    @property
    def input_columns(self) -> list[str]:
        """The columns ``predict`` reads from a table."""
        return self.preparer.input_columns_ if self.preparer is not None else self.feature_names

    def transform(self, X: Any) -> np.ndarray:
        if self.sparse_input is not None:
            return X
        if self.preparer is not None:
            return self.preparer.transform(X)
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale

    def predict_prepared(self, Xs: np.ndarray) -> np.ndarray:
        """Predictions for rows already passed through :meth:`transform`."""
        pred = self.estimator.predict(Xs)
        if self.task == "regression":
            pred = pred * self.target_scale + self.target_mean
        return pred

    def predict(self, X: Any) -> np.ndarray:
        return self.predict_prepared(self.transform(X))


def _jsonable_params(params: dict) -> dict:
    out = {}
    for k, v in params.items():
        if v is None or isinstance(v, (bool, int, float, str)):
            out[k] = v
        elif isinstance(v, dict) and all(isinstance(x, (bool, int, float, str, type(None))) for x in v.values()):
            out[k] = v
    return out


def save_model(path: str | os.PathLike, model: SavedModel) -> None:
    """Write ``model`` to ``path`` (.npz, no pickle). The file is written beside ``path``
    and renamed into place, so a failure leaves any old file as it was."""
    from . import __version__

    est = model.estimator
    if type(est).__name__ not in _ESTIMATORS:
        raise TypeError(f"only GDRegressor and GDClassifier models can be saved, not {type(est).__name__}")
    n_outputs = _regression_outputs(est) if model.task == "regression" else 1
    target = _target_fields(model, n_outputs)
    preparer = model.preparer
    mean, scale = (preparer.mean_, preparer.scale_) if preparer is not None else (model.mean, model.scale)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION if n_outputs > 1 else _SINGLE_OUTPUT_VERSION,
        "estimator": type(est).__name__,
        "params": _jsonable_params(est.get_params()),
        "feature_names": [str(n) for n in model.feature_names],
        "task": model.task,
        **target,
        "preparation": preparer.to_config() if preparer is not None else None,
        "sparse_input": None if model.sparse_input is None else {
            "n_features": int(model.sparse_input.n_features), "one_based": bool(model.sparse_input.one_based)},
        "pygdx_version": __version__,
    }
    if model.training is not None:  # checked as load_model checks it: a file written loads
        if not (_is_int(model.training.epochs_done) and model.training.epochs_done >= 0 and
                _is_int(model.training.epochs_asked) and model.training.epochs_asked >= 1):
            raise ValueError(f"save_model: the training record needs epochs_done >= 0 and epochs_asked >= 1, not "
                             f"{model.training!r}")
        meta["training"] = {"epochs_done": int(model.training.epochs_done),
                            "epochs_asked": int(model.training.epochs_asked),
                            "interrupted": bool(model.training.interrupted)}
    arrays = {
        "meta": np.array(json.dumps(meta, allow_nan=False)),
        "coef": np.asarray(est.coef_),
        "intercept": np.asarray(est.intercept_),
        "mean": np.asarray(mean, dtype=np.float64),
        "scale": np.asarray(scale, dtype=np.float64),
    }
    if hasattr(est, "classes_"):
        classes = np.asarray(est.classes_)
        arrays["classes"] = classes.astype(str) if classes.dtype.kind == "O" else classes
    replace_atomically(path, lambda fh: np.savez(fh, **arrays))


def _regression_outputs(est: Any) -> int:
    """k for a regressor fitted on y of shape (n, k) (coef_ (k, d)), 1 for y of shape (n,)."""
    coef = np.asarray(est.coef_)
    return 1 if coef.ndim == 1 else coef.shape[0]


def _target_fields(model: SavedModel, n_outputs: int) -> dict:
    """The header's target fields: one name and numbers, or (multi-output) k of each, checked
    by the rules load_model applies, so that a file that was written loads."""
    fields = {key: _plain(getattr(model, key)) for key in ("target_name", "target_mean", "target_scale")}
    if n_outputs > 1:
        fields["n_outputs"] = n_outputs
        if isinstance(fields["target_name"], list):
            fields["target_name"] = [str(n) for n in fields["target_name"]]
        for key in ("target_mean", "target_scale"):  # one number stands for every output
            if _is_finite_number(fields[key]):
                fields[key] = [fields[key]] * n_outputs
    problem = _target_problem(fields, n_outputs)
    if problem is not None:
        key, what = problem
        raise ValueError(f"save_model: {what} for a model of {n_outputs} output(s), not {getattr(model, key)!r}; "
                         f"set the SavedModel's {key} accordingly")
    for key in ("target_mean", "target_scale"):
        value = fields[key]
        fields[key] = [float(v) for v in value] if isinstance(value, list) else float(value)
    return fields


def _plain(value: Any) -> Any:
    """``value`` as the JSON header holds it: NumPy numbers, texts and arrays as Python ones."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


# --- loading: every field checked ------------------------------------------------------------

def _read_array(zf: zipfile.ZipFile, name: str, kinds: str, shape: Any, path: str) -> np.ndarray:
    """The array ``name`` after its .npy header was checked: dtype kind in ``kinds``, the
    expected ``shape`` (a tuple, or a callable that checks one), bytes that match the
    entry's stored size."""
    info = zf.getinfo(f"{name}.npy")
    if info.compress_type != zipfile.ZIP_STORED or info.file_size > os.path.getsize(path):
        raise DataError(f"{path}: array {name!r} is compressed or larger than the file; {_NOT_A_MODEL}")
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            found, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            found, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy version {version}")
        header_bytes = fh.tell()
    if dtype.hasobject or dtype.kind not in kinds:
        raise DataError(f"{path}: array {name!r} has dtype {dtype}, which a model file never holds; {_NOT_A_MODEL}")
    if callable(shape) and not shape(found) or not callable(shape) and found != shape:
        want = "another shape" if callable(shape) else f"shape {shape}"
        raise DataError(f"{path}: array {name!r} has shape {found} where the header implies {want}; the file is "
                        "damaged or was edited")
    if header_bytes + math.prod(found) * dtype.itemsize != info.file_size:
        raise DataError(f"{path}: array {name!r} is not as long as its header says; the file is damaged")
    with zf.open(info) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def _check_meta(meta: Any, path: str) -> None:
    def bad(what: str) -> DataError:
        return DataError(f"{path}: {what}; the file is damaged or was not written by pygdx")

    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataError(f"{path}: {_NOT_A_MODEL}")
    if meta.get("format_version") not in range(1, FORMAT_VERSION + 1) or isinstance(meta["format_version"], bool):
        raise DataError(f"{path}: model format version {meta.get('format_version')!r} is not one this pygdx "
                        f"reads (1 to {FORMAT_VERSION}); was it written by a newer pygdx?")
    if meta.get("estimator") not in _ESTIMATORS:
        raise bad(f"estimator {meta.get('estimator')!r} is not GDRegressor or GDClassifier")
    if meta.get("task") != _ESTIMATORS[meta["estimator"]]:
        raise bad(f"task {meta.get('task')!r} does not go with {meta['estimator']}")
    if not isinstance(meta.get("params"), dict):
        raise bad("the estimator's parameters are missing")
    names = meta.get("feature_names")
    sparse = meta.get("sparse_input")
    if sparse is not None:
        if not (isinstance(sparse, dict) and set(sparse) == {"n_features", "one_based"} and
                _is_int(sparse["n_features"]) and sparse["n_features"] >= 1 and isinstance(sparse["one_based"], bool)):
            raise bad("'sparse_input' must hold a positive 'n_features' and a true/false 'one_based'")
        if names != [] or meta.get("preparation") is not None:
            raise bad("a model of sparse input has no feature names and no table preparation")
    elif not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise bad("'feature_names' must be a non-empty list of texts")
    k = meta.get("n_outputs", 1)
    if "n_outputs" in meta and (not _is_int(k) or k < 2 or meta["task"] != "regression" or
                                meta["format_version"] < 4):
        raise bad("'n_outputs' must be a count of 2 or more, and only a regressor's (format version 4 on)")
    problem = _target_problem(meta, k)
    if problem is not None:
        raise bad(problem[1])
    training = meta.get("training")
    if training is not None and not (
            isinstance(training, dict) and set(training) == {"epochs_done", "epochs_asked", "interrupted"} and
            _is_int(training["epochs_done"]) and _is_int(training["epochs_asked"]) and
            training["epochs_done"] >= 0 and training["epochs_asked"] >= 1 and
            isinstance(training["interrupted"], bool)):
        raise bad("'training' must hold the counts 'epochs_done' (>= 0) and 'epochs_asked' (>= 1) and a true/false "
                  "'interrupted'")


def _target_problem(fields: dict, k: int) -> tuple[str, str] | None:
    """(the field, what is wrong with it) for a header's target fields of a model of k outputs,
    or None: load_model refuses such a file, save_model refuses to write one."""
    name = fields.get("target_name")
    if k == 1 and name is not None and not isinstance(name, str):
        return "target_name", "'target_name' must be one name (a text) or null"
    if k > 1 and name is not None and not (isinstance(name, list) and len(name) == k and
                                           all(isinstance(n, str) for n in name)):
        return "target_name", f"'target_name' must be null or a list of {k} names (texts)"
    for key, default in (("target_mean", 0.0), ("target_scale", 1.0)):
        value = fields.get(key, default)
        values = value if k > 1 and isinstance(value, list) and len(value) == k else [value] if k == 1 else None
        if values is None or not all(_is_finite_number(v) for v in values):
            return key, f"{key!r} must be a finite number" + (f" for each of the {k} outputs" if k > 1 else "")
        if key == "target_scale" and not all(v > 0 for v in values):
            return key, "'target_scale' must be positive"
    return None


def _is_finite_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# The parameters the one-epoch fit below replaces, so it cannot check them: checked here.
_TRAINING_PARAMS = {
    "max_iter": lambda v: _is_int(v) and v >= 1,
    "tol": lambda v: v is None or isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    and v >= 0,
    "early_stopping": lambda v: isinstance(v, bool),
    "warm_start": lambda v: isinstance(v, bool),
    "verbose": lambda v: _is_int(v) or isinstance(v, bool),
    "callbacks": lambda v: v is None,
    "class_weight": lambda v: v is None or v == "balanced" or isinstance(v, dict) and all(
        isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and w > 0 for w in v.values()),
}


def _check_training_params(params: dict) -> None:
    for key, ok in _TRAINING_PARAMS.items():
        if key in params and not ok(params[key]):
            raise ValueError(f"parameter {key}={params[key]!r} is not valid")


def _fitted_estimator(name: str, params: dict, coef: np.ndarray, intercept: np.ndarray,
                      classes: np.ndarray | None) -> Any:
    """A GDRegressor / GDClassifier with these weights, made through the public API: a
    one-epoch fit on zeros gives it the right shape (and classes), then the weights are set."""
    from . import estimators

    cls = getattr(estimators, name)
    unknown = sorted(set(params) - set(cls().get_params()))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for {name}")
    _check_training_params(params)
    est = cls(**params)
    n_rows = len(classes) if classes is not None else 2
    X0 = np.zeros((n_rows, coef.shape[-1]), dtype=coef.dtype)
    # a regressor's coef of shape (k, d) comes from a y of k columns
    y0 = classes if classes is not None else np.zeros((n_rows,) + coef.shape[:-1])
    settings = est.get_params()
    one_epoch = {"max_iter": 1, "tol": None, "early_stopping": False, "warm_start": False, "callbacks": None,
                 "verbose": 0, **({"class_weight": None} if classes is not None else {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(**one_epoch).fit(X0, y0)
    est.set_params(**{k: settings[k] for k in one_epoch})
    est.coef_ = coef
    est.intercept_ = intercept
    if classes is not None and not np.array_equal(est.classes_, classes):
        raise ValueError("the classes must be sorted and distinct")
    return est


def load_model(path: str | os.PathLike) -> SavedModel:
    """A model written by :func:`save_model` (or ``pygdx fit``), checked throughout."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such model file; train one with 'pygdx fit DATA --target COLUMN --out {path}'")
    if not os.path.isfile(path):
        raise DataError(f"{path} is not a file; give a model file written by 'pygdx fit'")
    try:
        with zipfile.ZipFile(path) as zf:
            return _load(zf, path)
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, TypeError, KeyError, MemoryError,
            RecursionError) as exc:
        raise DataError(f"{path}: {_NOT_A_MODEL} ({type(exc).__name__}: {str(exc)[:200]})") from None


def _load(zf: zipfile.ZipFile, path: str) -> SavedModel:
    entries = set(zf.namelist())
    required = {"meta.npy", "coef.npy", "intercept.npy", "mean.npy", "scale.npy"}
    if not required <= entries or not entries <= required | {"classes.npy"}:
        raise DataError(f"{path}: {_NOT_A_MODEL} (it holds {sorted(entries)})")
    meta = json.loads(str(_read_array(zf, "meta", "U", (), path)))
    _check_meta(meta, path)
    sparse = SparseInput(**meta["sparse_input"]) if meta.get("sparse_input") is not None else None
    task, d = meta["task"], (sparse.n_features if sparse is not None else len(meta["feature_names"]))
    classes = None
    if task == "classification":
        if "classes.npy" not in entries:
            raise DataError(f"{path}: a classifier's file must hold its classes; the file is damaged")
        classes = _read_array(zf, "classes", "biufU", lambda s: len(s) == 1 and 2 <= s[0], path)
        n_outputs = 1 if len(classes) == 2 else len(classes)
        coef_shape, intercept_shape = (n_outputs, d), (n_outputs,)
    else:
        k = meta.get("n_outputs", 1)
        coef_shape, intercept_shape = ((d,), (1,)) if k == 1 else ((k, d), (k,))
    coef = _read_array(zf, "coef", "f", coef_shape, path)
    intercept = _read_array(zf, "intercept", "f", intercept_shape, path)
    mean = _read_array(zf, "mean", "f", (0,) if sparse else (d,), path)
    scale = _read_array(zf, "scale", "f", (0,) if sparse else (d,), path)
    for name, arr in (("coef", coef), ("intercept", intercept), ("mean", mean), ("scale", scale)):
        if not np.all(np.isfinite(arr)):
            raise DataError(f"{path}: array {name!r} holds NaN or infinity; the file is damaged")
    if not np.all(scale > 0):
        raise DataError(f"{path}: array 'scale' must be positive; the file is damaged")
    if coef.dtype != intercept.dtype:
        raise DataError(f"{path}: 'coef' and 'intercept' differ in dtype; the file is damaged")
    preparer = None
    if meta.get("preparation") is not None:
        from .prepare import TablePreparer

        preparer = TablePreparer.from_config(meta["preparation"], mean.astype(np.float64), scale.astype(np.float64))
        if list(preparer.get_feature_names_out()) != meta["feature_names"]:
            raise DataError(f"{path}: the preparation's output columns are not the model's features; the file "
                            "is damaged")
    est = _fitted_estimator(meta["estimator"], meta["params"], coef, intercept, classes)
    target_mean, target_scale = (meta.get("target_mean", 0.0), meta.get("target_scale", 1.0))
    if "n_outputs" in meta:
        target_mean, target_scale = np.array(target_mean, dtype=np.float64), np.array(target_scale, dtype=np.float64)
    else:
        target_mean, target_scale = float(target_mean), float(target_scale)
    training = TrainingRecord(**meta["training"]) if meta.get("training") is not None else None
    return SavedModel(est, list(meta["feature_names"]), meta["target_name"], mean, scale, task, target_mean,
                      target_scale, preparer, sparse, training)
