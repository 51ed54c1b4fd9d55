// Bare kernels of issue 15's epochs, timed in one process right beside the floors they are
// judged against (floors.hpp's streaming and shuffled floors, as pygdx.bench measures them).
// A bare kernel is the epoch's unavoidable work and nothing else: no pygdx code, no checks,
// no loss, no schedule, no undo, AVX2 with fused multiply-adds (this machine's best
// arithmetic, which pygdx does not use because it keeps the bits of a plain product and
// sum). If a bare kernel is itself above a target's ratio, no implementation reaches that
// target on this machine; if it is below, the gap is pygdx's.
//
//     g++ -std=c++17 -O3 -g1 -fno-math-errno -ffp-contract=off -pthread -I src/cpp \
//         benchmarks/bench_bare.cpp -o /tmp/bench_bare
//     /tmp/bench_bare full [float64|float32] [rounds]   # 2,000,000 x 100 in order: the
//         # gradient X^T (X w - y) in one read of X on 1 and 2 threads (each thread a
//         # contiguous half), row by row and four rows at a time, / the streaming floors
//     /tmp/bench_bare shuffled B [float64|float32] [rounds [prefetch rows]]   # 200,000 x 100 in a fresh random
//         # order each round, batch B: the bare one-thread epoch (batch 1: the SGD chain dot,
//         # derivative, axpy, next dot, and the same chain over rows both threads gather into a
//         # ring; B > 1: rows' dots and gradient sums, one step a batch),
//         # the bare two-thread epoch (each thread half of every batch, one meeting a batch,
//         # both take the same step), and the meetings alone; / the one- and all-core shuffled
//         # floors
//
// Every round times the floors and the kernels one after the other (ABAB...), and the best of
// each over the rounds is printed, so all of them see the same load. Run it under the
// machine lock: flock -x /work/wt/machine.lock sh -c 'cat /proc/loadavg; /tmp/bench_bare ...'
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../tests/cpp/epoch_inputs.hpp"
#include "bench_clock.hpp"
#include "huge_pages.hpp"
#include "core/floors.hpp"

