"""Plain SGD's stochastic epoch fuses each row's step with the next row's dot product (one
pass over the weights per row). An epoch over many rows must be the same bits as the same
rows stepped one epoch call at a time (a one-row epoch has no next row, so it steps unfused),
whatever the dtype, penalty, loss, sample weights, flags, schedule and feature count (the
dot's sixteen sums, its trailing terms, or both)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pygdx
from pygdx import _core, losses
from pygdx.reference import linear as ref

LOSSES = {"squared_error": _core.LossKind.squared_error, "huber": _core.LossKind.huber,
          "hinge": _core.LossKind.hinge}


def problem(loss, penalty, alpha, d, fit_intercept=True):
    kind = {"none": _core.PenaltyKind.none, "l2": _core.PenaltyKind.l2, "elasticnet": _core.PenaltyKind.elasticnet}
    return _core.LinearProblem(LOSSES[loss], n_features=d, n_outputs=1, fit_intercept=fit_intercept, epsilon=0.3,
                               penalty=kind[penalty], alpha=alpha, l1_ratio=0.0)


def data(loss, n, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    y = (rng.choice([-1.0, 1.0], size=n) if loss == "hinge" else rng.normal(size=n)).astype(dtype)
    theta = (0.1 * rng.normal(size=d + 1)).astype(dtype)
    sw = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    return X, y, theta, sw


def fused_and_row_by_row(pb, X, y, sw, theta0, order, kwargs):
    """(theta, counters) of one epoch over `order`, and of one epoch call per row."""
    theta = theta0.copy()
    opt = pygdx.optim.get("sgd", [theta], **kwargs)
    hyper, schedule, counters, states = opt.core_buffers()
    _, steps, finite = _core.linear_epoch(pb, X, y, sw, order.copy(), 1, hyper, schedule, counters, theta, states, 1)
    assert finite and steps == len(order)

    theta_rows = theta0.copy()
    opt_rows = pygdx.optim.get("sgd", [theta_rows], **kwargs)
    hyper, schedule, counters_rows, states = opt_rows.core_buffers()
    for r in order:
        _, _, finite = _core.linear_epoch(pb, X, y, sw, np.array([r], np.int64), 1, hyper, schedule,
                                                 counters_rows, theta_rows, states, 1)
        assert finite
    return theta, counters, theta_rows, counters_rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [3, 16, 37, 100])
@pytest.mark.parametrize("penalty, alpha", [("none", 0.0), ("l2", 1e-3), ("elasticnet", 1e-2)])
def test_a_fused_epoch_is_the_row_by_row_steps(dtype, d, penalty, alpha):
    X, y, theta0, _ = data("squared_error", 40, d, dtype)
    pb = problem("squared_error", penalty, alpha, d)
    order = np.random.default_rng(1).permutation(40).astype(np.int64)
    theta, counters, theta_rows, counters_rows = fused_and_row_by_row(pb, X, y, None, theta0, order,
                                                                            {"lr": 0.01})
    np.testing.assert_array_equal(theta, theta_rows)
    np.testing.assert_array_equal(counters, counters_rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["huber", "hinge"])
@pytest.mark.parametrize("kwargs", [{"lr": 0.02, "weight_decay": 0.1}, {"lr": 0.02, "maximize": True},
                                    {"lr": 0.02, "weight_decay": 0.05, "maximize": True}])
def test_fused_flags_losses_and_sample_weights_keep_the_bits(dtype, loss, kwargs):
    X, y, theta0, sw = data(loss, 30, 21, dtype, seed=2)
    pb = problem(loss, "l2", 1e-3, 21)
    order = np.random.default_rng(3).permutation(30).astype(np.int64)
    theta, counters, theta_rows, counters_rows = fused_and_row_by_row(pb, X, y, sw, theta0, order, kwargs)
    np.testing.assert_array_equal(theta, theta_rows)
    np.testing.assert_array_equal(counters, counters_rows)


def test_no_intercept_and_a_decaying_schedule_keep_the_bits():
    X, y, theta0, _ = data("squared_error", 50, 19, np.float64, seed=4)
    theta0[-1] = 0.0
    pb = problem("squared_error", "l2", 1e-3, 19, fit_intercept=False)
    order = np.random.default_rng(5).permutation(50).astype(np.int64)
    kwargs = {"lr": pygdx.schedules.InverseTimeLR(0.05, power_t=0.25)}
    theta, counters, theta_rows, counters_rows = fused_and_row_by_row(pb, X, y, None, theta0, order, kwargs)
    np.testing.assert_array_equal(theta, theta_rows)
    np.testing.assert_array_equal(counters, counters_rows)
    assert theta[-1] == 0.0


def test_a_clamped_decay_step_between_fused_ones_keeps_the_bits():
    # lr·l2 >= 1 takes the clamped step (coefficients restart from zero), unfused: a linear
    # ramp of the rate from lr·l2 = 0.5 to 1.5 fuses the first rows and clamps the later ones
    X, y, theta0, _ = data("squared_error", 24, 20, np.float64, seed=6)
    pb = problem("squared_error", "l2", 5.0, 20)
    order = np.arange(24, dtype=np.int64)
    ramp = pygdx.schedules.LinearLR(0.3, start_factor=1.0 / 3, end_factor=1.0, total_iters=20)
    theta, counters, theta_rows, counters_rows = fused_and_row_by_row(pb, X, y, None, theta0, order,
                                                                            {"lr": ramp})
    np.testing.assert_array_equal(theta, theta_rows)
    np.testing.assert_array_equal(counters, counters_rows)


# The edges of the fused pass: one weight, fewer than sixteen (trailing terms
# only), exactly sixteen, sixteen and one; one row (no next row); a row repeated in the order
# (the next row is the row just stepped on); both dtypes, the flags, sample weights and no
# intercept. Each epoch is the row-by-row steps' bits, and the plain NumPy SGD's numbers.
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(d=st.sampled_from([1, 2, 15, 16, 17, 33]), n=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]),
       l2=st.sampled_from([0.0, 0.01]), maximize=st.booleans(), weight_decay=st.sampled_from([0.0, 0.05]),
       weighted=st.booleans(), fit_intercept=st.booleans(), repeated=st.booleans(), seed=st.integers(0, 1000))
def test_fused_edges_are_the_row_by_row_steps_and_the_reference(d, n, dtype, l2, maximize, weight_decay, weighted,
                                                                  fit_intercept, repeated, seed):
    X, y, theta0, sw = data("huber", n, d, dtype, seed=seed)
    if not fit_intercept:
        theta0[-1] = 0.0
    pb = problem("huber", "l2" if l2 else "none", l2, d, fit_intercept=fit_intercept)
    rng = np.random.default_rng(seed)
    order = (rng.integers(0, n, size=n + 2) if repeated else rng.permutation(n)).astype(np.int64)
    kwargs = {"lr": 0.05, "maximize": maximize, "weight_decay": weight_decay}
    sw = sw if weighted else None
    hyper = pygdx.optim.get("sgd", [theta0.copy()], **kwargs).core_buffers()[0]
    assert _core.linear_epoch_path(pb, 1, hyper) == "stochastic_sgd"
    theta, counters, theta_rows, counters_rows = fused_and_row_by_row(pb, X, y, sw, theta0, order, kwargs)
    np.testing.assert_array_equal(theta, theta_rows)
    np.testing.assert_array_equal(counters, counters_rows)

    coef, intercept = theta0[:d].astype(np.float64).reshape(1, d), theta0[d:].astype(np.float64)
    ref_opt = pygdx.optim.get("sgd", [coef, intercept], **kwargs)
    ref.epoch(losses.Huber(0.3), X.astype(np.float64), y.astype(np.float64), coef, intercept, ref_opt, order, 1,
              None if sw is None else sw.astype(np.float64), "l2" if l2 else None, l2, 0.15, fit_intercept)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(theta, np.concatenate([coef.ravel(), intercept]), **tol)
