"""Saving a trained linear model to a portable .npz file and loading it back.

The file holds plain arrays (coefficients, intercept, classes, the feature scaling) and a
JSON header (estimator class and parameters, feature and target names, pygdx version):
no pickle, so loading a model file never runs code from it, and any NumPy can read it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .io import DataError

__all__ = ["SavedModel", "save_model", "load_model"]

FORMAT = "pygdx-linear-model"
FORMAT_VERSION = 1


@dataclass
class SavedModel:
    """A fitted estimator with the feature standardisation it was trained behind."""

    estimator: Any
    feature_names: list[str]
    target_name: str | None
    mean: np.ndarray
    scale: np.ndarray
    task: str
    target_mean: float = 0.0  # a regression target is learned as (y - target_mean) / target_scale
    target_scale: float = 1.0

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale

    def predict(self, X: np.ndarray) -> np.ndarray:
        pred = self.estimator.predict(self.transform(X))
        if self.task == "regression":
            pred = pred * self.target_scale + self.target_mean
        return pred


def _jsonable_params(params: dict) -> dict:
    out = {}
    for k, v in params.items():
        if v is None or isinstance(v, (bool, int, float, str)):
            out[k] = v
        elif isinstance(v, dict) and all(isinstance(x, (bool, int, float, str, type(None))) for x in v.values()):
            out[k] = v
    return out


def save_model(path: str | os.PathLike, model: SavedModel) -> None:
    est = model.estimator
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": type(est).__name__,
        "params": _jsonable_params(est.get_params()),
        "feature_names": model.feature_names,
        "target_name": model.target_name,
        "task": model.task,
        "target_mean": model.target_mean,
        "target_scale": model.target_scale,
    }
    from . import __version__

    meta["pygdx_version"] = __version__
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "coef": np.asarray(est.coef_),
        "intercept": np.asarray(est.intercept_),
        "mean": model.mean,
        "scale": model.scale,
    }
    if hasattr(est, "classes_"):
        arrays["classes"] = np.asarray(est.classes_)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def load_model(path: str | os.PathLike) -> SavedModel:
    from . import estimators

    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such model file; train one with 'pygdx fit DATA --target COLUMN --out {path}'")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: np.asarray(data[k]) for k in data.keys() if k != "meta"}
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        raise DataError(f"{path}: not a pygdx model file (write one with 'pygdx fit ... --out MODEL.npz')") from None
    if meta.get("format") != FORMAT:
        raise DataError(f"{path}: not a pygdx model file (write one with 'pygdx fit ... --out MODEL.npz')")
    cls = getattr(estimators, meta["estimator"], None)
    if cls is None:
        raise DataError(f"{path}: unknown estimator {meta['estimator']!r}; was it written by a newer pygdx?")
    est = cls(**meta["params"])
    coef = arrays["coef"]
    n_outputs = coef.shape[0] if coef.ndim == 2 else 1
    est._new_model(len(meta["feature_names"]), n_outputs, coef.dtype)
    est.coef_ = coef
    est.intercept_ = arrays["intercept"]
    if "classes" in arrays:
        est.classes_ = arrays["classes"]
    return SavedModel(est, list(meta["feature_names"]), meta["target_name"], arrays["mean"], arrays["scale"],
                      meta["task"], float(meta.get("target_mean", 0.0)), float(meta.get("target_scale", 1.0)))
