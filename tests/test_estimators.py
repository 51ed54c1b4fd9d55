"""GDRegressor and GDClassifier: tight fits equal scikit-learn's closed forms and solvers on
its bundled data sets, mini-batch and stochastic runs reach the optimum, float32 stays
float32, and the training-loop features (early stopping, warm start, partial_fit, class
weights, custom losses, non-finite stops, input checks)."""

import sys
import warnings

import numpy as np
import pytest

import pygdx
from pygdx import losses
from pygdx.reference import linear as ref

datasets = pytest.importorskip("sklearn.datasets")
linear_model = pytest.importorskip("sklearn.linear_model")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


def _standardise(X):
    std = X.std(axis=0)
    return np.ascontiguousarray((X - X.mean(axis=0)) / np.where(std > 0, std, 1.0))


@pytest.fixture(scope="module")
def diabetes():
    X, y = datasets.load_diabetes(return_X_y=True)
    return _standardise(X), (y - y.mean()) / y.std()


@pytest.fixture(scope="module")
def cancer():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    return _standardise(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits(return_X_y=True)
    return _standardise(X), y


TIGHT = dict(optimizer="nesterov", batch_size=None, tol=None, alpha=0.01)


def objective(est, X, y):
    """The estimator's full-batch training objective at its current weights (NumPy reference)."""
    K = est._n_outputs
    coef = est._theta[: K * X.shape[1]].reshape(K, -1)
    intercept = est._theta[K * X.shape[1]:]
    if est._estimator_type == "regressor":
        loss, target = est._loss_object(), y
    elif K == 1:
        loss, target = losses.LogLoss(), np.where(y == est.classes_[1], 1.0, -1.0)
    else:
        loss, target = losses.MultinomialLogLoss(), np.searchsorted(est.classes_, y)
    return ref.loss_grad(loss, X, target, coef, intercept, penalty=est.penalty, alpha=est.alpha)[0]


def test_squared_error_l2_equals_ridge(diabetes):
    X, y = diabetes
    est = pygdx.GDRegressor(lr=0.3, max_iter=3000, **TIGHT).fit(X, y)
    ridge = linear_model.Ridge(alpha=len(y) * 0.01).fit(X, y)
    np.testing.assert_allclose(est.coef_, ridge.coef_, rtol=1e-4, atol=1e-4 * np.abs(ridge.coef_).max())
    np.testing.assert_allclose(est.intercept_, ridge.intercept_, atol=1e-8)


def test_log_loss_l2_equals_logistic_regression_binary(cancer):
    X, y = cancer
    est = pygdx.GDClassifier(lr=0.5, max_iter=3000, **TIGHT).fit(X, y)
    lr = linear_model.LogisticRegression(C=1 / (len(y) * 0.01), tol=1e-12, max_iter=10_000).fit(X, y)
    scale = np.abs(lr.coef_).max()
    np.testing.assert_allclose(est.coef_, lr.coef_, rtol=1e-4, atol=1e-4 * scale)
    np.testing.assert_allclose(est.intercept_, lr.intercept_, atol=1e-4 * scale)
    np.testing.assert_allclose(est.predict_proba(X), lr.predict_proba(X), atol=1e-5)


def test_log_loss_l2_equals_logistic_regression_multinomial(digits):
    X, y = digits
    est = pygdx.GDClassifier(lr=0.5, max_iter=1500, **TIGHT).fit(X, y)
    lr = linear_model.LogisticRegression(C=1 / (len(y) * 0.01), solver="newton-cg", tol=1e-10,
                                         max_iter=10_000).fit(X, y)
    scale = np.abs(lr.coef_).max()
    np.testing.assert_allclose(est.coef_, lr.coef_, rtol=1e-4, atol=1e-4 * scale)
    # The softmax is unchanged by a common shift of the intercepts, which are not penalised.
    np.testing.assert_allclose(est.intercept_ - est.intercept_.mean(), lr.intercept_ - lr.intercept_.mean(),
                               atol=1e-4 * scale)


STOCHASTIC_SETTINGS = [
    ("regressor", 32, "adam", 0.001),
    ("regressor", 1, "sgd", pygdx.schedules.InverseTimeLR(0.01, power_t=0.5)),
    ("regressor", 1, "adam", 0.0005),
    ("classifier", 32, "adam", 0.005),
    ("classifier", 1, "sgd", pygdx.schedules.OptimalLR(alpha=0.01)),
    ("classifier", 1, "adam", 0.0005),
]


@pytest.mark.parametrize("kind, batch_size, optimizer, lr", STOCHASTIC_SETTINGS)
def test_mini_batch_and_stochastic_reach_the_optimum_within_one_percent(diabetes, cancer, kind, batch_size,
                                                                         optimizer, lr):
    cls, (X, y), tight_lr = (pygdx.GDRegressor, diabetes, 0.3) if kind == "regressor" else (
        pygdx.GDClassifier, cancer, 0.5)
    best = objective(cls(lr=tight_lr, max_iter=3000, **TIGHT).fit(X, y), X, y)
    est = cls(optimizer=optimizer, lr=lr, batch_size=batch_size, max_iter=60, tol=None, alpha=0.01,
              random_state=0).fit(X, y)
    assert best <= objective(est, X, y) <= best * 1.01


def test_float32_stays_float32_and_agrees_with_float64(diabetes, digits):
    X, y = diabetes
    kw = dict(batch_size=16, max_iter=20, tol=None, random_state=3)
    e64 = pygdx.GDRegressor(**kw).fit(X, y)
    e32 = pygdx.GDRegressor(**kw).fit(X.astype(np.float32), y.astype(np.float32))
    assert e32.coef_.dtype == np.float32 and e32.intercept_.dtype == np.float32
    assert e32.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(e32.coef_, e64.coef_, rtol=1e-3, atol=1e-4)
    Xd, yd = digits
    c64 = pygdx.GDClassifier(**kw).fit(Xd, yd)
    c32 = pygdx.GDClassifier(**kw).fit(Xd.astype(np.float32), yd)
    assert c32.predict_proba(Xd[:5].astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(c32.coef_, c64.coef_, rtol=1e-3, atol=1e-3)


def test_same_random_state_same_model_and_threads_agree(cancer):
    X, y = cancer
    a = pygdx.GDClassifier(random_state=7, max_iter=5, tol=None).fit(X, y)
    b = pygdx.GDClassifier(random_state=7, max_iter=5, tol=None).fit(X, y)
    c = pygdx.GDClassifier(random_state=8, max_iter=5, tol=None).fit(X, y)
    assert np.array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)
    full1 = pygdx.GDClassifier(batch_size=None, max_iter=20, tol=None, n_jobs=1, random_state=0).fit(X, y)
    full2 = pygdx.GDClassifier(batch_size=None, max_iter=20, tol=None, n_jobs=-1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(full1.coef_, full2.coef_)
    Xb = np.ascontiguousarray(np.tile(X, (10, 1)))  # enough rows for several chunks and threads
    yb = np.tile(y, 10)
    one = pygdx.GDClassifier(batch_size=None, max_iter=3, tol=None, n_jobs=1, random_state=0).fit(Xb, yb)
    every = pygdx.GDClassifier(batch_size=None, max_iter=3, tol=None, n_jobs=-1, random_state=0).fit(Xb, yb)
    np.testing.assert_array_equal(one.coef_, every.coef_)


def test_custom_loss_trains_through_numpy_with_the_same_result(diabetes):
    class MySquaredError(losses.Loss):
        def value(self, y, z):
            return 0.5 * (z - y) ** 2

        def derivative(self, y, z):
            return z - y

    X, y = diabetes
    kw = dict(batch_size=50, max_iter=3, tol=None, random_state=0, penalty="elasticnet", alpha=0.01)
    builtin = pygdx.GDRegressor(loss="squared_error", **kw).fit(X, y)
    custom = pygdx.GDRegressor(loss=MySquaredError(), **kw).fit(X, y)
    np.testing.assert_allclose(custom.coef_, builtin.coef_, rtol=1e-10)
    np.testing.assert_allclose(custom.loss_curve_, builtin.loss_curve_, rtol=1e-10)
    assert custom.t_ == builtin.t_ == 3 * 9


def test_one_vs_rest_hinge_equals_separate_binary_fits(digits):
    X, y = digits
    kw = dict(loss="hinge", batch_size=64, max_iter=3, tol=None, random_state=1)
    ovr = pygdx.GDClassifier(**kw).fit(X, y)
    for k in (0, 7):
        binary = pygdx.GDClassifier(**kw).fit(X, np.where(y == k, 1, -1))
        np.testing.assert_allclose(ovr.coef_[k], binary.coef_[0], rtol=1e-10, atol=1e-12)
    assert not hasattr(ovr, "predict_proba")
    mh = pygdx.GDClassifier(loss="modified_huber", max_iter=5, tol=None, random_state=0).fit(X, y)
    np.testing.assert_allclose(mh.predict_proba(X).sum(axis=1), 1.0)


def test_convergence_warning_tol_and_n_iter(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match="Maximum number of iteration"):
        est = pygdx.GDRegressor(max_iter=3, random_state=0).fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    assert est.t_ == 3 * int(np.ceil(len(y) / 32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = pygdx.GDRegressor(tol=1e-3, max_iter=1000, random_state=0).fit(X, y)
        pygdx.GDRegressor(tol=None, max_iter=3).fit(X, y)
    assert est.n_iter_ < 1000
    # stopped after n_iter_no_change epochs without improving the best loss by tol
    curve = np.array(est.loss_curve_)
    best_before = curve[: -est.n_iter_no_change].min()
    assert np.all(curve[-est.n_iter_no_change:] > best_before - 1e-3)


def test_early_stopping_keeps_the_best_validation_weights(cancer):
    X, y = cancer
    est = pygdx.GDClassifier(early_stopping=True, validation_fraction=0.2, n_iter_no_change=3, max_iter=200,
                             lr=0.05, random_state=0).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_
    # Recompute the split the estimator used and score the restored weights on it.
    rng = np.random.default_rng(0)
    _, val_rows = est._validation_split(np.where(y == 1, 1.0, -1.0), rng)
    assert len(val_rows) == pytest.approx(0.2 * len(y), abs=2)
    assert est.score(X[val_rows], y[val_rows]) == pytest.approx(max(est.validation_scores_))


def test_warm_start_and_partial_fit(diabetes, cancer):
    X, y = diabetes
    one = pygdx.GDRegressor(max_iter=1, tol=None, random_state=0).fit(X, y)
    part = pygdx.GDRegressor(random_state=0).partial_fit(X, y)
    np.testing.assert_array_equal(one.coef_, part.coef_)
    part.partial_fit(X, y)
    assert part.n_iter_ == 2 and part.t_ == 2 * 14
    warm = pygdx.GDRegressor(max_iter=2, tol=None, warm_start=True, random_state=0).fit(X, y)
    before = warm.coef_.copy()
    warm.fit(X, y)
    cold = pygdx.GDRegressor(max_iter=2, tol=None, random_state=0).fit(X, y)
    assert not np.array_equal(warm.coef_, before) and not np.array_equal(warm.coef_, cold.coef_)
    Xc, yc = cancer
    clf = pygdx.GDClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(Xc, yc)
    clf.partial_fit(Xc[:100], yc[:100], classes=[0, 1]).partial_fit(Xc[100:], yc[100:])
    assert list(clf.classes_) == [0, 1]
    with pytest.raises(ValueError, match="X has 5 features, but GDClassifier is expecting 30"):
        clf.partial_fit(Xc[:, :5], yc)


def test_class_weight_balanced_equals_its_dict(cancer):
    X, y = cancer
    counts = np.bincount(y)
    weights = {c: len(y) / (2 * counts[c]) for c in (0, 1)}
    kw = dict(max_iter=3, tol=None, random_state=0)
    a = pygdx.GDClassifier(class_weight="balanced", **kw).fit(X, y)
    b = pygdx.GDClassifier(class_weight=weights, **kw).fit(X, y)
    c = pygdx.GDClassifier(**kw).fit(X, y, sample_weight=np.array([weights[v] for v in y]))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    np.testing.assert_allclose(a.coef_, c.coef_, rtol=1e-12)


def test_divergence_raises_naming_the_epoch_and_leaves_the_estimator_unfitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * 1e3
    y = X @ np.arange(5.0)
    est = pygdx.GDRegressor(optimizer="sgd", lr=10.0, penalty=None, batch_size=10, random_state=0)
    with pytest.raises(ValueError, match=r"NaN or infinite during epoch \d+.*smaller lr or standardise X"):
        est.fit(X, y)
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)


def test_input_checks_have_scikit_learn_messages():
    X = np.ones((5, 3))
    y = np.arange(5.0)
    est = pygdx.GDRegressor()
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(np.where(X > 0, np.nan, 0), y)
    with pytest.raises(ValueError, match="Input X contains infinity"):
        est.fit(np.full((5, 3), np.inf), y)
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        est.fit(np.empty((0, 3)), [])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:4])
    with pytest.raises(ValueError, match="Expected 2D array"):
        est.fit(y, y)
    est.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but GDRegressor is expecting 3 features"):
        est.predict(X[:, :2])
    with pytest.raises(ValueError, match="unknown optimizer 'bogus'"):
        pygdx.GDRegressor(optimizer="bogus").fit(X, y)
    with pytest.raises(ValueError, match="batch_size must be None"):
        pygdx.GDRegressor(batch_size=0).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        pygdx.GDClassifier().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="classes has to be greater than one"):
        pygdx.GDClassifier().fit(X, np.zeros(5))


