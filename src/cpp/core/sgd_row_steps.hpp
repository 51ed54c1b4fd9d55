// The stochastic path of plain SGD (BatchPath::stochastic_sgd): one step per row, each fused
// with its gradient. The other rules' stochastic steps are in row_steps.hpp.
#pragma once

#include <cmath>
#include <cstddef>

#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/row_steps.hpp"
#include "core/sgd_fused_step.hpp"
#include "core/sgd_step_then_dot.hpp"

namespace pygdx {

namespace detail {

// Stochastic plain SGD on a single-output model, one step per row of `data` in order, all
// inside one SIMD clone (no call per row). Each step is the decision value, the loss
// derivative g, then p_j -= lr·(g·x_j + penalty); below lr·l2 = 1 the update is fused with
// the next row's dot product (sgd_step_then_dot), one pass over the weights per row.
template <class T, bool Maximize, bool Decay, bool L2>
PYGDX_ALWAYS_INLINE RowSteps sgd_row_loop(const LinearProblem& single, const LinearData<T>& data, const Hyper& h,
                                          const Schedule& schedule, double* counters, T* p, bool fusable,
                                          Interrupt* interrupt, RowSteps so_far) {
    const std::size_t d = single.n_features;
    const double l2 = penalty_weights(single.penalty).l2;
    SgdRowStep<T> s;
    s.l2 = static_cast<T>(l2);
    s.weight_decay = static_cast<T>(h.weight_decay);
    RowSteps done = so_far;
    bool next_z_known = false;  // z below already holds row i's decision value
    double z = 0.0;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        if (row_loop_interrupted(interrupt, i, d)) {
            done.interrupted = true;
            break;
        }
        prefetch_ahead(data, i, d);
        const std::size_t r = data.row(i);
        const T* __restrict x = data.X + r * d;
        const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
        if (!next_z_known) {
            z = static_cast<double>(row_dot(static_cast<const T*>(p), x, d)) + static_cast<double>(p[d]);
        }
        double derivative = 0.0;
        const double loss = sw * loss_and_derivative(single.loss, z, static_cast<double>(data.y[r]), &derivative);
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        const double intercept_sum = sw * derivative;
        const T g = static_cast<T>(intercept_sum);
        const StepCoefficients c = begin_rule_step<Rule::sgd>(h, schedule, counters);  // sgd_fuses_with_gradient
        next_z_known = sgd_step_fuses_with_dot && fusable && i + 1 < data.n_used && !(c.lr * l2 >= 1.0);
        if constexpr (sgd_step_fuses_with_dot) {
            if (next_z_known) {
                s.g = g;
                s.rate = static_cast<T>(c.lr);
                const T* next = data.X + data.row(i + 1) * d;
                const T next_dot = sgd_step_then_dot<T, Maximize, Decay, L2>(s, p, x, next, d);
                // the intercept's step, as finish_gradient_each gives it
                sgd_update<Maximize, Decay>(h, c.lr, p)(
                    d, static_cast<T>(single.fit_intercept ? intercept_sum / 1.0 : 0.0));
                z = static_cast<double>(next_dot) + static_cast<double>(p[d]);
            }
        }
        if (!next_z_known) {
            finish_with_sgd_step<T, Maximize, Decay>(
                single, h, c.lr, p, [g, x](std::size_t j) { return g * x[j]; }, &intercept_sum, 1.0);
        }
        done.loss_sum += loss;
        ++done.steps;
    }
    return done;
}

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES RowSteps sgd_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h,
                                         const Schedule& schedule, double* counters, T* p,
                                         Interrupt* interrupt, RowSteps so_far = RowSteps{}) {
    // A copy that states the one output to the compiler (one intercept, n_coef = d).
    LinearProblem single = pb;
    single.n_outputs = 1;
    // finish_gradient_each's choice of penalty term, made once: none when alpha rounds to 0
    // in T (the l1 part is never here: linear_epoch sends it to l1_linear_epoch).
    // Callers with an l1 part (sign terms) take the unfused step on every row.
    const PenaltyWeights weights = penalty_weights(pb.penalty);
    const bool fusable = static_cast<T>(weights.l1) == T(0);
    if (static_cast<T>(weights.alpha) == T(0)) {
        return sgd_row_loop<T, Maximize, Decay, false>(single, data, h, schedule, counters, p, fusable, interrupt, so_far);
    }
    return sgd_row_loop<T, Maximize, Decay, true>(single, data, h, schedule, counters, p, fusable, interrupt, so_far);
}

}  // namespace detail
}  // namespace pygdx
