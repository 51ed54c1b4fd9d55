"""Fuzz tests of GDRegressor and GDClassifier (issue 11).

Every call drawn here ends in one of two ways: a TypeError or ValueError with nothing the
caller owns changed (the inputs bit for bit, and a fitted estimator exactly as before:
parameters, weights, optimizer state, random generator, curves, classes), or the result
that the same call gives on clean copies of the inputs (C-contiguous, writeable arrays of
the same values and dtype). Clean fits are in turn checked against the plain-NumPy
reference (pygdx.reference), for every optimizer and batch size."""

from __future__ import annotations

import copy
import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pygdx
from pygdx import losses, optim
from pygdx.exceptions import TrainingDiverged
from pygdx.reference import linear as ref
from pygdx.reference import optim as ref_optim

from _hostile import (LAYOUTS, REAL_DTYPES, assert_input_unchanged, estimator_snapshot, frozen, fuzz_settings,
                      hostile_arrays, laid_out, real_values)

SETTINGS = fuzz_settings(30)
ESTIMATORS = [pygdx.GDRegressor, pygdx.GDClassifier]
SMALL = {"max_iter": 2, "tol": None, "random_state": 0, "batch_size": 2}
moderate = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
# Away from float32's subnormals: an L1 step off exactly 0 in one precision and not in the
# other sends the weights different ways (sign(0) = 0), which is rounding, not a fault.
normal = st.one_of(st.just(0.0), st.floats(1e-6, 3), st.floats(-3, -1e-6))


def clean(value):
    """What a careful caller would pass: a C-contiguous writeable copy with the same values."""
    return np.array(value) if isinstance(value, (np.ndarray, list)) else value


@st.composite
def matrices(draw, n_rows, kind=None):
    """(X as passed, its values): real 2-d data of n_rows rows, or (``kind``) a hostile
    dtype, a wrong number of dimensions, no rows or no features, NaN/inf or extreme values."""
    kind = kind or draw(st.sampled_from(["good", "extreme", "hostile", "shape"]))
    d = draw(st.integers(1, 3))
    shape = (n_rows, d)
    if kind == "shape":
        shape = draw(st.sampled_from([(0, d), (n_rows, 0), (n_rows,), (n_rows, d, 2), ()]))
    if kind == "hostile":
        values = draw(hostile_arrays(shape))
    elif kind == "extreme":
        values = real_values(draw, draw(st.sampled_from(REAL_DTYPES)), shape)
    else:
        dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.float16, np.bool_]))
        values = draw(hnp.arrays(np.float64, shape, elements=moderate)).astype(dtype)
    return laid_out(values, draw(st.sampled_from(LAYOUTS))), values


@st.composite
def targets(draw, n_rows, classifier, kind=None):
    """y as passed: labels or numbers of the right length, or hostile ones."""
    kind = kind or draw(st.sampled_from(["good", "length", "hostile", "extreme", "column"]))
    n = n_rows + draw(st.sampled_from([-1, 1])) if kind == "length" else n_rows
    n = max(n, 0)
    if kind == "hostile":
        values = draw(hostile_arrays((n,)))
        if classifier and values.dtype.kind in "US":
            values = values.copy()
            values[::2] = "b"  # text labels are labels: two classes of them
    elif kind == "extreme":
        values = real_values(draw, np.float64, (n,))
    elif classifier:
        labels = draw(st.sampled_from([np.array([0, 1, 2]), np.array([-1.5, 2.0]), np.array(["no", "yes"])]))
        values = labels[draw(hnp.arrays(np.int64, n, elements=st.integers(0, len(labels) - 1)))]
    else:
        values = draw(hnp.arrays(np.float64, n, elements=moderate))
    if kind == "column":
        values = values.reshape(-1, 1)
    return laid_out(values, draw(st.sampled_from(LAYOUTS)))


@st.composite
def weights(draw, n_rows, X, kind=None):
    kind = kind or draw(st.sampled_from(["good", "view of X", "hostile", "extreme", "zero", "scalar"]))
    if kind == "none":
        return None
    if kind == "view of X":
        return X[:, 0] if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] else None
    if kind == "hostile":
        return draw(hostile_arrays((n_rows,)))
    if kind == "extreme":
        return real_values(draw, draw(st.sampled_from(REAL_DTYPES)), (n_rows,))
    if kind == "zero":
        return np.zeros(n_rows)
    if kind == "scalar":
        return draw(st.sampled_from([2.0, -1.0, 0.0, float("nan")]))
    values = draw(hnp.arrays(np.float64, n_rows, elements=st.floats(0.1, 3)))
    return laid_out(values, draw(st.sampled_from(LAYOUTS)))


