"""The estimators' options that act at every optimizer step: averaged SGD (``average=``) and
gradient clipping (``clip_grad_norm=``, ``clip_grad_value=``).

Averaged SGD (scikit-learn's semantics): the model predicts with the mean of the weights
after every optimizer step from step ``start`` on, while the optimizer keeps stepping the
plain weights.

- ``average=True`` averages from the first step, ``average=k`` (an int >= 1) from step k on
  (steps counted by the optimizer: one per row with batch_size=1, one per batch otherwise);
  ``False`` or 0 turns it off. The mean's first fold copies the weights (at step ``start``),
  so when ``fit`` (or the ``partial_fit`` calls) reaches step ``start`` with averaging on, this
  is torch's SWA (AveragedModel's equal-weight mean) updated after every step from step
  ``start``. Turned on in ``partial_fit`` (or ``start`` changed) after step ``start`` has
  passed, the mean starts from zeros and weighs step t's weights by 1 / (t - start + 1), as
  scikit-learn's ``partial_fit`` does: not torch's SWA, whose first update would copy them.
- ``ema_decay=d`` keeps torch's exponential moving average instead
  (``AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(d))``, updated after every step): the
  weights after its first step (the first step of ``fit``, or the first after ``ema_decay``
  was set or changed in ``partial_fit``), then ``ema = d * ema + (1 - d) * w``.
- ``coef_`` and ``intercept_`` (and every prediction) are the averages once their first
  step was reached, the plain weights before that, as in scikit-learn.
- ``fit`` starts a new average (and a new step count); ``partial_fit`` goes on with both
  while the averaging settings are unchanged.
- The epochs run in the core (core/averaging.hpp): each step is followed by one
  multiply-add pass that folds the weights into the mean; at batch_size=1 the rows are
  stepped by linear_epoch's row kernels with nothing else per step (about 1.2-1.3x an
  unaveraged epoch, ``benchmarks/bench_averaging.py``). Only in-memory data with a loss of the core can be
  averaged: chunked or Dask data and custom (NumPy) losses are refused with a clear error.
- Sparse (CSR) X averages too, with the dense fit's results up to rounding
  (core/sparse_stepwise_epochs.hpp). Plain SGD without an l1 part keeps the mean or EMA
  lazily (scikit-learn's method, core/lazy_average.hpp), so a step stays O(the row's
  non-zeros), plus an occasional pass over all weights (after 16, 256, 4096, ... steps; an
  EMA of decay d every ln(16) / (1 - d) steps). Other rules, and plain SGD with an l1 part, fold
  every weight after each step: O(n_features) per step.

Gradient clipping (torch.nn.utils' semantics, as :mod:`pygdx.clip` and :func:`pygdx.minimize`):
each batch's gradient of the objective (data part and penalty, over every coefficient and
intercept as one vector) is clamped to [-clip_grad_value, clip_grad_value], then scaled to a
2-norm of at most clip_grad_norm, before the optimizer's step (core/clipping.hpp). A clipped
fit takes one batch path for every batch size (the full gradient of each batch, then the
step), so its bits differ from an unclipped fit's even when nothing is clipped, and plain
SGD's clamped weight decay does not apply. On sparse X the clip needs the norm of the whole
gradient, whose penalty part (alpha * w) is dense: every clipped step builds the gradient over
every coefficient and steps all of them, O(n_features) per step, whatever ``sparse_updates``
says (the dense fit's results up to rounding).

A third kind of averaging, once per epoch rather than every step, is ``swa_start=``
(pygdx._swa: torch's AveragedModel in an epoch loop).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np

from . import _core
from ._sparse import SparseInMemory
from ._training import InMemory, intercept_decay_for

__all__ = ["average_start", "weight_average", "StepwiseSource"]


def average_start(average: Any) -> int:
    """The step averaging starts at (0: no averaging) from the ``average`` parameter."""
    if average is True or (isinstance(average, np.bool_) and bool(average)):
        return 1
    if average is False or isinstance(average, np.bool_):
        return 0
    return int(average)


def weight_average(average: Any, ema_decay: Any) -> tuple[int, float | None]:
    """(the step the average of the weights starts at, 0 for none; the EMA's decay, or None
    for the mean) from the estimator's ``average`` and ``ema_decay``."""
    start = average_start(average)
    if ema_decay is None:
        return start, None
    if start:
        raise ValueError("average= (the mean of the weights) and ema_decay= (their exponential moving average) "
                         "are two kinds of averaging: set one of them")
    return 1, float(ema_decay)


