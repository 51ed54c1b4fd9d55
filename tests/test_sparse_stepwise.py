"""average=, ema_decay= and clip_grad_norm= / clip_grad_value= on sparse (CSR) X: the fit
equals the dense fit of the same data up to rounding (float32 and float64, batch 1 and
mini-batches, with and without intercept, every path of core/sparse_stepwise_epochs.hpp),
and scikit-learn's SGDRegressor / SGDClassifier(average=...) on sparse input."""

import numpy as np
import pytest

import pygdx

from _interrupt import interrupt_fit

sparse = pytest.importorskip("scipy.sparse")


@pytest.fixture(scope="module")
def data():
    X = sparse.random(90, 15, density=0.25, format="csr", random_state=1)
    y = X @ np.linspace(-2.0, 2.0, 15) + 0.3 + 0.1 * np.random.default_rng(1).normal(size=90)
    return X, y


def _rtol(dtype):
    return 2e-4 if dtype == np.float32 else 1e-9


def _both(est, X, y, dtype=np.float64, **fit):
    Xs = X.astype(dtype)
    ours = est.__class__(**est.get_params()).fit(Xs, y, **fit)
    dense = est.__class__(**est.get_params()).fit(Xs.toarray(), y, **fit)
    return ours, dense


def _same(ours, dense, dtype=np.float64):
    assert ours.coef_.dtype == dense.coef_.dtype == dtype
    atol = 1e-5 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(ours.coef_, dense.coef_, rtol=_rtol(dtype), atol=atol)
    np.testing.assert_allclose(ours.intercept_, dense.intercept_, rtol=_rtol(dtype), atol=atol)
    np.testing.assert_allclose(ours.loss_curve_, dense.loss_curve_, rtol=_rtol(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("averaging", [{"average": True}, {"average": 40}, {"ema_decay": 0.9}, {"ema_decay": 0.0}])
def test_plain_sgd_average_on_sparse_rows_equals_the_dense_fit(data, dtype, batch_size, fit_intercept, averaging):
    # The lazy path (lazy_average.hpp): steps > 16 after the start, so the average is written
    # out partway (β < 1/16) and folded lazily in between.
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=batch_size, max_iter=4, tol=None, alpha=0.01,
                            fit_intercept=fit_intercept, random_state=0, **averaging)
    ours, dense = _both(est, X, y, dtype)
    _same(ours, dense, dtype)
    assert averaging.get("ema_decay") == 0.0 or not np.allclose(ours.coef_, ours._theta[:-1])  # the average is used


@pytest.mark.parametrize("lr, alpha", [(0.5, 1.5), (0.5, 2.0)])
@pytest.mark.parametrize("averaging", [{"average": 3}, {"ema_decay": 0.5}])
def test_the_scale_folding_or_reaching_zero_leaves_the_lazy_average_exact(data, lr, alpha, averaging):
    # lr·alpha = 0.75: the scale falls below 1e-9 every 15 steps and is folded into the
    # vector; lr·alpha = 1: the shrink factor is 0 (the weights restart from zero).
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", lr=lr, alpha=alpha, batch_size=1, max_iter=2, tol=None,
                            random_state=0, **averaging)
    _same(*_both(est, X, y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", [
    dict(optimizer="adam", lr=0.05, batch_size=1, sparse_updates="dense"),
    dict(optimizer="momentum", lr=0.02, batch_size=8, sparse_updates="dense"),
    dict(optimizer="sgd", lr=0.05, batch_size=1, penalty="l1", alpha=0.01),
    dict(optimizer="sgd", lr=0.05, batch_size=10, penalty="elasticnet", alpha=0.01, l1_ratio=0.5),
    dict(optimizer="sgd", lr=0.05, batch_size=None),
])
def test_other_rules_and_l1_average_every_weight_as_the_dense_fit(data, dtype, params):
    X, y = data
    est = pygdx.GDRegressor(max_iter=3, tol=None, random_state=0, average=5, **params)
    _same(*_both(est, X, y, dtype), dtype)


