"""Epochs whose rows are gathered ahead into a ring (core/rows_gathered_ahead.hpp) on data
larger than the caches, with more than one thread: stochastic (batch-1) epochs, and batches
of up to 128 rows of the team_parts path (core/gathered_batches_epoch.hpp; larger ones stay
with the team). The steps read copies of the same rows in the same order, chunk by chunk, so
a fit gives the same bits as on one thread: weights, optimizer state, step count and the
loss sum. tests/cpp/test_gather_ring.cpp checks the ring itself on small data."""

import os

import numpy as np
import pytest

import pygdx
from pygdx import _core

from test_linear_core import make_problem, run_epoch

D = 100


def rows_past_the_threshold(dtype):
    """The fewest rows of D features whose epoch is gathered ahead, plus a part chunk."""
    item = np.dtype(dtype).itemsize
    n = (32 << 20) // (D * item) + 17
    assert _core.gathers_rows_ahead(n, D, item, 2)
    assert _core.gathers_rows_ahead(n, D, item, 0) == (len(os.sched_getaffinity(0)) > 1)  # 0: every usable core
    assert not _core.gathers_rows_ahead(n, D, item, 1)
    assert not _core.gathers_rows_ahead(n - 18, D, item, 2)
    return n


def test_which_epochs_gather_rows_ahead():
    assert not _core.gathers_rows_ahead(10**9, 0, 8, 2)  # no features
    assert not _core.gathers_rows_ahead(10**9, 4096, 8, 2)  # rows of 32 KiB stream by themselves
    assert _core.gathers_rows_ahead(10**9, 2048, 8, 2)
    assert not _core.gathers_rows_ahead(10**9, 3, 8, 1)  # one thread means one thread
    assert _core.gathers_rows_ahead(10**9, 3, 8, 2)


@pytest.fixture(scope="module")
def big_data():
    """Rows of both dtypes just past the threshold (about 32 MiB each), sample weights and
    targets of both kinds; built once for the module."""
    out = {}
    for dtype in (np.float64, np.float32):
        n = rows_past_the_threshold(dtype)
        rng = np.random.default_rng(1)
        X = rng.normal(size=(n, D)).astype(dtype)
        w = rng.normal(size=D) / np.sqrt(D)
        out[dtype] = (X, (X @ w + 0.1 * rng.normal(size=n)).astype(dtype), rng.uniform(0.5, 2.0, size=n).astype(dtype))
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer, kwargs, penalty", [("sgd", {"lr": 1e-3}, "l2"), ("adam", {"lr": 1e-3}, "l2"),
                                                        ("sgd", {"lr": 1e-3, "momentum": 0.9}, None)])
def test_an_epoch_gathered_ahead_equals_the_one_thread_epoch(big_data, dtype, optimizer, kwargs, penalty):
    X, y, sw = big_data[dtype]
    n = len(y)
    pb = make_problem("huber", penalty, alpha=1e-4, n_features=D)
    order = np.random.default_rng(2).permutation(n).astype(np.int64)
    theta0 = np.zeros(D + 1, dtype=dtype)
    one, two = (run_epoch(pb, X, y, sw, order, 1, optimizer, kwargs, theta0, threads) for threads in (1, 2))
    np.testing.assert_array_equal(two[0], one[0])  # weights
    for a, b in zip(two[1], one[1]):  # optimizer state
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(two[2], one[2])  # counters
    assert two[3] == one[3] and two[4] == one[4] == n and two[5] and one[5]  # loss sum, steps


