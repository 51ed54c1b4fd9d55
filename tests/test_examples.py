"""examples/: every seed experiment runs, saves its figures, and gives the numbers of the
tutorial's own plain-Python loop (written out again here from the tutorials' code)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


@pytest.fixture(scope="module")
def example():
    """load(name) -> the example script as a module (its directory on sys.path for _common)."""
    sys.path.insert(0, str(EXAMPLES))
    loaded = {}

    def load(name):
        if name not in loaded:
            spec = importlib.util.spec_from_file_location(f"pygdx_example_{name}", EXAMPLES / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[name] = module
        return loaded[name]

    yield load
    sys.path.remove(str(EXAMPLES))
    sys.modules.pop("_common", None)


def test_there_is_a_script_per_seed_experiment():
    assert set(SCRIPTS) == {
        "linear_regression_batch_gd", "slope_intercept_mse", "quadratic_descent", "learning_rate_effect",
        "local_vs_global_minima", "sgd_linear_regression", "momentum_and_adaptive", "xor_network",
        "rosenbrock_paths", "finite_differences",
    }


# --- the tutorials' loops -----------------------------------------------------------


def seed_batch_gd(X, y, theta, learning_rate, iterations):  # noqa: N803
    m = len(y)
    theta = np.array(theta, dtype=float)
    cost_history = np.zeros(iterations)
    for i in range(iterations):
        errors = X.dot(theta) - y
        theta -= (learning_rate / m) * (X.T.dot(errors))
        cost_history[i] = (1 / (2 * m)) * np.sum(np.square(X.dot(theta) - y))
    return theta, cost_history


def test_linear_regression_batch_gd(example):
    ex = example("linear_regression_batch_gd")
    X, y = ex.tutorial_data()
    out = ex.fit(X, y, [0.1, 0.2], lr=0.01, iterations=300)
    theta, costs = seed_batch_gd(X, y, [0.1, 0.2], 0.01, 300)
    np.testing.assert_allclose(out["theta"], theta, rtol=1e-12)
    np.testing.assert_allclose(out["cost_history"], costs, rtol=1e-12)
    Xn, yn = ex.noisy_line_data()
    noisy = ex.fit(Xn, yn, [0.0, 0.0], lr=0.1, iterations=1000)
    np.testing.assert_allclose(noisy["theta"], seed_batch_gd(Xn, yn, [0.0, 0.0], 0.1, 1000)[0], rtol=1e-12)
    np.testing.assert_allclose(noisy["theta"], np.linalg.lstsq(Xn, yn, rcond=None)[0], atol=0.01)


def test_slope_intercept_mse(example):
    ex = example("slope_intercept_mse")
    out = ex.fit(lr=0.01, iterations=400)
    X, y = np.array([1, 2, 3, 4, 5.0]), np.array([2, 4, 6, 8, 10.0])
    m = b = 0.0
    n = len(y)
    costs = []
    for _ in range(400):
        error = m * X + b - y
        costs.append((1 / n) * np.sum(error**2))
        m_gradient = (2 / n) * np.dot(X, error)
        b_gradient = (2 / n) * np.sum(error)
        m -= 0.01 * m_gradient
        b -= 0.01 * b_gradient
    assert out["slope"] == pytest.approx(m, rel=1e-12) and out["intercept"] == pytest.approx(b, rel=1e-12)
    np.testing.assert_allclose(out["mse_history"][:-1], costs, rtol=1e-12)


def seed_quadratic_series(x, lr, change, max_iteration):
    a = [-3, -2, 3]
    series = [x]
    iterations = 1
    while True:
        new_x = x - lr * (2 * a[2] * x + a[1])
        if abs(new_x - x) < change:
            break
        if iterations > max_iteration:
            break
        iterations += 1
        x = new_x
        series.append(x)
    return np.array(series)


def test_quadratic_descent_series(example):
    ex = example("quadratic_descent")
    out = ex.descend(x0=8.0, lr=0.001, change=1e-5, max_iteration=500)
    seed = seed_quadratic_series(8.0, 0.001, 1e-5, 500)
    assert len(seed) == 501
    np.testing.assert_allclose(out["series"], seed, rtol=1e-14)
    # With lr = 0.05 the step rule ends it; the tutorial drops that last tiny step, pygdx keeps it.
    out = ex.descend(x0=8.0, lr=0.05, change=1e-5, max_iteration=500)
    seed = seed_quadratic_series(8.0, 0.05, 1e-5, 500)
    assert len(seed) < 100 and out["result"].status == 3
    np.testing.assert_allclose(out["series"][:-1], seed, rtol=1e-14)


def seed_square_plus_sine_path(start, lr, n_iter):
    x, path = start, [start]
    for _ in range(n_iter):
        x = x - lr * (2 * x + 5 * np.cos(x))
        path.append(x)
    return np.array(path)


def test_learning_rate_effect(example):
    ex = example("learning_rate_effect")
    for lr, path in ex.sweep(start=5.0, steps=20).items():
        np.testing.assert_allclose(path, seed_square_plus_sine_path(5.0, lr, 20), rtol=1e-12)
    result = ex.gradient_descent(start=5, learn_rate=0.1, n_iter=100)
    assert result.x == pytest.approx(seed_square_plus_sine_path(5.0, 0.1, 100)[-1], rel=1e-12)


def test_local_vs_global_minima(example):
    ex = example("local_vs_global_minima")
    for f, coef in ((ex.double_well, [0, 12, -2, -4, 1]), (ex.tilted, [0, 14, -2, -4, 1])):
        slope = np.polynomial.Polynomial(coef).deriv()
        for x0, res in ex.descend_from(f, starts=(-2.0, 0.5, 1.5, 4.0), lr=0.01, max_iter=500).items():
            x, steps = x0, 0
            while abs(slope(x)) > 1e-5 and steps < 500:  # minimize's default gtol
                x -= 0.01 * slope(x)
                steps += 1
            assert res.nit == steps and res.x == pytest.approx(x, rel=1e-12)
            assert res.x == pytest.approx(-1.0 if x0 < 1 else 3.0, abs=0.1)
    tilted_runs = ex.descend_from(ex.tilted, starts=(0.5, 1.5))
    assert tilted_runs[0.5].fun == pytest.approx(ex.tilted.min_value)
    assert tilted_runs[1.5].fun > ex.tilted.min_value + 5  # caught in the local minimum


def test_sgd_linear_regression(example):
    ex = example("sgd_linear_regression")
    X, y = np.array([[1, 2], [3, 4], [5, 6]], dtype=float), np.array([5, 11, 17.0])
    out = ex.sgd(X, y, learning_rate=0.01, n_epochs=300)
    w = np.zeros(2)
    for _ in range(300):
        for i in range(X.shape[0]):
            gradient = 2 * X[i] * (np.dot(X[i], w) - y[i])
            w -= 0.01 * gradient
    np.testing.assert_allclose(out["w"], w, rtol=1e-12)
    assert out["loss_curve"].shape == (300,) and out["loss_curve"][-1] < out["loss_curve"][0]
    np.testing.assert_allclose(ex.sgd(X, y, learning_rate=0.01, n_epochs=1000)["w"], [1.0, 2.0], atol=1e-2)


def seed_optimizer_paths(gradient, start, lr, n_iter):
    """The tutorial's momentum and AdaGrad, and the textbook RMSProp and Adam, keeping x."""
    paths = {}
    x, path = start, [start]
    for _ in range(n_iter):
        x = x - lr * gradient(x)
        path.append(x)
    paths["gd"] = path
    x, v, path = start, 0.0, [start]
    for _ in range(n_iter):
        v = 0.9 * v - lr * gradient(x)
        x = x + v
        path.append(x)
    paths["momentum"] = path
    x, g_sum, path = start, 0.0, [start]
    for _ in range(n_iter):
        grad = gradient(x)
        g_sum = g_sum + grad**2
        x = x - (lr / (np.sqrt(g_sum) + 1e-8)) * grad
        path.append(x)
    paths["adagrad"] = path
    x, s, path = start, 0.0, [start]
    for _ in range(n_iter):
        grad = gradient(x)
        s = 0.9 * s + 0.1 * grad**2
        x = x - lr * grad / (np.sqrt(s) + 1e-8)
        path.append(x)
    paths["rmsprop"] = path
    x, m, v, path = start, 0.0, 0.0, [start]
    for t in range(1, n_iter + 1):
        grad = gradient(x)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        x = x - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        path.append(x)
    paths["adam"] = path
    return {name: np.array(p) for name, p in paths.items()}


