// The checked inputs of the linear-model bindings (linear.cpp, trainer.cpp): X, y,
// sample_weight and a row selection, read as they are when already C-contiguous arrays of
// the model's dtype and converted once otherwise, and the weights theta, written in place.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "bindings/arrays.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx_bindings {

namespace py = pybind11;

// An input that NumPy cannot turn into floating-point numbers (objects, text): the
// conversion failed and left a Python error, which becomes this TypeError.
[[noreturn]] inline void throw_unconvertible(const std::string& what, py::handle obj) {
    PyErr_Clear();
    throw py::type_error(what + " cannot be converted to an array of floating-point numbers (got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))) +
                         "); pass a numeric array");
}

template <class T>
using In = py::array_t<T, py::array::c_style | py::array::forcecast>;
using Rows = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// Everything a call reads, checked against the problem and kept alive while the GIL is released.
template <class T>
struct Inputs {
    In<T> X, y, sample_weight;
    Rows rows;
    pygdx::LinearData<T> data;
};

// y, sample_weight and the row selection of `n` rows, checked and stored in `arrays` (which
// keeps them alive) and in `data` (LinearData or CsrData: the pointers the core reads).
template <class T, class Arrays, class Data>
void check_targets_and_rows(const pygdx::LinearProblem& pb, py::handle y_obj, py::handle sw_obj, py::handle rows_obj,
                            std::size_t n, Arrays& in, Data& data) {
    if (!y_obj.is_none()) {
        in.y = readable<T>(y_obj);
        if (!in.y) {
            throw_unconvertible("y", y_obj);
        }
        const std::size_t width = pb.targets_per_row();
        if (width == 1 && (in.y.ndim() != 1 || static_cast<std::size_t>(in.y.shape(0)) != n)) {
            throw py::value_error("y must be 1-dimensional with one value per row of X");
        }
        if (width > 1 && (in.y.ndim() != 2 || static_cast<std::size_t>(in.y.shape(0)) != n ||
                          static_cast<std::size_t>(in.y.shape(1)) != width)) {
            throw py::value_error("y must be 2-dimensional (n_samples, n_outputs) for a multi-output problem");
        }
        data.y = in.y.data();
        data.y_width = width;
        if (pb.n_outputs > 1 && width == 1) {
            std::size_t bad;
            {
                py::gil_scoped_release release;  // safe: reads in.y's buffer only
                bad = pygdx::first_invalid_class_index(data.y, n, pb.n_outputs);
            }
            if (bad < n) {
                throw py::value_error("multiclass targets must be class indices 0.." +
                                      std::to_string(pb.n_outputs - 1) + " (row " + std::to_string(bad) + ")");
            }
        }
    }
    if (!sw_obj.is_none()) {
        in.sample_weight = readable<T>(sw_obj);
        if (!in.sample_weight) {
            throw_unconvertible("sample_weight", sw_obj);
        }
        if (in.sample_weight.ndim() != 1 || static_cast<std::size_t>(in.sample_weight.shape(0)) != n) {
            throw py::value_error("sample_weight must be 1-dimensional with one value per row of X");
        }
        data.sample_weight = in.sample_weight.data();
    }
    if (!rows_obj.is_none()) {
        in.rows = Rows::ensure(rows_obj);
        if (!in.rows || in.rows.ndim() != 1) {
            throw py::value_error("rows must be a 1-dimensional integer array of row indices");
        }
        const std::int64_t* r = in.rows.data();
        const auto m = static_cast<std::size_t>(in.rows.shape(0));
        std::size_t bad;
        {
            py::gil_scoped_release release;  // safe: reads in.rows's buffer only
            bad = pygdx::first_row_out_of_range(r, m, n);
        }
        if (bad < m) {
            throw py::index_error("row index " + std::to_string(r[bad]) + " is out of range for X with " +
                                  std::to_string(n) + " rows");
        }
        data.rows = r;
        data.n_used = m;
        data.n_readable = m;
    }
}

