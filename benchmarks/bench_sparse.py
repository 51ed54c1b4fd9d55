"""Issue 12's sparse targets, measured in one run:

- ``sparse-text-epoch``: text-like rows (``make_text_classification``: Zipf words, about 30
  non-zeros a row, tf-idf, unit L2 rows), 250,000 x 50,000 for training and 50,000 more rows
  held out; binary log loss, plain SGD, batch size 1, constant step 0.2, l2 penalty 1e-6, on
  one core. One round = one epoch (``partial_fit``) of pygdx's ``GDClassifier`` and of
  scikit-learn's ``SGDClassifier`` with the same step and penalty; after the rounds, each
  model's held-out accuracy is ``extra_info["heldout_accuracy"]`` (both trained the same
  number of epochs). Target: pygdx's epoch at least 3x faster, accuracy equal or better.
- ``sparse-text-fit``: the same epoch inside ``fit``, without each call's own work: per library,
  fresh fits of 1 and of 1 + FIT_EPOCHS epochs (``max_iter``, ``tol=None``) timed alternately;
  an epoch is (best fit of 1 + FIT_EPOCHS − best fit of 1) / FIT_EPOCHS (``extra_info``:
  ``fit1_seconds``, ``epochs``). Held-out accuracy is the longer fit's, both libraries
  having trained the same epochs (scikit-learn's ``partial_fit`` with an int
  ``random_state`` reuses one row order in every call; pygdx's draws a new one). Both damp
  the intercept's steps by 0.01 on sparse X (scikit-learn always does; pygdx with
  ``intercept_decay="auto"``), so the two train the same model up to the row order.
- ``sparse-text-floor``: the same pygdx epoch against ``pygdx.bench.shuffled_csr_floor`` on the
  same matrix (every stored value read once in a shuffled row order, one core), the floor
  measured, untimed, before each round (``extra_info["paired_floor"]``: the best of them). Per non-zero both read the
  same values, so the ratio of the times is the ratio per non-zero. Target: within 2x.
  ``ratios_sparse.py`` also sets the epoch inside ``fit`` (``sparse-text-fit``) against the
  floor alone: a ``partial_fit`` call checks the matrix and builds its data source and
  targets once per call (about 10 ms here), which is not an epoch's work.
- ``sparse-big-minibatch``: 1,000,000 x 4,194,304 with 30 non-zeros a row; one mini-batch
  epoch (batch 256; plain SGD, and Adam with its lazy sparse updates) and the growth of the
  process's peak resident memory during it (``extra_info["peak_growth_bytes"]``, against
  ``matrix_bytes``), the larger of a new model's epoch and a continued one's (two
  ``partial_fit`` rounds). Target: at most half.
- ``svmlight-parse``: the training rows as svmlight text (scikit-learn's writer), read by
  ``pygdx.io.load_svmlight`` and by scikit-learn's ``load_svmlight_file``; MB/s from
  ``extra_info["megabytes"]``, by wall time and by the process's CPU time
  (``extra_info["cpu_seconds"]``: on a shared machine, what one core does). Target: at
  least 100 MB/s.

With ``--benchmark-disable`` (the test suite) the sizes shrink so that every case runs once,
quickly, and still checks its result.

    pytest benchmarks/bench_sparse.py --benchmark-enable --benchmark-json=sparse.json
    python benchmarks/ratios_sparse.py sparse.json
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from pygdx import bench
from pygdx._bench_sparse import TEXT_ALPHA, TEXT_LR, fit_epochs_quietly, partial_fit_quietly, \
    peak_memory_growth, svmlight_bytes, text_estimators
from pygdx.datasets import make_text_classification

sp = pytest.importorskip("scipy.sparse")
sk_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def sizes(issue_sizes):
    if issue_sizes:
        return {"train": 250_000, "heldout": 50_000, "features": 50_000, "big": 1_000_000, "big_features": 4_194_304,
                "rounds": 5, "parse_rounds": 3}
    return {"train": 2_000, "heldout": 1_000, "features": 3_000, "big": 3_000, "big_features": 65_536,
            "rounds": 2, "parse_rounds": 1}


@pytest.fixture(scope="module")
def text(sizes):
    """(X_train, y_train, X_heldout, y_heldout): one call's rows, split (one ground truth)."""
    n = sizes["train"]
    X, y = make_text_classification(n + sizes["heldout"], sizes["features"], 30, random_state=0)
    return X[:n], y[:n], X[n:], y[n:]


def matrix_bytes(X) -> int:
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


@pytest.mark.parametrize("impl", ["pygdx", "scikit-learn"])
def test_text_epoch(benchmark, text, sizes, impl):
    X, y, X_out, y_out = text
    ours, theirs = text_estimators(n_jobs=1)
    est = ours if impl == "pygdx" else theirs
    benchmark.group = "sparse-text-epoch"
    benchmark.extra_info.update(case="text-epoch", impl=impl, n_rows=X.shape[0], n_features=X.shape[1], nnz=X.nnz,
                                lr=TEXT_LR, alpha=TEXT_ALPHA)
    epochs = []

    def epoch() -> None:
        partial_fit_quietly(est, X, y)
        epochs.append(1)

    benchmark.pedantic(epoch, rounds=sizes["rounds"], iterations=1)
    # With timing off, pytest-benchmark runs one round: a single shuffled epoch at a constant
    # rate leaves the intercept where its last rows pushed it (scikit-learn damps the
    # intercept's steps on sparse data, pygdx keeps sparse fits equal to dense ones), so the
    # accuracy is judged after at least three epochs.
    while len(epochs) < 3:
        epoch()
    accuracy = float(est.score(X_out, y_out))
    benchmark.extra_info["heldout_accuracy"] = accuracy
    benchmark.extra_info["epochs"] = len(epochs)
    assert accuracy > 0.6  # well above chance on balanced classes: the epochs learned


