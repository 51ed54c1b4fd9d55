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
// cheap there is that nothing else runs per step. Stochastic epochs therefore step row by
// row through the same row kernels linear_epoch uses (no per-step epoch set-up, penalty or
// finiteness pass), and larger batches go through linear_epoch one batch at a time.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/epoch.hpp"
#include "core/linear.hpp"
#include "core/penalty.hpp"
#include "core/row_steps.hpp"

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

namespace detail {

// Whether averaged_epoch steps `data` row by row through linear_epoch's stochastic kernels:
// the batch path linear_epoch itself takes for one row at a time (l1 problems have theirs).
inline bool averages_row_by_row(const LinearProblem& pb, std::size_t batch_size, const Hyper& hyper) {
    if (batch_size != 1 || penalty_weights(pb.penalty).l1 != 0.0) {
        return false;
    }
    const BatchPath path = choose_batch_path(pb, 1, hyper);
    return path == BatchPath::stochastic_sgd || path == BatchPath::stochastic;
}

// The stochastic epoch of averaged_epoch: one step per row, each followed by the fold.
template <class T>
RowSteps averaged_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& hyper,
                            const Schedule& schedule, double* counters, const ParamBuffers<T>& params,
                            EpochScratch<T>& work, T* average, const WeightAverage& rule, Interrupt* interrupt) {
    const bool plain_sgd = sgd_fuses_with_gradient(hyper);
    RowSteps done;
    for (std::size_t i = 0; i < data.n_used && done.finite && !done.interrupted; ++i) {
        const LinearData<T> row = row_range(data, i, 1, pb.n_features);
        RowSteps step;
        if (plain_sgd) {
            with_flags([&](auto maximize, auto decay) {
                step = sgd_row_steps<T, decltype(maximize)::value, decltype(decay)::value>(
                    pb, row, hyper, schedule, counters, params.param, interrupt);
            }, hyper.maximize, hyper.weight_decay != 0.0);
        } else {
            step = rule_row_steps(pb, row, hyper, schedule, counters, params, work.grad.data(), interrupt);
        }
        done.loss_sum += step.loss_sum;
        done.steps += step.steps;
        done.finite = step.finite;
        done.interrupted = step.interrupted;
        if (step.steps != 0) {
            add_to_average(average, static_cast<const T*>(params.param), pb.n_params(), counters[counter_step],
                           rule);
        }
    }
    return done;
}

}  // namespace detail

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
                           const WeightAverage& rule, Interrupt* interrupt = nullptr) {
    const std::size_t n = data.n_used;
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(n, 1));
    const std::size_t n_coef = pb.n_coef();
    const double epoch_penalty = penalty_value(pb.penalty, params.param, n_coef);
    EpochResult result;
    if (detail::averages_row_by_row(pb, batch_size, hyper)) {
        const detail::RowSteps done = detail::averaged_row_steps(pb, data, hyper, schedule, counters, params, work,
                                                                 average, rule, interrupt);
        result.steps = done.steps;
        result.interrupted = done.interrupted;
        result.finite = done.finite;
        for (std::size_t j = 0; j < pb.n_params() && result.finite; ++j) {
            result.finite = std::isfinite(static_cast<double>(params.param[j]));
        }
        result.loss = done.steps ? done.loss_sum / static_cast<double>(done.steps) + epoch_penalty : 0.0;
        return result;
    }
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
        add_to_average(average, static_cast<const T*>(params.param), pb.n_params(), counters[counter_step], rule);
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace pygdx
