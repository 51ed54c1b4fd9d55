"""scikit-learn's own estimator checks (parametrize_with_checks) on both estimators."""

import warnings

import pytest

sklearn_checks = pytest.importorskip("sklearn.utils.estimator_checks")

import pygdx  # noqa: E402


def expected_failures(estimator):
    # Sample weights scale each row's gradient; a shuffled mini-batch run with weight 2 on a
    # row does not follow the same path as a run with that row duplicated, so the fitted
    # models differ by more than the check's tolerance (scikit-learn's SGD estimators are
    # marked the same way).
    return {
        "check_sample_weight_equivalence_on_dense_data":
            "stochastic mini-batch training: weights are not equivalent to repeated rows",
    }


# pygdx implements scikit-learn's estimator protocol itself so that scikit-learn stays
# optional; scikit-learn warns about that while collecting the checks.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Estimator .* does not inherit from `sklearn.base.BaseEstimator`")
    checks = sklearn_checks.parametrize_with_checks(
        [pygdx.GDRegressor(random_state=0), pygdx.GDClassifier(random_state=0)],
        expected_failed_checks=expected_failures,
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@checks
def test_scikit_learn_checks(estimator, check):
    check(estimator)
