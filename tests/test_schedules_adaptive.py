"""AdaptiveLR, scikit-learn's "adaptive" learning rate: the rule against a plain-Python copy of
_sgd_fast's, and fits equal to SGDRegressor / SGDClassifier(learning_rate="adaptive")."""

import math
import pickle
import warnings

import numpy as np
import pytest

import pygdx
from pygdx.schedules import AdaptiveLR


def scikit_learn_rates(losses, eta0, tol, n_iter_no_change):
    """The rate of every epoch and the epoch where training stops, by _sgd_fast's loop."""
    eta, best, bad, rates = eta0, math.inf, 0, []
    for epoch, loss in enumerate(losses, start=1):
        rates.append(eta)
        bad = bad + 1 if tol is not None and loss > best - tol else 0
        best = min(best, loss)
        if bad >= n_iter_no_change:
            if eta > 1e-6:
                eta, bad = eta / 5, 0
            else:
                return rates, epoch
    return rates, None


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.5 * rng.normal(size=60)


def test_observe_follows_scikit_learns_rule():
    rng = np.random.default_rng(1)
    losses = list(np.maximum.accumulate(rng.uniform(0, 1, 80))[::-1] + rng.uniform(0, 0.01, 80))
    s = AdaptiveLR(0.1, tol=1e-3, n_iter_no_change=3)
    expected, stop = scikit_learn_rates(losses, 0.1, 1e-3, 3)
    seen = []
    for loss in losses:
        seen.append(s(1))
        s.observe(loss)
        if s.finished:
            break
    assert seen == expected[: len(seen)] and len(set(seen)) > 2
    assert (len(seen) if s.finished else None) == stop


def test_rates_and_coefficients_equal_scikit_learns(data):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = data
    for eta0, tol, n_iter_no_change in [(0.1, 1e-3, 3), (0.05, 1e-2, 2), (0.3, 0.0, 5)]:
        rates = []

        class Rates(pygdx.callbacks.Callback):
            def on_epoch_end(self, est, info):
                rates.append(info["lr"])

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the last case runs to max_iter in both
            theirs = linear_model.SGDRegressor(learning_rate="adaptive", eta0=eta0, penalty=None, tol=tol,
                                               n_iter_no_change=n_iter_no_change, shuffle=False,
                                               max_iter=300).fit(X, y)
            ours = pygdx.GDRegressor(optimizer="sgd", lr=AdaptiveLR(eta0), penalty=None, tol=tol,
                                     n_iter_no_change=n_iter_no_change, batch_size=1, shuffle=False, max_iter=300,
                                     callbacks=[Rates()]).fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-9)
        # the rate after each epoch is the next epoch's rate in scikit-learn's loop
        expected, stop = scikit_learn_rates(ours.loss_curve_, eta0, tol, n_iter_no_change)
        np.testing.assert_array_equal(rates[:-1], expected[1:])
        assert stop == (ours.n_iter_ if ours.n_iter_ < 300 else None)
        assert min(rates) < eta0  # the rate was divided


def test_classifier_and_a_tol_of_none(data):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = data
    labels = (y > 0).astype(int)
    theirs = linear_model.SGDClassifier(loss="hinge", learning_rate="adaptive", eta0=0.2, alpha=0.01, tol=1e-2,
                                        n_iter_no_change=2, shuffle=False, max_iter=200).fit(X, labels)
    ours = pygdx.GDClassifier(loss="hinge", optimizer="sgd", lr=AdaptiveLR(0.2), penalty=None, alpha=0.0, tol=1e-2,
                              n_iter_no_change=2, batch_size=1, shuffle=False, max_iter=200)
    theirs_plain = linear_model.SGDClassifier(loss="hinge", learning_rate="adaptive", eta0=0.2, penalty=None,
                                              tol=1e-2, n_iter_no_change=2, shuffle=False, max_iter=200).fit(X, labels)
    ours.fit(X, labels)
    assert ours.n_iter_ == theirs_plain.n_iter_ and theirs.n_iter_ > 0
    np.testing.assert_allclose(ours.coef_, theirs_plain.coef_, atol=1e-9)
    # tol=None: scikit-learn never divides the rate, and the fit runs to max_iter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        none = pygdx.GDRegressor(optimizer="sgd", lr=AdaptiveLR(0.01), tol=None, batch_size=1, max_iter=30,
                                 shuffle=False).fit(X, y)
    assert none.n_iter_ == 30 and none._optimizer.current_lr == 0.01


def test_its_own_tol_and_the_estimators(data):
    X, y = data
    own = pygdx.GDRegressor(optimizer="sgd", lr=AdaptiveLR(0.1, tol=1e-2, n_iter_no_change=2), tol=None,
                            batch_size=1, shuffle=False, max_iter=300).fit(X, y)
    same = pygdx.GDRegressor(optimizer="sgd", lr=AdaptiveLR(0.1), tol=1e-2, n_iter_no_change=2, batch_size=1,
                             shuffle=False, max_iter=300).fit(X, y)
    assert own.n_iter_ == same.n_iter_ < 300
    np.testing.assert_array_equal(own.coef_, same.coef_)
    # every fit starts from the base rate; the estimator's parameter is never changed
    again = same.fit(X, y)
    assert again.n_iter_ == own.n_iter_ and same.lr.rate == 0.1 and same.lr == AdaptiveLR(0.1)


def test_early_stopping_watches_the_validation_score(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", lr=AdaptiveLR(0.05), tol=1e-3, n_iter_no_change=2, batch_size=4,
                            early_stopping=True, validation_fraction=0.25, max_iter=500, random_state=0).fit(X, y)
    assert est.n_iter_ < 500 and len(est.validation_scores_) == est.n_iter_
    assert est._optimizer.lr.finished


def test_protocol_pickle_and_checks():
    sklearn_base = pytest.importorskip("sklearn.base")
    s = AdaptiveLR(0.1, factor=0.5, tol=1e-4, n_iter_no_change=4)
    assert type(s).__module__ == "pygdx.schedules" and "AdaptiveLR" in pygdx.schedules.__all__
    assert repr(s) == "AdaptiveLR(lr=0.1, factor=0.5, tol=0.0001, n_iter_no_change=4, min_lr=1e-06)"
    assert sklearn_base.clone(pygdx.GDRegressor(lr=s)).lr == s
    for _ in range(5):
        s.observe(1.0)
    assert s(1) == 0.05
    back = pickle.loads(pickle.dumps(s))
    assert back(1) == 0.05 and back.num_bad_epochs == s.num_bad_epochs
    for bad in ({"factor": 1.0}, {"tol": -1.0}, {"n_iter_no_change": 0}, {"min_lr": -1.0}):
        with pytest.raises(ValueError):
            AdaptiveLR(0.1, **bad)
    opt = pygdx.optim.SGD([np.zeros(2)], lr=AdaptiveLR(1.0, n_iter_no_change=1))
    opt.lr.observe(1.0)
    opt.lr.observe(2.0)
    assert opt.current_lr == 0.2  # a plain optimizer loop sees the new rate at its next step


def test_observe_refuses_texts_and_nan_and_changes_nothing():
    s = AdaptiveLR(0.1, n_iter_no_change=1, tol=0.0)
    s.observe(1.0)
    with pytest.raises(TypeError):
        s.observe("0.5")
    with pytest.raises(ValueError, match="NaN"):
        s.observe(float("nan"))
    assert s.num_bad_epochs == 0 and s.best == 1.0 and s.rate == 0.1
    assert s.observe(2.0) and s.rate == 0.1 / 5
