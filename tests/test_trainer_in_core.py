"""Early stopping and reduce-on-plateau run in the core's trainer (issue 10): a fit with either
returns to Python once per many epochs, not once per epoch, with the answers of the
per-epoch Python rules (the held-out score of the estimators, ReduceLROnPlateau.observe)."""

import math

import numpy as np
import pytest

import pygdx
from pygdx import _core, _metrics, _training
from pygdx.schedules import ReduceLROnPlateau


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0, 0.0]) + 0.5 * rng.normal(size=400)


@pytest.fixture
def classes():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4))
    y = np.argmax(X[:, :3] + 0.8 * rng.normal(size=(400, 3)), axis=1)
    return X, y


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls into the core's trainer (LinearTrainer.run) during a test."""
    counted = []

    class Counting(_core.LinearTrainer):
        def run(self, *args, **kwargs):
            counted.append(args[2])  # epochs asked for
            return super().run(*args, **kwargs)

    monkeypatch.setattr(_core, "LinearTrainer", Counting)
    return counted


@pytest.mark.parametrize("how", ["early_stopping", "plateau"])
def test_the_fit_returns_to_python_once_per_1024_epochs(regression, calls, how, monkeypatch):
    X, y = regression
    monkeypatch.setattr(_training, "EPOCHS_PER_CALL", 1024)  # the call size this test counts in
    params = dict(max_iter=3000, tol=None, batch_size=None, random_state=0)
    if how == "early_stopping":
        est = pygdx.GDRegressor(early_stopping=True, lr=1e-4, **params)
    else:
        est = pygdx.GDRegressor(lr=ReduceLROnPlateau(1e-4, patience=3), **params)
    est.fit(X, y)  # tol=None: every epoch runs
    assert est.n_iter_ == 3000
    assert calls == [1024, 1024, 952]
    if how == "early_stopping":
        assert len(est.validation_scores_) == 3000


def python_scored(monkeypatch):
    """Make the in-memory source withhold its held-out rows from the core: the fit then
    scores them in Python after every epoch (the path of sources without core scoring)."""
    monkeypatch.setattr(_training.InMemory, "held_out", lambda self, plan, problem: None)


