// One training epoch of full-batch, mini-batch or stochastic gradient descent on a linear
// model (linear.hpp) with any optimizer rule of optimizers.hpp, and the seeded shuffle of
// its rows.
//
// The batch's size (and the problem's) picks how a batch is summed, never the thread
// count, so a fit gives the same bits with any n_jobs: see BatchPath and choose_batch_path.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/interrupt.hpp"
#include "core/l1_penalty.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/row_steps.hpp"
#include "core/team.hpp"

namespace pygdx {

namespace detail {

// Plain SGD (no momentum) keeps no state, so a small batch's gradient can be finished and
// applied in the same pass over the parameters: one pass instead of three (finish the
// gradient, then the rule reads it and updates p). Each element gets exactly the
// operations of finish_gradient followed by optimizer_step's SGD rule.
inline bool sgd_fuses_with_gradient(const Hyper& h) { return h.rule == Rule::sgd && h.momentum == 0.0; }

// The SGD rule applied to parameter j from its gradient g (effective_grad, then p -= lr·g).
template <bool Maximize, bool Decay, class T>
PYGDX_ALWAYS_INLINE auto sgd_update(const Hyper& h, double lr, T* p) {
    const T wd = static_cast<T>(h.weight_decay);
    const T rate = static_cast<T>(lr);
    return [p, wd, rate](std::size_t j, T g) { p[j] -= rate * effective_grad<Maximize, Decay>(g, p[j], wd); };
}

// finish_gradient_each followed by the SGD rule, with scikit-learn's clamped weight decay:
// plain SGD shrinks the coefficients by max(0, 1 - lr·l2) before the data step. Below
// lr·l2 = 1 that is the step p -= lr·(g + l2·p) itself (same bits as before); at or above it
// that step would overshoot zero and grow without bound (lr·l2 = 1e4 in scikit-learn's
// large-regularization test), so the coefficients restart from zero and take the rest of
// the step (data and l1 parts). The intercept is never penalised.
template <class T, bool Maximize, bool Decay, class SumAt>
PYGDX_ALWAYS_INLINE void finish_with_sgd_step(const LinearProblem& pb, const Hyper& h, double lr, T* p, SumAt sum_at,
                                              const double* intercept_sums, double n_rows) {
    const PenaltyWeights weights = penalty_weights(pb.penalty);
    if (!(lr * weights.l2 >= 1.0)) {
        finish_gradient_each(pb, p, sum_at, intercept_sums, n_rows, sgd_update<Maximize, Decay>(h, lr, p));
        return;
    }
    LinearProblem rest = pb;
    rest.penalty.kind = weights.l1 != 0.0 ? PenaltyKind::l1 : PenaltyKind::none;
    rest.penalty.alpha = weights.l1;
    const std::size_t n_coef = pb.n_coef();
    auto step = sgd_update<Maximize, Decay>(h, lr, p);
    finish_gradient_each(rest, p, sum_at, intercept_sums, n_rows, [p, n_coef, step](std::size_t j, T g) {
        if (j < n_coef) {
            p[j] = T(0);
        }
        step(j, g);
    });
}

template <class T, bool Maximize, bool Decay, class S>
PYGDX_SIMD_CLONES void finish_and_sgd_step(const LinearProblem& pb, const Hyper& h, double lr, T* p,
                                           const S* coef_sums, const double* intercept_sums, double n_rows) {
    finish_with_sgd_step<T, Maximize, Decay>(
        pb, h, lr, p, [coef_sums](std::size_t j) { return coef_sums[j]; }, intercept_sums, n_rows);
}

// Stochastic plain SGD on a single-output model, one step per row of `data` in order, all
// inside one SIMD clone (no call per row). Each step is one pass over the row and the
// parameters: the decision value, the loss derivative g, then p_j -= lr·(g·x_j + penalty).
template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES RowSteps sgd_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h,
                                         const Schedule& schedule, double* counters, T* p,
                                         Interrupt* interrupt) {
    // A copy that states the one output to the compiler (one intercept, n_coef = d).
    LinearProblem single = pb;
    single.n_outputs = 1;
    const std::size_t d = pb.n_features;
    RowSteps done;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        if (interrupt != nullptr && interrupt->requested(d)) {
            done.interrupted = true;
            break;
        }
        prefetch_ahead(data, i, d);
        const std::size_t r = data.row(i);
        const T* __restrict x = data.X + r * d;
        const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
        const double z = static_cast<double>(dot(static_cast<const T*>(p), x, d)) + static_cast<double>(p[d]);
        double derivative = 0.0;
        const double loss = sw * loss_and_derivative(single.loss, z, static_cast<double>(data.y[r]), &derivative);
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        const double intercept_sum = sw * derivative;
        const T g = static_cast<T>(intercept_sum);
        const StepCoefficients c = begin_step(h, schedule, counters);
        finish_with_sgd_step<T, Maximize, Decay>(
            single, h, c.lr, p, [g, x](std::size_t j) { return g * x[j]; }, &intercept_sum, 1.0);
        done.loss_sum += loss;
        ++done.steps;
    }
    return done;
}

}  // namespace detail

