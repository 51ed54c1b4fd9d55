// Stochastic epochs over shuffled CSR rows that do not fit in the caches, with a second
// thread that gathers the rows of the epoch's order ahead of the stepping thread: the sparse
// counterpart of rows_gathered_ahead.hpp (dense rows).
//
// A stochastic epoch is one chain of steps, each needing the last one's weights. On the text
// matrix (250,000 x 50,000, 30 stored values a row, 90 MB) every row of a shuffled order
// misses the cache three times (its offsets, its entries, its target), and one core keeps only
// a few rows in flight while its arithmetic holds up the requests of the rows after it. Here
// a helper thread copies each row's entries (checked columns and values), target and sample
// weight, in the epoch's order, into a ring of about 256 KiB that the stepping thread reads in
// order as CSR rows of its own: its only scattered reads are the weights, which stay in its
// L2 cache. The copies hold the same values in the same order, and the row loop
// (sparse_sgd_rows.hpp) carries its totals across chunks: a fit gives the same bits with any
// thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

#include "core/csr.hpp"
#include "core/csr_prefetch.hpp"
#include "core/parallel.hpp"
#include "core/sparse_sgd_rows.hpp"
#include "core/spin_wait.hpp"

namespace pygdx {
namespace detail {

// Below this many stored bytes (values and indices) the matrix stays in (or near) the
// last-level cache, and the gather only adds its copies and meetings (the dense rows' measure,
// rows_gathered_ahead.hpp: slower at 16 MiB on a 32 MiB L3).
inline constexpr std::size_t sparse_gather_min_bytes = std::size_t{32} << 20;
// An epoch over fewer rows does not pay for starting a thread (a batch-at-a-time caller such
// as sparse_stepwise_epochs.hpp calls the epoch on one batch at a time).
inline constexpr std::size_t sparse_gather_min_rows = 4096;
// The ring of entries: small enough to stay in the cores' L2 caches beside the weights
// (50,000 float64 weights are 400 KB), large enough for the helper to run hundreds of rows
// ahead.
inline constexpr std::size_t sparse_gather_ring_bytes = std::size_t{256} << 10;
// Rows handed over per meeting, at most: each hand-over copies the loop's state in and out
// and waits on an atomic; a chunk of text rows is about a thousand entries of work.
inline constexpr std::size_t sparse_gather_chunk_rows = 32;
// Chunks the ring holds at most (their offsets, targets and weights): more than the entries'
// space lets in flight at 32 text rows a chunk; a run of empty rows is held up by this only.
inline constexpr std::size_t sparse_gather_chunks = 64;

// Whether a stochastic epoch over n_rows rows, in a shuffled order (`shuffled`), of a matrix
// storing stored_bytes of values and indices, gathers its rows ahead with a second thread;
// n_threads <= 0 means every usable core. Rows in storage order stream through the hardware
// prefetcher already.
inline bool sparse_gathers_rows_ahead(std::size_t n_rows, std::size_t stored_bytes, bool shuffled, int n_threads) {
    if (!shuffled || n_rows < sparse_gather_min_rows || stored_bytes < sparse_gather_min_bytes) {
        return false;
    }
    // Asked last: usable_cores() is a system call.
    return n_threads > 1 || (n_threads <= 0 && usable_cores() > 1);
}

// The ring the helper fills. Chunk c (slot c % sparse_gather_chunks) holds up to
// sparse_gather_chunk_rows rows of the epoch, their entries contiguous in the entry ring (a
// chunk never wraps: it starts over at the ring's start when it might not fit), with local
// offsets, targets and weights: the stepping thread reads it as a CsrData of its own. A row
// longer than a chunk's room is not copied: its chunk points at the row in place.
template <class T, class I>
class SparseGatherRing {
public:
    explicit SparseGatherRing(const CsrData<T, I>& data)
        : data_(data),
          entries_(std::max<std::size_t>(sparse_gather_ring_bytes / (sizeof(T) + sizeof(I)), 64)),
          room_(entries_ / 8),
          values_(entries_),
          columns_(entries_),
          offsets_(sparse_gather_chunks * (sparse_gather_chunk_rows + 1)),
          y_(sparse_gather_chunks * sparse_gather_chunk_rows * data.y_width),
          sample_weight_(data.sample_weight != nullptr ? sparse_gather_chunks * sparse_gather_chunk_rows : 0),
          chunks_(sparse_gather_chunks) {}