using namespace pygdx;
using namespace pygdx_bench_clock;
using pygdx_bench_pages::HugePageArray;

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace {

// One AVX2 register of T and the operations the kernels need.
template <class T>
struct Lanes;

template <>
struct Lanes<double> {
    using V = __m256d;
    static constexpr std::size_t width = 4;
    static V zero() { return _mm256_setzero_pd(); }
    static V load(const double* p) { return _mm256_loadu_pd(p); }
    static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
    static V broadcast(double a) { return _mm256_set1_pd(a); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    static V mul_add(V a, V b, V c) { return _mm256_add_pd(_mm256_mul_pd(a, b), c); }
    static V add(V a, V b) { return _mm256_add_pd(a, b); }
    static double total(V v) {
        alignas(32) double u[4];
        _mm256_store_pd(u, v);
        return (u[0] + u[1]) + (u[2] + u[3]);
    }
};

template <>
struct Lanes<float> {
    using V = __m256;
    static constexpr std::size_t width = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static V broadcast(float a) { return _mm256_set1_ps(a); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V mul_add(V a, V b, V c) { return _mm256_add_ps(_mm256_mul_ps(a, b), c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static float total(V v) {
        alignas(32) float u[8];
        _mm256_store_ps(u, v);
        return ((u[0] + u[1]) + (u[2] + u[3])) + ((u[4] + u[5]) + (u[6] + u[7]));
    }
};

// a b + c, fused (one rounding) or as pygdx computes it (a product, then a sum).
template <class T, bool fused>
inline __attribute__((always_inline)) typename Lanes<T>::V multiply_add(typename Lanes<T>::V a, typename Lanes<T>::V b,
                                                                         typename Lanes<T>::V c) {
    return fused ? Lanes<T>::fma(a, b, c) : Lanes<T>::mul_add(a, b, c);
}

// x . w, two chains of multiply-adds.
template <class T, bool fused = true>
inline __attribute__((always_inline)) T dot(const T* __restrict x, const T* __restrict w, std::size_t d) {
    using L = Lanes<T>;
    typename L::V a = L::zero(), b = L::zero();
    std::size_t j = 0;
    for (; j + 2 * L::width <= d; j += 2 * L::width) {
        a = multiply_add<T, fused>(L::load(x + j), L::load(w + j), a);
        b = multiply_add<T, fused>(L::load(x + j + L::width), L::load(w + j + L::width), b);
    }
    for (; j + L::width <= d; j += L::width) {
        a = multiply_add<T, fused>(L::load(x + j), L::load(w + j), a);
    }
    T s = L::total(L::add(a, b));
    for (; j < d; ++j) {
        s += x[j] * w[j];
    }
    return s;
}

// g += a x.
template <class T, bool fused = true>
inline __attribute__((always_inline)) void axpy(T* __restrict g, T a, const T* __restrict x, std::size_t d) {
    using L = Lanes<T>;
    const typename L::V av = L::broadcast(a);
    std::size_t j = 0;
    for (; j + L::width <= d; j += L::width) {
        L::store(g + j, multiply_add<T, fused>(av, L::load(x + j), L::load(g + j)));
    }
    for (; j < d; ++j) {
        g[j] += a * x[j];
    }
}

// g += a0 x0 + a1 x1 + a2 x2 + a3 x3: one load and store of g for four rows.
template <class T>
inline __attribute__((always_inline)) void axpy4(T* __restrict g, const T* a, const T* __restrict x0,
                                                 const T* __restrict x1, const T* __restrict x2,
                                                 const T* __restrict x3, std::size_t d) {
    using L = Lanes<T>;
    const auto a0 = L::broadcast(a[0]), a1 = L::broadcast(a[1]), a2 = L::broadcast(a[2]), a3 = L::broadcast(a[3]);
    std::size_t j = 0;
    for (; j + L::width <= d; j += L::width) {
        auto s = L::fma(a0, L::load(x0 + j), L::load(g + j));
        s = L::fma(a1, L::load(x1 + j), s);
        s = L::fma(a2, L::load(x2 + j), s);
        L::store(g + j, L::fma(a3, L::load(x3 + j), s));
    }
    for (; j < d; ++j) {
        g[j] += a[0] * x0[j] + a[1] * x1[j] + a[2] * x2[j] + a[3] * x3[j];
    }
}

// Four rows' dot products with w, sharing each load of w.
template <class T>
inline __attribute__((always_inline)) void dot4(T* out, const T* __restrict x0, const T* __restrict x1,
                                                const T* __restrict x2, const T* __restrict x3,
                                                const T* __restrict w, std::size_t d) {
    using L = Lanes<T>;
    auto s0 = L::zero(), s1 = L::zero(), s2 = L::zero(), s3 = L::zero();
    std::size_t j = 0;
    for (; j + L::width <= d; j += L::width) {
        const auto wv = L::load(w + j);
        s0 = L::fma(L::load(x0 + j), wv, s0);
        s1 = L::fma(L::load(x1 + j), wv, s1);
        s2 = L::fma(L::load(x2 + j), wv, s2);
        s3 = L::fma(L::load(x3 + j), wv, s3);
    }
    out[0] = L::total(s0);
    out[1] = L::total(s1);
    out[2] = L::total(s2);
    out[3] = L::total(s3);
    for (; j < d; ++j) {
        out[0] += x0[j] * w[j];
        out[1] += x1[j] * w[j];
        out[2] += x2[j] * w[j];
        out[3] += x3[j] * w[j];
    }
}

inline __attribute__((always_inline)) void prefetch_row(const void* p, std::size_t bytes) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    for (std::uintptr_t line = start & ~std::uintptr_t{63}; line < start + bytes; line += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(line), _MM_HINT_T0);
    }
}

// ---- full batch: rows [begin, end) of X in order into g (zeroed first) -----------------------

// Row by row: r = x.w - y, then g += r x while the row is in L1. `ahead` rows prefetched
// (0: the hardware prefetcher alone). Not fused: the products rounded before each sum.
template <class T, bool fused = true>
void gradient_rows(const T* X, const T* y, const T* w, T* g, std::size_t d, std::size_t begin, std::size_t end,
                   std::size_t ahead) {
    std::fill(g, g + d, T(0));
    for (std::size_t i = begin; i < end; ++i) {
        if (ahead > 0 && i + ahead < end) {
            prefetch_row(X + (i + ahead) * d, d * sizeof(T));
        }
        const T* x = X + i * d;
        axpy<T, fused>(g, dot<T, fused>(x, w, d) - y[i], x, d);
    }
}

// Four rows at a time: their dots sharing the loads of w, then one sweep of g for the four.
template <class T>
void gradient_quads(const T* X, const T* y, const T* w, T* g, std::size_t d, std::size_t begin, std::size_t end,
                    std::size_t ahead) {
    std::fill(g, g + d, T(0));
    std::size_t i = begin;
    T r[4];
    for (; i + 4 <= end; i += 4) {
        if (ahead > 0 && i + ahead + 4 <= end) {
            prefetch_row(X + (i + ahead) * d, 4 * d * sizeof(T));
        }
        const T* x = X + i * d;
        dot4(r, x, x + d, x + 2 * d, x + 3 * d, w, d);
        for (int k = 0; k < 4; ++k) {
            r[k] -= y[i + static_cast<std::size_t>(k)];
        }
        axpy4(g, r, x, x + d, x + 2 * d, x + 3 * d, d);
    }
    for (; i < end; ++i) {
        const T* x = X + i * d;
        axpy(g, dot(x, w, d) - y[i], x, d);
    }
}

template <class T, class Kernel>
double full_gradient(Kernel kernel, const HugePageArray<T>& X, const std::vector<T>& y, const std::vector<T>& w,
                     std::vector<T>& g, std::size_t d, int threads, std::size_t ahead) {
    const std::size_t stride = unshared_stride<T>(d);
    g.assign(static_cast<std::size_t>(threads) * stride, T(0));
    parallel_chunks(y.size(), threads, [&](int c, std::size_t begin, std::size_t end) {
        kernel(X.data(), y.data(), w.data(), g.data() + static_cast<std::size_t>(c) * stride, d, begin, end, ahead);
    });
    double sum = 0;
    for (int c = 0; c < threads; ++c) {
        for (std::size_t j = 0; j < d; ++j) {
            sum += static_cast<double>(g[static_cast<std::size_t>(c) * stride + j]);
        }
    }
    return sum;
}

struct Best {
    double seconds = 1e300;
    double value = 0;
    std::vector<double> all;  // every round's time, for the median (a loaded machine's best is luck)
    double median() const {
        std::vector<double> s = all;
        std::sort(s.begin(), s.end());
        return s.empty() ? 0.0 : (s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]));
    }
    template <class F>
    void time(F&& f) {
        const double start = wall_seconds();
        const double v = f();
        const double took = wall_seconds() - start;
        all.push_back(took);
        if (took < seconds) {
            seconds = took;
            value = v;
        }
    }
};

template <class T>
void full(const char* dtype, int rounds) {
    const std::size_t n = 2000000, d = 100;
    // In huge pages, as NumPy's arrays are (huge_pages.hpp).
    const HugePageArray<T> X(pygdx_epoch_inputs::hashed_rows<T>(n, d));
    std::vector<T> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        y[i] = static_cast<T>(X[i * d] - 0.25 * X[i * d + 7]);
    }
    const std::vector<T> w(d, T(0.01));
    std::vector<T> g;
    const auto never = [] { return false; };
    const std::size_t aheads[] = {0, 8, 16};
    Best floor1, floor2, rows1[3], rows2[3], quads1[3], quads2[3], plain1[3], plain2[3];
    for (int r = 0; r < rounds; ++r) {
        floor1.time([&] { return streaming_floor(X.data(), n, d, w.data(), 1, 1, never).dot_sum; });
        floor2.time([&] { return streaming_floor(X.data(), n, d, w.data(), 0, 1, never).dot_sum; });
        for (int a = 0; a < 3; ++a) {
            rows1[a].time([&] { return full_gradient<T>(gradient_rows<T>, X, y, w, g, d, 1, aheads[a]); });
            rows2[a].time([&] { return full_gradient<T>(gradient_rows<T>, X, y, w, g, d, 2, aheads[a]); });
            quads1[a].time([&] { return full_gradient<T>(gradient_quads<T>, X, y, w, g, d, 1, aheads[a]); });
            quads2[a].time([&] { return full_gradient<T>(gradient_quads<T>, X, y, w, g, d, 2, aheads[a]); });
            plain1[a].time([&] { return full_gradient<T>(gradient_rows<T, false>, X, y, w, g, d, 1, aheads[a]); });
            plain2[a].time([&] { return full_gradient<T>(gradient_rows<T, false>, X, y, w, g, d, 2, aheads[a]); });
        }
    }
    std::printf("%s 2000000 x 100 in order, best of %d rounds: floor 1 core %.2f ms, all cores %.2f ms\n", dtype,
                rounds, floor1.seconds * 1e3, floor2.seconds * 1e3);
    std::printf("  bare gradient (ms; x 1-core floor on 1 thread, x all-core floor on 2)\n");
    for (int a = 0; a < 3; ++a) {
        std::printf("  prefetch %2zu rows ahead: rows  1 thread %7.2f (%.3fx)  2 threads %7.2f (%.3fx)\n", aheads[a],
                    rows1[a].seconds * 1e3, rows1[a].seconds / floor1.seconds, rows2[a].seconds * 1e3,
                    rows2[a].seconds / floor2.seconds);
        std::printf("                           quads 1 thread %7.2f (%.3fx)  2 threads %7.2f (%.3fx)\n",
                    quads1[a].seconds * 1e3, quads1[a].seconds / floor1.seconds, quads2[a].seconds * 1e3,
                    quads2[a].seconds / floor2.seconds);
        std::printf("       rows, not fused     1 thread %7.2f (%.3fx)  2 threads %7.2f (%.3fx)\n",
                    plain1[a].seconds * 1e3, plain1[a].seconds / floor1.seconds, plain2[a].seconds * 1e3,
                    plain2[a].seconds / floor2.seconds);
    }
}

