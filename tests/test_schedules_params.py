"""Schedules as scikit-learn parameters (get_params(deep=...), set_params, clone,
GridSearchCV, check_estimator: PEER.md F1) and validated whenever a parameter is set
(RELIABILITY.md F3, F12)."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from pygdx import GDClassifier, GDRegressor, _core, optim, schedules

EVERY_SCHEDULE = [
    schedules.ConstantLR(0.1),
    schedules.ConstantLR(0.1, factor=0.5, total_iters=3),
    schedules.StepLR(0.1, step_size=3, gamma=0.5),
    schedules.MultiStepLR(0.1, milestones=[2, 5]),
    schedules.ExponentialLR(0.1, gamma=0.9),
    schedules.InverseTimeLR(0.1),
    schedules.LinearLR(0.1, total_iters=4),
    schedules.PolynomialLR(0.1, total_iters=4),
    schedules.CosineAnnealingLR(0.1, T_max=10, eta_min=0.01),
    schedules.CosineAnnealingWarmRestarts(0.1, T_0=4, T_mult=2),
    schedules.CyclicLR(0.01, 0.1, step_size_up=3),
    schedules.CyclicLR(0.01, 0.1, step_size_up=3, scale_fn=math.sqrt),
    schedules.OneCycleLR(0.1, total_steps=20),
    schedules.SWALR(0.1, swa_lr=0.01, anneal_epochs=3),
    schedules.ReduceLROnPlateau(0.1, patience=2, cooldown=1),
    schedules.OptimalLR(0.01),
    schedules.LambdaLR(0.1, lr_lambda=math.exp),
    schedules.MultiplicativeLR(0.1, lr_lambda=abs),
    schedules.SequentialLR([schedules.LinearLR(0.1), schedules.StepLR(0.1, step_size=2)], milestones=[4]),
    schedules.ChainedScheduler([schedules.LinearLR(0.1), schedules.ExponentialLR(0.1, gamma=0.9)]),
]
IDS = [f"{type(s).__name__}-{i}" for i, s in enumerate(EVERY_SCHEDULE)]


@pytest.mark.parametrize("s", EVERY_SCHEDULE, ids=IDS)
def test_get_params_names_the_constructor_arguments_and_rebuilds_the_schedule(s):
    params = s.get_params(deep=False)
    rebuilt = type(s)(**params)
    assert rebuilt == s and [rebuilt(t) for t in range(1, 30)] == [s(t) for t in range(1, 30)]
    assert set(params) <= set(s.get_params(deep=True))


@pytest.mark.parametrize("s", EVERY_SCHEDULE, ids=IDS)
def test_clone_and_pickle(s):
    from sklearn.base import clone

    copy = clone(s)
    assert copy is not s and copy == s
    assert [copy(t) for t in range(1, 30)] == [s(t) for t in range(1, 30)]
    if not isinstance(s, (schedules.LambdaLR, schedules.MultiplicativeLR)):  # builtins pickle, lambdas would not
        assert pickle.loads(pickle.dumps(s)) == s
    est = clone(GDRegressor(lr=s))
    assert est.lr == s and est.lr is not s


def test_clone_of_the_peer_reproducer():
    """PEER.md F1: TypeError: Schedule.get_params() got an unexpected keyword argument 'deep'."""
    from sklearn.base import clone

    est = clone(GDRegressor(lr=schedules.StepLR(0.01, step_size=100)))
    assert est.lr == schedules.StepLR(0.01, step_size=100)
    deep = GDRegressor(lr=schedules.StepLR(0.01, step_size=100)).get_params(deep=True)
    assert deep["lr__step_size"] == 100 and deep["lr__gamma"] == 0.1


def test_set_params_nested_and_atomic():
    s = schedules.CosineAnnealingLR(0.1, T_max=10, eta_min=0.01)
    assert s.set_params(T_max=20, eta_min=0.02) is s and (s.T_max, s.eta_min) == (20, 0.02)
    with pytest.raises(ValueError, match="Invalid eta_min"):
        s.set_params(T_max=30, eta_min=0.5)
    assert (s.T_max, s.eta_min) == (20, 0.02)  # nothing changed
    with pytest.raises(ValueError, match="Invalid parameter 'gamma' for schedule CosineAnnealingLR"):
        s.set_params(gamma=0.5)
    seq = schedules.SequentialLR([schedules.LinearLR(0.1), schedules.StepLR(0.1, step_size=2)], milestones=[4])
    est = GDRegressor(lr=schedules.StepLR(0.1, step_size=2))
    est.set_params(lr__gamma=0.25)
    assert est.lr.gamma == 0.25
    with pytest.raises(ValueError, match="no parameters to set"):
        seq.set_params(milestones__x=1)


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    return X, X @ [1.0, -2.0, 0.5] + 0.05 * rng.normal(size=80)


def test_grid_search_over_a_schedule_parameter():
    from sklearn.model_selection import GridSearchCV

    X, y = data()
    base = GDRegressor(lr=schedules.StepLR(0.05, step_size=50), max_iter=30, tol=None, random_state=0)
    search = GridSearchCV(base, {"lr__gamma": [0.01, 0.9], "lr__step_size": [5, 40]}, cv=3).fit(X, y)
    assert set(search.cv_results_["param_lr__gamma"]) == {0.01, 0.9}
    assert search.best_params_ == {"lr__gamma": 0.9, "lr__step_size": 40}  # the slowest decay fits best
    assert base.lr == schedules.StepLR(0.05, step_size=50)  # the search worked on clones
    # the grid really reached the schedule: the fits differ
    scores = search.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 12))) == 4


def slow_decay(epoch: int) -> float:
    return 1.0 / (1.0 + 1e-3 * epoch)


def expected_failures(estimator):
    # as tests/test_sklearn_compat.py: a mean objective weighs rows unlike repeated rows
    return {"check_sample_weight_equivalence_on_dense_data":
            "stochastic mini-batch training: weights are not equivalent to repeated rows",
            "check_sample_weight_equivalence_on_sparse_data":
            "stochastic mini-batch training: weights are not equivalent to repeated rows"}


def schedule_estimator_checks():
    from sklearn.utils.estimator_checks import parametrize_with_checks

    # pygdx implements scikit-learn's protocol itself; scikit-learn warns about that.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimator .* does not inherit from `sklearn.base.BaseEstimator`")
        return parametrize_with_checks(
            [GDRegressor(lr=schedules.StepLR(0.01, step_size=100), random_state=0),
             GDClassifier(lr=schedules.CosineAnnealingLR(0.01, T_max=500), random_state=0),
             GDRegressor(lr=schedules.ReduceLROnPlateau(0.01, patience=2), random_state=0),
             GDRegressor(lr=schedules.LambdaLR(0.01, lr_lambda=slow_decay), random_state=0)],
            expected_failed_checks=expected_failures,
        )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@schedule_estimator_checks()
def test_check_estimator_with_a_schedule_lr(estimator, check):
    check(estimator)


# --- F3: attributes set after construction are checked as the constructor checks them ----------

F3_REPRODUCER = """
import numpy as np, pygdx
s = pygdx.schedules.StepLR(0.1, step_size=2); opt = pygdx.optim.SGD(np.zeros(3), lr=s)
try:
    s.step_size = 0
