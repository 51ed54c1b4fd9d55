"""A core data source outlives the Python problem it was built from.

``RowPass`` (the sums of large batches) kept a reference to the ``LinearProblem`` it was
built with: the Python object's own C++ value. A source bound to a problem object that was
then dropped read freed memory each epoch (ASan: heap-use-after-free; without ASan, a
problem built later in the freed place changed the loss the source trained).
"""

from __future__ import annotations

import gc

import numpy as np

import pygdx
from pygdx import _core, _training


def test_source_keeps_its_own_problem(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 50))  # a full batch of 150,000 elements: summed by RowPass
    y = X @ rng.standard_normal(50)

    def fit():
        return pygdx.GDRegressor(optimizer="sgd", lr=0.05, batch_size=None, max_iter=5, tol=None, penalty=None,
                                 n_jobs=1).fit(X, y)

    expected = fit()
    bind = _training.InMemory.bind
    decoys = []

    def bind_to_a_dropped_problem(self, plan, optimizer, problem):
        source = bind(self, plan, optimizer, _training.make_problem(plan.problem_args))  # dropped at return
        gc.collect()
        # problems of another loss, likely built where the dropped one lived
        decoys.extend(_core.LinearProblem(loss=_core.LossKind.huber, epsilon=1e-3, n_features=50)
                      for _ in range(8))
        return source

    monkeypatch.setattr(_training.InMemory, "bind", bind_to_a_dropped_problem)
    got = fit()
    assert decoys
    np.testing.assert_array_equal(got.coef_, expected.coef_)
    np.testing.assert_array_equal(got.intercept_, expected.intercept_)
