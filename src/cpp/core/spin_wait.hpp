// Waiting for another thread of the same epoch by spinning, then yielding, then sleeping.
//
// The threads of an epoch wait for each other many times per millisecond (the team's
// meetings, the rows gathered ahead): a futex sleep per wait would cost more than the work
// between two waits. A waiter spins first; once it has spun for a while, the thread it
// waits for is likely off the CPU (the machine is busier than its cores), and spinning would
// only keep it off longer: the waiter yields its core, and after a few hundred yields sleeps.
#pragma once

#include <chrono>
#include <cstddef>
#include <thread>

namespace pygdx {
namespace detail {

inline void cpu_relax() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

using WaitClock = std::chrono::steady_clock;

// How long a waiter spins before it yields its core: a few batches of a medium epoch (about
// 5 us each at 32 rows of 100 features), far shorter than a time slice. Time, not a count
// of pauses: a pause takes 10 to 140 cycles depending on the CPU.
inline constexpr std::chrono::microseconds spin_time{10};

// Waits until ready() or given_up() returns true; returns ready()'s last answer (false: given
// up). Adds to *waited about how long it waited (nothing when ready within a few pauses).
template <class Ready, class GivenUp>
bool wait_until(Ready&& ready, GivenUp&& given_up, WaitClock::duration* waited = nullptr) {
    // The clock is read once every pauses_per_clock_read pauses (~20 ns a read): the usual
    // wait, under a microsecond, never reads it.
    constexpr std::size_t pauses_per_clock_read = 32;
    constexpr std::size_t yields_before_sleep = 256;
    std::size_t waits = 0;
    std::size_t yields = 0;
    bool timed = false;
    WaitClock::time_point began{};
    while (!ready()) {
        if (given_up()) {
            return false;
        }
        if (++waits % pauses_per_clock_read != 0) {
            cpu_relax();
            continue;
        }
        const WaitClock::time_point now = WaitClock::now();
        if (!timed) {
            began = now;
            timed = true;
        }
        if (now - began < spin_time) {
            cpu_relax();
        } else if (yields < yields_before_sleep) {
            ++yields;
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }
    if (waited != nullptr && timed) {
        *waited += WaitClock::now() - began;
    }
    return true;
}

}  // namespace detail
}  // namespace pygdx
