"""A quick benchmark of the compiled core against plain NumPy (and torch / scikit-learn
when they are installed), for ``pygdx bench``.

Each case times the same work done by pygdx and by each baseline on the same data in the
same process, one after the other, and reports the ratio of their best times (the minimum
over repeats is the least disturbed by other work on a shared machine). The full suite,
with statistics, is ``pytest benchmarks/ --benchmark-enable``.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import _core

__all__ = [
    "Case", "Result", "Floor", "machine_info", "default_cases", "run_cases", "streaming_floor", "shuffled_floor",
    "shuffled_csr_floor", "numpy_linear_fit", "small_data_cases", "SMALL_DATA_OPTIMIZERS",
]


@dataclass
class Case:
    """One piece of work, done by pygdx and by each baseline.

    ``floors`` measure the least time this machine's memory allows for the reads the work
    must do (each returns its best of ``repeat`` passes in seconds, timed by the core); ``units``
    divides every time of the case, e.g. a whole fit into its epochs.
    """

    name: str
    size: str
    pygdx: Callable[[], object]
    baselines: dict[str, Callable[[], object]] = field(default_factory=dict)
    number: int = 1  # calls per timing, for work too short to time alone
    floors: dict[str, Callable[[int], float]] = field(default_factory=dict)  # called with `repeat`
    units: dict[str, int] = field(default_factory=dict)  # "pygdx" or a baseline's name -> units of work per call


@dataclass
class Result:
    name: str
    size: str
    pygdx_seconds: float
    baseline: str
    baseline_seconds: float
    is_floor: bool = False  # the baseline is a floor of this machine, not another library

    @property
    def speedup(self) -> float:
        return self.baseline_seconds / self.pygdx_seconds

    @property
    def times_floor(self) -> float | None:
        """pygdx's time as a multiple of the floor (1.0: at the floor), for floor rows."""
        return self.pygdx_seconds / self.baseline_seconds if self.is_floor else None

    @property
    def ratio_text(self) -> str:
        if self.is_floor:
            return f"{self.pygdx_seconds / self.baseline_seconds:.2f}x floor"
        return f"{self.speedup:.1f}x" if self.speedup >= 1 else f"{self.speedup:.2g}x"


@dataclass(frozen=True)
class Floor:
    """A floor measured by the core: the best of ``repeat`` passes over the data."""

    kind: str  # "streaming", "shuffled" or "shuffled CSR"
    seconds: float  # best pass
    dot_sum: float  # sum over rows of the row's dot product with w (last pass): checks the reads
    n_threads: int  # threads that shared each pass


def _core_threads(n_threads: int | None) -> int:
    if n_threads is None:
        return 0  # the core's "every core"
    if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
        raise ValueError(f"n_threads must be a whole number >= 1, or None for every core; got {n_threads!r}")
    return n_threads


def _dense_weights(X: object, w: np.ndarray | None) -> np.ndarray:
    """``w``, or ones matching X's columns and dtype (X itself is checked by the core)."""
    if w is not None:
        return w
    shape = getattr(X, "shape", ())
    return np.ones(shape[1] if len(shape) == 2 else 0, dtype=getattr(X, "dtype", np.float64))


def streaming_floor(X: np.ndarray, w: np.ndarray | None = None, *, n_threads: int | None = None,
                    repeat: int = 5) -> Floor:
    """The streaming floor: one read of ``X`` front to back taking ``X @ w`` (w: ones by default).

    ``X`` must be a C-contiguous float32/float64 array (measured as it lies, never copied);
    ``n_threads`` None uses every core. The floor of a full-batch epoch, which reads X once.
    """
    seconds, total, threads = _core.streaming_floor(X, _dense_weights(X, w), _core_threads(n_threads), repeat)
    return Floor("streaming", seconds, total, threads)