// Fisher-Yates shuffle of `order` driven by SplitMix64 from `seed`: the same seed gives the
// same order on every platform. (The modulo's bias is below n / 2^64.)
inline void shuffle_rows(std::int64_t* order, std::size_t n, std::uint64_t seed) {
    std::uint64_t state = seed;
    auto next = [&state]() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    };
    for (std::size_t i = n; i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(next() % static_cast<std::uint64_t>(i));
        std::swap(order[i - 1], order[j]);
    }
}

struct EpochResult {
    double loss = 0.0;      // mean data loss over the epoch's rows (each at its batch's weights)
                            // plus the penalty at the epoch's starting weights
    std::size_t steps = 0;  // optimizer steps taken
    bool finite = true;     // false: stopped at a non-finite batch loss (before stepping), or
                            // the weights are not finite after the epoch
    bool interrupted = false;  // stopped between two batches because a stop was requested
};

// Rows [start, start + count) of `data` as data of their own.
template <class T>
LinearData<T> row_range(const LinearData<T>& data, std::size_t start, std::size_t count, std::size_t n_features) {
    LinearData<T> part = data;
    part.n_used = count;
    if (data.rows) {
        part.rows = data.rows + start;
        part.n_readable = data.n_readable - start;
    } else {
        part.n_readable = data.n_readable - start;
        part.X = data.X + start * n_features;
        part.y = data.y + start * data.y_width;
        part.sample_weight = data.sample_weight ? data.sample_weight + start : nullptr;
    }
    return part;
}

// Medium batches (too small for RowPass's threads, large enough for a team: see
// linear_epoch) are cut into up to max_batch_parts parts of consecutive rows. Each part's gradient is summed
// on its own (in T over blocks of rows_per_block, then in double) and the parts are added
// in order, so the result depends on the batch's size only: the same bits whether one
// thread sums every part or a team of threads shares them.
inline constexpr std::size_t min_rows_per_part = 16;
inline constexpr std::size_t max_batch_parts = 4;

inline std::size_t batch_parts(std::size_t rows) {
    return std::min(max_batch_parts, std::max<std::size_t>(1, rows / min_rows_per_part));
}

// Row-elements of a batch (rows x coefficients) per team member, at least. Members meet once
// per batch and read each other's sums, which cost one to two microseconds per batch on
// the 2-core development machine (a VM, where cores talk slowly), about what one thread
// needs for 32 rows of 100 features from memory. Measured there (n = 200,000, d = 100,
// SGD and Adam, 2 threads against 1): 32 rows per batch lose, 64 rows gain ~1.2x, 256 rows
// ~1.4-1.6x.
inline constexpr std::size_t min_batch_elements_per_member = 3072;

