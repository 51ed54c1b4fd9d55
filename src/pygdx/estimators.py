"""scikit-learn compatible linear models trained by gradient descent in the C++ core.

:class:`GDRegressor` and :class:`GDClassifier` minimise scikit-learn's SGD objective
(the mean loss over rows plus alpha times the penalty) with any optimizer of :mod:`pygdx.optim`, in full batches
(``batch_size=None``), mini-batches (``batch_size=k``) or one row at a time
(``batch_size=1``). Each epoch is one call into C++ with the GIL released; callbacks,
verbose output, convergence checks and early stopping run between epochs.

Data handling:

- ``X`` that is already a C-contiguous float32 or float64 array (read-only and memory-mapped
  arrays included) is used as it is, without a copy; anything else (other dtypes, Fortran
  order, lists, DataFrames) is converted once per call to a C-contiguous float64 array.
- float32 ``X`` trains a float32 model: coefficients, predictions and optimizer state stay
  float32.
- Shuffling: every epoch draws a 64-bit seed from ``numpy.random.default_rng(random_state)``
  and the core shuffles the row order with a SplitMix64-driven Fisher-Yates shuffle, so a
  given ``random_state`` reproduces a fit exactly, whatever ``n_jobs``.
- Threads (``n_jobs``; scikit-learn's default None is one thread, -1 every core): full
  batches and large mini-batches split their rows over threads; mini-batches of about 64
  rows or more (at 100 features) are shared by a team of threads that lives for the
  epoch; smaller batches and single rows run on one thread, where meeting once per batch
  would cost more than it saves. The sums are cut by the problem's size only, never by the
  thread count, so every ``n_jobs`` gives the same bits.
- A NaN or infinite loss stops training at once with a ValueError naming the epoch (or
  saying which input holds the NaN/inf); the model keeps its last finite weights, and if a
  step overflowed them, weights, optimizer state and step count return to where the epoch
  started.
- scikit-learn is optional: the estimators implement ``get_params``/``set_params``, scoring
  and input checks themselves, and pass scikit-learn's ``check_estimator`` when it is installed.
"""

from __future__ import annotations

import copy
import inspect
import math
import os
import sys
import time
import warnings
from typing import Any

import numpy as np

from . import _core, callbacks as _callbacks, losses as _losses, optim as _optim
from .reference import linear as _reference
from .schedules import Schedule

__all__ = ["GDRegressor", "GDClassifier", "ConvergenceWarning", "NotFittedError"]


def _sklearn_exception(name: str, fallback: type) -> type:
    """scikit-learn's exception class of that name when scikit-learn is already imported, so
    that code catching scikit-learn's warnings and errors catches ours; else a class of our own.

    Only an already imported scikit-learn is used: code that catches its classes has imported
    it, and importing it here would cost a second on the first warning of a program that
    never uses it.
    """
    exceptions = sys.modules.get("sklearn.exceptions")
    if exceptions is None and "sklearn" in sys.modules:
        try:
            from sklearn import exceptions
        except ImportError:
            return fallback
    return getattr(exceptions, name, fallback) if exceptions is not None else fallback


class ConvergenceWarning(UserWarning):
    """Training stopped at max_iter before the tol criterion was met (scikit-learn's class is
    used instead when scikit-learn is installed)."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before fit (scikit-learn's class when installed)."""


class DataConversionWarning(UserWarning):
    """An input was converted, e.g. a column vector y raveled (scikit-learn's class when installed)."""


# ---------------------------------------------------------------------------------------
# Input checks with scikit-learn's messages, without scikit-learn.

def _is_sparse(X: Any) -> bool:
    return hasattr(X, "tocsr") and hasattr(X, "nnz") or type(X).__module__.startswith("scipy.sparse")


def _check_finite(a: np.ndarray, what: str) -> None:
    # The sum is finite exactly when every element is, unless finite values overflow it;
    # only then is the (allocating) element-wise test needed.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(a.sum()):
            return
    if np.isnan(a).any():
        raise ValueError(f"Input {what} contains NaN.")
    if not np.isfinite(a).all():
        raise ValueError(f"Input {what} contains infinity or a value too large for {a.dtype!r}.")


def _check_X(X: Any, owner: str, check_finite: bool = True) -> np.ndarray:
    """X as a C-contiguous float32/float64 matrix, copied only when it is not one already.

    ``check_finite=False`` leaves the NaN/inf test (a full read of X) to the caller: training
    detects a non-finite loss anyway and only then needs to look at X."""
    if X is None:
        raise ValueError(f"{owner} needs X, got None")
    if _is_sparse(X):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required. Use '.toarray()' to convert to a dense "
            "numpy array."
        )
    arr = X if isinstance(X, np.ndarray) else np.asarray(X)
    if arr.dtype.kind == "c":
        raise ValueError("Complex data not supported\n" + repr(arr)[:200])
    if arr.dtype.kind not in "fiub" and arr.dtype != object:
        raise ValueError(f"X has dtype {arr.dtype}; numbers are needed (float32 or float64 are used as they are)")
    if arr.ndim == 0:
        raise ValueError(
            f"Expected 2D array, got scalar array instead:\narray={arr!r}.\nReshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it contains a "
            "single sample."
        )
    if arr.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array instead:\narray={arr!r}.\nReshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it contains a "
            "single sample."
        )
    if arr.ndim > 2:
        raise ValueError(f"Found array with dim {arr.ndim}. {owner} expected <= 2.")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    arr = np.ascontiguousarray(arr)
    if arr.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required by {owner}."
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required by {owner}."
        )
    if check_finite:
        _check_finite(arr, "X")
    return arr


