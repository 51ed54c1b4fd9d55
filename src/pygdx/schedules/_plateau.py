"""ReduceLROnPlateau: a rate that follows the observed losses."""

from __future__ import annotations

import math

from .. import _core
from ._base import Schedule
from ._checks import _choice, _count, _nonnegative, _number, _open_unit


class ReduceLROnPlateau(Schedule):
    """torch's ReduceLROnPlateau: lr * factor ** k, where k counts the plateaus seen so far.

    Feed it a loss (or, with ``mode="max"``, a score) with :meth:`observe`: the estimators'
    trainer does this after every epoch (in C++, then :meth:`follow`), :func:`pygdx.minimize`
    every iteration. A value is an improvement
    when it beats the best so far by ``threshold``, relative (``threshold_mode="rel"``) or
    absolute ("abs"). After more than ``patience`` values without one, the rate is multiplied
    by ``factor``, never below ``min_lr``, and a change smaller than ``eps`` is skipped; the
    next ``cooldown`` values are then not counted.
    """

    _kind = _core.ScheduleKind.plateau
    _checks = {**Schedule._checks, "mode": _choice("min", "max"), "factor": _open_unit, "patience": _count(0),
               "threshold": _nonnegative, "threshold_mode": _choice("rel", "abs"), "cooldown": _count(0),
               "min_lr": _nonnegative, "eps": _nonnegative}
    refresh_each_step = True

    def __init__(
        self,
        lr: float,
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        min_lr: float = 0.0,
        mode: str = "min",
        threshold_mode: str = "rel",
        cooldown: int = 0,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(lr)
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.min_lr = min_lr
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self._finish_init()
        self.reset()

    def reset(self) -> None:
        """Forget every observed value and go back to the base rate."""
        self.scale = 1.0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def observe(self, loss: float) -> bool:
        """Record one epoch's loss (score with mode="max"); True when the rate was just reduced.
        The rule is the core's (``plateau_observe``), so a C++ training loop can apply it too."""
        value = _number("loss", loss)  # float() would read the text "1.0" as a loss
        record = self.to_core()
        reduced = _core.plateau_observe(record, value)
        self.follow(record)
        return reduced

    def follow(self, record: _core.Schedule) -> None:
        """Take the state of a core plateau record that observed values in C++ (the estimators'
        trainer steps this schedule's record after every epoch)."""
        self.scale, self.best = record.scale, record.best
        self.num_bad_epochs, self.cooldown_counter = record.num_bad_epochs, record.cooldown_counter

    def _fields(self) -> dict:
        return {"scale": self.scale, "factor": float(self.factor), "patience": int(self.patience),
                "threshold": float(self.threshold), "threshold_absolute": self.threshold_mode == "abs",
                "maximize": self.mode == "max", "cooldown": int(self.cooldown), "min_lr": float(self.min_lr),
                "eps": float(self.eps), "best": float(self.best), "num_bad_epochs": int(self.num_bad_epochs),
                "cooldown_counter": int(self.cooldown_counter)}
