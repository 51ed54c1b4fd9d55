// The stochastic (batch 1) epochs timed straight in C++ (linear_epoch, one thread, the
// process's CPU time): every rule on 16 x 3 rows (the fixed cost of issue 10: 20,000
// epochs, each shuffled first, time per epoch), and plain SGD and Adam on 200,000 x 100
// shuffled rows in float64 and float32 (issue 15's batch-1 line; best of 5 epochs).
// No Python in the way, so two builds of the core can be compared case by case:
//
//     g++ -std=c++17 -O3 -fno-math-errno -ffp-contract=off -pthread -I src/cpp benchmarks/bench_rows.cpp -o /tmp/bench_rows
//     /tmp/bench_rows small      # 16 x 3, every rule, ns per epoch
//     /tmp/bench_rows large      # 200,000 x 100, ms per epoch
//     /tmp/bench_rows gathered   # 200,000 x 100, rows gathered ahead by a second thread
//     /tmp/bench_rows floor      # plain SGD's 200,000 x 100 epoch / the one-core shuffled floor
//     /tmp/bench_rows cached     # plain SGD's compute alone: ns per row on rows that stay in cache
//
// floor and cached train with the estimators' default penalty (l2, alpha 1e-4); floor
// alternates the floor's pass and the epoch (7 rounds, best of each), so both see the same
// load, and prints their ratio (issue 15's batch-1 target: 1.1x).
//
// For an A/B comparison build the same file against the other tree's src/cpp and run the
// two binaries alternately (ABAB), reading the best of each: the machine's load moves both.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "../tests/cpp/epoch_inputs.hpp"
#include "core/epoch.hpp"
#include "core/floors.hpp"

using namespace pygdx;
using namespace pygdx_epoch_inputs;

namespace {

double wall_seconds() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct RuleCase {
    const char* name;
    Rule rule;
    double lr;
};

const RuleCase rule_cases[] = {
    {"sgd", Rule::sgd, 0.01},         {"sgd-momentum", Rule::sgd, 0.01}, {"adagrad", Rule::adagrad, 0.01},
    {"rmsprop", Rule::rmsprop, 0.01}, {"adadelta", Rule::adadelta, 1.0}, {"adam", Rule::adam, 0.01},
    {"adamw", Rule::adamw, 0.01},     {"adamax", Rule::adamax, 0.01},   {"nadam", Rule::nadam, 0.01},
    {"radam", Rule::radam, 0.01},
};

Hyper hyper_of(const RuleCase& c) {
    Hyper h;
    h.rule = c.rule;
    if (std::string(c.name) == "sgd-momentum") {
        h.momentum = 0.9;
    }
    if (c.rule == Rule::adamw) {
        h.weight_decay = 1e-2;
    }
    if (c.rule == Rule::adagrad) {
        h.eps = 1e-10;
    }
    if (c.rule == Rule::adadelta) {
        h.eps = 1e-6;
    }
    return h;
}

// Every epoch of a fit of `epochs` epochs on (X, y), each shuffled first; CPU seconds.
template <class T>
double fit_seconds(const RuleCase& rc, const std::vector<T>& X, const std::vector<T>& y, std::size_t d,
                   std::size_t epochs, Penalty penalty = Penalty{}, int n_threads = 1,
                   double (*seconds)() = cpu_seconds) {
    const std::size_t n = y.size();
    LinearProblem pb;
    pb.n_features = d;
    pb.penalty = penalty;
    std::vector<std::int64_t> order(n);
    for (std::size_t i = 0; i < n; ++i) {
        order[i] = static_cast<std::int64_t>(i);
    }
    const LinearData<T> data = rows_in_order(X, y, order);
    const Hyper h = hyper_of(rc);
    Schedule schedule;
    schedule.lr = rc.lr;
    Model<T> model(d + 1, T(0));
    EpochScratch<T> work(pb, 1);
    const double start = seconds();
    for (std::size_t e = 0; e < epochs; ++e) {
        shuffle_rows(order.data(), n, e);
        const EpochResult r = linear_epoch(pb, data, 1, h, schedule, model.counters, model.params, work, n_threads);
        if (!r.finite) {
            std::fprintf(stderr, "%s diverged\n", rc.name);
            return -1.0;
        }
    }
    return seconds() - start;
}

template <class T>
void make_data(std::size_t n, std::size_t d, std::vector<T>* X, std::vector<T>* y) {
    *X = hashed_rows<T>(n, d);
    y->resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            s += static_cast<double>((*X)[i * d + j]) * static_cast<double>(j % 5);
        }
        (*y)[i] = static_cast<T>(s);
    }
}

