// What the C++ test programs share to count failed checks and to script an interrupt: a
// check that prints what failed and counts it (the program's exit status reads the count),
// and a poll function that asks the epoch to stop at its stop_at-th call.
#pragma once

#include <cstdio>

namespace pygdx_test_checks {

inline int failures = 0;

inline void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

// The epoch's interrupt poll (EpochControl's poll function) counting its calls.
struct Poller {
    int calls = 0;
    int stop_at = 0;  // the call that asks to stop; 0 and below: the first
};

inline bool poll_count(void* context) {
    Poller* poller = static_cast<Poller*>(context);
    return ++poller->calls >= poller->stop_at;
}

}  // namespace pygdx_test_checks
