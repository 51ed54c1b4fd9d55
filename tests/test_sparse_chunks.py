"""Sparse data beyond memory: pygdx.outofcore chunks and Dask arrays whose blocks are SciPy
sparse matrices, checked against the in-memory fit on the same rows."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import pygdx
from pygdx.outofcore import fit_chunks

sp = pytest.importorskip("scipy.sparse")

ROWS = (130, 90, 200, 80)


def text_like(seed=0, d=60):
    rng = np.random.default_rng(seed)
    n = sum(ROWS)
    X = sp.random(n, d, density=0.08, format="csr", random_state=seed)
    y = np.asarray(X @ rng.normal(size=d)).ravel() + 0.3 + 0.05 * rng.normal(size=n)
    sw = rng.uniform(0.5, 1.5, size=n)
    return X, y, sw


def chunks_of(X, y, sw, fmt="csr"):
    bounds = np.cumsum((0,) + ROWS)
    return [(X[i:j].asformat(fmt), y[i:j], sw[i:j]) for i, j in zip(bounds[:-1], bounds[1:])]


@pytest.mark.parametrize("optimizer, penalty", [("sgd", "l2"), ("adam", "l1"), ("rmsprop", "elasticnet")])
def test_full_batch_on_sparse_chunks_equals_the_in_memory_fit(optimizer, penalty):
    X, y, sw = text_like()
    params = dict(optimizer=optimizer, lr=0.05, batch_size=None, penalty=penalty, alpha=1e-2, tol=None, max_iter=15)
    expected = pygdx.GDRegressor(**params).fit(X, y, sample_weight=sw)
    got = fit_chunks(pygdx.GDRegressor(**params), chunks_of(X, y, sw, "coo"))
    np.testing.assert_allclose(got.coef_, expected.coef_, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got.intercept_, expected.intercept_, rtol=1e-10)
    np.testing.assert_allclose(got.loss_curve_, expected.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_mini_batch_sparse_chunks_give_the_dense_chunks_model(penalty):
    X, y, sw = text_like(seed=1)
    params = dict(optimizer="sgd", lr=0.05, batch_size=8, penalty=penalty, alpha=1e-3, tol=None, max_iter=3,
                  random_state=0)
    sparse_fit = fit_chunks(pygdx.GDRegressor(**params), chunks_of(X, y, sw))
    dense = [(Xc.toarray(), yc, swc) for Xc, yc, swc in chunks_of(X, y, sw)]
    dense_fit = fit_chunks(pygdx.GDRegressor(**params), dense)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sparse_fit.intercept_, dense_fit.intercept_, rtol=1e-9)


def test_a_sparse_chunk_with_a_bad_index_is_refused():
    X, y, sw = text_like()
    chunks = chunks_of(X, y, sw)
    bad = chunks[1][0].copy()
    bad.indices[0] = 10_000
    chunks[1] = (bad, chunks[1][1], chunks[1][2])
    reg = pygdx.GDRegressor(batch_size=None, max_iter=2, tol=None)
    with pytest.raises(ValueError, match="outside 0..59"):
        fit_chunks(reg, chunks)
    assert not reg.__sklearn_is_fitted__()


def dask_sparse(X, y, sw):
    da = pytest.importorskip("dask.array")
    Xd = da.from_array(X, chunks=(ROWS, X.shape[1]), asarray=False)
    return Xd, da.from_array(y, chunks=(ROWS,)), da.from_array(sw, chunks=(ROWS,))


@pytest.mark.parametrize("optimizer, penalty", [("sgd", "elasticnet"), ("adam", "l2")])
def test_dask_full_batch_on_sparse_blocks_equals_the_in_memory_fit(optimizer, penalty):
    pygdx_dask = importlib.import_module("pygdx.dask")
    X, y, sw = text_like(seed=2)
    params = dict(optimizer=optimizer, lr=0.05, batch_size=None, penalty=penalty, alpha=1e-2, tol=None, max_iter=10)
    expected = pygdx.GDRegressor(**params).fit(X, y, sample_weight=sw)
    Xd, yd, swd = dask_sparse(X, y, sw)
    got = pygdx_dask.fit(pygdx.GDRegressor(**params), Xd, yd, sample_weight=swd)
    np.testing.assert_allclose(got.coef_, expected.coef_, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got.intercept_, expected.intercept_, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(pygdx_dask.predict(got, Xd).compute()), expected.predict(X), rtol=1e-10)


def test_dask_mini_batch_on_sparse_blocks_trains_a_classifier():
    pygdx_dask = importlib.import_module("pygdx.dask")
    X, y, sw = text_like(seed=3)
    labels = (y > np.median(y)).astype(int)
    Xd, yd, _ = dask_sparse(X, labels.astype(float), sw)
    params = dict(optimizer="adam", lr=0.05, batch_size=16, tol=None, max_iter=4, random_state=0)
    got = pygdx_dask.fit(pygdx.GDClassifier(**params), Xd, yd.astype(int), classes=[0, 1])
    local = fit_chunks(pygdx.GDClassifier(**params), [(c[0], c[1] > np.median(y)) for c in chunks_of(X, y, sw)],
                       classes=[False, True])
    np.testing.assert_allclose(got.coef_, local.coef_, rtol=1e-12)
    assert got.score(X, labels) > 0.7
