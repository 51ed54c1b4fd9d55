"""The cost of pygdx.minimize's loop against hand-written loops doing the same updates.

Groups are "<problem>-<method>"; within a group compare:

- ``minimize``: pygdx.minimize with every stopping rule off but max_iter (history kept,
  so x is copied at every iteration);
- ``minimize-nopath``: the same with ``keep_path=False`` (no copies: f, |g| and lr kept);
- ``hand-loop``: the same pygdx optimizer stepped in a plain Python loop that evaluates
  f and the gradient and keeps f, the least a user's own loop does;
- ``hand-numpy`` (plain gradient descent only): no optimizer object at all,
  ``x = x - lr * g``, on Python floats for the scalar problem.

Problems: a scalar quadratic (the seed's 3x^2 - 2x - 3, where the loop itself is all the
cost), 2-D Rosenbrock written for single points (cheap f, realistic), and a separable
quadratic with P = 100,000 variables (f and g dominate). Every case also checks that
minimize lands on the hand loop's x, so ``--benchmark-disable`` runs stay correct.

    pytest benchmarks/bench_minimize.py --benchmark-enable --benchmark-group-by=group --benchmark-columns=min,median,rounds
"""

from __future__ import annotations

import numpy as np
import pytest

import pygdx
from pygdx import optim

N_ITER = 1000


def quadratic(x):
    return 3 * x * x - 2 * x - 3


def quadratic_slope(x):
    return 6 * x - 2


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    inner = x[1] - x[0] ** 2
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * inner, 200 * inner])


_CURVATURE = np.linspace(1.0, 10.0, 100_000)


def separable(x):
    return 0.5 * float(np.dot(_CURVATURE * x, x))


def separable_grad(x):
    return _CURVATURE * x


PROBLEMS = {
    "scalar-quadratic": (quadratic, quadratic_slope, 8.0, 1e-3, N_ITER),
    "rosenbrock-2d": (rosen, rosen_grad, np.array([-1.2, 1.0]), 1e-3, N_ITER),
    "separable-P=1e5": (separable, separable_grad, np.ones(100_000), 0.05, 100),
}
CASES = [
    (problem, method, impl)
    for problem in PROBLEMS
    for method in ("gd", "adam")
    for impl in ("minimize", "minimize-nopath", "hand-loop", "hand-numpy")
    if not (impl == "hand-numpy" and method != "gd")
]


def run_minimize(fun, jac, x0, method, lr, n_iter, keep_path=True):
    return pygdx.minimize(fun, x0, jac=jac, method=method, lr=lr, max_iter=n_iter, gtol=None, keep_path=keep_path).x


def run_minimize_nopath(fun, jac, x0, method, lr, n_iter):
    return run_minimize(fun, jac, x0, method, lr, n_iter, keep_path=False)


def run_hand_loop(fun, jac, x0, method, lr, n_iter):
    x = np.array(x0, dtype=np.float64)
    opt = optim.get(method, [x], lr=lr)
    losses = []
    for _ in range(n_iter):
        losses.append(fun(x))
        opt.step(jac(x))
    losses.append(fun(x))
    return x[()] if x.ndim == 0 else x


def run_hand_numpy(fun, jac, x0, method, lr, n_iter):
    x = x0 if np.ndim(x0) == 0 else np.array(x0, dtype=np.float64)
    losses = []
    for _ in range(n_iter):
        losses.append(fun(x))
        x = x - lr * jac(x)
    losses.append(fun(x))
    return x


RUNNERS = {
    "minimize": run_minimize,
    "minimize-nopath": run_minimize_nopath,
    "hand-loop": run_hand_loop,
    "hand-numpy": run_hand_numpy,
}


@pytest.mark.parametrize(("problem", "method", "impl"), CASES)
def test_minimize_loop_overhead(benchmark, problem, method, impl):
    fun, jac, x0, lr, n_iter = PROBLEMS[problem]
    benchmark.group = f"{problem}-{method}"
    benchmark.extra_info["iterations"] = n_iter
    x = benchmark(RUNNERS[impl], fun, jac, x0, method, lr, n_iter)
    reference = run_hand_loop(fun, jac, x0, method, lr, n_iter)
    np.testing.assert_allclose(x, reference, rtol=1e-12)
