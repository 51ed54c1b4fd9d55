"""The machine's floors (core/floors.hpp via pygdx.bench): each pass reads every row (or
stored value) exactly once, so its sum of dot products equals NumPy's; bad input is refused
with the error that names the fix; Ctrl-C is not swallowed."""

from __future__ import annotations

import numpy as np
import pytest

from pygdx import _core, bench

FLOAT_TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def data(n=1000, d=37, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(dtype), rng.standard_normal(d).astype(dtype)


def expected_sum(X, w):
    return float((X.astype(np.float64) @ w.astype(np.float64)).sum())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2, 3, None])
@pytest.mark.parametrize("measure", [bench.streaming_floor, bench.shuffled_floor])
def test_dense_floor_reads_every_row_once(measure, n_threads, dtype):
    # d = 37: rows that do not start on a cache line and a tail after the 16-wide sums
    X, w = data(dtype=dtype)
    floor = measure(X, w, n_threads=n_threads, repeat=2)
    scale = float(np.abs(X.astype(np.float64) @ w.astype(np.float64)).sum())
    assert abs(floor.dot_sum - expected_sum(X, w)) <= FLOAT_TOLERANCE[dtype] * scale
    assert floor.seconds > 0
    assert floor.n_threads == (n_threads or _core.streaming_floor(X, w, 0, 1)[2])


def test_every_core_means_the_hardware_threads():
    import os

    X, w = data()
    assert bench.streaming_floor(X, w).n_threads == min(os.cpu_count(), X.shape[0])


def test_more_threads_than_rows_are_capped():
    X, w = data(n=3)
    floor = bench.shuffled_floor(X, w, n_threads=8, repeat=1)
    assert floor.n_threads == 3
    assert floor.dot_sum == pytest.approx(expected_sum(X, w), rel=1e-12)


@pytest.mark.parametrize("prefetch_rows", [0, 1, 8, 5000])
def test_shuffled_floor_any_prefetch_distance(prefetch_rows):
    X, w = data(n=500)
    floor = bench.shuffled_floor(X, w, n_threads=2, repeat=1, prefetch_rows=prefetch_rows, seed=3)
    assert floor.dot_sum == pytest.approx(expected_sum(X, w), rel=1e-12)


def test_default_weights_are_ones_and_read_only_memmaps_work(tmp_path):
    X, _ = data(n=200, d=16)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert not mapped.flags.writeable
    for measure in (bench.streaming_floor, bench.shuffled_floor):
        assert measure(mapped, repeat=1).dot_sum == pytest.approx(float(X.sum()), rel=1e-12)


def test_one_row_one_column():
    X = np.array([[2.5]])
    for measure in (bench.streaming_floor, bench.shuffled_floor):
        assert measure(X, np.array([4.0]), repeat=1).dot_sum == 10.0


def random_csr(n, d, density, dtype, index_dtype, seed=0):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, d)) < density
    mask[n // 2] = False  # an empty row
    dense = np.where(mask, rng.standard_normal((n, d)), 0.0).astype(dtype)
    counts = mask.sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(index_dtype)
    rows, cols = np.nonzero(mask)
    return dense, dense[rows, cols], cols.astype(index_dtype), indptr


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, None])
def test_csr_floor_reads_every_stored_value_once(n_threads, dtype, index_dtype):
    dense, values, indices, indptr = random_csr(400, 50, 0.1, dtype, index_dtype)
    w = np.random.default_rng(1).standard_normal(50).astype(dtype)
    floor = bench.shuffled_csr_floor((values, indices, indptr), w, n_threads=n_threads, repeat=2)
    scale = float(np.abs(dense.astype(np.float64) @ w.astype(np.float64)).sum())
    assert abs(floor.dot_sum - expected_sum(dense, w)) <= FLOAT_TOLERANCE[dtype] * scale


def test_csr_floor_takes_scipy_matrices():
    sparse = pytest.importorskip("scipy.sparse")
    A = sparse.random(300, 40, density=0.05, format="csr", random_state=0)
    assert bench.shuffled_csr_floor(A, repeat=1).dot_sum == pytest.approx(float(A.sum()), rel=1e-12)
    assert bench.shuffled_csr_floor(sparse.csr_array(A), repeat=1).dot_sum == pytest.approx(float(A.sum()), rel=1e-12)
    with pytest.raises(TypeError, match=r"A\.tocsr\(\)"):
        bench.shuffled_csr_floor(A.tocoo())


