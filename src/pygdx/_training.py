"""The training loop of the linear models, around the core's trainer (core/trainer.hpp).

:func:`train` takes a plain description of a fit (:class:`Plan`: the core problem, the
stopping rule, the batch size), the model being trained (:class:`FitState`: weights,
optimizer, curves, random generator) and a :class:`DataSource`, and runs the epochs in C++,
many per call, with the GIL released. Early stopping's validation score (on held-out rows
the source gives the core) and a reduce-on-plateau rate are stepped in the core too, so
it comes back to Python after every epoch only when Python must act there: a callback or
verbose output (``on_epoch``), or a validation score only Python can compute (a source
without core held-out rows). It never imports the estimators: they, :mod:`pygdx.outofcore`
and :mod:`pygdx.dask` call it.

Data sources: :class:`InMemory` (rows of one array, read by the core directly); chunked and
Dask data are sources whose epochs are Python functions (see :mod:`pygdx.outofcore`). A
source ``bind``\\ s to a fit and gives the trainer either a core source (``_core.DenseSource``,
or ``_core.CsrSource`` for sparse rows: :class:`pygdx._sparse.SparseInMemory`) or a function ``epoch(seed) ->
(mean loss, finite)`` that steps the optimizer itself.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Protocol

import numpy as np

from . import _core
from . import penalties as _penalties
from ._validation import check_finite
from .exceptions import TrainingDiverged
from .losses import Loss
from .optim import SGD

__all__ = ["Plan", "FitState", "DataSource", "InMemory", "train", "numpy_epoch"]

# Epochs per call into the core when Python has nothing to do between epochs: large enough
# that the call's cost vanishes (at 1,024 the Python around each call was 5-15% of a 16 x 3
# fit's epochs), small enough that the seeds drawn ahead stay small (128 KiB).
EPOCHS_PER_CALL = 16384

# Bit generators whose raw output is one uint64 (next_uint64): for them Generator.integers(0,
# 2**63) is each raw output shifted right by one (Lemire's bounded draw on a power-of-two
# range never rejects and keeps the top 63 bits), which random_raw gives at half the cost.
RAW_64_BIT_GENERATORS = (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64)

# A tabulated schedule (rates Python computed ahead) is filled for the steps of one call at a
# time: calls are cut to at most this many steps so that the table stays small.
TABLE_STEPS = 1 << 20

# Row weights above this, when training overflows, are the likely cause (not the learning rate).
HUGE_WEIGHT = 1e12


@dataclasses.dataclass
class Plan:
    """What is trained and how long: everything a fit fixes before its first epoch. Plain
    data (it pickles, so Dask can send it to workers): the core problem is built from
    ``problem_args`` (``_core.LinearProblem``'s arguments, kinds by name) where it is used."""

    problem_args: dict
    loss: Loss
    on_core: bool  # the loss has a core kind (else the NumPy epoch of custom losses)
    penalty: str | None
    alpha: float
    l1_ratio: float
    fit_intercept: bool
    batch_size: int | None
    n_threads: int
    max_epochs: int
    tol: float | None
    n_iter_no_change: int
    partial: bool  # partial_fit: one epoch, curves go on, never "converged"
    shuffle: bool
    owner: str  # the estimator's name, for messages
    lr_text: str  # the learning rate as the user gave it, for messages
    targets: Any = None  # encodes y and row weights for sources that read their own parts
    sparse_updates: str = "lazy"  # how steps on sparse rows treat untouched columns (pygdx._sparse)
    intercept_decay: float | str = 1.0  # the intercepts' gradient factor on sparse rows (intercept_decay_for)

    @property
    def problem(self) -> Any:
        return make_problem(self.problem_args)


# scikit-learn's SGD multiplies the intercept's steps by this on sparse X (SPARSE_INTERCEPT_DECAY).
SPARSE_INTERCEPT_DECAY = 0.01


def intercept_decay_for(plan: Plan, sparse: bool) -> float:
    """The factor of the intercepts' gradient in a fit on sparse (or dense) in-memory rows:
    ``intercept_decay`` as given, "auto" being scikit-learn's rule (0.01 on sparse X, 1 on
    dense X). Only sparse rows take a factor other than 1."""
    if plan.intercept_decay == "auto":
        return SPARSE_INTERCEPT_DECAY if sparse else 1.0
    decay = float(plan.intercept_decay)
    if decay != 1.0 and not sparse:
        raise ValueError(f"{plan.owner}: intercept_decay={plan.intercept_decay!r} applies to sparse X only (a SciPy "
                         "sparse matrix); for dense X use intercept_decay=1.0 or 'auto' (scikit-learn's rule: 0.01 "
                         "on sparse X, 1 on dense X)")
    return decay


def refuse_intercept_decay_on_chunks(owner: str, intercept_decay: float | str) -> None:
    """Chunked sources (pygdx.outofcore, pygdx.dask) train without an intercept decay."""
    if intercept_decay != 1.0:
        raise ValueError(f"{owner}: intercept_decay={intercept_decay!r} needs in-memory sparse X; set "
                         "intercept_decay=1.0 to train on chunks")


def make_problem(args: dict) -> Any:
    """``_core.LinearProblem`` from its arguments, with the loss and penalty kinds by name."""
    return _core.LinearProblem(**{**args, "loss": getattr(_core.LossKind, args["loss"]),
                                  "penalty": getattr(_core.PenaltyKind, args["penalty"])})


@dataclasses.dataclass
class FitState:
    """The model a fit trains: the estimator installs it before training and keeps it on success."""

    theta: np.ndarray
    optimizer: Any
    rng: np.random.Generator
    loss_curve: list
    validation_scores: list
    n_iter: int
    # (theta, state buffers) of the model this call continues, which the estimator keeps
    # unchanged until the call ends: the trainer undoes a failed first epoch from it rather
    # than from a copy of its own (core/epoch_undo.hpp). None: the trainer copies.
    start_model: tuple | None = None
    # (judged on the data loss?, first, lowest): the losses the divergence rule judged in
    # earlier calls (LinearTrainer.divergence_record), None before the first epoch.
    divergence_record: tuple | None = None


class DataSource(Protocol):
    """Where a fit's rows come from."""

    def bind(self, plan: Plan, optimizer: Any, problem: Any) -> Any:
        """A ``_core.DenseSource`` (the core reads the rows), or ``epoch(seed) -> (loss, finite)``
        stepping ``optimizer`` (whose parameter is the model's weights) itself."""

    def explain_non_finite(self) -> None:
        """Called when an epoch's loss was not finite: raise a ValueError naming bad input, if any."""

    def steps_per_epoch(self, plan: Plan) -> int | None:
        """Optimizer steps of one epoch of a core source (None: the epochs step in Python)."""

    def held_out(self, plan: Plan, problem: Any) -> Any:
        """Early stopping's held-out rows for the core to score (a ``_core.HeldOutRows``), or
        None: the fit then scores them in Python after every epoch. Asked only by fits with
        early stopping."""


def validation_criterion(plan: Plan) -> Any:
    """The estimators' early-stopping score, as scikit-learn's: a classifier's accuracy, a
    regressor's R²."""
    return _core.ValidationCriterion.r2 if plan.targets.classes is None else _core.ValidationCriterion.accuracy


class InMemory:
    """Rows of one in-memory array: X, encoded targets, row weights, the rows to train on (all
    of them, or early stopping's training part) and early stopping's held-out rows."""

    def __init__(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None,
                 rows: np.ndarray | None = None, held_out: np.ndarray | None = None) -> None:
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self._rows = rows  # None: every row, made into an index only when one is needed
        self.held_out_rows = held_out

    @property
    def rows(self) -> np.ndarray:
        if self._rows is None:
            self._rows = np.arange(self.X.shape[0], dtype=np.int64)
        return self._rows

    def bind(self, plan: Plan, optimizer: Any, problem: Any) -> Any:
        if not plan.on_core:
            return numpy_epoch(plan, optimizer, self.X, self.y, self.sample_weight, self.rows)
        if plan.batch_size is None and self._rows is None:
            # A full batch of every row is never shuffled: the core reads X in order, without
            # an index to make, check and read on every call (16 MB at 2,000,000 rows) and
            # with the hardware prefetcher alone (linear.hpp sum_rows_into).
            return _core.DenseSource(problem, self.X, self.y, self.sample_weight, None, None, plan.n_threads)
        n = len(self.X) if self._rows is None else len(self._rows)
        batch_size = None if plan.batch_size is None else min(int(plan.batch_size), n)
        if self._rows is None:
            # Every row: the core makes the index 0..n-1 itself (shuffled in place, epoch after
            # epoch) and need not check it, as it checks an index made here: at 200,000 rows
            # that check and np.arange were 0.2-0.4 ms of every partial_fit call.
            return _core.DenseSource(problem, self.X, self.y, self.sample_weight, None, batch_size, plan.n_threads,
                                     own_order=True)
        return _core.DenseSource(problem, self.X, self.y, self.sample_weight, self._rows, batch_size,
                                 plan.n_threads)

    def steps_per_epoch(self, plan: Plan) -> int | None:
        return 1 if plan.batch_size is None else -(-len(self.rows) // int(plan.batch_size))

    def held_out(self, plan: Plan, problem: Any) -> Any:
        criterion = validation_criterion(plan)
        if self.held_out_rows is None or (criterion == _core.ValidationCriterion.r2 and problem.n_outputs != 1):
            return None
        return _core.DenseHeldOut(problem, self.X, self.y, self.sample_weight, self.held_out_rows, criterion,
                                  plan.n_threads)

    def explain_non_finite(self) -> None:
        check_finite(self.X, "X")
        explain_huge_weights(self.sample_weight)


def explain_huge_weights(sample_weight: np.ndarray | None) -> None:
    """Raise a ValueError when row weights are large enough to explain an overflow."""
    if sample_weight is not None and sample_weight.max() > HUGE_WEIGHT:
        raise ValueError(
            f"sample_weight (times class_weight) reaches {float(sample_weight.max()):.3g}: the objective and "
            "its steps scale with the weights, and they overflowed; divide the weights by their mean")


def numpy_epoch(plan: Plan, optimizer: Any, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None,
                order: np.ndarray) -> Callable[[int | None], tuple[float, bool]]:
    """The epoch of a custom loss (one the core does not know), in NumPy: the same shuffling,
    batches and optimizer as the core's epoch, slower."""
    theta = optimizer.params[0]
    K, d = plan.problem_args["n_outputs"], plan.problem_args["n_features"]
    coef, intercept = theta[: K * d].reshape(K, d), theta[K * d:]
    n = len(order)
    bs = n if plan.batch_size is None else int(plan.batch_size)
    alpha = plan.alpha if plan.penalty is not None else 0.0
    smooth = _penalties.smooth_part(plan.penalty, alpha, plan.l1_ratio)
    l1_step = None
    if _penalties.has_l1(plan.penalty, alpha, plan.l1_ratio):
        l1 = alpha if plan.penalty == "l1" else alpha * plan.l1_ratio
        l1_step = _penalties.L1Step(plan.problem, optimizer, coef, l1, smooth[1], bs >= n)

    def epoch(seed: int | None) -> tuple[float, bool]:
        if seed is not None:
            _core.shuffle_rows(order, seed)
        data_loss = 0.0
        start_penalty = _penalties.value(coef, plan.penalty, alpha, plan.l1_ratio)
        for start in range(0, n, bs):
            rows = order[start: start + bs]
            y_rows = y[rows].astype(np.intp) if K > 1 and plan.loss.classification else y[rows]
            with np.errstate(all="ignore"):
                value, g_coef, g_intercept = data_loss_grad(
                    plan.loss, X[rows], y_rows, coef, intercept, None if sw is None else sw[rows], plan.fit_intercept)
            if not np.isfinite(value):
                return math.nan, False
            g_coef += _penalties.gradient(coef, *smooth)
            data_loss += value * len(rows)
            optimizer.step(np.concatenate([g_coef.ravel(), g_intercept]).astype(theta.dtype))
            if l1_step is not None:
                l1_step()
        return data_loss / n + start_penalty, bool(np.isfinite(theta).all())

    return epoch


def data_loss_grad(loss: Loss, X: np.ndarray, y: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                   sample_weight: np.ndarray | None, fit_intercept: bool) -> tuple[float, np.ndarray, np.ndarray]:
    """The mean weighted data loss of a batch (no penalty) and its gradients (value, d coef, d intercept)."""
    m = X.shape[0]
    z = X @ coef.T + intercept
    if z.shape[1] == 1:
        z = z[:, 0]
    dz = loss.derivative(y, z)
    values = loss.value(y, z)
    if sample_weight is not None:
        dz = dz * (sample_weight if z.ndim == 1 else sample_weight[:, None])
        values = values * sample_weight
    dz2 = dz.reshape(m, -1)
    grad_coef = dz2.T @ X / m
    grad_intercept = dz2.sum(axis=0) / m if fit_intercept else np.zeros_like(intercept)
    return float(values.sum()) / m, grad_coef, grad_intercept


def train(plan: Plan, state: FitState, source: DataSource, on_epoch: Callable[[int, float, Any], bool] | None = None,
          validation_score: Callable[[], float] | None = None) -> str:
    """Train ``state`` for up to plan.max_epochs epochs; returns how it ended: "converged",
    "stopped" (on_epoch returned True) or "max_iter". ``validation_score``: early stopping,
    scored in the core on the source's held-out rows, or by this function after each epoch
    when the source has none for the core. Raises TrainingDiverged (after asking the source
    about bad input) when an epoch's loss, weights or optimizer state is not finite or the
    loss diverges; KeyboardInterrupt after undoing the unfinished epoch, with ``state`` at
    its last completed epoch."""
    intercept_decay_for(plan, getattr(source, "sparse_rows", False))  # refuses a decay on dense rows
    optimizer = state.optimizer
    watched = optimizer.lr if hasattr(optimizer.lr, "observe") else None  # reduce-on-plateau, adaptive
    # An adaptive rate (AdaptiveLR) takes the place of the tol rule, with the fit's tol and
    # n_iter_no_change where it has none of its own; a fit starts it afresh, partial_fit goes on.
    owns_stopping = getattr(watched, "owns_stopping", False)
    if owns_stopping and not plan.partial:
        watched.reset(plan.tol, int(plan.n_iter_no_change))
    hyper, schedule, counters, buffers = optimizer.core_buffers()
    curve = state.loss_curve
    problem = plan.problem
    on_data_loss = judges_data_loss(optimizer, plan)
    rule = _core.StoppingRule(None if owns_stopping else plan.tol, int(plan.n_iter_no_change), not plan.partial,
                              divergence_epochs=divergence_epochs(optimizer, plan.partial),
                              divergence_on_data_loss_of=problem if on_data_loss else None)
    trainer = _core.LinearTrainer(problem, hyper, schedule, counters, state.theta, buffers, rule,
                                  *divergence_history(state, on_data_loss))
    if state.start_model is not None:
        trainer.keep_first_epoch_from(*state.start_model)
    for buffer in getattr(source, "in_step_with_weights", ()):  # undone and kept best with them
        trainer.undo_also(buffer)
    runner = source.bind(plan, optimizer, problem)
    held_out = source.held_out(plan, problem) if validation_score is not None else None
    trainer.watch_validation(held_out)
    python_judge = validation_score is not None and held_out is None
    # A rate that follows the epoch loss: a reduce-on-plateau record is stepped by the trainer
    # (its Python object follows after each call); another kind is fed by Python each epoch.
    plateau = watched if watched is not None and schedule.kind == _core.ScheduleKind.plateau else None
    python_observe = watched is not None and plateau is None
    each_epoch = on_epoch is not None or python_judge or python_observe
    tabulated = schedule.kind == _core.ScheduleKind.table
    steps_per_epoch = source.steps_per_epoch(plan) if tabulated else None
    recorded = 0
    epoch = 0
    while epoch < plan.max_epochs:
        n_epochs = 1 if each_epoch else min(plan.max_epochs - epoch, EPOCHS_PER_CALL)
        if steps_per_epoch:  # the table must hold every step of this call
            n_epochs = max(1, min(n_epochs, TABLE_STEPS // steps_per_epoch))
            trainer.schedule = optimizer.core_buffers(steps=n_epochs * steps_per_epoch)[1]
        seeds = None
        if plan.shuffle:
            rng_state = state.rng.bit_generator.state
            seeds = draw_seeds(state.rng, n_epochs)
        try:
            outcome, ran = trainer.run(runner, seeds, n_epochs, not python_judge)
        except KeyboardInterrupt:
            recorded = _record(trainer, state, recorded, plateau, on_data_loss)
            if seeds is not None:
                _rewind(state.rng, rng_state, recorded - epoch + 1, n_epochs)
            raise
        recorded = _record(trainer, state, recorded, plateau, on_data_loss)
        outcome = _core.TrainOutcome(outcome)
        if seeds is not None:
            _rewind(state.rng, rng_state, ran + (outcome == _core.TrainOutcome.non_finite), n_epochs)
        epoch += ran
        if outcome == _core.TrainOutcome.non_finite:
            source.explain_non_finite()
            raise TrainingDiverged(
                f"{plan.owner}: the loss, the weights or the optimizer's state became NaN or infinite during epoch "
                f"{state.n_iter + 1}; the learning rate ({plan.lr_text}) is probably too large or the features "
                "badly scaled: try a smaller lr or standardise X (e.g. sklearn's StandardScaler). The model was "
                "left as it was before this call.", state.n_iter + 1)
        if outcome == _core.TrainOutcome.diverged:
            _, lowest, last = trainer.divergence_record
            raise TrainingDiverged(
                f"{plan.owner}: training diverged: the {'data ' if on_data_loss else ''}loss grew from {lowest:.4g} to "
                f"{last:.4g} by epoch "
                f"{len(curve)}; the learning rate ({plan.lr_text}) is too large for this data: try a smaller lr (a "
                "tenth) or standardise X (e.g. sklearn's StandardScaler)", len(curve))
        converged = outcome == _core.TrainOutcome.converged
        if each_epoch:
            loss = curve[-1]
            score = None
            if python_judge:
                score = validation_score()
                state.validation_scores.append(score)
                converged = trainer.judge(-score, True)
            elif held_out is not None:
                score = state.validation_scores[-1]
            if python_observe:
                watched.observe(-score if owns_stopping and score is not None else loss)
                trainer.schedule = watched.to_core()
                converged = converged or (owns_stopping and watched.finished and not plan.partial)
            if on_epoch is not None and on_epoch(epoch, loss, score):
                trainer.restore_best()
                return "stopped"
        if converged:
            trainer.restore_best()
            return "converged"
    trainer.restore_best()
    return "max_iter"


def divergence_epochs(optimizer: Any, partial: bool) -> int:
    """How many epochs in a row a loss tenfold above its lowest must grow to be divergence.
    SGD's steps grow with the gradient, so a rate too large multiplies the loss epoch after
    epoch: three growing epochs say so. The other rules' steps are bounded by about lr
    (Adam's m / sqrt(v), ...): their loss can jump and fall back (a huge alpha makes the
    penalty's subgradient flip), and only a steady climb over ten epochs is a runaway.
    partial_fit runs one epoch per call, so there one epoch tenfold above suffices."""
    if partial:
        return 1
    return 3 if isinstance(optimizer, SGD) else 10


def judges_data_loss(optimizer: Any, plan: Plan) -> bool:
    """Whether divergence is judged on the data loss rather than the objective: plain SGD on
    a loss whose derivative is bounded (hinge, log, ...). A step there moves the weights by
    at most lr * |derivative| * |x|; at a huge alpha the clamped decay restarts them from zero
    at every step, so the objective swings with that one step's penalty (PEER.md F3 b: 1.5
    to 400 and back) while the data loss stays near its value at zero weights. A rate too
    large for the data still makes the data loss itself grow."""
    plain = isinstance(optimizer, SGD) and all(group["momentum"] == 0 for group in optimizer.param_groups)
    return plain and plan.on_core and plan.loss.bounded_derivative


def divergence_history(state: FitState, on_data_loss: bool) -> tuple[float, float, int]:
    """(first, lowest, epochs before) the divergence rule of a call starts from: the losses it
    judged in the earlier calls (partial_fit's curve goes on) when they are of the kind it
    judges now (the data loss, or the epoch loss: the curve's). A record of the other kind
    (the optimizer or loss changed between calls) would compare data losses with objectives,
    so the rule then starts afresh at this call's first epoch."""
    record, curve = state.divergence_record, state.loss_curve
    if record is not None and record[0] == on_data_loss:
        return record[1], record[2], len(curve)
    if curve and record is None and not on_data_loss:  # a model fitted before records were kept
        return curve[0], min(curve), len(curve)
    return 0.0, 0.0, 0


def _record(trainer: Any, state: FitState, recorded: int, plateau: Any, on_data_loss: bool) -> int:
    """Bring ``state`` (and a plateau schedule) up to the epochs the trainer has run."""
    new = trainer.losses(recorded)
    if new:
        state.divergence_record = (on_data_loss, *trainer.divergence_record[:2])
    state.loss_curve.extend(new)
    state.validation_scores.extend(trainer.scores(recorded))
    state.n_iter += len(new)
    if plateau is not None:
        plateau.follow(trainer.schedule)
    return recorded + len(new)


def draw_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` epochs' shuffling seeds: ``rng.integers(0, 2**63, size=n)``, the same numbers and
    the same generator state after, drawn faster where the bit generator allows."""
    bit_generator = rng.bit_generator
    if type(bit_generator) in RAW_64_BIT_GENERATORS:
        return (bit_generator.random_raw(n) >> np.uint64(1)).view(np.int64)
    return rng.integers(0, 2**63, size=n)


def _rewind(rng: np.random.Generator, saved: dict, used: int, drawn: int) -> None:
    """Leave ``rng`` as if only the ``used`` seeds had been drawn, one per epoch run."""
    if used < drawn:
        rng.bit_generator.state = saved
        if used > 0:
            draw_seeds(rng, used)
