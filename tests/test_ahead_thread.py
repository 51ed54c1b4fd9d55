"""The helper thread of an epoch whose rows are gathered ahead (core/ahead_thread.hpp, shared by
the dense ring of core/rows_gathered_ahead.hpp and the CSR ring of
core/sparse_rows_gathered_ahead.hpp): when it cannot start, the epoch runs on the calling
thread alone, with the same bits, and leaves no thread behind. The start's failure is
provoked with the test hook _core.refuse_helper_thread_starts."""

from __future__ import annotations

import os

import numpy as np

import pygdx
from pygdx import _core

from test_rows_gathered_ahead import D as DENSE_FEATURES, rows_past_the_threshold
from test_sparse_rows_gathered_ahead import past_the_threshold

EPOCHS = 2


def threads_of_this_process() -> int:
    return len(os.listdir("/proc/self/task"))


def fit_bits(make_model, X, y, sample_weight, refused):
    """The fitted model's coef, intercept and loss curve as bytes, with helper thread starts
    refused or not, and how many starts were refused."""
    _core.refuse_helper_thread_starts(refused)
    try:
        model = make_model().fit(X, y, sample_weight=sample_weight)
    finally:
        refusals = _core.refuse_helper_thread_starts(False)
    return (model.coef_.tobytes(), model.intercept_.tobytes(), np.asarray(model.loss_curve_).tobytes()), refusals


def check_the_fallback(make_model, X, y, sample_weight):
    before = threads_of_this_process()
    gathered, none_refused = fit_bits(lambda: make_model(2), X, y, sample_weight, refused=False)
    fallback, refusals = fit_bits(lambda: make_model(2), X, y, sample_weight, refused=True)
    one_thread, _ = fit_bits(lambda: make_model(1), X, y, sample_weight, refused=False)
    assert none_refused == 0
    assert refusals == EPOCHS  # every epoch tried to start its helper, and went on without it
    assert fallback == gathered == one_thread
    assert threads_of_this_process() == before  # no helper left running
    # The hook is off again: the next fit starts its helper as usual.
    assert fit_bits(lambda: make_model(2), X, y, sample_weight, refused=False) == (gathered, 0)


def test_a_sparse_fit_whose_helper_thread_cannot_start_runs_on_one_thread_with_the_same_bits():
    X, y, sw = past_the_threshold(np.float64, np.int32, seed=5)
    assert _core.sparse_gathers_rows_ahead(X.shape[0], X.data.nbytes + X.indices.nbytes, True, 2)

    def make_model(n_jobs):
        return pygdx.GDClassifier(loss="log_loss", optimizer="sgd", lr=0.05, batch_size=1, penalty="l2",
                                  alpha=1e-5, max_iter=EPOCHS, tol=None, random_state=0, n_jobs=n_jobs,
                                  intercept_decay="auto")

    check_the_fallback(make_model, X, y, sw)


def test_a_dense_fit_whose_helper_thread_cannot_start_runs_on_one_thread_with_the_same_bits():
    n = rows_past_the_threshold(np.float32)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(n, DENSE_FEATURES)).astype(np.float32)
    y = (X @ rng.normal(size=DENSE_FEATURES) / np.sqrt(DENSE_FEATURES)).astype(np.float32)

    def make_model(n_jobs):
        return pygdx.GDRegressor(optimizer="sgd", lr=1e-3, batch_size=1, max_iter=EPOCHS, tol=None, penalty="l2",
                                 alpha=1e-4, random_state=0, n_jobs=n_jobs)

    check_the_fallback(make_model, X, y, None)