HOSTILITIES = [("X", kind) for kind in ("good", "extreme", "hostile", "shape")] + [
    ("y", kind) for kind in ("length", "hostile", "extreme", "column")] + [
    ("sample_weight", kind) for kind in ("view of X", "hostile", "extreme", "zero", "scalar")]


@st.composite
def fit_calls(draw, classifier, hostile, kind):
    """(X, y, sample_weight) with ``hostile`` of that ``kind`` and the others clean."""
    n = draw(st.integers(1, 6))
    X, _ = draw(matrices(n, kind if hostile == "X" else "good"))
    y = draw(targets(n, classifier, kind if hostile == "y" else "good"))
    sw = draw(weights(n, X, kind if hostile == "sample_weight" else draw(st.sampled_from(["none", "good"]))))
    return X, y, sw


def fitted(cls, classifier, **params):
    """An estimator already fitted on clean data (what a failed refit must leave as it was)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 2))
    y = np.array([0, 1, 2, 0, 1, 2]) if classifier else X @ [1.0, -1.0]
    return cls(**{**SMALL, **params}).fit(X, y)


def same_model(a, b) -> None:
    for name in ("coef_", "intercept_", "n_iter_", "loss_curve_", "classes_", "n_features_in_"):
        if hasattr(b, name):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a._theta.dtype == b._theta.dtype


def outcome(call):
    """The result of call(), or the exception it raised (which must be a TypeError or ValueError)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # a column-vector y is raveled with scikit-learn's warning; two epochs rarely converge
            # (by message: the classes are scikit-learn's once it is imported)
            warnings.filterwarnings("ignore", message="A column-vector y was passed")
            warnings.filterwarnings("ignore", message="Maximum number of iteration")
            return call()
    except (TypeError, ValueError) as exc:
        return exc


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit", "warm_start"])
@pytest.mark.parametrize("hostile, kind", HOSTILITIES)
@fuzz_settings(6)
@given(data=st.data())
def test_any_input_is_refused_cleanly_or_fits_as_its_clean_copy(cls, method, hostile, kind, data):
    classifier = cls is pygdx.GDClassifier
    X, y, sw = data.draw(fit_calls(classifier, hostile, kind))
    prefit = data.draw(st.booleans())
    est = fitted(cls, classifier, warm_start=method == "warm_start") if prefit else cls(
        **SMALL, warm_start=method == "warm_start")
    twin = copy.deepcopy(est)
    inputs_before = [frozen(v) for v in (X, y, sw)]
    model_before = estimator_snapshot(est)

    def call(e, X, y, sw):
        if method == "partial_fit" and classifier:
            return lambda: e.partial_fit(X, y, classes=None if prefit else np.unique(np.asarray(y)), sample_weight=sw)
        return lambda: getattr(e, "fit" if method == "warm_start" else method)(X, y, sample_weight=sw)

    got = outcome(call(est, X, y, sw))
    want = outcome(call(twin, clean(X), clean(y), clean(sw)))
    for now, before in zip((X, y, sw), inputs_before):
        assert_input_unchanged(now, before)
    if isinstance(got, Exception):
        assert type(got) is type(want), (got, want)
        assert estimator_snapshot(est) == model_before  # a failed call changes nothing
        return
    assert not isinstance(want, Exception), want
    same_model(est, twin)
    # What was accepted was numbers (labels for a classifier) of matching lengths, all finite.
    Xa = np.asarray(X)
    assert Xa.dtype.kind in "biuf" and Xa.ndim == 2 and Xa.size and np.isfinite(Xa).all()
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    ya = np.asarray(y)
    if ya.dtype.kind in "fc":
        assert np.isfinite(ya).all()
    if sw is not None:
        swa = np.asarray(sw, dtype=np.float64)
        assert np.isfinite(swa).all() and (swa >= 0).all() and swa.any()


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict", "decision_function", "predict_proba", "score"])
@pytest.mark.parametrize("kind", ["good", "extreme", "hostile", "shape"])
@fuzz_settings(8)
@given(data=st.data())
def test_predictions_on_any_input_equal_those_of_its_clean_copy(cls, method, kind, data):
    classifier = cls is pygdx.GDClassifier
    if not hasattr(cls, method) or method == "decision_function" and not classifier:
        pytest.skip(f"{cls.__name__} has no {method}")
    est = fitted(cls, classifier)
    n = data.draw(st.integers(1, 5))
    X, _ = data.draw(matrices(n, kind))
    y = data.draw(targets(n, classifier)) if method == "score" else None
    sw = data.draw(weights(n, X, data.draw(st.sampled_from(["none", "good", "hostile"])))) if method == "score" else None
    args = (X, y, sw) if method == "score" else (X,)
    before = [frozen(v) for v in args]
    model_before = estimator_snapshot(est)
    got = outcome(lambda: getattr(est, method)(*args))
    want = outcome(lambda: getattr(est, method)(*map(clean, args)))
    for now, was in zip(args, before):
        assert_input_unchanged(now, was)
    assert estimator_snapshot(est) == model_before
    if isinstance(want, Exception):
        assert type(got) is type(want), (got, want)
        return
    assert not isinstance(got, Exception), got
    np.testing.assert_array_equal(got, want)
    Xa = np.asarray(X)
    assert Xa.dtype.kind in "biuf" and Xa.shape[1] == 2 and np.isfinite(Xa).all()
    if method != "predict" or not classifier:
        assert np.all(np.isfinite(got))


