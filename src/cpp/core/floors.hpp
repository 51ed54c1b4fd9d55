// The machine's floors for one pass over training data: how fast this machine can read X
// at all, measured on the machine that runs the benchmarks, so that an epoch's time can be
// stated as a ratio to what the memory allows rather than to another library.
//
// - streaming floor: X read once, front to back, taking every row's dot product with w (the
//   work of X @ w): the floor of a full-batch epoch, which must read X at least once;
// - shuffled floor: every row read once in a random order, its dot product with w and
//   nothing else, with the rows ahead in that order prefetched: the floor of a shuffled
//   mini-batch or stochastic epoch, which must gather every row once in such an order;
// - shuffled CSR floor: the same for a CSR matrix, every stored non-zero read once in a
//   random row order.
//
// Each is timed `repeat` times and the best time is kept: the least disturbed by other work
// on a shared machine. The sum of all dot products is returned beside it, so that a caller
// can check that the pass really read the data (and so that no compiler can skip it).
//
// The work of a pass is split into contiguous parts of its row order, one per thread, and
// the parts' sums are added in part order, as parallel.hpp does for the engine.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "core/parallel.hpp"

// The dot products are compiled for AVX-512 and AVX2 as well and the running CPU's version
// is picked at load time (as the optimizer loops are, see optimizers.hpp): a floor measured
// with SSE2 arithmetic would be a floor of the arithmetic, not of the memory.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(PYGDX_NO_SIMD_CLONES)
#define PYGDX_FLOOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PYGDX_FLOOR_CLONES
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PYGDX_FLOOR_INLINE inline __attribute__((always_inline))
// A loop of prefetches has no effect the optimizer must keep; the empty volatile asm naming
// the address is one, so the loop stays.
#define PYGDX_FLOOR_PREFETCH(address)                   \
    do {                                                \
        __builtin_prefetch((address), 0, 3);            \
        __asm__ __volatile__("" : : "r"(address));      \
    } while (0)
#else
#define PYGDX_FLOOR_INLINE inline
#define PYGDX_FLOOR_PREFETCH(address) ((void)(address))
#endif

namespace pygdx {

// Rows ahead in the shuffled order whose cache lines are requested before they are read.
// Swept on a shared 2-core AMD EPYC (benchmarks/RESULTS_floor.md), rows of 100 values: 8
// was best in two of four sweeps, within 6% in a third and 15% in the fourth; none took
// 1.5-1.9x longer and 2 rows left part of the memory latency exposed.
inline constexpr std::size_t default_prefetch_rows = 8;

struct FloorTiming {
    double seconds = 0.0;  // the best of the timed passes
    double dot_sum = 0.0;  // Σ over rows of the row's dot product with w, from the last pass
    int n_threads = 1;     // threads that shared each pass
};

namespace floor_detail {

// A running Σ over rows of the row's dot product with w, kept in one vector of 32 bytes'
// lanes (one register with AVX2 and AVX-512, two with SSE2; GCC kept a 64-byte vector on
// the stack in the AVX2 clone, three times slower): lane u holds the products of the
// columns j ≡ u (mod lanes), `tail` those past the last full vector. The lanes are added
// only at the end: a reduction across lanes after every row costs more than reading a row
// of 100 values from memory (NumPy's X @ w was 3x faster than that version on data in
// cache), and would make this a floor of the arithmetic. Without -ffast-math the compiler
// would not regroup a plain loop's sum into lanes itself.
#if defined(__GNUC__) || defined(__clang__)
template <class T>
struct LaneSums {
    typedef T Vector __attribute__((vector_size(32)));
    static constexpr std::size_t width = 32 / sizeof(T);
    Vector lanes = {};
    T tail = 0;

    PYGDX_FLOOR_INLINE void add_row(const T* __restrict x, const T* __restrict w, std::size_t d) {
        std::size_t j = 0;
        for (; j + width <= d; j += width) {
            Vector xv, wv;
            std::memcpy(&xv, x + j, sizeof(Vector));
            std::memcpy(&wv, w + j, sizeof(Vector));
            lanes += xv * wv;
        }
        for (; j < d; ++j) {
            tail += x[j] * w[j];
        }
    }