namespace detail {

// Part p of a batch of `rows` rows in `parts` parts starts at this row of the batch.
inline std::size_t part_begin(std::size_t rows, std::size_t parts, std::size_t p) {
    return rows / parts * p + std::min(p, rows % parts);
}

// The parts of a batch that team member m of `members` sums: [first_part, end_part).
inline std::size_t first_part(std::size_t parts, int member, int members) {
    return parts * static_cast<std::size_t>(member) / static_cast<std::size_t>(members);
}

// One member's copy of what a step writes (weights, optimizer state, step counters) and its
// scratch. Member 0 steps the caller's own buffers; the others step private copies with the
// same operations on the same summed gradient, so every copy holds the same bits and no
// member waits for another to publish new weights: one meeting per batch suffices. Every
// buffer a member writes starts on its own cache line (CacheLineBuffer).
template <class T>
struct TeamMember {
    CacheLineBuffer<T> own_theta;
    CacheLineBuffer<T> own_state[max_state_buffers];
    CacheLineBuffer<double> own_counters;
    ParamBuffers<T> buffers;
    double* counters = nullptr;
    std::vector<std::int64_t> stream;  // this member's rows over the epoch, in order
    CacheLineBuffer<double> summed, scratch;
    CacheLineBuffer<T> grad, block;
    double loss_sum = 0.0;
    std::size_t rows_seen = 0;
    std::size_t steps = 0;
    bool finite = true;
    bool interrupted = false;
};

// The epoch of split_batch_epoch with `members` members (1: all on the calling thread).
// Returns false, with the caller's buffers untouched, if the system refused a thread.
template <class T>
bool run_split_batch_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                           const Hyper& hyper, const Schedule& schedule, double* counters,
                           const ParamBuffers<T>& params, int members, EpochResult* result,
                           std::size_t* rows_seen, Interrupt* interrupt) {
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t K = pb.n_outputs;
    const std::size_t n = data.n_used;
    const std::size_t n_batches = (n + batch_size - 1) / batch_size;
    const std::size_t most_parts = batch_parts(batch_size);
    const bool fused_sgd = sgd_fuses_with_gradient(hyper);
    const int n_state = state_buffer_count(hyper);

    std::vector<TeamMember<T>> team(static_cast<std::size_t>(members));
    for (int m = 0; m < members; ++m) {
        TeamMember<T>& me = team[static_cast<std::size_t>(m)];
        if (m == 0) {
            me.buffers = params;
            me.counters = counters;
        } else {
            me.own_theta.assign(P);
            std::copy(params.param, params.param + P, me.own_theta.data());
            me.buffers.param = me.own_theta.data();
            me.buffers.size = P;
            for (int j = 0; j < n_state; ++j) {
                if (params.state[j] != nullptr) {
                    me.own_state[j].assign(P);
                    std::copy(params.state[j], params.state[j] + P, me.own_state[j].data());
                    me.buffers.state[j] = me.own_state[j].data();
                }
            }
            me.own_counters.assign(n_counters);
            std::copy(counters, counters + n_counters, me.own_counters.data());
            me.counters = me.own_counters.data();
        }
        me.summed.assign(P);
        me.grad.assign(P);
        me.block.assign(n_coef);
        me.scratch.assign(2 * K);
    }
    // Each member reads its rows through its own list, in the order it sums them, so that
    // it prefetches its own next rows (in the next batch), not another member's.
    if (members > 1) {
        for (std::size_t b = 0; b < n_batches; ++b) {
            const std::size_t start = b * batch_size;
            const std::size_t rows = std::min(batch_size, n - start);
            const std::size_t parts = batch_parts(rows);
            for (int m = 0; m < members; ++m) {
                const std::size_t lo = part_begin(rows, parts, first_part(parts, m, members));
                const std::size_t hi = part_begin(rows, parts, first_part(parts, m + 1, members));
                auto& stream = team[static_cast<std::size_t>(m)].stream;
                for (std::size_t i = start + lo; i < start + hi; ++i) {
                    stream.push_back(static_cast<std::int64_t>(data.row(i)));
                }
            }
        }
    }
    // Per-part sums of two consecutive batches (a member may start summing batch b + 1
    // while another still reads the sums of batch b): coefficient and intercept sums, then
    // the loss sum, each part on whole cache lines so that two members never write one line.
    const std::size_t part_stride = (P + 1 + 7) / 8 * 8;
    CacheLineBuffer<double> partials(2 * most_parts * part_stride);
    RoundBarrier barrier(members);
    // Member 0 (the calling thread) polls for a stop before each batch and publishes its
    // answer with the batch's sums (double-buffered like them), so every member stops at
    // the same batch.
    bool stop_before[2] = {false, false};

    const bool ran = run_team(members, barrier, [&](int m) {
        TeamMember<T>& me = team[static_cast<std::size_t>(m)];
        LinearData<T> mine = data;
        if (members > 1) {
            mine.rows = me.stream.data();
            mine.n_readable = me.stream.size();
        }
        std::size_t position = 0;  // in `mine` (the member's stream, or the epoch's rows)
        const T* theta = me.buffers.param;
        const T* const grads[1] = {me.grad.data()};
        for (std::size_t b = 0; b < n_batches; ++b) {
            const std::size_t start = b * batch_size;
            const std::size_t rows = std::min(batch_size, n - start);
            const std::size_t parts = batch_parts(rows);
            double* round = partials.data() + (b % 2) * most_parts * part_stride;
            const std::size_t p_end = first_part(parts, m + 1, members);
            if (members == 1) {
                position = start;
            }
            if (m == 0) {
                stop_before[b % 2] = interrupt != nullptr && interrupt->requested(rows * n_coef);
            }
            for (std::size_t p = first_part(parts, m, members); p < p_end; ++p) {
                const std::size_t count = part_begin(rows, parts, p + 1) - part_begin(rows, parts, p);
                double* out = round + p * part_stride;
                std::fill(out, out + P, 0.0);
                const LinearData<T> part = row_range(mine, position, count, pb.n_features);
                out[P] = accumulate_rows(pb, part, theta, 0, count, out, me.block.data(), me.scratch.data());
                position += count;
            }
            if (members > 1 && !barrier.arrive_and_wait(m, b)) {
                break;
            }
            if (stop_before[b % 2]) {
                me.interrupted = true;
                break;
            }
            double loss = round[P];
            std::copy(round, round + P, me.summed.data());
            for (std::size_t q = 1; q < parts; ++q) {
                const double* part_sums = round + q * part_stride;
                loss += part_sums[P];
                for (std::size_t j = 0; j < P; ++j) {
                    me.summed.data()[j] += part_sums[j];
                }
            }
            // Every member sees the same loss, so all stop at the same batch.
            if (!std::isfinite(loss)) {
                me.finite = false;
                break;
            }
            me.loss_sum += loss;
            me.rows_seen += rows;
            const double m_rows = static_cast<double>(rows);
            if (fused_sgd) {
                const double lr = begin_step(hyper, schedule, me.counters).lr;
                with_flags([&](auto maximize, auto decay) {
                    finish_and_sgd_step<T, decltype(maximize)::value, decltype(decay)::value>(
                        pb, hyper, lr, me.buffers.param, me.summed.data(), me.summed.data() + n_coef, m_rows);
                }, hyper.maximize, hyper.weight_decay != 0.0);
            } else {
                finish_gradient(pb, theta, me.summed.data(), me.summed.data() + n_coef, m_rows, me.grad.data());
                optimizer_step(hyper, schedule, me.counters, &me.buffers, grads, 1, 1);
            }
            ++me.steps;
        }
    });
    if (!ran) {
        return false;
    }
    const TeamMember<T>& lead = team[0];
    result->loss = lead.loss_sum;
    result->steps = lead.steps;
    result->finite = lead.finite;
    result->interrupted = lead.interrupted;
    *rows_seen = lead.rows_seen;
    return true;
}

}  // namespace detail

