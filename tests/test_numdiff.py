"""pygdx.numerical_gradient and check_gradient: accuracy of each scheme against closed-form
derivatives, the three calling conventions, and the relative error of a gradient check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pygdx
from pygdx import numerical_gradient, check_gradient


def cubic_mix(x):
    return x[0] ** 3 * np.sin(x[1]) + np.exp(0.5 * x[2]) + x[0] * x[2]


def cubic_mix_grad(x):
    return np.array(
        [3 * x[0] ** 2 * np.sin(x[1]) + x[2], x[0] ** 3 * np.cos(x[1]), 0.5 * np.exp(0.5 * x[2]) + x[0]]
    )


def stacked_cubic_mix(points):
    """cubic_mix for points stacked on the last axis."""
    return cubic_mix(np.moveaxis(points, -1, 0))


POINT = np.array([0.7, -1.3, 0.4])


@pytest.mark.parametrize(("method", "rtol"), [("central", 1e-9), ("forward", 1e-6), ("backward", 1e-6)])
def test_each_scheme_reaches_its_expected_accuracy(method, rtol):
    np.testing.assert_allclose(numerical_gradient(cubic_mix, POINT, method=method), cubic_mix_grad(POINT), rtol=rtol)


def test_central_is_far_more_accurate_than_one_sided():
    exact = cubic_mix_grad(POINT)
    central = np.abs(numerical_gradient(cubic_mix, POINT) - exact).max()
    forward = np.abs(numerical_gradient(cubic_mix, POINT, method="forward") - exact).max()
    assert central < forward / 100


def test_step_scales_with_the_size_of_x():
    # At x = 1e6 an absolute step of ~6e-6 would be lost to rounding; a relative one is not.
    f = lambda v: v[0] ** 3  # noqa: E731
    for x in (1e-3, 1.0, 1e6):
        assert numerical_gradient(f, np.array([x]))[0] == pytest.approx(3 * x**2, rel=1e-8, abs=1e-9)


def test_explicit_absolute_step():
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    # Forward differences of x^2 have error exactly h: the given step is the one used.
    g = numerical_gradient(f, np.array([1.0, 2.0]), method="forward", step=0.5)
    np.testing.assert_allclose(g, [2.5, 4.5])
    g = numerical_gradient(f, np.array([1.0, 2.0]), method="forward", step=[0.5, 0.25])
    np.testing.assert_allclose(g, [2.5, 4.25])


def test_scalar_x_gives_a_scalar_and_args_are_passed():
    g = numerical_gradient(lambda x, a: a * np.sin(x), 0.3, args=(2.0,))
    assert np.ndim(g) == 0
    assert g == pytest.approx(2 * np.cos(0.3), rel=1e-9)


def test_any_shape_of_x():
    target = np.arange(6.0).reshape(2, 3)
    g = numerical_gradient(lambda m: float(np.sum((m - target) ** 2)), np.zeros((2, 3)))
    np.testing.assert_allclose(g, -2 * target, rtol=1e-8, atol=1e-8)


def test_fun_never_sees_its_argument_change():
    kept, snapshots = [], []

    def remember(v):
        kept.append(v)
        snapshots.append(v.copy())
        return float(v.sum())

    numerical_gradient(remember, np.array([1.0, 2.0]))
    assert len(kept) == 4
    for v, snapshot in zip(kept, snapshots):
        np.testing.assert_array_equal(v, snapshot)


@pytest.mark.parametrize(("method", "rtol"), [("central", 1e-9), ("forward", 1e-6), ("backward", 1e-6)])
def test_vectorized_points_match_the_loop(method, rtol):
    # NumPy's SIMD sin/exp on arrays may round differently from the scalar path by an ulp,
    # which the difference quotient magnifies by 1/h: hence each scheme's own tolerance.
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, size=(4, 5, 3))
    calls = []

    def counting(p):
        calls.append(p.shape)
        return stacked_cubic_mix(p)

    batched = numerical_gradient(counting, points, method=method, vectorized=True)
    looped = np.array([numerical_gradient(cubic_mix, p, method=method) for p in points.reshape(-1, 3)])
    np.testing.assert_allclose(batched.reshape(-1, 3), looped, rtol=rtol, atol=rtol)
    assert len(calls) == 2  # one call per side, however many points


def test_elementwise_derivative_of_a_curve():
    xs = np.linspace(-10, 10, 201)
    d = numerical_gradient(lambda x: x**2 + 5 * np.sin(x), xs, vectorized="elementwise")
    np.testing.assert_allclose(d, 2 * xs + 5 * np.cos(xs), rtol=1e-8, atol=1e-8)


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown finite-difference method"):
        numerical_gradient(cubic_mix, POINT, method="complex")
    with pytest.raises(ValueError, match="step must be positive"):
        numerical_gradient(cubic_mix, POINT, step=0.0)
    with pytest.raises(ValueError, match="vectorized must be"):
        numerical_gradient(cubic_mix, POINT, vectorized="yes")
    with pytest.raises(ValueError, match="one value per point"):
        numerical_gradient(lambda p: p.sum(), POINT[None, :], vectorized=True)
    with pytest.raises(ValueError, match="single number"):
        numerical_gradient(lambda p: p, POINT)
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(cubic_mix, [np.nan, 0.0, 0.0])


def test_check_gradient_separates_right_from_wrong():
    assert check_gradient(cubic_mix, cubic_mix_grad, POINT) < 1e-9
    wrong = lambda x: cubic_mix_grad(x) * np.array([1.0, 1.0, 1.1])  # noqa: E731
    assert check_gradient(cubic_mix, wrong, POINT) > 1e-2


def test_check_gradient_is_the_stated_relative_error():
    def jac(x):
        return np.array([2.0, 0.0])

    # f = 2x + 0y exactly, so the numerical gradient is (2, 0); the claimed one is off by 1 in y.
    err = check_gradient(lambda v: 2 * v[0], lambda v: np.array([2.0, 1.0]), np.array([0.3, 0.1]))
    assert err == pytest.approx(1.0 / np.sqrt(5.0), rel=1e-9)
    assert check_gradient(lambda v: 0.0 * v[0], lambda v: np.zeros(2), np.zeros(2)) == 0.0
    assert check_gradient(lambda v: 2 * v[0], jac, np.array([0.3, 0.1])) < 1e-10


def test_check_gradient_per_point_and_per_element():
    rng = np.random.default_rng(1)
    points = rng.uniform(-1, 1, size=(6, 3))
    errors = check_gradient(stacked_cubic_mix, lambda p: cubic_mix_grad(p.T).T, points, vectorized=True)
    assert errors.shape == (6,) and np.all(errors < 1e-8)
    xs = np.linspace(-3, 3, 7)
    elementwise = check_gradient(np.sin, np.cos, xs, vectorized="elementwise")
    assert elementwise.shape == (7,) and np.all(elementwise < 1e-8)
    assert np.all(check_gradient(np.sin, np.sin, xs[xs != 0], vectorized="elementwise") > 1e-3)


def test_check_gradient_shape_mismatch():
    with pytest.raises(ValueError, match="jac returned shape"):
        check_gradient(cubic_mix, lambda x: np.zeros(2), POINT)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_gradient_of_random_quadratics(n, seed, scale):
    # f = x.A.x / 2 + b.x has gradient A x + b; central differences are exact up to rounding.
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(n, n))
    a = m @ m.T + np.eye(n)
    b = rng.normal(size=n)
    x = scale * rng.normal(size=n)
    g = numerical_gradient(lambda v: 0.5 * v @ a @ v + b @ v, x)
    exact = a @ x + b
    tol = 1e-7 * (np.abs(a).sum(axis=1) * np.maximum(1.0, np.abs(x).max()) + np.abs(b) + 1.0)
    assert np.all(np.abs(g - exact) <= tol)


def test_exported_at_top_level():
    assert pygdx.numerical_gradient is numerical_gradient and pygdx.check_gradient is check_gradient


def test_docstring_examples_run():
    import doctest
    import sys

    assert doctest.testmod(sys.modules["pygdx.numdiff"], raise_on_error=True).attempted > 0
