// The row kernels every pass over X is built from: prefetching rows gathered through an
// index, and dot products with a fixed summation order.
//
// Every SIMD version of a kernel (PYGDX_SIMD_CLONES, see optimizers.hpp) adds the same
// numbers in the same order: the reductions use sixteen fixed accumulators combined in a
// fixed tree, so results do not depend on the CPU. These helpers are always inlined into
// the clones that call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

// The per-row helpers must be inlined into the SIMD clones that call them (PYGDX_SIMD_CLONES):
// a helper compiled once for the baseline CPU would run the dot products at SSE2 width.
#if defined(__GNUC__) || defined(__clang__)
#define PYGDX_ALWAYS_INLINE inline __attribute__((always_inline))
#define PYGDX_LAMBDA_INLINE __attribute__((always_inline))
#elif defined(_MSC_VER)
#define PYGDX_ALWAYS_INLINE __forceinline
#define PYGDX_LAMBDA_INLINE
#else
#define PYGDX_ALWAYS_INLINE inline
#define PYGDX_LAMBDA_INLINE
#endif

namespace pygdx {
namespace detail {

// Rows gathered through a shuffled index defeat the hardware prefetcher: every row would
// wait for memory. Two requests hide that latency: the whole row a few positions ahead
// (into L1), and the first two cache lines of a row further ahead (into L2), which starts
// the memory access early and lets the L2 streamer, which does not hold one of the core's
// few L1 miss buffers, fetch the rest of that row.
inline constexpr std::size_t prefetch_distance = 8;
inline constexpr std::size_t far_prefetch_distance = 32;

// GCC deletes a loop whose body is only __builtin_prefetch calls when it cannot unroll it
// (the trip count depends on d): a prefetch has no side effect the optimizer must keep.
// The empty volatile asm naming the address is such a side effect, and costs nothing.
#if defined(__GNUC__) || defined(__clang__)
#define PYGDX_PREFETCH(address, locality)                                   \
    do {                                                                     \
        __builtin_prefetch((address), 0, (locality));                        \
        __asm__ __volatile__("" : : "r"(address));                           \
    } while (0)
#else
#define PYGDX_PREFETCH(address, locality) ((void)(address))
#endif

// Every cache line of [p, p + bytes), counted from p's line: a row of 800 bytes that does
// not start on a line boundary spans 14 lines, not 13.
inline void prefetch_bytes(const void* p, std::size_t bytes) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t end = start + bytes;
    for (std::uintptr_t line = start & ~std::uintptr_t{63}; line < end; line += 64) {
        PYGDX_PREFETCH(reinterpret_cast<const void*>(line), 3);
    }
}

inline void prefetch_start_to_l2(const void* p) {
    const auto line = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{63};
    PYGDX_PREFETCH(reinterpret_cast<const void*>(line), 1);
    PYGDX_PREFETCH(reinterpret_cast<const void*>(line + 64), 1);
}

// The prefetches made when row i of `data` (d features) is about to be used.
template <class Data>
PYGDX_ALWAYS_INLINE void prefetch_ahead(const Data& data, std::size_t i, std::size_t d) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(data.X)>>;
    if (i + far_prefetch_distance < data.n_readable) {
        prefetch_start_to_l2(data.X + data.row(i + far_prefetch_distance) * d);
    }
    if (i + prefetch_distance < data.n_readable) {
        prefetch_bytes(data.X + data.row(i + prefetch_distance) * d, d * sizeof(T));
    }
}

// Σ term(j) for j < n with sixteen independent accumulators, combined in a fixed tree:
// the compiler can vectorise the reduction without -ffast-math (which would break NaN
// detection), short dependency chains hide the add latency, and every SIMD width adds the
// same numbers in the same order.
template <class T, class Term>
PYGDX_ALWAYS_INLINE T fixed_order_sum(std::size_t n, Term term) {
    T s[16] = {};
    std::size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        for (std::size_t u = 0; u < 16; ++u) {
            s[u] += term(j + u);
        }
    }
    for (; j < n; ++j) {
        s[0] += term(j);
    }
    for (std::size_t width = 8; width > 0; width /= 2) {
        for (std::size_t u = 0; u < width; ++u) {
            s[u] += s[u + width];
        }
    }
    return s[0];
}

