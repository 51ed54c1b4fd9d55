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
//     /tmp/bench_rows batches B [rounds [chunk rows [ring KiB]]]
//                                # 200,000 x 100, batch B (1, 32, 256, ...): the one-core and
//                                # all-core floors, one thread, the team, rows gathered by a
//                                # helper, by both threads; wall time, ABAB in one process
//     /tmp/bench_rows cached     # plain SGD's compute alone: ns per row on rows that stay in cache
//     /tmp/bench_rows trainer    # 16 x 3, every rule, batch 1 and 16, float64 and float32, through
//                                # the Trainer (undo, checks, loss record) as a fit runs it; and
//                                # alone, the shuffle and the Trainer's work around an empty epoch
//     /tmp/bench_rows arithmetic # each rule's arithmetic floor of a batch-1 step on 3 features:
//                                # ns per step of a bare loop of dot, derivative, coefficients, update
//     /tmp/bench_rows bare       # the same with no pygdx code and the late steps' scalars hoisted:
//                                # a lower bound of any step (benchmarks/small_floors.py)
//
// floor and cached train with the estimators' default penalty (l2, alpha 1e-4); floor
// alternates the floor's pass and the epoch (7 rounds, best of each), so both see the same
// load, and prints their ratio (issue 15's batch-1 target: 1.1x).
//
// For an A/B comparison build the same file against the other tree's src/cpp and run the
// two binaries alternately (ABAB), reading the best of each: the machine's load moves both.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "../tests/cpp/epoch_inputs.hpp"
#include "bench_clock.hpp"
#include "huge_pages.hpp"
#include "core/epoch.hpp"
#include "core/floors.hpp"
#include "core/gathered_batches_epoch.hpp"
#include "core/trainer.hpp"

using namespace pygdx;
using namespace pygdx_epoch_inputs;
using namespace pygdx_bench_clock;

// The rows in huge pages, as NumPy holds them: a floor or an epoch read from 4 KiB pages
// misses the TLB on nearly every shuffled row (huge_pages.hpp).
template <class T>
using Rows = pygdx_bench_pages::HugePageVector<T>;

namespace {

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

// A model of rule `rc` at zero on (X, y) as a fit starts it: the problem, the rows in order,
// the weights, the state buffers the rule uses (the others null, as the bindings pass them),
// the counters and the epoch's scratch.
template <class T>
struct FitStart {
    FitStart(const RuleCase& rc, const Rows<T>& X, const Rows<T>& y, std::size_t d, Penalty penalty)
        : pb(problem(d, penalty)), order(y.size()), h(hyper_of(rc)), theta(d + 1, T(0)),
          states(max_state_buffers, std::vector<T>(d + 1, T(0))), work(pb, 1) {
        for (std::size_t i = 0; i < order.size(); ++i) {
            order[i] = static_cast<std::int64_t>(i);
        }
        data = rows_in_order(X, y, order);
        schedule.lr = rc.lr;
        params.param = theta.data();
        params.size = d + 1;
        for (int s = 0; s < max_state_buffers; ++s) {
            params.state[s] = state_buffer_used(h, s) ? states[static_cast<std::size_t>(s)].data() : nullptr;
        }
    }
    FitStart(const FitStart&) = delete;

    static LinearProblem problem(std::size_t d, Penalty penalty) {
        LinearProblem pb;
        pb.n_features = d;
        pb.penalty = penalty;
        return pb;
    }

