"""Learning-rate schedules, evaluated in the compiled core at every optimizer step.

A schedule carries its base learning rate and is passed wherever a learning rate is
accepted (``lr=``). Step ``t`` counts optimizer steps from 1, so ``schedule(1)`` is the
rate of the first update. The C++ training loops evaluate the same record without
calling back into Python; ``schedule(t)`` runs that same C++ code.

>>> from pygdx.schedules import StepLR
>>> s = StepLR(0.1, step_size=10, gamma=0.5)
>>> s(1), s(11)
(0.1, 0.05)
"""

from __future__ import annotations

import math
from typing import Union

from . import _core

__all__ = [
    "Schedule",
    "ConstantLR",
    "StepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "OptimalLR",
    "as_schedule",
]


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"Invalid {name}: {value} (must be a finite number > 0)")
    return value


def _check_step_count(name: str, value: int, minimum: int = 1) -> int:
    if int(value) != value or value < minimum:
        raise ValueError(f"Invalid {name}: {value} (must be an integer >= {minimum})")
    return int(value)


class Schedule:
    """Base class: a learning rate as a function of the optimizer step t (t >= 1)."""

    _kind = _core.ScheduleKind.constant

    def __init__(self, lr: float) -> None:
        self.lr = _check_positive("learning rate", lr)

    def _fields(self) -> dict:
        return {}

    def to_core(self) -> _core.Schedule:
        """The plain record the C++ loops evaluate."""
        s = _core.Schedule()
        s.kind = self._kind
        s.lr = self.lr
        for name, value in self._fields().items():
            setattr(s, name, value)
        return s

    def __call__(self, t: int) -> float:
        t = int(t)
        if t < 1:
            raise ValueError(f"Invalid step: {t} (steps count from 1)")
        return _core.schedule_lr(self.to_core(), t)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def get_params(self) -> dict:
        return {"lr": self.lr, **self._public_fields()}

    def _public_fields(self) -> dict:
        return {}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.get_params().items()))))


class ConstantLR(Schedule):
    """lr at every step."""


class StepLR(Schedule):
    """lr * gamma ** ((t - 1) // step_size): multiply by gamma every step_size steps."""

    _kind = _core.ScheduleKind.step

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(lr)
        self.step_size = _check_step_count("step_size", step_size)
        self.gamma = _check_positive("gamma", gamma)

    def _fields(self) -> dict:
        return {"step_size": self.step_size, "gamma": self.gamma}

    _public_fields = _fields


class ExponentialLR(Schedule):
    """lr * gamma ** (t - 1)."""

    _kind = _core.ScheduleKind.exponential

    def __init__(self, lr: float, gamma: float) -> None:
        super().__init__(lr)
        self.gamma = _check_positive("gamma", gamma)

    def _fields(self) -> dict:
        return {"gamma": self.gamma}

    _public_fields = _fields


class InverseTimeLR(Schedule):
    """lr / t ** power_t, scikit-learn's "invscaling"."""

    _kind = _core.ScheduleKind.inverse_time

    def __init__(self, lr: float, power_t: float = 0.25) -> None:
        super().__init__(lr)
        power_t = float(power_t)
        if not math.isfinite(power_t) or power_t < 0:
            raise ValueError(f"Invalid power_t: {power_t} (must be >= 0)")
        self.power_t = power_t

    def _fields(self) -> dict:
        return {"power_t": self.power_t}

    _public_fields = _fields


class CosineAnnealingLR(Schedule):
    """Linear warmup over ``warmup`` steps (lr * t / warmup), then a half cosine from lr
    down to eta_min over T_max steps; eta_min after that.
    """

    _kind = _core.ScheduleKind.cosine

    def __init__(self, lr: float, T_max: int, eta_min: float = 0.0, warmup: int = 0) -> None:  # noqa: N803
        super().__init__(lr)
        self.T_max = _check_step_count("T_max", T_max)
        eta_min = float(eta_min)
        if not math.isfinite(eta_min) or eta_min < 0 or eta_min > self.lr:
            raise ValueError(f"Invalid eta_min: {eta_min} (must be in [0, lr])")
        self.eta_min = eta_min
        self.warmup = _check_step_count("warmup", warmup, minimum=0)

    def _fields(self) -> dict:
        return {"t_max": self.T_max, "eta_min": self.eta_min, "warmup": self.warmup}

    def _public_fields(self) -> dict:
        return {"T_max": self.T_max, "eta_min": self.eta_min, "warmup": self.warmup}