def shuffled_floor(X: np.ndarray, w: np.ndarray | None = None, *, n_threads: int | None = None, repeat: int = 5,
                   seed: int = 0, prefetch_rows: int | None = None) -> Floor:
    """The shuffled floor: every row of ``X`` read once in a random order (a fresh one per
    pass), its dot product with ``w`` and nothing else, rows ``prefetch_rows`` ahead in that
    order prefetched (None: the core's default). With several threads each takes a
    contiguous part of the order. The floor of a shuffled mini-batch or stochastic epoch.
    """
    ahead = _core.default_prefetch_rows if prefetch_rows is None else prefetch_rows
    seconds, total, threads = _core.shuffled_floor(X, _dense_weights(X, w), _core_threads(n_threads), repeat, seed,
                                                   ahead)
    return Floor("shuffled", seconds, total, threads)


def shuffled_csr_floor(A: object, w: np.ndarray | None = None, *, n_threads: int | None = None, repeat: int = 5,
                       seed: int = 0, prefetch_rows: int | None = None) -> Floor:
    """:func:`shuffled_floor` for sparse rows: every stored value of a CSR matrix read once
    in a random row order. ``A`` is a scipy.sparse CSR matrix or array, or a tuple
    ``(data, indices, indptr)`` (then ``w``, one value per column, is required).
    """
    if isinstance(A, tuple):
        if len(A) != 3:
            raise ValueError("a CSR matrix given as a tuple must be (data, indices, indptr)")
        if w is None:
            raise ValueError("w is required with (data, indices, indptr): it gives the number of columns")
        data, indices, indptr = A
    elif getattr(A, "format", None) == "csr":
        data, indices, indptr = A.data, A.indices, A.indptr
        w = np.ones(A.shape[1], dtype=A.dtype) if w is None else w
    elif hasattr(A, "tocsr"):
        raise TypeError(f"A is a sparse matrix in {getattr(A, 'format', '?')!r} format; pass A.tocsr()")
    else:
        raise TypeError(f"A must be a scipy.sparse CSR matrix or a tuple (data, indices, indptr), got {type(A).__name__}")
    ahead = _core.default_prefetch_rows if prefetch_rows is None else prefetch_rows
    seconds, total, threads = _core.shuffled_csr_floor(data, indices, indptr, w, _core_threads(n_threads), repeat,
                                                       seed, ahead)
    return Floor("shuffled CSR", seconds, total, threads)


# A timing of several calls lasts at least this long, or ``number`` calls, whichever is first.
_MIN_TIMING_SECONDS = 0.02


def best_time(fn: Callable[[], object], repeat: int, number: int = 1) -> float:
    """Best of ``repeat`` timings of up to ``number`` calls, per call, after one warm-up call.

    ``number`` is what a fast implementation needs for a timing well above the clock's
    resolution; a slower one (a baseline at a tiny size, or a library whose threads spin
    on a loaded machine: torch's fused Adagrad took 4 ms a step on 10 parameters) is timed
    over as many calls as fill ``_MIN_TIMING_SECONDS`` (doubling from one), so that a
    ``pygdx bench`` of small sizes does not take minutes."""
    start = time.perf_counter()
    fn()
    if number > 1:
        calls, elapsed = 1, time.perf_counter() - start
        while calls < number and elapsed < _MIN_TIMING_SECONDS:
            calls = min(number, 2 * calls)
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            elapsed = time.perf_counter() - start
        number = calls
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "system": f"{platform.system()} {platform.release()}",
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            info["blas"] = f"{blas[0].get('internal_api')} ({blas[0].get('num_threads')} threads)"
    except ImportError:
        pass
    return info


