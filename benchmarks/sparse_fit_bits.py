"""The same-bits check of a change to the sparse training paths: 26 sparse fits (losses,
dtypes, index types, sample weights, the damped intercept, schedules, batch sizes, l1, lazy
and dense Adam, averaged and clipped epochs, three classes, a matrix past 32 MiB on one and
two threads), each a `fit` then a `partial_fit`, saved from one build and compared byte for
byte with another's:

    python benchmarks/sparse_fit_bits.py main.npz      # with the first build's venv
    python benchmarks/sparse_fit_bits.py branch.npz    # with the second's
    python benchmarks/sparse_fit_bits.py --compare main.npz branch.npz

A case one build refuses (a setting it does not have) is skipped there and named."""

import sys
import warnings

import numpy as np

from pygdx import GDClassifier, GDRegressor
from pygdx.datasets import make_text_classification
from pygdx.schedules import InverseTimeLR, OptimalLR


def cases():
    X, y = make_text_classification(3000, 2000, 20, random_state=3)
    X32 = X.astype(np.float32)
    X64i = X.copy()
    X64i.indices, X64i.indptr = X64i.indices.astype(np.int64), X64i.indptr.astype(np.int64)
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    yr = X @ rng.normal(size=X.shape[1]) + 0.3
    common = dict(optimizer="sgd", lr=0.2, batch_size=1, penalty="l2", alpha=1e-5, random_state=0, max_iter=4, tol=None)
    C, R = GDClassifier, GDRegressor
    yield "log64", C(loss="log_loss", **common), X, y, None
    yield "log32", C(loss="log_loss", **common), X32, y, None
    yield "log64_i64", C(loss="log_loss", **common), X64i, y, None
    yield "log_decay", C(loss="log_loss", intercept_decay="auto", **common), X, y, None
    yield "log_sw", C(loss="log_loss", **common), X, y, sw
    yield "hinge", C(loss="hinge", **common), X, y, None
    yield "modhuber32", C(loss="modified_huber", **common), X32, y, None
    yield "sq_reg", R(loss="squared_error", **{**common, "lr": 0.05}), X, yr, None
    yield "huber_reg32", R(loss="huber", **{**common, "lr": 0.05}), X32, yr, None
    yield "invscaling", C(loss="log_loss", **{**common, "lr": InverseTimeLR(0.5, 0.3)}), X, y, None
    yield "optimal", C(loss="log_loss", **{**common, "lr": OptimalLR(1e-4)}), X, y, None
    yield "big_alpha", C(loss="log_loss", **{**common, "alpha": 0.5}), X, y, None
    yield "noint", C(loss="log_loss", fit_intercept=False, **common), X, y, None
    yield "bs32", C(loss="log_loss", **{**common, "batch_size": 32}), X, y, None
    yield "elastic", C(loss="log_loss", **{**common, "penalty": "elasticnet", "alpha": 1e-4}), X, y, None
    yield "adam_lazy", C(loss="log_loss", **{**common, "optimizer": "adam", "lr": 0.01, "batch_size": 16}), X, y, None
    yield "adam_dense", C(loss="log_loss", sparse_updates="dense", **{**common, "optimizer": "adam", "lr": 0.01, "batch_size": 16}), X32, y, None
    yield "avg", C(loss="log_loss", average=True, **common), X, y, None
    yield "avg_decay", C(loss="log_loss", average=10, intercept_decay="auto", **common), X, y, None
    yield "clip", C(loss="log_loss", clip_grad_norm=0.5, **common), X, y, None
    yield "clip_decay", C(loss="log_loss", clip_grad_value=0.1, intercept_decay="auto", **common), X, y, None
    yield "multiclass", C(loss="log_loss", **common), X, (np.arange(X.shape[0]) % 3), None
    # Past 32 MiB of stored values and indices: with two threads a second one gathers the
    # shuffled rows ahead (core/sparse_rows_gathered_ahead.hpp); one thread and two must both
    # give the other build's bits.
    Xb, yb = make_text_classification(100_000, 20_000, 30, random_state=4)
    swb = rng.uniform(0.5, 2.0, Xb.shape[0])
    Xb32i = Xb.astype(np.float32)  # int64 indices keep it past 32 MiB
    Xb32i.indices, Xb32i.indptr = Xb32i.indices.astype(np.int64), Xb32i.indptr.astype(np.int64)
    big = {**common, "max_iter": 2, "intercept_decay": "auto"}
    for n_jobs in (1, 2):
        yield f"big_log64_jobs{n_jobs}", C(loss="log_loss", n_jobs=n_jobs, **big), Xb, yb, swb
        yield f"big_log32_i64_jobs{n_jobs}", C(loss="log_loss", n_jobs=n_jobs, **big), Xb32i, yb, None


def run(out: str) -> None:
    got = {}
    for name, est, X, y, sw in cases():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X, y, sample_weight=sw)
        except ValueError as e:  # main refuses intercept_decay with averaging / clipping
            print(name, "refused:", str(e)[:80])
            continue
        got[name + ".coef"] = np.asarray(est.coef_)
        got[name + ".intercept"] = np.asarray(est.intercept_)
        got[name + ".loss"] = np.asarray(est.loss_curve_)
        # a continued model: one partial_fit more
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.partial_fit(X, y, sample_weight=sw)
        got[name + ".pf_coef"] = np.asarray(est.coef_)
    np.savez(out, **got)


def compare(a: str, b: str) -> bool:
    A, B = np.load(a), np.load(b)
    common = sorted(set(A.files) & set(B.files))
    bad = [k for k in common if A[k].tobytes() != B[k].tobytes() or A[k].dtype != B[k].dtype]
    print(f"{len(common)} arrays compared, {len(bad)} differ", bad, "only in one:",
          sorted(set(A.files) ^ set(B.files)))
    return not bad


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        sys.exit(0 if compare(sys.argv[2], sys.argv[3]) else 1)
    run(sys.argv[1])
