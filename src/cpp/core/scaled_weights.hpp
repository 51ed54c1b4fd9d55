// Weights stored as a scale times a vector, w = scale · v, so that shrinking every weight
// (the L2 penalty's and weight decay's part of a step, w ← (1 − lr·λ)·w) costs one
// multiplication instead of a pass over all of them: a step on a sparse row then touches
// only the row's columns. This is scikit-learn's WeightVector (utils/_weight_vector.pyx.tp),
// exact in real arithmetic: the same weights as the dense update, up to rounding.
//
// The scale only shrinks; when it falls below min_scale it is folded into v (one pass), so
// that v never grows large enough to lose precision or overflow. A factor <= 0 (a step
// large enough to flip or zero every weight) is folded at once, keeping the sign exact.
#pragma once

#include <cmath>
#include <cstddef>

namespace pygdx {

template <class T>
class ScaledWeights {
public:
    // scikit-learn folds at the same point (wscale < 1e-9).
    static constexpr double min_scale = 1e-9;

    ScaledWeights(T* v, std::size_t n) : v_(v), n_(n) {}

    double scale() const { return scale_; }
    T* vector() const { return v_; }

    // w_j, read through the scale.
    double at(std::size_t j) const { return scale_ * static_cast<double>(v_[j]); }

    // w ← factor · w.
    void multiply(double factor) {
        const double next = scale_ * factor;
        if (factor <= 0.0 || std::abs(next) < min_scale) {
            scale_ = next;
            fold();
        } else {
            scale_ = next;
        }
    }

    // w_j ← value (v_j = value / scale).
    void set(std::size_t j, double value) { v_[j] = static_cast<T>(value / scale_); }

    // Writes the scale into v: afterwards v holds the weights themselves.
    void fold() {
        if (scale_ != 1.0) {
            for (std::size_t j = 0; j < n_; ++j) {
                v_[j] = static_cast<T>(static_cast<double>(v_[j]) * scale_);
            }
            scale_ = 1.0;
        }
    }

private:
    T* v_;
    std::size_t n_;
    double scale_ = 1.0;
};

}  // namespace pygdx
