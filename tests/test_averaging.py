"""Averaged SGD (average=): coefficients equal to scikit-learn's SGDRegressor / SGDClassifier
(average=...) under plain SGD with a constant rate, rows in order; the mean of the weights
against a NumPy loop for other optimizers and batch sizes; failures and partial_fit."""

import warnings

import numpy as np
import pytest

import pygdx

linear_model = pytest.importorskip("sklearn.linear_model")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.5 * rng.normal(size=60)


def _plain(est, lr=0.01):
    return est.set_params(optimizer="sgd", lr=lr, batch_size=1, shuffle=False, tol=None)


@pytest.mark.parametrize("average", [True, 1, 10, 299, 1000])  # 300 steps in 5 epochs
def test_regressor_equals_scikit_learn(data, average):
    # test_sgd_averaged_computed_correctly, test_late_onset_averaging_(not_)reached
    X, y = data
    theirs = linear_model.SGDRegressor(learning_rate="constant", eta0=0.01, alpha=0.01, average=average,
                                       shuffle=False, max_iter=5, tol=None).fit(X, y)
    ours = _plain(pygdx.GDRegressor(alpha=0.01, average=average, max_iter=5)).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=0, atol=1e-9)
    # test_sgd_averaged_partial_fit: partial_fit goes on with the mean and the step count
    ours.partial_fit(X, y)
    theirs.partial_fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-9)


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "squared_hinge"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_equals_scikit_learn(data, loss, n_classes):
    # test_average_binary_computed_correctly, test_sgd_multiclass_average
    X, y = data
    labels = (y > 0).astype(int) if n_classes == 2 else np.digitize(y, [-1.0, 1.0])
    theirs = linear_model.SGDClassifier(loss=loss, learning_rate="constant", eta0=0.01, alpha=0.01, average=7,
                                        shuffle=False, max_iter=5, tol=None).fit(X, labels)
    ours = _plain(pygdx.GDClassifier(loss=loss, alpha=0.01, average=7, max_iter=5)).fit(X, labels)
    if n_classes == 3 and loss == "log_loss":  # pygdx's is multinomial, scikit-learn's one-vs-rest
        return
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-9)


def _numpy_average(X, y, optimizer, lr, batch_size, epochs, start):
    """The mean of the weights after steps start.. of a full-batch or mini-batch fit, stepped
    by pygdx.optim in NumPy (squared error, no penalty, rows in order)."""
    theta = np.zeros(X.shape[1] + 1)
    opt = pygdx.optim.get(optimizer, [theta], lr=lr)
    avg, t = np.zeros_like(theta), 0
    for _ in range(epochs):
        for first in range(0, len(y), batch_size):
            Xb, yb = X[first: first + batch_size], y[first: first + batch_size]
            r = Xb @ theta[:-1] + theta[-1] - yb
            opt.step(np.concatenate([Xb.T @ r, [r.sum()]]) / len(yb))
            t += 1
            if t >= start:
                avg += (theta - avg) / (t - start + 1)
    return avg


@pytest.mark.parametrize("optimizer, batch_size", [("adam", 8), ("momentum", 60), ("sgd", 16), ("adam", 1),
                                                   ("rmsprop", 1), ("sgd", 1)])
