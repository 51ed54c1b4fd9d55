"""The shuffling seeds a fit draws ahead (pygdx._training.draw_seeds) and the epochs it runs
per call into the core: neither changes a bit of the fit (issue 10's small-data epoch)."""

import numpy as np
import pytest

import pygdx
from pygdx import _training

GENERATORS = [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64, np.random.MT19937]


@pytest.mark.parametrize("bit_generator", GENERATORS)
def test_seeds_are_generator_integers_and_leave_the_same_state(bit_generator):
    fast, oracle = np.random.Generator(bit_generator(7)), np.random.Generator(bit_generator(7))
    oracle.random()  # a buffered or partly used generator, as a user's may be
    fast.random()
    for n in (1, 5, 1024, 3):
        drawn = _training.draw_seeds(fast, n)
        expected = oracle.integers(0, 2**63, size=n)
        assert drawn.dtype == np.int64 and drawn.shape == (n,)
        np.testing.assert_array_equal(drawn, expected)
    assert str(fast.bit_generator.state) == str(oracle.bit_generator.state)
    assert fast.random() == oracle.random()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [1, 16, None])
def test_epochs_per_call_change_no_bit(monkeypatch, optimizer, batch_size):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(40)
    fits = []
    for per_call in (_training.EPOCHS_PER_CALL, 7, 1):
        monkeypatch.setattr(_training, "EPOCHS_PER_CALL", per_call)
        est = pygdx.GDRegressor(optimizer=optimizer, lr=0.01, batch_size=batch_size, max_iter=30, tol=None,
                                random_state=0).fit(X, y)
        fits.append((est.coef_.tobytes(), est.intercept_.tobytes(), est.loss_curve_, est._rng.random()))
    assert fits[0] == fits[1] == fits[2]