// linear_epoch for medium batches: the batch's parts are summed by a team of threads that
// meet once per batch (see TeamMember), or all by the calling thread, with the same result.
// Returns the data loss sum, the rows seen and the steps in an EpochResult (loss = sum).
// If the system refuses a thread, the epoch runs on the calling thread alone.
template <class T>
EpochResult split_batch_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                              const Hyper& hyper, const Schedule& schedule, double* counters,
                              const ParamBuffers<T>& params, int n_threads, std::size_t* rows_seen,
                              Interrupt* interrupt) {
    const std::size_t n_batches = (data.n_used + batch_size - 1) / batch_size;
    const std::size_t most_parts = batch_parts(batch_size);
    const std::size_t worth = batch_size * pb.n_coef() / min_batch_elements_per_member;
    int members = 1;
    if (most_parts >= 2 && n_batches >= 2 && worth >= 2 && n_threads != 1) {
        // Never more members than cores: a waiting member spins on its core.
        const int cores = usable_cores();
        const int wanted = n_threads > 0 ? std::min(n_threads, cores) : cores;
        members = static_cast<int>(std::min({most_parts, worth, static_cast<std::size_t>(wanted)}));
    }
    EpochResult result;
    if (!detail::run_split_batch_epoch(pb, data, batch_size, hyper, schedule, counters, params, members, &result,
                                       rows_seen, interrupt)) {
        detail::run_split_batch_epoch(pb, data, batch_size, hyper, schedule, counters, params, 1, &result,
                                      rows_seen, interrupt);
    }
    return result;
}

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
// at a time as in sum_rows_into.
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
    const bool fused_sgd = detail::sgd_fuses_with_gradient(hyper);
    T* theta = params.param;
    const T* const grads[1] = {grad};
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
        const double intercept = static_cast<double>(theta[d]);
        double loss = 0.0;
        double intercept_sum = 0.0;
        for (std::size_t i = 0; i < rows; ++i) {
            const std::size_t r = batch.row(i);
            const double sw = batch.sample_weight ? static_cast<double>(batch.sample_weight[r]) : 1.0;
            const double z = (halves[i] + halves[batch_size + i]) + intercept;
            double derivative;
            loss += sw * loss_and_derivative(pb.loss, z, static_cast<double>(batch.y[r]), &derivative);
            g[i] = sw * derivative;
            intercept_sum += g[i];
        }
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
        const double m_rows = static_cast<double>(rows);
        if (fused_sgd) {
            const double lr = begin_step(hyper, schedule, counters).lr;
            detail::with_flags([&](auto maximize, auto decay) {
                detail::finish_and_sgd_step<T, decltype(maximize)::value, decltype(decay)::value>(
                    pb, hyper, lr, theta, static_cast<const T*>(grad), &intercept_sum, m_rows);
            }, hyper.maximize, hyper.weight_decay != 0.0);
        } else {
            finish_gradient(pb, theta, static_cast<const T*>(grad), &intercept_sum, m_rows, grad);
            optimizer_step(hyper, schedule, counters, &params, grads, 1, 1);
        }
        ++result.steps;
    }
    return result;
}

}  // namespace detail

