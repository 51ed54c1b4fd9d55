"""Shared pieces of the fuzz tests (tests/test_*_fuzz.py): hostile dtypes, layouts and
values, the hypothesis settings, and the checks that nothing the caller owns changed.

The settings are derandomized and use no example database, so CI draws the same cases on
every run and machine."""

from __future__ import annotations

import copy
import pickle

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

REAL_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int64, np.uint8, np.bool_]
HOSTILE_DTYPES = [np.complex64, np.complex128, "M8[D]", "m8[s]", "U4", "S4", object, [("a", "f8"), ("b", "i4")]]
LAYOUTS = ["plain", "strided", "reversed", "fortran", "misaligned", "readonly", "list"]


def fuzz_settings(max_examples: int = 60) -> settings:
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


SETTINGS = fuzz_settings()

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
extreme_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-308, 5e-324, 1e308, -1e308, 65504.0]),
)


# What an object array may hold that is not a real number (None would become NaN, text a
# number, when converted leniently).
OBJECT_ITEMS = [None, "1.5", 1j, b"2", [1.0], {}]


def hostile_array(shape, dtype, item=None) -> np.ndarray:
    """An array of a dtype that is not real numbers (objects: ``item``, by default None)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "O":
        out = np.empty(shape, dtype=object)
        out.fill(item)  # fill, not full: a list item is one element, not a row
        return out
    return np.zeros(shape, dtype=dtype)


@st.composite
def hostile_arrays(draw, shape) -> np.ndarray:
    """An array of any dtype that is not real numbers, objects of any kind among real numbers."""
    out = hostile_array(shape, draw(st.sampled_from(HOSTILE_DTYPES)), draw(st.sampled_from(OBJECT_ITEMS)))
    if out.dtype == object and out.size > 1 and draw(st.booleans()):
        out.flat[0] = 1.0  # one number among the non-numbers
    return out


def laid_out(values: np.ndarray, layout: str) -> object:
    """The same values in a hostile memory layout (or as nested lists)."""
    if layout == "strided":
        big = np.zeros(values.shape + (2,), dtype=values.dtype)
        big[..., 0] = values
        return big[..., 0]
    if layout == "reversed":
        return values[::-1].copy()[::-1] if values.ndim else values
    if layout == "fortran" and values.ndim:  # asfortranarray makes a 0-d array 1-d
        return np.asfortranarray(values)
    if layout == "misaligned" and values.dtype.kind not in "OUSV" and values.dtype.itemsize > 1:
        raw = np.zeros(values.nbytes + 1, dtype=np.uint8)
        out = raw[1:].view(values.dtype).reshape(values.shape)
        out[...] = values
        return out
    if layout == "readonly":
        out = values.copy()
        out.flags.writeable = False
        return out
    if layout == "list":
        return values.tolist()
    return values


def real_values(draw, dtype, shape) -> np.ndarray:
    """Values of any real dtype, drawn as extreme float64 values and cast like NumPy casts them."""
    with np.errstate(all="ignore"):
        return draw(hnp.arrays(np.float64, shape, elements=extreme_floats)).astype(dtype)


def assert_same(a, b):
    np.testing.assert_array_equal(a, b)  # NaN equals NaN here
    assert a.dtype == b.dtype


def frozen(value):
    """A deep copy of what the caller handed in, to compare with afterwards (None when it
    cannot be copied, e.g. a generator)."""
    if isinstance(value, np.ndarray):
        kept = value.copy()
        kept.flags.writeable = value.flags.writeable
        return kept
    if isinstance(value, (tuple, list)):
        return type(value)(frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: frozen(v) for k, v in value.items()}
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an uncopyable input is simply not compared
        return None


def assert_input_unchanged(now, before) -> None:
    """Arrays bit for bit (dtype and flags too), lists and tuples element by element."""
    if isinstance(before, np.ndarray):
        assert isinstance(now, np.ndarray) and now.dtype == before.dtype and now.shape == before.shape
        assert now.tobytes() == before.tobytes() if before.dtype != object else now.tolist() == before.tolist()
        assert now.flags.writeable == before.flags.writeable
    elif isinstance(before, (list, tuple)):
        assert type(now) is type(before) and len(now) == len(before)
        for x, y in zip(now, before):
            assert_input_unchanged(x, y)
    elif isinstance(before, dict):
        assert type(now) is dict and list(now) == list(before)
        for k in before:
            assert_input_unchanged(now[k], before[k])
    elif before is not None:
        assert now == before or now != now  # NaN stays NaN


def estimator_snapshot(est) -> bytes:
    """Every parameter and fitted attribute of an estimator (weights, optimizer state,
    random generator, curves, classes) as bytes: equal exactly when nothing changed."""
    # attribute by attribute: one pickle of everything would also compare which objects share
    # memory (pickle's memo), which a rollback need not preserve; in sorted order, since a
    # rollback that restores attributes may put them back in another order
    return pickle.dumps((sorted((k, pickle.dumps(v, protocol=5)) for k, v in est.get_params(deep=False).items()),
                         sorted((k, pickle.dumps(v, protocol=5)) for k, v in est.__dict__.items())), protocol=5)
