// The helper thread of an epoch whose rows a second thread gathers ahead (rows_gathered_ahead.hpp
// for dense rows, sparse_rows_gathered_ahead.hpp for CSR rows): started for the epoch, stopped
// and joined when it ends, however it ends; and when no thread can be had, the epoch runs on
// the calling thread alone, reading its rows in place, with the same bits.
#pragma once

#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>

namespace pygdx {
namespace detail {

// A test hook (tests/test_ahead_thread.py): while `refused` is set, every helper thread's
// start fails as when the system has no thread to give (std::thread's constructor throws
// std::system_error), so that the one-thread fallback can be checked where it cannot be
// provoked; `refusals` counts the starts it failed.
struct HelperThreadStarts {
    std::atomic<bool> refused{false};
    std::atomic<std::size_t> refusals{0};
};

inline HelperThreadStarts& helper_thread_starts() {
    static HelperThreadStarts starts;
    return starts;
}

// Runs together() while a helper thread runs ring.gather(), then calls ring.stop() (the
// helper leaves at its next chunk, whether or not the epoch read them all) and joins it, also
// when together() throws; when the helper cannot start, runs alone() instead. Returns what
// the one that ran returns.
template <class Ring, class Alone, class Together>
decltype(auto) with_helper_thread(Ring& ring, Alone&& alone, Together&& together) {
    std::thread helper;
    try {
        if (helper_thread_starts().refused.load(std::memory_order_relaxed)) {
            helper_thread_starts().refusals.fetch_add(1, std::memory_order_relaxed);
            throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
        }
        helper = std::thread([&ring] { ring.gather(); });
    } catch (const std::system_error&) {  // no thread to be had: one thread does it all
        return alone();
    }
    struct StopAndJoin {
        Ring& ring;
        std::thread& helper;
        ~StopAndJoin() {
            ring.stop();
            helper.join();
        }
    } stop_and_join{ring, helper};
    return together();
}

}  // namespace detail
}  // namespace pygdx
