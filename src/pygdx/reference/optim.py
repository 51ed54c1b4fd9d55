"""torch.optim's update rules in plain NumPy, with :mod:`pygdx.optim`'s signatures.

Written from torch's documented algorithms, independently of the C++
core. Every step updates the parameter arrays and the state arrays in place; the
arithmetic runs in the parameters' dtype, the per-step scalars in Python floats.

>>> import numpy as np
>>> from pygdx.reference.optim import SGD
>>> w = np.ones(2)
>>> SGD(w, lr=0.5).step(np.array([1.0, -2.0]))
>>> w
array([0.5, 2. ])
"""

from __future__ import annotations

import math
from typing import Any, Callable, ClassVar, Sequence, Union

import numpy as np

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"]

Params = Union[np.ndarray, Sequence[np.ndarray]]
LearningRate = Union[float, Callable[[int], float]]


class Optimizer:
    """One shared step count over several parameters; ``state[k]`` maps state names to
    the arrays of parameter k.

    ``n_threads`` is accepted so that code written for :mod:`pygdx.optim` runs unchanged;
    NumPy's element-wise operations run on one thread.
    """

    _state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Params, lr: LearningRate, defaults: dict, n_threads: int | None = None) -> None:
        self.params = [params] if isinstance(params, np.ndarray) else list(params)
        self.lr = lr
        self.defaults = defaults
        self.n_threads = n_threads
        self.t = 0
        self.state = [
            {name: np.full_like(p, self._initial_state_value(name)) for name in self._state_names if self._uses(name)}
            for p in self.params
        ]

    def _uses(self, state_name: str) -> bool:
        return True

    def _initial_state_value(self, state_name: str) -> float:
        return 0.0

    @property
    def current_lr(self) -> float:
        """The rate the next step will use."""
        return self._lr_at(self.t + 1)

    def _lr_at(self, t: int) -> float:
        return float(self.lr(t)) if callable(self.lr) else float(self.lr)

    def step(self, grads: Any) -> None:
        """Update every parameter in place from its gradient: a list with one gradient per
        parameter, or with one parameter also the gradient itself."""
        if len(self.params) == 1 and (not isinstance(grads, (list, tuple)) or len(grads) != 1):
            grads = [grads]
        if len(grads) != len(self.params):
            raise ValueError(f"step() needs {len(self.params)} gradients, got {len(grads)}")
        converted = [np.asarray(g, dtype=p.dtype) for p, g in zip(self.params, grads)]
        for k, (p, g) in enumerate(zip(self.params, converted)):
            if g.shape != p.shape:
                raise ValueError(f"gradient {k} has shape {g.shape} but parameter {k} has shape {p.shape}")
        self.t += 1
        lr = self._lr_at(self.t)
        scalars = self._step_scalars(lr)
        for p, g, state in zip(self.params, converted, self.state):
            self._update(p, self._signed(g), state, lr, scalars)

    def _signed(self, g: np.ndarray) -> np.ndarray:
        return -g if self.defaults.get("maximize") else g

    def _with_l2(self, g: np.ndarray, p: np.ndarray) -> np.ndarray:
        """torch's coupled weight decay: the gradient of (weight_decay / 2) ||p||^2 added to g."""
        weight_decay = self.defaults["weight_decay"]
        return g + weight_decay * p if weight_decay != 0 else g

    def _step_scalars(self, lr: float) -> dict:
        return {}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, lr: float, scalars: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """torch.optim.SGD: b = mu b + (1 - dampening) g (b = g at the first step); p -= lr (g + mu b
    with Nesterov, else b)."""

    _state_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize)
        super().__init__(params, lr, defaults, n_threads)

    def _uses(self, state_name: str) -> bool:
        return self.defaults["momentum"] != 0

    def _update(self, p, g, state, lr, scalars):
        g = self._with_l2(g, p)
        momentum = self.defaults["momentum"]
        if momentum != 0:
            buf = state["momentum_buffer"]
            if self.t == 1:
                buf[...] = g
            else:
                buf *= momentum
                buf += (1 - self.defaults["dampening"]) * g
            g = g + momentum * buf if self.defaults["nesterov"] else buf
        p -= lr * g


class Adagrad(Optimizer):
    """torch.optim.Adagrad: s += g^2; p -= lr / (1 + (t - 1) lr_decay) g / (sqrt(s) + eps)."""

    _state_names = ("sum",)

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, lr, defaults, n_threads)

    def _initial_state_value(self, state_name: str) -> float:
        return self.defaults["initial_accumulator_value"]

    def _update(self, p, g, state, lr, scalars):
        g = self._with_l2(g, p)
        decayed_lr = lr / (1 + (self.t - 1) * self.defaults["lr_decay"])
        squares = state["sum"]
        squares += g * g
        denom = np.sqrt(squares)
        denom += self.defaults["eps"]
        p -= decayed_lr * (g / denom)