def _check_y_1d(y: Any, n_samples: int, owner: str) -> np.ndarray:
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    if _is_sparse(y):
        raise TypeError("A sparse y was passed, but dense data is required; use y.toarray().ravel().")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
            "(n_samples, ), for example using ravel().",
            _sklearn_exception("DataConversionWarning", DataConversionWarning),
            stacklevel=4,
        )
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"y should be a 1d array, got an array of shape {arr.shape} instead.")
    if arr.shape[0] != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: [{n_samples}, {arr.shape[0]}]")
    return arr


def _check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype) -> np.ndarray | None:
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight, dtype=dtype)
    if sw.ndim == 0:
        sw = np.full(n_samples, sw, dtype=dtype)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected ({n_samples},)!")
    _check_finite(sw, "sample_weight")
    if (sw < 0).any():
        raise ValueError("Negative values in data passed to sample_weight")
    if not sw.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return np.ascontiguousarray(sw)


def _n_threads(n_jobs: int | None) -> int:
    """The core's thread count (0 = all cores) from scikit-learn's n_jobs convention."""
    if n_jobs is None:
        return 1
    if n_jobs == -1:
        return 0
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)


class _AvailableIf:
    """A method that exists only when `check(estimator)` holds (hasattr() is False otherwise),
    like scikit-learn's available_if: predict_proba exists only for probabilistic losses."""

    def __init__(self, check: Any, fn: Any) -> None:
        self.check = check
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.fn
        self.check(obj)
        return self.fn.__get__(obj, owner)


# ---------------------------------------------------------------------------------------

_PENALTIES = {None: _core.PenaltyKind.none, "l2": _core.PenaltyKind.l2, "l1": _core.PenaltyKind.l1,
              "elasticnet": _core.PenaltyKind.elasticnet}
_CORE_LOSSES = {
    _losses.SquaredError: _core.LossKind.squared_error,
    _losses.Huber: _core.LossKind.huber,
    _losses.EpsilonInsensitive: _core.LossKind.epsilon_insensitive,
    _losses.LogLoss: _core.LossKind.log_loss,
    _losses.Hinge: _core.LossKind.hinge,
    _losses.ModifiedHuber: _core.LossKind.modified_huber,
    _losses.MultinomialLogLoss: _core.LossKind.multinomial,
}


