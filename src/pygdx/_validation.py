"""Checks of the estimators' inputs and parameters, with scikit-learn's messages, without
scikit-learn.

Parameters are declared once, as data (:data:`PARAMETER_CONSTRAINTS`, in the manner of
scikit-learn's ``_parameter_constraints``), and checked by :func:`validate_params` before a
fit touches anything. Inputs are converted once and never leniently: complex, datetime,
text, object and structured arrays are refused with a message that names the input.
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np

from ._plain import PLAIN_TYPES
from .exceptions import DataConversionWarning, sklearn_exception
from .penalties import PENALTIES

__all__ = [
    "InvalidParameterError",
    "PARAMETER_CONSTRAINTS",
    "validate_params",
    "check_X",
    "check_y",
    "check_sample_weight",
    "check_finite",
    "class_weights",
    "n_threads",
]

# More threads than this is a mistake, never a request (and would overflow the core's int).
_MOST_THREADS = 1 << 15


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or out of range (scikit-learn's class of the same name is
    also both a ValueError and a TypeError)."""


class Constraint(NamedTuple):
    accepts: Callable[[Any], bool]
    description: str


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_whole(v: Any, integer_type: bool = False) -> bool:
    """An integer, or (unless ``integer_type``) a float with an integral finite value (5.0 as 5)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, numbers.Integral):
        return True
    return not integer_type and isinstance(v, numbers.Real) and math.isfinite(float(v)) and float(v).is_integer()


def interval(low: float | None, high: float | None, *, whole: bool = False, integer_type: bool = False,
             closed: str = "both", what: str | None = None) -> Constraint:
    """A number (a whole one with ``whole``, of an integer type with ``integer_type``) in
    [low, high] (``closed``: "both", "left", "right", "neither")."""
    whole = whole or integer_type

    def accepts(v: Any) -> bool:
        if not (_is_whole(v, integer_type) if whole else _is_number(v) and math.isfinite(float(v))):
            return False
        x = float(v)
        if low is not None and (x < low or (x == low and closed in ("right", "neither"))):
            return False
        return high is None or not (x > high or (x == high and closed in ("left", "neither")))

    if what is None:
        kind = "an integer" if whole else "a number"
        bounds = []
        if low is not None:
            bounds.append(f"{'>=' if closed in ('both', 'left') else '>'} {low:g}")
        if high is not None:
            bounds.append(f"{'<=' if closed in ('both', 'right') else '<'} {high:g}")
        what = f"{kind} {' and '.join(bounds)}".strip()
    return Constraint(accepts, what)


def options(*values: Any) -> Constraint:
    return Constraint(lambda v: isinstance(v, (str, type(None))) and v in values,
                      " or ".join(repr(v) for v in values))


def instance_of(*types: type, what: str) -> Constraint:
    return Constraint(lambda v: isinstance(v, types), what)


NONE = Constraint(lambda v: v is None, "None")
BOOLEAN = Constraint(lambda v: isinstance(v, (bool, np.bool_)), "True or False")


def _class_weight_dict(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_number(w) and math.isfinite(float(w)) and w >= 0 for w in v.values())


# The loss and the optimizer are checked against the estimator's own tables (see
# estimators.py); everything else is declared here.
PARAMETER_CONSTRAINTS: dict[str, list[Constraint]] = {
    "batch_size": [Constraint(NONE.accepts, "None (full batch)"), interval(1, None, integer_type=True)],
    "max_iter": [interval(1, None, whole=True, what="an integer >= 1 (epochs)")],
    "tol": [NONE, interval(0, None)],
    "n_iter_no_change": [interval(1, None, whole=True)],
    "penalty": [options(*PENALTIES)],
    "alpha": [interval(0, None)],
    "l1_ratio": [interval(0, 1), Constraint(NONE.accepts, "None (unless penalty='elasticnet')")],
    "epsilon": [interval(0, None)],
    "fit_intercept": [BOOLEAN],
    "shuffle": [BOOLEAN],
    "random_state": [NONE, interval(0, 2**32 - 1, whole=True),
                     instance_of(np.random.Generator, np.random.RandomState, what="a numpy Generator or RandomState")],
    "early_stopping": [BOOLEAN],
    "validation_fraction": [interval(0, 1, closed="neither")],
    "warm_start": [BOOLEAN],
    "clip_grad_norm": [NONE, interval(0, None, closed="neither")],
    "clip_grad_value": [NONE, interval(0, None, closed="neither")],
    "ema_decay": [NONE, interval(0, 1)],
    "swa_start": [NONE, interval(1, None, whole=True, what="an integer >= 1 (the first epoch averaged)")],
    "average": [BOOLEAN, interval(0, None, integer_type=True, what="an integer >= 0 (the step averaging starts at)")],
    "class_weight": [NONE, options("balanced"),
                     Constraint(_class_weight_dict, "a dict {label: finite weight >= 0}")],
    "n_jobs": [NONE, Constraint(lambda v: _is_whole(v) and v != 0, "a non-zero integer (1: one thread, -1: every usable core)")],
    "verbose": [interval(0, None, whole=True), BOOLEAN],
    "optimizer_params": [NONE, instance_of(dict, what="a dict")],
    "sparse_updates": [options("lazy", "dense")],
    "intercept_decay": [options("auto"), interval(0, 1, closed="right")],
}


# Parameter sets validate_params accepted, when every value is immutable plain data: the
# checks depend on the values alone, and partial_fit validates the same set on every call
# (40-55 us a call of ~35 constraint tests, 3-4x that with the caches cold after a large
# epoch; session 13). Keys hold each value's exact type too (True == 1 == 1.0 as keys, not
# as parameters). Cleared when full: a cache, not a record.
_ACCEPTED_PARAMS: dict[tuple, None] = {}
_ACCEPTED_PARAMS_MOST = 256


def _plain_params_key(params: dict[str, Any]) -> tuple | None:
    """``params`` as a hashable key when every value is of an immutable plain type (a list,
    dict, Schedule or callback could change in place between two calls), else None."""
    key = []
    for name, value in params.items():
        kind = type(value)
        if kind not in PLAIN_TYPES:
            return None
        key.append((name, kind, value))
    return tuple(key)


def validate_params(owner: str, params: dict[str, Any]) -> None:
    """Raise InvalidParameterError naming the first parameter that none of its constraints accepts."""
    key = _plain_params_key(params)
    if key is not None and key in _ACCEPTED_PARAMS:
        return
    for name, value in params.items():
        constraints = PARAMETER_CONSTRAINTS.get(name)
        if constraints is None or any(c.accepts(value) for c in constraints):
            continue
        allowed = " or ".join(c.description for c in constraints)
        raise InvalidParameterError(f"{owner}: {name} must be {allowed}, got {value!r}")
    if key is not None:
        if len(_ACCEPTED_PARAMS) >= _ACCEPTED_PARAMS_MOST:
            _ACCEPTED_PARAMS.clear()
        _ACCEPTED_PARAMS[key] = None


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask where the system has one (a
    Slurm job or a cpuset container sees its own share, not the whole node)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def outer_thread_limit() -> int | None:
    """The thread count an enclosing parallel runner asked of this process, if any.

    joblib's process workers (scikit-learn's ``GridSearchCV(n_jobs=...)``,
    ``cross_val_score``) and most schedulers share the cores out by setting
    ``OMP_NUM_THREADS`` in each worker; pygdx's own threads follow it by default as
    OpenMP and BLAS do, so nested parallelism does not start cores x cores threads."""
    text = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    try:
        limit = int(text)
    except ValueError:
        return None
    return limit if limit > 0 else None


def n_threads(n_jobs: int | None) -> int:
    """The core's thread count (0 = all usable cores) from n_jobs.

    Unlike scikit-learn, where ``n_jobs=None`` means one job, pygdx's default is every usable
    core: the core then threads only the work where that pays (full batches, large and
    medium mini-batches, predictions on many rows) and a fit's bits do not depend on the
    thread count, so the default costs nothing in reproducibility. The default follows
    ``OMP_NUM_THREADS`` when it is set (as joblib sets it in its workers). ``n_jobs=1`` is
    one thread, -1 every usable core, -2 all but one, as in scikit-learn."""
    if n_jobs is None:
        limit = outer_thread_limit()
        return 0 if limit is None or limit >= usable_cpus() else min(limit, _MOST_THREADS)
    if n_jobs == -1:
        return 0
    if n_jobs < 0:
        return max(1, usable_cpus() + 1 + int(n_jobs))
    return min(int(n_jobs), _MOST_THREADS)


# ---------------------------------------------------------------------------------------
# Inputs

def is_sparse(X: Any) -> bool:
    return hasattr(X, "tocsr") and hasattr(X, "nnz") or type(X).__module__.startswith("scipy.sparse")


def check_finite(a: np.ndarray, what: str) -> None:
    # The sum is finite exactly when every element is, unless finite values overflow it;
    # only then is the (allocating) element-wise test needed.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(a.sum()):
            return
    if np.isnan(a).any():
        raise ValueError(f"Input {what} contains NaN.")
    if not np.isfinite(a).all():
        raise ValueError(f"Input {what} contains infinity or a value too large for {a.dtype!r}.")


def refuse_non_numeric(arr: np.ndarray, what: str, allow_labels: bool = False) -> None:
    """Complex, datetime, timedelta, structured, text and object arrays are not numbers: refuse
    them instead of converting them leniently (``allow_labels``: a classifier's y may hold any
    labels that sort, text included)."""
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported in {what}: pass its real part (np.real) if that is meant\n"
                         + repr(arr)[:200])
    if kind in "mMV" or arr.dtype.fields is not None:
        raise ValueError(f"{what} has dtype {arr.dtype}; numbers are needed (convert dates or records to "
                         "numbers yourself)")
    if not allow_labels and kind in "USO":
        raise ValueError(f"{what} has dtype {arr.dtype}; numbers are needed, not text or objects "
                         "(convert it with np.asarray(..., dtype=float) if it holds numbers)")


def check_X(X: Any, owner: str, check_finite_values: bool = True) -> Any:
    """X as a C-contiguous float32/float64 matrix, copied only when it is not one already; a
    sparse X as pygdx._sparse.CsrRows (its CSR arrays, used in place: see there).

    ``check_finite_values=False`` leaves the NaN/inf test (a full read of X) to the caller:
    training detects a non-finite loss anyway and only then needs to look at X. (The core
    checks a sparse X's values whenever it reads them.)"""
    if X is None:
        raise ValueError(f"{owner} needs X, got None")
    if is_sparse(X):
        from ._sparse import as_csr_rows  # imports scipy, only when sparse data arrives
        return as_csr_rows(X, owner)
    arr = X if isinstance(X, np.ndarray) else np.asarray(X)
    if arr.dtype.kind == "c":
        raise ValueError("Complex data not supported\n" + repr(arr)[:200])
    if arr.dtype.kind not in "fiub" and arr.dtype != object:
        raise ValueError(f"X has dtype {arr.dtype}; numbers are needed (float32 or float64 are used as they are)")
    if arr.ndim in (0, 1):
        raise ValueError(
            f"Expected 2D array, got {'scalar' if arr.ndim == 0 else '1D'} array instead:\narray={arr!r}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    if arr.ndim > 2:
        raise ValueError(f"Found array with dim {arr.ndim}. {owner} expected <= 2.")
    if arr.dtype == object and any(isinstance(v, (str, bytes)) for v in arr.flat):
        # astype(float) would read "1.5" as a number, which a text X of dtype <U is not
        raise ValueError("X has dtype object and holds texts; numbers are needed (convert it with "
                         "np.asarray(X, dtype=float) if the texts are numbers)")
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
    if check_finite_values:
        check_finite(arr, "X")
    return arr


def check_y(y: Any, n_samples: int, owner: str, labels: bool = False, multi_output: bool = False) -> np.ndarray:
    """y as a 1-d array of n_samples values: numbers, or (``labels``) any class labels. An
    object array of real numbers (as pandas gives) is numbers; one holding anything else is not.
    ``multi_output``: an (n_samples, k) array of k >= 2 targets is kept 2-d (a column vector
    is still raveled with scikit-learn's DataConversionWarning, as SGDRegressor does)."""
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    if is_sparse(y):
        raise TypeError("A sparse y was passed, but dense data is required; use y.toarray().ravel().")
    arr = np.asarray(y)
    if not labels and arr.dtype == object and all(_is_number(v) for v in arr.ravel()):
        arr = arr.astype(np.float64)
    refuse_non_numeric(arr, "y", allow_labels=labels)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
            "(n_samples, ), for example using ravel().",
            sklearn_exception("DataConversionWarning", DataConversionWarning),
            stacklevel=4,
        )
        arr = arr.ravel()
    if arr.ndim != 1 and not (multi_output and arr.ndim == 2 and arr.shape[1] >= 2):
        raise ValueError(f"y should be a 1d array, got an array of shape {arr.shape} instead.")
    if arr.shape[0] != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: [{n_samples}, {arr.shape[0]}]")
    return arr


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype) -> np.ndarray | None:
    """Finite, non-negative weights, not all zero, that fit in ``dtype``."""
    if sample_weight is None:
        return None
    raw = np.asarray(sample_weight)
    refuse_non_numeric(raw, "sample_weight")
    with np.errstate(over="ignore"):
        sw = raw.astype(dtype)
    if sw.ndim == 0:
        sw = np.full(n_samples, sw, dtype=dtype)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected ({n_samples},)!")
    check_finite(sw, "sample_weight")
    if (sw < 0).any():
        raise ValueError("Negative values in data passed to sample_weight")
    if not sw.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return np.ascontiguousarray(sw)


