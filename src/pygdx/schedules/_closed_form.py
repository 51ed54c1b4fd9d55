"""Schedules with a closed form, evaluated by the core at every step."""

from __future__ import annotations

import math
from typing import Any, Sequence

from .. import _core
from ._base import Schedule
from ._checks import _check_milestones, _choice, _count, _fail, _nonnegative, _number, _open_unit, _optional, _positive, _unit


class ConstantLR(Schedule):
    """lr at every step; with ``factor`` or ``total_iters``, torch's ConstantLR.

    ``ConstantLR(lr)`` is pygdx's constant rate (what a float ``lr`` becomes). torch's
    ConstantLR scales the rate by ``factor`` for the first ``total_iters`` steps, then uses
    lr: give either argument (torch's defaults, 1/3 and 5, fill the other) to get that.
    """

    _checks = {**Schedule._checks, "factor": _optional(_unit), "total_iters": _optional(_count(0))}

    def __init__(self, lr: float, factor: float | None = None, total_iters: int | None = None) -> None:
        super().__init__(lr)
        self.factor = factor
        self.total_iters = total_iters
        self._finish_init()

    @property
    def constant(self) -> bool:
        return self.factor is None and self.total_iters is None

    @property
    def _kind(self) -> Any:  # type: ignore[override]
        return _core.ScheduleKind.constant if self.constant else _core.ScheduleKind.constant_factor

    def _fields(self) -> dict:
        if self.constant:
            return {}
        factor = 1.0 / 3 if self.factor is None else float(self.factor)
        total_iters = 5 if self.total_iters is None else int(self.total_iters)
        return {"factor": factor, "total_iters": total_iters}


class StepLR(Schedule):
    """lr * gamma ** ((t - 1) // step_size): multiply by gamma every step_size steps."""

    _kind = _core.ScheduleKind.step
    _checks = {**Schedule._checks, "step_size": _count(1), "gamma": _positive}

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(lr)
        self.step_size = step_size
        self.gamma = gamma
        self._finish_init()

    def _fields(self) -> dict:
        return {"step_size": int(self.step_size), "gamma": float(self.gamma)}


class MultiStepLR(Schedule):
    """lr * gamma ** (number of milestones <= t - 1): torch's MultiStepLR (a milestone given
    twice counts twice, as in torch)."""

    _kind = _core.ScheduleKind.multistep
    _checks = {**Schedule._checks, "milestones": _check_milestones, "gamma": _positive}

    def __init__(self, lr: float, milestones: Sequence[int], gamma: float = 0.1) -> None:
        super().__init__(lr)
        self.milestones = milestones
        self.gamma = gamma
        self._finish_init()

    def _fields(self) -> dict:
        return {"milestones": sorted(int(m) for m in self.milestones), "gamma": float(self.gamma)}


class ExponentialLR(Schedule):
    """lr * gamma ** (t - 1)."""

    _kind = _core.ScheduleKind.exponential
    _checks = {**Schedule._checks, "gamma": _positive}

    def __init__(self, lr: float, gamma: float) -> None:
        super().__init__(lr)
        self.gamma = gamma
        self._finish_init()

    def _fields(self) -> dict:
        return {"gamma": float(self.gamma)}


class InverseTimeLR(Schedule):
    """lr / t ** power_t, scikit-learn's "invscaling"."""

    _kind = _core.ScheduleKind.inverse_time
    _checks = {**Schedule._checks, "power_t": _nonnegative}

    def __init__(self, lr: float, power_t: float = 0.25) -> None:
        super().__init__(lr)
        self.power_t = power_t
        self._finish_init()

    def _fields(self) -> dict:
        return {"power_t": float(self.power_t)}


def _start_factor(name: str, value: Any) -> None:
    v = _number(name, value)
    if not 0.0 < v <= 1.0:
        _fail(name, v, "must be in (0, 1]")


