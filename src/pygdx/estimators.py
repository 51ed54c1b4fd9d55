"""scikit-learn compatible linear models trained by gradient descent in the C++ core.

:class:`GDRegressor` and :class:`GDClassifier` minimise scikit-learn's SGD objective
(the mean loss over rows plus alpha times the penalty) with any optimizer of :mod:`pygdx.optim`, in full batches
(``batch_size=None``), mini-batches (``batch_size=k``) or one row at a time
(``batch_size=1``). A fit crosses into C++ once per many epochs (see :mod:`pygdx._training`):
callbacks, verbose output, early stopping and plateau schedules run between epochs.

Data handling:

- ``X`` that is already a C-contiguous float32 or float64 array (read-only and memory-mapped
  arrays included) is used as it is, without a copy; anything else (other dtypes, Fortran
  order, lists, DataFrames) is converted once per call to a C-contiguous float64 array.
  Complex, datetime, text and object targets or weights are refused, not converted.
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
- Failures change nothing: ``fit`` and ``partial_fit`` train a copy of the model and keep it
  only when they succeed. A NaN or infinite loss, weight or optimizer state, or a loss that
  grows tenfold, raises :class:`pygdx.exceptions.TrainingDiverged` (a ValueError) naming the
  epoch, or a ValueError saying which input holds the NaN/inf; the estimator is left exactly
  as it was before the call.
- Ctrl-C stops a fit within milliseconds, even inside a long epoch: ``KeyboardInterrupt`` is
  raised and the estimator keeps the model of its last completed epoch, ready to use.
- Threads: one estimator fitted from two threads at once fits one after the other (a lock);
  a callback that fits its own estimator raises RuntimeError.
- scikit-learn is optional: the estimators implement ``get_params``/``set_params``, scoring
  and input checks themselves, and pass scikit-learn's ``check_estimator`` when it is installed.
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import time
import warnings
import weakref
from typing import Any, Iterator

import numpy as np

from . import _core, _training, callbacks as _callbacks, losses as _losses, optim as _optim
from . import penalties as _penalties
from ._estimator_protocol import AvailableIf, EstimatorProtocol
from ._validation import (check_finite, check_row_weights, check_sample_weight, check_X, check_y, class_weights,
                          n_threads, validate_params)
from .exceptions import ConvergenceWarning, NotFittedError, TrainingDiverged, sklearn_exception
from .schedules import Schedule

__all__ = ["GDRegressor", "GDClassifier", "ConvergenceWarning", "NotFittedError", "TrainingDiverged"]

# What a fit sets: kept together, so that a failed fit can put all of it back.
_FITTED = ("_theta", "_n_outputs", "n_features_in_", "_optimizer", "_optimizer_config", "_rng", "loss_curve_",
           "validation_scores_", "n_iter_", "classes_")


class _FitGuard:
    """One fit at a time per estimator: a second thread waits; a fit started from inside a
    fit of the same estimator (a callback) raises instead of deadlocking or garbling it."""

    _guards: "weakref.WeakKeyDictionary[Any, _FitGuard]" = weakref.WeakKeyDictionary()
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


class _Targets:
    """How y enters the core: a regressor's values, or a classifier's classes as ±1 (two
    classes, one output) or class indices (K outputs), with the rows' class weights."""

    def __init__(self, classes: np.ndarray | None, n_outputs: int, class_weight: Any = None) -> None:
        self.classes, self.n_outputs, self.class_weight = classes, n_outputs, class_weight

    def encode(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        if self.classes is None:
            if y.dtype.kind not in "fiub":
                raise ValueError(f"y must be numeric for a regressor, got dtype {y.dtype}")
            y_core = np.ascontiguousarray(y, dtype=dtype)
            check_finite(y_core, "y")
            return y_core
        classes = self.classes
        if self.n_outputs == 1:
            positive = y == classes[1]
            if np.count_nonzero(positive) + np.count_nonzero(y == classes[0]) != y.shape[0]:
                self._raise_unknown_labels(y)
            # +1 / -1 in two in-place passes: a fourth of the time of a masked assignment
            signs = positive.astype(dtype)
            signs *= 2
            signs -= 1
            return signs
        idx = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        if np.any(classes[idx] != y):
            self._raise_unknown_labels(y)
        return idx.astype(dtype)

    def _raise_unknown_labels(self, y: np.ndarray) -> None:
        unknown = np.setdiff1d(y, self.classes)
        raise ValueError(f"y contains labels {unknown[:5]!r} that are not in classes {self.classes!r}")

    def class_index(self, y_core: np.ndarray) -> np.ndarray:
        return (y_core > 0).astype(np.intp) if self.n_outputs == 1 else y_core.astype(np.intp)

    def row_weights(self, sw: np.ndarray | None, y_core: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
        """sample_weight times the class weight of each row's class."""
        if self.classes is None or self.class_weight is None:
            return sw
        weights = class_weights(self.class_weight, self.classes, self.class_index(y_core))
        with np.errstate(over="ignore"):
            per_row = weights[self.class_index(y_core)].astype(dtype)
            out = per_row if sw is None else np.ascontiguousarray(sw * per_row)
        check_row_weights(out, "sample_weight times class_weight")
        return out


class _GDBase(EstimatorProtocol):
    """Everything GDRegressor and GDClassifier share: parameters, fitting, the fitted model."""

    _loss_table: dict = {}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_theta")

    def _check_is_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise sklearn_exception("NotFittedError", NotFittedError)(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments "
                "before using this estimator."
            )

    # --- parameters -----------------------------------------------------------------------
    def _validate_params(self) -> None:
        """Every parameter, before a fit touches anything (see _validation.PARAMETER_CONSTRAINTS)."""
        name = type(self).__name__
        validate_params(name, self.get_params(deep=False))
        if not (isinstance(self.loss, _losses.Loss) or (isinstance(self.loss, str) and self.loss in self._loss_table)):
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
        if self.optimizer_params and "lr" in self.optimizer_params:
            raise ValueError(f"{name}: give the learning rate as lr=..., not inside optimizer_params")
        if not isinstance(self.lr, Schedule):
            if isinstance(self.lr, (bool, np.bool_)) or not isinstance(self.lr, (int, float, np.number)) or not (
                    math.isfinite(float(self.lr)) and float(self.lr) > 0):
                raise ValueError(f"{name}: lr must be a number > 0 or a pygdx.schedules.Schedule, got {self.lr!r}")
        _callbacks.as_callbacks(self.callbacks)

    def _loss_object(self) -> _losses.Loss:
        if isinstance(self.loss, _losses.Loss):
            return self.loss
        cls = self._loss_table[self.loss]
        return cls(self.epsilon) if issubclass(cls, (_losses.Huber, _losses.EpsilonInsensitive)) else cls()

    # --- the fitted model -------------------------------------------------------------------
    def _new_model(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        """Zero weights for a model set from outside (pygdx.modelfile loads saved coefficients)."""
        self._theta = np.zeros(n_outputs * n_features + n_outputs, dtype=dtype)
        self._n_outputs = n_outputs
        self.n_features_in_ = n_features
        self._optimizer = None

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

    def _problem(self, n_features: int | None = None, n_outputs: int | None = None) -> Any:
        return _training.make_problem(self._problem_args(n_features, n_outputs))

    def _problem_args(self, n_features: int | None = None, n_outputs: int | None = None) -> dict:
        """The core's description of the objective. A custom loss gets the core kind of its
        family, which only the decision values (not training) use."""
        loss = self._loss_object()
        n_outputs = self._n_outputs if n_outputs is None else n_outputs
        kind = type(loss).core_kind
        if kind is None:
            kind = _core.LossKind.hinge if loss.classification else _core.LossKind.squared_error
        if loss.multiclass or (n_outputs > 1 and kind == _core.LossKind.log_loss):
            kind = _core.LossKind.multinomial
        penalty = self.penalty
        return dict(loss=kind.name, n_features=self.n_features_in_ if n_features is None else n_features,
                    n_outputs=n_outputs, fit_intercept=bool(self.fit_intercept), epsilon=getattr(loss, "epsilon", 0.1),
                    penalty=_penalties.PENALTIES[penalty].core_kind.name,
                    alpha=float(self.alpha) if penalty is not None else 0.0, l1_ratio=float(self.l1_ratio))

    def _check_predict_X(self, X: Any) -> np.ndarray:
        self._check_is_fitted()
        Xc = check_X(X, type(self).__name__)
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
        return _core.linear_decision(self._problem(), X, theta, rows, n_threads(self.n_jobs))

    # --- fitting ----------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, sample_weight: Any, partial: bool, classes: Any = None) -> "_GDBase":
        with _FitGuard.of(self):
            self._validate_params()
            owner = type(self).__name__
            # Every training row enters the loss, so a NaN or inf in X shows up as a non-finite
            # loss and is reported from there: no extra pass over X per call. Validation rows
            # are only scored, so early stopping checks X up front.
            Xc = check_X(X, owner, check_finite_values=bool(self.early_stopping) and not partial)
            y_arr = check_y(y, Xc.shape[0], owner, labels=self._estimator_type == "classifier")
            continuing = self.__sklearn_is_fitted__() and (partial or self.warm_start)
            if continuing and Xc.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {Xc.shape[1]} features, but {owner} is expecting {self.n_features_in_} features as input."
                )
            if continuing and Xc.dtype != self._theta.dtype:
                Xc = Xc.astype(self._theta.dtype)
            targets = self._targets(y_arr, partial, classes)
            y_core = targets.encode(y_arr, Xc.dtype)
            sw = check_sample_weight(sample_weight, Xc.shape[0], Xc.dtype)
            if partial and getattr(self, "class_weight", None) == "balanced":
                # one call's class counts are not the data's (scikit-learn refuses this too)
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit: compute the weights once from "
                    "all the labels (e.g. sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, "
                    "y=y)) and pass them as a dict, class_weight={label: weight}"
                )
            sw = targets.row_weights(sw, y_core, Xc.dtype)
            early = bool(self.early_stopping) and not partial
            with self._training(Xc.shape[1], Xc.dtype, targets, partial) as (plan, state):
                rows = val_rows = None
                if early:
                    split = self._split_labels(targets, y_core)
                    rows, val_rows = self._validation_split(split, state.rng)
                source = _training.InMemory(Xc, y_core, sw, rows)
                score = (lambda: self._validation_score(Xc, y_core, sw, val_rows, targets)) if early else None
                self._run(plan, state, source, score)
        return self

    def fit_source(self, source: Any, n_features: int, dtype: Any, classes: Any = None, partial: bool = False) -> Any:
        """Train on a data source other than one in-memory array (pygdx.outofcore and
        pygdx.dask use it): ``source.bind(plan, optimizer)`` gives the epochs (see
        pygdx._training.DataSource); ``plan.targets`` encodes each part's y and weights.
        As ``fit`` (or ``partial_fit``), without early stopping; returns the estimator."""
        with _FitGuard.of(self):
            self._validate_params()
            name = type(self).__name__
            if self.early_stopping and not partial:
                raise ValueError(
                    f"{name}: early_stopping needs the validation rows in memory, which chunked training does not "
                    "have; set early_stopping=False and watch a held-out set in a callback instead")
            if self._estimator_type == "classifier" and classes is None and not (
                    partial and self.__sklearn_is_fitted__()):
                raise ValueError(f"{name}: pass classes= (every class label) to train on chunks")
            if partial and self.__sklearn_is_fitted__() and self.n_features_in_ != n_features:
                raise ValueError(f"X has {n_features} features, but {name} is expecting {self.n_features_in_} "
                                 "features as input.")
            dtype = np.dtype(dtype) if np.dtype(dtype) in (np.float32, np.float64) else np.dtype(np.float64)
            if partial and self.__sklearn_is_fitted__():
                dtype = self._theta.dtype
            targets = self._targets(None if classes is None else np.asarray(classes), partial, classes)
            with self._training(n_features, dtype, targets, partial) as (plan, state):
                self._run(plan, state, source, None)
        return self

    @contextlib.contextmanager
    def _training(self, n_features: int, dtype: np.dtype, targets: _Targets, partial: bool) -> Iterator[tuple]:
        """The plan and the working model of a fit, installed on the estimator while it trains
        (callbacks see it); kept on success and after Ctrl-C (at its last completed epoch), and
        replaced by the previous model (or none) on any other error."""
        previous = {k: self.__dict__[k] for k in _FITTED if k in self.__dict__}
        keep = (self.__sklearn_is_fitted__() and (partial or self.warm_start) and self._n_outputs == targets.n_outputs
                and self.n_features_in_ == n_features and self._theta.dtype == dtype)
        theta = self._theta.copy() if keep else np.zeros(targets.n_outputs * (n_features + 1), dtype=dtype)
        carry_on = keep and partial and self._optimizer is not None
        rng = self._rng if carry_on else self._rng_for_fit()
        rng_state = rng.bit_generator.state
        state = _training.FitState(
            theta=theta, optimizer=self._optimizer_on(theta, self._optimizer if carry_on else None), rng=rng,
            loss_curve=list(self.loss_curve_) if keep and partial else [],
            validation_scores=list(self.validation_scores_) if keep and partial else [],
            n_iter=self.n_iter_ if keep and partial else 0)
        self.__dict__.update(_theta=theta, _n_outputs=targets.n_outputs, n_features_in_=n_features,
                             _optimizer=state.optimizer, _optimizer_config=self._optimizer_settings(), _rng=rng,
                             loss_curve_=state.loss_curve, validation_scores_=state.validation_scores,
                             n_iter_=state.n_iter)
        if targets.classes is not None:
            self.classes_ = targets.classes
        plan = self._plan(n_features, targets, partial)
        try:
            yield plan, state
        except KeyboardInterrupt:
            self.n_iter_ = state.n_iter
            raise
        except BaseException:
            for k in _FITTED:
                self.__dict__.pop(k, None)
            self.__dict__.update(previous)
            rng.bit_generator.state = rng_state
            raise
        self.n_iter_ = state.n_iter

    def _plan(self, n_features: int, targets: _Targets, partial: bool) -> _training.Plan:
        loss = self._loss_object()
        return _training.Plan(
            problem_args=self._problem_args(n_features, targets.n_outputs), loss=loss, on_core=loss.trained_on_core(),
            penalty=self.penalty, alpha=float(self.alpha), l1_ratio=float(self.l1_ratio),
            fit_intercept=bool(self.fit_intercept), batch_size=self.batch_size, n_threads=n_threads(self.n_jobs),
            max_epochs=1 if partial else int(self.max_iter), tol=None if self.tol is None else float(self.tol),
            n_iter_no_change=int(self.n_iter_no_change), partial=partial,
            # A full batch is the same sum in any order: reading it in order is faster (no
            # random row access) and gives the same bits on every run.
            shuffle=bool(self.shuffle) and self.batch_size is not None,
            owner=type(self).__name__, lr_text=repr(self.lr), targets=targets)

    def _optimizer_settings(self) -> tuple:
        return copy.deepcopy((self.optimizer, self.lr, self.optimizer_params, self.n_jobs))

    def _optimizer_on(self, theta: np.ndarray, previous: Any) -> Any:
        """A new optimizer for theta with the current settings. Continuing from ``previous``
        (partial_fit), it takes over its state: all of it when the settings are unchanged, else
        the moments and step count when the rule and its state slots are the same (after
        set_params(optimizer=..., lr=..., optimizer_params=...)); a new rule starts fresh."""
        lr = copy.deepcopy(self.lr) if isinstance(self.lr, Schedule) else self.lr
        # The penalty is part of the objective; the optimizer's own weight decay stays 0
        # unless asked for explicitly. The custom-loss path steps in Python with n_jobs threads.
        params = {"weight_decay": 0.0, **(self.optimizer_params or {})}
        params.setdefault("n_threads", n_threads(self.n_jobs) or None)
        new = _optim.get(self.optimizer, [theta], lr=lr, **params)
        if previous is None:
            return new
        saved = previous.state_dict()
        if self._optimizer_config != self._optimizer_settings():
            if type(new) is not type(previous) or [set(a) for a in new.state] != [set(a) for a in previous.state]:
                return new
            saved["defaults"], saved["lr"] = new.defaults, new.lr
        new.load_state_dict(saved)
        return new

    def _run(self, plan: _training.Plan, state: _training.FitState, source: Any, score: Any) -> None:
        cbs = _callbacks.as_callbacks(self.callbacks)
        if not plan.partial:
            for cb in cbs:
                cb.on_train_begin(self, plan.max_epochs)
        start = time.perf_counter()

        def on_epoch(epoch: int, loss: float, validation: float | None) -> bool:
            self.n_iter_ = state.n_iter
            if self.verbose:
                self._print_epoch(loss, validation, start)
            info = {"epoch": epoch, "loss": float(loss), "validation_score": validation,
                    "lr": state.optimizer.current_lr, "t": state.optimizer.t, "elapsed": time.perf_counter() - start}
            stop = False
            for cb in cbs:
                if cb.on_epoch_end(self, info):
                    stop = True
            return stop

        try:
            ended = _training.train(plan, state, source, on_epoch if cbs or self.verbose else None, score)
        finally:
            if not plan.partial:
                for cb in cbs:
                    cb.on_train_end(self)
        self.n_iter_ = state.n_iter
        if ended == "converged" and self.verbose:
            print(f"Convergence after {state.n_iter} epochs took {time.perf_counter() - start:.2f} seconds")
        if not plan.partial and ended == "max_iter" and self.tol is not None:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider increasing max_iter to "
                "improve the fit.",
                sklearn_exception("ConvergenceWarning", ConvergenceWarning),
                stacklevel=4,
            )

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
    def _targets(self, y: np.ndarray | None, partial: bool, classes: Any) -> _Targets:
        raise NotImplementedError

    def _split_labels(self, targets: _Targets, y_core: np.ndarray) -> np.ndarray:
        return y_core

    def _validation_score(self, X, y_core, sw, rows, targets) -> float:
        raise NotImplementedError

    # --- pickling: the optimizer travels as its state_dict, so that a model loaded read-only
    # (e.g. memory-mapped by joblib) gets writeable weights and state again.
    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        if self.__dict__.get("_optimizer") is not None:
            # pickle keeps the optimizer's parameter and the model's weights one array
            # (the optimizer pickles itself with its rule and state); make sure of it
            self._theta = self._optimizer.params[0]


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

    def _targets(self, y, partial, classes) -> _Targets:
        return _Targets(None, 1)

    def _validation_score(self, X, y_core, sw, rows, targets) -> float:
        z = self._decision(X, rows)[:, 0]
        return _r2(y_core[rows], z, None if sw is None else sw[rows])

    def predict(self, X: Any) -> np.ndarray:
        """x·w + b for every row, of the model's dtype. (No decision_function: scikit-learn
        regressors do not have one.)"""
        return self._decision(self._check_predict_X(X))[:, 0]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of the predictions (scikit-learn's r2_score)."""
        pred = self.predict(X)
        y_arr = check_y(y, pred.shape[0], type(self).__name__).astype(np.float64)
        check_finite(y_arr, "y")
        sw = check_sample_weight(sample_weight, pred.shape[0], np.float64)
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
    def _targets(self, y, partial, classes) -> _Targets:
        """The classes (from y, or from ``classes`` on a first partial_fit, checked against
        classes_ on the next ones) and how y is encoded; changes nothing on the estimator."""
        if not partial and y is not None:
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
            found = self.classes_
        elif partial:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            found = np.unique(np.asarray(classes))
        else:
            found = np.unique(y if classes is None else np.asarray(classes))
        if len(found) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {len(found)} class")
        n_outputs = 1 if len(found) == 2 and not self._loss_object().multiclass else len(found)
        return _Targets(found, n_outputs, self.class_weight)

    def _split_labels(self, targets: _Targets, y_core: np.ndarray) -> np.ndarray:
        return targets.class_index(y_core)

    def _validation_score(self, X, y_core, sw, rows, targets) -> float:
        pred = self._labels_from_decision(self._decision(X, rows))
        truth = self.classes_[targets.class_index(y_core[rows])]
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
        y_arr = check_y(y, pred.shape[0], type(self).__name__, labels=True)
        if y_arr.dtype.kind in "fc":
            check_finite(y_arr, "y")
        sw = check_sample_weight(sample_weight, pred.shape[0], np.float64)
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

    predict_proba = AvailableIf(_check_proba, _predict_proba)
    predict_log_proba = AvailableIf(_check_proba, _predict_log_proba)


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
