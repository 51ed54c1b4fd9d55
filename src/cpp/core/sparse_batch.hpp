// One batch of sparse rows: its decision values, losses and the loss derivatives the
// gradient is built from, and the scratch a sparse epoch keeps between batches.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "core/column_slots.hpp"
#include "core/csr.hpp"
#include "core/csr_prefetch.hpp"
#include "core/l1_penalty.hpp"
#include "core/linear.hpp"
#include "core/parallel.hpp"

namespace pygdx {

// Scratch of a sparse epoch, sized for the largest batch on first use and kept by the
// trainer from one epoch to the next, so that a stochastic epoch allocates nothing per row.
template <class T>
struct SparseScratch {
    explicit SparseScratch(const LinearProblem& pb)
        : intercept_sums(pb.n_outputs), z(pb.n_outputs), dloss(pb.n_outputs) {}
    std::vector<double> g;         // batch rows x K weighted loss derivatives
    std::vector<double> row_loss;  // per-row weighted losses of a batch summed by threads
    std::vector<double> intercept_sums, z, dloss;
    // dense-semantics steps: the coefficient sums (double) and the finished gradient (T)
    std::vector<double> coef_sums;
    std::vector<T> grad;
    // lazy steps: the touched coefficients' slots (column_slots.hpp), the touched
    // coefficients, their sums, and compact copies of weights, state and gradient
    ColumnSlots slots;
    std::vector<std::size_t> touched;
    std::vector<double> touched_sums;
    std::vector<T> compact;  // (1 + state buffers + 1) x touched: weights, states, gradient
    CumulativeL1 l1;         // plain SGD's l1 penalty owed and paid, kept for the fit
};

namespace detail {

// Rows of a batch above which their decision values are computed by threads.
inline constexpr std::size_t min_batch_rows_for_threads = 8192;

// The weighted loss and derivative of row r, with decision values scale · (v_k · x) + b_k.
template <class T, class I>
PYGDX_ALWAYS_INLINE double sparse_row_derivatives(const LinearProblem& pb, const CsrData<T, I>& data, std::size_t r,
                                                  const T* theta, double scale, double* z, double* g) {
    const std::size_t d = pb.n_features;
    const std::size_t K = pb.n_outputs;
    const T* intercept = theta + pb.n_coef();
    const CsrSpan s = data.span(r);
    for (std::size_t k = 0; k < K; ++k) {
        z[k] = scale * sparse_dot(theta + k * d, data, s) + static_cast<double>(intercept[k]);
    }
    const double sw = data.weight(r);
    const double loss = sw * loss_of_outputs(pb, z, data.y + r * data.y_width, g);
    for (std::size_t k = 0; k < K; ++k) {
        g[k] *= sw;
    }
    return loss;
}

}  // namespace detail

// The weighted loss sum of the batch `data` (its rows 0..n_used) at the weights scale · v
// (theta's coefficients) and theta's intercepts; writes each row's weighted derivatives
// to work.g (row-major, K per row) and their sums per output to work.intercept_sums.
// Large batches are shared by threads row by row; the sums are then taken in row order,
// so the result does not depend on the thread count.
template <class T, class I>
double sparse_batch_derivatives(const LinearProblem& pb, const CsrData<T, I>& data, const T* theta, double scale,
                                SparseScratch<T>& work, int n_threads) {
    const std::size_t K = pb.n_outputs;
    const std::size_t m = data.n_used;
    if (work.g.size() < m * K) {
        work.g.resize(m * K);
    }
    double* g = work.g.data();
    std::fill(work.intercept_sums.begin(), work.intercept_sums.end(), 0.0);
    double loss = 0.0;
    const int threads = threads_for(m, n_threads, detail::min_batch_rows_for_threads);
    if (threads <= 1) {
        for (std::size_t i = 0; i < m; ++i) {
            detail::prefetch_sparse_row(data, theta, i);
            loss += detail::sparse_row_derivatives(pb, data, data.row(i), theta, scale, work.z.data(), g + i * K);
        }
    } else {
        if (work.row_loss.size() < m) {
            work.row_loss.resize(m);
        }
        parallel_chunks(m, threads, [&](int, std::size_t begin, std::size_t end) {
            std::vector<double> z(K);
            for (std::size_t i = begin; i < end; ++i) {
                work.row_loss[i] =
                    detail::sparse_row_derivatives(pb, data, data.row(i), theta, scale, z.data(), g + i * K);
            }
        });
        for (std::size_t i = 0; i < m; ++i) {
            loss += work.row_loss[i];
        }
    }
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t k = 0; k < K; ++k) {
            work.intercept_sums[k] += g[i * K + k];
        }
    }
    return loss;
}

// Calls add(coefficient index, g·x) for every stored entry of every row of the batch and
// output k, with g the row's derivative for k (work.g, from sparse_batch_derivatives).
// Entries out of range (csr.hpp) are skipped. Entries whose term is 0 are visited too: a
// lazy step counts their columns as touched.
template <class T, class I, class Add>
PYGDX_ALWAYS_INLINE void for_each_gradient_term(const LinearProblem& pb, const CsrData<T, I>& data,
                                                const double* g, Add add) {
    const std::size_t d = pb.n_features;
    const std::size_t K = pb.n_outputs;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        const std::size_t r = data.row(i);
        const CsrSpan s = data.span(r);
        for (std::size_t k = 0; k < K; ++k) {
            const double gk = g[i * K + k];
            for (std::size_t e = s.begin; e < s.end; ++e) {
                std::size_t j;
                if (data.column(e, j)) {
                    add(k * d + j, gk * static_cast<double>(data.values[e]));
                }
            }
        }
    }
}

}  // namespace pygdx