except ValueError as exc:
    print("refused:", exc)
opt.lr = s; opt.step(np.ones(3))
print("alive", s.step_size, opt.params[0].tolist())
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_f3_reproducer_no_longer_kills_the_interpreter():
    done = run_python(F3_REPRODUCER)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "refused: Invalid step_size: 0" in done.stdout
    assert "alive 2 [-0.1, -0.1, -0.1]" in done.stdout


@pytest.mark.parametrize(
    ("make", "name", "value", "message"),
    [
        (lambda: schedules.StepLR(0.1, step_size=2), "step_size", 0, "Invalid step_size: 0"),
        (lambda: schedules.StepLR(0.1, step_size=2), "gamma", float("nan"), "Invalid gamma: nan"),
        (lambda: schedules.CosineAnnealingLR(0.1, T_max=5), "T_max", 0, "Invalid T_max: 0"),
        (lambda: schedules.CosineAnnealingLR(0.1, T_max=5), "eta_min", 0.5, "Invalid eta_min: 0.5"),
        (lambda: schedules.CosineAnnealingLR(0.1, T_max=5), "lr", -1.0, "Invalid learning rate: -1.0"),
        (lambda: schedules.MultiStepLR(0.1, [3]), "milestones", [3, -1], "Invalid milestones"),
        (lambda: schedules.LinearLR(0.1), "total_iters", 0, "Invalid total_iters: 0"),
        (lambda: schedules.PolynomialLR(0.1), "total_iters", 0, "Invalid total_iters: 0"),
        (lambda: schedules.CosineAnnealingWarmRestarts(0.1, T_0=3), "T_0", 0, "Invalid T_0: 0"),
        (lambda: schedules.CyclicLR(0.01, 0.1), "step_size_up", 0, "Invalid step_size_up: 0"),
        (lambda: schedules.CyclicLR(0.01, 0.1), "mode", "sine", "Invalid mode"),
        (lambda: schedules.OneCycleLR(0.1, total_steps=10), "total_steps", 1, "too short"),
        (lambda: schedules.SWALR(0.1, 0.01), "anneal_epochs", -1, "Invalid anneal_epochs: -1"),
        (lambda: schedules.ReduceLROnPlateau(0.1), "threshold", float("nan"), "Invalid threshold: nan"),
        (lambda: schedules.ReduceLROnPlateau(0.1), "min_lr", -1, "Invalid min_lr: -1"),
        (lambda: schedules.ReduceLROnPlateau(0.1), "cooldown", 1.5, "Invalid cooldown: 1.5"),
        (lambda: schedules.OptimalLR(0.01), "t0", 0, "Invalid t0: 0"),
    ],
)
def test_assignment_is_validated_like_the_constructor(make, name, value, message):
    s = make()
    before = getattr(s, name)
    with pytest.raises(ValueError, match=message):
        setattr(s, name, value)
    assert getattr(s, name) == before
    with pytest.raises(ValueError, match=message):
        s.set_params(**{name: value})
    params = s.get_params(deep=False)
    params[name] = value
    with pytest.raises(ValueError, match=message):
        type(s)(**params)


