"""The full-batch pass (RowPass) over rows in order, as a full-batch epoch reads them: the
same bits with any thread count, and the reference's objective and gradient, for shapes
whose chunks, per-thread blocks and per-chunk partials (each padded apart so that no two
threads write one cache line) end at awkward places: row counts that leave a tail of rows
after the groups of four and the blocks of 64, feature counts that leave a tail of columns,
one output (four rows at a time) and three (row by row)."""

import numpy as np
import pytest

from pygdx import _core, losses

from test_linear_core import make_problem, reference_loss_grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n", "d", "multinomial"), [(30_011, 5, False), (8_003, 37, False), (5_003, 100, False),
                                                      (6_001, 37, True)])
def test_full_batch_pass_has_the_same_bits_with_any_thread_count(n, d, multinomial, dtype):
    rng = np.random.default_rng(d)
    K = 3 if multinomial else 1
    loss = losses.MultinomialLogLoss() if multinomial else losses.SquaredError()
    X = rng.normal(size=(n, d)).astype(dtype)
    y = (rng.integers(0, K, size=n) if multinomial else rng.normal(size=n)).astype(dtype)
    sw = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    theta = rng.normal(scale=0.1, size=K * d + K).astype(dtype)
    pb = make_problem("squared_error", "l2", alpha=0.01, n_features=d, n_outputs=K, multinomial=multinomial)
    first_value, first_grad = _core.linear_loss_grad(pb, X, y, sw, theta, n_threads=1)
    for threads in (2, 3, 0, 1):
        value, grad = _core.linear_loss_grad(pb, X, y, sw, theta, n_threads=threads)
        assert value == first_value and np.array_equal(grad, first_grad), threads
    ref_value, ref_grad = reference_loss_grad(loss, X.astype(np.float64), y.astype(np.float64),
                                              theta.astype(np.float64), sw.astype(np.float64), "l2", 0.01, 0.15,
                                              True, K=K)
    rtol = 1e-11 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(first_value, ref_value, rtol=rtol)
    np.testing.assert_allclose(first_grad, ref_grad, rtol=rtol, atol=rtol * np.abs(ref_grad).max())