class ReduceLROnPlateau(Schedule):
    """lr * factor ** k, where k counts the plateaus seen so far.

    Feed it the loss of every epoch with :meth:`observe` (the estimators do this); after
    more than ``patience`` epochs without a relative improvement of ``threshold`` over
    the best loss, the rate is multiplied by ``factor`` (never below ``min_lr``).
    """

    _kind = _core.ScheduleKind.plateau

    def __init__(
        self, lr: float, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4, min_lr: float = 0.0
    ) -> None:
        super().__init__(lr)
        factor = float(factor)
        if not 0.0 < factor < 1.0:
            raise ValueError(f"Invalid factor: {factor} (must be in (0, 1))")
        self.factor = factor
        self.patience = _check_step_count("patience", patience, minimum=0)
        self.threshold = float(threshold)
        self.min_lr = float(min_lr)
        self.reset()

    def reset(self) -> None:
        """Forget every observed loss and go back to the base rate."""
        self.scale = 1.0
        self.best = math.inf
        self.num_bad_epochs = 0

    def observe(self, loss: float) -> bool:
        """Record one epoch's loss; returns True when the rate was just reduced."""
        loss = float(loss)
        if loss < self.best * (1.0 - self.threshold):
            self.best = loss
            self.num_bad_epochs = 0
            return False
        self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.num_bad_epochs = 0
            new_scale = max(self.scale * self.factor, self.min_lr / self.lr)
            reduced = new_scale < self.scale
            self.scale = new_scale
            return reduced
        return False

    def _fields(self) -> dict:
        return {"scale": self.scale}

    def _public_fields(self) -> dict:
        return {"factor": self.factor, "patience": self.patience, "threshold": self.threshold, "min_lr": self.min_lr}


class OptimalLR(Schedule):
    """scikit-learn's "optimal" rate for l2-regularised problems: 1 / (alpha * (t0 + t - 1)).

    ``t0`` defaults to scikit-learn's heuristic (Bottou's) for a loss whose derivative is
    bounded by 1, ``1 / (eta0 * alpha)`` with ``eta0 = alpha ** -0.25``; pass ``t0`` for another
    loss (scikit-learn divides eta0 by max(1, |dloss(-eta0, 1)|)). ``lr`` is not used by the
    formula and kept only as the nominal rate.
    """

    _kind = _core.ScheduleKind.optimal

    def __init__(self, alpha: float, t0: float | None = None, lr: float = 1.0) -> None:
        super().__init__(lr)
        self.alpha = _check_positive("alpha", alpha)
        if t0 is None:
            typw = math.sqrt(1.0 / math.sqrt(self.alpha))
            t0 = 1.0 / (typw * self.alpha)
        self.t0 = _check_positive("t0", t0)

    def _fields(self) -> dict:
        return {"alpha": self.alpha, "t0": self.t0}

    _public_fields = _fields


LearningRate = Union[float, Schedule]


def as_schedule(lr: LearningRate) -> Schedule:
    """A Schedule for ``lr``: itself when it is one, else a ConstantLR."""
    if isinstance(lr, Schedule):
        return lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) and not hasattr(lr, "__float__"):
        raise TypeError(f"lr must be a number or a pygdx.schedules.Schedule, not {type(lr).__name__}")
    value = float(lr)
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if value == 0.0:
        raise ValueError("Invalid learning rate: 0 (a zero rate never moves the parameters)")
    return ConstantLR(value)
