"""The fixed cost of one epoch on small data (issue 10): a whole fit divided by its epochs.

Groups (compare the implementations within one):

- ``small-16x3-<optimizer>-bs<k>``: every optimizer, batch sizes full (None), 16 and 1, on
  16 x 3 data, ``max_iter=20000, tol=None``: ``pygdx`` is ``GDRegressor.fit``;
  ``scikit-learn`` is ``SGDRegressor.fit`` with as many epochs (per-sample SGD, constant
  rate: the only epoch it has, the same in every group); ``numpy`` is the hand-written loop
  of the same update, :func:`pygdx.bench.numpy_linear_fit`, run for fewer epochs (a NumPy
  epoch costs far more; only the time per epoch is compared);
- ``small-300x10-<optimizer>-bs<k>``: a tutorial's scale, a few hundred rows and
  thousands of epochs, SGD and Adam.

The time per epoch is ``stats.min / extra_info["epochs"]``; ``ratios_floor.py`` prints it.
scikit-learn's epoch is timed inside each pygdx case, between its rounds (untimed setup of
the next round: ABAB...), and the minimum over the rounds is recorded as
``extra_info["paired_scikit-learn"]``: on a shared machine two separately timed cases can
see different loads (one run measured the same scikit-learn fit at 477 ns and 2.46 us per
epoch), while interleaved rounds see the same one, so their ratio can be trusted.
With ``--benchmark-disable`` (the test suite) every fit runs a few epochs once and the
full-batch fits are checked against the NumPy loop (the same update, to 1e-12).

    pytest benchmarks/bench_small.py --benchmark-enable --benchmark-json=small.json
    python benchmarks/ratios_floor.py small.json
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import pygdx
from pygdx.bench import SMALL_DATA_OPTIMIZERS, numpy_linear_fit

LR = 0.01


@pytest.fixture(scope="module")
def epochs(issue_sizes):
    """Epochs per fit: (pygdx and scikit-learn, numpy) for (16 x 3, 300 x 10)."""
    if issue_sizes:
        return {"16x3": (20_000, 200), "300x10": (2_000, 20)}
    return {"16x3": (20, 3), "300x10": (5, 2)}


def make_data(n, d):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)


DATA = {"16x3": make_data(16, 3), "300x10": make_data(300, 10)}
CASES = [("16x3", optimizer, batch) for optimizer in SMALL_DATA_OPTIMIZERS for batch in (None, 16, 1)]
CASES += [("300x10", optimizer, batch) for optimizer in ("sgd", "adam") for batch in (None, 32, 1)]


def mean_squared_error(X, y, w, b):
    return float(np.mean((X @ w + b - y) ** 2))


def paired_scikit_learn(X, y, n_epochs):
    """An untimed setup for pedantic that fits scikit-learn's SGDRegressor once before each
    pygdx round and keeps its own times: (setup, times in seconds)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    sk = linear_model.SGDRegressor(learning_rate="constant", eta0=LR, penalty=None, max_iter=n_epochs, tol=None,
                                   random_state=0)
    times = []

    def setup():
        start = time.perf_counter()
        sk.fit(X, y)
        times.append(time.perf_counter() - start)
        assert sk.n_iter_ == n_epochs and np.all(np.isfinite(sk.coef_))

    return setup, times


@pytest.mark.parametrize("impl", ["pygdx", "numpy"])
@pytest.mark.parametrize(("data", "optimizer", "batch"), CASES)
def test_small_fit_epoch(benchmark, issue_sizes, epochs, data, optimizer, batch, impl):
    X, y = DATA[data]
    ours_epochs, numpy_epochs = epochs[data]
    n_epochs = numpy_epochs if impl == "numpy" else ours_epochs
    benchmark.group = f"small-{data}-{optimizer}-bs{batch or 'full'}"
    benchmark.extra_info.update(case="small", data=data, impl=impl, optimizer=optimizer, batch_size=batch,
                                epochs=n_epochs)
    if impl == "pygdx":
        # the minimum of many interleaved rounds: a fit lasts milliseconds, a burst of load longer
        rounds = 15 if issue_sizes else 1
        setup, sk_times = paired_scikit_learn(X, y, n_epochs)
        est = pygdx.GDRegressor(optimizer=optimizer, lr=LR, batch_size=batch, max_iter=n_epochs, tol=None,
                                penalty=None, random_state=0)
        benchmark.pedantic(lambda: est.fit(X, y), setup=setup, rounds=rounds, iterations=1)
        assert est.n_iter_ == n_epochs and len(sk_times) == rounds
        benchmark.extra_info["paired_scikit-learn"] = min(sk_times)
        w, b = est.coef_, est.intercept_
    else:
        rounds = 3 if issue_sizes else 1
        w, b = benchmark.pedantic(lambda: numpy_linear_fit(X, y, optimizer, LR, batch, n_epochs), rounds=rounds,
                                  iterations=1)
    benchmark.extra_info["final_mse"] = mean_squared_error(X, y, w, b)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(b))


@pytest.mark.parametrize("optimizer", SMALL_DATA_OPTIMIZERS)
def test_numpy_loop_is_the_same_update(optimizer):
    """The NumPy baseline makes pygdx's update: a full-batch fit lands on the same weights."""
    X, y = DATA["16x3"]
    est = pygdx.GDRegressor(optimizer=optimizer, lr=LR, batch_size=None, max_iter=30, tol=None, penalty=None,
                            random_state=0).fit(X, y)
    w, b = numpy_linear_fit(X, y, optimizer, LR, None, 30)
    np.testing.assert_allclose(est.coef_, w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.intercept_, b, rtol=1e-12, atol=1e-14)
