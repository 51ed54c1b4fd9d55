// Rows of a compressed sparse row (CSR) matrix, as SciPy stores it, read in place: the
// data source of sparse training (sparse_epoch.hpp) and prediction (sparse_decision.hpp).
//
// Row r holds the values values[indptr[r] .. indptr[r+1]) in the columns indices[...]. The
// index type I is the matrix's own (int32 or int64), so SciPy's arrays are never copied.
// Indices within a row may come in any order and may repeat: a repeated column counts as
// the sum of its values (SciPy's meaning), which every pass here gives without sorting,
// because each entry enters a dot product or a gradient on its own.
//
// The arrays are checked once (csr_check.hpp) and then read with no lock held, so another
// thread may rewrite them while the core reads. Every row range and every column is
// therefore read once into a register and checked where it is used (span, column): a value
// out of range is never followed, the read counts as empty, and `changed` is set, which ends
// the call with an error (the epoch stops as if interrupted, so the trainer undoes it). A
// rewrite that stays in range cannot be told from data and trains on whatever was read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/row_kernels.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define PYGDX_CSR_LIKELY(condition) __builtin_expect(static_cast<bool>(condition), 1)
#define PYGDX_CSR_COLD __attribute__((noinline, cold))
#else
#define PYGDX_CSR_LIKELY(condition) (condition)
#define PYGDX_CSR_COLD
#endif

namespace pygdx {

namespace detail {

// One read of a value another thread may be writing: never repeated by the compiler (a
// checked index stays the index used) and not a data race (a relaxed atomic load, a plain
// load on x86 and ARM).
template <class I>
PYGDX_ALWAYS_INLINE I read_once(const I& where) {
#if defined(__GNUC__) || defined(__clang__)
    return __atomic_load_n(&where, __ATOMIC_RELAXED);
#else
    return *static_cast<const volatile I*>(&where);
#endif
}

}  // namespace detail

// The error of a call whose reads found indptr or indices out of range (CsrData::changed).
inline constexpr const char* csr_changed_message =
    "the sparse matrix's indices or indptr changed while pygdx read them (another thread wrote them during the "
    "call) and now point outside the matrix; the call was undone. Do not modify X while a fit or prediction uses it";

// How a pass reads a row's offsets and columns: checked where they are used (the caller's
// arrays, which another thread may rewrite: see above), or as they are (a copy private to the
// pass whose every offset and column was checked when it was made, such as the ring of
// sparse_rows_gathered_ahead.hpp: checking them again costs a compare per entry on the chain
// of a stochastic epoch's steps).
enum class CsrReads { checked, trusted };

// The entries [begin, end) of one row.
struct CsrSpan {
    std::size_t begin = 0;
    std::size_t end = 0;
};

template <class T, class I>
struct CsrData {
    const T* values = nullptr;
    const I* indices = nullptr;
    const I* indptr = nullptr;  // n_rows + 1 entries
    std::size_t nnz = 0;        // entries of values and indices
    std::size_t n_columns = 0;  // every column index read is below this
    // Set (never cleared here) when a read finds indptr or indices out of range: the arrays
    // changed after they were checked. Required: the owner of the arrays keeps it.
    std::atomic<bool>* changed = nullptr;
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

    // Row r's entries; empty (and `changed` set) when its offsets are no longer a range
    // inside the stored values.
    template <CsrReads reads = CsrReads::checked>
    PYGDX_ALWAYS_INLINE CsrSpan span(std::size_t r) const {
        if constexpr (reads == CsrReads::trusted) {
            return {static_cast<std::size_t>(indptr[r]), static_cast<std::size_t>(indptr[r + 1])};
        }
        const I b = detail::read_once(indptr[r]);
        const I e = detail::read_once(indptr[r + 1]);
        if (PYGDX_CSR_LIKELY(b >= 0 && b <= e && static_cast<std::uint64_t>(e) <= nnz)) {
            return {static_cast<std::size_t>(b), static_cast<std::size_t>(e)};
        }
        mark_changed();
        return {};
    }

    // The column of entry k in `j`; false (and `changed` set) when it is out of range.
    template <CsrReads reads = CsrReads::checked>
    PYGDX_ALWAYS_INLINE bool column(std::size_t k, std::size_t& j) const {
        if constexpr (reads == CsrReads::trusted) {
            j = static_cast<std::size_t>(indices[k]);
            return true;
        }
        const auto c = static_cast<std::make_unsigned_t<I>>(detail::read_once(indices[k]));
        if (PYGDX_CSR_LIKELY(c < n_columns)) {
            j = static_cast<std::size_t>(c);
            return true;
        }
        mark_changed();
        return false;
    }

    bool has_changed() const { return changed->load(std::memory_order_relaxed); }

    double weight(std::size_t r) const { return sample_weight ? static_cast<double>(sample_weight[r]) : 1.0; }

private:
    PYGDX_CSR_COLD void mark_changed() const { changed->store(true, std::memory_order_relaxed); }
};

namespace detail {

// Σ w[column]·value over one row's entries, in double; entries whose column is out of
// range (see CsrData::column, read as `reads` says) add nothing. Four partial sums in registers: with one, a
// row's dot takes its length times an add's latency, and a stochastic step
// (sparse_sgd_rows.hpp) waits on it.
template <CsrReads reads = CsrReads::checked, class T, class I>
PYGDX_ALWAYS_INLINE double sparse_dot(const T* __restrict w, const CsrData<T, I>& data, CsrSpan s) {
    const T* __restrict values = data.values;
    auto term = [&](std::size_t k) {
        std::size_t j;
        return data.template column<reads>(k, j) ? static_cast<double>(w[j]) * static_cast<double>(values[k]) : 0.0;
    };
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    std::size_t k = s.begin;
    for (; k + 4 <= s.end; k += 4) {
        s0 += term(k);
        s1 += term(k + 1);
        s2 += term(k + 2);
        s3 += term(k + 3);
    }
    for (; k < s.end; ++k) {
        s0 += term(k);
    }
    return (s0 + s2) + (s1 + s3);
}

}  // namespace detail

}  // namespace pygdx
