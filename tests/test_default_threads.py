"""n_jobs's default (issue 15): every usable core where that pays, with the bits of one thread."""

import numpy as np
import pytest

import pygdx
from pygdx._validation import n_threads


def test_the_default_asks_the_core_for_every_core_and_1_for_one_thread():
    assert n_threads(None) == 0
    assert n_threads(-1) == 0
    assert n_threads(1) == 1
    assert n_threads(2) == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size, optimizer", [(128, "sgd"), (256, "adam"), (None, "sgd")])
def test_a_default_fit_gives_the_bits_of_one_thread(dtype, batch_size, optimizer):
    # 100 features: batches of 128 and 256 rows take the team of threads, and a full batch of
    # 3,000 rows is threaded by rows (RowPass): the paths the default now threads.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3_000, 100)).astype(dtype)
    y = (X @ rng.standard_normal(100) + 0.1 * rng.standard_normal(3_000)).astype(dtype)
    fits = {}
    for n_jobs in (None, 1, 2):
        est = pygdx.GDRegressor(optimizer=optimizer, lr=1e-2, batch_size=batch_size, max_iter=3, tol=None,
                                random_state=0, n_jobs=n_jobs)
        fits[n_jobs] = est.fit(X, y)
    for n_jobs in (None, 2):
        assert fits[n_jobs].coef_.tobytes() == fits[1].coef_.tobytes()
        assert fits[n_jobs].intercept_.tobytes() == fits[1].intercept_.tobytes()
        assert fits[n_jobs].loss_curve_ == fits[1].loss_curve_
