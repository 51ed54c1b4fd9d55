// Gradient clipping inside the linear models' epochs (the estimators' clip_grad_norm= and
// clip_grad_value=), with torch.nn.utils' semantics on the objective's gradient of each
// batch (data part and penalty, as one vector over every coefficient and intercept):
// - value: every element clamped to [-max_value, max_value], first when both are given;
// - norm: the whole gradient scaled by max_norm / (‖g‖₂ + 1e-6) when that is below 1.
// The clipped epoch is in stepwise_epochs.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace pygdx {

struct GradientClip {
    double max_norm = 0.0;   // 0: no norm clipping
    double max_value = 0.0;  // 0: no value clipping
};

// Clips g (n elements) in place as torch's clip_grad_value_ then clip_grad_norm_ would.
template <class T>
void clip_gradient(const GradientClip& clip, T* g, std::size_t n) {
    if (clip.max_value > 0.0) {
        const T bound = static_cast<T>(clip.max_value);
        for (std::size_t j = 0; j < n; ++j) {
            g[j] = std::min(std::max(g[j], -bound), bound);
        }
    }
    if (clip.max_norm > 0.0) {
        double squares = 0.0;
        for (std::size_t j = 0; j < n; ++j) {
            squares += static_cast<double>(g[j]) * static_cast<double>(g[j]);
        }
        const double coef = clip.max_norm / (std::sqrt(squares) + 1e-6);
        if (coef < 1.0) {
            const T scale = static_cast<T>(coef);
            for (std::size_t j = 0; j < n; ++j) {
                g[j] *= scale;
            }
        }
    }
}

}  // namespace pygdx
