"""Optimizers with torch.optim's names, defaults and update formulas, on NumPy arrays.

Each optimizer updates its parameters *in place*: the arrays you pass are the arrays that
change, with no copy. Parameters must therefore be C-contiguous, writeable float32 or
float64 arrays of one dtype; anything else is refused with an error saying how to fix it,
before any array is touched.

Gradients are only read. A gradient that is already a C-contiguous array of the
parameters' dtype is used as is; any other array-like (another dtype, a strided view, a
list) is converted once, per step, into a temporary of the parameters' dtype, exactly as
``np.ascontiguousarray(g, dtype=p.dtype)`` would.

State (moments, accumulators, the step count) lives in NumPy arrays owned by the
optimizer, so ``state_dict()`` / ``load_state_dict()`` round-trip exactly and optimizers
pickle. The update itself runs in C++ with the GIL released for large parameters.

>>> import numpy as np, pygdx
>>> w = np.zeros(3)
>>> opt = pygdx.optim.Adam(w, lr=0.1)
>>> opt.step(np.array([1.0, -1.0, 0.0]))
>>> w
array([-0.1,  0.1,  0. ])
"""

from __future__ import annotations

import copy
import math
from typing import Any, ClassVar, Sequence, Union

import numpy as np

from . import _core
from .schedules import LearningRate, as_schedule

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "get",
    "available",
]

Params = Union[np.ndarray, Sequence[np.ndarray]]


def _as_param_list(params: Params) -> list[np.ndarray]:
    if isinstance(params, np.ndarray):
        plist = [params]
    elif isinstance(params, (list, tuple)):
        plist = list(params)
    else:
        raise TypeError(
            "params must be a NumPy array or a list of NumPy arrays, "
            f"not {type(params).__name__}; an optimizer updates its parameters in place"
        )
    if not plist:
        raise ValueError("optimizer got an empty parameter list")
    for k, p in enumerate(plist):
        name = f"parameter {k}"
        if not isinstance(p, np.ndarray):
            raise TypeError(
                f"{name} is a {type(p).__name__}, not a NumPy array; an optimizer updates its parameters in "
                "place, so pass np.asarray(x, dtype=np.float64) and keep a reference to that array"
            )
        if p.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"{name} has dtype {p.dtype} but must be float32 or float64 to be updated in place; "
                f"convert it once with np.ascontiguousarray(x, dtype=np.float64) and keep that array"
            )
        if not p.flags.c_contiguous:
            raise ValueError(
                f"{name} is not C-contiguous, so it cannot be updated in place; "
                "pass np.ascontiguousarray(x) and keep that array"
            )
        if not p.flags.writeable:
            raise ValueError(
                f"{name} is read-only and cannot be updated in place; pass a writeable copy (x.copy())"
            )
        if p.dtype != plist[0].dtype:
            raise TypeError(
                f"parameters mix dtypes ({plist[0].dtype} and {p.dtype}); use one dtype, or one optimizer per dtype"
            )
    for i in range(len(plist)):
        for j in range(i + 1, len(plist)):
            if np.shares_memory(plist[i], plist[j]):
                raise ValueError(f"parameters {i} and {j} share memory; each element may be optimized only once")
    return plist


# The messages quote the value as given, like torch ("Invalid momentum value: -1").
def _writeable(a: np.ndarray) -> np.ndarray:
    return a if a.flags.writeable and a.flags.c_contiguous else np.array(a, order="C")


