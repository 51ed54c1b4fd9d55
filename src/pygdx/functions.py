"""Classic test functions for gradient descent, with analytic gradients and known minima.

Every function is an :class:`Objective`: call it for the value, ``.grad`` for the
gradient, ``.minimizers()`` for its global minimizers, ``.min_value`` for the minimum and
``.window`` for a default plotting window.

Shapes (both conventions are vectorised, so a whole grid is evaluated in one call):

- functions of one variable (``dim == 1``) work **element by element**: ``f(x)`` and
  ``f.grad(x)`` have the shape of ``x``, so ``f(np.linspace(-10, 10, 200))`` is a curve;
- functions of ``n`` variables take points **stacked on the last axis**, shape
  ``(..., n)``; the value has shape ``(...)`` and the gradient ``(..., n)``. For a contour
  grid: ``f(np.stack([X, Y], axis=-1))``. ``dim`` is ``n``, or None for functions defined
  for any ``n`` (Rosenbrock, Rastrigin, Ackley).

>>> import numpy as np
>>> from pygdx import functions
>>> grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 5)), axis=-1)
>>> functions.rosenbrock(grid).shape, functions.rosenbrock.grad(grid).shape
((5, 5), (5, 5, 2))
>>> print(functions.rosenbrock(np.array([1.0, 1.0])), functions.rosenbrock.minimizers())
0.0 [[1. 1.]]
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ._numbers import as_real_array

__all__ = [
    "Objective",
    "polynomial",
    "quadratic_bowl",
    "square_plus_sine",
    "double_well",
    "rosenbrock",
    "himmelblau",
    "beale",
    "booth",
    "matyas",
    "rastrigin",
    "ackley",
    "CLASSICS",
]

Window = tuple[tuple[float, float], ...]


def _plain(value: np.ndarray) -> Any:
    """A NumPy scalar for a single point, the array otherwise."""
    return value[()] if value.ndim == 0 else value


class Objective:
    """A test function: value, analytic gradient, known minima and a plotting window.

    ``minimizers(n)`` returns the global minimizers as an array of shape ``(k, n)``
    (``(k,)`` for a function of one variable; empty when the function is unbounded below);
    ``local_minimizers(n)`` also lists the known non-global local minima.
    """

    def __init__(
        self,
        name: str,
        formula: str,
        value: Callable[[np.ndarray], np.ndarray],
        gradient: Callable[[np.ndarray], np.ndarray],
        *,
        dim: int | None,
        window: Window,
        minimizers: Callable[[int], np.ndarray],
        min_value: float,
        local_minimizers: Callable[[int], np.ndarray] | None = None,
    ) -> None:
        self.name = name
        self.formula = formula
        self.dim = dim
        self.window = window
        self.min_value = float(min_value)
        self._value = value
        self._gradient = gradient
        self._minimizers = minimizers
        self._local_minimizers = local_minimizers or minimizers

    @property
    def vectorized(self) -> bool | str:
        """How the function takes many points, in :func:`pygdx.numerical_gradient`'s terms."""
        return "elementwise" if self.dim == 1 else True

    def _points(self, x: Any) -> np.ndarray:
        arr = as_real_array(x, "x")
        if self.dim == 1:
            return arr
        if arr.ndim == 0:
            raise ValueError(
                f"{self.name} takes points of shape (..., n) with n coordinates on the last axis, not a scalar"
            )
        n = arr.shape[-1]
        if self.dim is not None and n != self.dim:
            raise ValueError(
                f"{self.name} is a function of {self.dim} variables, so the last axis of x must have length "
                f"{self.dim}, but x has shape {arr.shape}; stack coordinates with np.stack([x, y], axis=-1)"
            )
        if self.dim is None and n < self._min_dim:
            raise ValueError(f"{self.name} needs at least {self._min_dim} coordinates, but x has shape {arr.shape}")
        return arr

    _min_dim = 1

    def __call__(self, x: Any) -> Any:
        return _plain(self._value(self._points(x)))

    def grad(self, x: Any) -> Any:
        """The analytic gradient, shaped like ``x``."""
        return _plain(self._gradient(self._points(x)))

    def value_and_grad(self, x: Any) -> tuple[Any, Any]:
        """``(f(x), grad(x))``: the form ``minimize(..., jac=True)`` accepts."""
        points = self._points(x)
        return _plain(self._value(points)), _plain(self._gradient(points))

    def _dimension(self, n: int | None) -> int:
        if self.dim is not None:
            if n is not None and n != self.dim:
                raise ValueError(f"{self.name} is a function of {self.dim} variables, not {n}")
            return self.dim
        n = 2 if n is None else int(n)
        if n < self._min_dim:
            raise ValueError(f"{self.name} needs at least {self._min_dim} variables, not {n}")
        return n

    def minimizers(self, n: int | None = None) -> np.ndarray:
        """The global minimizers (for ``n`` variables when the function takes any number)."""
        return self._minimizers(self._dimension(n))

    def local_minimizers(self, n: int | None = None) -> np.ndarray:
        """Every known local minimizer, the global ones included."""
        return self._local_minimizers(self._dimension(n))

    def __repr__(self) -> str:
        dim = "any n" if self.dim is None else str(self.dim)
        return f"<Objective {self.name}: {self.formula} (variables: {dim})>"


