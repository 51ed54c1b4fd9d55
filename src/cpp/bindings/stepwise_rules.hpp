// The checked options of the epochs that act after every step (stepwise.cpp on dense rows,
// sparse_stepwise.cpp on CSR rows): which average of the weights to keep, and the clip.
#pragma once

#include <pybind11/pybind11.h>

#include "core/averaging.hpp"
#include "core/clipping.hpp"

namespace pygdx_bindings {

namespace py = pybind11;

// The average an epoch keeps: the mean from step `start` on, or with `ema_decay` (a number in
// [0, 1]) the exponential moving average from step `start` on.
inline pygdx::WeightAverage weight_average(double start, py::object ema_decay) {
    if (!(start >= 0.0)) {
        throw py::value_error("start must be >= 0 (0: no average)");
    }
    pygdx::WeightAverage rule;
    rule.start = start;
    if (!ema_decay.is_none()) {
        if (!(start >= 1.0)) {  // start 0 keeps no average: an EMA asked for would silently not be kept
            throw py::value_error("an exponential moving average (ema_decay) needs start >= 1, the step it begins at");
        }
        rule.ema = true;
        try {
            rule.decay = ema_decay.cast<double>();
        } catch (const py::cast_error&) {
            throw py::value_error("ema_decay must be a number in [0, 1] or None");
        }
        if (!(rule.decay >= 0.0 && rule.decay <= 1.0)) {
            throw py::value_error("ema_decay must be in [0, 1]");
        }
    }
    return rule;
}

// The clip of each batch's gradient: 2-norm at most max_norm, values within ±max_value.
inline pygdx::GradientClip gradient_clip(double max_norm, double max_value) {
    if (!(max_norm >= 0.0) || !(max_value >= 0.0)) {
        throw py::value_error("max_norm and max_value must be >= 0 (0: no clipping of that kind)");
    }
    pygdx::GradientClip clip;
    clip.max_norm = max_norm;
    clip.max_value = max_value;
    return clip;
}

}  // namespace pygdx_bindings