def test_momentum_and_adaptive(example):
    ex = example("momentum_and_adaptive")
    runs = ex.run_all(start=5.0, learn_rate=0.1, n_iter=100)
    seed = seed_optimizer_paths(lambda x: 2 * x + 5 * np.cos(x), 5.0, 0.1, 100)
    labels = {"gradient descent": "gd", "momentum 0.9": "momentum", "AdaGrad": "adagrad", "RMSProp": "rmsprop",
              "Adam": "adam"}
    assert set(runs) == set(labels)
    for label, name in labels.items():
        np.testing.assert_allclose(runs[label].history.x, seed[name], rtol=1e-10, atol=1e-12, err_msg=label)


def test_xor_network_learns_xor(example):
    ex = example("xor_network")
    for method, lr in (("adam", 0.05), ("momentum", 0.5)):
        out = ex.train(method, lr=lr, steps=2000, seed=0)
        np.testing.assert_array_equal(out["predictions"], [0, 1, 1, 0])
        assert out["losses"][-1] < 0.05 < out["losses"][0]


def test_xor_backprop_is_the_tutorials_update_and_the_true_gradient(example):
    import pygdx

    ex = example("xor_network")
    out = ex.train("gd", lr=0.1, steps=200, seed=1)
    w1, b1, w2, b2 = (p.copy() for p in ex.init_params(1))
    X, y = ex.X, ex.Y
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for _ in range(200):
        a1 = sigmoid(X @ w1 + b1)
        a2 = sigmoid(a1 @ w2 + b2)
        dz2 = (a2 - y) / 4
        dz1 = dz2 @ w2.T * a1 * (1 - a1)
        w1, b1, w2, b2 = w1 - 0.1 * X.T @ dz1, b1 - 0.1 * dz1.sum(0), w2 - 0.1 * a1.T @ dz2, b2 - 0.1 * dz2.sum(0)
    for got, want in zip(out["params"], (w1, b1, w2, b2)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    params = ex.init_params(5)
    sizes = np.cumsum([p.size for p in params])[:-1]

    def unflatten(v):
        return [part.reshape(p.shape) for part, p in zip(np.split(v, sizes), params)]

    flat = np.concatenate([p.ravel() for p in params])
    error = pygdx.check_gradient(lambda v: ex.loss(unflatten(v)),
                                 lambda v: np.concatenate([g.ravel() for g in ex.backprop(unflatten(v))]), flat)
    assert error < 1e-7


def test_rosenbrock_paths(example):
    ex = example("rosenbrock_paths")
    runs = ex.run_all(max_iter=200)
    grad = ex.f.grad
    start = np.array(ex.START)
    # gd and the tutorial's momentum; Adam and RMSprop (torch's alpha 0.99) from the textbook.
    x, v = start.copy(), np.zeros(2)
    xg = start.copy()
    for _ in range(200):
        xg = xg - 1e-3 * grad(xg)
        v = 0.9 * v - 5e-4 * grad(x)
        x = x + v
    np.testing.assert_allclose(runs["gradient descent"].x, xg, rtol=1e-10)
    np.testing.assert_allclose(runs["momentum 0.9"].x, x, rtol=1e-9)
    x, m, s = start.copy(), np.zeros(2), np.zeros(2)
    xr, sr = start.copy(), np.zeros(2)
    for t in range(1, 201):
        g = grad(x)
        m, s = 0.9 * m + 0.1 * g, 0.999 * s + 0.001 * g**2
        x = x - 0.02 * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
        gr = grad(xr)
        sr = 0.99 * sr + 0.01 * gr**2
        xr = xr - 2e-3 * gr / (np.sqrt(sr) + 1e-8)
    np.testing.assert_allclose(runs["Adam"].x, x, rtol=1e-10)
    np.testing.assert_allclose(runs["RMSprop"].x, xr, rtol=1e-10)
    full = ex.run_all(max_iter=5000)
    assert full["Adam"].success and np.allclose(full["Adam"].x, [1, 1], atol=1e-4)
    assert full["momentum 0.9"].fun < 1e-8 and full["gradient descent"].fun < 0.01
    pytest.importorskip("scipy")
    path, result = ex.bfgs_path()
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-5)
    assert len(path) == result.nit + 1


