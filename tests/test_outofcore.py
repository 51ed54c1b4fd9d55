"""Out-of-core training: partial_fit over chunks, fit_chunks, and fit on memory-mapped data.

Every equivalence is checked against the in-memory estimator on the concatenated data
(the oracle), in the precise sense documented in pygdx.outofcore.
"""

import tracemalloc

import numpy as np
import pytest

import pygdx
from pygdx import _core
from pygdx.callbacks import History
from pygdx.outofcore import fit_chunks


def regression_data(n=300, d=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.5 + 0.1 * rng.normal(size=n)
    return X.astype(dtype), y


def classification_data(n=300, d=4, n_classes=3, seed=1):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.normal(size=(n_classes, d))
    labels = rng.integers(0, n_classes, size=n)
    X = centers[labels] + rng.normal(size=(n, d))
    names = np.array(["ant", "bee", "cat", "dog"])[:n_classes]
    return X, names[labels]


def split(arrays, bounds):
    """Chunks [(a[i:j], b[i:j], ...)] of the arrays between consecutive bounds."""
    return [tuple(a[i:j] for a in arrays) for i, j in zip(bounds[:-1], bounds[1:])]


def assert_same_model(a, b, rtol):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=0)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=0)


# --- partial_fit over chunks ------------------------------------------------------------------

@pytest.mark.parametrize(
    "batch_size, bounds",
    [(1, [0, 37, 38, 150, 300]),  # stochastic: any chunk lengths keep the row order
     (8, [0, 64, 200, 296, 300])],  # mini-batch: chunks of whole batches (the last one ragged)
)
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_partial_fit_over_chunks_equals_fit_without_shuffling(kind, batch_size, bounds):
    if kind == "regressor":
        X, y = regression_data()
        make = pygdx.GDRegressor
    else:
        X, y = classification_data()
        make = pygdx.GDClassifier
    params = dict(optimizer="adam", lr=0.02, batch_size=batch_size, shuffle=False, penalty="elasticnet",
                  alpha=1e-3, tol=None, max_iter=3)
    in_memory = make(**params).fit(X, y)
    chunked = make(**params)
    extra = {"classes": np.unique(y)} if kind == "classifier" else {}
    for _ in range(3):
        for Xc, yc in split((X, y), bounds):
            chunked.partial_fit(Xc, yc, **extra)
    assert chunked.t_ == in_memory.t_
    assert_same_model(chunked, in_memory, rtol=1e-13)


# --- fit_chunks: full batch -------------------------------------------------------------------

@pytest.mark.parametrize("optimizer, optimizer_params", [("gd", {}), ("momentum", {"momentum": 0.9}),
                                                         ("adam", {}), ("rmsprop", {"centered": True})])
