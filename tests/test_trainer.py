"""The trainer of issue 10: many epochs per call into the core with the same bits as an
epoch-by-epoch loop, fits that change nothing when they fail, Ctrl-C inside long epochs, one
fit at a time per estimator, and the estimator-side reliability findings of issue 11."""

import math
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import pygdx
from pygdx import _core
from pygdx.exceptions import TrainingDiverged

from _interrupt import interrupt_fit


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=120)


def epoch_by_epoch(est_params, X, y, max_iter, tol, n_iter_no_change=5):
    """The fit loop as it was before the trainer: one linear_epoch call per epoch from Python,
    seeds drawn one by one, the tol rule in Python. The oracle for the trainer's bits."""
    est = pygdx.GDRegressor(**est_params, max_iter=1, tol=None)
    n, d = X.shape
    theta = np.zeros(d + 1)
    opt = pygdx.optim.get(est.optimizer, [theta], lr=est.lr, weight_decay=0.0, n_threads=1)
    problem = _core.LinearProblem(_core.LossKind.squared_error, d, 1, True, 0.1, _core.PenaltyKind.l2,
                                  est.alpha, est.l1_ratio)
    rng = np.random.default_rng(est.random_state)
    order = np.arange(n, dtype=np.int64)
    curve, best, no_improvement = [], math.inf, 0
    for _ in range(max_iter):
        seed = int(rng.integers(0, 2**63)) if est.batch_size is not None else None
        loss, _, finite = _core.linear_epoch(problem, X, y, None, order, est.batch_size, *opt.core_buffers()[:3],
                                             theta, opt.core_buffers()[3], 1, seed)
        assert finite
        curve.append(loss)
        if tol is not None and loss > best - tol:
            no_improvement += 1
        else:
            no_improvement = 0
        best = min(best, loss)
        if tol is not None and no_improvement >= n_iter_no_change:
            break
    return theta, curve


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
@pytest.mark.parametrize("batch_size", [None, 1, 16])
@pytest.mark.parametrize("tol", [None, 1e-3])
def test_the_trainer_gives_the_bits_of_an_epoch_by_epoch_loop(data, optimizer, batch_size, tol):
    X, y = data
    params = dict(optimizer=optimizer, batch_size=batch_size, lr=0.01, random_state=3, alpha=1e-3)
    theta, curve = epoch_by_epoch(params, X, y, 300, tol)
    with pytest.warns() if tol is not None and len(curve) == 300 else _no_warning():
        est = pygdx.GDRegressor(**params, max_iter=300, tol=tol).fit(X, y)
    assert est.loss_curve_ == curve
    np.testing.assert_array_equal(np.r_[est.coef_, est.intercept_], theta)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- commit on success (F6) -------------------------------------------------------------------

def fitted_state(est):
    return (est.coef_.copy(), est.intercept_.copy(), list(est.loss_curve_), est.n_iter_, est.t_,
            {k: v.copy() for slots in est._optimizer.state for k, v in slots.items()})


def assert_same_state(a, b):
    for x, y in zip(a, b):
        if isinstance(x, dict):
            assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x)
        else:
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("how", ["fit", "partial_fit", "warm_start"])
def test_a_failed_refit_leaves_the_model_exactly_as_it_was(data, how):
    X, y = data
    est = pygdx.GDRegressor(optimizer="momentum", max_iter=5, tol=None, random_state=0,
                            warm_start=how == "warm_start").fit(X, y)
    before = fitted_state(est)
    bad = X.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        getattr(est, "partial_fit" if how == "partial_fit" else "fit")(bad, y)
    assert_same_state(fitted_state(est), before)
    # and it trains on as if nothing had happened
    again = pygdx.GDRegressor(optimizer="momentum", max_iter=5, tol=None, random_state=0,
                              warm_start=how == "warm_start").fit(X, y)
    np.testing.assert_array_equal(est.partial_fit(X, y).coef_, again.partial_fit(X, y).coef_)


def test_a_fresh_estimator_whose_fit_failed_is_not_fitted(data):
    X, y = data
    bad = X.copy()
    bad[0, 0] = np.inf
    est = pygdx.GDClassifier(max_iter=3)
    with pytest.raises(ValueError):
        est.fit(bad, (y > 0).astype(int))
    assert not est.__sklearn_is_fitted__()
    with pytest.raises(AttributeError, match="not fitted"):  # NotFittedError (ours or scikit-learn's)
        est.predict(X)


