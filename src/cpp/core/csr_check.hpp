// The check of a CSR matrix's arrays (csr.hpp) before anything reads through them.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace pygdx {

// What is wrong with a CSR matrix's arrays.
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

}  // namespace pygdx
