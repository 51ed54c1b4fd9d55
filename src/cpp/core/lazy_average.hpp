// The average of the weights (averaging.hpp's WeightAverage: scikit-learn's average=, torch's
// SWA mean or EMA) kept beside weights stored as a scale times a vector (scaled_weights.hpp),
// so that a plain SGD step on a sparse row stays O(row entries) with averaging on: the
// lazy method of scikit-learn's WeightVector (utils/_weight_vector.pyx.tp, aw / average_a /
// average_b), written here as
//     average = β·p + α·v        (p: the model's average array, v: the scaled vector)
// - a shrink of the scale changes no stored number (the average does not move);
// - a move of v_j by δ keeps the average by p_j −= (α / β)·δ: O(the moved entries);
// - the fold after step t with weight μ (WeightAverage::weight_of_step) is
//   average ← (1 − μ)·average + μ·scale·v, i.e. β ← (1 − μ)·β, α ← (1 − μ)·α + μ·scale: O(1).
// p grows as β shrinks, and α·v grows against the weights scale·v as the scale shrinks (α
// keeps the scales of earlier steps): the average is written out (p ← β·p + α·v, one pass)
// once β < min_beta or α > scale / min_beta, which bounds the cancellation in β·p + α·v.
// The mean writes out at steps 16, 256, 4096, ... after its start (a pass per factor 16 of
// steps); an EMA of decay d every ln(16) / (1 − d) steps (every 2,770 steps at d = 0.999);
// and either once the scale has shrunk 16-fold (every ln(16) / (lr·alpha) steps: 27,700 at
// lr·alpha = 1e-4). The first fold (μ = 1, the weights themselves) is one pass too, and so
// is every fold of an EMA of decay 0 (μ = 1 at every step: the average is the weights).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/averaging.hpp"
#include "core/scaled_weights.hpp"

namespace pygdx {

template <class T>
class LazyAverage {
public:
    static constexpr double min_beta = 1.0 / 16.0;

    // `average` holds the average of the coefficients (n_coef) as the model keeps it.
    LazyAverage(T* average, std::size_t n_coef, const WeightAverage& rule) : p_(average), n_(n_coef), rule_(rule) {}

    // Call before weights.multiply(factor): a multiply that folds the scale into v (below
    // ScaledWeights::min_scale, or a factor <= 0 that zeroes v) would change v under α·v, so
    // the average is written out first.
    void before_multiply(const ScaledWeights<T>& weights, double factor) {
        if (alpha_ != 0.0 &&
            (factor <= 0.0 || std::abs(weights.scale() * factor) < ScaledWeights<T>::min_scale)) {
            write_out(weights.vector());
        }
    }

    // The average's stored coefficients (the model's array).
    const T* stored() const { return p_; }

    // v_j was moved from `before` to its current value: keep the average where it was.
    void moved(std::size_t j, T before, const T* v) {
        if (alpha_ != 0.0) {
            p_[j] = static_cast<T>(static_cast<double>(p_[j]) -
                                   (alpha_ / beta_) * (static_cast<double>(v[j]) - static_cast<double>(before)));
        }
    }

    // Folds the weights after step t (scale·v) into the average.
    void fold(const ScaledWeights<T>& weights, double t) {
        const double mu = rule_.weight_of_step(t);
        if (mu == 0.0) {
            return;
        }
        if (mu == 1.0) {  // the average restarts at the weights themselves
            std::fill(p_, p_ + n_, T(0));
            beta_ = 1.0;
            alpha_ = weights.scale();
            return;
        }
        beta_ *= 1.0 - mu;
        alpha_ = (1.0 - mu) * alpha_ + mu * weights.scale();
        if (beta_ < min_beta || alpha_ > weights.scale() / min_beta) {
            write_out(weights.vector());
        }
    }

    // Writes the average into the model's array (p ← β·p + α·v); call before v changes
    // otherwise than by moved() (the scale's fold at the end of an epoch).
    void write_out(const T* v) {
        if (beta_ == 1.0 && alpha_ == 0.0) {
            return;
        }
        for (std::size_t j = 0; j < n_; ++j) {
            p_[j] = static_cast<T>(beta_ * static_cast<double>(p_[j]) + alpha_ * static_cast<double>(v[j]));
        }
        beta_ = 1.0;
        alpha_ = 0.0;
    }

private:
    T* p_;
    std::size_t n_;
    WeightAverage rule_;
    double beta_ = 1.0;
    double alpha_ = 0.0;
};

}  // namespace pygdx