class _GDBase:
    """Everything GDRegressor and GDClassifier share: parameters, the training loop, checks."""

    _estimator_type = ""
    _loss_table: dict = {}

    # --- scikit-learn's parameter protocol ----------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict:
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and hasattr(value, "set_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> "_GDBase":
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

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_theta")

    def _check_is_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise _sklearn_exception("NotFittedError", NotFittedError)(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments "
                "before using this estimator."
            )

    # --- parameters -----------------------------------------------------------------------
    def _validate_params(self) -> None:
        name = type(self).__name__
        if not (isinstance(self.loss, _losses.Loss) or self.loss in self._loss_table):
            raise ValueError(
                f"{name}: unknown loss {self.loss!r}; choose one of {sorted(self._loss_table)} or pass a "
                "pygdx.losses.Loss object"
            )
        if isinstance(self.loss, _losses.Loss) and self.loss.classification != (self._estimator_type == "classifier"):
            kind = "a classification" if self.loss.classification else "a regression"
            raise ValueError(
                f"{name}: {type(self.loss).__name__} is {kind} loss; use "
                f"{'GDClassifier' if self.loss.classification else 'GDRegressor'} for it"
            )
        if not isinstance(self.optimizer, type) and str(self.optimizer).strip().lower() not in _optim.available():
            raise ValueError(f"{name}: unknown optimizer {self.optimizer!r}; choose one of {_optim.available()}")
        if self.optimizer_params is not None and not isinstance(self.optimizer_params, dict):
            got = type(self.optimizer_params).__name__
            raise TypeError(f"{name}: optimizer_params must be a dict or None, not {got}")
        if self.optimizer_params and "lr" in self.optimizer_params:
            raise ValueError(f"{name}: give the learning rate as lr=..., not inside optimizer_params")
        if self.batch_size is not None and (
            isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer))
            or self.batch_size < 1
        ):
            raise ValueError(
                f"{name}: batch_size must be None (full batch) or an integer >= 1, got {self.batch_size!r}"
            )
        if isinstance(self.max_iter, bool) or int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ValueError(f"{name}: max_iter must be an integer >= 1 (epochs), got {self.max_iter!r}")
        if self.tol is not None and (not math.isfinite(float(self.tol)) or self.tol < 0):
            raise ValueError(f"{name}: tol must be None or a number >= 0, got {self.tol!r}")
        if int(self.n_iter_no_change) != self.n_iter_no_change or self.n_iter_no_change < 1:
            raise ValueError(f"{name}: n_iter_no_change must be an integer >= 1, got {self.n_iter_no_change!r}")
        if self.penalty not in _PENALTIES:
            raise ValueError(f"{name}: penalty must be None, 'l2', 'l1' or 'elasticnet', got {self.penalty!r}")
        if not math.isfinite(float(self.alpha)) or self.alpha < 0:
            raise ValueError(f"{name}: alpha must be a number >= 0, got {self.alpha!r}")
        if not 0.0 <= float(self.l1_ratio) <= 1.0:
            raise ValueError(f"{name}: l1_ratio must be in [0, 1], got {self.l1_ratio!r}")
        if not 0.0 < float(self.validation_fraction) < 1.0:
            raise ValueError(f"{name}: validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        if not isinstance(self.lr, Schedule):
            lr = float(self.lr)
            if not math.isfinite(lr) or lr <= 0:
                raise ValueError(f"{name}: lr must be a number > 0 or a pygdx.schedules.Schedule, got {self.lr!r}")
        if self.n_jobs is not None and (int(self.n_jobs) != self.n_jobs or self.n_jobs == 0):
            raise ValueError(f"{name}: n_jobs must be None, -1 or a non-zero integer, got {self.n_jobs!r}")
        _callbacks.as_callbacks(self.callbacks)

    def _loss_object(self) -> _losses.Loss:
        if isinstance(self.loss, _losses.Loss):
            return self.loss
        cls = self._loss_table[self.loss]
        return cls(self.epsilon) if issubclass(cls, (_losses.Huber, _losses.EpsilonInsensitive)) else cls()

    # --- the fitted model -------------------------------------------------------------------
    def _new_model(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        self._theta = np.zeros(n_outputs * n_features + n_outputs, dtype=dtype)
        self._n_outputs = n_outputs
        self.n_features_in_ = n_features
        self._optimizer = None

    def _make_optimizer(self) -> None:
        lr = copy.deepcopy(self.lr) if isinstance(self.lr, Schedule) else self.lr
        # The penalty is part of the objective; the optimizer's own weight decay stays 0
        # unless asked for explicitly.
        params = {"weight_decay": 0.0, **(self.optimizer_params or {})}
        # the custom-loss path steps in Python: its update uses n_jobs threads, like the core
        params.setdefault("n_threads", _n_threads(self.n_jobs) or None)
        self._optimizer = _optim.get(self.optimizer, [self._theta], lr=lr, **params)
        self._optimizer_config = self._current_optimizer_config()

    # An epoch loss this many times the lowest one so far, and above the first epoch's, is
    # divergence: descent at a workable rate never climbs that far back up.
    DIVERGENCE_FACTOR = 10.0

    def _check_not_diverging(self) -> None:
        curve = self.loss_curve_
        if len(curve) < 2:
            return
        last, first, lowest = curve[-1], curve[0], min(curve)
        if last > first and last > self.DIVERGENCE_FACTOR * lowest:
            raise ValueError(
                f"{type(self).__name__}: training diverged: the loss grew from {lowest:.4g} to {last:.4g} by "
                f"epoch {len(curve)}; the learning rate ({self.lr!r}) is too large for this data: try a smaller "
                "lr (a tenth) or standardise X (e.g. sklearn's StandardScaler)"
            )

    def _current_optimizer_config(self) -> tuple:
        return copy.deepcopy((self.optimizer, self.lr, self.optimizer_params, self.n_jobs))

    def _refresh_optimizer(self) -> None:
        """partial_fit after set_params(optimizer=..., lr=..., optimizer_params=...): train with
        the new settings, keeping the moments and step count when the rule and its state slots
        are unchanged (a new rule starts from fresh state)."""
        if self._optimizer_config == self._current_optimizer_config():
            return
        old = self._optimizer
        self._make_optimizer()
        new = self._optimizer
        if type(new) is type(old) and [set(a) for a in new.state] == [set(a) for a in old.state]:
            saved = old.state_dict()
            saved["defaults"], saved["lr"] = new.defaults, new.lr
            new.load_state_dict(saved)

    @property
    def coef_(self) -> np.ndarray:
        self._check_coef_exists()
        d = self.n_features_in_
        coef = self._theta[: self._n_outputs * d].reshape(self._n_outputs, d)
        return coef[0] if self._estimator_type == "regressor" else coef

    @coef_.setter
    def coef_(self, value: Any) -> None:
        self._check_coef_exists()
        d = self.n_features_in_
        self._theta[: self._n_outputs * d] = np.asarray(value, dtype=self._theta.dtype).ravel()

    @property
    def intercept_(self) -> np.ndarray:
        self._check_coef_exists()
        return self._theta[self._n_outputs * self.n_features_in_ :]

    @intercept_.setter
    def intercept_(self, value: Any) -> None:
        self._check_coef_exists()
        self._theta[self._n_outputs * self.n_features_in_ :] = np.asarray(value, dtype=self._theta.dtype).ravel()

    def _check_coef_exists(self) -> None:
        if "_theta" not in self.__dict__:
            raise AttributeError(f"This {type(self).__name__} instance is not fitted yet: it has no coef_")

    @property
    def t_(self) -> int:
        """Optimizer steps taken since the model was created (one per batch)."""
        self._check_coef_exists()
        return self._optimizer.t if self._optimizer is not None else 0

    def _problem(self) -> Any:
        loss = self._loss_object()
        kind = _CORE_LOSSES.get(type(loss))
        if kind is _core.LossKind.log_loss and self._n_outputs > 1:
            kind = _core.LossKind.multinomial
        epsilon = getattr(loss, "epsilon", 0.1)
        return _core.LinearProblem(
            kind if kind is not None else _core.LossKind.squared_error,
            n_features=self.n_features_in_,
            n_outputs=self._n_outputs,
            fit_intercept=bool(self.fit_intercept),
            epsilon=epsilon,
            penalty=_PENALTIES[self.penalty],
            alpha=float(self.alpha) if self.penalty is not None else 0.0,
            l1_ratio=float(self.l1_ratio),
        )

    def _uses_core_loss(self) -> bool:
        return type(self._loss_object()) in _CORE_LOSSES

    def _check_predict_X(self, X: Any) -> np.ndarray:
        self._check_is_fitted()
        Xc = _check_X(X, type(self).__name__)
        if Xc.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {Xc.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} "
                "features as input."
            )
        return Xc

    def _decision(self, X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, K) decision values of checked X (or of its rows), computed without copying X;
        of X's dtype (the weights, a few numbers, are cast when the dtypes differ)."""
        theta = self._theta if X.dtype == self._theta.dtype else self._theta.astype(X.dtype)
        return _core.linear_decision(self._problem(), X, theta, rows, _n_threads(self.n_jobs))

    # --- training -----------------------------------------------------------------------------
    def _epoch(self, X, y_core, sw, order, seed) -> tuple[float, bool]:
        """One epoch over the rows `order`; returns (mean objective, finite)."""
        problem = self._problem()
        if self._uses_core_loss():
            steps = 1 if self.batch_size is None else -(-len(order) // self.batch_size)
            hyper, schedule, counters, states = self._optimizer.core_buffers(steps=steps)
            loss, _, finite = _core.linear_epoch(
                problem, X, y_core, sw, order, self.batch_size, hyper, schedule, counters, self._theta, states,
                _n_threads(self.n_jobs), seed,
            )
            return loss, bool(finite)
        return self._numpy_epoch(X, y_core, sw, order, seed)

    def _numpy_epoch(self, X, y_core, sw, order, seed) -> tuple[float, bool]:
        """The same epoch for a custom loss, in NumPy (slower; same shuffling, same optimizer)."""
        if seed is not None:
            _core.shuffle_rows(order, seed)
        K, d = self._n_outputs, self.n_features_in_
        coef = self._theta[: K * d].reshape(K, d)
        intercept = self._theta[K * d :]
        loss = self._loss_object()
        n = len(order)
        bs = n if self.batch_size is None else int(self.batch_size)
        data_loss = 0.0
        alpha = float(self.alpha) if self.penalty is not None else 0.0
        start_penalty = _reference.penalty_value(coef, self.penalty, alpha, float(self.l1_ratio))
        for start in range(0, n, bs):
            rows = order[start : start + bs]
            y_rows = y_core[rows]
            if K > 1:
                y_rows = y_rows.astype(np.intp)
            with np.errstate(all="ignore"):
                value, g_coef, g_intercept = _reference.data_loss_grad(
                    loss, X[rows], y_rows, coef, intercept, None if sw is None else sw[rows], bool(self.fit_intercept)
                )
            if not np.isfinite(value):
                return math.nan, False
            g_coef += _reference.penalty_gradient(coef, self.penalty, alpha, float(self.l1_ratio))
            data_loss += value * len(rows)
            self._optimizer.step(np.concatenate([g_coef.ravel(), g_intercept]).astype(self._theta.dtype))
        return data_loss / n + start_penalty, bool(np.isfinite(self._theta).all())

    def _validation_split(self, y_encoded: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n = y_encoded.shape[0]
        n_val = int(math.ceil(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"The training set with validation_fraction={self.validation_fraction} leaves "
                f"{n - n_val} training and {n_val} validation samples; both need at least one."
            )
        perm = rng.permutation(n)
        if self._estimator_type == "classifier":
            # Stratified: each class contributes its share of validation rows.
            val_parts = []
            for c in np.unique(y_encoded):
                members = perm[y_encoded[perm] == c]
                take = int(round(self.validation_fraction * len(members)))
                val_parts.append(members[: min(take, len(members) - 1)] if len(members) > 1 else members[:0])
            val = np.sort(np.concatenate(val_parts)) if val_parts else perm[:0]
            if val.size == 0:
                val = np.sort(perm[:n_val])
        else:
            val = np.sort(perm[:n_val])
        mask = np.ones(n, dtype=bool)
        mask[val] = False
        return np.flatnonzero(mask).astype(np.int64), val.astype(np.int64)

    def _fit(self, X, y, sample_weight, partial: bool, classes=None) -> "_GDBase":
        self._validate_params()
        owner = type(self).__name__
        # Every training row enters the loss, so a NaN or inf in X shows up as a non-finite
        # loss and is reported from there (see _train): no extra pass over X per call.
        # Validation rows are only scored, so early stopping checks X up front.
        Xc = _check_X(X, owner, check_finite=bool(self.early_stopping) and not partial)
        y_arr = _check_y_1d(y, Xc.shape[0], owner)
        fitted = self.__sklearn_is_fitted__()
        if fitted and (partial or self.warm_start) and Xc.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {Xc.shape[1]} features, but {owner} is expecting {self.n_features_in_} features as input."
            )
        if fitted and (partial or self.warm_start) and Xc.dtype != self._theta.dtype:
            Xc = Xc.astype(self._theta.dtype)
        y_core, n_outputs = self._encode_targets(y_arr, Xc.dtype, partial, classes)
        sw = _check_sample_weight(sample_weight, Xc.shape[0], Xc.dtype)
        if partial and getattr(self, "class_weight", None) == "balanced":
            # one call's class counts are not the data's (scikit-learn refuses this too)
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit: compute the weights once from "
                "all the labels (e.g. sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, "
                "y=y)) and pass them as a dict, class_weight={label: weight}"
            )
        sw = self._apply_class_weight(sw, y_core, Xc.dtype)

        keep = fitted and (partial or self.warm_start) and self._n_outputs == n_outputs
        self._prepare_model(Xc.shape[1], n_outputs, Xc.dtype, keep, partial)
        self._train(Xc, y_core, sw, max_epochs=1 if partial else int(self.max_iter), partial=partial)
        return self

    def _prepare_model(self, n_features: int, n_outputs: int, dtype: Any, keep: bool, partial: bool) -> None:
        """Weights, curves and optimizer before training, for fit and chunked training alike:
        kept when continuing (``keep``: partial_fit, warm_start), else new; the curves go on
        only across partial_fit calls."""
        if not keep:
            self._new_model(n_features, n_outputs, dtype)
        if not (keep and partial):
            self.loss_curve_ = []
            self.validation_scores_ = []
            self.n_iter_ = 0
        if self._optimizer is None or not partial:
            self._make_optimizer()
            # One generator per model, drawn from at every epoch: successive partial_fit
            # calls see new shuffles, and a fit is reproducible from random_state.
            self._rng = self._rng_for_fit()
        else:
            self._refresh_optimizer()

    def _train(self, X, y_core, sw, max_epochs: int, partial: bool, run_epoch=None) -> None:
        """Run up to max_epochs epochs with convergence checks, callbacks and NaN handling.

        ``run_epoch(seed) -> (mean loss, finite)``, when given, replaces the epoch over the
        in-memory X (which is then unused): pygdx.outofcore and pygdx.dask train data that
        is not one array through this same loop. They refuse early_stopping, which needs X.
        """
        rng = self._rng
        early = bool(self.early_stopping) and not partial
        if early:
            train_rows, val_rows = self._validation_split(self._split_labels(y_core), rng)
        elif run_epoch is None:
            train_rows, val_rows = np.arange(X.shape[0], dtype=np.int64), None
        if run_epoch is None:
            def run_epoch(seed):
                return self._epoch(X, y_core, sw, train_rows, seed)
        cbs = _callbacks.as_callbacks(self.callbacks)
        if not partial:
            for cb in cbs:
                cb.on_train_begin(self, max_epochs)
        start_time = time.perf_counter()
        best = math.inf  # the loss to beat, or minus the validation score
        best_theta = None
        no_improvement = 0
        converged = stopped = False
        try:
            for epoch in range(1, max_epochs + 1):
                # Weights, optimizer state and step count as they were before the epoch: if
                # a step overflows the weights, all of them go back together.
                # (state_dict copies; chunked training may swap the state arrays themselves).
                saved_theta, saved_state = self._theta.copy(), self._optimizer.state_dict()
                # A full batch is the same sum in any order: reading it in order is faster (no
                # random row access) and gives the same bits on every run.
                seed = int(rng.integers(0, 2**63)) if self.shuffle and self.batch_size is not None else None
                loss, finite = run_epoch(seed)
                # Adaptive rules can overflow their state (g² in float32) while the weights stay
                # finite; the affected weights would then silently stop moving.
                state_finite = all(np.isfinite(a).all() for slots in self._optimizer.state for a in slots.values())
                if not finite or not state_finite or not np.isfinite(self._theta).all():
                    # the whole epoch is undone: weights, moments and step count as they were
                    self._theta[...] = saved_theta
                    self._optimizer.load_state_dict(saved_state)
                    if X is not None:  # chunked training (run_epoch) checks each chunk itself
                        _check_finite(X, "X")
                    raise ValueError(
                        f"{type(self).__name__}: the loss, the weights or the optimizer's state became NaN or "
                        f"infinite during epoch "
                        f"{self.n_iter_ + 1}; the learning rate ({self.lr!r}) is probably too large or the "
                        "features badly scaled: try a smaller lr or standardise X (e.g. sklearn's "
                        "StandardScaler). The last finite weights were kept."
                    )
                self.n_iter_ += 1
                self.loss_curve_.append(float(loss))
                self._check_not_diverging()
                schedule = self._optimizer._schedule
                if hasattr(schedule, "observe"):
                    schedule.observe(loss)
                score = None
                if early:
                    score = self._validation_score(X, y_core, sw, val_rows)
                    self.validation_scores_.append(score)
                    criterion = -score
                else:
                    criterion = float(loss)
                if self.tol is not None and criterion > best - float(self.tol):
                    no_improvement += 1
                else:
                    no_improvement = 0
                if criterion < best:
                    best = criterion
                    if early:
                        best_theta, best_state = self._theta.copy(), self._optimizer.state_dict()
                if self.verbose:
                    self._print_epoch(loss, score, start_time)
                info = {"epoch": epoch, "loss": float(loss), "validation_score": score,
                        "lr": self._optimizer.current_lr, "t": self._optimizer.t,
                        "elapsed": time.perf_counter() - start_time}
                for cb in cbs:
                    if cb.on_epoch_end(self, info):
                        stopped = True
                if stopped:
                    break
                if not partial and self.tol is not None and no_improvement >= self.n_iter_no_change:
                    converged = True
                    if self.verbose:
                        print(f"Convergence after {epoch} epochs took {time.perf_counter() - start_time:.2f} seconds")
                    break
        finally:
            if not partial:
                for cb in cbs:
                    cb.on_train_end(self)
        if early and best_theta is not None:
            # the optimizer goes back with the weights, so a warm start continues from there
            self._theta[...] = best_theta
            self._optimizer.load_state_dict(best_state)
        if not partial and not converged and not stopped and self.tol is not None:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider increasing max_iter to "
                "improve the fit.",
                _sklearn_exception("ConvergenceWarning", ConvergenceWarning),
                stacklevel=4,
            )

    def _rng_for_fit(self) -> np.random.Generator:
        if isinstance(self.random_state, np.random.Generator):
            return self.random_state
        if isinstance(self.random_state, np.random.RandomState):
            return np.random.default_rng(self.random_state.randint(0, 2**31 - 1))
        return np.random.default_rng(self.random_state)

    def _print_epoch(self, loss: float, score: float | None, start_time: float) -> None:
        coef = self._theta[: self._n_outputs * self.n_features_in_]
        line = (f"-- Epoch {self.n_iter_}\nNorm: {np.linalg.norm(coef):.2f}, "
                f"Bias: {float(self._theta[-1]):.6f}, T: {self._optimizer.t}, Avg. loss: {loss:.6f}")
        if score is not None:
            line += f", Validation score: {score:.6f}"
        print(line + f"\nTotal training time: {time.perf_counter() - start_time:.2f} seconds.")

    # Hooks the two estimators fill in.
    def _encode_targets(self, y, dtype, partial, classes):
        raise NotImplementedError

    def _apply_class_weight(self, sw, y_core, dtype):
        return sw

    def _split_labels(self, y_core: np.ndarray) -> np.ndarray:
        return y_core

    def _validation_score(self, X, y_core, sw, rows) -> float:
        raise NotImplementedError

    # --- pickling: the optimizer travels as its state_dict, so that a model loaded read-only
    # (e.g. memory-mapped by joblib) gets writeable weights and state again.
    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        if self.__dict__.get("_optimizer") is not None:
            # pickle keeps the optimizer's parameter and the model's weights one array
            # (the optimizer pickles itself with its rule and state); make sure of it
            self._theta = self._optimizer.params[0]

    # --- scikit-learn's tags (only ever called by scikit-learn, so importing it is safe) ------
    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags() if self._estimator_type == "classifier" else None,
            regressor_tags=RegressorTags() if self._estimator_type == "regressor" else None,
            input_tags=InputTags(),
        )


