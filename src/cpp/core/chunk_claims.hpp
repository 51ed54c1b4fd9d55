// Who gathers which chunk of a ring of rows gathered ahead, and when a chunk may be read:
// the protocol shared by the dense ring (rows_gathered_ahead.hpp) and the CSR ring
// (sparse_rows_gathered_ahead.hpp), which differ only in what a chunk holds, how it is
// copied and how it is read in place.
//
// An epoch's rows are cut into `chunks` chunks; chunk k goes to slot k % slots of the ring.
// Chunks are claimed in order, each once: by the helper thread, or by the stepping thread
// when the chunk it needs next is not there yet (it then gathers the next unclaimed chunk
// itself instead of waiting, so both cores' reads are in flight; measured on both rings,
// RESULTS_floor.md session 9 and RESULTS_sparse.md session 10). Each slot is published on
// its own, so chunks may be finished out of order; the stepping thread reads them in order
// and releases each slot once read.
//
// The stepping thread never waits on the helper for longer than late_chunk_budget: when a
// neighbour process holds the other core, the helper may be off the CPU for whole time
// slices while it holds a claimed chunk, and the epoch would then take longer than on one
// thread (83-96 ms against 50 ms for the text epoch, RESULTS_sparse.md session 12). A chunk
// the helper claimed but has not published within the budget is read in place (from the
// epoch's own rows: the same values in the same order as the copy, so the same bits), and
// its slot stays unreleased until the helper publishes it, because the helper may still be
// writing it. A chunk nobody has claimed whose slot has no room (or that the stepping thread
// does not gather itself) is claimed "in place" instead of waited for: nothing is copied.
// Once most chunks are read in place, the helper is sent away for the rest of the epoch
// (in_place_chunks_to_go_alone): on a core it shares with the stepping thread, it would only
// take time slices from it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <limits>
#include <vector>

#include "core/spin_wait.hpp"

namespace pygdx {
namespace detail {

// How long the stepping thread spins for a chunk the helper holds before it reads that
// chunk in place: well above a chunk's copy (a few microseconds for 32 rows of batch 1 or of
// text; 10-40 us for the 64-128 rows of 100 features of a medium batch's chunk,
// gathered_batches_epoch.hpp), well below a time slice lost to a neighbour (milliseconds).
// Spinning only: a yield could hand the core to a neighbour.
inline constexpr std::chrono::microseconds late_chunk_budget{100};

// When the stepping thread has read this many chunks in place in an epoch, and at least one
// in late_share_to_go_alone of the chunks so far, the helper is mostly off the CPU (a
// neighbour holds the other core) and still takes time slices from the stepping thread when
// it runs on the same core: the stepping thread sends it away and reads the rest of the
// epoch in place alone, as on one thread. A quiet epoch of the text matrix read 13-25 of its
// 7,800 chunks in place; with a busy loop on the other core, three in four.
inline constexpr std::size_t in_place_chunks_to_go_alone = 256;
inline constexpr std::size_t late_share_to_go_alone = 4;

// How the stepping thread reads the chunk that await() returned for.
enum class ChunkRead {
    copied,    // from its slot of the ring
    in_place,  // from the epoch's rows (late, or claimed in place): the slot is not its
};

// A test hook (tests/test_rows_gathered_ahead.py, tests/test_sparse_rows_gathered_ahead.py,
// tests/cpp/test_gather_ring.cpp): while stall_from is set, the helper of every epoch, once
// it has claimed its first chunk at or past stall_from, stalls (as when a neighbour holds
// its core) until the stepping thread has read stall_until more chunks in place or the epoch
// ends, so that the late path is taken deterministically. The counters add up, over all
// epochs, the chunks read in place because the helper was late, and those claimed in place.
struct HelperStalls {
    static constexpr std::size_t never = std::numeric_limits<std::size_t>::max();
    std::atomic<std::size_t> stall_from{never};
    std::atomic<std::size_t> stall_until{1};
    std::atomic<std::size_t> late{0};
    std::atomic<std::size_t> claimed_in_place{0};
    std::atomic<std::size_t> went_alone{0};  // epochs whose stepping thread sent the helper away
};

inline HelperStalls& helper_stalls() {
    static HelperStalls stalls;
    return stalls;
}

class ChunkClaims {
public:
    ChunkClaims(std::size_t chunks, std::size_t slots) : chunks_(chunks), slots_(slots), published_(slots) {}

