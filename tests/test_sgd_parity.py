"""scikit-learn's SGD estimators, part by part, against GDRegressor / GDClassifier: the parts of
scikit-learn's own test_sgd.py that pygdx failed (shared/findings/PEER.md), translated, and
coefficients equal to SGDRegressor's / SGDClassifier's under the same settings (plain SGD,
one row per step, rows in order)."""

import warnings

import numpy as np
import pytest

import pygdx
from pygdx.schedules import OptimalLR

linear_model = pytest.importorskip("sklearn.linear_model")
datasets = pytest.importorskip("sklearn.datasets")

# test_sgd.py's small multiclass set
X2 = np.array([[-1, 1], [-0.75, 0.5], [-1.5, 1.5], [1, 1], [0.75, 0.5], [1.5, 1.5], [-1, -1], [0, -0.5], [1, -1]],
              dtype=float)
Y2 = np.array([1, 1, 1, 2, 2, 2, 3, 3, 3])


def _plain_sgd(est, lr):
    """scikit-learn's settings in pygdx: plain SGD, one row per step, rows in order."""
    return est.set_params(optimizer="sgd", lr=lr, batch_size=1, shuffle=False, tol=None)


@pytest.fixture(scope="module")
def iris():
    return datasets.load_iris()


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=40)
    return X, y


# --- losses (test_loss_hinge, test_gradient_squared_hinge, ...) ---------------------------------

@pytest.mark.parametrize("loss", ["squared_hinge", "perceptron", "hinge", "modified_huber", "log_loss"])
def test_classification_losses_give_scikit_learns_coefficients(small, loss):
    X, y = small
    labels = (y > 0).astype(int)
    theirs = linear_model.SGDClassifier(loss=loss, learning_rate="constant", eta0=0.01, alpha=0.001, shuffle=False,
                                        max_iter=7, tol=None).fit(X, labels)
    ours = _plain_sgd(pygdx.GDClassifier(loss=loss, alpha=0.001, max_iter=7), 0.01).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)


@pytest.mark.parametrize("loss", ["squared_epsilon_insensitive", "epsilon_insensitive", "huber", "squared_error"])
def test_regression_losses_give_scikit_learns_coefficients(small, loss):
    X, y = small
    theirs = linear_model.SGDRegressor(loss=loss, learning_rate="constant", eta0=0.01, alpha=0.001, epsilon=0.2,
                                       shuffle=False, max_iter=7, tol=None).fit(X, y)
    ours = _plain_sgd(pygdx.GDRegressor(loss=loss, alpha=0.001, epsilon=0.2, max_iter=7), 0.01).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)


def test_hinge_steps_at_margin_exactly_one():
    # PEER.md F7: x = ±1, y = ±1 reach margin 1 exactly after the first steps
    X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    theirs = linear_model.SGDClassifier(loss="hinge", learning_rate="constant", eta0=0.5, penalty=None,
                                        fit_intercept=False, shuffle=False, max_iter=5, tol=None).fit(X, y)
    ours = _plain_sgd(pygdx.GDClassifier(loss="hinge", penalty=None, fit_intercept=False, max_iter=5), 0.5).fit(X, y)
    assert ours.coef_[0, 0] == theirs.coef_[0, 0] == 1.5


def test_perceptron_multiclass_and_names(iris):
    est = _plain_sgd(pygdx.GDClassifier(loss="perceptron", penalty=None, max_iter=20), 1.0).fit(iris.data, iris.target)
    theirs = linear_model.SGDClassifier(loss="perceptron", learning_rate="constant", eta0=1.0, penalty=None,
                                        shuffle=False, max_iter=20, tol=None).fit(iris.data, iris.target)
    np.testing.assert_allclose(est.coef_, theirs.coef_, atol=1e-9)
    assert not hasattr(est, "predict_proba")
    with pytest.raises(ValueError, match="GDRegressor"):
        pygdx.GDClassifier(loss=pygdx.losses.SquaredEpsilonInsensitive()).fit(iris.data, iris.target)


# --- small ones: l1_ratio=None, partial_fit and early stopping, predict_proba ------------------

