"""What the trainer reads or undoes besides the weights it steps: a kept model is read in
place only when its arrays are exactly the trainer's dtype and layout (a swapped-in float16,
longdouble or byte-swapped state is refused, or the estimator falls back to a copy), and the
running average of averaged SGD is undone and kept best together with the weights, wherever
a Ctrl-C lands."""

import numpy as np
import pytest

import pygdx
from pygdx import _core, _stepwise

from test_epoch_undo import D, Boom, trainer_for


def adam_trainer(theta):
    """test_epoch_undo's Adam trainer, its moments non-zero (so that they are read, not refilled)."""
    trainer, counters, states = trainer_for(theta)
    for s in states:
        s[...] = 0.25
    return trainer, counters, states


def unlike(array, how):
    """``array``'s values in an array the trainer must not read as float64 in place."""
    if how == "float16":
        return array.astype(np.float16)
    if how == "longdouble":
        return array.astype(np.longdouble)
    if how == "byteswapped":
        return array.astype(array.dtype.newbyteorder())
    if how == "unaligned":
        raw = np.zeros(array.nbytes + 1, dtype=np.uint8)[1:].view(array.dtype)
        raw[...] = array
        return raw
    return array[::-1].copy()[::-1]  # "strided": not C-contiguous


KINDS = ["float16", "longdouble", "byteswapped", "unaligned", "strided"]


@pytest.mark.parametrize("how", KINDS)
def test_a_kept_state_of_another_dtype_or_layout_is_refused(how):
    if how == "longdouble" and np.dtype(np.longdouble).itemsize == 8:
        pytest.skip("longdouble is float64 on this platform")
    theta = np.linspace(-1.0, 1.0, D + 1)
    trainer, _, states = adam_trainer(theta)
    used = [j for j, s in enumerate(states) if s.size]
    if how == "strided":
        wide = np.zeros(2 * (D + 1))
        swapped = wide[::2]
    else:
        swapped = unlike(states[used[0]], how)
    kept = [s.copy() for s in states]
    kept[used[0]] = swapped
    with pytest.raises(ValueError, match="kept model's state"):
        trainer.keep_first_epoch_from(theta.copy(), kept)
    if how != "strided":
        with pytest.raises(ValueError, match="kept model's theta"):
            trainer.keep_first_epoch_from(unlike(theta, how), [s.copy() for s in states])


@pytest.mark.parametrize("how", ["float16", "byteswapped", "unaligned"])
def test_partial_fit_over_a_tampered_state_never_reads_it_wrongly(how):
    # A model whose private optimizer state was swapped by hand: partial_fit either refuses it
    # clearly or trains from its values; the first epoch's undo never reads it as float64.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, D)), rng.normal(size=80)
    est = pygdx.GDRegressor(optimizer="adam", lr=0.01, random_state=0).partial_fit(X, y)
    name = next(iter(est._optimizer.state[0]))
    est._optimizer.state[0][name] = unlike(est._optimizer.state[0][name], how)
    # The same values in a plain float64 array: what the tampered model must train like.
    reference = pygdx.GDRegressor(optimizer="adam", lr=0.01, random_state=0).partial_fit(X, y)
    reference._optimizer.state[0][name] = est._optimizer.state[0][name].astype(np.float64)
    assert est._start_model(est._optimizer) is None
    try:
        est.partial_fit(X, y)
    except ValueError as error:
        assert name in str(error) or "state" in str(error)
        return
    reference.partial_fit(X, y)
    np.testing.assert_allclose(est.coef_, reference.coef_, rtol=1e-12)


def test_start_model_is_offered_when_every_array_is_bindable():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, D)), rng.normal(size=50)
    est = pygdx.GDRegressor(optimizer="adam", lr=0.01, random_state=0).partial_fit(X, y)
    assert est._start_model(est._optimizer) is not None


def test_a_buffer_kept_in_step_is_undone_with_the_weights():
    theta = np.linspace(-1.0, 1.0, D + 1)
    trainer, counters, states = adam_trainer(theta)
    average = np.arange(D + 1, dtype=np.float64)
    before = average.copy()
    trainer.undo_also(average)

    def epoch(seed):
        theta[...] += 1.0
        average[...] *= 3.0
        raise Boom

    with pytest.raises(Boom):
        trainer.run(epoch, None, 1, True)
    np.testing.assert_array_equal(average, before)