def _safe_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects without a boolean ==
        return False


_COMMON_DOC = """
    Parameters
    ----------
    loss : str or pygdx.losses.Loss
        {losses}. A Loss object of another type (a custom loss) trains through a slower
        NumPy path with the same API.
    optimizer : str
        A name from ``pygdx.optim.available()`` ("adam", "sgd", "momentum", ...).
    lr : float or pygdx.schedules.Schedule
        Learning rate, or a schedule evaluated at every optimizer step in C++. Adaptive
        rules (Adam, the default, RMSprop, ...) move each weight by about ``lr`` per step,
        whatever the gradient's size, so weights far from 0 (say a target around 100, and
        so an intercept near 100) take ~100/lr steps: standardise y, or raise lr.
    batch_size : int or None
        Rows per optimizer step: None = full batch, 1 = stochastic, k = mini-batch.
    max_iter : int
        Maximum number of epochs (passes over the training rows).
    tol : float or None
        Stop when the epoch loss (or, with early_stopping, the validation score) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; None disables it. With
        ``batch_size=None`` an epoch is a single step, and momentum or Adam may go several
        steps without a new best loss while still converging: raise ``n_iter_no_change``
        or set ``tol=None`` there. A loss that grows tenfold above its lowest value (and
        above the first epoch's) raises an error: the learning rate is too large.
    n_iter_no_change : int
    penalty : None, "l2", "l1" or "elasticnet"
        alpha · R(w) with R = ½‖w‖², ‖w‖₁, or l1_ratio·‖w‖₁ + (1 − l1_ratio)·½‖w‖² (the
        l1 part enters the gradient as the subgradient sign(w)); the intercept is never penalised.
    alpha, l1_ratio : float
    fit_intercept : bool
    shuffle : bool
        Reshuffle the rows every epoch (seeded by random_state).
    random_state : int, numpy Generator or None
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows (stratified for classifiers), stop when
        their score stops improving, and restore the weights of the best epoch.
    validation_fraction : float
    warm_start : bool
        ``fit`` starts from the current coefficients (with a new optimizer) instead of zeros.
    n_jobs : int or None
        Threads for full-batch passes and large batches (None: 1, -1: all cores).
    verbose : int
        Print one summary per epoch when > 0.
    callbacks : list of pygdx.callbacks.Callback or callables f(estimator, info)
        Called after every epoch; returning True stops training.
    optimizer_params : dict or None
        Passed to the optimizer (e.g. ``{{"momentum": 0.9}}``); its weight_decay defaults to 0.
"""


