// Linear models: the problem, the rows a pass reads, the per-row loss and gradient sums,
// and the full-batch objective and gradient (one training epoch is in epoch.hpp).
//
// Parameters live in one contiguous vector theta = [coef (K x d, row-major), intercept (K)]
// (K = 1 except for multiclass classification), so that one optimizer state covers them all.
// The objective is scikit-learn's SGD objective (REFERENCE.md):
//     (1/m) Σ_i sw_i · loss(y_i, x_i·w + b) + alpha · R(w)
// over the m rows used; the intercept is never penalised.
//
// Speed: X is read once per pass. Each row is used while it is in L1: its K dot products,
// the loss derivative, then its contribution to the gradient. The row and parameter loops
// are compiled for AVX-512, AVX2 and the portable baseline (PYGDX_SIMD_CLONES, see
// optimizers.hpp); the reductions use sixteen fixed accumulators, so every version adds the
// same numbers in the same order (row_kernels.hpp). Rows are gathered through an
// index (shuffled order, validation split) instead of copying a batch. A pass is cut into
// chunks of rows fixed by the problem's size; threads take chunks as they go, every chunk
// keeps its own partial gradient, and the partials are summed in chunk order, so results
// depend neither on timing nor on the number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/interrupt.hpp"
#include "core/losses.hpp"
#include "core/optimizers.hpp"
#include "core/parallel.hpp"
#include "core/penalty.hpp"
#include "core/row_kernels.hpp"

namespace pygdx {

struct LinearProblem {
    Loss loss;
    Penalty penalty;
    std::size_t n_features = 0;  // d
    std::size_t n_outputs = 1;   // K: classes for multinomial and one-vs-rest, else 1
    bool fit_intercept = true;

    std::size_t n_coef() const { return n_features * n_outputs; }
    std::size_t n_params() const { return n_coef() + n_outputs; }
    // Targets per row of y: K for a regression loss with K outputs (multi-output regression,
    // y row-major n x K), else 1 (a value, a ±1 sign or a class index).
    std::size_t targets_per_row() const {
        return n_outputs > 1 && !loss_is_multinomial(loss) && !loss_is_binary_classification(loss) ? n_outputs : 1;
    }
};

// The rows a pass reads: rows[0..n_used) of X when `rows` is given, else rows 0..n_used.
template <class T>
struct LinearData {
    const T* X = nullptr;
    const T* y = nullptr;               // y_width targets per row, row-major
    std::size_t y_width = 1;            // LinearProblem::targets_per_row
    const T* sample_weight = nullptr;  // null: every weight is 1
    const std::int64_t* rows = nullptr;
    std::size_t n_used = 0;
    // Rows that may be read ahead of n_used (the rest of the epoch), so that the rows of the
    // next batches are prefetched too: entries of `rows`, or rows of X when it has no index.
    std::size_t n_readable = 0;

