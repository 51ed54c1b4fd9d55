"""GDClassifier's class probabilities: which losses have them (the check behind
``predict_proba``'s availability) and how they are computed from the decision values."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import losses as _losses

__all__ = ["has_probabilities", "predict_proba", "predict_log_proba"]


def has_probabilities(est: Any) -> bool:
    """True for log_loss and modified_huber; otherwise raises the AttributeError that says why
    (available_if chains it under "... has no attribute 'predict_proba'")."""
    name = est.loss if isinstance(est.loss, str) else type(est.loss).__name__
    if name not in ("log_loss", "modified_huber") and not isinstance(
        est.loss, (_losses.LogLoss, _losses.ModifiedHuber, _losses.MultinomialLogLoss)
    ):
        raise AttributeError(f"probability estimates are not available for loss={est.loss!r}")
    return True


def predict_proba(est: Any, X: Any) -> np.ndarray:
    """Class probabilities (n, K): logistic / softmax for log_loss, scikit-learn's
    (clip(z, -1, 1) + 1) / 2 (normalised one-vs-rest) for modified_huber."""
    z = est._decision(est._check_predict_X(X)).astype(np.float64)
    loss = est._loss_object()
    if isinstance(loss, (_losses.LogLoss, _losses.MultinomialLogLoss)):
        if z.shape[1] == 1:
            p1 = np.exp(-np.logaddexp(0.0, -z[:, 0]))
            proba = np.column_stack([1.0 - p1, p1])
        else:
            proba = _losses.MultinomialLogLoss.softmax(z)
    else:
        clipped = (np.clip(z, -1.0, 1.0) + 1.0) / 2.0
        if z.shape[1] == 1:
            proba = np.column_stack([1.0 - clipped[:, 0], clipped[:, 0]])
        else:
            total = clipped.sum(axis=1, keepdims=True)
            uniform = total[:, 0] == 0
            proba = np.where(total > 0, clipped / np.where(total > 0, total, 1.0), 1.0 / z.shape[1])
            proba[uniform] = 1.0 / z.shape[1]
    return proba.astype(est._theta.dtype)


def predict_log_proba(est: Any, X: Any) -> np.ndarray:
    """log of predict_proba."""
    with np.errstate(divide="ignore"):
        return np.log(predict_proba(est, X))
