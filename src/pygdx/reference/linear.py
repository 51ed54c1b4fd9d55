"""Linear models in plain NumPy: the full-batch objective and gradient, and one epoch of
mini-batch gradient descent. The oracle for the C++ core and the benchmark baseline.

Parameters are ``coef`` (K, d) and ``intercept`` (K,); the objective (scikit-learn's SGD objective) is
    (1/m) Σ sw_i · loss(y_i, x_i·w + b) + alpha · R(w)
over the m rows used, with the intercept never penalised. Losses are
:mod:`pygdx.losses` objects (see there for how y is encoded).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..losses import Loss

__all__ = ["decision", "penalty_value", "penalty_gradient", "data_loss_grad", "loss_grad", "epoch"]


def decision(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, n_outputs_kept: bool = False) -> np.ndarray:
    """z = X @ coef.T + intercept: shape (n,) for one output unless ``n_outputs_kept``, else (n, K)."""
    z = X @ coef.T + intercept
    return z if n_outputs_kept or z.shape[1] > 1 else z[:, 0]


def penalty_value(coef: np.ndarray, penalty: str | None, alpha: float, l1_ratio: float = 0.15) -> float:
    """alpha · R(coef)."""
    if penalty is None or alpha == 0.0:
        return 0.0
    l1 = float(np.abs(coef).sum())
    l2 = 0.5 * float((coef.astype(np.float64) ** 2).sum())
    if penalty == "l2":
        return alpha * l2
    if penalty == "l1":
        return alpha * l1
    if penalty == "elasticnet":
        return alpha * (l1_ratio * l1 + (1.0 - l1_ratio) * l2)
    raise ValueError(f"Unknown penalty {penalty!r}")


def penalty_gradient(coef: np.ndarray, penalty: str | None, alpha: float, l1_ratio: float = 0.15) -> np.ndarray:
    """d(alpha · R)/d coef, with the subgradient sign(w) (0 at 0) for the l1 part."""
    if penalty is None or alpha == 0.0:
        return np.zeros_like(coef)
    if penalty == "l2":
        return alpha * coef
    if penalty == "l1":
        return alpha * np.sign(coef)
    if penalty == "elasticnet":
        return alpha * (l1_ratio * np.sign(coef) + (1.0 - l1_ratio) * coef)
    raise ValueError(f"Unknown penalty {penalty!r}")


def data_loss_grad(
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    sample_weight: np.ndarray | None = None,
    fit_intercept: bool = True,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The mean weighted data loss (no penalty) and its gradients ``(value, d coef, d intercept)``."""
    m = X.shape[0]
    z = decision(X, coef, intercept)
    dz = loss.derivative(y, z)
    values = loss.value(y, z)
    if sample_weight is not None:
        dz = dz * (sample_weight if z.ndim == 1 else sample_weight[:, None])
        values = values * sample_weight
    dz2 = dz.reshape(m, -1)
    grad_coef = dz2.T @ X / m
    grad_intercept = dz2.sum(axis=0) / m if fit_intercept else np.zeros_like(intercept)
    return float(values.sum()) / m, grad_coef, grad_intercept


