"""Fuzz tests of the learning-rate schedules (issue 11).

A parameter value is accepted or refused alike by the constructor, ``set_params`` and plain
assignment (a TypeError for a wrong type, a ValueError for a wrong value), and a refused
value changes nothing. An accepted schedule gives finite rates >= 0 at every step, the same
after pickling and after rebuilding it from ``get_params``. A step ``t`` is an integer >= 1:
anything else is refused the same way."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pygdx import _core
from pygdx import schedules as S
from pygdx.schedules import Schedule
from pygdx.schedules._tabulated import MOST_TABLE_STEPS

from _hostile import fuzz_settings

SETTINGS = fuzz_settings(20)
STEPS = np.arange(1, 31)


def inverse(t):
    return 1.0 / (1 + t)


def halving(t):
    return 0.5


def returns_nan(t):
    return float("nan")


def returns_text(t):
    return "0.5"


def returns_negative(t):
    return -1.0


def returns_complex(t):
    return 0.5 + 1j


VALID = {
    "ConstantLR": lambda: {"lr": 0.1},
    "StepLR": lambda: {"lr": 0.1, "step_size": 3},
    "MultiStepLR": lambda: {"lr": 0.1, "milestones": [2, 5]},
    "ExponentialLR": lambda: {"lr": 0.1, "gamma": 0.9},
    "InverseTimeLR": lambda: {"lr": 0.1},
    "LinearLR": lambda: {"lr": 0.1},
    "PolynomialLR": lambda: {"lr": 0.1},
    "CosineAnnealingLR": lambda: {"lr": 0.1, "T_max": 10},
    "CosineAnnealingWarmRestarts": lambda: {"lr": 0.1, "T_0": 5},
    "CyclicLR": lambda: {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4},
    "OneCycleLR": lambda: {"max_lr": 0.1, "total_steps": 20},
    "SWALR": lambda: {"lr": 0.1, "swa_lr": 0.05},
    "ReduceLROnPlateau": lambda: {"lr": 0.1},
    "AdaptiveLR": lambda: {"lr": 0.1},
    "OptimalLR": lambda: {"alpha": 1e-4},
    "LambdaLR": lambda: {"lr": 0.1, "lr_lambda": inverse},
    "MultiplicativeLR": lambda: {"lr": 0.1, "lr_lambda": halving},
    "SequentialLR": lambda: {"schedulers": [S.LinearLR(0.1), S.ExponentialLR(0.1, gamma=0.9)], "milestones": [5]},
    "ChainedScheduler": lambda: {"schedulers": [S.StepLR(0.1, step_size=2), S.ExponentialLR(0.1, gamma=0.9)]},
}


def test_every_schedule_is_fuzzed():
    assert set(VALID) == {n for n in S.__all__ if isinstance(getattr(S, n), type)} - {"Schedule"}


HOSTILE_VALUES = st.one_of(
    st.sampled_from([None, "0.1", "3", b"1", 1 + 1j, True, False, 0, 1, 2, -1, 3.5, 2**70, 2**62, 1e308, 5e-324,
                     float("nan"), float("inf"), -float("inf"), -0.0, np.float64(0.5), np.int64(4), np.bool_(True),
                     [], [3], [1.5], [float("nan")], [float("inf")], [-1], ["a"], "12", (2, 4), {}, object(),
                     np.array([2, 4]), "cos", "linear", "min", "max", "rel", "abs", "triangular", "exp_range",
                     "iterations", inverse, returns_nan, returns_text, returns_negative, returns_complex,
                     S.StepLR(0.1, step_size=2), [S.ConstantLR(0.1)], [S.ConstantLR(0.1), 0.1]]),
    st.floats(),
    st.integers(-(2**65), 2**65),
)


def outcome(call):
    try:
        with np.errstate(all="ignore"):
            return call()
    except (TypeError, ValueError) as exc:
        return exc


def rates_of(s: Schedule) -> np.ndarray | Exception:
    return outcome(lambda: np.array([s(int(t)) for t in STEPS]))


def same_outcome(a, b) -> None:
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b), (a, b)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(VALID))
@SETTINGS
@given(data=st.data())
def test_constructor_set_params_and_assignment_accept_and_refuse_alike(name, data):
    cls = getattr(S, name)
    key = data.draw(st.sampled_from(cls._param_names()))
    value = data.draw(HOSTILE_VALUES)
    built = outcome(lambda: cls(**{**VALID[name](), key: value}))
    by_set_params, by_assignment = cls(**VALID[name]()), cls(**VALID[name]())
    params_before = by_set_params.get_params(deep=False)
    rates_before = rates_of(by_set_params)
    set_outcome = outcome(lambda: by_set_params.set_params(**{key: value}))
    assign_outcome = outcome(lambda: setattr(by_assignment, key, value))
    if isinstance(built, Exception):
        # refused by all three the same way, and the refused value is not kept
        assert type(set_outcome) is type(built), (built, set_outcome)
        assert type(assign_outcome) is type(built), (built, assign_outcome)
        for s in (by_set_params, by_assignment):
            assert s.get_params(deep=False) == params_before
            same_outcome(rates_of(s), rates_before)
        return
    assert not isinstance(set_outcome, Exception), set_outcome
    assert not isinstance(assign_outcome, Exception), assign_outcome
    rates = rates_of(built)
    same_outcome(rates_of(by_set_params), rates)
    same_outcome(rates_of(by_assignment), rates)
    if isinstance(rates, Exception):
        # only a user function may fail when evaluated (its result is checked)
        assert key in ("lr_lambda", "scale_fn"), rates
        return
    # Never NaN nor negative; a growing schedule (ExponentialLR with gamma > 1) may overflow
    # to +inf as its formula does (torch's too): training then stops on non-finite weights.
    assert np.all(rates >= 0), rates
    core = built.to_core(len(STEPS))
    assert math.isfinite(core.lr)
    # pickled, and rebuilt from its parameters: the same schedule
    if key not in ("lr_lambda", "scale_fn") or value in (inverse, halving):
        same_outcome(rates_of(pickle.loads(pickle.dumps(built))), rates)
    rebuilt = cls(**built.get_params(deep=False))
    assert rebuilt == built
    same_outcome(rates_of(rebuilt), rates)


STEP_VALUES = st.one_of(
    st.sampled_from(["3", b"2", 1.5, 2.0, float("inf"), -float("inf"), float("nan"), 2**70, 2**63 - 1, 2**62,
                     True, False, None, 3 + 0j, [1], np.int64(3), np.uint64(2**63), np.float64(2.0), np.array(3),
                     np.array([3]), 0, -1]),
    st.integers(-5, 100),
    st.floats(),
)


def is_step(t) -> bool:
    """An integer >= 1 (of any integer type, or an integral float) that fits the core's steps."""
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, float, np.integer, np.floating)):
        return False
    return math.isfinite(t) and float(t).is_integer() and 1 <= t < 2**62


