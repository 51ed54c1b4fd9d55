"""Checks of the optimizers' inputs: parameter lists, hyperparameters, saved state."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence, Union

import numpy as np

from .._numbers import as_real_array, real_number


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
    """``a`` itself when the core can update it in place, else an aligned, writeable copy."""
    usable = a.flags.writeable and a.flags.c_contiguous and a.flags.aligned
    return a if usable else np.array(a, order="C")


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


def _core_schedules(schedules: list[Any], counters: list[np.ndarray]) -> list[Any]:
    """Each group's core schedule record, computed (where tabulated) through its next step."""
    return [s.to_core(int(c[0]) + 1) for s, c in zip(schedules, counters)]


def _fresh_counters() -> np.ndarray:
    return np.array([0.0, 1.0])


def _bindable(arr: Any, param: np.ndarray) -> bool:
    """Whether ``arr`` can still serve as a state buffer of ``param`` (the caller may have replaced it)."""
    return (isinstance(arr, np.ndarray) and arr.dtype == param.dtype and arr.shape == param.shape
            and arr.flags.c_contiguous and arr.flags.aligned and arr.flags.writeable)


# State that is a sum or average of squares (or a running maximum of one): never negative.
_NONNEGATIVE_STATE = frozenset({"sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq", "acc_delta", "exp_inf"})


def _checked_state(saved: Any, params: list[np.ndarray], used: list[str], group: slice) -> list[dict[str, np.ndarray]]:
    """Fresh C-contiguous copies of the saved state arrays of the parameters in ``group``, each checked."""
    new_state = []
    for k in range(group.start, group.stop):
        p, slots = params[k], saved[k]
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


def _checked_counters(saved: Any, step_given: Any, where: str) -> np.ndarray:
    """[step, NAdam's product of momentum factors]: an integral step count in [0, 2**53]
    (doubles count exactly up to there) and a product in [0, 1]; ``step_given``, when not
    None, must agree with the step count."""
    counters = as_real_array(saved, where, copy=True)
    step, product = (counters.tolist() + [math.nan, math.nan])[:2] if counters.ndim == 1 else (math.nan, math.nan)
    if counters.shape != (2,) or not (0 <= step <= 2**53 and step == int(step)) or not 0.0 <= product <= 1.0:
        raise ValueError(
            f"{where} must be [step, mu_product] with step an integer in [0, 2**53] and "
            f"mu_product in [0, 1], got {saved!r}"
        )
    if step_given is not None and real_number("state_dict['step']", step_given) != step:
        raise ValueError(f"state_dict['step'] = {step_given!r} disagrees with its counters ({step:g})")
    return counters
