"""Stochastic plain-SGD epochs on shuffled CSR rows that a second thread gathers ahead into a
ring (core/sparse_rows_gathered_ahead.hpp): on matrices larger than the caches, with more
than one thread. The steps read copies of the same entries in the same order, chunk by
chunk, so a fit gives the same bits as on one thread: weights, counters, step count and the
loss sum, up to a NaN that stops the epoch at the same step."""

from __future__ import annotations

import numpy as np
import pytest

import pygdx
from pygdx import _core

from test_linear_core import make_problem
from test_rows_gathered_ahead import STALLS, with_stalled_helper

sp = pytest.importorskip("scipy.sparse")

D = 5000
THRESHOLD = 32 << 20  # stored bytes (values and indices) from which the ring is taken


def test_which_sparse_epochs_gather_rows_ahead():
    rows = 100_000
    assert _core.sparse_gathers_rows_ahead(rows, THRESHOLD, True, 2)
    assert not _core.sparse_gathers_rows_ahead(rows, THRESHOLD - 1, True, 2)  # stays near the cache
    assert not _core.sparse_gathers_rows_ahead(rows, THRESHOLD, False, 2)  # storage order streams
    assert not _core.sparse_gathers_rows_ahead(rows, THRESHOLD, True, 1)  # one thread means one thread
    assert not _core.sparse_gathers_rows_ahead(4095, 10 * THRESHOLD, True, 2)  # a batch, not an epoch
    assert _core.sparse_gathers_rows_ahead(4096, 10 * THRESHOLD, True, 2)


