"""swa_start=: stochastic weight averaging once per epoch, as torch users run
swa_utils.AveragedModel in their epoch loop, checked against that loop (with pygdx.swa_utils,
and with torch.optim.swa_utils where torch is installed)."""

import numpy as np
import pytest

import pygdx


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.3 + 0.5 * rng.normal(size=80)


KW = dict(optimizer="sgd", lr=0.05, batch_size=8, tol=None, shuffle=False)  # partial_fit draws other seeds


def _hand_loop(X, y, epochs, swa_start, average_model):
    """torch's recipe: train one epoch, then from epoch swa_start on update the average."""
    plain = pygdx.GDRegressor(**KW)
    snapshots = []
    for epoch in range(epochs):
        plain.partial_fit(X, y)
        weights = np.append(plain.coef_, plain.intercept_)
        snapshots.append(weights)
        if epoch + 1 >= swa_start:
            average_model.update_parameters(weights)
    return plain, snapshots


@pytest.mark.parametrize("swa_start", [1, 3, 6])
def test_fit_averages_the_weights_at_the_end_of_each_epoch_from_swa_start(data, swa_start):
    X, y = data
    ours = pygdx.GDRegressor(max_iter=6, swa_start=swa_start, **KW).fit(X, y)
    swa = pygdx.swa_utils.AveragedModel(np.zeros(5))
    plain, snapshots = _hand_loop(X, y, 6, swa_start, swa)
    np.testing.assert_allclose(ours.coef_, swa.params[0][:4], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.intercept_, swa.params[0][4:], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.predict(X), X @ swa.params[0][:4] + swa.params[0][4], rtol=1e-12)
    np.testing.assert_allclose(ours._theta, snapshots[-1], rtol=1e-12)  # the optimizer steps the plain weights
    assert not np.allclose(ours.coef_, plain.coef_) or swa_start == 6
    np.testing.assert_allclose(swa.params[0], np.mean(snapshots[swa_start - 1:], axis=0), rtol=1e-12)


def test_the_numbers_are_torch_swa_utils(data):
    torch = pytest.importorskip("torch")
    X, y = data
    ours = pygdx.GDRegressor(max_iter=5, swa_start=2, **KW).fit(X, y)
    model = torch.nn.Linear(4, 1).double()
    averaged = torch.optim.swa_utils.AveragedModel(model)
    _, snapshots = _hand_loop(X, y, 5, 10**9, pygdx.swa_utils.AveragedModel(np.zeros(5)))
    for weights in snapshots[1:]:
        with torch.no_grad():
            model.weight.copy_(torch.from_numpy(weights[:4]).reshape(1, 4))
            model.bias.copy_(torch.from_numpy(weights[4:]))
        averaged.update_parameters(model)
    np.testing.assert_allclose(ours.coef_, averaged.module.weight.detach().numpy().ravel(), rtol=1e-12)
    np.testing.assert_allclose(ours.intercept_, averaged.module.bias.detach().numpy(), rtol=1e-12)


def test_before_swa_start_the_model_is_the_plain_weights_and_partial_fit_goes_on(data):
    X, y = data
    ours = pygdx.GDRegressor(swa_start=3, **KW)
    swa = pygdx.swa_utils.AveragedModel(np.zeros(5))
    plain, _ = _hand_loop(X, y, 2, 3, swa)
    for _ in range(2):
        ours.partial_fit(X, y)
    np.testing.assert_allclose(ours.coef_, plain.coef_, rtol=1e-12)  # nothing averaged yet
    for _ in range(3):
        ours.partial_fit(X, y)
        plain.partial_fit(X, y)
        swa.update_parameters(np.append(plain.coef_, plain.intercept_))
    np.testing.assert_allclose(ours.coef_, swa.params[0][:4], rtol=1e-12)
    assert ours._swa_model.n_averaged == 3


def test_a_failed_call_leaves_the_average_and_a_new_fit_starts_one(data):
    X, y = data
    ours = pygdx.GDRegressor(swa_start=1, max_iter=3, **KW).fit(X, y)
    before = ours.coef_.copy()
    with pytest.raises(ValueError, match="Input y contains NaN|NaN"):
        ours.partial_fit(X, np.full_like(y, np.nan))
    np.testing.assert_array_equal(ours.coef_, before)
    assert ours._swa_model.n_averaged == 3
    ours.fit(X, y)
    assert ours._swa_model.n_averaged == 3
    ours.set_params(swa_start=None).fit(X, y)
    np.testing.assert_array_equal(ours.coef_, ours._theta[:4])


def test_one_kind_of_averaging_at_a_time_and_bad_values(data):
    X, y = data
    for other in ({"average": True}, {"ema_decay": 0.9}):
        with pytest.raises(ValueError, match="set one of them"):
            pygdx.GDRegressor(swa_start=2, **other).fit(X, y)
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="swa_start"):
            pygdx.GDRegressor(swa_start=bad).fit(X, y)


def test_classifier_and_chunked_training_average_per_epoch(data):
    X, y = data
    labels = (y > 0).astype(int)
    clf = pygdx.GDClassifier(loss="log_loss", max_iter=4, swa_start=2, **KW).fit(X, labels)
    plain = pygdx.GDClassifier(loss="log_loss", **KW)
    swa = pygdx.swa_utils.AveragedModel(np.zeros(5))
    for epoch in range(4):
        plain.partial_fit(X, labels, classes=[0, 1])
        if epoch + 1 >= 2:
            swa.update_parameters(np.append(plain.coef_.ravel(), plain.intercept_))
    np.testing.assert_allclose(clf.coef_.ravel(), swa.params[0][:4], rtol=1e-12)
    reg = pygdx.GDRegressor(max_iter=3, swa_start=2, **KW)
    pygdx.outofcore.fit_chunks(reg, [(X[:40], y[:40]), (X[40:], y[40:])])
    assert reg._swa_model.n_averaged == 2 and not np.allclose(reg.coef_, reg._theta[:4])