def test_read_only_memmap_and_fortran_inputs(tmp_path, diabetes):
    X, y = diabetes
    np.save(tmp_path / "X.npy", X)
    X_map = np.load(tmp_path / "X.npy", mmap_mode="r")
    kw = dict(max_iter=3, tol=None, random_state=0)
    expected = pygdx.GDRegressor(**kw).fit(X, y)
    from_map = pygdx.GDRegressor(**kw).fit(X_map, y)
    from_fortran = pygdx.GDRegressor(**kw).fit(np.asfortranarray(X), y)
    np.testing.assert_array_equal(from_map.coef_, expected.coef_)
    np.testing.assert_array_equal(from_fortran.coef_, expected.coef_)
    np.testing.assert_array_equal(from_map.predict(X_map), expected.predict(X))


def test_verbose_prints_each_epoch(diabetes, capsys):
    X, y = diabetes
    pygdx.GDRegressor(max_iter=2, tol=None, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("-- Epoch") == 2 and "Avg. loss" in out


def test_works_without_scikit_learn(monkeypatch, diabetes):
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes "import sklearn" raise ImportError
    X, y = diabetes
    est = pygdx.GDRegressor(max_iter=2, random_state=0)
    with pytest.warns(pygdx.estimators.ConvergenceWarning):
        est.fit(X, y)
    assert est.score(X, y) > 0.0
    assert est.get_params()["max_iter"] == 2
    assert est.set_params(max_iter=5).max_iter == 5
    with pytest.raises(pygdx.estimators.NotFittedError):
        pygdx.GDClassifier().predict(X)


def test_non_finite_X_is_reported_as_such_by_every_entry_point(diabetes):
    X, y = diabetes
    bad = X.copy()
    bad[300, 4] = np.nan
    est = pygdx.GDRegressor(random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.partial_fit(bad, y)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    bad[300, 4] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        pygdx.GDClassifier(batch_size=None).fit(bad, y > 0)
    with pytest.raises(ValueError, match="Input X contains infinity"):
        pygdx.GDRegressor(early_stopping=True).fit(bad, y)


def test_pickle_keeps_weights_and_optimizer_state(diabetes):
    import pickle

    X, y = diabetes
    est = pygdx.GDRegressor(optimizer="adam", random_state=0).partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))
    est.partial_fit(X, y)
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.coef_, est.coef_)
    assert copy.t_ == est.t_


