"""n_jobs's default (issue 15): every usable core where that pays, with the bits of one thread."""

import os

import numpy as np
import pytest

import pygdx
from pygdx import _validation
from pygdx._validation import n_threads


def test_the_default_asks_the_core_for_every_core_and_1_for_one_thread(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert n_threads(None) == 0
    assert n_threads(-1) == 0
    assert n_threads(1) == 1
    assert n_threads(2) == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size, optimizer", [(128, "sgd"), (256, "adam"), (None, "sgd")])
def test_a_default_fit_gives_the_bits_of_one_thread(dtype, batch_size, optimizer):
    # 100 features: batches of 128 and 256 rows take the team of threads, and a full batch of
    # 3,000 rows is threaded by rows (RowPass): the paths the default now threads.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3_000, 100)).astype(dtype)
    y = (X @ rng.standard_normal(100) + 0.1 * rng.standard_normal(3_000)).astype(dtype)
    fits = {}
    # 4 is above this machine's cores on small CI runners: the row-threaded paths still cut
    # the work in 4 (they are not capped), so the bits are compared across another split.
    for n_jobs in (None, 1, 2, 4):
        est = pygdx.GDRegressor(optimizer=optimizer, lr=1e-2, batch_size=batch_size, max_iter=3, tol=None,
                                random_state=0, n_jobs=n_jobs)
        fits[n_jobs] = est.fit(X, y)
    for n_jobs in (None, 2, 4):
        assert fits[n_jobs].coef_.tobytes() == fits[1].coef_.tobytes()
        assert fits[n_jobs].intercept_.tobytes() == fits[1].intercept_.tobytes()
        assert fits[n_jobs].loss_curve_ == fits[1].loss_curve_


@pytest.mark.parametrize("value, expected", [("1", 1), ("2", 2), (" 1 ", 1), ("1,2", 1)])
def test_the_default_follows_an_outer_runners_thread_limit(monkeypatch, value, expected):
    # joblib's workers (GridSearchCV(n_jobs=...)) get OMP_NUM_THREADS = cores / jobs.
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    monkeypatch.setattr(_validation, "usable_cpus", lambda: 8)
    assert n_threads(None) == expected
    assert n_threads(-1) == 0  # an explicit n_jobs is the user's word
    assert n_threads(3) == 3


@pytest.mark.parametrize("value", ["", "0", "-3", "many", "8", "64"])
def test_a_missing_nonsense_or_larger_limit_leaves_every_core(monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    monkeypatch.setattr(_validation, "usable_cpus", lambda: 8)
    assert n_threads(None) == 0


def test_all_but_one_counts_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr(_validation, "usable_cpus", lambda: 3)
    assert n_threads(-2) == 2
    assert n_threads(-3) == 1
    assert n_threads(-10) == 1


def test_usable_cpus_is_the_affinity_mask():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no affinity mask on this system")
    assert _validation.usable_cpus() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n_jobs, expected", [(None, 1), (2, 2)])
def test_dask_chunk_tasks_take_one_thread_by_default(monkeypatch, n_jobs, expected):
    # Dask runs chunk tasks side by side: a task per worker thread, each with every core,
    # would start cores x cores threads.
    da = pytest.importorskip("dask.array")
    import pygdx.dask
    from pygdx import outofcore

    seen = []
    real_init = outofcore.ChunkModel.__init__

    def spy(self, plan, *args, **kwargs):
        seen.append(plan.n_threads)
        real_init(self, plan, *args, **kwargs)

    monkeypatch.setattr(outofcore.ChunkModel, "__init__", spy)
    rng = np.random.default_rng(0)
    X = da.from_array(rng.standard_normal((200, 3)), chunks=(100, 3))
    y = X @ da.from_array(np.array([1.0, 2.0, 3.0]))
    reg = pygdx.GDRegressor(optimizer="gd", lr=0.1, batch_size=None, max_iter=2, tol=None, n_jobs=n_jobs)
    pygdx.dask.fit(reg, X, y)
    assert seen and set(seen) == {expected}
