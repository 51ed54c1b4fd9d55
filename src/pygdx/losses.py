"""Loss functions of the linear models, as objects with a NumPy value and derivative.

Each loss maps targets ``y`` and decision values ``z = X @ coef.T + intercept`` to a loss
per sample (:meth:`Loss.value`) and its derivative with respect to ``z``
(:meth:`Loss.derivative`). The formulas are scikit-learn's SGD
losses; the built-in ones are also compiled into the C++ core, and these NumPy versions are
the oracle the core is tested against.

Targets, as the estimators pass them:

- regression losses: ``y`` as given, ``z`` of shape (n,);
- binary classification losses (log_loss, hinge, modified_huber, squared_hinge, perceptron): ``y`` is the sign ±1 and
  ``z`` has shape (n,); with ``z`` of shape (n, K) and ``y`` the class index, each column is
  the one-vs-rest problem of its class and the losses add up;
- :class:`MultinomialLogLoss`: ``y`` is the class index and ``z`` has shape (n, K).

Each built-in loss carries its core kind (``core_kind``, the formula compiled in
``src/cpp/core/losses.hpp``), as each optimizer carries its rule, so the estimators train it in
C++; so does a subclass that keeps its formulas. A custom loss is a subclass of
:class:`Loss` (or of a built-in one) that implements ``value`` and ``derivative``; the
estimators train it through a slower NumPy path with the same API.

>>> import numpy as np
>>> from pygdx.losses import Huber
>>> Huber(epsilon=1.0).value(np.array([0.0, 0.0]), np.array([0.5, 3.0]))
array([0.125, 2.5  ])
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from . import _core

__all__ = [
    "Loss",
    "SquaredError",
    "Huber",
    "EpsilonInsensitive",
    "SquaredEpsilonInsensitive",
    "LogLoss",
    "Hinge",
    "SquaredHinge",
    "Perceptron",
    "ModifiedHuber",
    "MultinomialLogLoss",
    "get",
    "REGRESSION_LOSSES",
    "CLASSIFICATION_LOSSES",
]


class Loss:
    """A per-sample loss of a decision value; subclass and implement ``value`` and ``derivative``.

    ``multiclass`` says the loss reads (n, K) decision values and class indices directly
    (softmax-like); otherwise a classifier with K > 2 classes trains it one-vs-rest.
    ``classification`` says it reads ±1 targets (a classifier's loss) rather than values.
    """

    name: ClassVar[str] = "custom"
    classification: ClassVar[bool] = False
    multiclass: ClassVar[bool] = False
    core_kind: ClassVar[_core.LossKind | None] = None  # the built-in formula in the C++ core
    # |d loss / d z| has a bound (hinge, log, ...): a plain SGD step is then at most
    # lr * bound * |x|, and the divergence rule judges the data loss (_training.judges_data_loss)
    bounded_derivative: ClassVar[bool] = False

    # The methods that define a loss's numbers: a subclass that overrides one of them is a
    # custom loss, whatever it derives from.
    _formulas: ClassVar[tuple[str, ...]] = ("value", "derivative", "_margin_value", "_margin_derivative")

    def trained_on_core(self) -> bool:
        """Whether the core's formula of ``core_kind`` is this loss: a built-in loss, or a
        subclass of one that keeps its formulas (and may add anything else)."""
        kind = type(self).core_kind
        if kind is None:
            return False
        defining = next(c for c in type(self).__mro__ if "core_kind" in c.__dict__)
        return all(getattr(type(self), f, None) is getattr(defining, f, None) for f in self._formulas)

    def value(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Loss of each sample: shape (n,)."""
        raise NotImplementedError(f"{type(self).__name__} must implement value(y, z)")

    def derivative(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """d loss / d z of each sample: the shape of z."""
        raise NotImplementedError(f"{type(self).__name__} must implement derivative(y, z)")

    def get_params(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.get_params().items()))))


class _EpsilonLoss(Loss):
    def __init__(self, epsilon: float = 0.1) -> None:
        epsilon = float(epsilon)
        if not np.isfinite(epsilon) or epsilon < 0:
            raise ValueError(f"epsilon must be a finite number >= 0, got {epsilon}")
        self.epsilon = epsilon

    def get_params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}


class SquaredError(Loss):
    """½ (y − z)²."""

    name = "squared_error"
    core_kind = _core.LossKind.squared_error

    def value(self, y, z):
        return 0.5 * (y - z) ** 2

    def derivative(self, y, z):
        return z - y


class Huber(_EpsilonLoss):
    """½ r² for |r| ≤ ε, else ε|r| − ½ε², with r = y − z."""

    name = "huber"
    core_kind = _core.LossKind.huber
    bounded_derivative = True

    def value(self, y, z):
        r = np.abs(y - z)
        eps = self.epsilon
        return np.where(r <= eps, 0.5 * r**2, eps * r - 0.5 * eps**2)

    def derivative(self, y, z):
        r = z - y
        return np.clip(r, -self.epsilon, self.epsilon)


class EpsilonInsensitive(_EpsilonLoss):
    """max(0, |y − z| − ε)."""

    name = "epsilon_insensitive"
    core_kind = _core.LossKind.epsilon_insensitive
    bounded_derivative = True

    def value(self, y, z):
        return np.maximum(0.0, np.abs(y - z) - self.epsilon)

    def derivative(self, y, z):
        r = z - y
        return np.where(np.abs(r) > self.epsilon, np.sign(r), 0.0).astype(np.result_type(z), copy=False)


