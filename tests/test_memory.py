"""No copy of the data: fitting on C-contiguous float data allocates less than 10% of X's
size (tracemalloc sees NumPy's allocations)."""

import tracemalloc

import numpy as np
import pytest

import pygdx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, batch_size", [(pygdx.GDRegressor, 32), (pygdx.GDRegressor, None),
                                             (pygdx.GDClassifier, 1)])
def test_fit_allocates_less_than_a_tenth_of_X(dtype, cls, batch_size):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 100)).astype(dtype)
    if cls is pygdx.GDClassifier:
        y = (X[:, 0] > 0).astype(dtype)
    else:
        y = (X @ rng.normal(size=100)).astype(dtype)
    est = cls(batch_size=batch_size, max_iter=2, tol=None, random_state=0)
    # A small fit first, so that one-off costs (lazy imports, caches) are not counted.
    cls(max_iter=1, tol=None).fit(X[:50], y[:50])
    tracemalloc.start()
    try:
        est.fit(X, y)
        est.predict(X[:10])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * X.nbytes, f"fit allocated {peak} bytes, X has {X.nbytes}"


def test_the_measurement_sees_a_copy():
    X = np.ones((20_000, 100))
    tracemalloc.start()
    try:
        X.copy()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak >= X.nbytes