HOSTILE_VALUES = st.one_of(
    st.sampled_from([None, "0.1", b"1", 1 + 1j, [0.1], (1, 2), True, False, -1, 0, 1, 2**70, np.float64(0.5),
                     np.int64(3), "balanced", "l1", "sgd", {}, {0: -1.0}, {0: float("nan")}, object(),
                     np.array([1.0]), pygdx.schedules.StepLR(0.1, step_size=2), float("nan"), float("inf"),
                     1e308, 5e-324, -0.0]),
    st.floats(),
)


@pytest.mark.parametrize("cls", ESTIMATORS)
@SETTINGS
@given(data=st.data())
def test_hostile_parameters_set_after_construction_are_refused_or_train(cls, data):
    """set_params then fit, as a grid search does: a parameter the constructor's table
    refuses ends the fit in one clear error with the fitted model unchanged."""
    classifier = cls is pygdx.GDClassifier
    est = fitted(cls, classifier)
    name = data.draw(st.sampled_from(sorted(set(est.get_params()) - {"callbacks", "verbose"})))
    value = data.draw(HOSTILE_VALUES)
    fitted_before = estimator_snapshot(fitted(cls, classifier).set_params(**{name: value}))
    est.set_params(**{name: value})
    X = np.random.default_rng(2).normal(size=(6, 2))
    y = np.array([0, 1, 2, 0, 1, 2]) if classifier else X[:, 0]
    got = outcome(lambda: est.fit(X, y))
    if isinstance(got, Exception):
        assert estimator_snapshot(est) == fitted_before
        return
    assert np.isfinite(est.coef_).all() and est.n_iter_ >= 1
    # What trained is what the constructor takes as well.
    assert not isinstance(outcome(lambda: cls(**{**SMALL, name: value}).fit(X, y)), Exception)


# --- correct results: clean fits against the NumPy reference ---------------------------------

def reference_optimizer(name, params, lr):
    """pygdx.reference.optim's rule of the estimator's optimizer ``name``, with its presets
    (and no weight decay of its own: the estimators' penalty is in the objective)."""
    preset = optim.get(name, np.zeros(1), lr=lr, weight_decay=0.0)
    ref_cls = getattr(ref_optim, type(preset).__name__)
    accepted = inspect.signature(ref_cls).parameters
    return ref_cls(params, lr=lr, **{k: v for k, v in preset.defaults.items() if k in accepted})


