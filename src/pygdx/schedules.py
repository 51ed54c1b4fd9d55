"""Learning-rate schedules, evaluated in the compiled core at every optimizer step.

A schedule carries its base learning rate and is passed wherever a learning rate is
accepted (``lr=``). Step ``t`` counts optimizer steps from 1, so ``schedule(1)`` is the
rate of the first update. The C++ training loops evaluate the same record without
calling back into Python; ``schedule(t)`` runs that same C++ code.

**torch.** Every torch.optim.lr_scheduler has a schedule of the same name and arguments,
with the base rate ``lr`` first instead of the optimizer. Step ``t`` here is torch's
scheduler after ``t - 1`` calls of ``scheduler.step()``: with ``scheduler.step()`` after
every ``optimizer.step()`` (per batch), the t-th update uses ``schedule(t)`` in both. A
torch loop that steps its scheduler once per epoch of k batches corresponds to a pygdx
schedule whose step counts (step_size, T_max, milestones, ...) are multiplied by k.

**Where the rate is computed.** Closed-form schedules are evaluated in C++. Schedules built
on a Python function (:class:`LambdaLR`, :class:`MultiplicativeLR`) and the composites
(:class:`SequentialLR`, :class:`ChainedScheduler`) are *tabulated*: Python computes the
rates of steps 1..n ahead, calling the function once per step in order, as torch does, and
the core reads the table. The table grows (doubling, at least 1024 steps ahead) whenever
Python is asked for a later step: ``pygdx.optim`` optimizers extend it before every step,
and ``to_core(steps=n)`` covers n steps for a loop that runs n steps in C++ (the estimators
ask for each epoch's steps). Unlike torch, the function is therefore also called for steps
that are never taken (an error there only ends the table early). A loop that runs past the
end of its table keeps the table's last rate (``_core.schedule_steps_defined`` says how far
it is exact).

**scikit-learn.** Schedules follow the estimator parameter protocol (``get_params(deep=)``,
``set_params``, constructor arguments stored as given), so ``sklearn.base.clone``,
``GridSearchCV`` (``lr__gamma``) and ``check_estimator`` work on an estimator whose ``lr``
is a schedule. Every parameter is validated when it is set, in the constructor, by
``set_params`` or by plain assignment, and again when the core record is built.

>>> from pygdx.schedules import StepLR
>>> s = StepLR(0.1, step_size=10, gamma=0.5)
>>> s(1), s(11)
(0.1, 0.05)
"""

from __future__ import annotations

import bisect
import inspect
import math
import numbers
from typing import Any, Callable, ClassVar, Sequence, Union

import numpy as np

from . import _core

__all__ = [
    "Schedule",
    "ConstantLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "LinearLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SWALR",
    "ReduceLROnPlateau",
    "OptimalLR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "as_schedule",
]

# --- checks: each raises ValueError naming the parameter, the value and what is allowed ----

_LABELS = {"lr": "learning rate"}


def _fail(name: str, value: Any, allowed: str) -> None:
    raise ValueError(f"Invalid {_LABELS.get(name, name)}: {value} ({allowed})")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_LABELS.get(name, name)} must be a number, not {type(value).__name__}")
    return float(value)


def _positive(name: str, value: Any) -> None:
    v = _number(name, value)
    if not math.isfinite(v) or v <= 0.0:
        _fail(name, v, "must be a finite number > 0")


def _nonnegative(name: str, value: Any) -> None:
    v = _number(name, value)
    if not math.isfinite(v) or v < 0.0:
        _fail(name, v, "must be a finite number >= 0")


def _unit(name: str, value: Any) -> None:
    v = _number(name, value)
    if not 0.0 <= v <= 1.0:
        _fail(name, v, "must be in [0, 1]")


def _open_unit(name: str, value: Any) -> None:
    v = _number(name, value)
    if not 0.0 < v < 1.0:
        _fail(name, v, "must be in (0, 1)")


def _count(minimum: int) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
                or int(value) != value or not minimum <= value < 2**62):
            _fail(name, value, f"must be an integer >= {minimum}")

    return check


