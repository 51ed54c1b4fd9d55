// Prefetching of CSR rows taken in a shuffled order (csr.hpp): the row's offsets, its
// entries (with its target and weight), and the weights its columns pick.
#pragma once

#include <cstddef>

#include "core/csr.hpp"
#include "core/row_kernels.hpp"

namespace pygdx {

namespace detail {

// The empty volatile asm naming the address keeps GCC from deleting a loop of prefetches
// (a prefetch has no side effect it must keep; see row_kernels.hpp).
inline void prefetch_line(const void* p, bool for_write) {
#if defined(__GNUC__) || defined(__clang__)
    if (for_write) {
        __builtin_prefetch(p, 1);
    } else {
        __builtin_prefetch(p, 0);
    }
    __asm__ __volatile__("" : : "r"(p));
#else
    (void)p;
    (void)for_write;
#endif
}

// Rows in a shuffled order miss the cache three times each: the row's offsets, its
// entries (with its target and weight), and the weights its columns pick. Each is requested
// ahead by the distance that lets the previous request land first: the offsets of row
// i + 3D, the entries of i + 2D (reading the offsets fetched earlier), and, unless the
// caller knows them cached, the weights of row i + D (reading its indices). Offsets and
// columns are read checked (CsrData::span, column), as every other read of them is.
inline constexpr std::size_t sparse_prefetch_distance = 4;

// Weights that fit a core's L2 cache (512 KiB on the AMD EPYC measured) stay cached through
// a stochastic epoch, the rows being what streams through: prefetching them re-reads the
// indices of the row one ahead for nothing. With benchmarks/bench_sparse_rows.cpp on
// 50,000 float64 weights (400 KB) it cost 12% of the epoch's compute in cache, and the
// epoch / floor ratio at full size was lower without it (RESULTS_sparse.md, session 7).
// Larger weight vectors (hashed features) are still prefetched: not measured here.
inline constexpr std::size_t sparse_cached_weight_bytes = std::size_t{512} << 10;

template <std::size_t D = sparse_prefetch_distance, class T, class I>
PYGDX_ALWAYS_INLINE void prefetch_sparse_row(const CsrData<T, I>& data, const T* w, std::size_t i,
                                             bool weights_too = true) {
    if (data.rows == nullptr) {
        return;  // rows in storage order: the hardware prefetcher sees the stream
    }
    if (i + 3 * D < data.n_readable) {
        prefetch_line(data.indptr + data.rows[i + 3 * D], false);
    }
    if (i + 2 * D < data.n_readable) {
        const std::size_t r = static_cast<std::size_t>(data.rows[i + 2 * D]);
        const CsrSpan s = data.span(r);
        prefetch_bytes(data.values + s.begin, (s.end - s.begin) * sizeof(T));
        prefetch_bytes(data.indices + s.begin, (s.end - s.begin) * sizeof(I));
        // The row's target and weight: a shuffled read of y misses the cache as often as X.
        if (data.y != nullptr) {
            prefetch_line(data.y + r * data.y_width, false);
        }
        if (data.sample_weight != nullptr) {
            prefetch_line(data.sample_weight + r, false);
        }
    }
    if (weights_too && i + D < data.n_readable) {
        const CsrSpan s = data.span(static_cast<std::size_t>(data.rows[i + D]));
        for (std::size_t k = s.begin; k < s.end; ++k) {
            std::size_t j;
            if (data.column(k, j)) {
                prefetch_line(w + j, true);
            }
        }
    }
}

}  // namespace detail

}  // namespace pygdx
