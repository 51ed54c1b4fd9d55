"""Stochastic epochs (batch_size=1) of every rule: each step is exactly one row's gradient
followed by the optimizer's own step, as pygdx.optim would take it from Python (issue 10:
the fused per-row loop of the core must not change a bit)."""

import numpy as np
import pytest

import pygdx
from pygdx import _core

RULES = ["adam", "adamw", "adamax", "nadam", "radam", "rmsprop", "adagrad", "adadelta", "momentum", "nesterov"]


def data(dtype):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(24, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=24)
    return X.astype(dtype), y.astype(dtype)


def row_by_row(est, X, y, sw, epochs, seed):
    """The fit as Python steps: shuffle as the core does, then for each row its gradient
    (linear_loss_grad, the objective with the penalty) and one optimizer.step."""
    theta = np.zeros(X.shape[1] + 1, dtype=X.dtype)
    opt = pygdx.optim.get(est.optimizer, [theta], lr=est.lr, weight_decay=0.0, n_threads=1)
    problem = est._problem()
    rng = np.random.default_rng(seed)
    order = np.arange(len(y), dtype=np.int64)
    for _ in range(epochs):
        _core.shuffle_rows(order, int(rng.integers(0, 2**63)))
        for r in order:
            _, grad = _core.linear_loss_grad(problem, X, y, sw, theta, np.array([r]), 1)
            opt.step(grad.astype(X.dtype))
    return theta


@pytest.mark.parametrize("optimizer", RULES)
@pytest.mark.parametrize("weighted", [False, True])
def test_a_stochastic_epoch_is_row_gradients_and_optimizer_steps(optimizer, weighted):
    X, y = data(np.float64)
    sw = np.linspace(0.5, 1.5, len(y)) if weighted else None
    est = pygdx.GDRegressor(optimizer=optimizer, lr=0.01, batch_size=1, alpha=1e-3, max_iter=4, tol=None,
                            random_state=7).fit(X, y, sample_weight=sw)
    theta = row_by_row(est, X, y, sw, 4, 7)
    np.testing.assert_array_equal(np.r_[est.coef_, est.intercept_], theta)
    assert est.t_ == 4 * len(y)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_a_stochastic_float32_epoch_follows_the_same_steps(optimizer):
    # float32 gradients are finished in float32 here and in float64 by linear_loss_grad
    X, y = data(np.float32)
    est = pygdx.GDRegressor(optimizer=optimizer, lr=0.01, batch_size=1, max_iter=4, tol=None, random_state=7).fit(X, y)
    np.testing.assert_allclose(np.r_[est.coef_, est.intercept_], row_by_row(est, X, y, None, 4, 7), rtol=1e-5,
                               atol=1e-6)


def test_a_non_finite_row_stops_the_stochastic_epoch_before_its_step():
    X, y = data(np.float64)
    X[5, 1] = np.inf
    est = pygdx.GDRegressor(optimizer="adam", batch_size=1, max_iter=3, tol=None, random_state=0)
    with pytest.raises(ValueError, match="X"):
        est.fit(X, y)
    assert not est.__sklearn_is_fitted__()
