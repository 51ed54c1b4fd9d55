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
- Threads (``n_jobs``; the default None uses every usable core where that pays, unlike
  scikit-learn's None, which is one job; 1 is one thread): full batches and large
  mini-batches split their rows over threads; mini-batches of about 64
  rows or more (at 100 features) are shared by a team of threads that lives for the
  epoch; smaller batches and single rows run on one thread, where meeting once per batch
  would cost more than it saves. A team that keeps waiting for a member the machine has
  taken off its core finishes the epoch on one thread. The sums are cut by the problem's
  size only, never by the thread count, so every ``n_jobs`` gives the same bits.
- Failures change nothing: ``fit`` and ``partial_fit`` train a copy of the model and keep it
  only when they succeed. A NaN or infinite loss, weight or optimizer state, or a loss that
  keeps growing tenfold above its lowest and its first (see tol), raises
  :class:`pygdx.exceptions.TrainingDiverged` (a ValueError) naming the
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

import math
from typing import Any

import numpy as np

from . import _core, _training, callbacks as _callbacks, losses as _losses, optim as _optim, penalties as _penalties
from ._docs import COMMON_PARAMETERS
from ._stepwise import StepwiseSource, average_start
from ._estimator_protocol import AvailableIf, EstimatorProtocol, FitGuard
from ._feature_names import check_feature_names, feature_names_of
from ._fitting import Fitting, initial_theta
from ._sparse import CsrRows, SparseCoef, SparseInMemory
from ._metrics import accuracy, r2
from ._probabilities import has_probabilities, predict_log_proba, predict_proba
from ._targets import Targets, known_classes
from ._validation import (check_finite, check_sample_weight, check_X, check_y, is_sparse, n_threads, validate_params,
                          validation_split)
from .exceptions import ConvergenceWarning, NotFittedError, TrainingDiverged, sklearn_exception
from .schedules import Schedule

__all__ = ["GDRegressor", "GDClassifier", "ConvergenceWarning", "NotFittedError", "TrainingDiverged"]

class _GDBase(EstimatorProtocol, Fitting, SparseCoef):
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
        if self.l1_ratio is None and self.penalty == "elasticnet":
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")
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
        return cls(self.epsilon) if issubclass(cls, (_losses.Huber, _losses.EpsilonInsensitive, _losses.SquaredEpsilonInsensitive)) else cls()

    # --- the fitted model -------------------------------------------------------------------
    @property
    def coef_(self) -> np.ndarray:
        self._check_coef_exists()
        d = self.n_features_in_
        coef = self._weights()[: self._n_outputs * d].reshape(self._n_outputs, d)
        return self._shown_coef(coef[0] if self._estimator_type == "regressor" and self._n_outputs == 1 else coef)

    @coef_.setter
    def coef_(self, value: Any) -> None:
        self._check_coef_exists()
        if is_sparse(value):
            value = value.toarray()
        d = self.n_features_in_
        self._weights()[: self._n_outputs * d] = np.asarray(value, dtype=self._theta.dtype).ravel()

    @property
    def intercept_(self) -> np.ndarray:
        self._check_coef_exists()
        return self._weights()[self._n_outputs * self.n_features_in_ :]

    @intercept_.setter
    def intercept_(self, value: Any) -> None:
        self._check_coef_exists()
        self._weights()[self._n_outputs * self.n_features_in_ :] = np.asarray(value, dtype=self._theta.dtype).ravel()

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
                    alpha=float(self.alpha) if penalty is not None else 0.0, l1_ratio=self._l1_ratio())

    def _clipping(self) -> tuple | None:
        """(max 2-norm, max |value|) of each batch's gradient, 0 for none; None: no clipping."""
        if self.clip_grad_norm is None and self.clip_grad_value is None:
            return None
        return (float(self.clip_grad_norm or 0.0), float(self.clip_grad_value or 0.0))

    def _l1_ratio(self) -> float:
        """l1_ratio as a number: None (allowed unless penalty="elasticnet") weighs nothing."""
        return 0.0 if self.l1_ratio is None else float(self.l1_ratio)

    def _check_predict_X(self, X: Any) -> np.ndarray:
        self._check_is_fitted()
        check_feature_names(type(self).__name__, getattr(self, "feature_names_in_", None), X)
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
        weights = self._weights()
        theta = weights if X.dtype == weights.dtype else weights.astype(X.dtype)
        if isinstance(X, CsrRows):
            return X.decision(self._problem(), theta, rows, n_threads(self.n_jobs))
        return _core.linear_decision(self._problem(), X, theta, rows, n_threads(self.n_jobs))

    # --- fitting ----------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, sample_weight: Any, partial: bool, classes: Any = None, coef_init: Any = None,
             intercept_init: Any = None) -> "_GDBase":
        with FitGuard.of(self):
            self._validate_params()
            owner = type(self).__name__
            first_call = not (partial and self.__sklearn_is_fitted__())
            if partial and first_call and self.early_stopping:
                raise ValueError("early_stopping should be False with partial_fit")
            names = feature_names_of(X)
            if not first_call:
                check_feature_names(owner, getattr(self, "feature_names_in_", None), X)
            # Every training row enters the loss, so a NaN or inf in X shows up as a non-finite
            # loss and is reported from there: no extra pass over X per call. Validation rows
            # are only scored, so early stopping checks X up front.
            Xc = check_X(X, owner, check_finite_values=bool(self.early_stopping) and not partial)
            y_arr = check_y(y, Xc.shape[0], owner, labels=self._estimator_type == "classifier",
                            multi_output=self._estimator_type == "regressor")
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
            start = initial_theta(coef_init, intercept_init, targets.n_outputs, Xc.shape[1], Xc.dtype)
            with self._training(Xc.shape[1], Xc.dtype, targets, partial, start) as (plan, state):
                if first_call:
                    self._keep_feature_names(names)
                rows = val_rows = None
                if early:
                    split = self._split_labels(targets, y_core)
                    rows, val_rows = self._validation_split(split, state.rng)
                in_memory = SparseInMemory if isinstance(Xc, CsrRows) else _training.InMemory
                source = in_memory(Xc, y_core, sw, rows, held_out=val_rows)
                clip = self._clipping()
                if self._average_start or clip is not None:
                    source = StepwiseSource(source, self.__dict__.get("_average_theta"), self._average_start, clip,
                                            self._average_decay)
                score = (lambda: self._validation_score(Xc, y_core, sw, val_rows, targets)) if early else None
                self._run(plan, state, source, score)
        return self

    def fit_source(self, source: Any, n_features: int, dtype: Any, classes: Any = None, partial: bool = False) -> Any:
        """Train on a data source other than one in-memory array (pygdx.outofcore and
        pygdx.dask use it): ``source.bind(plan, optimizer)`` gives the epochs (see
        pygdx._training.DataSource); ``plan.targets`` encodes each part's y and weights.
        As ``fit`` (or ``partial_fit``), without early stopping; returns the estimator."""
        with FitGuard.of(self):
            self._validate_params()
            name = type(self).__name__
            if average_start(self.average) or self.ema_decay is not None or self._clipping() is not None:
                raise ValueError(f"{name}: average=, ema_decay= and clip_grad_norm= / clip_grad_value= need in-memory "
                                 "data (X and y arrays): turn them off to train on chunks")
            _training.refuse_intercept_decay_on_chunks(name, self.intercept_decay)
            if self.early_stopping and partial and not self.__sklearn_is_fitted__():
                raise ValueError("early_stopping should be False with partial_fit")
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
                if not (partial and self.__sklearn_is_fitted__()):
                    self._keep_feature_names(None)
                self._run(plan, state, source, None)
        return self

    def _keep_feature_names(self, names: np.ndarray | None) -> None:
        """feature_names_in_ of a fit: the frame's string column names, or none."""
        if names is not None:
            self.feature_names_in_ = names
        else:
            self.__dict__.pop("feature_names_in_", None)

    def _validation_split(self, y_encoded: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return validation_split(y_encoded, float(self.validation_fraction), self._estimator_type == "classifier", rng)

    # Hooks the two estimators fill in.
    def _targets(self, y: np.ndarray | None, partial: bool, classes: Any) -> Targets:
        raise NotImplementedError

    def _split_labels(self, targets: Targets, y_core: np.ndarray) -> np.ndarray:
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
        average = self.__dict__.get("_average_theta")
        if average is not None and not average.flags.writeable:  # the mean of the weights goes on too
            self._average_theta = np.array(average)


class GDRegressor(_GDBase):
    """Linear regression trained by (mini-batch) gradient descent in the C++ core.

    Minimises (1/n) Σ sw_i · loss(y_i, x_i·w + b) + alpha · R(w).

    Multi-output: y of shape (n, k), k >= 2, fits k linear functions at once (coef_ (k,
    n_features), intercept_ (k,), predictions (n, k)); the objective is the sum of the k
    outputs' objectives, so each output's optimum is its own single-output one (Ridge's with
    squared_error and l2). scikit-learn's SGDRegressor refuses such y; Ridge accepts it. y of
    shape (n, 1) is treated as SGDRegressor treats it: raveled, with a DataConversionWarning
    (Ridge would keep it 2-d and predict (n, 1)).
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
        average: bool | int = False,
        ema_decay: float | None = None,
        clip_grad_norm: float | None = None,
        clip_grad_value: float | None = None,
        swa_start: int | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callbacks: list | None = None,
        optimizer_params: dict | None = None,
        sparse_updates: str = "lazy", intercept_decay: float | str = 1.0,
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
        self.average = average
        self.ema_decay = ema_decay
        self.clip_grad_norm = clip_grad_norm
        self.clip_grad_value = clip_grad_value
        self.swa_start = swa_start
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callbacks = callbacks
        self.optimizer_params = optimizer_params
        self.sparse_updates, self.intercept_decay = sparse_updates, intercept_decay

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, coef_init: Any = None,
            intercept_init: Any = None) -> "GDRegressor":
        """Train for up to max_iter epochs from zeros, the current weights (warm_start) or
        ``coef_init`` (n_features,) and ``intercept_init`` (1,) (which take precedence)."""
        return self._fit(X, y, sample_weight, partial=False, coef_init=coef_init, intercept_init=intercept_init)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> "GDRegressor":
        """One epoch over (X, y), continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, partial=True)

    def _targets(self, y, partial, classes) -> Targets:
        n_outputs = 1 if y is None or y.ndim == 1 else y.shape[1]
        if partial and self.__sklearn_is_fitted__() and n_outputs != self._n_outputs:
            raise ValueError(f"y has {n_outputs} output(s), but {type(self).__name__} was fitted with "
                             f"{self._n_outputs}; partial_fit must keep the number of outputs")
        return Targets(None, n_outputs)

    def _validation_score(self, X, y_core, sw, rows, targets) -> float:
        z = self._decision(X, rows)
        return r2(y_core[rows], z if z.shape[1] > 1 else z[:, 0], None if sw is None else sw[rows])

    def predict(self, X: Any) -> np.ndarray:
        """x·w + b for every row, of the model's dtype: (n,), or (n, k) for a model fitted on
        k >= 2 targets. (No decision_function: scikit-learn regressors do not have one.)"""
        z = self._decision(self._check_predict_X(X))
        return z if self._n_outputs > 1 else z[:, 0]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of the predictions (scikit-learn's r2_score; with several outputs, their mean)."""
        pred = self.predict(X)
        y_arr = check_y(y, pred.shape[0], type(self).__name__, multi_output=pred.ndim == 2).astype(np.float64)
        if y_arr.ndim != pred.ndim:
            raise ValueError(f"y has shape {y_arr.shape}, the predictions {pred.shape}: give one target per output")
        check_finite(y_arr, "y")
        sw = check_sample_weight(sample_weight, pred.shape[0], np.float64)
        return r2(y_arr, pred, sw)


GDRegressor.__doc__ += COMMON_PARAMETERS.format(losses='"squared_error" (default), "huber" or "epsilon_insensitive" '
                                                 '(both use ``epsilon``)') + """
    Attributes
    ----------
    coef_ : (n_features,) array, or (k, n_features) for k outputs; intercept_ : (1,) or (k,) array
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
        average: bool | int = False,
        ema_decay: float | None = None,
        clip_grad_norm: float | None = None,
        clip_grad_value: float | None = None,
        swa_start: int | None = None,
        class_weight: dict | str | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callbacks: list | None = None,
        optimizer_params: dict | None = None,
        sparse_updates: str = "lazy", intercept_decay: float | str = 1.0,
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
        self.average = average
        self.ema_decay = ema_decay
        self.clip_grad_norm = clip_grad_norm
        self.clip_grad_value = clip_grad_value
        self.swa_start = swa_start
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callbacks = callbacks
        self.optimizer_params = optimizer_params
        self.sparse_updates, self.intercept_decay = sparse_updates, intercept_decay

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, coef_init: Any = None,
            intercept_init: Any = None) -> "GDClassifier":
        """Train for up to max_iter epochs from zeros, the current weights (warm_start) or
        ``coef_init`` and ``intercept_init`` (which take precedence): shapes (n_features,) and
        (1,) for one decision function (two classes), (K, n_features) and (K,) for K."""
        return self._fit(X, y, sample_weight, partial=False, coef_init=coef_init, intercept_init=intercept_init)

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> "GDClassifier":
        """One epoch over (X, y), continuing from the current weights and optimizer state.
        ``classes`` (every class label) is required on the first call."""
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    # --- targets --------------------------------------------------------------------------------
    def _targets(self, y, partial, classes) -> Targets:
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
        found = known_classes(y, classes, self.classes_ if partial and self.__sklearn_is_fitted__() else None, partial)
        if len(found) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {len(found)} class")
        n_outputs = 1 if len(found) == 2 and not self._loss_object().multiclass else len(found)
        return Targets(found, n_outputs, self.class_weight)

    def _split_labels(self, targets: Targets, y_core: np.ndarray) -> np.ndarray:
        return targets.class_index(y_core)

    def _validation_score(self, X, y_core, sw, rows, targets) -> float:
        pred = self._labels_from_decision(self._decision(X, rows))
        truth = self.classes_[targets.class_index(y_core[rows])]
        return accuracy(truth, pred, None if sw is None else sw[rows])

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
        return accuracy(y_arr, pred, sw)

    predict_proba = AvailableIf(has_probabilities, predict_proba, "predict_proba")
    predict_log_proba = AvailableIf(has_probabilities, predict_log_proba, "predict_log_proba")


GDClassifier.__doc__ += COMMON_PARAMETERS.format(losses='"log_loss" (default), "hinge" or "modified_huber"') + """
    class_weight : dict, "balanced" or None
        Multiplies each row's weight by its class's weight; "balanced" uses
        n_samples / (n_classes * count(class)).

    Attributes
    ----------
    coef_ : (1, n_features) or (K, n_features) array; intercept_ : (1,) or (K,) array
    classes_ : the class labels
    n_iter_, t_, loss_curve_, validation_scores_ (accuracy), n_features_in_ : as GDRegressor
    """