    LinearProblem pb;
    std::vector<std::int64_t> order;
    LinearData<T> data;
    Hyper h;
    Schedule schedule;
    std::vector<T> theta;
    std::vector<std::vector<T>> states;
    ParamBuffers<T> params;
    double counters[n_counters] = {0.0, 1.0};
    EpochScratch<T> work;
};

// Every epoch of a fit of `epochs` epochs on (X, y), each shuffled first; CPU seconds.
template <class T>
double fit_seconds(const RuleCase& rc, const Rows<T>& X, const Rows<T>& y, std::size_t d,
                   std::size_t epochs, Penalty penalty = Penalty{}, int n_threads = 1,
                   double (*seconds)() = cpu_seconds) {
    FitStart<T> f(rc, X, y, d, penalty);
    const double start = seconds();
    for (std::size_t e = 0; e < epochs; ++e) {
        shuffle_rows(f.order.data(), f.order.size(), e);
        const EpochResult r =
            linear_epoch(f.pb, f.data, 1, f.h, f.schedule, f.counters, f.params, f.work, n_threads);
        if (!r.finite) {
            std::fprintf(stderr, "%s diverged\n", rc.name);
            return -1.0;
        }
    }
    return seconds() - start;
}

bool never_stop(void*) { return false; }

// A fit as the bindings run it: `epochs` epochs of batch `batch` on (X, y), each shuffled by
// its seed, through Trainer::run in calls of 16,384 epochs (_training.py's EPOCHS_PER_CALL),
// with an Interrupt that polls (and never stops); CPU seconds.
template <class T>
double trainer_fit_seconds(const RuleCase& rc, const Rows<T>& X, const Rows<T>& y, std::size_t d,
                           std::size_t epochs, std::size_t batch) {
    FitStart<T> f(rc, X, y, d, Penalty{});
    StoppingRule rule;
    rule.n_coef = d;
    Trainer<T> trainer(f.params, state_buffer_count(f.h), f.counters, rule, 0.0, 0.0, 0);
    std::vector<std::uint64_t> seeds(epochs);
    for (std::size_t e = 0; e < epochs; ++e) {
        seeds[e] = 0x9E3779B97F4A7C15ULL * (e + 1);
    }
    Interrupt interrupt(&never_stop, nullptr);
    const std::size_t per_call = 16384;
    const double start = cpu_seconds();
    for (std::size_t done = 0; done < epochs; done += per_call) {
        const TrainOutcome o = trainer.run(
            [&](const std::uint64_t* seed, Interrupt* stop) {
                shuffle_rows(f.order.data(), f.order.size(), *seed);
                return linear_epoch(f.pb, f.data, batch, f.h, f.schedule, f.counters, f.params, f.work, 1, stop);
            },
            seeds.data() + done, std::min(per_call, epochs - done), &interrupt, true);
        if (o != TrainOutcome::epochs_done) {
            std::fprintf(stderr, "%s stopped early (%d)\n", rc.name, static_cast<int>(o));
            return -1.0;
        }
    }
    return cpu_seconds() - start;
}

// The per-epoch costs around the steps of a 16-row batch-1 epoch, each alone: the shuffle of
// the 16 indices, and the Trainer's own work (undo save, checks, loss record, divergence and
// tol rules, interrupt poll) around an epoch that does nothing. CPU ns per epoch, best of 5
// fits of `epochs` epochs.
template <class T>
void epoch_fixed_costs(const RuleCase& rc, const Rows<T>& X, const Rows<T>& y, std::size_t d,
                       std::size_t epochs, double* shuffle_ns, double* trainer_ns) {
    double best_shuffle = 1e300, best_trainer = 1e300;
    for (int round = 0; round < 5; ++round) {
        FitStart<T> f(rc, X, y, d, Penalty{});
        double start = cpu_seconds();
        for (std::size_t e = 0; e < epochs; ++e) {
            shuffle_rows(f.order.data(), f.order.size(), 0x9E3779B97F4A7C15ULL * (e + 1));
        }
        best_shuffle = std::min(best_shuffle, cpu_seconds() - start);
        // the weights and state made non-zero, as after the first epoch: the undo copies them
        for (std::size_t s = 0; s < f.states.size(); ++s) {
            std::fill(f.states[s].begin(), f.states[s].end(), T(0.5));
        }
        std::fill(f.theta.begin(), f.theta.end(), T(0.25));
        StoppingRule rule;
        rule.n_coef = d;
        Trainer<T> trainer(f.params, state_buffer_count(f.h), f.counters, rule, 0.0, 0.0, 0);
        Interrupt interrupt(&never_stop, nullptr);
        std::vector<std::uint64_t> seeds(1024, 1);
        start = cpu_seconds();
        for (std::size_t done = 0; done < epochs; done += seeds.size()) {
            trainer.run(
                [&](const std::uint64_t*, Interrupt*) {
                    EpochResult r;
                    r.loss = 1.0;
                    r.steps = y.size();
                    return r;
                },
                seeds.data(), std::min(seeds.size(), epochs - done), &interrupt, true);
        }
        best_trainer = std::min(best_trainer, cpu_seconds() - start);
    }
    *shuffle_ns = best_shuffle / static_cast<double>(epochs) * 1e9;
    *trainer_ns = best_trainer / static_cast<double>(epochs) * 1e9;
}

template <class T>
void make_data(std::size_t n, std::size_t d, Rows<T>* X, Rows<T>* y) {
    const std::vector<T> rows = hashed_rows<T>(n, d);
    X->assign(rows.begin(), rows.end());
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
    Rows<double> X, y;
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

// Every rule through the Trainer on 16 x 3, batch 1 and 16 (16 is also the full batch), in
// float64 and float32: ns per epoch, best of 5 fits of 20,000 epochs.
template <class T>
void through_trainer(const char* dtype) {
    Rows<T> X, y;
    make_data(16, 3, &X, &y);
    const std::size_t epochs = 20000;
    std::printf("16 x 3 %s through the Trainer, ns per epoch (best of 5 fits of %zu epochs, CPU time)\n", dtype,
                epochs);
    std::printf("  %-13s %8s %8s %8s %8s\n", "rule", "batch 1", "batch 16", "shuffle", "trainer");
    for (const RuleCase& rc : rule_cases) {
        double best[2] = {1e300, 1e300};
        for (int round = 0; round < 5; ++round) {
            best[0] = std::min(best[0], trainer_fit_seconds(rc, X, y, 3, epochs, 1));
            best[1] = std::min(best[1], trainer_fit_seconds(rc, X, y, 3, epochs, 16));
        }
        double shuffle_ns = 0.0, trainer_ns = 0.0;
        epoch_fixed_costs(rc, X, y, 3, epochs, &shuffle_ns, &trainer_ns);
        std::printf("  %-13s %8.1f %8.1f %8.1f %8.1f\n", rc.name, best[0] / static_cast<double>(epochs) * 1e9,
                    best[1] / static_cast<double>(epochs) * 1e9, shuffle_ns, trainer_ns);
    }
}

template <class T>
void large(const char* dtype) {
    Rows<T> X, y;
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

// The arithmetic of rule R's batch-1 steps and nothing else: 320,000 steps (bench_small's
// batch-1 fit) over the 16 rows in order, each the row's dot product, the squared error's
// derivative and gradient, the step's coefficients (begin_rule_step, its powers included)
// and the rule's element updates; no shuffle, no epoch, no trainer, no checks. Each step needs the last one's weights, so this is a chain of dependent steps:
// the floor under a batch-1 step with torch's formulas. CPU seconds per step.
template <class T, Rule R>
double arithmetic_seconds_per_step(const RuleCase& rc, const Rows<T>& X, const Rows<T>& y,
                                   std::size_t d) {
    const std::size_t n = y.size(), steps = 320000;
    double best = 1e300;
    for (int round = 0; round < 5; ++round) {
        FitStart<T> f(rc, X, y, d, Penalty{});
        const ParamBuffers<T>& params = f.params;
        std::vector<T> grad(d + 1);
        detail::PowerMemory memory;
        const double start = cpu_seconds();
        for (std::size_t t = 0; t < steps; ++t) {
            const std::size_t r = t % n;
            const T* x = X.data() + r * d;
            const double z = static_cast<double>(detail::row_dot(params.param, x, d)) +
                             static_cast<double>(params.param[d]);
            const double g = z - static_cast<double>(y[r]);
            const T g_t = static_cast<T>(g);
            for (std::size_t j = 0; j < d; ++j) {
                grad[j] = g_t * x[j];
            }
            grad[d] = g_t;
            const StepCoefficients c = begin_rule_step<R>(f.h, f.schedule, f.counters, &memory);
            detail::rule_update_range<R, true>(f.h, c, params, static_cast<const T*>(grad.data()), 0, d + 1);
        }
        best = std::min(best, cpu_seconds() - start);
        if (!std::isfinite(static_cast<double>(f.theta[0]))) {
            std::fprintf(stderr, "%s diverged\n", rc.name);
        }
    }
    return best / static_cast<double>(steps);
}

void arithmetic() {
    Rows<double> X, y;
    make_data(16, 3, &X, &y);
    std::printf("arithmetic floor of a batch-1 step, 3 features float64, ns per step (best of 5 x 320,000 steps, "
                "CPU time)\n");
    for (const RuleCase& rc : rule_cases) {
        const double seconds = with_rule(rc.rule, [&](auto rule) {
            return arithmetic_seconds_per_step<double, decltype(rule)::value>(rc, X, y, 3);
        });
        std::printf("  %-13s %6.1f\n", rc.name, seconds * 1e9);
    }
}

// The bare floor of a batch-1 step of each rule on 3 features and an intercept (the 16 x 3
// problem): a loop of REFERENCE.md's arithmetic written out here, no pygdx code: the row's
// dot product, the squared error's derivative, the gradient and the rule's element update,
// each step needing the last one's weights. The per-step scalars are those of a late step
// (bias corrections 1, NAdam's momentum factors settled, RAdam rectified), hoisted out of the
// loop: no powers, no divisions by a bias correction, no schedule, no shuffle, no loss
// check. A lower bound of any implementation's step; benchmarks/small_floors.py puts it
// beside scikit-learn's SGDRegressor step in the same run. CPU ns per step, best of 7.
struct BareRows {
    const double* X;
    const double* y;
    std::size_t n;
};

template <class Update>
__attribute__((target_clones("avx2", "default"))) __attribute__((noinline)) double
bare_steps_seconds(const BareRows& rows, std::size_t steps, Update update) {
    alignas(32) double p[4] = {0.0, 0.0, 0.0, 0.0};
    alignas(32) double s[3][4] = {};
    alignas(32) double g[4];
    const double start = cpu_seconds();
    for (std::size_t t = 0; t < steps; ++t) {
        const std::size_t r = t % rows.n;
        const double* x = rows.X + 3 * r;
        const double z = p[0] * x[0] + p[1] * x[1] + p[2] * x[2] + p[3];
        const double dz = z - rows.y[r];
        for (int j = 0; j < 3; ++j) {
            g[j] = dz * x[j];
        }
        g[3] = dz;
        for (int j = 0; j < 4; ++j) {
            update(p[j], g[j], s[0][j], s[1][j], s[2][j]);
        }
    }
    const double seconds = cpu_seconds() - start;
    if (!std::isfinite(p[0] + p[1] + p[2] + p[3])) {
        std::fprintf(stderr, "a bare loop diverged\n");
    }
    return seconds;
}

void bare() {
    Rows<double> X, y;
    make_data(16, 3, &X, &y);
    const BareRows rows{X.data(), y.data(), 16};
    const std::size_t steps = 320000;
    const double lr = 0.01, eps = 1e-8, b1 = 0.9, b2 = 0.999;
    struct Named {
        const char* name;
        std::function<double()> run;
    };
    auto time_of = [&](auto update) { return [&rows, steps, update] { return bare_steps_seconds(rows, steps, update); }; };
    const Named rules[] = {
        {"sgd", time_of([lr](double& p, double g, double&, double&, double&) { p -= lr * g; })},
        {"sgd-momentum", time_of([lr](double& p, double g, double& b, double&, double&) {
             b = 0.9 * b + g;
             p -= lr * b;
         })},
        {"adagrad", time_of([lr](double& p, double g, double& sum, double&, double&) {
             sum += g * g;
             p -= lr * (g / (std::sqrt(sum) + 1e-10));
         })},
        {"rmsprop", time_of([lr, eps](double& p, double g, double& v, double&, double&) {
             v = 0.99 * v + 0.01 * g * g;
             p -= lr * (g / (std::sqrt(v) + eps));
         })},
        {"adadelta", time_of([](double& p, double g, double& v, double& u, double&) {
             v = 0.9 * v + 0.1 * g * g;
             const double delta = std::sqrt(u + 1e-6) / std::sqrt(v + 1e-6) * g;
             u = 0.9 * u + 0.1 * delta * delta;
             p -= 1.0 * delta;
         })},
        {"adam", time_of([lr, eps, b1, b2](double& p, double g, double& m, double& v, double&) {
             m = b1 * m + (1.0 - b1) * g;
             v = b2 * v + (1.0 - b2) * g * g;
             p -= lr * (m / (std::sqrt(v) + eps));
         })},
        {"adamw", time_of([lr, eps, b1, b2](double& p, double g, double& m, double& v, double&) {
             p *= 1.0 - lr * 1e-2;
             m = b1 * m + (1.0 - b1) * g;
             v = b2 * v + (1.0 - b2) * g * g;
             p -= lr * (m / (std::sqrt(v) + eps));
         })},
        {"adamax", time_of([lr, eps, b1, b2](double& p, double g, double& m, double& u, double&) {
             m = b1 * m + (1.0 - b1) * g;
             u = std::max(b2 * u, std::abs(g) + eps);
             p -= lr * (m / u);
         })},
        {"nadam", time_of([lr, eps, b1, b2](double& p, double g, double& m, double& v, double&) {
             const double mu = b1, grad_coef = lr * (1.0 - mu), avg_coef = lr * mu;  // settled: prod -> 0
             m = b1 * m + (1.0 - b1) * g;
             v = b2 * v + (1.0 - b2) * g * g;
             const double d = std::sqrt(v) + eps;
             p = p - grad_coef * (g / d) - avg_coef * (m / d);
         })},
        {"radam", time_of([lr, eps, b1, b2](double& p, double g, double& m, double& v, double&) {
             const double rect_scale = lr * 0.99;  // rectified, settled
             m = b1 * m + (1.0 - b1) * g;
             v = b2 * v + (1.0 - b2) * g * g;
             p = p - m * rect_scale / (std::sqrt(v) + eps);
         })},
    };
    std::printf("bare floor of a batch-1 step, 16 x 3 float64 (no pygdx code), ns per step (best of 7 x %zu steps, "
                "CPU time)\n",
                steps);
    for (const Named& rule : rules) {
        double best = 1e300;
        for (int round = 0; round < 7; ++round) {
            best = std::min(best, rule.run());
        }
        std::printf("  %-13s %6.1f\n", rule.name, best / static_cast<double>(steps) * 1e9);
    }
}

Penalty default_penalty() { return l2_problem(0, 1e-4).penalty; }

template <class T>
void against_floor(const char* dtype) {
    const std::size_t n = 200000, d = 100;
    Rows<T> X, y;
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
    Rows<T> X, y;
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

// Rows per chunk and ring size of the gathered ways, when given (batches' optional arguments).
std::size_t chunk_override = 0;
std::size_t ring_kib_override = 0;

// One epoch of `batch` rows (1, or a batch that takes the team_parts path) on f's rows as
// `how` reads them, wall seconds (the epoch alone, as the floor's pass is timed alone):
// "team" (mini-batches: the team of split_batch_epoch, as main read them before session 9;
// batch 1: linear_epoch as it is), "helper" (rows gathered ahead by a helper alone) or "both"
// (the stepping thread gathers too: linear_epoch's choice for batch 1 and batches up to 128).
template <class T>
double epoch_seconds(FitStart<T>& f, std::size_t batch, const std::string& how, int n_threads, std::uint64_t seed) {
    shuffle_rows(f.order.data(), f.order.size(), seed);
    const double start = wall_seconds();
    EpochResult r;
    if (how == "team" && batch > 1) {
        std::size_t rows_seen = 0;
        r = split_batch_epoch(f.pb, f.data, batch, f.h, f.schedule, f.counters, f.params, n_threads, &rows_seen,
                              nullptr);
    } else if (how == "team") {
        r = linear_epoch(f.pb, f.data, batch, f.h, f.schedule, f.counters, f.params, f.work, n_threads);
    } else {
        const detail::GatherShare share = how == "both" ? detail::GatherShare::both : detail::GatherShare::helper_only;
        const std::size_t chunk_rows = chunk_override > 0 ? chunk_override
                                       : batch > 1     ? detail::gathered_batch_chunk_rows(batch)
                                                       : detail::gather_chunk_rows;
        detail::GatherPlan plan = detail::gather_plan<T>(
            f.data.n_used, f.pb.n_features, n_threads, chunk_rows, share,
            batch > 1 ? detail::gathered_batch_ring_bytes : detail::gather_ring_bytes);
        if (ring_kib_override > 0) {
            plan.slots = std::max<std::size_t>(2, (ring_kib_override << 10) / (chunk_rows * f.pb.n_features * sizeof(T)));
        }
        if (batch > 1) {
            std::size_t rows_seen = 0;
            r = detail::gathered_batches_epoch(f.pb, f.data, batch, f.h, f.schedule, f.counters, f.params, &rows_seen,
                                               nullptr, plan);
        } else {
            detail::RowSteps done;
            detail::steps_on_rows_gathered_ahead(f.data, f.pb.n_features, plan, [&](const LinearData<T>& rows) {
                if (f.h.rule == Rule::sgd && f.h.momentum == 0.0) {
                    done = detail::sgd_row_steps<T, false, false>(f.pb, rows, f.h, f.schedule, f.counters,
                                                                  f.params.param, nullptr, done);
                } else {
                    done = detail::rule_row_steps(f.pb, rows, f.h, f.schedule, f.counters, f.params,
                                                  f.work.grad.data(), nullptr, done);
                }
                return done.finite;
            });
            r.finite = done.finite;
        }
    }
    const double seconds = wall_seconds() - start;
    if (!r.finite) {
        std::fprintf(stderr, "epoch diverged\n");
    }
    return seconds;
}

// Issue 15's shuffled epochs on 200,000 x 100 (batch 1, 32, 256) against the one-core and
// all-core shuffled floors, each way of reading the rows (epoch_seconds) from the same
// starting model, alternated round by round in one process (wall time, best of `rounds`):
// run it on a quiet machine. "bits" says whether every way ended at the same weights.
template <class T>
void batches(const char* dtype, const RuleCase& rc, std::size_t batch, int rounds) {
    const std::size_t n = 200000, d = 100;
    Rows<T> X, y;
    make_data(n, d, &X, &y);
    const std::vector<T> w(d, T(0.01));
    const char* ways[] = {"one", "team", "helper", "both"};
    double floor1 = 1e300, floor2 = 1e300, best[4] = {1e300, 1e300, 1e300, 1e300};
    bool same = true;
    for (int round = 0; round < rounds; ++round) {
        for (int threads = 1; threads <= 2; ++threads) {
            const double pass = shuffled_floor(X.data(), n, d, w.data(), threads, 1, static_cast<std::uint64_t>(7 + round),
                                               default_prefetch_rows, [] { return false; })
                                    .seconds;
            (threads == 1 ? floor1 : floor2) = std::min(threads == 1 ? floor1 : floor2, pass);
        }
        std::vector<T> first;
        for (int k = 0; k < 4; ++k) {
            FitStart<T> f(rc, X, y, d, default_penalty());
            const std::string how = k == 0 ? "team" : ways[k];
            best[k] = std::min(best[k], epoch_seconds(f, batch, how, k == 0 ? 1 : 2, 11 + round));
            if (k == 0) {
                first = f.theta;
            } else {
                same = same && std::memcmp(first.data(), f.theta.data(), first.size() * sizeof(T)) == 0;
            }
        }
    }
    std::printf("%s %-5s batch %3zu: floor 1 core %6.2f ms, all cores %6.2f ms |", dtype, rc.name, batch, floor1 * 1e3,
                floor2 * 1e3);
    for (int k = 0; k < 4; ++k) {
        std::printf(" %s %6.2f ms %.2fx/%.2fx |", ways[k], best[k] * 1e3, best[k] / floor1, best[k] / floor2);
    }
    std::printf(" bits %s\n", same ? "equal" : "DIFFER");
}

template <class T>
void cached(const char* dtype, std::size_t n) {
    Rows<T> X, y;
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
    if (what == "trainer" || what == "all") {
        through_trainer<double>("float64");
        through_trainer<float>("float32");
    }
    if (what == "arithmetic" || what == "all") {
        arithmetic();
    }
    if (what == "bare" || what == "all") {
        bare();
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
    if (what == "batches") {
        // bench_rows batches [batch] [rounds]: the four ways of batches() per dtype (batch 1: SGD and Adam)
        const std::size_t batch = argc > 2 ? std::stoul(argv[2]) : 32;
        const int rounds = argc > 3 ? std::stoi(argv[3]) : 5;
        // [chunk rows] [ring KiB]: the gathered ways' ring, else the core's choice
        chunk_override = argc > 4 ? std::stoul(argv[4]) : 0;
        ring_kib_override = argc > 5 ? std::stoul(argv[5]) : 0;
        batches<double>("float64", rule_cases[0], batch, rounds);
        batches<float>("float32", rule_cases[0], batch, rounds);
        if (batch == 1) {
            batches<double>("float64", rule_cases[5], batch, rounds);
            batches<float>("float32", rule_cases[5], batch, rounds);
        }
    }
    if (what == "cached" || what == "all") {
        cached<double>("float64", 300);
        cached<float>("float32", 300);
    }
    return 0;
}