def test_plateau_schedule_is_driven_by_the_epoch_loss_and_not_mutated(diabetes):
    X, y = diabetes
    schedule = pygdx.schedules.ReduceLROnPlateau(0.05, factor=0.5, patience=0)
    history = pygdx.callbacks.History()
    pygdx.GDRegressor(optimizer="sgd", lr=schedule, max_iter=30, tol=None, callbacks=[history],
                      random_state=0).fit(X, y)
    rates = [e["lr"] for e in history.epochs]
    assert rates[0] <= 0.05 and rates[-1] < rates[0]
    halvings = np.log2(0.05 / np.array(rates))
    np.testing.assert_allclose(halvings, np.round(halvings), atol=1e-9)  # lr = 0.05 * 0.5**k
    assert schedule.scale == 1.0  # the estimator trained a copy of its parameter


def test_successive_partial_fits_shuffle_differently_but_reproducibly(diabetes):
    X, y = diabetes
    orders = []
    for _ in range(2):
        est = pygdx.GDRegressor(optimizer="sgd", lr=0.01, batch_size=1, random_state=3)
        est.partial_fit(X, y)
        first = est.coef_.copy()
        est.partial_fit(X, y)
        orders.append((first, est.coef_.copy()))
    np.testing.assert_array_equal(orders[0][1], orders[1][1])
    # The second epoch started from the first one's weights with a new order: replaying the
    # first order from those weights gives other weights.
    replay = pygdx.GDRegressor(optimizer="sgd", lr=0.01, batch_size=1, random_state=3).partial_fit(X, y)
    replay._rng = np.random.default_rng(3)
    replay.partial_fit(X, y)
    assert not np.array_equal(replay.coef_, orders[0][1])


