// The checked inputs of sparse training and prediction (sparse.cpp, trainer.cpp): a CSR
// matrix's three arrays used in place (values float32/float64, indices and indptr of one
// integer type, int32 or int64, as SciPy keeps them), with y, sample_weight and the epoch's
// rows; and the in-memory sparse data source a LinearTrainer reads.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "bindings/arrays.hpp"
#include "bindings/linear_inputs.hpp"
#include "core/csr.hpp"
#include "core/csr_check.hpp"
#include "core/sparse_epoch.hpp"

namespace pygdx_bindings {

namespace py = pybind11;

template <class T, class I>
struct CsrInputs {
    py::array values, indices, indptr;
    In<T> y, sample_weight;
    Rows rows;
    pygdx::CsrData<T, I> data;
    std::atomic<bool> changed{false};  // data.changed: the arrays changed after the check
};

// How steps on sparse rows treat untouched columns and the intercepts (sparse_epoch.hpp),
// checked.
inline pygdx::SparseSettings sparse_settings(bool lazy, double intercept_decay) {
    if (!(intercept_decay > 0.0 && intercept_decay <= 1.0)) {
        throw py::value_error("intercept_decay must be in (0, 1] (scikit-learn's SGD uses 0.01 on sparse X)");
    }
    return {lazy ? pygdx::SparseUpdates::lazy : pygdx::SparseUpdates::dense, intercept_decay};
}

// Raised after a call whose reads found the matrix's indices or indptr out of range
// (another thread rewrote them while the core read them in place, csr.hpp). The call's
// work was discarded, as for an interrupted epoch.
template <class T, class I>
void refuse_if_changed(const CsrInputs<T, I>& in) {
    if (in.changed.load()) {
        throw py::value_error(pygdx::csr_changed_message);
    }
}

inline std::string csr_fault_message(pygdx::CsrFault fault, std::size_t where, std::size_t n_rows,
                                     std::size_t n_features) {
    const std::string at = std::to_string(where);
    switch (fault) {
    case pygdx::CsrFault::indptr_start:
        return "the sparse matrix's indptr must start at 0; it is not a valid CSR matrix";
    case pygdx::CsrFault::indptr_decreasing:
        return "the sparse matrix's indptr decreases at row " + at + "; it is not a valid CSR matrix";
    case pygdx::CsrFault::indptr_end:
        return "the sparse matrix's indptr[" + std::to_string(n_rows) +
               "] does not equal the number of stored values; it is not a valid CSR matrix";
    case pygdx::CsrFault::index_out_of_range:
        return "the sparse matrix's column index at position " + at + " of its indices is outside 0.." +
               std::to_string(n_features - 1) + "; it is not a valid CSR matrix with " +
               std::to_string(n_features) + " columns";
    case pygdx::CsrFault::non_finite:
        return "Input X contains NaN or infinity (stored value " + at + " of the sparse matrix)";
    case pygdx::CsrFault::none:
        break;
    }
    return "";
}

// A CSR matrix of n_rows x pb.n_features given as its three arrays, checked (structure,
// indices, finite values) without the GIL before anything reads through them, and y,
// sample_weight and rows as check_inputs takes them.
template <class T, class I>
std::unique_ptr<CsrInputs<T, I>> check_csr_inputs(const pygdx::LinearProblem& pb, const py::array& values,
                                                  const py::array& indices, const py::array& indptr,
                                                  std::size_t n_rows, py::handle y, py::handle sw, py::handle rows) {
    auto in = std::make_unique<CsrInputs<T, I>>();
    in->values = values;
    in->indices = indices;
    in->indptr = indptr;
    const auto nnz = static_cast<std::size_t>(values.size());
    if (static_cast<std::size_t>(indices.size()) != nnz || indptr.size() < 1 ||
        static_cast<std::size_t>(indptr.size()) - 1 != n_rows) {
        throw py::value_error("the sparse matrix's arrays do not fit together: data and indices must have one entry "
                              "per stored value and indptr n_rows + 1 entries");
    }
    pygdx::CsrData<T, I>& d = in->data;
    d.values = static_cast<const T*>(values.data());
    d.indices = static_cast<const I*>(indices.data());
    d.indptr = static_cast<const I*>(indptr.data());
    d.nnz = nnz;
    d.n_columns = pb.n_features;
    d.changed = &in->changed;
    pygdx::CsrCheck check;
    {
        py::gil_scoped_release release;  // safe: reads the three arrays' buffers only
        check = pygdx::check_csr(d.values, d.indices, d.indptr, n_rows, pb.n_features, nnz);
    }
    if (check.fault != pygdx::CsrFault::none) {
        throw py::value_error(csr_fault_message(check.fault, check.where, n_rows, pb.n_features));
    }
    d.n_used = n_rows;
    d.n_readable = n_rows;
    check_targets_and_rows<T>(pb, y, sw, rows, n_rows, *in, d);
    if (d.n_used == 0) {
        throw py::value_error("no rows to use: X (or the row selection) is empty");
    }
    return in;
}

// A sparse data source: the rows of one CSR matrix for a LinearTrainer, checked once.
template <class T, class I>
struct TypedCsrSource {
    TypedCsrSource(const pygdx::LinearProblem& pb, std::unique_ptr<CsrInputs<T, I>> in, std::size_t rows_per_batch)
        : inputs(std::move(in)), work(pb), batch_size(rows_per_batch) {}
    std::unique_ptr<CsrInputs<T, I>> inputs;
    pygdx::SparseScratch<T> work;
    std::size_t batch_size;
};

struct CsrSource {
    pygdx::LinearProblem problem;
    py::array order;
    int n_threads = 1;
    pygdx::SparseSettings settings;
    std::unique_ptr<TypedCsrSource<float, std::int32_t>> f32_i32;
    std::unique_ptr<TypedCsrSource<float, std::int64_t>> f32_i64;
    std::unique_ptr<TypedCsrSource<double, std::int32_t>> f64_i32;
    std::unique_ptr<TypedCsrSource<double, std::int64_t>> f64_i64;

