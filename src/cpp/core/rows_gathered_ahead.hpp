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
// has just written (RESULTS_floor.md, session 8). The rows' values and the steps are the
// same: a fit gives the same bits with any thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

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

// The ring the helper fills: row i of the epoch sits in slot i % capacity, with its target(s)
// and sample weight, so the stepping thread reads a chunk as a LinearData of its own.
template <class T>
class GatherRing {
public:
    GatherRing(const LinearData<T>& data, std::size_t d)
        : data_(data),
          d_(d),
          capacity_(std::max(2 * gather_chunk_rows,
                             gather_ring_bytes / (d * sizeof(T)) / gather_chunk_rows * gather_chunk_rows)),
          X_(capacity_ * d),
          y_(capacity_ * data.y_width),
          sample_weight_(data.sample_weight ? capacity_ : 0) {}

    // The helper's work: every row of the epoch, chunk by chunk, as the ring frees slots.
    void gather() {
        const std::size_t n = data_.n_used;
        const std::size_t width = data_.y_width;
        for (std::size_t first = 0; first < n; first += gather_chunk_rows) {
            const std::size_t last = std::min(n, first + gather_chunk_rows);
            const bool room = wait_until([&] { return consumed_.load(std::memory_order_acquire) + capacity_ >= last; },
                                         [&] { return stop_.load(std::memory_order_relaxed); });
            if (!room) {
                return;
            }
            for (std::size_t i = first; i < last; ++i) {
                prefetch_ahead(data_, i, d_);
                const std::size_t r = data_.row(i);
                const std::size_t slot = i % capacity_;
                std::memcpy(X_.data() + slot * d_, data_.X + r * d_, d_ * sizeof(T));
                std::memcpy(y_.data() + slot * width, data_.y + r * width, width * sizeof(T));
                if (data_.sample_weight != nullptr) {
                    sample_weight_[slot] = data_.sample_weight[r];
                }
            }
            produced_.store(last, std::memory_order_release);
        }
    }

    // Rows first .. first + gather_chunk_rows of the epoch (fewer at its end), once gathered.
    LinearData<T> chunk(std::size_t first) const {
        const std::size_t last = std::min(data_.n_used, first + gather_chunk_rows);
        wait_until([&] { return produced_.load(std::memory_order_acquire) >= last; }, [] { return false; });
        const std::size_t slot = first % capacity_;  // chunks never wrap: capacity_ is a multiple
        LinearData<T> part;
        part.X = X_.data() + slot * d_;
        part.y = y_.data() + slot * data_.y_width;
        part.y_width = data_.y_width;
        part.sample_weight = data_.sample_weight != nullptr ? sample_weight_.data() + slot : nullptr;
        part.n_used = last - first;
        part.n_readable = part.n_used;
        return part;
    }

    // The stepping thread is done with the rows before `end`: their slots may be refilled.
    void release(std::size_t end) { consumed_.store(end, std::memory_order_release); }

    // The helper stops at its next chunk (the epoch stopped early, or failed).
    void stop() { stop_.store(true, std::memory_order_relaxed); }

private:
    const LinearData<T>& data_;
    const std::size_t d_;
    const std::size_t capacity_;
    std::vector<T> X_, y_, sample_weight_;
    alignas(64) std::atomic<std::size_t> produced_{0};
    alignas(64) std::atomic<std::size_t> consumed_{0};
    alignas(64) std::atomic<bool> stop_{false};
};

// step_rows(rows, so_far) runs the epoch's steps on `rows` (a LinearData) continuing the
// totals `so_far` (RowSteps: the loss is summed row by row in one running sum, so chunks
// give the same sum as one call), and returns the new totals. Called once on `data` when the
// rows are not gathered ahead, else once per chunk of the ring.
template <class T, class StepRows>
RowSteps steps_on_rows_gathered_ahead(const LinearData<T>& data, std::size_t d, int n_threads,
                                      StepRows&& step_rows) {
    if (!gathers_rows_ahead(data.n_used, d, sizeof(T), n_threads)) {
        return step_rows(data, RowSteps{});
    }
    GatherRing<T> ring(data, d);
    std::thread helper;
    try {
        helper = std::thread([&ring] { ring.gather(); });
    } catch (const std::system_error&) {  // no thread to be had: one thread does it all
        return step_rows(data, RowSteps{});
    }
    RowSteps done;
    try {
        for (std::size_t first = 0; first < data.n_used; first += gather_chunk_rows) {
            const LinearData<T> part = ring.chunk(first);
            done = step_rows(part, done);
            ring.release(first + part.n_used);
            if (done.interrupted || !done.finite) {
                break;
            }
        }
    } catch (...) {
        ring.stop();
        helper.join();
        throw;
    }
    ring.stop();
    helper.join();
    return done;
}

}  // namespace detail
}  // namespace pygdx