// How an epoch sums its batches. Chosen by the batch's and the problem's size (and the rule,
// for the fused SGD paths) only, never by n_threads: the ways round differently, and a fit
// must give the same bits whatever n_jobs is.
enum class BatchPath {
    stochastic_sgd,  // single rows, plain SGD, single output: sgd_row_steps
    stochastic,      // single rows, any other rule, single output: rule_row_steps
    team_parts,      // medium batches cut into row parts shared by a team: split_batch_epoch
    column_halves,   // small batches of one output with many features: column_split_epoch
    small_rows,      // other small batches, summed in T straight into the gradient
    row_pass,        // large batches: RowPass, threads per batch
};

// The one place an epoch's batch path is chosen. In the order they are tried:
// - Medium batches, which RowPass would not thread (below twice its per-thread minimum)
//   but a team could (at least twice min_batch_elements_per_member), are cut into parts
//   that a team of threads shares for the whole epoch (split_batch_epoch).
// - Small batches of a single-output model with enough features are summed in two
//   passes over column halves (column_split_epoch, see column_split_applies).
// - Other small batches (up to rows_per_block rows) are summed straight into the gradient in
//   T and finished in place; single rows of a single-output model take a stochastic loop,
//   fused with the update for plain SGD (sgd_row_steps), else one call per step to the
//   rule (rule_row_steps). There the per-step passes over the parameters are the cost.
// - Larger ones go through RowPass (double partials, threads per batch).
inline BatchPath choose_batch_path(const LinearProblem& pb, std::size_t batch_size, const Hyper& hyper) {
    const std::size_t n_coef = pb.n_coef();
    const bool medium_or_small = batch_size * n_coef < 2 * min_row_elements_per_thread;
    if (!medium_or_small) {
        return BatchPath::row_pass;
    }
    if (batch_parts(batch_size) >= 2 && batch_size * n_coef >= 2 * min_batch_elements_per_member) {
        return BatchPath::team_parts;
    }
    if (column_split_applies(pb, batch_size)) {
        return BatchPath::column_halves;
    }
    if (batch_size > detail::rows_per_block) {
        return BatchPath::row_pass;
    }
    if (batch_size == 1 && pb.n_outputs == 1 && !loss_is_multinomial(pb.loss)) {
        return detail::sgd_fuses_with_gradient(hyper) ? BatchPath::stochastic_sgd : BatchPath::stochastic;
    }
    return BatchPath::small_rows;
}

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

