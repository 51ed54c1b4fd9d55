# Type stubs for the compiled core (src/cpp/bindings). Private: use pygdx.optim,
# pygdx.schedules and the estimators. tests/test_core_stubs.py checks that these names
# match the module.
from typing import Any, Callable, ClassVar, Generic, Sequence, SupportsIndex, SupportsInt, TypeVar, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Int = Union[SupportsInt, SupportsIndex]

# What every pybind11 enum has (a stub-only base: the runtime classes do not share one).
class _PybindEnum:
    __members__: ClassVar[dict[str, Any]]
    def __init__(self, value: _Int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...

class Rule(_PybindEnum):
    sgd: ClassVar[Rule]
    adagrad: ClassVar[Rule]
    rmsprop: ClassVar[Rule]
    adadelta: ClassVar[Rule]
    adam: ClassVar[Rule]
    adamw: ClassVar[Rule]
    adamax: ClassVar[Rule]
    nadam: ClassVar[Rule]
    radam: ClassVar[Rule]

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

class ScheduleKind(_PybindEnum):
    constant: ClassVar[ScheduleKind]
    step: ClassVar[ScheduleKind]
    exponential: ClassVar[ScheduleKind]
    inverse_time: ClassVar[ScheduleKind]
    cosine: ClassVar[ScheduleKind]
    plateau: ClassVar[ScheduleKind]
    optimal: ClassVar[ScheduleKind]
    multistep: ClassVar[ScheduleKind]
    constant_factor: ClassVar[ScheduleKind]
    linear: ClassVar[ScheduleKind]
    polynomial: ClassVar[ScheduleKind]
    warm_restarts: ClassVar[ScheduleKind]
    cyclic: ClassVar[ScheduleKind]
    one_cycle: ClassVar[ScheduleKind]
    swa: ClassVar[ScheduleKind]
    table: ClassVar[ScheduleKind]

class CycleMode(_PybindEnum):
    triangular: ClassVar[CycleMode]
    triangular2: ClassVar[CycleMode]
    exp_range: ClassVar[CycleMode]

class Anneal(_PybindEnum):
    cos: ClassVar[Anneal]
    linear: ClassVar[Anneal]

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
    milestones: list[int]
    factor: float
    start_factor: float
    end_factor: float
    total_iters: int
    power: float
    t_0: int
    t_mult: int
    max_lr: float
    step_size_up: float
    step_size_down: float
    cycle_mode: CycleMode
    total_steps: int
    pct_start: float
    div_factor: float
    final_div_factor: float
    three_phase: bool
    anneal: Anneal
    swa_lr: float
    anneal_epochs: int
    table: npt.NDArray[np.float64]
    patience: int
    threshold: float
    threshold_absolute: bool
    maximize: bool
    cooldown: int
    min_lr: float
    eps: float
    best: float
    num_bad_epochs: int
    cooldown_counter: int
    def __init__(self) -> None: ...

def schedule_lr(schedule: Schedule, t: _Int) -> float: ...
def schedule_steps_defined(schedule: Schedule) -> int: ...
def schedule_lrs(schedule: Schedule, first: _Int, count: _Int) -> npt.NDArray[np.float64]: ...
def plateau_observe(schedule: Schedule, value: float) -> bool: ...
def state_buffer_count(hyper: Hyper) -> int: ...
def state_buffer_used(hyper: Hyper, slot: _Int) -> bool: ...

# One optimizer's parameters and state, bound once; step() updates them in place. The
# two classes differ only in the dtype they accept (a stub-only generic base).
_Float = TypeVar("_Float", np.float32, np.float64)

class _OptimizerKernel(Generic[_Float]):
    n_threads: int
    # One entry per parameter group in hypers, schedules, group_sizes and counters; the
    # groups' parameters (and their state buffers) one after the other in params and states.
    def __init__(
        self,
        hypers: list[Hyper],
        schedules: list[Schedule],
        group_sizes: list[_Int],
        counters: list[npt.NDArray[np.float64]],
        params: list[npt.NDArray[_Float]],
        states: list[list[npt.NDArray[_Float]]],
        n_threads: _Int = 0,
    ) -> None: ...
    def step(self, grads: Union[npt.ArrayLike, Sequence[npt.ArrayLike]]) -> None: ...
    def set_schedule(self, group: _Int, schedule: Schedule) -> None: ...
    # Between lock() and unlock() (same thread) no step runs; rebind only there.
    def rebind(
        self,
        hypers: list[Hyper],
        schedules: list[Schedule],
        counters: list[npt.NDArray[np.float64]],
        params: list[npt.NDArray[_Float]],
        states: list[list[npt.NDArray[_Float]]],
    ) -> None: ...
    def lock(self) -> None: ...
    def unlock(self) -> None: ...

class OptimizerKernelF32(_OptimizerKernel[np.float32]): ...
class OptimizerKernelF64(_OptimizerKernel[np.float64]): ...

# --- linear models (src/cpp/bindings/linear.cpp) -------------------------------------

class LossKind(_PybindEnum):
    squared_error: ClassVar[LossKind]
    huber: ClassVar[LossKind]
    epsilon_insensitive: ClassVar[LossKind]
    log_loss: ClassVar[LossKind]
    hinge: ClassVar[LossKind]
    modified_huber: ClassVar[LossKind]
    multinomial: ClassVar[LossKind]
    squared_hinge: ClassVar[LossKind]
    perceptron: ClassVar[LossKind]
    squared_epsilon_insensitive: ClassVar[LossKind]

class PenaltyKind(_PybindEnum):
    none: ClassVar[PenaltyKind]
    l2: ClassVar[PenaltyKind]
    l1: ClassVar[PenaltyKind]
    elasticnet: ClassVar[PenaltyKind]

class LinearProblem:
    def __init__(
        self,
        loss: LossKind,
        n_features: _Int,
        n_outputs: _Int = 1,
        fit_intercept: bool = True,
        epsilon: float = 0.1,
        penalty: PenaltyKind = ...,
        alpha: float = 0.0,
        l1_ratio: float = 0.15,
    ) -> None: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def n_params(self) -> int: ...

def linear_loss_grad(
    problem: LinearProblem,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    theta: npt.NDArray[np.floating],
    rows: npt.ArrayLike | None = None,
    n_threads: _Int = 0,
) -> tuple[float, npt.NDArray[np.floating]]: ...
def linear_decision(
    problem: LinearProblem,
    X: npt.ArrayLike,
    theta: npt.NDArray[np.floating],
    rows: npt.ArrayLike | None = None,
    n_threads: _Int = 0,
) -> npt.NDArray[np.floating]: ...
def linear_epoch(
    problem: LinearProblem,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    order: npt.NDArray[np.int64],
    batch_size: int | None,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
    n_threads: _Int = 0,
    shuffle_seed: int | None = None,
) -> tuple[float, int, bool]: ...
def linear_epoch_path(problem: LinearProblem, batch_size: _Int, hyper: Hyper) -> str: ...
def gathers_rows_ahead(n_rows: _Int, n_features: _Int, itemsize: _Int, n_threads: _Int) -> bool: ...
def shuffle_rows(order: npt.NDArray[np.int64], seed: _Int) -> None: ...
def averaged_epoch(
    problem: LinearProblem,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    order: npt.NDArray[np.int64],
    batch_size: int | None,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
    average: npt.NDArray[np.floating],
    start: float,
    n_threads: _Int = 0,
    shuffle_seed: int | None = None,
    ema_decay: float | None = None,
) -> tuple[float, int, bool]: ...
def clipped_epoch(
    problem: LinearProblem,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    order: npt.NDArray[np.int64],
    batch_size: int | None,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
    max_norm: float,
    max_value: float,
    average: npt.NDArray[np.floating] | None = None,
    start: float = 0.0,
    n_threads: _Int = 0,
    shuffle_seed: int | None = None,
    ema_decay: float | None = None,
) -> tuple[float, int, bool]: ...

# --- the machine's floors (bindings/floors.cpp): (best seconds, sum of dot products, threads)
default_prefetch_rows: int
def streaming_floor(
    X: npt.NDArray[np.floating], w: npt.NDArray[np.floating], n_threads: _Int = 0, repeat: _Int = 5
) -> tuple[float, float, int]: ...
def shuffled_floor(
    X: npt.NDArray[np.floating],
    w: npt.NDArray[np.floating],
    n_threads: _Int = 0,
    repeat: _Int = 5,
    seed: _Int = 0,
    prefetch_rows: _Int = ...,
) -> tuple[float, float, int]: ...
def shuffled_csr_floor(
    data: npt.NDArray[np.floating],
    indices: npt.NDArray[np.integer],
    indptr: npt.NDArray[np.integer],
    w: npt.NDArray[np.floating],
    n_threads: _Int = 0,
    repeat: _Int = 5,
    seed: _Int = 0,
    prefetch_rows: _Int = ...,
) -> tuple[float, float, int]: ...
class StoppingRule:
    def __init__(
        self,
        tol: float | None,
        n_iter_no_change: _Int = 5,
        stop_at_convergence: bool = True,
        divergence_factor: float = 10.0,
        divergence_epochs: _Int = 3,
        divergence_on_data_loss_of: LinearProblem | None = None,
    ) -> None: ...

class TrainOutcome(_PybindEnum):
    epochs_done: ClassVar[TrainOutcome]
    converged: ClassVar[TrainOutcome]
    non_finite: ClassVar[TrainOutcome]
    diverged: ClassVar[TrainOutcome]
    interrupted: ClassVar[TrainOutcome]

class DenseSource:
    def __init__(
        self,
        problem: LinearProblem,
        X: npt.NDArray[np.floating],
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None,
        order: npt.NDArray[np.int64] | None,
        batch_size: int | None,
        n_threads: _Int = 1,
        own_order: bool = False,
    ) -> None: ...
    @property
    def order(self) -> npt.NDArray[np.int64] | None: ...

class ValidationCriterion(_PybindEnum):
    r2: ClassVar[ValidationCriterion]
    accuracy: ClassVar[ValidationCriterion]

class HeldOutRows:
    def score(self, theta: npt.NDArray[np.floating]) -> float: ...

class DenseHeldOut(HeldOutRows):
    def __init__(
        self,
        problem: LinearProblem,
        X: npt.NDArray[np.floating],
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None,
        rows: npt.NDArray[np.int64],
        criterion: ValidationCriterion,
        n_threads: _Int = 1,
    ) -> None: ...

class CsrHeldOut(HeldOutRows):
    def __init__(
        self,
        problem: LinearProblem,
        data: npt.NDArray[np.floating],
        indices: npt.NDArray[np.integer],
        indptr: npt.NDArray[np.integer],
        n_rows: _Int,
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None,
        rows: npt.NDArray[np.int64],
        criterion: ValidationCriterion,
        n_threads: _Int = 1,
    ) -> None: ...

def proximal_l1(
    problem: LinearProblem,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
) -> None: ...

class CsrSource:
    def __init__(
        self,
        problem: LinearProblem,
        data: npt.NDArray[np.floating],
        indices: npt.NDArray[np.integer],
        indptr: npt.NDArray[np.integer],
        n_rows: _Int,
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None,
        order: npt.NDArray[np.int64],
        batch_size: int | None,
        n_threads: _Int = 1,
        lazy: bool = True,
        intercept_decay: float = 1.0,
    ) -> None: ...

def csr_decision(
    problem: LinearProblem,
    data: npt.NDArray[np.floating],
    indices: npt.NDArray[np.integer],
    indptr: npt.NDArray[np.integer],
    n_rows: _Int,
    theta: npt.NDArray[np.floating],
    rows: npt.ArrayLike | None = None,
    n_threads: _Int = 0,
) -> npt.NDArray[np.floating]: ...
def csr_loss_grad(
    problem: LinearProblem,
    data: npt.NDArray[np.floating],
    indices: npt.NDArray[np.integer],
    indptr: npt.NDArray[np.integer],
    n_rows: _Int,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    theta: npt.NDArray[np.floating],
    n_threads: _Int = 0,
) -> tuple[float, npt.NDArray[np.floating]]: ...
def csr_epoch(
    problem: LinearProblem,
    data: npt.NDArray[np.floating],
    indices: npt.NDArray[np.integer],
    indptr: npt.NDArray[np.integer],
    n_rows: _Int,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    order: npt.NDArray[np.int64],
    batch_size: int | None,
    lazy: bool,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
    n_threads: _Int = 0,
    shuffle_seed: int | None = None,
    intercept_decay: float = 1.0,
) -> tuple[float, int, bool]: ...
def sparse_gathers_rows_ahead(n_rows: _Int, stored_bytes: _Int, shuffled: bool, n_threads: _Int) -> bool: ...
def refuse_helper_thread_starts(refused: bool) -> int: ...
def stall_gathering_helper(stall_from: int | None, stall_until: int = 1) -> tuple[int, int, int]: ...

def csr_averaged_epoch(
    problem: LinearProblem,
    data: npt.NDArray[np.floating],
    indices: npt.NDArray[np.integer],
    indptr: npt.NDArray[np.integer],
    n_rows: _Int,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    order: npt.NDArray[np.int64],
    batch_size: int | None,
    lazy: bool,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
    average: npt.NDArray[np.floating],
    start: float,
    n_threads: _Int = 0,
    shuffle_seed: int | None = None,
    ema_decay: float | None = None,
    intercept_decay: float = 1.0,
) -> tuple[float, int, bool]: ...
def csr_clipped_epoch(
    problem: LinearProblem,
    data: npt.NDArray[np.floating],
    indices: npt.NDArray[np.integer],
    indptr: npt.NDArray[np.integer],
    n_rows: _Int,
    y: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    order: npt.NDArray[np.int64],
    batch_size: int | None,
    hyper: Hyper,
    schedule: Schedule,
    counters: npt.NDArray[np.float64],
    theta: npt.NDArray[np.floating],
    states: list[npt.NDArray[np.floating]],
    max_norm: float,
    max_value: float,
    average: npt.NDArray[np.floating] | None = None,
    start: float = 0.0,
    n_threads: _Int = 0,
    shuffle_seed: int | None = None,
    ema_decay: float | None = None,
    intercept_decay: float = 1.0,
) -> tuple[float, int, bool]: ...

class LinearTrainer:
    schedule: Schedule
    def __init__(
        self,
        problem: LinearProblem,
        hyper: Hyper,
        schedule: Schedule,
        counters: npt.NDArray[np.float64],
        theta: npt.NDArray[np.floating],
        states: list[npt.NDArray[np.floating]],
        rule: StoppingRule,
        first_loss: float = 0.0,
        lowest_loss: float = 0.0,
        epochs_before: _Int = 0,
    ) -> None: ...
    def run(
        self,
        source: DenseSource | CsrSource | Callable[[int | None], tuple[float, bool]],
        seeds: npt.NDArray[np.int64] | None,
        n_epochs: _Int,
        judge_by_loss: bool = True,
    ) -> tuple[int, int]: ...
    def keep_first_epoch_from(self, theta: npt.NDArray[np.floating], states: list[npt.NDArray[np.floating]]) -> None: ...
    def undo_also(self, buffer: npt.NDArray[np.floating]) -> None: ...
    def watch_validation(self, held_out: HeldOutRows | None) -> None: ...
    def judge(self, criterion: float, keep_best: bool = False) -> bool: ...
    def restore_best(self) -> None: ...
    def losses(self, start: _Int = 0) -> list[float]: ...
    def scores(self, start: _Int = 0) -> list[float]: ...
    @property
    def no_improvement(self) -> int: ...
    @property
    def divergence_record(self) -> tuple[float, float, float]: ...

# svmlight / libsvm text -> CSR arrays (bindings/svmlight.cpp); one class per value dtype.
class _SvmlightParser:
    def __init__(self, index_base: str = "auto", query_id: bool = False) -> None: ...
    def feed(self, chunk: Union[bytes, bytearray, memoryview]) -> None: ...
    def finish(self) -> dict[str, Any]: ...

class SvmlightParserF32(_SvmlightParser): ...
class SvmlightParserF64(_SvmlightParser): ...

max_svmlight_index: int
