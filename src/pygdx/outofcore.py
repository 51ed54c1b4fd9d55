"""Training GDRegressor / GDClassifier on data read one chunk at a time.

:func:`fit_chunks` trains over an iterable of ``(X, y)`` or ``(X, y, sample_weight)``
chunks (a list, or a function returning a new iterator for every epoch, e.g. one that
reads files or memory-mapped slices), for up to ``max_iter`` epochs with the estimator's
``tol``, callbacks, verbose output and ``loss_curve_`` (one value per epoch). Only one
chunk has to be in memory at a time. :mod:`pygdx.dask` runs the same pieces where the
chunks of a Dask array live.

What "the same model" means (each is tested):

- ``batch_size=None`` (full batch): every epoch is one optimizer step on the objective of
  *all* the data, with the gradient summed over the chunks in their order. It equals ``fit``
  on the concatenated data after the same number of steps, up to rounding (1e-10 relative
  in float64).
- ``batch_size=k``: chunks are trained in order, each in mini-batches of k rows (the last
  batch of a chunk may be smaller). With ``shuffle=False`` and chunk lengths that are
  multiples of k (any length for k = 1) the batches are those of ``fit`` on the
  concatenated data with ``shuffle=False``, so the model is identical. With
  ``shuffle=True`` rows are shuffled *within* each chunk: epoch e draws its seed from
  ``numpy.random.default_rng(random_state)`` exactly as ``fit`` does, a
  ``default_rng(seed)`` then gives one seed per chunk in order, and each chunk's rows are
  permuted as ``pygdx._core.shuffle_rows(order, chunk_seed)`` does. The model equals
  ``partial_fit`` with ``shuffle=False`` on the concatenation of the permuted chunks, epoch
  after epoch. A global shuffle across chunks is impossible without holding all the data;
  the final loss then agrees with the in-memory ``fit`` statistically (within 1% on
  well-mixed chunks), not bit for bit.
- ``estimator.partial_fit`` called on consecutive chunks is one epoch over each; with
  ``shuffle=False`` and the batch alignment above it gives the model of ``fit`` on the
  concatenation with ``shuffle=False`` and as many epochs as passes over the chunks.

``fit`` itself accepts read-only ``np.memmap`` arrays and reads them in place (no copy
when they are C-contiguous float32/float64), so data larger than memory but on one disk
needs no chunking at all.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from . import _core
from . import _training
from . import penalties as _penalties
from ._sparse import CsrRows, as_csr_rows
from ._validation import check_y, is_sparse, refuse_non_numeric

__all__ = ["fit_chunks", "ChunkModel", "Chunks"]


class ChunkModel:
    """What a process needs to compute on one chunk of a fit: its plan (pygdx._training.Plan,
    plain data) and dtype; small enough to send to Dask workers.

    ``class_weight`` overrides the estimator's: "balanced" must be turned into a dict of
    weights from the counts over *all* the data, which one chunk does not know.
    """

    def __init__(self, plan: _training.Plan, dtype: Any, class_weight: Any = None) -> None:
        self.plan = plan
        self.dtype = np.dtype(dtype)
        self.targets = copy.copy(plan.targets)
        if class_weight is not None:
            self.targets.class_weight = class_weight
        # Chunks sum their unpenalised losses; combine() adds the penalty once.
        self.unpenalised = {**plan.problem_args, "penalty": "none", "alpha": 0.0}

    # --- one chunk as the core's inputs --------------------------------------------------
    def prepare(self, index: int, X: Any, y: Any, sample_weight: Any) -> tuple:
        """(X, encoded y, sample_weight with class weights) of chunk ``index``, as fit would
        pass them to the core; X is not copied when it already has the model's dtype. A sparse
        chunk becomes pygdx._sparse.CsrRows (a CSR matrix is read in place)."""
        owner = f"{self.plan.owner} (chunk {index})"
        n_features = self.plan.problem_args["n_features"]
        if is_sparse(X):
            Xc = as_csr_rows(X, owner)
            if Xc.dtype != self.dtype:
                Xc = Xc.astype(self.dtype)
        else:
            X = np.asarray(X)
            refuse_non_numeric(X, f"X of chunk {index}")
            if X.ndim != 2:
                raise ValueError(f"{owner}: X must be 2-dimensional with {n_features} features like the first "
                                 f"chunk, got shape {X.shape}")
            Xc = np.ascontiguousarray(X, dtype=self.dtype)
        if Xc.shape[1] != n_features:
            raise ValueError(
                f"{owner}: X must be 2-dimensional with {n_features} features like the first chunk, "
                f"got shape {Xc.shape}"
            )
        if Xc.shape[0] == 0:
            raise ValueError(f"{owner}: the chunk has no rows")
        y_arr = check_y(y, Xc.shape[0], owner, labels=self.targets.classes is not None)
        y_core = self.targets.encode(y_arr, self.dtype)
        sw = None
        if sample_weight is not None:
            raw = np.asarray(sample_weight)
            refuse_non_numeric(raw, f"sample_weight of chunk {index}")
            sw = np.ascontiguousarray(raw, dtype=self.dtype)
            if sw.shape != (Xc.shape[0],):
                raise ValueError(f"{owner}: sample_weight has shape {sw.shape}, expected ({Xc.shape[0]},)")
            if (sw < 0).any():
                raise ValueError(f"{owner}: negative values in sample_weight")
            if not sw.any():
                raise ValueError(f"{owner}: sample_weight is all zero, so the chunk would train nothing; leave it out")
        return Xc, y_core, self.targets.row_weights(sw, y_core, self.dtype)

    def _diagnose(self, index: int, X: np.ndarray, y_core: np.ndarray, sw: np.ndarray | None) -> None:
        """Called when a chunk gives a non-finite loss: name bad input data (checked only
        then, so that healthy training never pays for a second pass over X)."""
        # A sparse X's values were checked where the core read them.
        for what, arr in (("X", None if isinstance(X, CsrRows) else X), ("y", y_core), ("sample_weight", sw)):
            if arr is not None and not np.isfinite(arr).all():
                raise ValueError(f"Input {what} contains NaN or infinity (in chunk {index}).")

    # --- full batch: each chunk's mean loss and gradient, combined in chunk order --------------
    def loss_grad(self, theta: np.ndarray, index: int, X: Any, y: Any, sample_weight: Any) -> tuple:
        """(rows, mean unpenalised loss, its gradient) of one chunk at theta."""
        Xc, y_core, sw = self.prepare(index, X, y, sample_weight)
        problem = _training.make_problem(self.unpenalised)
        if isinstance(Xc, CsrRows):
            self._refuse_custom_loss()
            value, grad = _core.csr_loss_grad(problem, Xc.data, Xc.indices, Xc.indptr, Xc.shape[0], y_core, sw, theta,
                                              self.plan.n_threads)
        elif self.plan.on_core:
            value, grad = _core.linear_loss_grad(problem, Xc, y_core, sw, theta, None, self.plan.n_threads)
        else:
            value, grad = self._numpy_loss_grad(theta, Xc, y_core, sw)
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            self._diagnose(index, Xc, y_core, sw)
        return Xc.shape[0], float(value), grad

    def _numpy_loss_grad(self, theta, X, y_core, sw) -> tuple:
        K, d = self.plan.problem_args["n_outputs"], self.plan.problem_args["n_features"]
        y_rows = y_core.astype(np.intp) if K > 1 else y_core
        with np.errstate(all="ignore"):
            value, g_coef, g_intercept = _training.data_loss_grad(
                self.plan.loss, X, y_rows, theta[: K * d].reshape(K, d), theta[K * d:], sw, self.plan.fit_intercept)
        return value, np.concatenate([g_coef.ravel(), g_intercept]).astype(theta.dtype)

    def _refuse_custom_loss(self) -> None:
        if not self.plan.on_core:
            raise ValueError(f"{self.plan.owner}: a custom loss trains in NumPy on dense rows only; pass dense "
                             "chunks or use a built-in loss for sparse ones")

    def combine(self, parts: Iterable[tuple], theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The objective over all chunks and the gradient of its smooth part, from ``loss_grad``
        of each chunk in chunk order: per-chunk means weighted by rows, then the penalty, once
        (its l1 part is not in the gradient: :meth:`step` takes it as a proximal step)."""
        n_rows = 0
        loss_sum = 0.0
        grad_sum = np.zeros(theta.shape[0], dtype=np.float64)
        coef, penalty, alpha, l1_ratio = self._penalty_terms(theta)
        # Diverging weights overflow here; the caller sees the non-finite value and stops.
        with np.errstate(over="ignore", invalid="ignore"):
            for rows, value, grad in parts:
                n_rows += rows
                loss_sum += rows * value
                grad_sum += rows * grad.astype(np.float64)
            scale = 1.0 / n_rows
            grad = grad_sum * scale
            grad[: coef.shape[0]] += _penalties.gradient(coef, *_penalties.smooth_part(penalty, alpha, l1_ratio))
            return loss_sum * scale + self.penalty(theta), grad.astype(theta.dtype)

    def step(self, optimizer: Any, value: float, grad: np.ndarray) -> tuple[float, bool]:
        """One full-batch step from the combined objective and gradient, unless either is not
        finite (then the weights are left as they are and training stops with the
        estimator's error); the penalty's l1 part follows as a proximal step."""
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            return value, False
        optimizer.step(grad)
        plan = self.plan
        if plan.on_core and _penalties.has_l1(plan.penalty, plan.alpha, plan.l1_ratio):
            hyper, schedule, counters, states = optimizer.core_buffers(steps=0)
            _core.proximal_l1(plan.problem, hyper, schedule, counters, optimizer.params[0], states)
        return value, True

    def penalty(self, theta: np.ndarray) -> float:
        """alpha · R(w) at theta. An epoch's loss in ``loss_curve_`` is the mean data loss of its
        rows plus the penalty at the epoch's starting weights (as ``fit`` reports it)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return _penalties.value(*self._penalty_terms(theta))

    def _penalty_terms(self, theta: np.ndarray) -> tuple:
        plan = self.plan
        coef = theta[: plan.problem_args["n_outputs"] * plan.problem_args["n_features"]].astype(np.float64)
        alpha = plan.alpha if plan.penalty is not None else 0.0
        return coef, plan.penalty, alpha, plan.l1_ratio

    # --- mini-batch: one epoch over one chunk ----------------------------------------------------
    def train(self, optimizer: Any, index: int, X: Any, y: Any, sample_weight: Any, seed: int | None) -> tuple:
        """One pass of the fit's mini-batch loop over chunk ``index`` (shuffled within the
        chunk when seed is not None), stepping ``optimizer`` (and its parameter, the weights)
        in place: returns (rows, mean data loss of the chunk's rows without the penalty, finite)."""
        Xc, y_core, sw = self.prepare(index, X, y, sample_weight)
        order = np.arange(Xc.shape[0], dtype=np.int64)
        theta = optimizer.params[0]
        start_penalty = self.penalty(theta)
        plan = self.plan
        if isinstance(Xc, CsrRows):
            self._refuse_custom_loss()
        if plan.on_core:
            batch_size = min(int(plan.batch_size), len(order))
            hyper, schedule, counters, states = optimizer.core_buffers(steps=-(-len(order) // batch_size))
            if isinstance(Xc, CsrRows):
                loss, _, finite = _core.csr_epoch(
                    plan.problem, Xc.data, Xc.indices, Xc.indptr, Xc.shape[0], y_core, sw, order, batch_size,
                    plan.sparse_updates == "lazy", hyper, schedule, counters, theta, states, plan.n_threads, seed)
            else:
                loss, _, finite = _core.linear_epoch(
                    plan.problem, Xc, y_core, sw, order, batch_size, hyper, schedule, counters, theta, states,
                    plan.n_threads, seed)
        else:
            loss, finite = _training.numpy_epoch(plan, optimizer, Xc, y_core, sw, order)(seed)
        if not finite:
            self._diagnose(index, Xc, y_core, sw)
        return Xc.shape[0], loss - start_penalty, bool(finite)


def chunk_seeds(epoch_seed: int | None) -> Iterator[int | None]:
    """The shuffling seed of every chunk of an epoch, in chunk order (None: no shuffling)."""
    if epoch_seed is None:
        return itertools.repeat(None)
    rng = np.random.default_rng(epoch_seed)
    return (int(rng.integers(0, 2**63)) for _ in itertools.count())


class Chunks:
    """A data source (pygdx._training.DataSource) reading ``epochs()``'s chunks, one at a time,
    every epoch."""

    def __init__(self, epochs: Callable[[], Iterator[tuple]]) -> None:
        self.epochs = epochs

    def bind(self, plan: _training.Plan, optimizer: Any, problem: Any) -> Callable[[int | None], tuple]:
        theta = optimizer.params[0]
        model = ChunkModel(plan, theta.dtype)

        def full_batch_epoch(seed: int | None) -> tuple[float, bool]:
            parts = (model.loss_grad(theta, i, X, y, sw) for i, (X, y, sw) in enumerate(self.epochs()))
            return model.step(optimizer, *model.combine(parts, theta))

        def mini_batch_epoch(seed: int | None) -> tuple[float, bool]:
            epoch_penalty = model.penalty(theta)
            total, n_rows = 0.0, 0
            for i, ((X, y, sw), chunk_seed) in enumerate(zip(self.epochs(), chunk_seeds(seed))):
                rows, data_loss, finite = model.train(optimizer, i, X, y, sw, chunk_seed)
                if not finite:
                    return float("nan"), False
                total += data_loss * rows
                n_rows += rows
            return total / n_rows + epoch_penalty, True

        return full_batch_epoch if plan.batch_size is None else mini_batch_epoch

    def steps_per_epoch(self, plan: _training.Plan) -> None:
        """The epochs step in Python (each chunk fills a tabulated schedule for its own steps)."""

    def explain_non_finite(self) -> None:
        """Each chunk names its own bad input as it is read (ChunkModel._diagnose)."""


def model_dtype(dtype: Any) -> np.dtype:
    """float32 data trains a float32 model; everything else float64 (as fit does)."""
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


class _Epochs:
    """The chunks of each epoch from a re-iterable, a function returning a new iterable, or
    (for one epoch) a one-shot iterator; the first chunk is read ahead to size the model."""

    def __init__(self, chunks: Any, n_epochs: Any) -> None:
        if callable(chunks):
            self._fresh: Callable[[], Iterable] = chunks
        else:
            if iter(chunks) is chunks and n_epochs != 1:
                raise ValueError(
                    "chunks is a one-shot iterator, which can be read for one epoch only, but max_iter="
                    f"{n_epochs}: pass a list, or a function returning a new iterator of chunks for every epoch"
                )
            self._fresh = lambda: chunks
        self._ahead = iter(self._fresh())
        try:
            self.first = _as_chunk(next(self._ahead), 0)
        except StopIteration:
            raise ValueError("chunks is empty: there is nothing to train on") from None
        self._first_pending = True

    def __call__(self) -> Iterator[tuple]:
        if self._first_pending:
            self._first_pending = False
            chunks: Iterable = itertools.chain([self.first], self._ahead)
        else:
            chunks = self._fresh()
        return (_as_chunk(c, i) for i, c in enumerate(chunks))


def _as_chunk(chunk: Any, index: int) -> tuple:
    if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
        raise TypeError(f"chunk {index} must be a tuple (X, y) or (X, y, sample_weight), got {type(chunk).__name__}")
    X, y, *rest = chunk
    return X, y, rest[0] if rest else None


def fit_chunks(estimator: Any, chunks: Any, *, classes: Any = None) -> Any:
    """Train ``estimator`` (GDRegressor or GDClassifier) over chunks of data; returns it.

    Parameters
    ----------
    estimator : GDRegressor or GDClassifier
        Its parameters are used as in ``fit``: max_iter epochs (passes over all chunks),
        tol / n_iter_no_change, shuffle (within chunks), random_state, callbacks and verbose
        after every epoch; ``batch_size=None`` is true full-batch gradient descent over all
        the chunks. early_stopping is not supported; class_weight="balanced" needs the class
        counts of all the data, so pass a dict instead.
    chunks : list of (X, y) or (X, y, sample_weight), or a function returning a new iterable
        of them for every epoch (a one-shot iterator works for max_iter=1). Every chunk must
        have the columns of the first; float32 chunks train a float32 model. X may be a SciPy
        sparse matrix (CSR read in place; other formats converted once per chunk, see
        pygdx._sparse), dense and sparse chunks mixed as they come.
    classes : array-like
        Every class label (required for GDClassifier, as for its first ``partial_fit``).

    See the module documentation for how the result compares with ``fit``.
    """
    if getattr(estimator, "class_weight", None) == "balanced":
        raise ValueError(
            "class_weight='balanced' needs the class counts of all the chunks; compute the weights "
            "n_samples / (n_classes * count) yourself and pass them as a dict"
        )
    epochs = _Epochs(chunks, estimator.get_params(deep=False)["max_iter"])
    first = epochs.first[0]
    X0 = as_csr_rows(first, "chunk 0") if is_sparse(first) else np.asarray(first)
    if X0.ndim != 2:
        raise ValueError(f"chunk 0: X must be 2-dimensional (n_samples, n_features), got shape {X0.shape}")
    dtype = model_dtype(X0.dtype)
    return estimator.fit_source(Chunks(epochs), X0.shape[1], dtype, classes)