    // The helper's work: every row of the epoch, chunk by chunk, as the ring frees room.
    void gather() {
        const std::size_t n = data_.n_used;
        std::size_t next_entry = 0;  // where the next chunk's entries go, counted without wrapping
        for (std::size_t c = 0, first = 0; first < n; ++c) {
            std::size_t start = next_entry;
            if (start % entries_ + room_ > entries_) {
                start += entries_ - start % entries_;  // a chunk never wraps
            }
            const bool free = wait_until(
                [&] {
                    return consumed_chunks_.load(std::memory_order_acquire) + sparse_gather_chunks > c &&
                           consumed_entries_.load(std::memory_order_acquire) + entries_ >= start + room_;
                },
                [&] { return stop_.load(std::memory_order_relaxed); });
            if (!free) {
                return;
            }
            Chunk& chunk = chunks_[c % sparse_gather_chunks];
            chunk.first = first;
            chunk.start = start;
            chunk.rows = fill(c % sparse_gather_chunks, first, start, &chunk.entries);
            chunk.in_place = chunk.rows == 0;
            if (chunk.in_place) {
                chunk.rows = 1;  // one row too long for the ring
                chunk.entries = 0;
            }
            first += chunk.rows;
            next_entry = start + chunk.entries;
            produced_.store(c + 1, std::memory_order_release);
        }
    }

    // Chunk c's rows as CSR rows of their own, once gathered; `first` is set to the epoch's
    // position of its first row.
    CsrData<T, I> chunk(std::size_t c, std::size_t* first) const {
        wait_until([&] { return produced_.load(std::memory_order_acquire) > c; }, [] { return false; });
        const Chunk& chunk = chunks_[c % sparse_gather_chunks];
        *first = chunk.first;
        if (chunk.in_place) {
            return data_.part(chunk.first, 1);
        }
        const std::size_t slot = c % sparse_gather_chunks;
        const std::size_t at = chunk.start % entries_;
        CsrData<T, I> part;
        part.values = values_.data() + at;
        part.indices = columns_.data() + at;
        part.indptr = offsets_.data() + slot * (sparse_gather_chunk_rows + 1);
        part.nnz = chunk.entries;
        part.n_columns = data_.n_columns;
        part.changed = data_.changed;
        part.y = y_.data() + slot * sparse_gather_chunk_rows * data_.y_width;
        part.y_width = data_.y_width;
        part.sample_weight =
            data_.sample_weight != nullptr ? sample_weight_.data() + slot * sparse_gather_chunk_rows : nullptr;
        part.n_used = chunk.rows;
        part.n_readable = chunk.rows;
        return part;
    }

    // The stepping thread is done with chunk c: its room may be refilled.
    void release(std::size_t c) {
        const Chunk& chunk = chunks_[c % sparse_gather_chunks];
        consumed_entries_.store(chunk.start + chunk.entries, std::memory_order_release);
        consumed_chunks_.store(c + 1, std::memory_order_release);
    }

    // The helper stops at its next chunk (the epoch stopped early, or failed).
    void stop() { stop_.store(true, std::memory_order_relaxed); }

private:
    struct Chunk {
        std::size_t first = 0;    // the epoch's position of its first row
        std::size_t rows = 0;
        std::size_t start = 0;    // its entries' place, counted without wrapping
        std::size_t entries = 0;
        bool in_place = false;    // one row read from the matrix itself
    };

