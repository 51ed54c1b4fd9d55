// The array checks every binding shares.
//
// Arrays the core writes into must be used exactly as given (no converted copy, or the
// caller's array would silently not change), so they are checked and refused when wrong.
// Arrays the core only reads are converted once when needed (forcecast).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

namespace pygdx_bindings {

namespace py = pybind11;

template <class T>
const char* dtype_name() {
    return sizeof(T) == 4 ? "float32" : "float64";
}

// A writable, C-contiguous buffer of exactly type T, or a TypeError/ValueError naming
// `what` and the fix.
template <class T>
T* writable_data(const py::array& a, const std::string& what) {
    if (!py::isinstance<py::array_t<T>>(a) || a.dtype().kind() != 'f' || a.itemsize() != sizeof(T)) {
        throw py::type_error(what + " has dtype " + std::string(py::str(a.dtype())) + " but must be " +
                             dtype_name<T>() + " to be updated in place; convert it once with " +
                             "np.ascontiguousarray(x, dtype=np." + dtype_name<T>() + ")");
    }
    if (!(a.flags() & py::array::c_style)) {
        throw py::value_error(what + " is not C-contiguous, so it cannot be updated in place; " +
                              "pass np.ascontiguousarray(x) and keep that array");
    }
    if (!a.writeable()) {
        throw py::value_error(what + " is read-only and cannot be updated in place; pass a writeable copy " +
                              "(x.copy()) or set x.flags.writeable = True if you own its memory");
    }
    return static_cast<T*>(const_cast<void*>(a.data()));
}

// A C-contiguous array of type T viewing `obj` when it already is one, else a converted copy.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> readable(py::handle obj) {
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
}

}  // namespace pygdx_bindings