FIT_EPOCHS = 4


# "pygdx" is one thread (n_jobs=1); "pygdx-default" is n_jobs's default, every usable core:
# on more than one, a second thread gathers the shuffled rows ahead of the steps
# (core/sparse_rows_gathered_ahead.hpp). scikit-learn's binary SGD runs on one thread.
@pytest.mark.parametrize("impl", ["pygdx", "pygdx-default", "scikit-learn"])
def test_text_epoch_in_fit(benchmark, text, sizes, impl):
    X, y, X_out, y_out = text
    ours, theirs = text_estimators(n_jobs=None if impl == "pygdx-default" else 1)
    est = theirs if impl == "scikit-learn" else ours
    benchmark.group = "sparse-text-fit"
    benchmark.extra_info.update(case="text-fit", impl=impl, n_rows=X.shape[0], n_features=X.shape[1], nnz=X.nnz,
                                epochs=FIT_EPOCHS, lr=TEXT_LR, alpha=TEXT_ALPHA)
    fit1 = []

    def setup():
        start = time.perf_counter()  # the fit of one epoch, timed just before each longer fit
        fit_epochs_quietly(est, X, y, 1)
        fit1.append(time.perf_counter() - start)
        return (est, X, y, 1 + FIT_EPOCHS), {}

    fitted = benchmark.pedantic(fit_epochs_quietly, setup=setup, rounds=sizes["rounds"])
    benchmark.extra_info["fit1_seconds"] = min(fit1)
    accuracy = float(fitted.score(X_out, y_out))
    benchmark.extra_info["heldout_accuracy"] = accuracy
    assert accuracy > 0.6


def test_text_epoch_against_the_csr_floor(benchmark, text, sizes):
    """The pygdx epoch, with the floor measured (untimed) before each round."""
    X, y, _, _ = text
    est, _ = text_estimators(n_jobs=1)
    floors = []

    def setup():
        floors.append(bench.shuffled_csr_floor(X, n_threads=1, repeat=1).seconds)
        return (est, X, y), {}

    benchmark.group = "sparse-text-floor"
    benchmark.extra_info.update(case="text-floor", impl="pygdx", nnz=X.nnz)
    benchmark.pedantic(partial_fit_quietly, setup=setup, rounds=sizes["rounds"])
    benchmark.extra_info["paired_floor"] = min(floors)
    assert est.coef_.shape == (1, X.shape[1])


def test_csr_floor_alone(benchmark, text, sizes):
    """The floor on its own (the core's best pass), for the record when no epoch runs beside it."""
    X, _, _, _ = text
    passes = []
    benchmark.group = "sparse-text-floor"
    benchmark.extra_info.update(case="text-floor", impl="floor", nnz=X.nnz)
    benchmark.pedantic(lambda: passes.append(bench.shuffled_csr_floor(X, n_threads=1, repeat=1)),
                       rounds=sizes["rounds"], iterations=1)
    benchmark.extra_info["floor_seconds"] = min(p.seconds for p in passes)
    # the pass read every stored value: its checksum is the sum of the row sums (w = ones)
    assert passes[-1].dot_sum == pytest.approx(float(X.data.sum()), rel=1e-9)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_big_minibatch_epoch_memory(benchmark, sizes, optimizer):
    from pygdx import GDClassifier

    X, y = make_text_classification(sizes["big"], sizes["big_features"], 30, random_state=1)
    lr = 0.5 if optimizer == "sgd" else 0.01
    est = GDClassifier(loss="log_loss", optimizer=optimizer, lr=lr, batch_size=256, penalty="l2", alpha=1e-7,
                       random_state=0)
    growths = []

    def epoch() -> None:
        _, growth = peak_memory_growth(lambda: partial_fit_quietly(est, X, y))
        growths.append(growth)

    benchmark.group = "sparse-big-minibatch"
    case = "big-minibatch" if optimizer == "sgd" else f"big-minibatch-{optimizer}"
    benchmark.extra_info.update(case=case, impl="pygdx", n_rows=X.shape[0], n_features=X.shape[1],
                                nnz=X.nnz, matrix_bytes=matrix_bytes(X), batch_size=256, optimizer=optimizer)
    benchmark.pedantic(epoch, rounds=2, iterations=1)
    if growths[0] is not None:
        # the first epoch allocates the weights and optimizer state; the second continues them
        # (partial_fit): the larger growth counts
        benchmark.extra_info["peak_growth_bytes"] = max(growths)
        assert max(growths) >= 0
    assert est.coef_.shape == (1, X.shape[1])


@pytest.fixture(scope="module")
def svmlight_text(text):
    X, y, _, _ = text
    return svmlight_bytes(X, y)


@pytest.mark.parametrize("impl", ["pygdx", "scikit-learn"])
def test_svmlight_parse(benchmark, svmlight_text, text, sizes, impl):
    from pygdx.io import load_svmlight

    read = load_svmlight if impl == "pygdx" else sk_datasets.load_svmlight_file
    benchmark.group = "svmlight-parse"
    benchmark.extra_info.update(case="parse", impl=impl, megabytes=len(svmlight_text) / 1e6)
    cpu = []

    def parse():
        start = time.process_time()  # CPU time: what one core does, whatever the neighbours' load
        out = read(io.BytesIO(svmlight_text))
        cpu.append(time.process_time() - start)
        return out

    X, y = benchmark.pedantic(parse, rounds=sizes["parse_rounds"], iterations=1)
    benchmark.extra_info["cpu_seconds"] = min(cpu)
    X_train, y_train, _, _ = text
    assert X.shape[0] == X_train.shape[0] and X.nnz == X_train.nnz
    np.testing.assert_array_equal(y, y_train)
