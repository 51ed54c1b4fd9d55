"""Learning-rate schedules as plain Python formulas, mirroring :mod:`pygdx.schedules`.

Each schedule is called with the optimizer step ``t`` (counting from 1) and returns the
learning rate of that step.
"""

from __future__ import annotations

import math

__all__ = [
    "ConstantLR",
    "StepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "OptimalLR",
]


class ConstantLR:
    """lr at every step."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def __call__(self, t: int) -> float:
        return self.lr


class StepLR:
    """lr multiplied by gamma after every step_size steps."""

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr, self.step_size, self.gamma = lr, step_size, gamma

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** ((t - 1) // self.step_size)


class ExponentialLR:
    """lr multiplied by gamma at every step after the first."""

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr, self.gamma = lr, gamma

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** (t - 1)


class InverseTimeLR:
    """scikit-learn's "invscaling": lr / t ** power_t."""

    def __init__(self, lr: float, power_t: float = 0.25) -> None:
        self.lr, self.power_t = lr, power_t

    def __call__(self, t: int) -> float:
        return self.lr / t**self.power_t


class CosineAnnealingLR:
    """A linear ramp to lr over ``warmup`` steps, then torch's cosine annealing from lr to
    eta_min over T_max steps, then eta_min.
    """

    def __init__(self, lr: float, T_max: int, eta_min: float = 0.0, warmup: int = 0) -> None:  # noqa: N803
        self.lr, self.T_max, self.eta_min, self.warmup = lr, T_max, eta_min, warmup

    def __call__(self, t: int) -> float:
        if t <= self.warmup:
            return self.lr * t / self.warmup
        steps_annealed = t - 1 - self.warmup
        if steps_annealed >= self.T_max:
            return self.eta_min
        cosine = math.cos(math.pi * steps_annealed / self.T_max)
        return self.eta_min + (self.lr - self.eta_min) * (1.0 + cosine) / 2.0


class ReduceLROnPlateau:
    """lr, multiplied by factor (down to min_lr) whenever more than ``patience`` observed
    losses in a row failed to beat the best one by the relative ``threshold``.
    """

    def __init__(
        self, lr: float, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4, min_lr: float = 0.0
    ) -> None:
        self.lr, self.factor, self.patience, self.threshold, self.min_lr = lr, factor, patience, threshold, min_lr
        self.current = lr
        self.best = math.inf
        self.bad_epochs = 0

    def observe(self, loss: float) -> bool:
        """Record one epoch's loss; True when the rate was just lowered."""
        if loss < self.best * (1.0 - self.threshold):
            self.best = loss
            self.bad_epochs = 0
            return False
        self.bad_epochs += 1
        if self.bad_epochs <= self.patience:
            return False
        self.bad_epochs = 0
        lowered = max(self.current * self.factor, self.min_lr)
        reduced = lowered < self.current
        self.current = lowered
        return reduced

    def __call__(self, t: int) -> float:
        return self.current


class OptimalLR:
    """scikit-learn's "optimal" rate 1 / (alpha (t0 + t - 1)); t0 by Bottou's heuristic
    for a loss whose derivative is bounded by 1 unless given.
    """

    def __init__(self, alpha: float, t0: float | None = None, lr: float = 1.0) -> None:
        self.alpha, self.lr = alpha, lr
        if t0 is None:
            eta0 = alpha**-0.25
            t0 = 1.0 / (eta0 * alpha)
        self.t0 = t0

    def __call__(self, t: int) -> float:
        return 1.0 / (self.alpha * (self.t0 + t - 1))
