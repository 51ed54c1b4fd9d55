"""Tabulated schedules: rates computed ahead in Python (functions, composites) and read by
the core from a table."""

from __future__ import annotations

import bisect
import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import _core
from ._base import Schedule
from ._checks import _check_milestones, _choice, _function, _optional, _positive
from ._plateau import ReduceLROnPlateau


_TABLE_AHEAD = 1024
# Step t of a table needs the rates of steps 1..t computed in Python and kept (32 bytes each
# as a list): past this a step is refused rather than spending hours and all memory on it.
MOST_TABLE_STEPS = 2**27


def _check_rate(schedule: Schedule, t: int, rate: float) -> float:
    if not math.isfinite(rate) or rate < 0.0:
        raise ValueError(f"{type(schedule).__name__}: the rate of step {t} is {rate}; rates must be finite and >= 0")
    return rate


def _append_checked(schedule: Schedule, rates: list[float], block: np.ndarray) -> None:
    """Append the rates of the next steps, or raise at the first one that is not a rate."""
    bad = ~(np.isfinite(block) & (block >= 0.0))
    if bad.any():
        first = int(np.argmax(bad))
        rates.extend(block[:first].tolist())
        _check_rate(schedule, len(rates) + 1, float(block[first]))
    rates.extend(block.tolist())


class _Tabulated(Schedule):
    """A schedule the core reads from a table of rates that Python computed ahead.

    The steps a caller asked for are computed and any error is raised; beyond them the
    table is filled ahead (to twice its length, at least 1024 steps) as far as the function
    allows: the first error or bad rate there just ends the table, and a later call that
    needs that step computes it again and raises.
    """

    _kind = _core.ScheduleKind.table
    refresh_each_step = True

    def _rate(self, rates: list[float], t: int) -> float:
        """The rate of step t, given the rates of steps 1..t-1."""
        raise NotImplementedError

    def _extend(self, rates: list[float], stop: int) -> None:
        """Append the rates of steps len(rates) + 1 .. stop; errors propagate."""
        while len(rates) < stop:
            t = len(rates) + 1
            rates.append(_check_rate(self, t, float(self._rate(rates, t))))

    def to_core(self, steps: int | None = None) -> _core.Schedule:
        self._validate()
        needed = max(int(steps or 0), 1)
        if needed > MOST_TABLE_STEPS:
            raise ValueError(
                f"{type(self).__name__} is computed in Python one step after the other, up to step "
                f"{MOST_TABLE_STEPS} (2**27); step {needed} was asked for: use a closed-form schedule for longer runs")
        key = self._fingerprint()
        cache = self.__dict__.get("_cache")
        if cache is not None and cache[0] == key and len(cache[1]) >= needed:
            return cache[2]
        rates = list(cache[1]) if cache is not None and cache[0] == key else []
        self._extend(rates, needed)
        ahead = min(max(2 * len(rates), _TABLE_AHEAD), MOST_TABLE_STEPS)
        try:
            self._extend(rates, ahead)
        except Exception:  # noqa: BLE001 - not needed yet: computed (and raised) when it is
            pass
        record = _core.Schedule()
        record.kind = self._kind
        record.lr = float(self.lr)
        record.table = np.asarray(rates, dtype=np.float64)
        object.__setattr__(self, "_cache", (key, rates, record))
        return record


class LambdaLR(_Tabulated):
    """torch's LambdaLR: lr * lr_lambda(t - 1) (torch's epoch counts from 0). Tabulated:
    ``lr_lambda`` is called in Python, once per step, in order, ahead of the steps."""

    _checks = {**Schedule._checks, "lr_lambda": _function}

    def __init__(self, lr: float, lr_lambda: Callable[[int], float]) -> None:
        super().__init__(lr)
        self.lr_lambda = lr_lambda
        self._finish_init()

    def _rate(self, rates: list[float], t: int) -> float:
        return float(self.lr) * float(self.lr_lambda(t - 1))


class MultiplicativeLR(_Tabulated):
    """torch's MultiplicativeLR: the rate of step t is that of step t - 1 times
    lr_lambda(t - 1); lr at step 1. Tabulated, like :class:`LambdaLR`."""

    _checks = {**Schedule._checks, "lr_lambda": _function}

    def __init__(self, lr: float, lr_lambda: Callable[[int], float]) -> None:
        super().__init__(lr)
        self.lr_lambda = lr_lambda
        self._finish_init()

    def _rate(self, rates: list[float], t: int) -> float:
        return rates[-1] * float(self.lr_lambda(t - 1)) if rates else float(self.lr)


