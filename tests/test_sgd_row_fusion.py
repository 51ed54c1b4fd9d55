"""Plain SGD's stochastic epoch fuses each row's step with the next row's dot product (one
pass over the weights per row). An epoch over many rows must be the same bits as the same
rows stepped one epoch call at a time (a one-row epoch has no next row, so it steps unfused),
whatever the dtype, penalty, loss, sample weights, flags, schedule and feature count (the
dot's sixteen sums, its trailing terms, or both)."""

import numpy as np
import pytest

import pygdx
from pygdx import _core

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
