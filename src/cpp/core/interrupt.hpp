// A request to stop a long loop early (Ctrl-C), polled by the clock.
//
// The core has no Python headers, so the bindings hand in a poll function (which takes the
// GIL and runs the signal handlers); the loops report the work they did once per batch or
// row, and the clock is read only after about `work_per_clock_read` row-elements, the poll
// called only once per period. Polling every row would cost more than a small row's step.
#pragma once

#include <chrono>
#include <cstddef>

namespace pygdx {

class Interrupt {
public:
    using Poll = bool (*)(void* context);  // true: stop

    Interrupt() = default;
    Interrupt(Poll poll, void* context, std::chrono::microseconds period = std::chrono::milliseconds(5))
        : poll_(poll), context_(context), period_(period), next_(std::chrono::steady_clock::now() + period) {}

    // Called by the thread that owns this object after `work` row-elements of work; true
    // once a stop was requested (and from then on).
    bool requested(std::size_t work) {
        if (poll_ == nullptr) {
            return false;
        }
        if (stopped_) {
            return true;
        }
        work_ += work;
        if (work_ < work_per_clock_read) {
            return false;
        }
        work_ = 0;
        const auto now = std::chrono::steady_clock::now();
        if (now < next_) {
            return false;
        }
        next_ = now + period_;
        stopped_ = poll_(context_);
        return stopped_;
    }

    bool stopped() const { return stopped_; }

private:
    // About a microsecond of work between two reads of the clock (~20 ns each).
    static constexpr std::size_t work_per_clock_read = 4096;
    Poll poll_ = nullptr;
    void* context_ = nullptr;
    std::chrono::microseconds period_{5000};
    std::chrono::steady_clock::time_point next_{};
    std::size_t work_ = 0;
    bool stopped_ = false;
};

}  // namespace pygdx
