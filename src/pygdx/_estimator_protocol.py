"""scikit-learn's estimator protocol without scikit-learn: parameters (get_params /
set_params), the repr of changed parameters, methods that exist only for some parameters
(available_if) and tags; and one fit at a time per estimator (:class:`FitGuard`). The
estimators derive from :class:`EstimatorProtocol`."""

from __future__ import annotations

import contextlib
import inspect
import threading
import weakref
from typing import Any, Iterator

__all__ = ["EstimatorProtocol", "AvailableIf", "FitGuard"]


class EstimatorProtocol:
    _estimator_type = ""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        # Read once per class: every fit and partial_fit asks (through get_params), and
        # inspect.signature costs more than a small epoch.
        names = cls.__dict__.get("_param_names_of_init")
        if names is None or names[0] is not cls.__init__:
            sig = inspect.signature(cls.__init__)
            names = (cls.__init__, sorted(p.name for p in sig.parameters.values()
                                          if p.name != "self" and p.kind != p.VAR_KEYWORD))
            cls._param_names_of_init = names
        return list(names[1])

    def get_params(self, deep: bool = True) -> dict:
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and hasattr(value, "set_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> Any:
        valid = self._get_param_names()
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid!r}."
                )
            if sub:
                getattr(self, name).set_params(**{sub: value})
            else:
                setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {n: p.default for n, p in inspect.signature(type(self).__init__).parameters.items()}
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            same = value is default or (type(value) is type(default) and _safe_equal(value, default))
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    # scikit-learn's tags (only ever called by scikit-learn, so importing it is safe)
    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=True, multi_output=self._estimator_type == "regressor"),
            classifier_tags=ClassifierTags() if self._estimator_type == "classifier" else None,
            regressor_tags=RegressorTags() if self._estimator_type == "regressor" else None,
            input_tags=InputTags(sparse=True),
        )


class AvailableIf:
    """A method that exists only when `check(estimator)` holds (hasattr() is False otherwise),
    like scikit-learn's available_if: predict_proba exists only for probabilistic losses.
    Otherwise getting it raises scikit-learn's AttributeError ("This 'GDClassifier' has no
    attribute 'predict_proba'"), with the check's own error, which says why, as its cause."""

    def __init__(self, check: Any, fn: Any, name: str) -> None:
        self.check = check
        self.fn = fn
        self.name = name
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.fn
        missing = f"This {type(obj).__name__!r} has no attribute {self.name!r}"
        try:
            available = self.check(obj)
        except Exception as why:
            raise AttributeError(missing) from why
        if not available:
            raise AttributeError(missing)
        return self.fn.__get__(obj, owner)


def _safe_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects without a boolean ==
        return False


class FitGuard:
    """One fit at a time per estimator: a second thread waits; a fit started from inside a
    fit of the same estimator (a callback) raises instead of deadlocking or garbling it."""

    _guards: "weakref.WeakKeyDictionary[Any, FitGuard]" = weakref.WeakKeyDictionary()
    _guards_lock = threading.Lock()

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None

    @classmethod
    @contextlib.contextmanager
    def of(cls, estimator: Any) -> Iterator[None]:
        with cls._guards_lock:
            guard = cls._guards.setdefault(estimator, cls())
        if guard.owner == threading.get_ident():
            raise RuntimeError(f"{type(estimator).__name__}: fit or partial_fit was called on this estimator from "
                               "inside its own fit (a callback?); fit another estimator (sklearn.base.clone) instead")
        with guard.lock:
            guard.owner = threading.get_ident()
            try:
                yield
            finally:
                guard.owner = None
