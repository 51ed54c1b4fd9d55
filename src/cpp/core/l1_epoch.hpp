// The epoch of a dense-row problem whose penalty has an l1 part: linear_epoch's contract
// (epoch.hpp, which sends such problems here), with the l1 part applied so that weights
// reach exact zeros (l1_penalty.hpp): the cumulative penalty for plain SGD on batches
// smaller than the data, a proximal step otherwise.
//
// Each batch's gradient of the smooth part (data loss and l2) is summed by RowPass; plain
// SGD then pays every weight the cumulative penalty it is owed (sparse_epoch.hpp pays only
// the batch's columns, and the same weights result).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/epoch.hpp"
#include "core/l1_penalty.hpp"
#include "core/scaled_weights.hpp"
#include "core/summed_batches.hpp"

namespace pygdx {

// Whether a step of `hyper` on batches of `batch_size` out of `n` rows pays l1 by the
// cumulative penalty (plain SGD, not the full batch) rather than a proximal step.
inline bool uses_cumulative_l1(const Hyper& hyper, std::size_t batch_size, std::size_t n) {
    return detail::sgd_fuses_with_gradient(hyper) && batch_size < n;
}

template <class T>
EpochResult l1_linear_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                            const Hyper& hyper, const Schedule& schedule, double* counters,
                            const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                            Interrupt* interrupt) {
    const std::size_t n = data.n_used;
    const std::size_t n_coef = pb.n_coef();
    LinearProblem smooth = pb;
    smooth.penalty = smooth_part(pb.penalty);
    const double l1 = penalty_weights(pb.penalty).l1;
    const bool fused_sgd = detail::sgd_fuses_with_gradient(hyper);
    const bool cumulative = uses_cumulative_l1(hyper, batch_size, n);
    if (cumulative && !work.l1.ready(n_coef)) {
        work.l1.reset(n_coef);
    }
    T* theta = params.param;
    ScaledWeights<T> weights(theta, n_coef);  // scale 1: a view with at/set
    const T* const grads[1] = {work.grad.data()};
    return summed_batch_epoch(pb, data, batch_size, theta, work, interrupt, [&](std::size_t rows) {
        if (fused_sgd) {
            // Plain SGD takes the smooth part's step fused, as linear_epoch does, so its l2
            // decay is clamped at lr·l2 >= 1 (the weights restart from zero, no overshoot).
            const double lr = begin_step(hyper, schedule, counters).lr;
            detail::with_flags([&](auto maximize, auto decay) {
                detail::finish_and_sgd_step<T, decltype(maximize)::value, decltype(decay)::value>(
                    smooth, hyper, lr, theta, static_cast<const double*>(work.summed.data()),
                    work.summed.data() + n_coef, static_cast<double>(rows));
            }, hyper.maximize, hyper.weight_decay != 0.0);
        } else {
            finish_gradient(smooth, theta, static_cast<const double*>(work.summed.data()),
                            work.summed.data() + n_coef, static_cast<double>(rows), work.grad.data());
            optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
        }
        if (cumulative) {
            const double lr = last_step_lr(schedule, counters);
            work.l1.shrink(sgd_shrink_factor(hyper, lr, penalty_weights(smooth.penalty).l2));
            work.l1.owe(lr, l1);
            work.l1.pay_all(weights, n_coef);
        } else {
            const ProximalRates rates(hyper, schedule, counters);
            for (std::size_t j = 0; j < n_coef; ++j) {
                rates.apply(params, weights, j, l1);
            }
        }
    });
}

}  // namespace pygdx