def test_lazy_updates_average_the_weights_a_lazy_fit_steps(data):
    # sparse_updates="lazy" steps only the touched columns; the average folds every weight
    # after each of those steps: the mean of the plain fit's weights, step by step.
    X, y = data
    kw = dict(optimizer="adam", lr=0.05, batch_size=9, max_iter=1, tol=None, shuffle=False)
    ours = pygdx.GDRegressor(average=True, **kw).fit(X, y)
    plain = pygdx.GDRegressor(**kw)
    mean = np.zeros(16)
    for t, first in enumerate(range(0, 90, 9)):
        plain.partial_fit(X[first:first + 9], y[first:first + 9])
        mean += (np.append(plain.coef_, plain.intercept_) - mean) / (t + 1)
    np.testing.assert_allclose(ours.coef_, mean[:-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, mean[-1:], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 6])
def test_classifiers_average_on_sparse_rows_as_on_dense(data, batch_size):
    X, y = data
    for labels, loss in [((y > 0).astype(int), "hinge"), (np.digitize(y, [-0.5, 0.5]), "log_loss")]:
        est = pygdx.GDClassifier(loss=loss, optimizer="sgd", lr=0.05, batch_size=batch_size, max_iter=3, tol=None,
                                 alpha=0.01, random_state=0, average=10)
        _same(*_both(est, X, labels))


def test_multi_output_average_on_sparse_rows_as_on_dense(data):
    X, y = data
    Y = np.column_stack([y, -2 * y, np.ones_like(y)])
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=4, max_iter=3, tol=None, alpha=0.01, random_state=0,
                            ema_decay=0.8)
    _same(*_both(est, X, Y))


def test_partial_fit_goes_on_with_the_sparse_average(data):
    X, y = data
    est = dict(optimizer="sgd", lr=0.05, batch_size=1, tol=None, alpha=0.01, average=30, shuffle=False)
    ours, dense = pygdx.GDRegressor(**est), pygdx.GDRegressor(**est)
    for first in range(0, 90, 30):
        ours.partial_fit(X[first:first + 30], y[first:first + 30])
        dense.partial_fit(X[first:first + 30].toarray(), y[first:first + 30])
        np.testing.assert_allclose(ours.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.intercept_, dense.intercept_, rtol=1e-9, atol=1e-12)


linear_model = pytest.importorskip("sklearn.linear_model")


@pytest.mark.parametrize("average", [True, 1, 50, 200])
def test_sparse_average_equals_scikit_learn_on_sparse_input(data, average):
    # scikit-learn damps the intercept's steps on sparse X (SPARSE_INTERCEPT_DECAY), pygdx does
    # not (a sparse fit equals the dense one): compared without an intercept.
    X, y = data
    theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.02, alpha=0.01, average=average,
                                       shuffle=False, max_iter=3, tol=None, fit_intercept=False).fit(X, y)
    ours = pygdx.GDRegressor(optimizer="sgd", lr=0.02, alpha=0.01, average=average, batch_size=1, shuffle=False,
                             max_iter=3, tol=None, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
    labels = (y > 0).astype(int)
    theirs = linear_model.SGDClassifier(loss="hinge", learning_rate="constant", eta0=0.02, alpha=0.01,
                                        average=average, shuffle=False, max_iter=3, tol=None,
                                        fit_intercept=False).fit(X, labels)
    ours = pygdx.GDClassifier(loss="hinge", optimizer="sgd", lr=0.02, alpha=0.01, average=average, batch_size=1,
                              shuffle=False, max_iter=3, tol=None, fit_intercept=False).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 8, None])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("params", [
    dict(optimizer="sgd", lr=0.1, clip_grad_norm=0.2),
    dict(optimizer="adam", lr=0.05, clip_grad_value=0.05, penalty="elasticnet", alpha=0.05, l1_ratio=0.3),
    dict(optimizer="momentum", lr=0.05, clip_grad_norm=0.5, clip_grad_value=0.1, average=4),
])
def test_clipping_on_sparse_rows_equals_the_dense_fit(data, dtype, batch_size, fit_intercept, params):
    # The norm is the whole gradient's, penalty included: the clip binds in these settings.
    X, y = data
    params = {"alpha": 0.05, **params}
    est = pygdx.GDRegressor(batch_size=batch_size, max_iter=3, tol=None, random_state=0, fit_intercept=fit_intercept,
                            **params)
    ours, dense = _both(est, X, 10 * y, dtype)
    _same(ours, dense, dtype)
    unclipped = pygdx.GDRegressor(**{**est.get_params(), "clip_grad_norm": None, "clip_grad_value": None})
    assert not np.allclose(unclipped.fit(X.astype(dtype), 10 * y).coef_, ours.coef_, rtol=1e-3)