// ---- shuffled epochs: 200,000 x 100, batch B -------------------------------------------------

// Prefetch distance of the shuffled kernels: floors.hpp's unless given on the command line.
std::size_t ahead_rows = default_prefetch_rows;

// Batch 1: the SGD chain. Each step's dot needs the previous step's weights.
template <class T>
double sgd_chain(const T* X, const T* y, T* w, std::size_t d, const std::int64_t* order, std::size_t n, T lr) {
    for (std::size_t i = 0; i < n; ++i) {
        if (i + ahead_rows < n) {
            prefetch_row(X + static_cast<std::size_t>(order[i + ahead_rows]) * d, d * sizeof(T));
        }
        const std::size_t row = static_cast<std::size_t>(order[i]);
        const T* x = X + row * d;
        axpy(w, -lr * (dot(x, w, d) - y[row]), x, d);
    }
    return static_cast<double>(w[0]);
}

// A counter on a line of its own: two threads' batches summed (meet), a ring slot's chunk.
struct alignas(128) Count {
    std::atomic<std::size_t> done{0};
};

// Batch 1 on two threads: the rows are copied in the epoch's order into a ring of chunks
// (32 rows and their targets each, 256 KiB in all) by whichever thread claims the next chunk;
// the stepping thread runs the SGD chain over the ring and, when its next chunk is not there
// yet, gathers the next unclaimed one itself (as pygdx's GatherShare::both).
template <class T>
double sgd_chain_gathered(const T* X, const T* y, T* w, std::size_t d, const std::int64_t* order, std::size_t n,
                          T lr) {
    const std::size_t rows = 32;
    const std::size_t slot_values = rows * (d + 1);
    const std::size_t slots = std::max<std::size_t>(2, (std::size_t{256} << 10) / (slot_values * sizeof(T)));
    const std::size_t chunks = (n + rows - 1) / rows;
    std::vector<T> ring(slots * slot_values);
    std::vector<Count> ready(slots);  // chunk c + 1 once chunk c is in its slot
    std::atomic<std::size_t> claimed{0}, stepped{0};
    auto gather = [&](std::size_t c) {
        T* slot = ring.data() + (c % slots) * slot_values;
        const std::size_t first = c * rows, last = std::min(n, first + rows);
        for (std::size_t i = first; i < last; ++i) {
            if (i + ahead_rows < last) {
                prefetch_row(X + static_cast<std::size_t>(order[i + ahead_rows]) * d, d * sizeof(T));
            }
            const std::size_t row = static_cast<std::size_t>(order[i]);
            std::memcpy(slot + (i - first) * (d + 1), X + row * d, d * sizeof(T));
            slot[(i - first) * (d + 1) + d] = y[row];
        }
        ready[c % slots].done.store(c + 1, std::memory_order_release);
    };
    // Claims the next chunk if it fits in the ring while `consumed` chunks are stepped.
    auto claim = [&](std::size_t consumed) {
        std::size_t c = claimed.load(std::memory_order_relaxed);
        while (c < chunks && c < consumed + slots) {
            if (claimed.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) {
                gather(c);
                return true;
            }
        }
        return false;
    };
    std::thread helper([&] {
        while (claimed.load(std::memory_order_relaxed) < chunks) {
            if (!claim(stepped.load(std::memory_order_acquire))) {
                _mm_pause();
            }
        }
    });
    for (std::size_t c = 0; c < chunks; ++c) {
        while (ready[c % slots].done.load(std::memory_order_acquire) != c + 1) {
            if (!claim(c)) {
                _mm_pause();
            }
        }
        const T* slot = ring.data() + (c % slots) * slot_values;
        const std::size_t count = std::min(rows, n - c * rows);
        for (std::size_t i = 0; i < count; ++i) {
            const T* x = slot + i * (d + 1);
            axpy(w, -lr * (dot(x, w, d) - x[d]), x, d);
        }
        stepped.store(c + 1, std::memory_order_release);
    }
    helper.join();
    return static_cast<double>(w[0]);
}

