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
#include <cstddef>
#include <type_traits>
#include <vector>

#include "core/ahead_thread.hpp"
#include "core/chunk_claims.hpp"
#include "core/csr.hpp"
#include "core/csr_prefetch.hpp"
#include "core/parallel.hpp"
#include "core/sparse_sgd_rows.hpp"

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
// (50,000 float64 weights are 400 KB), large enough for the threads to gather hundreds of rows
// ahead.
inline constexpr std::size_t sparse_gather_ring_bytes = std::size_t{256} << 10;
// The ring's slots, one chunk each: the chunks gathered ahead of the one being stepped.
inline constexpr std::size_t sparse_gather_slots = 8;
// Rows handed over per meeting, at most: each hand-over copies the loop's state in and out
// and waits on an atomic; a chunk of text rows is about a thousand entries of work.
inline constexpr std::size_t sparse_gather_chunk_rows = 32;
// How far ahead a gathering thread requests its rows (csr_prefetch.hpp's distance D: offsets
// 3D rows ahead, entries 2D). A gather only copies, so its pace is the misses it keeps in
// flight; the stepping loop's distance is set for a loop whose arithmetic holds up its
// requests.
inline constexpr std::size_t sparse_gather_prefetch_distance = 4;

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

// The ring the threads fill. The epoch's rows are cut into chunks of chunk_rows rows; chunk k
// goes to slot k % sparse_gather_slots: its entries (checked columns and values), local
// offsets, targets and weights, so that the stepping thread reads it as a CsrData of its own.
// A chunk whose entries do not fit its slot's room is not copied: it is read in place.
//
// As the dense ring (rows_gathered_ahead.hpp, GatherShare::both), chunks are claimed in order
// by whichever thread gathers them (chunk_claims.hpp): the helper, or the stepping thread when
// the chunk it needs next is not there yet (measured: with the helper alone, the stepping
// thread waited on 92% of the chunks of the text epoch, half its time; RESULTS_sparse.md,
// session 10).
template <class T, class I>
class SparseGatherRing {
public:
    explicit SparseGatherRing(const CsrData<T, I>& data)
        : data_(data),
          room_(std::max<std::size_t>(sparse_gather_ring_bytes / (sizeof(T) + sizeof(I)) / sparse_gather_slots, 64)),
          chunk_rows_(chunk_rows_for(data, room_)),
          chunks_((data.n_used + chunk_rows_ - 1) / chunk_rows_),
          values_(sparse_gather_slots * room_),
          columns_(sparse_gather_slots * room_),
          offsets_(sparse_gather_slots * (chunk_rows_ + 1)),
          y_(sparse_gather_slots * chunk_rows_ * data.y_width),
          sample_weight_(data.sample_weight != nullptr ? sparse_gather_slots * chunk_rows_ : 0),
          in_place_(sparse_gather_slots),
          claims_(chunks_, sparse_gather_slots) {}

    // The helper's work (ChunkClaims::gather).
    void gather() {
        claims_.gather([&](std::size_t k) { copy_chunk(k); });
    }

    std::size_t chunk_rows() const { return chunk_rows_; }

    // Chunk c, once gathered (chunks are read in order, 0, 1, 2, ...).
    struct Gathered {
        CsrData<T, I> rows;
        bool copied = true;  // in the ring, every offset and column checked; else read in place
    };
    // While chunk c is not there, the calling thread gathers the next unclaimed chunk whose
    // slot is free instead of waiting; it reads chunk c in place when the helper is late
    // with it (ChunkClaims::await).
    Gathered chunk(std::size_t c) {
        const ChunkRead read = claims_.await(c, true, [&](std::size_t k) { copy_chunk(k); });
        const std::size_t slot = c % sparse_gather_slots;
        const std::size_t first = c * chunk_rows_;
        const std::size_t rows = std::min(data_.n_used, first + chunk_rows_) - first;
        if (read == ChunkRead::in_place || in_place_[slot].value) {
            return {data_.part(first, rows), false};
        }
        CsrData<T, I> part;
        part.values = values_.data() + slot * room_;
        part.indices = columns_.data() + slot * room_;
        part.indptr = offsets_.data() + slot * (chunk_rows_ + 1);
        part.nnz = static_cast<std::size_t>(part.indptr[rows]);
        part.n_columns = data_.n_columns;
        part.changed = data_.changed;
        part.y = y_.data() + slot * chunk_rows_ * data_.y_width;
        part.y_width = data_.y_width;
        part.sample_weight = data_.sample_weight != nullptr ? sample_weight_.data() + slot * chunk_rows_ : nullptr;
        part.n_used = rows;
        part.n_readable = rows;
        return {part, true};
    }

