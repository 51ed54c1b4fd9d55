// Bindings for the l1 part of a penalty applied as a step (core/l1_penalty.hpp): the
// proximal step that chunked and Dask full-batch training take after their optimizer step.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/arrays.hpp"
#include "bindings/linear_inputs.hpp"
#include "core/l1_penalty.hpp"
#include "core/scaled_weights.hpp"

namespace py = pybind11;
using pygdx_bindings::checked_counters;
using pygdx_bindings::is_float32;
using pygdx_bindings::optimizer_buffers;

namespace {

template <class T>
void proximal(const pygdx::LinearProblem& pb, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule,
              py::array counters, py::array theta, py::list states) {
    const pygdx::ParamBuffers<T> params = optimizer_buffers<T>(pb, hyper, theta, states);
    const double* ctr = checked_counters(counters);
    if (ctr[pygdx::counter_step] < 1.0) {
        throw py::value_error("the proximal step follows an optimizer step: the step count must be >= 1");
    }
    const double l1 = pygdx::penalty_weights(pb.penalty).l1;
    py::gil_scoped_release release;  // safe: only theta's and the states' buffers are touched
    const pygdx::ProximalRates rates(hyper, schedule, ctr);
    pygdx::ScaledWeights<T> weights(params.param, pb.n_coef());
    for (std::size_t j = 0; j < pb.n_coef() && l1 != 0.0; ++j) {
        rates.apply(params, weights, j, l1);
    }
}

}  // namespace

void register_l1(py::module_& m) {
    m.def(
        "proximal_l1",
        [](const pygdx::LinearProblem& pb, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule,
           py::array counters, py::array theta, py::list states) {
            is_float32(theta) ? proximal<float>(pb, hyper, schedule, counters, theta, states)
                              : proximal<double>(pb, hyper, schedule, counters, theta, states);
        },
        py::arg("problem"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
        py::arg("states"),
        "After an optimizer step on the smooth part of the objective: soft-threshold theta's coefficients by the "
        "problem's l1 weight times the rule's step size for each (read from its state), in place.");
}
