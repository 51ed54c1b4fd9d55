// Bindings for the linear-model core: the problem record, the full-batch objective and
// gradient, decision values, and one training epoch with a pygdx.optim optimizer's buffers.
//
// The dtype of theta (written in place) picks the kernel; X, y and sample_weight are read
// as they are when they are C-contiguous arrays of that dtype and converted once per call
// otherwise (the estimators convert once per fit, so no call converts).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <tuple>

#include "bindings/arrays.hpp"
#include "bindings/epoch_call.hpp"
#include "bindings/linear_inputs.hpp"
#include "core/epoch.hpp"
#include "core/linear.hpp"

namespace py = pybind11;
using pygdx_bindings::check_inputs;
using pygdx_bindings::readable_theta;
using pygdx_bindings::is_float32;
using pygdx_bindings::Inputs;
using pygdx_bindings::Rows;
using pygdx_bindings::check_order;
using pygdx_bindings::require_targets;
using pygdx_bindings::writable_data;

namespace {

template <class T>
py::tuple loss_grad(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array theta,
                    py::handle rows, int n_threads) {
    Inputs<T> in = check_inputs<T>(pb, X, y, sw, rows);
    require_targets(y);
    const py::array theta_read = readable_theta<T>(pb, theta);
    const T* th = static_cast<const T*>(theta_read.data());
    py::array_t<T> grad(static_cast<py::ssize_t>(pb.n_params()));
    T* g = grad.mutable_data();
    double value;
    {
        // Safe: only the buffers held by `in`, theta and grad are touched until the release ends.
        py::gil_scoped_release release;
        value = pygdx::linear_loss_grad(pb, in.data, th, g, n_threads);
    }
    return py::make_tuple(value, grad);
}

template <class T>
py::array decision(const pygdx::LinearProblem& pb, py::handle X, py::array theta, py::handle rows, int n_threads) {
    Inputs<T> in = check_inputs<T>(pb, X, py::none(), py::none(), rows);
    const py::array theta_read = readable_theta<T>(pb, theta);
    const T* th = static_cast<const T*>(theta_read.data());
    py::array_t<T> out({static_cast<py::ssize_t>(in.data.n_used), static_cast<py::ssize_t>(pb.n_outputs)});
    T* o = out.mutable_data();
    {
        py::gil_scoped_release release;  // safe: see loss_grad
        pygdx::linear_decision(pb, in.data, th, o, n_threads);
    }
    return out;
}

template <class T>
py::tuple epoch(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
                py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule,
                py::array counters, py::array theta, py::list states, int n_threads, py::object shuffle_seed) {
    // `order` lists the rows of this epoch (all of X, or a training subset).
    return pygdx_bindings::run_epoch<T>(
        pb, X, y, sw, order, batch_size, hyper, counters, theta, states, n_threads, shuffle_seed,
        [&](const pygdx::LinearData<T>& data, std::size_t bs, const pygdx::ParamBuffers<T>& params, double* ctr,
            pygdx::EpochScratch<T>& work, pygdx::Interrupt* interrupt) {
            return pygdx::linear_epoch(pb, data, bs, hyper, schedule, ctr, params, work, n_threads, interrupt);
        });
}

}  // namespace