def _optimizer_cases(sizes: list[int], n_threads: int | None) -> list[Case]:
    from . import optim
    from .reference import optim as ref_optim

    cases = []
    rng = np.random.default_rng(0)
    for name, cls, kw, dtype in [
        ("Adam step", "Adam", {"lr": 1e-3}, np.float32),
        ("SGD momentum step", "SGD", {"lr": 1e-3, "momentum": 0.9}, np.float64),
        ("RMSprop step", "RMSprop", {"lr": 1e-3}, np.float32),
        ("Adagrad step", "Adagrad", {"lr": 1e-3}, np.float64),
    ]:
        for p_size in sizes:
            g = rng.standard_normal(p_size).astype(dtype)
            fast_opt = getattr(optim, cls)(np.zeros(p_size, dtype), **kw, n_threads=n_threads)
            ref_opt = getattr(ref_optim, cls)(np.zeros(p_size, dtype), **kw)
            baselines: dict[str, Callable[[], object]] = {"NumPy": lambda o=ref_opt, g=g: o.step(g)}
            torch_step = _torch_step(cls, kw, p_size, dtype, g)
            if torch_step is not None:
                baselines["torch"] = torch_step
            number = max(1, 100_000 // p_size)
            dname = np.dtype(dtype).name
            cases.append(Case(name, f"P={p_size:.0e} {dname}", lambda o=fast_opt, g=g: o.step(g), baselines, number))
    return cases


def _torch_step(cls: str, kw: dict, p_size: int, dtype: type, g: np.ndarray) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    p = torch.zeros(p_size, dtype=torch.float32 if dtype == np.float32 else torch.float64, requires_grad=True)
    p.grad = torch.from_numpy(g.copy())
    extra = {"fused": True} if cls in ("Adam", "SGD", "Adagrad") else {"foreach": False}
    try:
        opt = getattr(torch.optim, cls)([p], **kw, **extra)
        opt.step()
    except (RuntimeError, TypeError):
        opt = getattr(torch.optim, cls)([p], **kw)

    def step() -> None:
        with torch.no_grad():
            opt.step()

    return step


def _linear_cases(n_rows: int, n_full: int, n_features: int, n_threads: int | None) -> list[Case]:
    """Epochs and full-batch gradients of linear models, against NumPy and scikit-learn."""
    import warnings

    from . import _core, estimators, losses
    from .reference import linear as ref_linear
    from .reference import optim as ref_optim

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, n_features))
    y = X @ rng.standard_normal(n_features) + 0.1 * rng.standard_normal(n_rows)
    cases = []
    all_cores = "all cores" if n_threads is None else "1 core" if n_threads == 1 else f"{n_threads} threads"
    # A shuffled epoch must gather every row once in a random order: its floor is that
    # gather alone, on one core (where a sequential chain of steps runs) and on all of them
    # (one entry when the threads are capped at one).
    shuffled_floors: dict[str, Callable[[int], float]] = {
        "shuffled-read floor, 1 core": lambda k: shuffled_floor(X, n_threads=1, repeat=k).seconds,
        f"shuffled-read floor, {all_cores}": lambda k: shuffled_floor(X, n_threads=n_threads, repeat=k).seconds,
    }
    squared_error = losses.SquaredError()
    for batch, lr in ((32, 1e-3), (256, 1e-2)):
        # the default (every core where that pays: a team of threads shares each batch of 256
        # rows; 32 rows are not worth a second thread) unless the threads are capped
        est = estimators.GDRegressor(optimizer="sgd", lr=lr, batch_size=batch, penalty=None, shuffle=True,
                                     random_state=0, n_jobs=n_threads)
        coef, intercept = np.zeros((1, n_features)), np.zeros(1)
        opt = ref_optim.SGD([coef, intercept], lr=lr)
        order = np.arange(n_rows)

        def numpy_epoch(coef=coef, intercept=intercept, opt=opt, order=order, batch=batch) -> None:
            rng.shuffle(order)
            ref_linear.epoch(squared_error, X, y, coef, intercept, opt, order, batch)

        cases.append(Case("SGD epoch, squared error", f"n={n_rows} d={n_features} bs={batch}",
                          lambda est=est: est.partial_fit(X, y), {"NumPy": numpy_epoch}, floors=shuffled_floors))
    stochastic = estimators.GDRegressor(optimizer="sgd", lr=1e-3, batch_size=1, penalty="l2", alpha=1e-4,
                                        random_state=0)
    baselines: dict[str, Callable[[], object]] = {}
    try:
        from sklearn.linear_model import SGDRegressor

        sk = SGDRegressor(learning_rate="constant", eta0=1e-3, penalty="l2", alpha=1e-4, random_state=0)

        def sklearn_epoch() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sk.partial_fit(X, y)

        baselines["scikit-learn"] = sklearn_epoch
    except ImportError:
        pass
    if baselines:
        cases.append(Case("stochastic epoch (bs=1)", f"n={n_rows} d={n_features}",
                          lambda: stochastic.partial_fit(X, y), baselines, floors=shuffled_floors))
    Xf = rng.standard_normal((n_full, n_features))
    yf = Xf @ rng.standard_normal(n_features)
    problem = _core.LinearProblem(loss=_core.LossKind.squared_error, n_features=n_features)
    theta = np.zeros(n_features + 1)
    w = theta[:n_features]
    cases.append(Case(
        "full-batch loss + gradient", f"n={n_full} d={n_features}",
        lambda: _core.linear_loss_grad(problem, Xf, yf, None, theta, None, n_threads or 0),
        {"NumPy X.T @ (X @ w - y)": lambda: Xf.T @ (Xf @ w - yf) / n_full, "one read of X (X @ w)": lambda: Xf @ w},
        floors={f"streaming floor, {all_cores}": lambda k: streaming_floor(Xf, n_threads=n_threads, repeat=k).seconds},
    ))
    return cases


