// Rows of a compressed sparse row (CSR) matrix, as SciPy stores it, read in place: the
// data source of sparse training (sparse_epoch.hpp) and prediction.
//
// Row r holds the values values[indptr[r] .. indptr[r+1]) in the columns indices[...]. The
// index type I is the matrix's own (int32 or int64), so SciPy's arrays are never copied.
// Indices within a row may come in any order and may repeat: a repeated column counts as
// the sum of its values (SciPy's meaning), which every pass here gives without sorting,
// because each entry enters a dot product or a gradient on its own.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/linear.hpp"
#include "core/row_kernels.hpp"

namespace pygdx {

template <class T, class I>
struct CsrData {
    const T* values = nullptr;
    const I* indices = nullptr;
    const I* indptr = nullptr;  // n_rows + 1 entries
    const T* y = nullptr;               // y_width targets per row, row-major
    std::size_t y_width = 1;            // LinearProblem::targets_per_row
    const T* sample_weight = nullptr;  // null: every weight is 1
    const std::int64_t* rows = nullptr;  // the rows used, in order; null: first_row, first_row + 1, ...
    std::size_t first_row = 0;
    std::size_t n_used = 0;
    std::size_t n_readable = 0;  // entries of `rows` that may be prefetched (rest of the epoch)

    std::size_t row(std::size_t i) const { return rows ? static_cast<std::size_t>(rows[i]) : first_row + i; }

    // Rows [start, start + count) of these rows as rows of their own.
    CsrData part(std::size_t start, std::size_t count) const {
        CsrData p = *this;
        p.n_used = count;
        p.n_readable = n_readable - start;
        if (rows) {
            p.rows = rows + start;
        } else {
            p.first_row = first_row + start;
        }
        return p;
    }
    std::size_t begin(std::size_t r) const { return static_cast<std::size_t>(indptr[r]); }
    std::size_t end(std::size_t r) const { return static_cast<std::size_t>(indptr[r + 1]); }
    double weight(std::size_t r) const { return sample_weight ? static_cast<double>(sample_weight[r]) : 1.0; }
};

// What is wrong with a CSR matrix's arrays, found before anything reads through them.
enum class CsrFault : int {
    none = 0,
    indptr_start = 1,       // indptr[0] != 0
    indptr_decreasing = 2,  // indptr[r+1] < indptr[r] (at row `where`)
    indptr_end = 3,         // indptr[n_rows] != the number of stored values
    index_out_of_range = 4,  // indices[where] outside 0..n_features-1
    non_finite = 5,          // values[where] is NaN or infinite
};

struct CsrCheck {
    CsrFault fault = CsrFault::none;
    std::size_t where = 0;
};

// The first fault of a CSR matrix of n_rows x n_features with nnz stored values, in the
// order listed in CsrFault (the structure first: a bad indptr makes the rest unreadable).
template <class T, class I>
CsrCheck check_csr(const T* values, const I* indices, const I* indptr, std::size_t n_rows, std::size_t n_features,
                   std::size_t nnz) {
    if (indptr[0] != 0) {
        return {CsrFault::indptr_start, 0};
    }
    for (std::size_t r = 0; r < n_rows; ++r) {
        if (indptr[r + 1] < indptr[r]) {
            return {CsrFault::indptr_decreasing, r};
        }
    }
    if (static_cast<std::uint64_t>(indptr[n_rows]) != static_cast<std::uint64_t>(nnz)) {
        return {CsrFault::indptr_end, n_rows};
    }
    for (std::size_t k = 0; k < nnz; ++k) {
        if (indices[k] < 0 || static_cast<std::uint64_t>(indices[k]) >= n_features) {
            return {CsrFault::index_out_of_range, k};
        }
    }
    for (std::size_t k = 0; k < nnz; ++k) {
        if (!std::isfinite(static_cast<double>(values[k]))) {
            return {CsrFault::non_finite, k};
        }
    }
    return {};
}

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

// Σ w[indices[k]]·values[k] over one row's entries, in double.
template <class T, class I>
PYGDX_ALWAYS_INLINE double sparse_dot(const T* __restrict w, const T* __restrict values, const I* __restrict indices,
                                      std::size_t begin, std::size_t end) {
    double sum = 0.0;
    for (std::size_t k = begin; k < end; ++k) {
        sum += static_cast<double>(w[indices[k]]) * static_cast<double>(values[k]);
    }
    return sum;
}

// Rows in a shuffled order miss the cache three times each: the row's offsets, its
// entries (with its target and weight), and the weights its columns pick. Each is requested ahead by the distance that
// lets the previous request land first: the offsets of row i + 3D, the entries of i + 2D
// (reading the offsets fetched earlier), and the weights of row i + D (reading its indices).
inline constexpr std::size_t sparse_prefetch_distance = 4;

template <class T, class I>
PYGDX_ALWAYS_INLINE void prefetch_sparse_row(const CsrData<T, I>& data, const T* w, std::size_t i) {
    constexpr std::size_t D = sparse_prefetch_distance;
    if (data.rows == nullptr) {
        return;  // rows in storage order: the hardware prefetcher sees the stream
    }
    if (i + 3 * D < data.n_readable) {
        prefetch_line(data.indptr + data.rows[i + 3 * D], false);
    }
    if (i + 2 * D < data.n_readable) {
        const std::size_t r = static_cast<std::size_t>(data.rows[i + 2 * D]);
        const std::size_t b = data.begin(r), e = data.end(r);
        prefetch_bytes(data.values + b, (e - b) * sizeof(T));
        prefetch_bytes(data.indices + b, (e - b) * sizeof(I));
        // The row's target and weight: a shuffled read of y misses the cache as often as X.
        if (data.y != nullptr) {
            prefetch_line(data.y + r * data.y_width, false);
        }
        if (data.sample_weight != nullptr) {
            prefetch_line(data.sample_weight + r, false);
        }
    }
    if (i + D < data.n_readable) {
        const std::size_t r = static_cast<std::size_t>(data.rows[i + D]);
        for (std::size_t k = data.begin(r), e = data.end(r); k < e; ++k) {
            prefetch_line(w + data.indices[k], true);
        }
    }
}

}  // namespace detail

// Rows below which decision values are computed on the calling thread (text-like rows hold
// tens of entries: a few thousand rows are what starting a thread costs).
inline constexpr std::size_t min_rows_per_thread = 4096;

// Decision values z (n_used x K, row-major) of the rows of `data` with the weights theta.
template <class T, class I>
void csr_decision(const LinearProblem& pb, const CsrData<T, I>& data, const T* theta, T* out, int n_threads) {
    const std::size_t d = pb.n_features;
    const std::size_t K = pb.n_outputs;
    const T* intercept = theta + pb.n_coef();
    const int chunks = threads_for(data.n_used * K, n_threads, min_rows_per_thread);
    parallel_chunks(data.n_used, chunks, [&](int, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            const std::size_t r = data.row(i);
            for (std::size_t k = 0; k < K; ++k) {
                out[i * K + k] = static_cast<T>(
                    detail::sparse_dot(theta + k * d, data.values, data.indices, data.begin(r), data.end(r)) +
                    static_cast<double>(intercept[k]));
            }
        }
    });
}

}  // namespace pygdx