void register_linear(py::module_& m) {
    py::enum_<pygdx::LossKind> losses(m, "LossKind");
#define PYGDX_BIND_LOSS(name, id, binary) losses.value(#name, pygdx::LossKind::name);
    PYGDX_LOSS_KINDS(PYGDX_BIND_LOSS)
#undef PYGDX_BIND_LOSS
    py::enum_<pygdx::PenaltyKind> penalties(m, "PenaltyKind");
#define PYGDX_BIND_PENALTY(name, id) penalties.value(#name, pygdx::PenaltyKind::name);
    PYGDX_PENALTY_KINDS(PYGDX_BIND_PENALTY)
#undef PYGDX_BIND_PENALTY

    py::class_<pygdx::LinearProblem>(m, "LinearProblem")
        .def(py::init([](pygdx::LossKind loss, std::size_t n_features, std::size_t n_outputs, bool fit_intercept,
                         double epsilon, pygdx::PenaltyKind penalty, double alpha, double l1_ratio) {
                 if (n_features == 0 || n_outputs == 0) {
                     throw py::value_error("n_features and n_outputs must be >= 1");
                 }
                 pygdx::Loss kind;
                 kind.kind = loss;
                 if (pygdx::loss_is_multinomial(kind) && n_outputs < 2) {
                     // the labels index the K outputs: K = 1 would read and write past them
                     throw py::value_error("the multinomial loss needs n_outputs >= 2 (one per class)");
                 }
                 pygdx::LinearProblem pb;
                 pb.loss.kind = loss;
                 pb.loss.epsilon = epsilon;
                 pb.penalty.kind = penalty;
                 pb.penalty.alpha = alpha;
                 pb.penalty.l1_ratio = l1_ratio;
                 pb.n_features = n_features;
                 pb.n_outputs = n_outputs;
                 pb.fit_intercept = fit_intercept;
                 return pb;
             }),
             py::arg("loss"), py::arg("n_features"), py::arg("n_outputs") = 1, py::arg("fit_intercept") = true,
             py::arg("epsilon") = 0.1, py::arg("penalty") = pygdx::PenaltyKind::none, py::arg("alpha") = 0.0,
             py::arg("l1_ratio") = 0.15)
        .def_property_readonly("n_features", [](const pygdx::LinearProblem& p) { return p.n_features; })
        .def_property_readonly("n_outputs", [](const pygdx::LinearProblem& p) { return p.n_outputs; })
        .def_property_readonly("n_params", &pygdx::LinearProblem::n_params);

    m.def(
        "linear_loss_grad",
        [](const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array theta,
           py::handle rows, int n_threads) {
            return is_float32(theta) ? loss_grad<float>(pb, X, y, sw, theta, rows, n_threads)
                                     : loss_grad<double>(pb, X, y, sw, theta, rows, n_threads);
        },
        py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("theta"),
        py::arg("rows") = py::none(), py::arg("n_threads") = 0,
        "Full-batch objective and gradient at theta (one pass over X); returns (loss, grad).");
    m.def(
        "linear_decision",
        [](const pygdx::LinearProblem& pb, py::handle X, py::array theta, py::handle rows, int n_threads) {
            return is_float32(theta) ? decision<float>(pb, X, theta, rows, n_threads)
                                     : decision<double>(pb, X, theta, rows, n_threads);
        },
        py::arg("problem"), py::arg("X"), py::arg("theta"), py::arg("rows") = py::none(), py::arg("n_threads") = 0,
        "Decision values (n_rows, K) of the selected rows of X.");
    m.def(
        "linear_epoch",
        [](const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
           py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule, py::array counters,
           py::array theta, py::list states, int n_threads, py::object shuffle_seed) {
            return is_float32(theta) ? epoch<float>(pb, X, y, sw, order, batch_size, hyper, schedule, counters,
                                                    theta, states, n_threads, shuffle_seed)
                                     : epoch<double>(pb, X, y, sw, order, batch_size, hyper, schedule, counters,
                                                     theta, states, n_threads, shuffle_seed);
        },
        py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("order"),
        py::arg("batch_size"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
        py::arg("states"), py::arg("n_threads") = 0, py::arg("shuffle_seed") = py::none(),
        "One epoch over the rows listed in `order` (int64, shuffled in place first when a seed is "
        "given): returns (mean objective over the epoch, optimizer steps, finite).");
    m.def(
        "linear_epoch_path",
        [](const pygdx::LinearProblem& pb, std::size_t batch_size, const pygdx::Hyper& hyper) {
            return std::string(pygdx::epoch_path_name(pb, batch_size, hyper));
        },
        py::arg("problem"), py::arg("batch_size"), py::arg("hyper"),
        "The path linear_epoch takes for batches of `batch_size` rows (at most the epoch's rows): "
        "'l1', 'stochastic_sgd', 'stochastic', 'team_parts', 'column_halves', 'small_rows' or 'row_pass'.");
    m.def(
        "gathers_rows_ahead",
        [](std::size_t n_rows, std::size_t n_features, std::size_t itemsize, int n_threads) {
            return pygdx::detail::gathers_rows_ahead(n_rows, n_features, itemsize, n_threads);
        },
        py::arg("n_rows"), py::arg("n_features"), py::arg("itemsize"), py::arg("n_threads"),
        "Whether a stochastic (batch-1) epoch over n_rows rows of n_features values of itemsize bytes "
        "has a second thread gather its rows ahead (n_threads <= 0: every usable core).");
    m.def(
        "shuffle_rows",
        [](py::array order, std::uint64_t seed) {
            check_order(order);
            pygdx::shuffle_rows(static_cast<std::int64_t*>(order.mutable_data()),
                                static_cast<std::size_t>(order.size()), seed);
        },
        py::arg("order"), py::arg("seed"),
        "Shuffle `order` in place exactly as linear_epoch does for the same seed (SplitMix64 Fisher-Yates).");
}