class _AnyDimensionObjective(Objective):
    _min_dim = 2


def _newton_polish(gradient: Callable, hessian: Callable, x0: Any, iterations: int = 50) -> np.ndarray:
    """Refine an approximate stationary point to machine precision (kept as is where the
    Hessian is singular, as at a degenerate critical point)."""
    x = np.array(x0, dtype=np.float64)
    for _ in range(iterations):
        g, h = np.asarray(gradient(x)), np.asarray(hessian(x))
        if x.ndim == 0:
            if h == 0 or not np.isfinite(h):
                break
            step = g / h
        else:
            try:
                step = np.linalg.solve(h, g)
            except np.linalg.LinAlgError:
                break
        x = x - step
        if np.all(np.abs(step) <= 4 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(x))):
            break
    return x


# --- functions of one variable -------------------------------------------------------


def polynomial(coefficients: Sequence[float], name: str = "polynomial", formula: str | None = None) -> Objective:
    """c[0] + c[1]·x + c[2]·x² + …: coefficients in increasing degree (NumPy's polynomial order).

    ``polynomial([-3, -2, 3])`` is 3x² − 2x − 3. The critical points are the real roots of
    the derivative; the local minimizers are those where the second derivative is
    positive, the global ones those with the lowest value (none when the polynomial is
    unbounded below, that is of odd degree or with a negative leading coefficient).
    """
    coef = np.trim_zeros(as_real_array(coefficients, "the coefficients of a polynomial"), "b")
    if coef.ndim != 1 or coef.size < 2 or not np.all(np.isfinite(coef)):
        raise ValueError("polynomial needs finite coefficients c[0], c[1], ... of degree at least 1")
    poly = np.polynomial.Polynomial(coef)
    d1, d2 = poly.deriv(1), poly.deriv(2)
    roots = d1.roots() if d1.degree() > 0 else np.empty(0)
    scale = max(1.0, float(np.max(np.abs(roots)))) if roots.size else 1.0
    # A root of multiplicity k is only found to about eps**(1/k), hence the loose test.
    real_roots = np.sort(roots[np.abs(roots.imag) <= 1e-5 * scale].real)
    polished = [_newton_polish(d1, d2, r) for r in real_roots]
    # The copies of a multiple root land close together: keep one of each cluster.
    critical = np.array([r for k, r in enumerate(polished) if k == 0 or r - polished[k - 1] > 1e-4 * scale])
    if coef.size % 2 == 1 and coef[-1] > 0:
        values = poly(critical)
        best = float(values.min())
        global_min = critical[values <= best + 1e-12 * max(1.0, abs(best))]
        min_value = best
    else:
        global_min, min_value = np.empty(0), -math.inf
    local = np.union1d(global_min, critical[d2(critical) > 0])
    if critical.size:
        pad = max(1.0, 0.5 * float(critical[-1] - critical[0]))
        window: Window = ((float(critical[0]) - pad, float(critical[-1]) + pad),)
    else:
        window = ((-5.0, 5.0),)
    if formula is None:
        formula = " + ".join(f"{c:g}·x^{k}" for k, c in enumerate(coef) if c != 0)
    return Objective(
        name,
        formula,
        poly,
        d1,
        dim=1,
        window=window,
        minimizers=lambda n: global_min.copy(),
        min_value=min_value,
        local_minimizers=lambda n: local.copy(),
    )


def _square_plus_sine() -> Objective:
    def value(x: np.ndarray) -> np.ndarray:
        return x * x + 5.0 * np.sin(x)

    def gradient(x: np.ndarray) -> np.ndarray:
        return 2.0 * x + 5.0 * np.cos(x)

    def curvature(x: np.ndarray) -> np.ndarray:
        return 2.0 - 5.0 * np.sin(x)

    # f' = 2x + 5cos x is positive for x > 2.5 and negative for x < -2.5, and f'' < 0 only
    # where f' > 0.8, so f' has a single root: one minimum, near x = -1.1 on a plot.
    minimizer = _newton_polish(gradient, curvature, -1.1)
    return Objective(
        "square_plus_sine",
        "x² + 5 sin x",
        value,
        gradient,
        dim=1,
        window=((-10.0, 10.0),),
        minimizers=lambda n: np.array([minimizer]),
        min_value=float(value(minimizer)),
    )