def test_a_nan_row_stops_the_gathered_epoch_where_the_one_thread_epoch_stops(big_data):
    X, y, sw = big_data[np.float64]
    X = X.copy()
    n = len(y)
    order = np.random.default_rng(3).permutation(n).astype(np.int64)
    stop_at = 32 * 1000 + 5  # inside a chunk, well past the ring's first round
    X[order[stop_at], 11] = np.nan
    pb = make_problem("squared_error", "l2", alpha=1e-4, n_features=D)
    runs = [run_epoch(pb, X, y, None, order, 1, "adam", {"lr": 1e-3}, np.zeros(D + 1), t) for t in (1, 2)]
    for theta, _, _, _, steps, finite in runs:
        assert not finite and steps == stop_at
        assert np.isfinite(theta).all()
    np.testing.assert_array_equal(runs[1][0], runs[0][0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_estimator_fits_with_rows_gathered_ahead_do_not_depend_on_n_jobs(big_data, dtype):
    X, y, sw = big_data[dtype]
    labels = (y > np.median(y)).astype(int)
    fits = {}
    for n_jobs in (1, 2):
        fits[n_jobs] = (
            pygdx.GDRegressor(optimizer="sgd", lr=1e-3, batch_size=1, max_iter=2, tol=None, penalty="l2",
                              alpha=1e-4, random_state=0, n_jobs=n_jobs).fit(X, y, sample_weight=sw),
            pygdx.GDClassifier(optimizer="adam", lr=1e-3, batch_size=1, max_iter=2, tol=None, random_state=0,
                               n_jobs=n_jobs).fit(X, labels),
        )
    for one, two in zip(fits[1], fits[2]):
        np.testing.assert_array_equal(two.coef_, one.coef_)
        np.testing.assert_array_equal(two.intercept_, one.intercept_)
        assert two.loss_curve_ == one.loss_curve_
        assert one.coef_.dtype == dtype



# Batches of the team_parts path: 32, 64 and 128 rows are stepped from the ring on 2 threads
# (on 1, the team's one-member epoch reads them in place), 256 rows take the team on 2.
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size, optimizer, kwargs", [(32, "adam", {"lr": 1e-3}), (64, "sgd", {"lr": 1e-3}),
                                                           (128, "adam", {"lr": 1e-3}), (256, "sgd", {"lr": 1e-3})])
