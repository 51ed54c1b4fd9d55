"""pygdx.losses: values against independent formulas (scipy, scikit-learn's SGD losses),
derivatives against finite differences, and no overflow at extreme decision values."""

import numpy as np
import pytest

from pygdx import losses

scipy_special = pytest.importorskip("scipy.special")

ALL_SINGLE_OUTPUT = [
    losses.SquaredError(),
    losses.Huber(epsilon=0.7),
    losses.EpsilonInsensitive(epsilon=0.3),
    losses.LogLoss(),
    losses.Hinge(),
    losses.ModifiedHuber(),
    losses.SquaredHinge(),
    losses.Perceptron(),
    losses.SquaredEpsilonInsensitive(epsilon=0.3),
]


def _targets(loss, n, rng):
    if loss.classification:
        return rng.choice([-1.0, 1.0], size=n)
    return rng.normal(size=n)


def _away_from_kinks(loss, y, z):
    """Rows whose decision value is not within 1e-3 of a kink of the loss."""
    if isinstance(loss, (losses.Huber, losses.EpsilonInsensitive, losses.SquaredEpsilonInsensitive)):
        return np.abs(np.abs(y - z) - loss.epsilon) > 1e-3
    if isinstance(loss, losses.Perceptron):
        return np.abs(y * z) > 1e-3
    if isinstance(loss, (losses.Hinge, losses.ModifiedHuber)):
        m = y * z
        return (np.abs(m - 1.0) > 1e-3) & (np.abs(m + 1.0) > 1e-3)
    return np.ones_like(z, dtype=bool)


@pytest.mark.parametrize("loss", ALL_SINGLE_OUTPUT, ids=lambda loss: loss.name)
def test_derivative_is_the_finite_difference_of_the_value(loss):
    rng = np.random.default_rng(1)
    y = _targets(loss, 400, rng)
    z = rng.normal(scale=2.0, size=400)
    h = 1e-6
    numeric = (loss.value(y, z + h) - loss.value(y, z - h)) / (2 * h)
    ok = _away_from_kinks(loss, y, z)
    np.testing.assert_allclose(loss.derivative(y, z)[ok], numeric[ok], rtol=1e-6, atol=1e-7)


def test_multinomial_derivative_is_the_finite_difference_of_the_value():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(50, 4))
    y = rng.integers(0, 4, size=50)
    loss = losses.MultinomialLogLoss()
    h = 1e-6
    for k in range(4):
        e = np.zeros(4)
        e[k] = h
        numeric = (loss.value(y, z + e) - loss.value(y, z - e)) / (2 * h)
        np.testing.assert_allclose(loss.derivative(y, z)[:, k], numeric, rtol=1e-6, atol=1e-8)


def test_multinomial_value_is_minus_log_softmax():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(30, 5))
    y = rng.integers(0, 5, size=30)
    expected = -scipy_special.log_softmax(z, axis=1)[np.arange(30), y]
    np.testing.assert_allclose(losses.MultinomialLogLoss().value(y, z), expected, rtol=1e-13)


def test_huber_matches_scipy():
    rng = np.random.default_rng(4)
    y, z = rng.normal(size=100), rng.normal(scale=3, size=100)
    np.testing.assert_allclose(losses.Huber(0.9).value(y, z), scipy_special.huber(0.9, y - z), rtol=1e-14)


def test_log_loss_matches_minus_log_sigmoid():
    rng = np.random.default_rng(5)
    y, z = rng.choice([-1.0, 1.0], size=100), rng.normal(scale=3, size=100)
    np.testing.assert_allclose(losses.LogLoss().value(y, z), -np.log(scipy_special.expit(y * z)), rtol=1e-12)
    np.testing.assert_allclose(losses.LogLoss().derivative(y, z), -y * scipy_special.expit(-y * z), rtol=1e-12)


@pytest.mark.parametrize(
    "ours, theirs_name, kwargs",
    [
        (losses.Hinge(), "Hinge", {"threshold": 1.0}),
        (losses.ModifiedHuber(), "ModifiedHuber", {}),
        (losses.EpsilonInsensitive(0.25), "EpsilonInsensitive", {"epsilon": 0.25}),
        (losses.SquaredHinge(), "SquaredHinge", {"threshold": 1.0}),
        (losses.Perceptron(), "Hinge", {"threshold": 0.0}),
        (losses.SquaredEpsilonInsensitive(0.25), "SquaredEpsilonInsensitive", {"epsilon": 0.25}),
    ],
)
def test_matches_scikit_learn_sgd_losses(ours, theirs_name, kwargs):
    sgd_fast = pytest.importorskip("sklearn.linear_model._sgd_fast")
    theirs = getattr(sgd_fast, theirs_name)(**kwargs)
    rng = np.random.default_rng(6)
    y = _targets(ours, 200, rng)
    z = rng.normal(scale=2, size=200)
    ok = _away_from_kinks(ours, y, z)
    expected_value = np.array([theirs.py_loss(zi, yi) for zi, yi in zip(z, y)])
    expected_derivative = np.array([theirs.py_dloss(zi, yi) for zi, yi in zip(z, y)])
    np.testing.assert_allclose(ours.value(y, z), expected_value, rtol=1e-14)
    np.testing.assert_allclose(ours.derivative(y, z)[ok], expected_derivative[ok], rtol=1e-14)


