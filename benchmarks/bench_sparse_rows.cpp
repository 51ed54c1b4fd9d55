// The sparse stochastic epoch (csr_epoch at batch size 1: sparse_sgd_rows.hpp) and the
// shuffled CSR floor (floors.hpp) timed straight in C++, in one process on the same matrix:
// the text case of bench_sparse.py (binary log loss, plain SGD, constant step 0.2, l2 1e-6,
// the intercept's steps damped by 0.01) without Python in the way, built with symbols so
// that `perf record` / `perf annotate` can read the row loop.
//
//     python benchmarks/write_sparse_text.py /tmp/text             # writes the matrix once
//     g++ -std=c++17 -O3 -g1 -fno-math-errno -ffp-contract=off -pthread -I src/cpp \
//         benchmarks/bench_sparse_rows.cpp -o /tmp/bench_sparse_rows
//     /tmp/bench_sparse_rows /tmp/text [rows [rounds]]  # rows: only the first `rows` (in cache)
//
// Each line gives the best of `rounds` (7) shuffled epochs (a new order each; the thread's
// CPU time) and floor passes (the floor's own timing), in ns per stored value, taken
// alternately, and a hash of the weights' bits after the last epoch. For an A/B comparison
// build the same file against the other tree's src/cpp and run the two binaries alternately
// (ABAB): the same hash says both trained the same bits.
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

using namespace pygdx;

namespace {

template <class V>
std::vector<V> read_array(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        std::fprintf(stderr, "cannot open %s (write it with benchmarks/write_sparse_text.py)\n", path.c_str());
        std::exit(2);
    }
    std::fseek(f, 0, SEEK_END);
    const long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    std::vector<V> out(static_cast<std::size_t>(bytes) / sizeof(V));
    if (std::fread(out.data(), sizeof(V), out.size(), f) != out.size()) {
        std::exit(2);
    }
    std::fclose(f);
    return out;
}

// FNV-1a over the bytes of `values`: equal hashes, equal bits (up to a collision).
std::uint64_t bits_hash(const std::vector<double>& values) {
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

// This thread's CPU time: on a shared machine, the time the epoch itself took, whatever the
// neighbours took from the core meanwhile.
double thread_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
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

    std::vector<double> theta(d + 1, 0.0);
    ParamBuffers<double> params;
    params.param = theta.data();
    params.size = d + 1;
    SparseScratch<double> work(pb);
    double counters[n_counters] = {0.0, 1.0};
    std::atomic<bool> changed{false};
    std::vector<std::int64_t> order(n);

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
    double best_epoch = 1e300, best_floor = 1e300, loss = 0.0;
    for (int round = 0; round < rounds; ++round) {
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::mt19937_64 engine(static_cast<std::uint64_t>(round));
        std::shuffle(order.begin(), order.end(), engine);
        const double start = thread_seconds();
        const EpochResult r = csr_epoch(pb, data, 1, settings, hyper, schedule, counters, params, work, 1);
        best_epoch = std::min(best_epoch, thread_seconds() - start);
        loss = r.loss;
        const FloorTiming f = shuffled_csr_floor(values.data(), indices.data(), indptr.data(), n, w.data(), 1, 1,
                                                 static_cast<std::uint64_t>(round), default_prefetch_rows,
                                                 [] { return false; });
        best_floor = std::min(best_floor, f.seconds);
    }
    const double per_epoch = best_epoch / static_cast<double>(nnz) * 1e9;
    const double per_floor = best_floor / static_cast<double>(nnz) * 1e9;
    std::printf("%zu x %zu, %zu stored: epoch %.2f ms (%.2f ns/nnz), floor %.2f ms (%.2f ns/nnz), ratio %.2f, "
                "last loss %.17g, weights' bits %016llx\n",
                n, d, nnz, best_epoch * 1e3, per_epoch, best_floor * 1e3, per_floor, per_epoch / per_floor, loss,
                static_cast<unsigned long long>(bits_hash(theta)));
    return 0;
}