    std::size_t row(std::size_t i) const { return rows ? static_cast<std::size_t>(rows[i]) : i; }
};

// Input checks that read whole arrays, so that the bindings can run them without the GIL.

// The first i with y[i] not a class index 0..n_classes-1 (an integral value), or n.
template <class T>
std::size_t first_invalid_class_index(const T* y, std::size_t n, std::size_t n_classes) {
    for (std::size_t i = 0; i < n; ++i) {
        const T c = y[i];
        if (!(c >= 0) || c >= static_cast<T>(n_classes) || c != static_cast<T>(static_cast<std::int64_t>(c))) {
            return i;
        }
    }
    return n;
}

// The first i with rows[i] outside 0..n_rows-1, or m.
inline std::size_t first_row_out_of_range(const std::int64_t* rows, std::size_t m, std::size_t n_rows) {
    for (std::size_t i = 0; i < m; ++i) {
        if (rows[i] < 0 || static_cast<std::size_t>(rows[i]) >= n_rows) {
            return i;
        }
    }
    return m;
}

namespace detail {

// The loss of one row from its K decision values z (intercepts included) and its targets
// (pb.targets_per_row() of them), and its derivative with respect to each z in dloss:
// multinomial, single output, one-vs-rest (output k is the binary problem "class k (+1) or
// not (-1)") or multi-output regression (output k fits target k). The objective separates
// over outputs and every optimizer rule is element-wise, so training them together equals K
// separate runs with the same batches.
template <class T>
PYGDX_ALWAYS_INLINE double loss_of_outputs(const LinearProblem& pb, const double* z, const T* targets, double* dloss) {
    const std::size_t K = pb.n_outputs;
    const double y = static_cast<double>(targets[0]);
    if (loss_is_multinomial(pb.loss)) {
        return multinomial_loss_and_derivative(z, K, static_cast<std::size_t>(y), dloss);
    }
    if (K == 1) {
        return loss_and_derivative(pb.loss, z[0], y, dloss);
    }
    const bool one_vs_rest = loss_is_binary_classification(pb.loss);
    double value = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
        const double target =
            one_vs_rest ? (static_cast<std::size_t>(y) == k ? 1.0 : -1.0) : static_cast<double>(targets[k]);
        value += loss_and_derivative(pb.loss, z[k], target, dloss + k);
    }
    return value;
}

// Adds one row's weighted loss derivative times x to the coefficient gradient (type T)
// and to the intercept gradient (double); returns the row's weighted loss. `y` points to
// the row's targets (pb.targets_per_row() of them). `z` and `dloss` are K-element scratch arrays.
template <class T>
PYGDX_ALWAYS_INLINE double add_row(const LinearProblem& pb, const T* theta, const T* x, const T* targets, double sw,
                      T* __restrict coef_grad, double* intercept_grad, double* z, double* dloss) {
    const std::size_t d = pb.n_features;
    const std::size_t K = pb.n_outputs;
    const T* intercept = theta + pb.n_coef();
    for (std::size_t k = 0; k < K; ++k) {
        z[k] = static_cast<double>(dot(theta + k * d, x, d)) + static_cast<double>(intercept[k]);
    }
    const double value = loss_of_outputs(pb, z, targets, dloss);
    for (std::size_t k = 0; k < K; ++k) {
        const double g = sw * dloss[k];
        if (g != 0.0) {
            axpy(static_cast<T>(g), x, coef_grad + k * d, d);
        }
        intercept_grad[k] += g;
    }
    return sw * value;
}

// Rows per block: the coefficient gradient is summed in T over a block, then added to a
// double accumulator, so float32 sums over millions of rows keep float64-like accuracy.
inline constexpr std::size_t rows_per_block = 64;

// Rows whose sixteen running sums one sweep over w keeps in registers: AVX2 has sixteen
// 32-byte registers, and float64's sums take four per row. Four float64 rows (sixteen
// accumulators, plus w's lanes and a product) made GCC keep five accumulators on the stack,
// a store and reload on every 16 weights (perf, session 7); two rows a sweep fit. Float32's
// sums take two registers a row, so its four rows share one sweep.
template <class T>
inline constexpr std::size_t rows_per_sweep = vectors_per_sums16<T> >= 4 ? 2 : 4;

// Four dot products of w with x0..x3 in one or two sweeps over w: independent chains keep
// the core busy where one row's chain would wait on its adds. Each row's sum has exactly the
// terms and order of dot(w, xq).
template <class T>
PYGDX_ALWAYS_INLINE void dot4(const T* __restrict w, const T* const* x, std::size_t n, double* out) {
    constexpr std::size_t R = rows_per_sweep<T>;
    Sums16<T> sums[4];
    T tail[4];
    for (std::size_t first = 0; first < 4; first += R) {
        running_sums16<T, R>(w, x + first, n, sums + first, tail + first);
    }
    for (std::size_t q = 0; q < 4; ++q) {
        out[q] = static_cast<double>(combine16<T>(sums[q], tail[q]));
    }
}

// out[j] += Σ_q g[q]·x[q][j] for four rows x and j in [c0, c1), in one pass and a fixed
// order ((g0 x0 + g1 x1) + (g2 x2 + g3 x3)), so every caller rounds alike.
template <class T>
PYGDX_ALWAYS_INLINE void add_four_rows(const double* g, const T* const* x, std::size_t c0, std::size_t c1,
                                       T* __restrict out) {
    const T g0 = static_cast<T>(g[0]), g1 = static_cast<T>(g[1]);
    const T g2 = static_cast<T>(g[2]), g3 = static_cast<T>(g[3]);
    const T* __restrict x0 = x[0];
    const T* __restrict x1 = x[1];
    const T* __restrict x2 = x[2];
    const T* __restrict x3 = x[3];
    for (std::size_t j = c0; j < c1; ++j) {
        out[j] += (g0 * x0[j] + g1 * x1[j]) + (g2 * x2[j] + g3 * x3[j]);
    }
}

// Adds rows [begin, end) of `data` to coef_grad (type T) and intercept_grad (double);
// returns their weighted loss sum. `scratch` holds 2K doubles. Rows are summed one by one,
// in order.
template <class T>
PYGDX_SIMD_CLONES double sum_rows_into(const LinearProblem& pb, const LinearData<T>& data, const T* theta,
                                       std::size_t begin, std::size_t end, T* coef_grad, double* intercept_grad,
                                       double* scratch) {
    const std::size_t d = pb.n_features;
    double* z = scratch;
    double* dloss = scratch + pb.n_outputs;
    double loss_sum = 0.0;
    std::size_t i = begin;
    if (pb.n_outputs == 1) {
        // Row by row: the dot, the derivative, then the row added to the gradient while it
        // is in L1 (add_row's arithmetic for one output, without its loops over outputs).
        // Rows in order are left to the hardware prefetcher: prefetching them too made the
        // full-batch pass 1.2-1.5x slower (bench_full_pass, session 11), as in bench_bare.
        // The earlier shape (four rows' dots, then the four rows added in one sweep) made the
        // full-batch pass of 2,000,000 x 100 float64 2.2x slower on a 2-core Zen 4 guest, and
        // four rows' dots followed by the rows added one by one were as slow (RESULTS_floor.md,
        // session 11).
        // Row i's axpy and row i + 1's dot product run in one sweep (axpy_then_dot): the
        // dot ends in a chain of dependent adds (the trailing terms, the fixed tree) that the
        // row's derivative and axpy wait on, and one row's instructions nearly fill the
        // core's reorder window, so in program order the next row's dot could not start
        // until this row's axpy had (the float32 pass was compute-bound: 22-25 ns a row in
        // cache against 12-15 ns the streaming floor allows, session 12). The same
        // operations on the same values, so the same bits.
        const double b = static_cast<double>(theta[d]);
        const bool gathered = data.rows != nullptr;
        // Row r's loss added to the sum; returns its weighted derivative at decision value z.
        const auto weighted_derivative = [&](std::size_t r, double z) PYGDX_LAMBDA_INLINE {
            const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
            double derivative;
            loss_sum += sw * loss_and_derivative(pb.loss, z, static_cast<double>(data.y[r]), &derivative);
            return sw * derivative;
        };
        if (i < end) {
            if (gathered) {
                prefetch_ahead(data, i, d);
            }
            double z_i = static_cast<double>(dot(theta, data.X + data.row(i) * d, d)) + b;
            // The axpy's row is added even when g is 0 (add_row skips it): 0 times a
            // non-finite entry of x makes the gradient NaN, and the epoch stops at the row as
            // it always has.
            for (; i + 1 < end; ++i) {
                const std::size_t r = data.row(i);
                const double g = weighted_derivative(r, z_i);
                if (gathered) {
                    prefetch_ahead(data, i + 1, d);
                }
                z_i = static_cast<double>(axpy_then_dot(static_cast<T>(g), data.X + r * d, coef_grad, theta,
                                                        data.X + data.row(i + 1) * d, d)) + b;
                intercept_grad[0] += g;
            }
            const std::size_t r = data.row(i);
            const double g = weighted_derivative(r, z_i);
            axpy(static_cast<T>(g), data.X + r * d, coef_grad, d);
            intercept_grad[0] += g;
            ++i;
        }
    }
    for (; i < end; ++i) {
        prefetch_ahead(data, i, d);
        const std::size_t r = data.row(i);
        const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
        loss_sum += add_row(pb, theta, data.X + r * d, data.y + r * data.y_width, sw, coef_grad,
                            intercept_grad, z, dloss);
    }
    return loss_sum;
}

// Goes on with every block (accumulate_rows's default).
struct AlwaysGoOn {
    bool operator()(std::size_t) const { return true; }
};

// Accumulates rows [begin, end) of `data` into grad (double, n_params) and returns the
// weighted loss sum. `block` is an n_coef scratch buffer of type T, `scratch` 2K doubles.
// `go_on(work)` is asked before each block of rows_per_block rows with the row-elements
// done since the last ask; false abandons the sums unfinished. A huge batch's chunk is
// seconds of work under a sanitizer, so a stop cannot wait for the chunk's end.
template <class T, class GoOn = AlwaysGoOn>
double accumulate_rows(const LinearProblem& pb, const LinearData<T>& data, const T* theta, std::size_t begin,
                       std::size_t end, double* grad, T* block, double* scratch, GoOn&& go_on = GoOn{}) {
    const std::size_t n_coef = pb.n_coef();
    double loss_sum = 0.0;
    for (std::size_t start = begin; start < end; start += rows_per_block) {
        if (start != begin && !go_on(rows_per_block * n_coef)) {
            return loss_sum;
        }
        const std::size_t stop = std::min(end, start + rows_per_block);
        std::fill(block, block + n_coef, T(0));
        loss_sum += sum_rows_into(pb, data, theta, start, stop, block, grad + n_coef, scratch);
        for (std::size_t j = 0; j < n_coef; ++j) {
            grad[j] += static_cast<double>(block[j]);
        }
    }
    return loss_sum;
}

}  // namespace detail

