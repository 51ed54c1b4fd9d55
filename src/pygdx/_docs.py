"""The parameter documentation GDRegressor and GDClassifier share (appended to their docstrings)."""

COMMON_PARAMETERS = """
    Parameters
    ----------
    loss : str or pygdx.losses.Loss
        {losses}. A Loss object of another type (a custom loss) trains through a slower
        NumPy path with the same API.
    optimizer : str
        A name from ``pygdx.optim.available()`` ("adam", "sgd", "momentum", ...).
    lr : float or pygdx.schedules.Schedule
        Learning rate, or a schedule evaluated at every optimizer step in C++. Adaptive
        rules (Adam, the default, RMSprop, ...) move each weight by about ``lr`` per step,
        whatever the gradient's size, so weights far from 0 (say a target around 100, and
        so an intercept near 100) take ~100/lr steps: standardise y, or raise lr.
    batch_size : int or None
        Rows per optimizer step: None = full batch, 1 = stochastic, k = mini-batch.
    max_iter : int
        Maximum number of epochs (passes over the training rows).
    tol : float or None
        Stop when the epoch loss (or, with early_stopping, the validation score) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; None disables it. With
        ``batch_size=None`` an epoch is a single step, and momentum or Adam may go several
        steps without a new best loss while still converging: raise ``n_iter_no_change``
        or set ``tol=None`` there. A loss tenfold above its lowest value and the
        first epoch's that keeps growing, three epochs in a row with SGD and ten with the
        rules whose steps are bounded by lr (Adam, RMSprop, ...), raises an error: the
        learning rate is too large. (A single jump, as after a warm start near the optimum
        or with a huge alpha, is not divergence; partial_fit, one epoch per call, raises at
        the first epoch tenfold above. Plain SGD on a loss whose derivative is bounded,
        hinge, log_loss, modified_huber, perceptron, huber, epsilon_insensitive, is judged
        by its data loss: at a huge alpha its penalty swings from step to step while the
        weights stay within one step of zero.)
    n_iter_no_change : int
    penalty : None, "l2", "l1" or "elasticnet"
        alpha · R(w) with R = ½‖w‖², ‖w‖₁, or l1_ratio·‖w‖₁ + (1 − l1_ratio)·½‖w‖²; the
        intercept is never penalised. The l1 part gives exact zeros: plain SGD on batches
        pays it by the cumulative penalty of Tsuruoka et al. (2009), as scikit-learn's SGD
        does; the full batch and the other optimizers take a proximal (soft-threshold) step
        after each optimizer step. coef_ holds weights that have received their whole l1
        penalty (exactly 0 where it won); ``sparsify()`` turns coef_ into a SciPy CSR matrix.
    alpha : float
        With plain SGD (optimizer="sgd") the l2 part shrinks the weights by
        max(0, 1 − lr·alpha_l2) before each step, as scikit-learn does: at lr·alpha_l2 >= 1
        the weights restart from zero instead of overshooting.
    l1_ratio : float or None
        The elastic net's mix; None is allowed unless penalty="elasticnet".
    fit_intercept : bool
    shuffle : bool
        Reshuffle the rows every epoch (seeded by random_state).
    random_state : int, numpy Generator or None
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows (stratified for classifiers), stop when
        their score stops improving, and restore the weights of the best epoch.
    validation_fraction : float
    warm_start : bool
        ``fit`` starts from the current coefficients (with a new optimizer) instead of zeros.
        ``fit(X, y, coef_init=..., intercept_init=...)`` gives the start explicitly.
    average : bool or int
        Averaged SGD: True averages the weights after every step, k >= 1 from step k on;
        coef_, intercept_ and predictions are the average once step k was reached, as
        scikit-learn's ``average=`` (see pygdx._stepwise). When step k is reached with
        averaging on, this is also torch's SWA (``swa_utils.AveragedModel``'s equal-weight
        mean) updated after every step from step k; turned on in ``partial_fit`` after step k,
        the mean starts from zeros as scikit-learn's ``partial_fit`` does. With an l1 part
        (penalty="l1" or "elasticnet") averaged plain SGD pays it by a proximal step after
        each batch, not by the cumulative penalty the unaveraged fit and scikit-learn use, so
        its weights (and their average) differ slightly from scikit-learn's averaged ones.
    ema_decay : float in [0, 1] or None
        Exponential moving average of the weights after every step, torch's
        ``AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(ema_decay))``: the weights after its
        first step (of ``fit``, or the first after ``ema_decay`` was set or changed in
        ``partial_fit``), then ``ema = ema_decay * ema + (1 - ema_decay) * w``; coef_,
        intercept_ and predictions are the EMA. Not with ``average=``.
    swa_start : int >= 1 or None
        Stochastic weight averaging per epoch, as torch's ``swa_utils.AveragedModel`` in an
        epoch loop: the weights at the end of epoch ``swa_start`` (counted from 1, as
        ``n_iter_``) and of every later epoch are averaged with equal weights; coef_,
        intercept_ and predictions are that mean once epoch ``swa_start`` has ended. Unlike
        ``average=`` it folds once per epoch, not after every step (see pygdx._swa). Not with
        ``average=`` or ``ema_decay=``; works with chunked and Dask data too.
    clip_grad_norm, clip_grad_value : float or None
        Clip each batch's gradient before the step (value first, then 2-norm), with
        torch.nn.utils' semantics, as ``pygdx.minimize`` does.
    n_jobs : int or None
        Threads. None (the default) and -1 use every usable core for the epochs where that
        pays (full batches, mini-batches of about 64 rows or more at 100 features); 1 is one
        thread. Unlike scikit-learn's None (one job): a fit's bits do not depend on it.
        None follows ``OMP_NUM_THREADS`` when set (joblib sets it in its workers).
    verbose : int
        Print one summary per epoch when > 0.
    callbacks : list of pygdx.callbacks.Callback or callables f(estimator, info)
        Called after every epoch; returning True stops training.
    optimizer_params : dict or None
        Passed to the optimizer (e.g. ``{{"momentum": 0.9}}``); its weight_decay defaults to 0.
    sparse_updates : "lazy" (default) or "dense"
        How a step on sparse X (a SciPy sparse matrix) treats the columns its batch does not
        touch. Plain SGD without momentum ignores it: its weights are a scale times a vector,
        so the exact (dense) update costs O(the batch's non-zeros). For every other optimizer:
        "lazy" steps only the touched columns (and the intercepts) with the optimizer's rule,
        leaving the others' weights and state as they are (torch's SparseAdam semantics:
        moments decay, momentum carries and the penalty shrinks a column only at steps
        whose batch touches it); a step costs O(the batch's non-zeros). "dense" gives the
        dense-data semantics exactly (every weight's state decays and every weight moves
        every step), at O(n_features) per step. Lazy is the default because text-like data
        has many more columns than a batch touches (a step on 30 non-zeros of 4 million
        columns is ~10^5 times cheaper), and a rare word's Adam moments then keep the
        scale of its own gradients instead of decaying to nothing between its occurrences.
        Ignored for dense X.
    intercept_decay : float in (0, 1] or "auto", default 1.0
        Multiplies the intercept's gradient in every step on sparse X (for plain SGD: the
        intercept's step). scikit-learn's ``SGDClassifier`` / ``SGDRegressor`` use 0.01 on
        sparse X (its internal ``SPARSE_INTERCEPT_DECAY``) and 1 on dense X: "auto" is that
        rule, and with plain SGD, batch_size=1 and the same settings it gives
        scikit-learn's coefficients on sparse X. The intercept is in every row's gradient,
        so at a constant step it otherwise follows the last rows of an epoch more than a
        word's weight does. The default 1.0 keeps a sparse fit equal to the dense fit on
        the same data. It applies to averaged and clipped fits too (with "auto",
        ``average=`` gives scikit-learn's averaged coefficients and intercept on sparse X;
        with ``clip_grad_norm`` / ``clip_grad_value`` the damped gradient is clipped). It
        matters for plain SGD and momentum; Adam-like rules divide the gradient by its own
        scale, so they hardly feel it. Values other than 1 need
        in-memory sparse X (a number other than 1 on dense X, or any value but 1.0 for
        pygdx.outofcore / pygdx.dask chunks, is refused).
"""