def test_a_buffer_kept_in_step_follows_the_best_epoch():
    theta = np.zeros(D + 1)
    trainer, counters, states = adam_trainer(theta)
    average = np.zeros(D + 1)
    trainer.undo_also(average)

    def epoch(seed):
        theta[...] += 1.0
        average[...] += 2.0
        return 1.0, True

    for score in (0.5, 0.9, 0.7):  # the second epoch is the best
        trainer.run(epoch, None, 1, False)
        trainer.judge(-score, True)
    trainer.restore_best()
    np.testing.assert_array_equal(theta, np.full(D + 1, 2.0))
    np.testing.assert_array_equal(average, np.full(D + 1, 4.0))


@pytest.mark.parametrize("first", ["judge", "run"])
def test_undo_also_is_refused_once_the_trainer_has_judged_or_run(first):
    # A best epoch kept before the buffer came was saved without it: restore_best read the
    # buffer's part past the end of that copy (heap overflow under AddressSanitizer).
    theta = np.zeros(D + 1)
    trainer, _, _ = adam_trainer(theta)
    if first == "judge":
        trainer.judge(-1.0, True)
    else:
        trainer.run(lambda seed: (1.0, True), None, 1, True)
    average = np.full(D + 1, 7.0)
    with pytest.raises(ValueError, match="undo_also must come before the trainer runs or judges"):
        trainer.undo_also(average)
    trainer.restore_best()
    np.testing.assert_array_equal(average, 7.0)


@pytest.mark.parametrize("bad", ["float32", "short", "readonly"])
def test_undo_also_refuses_a_buffer_that_does_not_fit(bad):
    trainer, _, _ = adam_trainer(np.zeros(D + 1))
    buffer = {"float32": np.zeros(D + 1, dtype=np.float32), "short": np.zeros(D), "readonly": np.zeros(D + 1)}[bad]
    buffer.setflags(write=bad != "readonly")
    with pytest.raises(ValueError, match="undo_also"):
        trainer.undo_also(buffer)


class InterruptWhenAsked:
    """A ``finite`` flag whose truth test raises KeyboardInterrupt: a Ctrl-C landing just
    after the core's averaged epoch returned, before Python hands its result to the trainer."""

    def __bool__(self):
        raise KeyboardInterrupt


@pytest.mark.parametrize("sparse", [False, True])
def test_ctrl_c_after_the_core_call_undoes_the_average_with_the_weights(sparse, monkeypatch):
    import scipy.sparse as sp

    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(60, D)), rng.normal(size=60)
    if sparse:
        X = sp.csr_matrix(X)
    est = pygdx.GDRegressor(lr=0.01, average=True, random_state=0).partial_fit(X, y)
    theta, average = est._theta.copy(), est._average_theta.copy()
    name = "csr_averaged_epoch" if sparse else "averaged_epoch"
    real = getattr(_core, name)

    def then_interrupted(*args):
        loss, steps, _ = real(*args)
        return loss, steps, InterruptWhenAsked()

    monkeypatch.setattr(_stepwise._core, name, then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, y)
    np.testing.assert_array_equal(est._theta, theta)
    np.testing.assert_array_equal(est._average_theta, average)
    np.testing.assert_array_equal(est.coef_, average[:D])


def test_early_stopping_keeps_the_average_of_the_best_epoch():
    # The averaged model is what is scored; restoring the best epoch restores its average too.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, D))
    y = X @ rng.normal(size=D) + rng.normal(scale=2.0, size=300)
    seen = []

    class Record(pygdx.callbacks.Callback):
        def on_epoch_end(self, est, info):
            seen.append((info["validation_score"], est.coef_.copy()))

    est = pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=1, average=True, early_stopping=True,
                            n_iter_no_change=3, max_iter=60, tol=1e-4, random_state=0, callbacks=[Record()]).fit(X, y)
    best = max(range(len(seen)), key=lambda e: seen[e][0])
    assert best < len(seen) - 1, "the last epoch was the best: nothing to restore"
    np.testing.assert_array_equal(est.coef_, seen[best][1])
