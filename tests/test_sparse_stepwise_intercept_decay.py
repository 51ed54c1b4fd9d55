"""``intercept_decay`` in the averaged and clipped epochs on sparse X (average=, ema_decay=,
clip_grad_norm= / clip_grad_value=): the intercepts' gradient is damped there as in every
other sparse epoch. Averaged plain SGD with "auto" gives scikit-learn's averaged
SGDRegressor / SGDClassifier on sparse X, intercept included; the other averaged and the
clipped epochs equal a NumPy loop that damps the intercept's gradient (before the clip)."""

import warnings

import numpy as np
import pytest

import pygdx
from test_estimator_clipping import numpy_fit

sp = pytest.importorskip("scipy.sparse")
linear_model = pytest.importorskip("sklearn.linear_model")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = sp.random(80, 10, density=0.3, random_state=1, format="csr") * 3.0
    return X, X @ rng.normal(size=10) + 1.5 + 0.1 * rng.normal(size=80)


def plain(**kw):
    return dict(optimizer="sgd", lr=0.02, alpha=0.01, batch_size=1, shuffle=False, max_iter=3, tol=None, **kw)


@pytest.mark.parametrize("average", [True, 1, 50, 200])  # 240 steps
def test_averaged_sgd_equals_scikit_learn_on_sparse_x_intercept_included(data, average):
    X, y = data
    theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.02, alpha=0.01, average=average,
                                       shuffle=False, max_iter=3, tol=None).fit(X, y)
    ours = pygdx.GDRegressor(**plain(average=average, intercept_decay="auto")).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-9)
    labels = (y > np.median(y)).astype(int)
    theirs = linear_model.SGDClassifier(loss="hinge", learning_rate="constant", eta0=0.02, alpha=0.01,
                                        average=average, shuffle=False, max_iter=3, tol=None).fit(X, labels)
    ours = pygdx.GDClassifier(**plain(loss="hinge", average=average, intercept_decay="auto")).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-9)


def test_the_averaged_intercept_differs_without_the_decay(data):
    # The test above can fail: undamped, the averaged intercept is another one.
    X, y = data
    theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.02, alpha=0.01, average=True, shuffle=False,
                                       max_iter=3, tol=None).fit(X, y)
    ours = pygdx.GDRegressor(**plain(average=True)).fit(X, y)
    assert abs(ours.intercept_[0] - theirs.intercept_[0]) > 1e-3


@pytest.mark.parametrize("options, clip, start", [
    # every weight averaged each step (the dense semantics, as the NumPy loop steps)
    (dict(optimizer="momentum", batch_size=4, average=True, sparse_updates="dense"), (None, None), 1),
    (dict(optimizer="sgd", batch_size=8, average=10), (None, None), 10),  # the lazily kept average
    (dict(optimizer="adam", batch_size=8, clip_grad_norm=1.0), (None, 1.0), 0),
    (dict(optimizer="sgd", batch_size=1, clip_grad_value=0.2), (0.2, None), 0),
    (dict(optimizer="momentum", batch_size=4, clip_grad_norm=2.0, average=5), (None, 2.0), 5),
])
def test_damped_intercept_equals_a_numpy_loop(data, options, clip, start):
    X, y = data
    kw = dict(lr=0.02, alpha=0.01, shuffle=False, max_iter=3, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # momentum's own notes, if any
        ours = pygdx.GDRegressor(intercept_decay=0.25, **kw, **options).fit(X, y)
        undamped = pygdx.GDRegressor(**kw, **options).fit(X, y)
    expected = numpy_fit(X.toarray(), y, options["optimizer"], 0.02, options["batch_size"], 3, 0.01, clip[1], clip[0],
                         start, intercept_decay=0.25)
    np.testing.assert_allclose(ours.coef_, expected[:-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, expected[-1:], rtol=1e-9, atol=1e-12)
    assert abs(undamped.intercept_[0] - ours.intercept_[0]) > 1e-3


@pytest.mark.parametrize("bad", [0.0, 1.5, float("nan")])
def test_the_core_refuses_a_bad_decay_and_changes_nothing(data, bad):
    X, y = data
    problem = pygdx.GDRegressor(average=True, max_iter=1, tol=None).fit(X, y)._problem()
    theta = np.zeros(11)
    opt = pygdx.optim.SGD([theta], lr=0.01)
    hyper, schedule, counters, states = opt.core_buffers(steps=None)
    args = (problem, X.data, X.indices, X.indptr, 80, y, None, np.arange(80, dtype=np.int64), 1)
    average = np.zeros(11)
    with pytest.raises(ValueError, match="intercept_decay must be in"):
        pygdx._core.csr_averaged_epoch(*args, True, hyper, schedule, counters, theta, states, average, 1.0,
                                       intercept_decay=bad)
    with pytest.raises(ValueError, match="intercept_decay must be in"):
        pygdx._core.csr_clipped_epoch(*args, hyper, schedule, counters, theta, states, 1.0, 0.0,
                                      intercept_decay=bad)
    assert opt.t == 0 and not theta.any() and not average.any()


@pytest.mark.parametrize("options", [{"average": True}, {"ema_decay": 0.9}, {"clip_grad_norm": 1.0}])
def test_auto_on_dense_x_is_the_undamped_fit(data, options):
    X, y = data
    kw = dict(max_iter=3, tol=None, random_state=0, **options)
    auto = pygdx.GDRegressor(intercept_decay="auto", **kw).fit(X.toarray(), y)
    plain = pygdx.GDRegressor(**kw).fit(X.toarray(), y)
    np.testing.assert_array_equal(auto.coef_, plain.coef_)
    np.testing.assert_array_equal(auto.intercept_, plain.intercept_)
