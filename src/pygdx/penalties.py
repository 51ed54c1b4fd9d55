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

__all__ = ["Penalty", "PENALTIES", "value", "gradient", "smooth_part", "has_l1"]


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
