"""Small synthetic data sets, generated on the spot (nothing is downloaded).

They are what ``pygdx demo`` and ``pygdx bench`` train on, and what the examples use when
scikit-learn's bundled data sets are not installed. Every generator is seeded and returns
C-contiguous arrays, so the same call gives the same data on every machine.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_regression", "make_classification", "make_text_classification"]


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _check_sizes(n_samples: int, n_features: int) -> None:
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}")
    if int(n_features) != n_features or n_features < 1:
        raise ValueError(f"n_features must be a positive integer, got {n_features}")


def make_regression(
    n_samples: int = 1000,
    n_features: int = 10,
    noise: float = 0.1,
    *,
    bias: float = 1.0,
    dtype: type = np.float64,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear regression problem y = X @ coef + bias + noise with standard normal X.

    Returns ``(X, y, coef)``; ``coef`` is the true coefficient vector.
    """
    _check_sizes(n_samples, n_features)
    rng = _rng(random_state)
    X = rng.standard_normal((n_samples, n_features))
    coef = rng.uniform(-2.0, 2.0, n_features)
    y = X @ coef + bias + noise * rng.standard_normal(n_samples)
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(y, dtype=dtype), coef.astype(dtype)


def make_classification(
    n_samples: int = 1000,
    n_features: int = 10,
    n_classes: int = 2,
    *,
    class_sep: float = 1.5,
    dtype: type = np.float64,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one per class, around centres ``class_sep`` apart on average.

    Returns ``(X, y)`` with integer labels 0 .. n_classes - 1 in roughly equal numbers.
    """
    _check_sizes(n_samples, n_features)
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes}")
    rng = _rng(random_state)
    centres = rng.standard_normal((n_classes, n_features))
    centres *= class_sep / np.sqrt(2.0)
    y = rng.permutation(np.arange(n_samples) % n_classes)
    X = centres[y] + rng.standard_normal((n_samples, n_features))
    return np.ascontiguousarray(X, dtype=dtype), y.astype(np.int64)


def make_text_classification(
    n_samples: int = 10_000,
    n_features: int = 50_000,
    nnz_per_row: float = 30.0,
    *,
    zipf_exponent: float = 1.0,
    flip_y: float = 0.05,
    dtype: type = np.float64,
    random_state: int | np.random.Generator | None = 0,
    return_coef: bool = False,
):
    """A bag-of-words-like binary classification problem, as a SciPy CSR matrix.

    Each row is a "document" of word occurrences (1 + Poisson many), the words drawn from a
    Zipf law over the ``n_features`` columns (probability of the k-th most frequent word
    proportional to 1 / k**zipf_exponent; which column is the k-th is a random
    permutation, as with hashed features). Frequent words repeat within a row, so the mean
    number of occurrences is set, from a sample of 4,096 rows, to give about
    ``nnz_per_row`` distinct words (non-zeros) per row. Repeated words add up; the values are
    tf-idf weights (1 + log of the count, times log((1 + n) / (1 + document frequency)) + 1,
    as scikit-learn's ``TfidfTransformer(sublinear_tf=True)``) and every row is scaled to
    unit L2 norm. The label is 1 where the row's score under a standard normal ground-truth
    weight vector is above the median (so the classes are balanced), then a fraction
    ``flip_y`` of the labels is flipped at random: a linear model can reach about
    ``1 - flip_y`` accuracy, and no more.

    Returns ``(X, y)``: a ``scipy.sparse.csr_matrix`` of ``dtype`` with sorted indices
    (int32 when they fit) and int64 labels 0/1; with ``return_coef=True`` also the
    ground-truth weights. Vectorised NumPy throughout: 250,000 x 50,000 takes a few seconds.
    """
    from ._optional import require

    sp = require("scipy.sparse", "sparse", "make_text_classification")
    _check_sizes(n_samples, n_features)
    if not (np.isfinite(nnz_per_row) and nnz_per_row >= 1):
        raise ValueError(f"nnz_per_row must be a number >= 1, got {nnz_per_row}")
    if not (np.isfinite(zipf_exponent) and zipf_exponent > 0):
        raise ValueError(f"zipf_exponent must be a positive number, got {zipf_exponent}")
    if not 0.0 <= flip_y <= 0.5:
        raise ValueError(f"flip_y must be in [0, 0.5], got {flip_y}")
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    rng = _rng(random_state)
    n, d = int(n_samples), int(n_features)
    rank_weights = np.arange(1, d + 1, dtype=np.float64) ** -float(zipf_exponent)
    cdf = np.cumsum(rank_weights)
    cdf /= cdf[-1]
    word_of_rank = rng.permutation(d)

    def documents(n_rows: int, mean_words: float) -> tuple[np.ndarray, np.ndarray]:
        """One key per (row, word) in CSR order, and how often the word occurs in the row."""
        counts = 1 + rng.poisson(mean_words - 1.0, n_rows)
        ranks = np.minimum(np.searchsorted(cdf, rng.random(int(counts.sum())), side="right"), d - 1)
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), counts)
        return np.unique(rows * d + word_of_rank[ranks], return_counts=True)

    sample = 4096
    distinct_per_word = len(documents(sample, nnz_per_row)[0]) / (sample * nnz_per_row)
    keys, tf = documents(n, max(1.0, nnz_per_row / distinct_per_word))
    rows, cols = keys // d, keys % d
    df = np.bincount(cols, minlength=d)
    values = (1.0 + np.log(tf)) * (np.log((1.0 + n) / (1.0 + df[cols])) + 1.0)
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n))
    values /= norms[rows]
    coef = rng.standard_normal(d)
    score = np.bincount(rows, weights=values * coef[cols], minlength=n)
    y = (score > np.median(score)).astype(np.int64)
    flip = rng.random(n) < flip_y
    y[flip] = 1 - y[flip]
    index_dtype = np.int32 if max(d, len(keys)) <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    X = sp.csr_matrix((values.astype(dtype), cols.astype(index_dtype), indptr), shape=(n, d), copy=False)
    return (X, y, coef.astype(dtype)) if return_coef else (X, y)
