"""pygdx.dask: training on Dask arrays, checked against the in-memory fit on the same data.

Most tests run on a dask.distributed LocalCluster started here (2 worker processes x 1
thread, no dashboard, localhost only); some use the default threaded scheduler. One test
kills a worker process in the middle of a fit.
"""

import doctest
import importlib
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import pygdx
from pygdx.outofcore import fit_chunks

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pygdx_dask = importlib.import_module("pygdx.dask")

ROW_CHUNKS = (700, 700, 1000, 300, 1300)  # uneven, and none a multiple of the batch sizes below


def start_cluster():
    # No dashboard; the scheduler's other HTTP routes (health, metrics) on a free localhost port
    # rather than 8787, which another cluster on this machine may hold.
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1", scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def client():
    cluster, client = start_cluster()
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def make_regression(seed=0, d=8):
    """Data generated and persisted on the workers (no large arrays in the task graph), and
    the same numbers in memory for the oracle."""
    rng = da.random.default_rng(seed)
    X = rng.normal(size=(sum(ROW_CHUNKS), d), chunks=(ROW_CHUNKS, d))
    y = X @ da.linspace(-2.0, 2.0, d) + 0.7 + 0.1 * rng.normal(size=X.shape[0], chunks=(ROW_CHUNKS,))
    sw = rng.uniform(0.0, 2.0, size=X.shape[0], chunks=(ROW_CHUNKS,))
    X, y, sw = dask.persist(X, y, sw)
    return (X, y, sw), dask.compute(X, y, sw)


def make_classification(n_classes, seed=1, d=6):
    rng = da.random.default_rng(seed)
    n = sum(ROW_CHUNKS)
    labels = rng.integers(0, n_classes, size=n, chunks=(ROW_CHUNKS,))
    centers = da.from_array(np.random.default_rng(seed).normal(scale=2.0, size=(n_classes, d)))
    X = centers[labels] + rng.normal(size=(n, d), chunks=(ROW_CHUNKS, d))
    names = np.array(["ant", "bee", "cat", "dog"])
    y = labels.map_blocks(lambda b: names[b], dtype=names.dtype)
    X, y = dask.persist(X.rechunk((ROW_CHUNKS, d)), y)
    return (X, y), dask.compute(X, y)


def assert_close_model(a, b, rtol):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=0)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=0)


# --- full batch: equal to the in-memory fit after the same steps -------------------------------

@pytest.mark.parametrize("optimizer, optimizer_params, penalty", [
    ("gd", {}, "l2"), ("momentum", {"momentum": 0.9}, "elasticnet"), ("adam", {}, "l1"), ("radam", {}, None)])
def test_full_batch_regressor_on_a_cluster_equals_in_memory_fit(client, optimizer, optimizer_params, penalty):
    (X, y, sw), (Xn, yn, swn) = make_regression()
    params = dict(optimizer=optimizer, optimizer_params=optimizer_params, lr=0.05, batch_size=None,
                  penalty=penalty, alpha=1e-2, tol=None, max_iter=25)
    expected = pygdx.GDRegressor(**params).fit(Xn, yn, sample_weight=swn)
    got = pygdx_dask.fit(pygdx.GDRegressor(**params), X, y, sample_weight=sw)
    assert got.t_ == expected.t_ == 25 and got.n_iter_ == 25
    assert_close_model(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got.loss_curve_, expected.loss_curve_, rtol=1e-10)
    # The chunks' gradients are summed in chunk order, whichever worker computed them and
    # whenever they arrived: bit for bit the in-process sum over the same chunks.
    bounds = np.cumsum((0,) + ROW_CHUNKS)
    chunks = [(Xn[i:j], yn[i:j], swn[i:j]) for i, j in zip(bounds[:-1], bounds[1:])]
    local = fit_chunks(pygdx.GDRegressor(**params), chunks)
    np.testing.assert_array_equal(got._theta, local._theta)


# Not Adam with "balanced": balanced weights make the intercept's gradient exactly zero at the
# start, and Adam turns the rounding noise of that zero into a full step (in memory too).
@pytest.mark.parametrize("n_classes, loss, optimizer, class_weight", [
    (2, "log_loss", "momentum", "balanced"), (3, "log_loss", "adam", {"ant": 2.0, "cat": 0.5}),
    (4, "modified_huber", "rmsprop", "balanced")])
