// The check of a CSR matrix's arrays (csr.hpp) before anything reads through them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

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

namespace detail {

// The arrays are scanned in blocks with no exit inside a block, so that GCC vectorises the
// scan (a loop with an early exit stays scalar: about 6 ms more of every call on a 250,000
// x 50,000 text matrix, RESULTS_sparse.md); only a block with a fault is scanned again,
// entry by entry, for the first one.
inline constexpr std::size_t csr_check_block = 1024;

// The first k in [0, n) with bad(k), or n; bad_count(begin, end) counts the bad entries of
// a block without branching.
template <class BadCount, class Bad>
std::size_t first_bad(std::size_t n, BadCount&& bad_count, Bad&& bad) {
    for (std::size_t begin = 0; begin < n; begin += csr_check_block) {
        const std::size_t end = std::min(n, begin + csr_check_block);
        if (bad_count(begin, end) != 0) {
            for (std::size_t k = begin; k < end; ++k) {
                if (bad(k)) {
                    return k;
                }
            }
        }
    }
    return n;
}

// The bits of a float or double as an unsigned integer of its width.
template <class T>
using BitsOf = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;

template <class T>
inline BitsOf<T> bits_of(T x) {
    BitsOf<T> bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
}

}  // namespace detail

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
    // An index is in range when, read unsigned, it is below `limit`: a negative index reads
    // as 2^(bits-1) or more, at or above every column a non-negative I can name.
    using U = std::make_unsigned_t<I>;
    const U top = static_cast<U>(std::numeric_limits<I>::max());
    const U limit = n_features > static_cast<std::uint64_t>(top) ? static_cast<U>(top + 1) : static_cast<U>(n_features);
    const std::size_t bad_index = detail::first_bad(
        nnz,
        [&](std::size_t begin, std::size_t end) {
            unsigned count = 0;  // a block's count fits; a narrow sum vectorises better
            for (std::size_t k = begin; k < end; ++k) {
                count += static_cast<U>(indices[k]) >= limit;
            }
            return count;
        },
        [&](std::size_t k) { return static_cast<U>(indices[k]) >= limit; });
    if (bad_index < nnz) {
        return {CsrFault::index_out_of_range, bad_index};
    }
    // A value is non-finite when its exponent bits are all ones (inf_bits, the bits of
    // +infinity, masks them): adding the exponent's lowest bit (the bits of the smallest
    // normal) to the masked bits then carries into the sign bit. Integer operations only: GCC
    // would not vectorise a float compare here (std::abs(x) <= largest stayed scalar, 6 ms of
    // every call on the 250,000 x 50,000 text matrix, RESULTS_sparse.md session 11).
    using Bits = detail::BitsOf<T>;
    const Bits inf_bits = detail::bits_of(std::numeric_limits<T>::infinity());
    const Bits low_bit = detail::bits_of(std::numeric_limits<T>::min());
    constexpr int sign_shift = 8 * sizeof(T) - 1;
    const std::size_t bad_value = detail::first_bad(
        nnz,
        [&](std::size_t begin, std::size_t end) {
            Bits count = 0;
            for (std::size_t k = begin; k < end; ++k) {
                count += ((detail::bits_of(values[k]) & inf_bits) + low_bit) >> sign_shift;
            }
            return count;
        },
        [&](std::size_t k) { return !std::isfinite(static_cast<double>(values[k])); });
    if (bad_value < nnz) {
        return {CsrFault::non_finite, bad_value};
    }
    return {};
}

}  // namespace pygdx