def past_the_threshold(dtype, index_dtype, seed=0):
    """A CSR matrix just past the threshold, rows of 0-60 entries (some empty, repeated
    columns allowed), one row longer than a chunk's room in the ring (read in place), and
    ±1 targets and sample weights."""
    rng = np.random.default_rng(seed)
    per_entry = np.dtype(dtype).itemsize + np.dtype(index_dtype).itemsize
    nnz_wanted = THRESHOLD // per_entry + 1
    lengths = rng.integers(0, 61, size=nnz_wanted // 30 + 1)
    lengths[7] = 6000  # more than any ring's room for a chunk (2,048-4,096 entries)
    lengths[8:12] = 0
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(index_dtype)
    nnz = int(indptr[-1])
    assert nnz >= nnz_wanted
    indices = rng.integers(0, D - 1, size=nnz).astype(index_dtype)  # the last column is left for a NaN
    data = (rng.random(nnz) * 0.2).astype(dtype)
    X = sp.csr_matrix((data, indices, indptr), shape=(len(lengths), D))
    X.indices, X.indptr = indices, indptr  # SciPy narrows int64 indices that fit int32
    y = rng.choice([-1.0, 1.0], size=X.shape[0]).astype(dtype)
    sw = rng.uniform(0.5, 2.0, size=X.shape[0]).astype(dtype)
    return X, y, sw


CASES = [(np.float64, np.int32), (np.float32, np.int64), (np.float32, np.int32), (np.float64, np.int64)]


class Matrices(dict):
    """past_the_threshold's matrices, each built when a test first asks for it."""

    def __missing__(self, case):
        self[case] = past_the_threshold(*case)
        return self[case]


@pytest.fixture(scope="module")
def matrices():
    return Matrices()


def sgd_epoch(X, y, sw, order, n_threads, theta0=None, epochs=1):
    """`epochs` epochs of plain SGD at batch size 1 (log loss, l2, the damped intercept) in
    the given order; returns everything the epoch leaves."""
    pb = make_problem("log_loss", "l2", alpha=1e-5, n_features=X.shape[1])
    theta = np.zeros(X.shape[1] + 1, dtype=X.dtype) if theta0 is None else theta0.copy()
    opt = pygdx.optim.get("sgd", [theta], lr=0.05)
    hyper, schedule, counters, states = opt.core_buffers()
    results = []
    for _ in range(epochs):
        results.append(_core.csr_epoch(pb, X.data, X.indices, X.indptr, X.shape[0], y, sw, order.copy(), 1, True,
                                       hyper, schedule, counters, theta, states, n_threads, None, 0.01))
    return theta, counters.copy(), results


def assert_same_bits(a, b):
    theta_a, counters_a, results_a = a
    theta_b, counters_b, results_b = b
    assert theta_a.tobytes() == theta_b.tobytes()
    assert counters_a.tobytes() == counters_b.tobytes()
    # (mean loss, steps, finite): the loss sum to the bit (NaN when a weight is)
    assert [(np.float64(loss).tobytes(), steps, finite) for loss, steps, finite in results_a] == [
        (np.float64(loss).tobytes(), steps, finite) for loss, steps, finite in results_b]


@pytest.mark.parametrize("with_weights", [True, False])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{np.dtype(c[0]).name}-{np.dtype(c[1]).name}")
def test_an_epoch_gathered_ahead_equals_the_one_thread_epoch(matrices, case, with_weights):
    X, y, sw = matrices[case]
    assert _core.sparse_gathers_rows_ahead(X.shape[0], X.data.nbytes + X.indices.nbytes, True, 2)
    order = np.random.default_rng(3).permutation(X.shape[0]).astype(np.int64)
    weights = sw if with_weights else None
    one = sgd_epoch(X, y, weights, order, 1, epochs=2)
    two = sgd_epoch(X, y, weights, order, 2, epochs=2)
    assert_same_bits(one, two)
    assert one[2][-1][1] == 2 * X.shape[0] // 2 and one[2][-1][2]  # every row stepped, finite
    assert np.count_nonzero(one[0][:-1]) > D // 2  # the epochs moved the weights


@pytest.mark.parametrize("stall", [(None, 1)] + STALLS, ids=["on-time", "late-once", "late-to-the-end"])
@pytest.mark.parametrize("with_weights", [True, False])
@pytest.mark.parametrize("case", CASES[:2], ids=lambda c: f"{np.dtype(c[0]).name}-{np.dtype(c[1]).name}")
def test_a_nan_stops_the_gathered_epoch_at_the_same_step(matrices, case, with_weights, stall):
    # The matrix's values are checked finite, the weights are not: a NaN weight in a column
    # that only one row deep in the epoch holds makes that row's loss NaN. Also with the
    # helper late (STALLS, at chunk 40: before the NaN's row).
    X, y, sw = matrices[case]
    X = X.copy()
    X.indices, X.indptr = X.indices.astype(case[1]), X.indptr.astype(case[1])  # the copy narrows int64
    assert _core.sparse_gathers_rows_ahead(X.shape[0], X.data.nbytes + X.indices.nbytes, True, 2)
    order = np.random.default_rng(4).permutation(X.shape[0]).astype(np.int64)
    position = 50_001  # past many turns of the ring, inside a chunk
    while X.indptr[order[position]] == X.indptr[order[position] + 1]:  # an empty row cannot hold it
        position += 1
    X.indices[X.indptr[order[position]]] = D - 1
    theta0 = np.zeros(D + 1, dtype=X.dtype)
    theta0[D - 1] = np.nan
    weights = sw if with_weights else None  # without: the log loss summed by blocks
    one = sgd_epoch(X, y, weights, order, 1, theta0)
    two, (late, _, _) = with_stalled_helper(*stall, lambda: sgd_epoch(X, y, weights, order, 2, theta0))
    assert_same_bits(one, two)
    assert late >= 1 or stall[0] is None
    assert one[2][0][1] == position and not one[2][0][2]  # stopped before stepping on that row


def test_a_gathered_fit_equals_the_one_thread_fit(matrices):
    X, y, sw = matrices[(np.float32, np.int32)]
    fits = []
    for n_jobs in (1, 2):
        model = pygdx.GDClassifier(loss="log_loss", optimizer="sgd", lr=0.05, batch_size=1, penalty="l2",
                                   alpha=1e-5, max_iter=2, tol=None, random_state=0, n_jobs=n_jobs,
                                   intercept_decay="auto")
        fits.append(model.fit(X, y, sample_weight=sw))
    assert fits[0].coef_.tobytes() == fits[1].coef_.tobytes()
    assert fits[0].intercept_.tobytes() == fits[1].intercept_.tobytes()
    assert fits[0].loss_curve_ == fits[1].loss_curve_


# A helper late with a chunk (test_rows_gathered_ahead.py's STALLS): the same bits.
@pytest.mark.parametrize("stall", STALLS, ids=["late-once", "late-to-the-end"])
@pytest.mark.parametrize("with_weights", [True, False])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{np.dtype(c[0]).name}-{np.dtype(c[1]).name}")
def test_a_late_helper_leaves_the_gathered_epoch_bits_unchanged(matrices, case, with_weights, stall):
    X, y, sw = matrices[case]
    order = np.random.default_rng(5).permutation(X.shape[0]).astype(np.int64)
    weights = sw if with_weights else None
    one = sgd_epoch(X, y, weights, order, 1, epochs=2)
    two, (late, claimed, alone) = with_stalled_helper(*stall, lambda: sgd_epoch(X, y, weights, order, 2, epochs=2))
    assert_same_bits(one, two)
    assert late >= 2  # each epoch: the chunk the helper held when it stalled (more if it was off its core)
    assert claimed > 0 or stall[1] == 1  # to the end: past the ring's room, claimed in place
    assert alone == 2 or stall[1] == 1  # to the end: each epoch sent the helper away
    assert one[2][-1][1] == X.shape[0] and one[2][-1][2]  # every row stepped, finite
