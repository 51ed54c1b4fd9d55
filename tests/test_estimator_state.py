"""The estimator's model and optimizer state stay one consistent thing: across pickling,
set_params between partial_fit calls, and errors that roll an epoch back."""

import pickle

import numpy as np
import pytest

import pygdx
from pygdx import _core

from test_linear_core import make_problem


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1


def test_pickle_after_changing_the_optimizer_restores_the_trained_one(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer="adam", max_iter=3, tol=None).fit(X, y)
    est.set_params(optimizer="sgd")
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.coef_, est.coef_)
    assert type(back._optimizer).__name__ == "Adam"
    assert back._optimizer.params[0] is back._theta  # the optimizer still updates the model's weights
    before = back.coef_.copy()
    back.partial_fit(X, y)  # now trains with the new optimizer, from the same weights
    assert type(back._optimizer).__name__ == "SGD"
    assert not np.array_equal(back.coef_, before)


def test_partial_fit_uses_a_new_learning_rate_and_keeps_the_moments(data):
    X, y = data
    kw = dict(optimizer="momentum", lr=0.01, shuffle=False, batch_size=50)
    changed, same = pygdx.GDRegressor(**kw).partial_fit(X, y), pygdx.GDRegressor(**kw).partial_fit(X, y)
    buffer = changed._optimizer.state[0]["momentum_buffer"].copy()
    changed.set_params(lr=0.02)
    changed.partial_fit(X, y)
    same.partial_fit(X, y)
    assert changed._optimizer.lr == 0.02 and changed.t_ == 8  # the step count went on
    assert not np.array_equal(changed.coef_, same.coef_)
    # the moments were carried over, not restarted: a fresh optimizer at 0.02 gives another model
    fresh = pygdx.GDRegressor(**kw).partial_fit(X, y)
    fresh._optimizer = None
    fresh.set_params(lr=0.02).partial_fit(X, y)
    assert fresh.t_ == 4
    assert not np.array_equal(changed.coef_, fresh.coef_)
    assert np.any(buffer != 0)


def test_partial_fit_with_a_new_rule_starts_its_state_fresh(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer="adam", lr=0.01).partial_fit(X, y)
    est.set_params(optimizer="rmsprop", optimizer_params={"momentum": 0.5})
    est.partial_fit(X, y)
    assert type(est._optimizer).__name__ == "RMSprop"
    assert est._optimizer.defaults["momentum"] == 0.5


def test_float32_adaptive_state_overflow_is_an_error_not_a_silent_freeze():
    rng = np.random.default_rng(1)
    X = (1e10 * rng.normal(size=(300, 3))).astype(np.float32)
    y = X @ np.array([1.0, 2.0, -1.0], dtype=np.float32)
    est = pygdx.GDRegressor(optimizer="adam", random_state=0)
    with pytest.raises(ValueError, match="optimizer's state became NaN or infinite"):
        est.fit(X, y)
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)


def test_batch_size_must_be_an_integer(data):
    X, y = data
    with pytest.raises(ValueError, match="batch_size must be None"):
        pygdx.GDRegressor(batch_size=32.0).fit(X, y)


def test_regressor_refuses_a_classification_loss_and_vice_versa(data):
    X, y = data
    with pytest.raises(ValueError, match="Hinge is a classification loss; use GDClassifier"):
        pygdx.GDRegressor(loss=pygdx.losses.Hinge()).fit(X, y)
    with pytest.raises(ValueError, match="SquaredError is a regression loss; use GDRegressor"):
        pygdx.GDClassifier(loss=pygdx.losses.SquaredError()).fit(X, y > 0)


def test_partial_fit_refuses_balanced_class_weight(data):
    X, y = data
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        pygdx.GDClassifier(class_weight="balanced").partial_fit(X, y > 0, classes=[False, True])


def test_prediction_dtype_follows_the_input(data):
    X, y = data
    est = pygdx.GDRegressor(max_iter=2, tol=None).fit(X.astype(np.float32), y.astype(np.float32))
    assert est.coef_.dtype == np.float32
    assert est.predict(X).dtype == np.float64
    assert est.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est.predict(X), est.predict(X.astype(np.float32)), rtol=1e-5, atol=1e-5)


