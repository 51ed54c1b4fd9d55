"""The per-call shortcuts of a fit (session 13): parameter sets accepted before are not checked
again, and a continued optimizer's settings are copied without deepcopy when they are plain
values. Each must give exactly what the full path gives, and catch every bad value it caught."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import pygdx
from pygdx import optim, schedules
from pygdx._validation import InvalidParameterError, validate_params


def _data(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)).astype(dtype)
    return X, (X @ np.array([1.0, -2.0, 0.5])).astype(dtype)


def test_a_value_of_another_type_is_checked_again():
    # True == 1 and hash(True) == hash(1): a key without the type would take max_iter=True
    # for the accepted max_iter=1.
    validate_params("GDRegressor", {"max_iter": 1, "alpha": 1e-4})
    with pytest.raises(InvalidParameterError, match="max_iter"):
        validate_params("GDRegressor", {"max_iter": True, "alpha": 1e-4})
    validate_params("GDRegressor", {"max_iter": 5.0})
    with pytest.raises(InvalidParameterError, match="max_iter"):
        validate_params("GDRegressor", {"max_iter": 5.5})


def test_partial_fit_refuses_a_bad_value_set_between_calls_and_changes_nothing():
    X, y = _data()
    est = pygdx.GDRegressor(batch_size=1, random_state=0)
    est.partial_fit(X, y)
    est.partial_fit(X, y)  # the accepted set, from the cache
    coef, n_iter = est.coef_.copy(), est.n_iter_
    for name, bad in (("alpha", -1.0), ("max_iter", True), ("shuffle", 1), ("lr", float("nan"))):
        good = est.get_params()[name]
        est.set_params(**{name: bad})
        with pytest.raises((InvalidParameterError, ValueError)):
            est.partial_fit(X, y)
        np.testing.assert_array_equal(est.coef_, coef)
        assert est.n_iter_ == n_iter
        est.set_params(**{name: good})
    est.partial_fit(X, y)
    assert est.n_iter_ == n_iter + 1


def test_a_parameter_changed_in_place_is_checked_again():
    # A dict is never cached: changed in place, it is checked on the next call.
    X, y = _data()
    params = {"momentum": 0.5}
    est = pygdx.GDRegressor(optimizer="sgd", batch_size=1, random_state=0, optimizer_params=params)
    est.partial_fit(X, y)
    params["lr"] = 0.1
    with pytest.raises(ValueError, match="lr=..."):
        est.partial_fit(X, y)


def _deep(opt):
    return copy.deepcopy(([{k: v for k, v in g.items() if k != "params"} for g in opt._groups], opt._schedules,
                          opt._default_lr))


def _same_settings(a, b):
    assert a[0] == b[0] and a[2] == b[2]
    assert [type(s) for s in a[1]] == [type(s) for s in b[1]]
    assert [s.__dict__ for s in a[1]] == [s.__dict__ for s in b[1]]


@pytest.mark.parametrize("lr", [0.1, schedules.ConstantLR(0.1), schedules.StepLR(0.1, step_size=3),
                                schedules.ConstantLR(0.1, factor=0.5)])
def test_copied_settings_equal_a_deep_copy(lr):
    opt = optim.Adam([np.zeros(3)], lr=lr)
    copied = opt._copied_settings()
    _same_settings(copied, _deep(opt))
    assert all(new is not old for new, old in zip(copied[1], opt._schedules))
    assert copied[0][0] is not opt._groups[0]


def test_copied_settings_keep_a_shared_schedule_shared():
    opt = optim.SGD([np.zeros(3), np.zeros(2)], lr=0.1)
    opt.add_param_group({"params": [np.zeros(4)]})
    opt.lr = 0.05  # one ConstantLR for every group
    assert opt._schedules[0] is opt._schedules[1]
    copied = opt._copied_settings()
    _same_settings(copied, _deep(opt))
    assert copied[1][0] is copied[1][1] and copied[1][0] is not opt._schedules[0]


def test_copied_settings_of_a_schedule_rate_keep_it_one_object_with_its_group():
    # lr given as a Schedule sits in the group's options too: the deep copy path keeps the two one object.
    step = schedules.StepLR(0.1, step_size=3)
    opt = optim.SGD([np.zeros(3)], lr=step)
    options, copied, _ = opt._copied_settings()
    assert options[0]["lr"] is copied[0] and copied[0] is not step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_partial_fit_continued_equals_a_fresh_optimizer_loaded_from_the_state(dtype):
    # The continuation (with the shortcut copy) steps exactly as load_state_dict(state_dict()).
    X, y = _data(dtype)
    est = pygdx.GDRegressor(batch_size=1, random_state=0, optimizer="adam", lr=0.01)
    for _ in range(3):
        est.partial_fit(X, y)
    opt = est._optimizer
    twin = optim.Adam([est._theta.copy()], lr=0.01)
    twin.load_state_dict(opt.state_dict())
    continued = opt._continued_on([est._theta.copy()])
    g = np.arange(4, dtype=dtype) / 10
    twin.step(g)
    continued.step(g)
    np.testing.assert_array_equal(continued.params[0], twin.params[0])
    assert continued.t == twin.t == opt.t + 1
    assert opt._schedules[0] is not continued._schedules[0]


@pytest.mark.parametrize("value", [
    None, 1, 1.5, "adam", True, (), ("sgd", 0.1, None, -1), ("sgd", 0.1, {"momentum": 0.9}, None), [1, 2.0],
    {"a": [1, 2]}, ("sgd", schedules.StepLR(0.1, step_size=2), None, 1), (optim.SGD, 0.1, None, None),
    ("sgd", 0.1, {"betas": (0.9, 0.99)}, None), np.float64(0.1),
])
def test_plain_copy_equals_a_deep_copy_and_shares_nothing_mutable(value):
    from pygdx._plain import plain_copy
    copied = plain_copy(value)
    assert repr(copied) == repr(copy.deepcopy(value)) and type(copied) is type(value)

    def mutable_parts(v):
        if isinstance(v, (list, dict)) or hasattr(v, "__dict__") and not isinstance(v, type):
            yield v
        for part in (v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else ()):
            yield from mutable_parts(part)

    originals = {id(p) for p in mutable_parts(value)}
    assert not originals & {id(p) for p in mutable_parts(copied)}


def test_optimizer_params_changed_in_place_after_a_fit_start_a_new_optimizer():
    # The settings kept at a fit are a copy: a dict changed in place after it differs from them.
    X, y = _data()
    params = {"momentum": 0.5}
    est = pygdx.GDRegressor(optimizer="sgd", batch_size=1, random_state=0, optimizer_params=params)
    est.partial_fit(X, y)
    assert est._optimizer_config[2] == {"momentum": 0.5} and est._optimizer_config[2] is not params
    params["momentum"] = 0.25
    est.partial_fit(X, y)
    assert est._optimizer.param_groups[0]["momentum"] == 0.25


class _IndexGiven:
    """InMemory as before session 13: every row through an index made in Python (np.arange)."""

    def __new__(cls, X, y, sample_weight, rows=None, held_out=None):
        return _IN_MEMORY(X, y, sample_weight, np.arange(X.shape[0], dtype=np.int64) if rows is None else rows,
                          held_out)


_IN_MEMORY = pygdx._training.InMemory  # the real class, kept while tests patch it


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 7, 32])
def test_the_sources_own_order_gives_the_bits_of_an_index_made_in_python(monkeypatch, dtype, batch):
    # Shuffled epochs over the core's own 0..n-1 (own_order=True): the same rows in the same
    # order, epoch after epoch, as through np.arange's index, for fit and for partial_fit.
    from pygdx import _training, estimators
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1_003, 9)).astype(dtype)
    y = (X @ rng.normal(size=9) + 0.1 * rng.normal(size=1_003)).astype(dtype)

    def fits():
        fitted = pygdx.GDRegressor(optimizer="sgd", lr=0.01, batch_size=batch, max_iter=4, tol=None,
                                   random_state=3).fit(X, y)
        partial = pygdx.GDRegressor(optimizer="adam", lr=0.01, batch_size=batch, random_state=4)
        for _ in range(3):
            partial.partial_fit(X, y)
        in_order = pygdx.GDRegressor(optimizer="sgd", lr=0.01, batch_size=batch, max_iter=2, tol=None,
                                     shuffle=False).fit(X, y, sample_weight=np.linspace(0.5, 2.0, len(y)))
        return [fitted.coef_, fitted.intercept_, fitted.loss_curve_, partial.coef_, partial.intercept_,
                partial.loss_curve_, in_order.coef_, in_order.intercept_]

    own = fits()
    monkeypatch.setattr(estimators._training, "InMemory", _IndexGiven)
    given = fits()
    for a, b in zip(own, given):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_the_sources_own_order_is_every_row_and_is_shuffled_by_the_seeds():
    from pygdx import _core
    X = np.arange(20.0).reshape(10, 2)
    pb = pygdx.GDRegressor()._problem(2, 1)
    source = _core.DenseSource(pb, X, X[:, 0], None, None, 1, 1, own_order=True)
    np.testing.assert_array_equal(source.order, np.arange(10))
    with pytest.raises(ValueError, match="not both"):
        _core.DenseSource(pb, X, X[:, 0], None, np.arange(10, dtype=np.int64), 1, 1, own_order=True)
    est = pygdx.GDRegressor(optimizer="sgd", batch_size=1)
    est.partial_fit(X, X[:, 0])
    opt = est._optimizer
    hyper, schedule, counters, states = opt.core_buffers()
    trainer = _core.LinearTrainer(pb, hyper, schedule, counters, est._theta, states, _core.StoppingRule(None))
    trainer.run(source, np.array([12345], dtype=np.int64), 1, True)
    expected = np.arange(10, dtype=np.int64)
    _core.shuffle_rows(expected, 12345)
    np.testing.assert_array_equal(source.order, expected)
    assert not np.array_equal(expected, np.arange(10))