def test_classification_losses_do_not_overflow():
    z = np.array([-1e308, -800.0, 800.0, 1e308])
    y = np.ones(4)
    for loss in (losses.LogLoss(), losses.Hinge(), losses.ModifiedHuber()):
        with np.errstate(over="raise", invalid="raise"):
            assert np.all(np.isfinite(loss.derivative(y, z)))
            assert np.all(np.isfinite(loss.value(y[1:3], z[1:3])))
    with np.errstate(over="raise"):
        assert np.all(np.isfinite(losses.LogLoss().value(y[1:3], z[1:3])))
        zz = np.array([[1000.0, -1000.0, 0.0], [-1e5, 1e5, 3.0]])
        assert np.all(np.isfinite(losses.MultinomialLogLoss().value(np.array([1, 0]), zz)))
        assert np.all(np.isfinite(losses.MultinomialLogLoss().derivative(np.array([1, 0]), zz)))


def test_one_vs_rest_columns_add_up():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(20, 3))
    y = rng.integers(0, 3, size=20)
    loss = losses.Hinge()
    total = sum(loss.value(np.where(y == k, 1.0, -1.0), z[:, k]) for k in range(3))
    np.testing.assert_allclose(loss.value(y, z), total)
    for k in range(3):
        np.testing.assert_allclose(loss.derivative(y, z)[:, k], loss.derivative(np.where(y == k, 1.0, -1.0), z[:, k]))


def test_get_by_name_and_errors():
    assert losses.get("huber", epsilon=0.5) == losses.Huber(0.5)
    assert losses.get("hinge") == losses.Hinge()
    custom = losses.SquaredError()
    assert losses.get(custom) is custom
    with pytest.raises(ValueError, match="Unknown loss 'nope'"):
        losses.get("nope")
    with pytest.raises(ValueError, match="epsilon"):
        losses.Huber(-1.0)
    with pytest.raises(NotImplementedError, match="value"):
        losses.Loss().value(np.zeros(1), np.zeros(1))


# scikit-learn's test_sgd.py cases (p, y, loss, dloss), kinks included: hinge's and the
# perceptron's subgradient at the threshold is -y. Checked for the NumPy losses and for the
# core's formulas (the intercept's gradient of a one-row problem with zero coefficients).
SCIKIT_LEARN_CASES = {
    "hinge": (losses.Hinge(), [(1.1, 1.0, 0.0, 0.0), (-2.0, -1.0, 0.0, 0.0), (1.0, 1.0, 0.0, -1.0),
                               (-1.0, -1.0, 0.0, 1.0), (0.5, 1.0, 0.5, -1.0), (2.0, -1.0, 3.0, 1.0),
                               (-0.5, -1.0, 0.5, 1.0), (0.0, 1.0, 1, -1.0)]),
    "perceptron": (losses.Perceptron(), [(1.0, 1.0, 0.0, 0.0), (-0.1, -1.0, 0.0, 0.0), (0.0, 1.0, 0.0, -1.0),
                                         (0.0, -1.0, 0.0, 1.0), (0.5, -1.0, 0.5, 1.0), (2.0, -1.0, 2.0, 1.0),
                                         (-0.5, 1.0, 0.5, -1.0), (-1.0, 1.0, 1.0, -1.0)]),
    "squared_hinge": (losses.SquaredHinge(), [(1.0, 1.0, 0.0, 0.0), (-2.0, -1.0, 0.0, 0.0), (1.0, -1.0, 4.0, 4.0),
                                              (-1.0, 1.0, 4.0, -4.0), (0.5, 1.0, 0.25, -1.0),
                                              (0.5, -1.0, 2.25, 3.0)]),
    "squared_epsilon_insensitive": (
        losses.SquaredEpsilonInsensitive(0.1),
        [(0.0, 0.0, 0.0, 0.0), (0.1, 0.0, 0.0, 0.0), (-2.05, -2.0, 0.0, 0.0), (3.05, 3.0, 0.0, 0.0),
         (2.2, 2.0, 0.01, 0.2), (2.0, -1.0, 8.41, 5.8), (2.0, 2.2, 0.01, -0.2), (-2.0, 1.0, 8.41, -5.8)]),
}


@pytest.mark.parametrize("name", sorted(SCIKIT_LEARN_CASES))
def test_scikit_learn_loss_cases_in_numpy_and_in_the_core(name):
    from pygdx import _core

    loss, cases = SCIKIT_LEARN_CASES[name]
    problem = _core.LinearProblem(loss.core_kind, n_features=1, n_outputs=1, fit_intercept=True,
                                  epsilon=getattr(loss, "epsilon", 0.1))
    for p, y, expected_loss, expected_dloss in cases:
        z, t = np.array([p]), np.array([y])
        np.testing.assert_allclose(loss.value(t, z), [expected_loss], atol=1e-12)
        np.testing.assert_allclose(loss.derivative(t, z), [expected_dloss], atol=1e-12)
        value, grad = _core.linear_loss_grad(problem, np.ones((1, 1)), t, None, np.array([0.0, p]))
        assert value == pytest.approx(expected_loss, abs=1e-12)
        assert grad[1] == pytest.approx(expected_dloss, abs=1e-12)