    std::size_t chunks() const { return chunks_; }
    std::size_t slots() const { return slots_; }

    // The helper's work: claims chunks in order and, once a claimed chunk's slot is free,
    // gathers it (gather_chunk(k) fills slot k % slots) and publishes it, until none is left
    // or stop() was called. It holds one claim at a time: so at most one chunk is late.
    template <class GatherChunk>
    void gather(GatherChunk&& gather_chunk) {
        std::size_t stall_from = helper_stalls().stall_from.load(std::memory_order_relaxed);
        const auto stopped = [&] { return stop_.load(std::memory_order_relaxed); };
        for (;;) {
            // acq_rel: a stepping thread that sees chunk k claimed sees the helper's previous
            // chunk published (so never two late chunks at once).
            const std::size_t k = next_.fetch_add(1, std::memory_order_acq_rel);
            if (k >= chunks_ || stopped()) {  // stopped: chunk k is read in place
                return;
            }
            if (k >= stall_from) {
                stall_from = HelperStalls::never;
                const std::size_t until = read_in_place_.load(std::memory_order_relaxed) +
                                          helper_stalls().stall_until.load(std::memory_order_relaxed);
                wait_until([&] { return read_in_place_.load(std::memory_order_relaxed) >= until; }, stopped);
            }
            if (!wait_until([&] { return has_room(k); }, stopped) || stopped()) {
                return;
            }
            gather_chunk(k);
            publish(k);
        }
    }

    // Chunk c, the next to read (chunks are read in order, 0, 1, 2, ...): returns copied once
    // it is published, in_place when the stepping thread is to read it from the epoch's rows.
    // While it is not published, and `help` is set, the calling thread claims, gathers and
    // publishes the next unclaimed chunk whose slot is free instead of waiting; it spins for
    // at most late_chunk_budget in all (helping is not waiting), then reads chunk c in place.
    template <class GatherChunk>
    ChunkRead await(std::size_t c, bool help, GatherChunk&& gather_chunk) {
        const std::size_t slot = c % slots_;
        const auto published = [&] { return published_[slot].chunk_end.load(std::memory_order_acquire) == c + 1; };
        if (alone_) {  // no helper to wait for, nor to gather for
            help = false;
        }
        WaitClock::duration budget = alone_ ? WaitClock::duration::zero() : late_chunk_budget;
        for (;;) {
            if (published()) {
                return ChunkRead::copied;
            }
            if (help) {
                std::size_t k = next_.load(std::memory_order_acquire);
                if (k < chunks_ && has_room(k) && next_.compare_exchange_strong(k, k + 1, std::memory_order_acq_rel)) {
                    gather_chunk(k);
                    publish(k);
                    continue;
                }
            }
            // Chunk c unclaimed with no room: a late chunk holds its slot's turn back, so the
            // helper is off its core; waiting for it would be waiting on the helper.
            if (late_ != none) {
                release(consumed_end_);  // unless the late chunk is published by now
            }
            if ((alone_ || !has_room(c)) && claimed_in_place(c)) {
                return read_in_place(c);
            }
            if (budget <= WaitClock::duration::zero()) {
                break;
            }
            const WaitClock::time_point began = WaitClock::now();
            spin_until([&] { return published() || (help && claimable()) || late_published(); }, began + budget);
            budget -= WaitClock::now() - began;
            release(consumed_end_);  // the late chunk, if published, frees its slot for the helper
        }
        // Late: nobody can write chunk c's slot for chunk c + slots (the stepping thread has
        // not released c), so reading in place leaves the slot's state as it is.
        if (claimed_in_place(c)) {
            return read_in_place(c);
        }
        if (published()) {  // claimed by the helper, which has published it meanwhile
            return ChunkRead::copied;
        }
        // The helper holds chunk c: its copy may be under way. The slot stays unreleased
        // until the helper publishes it (release() holds consumed_ at c). The helper's
        // previous chunk was published before it claimed c (acq_rel above): so the chunk
        // held back before, if any, is free by now.
        release(consumed_end_);
        late_ = c;
        helper_stalls().late.fetch_add(1, std::memory_order_relaxed);
        return read_in_place(c);
    }

