// One stochastic plain SGD step on the coefficients fused with the next row's dot product:
// the batch-1 epoch's one pass over the weights per row instead of two.
#pragma once

#include <cstddef>

#include "core/optimizers.hpp"
#include "core/row_kernels.hpp"

namespace pygdx {
namespace detail {

// Only GCC-style vector extensions mix a vector with a scalar in one expression; elsewhere
// the step and the dot stay two passes (same bits either way).
#if defined(__GNUC__) || defined(__clang__)
inline constexpr bool sgd_step_fuses_with_dot = true;
#else
inline constexpr bool sgd_step_fuses_with_dot = false;
#endif

// The scalars of one row's step: the loss derivative g (times the sample weight), the l2
// weight, the rate and the coupled weight decay, in T.
template <class T>
struct SgdRowStep {
    T g;
    T l2;
    T rate;
    T weight_decay;
};

// Coefficient j's step from its row value x_j, as finish_with_sgd_step makes it below
// lr·l2 = 1: gradient g·x_j (+ l2·p_j when penalised), then p_j -= rate·effective_grad.
// The gradient's division by the one row (a multiplication by 1) is exact and left out.
// Generic over T and Lanes<T>: each lane does exactly the scalar operations. Lanes are
// passed by reference (see load_lanes).
template <bool Maximize, bool Decay, bool L2, class T, class V>
PYGDX_ALWAYS_INLINE void sgd_coefficient_step(const SgdRowStep<T>& s, V& p, const V& x) {
    V grad = s.g * x;
    if constexpr (L2) {
        grad = grad + s.l2 * p;
    }
    // effective_grad, written out: a vector argument by value would change the ABI between
    // SIMD clones (GCC's -Wpsabi)
    if constexpr (Maximize) {
        grad = -grad;
    }
    if constexpr (Decay) {
        grad = grad + s.weight_decay * p;
    }
    p = p - s.rate * grad;
}

// Steps the d coefficients p from row x and returns Σ p_j·next_j over the updated ones,
// summed exactly as dot(p, next, d) would after the step (the same sixteen sums, the same
// trailing terms, the same final tree), so the next row's decision value is the same bits.
// One pass: the weights are read and written once per row, and the next row's dot does
// not wait on the stores of this row's update.
template <class T, bool Maximize, bool Decay, bool L2>
PYGDX_ALWAYS_INLINE T sgd_step_then_dot(const SgdRowStep<T>& s, T* __restrict p, const T* __restrict x,
                                        const T* __restrict next, std::size_t d) {
#if defined(__GNUC__) || defined(__clang__)
    using V = typename Lanes<T>::type;
    Sums16<T> sums;
    zero_sums16(sums);
    std::size_t j = each_vector16<T>(d, [&](std::size_t at, std::size_t k) PYGDX_LAMBDA_INLINE {
        V pv, xv, nv;
        load_lanes(pv, p + at);
        load_lanes(xv, x + at);
        load_lanes(nv, next + at);
        sgd_coefficient_step<Maximize, Decay, L2, T, V>(s, pv, xv);
        store_lanes(p + at, pv);
        sums.v[k] += pv * nv;
    });
    T tail = sums.v[0][0];
    for (; j < d; ++j) {
        sgd_coefficient_step<Maximize, Decay, L2, T, T>(s, p[j], x[j]);
        tail += p[j] * next[j];
    }
    // below sixteen terms the sums are all +0.0 and the tree adds +0.0 to the tail (row_dot)
    return d < 16 ? tail + T(0) : combine16<T>(sums, tail);
#else
    static_assert(sizeof(T) == 0, "sgd_step_then_dot needs GCC-style vector extensions");
    return T(0);
#endif
}

}  // namespace detail
}  // namespace pygdx
