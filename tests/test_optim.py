"""pygdx.optim: every rule and option against the NumPy reference (and torch.optim when
installed), zero-copy guarantees, state round trips, lookup by name and validation."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest

import pygdx
from pygdx import optim
from pygdx import reference
from pygdx import schedules

DTYPES = [np.float32, np.float64]
SHAPES = [(3, 4), (7,), (2, 3, 2), (1,)]
N_STEPS = 120

# Every optimizer with each of its options alone, and the options combined.
OPTION_SETS = {
    "SGD": [
        {},
        {"momentum": 0.9},
        {"momentum": 0.7, "dampening": 0.4},
        {"momentum": 0.9, "nesterov": True},
        {"weight_decay": 0.05},
        {"maximize": True},
        {"momentum": 0.8, "dampening": 0.2, "weight_decay": 0.05, "maximize": True},
        {"momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True},
    ],
    "Adagrad": [
        {},
        {"lr_decay": 0.01},
        {"initial_accumulator_value": 0.3},
        {"eps": 1e-3},
        {"weight_decay": 0.05},
        {"maximize": True},
        {"lr_decay": 0.02, "initial_accumulator_value": 0.1, "weight_decay": 0.05, "maximize": True},
    ],
    "RMSprop": [
        {},
        {"alpha": 0.9},
        {"momentum": 0.9},
        {"centered": True},
        {"weight_decay": 0.05},
        {"maximize": True},
        {"alpha": 0.95, "eps": 1e-4, "momentum": 0.5, "centered": True, "weight_decay": 0.05, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"rho": 0.5},
        {"eps": 1e-3},
        {"weight_decay": 0.05},
        {"maximize": True},
        {"rho": 0.8, "weight_decay": 0.05, "maximize": True},
    ],
    "Adam": [
        {},
        {"betas": (0.8, 0.99)},
        {"amsgrad": True},
        {"weight_decay": 0.05},
        {"decoupled_weight_decay": True, "weight_decay": 0.05},
        {"maximize": True},
        {"eps": 1e-3, "amsgrad": True, "weight_decay": 0.05, "maximize": True},
    ],
    "AdamW": [
        {},
        {"weight_decay": 0.2},
        {"amsgrad": True},
        {"maximize": True},
        {"betas": (0.5, 0.9), "amsgrad": True, "maximize": True},
    ],
    "Adamax": [
        {},
        {"betas": (0.8, 0.99)},
        {"weight_decay": 0.05},
        {"maximize": True},
        {"eps": 1e-3, "weight_decay": 0.05, "maximize": True},
    ],
    "NAdam": [
        {},
        {"momentum_decay": 0.01},
        {"weight_decay": 0.05},
        {"decoupled_weight_decay": True, "weight_decay": 0.05},
        {"maximize": True},
        {"betas": (0.8, 0.99), "momentum_decay": 0.02, "weight_decay": 0.05, "maximize": True},
    ],
    "RAdam": [
        {},
        # beta2 = 0.9 leaves the unrectified phase after a few steps, so both branches run.
        {"betas": (0.9, 0.9)},
        {"weight_decay": 0.05},
        {"decoupled_weight_decay": True, "weight_decay": 0.05},
        {"maximize": True},
        {"betas": (0.8, 0.95), "weight_decay": 0.05, "maximize": True},
    ],
}
CASES = [(name, options) for name, sets in OPTION_SETS.items() for options in sets]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}" for name, options in CASES]
LR = {"SGD": 0.05, "Adagrad": 0.1, "RMSprop": 0.01, "Adadelta": 1.0}


def tolerance(dtype):
    """(rtol, atol scale): float64 to ~1e-12, float32 to what 120 float32 steps allow."""
    return (1e-12, 1e-12) if dtype == np.float64 else (2e-5, 2e-5)


def make_params(rng, dtype):
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradients(rng, params, step):
    # Gradients that change scale over time exercise the adaptive denominators.
    scale = 1.0 + 0.5 * np.sin(step / 7.0)
    return [scale * rng.standard_normal(p.shape) for p in params]


def assert_close(actual, expected, dtype, what):
    rtol, atol_scale = tolerance(dtype)
    expected = np.asarray(expected)
    atol = atol_scale * max(1.0, float(np.max(np.abs(expected)))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def run_pair(name, options, dtype, lr_fast, lr_ref, n_steps=N_STEPS, seed=0):
    rng = np.random.default_rng(seed)
    params = make_params(rng, dtype)
    ref_params = [p.copy() for p in params]
    fast = getattr(optim, name)(params, lr=lr_fast, **options)
    ref = getattr(reference.optim, name)(ref_params, lr=lr_ref, **options)
    for step in range(n_steps):
        grads = gradients(rng, params, step)
        fast.step(grads)
        ref.step(grads)
    return fast, ref


def assert_same_run(fast, ref, dtype):
    assert fast.t == ref.t
    for k, (p, q) in enumerate(zip(fast.params, ref.params)):
        assert p.dtype == dtype
        assert_close(p, q, dtype, f"parameter {k}")
        assert set(fast.state[k]) == set(ref.state[k])
        for name in ref.state[k]:
            assert fast.state[k][name].dtype == dtype
            assert_close(fast.state[k][name], ref.state[k][name], dtype, f"parameter {k} state {name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "options"), CASES, ids=CASE_IDS)
def test_matches_reference(name, options, dtype):
    lr = LR.get(name, 0.01)
    fast, ref = run_pair(name, options, dtype, lr, lr)
    assert_same_run(fast, ref, dtype)
    # The run really moved the parameters: equal but frozen arrays would prove nothing.
    start = make_params(np.random.default_rng(0), dtype)
    assert all(not np.allclose(p, s) for p, s in zip(fast.params, start))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_schedule_as_lr_matches_reference(name, dtype):
    base = LR.get(name, 0.01)
    fast, ref = run_pair(
        name, {}, dtype,
        schedules.CosineAnnealingLR(base, T_max=60, eta_min=base / 10, warmup=10),
        reference.schedules.CosineAnnealingLR(base, T_max=60, eta_min=base / 10, warmup=10),
    )
    assert_same_run(fast, ref, dtype)


# --- torch.optim as an extra, independent check ------------------------------------------

def torch_run(torch, name, options, dtype, lr, seed=0):
    rng = np.random.default_rng(seed)
    tensors = [torch.from_numpy(p.copy()) for p in make_params(rng, dtype)]
    # torch keeps per-step scalars (NAdam's product of momentum factors) in its default
    # dtype; in float64 runs make that float64 too, as pygdx's counters are.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        opt = getattr(torch.optim, name)(tensors, lr=lr, **options)
        for step in range(N_STEPS):
            for t, g in zip(tensors, gradients(rng, tensors, step)):
                t.grad = torch.from_numpy(g.astype(dtype))
            opt.step()
    finally:
        torch.set_default_dtype(default_dtype)
    return opt, tensors


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "options"), CASES, ids=CASE_IDS)
def test_matches_torch(name, options, dtype):
    torch = pytest.importorskip("torch")
    lr = LR.get(name, 0.01)
    fast, _ = run_pair(name, options, dtype, lr, lr)
    topt, tensors = torch_run(torch, name, options, dtype, lr)
    # torch orders some operations differently (lerp for moving averages), so allow a
    # few more roundings than against the reference.
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    for k, (p, t) in enumerate(zip(fast.params, tensors)):
        expected = t.numpy()
        np.testing.assert_allclose(p, expected, rtol=rtol, atol=rtol * max(1.0, np.abs(expected).max()))
        torch_state = {key: v for key, v in topt.state[t].items() if key not in ("step", "mu_product")}
        assert set(fast.state[k]) == set(torch_state)
        for key, value in torch_state.items():
            value = value.numpy()
            np.testing.assert_allclose(fast.state[k][key], value, rtol=rtol, atol=rtol * max(1.0, np.abs(value).max()))


# --- zero copy ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_update_lands_in_the_callers_arrays(name, dtype):
    rng = np.random.default_rng(1)
    base = rng.standard_normal(40).astype(dtype)
    w = base[5:17].reshape(3, 4)  # a contiguous view: the update must reach `base`
    b = np.zeros(2, dtype=dtype)
    before_base, before_b = base.copy(), b.copy()
    opt = getattr(optim, name)([w, b])
    assert opt.params[0] is w and opt.params[1] is b
    opt.step([np.ones((3, 4)), np.ones(2)])
    assert np.shares_memory(w, base)
    assert not np.array_equal(base[5:17], before_base[5:17])
    np.testing.assert_array_equal(base[:5], before_base[:5])
    np.testing.assert_array_equal(base[17:], before_base[17:])
    assert not np.array_equal(b, before_b)
    for slots, p in zip(opt.state, opt.params):
        for arr in slots.values():
            assert arr.shape == p.shape and arr.dtype == dtype and not np.shares_memory(arr, p)


def bad_param_sets():
    good = np.zeros(4)
    read_only = np.zeros(4)
    read_only.flags.writeable = False
    big = np.zeros(8)
    return [
        ("read-only", [good, read_only], ValueError, "read-only"),
        ("strided", [good, np.zeros(8)[::2]], ValueError, "C-contiguous"),
        ("fortran", [good, np.zeros((3, 4), order="F")], ValueError, "C-contiguous"),
        ("int", [good, np.zeros(4, dtype=np.int64)], TypeError, "dtype int64"),
        ("float16", [good, np.zeros(4, dtype=np.float16)], TypeError, "dtype float16"),
        ("mixed", [good, np.zeros(4, dtype=np.float32)], TypeError, "mix dtypes"),
        ("shared", [big[:5], big[3:]], ValueError, "share memory"),
        ("same-array", [good, good], ValueError, "share memory"),
        ("list", [good, [0.0, 1.0]], TypeError, "not a NumPy array"),
        ("empty", [], ValueError, "empty"),
    ]


@pytest.mark.parametrize("name", list(OPTION_SETS))
@pytest.mark.parametrize(("params", "error", "message"), [pytest.param(*case[1:], id=case[0]) for case in bad_param_sets()])
def test_unusable_parameters_are_refused_untouched(name, params, error, message):
    before = [np.array(p, copy=True) for p in params]
    with pytest.raises(error, match=message):
        getattr(optim, name)(params)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)


def test_params_may_be_a_tuple_but_not_a_generator():
    with pytest.raises(TypeError, match="params must be a NumPy array or a list"):
        optim.SGD(p for p in [np.zeros(2)])
    w = np.zeros(3)
    opt = optim.SGD((w,), lr=1.0)
    opt.step(np.ones(3))
    np.testing.assert_array_equal(w, -np.ones(3))


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_bad_gradient_changes_nothing(name):
    """All gradients are checked before the first parameter is updated."""
    rng = np.random.default_rng(2)
    params = [rng.standard_normal(5), rng.standard_normal((2, 3)), rng.standard_normal(4)]
    opt = getattr(optim, name)(params)
    opt.step([np.ones(5), np.ones((2, 3)), np.ones(4)])
    snapshot = opt.state_dict()
    param_copies = [p.copy() for p in params]
    bad_grads = [
        ([np.ones(5), np.ones((3, 2)), np.ones(4)], ValueError, r"gradient 1 has shape \(3, 2\) but parameter 1 has shape \(2, 3\)"),
        ([np.ones(5), np.ones((2, 3)), np.ones(5)], ValueError, "gradient 2 has shape"),
        ([np.ones(5), np.ones((2, 3))], ValueError, "one gradient per parameter"),
        (np.ones(5), ValueError, "one gradient per parameter"),
        ([np.ones(5), np.ones((2, 3)), ["a", "b", "c", "d"]], TypeError, "gradient 2"),
    ]
    for grads, error, message in bad_grads:
        with pytest.raises(error, match=message):
            opt.step(grads)
    for p, c in zip(params, param_copies):
        np.testing.assert_array_equal(p, c)
    assert opt.t == snapshot["step"] == 1
    np.testing.assert_array_equal(opt.state_dict()["counters"], snapshot["counters"])
    for slots, saved in zip(opt.state, snapshot["state"]):
        for key in saved:
            np.testing.assert_array_equal(slots[key], saved[key])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_gradients_of_other_kinds_are_converted(dtype):
    rng = np.random.default_rng(3)
    g = rng.standard_normal((4, 6))
    variants = [
        g.astype(dtype),
        g.astype(np.float64 if dtype == np.float32 else np.float32),
        np.asfortranarray(g),
        np.repeat(g, 2, axis=1)[:, ::2],
        g.tolist(),
        g.astype(dtype).astype(">f8"),
        np.round(g * 10).astype(np.int32),
    ]
    for variant in variants:
        expected_grad = np.ascontiguousarray(variant, dtype=dtype)
        w, w_expected = np.ones((4, 6), dtype=dtype), np.ones((4, 6), dtype=dtype)
        optim.Adam(w, lr=0.1).step(variant)
        optim.Adam(w_expected, lr=0.1).step(expected_grad)
        np.testing.assert_array_equal(w, w_expected)


def test_single_parameter_accepts_the_gradient_or_a_one_element_list():
    results = []
    for grads in (np.arange(3.0), [np.arange(3.0)], [0.0, 1.0, 2.0], [[0.0, 1.0, 2.0]], (0, 1, 2)):
        w = np.zeros(3)
        optim.SGD(w, lr=1.0).step(grads)
        results.append(w)
    for w in results:
        np.testing.assert_array_equal(w, -np.arange(3.0))


def test_zero_dimensional_parameter():
    w = np.array(2.0)
    opt = optim.SGD(w, lr=0.5)
    opt.step(np.array(1.0))
    opt.step(1.0)
    assert w == 1.0


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_threaded_step_equals_single_thread(name):
    """Large parameters are split over threads; the result must not depend on it."""
    rng = np.random.default_rng(4)
    n = 600_000
    start = rng.standard_normal(n)
    w1, w2 = start.copy(), start.copy()
    opt1 = getattr(optim, name)(w1, lr=0.01, n_threads=1)
    opt2 = getattr(optim, name)(w2, lr=0.01, n_threads=2)
    for _ in range(3):
        g = rng.standard_normal(n)
        opt1.step(g)
        opt2.step(g)
    np.testing.assert_array_equal(w1, w2)
    assert not np.array_equal(w1, start)


@pytest.mark.parametrize("n_threads", [0, -1, 1.5, "2"])
def test_invalid_thread_count(n_threads):
    with pytest.raises((ValueError, TypeError), match="n_threads"):
        optim.SGD(np.zeros(2), n_threads=n_threads)


# --- state: state_dict, pickling, lr between steps --------------------------------------

FULL_STATE_OPTIONS = {
    "SGD": {"momentum": 0.9, "nesterov": True},
    "Adagrad": {"lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "RMSprop": {"momentum": 0.9, "centered": True},
    "Adadelta": {},
    "Adam": {"amsgrad": True},
    "AdamW": {"amsgrad": True},
    "Adamax": {},
    "NAdam": {},
    "RAdam": {},
}


def continued_run(opt, params, rng, n_steps):
    for _ in range(n_steps):
        opt.step([rng.standard_normal(p.shape) for p in params])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(FULL_STATE_OPTIONS))
def test_state_dict_round_trip_is_exact(name, dtype):
    cls, options = getattr(optim, name), FULL_STATE_OPTIONS[name]
    rng = np.random.default_rng(5)
    params = make_params(rng, dtype)
    opt = cls(params, lr=schedules.StepLR(0.01, step_size=7, gamma=0.5), **options)
    continued_run(opt, params, rng, 10)
    saved = opt.state_dict()
    saved_params = [p.copy() for p in params]
    rng_state = rng.bit_generator.state

    continued_run(opt, params, rng, 25)  # the uninterrupted run

    restored_params = [p.copy() for p in saved_params]
    restored = cls(restored_params, lr=0.5)
    restored.load_state_dict(saved)
    assert restored.t == 10 and restored.lr == schedules.StepLR(0.01, step_size=7, gamma=0.5)
    rng.bit_generator.state = rng_state
    continued_run(restored, restored_params, rng, 25)
    assert restored.t == opt.t == 35
    for p, q in zip(params, restored_params):
        np.testing.assert_array_equal(p, q)
    for a, b in zip(opt.state, restored.state):
        assert set(a) == set(b)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_state_dict_is_a_snapshot():
    w = np.zeros(3)
    opt = optim.Adam(w)
    opt.step(np.ones(3))
    saved = opt.state_dict()
    exp_avg = saved["state"][0]["exp_avg"].copy()
    opt.step(np.ones(3))
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], exp_avg)
    assert saved["step"] == 1


def test_load_state_dict_refuses_mismatches_and_keeps_state():
    w = np.zeros(3)
    opt = optim.Adam(w)
    opt.step(np.ones(3))
    before = opt.state_dict()
    with pytest.raises(ValueError, match="state_dict is for SGD"):
        opt.load_state_dict(optim.SGD(np.zeros(3)).state_dict())
    with pytest.raises(ValueError, match="state for 2 parameters"):
        opt.load_state_dict(optim.Adam([np.zeros(3), np.zeros(2)]).state_dict())
    with pytest.raises(ValueError, match=r"has shape \(4,\), not \(3,\)"):
        opt.load_state_dict(optim.Adam(np.zeros(4)).state_dict())
    corrupt = optim.Adam(np.zeros(3), amsgrad=True).state_dict()
    del corrupt["state"][0]["max_exp_avg_sq"]
    with pytest.raises(ValueError, match="max_exp_avg_sq"):
        opt.load_state_dict(corrupt)
    after = opt.state_dict()
    assert after["defaults"] == before["defaults"] and after["step"] == before["step"]
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    assert opt.params[0] is w


def test_load_state_dict_adopts_the_saved_hyperparameters():
    """As in torch, the hyperparameters travel with the state."""
    opt = optim.Adam(np.zeros(3))
    opt.load_state_dict(optim.Adam(np.zeros(3), lr=0.5, amsgrad=True).state_dict())
    assert opt.defaults["amsgrad"] and opt.lr == 0.5 and set(opt.state[0]) == {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


@pytest.mark.parametrize("name", list(FULL_STATE_OPTIONS))
def test_pickle_continues_identically(name):
    rng = np.random.default_rng(6)
    params = make_params(rng, np.float64)
    opt = getattr(optim, name)(params, **FULL_STATE_OPTIONS[name])
    continued_run(opt, params, rng, 5)
    params2, opt2 = pickle.loads(pickle.dumps((params, opt)))
    # The parameters and the optimizer come back bound together, not to stray copies.
    assert all(a is b for a, b in zip(opt2.params, params2))
    rng_state = rng.bit_generator.state
    continued_run(opt, params, rng, 7)
    rng.bit_generator.state = rng_state
    continued_run(opt2, params2, rng, 7)
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p, q)
    assert repr(opt2) == repr(opt)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_lr_is_settable_between_steps(dtype):
    w = np.zeros(3, dtype=dtype)
    g = np.array([1.0, -2.0, 0.5], dtype=dtype)
    opt = optim.SGD(w, lr=0.1)
    opt.step(g)
    assert opt.lr == 0.1
    opt.lr = 0.5
    assert opt.lr == 0.5 and opt.current_lr == 0.5
    before = w.copy()
    opt.step(g)
    np.testing.assert_array_equal(w, before - dtype(0.5) * g)
    opt.lr = schedules.ExponentialLR(1.0, gamma=0.5)
    assert opt.current_lr == 0.5**2  # the third step
    before = w.copy()
    opt.step(g)
    np.testing.assert_array_equal(w, before - dtype(0.25) * g)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.lr = -1
    assert isinstance(opt.lr, schedules.ExponentialLR)


def test_reduce_on_plateau_through_the_optimizer():
    plateau = schedules.ReduceLROnPlateau(1.0, factor=0.5, patience=1)
    ref_plateau = reference.schedules.ReduceLROnPlateau(1.0, factor=0.5, patience=1)
    w, w_ref = np.zeros(2), np.zeros(2)
    opt = optim.SGD(w, lr=plateau)
    ref = reference.optim.SGD(w_ref, lr=ref_plateau)
    losses = [5.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.5, 1.0, 2.0, 2.0]
    rates = []
    for loss in losses:
        g = np.array([1.0, -1.0])
        opt.step(g)
        ref.step(g)
        opt.lr.observe(loss)
        ref.lr.observe(loss)
        rates.append(opt.current_lr)
        assert opt.current_lr == ref.current_lr
    np.testing.assert_array_equal(w, w_ref)
    assert rates[-1] < rates[0]  # the plateaus did lower the rate


# --- lookup by name ---------------------------------------------------------------------

@pytest.mark.parametrize("name", optim.available())
def test_get_every_name(name):
    opt = optim.get(name, np.zeros(2))
    assert isinstance(opt, optim.Optimizer)
    assert type(opt).__name__.lower() == {"gd": "sgd", "momentum": "sgd", "nesterov": "sgd"}.get(name, name)


def test_get_aliases_and_case():
    assert optim.get("gd", np.zeros(1)).defaults["momentum"] == 0.0
    momentum = optim.get("Momentum", np.zeros(1))
    assert momentum.defaults["momentum"] == 0.9 and not momentum.defaults["nesterov"]
    nesterov = optim.get(" NESTEROV ", np.zeros(1))
    assert nesterov.defaults["momentum"] == 0.9 and nesterov.defaults["nesterov"]
    assert optim.get("momentum", np.zeros(1), momentum=0.5).defaults["momentum"] == 0.5
    assert isinstance(optim.get("ADAMW", np.zeros(1)), optim.AdamW)
    assert isinstance(optim.get(optim.RAdam, np.zeros(1), lr=0.1), optim.RAdam)
    assert set(optim.available()) >= {"sgd", "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                                      "adam", "adamw", "adamax", "nadam", "radam"}


def test_get_unknown_name():
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'; choose one of: .*adam"):
        optim.get("adamm", np.zeros(1))
    with pytest.raises(TypeError, match="must be a string"):
        optim.get(3, np.zeros(1))


def test_defaults_match_reference_formulas_table():
    """The defaults of REFERENCE.md (which are torch's)."""
    w = np.zeros(1)
    assert optim.SGD(w).lr == 1e-3
    assert optim.Adagrad(w).lr == 1e-2 and optim.Adagrad(w).defaults["eps"] == 1e-10
    assert optim.RMSprop(w).defaults["alpha"] == 0.99
    assert optim.Adadelta(w).lr == 1.0 and optim.Adadelta(w).defaults["rho"] == 0.9
    assert optim.Adadelta(w).defaults["eps"] == 1e-6
    assert optim.Adam(w).defaults["betas"] == (0.9, 0.999) and optim.Adam(w).defaults["eps"] == 1e-8
    assert optim.AdamW(w).defaults["weight_decay"] == 1e-2
    assert optim.Adamax(w).lr == 2e-3 and optim.NAdam(w).lr == 2e-3
    assert optim.NAdam(w).defaults["momentum_decay"] == 4e-3
    assert optim.RAdam(w).lr == 1e-3


# --- hyperparameter validation ----------------------------------------------------------

INVALID = [
    ("SGD", {"lr": -1}, "Invalid learning rate: -1"),
    ("SGD", {"momentum": -1}, "Invalid momentum value: -1"),
    ("SGD", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
    ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
    ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
    ("RMSprop", {"eps": -1}, "Invalid epsilon value: -1"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adadelta", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adam", {"lr": -0.001}, "Invalid learning rate: -0.001"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("AdamW", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adamax", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", {"momentum_decay": -1}, "Invalid momentum_decay value: -1"),
    ("RAdam", {"betas": (-0.1, 0.9)}, "Invalid beta parameter at index 0: -0.1"),
]


@pytest.mark.parametrize(("name", "kwargs", "message"), INVALID)
def test_invalid_hyperparameters(name, kwargs, message):
    with pytest.raises(ValueError) as info:
        getattr(optim, name)(np.zeros(2), **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(("name", "kwargs", "message"), INVALID)
def test_invalid_hyperparameter_messages_are_torchs(name, kwargs, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as info:
        getattr(torch.optim, name)([torch.zeros(2)], **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("lr", [0, float("nan"), float("inf")])
def test_learning_rates_that_cannot_train(lr):
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam(np.zeros(2), lr=lr)


@pytest.mark.parametrize("lr", ["0.1", None, True])
def test_learning_rate_of_the_wrong_type(lr):
    with pytest.raises(TypeError, match="lr must be a number or a pygdx.schedules.Schedule"):
        optim.Adam(np.zeros(2), lr=lr)


def test_repr_names_the_hyperparameters():
    text = repr(optim.RMSprop([np.zeros((2, 3)), np.zeros(1)], lr=0.1, centered=True))
    assert text.startswith("RMSprop([(2, 3), (1,)], lr=0.1, alpha=0.99")
    assert "centered=True" in text


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_reference_has_the_same_signature(name):
    """The reference is a drop-in oracle: same names, order, defaults and keyword-only flags."""
    ours = inspect.signature(getattr(optim, name).__init__)
    theirs = inspect.signature(getattr(reference.optim, name).__init__)
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]


def test_package_exports_optim_and_schedules():
    assert pygdx.optim is optim and pygdx.schedules is schedules


def test_failed_load_state_dict_leaves_the_optimizer_as_it_was():
    w = np.zeros(3)
    opt = pygdx.optim.SGD(w, lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.step(np.ones(3))
    before = opt.state_dict()
    for broken in ({**before, "counters": np.array([5.0])}, {k: v for k, v in before.items() if k != "counters"},
                   {**before, "step": 7}):
        with pytest.raises((ValueError, KeyError)):
            opt.load_state_dict(broken)
        after = opt.state_dict()
        assert after["step"] == 3
        np.testing.assert_array_equal(after["state"][0]["momentum_buffer"], before["state"][0]["momentum_buffer"])
    # and the kernel still steps the arrays that state_dict() reports
    opt.step(np.ones(3))
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"], 0.9 * before["state"][0]["momentum_buffer"] + 1)


def test_load_state_dict_keeps_the_state_arrays():
    opt = pygdx.optim.Adam(np.zeros(4), lr=0.1)
    opt.step(np.ones(4))
    exp_avg = opt.state[0]["exp_avg"]
    saved = opt.state_dict()
    opt.step(np.ones(4))
    opt.load_state_dict(saved)
    assert opt.state[0]["exp_avg"] is exp_avg
    np.testing.assert_array_equal(exp_avg, saved["state"][0]["exp_avg"])
    assert opt.t == 1


def test_read_only_memory_mapped_load_gives_a_working_optimizer(tmp_path):
    joblib = pytest.importorskip("joblib")
    opt = pygdx.optim.Adam(np.zeros(4), lr=0.1)
    opt.step(np.ones(4))
    joblib.dump(opt, tmp_path / "opt.joblib")
    loaded = joblib.load(tmp_path / "opt.joblib", mmap_mode="r")
    loaded.step(np.ones(4))
    opt.step(np.ones(4))
    assert loaded.t == 2
    np.testing.assert_array_equal(loaded.params[0], opt.params[0])


def test_a_list_of_gradients_for_one_parameter_says_so():
    opt = optim.Adam(np.zeros(3))
    with pytest.raises(ValueError, match=r"has shape \(2, 3\) but parameter 0 has shape \(3,\) \(this optimizer has "
                                         "one parameter: pass its gradient alone\\)"):
        opt.step([np.zeros(3), np.zeros(3)])
