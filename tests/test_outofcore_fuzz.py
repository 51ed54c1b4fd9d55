"""Fuzz tests of pygdx.outofcore.fit_chunks (issue 11).

The first chunk is clean; a later one is hostile: a dtype that is not numbers, columns
that disagree with the first chunk, no rows, NaN/inf or extreme values, a missing y,
labels outside ``classes``, a generator that raises half-way through an epoch, or a
layout that is merely unusual (Fortran order, strided, misaligned, read-only, lists).
Each run ends in a TypeError or ValueError (or the generator's own exception) with the
estimator and every chunk exactly as before, or in the model that the same chunks give as
clean copies; full-batch training also equals ``fit`` on the concatenated data."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pygdx
from pygdx.outofcore import fit_chunks

from _hostile import (LAYOUTS, REAL_DTYPES, assert_input_unchanged, estimator_snapshot, frozen, fuzz_settings,
                      hostile_arrays, laid_out, real_values)

SETTINGS = fuzz_settings(25)
D = 2
CLASSES = np.array([0, 1, 2])
moderate = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
KINDS = ["layout", "dtype", "columns", "empty", "extreme", "no y", "y length", "unknown label", "weights",
         "raises", "not a tuple"]


class Broken(Exception):
    """The caller's own failure, raised by a chunk generator half-way through an epoch."""


@st.composite
def clean_chunk(draw, classifier, n=None):
    n = n or draw(st.integers(1, 4))
    X = draw(hnp.arrays(np.float64, (n, D), elements=moderate))
    y = CLASSES[draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2)))] if classifier else \
        draw(hnp.arrays(np.float64, n, elements=moderate))
    return X, y


@st.composite
def hostile_chunk(draw, classifier, kind):
    """A chunk of the given kind of hostility (a valid one for kind 'layout')."""
    X, y = draw(clean_chunk(classifier))
    n = X.shape[0]
    if kind == "layout":
        return tuple(laid_out(a, draw(st.sampled_from(LAYOUTS))) for a in (X, y))
    if kind == "dtype":
        return draw(hostile_arrays((n, D))), y
    if kind == "columns":
        return X[:, :1] if draw(st.booleans()) else np.hstack([X, X]), y
    if kind == "empty":
        return X[:0], y[:0]
    if kind == "extreme":
        return real_values(draw, draw(st.sampled_from(REAL_DTYPES)), (n, D)), y
    if kind == "no y":
        return (X,)
    if kind == "y length":
        return X, y[:-1]
    if kind == "unknown label":
        return X, np.full(n, 7) if classifier else draw(hostile_arrays((n,)))
    if kind == "weights":
        w = draw(st.sampled_from([np.zeros(n), -np.ones(n), np.full(n, np.nan), np.ones(n + 1), None]))
        return X, y, w if w is not None else draw(hostile_arrays((n,)))
    if kind == "not a tuple":
        return draw(st.sampled_from([X, None, {"X": X, "y": y}, "chunk"]))
    raise AssertionError(kind)


def cleaned(chunk):
    return tuple(np.array(a) if a is not None else None for a in chunk)


def run(est, chunks, classifier, raise_at=None):
    """fit_chunks over a function that gives the chunks anew every epoch (raising before chunk
    ``raise_at`` in the second epoch, if given)."""
    epoch = [0]

    def epochs():
        epoch[0] += 1
        for i, c in enumerate([*chunks, None]):
            if raise_at is not None and i == raise_at and epoch[0] == 2:
                raise Broken("the file went away")
            if i < len(chunks):
                yield c

    try:
        with np.errstate(all="ignore"):
            return fit_chunks(est, epochs, classes=CLASSES if classifier else None)
    except (TypeError, ValueError, Broken) as exc:
        return exc


@pytest.mark.parametrize("cls", [pygdx.GDRegressor, pygdx.GDClassifier])
@pytest.mark.parametrize("batch_size", [None, 2])
@pytest.mark.parametrize("kind", KINDS)
@fuzz_settings(5)
@given(data=st.data())
def test_a_hostile_chunk_is_refused_cleanly_or_trains_as_its_clean_copy(cls, batch_size, kind, data):
    classifier = cls is pygdx.GDClassifier
    first = data.draw(clean_chunk(classifier, n=4))
    chunks = [(first[0], CLASSES[[0, 1, 2, 0]]) if classifier else first]
    chunks += [data.draw(clean_chunk(classifier)) for _ in range(data.draw(st.integers(0, 2)))]
    position = data.draw(st.integers(1, len(chunks)))
    raise_at = position if kind == "raises" else None
    if kind != "raises":
        chunks.insert(position, data.draw(hostile_chunk(classifier, kind)))
    params = dict(max_iter=2, tol=None, batch_size=batch_size, shuffle=data.draw(st.booleans()), random_state=0,
                  warm_start=True)
    est = cls(**params)
    if data.draw(st.booleans()):  # a fitted model, which a failed run must leave as it was
        X0 = np.random.default_rng(0).normal(size=(6, D))
        est.fit(X0, CLASSES[[0, 1, 2, 0, 1, 2]] if classifier else X0[:, 0])
    twin = copy.deepcopy(est)
    before_model = estimator_snapshot(est)
    before_chunks = [frozen(c) for c in chunks]
    got = run(est, chunks, classifier, raise_at)
    for now, was in zip(chunks, before_chunks):
        assert_input_unchanged(now, was)
    want = run(twin, [cleaned(c) for c in chunks], classifier, raise_at) if kind in ("layout", "extreme") else None
    if isinstance(got, Exception):
        assert estimator_snapshot(est) == before_model
        if kind in ("layout", "extreme"):  # refused, as the clean copy is
            assert type(got) is type(want), (got, want)
        return
    assert kind in ("layout", "extreme"), kind
    assert not isinstance(want, Exception), want
    np.testing.assert_array_equal(got.coef_, want.coef_)
    np.testing.assert_array_equal(got.intercept_, want.intercept_)
    assert np.isfinite(got.coef_).all()
    if kind == "extreme":
        assert all(np.isfinite(np.asarray(c[0], dtype=np.float64)).all() for c in chunks)


@pytest.mark.parametrize("cls", [pygdx.GDRegressor, pygdx.GDClassifier])
@SETTINGS
@given(data=st.data())
def test_full_batch_over_chunks_is_fit_on_their_concatenation(cls, data):
    classifier = cls is pygdx.GDClassifier
    chunks = [data.draw(clean_chunk(classifier)) for _ in range(data.draw(st.integers(1, 4)))]
    X = np.vstack([c[0] for c in chunks])
    y = np.concatenate([c[1] for c in chunks])
    if classifier and len(np.unique(y)) < 2:
        y[0] = 2 if y[0] != 2 else 0
        chunks[0][1][0] = y[0]
    params = dict(max_iter=4, tol=None, batch_size=None, optimizer=data.draw(st.sampled_from(["sgd", "adam", "rmsprop"])),
                  penalty=data.draw(st.sampled_from(["l2", "elasticnet", None])), alpha=0.01)
    got = run(cls(**params), chunks, classifier)
    want = cls(**params)
    if classifier:  # fit_chunks declares all of CLASSES, as a first partial_fit does: 4 epochs of it
        for _ in range(4):
            want.partial_fit(X, y, classes=CLASSES)
    else:
        want.fit(X, y)
    # Chunk gradients are summed in another order than the in-memory one; Adam and RMSprop
    # divide by the gradient's own size, so near a zero gradient that rounding grows (2e-9
    # relative on all-zero X, seen): equal up to that, not bit for bit.
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(got.intercept_, want.intercept_, rtol=1e-7, atol=1e-10)
