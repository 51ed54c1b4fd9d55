"""The sparse cases of pygdx bench and the peak-memory measurement of the sparse benchmarks."""

import numpy as np
import pytest

from pygdx import bench
from pygdx._bench_sparse import peak_memory_growth, sparse_cases, svmlight_bytes
from pygdx.io import load_svmlight

pytest.importorskip("scipy.sparse")
pytest.importorskip("sklearn")


def test_sparse_cases_time_an_epoch_against_sklearn_and_the_csr_floor_and_the_parser():
    cases = {c.name: c for c in sparse_cases(400, 300)}
    results = bench.run_cases(list(cases.values()), repeat=1)
    rows = {(r.name, r.baseline): r for r in results}
    epoch = "stochastic epoch, text, log loss (bs=1)"
    assert rows[(epoch, "scikit-learn SGDClassifier")].pygdx_seconds > 0
    assert rows[(epoch, "shuffled CSR floor, 1 core")].is_floor
    assert rows[(epoch + ", default n_jobs", "scikit-learn SGDClassifier")].pygdx_seconds > 0
    assert rows[("svmlight parse", "scikit-learn load_svmlight_file")].baseline_seconds > 0


def test_the_svmlight_text_reads_back_as_the_matrix():
    from pygdx.datasets import make_text_classification
    import io

    X, y = make_text_classification(50, 200, 10, random_state=0)
    Xr, yr = load_svmlight(io.BytesIO(svmlight_bytes(X, y)), n_features=200)
    np.testing.assert_allclose(Xr.toarray(), X.toarray(), rtol=1e-15)
    np.testing.assert_array_equal(yr, y)


def test_peak_memory_growth_sees_an_allocation():
    _, growth = peak_memory_growth(lambda: np.ones(20_000_000).sum())
    if growth is None:
        pytest.skip("no /proc/self/clear_refs here")
    assert growth >= 0.9 * 160_000_000
    _, small = peak_memory_growth(lambda: 1 + 1)
    assert small < 20_000_000
