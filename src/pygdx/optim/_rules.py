"""The update rules: one Optimizer subclass each, naming its core rule and state."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .. import _core
from ..schedules import LearningRate
from ._base import Optimizer
from ._checks import Params, _check_betas, _check_finite, _check_nonnegative, _check_unit_interval


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum: torch.optim.SGD."""

    _rule = _core.Rule.sgd
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
        momentum = _check_nonnegative("momentum value", momentum)
        dampening = _check_finite("dampening value", dampening)
        weight_decay = _check_nonnegative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=bool(nesterov), maximize=bool(maximize))
        super().__init__(params, lr, defaults, n_threads)

    def _hyper_fields(self, options: Mapping[str, Any]) -> dict:
        return {k: options[k] for k in self.defaults}


class Adagrad(Optimizer):
    """Adagrad: torch.optim.Adagrad."""

    _rule = _core.Rule.adagrad
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
        defaults = dict(
            lr_decay=_check_nonnegative("lr_decay value", lr_decay),
            weight_decay=_check_nonnegative("weight_decay value", weight_decay),
            initial_accumulator_value=_check_nonnegative("initial_accumulator_value", initial_accumulator_value),
            eps=_check_nonnegative("epsilon value", eps),
            maximize=bool(maximize),
        )
        super().__init__(params, lr, defaults, n_threads)

    def _initial_state_value(self, name: str, options: Mapping[str, Any]) -> float:
        return options["initial_accumulator_value"]

    def _hyper_fields(self, options: Mapping[str, Any]) -> dict:
        d = options
        return dict(lr_decay=d["lr_decay"], weight_decay=d["weight_decay"], eps=d["eps"], maximize=d["maximize"])


class RMSprop(Optimizer):
    """RMSprop, optionally centered and with momentum: torch.optim.RMSprop."""

    _rule = _core.Rule.rmsprop
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
        defaults = dict(
            alpha=_check_unit_interval("alpha value", alpha, closed_right=True),
            eps=_check_nonnegative("epsilon value", eps),
            weight_decay=_check_nonnegative("weight_decay value", weight_decay),
            momentum=_check_nonnegative("momentum value", momentum),
            centered=bool(centered),
            maximize=bool(maximize),
        )
        super().__init__(params, lr, defaults, n_threads)

    def _hyper_fields(self, options: Mapping[str, Any]) -> dict:
        return {k: options[k] for k in self.defaults}


class Adadelta(Optimizer):
    """Adadelta: torch.optim.Adadelta."""

    _rule = _core.Rule.adadelta
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
        defaults = dict(
            rho=_check_unit_interval("rho value", rho, closed_right=True),
            eps=_check_nonnegative("epsilon value", eps),
            weight_decay=_check_nonnegative("weight_decay value", weight_decay),
            maximize=bool(maximize),
        )
        super().__init__(params, lr, defaults, n_threads)

    def _hyper_fields(self, options: Mapping[str, Any]) -> dict:
        return {k: options[k] for k in self.defaults}


class _AdamFamily(Optimizer):
    """Shared hyperparameter handling of Adam, AdamW, Adamax, NAdam and RAdam."""

    @staticmethod
    def _shared_defaults(betas: Sequence[float], eps: float, weight_decay: float, maximize: bool,
                         **own: Any) -> dict:
        """The checked hyperparameters every Adam-family rule has, then the rule's own."""
        return dict(
            betas=_check_betas(betas),
            eps=_check_nonnegative("epsilon value", eps),
            weight_decay=_check_nonnegative("weight_decay value", weight_decay),
            maximize=bool(maximize),
            **own,
        )

    def _hyper_fields(self, options: Mapping[str, Any]) -> dict:
        d = {k: options[k] for k in self.defaults}
        beta1, beta2 = d.pop("betas")
        d["beta1"], d["beta2"] = beta1, beta2
        return d


class Adam(_AdamFamily):
    """Adam, optionally AMSGrad: torch.optim.Adam.

    ``weight_decay`` is coupled L2 (added to the gradient) unless
    ``decoupled_weight_decay=True``, which makes it AdamW.
    """

    _rule = _core.Rule.adam
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
        defaults = self._shared_defaults(betas, eps, weight_decay, maximize, amsgrad=bool(amsgrad),
                                         decoupled_weight_decay=bool(decoupled_weight_decay))
        super().__init__(params, lr, defaults, n_threads)


class AdamW(Adam):
    """Adam with decoupled weight decay: torch.optim.AdamW."""

    _rule = _core.Rule.adamw

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
    """Adamax (Adam with the infinity norm): torch.optim.Adamax."""

    _rule = _core.Rule.adamax
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
        super().__init__(params, lr, self._shared_defaults(betas, eps, weight_decay, maximize), n_threads)


class NAdam(_AdamFamily):
    """Adam with Nesterov momentum: torch.optim.NAdam."""

    _rule = _core.Rule.nadam
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
        defaults = self._shared_defaults(
            betas, eps, weight_decay, maximize,
            momentum_decay=_check_nonnegative("momentum_decay value", momentum_decay),
            decoupled_weight_decay=bool(decoupled_weight_decay),
        )
        super().__init__(params, lr, defaults, n_threads)


class RAdam(_AdamFamily):
    """Rectified Adam: torch.optim.RAdam."""

    _rule = _core.Rule.radam
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
        defaults = self._shared_defaults(betas, eps, weight_decay, maximize,
                                         decoupled_weight_decay=bool(decoupled_weight_decay))
        super().__init__(params, lr, defaults, n_threads)
