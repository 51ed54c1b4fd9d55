// The array checks every binding shares.
//
// Arrays the core writes into must be used exactly as given (no converted copy, or the
// caller's array would silently not change), so they are checked and refused when wrong.
// Arrays the core only reads are converted once when needed (forcecast), and also when they
// are not aligned for T: the kernels load them through T*, which is undefined behaviour at
// a misaligned address (Dask hands over chunks deserialized at odd offsets).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pygdx_bindings {

namespace py = pybind11;

template <class T>
const char* dtype_name() {
    return sizeof(T) == 4 ? "float32" : "float64";
}

// NumPy's NPY_ARRAY_ALIGNED flag (pybind11 names only the contiguity flags).
inline constexpr int aligned_flag = 0x0100;

inline bool is_aligned(const py::array& a) {
    return (a.flags() & aligned_flag) != 0;
}

inline std::string type_name(py::handle obj) {
    return py::str(py::type::handle_of(obj).attr("__name__"));
}

// A writable, C-contiguous buffer of exactly type T, or a TypeError/ValueError naming
// `what` and the fix.
template <class T>
T* writable_data(const py::handle& obj, const std::string& what) {
    // Checked first: every array method on something that is not an array reads garbage.
    if (!py::isinstance<py::array>(obj)) {
        throw py::type_error(what + " is a " + type_name(obj) + ", not a NumPy array of " + dtype_name<T>());
    }
    const py::array a = py::reinterpret_borrow<py::array>(obj);
    if (!py::isinstance<py::array_t<T>>(a) || a.dtype().kind() != 'f' || a.itemsize() != sizeof(T)) {
        throw py::type_error(what + " has dtype " + std::string(py::str(a.dtype())) + " but must be " +
                             dtype_name<T>() + " to be updated in place; convert it once with " +
                             "np.ascontiguousarray(x, dtype=np." + dtype_name<T>() + ")");
    }
    if (!(a.flags() & py::array::c_style)) {
        throw py::value_error(what + " is not C-contiguous, so it cannot be updated in place; " +
                              "pass np.ascontiguousarray(x) and keep that array");
    }
    if (!is_aligned(a)) {
        throw py::value_error(what + " is not aligned in memory for " + dtype_name<T>() +
                              " (a view at an odd byte offset), so it cannot be updated in place; " +
                              "pass an aligned copy (x.copy()) and keep that array");
    }
    if (!a.writeable()) {
        throw py::value_error(what + " is read-only and cannot be updated in place; pass a writeable copy " +
                              "(x.copy()) or set x.flags.writeable = True if you own its memory");
    }
    return static_cast<T*>(const_cast<void*>(a.data()));
}

// A C-contiguous, aligned array of type T viewing `obj` when it already is one, else a
// converted copy; a null array when `obj` cannot be converted.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> readable(py::handle obj) {
    using Aligned = py::array_t<T, py::array::c_style | py::array::forcecast | aligned_flag>;
    return py::reinterpret_steal<py::array_t<T, py::array::c_style | py::array::forcecast>>(
        Aligned::ensure(obj).release());
}

// Numbers a user passed to be read (a gradient): as readable(), but complex, datetime, text,
// object and structured values are refused with a TypeError naming `what`, where a plain
// conversion would drop imaginary parts, count days or parse strings.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> readable_numbers(py::handle obj, const std::string& what) {
    const py::array as_given = py::array::ensure(obj);
    const char kind = as_given ? as_given.dtype().kind() : 'O';
    if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
        const std::string found = as_given ? "values of dtype " + std::string(py::str(as_given.dtype()))
                                           : "a " + type_name(obj);
        throw py::type_error(what + " must hold real numbers, but it holds " + found +
                             "; pass a float array (complex, datetime, text, object and structured values are refused)");
    }
    return readable<T>(as_given);
}

// Byte ranges of the buffers a kernel writes, to tell whether an input overlaps one of them
// in O(log n). The ranges may overlap each other.
class ByteRanges {
public:
    void add(const void* data, std::size_t bytes) {
        if (bytes != 0) {
            const auto begin = reinterpret_cast<std::uintptr_t>(data);
            ranges_.emplace_back(begin, begin + bytes);
        }
    }

    // Call once after the last add().
    void finish() {
        std::sort(ranges_.begin(), ranges_.end());
        max_end_.resize(ranges_.size());
        std::uintptr_t running = 0;
        for (std::size_t i = 0; i < ranges_.size(); ++i) {
            running = std::max(running, ranges_[i].second);
            max_end_[i] = running;
        }
    }

    bool overlaps(const void* data, std::size_t bytes) const {
        if (bytes == 0) {
            return false;
        }
        const auto begin = reinterpret_cast<std::uintptr_t>(data);
        const auto end = begin + bytes;
        // The ranges starting before `end`; one of them overlaps iff the furthest end among
        // them lies beyond `begin`.
        const auto first_after = std::lower_bound(ranges_.begin(), ranges_.end(), end,
                                                  [](const auto& r, std::uintptr_t e) { return r.first < e; });
        const auto n_before = static_cast<std::size_t>(first_after - ranges_.begin());
        return n_before != 0 && max_end_[n_before - 1] > begin;
    }

private:
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges_;
    std::vector<std::uintptr_t> max_end_;
};

}  // namespace pygdx_bindings
