"""``intercept_decay``: scikit-learn's damped intercept on sparse X (its SPARSE_INTERCEPT_DECAY,
0.01), as an estimator option. With "auto" (or 0.01) and scikit-learn's settings a sparse fit
gives SGDClassifier's / SGDRegressor's coefficients; the default 1.0 keeps sparse = dense."""

import numpy as np
import pytest

import pygdx

sp = pytest.importorskip("scipy.sparse")
linear_model = pytest.importorskip("sklearn.linear_model")


def sparse_rows(n=60, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.3, random_state=seed, format="csr") * 2.0
    w = rng.normal(size=d)
    return X, X @ w + 0.2 * rng.normal(size=n)


def plain_sgd(est, lr, **kw):
    """scikit-learn's settings in pygdx: plain SGD, one row per step, rows in order."""
    return est.set_params(optimizer="sgd", lr=lr, batch_size=1, shuffle=False, tol=None, **kw)


@pytest.mark.parametrize("decay", ["auto", 0.01])
@pytest.mark.parametrize("loss", ["log_loss", "hinge", "modified_huber"])
def test_binary_classifier_equals_scikit_learn_on_sparse_rows(decay, loss):
    X, t = sparse_rows()
    labels = (t > np.median(t)).astype(int)
    theirs = linear_model.SGDClassifier(loss=loss, learning_rate="constant", eta0=0.05, alpha=0.001, shuffle=False,
                                        max_iter=5, tol=None).fit(X, labels)
    ours = plain_sgd(pygdx.GDClassifier(loss=loss, alpha=0.001, max_iter=5), 0.05, intercept_decay=decay).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)


def test_without_the_decay_the_intercept_differs_from_scikit_learns():
    # The test above can fail: the default (sparse fit = dense fit) is another model.
    X, t = sparse_rows()
    labels = (t > np.median(t)).astype(int)
    theirs = linear_model.SGDClassifier(learning_rate="constant", eta0=0.05, alpha=0.001, shuffle=False, max_iter=5,
                                        tol=None).fit(X, labels)
    ours = plain_sgd(pygdx.GDClassifier(alpha=0.001, max_iter=5), 0.05).fit(X, labels)
    assert abs(ours.intercept_[0] - theirs.intercept_[0]) > 1e-3


def test_multiclass_equals_scikit_learns_one_vs_rest():
    # hinge: one-vs-rest in both (pygdx's multiclass log loss is the multinomial one)
    X, t = sparse_rows(90, 10, seed=1)
    labels = np.digitize(t, np.quantile(t, [1 / 3, 2 / 3]))
    theirs = linear_model.SGDClassifier(loss="hinge", learning_rate="constant", eta0=0.05, alpha=0.001, shuffle=False,
                                        max_iter=4, tol=None).fit(X, labels)
    ours = plain_sgd(pygdx.GDClassifier(loss="hinge", alpha=0.001, max_iter=4), 0.05,
                     intercept_decay="auto").fit(X, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)


def test_regressor_equals_scikit_learn_on_sparse_rows():
    X, y = sparse_rows(seed=2)
    theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.01, alpha=0.001, shuffle=False, max_iter=6,
                                       tol=None).fit(X, y)
    ours = plain_sgd(pygdx.GDRegressor(alpha=0.001, max_iter=6), 0.01, intercept_decay="auto").fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-12)


@pytest.mark.parametrize("batch_size", [7, None])
def test_mini_and_full_batches_scale_the_intercepts_gradient(batch_size):
    # One step from zeros: the intercept moves by lr · decay · (its gradient), the
    # coefficients as without the decay.
    X, t = sparse_rows(seed=3)
    labels = (t > np.quantile(t, 0.3)).astype(int)
    kw = dict(optimizer="sgd", lr=0.1, batch_size=batch_size, shuffle=False, tol=None, max_iter=1, alpha=0.0)
    plain = pygdx.GDClassifier(**kw).fit(X, labels)
    damped = pygdx.GDClassifier(intercept_decay=0.25, **kw).fit(X, labels)
    if batch_size is None:
        np.testing.assert_allclose(damped.coef_, plain.coef_, rtol=1e-12)
        np.testing.assert_allclose(damped.intercept_, 0.25 * plain.intercept_, rtol=1e-12)
        assert abs(plain.intercept_[0]) > 1e-3
    else:
        assert damped.intercept_[0] != plain.intercept_[0]
        assert abs(damped.intercept_[0]) < abs(plain.intercept_[0])


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
@pytest.mark.parametrize("sparse_updates", ["lazy", "dense"])
def test_other_optimizers_scale_the_intercepts_gradient(optimizer, sparse_updates):
    # One full-batch step from zeros: momentum (linear in the gradient) moves the intercept
    # by exactly the decay times as much; Adam's first step (g / (|g| + eps)) is scale-free,
    # so the decay changes it only through eps.
    X, t = sparse_rows(seed=4)
    labels = (t > np.quantile(t, 0.3)).astype(int)  # unbalanced: the intercept's first gradient is not 0
    kw = dict(optimizer=optimizer, lr=0.1, batch_size=None, tol=None, max_iter=1, alpha=0.0,
              sparse_updates=sparse_updates)
    plain = pygdx.GDClassifier(**kw).fit(X, labels)
    damped = pygdx.GDClassifier(intercept_decay=0.5, **kw).fit(X, labels)
    np.testing.assert_allclose(damped.coef_, plain.coef_, rtol=1e-12)
    if optimizer == "momentum":
        np.testing.assert_allclose(damped.intercept_, 0.5 * plain.intercept_, rtol=1e-12)
        assert abs(plain.intercept_[0]) > 1e-3
    else:
        assert damped.intercept_[0] != plain.intercept_[0]
        np.testing.assert_allclose(damped.intercept_, plain.intercept_, rtol=1e-6)


def test_auto_is_no_decay_on_dense_rows():
    X, t = sparse_rows(seed=5)
    labels = (t > 0).astype(int)
    kw = dict(optimizer="sgd", lr=0.05, batch_size=1, shuffle=False, tol=None, max_iter=2)
    auto = pygdx.GDClassifier(intercept_decay="auto", **kw).fit(X.toarray(), labels)
    plain = pygdx.GDClassifier(**kw).fit(X.toarray(), labels)
    np.testing.assert_array_equal(auto.intercept_, plain.intercept_)


def test_a_decay_on_dense_rows_is_refused_and_changes_nothing():
    X, t = sparse_rows(seed=6)
    labels = (t > 0).astype(int)
    clf = pygdx.GDClassifier(max_iter=2, tol=None).fit(X.toarray(), labels)
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match="intercept_decay=0.01 applies to sparse X only"):
        clf.set_params(intercept_decay=0.01).partial_fit(X.toarray(), labels)
    np.testing.assert_array_equal(clf.coef_, coef)


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.1, "sparse", None])
def test_bad_values_are_refused(bad):
    X, t = sparse_rows(seed=7)
    with pytest.raises(ValueError, match="intercept_decay"):
        pygdx.GDClassifier(intercept_decay=bad).fit(X, (t > 0).astype(int))


def test_chunked_training_refuses_a_decay():
    from pygdx import outofcore

    X, t = sparse_rows(seed=8)
    labels = (t > 0).astype(int)
    clf = pygdx.GDClassifier(intercept_decay="auto", batch_size=8, max_iter=1, tol=None)
    with pytest.raises(ValueError, match="intercept_decay='auto' needs in-memory sparse X"):
        outofcore.fit_chunks(clf, [(X[:30], labels[:30]), (X[30:], labels[30:])], classes=[0, 1])
