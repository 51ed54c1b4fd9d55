// Splitting work over threads with results that do not depend on timing.
//
// Work is cut into a fixed number of contiguous chunks decided only by the problem
// size and the thread count, never by which thread finishes first; reductions sum the
// per-chunk partials in chunk order. Threads are started per call: every caller here
// does milliseconds of work per call, against tens of microseconds to start a thread,
// and per-call threads keep the core free of global state.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace pygdx {

// How many threads this process may run at once: the CPUs of its affinity mask where the
// system says (Linux), else the hardware's thread count; at least 1. A team larger than
// this would spin on cores its own members need.
inline int usable_cores() {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        return std::max(1, CPU_COUNT(&set));
    }
#endif
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// Threads worth using for `n` elements when each thread should get at least
// `min_per_thread` of them; `requested` <= 0 means "every usable core" (the affinity mask:
// a job given 4 CPUs of a 128-core node starts 4 threads, not 128).
inline int threads_for(std::size_t n, int requested, std::size_t min_per_thread) {
    // Decided before asking the system for its thread count: that query is a system call
    // and would dominate a step on a small parameter.
    if (n < 2 * std::max<std::size_t>(1, min_per_thread)) {
        return 1;
    }
    int available = requested > 0 ? requested : usable_cores();
    if (available < 1) {
        available = 1;
    }
    const std::size_t useful = std::max<std::size_t>(1, n / std::max<std::size_t>(1, min_per_thread));
    return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(available), useful));
}

// Elements of T from the start of one thread's buffer of `count` elements to the next's,
// when buffers written by different threads sit side by side in one array: a cache line
// holding the end of one and the start of the other would move between the cores on every
// store of either thread (false sharing: RowPass's per-thread block gradients of 100 doubles
// shared a line, written every four rows). The gap is two lines, since the adjacent-line
// prefetcher fetches lines in pairs.
template <class T>
constexpr std::size_t unshared_stride(std::size_t count) {
    constexpr std::size_t per_two_lines = 128 / sizeof(T);
    return (count + per_two_lines - 1) / per_two_lines * per_two_lines + per_two_lines;
}

// Calls fn(chunk, begin, end) for `n_chunks` contiguous chunks of [0, n), chunk 0 on the
// calling thread. Exceptions from workers are rethrown on the caller after all joined.
template <class Fn>
void parallel_chunks(std::size_t n, int n_chunks, Fn&& fn) {
    if (n_chunks <= 1 || n == 0) {
        fn(0, std::size_t{0}, n);
        return;
    }
    const std::size_t k = static_cast<std::size_t>(n_chunks);
    auto bounds = [n, k](std::size_t c) { return n / k * c + std::min(c, n % k); };
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> errors(k);
    workers.reserve(k - 1);
    for (std::size_t c = 1; c < k; ++c) {
        workers.emplace_back([&, c] {
            try {
                fn(static_cast<int>(c), bounds(c), bounds(c + 1));
            } catch (...) {
                errors[c] = std::current_exception();
            }
        });
    }
    try {
        fn(0, bounds(0), bounds(1));
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& w : workers) {
        w.join();
    }
    for (auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

}  // namespace pygdx
