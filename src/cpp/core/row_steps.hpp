// Stochastic steps (one row per optimizer step) of a single-output linear model with any
// update rule but plain SGD, whose update epoch.hpp fuses with the gradient (sgd_row_steps).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx {
namespace detail {

// What a run of stochastic steps did: the summed weighted loss of the rows stepped on, the
// number of steps, and whether it stopped at a non-finite loss (before stepping).
struct RowSteps {
    double loss_sum = 0.0;
    std::size_t steps = 0;
    bool finite = true;
    bool interrupted = false;
};

// Stochastic steps (one row per step) of a single-output model with any other rule: per row
// the decision value, the loss derivative and the gradient, finished in place, then the
// rule's update, all inside one function. Through the small-batch path each step also made
// the calls that sum a batch, finish its gradient and dispatch an optimizer step, several
// times the arithmetic of a model with a few weights. Each step performs exactly the
// operations of that path (sum_rows_into, finish_gradient, optimizer_step) on its row, so
// the results are the same bits.
template <class T>
PYGDX_SIMD_CLONES RowSteps rule_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h,
                                          const Schedule& schedule, double* counters,
                                          const ParamBuffers<T>& params, T* grad, Interrupt* interrupt) {
    LinearProblem single = pb;  // states the one output to the compiler
    single.n_outputs = 1;
    const std::size_t d = pb.n_features;
    const T* theta = params.param;
    RowSteps done;
    PowerMemory& memory = thread_power_memory();  // once: a thread_local costs a call per access
    double z = 0.0, derivative = 0.0;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        if (interrupt != nullptr && interrupt->requested(d)) {
            done.interrupted = true;
            break;
        }
        prefetch_ahead(data, i, d);
        const std::size_t r = data.row(i);
        const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
        std::fill(grad, grad + d, T(0));
        double intercept_sum = 0.0;
        double loss = 0.0;
        loss += add_row(single, theta, data.X + r * d, data.y + r * data.y_width, sw, grad, &intercept_sum, &z,
                        &derivative);
        finish_gradient_each(
            single, theta, [grad](std::size_t j) { return grad[j]; }, &intercept_sum, 1.0,
            [grad](std::size_t j, T g) { grad[j] = g; });
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        done.loss_sum += loss;
        ++done.steps;
        update_range(h, begin_step(h, schedule, counters, &memory), params, static_cast<const T*>(grad), 0, d + 1);
    }
    return done;
}

}  // namespace detail
}  // namespace pygdx
