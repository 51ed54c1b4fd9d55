// The batch paths that sum each batch whole and step once per batch: small batches summed in
// T straight into the gradient (BatchPath::small_rows), and large ones through RowPass's
// double partials, threaded per batch (BatchPath::row_pass).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/batch_rows.hpp"
#include "core/batch_step.hpp"
#include "core/epoch_result.hpp"
#include "core/epoch_scratch.hpp"
#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx {
namespace detail {

// linear_epoch for BatchPath::small_rows (`small`) or BatchPath::row_pass. Returns the data
// loss sum, the rows seen and the steps in an EpochResult (loss = sum).
template <class T>
EpochResult row_batches_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                              const Hyper& hyper, const Schedule& schedule, double* counters,
                              const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads, bool small,
                              std::size_t* rows_seen, Interrupt* interrupt) {
    const std::size_t n_coef = pb.n_coef();
    const std::size_t n = data.n_used;
    const T* theta = params.param;
    T* grad = work.grad.data();
    double* intercept_sums = work.summed.data() + n_coef;
    EpochResult result;
    *rows_seen = 0;
    for (std::size_t start = 0; start < n; start += batch_size) {
        const std::size_t rows = std::min(batch_size, n - start);
        if (interrupt != nullptr && interrupt->requested(rows * n_coef)) {
            result.interrupted = true;
            break;
        }
        const LinearData<T> batch = row_range(data, start, rows, pb.n_features);
        double loss_sum;
        if (small) {
            std::fill(grad, grad + n_coef, T(0));
            std::fill(intercept_sums, intercept_sums + pb.n_outputs, 0.0);
            loss_sum = sum_rows_into(pb, batch, theta, 0, rows, grad, intercept_sums, work.outputs.data());
        } else {
            loss_sum = work.pass.sum(batch, theta, work.summed.data(), interrupt);
            if (work.pass.interrupted()) {  // one huge batch is seconds of work
                result.interrupted = true;
                break;
            }
        }
        // Every row's loss is in the sum, so a NaN or inf in the batch's data, decision
        // values or weights shows here, before the step could spread it.
        if (!std::isfinite(loss_sum)) {
            result.finite = false;
            break;
        }
        result.loss += loss_sum;
        *rows_seen += rows;
        const double m = static_cast<double>(rows);
        if (small) {
            step_from_sums(pb, hyper, schedule, counters, params, static_cast<const T*>(grad), intercept_sums, m, grad,
                           n_threads);
        } else {
            step_from_sums(pb, hyper, schedule, counters, params, static_cast<const double*>(work.summed.data()),
                           intercept_sums, m, grad, n_threads);
        }
        ++result.steps;
    }
    return result;
}

}  // namespace detail
}  // namespace pygdx
