// Who gathers which chunk of a ring of rows gathered ahead, and when a chunk may be read:
// the protocol shared by the dense ring (rows_gathered_ahead.hpp) and the CSR ring
// (sparse_rows_gathered_ahead.hpp), which differ only in what a chunk holds and how it is
// copied.
//
// An epoch's rows are cut into `chunks` chunks; chunk k goes to slot k % slots of the ring.
// Chunks are claimed in order, each by the thread that gathers it: the helper thread, or the
// stepping thread when the chunk it needs next is not there yet (it then gathers the next
// unclaimed chunk itself instead of waiting, so both cores' reads are in flight; measured on
// both rings, RESULTS_floor.md session 9 and RESULTS_sparse.md session 10). Each slot is
// published on its own, so chunks may be finished out of order; the stepping thread reads
// them in order and releases each slot once read.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "core/spin_wait.hpp"

namespace pygdx {
namespace detail {

class ChunkClaims {
public:
    ChunkClaims(std::size_t chunks, std::size_t slots) : chunks_(chunks), slots_(slots), published_(slots) {}

    std::size_t chunks() const { return chunks_; }
    std::size_t slots() const { return slots_; }

    // The helper's work: claims chunks in order and, once a claimed chunk's slot is free,
    // gathers it (gather_chunk(k) fills slot k % slots) and publishes it, until none is left
    // or stop() was called.
    template <class GatherChunk>
    void gather(GatherChunk&& gather_chunk) {
        for (;;) {
            const std::size_t k = next_.fetch_add(1, std::memory_order_relaxed);
            if (k >= chunks_) {
                return;
            }
            if (!wait_until([&] { return has_room(k); }, [&] { return stop_.load(std::memory_order_relaxed); })) {
                return;
            }
            gather_chunk(k);
            publish(k);
        }
    }

    // Returns once chunk c is published (chunks are read in order, 0, 1, 2, ...). While it is
    // not, and `help` is set, the calling thread claims, gathers and publishes the next
    // unclaimed chunk whose slot is free instead of waiting.
    template <class GatherChunk>
    void await(std::size_t c, bool help, GatherChunk&& gather_chunk) {
        const std::size_t slot = c % slots_;
        const auto published = [&] { return published_[slot].chunk_end.load(std::memory_order_acquire) == c + 1; };
        while (!published()) {
            if (help) {
                std::size_t k = next_.load(std::memory_order_relaxed);
                if (k < chunks_ && has_room(k) && next_.compare_exchange_strong(k, k + 1, std::memory_order_relaxed)) {
                    gather_chunk(k);
                    publish(k);
                    continue;
                }
            }
            wait_until([&] { return published() || (help && claimable()); }, [] { return false; });
        }
    }

    // The stepping thread is done with the chunks before `end`: their slots may be refilled.
    void release(std::size_t end) { consumed_.store(end, std::memory_order_release); }

    // The helper stops at its next chunk (the epoch stopped early, or failed).
    void stop() { stop_.store(true, std::memory_order_relaxed); }

private:
    // Chunk k's slot held chunk k - slots, which must have been read.
    bool has_room(std::size_t k) const { return consumed_.load(std::memory_order_acquire) + slots_ > k; }

    bool claimable() const {
        const std::size_t k = next_.load(std::memory_order_relaxed);
        return k < chunks_ && has_room(k);
    }

    // Everything gather_chunk(k) wrote is seen by the thread that sees chunk k published.
    void publish(std::size_t k) { published_[k % slots_].chunk_end.store(k + 1, std::memory_order_release); }

    // Which chunk a slot holds (its index + 1; 0: none yet), on a cache line of its own.
    struct alignas(64) Published {
        std::atomic<std::size_t> chunk_end{0};
    };

    const std::size_t chunks_;
    const std::size_t slots_;
    std::vector<Published> published_;
    alignas(64) std::atomic<std::size_t> next_{0};      // the next chunk to claim
    alignas(64) std::atomic<std::size_t> consumed_{0};  // chunks read by the stepping thread
    alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace detail
}  // namespace pygdx