@pytest.mark.parametrize("Estimator", [pygdx.GDRegressor, pygdx.GDClassifier])
def test_l1_ratio_none_unless_elasticnet(Estimator, iris):
    # test_sgd_l1_ratio_not_used / test_sgd_failing_penalty_validation
    X, y = iris.data, iris.target
    a = Estimator(penalty="l1", l1_ratio=None, max_iter=3, tol=None, random_state=0).fit(X, y)
    b = Estimator(penalty="l1", l1_ratio=0.7, max_iter=3, tol=None, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    Estimator(penalty="l2", l1_ratio=None, max_iter=2, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio must be set when penalty is 'elasticnet'"):
        Estimator(penalty="elasticnet", l1_ratio=None).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        Estimator(penalty="l1", l1_ratio="high").fit(X, y)


def test_partial_fit_refuses_early_stopping(iris):
    # test_sgd_early_stopping_with_partial_fit
    X, y = iris.data, iris.target
    with pytest.raises(ValueError, match="early_stopping should be False with partial_fit"):
        pygdx.GDRegressor(early_stopping=True).partial_fit(X, y)
    est = pygdx.GDClassifier(early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping should be False with partial_fit"):
        est.partial_fit(X, y, classes=np.unique(y))
    assert not est.__sklearn_is_fitted__()


def test_predict_proba_is_missing_with_scikit_learns_wording(iris):
    # test_sgd_predict_proba_method_access
    est = pygdx.GDClassifier(loss="hinge", max_iter=2, tol=None).fit(iris.data, iris.target)
    assert not hasattr(est, "predict_proba") and not hasattr(est, "predict_log_proba")
    with pytest.raises(AttributeError, match="has no attribute 'predict_proba'") as info:
        est.predict_proba(iris.data)
    assert str(info.value) == "This 'GDClassifier' has no attribute 'predict_proba'"
    assert isinstance(info.value.__cause__, AttributeError)
    assert "probability estimates are not available for loss='hinge'" in str(info.value.__cause__)
    assert hasattr(est.set_params(loss="modified_huber"), "predict_proba")


# --- coef_init / intercept_init (test_provide_coef, test_set_coef_multiclass, ...) -------------

def test_coef_init_is_the_start_of_a_fit(small):
    X, y = small
    coef, intercept = np.array([0.3, -0.2, 0.1]), 0.4
    # (scikit-learn trains the array given as coef_init in place: it gets a copy)
    theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.01, alpha=0.001, shuffle=False, max_iter=3,
                                       tol=None).fit(X, y, coef_init=coef.copy(), intercept_init=intercept)
    ours = _plain_sgd(pygdx.GDRegressor(alpha=0.001, max_iter=3), 0.01).fit(X, y, coef_init=coef,
                                                                              intercept_init=intercept)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)
    # coef_init wins over warm_start's weights; the given arrays are not written to
    before = coef.copy()
    again = ours.set_params(warm_start=True).fit(X, y, coef_init=coef, intercept_init=[intercept])
    np.testing.assert_allclose(again.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_array_equal(coef, before)


def test_coef_init_multiclass_and_binary(iris):
    X, y = iris.data, iris.target
    coef = np.random.default_rng(1).normal(size=(3, 4))
    est = pygdx.GDClassifier(loss="hinge", max_iter=1, tol=None, lr=1e-9)
    est.fit(X, y, coef_init=coef, intercept_init=np.ones(3))
    np.testing.assert_allclose(est.coef_, coef, atol=1e-6)
    np.testing.assert_allclose(est.intercept_, np.ones(3), atol=1e-6)
    for bad in (np.zeros((2, 4)), np.zeros((3, 3)), np.zeros(4)):
        with pytest.raises(ValueError, match="Provided coef_init does not match dataset"):
            est.fit(X, y, coef_init=bad)
    with pytest.raises(ValueError, match="Provided intercept_init does not match dataset"):
        est.fit(X, y, intercept_init=np.zeros(2))
    binary = y > 0
    est.fit(X, binary, coef_init=np.ones((1, 4)), intercept_init=2.0)
    with pytest.raises(ValueError, match="Provided coef_init does not match dataset"):
        est.fit(X, binary, coef_init=np.ones(5))
    with pytest.raises(ValueError, match="Provided intercept_init does not match dataset"):
        est.fit(X, binary, intercept_init=[1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X, binary, coef_init=[np.nan, 0, 0, 0])
    with pytest.raises(ValueError, match="Provided coef_init does not match dataset"):
        pygdx.GDRegressor().fit(X, y, coef_init=np.ones((2, 4)))


# --- weight decay that cannot overshoot (test_large_regularization) -----------------------------

@pytest.mark.parametrize("batch_size", [1, 16, None])
def test_large_regularization_shrinks_to_zero(iris, batch_size):
    # scikit-learn: w *= max(0, 1 - eta * alpha) before each step, so lr * alpha = 1e4 gives 0.
    # (Not with an l1 part: pygdx's l1 is the subgradient alpha * sign(w), documented, where
    # scikit-learn truncates at zero.)
    penalty = "l2"
    est = pygdx.GDClassifier(loss="hinge", optimizer="sgd", alpha=1e5, lr=0.1, penalty=penalty,
                             shuffle=False, tol=None, max_iter=6, batch_size=batch_size)
    with np.errstate(all="raise"):
        est.fit(iris.data, iris.target)
    if batch_size == 1:  # rows one at a time: the last step's data part leaves these rows at 0
        theirs = linear_model.SGDClassifier(alpha=1e5, learning_rate="constant", eta0=0.1, penalty=penalty,
                                            shuffle=False, tol=None, max_iter=6).fit(iris.data, iris.target)
        np.testing.assert_allclose(est.coef_, theirs.coef_, atol=1e-12)
        np.testing.assert_allclose(est.intercept_, theirs.intercept_, atol=1e-12)
    # every step restarts the coefficients from zero: they are one data step, lr * max |x| at
    # most (hinge's derivative is ±1), never the 1e4-fold growth of an unclamped step
    assert np.abs(est.coef_).max() <= 0.1 * np.abs(iris.data).max()


@pytest.mark.parametrize("batch_size", [1, 16])
def test_the_dense_l1_path_clamps_its_decay_too(iris, batch_size):
    # elasticnet on dense rows trains in core/l1_epoch.hpp: its l2 part (lr * l2 = 1e4 here)
    # must shrink to zero as the other paths do, not overshoot into a divergence
    sparse = pytest.importorskip("scipy.sparse")
    kwargs = dict(loss="hinge", alpha=1e5, max_iter=6, tol=None, shuffle=False, penalty="elasticnet", l1_ratio=1e-9)
    est = pygdx.GDClassifier(optimizer="sgd", lr=0.1, batch_size=batch_size, **kwargs)
    with np.errstate(all="raise"):
        est.fit(iris.data, iris.target)
    assert np.abs(est.coef_).max() <= 0.1 * np.abs(iris.data).max()
    rows = pygdx.GDClassifier(optimizer="sgd", lr=0.1, batch_size=batch_size, **kwargs)
    rows.fit(sparse.csr_matrix(iris.data), iris.target)
    np.testing.assert_allclose(est.coef_, rows.coef_, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, rows.intercept_, atol=1e-12)
    if batch_size == 1:
        theirs = linear_model.SGDClassifier(learning_rate="constant", eta0=0.1, **kwargs).fit(iris.data, iris.target)
        np.testing.assert_allclose(est.coef_, theirs.coef_, atol=1e-12)
        np.testing.assert_allclose(est.intercept_, theirs.intercept_, atol=1e-12)


def test_regression_with_decay_at_the_limit_matches_scikit_learn(small):
    X, y = small
    for alpha in (2.0, 8.0):  # lr * alpha = 1 exactly, and 4
        theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.5, alpha=alpha, shuffle=False, max_iter=4,
                                           tol=None).fit(X / 10, y)
        ours = _plain_sgd(pygdx.GDRegressor(alpha=alpha, max_iter=4), 0.5).fit(X / 10, y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)


def test_clamped_decay_on_a_full_batch_is_one_data_step():
    # full batch (the fused large-batch path): after the clamp, w = -lr * (mean data gradient)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 30))  # large enough for the threaded row pass
    y = X @ rng.normal(size=30)
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.5, alpha=4.0, batch_size=None, max_iter=3, tol=None,
                            fit_intercept=False).fit(X, y)
    previous = pygdx.GDRegressor(optimizer="sgd", lr=0.5, alpha=4.0, batch_size=None, max_iter=2, tol=None,
                                 fit_intercept=False).fit(X, y).coef_
    expected = -0.5 * (X.T @ (X @ previous - y)) / len(y)
    np.testing.assert_allclose(est.coef_, expected, rtol=1e-9, atol=1e-12)


# --- divergence detection: no false alarms, real ones caught -----------------------------------

def test_warm_start_near_the_optimum_trains_to_the_end():
    # test_warm_start_multiclass (PEER.md F3 a): epoch losses 0.49, 0.085, 1.43, 0.38, 0.16
    est = pygdx.GDClassifier(loss="hinge", optimizer="sgd", batch_size=1, lr=OptimalLR(0.01), alpha=0.01,
                             shuffle=False, max_iter=5, tol=None).fit(X2, Y2)
    est.set_params(alpha=0.001, lr=OptimalLR(0.001), warm_start=True).fit(X2, Y2)
    assert est.n_iter_ == 5 and max(est.loss_curve_) > 10 * min(est.loss_curve_)
    first = linear_model.SGDClassifier(alpha=0.01, learning_rate="optimal", shuffle=False, max_iter=5,
                                       tol=None).fit(X2, Y2)
    theirs = linear_model.SGDClassifier(alpha=0.001, learning_rate="optimal", shuffle=False, max_iter=5, tol=None)
    theirs.fit(X2, Y2, coef_init=first.coef_, intercept_init=first.intercept_)
    np.testing.assert_allclose(est.coef_, theirs.coef_, rtol=0.05)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_bounded_steps_at_a_huge_alpha_are_not_divergence(iris, penalty):
    # PEER.md F3 b: Adam's steps are bounded by lr, the penalty's loss jumps and falls back
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = pygdx.GDClassifier(loss="hinge", alpha=1e5, max_iter=40, tol=None, shuffle=False, penalty=penalty,
                                 random_state=42).fit(iris.data, iris.target)
    assert est.n_iter_ == 40 and np.abs(est.coef_).max() < 0.1


@pytest.mark.parametrize("batch_size", [1, 8, 32])
def test_plain_sgd_on_a_bounded_loss_at_a_huge_alpha_is_not_divergence(iris, batch_size):
    # The last false alarm (hinge, alpha=1e5, batch 8): the clamped decay restarts the weights
    # from zero at every step, so the objective swings with one step's penalty (1.5 to 400
    # and back) while the weights stay within one data step of zero
    est = pygdx.GDClassifier(loss="hinge", optimizer="sgd", alpha=1e5, max_iter=60, tol=None, shuffle=False,
                             batch_size=batch_size).fit(iris.data, iris.target)
    assert est.n_iter_ == 60 and max(est.loss_curve_) > 10 * min(est.loss_curve_)
    assert np.abs(est.coef_).max() <= est.lr * np.abs(iris.data).max()


def test_momentum_at_a_huge_alpha_is_still_divergence(iris):
    # momentum's decay is not clamped: lr * alpha = 1e3 multiplies the weights at every step
    with pytest.raises(pygdx.exceptions.TrainingDiverged, match="training diverged"):
        pygdx.GDClassifier(loss="hinge", optimizer="momentum", alpha=1e5, max_iter=60, tol=None, shuffle=False,
                           batch_size=16).fit(iris.data, iris.target)


@pytest.mark.parametrize("batch_size", [1, None])
def test_a_too_large_rate_on_plain_sgd_is_still_divergence(small, batch_size):
    X, y = small
    with pytest.raises(pygdx.exceptions.TrainingDiverged, match="training diverged") as info:
        pygdx.GDRegressor(optimizer="sgd", lr=1.2 if batch_size is None else 0.9, batch_size=batch_size,
                          penalty=None, max_iter=60, tol=None, shuffle=False).fit(X * 3, y)
    assert 3 <= info.value.epoch < 60


# --- feature_names_in_ (PEER.md F8; scikit-learn's check_dataframe_column_names_consistency) ---

@pytest.fixture()
def frame(small):
    pd = pytest.importorskip("pandas")
    X, y = small
    return pd.DataFrame(X, columns=["a", "b", "c"]), y


@pytest.mark.parametrize("Estimator", [pygdx.GDRegressor, pygdx.GDClassifier])
def test_feature_names_from_a_data_frame(frame, Estimator):
    df, y = frame
    y = y if Estimator is pygdx.GDRegressor else (y > 0).astype(int)
    est = Estimator(max_iter=3, tol=None, random_state=0).fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, np.array(["a", "b", "c"], dtype=object))
    assert est.feature_names_in_.dtype == object and est.n_features_in_ == 3
    with pytest.raises(ValueError, match="Feature names must be in the same order as they were in fit"):
        est.predict(df[["b", "a", "c"]])
    renamed = df.rename(columns={"c": "d"})
    with pytest.raises(ValueError) as info:
        est.score(renamed, y)
    assert str(info.value) == ("The feature names should match those that were passed during fit.\n"
                               "Feature names unseen at fit time:\n- d\n"
                               "Feature names seen at fit time, yet now missing:\n- c\n")
    with pytest.warns(UserWarning, match=f"X does not have valid feature names, but {Estimator.__name__} was fitted "
                                         "with feature names"):
        est.predict(df.to_numpy())
    est.fit(df.to_numpy(), y)  # a fit on an array forgets the names ...
    assert not hasattr(est, "feature_names_in_")
    with pytest.warns(UserWarning, match=f"X has feature names, but {Estimator.__name__} was fitted without"):
        est.predict(df)