// Rows order[begin..end) (one thread's share of a batch) summed into g at weights w; the
// prefetches run `ahead_rows` along `mine` (this thread's rows of the whole epoch, in order).
template <class T>
inline __attribute__((always_inline)) void sum_share(const T* X, const T* y, const T* w, T* g, std::size_t d,
                                                     const std::int64_t* order, std::size_t begin, std::size_t end,
                                                     const std::size_t* mine_ahead) {
    for (std::size_t i = begin; i < end; ++i) {
        if (mine_ahead[i - begin] != SIZE_MAX) {
            prefetch_row(X + static_cast<std::size_t>(order[mine_ahead[i - begin]]) * d, d * sizeof(T));
        }
        const std::size_t row = static_cast<std::size_t>(order[i]);
        const T* x = X + row * d;
        axpy(g, dot(x, w, d) - y[row], x, d);
    }
}

// w -= lr/B (g0 + g1): the step both threads take, the same operations in the same order.
template <class T>
inline __attribute__((always_inline)) void step(T* __restrict w, const T* g0, const T* g1, std::size_t d, T scale) {
    for (std::size_t j = 0; j < d; ++j) {
        w[j] -= scale * (g0 == nullptr ? g1[j] : g0[j] + g1[j]);
    }
}

// Position, in the epoch's order, of the row `ahead_rows` further along the rows this thread
// reads (thread t of `threads` reads part t of every batch), or SIZE_MAX past its last.
std::vector<std::size_t> prefetch_plan(std::size_t n, std::size_t batch, int threads, int t) {
    std::vector<std::size_t> mine;
    for (std::size_t b = 0; b < n; b += batch) {
        const std::size_t size = std::min(batch, n - b);
        const std::size_t k = static_cast<std::size_t>(threads);
        const std::size_t u = static_cast<std::size_t>(t);
        for (std::size_t i = b + size * u / k; i < b + size * (u + 1) / k; ++i) {
            mine.push_back(i);
        }
    }
    std::vector<std::size_t> plan(n, SIZE_MAX);
    for (std::size_t k = 0; k + ahead_rows < mine.size(); ++k) {
        plan[mine[k]] = mine[k + ahead_rows];
    }
    return plan;
}

