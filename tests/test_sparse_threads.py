"""Sparse X rewritten by another thread while the core reads it in place (the GIL released):
indices or indptr pointing outside the matrix must never be followed. The call ends with a
ValueError that says what happened and leaves the estimator as it was; the process lives."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import pygdx
from pygdx import _sparse

sp = pytest.importorskip("scipy.sparse")

CHANGED = "changed while pygdx read them"
# Written before the call checked the matrix: refused by the check instead.
REFUSED_UP_FRONT = "not a valid CSR matrix"

TRAININGS = {
    "sgd rows": dict(optimizer="sgd", batch_size=1),
    "sgd batches, l1": dict(optimizer="sgd", batch_size=8, penalty="l1", alpha=1e-4),
    "adam lazy": dict(optimizer="adam", batch_size=4),
    "adam dense": dict(optimizer="adam", batch_size=4, sparse_updates="dense"),
    "full batch": dict(optimizer="sgd", batch_size=None),
    "early stopping": dict(optimizer="sgd", batch_size=8, early_stopping=True),
}


def text_rows(n=2000, d=300, seed=0, index_dtype=np.int32):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.03, format="csr", random_state=seed)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    y = (X @ rng.normal(size=d) > 0).astype(np.int64)
    return X, y


def long_fit(**kw):
    return pygdx.GDClassifier(lr=0.05, max_iter=100_000, tol=None, random_state=0, **kw)


@pytest.fixture
def after_the_check(monkeypatch):
    """Events set once the fit's sparse source (``"CsrSource"``) and held-out rows
    (``"CsrHeldOut"``, early stopping) are built, the matrix checked: what a thread writes
    after the last of them is found by the reads, not by a check."""
    built = {}
    for name in ("CsrSource", "CsrHeldOut"):
        built[name] = threading.Event()

        def make(*args, _make=getattr(_sparse._core, name), _built=built[name], **kwargs):
            made = _make(*args, **kwargs)
            _built.set()
            return made

        monkeypatch.setattr(_sparse._core, name, make)
    return built


def write_when(event, array, value):
    def write():
        event.wait(30)
        array[:] = value

    thread = threading.Thread(target=write)
    thread.start()
    return thread


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("training", list(TRAININGS))
def test_indices_out_of_range_mid_fit_end_it_and_change_nothing(training, index_dtype, after_the_check):
    X, y = text_rows(index_dtype=index_dtype)
    model = long_fit(**TRAININGS[training]).set_params(max_iter=3).fit(X[:200], y[:200])
    model.set_params(max_iter=100_000)
    last_checked = after_the_check["CsrHeldOut" if model.early_stopping else "CsrSource"]
    last_checked.clear()  # set by that fit
    before = (model.coef_.copy(), model.intercept_.copy(), model.n_iter_)
    writer = write_when(last_checked, X.indices, X.shape[1] + 7)
    try:
        with pytest.raises(ValueError, match=CHANGED):
            model.fit(X, y)
    finally:
        writer.join()
    np.testing.assert_array_equal(model.coef_, before[0])
    np.testing.assert_array_equal(model.intercept_, before[1])
    assert model.n_iter_ == before[2]


@pytest.mark.parametrize("value", [-1, 10**6])
def test_indptr_out_of_range_mid_fit_ends_it(value, after_the_check):
    X, y = text_rows()
    model = long_fit(optimizer="sgd", batch_size=1)
    writer = write_when(after_the_check["CsrSource"], X.indptr[1:-1], value)
    try:
        with pytest.raises(ValueError, match=CHANGED):
            model.fit(X, y)
    finally:
        writer.join()
    assert not hasattr(model, "coef_")


def race(array, bad, stop):
    """Rewrites `array` between its own values and `bad` until `stop` is set."""
    good = array.copy()
    while not stop.is_set():
        array[:] = bad
        array[:] = good


@pytest.mark.parametrize("array", ["indices", "indptr"])
def test_predictions_and_fits_during_rewrites_never_read_outside_the_matrix(array):
    X, y = text_rows(n=4000)
    model = pygdx.GDClassifier(optimizer="sgd", batch_size=1, lr=0.05, max_iter=3, tol=None,
                               random_state=0).fit(X, y)
    expected = model.decision_function(X)
    target = getattr(X, array)
    bad = X.shape[1] + 3 if array == "indices" else np.iinfo(target.dtype).max
    stop = threading.Event()
    writer = threading.Thread(target=race, args=(target[1:-1] if array == "indptr" else target, bad, stop))
    writer.start()
    outcomes = set()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            for call in (lambda: model.decision_function(X),
                         lambda: pygdx.GDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)):
                try:
                    call()
                    outcomes.add("ran")
                except ValueError as error:
                    assert CHANGED in str(error) or REFUSED_UP_FRONT in str(error), str(error)
                    outcomes.add("refused")
    finally:
        stop.set()
        writer.join()
    assert outcomes <= {"ran", "refused"}
    np.testing.assert_array_equal(model.decision_function(X), expected)