class StepwiseSource:
    """An in-memory source (``_training.InMemory``) whose epochs clip each batch's gradient
    (``clip``: (max 2-norm, max |value|), 0 for none, or None) and/or keep the average of the
    weights from step ``start`` on in ``average`` (the model's array, n_params, written in
    place; None: no averaging): their mean, or with ``ema_decay`` their exponential moving
    average."""

    def __init__(self, rows: Any, average: np.ndarray | None, start: int, clip: tuple | None,
                 ema_decay: float | None = None) -> None:
        if not isinstance(rows, (InMemory, SparseInMemory)):
            raise ValueError("average=, ema_decay= and clip_grad_norm= / clip_grad_value= need in-memory X (a NumPy "
                             "array or a SciPy CSR matrix); turn them off to train on this data")
        self.rows, self.average, self.start, self.clip, self.ema_decay = rows, average, start, clip, ema_decay
        # What train() asks before refusing an intercept_decay meant for sparse rows.
        self.sparse_rows = isinstance(rows, SparseInMemory)
        # The trainer undoes the average with the weights (a failed, non-finite or interrupted
        # epoch, wherever a Ctrl-C lands) and keeps it with the best epoch (early stopping).
        self.in_step_with_weights = () if average is None else (average,)

    def bind(self, plan: Any, optimizer: Any, problem: Any) -> Callable[[int | None], tuple[float, bool]]:
        if not plan.on_core:
            raise ValueError(f"{plan.owner}: average=, ema_decay= and clip_grad_norm= / clip_grad_value= need a loss "
                             "of the core (a built-in loss, or a subclass that keeps its formulas); turn them off to "
                             "train this custom loss")
        rows, average, start, clip, decay = self.rows, self.average, float(self.start), self.clip, self.ema_decay
        theta = optimizer.params[0]
        batch_size = None if plan.batch_size is None else min(int(plan.batch_size), len(rows.rows))
        steps = rows.steps_per_epoch(plan)

        if isinstance(rows, SparseInMemory):
            X = rows.X
            data = (problem, X.data, X.indices, X.indptr, X.shape[0], rows.y, rows.sample_weight, rows.rows,
                    batch_size)
            clipped = partial(_core.csr_clipped_epoch, *data)
            averaged = partial(_core.csr_averaged_epoch, *data, plan.sparse_updates == "lazy")
            damped = (intercept_decay_for(plan, True),)  # the last argument of both
        else:
            data = (problem, rows.X, rows.y, rows.sample_weight, rows.rows, batch_size)
            clipped = partial(_core.clipped_epoch, *data)
            averaged = partial(_core.averaged_epoch, *data)
            damped = ()

        def epoch(seed: int | None) -> tuple[float, bool]:
            # The trainer undoes a failed or interrupted epoch: the weights, the optimizer's
            # state and the average (in_step_with_weights).
            hyper, schedule, counters, states = optimizer.core_buffers(steps=steps)
            common = (hyper, schedule, counters, theta, states)
            if clip is not None:
                loss, _, finite = clipped(*common, clip[0], clip[1], average, start, plan.n_threads, seed, decay,
                                          *damped)
            else:
                loss, _, finite = averaged(*common, average, start, plan.n_threads, seed, decay, *damped)
            return loss, bool(finite)

        return epoch

    def steps_per_epoch(self, plan: Any) -> int | None:
        return None  # the epochs are Python functions, which fill tabulated schedules themselves

    def held_out(self, plan: Any, problem: Any) -> Any:
        # The core would score the weights it steps; an averaged model predicts with the mean,
        # so early stopping scores it in Python (the estimator's predictions).
        return None

    def explain_non_finite(self) -> None:
        self.rows.explain_non_finite()