def _check_nonnegative(what: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0.0:
        raise ValueError(f"Invalid {what}: {value}")
    return number


def _check_unit_interval(what: str, value: float, closed_right: bool = False) -> float:
    number = float(value)
    ok = 0.0 <= number <= 1.0 if closed_right else 0.0 <= number < 1.0
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")
    return number


def _check_betas(betas: Sequence[float]) -> tuple[float, float]:
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (need two numbers)")
    return (
        _check_unit_interval("beta parameter at index 0", betas[0]),
        _check_unit_interval("beta parameter at index 1", betas[1]),
    )


class Optimizer:
    """Base class: binds parameters and state once, then ``step(grads)`` updates in place.

    Subclasses declare the C++ rule, the names of its state slots and how their
    hyperparameters map onto the core's record.
    """

    _rule: ClassVar[Any]
    _state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Params, lr: LearningRate, defaults: dict, n_threads: int | None = None) -> None:
        self.params = _as_param_list(params)
        self.defaults = defaults
        self._schedule = as_schedule(lr)
        if n_threads is not None and (int(n_threads) != n_threads or n_threads < 1):
            raise ValueError(f"Invalid n_threads: {n_threads} (an integer >= 1, or None for all cores)")
        self.n_threads = n_threads
        self._counters = np.zeros(2, dtype=np.float64)
        self._counters[1] = 1.0
        hyper = self._make_hyper()
        self.state: list[dict[str, np.ndarray]] = []
        for p in self.params:
            slots = {}
            for j, name in enumerate(self._state_names):
                if _core.state_buffer_used(hyper, j):
                    slots[name] = np.full_like(p, self._initial_state_value(name), order="C")
            self.state.append(slots)
        self._bind()

    # --- the core record -------------------------------------------------------------
    def _hyper_fields(self) -> dict:
        """Core Hyper fields from self.defaults; subclasses override."""
        raise NotImplementedError

    def _initial_state_value(self, name: str) -> float:
        return 0.0

    def _make_hyper(self) -> Any:
        h = _core.Hyper()
        h.rule = self._rule
        for k, v in self._hyper_fields().items():
            setattr(h, k, v)
        return h

    def _new_kernel(self, state: list[dict[str, np.ndarray]], counters: np.ndarray) -> Any:
        """A C++ kernel stepping self.params with these state arrays and counters."""
        dtype = self.params[0].dtype
        kernel_type = _core.OptimizerKernelF32 if dtype == np.float32 else _core.OptimizerKernelF64
        empty = np.empty(0, dtype=dtype)
        states = [[slots.get(name, empty) for name in self._state_names] for slots in state]
        return kernel_type(self._make_hyper(), self._schedule.to_core(), self.params, states, counters,
                           self.n_threads or 0)

    def _bind(self) -> None:
        self._kernel = self._new_kernel(self.state, self._counters)
        self._schedule_is_stateful = self._schedule.refresh_each_step

    # --- the public API -------------------------------------------------------------
    def step(self, grads: Any) -> None:
        """Update every parameter in place from its gradient.

        ``grads``: a sequence with one gradient per parameter, in the parameters' order,
        each of its parameter's shape. With one parameter, the gradient itself also works
        (an array, or a nested list that is not a one-element list).
        """
        # A plain attribute, not a property: at small sizes this wrapper is a visible part
        # of the cost of a step.
        if self._schedule_is_stateful:
            self._kernel.schedule = self._schedule.to_core(int(self._counters[0]) + 1)
        self._kernel.step(grads)

    @property
    def lr(self) -> LearningRate:
        """The learning rate: a float, or the Schedule it was given. Settable between steps."""
        s = self._schedule
        return s.lr if s.constant else s

    @lr.setter
    def lr(self, value: LearningRate) -> None:
        schedule = as_schedule(value)
        self._kernel.schedule = schedule.to_core(self.t + 1)  # checked before anything changes
        self._schedule = schedule
        self._schedule_is_stateful = schedule.refresh_each_step

    @property
    def current_lr(self) -> float:
        """The rate the next step will use."""
        return self._schedule(self.t + 1)

    @property
    def t(self) -> int:
        """How many steps have been taken."""
        return int(self._counters[0])

    def core_buffers(self, index: int = 0, steps: int | None = None) -> tuple[Any, Any, np.ndarray, list[np.ndarray]]:
        """What a C++ training loop needs to step parameter ``index`` with this exact rule:
        ``(hyper, schedule, counters, state buffers)``. The arrays are this optimizer's own,
        so steps taken in C++ advance it exactly as :meth:`step` would (used by the estimators).
        ``steps``: how many steps the loop will take (a tabulated schedule is computed that far).
        """
        empty = np.empty(0, dtype=self.params[index].dtype)
        states = [self.state[index].get(name, empty) for name in self._state_names]
        schedule = self._schedule.to_core(None if steps is None else self.t + int(steps))
        return self._make_hyper(), schedule, self._counters, states

    def state_dict(self) -> dict:
        """Everything needed to continue exactly where this optimizer is: a deep copy."""
        return {
            "type": type(self).__name__,
            "defaults": copy.deepcopy(self.defaults),
            "lr": copy.deepcopy(self.lr),
            "step": self.t,
            "counters": self._counters.copy(),
            "state": [{k: v.copy() for k, v in slots.items()} for slots in self.state],
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()``; the bound parameter arrays are kept, the state is copied in.

        Everything is checked and the new kernel built before anything is replaced: a
        state_dict that does not fit raises and leaves this optimizer exactly as it was.
        """
        if state_dict.get("type") != type(self).__name__:
            raise ValueError(f"state_dict is for {state_dict.get('type')}, not {type(self).__name__}")
        saved = state_dict["state"]
        if len(saved) != len(self.params):
            raise ValueError(f"state_dict has state for {len(saved)} parameters; this optimizer has {len(self.params)}")
        counters = np.array(state_dict["counters"], dtype=np.float64)
        if counters.shape != (2,) or not np.isfinite(counters).all() or counters[0] < 0:
            raise ValueError(f"state_dict counters must be [step, mu_product], got {state_dict['counters']!r}")
        if "step" in state_dict and int(state_dict["step"]) != int(counters[0]):
            raise ValueError(f"state_dict step {state_dict['step']} disagrees with its counters {counters[0]}")
        old = (self.defaults, self._schedule)
        try:
            self.defaults = dict(state_dict["defaults"])
            hyper = self._make_hyper()
            new_state: list[dict[str, np.ndarray]] = []
            for k, (p, slots) in enumerate(zip(self.params, saved)):
                used = {n for j, n in enumerate(self._state_names) if _core.state_buffer_used(hyper, j)}
                if set(slots) != used:
                    raise ValueError(f"state_dict parameter {k} has state {sorted(slots)}, expected {sorted(used)}")
                for name, arr in slots.items():
                    if np.shape(arr) != p.shape:
                        raise ValueError(f"state_dict parameter {k} {name} has shape {np.shape(arr)}, not {p.shape}")
                new_state.append({n: np.array(a, dtype=p.dtype, order="C") for n, a in slots.items()})
            self._schedule = as_schedule(copy.deepcopy(state_dict["lr"]))
            # The same slots are copied into the arrays this optimizer already has, so that
            # references to its state (a training loop's, a caller's) stay valid.
            in_place = all(set(new) == set(cur) for new, cur in zip(new_state, self.state))
            kernel = self._new_kernel(self.state if in_place else new_state, self._counters if in_place else counters)
        except Exception:
            self.defaults, self._schedule = old
            raise
        if in_place:
            for new, cur in zip(new_state, self.state):
                for name, arr in new.items():
                    np.copyto(cur[name], arr)
            np.copyto(self._counters, counters)
        else:
            self.state, self._counters = new_state, counters
        self._kernel = kernel
        self._schedule_is_stateful = self._schedule.refresh_each_step

    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        del d["_kernel"]
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        # Arrays can come back read-only (joblib loads large ones as read-only memory maps);
        # these fresh arrays belong to no one else yet, so writeable copies take their place.
        self.params = [_writeable(p) for p in self.params]
        self.state = [{k: _writeable(a) for k, a in slots.items()} for slots in self.state]
        self._counters = _writeable(self._counters)
        self._bind()

    def __repr__(self) -> str:
        shapes = ", ".join(str(p.shape) for p in self.params)
        args = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{type(self).__name__}([{shapes}], lr={self.lr!r}, {args})"


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
        dampening = float(dampening)
        weight_decay = _check_nonnegative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=bool(nesterov), maximize=bool(maximize))
        super().__init__(params, lr, defaults, n_threads)

    def _hyper_fields(self) -> dict:
        return dict(self.defaults)


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

    def _initial_state_value(self, name: str) -> float:
        return self.defaults["initial_accumulator_value"]

    def _hyper_fields(self) -> dict:
        d = self.defaults
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

    def _hyper_fields(self) -> dict:
        return dict(self.defaults)


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

    def _hyper_fields(self) -> dict:
        return dict(self.defaults)


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

    def _hyper_fields(self) -> dict:
        d = dict(self.defaults)
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


_REGISTRY: dict[str, tuple[type[Optimizer], dict]] = {
    "sgd": (SGD, {}),
    "gd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adadelta": (Adadelta, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
    "adamax": (Adamax, {}),
    "nadam": (NAdam, {}),
    "radam": (RAdam, {}),
}


def available() -> list[str]:
    """The names :func:`get` accepts (case-insensitive)."""
    return sorted(_REGISTRY)


def get(name: str | type[Optimizer], params: Params, **kwargs: Any) -> Optimizer:
    """Build an optimizer by name (case-insensitive), Keras-style.

    Aliases: "gd" is plain SGD, "momentum" is SGD with momentum=0.9, "nesterov" is SGD
    with momentum=0.9 and nesterov=True; keyword arguments override those defaults.

    >>> import numpy as np, pygdx
    >>> pygdx.optim.get("Momentum", np.zeros(2), lr=0.1)
    SGD([(2,)], lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)
    """
    if isinstance(name, type) and issubclass(name, Optimizer):
        return name(params, **kwargs)
    if not isinstance(name, str):
        raise TypeError(f"optimizer name must be a string, not {type(name).__name__}")
    key = name.strip().lower()
    if key not in _REGISTRY:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of: {', '.join(available())}")
    cls, preset = _REGISTRY[key]
    return cls(params, **{**preset, **kwargs})
