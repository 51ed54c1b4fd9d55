"""Sparse X (SciPy CSR, used in place): the same model as on the dense rows, every batch mode,
loss and optimizer, the lazy steps' semantics, and the input checks."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import pygdx
from pygdx import _sparse

sp = pytest.importorskip("scipy.sparse")

OPTIMIZERS = ["sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax", "nadam", "radam"]


def text_like(n=120, d=40, density=0.12, seed=0, dtype=np.float64, index_dtype=np.int32):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=seed, dtype=dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    y = (rng.random(n) > 0.5).astype(np.float64)
    return X, y


def assert_same_model(a, b, rtol=1e-9):
    scale = max(np.abs(b.coef_).max(), np.abs(b.intercept_).max(), 1e-300)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("batch_size", [None, 1, 7])
@pytest.mark.parametrize("penalty", [None, "l2", "l1", "elasticnet"])
@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_plain_sgd_on_sparse_rows_is_the_dense_fit(batch_size, penalty, estimator):
    X, y = text_like()
    rng = np.random.default_rng(1)
    sw = rng.random(X.shape[0]) + 0.5
    kw = dict(optimizer="sgd", lr=0.2, batch_size=batch_size, max_iter=4, tol=None, penalty=penalty, alpha=0.01,
              random_state=0)
    if estimator == "classifier":
        make, target = (lambda: pygdx.GDClassifier(class_weight={0.0: 2.0, 1.0: 0.5}, **kw)), y
    else:
        make, target = (lambda: pygdx.GDRegressor(loss="huber", **kw)), rng.normal(size=X.shape[0])
    sparse_fit = make().fit(X, target, sample_weight=sw)
    dense_fit = make().fit(X.toarray(), target, sample_weight=sw)
    assert_same_model(sparse_fit, dense_fit)
    np.testing.assert_allclose(sparse_fit.loss_curve_, dense_fit.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("n", [1500, 1024])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_unweighted_log_loss_summed_by_blocks_is_the_dense_fit(n, dtype):
    # With no sample weights the stochastic row steps sum the log loss's log1p by blocks of
    # 512 rows (core/log1p_blocks.hpp), the dense rows one log per row: the same model, and
    # the same epoch losses to the blocks' error bound (about 1e-13), whether the epoch ends
    # inside a block (1500 rows) or on its edge (1024). Large margins (lr 2) put tiny terms
    # in the blocks, whose precision the sum must keep.
    X, y = text_like(n=n, d=60, dtype=dtype)
    kw = dict(loss="log_loss", optimizer="sgd", lr=2.0, batch_size=1, max_iter=3, tol=None, penalty="l2",
              alpha=1e-4, random_state=0)
    sparse_fit = pygdx.GDClassifier(**kw).fit(X, y)
    dense_fit = pygdx.GDClassifier(**kw).fit(X.toarray(), y)
    assert_same_model(sparse_fit, dense_fit, rtol=1e-9 if dtype == np.float64 else 1e-5)
    np.testing.assert_allclose(sparse_fit.loss_curve_, dense_fit.loss_curve_,
                               rtol=1e-12 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize("lr, alpha", [(1.0, 0.5), (1.0, 1.5), (0.5, 2.0)])
def test_the_scaled_weights_fold_when_the_scale_gets_tiny_or_flips_sign(lr, alpha):
    # (1 - lr*alpha) is 0.5 (the scale passes 1e-9 after 30 steps), -0.5 and 0: every case
    # must still be the dense update.
    X, y = text_like(n=80)
    yr = np.random.default_rng(3).normal(size=80)
    kw = dict(optimizer="sgd", lr=lr, batch_size=1, max_iter=2, tol=None, penalty="l2", alpha=alpha,
              random_state=0)
    assert_same_model(pygdx.GDRegressor(**kw).fit(X, yr), pygdx.GDRegressor(**kw).fit(X.toarray(), yr))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [None, 5])
def test_dense_updates_give_the_dense_fit_for_every_optimizer(optimizer, batch_size):
    X, y = text_like()
    kw = dict(optimizer=optimizer, lr=0.05, batch_size=batch_size, max_iter=3, tol=None, penalty="elasticnet",
              alpha=0.01, random_state=0, sparse_updates="dense",
              optimizer_params={"momentum": 0.9} if optimizer in ("sgd", "rmsprop") else None)
    assert_same_model(pygdx.GDClassifier(**kw).fit(X, y), pygdx.GDClassifier(**kw).fit(X.toarray(), y))


@pytest.mark.parametrize("loss", ["log_loss", "hinge", "modified_huber"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_multiclass_sparse_fit_is_the_dense_fit(loss, optimizer):
    X, _ = text_like(n=150)
    y = np.random.default_rng(2).integers(0, 3, X.shape[0])
    kw = dict(loss=loss, optimizer=optimizer, lr=0.05, batch_size=4, max_iter=3, tol=None, random_state=0,
              sparse_updates="dense")
    a, b = pygdx.GDClassifier(**kw).fit(X, y), pygdx.GDClassifier(**kw).fit(X.toarray(), y)
    assert_same_model(a, b)
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(X.toarray()), rtol=1e-9, atol=1e-12)


def numpy_lazy_fit(X, y, batch_size, n_epochs, step):
    """Reference lazy training: logistic loss, no penalty, in order; `step(t, p, g, cols)`
    updates the weights p (coefficients then the intercept) at the columns `cols` only."""
    n, d = X.shape
    p = np.zeros(d + 1)
    t = 0
    Xd = X.toarray()
    for _ in range(n_epochs):
        for start in range(0, n, batch_size):
            rows = slice(start, min(n, start + batch_size))
            xb, yb = Xd[rows], y[rows]
            z = xb @ p[:d] + p[d]
            s = 2 * yb - 1
            g_row = -s / (1 + np.exp(s * z))
            grad = np.concatenate([g_row @ xb, [g_row.sum()]]) / len(yb)
            cols = np.concatenate([np.unique(X[rows].indices), [d]])
            t += 1
            step(t, p, grad, cols)
    return p


def test_lazy_adam_is_sparse_adam():
    X, y = text_like(n=60, d=30, density=0.1)
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    m, v = np.zeros(31), np.zeros(31)

    def adam_on_touched(t, p, g, cols):
        m[cols] = b1 * m[cols] + (1 - b1) * g[cols]
        v[cols] = b2 * v[cols] + (1 - b2) * g[cols] ** 2
        p[cols] -= lr / (1 - b1**t) * m[cols] / (np.sqrt(v[cols]) / np.sqrt(1 - b2**t) + eps)

    expected = numpy_lazy_fit(X, y, 6, 3, adam_on_touched)
    fit = pygdx.GDClassifier(optimizer="adam", lr=lr, batch_size=6, max_iter=3, tol=None, penalty=None,
                             shuffle=False, sparse_updates="lazy").fit(X, y)
    np.testing.assert_allclose(np.concatenate([fit.coef_[0], fit.intercept_]), expected, rtol=1e-9, atol=1e-12)
    dense = pygdx.GDClassifier(optimizer="adam", lr=lr, batch_size=6, max_iter=3, tol=None, penalty=None,
                               shuffle=False, sparse_updates="dense").fit(X, y)
    assert np.abs(dense.coef_ - fit.coef_).max() > 1e-3  # the two semantics differ on this data


def test_lazy_adam_matches_torch_sparse_adam():
    # SparseAdam adds eps to sqrt(v) before the bias correction (Adam after it): with a
    # negligible eps the two formulas are the same.
    torch = pytest.importorskip("torch")
    X, y = text_like(n=40, d=25, density=0.15, seed=4)
    Xd = torch.tensor(X.toarray())
    w = torch.zeros(26, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SparseAdam([w], lr=0.03, eps=1e-30)
    yt = torch.tensor(2 * y - 1)
    for start in range(0, 40, 5):
        xb = Xd[start:start + 5]
        z = xb @ w[:25] + w[25]
        loss = torch.nn.functional.softplus(-yt[start:start + 5] * z).mean()
        (grad,) = torch.autograd.grad(loss, w)
        cols = np.concatenate([np.unique(X[start:start + 5].indices), [25]])
        idx = torch.tensor(cols).reshape(1, -1)
        opt.zero_grad()
        w.grad = torch.sparse_coo_tensor(idx, grad[cols], (26,), check_invariants=True)
        opt.step()
    fit = pygdx.GDClassifier(optimizer="adam", lr=0.03, batch_size=5, max_iter=1, tol=None, penalty=None,
                             shuffle=False, optimizer_params={"eps": 1e-30}).fit(X, y)
    np.testing.assert_allclose(np.concatenate([fit.coef_[0], fit.intercept_]), w.detach().numpy(), rtol=1e-9,
                               atol=1e-12)


def test_lazy_momentum_moves_only_touched_columns():
    X, y = text_like(n=50, d=30, density=0.1, seed=5)
    lr, mu = 0.1, 0.9
    buf = np.zeros(31)
    seen = np.zeros(31, dtype=bool)

    def momentum_on_touched(t, p, g, cols):
        first = ~seen[cols]
        buf[cols] = np.where(first if t == 1 else False, g[cols], mu * buf[cols] + g[cols])
        seen[cols] = True
        p[cols] -= lr * buf[cols]

    expected = numpy_lazy_fit(X, y, 5, 2, momentum_on_touched)
    fit = pygdx.GDClassifier(optimizer="sgd", lr=lr, batch_size=5, max_iter=2, tol=None, penalty=None,
                             shuffle=False, optimizer_params={"momentum": mu}).fit(X, y)
    np.testing.assert_allclose(np.concatenate([fit.coef_[0], fit.intercept_]), expected, rtol=1e-9, atol=1e-12)


def test_lazy_adagrad_without_penalty_is_exact():
    # A zero gradient leaves Adagrad's sum and weight unchanged: lazy equals dense.
    X, y = text_like()
    kw = dict(optimizer="adagrad", lr=0.1, batch_size=3, max_iter=3, tol=None, penalty=None, random_state=0)
    assert_same_model(pygdx.GDClassifier(**kw).fit(X, y), pygdx.GDClassifier(**kw).fit(X.toarray(), y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("kind", ["matrix", "array"])
def test_csr_of_every_dtype_is_used_in_place(dtype, index_dtype, kind):
    X, y = text_like(dtype=dtype, index_dtype=index_dtype)
    if kind == "array":
        X = sp.csr_array(X)
        X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    rows = _sparse.as_csr_rows(X, "test")
    for ours, theirs in ((rows.data, X.data), (rows.indices, X.indices), (rows.indptr, X.indptr)):
        assert np.shares_memory(ours, theirs)
    clf = pygdx.GDClassifier(optimizer="sgd", lr=0.1, max_iter=3, tol=None, random_state=0).fit(X, y)
    assert clf.coef_.dtype == dtype
    dense = pygdx.GDClassifier(optimizer="sgd", lr=0.1, max_iter=3, tol=None, random_state=0).fit(
        X.toarray(), y)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(clf.coef_, dense.coef_, rtol=tol, atol=tol)
    np.testing.assert_array_equal(clf.predict(X), dense.predict(X.toarray()))
    np.testing.assert_allclose(clf.predict_proba(X), dense.predict_proba(X.toarray()), rtol=tol, atol=tol)
    assert clf.score(X, y) == dense.score(X.toarray(), y)


@pytest.mark.parametrize("fmt", ["csc", "coo", "lil"])
def test_other_sparse_formats_are_converted(fmt):
    X, y = text_like()
    kw = dict(optimizer="adam", lr=0.05, max_iter=2, tol=None, random_state=0)
    a = pygdx.GDClassifier(**kw).fit(X.asformat(fmt), y)
    b = pygdx.GDClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.decision_function(X.asformat(fmt)), b.decision_function(X))


def test_non_canonical_csr_means_what_scipy_means():
    # Row 0 holds column 3 twice (summed) and its columns out of order.
    data = np.array([1.0, 2.0, 0.5, -1.0, 0.25, 3.0])
    indices = np.array([3, 1, 3, 0, 2, 1], dtype=np.int32)
    indptr = np.array([0, 3, 4, 6], dtype=np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(3, 4))
    assert not X.has_canonical_format
    y = np.array([1.0, 0.0, 1.0])
    kw = dict(optimizer="adam", lr=0.1, batch_size=1, max_iter=5, tol=None, random_state=0)
    canonical = X.copy()
    canonical.sum_duplicates()
    a, b = pygdx.GDClassifier(**kw).fit(X, y), pygdx.GDClassifier(**kw).fit(canonical, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(X.toarray()), rtol=1e-12)


def test_full_batch_threads_do_not_change_the_result():
    X, y = text_like(n=20000, d=300, density=0.02, seed=6)
    kw = dict(optimizer="adam", lr=0.05, batch_size=None, max_iter=3, tol=None, random_state=0,
              sparse_updates="dense")
    one = pygdx.GDClassifier(n_jobs=1, **kw).fit(X, y)
    two = pygdx.GDClassifier(n_jobs=2, **kw).fit(X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.loss_curve_, two.loss_curve_)
    np.testing.assert_array_equal(one.decision_function(X), two.decision_function(X))


def test_partial_fit_and_early_stopping_take_sparse_rows():
    X, y = text_like(n=200)
    kw = dict(optimizer="sgd", lr=0.1, batch_size=8, random_state=0)
    a, b = pygdx.GDClassifier(**kw), pygdx.GDClassifier(**kw)
    for _ in range(3):
        a.partial_fit(X, y, classes=[0.0, 1.0])
        b.partial_fit(X.toarray(), y, classes=[0.0, 1.0])
    assert_same_model(a, b)
    kw = dict(optimizer="sgd", lr=0.1, batch_size=8, random_state=0, early_stopping=True, max_iter=20)
    a, b = pygdx.GDClassifier(**kw).fit(X, y), pygdx.GDClassifier(**kw).fit(X.toarray(), y)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_)
    assert_same_model(a, b)


def broken_matrices():
    good = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    nan = good.copy()
    nan.data[1] = np.nan
    inf = good.copy()
    inf.data[0] = np.inf
    out_of_range = good.copy()
    out_of_range.indices[2] = 7
    negative = good.copy()
    negative.indices[0] = -1
    decreasing = good.copy()
    decreasing.indptr[1] = 3
    decreasing.indptr[2] = 2
    return [("NaN", nan), ("infinity", inf), ("outside 0..2", out_of_range), ("outside 0..2", negative),
            ("indptr", decreasing)]


@pytest.mark.parametrize("message, X", broken_matrices())
def test_bad_sparse_input_is_refused_and_changes_nothing(message, X):
    y = np.array([0.0, 1.0])
    clf = pygdx.GDClassifier(optimizer="sgd", max_iter=2, tol=None, random_state=0).fit(
        np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]), y)
    before = (clf.coef_.copy(), clf.intercept_.copy(), list(clf.loss_curve_))
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match=message):
        clf.predict(X)
    np.testing.assert_array_equal(clf.coef_, before[0])
    np.testing.assert_array_equal(clf.intercept_, before[1])
    assert clf.loss_curve_ == before[2]


def test_a_sparse_object_without_scipy_gets_the_install_line(monkeypatch):
    class Sparse:  # something sparse-like, as pydata/sparse's arrays are
        nnz = 1
        shape = (1, 1)

        def tocsr(self):
            raise AssertionError("not reached")

    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match=r'pip install "pygdx\[sparse\]"'):
        pygdx.GDRegressor().fit(Sparse(), [1.0])


def test_sparse_updates_is_checked():
    X, y = text_like()
    with pytest.raises(ValueError, match="sparse_updates"):
        pygdx.GDClassifier(sparse_updates="sometimes").fit(X, y)


@pytest.mark.parametrize("estimator", ["binary", "multiclass", "regressor"])
def test_early_stopping_scores_held_out_sparse_rows_in_the_core(estimator, monkeypatch):
    X, y = text_like(n=400, d=60, density=0.1, seed=8)
    rng = np.random.default_rng(8)
    sw = rng.random(X.shape[0]) + 0.5
    kw = dict(optimizer="sgd", lr=0.05, batch_size=16, random_state=0, early_stopping=True, max_iter=200,
              n_iter_no_change=3)
    if estimator == "regressor":
        make, target = (lambda: pygdx.GDRegressor(**kw)), X @ rng.normal(size=60) + 0.1 * rng.normal(size=400)
    else:
        make, target = (lambda: pygdx.GDClassifier(**kw)), (y if estimator == "binary" else rng.integers(0, 3, 400))
    dense = make().fit(X.toarray(), target, sample_weight=sw)
    decisions = []
    decision = _sparse._core.csr_decision
    monkeypatch.setattr(_sparse._core, "csr_decision", lambda *a, **k: decisions.append(1) or decision(*a, **k))
    sparse = make().fit(X, target, sample_weight=sw)
    assert decisions == []  # no held-out scoring in Python
    assert sparse.n_iter_ == dense.n_iter_
    np.testing.assert_allclose(sparse.validation_scores_, dense.validation_scores_, rtol=1e-12)
    assert_same_model(sparse, dense)


@pytest.mark.parametrize("dtype, index_dtype", [(np.float32, np.int32), (np.float64, np.int64)])
def test_the_core_scores_held_out_sparse_rows_as_the_estimators_score(dtype, index_dtype):
    X, y = text_like(n=300, d=40, seed=9, dtype=dtype, index_dtype=index_dtype)
    model = pygdx.GDClassifier(optimizer="sgd", lr=0.5, max_iter=5, tol=None, random_state=0).fit(X, y)
    rows = np.arange(100, 300, 3, dtype=np.int64)
    sw = np.linspace(0.5, 2.0, X.shape[0]).astype(dtype)
    signs = np.where(y > 0, 1.0, -1.0).astype(dtype)
    held_out = pygdx._core.CsrHeldOut(model._problem(), X.data, X.indices, X.indptr, X.shape[0], signs, sw, rows,
                                      pygdx._core.ValidationCriterion.accuracy)
    expected = model.score(X[rows], y[rows], sample_weight=sw[rows])
    assert held_out.score(model._theta) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="not a valid CSR matrix"):
        bad = X.indices.copy()
        bad[5] = X.shape[1]
        pygdx._core.CsrHeldOut(model._problem(), X.data, bad, X.indptr, X.shape[0], signs, sw, rows,
                               pygdx._core.ValidationCriterion.accuracy)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("first, second", [(1500, 4000), (2050, 2051), (0, 3071), (4999, 4999)])
def test_the_check_names_the_first_bad_entry_of_a_large_matrix(index_dtype, dtype, first, second):
    # The check scans blocks of entries (core/csr_check.hpp): the fault reported is still the
    # first one, wherever the blocks cut, for indices (above the range or negative) and values.
    rng = np.random.default_rng(0)
    data, indices = rng.uniform(0.5, 1.0, 5000).astype(dtype), rng.integers(0, 40, 5000).astype(index_dtype)

    def matrix(data, indices):
        X = sp.csr_matrix((data, indices, np.arange(0, 5001, 10)), shape=(500, 40))
        X.indices, X.indptr = indices, np.arange(0, 5001, 10).astype(index_dtype)  # SciPy may narrow them
        return X

    clf = pygdx.GDRegressor(max_iter=1, tol=None).fit(matrix(data, indices), np.ones(500))
    for bad_index in (40, -3):
        broken = indices.copy()
        broken[second] = bad_index
        broken[first] = 41 if first != second else bad_index
        with pytest.raises(ValueError, match=f"column index at position {first} of its indices is outside 0..39"):
            clf.predict(matrix(data, broken))
    for bad_value in (np.nan, -np.inf):
        broken = data.copy()
        broken[second] = np.inf
        broken[first] = bad_value
        with pytest.raises(ValueError, match=rf"NaN or infinity \(stored value {first} of"):
            clf.predict(matrix(broken, indices))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_value_check_tells_finite_from_non_finite_by_the_bits(dtype):
    # The check reads a value's exponent bits (core/csr_check.hpp): the finite values at the
    # edges of the exponent range pass, every NaN and infinity (either sign, any payload) is
    # named, at any position of a block.
    info = np.finfo(dtype)
    edges = [info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal, -0.0,
             info.max * np.asarray(0.5, dtype)]
    bits = np.uint64 if dtype == np.float64 else np.uint32
    width = 64 if dtype == np.float64 else 32
    quiet_nan_with_payload = np.asarray(np.nan, dtype).view(bits) | bits(1)
    signed_nan = np.asarray(-np.nan, dtype).view(bits) | (bits(1) << bits(width - 1))
    non_finite = [np.asarray(v, dtype) for v in (np.inf, -np.inf, np.nan)]
    non_finite += [quiet_nan_with_payload.view(dtype), signed_nan.view(dtype)]
    n = 3000
    indptr = np.arange(n + 1)
    clf = pygdx.GDRegressor(max_iter=1, tol=None).fit(sp.csr_matrix((np.ones(n, dtype), np.zeros(n, np.int32), indptr),
                                                                     shape=(n, 2)), np.ones(n))
    with np.errstate(over="ignore", invalid="ignore"):
        for position in (0, 1023, 1024, 2999):
            for value in edges:
                data = np.ones(n, dtype)
                data[position] = value
                clf.predict(sp.csr_matrix((data, np.zeros(n, np.int32), indptr), shape=(n, 2)))
            for value in non_finite:
                data = np.ones(n, dtype)
                data[position] = value
                assert not np.isfinite(data[position])
                with pytest.raises(ValueError, match=rf"NaN or infinity \(stored value {position} of"):
                    clf.predict(sp.csr_matrix((data, np.zeros(n, np.int32), indptr), shape=(n, 2)))
