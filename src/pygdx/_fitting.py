"""How an estimator fit runs, between its checks and the training loop: the working model
installed while it trains and kept only on success, the plan of the fit, the optimizer
(carried over by partial_fit), callbacks, verbose output and the ConvergenceWarning.
GDRegressor and GDClassifier derive from :class:`Fitting`."""

from __future__ import annotations

import contextlib
import copy
import time
import warnings
from typing import Any, Iterator

import numpy as np

from . import _training, callbacks as _callbacks, optim as _optim
from ._plain import plain_copy
from ._stepwise import weight_average
from ._swa import fold_epoch, swa_model_for
from ._targets import Targets
from ._validation import check_finite, n_threads, refuse_non_numeric
from .exceptions import ConvergenceWarning, sklearn_exception
from .schedules import Schedule

__all__ = ["Fitting", "FITTED", "initial_theta"]

# What a fit sets: kept together, so that a failed fit can put all of it back.
FITTED = ("_theta", "_n_outputs", "n_features_in_", "_optimizer", "_optimizer_config", "_rng", "loss_curve_",
          "validation_scores_", "n_iter_", "classes_", "feature_names_in_", "_average_theta", "_average_start",
          "_average_decay", "_divergence_record", "_swa_model", "_swa_start")


def initial_theta(coef_init: Any, intercept_init: Any, n_outputs: int, n_features: int,
                  dtype: np.dtype) -> np.ndarray | None:
    """The weights a fit starts from when ``coef_init`` or ``intercept_init`` is given (the
    other part zero), checked against the data's shape with scikit-learn's message; None
    when neither is."""
    if coef_init is None and intercept_init is None:
        return None
    theta = np.zeros(n_outputs * (n_features + 1), dtype=dtype)
    if coef_init is not None:
        coef = _finite_numbers(coef_init, "coef_init", dtype)
        wanted = (n_features,) if n_outputs == 1 else (n_outputs, n_features)
        if (coef.ravel().shape if n_outputs == 1 else coef.shape) != wanted:
            raise ValueError(f"Provided coef_init does not match dataset: its shape is {coef.shape}, this data needs "
                             f"{wanted}")
        theta[: n_outputs * n_features] = coef.ravel()
    if intercept_init is not None:
        intercept = _finite_numbers(intercept_init, "intercept_init", dtype)
        if intercept.shape not in ((n_outputs,), () if n_outputs == 1 else (n_outputs,)):
            raise ValueError(f"Provided intercept_init does not match dataset: its shape is {intercept.shape}, this "
                             f"data needs ({n_outputs},)")
        theta[n_outputs * n_features:] = intercept.ravel()
    return theta


def _bindable(array: Any, dtype: np.dtype, size: int) -> bool:
    """Whether the trainer can read ``array`` in place as one of the model's buffers: exactly
    ``dtype`` in native byte order, C-contiguous, aligned, ``size`` long."""
    return (isinstance(array, np.ndarray) and array.dtype == dtype and array.dtype.isnative and array.size == size
            and array.flags.c_contiguous and array.flags.aligned)


def _finite_numbers(value: Any, what: str, dtype: np.dtype) -> np.ndarray:
    raw = np.asarray(value)
    refuse_non_numeric(raw, what)
    with np.errstate(over="ignore"):
        out = raw.astype(dtype)
    check_finite(out, what)
    return out