    double total() const {
        double sum = static_cast<double>(tail);
        for (std::size_t u = 0; u < width; ++u) {
            sum += static_cast<double>(lanes[u]);
        }
        return sum;
    }
};
#else
template <class T>
struct LaneSums {
    double sum = 0;
    void add_row(const T* x, const T* w, std::size_t d) {
        T row = 0;
        for (std::size_t j = 0; j < d; ++j) {
            row += x[j] * w[j];
        }
        sum += static_cast<double>(row);
    }
    double total() const { return sum; }
};
#endif

// Rows are taken four at a time into four running sums: four independent chains of adds.
template <class T, class RowAt, class BeforeRow>
PYGDX_FLOOR_INLINE double sum_of_dots(std::size_t begin, std::size_t end, const T* w, std::size_t d, RowAt row_at,
                                      BeforeRow before_row) {
    LaneSums<T> s0, s1, s2, s3;
    std::size_t i = begin;
    for (; i + 4 <= end; i += 4) {
        before_row(i);
        s0.add_row(row_at(i), w, d);
        before_row(i + 1);
        s1.add_row(row_at(i + 1), w, d);
        before_row(i + 2);
        s2.add_row(row_at(i + 2), w, d);
        before_row(i + 3);
        s3.add_row(row_at(i + 3), w, d);
    }
    for (; i < end; ++i) {
        before_row(i);
        s0.add_row(row_at(i), w, d);
    }
    return (s0.total() + s1.total()) + (s2.total() + s3.total());
}

// Σ data[k]·w[indices[k]] over one CSR row's stored values.
template <class T, class Index>
PYGDX_FLOOR_INLINE T sparse_dot(const T* __restrict data, const Index* __restrict indices, std::size_t begin,
                                std::size_t end, const T* __restrict w) {
    T s[4] = {};
    std::size_t k = begin;
    for (; k + 4 <= end; k += 4) {
        for (std::size_t u = 0; u < 4; ++u) {
            s[u] += data[k + u] * w[indices[k + u]];
        }
    }
    for (; k < end; ++k) {
        s[0] += data[k] * w[indices[k]];
    }
    return (s[0] + s[2]) + (s[1] + s[3]);
}

// Requests every cache line of [p, p + bytes) into L1: a row that does not start on a line
// boundary spans one line more than its size suggests.
PYGDX_FLOOR_INLINE void prefetch_bytes(const void* p, std::size_t bytes) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t end = start + bytes;
    for (std::uintptr_t line = start & ~std::uintptr_t{63}; line < end; line += 64) {
        PYGDX_FLOOR_PREFETCH(reinterpret_cast<const void*>(line));
    }
}

template <class T>
PYGDX_FLOOR_CLONES double streaming_part(const T* X, std::size_t d, const T* w, std::size_t begin, std::size_t end) {
    return sum_of_dots(begin, end, w, d, [&](std::size_t i) { return X + i * d; }, [](std::size_t) {});
}

// Rows order[begin..end) of X; the prefetches stay inside the part, as they would in an
// epoch whose part ends at a batch handed to another thread.
template <class T>
PYGDX_FLOOR_CLONES double shuffled_part(const T* X, std::size_t d, const T* w, const std::int64_t* order,
                                        std::size_t begin, std::size_t end, std::size_t prefetch_rows) {
    auto row_at = [&](std::size_t i) { return X + static_cast<std::size_t>(order[i]) * d; };
    return sum_of_dots(begin, end, w, d, row_at, [&](std::size_t i) {
        if (prefetch_rows > 0 && i + prefetch_rows < end) {
            prefetch_bytes(row_at(i + prefetch_rows), d * sizeof(T));
        }
    });
}

// The row pointers of a row ahead are themselves a random read: they are requested twice as
// far ahead as the row's values, so that the values' prefetch does not wait for them.
template <class T, class Index>
PYGDX_FLOOR_CLONES double shuffled_csr_part(const T* data, const Index* indices, const Index* indptr, const T* w,
                                            const std::int64_t* order, std::size_t begin, std::size_t end,
                                            std::size_t prefetch_rows) {
    double sum = 0;
    for (std::size_t i = begin; i < end; ++i) {
        if (prefetch_rows > 0 && i + 2 * prefetch_rows < end) {
            prefetch_bytes(indptr + order[i + 2 * prefetch_rows], 2 * sizeof(Index));
        }
        if (prefetch_rows > 0 && i + prefetch_rows < end) {
            const auto ahead = static_cast<std::size_t>(order[i + prefetch_rows]);
            const auto first = static_cast<std::size_t>(indptr[ahead]);
            const auto count = static_cast<std::size_t>(indptr[ahead + 1]) - first;
            prefetch_bytes(data + first, count * sizeof(T));
            prefetch_bytes(indices + first, count * sizeof(Index));
        }
        const auto row = static_cast<std::size_t>(order[i]);
        sum += sparse_dot(data, indices, static_cast<std::size_t>(indptr[row]),
                          static_cast<std::size_t>(indptr[row + 1]), w);
    }
    return sum;
}

// The best of `repeat` timings of pass(n_threads) -> dot sum. `prepare(r)` runs untimed
// before pass r (a fresh shuffle); `interrupted()` is asked between passes and ends the
// measurement early when it returns true (the caller then reports the interrupt).
template <class Prepare, class Pass, class Interrupted>
FloorTiming best_of(int repeat, int n_threads, Prepare&& prepare, Pass&& pass, Interrupted&& interrupted) {
    FloorTiming timing;
    timing.n_threads = n_threads;
    timing.seconds = -1.0;
    for (int r = 0; r < repeat; ++r) {
        if (interrupted()) {
            break;
        }
        prepare(r);
        const auto start = std::chrono::steady_clock::now();
        timing.dot_sum = pass();
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        if (timing.seconds < 0.0 || took.count() < timing.seconds) {
            timing.seconds = took.count();
        }
    }
    return timing;
}

// Sum of a pass split into n_threads contiguous parts of [0, n), added in part order.
template <class Part>
double split_sum(std::size_t n, int n_threads, Part&& part) {
    std::vector<double> sums(static_cast<std::size_t>(n_threads), 0.0);
    parallel_chunks(n, n_threads, [&](int c, std::size_t begin, std::size_t end) {
        sums[static_cast<std::size_t>(c)] = part(begin, end);
    });
    double total = 0;
    for (double s : sums) {
        total += s;
    }
    return total;
}

// order = a fresh permutation of [0, n) for every pass r, from `seed` and r.
inline void shuffle_order(std::vector<std::int64_t>& order, std::uint64_t seed, int r) {
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::mt19937_64 engine(seed + static_cast<std::uint64_t>(r));
    std::shuffle(order.begin(), order.end(), engine);
}

}  // namespace floor_detail

