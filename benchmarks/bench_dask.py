"""Gradient steps per second over a row-chunked Dask array against the same data in memory,
and how the Dask runs scale with worker processes on this machine.

Two problems: ``regression`` (squared error, 50 features: one cheap pass over X per step)
and ``softmax10`` (10-class multinomial log_loss, 50 features: ten times the arithmetic per
row, so the work per chunk rather than Dask's per-task overhead dominates). Groups are
"<mode>-<problem>-n=<rows>"; full-batch benchmarks run ``STEPS`` steps (one fit with
``batch_size=None, max_iter=STEPS``), mini-batch ones one epoch. Implementations:

- ``memory-fit``: ``fit`` on the NumPy array (the C++ epoch loop, 1 thread);
- ``memory-kernel-<k>t``: the same steps written out, ``_core.linear_loss_grad`` on all of X
  with k threads then ``optimizer.step``;
- ``dask-threads``: ``pygdx.dask.fit`` on ``da.from_array(X)`` with the default threaded
  scheduler (one thread per chunk task, every core);
- ``distributed-<w>w``: ``pygdx.dask.fit`` through a LocalCluster of w worker processes x 1
  thread, X persisted on the workers.

With ``--benchmark-disable`` (CI) every case runs once, on the small size only unless
PYGDX_BENCH_DASK_LARGE=1.

    PYGDX_BENCH_DASK_LARGE=1 pytest benchmarks/bench_dask.py --benchmark-enable --benchmark-group-by=group \\
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
N_CLASSES = 10
N_CHUNKS = 8
STEPS = 10
MINI_BATCH = 256
SIZES = [20_000] + ([500_000] if os.environ.get("PYGDX_BENCH_DASK_LARGE") else [])
PROBLEMS = ["regression", "softmax10"]
WORKERS = [1, 2]
ROUNDS = 5


def dask_data(problem, n_rows):
    """X and y as Dask arrays of N_CHUNKS row chunks, generated where they are computed (a
    cluster's workers make their own chunks: no data travels in the task graph)."""
    rows = -(-n_rows // N_CHUNKS)
    rng = da.random.default_rng(0)
    X = rng.normal(size=(n_rows, N_FEATURES), chunks=(rows, N_FEATURES))
    noise = rng.normal(size=n_rows, chunks=rows)
    if problem == "regression":
        return X, X @ da.linspace(-1.0, 1.0, N_FEATURES) + 0.1 * noise
    weights = np.random.default_rng(1).normal(size=(N_FEATURES, N_CLASSES))
    return X, (X @ weights + noise[:, None]).argmax(axis=1).astype(np.float64)


def estimator(problem, batch_size):
    # No shuffling in full batch: the gradient does not depend on the row order, and
    # gathering rows in a random order would only slow the in-memory fit down.
    params = dict(optimizer="adam", lr=0.01, batch_size=batch_size, tol=None, random_state=0,
                  max_iter=STEPS if batch_size is None else 1, shuffle=batch_size is not None)
    if problem == "regression":
        return pygdx.GDRegressor(**params)
    return pygdx.GDClassifier(loss="log_loss", **params)


@pytest.fixture(scope="module", params=[(p, n) for n in SIZES for p in PROBLEMS], ids=lambda pn: f"{pn[0]}-n={pn[1]}")
def data(request):
    problem, n_rows = request.param
    return (problem, *dask.compute(*dask_data(problem, n_rows), scheduler="threads"))


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


def run(benchmark, fn, mode, problem, impl, n_rows):
    benchmark.group = f"{mode}-{problem}-n={n_rows}"
    steps = STEPS if mode == "full-batch" else -(-n_rows // MINI_BATCH)
    benchmark.extra_info.update(mode=mode, problem=problem, impl=impl, rows=n_rows, features=N_FEATURES,
                                chunks=N_CHUNKS, steps=steps)
    return benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)


def persisted(client, problem, n_rows):
    X, y = client.persist(list(dask_data(problem, n_rows)))
    distributed.wait([X, y])
    return X, y


# --- full batch ---------------------------------------------------------------------------------

def test_memory_fit(benchmark, data):
    problem, X, y = data
    est = run(benchmark, lambda: estimator(problem, None).fit(X, y), "full-batch", problem, "memory-fit", len(y))
    assert est.t_ == STEPS


@pytest.mark.parametrize("threads", sorted({1, os.cpu_count() or 1}))
def test_memory_kernel(benchmark, data, threads):
    problem, X, y = data
    reference = estimator(problem, None).fit(X, y)
    core_problem = reference._problem()

    def steps():
        theta = np.zeros_like(reference._theta)
        opt = pygdx.optim.Adam(theta, lr=0.01)
        for _ in range(STEPS):
            # Labels 0..K-1 are their own class indices, the targets the multinomial kernel reads.
            _, grad = _core.linear_loss_grad(core_problem, X, y, None, theta, None, threads)
            opt.step(grad)
        return theta

    theta = run(benchmark, steps, "full-batch", problem, f"memory-kernel-{threads}t", len(y))
    np.testing.assert_allclose(theta, reference._theta, rtol=1e-8, atol=1e-12)


def test_dask_threads(benchmark, data):
    problem, X, y = data
    rows = -(-len(y) // N_CHUNKS)
    Xd, yd = da.from_array(X, chunks=(rows, N_FEATURES)), da.from_array(y, chunks=rows)
    with dask.config.set(scheduler="threads"):
        est = run(benchmark, lambda: pygdx_dask.fit(estimator(problem, None), Xd, yd), "full-batch", problem,
                  "dask-threads", len(y))
    np.testing.assert_allclose(est._theta, estimator(problem, None).fit(X, y)._theta, rtol=1e-8, atol=1e-12)


def test_distributed(benchmark, data, cluster_client):
    problem, X, y = data
    n_workers, client = cluster_client
    Xd, yd = persisted(client, problem, len(y))
    with dask.config.set(scheduler=client):
        est = run(benchmark, lambda: pygdx_dask.fit(estimator(problem, None), Xd, yd), "full-batch", problem,
                  f"distributed-{n_workers}w", len(y))
    np.testing.assert_allclose(est._theta, estimator(problem, None).fit(X, y)._theta, rtol=1e-8, atol=1e-12)


# --- one mini-batch epoch -------------------------------------------------------------------------

def test_mini_batch_memory(benchmark, data):
    problem, X, y = data
    run(benchmark, lambda: estimator(problem, MINI_BATCH).fit(X, y), "mini-batch-epoch", problem, "memory-fit",
        len(y))


def test_mini_batch_distributed(benchmark, data, cluster_client):
    problem, X, y = data
    n_workers, client = cluster_client
    Xd, yd = persisted(client, problem, len(y))
    with dask.config.set(scheduler=client):
        run(benchmark, lambda: pygdx_dask.fit(estimator(problem, MINI_BATCH), Xd, yd), "mini-batch-epoch", problem,
            f"distributed-{n_workers}w", len(y))