class SquaredEpsilonInsensitive(_EpsilonLoss):
    """max(0, |y − z| − ε)²."""

    name = "squared_epsilon_insensitive"
    core_kind = _core.LossKind.squared_epsilon_insensitive

    def value(self, y, z):
        return np.maximum(0.0, np.abs(y - z) - self.epsilon) ** 2

    def derivative(self, y, z):
        r = z - y
        excess = np.maximum(0.0, np.abs(r) - self.epsilon)
        return (2.0 * np.sign(r) * excess).astype(np.result_type(z), copy=False)


class _BinaryLoss(Loss):
    """A loss of the margin s·z (s = ±1); (n, K) decision values are read one-vs-rest."""

    classification = True

    def _margin_value(self, margin):
        raise NotImplementedError

    def _margin_derivative(self, margin):
        raise NotImplementedError

    @staticmethod
    def _signs(y, z):
        z = np.asarray(z)
        if z.ndim == 2:
            classes = np.arange(z.shape[1])
            return np.where(np.asarray(y)[:, None] == classes, 1.0, -1.0).astype(z.dtype, copy=False)
        return np.asarray(y)

    def value(self, y, z):
        s = self._signs(y, z)
        v = self._margin_value(s * z)
        return v.sum(axis=1) if v.ndim == 2 else v

    def derivative(self, y, z):
        s = self._signs(y, z)
        return s * self._margin_derivative(s * z)


class LogLoss(_BinaryLoss):
    """log(1 + exp(−s·z)), computed without overflow."""

    name = "log_loss"
    core_kind = _core.LossKind.log_loss
    bounded_derivative = True

    def _margin_value(self, margin):
        return np.logaddexp(0.0, -margin)

    def _margin_derivative(self, margin):
        # -sigmoid(-margin), written so that no exp overflows
        e = np.exp(-np.abs(margin))
        return np.where(margin >= 0, -e / (1.0 + e), -1.0 / (1.0 + e))


class Hinge(_BinaryLoss):
    """max(0, 1 − s·z). At the kink (s·z exactly 1, as integer data can give) the derivative is
    −s, scikit-learn's choice of subgradient."""

    name = "hinge"
    core_kind = _core.LossKind.hinge
    bounded_derivative = True
    threshold: ClassVar[float] = 1.0

    def _margin_value(self, margin):
        return np.maximum(0.0, self.threshold - margin)

    def _margin_derivative(self, margin):
        return np.where(margin <= self.threshold, -1.0, 0.0).astype(margin.dtype, copy=False)


class Perceptron(Hinge):
    """max(0, −s·z), the perceptron's loss (scikit-learn's hinge with threshold 0): a row
    steps whenever it is misclassified or exactly on the boundary (derivative −s at s·z = 0)."""

    name = "perceptron"
    core_kind = _core.LossKind.perceptron
    threshold = 0.0


class SquaredHinge(_BinaryLoss):
    """max(0, 1 − s·z)²."""

    name = "squared_hinge"
    core_kind = _core.LossKind.squared_hinge

    def _margin_value(self, margin):
        return np.maximum(0.0, 1.0 - margin) ** 2

    def _margin_derivative(self, margin):
        return -2.0 * np.maximum(0.0, 1.0 - margin)


class ModifiedHuber(_BinaryLoss):
    """scikit-learn's: max(0, 1 − s·z)² for s·z ≥ −1, else −4 s·z."""

    name = "modified_huber"
    core_kind = _core.LossKind.modified_huber
    bounded_derivative = True

    # Clipping the margin first keeps the branch np.where discards from overflowing.
    def _margin_value(self, margin):
        slack = 1.0 - np.clip(margin, -1.0, 1.0)
        return np.where(margin >= -1.0, slack**2, -4.0 * margin)

    def _margin_derivative(self, margin):
        slack = 1.0 - np.clip(margin, -1.0, 1.0)
        return np.where(margin >= -1.0, -2.0 * slack, -4.0).astype(margin.dtype, copy=False)


class MultinomialLogLoss(Loss):
    """Softmax cross-entropy of K decision values; y is the class index."""

    name = "log_loss"
    classification = True
    multiclass = True
    core_kind = _core.LossKind.multinomial
    bounded_derivative = True

    @staticmethod
    def softmax(z: np.ndarray) -> np.ndarray:
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)

    def value(self, y, z):
        shifted = z - z.max(axis=1, keepdims=True)
        log_total = np.log(np.exp(shifted).sum(axis=1))
        return log_total - shifted[np.arange(z.shape[0]), np.asarray(y, dtype=np.intp)]

    def derivative(self, y, z):
        p = self.softmax(z)
        p[np.arange(z.shape[0]), np.asarray(y, dtype=np.intp)] -= 1.0
        return p


REGRESSION_LOSSES = {"squared_error": SquaredError, "huber": Huber, "epsilon_insensitive": EpsilonInsensitive,
                     "squared_epsilon_insensitive": SquaredEpsilonInsensitive}
CLASSIFICATION_LOSSES = {"log_loss": LogLoss, "hinge": Hinge, "modified_huber": ModifiedHuber,
                         "squared_hinge": SquaredHinge, "perceptron": Perceptron}


def get(name: str | Loss, **params: Any) -> Loss:
    """A loss object by name (``params`` such as ``epsilon`` go to its constructor), or ``name``
    itself when it already is a :class:`Loss`."""
    if isinstance(name, Loss):
        return name
    table = {**REGRESSION_LOSSES, **CLASSIFICATION_LOSSES}
    if name not in table:
        raise ValueError(f"Unknown loss {name!r}; choose one of: {', '.join(sorted(table))}, or a pygdx.losses.Loss")
    cls = table[name]
    return cls(**params) if issubclass(cls, _EpsilonLoss) else cls()
