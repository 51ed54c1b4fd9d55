// The small-batch path of single-output models with many features
// (BatchPath::column_halves): each batch read in two passes over column halves.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/batch_rows.hpp"
#include "core/batch_step.hpp"
#include "core/epoch_result.hpp"
#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx {

// Small batches of a single-output model with enough features are summed in two passes
// over the batch, each over one half of the columns: the decision values' first halves for
// every row of the batch, then their second halves, then the loss derivatives, then the
// gradient, half by half. Measured on the development machine (n = 200,000, d = 100, bs = 32,
// one thread, minimum of 10 alternating runs): 14.9 ms per SGD epoch against 18.4 ms for the
// row-at-a-time small-batch path and 20.8 ms for the same passes over whole rows. Reading
// half a row lets the L2 streamer fetch the rest of the 4 KB page behind it without taking
// the core's line-fill buffers, which bound a shuffled gather (see RESULTS_linear.md).
// (A team of two threads, one per half, meeting once per batch to swap the decision
// values' halves, was slower still on that 2-vCPU machine, so there is none.)
// Decision values are the two halves' sums plus the intercept.
inline constexpr std::size_t min_column_split_elements = 2048;  // batch rows x features
inline constexpr std::size_t min_columns_per_half = 32;  // at 40 features: 10% slower

// Where the second half of the columns starts: half of d, rounded down to whole 8-lane vectors.
inline std::size_t column_split_point(std::size_t d) { return d / 2 / 8 * 8; }

// Whether a batch of `batch_size` rows is summed in column halves (depends on the problem's
// size only). Larger batches are cut into row parts (split_batch_epoch) instead.
inline bool column_split_applies(const LinearProblem& pb, std::size_t batch_size) {
    return pb.n_outputs == 1 && !loss_is_multinomial(pb.loss) && batch_size >= 2 &&
           batch_size <= detail::rows_per_block && pb.n_features >= 2 * min_columns_per_half &&
           batch_size * pb.n_features >= min_column_split_elements;
}