def test_to_core_checks_again_what_changed_in_place():
    s = schedules.MultiStepLR(0.1, milestones=[3, 5])
    s.milestones.append(-4)  # a list changed in place never passes through an assignment
    with pytest.raises(ValueError, match="Invalid milestones"):
        optim.SGD(np.zeros(2), lr=s)
    s.__dict__["gamma"] = -1.0  # even a bypassed check is caught before the core sees it
    s.milestones.pop()
    with pytest.raises(ValueError, match="Invalid gamma"):
        s(1)


def test_core_guards_against_division_by_zero():
    """Records Python never builds: the core answers NaN instead of trapping (SIGFPE)."""
    done = run_python("""
        import pygdx._core as c
        out = []
        for kind, field in [("step", "step_size"), ("cosine", "t_max"), ("linear", "total_iters"),
                            ("polynomial", "total_iters"), ("warm_restarts", "t_0"), ("table", None)]:
            s = c.Schedule(); s.kind = getattr(c.ScheduleKind, kind)
            if field: setattr(s, field, 0)
            out.append(c.schedule_lr(s, 5))
        s = c.Schedule(); s.kind = c.ScheduleKind.cyclic; s.step_size_up = 0.0; out.append(c.schedule_lr(s, 3))
        s = c.Schedule(); s.kind = c.ScheduleKind.one_cycle; s.total_steps = 1; s.pct_start = 1.0; out.append(c.schedule_lr(s, 1))
        print(out)
    """)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.strip() == str([math.nan] * 8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": float("nan")}, "Invalid threshold: nan"),
        ({"threshold": -0.1}, "Invalid threshold: -0.1"),
        ({"min_lr": -1}, "Invalid min_lr: -1"),
        ({"min_lr": float("inf")}, "Invalid min_lr: inf"),
        ({"eps": float("nan")}, "Invalid eps: nan"),
        ({"mode": "minimum"}, "Invalid mode"),
        ({"threshold_mode": "relative"}, "Invalid threshold_mode"),
        ({"cooldown": -1}, "Invalid cooldown: -1"),
    ],
)
def test_f12_plateau_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        schedules.ReduceLROnPlateau(0.1, **kwargs)


def test_core_record_table_round_trip():
    s = _core.Schedule()
    s.kind = _core.ScheduleKind.table
    s.table = [0.3, 0.2, 0.1]
    assert s.table.tolist() == [0.3, 0.2, 0.1]
    assert [_core.schedule_lr(s, t) for t in (1, 3, 4, 100)] == [0.3, 0.1, 0.1, 0.1]
    assert _core.schedule_steps_defined(s) == 3
    with pytest.raises(ValueError, match="1-D"):
        s.table = np.ones((2, 2))


def test_a_refused_schedule_leaves_the_optimizer_as_it_was():
    opt = optim.SGD(np.zeros(2), lr=0.5)
    bad = schedules.StepLR(0.1, step_size=2)
    bad.__dict__["step_size"] = 0  # bypassing the assignment check: to_core still refuses it
    with pytest.raises(ValueError, match="Invalid step_size: 0"):
        opt.lr = bad
    assert opt.lr == 0.5
    opt.step(np.ones(2))
    assert opt.params[0].tolist() == [-0.5, -0.5]
