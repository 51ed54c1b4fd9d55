// A PROTOTYPE, used only by bench_sparse_rows.cpp (RESULTS_sparse.md, session 13): not wired
// into csr_epoch; written in the core's style so that moving it to src/cpp/core and switching
// sparse_epoch.hpp's dispatch to sparse_steps_on_rows_warmed_ahead is the whole change.
//
// Stochastic epochs over shuffled CSR rows that do not fit in the caches, stepped in place by
// one thread while a second thread only reads the rows of the epoch's order a little ahead of
// it, so that the stepping thread finds them in the shared last-level cache (or the other
// core's L2) instead of memory.
//
// A stochastic epoch is one chain of steps, each needing the last one's weights. On the text
// matrix (250,000 x 50,000, 30 stored values a row, 90 MB) every row of a shuffled order
// misses the cache three times (its offsets, its entries, its target); the stepping loop's
// own prefetches (csr_prefetch.hpp) keep only a few rows in flight, its arithmetic holding up
// the requests of the rows after it. The helper here has no arithmetic to wait for: it
// requests the rows' lines far enough ahead that they have landed when the stepper comes.
//
// Unlike copying the rows into a ring for the stepper (the design this replaced), the stepper
// never waits for the helper: it runs the one-thread loop on the rows in place (checked
// reads, same bits as one thread by construction), and a helper that falls behind (its core
// taken by another process) only stops warming until it jumps back ahead. The helper paces
// itself on the position the stepper publishes every chunk of rows: it stays between
// lead_min and lead_max rows ahead, close enough that what it warmed is still cached.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <type_traits>

#include "core/ahead_thread.hpp"
#include "core/csr.hpp"
#include "core/parallel.hpp"
#include "core/spin_wait.hpp"
#include "core/sparse_sgd_rows.hpp"

namespace pygdx {
namespace detail {

// Below this many stored bytes (values and indices) the matrix stays in (or near) the
// last-level cache, and the rows need no warming.
inline constexpr std::size_t sparse_warm_min_bytes = std::size_t{32} << 20;
// An epoch over fewer rows does not pay for starting a thread (a batch-at-a-time caller such
// as sparse_stepwise_epochs.hpp calls the epoch on one batch at a time).
inline constexpr std::size_t sparse_warm_min_rows = 4096;

// Whether a stochastic epoch over n_rows rows, in a shuffled order (`shuffled`), of a matrix
// storing stored_bytes of values and indices, has its rows warmed ahead by a second thread;
// n_threads <= 0 means every usable core. Rows in storage order stream through the hardware
// prefetcher already.
inline bool sparse_warms_rows_ahead(std::size_t n_rows, std::size_t stored_bytes, bool shuffled, int n_threads) {
    if (!shuffled || n_rows < sparse_warm_min_rows || stored_bytes < sparse_warm_min_bytes) {
        return false;
    }
    // Asked last: usable_cores() is a system call.
    return n_threads > 1 || (n_threads <= 0 && usable_cores() > 1);
}

// How the helper reads a row: loads of every line (it waits for each row's misses), or
// prefetches with a locality hint (it does not wait), or prefetches for writing.
enum class WarmReads { loads, prefetch_t0, prefetch_t1, prefetch_t2, prefetch_nta, prefetch_w };

// The helper's pacing (benchmarks/bench_sparse_rows.cpp sweeps these).
struct SparseWarming {
    std::size_t lead_min = 64;     // rows ahead of the stepper it jumps to when behind
    std::size_t lead_max = 2048;   // rows ahead it stops at and waits
    std::size_t stride = 64;       // rows the stepper steps between two publications
    std::size_t distance = 8;      // rows between a row's offsets' request and its entries'
    WarmReads reads = WarmReads::prefetch_t0;
    bool sleeps = true;            // waits ahead by sleeping (else spinning)
    // When set, what the helper did: [0] rows warmed, [1] rows skipped behind, [2] waits.
    std::size_t* stats = nullptr;
};

// The helper's side: with_helper_thread (ahead_thread.hpp) runs gather() on the helper
// thread and stop() when the epoch ends.
template <class T, class I>
class SparseRowWarmer {
public:
    SparseRowWarmer(const CsrData<T, I>& data, const SparseWarming& how) : data_(data), how_(how) {}

    // The stepper has stepped the epoch's rows before `end`.
    void stepped_to(std::size_t end) { position_.value.store(end, std::memory_order_relaxed); }

    void stop() { stop_.value.store(true, std::memory_order_relaxed); }

    // The helper's work (with_helper_thread's name for it).
    void gather() {
        switch (how_.reads) {
        case WarmReads::loads:
            return warm<WarmReads::loads>();
        case WarmReads::prefetch_t0:
            return warm<WarmReads::prefetch_t0>();
        case WarmReads::prefetch_t1:
            return warm<WarmReads::prefetch_t1>();
        case WarmReads::prefetch_t2:
            return warm<WarmReads::prefetch_t2>();
        case WarmReads::prefetch_nta:
            return warm<WarmReads::prefetch_nta>();
        case WarmReads::prefetch_w:
            return warm<WarmReads::prefetch_w>();
        }
    }

private:
    template <WarmReads reads>
    static void touch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
        if constexpr (reads == WarmReads::loads) {
            (void)*static_cast<const volatile unsigned char*>(p);
        } else if constexpr (reads == WarmReads::prefetch_t0) {
            __builtin_prefetch(p, 0, 3);
        } else if constexpr (reads == WarmReads::prefetch_t1) {
            __builtin_prefetch(p, 0, 2);
        } else if constexpr (reads == WarmReads::prefetch_t2) {
            __builtin_prefetch(p, 0, 1);
        } else if constexpr (reads == WarmReads::prefetch_nta) {
            __builtin_prefetch(p, 0, 0);
        } else {
            __builtin_prefetch(p, 1, 3);
        }
        __asm__ __volatile__("" : : "r"(p));  // keeps GCC from dropping a loop of prefetches
#else
        (void)*static_cast<const volatile unsigned char*>(p);
#endif
    }

