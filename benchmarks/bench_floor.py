"""The machine's floors, and the epochs of issue 15 measured against them in the same run.

A floor is the least time this machine takes for the reads an epoch cannot avoid
(``pygdx.bench``, ``src/cpp/core/floors.hpp``):

- ``floor-streaming-<dtype>``: X (2,000,000 x 100) read once front to back taking X @ w, on
  one core and on all: the floor of a full-batch epoch; ``numpy X@w`` beside it;
- ``floor-shuffled-<dtype>``: every row of X (200,000 x 100) read once in a random order, its
  dot product with w and nothing else, rows ahead prefetched, on one core and on all (each
  thread a part of the order): the floor of a shuffled mini-batch or stochastic epoch;
- ``floor-shuffled-csr-<dtype>``: the same for CSR rows (200,000 x 10,000, 50 stored values a
  row), for the sparse-data work.

The epochs, with default settings (``n_jobs`` unset: every core where that pays) and with
``n_jobs=1`` (one thread):

- ``epoch-<dtype>-bs<k>`` for k = 1, 32, 256 on the 200,000 rows: ``GDRegressor.partial_fit``
  (optimizer "sgd"); beside it NumPy's loop of the same update (k = 32, 256) and
  scikit-learn's ``SGDRegressor.partial_fit`` (k = 1);
- ``epoch-<dtype>-full`` on the 2,000,000 rows: one full-batch epoch (``partial_fit``,
  ``batch_size=None``) beside NumPy's two-pass gradient ``X.T @ (X @ w - y) / n``.

Each floor case times the core's pass ``ROUNDS`` times; its own best (the pass alone, without
the untimed shuffle before it) is ``extra_info["floor_seconds"]``. Each pygdx epoch case also
measures its floors before every round (``extra_info["paired_floor 1 core"]`` and
``["paired_floor all cores"]``: the best of those passes), so that the ratio compares times
taken under the same load. ``ratios_floor.py`` prints every epoch's ratio to its floors
beside its ratios to NumPy and scikit-learn.

Sizes are the issue's; with ``--benchmark-disable`` (the test suite) they shrink so that
every case runs once, quickly, and still checks its result (``--quick-sizes`` times them at
those small sizes: a check of the report, not a measurement).

    pytest benchmarks/bench_floor.py benchmarks/bench_small.py --benchmark-enable \\
        --benchmark-autosave --benchmark-json=floor.json
    python benchmarks/ratios_floor.py floor.json
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pygdx
from pygdx import bench, losses
from pygdx.reference import linear as ref_linear
from pygdx.reference import optim as ref_optim

N_FEATURES = 100
ROUNDS = 10
DTYPES = {"float64": np.float64, "float32": np.float32}
# (rate) per batch size, as in bench_linear.py
EPOCH_LR = {1: 1e-3, 32: 1e-3, 256: 1e-2}
CSR_COLUMNS, CSR_PER_ROW = 10_000, 50


@pytest.fixture(scope="module")
def sizes(issue_sizes):
    if issue_sizes:
        return {"epoch": 200_000, "full": 2_000_000}
    return {"epoch": 3_000, "full": 5_000}


@pytest.fixture(scope="module")
def data(sizes):
    """(X, y) per (size name, dtype name), made once per module and on first use."""
    made: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def get(size: str, dtype: str) -> tuple[np.ndarray, np.ndarray]:
        if (size, dtype) not in made:
            rng = np.random.default_rng(0 if size == "epoch" else 1)
            X = rng.standard_normal((sizes[size], N_FEATURES)).astype(DTYPES[dtype])
            y = (X @ rng.standard_normal(N_FEATURES).astype(X.dtype)
                 + X.dtype.type(0.1) * rng.standard_normal(sizes[size]).astype(X.dtype))
            made[(size, dtype)] = X, y
        return made[(size, dtype)]

    yield get
    made.clear()


def weights(dtype: str) -> np.ndarray:
    return np.random.default_rng(2).standard_normal(N_FEATURES).astype(DTYPES[dtype])


def time_floor(benchmark, measure) -> float:
    """Runs ``measure()`` -> Floor for ``ROUNDS`` rounds under pytest-benchmark and records
    the best pass the core timed; returns it."""
    passes: list[float] = []

    def one_pass():
        floor = measure()
        passes.append(floor.seconds)
        return floor

    floor = benchmark.pedantic(one_pass, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(floor_seconds=min(passes), threads_used=floor.n_threads)
    return floor


THREADS = {"1 core": 1, "all cores": None}


@pytest.mark.parametrize("threads", list(THREADS))
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("kind", ["streaming", "shuffled"])
def test_dense_floor(benchmark, data, kind, dtype, threads):
    X, _ = data("full" if kind == "streaming" else "epoch", dtype)
    w = weights(dtype)
    benchmark.group = f"floor-{kind}-{dtype}"
    benchmark.extra_info.update(case="floor", kind=kind, dtype=dtype, n=X.shape[0], impl=f"floor {threads}",
                                threads=threads)
    measure = bench.streaming_floor if kind == "streaming" else bench.shuffled_floor
    floor = time_floor(benchmark, lambda: measure(X, w, n_threads=THREADS[threads], repeat=1))
    expected = float((X.astype(np.float64) @ w.astype(np.float64)).sum())
    scale = float(np.abs(X.astype(np.float64) @ w.astype(np.float64)).sum())
    assert abs(floor.dot_sum - expected) <= (1e-5 if dtype == "float32" else 1e-12) * scale


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_numpy_one_read(benchmark, data, dtype):
    """NumPy's X @ w, beside the streaming floor (which should match or beat it)."""
    X, _ = data("full", dtype)
    w = weights(dtype)
    benchmark.group = f"floor-streaming-{dtype}"
    benchmark.extra_info.update(case="floor", kind="streaming", dtype=dtype, n=X.shape[0], impl="numpy X@w")
    out = benchmark.pedantic(lambda: X @ w, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    assert out.shape == (X.shape[0],)


@pytest.fixture(scope="module")
def csr(sizes):
    """A CSR matrix as scipy stores it (int32 indices), built directly: n x 10,000 with 50
    values a row in random columns."""
    n = sizes["epoch"]
    rng = np.random.default_rng(3)
    indptr = (np.arange(n + 1, dtype=np.int64) * CSR_PER_ROW).astype(np.int32)
    indices = rng.integers(0, CSR_COLUMNS, n * CSR_PER_ROW).astype(np.int32)
    values = rng.standard_normal(n * CSR_PER_ROW)
    return values, indices, indptr


@pytest.mark.parametrize("threads", list(THREADS))
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_csr_floor(benchmark, csr, dtype, threads):
    values, indices, indptr = csr
    values = values.astype(DTYPES[dtype])
    w = np.random.default_rng(4).standard_normal(CSR_COLUMNS).astype(DTYPES[dtype])
    benchmark.group = f"floor-shuffled-csr-{dtype}"
    benchmark.extra_info.update(case="floor", kind="shuffled-csr", dtype=dtype, n=len(indptr) - 1,
                                impl=f"floor {threads}", threads=threads)
    floor = time_floor(benchmark, lambda: bench.shuffled_csr_floor((values, indices, indptr), w,
                                                                   n_threads=THREADS[threads], repeat=1))
    expected = float((values.astype(np.float64) * w.astype(np.float64)[indices]).sum())
    scale = float(np.abs(values.astype(np.float64) * w.astype(np.float64)[indices]).sum())
    assert abs(floor.dot_sum - expected) <= (1e-5 if dtype == "float32" else 1e-12) * scale


EPOCH_IMPLS = {"pygdx": {}, "pygdx n_jobs=1": {"n_jobs": 1}}


class PairedFloors:
    """The epoch's floors measured again right before each of its rounds (untimed, as
    pytest-benchmark's setup): on a shared machine the load moves within seconds, and a
    floor taken next to each round sees the load that round saw."""

    def __init__(self, X: np.ndarray, kind: str) -> None:
        self.X, self.w = X, np.ones(X.shape[1], X.dtype)
        self.pass_ = bench.streaming_floor if kind == "streaming" else bench.shuffled_floor
        self.seconds: dict[str, list[float]] = {threads: [] for threads in THREADS}

    def measure(self) -> None:
        for threads, n_threads in THREADS.items():
            self.seconds[threads].append(self.pass_(self.X, self.w, n_threads=n_threads, repeat=1).seconds)

    def best(self) -> dict[str, float]:
        return {f"paired_floor {threads}": min(times) for threads, times in self.seconds.items() if times}


@pytest.mark.parametrize("impl", [*EPOCH_IMPLS, "baseline"])
@pytest.mark.parametrize("batch", [1, 32, 256, None])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_epoch(benchmark, data, dtype, batch, impl):
    X, y = data("epoch" if batch else "full", dtype)
    benchmark.group = f"epoch-{dtype}-{'bs' + str(batch) if batch else 'full'}"
    benchmark.extra_info.update(case="epoch", dtype=dtype, batch_size=batch, n=X.shape[0])
    lr = EPOCH_LR.get(batch, 1e-2)
    if impl in EPOCH_IMPLS:
        benchmark.extra_info["impl"] = impl
        # default settings (penalty l2, alpha 1e-4) but the plain SGD step of the baselines
        est = pygdx.GDRegressor(optimizer="sgd", lr=lr, batch_size=batch, random_state=0, **EPOCH_IMPLS[impl])
        paired = PairedFloors(X, "streaming" if batch is None else "shuffled")
        benchmark.pedantic(lambda: est.partial_fit(X, y), setup=paired.measure, rounds=ROUNDS, iterations=1,
                           warmup_rounds=0)
        benchmark.extra_info.update(paired.best())
        coef, intercept = est.coef_[None, :], est.intercept_
    elif batch is None:
        benchmark.extra_info["impl"] = "numpy X.T @ (X @ w - y)"
        w = np.full(N_FEATURES, 0.01, X.dtype)
        grad = benchmark.pedantic(lambda: X.T @ (X @ w - y) / X.shape[0], rounds=ROUNDS, iterations=1)
        assert np.all(np.isfinite(grad))
        return
    elif batch == 1:
        benchmark.extra_info["impl"] = "scikit-learn"
        linear_model = pytest.importorskip("sklearn.linear_model")
        sk = linear_model.SGDRegressor(learning_rate="constant", eta0=lr, penalty="l2", alpha=1e-4, random_state=0)

        def sklearn_epoch():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning of a single epoch
                sk.partial_fit(X, y)

        benchmark.pedantic(sklearn_epoch, rounds=ROUNDS, iterations=1, warmup_rounds=0)
        coef, intercept = np.atleast_2d(sk.coef_), np.atleast_1d(sk.intercept_)
    else:
        benchmark.extra_info["impl"] = "numpy"
        coef, intercept = np.zeros((1, N_FEATURES), X.dtype), np.zeros(1, X.dtype)
        opt = ref_optim.SGD([coef, intercept], lr=lr, weight_decay=0.0)
        order = np.arange(X.shape[0])
        rng = np.random.default_rng(0)

        def numpy_epoch():
            rng.shuffle(order)
            ref_linear.epoch(losses.SquaredError(), X, y, coef, intercept, opt, order, batch, penalty="l2",
                             alpha=1e-4)

        benchmark.pedantic(numpy_epoch, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    value = ref_linear.loss_grad(losses.SquaredError(), X, y, coef.astype(X.dtype), intercept.astype(X.dtype),
                                 penalty="l2", alpha=1e-4)[0]
    benchmark.extra_info["final_loss"] = value
    assert value < 0.5 * float(np.mean(y.astype(np.float64) ** 2))  # every implementation trains
