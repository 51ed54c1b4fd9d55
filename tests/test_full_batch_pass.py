"""The full-batch pass (RowPass) over rows in order, as a full-batch epoch reads them: the
same bits with any thread count, and the reference's objective and gradient, for shapes
whose chunks, per-thread blocks and per-chunk partials (each padded apart so that no two
threads write one cache line) end at awkward places: row counts that leave a tail of rows
after the groups of four and the blocks of 64, feature counts that leave a tail of columns,
one output (four rows at a time) and three (row by row)."""

import numpy as np
import pytest

from pygdx import _core, _training, estimators, losses

from test_linear_core import make_problem, reference_loss_grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n", "d", "multinomial"), [(30_011, 5, False), (8_003, 37, False), (5_003, 100, False),
                                                      (6_001, 37, True)])
def test_full_batch_pass_has_the_same_bits_with_any_thread_count(n, d, multinomial, dtype):
    rng = np.random.default_rng(d)
    K = 3 if multinomial else 1
    loss = losses.MultinomialLogLoss() if multinomial else losses.SquaredError()
    X = rng.normal(size=(n, d)).astype(dtype)
    y = (rng.integers(0, K, size=n) if multinomial else rng.normal(size=n)).astype(dtype)
    sw = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    theta = rng.normal(scale=0.1, size=K * d + K).astype(dtype)
    pb = make_problem("squared_error", "l2", alpha=0.01, n_features=d, n_outputs=K, multinomial=multinomial)
    first_value, first_grad = _core.linear_loss_grad(pb, X, y, sw, theta, n_threads=1)
    for threads in (2, 3, 0, 1):
        value, grad = _core.linear_loss_grad(pb, X, y, sw, theta, n_threads=threads)
        assert value == first_value and np.array_equal(grad, first_grad), threads
    ref_value, ref_grad = reference_loss_grad(loss, X.astype(np.float64), y.astype(np.float64),
                                              theta.astype(np.float64), sw.astype(np.float64), "l2", 0.01, 0.15,
                                              True, K=K)
    rtol = 1e-11 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(first_value, ref_value, rtol=rtol)
    np.testing.assert_allclose(first_grad, ref_grad, rtol=rtol, atol=rtol * np.abs(ref_grad).max())


# Full-batch fits through the estimators (every epoch one RowPass over rows in order, summed
# row by row since session 11): the same bits with n_jobs 1, 2 and -1, with and without
# sample weights and the intercept, with an l2 or an l1 penalty (the l1 epoch, which sums the
# smooth part with the same pass), one output and two. 5,003 x 40 is above the pass's
# threshold for threads and cuts into two chunks with a tail of rows.
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_full_batch_fits_do_not_depend_on_n_jobs(dtype, weighted, fit_intercept, penalty, n_outputs):
    import pygdx

    rng = np.random.default_rng(n_outputs + 2 * weighted)
    n, d = 5_003, 40
    X = rng.normal(size=(n, d)).astype(dtype)
    Y = X[:, :n_outputs] * 2.0 - X[:, 5:5 + n_outputs] + 0.1 * rng.normal(size=(n, n_outputs))
    y = Y[:, 0] if n_outputs == 1 else Y
    sw = rng.uniform(0.5, 2.0, size=n) if weighted else None
    assert n // 2048 >= 2  # RowPass's chunks of at least 2,048 rows (linear.hpp row_chunks)
    fits = [pygdx.GDRegressor(optimizer="adam", lr=0.05, batch_size=None, max_iter=4, tol=None, penalty=penalty,
                              alpha=1e-3, fit_intercept=fit_intercept, random_state=0, n_jobs=n_jobs)
            .fit(X, y, sample_weight=sw) for n_jobs in (1, 2, -1)]
    for fit in fits[1:]:
        np.testing.assert_array_equal(fit.coef_, fits[0].coef_)
        np.testing.assert_array_equal(fit.intercept_, fits[0].intercept_)
        assert fit.loss_curve_ == fits[0].loss_curve_
    assert fits[0].coef_.dtype == dtype
    assert np.isfinite(fits[0].coef_).all() and fits[0].loss_curve_[-1] < fits[0].loss_curve_[0]


class _RowsGiven(_training.InMemory):
    """In-memory rows with the index of every row given, as early stopping's split gives one:
    the full batch is then read through that index instead of in order."""

    def __init__(self, X, y, sample_weight, rows=None, held_out=None):
        super().__init__(X, y, sample_weight, np.arange(X.shape[0], dtype=np.int64) if rows is None else rows,
                         held_out)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_full_batch_read_in_order_equals_one_read_through_an_index(monkeypatch, dtype):
    # Full-batch fits hand the core no row order (DenseSource(order=None)): the same rows in
    # the same order as through an index of every row, so the same bits.
    import pygdx

    rng = np.random.default_rng(3)
    X = rng.normal(size=(5_003, 40)).astype(dtype)
    y = X[:, 0] - 2.0 * X[:, 7] + 0.1 * rng.normal(size=5_003)

    def fit():
        return pygdx.GDRegressor(optimizer="adam", lr=0.05, batch_size=None, max_iter=3, tol=None).fit(X, y)

    in_order = fit()
    monkeypatch.setattr(_training, "InMemory", _RowsGiven)
    monkeypatch.setattr(estimators._training, "InMemory", _RowsGiven)
    through_index = fit()
    assert np.array_equal(in_order.coef_, through_index.coef_)
    assert np.array_equal(in_order.intercept_, through_index.intercept_)


def test_a_source_without_an_order_refuses_seeds(monkeypatch):
    # Rows read in order cannot be shuffled: a seed given to such a source is a caller's
    # mistake, refused before the epoch runs, with the weights untouched.
    import pygdx

    seen = {}
    real_run = _core.LinearTrainer.run

    class Spy:
        def __getattr__(self, name):
            return getattr(_core, name)

        def LinearTrainer(self, *args):  # noqa: N802 (the core's name)
            trainer = _core.LinearTrainer(*args)
            seen["trainer"] = trainer
            return trainer

        def DenseSource(self, *args):  # noqa: N802
            source = _core.DenseSource(*args)
            seen["order"] = args[4]
            seen["source"] = source
            return source

    monkeypatch.setattr(_training, "_core", Spy())
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    est = pygdx.GDRegressor(batch_size=None, max_iter=2, tol=None).fit(X, X[:, 0])
    assert seen["order"] is None
    before = est.coef_.copy()
    with pytest.raises(ValueError, match="takes no seeds|take no seeds"):
        real_run(seen["trainer"], seen["source"], np.array([5], dtype=np.int64), 1, True)
    assert np.array_equal(est.coef_, before)
