"""The C++ linear core against the plain-NumPy reference (pygdx.reference.linear):
full-batch objective and gradient for every loss and penalty, finite differences, threads,
row selections, float32, one epoch with a pygdx.optim optimizer, and non-finite stops."""

import hypothesis
import numpy as np
import pytest

import pygdx
from pygdx import _core, losses
from pygdx.reference import linear as ref

LOSSES = {
    "squared_error": (_core.LossKind.squared_error, losses.SquaredError()),
    "huber": (_core.LossKind.huber, losses.Huber(0.3)),
    "epsilon_insensitive": (_core.LossKind.epsilon_insensitive, losses.EpsilonInsensitive(0.3)),
    "log_loss": (_core.LossKind.log_loss, losses.LogLoss()),
    "hinge": (_core.LossKind.hinge, losses.Hinge()),
    "modified_huber": (_core.LossKind.modified_huber, losses.ModifiedHuber()),
}
PENALTIES = {None: _core.PenaltyKind.none, "l2": _core.PenaltyKind.l2, "l1": _core.PenaltyKind.l1,
             "elasticnet": _core.PenaltyKind.elasticnet}


def make_problem(loss_name, penalty=None, alpha=0.0, l1_ratio=0.15, n_features=6, n_outputs=1,
                 fit_intercept=True, multinomial=False):
    kind = _core.LossKind.multinomial if multinomial else LOSSES[loss_name][0]
    return _core.LinearProblem(kind, n_features=n_features, n_outputs=n_outputs, fit_intercept=fit_intercept,
                               epsilon=0.3, penalty=PENALTIES[penalty], alpha=alpha, l1_ratio=l1_ratio)


def make_data(loss, n=300, d=6, n_outputs=1, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    if n_outputs > 1:
        y = rng.integers(0, n_outputs, size=n).astype(dtype)
    elif loss.classification:
        y = rng.choice([-1.0, 1.0], size=n).astype(dtype)
    else:
        y = rng.normal(size=n).astype(dtype)
    theta = rng.normal(size=n_outputs * d + n_outputs).astype(dtype)
    sw = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    return X, y, theta, sw


def split(theta, d, K):
    return theta[: K * d].reshape(K, d), theta[K * d :]


def reference_loss_grad(loss, X, y, theta, sw, penalty, alpha, l1_ratio, fit_intercept, K=1):
    coef, intercept = split(theta, X.shape[1], K)
    value, gc, gi = ref.loss_grad(loss, X, y, coef, intercept, sw, penalty, alpha, l1_ratio, fit_intercept)
    return value, np.concatenate([gc.ravel(), gi])


@pytest.mark.parametrize("penalty", [None, "l2", "l1", "elasticnet"])
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_full_batch_loss_grad_equals_reference(loss_name, penalty, weighted):
    loss = LOSSES[loss_name][1]
    X, y, theta, sw = make_data(loss)
    sw = sw if weighted else None
    pb = make_problem(loss_name, penalty, alpha=0.05, l1_ratio=0.4)
    value, grad = _core.linear_loss_grad(pb, X, y, sw, theta)
    ref_value, ref_grad = reference_loss_grad(loss, X, y, theta, sw, penalty, 0.05, 0.4, True)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("multinomial, loss_name", [(True, "log_loss"), (False, "hinge"), (False, "modified_huber"),
                                                    (False, "log_loss")])
def test_multiclass_loss_grad_equals_reference(multinomial, loss_name):
    K = 4
    loss = losses.MultinomialLogLoss() if multinomial else LOSSES[loss_name][1]
    X, y, theta, sw = make_data(loss, n_outputs=K)
    pb = make_problem(loss_name, "l2", alpha=0.01, n_outputs=K, multinomial=multinomial)
    value, grad = _core.linear_loss_grad(pb, X, y, sw, theta)
    ref_value, ref_grad = reference_loss_grad(loss, X, y, theta, sw, "l2", 0.01, 0.15, True, K=K)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14)


def test_log_loss_is_accurate_to_the_last_bits_at_every_margin():
    # log(1 + exp(-m)) is computed as log(u) plus the rounding error of u = 1 + exp(-|m|):
    # it must stay within a few ulps of NumPy's logaddexp, for tiny and huge margins alike.
    margins = np.concatenate([-np.logspace(-8, 2.9, 60), [0.0], np.logspace(-8, 2.9, 60)])
    pb = make_problem("log_loss", n_features=1)
    theta = np.array([1.0, 0.0])
    for m in margins:
        value, grad = _core.linear_loss_grad(pb, np.array([[m]]), np.array([1.0]), None, theta)
        expected = np.logaddexp(0.0, -m)
        assert value == pytest.approx(expected, rel=1e-15, abs=1e-300), m
        sigmoid_minus = np.exp(-np.logaddexp(0.0, m))  # 1 / (1 + e^m) without overflow
        assert grad[0] == pytest.approx(-m * sigmoid_minus, rel=2e-15, abs=1e-300), m