    // Copies rows first, first + 1, ... of the epoch into chunk `slot`, its entries from
    // `start` on, while they fit (sparse_gather_chunk_rows rows, room_ entries); returns the
    // rows copied (0: row `first` alone is longer than room_) and their entries in *entries.
    std::size_t fill(std::size_t slot, std::size_t first, std::size_t start, std::size_t* entries) {
        const std::size_t n = data_.n_used;
        const std::size_t width = data_.y_width;
        T* values = values_.data() + start % entries_;
        I* columns = columns_.data() + start % entries_;
        I* offsets = offsets_.data() + slot * (sparse_gather_chunk_rows + 1);
        T* y = y_.data() + slot * sparse_gather_chunk_rows * width;
        T* sw = sample_weight_.data() + slot * sparse_gather_chunk_rows;
        std::size_t used = 0;
        std::size_t rows = 0;
        offsets[0] = 0;
        for (std::size_t i = first; i < n && rows < sparse_gather_chunk_rows; ++i, ++rows) {
            prefetch_sparse_row(data_, static_cast<const T*>(nullptr), i, false);
            const std::size_t r = data_.row(i);
            const CsrSpan s = data_.span(r);
            if (used + (s.end - s.begin) > room_) {
                break;
            }
            for (std::size_t e = s.begin; e < s.end; ++e, ++used) {
                // A column out of range (the matrix changed: csr.hpp) has set `changed`,
                // which stops the epoch and undoes it; its copy adds nothing meanwhile.
                std::size_t j = 0;
                const bool in_range = data_.column(e, j);
                columns[used] = static_cast<I>(j);
                values[used] = in_range ? data_.values[e] : T(0);
            }
            offsets[rows + 1] = static_cast<I>(used);
            std::copy(data_.y + r * width, data_.y + (r + 1) * width, y + rows * width);
            if (data_.sample_weight != nullptr) {
                sw[rows] = data_.sample_weight[r];
            }
        }
        *entries = used;
        return rows;
    }

    const CsrData<T, I>& data_;
    const std::size_t entries_;  // the entry ring's size
    const std::size_t room_;     // entries a chunk may hold
    std::vector<T> values_;
    std::vector<I> columns_;
    std::vector<I> offsets_;
    std::vector<T> y_, sample_weight_;
    std::vector<Chunk> chunks_;
    alignas(64) std::atomic<std::size_t> produced_{0};
    alignas(64) std::atomic<std::size_t> consumed_chunks_{0};
    std::atomic<std::size_t> consumed_entries_{0};
    alignas(64) std::atomic<bool> stop_{false};
};

// step_rows(rows, so_far) runs the epoch's row steps on `rows` (a CsrData) continuing the
// totals `so_far` (the loss is one running sum across calls), and returns the new totals.
// Called once on `data` when its rows are not gathered ahead, else once per chunk of the ring.
template <class T, class I, class StepRows>
SparseRowSteps sparse_steps_on_rows_gathered_ahead(const CsrData<T, I>& data, int n_threads, StepRows&& step_rows) {
    const bool gather = sparse_gathers_rows_ahead(data.n_used, data.nnz * (sizeof(T) + sizeof(I)),
                                                  data.rows != nullptr, n_threads);
    if (!gather) {
        return step_rows(data, SparseRowSteps{});
    }
    SparseGatherRing<T, I> ring(data);
    std::thread helper;
    try {
        helper = std::thread([&ring] { ring.gather(); });
    } catch (const std::system_error&) {  // no thread to be had: one thread does it all
        return step_rows(data, SparseRowSteps{});
    }
    SparseRowSteps done;
    try {
        std::size_t first = 0;
        for (std::size_t c = 0; first < data.n_used; ++c) {
            const CsrData<T, I> part = ring.chunk(c, &first);
            done = step_rows(part, done);
            ring.release(c);
            first += part.n_used;
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