namespace detail {

// Columns [c0, c1) of the decision values of the rows of `batch` (without the intercept),
// four rows at a time with the same sums as dot4. Prefetches the same columns of the rows
// ahead.
template <class T>
PYGDX_SIMD_CLONES void column_dots(const LinearData<T>& batch, std::size_t d, const T* theta, std::size_t c0,
                                   std::size_t c1, double* out) {
    const std::size_t width = c1 - c0;
    std::size_t i = 0;
    for (; i + 4 <= batch.n_used; i += 4) {
        const T* x[4];
        for (std::size_t q = 0; q < 4; ++q) {
            if (i + q + prefetch_distance < batch.n_readable) {
                prefetch_bytes(batch.X + batch.row(i + q + prefetch_distance) * d + c0, width * sizeof(T));
            }
            x[q] = batch.X + batch.row(i + q) * d + c0;
        }
        dot4(theta + c0, x, width, out + i);
    }
    for (; i < batch.n_used; ++i) {
        if (i + prefetch_distance < batch.n_readable) {
            prefetch_bytes(batch.X + batch.row(i + prefetch_distance) * d + c0, width * sizeof(T));
        }
        out[i] = static_cast<double>(dot(theta + c0, batch.X + batch.row(i) * d + c0, width));
    }
}

// sums[j] = Σ_i g[i]·x_ij over the rows of `batch`, in T, for the columns [c0, c1): rows four
// at a time (add_four_rows' fixed order).
template <class T>
PYGDX_SIMD_CLONES void column_gradient_sums(const LinearData<T>& batch, std::size_t d, const double* g,
                                            std::size_t c0, std::size_t c1, T* sums) {
    std::fill(sums + c0, sums + c1, T(0));
    std::size_t i = 0;
    for (; i + 4 <= batch.n_used; i += 4) {
        const T* x[4];
        for (std::size_t q = 0; q < 4; ++q) {
            x[q] = batch.X + batch.row(i + q) * d;
        }
        add_four_rows(g + i, x, c0, c1, sums);
    }
    for (; i < batch.n_used; ++i) {
        const T gi = static_cast<T>(g[i]);
        if (gi != T(0)) {
            axpy(gi, batch.X + batch.row(i) * d + c0, sums + c0, c1 - c0);
        }
    }
}

// The loss derivatives of the rows of `batch` from their decision values' column halves
// (halves[i] and halves[stride + i]) into g[i], weighted; adds them to *intercept_sum and
// returns the rows' weighted loss sum.
template <class T>
double derivatives_from_halves(const LinearProblem& pb, const LinearData<T>& batch, const T* theta,
                               const double* halves, std::size_t stride, double* g, double* intercept_sum) {
    const double intercept = static_cast<double>(theta[pb.n_features]);
    double loss = 0.0;
    for (std::size_t i = 0; i < batch.n_used; ++i) {
        const std::size_t r = batch.row(i);
        const double sw = batch.sample_weight ? static_cast<double>(batch.sample_weight[r]) : 1.0;
        const double z = (halves[i] + halves[stride + i]) + intercept;
        double derivative;
        loss += sw * loss_and_derivative(pb.loss, z, static_cast<double>(batch.y[r]), &derivative);
        g[i] = sw * derivative;
        *intercept_sum += g[i];
    }
    return loss;
}

// Whether a part of a batch can be summed in column halves (column_half_sums): the
// problem's shape only, as for column_split_applies.
inline bool column_half_parts_apply(const LinearProblem& pb) {
    return pb.n_outputs == 1 && !loss_is_multinomial(pb.loss) && pb.n_features >= 2 * min_columns_per_half;
}

// Scratch of column_half_sums: the decision values' halves and the loss derivatives of one
// block of rows_per_block rows.
inline constexpr std::size_t column_half_scratch = 3 * rows_per_block;

// The per-row gradient sums of the rows of `part` added to `out` (double, n_params:
// coefficients, then the intercept), the rows' weighted loss returned; for a part of a
// medium batch where column_half_parts_apply. Blocks of rows_per_block rows are summed as
// column_split_epoch sums a batch (two passes over column halves, in T into `block`, n_coef),
// then added to `out` in double, as accumulate_rows does. `scratch` holds
// column_half_scratch doubles.
template <class T>
double column_half_sums(const LinearProblem& pb, const LinearData<T>& part, const T* theta, double* out, T* block,
                        double* scratch) {
    const std::size_t d = pb.n_features;
    const std::size_t split = column_split_point(d);
    const std::size_t column_begin[3] = {0, split, d};
    double* halves = scratch;
    double* g = scratch + 2 * rows_per_block;
    double loss = 0.0;
    for (std::size_t start = 0; start < part.n_used; start += rows_per_block) {
        const LinearData<T> rows = row_range(part, start, std::min(rows_per_block, part.n_used - start), d);
        for (int c = 0; c < 2; ++c) {
            column_dots(rows, d, theta, column_begin[c], column_begin[c + 1], halves + c * rows_per_block);
        }
        loss += derivatives_from_halves(pb, rows, theta, halves, rows_per_block, g, out + d);
        for (int c = 0; c < 2; ++c) {
            column_gradient_sums(rows, d, g, column_begin[c], column_begin[c + 1], block);
        }
        for (std::size_t j = 0; j < d; ++j) {
            out[j] += static_cast<double>(block[j]);
        }
    }
    return loss;
}

// linear_epoch for batches where column_split_applies (see there; assumed, not checked),
// on the calling thread. Returns the data loss sum, the rows seen and the steps in an
// EpochResult (loss = sum).
template <class T>
EpochResult column_split_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                               const Hyper& hyper, const Schedule& schedule, double* counters,
                               const ParamBuffers<T>& params, T* grad, std::size_t* rows_seen,
                               Interrupt* interrupt) {
    const std::size_t d = pb.n_features;
    const std::size_t n = data.n_used;
    const std::size_t split = column_split_point(d);
    const std::size_t column_begin[3] = {0, split, d};
    const T* theta = params.param;
    std::vector<double> halves(2 * batch_size), g(batch_size);
    EpochResult result;
    *rows_seen = 0;
    for (std::size_t start = 0; start < n; start += batch_size) {
        const std::size_t rows = std::min(batch_size, n - start);
        if (interrupt != nullptr && interrupt->requested(rows * d)) {
            result.interrupted = true;
            break;
        }
        const LinearData<T> batch = row_range(data, start, rows, d);
        for (int c = 0; c < 2; ++c) {
            detail::column_dots(batch, d, theta, column_begin[c], column_begin[c + 1], halves.data() + c * batch_size);
        }
        double intercept_sum = 0.0;
        const double loss =
            derivatives_from_halves(pb, batch, theta, halves.data(), batch_size, g.data(), &intercept_sum);
        // A NaN or inf in the batch's data, decision values or weights shows here, before the
        // step could spread it.
        if (!std::isfinite(loss)) {
            result.finite = false;
            break;
        }
        result.loss += loss;
        *rows_seen += rows;
        for (int c = 0; c < 2; ++c) {
            detail::column_gradient_sums(batch, d, g.data(), column_begin[c], column_begin[c + 1], grad);
        }
        step_from_sums(pb, hyper, schedule, counters, params, static_cast<const T*>(grad), &intercept_sum,
                       static_cast<double>(rows), grad, 1);
        ++result.steps;
    }
    return result;
}

}  // namespace detail

}  // namespace pygdx
