// Gradient clipping inside the linear models' epochs (the estimators' clip_grad_norm= and
// clip_grad_value=), with torch.nn.utils' semantics on the objective's gradient of each
// batch (data part and penalty, as one vector over every coefficient and intercept):
// - value: every element clamped to [-max_value, max_value], first when both are given;
// - norm: the whole gradient scaled by max_norm / (‖g‖₂ + 1e-6) when that is below 1.
//
// A clipped epoch computes each batch's gradient in full before the optimizer's step, so it
// takes one batch path (RowPass sums, then finish_gradient and optimizer_step) for every
// batch size; with `average` it also keeps the mean of the weights (averaging.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/averaging.hpp"
#include "core/epoch.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx {

struct GradientClip {
    double max_norm = 0.0;   // 0: no norm clipping
    double max_value = 0.0;  // 0: no value clipping
};

// Clips g (n elements) in place as torch's clip_grad_value_ then clip_grad_norm_ would.
template <class T>
void clip_gradient(const GradientClip& clip, T* g, std::size_t n) {
    if (clip.max_value > 0.0) {
        const T bound = static_cast<T>(clip.max_value);
        for (std::size_t j = 0; j < n; ++j) {
            g[j] = std::min(std::max(g[j], -bound), bound);
        }
    }
    if (clip.max_norm > 0.0) {
        double squares = 0.0;
        for (std::size_t j = 0; j < n; ++j) {
            squares += static_cast<double>(g[j]) * static_cast<double>(g[j]);
        }
        const double coef = clip.max_norm / (std::sqrt(squares) + 1e-6);
        if (coef < 1.0) {
            const T scale = static_cast<T>(coef);
            for (std::size_t j = 0; j < n; ++j) {
                g[j] *= scale;
            }
        }
    }
}

// One epoch in batches of `batch_size` rows, each batch's gradient clipped before the
// optimizer's step; with `average` (n_params, or null) the mean of the weights after every
// step t >= rule.start is kept too. Loss and stopping as linear_epoch's.
template <class T>
EpochResult clipped_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t requested_batch_size,
                          const Hyper& hyper, const Schedule& schedule, double* counters,
                          const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                          const GradientClip& clip, T* average, const WeightAverage& rule,
                          Interrupt* interrupt = nullptr) {
    const std::size_t n = data.n_used;
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(n, 1));
    T* grad = work.grad.data();
    const T* const grads[1] = {grad};
    const double epoch_penalty = penalty_value(pb.penalty, params.param, n_coef);
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    for (std::size_t first = 0; first < n; first += batch_size) {
        const std::size_t rows = std::min(batch_size, n - first);
        if (interrupt != nullptr && interrupt->requested(rows * n_coef)) {
            result.interrupted = true;
            break;
        }
        const LinearData<T> batch = row_range(data, first, rows, pb.n_features);
        const double loss_sum = work.pass.sum(batch, params.param, work.summed.data());
        if (!std::isfinite(loss_sum)) {
            result.finite = false;
            break;
        }
        finish_gradient(pb, static_cast<const T*>(params.param), work.summed.data(), work.summed.data() + n_coef,
                        static_cast<double>(rows), grad);
        clip_gradient(clip, grad, P);
        optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
        data_loss_sum += loss_sum;
        rows_seen += rows;
        ++result.steps;
        if (average != nullptr) {
            add_to_average(average, static_cast<const T*>(params.param), P, counters[counter_step], rule);
        }
    }
    for (std::size_t j = 0; j < P && result.finite; ++j) {
        result.finite = std::isfinite(static_cast<double>(params.param[j]));
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace pygdx
