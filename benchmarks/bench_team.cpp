// The medium-batch team of threads (src/cpp/core/team_parts_epoch.hpp) timed straight in
// C++ on 200,000 x 100 float64 rows in a shuffled order, plain SGD: one member against a team
// of two with its default patience (it finishes an epoch alone once its meetings keep
// outlasting their spin), a team that never gives up, and, for batches of up to 64 rows, the
// column-halves epoch on one thread (column_split_epoch, batch 32's path before session 6),
// else the batch's own path on one thread (linear_epoch). Best of 7 epochs each, interleaved.
//
//     g++ -std=c++17 -O3 -fno-math-errno -ffp-contract=off -pthread -I src/cpp benchmarks/bench_team.cpp -o /tmp/bench_team
//     /tmp/bench_team 32 && /tmp/bench_team 256    # rows per batch
//
// Read it with the machine's load (cat /proc/loadavg): on a quiet machine the team should
// beat one member; on a loaded one the guarded team should stay near one member while the
// team that never gives up falls far behind. The one-thread cases are also timed in the
// thread's CPU time, which time spent off the core (other work on a shared machine) does not
// inflate: the fairer comparison of one member's kernel with column halves there.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "../tests/cpp/epoch_inputs.hpp"
#include "huge_pages.hpp"
#include "core/epoch.hpp"

using namespace pygdx;
using namespace pygdx_epoch_inputs;
using pygdx_bench_pages::HugePageVector;

namespace {

// Milliseconds of wall time and of the calling thread's CPU time.
struct Times {
    double wall = 0.0, cpu = 0.0;
};

double thread_cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) * 1e-6;
}

template <class Fn>
Times timed(Fn&& fn) {
    const double cpu = thread_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    fn();
    return {std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
            thread_cpu_ms() - cpu};
}

// One plain SGD epoch (rate 1e-3, l2 alpha 1e-4, from zero weights) over the rows `order`.
struct SgdEpoch {
    SgdEpoch(const HugePageVector<double>& X, const HugePageVector<double>& y, const std::vector<std::int64_t>& order)
        : pb(l2_problem(X.size() / y.size(), 1e-4)), data(rows_in_order(X, y, order)), model(pb.n_params(), 0.0) {
        schedule.lr = 1e-3;
    }
    LinearProblem pb;
    LinearData<double> data;
    Hyper hyper;
    Schedule schedule;
    Model<double> model;
};

Times epoch_ms(std::size_t batch, int members, detail::TeamPatience patience, const HugePageVector<double>& X,
                const HugePageVector<double>& y, const std::vector<std::int64_t>& order) {
    SgdEpoch e(X, y, order);
    EpochResult result;
    std::size_t rows_seen = 0;
    return timed([&] {
        detail::run_split_batch_epoch(e.pb, e.data, batch, e.hyper, e.schedule, e.model.counters, e.model.params,
                                      members, &result, &rows_seen, nullptr, patience);
    });
}

// The column-halves epoch on one thread for batches it can take (up to rows_per_block rows),
// else the epoch through linear_epoch on one thread: the batch's own path (BatchPath).
Times path_ms(std::size_t batch, const HugePageVector<double>& X, const HugePageVector<double>& y,
               const std::vector<std::int64_t>& order) {
    SgdEpoch e(X, y, order);
    EpochScratch<double> work(e.pb, 1);
    return timed([&] {
        if (column_split_applies(e.pb, batch)) {
            std::size_t rows_seen = 0;
            detail::column_split_epoch(e.pb, e.data, batch, e.hyper, e.schedule, e.model.counters, e.model.params,
                                       work.grad.data(), &rows_seen, nullptr);
        } else {
            linear_epoch(e.pb, e.data, batch, e.hyper, e.schedule, e.model.counters, e.model.params, work, 1);
        }
    });
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t batch = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256;
    const std::size_t n = 200000, d = 100;
    // In huge pages, as NumPy's arrays are (huge_pages.hpp): in 4 KiB pages nearly every
    // shuffled row misses the TLB, which inflates every case alike and hides their differences.
    const std::vector<double> rows = hashed_rows<double>(n, d);
    const HugePageVector<double> X(rows.begin(), rows.end());
    HugePageVector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        y[i] = static_cast<double>(i % 7);
    }
    std::vector<std::int64_t> order(n);
    double best[4] = {1e300, 1e300, 1e300, 1e300}, best_cpu[2] = {1e300, 1e300};
    const detail::TeamPatience never_alone{64, n};
    for (int round = 0; round < 7; ++round) {
        for (std::size_t i = 0; i < n; ++i) {
            order[i] = static_cast<std::int64_t>(i);
        }
        shuffle_rows(order.data(), n, static_cast<std::uint64_t>(round));
        const Times one = epoch_ms(batch, 1, {}, X, y, order);
        best[1] = std::min(best[1], epoch_ms(batch, 2, {}, X, y, order).wall);
        best[2] = std::min(best[2], epoch_ms(batch, 2, never_alone, X, y, order).wall);
        const Times path = path_ms(batch, X, y, order);
        best[0] = std::min(best[0], one.wall);
        best[3] = std::min(best[3], path.wall);
        best_cpu[0] = std::min(best_cpu[0], one.cpu);
        best_cpu[1] = std::min(best_cpu[1], path.cpu);
    }
    std::printf("batch %zu: team parts, one member %.1f ms; team of 2 %.1f ms (%.2fx); team of 2 never alone %.1f ms "
                "(%.2fx); column halves (batch <= 64) or the batch's own path, one thread %.1f ms\n"
                "  one thread's CPU time: one member %.1f ms, column halves or own path %.1f ms (%.2fx)\n",
                batch, best[0], best[1], best[0] / best[1], best[2], best[0] / best[2], best[3], best_cpu[0],
                best_cpu[1], best_cpu[0] / best_cpu[1]);
    return 0;
}