class GDRegressor(_GDBase):
    """Linear regression trained by (mini-batch) gradient descent in the C++ core.

    Minimises (1/n) Σ sw_i · loss(y_i, x_i·w + b) + alpha · R(w).
    """

    _estimator_type = "regressor"
    _loss_table = _losses.REGRESSION_LOSSES

    def __init__(
        self,
        loss: str | _losses.Loss = "squared_error",
        *,
        optimizer: str = "adam",
        lr: float | Schedule = 0.01,
        batch_size: int | None = 32,
        max_iter: int = 100,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 5,
        penalty: str | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        epsilon: float = 0.1,
        fit_intercept: bool = True,
        shuffle: bool = True,
        random_state: int | np.random.Generator | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        warm_start: bool = False,
        n_jobs: int | None = None,
        verbose: int = 0,
        callbacks: list | None = None,
        optimizer_params: dict | None = None,
    ) -> None:
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.epsilon = epsilon
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callbacks = callbacks
        self.optimizer_params = optimizer_params

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "GDRegressor":
        """Train for up to max_iter epochs from zeros (or the current weights with warm_start)."""
        return self._fit(X, y, sample_weight, partial=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> "GDRegressor":
        """One epoch over (X, y), continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, partial=True)

    def _encode_targets(self, y, dtype, partial, classes):
        if y.dtype.kind not in "fiub":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"y must be numeric for a regressor, got dtype {y.dtype}") from exc
        y_core = np.ascontiguousarray(y, dtype=dtype)
        _check_finite(y_core, "y")
        return y_core, 1

    def _validation_score(self, X, y_core, sw, rows) -> float:
        z = self._decision(X, rows)[:, 0]
        return _r2(y_core[rows], z, None if sw is None else sw[rows])

    def predict(self, X: Any) -> np.ndarray:
        """x·w + b for every row, of the model's dtype. (No decision_function: scikit-learn
        regressors do not have one.)"""
        return self._decision(self._check_predict_X(X))[:, 0]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of the predictions (scikit-learn's r2_score)."""
        pred = self.predict(X)
        y_arr = _check_y_1d(y, pred.shape[0], type(self).__name__).astype(np.float64)
        sw = _check_sample_weight(sample_weight, pred.shape[0], np.float64)
        return _r2(y_arr, pred, sw)


