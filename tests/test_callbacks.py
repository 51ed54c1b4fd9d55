"""Callbacks run between epochs with the epoch's numbers and can stop training; the tqdm
progress bar works when tqdm is installed and says how to get it when it is not."""

import sys

import numpy as np
import pytest

import pygdx
from pygdx.callbacks import Callback, History, ProgressBar, as_callbacks


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=200)


def test_history_sees_every_epoch_with_its_numbers():
    X, y = data()
    history = History()
    est = pygdx.GDRegressor(max_iter=4, tol=None, batch_size=50, callbacks=[history]).fit(X, y)
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3, 4]
    assert [e["loss"] for e in history.epochs] == est.loss_curve_
    assert [e["t"] for e in history.epochs] == [4, 8, 12, 16]
    assert all(e["validation_score"] is None for e in history.epochs)
    assert history.epochs[0]["lr"] == 0.01
    assert np.all(np.diff([e["elapsed"] for e in history.epochs]) >= 0)


def test_a_callback_can_stop_training_without_a_convergence_warning():
    X, y = data()
    calls = []

    def stop_at_three(estimator, info):
        calls.append(info["epoch"])
        return info["epoch"] == 3

    est = pygdx.GDRegressor(max_iter=50, tol=None, callbacks=stop_at_three).fit(X, y)
    assert est.n_iter_ == 3 and calls == [1, 2, 3]


def test_hooks_order_and_validation_scores():
    X, y = data()
    events = []

    class Recorder(Callback):
        def on_train_begin(self, estimator, max_epochs):
            events.append(("begin", max_epochs))

        def on_epoch_end(self, estimator, info):
            events.append(("epoch", info["validation_score"]))

        def on_train_end(self, estimator):
            events.append(("end",))

    est = pygdx.GDRegressor(max_iter=2, tol=None, early_stopping=True, callbacks=[Recorder()],
                            random_state=0).fit(X, y)
    assert events[0] == ("begin", 2) and events[-1] == ("end",)
    assert [e[1] for e in events[1:-1]] == est.validation_scores_


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    X, y = data()
    pygdx.GDRegressor(max_iter=3, tol=None, callbacks=[ProgressBar(disable=False)]).fit(X, y)
    assert "3/3" in capsys.readouterr().err


def test_progress_bar_without_tqdm_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = data()
    with pytest.raises(ImportError, match=r'pip install "pygdx\[progress\]"'):
        pygdx.GDRegressor(max_iter=2, callbacks=[ProgressBar()]).fit(X, y)


def test_bad_callbacks_are_refused():
    with pytest.raises(TypeError, match="callbacks must be"):
        as_callbacks([42])
    X, y = data()
    with pytest.raises(TypeError, match="callbacks must be"):
        pygdx.GDRegressor(callbacks=["nope"]).fit(X, y)
