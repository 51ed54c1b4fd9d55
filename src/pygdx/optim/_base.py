"""The Optimizer base class and its parameter groups."""

from __future__ import annotations

import copy
import inspect
import types
from collections.abc import MutableMapping
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from .. import _core
from .._plain import PLAIN_TYPES
from ..schedules import LearningRate, Schedule, as_schedule
from ._checks import Params, _as_param_list, _bindable, _checked_counters, _checked_state, _core_schedules, _fresh_counters, _writeable


class ParamGroup(MutableMapping):
    """One entry of ``Optimizer.param_groups``: ``"params"`` (its arrays), ``"lr"`` and the
    rule's options, as in torch. Setting an option (``group["lr"] = 0.01``) checks it as the
    constructor does and takes effect at the next step; ``"params"`` changes only through
    :meth:`Optimizer.add_param_group`, and no key can be removed.
    """

    def __init__(self, optimizer: Optimizer, index: int) -> None:
        self._optimizer, self._index = optimizer, index

    def __getitem__(self, key: str) -> Any:
        value = self._optimizer._groups[self._index][key]
        return list(value) if key == "params" else value

    def __setitem__(self, key: str, value: Any) -> None:
        self._optimizer._set_group_option(self._index, key, value)

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"a parameter group's {key!r} cannot be removed; set another value instead")

    def __iter__(self) -> Any:
        return iter(self._optimizer._groups[self._index])

    def __len__(self) -> int:
        return len(self._optimizer._groups[self._index])

    def __repr__(self) -> str:
        return repr(dict(self))


