"""Medium batches through the team of threads (core/team_parts_epoch.hpp) with an l2 penalty,
so that the epoch takes the batch paths themselves (an l1 part sends it to the l1 epoch):
the bits do not depend on the thread count, and the epoch equals the NumPy reference.
Single-output parts of 64 features or more are summed in column halves (batch 32 of 100
features is one of them since issue 15's session 6), others row by row."""

import numpy as np
import pytest

import pygdx
from pygdx import _core, losses

from test_linear_core import check_threads_agree_with_reference, make_data, make_problem, run_epoch


@pytest.mark.parametrize("optimizer, kwargs", [("sgd", {"lr": 0.01}), ("adam", {"lr": 0.01}),
                                               ("sgd", {"lr": 0.01, "momentum": 0.9, "nesterov": True})])
# (32, 100) and (48, 77): column-half parts at the smallest team batches; (128, 50): row parts
# (64 rows of 50 features, once listed here, are below the team's threshold for row parts:
# they took small_rows, as the path check now says).
@pytest.mark.parametrize("batch_size, d", [(32, 100), (48, 77), (128, 50), (256, 100)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_team_batches_equal_reference_whatever_the_threads(optimizer, kwargs, batch_size, d, dtype):
    pb = make_problem("huber", "l2", alpha=0.01, n_features=d)
    hyper = pygdx.optim.get(optimizer, [np.zeros(d + 1, dtype=dtype)], **kwargs).core_buffers()[0]
    assert _core.linear_epoch_path(pb, batch_size, hyper) == "team_parts"
    check_threads_agree_with_reference(optimizer, kwargs, batch_size, d, dtype, "l2", 0.15)


def test_a_nan_row_stops_the_team_before_its_batch_steps():
    loss = losses.SquaredError()
    n, d, batch_size = 640, 100, 32
    X, y, theta0, sw = make_data(loss, n=n, d=d)
    order = np.random.default_rng(5).permutation(n).astype(np.int64)
    X[order[10 * batch_size + 3], 7] = np.nan  # batch 10
    pb = make_problem("squared_error", "l2", alpha=0.01, n_features=d)
    for threads in (1, 2):
        theta, _, _, _, steps, finite = run_epoch(pb, X, y, sw, order, batch_size, "adam", {"lr": 0.01}, theta0,
                                                  threads)
        assert not finite and steps == 10
        assert np.isfinite(theta).all()


# The estimators' fits through the team (batch 32: parts summed in column halves; batch 256:
# larger column-half parts) and through column halves on one thread (batch 24), with an l2
# penalty (an l1 part would send every epoch to the l1 path): the same bits with 1 and 2
# threads. Small enough for the CI's ThreadSanitizer stage (tests/test_estimator_state.py
# checks the same paths on more rows, with a classifier too and n_jobs=-1).
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size, path", [(32, "team_parts"), (256, "team_parts"), (24, "column_halves")])
def test_estimator_fits_through_the_team_and_column_halves_do_not_depend_on_n_jobs(batch_size, path, dtype):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 100)).astype(dtype)
    y = X[:, :5].sum(axis=1) + 0.1 * rng.normal(size=1500)
    hyper = pygdx.optim.get("adam", [np.zeros(101, dtype=dtype)], lr=1e-3).core_buffers()[0]
    assert _core.linear_epoch_path(make_problem("squared_error", "l2", alpha=1e-4, n_features=100), batch_size,
                                   hyper) == path
    fits = [pygdx.GDRegressor(optimizer="adam", lr=1e-3, batch_size=batch_size, max_iter=2, tol=None, penalty="l2",
                              alpha=1e-4, random_state=0, n_jobs=n_jobs).fit(X, y) for n_jobs in (1, 2)]
    np.testing.assert_array_equal(fits[1].coef_, fits[0].coef_)
    np.testing.assert_array_equal(fits[1].intercept_, fits[0].intercept_)
    assert fits[1].loss_curve_ == fits[0].loss_curve_
    assert fits[0].coef_.dtype == dtype
