"""Time of one optimizer step: pygdx against the NumPy reference and torch.optim.

Groups are "<rule>-<dtype>-P=<size>"; within a group compare the implementations:

- ``pygdx-1t`` / ``torch-1t``: one thread each (torch.set_num_threads(1), n_threads=1);
- ``pygdx-<n>t`` / ``torch-<n>t``: every core, for the sizes where threads can matter;
- ``numpy``: :mod:`pygdx.reference` (NumPy is single-threaded for these operations).

torch runs its fused CPU kernel where it has one (Adam, SGD, Adagrad), else foreach
(RMSprop). With ``--benchmark-disable`` (CI) every case runs once, to stay correct.

    pytest benchmarks/bench_optim.py --benchmark-enable --benchmark-group-by=group --benchmark-columns=min,median,rounds
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from pygdx import optim, reference

SIZES = [10, 1_000, 100_000, 10_000_000]
DTYPES = {"f32": np.float32, "f64": np.float64}
RULES = {
    "adam": ("Adam", {}),
    "sgd_momentum": ("SGD", {"momentum": 0.9}),
    "rmsprop": ("RMSprop", {}),
    "adagrad": ("Adagrad", {}),
}
TORCH_FUSED = {"Adam", "SGD", "Adagrad"}
N_CORES = os.cpu_count() or 1
# Threads cannot pay for themselves below this size (see min_elements_per_thread in C++).
THREADED_SIZES = [size for size in SIZES if size >= 1_000_000]
LR = 1e-3


def implementations():
    impls = [(impl, size) for size in SIZES for impl in ("pygdx-1t", "numpy", "torch-1t")]
    if N_CORES > 1:
        impls += [(impl, size) for size in THREADED_SIZES for impl in (f"pygdx-{N_CORES}t", f"torch-{N_CORES}t")]
    return impls


def threads_of(impl: str) -> int:
    return int(impl.rsplit("-", 1)[1].rstrip("t"))


def problem(size: int, dtype):
    # Uniform values in [0.5, 1.5): cheap to draw at 1e7, and the update touches every
    # element the same way whatever the values are.
    rng = np.random.default_rng(0)
    return rng.random(size, dtype=dtype) + dtype(0.5), rng.random(size, dtype=dtype) - dtype(0.5)


def numpy_step(rule_name, options, param, grad):
    opt = getattr(reference.optim, rule_name)(param, lr=LR, **options)
    return lambda: opt.step(grad)


def pygdx_step(rule_name, options, param, grad, n_threads):
    opt = getattr(optim, rule_name)(param, lr=LR, n_threads=n_threads, **options)
    return opt.step, grad


def torch_step(rule_name, options, param, grad, n_threads):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(n_threads)
    tensor = torch.from_numpy(param)
    tensor.grad = torch.from_numpy(grad)
    kernel = {"fused": True} if rule_name in TORCH_FUSED else {"foreach": True}
    opt = getattr(torch.optim, rule_name)([tensor], lr=LR, **options, **kernel)
    return opt.step


@pytest.fixture
def restore_torch_threads():
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(("impl", "size"), implementations(), ids=lambda v: f"P={v:.0e}" if isinstance(v, int) else v)
@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("rule", list(RULES))
def test_step(benchmark, restore_torch_threads, rule, dtype_name, impl, size):
    rule_name, options = RULES[rule]
    param, grad = problem(size, DTYPES[dtype_name])
    start = param.copy()
    benchmark.group = f"{rule}-{dtype_name}-P={size:.0e}"
    benchmark.extra_info.update(rule=rule, dtype=dtype_name, size=size, impl=impl)
    if impl == "numpy":
        benchmark(numpy_step(rule_name, options, param, grad))
    elif impl.startswith("pygdx"):
        step, g = pygdx_step(rule_name, options, param, grad, threads_of(impl))
        benchmark(step, g)
    else:
        benchmark(torch_step(rule_name, options, param, grad, threads_of(impl)))
    # Every implementation really updated the caller's parameters.
    assert not np.array_equal(param, start)