def test_divergence_is_a_typed_error_and_changes_nothing(data):
    X, y = data
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.001, max_iter=3, tol=None, random_state=0).fit(X, y)
    before = fitted_state(est)
    est.set_params(lr=50.0, max_iter=50, warm_start=True)
    with pytest.raises(TrainingDiverged) as info:
        est.fit(X * 100, y)
    assert isinstance(info.value, ValueError) and info.value.epoch >= 1
    assert_same_state(fitted_state(est), before)


def test_a_failed_fit_does_not_advance_the_callers_generator(data):
    X, y = data
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    with pytest.raises(TrainingDiverged):
        pygdx.GDRegressor(optimizer="sgd", lr=1e3, batch_size=8, max_iter=20, tol=None, random_state=rng).fit(X * 1e3, y)
    assert rng.bit_generator.state == state


# --- Ctrl-C (F9) ------------------------------------------------------------------------------

INTERRUPTED_FIT = textwrap.dedent("""
    import json, sys, time
    import numpy as np, pygdx
    kind = sys.argv[1]
    rng = np.random.default_rng(0)
    # the epochs that average the weights or clip the gradient (the stepwise epochs) are
    # Python epochs of the trainer: their own binding polls Ctrl-C
    options = {"huge_batch_l1": {"penalty": "l1"}, "huge_batch_clipped": {"clip_grad_norm": 1.0},
               "huge_batch_averaged": {"average": True}, "long_epoch_ema": {"ema_decay": 0.9}}.get(kind, {})
    if kind.startswith("long_epoch"):  # one epoch of several seconds: 100,000 Adam steps on 30,000 weights
        X = rng.normal(size=(100_000, 100))
        y = rng.integers(0, 300, size=100_000)
        est = pygdx.GDClassifier(batch_size=1, max_iter=1, tol=None, random_state=0, **options)
    elif kind.startswith("huge_batch"):  # one full batch of several seconds: 100,000 rows x 100,000 weights
        # (300 classes made an epoch of about 1 s on a quiet machine: it ended before the signal)
        X = rng.normal(size=(100_000, 100))
        y = rng.integers(0, 1000, size=100_000)
        est = pygdx.GDClassifier(batch_size=None, max_iter=1, tol=None, random_state=0, **options)
    elif kind == "team":  # batches shared by a team of threads (and a partial epoch to undo)
        X = rng.normal(size=(100_000, 100))
        y = X @ rng.normal(size=100)
        est = pygdx.GDRegressor(batch_size=256, n_jobs=2, max_iter=10**6, tol=None, lr=1e-4, random_state=0)
    elif kind == "gathered_batches":  # batches of 32 stepped from rows both threads gather ahead (80 MB)
        X = rng.normal(size=(100_000, 100))
        y = X @ rng.normal(size=100)
        est = pygdx.GDRegressor(batch_size=32, n_jobs=2, max_iter=10**6, tol=None, lr=1e-4, random_state=0)
    elif kind == "gathered_rows":  # batch-1 epochs whose rows a second thread gathers ahead (80 MB of rows)
        X = rng.normal(size=(100_000, 100))
        y = X @ rng.normal(size=100)
        est = pygdx.GDRegressor(batch_size=1, optimizer="adam", n_jobs=2, max_iter=10**6, tol=None, lr=1e-4,
                                random_state=0)
    elif kind == "sparse_gathered_rows":  # batch-1 epochs on shuffled CSR rows gathered ahead (48 MB stored)
        import scipy.sparse as sp
        X = sp.csr_matrix((rng.random(4_000_000), rng.integers(0, 20_000, size=4_000_000),
                           np.arange(0, 4_000_001, 40)), shape=(100_000, 20_000))
        y = rng.normal(size=100_000)
        est = pygdx.GDRegressor(batch_size=1, optimizer="sgd", n_jobs=2, max_iter=10**6, tol=None, lr=1e-2,
                                random_state=0)
    else:  # millions of tiny epochs
        X = rng.normal(size=(16, 3))
        y = X @ [1.0, 2.0, 3.0]
        est = pygdx.GDRegressor(batch_size=4, max_iter=10**9, tol=None, random_state=0)
    print("ready", flush=True)
    try:
        est.fit(X, y)
        print(json.dumps({"interrupted": False}))
    except KeyboardInterrupt:
        stopped = time.perf_counter()
        out = {"interrupted": True, "stopped": stopped, "n_iter": est.n_iter_, "curve": len(est.loss_curve_),
               "finite": bool(np.isfinite(est.coef_).all()), "t": est.t_}
        est.predict(X[:5])
        est.partial_fit(X[:200], y[:200], **({"classes": est.classes_} if isinstance(est, pygdx.GDClassifier) else {}))
        out["after_partial_fit"] = est.n_iter_
        print(json.dumps(out), flush=True)
""")


