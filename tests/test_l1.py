"""Exact zeros with l1 and elastic-net: the cumulative penalty (Tsuruoka et al. 2009) for plain
SGD on batches, as scikit-learn's SGD applies it; a proximal step for the full batch and for
every other optimizer; on dense and sparse rows alike; sparsify() / densify()."""

from __future__ import annotations

import numpy as np
import pytest

import pygdx

sp = pytest.importorskip("scipy.sparse")


def lasso_data(n=150, d=25, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.25, format="csr", random_state=seed)
    w = rng.normal(size=d) * (rng.random(d) < 0.3)
    y = np.asarray(X @ w).ravel() + 0.1 * rng.normal(size=n)
    return X, y


def soft_threshold(w, tau):
    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)


def cumulative_reference(X, y, lr, l1, l2, batch_size, epochs):
    """Squared error, plain SGD in order, the cumulative l1 penalty paid to every weight at
    every step, its account kept in units free of the l2 shrink (l1_penalty.hpp)."""
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    u, q, scale = 0.0, np.zeros(d), 1.0
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            g = xb @ w + b - yb
            w = w - lr * (g @ xb / len(yb) + l2 * w)
            b -= lr * g.mean()
            scale *= 1 - lr * l2
            u += lr * l1 / scale
            for j in range(d):
                if w[j] > 0:
                    new = max(0.0, w[j] - (u + q[j]) * scale)
                elif w[j] < 0:
                    new = min(0.0, w[j] + (u - q[j]) * scale)
                else:
                    continue
                q[j] += (new - w[j]) / scale
                w[j] = new
    return w, b


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_l1_plain_sgd_is_scikit_learns_sgd(sparse, fit_intercept):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = lasso_data()
    labels = (y > np.median(y)).astype(float)
    settings = dict(penalty="l1", alpha=0.01, shuffle=False, max_iter=5, tol=None, fit_intercept=fit_intercept)
    ours_X = X if sparse else X.toarray()
    for ours, theirs, target in (
        (pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=1, **settings),
         linear_model.SGDRegressor(learning_rate="constant", eta0=0.05, **settings), y),
        (pygdx.GDClassifier(optimizer="sgd", lr=0.1, batch_size=1, **settings),
         linear_model.SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.1, **settings), labels),
    ):
        ours.fit(ours_X, target)
        theirs.fit(X.toarray(), target)  # scikit-learn's own sparse path decays the intercept
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
        assert (ours.coef_ == 0).sum() > 3  # the subgradient never gives exact zeros


@pytest.mark.parametrize("batch_size", [1, 6])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.4)])
def test_cumulative_penalty_matches_the_numpy_reference_on_dense_and_sparse_rows(batch_size, penalty, l1_ratio):
    X, y = lasso_data()
    alpha, lr = 0.02, 0.05
    w, b = cumulative_reference(X.toarray(), y, lr, alpha * l1_ratio, alpha * (1 - l1_ratio), batch_size, 3)
    for data in (X, X.toarray()):
        fit = pygdx.GDRegressor(optimizer="sgd", lr=lr, batch_size=batch_size, penalty=penalty, alpha=alpha,
                                l1_ratio=l1_ratio, shuffle=False, max_iter=3, tol=None).fit(data, y)
        np.testing.assert_allclose(fit.coef_, w, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fit.intercept_, [b], rtol=1e-9, atol=1e-12)
    assert (w == 0).sum() > 0


@pytest.mark.parametrize("sparse", [False, True])
def test_full_batch_sgd_is_ista(sparse):
    X, y = lasso_data()
    Xd = X.toarray()
    alpha, lr = 0.05, 0.5
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(20):
        r = Xd @ w + b - y
        w = soft_threshold(w - lr * r @ Xd / len(y), lr * alpha)
        b -= lr * r.mean()
    fit = pygdx.GDRegressor(optimizer="sgd", lr=lr, batch_size=None, penalty="l1", alpha=alpha, max_iter=20,
                            tol=None).fit(X if sparse else Xd, y)
    np.testing.assert_allclose(fit.coef_, w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.intercept_, [b], rtol=1e-9, atol=1e-12)
    assert (fit.coef_ == 0).sum() > 0


@pytest.mark.parametrize("sparse_updates", ["dense", "lazy"])
@pytest.mark.parametrize("sparse", [False, True])
def test_adam_takes_the_proximal_step_with_its_own_step_sizes(sparse, sparse_updates):
    X, y = lasso_data()
    Xd = X.toarray()
    alpha, lr, b1, b2, eps = 0.05, 0.05, 0.9, 0.999, 1e-8
    p = np.zeros(X.shape[1] + 1)
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t in range(1, 16):
        r = Xd @ p[:-1] + p[-1] - y
        g = np.concatenate([r @ Xd / len(y), [r.mean()]])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        rate = lr / (np.sqrt(v / (1 - b2**t)) + eps)
        p = p - rate * m / (1 - b1**t)
        p[:-1] = soft_threshold(p[:-1], alpha * rate[:-1])
    fit = pygdx.GDRegressor(optimizer="adam", lr=lr, batch_size=None, penalty="l1", alpha=alpha, max_iter=15,
                            tol=None, sparse_updates=sparse_updates).fit(X if sparse else Xd, y)
    # Every column holds a non-zero somewhere, so on the full batch lazy touches them all.
    np.testing.assert_allclose(fit.coef_, p[:-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.intercept_, p[-1:], rtol=1e-9, atol=1e-12)
    assert (fit.coef_ == 0).sum() > 0


@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop", "adadelta", "adamax", "nadam", "radam", "adamw"])
def test_every_optimizer_reaches_exact_zeros_on_dense_and_sparse_rows_alike(optimizer):
    X, y = lasso_data()
    kw = dict(optimizer=optimizer, lr=0.05, batch_size=10, penalty="l1", alpha=0.05, max_iter=5, tol=None,
              random_state=0, sparse_updates="dense")
    sparse_fit = pygdx.GDRegressor(**kw).fit(X, y)
    dense_fit = pygdx.GDRegressor(**kw).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-9, atol=1e-12)
    assert (dense_fit.coef_ == 0).sum() > 0


def test_sparsify_and_densify():
    X, y = lasso_data()
    reg = pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=1, penalty="l1", alpha=0.02, max_iter=5,
                            tol=None, random_state=0).fit(X, y)
    dense_coef = reg.coef_.copy()
    before = reg.predict(X)
    assert reg.sparsify() is reg
    assert sp.issparse(reg.coef_) and reg.coef_.format == "csr"
    assert reg.coef_.nnz == np.count_nonzero(dense_coef)
    np.testing.assert_array_equal(reg.coef_.toarray().ravel(), dense_coef)
    np.testing.assert_array_equal(reg.predict(X), before)
    reg.coef_ = reg.coef_  # a sparse coef_ can be assigned back
    assert reg.densify() is reg
    assert isinstance(reg.coef_, np.ndarray)
    np.testing.assert_array_equal(reg.coef_, dense_coef)
    reg.sparsify().fit(X, y)
    assert isinstance(reg.coef_, np.ndarray)  # a new fit is a new, dense coef_
    clf = pygdx.GDClassifier(max_iter=3, tol=None, random_state=0).fit(X, y > 0)
    assert clf.sparsify().coef_.shape == (1, X.shape[1])
    with pytest.raises((ValueError, AttributeError), match="not fitted"):
        pygdx.GDRegressor().sparsify()
