"""Training linear models: pygdx's C++ epochs against a plain NumPy loop and scikit-learn,
and the full-batch gradient against NumPy and against one read of X.

Groups (compare the implementations within one):

- ``epoch-<optimizer>-bs<k>``: one epoch of mini-batch training, squared error, float64:
  ``pygdx`` is ``GDRegressor.partial_fit`` (input checks included; the default, every
  usable core where that pays, and one thread as ``pygdx n_jobs=1``), ``numpy`` the loop of
  :func:`pygdx.reference.linear.epoch` with the NumPy optimizer of :mod:`pygdx.reference.optim`
  (the same update), both over a freshly shuffled order;
- ``stochastic-<regressor|classifier>``: one epoch of per-sample SGD with a constant rate
  and l2 penalty: ``pygdx`` (``batch_size=1``, optimizer "sgd") against scikit-learn's
  SGDRegressor / SGDClassifier ``partial_fit``; both run the same number of epochs and the
  test checks their training objectives agree (equal final loss);
- ``full-batch-gradient``: the objective and gradient in one pass (all cores) against
  NumPy's ``X.T @ (X @ w - y)`` and a single ``X @ w``.

Sizes are the issue's (n = 200,000 x 100 for epochs, 2,000,000 x 100 for the gradient);
with ``--benchmark-disable`` (CI) they shrink so that every case runs once, quickly, and
still checks its result.

    pytest benchmarks/bench_linear.py --benchmark-enable --benchmark-json=linear.json --benchmark-group-by=group
    python benchmarks/ratios_linear.py linear.json
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pygdx
from pygdx import _core, losses
from pygdx.reference import linear as ref_linear
from pygdx.reference import optim as ref_optim

N_FEATURES = 100
ROUNDS = 10


@pytest.fixture(scope="module")
def sizes(request):
    # --benchmark-enable overrides the --benchmark-disable that pyproject's addopts sets.
    timed = request.config.getoption("benchmark_enable", False) or not request.config.getoption("benchmark_disable", False)
    if not timed:
        return {"epoch": 3_000, "full": 5_000}
    return {"epoch": 200_000, "full": 2_000_000}


@pytest.fixture(scope="module")
def regression(sizes):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((sizes["epoch"], N_FEATURES))
    y = X @ rng.standard_normal(N_FEATURES) + 0.1 * rng.standard_normal(sizes["epoch"])
    return X, y


def run(benchmark, fn, rounds=ROUNDS):
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)


EPOCH_CASES = [("sgd", 32, 1e-3), ("sgd", 256, 1e-2), ("adam", 32, 1e-3), ("adam", 256, 1e-3)]


# pygdx runs with its default n_jobs=None (every usable core where that pays: a team of threads
# shares each batch of 64 rows or more at d = 100) and with n_jobs=1 (one thread).
EPOCH_IMPLS = {"pygdx": None, "pygdx n_jobs=1": 1, "numpy": None}


@pytest.mark.parametrize("impl", list(EPOCH_IMPLS))
@pytest.mark.parametrize("optimizer, batch_size, lr", EPOCH_CASES)
def test_epoch(benchmark, regression, impl, optimizer, batch_size, lr):
    X, y = regression
    benchmark.group = f"epoch-{optimizer}-bs{batch_size}"
    benchmark.extra_info.update(case="epoch", impl=impl, optimizer=optimizer, batch_size=batch_size, n=X.shape[0])
    if impl.startswith("pygdx"):
        est = pygdx.GDRegressor(optimizer=optimizer, lr=lr, batch_size=batch_size, penalty=None, random_state=0,
                                n_jobs=EPOCH_IMPLS[impl])
        run(benchmark, lambda: est.partial_fit(X, y))
        coef, intercept = est.coef_[None, :], est.intercept_
    else:
        coef, intercept = np.zeros((1, N_FEATURES)), np.zeros(1)
        rule = ref_optim.SGD if optimizer == "sgd" else ref_optim.Adam
        opt = rule([coef, intercept], lr=lr)
        order = np.arange(X.shape[0])
        rng = np.random.default_rng(0)

        def numpy_epoch():
            rng.shuffle(order)
            ref_linear.epoch(losses.SquaredError(), X, y, coef, intercept, opt, order, batch_size)

        run(benchmark, numpy_epoch)
    value = ref_linear.loss_grad(losses.SquaredError(), X, y, coef, intercept)[0]
    benchmark.extra_info["final_loss"] = value
    assert value < 0.5 * float(np.mean(y**2))  # both actually train


def sklearn_stochastic(kind):
    linear_model = pytest.importorskip("sklearn.linear_model")
    kw = dict(learning_rate="constant", eta0=1e-3, penalty="l2", alpha=1e-4, random_state=0)
    if kind == "regressor":
        return linear_model.SGDRegressor(**kw)
    return linear_model.SGDClassifier(loss="log_loss", **kw)


@pytest.mark.parametrize("impl", ["pygdx", "scikit-learn"])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_stochastic_epoch(benchmark, regression, impl, kind):
    X, y = regression
    target = y if kind == "regressor" else (y > 0).astype(np.float64)
    benchmark.group = f"stochastic-{kind}"
    benchmark.extra_info.update(case="stochastic", impl=impl, kind=kind, n=X.shape[0])
    if impl == "pygdx":
        cls = pygdx.GDRegressor if kind == "regressor" else pygdx.GDClassifier
        est = cls(optimizer="sgd", lr=1e-3, batch_size=1, penalty="l2", alpha=1e-4, random_state=0)
        step = (lambda: est.partial_fit(X, target)) if kind == "regressor" else (
            lambda: est.partial_fit(X, target, classes=[0.0, 1.0]))
        run(benchmark, step)
        coef, intercept = np.atleast_2d(est.coef_), est.intercept_
    else:
        est = sklearn_stochastic(kind)

        def step():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == "regressor":
                    est.partial_fit(X, target)
                else:
                    est.partial_fit(X, target, classes=[0.0, 1.0])

        run(benchmark, step)
        coef, intercept = np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_)
    if kind == "regressor":
        loss, loss_target = losses.SquaredError(), target
    else:
        loss, loss_target = losses.LogLoss(), np.where(target > 0, 1.0, -1.0)
    value = ref_linear.loss_grad(loss, X, loss_target, coef, intercept, penalty="l2", alpha=1e-4)[0]
    benchmark.extra_info["final_loss"] = value
    # Equal final loss: the reference objective after ROUNDS epochs, compared in ratios_linear.py.
    assert np.isfinite(value)


def test_stochastic_runs_reach_equal_loss(regression):
    """pygdx's and scikit-learn's stochastic runs end at the same objective (within 2%)."""
    X, y = regression
    for kind in ("regressor", "classifier"):
        target = y if kind == "regressor" else (y > 0).astype(np.float64)
        sk = sklearn_stochastic(kind)
        cls = pygdx.GDRegressor if kind == "regressor" else pygdx.GDClassifier
        ours = cls(optimizer="sgd", lr=1e-3, batch_size=1, penalty="l2", alpha=1e-4, random_state=0,
                   max_iter=2, tol=None).fit(X, target)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk.set_params(max_iter=2, tol=None).fit(X, target)
        if kind == "regressor":
            loss, loss_target = losses.SquaredError(), target
        else:
            loss, loss_target = losses.LogLoss(), np.where(target > 0, 1.0, -1.0)
        values = [ref_linear.loss_grad(loss, X, loss_target, np.atleast_2d(m.coef_), np.atleast_1d(m.intercept_),
                                       penalty="l2", alpha=1e-4)[0] for m in (ours, sk)]
        assert values[0] == pytest.approx(values[1], rel=0.02), kind


@pytest.fixture(scope="module")
def big(sizes):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((sizes["full"], N_FEATURES))
    y = X @ rng.standard_normal(N_FEATURES)
    return X, y


@pytest.mark.parametrize("impl", ["pygdx", "numpy-gradient", "one-read"])
def test_full_batch_gradient(benchmark, big, impl):
    X, y = big
    benchmark.group = "full-batch-gradient"
    benchmark.extra_info.update(case="full", impl=impl, n=X.shape[0])
    problem = _core.LinearProblem(_core.LossKind.squared_error, n_features=N_FEATURES)
    theta = np.full(N_FEATURES + 1, 0.01)
    w = theta[:N_FEATURES]
    if impl == "pygdx":
        value, grad = run(benchmark, lambda: _core.linear_loss_grad(problem, X, y, None, theta, None, 0), rounds=10)
        expected = X.T @ (X @ w + theta[-1] - y) / X.shape[0]
        np.testing.assert_allclose(grad[:N_FEATURES], expected, rtol=1e-9, atol=1e-12)
    elif impl == "numpy-gradient":
        run(benchmark, lambda: X.T @ (X @ w - y) / X.shape[0], rounds=10)
    else:
        run(benchmark, lambda: X @ w, rounds=10)