template <class T>
Inputs<T> check_inputs(const pygdx::LinearProblem& pb, py::handle X_obj, py::handle y_obj, py::handle sw_obj,
                       py::handle rows_obj) {
    Inputs<T> in;
    in.X = readable<T>(X_obj);
    if (!in.X) {
        throw_unconvertible("X", X_obj);
    }
    if (in.X.ndim() != 2) {
        throw py::value_error("X must be 2-dimensional (n_samples, n_features), got " + std::to_string(in.X.ndim()) +
                              " dimensions");
    }
    const auto n = static_cast<std::size_t>(in.X.shape(0));
    if (static_cast<std::size_t>(in.X.shape(1)) != pb.n_features) {
        throw py::value_error("X has " + std::to_string(in.X.shape(1)) + " features, but the problem has " +
                              std::to_string(pb.n_features));
    }
    in.data.X = in.X.data();
    in.data.n_used = n;
    in.data.n_readable = n;
    check_targets_and_rows<T>(pb, y_obj, sw_obj, rows_obj, n, in, in.data);
    if (in.data.n_used == 0) {
        throw py::value_error("no rows to use: X (or the row selection) is empty");
    }
    return in;
}

template <class T>
T* checked_theta(const pygdx::LinearProblem& pb, const py::array& theta) {
    T* p = writable_data<T>(theta, "theta");
    if (static_cast<std::size_t>(theta.size()) != pb.n_params()) {
        throw py::value_error("theta has " + std::to_string(theta.size()) + " elements, the problem needs " +
                              std::to_string(pb.n_params()) + " (K*d coefficients, then K intercepts)");
    }
    return p;
}

// theta where it is only read (loss_grad, decision): checked as above, but read through an
// aligned copy when it is not aligned (Dask workers receive it at odd offsets). The
// returned array holds the data.
template <class T>
py::array readable_theta(const pygdx::LinearProblem& pb, const py::array& theta) {
    const py::array aligned = is_aligned(theta) ? theta : py::array(theta.attr("copy")());
    checked_theta<T>(pb, aligned);
    return aligned;
}


// The optimizer's buffers for theta (its weights, stepped in place): the state slots the
// rule uses, each of theta's size, all of T.
template <class T>
pygdx::ParamBuffers<T> optimizer_buffers(const pygdx::LinearProblem& pb, const pygdx::Hyper& hyper,
                                         const py::array& theta, const py::list& states) {
    pygdx::ParamBuffers<T> params;
    params.param = checked_theta<T>(pb, theta);
    params.size = pb.n_params();
    const int n_state = pygdx::state_buffer_count(hyper);
    if (static_cast<int>(states.size()) != n_state) {
        throw py::value_error("expected " + std::to_string(n_state) + " optimizer state buffers");
    }
    for (int j = 0; j < n_state; ++j) {
        if (!pygdx::state_buffer_used(hyper, j)) {
            continue;
        }
        py::object s = states[static_cast<std::size_t>(j)];
        if (!py::isinstance<py::array>(s)) {
            throw py::type_error("optimizer state " + std::to_string(j) + " must be a NumPy array");
        }
        params.state[j] = writable_data<T>(py::reinterpret_borrow<py::array>(s), "optimizer state " + std::to_string(j));
        if (static_cast<std::size_t>(py::reinterpret_borrow<py::array>(s).size()) != params.size) {
            throw py::value_error("optimizer state " + std::to_string(j) + " does not match theta's size");
        }
    }
    return params;
}

inline double* checked_counters(const py::array& counters) {
    if (counters.size() != pygdx::n_counters) {
        throw py::value_error("counters must be a float64 array of size 2");
    }
    return writable_data<double>(counters, "counters");
}

// The targets every training call needs.
inline void require_targets(py::handle y) {
    if (y.is_none()) {
        throw py::value_error("y is required");
    }
}

// `order` lists the rows of an epoch and is shuffled in place, so it must be the caller's own
// int64 array.
inline void check_order(const py::array& order) {
    if (!py::isinstance<Rows>(order) || order.dtype().kind() != 'i' || order.itemsize() != 8 ||
        !(order.flags() & py::array::c_style) || !order.writeable() || order.ndim() != 1) {
        throw py::type_error("order must be a writeable, C-contiguous 1-dimensional int64 array of row indices");
    }
}

// The rows per batch of an epoch over n_used rows: batch_size, or all of them for None
// (a full batch).
inline std::size_t rows_per_batch(const py::object& batch_size, std::size_t n_used) {
    const std::size_t rows = batch_size.is_none() ? n_used : batch_size.cast<std::size_t>();
    if (rows == 0) {
        throw py::value_error("batch_size must be >= 1 (or None for full batch)");
    }
    return rows;
}

inline bool is_float32(const py::array& a) { return a.dtype().kind() == 'f' && a.itemsize() == 4; }

}  // namespace pygdx_bindings