    // Every cache line of [p, p + bytes), each read at an address inside the range.
    template <WarmReads reads>
    static void touch_bytes(const void* p, std::size_t bytes) {
        const auto start = reinterpret_cast<std::uintptr_t>(p);
        const std::uintptr_t end = start + bytes;
        for (std::uintptr_t line = start & ~std::uintptr_t{63}; line < end; line += 64) {
            touch<reads>(reinterpret_cast<const void*>(std::max(line, start)));
        }
    }

    // Row i of the epoch's order: its entries and target (its offsets were requested
    // `distance` rows earlier). The offsets are read checked, as every read of them is.
    template <WarmReads reads>
    void warm_row(std::size_t i) const {
        if (i + how_.distance < data_.n_used) {
            touch<WarmReads::prefetch_t0>(data_.indptr + data_.rows[i + how_.distance]);
        }
        const std::size_t r = data_.row(i);
        const CsrSpan s = data_.span(r);
        touch_bytes<reads>(data_.values + s.begin, (s.end - s.begin) * sizeof(T));
        touch_bytes<reads>(data_.indices + s.begin, (s.end - s.begin) * sizeof(I));
        if (data_.y != nullptr) {
            touch<reads>(data_.y + r * data_.y_width);
        }
        if (data_.sample_weight != nullptr) {
            touch<reads>(data_.sample_weight + r);
        }
    }

    template <WarmReads reads>
    void warm() {
        const std::size_t n = data_.n_used;
        // Rows re-read the stepper's position every this many.
        constexpr std::size_t rows_per_look = 8;
        std::size_t next = 0;  // the next row to warm
        while (next < n && !stop_.value.load(std::memory_order_relaxed)) {
            const std::size_t at = position_.value.load(std::memory_order_relaxed);
            // Behind (preempted, or the start): rows the stepper is about to read are no
            // longer worth warming.
            const std::size_t was = next;
            next = std::max(next, std::min(n, at + how_.lead_min));
            if (how_.stats != nullptr && next > was) {
                how_.stats[1] += next - was;
            }
            const std::size_t until = std::min(n, at + how_.lead_max);
            if (next >= until) {
                if (how_.stats != nullptr) {
                    ++how_.stats[2];
                }
                if (how_.sleeps) {
                    std::this_thread::sleep_for(std::chrono::microseconds(1));
                } else {
                    cpu_relax();
                }
                continue;
            }
            for (const std::size_t end = std::min(until, next + rows_per_look); next < end; ++next) {
                warm_row<reads>(next);
            }
            if (how_.stats != nullptr) {
                how_.stats[0] += rows_per_look;
            }
        }
    }

    struct alignas(64) Position {
        std::atomic<std::size_t> value{0};
    };
    struct alignas(64) Stop {
        std::atomic<bool> value{false};
    };

    const CsrData<T, I>& data_;
    const SparseWarming how_;
    Position position_;
    Stop stop_;
};

// step_rows(rows, reads, so_far) runs the epoch's row steps on `rows` (a CsrData, read as
// `reads` says: a std::integral_constant of CsrReads), continuing the totals `so_far` (the
// loss is one running sum across calls), and returns the new totals. Called once on `data`
// when its rows are not warmed ahead, else once per `stride` rows, in order, on the calling
// thread, with a helper warming the rows ahead: the same steps on the same rows either way.
template <class T, class I, class StepRows>
SparseRowSteps sparse_steps_on_rows_warmed_ahead(const CsrData<T, I>& data, int n_threads, StepRows&& step_rows,
                                                 const SparseWarming& how = {}) {
    constexpr std::integral_constant<CsrReads, CsrReads::checked> checked{};
    if (!sparse_warms_rows_ahead(data.n_used, data.nnz * (sizeof(T) + sizeof(I)), data.rows != nullptr,
                                 n_threads)) {
        return step_rows(data, checked, SparseRowSteps{});
    }
    SparseRowWarmer<T, I> warmer(data, how);
    const std::size_t stride = std::max<std::size_t>(how.stride, 1);
    return with_helper_thread(
        warmer, [&] { return step_rows(data, checked, SparseRowSteps{}); },
        [&] {
            SparseRowSteps done;
            for (std::size_t first = 0; first < data.n_used; first += stride) {
                done = step_rows(data.part(first, std::min(stride, data.n_used - first)), checked, done);
                warmer.stepped_to(first + stride);
                if (done.interrupted || !done.finite) {
                    break;
                }
            }
            return done;
        });
}

}  // namespace detail
}  // namespace pygdx
