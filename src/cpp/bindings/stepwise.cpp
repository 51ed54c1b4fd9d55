// Bindings for the epochs that act after every step of a linear model
// (core/stepwise_epochs.hpp): averaged SGD, which keeps the mean (or the exponential moving average)
// of the weights, and gradient clipping, which clips each batch's gradient before the step
// (and may average too). Both run with a pygdx.optim optimizer's buffers, as linear_epoch does.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/arrays.hpp"
#include "bindings/epoch_call.hpp"
#include "bindings/linear_inputs.hpp"
#include "bindings/stepwise_rules.hpp"
#include "core/stepwise_epochs.hpp"

namespace py = pybind11;
using pygdx_bindings::checked_theta;
using pygdx_bindings::is_float32;
using pygdx_bindings::weight_average;

namespace {

// averaged_epoch, or clipped_epoch when `clip` is given, in theta's dtype, after the checks
// of every epoch binding and those of `average` (n_params, theta's dtype, its own array).
py::tuple stepwise_epoch(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
                         py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule,
                         py::array counters, py::array theta, py::list states, const pygdx::GradientClip* clip,
                         py::object average, double start, int n_threads, py::object shuffle_seed,
                         py::object ema_decay) {
    const pygdx::WeightAverage rule = weight_average(start, ema_decay);
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* avg = average.is_none() ? nullptr : checked_theta<T>(pb, average.cast<py::array>());
        if (avg != nullptr && avg == static_cast<const T*>(theta.data())) {
            throw py::value_error("average must be an array of its own, not theta");
        }
        return pygdx_bindings::run_epoch<T>(
            pb, X, y, sw, order, batch_size, hyper, counters, theta, states, n_threads, shuffle_seed,
            [&](const pygdx::LinearData<T>& data, std::size_t bs, const pygdx::ParamBuffers<T>& params, double* ctr,
                pygdx::EpochScratch<T>& work, pygdx::Interrupt* interrupt) {
                return clip != nullptr ? pygdx::clipped_epoch(pb, data, bs, hyper, schedule, ctr, params, work,
                                                              n_threads, *clip, avg, rule, interrupt)
                                       : pygdx::averaged_epoch(pb, data, bs, hyper, schedule, ctr, params, work,
                                                               n_threads, avg, rule, interrupt);
            });
    };
    return is_float32(theta) ? run(float{}) : run(double{});
}

}  // namespace

void register_stepwise(py::module_& m) {
    m.def(
        "averaged_epoch",
        [](const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
           py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule, py::array counters,
           py::array theta, py::list states, py::array average, double start, int n_threads,
           py::object shuffle_seed, py::object ema_decay) {
            return stepwise_epoch(pb, X, y, sw, order, batch_size, hyper, schedule, counters, theta, states, nullptr,
                                  average, start, n_threads, shuffle_seed, ema_decay);
        },
        py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("order"),
        py::arg("batch_size"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
        py::arg("states"), py::arg("average"), py::arg("start"), py::arg("n_threads") = 0,
        py::arg("shuffle_seed") = py::none(), py::arg("ema_decay") = py::none(),
        "linear_epoch that also folds the weights after every step t >= start into `average` (n_params, "
        "theta's dtype, written in place): their mean, or with ema_decay their exponential moving average. "
        "Returns (mean objective over the epoch, steps, finite).");
    m.def(
        "clipped_epoch",
        [](const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
           py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule, py::array counters,
           py::array theta, py::list states, double max_norm, double max_value, py::object average, double start,
           int n_threads, py::object shuffle_seed, py::object ema_decay) {
            const pygdx::GradientClip clip = pygdx_bindings::gradient_clip(max_norm, max_value);
            return stepwise_epoch(pb, X, y, sw, order, batch_size, hyper, schedule, counters, theta, states, &clip,
                                  average, start, n_threads, shuffle_seed, ema_decay);
        },
        py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("order"),
        py::arg("batch_size"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
        py::arg("states"), py::arg("max_norm"), py::arg("max_value"), py::arg("average") = py::none(),
        py::arg("start") = 0.0, py::arg("n_threads") = 0, py::arg("shuffle_seed") = py::none(),
        py::arg("ema_decay") = py::none(),
        "An epoch whose every batch gradient is clipped (value to [-max_value, max_value], then 2-norm to "
        "max_norm; 0 turns a kind off) before the optimizer's step; with `average`, the mean (or with ema_decay "
        "the moving average) of the weights after every step t >= start is kept too. Returns (mean objective over "
        "the epoch, steps, finite).");
}
