"""Optimizers with torch.optim's names, defaults and update formulas, on NumPy arrays.

Each optimizer updates its parameters *in place*: the arrays you pass are the arrays that
change, with no copy. Parameters must therefore be C-contiguous, writeable float32 or
float64 arrays of one dtype; anything else is refused with an error saying how to fix it,
before any array is touched.

Gradients are only read. A gradient that is already a C-contiguous, aligned array of the
parameters' dtype is used as is; any other array of real numbers (another float or integer
dtype, a strided view, a list) is converted once, per step, into a temporary of the
parameters' dtype, as ``np.ascontiguousarray(g, dtype=p.dtype)`` would. Complex, datetime,
text, object and structured gradients are refused (TypeError), never converted. A gradient
that overlaps a parameter or the optimizer's state (``step([b, a])`` for parameters
``[a, b]``) is copied first, so every update reads the gradients as they were at the call.

Threads: one optimizer stepped from several threads at once runs the steps one after the
other (a lock in the kernel), as do ``state_dict`` and ``load_state_dict``; the result is
that of the same steps taken in some sequential order, never a mix of two.

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
import inspect
import math
import types
from typing import Any, Callable, ClassVar, Mapping, Sequence, Union

import numpy as np

from . import _core
from ._numbers import as_real_array, real_number
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
        if not p.flags.aligned:
            raise ValueError(
                f"{name} is not aligned in memory for {p.dtype} (a view at an odd byte offset), so it cannot "
                "be updated in place; pass an aligned copy (x.copy()) and keep that array"
            )
        if not p.flags.writeable:
            raise ValueError(
                f"{name} is read-only and cannot be updated in place; pass a writeable copy (x.copy())"
            )
        if p.dtype != plist[0].dtype:
            raise TypeError(
                f"parameters mix dtypes ({plist[0].dtype} and {p.dtype}); use one dtype, or one optimizer per dtype"
            )
    _check_no_shared_memory(plist)
    return plist


def _check_no_shared_memory(plist: list[np.ndarray]) -> None:
    """A ValueError when two parameters overlap; O(n log n) in the number of parameters.

    Parameters are C-contiguous, so each occupies one byte range, and two share memory
    exactly when their ranges overlap: sorted by start, a range overlaps an earlier one
    iff it starts before the furthest end seen so far.
    """
    ranges = sorted((p.ctypes.data, p.ctypes.data + p.nbytes, k) for k, p in enumerate(plist) if p.nbytes)
    furthest_end, owner = -1, -1
    for start, end, k in ranges:
        if start < furthest_end:
            i, j = sorted((owner, k))
            raise ValueError(f"parameters {i} and {j} share memory; each element may be optimized only once")
        if end > furthest_end:
            furthest_end, owner = end, k


# The messages quote the value as given, like torch ("Invalid momentum value: -1").
def _writeable(a: np.ndarray) -> np.ndarray:
    return a if a.flags.writeable and a.flags.c_contiguous else np.array(a, order="C")


def _check_nonnegative(what: str, value: float) -> float:
    number = real_number(what, value)
    if not math.isfinite(number) or number < 0.0:
        raise ValueError(f"Invalid {what}: {value}")
    return number


def _check_finite(what: str, value: float) -> float:
    number = real_number(what, value)
    if not math.isfinite(number):
        raise ValueError(f"Invalid {what}: {value}")
    return number


def _check_unit_interval(what: str, value: float, closed_right: bool = False) -> float:
    number = real_number(what, value)
    ok = 0.0 <= number <= 1.0 if closed_right else 0.0 <= number < 1.0
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")
    return number


def _check_betas(betas: Sequence[float]) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list, np.ndarray)) or len(betas) != 2:
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
        # Read-only: hyperparameters change only through a constructor or load_state_dict,
        # which check them; a plain dict would let unchecked values into the next step.
        self.defaults: Mapping[str, Any] = types.MappingProxyType(defaults)
        self._schedule = as_schedule(lr)
        if n_threads is not None and (
            not isinstance(n_threads, (int, np.integer)) or isinstance(n_threads, bool) or n_threads < 1
        ):
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

    def _kernel_states(self, state: list[dict[str, np.ndarray]]) -> list[list[np.ndarray]]:
        empty = np.empty(0, dtype=self.params[0].dtype)
        return [[slots.get(name, empty) for name in self._state_names] for slots in state]

    def _bind(self) -> None:
        dtype = self.params[0].dtype
        kernel_type = _core.OptimizerKernelF32 if dtype == np.float32 else _core.OptimizerKernelF64
        self._kernel = kernel_type(self._make_hyper(), self._schedule.to_core(), self.params,
                                   self._kernel_states(self.state), self._counters, self.n_threads or 0)
        self._schedule_is_stateful = hasattr(self._schedule, "observe")

    # --- the public API -------------------------------------------------------------
    def step(self, grads: Any = None, closure: Callable[[], tuple[Any, Any]] | None = None) -> Any:
        """Update every parameter in place from its gradient.

        ``grads``: a sequence with one gradient per parameter, in the parameters' order,
        each of its parameter's shape. With one parameter, the gradient itself also works:
        an array, a number or a nested list (``g.tolist()`` of any shape).

        ``closure`` (or a callable in place of ``grads``, as ``opt.step(closure)`` in
        torch): called once, before the update, at the current parameters; it returns
        ``(loss, grads)``, the loss and the gradients in the form above. The step then
        uses those gradients and returns the loss, as torch's ``step(closure)`` does (in
        torch the closure calls ``backward()``; NumPy arrays carry no gradient, so here it
        returns them). Without a closure, ``step`` returns None.
        """
        if closure is None and grads is not None and not callable(grads):
            # A plain attribute, not a property: at small sizes this wrapper is a visible
            # part of the cost of a step.
            if self._schedule_is_stateful:
                self._kernel.schedule = self._schedule.to_core()
            self._kernel.step(grads)
            return None
        return self._step_with_closure(grads, closure)

    def _step_with_closure(self, grads: Any, closure: Any) -> Any:
        if closure is None:
            if grads is None:
                raise TypeError("step() needs the gradients, or a closure returning (loss, gradients)")
            grads, closure = None, grads
        if grads is not None:
            raise TypeError("step() takes the gradients or a closure, not both")
        if not callable(closure):
            raise TypeError(f"closure must be callable, not {type(closure).__name__}")
        result = closure()
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"the closure must return a pair (loss, gradients), not a {type(result).__name__}; in torch it "
                "calls backward(), here it returns the gradients"
            )
        loss, closure_grads = result
        self.step(closure_grads)
        return loss

    @property
    def lr(self) -> LearningRate:
        """The learning rate: a float, or the Schedule it was given. Settable between steps,
        checked as the constructor checks it."""
        s = self._schedule
        return s.lr if type(s).__name__ == "ConstantLR" else s

    @lr.setter
    def lr(self, value: LearningRate) -> None:
        schedule = as_schedule(value)
        core = schedule.to_core()
        self._schedule = schedule
        self._kernel.schedule = core
        self._schedule_is_stateful = hasattr(schedule, "observe")

    @property
    def current_lr(self) -> float:
        """The rate the next step will use."""
        return self._schedule(self.t + 1)

    @property
    def t(self) -> int:
        """How many steps have been taken."""
        return int(self._counters[0])

    def core_buffers(self, index: int = 0) -> tuple[Any, Any, np.ndarray, list[np.ndarray]]:
        """What a C++ training loop needs to step parameter ``index`` with this exact rule:
        ``(hyper, schedule, counters, state buffers)``. The arrays are this optimizer's own,
        so steps taken in C++ advance it exactly as :meth:`step` would (used by the estimators).
        """
        empty = np.empty(0, dtype=self.params[index].dtype)
        states = [self.state[index].get(name, empty) for name in self._state_names]
        return self._make_hyper(), self._schedule.to_core(), self._counters, states

    def state_dict(self) -> dict:
        """Everything needed to continue exactly where this optimizer is: a deep copy."""
        self._kernel.lock()  # a consistent snapshot, not one taken halfway through a step
        try:
            return {
                "type": type(self).__name__,
                "defaults": copy.deepcopy(dict(self.defaults)),
                "lr": copy.deepcopy(self.lr),
                "step": self.t,
                "counters": self._counters.copy(),
                "state": [{k: v.copy() for k, v in slots.items()} for slots in self.state],
            }
        finally:
            self._kernel.unlock()

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()``; the bound parameter arrays are kept, the state is copied in.

        Everything is checked as the constructor checks it (hyperparameters, learning rate,
        counters, the shape, dtype and values of every state array) before anything is
        replaced: a state_dict that does not fit raises TypeError or ValueError naming the
        key, and leaves this optimizer exactly as it was.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict (from Optimizer.state_dict()), not {type(state_dict).__name__}")
        missing = [k for k in ("type", "defaults", "lr", "counters", "state") if k not in state_dict]
        if missing:
            raise ValueError(f"state_dict lacks the key(s) {', '.join(map(repr, missing))}")
        if state_dict["type"] != type(self).__name__:
            raise ValueError(f"state_dict is for {state_dict['type']}, not {type(self).__name__}")
        # Checked again: the list is the caller's to change.
        params = _as_param_list(self.params)
        probe = self._probe(state_dict["defaults"])
        schedule = as_schedule(copy.deepcopy(state_dict["lr"]))
        core_schedule = schedule.to_core()
        counters = _checked_counters(state_dict)
        hyper = probe._make_hyper()
        used = [n for j, n in enumerate(self._state_names) if _core.state_buffer_used(hyper, j)]
        new_state = _checked_state(state_dict["state"], params, used)
        # The same slots are copied into the arrays this optimizer already has, so that
        # references to its state (a training loop's, a caller's) stay valid.
        in_place = all(
            set(new) == set(cur) and all(_bindable(cur[n], p) for n in cur)
            for new, cur, p in zip(new_state, self.state, params)
        )
        self._kernel.lock()
        try:
            target_state, target_counters = (self.state, self._counters) if in_place else (new_state, counters)
            self._kernel.rebind(hyper, params, self._kernel_states(target_state), target_counters)
            if in_place:
                for new, cur in zip(new_state, self.state):
                    for name, arr in new.items():
                        np.copyto(cur[name], arr)
                np.copyto(self._counters, counters)
            self.params, self.state, self._counters = params, target_state, target_counters
            self.defaults = probe.defaults
            self._schedule = schedule
            self._kernel.schedule = core_schedule
            self._schedule_is_stateful = hasattr(schedule, "observe")
        finally:
            self._kernel.unlock()

    def _probe(self, defaults: Any) -> Optimizer:
        """An optimizer of this type built from ``defaults`` by the constructor, which checks them."""
        if not isinstance(defaults, Mapping):
            raise TypeError(f"state_dict['defaults'] must be a dict, not {type(defaults).__name__}")
        expected = set(self.defaults)
        unknown, absent = sorted(set(defaults) - expected), sorted(expected - set(defaults))
        if unknown or absent:
            raise ValueError(
                f"state_dict['defaults'] does not fit {type(self).__name__}: "
                + "; ".join(filter(None, [unknown and f"unknown key(s) {unknown}", absent and f"missing key(s) {absent}"]))
            )
        accepted = inspect.signature(type(self)).parameters
        # Keys the constructor fixes (AdamW's decoupled_weight_decay) must keep their value.
        for key in expected - set(accepted):
            if defaults[key] != self.defaults[key]:
                raise ValueError(f"state_dict['defaults'][{key!r}] must be {self.defaults[key]!r} for "
                                 f"{type(self).__name__}, not {defaults[key]!r}")
        kwargs = {k: v for k, v in defaults.items() if k in accepted}
        point = np.zeros(1, dtype=self.params[0].dtype)
        try:
            return type(self)(point, **kwargs)
        except (TypeError, ValueError) as exc:
            # Name the key: the first that fails on its own, else the combination.
            for key, value in kwargs.items():
                try:
                    type(self)(point, **{key: value})
                except (TypeError, ValueError) as own:
                    raise type(exc)(f"state_dict['defaults'][{key!r}] = {value!r} is invalid: {own}") from None
            raise type(exc)(f"state_dict['defaults'] is invalid: {exc}") from None

    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        del d["_kernel"]
        d["defaults"] = dict(self.defaults)
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self.defaults = types.MappingProxyType(dict(d["defaults"]))
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


def _bindable(arr: Any, param: np.ndarray) -> bool:
    """Whether ``arr`` can still serve as a state buffer of ``param`` (the caller may have replaced it)."""
    return (isinstance(arr, np.ndarray) and arr.dtype == param.dtype and arr.shape == param.shape
            and arr.flags.c_contiguous and arr.flags.aligned and arr.flags.writeable)


# State that is a sum or average of squares (or a running maximum of one): never negative.
_NONNEGATIVE_STATE = frozenset({"sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq", "acc_delta", "exp_inf"})


def _checked_state(saved: Any, params: list[np.ndarray], used: list[str]) -> list[dict[str, np.ndarray]]:
    """Fresh C-contiguous copies of the saved state arrays, each checked."""
    if not isinstance(saved, (list, tuple)):
        raise TypeError(f"state_dict['state'] must be a list of dicts, not {type(saved).__name__}")
    if len(saved) != len(params):
        raise ValueError(f"state_dict has state for {len(saved)} parameters; this optimizer has {len(params)}")
    new_state = []
    for k, (p, slots) in enumerate(zip(params, saved)):
        if not isinstance(slots, Mapping):
            raise TypeError(f"state_dict['state'][{k}] must be a dict, not {type(slots).__name__}")
        if set(slots) != set(used):
            raise ValueError(f"state_dict parameter {k} has state {sorted(slots)}, expected {sorted(used)}")
        checked = {}
        for name in used:
            where = f"state_dict['state'][{k}][{name!r}]"
            arr = as_real_array(slots[name], where, p.dtype, copy=True)
            if arr.shape != p.shape:
                raise ValueError(f"{where} has shape {arr.shape}, not {p.shape} (the shape of parameter {k})")
            if not np.isfinite(arr).all():
                raise ValueError(f"{where} holds NaN or infinite values")
            if name in _NONNEGATIVE_STATE and (arr < 0).any():
                raise ValueError(f"{where} holds negative values, but {name} is a sum of squares (>= 0)")
            checked[name] = np.ascontiguousarray(arr)
        new_state.append(checked)
    return new_state


def _checked_counters(state_dict: Mapping) -> np.ndarray:
    """[step, NAdam's product of momentum factors]: an integral step count in [0, 2**53]
    (doubles count exactly up to there) and a product in [0, 1]."""
    counters = as_real_array(state_dict["counters"], "state_dict['counters']", copy=True)
    step, product = (counters.tolist() + [math.nan, math.nan])[:2] if counters.ndim == 1 else (math.nan, math.nan)
    if counters.shape != (2,) or not (0 <= step <= 2**53 and step == int(step)) or not 0.0 <= product <= 1.0:
        raise ValueError(
            "state_dict['counters'] must be [step, mu_product] with step an integer in [0, 2**53] and "
            f"mu_product in [0, 1], got {state_dict['counters']!r}"
        )
    if "step" in state_dict:
        saved_step = real_number("state_dict['step']", state_dict["step"])
        if saved_step != step:
            raise ValueError(f"state_dict['step'] = {state_dict['step']!r} disagrees with its counters ({step:g})")
    return counters


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
