// The penalties of the linear models, alpha · R(w) on the coefficients (never the intercept):
// the one home of each penalty's value and gradient (REFERENCE.md, "Objective of the linear
// estimators").
#pragma once

#include <cmath>
#include <cstddef>

#include "core/optimizers.hpp"
#include "core/row_kernels.hpp"

namespace pygdx {

// Every penalty, once: X(name, value). The enum and its Python names (bindings/linear.cpp)
// come from this list, so a new penalty is a line here, its value and gradient weights
// below, and its entry in pygdx/penalties.py.
#define PYGDX_PENALTY_KINDS(X) \
    X(none, 0)                 \
    X(l2, 1)                   \
    X(l1, 2)                   \
    X(elasticnet, 3)

enum class PenaltyKind : int {
#define PYGDX_PENALTY_ENUM(name, value) name = value,
    PYGDX_PENALTY_KINDS(PYGDX_PENALTY_ENUM)
#undef PYGDX_PENALTY_ENUM
};

struct Penalty {
    PenaltyKind kind = PenaltyKind::none;
    double alpha = 0.0;
    double l1_ratio = 0.15;
};

// The penalty's gradient is l1·sign(w) + l2·w (the l1 part a subgradient, 0 at 0); alpha is
// 0 when nothing is penalised.
struct PenaltyWeights {
    double alpha = 0.0;
    double l1 = 0.0;
    double l2 = 0.0;
};

inline PenaltyWeights penalty_weights(const Penalty& p) {
    PenaltyWeights w;
    w.alpha = p.kind == PenaltyKind::none ? 0.0 : p.alpha;
    w.l1 = p.kind == PenaltyKind::l1 ? p.alpha : p.kind == PenaltyKind::elasticnet ? p.alpha * p.l1_ratio : 0.0;
    w.l2 = p.kind == PenaltyKind::l2 ? p.alpha : p.kind == PenaltyKind::elasticnet ? p.alpha * (1.0 - p.l1_ratio) : 0.0;
    return w;
}

// The penalty without its l1 part (the smooth part a gradient step takes; the l1 part is
// applied by l1_penalty.hpp's cumulative or proximal step).
inline Penalty smooth_part(const Penalty& p) {
    const PenaltyWeights w = penalty_weights(p);
    Penalty smooth;
    if (w.l2 != 0.0) {
        smooth.kind = PenaltyKind::l2;
        smooth.alpha = w.l2;
    }
    return smooth;
}

namespace detail {

template <class T>
PYGDX_ALWAYS_INLINE T abs_sum(const T* __restrict a, std::size_t n) {
    return fixed_order_sum<T>(n, [a](std::size_t j) { return std::abs(a[j]); });
}

// The l1 part's subgradient: sign(w), 0 at 0.
template <class T>
inline T sign_of(T w) {
    return static_cast<T>((w > T(0)) - (w < T(0)));
}

}  // namespace detail

// alpha · R(w) for the coefficients (never the intercept).
template <class T>
PYGDX_SIMD_CLONES double penalty_value(const Penalty& p, const T* coef, std::size_t n_coef) {
    if (p.kind == PenaltyKind::none || p.alpha == 0.0) {
        return 0.0;
    }
    const bool needs_l1 = p.kind != PenaltyKind::l2;
    const bool needs_l2 = p.kind != PenaltyKind::l1;
    const double l1 = needs_l1 ? static_cast<double>(detail::abs_sum(coef, n_coef)) : 0.0;
    const double l2 = needs_l2 ? static_cast<double>(detail::dot(coef, coef, n_coef)) : 0.0;
    switch (p.kind) {
    case PenaltyKind::l2:
        return p.alpha * 0.5 * l2;
    case PenaltyKind::l1:
        return p.alpha * l1;
    case PenaltyKind::elasticnet:
        return p.alpha * (p.l1_ratio * l1 + (1.0 - p.l1_ratio) * 0.5 * l2);
    case PenaltyKind::none:
        break;
    }
    return 0.0;
}

}  // namespace pygdx