def test_finite_differences(example):
    import pygdx

    ex = example("finite_differences")
    steps = np.array([1e-12, 2.0**-27, 6e-6, 1e-2])
    errors = ex.error_against_step(steps, n_points=10)
    # Truncation wins at large steps, rounding at tiny ones; central beats forward at its best step.
    assert errors["forward"][1] < errors["forward"][0] and errors["forward"][1] < errors["forward"][3]
    assert errors["central"][2] < errors["central"][0] and errors["central"][2] < errors["central"][3]
    assert errors["central"][2] < errors["forward"][1] / 10
    # The library's forward difference is the tutorial's (f(x + h) - f(x)) / h.
    f, x, h = ex.f, ex.POINT, 2.0**-27
    by_hand = [(f(x + h * e) - f(x)) / h for e in np.eye(2)]
    np.testing.assert_allclose(pygdx.numerical_gradient(f, x, method="forward", step=h), by_hand, rtol=1e-14)
    runs = ex.descend_both_ways(max_iter=300)
    np.testing.assert_allclose(runs["3-point"].history.x, runs["analytic"].history.x, rtol=1e-6)
    assert runs["3-point"].nfev == 5 * (runs["3-point"].nit + 1)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_runs_and_saves_its_figure(name, example, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    example(name).main(["--out", str(tmp_path), "--quick"])
    pngs = list(tmp_path.glob("*.png"))
    assert pngs, capsys.readouterr().out
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_as_a_command(tmp_path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quadratic_descent.py"), "--quick", "--no-figures"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "min of the series" in done.stdout
    assert not list(tmp_path.iterdir())  # --no-figures writes nothing
