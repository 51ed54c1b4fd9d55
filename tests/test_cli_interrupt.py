"""Ctrl-C during ``pygdx fit`` (a real SIGINT to a child process): the model of the last
completed epoch is saved where --out says, marked partial in its file, and the command
ends with status 130; before any epoch completed, nothing is saved. ``pygdx predict``
says when a model is partial."""

import json
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from pygdx.io import DataError
from pygdx.modelfile import SavedModel, TrainingRecord, load_model, save_model


def start_fit(tmp_path, *argv, script=None):
    """``pygdx fit`` in a child process (unbuffered output, so its lines arrive as printed)."""
    command = [sys.executable, "-u"] + ([str(script)] if script else ["-m", "pygdx"])
    return subprocess.Popen([*command, "fit", *argv], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def interrupt_when(proc, starts_with):
    """SIGINT once the child has printed a line starting with ``starts_with``; returns
    (status, stdout lines, stderr)."""
    try:
        lines = []
        while not (lines and lines[-1].startswith(starts_with)):
            line = proc.stdout.readline()
            assert line, f"the child ended early: {proc.stderr.read()}"
            lines.append(line)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, lines + out.splitlines(), err


def test_an_interrupted_fit_saves_its_last_completed_epoch_marked_partial(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 8))
    np.save(tmp_path / "data.npy", np.column_stack([X @ rng.normal(size=8) + 0.1 * rng.normal(size=4000), X]))
    np.save(tmp_path / "features.npy", X)
    # Full-batch gradient descent at a small rate lowers the loss at every epoch, so tol=0
    # never stops it: only the SIGINT does, after its first reported epoch. At 1e-6 the loss
    # takes minutes to reach its last representable value (at 1e-4 it took 2 s, and a
    # loaded machine once delivered the signal after that: the fit ended by itself).
    proc = start_fit(tmp_path, "data.npy", "--target", "0", "--batch-size", "full", "--optimizer", "sgd",
                     "--lr", "1e-6", "--epochs", "100000000", "--tol", "0", "--plot", "", "--out", "model.npz")
    status, _, err = interrupt_when(proc, "epoch")
    assert status == 130, err
    assert "Traceback" not in err
    model = load_model(tmp_path / "model.npz")
    record = model.training
    assert record.interrupted and record.epochs_asked == 100_000_000 and record.epochs_done >= 1
    assert (f"interrupted during epoch {record.epochs_done + 1} of 100000000; the model of the "
            f"{record.epochs_done} completed epoch(s) was saved to model.npz, marked in the file as partial") in err
    # the saved weights are the estimator's after its last completed epoch, not its zeros
    assert np.any(model.estimator.coef_ != 0) and np.all(np.isfinite(model.predict(X)))
    # predict says the model is partial
    done = subprocess.run([sys.executable, "-m", "pygdx", "predict", "model.npz", "features.npy", "--out", "pred.csv"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (f"note: this model's training was interrupted after {record.epochs_done} of 100000000 epochs"
            in done.stderr)


SLOW_FIT = """
import sys, time
import pygdx.estimators
from pygdx.cli import main

def fit_that_waits(self, X, y):
    print("fitting", flush=True)
    time.sleep(60)

pygdx.estimators.GDRegressor.fit = fit_that_waits
sys.exit(main(sys.argv[1:]))
"""


def test_an_interrupt_before_the_first_epoch_ends_saves_nothing(tmp_path):
    rng = np.random.default_rng(1)
    np.save(tmp_path / "data.npy", rng.normal(size=(50, 3)))
    script = tmp_path / "slow.py"
    script.write_text(SLOW_FIT)
    proc = start_fit(tmp_path, "data.npy", "--target", "0", "--plot", "", "--quiet", "--out", "model.npz",
                     script=script)
    status, _, err = interrupt_when(proc, "fitting")
    assert status == 130 and "Traceback" not in err
    assert "interrupted before the first epoch ended; no model saved" in err
    assert not (tmp_path / "model.npz").exists()


def fitted():
    import pygdx

    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2))
    return pygdx.GDRegressor(max_iter=3, tol=None).fit(X, X[:, 0]), X


@pytest.mark.parametrize("record", [TrainingRecord(3, 3), TrainingRecord(2, 50, interrupted=True), None])
def test_the_training_record_goes_through_a_model_file(tmp_path, record):
    est, X = fitted()
    save_model(tmp_path / "m.npz", SavedModel(est, ["a", "b"], "y", np.zeros(2), np.ones(2), "regression",
                                              training=record))
    model = load_model(tmp_path / "m.npz")
    assert model.training == record
    np.testing.assert_array_equal(model.predict(X), est.predict(X))


@pytest.mark.parametrize("bad", [{"epochs_done": -1, "epochs_asked": 3, "interrupted": False},
                                 {"epochs_done": 1, "epochs_asked": 0, "interrupted": True},
                                 {"epochs_done": 1, "epochs_asked": 3, "interrupted": "yes"},
                                 {"epochs_done": 1.5, "epochs_asked": 3, "interrupted": True},
                                 {"epochs_done": 1, "epochs_asked": 3},
                                 [1, 3, True]])
def test_a_damaged_training_record_is_refused(tmp_path, bad):
    est, _ = fitted()
    save_model(tmp_path / "m.npz", SavedModel(est, ["a", "b"], "y", np.zeros(2), np.ones(2), "regression",
                                              training=TrainingRecord(1, 3)))
    with zipfile.ZipFile(tmp_path / "m.npz") as zf:
        arrays = {name[:-4]: np.load(zf.open(name)) for name in zf.namelist()}
    meta = json.loads(str(arrays["meta"]))
    meta["training"] = bad
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(DataError, match="'training' must hold"):
        load_model(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="training record"):
        save_model(tmp_path / "n.npz", SavedModel(est, ["a", "b"], "y", np.zeros(2), np.ones(2), "regression",
                                                  training=TrainingRecord(0, 0)))
