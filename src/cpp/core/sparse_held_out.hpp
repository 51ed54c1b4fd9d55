// Early stopping's held-out sparse rows, scored in the core after each epoch (the sparse
// counterpart of DenseHeldOut, validation.hpp): decision values as a sparse prediction
// computes them (sparse_decision.hpp), then the shared criterion.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "core/csr.hpp"
#include "core/linear.hpp"
#include "core/sparse_decision.hpp"
#include "core/validation.hpp"

namespace pygdx {

template <class T, class I>
class CsrHeldOut final : public HeldOut<T> {
public:
    CsrHeldOut(const LinearProblem& pb, const CsrData<T, I>& data, ValidationCriterion criterion, int n_threads)
        : pb_(pb), data_(data), criterion_(criterion), n_threads_(n_threads), z_(data.n_used * pb.n_outputs) {}

    // Throws std::invalid_argument (a ValueError in Python) when the rows' indices or indptr
    // changed out of range while they were read (csr.hpp): the score would be of other rows.
    double score(const T* theta) override {
        csr_decision(pb_, data_, theta, z_.data(), n_threads_);
        if (data_.has_changed()) {
            throw std::invalid_argument(csr_changed_message);
        }
        return score_decisions(criterion_, data_, static_cast<const T*>(z_.data()), pb_.n_outputs);
    }

private:
    LinearProblem pb_;
    CsrData<T, I> data_;
    ValidationCriterion criterion_;
    int n_threads_;
    std::vector<T> z_;
};

}  // namespace pygdx
