"""Stochastic weight averaging per epoch, the estimators' ``swa_start=``, as torch users run it:

    swa_model = torch.optim.swa_utils.AveragedModel(model)
    for epoch in range(max_iter):
        train_one_epoch(model)
        if epoch + 1 >= swa_start:
            swa_model.update_parameters(model)

``swa_start=k`` (an int >= 1, epochs counted from 1 as ``n_iter_`` counts them) folds the
weights at the end of epoch k and of every later epoch into their equal-weight mean
(AveragedModel's: the first update copies the weights, the n-th adds (w - mean) / n, computed
by :mod:`pygdx.swa_utils`, so the numbers are torch's). ``coef_``, ``intercept_`` and every
prediction are that mean once epoch k has ended, the plain weights before. ``fit`` starts a
new mean; ``partial_fit`` (one epoch per call) goes on with it while ``swa_start`` is
unchanged, so there the k-th call is the first averaged. The SWA learning rate of
``SWALR`` is a schedule of its own (``lr=``), independent of this option. The tol rule
judges the epoch loss of the weights the optimizer steps, and so does early stopping where the
core scores the held-out rows (as torch's loop evaluates ``model`` while training); with
gradient clipping Python scores them, through the model's predictions (the mean once begun).
Restoring the best epoch's weights leaves the mean as it is.

How it differs from ``average=`` (scikit-learn's averaged SGD): ``average`` folds the weights
after every optimizer step (one per row at batch_size=1) from step k on, inside the core;
``swa_start`` folds them once per epoch, after the epoch, from epoch k on. Averaging once per
epoch is what the SWA paper and torch's tutorial do: the mean of a few points spread along
the last epochs' path, rather than of every point of it. Only one of ``average=``,
``ema_decay=`` and ``swa_start=`` can be set.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ._stepwise import average_start
from .swa_utils import AveragedModel

__all__ = ["swa_model_for", "fold_epoch"]


def swa_model_for(estimator: Any, theta: np.ndarray, carry_on: bool) -> AveragedModel | None:
    """The per-epoch average a fit folds into: None without ``swa_start``; partial_fit's own
    (a copy, so that a failed call leaves the fitted one as it was) while ``swa_start`` and
    the weights' shape and dtype are unchanged; otherwise a new one, with nothing averaged."""
    if estimator.swa_start is None:
        return None
    if average_start(estimator.average) or estimator.ema_decay is not None:
        raise ValueError("average= (every step), ema_decay= (every step) and swa_start= (every epoch) are kinds of "
                         "averaging of the weights: set one of them")
    previous = estimator.__dict__.get("_swa_model")
    if (carry_on and previous is not None and estimator.__dict__.get("_swa_start") == estimator.swa_start
            and previous.params[0].shape == theta.shape and previous.params[0].dtype == theta.dtype):
        return copy.deepcopy(previous)
    return AveragedModel(theta)


def fold_epoch(swa_model: AveragedModel | None, swa_start: Any, epochs_done: int, theta: np.ndarray) -> None:
    """After epoch ``epochs_done`` (counted from 1): fold the weights in from epoch swa_start on."""
    if swa_model is not None and epochs_done >= int(swa_start):
        swa_model.update_parameters(theta)
