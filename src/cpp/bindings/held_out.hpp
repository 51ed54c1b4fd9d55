// Held-out rows a LinearTrainer scores after each epoch for early stopping (core/validation.hpp).
//
// Each kind of data (dense rows in validation.cpp, sparse rows in sparse.cpp) is a Python
// class derived from HeldOutRows that hands the trainer the core scorer of the trainer's dtype.
#pragma once

#include <pybind11/pybind11.h>

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

// What every kind of held-out rows needs: targets, the rows to score, and a criterion the
// model can be scored by.
inline void check_held_out_request(const pygdx::LinearProblem& pb, pybind11::handle y, pybind11::handle rows,
                                   pygdx::ValidationCriterion criterion) {
    if (y.is_none() || rows.is_none()) {
        throw pybind11::value_error("held-out rows need y and the rows to score");
    }
    if (criterion == pygdx::ValidationCriterion::r2 && pb.n_outputs != 1) {
        throw pybind11::value_error("the R² criterion scores single-output models only");
    }
}

}  // namespace pygdx_bindings