namespace detail {

// The objective's gradient from summed per-row gradients, element by element: `sum_at(j)`
// gives coefficient j's sum (double, or T when a small batch is summed in T), and `out(j,
// g_j)` receives the gradient of parameter j in T. Divides by the row count, adds the
// penalty's gradient (the l1 part as the subgradient sign(w), 0 at 0) to the coefficients
// and zeroes the intercept when it is not fitted. `out` may overwrite theta[j]: theta[j] is
// read before out(j, ...) is called.
template <class T, class SumAt, class Out>
PYGDX_ALWAYS_INLINE void finish_gradient_each(const LinearProblem& pb, const T* theta, SumAt sum_at,
                                              const double* intercept_sums, double n_rows, Out out) {
    using S = decltype(sum_at(std::size_t{0}));
    const std::size_t n_coef = pb.n_coef();
    const S scale = static_cast<S>(1.0 / n_rows);
    const PenaltyWeights weights = penalty_weights(pb.penalty);
    const S a = static_cast<S>(weights.alpha);
    const S a1 = static_cast<S>(weights.l1);
    const S a2 = static_cast<S>(weights.l2);
    if (a == S(0)) {
        for (std::size_t j = 0; j < n_coef; ++j) {
            out(j, static_cast<T>(sum_at(j) * scale));
        }
    } else if (a1 == S(0)) {
        for (std::size_t j = 0; j < n_coef; ++j) {
            out(j, static_cast<T>(sum_at(j) * scale + a2 * static_cast<S>(theta[j])));
        }
    } else {
        for (std::size_t j = 0; j < n_coef; ++j) {
            const S w = static_cast<S>(theta[j]);
            out(j, static_cast<T>(sum_at(j) * scale + a1 * sign_of(w) + a2 * w));
        }
    }
    for (std::size_t k = 0; k < pb.n_outputs; ++k) {
        out(n_coef + k, static_cast<T>(pb.fit_intercept ? intercept_sums[k] / n_rows : 0.0));
    }
}

}  // namespace detail