void small() {
    std::vector<double> X, y;
    make_data(16, 3, &X, &y);
    const std::size_t epochs = 20000;
    std::printf("16 x 3 float64, batch 1, ns per epoch (best of 5 fits of %zu epochs, CPU time)\n", epochs);
    for (const RuleCase& rc : rule_cases) {
        double best = 1e300;
        for (int round = 0; round < 5; ++round) {
            best = std::min(best, fit_seconds(rc, X, y, 3, epochs));
        }
        std::printf("  %-13s %8.1f\n", rc.name, best / static_cast<double>(epochs) * 1e9);
    }
}

template <class T>
void large(const char* dtype) {
    std::vector<T> X, y;
    make_data(200000, 100, &X, &y);
    for (const RuleCase& rc : rule_cases) {
        const std::string name = rc.name;
        if (name != "sgd" && name != "adam") {
            continue;
        }
        double best = 1e300;
        for (int round = 0; round < 5; ++round) {
            best = std::min(best, fit_seconds(rc, X, y, 100, 1));
        }
        std::printf("200000 x 100 %s batch 1 %-5s %7.2f ms per epoch (best of 5, CPU time)\n", dtype, rc.name,
                    best * 1e3);
    }
}

Penalty default_penalty() { return l2_problem(0, 1e-4).penalty; }

template <class T>
void against_floor(const char* dtype) {
    const std::size_t n = 200000, d = 100;
    std::vector<T> X, y;
    make_data(n, d, &X, &y);
    const std::vector<T> w(d, T(0.01));
    double floor = 1e300, epoch = 1e300;
    for (int round = 0; round < 7; ++round) {
        // CPU time around the whole call, its shuffle included as the epoch's is: on a shared
        // machine wall time counts the other processes' time slices
        const double start = cpu_seconds();
        shuffled_floor(X.data(), n, d, w.data(), 1, 1, static_cast<std::uint64_t>(7 + round), default_prefetch_rows,
                       [] { return false; });
        floor = std::min(floor, cpu_seconds() - start);
        epoch = std::min(epoch, fit_seconds(rule_cases[0], X, y, d, 1, default_penalty()));
    }
    std::printf("200000 x 100 %s batch 1 sgd: floor %.2f ms, epoch %.2f ms (CPU time, each with its shuffle), epoch / floor %.2fx\n",
                dtype, floor * 1e3, epoch * 1e3, epoch / floor);
}

// The batch-1 epoch with its rows gathered ahead by a second thread (rows_gathered_ahead.hpp)
// against the same epoch on one thread and the one-core floor, all in wall time (two threads'
// work), alternated in one process: run it on a quiet machine.
template <class T>
void gathered(const char* dtype, const RuleCase& rc) {
    const std::size_t n = 200000, d = 100;
    std::vector<T> X, y;
    make_data(n, d, &X, &y);
    const std::vector<T> w(d, T(0.01));
    double floor = 1e300, one = 1e300, two = 1e300;
    for (int round = 0; round < 7; ++round) {
        const double start = wall_seconds();
        shuffled_floor(X.data(), n, d, w.data(), 1, 1, static_cast<std::uint64_t>(7 + round), default_prefetch_rows,
                       [] { return false; });
        floor = std::min(floor, wall_seconds() - start);
        one = std::min(one, fit_seconds(rc, X, y, d, 1, default_penalty(), 1, wall_seconds));
        two = std::min(two, fit_seconds(rc, X, y, d, 1, default_penalty(), 2, wall_seconds));
    }
    std::printf("200000 x 100 %s batch 1 %-5s: one-core floor %.2f ms; epoch on 1 thread %.2f ms (%.2fx), rows gathered "
                "ahead %.2f ms (%.2fx) (wall time, best of 7)\n",
                dtype, rc.name, floor * 1e3, one * 1e3, one / floor, two * 1e3, two / floor);
}

template <class T>
void cached(const char* dtype, std::size_t n) {
    std::vector<T> X, y;
    make_data(n, 100, &X, &y);
    const std::size_t epochs = 200000 / n;
    double best = 1e300;
    for (int round = 0; round < 7; ++round) {
        best = std::min(best, fit_seconds(rule_cases[0], X, y, 100, epochs, default_penalty()));
    }
    std::printf("%zu x 100 %s batch 1 sgd, in cache: %.1f ns per row (best of 7)\n", n, dtype,
                best / static_cast<double>(epochs * n) * 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "small";
    if (what == "small" || what == "all") {
        small();
    }
    if (what == "large" || what == "all") {
        large<double>("float64");
        large<float>("float32");
    }
    if (what == "floor" || what == "all") {
        against_floor<double>("float64");
        against_floor<float>("float32");
    }
    if (what == "gathered" || what == "all") {
        gathered<double>("float64", rule_cases[0]);
        gathered<float>("float32", rule_cases[0]);
        gathered<double>("float64", rule_cases[5]);
        gathered<float>("float32", rule_cases[5]);
    }
    if (what == "cached" || what == "all") {
        cached<double>("float64", 300);
        cached<float>("float32", 300);
    }
    return 0;
}