class Optimizer:
    """Base class: binds parameters and state once, then ``step(grads)`` updates in place.

    ``params``: an array, a list of arrays, or torch's list of parameter groups, dicts
    ``{"params": arrays, "lr": ..., <option>: ...}`` whose options override the
    constructor's for their parameters. Gradients are always given for all parameters,
    in order, groups one after the other.

    Subclasses declare the C++ rule, the names of its state slots and how their
    hyperparameters map onto the core's record.
    """

    _rule: ClassVar[Any]
    _state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Params | Sequence[Mapping[str, Any]], lr: LearningRate, defaults: dict,
                 n_threads: int | None = None) -> None:
        # Read-only: hyperparameters change only through a constructor, a parameter group or
        # load_state_dict, which check them; a plain dict would let unchecked values in.
        self.defaults: Mapping[str, Any] = types.MappingProxyType(defaults)
        schedule = as_schedule(lr)
        if n_threads is not None and (
            not isinstance(n_threads, (int, np.integer)) or isinstance(n_threads, bool) or n_threads < 1
        ):
            raise ValueError(f"Invalid n_threads: {n_threads} (an integer >= 1, or None for all cores)")
        self.n_threads = n_threads
        self._default_lr = lr  # for groups added later without a rate
        given = list(params) if isinstance(params, (list, tuple)) else None
        if given and all(isinstance(g, Mapping) for g in given):
            groups = [self._checked_group(g, lr, k) for k, g in enumerate(given)]
        else:
            groups = [({"params": _as_param_list(params), "lr": lr, **defaults}, schedule)]
        self.params = _as_param_list([p for group, _ in groups for p in group["params"]])
        self._groups = [group for group, _ in groups]
        self._schedules = [s for _, s in groups]
        self._group_counters = [_fresh_counters() for _ in groups]
        self.state = [slots for group in self._groups for slots in self._fresh_state(group)]
        self._bind()

    # --- groups -----------------------------------------------------------------------
    def _checked_group(self, group: Mapping[str, Any], lr: LearningRate, k: int) -> tuple[dict, Any]:
        """A parameter group with every option filled in and checked, and its schedule."""
        if "params" not in group:
            raise ValueError(f"parameter group {k} has no 'params'")
        known = {"params", "lr", *self.defaults}
        unknown = sorted(set(group) - known)
        if unknown:
            raise ValueError(f"parameter group {k} has unknown key(s) {unknown}; a group may set {sorted(known)}")
        options = self._probe({**self.defaults, **{key: v for key, v in group.items() if key in self.defaults}},
                              f"parameter group {k}").defaults
        rate = group.get("lr", lr)
        return {"params": _as_param_list(group["params"]), "lr": rate, **options}, as_schedule(rate)

    def _fresh_state(self, group: Mapping[str, Any]) -> list[dict[str, np.ndarray]]:
        hyper = self._make_hyper(group)
        return [
            {name: np.full_like(p, self._initial_state_value(name, group), order="C")
             for j, name in enumerate(self._state_names) if _core.state_buffer_used(hyper, j)}
            for p in group["params"]
        ]

    @property
    def param_groups(self) -> list[ParamGroup]:
        """The parameter groups, as in torch: ``"params"``, ``"lr"`` and the options of each."""
        return [ParamGroup(self, k) for k in range(len(self._groups))]

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add parameters with their own options (the constructor's by default), as in torch.

        They must be new (sharing no memory with the parameters already here) and of the
        same dtype; their state starts empty and their step count at 0. Later gradients
        include theirs, after those of the earlier groups.
        """
        if not isinstance(param_group, Mapping):
            raise TypeError(f"param_group must be a dict, not {type(param_group).__name__}")
        group, schedule = self._checked_group(param_group, self._default_lr, len(self._groups))
        params = _as_param_list(self.params + group["params"])
        state = self.state + self._fresh_state(group)
        self._kernel.lock()
        try:
            old_kernel = self._kernel
            groups, schedules = self._groups + [group], self._schedules + [schedule]
            counters = self._group_counters + [_fresh_counters()]
            self._kernel = self._new_kernel(groups, schedules, counters, params, state)
            self.params, self.state, self._groups, self._schedules, self._group_counters = (
                params, state, groups, schedules, counters)
        finally:
            old_kernel.unlock()
        self._schedule_is_stateful = any(s.refresh_each_step for s in self._schedules)

    def _set_group_option(self, index: int, key: str, value: Any) -> None:
        if key == "params":
            raise TypeError("a group's parameters are fixed; add new ones with add_param_group()")
        if key == "lr":
            schedule = as_schedule(value)
            self._kernel.set_schedule(index, schedule.to_core(int(self._group_counters[index][0]) + 1))
            self._groups[index]["lr"], self._schedules[index] = value, schedule
            self._schedule_is_stateful = any(s.refresh_each_step for s in self._schedules)
            return
        if key not in self.defaults:
            raise KeyError(f"{type(self).__name__} has no option {key!r}; its groups have {sorted(self._groups[index])}")
        group = self._groups[index]
        options = self._probe({**{k: group[k] for k in self.defaults}, key: value}, f"parameter group {index}").defaults
        new_group = {"params": group["params"], "lr": group["lr"], **options}
        old_slots = set(self._fresh_state(group)[0]) if group["params"] else set()
        new_slots = set(self._fresh_state(new_group)[0]) if group["params"] else set()
        if old_slots != new_slots:
            raise ValueError(
                f"changing {key!r} to {value!r} changes the state {type(self).__name__} keeps "
                f"({sorted(old_slots)} to {sorted(new_slots)}); build a new optimizer or use load_state_dict"
            )
        self._kernel.lock()
        try:
            self._groups[index] = new_group
            self._rebind_locked()
        finally:
            self._kernel.unlock()

    def _group_slices(self) -> list[slice]:
        out, start = [], 0
        for group in self._groups:
            out.append(slice(start, start + len(group["params"])))
            start += len(group["params"])
        return out

    # --- the core record -------------------------------------------------------------
    def _hyper_fields(self, options: Mapping[str, Any]) -> dict:
        """Core Hyper fields from a group's options; subclasses override."""
        raise NotImplementedError

    def _initial_state_value(self, name: str, options: Mapping[str, Any]) -> float:
        return 0.0

    def _make_hyper(self, options: Mapping[str, Any] | None = None) -> Any:
        h = _core.Hyper()
        h.rule = self._rule
        for k, v in self._hyper_fields(self.defaults if options is None else options).items():
            setattr(h, k, v)
        return h

    def _kernel_states(self, state: list[dict[str, np.ndarray]]) -> list[list[np.ndarray]]:
        empty = np.empty(0, dtype=self.params[0].dtype)
        return [[slots.get(name, empty) for name in self._state_names] for slots in state]

    def _new_kernel(self, groups: list[dict], schedules: list[Any], counters: list[np.ndarray],
                    params: list[np.ndarray], state: list[dict[str, np.ndarray]]) -> Any:
        dtype = params[0].dtype
        kernel_type = _core.OptimizerKernelF32 if dtype == np.float32 else _core.OptimizerKernelF64
        return kernel_type([self._make_hyper(g) for g in groups], _core_schedules(schedules, counters),
                           [len(g["params"]) for g in groups], counters, params, self._kernel_states(state),
                           self.n_threads or 0)

    def _bind(self) -> None:
        self._kernel = self._new_kernel(self._groups, self._schedules, self._group_counters, self.params, self.state)
        self._schedule_is_stateful = any(s.refresh_each_step for s in self._schedules)

    def _rebind_locked(self) -> None:
        """The kernel takes the current groups, schedules and state; call it under the kernel's lock."""
        self._kernel.rebind([self._make_hyper(g) for g in self._groups],
                            _core_schedules(self._schedules, self._group_counters),
                            self._group_counters, self.params, self._kernel_states(self.state))

    # --- the public API -------------------------------------------------------------
    def step(self, grads: Any = None, closure: Callable[[], tuple[Any, Any]] | None = None) -> Any:
        """Update every parameter in place from its gradient.

        ``grads``: a sequence with one gradient per parameter, in the parameters' order
        (groups one after the other), each of its parameter's shape. With one parameter,
        the gradient itself also works: an array, a number or a nested list (``g.tolist()``
        of any shape).

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
                for k, schedule in enumerate(self._schedules):
                    if schedule.refresh_each_step:
                        self._kernel.set_schedule(k, schedule.to_core(int(self._group_counters[k][0]) + 1))
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
    def _schedule(self) -> Any:
        """The first group's schedule (the only one unless groups were given)."""
        return self._schedules[0]

    @property
    def _counters(self) -> np.ndarray:
        """The first group's counters [step, NAdam's product of momentum factors]."""
        return self._group_counters[0]

    @property
    def lr(self) -> LearningRate:
        """The learning rate: a float, or the Schedule it was given. Settable between steps,
        checked as the constructor checks it; setting it sets every group's. With groups
        of different rates, read ``param_groups[k]["lr"]`` instead."""
        rates = [g["lr"] for g in self._groups]
        if any(r is not rates[0] and r != rates[0] for r in rates):
            raise ValueError("the parameter groups have different learning rates; read param_groups[k]['lr']")
        s = self._schedules[0]
        return s.lr if s.constant else s

    @lr.setter
    def lr(self, value: LearningRate) -> None:
        schedule = as_schedule(value)
        core = schedule.to_core(self.t + 1)  # checks a schedule's attributes before anything changes
        for k, group in enumerate(self._groups):
            self._kernel.set_schedule(k, core)
            group["lr"] = value
        self._schedules = [schedule] * len(self._groups)
        self._schedule_is_stateful = schedule.refresh_each_step

    @property
    def current_lr(self) -> float:
        """The rate the next step will use (the first group's)."""
        return self._schedules[0](self.t + 1)

    @property
    def t(self) -> int:
        """How many steps have been taken (by the first group's parameters)."""
        return int(self._group_counters[0][0])

    def core_buffers(self, index: int = 0, steps: int | None = None) -> tuple[Any, Any, np.ndarray, list[np.ndarray]]:
        """What a C++ training loop needs to step parameter ``index`` with this exact rule:
        ``(hyper, schedule, counters, state buffers)``. The arrays are this optimizer's own,
        so steps taken in C++ advance it exactly as :meth:`step` would (used by the estimators).
        ``steps``: how many steps the loop will take (a tabulated schedule is computed that far).
        """
        g = next(k for k, sl in enumerate(self._group_slices()) if sl.start <= index < sl.stop)
        empty = np.empty(0, dtype=self.params[index].dtype)
        states = [self.state[index].get(name, empty) for name in self._state_names]
        counters = self._group_counters[g]
        schedule = self._schedules[g].to_core(None if steps is None else int(counters[0]) + int(steps))
        return self._make_hyper(self._groups[g]), schedule, counters, states

    def state_dict(self) -> dict:
        """Everything needed to continue exactly where this optimizer is: a deep copy.

        With one group: ``"defaults"`` (its options), ``"lr"``, ``"step"``, ``"counters"``
        ([step, NAdam's product]) and ``"state"`` (one dict of arrays per parameter). With
        several, ``"lr"`` and ``"counters"`` give way to ``"param_groups"``: each group's
        options, rate, counters and parameter indices, as in torch; ``"defaults"`` are then
        the constructor's options and ``"step"`` the first group's count.
        """
        return self._state_dict(copy_arrays=True)

    def _state_dict(self, copy_arrays: bool) -> dict:
        """state_dict(); with copy_arrays=False its state arrays are this optimizer's own (for a
        load_state_dict that copies them in at once: no second copy of a large state)."""
        self._kernel.lock()  # a consistent snapshot, not one taken halfway through a step
        try:
            out = {
                "type": type(self).__name__,
                "defaults": copy.deepcopy(dict(self.defaults)),
                "step": self.t,
                "state": [{k: v.copy() if copy_arrays else v for k, v in slots.items()} for slots in self.state],
            }
            if len(self._groups) == 1:
                out["lr"], out["counters"] = copy.deepcopy(self.lr), self._counters.copy()
                return out
            out["param_groups"] = [
                {**{k: copy.deepcopy(v) for k, v in group.items() if k != "params"},
                 "params": list(range(sl.start, sl.stop)), "counters": counters.copy()}
                for group, sl, counters in zip(self._groups, self._group_slices(), self._group_counters)
            ]
            return out
        finally:
            self._kernel.unlock()

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()``; the bound parameter arrays are kept, the state is copied in.

        Everything is checked as the constructor checks it (hyperparameters, learning rates,
        counters, the shape, dtype and values of every state array) before anything is
        replaced: a state_dict that does not fit raises TypeError or ValueError naming the
        key, and leaves this optimizer exactly as it was. A state_dict without
        ``"param_groups"`` (one group) loads into an optimizer with one group.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict (from Optimizer.state_dict()), not {type(state_dict).__name__}")
        required = ("type", "defaults", "state") + (() if "param_groups" in state_dict else ("lr", "counters"))
        missing = [k for k in required if k not in state_dict]
        if missing:
            raise ValueError(f"state_dict lacks the key(s) {', '.join(map(repr, missing))}")
        if state_dict["type"] != type(self).__name__:
            raise ValueError(f"state_dict is for {state_dict['type']}, not {type(self).__name__}")
        # Checked again: the list is the caller's to change.
        params = _as_param_list(self.params)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, (list, tuple)):
            raise TypeError(f"state_dict['state'] must be a list of dicts, not {type(saved_state).__name__}")
        if len(saved_state) != len(params):
            raise ValueError(f"state_dict has state for {len(saved_state)} parameters; this optimizer has {len(params)}")
        defaults = self._probe(state_dict["defaults"], "state_dict['defaults']").defaults
        groups, schedules, counters = self._checked_groups(state_dict, defaults)
        state: list[dict[str, np.ndarray]] = []
        for group, sl in zip(groups, self._group_slices()):
            hyper = self._make_hyper(group)
            used = [n for j, n in enumerate(self._state_names) if _core.state_buffer_used(hyper, j)]
            state += _checked_state(saved_state, params, used, sl)
        # The same slots are copied into the arrays this optimizer already has, so that
        # references to its state (a training loop's, a caller's) stay valid.
        in_place = all(
            set(new) == set(cur) and all(_bindable(cur[n], p) for n in cur)
            for new, cur, p in zip(state, self.state, params)
        )
        self._kernel.lock()
        try:
            target_state = self.state if in_place else state
            target_counters = self._group_counters if in_place else counters
            hypers = [self._make_hyper(g) for g in groups]
            self._kernel.rebind(hypers, _core_schedules(schedules, counters), target_counters, params,
                                self._kernel_states(target_state))
            if in_place:
                for new, cur in zip(state, self.state):
                    for name, arr in new.items():
                        np.copyto(cur[name], arr)
                for new_c, cur_c in zip(counters, self._group_counters):
                    np.copyto(cur_c, new_c)
            self.params, self.state, self._group_counters = params, target_state, target_counters
            self.defaults = types.MappingProxyType(defaults)
            self._groups = [{**g, "params": params[sl]} for g, sl in zip(groups, self._group_slices())]
            self._schedules = schedules
            self._schedule_is_stateful = any(s.refresh_each_step for s in schedules)
        finally:
            self._kernel.unlock()

    def _continued_on(self, params: list[np.ndarray]) -> Optimizer:
        """A copy of this optimizer (options, rates, schedules, counters, state) that steps
        ``params``, arrays of the same shapes and dtype as its own: what
        ``load_state_dict(self.state_dict())`` gives a new optimizer of the same settings over
        ``params``, without checking again what this one's constructor and loads checked. The
        estimators' ``partial_fit`` continues this way on every call; the load checks each
        option by building probe optimizers, about 1 ms a call, more than a small epoch.

        The copy shares nothing with this optimizer: a call that fails leaves this one as it
        was (the estimators keep it as the model to fall back on). Its state arrays are
        checked as ``load_state_dict`` checks them; its options were checked when they were set."""
        new_params = _as_param_list(params)
        if [(p.shape, p.dtype) for p in new_params] != [(p.shape, p.dtype) for p in self.params]:
            raise ValueError("a continued optimizer needs parameters of the same shapes and dtype as its own")
        self._kernel.lock()  # a consistent snapshot, not one taken halfway through a step
        try:
            new = object.__new__(type(self))
            new.__dict__.update(self.__getstate__())
            options, new._schedules, new._default_lr = self._copied_settings()
            # The state and counters are checked as a load checks them (they are this one's
            # arrays, which a caller can reach and replace): fresh, C-contiguous, finite copies.
            new.state = []
            for group, sl in zip(self._groups, self._group_slices()):
                hyper = self._make_hyper(group)
                used = [n for j, n in enumerate(self._state_names) if _core.state_buffer_used(hyper, j)]
                new.state += _checked_state(self.state, new_params, used, sl)
            new._group_counters = [_checked_counters(c, None, "the optimizer's counters") for c in self._group_counters]
        finally:
            self._kernel.unlock()
        new.defaults = types.MappingProxyType(dict(self.defaults))
        new.params = new_params
        new._groups = [{**g, "params": new_params[sl]} for g, sl in zip(options, self._group_slices())]
        new._bind()
        return new

    def _copied_settings(self) -> tuple[list[dict], list[Any], Any]:
        """The groups' options (without their parameters), the schedules and the default rate,
        as one deep copy of the three gives them: together, so that a group's rate and its
        schedule stay one object where they are one here (a stateful schedule's state is
        shared). When every option and the default rate are plain immutable values and each
        schedule's state is too (a float lr's ConstantLR), the copy is made directly: each
        schedule once (a schedule shared by groups stays shared), its state dict copied as
        deepcopy's reconstruction does (__getstate__, then __setstate__ on a new object). That
        is 23 us of deepcopy's dispatch less on every partial_fit call (session 13)."""
        options = [{k: v for k, v in g.items() if k != "params"} for g in self._groups]
        plain = type(self._default_lr) in PLAIN_TYPES and all(
            type(v) in PLAIN_TYPES for group in options for v in group.values())
        copies: dict[int, Any] = {}
        for schedule in self._schedules if plain else ():
            kind = type(schedule)
            state = schedule.__getstate__()
            if (kind.__getstate__ is not Schedule.__getstate__ or kind.__setstate__ is not Schedule.__setstate__
                    or kind.__new__ is not object.__new__ or hasattr(kind, "__deepcopy__")
                    or not all(type(v) in PLAIN_TYPES for v in state.values())):
                plain = False
                break
            if id(schedule) not in copies:
                twin = object.__new__(kind)
                twin.__setstate__(dict(state))
                copies[id(schedule)] = twin
        if not plain:
            return copy.deepcopy((options, self._schedules, self._default_lr))
        return options, [copies[id(schedule)] for schedule in self._schedules], self._default_lr

    def _checked_groups(self, state_dict: Mapping, defaults: dict) -> tuple[list[dict], list[Any], list[np.ndarray]]:
        """The saved groups (options, schedules, counters), checked against this optimizer's groups."""
        saved = state_dict.get("param_groups")
        if saved is None:  # one group: the top-level keys say it all
            if len(self._groups) != 1:
                raise ValueError(f"state_dict has one parameter group; this optimizer has {len(self._groups)}")
            saved = [{**defaults, "lr": state_dict["lr"], "counters": state_dict["counters"],
                      "params": list(range(len(self.params)))}]
            counters = [_checked_counters(state_dict["counters"], state_dict.get("step"), "state_dict['counters']")]
        else:
            if not isinstance(saved, (list, tuple)) or not all(isinstance(g, Mapping) for g in saved):
                raise TypeError("state_dict['param_groups'] must be a list of dicts")
            if len(saved) != len(self._groups):
                raise ValueError(f"state_dict has {len(saved)} parameter groups; this optimizer has {len(self._groups)}")
            counters = []
            for k, (g, sl) in enumerate(zip(saved, self._group_slices())):
                if list(g.get("params", ())) != list(range(sl.start, sl.stop)):
                    raise ValueError(f"state_dict['param_groups'][{k}] holds parameters {g.get('params')!r}, "
                                     f"not {list(range(sl.start, sl.stop))}")
                if "counters" not in g or "lr" not in g:
                    raise ValueError(f"state_dict['param_groups'][{k}] lacks 'counters' or 'lr'")
                counters.append(_checked_counters(g["counters"], state_dict.get("step") if k == 0 else None,
                                                  f"state_dict['param_groups'][{k}]['counters']"))
        groups, schedules = [], []
        for k, g in enumerate(saved):
            where = "state_dict['defaults']" if "param_groups" not in state_dict else f"state_dict['param_groups'][{k}]"
            extra = sorted(set(g) - {"params", "lr", "counters", *defaults})
            if extra:
                raise ValueError(f"{where} has unknown key(s) {extra}")
            options = self._probe({key: g[key] for key in defaults if key in g}, where).defaults
            schedule = as_schedule(copy.deepcopy(g["lr"]))
            schedule.to_core()
            groups.append({"params": [], "lr": copy.deepcopy(g["lr"]), **options})
            schedules.append(schedule)
        return groups, schedules, counters

    def _probe(self, defaults: Any, where: str) -> Optimizer:
        """An optimizer of this type built from ``defaults`` by the constructor, which checks them."""
        if not isinstance(defaults, Mapping):
            raise TypeError(f"{where} must be a dict, not {type(defaults).__name__}")
        expected = set(self.defaults)
        unknown, absent = sorted(set(defaults) - expected), sorted(expected - set(defaults))
        if unknown or absent:
            raise ValueError(
                f"{where} does not fit {type(self).__name__}: "
                + "; ".join(filter(None, [unknown and f"unknown key(s) {unknown}", absent and f"missing key(s) {absent}"]))
            )
        accepted = inspect.signature(type(self)).parameters
        # Keys the constructor fixes (AdamW's decoupled_weight_decay) must keep their value.
        for key in expected - set(accepted):
            if defaults[key] != self.defaults[key]:
                raise ValueError(f"{where}[{key!r}] must be {self.defaults[key]!r} for "
                                 f"{type(self).__name__}, not {defaults[key]!r}")
        kwargs = {k: v for k, v in defaults.items() if k in accepted}
        point = np.zeros(1, dtype=self.params[0].dtype if hasattr(self, "params") else np.float64)
        try:
            return type(self)(point, **kwargs)
        except (TypeError, ValueError) as exc:
            # Name the key: the first that fails on its own, else the combination.
            for key, value in kwargs.items():
                try:
                    type(self)(point, **{key: value})
                except (TypeError, ValueError) as own:
                    raise type(exc)(f"{where}[{key!r}] = {value!r} is invalid: {own}") from None
            raise type(exc)(f"{where} is invalid: {exc}") from None

    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        del d["_kernel"]
        d["defaults"] = dict(self.defaults)
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self.defaults = types.MappingProxyType(dict(d["defaults"]))
        # Arrays can come back read-only (joblib loads large ones as read-only memory maps) or
        # at odd byte offsets (Dask workers deserialize from network frames); these fresh arrays
        # belong to no one else yet, so aligned, writeable copies take their place.
        self.params = [_writeable(p) for p in self.params]
        slices = self._group_slices()
        self._groups = [{**g, "params": self.params[sl]} for g, sl in zip(self._groups, slices)]
        self.state = [{k: _writeable(a) for k, a in slots.items()} for slots in self.state]
        self._group_counters = [_writeable(c) for c in self._group_counters]
        self._bind()

    def __repr__(self) -> str:
        shapes = ", ".join(str(p.shape) for p in self.params)
        args = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        rate = self._groups[0]["lr"] if len(self._groups) > 1 else self.lr
        groups = f", groups={len(self._groups)}" if len(self._groups) > 1 else ""
        return f"{type(self).__name__}([{shapes}], lr={rate!r}, {args}{groups})"
