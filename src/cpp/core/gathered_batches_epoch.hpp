// Medium batches (BatchPath::team_parts) over rows that do not fit in the caches, with their
// rows gathered ahead into a ring (rows_gathered_ahead.hpp) instead of summed by a team.
//
// The team (team_parts_epoch.hpp) shares each batch's reading between its members and meets
// once per batch. Here one thread steps every batch from rows already copied, in the epoch's
// order, into a ring that stays in the caches, and the reading of the shuffled rows is what
// the cores share: a helper thread gathers chunks of whole batches ahead, and the stepping
// thread gathers the next chunk itself whenever the one it needs is not there yet. The
// threads meet through the ring's counters only. Each batch is cut into the team's parts
// and summed with the team's arithmetic in the team's order (sum_batch_parts,
// add_batch_parts): the same bits as the team, with any number of threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/column_halves_epoch.hpp"
#include "core/epoch_result.hpp"
#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/rows_gathered_ahead.hpp"
#include "core/team_parts_epoch.hpp"

namespace pygdx {
namespace detail {

// Which medium batches are stepped from gathered rows rather than summed by the team, and
// the ring they use. Measured on the 2-core development machine (bench_rows batches, 200,000
// x 100, SGD, wall time, RESULTS_floor.md session 9): with both threads gathering into a ring
// of 512 KiB, batches of 32, 64 and 128 rows took 0.7-1.1x the team's time (the team meets
// once per batch, 1-2 us on that VM); at 256 rows the team's two cores summing won as often as
// it lost (0.8-1.3x), so batches above 128 rows stay with the team. A ring of 256 KiB gained
// less at batch 32 (0.85-1.1x): its few slots of whole batches left the helper waiting.
inline constexpr std::size_t gathered_batch_max_rows = 128;
inline constexpr std::size_t gathered_batch_ring_bytes = std::size_t{512} << 10;
inline constexpr std::size_t gathered_batch_min_chunk_rows = 64;

// Rows per chunk of the ring: whole batches, at least gathered_batch_min_chunk_rows rows.
inline std::size_t gathered_batch_chunk_rows(std::size_t batch_size) {
    return batch_size *
           std::max<std::size_t>(1, (gathered_batch_min_chunk_rows + batch_size - 1) / batch_size);
}

// How an epoch of batches of batch_size rows (of the team_parts path) over n_rows rows of d
// features of T reads its rows: gathered ahead by both threads for batches of up to
// gathered_batch_max_rows rows where gathers_rows_ahead says; else in place (the team).
template <class T>
GatherPlan gathered_batch_plan(std::size_t n_rows, std::size_t d, std::size_t batch_size, int n_threads) {
    GatherPlan plan = gather_plan<T>(n_rows, d, n_threads, gathered_batch_chunk_rows(batch_size), GatherShare::both,
                                     gathered_batch_ring_bytes);
    plan.gathers = plan.gathers && batch_size <= gathered_batch_max_rows;
    return plan;
}

// The epoch of split_batch_epoch on one stepping thread, its rows read as `plan` says
// (chunks of whole batches: gathered_batch_chunk_rows). Returns the data loss sum, the rows seen and the steps in an EpochResult
// (loss = sum).
template <class T>
EpochResult gathered_batches_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                                   const Hyper& hyper, const Schedule& schedule, double* counters,
                                   const ParamBuffers<T>& params, std::size_t* rows_seen,
                                   Interrupt* interrupt, const GatherPlan& plan) {
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t part_stride = (P + 1 + 7) / 8 * 8;
    const bool column_halves = column_half_parts_apply(pb);
    std::vector<double> partials(batch_parts(batch_size) * part_stride), summed(P);
    std::vector<double> scratch(std::max(2 * pb.n_outputs, column_half_scratch));
    std::vector<T> grad(P), block(n_coef);
    EpochResult result;
    *rows_seen = 0;
    const auto step_batches = [&](const LinearData<T>& rows) {
        for (std::size_t start = 0; start < rows.n_used; start += batch_size) {
            const std::size_t count = std::min(batch_size, rows.n_used - start);
            if (interrupt != nullptr && interrupt->requested(count * n_coef)) {
                result.interrupted = true;
                return false;
            }
            const std::size_t parts = batch_parts(count);
            sum_batch_parts(pb, rows, start, count, 0, parts, static_cast<const T*>(params.param), column_halves,
                            partials.data(), part_stride, block.data(), scratch.data());
            const double loss = add_batch_parts(partials.data(), parts, part_stride, P, summed.data());
            // A NaN or inf in the batch's data, decision values or weights shows here, before
            // the step could spread it.
            if (!std::isfinite(loss)) {
                result.finite = false;
                return false;
            }
            result.loss += loss;
            *rows_seen += count;
            step_from_sums(pb, hyper, schedule, counters, params, static_cast<const double*>(summed.data()),
                           summed.data() + n_coef, static_cast<double>(count), grad.data(), 1);
            ++result.steps;
        }
        return true;
    };
    steps_on_rows_gathered_ahead(data, pb.n_features, plan, step_batches);
    return result;
}

}  // namespace detail

// linear_epoch for BatchPath::team_parts: the batches stepped from rows gathered ahead where
// gathered_batch_plan says so, else summed by the team (split_batch_epoch). The same bits
// either way, with any thread count.
template <class T>
EpochResult medium_batch_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                               const Hyper& hyper, const Schedule& schedule, double* counters,
                               const ParamBuffers<T>& params, int n_threads, std::size_t* rows_seen,
                               Interrupt* interrupt) {
    const detail::GatherPlan plan = detail::gathered_batch_plan<T>(data.n_used, pb.n_features, batch_size, n_threads);
    if (plan.gathers) {
        return detail::gathered_batches_epoch(pb, data, batch_size, hyper, schedule, counters, params, rows_seen,
                                              interrupt, plan);
    }
    return split_batch_epoch(pb, data, batch_size, hyper, schedule, counters, params, n_threads, rows_seen, interrupt);
}

}  // namespace pygdx
