"""Multi-output regression: GDRegressor with y of shape (n, k) fits k linear functions at once;
the full-batch optimum is Ridge's on each output, and each output trains as its own
single-output fit would."""

import warnings

import numpy as np
import pytest

import pygdx

linear_model = pytest.importorskip("sklearn.linear_model")
metrics = pytest.importorskip("sklearn.metrics")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    Y = X @ rng.normal(size=(3, 5)).T + 0.1 * rng.normal(size=(200, 3)) + np.array([1.0, -2.0, 3.0])
    return X, Y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_optimum_is_ridges_on_each_output(data, dtype):
    X, Y = data
    alpha = 0.01
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.5, alpha=alpha, batch_size=None, max_iter=3000, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X.astype(dtype), Y)
    ridge = linear_model.Ridge(alpha=alpha * len(Y)).fit(X, Y)
    tight = 1e-10 if dtype == np.float64 else 2e-5
    assert est.coef_.shape == (3, 5) and est.intercept_.shape == (3,) and est.coef_.dtype == dtype
    np.testing.assert_allclose(est.coef_, ridge.coef_, atol=tight)
    np.testing.assert_allclose(est.intercept_, ridge.intercept_, atol=tight)
    pred = est.predict(X.astype(dtype))
    assert pred.shape == (200, 3) and pred.dtype == dtype
    np.testing.assert_allclose(pred, ridge.predict(X), atol=10 * tight)
    assert est.score(X, Y) == pytest.approx(metrics.r2_score(Y, est.predict(X)), abs=1e-12)


@pytest.mark.parametrize("optimizer, batch_size", [("adam", 16), ("sgd", 1), ("momentum", 64)])
def test_each_output_trains_as_its_own_fit(data, optimizer, batch_size):
    X, Y = data
    kwargs = dict(optimizer=optimizer, lr=0.01, batch_size=batch_size, max_iter=4, tol=None, random_state=3)
    joint = pygdx.GDRegressor(**kwargs).fit(X, Y)
    for k in range(3):
        single = pygdx.GDRegressor(**kwargs).fit(X, Y[:, k])
        np.testing.assert_allclose(joint.coef_[k], single.coef_, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(joint.intercept_[k], single.intercept_[0], rtol=1e-12, atol=1e-13)
    # the epoch loss is the sum of the outputs' losses
    total = sum(pygdx.GDRegressor(**kwargs).fit(X, Y[:, k]).loss_curve_[0] for k in range(3))
    assert joint.loss_curve_[0] == pytest.approx(total, rel=1e-12)


def test_column_vector_is_raveled_as_sgd_regressor_does(data):
    X, Y = data
    with pytest.warns(Warning, match="column-vector y"):
        est = pygdx.GDRegressor(max_iter=2, tol=None).fit(X, Y[:, :1])
    with pytest.warns(Warning, match="column-vector y"):
        theirs = linear_model.SGDRegressor(max_iter=2, tol=None).fit(X, Y[:, :1])
    assert est.coef_.shape == theirs.coef_.shape == (5,) and est.predict(X).shape == (200,)


def test_partial_fit_early_stopping_and_custom_losses(data):
    X, Y = data
    est = pygdx.GDRegressor(max_iter=2, tol=None).partial_fit(X, Y)
    est.partial_fit(X, Y)
    with pytest.raises(ValueError, match="partial_fit must keep the number of outputs"):
        est.partial_fit(X, Y[:, :2])
    assert est.coef_.shape == (3, 5)
    early = pygdx.GDRegressor(early_stopping=True, max_iter=200, random_state=0).fit(X, Y)
    assert all(s <= 1 for s in early.validation_scores_) and early.validation_scores_[-1] > 0.9

    class Custom(pygdx.losses.SquaredError):
        def value(self, y, z):
            return 0.5 * (y - z) ** 2

    kwargs = dict(batch_size=32, max_iter=3, tol=None, random_state=0)
    custom = pygdx.GDRegressor(loss=Custom(), **kwargs).fit(X, Y)
    core = pygdx.GDRegressor(**kwargs).fit(X, Y)
    np.testing.assert_allclose(custom.coef_, core.coef_, rtol=1e-9)
    with pytest.raises(ValueError, match="give one target per output"):
        core.score(X, Y[:, 0])


def test_huber_and_epsilon_losses_per_output(data):
    X, Y = data
    kwargs = dict(loss="huber", epsilon=0.5, optimizer="sgd", lr=0.01, batch_size=1, max_iter=3, tol=None,
                  shuffle=False)
    joint = pygdx.GDRegressor(**kwargs).fit(X, Y)
    theirs = linear_model.SGDRegressor(loss="huber", epsilon=0.5, learning_rate="constant", eta0=0.01, max_iter=3,
                                       tol=None, shuffle=False)
    for k in range(3):
        np.testing.assert_allclose(joint.coef_[k], theirs.fit(X, Y[:, k]).coef_, atol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 1, 8])
def test_sparse_rows_fit_every_output_as_dense_rows_do(batch_size):
    # The CSR source reads y as n x k as the dense one does (CsrData::y_width).
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.random(60, 7, density=0.4, format="csr", random_state=0)
    Y = np.random.default_rng(0).normal(size=(60, 3))
    kw = dict(optimizer="sgd", lr=0.05, batch_size=batch_size, max_iter=4, tol=None, penalty="l2", alpha=1e-3,
              random_state=0)
    rows = pygdx.GDRegressor(**kw).fit(X, Y)
    dense = pygdx.GDRegressor(**kw).fit(X.toarray(), Y)
    np.testing.assert_allclose(rows.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(rows.predict(X), dense.predict(X.toarray()), rtol=1e-9, atol=1e-12)
    kw["average"] = 5  # averaged too (tests/test_sparse_stepwise.py has the rest)
    np.testing.assert_allclose(pygdx.GDRegressor(**kw).fit(X, Y).coef_, pygdx.GDRegressor(**kw).fit(X.toarray(), Y).coef_,
                               rtol=1e-9, atol=1e-12)
