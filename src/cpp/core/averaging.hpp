// Averaged SGD (Polyak-Ruppert averaging, scikit-learn's `average=`): besides the weights
// the optimizer steps, the mean of the weights after every step from step `start` on, which
// the model then predicts with.
//
// scikit-learn's rule, after step t (the optimizer's step count, from 1):
//     if start <= t:  avg += (w - avg) / (t - start + 1)
// for the coefficients and the intercepts alike. Its lazy form (sklearn/utils/
// _weight_vector.pyx.tp, average_a / average_b) exists to keep a step on a sparse row
// O(nnz) when w is stored as a scale times a vector; on dense rows a step already costs a
// pass over the weights, and the direct update below is one more pass of the same size.
#pragma once

#include <algorithm>
#include <cstddef>

#include "core/epoch.hpp"
#include "core/linear.hpp"
#include "core/penalty.hpp"

namespace pygdx {

// Folds the weights after step t into the running mean of the weights after steps
// start..t (nothing before `start`; the first of them replaces whatever avg held).
template <class T>
PYGDX_SIMD_CLONES void add_to_average(T* __restrict avg, const T* __restrict theta, std::size_t n, double t,
                                      double start) {
    if (!(start >= 1.0) || t < start) {
        return;
    }
    const double count = t - start + 1.0;
    for (std::size_t j = 0; j < n; ++j) {
        avg[j] += static_cast<T>((static_cast<double>(theta[j]) - static_cast<double>(avg[j])) / count);
    }
}

// linear_epoch with the mean of the weights kept in `average` (n_params): the epoch runs
// one batch at a time through linear_epoch (the same kernels and steps) and folds the
// weights into the mean after each step. The reported loss is linear_epoch's: the mean data
// loss of the rows, each at its batch's weights, plus the penalty at the epoch's first
// weights. A non-finite batch or an interrupt stops it as linear_epoch stops; the caller
// then restores `average` with the weights.
template <class T>
EpochResult averaged_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t requested_batch_size,
                           const Hyper& hyper, const Schedule& schedule, double* counters,
                           const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads, T* average,
                           double start, Interrupt* interrupt = nullptr) {
    const std::size_t n = data.n_used;
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(n, 1));
    const std::size_t n_coef = pb.n_coef();
    const double epoch_penalty = penalty_value(pb.penalty, params.param, n_coef);
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    for (std::size_t first = 0; first < n; first += batch_size) {
        const std::size_t rows = std::min(batch_size, n - first);
        const double penalty_before = penalty_value(pb.penalty, params.param, n_coef);
        const EpochResult batch = linear_epoch(pb, row_range(data, first, rows, pb.n_features), batch_size, hyper,
                                               schedule, counters, params, work, n_threads, interrupt);
        result.steps += batch.steps;
        if (batch.interrupted || !batch.finite) {
            result.interrupted = batch.interrupted;
            result.finite = batch.finite;
            break;
        }
        data_loss_sum += (batch.loss - penalty_before) * static_cast<double>(rows);
        rows_seen += rows;
        add_to_average(average, static_cast<const T*>(params.param), pb.n_params(), counters[counter_step], start);
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace pygdx
