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

from typing import Any

from ._base import Optimizer, ParamGroup
from ._checks import Params
from ._rules import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, RMSprop


__all__ = [
    "Optimizer",
    "ParamGroup",
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


# The classes live in private modules; they are pygdx.optim.X to users, reprs and pickles.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
