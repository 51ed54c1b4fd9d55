"""torch.optim.lr_scheduler's schedules in pygdx.schedules: each against its plain-Python
formula in pygdx.reference.schedules (always) and against torch's own scheduler, stepped
once per optimizer step (when torch is installed).

The mapping: pygdx's step t is torch's scheduler after t - 1 calls of scheduler.step().
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pygdx import _core, optim, reference, schedules

N = 300


def both(name, *args, **kwargs):
    return getattr(schedules, name)(*args, **kwargs), getattr(reference.schedules, name)(*args, **kwargs)


def halves(e):
    return 0.5 ** (e // 40)


def shrink(e):
    return 0.99 if e % 3 else 1.01


def third_per_cycle(cycle):
    return 1.0 / 3.0 ** (cycle - 1)


def fading(step):
    return 0.995**step


# (id, pygdx/reference constructor, torch factory(torch, optimizer), base lr for torch)
CASES = [
    ("ConstantLR-torch", lambda: both("ConstantLR", 0.1, factor=0.5, total_iters=7),
     lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=7), 0.1),
    ("ConstantLR-torch-defaults", lambda: both("ConstantLR", 0.1, total_iters=4),
     lambda L, o: L.ConstantLR(o, total_iters=4), 0.1),
    ("MultiStepLR", lambda: both("MultiStepLR", 0.1, milestones=[30, 80, 80, 200], gamma=0.5),
     lambda L, o: L.MultiStepLR(o, milestones=[30, 80, 80, 200], gamma=0.5), 0.1),
    ("MultiStepLR-unsorted", lambda: both("MultiStepLR", 0.2, milestones=[150, 10]),
     lambda L, o: L.MultiStepLR(o, milestones=[150, 10]), 0.2),
    ("LinearLR", lambda: both("LinearLR", 0.1, start_factor=0.25, end_factor=1.0, total_iters=40),
     lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=40), 0.1),
    ("LinearLR-decay", lambda: both("LinearLR", 0.1, start_factor=1.0, end_factor=0.1, total_iters=120),
     lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=120), 0.1),
    ("PolynomialLR", lambda: both("PolynomialLR", 0.1, total_iters=250, power=2.0),
     lambda L, o: L.PolynomialLR(o, total_iters=250, power=2.0), 0.1),
    ("PolynomialLR-linear", lambda: both("PolynomialLR", 0.3, total_iters=100),
     lambda L, o: L.PolynomialLR(o, total_iters=100), 0.3),
    ("CosineAnnealingWarmRestarts", lambda: both("CosineAnnealingWarmRestarts", 0.1, T_0=17, eta_min=1e-3),
     lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=17, eta_min=1e-3), 0.1),
    ("CosineAnnealingWarmRestarts-mult", lambda: both("CosineAnnealingWarmRestarts", 0.1, T_0=5, T_mult=2),
     lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2), 0.1),
    ("CyclicLR", lambda: both("CyclicLR", 0.01, 0.1, step_size_up=20),
     lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=20, cycle_momentum=False), 0.01),
    ("CyclicLR-triangular2", lambda: both("CyclicLR", 0.01, 0.1, step_size_up=10, step_size_down=30, mode="triangular2"),
     lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=10, step_size_down=30, mode="triangular2",
                             cycle_momentum=False), 0.01),
    ("CyclicLR-exp_range", lambda: both("CyclicLR", 0.001, 0.05, step_size_up=25, mode="exp_range", gamma=0.995),
     lambda L, o: L.CyclicLR(o, 0.001, 0.05, step_size_up=25, mode="exp_range", gamma=0.995,
                             cycle_momentum=False), 0.001),
    ("CyclicLR-scale_fn-cycle", lambda: both("CyclicLR", 0.01, 0.1, step_size_up=15, scale_fn=third_per_cycle),
     lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=15, scale_fn=third_per_cycle, cycle_momentum=False), 0.01),
    ("CyclicLR-scale_fn-iterations", lambda: both("CyclicLR", 0.01, 0.1, step_size_up=8, step_size_down=12,
                                                  scale_fn=fading, scale_mode="iterations"),
     lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=8, step_size_down=12, scale_fn=fading,
                             scale_mode="iterations", cycle_momentum=False), 0.01),
    ("OneCycleLR", lambda: both("OneCycleLR", 0.1, total_steps=N),
     lambda L, o: L.OneCycleLR(o, 0.1, total_steps=N, cycle_momentum=False), 0.1),
    ("OneCycleLR-linear-three-phase", lambda: both("OneCycleLR", 0.5, epochs=10, steps_per_epoch=30, pct_start=0.25,
                                                   anneal_strategy="linear", three_phase=True, div_factor=10.0,
                                                   final_div_factor=100.0),
     lambda L, o: L.OneCycleLR(o, 0.5, epochs=10, steps_per_epoch=30, pct_start=0.25, anneal_strategy="linear",
                               three_phase=True, div_factor=10.0, final_div_factor=100.0, cycle_momentum=False), 0.5),
    ("SWALR", lambda: both("SWALR", 0.1, swa_lr=0.01, anneal_epochs=20),
     lambda L, o: L.SWALR(o, swa_lr=0.01, anneal_epochs=20), 0.1),
    ("SWALR-linear", lambda: both("SWALR", 0.1, swa_lr=0.05, anneal_epochs=7, anneal_strategy="linear"),
     lambda L, o: L.SWALR(o, swa_lr=0.05, anneal_epochs=7, anneal_strategy="linear"), 0.1),
    ("SWALR-no-anneal", lambda: both("SWALR", 0.1, swa_lr=0.02, anneal_epochs=0),
     lambda L, o: L.SWALR(o, swa_lr=0.02, anneal_epochs=0), 0.1),
    ("LambdaLR", lambda: both("LambdaLR", 0.1, lr_lambda=halves),
     lambda L, o: L.LambdaLR(o, lr_lambda=halves), 0.1),
    ("MultiplicativeLR", lambda: both("MultiplicativeLR", 0.1, lr_lambda=shrink),
     lambda L, o: L.MultiplicativeLR(o, lr_lambda=shrink), 0.1),
]


def torch_rates(factory, base_lr, n=N):
    torch = pytest.importorskip("torch")
    from torch.optim import lr_scheduler, swa_utils

    class Schedulers:  # torch's schedulers, SWALR included, under one name
        def __getattr__(self, name):
            return getattr(lr_scheduler, name, None) or getattr(swa_utils, name)

    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=base_lr)
    scheduler = factory(Schedulers(), opt)
    rates = []
    for _ in range(n):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize(("make", "torch_factory", "base"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_new_schedule_matches_its_formula(make, torch_factory, base):
    fast, formula = make()
    got = np.array([fast(t) for t in range(1, N + 1)])
    expected = np.array([formula(t) for t in range(1, N + 1)])
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize(("make", "torch_factory", "base"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_new_schedule_matches_torch_step_for_step(make, torch_factory, base):
    fast, _ = make()
    expected = torch_rates(torch_factory, base)
    got = np.array([fast(t) for t in range(1, N + 1)])
    # torch updates most rates recursively (lr *= ratio), so allow its rounding.
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("make", "torch_factory", "base"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_new_schedule_drives_optimizer_steps(make, torch_factory, base):
    """Plain SGD moves p by exactly lr_t * g: the rates the C++ kernel used, read off."""
    fast, formula = make()
    w = np.zeros(1)
    opt = optim.SGD(w, lr=fast)
    rates = []
    for _ in range(N):
        w[:] = 0.0
        opt.step(np.ones(1))
        rates.append(-w[0])
    np.testing.assert_allclose(rates, [formula(t) for t in range(1, N + 1)], rtol=1e-13, atol=1e-300)


def sequential_cases():
    warm = dict(start_factor=0.1, total_iters=10)
    return [
        ("warmup-then-cosine",
         lambda S: S.SequentialLR([S.LinearLR(0.1, **warm), S.CosineAnnealingLR(0.1, T_max=290)], milestones=[10]),
         lambda L, o: L.SequentialLR(o, [L.LinearLR(o, **warm), L.CosineAnnealingLR(o, T_max=290)], milestones=[10])),
        ("constant-exponential-step",
         lambda S: S.SequentialLR([S.ConstantLR(0.1, factor=0.5, total_iters=3), S.ExponentialLR(0.1, gamma=0.98),
                                   S.StepLR(0.1, step_size=25, gamma=0.3)], milestones=[20, 120]),
         lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.5, total_iters=3), L.ExponentialLR(o, gamma=0.98),
                                         L.StepLR(o, step_size=25, gamma=0.3)], milestones=[20, 120])),
        ("chained-constant-exponential",
         lambda S: S.ChainedScheduler([S.ConstantLR(0.1, factor=0.1, total_iters=2), S.ExponentialLR(0.1, gamma=0.9)]),
         lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, gamma=0.9)])),
        ("chained-linear-multistep-multiplicative",
         lambda S: S.ChainedScheduler([S.LinearLR(0.1, start_factor=0.5, total_iters=30),
                                       S.MultiStepLR(0.1, milestones=[50, 150], gamma=0.5),
                                       S.MultiplicativeLR(0.1, lr_lambda=shrink)]),
         lambda L, o: L.ChainedScheduler([L.LinearLR(o, start_factor=0.5, total_iters=30),
                                          L.MultiStepLR(o, milestones=[50, 150], gamma=0.5),
                                          L.MultiplicativeLR(o, lr_lambda=shrink)])),
    ]


@pytest.mark.parametrize(("make", "torch_factory"), [c[1:] for c in sequential_cases()],
                         ids=[c[0] for c in sequential_cases()])
def test_composites_match_formula_and_torch(make, torch_factory):
    fast, formula = make(schedules), make(reference.schedules)
    got = np.array([fast(t) for t in range(1, N + 1)])
    np.testing.assert_allclose(got, [formula(t) for t in range(1, N + 1)], rtol=1e-13)
    expected = torch_rates(torch_factory, 0.1)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


# --- tables: computed ahead, extended as needed, exact wherever pygdx steps ------------------

def test_table_extends_past_its_first_block_inside_the_optimizer():
    calls = []

    def decay(e):
        calls.append(e)
        return 1.0 / (1.0 + e)

    s = schedules.LambdaLR(0.5, lr_lambda=decay)
    w = np.zeros(1)
    opt = optim.SGD(w, lr=s)
    n = 3000  # past the first table of 1024 rates and its first doubling
    rates = []
    for _ in range(n):
        w[:] = 0.0
        opt.step(np.ones(1))
        rates.append(-w[0])
    np.testing.assert_allclose(rates, [0.5 / t for t in range(1, n + 1)], rtol=1e-15)
    assert calls[: n] == list(range(n))  # once per step, in order, as torch calls it
    assert _core.schedule_steps_defined(s.to_core()) >= n


def test_table_covers_what_an_estimator_epoch_runs_in_cpp():
    """An epoch of 2,500 single-row steps runs in C++: the table must already hold them all,
    so LambdaLR fits exactly like the closed-form schedule with the same rates."""
    from pygdx import GDRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2500, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=2500)
    common = dict(optimizer="sgd", batch_size=1, max_iter=2, tol=None, random_state=0)
    closed = GDRegressor(lr=schedules.ExponentialLR(0.01, gamma=0.999), **common).fit(X, y)
    table = GDRegressor(lr=schedules.LambdaLR(0.01, lr_lambda=lambda e: 0.999**e), **common).fit(X, y)
    np.testing.assert_allclose(table.coef_, closed.coef_, rtol=1e-12)
    # 0.999**e reaches the model in the second epoch: a table frozen at its first 1024 rates would not.
    assert not np.allclose(closed.coef_, GDRegressor(lr=0.01, **common).fit(X, y).coef_, rtol=1e-6)


def test_composite_table_follows_a_change_of_its_children():
    child = schedules.StepLR(0.1, step_size=10)
    s = schedules.SequentialLR([schedules.ConstantLR(0.1), child], milestones=[5])
    assert s(16) == pytest.approx(0.01)
    child.set_params(gamma=0.5)
    assert s(16) == pytest.approx(0.05)


def test_tables_refuse_bad_rates():
    s = schedules.LambdaLR(0.1, lr_lambda=lambda e: math.nan if e == 2 else 1.0)
    assert s(1) == s(2) == 0.1  # the NaN ahead only ends the table
    with pytest.raises(ValueError, match="rate of step 3 is nan"):
        s(3)
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        schedules.LambdaLR(0.1, lr_lambda=0.5)
    with pytest.raises(ValueError, match="one lr"):
        schedules.ChainedScheduler([schedules.StepLR(0.1, 5), schedules.StepLR(0.2, 5)])
    with pytest.raises(ValueError, match="one milestone fewer"):
        schedules.SequentialLR([schedules.StepLR(0.1, 5), schedules.StepLR(0.2, 5)], milestones=[])
    with pytest.raises(ValueError, match="cannot hold ReduceLROnPlateau"):
        schedules.SequentialLR([schedules.StepLR(0.1, 5), schedules.ReduceLROnPlateau(0.1)], milestones=[3])


# --- ConstantLR: pygdx's constant, or torch's when torch's arguments are given ----------------

def test_constant_lr_keeps_its_meaning_without_torch_arguments():
    s = schedules.ConstantLR(0.3)
    assert s.constant and [s(t) for t in (1, 5, 500)] == [0.3, 0.3, 0.3]
    opt = optim.SGD(np.zeros(2), lr=0.3)
    assert opt.lr == 0.3 and isinstance(opt.lr, float)


def test_constant_lr_with_torch_arguments_is_a_schedule_of_the_optimizer():
    s = schedules.ConstantLR(0.3, factor=0.5, total_iters=2)
    assert not s.constant and [s(1), s(2), s(3)] == [0.15, 0.15, 0.3]
    opt = optim.SGD(np.zeros(2), lr=s)
    assert opt.lr is s and opt.current_lr == 0.15


# --- ReduceLROnPlateau: torch's mode, threshold_mode, cooldown and eps -------------------------

PLATEAU_OPTIONS = [
    dict(),
    dict(mode="max"),
    dict(threshold_mode="abs", threshold=0.05),
    dict(mode="max", threshold_mode="abs", threshold=0.05),
    dict(cooldown=2),
    dict(cooldown=3, patience=0, mode="max"),
    dict(eps=0.02, min_lr=0.001),
    dict(factor=0.9, eps=1e-3, patience=0),
]


def plateau_values():
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(scale=0.3, size=200)) + 10.0
    return np.concatenate([walk, np.full(20, walk[-1]), np.round(walk[:60], 1)])


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=[str(o) for o in PLATEAU_OPTIONS])
def test_plateau_options_match_reference(options):
    kwargs = dict(factor=0.5, patience=2, **{k: v for k, v in options.items() if k not in ("factor", "patience")})
    kwargs.update({k: options[k] for k in ("factor", "patience") if k in options})
    fast, formula = schedules.ReduceLROnPlateau(1.0, **kwargs), reference.schedules.ReduceLROnPlateau(1.0, **kwargs)
    reductions = 0
    for value in plateau_values():
        reduced = fast.observe(value)
        assert reduced == formula.observe(value)
        reductions += reduced
        assert fast(1) == pytest.approx(formula(1), rel=1e-14)
    assert reductions > 0


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=[str(o) for o in PLATEAU_OPTIONS])
def test_plateau_options_match_torch(options):
    torch = pytest.importorskip("torch")
    kwargs = dict(factor=0.5, patience=2)
    kwargs.update(options)
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=1.0)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    ours = schedules.ReduceLROnPlateau(1.0, **kwargs)
    for value in plateau_values():
        theirs.step(float(value))
        ours.observe(value)
        assert ours(1) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)


def test_plateau_eps_stops_reductions_below_it():
    """torch stops cutting once a cut would be smaller than eps (PEER.md: pygdx went on below 1e-8)."""
    s = schedules.ReduceLROnPlateau(1e-6, factor=0.1, patience=0)
    s.observe(1.0)
    for _ in range(10):
        s.observe(1.0)
    assert s(1) == pytest.approx(1e-8)  # 1e-6 -> 1e-7 -> 1e-8; the next cut (9e-9) is not above eps


def test_a_function_defined_for_a_few_steps_works_for_those_steps():
    """The table is filled ahead only as far as the function allows: a lambda that knows 5
    steps drives 5 steps, as in torch, and the sixth raises the function's own error."""
    factors = [1.0, 0.5, 0.25, 0.125, 0.0625]
    w = np.zeros(1)
    opt = optim.SGD(w, lr=schedules.LambdaLR(1.0, lr_lambda=lambda e: factors[e]))
    for expected in factors:
        w[:] = 0.0
        opt.step(np.ones(1))
        assert -w[0] == expected
    with pytest.raises(IndexError):
        opt.step(np.ones(1))
    assert opt.t == 5


@pytest.mark.parametrize(("make", "torch_factory", "base"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rates_is_every_step_in_one_call(make, torch_factory, base):
    fast, _ = make()
    np.testing.assert_array_equal(fast.rates(3, 200), [fast(t) for t in range(3, 203)])


def test_composite_of_a_function_defined_for_a_few_steps():
    few = schedules.LambdaLR(0.1, lr_lambda=lambda e: [1.0, 0.5, 0.25][e])
    s = schedules.SequentialLR([schedules.ConstantLR(0.1), few], milestones=[4])
    assert [s(t) for t in range(1, 8)] == pytest.approx([0.1] * 4 + [0.1, 0.05, 0.025])
    with pytest.raises(IndexError):
        s(8)
    with pytest.raises(ValueError, match="steps count from 1"):
        s.rates(0, 3)
