"""pygdx.functions: every analytic gradient against finite differences, every listed
minimum checked (value, zero gradient, a true local minimum, nothing lower on a dense grid),
the two shape conventions, and the classic closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import pygdx
from pygdx import check_gradient, functions, numerical_gradient

TWO_D = [functions.rosenbrock, functions.himmelblau, functions.beale, functions.booth, functions.matyas,
         functions.rastrigin, functions.ackley, functions.quadratic_bowl(25.0, angle=0.6)]
ONE_D = [functions.square_plus_sine, functions.double_well, functions.polynomial([-3, -2, 3]),
         functions.polynomial([1.0, -4.0, 0.5, 2.0, 0.75])]
ALL = TWO_D + ONE_D


def ident(f):
    return f.name if f.name != "polynomial" else f"polynomial({f.formula})"


def window_points(f, rng, n=400):
    (lo, hi), *rest = f.window
    if f.dim == 1:
        return rng.uniform(lo, hi, size=n)
    (lo2, hi2) = rest[0]
    return np.stack([rng.uniform(lo, hi, size=n), rng.uniform(lo2, hi2, size=n)], axis=-1)


@pytest.mark.parametrize("f", ALL, ids=ident)
def test_gradient_matches_finite_differences_across_the_window(f):
    points = window_points(f, np.random.default_rng(0))
    if f is functions.ackley:
        points = points[np.linalg.norm(points, axis=-1) > 1e-3]  # its cone tip is not differentiable
    errors = check_gradient(f, f.grad, points, vectorized=f.vectorized)
    assert np.all(errors < 1e-6), (f.name, errors.max())


@settings(max_examples=40, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("f", TWO_D, ids=ident)
def test_gradient_property_one_point_at_a_time(f, data):
    (lo, hi), (lo2, hi2) = f.window
    point = np.array([data.draw(st.floats(lo, hi)), data.draw(st.floats(lo2, hi2))])
    if f is functions.ackley:
        # Its cone tip is not differentiable, and the curvature grows like 1/|x| towards it:
        # within 1e-2 the central-difference error exceeds the tolerance (hypothesis found
        # |x| = 2.8e-3 with an error of 2.4e-6).
        assume(np.linalg.norm(point) > 1e-2)
    analytic = f.grad(point)
    numeric = numerical_gradient(f, point)
    scale = max(1.0, float(np.abs(analytic).max()))
    # Central differences: error ~ eps^(2/3) relative to the size of f and its derivatives.
    np.testing.assert_allclose(numeric, analytic, atol=1e-6 * scale + 1e-9 * abs(float(f(point))))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 8), seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("f", [functions.rosenbrock, functions.rastrigin, functions.ackley], ids=ident)
def test_any_dimension_functions_in_n_dimensions(f, n, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, size=n)
    assert check_gradient(f, f.grad, x) < 1e-6
    assert f.minimizers(n).shape == (1, n)
    assert f(f.minimizers(n)[0]) == pytest.approx(f.min_value, abs=1e-12)


def test_rosenbrock_is_scipys():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 10):
        x = rng.uniform(-2, 2, size=n)
        assert functions.rosenbrock(x) == pytest.approx(scipy_optimize.rosen(x), rel=1e-14)
        np.testing.assert_allclose(functions.rosenbrock.grad(x), scipy_optimize.rosen_der(x), rtol=1e-13)


@pytest.mark.parametrize("f", TWO_D, ids=ident)
def test_vectorised_over_many_points_equals_one_at_a_time(f):
    grid = window_points(f, np.random.default_rng(1), n=24).reshape(4, 6, 2)
    values, grads = f(grid), f.grad(grid)
    assert values.shape == (4, 6) and grads.shape == (4, 6, 2)
    for i in range(4):
        for j in range(6):
            assert values[i, j] == pytest.approx(f(grid[i, j]), rel=1e-13, abs=1e-13)
            np.testing.assert_allclose(grads[i, j], f.grad(grid[i, j]), rtol=1e-13, atol=1e-13)
    v, g = f.value_and_grad(grid)
    np.testing.assert_array_equal(v, values)
    np.testing.assert_array_equal(g, grads)


@pytest.mark.parametrize("f", ONE_D, ids=ident)
def test_functions_of_one_variable_work_elementwise(f):
    xs = np.linspace(*f.window[0], 11).reshape(1, 11)
    assert f(xs).shape == (1, 11) and f.grad(xs).shape == (1, 11)
    assert f(xs)[0, 3] == f(xs[0, 3])
    assert np.ndim(f(0.5)) == 0 and np.ndim(f.grad(0.5)) == 0


def hessian(f, x):
    """By central differences of the analytic gradient."""
    return numerical_gradient(f.grad, x, vectorized=False) if f.dim == 1 else np.array(
        [numerical_gradient(lambda v, i=i: f.grad(v)[i], x) for i in range(x.size)]
    )


@pytest.mark.parametrize("f", ALL, ids=ident)
def test_listed_minima_are_minima(f):
    minima = f.local_minimizers()
    assert len(minima) >= 1
    for m in minima:
        assert np.all(np.abs(f.grad(m)) < 1e-9), (f.name, m, f.grad(m))
        if f is functions.ackley:
            ring = 1e-4 * np.stack([np.cos(np.linspace(0, 6, 12)), np.sin(np.linspace(0, 6, 12))], axis=-1)
            assert np.all(f(m + ring) > f(m))
        else:
            eigenvalues = np.linalg.eigvalsh(np.atleast_2d(hessian(f, m)))
            assert np.all(eigenvalues > 0), (f.name, m, eigenvalues)
    for m in f.minimizers():
        assert f(m) == pytest.approx(f.min_value, abs=1e-12)


@pytest.mark.parametrize("f", ALL, ids=ident)
def test_nothing_on_a_dense_grid_is_lower_than_the_global_minimum(f):
    axes = [np.linspace(lo, hi, 801 if f.dim == 1 else 401) for lo, hi in f.window]
    grid = axes[0] if f.dim == 1 else np.stack(np.meshgrid(*axes), axis=-1)
    assert np.min(f(grid)) >= f.min_value - 1e-12


def test_global_minimum_found_independently_by_scipy():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    for f in ALL:
        axes = [np.linspace(lo, hi, 801 if f.dim == 1 else 401) for lo, hi in f.window]
        grid = axes[0] if f.dim == 1 else np.stack(np.meshgrid(*axes), axis=-1)
        values = f(grid)
        best = np.unravel_index(np.argmin(values), values.shape)
        start = np.atleast_1d(grid[best])
        one_variable = f.dim == 1

        def value(v, f=f, one_variable=one_variable):
            return float(f(v[0] if one_variable else v))

        def gradient(v, f=f, one_variable=one_variable):
            return np.atleast_1d(f.grad(v[0] if one_variable else v))

        polished = scipy_optimize.minimize(value, start, jac=gradient, method="BFGS", options={"gtol": 1e-10})
        assert polished.fun == pytest.approx(f.min_value, abs=1e-9), f.name
        distances = np.linalg.norm(np.atleast_2d(f.minimizers().reshape(len(f.minimizers()), -1))
                                   - polished.x[None, :], axis=-1)
        assert distances.min() < 1e-4, (f.name, polished.x, f.minimizers())


def test_closed_forms_of_the_one_variable_classics():
    # 3x^2 - 2x - 3: vertex at -b / 2a = 1/3, value c - b^2 / 4a = -10/3.
    q = functions.polynomial([-3, -2, 3])
    np.testing.assert_allclose(q.minimizers(), [1 / 3], rtol=1e-15)
    assert q.min_value == pytest.approx(-10 / 3, rel=1e-15)
    # x^4 - 4x^3 - 2x^2 + 12x: f' = 4(x - 3)(x - 1)(x + 1); f(-1) = f(3) = -9, f(1) = 7 is a maximum.
    np.testing.assert_allclose(functions.double_well.minimizers(), [-1.0, 3.0], atol=1e-14)
    assert functions.double_well.min_value == pytest.approx(-9.0, rel=1e-15)
    # x^2 + 5 sin x: the root of 2x + 5 cos x, bracketed where f' changes sign.
    scipy_optimize = pytest.importorskip("scipy.optimize")
    root = scipy_optimize.brentq(lambda x: 2 * x + 5 * np.cos(x), -2.0, 0.0, xtol=1e-15)
    np.testing.assert_allclose(functions.square_plus_sine.minimizers(), [root], rtol=1e-14)


def test_polynomial_edge_cases():
    assert functions.polynomial([0, 0, 0, 1]).minimizers().size == 0  # x^3: unbounded below
    assert functions.polynomial([0, 0, 0, 1]).min_value == -np.inf
    assert functions.polynomial([1, 2]).minimizers().size == 0
    assert functions.polynomial([0, 0, -1]).minimizers().size == 0  # -x^2
    np.testing.assert_allclose(functions.polynomial([0, 0, 0, 0, 1]).minimizers(), [0.0])  # x^4, degenerate
    x3 = functions.polynomial([0, -3, 0, 1])  # x^3 - 3x: a local minimum at 1, no global one
    np.testing.assert_allclose(x3.local_minimizers(), [1.0])
    with pytest.raises(ValueError, match="degree at least 1"):
        functions.polynomial([5.0])


def test_quadratic_bowl_has_the_requested_conditioning():
    bowl = functions.quadratic_bowl(condition_number=50.0, angle=0.3)
    eigenvalues = np.linalg.eigvalsh(bowl.hessian)
    np.testing.assert_allclose(eigenvalues, [1.0, 50.0], rtol=1e-12)
    np.testing.assert_allclose(bowl.grad(np.array([0.2, -0.7])), bowl.hessian @ [0.2, -0.7], rtol=1e-14)
    # Gradient descent at the optimal fixed rate 2/(1 + k) contracts by (k - 1)/(k + 1) per step.
    res = pygdx.minimize(bowl, [1.0, 1.0], jac=bowl.grad, lr=2 / 51, max_iter=40, gtol=None)
    norms = np.linalg.norm(res.history.x, axis=-1)
    assert norms[-1] <= norms[0] * (49 / 51) ** 40 * (1 + 1e-9)
    big = functions.quadratic_bowl(1e3, n=5)
    np.testing.assert_allclose(np.diag(big.hessian), np.geomspace(1, 1e3, 5))
    with pytest.raises(ValueError, match="condition_number"):
        functions.quadratic_bowl(0.5)
    with pytest.raises(ValueError, match="angle"):
        functions.quadratic_bowl(10.0, n=3, angle=0.1)


def test_shape_errors_say_how_to_stack():
    with pytest.raises(ValueError, match="np.stack"):
        functions.himmelblau(np.zeros(3))
    with pytest.raises(ValueError, match="not a scalar"):
        functions.booth(1.0)
    with pytest.raises(ValueError, match="at least 2"):
        functions.rosenbrock(np.zeros(1))
    with pytest.raises(ValueError, match="2 variables"):
        functions.beale.minimizers(3)


def test_catalogue():
    assert set(functions.CLASSICS) == {"square_plus_sine", "double_well", "rosenbrock", "himmelblau", "beale",
                                      "booth", "matyas", "rastrigin", "ackley"}
    assert pygdx.functions is functions
    assert "rosenbrock" in repr(functions.rosenbrock)
    assert functions.himmelblau.minimizers().shape == (4, 2)


def test_docstring_examples_run():
    import doctest
    import sys

    assert doctest.testmod(sys.modules["pygdx.functions"], raise_on_error=True).attempted > 0
