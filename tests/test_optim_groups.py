"""Parameter groups as torch defines them (issue 13): a list of dicts with per-group options,
add_param_group, param_groups[k][option] = value, and state dicts that cover them; checked
against torch.optim step by step."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from pygdx import optim, schedules

# Per rule: the constructor's options and two groups' own options.
CASES = {
    "SGD": ({"momentum": 0.9}, {"lr": 0.05, "nesterov": True}, {"weight_decay": 0.1, "dampening": 0.2}),
    # torch fills every group's "sum" with the constructor's initial_accumulator_value, even
    # for a group that sets its own; pygdx uses the group's. So the groups here leave it.
    "Adagrad": ({"initial_accumulator_value": 0.5}, {"lr": 0.2, "lr_decay": 0.01}, {"weight_decay": 0.1, "eps": 1e-6}),
    "RMSprop": ({"momentum": 0.5}, {"alpha": 0.9, "centered": True}, {"lr": 0.003, "weight_decay": 0.01}),
    "Adadelta": ({}, {"rho": 0.8}, {"lr": 0.5, "weight_decay": 0.1}),
    "Adam": ({}, {"lr": 0.02, "betas": (0.8, 0.9)}, {"amsgrad": True, "weight_decay": 0.1}),
    "AdamW": ({"weight_decay": 0.05}, {"lr": 0.02}, {"betas": (0.5, 0.99), "amsgrad": True}),
    "Adamax": ({}, {"lr": 0.03}, {"betas": (0.7, 0.95), "eps": 1e-5}),
    "NAdam": ({}, {"momentum_decay": 0.01}, {"lr": 0.004, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    "RAdam": ({}, {"lr": 0.03}, {"betas": (0.8, 0.99), "weight_decay": 0.1}),
}
N_STEPS = 12


def make_params(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 2)), rng.normal(size=4), rng.normal(size=1)]


def grads_at(step, params):
    return [np.sin(p * (step + 1)) + 0.1 * p for p in params]


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch")
    # torch keeps NAdam's product of momentum factors in its default dtype; pygdx in float64.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(default_dtype)


def torch_groups(torch, tensors, first, second):
    return [{"params": tensors[:2], **first}, {"params": tensors[2:], **second}]


def step_both(torch, opt, topt, params, tensors, step):
    """One step of each from the same gradients (of the first len(grads) parameters); then equal."""
    grads = grads_at(step, params)
    for t, g in zip(tensors, grads):
        t.grad = torch.from_numpy(g.copy())
    opt.step(grads)
    topt.step()
    for p, t in zip(params, tensors):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_groups_match_torch_step_by_step(name, torch64):
    torch = torch64
    base, first, second = CASES[name]
    params = make_params(0)
    tensors = [torch.tensor(p.copy()) for p in params]
    opt = getattr(optim, name)([{"params": params[:2], **first}, {"params": params[2:], **second}], lr=0.01, **base)
    topt = getattr(torch.optim, name)(torch_groups(torch, tensors, first, second), lr=0.01, **base)
    for step in range(N_STEPS):
        step_both(torch, opt, topt, params, tensors, step)
    for ours, theirs in zip(opt.param_groups, topt.param_groups):
        for key, value in ours.items():
            if key != "params":
                assert theirs[key] == (tuple(value) if isinstance(value, tuple) else value), key


@pytest.mark.parametrize("name", list(CASES))
def test_add_param_group_and_changed_options_match_torch(name, torch64):
    torch = torch64
    base, first, second = CASES[name]
    params = make_params(1)
    tensors = [torch.tensor(p.copy()) for p in params]
    opt = getattr(optim, name)(params[:2], lr=0.01, **base)
    topt = getattr(torch.optim, name)(tensors[:2], lr=0.01, **base)
    for step in range(N_STEPS):
        if step == 4:
            opt.add_param_group({"params": params[2:], **second})
            topt.add_param_group({"params": tensors[2:], **second})
        if step == 8:
            opt.param_groups[0]["lr"] = 0.002
            topt.param_groups[0]["lr"] = 0.002
            opt.param_groups[1]["weight_decay"] = 0.3
            topt.param_groups[1]["weight_decay"] = 0.3
        active = 2 if step < 4 else 3
        step_both(torch, opt, topt, params[:active], tensors[:active], step)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_with_groups_round_trips_and_continues_identically(name):
    base, first, second = CASES[name]
    params = make_params(2)
    opt = getattr(optim, name)([{"params": params[:2], **first}, {"params": params[2:], **second}], lr=0.01, **base)
    for step in range(5):
        opt.step(grads_at(step, params))
    saved = opt.state_dict()
    twin_params = [p.copy() for p in params]
    twin = getattr(optim, name)([{"params": twin_params[:2]}, {"params": twin_params[2:]}], lr=0.5, **base)
    twin.load_state_dict(saved)
    pickled_params, pickled = pickle.loads(pickle.dumps((params, opt)))
    for step in range(5, 10):
        for o, ps in ((opt, params), (twin, twin_params), (pickled, pickled_params)):
            o.step(grads_at(step, ps))
    for p, q, r in zip(params, twin_params, pickled_params):
        np.testing.assert_array_equal(p, q)
        np.testing.assert_array_equal(p, r)
    assert [dict(g, params=None) for g in twin.param_groups] == [dict(g, params=None) for g in opt.param_groups]


def test_one_group_keeps_the_flat_api():
    w, b = np.zeros(3), np.zeros(1)
    opt = optim.Adam([w, b], lr=0.1, amsgrad=True)
    (group,) = opt.param_groups
    assert group["params"][0] is w and group["params"][1] is b
    assert group["lr"] == 0.1 and group["amsgrad"] and group["betas"] == (0.9, 0.999)
    sd = opt.state_dict()
    assert "param_groups" not in sd  # as before groups existed
    opt.load_state_dict(sd)
    opt.lr = 0.5
    assert opt.param_groups[0]["lr"] == 0.5 and opt.lr == 0.5


def test_group_options_are_checked_like_constructor_arguments():
    w, b = np.zeros(3), np.zeros(2)
    with pytest.raises(ValueError, match="group 1.*'eps'"):
        optim.Adam([{"params": [w]}, {"params": [b], "eps": -1.0}])
    with pytest.raises(ValueError, match="unknown key"):
        optim.Adam([{"params": [w], "weight_dacay": 0.1}])
    with pytest.raises(ValueError, match="share memory"):
        optim.Adam([{"params": [w]}, {"params": [w[1:]]}])
    with pytest.raises(TypeError, match="mix dtypes"):
        optim.Adam([{"params": [w]}, {"params": [b.astype(np.float32)]}])
    opt = optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    with pytest.raises(ValueError, match="different learning rates"):
        _ = opt.lr
    before = opt.state_dict()
    with pytest.raises(ValueError, match="learning rate"):
        opt.param_groups[1]["lr"] = float("nan")
    with pytest.raises(ValueError, match="beta"):
        opt.param_groups[0]["betas"] = (1.5, 0.9)
    with pytest.raises(TypeError, match="real number"):
        opt.param_groups[0]["eps"] = "1e-8"
    with pytest.raises(TypeError, match="add_param_group"):
        opt.param_groups[0]["params"] = [np.zeros(3)]
    with pytest.raises(ValueError, match="changes the state"):
        opt.param_groups[0]["amsgrad"] = True
    with pytest.raises(ValueError, match="share memory"):
        opt.add_param_group({"params": [b]})
    assert opt.state_dict()["param_groups"][1]["lr"] == before["param_groups"][1]["lr"] == 0.5
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="2 parameter groups"):
        optim.Adam([np.zeros(3), np.zeros(2)]).load_state_dict(before)


def test_groups_step_atomically():
    """A bad gradient for the second group leaves the first group untouched too."""
    w, b = np.zeros(3), np.zeros(2)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    with pytest.raises(TypeError):
        opt.step([np.ones(3), np.ones(2) + 1j])
    np.testing.assert_array_equal(w, 0.0)
    assert opt.t == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CASES))
def test_a_continued_optimizer_is_the_loaded_one_and_shares_nothing(name, dtype):
    # partial_fit continues an optimizer with _continued_on (no probes): it must step exactly
    # as a fresh optimizer that loaded the state_dict, and leave the original untouched.
    base, first, second = CASES[name]
    params = [p.astype(dtype) for p in make_params(3)]
    schedule = schedules.StepLR(0.02, step_size=3, gamma=0.5)
    opt = getattr(optim, name)([{"params": params[:2], **first}, {"params": params[2:], **second}], lr=0.01, **base)
    one = getattr(optim, name)([p.copy() for p in params], lr=schedule, **base)
    for step in range(4):
        opt.step(grads_at(step, params))
        one.step(grads_at(step, one.params))
    for original in (opt, one):
        loaded_params = [p.copy() for p in original.params]
        continued_params = [p.copy() for p in original.params]
        loaded = getattr(optim, name)(
            [{"params": loaded_params[:2]}, {"params": loaded_params[2:]}] if len(original.param_groups) == 2
            else loaded_params, lr=0.5, **base)
        loaded.load_state_dict(original.state_dict())
        continued = original._continued_on(continued_params)
        before = original.state_dict()
        for a, b in zip(continued.state, original.state):
            assert not any(np.shares_memory(x, y) for x in a.values() for y in b.values())
        for step in range(4, 9):
            loaded.step(grads_at(step, loaded_params))
            continued.step(grads_at(step, continued_params))
        for p, q in zip(loaded_params, continued_params):
            np.testing.assert_array_equal(p, q)
        for a, b in zip(loaded.state, continued.state):
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        assert continued.t == loaded.t == original.t + 5
        after = original.state_dict()  # the original did not move
        assert after["step"] == before["step"]
        for a, b in zip(after["state"], before["state"]):
            assert all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="same shapes"):
        opt._continued_on([p[:1].copy() for p in opt.params])
