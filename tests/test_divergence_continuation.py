"""The divergence rule across partial_fit calls compares like with like: plain SGD on a loss of
bounded derivative is judged on its data loss (_training.judges_data_loss), so a continuation
starts from the data losses earlier calls judged, not from the loss curve's objectives (data
loss plus the penalty at the epoch's first weights), which a penalty at large start weights
makes far larger: a real divergence then went unseen."""

import warnings

import numpy as np
import pytest

import pygdx


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X, (X @ np.array([1.0, -2.0, 0.5, 3.0]) > 0).astype(int)


def _started_with_a_large_penalty(X, y):
    """One epoch from large weights: objective ~178 (the penalty), data loss ~0.013."""
    clf = pygdx.GDClassifier(loss="hinge", optimizer="sgd", lr=1e-3, alpha=1.0, batch_size=1, max_iter=1, tol=None,
                             random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y, coef_init=5 * np.array([1.0, -2.0, 0.5, 3.0]))
    assert clf.loss_curve_[0] > 100 and clf._divergence_record[0] is True
    assert clf._divergence_record[1] < 0.1  # the data loss the rule judged
    return clf


def test_a_real_divergence_after_a_continuation_is_caught(data):
    X, y = data
    clf = _started_with_a_large_penalty(X, y)
    before = (clf.coef_.copy(), list(clf.loss_curve_), clf.t_)
    clf.set_params(lr=100.0, alpha=1e-4)
    # The data loss climbs to ~10 (800 times the first epoch's): judged against the curve's
    # objective (178), it stayed under the tenfold bar and trained on.
    with pytest.raises(pygdx.estimators.TrainingDiverged, match="training diverged: the data loss grew from 0.01"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.coef_, before[0])
    assert clf.loss_curve_ == before[1] and clf.t_ == before[2]


def test_a_healthy_continuation_is_not_flagged(data):
    X, y = data
    clf = _started_with_a_large_penalty(X, y)
    clf.set_params(lr=0.01, alpha=1e-4)
    for _ in range(5):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 6 and clf._divergence_record[1] <= clf.loss_curve_[1]
    # a warm start near the optimum, continued call after call (PEER.md's first false alarm)
    near = pygdx.GDClassifier(loss="log_loss", optimizer="sgd", lr=0.05, batch_size=4, max_iter=30, tol=None,
                              random_state=0).fit(X, y)
    for _ in range(10):
        near.partial_fit(X, y)
    assert near.n_iter_ == 40


def test_a_change_of_judged_kind_starts_the_rule_afresh(data):
    # momentum makes the rule judge the objective: the data losses recorded before are not
    # comparable with it, so the first epoch of the call is the new baseline (no false alarm
    # from a baseline of another kind), and the record follows the new kind.
    X, y = data
    clf = _started_with_a_large_penalty(X, y)
    clf.set_params(optimizer="momentum", lr=1e-3)
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert clf._divergence_record[0] is False
    # a model without a record (fitted by an earlier version) goes on from its curve
    del clf._divergence_record
    clf.partial_fit(X, y)
    assert clf._divergence_record[0] is False and clf.n_iter_ == 4
