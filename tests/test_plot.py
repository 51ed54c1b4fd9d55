"""pygdx.plot: each figure rendered with Agg to a PNG that decodes to a real picture, and
the right things drawn on the axes (lines, markers, legend, scales, window)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import pygdx  # noqa: E402
from pygdx import functions  # noqa: E402
from pygdx import plot  # noqa: E402


class FakeEstimator:
    """What the estimators expose to plot: a loss curve per epoch."""

    def __init__(self, losses):
        self.loss_curve_ = list(losses)


def new_axes():
    fig = Figure(figsize=(4, 3), dpi=50)
    return fig, fig.subplots()


def assert_real_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    buf.seek(0)
    pixels = matplotlib.image.imread(buf, format="png")
    width, height = fig.get_size_inches() * fig.dpi
    assert pixels.shape[:2] == (round(height), round(width))
    rgb = pixels[..., :3].reshape(-1, 3)
    assert np.ptp(rgb, axis=0).max() > 0.5  # not a blank canvas
    assert len(np.unique(np.round(rgb * 255).astype(int), axis=0)) > 10  # more than a frame and a line
    assert np.mean(np.all(rgb > 0.98, axis=1)) < 0.995  # something is drawn on the white


def legend_texts(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


@pytest.fixture(scope="module")
def rosenbrock_runs():
    f = functions.rosenbrock
    settings = {"gd": 1e-3, "momentum": 2e-4, "adam": 0.02, "rmsprop": 2e-3}
    return {m: pygdx.minimize(f, [-1.5, 2.0], jac=f.grad, method=m, lr=lr, max_iter=3000) for m, lr in settings.items()}


def test_loss_curve_of_every_kind_of_source(rosenbrock_runs):
    fig, ax = new_axes()
    result = rosenbrock_runs["adam"]
    sources = {"estimator": FakeEstimator([3.0, 2.0, 1.5, 1.2]), "result": result,
               "history": result.history, "list": [5.0, 4.0, 3.5]}
    assert plot.loss_curve(sources, ax=ax) is ax
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4])  # epochs count from 1
    np.testing.assert_array_equal(lines[1].get_ydata(), result.history.fun)
    np.testing.assert_array_equal(lines[1].get_xdata(), np.arange(result.nit + 1))  # iteration 0 = start
    assert legend_texts(ax) == list(sources)
    assert ax.get_yscale() == "log"  # f spans many decades
    assert ax.get_xlabel() == "iteration"
    assert_real_png(fig)


def test_loss_curve_of_one_estimator_is_per_epoch_on_a_linear_scale():
    fig, ax = new_axes()
    plot.loss_curve(FakeEstimator([1.0, 0.8, 0.7]), ax=ax)
    assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "linear"
    assert legend_texts(ax) == ["FakeEstimator"]
    assert_real_png(fig)


def test_loss_curve_list_of_results_is_labelled_by_method(rosenbrock_runs):
    fig, ax = new_axes()
    plot.loss_curve(list(rosenbrock_runs.values()), ax=ax, log=False)
    assert legend_texts(ax) == list(rosenbrock_runs) and ax.get_yscale() == "linear"


def test_trajectory_2d_with_several_paths(rosenbrock_runs):
    fig, ax = new_axes()
    assert plot.trajectory(functions.rosenbrock, rosenbrock_runs, ax=ax) is ax
    assert legend_texts(ax) == [*rosenbrock_runs, "minimum"]
    assert len(ax.collections) > 0  # the contour lines
    # Each path: its line, a start marker and an end marker, in the path's colour.
    lines = ax.get_lines()
    for name, res in rosenbrock_runs.items():
        (line,) = [ln for ln in lines if ln.get_label() == name]
        np.testing.assert_array_equal(line.get_xydata(), res.history.x)
        same_colour = [ln for ln in lines if ln.get_color() == line.get_color() and ln is not line]
        assert {ln.get_marker() for ln in same_colour} == {"o", "*"}
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 3.0)
    assert_real_png(fig)


def test_trajectory_window_grows_to_hold_the_path():
    fig, ax = new_axes()
    res = pygdx.minimize(functions.booth, [-30.0, 25.0], jac=functions.booth.grad, lr=0.05, max_iter=100)
    plot.trajectory(functions.booth, res, ax=ax)
    lo, hi = ax.get_xlim()
    assert lo < -30.0 and hi >= 10.0
    assert_real_png(fig)


def test_trajectory_1d_draws_the_curve_and_the_points():
    fig, ax = new_axes()
    f = functions.square_plus_sine
    res = pygdx.minimize(f, 5.0, jac=f.grad, lr=0.1, max_iter=20)
    plot.trajectory(f, {"gd": res}, ax=ax)
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), f(curve.get_xdata()))
    (path,) = [ln for ln in ax.get_lines() if ln.get_label() == "gd"]
    np.testing.assert_array_equal(path.get_xdata(), res.history.x)
    np.testing.assert_array_equal(path.get_ydata(), res.history.fun)
    assert ax.get_xlim() == f.window[0]
    assert_real_png(fig)


def test_trajectory_of_a_plain_function_and_raw_points():
    def himmelblau_one_point(p):  # takes one point only: trajectory must not pass it a grid
        assert np.shape(p) == (2,)
        return (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2

    fig, ax = new_axes()
    path = np.array([[0.0, 0.0], [1.0, 1.0], [2.5, 1.8], [3.0, 2.0]])
    plot.trajectory(himmelblau_one_point, [path], ax=ax, resolution=40)
    assert ax.get_xlim()[0] < 0.0 and ax.get_xlim()[1] > 3.0
    assert len(ax.collections) > 0
    assert_real_png(fig)
    fig, ax = new_axes()
    plot.trajectory(np.cos, None, ax=ax, window=[(-3.0, 3.0)])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.cos(ax.get_lines()[0].get_xdata()))


def test_trajectory_errors():
    fig, ax = new_axes()
    with pytest.raises(ValueError, match="window"):
        plot.trajectory(np.cos, None, ax=ax)
    with pytest.raises(ValueError, match="does not fit"):
        plot.trajectory(functions.booth, [np.zeros(5)], ax=ax)
    with pytest.raises(ValueError, match="one or two variables"):
        plot.trajectory(functions.quadratic_bowl(10.0, n=3), None, ax=ax)
    res = pygdx.minimize(functions.booth, [0.0, 0.0], jac=functions.booth.grad, max_iter=3, keep_path=False)
    with pytest.raises(ValueError, match="keep_path"):
        plot.trajectory(functions.booth, res, ax=ax)


def test_compare_metrics(rosenbrock_runs):
    fig = Figure(figsize=(9, 3), dpi=50)
    axes = fig.subplots(1, 3)
    plot.compare(rosenbrock_runs, ax=axes[0], f_min=0.0)
    plot.compare(rosenbrock_runs, ax=axes[1], metric="grad_norm")
    plot.compare(rosenbrock_runs, ax=axes[2], metric="lr")
    assert axes[0].get_ylabel() == "f(x) − f_min" and axes[0].get_yscale() == "log"
    np.testing.assert_array_equal(axes[1].get_lines()[2].get_ydata(), rosenbrock_runs["adam"].history.grad_norm)
    assert legend_texts(axes[2]) == list(rosenbrock_runs)
    assert_real_png(fig)
    with pytest.raises(ValueError, match="Unknown metric"):
        plot.compare(rosenbrock_runs, metric="speed", ax=axes[0])
    with pytest.raises(ValueError, match="only to metric='fun'"):
        plot.compare(rosenbrock_runs, metric="lr", f_min=0.0, ax=axes[0])


def test_lr_sweep_reproduces_the_classic_figure():
    fig, ax = new_axes()
    f = functions.square_plus_sine
    assert plot.lr_sweep(f, 5.0, [0.01, 0.1, 0.5], jac=f.grad, max_iter=20, gtol=None, ax=ax) is ax
    assert legend_texts(ax)[:3] == ["lr = 0.01", "lr = 0.1", "lr = 0.5"]
    # The lr = 0.1 path is 20 plain gradient steps from 5.
    x, xs = 5.0, [5.0]
    for _ in range(20):
        x = x - 0.1 * (2 * x + 5 * np.cos(x))
        xs.append(x)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "lr = 0.1"]
    np.testing.assert_allclose(line.get_xdata(), xs, rtol=1e-12)
    assert_real_png(fig)


def test_lr_sweep_as_loss_curves_in_2d():
    fig, ax = new_axes()
    f = functions.rosenbrock
    plot.lr_sweep(f, [-1.0, 1.0], [1e-4, 5e-4, 1e-3], jac=f.grad, max_iter=50, kind="loss", ax=ax)
    assert len(ax.get_lines()) == 3 and ax.get_xlabel() == "iteration"
    assert_real_png(fig)
    with pytest.raises(ValueError, match="kind"):
        plot.lr_sweep(f, [-1.0, 1.0], [1e-3], jac=f.grad, kind="bars", ax=ax)


def test_without_ax_draws_on_the_current_pyplot_axes():
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = plt.figure()
    try:
        ax = plot.loss_curve([3.0, 2.0, 1.0])
        assert ax is plt.gca() and ax.figure is fig
    finally:
        plt.close(fig)


def test_unplottable_sources():
    fig, ax = new_axes()
    with pytest.raises(TypeError, match="cannot plot"):
        plot.loss_curve(42, ax=ax)
    with pytest.raises(ValueError, match="one-dimensional"):
        plot.loss_curve(np.zeros((3, 3)), ax=ax)
    with pytest.raises(ValueError, match="fit it first"):
        plot.loss_curve(FakeEstimator([]), ax=ax)
    with pytest.raises(ValueError, match="only its loss"):
        plot.compare([FakeEstimator([1.0])], metric="grad_norm", ax=ax)


def test_loss_curve_of_the_real_estimators():
    estimators = [getattr(pygdx, name, None) for name in ("GDRegressor", "GDClassifier")]
    if None in estimators:
        pytest.skip("the estimators are not in this build")
    regressor_cls, classifier_cls = estimators
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    fitted = {"regressor": regressor_cls(max_iter=15, tol=None).fit(X, y),
              "classifier": classifier_cls(max_iter=15, tol=None).fit(X, (y > 0).astype(int))}
    fig, ax = new_axes()
    plot.loss_curve(fitted, ax=ax)
    for line, est in zip(ax.get_lines(), fitted.values()):
        np.testing.assert_array_equal(line.get_ydata(), est.loss_curve_)
    assert ax.get_xlabel() == "epoch" and legend_texts(ax) == list(fitted)
    assert_real_png(fig)


def test_an_unfitted_estimator_is_named_as_such():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="GDRegressor has no loss curve yet: call fit first"):
        pygdx.plot.loss_curve(pygdx.GDRegressor())


def test_trajectory_calls_a_function_of_one_variable_as_minimize_did():
    """issue 13: a function written for minimize's (1,)-arrays (scipy's convention) also draws,
    and one written for floats (a scalar x0) still gets floats."""
    on_arrays = []

    def f(v):
        on_arrays.append(np.shape(v))
        return v[0] ** 2 + 5 * np.sin(v[0])

    res = pygdx.minimize(f, [5.0], lr=0.1, max_iter=20)
    fig, ax = new_axes()
    plot.trajectory(f, {"gd": res}, ax=ax, window=[(-4.0, 6.0)])
    assert set(on_arrays) == {(1,)}
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), curve.get_xdata() ** 2 + 5 * np.sin(curve.get_xdata()))
    assert_real_png(fig)
    fig, ax = new_axes()
    plot.lr_sweep(f, [5.0], [0.01, 0.1], max_iter=10, ax=ax)  # minimize and the curve, one convention
    assert set(on_arrays) == {(1,)}

    def g(x):  # math.sin takes a float only
        return math.sin(x) + x * x

    res = pygdx.minimize(g, 2.0, lr=0.1, max_iter=20)
    fig, ax = new_axes()
    plot.trajectory(g, res, ax=ax, window=[(-3.0, 3.0)])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[:3], [g(x) for x in ax.get_lines()[0].get_xdata()[:3]])


@pytest.mark.parametrize("epochs", [3, 4, 6])
def test_loss_curves_tick_whole_epochs(epochs):
    fig, ax = new_axes()
    plot.loss_curve(list(np.linspace(5.0, 1.0, epochs)), ax=ax)
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    est = pygdx.GDRegressor(max_iter=epochs, tol=None).fit(np.eye(4), np.arange(4.0))
    fig, ax = new_axes()
    plot.loss_curve(est, ax=ax)
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())
