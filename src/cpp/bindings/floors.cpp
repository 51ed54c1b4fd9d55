// Bindings for the machine's floors (core/floors.hpp): the streaming and shuffled passes over
// a dense X and the shuffled pass over a CSR matrix, timed in the core.
//
// The arrays are measured exactly as given: a converted copy would time the copy's memory,
// not the caller's, so a wrong dtype or layout is refused with the fix instead.
// Each returns (best seconds, sum of the dot products of the last pass, threads used).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "core/floors.hpp"

namespace py = pybind11;

namespace {

bool has_float_dtype(const py::array& a, std::size_t itemsize) {
    return a.dtype().kind() == 'f' && static_cast<std::size_t>(a.itemsize()) == itemsize;
}

py::array checked_array(py::handle obj, const std::string& what, int ndim) {
    if (!py::isinstance<py::array>(obj)) {
        throw py::type_error(what + " must be a NumPy array, got " + std::string(py::str(py::type::of(obj).attr("__name__"))));
    }
    auto a = py::reinterpret_borrow<py::array>(obj);
    if (a.ndim() != ndim) {
        throw py::value_error(what + " must be " + std::to_string(ndim) + "-dimensional, got " +
                              std::to_string(a.ndim()) + " dimensions");
    }
    if (!(a.flags() & py::array::c_style)) {
        throw py::value_error(what + " is not C-contiguous; the floor is measured on the array as it lies in memory, "
                                     "so pass np.ascontiguousarray(" + what + ") and keep that array");
    }
    if (a.size() == 0) {
        throw py::value_error(what + " is empty: a floor needs at least one row and one column");
    }
    return a;
}

// X (or data) must be float32 or float64; w must have the same dtype.
py::array checked_values(py::handle obj, const std::string& what, int ndim) {
    py::array a = checked_array(obj, what, ndim);
    if (!has_float_dtype(a, 4) && !has_float_dtype(a, 8)) {
        throw py::type_error(what + " has dtype " + std::string(py::str(a.dtype())) +
                             " but must be float32 or float64; convert it once with " + what +
                             ".astype(np.float64)");
    }
    return a;
}

// w must have the dtype of `values` (named `of`); n_columns < 0: w's length sets the columns.
py::array checked_weights(py::handle obj, const py::array& values, py::ssize_t n_columns, const std::string& of) {
    py::array w = checked_array(obj, "w", 1);
    if (!has_float_dtype(w, static_cast<std::size_t>(values.itemsize()))) {
        throw py::type_error("w has dtype " + std::string(py::str(w.dtype())) + " but " + of + " is " +
                             std::string(py::str(values.dtype())) + "; pass w.astype(" + of + ".dtype)");
    }
    if (n_columns >= 0 && w.shape(0) != n_columns) {
        throw py::value_error("w has " + std::to_string(w.shape(0)) + " values but " + of + " has " +
                              std::to_string(n_columns) + " columns");
    }
    return w;
}

void check_counts(int n_threads, int repeat) {
    if (n_threads < 0) {
        throw py::value_error("n_threads must be >= 1, or 0 for every core; got " + std::to_string(n_threads));
    }
    if (repeat < 1) {
        throw py::value_error("repeat must be >= 1; got " + std::to_string(repeat));
    }
}

// Runs measure(interrupted) with the GIL released; Ctrl-C between two passes raises
// KeyboardInterrupt here instead of waiting for the remaining passes.
template <class Measure>
py::tuple run_released(Measure&& measure) {
    bool stopped = false;
    auto interrupted = [&stopped] {
        py::gil_scoped_acquire hold;
        stopped = PyErr_CheckSignals() != 0;
        return stopped;
    };
    pygdx::FloorTiming t;
    {
        py::gil_scoped_release release;  // safe: measure reads only buffers kept alive by the caller's arrays
        t = measure(interrupted);
    }
    if (stopped) {
        throw py::error_already_set();
    }
    return py::make_tuple(t.seconds, t.dot_sum, t.n_threads);
}

template <class T>
py::tuple dense_floor(const py::array& X, const py::array& w, bool shuffled, int n_threads, int repeat,
                      std::uint64_t seed, std::size_t prefetch_rows) {
    const T* x = static_cast<const T*>(X.data());
    const T* wv = static_cast<const T*>(w.data());
    const auto n = static_cast<std::size_t>(X.shape(0));
    const auto d = static_cast<std::size_t>(X.shape(1));
    return run_released([&](auto& interrupted) {
        return shuffled ? pygdx::shuffled_floor(x, n, d, wv, n_threads, repeat, seed, prefetch_rows, interrupted)
                        : pygdx::streaming_floor(x, n, d, wv, n_threads, repeat, interrupted);
    });
}

py::tuple dense(py::handle X_obj, py::handle w_obj, bool shuffled, int n_threads, int repeat, std::uint64_t seed,
                std::size_t prefetch_rows) {
    check_counts(n_threads, repeat);
    py::array X = checked_values(X_obj, "X", 2);
    py::array w = checked_weights(w_obj, X, X.shape(1), "X");
    return X.itemsize() == 4 ? dense_floor<float>(X, w, shuffled, n_threads, repeat, seed, prefetch_rows)
                             : dense_floor<double>(X, w, shuffled, n_threads, repeat, seed, prefetch_rows);
}

std::string csr_problem_text(const pygdx::CsrCheck& c) {
    const std::string at = std::to_string(c.position);
    switch (c.problem) {
        case pygdx::CsrProblem::first_pointer_not_zero:
            return "indptr[0] must be 0";
        case pygdx::CsrProblem::pointers_decrease:
            return "indptr must not decrease, but indptr[" + std::to_string(c.position + 1) + "] < indptr[" + at + "]";
        case pygdx::CsrProblem::last_pointer_past_end:
            return "indptr[-1] is larger than the number of stored values (len(data))";
        case pygdx::CsrProblem::column_out_of_range:
            return "indices[" + at + "] is not a column index in [0, len(w))";
        case pygdx::CsrProblem::none:
            break;
    }
    return {};
}

template <class T, class Index>
py::tuple csr_floor(const py::array& data, const py::array& indices, const py::array& indptr, const py::array& w,
                    int n_threads, int repeat, std::uint64_t seed, std::size_t prefetch_rows) {
    const T* values = static_cast<const T*>(data.data());
    const Index* columns = static_cast<const Index*>(indices.data());
    const Index* pointers = static_cast<const Index*>(indptr.data());
    const T* wv = static_cast<const T*>(w.data());
    const auto n_rows = static_cast<std::size_t>(indptr.shape(0)) - 1;
    pygdx::CsrCheck check;
    {
        py::gil_scoped_release release;  // safe: reads the index arrays' buffers only
        check = pygdx::first_invalid_csr_entry(columns, pointers, n_rows, static_cast<std::size_t>(data.shape(0)),
                                               static_cast<std::size_t>(w.shape(0)));
    }
    if (check.problem != pygdx::CsrProblem::none) {
        throw py::value_error("not a valid CSR matrix: " + csr_problem_text(check));
    }
    return run_released([&](auto& interrupted) {
        return pygdx::shuffled_csr_floor(values, columns, pointers, n_rows, wv, n_threads, repeat, seed,
                                         prefetch_rows, interrupted);
    });
}

template <class T>
py::tuple csr_by_index(const py::array& data, const py::array& indices, const py::array& indptr, const py::array& w,
                       int n_threads, int repeat, std::uint64_t seed, std::size_t prefetch_rows) {
    return indices.itemsize() == 4
               ? csr_floor<T, std::int32_t>(data, indices, indptr, w, n_threads, repeat, seed, prefetch_rows)
               : csr_floor<T, std::int64_t>(data, indices, indptr, w, n_threads, repeat, seed, prefetch_rows);
}

py::tuple csr(py::handle data_obj, py::handle indices_obj, py::handle indptr_obj, py::handle w_obj, int n_threads,
              int repeat, std::uint64_t seed, std::size_t prefetch_rows) {
    check_counts(n_threads, repeat);
    py::array data = checked_values(data_obj, "data", 1);
    py::array indices = checked_array(indices_obj, "indices", 1);
    py::array indptr = checked_array(indptr_obj, "indptr", 1);
    for (const py::array* a : {&indices, &indptr}) {
        if (a->dtype().kind() != 'i' || (a->itemsize() != 4 && a->itemsize() != 8)) {
            throw py::type_error(std::string(a == &indices ? "indices" : "indptr") + " has dtype " +
                                 std::string(py::str(a->dtype())) + " but must be int32 or int64 (as in scipy.sparse)");
        }
    }
    if (indices.itemsize() != indptr.itemsize()) {
        throw py::type_error("indices and indptr must share one dtype (int32 or int64), as scipy.sparse keeps them");
    }
    if (indices.shape(0) != data.shape(0)) {
        throw py::value_error("indices has " + std::to_string(indices.shape(0)) + " entries but data has " +
                              std::to_string(data.shape(0)) + "; they must have one entry per stored value");
    }
    if (indptr.shape(0) < 2) {
        throw py::value_error("indptr must have n_rows + 1 >= 2 entries");
    }
    py::array w = checked_weights(w_obj, data, -1, "data");
    return data.itemsize() == 4 ? csr_by_index<float>(data, indices, indptr, w, n_threads, repeat, seed, prefetch_rows)
                                : csr_by_index<double>(data, indices, indptr, w, n_threads, repeat, seed, prefetch_rows);
}

}  // namespace

