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
// number of steps, and whether it stopped at a non-finite loss (before stepping). The loops
// take the totals so far and go on from them: an epoch stepped in several calls
// (rows_gathered_ahead.hpp) sums its loss in one running sum, as one call does.
struct RowSteps {
    double loss_sum = 0.0;
    std::size_t steps = 0;
    bool finite = true;
    bool interrupted = false;
};

// Rows between two polls of the interrupt: its bookkeeping is a few loads and stores,
// noticeable in a step on three features; 16 rows is still far below a millisecond.
inline constexpr std::size_t rows_per_interrupt_poll = 16;

// True when the loop should stop before row i (polled every rows_per_interrupt_poll rows).
PYGDX_ALWAYS_INLINE bool row_loop_interrupted(Interrupt* interrupt, std::size_t i, std::size_t d) {
    return i % rows_per_interrupt_poll == 0 && interrupt != nullptr &&
           interrupt->requested(rows_per_interrupt_poll * d);
}

// Stochastic steps (one row per step) of a single-output model with rule R (any but plain
// SGD): per row the decision value, the loss derivative and the gradient, finished in
// place, then the rule's update, all inlined into one SIMD clone per rule, so that a step
// makes no call and asks neither which rule it is nor (but for the flags that change from
// step to step) which of its options. Through the small-batch path each step also made
// the calls that sum a batch, finish its gradient and dispatch an optimizer step, several
// times the arithmetic of a model with a few weights. Each step performs exactly the
// operations of that path (sum_rows_into, finish_gradient, optimizer_step) on its row, so
// the results are the same bits.
template <class T, Rule R>
PYGDX_SIMD_CLONES RowSteps rule_row_loop(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h,
                                         const Schedule& schedule, double* counters,
                                         const ParamBuffers<T>& params, T* grad, Interrupt* interrupt,
                                         RowSteps so_far) {
    LinearProblem single = pb;  // states the one output to the compiler
    single.n_outputs = 1;
    const std::size_t d = pb.n_features;
    const T* theta = params.param;
    RowSteps done = so_far;
    PowerMemory& memory = thread_power_memory();  // once: a thread_local costs a call per access
    double z = 0.0, derivative = 0.0;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        if (row_loop_interrupted(interrupt, i, d)) {
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
        const StepCoefficients c = begin_rule_step<R>(h, schedule, counters, &memory);
        rule_update_range<R, true>(h, c, params, static_cast<const T*>(grad), 0, d + 1);
    }
    return done;
}

// rule_row_loop for h.rule.
template <class T>
RowSteps rule_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h, const Schedule& schedule,
                        double* counters, const ParamBuffers<T>& params, T* grad, Interrupt* interrupt,
                        RowSteps so_far = RowSteps{}) {
    return with_rule(h.rule, [&](auto rule) {
        return rule_row_loop<T, decltype(rule)::value>(pb, data, h, schedule, counters, params, grad, interrupt, so_far);
    });
}

}  // namespace detail
}  // namespace pygdx