@pytest.mark.parametrize("kind", ["long_epoch", "long_epoch_ema", "huge_batch", "huge_batch_l1", "huge_batch_clipped",
                                  "huge_batch_averaged", "team", "gathered_rows", "sparse_gathered_rows",
                                  "gathered_batches", "many_epochs"])
def test_ctrl_c_stops_a_fit_within_half_a_second_and_leaves_it_usable(tmp_path, kind):
    out, sent = interrupt_fit(tmp_path, INTERRUPTED_FIT, kind)
    assert out["interrupted"]
    # perf_counter is the same clock (CLOCK_MONOTONIC) in both processes on Linux
    assert out["stopped"] - sent < 0.5
    assert out["finite"] and out["n_iter"] == out["curve"]
    if kind.startswith(("long_epoch", "huge_batch")):
        assert out["n_iter"] == 0 and out["t"] == 0  # the unfinished epoch was undone whole
    else:
        assert out["n_iter"] > 0
    assert out["after_partial_fit"] == out["n_iter"] + 1


# --- threads ----------------------------------------------------------------------------------

def test_one_estimator_fitted_from_two_threads_fits_one_after_the_other(data):
    X, y = data
    params = dict(optimizer="adam", batch_size=4, max_iter=40, tol=None, random_state=0)
    est = pygdx.GDRegressor(**params)
    errors = []

    def fit():
        try:
            est.fit(X, y)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fit) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    alone = pygdx.GDRegressor(**params).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 40 and est.t_ == alone.t_
    np.testing.assert_array_equal(est.coef_, alone.coef_)


def test_a_callback_that_refits_its_own_estimator_is_a_clear_error(data):
    X, y = data
    est = pygdx.GDRegressor(max_iter=3, tol=None, callbacks=[lambda e, info: e.fit(X, y)])
    with pytest.raises(RuntimeError, match="from inside its own fit"):
        est.fit(X, y)
    assert not est.__sklearn_is_fitted__()


# --- issue 11's estimator findings ---------------------------------------------------------------

def test_F2_unconvertible_inputs_to_the_core_are_a_type_error_not_a_crash():
    problem = _core.LinearProblem(_core.LossKind.squared_error, 2)
    with pytest.raises(TypeError, match="X cannot be converted"):
        _core.linear_loss_grad(problem, np.array([["a", "b"]], dtype=object), np.zeros(1), None, np.zeros(3))
    with pytest.raises(TypeError, match="y cannot be converted"):
        _core.linear_loss_grad(problem, np.zeros((1, 2)), np.array([{}], dtype=object), None, np.zeros(3))
    with pytest.raises(TypeError, match="sample_weight cannot be converted"):
        _core.linear_loss_grad(problem, np.zeros((1, 2)), np.zeros(1), np.array(["x"], dtype=object), np.zeros(3))


def test_F13_parameters_out_of_range_raise_value_errors_before_anything_changes(data):
    X, y = data
    with pytest.raises(ValueError, match="max_iter must be"):
        pygdx.GDRegressor(max_iter=float("inf")).fit(X, y)
    with pytest.raises(ValueError, match="n_iter_no_change must be"):
        pygdx.GDRegressor(n_iter_no_change=float("inf")).fit(X, y)
    with pytest.raises(ValueError, match="class_weight must be"):
        pygdx.GDClassifier(class_weight={0: float("nan")}).fit(X, (y > 0).astype(int))
    # huge values that mean "everything" work as such
    big = pygdx.GDRegressor(batch_size=10**30, max_iter=3, tol=None, random_state=0, n_jobs=10**12).fit(X, y)
    whole = pygdx.GDRegressor(batch_size=len(X), max_iter=3, tol=None, random_state=0).fit(X, y)
    np.testing.assert_array_equal(big.coef_, whole.coef_)


