"""Hostile use of the optimizers (issue 11, findings F1-F21 of RELIABILITY.md): every case
ends in a clear exception of the standard type with nothing the caller owns changed, or
in the result a well-behaved caller would get."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import pygdx
from pygdx import _core, optim

ROOT = Path(__file__).resolve().parents[1]
ALL_RULES = {
    "SGD": {"momentum": 0.9},
    "Adagrad": {},
    "RMSprop": {"momentum": 0.5, "centered": True},
    "Adadelta": {},
    "Adam": {"amsgrad": True},
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
        np.testing.assert_array_equal(p, q)
    now = opt.state_dict()
    assert now["defaults"] == sd["defaults"] and now["lr"] == sd["lr"] and now["step"] == sd["step"]
    np.testing.assert_array_equal(now["counters"], sd["counters"])
    for a, b in zip(now["state"], sd["state"]):
        assert set(a) == set(b)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def misaligned(values, dtype=np.float64):
    """A copy of `values` whose data starts one byte past an aligned address."""
    values = np.asarray(values, dtype=dtype)
    raw = np.zeros(values.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(dtype).reshape(values.shape)
    out[...] = values
    assert not out.flags.aligned
    return out


def stepped(name, grads_list, params, **options):
    opt = getattr(optim, name)(params, lr=0.1, **{**ALL_RULES[name], **options})
    for grads in grads_list:
        opt.step(grads)
    return params


# --- F1: objects that are not arrays where the kernel binds arrays ----------------------

@pytest.mark.parametrize("replacement", [None, [0.0, 0.0, 0.0], "abc", 3.0])
def test_load_state_dict_survives_state_replaced_by_a_non_array(replacement):
    opt = optim.SGD(np.zeros(3), lr=0.1, momentum=0.9)
    opt.step(np.ones(3))
    saved = opt.state_dict()
    opt.state[0]["momentum_buffer"] = replacement
    opt.load_state_dict(saved)  # was a segfault: the kernel asked the object for its dtype
    opt.step(np.ones(3))
    np.testing.assert_array_equal(opt.state[0]["momentum_buffer"], 1.9 * np.ones(3))


@pytest.mark.parametrize("replacement", [None, [0.0, 0.0], "abc"])
def test_load_state_dict_refuses_a_parameter_replaced_by_a_non_array(replacement):
    w, b = np.zeros(3), np.zeros(2)
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    saved = opt.state_dict()
    opt.params[1] = replacement
    with pytest.raises(TypeError, match="parameter 1 is a"):
        opt.load_state_dict(saved)
    opt.params[1] = b
    opt.step([np.ones(3), np.ones(2)])
    np.testing.assert_array_equal(b, [-0.1, -0.1])


@pytest.mark.parametrize("bad", [None, [1.0, 2.0], "xyz", object()])
def test_kernel_refuses_non_arrays_with_a_type_error(bad):
    hyper = optim.SGD(np.zeros(2), momentum=0.9)._make_hyper()
    counters = np.array([0.0, 1.0])
    p = np.zeros(2)
    with pytest.raises(TypeError, match="state 0 is a"):
        _core.OptimizerKernelF64([hyper], [_core.Schedule()], [1], [counters], [p], [[bad]])
    with pytest.raises(TypeError, match="parameter 0 is a"):
        _core.OptimizerKernelF64([hyper], [_core.Schedule()], [1], [counters], [bad], [[np.zeros(2)]])
    if not isinstance(bad, list):
        with pytest.raises(TypeError, match="must be given as a list"):
            _core.OptimizerKernelF64([hyper], [_core.Schedule()], [1], [counters], [p], [bad])


# --- F4: the step counter --------------------------------------------------------------

@pytest.mark.parametrize("step", [1e30, 2.0**63, 2.5, 2.0**53 + 2, -1.0, float("nan"), float("inf")])
def test_load_state_dict_refuses_a_step_count_that_is_not_an_exact_integer(step):
    opt = optim.Adam(np.zeros(3))
    opt.step(np.ones(3))
    before = snapshot(opt)
    sd = opt.state_dict()
    sd["counters"] = np.array([step, 1.0])
    del sd["step"]
    with pytest.raises(ValueError, match="counters"):
        opt.load_state_dict(sd)
    assert_unchanged(opt, before)


@pytest.mark.parametrize("product", [-0.5, 1.5, float("nan")])
def test_load_state_dict_refuses_a_momentum_product_outside_zero_one(product):
    opt = optim.NAdam(np.zeros(3))
    sd = opt.state_dict()
    sd["counters"] = np.array([3.0, product])
    sd["step"] = 3
    with pytest.raises(ValueError, match="mu_product"):
        opt.load_state_dict(sd)


def test_the_largest_exact_step_count_is_accepted():
    opt = optim.Adam(np.zeros(3))
    sd = opt.state_dict()
    sd["counters"] = np.array([2.0**53, 1.0])
    sd["step"] = 2**53
    opt.load_state_dict(sd)
    assert opt.t == 2**53


# --- F5: misaligned arrays --------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_misaligned_parameter_is_refused_with_the_fix(dtype):
    w = misaligned(np.zeros(4), dtype)
    with pytest.raises(ValueError, match=r"not aligned.*x\.copy\(\)"):
        optim.Adam(w, lr=0.1)
    np.testing.assert_array_equal(w, 0)


@pytest.mark.parametrize("name", list(ALL_RULES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_misaligned_gradient_gives_the_aligned_result(name, dtype):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=7).astype(dtype) for _ in range(3)]
    expected = stepped(name, grads, np.ones(7, dtype))
    got = stepped(name, [misaligned(g, dtype) for g in grads], np.ones(7, dtype))
    np.testing.assert_array_equal(got, expected)


def test_misaligned_data_in_the_linear_core_is_read_through_an_aligned_copy():
    rng = np.random.default_rng(2)
    X, y, theta = rng.normal(size=(40, 5)), rng.normal(size=40), rng.normal(size=6)
    problem = _core.LinearProblem(_core.LossKind.squared_error, 5)
    expected = _core.linear_loss_grad(problem, X, y, None, theta)
    got = _core.linear_loss_grad(problem, misaligned(X), misaligned(y), misaligned(np.ones(40)), theta)
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


def test_misaligned_state_arrays_load_into_aligned_buffers():
    opt = optim.Adam(np.zeros(4))
    opt.step(np.ones(4))
    sd = opt.state_dict()
    sd["state"][0] = {k: misaligned(v) for k, v in sd["state"][0].items()}
    twin = optim.Adam(opt.params[0].copy())
    twin.load_state_dict(sd)
    assert all(a.flags.aligned for a in twin.state[0].values())
    opt.step(np.ones(4))
    twin.step(np.ones(4))
    np.testing.assert_array_equal(twin.params[0], opt.params[0])


# --- F7: one optimizer, several threads --------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "NAdam"])
def test_concurrent_steps_serialise(name):
    n, steps_each = 300_000, 20
    g = np.linspace(-1.0, 1.0, n)
    expected = np.zeros(n)
    sequential = getattr(optim, name)(expected, lr=0.01)
    for _ in range(2 * steps_each):
        sequential.step(g)
    w = np.zeros(n)
    opt = getattr(optim, name)(w, lr=0.01)
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(steps_each):
            opt.step(g)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert opt.t == 2 * steps_each
    np.testing.assert_array_equal(w, expected)


def test_state_dict_and_load_state_dict_wait_for_a_running_step():
    """Snapshots taken while another thread steps are each the state after a whole number
    of steps, and loading one while steps run leaves a consistent optimizer."""
    n = 300_000
    g = np.ones(n)
    w = np.zeros(n)
    opt = optim.SGD(w, lr=1.0, momentum=0.5)
    stop = threading.Event()

    def stepping():
        while not stop.is_set():
            opt.step(g)

    thread = threading.Thread(target=stepping)
    thread.start()
    try:
        snapshots = [opt.state_dict() for _ in range(10)]
        opt.load_state_dict(snapshots[0])
    finally:
        stop.set()
        thread.join()
    for sd in snapshots:
        buf = sd["state"][0]["momentum_buffer"]
        assert np.unique(buf).size == 1  # never half a step
        # momentum_buffer after t steps of g = 1: 2 - 0.5**(t - 1)
        assert buf[0] == 2.0 - 0.5 ** (sd["step"] - 1)


# --- F8: gradients that alias memory the step writes --------------------------------------

@pytest.mark.parametrize("name", list(ALL_RULES))
def test_a_gradient_aliasing_another_parameter_is_read_before_any_update(name):
    a, b = np.linspace(1, 2, 5), np.linspace(3, 4, 5)
    expected = stepped(name, [[b.copy(), a.copy()]], [a.copy(), b.copy()])
    got = [a, b]
    stepped(name, [[b, a]], got)
    for x, y in zip(got, expected):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", list(ALL_RULES))
def test_a_gradient_that_is_its_own_parameter_or_a_shifted_view(name):
    buf = np.linspace(1, 2, 9)
    expected = stepped(name, [buf[1:].copy()], buf[:-1].copy())
    w = buf[:-1]  # the gradient buf[1:] overlaps the parameter, one element ahead
    stepped(name, [buf[1:]], w)
    np.testing.assert_array_equal(w, expected)
    v = np.linspace(1, 2, 6)
    expected = stepped(name, [v.copy()], v.copy())
    stepped(name, [v], v)
    np.testing.assert_array_equal(v, expected)


def test_a_gradient_aliasing_the_optimizer_state():
    w = np.zeros(4)
    opt = optim.Adam(w, lr=0.1)
    opt.step(np.ones(4))
    twin_w = w.copy()
    twin = optim.Adam(twin_w, lr=0.1)
    twin.load_state_dict(opt.state_dict())
    twin.step(opt.state[0]["exp_avg"].copy())
    opt.step(opt.state[0]["exp_avg"])
    np.testing.assert_array_equal(w, twin_w)


# --- F10: load_state_dict checks what the constructor checks ------------------------------

@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("Adam", "betas", (5, 5)),
        ("Adam", "betas", (0.9,)),
        ("Adam", "eps", float("nan")),
        ("Adam", "eps", -1.0),
        ("Adam", "weight_decay", float("inf")),
        ("SGD", "momentum", float("nan")),
        ("SGD", "dampening", float("inf")),
        ("RMSprop", "alpha", 1.5),
        ("Adadelta", "rho", -0.1),
        ("NAdam", "momentum_decay", -1.0),
        ("Adagrad", "lr_decay", float("nan")),
    ],
)
def test_load_state_dict_checks_hyperparameters_like_the_constructor(name, key, value):
    opt = getattr(optim, name)(np.zeros(3), **({"momentum": 0.9} if name == "SGD" else {}))
    before = snapshot(opt)
    sd = opt.state_dict()
    sd["defaults"][key] = value
    with pytest.raises(ValueError, match=f"'{key}'"):
        opt.load_state_dict(sd)
    assert_unchanged(opt, before)


def test_load_state_dict_names_an_inconsistent_combination():
    opt = optim.SGD(np.zeros(3), momentum=0.9, nesterov=True)
    sd = opt.state_dict()
    sd["defaults"]["dampening"] = 0.5
    with pytest.raises(ValueError, match="Nesterov"):
        opt.load_state_dict(sd)


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda sd: sd.pop("state"), ValueError, "lacks the key.*'state'"),
        (lambda sd: sd.pop("counters"), ValueError, "lacks the key.*'counters'"),
        (lambda sd: sd.pop("defaults"), ValueError, "lacks the key.*'defaults'"),
        (lambda sd: sd["defaults"].update(bogus=1), ValueError, "unknown key.*bogus"),
        (lambda sd: sd["defaults"].pop("eps"), ValueError, "missing key.*eps"),
        (lambda sd: sd.update(defaults=[1, 2]), TypeError, "defaults'] must be a dict"),
        (lambda sd: sd.update(state={"a": 1}), TypeError, "must be a list of dicts"),
        (lambda sd: sd["state"].__setitem__(0, [1]), TypeError, r"\['state'\]\[0\] must be a dict"),
        (lambda sd: sd.update(lr=float("nan")), ValueError, "learning rate"),
        (lambda sd: sd.update(lr="0.1"), TypeError, "lr must be"),
        (lambda sd: sd.update(step=7), ValueError, "disagrees"),
        (lambda sd: sd["defaults"].update(eps="1e-8"), TypeError, "'eps'"),
        (lambda sd: sd["defaults"].update(decoupled_weight_decay=True), None, None),
    ],
)
def test_load_state_dict_refuses_malformed_dicts_with_standard_types(edit, error, match):
    opt = optim.Adam(np.zeros(3))
    opt.step(np.ones(3))
    before = snapshot(opt)
    sd = opt.state_dict()
    edit(sd)
    if error is None:
        opt.load_state_dict(sd)  # a valid change of a hyperparameter
        assert opt.defaults["decoupled_weight_decay"]
        return
    with pytest.raises(error, match=match):
        opt.load_state_dict(sd)
    assert_unchanged(opt, before)


@pytest.mark.parametrize("not_a_dict", [None, [1, 2], "state", 3])
def test_load_state_dict_of_a_non_dict_is_a_type_error(not_a_dict):
    with pytest.raises(TypeError, match="state_dict must be a dict"):
        optim.Adam(np.zeros(3)).load_state_dict(not_a_dict)


def test_adamw_keeps_its_decoupled_decay():
    opt = optim.AdamW(np.zeros(3))
    sd = opt.state_dict()
    sd["defaults"]["decoupled_weight_decay"] = False
    with pytest.raises(ValueError, match="decoupled_weight_decay"):
        opt.load_state_dict(sd)


@pytest.mark.parametrize(
    ("slot", "values", "error", "match"),
    [
        ("exp_avg", np.full(3, np.nan), ValueError, "NaN"),
        ("exp_avg_sq", -np.ones(3), ValueError, "negative"),
        ("exp_avg", np.ones(3) + 1j, TypeError, "complex"),
        ("exp_avg", np.array(["1", "2", "3"]), TypeError, "<U1"),
        ("exp_avg", [1.0, None, 2.0], TypeError, "object"),
        ("exp_avg", np.zeros(3, "M8[D]"), TypeError, "datetime"),
        ("exp_avg", np.zeros(3, [("a", "f8")]), TypeError, "dtype"),
    ],
)
def test_load_state_dict_refuses_state_arrays_that_a_step_could_not_have_made(slot, values, error, match):
    opt = optim.Adam(np.zeros(3))
    opt.step(np.ones(3))
    before = snapshot(opt)
    sd = opt.state_dict()
    sd["state"][0][slot] = values
    with pytest.raises(error, match=match):
        opt.load_state_dict(sd)
    assert_unchanged(opt, before)


def test_a_momentum_buffer_may_be_negative():
    opt = optim.SGD(np.zeros(3), momentum=0.9)
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = -np.ones(3)
    opt.load_state_dict(sd)


# --- hyperparameters set after construction --------------------------------------------

def test_defaults_cannot_be_changed_behind_the_checks():
    opt = optim.Adam(np.zeros(3))
    with pytest.raises(TypeError):
        opt.defaults["eps"] = float("nan")  # type: ignore[index]


@pytest.mark.parametrize(("value", "error"), [(float("nan"), ValueError), (-1.0, ValueError), ("0.1", TypeError),
                                              (1 + 1j, TypeError), (None, TypeError)])
def test_setting_lr_checks_it_like_the_constructor(value, error):
    w = np.zeros(3)
    opt = optim.SGD(w, lr=0.5)
    with pytest.raises(error):
        optim.SGD(np.zeros(3), lr=value)
    with pytest.raises(error):
        opt.lr = value
    assert opt.lr == 0.5
    opt.step(np.ones(3))
    np.testing.assert_array_equal(w, -0.5)


@pytest.mark.parametrize("value", ["0.9", 0.9 + 0j, None, b"1"])
def test_hyperparameters_must_be_real_numbers(value):
    with pytest.raises(TypeError, match="must be a real number"):
        optim.SGD(np.zeros(3), momentum=value)
    with pytest.raises(TypeError, match="must be a real number"):
        optim.Adam(np.zeros(3), eps=value)


# --- F11 --------------------------------------------------------------------------------

@pytest.mark.parametrize("dampening", [float("nan"), float("inf"), -float("inf")])
def test_dampening_must_be_finite(dampening):
    with pytest.raises(ValueError, match="dampening"):
        optim.SGD(np.zeros(3), lr=0.1, momentum=0.9, dampening=dampening)


# --- F20: the overlap check of the constructor ---------------------------------------------

def test_overlapping_parameters_are_found_in_any_order():
    buf = np.zeros(100)
    separate = [np.zeros(3) for _ in range(50)]
    params = separate[:20] + [buf[10:20]] + separate[20:] + [buf[15:30]]
    with pytest.raises(ValueError, match="parameters 20 and 51 share memory"):
        optim.SGD(params)
    optim.SGD(separate + [buf[:10], buf[10:20], np.zeros(0), np.zeros(0)])  # touching is not sharing


def test_many_parameters_are_checked_in_n_log_n(monkeypatch):
    def quadratic(*args, **kwargs):
        raise AssertionError("np.shares_memory on every pair is O(n^2)")

    monkeypatch.setattr(np, "shares_memory", quadratic)
    params = [np.zeros(2) for _ in range(20_000)]
    start = time.perf_counter()
    optim.SGD(params)
    assert time.perf_counter() - start < 10.0  # ~0.2 s; the pairwise check took minutes


# --- F21: step(g.tolist()) for one parameter ----------------------------------------------

@pytest.mark.parametrize("shape", [(), (1,), (3,), (1, 3), (1, 1), (1, 1, 2), (2, 1)])
def test_a_nested_list_gradient_works_for_every_shape(shape):
    g = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape)
    w, expected = np.zeros(shape), np.zeros(shape)
    optim.SGD(expected, lr=0.5).step(g)
    optim.SGD(w, lr=0.5).step(g.tolist())
    np.testing.assert_array_equal(w, expected)
    v = np.zeros(shape)
    optim.SGD(v, lr=0.5).step([g.tolist()])  # the list of one gradient still works
    np.testing.assert_array_equal(v, expected)


# --- no lenient conversions --------------------------------------------------------------

HOSTILE_GRADIENTS = {
    "complex": np.ones(3) + 1j,
    "complex-list": [1 + 1j, 2.0, 3.0],
    "datetime": np.array(["2020-01-01"] * 3, dtype="M8[D]"),
    "timedelta": np.arange(3).astype("m8[s]"),
    "text": np.array(["1", "2", "3"]),
    "bytes": np.array([b"1", b"2", b"3"]),
    "string-list": ["1", "2", "3"],
    "object": np.array([1.0, 2.0, 3.0], dtype=object),
    "none-in-list": [1.0, None, 3.0],
    "structured": np.zeros(3, dtype=[("a", "f8")]),
    "None": None,
    "string": "abc",
}


@pytest.mark.parametrize("kind", list(HOSTILE_GRADIENTS))
@pytest.mark.parametrize("n_params", [1, 2])
def test_gradients_that_are_not_real_numbers_are_refused(kind, n_params):
    params = [np.zeros(3) for _ in range(n_params)]
    opt = optim.Adam(params, lr=0.1)
    before = snapshot(opt)
    bad = HOSTILE_GRADIENTS[kind]
    with pytest.raises(TypeError):
        opt.step(bad if n_params == 1 else [np.ones(3), bad])
    assert_unchanged(opt, before)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_, np.float16, np.float32, np.longdouble])
def test_real_gradients_of_any_dtype_are_converted(dtype):
    g = np.array([1, 0, 1], dtype=dtype)
    w, expected = np.zeros(3), np.zeros(3)
    optim.SGD(w, lr=0.5).step(g)
    optim.SGD(expected, lr=0.5).step(np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(w, expected)


# --- pickling keeps the read-only defaults --------------------------------------------------

def test_pickled_optimizer_keeps_checked_defaults():
    opt = optim.Adam(np.zeros(3), eps=1e-6)
    back = pickle.loads(pickle.dumps(opt))
    assert back.defaults == opt.defaults
    with pytest.raises(TypeError):
        back.defaults["eps"] = 1.0  # type: ignore[index]


# --- F19: the build options -----------------------------------------------------------------

def _configure(tmp_path, *defines):
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.skip("cmake is not installed")
    pybind11 = pytest.importorskip("pybind11")
    return subprocess.run(
        [cmake, "-S", str(ROOT), "-B", str(tmp_path), f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
         f"-DPython_EXECUTABLE={sys.executable}", *defines],
        capture_output=True, text=True, check=False,
    )


@pytest.mark.skipif(not (ROOT / "CMakeLists.txt").exists(), reason="needs the source tree")
def test_build_options_are_cmake_options(tmp_path):
    done = _configure(tmp_path / "clones", "-DPYGDX_NO_SIMD_CLONES=ON", "-DPYGDX_SANITIZE=address;undefined")
    assert done.returncode == 0, done.stderr
    assert "not used" not in done.stderr  # CMake's "Manually-specified variables were not used"
    flags = (tmp_path / "clones" / "CMakeCache.txt").read_text()
    assert "PYGDX_NO_SIMD_CLONES:BOOL=ON" in flags and "PYGDX_SANITIZE:STRING=address;undefined" in flags
    bad = _configure(tmp_path / "bad", "-DPYGDX_SANITIZE=memory-leak")
    assert bad.returncode != 0 and "unknown sanitizer" in bad.stderr


# --- minimize, numerical gradients and the test functions take real numbers only ----------

def square(x):
    return float(np.sum(np.square(x)))


@pytest.mark.parametrize("x0", [1 + 2j, np.ones(2) + 0j, "1.0", np.array(["1", "2"]), [1.0, None],
                                np.zeros(2, "M8[D]"), np.zeros(2, [("a", "f8")])])
def test_minimize_refuses_a_start_that_is_not_real(x0):
    with pytest.raises(TypeError, match="x0 must"):
        pygdx.minimize(square, x0, jac=lambda x: 2 * x)


@pytest.mark.parametrize("jac", [lambda x: 2 * x + 0j, lambda x: np.array(["1"] * 2), lambda x: [1.0, None]])
def test_minimize_refuses_gradients_that_are_not_real(jac):
    x0 = np.ones(2)
    with pytest.raises(TypeError, match="gradient must hold real numbers"):
        pygdx.minimize(square, x0, jac=jac)
    np.testing.assert_array_equal(x0, 1.0)


@pytest.mark.parametrize("value", [1 + 0j, "1.0", b"1", np.array([1.0 + 0j])])
def test_fun_must_return_a_real_number(value):
    with pytest.raises(TypeError, match="real number"):
        pygdx.minimize(lambda x: value, np.ones(2), jac=lambda x: x)
    with pytest.raises(TypeError, match="real number"):
        pygdx.numerical_gradient(lambda x: value, np.ones(2))


def test_numerical_gradient_and_test_functions_refuse_complex_points():
    with pytest.raises(TypeError, match="real numbers"):
        pygdx.numerical_gradient(square, np.ones(2) + 1j)
    with pytest.raises(TypeError, match="real numbers"):
        pygdx.check_gradient(square, lambda x: 2 * x + 1j, np.ones(2))
    with pytest.raises(TypeError, match="real numbers"):
        pygdx.functions.rosenbrock(np.ones(2) + 1j)
    with pytest.raises(TypeError, match="real numbers"):
        pygdx.functions.polynomial(["1", "2"])


def test_a_misaligned_theta_is_read_through_an_aligned_copy():
    """Dask workers receive theta deserialized at an odd offset (tests/test_dask.py)."""
    rng = np.random.default_rng(3)
    X, y, theta = rng.normal(size=(30, 4)), rng.normal(size=30), rng.normal(size=5)
    problem = _core.LinearProblem(_core.LossKind.squared_error, 4)
    expected = _core.linear_loss_grad(problem, X, y, None, theta)
    got = _core.linear_loss_grad(problem, X, y, None, misaligned(theta))
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(_core.linear_decision(problem, X, misaligned(theta)),
                                  _core.linear_decision(problem, X, theta))


def test_an_optimizer_unpickled_from_misaligned_buffers_steps_on_aligned_copies():
    # Dask workers deserialize arrays straight from network frames, at odd byte offsets; the
    # unpickled optimizer owns those arrays, so it must realign them rather than refuse to step.
    w = np.zeros(6)
    opt = pygdx.optim.Adam(w, lr=0.1)
    opt.step(np.ones(6))
    buffers = []
    blob = pickle.dumps(opt, protocol=5, buffer_callback=buffers.append)
    misaligned = []
    for b in buffers:
        raw = b.raw()
        frame = np.empty(raw.nbytes + 1, np.uint8)
        frame[1:] = np.frombuffer(raw, np.uint8)
        assert frame[1:].ctypes.data % 8 != 0
        misaligned.append(pickle.PickleBuffer(frame[1:]))
    copy = pickle.loads(blob, buffers=misaligned)
    assert all(p.flags.aligned for p in copy.params)
    copy.step(np.ones(6))
    opt.step(np.ones(6))
    np.testing.assert_array_equal(copy.params[0], opt.params[0])