// Epochs of problems whose penalty has an l1 part (l1_epoch.hpp).
template <class T>
EpochResult l1_linear_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                            const Hyper& hyper, const Schedule& schedule, double* counters,
                            const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                            Interrupt* interrupt);

// One pass over the rows of `data` in their given order, in batches of `batch_size` rows
// (the last batch may be smaller), one optimizer step per batch. The optimizer's state,
// step counters and schedule are the caller's (a pygdx.optim optimizer's), so the update is
// exactly pygdx.optim's. A requested interrupt stops it between two batches (or rows), with
// `interrupted` set; the caller then restores what it saved before the epoch.
template <class T>
EpochResult linear_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t requested_batch_size,
                         const Hyper& hyper, const Schedule& schedule, double* counters,
                         const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                         Interrupt* interrupt = nullptr) {
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t n = data.n_used;
    // A batch is never larger than the epoch (and batch_size x n_coef cannot overflow).
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(n, 1));
    if (penalty_weights(pb.penalty).l1 != 0.0) {
        return l1_linear_epoch(pb, data, batch_size, hyper, schedule, counters, params, work, n_threads, interrupt);
    }
    const T* theta = params.param;
    T* grad = work.grad.data();
    const T* const grads[1] = {grad};
    const BatchPath path = choose_batch_path(pb, batch_size, hyper);
    // The penalty is reported at the epoch's starting weights: evaluating it at every step
    // would cost a pass over the parameters per step, as much as the update itself.
    const double epoch_penalty = penalty_value(pb.penalty, theta, n_coef);
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    switch (path) {
    case BatchPath::stochastic_sgd:
    case BatchPath::stochastic: {
        detail::RowSteps done;
        if (path == BatchPath::stochastic) {
            done = detail::rule_row_steps(pb, data, hyper, schedule, counters, params, grad, interrupt);
        } else {
            detail::with_flags([&](auto maximize, auto decay) {
                done = detail::sgd_row_steps<T, decltype(maximize)::value, decltype(decay)::value>(
                    pb, data, hyper, schedule, counters, params.param, interrupt);
            }, hyper.maximize, hyper.weight_decay != 0.0);
        }
        data_loss_sum = done.loss_sum;
        rows_seen = done.steps;
        result.steps = done.steps;
        result.finite = done.finite;
        result.interrupted = done.interrupted;
        break;
    }
    case BatchPath::team_parts:
        result = split_batch_epoch(pb, data, batch_size, hyper, schedule, counters, params, n_threads, &rows_seen,
                                   interrupt);
        data_loss_sum = result.loss;
        break;
    case BatchPath::column_halves:
        result = detail::column_split_epoch(pb, data, batch_size, hyper, schedule, counters, params, grad,
                                            &rows_seen, interrupt);
        data_loss_sum = result.loss;
        break;
    case BatchPath::small_rows:
    case BatchPath::row_pass: {
        const bool small = path == BatchPath::small_rows;
        // The fused path steps itself, and only after a finite loss (for large batches too,
        // with the same bits, so that plain SGD's weight decay is clamped on every path).
        const bool fused_sgd = detail::sgd_fuses_with_gradient(hyper);
        for (std::size_t start = 0; start < n; start += batch_size) {
            const std::size_t rows = std::min(batch_size, n - start);
            if (interrupt != nullptr && interrupt->requested(rows * n_coef)) {
                result.interrupted = true;
                break;
            }
            const LinearData<T> batch = row_range(data, start, rows, pb.n_features);
            const double m = static_cast<double>(rows);
            double loss_sum;
            if (small) {
                std::fill(grad, grad + n_coef, T(0));
                double* intercept_sums = work.summed.data() + n_coef;
                std::fill(intercept_sums, intercept_sums + pb.n_outputs, 0.0);
                loss_sum = detail::sum_rows_into(pb, batch, theta, 0, rows, grad, intercept_sums,
                                                 work.outputs.data());
                if (!fused_sgd) {
                    finish_gradient(pb, theta, static_cast<const T*>(grad), intercept_sums, m, grad);
                } else if (std::isfinite(loss_sum)) {
                    const double lr = begin_step(hyper, schedule, counters).lr;
                    detail::with_flags([&](auto maximize, auto decay) {
                        detail::finish_and_sgd_step<T, decltype(maximize)::value, decltype(decay)::value>(
                            pb, hyper, lr, params.param, grad, intercept_sums, m);
                    }, hyper.maximize, hyper.weight_decay != 0.0);
                }
            } else {
                loss_sum = work.pass.sum(batch, theta, work.summed.data());
                if (!fused_sgd) {
                    finish_gradient(pb, theta, work.summed.data(), work.summed.data() + n_coef, m, grad);
                } else if (std::isfinite(loss_sum)) {
                    const double lr = begin_step(hyper, schedule, counters).lr;
                    detail::with_flags([&](auto maximize, auto decay) {
                        detail::finish_and_sgd_step<T, decltype(maximize)::value, decltype(decay)::value>(
                            pb, hyper, lr, params.param, static_cast<const double*>(work.summed.data()),
                            work.summed.data() + n_coef, m);
                    }, hyper.maximize, hyper.weight_decay != 0.0);
                }
            }
            // Every row's loss is in the sum, so a NaN or inf in the batch's data, decision
            // values or weights shows here, before the step could spread it.
            if (!std::isfinite(loss_sum)) {
                result.finite = false;
                break;
            }
            data_loss_sum += loss_sum;
            rows_seen += rows;
            if (!fused_sgd) {
                optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
            }
            ++result.steps;
        }
        break;
    }
    }
    // A step can still overflow the weights (a rate far too large): the caller then restores
    // the weights it saved before the epoch.
    for (std::size_t j = 0; j < P && result.finite; ++j) {
        result.finite = std::isfinite(static_cast<double>(theta[j]));
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace pygdx

#include "core/l1_epoch.hpp"
