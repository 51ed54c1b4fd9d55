// The arithmetic floor torch's formulas put under a small stochastic step (issue 10): the
// libm pow calls a step needs while its powers can still change a bit, timed bare. NAdam's
// momentum factor needs one new pow(0.96, (t + 1) psi) per step until step 238,000 (psi =
// 4e-3), the Adam family's bias corrections one pow(beta, t) per beta until beta^t < 2^-56
// (about 370 steps for 0.9, 38,800 for 0.999); bench_small's batch-1 fit makes 320,000 steps.
// Compare with scikit-learn's whole step (SGDRegressor on 16 x 3, see RESULTS_floor.md).
//
//     g++ -std=c++17 -O2 -fno-math-errno benchmarks/bench_pow.cpp -o /tmp/bench_pow && /tmp/bench_pow
#include <cmath>
#include <cstdio>
#include <ctime>

namespace {

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Best of 7 timings of `steps` calls of term(t), t = 1..steps, in CPU seconds per call.
template <class Term>
double per_call(int steps, Term term) {
    volatile double sink = 0.0;  // keeps the sum, and so every call, alive
    double best = 1e300;
    for (int round = 0; round < 7; ++round) {
        const double start = cpu_seconds();
        double sum = 0.0;
        for (int t = 1; t <= steps; ++t) {
            sum += term(static_cast<double>(t));
        }
        sink = sum;
        best = std::fmin(best, cpu_seconds() - start);
    }
    (void)sink;
    return best / steps;
}

}  // namespace

int main() {
    const int steps = 320000;  // bench_small's batch-1 fit: 20,000 epochs of 16 rows
    const double nadam = per_call(steps, [](double t) { return std::pow(0.96, (t + 1.0) * 4e-3); });
    const double beta2 = per_call(steps, [](double t) { return std::pow(0.999, t); });
    const double loop = per_call(steps, [](double t) { return (t + 1.0) * 4e-3; });
    std::printf("ns per call (best of 7 x %d, CPU time): NAdam's pow(0.96, (t+1) psi) %.1f; a bias correction's "
                "pow(0.999, t) %.1f; the loop alone %.1f\n",
                steps, nadam * 1e9, beta2 * 1e9, loop * 1e9);
    return 0;
}
