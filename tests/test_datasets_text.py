"""make_text_classification: text-like sparse rows, seeded, with a learnable linear truth."""

import numpy as np
import pytest

from pygdx.datasets import make_text_classification

sp = pytest.importorskip("scipy.sparse")


def test_rows_are_unit_length_zipf_documents_of_about_the_asked_non_zeros():
    X, y, coef = make_text_classification(4000, 5000, 30, random_state=3, return_coef=True)
    assert sp.issparse(X) and X.format == "csr" and X.shape == (4000, 5000)
    assert X.has_canonical_format and X.indices.dtype == np.int32
    assert 27 <= X.nnz / X.shape[0] <= 33
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)).A1, 1.0, rtol=1e-12)
    assert np.all(X.data > 0)
    # Zipf: the most frequent column is in far more rows than the median column
    df = np.bincount(X.indices, minlength=X.shape[1])
    assert df.max() > 50 * max(1, np.median(df))
    assert set(np.unique(y)) == {0, 1} and abs(y.mean() - 0.5) < 0.03
    assert coef.shape == (5000,)


def test_labels_follow_the_linear_truth_up_to_the_flipped_fraction():
    X, y, coef = make_text_classification(6000, 2000, 30, flip_y=0.1, random_state=0, return_coef=True)
    score = X @ coef
    agree = np.mean((score > np.median(score)) == y)
    assert 0.87 < agree < 0.93


def test_seeded_and_dtype():
    a = make_text_classification(300, 1000, random_state=5)
    b = make_text_classification(300, 1000, random_state=5)
    c = make_text_classification(300, 1000, random_state=6)
    assert (a[0] != b[0]).nnz == 0 and np.array_equal(a[1], b[1])
    assert a[0].shape == c[0].shape and (a[0] != c[0]).nnz > 0
    X32, _ = make_text_classification(300, 1000, dtype=np.float32, random_state=5)
    assert X32.dtype == np.float32
    np.testing.assert_allclose(X32.toarray(), a[0].toarray(), rtol=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    ({"nnz_per_row": 0.5}, "nnz_per_row must be a number >= 1"),
    ({"flip_y": 0.7}, r"flip_y must be in \[0, 0.5\]"),
    ({"zipf_exponent": 0}, "zipf_exponent must be a positive number"),
    ({"dtype": np.int64}, "dtype must be float32 or float64"),
    ({"n_samples": 0}, "n_samples must be a positive integer"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_text_classification(**{"n_samples": 10, "n_features": 100, **kwargs})
