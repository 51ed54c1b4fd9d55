// Bindings for averaged SGD (core/averaging.hpp): one epoch that also keeps the mean of the
// weights, with a pygdx.optim optimizer's buffers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "bindings/arrays.hpp"
#include "bindings/linear_inputs.hpp"
#include "core/averaging.hpp"

namespace py = pybind11;
using pygdx_bindings::check_inputs;
using pygdx_bindings::check_order;
using pygdx_bindings::checked_counters;
using pygdx_bindings::checked_theta;
using pygdx_bindings::Inputs;
using pygdx_bindings::is_float32;
using pygdx_bindings::optimizer_buffers;

namespace {

template <class T>
py::tuple averaged_epoch(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
                         py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule,
                         py::array counters, py::array theta, py::list states, py::array average, double start,
                         int n_threads, py::object shuffle_seed) {
    if (y.is_none()) {
        throw py::value_error("y is required");
    }
    check_order(order);
    Inputs<T> in = check_inputs<T>(pb, X, y, sw, order);
    auto* idx = static_cast<std::int64_t*>(order.mutable_data());
    const pygdx::ParamBuffers<T> params = optimizer_buffers<T>(pb, hyper, theta, states);
    T* avg = checked_theta<T>(pb, average);
    if (avg == params.param) {
        throw py::value_error("average must be an array of its own, not theta");
    }
    double* ctr = checked_counters(counters);
    const std::size_t n_used = in.data.n_used;
    const std::size_t bs = batch_size.is_none() ? n_used : batch_size.cast<std::size_t>();
    if (bs == 0) {
        throw py::value_error("batch_size must be >= 1 (or None for full batch)");
    }
    const bool shuffle = !shuffle_seed.is_none();
    const std::uint64_t seed = shuffle ? shuffle_seed.cast<std::uint64_t>() : 0;
    pygdx::EpochScratch<T> work(pb, n_threads);
    pygdx::EpochResult r;
    {
        // Safe: only buffers held above (in, theta, state, average, counters, order) are
        // touched until the release ends; no Python object is used.
        py::gil_scoped_release release;
        if (shuffle) {
            pygdx::shuffle_rows(idx, n_used, seed);
        }
        r = pygdx::averaged_epoch(pb, in.data, bs, hyper, schedule, ctr, params, work, n_threads, avg, start);
    }
    return py::make_tuple(r.loss, r.steps, r.finite);
}

}  // namespace

void register_averaging(py::module_& m) {
    m.def(
        "averaged_epoch",
        [](const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
           py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule, py::array counters,
           py::array theta, py::list states, py::array average, double start, int n_threads,
           py::object shuffle_seed) {
            return is_float32(theta) ? averaged_epoch<float>(pb, X, y, sw, order, batch_size, hyper, schedule,
                                                             counters, theta, states, average, start, n_threads,
                                                             shuffle_seed)
                                     : averaged_epoch<double>(pb, X, y, sw, order, batch_size, hyper, schedule,
                                                              counters, theta, states, average, start, n_threads,
                                                              shuffle_seed);
        },
        py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("order"),
        py::arg("batch_size"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
        py::arg("states"), py::arg("average"), py::arg("start"), py::arg("n_threads") = 0,
        py::arg("shuffle_seed") = py::none(),
        "linear_epoch that also folds the weights after every step t >= start into `average` (n_params, "
        "theta's dtype, written in place): returns (mean objective over the epoch, steps, finite).");
}