def test_F13_dask_predict_before_fit_is_not_fitted():
    da = pytest.importorskip("dask.array")
    import pygdx.dask

    with pytest.raises(AttributeError, match="not fitted"):  # NotFittedError (ours or scikit-learn's)
        pygdx.dask.predict(pygdx.GDRegressor(), da.ones((4, 2), chunks=(2, 2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_F14_score_refuses_non_finite_y(data, bad):
    X, y = data
    est = pygdx.GDRegressor(max_iter=2, tol=None).fit(X, y)
    y = y.copy()
    y[3] = bad
    with pytest.raises(ValueError, match="Input y contains"):
        est.score(X, y)
    clf = pygdx.GDClassifier(max_iter=2, tol=None).fit(X, (y > 0).astype(float))
    with pytest.raises(ValueError, match="Input y contains"):
        clf.score(X, y)


def test_F15_fit_chunks_refuses_what_fit_refuses(data):
    X, y = data
    fit_chunks = pygdx.outofcore.fit_chunks
    with pytest.raises(ValueError, match="Complex data"):
        fit_chunks(pygdx.GDRegressor(max_iter=2), [(X[:60], y[:60]), (X[60:] + 1j, y[60:])])
    with pytest.raises(ValueError, match="numbers are needed"):
        fit_chunks(pygdx.GDRegressor(max_iter=2), [(X[:60], y[:60]), (X[60:].astype(str), y[60:])])
    with pytest.raises(ValueError, match="all zero"):
        fit_chunks(pygdx.GDRegressor(max_iter=2), [(X, y, np.zeros(len(y)))])


def test_F16_huge_sample_weights_are_named_not_blamed_on_the_learning_rate(data):
    X, y = data
    with pytest.raises(ValueError, match="sample_weight"):
        pygdx.GDRegressor(max_iter=3, tol=None).fit(X, y, sample_weight=np.full(len(y), 1e300))
    with pytest.raises(ValueError, match="sample_weight"):
        pygdx.GDRegressor(max_iter=3, tol=None).fit(X.astype(np.float32), y, sample_weight=np.full(len(y), 1e300))
    with pytest.raises(ValueError, match="class_weight must be"):
        pygdx.GDClassifier(class_weight={0: -1.0}).fit(X, (y > 0).astype(int))


@pytest.mark.parametrize("y_kind", ["complex", "datetime", "text", "object_text", "structured"])
def test_targets_and_weights_are_never_converted_leniently(data, y_kind):
    X, y = data
    bad = {
        "complex": y + 1j,
        "datetime": np.arange(len(y)).astype("datetime64[D]"),
        "text": y.astype(str),
        "object_text": y.astype(str).astype(object),
        "structured": np.zeros(len(y), dtype=[("a", float)]),
    }[y_kind]
    with pytest.raises(ValueError, match="y has dtype|Complex data"):
        pygdx.GDRegressor(max_iter=2).fit(X, bad)
    if y_kind not in ("text", "object_text"):  # class labels may be text
        with pytest.raises(ValueError, match="y has dtype|Complex data"):
            pygdx.GDClassifier(max_iter=2).fit(X, bad)
    with pytest.raises(ValueError, match="sample_weight has dtype|Complex data"):
        pygdx.GDRegressor(max_iter=2).fit(X, y, sample_weight=bad)


def test_object_targets_holding_numbers_are_numbers(data):
    X, y = data
    a = pygdx.GDRegressor(max_iter=2, tol=None, random_state=0).fit(X, y.astype(object))
    b = pygdx.GDRegressor(max_iter=2, tol=None, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


# --- one home per loss ----------------------------------------------------------------------

def test_a_subclass_of_a_built_in_loss_trains_on_the_core_with_any_number_of_classes(data):
    X, y = data
    labels = np.digitize(y, [-1.0, 1.0])  # three classes
    for base, name in [(pygdx.losses.Hinge, "hinge"), (pygdx.losses.LogLoss, "log_loss")]:
        custom = type("Mine", (base,), {})()
        params = dict(max_iter=3, tol=None, random_state=0)
        a = pygdx.GDClassifier(loss=custom, **params).fit(X, labels)
        b = pygdx.GDClassifier(loss=name, **params).fit(X, labels)
        np.testing.assert_array_equal(a.coef_, b.coef_)
    mine = type("Mine", (pygdx.losses.MultinomialLogLoss,), {})()
    assert mine.trained_on_core()
    pygdx.GDClassifier(loss=mine, max_iter=2, tol=None).fit(X, labels)


def test_a_subclass_that_changes_the_formula_trains_in_numpy_with_three_classes(data):
    X, y = data
    labels = np.digitize(y, [-1.0, 1.0])

    class SquaredHinge(pygdx.losses.Hinge):
        def _margin_value(self, margin):
            return np.maximum(0.0, 1.0 - margin) ** 2

        def _margin_derivative(self, margin):
            return -2.0 * np.maximum(0.0, 1.0 - margin)

    loss = SquaredHinge()
    assert not loss.trained_on_core()
    est = pygdx.GDClassifier(loss=loss, max_iter=3, tol=None, random_state=0).fit(X, labels)
    hinge = pygdx.GDClassifier(loss="hinge", max_iter=3, tol=None, random_state=0).fit(X, labels)
    assert est.coef_.shape == (3, 4) and not np.array_equal(est.coef_, hinge.coef_)


def test_training_never_imports_the_test_oracle():
    code = ("import sys, numpy as np, pygdx\n"
            "X = np.random.default_rng(0).normal(size=(50, 3)); y = X.sum(axis=1)\n"
            "class Mine(pygdx.losses.Loss):\n"
            "    def value(self, y, z): return (y - z) ** 2\n"
            "    def derivative(self, y, z): return 2 * (z - y)\n"
            "pygdx.GDRegressor(loss=Mine(), max_iter=2).fit(X, y)\n"
            "pygdx.outofcore.fit_chunks(pygdx.GDRegressor(max_iter=2, batch_size=None), [(X, y)])\n"
            "print(any(m.startswith('pygdx.reference') for m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_module_of_the_estimators_is_over_600_lines():
    root = os.path.dirname(pygdx.__file__)
    engine = ["estimators.py", "_fitting.py", "_training.py", "_validation.py", "_targets.py", "_metrics.py",
              "_estimator_protocol.py", "outofcore.py", "dask.py", "losses.py", "penalties.py", "callbacks.py"]
    sizes = {}
    for name in engine:
        with open(os.path.join(root, name)) as f:
            sizes[name] = sum(1 for _ in f)
    assert {k: v for k, v in sizes.items() if v > 600} == {}


def test_no_source_file_of_the_package_or_its_core_is_over_600_lines():
    """Issue 10's "no module over 600 lines", for every Python module, stub and C++ file of the
    source tree (this test's checkout), not only the estimators'."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    if not os.path.isdir(os.path.join(src, "cpp")):
        pytest.skip("needs the source tree")
    sizes = {}
    for folder, _, files in os.walk(src):
        for name in files:
            if name.endswith((".py", ".pyi", ".hpp", ".cpp")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    sizes[os.path.relpath(path, src)] = sum(1 for _ in f)
    assert len(sizes) > 50
    assert {k: v for k, v in sizes.items() if v > 600} == {}


def test_a_tabulated_schedule_gives_the_same_bits_over_many_epochs_per_call(data):
    """A schedule of rates computed ahead in Python (LambdaLR) is filled for every step of a
    call into the core: many epochs per call equal one epoch per call (forced by a callback)."""
    X, y = data
    params = dict(optimizer="sgd", batch_size=16, max_iter=300, tol=None, random_state=0)
    many = pygdx.GDRegressor(**params, lr=pygdx.schedules.LambdaLR(0.05, lambda e: 1.0 / (1 + 0.01 * e))).fit(X, y)
    one = pygdx.GDRegressor(**params, lr=pygdx.schedules.LambdaLR(0.05, lambda e: 1.0 / (1 + 0.01 * e)),
                            callbacks=[lambda est, info: False]).fit(X, y)
    assert many.t_ == one.t_ == 300 * 8
    assert many.loss_curve_ == one.loss_curve_
    np.testing.assert_array_equal(many.coef_, one.coef_)
