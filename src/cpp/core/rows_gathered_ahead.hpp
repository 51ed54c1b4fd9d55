// Stochastic (batch-1) epochs over rows that do not fit in the caches, with a second thread
// that gathers the rows of the epoch's order ahead of the stepping thread.
//
// A stochastic epoch is one chain of steps: each needs the last one's weights. On data far
// larger than the caches every row is a miss, and one core keeps only a few rows in flight
// (its miss buffers are few, and a step's arithmetic holds up the requests for the rows
// after it): the float64 epoch on 200,000 x 100 took about its compute plus the one-core
// shuffled floor, 1.5-1.6x that floor (float32 1.8-2.3x). Here a helper thread copies the
// rows, in the epoch's order, into a ring of about 256 KiB that the stepping thread reads in
// order: the gather's misses are the helper core's, and the steps read lines the other core
// has just written (RESULTS_floor.md, session 8). The helper's gather alone cost 1.07-1.2x
// the one-core floor, which bounded that method: so whenever the chunk the stepping thread
// needs is not there yet, it gathers the next unclaimed chunk itself instead of waiting, and
// both cores' reads are in flight (GatherShare::both, session 9). The same ring serves medium
// batches (gathered_batches_epoch.hpp). The rows' values and the steps are the same: a fit
// gives the same bits with any thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <vector>

#include "core/ahead_thread.hpp"
#include "core/batch_rows.hpp"
#include "core/chunk_claims.hpp"
#include "core/linear.hpp"
#include "core/parallel.hpp"
#include "core/row_kernels.hpp"
#include "core/row_steps.hpp"
#include "core/spin_wait.hpp"

namespace pygdx {
namespace detail {

// Below this many bytes of rows per epoch they stay in (or near) the last-level cache, and
// the gather only adds its copies and meetings (measured slower at 16 MiB on a 32 MiB L3).
inline constexpr std::size_t gather_ahead_min_bytes = std::size_t{32} << 20;
// Rows longer than this are streamed within the row by the hardware prefetcher already,
// and a ring of them would not fit in the cache.
inline constexpr std::size_t gather_ahead_max_row_bytes = 16384;
// The ring: small enough to stay in the cores' L2 caches, large enough for the helper to
// run a few hundred rows ahead.
inline constexpr std::size_t gather_ring_bytes = std::size_t{256} << 10;
// Rows handed over per meeting: the stepping thread's step across a chunk boundary is not
// fused with the next row's dot product (sgd_row_steps), one extra pass over the weights
// per chunk.
inline constexpr std::size_t gather_chunk_rows = 32;

// Whether a stochastic epoch over n_rows rows of d features of `item_bytes` each gathers its
// rows ahead with a second thread; n_threads <= 0 means every usable core.
inline bool gathers_rows_ahead(std::size_t n_rows, std::size_t d, std::size_t item_bytes, int n_threads) {
    const std::size_t row_bytes = d * item_bytes;
    if (row_bytes == 0 || row_bytes > gather_ahead_max_row_bytes || n_rows < gather_ahead_min_bytes / row_bytes) {
        return false;
    }
    // Asked last: usable_cores() is a system call.
    return n_threads > 1 || (n_threads <= 0 && usable_cores() > 1);
}

// How the epoch's gathering is shared: by the helper alone, or also by the stepping thread
// whenever the chunk it needs next is not there yet (it then gathers the next unclaimed
// chunk itself, so both cores' reads are in flight; see GatherRing::chunk).
enum class GatherShare { helper_only, both };

// Batch-1 epochs: both threads gather. Measured (bench_rows batches 1, 200,000 x 100, wall
// time, RESULTS_floor.md session 9) against the helper alone: SGD float64 0.94x and 0.66x
// (two runs), float32 0.65x and 0.98x; Adam 0.93-1.10x (its steps, not the reads, bound it).
inline constexpr GatherShare stochastic_gather_share = GatherShare::both;

// The ring the helper fills: the epoch's rows in chunks of chunk_rows rows; chunk k sits in
// slot k % slots, its rows with their target(s) and sample weights side by side, so that
// the stepping thread reads a chunk as a LinearData of its own. Chunks are claimed in
// order, each by the thread that gathers it (the helper, or the stepping thread when it
// helps), and published per slot: they may be finished out of order, and are read in order.
template <class T>
class GatherRing {
public:
    GatherRing(const LinearData<T>& data, std::size_t d, std::size_t chunk_rows, std::size_t slots)
        : data_(data),
          d_(d),
          chunk_rows_(chunk_rows),
          slots_(std::max<std::size_t>(2, slots)),
          chunks_((data.n_used + chunk_rows - 1) / chunk_rows),
          X_(slots_ * chunk_rows * d),
          y_(slots_ * chunk_rows * data.y_width),
          sample_weight_(data.sample_weight ? slots_ * chunk_rows : 0),
          claims_(chunks_, slots_) {}

    std::size_t chunks() const { return chunks_; }