SMALL_DATA_OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax", "nadam", "radam")


def numpy_linear_fit(X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, batch_size: int | None,
                     epochs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A hand-written NumPy loop of the update ``GDRegressor`` makes with squared error and no
    penalty: per batch, r = X_b w + b - y_b, then one step of the plain-NumPy optimizer of
    :mod:`pygdx.reference.optim` with (X_bᵀ r / m, mean r). Full batch reads X as it is;
    other batch sizes take the rows in a fresh random order every epoch. Returns (w, b).
    """
    from .reference import optim as ref_optim

    rules = {name.lower(): cls for name, cls in vars(ref_optim).items()
             if isinstance(cls, type) and issubclass(cls, ref_optim.Optimizer)}
    w, b = np.zeros(X.shape[1], X.dtype), np.zeros(1, X.dtype)
    # the estimators regularise through `penalty` and give their optimizer weight_decay=0
    opt = rules[optimizer]([w, b], lr=lr, weight_decay=0.0)
    n = X.shape[0]
    if batch_size is None:
        for _ in range(epochs):
            r = X @ w + b - y
            opt.step([X.T @ r / n, np.array([r.mean()], X.dtype)])
        return w, b
    order = np.arange(n)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            Xb = X[rows]
            r = Xb @ w + b - y[rows]
            opt.step([Xb.T @ r / len(rows), np.array([r.mean()], X.dtype)])
    return w, b


def small_data_cases(n_rows: int = 16, n_features: int = 3, optimizers: tuple[str, ...] = SMALL_DATA_OPTIMIZERS,
                     batch_sizes: tuple[int | None, ...] = (None, 16, 1), epochs: int = 20_000,
                     numpy_epochs: int = 200, lr: float = 0.01) -> list[Case]:
    """The fixed cost of one epoch on small data: a whole fit of ``epochs`` epochs
    (``tol=None``) divided by its epochs, against scikit-learn's ``SGDRegressor`` fit of as many
    epochs (per-sample SGD, its only kind of epoch) and :func:`numpy_linear_fit` (fewer
    epochs: a NumPy epoch costs far more, and only the time per epoch is compared).

    On data this small no memory floor applies: what an epoch costs is the calls it makes.
    """
    from . import estimators

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, n_features))
    y = X @ rng.standard_normal(n_features) + 0.1 * rng.standard_normal(n_rows)
    baselines: dict[str, Callable[[], object]] = {}
    try:
        from sklearn.linear_model import SGDRegressor

        sk = SGDRegressor(learning_rate="constant", eta0=lr, penalty=None, max_iter=epochs, tol=None, random_state=0)
        baselines["scikit-learn SGDRegressor"] = lambda: sk.fit(X, y)
    except ImportError:
        pass
    cases = []
    for optimizer in optimizers:
        for batch in batch_sizes:
            est = estimators.GDRegressor(optimizer=optimizer, lr=lr, batch_size=batch, max_iter=epochs, tol=None,
                                         penalty=None, random_state=0)
            numpy_fit = (lambda optimizer=optimizer, batch=batch:
                         numpy_linear_fit(X, y, optimizer, lr, batch, numpy_epochs))
            cases.append(Case(
                f"epoch of a small fit, {optimizer}", f"n={n_rows} d={n_features} bs={batch or 'full'}",
                lambda est=est: est.fit(X, y), {**baselines, "NumPy loop": numpy_fit},
                units={"pygdx": epochs, "scikit-learn SGDRegressor": epochs, "NumPy loop": numpy_epochs},
            ))
    return cases


def default_cases(quick: bool = True, max_size: int | None = None, n_threads: int | None = None) -> list[Case]:
    """The cases of ``pygdx bench``; ``max_size`` drops those with more parameters.

    ``n_threads`` caps the threads of pygdx and of torch alike (None: all cores).
    """
    if n_threads is not None:
        try:
            import torch

            torch.set_num_threads(n_threads)
        except ImportError:
            pass
    sizes = [10, 100_000, 1_000_000] if quick else [10, 1_000, 100_000, 10_000_000]
    if max_size is not None:
        sizes = [s for s in sizes if s <= max_size]
    cases = _optimizer_cases(sizes, n_threads)
    # The fixed cost of an epoch on small data: 16 x 3, then a tutorial's few hundred rows.
    if max_size is None or 16 * 3 <= max_size:
        cases += small_data_cases(optimizers=("sgd", "adam"), epochs=1_000, numpy_epochs=50) if quick else \
            small_data_cases()
    if max_size is None or 300 * 10 <= max_size:
        cases += small_data_cases(300, 10, optimizers=("adam",) if quick else ("sgd", "adam"),
                                  batch_sizes=(None, 32, 1), epochs=300 if quick else 5_000,
                                  numpy_epochs=10 if quick else 50)
    n_rows, n_full = (50_000, 500_000) if quick else (200_000, 2_000_000)
    if max_size is None or n_rows * 100 <= max_size:
        cases += _linear_cases(n_rows, n_full, 100, n_threads)
    if max_size is None or 50_000 <= max_size:  # 50,000 weights
        from ._bench_sparse import sparse_cases

        cases += sparse_cases(50_000 if quick else 250_000, 50_000)
    return cases


def run_cases(cases: list[Case], repeat: int = 5, progress: Callable[[str], None] | None = None) -> list[Result]:
    """Times every case: a row per baseline (speed-up) and a row per floor (multiple of it).

    Floors are measured right after the case's own timing, so that both see the same load
    on a shared machine.
    """
    results = []
    for case in cases:
        if progress:
            progress(f"{case.name} {case.size}")
        fast = best_time(case.pygdx, repeat, case.number) / case.units.get("pygdx", 1)
        for base_name, base_fn in case.baselines.items():
            theirs = best_time(base_fn, repeat, case.number) / case.units.get(base_name, 1)
            results.append(Result(case.name, case.size, fast, base_name, theirs))
        for floor_name, floor_fn in case.floors.items():
            results.append(Result(case.name, case.size, fast, floor_name, floor_fn(repeat), is_floor=True))
    return results