// Batch B on one thread: every batch's rows summed at the batch's weights, then one step.
template <class T>
double batches_one_thread(const T* X, const T* y, T* w, std::size_t d, const std::int64_t* order, std::size_t n,
                          std::size_t batch, T lr, const std::vector<std::size_t>& plan) {
    std::vector<T> g(d);
    for (std::size_t b = 0; b < n; b += batch) {
        const std::size_t e = std::min(n, b + batch);
        std::fill(g.begin(), g.end(), T(0));
        sum_share(X, y, w, g.data(), d, order, b, e, plan.data() + b);
        step(w, static_cast<const T*>(nullptr), g.data(), d, lr / static_cast<T>(e - b));
    }
    return static_cast<double>(w[0]);
}


inline void meet(Count* counts, int t, std::size_t batches_done) {
    counts[t].done.store(batches_done, std::memory_order_release);
    while (counts[1 - t].done.load(std::memory_order_acquire) < batches_done) {
        _mm_pause();
    }
}

// Batch B on two threads (w[t]: thread t's copy of the weights, padded as by padded()): each sums its half of every batch into its own gradient (two
// buffers, alternating by batch, so one meeting a batch suffices), they meet, and both take
// the same step on their own copy of w from both halves. `with_work` false: the meetings alone.
template <class T>
double batches_two_threads(const T* X, const T* y, std::vector<T>* w, std::size_t d, const std::int64_t* order,
                           std::size_t n, std::size_t batch, T lr, const std::vector<std::size_t>* plans,
                           bool with_work) {
    const std::size_t stride = unshared_stride<T>(d);
    std::vector<T> g(4 * stride);  // [batch parity][thread]
    Count counts[2];
    auto run = [&](int t) {
        T* wt = w[t].data() + unshared_stride<T>(0);
        std::size_t k = 0;
        for (std::size_t b = 0; b < n; b += batch, ++k) {
            const std::size_t size = std::min(batch, n - b);
            const std::size_t begin = b + size * static_cast<std::size_t>(t) / 2;
            const std::size_t end = b + size * static_cast<std::size_t>(t + 1) / 2;
            T* mine = g.data() + ((k & 1) * 2 + static_cast<std::size_t>(t)) * stride;
            if (with_work) {
                std::fill(mine, mine + d, T(0));
                sum_share(X, y, wt, mine, d, order, begin, end, plans[t].data() + begin);
            }
            meet(counts, t, k + 1);
            if (with_work) {
                const T* parts = g.data() + (k & 1) * 2 * stride;
                step(wt, parts, parts + stride, d, lr / static_cast<T>(size));
            }
        }
    };
    std::thread other(run, 1);
    run(0);
    other.join();
    return static_cast<double>(w[0][unshared_stride<T>(0)]) + static_cast<double>(w[1][unshared_stride<T>(0)]);
}