def test_feature_names_follow_scikit_learns_rules(frame):
    pd = pytest.importorskip("pandas")
    df, y = frame
    est = pygdx.GDRegressor(max_iter=2, tol=None)
    mixed = df.set_axis(["a", 1, "c"], axis=1)
    with pytest.raises(TypeError, match="Feature names are only supported if all input features have string names"):
        est.fit(mixed, y)
    assert not est.__sklearn_is_fitted__()
    est.fit(df.set_axis([0, 1, 2], axis=1), y)  # integer names are no names
    assert not hasattr(est, "feature_names_in_")
    est.fit(df, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.partial_fit(df, y)  # later partial_fit calls check the names ...
    with pytest.raises(ValueError, match="same order"):
        est.partial_fit(df[["c", "b", "a"]], y)
    with pytest.raises(ValueError, match="NaN"):  # ... and a failed fit keeps them
        est.fit(df.set_axis(["u", "v", "w"], axis=1), np.full(len(y), np.nan))
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
    long = pd.DataFrame(np.ones((3, 8)), columns=[f"x{i}" for i in range(8)])
    with pytest.raises(ValueError, match=r"- x4\n- \.\.\.\n"):  # five names at most, as scikit-learn
        pygdx.GDRegressor(max_iter=1, tol=None).fit(long, np.ones(3)).predict(long.set_axis(
            [f"y{i}" for i in range(8)], axis=1))


def test_feature_names_survive_clone_and_pickle(frame):
    import pickle

    from sklearn.base import clone

    df, y = frame
    est = pygdx.GDRegressor(max_iter=2, tol=None).fit(df, y)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.feature_names_in_, est.feature_names_in_)
    with pytest.raises(ValueError, match="same order"):
        copy.predict(df[["c", "a", "b"]])
    assert not hasattr(clone(est), "feature_names_in_")


