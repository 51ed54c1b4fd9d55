// The epochs of a linear model that act after every optimizer step (the estimators'
// average= / ema_decay= and clip_grad_norm= / clip_grad_value=, bindings/stepwise.cpp):
// averaged_epoch keeps an average of the weights (averaging.hpp) beside linear_epoch's steps;
// clipped_epoch clips each batch's gradient (clipping.hpp) before the step, and may average.
//
// Averaging at batch size 1 steps row by row through the row kernels linear_epoch uses (no
// per-step epoch set-up, penalty or finiteness pass), so it costs one multiply-add pass per
// step; larger batches go through linear_epoch one batch at a time. A clipped epoch needs
// each batch's whole gradient before the step, so it takes one batch path (RowPass sums,
// then finish_gradient, the clip and optimizer_step) for every batch size.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/averaging.hpp"
#include "core/clipping.hpp"
#include "core/epoch.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/penalty.hpp"
#include "core/row_steps.hpp"
#include "core/summed_batches.hpp"

namespace pygdx {

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

// linear_epoch with an average of the weights kept in `average` (n_params; their mean or
// their exponential moving average, by `rule`): the epoch runs one batch at a time through
// linear_epoch (the same kernels and steps) and folds the weights into the average after
// each step. The reported loss is linear_epoch's: the mean data
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

// One epoch in batches of `batch_size` rows, each batch's gradient clipped before the
// optimizer's step; with `average` (n_params, or null) the average of the weights after
// every step t >= rule.start (their mean, or their exponential moving average) is kept too. Loss and stopping as linear_epoch's.
template <class T>
EpochResult clipped_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t requested_batch_size,
                          const Hyper& hyper, const Schedule& schedule, double* counters,
                          const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                          const GradientClip& clip, T* average, const WeightAverage& rule,
                          Interrupt* interrupt = nullptr) {
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(data.n_used, 1));
    T* grad = work.grad.data();
    const T* const grads[1] = {grad};
    const T* theta = params.param;
    return summed_batch_epoch(pb, data, batch_size, theta, work, interrupt, [&](std::size_t rows) {
        finish_gradient(pb, theta, static_cast<const double*>(work.summed.data()), work.summed.data() + n_coef,
                        static_cast<double>(rows), grad);
        clip_gradient(clip, grad, P);
        optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
        if (average != nullptr) {
            add_to_average(average, theta, P, counters[counter_step], rule);
        }
    });
}

}  // namespace pygdx
