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

__all__ = ["Case", "Result", "machine_info", "default_cases", "run_cases"]


@dataclass
class Case:
    """One piece of work, done by pygdx and by each baseline."""

    name: str
    size: str
    pygdx: Callable[[], object]
    baselines: dict[str, Callable[[], object]] = field(default_factory=dict)
    number: int = 1  # calls per timing, for work too short to time alone


@dataclass
class Result:
    name: str
    size: str
    pygdx_seconds: float
    baseline: str
    baseline_seconds: float

    @property
    def speedup(self) -> float:
        return self.baseline_seconds / self.pygdx_seconds


def best_time(fn: Callable[[], object], repeat: int, number: int = 1) -> float:
    """Best of ``repeat`` timings of ``number`` calls, per call, after one warm-up call."""
    fn()
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
    squared_error = losses.SquaredError()
    for batch, lr in ((32, 1e-3), (256, 1e-2)):
        # all cores unless capped, like the other cases (a team of threads shares each batch
        # of 256 rows; 32 rows are not worth a second thread)
        est = estimators.GDRegressor(optimizer="sgd", lr=lr, batch_size=batch, penalty=None, shuffle=True,
                                     random_state=0, n_jobs=n_threads if n_threads is not None else -1)
        coef, intercept = np.zeros((1, n_features)), np.zeros(1)
        opt = ref_optim.SGD([coef, intercept], lr=lr)
        order = np.arange(n_rows)

        def numpy_epoch(coef=coef, intercept=intercept, opt=opt, order=order, batch=batch) -> None:
            rng.shuffle(order)
            ref_linear.epoch(squared_error, X, y, coef, intercept, opt, order, batch)

        cases.append(Case("SGD epoch, squared error", f"n={n_rows} d={n_features} bs={batch}",
                          lambda est=est: est.partial_fit(X, y), {"NumPy": numpy_epoch}))
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
                          lambda: stochastic.partial_fit(X, y), baselines))
    Xf = rng.standard_normal((n_full, n_features))
    yf = Xf @ rng.standard_normal(n_features)
    problem = _core.LinearProblem(loss=_core.LossKind.squared_error, n_features=n_features)
    theta = np.zeros(n_features + 1)
    w = theta[:n_features]
    cases.append(Case(
        "full-batch loss + gradient", f"n={n_full} d={n_features}",
        lambda: _core.linear_loss_grad(problem, Xf, yf, None, theta, None, n_threads or 0),
        {"NumPy X.T @ (X @ w - y)": lambda: Xf.T @ (Xf @ w - yf) / n_full, "one read of X (X @ w)": lambda: Xf @ w},
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
    n_rows, n_full = (50_000, 500_000) if quick else (200_000, 2_000_000)
    if max_size is None or n_rows * 100 <= max_size:
        cases += _linear_cases(n_rows, n_full, 100, n_threads)
    return cases


def run_cases(cases: list[Case], repeat: int = 5, progress: Callable[[str], None] | None = None) -> list[Result]:
    results = []
    for case in cases:
        if progress:
            progress(f"{case.name} {case.size}")
        fast = best_time(case.pygdx, repeat, case.number)
        for base_name, base_fn in case.baselines.items():
            results.append(Result(case.name, case.size, fast, base_name, best_time(base_fn, repeat, case.number)))
    return results
