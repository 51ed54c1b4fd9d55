// Per-sample losses of the linear models and their derivatives with respect to the
// decision value z = x·w + b (REFERENCE.md, "Objective of the linear estimators").
//
// Scalars are evaluated in double whatever the data type: this is a handful of flops per
// row against the 2·d of the dot product and the gradient update, and it keeps the
// exp/log of the classification losses away from float32 overflow.
//
// Targets: regression losses read y as is; binary classification losses read y as the
// sign s = ±1; the multinomial loss reads y as the class index 0..K-1.
#pragma once

#include <cmath>
#include <cstddef>

namespace pygdx {

// Every loss the core knows, once: X(name, value, binary_classification). The enum, its
// Python names (bindings/linear.cpp) and loss_is_binary_classification come from this list,
// so a new loss is a line here, its case in loss_and_derivative, and its Python class.
#define PYGDX_LOSS_KINDS(X)              \
    X(squared_error, 0, false)           \
    X(huber, 1, false)                   \
    X(epsilon_insensitive, 2, false)     \
    X(log_loss, 3, true) /* y = ±1 */    \
    X(hinge, 4, true) /* y = ±1 */       \
    X(modified_huber, 5, true) /* ±1 */  \
    X(multinomial, 6, false) /* softmax cross-entropy over K scores, y = class index */ \
    X(squared_hinge, 7, true) /* ±1 */   \
    X(perceptron, 8, true) /* ±1 */      \
    X(squared_epsilon_insensitive, 9, false)

enum class LossKind : int {
#define PYGDX_LOSS_ENUM(name, value, binary) name = value,
    PYGDX_LOSS_KINDS(PYGDX_LOSS_ENUM)
#undef PYGDX_LOSS_ENUM
};

struct Loss {
    LossKind kind = LossKind::squared_error;
    double epsilon = 0.1;  // huber, (squared_)epsilon_insensitive
};

inline bool loss_is_multinomial(const Loss& loss) { return loss.kind == LossKind::multinomial; }

// A loss of the margin s·z with y = ±1, which a K-class model trains one-vs-rest.
inline bool loss_is_binary_classification(const Loss& loss) {
    switch (loss.kind) {
#define PYGDX_LOSS_BINARY(name, value, binary) \
    case LossKind::name:                        \
        return binary;
        PYGDX_LOSS_KINDS(PYGDX_LOSS_BINARY)
#undef PYGDX_LOSS_BINARY
    }
    return false;
}

// Loss of one sample with one decision value; *dloss receives dloss/dz.
inline double loss_and_derivative(const Loss& loss, double z, double y, double* dloss) {
    switch (loss.kind) {
    case LossKind::squared_error: {
        const double r = z - y;
        *dloss = r;
        return 0.5 * r * r;
    }
    case LossKind::huber: {
        const double r = y - z;
        const double eps = loss.epsilon;
        if (std::abs(r) <= eps) {
            *dloss = -r;
            return 0.5 * r * r;
        }
        *dloss = r > 0.0 ? -eps : eps;
        return eps * std::abs(r) - 0.5 * eps * eps;
    }
    case LossKind::epsilon_insensitive: {
        const double r = y - z;
        const double excess = std::abs(r) - loss.epsilon;
        if (excess <= 0.0) {
            *dloss = 0.0;
            return 0.0;
        }
        *dloss = r > 0.0 ? -1.0 : 1.0;
        return excess;
    }
    case LossKind::squared_epsilon_insensitive: {
        const double r = y - z;
        const double excess = std::abs(r) - loss.epsilon;
        if (excess <= 0.0) {
            *dloss = 0.0;
            return 0.0;
        }
        *dloss = r > 0.0 ? -2.0 * excess : 2.0 * excess;
        return excess * excess;
    }
    case LossKind::log_loss: {
        // log(1 + exp(-m)) and its derivative -y·sigmoid(-m), m = y z, from one exp(-|m|)
        // (never overflows) and one division.
        const double margin = y * z;
        const double e = std::exp(-std::abs(margin));
        const double u = 1.0 + e;
        const double inv = 1.0 / u;
        const double sigmoid_minus = margin >= 0.0 ? e * inv : inv;
        *dloss = -y * sigmoid_minus;
        // log1p(e) as log(u) plus the rounding error of u = 1 + e, (e - (u - 1)) / u, to within
        // an ulp or two: glibc's log1p took a fifth of a stochastic log-loss epoch, its log
        // a third of that.
        return (margin >= 0.0 ? 0.0 : -margin) + (std::log(u) + (e - (u - 1.0)) * inv);
    }
    case LossKind::hinge:
    case LossKind::perceptron: {
        // scikit-learn's Hinge(threshold): the subgradient at the kink (margin exactly at the
        // threshold, as integer data gives) is -y, not 0. The perceptron is threshold 0.
        const double threshold = loss.kind == LossKind::hinge ? 1.0 : 0.0;
        const double margin = y * z;
        if (margin > threshold) {
            *dloss = 0.0;
            return 0.0;
        }
        *dloss = -y;
        return threshold - margin;
    }
    case LossKind::squared_hinge: {
        const double slack = 1.0 - y * z;
        if (slack <= 0.0) {
            *dloss = 0.0;
            return 0.0;
        }
        *dloss = -2.0 * y * slack;
        return slack * slack;
    }
    case LossKind::modified_huber: {
        // scikit-learn's: max(0, 1 - yz)^2 for yz >= -1, else -4yz.
        const double margin = y * z;
        if (margin >= 1.0) {
            *dloss = 0.0;
            return 0.0;
        }
        if (margin >= -1.0) {
            const double slack = 1.0 - margin;
            *dloss = -2.0 * slack * y;
            return slack * slack;
        }
        *dloss = -4.0 * y;
        return -4.0 * margin;
    }
    case LossKind::multinomial:
        break;
    }
    *dloss = 0.0;
    return 0.0;
}

// Softmax cross-entropy of K scores z for class `label`; dloss[k] = softmax(z)_k - [k == label].
// Shifted by max(z) so that no exp overflows.
inline double multinomial_loss_and_derivative(const double* z, std::size_t n_classes, std::size_t label,
                                              double* dloss) {
    double top = z[0];
    for (std::size_t k = 1; k < n_classes; ++k) {
        top = z[k] > top ? z[k] : top;
    }
    double total = 0.0;
    for (std::size_t k = 0; k < n_classes; ++k) {
        dloss[k] = std::exp(z[k] - top);
        total += dloss[k];
    }
    const double log_total = std::log(total);
    for (std::size_t k = 0; k < n_classes; ++k) {
        dloss[k] /= total;
    }
    dloss[label] -= 1.0;
    return log_total + top - z[label];
}

}  // namespace pygdx
