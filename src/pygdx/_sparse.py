"""Sparse X: SciPy sparse matrices and arrays as the core reads them, and the in-memory
sparse data source of a fit.

A CSR matrix (``scipy.sparse.csr_matrix`` or ``csr_array``) is used in place: the core reads
its ``data``, ``indices`` and ``indptr`` arrays as they are, with no copy and nothing made
dense. What is converted, once, up front:

- another sparse format (CSC, COO, LIL, DOK, BSR, DIA, ...) becomes CSR (``X.tocsr()``), a
  copy of the matrix: pass CSR to avoid it;
- values that are not float32 or float64 (integers, booleans, float16) become float64, a
  copy of ``data`` only;
- ``indices`` and ``indptr`` of different integer types (or neither int32 nor int64) become
  int64, a copy of those two arrays only.

Rows in any column order and repeated columns (a CSR matrix that is not canonical) are read
as SciPy means them, a repeated column counting as the sum of its values, without sorting
or copying. Explicitly stored zeros are harmless. Non-finite values, column indices out of
range and a malformed ``indptr`` are refused with a ValueError before training starts. The
core then reads the arrays with the GIL released; if another thread rewrites ``indices`` or
``indptr`` meanwhile, every read is still checked (core/csr.hpp), and one out of range ends
the call with a ValueError, the estimator unchanged.

SciPy is imported only when a sparse X arrives (it is an optional dependency: ``pip
install "pygdx[sparse]"``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import _core
from ._optional import require
from ._training import explain_huge_weights, intercept_decay_for, validation_criterion
from ._validation import refuse_non_numeric

__all__ = ["CsrRows", "as_csr_rows", "SparseInMemory", "SparseCoef"]

SPARSE_UPDATES = ("lazy", "dense")


@dataclasses.dataclass(frozen=True)
class CsrRows:
    """The three arrays of a CSR matrix, as the core reads them, and its shape."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return 2

    def astype(self, dtype: Any) -> "CsrRows":
        """The same matrix with values of ``dtype`` (a copy of the values only)."""
        return dataclasses.replace(self, data=self.data.astype(dtype))

    def decision(self, problem: Any, theta: np.ndarray, rows: np.ndarray | None, n_threads: int) -> np.ndarray:
        return _core.csr_decision(problem, self.data, self.indices, self.indptr, self.shape[0], theta, rows, n_threads)


def as_csr_rows(X: Any, owner: str) -> CsrRows:
    """A sparse X as :class:`CsrRows` (see the module's notes on what is converted)."""
    if not hasattr(X, "tocsr"):
        raise TypeError(f"{owner}: a sparse X of type {type(X).__name__} cannot be read; pass a SciPy sparse matrix "
                        "(scipy.sparse.csr_matrix or csr_array) or a dense array")
    require("scipy.sparse", "sparse", "sparse input (a sparse X)")
    if getattr(X, "format", None) != "csr":
        X = X.tocsr()
    if len(X.shape) != 2:
        raise ValueError(f"{owner}: a sparse X must be 2-dimensional, got shape {X.shape}")
    n_rows, n_features = (int(s) for s in X.shape)
    if n_rows == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required by {owner}.")
    if n_features == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required by {owner}.")
    data = np.asarray(X.data)
    refuse_non_numeric(data, "X")
    if data.dtype not in (np.float32, np.float64):
        data = data.astype(np.float64)
    indices, indptr = np.asarray(X.indices), np.asarray(X.indptr)
    if indices.dtype != indptr.dtype or indices.dtype not in (np.int32, np.int64):
        indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
    return CsrRows(np.ascontiguousarray(data), np.ascontiguousarray(indices), np.ascontiguousarray(indptr),
                   (n_rows, n_features))


class SparseInMemory:
    """Rows of one in-memory CSR matrix (the sparse counterpart of _training.InMemory):
    encoded targets, row weights and the rows to train on; the core reads them in place."""

    sparse_rows = True  # takes an intercept_decay (_training.intercept_decay_for)

    def __init__(self, X: CsrRows, y: np.ndarray, sample_weight: np.ndarray | None,
                 rows: np.ndarray | None = None, held_out: np.ndarray | None = None) -> None:
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.rows = np.arange(X.shape[0], dtype=np.int64) if rows is None else rows
        self.held_out_rows = held_out

    def held_out(self, plan: Any, problem: Any) -> Any:
        """Early stopping's held-out sparse rows, scored in the core after each epoch."""
        criterion = validation_criterion(plan)
        if self.held_out_rows is None or (criterion == _core.ValidationCriterion.r2 and problem.n_outputs != 1):
            return None
        X = self.X
        return _core.CsrHeldOut(problem, X.data, X.indices, X.indptr, X.shape[0], self.y, self.sample_weight,
                                self.held_out_rows, criterion, plan.n_threads)

    def bind(self, plan: Any, optimizer: Any, problem: Any) -> Any:
        if not plan.on_core:
            raise ValueError(f"{plan.owner}: a custom loss trains in NumPy on dense rows only; pass X.toarray() or "
                             "use a built-in loss for sparse X")
        batch_size = None if plan.batch_size is None else min(int(plan.batch_size), len(self.rows))
        X = self.X
        return _core.CsrSource(problem, X.data, X.indices, X.indptr, X.shape[0], self.y, self.sample_weight,
                               self.rows, batch_size, plan.n_threads, plan.sparse_updates == "lazy",
                               intercept_decay_for(plan, True))

    def steps_per_epoch(self, plan: Any) -> int | None:
        return 1 if plan.batch_size is None else -(-len(self.rows) // int(plan.batch_size))

    def explain_non_finite(self) -> None:
        # X's values were checked finite when the source was built: only the weights remain.
        explain_huge_weights(self.sample_weight)


class SparseCoef:
    """``sparsify()`` and ``densify()`` as scikit-learn's SparseCoefMixin has them: after
    ``sparsify()``, ``coef_`` is a ``scipy.sparse.csr_matrix`` (worth it when l1 made most
    weights exactly zero); predictions are unchanged (the model keeps its weights as they
    were); ``densify()`` gives the NumPy array back, and so does the next fit."""

    def sparsify(self) -> Any:
        """coef_ as a scipy.sparse CSR matrix from now on (until densify() or the next fit); returns self."""
        self._check_is_fitted()
        require("scipy.sparse", "sparse", "sparsify()")
        self.__dict__["_coef_is_sparse"] = True
        return self

    def densify(self) -> Any:
        """coef_ as a NumPy array again (the default); returns self."""
        self._check_is_fitted()
        self.__dict__.pop("_coef_is_sparse", None)
        return self

    def _shown_coef(self, coef: np.ndarray) -> Any:
        if not self.__dict__.get("_coef_is_sparse"):
            return coef
        return require("scipy.sparse", "sparse", "sparsify()").csr_matrix(np.atleast_2d(coef))