def test_n_threads_in_optimizer_params_is_accepted(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer_params={"n_threads": 1}, max_iter=2, tol=None).fit(X, y)
    assert est._optimizer.n_threads == 1


def test_dask_mini_batch_overflow_rolls_back_weights_and_optimizer_state():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    import pygdx.dask

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    y = X @ np.array([1.0, 2.0, -1.0, 0.5])
    dX, dy = da.from_array(X, chunks=(32, 4)), da.from_array(y, chunks=32)
    est = pygdx.GDRegressor(optimizer="momentum", lr=1e307, batch_size=8, max_iter=3, penalty=None, shuffle=False)
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError, match="NaN or infinite"):
        pygdx.dask.fit(est, dX, dy)
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)


def test_a_growing_loss_is_an_error_in_the_python_api_too():
    from pygdx.datasets import make_classification, make_regression

    X, y, _ = make_regression(n_samples=1000, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="training diverged: the loss grew from .* try a smaller lr"):
        pygdx.GDRegressor(optimizer="sgd", lr=10.0, batch_size=None).fit(X, y)
    Xc, yc = make_classification(n_samples=500, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="training diverged"):
        pygdx.GDClassifier(optimizer="sgd", lr=1e4, batch_size=None).fit(Xc * 100, yc)
    # a converging fit whose loss wobbles is not divergence
    est = pygdx.GDRegressor(optimizer="momentum", lr=0.1, batch_size=None, max_iter=200, tol=None).fit(X, y)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_full_batch_fits_are_identical_without_a_random_state(data):
    X, y = data
    fits = [pygdx.GDRegressor(optimizer="adam", batch_size=None, max_iter=20, tol=None).fit(X, y) for _ in range(2)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


# At 100 features: 24 rows are read in column halves on one thread, 32, 64 and 256 rows are
# cut into parts shared by a team of threads (one member with n_jobs=1); neither may change a
# bit of the fit. An l2 penalty: an l1 part would send every epoch to the l1 path.
@pytest.mark.parametrize("batch_size, path", [(24, "column_halves"), (32, "team_parts"), (64, "team_parts"),
                                              (256, "team_parts")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("estimator", ["regressor", "classifier"])
def test_team_and_column_paths_give_the_same_fit_for_every_n_jobs(batch_size, path, dtype, estimator):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 100)).astype(dtype)
    score = X[:, :5].sum(axis=1)
    if estimator == "regressor":
        make, y, loss = pygdx.GDRegressor, score, "squared_error"
    else:
        make, y, loss = pygdx.GDClassifier, (score > 0).astype(int), "log_loss"
    hyper = pygdx.optim.get("adam", [np.zeros(101, dtype=dtype)], lr=1e-3).core_buffers()[0]
    assert _core.linear_epoch_path(make_problem(loss, "l2", alpha=1e-4, n_features=100), batch_size, hyper) == path
    fits = [make(optimizer="adam", lr=1e-3, batch_size=batch_size, max_iter=3, tol=None, penalty="l2",
                 alpha=1e-4, random_state=0, n_jobs=n_jobs).fit(X, y) for n_jobs in (None, 2, -1)]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.coef_, fits[0].coef_)
        np.testing.assert_array_equal(other.intercept_, fits[0].intercept_)
        assert other.loss_curve_ == fits[0].loss_curve_
    assert fits[0].coef_.dtype == dtype


@pytest.mark.parametrize("batch_size", [1, 48, 200])
def test_float32_mini_batch_fits_do_not_depend_on_n_jobs(batch_size):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 4096)).astype(np.float32)
    y = X[:, :5].sum(axis=1)
    fits = [pygdx.GDRegressor(optimizer="sgd", lr=1e-4, batch_size=batch_size, max_iter=2, tol=None,
                              random_state=0, n_jobs=n_jobs).fit(X, y) for n_jobs in (None, 2)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(fits[0].intercept_, fits[1].intercept_)