def test_fit_chunks_full_batch_equals_fit(optimizer, optimizer_params):
    X, y = regression_data()
    sw = np.random.default_rng(5).uniform(0.0, 2.0, size=len(y))
    params = dict(optimizer=optimizer, optimizer_params=optimizer_params, lr=0.05, batch_size=None,
                  penalty="l2", alpha=1e-2, tol=None, max_iter=40, random_state=0)
    in_memory = pygdx.GDRegressor(**params).fit(X, y, sample_weight=sw)
    chunked = fit_chunks(pygdx.GDRegressor(**params), split((X, y, sw), [0, 100, 101, 250, 300]))
    assert chunked.n_iter_ == in_memory.n_iter_ == 40
    assert chunked.t_ == in_memory.t_ == 40
    assert_same_model(chunked, in_memory, rtol=1e-10)
    np.testing.assert_allclose(chunked.loss_curve_, in_memory.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("n_classes, loss, penalty", [(2, "log_loss", "l1"), (3, "log_loss", "elasticnet"),
                                                      (3, "hinge", "l2")])
def test_fit_chunks_full_batch_classifier_equals_fit(n_classes, loss, penalty):
    X, y = classification_data(n_classes=n_classes)
    weights = {"ant": 2.0, "bee": 0.5}
    params = dict(loss=loss, optimizer="adam", lr=0.05, batch_size=None, penalty=penalty, alpha=1e-3,
                  tol=None, max_iter=30, class_weight=weights, fit_intercept=n_classes != 2)
    in_memory = pygdx.GDClassifier(**params).fit(X, y)
    chunked = fit_chunks(pygdx.GDClassifier(**params), split((X, y), [0, 90, 180, 300]), classes=np.unique(y))
    np.testing.assert_array_equal(chunked.classes_, in_memory.classes_)
    assert_same_model(chunked, in_memory, rtol=1e-10)
    np.testing.assert_allclose(chunked.loss_curve_, in_memory.loss_curve_, rtol=1e-10)
    np.testing.assert_array_equal(chunked.predict(X), in_memory.predict(X))


def test_fit_chunks_full_batch_custom_loss_uses_numpy_path():
    X, y = regression_data()
    params = dict(loss=pygdx.losses.Huber(epsilon=0.5), optimizer="adam", lr=0.05, batch_size=None,
                  penalty="l2", alpha=1e-3, tol=None, max_iter=10)

    class MyHuber(pygdx.losses.Huber):
        """A subclass is a custom loss for the estimators: it trains through NumPy."""

    custom = dict(params, loss=MyHuber(epsilon=0.5))
    in_memory = pygdx.GDRegressor(**params).fit(X, y)
    chunked = fit_chunks(pygdx.GDRegressor(**custom), split((X, y), [0, 120, 300]))
    assert_same_model(chunked, in_memory, rtol=1e-10)


# --- fit_chunks: mini-batches -----------------------------------------------------------------

def test_fit_chunks_mini_batch_without_shuffling_equals_fit():
    X, y = regression_data()
    params = dict(optimizer="nadam", lr=0.01, batch_size=10, shuffle=False, tol=None, max_iter=4)
    in_memory = pygdx.GDRegressor(**params).fit(X, y)
    chunked = fit_chunks(pygdx.GDRegressor(**params), split((X, y), [0, 50, 60, 300]))
    assert chunked.t_ == in_memory.t_
    assert_same_model(chunked, in_memory, rtol=1e-13)
    np.testing.assert_allclose(chunked.loss_curve_, in_memory.loss_curve_, rtol=1e-12)


def test_fit_chunks_shuffles_within_chunks_with_the_documented_seeds():
    X, y = regression_data()
    bounds = [0, 70, 200, 300]
    params = dict(optimizer="adam", lr=0.01, batch_size=16, tol=None, max_iter=3, random_state=42)
    chunked = fit_chunks(pygdx.GDRegressor(**params), split((X, y), bounds))

    # The oracle: the documented seed scheme, applied by hand, then in-memory partial_fit
    # (one epoch each, no shuffling of its own) over the concatenated permuted chunks.
    reference = pygdx.GDRegressor(**dict(params, shuffle=False))
    fit_rng = np.random.default_rng(42)
    for _ in range(3):
        chunk_rng = np.random.default_rng(int(fit_rng.integers(0, 2**63)))
        for start, stop in zip(bounds[:-1], bounds[1:]):
            order = np.arange(stop - start, dtype=np.int64)
            _core.shuffle_rows(order, int(chunk_rng.integers(0, 2**63)))
            reference.partial_fit(X[start:stop][order], y[start:stop][order])
    assert chunked.t_ == reference.t_
    assert_same_model(chunked, reference, rtol=1e-13)


def test_fit_chunks_shuffled_reaches_the_loss_of_the_in_memory_fit():
    X, y = regression_data(n=2000)
    params = dict(optimizer="sgd", lr=0.01, batch_size=20, tol=None, max_iter=15, random_state=3)
    in_memory = pygdx.GDRegressor(**params).fit(X, y)
    chunked = fit_chunks(pygdx.GDRegressor(**params), split((X, y), [0, 500, 1000, 1500, 2000]))
    assert chunked.loss_curve_[-1] == pytest.approx(in_memory.loss_curve_[-1], rel=0.01)


def test_fit_chunks_reads_a_new_iterator_per_epoch_with_callbacks_and_convergence(tmp_path):
    X, y = regression_data(n=400)
    path = tmp_path / "X.npy"
    np.save(path, X)
    opened = []

    def chunks():
        X_disk = np.load(path, mmap_mode="r")
        opened.append(1)
        return ((X_disk[i : i + 100], y[i : i + 100]) for i in range(0, 400, 100))

    history = History()
    est = pygdx.GDRegressor(optimizer="adam", lr=0.05, batch_size=None, tol=1e-3, n_iter_no_change=3,
                            max_iter=500, callbacks=[history])
    fit_chunks(est, chunks)
    assert 3 < est.n_iter_ < 500  # stopped by tol, so no ConvergenceWarning (which would fail this test)
    assert len(opened) == est.n_iter_  # one new iterator per epoch (the first one also sized the model)
    assert [e["loss"] for e in history.epochs] == est.loss_curve_
    assert est.score(X, y) > 0.99


def test_fit_chunks_callback_stops_training():
    X, y = regression_data()
    est = pygdx.GDRegressor(batch_size=None, tol=None, max_iter=50, callbacks=[lambda e, info: info["epoch"] == 4])
    fit_chunks(est, split((X, y), [0, 150, 300]))
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 4


def test_fit_chunks_float32_trains_a_float32_model():
    X, y = regression_data(dtype=np.float32)
    params = dict(batch_size=None, tol=None, max_iter=20, lr=0.05)
    chunked = fit_chunks(pygdx.GDRegressor(**params), split((X, y), [0, 128, 300]))
    in_memory = pygdx.GDRegressor(**params).fit(X, y)
    assert chunked.coef_.dtype == np.float32
    # The chunks' float32 gradients are combined in float64: float32 rounding, not 1e-10.
    np.testing.assert_allclose(chunked.coef_, in_memory.coef_, rtol=1e-4)


def test_fit_chunks_warm_start_continues():
    X, y = regression_data()
    chunks = split((X, y), [0, 150, 300])
    params = dict(batch_size=None, tol=None, max_iter=5, lr=0.05)
    est = fit_chunks(pygdx.GDRegressor(**params, warm_start=True), chunks)
    first = est.coef_.copy()
    fit_chunks(est, chunks)
    assert not np.array_equal(est.coef_, first)
    restarted = fit_chunks(pygdx.GDRegressor(**params), chunks)
    np.testing.assert_array_equal(restarted.coef_, first)


# --- errors -----------------------------------------------------------------------------------

def test_fit_chunks_errors_name_the_problem():
    X, y = regression_data()
    chunks = split((X, y), [0, 150, 300])
    with pytest.raises(ValueError, match="one-shot iterator"):
        fit_chunks(pygdx.GDRegressor(max_iter=2), iter(chunks))
    with pytest.raises(ValueError, match="empty"):
        fit_chunks(pygdx.GDRegressor(), [])
    with pytest.raises(TypeError, match=r"chunk 0 must be a tuple \(X, y\)"):
        fit_chunks(pygdx.GDRegressor(), [X])
    with pytest.raises(ValueError, match=r"chunk 1.*5 features"):
        fit_chunks(pygdx.GDRegressor(tol=None, max_iter=1), [chunks[0], (X[:10, :3], y[:10])])
    with pytest.raises(ValueError, match="early_stopping"):
        fit_chunks(pygdx.GDRegressor(early_stopping=True), chunks)
    Xc, yc = classification_data()
    with pytest.raises(ValueError, match="classes="):
        fit_chunks(pygdx.GDClassifier(), [(Xc, yc)])
    with pytest.raises(ValueError, match="balanced"):
        fit_chunks(pygdx.GDClassifier(class_weight="balanced"), [(Xc, yc)], classes=np.unique(yc))
    with pytest.raises(ValueError, match="not in classes"):
        fit_chunks(pygdx.GDClassifier(tol=None, max_iter=1), [(Xc, yc)], classes=["ant", "bee"])


@pytest.mark.parametrize("batch_size", [None, 8])
def test_nan_in_a_chunk_is_named_and_the_estimator_left_unfitted(batch_size):
    X, y = regression_data()
    X = X.copy()
    X[200, 2] = np.nan
    est = pygdx.GDRegressor(batch_size=batch_size, shuffle=False, tol=None, max_iter=2)
    with pytest.raises(ValueError, match=r"Input X contains NaN or infinity \(in chunk 1\)"):
        fit_chunks(est, split((X, y), [0, 150, 300]))
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)


