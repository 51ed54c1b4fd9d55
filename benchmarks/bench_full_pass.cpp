// The full-batch pass timed straight in C++ against the streaming floors of floors.hpp, in
// the same process (issue 15's full-batch line: <= 1.15x the all-core streaming floor).
// 2,000,000 x 100 rows in order, squared error, l2 penalty (the estimators' defaults).
//
//     g++ -std=c++17 -O3 -g1 -fno-math-errno -ffp-contract=off -pthread -I src/cpp \
//         benchmarks/bench_full_pass.cpp -o /tmp/bench_full_pass
//     /tmp/bench_full_pass [float64|float32|both] [rounds]
//     /tmp/bench_full_pass cached   # the pass's arithmetic alone, rows in cache, ns per row
//
// Each round times, one after the other, the one-core floor, the all-core floor, RowPass's
// sum on one thread and on all cores (a full-batch epoch is that sum and one step on 101
// parameters); the best of each over the rounds is kept, so all of them see the same load. Wall time, with the process's CPU time of the best two-thread pass beside it
// (CPU / wall near 2 says both threads ran the whole pass). The sums' hash is printed so
// that two builds can be checked for the same bits.
//
// For an A/B comparison build the same file against the other tree's src/cpp and run the
// two binaries alternately (ABAB), reading the best of each.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "../tests/cpp/epoch_inputs.hpp"
#include "bench_clock.hpp"
#include "huge_pages.hpp"
#include "core/linear.hpp"
#include "core/floors.hpp"

using namespace pygdx;
using namespace pygdx_epoch_inputs;
using namespace pygdx_bench_clock;
using pygdx_bench_pages::HugePageArray;

namespace {

// FNV-1a over bytes: equal hashes across builds mean the same sums, bit for bit.
std::uint64_t hash_bytes(const void* p, std::size_t n, std::uint64_t h = 1469598103934665603ull) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}

// Every row of X (targets y) in order, as a full-batch epoch reads them.
template <class T, class Rows>
LinearData<T> all_rows_in_order(const Rows& X, const std::vector<T>& y) {
    LinearData<T> data;
    data.X = X.data();
    data.y = y.data();
    data.n_used = y.size();
    data.n_readable = y.size();
    return data;
}

struct Best {
    double wall = 1e300;
    double cpu = 0.0;  // process CPU time of the best round
    void keep(double w, double c) {
        if (w < wall) {
            wall = w;
            cpu = c;
        }
    }
};

template <class F>
void time_into(Best& best, F&& f) {
    const double c0 = process_cpu_seconds();
    const double w0 = wall_seconds();
    f();
    const double w1 = wall_seconds();
    best.keep(w1 - w0, process_cpu_seconds() - c0);
}

template <class T>
void run(const char* dtype, int rounds) {
    const std::size_t n = 2000000, d = 100;
    const HugePageArray<T> X(hashed_rows<T>(n, d));  // in huge pages, as NumPy's arrays (huge_pages.hpp)
    std::vector<T> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        y[i] = static_cast<T>(X[i * d] - 0.25 * X[i * d + 7]);
    }
    const LinearProblem pb = l2_problem(d, 1e-4);
    const LinearData<T> data = all_rows_in_order(X, y);
    const std::vector<T> w(d, T(1));
    std::vector<T> theta(pb.n_params(), T(0.01));
    std::vector<double> summed(pb.n_params());
    RowPass<T> one(pb, 1), all(pb, 0);
    const int cores = usable_cores();

    Best floor1, floor2, pass1, pass2;
    double loss1 = 0, loss2 = 0;
    std::uint64_t h1 = 0, h2 = 0;
    for (int r = 0; r < rounds; ++r) {
        const auto never = [] { return false; };
        time_into(floor1, [&] { streaming_floor(X.data(), n, d, w.data(), 1, 1, never); });
        time_into(floor2, [&] { streaming_floor(X.data(), n, d, w.data(), 0, 1, never); });
        time_into(pass1, [&] { loss1 = one.sum(data, theta.data(), summed.data()); });
        h1 = hash_bytes(summed.data(), summed.size() * sizeof(double), hash_bytes(&loss1, sizeof loss1));
        time_into(pass2, [&] { loss2 = all.sum(data, theta.data(), summed.data()); });
        h2 = hash_bytes(summed.data(), summed.size() * sizeof(double), hash_bytes(&loss2, sizeof loss2));
    }
    std::printf("%s 2000000 x 100, %d cores, best of %d rounds (wall ms; CPU/wall)\n", dtype, cores, rounds);
    std::printf("  floor 1 core %7.2f   all cores %7.2f (%.2f)\n", floor1.wall * 1e3, floor2.wall * 1e3,
                floor2.cpu / floor2.wall);
    std::printf("  pass  1 core %7.2f   all cores %7.2f (%.2f)\n", pass1.wall * 1e3, pass2.wall * 1e3,
                pass2.cpu / pass2.wall);
    std::printf("  pass / floor: 1 core %.3fx, all cores %.3fx\n", pass1.wall / floor1.wall,
                pass2.wall / floor2.wall);
    std::printf("  sums hash 1 thread %016llx, all cores %016llx (%s)\n", static_cast<unsigned long long>(h1),
                static_cast<unsigned long long>(h2), h1 == h2 ? "same bits" : "DIFFERENT");
}

// The pass's arithmetic alone: one thread summing 512 rows that stay in L2, 4,000 times
// (2,048,000 rows), best of 7, in the thread's CPU time: the part of the pass that is not
// waiting for memory, with little of the noise of a shared machine.
template <class T>
void cached(const char* dtype) {
    const std::size_t n = 512, d = 100, repeats = 4000;
    std::vector<T> X = hashed_rows<T>(n, d);
    std::vector<T> y(n, T(0.5));
    const LinearProblem pb = l2_problem(d, 1e-4);
    const LinearData<T> data = all_rows_in_order(X, y);
    std::vector<T> theta(pb.n_params(), T(0.01));
    std::vector<double> summed(pb.n_params());
    RowPass<T> one(pb, 1);
    double best = 1e300;
    for (int r = 0; r < 7; ++r) {
        timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        for (std::size_t k = 0; k < repeats; ++k) {
            one.sum(data, theta.data(), summed.data());
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        best = std::min(best, static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec));
    }
    std::printf("%s 512 x 100 in cache: %.2f ns per row (one thread, CPU time, best of 7)\n", dtype,
                best / static_cast<double>(n * repeats) * 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "both";
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    if (what == "cached") {
        cached<double>("float64");
        cached<float>("float32");
        return 0;
    }
    if (what == "float64" || what == "both") {
        run<double>("float64", rounds);
    }
    if (what == "float32" || what == "both") {
        run<float>("float32", rounds);
    }
    return 0;
}