// 32 bytes of T in one value (four doubles or eight floats): one AVX2 register, half an
// AVX-512 one, two SSE2 ones; the same lane-wise operations in every SIMD clone, so every
// clone rounds identically. Written as explicit lanes because the compiler kept the sixteen
// accumulators of several rows in memory. Not wider: GCC lowers a 64-byte vector of doubles
// on AVX2 through the stack (every accumulator stored, reloaded and rebuilt with scalar
// inserts on each iteration), which made the float64 dot product 3x slower than float32's.
#if defined(__GNUC__) || defined(__clang__)
template <class T>
struct Lanes {
    typedef T type __attribute__((vector_size(32)));
    // The same lanes at any address of a T, read by one plain vector load. A memcpy into
    // a vector was lowered on AVX2 to 16-byte copies through the stack that the 32-byte
    // multiply then read back, a failed store-to-load forward on every 16 weights of every
    // float64 dot product (half the batch-1 epoch's compute).
    typedef T unaligned __attribute__((vector_size(32), aligned(sizeof(T)), __may_alias__));
};
#else
template <class T>
struct PortableLanes {
    T v[32 / sizeof(T)];
    T& operator[](std::size_t u) { return v[u]; }
    T operator[](std::size_t u) const { return v[u]; }
    PortableLanes& operator+=(const PortableLanes& o) {
        for (std::size_t u = 0; u < 32 / sizeof(T); ++u) v[u] += o.v[u];
        return *this;
    }
    friend PortableLanes operator*(PortableLanes a, const PortableLanes& b) {
        for (std::size_t u = 0; u < 32 / sizeof(T); ++u) a.v[u] *= b.v[u];
        return a;
    }
};
template <class T>
struct Lanes {
    using type = PortableLanes<T>;
};
#endif

// The sixteen running sums of fixed_order_sum as vectors of lanes_per_vector<T> lanes:
// vector k, lane u holds the terms j ≡ k·L + u (mod 16).
template <class T>
inline constexpr std::size_t lanes_per_vector = 32 / sizeof(T);
template <class T>
inline constexpr std::size_t vectors_per_sums16 = 16 / lanes_per_vector<T>;

template <class T>
struct Sums16 {
    typename Lanes<T>::type v[vectors_per_sums16<T>];
};

// Sixteen running sums at +0.0.
template <class T>
PYGDX_ALWAYS_INLINE void zero_sums16(Sums16<T>& sums) {
    for (std::size_t k = 0; k < vectors_per_sums16<T>; ++k) {
        sums.v[k] = typename Lanes<T>::type{};
    }
}

// Calls each(at, k) for vector k (at element `at`) of every whole block of sixteen of n
// elements, in order; returns where the n mod 16 trailing elements start.
template <class T, class Each>
PYGDX_ALWAYS_INLINE std::size_t each_vector16(std::size_t n, Each each) {
    std::size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        for (std::size_t k = 0; k < vectors_per_sums16<T>; ++k) {
            each(j + k * lanes_per_vector<T>, k);
        }
    }
    return j;
}

// Lanes are passed by reference: vector values crossing a function boundary would change
// the calling convention between clones (GCC's -Wpsabi).
template <class T>
PYGDX_ALWAYS_INLINE void load_lanes(typename Lanes<T>::type& v, const T* p) {
#if defined(__GNUC__) || defined(__clang__)
    v = *reinterpret_cast<const typename Lanes<T>::unaligned*>(p);
#else
    std::memcpy(&v, p, sizeof(v));
#endif
}

// The lanes of v stored at any address of a T (load_lanes' counterpart).
template <class T>
PYGDX_ALWAYS_INLINE void store_lanes(T* p, const typename Lanes<T>::type& v) {
#if defined(__GNUC__) || defined(__clang__)
    *reinterpret_cast<typename Lanes<T>::unaligned*>(p) = v;
#else
    std::memcpy(p, &v, sizeof(v));
#endif
}

// Sixteen running sums of n terms a[j]·b[j] for several rows b, sharing the loads of a
// (fixed_order_sum's layout: sums[q] as Sums16); the n mod 16 trailing terms go to tail[q],
// in order, starting from the sum of lane 0.
template <class T, std::size_t Rows>
PYGDX_ALWAYS_INLINE void running_sums16(const T* __restrict a, const T* const* b, std::size_t n, Sums16<T>* sums,
                                        T* tail) {
    using V = typename Lanes<T>::type;
    constexpr std::size_t L = lanes_per_vector<T>;
    constexpr std::size_t NV = vectors_per_sums16<T>;
    for (std::size_t q = 0; q < Rows; ++q) {
        zero_sums16(sums[q]);
    }
    std::size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        V av[NV];
        for (std::size_t k = 0; k < NV; ++k) {
            load_lanes(av[k], a + j + k * L);
        }
        for (std::size_t q = 0; q < Rows; ++q) {
            for (std::size_t k = 0; k < NV; ++k) {
                V bv;
                load_lanes(bv, b[q] + j + k * L);
                sums[q].v[k] += av[k] * bv;
            }
        }
    }
    for (std::size_t q = 0; q < Rows; ++q) {
        T t = sums[q].v[0][0];
        for (std::size_t k = j; k < n; ++k) {
            t += a[k] * b[q][k];
        }
        tail[q] = t;
    }
}