def test_sparse_stepwise_epochs_check_their_arrays(data):
    X, y = data
    est = pygdx.GDRegressor(average=True, max_iter=1, tol=None).fit(X, y)
    problem, theta = est._problem(), np.zeros(16)
    opt = pygdx.optim.SGD([theta], lr=0.01)
    hyper, schedule, counters, states = opt.core_buffers(steps=None)
    order = np.arange(90, dtype=np.int64)
    args = (problem, X.data, X.indices, X.indptr, 90, y, None, order, 1)
    with pytest.raises(ValueError, match="average must be an array of its own"):
        pygdx._core.csr_averaged_epoch(*args, True, hyper, schedule, counters, theta, states, theta, 1.0)
    with pytest.raises(ValueError, match="max_norm and max_value must be >= 0"):
        pygdx._core.csr_clipped_epoch(*args, hyper, schedule, counters, theta, states, -1.0, 0.0)
    with pytest.raises(TypeError, match="dtype must match"):
        pygdx._core.csr_averaged_epoch(*args, True, hyper, schedule, counters, theta.astype(np.float32), states,
                                       np.zeros(16, np.float32), 1.0)
    assert opt.t == 0 and not theta.any()


INTERRUPTED_SPARSE_FIT = """
import json, sys, time
import numpy as np, scipy.sparse, pygdx
rng = np.random.default_rng(0)
n, d = 100_000, 30_000  # 30 non-zeros a row
X = scipy.sparse.csr_matrix((rng.normal(size=30 * n), rng.integers(0, d, size=30 * n), np.arange(0, 30 * n + 1, 30)),
                            shape=(n, d))
y = rng.integers(0, 2, size=n)
options = {"clipped": {"clip_grad_norm": 1.0, "batch_size": 1}, "averaged_adam": {"average": True, "batch_size": 1},
           "averaged_sgd": {"ema_decay": 0.5, "optimizer": "sgd", "batch_size": 1, "max_iter": 10**6, "lr": 1e-4}}
est = pygdx.GDClassifier(**{"max_iter": 1, "tol": None, "random_state": 0, **options[sys.argv[1]]})
print("ready", flush=True)
try:
    est.fit(X, y)
    print(json.dumps({"interrupted": False}))
except KeyboardInterrupt:
    stopped = time.perf_counter()
    print(json.dumps({"interrupted": True, "stopped": stopped, "n_iter": est.n_iter_, "t": est.t_,
                      "finite": bool(np.isfinite(est.coef_).all())}), flush=True)
"""


@pytest.mark.parametrize("kind", ["clipped", "averaged_adam", "averaged_sgd"])
def test_ctrl_c_stops_a_sparse_averaged_or_clipped_epoch(tmp_path, kind):
    # O(n_features) steps (clipping, Adam's average) make one epoch minutes long; the lazy
    # plain-SGD average runs a million short epochs: each is stopped within half a second.
    out, sent = interrupt_fit(tmp_path, INTERRUPTED_SPARSE_FIT, kind)
    assert out["interrupted"] and out["finite"]
    assert out["stopped"] - sent < 0.5
    if kind != "averaged_sgd":
        assert out["n_iter"] == 0 and out["t"] == 0  # the unfinished epoch was undone whole