def loss_grad(
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    sample_weight: np.ndarray | None = None,
    penalty: str | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The objective at (coef, intercept) and its gradients ``(value, d coef, d intercept)``."""
    value, grad_coef, grad_intercept = data_loss_grad(loss, X, y, coef, intercept, sample_weight, fit_intercept)
    if penalty is not None and alpha != 0.0:
        value += penalty_value(coef, penalty, alpha, l1_ratio)
        grad_coef += penalty_gradient(coef, penalty, alpha, l1_ratio)
    return value, grad_coef, grad_intercept


def epoch(
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    optimizer: Any,
    order: np.ndarray,
    batch_size: int | None,
    sample_weight: np.ndarray | None = None,
    penalty: str | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
) -> float:
    """One pass over the rows ``order`` in batches, one ``optimizer.step([d coef, d intercept])``
    per batch. Returns the epoch's loss as the C++ core reports it: the mean data loss over
    the rows (each at the weights of its batch) plus the penalty at the starting weights.

    ``optimizer`` is any object with pygdx.optim's ``step`` over ``[coef, intercept]``.
    """
    n = len(order)
    bs = n if batch_size is None else int(batch_size)
    penalised = penalty is not None and alpha != 0.0
    start_penalty = penalty_value(coef, penalty, alpha, l1_ratio)
    l1 = alpha if penalty == "l1" else alpha * l1_ratio if penalty == "elasticnet" else 0.0
    l2 = alpha if penalty == "l2" else alpha * (1.0 - l1_ratio) if penalty == "elasticnet" else 0.0
    plain_sgd = type(optimizer).__name__ == "SGD" and optimizer.defaults.get("momentum", 0.0) == 0.0
    account = CumulativeL1Reference(coef.size) if penalised and l1 and plain_sgd and bs < n else None
    data_loss = 0.0
    for start in range(0, n, bs):
        rows = order[start : start + bs]
        sw = None if sample_weight is None else sample_weight[rows]
        value, g_coef, g_intercept = data_loss_grad(loss, X[rows], y[rows], coef, intercept, sw, fit_intercept)
        if not np.isfinite(value):
            raise FloatingPointError(f"non-finite loss at batch starting at row {start} of the epoch")
        if penalised:
            g_coef += penalty_gradient(coef, "l2", l2) if l2 else 0.0
        optimizer.step([g_coef, g_intercept])
        if penalised and l1:
            lr = optimizer.lr(optimizer.t) if callable(optimizer.lr) else optimizer.lr
            if account is not None:
                decay = optimizer.defaults.get("weight_decay", 0.0)
                sign = -1.0 if optimizer.defaults.get("maximize", False) else 1.0
                account.step(coef, lr, l1, 1.0 - lr * (sign * l2 + decay))
            else:
                flat = coef.reshape(-1)
                tau = l1 * proximal_rates(optimizer, lr)
                flat[...] = np.sign(flat) * np.maximum(np.abs(flat) - tau, 0.0)
        data_loss += value * len(rows)
    return data_loss / n + start_penalty


class CumulativeL1Reference:
    """The cumulative l1 penalty (Tsuruoka et al. 2009) paid to every weight after every
    step, its account in units free of the l2 shrink (see core/l1_penalty.hpp), in loops."""

    def __init__(self, size: int) -> None:
        self.u, self.scale, self.q = 0.0, 1.0, np.zeros(size)

    def step(self, coef: np.ndarray, lr: float, l1: float, shrink: float) -> None:
        self.scale *= shrink
        self.u += lr * l1 / self.scale
        flat = coef.reshape(-1)
        for j in range(flat.size):
            w = float(flat[j])
            if w > 0:
                paid = max(0.0, w - (self.u + self.q[j]) * self.scale)
            elif w < 0:
                paid = min(0.0, w + (self.u - self.q[j]) * self.scale)
            else:
                continue
            self.q[j] += (paid - w) / self.scale
            flat[j] = paid


def proximal_rates(optimizer: Any, lr: float) -> np.ndarray:
    """Each coefficient's step size after a step of a pygdx.optim optimizer over [coef,
    intercept], read from its state: the rates of the proximal l1 step."""
    name = type(optimizer).__name__
    state = optimizer.state[0]
    o = optimizer.defaults
    t = optimizer.t
    if name == "SGD":
        return np.full(next(iter(optimizer.params)).size, lr)
    if name == "Adagrad":
        return lr / (1 + (t - 1) * o["lr_decay"]) / (np.sqrt(state["sum"]) + o["eps"]).ravel()
    if name == "RMSprop":
        v = state["square_avg"] - (state["grad_avg"] ** 2 if o["centered"] else 0.0)
        return (lr / (np.sqrt(np.maximum(v, 0.0)) + o["eps"])).ravel()
    if name == "Adadelta":
        return (lr * np.sqrt(state["acc_delta"] + o["eps"]) / np.sqrt(state["square_avg"] + o["eps"])).ravel()
    if name == "Adamax":
        return (lr / state["exp_inf"]).ravel()
    v = state["max_exp_avg_sq"] if o.get("amsgrad") else state["exp_avg_sq"]
    return (lr / (np.sqrt(v / (1 - o["betas"][1] ** t)) + o["eps"])).ravel()