def test_a_mini_batch_epoch_gathered_ahead_equals_the_one_thread_epoch(big_data, dtype, batch_size, optimizer,
                                                                        kwargs):
    X, y, sw = big_data[dtype]
    n = len(y)
    pb = make_problem("huber", "l2", alpha=1e-4, n_features=D)
    hyper = pygdx.optim.get(optimizer, [np.zeros(D + 1, dtype=dtype)], **kwargs).core_buffers()[0]
    assert _core.linear_epoch_path(pb, batch_size, hyper) == "team_parts"
    order = np.random.default_rng(4).permutation(n).astype(np.int64)
    theta0 = np.zeros(D + 1, dtype=dtype)
    one, two = (run_epoch(pb, X, y, sw, order, batch_size, optimizer, kwargs, theta0, threads) for threads in (1, 2))
    np.testing.assert_array_equal(two[0], one[0])  # weights
    for a, b in zip(two[1], one[1]):  # optimizer state
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(two[2], one[2])  # counters
    assert two[3] == one[3] and two[4] == one[4] == -(-n // batch_size) and two[5] and one[5]  # loss, steps


def test_a_nan_row_stops_the_gathered_mini_batch_epoch_where_the_one_thread_epoch_stops(big_data):
    X, y, sw = big_data[np.float32]
    X = X.copy()
    n = len(y)
    order = np.random.default_rng(5).permutation(n).astype(np.int64)
    X[order[32 * 700 + 9], 3] = np.nan  # batch 700, well past the ring's first round
    pb = make_problem("squared_error", "l2", alpha=1e-4, n_features=D)
    runs = [run_epoch(pb, X, y, sw, order, 32, "adam", {"lr": 1e-3}, np.zeros(D + 1, dtype=np.float32), t)
            for t in (1, 2)]
    for theta, _, _, _, steps, finite in runs:
        assert not finite and steps == 700
        assert np.isfinite(theta).all()
    np.testing.assert_array_equal(runs[1][0], runs[0][0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_estimator_mini_batch_fits_with_rows_gathered_ahead_do_not_depend_on_n_jobs(big_data, dtype):
    X, y, sw = big_data[dtype]
    labels = (y > np.median(y)).astype(int)
    fits = {}
    for n_jobs in (1, 2):
        fits[n_jobs] = (
            pygdx.GDRegressor(optimizer="adam", lr=1e-3, batch_size=32, max_iter=2, tol=None, penalty="l2",
                              alpha=1e-4, random_state=0, n_jobs=n_jobs).fit(X, y, sample_weight=sw),
            pygdx.GDClassifier(optimizer="sgd", lr=1e-3, batch_size=64, max_iter=2, tol=None, penalty="l2",
                               random_state=0, n_jobs=n_jobs).fit(X, labels),
        )
    for one, two in zip(fits[1], fits[2]):
        np.testing.assert_array_equal(two.coef_, one.coef_)
        np.testing.assert_array_equal(two.intercept_, one.intercept_)
        assert two.loss_curve_ == one.loss_curve_
        assert one.coef_.dtype == dtype


# A helper that is late with a chunk (off its core: a neighbour process holds the other one)
# must not hold up the stepping thread: it reads that chunk in place, and the chunks it finds
# unclaimed with no room in the ring (core/chunk_claims.hpp). Provoked with the test hook
# _core.stall_gathering_helper: the helper stalls at its first chunk past `stall_from` until the
# stepping thread has read `stall_until` chunks in place (1: late once; a million: to the end,
# and past 256 chunks read in place the stepping thread sends the helper away and goes on alone).
STALLS = [(40, 1), (40, 10**6)]


def with_stalled_helper(stall_from, stall_until, run):
    """run()'s result, and (chunks read late, chunks claimed in place, epochs gone alone) while the
    helper stalled."""
    _core.stall_gathering_helper(stall_from, stall_until)
    try:
        result = run()
    finally:
        counts = _core.stall_gathering_helper(None)
    return result, counts


@pytest.mark.parametrize("stall", STALLS, ids=["late-once", "late-to-the-end"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size, optimizer", [(1, "sgd"), (32, "adam")])
def test_a_late_helper_leaves_the_gathered_epoch_bits_unchanged(big_data, dtype, batch_size, optimizer, stall):
    X, y, sw = big_data[dtype]
    n = len(y)
    pb = make_problem("huber", "l2", alpha=1e-4, n_features=D)
    order = np.random.default_rng(6).permutation(n).astype(np.int64)
    theta0 = np.zeros(D + 1, dtype=dtype)
    one = run_epoch(pb, X, y, sw, order, batch_size, optimizer, {"lr": 1e-3}, theta0, 1)
    two, (late, claimed, alone) = with_stalled_helper(
        *stall, lambda: run_epoch(pb, X, y, sw, order, batch_size, optimizer, {"lr": 1e-3}, theta0, 2))
    assert late >= 1  # the chunk the helper held when it stalled (more if it was off its core)
    assert claimed > 0 or stall[1] == 1  # to the end: past the ring's room, claimed in place
    assert alone == 1 or stall[1] == 1  # to the end: the helper sent away
    np.testing.assert_array_equal(two[0], one[0])  # weights
    for a, b in zip(two[1], one[1]):  # optimizer state
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(two[2], one[2])  # counters
    assert two[3] == one[3] and two[4] == one[4] == -(-n // batch_size) and two[5] and one[5]  # loss, steps


@pytest.mark.parametrize("stall", STALLS, ids=["late-once", "late-to-the-end"])
def test_a_nan_row_stops_the_epoch_of_a_late_helper_where_the_one_thread_epoch_stops(big_data, stall):
    X, y, sw = big_data[np.float64]
    X = X.copy()
    n = len(y)
    order = np.random.default_rng(7).permutation(n).astype(np.int64)
    stop_at = 32 * 1000 + 5  # past the stall, inside a chunk
    X[order[stop_at], 11] = np.nan
    pb = make_problem("squared_error", "l2", alpha=1e-4, n_features=D)
    one = run_epoch(pb, X, y, sw, order, 1, "sgd", {"lr": 1e-3}, np.zeros(D + 1), 1)
    two, (late, _, _) = with_stalled_helper(*stall, lambda: run_epoch(pb, X, y, sw, order, 1, "sgd", {"lr": 1e-3},
                                                                    np.zeros(D + 1), 2))
    assert late >= 1
    for theta, _, _, _, steps, finite in (one, two):
        assert not finite and steps == stop_at
    np.testing.assert_array_equal(two[0], one[0])
    assert two[3] == one[3]