    // Calls fn(typed source) with the source of value type T; false when it has another.
    template <class T, class Fn>
    bool visit(Fn&& fn) {
        if constexpr (sizeof(T) == 4) {
            return f32_i32 ? (fn(*f32_i32), true) : f32_i64 ? (fn(*f32_i64), true) : false;
        } else {
            return f64_i32 ? (fn(*f64_i32), true) : f64_i64 ? (fn(*f64_i64), true) : false;
        }
    }
};

// The index type of a CSR matrix's indices and indptr (both int32 or both int64).
inline bool csr_index_is_int32(const py::array& indices, const py::array& indptr) {
    auto is_int = [](const py::array& a, py::ssize_t size) {
        return a.dtype().kind() == 'i' && a.itemsize() == size && (a.flags() & py::array::c_style) &&
               is_aligned(a) && a.ndim() == 1;
    };
    if (is_int(indices, 4) && is_int(indptr, 4)) {
        return true;
    }
    if (is_int(indices, 8) && is_int(indptr, 8)) {
        return false;
    }
    throw py::type_error("the sparse matrix's indices and indptr must be C-contiguous 1-dimensional arrays of one "
                         "type, int32 or int64 (pygdx.estimators convert other matrices once)");
}

// The float type of a CSR matrix's values.
inline bool csr_values_are_float32(const py::array& values) {
    if (values.dtype().kind() != 'f' || (values.itemsize() != 4 && values.itemsize() != 8) ||
        !(values.flags() & py::array::c_style) || !is_aligned(values) || values.ndim() != 1) {
        throw py::type_error("the sparse matrix's data must be a C-contiguous 1-dimensional float32 or float64 "
                             "array (pygdx.estimators convert other matrices once)");
    }
    return values.itemsize() == 4;
}

}  // namespace pygdx_bindings