def class_weights(class_weight: Any, classes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The weight of every class (in classes' order) from class_weight (already validated:
    None, "balanced" or a dict of finite weights >= 0); ``labels`` are the rows' class indices."""
    n_classes = len(classes)
    if class_weight == "balanced":
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        if np.any(counts == 0):
            raise ValueError("class_weight='balanced' needs every class in classes to occur in y")
        return len(labels) / (n_classes * counts)
    weights = np.ones(n_classes)
    for label, w in class_weight.items():
        where = np.flatnonzero(classes == label)
        if where.size == 0:
            raise ValueError(f"The classes, {[label]}, are not in class, {classes!r}.")
        weights[where[0]] = float(w)
    return weights


def check_row_weights(sw: np.ndarray, what: str) -> None:
    """Row weights after class weights: finite in the model's dtype, and not all zero."""
    if not np.isfinite(sw).all():
        raise ValueError(f"{what} overflow the model's dtype {sw.dtype}: scale the weights down")
    if not sw.any():
        raise ValueError(f"{what} are all zero: nothing would be trained")


def validation_split(y_encoded: np.ndarray, fraction: float, stratified: bool,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Early stopping's (training rows, validation rows), each sorted; stratified by class for
    classifiers (each class gives its share of validation rows)."""
    n = y_encoded.shape[0]
    n_val = int(math.ceil(fraction * n))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"The training set with validation_fraction={fraction} leaves "
            f"{n - n_val} training and {n_val} validation samples; both need at least one."
        )
    perm = rng.permutation(n)
    if stratified:
        val_parts = []
        for c in np.unique(y_encoded):
            members = perm[y_encoded[perm] == c]
            take = int(round(fraction * len(members)))
            val_parts.append(members[: min(take, len(members) - 1)] if len(members) > 1 else members[:0])
        val = np.sort(np.concatenate(val_parts)) if val_parts else perm[:0]
        if val.size == 0:
            val = np.sort(perm[:n_val])
    else:
        val = np.sort(perm[:n_val])
    mask = np.ones(n, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask).astype(np.int64), val.astype(np.int64)
