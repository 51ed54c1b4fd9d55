# Type stubs for the compiled core (src/cpp/bindings). Private: use pygdx.optim and
# pygdx.schedules. tests/test_core_stubs.py checks that these names match the module.
from typing import ClassVar, Sequence, SupportsIndex, SupportsInt, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Int = Union[SupportsInt, SupportsIndex]

class Rule:
    sgd: ClassVar[Rule]
    adagrad: ClassVar[Rule]
    rmsprop: ClassVar[Rule]
    adadelta: ClassVar[Rule]
    adam: ClassVar[Rule]
    adamw: ClassVar[Rule]
    adamax: ClassVar[Rule]
    nadam: ClassVar[Rule]
    radam: ClassVar[Rule]
    __members__: ClassVar[dict[str, Rule]]
    def __init__(self, value: _Int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...

class Hyper:
    rule: Rule
    weight_decay: float
    maximize: bool
    decoupled_weight_decay: bool
    momentum: float
    dampening: float
    nesterov: bool
    lr_decay: float
    alpha: float
    centered: bool
    rho: float
    beta1: float
    beta2: float
    amsgrad: bool
    momentum_decay: float
    eps: float
    def __init__(self) -> None: ...

class ScheduleKind:
    constant: ClassVar[ScheduleKind]
    step: ClassVar[ScheduleKind]
    exponential: ClassVar[ScheduleKind]
    inverse_time: ClassVar[ScheduleKind]
    cosine: ClassVar[ScheduleKind]
    plateau: ClassVar[ScheduleKind]
    optimal: ClassVar[ScheduleKind]
    __members__: ClassVar[dict[str, ScheduleKind]]
    def __init__(self, value: _Int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...

class Schedule:
    kind: ScheduleKind
    lr: float
    gamma: float
    step_size: int
    power_t: float
    t_max: int
    eta_min: float
    warmup: int
    alpha: float
    t0: float
    scale: float
    def __init__(self) -> None: ...

def schedule_lr(schedule: Schedule, t: _Int) -> float: ...
def state_buffer_count(hyper: Hyper) -> int: ...
def state_buffer_used(hyper: Hyper, slot: _Int) -> bool: ...

class OptimizerKernelF32:
    hyper: Hyper
    schedule: Schedule
    n_threads: int
    def __init__(
        self,
        hyper: Hyper,
        schedule: Schedule,
        params: list[npt.NDArray[np.float32]],
        states: list[list[npt.NDArray[np.float32]]],
        counters: npt.NDArray[np.float64],
        n_threads: _Int = 0,
    ) -> None: ...
    def step(self, grads: Union[npt.ArrayLike, Sequence[npt.ArrayLike]]) -> None: ...

class OptimizerKernelF64:
    hyper: Hyper
    schedule: Schedule
    n_threads: int
    def __init__(
        self,
        hyper: Hyper,
        schedule: Schedule,
        params: list[npt.NDArray[np.float64]],
        states: list[list[npt.NDArray[np.float64]]],
        counters: npt.NDArray[np.float64],
        n_threads: _Int = 0,
    ) -> None: ...
    def step(self, grads: Union[npt.ArrayLike, Sequence[npt.ArrayLike]]) -> None: ...