@pytest.mark.parametrize("loss_name", ["squared_error", "log_loss", "huber"])
def test_gradient_equals_finite_differences(loss_name):
    loss = LOSSES[loss_name][1]
    X, y, theta, sw = make_data(loss, n=200)
    pb = make_problem(loss_name, "l2", alpha=0.1)
    _, grad = _core.linear_loss_grad(pb, X, y, sw, theta)
    h = 1e-6
    numeric = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        numeric[j] = (_core.linear_loss_grad(pb, X, y, sw, theta + e)[0] -
                      _core.linear_loss_grad(pb, X, y, sw, theta - e)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_without_intercept_its_gradient_is_zero():
    loss = losses.SquaredError()
    X, y, theta, _ = make_data(loss)
    theta[-1] = 0.0
    pb = make_problem("squared_error", fit_intercept=False)
    value, grad = _core.linear_loss_grad(pb, X, y, None, theta)
    ref_value, ref_grad = reference_loss_grad(loss, X, y, theta, None, None, 0.0, 0.15, False)
    assert grad[-1] == 0.0
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14)


def test_row_selection_and_threads_are_deterministic_and_exact():
    loss = losses.LogLoss()
    X, y, theta, sw = make_data(loss, n=40_000, d=8)
    pb = make_problem("log_loss", "l2", alpha=0.01, n_features=8)
    rows = np.random.default_rng(3).permutation(40_000)[:25_000]
    ref_value, ref_grad = reference_loss_grad(loss, X[rows], y[rows], theta, sw[rows], "l2", 0.01, 0.15, True)
    first_value, first_grad = _core.linear_loss_grad(pb, X, y, sw, theta, rows=rows, n_threads=1)
    np.testing.assert_allclose(first_value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(first_grad, ref_grad, rtol=1e-11, atol=1e-14)
    for threads in (1, 2, 3, 0):
        for _ in range(2):
            value, grad = _core.linear_loss_grad(pb, X, y, sw, theta, rows=rows, n_threads=threads)
            # bit-identical whatever the thread count and the timing
            assert value == first_value and np.array_equal(grad, first_grad)


def test_float32_follows_input_dtype_and_agrees_with_float64():
    loss = losses.SquaredError()
    X, y, theta, sw = make_data(loss, n=50_000, d=10)
    pb = make_problem("squared_error", "l2", alpha=0.01, n_features=10)
    v64, g64 = _core.linear_loss_grad(pb, X, y, sw, theta)
    v32, g32 = _core.linear_loss_grad(pb, X.astype(np.float32), y.astype(np.float32), sw.astype(np.float32),
                                      theta.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(v32, v64, rtol=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


def test_read_only_memmapped_and_strided_inputs(tmp_path):
    loss = losses.SquaredError()
    X, y, theta, _ = make_data(loss)
    expected = _core.linear_loss_grad(make_problem("squared_error"), X, y, None, theta)
    path = tmp_path / "X.npy"
    np.save(path, X)
    X_map = np.load(path, mmap_mode="r")
    assert not X_map.flags.writeable
    got = _core.linear_loss_grad(make_problem("squared_error"), X_map, y, None, theta)
    assert got[0] == expected[0] and np.array_equal(got[1], expected[1])
    X_fortran = np.asfortranarray(X)
    got = _core.linear_loss_grad(make_problem("squared_error"), X_fortran, y, None, theta)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-13)


def test_decision_values():
    loss = losses.MultinomialLogLoss()
    X, _, theta, _ = make_data(loss, n_outputs=3)
    pb = make_problem("log_loss", n_outputs=3, multinomial=True)
    coef, intercept = split(theta, 6, 3)
    np.testing.assert_allclose(_core.linear_decision(pb, X, theta), X @ coef.T + intercept, rtol=1e-13)
    rows = np.array([5, 2, 2, 9])
    np.testing.assert_allclose(_core.linear_decision(pb, X, theta, rows=rows), (X @ coef.T + intercept)[rows],
                               rtol=1e-13)


@pytest.mark.parametrize("optimizer, kwargs", [("adam", {"lr": 0.01}), ("sgd", {"lr": 0.05, "momentum": 0.9}),
                                               ("rmsprop", {"lr": 0.01, "centered": True}), ("nadam", {}),
                                               # plain SGD: the core fuses gradient and step
                                               ("sgd", {"lr": 0.05}),
                                               ("sgd", {"lr": 0.02, "weight_decay": 0.1, "maximize": True})])
@pytest.mark.parametrize("batch_size", [1, 7, None])
# l2: the stochastic, small-batch and row-pass paths; elasticnet: the l1 path at every size
@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_epoch_equals_reference_loop(optimizer, kwargs, batch_size, penalty):
    loss = losses.Huber(0.3)
    X, y, theta0, sw = make_data(loss, n=120)
    pb = make_problem("huber", penalty, alpha=0.01, l1_ratio=0.5)
    order = np.random.default_rng(5).permutation(120).astype(np.int64)

    theta = theta0.copy()
    opt = pygdx.optim.get(optimizer, [theta], **kwargs)
    hyper, schedule, counters, states = opt.core_buffers()
    stochastic = "stochastic_sgd" if opt.__class__.__name__ == "SGD" and not kwargs.get("momentum") else "stochastic"
    expected = {1: stochastic, 7: "small_rows", None: "row_pass"}[batch_size] if penalty == "l2" else "l1"
    assert _core.linear_epoch_path(pb, batch_size or 120, hyper) == expected
    mean_loss, steps, finite = _core.linear_epoch(pb, X, y, sw, order.copy(), batch_size, hyper, schedule, counters,
                                                  theta, states)

    coef, intercept = split(theta0.copy(), 6, 1)
    ref_opt = pygdx.optim.get(optimizer, [coef, intercept], **kwargs)
    ref_mean = ref.epoch(loss, X, y, coef, intercept, ref_opt, order, batch_size, sw, penalty, 0.01, 0.5)
    assert finite
    assert steps == opt.t == ref_opt.t
    np.testing.assert_allclose(theta, np.concatenate([coef.ravel(), intercept]), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(mean_loss, ref_mean, rtol=1e-12)


def run_epoch(pb, X, y, sw, order, batch_size, optimizer, kwargs, theta0, n_threads):
    theta = theta0.copy()
    opt = pygdx.optim.get(optimizer, [theta], **kwargs)
    hyper, schedule, counters, states = opt.core_buffers()
    mean_loss, steps, finite = _core.linear_epoch(pb, X, y, sw, order.copy(), batch_size, hyper, schedule, counters,
                                                  theta, states, n_threads)
    return theta, [s.copy() for s in states], counters.copy(), mean_loss, steps, finite


SPLIT_OPTIMIZERS = [("sgd", {"lr": 0.01}), ("adam", {"lr": 0.01}),
                    ("sgd", {"lr": 0.01, "momentum": 0.9, "nesterov": True})]


def epoch_path(penalty, batch_size, d, optimizer, kwargs, dtype):
    pb = make_problem("huber", penalty, alpha=0.01, n_features=d)
    hyper = pygdx.optim.get(optimizer, [np.zeros(d + 1, dtype=dtype)], **kwargs).core_buffers()[0]
    return _core.linear_epoch_path(pb, batch_size, hyper)


# Medium batches are cut into parts that a team of threads shares, larger ones are summed by
# RowPass's threads: the result must not depend on the thread count, and must equal the
# reference. The l2 penalty keeps them on those paths (an l1 part takes the l1 path, below);
# test_team_batches.py checks the team at 32, 48, 128 and 256 rows.
@pytest.mark.parametrize("optimizer, kwargs", SPLIT_OPTIMIZERS)
@pytest.mark.parametrize("batch_size, d, path", [(64, 100, "team_parts"), (100, 100, "team_parts"),
                                                 (1000, 100, "team_parts"), (1400, 100, "row_pass")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_split_batch_epochs_equal_reference_whatever_the_threads(optimizer, kwargs, batch_size, d, path, dtype):
    assert epoch_path("l2", batch_size, d, optimizer, kwargs, dtype) == path
    check_threads_agree_with_reference(optimizer, kwargs, batch_size, d, dtype, "l2", 0.15)


# Epochs with an l1 part take the l1 path (proximal steps) at every batch size.
@pytest.mark.parametrize("optimizer, kwargs", SPLIT_OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [32, 1000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l1_path_batches_equal_reference_whatever_the_threads(optimizer, kwargs, batch_size, dtype):
    assert epoch_path("elasticnet", batch_size, 100, optimizer, kwargs, dtype) == "l1"
    check_threads_agree_with_reference(optimizer, kwargs, batch_size, 100, dtype, "elasticnet", 0.5)


def check_threads_agree_with_reference(optimizer, kwargs, batch_size, d, dtype, penalty, l1_ratio):
    """One Huber epoch of 2100 rows on 1, 2, 3 and all threads: the same bits every time, and
    the NumPy reference's weights and mean loss (test_team_batches uses it too)."""
    loss = losses.Huber(0.3)
    n = 2100
    X, y, theta0, sw = make_data(loss, n=n, d=d, dtype=dtype)
    theta0 *= 0.1
    pb = make_problem("huber", penalty, alpha=0.01, l1_ratio=l1_ratio, n_features=d)
    order = np.random.default_rng(5).permutation(n).astype(np.int64)
    runs = [run_epoch(pb, X, y, sw, order, batch_size, optimizer, kwargs, theta0, t) for t in (1, 2, 3, 0)]
    for other in runs[1:]:
        np.testing.assert_array_equal(other[0], runs[0][0])
        for a, b in zip(other[1], runs[0][1]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(other[2], runs[0][2])
        assert other[3:] == runs[0][3:]
    theta, _, _, mean_loss, steps, finite = runs[0]
    coef, intercept = split(theta0.astype(np.float64), d, 1)
    ref_opt = pygdx.optim.get(optimizer, [coef, intercept], **kwargs)
    ref_mean = ref.epoch(loss, X.astype(np.float64), y.astype(np.float64), coef, intercept, ref_opt, order,
                         batch_size, sw.astype(np.float64), penalty, 0.01, l1_ratio)
    assert finite and steps == ref_opt.t == -(-n // batch_size)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(theta, np.concatenate([coef.ravel(), intercept]), **tol)
    np.testing.assert_allclose(mean_loss, ref_mean, rtol=tol["rtol"])


@pytest.mark.parametrize("optimizer, kwargs", [("sgd", {"lr": 0.01}), ("adam", {"lr": 0.01})])
def test_column_halves_stop_before_the_step_at_a_non_finite_batch(optimizer, kwargs):
    # (squared error: an inf feature always makes the loss inf; a log loss can be 0 at an
    # infinite margin, and then the weights' check after the epoch reports it instead)
    loss = losses.SquaredError()
    X, y, theta0, _ = make_data(loss, n=1000, d=100)
    X[700, 80] = np.inf  # batch 21 of 32-row batches (rows 672..703), in the second half of the columns
    pb = make_problem("squared_error", n_features=100)
    theta, _, counters, _, steps, finite = run_epoch(pb, X, y, None, np.arange(1000, dtype=np.int64), 32,
                                                    optimizer, kwargs, theta0 * 0.1, 1)
    assert not finite and steps == 21 and counters[0] == 21
    assert np.all(np.isfinite(theta))


def test_split_batch_team_stops_together_at_a_non_finite_batch():
    loss = losses.SquaredError()
    X, y, theta0, _ = make_data(loss, n=1000, d=100)
    X[700, 3] = np.nan  # batch 5 of 128-row batches: rows 640..767
    pb = make_problem("squared_error", n_features=100)
    order = np.arange(1000, dtype=np.int64)
    runs = [run_epoch(pb, X, y, None, order, 128, "adam", {"lr": 0.01}, theta0 * 0.1, t) for t in (1, 2)]
    for theta, _, counters, _, steps, finite in runs:
        assert not finite and steps == 5 and counters[0] == 5
        assert np.all(np.isfinite(theta))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])


def test_schedule_is_evaluated_per_step_inside_the_epoch():
    loss = losses.SquaredError()
    X, y, theta0, _ = make_data(loss, n=50)
    pb = make_problem("squared_error")
    order = np.arange(50, dtype=np.int64)
    schedule = pygdx.schedules.StepLR(0.05, step_size=3, gamma=0.5)
    theta = theta0.copy()
    opt = pygdx.optim.SGD([theta], lr=schedule)
    hyper, core_schedule, counters, states = opt.core_buffers()
    _core.linear_epoch(pb, X, y, None, order, 4, hyper, core_schedule, counters, theta, states)
    coef, intercept = split(theta0.copy(), 6, 1)
    ref_opt = pygdx.optim.SGD([coef, intercept], lr=schedule)
    ref.epoch(loss, X, y, coef, intercept, ref_opt, order, 4)
    np.testing.assert_allclose(theta, np.concatenate([coef.ravel(), intercept]), rtol=1e-12)


def test_shuffle_is_seeded_and_a_permutation():
    loss = losses.SquaredError()
    X, y, theta, _ = make_data(loss, n=1000)
    pb = make_problem("squared_error")
    orders = []
    for _ in range(2):
        order = np.arange(1000, dtype=np.int64)
        t = theta.copy()
        opt = pygdx.optim.SGD([t], lr=0.01)
        hyper, schedule, counters, states = opt.core_buffers()
        _core.linear_epoch(pb, X, y, None, order, 10, hyper, schedule, counters, t, states, shuffle_seed=1234)
        orders.append(order)
    assert np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[0], np.arange(1000))
    assert np.array_equal(np.sort(orders[0]), np.arange(1000))


def test_non_finite_loss_stops_before_the_step_that_would_corrupt_theta():
    loss = losses.SquaredError()
    X, y, theta, _ = make_data(loss, n=200)
    X[150, 2] = np.inf
    pb = make_problem("squared_error")
    order = np.arange(200, dtype=np.int64)
    opt = pygdx.optim.SGD([theta], lr=0.01)
    hyper, schedule, counters, states = opt.core_buffers()
    _, steps, finite = _core.linear_epoch(pb, X, y, None, order, 10, hyper, schedule, counters, theta, states)
    assert not finite
    assert steps == 15  # batches 0..14 stepped; batch 15 (rows 150..159) holds the inf
    assert np.all(np.isfinite(theta))


def test_bad_inputs_are_refused_clearly():
    pb = make_problem("squared_error")
    X, y, theta, _ = make_data(losses.SquaredError())
    with pytest.raises(ValueError, match="X has 3 features, but the problem has 6"):
        _core.linear_loss_grad(pb, X[:, :3], y, None, theta)
    with pytest.raises(ValueError, match="one value per row"):
        _core.linear_loss_grad(pb, X, y[:-1], None, theta)
    with pytest.raises(IndexError, match="row index 300 is out of range"):
        _core.linear_loss_grad(pb, X, y, None, theta, rows=np.array([0, 300]))
    with pytest.raises(ValueError, match="theta has 3 elements"):
        _core.linear_loss_grad(pb, X, y, None, theta[:3].copy())
    with pytest.raises(TypeError, match="order must be a writeable"):
        opt = pygdx.optim.SGD([theta], lr=0.1)
        _core.linear_epoch(pb, X, y, None, np.arange(300, dtype=np.int32), 1, *opt.core_buffers()[:3], theta,
                           opt.core_buffers()[3])
    multi = make_problem("log_loss", n_outputs=3, multinomial=True)
    bad_theta = np.zeros(21)
    with pytest.raises(ValueError, match="class indices 0..2"):
        _core.linear_loss_grad(multi, X, np.full(300, 3.0), None, bad_theta)
    # (issue 13: a regression loss with several outputs is multi-output regression, which
    # reads y as (n, K))
    with pytest.raises(ValueError, match="y must be 2-dimensional"):
        _core.linear_loss_grad(make_problem("squared_error", n_outputs=2), X, y, None, np.zeros(2 * X.shape[1] + 2))


st = hypothesis.strategies


@hypothesis.settings(max_examples=40, deadline=None)
@hypothesis.given(
    loss_name=st.sampled_from(sorted(LOSSES)),
    penalty=st.sampled_from([None, "l2", "l1", "elasticnet"]),
    n=st.integers(1, 200),
    d=st.integers(1, 40),
    seed=st.integers(0, 2**31 - 1),
    threads=st.integers(1, 3),
)
def test_property_core_equals_reference_and_float32_is_close(loss_name, penalty, n, d, seed, threads):
    loss = LOSSES[loss_name][1]
    X, y, theta, sw = make_data(loss, n=n, d=d, seed=seed)
    pb = make_problem(loss_name, penalty, alpha=0.03, l1_ratio=0.3, n_features=d)
    value, grad = _core.linear_loss_grad(pb, X, y, sw, theta, n_threads=threads)
    ref_value, ref_grad = reference_loss_grad(loss, X, y, theta, sw, penalty, 0.03, 0.3, True)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-11, atol=1e-13)
    v32, g32 = _core.linear_loss_grad(pb, X.astype(np.float32), y.astype(np.float32), sw.astype(np.float32),
                                      theta.astype(np.float32), n_threads=threads)
    np.testing.assert_allclose(v32, value, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(g32, grad, rtol=1e-3, atol=1e-4 * (1 + np.abs(grad).max()))


def test_multinomial_problem_needs_two_outputs():
    with pytest.raises(ValueError, match="multinomial loss needs n_outputs >= 2"):
        _core.LinearProblem(_core.LossKind.multinomial, 3, n_outputs=1)
