"""Gradient steps per second over a row-chunked Dask array against the same data in memory,
and how the Dask runs scale with worker processes on this machine.

Groups are "<mode>-n=<rows>"; every benchmark runs ``STEPS`` full-batch steps (one fit with
``batch_size=None, max_iter=STEPS``) or one mini-batch epoch, so steps per second are
STEPS / time. Implementations:

- ``memory-fit``: ``GDRegressor.fit`` on the NumPy array (the C++ epoch loop, 1 thread);
- ``memory-kernel-<k>t``: the same steps written out, ``_core.linear_loss_grad`` on all of X
  with k threads then ``optimizer.step``: the floor an in-memory step can reach;
- ``dask-threads``: ``pygdx.dask.fit`` on ``da.from_array(X)`` with the default threaded
  scheduler (one thread per chunk task, every core);
- ``distributed-<w>w``: ``pygdx.dask.fit`` through a LocalCluster of w worker processes x 1
  thread, X persisted on the workers.

With ``--benchmark-disable`` (CI) every case runs once, on the small size only unless
PYGDX_BENCH_DASK_LARGE=1.

    PYGDX_BENCH_DASK_LARGE=1 pytest benchmarks/bench_dask.py --benchmark-group-by=group \
        --benchmark-columns=min,median,rounds --benchmark-json=dask.json
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import pygdx
from pygdx import _core

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pygdx_dask = pytest.importorskip("pygdx.dask")

N_FEATURES = 50
N_CHUNKS = 8
STEPS = 10
MINI_BATCH = 256
SIZES = [20_000] + ([500_000] if os.environ.get("PYGDX_BENCH_DASK_LARGE") else [])
WORKERS = [1, 2]
ROUNDS = 5


def dask_data(n_rows):
    """X and y as Dask arrays of N_CHUNKS row chunks, generated where they are computed (a
    cluster's workers make their own chunks: no data travels in the task graph)."""
    rows = -(-n_rows // N_CHUNKS)
    rng = da.random.default_rng(0)
    X = rng.normal(size=(n_rows, N_FEATURES), chunks=(rows, N_FEATURES))
    y = X @ da.linspace(-1.0, 1.0, N_FEATURES) + 0.1 * rng.normal(size=n_rows, chunks=rows)
    return X, y


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n}")
def data(request):
    return dask.compute(*dask_data(request.param), scheduler="threads")


@pytest.fixture(scope="module", params=WORKERS, ids=lambda w: f"{w}w")
def cluster_client(request):
    cluster = distributed.LocalCluster(n_workers=request.param, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1",
                                       scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    client = distributed.Client(cluster)  # the default scheduler until closed
    try:
        yield request.param, client
    finally:
        client.close()
        cluster.close()


def full_batch():
    # No shuffling: a full-batch gradient does not depend on the row order, and gathering rows
    # in a random order only slows the in-memory fit down.
    return pygdx.GDRegressor(optimizer="adam", lr=0.01, batch_size=None, max_iter=STEPS, tol=None, shuffle=False)


def mini_batch():
    return pygdx.GDRegressor(optimizer="adam", lr=0.01, batch_size=MINI_BATCH, max_iter=1, tol=None,
                             random_state=0)


def run(benchmark, fn, group, impl, n_rows, steps):
    benchmark.group = f"{group}-n={n_rows}"
    benchmark.extra_info.update(impl=impl, rows=n_rows, features=N_FEATURES, chunks=N_CHUNKS, steps=steps)
    return benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)


def chunked(X, y):
    rows = -(-X.shape[0] // N_CHUNKS)
    return da.from_array(X, chunks=(rows, N_FEATURES)), da.from_array(y, chunks=rows)


def persisted(client, n_rows):
    Xd, yd = client.persist(list(dask_data(n_rows)))
    distributed.wait([Xd, yd])
    return Xd, yd


# --- full batch ---------------------------------------------------------------------------------

def test_memory_fit(benchmark, data):
    X, y = data
    est = run(benchmark, lambda: full_batch().fit(X, y), "full-batch", "memory-fit", len(y), STEPS)
    assert est.t_ == STEPS


@pytest.mark.parametrize("threads", sorted({1, os.cpu_count() or 1}))
def test_memory_kernel(benchmark, data, threads):
    X, y = data
    problem = full_batch().fit(X[:10], y[:10])._problem()

    def steps():
        theta = np.zeros(N_FEATURES + 1)
        opt = pygdx.optim.Adam(theta, lr=0.01)
        for _ in range(STEPS):
            _, grad = _core.linear_loss_grad(problem, X, y, None, theta, None, threads)
            opt.step(grad)
        return theta

    theta = run(benchmark, steps, "full-batch", f"memory-kernel-{threads}t", len(y), STEPS)
    np.testing.assert_allclose(theta, full_batch().fit(X, y)._theta, rtol=1e-9)


def test_dask_threads(benchmark, data):
    X, y = data
    Xd, yd = chunked(X, y)
    with dask.config.set(scheduler="threads"):
        est = run(benchmark, lambda: pygdx_dask.fit(full_batch(), Xd, yd), "full-batch", "dask-threads", len(y),
                  STEPS)
    np.testing.assert_allclose(est.coef_, full_batch().fit(X, y).coef_, rtol=1e-9)


def test_distributed(benchmark, data, cluster_client):
    X, y = data
    n_workers, client = cluster_client
    Xd, yd = persisted(client, len(y))
    with dask.config.set(scheduler=client):
        est = run(benchmark, lambda: pygdx_dask.fit(full_batch(), Xd, yd), "full-batch",
                  f"distributed-{n_workers}w", len(y), STEPS)
    np.testing.assert_allclose(est.coef_, full_batch().fit(X, y).coef_, rtol=1e-9)


# --- one mini-batch epoch -------------------------------------------------------------------------

def test_mini_batch_memory(benchmark, data):
    X, y = data
    run(benchmark, lambda: mini_batch().fit(X, y), "mini-batch-epoch", "memory-fit", len(y), -(-len(y) // MINI_BATCH))


def test_mini_batch_distributed(benchmark, data, cluster_client):
    X, y = data
    n_workers, client = cluster_client
    Xd, yd = persisted(client, len(y))
    with dask.config.set(scheduler=client):
        run(benchmark, lambda: pygdx_dask.fit(mini_batch(), Xd, yd), "mini-batch-epoch",
            f"distributed-{n_workers}w", len(y), -(-len(y) // MINI_BATCH))
