// The medium-batch path (BatchPath::team_parts): each batch cut into a fixed number of row
// parts, summed by a team of threads that meet once per batch, with the same bits whatever
// the number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/batch_rows.hpp"
#include "core/batch_step.hpp"
#include "core/column_halves_epoch.hpp"
#include "core/epoch_result.hpp"
#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/team.hpp"

namespace pygdx {

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
// SGD and Adam, 2 threads against 1), parts summed row by row: 32 rows per batch lose, 64
// rows gain ~1.2x, 256 rows ~1.4-1.6x. Parts summed in column halves (single output, see
// column_half_parts_apply) wait longer on memory per row, so 16 rows of 100 features per
// member already pay (bench_team.cpp, batch 32: RESULTS_floor.md, session 6).
inline constexpr std::size_t min_batch_elements_per_member = 3072;
inline constexpr std::size_t min_column_half_elements_per_member = 1600;

// The row-elements per team member at least, for this problem's parts.
inline std::size_t min_elements_per_member(const LinearProblem& pb) {
    return detail::column_half_parts_apply(pb) ? min_column_half_elements_per_member
                                               : min_batch_elements_per_member;
}

namespace detail {

// Part p of a batch of `rows` rows in `parts` parts starts at this row of the batch.
inline std::size_t part_begin(std::size_t rows, std::size_t parts, std::size_t p) {
    return rows / parts * p + std::min(p, rows % parts);
}

// The parts of a batch that team member m of `members` sums: [first_part, end_part).
inline std::size_t first_part(std::size_t parts, int member, int members) {
    return parts * static_cast<std::size_t>(member) / static_cast<std::size_t>(members);
}

// Sums parts [p_begin, p_end) of a batch of `rows` rows of `pb`'s problem, the batch's rows
// read from `source` from `position` on: each part's per-row gradient sums (n_params
// doubles) and, after them, its weighted loss, into `round` at p * part_stride. Single-output
// parts are summed in column halves (see column_split_epoch), others row by row. Returns the
// position after the parts read.
template <class T>
std::size_t sum_batch_parts(const LinearProblem& pb, const LinearData<T>& source, std::size_t position,
                            std::size_t rows, std::size_t p_begin, std::size_t p_end, const T* theta,
                            bool column_halves, double* round, std::size_t part_stride, T* block, double* scratch) {
    const std::size_t P = pb.n_params();
    const std::size_t parts = batch_parts(rows);
    for (std::size_t p = p_begin; p < p_end; ++p) {
        const std::size_t count = part_begin(rows, parts, p + 1) - part_begin(rows, parts, p);
        double* out = round + p * part_stride;
        std::fill(out, out + P, 0.0);
        const LinearData<T> part = row_range(source, position, count, pb.n_features);
        out[P] = column_halves ? column_half_sums(pb, part, theta, out, block, scratch)
                               : accumulate_rows(pb, part, theta, 0, count, out, block, scratch);
        position += count;
    }
    return position;
}

// The batch's gradient sums (P doubles, into `summed`) and its loss (returned): its `parts`
// parts' sums in `round` added in part order, whoever summed them.
inline double add_batch_parts(const double* round, std::size_t parts, std::size_t part_stride, std::size_t P,
                              double* summed) {
    double loss = round[P];
    std::copy(round, round + P, summed);
    for (std::size_t q = 1; q < parts; ++q) {
        const double* part_sums = round + q * part_stride;
        loss += part_sums[P];
        for (std::size_t j = 0; j < P; ++j) {
            summed[j] += part_sums[j];
        }
    }
    return loss;
}

// A team that keeps waiting for a member that is off its core (the machine runs more
// threads than it has cores) would be slower than one thread: measured at batch 32 under a
// load of 5 on 2 cores, 126 ms an epoch against 68 ms for the same parts summed by one
// thread. Every member counts its meetings that waited `slow_wait` or longer (a member off
// its core keeps the others waiting, and only they see it); once `most_slow_meetings` of a
// window of `meeting_window` batches were, member 0 sums every part itself for the rest of
// the epoch (the parts, and so the bits, stay the same) and the others stop. The next epoch
// starts a team again. A slow_wait of zero counts every meeting (tests force a handover
// with it).
struct TeamPatience {
    std::size_t meeting_window = 64;
    std::size_t most_slow_meetings = 4;
    RoundBarrier::Clock::duration slow_wait = RoundBarrier::spin_time;
};

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
                           std::size_t* rows_seen, Interrupt* interrupt, TeamPatience patience = {}) {
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t K = pb.n_outputs;
    const std::size_t n = data.n_used;
    const std::size_t n_batches = (n + batch_size - 1) / batch_size;
    const std::size_t most_parts = batch_parts(batch_size);
    const int n_state = state_buffer_count(hyper);
    // Single-output parts are summed in column halves, which read a shuffled batch faster
    // (see column_split_epoch), others row by row.
    const bool column_halves = column_half_parts_apply(pb);

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
        me.scratch.assign(std::max(2 * K, column_half_scratch));
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
    // The batch after which member 0 sums alone (see TeamPatience): stored by member 0
    // before it meets the others for that batch, read by them after the meeting; atomic
    // because a member may read it while member 0, already alone, runs on.
    std::atomic<std::size_t> alone_after{n_batches};
    // The slow meetings of the current window, counted by every member, reset by member 0
    // (a count that lands across a reset only moves the handover by a batch: no bits).
    std::atomic<std::size_t> slow_meetings{0};

    const bool ran = run_team(members, barrier, [&](int m) {
        TeamMember<T>& me = team[static_cast<std::size_t>(m)];
        LinearData<T> mine = data;
        if (members > 1) {
            mine.rows = me.stream.data();
            mine.n_readable = me.stream.size();
        }
        std::size_t position = 0;  // in `mine` (the member's stream, or the epoch's rows)
        const T* theta = me.buffers.param;
        bool alone = members == 1;
        for (std::size_t b = 0; b < n_batches; ++b) {
            const std::size_t start = b * batch_size;
            const std::size_t rows = std::min(batch_size, n - start);
            const std::size_t parts = batch_parts(rows);
            double* round = partials.data() + (b % 2) * most_parts * part_stride;
            const LinearData<T>& source = alone ? data : mine;
            const std::size_t p_begin = alone ? 0 : first_part(parts, m, members);
            const std::size_t p_end = alone ? parts : first_part(parts, m + 1, members);
            if (alone) {
                position = start;
            }
            if (m == 0) {
                stop_before[b % 2] = interrupt != nullptr && interrupt->requested(rows * n_coef);
                // Judged before the window's count restarts, so a slow meeting at a window's
                // last batch still counts.
                if (!alone && slow_meetings.load(std::memory_order_relaxed) >= patience.most_slow_meetings) {
                    alone_after.store(b, std::memory_order_relaxed);
                }
                if (patience.meeting_window > 0 && b % patience.meeting_window == 0) {
                    slow_meetings.store(0, std::memory_order_relaxed);
                }
            }
            position = sum_batch_parts(pb, source, position, rows, p_begin, p_end, theta, column_halves, round,
                                       part_stride, me.block.data(), me.scratch.data());
            if (!alone) {
                RoundBarrier::Clock::duration waited{};
                if (!barrier.arrive_and_wait(m, b, &waited)) {
                    break;
                }
                if (waited >= patience.slow_wait) {
                    slow_meetings.fetch_add(1, std::memory_order_relaxed);
                }
                if (alone_after.load(std::memory_order_relaxed) <= b) {
                    if (m != 0) {
                        break;  // member 0 steps this batch and sums every later one
                    }
                    alone = true;
                }
            }
            if (stop_before[b % 2]) {
                me.interrupted = true;
                break;
            }
            const double loss = add_batch_parts(round, parts, part_stride, P, me.summed.data());
            // Every member sees the same loss, so all stop at the same batch.
            if (!std::isfinite(loss)) {
                me.finite = false;
                break;
            }
            me.loss_sum += loss;
            me.rows_seen += rows;
            step_from_sums(pb, hyper, schedule, me.counters, me.buffers, static_cast<const double*>(me.summed.data()),
                           me.summed.data() + n_coef, static_cast<double>(rows), me.grad.data(), 1);
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
    const std::size_t worth = batch_size * pb.n_coef() / min_elements_per_member(pb);
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

}  // namespace pygdx
