"""pygdx.swa_utils: SWA and EMA of NumPy parameters with torch.optim.swa_utils.AveragedModel's
semantics, against torch (when installed) and against the running-mean definition."""

from __future__ import annotations

import numpy as np
import pytest

import pygdx
from pygdx import optim, schedules
from pygdx.swa_utils import (AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn, get_swa_avg_fn,
                             get_swa_multi_avg_fn)


def trajectory(dtype, n=25, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=4).astype(dtype)] for _ in range(n)]


def torch_average(torch, values, **kwargs):
    dtype = getattr(torch, np.dtype(values[0][0].dtype).name)
    model = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(v.shape, dtype=dtype)) for v in values[0]])
    averaged = torch.optim.swa_utils.AveragedModel(model, **kwargs)
    for step in values:
        with torch.no_grad():
            for p, v in zip(model, step):
                p.copy_(torch.from_numpy(v))
        averaged.update_parameters(model)
    return [p.detach().numpy() for p in averaged.module.parameters()], int(averaged.n_averaged)


FUNCTIONS = {
    "swa-default": {},
    "ema-multi": {"multi_avg_fn": get_ema_multi_avg_fn(0.9)},
    "swa-multi": {"multi_avg_fn": get_swa_multi_avg_fn()},
    "ema-avg": {"avg_fn": get_ema_avg_fn(0.95)},
    "swa-avg": {"avg_fn": get_swa_avg_fn()},
}


def torch_kwargs(torch, name):
    su = torch.optim.swa_utils
    return {
        "swa-default": {},
        "ema-multi": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
        "swa-multi": {"multi_avg_fn": su.get_swa_multi_avg_fn()},
        "ema-avg": {"avg_fn": su.get_ema_avg_fn(0.95)},
        "swa-avg": {"avg_fn": su.get_swa_avg_fn()},
    }[name]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_averaged_model_matches_torch(name, dtype):
    torch = pytest.importorskip("torch")
    values = trajectory(dtype)
    ours = AveragedModel([np.zeros_like(v) for v in values[0]], **FUNCTIONS[name])
    for step in values:
        ours.update_parameters(step)
    expected, n = torch_average(torch, values, **torch_kwargs(torch, name))
    assert ours.n_averaged == n == len(values)
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    for a, b in zip(ours.params, expected):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def test_swa_is_the_mean_and_ema_the_decayed_sum():
    values = trajectory(np.float64, n=40, seed=4)
    swa = AveragedModel(values[0])
    ema = AveragedModel(values[0], multi_avg_fn=get_ema_multi_avg_fn(0.8))
    for step in values:
        swa.update_parameters(step)
        ema.update_parameters(step)
    for i in range(2):
        stacked = np.stack([v[i] for v in values])
        np.testing.assert_allclose(swa.params[i], stacked.mean(axis=0), rtol=1e-12)
        weights = np.array([0.8 ** (len(values) - 1)] + [0.2 * 0.8 ** (len(values) - 1 - k)
                                                         for k in range(1, len(values))])
        np.testing.assert_allclose(ema.params[i], np.tensordot(weights, stacked, axes=1), rtol=1e-12)


def test_in_a_training_loop_with_swalr():
    """SWA as torch's recipe: train, then average the iterates under SWALR; the average of a
    noisy SGD run lands much closer to the optimum than its iterates do (their RMS error)."""
    rng = np.random.default_rng(1)
    target = np.array([1.0, -2.0, 3.0])
    w = np.zeros(3)
    opt = optim.SGD(w, lr=0.1)
    swa = AveragedModel(w)
    errors = []
    for step in range(2200):
        if step == 200:
            opt.lr = schedules.SWALR(0.1, swa_lr=0.05, anneal_epochs=20)
        opt.step(w - target + rng.normal(scale=1.0, size=3))
        if step >= 200:
            swa.update_parameters(w)
            errors.append(np.linalg.norm(w - target))
    assert swa.n_averaged == 2000 and opt.current_lr == 0.05
    assert np.linalg.norm(swa.params[0] - target) < 0.5 * np.sqrt(np.mean(np.square(errors)))
    assert not np.shares_memory(swa.params[0], w)


def test_state_dict_round_trip_and_errors():
    avg = AveragedModel([np.zeros(2), np.zeros(3)])
    avg.update_parameters([np.ones(2), np.ones(3)])
    avg.update_parameters([3 * np.ones(2), 3 * np.ones(3)])
    sd = avg.state_dict()
    other = AveragedModel([np.zeros(2), np.zeros(3)])
    other.load_state_dict(sd)
    assert other.n_averaged == 2 and other.params[0].tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="does not match"):
        AveragedModel(np.zeros(2)).load_state_dict(sd)
    with pytest.raises(ValueError, match="got 1 parameters; this average has 2"):
        avg.update_parameters(np.ones(2))
    with pytest.raises(ValueError, match="shape"):
        avg.update_parameters([np.ones(3), np.ones(3)])
    with pytest.raises(TypeError, match="floating NumPy arrays"):
        AveragedModel([[1.0, 2.0]])
    with pytest.raises(ValueError, match="not both"):
        AveragedModel(np.zeros(2), avg_fn=get_swa_avg_fn(), multi_avg_fn=get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        get_ema_multi_avg_fn(1.5)
    assert pygdx.swa_utils.AveragedModel is AveragedModel
