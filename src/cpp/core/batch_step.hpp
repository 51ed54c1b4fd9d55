// The step every dense batch path takes once its batch's sums are in: plain SGD fused with
// the gradient's finish, or the finish followed by the optimizer's rule. One place, so the
// paths cannot drift apart in how they round.
#pragma once

#include <cstddef>

#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/sgd_fused_step.hpp"

namespace pygdx {
namespace detail {

// One optimizer step from a batch of `n_rows` rows whose summed per-row gradients are
// `coef_sums` (double, or T when the batch was summed in T; may alias `grad`) and
// `intercept_sums`. `grad` (n_params of T) receives the finished gradient when the rule is
// not fused with it. The caller has checked that the batch's loss is finite.
template <class T, class S>
void step_from_sums(const LinearProblem& pb, const Hyper& hyper, const Schedule& schedule, double* counters,
                    const ParamBuffers<T>& params, const S* coef_sums, const double* intercept_sums, double n_rows,
                    T* grad, int n_threads) {
    if (sgd_fuses_with_gradient(hyper)) {
        const double lr = begin_step(hyper, schedule, counters).lr;
        with_flags([&](auto maximize, auto decay) {
            finish_and_sgd_step<T, decltype(maximize)::value, decltype(decay)::value>(
                pb, hyper, lr, params.param, coef_sums, intercept_sums, n_rows);
        }, hyper.maximize, hyper.weight_decay != 0.0);
        return;
    }
    finish_gradient(pb, params.param, coef_sums, intercept_sums, n_rows, grad);
    const T* const grads[1] = {grad};
    optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
}

}  // namespace detail
}  // namespace pygdx
