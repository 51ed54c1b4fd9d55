// Plain SGD's step fused with the finish of its batch's gradient, shared by every dense batch
// path (and the sparse and l1 ones): one pass over the parameters instead of three.
#pragma once

#include <cstddef>

#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/penalty.hpp"

namespace pygdx {

namespace detail {

// Plain SGD (no momentum) keeps no state, so a small batch's gradient can be finished and
// applied in the same pass over the parameters: one pass instead of three (finish the
// gradient, then the rule reads it and updates p). Each element gets exactly the
// operations of finish_gradient followed by optimizer_step's SGD rule.
inline bool sgd_fuses_with_gradient(const Hyper& h) { return h.rule == Rule::sgd && h.momentum == 0.0; }

// The SGD rule applied to parameter j from its gradient g (effective_grad, then p -= lr·g).
template <bool Maximize, bool Decay, class T>
PYGDX_ALWAYS_INLINE auto sgd_update(const Hyper& h, double lr, T* p) {
    const T wd = static_cast<T>(h.weight_decay);
    const T rate = static_cast<T>(lr);
    return [p, wd, rate](std::size_t j, T g) { p[j] -= rate * effective_grad<Maximize, Decay>(g, p[j], wd); };
}

// finish_gradient_each followed by the SGD rule, with scikit-learn's clamped weight decay:
// plain SGD shrinks the coefficients by max(0, 1 - lr·l2) before the data step. Below
// lr·l2 = 1 that is the step p -= lr·(g + l2·p) itself (same bits as before); at or above it
// that step would overshoot zero and grow without bound (lr·l2 = 1e4 in scikit-learn's
// large-regularization test), so the coefficients restart from zero and take the rest of
// the step (data and l1 parts). The intercept is never penalised.
template <class T, bool Maximize, bool Decay, class SumAt>
PYGDX_ALWAYS_INLINE void finish_with_sgd_step(const LinearProblem& pb, const Hyper& h, double lr, T* p, SumAt sum_at,
                                              const double* intercept_sums, double n_rows) {
    const PenaltyWeights weights = penalty_weights(pb.penalty);
    if (!(lr * weights.l2 >= 1.0)) {
        finish_gradient_each(pb, p, sum_at, intercept_sums, n_rows, sgd_update<Maximize, Decay>(h, lr, p));
        return;
    }
    LinearProblem rest = pb;
    rest.penalty.kind = weights.l1 != 0.0 ? PenaltyKind::l1 : PenaltyKind::none;
    rest.penalty.alpha = weights.l1;
    const std::size_t n_coef = pb.n_coef();
    auto step = sgd_update<Maximize, Decay>(h, lr, p);
    finish_gradient_each(rest, p, sum_at, intercept_sums, n_rows, [p, n_coef, step](std::size_t j, T g) {
        if (j < n_coef) {
            p[j] = T(0);
        }
        step(j, g);
    });
}

template <class T, bool Maximize, bool Decay, class S>
PYGDX_SIMD_CLONES void finish_and_sgd_step(const LinearProblem& pb, const Hyper& h, double lr, T* p,
                                           const S* coef_sums, const double* intercept_sums, double n_rows) {
    finish_with_sgd_step<T, Maximize, Decay>(
        pb, h, lr, p, [coef_sums](std::size_t j) { return coef_sums[j]; }, intercept_sums, n_rows);
}

}  // namespace detail
}  // namespace pygdx
