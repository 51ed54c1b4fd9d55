"""The warnings and errors pygdx raises, typed so that callers catch them by class.

When scikit-learn is already imported, its ConvergenceWarning, NotFittedError and
DataConversionWarning are raised instead of ours, so that code catching scikit-learn's classes
catches pygdx's too.
"""

from __future__ import annotations

import sys

__all__ = ["ConvergenceWarning", "NotFittedError", "DataConversionWarning", "TrainingDiverged"]


class ConvergenceWarning(UserWarning):
    """Training stopped at max_iter before the tol criterion was met (scikit-learn's class is
    used instead when scikit-learn is installed)."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before fit (scikit-learn's class when installed)."""


class DataConversionWarning(UserWarning):
    """An input was converted, e.g. a column vector y raveled (scikit-learn's class when installed)."""


class TrainingDiverged(ValueError):
    """Training stopped because the loss, the weights or the optimizer's state became NaN or
    infinite, or the loss grew far above its lowest value: the learning rate is too large for
    the data (or the features are badly scaled). The estimator is left as it was before the call.

    ``epoch`` is the epoch (counted over the model's life, as ``n_iter_``) where it happened.
    """

    def __init__(self, message: str, epoch: int) -> None:
        super().__init__(message)
        self.epoch = epoch


def sklearn_exception(name: str, fallback: type) -> type:
    """scikit-learn's exception class of that name when scikit-learn is already imported, so
    that code catching scikit-learn's warnings and errors catches ours; else a class of our own.

    Only an already imported scikit-learn is used: code that catches its classes has imported
    it, and importing it here would cost a second on the first warning of a program that
    never uses it.
    """
    exceptions = sys.modules.get("sklearn.exceptions")
    if exceptions is None and "sklearn" in sys.modules:
        try:
            from sklearn import exceptions
        except ImportError:
            return fallback
    return getattr(exceptions, name, fallback) if exceptions is not None else fallback
