// The batch loop of the epochs that sum each batch's gradient in full before acting on it
// (the clipped epoch of stepwise_epochs.hpp, the l1 epoch of l1_epoch.hpp): per batch of
// consecutive rows, RowPass's sums, a stop at a non-finite loss, then the caller's step;
// the weights' finiteness and the loss as linear_epoch reports them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/epoch.hpp"

namespace pygdx {

// For each batch of `batch_size` rows of `data` (the last may be smaller): an interrupt
// check, RowPass's sums of the batch at `theta` into work.summed (coefficient sums, then the
// intercepts'), then `step(rows)` unless the batch's loss is not finite (the epoch stops
// there). The loss is the mean data loss of the rows, each at its batch's weights, plus the
// penalty at the epoch's first weights.
template <class T, class Step>
EpochResult summed_batch_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                               const T* theta, EpochScratch<T>& work, Interrupt* interrupt, Step step) {
    const std::size_t n = data.n_used;
    const std::size_t n_coef = pb.n_coef();
    const double epoch_penalty = penalty_value(pb.penalty, theta, n_coef);
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    for (std::size_t first = 0; first < n; first += batch_size) {
        const std::size_t rows = std::min(batch_size, n - first);
        if (interrupt != nullptr && interrupt->requested(rows * n_coef)) {
            result.interrupted = true;
            break;
        }
        const double loss_sum =
            work.pass.sum(row_range(data, first, rows, pb.n_features), theta, work.summed.data(), interrupt);
        if (work.pass.interrupted()) {  // one huge batch is seconds of work
            result.interrupted = true;
            break;
        }
        if (!std::isfinite(loss_sum)) {
            result.finite = false;
            break;
        }
        step(rows);
        data_loss_sum += loss_sum;
        rows_seen += rows;
        ++result.steps;
    }
    for (std::size_t j = 0; j < pb.n_params() && result.finite; ++j) {
        result.finite = std::isfinite(static_cast<double>(theta[j]));
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace pygdx
