// The stochastic path of plain SGD (BatchPath::stochastic_sgd): one step per row, each fused
// with its gradient. The other rules' stochastic steps are in row_steps.hpp.
#pragma once

#include <cmath>
#include <cstddef>

#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/row_steps.hpp"
#include "core/sgd_fused_step.hpp"

namespace pygdx {

namespace detail {

// Stochastic plain SGD on a single-output model, one step per row of `data` in order, all
// inside one SIMD clone (no call per row). Each step is one pass over the row and the
// parameters: the decision value, the loss derivative g, then p_j -= lr·(g·x_j + penalty).
template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES RowSteps sgd_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h,
                                         const Schedule& schedule, double* counters, T* p,
                                         Interrupt* interrupt) {
    // A copy that states the one output to the compiler (one intercept, n_coef = d).
    LinearProblem single = pb;
    single.n_outputs = 1;
    const std::size_t d = pb.n_features;
    RowSteps done;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        if (row_loop_interrupted(interrupt, i, d)) {
            done.interrupted = true;
            break;
        }
        prefetch_ahead(data, i, d);
        const std::size_t r = data.row(i);
        const T* __restrict x = data.X + r * d;
        const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
        const double z = static_cast<double>(dot(static_cast<const T*>(p), x, d)) + static_cast<double>(p[d]);
        double derivative = 0.0;
        const double loss = sw * loss_and_derivative(single.loss, z, static_cast<double>(data.y[r]), &derivative);
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        const double intercept_sum = sw * derivative;
        const T g = static_cast<T>(intercept_sum);
        const StepCoefficients c = begin_rule_step<Rule::sgd>(h, schedule, counters);  // sgd_fuses_with_gradient
        finish_with_sgd_step<T, Maximize, Decay>(
            single, h, c.lr, p, [g, x](std::size_t j) { return g * x[j]; }, &intercept_sum, 1.0);
        done.loss_sum += loss;
        ++done.steps;
    }
    return done;
}

}  // namespace detail
}  // namespace pygdx