# --- fit on memory-mapped data ----------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [None, 64])
def test_fit_reads_a_read_only_memmap_without_copying_it(tmp_path, batch_size):
    X, y = regression_data(n=60_000, d=40)
    path = tmp_path / "X.f64"
    X.tofile(path)
    X_disk = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    assert not X_disk.flags.writeable
    params = dict(batch_size=batch_size, tol=None, max_iter=2, lr=0.01, random_state=0)
    expected = pygdx.GDRegressor(**params).fit(X, y)

    est = pygdx.GDRegressor(**params)
    tracemalloc.start()
    try:
        est.fit(X_disk, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * X.nbytes, f"fit allocated {peak} bytes for an X of {X.nbytes}"
    np.testing.assert_array_equal(est.coef_, expected.coef_)
    np.testing.assert_array_equal(est.predict(X_disk[:100]), expected.predict(X[:100]))


def test_fit_chunks_over_memmap_slices_does_not_copy_them(tmp_path):
    X, y = regression_data(n=60_000, d=40)
    path = tmp_path / "X.npy"
    np.save(path, X)
    X_disk = np.load(path, mmap_mode="r")
    chunks = [(X_disk[i : i + 20_000], y[i : i + 20_000]) for i in range(0, 60_000, 20_000)]
    est = pygdx.GDRegressor(batch_size=None, tol=None, max_iter=2, lr=0.01)
    tracemalloc.start()
    try:
        fit_chunks(est, chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * chunks[0][0].nbytes
    expected = pygdx.GDRegressor(batch_size=None, tol=None, max_iter=2, lr=0.01).fit(X, y)
    assert_same_model(est, expected, rtol=1e-10)


def test_divergence_on_finite_chunks_is_the_estimators_error():
    X, y = regression_data()
    est = pygdx.GDRegressor(optimizer="gd", lr=1e6, batch_size=None, tol=None, max_iter=50)
    with pytest.raises(ValueError, match="became NaN or infinite during epoch|training diverged"):
        fit_chunks(est, split((X, y), [0, 150, 300]))
    assert not est.__sklearn_is_fitted__()  # a failed fit leaves a fresh estimator unfitted (issue 10 / F6)
