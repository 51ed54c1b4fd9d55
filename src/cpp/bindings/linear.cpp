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
#include "core/epoch.hpp"
#include "core/linear.hpp"

namespace py = pybind11;
using pygdx_bindings::readable;
using pygdx_bindings::writable_data;

namespace {

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

template <class T>
Inputs<T> check_inputs(const pygdx::LinearProblem& pb, py::handle X_obj, py::handle y_obj, py::handle sw_obj,
                       py::handle rows_obj) {
    Inputs<T> in;
    in.X = readable<T>(X_obj);
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
    if (!y_obj.is_none()) {
        in.y = readable<T>(y_obj);
        if (in.y.ndim() != 1 || static_cast<std::size_t>(in.y.shape(0)) != n) {
            throw py::value_error("y must be 1-dimensional with one value per row of X");
        }
        in.data.y = in.y.data();
        if (pb.n_outputs > 1) {
            std::size_t bad;
            {
                py::gil_scoped_release release;  // safe: reads in.y's buffer only
                bad = pygdx::first_invalid_class_index(in.data.y, n, pb.n_outputs);
            }
            if (bad < n) {
                throw py::value_error("multiclass targets must be class indices 0.." +
                                      std::to_string(pb.n_outputs - 1) + " (row " + std::to_string(bad) + ")");
            }
        }
    }
    if (!sw_obj.is_none()) {
        in.sample_weight = readable<T>(sw_obj);
        if (in.sample_weight.ndim() != 1 || static_cast<std::size_t>(in.sample_weight.shape(0)) != n) {
            throw py::value_error("sample_weight must be 1-dimensional with one value per row of X");
        }
        in.data.sample_weight = in.sample_weight.data();
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
        in.data.rows = r;
        in.data.n_used = m;
        in.data.n_readable = m;
    }
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
    const py::array aligned = pygdx_bindings::is_aligned(theta) ? theta : py::array(theta.attr("copy")());
    checked_theta<T>(pb, aligned);
    return aligned;
}

bool is_float32(const py::array& a) { return a.dtype().kind() == 'f' && a.itemsize() == 4; }

template <class T>
py::tuple loss_grad(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array theta,
                    py::handle rows, int n_threads) {
    Inputs<T> in = check_inputs<T>(pb, X, y, sw, rows);
    if (y.is_none()) {
        throw py::value_error("y is required");
    }
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

void check_order(const py::array& order);

template <class T>
py::tuple epoch(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
                py::object batch_size, const pygdx::Hyper& hyper, const pygdx::Schedule& schedule,
                py::array counters, py::array theta, py::list states, int n_threads, py::object shuffle_seed) {
    if (y.is_none()) {
        throw py::value_error("y is required");
    }
    // `order` lists the rows of this epoch (all of X, or a training subset); it is shuffled
    // in place, so it must be the caller's own int64 array.
    check_order(order);
    Inputs<T> in = check_inputs<T>(pb, X, y, sw, order);
    auto* idx = static_cast<std::int64_t*>(order.mutable_data());
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
        py::array s = py::reinterpret_borrow<py::array>(states[static_cast<std::size_t>(j)]);
        params.state[j] = writable_data<T>(s, "optimizer state " + std::to_string(j));
        if (static_cast<std::size_t>(s.size()) != params.size) {
            throw py::value_error("optimizer state " + std::to_string(j) + " does not match theta's size");
        }
    }
    if (counters.size() != pygdx::n_counters) {
        throw py::value_error("counters must be a float64 array of size 2");
    }
    double* ctr = writable_data<double>(counters, "counters");
    const std::size_t n_used = in.data.n_used;
    const std::size_t bs = batch_size.is_none() ? n_used : batch_size.cast<std::size_t>();
    if (bs == 0) {
        throw py::value_error("batch_size must be >= 1 (or None for full batch)");
    }
    const bool shuffle = !shuffle_seed.is_none();
    const std::uint64_t seed = shuffle ? shuffle_seed.cast<std::uint64_t>() : 0;
    std::vector<T> grad(pb.n_params());
    pygdx::EpochResult r;
    {
        // Safe: only buffers held above (in, theta, state, counters, order) are
        // touched until the release ends; no Python object is used.
        py::gil_scoped_release release;
        if (shuffle) {
            pygdx::shuffle_rows(idx, n_used, seed);
        }
        r = pygdx::linear_epoch(pb, in.data, bs, hyper, schedule, ctr, params, grad.data(), n_threads);
    }
    return py::make_tuple(r.loss, r.steps, r.finite);
}

void check_order(const py::array& order) {
    if (!py::isinstance<Rows>(order) || order.dtype().kind() != 'i' || order.itemsize() != 8 ||
        !(order.flags() & py::array::c_style) || !order.writeable() || order.ndim() != 1) {
        throw py::type_error("order must be a writeable, C-contiguous 1-dimensional int64 array of row indices");
    }
}

}  // namespace

void register_linear(py::module_& m) {
    py::enum_<pygdx::LossKind>(m, "LossKind")
        .value("squared_error", pygdx::LossKind::squared_error)
        .value("huber", pygdx::LossKind::huber)
        .value("epsilon_insensitive", pygdx::LossKind::epsilon_insensitive)
        .value("log_loss", pygdx::LossKind::log_loss)
        .value("hinge", pygdx::LossKind::hinge)
        .value("modified_huber", pygdx::LossKind::modified_huber)
        .value("multinomial", pygdx::LossKind::multinomial);
    py::enum_<pygdx::PenaltyKind>(m, "PenaltyKind")
        .value("none", pygdx::PenaltyKind::none)
        .value("l2", pygdx::PenaltyKind::l2)
        .value("l1", pygdx::PenaltyKind::l1)
        .value("elasticnet", pygdx::PenaltyKind::elasticnet);

    py::class_<pygdx::LinearProblem>(m, "LinearProblem")
        .def(py::init([](pygdx::LossKind loss, std::size_t n_features, std::size_t n_outputs, bool fit_intercept,
                         double epsilon, pygdx::PenaltyKind penalty, double alpha, double l1_ratio) {
                 if (n_features == 0 || n_outputs == 0) {
                     throw py::value_error("n_features and n_outputs must be >= 1");
                 }
                 pygdx::Loss kind;
                 kind.kind = loss;
                 if (n_outputs != 1 && !pygdx::loss_is_multinomial(kind) &&
                     !pygdx::loss_is_binary_classification(kind)) {
                     throw py::value_error("only classification losses have more than one output");
                 }
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
        "shuffle_rows",
        [](py::array order, std::uint64_t seed) {
            check_order(order);
            pygdx::shuffle_rows(static_cast<std::int64_t*>(order.mutable_data()),
                                static_cast<std::size_t>(order.size()), seed);
        },
        py::arg("order"), py::arg("seed"),
        "Shuffle `order` in place exactly as linear_epoch does for the same seed (SplitMix64 Fisher-Yates).");
}