square_plus_sine = _square_plus_sine()
double_well = polynomial([0.0, 12.0, -2.0, -4.0, 1.0], name="double_well", formula="x⁴ − 4x³ − 2x² + 12x")


# --- functions of several variables --------------------------------------------------


def _rosenbrock_value(x: np.ndarray) -> np.ndarray:
    head, tail = x[..., :-1], x[..., 1:]
    return np.sum(100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2, axis=-1)


def _rosenbrock_gradient(x: np.ndarray) -> np.ndarray:
    head, tail = x[..., :-1], x[..., 1:]
    inner = tail - head * head
    g = np.zeros_like(x)
    g[..., :-1] = -400.0 * head * inner - 2.0 * (1.0 - head)
    g[..., 1:] += 200.0 * inner
    return g


rosenbrock = _AnyDimensionObjective(
    "rosenbrock",
    "Σ 100(x[i+1] − x[i]²)² + (1 − x[i])²",
    _rosenbrock_value,
    _rosenbrock_gradient,
    dim=None,
    window=((-2.0, 2.0), (-1.0, 3.0)),
    minimizers=lambda n: np.ones((1, n)),
    min_value=0.0,
)


def _himmelblau_value(x: np.ndarray) -> np.ndarray:
    u, v = x[..., 0], x[..., 1]
    return (u * u + v - 11.0) ** 2 + (u + v * v - 7.0) ** 2


def _himmelblau_gradient(x: np.ndarray) -> np.ndarray:
    u, v = x[..., 0], x[..., 1]
    a, b = u * u + v - 11.0, u + v * v - 7.0
    return np.stack([4.0 * u * a + 2.0 * b, 2.0 * a + 4.0 * v * b], axis=-1)


def _himmelblau_hessian(x: np.ndarray) -> np.ndarray:
    u, v = x
    cross = 4.0 * (u + v)
    return np.array([[12.0 * u * u + 4.0 * v - 42.0, cross], [cross, 4.0 * u + 12.0 * v * v - 26.0]])


# Four minima, all with value 0: (3, 2) exactly, the others known to about six digits and
# polished here.
_HIMMELBLAU_MINIMA = np.array(
    [
        _newton_polish(_himmelblau_gradient, _himmelblau_hessian, guess)
        for guess in ([3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126])
    ]
)

himmelblau = Objective(
    "himmelblau",
    "(x² + y − 11)² + (x + y² − 7)²",
    _himmelblau_value,
    _himmelblau_gradient,
    dim=2,
    window=((-5.0, 5.0), (-5.0, 5.0)),
    minimizers=lambda n: _HIMMELBLAU_MINIMA.copy(),
    min_value=0.0,
)


def _beale_terms(x: np.ndarray) -> tuple[np.ndarray, ...]:
    u, v = x[..., 0], x[..., 1]
    return u, v, 1.5 - u + u * v, 2.25 - u + u * v * v, 2.625 - u + u * v**3


def _beale_value(x: np.ndarray) -> np.ndarray:
    _, _, t1, t2, t3 = _beale_terms(x)
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_gradient(x: np.ndarray) -> np.ndarray:
    u, v, t1, t2, t3 = _beale_terms(x)
    gu = 2.0 * (t1 * (v - 1.0) + t2 * (v * v - 1.0) + t3 * (v**3 - 1.0))
    gv = 2.0 * u * (t1 + 2.0 * v * t2 + 3.0 * v * v * t3)
    return np.stack([gu, gv], axis=-1)


beale = Objective(
    "beale",
    "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    _beale_value,
    _beale_gradient,
    dim=2,
    window=((-4.5, 4.5), (-4.5, 4.5)),
    minimizers=lambda n: np.array([[3.0, 0.5]]),
    min_value=0.0,
)


def _booth_value(x: np.ndarray) -> np.ndarray:
    u, v = x[..., 0], x[..., 1]
    return (u + 2.0 * v - 7.0) ** 2 + (2.0 * u + v - 5.0) ** 2


def _booth_gradient(x: np.ndarray) -> np.ndarray:
    u, v = x[..., 0], x[..., 1]
    a, b = u + 2.0 * v - 7.0, 2.0 * u + v - 5.0
    return np.stack([2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b], axis=-1)


booth = Objective(
    "booth",
    "(x + 2y − 7)² + (2x + y − 5)²",
    _booth_value,
    _booth_gradient,
    dim=2,
    window=((-10.0, 10.0), (-10.0, 10.0)),
    minimizers=lambda n: np.array([[1.0, 3.0]]),
    min_value=0.0,
)


def _matyas_value(x: np.ndarray) -> np.ndarray:
    u, v = x[..., 0], x[..., 1]
    return 0.26 * (u * u + v * v) - 0.48 * u * v


def _matyas_gradient(x: np.ndarray) -> np.ndarray:
    u, v = x[..., 0], x[..., 1]
    return np.stack([0.52 * u - 0.48 * v, 0.52 * v - 0.48 * u], axis=-1)


