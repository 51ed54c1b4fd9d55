// The sparse stochastic epoch (csr_epoch at batch size 1: sparse_sgd_rows.hpp) and the
// shuffled CSR floor (floors.hpp) timed straight in C++, in one process on the same matrix:
// the text case of bench_sparse.py (binary log loss, plain SGD, constant step 0.2, l2 1e-6,
// the intercept's steps damped by 0.01) without Python in the way, built with symbols so
// that `perf record` / `perf annotate` can read the row loop.
//
//     python benchmarks/write_sparse_text.py /tmp/text             # writes the matrix once
//     g++ -std=c++17 -O3 -g1 -fno-math-errno -ffp-contract=off -pthread -I src/cpp
//         benchmarks/bench_sparse_rows.cpp -o /tmp/bench_sparse_rows       # one command
//     /tmp/bench_sparse_rows /tmp/text [rows [rounds]]  # rows: only the first `rows` (in cache)
//
// Warmed variants (sparse_rows_warmed_ahead.hpp, session 13) are extra arguments after
// `rounds`, READS:LEAD_MIN:LEAD_MAX:STRIDE:WAIT[:DISTANCE], e.g. loads:64:1024:32:sleep:16;
// PYGDX_BENCH_HUGE=1 madvises the arrays for huge pages as NumPy does.
//
// It trains two models from zero through the same `rounds` (7) shuffled orders (a new order
// each round): one with the epoch on one thread, one with its rows gathered ahead by a second
// thread (sparse_rows_gathered_ahead.hpp), taken alternately (ABAB, then BABA), between the
// floor's passes. Each line gives the best epoch's wall time (ns per stored value and x the
// floor's best) and CPU time (both threads), the last loss, and a hash of the weights' bits:
// the same hash says both trained the same bits. For an A/B comparison of two trees, build the
// same file against the other tree's src/cpp and run the two binaries alternately.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <time.h>
#include <vector>

#include "core/floors.hpp"
#include "core/sparse_epoch.hpp"
#include "huge_pages.hpp"
#include "sparse_rows_warmed_ahead.hpp"  // benchmarks/: the warmed prototype

using namespace pygdx;

namespace {

// With PYGDX_BENCH_HUGE=1 in the environment, the arrays go where huge_pages.hpp puts a
// harness's rows (2 MiB-aligned, madvised for transparent huge pages, as NumPy does for large
// arrays): then the rows' reads do not miss the TLB once a page, as in a fit from Python.
// Without it, where operator new puts them (4 KiB pages), as earlier sessions measured.
inline bool huge_pages_asked() {
    static const bool asked = [] {
        const char* env = std::getenv("PYGDX_BENCH_HUGE");
        return env != nullptr && env[0] == '1';
    }();
    return asked;
}

template <class V>
struct MaybeHuge : pygdx_bench_pages::HugePageAllocator<V> {
    using value_type = V;
    MaybeHuge() = default;
    template <class U>
    MaybeHuge(const MaybeHuge<U>&) {}
    V* allocate(std::size_t count) {
        return huge_pages_asked() ? pygdx_bench_pages::HugePageAllocator<V>::allocate(count)
                                  : static_cast<V*>(::operator new(count * sizeof(V)));
    }
    void deallocate(V* p, std::size_t count) {
        if (huge_pages_asked()) {
            pygdx_bench_pages::HugePageAllocator<V>::deallocate(p, count);
        } else {
            ::operator delete(p);
        }
    }
};
template <class V>
using Array = std::vector<V, MaybeHuge<V>>;

template <class V>
Array<V> read_array(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        std::fprintf(stderr, "cannot open %s (write it with benchmarks/write_sparse_text.py)\n", path.c_str());
        std::exit(2);
    }
    std::fseek(f, 0, SEEK_END);
    const long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    Array<V> out(static_cast<std::size_t>(bytes) / sizeof(V));
    if (std::fread(out.data(), sizeof(V), out.size(), f) != out.size()) {
        std::exit(2);
    }
    std::fclose(f);
    return out;
}

