"""Gradient clipping in the estimators (clip_grad_norm=, clip_grad_value=): each batch's
gradient clipped before the step exactly as a NumPy loop with pygdx.clip and pygdx.optim
does, for several optimizers and batch sizes, with and without averaging."""

import numpy as np
import pytest

import pygdx


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return X, 10 * X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.5 * rng.normal(size=60)


def numpy_fit(X, y, optimizer, lr, batch_size, epochs, alpha, clip_norm, clip_value, start=0, intercept_decay=1.0):
    """Squared error, l2, rows in order, stepped by pygdx.optim: the intercept's gradient times
    intercept_decay, then the clips; with `start`, the mean of the weights after steps start.."""
    theta = np.zeros(X.shape[1] + 1)
    opt = pygdx.optim.get(optimizer, [theta], lr=lr)
    avg, t = np.zeros_like(theta), 0
    b = len(y) if batch_size is None else batch_size
    for _ in range(epochs):
        for first in range(0, len(y), b):
            Xb, yb = X[first: first + b], y[first: first + b]
            r = Xb @ theta[:-1] + theta[-1] - yb
            g = np.concatenate([Xb.T @ r / len(yb) + alpha * theta[:-1], [intercept_decay * r.mean()]])
            if clip_value:
                pygdx.clip_grad_value_(g, clip_value)
            if clip_norm:
                pygdx.clip_grad_norm_(g, clip_norm)
            opt.step(g)
            t += 1
            if start and t >= start:
                avg += (theta - avg) / (t - start + 1)
    return avg if start else theta


@pytest.mark.parametrize("optimizer, batch_size, clip_norm, clip_value", [
    ("adam", 8, 1.0, None), ("sgd", None, 0.5, None), ("sgd", 16, None, 0.3), ("momentum", 1, 2.0, 0.5)])
def test_clipping_equals_a_numpy_loop(data, optimizer, batch_size, clip_norm, clip_value):
    X, y = data
    est = pygdx.GDRegressor(optimizer=optimizer, lr=0.05, batch_size=batch_size, alpha=0.01, clip_grad_norm=clip_norm,
                            clip_grad_value=clip_value, max_iter=4, tol=None, shuffle=False).fit(X, y)
    expected = numpy_fit(X, y, optimizer, 0.05, batch_size, 4, 0.01, clip_norm, clip_value)
    np.testing.assert_allclose(est.coef_, expected[:-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, expected[-1:], rtol=1e-12, atol=1e-12)
    with np.errstate(all="ignore"):  # unclipped, momentum at one row per step runs away
        unclipped = numpy_fit(X, y, optimizer, 0.05, batch_size, 4, 0.01, None, None)
    assert not np.allclose(est.coef_, unclipped[:-1])  # the data's gradients are large: it clipped


def test_clipping_with_averaging_and_float32(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=4, alpha=0.01, clip_grad_norm=1.0, average=5,
                            max_iter=3, tol=None, shuffle=False).fit(X, y)
    expected = numpy_fit(X, y, "sgd", 0.05, 4, 3, 0.01, 1.0, None, start=5)
    np.testing.assert_allclose(est.coef_, expected[:-1], rtol=1e-12, atol=1e-12)
    single = pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=4, alpha=0.01, clip_grad_norm=1.0, max_iter=3,
                               tol=None, shuffle=False).fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32
    np.testing.assert_allclose(single.coef_, numpy_fit(X, y, "sgd", 0.05, 4, 3, 0.01, 1.0, None)[:-1], rtol=1e-4)


def test_classifier_and_bad_values(data):
    X, y = data
    clf = pygdx.GDClassifier(clip_grad_value=0.01, max_iter=3, tol=None, random_state=0).fit(X, y > 0)
    assert clf.score(X, y > 0) > 0.7
    for bad in (0.0, -1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="clip_grad_norm must be"):
            pygdx.GDRegressor(clip_grad_norm=bad).fit(X, y)
    with pytest.raises(ValueError, match="need in-memory data"):
        pygdx.GDRegressor(clip_grad_value=1.0).fit_source(None, 4, np.float64)
