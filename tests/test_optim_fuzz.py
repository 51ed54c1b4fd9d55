"""Fuzz tests of the optimizers, state dicts and minimize (issue 11).

Every case drawn here must end in one of two ways: a TypeError or ValueError with nothing
the caller owns changed (parameters, state, the inputs themselves), or the result that a
well-behaved caller gets from clean input (a C-contiguous float array of the parameters'
dtype, taken before the step)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pygdx
from pygdx import optim

from _hostile import (HOSTILE_DTYPES, REAL_DTYPES, SETTINGS, assert_same, extreme_floats, hostile_array, laid_out,
                     real_values, shapes)

RULES = {
    "SGD": {"momentum": 0.9, "nesterov": True},
    "Adagrad": {"lr_decay": 0.01},
    "RMSprop": {"momentum": 0.5, "centered": True},
    "Adadelta": {},
    "Adam": {"amsgrad": True, "weight_decay": 0.1},
    "AdamW": {},
    "Adamax": {},
    "NAdam": {},
    "RAdam": {},
}


def snapshot(opt):
    return [p.copy() for p in opt.params], opt.state_dict()


def assert_unchanged(opt, before):
    params, sd = before
    for p, q in zip(opt.params, params):
        assert_same(p, q)
    now = opt.state_dict()
    assert now["step"] == sd["step"] and now["defaults"] == sd["defaults"]
    for x, y in zip(now["state"], sd["state"]):
        for k in x:
            assert_same(x[k], y[k])


@st.composite
def gradient_cases(draw):
    """(parameter shape, its dtype, a gradient as passed, the clean gradient or None if it must be refused)."""
    shape = draw(shapes)
    pdtype = draw(st.sampled_from([np.float32, np.float64]))
    hostile = draw(st.booleans())
    wrong_shape = draw(st.integers(0, 9)) == 0
    gshape = draw(shapes.filter(lambda s: s != shape)) if wrong_shape else shape
    if hostile:
        values = hostile_array(gshape, draw(st.sampled_from(HOSTILE_DTYPES)))
    else:
        values = real_values(draw, draw(st.sampled_from(REAL_DTYPES)), gshape)
    layout = draw(st.sampled_from(["plain", "strided", "reversed", "fortran", "misaligned", "readonly", "list"]))
    grad = laid_out(values, layout)
    if layout == "list" and gshape == (1, *shape) and not hostile:
        # A list of one gradient: step()'s form for a list of parameters, also with one.
        with np.errstate(over="ignore", invalid="ignore"):
            clean = np.array(values[0], dtype=pdtype, order="C")
    elif hostile or wrong_shape:
        clean = None
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            clean = np.array(values, dtype=pdtype, order="C")
    return shape, pdtype, grad, clean


@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(case=gradient_cases(), start=st.floats(-10, 10))
def test_any_gradient_is_refused_cleanly_or_equals_its_clean_copy(name, case, start):
    shape, pdtype, grad, clean = case
    w = np.full(shape, start, dtype=pdtype)
    opt = getattr(optim, name)(w, lr=0.01, **RULES[name])
    opt.step(np.ones(shape, dtype=pdtype))  # some state to protect
    grad_before = grad.copy() if isinstance(grad, np.ndarray) else None
    before = snapshot(opt)
    twin_w = w.copy()
    twin = getattr(optim, name)(twin_w, lr=0.01, **RULES[name])
    twin.load_state_dict(opt.state_dict())
    with np.errstate(all="ignore"):
        if clean is None:
            with pytest.raises((TypeError, ValueError)):
                opt.step(grad)
            assert_unchanged(opt, before)
        else:
            opt.step(grad)
            twin.step(clean)
            assert_same(w, twin_w)
    # Nothing the caller handed in was written to.
    if grad_before is not None:
        np.testing.assert_array_equal(grad, grad_before)


@st.composite
def aliased_steps(draw):
    """Parameters that are disjoint slices of one buffer and gradients that are any slices of it."""
    size = draw(st.integers(6, 30))
    cuts = sorted(draw(st.lists(st.integers(1, size - 1), min_size=1, max_size=3, unique=True)))
    bounds = list(zip([0] + cuts, cuts + [size]))
    grads = []
    for lo, hi in bounds:
        n = hi - lo
        start = draw(st.integers(0, size - n))
        grads.append((start, start + n))
    values = draw(hnp.arrays(np.float64, size, elements=st.floats(-4, 4)))
    return values, bounds, grads


@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(case=aliased_steps())
def test_gradients_aliasing_parameters_are_read_as_they_were_at_the_call(name, case):
    values, bounds, grads = case
    buf = values.copy()
    params = [buf[lo:hi] for lo, hi in bounds]
    opt = getattr(optim, name)(params, lr=0.1, **RULES[name])
    ref_buf = values.copy()
    ref = getattr(optim, name)([ref_buf[lo:hi] for lo, hi in bounds], lr=0.1, **RULES[name])
    for _ in range(2):
        ref.step([ref_buf[lo:hi].copy() for lo, hi in grads])
        opt.step([buf[lo:hi] for lo, hi in grads])
        np.testing.assert_array_equal(buf, ref_buf)


HOSTILE_VALUES = st.one_of(
    extreme_floats,
    st.sampled_from([None, "0.1", b"1", 1 + 1j, [0.1], (0.9, 0.999, 0.5), True, -1, 2**70]),
    st.integers(-(2**70), 2**70),
)


@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(data=st.data())
def test_hostile_hyperparameters_are_refused_or_checked(name, data):
    cls = getattr(optim, name)
    keys = [k for k in cls(np.zeros(1)).defaults if k not in ("maximize", "decoupled_weight_decay", "amsgrad",
                                                                  "centered", "nesterov")] + ["lr"]
    key = data.draw(st.sampled_from(keys))
    value = data.draw(HOSTILE_VALUES if key != "betas" else st.tuples(HOSTILE_VALUES, HOSTILE_VALUES))
    w = np.ones(3)
    try:
        opt = cls(w, **{key: value})
    except (TypeError, ValueError):
        np.testing.assert_array_equal(w, 1.0)
        # load_state_dict refuses the same value with the same type of error
        opt = cls(w)
        sd = opt.state_dict()
        if key == "lr":
            sd["lr"] = value
        else:
            sd["defaults"][key] = value
        before = snapshot(opt)
        with pytest.raises((TypeError, ValueError)):
            opt.load_state_dict(sd)
        assert_unchanged(opt, before)
        return
    # Accepted: every stored hyperparameter is a finite real number.
    for k, v in opt.defaults.items():
        for x in v if isinstance(v, tuple) else (v,):
            assert isinstance(x, (bool, float)) and math.isfinite(x), (k, v)
    assert math.isfinite(opt.lr) and opt.lr > 0


@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(data=st.data())
def test_a_tampered_state_dict_loads_exactly_or_changes_nothing(name, data):
    w = np.linspace(-1, 1, 4)
    opt = getattr(optim, name)(w, lr=0.05, **RULES[name])
    opt.step(np.linspace(1, 2, 4))
    sd = opt.state_dict()
    slot = data.draw(st.sampled_from(sorted(sd["state"][0])))
    hostile = data.draw(st.booleans())
    shape = data.draw(st.sampled_from([(4,), (4,), (3,), (2, 2)]))
    if hostile:
        new = hostile_array(shape, data.draw(st.sampled_from(HOSTILE_DTYPES)))
    else:
        new = real_values(data.draw, data.draw(st.sampled_from(REAL_DTYPES)), shape)
    sd["state"][0][slot] = new
    before = snapshot(opt)
    try:
        opt.load_state_dict(sd)
    except (TypeError, ValueError):
        assert_unchanged(opt, before)
        return
    assert not hostile
    loaded = opt.state[0][slot]
    np.testing.assert_array_equal(loaded, np.asarray(new, dtype=w.dtype))
    assert np.isfinite(loaded).all()
    opt.step(np.ones(4))  # and it steps


@st.composite
def starts(draw):
    shape = draw(shapes)
    if draw(st.booleans()):
        return hostile_array(shape, draw(st.sampled_from(HOSTILE_DTYPES)))
    if draw(st.booleans()):
        return real_values(draw, draw(st.sampled_from(REAL_DTYPES)), shape)
    return draw(st.sampled_from([1 + 2j, "1.0", None, [1.0, None], [[1.0], [2.0, 3.0]], float("nan"), 2.0]))


@SETTINGS
@given(x0=starts(), jac_kind=st.sampled_from(["good", "complex", "text", "none", "shape", "nan"]))
def test_minimize_refuses_hostile_starts_and_gradients_cleanly(x0, jac_kind):
    jacs = {
        "good": lambda x: 2 * np.asarray(x),
        "complex": lambda x: 2 * np.asarray(x) + 1j,
        "text": lambda x: np.full(np.shape(x), "1"),
        "none": lambda x: None,
        "shape": lambda x: np.zeros(np.size(x) + 1),
        "nan": lambda x: np.full(np.shape(x), np.nan),
    }
    kept = x0.copy() if isinstance(x0, np.ndarray) else None
    try:
        with np.errstate(all="ignore"):
            res = pygdx.minimize(lambda x: float(np.sum(np.square(x))), x0, jac=jacs[jac_kind], lr=0.1, max_iter=5)
    except (TypeError, ValueError):
        pass
    else:
        assert jac_kind == "good"
        assert np.asarray(x0).dtype.kind in "biuf" and np.isfinite(x0).all()
        assert np.shape(res.x) == np.shape(x0) and np.isfinite(res.x).all()
    if kept is not None:
        assert x0.dtype == kept.dtype
        np.testing.assert_array_equal(x0, kept)  # x0 is never written


@SETTINGS
@given(value=st.one_of(st.sampled_from([1 + 1j, "2.0", b"2", None, np.datetime64("2020-01-01"), [1.0, 2.0],
                                        np.array([1.0 + 0j])]), st.floats()))
def test_finite_differences_accept_real_values_only(value):
    try:
        g = pygdx.numerical_gradient(lambda x: value, np.ones(2))
    except (TypeError, ValueError):
        return
    assert isinstance(value, float)
    assert np.all(g == 0) or not math.isfinite(value)


GROUP_OPTIONS = {
    "SGD": {"momentum": st.sampled_from([0.0, 0.5]), "weight_decay": st.sampled_from([0.0, 0.1]),
            "maximize": st.booleans()},
    "Adam": {"betas": st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.999)), "amsgrad": st.booleans(),
             "weight_decay": st.floats(0.0, 0.5), "eps": st.floats(1e-10, 1e-3)},
    "RMSprop": {"alpha": st.floats(0.5, 1.0), "centered": st.booleans(), "momentum": st.floats(0.0, 0.9)},
    "NAdam": {"momentum_decay": st.floats(0.0, 0.01), "decoupled_weight_decay": st.booleans()},
}


@pytest.mark.parametrize("name", list(GROUP_OPTIONS))
@SETTINGS
@given(data=st.data())
def test_groups_step_as_separate_optimizers_would(name, data):
    """Each group of a multi-group optimizer moves exactly as an optimizer of its own with
    the group's options would."""
    n_groups = data.draw(st.integers(1, 3))
    sizes = [data.draw(st.integers(1, 4)) for _ in range(n_groups)]
    options = [{k: data.draw(s) for k, s in GROUP_OPTIONS[name].items() if data.draw(st.booleans())}
               for _ in range(n_groups)]
    rates = [data.draw(st.floats(1e-3, 0.5)) for _ in range(n_groups)]
    params = [np.linspace(-1, 1, n) for n in sizes]
    singles = [p.copy() for p in params]
    cls = getattr(optim, name)
    opt = cls([{"params": [p], "lr": r, **o} for p, r, o in zip(params, rates, options)], lr=0.01)
    separate = [cls(p, lr=r, **o) for p, r, o in zip(singles, rates, options)]
    for step in range(4):
        grads = [np.cos(p * (step + 1)) for p in params]
        opt.step(grads)
        for o, g in zip(separate, [np.cos(p * (step + 1)) for p in singles]):
            o.step(g)
        for p, q in zip(params, singles):
            np.testing.assert_array_equal(p, q)
