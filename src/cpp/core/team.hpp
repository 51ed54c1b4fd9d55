// A team of threads that works through many short rounds together (the batches of an
// epoch), meeting once per round.
//
// parallel.hpp starts threads per call, which suits calls of milliseconds. A mini-batch of
// 32 rows takes about a microsecond per thread: starting threads, or sleeping in a futex,
// per batch would cost more than the batch. The team's threads are started once per epoch
// and wait for each other by spinning on one cache line per member. A waiter that has spun
// for a while yields its core: on a machine with more runnable threads than cores, the
// member it waits for may be the one that needs that core.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace pygdx {

namespace detail {

inline void cpu_relax() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

}  // namespace detail

class RoundBarrier {
public:
    explicit RoundBarrier(int members) : done_(static_cast<std::size_t>(members)) {}

    // Member `member` has finished its share of round `round` (0, 1, 2, ...); returns true
    // once every member has, false if the team was abandoned (a member failed).
    bool arrive_and_wait(int member, std::size_t round) {
        done_[static_cast<std::size_t>(member)].rounds.store(round + 1, std::memory_order_release);
        for (const Slot& other : done_) {
            std::size_t spins = 0;
            while (other.rounds.load(std::memory_order_acquire) < round + 1) {
                if (abandoned_.load(std::memory_order_relaxed)) {
                    return false;
                }
                if (++spins < spins_before_yield) {
                    detail::cpu_relax();
                } else {
                    std::this_thread::yield();
                }
            }
        }
        return true;
    }

    // Releases every waiter for good (arrive_and_wait returns false from now on).
    void abandon() { abandoned_.store(true, std::memory_order_relaxed); }

private:
    // About 20 microseconds of pause instructions: far longer than a batch, far shorter
    // than a scheduler's time slice.
    static constexpr std::size_t spins_before_yield = 2000;

    // One cache line per member, so that publishing a round touches no other member's line.
    struct alignas(64) Slot {
        std::atomic<std::size_t> rounds{0};
    };
    std::vector<Slot> done_;
    std::atomic<bool> abandoned_{false};
};

// Calls fn(member) for members 0..members-1, member 0 on the calling thread, and returns
// when all have returned. If one throws, the barrier is abandoned (so no member waits for
// it forever) and the first exception is rethrown here after all joined.
template <class Fn>
void run_team(int members, RoundBarrier& barrier, Fn&& fn) {
    if (members <= 1) {
        fn(0);
        return;
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
    threads.reserve(static_cast<std::size_t>(members - 1));
    try {
        for (int m = 1; m < members; ++m) {
            threads.emplace_back(guarded, m);
        }
    } catch (...) {
        // The system refused a thread: release the ones started, then report it.
        barrier.abandon();
        for (auto& t : threads) {
            t.join();
        }
        throw;
    }
    guarded(0);
    for (auto& t : threads) {
        t.join();
    }
    for (auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

}  // namespace pygdx
