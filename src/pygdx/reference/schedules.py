"""Learning-rate schedules as plain Python formulas, mirroring :mod:`pygdx.schedules`.

Each schedule is called with the optimizer step ``t`` (counting from 1) and returns the
learning rate of that step.
"""

from __future__ import annotations

import math

__all__ = [
    "ConstantLR",
    "MultiStepLR",
    "LinearLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SWALR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "StepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "OptimalLR",
]


class ConstantLR:
    """lr at every step; with factor or total_iters, torch's ConstantLR: lr * factor for the
    first total_iters steps (defaults 1/3 and 5)."""

    def __init__(self, lr: float, factor: float | None = None, total_iters: int | None = None) -> None:
        self.lr = lr
        self.torch_style = factor is not None or total_iters is not None
        self.factor = 1.0 / 3 if factor is None else factor
        self.total_iters = 5 if total_iters is None else total_iters

    def __call__(self, t: int) -> float:
        if self.torch_style and t - 1 < self.total_iters:
            return self.lr * self.factor
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
    """lr, multiplied by factor (down to min_lr, skipping changes of eps or less) whenever
    more than ``patience`` observed values in a row failed to beat the best one by
    ``threshold`` (relative or absolute; lower is better in mode "min", higher in "max");
    the ``cooldown`` values after a reduction do not count.
    """

    def __init__(
        self, lr: float, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4, min_lr: float = 0.0,
        mode: str = "min", threshold_mode: str = "rel", cooldown: int = 0, eps: float = 1e-8,
    ) -> None:
        self.lr, self.factor, self.patience, self.threshold, self.min_lr = lr, factor, patience, threshold, min_lr
        self.mode, self.threshold_mode, self.cooldown, self.eps = mode, threshold_mode, cooldown, eps
        self.current = lr
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0
        self.cooling = 0

    def improves(self, value: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * value < sign * self.best * (1.0 - sign * self.threshold)
        return sign * value < sign * self.best - self.threshold

    def observe(self, loss: float) -> bool:
        """Record one epoch's loss; True when the rate was just lowered."""
        if self.improves(loss):
            self.best = loss
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if self.cooling:
            self.cooling -= 1
            self.bad_epochs = 0
        if self.bad_epochs <= self.patience:
            return False
        self.bad_epochs = 0
        self.cooling = self.cooldown
        lowered = max(self.current * self.factor, self.min_lr)
        if self.current - lowered <= self.eps:
            return False
        self.current = lowered
        return True

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


class MultiStepLR:
    """lr * gamma ** (how many milestones are <= t - 1)."""

    def __init__(self, lr: float, milestones, gamma: float = 0.1) -> None:
        self.lr, self.milestones, self.gamma = lr, list(milestones), gamma

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** sum(1 for m in self.milestones if m <= t - 1)


class LinearLR:
    """lr times a factor going linearly from start_factor to end_factor over total_iters steps."""

    def __init__(self, lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5) -> None:
        self.lr, self.start_factor, self.end_factor, self.total_iters = lr, start_factor, end_factor, total_iters

    def __call__(self, t: int) -> float:
        done = min(t - 1, self.total_iters) / self.total_iters
        return self.lr * (self.start_factor + (self.end_factor - self.start_factor) * done)


class PolynomialLR:
    """lr * (1 - min(t - 1, total_iters) / total_iters) ** power."""

    def __init__(self, lr: float, total_iters: int = 5, power: float = 1.0) -> None:
        self.lr, self.total_iters, self.power = lr, total_iters, power

    def __call__(self, t: int) -> float:
        return self.lr * (1.0 - min(t - 1, self.total_iters) / self.total_iters) ** self.power


class CosineAnnealingWarmRestarts:
    """SGDR: cosine from lr to eta_min over periods T_0, T_0 T_mult, T_0 T_mult^2, ..."""

    def __init__(self, lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:  # noqa: N803
        self.lr, self.T_0, self.T_mult, self.eta_min = lr, T_0, T_mult, eta_min

    def __call__(self, t: int) -> float:
        position, period = t - 1, self.T_0
        while position >= period:
            position -= period
            period *= self.T_mult
        return self.eta_min + (self.lr - self.eta_min) * (1.0 + math.cos(math.pi * position / period)) / 2.0


class CyclicLR:
    """Smith's cyclical learning rates: triangle waves between base_lr and max_lr."""

    def __init__(self, base_lr: float, max_lr: float, step_size_up: float = 2000, step_size_down: float | None = None,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle") -> None:
        self.base_lr, self.max_lr, self.mode, self.gamma = base_lr, max_lr, mode, gamma
        self.scale_fn, self.scale_mode = scale_fn, scale_mode
        self.up = float(step_size_up)
        self.down = self.up if step_size_down is None else float(step_size_down)

    def __call__(self, t: int) -> float:
        i = t - 1
        period = self.up + self.down
        cycle = math.floor(1 + i / period)
        position = i - (cycle - 1) * period  # steps into this cycle
        rise = position / self.up if position <= self.up else 1.0 - (position - self.up) / self.down
        if self.scale_fn is not None:
            amplitude = self.scale_fn(cycle if self.scale_mode == "cycle" else i)
        elif self.mode == "triangular":
            amplitude = 1.0
        elif self.mode == "triangular2":
            amplitude = 0.5 ** (cycle - 1)
        else:
            amplitude = self.gamma**i
        return self.base_lr + (self.max_lr - self.base_lr) * rise * amplitude


class OneCycleLR:
    """The 1cycle policy: up from max_lr / div_factor to max_lr over pct_start of the steps,
    then down to max_lr / div_factor / final_div_factor (three_phase: back to the start first)."""

    def __init__(self, max_lr: float, total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False) -> None:
        self.total = total_steps if total_steps is not None else epochs * steps_per_epoch
        start = max_lr / div_factor
        end = start / final_div_factor
        peak = pct_start * self.total - 1
        if three_phase:
            self.phases = [(peak, start, max_lr), (2 * peak, max_lr, start), (self.total - 1, start, end)]
        else:
            self.phases = [(peak, start, max_lr), (self.total - 1, max_lr, end)]
        self.cos = anneal_strategy == "cos"

    def __call__(self, t: int) -> float:
        i = min(t - 1, self.total)
        begin = 0.0
        for k, (finish, a, b) in enumerate(self.phases):
            if i <= finish or k == len(self.phases) - 1:
                pct = (i - begin) / (finish - begin)
                if self.cos:
                    return b + (a - b) * (1.0 + math.cos(math.pi * pct)) / 2.0
                return a + (b - a) * pct
            begin = finish
        raise AssertionError("unreachable")


class SWALR:
    """Stochastic weight averaging's rate: from lr to swa_lr over anneal_epochs steps."""

    def __init__(self, lr: float, swa_lr: float, anneal_epochs: int = 10, anneal_strategy: str = "cos") -> None:
        self.lr, self.swa_lr, self.anneal_epochs, self.cos = lr, swa_lr, anneal_epochs, anneal_strategy == "cos"

    def __call__(self, t: int) -> float:
        if self.anneal_epochs == 0:
            return self.swa_lr
        progress = min(1.0, (t - 1) / self.anneal_epochs)
        weight = (1.0 - math.cos(math.pi * progress)) / 2.0 if self.cos else progress
        return self.swa_lr * weight + self.lr * (1.0 - weight)


class LambdaLR:
    """lr * lr_lambda(t - 1)."""

    def __init__(self, lr: float, lr_lambda) -> None:
        self.lr, self.lr_lambda = lr, lr_lambda

    def __call__(self, t: int) -> float:
        return self.lr * self.lr_lambda(t - 1)


class MultiplicativeLR:
    """lr * lr_lambda(1) * ... * lr_lambda(t - 1)."""

    def __init__(self, lr: float, lr_lambda) -> None:
        self.lr, self.lr_lambda = lr, lr_lambda

    def __call__(self, t: int) -> float:
        rate = self.lr
        for k in range(1, t):
            rate *= self.lr_lambda(k)
        return rate


class SequentialLR:
    """schedulers[i], restarted at its step 1, from milestone i - 1 on."""

    def __init__(self, schedulers, milestones) -> None:
        self.schedulers, self.milestones = list(schedulers), list(milestones)

    def __call__(self, t: int) -> float:
        i = sum(1 for m in self.milestones if m <= t - 1)
        return self.schedulers[i](t - (self.milestones[i - 1] if i else 0))


class ChainedScheduler:
    """The common base rate times every schedule's factor s(t) / s.lr."""

    def __init__(self, schedulers) -> None:
        self.schedulers = list(schedulers)

    def __call__(self, t: int) -> float:
        lr = self.schedulers[0].lr
        rate = lr
        for s in self.schedulers:
            rate *= s(t) / lr
        return rate
