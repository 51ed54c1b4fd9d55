"""Training GDRegressor / GDClassifier on Dask arrays chunked by rows (needs ``pip install
"pygdx[dask]"``).

>>> import dask.array as da, pygdx, pygdx.dask
>>> X = da.random.default_rng(0).normal(size=(10_000, 5), chunks=(2_500, 5))
>>> y = X @ da.from_array([1.0, 2.0, 3.0, 4.0, 5.0])
>>> reg = pygdx.GDRegressor(optimizer="gd", lr=0.1, batch_size=None, max_iter=200, tol=None)
>>> reg = pygdx.dask.fit(reg, X, y)
>>> [round(float(c), 2) for c in reg.coef_]
[1.0, 2.0, 3.0, 4.0, 5.0]

The data stays where its chunks live; pygdx writes no scheduler of its own. Whatever Dask
scheduler is active runs the work: the default threaded scheduler (the C++ kernel releases
the GIL, and with the default ``n_jobs=None`` every task uses one thread, so chunks run side
by side; an explicit ``n_jobs`` is passed to every task), or a
``dask.distributed.Client`` (a LocalCluster or a real cluster).

- Full batch (``batch_size=None``, any optimizer): every step sends the parameter vector to
  the chunks, computes each chunk's mean loss and gradient with the C++ kernel where the
  chunk lives (one pass over the data per step), and brings one gradient per chunk back.
  The client combines them in chunk order (weighted by rows, sample_weight included, the
  penalty added once) and takes the step with the estimator's own pygdx.optim optimizer, so
  the result is the in-memory ``fit`` on the same data up to rounding (1e-10 relative in
  float64). Persist X on the cluster (``X = X.persist()``) when it fits in the cluster's
  memory; otherwise every step reads it again from its source.
- Mini-batch and stochastic (``batch_size=k``): every epoch trains the chunks in order, each
  by one ``partial_fit``-like pass of the C++ epoch loop on the worker that holds it; the
  weights and optimizer state (a few vectors) travel from chunk to chunk, the data does not.
  Rows are shuffled within chunks with the seeds of :mod:`pygdx.outofcore`; the final loss
  matches the in-memory fit (global shuffle) within about 1%.

Everything else behaves as ``fit``: max_iter epochs (one step per epoch in full batch), tol,
callbacks and verbose after every epoch, ``loss_curve_``, NaN detection. :func:`partial_fit`
runs one epoch and continues from the current weights, as the estimator's ``partial_fit``;
:func:`predict` and friends apply a fitted model chunk by chunk, lazily. For GDClassifier
the classes (and the counts class_weight="balanced" needs) are found once with
``da.unique`` before training. early_stopping is not supported.

Failures: if a worker dies, Dask recomputes what it held (every task here is deterministic
and never changes its inputs, so a retried step gives the same numbers); if Dask gives up,
the error is raised and the estimator is left as it was before the call (as after any failed
fit).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np

from . import outofcore as _outofcore
from .estimators import GDClassifier
from .exceptions import NotFittedError, sklearn_exception

try:
    import dask
    import dask.array as da
except ImportError as exc:  # dask is an optional extra
    raise ImportError('pygdx.dask needs dask, which is not installed: pip install "pygdx[dask]"') from exc

__all__ = ["fit", "partial_fit", "predict", "decision_function", "predict_proba"]


def _chunk_loss_grad(model, theta, index, X, y, sample_weight):
    return model.loss_grad(theta, index, X, y, sample_weight)


def _train_block(model, state, index, X, y, sample_weight, seed):
    """One chunk's pass of the mini-batch loop on a copy of the incoming optimizer (tasks
    never change their inputs, so Dask may rerun them after a failure)."""
    optimizer, finite = state
    if not finite:  # an earlier chunk stopped at a non-finite loss: pass its weights on
        return state, (0, 0.0, False)
    optimizer = copy.deepcopy(optimizer)
    rows, loss, finite = model.train(optimizer, index, X, y, sample_weight, seed)
    return (optimizer, finite), (rows, loss, finite)


class _DaskChunks:
    """A data source (pygdx._training.DataSource) whose chunks are a Dask array's blocks,
    computed where they live."""

    def __init__(self, blocks: list, class_weight: Any, estimator: Any) -> None:
        self.blocks, self.class_weight, self.estimator = blocks, class_weight, estimator

    def bind(self, plan: Any, optimizer: Any, problem: Any) -> Any:
        theta = optimizer.params[0]
        if self.estimator.n_jobs is None:
            # Dask runs the chunks' tasks side by side, one per worker thread: by default each
            # takes one thread, or every task would start a thread per core.
            plan = dataclasses.replace(plan, n_threads=1)
        # The model (plain data) and theta are small: they go inside every task, so that no
        # task waits for them to travel from another worker.
        model = _outofcore.ChunkModel(plan, theta.dtype, self.class_weight)
        blocks = self.blocks

        def full_batch_step(seed: int | None) -> tuple[float, bool]:
            tasks = [dask.delayed(_chunk_loss_grad, pure=False)(model, theta.copy(), i, Xb, yb, swb)
                     for i, (Xb, yb, swb) in enumerate(blocks)]
            parts = self._compute(optimizer, *tasks)
            return model.step(optimizer, *model.combine(parts, theta))

        def mini_batch_epoch(seed: int | None) -> tuple[float, bool]:
            epoch_penalty = model.penalty(theta)
            state: Any = (copy.deepcopy(optimizer), True)
            summaries = []
            for i, ((Xb, yb, swb), chunk_seed) in enumerate(zip(blocks, _outofcore.chunk_seeds(seed))):
                state, summary = dask.delayed(_train_block, pure=False, nout=2)(model, state, i, Xb, yb, swb,
                                                                                chunk_seed)
                summaries.append(summary)
            (trained, finite), *summaries = self._compute(optimizer, state, *summaries)
            theta[...] = trained.params[0]
            optimizer.load_state_dict(trained.state_dict())
            if not finite:
                return float("nan"), False
            rows = sum(s[0] for s in summaries)
            return sum(s[0] * s[1] for s in summaries) / rows + epoch_penalty, True

        return full_batch_step if plan.batch_size is None else mini_batch_epoch

    def steps_per_epoch(self, plan: Any) -> None:
        """The epochs step in Python (each chunk fills a tabulated schedule for its own steps)."""

    def explain_non_finite(self) -> None:
        """Each chunk names its own bad input where it is read (ChunkModel._diagnose)."""

    def _compute(self, optimizer: Any, *tasks: Any) -> tuple:
        """dask.compute on the active scheduler; a failure of the cluster (not of our own input
        checks) becomes an error naming it; the estimator is left as it was before the call."""
        try:
            return dask.compute(*tasks)
        except (ValueError, TypeError):
            raise
        except Exception as exc:
            raise RuntimeError(
                f"pygdx.dask: training {type(self.estimator).__name__} failed on the Dask scheduler after "
                f"{optimizer.t} optimizer steps ({type(exc).__name__}: {exc}); the estimator was left as it was "
                "before this call: restart the fit once the cluster is healthy"
            ) from exc


def _rows_chunked(X: Any, owner: str) -> Any:
    """X as a Dask array whose chunks hold whole rows, or an error saying how to get one."""
    X = da.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{owner}: X must be a 2-dimensional Dask array (n_samples, n_features), "
                         f"got {X.ndim} dimensions")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{owner}: X has unknown chunk sizes; call X.compute_chunk_sizes() first")
    if len(X.chunks[1]) != 1:
        raise ValueError(
            f"{owner}: X is chunked along its columns ({len(X.chunks[1])} column chunks), but every chunk must hold "
            "whole rows: use X.rechunk({1: -1})"
        )
    if X.dtype.kind not in "fiub":
        raise ValueError(f"{owner}: X has dtype {X.dtype}; numbers are needed (float32 or float64 are used "
                         "as they are)")
    return X


def _with_targets(X: Any, y: Any, sample_weight: Any, owner: str) -> tuple:
    """X checked, y and sample_weight as Dask arrays with X's row chunks."""
    X = _rows_chunked(X, owner)

    def aligned(a: Any, what: str) -> Any:
        a = da.asarray(a)
        if a.ndim != 1 or a.shape[0] != X.shape[0]:
            raise ValueError(f"{owner}: {what} must be 1-dimensional with one value per row of X ({X.shape[0]}), "
                             f"got shape {a.shape}")
        return a if a.chunks[0] == X.chunks[0] else a.rechunk((X.chunks[0],))

    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    return X, aligned(y, "y"), None if sample_weight is None else aligned(sample_weight, "sample_weight")


