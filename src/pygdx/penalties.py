"""The penalties of the linear models, alpha · R(w), the intercept never penalised.

Each penalty is one entry of :data:`PENALTIES`: its core kind (the C++ core's formula in
``src/cpp/core/linear.hpp``) and its NumPy value and gradient, which the estimators use for
custom losses and chunked full-batch training:

- ``"l2"``: R = ½‖w‖²;
- ``"l1"``: R = ‖w‖₁, with the subgradient sign(w) (0 at 0);
- ``"elasticnet"``: R = l1_ratio·‖w‖₁ + (1 − l1_ratio)·½‖w‖².

Training on the core does not step on the l1 part's subgradient (which never gives exact
zeros): plain SGD on batches pays it by the cumulative penalty of Tsuruoka et al. (2009), as
scikit-learn's SGD does, and every other case takes a proximal (soft-threshold) step after
the optimizer's step on the smooth part (:func:`smooth_part`); see
``src/cpp/core/l1_penalty.hpp`` and the README's "Sparse data" section.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import _core

__all__ = ["Penalty", "PENALTIES", "value", "gradient", "smooth_part", "has_l1", "L1Step"]


class Penalty(NamedTuple):
    core_kind: _core.PenaltyKind
    value: Callable[[np.ndarray, float], float]  # R(w) from w and l1_ratio
    gradient: Callable[[np.ndarray, float], np.ndarray]  # dR/dw


def _l1(w: np.ndarray) -> float:
    return float(np.abs(w).sum())


def _l2(w: np.ndarray) -> float:
    return 0.5 * float((w.astype(np.float64) ** 2).sum())


PENALTIES: dict[str | None, Penalty] = {
    None: Penalty(_core.PenaltyKind.none, lambda w, r: 0.0, lambda w, r: np.zeros_like(w)),
    "l2": Penalty(_core.PenaltyKind.l2, lambda w, r: _l2(w), lambda w, r: w),
    "l1": Penalty(_core.PenaltyKind.l1, lambda w, r: _l1(w), lambda w, r: np.sign(w)),
    "elasticnet": Penalty(_core.PenaltyKind.elasticnet, lambda w, r: r * _l1(w) + (1.0 - r) * _l2(w),
                          lambda w, r: r * np.sign(w) + (1.0 - r) * w),
}


def value(coef: np.ndarray, penalty: str | None, alpha: float, l1_ratio: float = 0.15) -> float:
    """alpha · R(coef)."""
    if penalty is None or alpha == 0.0:
        return 0.0
    return alpha * PENALTIES[penalty].value(coef, l1_ratio)


def gradient(coef: np.ndarray, penalty: str | None, alpha: float, l1_ratio: float = 0.15) -> np.ndarray:
    """d(alpha · R)/d coef."""
    if penalty is None or alpha == 0.0:
        return np.zeros_like(coef)
    return alpha * PENALTIES[penalty].gradient(coef, l1_ratio)


def smooth_part(penalty: str | None, alpha: float, l1_ratio: float = 0.15) -> tuple[str | None, float]:
    """(penalty, alpha) of the penalty without its l1 part: the part a gradient step takes."""
    if penalty == "l2":
        return "l2", alpha
    if penalty == "elasticnet":
        return "l2", alpha * (1.0 - l1_ratio)
    return None, 0.0


def has_l1(penalty: str | None, alpha: float, l1_ratio: float = 0.15) -> bool:
    return alpha != 0.0 and (penalty == "l1" or (penalty == "elasticnet" and l1_ratio != 0.0))



class L1Step:
    """The l1 part of a penalty applied after each optimizer step of a fit that steps in
    Python (custom losses), exactly as the core applies it (``src/cpp/core/l1_penalty.hpp``):
    the cumulative penalty, paid to every weight, for plain SGD on batches smaller than the
    data; the core's proximal step otherwise. ``coef`` is a view of the weights."""

    def __init__(self, problem: _core.LinearProblem, optimizer, coef: np.ndarray, l1: float, l2: float,
                 full_batch: bool) -> None:
        hyper = optimizer.core_buffers()[0]
        self.problem, self.optimizer, self.coef, self.l1, self.l2 = problem, optimizer, coef, l1, l2
        self.hyper = hyper
        self.cumulative = hyper.rule == _core.Rule.sgd and hyper.momentum == 0.0 and not full_batch
        self.u, self.scale, self.q = 0.0, 1.0, np.zeros(coef.size)

    def __call__(self) -> None:
        hyper, schedule, counters, states = self.optimizer.core_buffers(steps=0)
        if not self.cumulative:
            _core.proximal_l1(self.problem, hyper, schedule, counters, self.optimizer.params[0], states)
            return
        rate = self.optimizer.lr
        lr = float(rate(self.optimizer.t)) if callable(rate) else float(rate)  # the step just taken
        factor = 1.0 - lr * ((-self.l2 if hyper.maximize else self.l2) + hyper.weight_decay)
        if factor <= 0.0:
            self.u, self.scale, self.q[:] = 0.0, 1.0, 0.0
        elif factor != 1.0:
            self.scale *= factor
            if self.scale < 1e-9:
                self.u *= self.scale
                self.q *= self.scale
                self.scale = 1.0
        self.u += lr * self.l1 / self.scale
        w = self.coef.ravel().astype(np.float64)
        paid = np.where(w > 0, np.maximum(0.0, w - (self.u + self.q) * self.scale),
                        np.where(w < 0, np.minimum(0.0, w + (self.u - self.q) * self.scale), w))
        self.q += (paid - w) / self.scale
        self.coef[...] = paid.reshape(self.coef.shape)