// Turns summed per-row gradients into the objective's gradient in T (finish_gradient_each).
// `coef_sums` (double, or T when a small batch is summed in place) may alias `grad`.
template <class T, class S>
PYGDX_SIMD_CLONES void finish_gradient(const LinearProblem& pb, const T* __restrict theta, const S* coef_sums,
                     const double* intercept_sums, double n_rows, T* grad) {
    detail::finish_gradient_each(
        pb, theta, [coef_sums](std::size_t j) { return coef_sums[j]; }, intercept_sums, n_rows,
        [grad](std::size_t j, T g) { grad[j] = g; });
}

// Rows below which a pass runs on the calling thread: starting threads would cost more.
inline constexpr std::size_t min_row_elements_per_thread = std::size_t{1} << 16;

// A pass is cut into chunks of at least this many rows, at most max_row_chunks of them and
// at most max_partial_doubles of partial gradients in all.
inline constexpr std::size_t min_rows_per_chunk = 2048;
inline constexpr std::size_t max_row_chunks = 64;
inline constexpr std::size_t max_partial_doubles = std::size_t{1} << 23;

// Chunks of a pass over n rows: they depend on the problem's size only, never on the
// thread count, so the sums (added in chunk order) are the same with any n_jobs.
inline std::size_t row_chunks(std::size_t n_rows, std::size_t n_params) {
    const std::size_t by_rows = std::max<std::size_t>(1, n_rows / min_rows_per_chunk);
    const std::size_t by_memory = std::max<std::size_t>(1, max_partial_doubles / std::max<std::size_t>(1, n_params));
    return std::min({max_row_chunks, by_rows, by_memory});
}

