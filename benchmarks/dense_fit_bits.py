"""The same-bits check of a change to the dense row kernels (sum_rows_into, dot, axpy): one
SHA-256 over the fitted parameters of 2,016 dense fits (1-5,000 rows x 1-100 features, both
dtypes, batch None / 1 / 32, sgd and adam, with and without sample weights, squared and log
loss, n_jobs 1 and 2). Run it under each build's venv and compare the printed hashes:

    python benchmarks/dense_fit_bits.py
"""
import hashlib, itertools, numpy as np, pygdx
h = hashlib.sha256()
rng = np.random.default_rng(0)
for dtype, n, d in itertools.product([np.float32, np.float64], [1, 7, 300, 5000], [1, 5, 16, 17, 33, 100]):
    X = rng.standard_normal((n, d)).astype(dtype); X[:, 0] *= 3
    y = (X @ rng.standard_normal(d)).astype(dtype) + dtype(0.1)
    yc = (y > np.median(y)).astype(dtype)
    sw = rng.uniform(0.5, 2, n).astype(dtype)
    for batch, opt, jobs, weights, loss in itertools.product([None, 1, 32], ["sgd", "adam"], [1, 2], [None, sw], ["reg", "log"]):
        if loss == "log" and n == 1:
            continue
        if loss == "reg":
            est = pygdx.GDRegressor(optimizer=opt, lr=1e-3, batch_size=batch, random_state=0, n_jobs=jobs, max_iter=3, tol=None)
            est.fit(X, y, sample_weight=weights)
        else:
            est = pygdx.GDClassifier(loss="log_loss", optimizer=opt, lr=1e-3, batch_size=batch, random_state=0, n_jobs=jobs, max_iter=3, tol=None)
            est.fit(X, yc, sample_weight=weights)
        h.update(np.ascontiguousarray(est.coef_).tobytes()); h.update(np.ascontiguousarray(est.intercept_).tobytes())
print(h.hexdigest())