// Threads a floor uses: `requested` (0: every hardware thread), never more than rows.
inline int floor_threads(std::size_t n_rows, int requested) { return threads_for(n_rows, requested, 1); }

// Streaming floor of X (n x d, row-major) with w (d values).
template <class T, class Interrupted>
FloorTiming streaming_floor(const T* X, std::size_t n, std::size_t d, const T* w, int n_threads, int repeat,
                            Interrupted&& interrupted) {
    const int threads = floor_threads(n, n_threads);
    return floor_detail::best_of(
        repeat, threads, [](int) {},
        [&] {
            return floor_detail::split_sum(n, threads, [&](std::size_t begin, std::size_t end) {
                return floor_detail::streaming_part(X, d, w, begin, end);
            });
        },
        interrupted);
}

// Shuffled floor of X (n x d, row-major) with w (d values); a new order for every pass.
template <class T, class Interrupted>
FloorTiming shuffled_floor(const T* X, std::size_t n, std::size_t d, const T* w, int n_threads, int repeat,
                           std::uint64_t seed, std::size_t prefetch_rows, Interrupted&& interrupted) {
    const int threads = floor_threads(n, n_threads);
    std::vector<std::int64_t> order(n);
    return floor_detail::best_of(
        repeat, threads, [&](int r) { floor_detail::shuffle_order(order, seed, r); },
        [&] {
            return floor_detail::split_sum(n, threads, [&](std::size_t begin, std::size_t end) {
                return floor_detail::shuffled_part(X, d, w, order.data(), begin, end, prefetch_rows);
            });
        },
        interrupted);
}

// Shuffled floor of a CSR matrix (n_rows rows; row i's values data[indptr[i]..indptr[i+1])
// in columns indices[...]) with w; the inputs must have passed first_invalid_csr_entry.
template <class T, class Index, class Interrupted>
FloorTiming shuffled_csr_floor(const T* data, const Index* indices, const Index* indptr, std::size_t n_rows,
                               const T* w, int n_threads, int repeat, std::uint64_t seed, std::size_t prefetch_rows,
                               Interrupted&& interrupted) {
    const int threads = floor_threads(n_rows, n_threads);
    std::vector<std::int64_t> order(n_rows);
    return floor_detail::best_of(
        repeat, threads, [&](int r) { floor_detail::shuffle_order(order, seed, r); },
        [&] {
            return floor_detail::split_sum(n_rows, threads, [&](std::size_t begin, std::size_t end) {
                return floor_detail::shuffled_csr_part(data, indices, indptr, w, order.data(), begin, end,
                                                       prefetch_rows);
            });
        },
        interrupted);
}

// What is wrong with a CSR structure, if anything: the checks a CSR floor needs so that no
// read leaves the arrays. n_stored is the length of data and of indices.
enum class CsrProblem { none, first_pointer_not_zero, pointers_decrease, last_pointer_past_end, column_out_of_range };

struct CsrCheck {
    CsrProblem problem = CsrProblem::none;
    std::size_t position = 0;  // the row (pointers) or the stored entry (columns) at fault
};

template <class Index>
CsrCheck first_invalid_csr_entry(const Index* indices, const Index* indptr, std::size_t n_rows, std::size_t n_stored,
                                 std::size_t n_columns) {
    if (indptr[0] != 0) {
        return {CsrProblem::first_pointer_not_zero, 0};
    }
    for (std::size_t i = 0; i < n_rows; ++i) {
        if (indptr[i + 1] < indptr[i]) {
            return {CsrProblem::pointers_decrease, i};
        }
    }
    if (static_cast<std::uint64_t>(indptr[n_rows]) > n_stored) {
        return {CsrProblem::last_pointer_past_end, n_rows};
    }
    const auto used = static_cast<std::size_t>(indptr[n_rows]);
    for (std::size_t k = 0; k < used; ++k) {
        if (indices[k] < 0 || static_cast<std::uint64_t>(indices[k]) >= n_columns) {
            return {CsrProblem::column_out_of_range, k};
        }
    }
    return {};
}

}  // namespace pygdx

#undef PYGDX_FLOOR_PREFETCH
