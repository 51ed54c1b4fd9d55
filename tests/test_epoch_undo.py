"""The trainer's undo of a failed epoch (core/epoch_undo.hpp) without a copy of the model
where none is needed: a buffer that is all +0.0 comes back as zeros, and the first epoch of
a call that continues a model comes back from the model the estimator keeps. Every case
must give back the exact bits the epoch found."""

import numpy as np
import pytest

import pygdx
from pygdx import _core

D = 6


class Boom(Exception):
    pass


def trainer_for(theta):
    problem = _core.LinearProblem(_core.LossKind.squared_error, D, 1, True, 0.1, _core.PenaltyKind.none, 0.0, 0.15)
    opt = pygdx.optim.Adam([theta], lr=0.1)
    hyper, schedule, counters, states = opt.core_buffers()
    for s in states:
        if s.size:
            s[...] = 0.0
    trainer = _core.LinearTrainer(problem, hyper, schedule, counters, theta, states, _core.StoppingRule(None),
                                  0.0, 0.0, 0)
    return trainer, counters, states


def scribble_then(fail, theta, states, counters):
    """An epoch function that changes every buffer, then fails (raises) or succeeds."""
    def epoch(seed):
        theta[...] += 1.5
        for s in states:
            s[...] += 0.25
        counters[0] += 3
        if fail:
            raise Boom
        return 1.0, True
    return epoch


def run(trainer, epoch):
    return trainer.run(epoch, None, 1, True)


def used(states):
    return [s for s in states if s.size]


def test_a_zero_model_comes_back_as_zeros():
    theta = np.zeros(D + 1)
    trainer, counters, states = trainer_for(theta)
    with pytest.raises(Boom):
        run(trainer, scribble_then(True, theta, states, counters))
    assert not theta.any() and not np.signbit(theta).any()
    assert all(not s.any() for s in used(states))
    assert counters[0] == 0


def test_a_negative_zero_is_copied_not_refilled():
    theta = np.zeros(D + 1)
    theta[2] = -0.0
    trainer, counters, states = trainer_for(theta)
    with pytest.raises(Boom):
        run(trainer, scribble_then(True, theta, states, counters))
    assert np.signbit(theta[2]) and not theta.any()


def test_the_first_epoch_comes_back_from_the_kept_model():
    theta = np.linspace(-1.0, 1.0, D + 1)
    trainer, counters, states = trainer_for(theta)
    for s in used(states):
        s[...] = 0.5
    # The kept model differs from the working one on purpose: the undo must read it, not a copy.
    kept_theta = theta * 3.0
    kept_states = [s + 7.0 if s.size else s for s in states]
    kept_theta.setflags(write=False)  # a loaded model's arrays may be read-only
    trainer.keep_first_epoch_from(kept_theta, kept_states)
    with pytest.raises(Boom):
        run(trainer, scribble_then(True, theta, states, counters))
    np.testing.assert_array_equal(theta, kept_theta)
    for s, k in zip(used(states), used(kept_states)):
        np.testing.assert_array_equal(s, k)


def test_later_epochs_come_back_from_their_own_start():
    theta = np.linspace(-1.0, 1.0, D + 1)
    trainer, counters, states = trainer_for(theta)
    kept_theta = theta.copy()
    trainer.keep_first_epoch_from(kept_theta, [s.copy() for s in states])
    assert _core.TrainOutcome(run(trainer, scribble_then(False, theta, states, counters))[0]) == \
        _core.TrainOutcome.epochs_done
    after_first = theta.copy(), [s.copy() for s in used(states)], counters.copy()
    with pytest.raises(Boom):
        run(trainer, scribble_then(True, theta, states, counters))
    np.testing.assert_array_equal(theta, after_first[0])
    for s, k in zip(used(states), after_first[1]):
        np.testing.assert_array_equal(s, k)
    np.testing.assert_array_equal(counters, after_first[2])


def test_a_kept_model_that_does_not_fit_is_refused():
    theta = np.zeros(D + 1)
    trainer, _, states = trainer_for(theta)
    with pytest.raises(ValueError, match="kept model's theta"):
        trainer.keep_first_epoch_from(np.zeros(D), states)
    with pytest.raises(ValueError, match="kept model's theta"):
        trainer.keep_first_epoch_from(np.zeros(D + 1, dtype=np.float32), states)
    with pytest.raises(ValueError, match="kept model's state"):
        trainer.keep_first_epoch_from(np.zeros(D + 1), [])


@pytest.mark.parametrize("sparse", [False, True])
def test_an_interrupted_partial_fit_keeps_the_model_it_continued(sparse, monkeypatch):
    # Ctrl-C during the first epoch of a partial_fit: the estimator keeps the model of its
    # last completed epoch, the one the call continued, bit for bit (state included).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, D))
    y = (X[:, 0] > 0).astype(int)
    if sparse:
        sp = pytest.importorskip("scipy.sparse")
        X = sp.csr_matrix(X)
    clf = pygdx.GDClassifier(optimizer="adam", lr=0.05, batch_size=16, random_state=0).partial_fit(X, y, [0, 1])
    clf.partial_fit(X, y)
    before = clf._theta.copy(), {k: v.copy() for k, v in clf._optimizer.state[0].items()}

    class Interrupting(_core.LinearTrainer):
        def run(self, source, seeds, n_epochs, judge=True):
            def epoch(seed):  # steps the working model (the estimator's, in place), then Ctrl-C
                clf._theta += 1.0
                for value in clf._optimizer.state[0].values():
                    value += 1.0
                raise KeyboardInterrupt
            return super().run(epoch, seeds, n_epochs, judge)

    monkeypatch.setattr(_core, "LinearTrainer", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf._theta, before[0])
    for name, value in before[1].items():
        np.testing.assert_array_equal(clf._optimizer.state[0][name], value)