matyas = Objective(
    "matyas",
    "0.26(x² + y²) − 0.48xy",
    _matyas_value,
    _matyas_gradient,
    dim=2,
    window=((-10.0, 10.0), (-10.0, 10.0)),
    minimizers=lambda n: np.zeros((1, 2)),
    min_value=0.0,
)


def _rastrigin_value(x: np.ndarray) -> np.ndarray:
    return np.sum(x * x - 10.0 * np.cos(2.0 * np.pi * x) + 10.0, axis=-1)


def _rastrigin_gradient(x: np.ndarray) -> np.ndarray:
    return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)


rastrigin = Objective(
    "rastrigin",
    "10n + Σ x[i]² − 10 cos(2π x[i])",
    _rastrigin_value,
    _rastrigin_gradient,
    dim=None,
    window=((-5.12, 5.12), (-5.12, 5.12)),
    minimizers=lambda n: np.zeros((1, n)),
    min_value=0.0,
)


def _ackley_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    radius = np.sqrt(np.mean(x * x, axis=-1))
    return radius, np.exp(-0.2 * radius), np.exp(np.mean(np.cos(2.0 * np.pi * x), axis=-1))


def _ackley_value(x: np.ndarray) -> np.ndarray:
    _, envelope, ripple = _ackley_parts(x)
    return -20.0 * envelope - ripple + 20.0 + math.e


def _ackley_gradient(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    radius, envelope, ripple = _ackley_parts(x)
    # The cone term is not differentiable at the origin; 0 is a subgradient there, and
    # the one gradient descent needs to stop at the minimum.
    with np.errstate(divide="ignore", invalid="ignore"):
        cone = np.where(radius > 0, 4.0 * envelope / (n * np.where(radius > 0, radius, 1.0)), 0.0)
    return cone[..., None] * x + (2.0 * np.pi / n) * ripple[..., None] * np.sin(2.0 * np.pi * x)


ackley = Objective(
    "ackley",
    "−20 exp(−0.2 √(mean x²)) − exp(mean cos 2πx) + 20 + e",
    _ackley_value,
    _ackley_gradient,
    dim=None,
    window=((-5.0, 5.0), (-5.0, 5.0)),
    minimizers=lambda n: np.zeros((1, n)),
    min_value=0.0,
)


class _Bowl(Objective):
    hessian: np.ndarray
    """The matrix A of ½ xᵀAx."""


def quadratic_bowl(condition_number: float = 10.0, n: int = 2, angle: float = 0.0) -> Objective:
    """½ xᵀAx with eigenvalues log-spaced from 1 to ``condition_number``.

    Gradient descent converges on it at a rate set by the condition number (the best fixed
    rate is 2 / (1 + κ), which contracts the error by (κ − 1)/(κ + 1) per step), which makes
    it the standard test of how optimizers cope with ill-conditioning. For ``n == 2``,
    ``angle`` (radians) rotates the axes of the ellipses away from the coordinate axes.
    """
    kappa = float(condition_number)
    if not math.isfinite(kappa) or kappa < 1.0:
        raise ValueError(f"condition_number must be a finite number >= 1, not {condition_number!r}")
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, not {n!r} (a quadratic in one variable is polynomial([0, 0, a]))")
    n = int(n)
    if angle and n != 2:
        raise ValueError("angle rotates the ellipses of a 2-variable bowl; use n=2 or angle=0")
    eigenvalues = np.geomspace(1.0, kappa, n)
    rotation = np.eye(n)
    if n == 2:
        c, s = math.cos(angle), math.sin(angle)
        rotation = np.array([[c, -s], [s, c]])
    hessian = (rotation * eigenvalues) @ rotation.T
    hessian = 0.5 * (hessian + hessian.T)  # exactly symmetric, so the gradient is exact

    def value(x: np.ndarray) -> np.ndarray:
        return 0.5 * np.einsum("...i,ij,...j->...", x, hessian, x)

    def gradient(x: np.ndarray) -> np.ndarray:
        return x @ hessian

    bowl = _Bowl(
        "quadratic_bowl",
        f"½ xᵀAx, cond(A) = {kappa:g}",
        value,
        gradient,
        dim=n,
        window=((-2.0, 2.0), (-2.0, 2.0)) if n == 2 else ((-2.0, 2.0),) * n,
        minimizers=lambda n: np.zeros((1, n)),
        min_value=0.0,
    )
    bowl.hessian = hessian
    return bowl


CLASSICS: dict[str, Objective] = {
    f.name: f for f in (square_plus_sine, double_well, rosenbrock, himmelblau, beale, booth, matyas, rastrigin, ackley)
}
"""The fixed classic functions by name (the factories polynomial and quadratic_bowl aside)."""