    // The stepping thread is done with the chunks before `end`: their slots may be refilled.
    void release(std::size_t end) { claims_.release(end); }

    // The helper stops at its next chunk (the epoch stopped early, or failed).
    void stop() { claims_.stop(); }

private:
    // Rows a chunk holds: sparse_gather_chunk_rows, fewer when rows of the mean length (with
    // half again for the spread) would not fit a slot's room, at least one.
    static std::size_t chunk_rows_for(const CsrData<T, I>& data, std::size_t room) {
        const std::size_t mean_entries = data.n_used > 0 ? data.nnz / data.n_used : 0;
        return std::clamp<std::size_t>(room / (mean_entries + mean_entries / 2 + 1), 1, sparse_gather_chunk_rows);
    }

    // Copies chunk k's rows into its slot while they fit its room, else marks the chunk to be
    // read in place (ChunkClaims publishes it).
    void copy_chunk(std::size_t k) {
        const std::size_t first = k * chunk_rows_;
        const std::size_t last = std::min(data_.n_used, first + chunk_rows_);
        const std::size_t width = data_.y_width;
        const std::size_t slot = k % sparse_gather_slots;
        T* values = values_.data() + slot * room_;
        I* columns = columns_.data() + slot * room_;
        I* offsets = offsets_.data() + slot * (chunk_rows_ + 1);
        T* y = y_.data() + slot * chunk_rows_ * width;
        T* sw = sample_weight_.data() + slot * chunk_rows_;
        std::size_t used = 0;
        bool fits = true;
        offsets[0] = 0;
        for (std::size_t i = first; i < last; ++i) {
            prefetch_sparse_row<sparse_gather_prefetch_distance>(data_, static_cast<const T*>(nullptr), i, false);
            const std::size_t r = data_.row(i);
            const CsrSpan s = data_.span(r);
            fits = used + (s.end - s.begin) <= room_;
            if (!fits) {
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
            offsets[i - first + 1] = static_cast<I>(used);
            std::copy(data_.y + r * width, data_.y + (r + 1) * width, y + (i - first) * width);
            if (data_.sample_weight != nullptr) {
                sw[i - first] = data_.sample_weight[r];
            }
        }
        in_place_[slot].value = !fits;
    }

    // Whether a slot's chunk is read in place: written by the thread that gathers it before
    // ChunkClaims publishes it, on a cache line of its own.
    struct alignas(64) InPlace {
        bool value = false;
    };

    const CsrData<T, I>& data_;
    const std::size_t room_;        // entries a slot holds
    const std::size_t chunk_rows_;  // rows a chunk holds
    const std::size_t chunks_;
    std::vector<T> values_;
    std::vector<I> columns_;
    std::vector<I> offsets_;
    std::vector<T> y_, sample_weight_;
    std::vector<InPlace> in_place_;
    ChunkClaims claims_;
};

// step_rows(rows, reads, so_far) runs the epoch's row steps on `rows` (a CsrData), reading
// their offsets and columns as `reads` says (a std::integral_constant of CsrReads: trusted
// for the ring's copies, checked for rows read in place), continuing the totals `so_far`
// (the loss is one running sum across calls), and returns the new totals. Called once on
// `data` when its rows are not gathered ahead, else once per chunk of the ring.
template <class T, class I, class StepRows>
SparseRowSteps sparse_steps_on_rows_gathered_ahead(const CsrData<T, I>& data, int n_threads, StepRows&& step_rows) {
    const bool gather = sparse_gathers_rows_ahead(data.n_used, data.nnz * (sizeof(T) + sizeof(I)),
                                                  data.rows != nullptr, n_threads);
    constexpr std::integral_constant<CsrReads, CsrReads::checked> checked{};
    constexpr std::integral_constant<CsrReads, CsrReads::trusted> trusted{};
    if (!gather) {
        return step_rows(data, checked, SparseRowSteps{});
    }
    SparseGatherRing<T, I> ring(data);
    return with_helper_thread(
        ring, [&] { return step_rows(data, checked, SparseRowSteps{}); },
        [&] {
            SparseRowSteps done;
            for (std::size_t c = 0; c * ring.chunk_rows() < data.n_used; ++c) {
                const auto chunk = ring.chunk(c);
                done = chunk.copied ? step_rows(chunk.rows, trusted, done) : step_rows(chunk.rows, checked, done);
                ring.release(c + 1);
                if (done.interrupted || !done.finite) {
                    break;
                }
            }
            return done;
        });
}

}  // namespace detail
}  // namespace pygdx