def _choice(*options: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value not in options:
            _fail(name, repr(value), "must be one of " + ", ".join(map(repr, options)))

    return check


def _function(name: str, value: Any) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be a function of the step, not {type(value).__name__}")


def _optional(check: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    def optional(name: str, value: Any) -> None:
        if value is not None:
            check(name, value)

    return optional


def _param_key(value: Any) -> Any:
    """A hashable, comparable stand-in for a parameter value (lists, nested schedules)."""
    if isinstance(value, Schedule):
        return (type(value).__name__, tuple((k, _param_key(v)) for k, v in value.get_params(deep=False).items()))
    if isinstance(value, (list, tuple)):
        return tuple(_param_key(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return value


class Schedule:
    """Base class: a learning rate as a function of the optimizer step t (t >= 1).

    Subclasses declare their constructor parameters' checks in ``_checks`` (run whenever a
    parameter is set) and the checks that involve several parameters in ``_check_together``.
    """

    _kind = _core.ScheduleKind.constant
    _checks: ClassVar[dict[str, Callable[[str, Any], None]]] = {"lr": _positive}
    #: pygdx.optim refreshes the core record before every step (plateau state, tables).
    refresh_each_step: ClassVar[bool] = False

    def __init__(self, lr: float) -> None:
        self.lr = lr

    # --- parameters: scikit-learn's protocol, validated on every assignment ----------------
    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        names = cls.__dict__.get("_param_names_cache")
        if names is None:
            signature = inspect.signature(cls.__init__)
            names = tuple(p.name for p in signature.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)
            cls._param_names_cache = names
        return names

    def __setattr__(self, name: str, value: Any) -> None:
        check = type(self)._checks.get(name)
        if check is None:
            object.__setattr__(self, name, value)
            return
        check(name, value)
        if not self.__dict__.get("_constructed", False):
            object.__setattr__(self, name, value)
            return
        old = self.__dict__[name]
        object.__setattr__(self, name, value)
        try:
            self._check_together()
        except Exception:
            object.__setattr__(self, name, old)
            raise

    def _check_together(self) -> None:
        """Checks that involve several parameters; subclasses extend."""

    def _finish_init(self) -> None:
        self._check_together()
        object.__setattr__(self, "_constructed", True)

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters, as scikit-learn's ``get_params``: with ``deep``,
        the parameters of nested schedules too, as ``name__param``."""
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and isinstance(value, Schedule):
                out.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> "Schedule":
        """Set parameters (``name`` or ``nested__name``) as scikit-learn's ``set_params``.
        Each value is checked as the constructor checks it; on any error nothing changes."""
        valid = list(self._param_names())
        own, nested = {}, {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for schedule {type(self).__name__}; valid parameters: {valid}"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                own[name] = value
        for name, value in own.items():
            check = type(self)._checks.get(name)
            if check is not None:
                check(name, value)
        old = {name: getattr(self, name) for name in own}
        for name, value in own.items():
            object.__setattr__(self, name, value)
        try:
            self._check_together()
            for name, sub in nested.items():
                target = getattr(self, name)
                if not isinstance(target, Schedule):
                    raise ValueError(f"{type(self).__name__}.{name} has no parameters to set ({sorted(sub)})")
                target.set_params(**sub)
        except Exception:
            for name, value in old.items():
                object.__setattr__(self, name, value)
            raise
        return self

    def _validate(self) -> None:
        """Every check again, when a parameter changed since the last time: a parameter can
        also change in place (a list of milestones), where no assignment checks it."""
        # Shallow: a nested schedule checks its own assignments, and a tabulated schedule
        # rebuilds its table (evaluating, hence checking, its children) when any of them changed.
        snapshot = self._snapshot()
        if self.__dict__.get("_cache_validated") == snapshot:
            return
        self._check_each()
        object.__setattr__(self, "_cache_validated", snapshot)

    def _snapshot(self) -> tuple:
        """The parameter values, lists copied to tuples: equal while nothing changed."""
        values = self.__dict__
        return tuple(
            tuple(v) if type(v) in (list, tuple) else v for v in (values[name] for name in self._param_names())
        )

    def _fingerprint(self) -> tuple:
        """The snapshot, with nested schedules' fingerprints: equal while nothing changed, deep."""
        return tuple(
            tuple(v._fingerprint() if isinstance(v, Schedule) else v for v in item) if type(item) is tuple else item
            for item in self._snapshot()
        )

    def _check_each(self) -> None:
        for name in self._param_names():
            check = type(self)._checks.get(name)
            if check is not None:
                check(name, getattr(self, name))
        self._check_together()

    # --- the core record -------------------------------------------------------------------
    def _fields(self) -> dict:
        return {}

    def to_core(self, steps: int | None = None) -> _core.Schedule:
        """The plain record the C++ loops evaluate, after checking every parameter again.
        ``steps``: the last step the caller will evaluate (matters only for tabulated schedules)."""
        self._validate()
        s = _core.Schedule()
        s.kind = self._kind
        s.lr = float(self.lr)
        for name, value in self._fields().items():
            setattr(s, name, value)
        return s

    def __call__(self, t: int) -> float:
        t = int(t)
        if t < 1:
            raise ValueError(f"Invalid step: {t} (steps count from 1)")
        return _core.schedule_lr(self.to_core(t), t)

    def rates(self, first: int, count: int) -> np.ndarray:
        """The rates of steps ``first .. first + count - 1`` as a float64 array (one C++ call)."""
        first, count = int(first), int(count)
        if first < 1 or count < 0:
            raise ValueError(f"Invalid steps: first {first}, count {count} (steps count from 1; count >= 0)")
        return _core.schedule_lrs(self.to_core(first + count - 1), first, count)

    @property
    def constant(self) -> bool:
        """True when the rate never changes (a plain float was given)."""
        return False

    def __repr__(self) -> str:
        params = self.get_params(deep=False)
        # The base rate first, where the constructor has one (OptimalLR takes it last).
        ordered = sorted(params.items(), key=lambda item: item[0] != "lr")
        args = ", ".join(f"{k}={v!r}" for k, v in ordered)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and _param_key(self) == _param_key(other)

    def __hash__(self) -> int:
        return hash(_param_key(self))

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_cache")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


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


def _check_milestones(name: str, value: Any) -> None:
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of step counts, not {type(value).__name__}") from None
    for m in items:
        if isinstance(m, bool) or not isinstance(m, numbers.Real) or int(m) != m or not 0 <= m < 2**62:
            _fail(name, list(value), "must be integers >= 0")


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


class ReduceLROnPlateau(Schedule):
    """torch's ReduceLROnPlateau: lr * factor ** k, where k counts the plateaus seen so far.

    Feed it a loss (or, with ``mode="max"``, a score) with :meth:`observe`: the estimators
    do this every epoch, :func:`pygdx.minimize` every iteration. A value is an improvement
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
        record = self.to_core()
        reduced = _core.plateau_observe(record, float(loss))
        self.scale, self.best = record.scale, record.best
        self.num_bad_epochs, self.cooldown_counter = record.num_bad_epochs, record.cooldown_counter
        return reduced

    def _fields(self) -> dict:
        return {"scale": self.scale, "factor": float(self.factor), "patience": int(self.patience),
                "threshold": float(self.threshold), "threshold_absolute": self.threshold_mode == "abs",
                "maximize": self.mode == "max", "cooldown": int(self.cooldown), "min_lr": float(self.min_lr),
                "eps": float(self.eps), "best": float(self.best), "num_bad_epochs": int(self.num_bad_epochs),
                "cooldown_counter": int(self.cooldown_counter)}


class OptimalLR(Schedule):
    """scikit-learn's "optimal" rate for l2-regularised problems: 1 / (alpha * (t0 + t - 1)).

    ``t0`` defaults to scikit-learn's heuristic (Bottou's) for a loss whose derivative is
    bounded by 1, ``1 / (eta0 * alpha)`` with ``eta0 = alpha ** -0.25``; pass ``t0`` for another
    loss (scikit-learn divides eta0 by max(1, |dloss(-eta0, 1)|)). ``lr`` is not used by the
    formula and kept only as the nominal rate.
    """

    _kind = _core.ScheduleKind.optimal
    _checks = {**Schedule._checks, "alpha": _positive, "t0": _positive}

    def __init__(self, alpha: float, t0: float | None = None, lr: float = 1.0) -> None:
        super().__init__(lr)
        self.alpha = alpha
        if t0 is None:
            typw = math.sqrt(1.0 / math.sqrt(float(alpha)))
            t0 = 1.0 / (typw * float(alpha))
        self.t0 = t0
        self._finish_init()

    def _fields(self) -> dict:
        return {"alpha": float(self.alpha), "t0": float(self.t0)}


# --- tabulated schedules: rates computed ahead in Python, read by the core ------------------

_TABLE_AHEAD = 1024


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
        key = self._fingerprint()
        cache = self.__dict__.get("_cache")
        if cache is not None and cache[0] == key and len(cache[1]) >= needed:
            return cache[2]
        rates = list(cache[1]) if cache is not None and cache[0] == key else []
        self._extend(rates, needed)
        ahead = max(2 * len(rates), _TABLE_AHEAD)
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
