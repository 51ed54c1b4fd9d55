// The clocks of the C++ benchmark harnesses (bench_full_pass.cpp, bench_rows.cpp,
// bench_bare.cpp), in one place so that every harness times the same way.
#pragma once

#include <ctime>

namespace pygdx_bench_clock {

inline double seconds_of(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Elapsed time: what a user waits for, whatever the threads do.
inline double wall_seconds() { return seconds_of(CLOCK_MONOTONIC); }

// The calling thread's CPU time: the least disturbed by other work on a shared machine.
inline double cpu_seconds() { return seconds_of(CLOCK_THREAD_CPUTIME_ID); }

// CPU time of every thread of the process: over wall time, how many cores a pass kept busy.
inline double process_cpu_seconds() { return seconds_of(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace pygdx_bench_clock
