// Stochastic plain SGD on sparse rows, one step per row, in one loop: the hot path of text
// classification (batch_size=1, one output). Each step is scikit-learn's: the decision value
// through the scale, the loss derivative, the shrink of the scale, and a move of the row's
// columns, with the row's offsets, entries and weights prefetched ahead (csr.hpp). It is the
// update of the batch path of sparse_epoch.hpp (scaled_sgd_step on one-row batches), up to
// rounding, and replaces it only to cut the per-row overhead: no batch records, no scratch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/csr.hpp"
#include "core/csr_prefetch.hpp"
#include "core/interrupt.hpp"
#include "core/l1_penalty.hpp"
#include "core/log1p_blocks.hpp"
#include "core/optimizers.hpp"
#include "core/scaled_weights.hpp"

namespace pygdx {

// What a run of row steps did (as detail::RowSteps of epoch.hpp). The unweighted log loss
// sums log1p(exp(−|margin|)) by blocks of rows (log1p_blocks.hpp): `log1p_block` holds the
// open block's q, and loss() adds it. The blocks start at every log1p_block_terms-th step of
// the epoch, wherever its calls split it, so that the sum has the same bits for any split.
struct SparseRowSteps {
    double loss_sum = 0.0;
    double log1p_block = 0.0;
    std::size_t steps = 0;
    bool finite = true;
    bool interrupted = false;

    double loss() const { return log1p_block != 0.0 ? loss_sum + log1p_block_sum(log1p_block) : loss_sum; }
};

namespace detail {

// sparse_sgd_row_steps (below); `unweighted_log_loss`: the loss is the log loss and every
// row's weight 1, whose loss is summed by blocks.
template <CsrReads reads, bool unweighted_log_loss, class T, class I>
SparseRowSteps sparse_sgd_row_steps_as(const LinearProblem& pb, const CsrData<T, I>& rows, const Hyper& hyper,
                                       const Schedule& schedule, double* counters, ScaledWeights<T>& weights,
                                       T* theta, double intercept_decay, std::size_t work_per_row,
                                       Interrupt* interrupt, SparseRowSteps so_far) {
    // A copy of the view (pointers and sizes, not the arrays), private to this loop: GCC
    // keeps its fields in registers. Read through the caller's reference, every checked
    // read (an atomic load, csr.hpp) made it reload the arrays' addresses and the column
    // count from memory, up to three loads per stored value read.
    const CsrData<T, I> data = rows;
    // The same for what the loop writes every row: the step counters, the scale and the
    // intercept live in locals until the loop ends. In the caller's memory, each was stored
    // and reloaded around every call to exp and log (which might read them, for all GCC
    // knows), and a store to the intercept or the counters (doubles, which may alias any
    // double) made GCC reload the loss, the schedule and the penalty from memory.
    double step_counters[n_counters];
    std::copy(counters, counters + n_counters, step_counters);
    ScaledWeights<T> w = weights;
    T intercept = theta[pb.n_features];
    const Loss loss_fn = pb.loss;
    const bool fit_intercept = pb.fit_intercept;
    const bool prefetch_weights = pb.n_features * sizeof(T) > detail::sparse_cached_weight_bytes;
    const double sigma = hyper.maximize ? -1.0 : 1.0;
    const double l2 = penalty_weights(pb.penalty).l2;
    const T wd = static_cast<T>(hyper.weight_decay);
    T* __restrict v = w.vector();
    // The totals too: `done` is the caller's return slot, which GCC wrote and re-read every
    // row (the loss sum's and the block's chains through memory).
    double loss_sum = so_far.loss_sum;
    double log1p_block = so_far.log1p_block;
    std::size_t steps = so_far.steps;
    SparseRowSteps done = so_far;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        // The arrays changed under this pass (csr.hpp): stop, and the epoch is undone.
        if (data.has_changed() || (interrupt != nullptr && interrupt->requested(work_per_row))) {
            done.interrupted = true;
            break;
        }
        detail::prefetch_sparse_row(data, static_cast<const T*>(v), i, prefetch_weights);
        const std::size_t r = data.row(i);
        const CsrSpan s = data.template span<reads>(r);
        const double z = w.scale() * detail::sparse_dot<reads>(static_cast<const T*>(v), data, s) +
                         static_cast<double>(intercept);
        double derivative;
        double loss;
        if constexpr (unweighted_log_loss) {
            // loss_and_derivative's log loss, its derivative's bits, with log1p(e) left to the
            // block: the row's loss is max(−margin, 0) + log1p(e), finite exactly when its
            // first part is (e is in [0, 1], or NaN with the margin).
            const double y = static_cast<double>(data.y[r]);
            const double margin = y * z;
            const double e = std::exp(-std::abs(margin));
            const double inv = 1.0 / (1.0 + e);
            derivative = -y * (margin >= 0.0 ? e * inv : inv);
            loss = margin >= 0.0 ? 0.0 : -margin;
            log1p_block = log1p_block_add(log1p_block, e);
        } else {
            loss = data.weight(r) * loss_and_derivative(loss_fn, z, static_cast<double>(data.y[r]), &derivative);
        }
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        const double g = unweighted_log_loss ? derivative : data.weight(r) * derivative;
        const double lr = begin_rule_step<Rule::sgd>(hyper, schedule, step_counters).lr;
        const double factor = sgd_shrink_factor(hyper, lr, l2);
        if (factor != 1.0) {
            w.multiply(factor);
        }
        // v_j += (−lr·σ·g / scale)·x_j: the weights' move w_j −= lr·σ·g·x_j through the scale.
        // The division does not wait for g (the dot product), so it runs alongside it.
        const double move = (-lr * sigma / w.scale()) * g;
        if (move != 0.0) {
            for (std::size_t e = s.begin; e < s.end; ++e) {
                std::size_t j;
                if (data.template column<reads>(e, j)) {
                    v[j] = static_cast<T>(static_cast<double>(v[j]) + move * static_cast<double>(data.values[e]));
                }
            }
        }
        const T gb = static_cast<T>(fit_intercept ? intercept_decay * g : 0.0);
        intercept -= static_cast<T>(lr) * (static_cast<T>(sigma) * gb + wd * intercept);
        loss_sum += loss;
        ++steps;
        if (unweighted_log_loss && steps % log1p_block_terms == 0) {
            loss_sum += log1p_block_sum(log1p_block);
            log1p_block = 0.0;
        }
    }
    done.loss_sum = loss_sum;
    done.log1p_block = log1p_block;
    done.steps = steps;
    std::copy(step_counters, step_counters + n_counters, counters);
    weights = w;
    theta[pb.n_features] = intercept;
    return done;
}

}  // namespace detail

