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
it is exact). A table holds at most 2**27 steps: a later step is refused with a ValueError,
since reaching it would mean computing (and keeping) every rate before it in Python.

**scikit-learn.** Its learning-rate presets are schedules: ``"optimal"`` is :class:`OptimalLR`,
``"invscaling"`` :class:`InverseTimeLR`, ``"adaptive"`` :class:`AdaptiveLR` (which, in an
estimator, also decides when the fit is over), ``"constant"`` a plain number. Schedules follow the estimator parameter protocol (``get_params(deep=)``,
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

import math

from ._adaptive import AdaptiveLR
from ._base import LearningRate, Schedule
from ._closed_form import (ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR,
                           InverseTimeLR, LinearLR, MultiStepLR, OneCycleLR, OptimalLR, PolynomialLR, StepLR,
                           SWALR)
from ._plateau import ReduceLROnPlateau
from ._tabulated import ChainedScheduler, CyclicLR, LambdaLR, MultiplicativeLR, SequentialLR


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
    "AdaptiveLR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "as_schedule",
]


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


# The classes live in private modules; they are pygdx.schedules.X to users, reprs and pickles.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
