"""Properties of the optimizers that hold for any problem hypothesis can think of."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pygdx import optim

N_STEPS = 20

# The rules are element-wise, so on a separable quadratic each coordinate moves on its
# own; with these rates no coordinate can overshoot its optimum within N_STEPS steps
# (plain and heavy-ball SGD stay overdamped, the adaptive rules move at most ~lr per step),
# so the loss must fall at every step.
MONOTONE_CASES = {
    "SGD": lambda curv, dist: {"lr": 0.5 / curv.max()},
    "momentum": lambda curv, dist: {"lr": 1e-3 / curv.max(), "momentum": 0.9},
    "nesterov": lambda curv, dist: {"lr": 1e-3 / curv.max(), "momentum": 0.9, "nesterov": True},
    "Adagrad": lambda curv, dist: {"lr": dist.min() / 4},
    "RMSprop": lambda curv, dist: {"lr": dist.min() / (4 * N_STEPS)},
    "RMSprop-centered": lambda curv, dist: {"lr": dist.min() / (40 * N_STEPS), "centered": True},
    "Adadelta": lambda curv, dist: {"lr": min(1.0, dist.min() / N_STEPS)},
    "Adam": lambda curv, dist: {"lr": dist.min() / (4 * N_STEPS)},
    "AdamW": lambda curv, dist: {"lr": dist.min() / (4 * N_STEPS), "weight_decay": 0.0},
    "Adamax": lambda curv, dist: {"lr": dist.min() / (4 * N_STEPS)},
    "NAdam": lambda curv, dist: {"lr": dist.min() / (4 * N_STEPS)},
    # RAdam's first steps are momentum SGD on the raw gradient, so its rate must also
    # suit the curvature.
    "RAdam": lambda curv, dist: {"lr": min(dist.min() / (4 * N_STEPS), 1e-3 / curv.max())},
}
CLASS_OF = {"momentum": "SGD", "nesterov": "SGD", "RMSprop-centered": "RMSprop"}


@st.composite
def separable_quadratics(draw):
    """f(x) = sum(c (x - x*)^2) / 2 with curvatures c > 0, and a start x0 away from x*."""
    n = draw(st.integers(1, 6))
    floats = st.floats
    curvature = np.array(draw(st.lists(floats(0.1, 10.0), min_size=n, max_size=n)))
    optimum = np.array(draw(st.lists(floats(-5.0, 5.0), min_size=n, max_size=n)))
    distance = np.array(draw(st.lists(floats(0.1, 5.0), min_size=n, max_size=n)))
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    return curvature, optimum, optimum + signs * distance, distance


def quadratic_loss(curvature, optimum, x):
    return float(np.sum(curvature * (x - optimum) ** 2) / 2)


@pytest.mark.parametrize("case", list(MONOTONE_CASES))
@settings(max_examples=60, deadline=None)
@given(problem=separable_quadratics())
def test_small_steps_decrease_a_convex_quadratic(case, problem):
    curvature, optimum, x0, distance = problem
    x = x0.copy()
    opt = getattr(optim, CLASS_OF.get(case, case))(x, **MONOTONE_CASES[case](curvature, distance))
    losses = [quadratic_loss(curvature, optimum, x)]
    for _ in range(N_STEPS):
        opt.step(curvature * (x - optimum))
        losses.append(quadratic_loss(curvature, optimum, x))
    assert all(b <= a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
                                  "RAdam"])
@settings(max_examples=30, deadline=None)
@given(problem=separable_quadratics(), lr=st.floats(1e-3, 0.1))
def test_float32_follows_float64(name, problem, lr):
    curvature, optimum, x0, _ = problem
    x64 = x0.copy()
    x32 = x0.astype(np.float32)
    opt64 = getattr(optim, name)(x64, lr=lr)
    opt32 = getattr(optim, name)(x32, lr=lr)
    for _ in range(N_STEPS):
        opt64.step(curvature * (x64 - optimum))
        opt32.step(curvature * (x32.astype(np.float64) - optimum))
    # Each float32 step is exact to ~1e-7 relative; on a contracting problem the errors
    # of N_STEPS steps add up to a few hundred float32 epsilons of the scale at most.
    scale = 1.0 + np.abs(x0).max() + np.abs(optimum).max()
    np.testing.assert_allclose(x32, x64, rtol=0, atol=1e-4 * scale)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
                                  "RAdam"])
@settings(max_examples=20, deadline=None)
@given(problem=separable_quadratics(), weight_decay=st.sampled_from([0.0, 0.1]))
def test_maximize_on_the_negated_gradient_is_the_same_run(name, problem, weight_decay):
    curvature, optimum, x0, _ = problem
    x_min, x_max = x0.copy(), x0.copy()
    opt_min = getattr(optim, name)(x_min, weight_decay=weight_decay)
    opt_max = getattr(optim, name)(x_max, weight_decay=weight_decay, maximize=True)
    for _ in range(N_STEPS):
        opt_min.step(curvature * (x_min - optimum))
        opt_max.step(-curvature * (x_max - optimum))
    np.testing.assert_array_equal(x_min, x_max)