@pytest.mark.parametrize(
    ("X", "w", "error", "message"),
    [
        (np.ones((4, 3), dtype=np.int64), np.ones(3), TypeError, r"X has dtype int64 but must be float32 or float64"),
        (np.ones((4, 3), dtype=np.complex128), np.ones(3), TypeError, r"must be float32 or float64"),
        (np.ones((4, 3), dtype=np.float16), np.ones(3), TypeError, r"must be float32 or float64"),
        ([[1.0, 2.0]], np.ones(2), TypeError, r"X must be a NumPy array, got list"),
        (np.ones(3), np.ones(3), ValueError, r"X must be 2-dimensional, got 1"),
        (np.ones((3, 4, 1)), np.ones(4), ValueError, r"X must be 2-dimensional, got 3"),
        (np.asfortranarray(np.ones((4, 3))), np.ones(3), ValueError, r"X is not C-contiguous.*np\.ascontiguousarray"),
        (np.ones((8, 3))[::2], np.ones(3), ValueError, r"not C-contiguous"),
        (np.ones((0, 3)), np.ones(3), ValueError, r"X is empty"),
        (np.ones((4, 0)), np.ones(0), ValueError, r"X is empty"),
        (np.ones((4, 3)), np.ones(4), ValueError, r"w has 4 values but X has 3 columns"),
        (np.ones((4, 3)), np.ones(3, np.float32), TypeError, r"w has dtype float32 but X is float64.*astype"),
        (np.ones((4, 3), np.float32), np.ones(3), TypeError, r"w has dtype float64 but X is float32"),
        (np.ones((4, 3)), np.ones((3, 1)), ValueError, r"w must be 1-dimensional"),
        (np.ones((4, 3)), np.ones(6)[::2], ValueError, r"w is not C-contiguous"),
    ],
)
def test_dense_floors_refuse_bad_input(X, w, error, message):
    for measure in (_core.streaming_floor, _core.shuffled_floor):
        with pytest.raises(error, match=message):
            measure(X, w)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_threads": -1}, ValueError, r"n_threads must be >= 1, or 0 for every core"),
        ({"repeat": 0}, ValueError, r"repeat must be >= 1"),
        ({"seed": -1}, TypeError, r"incompatible function arguments"),
    ],
)
def test_core_floors_refuse_bad_counts(kwargs, error, message):
    X, w = data(n=10, d=4)
    with pytest.raises(error, match=message):
        _core.shuffled_floor(X, w, **kwargs)


@pytest.mark.parametrize("n_threads", [0, -2, 1.5, True])
def test_python_floors_refuse_bad_thread_counts(n_threads):
    X, w = data(n=10, d=4)
    with pytest.raises(ValueError, match=r"n_threads must be a whole number >= 1, or None"):
        bench.streaming_floor(X, w, n_threads=n_threads)


def csr_parts():
    _, values, indices, indptr = random_csr(20, 6, 0.4, np.float64, np.int32)
    return values, indices, indptr


def with_change(i, change):
    parts = list(csr_parts())
    parts[i] = change(parts[i].copy())
    return parts


def set_item(a, position, value):
    a[position] = value
    return a


@pytest.mark.parametrize(
    ("parts", "error", "message"),
    [
        (with_change(1, lambda a: a.astype(np.int64)), TypeError, r"indices and indptr must share one dtype"),
        (with_change(1, lambda a: a.astype(np.float64)), TypeError, r"indices has dtype float64 but must be int32"),
        (with_change(2, lambda a: a.astype(np.uint32)), TypeError, r"indptr has dtype uint32"),
        (with_change(0, lambda a: a.astype(np.int64)), TypeError, r"data has dtype int64"),
        (with_change(0, lambda a: a[:-1]), ValueError, r"indices has \d+ entries but data has \d+"),
        (with_change(2, lambda a: a[:1]), ValueError, r"indptr must have n_rows \+ 1 >= 2 entries"),
        (with_change(2, lambda a: a + 1), ValueError, r"indptr\[0\] must be 0"),
        (with_change(2, lambda a: set_item(a, 5, a[4] - 1)), ValueError, r"indptr must not decrease.*indptr\[5\] < indptr\[4\]"),
        (with_change(2, lambda a: set_item(a, -1, a[-1] + 1)), ValueError, r"indptr\[-1\] is larger than"),
        (with_change(1, lambda a: set_item(a, 3, 6)), ValueError, r"indices\[3\] is not a column index in \[0, len\(w\)\)"),
        (with_change(1, lambda a: set_item(a, 0, -1)), ValueError, r"indices\[0\] is not a column index"),
    ],
)
def test_csr_floor_refuses_bad_structure(parts, error, message):
    with pytest.raises(error, match=message):
        _core.shuffled_csr_floor(*parts, np.ones(6))


def test_csr_floor_checks_w():
    values, indices, indptr = csr_parts()
    with pytest.raises(TypeError, match=r"w has dtype float32 but data is float64"):
        _core.shuffled_csr_floor(values, indices, indptr, np.ones(6, np.float32))
    with pytest.raises(ValueError, match=r"indices\[\d+\] is not a column index"):
        _core.shuffled_csr_floor(values, indices, indptr, np.ones(2))
    with pytest.raises(ValueError, match=r"w is required"):
        bench.shuffled_csr_floor((values, indices, indptr))
    with pytest.raises(ValueError, match=r"\(data, indices, indptr\)"):
        bench.shuffled_csr_floor((values, indices), np.ones(6))
    with pytest.raises(TypeError, match=r"scipy\.sparse CSR matrix or a tuple"):
        bench.shuffled_csr_floor(np.ones((3, 3)))


def test_ctrl_c_stops_a_long_measurement():
    """Ctrl-C during a measurement of many passes raises KeyboardInterrupt at the next pass
    instead of after all of them (200,000 passes of ~10 us: seconds without the check)."""
    import os
    import signal
    import threading
    import time

    X, w = data(n=500, d=16)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _core.shuffled_floor(X, w, 1, 200_000)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 1.5


@pytest.mark.parametrize("measure", [bench.streaming_floor, bench.shuffled_floor])
def test_python_floors_pass_input_to_the_core_unconverted(measure):
    with pytest.raises(TypeError, match=r"X must be a NumPy array, got list"):
        measure([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"X has dtype int64"):
        measure(np.ones((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match=r"X must be 2-dimensional"):
        measure(np.ones(3))
