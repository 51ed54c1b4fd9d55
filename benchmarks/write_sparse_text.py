"""Writes the text-like matrix of bench_sparse.py (250,000 x 50,000 training rows, the same
seed) as raw arrays for bench_sparse_rows.cpp: PREFIX.data (float64), .indices and .indptr
(int32), .y (±1, float64) and .shape (int64).

    python benchmarks/write_sparse_text.py /tmp/text
"""
import sys

import numpy as np

from pygdx.datasets import make_text_classification

N_TRAIN, N_HELD_OUT, N_FEATURES = 250_000, 50_000, 50_000


def main(prefix: str) -> None:
    X, y = make_text_classification(N_TRAIN + N_HELD_OUT, N_FEATURES, 30, random_state=0)
    X = X[:N_TRAIN]
    X.data.astype(np.float64).tofile(prefix + ".data")
    X.indices.astype(np.int32).tofile(prefix + ".indices")
    X.indptr.astype(np.int32).tofile(prefix + ".indptr")
    np.where(np.asarray(y[:N_TRAIN]) > 0, 1.0, -1.0).tofile(prefix + ".y")
    np.array(X.shape, dtype=np.int64).tofile(prefix + ".shape")


if __name__ == "__main__":
    main(sys.argv[1])