class CyclicLR(_Tabulated):
    """torch's CyclicLR (Smith's cyclical rates), stepped every batch: triangular waves from
    base_lr up to max_lr over step_size_up steps and back over step_size_down.

    ``mode``: "triangular" (constant amplitude), "triangular2" (halved every cycle),
    "exp_range" (amplitude times gamma ** (t - 1)); evaluated in C++. With ``scale_fn`` (a
    function of the cycle number, or of torch's step count t - 1 with
    ``scale_mode="iterations"``) the amplitude is the function's and the rates are
    tabulated like :class:`LambdaLR`'s. torch's momentum cycling is not offered: a pygdx
    schedule sets the rate only.
    """

    _checks = {"base_lr": _positive, "max_lr": _positive, "step_size_up": _positive,
               "step_size_down": _optional(_positive), "mode": _choice("triangular", "triangular2", "exp_range"),
               "gamma": _positive, "scale_fn": _optional(_function), "scale_mode": _choice("cycle", "iterations")}

    def __init__(
        self,
        base_lr: float,
        max_lr: float,
        step_size_up: float = 2000,
        step_size_down: float | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
    ) -> None:
        self.base_lr = base_lr
        self.max_lr = max_lr
        self.step_size_up = step_size_up
        self.step_size_down = step_size_down
        self.mode = mode
        self.gamma = gamma
        self.scale_fn = scale_fn
        self.scale_mode = scale_mode
        self._finish_init()

    @property
    def lr(self) -> float:
        """The lower end of the cycle (torch's base_lr)."""
        return self.base_lr

    @property
    def refresh_each_step(self) -> bool:  # type: ignore[override]
        return self.scale_fn is not None

    @property
    def _kind(self) -> Any:  # type: ignore[override]
        return _core.ScheduleKind.table if self.scale_fn is not None else _core.ScheduleKind.cyclic

    def _steps_up_down(self) -> tuple[float, float]:
        up = float(self.step_size_up)
        return up, up if self.step_size_down is None else float(self.step_size_down)

    def to_core(self, steps: int | None = None) -> _core.Schedule:
        if self.scale_fn is not None:
            return _Tabulated.to_core(self, steps)
        return Schedule.to_core(self, steps)

    def _rate(self, rates: list[float], t: int) -> float:
        up, down = self._steps_up_down()
        epoch, total = t - 1, up + down
        cycle = math.floor(1 + epoch / total)
        x = 1.0 + epoch / total - cycle
        ratio = up / total
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        amplitude = float(self.scale_fn(cycle if self.scale_mode == "cycle" else epoch))  # type: ignore[misc]
        return float(self.base_lr) + (float(self.max_lr) - float(self.base_lr)) * scale * amplitude

    def _fields(self) -> dict:
        up, down = self._steps_up_down()
        return {"max_lr": float(self.max_lr), "step_size_up": up, "step_size_down": down,
                "cycle_mode": getattr(_core.CycleMode, self.mode), "gamma": float(self.gamma)}


def _check_children(name: str, value: Any) -> None:
    if isinstance(value, Schedule) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a non-empty list of pygdx.schedules schedules")
    for child in value:
        if not isinstance(child, Schedule):
            raise TypeError(f"{name} must hold pygdx.schedules schedules, not {type(child).__name__}")
        if isinstance(child, ReduceLROnPlateau):
            raise ValueError(f"{name} cannot hold ReduceLROnPlateau: it follows observed losses, not steps "
                             "(torch refuses it too)")


class SequentialLR(_Tabulated):
    """torch's SequentialLR: ``schedulers[i]`` from milestone i - 1 on, restarted at its own
    step 1: the rate of step t is ``schedulers[i](t - milestones[i-1])`` (milestone -1 is 0),
    where i counts the milestones <= t - 1. Each schedule brings its own lr (in torch they
    share the optimizer's); ``lr`` is the first one's. Tabulated from the children's rates."""

    _checks = {"schedulers": _check_children, "milestones": _check_milestones}

    def __init__(self, schedulers: Sequence[Schedule], milestones: Sequence[int]) -> None:
        self.schedulers = schedulers
        self.milestones = milestones
        self._finish_init()

    @property
    def lr(self) -> float:
        return float(self.schedulers[0].lr)

    def _check_together(self) -> None:
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got {len(self.schedulers)} "
                             f"schedulers and {len(self.milestones)} milestones")
        if list(self.milestones) != sorted(self.milestones):
            raise ValueError(f"SequentialLR milestones must be increasing, got {list(self.milestones)}")
        for child in self.schedulers:
            child._validate()

    def _extend(self, rates: list[float], stop: int) -> None:
        # a block per child: each child's rates come from one C++ call (or its own table)
        while len(rates) < stop:
            t = len(rates) + 1
            i = bisect.bisect_right(self.milestones, t - 1)
            start = int(self.milestones[i - 1]) if i else 0
            end = int(self.milestones[i]) if i < len(self.milestones) else stop
            block = self.schedulers[i].rates(t - start, min(end, stop) - t + 1)
            _append_checked(self, rates, block)


class ChainedScheduler(_Tabulated):
    """torch's ChainedScheduler: every schedule's change applied to the same rate, which is
    lr * the product of ``s(t) / s.lr`` over the schedules (all must share one lr, as torch's
    share the optimizer's). This equals torch for the schedules whose torch form is a
    factor applied to the current rate (StepLR, MultiStepLR, ExponentialLR, ConstantLR,
    LinearLR, PolynomialLR, MultiplicativeLR), the ones torch's documentation chains; torch's
    LambdaLR, cosine and cyclic forms overwrite the rate instead of scaling it, so chaining
    them gives other numbers in torch. Tabulated."""

    _checks = {"schedulers": _check_children}

    def __init__(self, schedulers: Sequence[Schedule]) -> None:
        self.schedulers = schedulers
        self._finish_init()

    @property
    def lr(self) -> float:
        return float(self.schedulers[0].lr)

    def _check_together(self) -> None:
        rates = {float(child.lr) for child in self.schedulers}
        if len(rates) != 1:
            raise ValueError(f"ChainedScheduler's schedules must share one lr (torch's share the optimizer's), got "
                             f"{sorted(rates)}")
        for child in self.schedulers:
            child._validate()

    def _extend(self, rates: list[float], stop: int) -> None:
        t, lr = len(rates) + 1, self.lr
        block = np.full(stop - t + 1, lr)
        for child in self.schedulers:  # the same order of products as one step at a time
            block = block * (child.rates(t, stop - t + 1) / lr)
        _append_checked(self, rates, block)