GDRegressor.__doc__ += _COMMON_DOC.format(losses='"squared_error" (default), "huber" or "epsilon_insensitive" '
                                                 '(both use ``epsilon``)') + """
    Attributes
    ----------
    coef_ : (n_features,) array; intercept_ : (1,) array
    n_iter_ : epochs run; t_ : optimizer steps taken
    loss_curve_ : mean training objective of every epoch
    validation_scores_ : R² on the held-out rows per epoch (early_stopping only)
    n_features_in_ : int
    """


class GDClassifier(_GDBase):
    """Linear classifier trained by (mini-batch) gradient descent in the C++ core.

    Binary problems fit one decision function (log_loss: logistic regression). With K > 2
    classes, log_loss is the multinomial softmax loss over K decision functions, and hinge
    and modified_huber are trained one-vs-rest (all K problems in the same pass).
    """

    _estimator_type = "classifier"
    _loss_table = _losses.CLASSIFICATION_LOSSES

    def __init__(
        self,
        loss: str | _losses.Loss = "log_loss",
        *,
        optimizer: str = "adam",
        lr: float | Schedule = 0.01,
        batch_size: int | None = 32,
        max_iter: int = 100,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 5,
        penalty: str | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        shuffle: bool = True,
        random_state: int | np.random.Generator | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        warm_start: bool = False,
        class_weight: dict | str | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callbacks: list | None = None,
        optimizer_params: dict | None = None,
    ) -> None:
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callbacks = callbacks
        self.optimizer_params = optimizer_params

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "GDClassifier":
        """Train for up to max_iter epochs from zeros (or the current weights with warm_start)."""
        return self._fit(X, y, sample_weight, partial=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> "GDClassifier":
        """One epoch over (X, y), continuing from the current weights and optimizer state.
        ``classes`` (every class label) is required on the first call."""
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    # --- targets --------------------------------------------------------------------------------
    def _encode_targets(self, y, dtype, partial, classes):
        if not partial:
            # partial_fit compares y with the declared classes instead (NaN matches none).
            if y.dtype.kind == "f" and y.size and not np.all(np.isfinite(y)):
                raise ValueError("Input y contains NaN or infinity.")
            if y.dtype.kind == "f" and np.any(y != np.round(y)):
                raise ValueError(
                    "Unknown label type: continuous. Maybe you are trying to fit a classifier, which expects "
                    "discrete classes on a regression target with continuous values."
                )
        if partial and self.__sklearn_is_fitted__():
            if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
                raise ValueError(f"classes={classes!r} is not the same as on the first call to partial_fit "
                                 f"({self.classes_!r})")
        elif partial:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(np.asarray(classes))
        else:
            self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got {len(self.classes_)} class"
            )
        if len(self.classes_) == 2 and not getattr(self._loss_object(), "multiclass", False):
            positive = y == self.classes_[1]
            if np.count_nonzero(positive) + np.count_nonzero(y == self.classes_[0]) != y.shape[0]:
                self._raise_unknown_labels(y)
            # +1 / -1 in two in-place passes: a fourth of the time of a masked assignment,
            # which was most of partial_fit's own cost on a stochastic epoch
            signs = positive.astype(dtype)
            signs *= 2
            signs -= 1
            return signs, 1
        idx = np.minimum(np.searchsorted(self.classes_, y), len(self.classes_) - 1)
        if np.any(self.classes_[idx] != y):
            self._raise_unknown_labels(y)
        return idx.astype(dtype), len(self.classes_)

    def _raise_unknown_labels(self, y):
        unknown = np.setdiff1d(y, self.classes_)
        raise ValueError(f"y contains labels {unknown[:5]!r} that are not in classes {self.classes_!r}")

    def _apply_class_weight(self, sw, y_core, dtype):
        if self.class_weight is None:
            return sw
        labels = self._class_index(y_core)
        n_classes = len(self.classes_)
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
            counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
            if np.any(counts == 0):
                raise ValueError("class_weight='balanced' needs every class in classes to occur in y")
            weights = len(labels) / (n_classes * counts)
        elif isinstance(self.class_weight, dict):
            weights = np.ones(n_classes)
            for label, w in self.class_weight.items():
                where = np.flatnonzero(self.classes_ == label)
                if where.size == 0:
                    raise ValueError(f"The classes, {[label]}, are not in class, {self.classes_!r}.")
                weights[where[0]] = float(w)
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
        per_row = weights[labels].astype(dtype)
        return per_row if sw is None else np.ascontiguousarray(sw * per_row)

    def _class_index(self, y_core: np.ndarray) -> np.ndarray:
        if self._n_outputs_for(y_core) == 1:
            return (y_core > 0).astype(np.intp)
        return y_core.astype(np.intp)

    def _n_outputs_for(self, y_core: np.ndarray) -> int:
        return 1 if len(self.classes_) == 2 and not getattr(self._loss_object(), "multiclass", False) else len(
            self.classes_)

    def _validation_score(self, X, y_core, sw, rows) -> float:
        pred = self._labels_from_decision(self._decision(X, rows))
        truth = self.classes_[self._class_index(y_core[rows])]
        return _accuracy(truth, pred, None if sw is None else sw[rows])

    # --- prediction ----------------------------------------------------------------------------
    def _labels_from_decision(self, z: np.ndarray) -> np.ndarray:
        if z.shape[1] == 1:
            return self.classes_[(z[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def decision_function(self, X: Any) -> np.ndarray:
        """Confidence scores: (n,) for two classes (positive means classes_[1]), else (n, K)."""
        z = self._decision(self._check_predict_X(X))
        return z[:, 0] if z.shape[1] == 1 else z

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class label of every row."""
        return self._labels_from_decision(self._decision(self._check_predict_X(X)))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy."""
        pred = self.predict(X)
        y_arr = _check_y_1d(y, pred.shape[0], type(self).__name__)
        sw = _check_sample_weight(sample_weight, pred.shape[0], np.float64)
        return _accuracy(y_arr, pred, sw)

    def _check_proba(self) -> None:
        name = self.loss if isinstance(self.loss, str) else type(self.loss).__name__
        if name not in ("log_loss", "modified_huber") and not isinstance(
            self.loss, (_losses.LogLoss, _losses.ModifiedHuber, _losses.MultinomialLogLoss)
        ):
            raise AttributeError(f"probability estimates are not available for loss={self.loss!r}")

    def _predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, K): logistic / softmax for log_loss, scikit-learn's
        (clip(z, -1, 1) + 1) / 2 (normalised one-vs-rest) for modified_huber."""
        z = self._decision(self._check_predict_X(X)).astype(np.float64)
        loss = self._loss_object()
        if isinstance(loss, (_losses.LogLoss, _losses.MultinomialLogLoss)):
            if z.shape[1] == 1:
                p1 = np.exp(-np.logaddexp(0.0, -z[:, 0]))
                proba = np.column_stack([1.0 - p1, p1])
            else:
                proba = _losses.MultinomialLogLoss.softmax(z)
        else:
            clipped = (np.clip(z, -1.0, 1.0) + 1.0) / 2.0
            if z.shape[1] == 1:
                proba = np.column_stack([1.0 - clipped[:, 0], clipped[:, 0]])
            else:
                total = clipped.sum(axis=1, keepdims=True)
                uniform = total[:, 0] == 0
                proba = np.where(total > 0, clipped / np.where(total > 0, total, 1.0), 1.0 / z.shape[1])
                proba[uniform] = 1.0 / z.shape[1]
        return proba.astype(self._theta.dtype)

    def _predict_log_proba(self, X: Any) -> np.ndarray:
        """log of predict_proba."""
        with np.errstate(divide="ignore"):
            return np.log(self._predict_proba(X))

    predict_proba = _AvailableIf(_check_proba, _predict_proba)
    predict_log_proba = _AvailableIf(_check_proba, _predict_log_proba)


GDClassifier.__doc__ += _COMMON_DOC.format(losses='"log_loss" (default), "hinge" or "modified_huber"') + """
    class_weight : dict, "balanced" or None
        Multiplies each row's weight by its class's weight; "balanced" uses
        n_samples / (n_classes * count(class)).

    Attributes
    ----------
    coef_ : (1, n_features) or (K, n_features) array; intercept_ : (1,) or (K,) array
    classes_ : the class labels
    n_iter_, t_, loss_curve_, validation_scores_ (accuracy), n_features_in_ : as GDRegressor
    """


def _r2(y: np.ndarray, pred: np.ndarray, sw: np.ndarray | None) -> float:
    w = np.ones_like(y, dtype=np.float64) if sw is None else np.asarray(sw, dtype=np.float64)
    y = y.astype(np.float64)
    pred = pred.astype(np.float64)
    ss_res = float(np.dot(w, (y - pred) ** 2))
    mean = float(np.dot(w, y) / w.sum()) if w.sum() > 0 else 0.0
    ss_tot = float(np.dot(w, (y - mean) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def _accuracy(y: np.ndarray, pred: np.ndarray, sw: np.ndarray | None) -> float:
    correct = (np.asarray(y) == np.asarray(pred)).astype(np.float64)
    if sw is None:
        return float(correct.mean())
    return float(np.dot(correct, sw) / np.sum(sw))