def _classes_and_weights(estimator: Any, y: Any, classes: Any) -> tuple[Any, Any]:
    """The class labels (da.unique, computed once) and class weights as a dict ("balanced"
    from the counts over all the data)."""
    class_weight = estimator.class_weight
    if classes is not None and class_weight != "balanced":
        return np.asarray(classes), class_weight
    labels, counts = dask.compute(*da.unique(y, return_counts=True))
    if classes is None:
        classes = labels
    if class_weight != "balanced":
        return classes, class_weight
    classes = np.unique(np.asarray(classes))
    found = dict(zip(labels.tolist(), counts.tolist()))
    if any(found.get(c, 0) == 0 for c in classes.tolist()):
        raise ValueError("class_weight='balanced' needs every class in classes to occur in y")
    n = float(sum(found.values()))
    return classes, {c: n / (len(classes) * found[c]) for c in classes.tolist()}


def fit(estimator: Any, X: Any, y: Any, sample_weight: Any = None, *, classes: Any = None) -> Any:
    """Train a GDRegressor or GDClassifier on Dask arrays chunked by rows; returns it.

    Parameters
    ----------
    estimator : GDRegressor or GDClassifier
        Used with its own parameters (see the module documentation for what runs where).
    X : dask array (n_samples, n_features), chunked by rows only
    y, sample_weight : dask arrays (n_samples,); rechunked to X's row chunks if needed
    classes : array-like, optional
        The class labels of a GDClassifier; found with ``da.unique(y)`` when not given.
    """
    return _fit_dask(estimator, X, y, sample_weight, classes, partial=False)