class Fitting:
    """The fit machinery of the estimators (which provide the parameters, _loss_object,
    _problem_args and _rng_for_fit)."""

    @contextlib.contextmanager
    def _training(self, n_features: int, dtype: np.dtype, targets: Targets, partial: bool,
                  start: np.ndarray | None = None) -> Iterator[tuple]:
        """The plan and the working model of a fit, installed on the estimator while it trains
        (callbacks see it); kept on success and after Ctrl-C (at its last completed epoch), and
        replaced by the previous model (or none) on any other error. ``start``: the weights
        to start from (coef_init / intercept_init), else zeros or the current ones."""
        previous = {k: self.__dict__[k] for k in FITTED if k in self.__dict__}
        keep = (self.__sklearn_is_fitted__() and (partial or self.warm_start) and self._n_outputs == targets.n_outputs
                and self.n_features_in_ == n_features and self._theta.dtype == dtype)
        if start is not None:
            theta = start
        else:
            theta = self._theta.copy() if keep else np.zeros(targets.n_outputs * (n_features + 1), dtype=dtype)
        carry_on = keep and partial and self._optimizer is not None
        start_step, decay = weight_average(self.average, self.ema_decay)
        rng = self._rng if carry_on else self._rng_for_fit()
        rng_state = rng.bit_generator.state
        optimizer = self._optimizer_on(theta, self._optimizer if carry_on else None)
        state = _training.FitState(
            theta=theta, optimizer=optimizer, rng=rng,
            loss_curve=list(self.loss_curve_) if keep and partial else [],
            validation_scores=list(self.validation_scores_) if keep and partial else [],
            n_iter=self.n_iter_ if keep and partial else 0,
            start_model=self._start_model(optimizer) if carry_on and start is None else None,
            divergence_record=self.__dict__.get("_divergence_record") if keep and partial else None)
        swa_model = swa_model_for(self, theta, carry_on)
        average = None
        if start_step:
            average, start_step = self._average_on(theta, carry_on, start_step, decay, state.optimizer.t)
        for name in ("_average_theta", "_swa_model", "_swa_start"):
            self.__dict__.pop(name, None)
        if average is not None:
            self._average_theta = average
        if swa_model is not None:
            self.__dict__.update(_swa_model=swa_model, _swa_start=self.swa_start)
        self.__dict__.update(_average_start=start_step, _average_decay=decay, _theta=theta, _n_outputs=targets.n_outputs,
                             n_features_in_=n_features,
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
            self._divergence_record = state.divergence_record
            raise
        except BaseException:
            for k in FITTED:
                self.__dict__.pop(k, None)
            self.__dict__.update(previous)
            rng.bit_generator.state = rng_state
            raise
        self.n_iter_ = state.n_iter
        self._divergence_record = state.divergence_record
        self.__dict__.pop("_coef_is_sparse", None)  # a new model: coef_ dense again (after sparsify())

    def _start_model(self, optimizer: Any) -> tuple | None:
        """The previous model (weights, optimizer state) when this call's starts as its copy,
        for the trainer to undo a first epoch from (see _training.FitState.start_model)."""
        previous = self._optimizer
        if type(optimizer) is not type(previous) or [set(a) for a in optimizer.state] != [set(a) for a in previous.state]:
            return None  # a fresh optimizer (_optimizer_on): its state is not the previous one
        theta = self._theta
        used = [previous.state[0][name] for name in previous._state_names if name in previous.state[0]]
        if not all(_bindable(a, theta.dtype, theta.size) for a in (theta, *used)):
            return None  # arrays swapped by hand: the trainer copies its own undo instead
        empty = np.empty(0, dtype=theta.dtype)
        return theta, [previous.state[0].get(name, empty) for name in previous._state_names]

    def _weights(self) -> np.ndarray:
        """What the model predicts with: the per-epoch SWA mean (swa_start, pygdx._swa) once
        an epoch was folded in; the mean (averaged SGD) or moving average (ema_decay) of the
        weights once its start step was reached (pygdx._stepwise); else the weights the
        optimizer steps."""
        swa_model = self.__dict__.get("_swa_model")
        if swa_model is not None and swa_model.n_averaged:
            return swa_model.params[0]
        start = self.__dict__.get("_average_start", 0)
        if start and self._optimizer is not None and self._optimizer.t >= start:
            return self._average_theta
        return self._theta

    def _average_on(self, theta: np.ndarray, carry_on: bool, start: int, decay: float | None,
                    t: int) -> tuple[np.ndarray, int]:
        """The average of the weights a fit folds into and the step it starts at. partial_fit
        goes on with the average it has when its kind is unchanged; otherwise a new one starts.
        A new EMA starts at the next step (``t + 1``, t the optimizer's step count), whose
        weights it copies, as AveragedModel's first update does; zeros would be folded in
        otherwise, the step count being past 1. A new mean keeps its ``start`` and starts from
        zeros: past that step it weighs step t by 1 / (t - start + 1), as scikit-learn's
        partial_fit does when ``average`` is turned on midway."""
        previous_start = self.__dict__.get("_average_start")
        if decay is None:
            same = carry_on and previous_start == start and self.__dict__.get("_average_decay") is None
            return (self._average_theta.copy() if same else np.zeros_like(theta)), start
        same = (carry_on and previous_start and self.__dict__.get("_average_decay") == decay and
                t >= previous_start)
        if same:
            return self._average_theta.copy(), previous_start
        return np.zeros_like(theta), t + 1

    def _plan(self, n_features: int, targets: Targets, partial: bool) -> _training.Plan:
        loss = self._loss_object()
        return _training.Plan(
            problem_args=self._problem_args(n_features, targets.n_outputs), loss=loss, on_core=loss.trained_on_core(),
            penalty=self.penalty, alpha=float(self.alpha), l1_ratio=self._l1_ratio(),
            fit_intercept=bool(self.fit_intercept), batch_size=self.batch_size, n_threads=n_threads(self.n_jobs),
            max_epochs=1 if partial else int(self.max_iter), tol=None if self.tol is None else float(self.tol),
            n_iter_no_change=int(self.n_iter_no_change), partial=partial,
            # A full batch is the same sum in any order: reading it in order is faster (no
            # random row access) and gives the same bits on every run.
            shuffle=bool(self.shuffle) and self.batch_size is not None,
            owner=type(self).__name__, lr_text=repr(self.lr), targets=targets,
            sparse_updates=getattr(self, "sparse_updates", "lazy"),
            intercept_decay=getattr(self, "intercept_decay", 1.0))

    def _optimizer_settings(self) -> tuple:
        return plain_copy((self.optimizer, self.lr, self.optimizer_params, self.n_jobs))

    def _optimizer_on(self, theta: np.ndarray, previous: Any) -> Any:
        """A new optimizer for theta with the current settings. Continuing from ``previous``
        (partial_fit), it takes over its state: all of it when the settings are unchanged, else
        the moments and step count when the rule and its state slots are the same (after
        set_params(optimizer=..., lr=..., optimizer_params=...)); a new rule starts fresh."""
        if previous is not None and self._optimizer_config == self._optimizer_settings():
            return previous._continued_on([theta])  # the same settings: a copy, nothing to re-check
        lr = copy.deepcopy(self.lr) if isinstance(self.lr, Schedule) else self.lr
        # The penalty is part of the objective; the optimizer's own weight decay stays 0
        # unless asked for explicitly. The custom-loss path steps in Python with n_jobs threads.
        params = {"weight_decay": 0.0, **(self.optimizer_params or {})}
        params.setdefault("n_threads", n_threads(self.n_jobs) or None)
        new = _optim.get(self.optimizer, [theta], lr=lr, **params)
        if previous is None:
            return new
        if type(new) is not type(previous) or [set(a) for a in new.state] != [set(a) for a in previous.state]:
            return new
        saved = previous._state_dict(copy_arrays=False)  # load_state_dict copies the arrays in
        saved["defaults"], saved["lr"] = new.defaults, new.lr
        new.load_state_dict(saved)
        return new

    def _run(self, plan: _training.Plan, state: _training.FitState, source: Any, score: Any) -> None:
        cbs = _callbacks.as_callbacks(self.callbacks)
        if not plan.partial:
            for cb in cbs:
                cb.on_train_begin(self, plan.max_epochs)
        start = time.perf_counter()

        swa_model = self.__dict__.get("_swa_model")

        def on_epoch(epoch: int, loss: float, validation: float | None) -> bool:
            self.n_iter_ = state.n_iter
            fold_epoch(swa_model, self.__dict__.get("_swa_start"), state.n_iter, state.theta)
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
            each_epoch = cbs or self.verbose or swa_model is not None
            ended = _training.train(plan, state, source, on_epoch if each_epoch else None, score)
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
