"""pygdx.minimize: the same iterates as a hand-written loop, scipy's conventions for jac and
callback, every stopping rule, the history, divergence handling and input errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import pygdx
from pygdx import functions, optim, reference, schedules
from pygdx.minimize import OptimizeResult

# pygdx.reference classes for each name of pygdx.optim.get, with get's presets.
REFERENCE = {
    "gd": (reference.optim.SGD, {}),
    "sgd": (reference.optim.SGD, {}),
    "momentum": (reference.optim.SGD, {"momentum": 0.9}),
    "nesterov": (reference.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (reference.optim.Adagrad, {}),
    "rmsprop": (reference.optim.RMSprop, {}),
    "adadelta": (reference.optim.Adadelta, {}),
    "adam": (reference.optim.Adam, {}),
    "adamw": (reference.optim.AdamW, {}),
    "adamax": (reference.optim.Adamax, {}),
    "nadam": (reference.optim.NAdam, {}),
    "radam": (reference.optim.RAdam, {}),
}
RATES = {"gd": 1e-3, "sgd": 1e-3, "momentum": 2e-4, "nesterov": 2e-4, "adadelta": 1.0, "radam": 2e-4}


def quadratic(x):
    return 3 * x**2 - 2 * x - 3


def quadratic_slope(x):
    return 6 * x - 2


def hand_loop(fun, jac, x0, opt_factory, n_steps):
    """The loop minimize() replaces: evaluate, record, step."""
    x = np.array(x0, dtype=np.float64)
    opt = opt_factory(x)
    xs, fs = [x.copy()], [fun(x)]
    for _ in range(n_steps):
        opt.step(np.asarray(jac(x), dtype=np.float64))
        xs.append(x.copy())
        fs.append(fun(x))
    return np.array(xs), np.array(fs)


def test_issue_example_quadratic_series_matches_plain_python():
    # 3x^2 - 2x - 3 from x = 8 with lr 0.001 and at most 500 steps: the tutorial's loop.
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.001, max_iter=500, xtol=1e-5, gtol=None)
    x, series = 8.0, [8.0]
    for _ in range(500):
        new_x = x - 0.001 * quadratic_slope(x)
        if abs(new_x - x) < 1e-5:
            break
        x = new_x
        series.append(x)
    assert res.nit == 500 and res.status == 1 and not res.success
    np.testing.assert_allclose(res.history.x, series, rtol=1e-14, atol=0)
    assert isinstance(res.x, float) and np.shape(res.jac) == ()
    assert res.x == pytest.approx(series[-1], rel=1e-14)


@pytest.mark.parametrize("method", sorted(REFERENCE))
def test_every_method_takes_the_reference_optimizers_steps(method):
    f, grad = functions.rosenbrock, functions.rosenbrock.grad
    lr = RATES.get(method, 1e-2)
    n = 150
    res = pygdx.minimize(f, [-1.2, 1.0], jac=grad, method=method, lr=lr, max_iter=n, gtol=None)
    cls, preset = REFERENCE[method]
    xs, fs = hand_loop(f, grad, [-1.2, 1.0], lambda x: cls([x], lr=lr, **preset), n)
    assert res.nit == n
    np.testing.assert_allclose(res.history.x, xs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.history.fun, fs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.x, xs[-1], rtol=1e-10, atol=1e-12)


def test_same_iterates_as_a_hand_loop_with_the_same_optimizer_bit_for_bit():
    f, grad = functions.beale, functions.beale.grad
    res = pygdx.minimize(f, [1.0, 1.0], jac=grad, method="adam", lr=0.01, max_iter=300, gtol=None)
    xs, _ = hand_loop(f, grad, [1.0, 1.0], lambda x: optim.Adam([x], lr=0.01), 300)
    np.testing.assert_array_equal(res.history.x, xs)


def test_options_reach_the_optimizer():
    f, grad = functions.booth, functions.booth.grad
    kwargs = dict(momentum=0.5, nesterov=True, weight_decay=0.01)
    res = pygdx.minimize(f, [0.0, 0.0], jac=grad, method="sgd", lr=0.01, max_iter=50, gtol=None, **kwargs)
    xs, _ = hand_loop(f, grad, [0.0, 0.0], lambda x: reference.optim.SGD([x], lr=0.01, **kwargs), 50)
    np.testing.assert_allclose(res.x, xs[-1], rtol=1e-12)
    with pytest.raises(TypeError):
        pygdx.minimize(f, [0.0, 0.0], jac=grad, method="adam", no_such_option=1)


def test_default_lr_is_the_optimizers_own():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, method="adamax", max_iter=3, gtol=None)
    assert np.all(res.history.lr[1:] == optim.Adamax([np.zeros(1)]).lr)


def test_schedule_rates_are_used_and_recorded():
    sched = schedules.StepLR(0.1, step_size=4, gamma=0.5)
    f, grad = functions.matyas, functions.matyas.grad
    res = pygdx.minimize(f, [3.0, -2.0], jac=grad, lr=sched, max_iter=12, gtol=None)
    assert np.isnan(res.history.lr[0])
    np.testing.assert_allclose(res.history.lr[1:], [sched(t) for t in range(1, 13)])
    xs, _ = hand_loop(f, grad, [3.0, -2.0], lambda x: reference.optim.SGD([x], lr=reference.schedules.StepLR(
        0.1, step_size=4, gamma=0.5)), 12)
    np.testing.assert_allclose(res.history.x, xs, rtol=1e-13)


def test_plateau_schedule_is_fed_f_every_iteration():
    # f = |x| has a constant-size gradient, so gd oscillates around 0 and f stops improving.
    sched = schedules.ReduceLROnPlateau(0.3, factor=0.5, patience=2)
    res = pygdx.minimize(lambda x: abs(x), 1.0, jac=np.sign, lr=sched, max_iter=40, gtol=None)
    rates = res.history.lr[1:]
    assert rates[0] == 0.3 and rates[-1] < 0.3
    assert np.all(np.diff(rates) <= 0)
    oracle = schedules.ReduceLROnPlateau(0.3, factor=0.5, patience=2)
    for f in res.history.fun[:-1]:
        oracle.observe(f)
    assert oracle.scale * 0.3 == pytest.approx(rates[-1])


@pytest.mark.parametrize("jac", ["2-point", "3-point", None])
def test_finite_difference_gradients(jac):
    f = functions.himmelblau
    res = pygdx.minimize(f, [1.0, 1.0], jac=jac, method="adam", lr=0.05, max_iter=4000, gtol=1e-6)
    exact = pygdx.minimize(f, [1.0, 1.0], jac=f.grad, method="adam", lr=0.05, max_iter=4000, gtol=1e-6)
    assert res.success
    np.testing.assert_allclose(res.x, [3.0, 2.0], atol=1e-5)
    np.testing.assert_allclose(res.history.x[:50], exact.history.x[:50], rtol=1e-6)
    calls_per_gradient = 4 if jac == "3-point" else 2  # two coordinates, one or two calls each
    assert res.njev == res.nit + 1
    assert res.nfev == (res.nit + 1) * (1 + calls_per_gradient)


def test_jac_true_and_args():
    def value_and_grad(x, a, b):
        return a * (x[0] - b) ** 2 + x[1] ** 2, np.array([2 * a * (x[0] - b), 2 * x[1]])

    res = pygdx.minimize(value_and_grad, [0.0, 1.0], args=(2.0, 3.0), jac=True, lr=0.1, max_iter=500)
    assert res.success and res.status == 0
    np.testing.assert_allclose(res.x, [3.0, 0.0], atol=1e-5)
    assert res.nfev == res.njev == res.nit + 1


def test_objective_value_and_grad_works_with_jac_true():
    res = pygdx.minimize(functions.booth.value_and_grad, [0.0, 0.0], jac=True, method="adam", lr=0.1, max_iter=3000)
    np.testing.assert_allclose(res.x, functions.booth.minimizers()[0], atol=1e-5)


def test_agrees_with_scipy_on_the_minimum():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    f = functions.quadratic_bowl(condition_number=20.0, angle=0.4)
    shifted = lambda x: f(x - 1.5) + 2.0  # noqa: E731
    shifted_grad = lambda x: f.grad(x - 1.5)  # noqa: E731
    ours = pygdx.minimize(shifted, [4.0, -3.0], jac=shifted_grad, lr=0.09, max_iter=5000, gtol=1e-9)
    theirs = scipy_optimize.minimize(shifted, [4.0, -3.0], jac=shifted_grad, method="BFGS", options={"gtol": 1e-10})
    assert ours.success
    np.testing.assert_allclose(ours.x, theirs.x, atol=1e-8)
    assert ours.fun == pytest.approx(theirs.fun, abs=1e-12)


def test_array_shapes_are_kept():
    target = np.arange(6.0).reshape(2, 3)
    res = pygdx.minimize(lambda x: np.sum((x - target) ** 2), np.zeros((2, 3)), jac=lambda x: 2 * (x - target), lr=0.1)
    assert res.x.shape == (2, 3) and res.jac.shape == (2, 3)
    assert res.history.x.shape == (res.nit + 1, 2, 3)
    np.testing.assert_allclose(res.x, target, atol=1e-5)
    listed = pygdx.minimize(lambda x: float(x @ x), [1, 2], jac=lambda x: 2 * x, lr=0.1)
    assert listed.x.dtype == np.float64 and listed.x.shape == (2,)


def test_history_records_every_point_from_the_start():
    f, grad = functions.rosenbrock, functions.rosenbrock.grad
    res = pygdx.minimize(f, [0.0, 0.0], jac=grad, method="rmsprop", lr=0.01, max_iter=60, gtol=None)
    h = res.history
    assert h.x.shape == (61, 2) and h.fun.shape == h.grad_norm.shape == h.lr.shape == (61,)
    np.testing.assert_array_equal(h.x[0], [0.0, 0.0])
    np.testing.assert_allclose(h.fun, f(h.x))
    np.testing.assert_allclose(h.grad_norm, np.linalg.norm(grad(h.x), axis=-1))
    assert res.fun == h.fun[-1] and np.array_equal(res.x, h.x[-1])
    np.testing.assert_allclose(res.jac, grad(res.x))
    no_path = pygdx.minimize(f, [0.0, 0.0], jac=grad, method="rmsprop", lr=0.01, max_iter=60, gtol=None,
                             keep_path=False)
    assert no_path.history.x.shape == (0, 2)
    np.testing.assert_array_equal(no_path.history.fun, h.fun)


def test_gtol_stops_at_the_first_small_gradient():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.05, gtol=1e-3)
    assert res.success and res.status == 0 and "gradient" in res.message
    assert res.history.grad_norm[-1] <= 1e-3 < res.history.grad_norm[-2]


def test_tol_stops_on_a_small_change_in_f():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.01, tol=1e-6, gtol=None)
    df = np.abs(np.diff(res.history.fun))
    assert res.success and res.status == 2
    assert df[-1] < 1e-6 and np.all(df[:-1] >= 1e-6)


def test_xtol_stops_on_a_small_step():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.01, xtol=1e-4, gtol=None)
    dx = np.abs(np.diff(res.history.x))
    assert res.success and res.status == 3
    assert dx[-1] < 1e-4 and np.all(dx[:-1] >= 1e-4)


def test_max_iter_and_zero_iterations():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=1e-4, max_iter=7)
    assert (res.nit, res.status, res.success) == (7, 1, False)
    assert "Maximum number of iterations" in res.message
    none = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, max_iter=0)
    assert none.nit == 0 and none.x == 8.0 and none.fun == quadratic(8.0) and none.jac == quadratic_slope(8.0)


def test_starting_at_the_minimum_takes_no_step():
    res = pygdx.minimize(functions.booth, [1.0, 3.0], jac=functions.booth.grad)
    assert res.success and res.nit == 0


def test_callback_receives_intermediate_result_and_can_stop():
    seen = []

    def callback(intermediate_result):
        assert isinstance(intermediate_result, OptimizeResult)
        seen.append((intermediate_result.nit, intermediate_result.x, intermediate_result.fun))
        assert intermediate_result.jac == quadratic_slope(intermediate_result.x)
        if intermediate_result.nit == 5:
            raise StopIteration

    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.01, callback=callback)
    assert (res.status, res.success, res.nit) == (99, False, 5)
    assert "StopIteration" in res.message
    assert [nit for nit, _, _ in seen] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal([x for _, x, _ in seen], res.history.x[1:])
    np.testing.assert_array_equal([f for _, _, f in seen], res.history.fun[1:])


def test_legacy_callback_gets_a_copy_of_x():
    def callback(xk):
        xk[:] = 1e6  # must not reach the optimizer

    res = pygdx.minimize(functions.booth, [0.0, 0.0], jac=functions.booth.grad, lr=0.05, max_iter=5, callback=callback)
    assert np.all(np.abs(res.x) < 10)


def test_nan_divergence_returns_the_last_finite_point():
    with np.errstate(over="raise"):  # minimize itself must silence the overflow, not the caller
        res = pygdx.minimize(lambda x: np.exp(x * x), 3.0, jac=lambda x: 2 * x * np.exp(x * x), lr=0.5)
    assert (res.status, res.success) == (4, False)
    assert "Diverged" in res.message and "inf" in res.message and "lr=0.05" in res.message
    assert np.isfinite(res.x) and np.isfinite(res.fun)
    assert res.x == res.history.x[-1] and res.nit == len(res.history.fun) - 1


def test_growth_divergence_is_caught_before_overflow():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.5, max_iter=10_000)
    assert (res.status, res.success) == (4, False)
    assert "grew" in res.message and "smaller learning rate" in res.message and "adam" in res.message
    assert res.nit < 100 and np.isfinite(res.fun)
    assert res.x == res.history.x[-1] and res.fun == res.history.fun[-1] == quadratic(res.x)
    assert len(res.history.lr) == res.nit + 1


def test_nan_gradient_is_divergence_too():
    res = pygdx.minimize(lambda x: x * x, 1.0, jac=lambda x: np.nan if x < 0.5 else 2 * x, lr=0.3)
    assert res.status == 4 and "gradient" in res.message
    assert res.x >= 0.5 and np.isfinite(res.jac)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(jac="5-point"), ValueError, "jac must be"),
        (dict(method="lbfgs"), ValueError, "Unknown optimizer"),
        (dict(tol=-1.0), ValueError, "tol must be"),
        (dict(max_iter=-1), ValueError, "max_iter"),
        (dict(max_iter=2.5), ValueError, "max_iter"),
        (dict(lr=-0.1), ValueError, "learning rate"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        pygdx.minimize(quadratic, 1.0, **{"jac": quadratic_slope, **kwargs})


def test_bad_functions():
    with pytest.raises(ValueError, match="single number"):
        pygdx.minimize(lambda x: x * 2, np.ones(2), jac=lambda x: 2 * np.ones(2))
    with pytest.raises(ValueError, match="gradient has shape"):
        pygdx.minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: np.ones(3))
    with pytest.raises(TypeError, match="pair"):
        pygdx.minimize(lambda x: float(x @ x), np.ones(2), jac=True)
    with pytest.raises(ValueError, match="not finite at x0"):
        pygdx.minimize(np.sqrt, -1.0, jac=lambda x: 0.5 / np.sqrt(x))
    with pytest.raises(ValueError, match="x0 must be finite"):
        pygdx.minimize(quadratic, np.nan, jac=quadratic_slope)


def test_optimize_result_is_a_dict_with_attributes():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, lr=0.1, max_iter=5)
    assert isinstance(res, dict) and res["x"] is res.x
    assert {"x", "fun", "jac", "nit", "nfev", "njev", "success", "status", "message", "history"} <= set(res)
    res.extra = 1
    assert res["extra"] == 1
    del res.extra
    with pytest.raises(AttributeError):
        res.extra  # noqa: B018
    text = repr(res)
    assert "message" in text and "history" in text and len(text.splitlines()) < 40
    clone = pickle.loads(pickle.dumps(res))
    assert clone.nit == res.nit and np.array_equal(clone.history.x, res.history.x)
    assert "x" in dir(res)


def test_method_may_be_an_optimizer_class():
    res = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, method=optim.RMSprop, lr=0.05, max_iter=20, gtol=None)
    named = pygdx.minimize(quadratic, 8.0, jac=quadratic_slope, method="rmsprop", lr=0.05, max_iter=20, gtol=None)
    assert res.method == "RMSprop" and res.x == named.x


def test_docstring_examples_run():
    import doctest
    import sys

    assert doctest.testmod(sys.modules["pygdx.minimize"], raise_on_error=True).attempted > 0


def test_without_a_path_fun_sees_a_read_only_view_and_results_are_unchanged():
    seen = []

    def fun(x):
        seen.append(x)
        assert not x.flags.writeable
        return 0.5 * float(x @ x)

    identity = lambda x: x  # noqa: E731  (the gradient of |x|^2 / 2 is x itself: an alias of x)
    big = np.linspace(1.0, 2.0, 5000)  # large enough not to be copied
    kept = pygdx.minimize(lambda x: 0.5 * float(x @ x), big, jac=identity, lr=0.5, max_iter=50, gtol=None,
                          xtol=1e-3)
    lean = pygdx.minimize(fun, big, jac=identity, lr=0.5, max_iter=50, gtol=None, xtol=1e-3, keep_path=False)
    np.testing.assert_array_equal(lean.x, kept.x)
    np.testing.assert_array_equal(lean.history.fun, kept.history.fun)
    assert lean.nit == kept.nit and lean.status == kept.status
    assert lean.history.x.shape == (0, 5000) and len(seen) == lean.nit + 1
    assert lean.status == 3  # xtol was checked against the kept previous point


def test_without_a_path_divergence_still_returns_the_last_finite_point():
    for size in (4, 5000):
        res = pygdx.minimize(lambda x: float(np.sum(np.exp(x * x))), np.full(size, 3.0),
                             jac=lambda x: 2 * x * np.exp(x * x), lr=0.5, keep_path=False)
        assert res.status == 4 and np.all(np.isfinite(res.x))
        np.testing.assert_array_equal(res.x, np.full(size, 3.0))


def test_fun_returning_none_is_named():
    with pytest.raises(TypeError, match="fun returned None"):
        pygdx.minimize(lambda x: None, 1.0)