def partial_fit(estimator: Any, X: Any, y: Any, sample_weight: Any = None, *, classes: Any = None) -> Any:
    """One epoch over the chunks (one step in full batch), continuing from the estimator's
    weights and optimizer state as its ``partial_fit`` does; returns it. On the first call
    a GDClassifier's classes are found with ``da.unique(y)`` when not given (later calls
    check them against ``classes_``); class_weight="balanced" counts this call's data."""
    return _fit_dask(estimator, X, y, sample_weight, classes, partial=True)


def _fit_dask(estimator: Any, X: Any, y: Any, sample_weight: Any, classes: Any, partial: bool) -> Any:
    owner = type(estimator).__name__
    X, y, sample_weight = _with_targets(X, y, sample_weight, owner)
    class_weight = None
    if isinstance(estimator, GDClassifier):
        if classes is None and partial and estimator.__sklearn_is_fitted__():
            classes = estimator.classes_
        classes, class_weight = _classes_and_weights(estimator, y, classes)
    X_blocks = X.to_delayed().ravel()
    y_blocks = y.to_delayed().ravel()
    sw_blocks = [None] * len(X_blocks) if sample_weight is None else sample_weight.to_delayed().ravel()
    source = _DaskChunks(list(zip(X_blocks, y_blocks, sw_blocks)), class_weight, estimator)
    dtype = _outofcore.model_dtype(X.dtype)
    return estimator.fit_source(source, X.shape[1], dtype, classes, partial)


def _by_rows(estimator: Any, method: str, X: Any, n_columns: int | None, dtype: Any) -> Any:
    if not estimator.__sklearn_is_fitted__():
        raise sklearn_exception("NotFittedError", NotFittedError)(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments "
            "before using this estimator.")
    X = _rows_chunked(X, type(estimator).__name__)
    # The model as it is now, even if training goes on (a fit installs new weights, never
    # changes these), without its callbacks (which need not pickle).
    light = copy.copy(estimator).set_params(callbacks=None)
    fn = getattr(light, method)
    if n_columns is None:
        return X.map_blocks(fn, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype=dtype))
    return X.map_blocks(fn, chunks=(X.chunks[0], (n_columns,)), dtype=dtype, meta=np.empty((0, 0), dtype=dtype))


def predict(estimator: Any, X: Any) -> Any:
    """The fitted estimator's ``predict`` on every chunk of X, lazily (a dask array)."""
    if not estimator.__sklearn_is_fitted__():
        return _by_rows(estimator, "predict", X, None, None)
    dtype = estimator.classes_.dtype if isinstance(estimator, GDClassifier) else estimator.coef_.dtype
    return _by_rows(estimator, "predict", X, None, dtype)


def decision_function(estimator: Any, X: Any) -> Any:
    """GDClassifier's ``decision_function`` on every chunk of X, lazily."""
    if not estimator.__sklearn_is_fitted__():
        return _by_rows(estimator, "decision_function", X, None, None)
    n_out = estimator.intercept_.shape[0]
    return _by_rows(estimator, "decision_function", X, None if n_out == 1 else n_out, estimator.coef_.dtype)


def predict_proba(estimator: Any, X: Any) -> Any:
    """GDClassifier's ``predict_proba`` on every chunk of X, lazily."""
    if not estimator.__sklearn_is_fitted__():
        return _by_rows(estimator, "predict_proba", X, None, None)
    return _by_rows(estimator, "predict_proba", X, len(estimator.classes_), estimator.coef_.dtype)
