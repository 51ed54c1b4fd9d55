// Stochastic plain SGD on sparse rows, one step per row, in one loop: the hot path of text
// classification (batch_size=1, one output). Each step is scikit-learn's: the decision value
// through the scale, the loss derivative, the shrink of the scale, and a move of the row's
// columns, with the row's offsets, entries and weights prefetched ahead (csr.hpp). It is the
// update of the batch path of sparse_epoch.hpp (scaled_sgd_step on one-row batches), up to
// rounding, and replaces it only to cut the per-row overhead: no batch records, no scratch.
#pragma once

#include <cmath>
#include <cstddef>

#include "core/csr.hpp"
#include "core/csr_prefetch.hpp"
#include "core/interrupt.hpp"
#include "core/l1_penalty.hpp"
#include "core/optimizers.hpp"
#include "core/scaled_weights.hpp"

namespace pygdx {

// What a run of row steps did (as detail::RowSteps of epoch.hpp).
struct SparseRowSteps {
    double loss_sum = 0.0;
    std::size_t steps = 0;
    bool finite = true;
    bool interrupted = false;
};

// One step per row of `data` in order on a single-output problem with no l1 part, the
// intercept's gradient times intercept_decay (SparseSettings).
template <class T, class I>
SparseRowSteps sparse_sgd_row_steps(const LinearProblem& pb, const CsrData<T, I>& rows, const Hyper& hyper,
                                    const Schedule& schedule, double* counters, ScaledWeights<T>& weights,
                                    T* theta, double intercept_decay, std::size_t work_per_row,
                                    Interrupt* interrupt) {
    // A copy of the view (pointers and sizes, not the arrays), private to this loop: GCC
    // keeps its fields in registers. Read through the caller's reference, every checked
    // read (an atomic load, csr.hpp) made it reload the arrays' addresses and the column
    // count from memory, up to three loads per stored value read.
    const CsrData<T, I> data = rows;
    const bool prefetch_weights = pb.n_features * sizeof(T) > detail::sparse_cached_weight_bytes;
    const std::size_t d = pb.n_features;
    const double sigma = hyper.maximize ? -1.0 : 1.0;
    const double l2 = penalty_weights(pb.penalty).l2;
    const T wd = static_cast<T>(hyper.weight_decay);
    T* __restrict v = weights.vector();
    T& intercept = theta[d];
    SparseRowSteps done;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        // The arrays changed under this pass (csr.hpp): stop, and the epoch is undone.
        if (data.has_changed() || (interrupt != nullptr && interrupt->requested(work_per_row))) {
            done.interrupted = true;
            break;
        }
        detail::prefetch_sparse_row(data, static_cast<const T*>(v), i, prefetch_weights);
        const std::size_t r = data.row(i);
        const CsrSpan s = data.span(r);
        const double z = weights.scale() * detail::sparse_dot(static_cast<const T*>(v), data, s) +
                         static_cast<double>(intercept);
        double derivative;
        const double sw = data.weight(r);
        const double loss = sw * loss_and_derivative(pb.loss, z, static_cast<double>(data.y[r]), &derivative);
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        const double g = sw * derivative;
        const double lr = begin_step(hyper, schedule, counters).lr;
        const double factor = sgd_shrink_factor(hyper, lr, l2);
        if (factor != 1.0) {
            weights.multiply(factor);
        }
        // v_j += (−lr·σ·g / scale)·x_j: the weights' move w_j −= lr·σ·g·x_j through the scale.
        // The division does not wait for g (the dot product), so it runs alongside it.
        const double move = (-lr * sigma / weights.scale()) * g;
        if (move != 0.0) {
            for (std::size_t e = s.begin; e < s.end; ++e) {
                std::size_t j;
                if (data.column(e, j)) {
                    v[j] = static_cast<T>(static_cast<double>(v[j]) + move * static_cast<double>(data.values[e]));
                }
            }
        }
        const T gb = static_cast<T>(pb.fit_intercept ? intercept_decay * g : 0.0);
        intercept -= static_cast<T>(lr) * (static_cast<T>(sigma) * gb + wd * intercept);
        done.loss_sum += loss;
        ++done.steps;
    }
    return done;
}

}  // namespace pygdx