class RMSprop(Optimizer):
    """torch.optim.RMSprop, optionally centered (divides by the running standard deviation
    instead of the root mean square) and with momentum."""

    _state_names = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
                        maximize=maximize)
        super().__init__(params, lr, defaults, n_threads)

    def _uses(self, state_name: str) -> bool:
        if state_name == "momentum_buffer":
            return self.defaults["momentum"] > 0
        if state_name == "grad_avg":
            return bool(self.defaults["centered"])
        return True

    def _update(self, p, g, state, lr, scalars):
        d = self.defaults
        g = self._with_l2(g, p)
        square_avg = state["square_avg"]
        square_avg *= d["alpha"]
        square_avg += (1 - d["alpha"]) * (g * g)
        if d["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - d["alpha"]) * (g - grad_avg)
            denom = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            denom = np.sqrt(square_avg)
        denom += d["eps"]
        if d["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= d["momentum"]
            buf += g / denom
            p -= lr * buf
        else:
            p -= lr * (g / denom)


class Adadelta(Optimizer):
    """torch.optim.Adadelta: the step is g scaled by RMS(past steps) / RMS(gradients)."""

    _state_names = ("square_avg", "acc_delta")

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, lr, defaults, n_threads)

    def _update(self, p, g, state, lr, scalars):
        rho, eps = self.defaults["rho"], self.defaults["eps"]
        g = self._with_l2(g, p)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * (g * g)
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        p -= lr * delta


def _adam_moments(g: np.ndarray, state: dict, beta1: float, beta2: float) -> tuple[np.ndarray, np.ndarray]:
    """The first and second moment updates shared by the Adam family (in place)."""
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * (g * g)
    return exp_avg, exp_avg_sq


class _AdamFamily(Optimizer):
    def _decayed(self, p: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
        """Apply weight decay: decoupled (shrink p, AdamW) or coupled (L2 in g); returns g."""
        if self.defaults.get("decoupled_weight_decay"):
            p *= 1 - lr * self.defaults["weight_decay"]
            return g
        return self._with_l2(g, p)


class Adam(_AdamFamily):
    """torch.optim.Adam (AMSGrad with ``amsgrad=True``; AdamW with ``decoupled_weight_decay``)."""

    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, lr, defaults, n_threads)

    def _uses(self, state_name: str) -> bool:
        return state_name != "max_exp_avg_sq" or bool(self.defaults["amsgrad"])

    def _update(self, p, g, state, lr, scalars):
        beta1, beta2 = self.defaults["betas"]
        g = self._decayed(p, g, lr)
        exp_avg, second_moment = _adam_moments(g, state, beta1, beta2)
        if self.defaults["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], second_moment, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        bias_correction1 = 1 - beta1**self.t
        bias_correction2 = 1 - beta2**self.t
        denom = np.sqrt(second_moment)
        denom /= math.sqrt(bias_correction2)
        denom += self.defaults["eps"]
        p -= (lr / bias_correction1) * (exp_avg / denom)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (p *= 1 - lr weight_decay first)."""

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        n_threads: int | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, n_threads=n_threads)


class Adamax(_AdamFamily):
    """torch.optim.Adamax: Adam with the infinity norm, u = max(beta2 u, |g| + eps)."""

    _state_names = ("exp_avg", "exp_inf")

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, lr, defaults, n_threads)

    def _update(self, p, g, state, lr, scalars):
        beta1, beta2 = self.defaults["betas"]
        g = self._with_l2(g, p)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg += (1 - beta1) * (g - exp_avg)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(g) + self.defaults["eps"], out=exp_inf)
        p -= (lr / (1 - beta1**self.t)) * (exp_avg / exp_inf)


class NAdam(_AdamFamily):
    """torch.optim.NAdam: Adam with Nesterov momentum and torch's momentum-decay schedule
    mu_t = beta1 (1 - 0.96^(t psi) / 2)."""

    _state_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(betas=tuple(betas), eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, lr, defaults, n_threads)
        self.mu_product = 1.0

    def _mu(self, t: int) -> float:
        beta1 = self.defaults["betas"][0]
        return beta1 * (1 - 0.5 * 0.96 ** (t * self.defaults["momentum_decay"]))

    def _step_scalars(self, lr: float) -> dict:
        mu, mu_next = self._mu(self.t), self._mu(self.t + 1)
        self.mu_product *= mu
        return {
            "grad_coef": lr * (1 - mu) / (1 - self.mu_product),
            "avg_coef": lr * mu_next / (1 - self.mu_product * mu_next),
        }

    def _update(self, p, g, state, lr, scalars):
        beta1, beta2 = self.defaults["betas"]
        g = self._decayed(p, g, lr)
        exp_avg, exp_avg_sq = _adam_moments(g, state, beta1, beta2)
        denom = np.sqrt(exp_avg_sq / (1 - beta2**self.t))
        denom += self.defaults["eps"]
        p -= scalars["grad_coef"] * (g / denom)
        p -= scalars["avg_coef"] * (exp_avg / denom)


class RAdam(_AdamFamily):
    """torch.optim.RAdam: Adam whose adaptive term is switched on (and rectified) once the
    variance of the adaptive rate is tractable (rho_t > 5); plain momentum SGD before."""

    _state_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Params,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        n_threads: int | None = None,
    ) -> None:
        defaults = dict(betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, lr, defaults, n_threads)

    def _step_scalars(self, lr: float) -> dict:
        beta2 = self.defaults["betas"][1]
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * self.t * beta2**self.t / (1 - beta2**self.t)
        if rho_t <= 5:
            return {"rectification": None}
        return {
            "rectification": math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
        }

    def _update(self, p, g, state, lr, scalars):
        beta1, beta2 = self.defaults["betas"]
        g = self._decayed(p, g, lr)
        exp_avg, exp_avg_sq = _adam_moments(g, state, beta1, beta2)
        corrected_avg = exp_avg / (1 - beta1**self.t)
        rectification = scalars["rectification"]
        if rectification is None:
            p -= lr * corrected_avg
            return
        adaptive = math.sqrt(1 - beta2**self.t) / (np.sqrt(exp_avg_sq) + self.defaults["eps"])
        p -= (lr * rectification) * (corrected_avg * adaptive)
