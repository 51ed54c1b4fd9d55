// Averaged SGD (Polyak-Ruppert averaging, scikit-learn's `average=`): besides the weights
// the optimizer steps, the mean of the weights after every step from step `start` on, which
// the model then predicts with.
//
// scikit-learn's rule, after step t (the optimizer's step count, from 1):
//     if start <= t:  avg += (w - avg) / (t - start + 1)
// for the coefficients and the intercepts alike. Its lazy form (sklearn/utils/
// _weight_vector.pyx.tp, average_a / average_b) keeps a step on a sparse row O(nnz) when w
// is a scale times a vector. On dense rows every step already changes every weight (the
// decay, and a dense row's data step), so the fold is one multiply-add pass over the
// weights beside the step's two (the decision value, the update): what makes averaging
// cheap there is that nothing else runs per step (the epochs: stepwise_epochs.hpp).
#pragma once

#include <cstddef>

#include "core/optimizers.hpp"

namespace pygdx {

// Which average of the weights an epoch keeps: from step `start` on (0: none), their mean
// (scikit-learn's average=, torch's SWA) or, with `ema`, torch's exponential moving average
// (swa_utils.get_ema_multi_avg_fn): avg = decay·avg + (1 − decay)·w.
struct WeightAverage {
    double start = 0.0;
    bool ema = false;
    double decay = 0.0;

    // The weight of step t's weights in the average after it: 0 before `start`, 1 at it (the
    // first of them replaces whatever avg held, as AveragedModel's first update copies).
    double weight_of_step(double t) const {
        if (!(start >= 1.0) || t < start) {
            return 0.0;
        }
        if (t == start) {
            return 1.0;
        }
        return ema ? 1.0 - decay : 1.0 / (t - start + 1.0);
    }
};

// Folds the weights after step t into the average: avg += (w − avg)·weight_of_step(t).
template <class T>
PYGDX_SIMD_CLONES void add_to_average(T* __restrict avg, const T* __restrict theta, std::size_t n, double t,
                                      const WeightAverage& rule) {
    const double mu = rule.weight_of_step(t);
    if (mu == 0.0) {
        return;
    }
    for (std::size_t j = 0; j < n; ++j) {
        avg[j] += static_cast<T>((static_cast<double>(theta[j]) - static_cast<double>(avg[j])) * mu);
    }
}

}  // namespace pygdx
