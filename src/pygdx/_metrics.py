"""The estimators' scores (scikit-learn's r2_score and accuracy_score), without scikit-learn."""

from __future__ import annotations

import numpy as np

__all__ = ["r2", "accuracy"]


def r2(y: np.ndarray, pred: np.ndarray, sw: np.ndarray | None) -> float:
    """R² (of every output, averaged with equal weights, as r2_score's default multioutput)."""
    if y.ndim == 2:
        return float(np.mean([r2(y[:, k], pred[:, k], sw) for k in range(y.shape[1])]))
    w = np.ones_like(y, dtype=np.float64) if sw is None else np.asarray(sw, dtype=np.float64)
    y = y.astype(np.float64)
    pred = pred.astype(np.float64)
    ss_res = float(np.dot(w, (y - pred) ** 2))
    mean = float(np.dot(w, y) / w.sum()) if w.sum() > 0 else 0.0
    ss_tot = float(np.dot(w, (y - mean) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def accuracy(y: np.ndarray, pred: np.ndarray, sw: np.ndarray | None) -> float:
    correct = (np.asarray(y) == np.asarray(pred)).astype(np.float64)
    if sw is None:
        return float(correct.mean())
    return float(np.dot(correct, sw) / np.sum(sw))
