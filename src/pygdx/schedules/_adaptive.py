"""AdaptiveLR: scikit-learn's "adaptive" learning rate, a rate that follows the epoch losses
and decides when training is over."""

from __future__ import annotations

import math

from .. import _core
from ._base import Schedule
from ._checks import _count, _nonnegative, _number, _open_unit, _optional


class AdaptiveLR(Schedule):
    """scikit-learn's ``learning_rate="adaptive"``: ``lr`` while the epoch loss improves; after
    ``n_iter_no_change`` epochs in a row that fail to beat the best loss so far by ``tol``,
    the rate is divided by ``1 / factor`` (5) and the count starts again; when that happens
    with the rate already at ``min_lr`` (1e-6) or below, training is over (:attr:`finished`).

    In a GDRegressor / GDClassifier it takes the place of the estimator's tol rule, as in
    scikit-learn: ``tol`` and ``n_iter_no_change`` left at None are the estimator's (with the
    estimator's ``tol=None`` the rate never changes), the loss is the epoch's training loss,
    or with ``early_stopping`` minus the validation score, and the fit ends when the schedule
    is :attr:`finished` (or at max_iter). Outside an estimator, feed it one value per epoch with
    :meth:`observe`; None then means scikit-learn's defaults, tol=1e-3 and 5 epochs.

    Bits: the rate is divided, never multiplied, as scikit-learn divides, so the rates (and a
    plain-SGD fit whose loss is the same, penalty=None) are scikit-learn's exactly. With a
    penalty, scikit-learn's epoch objective adds the penalty at every row's weights, pygdx's
    at the epoch's first: the epoch where the rate drops can then differ.
    """

    _kind = _core.ScheduleKind.constant  # the core reads the current rate, set by observe
    _checks = {**Schedule._checks, "factor": _open_unit, "tol": _optional(_nonnegative),
               "n_iter_no_change": _optional(_count(1)), "min_lr": _nonnegative}
    refresh_each_step = True
    #: the estimators let this schedule decide when training is over (see _training.train)
    owns_stopping = True

    def __init__(self, lr: float, factor: float = 0.2, tol: float | None = None, n_iter_no_change: int | None = None,
                 min_lr: float = 1e-6) -> None:
        super().__init__(lr)
        self.factor = factor
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.min_lr = min_lr
        self._finish_init()
        self.reset()

    def reset(self, tol: float | None = 1e-3, n_iter_no_change: int = 5) -> None:
        """Back to the base rate, forgetting every observed loss. ``tol`` and
        ``n_iter_no_change`` (an estimator's) stand in for the parameters left at None;
        ``tol=None`` here and in the schedule means the rate never changes."""
        self.divisions = 0
        self.best = math.inf
        self.num_bad_epochs = 0
        self.finished = False
        self._rule = (self.tol if self.tol is not None else tol,
                      int(self.n_iter_no_change if self.n_iter_no_change is not None else n_iter_no_change))

    def observe(self, loss: float) -> bool:
        """Record one epoch's loss; True when the rate was just divided. Sets :attr:`finished`
        when the losses stalled with the rate at min_lr or below."""
        loss = _number("loss", loss)  # float() would read the text "1.0" as a loss
        if math.isnan(loss):
            raise ValueError("AdaptiveLR.observe: the loss is NaN; a NaN never counts as an improvement or not")
        tol, patience = self._rule
        if tol is not None and loss > self.best - tol:
            self.num_bad_epochs += 1
        else:
            self.num_bad_epochs = 0
        if loss < self.best:
            self.best = float(loss)
        if self.num_bad_epochs < patience:
            return False
        if self.rate > self.min_lr:
            self.divisions += 1
            self.num_bad_epochs = 0
            return True
        self.finished = True
        return False

    @property
    def rate(self) -> float:
        """The current rate: lr divided by 1 / factor once per cut so far, one division at a
        time as scikit-learn divides (its bits); it follows lr and factor set after the cuts."""
        rate = float(self.lr)
        for _ in range(self.divisions):
            rate = rate / (1.0 / float(self.factor))
        return rate

    def to_core(self, steps: int | None = None) -> _core.Schedule:
        record = super().to_core(steps)
        record.lr = self.rate
        return record