// Buffers of a pass over rows, allocated once per call from Python (not per batch): a
// stochastic epoch makes one pass per row.
template <class T>
class RowPass {
public:
    RowPass(const LinearProblem& pb, int n_threads) : pb_(pb), n_threads_(n_threads) {}

    // The summed weighted loss over the rows of `data`, and the summed per-row gradients
    // in `summed` (double, n_params; overwritten). Each chunk of rows gets its own partial;
    // threads take the next chunk as they finish one (a thread slowed by other work on the
    // machine then holds up nobody), and the partials are added in chunk order. With an
    // `interrupt`, the calling thread polls it between blocks of rows, and a requested stop
    // ends the pass early, every thread at its next block (one huge batch is seconds of
    // work): interrupted() then says the sums are unfinished.
    double sum(const LinearData<T>& data, const T* theta, double* summed, Interrupt* interrupt = nullptr) {
        const std::size_t P = pb_.n_params();
        const std::size_t n_coef = pb_.n_coef();
        const std::size_t K = pb_.n_outputs;
        const std::size_t chunks = row_chunks(data.n_used, P);
        const int threads = static_cast<int>(std::min<std::size_t>(
            chunks, static_cast<std::size_t>(threads_for(data.n_used * n_coef, n_threads_,
                                                         min_row_elements_per_thread))));
        const std::size_t t = static_cast<std::size_t>(threads);
        // Each thread's buffers, and each chunk's partial (whose intercept sum is written on
        // every row), start at least two cache lines after the last one's end.
        const std::size_t partial_stride = unshared_stride<double>(P);
        const std::size_t block_stride = unshared_stride<T>(n_coef);
        const std::size_t scratch_stride = unshared_stride<double>(2 * K);
        if (partial_.size() < chunks * partial_stride || losses_.size() < chunks ||
            blocks_.size() < t * block_stride || scratch_.size() < t * scratch_stride) {
            partial_.resize(chunks * partial_stride);
            losses_.resize(chunks);
            blocks_.resize(t * block_stride);
            scratch_.resize(t * scratch_stride);
        }
        std::fill(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(chunks * partial_stride), 0.0);
        std::atomic<std::size_t> next{0};
        std::atomic<bool> stop{false};
        const std::size_t n = data.n_used;
        parallel_chunks(t, threads, [&](int member, std::size_t, std::size_t) {
            const std::size_t m = static_cast<std::size_t>(member);
            for (std::size_t c = next.fetch_add(1); c < chunks && !stop.load(std::memory_order_relaxed);
                 c = next.fetch_add(1)) {
                const std::size_t begin = n / chunks * c + std::min(c, n % chunks);
                const std::size_t end = n / chunks * (c + 1) + std::min(c + 1, n % chunks);
                // member 0 is the calling thread, the only one that may poll the interrupt
                auto go_on = [&, member](std::size_t work) {
                    if (member == 0 && interrupt != nullptr && interrupt->requested(work)) {
                        stop.store(true, std::memory_order_relaxed);
                    }
                    return !stop.load(std::memory_order_relaxed);
                };
                losses_[c] = detail::accumulate_rows(pb_, data, theta, begin, end,
                                                     partial_.data() + c * partial_stride,
                                                     blocks_.data() + m * block_stride,
                                                     scratch_.data() + m * scratch_stride, go_on);
                go_on(detail::rows_per_block * n_coef);
            }
        });
        interrupted_ = stop.load();
        if (interrupted_) {
            return 0.0;
        }
        std::copy(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(P), summed);
        double loss_sum = losses_[0];
        for (std::size_t c = 1; c < chunks; ++c) {
            loss_sum += losses_[c];
            for (std::size_t j = 0; j < P; ++j) {
                summed[j] += partial_[c * partial_stride + j];
            }
        }
        return loss_sum;
    }

