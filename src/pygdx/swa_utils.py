"""Weight averaging for NumPy parameters, with torch.optim.swa_utils' names and semantics:
stochastic weight averaging (SWA, an equal-weight running mean) and exponential moving
averages (EMA) of the parameters a training loop updates.

torch averages a Module; here the "model" is the list of parameter arrays (or one array)
that a :mod:`pygdx.optim` optimizer updates. :class:`AveragedModel` keeps its own copies
(``averaged.params``) and ``update_parameters(params)`` folds the current values in:

>>> import numpy as np, pygdx
>>> w = np.zeros(3)
>>> opt = pygdx.optim.SGD(w, lr=0.1)
>>> ema = pygdx.swa_utils.AveragedModel(w, multi_avg_fn=pygdx.swa_utils.get_ema_multi_avg_fn(0.9))
>>> for _ in range(5):
...     opt.step(np.ones(3))
...     ema.update_parameters(w)
>>> ema.n_averaged, round(float(ema.params[0][0]), 6)
(5, -0.19049)

The first update copies the parameters; each later one applies ``multi_avg_fn(averaged,
current, n_averaged)`` (in place, on the lists) or ``avg_fn(averaged, current, n_averaged)``
(returning the new average, per array); with neither, the SWA mean ``averaged +
(current - averaged) / (n_averaged + 1)``. The EMA and SWA functions use torch's lerp, so
the numbers are torch's in float32 and float64. The SWA learning rate is
:class:`pygdx.schedules.SWALR`. ``update_bn`` has nothing to do without batch norm layers
and is not provided. The estimators average inside ``fit`` with ``average=`` (the mean) and
``ema_decay=`` (the EMA), in the core.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, Union

import numpy as np

__all__ = ["AveragedModel", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]

Params = Union[np.ndarray, Iterable[np.ndarray]]


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start += weight * (end - start) in place, computed as torch's lerp kernel does (from
    the nearer end, so weight 1 gives end exactly), in start's dtype."""
    w = start.dtype.type(weight)
    diff = end.astype(start.dtype, copy=False) - start
    if abs(w) < 0.5:
        start += w * diff
    else:
        np.subtract(end, diff * (start.dtype.type(1) - w), out=start, casting="unsafe")


def _check_decay(decay: Any) -> float:
    if isinstance(decay, bool) or not isinstance(decay, numbers.Real) or not 0.0 <= float(decay) <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")
    return float(decay)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[list, list, int], None]:
    """EMA over lists of arrays: ``ema = decay * ema + (1 - decay) * current`` (torch's lerp)."""
    decay = _check_decay(decay)

    def ema_update(ema_params: list[np.ndarray], current_params: list[np.ndarray], num_averaged: int) -> None:
        for averaged, current in zip(ema_params, current_params):
            _lerp_(averaged, current, 1.0 - decay)

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[list, list, int], None]:
    """The equal-weight running mean over lists of arrays (torch's lerp by 1 / (n + 1),
    that weight rounded to float32 as torch's is)."""

    def swa_update(averaged_params: list[np.ndarray], current_params: list[np.ndarray], num_averaged: int) -> None:
        # torch's count is an integer tensor, so its 1 / (n + 1) is a float32 number
        weight = float(np.float32(1.0) / np.float32(num_averaged + 1))
        for averaged, current in zip(averaged_params, current_params):
            _lerp_(averaged, current, weight)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
    """EMA of one array: returns ``decay * ema + (1 - decay) * current``."""
    decay = _check_decay(decay)

    def ema_update(ema_param: np.ndarray, current_param: np.ndarray, num_averaged: int) -> np.ndarray:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
    """The running mean of one array: returns ``averaged + (current - averaged) / (n + 1)``."""

    def swa_update(averaged_param: np.ndarray, current_param: np.ndarray, num_averaged: int) -> np.ndarray:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _as_arrays(params: Params) -> list[np.ndarray]:
    items = [params] if isinstance(params, np.ndarray) else list(params)
    for i, p in enumerate(items):
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            what = f"dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
            raise TypeError(f"parameter {i} is {what}; pass floating NumPy arrays")
    return items


class AveragedModel:
    """A running average (SWA by default, EMA with :func:`get_ema_multi_avg_fn`) of parameters.

    ``params``: the arrays to average (an array or a list); the average starts as copies of
    them and is first set by ``update_parameters``. ``avg_fn`` / ``multi_avg_fn``: as in
    torch (at most one of them). ``params`` (attribute): the averaged arrays, of the same
    shapes and dtypes; ``n_averaged``: how many updates went in.
    """

    def __init__(self, params: Params, avg_fn: Callable | None = None, multi_avg_fn: Callable | None = None) -> None:
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("give avg_fn or multi_avg_fn, not both")
        for name, fn in (("avg_fn", avg_fn), ("multi_avg_fn", multi_avg_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be a function, not {type(fn).__name__}")
        self.params = [np.array(p, order="C", copy=True) for p in _as_arrays(params)]
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.n_averaged = 0

    def update_parameters(self, params: Params) -> None:
        """Fold the current values of ``params`` into the average."""
        current = _as_arrays(params)
        if len(current) != len(self.params):
            raise ValueError(f"got {len(current)} parameters; this average has {len(self.params)}")
        for i, (averaged, p) in enumerate(zip(self.params, current)):
            if p.shape != averaged.shape:
                raise ValueError(f"parameter {i} has shape {p.shape}, the average {averaged.shape}")
        if self.n_averaged == 0:
            for averaged, p in zip(self.params, current):
                np.copyto(averaged, p, casting="same_kind")
        elif self.avg_fn is not None:
            new = [np.asarray(self.avg_fn(averaged, p, self.n_averaged)) for averaged, p in zip(self.params, current)]
            for averaged, value in zip(self.params, new):
                np.copyto(averaged, value, casting="same_kind")
        elif self.multi_avg_fn is not None:
            self.multi_avg_fn(self.params, current, self.n_averaged)
        else:
            swa = get_swa_avg_fn()
            for averaged, p in zip(self.params, current):
                np.copyto(averaged, swa(averaged, p, self.n_averaged), casting="same_kind")
        self.n_averaged += 1

    def state_dict(self) -> dict:
        """The averaged arrays and the count, copied."""
        return {"params": [p.copy() for p in self.params], "n_averaged": self.n_averaged}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()``; checked whole before anything changes."""
        params, n = state_dict["params"], state_dict["n_averaged"]
        if len(params) != len(self.params) or any(np.shape(a) != b.shape for a, b in zip(params, self.params)):
            raise ValueError("state_dict does not match this average's parameters")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"state_dict n_averaged must be an integer >= 0, got {n!r}")
        for mine, theirs in zip(self.params, params):
            np.copyto(mine, theirs, casting="same_kind")
        self.n_averaged = int(n)

    def __repr__(self) -> str:
        fn = self.multi_avg_fn or self.avg_fn
        how = "SWA mean" if fn is None else getattr(fn, "__qualname__", repr(fn))
        return f"AveragedModel({len(self.params)} arrays, n_averaged={self.n_averaged}, {how})"