void register_floors(py::module_& m) {
    m.attr("default_prefetch_rows") = pygdx::default_prefetch_rows;
    m.def(
        "streaming_floor",
        [](py::handle X, py::handle w, int n_threads, int repeat) {
            return dense(X, w, false, n_threads, repeat, 0, 0);
        },
        py::arg("X"), py::arg("w"), py::arg("n_threads") = 0, py::arg("repeat") = 5,
        "Best of `repeat` timings of one pass over X (C-contiguous float32/float64, n x d) in row order taking "
        "every row's dot product with w (n_threads 0: every core); returns (seconds, sum of the dot products, "
        "threads used).");
    m.def(
        "shuffled_floor",
        [](py::handle X, py::handle w, int n_threads, int repeat, std::uint64_t seed, std::size_t prefetch_rows) {
            return dense(X, w, true, n_threads, repeat, seed, prefetch_rows);
        },
        py::arg("X"), py::arg("w"), py::arg("n_threads") = 0, py::arg("repeat") = 5, py::arg("seed") = 0,
        py::arg("prefetch_rows") = pygdx::default_prefetch_rows,
        "Best of `repeat` timings of one pass over the rows of X in a fresh random order (each thread a "
        "contiguous part of it), each row's dot product with w, the row `prefetch_rows` ahead prefetched; "
        "returns (seconds, sum of the dot products, threads used).");
    m.def("shuffled_csr_floor", &csr, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("w"),
          py::arg("n_threads") = 0, py::arg("repeat") = 5, py::arg("seed") = 0,
          py::arg("prefetch_rows") = pygdx::default_prefetch_rows,
          "shuffled_floor for a CSR matrix (scipy.sparse's data, indices, indptr; len(w) columns): every stored "
          "value read once in a random row order; returns (seconds, sum of the dot products, threads used).");
}