def test_a_loss_of_zero_is_no_scale_for_divergence():
    # check_fit_score_takes_y's data: at zero weights every perceptron margin is 0, the first
    # epoch's loss is 0 and every later loss would be "tenfold" it; it then wobbles (growing
    # three epochs in a row) around 0.02
    rnd = np.random.RandomState(0)
    X, y = rnd.uniform(size=(10, 3)), np.arange(10) % 3
    est = pygdx.GDClassifier(loss="perceptron", max_iter=40, tol=None, random_state=0).fit(X, y)
    assert est.n_iter_ == 40 and est.loss_curve_[0] == 0.0 and max(est.loss_curve_) > 0.01


def test_an_averaged_model_pickled_read_only_trains_on(small):
    import pickle

    X, y = small
    est = pygdx.GDRegressor(average=True, max_iter=2, tol=None, random_state=0).fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    copy._average_theta.flags.writeable = False  # as joblib's read-only memory map gives it
    copy = pickle.loads(pickle.dumps(copy))
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict(X), copy.predict(X))
    assert copy._average_theta.flags.writeable


@pytest.mark.parametrize("batch_size", [1, 16])
def test_sparse_rows_clamp_the_decay_as_dense_rows_do(iris, batch_size):
    # The sparse rows' weights are a scale times a vector; the scale's clamp must give the
    # dense path's coefficients (scikit-learn's max(0, 1 - lr * alpha) on both).
    sparse = pytest.importorskip("scipy.sparse")
    kwargs = dict(loss="hinge", optimizer="sgd", alpha=1e5, lr=0.1, shuffle=False, tol=None, max_iter=6,
                  batch_size=batch_size)
    dense = pygdx.GDClassifier(**kwargs).fit(iris.data, iris.target)
    rows = pygdx.GDClassifier(**kwargs).fit(sparse.csr_matrix(iris.data), iris.target)
    np.testing.assert_allclose(rows.coef_, dense.coef_, atol=1e-12)
    np.testing.assert_allclose(rows.intercept_, dense.intercept_, atol=1e-12)