// FNV-1a over the bytes of `values`: equal hashes, equal bits (up to a collision).
std::uint64_t bits_hash(const Array<double>& values) {
    std::uint64_t h = 14695981039346656037ull;
    for (double v : values) {
        unsigned char bytes[sizeof v];
        std::memcpy(bytes, &v, sizeof v);
        for (unsigned char b : bytes) {
            h = (h ^ b) * 1099511628211ull;
        }
    }
    return h;
}

// The process's CPU time (both threads of a gathered epoch) and the wall time: a gathered
// epoch is two threads' work, so its speed is its wall time, its cost the CPU time.
double process_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double wall_seconds() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// A warmed variant from the command line: READS:LEAD_MIN:LEAD_MAX:STRIDE:WAIT, READS one of
// loads t0 t1 t2 nta w, WAIT sleep or spin (e.g. t0:64:2048:64:sleep).
struct Variant {
    std::string name;
    detail::SparseWarming how;
};

Variant parse_variant(const std::string& spec) {
    Variant v{spec, {}};
    char reads[16] = {}, wait[16] = {};
    unsigned long lo = 0, hi = 0, stride = 0, distance = 8;
    if (std::sscanf(spec.c_str(), "%15[a-z0-9]:%lu:%lu:%lu:%15[a-z]:%lu", reads, &lo, &hi, &stride, wait, &distance) < 5) {
        std::fprintf(stderr, "bad variant %s\n", spec.c_str());
        std::exit(2);
    }
    const std::string r = reads;
    v.how.reads = r == "loads" ? detail::WarmReads::loads
                  : r == "t0"  ? detail::WarmReads::prefetch_t0
                  : r == "t1"  ? detail::WarmReads::prefetch_t1
                  : r == "t2"  ? detail::WarmReads::prefetch_t2
                  : r == "nta" ? detail::WarmReads::prefetch_nta
                               : detail::WarmReads::prefetch_w;
    v.how.lead_min = lo;
    v.how.lead_max = hi;
    v.how.stride = stride;
    v.how.distance = distance;
    v.how.sleeps = std::string(wait) == "sleep";
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PREFIX [rows]\n", argv[0]);
        return 2;
    }
    const std::string prefix = argv[1];
    const auto values = read_array<double>(prefix + ".data");
    const auto indices = read_array<std::int32_t>(prefix + ".indices");
    auto indptr = read_array<std::int32_t>(prefix + ".indptr");
    const auto y = read_array<double>(prefix + ".y");  // ±1
    const auto shape = read_array<std::int64_t>(prefix + ".shape");
    std::size_t n = static_cast<std::size_t>(shape[0]);
    const std::size_t d = static_cast<std::size_t>(shape[1]);
    if (argc > 2) {
        n = std::min(n, static_cast<std::size_t>(std::atol(argv[2])));
    }
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
    std::vector<Variant> variants = {{"one thread", {}}, {"gathered ahead", {}}};
    for (int a = 4; a < argc; ++a) {
        variants.push_back(parse_variant(argv[a]));
    }
    const std::size_t n_runs = variants.size();
    const std::size_t nnz = static_cast<std::size_t>(indptr[n]);

    LinearProblem pb;
    pb.loss.kind = LossKind::log_loss;
    pb.penalty.kind = PenaltyKind::l2;
    pb.penalty.alpha = 1e-6;
    pb.n_features = d;
    Hyper hyper;
    Schedule schedule;
    schedule.lr = 0.2;
    SparseSettings settings;
    settings.intercept_decay = 0.01;

    // The epoch on one thread (A) and with its rows gathered ahead by a second (B), each on
    // its own weights from zero through the same shuffled orders: equal hashes, equal bits.
    struct Run {
        Array<double> theta;
        ParamBuffers<double> params;
        double counters[n_counters] = {0.0, 1.0};
        double best_cpu = 1e300, best_wall = 1e300, loss = 0.0;
        std::size_t stats[3] = {};
    };
    std::vector<Run> runs(n_runs);
    for (Run& run : runs) {
        run.theta.assign(d + 1, 0.0);
        run.params.param = run.theta.data();
        run.params.size = d + 1;
    }
    SparseScratch<double> work(pb);
    std::atomic<bool> changed{false};
    Array<std::int64_t> order(n);

    CsrData<double, std::int32_t> data;
    data.values = values.data();
    data.indices = indices.data();
    data.indptr = indptr.data();
    data.nnz = values.size();
    data.n_columns = d;
    data.changed = &changed;
    data.y = y.data();
    data.rows = order.data();
    data.n_used = n;
    data.n_readable = n;

    std::vector<double> w(d, 1.0 / static_cast<double>(d));
    double best_floor = 1e300;
    for (int round = 0; round < rounds; ++round) {
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::mt19937_64 engine(static_cast<std::uint64_t>(round));
        std::shuffle(order.begin(), order.end(), engine);
        for (std::size_t k = 0; k < n_runs; ++k) {
            const std::size_t which = (static_cast<std::size_t>(round) + k) % n_runs;  // rotated
            Run& run = runs[which];
            const double cpu = process_seconds(), wall = wall_seconds();
            if (which < 2) {
                const EpochResult r = csr_epoch(pb, data, 1, settings, hyper, schedule, run.counters, run.params, work,
                                                which == 0 ? 1 : 2);
                run.loss = r.loss;
            } else {
                // csr_epoch's row steps (sparse_epoch.hpp) with the rows warmed ahead.
                double* theta = run.theta.data();
                std::fill(run.stats, run.stats + 3, 0);
                variants[which].how.stats = run.stats;
                ScaledWeights<double> scaled(theta, d);
                const SparseRowSteps done = detail::sparse_steps_on_rows_warmed_ahead(
                    data, 2,
                    [&](const CsrData<double, std::int32_t>& rows, auto reads, const SparseRowSteps& so_far) {
                        return sparse_sgd_row_steps<decltype(reads)::value>(
                            pb, rows, hyper, schedule, run.counters, scaled, theta, settings.intercept_decay,
                            detail::interrupt_work_per_row, nullptr, so_far);
                    },
                    variants[which].how);
                scaled.fold();
                run.loss = done.loss() / static_cast<double>(done.steps);
            }
            run.best_cpu = std::min(run.best_cpu, process_seconds() - cpu);
            run.best_wall = std::min(run.best_wall, wall_seconds() - wall);
        }
        const FloorTiming f = shuffled_csr_floor(values.data(), indices.data(), indptr.data(), n, w.data(), 1, 1,
                                                 static_cast<std::uint64_t>(round), default_prefetch_rows,
                                                 [] { return false; });
        best_floor = std::min(best_floor, f.seconds);
    }
    const double per_floor = best_floor / static_cast<double>(nnz) * 1e9;
    const std::size_t stored_bytes = data.nnz * (sizeof(double) + sizeof(std::int32_t));
    std::printf("%zu x %zu, %zu stored, gathered ahead: %s; floor %.2f ms (%.2f ns/nnz)\n", n, d, nnz,
                detail::sparse_gathers_rows_ahead(n, stored_bytes, true, 2) ? "yes" : "no (too small)",
                best_floor * 1e3, per_floor);
    for (std::size_t k = 0; k < n_runs; ++k) {
        const Run& run = runs[k];
        const double per_wall = run.best_wall / static_cast<double>(nnz) * 1e9;
        std::printf("  %-26s wall %.2f ms (%.2f ns/nnz, %.2fx the floor), CPU %.2f ms, last loss %.17g, "
                    "weights' bits %016llx\n",
                    variants[k].name.c_str(), run.best_wall * 1e3, per_wall,
                    per_wall / per_floor, run.best_cpu * 1e3, run.loss,
                    static_cast<unsigned long long>(bits_hash(run.theta)));
        if (k >= 2) {
            std::printf("      last epoch's helper: %zu rows warmed, %zu skipped, %zu waits\n", run.stats[0], run.stats[1],
                        run.stats[2]);
        }
    }
    return 0;
}