    // The last sum stopped at an interrupt, unfinished.
    bool interrupted() const { return interrupted_; }

private:
    LinearProblem pb_;  // a copy: a reference dangled once its owner (a Python object) was gone
    int n_threads_;
    bool interrupted_ = false;
    std::vector<double> partial_, losses_, scratch_;
    std::vector<T> blocks_;
};

// The full-batch objective at theta, and its gradient written to `grad` (n_params).
template <class T>
double linear_loss_grad(const LinearProblem& pb, const LinearData<T>& data, const T* theta, T* grad,
                        int n_threads) {
    std::vector<double> summed(pb.n_params());
    const double loss_sum = RowPass<T>(pb, n_threads).sum(data, theta, summed.data());
    const double m = static_cast<double>(data.n_used);
    finish_gradient(pb, theta, summed.data(), summed.data() + pb.n_coef(), m, grad);
    return loss_sum / m + penalty_value(pb.penalty, theta, pb.n_coef());
}

namespace detail {

template <class T>
PYGDX_SIMD_CLONES void decision_rows(const LinearData<T>& data, const T* theta, const T* intercept, std::size_t d,
                                     std::size_t K, std::size_t begin, std::size_t end, T* out) {
    for (std::size_t i = begin; i < end; ++i) {
        const T* x = data.X + data.row(i) * d;
        for (std::size_t k = 0; k < K; ++k) {
            out[i * K + k] = static_cast<T>(static_cast<double>(dot(theta + k * d, x, d)) +
                                            static_cast<double>(intercept[k]));
        }
    }
}

}  // namespace detail

// Decision values z (n_used x K, row-major) of the rows of `data`.
template <class T>
void linear_decision(const LinearProblem& pb, const LinearData<T>& data, const T* theta, T* out, int n_threads) {
    const std::size_t d = pb.n_features;
    const std::size_t K = pb.n_outputs;
    const T* intercept = theta + pb.n_coef();
    const int chunks = threads_for(data.n_used * pb.n_coef(), n_threads, min_row_elements_per_thread);
    parallel_chunks(data.n_used, chunks, [&](int, std::size_t begin, std::size_t end) {
        detail::decision_rows(data, theta, intercept, d, K, begin, end, out);
    });
}

}  // namespace pygdx