    // The helper's work (ChunkClaims::gather).
    void gather() {
        claims_.gather([&](std::size_t k) { copy_chunk(k); });
    }

    // Chunk c of the epoch (chunks are read in order, 0, 1, 2, ...), once gathered, or its
    // rows in place when the helper is late with it (ChunkClaims::await). With
    // GatherShare::both, while chunk c is not there the calling thread gathers the next
    // unclaimed chunk whose slot is free instead of waiting.
    LinearData<T> chunk(std::size_t c, GatherShare share) {
        const ChunkRead read = claims_.await(c, share == GatherShare::both, [&](std::size_t k) { copy_chunk(k); });
        const std::size_t first = c * chunk_rows_;
        const std::size_t rows = std::min(data_.n_used, first + chunk_rows_) - first;
        if (read == ChunkRead::in_place) {
            return row_range(data_, first, rows, d_);
        }
        const std::size_t slot = c % slots_;
        LinearData<T> part;
        part.X = X_.data() + slot * chunk_rows_ * d_;
        part.y = y_.data() + slot * chunk_rows_ * data_.y_width;
        part.y_width = data_.y_width;
        part.sample_weight = data_.sample_weight != nullptr ? sample_weight_.data() + slot * chunk_rows_ : nullptr;
        part.n_used = rows;
        part.n_readable = rows;
        return part;
    }

    // The stepping thread is done with the chunks before `end`: their slots may be refilled.
    void release(std::size_t end) { claims_.release(end); }

    // The helper stops at its next chunk (the epoch stopped early, or failed).
    void stop() { claims_.stop(); }

private:
    // Copies chunk k's rows into its slot (ChunkClaims publishes it).
    void copy_chunk(std::size_t k) {
        const std::size_t first = k * chunk_rows_;
        const std::size_t last = std::min(data_.n_used, first + chunk_rows_);
        const std::size_t width = data_.y_width;
        const std::size_t slot = k % slots_;
        T* X = X_.data() + slot * chunk_rows_ * d_;
        T* y = y_.data() + slot * chunk_rows_ * width;
        for (std::size_t i = first; i < last; ++i) {
            prefetch_ahead(data_, i, d_);
            const std::size_t r = data_.row(i);
            std::memcpy(X + (i - first) * d_, data_.X + r * d_, d_ * sizeof(T));
            std::memcpy(y + (i - first) * width, data_.y + r * width, width * sizeof(T));
            if (data_.sample_weight != nullptr) {
                sample_weight_[slot * chunk_rows_ + (i - first)] = data_.sample_weight[r];
            }
        }
    }

    const LinearData<T>& data_;
    const std::size_t d_;
    const std::size_t chunk_rows_;
    const std::size_t slots_;
    const std::size_t chunks_;
    std::vector<T> X_, y_, sample_weight_;
    ChunkClaims claims_;
};

// How an epoch reads its rows: in place on the calling thread, or gathered ahead into a ring
// of `slots` chunks of `chunk_rows` rows, the gathering shared as `share` says.
struct GatherPlan {
    bool gathers = false;
    std::size_t chunk_rows = gather_chunk_rows;
    std::size_t slots = 2;
    GatherShare share = GatherShare::both;
};

// The plan of an epoch over n_rows rows of d features of T handed over in chunks of
// chunk_rows rows: gathered where gathers_rows_ahead says, into a ring of about ring_bytes
// (at least two chunks).
template <class T>
GatherPlan gather_plan(std::size_t n_rows, std::size_t d, int n_threads, std::size_t chunk_rows, GatherShare share,
                       std::size_t ring_bytes = gather_ring_bytes) {
    GatherPlan plan;
    plan.gathers = gathers_rows_ahead(n_rows, d, sizeof(T), n_threads);
    plan.chunk_rows = chunk_rows;
    plan.slots = std::max<std::size_t>(2, ring_bytes / (chunk_rows * d * sizeof(T)));
    plan.share = share;
    return plan;
}

// step_chunk(rows) steps through `rows` (a LinearData, in order) continuing the epoch, and
// returns false once the epoch stops (a non-finite loss, an interrupt). Called once on
// `data` when the plan does not gather (or no second thread can be had), else once per chunk
// of the ring, in order: a step_chunk that carries its totals across calls (one running loss
// sum) gives the same bits either way.
template <class T, class StepChunk>
void steps_on_rows_gathered_ahead(const LinearData<T>& data, std::size_t d, const GatherPlan& plan,
                                  StepChunk&& step_chunk) {
    if (!plan.gathers) {
        step_chunk(data);
        return;
    }
    GatherRing<T> ring(data, d, plan.chunk_rows, plan.slots);
    with_helper_thread(
        ring, [&] { step_chunk(data); },
        [&] {
            for (std::size_t c = 0; c < ring.chunks(); ++c) {
                const LinearData<T> part = ring.chunk(c, plan.share);
                const bool go_on = step_chunk(part);
                ring.release(c + 1);
                if (!go_on) {
                    break;
                }
            }
        });
}

}  // namespace detail
}  // namespace pygdx