    // The stepping thread is done with the chunks before `end`: their slots may be refilled,
    // but not a late chunk's slot (nor those after it) before the helper has published it.
    void release(std::size_t end) {
        consumed_end_ = end;
        if (late_ != none && late_published()) {
            late_ = none;
        }
        consumed_.store(late_ != none ? late_ : end, std::memory_order_release);
    }

    // The helper stops at its next chunk (the epoch stopped early, or failed).
    void stop() { stop_.store(true, std::memory_order_relaxed); }

private:
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

    // Chunk k's slot held chunk k - slots, which must have been read (and, if it was read in
    // place while the helper held it, published: the helper's copy is done).
    bool has_room(std::size_t k) const { return consumed_.load(std::memory_order_acquire) + slots_ > k; }

    bool claimable() const {
        const std::size_t k = next_.load(std::memory_order_relaxed);
        return k < chunks_ && has_room(k);
    }

    // Claims chunk c in place when nobody has claimed it (nothing is copied: its slot is
    // left as it is); false when it is claimed already (by the helper).
    bool claimed_in_place(std::size_t c) {
        std::size_t k = next_.load(std::memory_order_acquire);
        while (k <= c) {  // k < c cannot be: every chunk before c was read
            if (next_.compare_exchange_weak(k, c + 1, std::memory_order_acq_rel)) {
                helper_stalls().claimed_in_place.fetch_add(1, std::memory_order_relaxed);
                return true;
            }
        }
        return false;
    }

    // Counts chunk c read in place, and sends the helper away when it is mostly off the CPU
    // (in_place_chunks_to_go_alone): it leaves at its next claim, at most one chunk held,
    // which the stepping thread will read in place as late (its slot is never reused).
    ChunkRead read_in_place(std::size_t c) {
        const std::size_t read = read_in_place_.load(std::memory_order_relaxed) + 1;
        read_in_place_.store(read, std::memory_order_relaxed);
        if (!alone_ && read >= in_place_chunks_to_go_alone && read * late_share_to_go_alone >= c + 1) {
            alone_ = true;
            stop();
            helper_stalls().went_alone.fetch_add(1, std::memory_order_relaxed);
        }
        return ChunkRead::in_place;
    }

    // Whether the helper has published the chunk read in place while it held it (the
    // stepping thread's: late_ is its own).
    bool late_published() const {
        return late_ != none &&
               published_[late_ % slots_].chunk_end.load(std::memory_order_acquire) == late_ + 1;
    }

    // Everything gather_chunk(k) wrote is seen by the thread that sees chunk k published.
    void publish(std::size_t k) { published_[k % slots_].chunk_end.store(k + 1, std::memory_order_release); }

    // Spins (no yield: the budget is shorter than a time slice) until ready() or `deadline`.
    template <class Ready>
    static void spin_until(Ready&& ready, WaitClock::time_point deadline) {
        constexpr std::size_t pauses_per_clock_read = 32;  // as wait_until: the clock costs ~20 ns
        for (std::size_t waits = 1; !ready(); ++waits) {
            if (waits % pauses_per_clock_read == 0 && WaitClock::now() >= deadline) {
                return;
            }
            cpu_relax();
        }
    }

    // Which chunk a slot holds (its index + 1; 0: none yet), on a cache line of its own.
    struct alignas(64) Published {
        std::atomic<std::size_t> chunk_end{0};
    };

    const std::size_t chunks_;
    const std::size_t slots_;
    std::vector<Published> published_;
    alignas(64) std::atomic<std::size_t> next_{0};      // the next chunk to claim
    alignas(64) std::atomic<std::size_t> consumed_{0};  // slots before this chunk's may be refilled
    alignas(64) std::atomic<bool> stop_{false};
    // The stepping thread's own: the chunks it has read (release's `end`), the chunk it read
    // in place while the helper held it (none: no such chunk unpublished), and how many
    // chunks it read in place (atomic for the test hook's stalled helper only).
    std::size_t consumed_end_ = 0;
    std::size_t late_ = none;
    bool alone_ = false;  // the helper was sent away (read_in_place)
    std::atomic<std::size_t> read_in_place_{0};
};

}  // namespace detail
}  // namespace pygdx