// w with two cache lines of room on each side: the two threads' copies share no line.
template <class T>
std::vector<T> padded(const std::vector<T>& w) {
    std::vector<T> out(w.size() + 2 * unshared_stride<T>(0));
    std::copy(w.begin(), w.end(), out.begin() + static_cast<std::ptrdiff_t>(unshared_stride<T>(0)));
    return out;
}

template <class T>
void shuffled(const char* dtype, std::size_t batch, int rounds) {
    const std::size_t n = 200000, d = 100;
    // In huge pages, as NumPy's arrays are (huge_pages.hpp).
    const HugePageArray<T> X(pygdx_epoch_inputs::hashed_rows<T>(n, d));
    std::vector<T> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        y[i] = static_cast<T>(X[i * d] - 0.25 * X[i * d + 7]);
    }
    const T lr = T(0.001);
    const std::vector<T> w0(d, T(0));
    std::vector<std::int64_t> order(n);
    const auto never = [] { return false; };
    const std::vector<std::size_t> plan1 = prefetch_plan(n, batch, 1, 0);
    const std::vector<std::size_t> plans2[2] = {prefetch_plan(n, batch, 2, 0), prefetch_plan(n, batch, 2, 1)};
    Best floor1, floor2, one, two, meetings;
    for (int r = 0; r < rounds; ++r) {
        // The floors shuffle their own order (seed + r); the kernels read a fresh one too.
        floor1.time([&] { return shuffled_floor(X.data(), n, d, w0.data(), 1, 1, 7 + r, default_prefetch_rows, never).dot_sum; });
        floor2.time([&] { return shuffled_floor(X.data(), n, d, w0.data(), 0, 1, 7 + r, default_prefetch_rows, never).dot_sum; });
        floor_detail::shuffle_order(order, 1000, r);
        std::vector<T> w = w0;
        if (batch == 1) {
            one.time([&] { return sgd_chain(X.data(), y.data(), w.data(), d, order.data(), n, lr); });
            std::vector<T> w2 = w0;
            two.time([&] { return sgd_chain_gathered(X.data(), y.data(), w2.data(), d, order.data(), n, lr); });
            if (std::memcmp(w.data(), w2.data(), d * sizeof(T)) != 0) {
                std::printf("  the gathered chain's weights differ from the chain's\n");
            }
        } else {
            one.time([&] { return batches_one_thread(X.data(), y.data(), w.data(), d, order.data(), n, batch, lr, plan1); });
            std::vector<T> ws[2] = {padded(w0), padded(w0)};
            two.time([&] {
                return batches_two_threads(X.data(), y.data(), ws, d, order.data(), n, batch, lr, plans2, true);
            });
            if (std::memcmp(ws[0].data(), ws[1].data(), ws[0].size() * sizeof(T)) != 0) {
                std::printf("  the two threads' weights differ\n");
            }
            meetings.time([&] {
                return batches_two_threads(X.data(), y.data(), ws, d, order.data(), n, batch, lr, plans2, false);
            });
        }
    }
    std::printf("%s 200000 x 100 shuffled, batch %zu, kernels prefetch %zu rows, best of %d rounds: floor 1 core %.2f ms, all cores %.2f ms\n",
                dtype, batch, ahead_rows, rounds, floor1.seconds * 1e3, floor2.seconds * 1e3);
    std::printf("  bare 1 thread   %7.2f ms = %.3fx the 1-core floor, %.3fx the all-core floor\n", one.seconds * 1e3,
                one.seconds / floor1.seconds, one.seconds / floor2.seconds);
    if (batch == 1) {
        std::printf("  bare 2 threads gathering %7.2f ms = %.3fx the 1-core floor, %.3fx the all-core floor\n",
                    two.seconds * 1e3, two.seconds / floor1.seconds, two.seconds / floor2.seconds);
    } else {
        const std::size_t n_batches = (n + batch - 1) / batch;
        std::printf("  bare 2 threads  %7.2f ms = %.3fx the all-core floor\n", two.seconds * 1e3,
                    two.seconds / floor2.seconds);
        std::printf("  median of %d rounds: floor 1 core %.2f ms, all cores %.2f ms, bare 1 thread %.2f ms = %.3fx all-core, "
                    "bare 2 threads %.2f ms = %.3fx all-core\n",
                    rounds, floor1.median() * 1e3, floor2.median() * 1e3, one.median() * 1e3, one.median() / floor2.median(),
                    two.median() * 1e3, two.median() / floor2.median());
        std::printf("  meetings alone  %7.3f ms for %zu batches = %.2f us each = %.3fx the all-core floor\n",
                    meetings.seconds * 1e3, n_batches, meetings.seconds / static_cast<double>(n_batches) * 1e6,
                    meetings.seconds / floor2.seconds);
    }
}

}  // namespace

#pragma GCC pop_options

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "full") {
        const std::string dtype = argc > 2 ? argv[2] : "float64";
        const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
        if (dtype == "float32") {
            full<float>("float32", rounds);
        } else {
            full<double>("float64", rounds);
        }
        return 0;
    }
    if (mode == "shuffled" && argc > 2) {
        const std::size_t batch = static_cast<std::size_t>(std::max(1, std::atoi(argv[2])));
        const std::string dtype = argc > 3 ? argv[3] : "float64";
        const int rounds = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
        if (argc > 5) {
            ahead_rows = static_cast<std::size_t>(std::max(1, std::atoi(argv[5])));
        }
        if (dtype == "float32") {
            shuffled<float>("float32", batch, rounds);
        } else {
            shuffled<double>("float64", batch, rounds);
        }
        return 0;
    }
    std::fprintf(stderr, "usage: bench_bare full [float64|float32] [rounds]\n"
                         "       bench_bare shuffled B [float64|float32] [rounds [prefetch rows]]\n");
    return 2;
}
