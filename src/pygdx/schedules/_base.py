"""The Schedule base class: parameters, validation, the core record, the estimator protocol."""

from __future__ import annotations

import inspect
from typing import Any, Callable, ClassVar, Union

import numpy as np

from .. import _core
from ._checks import _MOST_STEPS, _positive, _whole


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
        t = _whole("t", t, 1)
        return _core.schedule_lr(self.to_core(t), t)

    def rates(self, first: int, count: int) -> np.ndarray:
        """The rates of steps ``first .. first + count - 1`` as a float64 array (one C++ call)."""
        first, count = _whole("first", first, 1), _whole("count", count, 0)
        if first + count - 1 >= _MOST_STEPS:
            raise ValueError(f"Invalid steps: first {first}, count {count} (the last step must be < 2**62)")
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


LearningRate = Union[float, Schedule]