// fixed_order_sum's final tree over the sixteen sums (sum 0 replaced by `first`, which
// already holds it and the trailing terms): s[u] + s[u + 8], then u and u + 4, then u and
// u + 2, then the last two.
template <class T>
PYGDX_ALWAYS_INLINE T combine16(const Sums16<T>& sums, T first) {
#if defined(__GNUC__) || defined(__clang__)
    // The same additions as the lane-by-lane tree below, as whole vectors: each level adds
    // the upper half of the sums to the lower half, which is what pairs u with u + 8, u + 4,
    // u + 2. GCC had turned the lane-by-lane reads into some thirty scalar shuffles and adds
    // after every dot product, a long chain the full-batch pass waited on before each row's
    // axpy (session 12).
    using V = typename Lanes<T>::type;
    typedef T V4 __attribute__((vector_size(4 * sizeof(T))));
    typedef T V2 __attribute__((vector_size(2 * sizeof(T))));
    constexpr std::size_t NV = vectors_per_sums16<T>;
    V half[NV / 2];  // s[0..8): vector k holds s[kL .. kL + L)
    for (std::size_t k = 0; k < NV / 2; ++k) {
        half[k] = sums.v[k] + sums.v[k + NV / 2];
    }
    half[0][0] = first + sums.v[NV / 2][0];
    V4 quarter;  // a[u] = s[u] + s[u + 4]
    if constexpr (NV / 2 == 1) {
        quarter = __builtin_shufflevector(half[0], half[0], 0, 1, 2, 3) +
                  __builtin_shufflevector(half[0], half[0], 4, 5, 6, 7);
    } else {
        static_assert(NV / 2 == 2 && sizeof(V) == sizeof(V4), "four lanes a vector");
        quarter = half[0] + half[1];
    }
    const V2 pair = __builtin_shufflevector(quarter, quarter, 0, 1) + __builtin_shufflevector(quarter, quarter, 2, 3);
    return pair[0] + pair[1];
#else
    constexpr std::size_t L = lanes_per_vector<T>;
    const auto flat = [&sums](std::size_t u) { return sums.v[u / L][u % L]; };
    T s[8];
    for (std::size_t u = 0; u < 8; ++u) {
        s[u] = flat(u) + flat(u + 8);
    }
    const T s0 = first + flat(8);
    const T a0 = s0 + s[4], a1 = s[1] + s[5], a2 = s[2] + s[6], a3 = s[3] + s[7];
    return (a0 + a2) + (a1 + a3);
#endif
}

template <class T>
PYGDX_ALWAYS_INLINE T dot(const T* __restrict a, const T* __restrict b, std::size_t n) {
    Sums16<T> sums[1];
    T tail[1];
    const T* rows[1] = {b};
    running_sums16<T, 1>(a, rows, n, sums, tail);
    return combine16<T>(sums[0], tail[0]);
}

// y[j] += a·x[j], element by element (the same rounding at every SIMD width). Four vectors a
// step: GCC's own loop took one vector a step, whose count, compare and branch were a third
// of the instructions of the full-batch pass's gradient half (perf, session 11).
template <class T>
PYGDX_ALWAYS_INLINE void axpy(T a, const T* __restrict x, T* __restrict y, std::size_t n) {
    std::size_t j = 0;
#if defined(__GNUC__) || defined(__clang__)
    using V = typename Lanes<T>::type;
    constexpr std::size_t L = lanes_per_vector<T>;
    for (; j + 4 * L <= n; j += 4 * L) {
        V xv[4], yv[4];
        for (std::size_t k = 0; k < 4; ++k) {
            load_lanes(xv[k], x + j + k * L);
            load_lanes(yv[k], y + j + k * L);
        }
        for (std::size_t k = 0; k < 4; ++k) {
            yv[k] += a * xv[k];
            store_lanes(y + j + k * L, yv[k]);
        }
    }
    for (; j + L <= n; j += L) {
        V xv, yv;
        load_lanes(xv, x + j);
        load_lanes(yv, y + j);
        yv += a * xv;
        store_lanes(y + j, yv);
    }
#endif
    for (; j < n; ++j) {
        y[j] += a * x[j];
    }
}

// Row i's axpy (y[j] += a·x[j]) and row i + 1's dot product (w·next) in one sweep: the same
// element-wise rounding as axpy and the same sums and order as dot, so the same bits as
// axpy(a, x, y, n) followed by dot(w, next, n). One loop instead of two: the next row's
// independent chains of adds are issued beside the axpy's loads and stores instead of
// waiting behind them, and one loop's bookkeeping and tails instead of two.
template <class T>
PYGDX_ALWAYS_INLINE T axpy_then_dot(T a, const T* __restrict x, T* __restrict y, const T* __restrict w,
                                    const T* __restrict next, std::size_t n) {
#if defined(__GNUC__) || defined(__clang__)
    Sums16<T> sums;
    zero_sums16(sums);
    std::size_t j = each_vector16<T>(n, [&](std::size_t at, std::size_t k) PYGDX_LAMBDA_INLINE {
        typename Lanes<T>::type wv, nv, xv, yv;
        load_lanes(wv, w + at);
        load_lanes(nv, next + at);
        load_lanes(xv, x + at);
        load_lanes(yv, y + at);
        sums.v[k] += wv * nv;
        yv += a * xv;
        store_lanes(y + at, yv);
    });
    T tail = sums.v[0][0];
    for (; j < n; ++j) {
        y[j] += a * x[j];
        tail += w[j] * next[j];
    }
    return combine16<T>(sums, tail);
#else
    axpy(a, x, y, n);
    return dot(w, next, n);
#endif
}

}  // namespace detail
}  // namespace pygdx

#undef PYGDX_PREFETCH
