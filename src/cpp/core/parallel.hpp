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

namespace pygdx {

// Threads worth using for `n` elements when each thread should get at least
// `min_per_thread` of them; `requested` <= 0 means "all hardware threads".
inline int threads_for(std::size_t n, int requested, std::size_t min_per_thread) {
    // Decided before asking the system for its thread count: that query is a system call
    // and would dominate a step on a small parameter.
    if (n < 2 * std::max<std::size_t>(1, min_per_thread)) {
        return 1;
    }
    int available = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
    if (available < 1) {
        available = 1;
    }
    const std::size_t useful = std::max<std::size_t>(1, n / std::max<std::size_t>(1, min_per_thread));
    return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(available), useful));
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
