"""The sparse cases of ``pygdx bench`` (issue 12): a stochastic epoch on text-like rows
against scikit-learn's SGDClassifier and the shuffled CSR floor, and the svmlight parser
against scikit-learn's load_svmlight_file; and peak memory growth, for the benchmarks."""

from __future__ import annotations

import io
import sys
import warnings
from typing import Any, Callable

import numpy as np

# Plain SGD with a constant step on L2-normalised rows: the setting issue 12's target names
# (the same step size and penalty for both libraries).
TEXT_LR, TEXT_ALPHA = 0.2, 1e-6


def text_estimators(n_jobs: int | None = 1) -> tuple[Any, Any]:
    """(pygdx GDClassifier, scikit-learn SGDClassifier or None): binary log loss, plain SGD,
    batch size 1, constant step TEXT_LR, l2 penalty TEXT_ALPHA, shuffled epochs, and
    scikit-learn's damped intercept on sparse X in both (intercept_decay="auto")."""
    from .estimators import GDClassifier

    ours = GDClassifier(loss="log_loss", optimizer="sgd", lr=TEXT_LR, batch_size=1, penalty="l2",
                        alpha=TEXT_ALPHA, shuffle=True, random_state=0, n_jobs=n_jobs,
                        intercept_decay="auto")
    try:
        from sklearn.linear_model import SGDClassifier
    except ImportError:
        return ours, None
    theirs = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=TEXT_LR, penalty="l2", alpha=TEXT_ALPHA,
                           shuffle=True, random_state=0)
    return ours, theirs


def fit_epochs_quietly(est: Any, X: Any, y: np.ndarray, epochs: int) -> Any:
    """A fresh fit of exactly `epochs` shuffled epochs (tol=None) of a copy of `est`'s settings."""
    fitted = type(est)(**est.get_params()).set_params(max_iter=epochs, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fitted.fit(X, y)


def partial_fit_quietly(est: Any, X: Any, y: np.ndarray) -> Any:
    """One epoch; scikit-learn warns that partial_fit epochs do not converge, which is expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.partial_fit(X, y, classes=np.array([0, 1]))


def svmlight_bytes(X: Any, y: np.ndarray) -> bytes:
    """X and y as svmlight text (scikit-learn's writer, one-based, 17 significant digits)."""
    from sklearn.datasets import dump_svmlight_file

    buffer = io.BytesIO()
    dump_svmlight_file(X, y, buffer, zero_based=False)
    return buffer.getvalue()


def peak_memory_growth(fn: Callable[[], object]) -> tuple[object, int | None]:
    """(fn(), how far the process's peak resident memory rose above its size before the
    call, in bytes), or None for the growth where Linux's /proc cannot tell: the peak
    (VmHWM) is reset first by writing 5 to /proc/self/clear_refs. Unlike tracemalloc, this
    sees the compiled core's allocations too."""
    def status(key: str) -> int:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(key)

    if not sys.platform.startswith("linux"):
        return fn(), None
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        before = status("VmRSS")
    except (OSError, KeyError):
        return fn(), None
    result = fn()
    return result, max(0, status("VmHWM") - before)


def sparse_cases(n_rows: int, n_features: int) -> list:
    """Cases for ``pygdx bench`` on text-like data: a stochastic epoch on one core
    (``n_jobs=1``) and at the default ``n_jobs`` (on more than one core and a matrix of 32 MiB
    or more, a second thread gathers the shuffled rows ahead; scikit-learn's binary epoch runs
    on one thread either way), and the parser; none without SciPy or scikit-learn."""
    try:
        import scipy.sparse  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        return []
    from sklearn.datasets import load_svmlight_file

    from .bench import Case, shuffled_csr_floor
    from .datasets import make_text_classification
    from .io import load_svmlight

    X, y = make_text_classification(n_rows, n_features, 30, random_state=0)
    ours, theirs = text_estimators(n_jobs=1)
    threaded, _ = text_estimators(n_jobs=None)
    size = f"n={n_rows} d={n_features} nnz={X.nnz}"
    cases = [Case(
        "stochastic epoch, text, log loss (bs=1)", size, lambda: partial_fit_quietly(ours, X, y),
        {"scikit-learn SGDClassifier": lambda: partial_fit_quietly(theirs, X, y)},
        floors={"shuffled CSR floor, 1 core": lambda k: shuffled_csr_floor(X, n_threads=1, repeat=k).seconds},
    ), Case(
        "stochastic epoch, text, log loss (bs=1), default n_jobs", size, lambda: partial_fit_quietly(threaded, X, y),
        {"scikit-learn SGDClassifier": lambda: partial_fit_quietly(theirs, X, y)},
    )]
    blob = svmlight_bytes(X, y)
    megabytes = len(blob) / 1e6
    cases.append(Case(
        "svmlight parse", f"{megabytes:.0f} MB, {n_rows} rows",
        lambda: load_svmlight(io.BytesIO(blob)),
        {"scikit-learn load_svmlight_file": lambda: load_svmlight_file(io.BytesIO(blob))},
    ))
    return cases

