// Held-out rows a LinearTrainer scores after each epoch for early stopping (core/validation.hpp).
//
// Each kind of data (dense rows now; sparse rows can follow) is a Python class derived from
// HeldOutRows that hands the trainer the core scorer of the trainer's dtype.
#pragma once

#include <cstddef>

#include "core/validation.hpp"

namespace pygdx_bindings {

class HeldOutRows {
public:
    virtual ~HeldOutRows() = default;
    // The scorer for weights of this dtype, or nullptr when the rows are of the other dtype.
    virtual pygdx::HeldOut<float>* f32() = 0;
    virtual pygdx::HeldOut<double>* f64() = 0;
    virtual std::size_t n_params() const = 0;
};

}  // namespace pygdx_bindings
