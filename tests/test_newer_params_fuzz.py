"""Hostile values for this project's newer parameters (swa_start, intercept_decay, averaging
and clipping on sparse X) together, on dense and CSR rows, by fit and by a partial_fit that
continues a model (and its divergence record): every call either raises a TypeError or
ValueError (or TrainingDiverged) with the fitted estimator exactly as it was, or trains a
finite model; it never crashes or leaves silent NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import pygdx
from pygdx.exceptions import TrainingDiverged

from _hostile import estimator_snapshot, fuzz_settings

D = 3
HOSTILE = [None, "auto", "0.5", b"1", 1j, [0.5], True, False, -1, 0, 1, 2, 2**70, 0.0, 0.5, 1.0, 1.5, -0.0,
           float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, np.float32(0.25), np.int64(2), object()]
PARAMS = {
    "swa_start": st.sampled_from(HOSTILE),
    "intercept_decay": st.sampled_from(HOSTILE),
    "average": st.sampled_from(HOSTILE),
    "ema_decay": st.sampled_from(HOSTILE),
    "clip_grad_norm": st.sampled_from(HOSTILE),
    "clip_grad_value": st.sampled_from(HOSTILE),
}


def data(sparse: bool, classifier: bool, scale: float = 1.0):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(12, D)) * scale
    X[rng.random(X.shape) < 0.4] = 0.0
    y = (X[:, 0] > 0).astype(int) if classifier else X[:, 0] + 0.5
    return (sp.csr_matrix(X) if sparse else X), y


def outcome(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning of a two-epoch fit
            call()
    except (TypeError, ValueError, TrainingDiverged) as error:
        return error
    return None


@pytest.mark.parametrize("cls", [pygdx.GDRegressor, pygdx.GDClassifier])
@pytest.mark.parametrize("sparse", [False, True])
@fuzz_settings(30)
@given(draws=st.fixed_dictionaries({}, optional=PARAMS), method=st.sampled_from(["fit", "partial_fit"]),
       optimizer=st.sampled_from(["sgd", "adam"]), batch_size=st.sampled_from([None, 1, 4]))
def test_newer_parameters_refuse_cleanly_or_train_a_finite_model(cls, sparse, draws, method, optimizer, batch_size):
    classifier = cls is pygdx.GDClassifier
    X, y = data(sparse, classifier)
    est = cls(optimizer=optimizer, lr=0.05, batch_size=batch_size, max_iter=2, tol=None, random_state=0)
    est.partial_fit(X, y, **({"classes": np.array([0, 1])} if classifier else {}))
    before = estimator_snapshot(est)
    try:
        est.set_params(**draws)
    except (TypeError, ValueError):
        assert estimator_snapshot(est) == before
        return
    after_set = estimator_snapshot(est)
    error = outcome(lambda: getattr(est, method)(X, y))
    if error is not None:
        assert estimator_snapshot(est) == after_set, f"{type(error).__name__}: {error}"
        return
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    assert np.isfinite(est.predict(X).astype(float)).all()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("average", [False, True])
def test_a_partial_fit_continuation_that_diverges_leaves_the_model_as_it_was(sparse, average):
    # partial_fit runs one epoch per call and judges divergence against the record kept from
    # the earlier calls: once the loss runs away the call that sees it raises, and the model
    # (weights, average, record, curve) is the one before that call.
    X, y = data(sparse, False, scale=30.0)
    est = pygdx.GDRegressor(optimizer="sgd", lr=0.05, average=average, random_state=0)
    for _ in range(40):
        before = estimator_snapshot(est) if hasattr(est, "coef_") else None
        try:
            est.partial_fit(X, y)
        except TrainingDiverged:
            assert before is not None and estimator_snapshot(est) == before
            return
        assert np.isfinite(est.coef_).all()
    pytest.fail("a learning rate far too large for this data never diverged")
