// Scratch an epoch needs, kept by a trainer from one epoch to the next.
#pragma once

#include <vector>

#include "core/l1_penalty.hpp"
#include "core/linear.hpp"

namespace pygdx {

// Scratch an epoch needs, kept by a trainer from one epoch to the next so that an epoch
// on small data allocates nothing.
template <class T>
struct EpochScratch {
    EpochScratch(const LinearProblem& pb, int n_threads)
        : grad(pb.n_params()), summed(pb.n_params()), outputs(2 * pb.n_outputs), pass(pb, n_threads) {}
    std::vector<T> grad;          // the batch's gradient, n_params
    std::vector<double> summed;   // RowPass's sums (and the intercept sums of small batches)
    std::vector<double> outputs;  // 2 x n_outputs per-row scratch
    RowPass<T> pass;
    CumulativeL1 l1;              // plain SGD's l1 penalty owed and paid, kept for the fit
};

}  // namespace pygdx