// One step per row of `data` in order on a single-output problem with no l1 part, the
// intercept's gradient times intercept_decay (SparseSettings). Plain SGD only
// (sgd_fuses_with_gradient): the step's rate comes from begin_rule_step<Rule::sgd>, inlined.
// Continues the totals `so_far` (the loss in one running sum), so that an epoch stepped in
// chunks (sparse_rows_gathered_ahead.hpp) sums the same bits as in one call; `reads` says
// whether the rows' offsets and columns are checked as they are read (csr.hpp). The loss
// of all the rows is the result's loss().
template <CsrReads reads = CsrReads::checked, class T, class I>
SparseRowSteps sparse_sgd_row_steps(const LinearProblem& pb, const CsrData<T, I>& rows, const Hyper& hyper,
                                    const Schedule& schedule, double* counters, ScaledWeights<T>& weights,
                                    T* theta, double intercept_decay, std::size_t work_per_row,
                                    Interrupt* interrupt, SparseRowSteps so_far = {}) {
    if (pb.loss.kind == LossKind::log_loss && rows.sample_weight == nullptr) {
        return detail::sparse_sgd_row_steps_as<reads, true>(pb, rows, hyper, schedule, counters, weights, theta,
                                                            intercept_decay, work_per_row, interrupt, so_far);
    }
    return detail::sparse_sgd_row_steps_as<reads, false>(pb, rows, hyper, schedule, counters, weights, theta,
                                                          intercept_decay, work_per_row, interrupt, so_far);
}

}  // namespace pygdx