@fuzz_settings(20)
@given(
    name=st.sampled_from(optim.available()),
    batch_size=st.sampled_from([None, 1, 2, 3, 5]),
    n=st.integers(1, 7),
    d=st.integers(1, 3),
    penalty=st.sampled_from(["l2", "l1", "elasticnet", None]),
    alpha=st.sampled_from([0.0, 1e-3, 0.3]),
    fit_intercept=st.booleans(),
    weighted=st.booleans(),
    loss=st.sampled_from(["squared_error", "huber"]),
    data=st.data(),
)
def test_every_optimizer_and_batch_size_follow_the_numpy_reference(name, batch_size, n, d, penalty, alpha,
                                                                   fit_intercept, weighted, loss, data):
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=normal))
    y = data.draw(hnp.arrays(np.float64, n, elements=normal))
    sw = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 3))) if weighted else None
    lr = 0.05
    coef, intercept = np.zeros((1, d)), np.zeros(1)
    rule = reference_optimizer(name, [coef, intercept], lr)
    loss_object = losses.SquaredError() if loss == "squared_error" else losses.Huber(0.1)
    curve = [ref.epoch(loss_object, X, y, coef, intercept, rule, np.arange(n), batch_size, sw, penalty, alpha,
                       0.15, fit_intercept) for _ in range(3)]
    params = dict(optimizer=name, batch_size=batch_size, shuffle=False, tol=None, max_iter=3, lr=lr,
                  penalty=penalty, alpha=alpha, fit_intercept=fit_intercept, loss=loss, epsilon=0.1)
    try:
        est = pygdx.GDRegressor(**params).fit(X, y, sw)
    except TrainingDiverged as exc:
        # The documented rule (an epoch loss above the first and 10x the lowest) fired on the
        # reference's own curve: a false alarm of that rule at worst, not a wrong result.
        k = exc.epoch
        assert curve[k - 1] > curve[0] and curve[k - 1] > 10 * min(curve[:k]), (curve, exc)
        return
    np.testing.assert_allclose(est.coef_, coef[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, intercept, rtol=1e-9, atol=1e-12)
    # float32 data trains a float32 model that agrees to float32 precision
    est32 = outcome(lambda: pygdx.GDRegressor(**params).fit(X.astype(np.float32), y.astype(np.float32), sw))
    if not isinstance(est32, TrainingDiverged):
        assert est32.coef_.dtype == np.float32
        np.testing.assert_allclose(est32.coef_, coef[0], rtol=1e-3, atol=1e-3)


@SETTINGS
@given(
    name=st.sampled_from(optim.available()),
    batch_size=st.sampled_from([None, 1, 4]),
    y=hnp.arrays(np.int64, 8, elements=st.integers(0, 2)),
    weights=st.fixed_dictionaries({}, optional={0: st.floats(0, 4), 1: st.floats(0.1, 4), 2: st.floats(0.5, 2)}),
    early_stopping=st.booleans(),
)
def test_class_weight_is_the_sample_weight_of_each_rows_class(name, batch_size, y, weights, early_stopping):
    """scikit-learn's definition: class_weight multiplies each row's sample weight."""
    X = np.random.default_rng(3).normal(size=(8, 2))
    params = dict(optimizer=name, batch_size=batch_size, max_iter=3, tol=None, random_state=0,
                  early_stopping=early_stopping, validation_fraction=0.25)
    got = outcome(lambda: pygdx.GDClassifier(class_weight=weights, **params).fit(X, y))
    sw = np.array([weights.get(label, 1.0) for label in y])
    want = outcome(lambda: pygdx.GDClassifier(**params).fit(X, y, sample_weight=sw))
    if isinstance(want, Exception):
        assert type(got) is type(want)
        return
    if not set(weights) <= set(y):
        assert isinstance(got, ValueError) and "not in class" in str(got)  # as scikit-learn
        return
    np.testing.assert_array_equal(got.coef_, want.coef_)
    np.testing.assert_array_equal(got.intercept_, want.intercept_)
    # and unit weights are no weights
    ones = pygdx.GDClassifier(**params).fit(X, y, sample_weight=np.ones(8))
    plain = pygdx.GDClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(ones.coef_, plain.coef_)


@pytest.mark.parametrize("cls", ESTIMATORS)
@SETTINGS
@given(name=st.sampled_from(optim.available()), batch_size=st.sampled_from([None, 1, 2, 3]),
       n=st.integers(2, 7), data=st.data())
def test_partial_fit_is_one_epoch_of_fit(cls, name, batch_size, n, data):
    classifier = cls is pygdx.GDClassifier
    X = data.draw(hnp.arrays(np.float64, (n, 2), elements=moderate))
    y = (np.arange(n) % 3) if classifier else data.draw(hnp.arrays(np.float64, n, elements=moderate))
    params = dict(optimizer=name, batch_size=batch_size, shuffle=False, tol=None, max_iter=1)
    extra = {"classes": np.unique(y)} if classifier else {}
    one = cls(**params).partial_fit(X, y, **extra)
    full = outcome(lambda: cls(**params).fit(X, y))
    np.testing.assert_array_equal(one.coef_, full.coef_)
    np.testing.assert_array_equal(one.intercept_, full.intercept_)


@pytest.mark.parametrize("y", [np.array([0, "a", 1], dtype=object), np.array([None, "a", "b"], dtype=object)])
def test_labels_that_do_not_sort_are_named_as_such(y):
    """The fuzzing found NumPy's "'<' not supported between 'str' and 'int'", which names
    neither y nor the fix."""
    est = pygdx.GDClassifier(**SMALL)
    with pytest.raises(TypeError, match="class labels in y cannot be sorted"):
        est.fit(np.ones((3, 2)), y)
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("method", ["fit", "predict"])
def test_an_object_X_of_texts_is_refused_like_a_text_X(method):
    """The fuzzing found np.array([["1.5", "2"]], dtype=object) read as numbers by astype."""
    X = np.array([["1.5", "2"], ["0", "1"]], dtype=object)
    est = fitted(pygdx.GDRegressor, False)
    before = estimator_snapshot(est)
    with pytest.raises(ValueError, match="holds texts"):
        est.fit(X, [1.0, 2.0]) if method == "fit" else est.predict(X)
    assert estimator_snapshot(est) == before