def test_overflowing_weights_roll_back_with_the_optimizer_state():
    rng = np.random.default_rng(0)
    X = np.ascontiguousarray(rng.normal(size=(64, 3)))
    est = pygdx.GDRegressor(optimizer="momentum", lr=1e160, batch_size=8, penalty=None, random_state=0)
    est.partial_fit(X, np.zeros(64))  # zero gradients: finite weights and state, 8 steps taken
    assert est.t_ == 8
    buffer = est._optimizer.state[0]["momentum_buffer"]
    buffer[...] = 0.5  # a recognisable state to come back to
    # Finite losses (~1e299) but steps of ~1e310: the first step overflows the weights.
    with pytest.raises(ValueError, match="NaN or infinite during epoch 2"):
        est.partial_fit(X, np.full(64, 1e150))
    np.testing.assert_array_equal(est.coef_, 0.0)
    np.testing.assert_array_equal(est.intercept_, 0.0)
    np.testing.assert_array_equal(buffer, 0.5)
    assert est.t_ == 8


def test_early_stopping_restores_the_optimizer_with_the_weights(cancer):
    X, y = cancer
    est = pygdx.GDClassifier(early_stopping=True, validation_fraction=0.2, n_iter_no_change=3, max_iter=200,
                             lr=0.05, random_state=0).fit(X, y)
    best_epoch = int(np.argmax(est.validation_scores_)) + 1
    assert best_epoch < est.n_iter_  # it trained past the best epoch, then went back
    steps_per_epoch = int(np.ceil(0.8 * len(y) / 32))
    assert est.t_ == pytest.approx(best_epoch * steps_per_epoch, abs=best_epoch)


def test_parameter_names_are_each_class_own_even_when_read_once_per_class():
    # get_params reads a class's __init__ once (the signature is cached per class: every fit
    # asks); a subclass with a parameter of its own, and a later __init__, are still seen.
    class Tuned(pygdx.GDRegressor):
        def __init__(self, *, margin=1.0, **kwargs):
            super().__init__(**kwargs)
            self.margin = margin

    assert "margin" in Tuned(margin=2.0).get_params() and Tuned(margin=2.0).get_params()["margin"] == 2.0
    assert "margin" not in pygdx.GDRegressor().get_params()
    original = Tuned.__init__

    def widened(self, *, margin=1.0, shift=0.0, **kwargs):
        original(self, margin=margin, **kwargs)
        self.shift = shift

    Tuned.__init__ = widened
    assert {"margin", "shift"} <= set(Tuned().get_params())
