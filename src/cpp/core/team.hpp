// A team of threads that works through many short rounds together (the batches of an
// epoch), meeting once per round.
//
// parallel.hpp starts threads per call, which suits calls of milliseconds. A mini-batch of
// 32 rows takes about a microsecond per thread: starting threads, or sleeping in a futex,
// per batch would cost more than the batch. The team's threads are started once per epoch
// and wait for each other by spinning on one cache line per member (spin_wait.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "core/parallel.hpp"
#include "core/spin_wait.hpp"

namespace pygdx {

// Storage of n values of T starting on a cache line, with at least a cache line of slack
// after them: buffers written by different members never share a line (std::vector only
// aligns to 16 bytes, and the allocator places members' buffers side by side).
template <class T>
class CacheLineBuffer {
public:
    CacheLineBuffer() = default;
    explicit CacheLineBuffer(std::size_t n, T value = T()) { assign(n, value); }

    void assign(std::size_t n, T value = T()) {
        storage_.assign(n + 2 * slack, value);
        const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
        const std::size_t skip = ((64 - address % 64) % 64) / sizeof(T);
        data_ = storage_.data() + skip;
        size_ = n;
    }
    T* data() { return data_; }
    const T* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    static constexpr std::size_t slack = 64 / sizeof(T) + 1;
    std::vector<T> storage_;
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

class RoundBarrier {
public:
    using Clock = std::chrono::steady_clock;

    explicit RoundBarrier(int members) : done_(static_cast<std::size_t>(members)) {}

    // Member `member` has finished its share of round `round` (0, 1, 2, ...); returns true
    // once every member has, false if the team was abandoned (a member failed). Sets
    // *waited to about how long it waited for the others (zero when they were there within
    // a few pauses).
    bool arrive_and_wait(int member, std::size_t round, Clock::duration* waited = nullptr) {
        done_[static_cast<std::size_t>(member)].rounds.store(round + 1, std::memory_order_release);
        Clock::duration total = Clock::duration::zero();
        for (const Slot& other : done_) {
            const bool arrived = detail::wait_until(
                [&] { return other.rounds.load(std::memory_order_acquire) >= round + 1; },
                [&] { return abandoned_.load(std::memory_order_relaxed); }, &total);
            if (!arrived) {
                return false;
            }
        }
        if (waited != nullptr) {
            *waited = total;
        }
        return true;
    }

    // Releases every waiter for good (arrive_and_wait returns false from now on).
    void abandon() { abandoned_.store(true, std::memory_order_relaxed); }

    // How long a waiter spins before it yields its core (spin_wait.hpp).
    static constexpr std::chrono::microseconds spin_time = detail::spin_time;

private:
    // One cache line per member, so that publishing a round touches no other member's line.
    struct alignas(64) Slot {
        std::atomic<std::size_t> rounds{0};
    };
    std::vector<Slot> done_;
    std::atomic<bool> abandoned_{false};
};

// Calls fn(member) for members 0..members-1, member 0 on the calling thread, and returns
// true when all have returned. If the system refuses a thread, the barrier is abandoned,
// the threads started are joined and false is returned before member 0 has run: the
// caller can run the work with fewer members. If a member throws, the barrier is
// abandoned (no member waits for it forever) and the first exception is rethrown here
// after all joined.
template <class Fn>
bool run_team(int members, RoundBarrier& barrier, Fn&& fn) {
    if (members <= 1) {
        fn(0);
        return true;
    }
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(members));
    auto guarded = [&](int member) {
        try {
            fn(member);
        } catch (...) {
            errors[static_cast<std::size_t>(member)] = std::current_exception();
            barrier.abandon();
        }
    };
    std::vector<std::thread> threads;
    bool started = true;
    try {
        threads.reserve(static_cast<std::size_t>(members - 1));
        for (int m = 1; m < members; ++m) {
            threads.emplace_back(guarded, m);
        }
    } catch (const std::exception&) {
        started = false;
        barrier.abandon();
    }
    if (started) {
        guarded(0);
    }
    for (auto& t : threads) {
        t.join();
    }
    if (!started) {
        return false;
    }
    for (auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
    return true;
}

}  // namespace pygdx