class LinearLR(Schedule):
    """torch's LinearLR: lr * (start_factor + (end_factor - start_factor) * min(t - 1, total_iters)
    / total_iters), a linear ramp of the factor over total_iters steps, then lr * end_factor."""

    _kind = _core.ScheduleKind.linear
    _checks = {**Schedule._checks, "start_factor": _start_factor, "end_factor": _unit, "total_iters": _count(1)}

    def __init__(self, lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5) -> None:
        super().__init__(lr)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        self._finish_init()

    def _fields(self) -> dict:
        return {"start_factor": float(self.start_factor), "end_factor": float(self.end_factor),
                "total_iters": int(self.total_iters)}


class PolynomialLR(Schedule):
    """torch's PolynomialLR: lr * (1 - min(t - 1, total_iters) / total_iters) ** power
    (zero from step total_iters + 1 on)."""

    _kind = _core.ScheduleKind.polynomial
    _checks = {**Schedule._checks, "total_iters": _count(1), "power": _nonnegative}

    def __init__(self, lr: float, total_iters: int = 5, power: float = 1.0) -> None:
        super().__init__(lr)
        self.total_iters = total_iters
        self.power = power
        self._finish_init()

    def _fields(self) -> dict:
        return {"total_iters": int(self.total_iters), "power": float(self.power)}


def _eta_min_at_most_lr(schedule: Any) -> None:
    if schedule.eta_min > schedule.lr:
        _fail("eta_min", float(schedule.eta_min), "must be in [0, lr]")


class CosineAnnealingLR(Schedule):
    """Linear warmup over ``warmup`` steps (lr * t / warmup), then a half cosine from lr
    down to eta_min over T_max steps; eta_min after that (torch's closed form would rise
    again; use :class:`CosineAnnealingWarmRestarts` for restarts).
    """

    _kind = _core.ScheduleKind.cosine
    _checks = {**Schedule._checks, "T_max": _count(1), "eta_min": _nonnegative, "warmup": _count(0)}

    def __init__(self, lr: float, T_max: int, eta_min: float = 0.0, warmup: int = 0) -> None:  # noqa: N803
        super().__init__(lr)
        self.T_max = T_max
        self.eta_min = eta_min
        self.warmup = warmup
        self._finish_init()

    _check_together = _eta_min_at_most_lr

    def _fields(self) -> dict:
        return {"t_max": int(self.T_max), "eta_min": float(self.eta_min), "warmup": int(self.warmup)}


