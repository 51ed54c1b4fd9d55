"""Small synthetic data sets, generated on the spot (nothing is downloaded).

They are what ``pygdx demo`` and ``pygdx bench`` train on, and what the examples use when
scikit-learn's bundled data sets are not installed. Every generator is seeded and returns
C-contiguous arrays, so the same call gives the same data on every machine.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_regression", "make_classification"]


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
