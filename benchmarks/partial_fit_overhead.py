"""What ``partial_fit`` adds to the core's epoch (issue 15's batch-1 line), in one process.

Each round, on bench_floor.py's 200,000 x 100 rows, times the one-core shuffled floor
(``pygdx.bench.shuffled_floor``), then one ``GDRegressor.partial_fit`` epoch with default
settings (plain SGD as bench_floor.py runs it), and inside that call the core trainer's
``run`` (shuffle, epoch, the trainer's undo copy, loss and checks) through a timing proxy.
What ``partial_fit`` spends outside ``run`` is the Python side's per-call cost: the input
checks, the optimizer's continuation, the records after the epoch. Best of the rounds:

    flock -x /work/wt/machine.lock sh -c 'cat /proc/loadavg; python benchmarks/partial_fit_overhead.py [rounds] [batch ...]'

The C++ epoch alone (no trainer, no shuffle) is ``bench_rows floor`` (benchmarks/bench_rows.cpp).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

import pygdx
from pygdx import _training, bench


class _TimedTrainer:
    """The core trainer, with the wall time of each ``run`` call added to ``seconds``."""

    def __init__(self, trainer: Any, seconds: list[float]) -> None:
        object.__setattr__(self, "_trainer", trainer)
        object.__setattr__(self, "_seconds", seconds)

    def run(self, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._trainer.run(*args)
        finally:
            self._seconds.append(time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trainer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._trainer, name, value)


class _CoreWithTimedTrainer:
    """pygdx._core as _training sees it, with LinearTrainer wrapped in _TimedTrainer."""

    def __init__(self, core: Any, seconds: list[float]) -> None:
        self._core, self._seconds = core, seconds

    def LinearTrainer(self, *args: Any) -> _TimedTrainer:  # noqa: N802 (the core's name)
        return _TimedTrainer(self._core.LinearTrainer(*args), self._seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)


def measure(dtype: type, batch: int, rounds: int) -> dict[str, float]:
    rng = np.random.default_rng(0)  # bench_floor.py's epoch data
    X = rng.standard_normal((200_000, 100)).astype(dtype)
    y = X @ rng.standard_normal(100).astype(dtype) + dtype(0.1) * rng.standard_normal(200_000).astype(dtype)
    est = pygdx.GDRegressor(optimizer="sgd", lr=1e-3 if batch < 256 else 1e-2, batch_size=batch, random_state=0)
    run_seconds: list[float] = []
    best = {"floor 1 core": np.inf, "partial_fit": np.inf, "trainer.run": np.inf, "outside run": np.inf}
    real_core = _training._core
    _training._core = _CoreWithTimedTrainer(real_core, run_seconds)
    try:
        for _ in range(rounds):
            floor = bench.shuffled_floor(X, np.ones(100, dtype), n_threads=1, repeat=1).seconds
            run_seconds.clear()
            start = time.perf_counter()
            est.partial_fit(X, y)
            total = time.perf_counter() - start
            inside = sum(run_seconds)
            for key, value in (("floor 1 core", floor), ("partial_fit", total), ("trainer.run", inside),
                               ("outside run", total - inside)):
                best[key] = min(best[key], value)
    finally:
        _training._core = real_core
    return best


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    batches = [int(b) for b in sys.argv[2:]] or [1]
    for batch in batches:
        for dtype in (np.float64, np.float32):
            best = measure(dtype, batch, rounds)
            floor = best["floor 1 core"]
            print(f"{np.dtype(dtype).name} batch {batch}, best of {rounds}: "
                  + ", ".join(f"{key} {value * 1e3:.2f} ms ({value / floor:.3f}x)" for key, value in best.items()))


if __name__ == "__main__":
    main()