class CosineAnnealingWarmRestarts(Schedule):
    """torch's CosineAnnealingWarmRestarts (SGDR): a half cosine from lr to eta_min over T_0
    steps, then again from lr, each period T_mult times as long as the one before."""

    _kind = _core.ScheduleKind.warm_restarts
    _checks = {**Schedule._checks, "T_0": _count(1), "T_mult": _count(1), "eta_min": _nonnegative}

    def __init__(self, lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:  # noqa: N803
        super().__init__(lr)
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self._finish_init()

    _check_together = _eta_min_at_most_lr

    def _fields(self) -> dict:
        return {"t_0": int(self.T_0), "t_mult": int(self.T_mult), "eta_min": float(self.eta_min)}


class OneCycleLR(Schedule):
    """torch's OneCycleLR, stepped every batch: from max_lr / div_factor up to max_lr over
    the first pct_start of total_steps, then down to max_lr / (div_factor * final_div_factor)
    (three_phase: back to the start first, then down). ``anneal_strategy``: "cos" or "linear".

    ``total_steps`` or ``epochs`` and ``steps_per_epoch`` (their product), as in torch. After
    total_steps + 1 steps, where torch raises, the rate stays at its last value. Momentum
    cycling is not offered: a pygdx schedule sets the rate only.
    """

    _kind = _core.ScheduleKind.one_cycle
    _checks = {"max_lr": _positive, "total_steps": _optional(_count(1)), "epochs": _optional(_count(1)),
               "steps_per_epoch": _optional(_count(1)), "pct_start": _open_unit,
               "anneal_strategy": _choice("cos", "linear"), "div_factor": _positive, "final_div_factor": _positive,
               "three_phase": lambda name, v: None if isinstance(v, bool) else _fail(name, v, "must be True or False")}

    def __init__(
        self,
        max_lr: float,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        self.max_lr = max_lr
        self.total_steps = total_steps
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        self._finish_init()

    @property
    def lr(self) -> float:
        """The peak rate (torch's max_lr)."""
        return self.max_lr

    def _steps(self) -> int:
        if self.total_steps is not None:
            return int(self.total_steps)
        return int(self.epochs) * int(self.steps_per_epoch)

    def _check_together(self) -> None:
        if self.total_steps is None and (self.epochs is None or self.steps_per_epoch is None):
            raise ValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch")
        # torch's phases end at pct_start * total_steps - 1 (and twice that - 2): each must
        # come after the one before, or a division by zero waits in the annealing.
        total = self._steps()
        ends = [0.0, self.pct_start * total - 1.0]
        ends += [2.0 * self.pct_start * total - 2.0, total - 1.0] if self.three_phase else [total - 1.0]
        if any(b <= a for a, b in zip(ends, ends[1:])):
            raise ValueError(
                f"Invalid OneCycleLR: total_steps {total} is too short for pct_start {self.pct_start}"
                f"{' with three_phase' if self.three_phase else ''} (every phase needs at least one step)"
            )

    def _fields(self) -> dict:
        return {"max_lr": float(self.max_lr), "total_steps": self._steps(), "pct_start": float(self.pct_start),
                "anneal": getattr(_core.Anneal, self.anneal_strategy), "div_factor": float(self.div_factor),
                "final_div_factor": float(self.final_div_factor), "three_phase": bool(self.three_phase)}


class SWALR(Schedule):
    """torch's swa_utils.SWALR: from lr to swa_lr over anneal_epochs steps ("cos" or
    "linear"), then swa_lr; with anneal_epochs=0, swa_lr from the first step."""

    _kind = _core.ScheduleKind.swa
    _checks = {**Schedule._checks, "swa_lr": _positive, "anneal_epochs": _count(0),
               "anneal_strategy": _choice("cos", "linear")}

    def __init__(self, lr: float, swa_lr: float, anneal_epochs: int = 10, anneal_strategy: str = "cos") -> None:
        super().__init__(lr)
        self.swa_lr = swa_lr
        self.anneal_epochs = anneal_epochs
        self.anneal_strategy = anneal_strategy
        self._finish_init()

    def _fields(self) -> dict:
        return {"swa_lr": float(self.swa_lr), "anneal_epochs": int(self.anneal_epochs),
                "anneal": getattr(_core.Anneal, self.anneal_strategy)}


class OptimalLR(Schedule):
    """scikit-learn's "optimal" rate for l2-regularised problems: 1 / (alpha * (t0 + t - 1)).

    ``t0`` defaults to scikit-learn's heuristic (Bottou's) for a loss whose derivative is
    bounded by 1, ``1 / (eta0 * alpha)`` with ``eta0 = alpha ** -0.25``; pass ``t0`` for another
    loss (scikit-learn divides eta0 by max(1, |dloss(-eta0, 1)|)). ``lr`` is not used by the
    formula and kept only as the nominal rate.
    """

    _kind = _core.ScheduleKind.optimal
    _checks = {**Schedule._checks, "alpha": _positive, "t0": _optional(_positive)}

    def __init__(self, alpha: float, t0: float | None = None, lr: float = 1.0) -> None:
        super().__init__(lr)
        self.alpha = alpha
        self.t0 = t0  # None stays None, so that a later alpha (set_params) gets its own heuristic
        self._finish_init()

    @property
    def effective_t0(self) -> float:
        """``t0``, or scikit-learn's heuristic for the current ``alpha`` when ``t0`` is None."""
        if self.t0 is not None:
            return float(self.t0)
        typw = math.sqrt(1.0 / math.sqrt(float(self.alpha)))
        return 1.0 / (typw * float(self.alpha))

    def _fields(self) -> dict:
        return {"alpha": float(self.alpha), "t0": self.effective_t0}


# --- tabulated schedules: rates computed ahead in Python, read by the core ------------------