def test_full_batch_classifier_finds_classes_and_class_weights_over_all_chunks(client, n_classes, loss, optimizer,
                                                                               class_weight):
    (X, y), (Xn, yn) = make_classification(n_classes)
    params = dict(loss=loss, optimizer=optimizer, optimizer_params={"momentum": 0.9} if optimizer == "momentum"
                  else {}, lr=0.05, batch_size=None, penalty="l2", alpha=1e-3, tol=None, max_iter=20,
                  class_weight=class_weight)
    expected = pygdx.GDClassifier(**params).fit(Xn, yn)
    got = pygdx_dask.fit(pygdx.GDClassifier(**params), X, y)
    np.testing.assert_array_equal(got.classes_, expected.classes_)
    assert_close_model(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got.loss_curve_, expected.loss_curve_, rtol=1e-10)
    labels = pygdx_dask.predict(got, X)
    np.testing.assert_array_equal(labels.compute(), expected.predict(Xn))
    np.testing.assert_allclose(pygdx_dask.predict_proba(got, X).compute(), expected.predict_proba(Xn), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(pygdx_dask.decision_function(got, X).compute(), expected.decision_function(Xn),
                               rtol=1e-9, atol=1e-12)


def test_full_batch_on_the_threaded_scheduler_equals_in_memory_fit():
    rng = np.random.default_rng(3)
    Xn = rng.normal(size=(sum(ROW_CHUNKS), 12))
    yn = Xn @ rng.normal(size=12) - 1.0
    X = da.from_array(Xn, chunks=(ROW_CHUNKS, 12))
    y = da.from_array(yn, chunks=1700)  # other chunks than X: realigned to X's rows
    params = dict(optimizer="nadam", lr=0.05, batch_size=None, tol=None, max_iter=30)
    expected = pygdx.GDRegressor(**params).fit(Xn, yn)
    with dask.config.set(scheduler="threads"):
        got = pygdx_dask.fit(pygdx.GDRegressor(**params), X, y)
    assert_close_model(got, expected, rtol=1e-10)


def test_float32_dask_data_trains_a_float32_model():
    rng = np.random.default_rng(4)
    Xn = rng.normal(size=(3000, 5)).astype(np.float32)
    yn = Xn @ np.arange(1.0, 6.0) + 2.0
    params = dict(lr=0.05, batch_size=None, tol=None, max_iter=20)
    with dask.config.set(scheduler="threads"):
        got = pygdx_dask.fit(pygdx.GDRegressor(**params), da.from_array(Xn, chunks=(1000, 5)), yn)
    expected = pygdx.GDRegressor(**params).fit(Xn, yn)
    assert got.coef_.dtype == np.float32
    np.testing.assert_allclose(got.coef_, expected.coef_, rtol=1e-4)  # float32 gradients per chunk


# --- mini-batch: block by block, the loss of the in-memory fit ---------------------------------

@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_mini_batch_reaches_the_in_memory_loss_and_equals_chunked_training(client, kind):
    if kind == "regressor":
        (X, y, _), (Xn, yn, _) = make_regression()
        make, extra = pygdx.GDRegressor, {}
        params = dict(optimizer="sgd", lr=0.01, batch_size=32, tol=None, max_iter=12, random_state=7)
    else:
        (X, y), (Xn, yn) = make_classification(3)
        make, extra = pygdx.GDClassifier, {"classes": np.unique(yn)}
        params = dict(optimizer="adam", lr=0.01, batch_size=16, tol=None, max_iter=12, random_state=7)
    got = pygdx_dask.fit(make(**params), X, y)
    in_memory = make(**params).fit(Xn, yn)
    assert got.t_ == sum(-(-rows // params["batch_size"]) for rows in ROW_CHUNKS) * 12
    assert got.loss_curve_[-1] == pytest.approx(in_memory.loss_curve_[-1], rel=0.01)
    # Bit for bit what the in-process chunked training does with the same chunks and seeds.
    bounds = np.cumsum((0,) + ROW_CHUNKS)
    chunks = [(Xn[i:j], yn[i:j]) for i, j in zip(bounds[:-1], bounds[1:])]
    local = fit_chunks(make(**params), chunks, **extra)
    assert_close_model(got, local, rtol=1e-13)
    np.testing.assert_allclose(got.loss_curve_, local.loss_curve_, rtol=1e-12)


# --- partial_fit -----------------------------------------------------------------------------

def test_partial_fit_full_batch_steps_equal_fit_and_classes_come_from_the_data():
    Xn, yn = np.random.default_rng(8).normal(size=(2000, 4)), np.repeat(["no", "yes"], 1000)
    Xn[yn == "yes"] += 0.7
    X, y = da.from_array(Xn, chunks=(600, 4)), da.from_array(yn, chunks=600)
    params = dict(optimizer="adam", lr=0.05, batch_size=None, tol=None, penalty="l2", alpha=1e-3)
    est = pygdx.GDClassifier(**params)
    with dask.config.set(scheduler="threads"):
        for _ in range(5):
            pygdx_dask.partial_fit(est, X, y)
        with pytest.raises(ValueError, match="not the same as on the first call"):
            pygdx_dask.partial_fit(est, X, y, classes=["no", "yes", "maybe"])
    expected = pygdx.GDClassifier(**params, max_iter=5).fit(Xn, yn)
    np.testing.assert_array_equal(est.classes_, ["no", "yes"])
    assert est.t_ == 5 and len(est.loss_curve_) == 5
    assert_close_model(est, expected, rtol=1e-10)
    np.testing.assert_allclose(est.loss_curve_, expected.loss_curve_, rtol=1e-10)


def test_partial_fit_mini_batch_equals_partial_fit_over_the_chunks_in_memory():
    Xn = np.random.default_rng(9).normal(size=(1000, 3))
    yn = Xn @ [1.0, 2.0, -1.0]
    params = dict(optimizer="adam", lr=0.01, batch_size=25, shuffle=False)
    est = pygdx.GDRegressor(**params)
    reference = pygdx.GDRegressor(**params)
    with dask.config.set(scheduler="threads"):
        for _ in range(2):
            pygdx_dask.partial_fit(est, da.from_array(Xn, chunks=(250, 3)), yn)
            for start in range(0, 1000, 250):
                reference.partial_fit(Xn[start : start + 250], yn[start : start + 250])
    assert est.t_ == reference.t_ == 80
    assert_close_model(est, reference, rtol=1e-13)


# --- failures --------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [None, 64])
def test_a_worker_killed_mid_fit_gives_the_undisturbed_model(batch_size):
    cluster, client = start_cluster()
    try:
        (X, y, _), (Xn, yn, _) = make_regression(seed=5)
        params = dict(optimizer="adam", lr=0.02, batch_size=batch_size, tol=None, max_iter=12, random_state=0)
        undisturbed = fit_chunks(pygdx.GDRegressor(**params),
                                 [(X.blocks[i].compute(), y.blocks[i].compute()) for i in range(len(ROW_CHUNKS))])
        killed = []

        def kill_a_worker(est, info):
            if info["epoch"] == 4:
                addr = sorted(client.scheduler_info()["workers"])[0]
                pid = client.run(os.getpid, workers=[addr])[addr]
                os.kill(pid, signal.SIGKILL)  # the worker holds chunks of X and y, lost with it
                killed.append(addr)

        est = pygdx.GDRegressor(**params, callbacks=[kill_a_worker])
        try:
            pygdx_dask.fit(est, X, y)
        except RuntimeError as exc:  # Dask gave up: a clear error, the weights of the last full step
            assert "failed on the Dask scheduler after" in str(exc)
            assert est.t_ > 0 and np.isfinite(est.coef_).all()
            if batch_size is None:
                same_steps = pygdx.GDRegressor(**dict(params, max_iter=est.t_)).fit(Xn, yn)
                assert_close_model(est, same_steps, rtol=1e-10)
        else:  # Dask recomputed what the dead worker held: the same numbers as without the failure
            assert est.n_iter_ == 12
            assert_close_model(est, undisturbed, rtol=1e-10 if batch_size is None else 1e-13)
        assert killed and killed[0] not in client.scheduler_info()["workers"]
    finally:
        client.close()
        cluster.close()


def test_losing_the_data_source_mid_fit_is_a_clear_error_and_changes_nothing(tmp_path):
    rng = np.random.default_rng(6)
    Xn = rng.normal(size=(2000, 4))
    yn = Xn @ [1.0, -1.0, 2.0, 0.5]
    path = tmp_path / "X.npy"
    np.save(path, Xn)

    def read_rows(start, stop):
        return np.load(path, mmap_mode="r")[start:stop]

    X = da.concatenate([da.from_delayed(dask.delayed(read_rows)(i, i + 500), shape=(500, 4), dtype=np.float64)
                        for i in range(0, 2000, 500)])

    def delete_after_three(est, info):
        if info["epoch"] == 3:
            path.unlink()

    params = dict(batch_size=None, lr=0.05, tol=None, max_iter=10)
    est = pygdx.GDRegressor(**params, callbacks=[delete_after_three])
    with dask.config.set(scheduler="threads"):
        with pytest.raises(RuntimeError, match=r"failed on the Dask scheduler after 3 optimizer steps.*FileNotFound"):
            pygdx_dask.fit(est, X, da.from_array(yn, chunks=500))
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)


def test_nan_in_a_chunk_is_named():
    Xn = np.random.default_rng(0).normal(size=(900, 3))
    Xn[650, 1] = np.inf
    with dask.config.set(scheduler="threads"):
        for batch_size in (None, 10):
            with pytest.raises(ValueError, match=r"Input X contains NaN or infinity \(in chunk 2\)"):
                pygdx_dask.fit(pygdx.GDRegressor(batch_size=batch_size, tol=None, max_iter=2),
                               da.from_array(Xn, chunks=(300, 3)), np.ones(900))


@pytest.mark.parametrize("batch_size", [None, 50])
def test_divergence_is_the_estimators_error_and_changes_nothing(batch_size):
    Xn = np.random.default_rng(0).normal(size=(900, 3))
    est = pygdx.GDRegressor(optimizer="gd", lr=1e6, batch_size=batch_size, tol=None, max_iter=50)
    with dask.config.set(scheduler="threads"), pytest.raises(ValueError, match="became NaN or infinite|training diverged"):
        pygdx_dask.fit(est, da.from_array(Xn, chunks=(300, 3)), Xn.sum(axis=1))
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)


def test_bad_dask_inputs_say_how_to_fix_them():
    X = da.ones((100, 6), chunks=(50, 3))
    with pytest.raises(ValueError, match=r"X.rechunk\(\{1: -1\}\)"):
        pygdx_dask.fit(pygdx.GDRegressor(), X, da.ones(100))
    unknown = da.ones((100, 3), chunks=(50, 3))[da.ones(100, chunks=50) > 0]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        pygdx_dask.fit(pygdx.GDRegressor(), unknown, da.ones(100))
    with pytest.raises(ValueError, match="one value per row of X"):
        pygdx_dask.fit(pygdx.GDRegressor(), X.rechunk({1: -1}), da.ones(99))
    with pytest.raises(ValueError, match="early_stopping"):
        pygdx_dask.fit(pygdx.GDRegressor(early_stopping=True), X.rechunk({1: -1}), da.ones(100))
    with pytest.raises(ValueError, match="not in classes"), dask.config.set(scheduler="threads"):
        pygdx_dask.fit(pygdx.GDClassifier(max_iter=1), X.rechunk({1: -1}), da.arange(100) % 3, classes=[0, 1])


# --- packaging -------------------------------------------------------------------------------

def test_import_pygdx_does_not_import_dask_and_pygdx_dask_loads_on_access():
    code = "import sys, pygdx; assert 'dask' not in sys.modules; pygdx.dask.fit; assert 'dask' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_dask_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    monkeypatch.delitem(sys.modules, "pygdx.dask")
    with pytest.raises(ImportError, match=r'pip install "pygdx\[dask\]"'):
        importlib.import_module("pygdx.dask")


def test_module_example_runs():
    with dask.config.set(scheduler="threads"):
        failures, _ = doctest.testmod(pygdx_dask, raise_on_error=False)
    assert failures == 0