def test_other_optimizers_and_batches_average_every_step(data, optimizer, batch_size):
    X, y = data
    est = pygdx.GDRegressor(optimizer=optimizer, lr=0.05, batch_size=batch_size, penalty=None, average=3,
                            max_iter=4, tol=None, shuffle=False).fit(X, y)
    expected = _numpy_average(X, y, optimizer, 0.05, batch_size, 4, 3)
    np.testing.assert_allclose(est.coef_, expected[:-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, expected[-1:], rtol=1e-10, atol=1e-12)
    plain = pygdx.GDRegressor(optimizer=optimizer, lr=0.05, batch_size=batch_size, penalty=None, max_iter=4,
                              tol=None, shuffle=False).fit(X, y)
    np.testing.assert_array_equal(est._theta, plain._theta)  # the optimizer's weights are untouched
    np.testing.assert_allclose(est.loss_curve_, plain.loss_curve_, rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_stochastic_averaging_keeps_the_steps_and_losses_of_a_plain_fit(data, optimizer):
    # batch_size=1 steps row by row with the fold after each row (not through linear_epoch
    # per row): the weights, losses and step counts are a plain fit's, shuffled and with l2
    X, y = data
    kwargs = dict(optimizer=optimizer, lr=0.01, batch_size=1, alpha=0.01, max_iter=3, tol=None, random_state=4)
    est = pygdx.GDRegressor(average=5, **kwargs).fit(X, y)
    plain = pygdx.GDRegressor(**kwargs).fit(X, y)
    np.testing.assert_array_equal(est._theta, plain._theta)
    np.testing.assert_array_equal(est.loss_curve_, plain.loss_curve_)
    assert est.t_ == plain.t_ and not np.allclose(est.coef_, plain.coef_)


def test_float32_and_the_averaged_model_predicts(data):
    X, y = data
    est = pygdx.GDRegressor(average=True, max_iter=3, tol=None, random_state=0).fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32 and est.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est.predict(X), X @ est.coef_ + est.intercept_, rtol=1e-5)
    assert not np.allclose(est.coef_, est._theta[:4])


def test_failures_change_nothing_and_are_refused_clearly(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", average=True, max_iter=3, tol=None, random_state=0).fit(X, y)
    coef, average = est.coef_.copy(), est._average_theta
    with pytest.raises(pygdx.exceptions.TrainingDiverged):
        est.set_params(lr=1e4, warm_start=True, max_iter=50).fit(X * 100, y)
    assert est._average_theta is average
    np.testing.assert_array_equal(est.coef_, coef)
    with pytest.raises(ValueError, match="average must be"):
        pygdx.GDRegressor(average=-1).fit(X, y)
    with pytest.raises(ValueError, match="average must be"):
        pygdx.GDRegressor(average=2.5).fit(X, y)

    class Custom(pygdx.losses.SquaredError):
        def value(self, y, z):
            return 0.5 * (y - z) ** 2

    with pytest.raises(ValueError, match="average=, ema_decay= and clip_grad_norm= / clip_grad_value= need a loss of "
                                         "the core"):
        pygdx.GDRegressor(loss=Custom(), average=True).fit(X, y)
    with pytest.raises(ValueError, match="need in-memory data"):
        pygdx.GDRegressor(average=True).fit_source(None, 4, np.float64)


def test_a_fit_without_average_forgets_it(data):
    X, y = data
    est = pygdx.GDRegressor(average=True, max_iter=2, tol=None, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(average=False).fit(X, y)
    assert not hasattr(est, "_average_theta")
    np.testing.assert_array_equal(est.coef_, est._theta[:4])


# --- ema_decay=: torch.optim.swa_utils' exponential moving average of the weights -------------

def _numpy_ema(X, y, optimizer, lr, batch_size, epochs, decay, from_epoch=0):
    """The EMA of the weights after every step, kept by pygdx.swa_utils.AveragedModel (torch's
    semantics, made before epoch ``from_epoch``) around a pygdx.optim loop (squared error, no
    penalty, rows in order)."""
    theta = np.zeros(X.shape[1] + 1)
    opt = pygdx.optim.get(optimizer, [theta], lr=lr)
    ema = None
    for epoch in range(epochs):
        if epoch == from_epoch:
            ema = pygdx.swa_utils.AveragedModel(theta, multi_avg_fn=pygdx.swa_utils.get_ema_multi_avg_fn(decay))
        for first in range(0, len(y), batch_size):
            Xb, yb = X[first: first + batch_size], y[first: first + batch_size]
            r = Xb @ theta[:-1] + theta[-1] - yb
            opt.step(np.concatenate([Xb.T @ r, [r.sum()]]) / len(yb))
            if ema is not None:
                ema.update_parameters(theta)
    return ema.params[0]


@pytest.mark.parametrize("optimizer, batch_size", [("sgd", 1), ("adam", 1), ("adam", 8), ("sgd", 60)])
@pytest.mark.parametrize("decay", [0.0, 0.9, 0.999, 1.0])
def test_ema_equals_torch_semantics(data, optimizer, batch_size, decay):
    X, y = data
    kwargs = dict(optimizer=optimizer, lr=0.05, batch_size=batch_size, penalty=None, max_iter=3, tol=None,
                  shuffle=False)
    est = pygdx.GDRegressor(ema_decay=decay, **kwargs).fit(X, y)
    expected = _numpy_ema(X, y, optimizer, 0.05, batch_size, 3, decay)
    np.testing.assert_allclose(est.coef_, expected[:-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, expected[-1:], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.predict(X), X @ expected[:-1] + expected[-1], rtol=1e-10, atol=1e-12)
    plain = pygdx.GDRegressor(**kwargs).fit(X, y)
    np.testing.assert_array_equal(est._theta, plain._theta)
    if decay == 0.0:  # the EMA is then the last weights
        np.testing.assert_array_equal(est.coef_, plain.coef_)


def test_ema_with_clipping_and_partial_fit_goes_on(data):
    X, y = data
    kwargs = dict(optimizer="sgd", lr=0.05, batch_size=1, penalty=None, tol=None, shuffle=False)
    est = pygdx.GDRegressor(ema_decay=0.95, clip_grad_norm=1e9, max_iter=2, **kwargs).fit(X, y)
    est.partial_fit(X, y)
    expected = _numpy_ema(X, y, "sgd", 0.05, 1, 3, 0.95)
    np.testing.assert_allclose(est.coef_, expected[:-1], rtol=1e-9, atol=1e-12)
    once = pygdx.GDRegressor(ema_decay=0.95, max_iter=3, **kwargs).fit(X, y)
    np.testing.assert_allclose(once.coef_, expected[:-1], rtol=1e-10, atol=1e-12)


def test_ema_classifier_and_bad_settings(data):
    X, y = data
    labels = (y > 0).astype(int)
    clf = pygdx.GDClassifier(ema_decay=0.9, max_iter=3, tol=None, random_state=0).fit(X, labels)
    assert not np.allclose(clf.coef_.ravel(), clf._theta[:4])
    assert clf.score(X, labels) > 0.8
    with pytest.raises(ValueError, match="two kinds of averaging"):
        pygdx.GDRegressor(ema_decay=0.9, average=True).fit(X, y)
    with pytest.raises(ValueError, match="ema_decay"):
        pygdx.GDRegressor(ema_decay=1.5).fit(X, y)
    with pytest.raises(ValueError, match="need in-memory"):
        pygdx.GDRegressor(ema_decay=0.9).fit_source(None, 4, np.float64)
    est = pygdx.GDRegressor(max_iter=2, tol=None, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="two kinds of averaging"):
        est.set_params(average=True, ema_decay=0.5).fit(X, y)
    assert est.ema_decay == 0.5 and not hasattr(est, "_average_theta")  # the failed fit changed no model


@pytest.mark.parametrize("before", [{}, {"average": True}, {"ema_decay": 0.9}])
@pytest.mark.parametrize("decay", [0.5, 1.0])
@pytest.mark.parametrize("batch_size", [1, 8])
def test_an_ema_begun_in_partial_fit_copies_its_first_steps_weights(data, before, decay, batch_size):
    # As an AveragedModel made at that point (its first update copies); an EMA begun past step
    # 1 used to fold the weights into zeros (ema_decay=1.0 kept coef_ at 0 for good).
    X, y = data
    kwargs = dict(optimizer="adam", lr=0.05, batch_size=batch_size, penalty=None, tol=None, shuffle=False)
    est = pygdx.GDRegressor(**before, **kwargs).partial_fit(X, y)
    est.set_params(average=False, ema_decay=decay).partial_fit(X, y)
    est.partial_fit(X, y)
    expected = _numpy_ema(X, y, "adam", 0.05, batch_size, 3, decay, from_epoch=1)
    np.testing.assert_allclose(est.coef_, expected[:-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, expected[-1:], rtol=1e-10, atol=1e-12)



def test_a_mean_begun_in_partial_fit_past_its_start_starts_from_zeros_as_scikit_learn(data):
    # scikit-learn's partial_fit weighs step t by 1 / (t - start + 1) from zeros (the docs say
    # this is not torch's SWA): after 60 plain steps, average=True gives sum(w_61..w_120) / 120
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.01, batch_size=1, penalty=None, tol=None, shuffle=False)
    est.partial_fit(X, y).set_params(average=True).partial_fit(X, y)
    theta, total = np.zeros(5), np.zeros(5)
    for step, (row, target) in enumerate(zip(np.vstack([X, X]), np.concatenate([y, y])), start=1):
        r = row @ theta[:-1] + theta[-1] - target
        theta -= 0.01 * np.append(r * row, r)
        total += theta if step > 60 else 0.0
    np.testing.assert_allclose(est.coef_, total[:-1] / 120, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, total[-1:] / 120, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("clipped", [False, True])
def test_the_epoch_bindings_refuse_an_ema_that_would_not_be_kept_or_is_not_a_number(data, clipped):
    from pygdx import _core

    X, y = data
    problem = _core.LinearProblem(_core.LossKind.squared_error, n_features=4, n_outputs=1, fit_intercept=True,
                                  epsilon=0.1, penalty=_core.PenaltyKind.none, alpha=0.0, l1_ratio=0.15)
    theta, average = np.zeros(5), np.zeros(5)
    opt = pygdx.optim.SGD([theta], lr=0.01)
    hyper, schedule, counters, states = opt.core_buffers()

    def epoch(start, ema_decay):
        args = (problem, X, y, None, np.arange(60, dtype=np.int64), 1, hyper, schedule, counters, theta, states)
        if clipped:
            return _core.clipped_epoch(*args, 1.0, 0.0, average, start, ema_decay=ema_decay)
        return _core.averaged_epoch(*args, average, start, ema_decay=ema_decay)

    with pytest.raises(ValueError, match="needs start >= 1"):  # start 0 keeps no average at all
        epoch(0.0, 0.5)
    with pytest.raises(ValueError, match="ema_decay must be a number"):
        epoch(1.0, "0.5")
    assert opt.t == 0 and not theta.any() and not average.any()
    epoch(1.0, 0.5)
    assert opt.t == 60 and average.any()


def test_sparse_rows_with_an_ema_train_as_dense_rows(data):
    # Once refused; tests/test_sparse_stepwise.py covers every sparse path.
    sparse = pytest.importorskip("scipy.sparse")
    X, y = data
    ours = pygdx.GDRegressor(ema_decay=0.9, random_state=0, max_iter=5, tol=None).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(ours.coef_, pygdx.GDRegressor(ema_decay=0.9, random_state=0, max_iter=5, tol=None).fit(X, y).coef_, rtol=1e-9)
