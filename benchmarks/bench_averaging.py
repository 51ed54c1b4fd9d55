"""The cost of averaged SGD (``average=``, issue 13): a fit with the mean of the weights
against the same fit without it, at batch sizes 1 and 32, with plain SGD and Adam, beside
scikit-learn's SGDRegressor(average=True) for plain SGD at batch size 1; and on sparse
text-like rows (CSR, 2**18 columns, ~30 non-zeros a row), where the average is kept lazily
(core/lazy_average.hpp): a step costs O(row non-zeros) with averaging as without it, so
averaged / plain stays near 1 (a fold over every weight per step would make it ~100x).

Groups ``averaging-<optimizer>-bs<k>`` hold the implementations ``plain`` (average=False),
``averaged`` (average=True) and, for SGD at bs1, ``scikit-learn``; ``ratios_averaging.py``
prints averaged / plain per group (1.0x: averaging costs nothing).

    pytest benchmarks/bench_averaging.py --benchmark-enable --benchmark-json=averaging.json
    python benchmarks/ratios_averaging.py averaging.json

With ``--benchmark-disable`` (the test suite) each fit runs one small epoch, and the plain
weights of the averaged fit are checked to be the plain fit's.
"""

from __future__ import annotations

import numpy as np
import pytest

import pygdx


@pytest.fixture(scope="module")
def data(issue_sizes):
    n, d = (20_000, 100) if issue_sizes else (200, 10)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)


# scikit-learn averages plain SGD at batch size 1 only
CASES = [(optimizer, batch, impl) for optimizer in ("sgd", "adam") for batch in (1, 32)
         for impl in ("plain", "averaged", "scikit-learn") if impl != "scikit-learn" or (optimizer, batch) == ("sgd", 1)]


@pytest.mark.parametrize(("optimizer", "batch", "impl"), CASES)
def test_averaging_epoch(benchmark, issue_sizes, data, optimizer, batch, impl):
    X, y = data
    epochs = 5 if issue_sizes else 1
    benchmark.group = f"averaging-{optimizer}-bs{batch}"
    benchmark.extra_info.update(case="averaging", impl=impl, optimizer=optimizer, batch_size=batch, epochs=epochs)
    rounds = 5 if issue_sizes else 1
    if impl == "scikit-learn":
        linear_model = pytest.importorskip("sklearn.linear_model")
        sk = linear_model.SGDRegressor(learning_rate="constant", eta0=0.001, average=True, max_iter=epochs,
                                       tol=None, random_state=0)
        benchmark.pedantic(lambda: sk.fit(X, y), rounds=rounds, iterations=1)
        return
    est = pygdx.GDRegressor(optimizer=optimizer, lr=0.001, batch_size=batch, max_iter=epochs, tol=None,
                            average=impl == "averaged", random_state=0)
    benchmark.pedantic(lambda: est.fit(X, y), rounds=rounds, iterations=1)
    assert est.n_iter_ == epochs
    if impl == "averaged":
        plain = pygdx.GDRegressor(optimizer=optimizer, lr=0.001, batch_size=batch, max_iter=epochs, tol=None,
                                  random_state=0).fit(X, y)
        np.testing.assert_array_equal(est._theta, plain._theta)


@pytest.fixture(scope="module")
def text_rows(issue_sizes):
    sparse = pytest.importorskip("scipy.sparse")
    n, d = (20_000, 2**18) if issue_sizes else (200, 1_000)
    rng = np.random.default_rng(0)
    X = sparse.csr_matrix((rng.standard_normal(30 * n), rng.integers(0, d, size=30 * n), np.arange(0, 30 * n + 1, 30)),
                          shape=(n, d))
    return X, np.asarray(X @ np.random.default_rng(0).standard_normal(d)).ravel()


@pytest.mark.parametrize("impl", ["plain", "averaged", "scikit-learn"])
def test_sparse_averaging_epoch(benchmark, issue_sizes, text_rows, impl):
    X, y = text_rows
    epochs = 5 if issue_sizes else 1
    benchmark.group = "averaging-sparse-sgd-bs1"
    benchmark.extra_info.update(case="averaging", impl=impl, optimizer="sgd", batch_size=1, epochs=epochs)
    rounds = 5 if issue_sizes else 1
    if impl == "scikit-learn":
        linear_model = pytest.importorskip("sklearn.linear_model")
        sk = linear_model.SGDRegressor(learning_rate="constant", eta0=0.01, alpha=1e-4, average=True,
                                       max_iter=epochs, tol=None, random_state=0)
        benchmark.pedantic(lambda: sk.fit(X, y), rounds=rounds, iterations=1)
        return
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.01, alpha=1e-4, batch_size=1, max_iter=epochs, tol=None,
                            average=impl == "averaged", random_state=0)
    benchmark.pedantic(lambda: est.fit(X, y), rounds=rounds, iterations=1)
    if impl == "averaged":
        plain = pygdx.GDRegressor(optimizer="sgd", lr=0.01, alpha=1e-4, batch_size=1, max_iter=epochs, tol=None,
                                  random_state=0).fit(X, y)
        np.testing.assert_allclose(est._theta, plain._theta, rtol=1e-9, atol=1e-12)