CASES = {
    "regressor": lambda: pygdx.GDRegressor(lr=0.002, batch_size=32),
    "regressor-weighted-f32": lambda: pygdx.GDRegressor(lr=0.002, batch_size=32),
    "binary": lambda: pygdx.GDClassifier(lr=0.01, batch_size=16, optimizer="adam"),
    "binary-balanced": lambda: pygdx.GDClassifier(lr=0.01, batch_size=16, optimizer="sgd", class_weight="balanced"),
    "multiclass": lambda: pygdx.GDClassifier(lr=0.01, batch_size=None, optimizer="rmsprop"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_early_stopping_in_the_core_equals_scoring_in_python(regression, classes, monkeypatch, case, n_jobs):
    X, y = regression if case.startswith("regressor") else classes
    if case.startswith("binary"):
        y = y == 0  # a third of the rows: unbalanced
    sw = None
    if case == "regressor-weighted-f32":
        X, y = X.astype(np.float32), y.astype(np.float32)
        sw = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    settings = dict(early_stopping=True, validation_fraction=0.25, n_iter_no_change=4, tol=1e-4, max_iter=400,
                    random_state=0, n_jobs=n_jobs)
    core = CASES[case]().set_params(**settings).fit(X, y, sample_weight=sw)
    with monkeypatch.context() as m:
        python_scored(m)
        python = CASES[case]().set_params(**settings).fit(X, y, sample_weight=sw)
    assert 3 < core.n_iter_ < 400  # it stopped early
    assert core.n_iter_ == python.n_iter_
    assert core.loss_curve_ == python.loss_curve_
    np.testing.assert_array_equal(core.coef_, python.coef_)  # the same best epoch, restored
    np.testing.assert_array_equal(core.intercept_, python.intercept_)
    assert core.t_ == python.t_
    if case.startswith("regressor") or case == "binary-balanced":
        # weighted sums, in the core in row order, in Python by NumPy's dot: the last bits may differ
        np.testing.assert_allclose(core.validation_scores_, python.validation_scores_, rtol=1e-12, atol=1e-14)
    else:
        assert core.validation_scores_ == python.validation_scores_  # count / rows, exactly


def test_held_out_scores_are_the_estimators_scores(regression, classes):
    X, y = regression
    rows = np.arange(300, 400, dtype=np.int64)
    reg = pygdx.GDRegressor(max_iter=5, tol=None, random_state=0).fit(X[:300], y[:300])
    problem = reg._problem()
    held = _core.DenseHeldOut(problem, X, y, None, rows, _core.ValidationCriterion.r2)
    theta = np.r_[reg.coef_, reg.intercept_]
    assert held.score(theta) == pytest.approx(reg.score(X[300:], y[300:]), rel=1e-13)
    sw = np.linspace(0.5, 2.0, len(y))
    weighted = _core.DenseHeldOut(problem, X, y, sw, rows, _core.ValidationCriterion.r2)
    assert weighted.score(theta) == pytest.approx(reg.score(X[300:], y[300:], sample_weight=sw[300:]), rel=1e-13)

    Xc, yc = classes
    clf = pygdx.GDClassifier(max_iter=5, tol=None, random_state=0).fit(Xc[:300], yc[:300])
    problem = clf._problem()
    theta = np.r_[clf.coef_.ravel(), clf.intercept_]
    held = _core.DenseHeldOut(problem, Xc, yc.astype(np.float64), None, rows, _core.ValidationCriterion.accuracy)
    assert held.score(theta) == clf.score(Xc[300:], yc[300:])
    held = _core.DenseHeldOut(problem, Xc, yc.astype(np.float64), sw, rows, _core.ValidationCriterion.accuracy)
    assert held.score(theta) == pytest.approx(clf.score(Xc[300:], yc[300:], sample_weight=sw[300:]), rel=1e-14)


def test_held_out_rows_are_checked_once_with_clear_errors(regression):
    X, y = regression
    problem = _core.LinearProblem(_core.LossKind.squared_error, 5, 1, True, 0.1, _core.PenaltyKind.none, 0.0, 0.15)
    with pytest.raises(IndexError, match="out of range"):
        _core.DenseHeldOut(problem, X, y, None, np.array([0, 400]), _core.ValidationCriterion.r2)
    three = _core.LinearProblem(_core.LossKind.multinomial, 5, 3, True, 0.1, _core.PenaltyKind.none, 0.0, 0.15)
    with pytest.raises(ValueError, match="single-output"):
        _core.DenseHeldOut(three, X, np.zeros(400), None, np.arange(4), _core.ValidationCriterion.r2)
    held = _core.DenseHeldOut(problem, X, y, None, np.arange(4), _core.ValidationCriterion.r2)
    with pytest.raises(ValueError, match="dtype"):
        held.score(np.zeros(6, dtype=np.float32))


def plateau_oracle(X, y, lr, batch_size, max_iter, seed):
    """The fit loop of a plateau schedule as Python ran it before: one epoch per call into
    the core, ReduceLROnPlateau.observe(loss) in Python after each. Returns the weights, the
    loss curve and the rate of every epoch."""
    n, d = X.shape
    theta = np.zeros(d + 1)
    opt = pygdx.optim.get("sgd", [theta], lr=lr, weight_decay=0.0, n_threads=1)
    problem = _core.LinearProblem(_core.LossKind.squared_error, d, 1, True, 0.1, _core.PenaltyKind.l2, 1e-4, 0.15)
    rng = np.random.default_rng(seed)
    order = np.arange(n, dtype=np.int64)
    curve, rates = [], []
    for _ in range(max_iter):
        hyper, _, counters, states = opt.core_buffers()
        rates.append(lr.lr * lr.scale)
        loss, _, finite = _core.linear_epoch(problem, X, y, None, order, batch_size, hyper, lr.to_core(), counters,
                                             theta, states, 1, int(rng.integers(0, 2**63)))
        assert finite
        curve.append(loss)
        lr.observe(loss)
    return theta, curve, rates


@pytest.mark.parametrize("options", [dict(patience=2), dict(patience=0, cooldown=2, threshold=1e-2),
                                     dict(patience=1, threshold_mode="abs", threshold=1e-3, min_lr=0.01)])
def test_a_plateau_schedule_stepped_in_the_core_gives_the_rates_of_observe(regression, options):
    X, y = regression
    theta, curve, rates = plateau_oracle(X, y, ReduceLROnPlateau(0.05, factor=0.5, **options), 16, 60, 3)
    schedule = ReduceLROnPlateau(0.05, factor=0.5, **options)
    seen = []
    params = dict(optimizer="sgd", lr=schedule, batch_size=16, max_iter=60, tol=None, random_state=3)
    watched = pygdx.GDRegressor(**params, callbacks=[lambda est, info: seen.append(info["lr"])]).fit(X, y)
    many = pygdx.GDRegressor(**params).fit(X, y)
    assert rates[1:] == seen[:-1]  # the rate after each epoch is the next epoch's rate
    assert seen[-1] < seen[0]  # the plateaus did lower it
    for est in (watched, many):
        assert est.loss_curve_ == curve
        np.testing.assert_array_equal(np.r_[est.coef_, est.intercept_], theta)
    assert schedule.scale == 1.0 and math.isinf(schedule.best)  # the user's schedule was not stepped
    fitted = many._optimizer.lr
    oracle = ReduceLROnPlateau(0.05, factor=0.5, **options)
    for loss in curve:
        oracle.observe(loss)
    assert (fitted.scale, fitted.best, fitted.num_bad_epochs, fitted.cooldown_counter) == (
        oracle.scale, oracle.best, oracle.num_bad_epochs, oracle.cooldown_counter)


def test_a_schedule_that_observes_in_python_still_observes_every_epoch(regression, calls):
    """A rate with ``observe`` whose core record is not a plateau (a user's own) is fed by
    Python after every epoch, as before."""
    X, y = regression
    fed = []

    class Halving(pygdx.schedules.StepLR):
        def observe(self, loss):
            fed.append(loss)
            return False

    est = pygdx.GDRegressor(lr=Halving(0.01, step_size=1000), max_iter=7, tol=None, random_state=0).fit(X, y)
    assert fed == est.loss_curve_ and calls == [1] * 7