@pytest.mark.parametrize("name", sorted(VALID))
@SETTINGS
@given(t=STEP_VALUES, count=st.one_of(st.integers(-2, 5), st.sampled_from([2**70, "2", 1.5, None])))
def test_a_step_is_an_integer_from_one_or_refused(name, t, count):
    s = getattr(S, name)(**VALID[name]())
    tabulated = s._kind == _core.ScheduleKind.table
    # a table is computed step by step in Python up to its last step (refused past 2**27)
    assume(not (tabulated and is_step(t) and 10**5 < t <= MOST_TABLE_STEPS))
    if tabulated and is_step(t) and t > MOST_TABLE_STEPS:
        assert isinstance(outcome(lambda: s(t)), ValueError)
        return
    got = outcome(lambda: s(t))
    if not is_step(t):
        assert isinstance(got, (TypeError, ValueError)), (t, got)
        want = TypeError if isinstance(t, (bool, np.bool_, str, bytes, complex, list, type(None), np.ndarray)) \
            else ValueError
        assert isinstance(got, want), (t, got)
    else:
        assert not isinstance(got, Exception), got
        assert got == s(int(t)) and got >= 0
    many = outcome(lambda: s.rates(t, count))
    if is_step(t) and isinstance(count, int) and 0 <= count < 2**62:
        np.testing.assert_array_equal(many, [s(int(t) + k) for k in range(count)])
    else:
        assert isinstance(many, (TypeError, ValueError)), (t, count, many)


@pytest.mark.parametrize("name", ["MultiStepLR", "SequentialLR"])
@SETTINGS
@given(value=HOSTILE_VALUES)
def test_a_list_parameter_changed_in_place_is_checked_before_use(name, value):
    """No assignment sees milestones.append(x): the core record is built after checking again."""
    s = getattr(S, name)(**VALID[name]())
    s.milestones.append(value)
    got = outcome(lambda: s.to_core(30))
    fresh = outcome(lambda: getattr(S, name)(**{**VALID[name](), "milestones": list(s.milestones)}))
    if isinstance(fresh, Exception):
        assert type(got) is type(fresh), (got, fresh)
    else:
        assert not isinstance(got, Exception), got
        same_outcome(rates_of(s), rates_of(fresh))


@SETTINGS
@given(losses=st.lists(st.one_of(st.floats(), st.sampled_from([None, "1.0", 1j, [1.0], np.float32(2.0), 2**70])),
                       max_size=12))
def test_plateau_observes_real_losses_only(losses):
    s = S.ReduceLROnPlateau(0.1, patience=1)
    reference = S.ReduceLROnPlateau(0.1, patience=1)
    for loss in losses:
        before = pickle.dumps(s)
        got = outcome(lambda: s.observe(loss))
        if isinstance(loss, (str, complex, list, type(None))):
            assert isinstance(got, TypeError), (loss, got)
            assert pickle.dumps(s) == before
            continue
        assert not isinstance(got, Exception), got
        reference.observe(float(loss))
        assert s(1) == reference(1) and s(1) >= 0


def test_optimal_lr_follows_alpha_set_after_construction():
    """The fuzzing found t0 computed once from the first alpha and kept after set_params."""
    s = S.OptimalLR(1e-4).set_params(alpha=0.01)
    assert s.t0 is None and s == S.OptimalLR(0.01)
    assert [s(t) for t in (1, 5)] == [S.OptimalLR(0.01)(t) for t in (1, 5)]
    assert S.OptimalLR(0.01, t0=3.0).set_params(t0=None) == S.OptimalLR(0.01)


@pytest.mark.parametrize("t, error", [("3", TypeError), (b"2", TypeError), (True, TypeError), (1.5, ValueError),
                                      (float("inf"), ValueError), (2**70, ValueError)])
def test_steps_found_by_the_fuzzing(t, error):
    with pytest.raises(error):
        S.StepLR(0.1, step_size=2)(t)
    with pytest.raises(error):
        S.StepLR(0.1, step_size=2).rates(t, 2)


def test_plateau_refuses_a_text_loss():
    with pytest.raises(TypeError, match="loss must be a number"):
        S.ReduceLROnPlateau(0.1).observe("1.0")
